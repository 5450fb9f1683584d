/*
 * test_agg.c — aggregate functions (exec/agg*.c): results and result types,
 * NULL handling, retraction back to empty, DISTINCT (single and multi-argument,
 * with retraction and merge), merge, snapshot/restore round trips, mem_size
 * growth, HyperLogLog accuracy and bind errors.
 *
 * The harness binds a function by name, feeds rows written as text
 * ("1;2;NULL", arguments of one row separated by '|') and renders the result
 * as text, so each case reads like the SQL it stands for.  Accumulators are
 * placed at an 8-byte (not 16-byte) boundary on purpose: slots only promise 8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/decimal.h"
#include "core/numfmt.h"
#include "exec/agg.h"
#include "exec/expr.h"
#include "sql/plan.h"

/* ---- harness ------------------------------------------------------------------- */

struct h {
    struct arena ar;
    struct agg_bind ab;
    const struct sql_type *types[4];
    const struct sql_type *casts[4];
    const char *consts[4];
    struct weir_error err;
    char buf[512];
};

static struct h *h_new(void)
{
    struct h *h = calloc(1, sizeof *h);
    arena_init(&h->ar, 0);
    return h;
}

static void h_free(struct h *h)
{
    err_clear(&h->err);
    arena_free(&h->ar);
    free(h);
}

/* Binds name(types...) and returns the rc; sep is LISTAGG's literal. */
static int h_bind_ex(struct h *h, const char *name, int n, const struct sql_type *const *types,
                     bool distinct, bool append_only, const char *sep)
{
    memset(&h->ab, 0, sizeof h->ab);
    memset(h->casts, 0, sizeof h->casts);
    memset(h->consts, 0, sizeof h->consts);
    err_clear(&h->err);
    for (int i = 0; i < n; i++)
        h->types[i] = types[i];
    h->consts[1] = sep;
    h->ab.def = agg_lookup(name);
    assert_non_null(h->ab.def);
    h->ab.n_args = n;
    h->ab.arg_types = h->types;
    h->ab.distinct = distinct;
    h->ab.append_only = append_only;
    h->ab.const_args = h->consts;
    h->ab.cast_to = h->casts;
    h->ab.arena = &h->ar;
    h->ab.loc = (struct weir_loc){0, 1};
    return h->ab.def->bind(&h->ab, &h->err);
}

static void h_bind(struct h *h, const char *name, int n, const struct sql_type *t0,
                   const struct sql_type *t1, bool distinct, bool append_only)
{
    const struct sql_type *ts[2] = {t0, t1};
    int rc = h_bind_ex(h, name, n, ts, distinct, append_only, NULL);
    if (rc != WEIR_OK)
        fail_msg("bind %s: %s", name, h->err.message);
    assert_non_null(h->ab.ops);
    assert_non_null(h->ab.result);
    assert_true(h->ab.acc_size > 0 && h->ab.acc_size % 8 == 0);
}

static const struct sql_type *arg_type(struct h *h, int i)
{
    return h->casts[i] ? h->casts[i] : h->types[i];
}

/* A slot at an address that is 8 mod 16. */
static void *acc_alloc(struct h *h)
{
    char *p = calloc(1, h->ab.acc_size + 16);
    return p + 8;
}

static void *acc_new(struct h *h)
{
    void *a = acc_alloc(h);
    h->ab.ops->init(a, h->ab.state);
    return a;
}

static void acc_free(struct h *h, void *a)
{
    if (h->ab.ops->destroy)
        h->ab.ops->destroy(a, h->ab.state);
    free((char *)a - 8);
}

static void acc_release(void *a) { free((char *)a - 8); }   /* never initialised */

static void set_field(struct h *h, struct vec *v, int row, const char *f, size_t len)
{
    const struct sql_type *t = v->type;
    if (len == 4 && memcmp(f, "NULL", 4) == 0) {
        vec_set_null(v, row);
        return;
    }
    char tmp[256];
    assert_true(len < sizeof tmp);
    memcpy(tmp, f, len);
    tmp[len] = '\0';
    switch (type_lane(t)) {
    case LANE_BOOL: v->b[row] = strcmp(tmp, "true") == 0; break;
    case LANE_I64: v->i64[row] = strtoll(tmp, NULL, 10); break;
    case LANE_F64: v->f64[row] = strtod(tmp, NULL); break;
    case LANE_I128:
        assert_int_equal(dec_parse(tmp, len, t->precision, t->scale, &v->i128[row]), 0);
        break;
    case LANE_STR: vec_set_str(v, row, tmp, len); break;
    case LANE_NONE: break;   /* the NULL type: no lane, no bitmap */
    default: fail();
    }
    (void)h;
}

/* Feeds rows "a|b;c|d;..." to acc; for COUNT(*) any text per row. */
static void feed(struct h *h, void *acc, int sign, const char *text)
{
    int n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ';';
    if (*text == '\0')
        n = 0;
    int na = h->ab.n_args;
    struct vec args[4] = {0};
    for (int i = 0; i < na; i++)
        vec_init(&args[i], arg_type(h, i), n, &h->ar);
    void **accs = calloc((size_t)n + 1, sizeof(void *));
    uint16_t *rows = calloc((size_t)n + 1, sizeof(uint16_t));
    const char *p = text;
    for (int r = 0; r < n; r++) {
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        const char *f = p;
        for (int i = 0; i < na; i++) {
            const char *fe = memchr(f, '|', (size_t)(end - f));
            if (!fe)
                fe = end;
            set_field(h, &args[i], r, f, (size_t)(fe - f));
            f = fe + 1;
        }
        accs[r] = acc;
        rows[r] = (uint16_t)r;
        p = *end ? end + 1 : end;
    }
    h->ab.ops->update(accs, args, rows, n, sign, h->ab.state);
    for (int i = 0; i < na; i++)
        vec_free(&args[i]);
    free(accs);
    free(rows);
}

/* The result as text: "null", integers, Java doubles, decimals, strings. */
static const char *res(struct h *h, const void *acc)
{
    struct vec out;
    vec_init(&out, h->ab.result, 2, &h->ar);
    vec_set_null(&out, 1);   /* give it a bitmap: result must set validity */
    vec_set_null(&out, 0);
    h->ab.ops->result(acc, &out, 0, h->ab.state);
    if (vec_is_null(&out, 0)) {
        strcpy(h->buf, "null");
    } else {
        switch (type_lane(h->ab.result)) {
        case LANE_BOOL: strcpy(h->buf, out.b[0] ? "true" : "false"); break;
        case LANE_I64: snprintf(h->buf, sizeof h->buf, "%lld", (long long)out.i64[0]); break;
        case LANE_F64:
            if (h->ab.result->id == T_FLOAT)
                numfmt_float(h->buf, (float)out.f64[0]);
            else
                numfmt_double(h->buf, out.f64[0]);
            break;
        case LANE_I128: dec_fmt(h->buf, out.i128[0], h->ab.result->scale); break;
        case LANE_STR:
            memcpy(h->buf, out.s[0].ptr, out.s[0].len);
            h->buf[out.s[0].len] = '\0';
            break;
        default: fail();
        }
    }
    vec_free(&out);
    return h->buf;
}

static const char *rtype(struct h *h) { return type_to_sql(&h->ar, h->ab.result); }

static bool empty(struct h *h, const void *acc)
{
    return h->ab.ops->is_empty(acc, h->ab.state);
}

/* Snapshot → restore into a fresh slot; checks the byte count, that a
 * re-snapshot is identical and that a truncated snapshot is refused. */
static void *roundtrip(struct h *h, const void *acc)
{
    struct strbuf sb = {0};
    h->ab.ops->snapshot(acc, &sb, h->ab.state);
    assert_true(sb.len > 0);
    void *b = acc_alloc(h);
    int c = h->ab.ops->restore(b, sb.buf, sb.len, h->ab.state);
    assert_int_equal(c, (int)sb.len);
    struct strbuf sb2 = {0};
    h->ab.ops->snapshot(b, &sb2, h->ab.state);
    assert_int_equal(sb2.len, sb.len);
    assert_memory_equal(sb2.buf, sb.buf, sb.len);
    void *t = acc_alloc(h);
    assert_int_equal(h->ab.ops->restore(t, sb.buf, sb.len - 1, h->ab.state), -1);
    acc_release(t);
    sb_free(&sb);
    sb_free(&sb2);
    return b;
}

#define CHECK(h, acc, want) assert_string_equal(res((h), (acc)), (want))

/* ---- registry ------------------------------------------------------------------ */

static void test_registry(void **state)
{
    (void)state;
    static const char *names[] = {
        "COUNT", "SUM", "SUM0", "AVG", "MIN", "MAX", "FIRST_VALUE", "LAST_VALUE", "LISTAGG",
        "STDDEV_POP", "STDDEV_SAMP", "STDDEV", "VAR_POP", "VAR_SAMP", "VARIANCE",
        "APPROX_COUNT_DISTINCT",
    };
    int n = 0;
    while (agg_at(n))
        n++;
    assert_int_equal(n, (int)(sizeof names / sizeof names[0]));
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct agg_def *d = agg_lookup(names[i]);
        assert_non_null(d);
        assert_string_equal(d->name, names[i]);
        assert_non_null(d->signature);
    }
    assert_ptr_equal(agg_lookup("count"), agg_lookup("COUNT"));
    assert_ptr_equal(agg_lookup("Listagg"), agg_lookup("LISTAGG"));
    assert_null(agg_lookup("MEDIAN"));
    assert_null(agg_at(-1));
}

/* ---- COUNT ------------------------------------------------------------------------ */

static void test_count(void **state)
{
    (void)state;
    struct h *h = h_new();
    h_bind(h, "COUNT", 0, NULL, NULL, false, false);
    assert_string_equal(rtype(h), "BIGINT NOT NULL");
    void *a = acc_new(h);
    assert_true(empty(h, a));
    CHECK(h, a, "0");
    feed(h, a, 1, "x;x;x");
    CHECK(h, a, "3");
    feed(h, a, -1, "x;x");
    CHECK(h, a, "1");
    assert_false(empty(h, a));
    void *b = roundtrip(h, a);
    CHECK(h, b, "1");
    feed(h, a, -1, "x");
    CHECK(h, a, "0");
    assert_true(empty(h, a));
    acc_free(h, a);
    acc_free(h, b);

    /* COUNT(x): NULLs are not counted but keep the group alive */
    h_bind(h, "COUNT", 1, &type_int, NULL, false, false);
    assert_string_equal(rtype(h), "BIGINT NOT NULL");
    a = acc_new(h);
    feed(h, a, 1, "1;NULL;3;NULL");
    CHECK(h, a, "2");
    feed(h, a, -1, "1;3");
    CHECK(h, a, "0");
    assert_false(empty(h, a));   /* two NULL rows are still there */
    feed(h, a, -1, "NULL;NULL");
    assert_true(empty(h, a));
    acc_free(h, a);

    /* COUNT(NULL): the literal's vector may carry no bitmap */
    h_bind(h, "COUNT", 1, &type_null, NULL, false, false);
    a = acc_new(h);
    feed(h, a, 1, "x;x");
    CHECK(h, a, "0");
    assert_false(empty(h, a));
    acc_free(h, a);

    /* COUNT(a, b): rows where both are non-NULL */
    h_bind(h, "COUNT", 2, &type_int, &type_string, false, false);
    a = acc_new(h);
    feed(h, a, 1, "1|x;NULL|y;3|NULL;4|z");
    CHECK(h, a, "2");
    b = roundtrip(h, a);
    CHECK(h, b, "2");
    acc_free(h, a);
    acc_free(h, b);
    h_free(h);
}

/* ---- SUM, SUM0 ---------------------------------------------------------------------- */

static void test_sum(void **state)
{
    (void)state;
    struct h *h = h_new();

    /* SUM(INT) is INT and wraps like Java int */
    h_bind(h, "SUM", 1, &type_int, NULL, false, false);
    assert_string_equal(rtype(h), "INT");
    void *a = acc_new(h);
    CHECK(h, a, "null");
    feed(h, a, 1, "2147483647;1");
    CHECK(h, a, "-2147483648");
    feed(h, a, -1, "1");
    CHECK(h, a, "2147483647");
    feed(h, a, 1, "NULL");
    CHECK(h, a, "2147483647");
    feed(h, a, -1, "2147483647;NULL");
    CHECK(h, a, "null");
    assert_true(empty(h, a));
    acc_free(h, a);

    /* TINYINT wraps at 8 bits; BIGINT at 64 */
    h_bind(h, "SUM", 1, &type_tinyint, NULL, false, false);
    assert_string_equal(rtype(h), "TINYINT");
    a = acc_new(h);
    feed(h, a, 1, "100;100");
    CHECK(h, a, "-56");
    acc_free(h, a);
    h_bind(h, "SUM", 1, &type_bigint, NULL, false, false);
    a = acc_new(h);
    feed(h, a, 1, "9223372036854775807;2");
    CHECK(h, a, "-9223372036854775807");
    acc_free(h, a);

    /* DOUBLE and FLOAT keep their type */
    h_bind(h, "SUM", 1, &type_double, NULL, false, false);
    assert_string_equal(rtype(h), "DOUBLE");
    a = acc_new(h);
    feed(h, a, 1, "1.5;2.25;NULL");
    CHECK(h, a, "3.75");
    acc_free(h, a);
    h_bind(h, "SUM", 1, &type_float, NULL, false, false);
    assert_string_equal(rtype(h), "FLOAT");
    a = acc_new(h);
    feed(h, a, 1, "0.1;0.2");
    CHECK(h, a, "0.3");
    acc_free(h, a);

    /* DECIMAL(10, 2) → DECIMAL(38, 2) */
    const struct sql_type *d102 = type_decimal(&h->ar, 10, 2);
    h_bind(h, "SUM", 1, d102, NULL, false, false);
    assert_string_equal(rtype(h), "DECIMAL(38, 2)");
    a = acc_new(h);
    feed(h, a, 1, "1.25;2.50;NULL;-0.05");
    CHECK(h, a, "3.70");
    feed(h, a, -1, "2.50");
    CHECK(h, a, "1.20");
    void *b = roundtrip(h, a);
    CHECK(h, b, "1.20");
    acc_free(h, a);
    acc_free(h, b);

    /* overflow → NULL, and (Flink's IF(sum IS NULL, x, sum + x)) the next
     * value restarts the sum */
    const struct sql_type *d380 = type_decimal(&h->ar, 38, 0);
    h_bind(h, "SUM", 1, d380, NULL, false, false);
    a = acc_new(h);
    feed(h, a, 1, "99999999999999999999999999999999999999;1");
    CHECK(h, a, "null");
    feed(h, a, 1, "5");
    CHECK(h, a, "5");
    acc_free(h, a);

    /* SUM0: 0 for no values, NOT NULL type */
    h_bind(h, "SUM0", 1, &type_int, NULL, false, false);
    assert_string_equal(rtype(h), "INT NOT NULL");
    a = acc_new(h);
    CHECK(h, a, "0");
    feed(h, a, 1, "NULL;4");
    CHECK(h, a, "4");
    feed(h, a, -1, "4");
    CHECK(h, a, "0");
    acc_free(h, a);
    h_bind(h, "SUM0", 1, d102, NULL, false, false);
    a = acc_new(h);
    CHECK(h, a, "0.00");
    acc_free(h, a);
    h_free(h);
}

/* ---- AVG --------------------------------------------------------------------------- */

static void test_avg(void **state)
{
    (void)state;
    struct h *h = h_new();
    h_bind(h, "AVG", 1, &type_int, NULL, false, false);
    assert_string_equal(rtype(h), "INT");
    void *a = acc_new(h);
    CHECK(h, a, "null");
    feed(h, a, 1, "1;2");
    CHECK(h, a, "1");   /* 3 / 2 truncated */
    feed(h, a, 1, "NULL");
    CHECK(h, a, "1");
    feed(h, a, -1, "1;2;NULL");
    CHECK(h, a, "null");
    assert_true(empty(h, a));
    feed(h, a, 1, "-1;-2");
    CHECK(h, a, "-1");  /* toward zero */
    acc_free(h, a);

    /* the sum is 64-bit: no INT overflow inside AVG */
    a = acc_new(h);
    feed(h, a, 1, "2147483647;2147483647");
    CHECK(h, a, "2147483647");
    acc_free(h, a);

    const struct sql_type *d102 = type_decimal(&h->ar, 10, 2);
    h_bind(h, "AVG", 1, d102, NULL, false, false);
    assert_string_equal(rtype(h), "DECIMAL(38, 6)");
    a = acc_new(h);
    feed(h, a, 1, "1.50;2.25");
    CHECK(h, a, "1.875000");
    feed(h, a, 1, "1.00");
    CHECK(h, a, "1.583333");
    void *b = roundtrip(h, a);
    CHECK(h, b, "1.583333");
    acc_free(h, a);
    acc_free(h, b);
    const struct sql_type *d2010 = type_decimal(&h->ar, 20, 10);
    h_bind(h, "AVG", 1, d2010, NULL, false, false);
    assert_string_equal(rtype(h), "DECIMAL(38, 10)");

    h_bind(h, "AVG", 1, &type_double, NULL, false, false);
    assert_string_equal(rtype(h), "DOUBLE");
    a = acc_new(h);
    feed(h, a, 1, "1;2");
    CHECK(h, a, "1.5");
    acc_free(h, a);
    /* Flink's findAvgAggType keeps FLOAT */
    h_bind(h, "AVG", 1, &type_float, NULL, false, false);
    assert_string_equal(rtype(h), "FLOAT");
    a = acc_new(h);
    feed(h, a, 1, "1;2;4");
    CHECK(h, a, "2.3333333");
    acc_free(h, a);
    h_free(h);
}

/* ---- MIN, MAX ---------------------------------------------------------------------------- */

static void test_minmax(void **state)
{
    (void)state;
    struct h *h = h_new();
    for (int ao = 0; ao < 2; ao++) {
        h_bind(h, "MAX", 1, &type_bigint, NULL, false, ao);
        assert_string_equal(rtype(h), "BIGINT");
        void *a = acc_new(h);
        CHECK(h, a, "null");
        feed(h, a, 1, "3;NULL;-7;12;5");
        CHECK(h, a, "12");
        void *b = roundtrip(h, a);
        CHECK(h, b, "12");
        acc_free(h, b);
        acc_free(h, a);

        h_bind(h, "MIN", 1, &type_string, NULL, false, ao);
        assert_string_equal(rtype(h), "STRING");
        a = acc_new(h);
        feed(h, a, 1, "pear;apple;NULL;zebra;apricot");
        CHECK(h, a, "apple");
        b = roundtrip(h, a);
        CHECK(h, b, "apple");
        acc_free(h, b);
        acc_free(h, a);

        h_bind(h, "MIN", 1, &type_double, NULL, false, ao);
        a = acc_new(h);
        feed(h, a, 1, "2.5;-1.25;NULL;0");
        CHECK(h, a, "-1.25");
        acc_free(h, a);

        const struct sql_type *d = type_decimal(&h->ar, 10, 2);
        h_bind(h, "MAX", 1, d, NULL, false, ao);
        assert_string_equal(rtype(h), "DECIMAL(10, 2)");
        a = acc_new(h);
        feed(h, a, 1, "1.10;-5.00;3.33;NULL");
        CHECK(h, a, "3.33");
        acc_free(h, a);

        h_bind(h, "MAX", 1, &type_boolean, NULL, false, ao);
        a = acc_new(h);
        feed(h, a, 1, "false;NULL");
        CHECK(h, a, "false");
        feed(h, a, 1, "true;false");
        CHECK(h, a, "true");
        acc_free(h, a);

        const struct sql_type *rt = type_with_time_attr(&h->ar, &type_timestamp3, TA_ROWTIME);
        h_bind(h, "MAX", 1, rt, NULL, false, ao);
        assert_string_equal(rtype(h), "TIMESTAMP(3)");   /* no *ROWTIME* */
    }

    /* retraction: the next extreme comes back, duplicates counted */
    h_bind(h, "MAX", 1, &type_int, NULL, false, false);
    void *a = acc_new(h);
    feed(h, a, 1, "5;9;9;7;NULL");
    CHECK(h, a, "9");
    feed(h, a, -1, "9");
    CHECK(h, a, "9");
    feed(h, a, -1, "9");
    CHECK(h, a, "7");
    feed(h, a, -1, "7;5");
    CHECK(h, a, "null");
    assert_false(empty(h, a));   /* the NULL row is still there */
    feed(h, a, -1, "NULL");
    assert_true(empty(h, a));
    acc_free(h, a);

    /* retracting a value never added changes no value (the row counter,
     * which only balances adds against retracts, does move) */
    a = acc_new(h);
    feed(h, a, 1, "7");
    feed(h, a, -1, "42");
    CHECK(h, a, "7");
    acc_free(h, a);

    h_bind(h, "MIN", 1, &type_string, NULL, false, false);
    a = acc_new(h);
    feed(h, a, 1, "b;a;c;a");
    feed(h, a, -1, "a");
    CHECK(h, a, "a");
    feed(h, a, -1, "a");
    CHECK(h, a, "b");
    void *b = roundtrip(h, a);
    CHECK(h, b, "b");
    feed(h, b, -1, "b");
    CHECK(h, b, "c");
    acc_free(h, b);
    acc_free(h, a);

    /* Java Double.compare order: -0.0 < 0.0, NaN is the largest */
    h_bind(h, "MAX", 1, &type_double, NULL, false, true);
    a = acc_new(h);
    feed(h, a, 1, "1;nan;2");
    CHECK(h, a, "NaN");
    acc_free(h, a);
    h_bind(h, "MIN", 1, &type_double, NULL, false, true);
    a = acc_new(h);
    feed(h, a, 1, "0.0;-0.0");
    CHECK(h, a, "-0.0");
    acc_free(h, a);

    /* many values in retract mode: the treap stays right under churn */
    h_bind(h, "MIN", 1, &type_bigint, NULL, false, false);
    a = acc_new(h);
    char buf[64];
    for (int i = 0; i < 3000; i++) {
        snprintf(buf, sizeof buf, "%d", (i * 7919) % 3001);
        feed(h, a, 1, buf);
    }
    for (int i = 0; i < 2000; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        feed(h, a, -1, buf);
    }
    /* 3001 is prime: every value in 0..3000 but (3000 * 7919) % 3001 was
     * added; 0..1999 were retracted (the missing one is ignored) */
    int64_t want = (3000 * 7919) % 3001 == 2000 ? 2001 : 2000;
    snprintf(buf, sizeof buf, "%lld", (long long)want);
    CHECK(h, a, buf);
    acc_free(h, a);
    h_free(h);
}

/* ---- DISTINCT ------------------------------------------------------------------------------ */

static void test_distinct(void **state)
{
    (void)state;
    struct h *h = h_new();
    h_bind(h, "COUNT", 1, &type_int, NULL, true, false);
    assert_string_equal(rtype(h), "BIGINT NOT NULL");
    void *a = acc_new(h);
    feed(h, a, 1, "1;2;2;NULL;3;3;3");
    CHECK(h, a, "3");
    feed(h, a, -1, "3;3");
    CHECK(h, a, "3");
    feed(h, a, -1, "3");
    CHECK(h, a, "2");
    void *b = roundtrip(h, a);
    CHECK(h, b, "2");
    feed(h, b, 1, "3");
    CHECK(h, b, "3");
    feed(h, a, -1, "1;2;2;NULL");
    CHECK(h, a, "0");
    assert_true(empty(h, a));
    acc_free(h, b);
    acc_free(h, a);

    /* SUM(DISTINCT x) and AVG(DISTINCT x) */
    h_bind(h, "SUM", 1, &type_int, NULL, true, false);
    a = acc_new(h);
    feed(h, a, 1, "5;5;10;NULL;10");
    CHECK(h, a, "15");
    feed(h, a, -1, "10");
    CHECK(h, a, "15");
    feed(h, a, -1, "10");
    CHECK(h, a, "5");
    acc_free(h, a);
    h_bind(h, "AVG", 1, &type_double, NULL, true, false);
    a = acc_new(h);
    feed(h, a, 1, "1;1;1;4");
    CHECK(h, a, "2.5");
    acc_free(h, a);

    /* COUNT(DISTINCT a, b): tuples with every part non-NULL */
    h_bind(h, "COUNT", 2, &type_int, &type_string, true, false);
    a = acc_new(h);
    feed(h, a, 1, "1|x;1|x;1|y;2|x;NULL|x;2|NULL;2|x");
    CHECK(h, a, "3");
    feed(h, a, -1, "1|x");
    CHECK(h, a, "3");
    feed(h, a, -1, "1|x");
    CHECK(h, a, "2");
    b = roundtrip(h, a);
    CHECK(h, b, "2");

    /* merge: union of the sets, the inner count follows */
    void *c = acc_new(h);
    feed(h, c, 1, "1|y;3|z;3|z");
    h->ab.ops->merge(b, c, h->ab.state);
    CHECK(h, b, "3");   /* {1|y, 2|x} ∪ {1|y, 3|z} */
    feed(h, b, -1, "1|y");
    CHECK(h, b, "3");   /* 1|y was there twice */
    feed(h, b, -1, "1|y");
    CHECK(h, b, "2");
    acc_free(h, c);
    acc_free(h, b);
    acc_free(h, a);

    /* LISTAGG(DISTINCT x): first occurrences in arrival order */
    const struct sql_type *ts[2] = {&type_string, &type_string};
    assert_int_equal(h_bind_ex(h, "LISTAGG", 2, ts, true, false, "-"), WEIR_OK);
    a = acc_new(h);
    feed(h, a, 1, "b|-;a|-;b|-;c|-");
    CHECK(h, a, "b-a-c");
    acc_free(h, a);

    /* MIN(DISTINCT) needs no set: same slot as MIN */
    h_bind(h, "MIN", 1, &type_int, NULL, false, true);
    size_t plain = h->ab.acc_size;
    h_bind(h, "MIN", 1, &type_int, NULL, true, true);
    assert_int_equal(h->ab.acc_size, plain);

    /* DISTINCT of a string: keys are copied, the batch may go */
    h_bind(h, "COUNT", 1, &type_string, NULL, true, false);
    a = acc_new(h);
    feed(h, a, 1, "aa;bb;aa");
    feed(h, a, 1, "bb;cc");
    CHECK(h, a, "3");
    assert_true(h->ab.ops->mem_size(a, h->ab.state) > 0);
    acc_free(h, a);
    h_free(h);
}

/* ---- shared DISTINCT sets -------------------------------------------------------- */

/*
 * DISTINCT aggregates with the same argument share one set (agg_share_copy):
 * NV variants laid out in one slot, each fed its own rows (a FILTER per
 * variant), must give exactly what private sets give (a reference accumulator
 * per variant), under retraction, past the u16 count (overflow set), through
 * merge, and snapshot to the same bytes as a private set (so checkpoints
 * of either kind restore into the other).
 */
enum { NV = 3 };

struct shared {
    struct h *ref[NV];       /* private DISTINCT accumulators, bound as usual */
    struct h *sh[NV];        /* the same binds, ops/state then shared */
    struct agg_call bound[NV];   /* the calls as bound */
    struct agg_call *calls;      /* the copy sharing one set */
    struct expr col;
    struct expr *args[1];
    size_t off[NV];
    size_t slot_size;
};

static void shared_init(struct shared *s, const char *const *fns, const struct sql_type *t)
{
    memset(s, 0, sizeof *s);
    s->col.kind = EX_COLUMN;
    s->col.type = t;
    s->args[0] = &s->col;
    size_t off = 0;
    for (int j = 0; j < NV; j++) {
        s->ref[j] = h_new();
        s->sh[j] = h_new();
        h_bind(s->ref[j], fns[j], 1, t, NULL, true, false);
        h_bind(s->sh[j], fns[j], 1, t, NULL, true, false);
        s->bound[j] = (struct agg_call){.def = s->sh[j]->ab.def, .ops = s->sh[j]->ab.ops,
                                        .state = s->sh[j]->ab.state,
                                        .acc_size = s->sh[j]->ab.acc_size, .n_args = 1,
                                        .args = s->args, .distinct = true,
                                        .type = s->sh[j]->ab.result};
    }
    s->calls = agg_share_copy(s->bound, NV);
    assert_non_null(s->calls);
    for (int j = 0; j < NV; j++) {
        assert_ptr_not_equal(s->calls[j].ops, s->bound[j].ops);   /* every one shares */
        assert_ptr_equal(s->bound[j].ops, s->sh[j]->ab.ops);      /* the plan's untouched */
        assert_true(s->calls[j].acc_size % 8 == 0);
        s->off[j] = off;
        off += s->calls[j].acc_size;
        s->sh[j]->ab.ops = s->calls[j].ops;
        s->sh[j]->ab.state = s->calls[j].state;
        s->sh[j]->ab.acc_size = s->calls[j].acc_size;
    }
    s->slot_size = off;
    agg_share_place(s->calls, NV, s->off);
}

/* A slot at 8 mod 16 (as acc_alloc), every variant initialised unless raw. */
static char *shared_slot(struct shared *s, bool raw)
{
    char *p = (char *)calloc(1, s->slot_size + 16) + 8;
    for (int j = 0; j < NV && !raw; j++)
        s->calls[j].ops->init(p + s->off[j], s->calls[j].state);
    return p;
}

static void shared_slot_free(struct shared *s, char *p)
{
    for (int j = 0; j < NV; j++)
        s->calls[j].ops->destroy(p + s->off[j], s->calls[j].state);
    free(p - 8);
}

static void shared_free(struct shared *s)
{
    agg_share_free(s->calls, NV);
    for (int j = 0; j < NV; j++) {
        h_free(s->ref[j]);
        h_free(s->sh[j]);
    }
}

/* Every variant's result equals its reference's. */
static void shared_same(struct shared *s, char *slot, void *const *refs)
{
    for (int j = 0; j < NV; j++) {
        char want[512];
        strcpy(want, res(s->ref[j], refs[j]));
        assert_string_equal(res(s->sh[j], slot + s->off[j]), want);
        assert_int_equal(s->sh[j]->ab.ops->is_empty(slot + s->off[j], s->sh[j]->ab.state),
                         s->ref[j]->ab.ops->is_empty(refs[j], s->ref[j]->ab.state));
    }
}

static void test_distinct_shared(void **state)
{
    (void)state;
    static const char *const fns[NV] = {"COUNT", "SUM", "COUNT"};
    struct shared s;
    shared_init(&s, fns, &type_bigint);
    char *slot = shared_slot(&s, false);
    void *refs[NV];
    for (int j = 0; j < NV; j++)
        refs[j] = acc_new(s.ref[j]);

    /* random rows, each to a random subset of the variants (their FILTERs),
     * retracting what was added or values never added */
    uint64_t rng = 12345;
    for (int step = 0; step < 400; step++) {
        char text[256];
        size_t len = 0;
        int n = 1 + step % 7;
        for (int r = 0; r < n; r++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            int v = (int)(rng >> 40) % 24;
            if (v == 23)
                len += (size_t)snprintf(text + len, sizeof text - len, "%sNULL", r ? ";" : "");
            else
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%d", r ? ";" : "",
                                        v * 7 - 30);
        }
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int mask = (int)(rng >> 50) & 7;
        int sign = (rng >> 40) % 3 == 0 ? -1 : 1;
        for (int j = 0; j < NV; j++) {
            if (!(mask & 1 << j))
                continue;
            feed(s.ref[j], refs[j], sign, text);
            feed(s.sh[j], slot + s.off[j], sign, text);
        }
        shared_same(&s, slot, refs);
    }

    /* one variant past the u16 count of a value, and back */
    char big[4096];
    size_t blen = 0;
    for (int r = 0; r < 1000; r++)
        blen += (size_t)snprintf(big + blen, sizeof big - blen, "%s777", r ? ";" : "");
    for (int k = 0; k < 70; k++) {
        feed(s.ref[1], refs[1], 1, big);
        feed(s.sh[1], slot + s.off[1], 1, big);
    }
    feed(s.ref[2], refs[2], 1, "777");
    feed(s.sh[2], slot + s.off[2], 1, "777");
    shared_same(&s, slot, refs);
    for (int k = 0; k < 69; k++) {
        feed(s.ref[1], refs[1], -1, big);
        feed(s.sh[1], slot + s.off[1], -1, big);
        shared_same(&s, slot, refs);
    }

    /* the set is counted once, by its owner; mem_size of the others is their
     * inner function's (COUNT, SUM: nothing out of line) */
    assert_true(s.sh[0]->ab.ops->mem_size(slot + s.off[0], s.sh[0]->ab.state) > 0);
    for (int j = 1; j < NV; j++)
        assert_int_equal(s.sh[j]->ab.ops->mem_size(slot + s.off[j], s.sh[j]->ab.state), 0);

    /* snapshots: byte for byte a private set's; restoring a private set's
     * record (a checkpoint from before sharing) into a shared slot, in
     * aggregate order, gives the same accumulators */
    struct strbuf a[NV], b[NV];
    char *back = shared_slot(&s, true);
    for (int j = 0; j < NV; j++) {
        memset(&a[j], 0, sizeof a[j]);
        memset(&b[j], 0, sizeof b[j]);
        s.ref[j]->ab.ops->snapshot(refs[j], &a[j], s.ref[j]->ab.state);
        s.sh[j]->ab.ops->snapshot(slot + s.off[j], &b[j], s.sh[j]->ab.state);
        assert_int_equal(a[j].len, b[j].len);
        assert_memory_equal(a[j].buf, b[j].buf, a[j].len);
        assert_int_equal(s.calls[j].ops->restore(back + s.off[j], a[j].buf, a[j].len,
                                                 s.calls[j].state),
                         (int)a[j].len);
    }
    shared_same(&s, back, refs);

    /* a bad record of the last variant: what it added goes with the owner */
    char *bad = shared_slot(&s, true);
    for (int j = 0; j < NV - 1; j++)
        assert_true(s.calls[j].ops->restore(bad + s.off[j], a[j].buf, a[j].len,
                                            s.calls[j].state) > 0);
    assert_int_equal(s.calls[NV - 1].ops->restore(bad + s.off[NV - 1], a[NV - 1].buf,
                                                  a[NV - 1].len - 3, s.calls[NV - 1].state),
                     -1);
    for (int j = 0; j < NV - 1; j++)
        s.calls[j].ops->destroy(bad + s.off[j], s.calls[j].state);
    free(bad - 8);

    /* merge, variant by variant, as the private sets merge */
    char *other = shared_slot(&s, false);
    void *orefs[NV];
    for (int j = 0; j < NV; j++) {
        orefs[j] = acc_new(s.ref[j]);
        const char *rows = j == 1 ? "777;-2;5;NULL;1000" : "1;2;3;777;-30;-30";
        feed(s.ref[j], orefs[j], 1, rows);
        feed(s.sh[j], other + s.off[j], 1, rows);
    }
    for (int j = 0; j < NV; j++) {
        s.ref[j]->ab.ops->merge(refs[j], orefs[j], s.ref[j]->ab.state);
        s.sh[j]->ab.ops->merge(back + s.off[j], other + s.off[j], s.sh[j]->ab.state);
    }
    shared_same(&s, back, refs);

    for (int j = 0; j < NV; j++) {
        acc_free(s.ref[j], orefs[j]);
        sb_free(&a[j]);
        sb_free(&b[j]);
    }
    shared_slot_free(&s, other);
    shared_slot_free(&s, back);
    for (int j = 0; j < NV; j++)
        acc_free(s.ref[j], refs[j]);
    shared_slot_free(&s, slot);
    shared_free(&s);
}

/* String values (copied into the shared set, retracted from it); then what
 * does not share: MAX(DISTINCT) keeps no set, and a lone DISTINCT keeps its
 * private one. */
static void test_distinct_shared_strings(void **state)
{
    (void)state;
    static const char *const fns[NV] = {"COUNT", "COUNT", "COUNT"};
    struct shared s;
    shared_init(&s, fns, &type_string);
    char *slot = shared_slot(&s, false);
    void *refs[NV];
    for (int j = 0; j < NV; j++)
        refs[j] = acc_new(s.ref[j]);
    static const char *const rows[] = {"aa;bb;aa", "cc;NULL;dd", "aa;zz", "bb;bb;ee"};
    for (int k = 0; k < 12; k++) {
        int j = k % NV, sign = k >= 8 ? -1 : 1;
        feed(s.ref[j], refs[j], sign, rows[k % 4]);
        feed(s.sh[j], slot + s.off[j], sign, rows[k % 4]);
        shared_same(&s, slot, refs);
    }
    for (int j = 0; j < NV; j++)
        acc_free(s.ref[j], refs[j]);
    shared_slot_free(&s, slot);
    shared_free(&s);

    /* MAX(DISTINCT) keeps no set, so it does not share; one lone DISTINCT
     * keeps its private set */
    struct h *h[2] = {h_new(), h_new()};
    h_bind(h[0], "MAX", 1, &type_string, NULL, true, false);
    h_bind(h[1], "COUNT", 1, &type_string, NULL, true, false);
    struct expr col = {.kind = EX_COLUMN, .type = &type_string};
    struct expr *args[1] = {&col};
    struct agg_call calls[2];
    for (int j = 0; j < 2; j++)
        calls[j] = (struct agg_call){.def = h[j]->ab.def, .ops = h[j]->ab.ops,
                                     .state = h[j]->ab.state, .acc_size = h[j]->ab.acc_size,
                                     .n_args = 1, .args = args, .distinct = true};
    assert_null(agg_share_copy(calls, 2));
    h_free(h[0]);
    h_free(h[1]);
}

/* COUNT(DISTINCT) over batches of 1000 rows (its probes are hashed ahead in
 * runs of 64) spread over two accumulators, with NULLs and a selection that
 * skips rows: every count exact, retraction included. */
static void test_distinct_large_batches(void **state)
{
    (void)state;
    struct h *h = h_new();
    h_bind(h, "COUNT", 1, &type_bigint, NULL, true, false);
    void *a = acc_new(h), *b = acc_new(h);
    struct vec v;
    vec_init(&v, &type_bigint, 1000, &h->ar);
    void *accs[1000];
    uint16_t rows[1000];
    for (int sign = 1; sign >= -1; sign -= 2) {
        for (int64_t base = 0; base < 30000; base += 1000) {
            int n = 0;
            for (int i = 0; i < 1000; i++) {
                int64_t x = base + i;
                v.i64[i] = x % 5000;
                if (x % 7 == 0)
                    vec_set_null(&v, i);   /* each value six times over the run */
                if (x % 11 == 0)
                    continue;              /* not selected */
                accs[n] = x % 2 ? a : b;
                rows[n++] = (uint16_t)i;
            }
            h->ab.ops->update(accs, &v, rows, n, sign, h->ab.state);
            vec_set_all_valid(&v);
        }
        /* a: odd x, b: even x; x % 5000 keeps x's parity (5000 is even) */
        int64_t want_a = 0, want_b = 0;
        for (int64_t y = 0; y < 5000; y++) {
            bool seen = false;
            for (int64_t x = y; x < 30000 && !seen; x += 5000)
                seen = x % 7 != 0 && x % 11 != 0;
            if (seen)
                *(y % 2 ? &want_a : &want_b) += 1;
        }
        char wa[32], wb[32];
        snprintf(wa, sizeof wa, "%lld", sign > 0 ? (long long)want_a : 0LL);
        snprintf(wb, sizeof wb, "%lld", sign > 0 ? (long long)want_b : 0LL);
        CHECK(h, a, wa);
        CHECK(h, b, wb);
    }
    assert_true(empty(h, a) && empty(h, b));
    vec_free(&v);
    acc_free(h, b);
    acc_free(h, a);
    h_free(h);
}

/* ---- merge --------------------------------------------------------------------------------- */

static void test_merge(void **state)
{
    (void)state;
    struct h *h = h_new();
    struct {
        const char *fn;
        const struct sql_type *t;
        bool ao;
        const char *x, *y, *want;
    } cases[] = {
        {"COUNT", &type_int, false, "1;NULL;2", "3", "3"},
        {"SUM", &type_int, false, "1;2", "NULL", "3"},
        {"SUM", &type_double, false, "0.5", "0.25", "0.75"},
        {"AVG", &type_bigint, false, "1;2", "6", "3"},
        {"MIN", &type_int, false, "5;3", "4;1", "1"},
        {"MIN", &type_int, true, "5;3", "4;1", "1"},
        {"MAX", &type_string, true, "a;c", "b", "c"},
        {"MAX", &type_string, false, "a", "b;c", "c"},
        {"FIRST_VALUE", &type_int, true, "NULL", "7;8", "7"},
        {"FIRST_VALUE", &type_int, false, "1;2", "7;8", "1"},
        {"LAST_VALUE", &type_int, true, "1;2", "7;8", "8"},
        {"LAST_VALUE", &type_string, false, "a", "b;NULL", "b"},
        {"LISTAGG", &type_string, true, "a;b", "c", "a,b,c"},
        {"LISTAGG", &type_string, false, "a", "b;c", "a,b,c"},
        {"VAR_POP", &type_double, false, "2;4;4;4", "5;5;7;9", "4.0"},
        {"STDDEV_POP", &type_double, false, "2;4;4;4", "5;5;7;9", "2.0"},
        {"APPROX_COUNT_DISTINCT", &type_int, false, "1;2;3", "3;4", "4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h_bind(h, cases[i].fn, 1, cases[i].t, NULL, false, cases[i].ao);
        void *a = acc_new(h), *b = acc_new(h), *e = acc_new(h);
        feed(h, a, 1, cases[i].x);
        feed(h, b, 1, cases[i].y);
        h->ab.ops->merge(a, b, h->ab.state);
        if (strcmp(res(h, a), cases[i].want) != 0)
            fail_msg("merge %s: got %s, want %s", cases[i].fn, h->buf, cases[i].want);
        /* merging an empty slot changes nothing */
        h->ab.ops->merge(a, e, h->ab.state);
        CHECK(h, a, cases[i].want);
        acc_free(h, a);
        acc_free(h, b);
        acc_free(h, e);
    }
    h_free(h);
}

/* ---- FIRST_VALUE, LAST_VALUE ------------------------------------------------------------ */

static void test_first_last(void **state)
{
    (void)state;
    struct h *h = h_new();
    for (int ao = 0; ao < 2; ao++) {
        h_bind(h, "FIRST_VALUE", 1, &type_string, NULL, false, ao);
        assert_string_equal(rtype(h), "STRING");
        void *a = acc_new(h);
        CHECK(h, a, "null");
        feed(h, a, 1, "NULL;b;a;c");
        CHECK(h, a, "b");   /* NULLs are skipped */
        void *b = roundtrip(h, a);
        CHECK(h, b, "b");
        acc_free(h, b);
        acc_free(h, a);

        h_bind(h, "LAST_VALUE", 1, &type_bigint, NULL, false, ao);
        a = acc_new(h);
        feed(h, a, 1, "1;2;3;NULL");
        CHECK(h, a, "3");
        b = roundtrip(h, a);
        CHECK(h, b, "3");
        acc_free(h, b);
        acc_free(h, a);
    }

    /* retraction removes the oldest occurrence */
    h_bind(h, "FIRST_VALUE", 1, &type_int, NULL, false, false);
    void *a = acc_new(h);
    feed(h, a, 1, "5;6;5;7");
    feed(h, a, -1, "5");
    CHECK(h, a, "6");
    feed(h, a, -1, "6");
    CHECK(h, a, "5");
    feed(h, a, -1, "5;7");
    CHECK(h, a, "null");
    assert_true(empty(h, a));
    feed(h, a, 1, "9");
    CHECK(h, a, "9");
    acc_free(h, a);

    h_bind(h, "LAST_VALUE", 1, &type_string, NULL, false, false);
    a = acc_new(h);
    feed(h, a, 1, "x;y;z");
    feed(h, a, -1, "z");
    CHECK(h, a, "y");
    feed(h, a, 1, "w");
    CHECK(h, a, "w");
    feed(h, a, -1, "w;y");
    CHECK(h, a, "x");
    acc_free(h, a);
    h_free(h);
}

/* ---- LISTAGG ------------------------------------------------------------------------------- */

static void test_listagg(void **state)
{
    (void)state;
    struct h *h = h_new();
    const struct sql_type *ts[2] = {&type_string, &type_string};
    for (int ao = 0; ao < 2; ao++) {
        assert_int_equal(h_bind_ex(h, "LISTAGG", 1, ts, false, ao, NULL), WEIR_OK);
        assert_string_equal(rtype(h), "STRING");
        void *a = acc_new(h);
        CHECK(h, a, "null");
        feed(h, a, 1, "a;NULL;b;c");
        CHECK(h, a, "a,b,c");
        void *b = roundtrip(h, a);
        CHECK(h, b, "a,b,c");
        acc_free(h, b);
        acc_free(h, a);

        assert_int_equal(h_bind_ex(h, "LISTAGG", 2, ts, false, ao, " | "), WEIR_OK);
        a = acc_new(h);
        feed(h, a, 1, "a|x;b|x;|x;c|x");
        CHECK(h, a, "a | b |  | c");   /* an empty string is a value */
        acc_free(h, a);

        assert_int_equal(h_bind_ex(h, "LISTAGG", 2, ts, false, ao, ""), WEIR_OK);
        a = acc_new(h);
        feed(h, a, 1, "a|x;b|x");
        CHECK(h, a, "ab");
        acc_free(h, a);
    }

    /* retraction removes one (the oldest) occurrence */
    assert_int_equal(h_bind_ex(h, "LISTAGG", 2, ts, false, false, ";"), WEIR_OK);
    void *a = acc_new(h);
    feed(h, a, 1, "a|x");
    feed(h, a, 1, "b|x");
    feed(h, a, 1, "a|x");
    CHECK(h, a, "a;b;a");
    feed(h, a, -1, "a|x");
    CHECK(h, a, "b;a");
    feed(h, a, -1, "b|x");
    feed(h, a, -1, "a|x");
    CHECK(h, a, "null");
    assert_true(empty(h, a));
    acc_free(h, a);

    /* a non-literal separator is refused; non-strings too */
    assert_int_equal(h_bind_ex(h, "LISTAGG", 2, ts, false, false, NULL), WEIR_ERR_BIND);
    assert_non_null(strstr(h->err.message, "LISTAGG expects a literal separator"));
    const struct sql_type *ti[1] = {&type_int};
    assert_int_equal(h_bind_ex(h, "LISTAGG", 1, ti, false, false, NULL), WEIR_ERR_BIND);
    assert_string_equal(h->err.message, "LISTAGG expects a string argument, got INT");
    h_free(h);
}

/* ---- variance family -------------------------------------------------------------------- */

static void test_stddev(void **state)
{
    (void)state;
    struct h *h = h_new();
    static const struct {
        const char *fn, *want;
    } dbl[] = {
        {"VAR_POP", "4.0"},
        {"STDDEV_POP", "2.0"},
        {"VAR_SAMP", "4.571428571428571"},
        {"VARIANCE", "4.571428571428571"},
        {"STDDEV_SAMP", "2.138089935299395"},
        {"STDDEV", "2.138089935299395"},
    };
    for (size_t i = 0; i < sizeof dbl / sizeof dbl[0]; i++) {
        h_bind(h, dbl[i].fn, 1, &type_double, NULL, false, false);
        assert_string_equal(rtype(h), "DOUBLE");
        void *a = acc_new(h);
        CHECK(h, a, "null");
        feed(h, a, 1, "2;4;4;4;5;5;7;9;NULL");
        CHECK(h, a, dbl[i].want);
        void *b = roundtrip(h, a);
        CHECK(h, b, dbl[i].want);
        /* retract back to one value, then to empty */
        feed(h, a, -1, "2;4;4;4;5;5;7;NULL");
        CHECK(h, a, strstr(dbl[i].fn, "POP") ? "0.0" : "null");
        feed(h, a, -1, "9");
        CHECK(h, a, "null");
        assert_true(empty(h, a));
        acc_free(h, b);
        acc_free(h, a);
    }

    /* STDDEV_SAMP of one value is NULL; STDDEV_POP of one is 0 */
    h_bind(h, "STDDEV_SAMP", 1, &type_double, NULL, false, false);
    void *a = acc_new(h);
    feed(h, a, 1, "3.5");
    CHECK(h, a, "null");
    acc_free(h, a);

    /* integer input keeps its type, truncated (Calcite's AVG-type rule) */
    h_bind(h, "STDDEV_SAMP", 1, &type_int, NULL, false, false);
    assert_string_equal(rtype(h), "INT");
    a = acc_new(h);
    feed(h, a, 1, "2;4;4;4;5;5;7;9");
    CHECK(h, a, "2");
    acc_free(h, a);

    const struct sql_type *d = type_decimal(&h->ar, 10, 2);
    h_bind(h, "VAR_POP", 1, d, NULL, false, false);
    assert_string_equal(rtype(h), "DECIMAL(38, 6)");
    a = acc_new(h);
    feed(h, a, 1, "1.00;2.00;3.00;4.00");
    CHECK(h, a, "1.250000");
    acc_free(h, a);

    /* precision: a large offset does not destroy the variance */
    h_bind(h, "VAR_POP", 1, &type_double, NULL, false, false);
    a = acc_new(h);
    feed(h, a, 1, "1000000004;1000000007;1000000013;1000000016");
    CHECK(h, a, "22.5");
    acc_free(h, a);
    h_free(h);
}

/* ---- APPROX_COUNT_DISTINCT --------------------------------------------------------------- */

static void hll_feed_range(struct h *h, void *acc, int64_t from, int64_t to, int64_t mul)
{
    struct vec v;
    vec_init(&v, &type_bigint, 2048, &h->ar);
    void *accs[2048];
    uint16_t rows[2048];
    for (int i = 0; i < 2048; i++) {
        accs[i] = acc;
        rows[i] = (uint16_t)i;
    }
    for (int64_t x = from; x < to;) {
        int n = 0;
        while (n < 2048 && x < to)
            v.i64[n++] = (x++) * mul;
        h->ab.ops->update(accs, &v, rows, n, 1, h->ab.state);
    }
    vec_free(&v);
}

static void test_hll(void **state)
{
    (void)state;
    struct h *h = h_new();
    h_bind(h, "APPROX_COUNT_DISTINCT", 1, &type_bigint, NULL, false, false);
    assert_string_equal(rtype(h), "BIGINT NOT NULL");
    void *a = acc_new(h);
    CHECK(h, a, "0");
    assert_int_equal(h->ab.ops->mem_size(a, h->ab.state), 0);
    feed(h, a, 1, "NULL");
    CHECK(h, a, "0");

    /* 1M distinct values (each twice): error bound 1.04/sqrt(2^14) = 0.81%
     * standard error; accept 3% (3.7 sigma) */
    hll_feed_range(h, a, 0, 1000000, 1);
    hll_feed_range(h, a, 0, 1000000, 1);
    long long est = atoll(res(h, a));
    double rel = fabs((double)est - 1e6) / 1e6;
    if (rel > 0.03)
        fail_msg("HLL estimate %lld for 1000000 distinct (%.2f%%)", est, rel * 100);
    assert_int_equal(h->ab.ops->mem_size(a, h->ab.state), 1 << 14);
    void *b = roundtrip(h, a);
    assert_int_equal(atoll(res(h, b)), est);

    /* small cardinalities go through linear counting: near exact */
    void *c = acc_new(h);
    hll_feed_range(h, c, 0, 1000, 7919);
    long long small = atoll(res(h, c));
    assert_true(small >= 985 && small <= 1015);

    /* merge = union */
    void *d = acc_new(h);
    hll_feed_range(h, d, 500000, 1500000, 1);
    h->ab.ops->merge(b, d, h->ab.state);
    est = atoll(res(h, b));
    rel = fabs((double)est - 1.5e6) / 1.5e6;
    if (rel > 0.03)
        fail_msg("HLL merged estimate %lld for 1500000 distinct", est);

    /* strings hash too */
    h_bind(h, "APPROX_COUNT_DISTINCT", 1, &type_string, NULL, false, false);
    void *s = acc_new(h);
    feed(h, s, 1, "a;b;c;a;NULL");
    CHECK(h, s, "3");
    /* append-only: a retraction only counts rows for is_empty */
    feed(h, s, -1, "a;b;c;a;NULL");
    assert_true(empty(h, s));
    acc_free(h, s);
    h_bind(h, "APPROX_COUNT_DISTINCT", 1, &type_bigint, NULL, false, false);
    acc_free(h, a);
    acc_free(h, b);
    acc_free(h, c);
    acc_free(h, d);
    h_free(h);
}

/* ---- snapshot/restore of every aggregate, in both shapes ---------------------------------- */

static void test_snapshot_all(void **state)
{
    (void)state;
    struct h *h = h_new();
    const struct sql_type *d = type_decimal(&h->ar, 12, 3);
    struct {
        const char *fn;
        const struct sql_type *t;
        const char *rows;
    } cases[] = {
        {"COUNT", &type_int, "1;NULL;2"},
        {"SUM", d, "1.500;2.250"},
        {"SUM", &type_smallint, "1;2"},
        {"SUM0", &type_double, "1.5"},
        {"AVG", d, "1.000;2.000"},
        {"MIN", d, "3.000;-1.000"},
        {"MAX", &type_date, "100;200"},
        {"FIRST_VALUE", d, "1.000;2.000"},
        {"LAST_VALUE", &type_boolean, "true;false"},
        {"LISTAGG", &type_string, "x;y"},
        {"STDDEV_POP", &type_int, "1;5"},
        {"VAR_SAMP", &type_double, "1;2;3"},
        {"APPROX_COUNT_DISTINCT", &type_string, "p;q"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int mode = 0; mode < 3; mode++) {
            /* mode 0: retracting, 1: append-only, 2: DISTINCT */
            h_bind(h, cases[i].fn, 1, cases[i].t, NULL, mode == 2, mode == 1);
            void *a = acc_new(h);
            void *e = roundtrip(h, a);   /* empty slots too */
            feed(h, a, 1, cases[i].rows);
            char want[512];
            strcpy(want, res(h, a));
            void *b = roundtrip(h, a);
            if (strcmp(res(h, b), want) != 0)
                fail_msg("%s mode %d: restored %s, want %s", cases[i].fn, mode, h->buf, want);
            assert_true(empty(h, e));
            assert_false(empty(h, b));
            acc_free(h, e);
            acc_free(h, b);
            acc_free(h, a);
        }
    }
    h_free(h);
}

/* ---- mem_size ------------------------------------------------------------------------------- */

static void test_mem_size(void **state)
{
    (void)state;
    struct h *h = h_new();
    const struct sql_type *ts[1] = {&type_string};
    struct {
        const char *fn;
        bool ao;
        bool distinct;
    } cases[] = {
        {"MIN", false, false},         {"MAX", true, false},
        {"FIRST_VALUE", false, false}, {"LISTAGG", true, false},
        {"LISTAGG", false, false},     {"COUNT", false, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(
            h_bind_ex(h, cases[i].fn, 1, ts, cases[i].distinct, cases[i].ao, NULL), WEIR_OK);
        void *a = acc_new(h);
        size_t m0 = h->ab.ops->mem_size ? h->ab.ops->mem_size(a, h->ab.state) : 0;
        assert_int_equal(m0, 0);
        feed(h, a, 1, "a-long-enough-string-value-1");
        size_t m1 = h->ab.ops->mem_size(a, h->ab.state);
        assert_true(m1 > m0);
        char buf[64];
        for (int k = 0; k < 200; k++) {
            snprintf(buf, sizeof buf, "z-another-long-string-value-%d", k);
            feed(h, a, 1, buf);
        }
        size_t m2 = h->ab.ops->mem_size(a, h->ab.state);
        /* append-only MAX keeps one value; the others keep them all */
        if (strcmp(cases[i].fn, "MAX") == 0)
            assert_true(m2 < 100);
        else
            assert_true(m2 > m1 + 200 * 20);
        acc_free(h, a);
    }
    h_free(h);
}

/* ---- several groups in one batch ------------------------------------------------------------ */

static void test_many_groups(void **state)
{
    (void)state;
    struct h *h = h_new();
    h_bind(h, "SUM", 1, &type_bigint, NULL, false, false);
    void *g[3] = {acc_new(h), acc_new(h), acc_new(h)};
    struct vec v;
    vec_init(&v, &type_bigint, 12, &h->ar);
    void *accs[6];
    uint16_t rows[6];
    /* rows 10, 3, 7, 1, 5, 11 → groups 0,1,2,0,1,2 (with a selection-like order) */
    const int rs[6] = {10, 3, 7, 1, 5, 11};
    for (int k = 0; k < 6; k++) {
        v.i64[rs[k]] = k + 1;
        accs[k] = g[k % 3];
        rows[k] = (uint16_t)rs[k];
    }
    vec_set_null(&v, 5);   /* row 5 → group 1 ignored */
    h->ab.ops->update(accs, &v, rows, 6, 1, h->ab.state);
    CHECK(h, g[0], "5");
    CHECK(h, g[1], "2");
    CHECK(h, g[2], "9");
    vec_free(&v);
    for (int i = 0; i < 3; i++)
        acc_free(h, g[i]);
    h_free(h);
}

/* ---- bind errors --------------------------------------------------------------------------- */

static void test_bind_errors(void **state)
{
    (void)state;
    struct h *h = h_new();
    const struct sql_type *ts[1] = {&type_string};
    assert_int_equal(h_bind_ex(h, "SUM", 1, ts, false, false, NULL), WEIR_ERR_BIND);
    assert_string_equal(h->err.message, "SUM expects a numeric argument, got STRING");
    assert_int_equal(h->err.loc.offset, 0);
    assert_int_equal(h_bind_ex(h, "AVG", 1, ts, false, false, NULL), WEIR_ERR_BIND);
    assert_string_equal(h->err.message, "AVG expects a numeric argument, got STRING");
    assert_int_equal(h_bind_ex(h, "STDDEV_POP", 1, ts, false, false, NULL), WEIR_ERR_BIND);
    assert_string_equal(h->err.message, "STDDEV_POP expects a numeric argument, got STRING");

    struct sql_type *arr = type_new(&h->ar, T_ARRAY);
    arr->elem = &type_int;
    const struct sql_type *ta[1] = {arr};
    assert_int_equal(h_bind_ex(h, "MAX", 1, ta, false, false, NULL), WEIR_ERR_BIND);
    assert_non_null(strstr(h->err.message, "MAX expects a comparable argument"));
    assert_non_null(strstr(h->err.message, "ARRAY<INT>"));
    /* COUNT(arr) is fine, COUNT(DISTINCT arr) is not */
    assert_int_equal(h_bind_ex(h, "COUNT", 1, ta, false, false, NULL), WEIR_OK);
    assert_int_equal(h_bind_ex(h, "COUNT", 1, ta, true, false, NULL), WEIR_ERR_BIND);
    assert_non_null(strstr(h->err.message, "COUNT (DISTINCT ...) does not support"));

    /* a bare NULL argument is typed INT for SUM */
    const struct sql_type *tn[1] = {&type_null};
    assert_int_equal(h_bind_ex(h, "SUM", 1, tn, false, false, NULL), WEIR_OK);
    assert_ptr_equal(h->casts[0], &type_int);
    h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),    cmocka_unit_test(test_count),
        cmocka_unit_test(test_sum),         cmocka_unit_test(test_avg),
        cmocka_unit_test(test_minmax),      cmocka_unit_test(test_distinct),
        cmocka_unit_test(test_distinct_large_batches),
        cmocka_unit_test(test_distinct_shared),
        cmocka_unit_test(test_distinct_shared_strings),
        cmocka_unit_test(test_merge),       cmocka_unit_test(test_first_last),
        cmocka_unit_test(test_listagg),     cmocka_unit_test(test_stddev),
        cmocka_unit_test(test_hll),         cmocka_unit_test(test_snapshot_all),
        cmocka_unit_test(test_mem_size),    cmocka_unit_test(test_many_groups),
        cmocka_unit_test(test_bind_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
