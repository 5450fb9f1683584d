/*
 * agg_more.c — the less common aggregates: FIRST_VALUE, LAST_VALUE, LISTAGG,
 * the variance family (VAR_POP, VAR_SAMP, VARIANCE, STDDEV_POP, STDDEV_SAMP,
 * STDDEV) and APPROX_COUNT_DISTINCT.
 *
 * FIRST/LAST_VALUE and LISTAGG work in arrival order and skip NULLs (Flink's
 * ignoreNull default).  Append-only call sites (ab->append_only) keep O(1)
 * state: the first value, the last value, the concatenation so far.  Otherwise
 * they keep every live value in arrival order (agg_seq); a retraction removes
 * the oldest occurrence of the value, as Flink's *WithRetract functions do.
 * A retraction of a value that is not there is ignored (Flink's ListAgg parks
 * it in a retractList to cancel a later add; weir does not).
 *
 * Variance: Welford's online algorithm in double, with the exact inverse step
 * for retraction and Chan's formula for merge — the same as Flink's
 * WELFORD_M2 rewrite (Flink 2.x), so the results round the same way.  Error
 * grows like O(n·eps) relative to the spread, instead of the catastrophic
 * cancellation of sum/sum-of-squares.  Result type is Flink's (Calcite's
 * AVG_AGG_FUNCTION rule): integer input → the same integer type (the double
 * result truncated, as CAST does), FLOAT/DOUBLE → the same, DECIMAL(p, s) →
 * DECIMAL(38, max(6, s)).  VAR_SAMP/STDDEV_SAMP of fewer than two values is
 * NULL; VARIANCE = VAR_SAMP, STDDEV = STDDEV_SAMP.
 *
 * APPROX_COUNT_DISTINCT: HyperLogLog with 2^14 one-byte registers (16 KiB per
 * group, allocated at the first value) over a 64-bit hash; relative standard
 * error 1.04 / sqrt(2^14) ≈ 0.81% (so within ±2.5% for 99.7% of estimates
 * above ~80k), exact-ish below ~40k through linear counting.  Result BIGINT
 * NOT NULL, 0 for no values.  HLL cannot forget: it is append-only, and a
 * retraction only decrements the row counter that drives is_empty().
 *
 * Snapshots (host byte order):
 *   FIRST/LAST_VALUE  i64 rows; append-only: i64 n, value if n > 0;
 *                     else the sequence (agg_seq_snapshot)
 *   LISTAGG           i64 rows; append-only: i64 n, u32 len + bytes;
 *                     else the sequence
 *   variance          i64 n, f64 mean, f64 m2, i64 rows
 *   HLL               i64 rows, u8 present, 2^14 register bytes if present
 */
#include <math.h>
#include <string.h>

#include "core/decimal.h"
#include "exec/agg_int.h"

static void put_null(struct vec *out, int row) { vec_set_null(out, row); }

/* ---- FIRST_VALUE, LAST_VALUE -------------------------------------------------------- */

struct fl_state {
    int kind;
    bool last;
    bool append_only;
};

struct acc_fl {
    union agg_val v;       /* append-only: the first / last value (strings owned) */
    int64_t n;             /* append-only: non-NULL values */
    int64_t rows;          /* every row */
    struct agg_seq seq;    /* retracting only */
};

static void fl_init(void *acc, const void *state)
{
    (void)state;
    memset(acc, 0, sizeof(struct acc_fl));
}

static void fl_update(void **accs, const struct vec *args, const uint16_t *rows, int n,
                      int sign, const void *state)
{
    const struct fl_state *fs = state;
    const struct vec *v = &args[0];
    for (int k = 0; k < n; k++) {
        struct acc_fl *a = accs[k];
        int r = rows[k];
        a->rows += sign;
        if (vec_is_null(v, r))
            continue;
        union agg_val x;
        agg_val_get(fs->kind, v, r, &x);
        if (!fs->append_only) {
            if (sign > 0)
                agg_seq_push(&a->seq, fs->kind, &x);
            else
                agg_seq_remove(&a->seq, fs->kind, &x);
            continue;
        }
        if (sign < 0)
            continue;   /* the caller promised no retraction */
        if (fs->last || a->n == 0) {
            agg_val_free(fs->kind, &a->v);
            a->v = x;
            agg_val_own(fs->kind, &a->v);
        }
        a->n++;
    }
}

static void fl_merge(void *into, const void *from, const void *state)
{
    /* `from` holds the later rows (session windows merge in time order) */
    const struct fl_state *fs = state;
    struct acc_fl *a = into;
    const struct acc_fl *b = from;
    a->rows += b->rows;
    if (!fs->append_only) {
        int32_t pos = 0;
        const union agg_val *v;
        while ((v = agg_seq_next(&b->seq, &pos)) != NULL)
            agg_seq_push(&a->seq, fs->kind, v);
        return;
    }
    if (b->n <= 0)
        return;
    if (fs->last || a->n <= 0) {
        agg_val_free(fs->kind, &a->v);
        a->v = b->v;
        agg_val_own(fs->kind, &a->v);
    }
    a->n += b->n;
}

static void fl_result(const void *acc, struct vec *out, int row, const void *state)
{
    const struct fl_state *fs = state;
    const struct acc_fl *a = acc;
    const union agg_val *v;
    if (fs->append_only)
        v = a->n > 0 ? &a->v : NULL;
    else
        v = fs->last ? agg_seq_last(&a->seq) : agg_seq_first(&a->seq);
    if (v)
        agg_val_put(fs->kind, out, row, v);
    else
        put_null(out, row);
}

static bool fl_is_empty(const void *acc, const void *state)
{
    (void)state;
    return ((const struct acc_fl *)acc)->rows == 0;
}

static void fl_destroy(void *acc, const void *state)
{
    const struct fl_state *fs = state;
    struct acc_fl *a = acc;
    agg_val_free(fs->kind, &a->v);
    agg_seq_free(&a->seq, fs->kind);
}

static size_t fl_mem_size(const void *acc, const void *state)
{
    const struct fl_state *fs = state;
    const struct acc_fl *a = acc;
    size_t n = agg_seq_mem(&a->seq);
    if (fs->append_only && a->n > 0)
        n += agg_val_heap(fs->kind, &a->v);
    return n;
}

static void fl_snapshot(const void *acc, struct strbuf *out, const void *state)
{
    const struct fl_state *fs = state;
    const struct acc_fl *a = acc;
    snap_put_i64(out, a->rows);
    if (!fs->append_only) {
        agg_seq_snapshot(&a->seq, fs->kind, out);
        return;
    }
    snap_put_i64(out, a->n);
    if (a->n > 0)
        agg_put_val(out, fs->kind, &a->v);
}

static int fl_restore(void *acc, const char *p, size_t len, const void *state)
{
    const struct fl_state *fs = state;
    struct acc_fl *a = acc;
    struct snap_rd rd = {p, len, 0, false};
    fl_init(acc, state);
    a->rows = snap_get_i64(&rd);
    if (!fs->append_only)
        return agg_seq_restore(&a->seq, fs->kind, &rd) ? (int)rd.pos : -1;
    a->n = snap_get_i64(&rd);
    if (a->n > 0 && !agg_get_val(&rd, fs->kind, &a->v))
        return -1;
    return rd.bad ? -1 : (int)rd.pos;
}

static const struct agg_ops fl_ops = {
    .init = fl_init,
    .update = fl_update,
    .merge = fl_merge,
    .result = fl_result,
    .is_empty = fl_is_empty,
    .destroy = fl_destroy,
    .mem_size = fl_mem_size,
    .snapshot = fl_snapshot,
    .restore = fl_restore,
};

static int fl_bind(struct agg_bind *ab, struct weir_error *err, bool last)
{
    if (ab->n_args != 1)
        return agg_bind_fail(ab, err, "expects one argument, got %d", ab->n_args);
    const struct sql_type *t = ab->arg_types[0];
    int kind = agg_kind_of(t);
    if (kind < 0)
        return agg_bind_fail(ab, err, "does not support %s arguments", agg_type_str(ab, t));
    struct fl_state *fs = arena_calloc(ab->arena, sizeof *fs);
    fs->kind = kind;
    fs->last = last;
    fs->append_only = ab->append_only;
    ab->state = fs;
    ab->ops = &fl_ops;
    ab->acc_size = sizeof(struct acc_fl);
    ab->result = type_with_time_attr(ab->arena, type_with_nullable(ab->arena, t, true),
                                     TA_NONE);
    return agg_bind_done(ab, err, false);
}

static int first_value_bind(struct agg_bind *ab, struct weir_error *err)
{
    return fl_bind(ab, err, false);
}

static int last_value_bind(struct agg_bind *ab, struct weir_error *err)
{
    return fl_bind(ab, err, true);
}

/* ---- LISTAGG --------------------------------------------------------------------------- */

struct la_state {
    const char *sep;       /* the separator literal (query arena) */
    uint32_t sep_len;
    bool append_only;
};

struct acc_la {
    char *buf;             /* append-only: the concatenation so far */
    uint32_t len, cap;
    int64_t n;             /* append-only: values in buf */
    int64_t rows;          /* every row */
    struct agg_seq seq;    /* retracting only */
};

static void la_init(void *acc, const void *state)
{
    (void)state;
    memset(acc, 0, sizeof(struct acc_la));
}

static void la_append(struct acc_la *a, const char *p, uint32_t len)
{
    if (len == 0)
        return;
    if ((uint64_t)a->len + len > a->cap) {
        uint64_t cap = a->cap ? a->cap : 32;
        while (cap < (uint64_t)a->len + len)
            cap *= 2;
        if (cap > UINT32_MAX)
            cap = UINT32_MAX;   /* 4 GiB strings: STRING's own limit is 2 GiB */
        a->buf = mem_realloc(a->buf, cap);
        a->cap = (uint32_t)cap;
    }
    memcpy(a->buf + a->len, p, len);
    a->len += len;
}

static void la_add(struct acc_la *a, const struct la_state *ls, const char *p, uint32_t len)
{
    if (a->n > 0)
        la_append(a, ls->sep, ls->sep_len);
    la_append(a, p, len);
    a->n++;
}

static void la_update(void **accs, const struct vec *args, const uint16_t *rows, int n,
                      int sign, const void *state)
{
    const struct la_state *ls = state;
    const struct vec *v = &args[0];
    for (int k = 0; k < n; k++) {
        struct acc_la *a = accs[k];
        int r = rows[k];
        a->rows += sign;
        if (vec_is_null(v, r))
            continue;
        if (ls->append_only) {
            if (sign > 0)
                la_add(a, ls, v->s[r].ptr, v->s[r].len);
            continue;
        }
        union agg_val x;
        agg_val_get(AK_STR, v, r, &x);
        if (sign > 0)
            agg_seq_push(&a->seq, AK_STR, &x);
        else
            agg_seq_remove(&a->seq, AK_STR, &x);
    }
}

static void la_merge(void *into, const void *from, const void *state)
{
    const struct la_state *ls = state;
    struct acc_la *a = into;
    const struct acc_la *b = from;
    a->rows += b->rows;
    if (!ls->append_only) {
        int32_t pos = 0;
        const union agg_val *v;
        while ((v = agg_seq_next(&b->seq, &pos)) != NULL)
            agg_seq_push(&a->seq, AK_STR, v);
        return;
    }
    if (b->n <= 0)
        return;
    if (a->n > 0)
        la_append(a, ls->sep, ls->sep_len);
    la_append(a, b->buf, b->len);
    a->n += b->n;
}

static void la_result(const void *acc, struct vec *out, int row, const void *state)
{
    const struct la_state *ls = state;
    const struct acc_la *a = acc;
    if (ls->append_only) {
        if (a->n <= 0) {
            put_null(out, row);
            return;
        }
        vec_set_str(out, row, a->len ? a->buf : "", a->len);
        vec_set_valid(out, row);
        return;
    }
    if (a->seq.live == 0) {
        put_null(out, row);
        return;
    }
    /* join straight into the output arena: one copy */
    size_t total = (size_t)ls->sep_len * (size_t)(a->seq.live - 1);
    int32_t pos = 0;
    const union agg_val *v;
    while ((v = agg_seq_next(&a->seq, &pos)) != NULL)
        total += v->s.len;
    char *d = arena_alloc(out->arena, total ? total : 1);
    size_t w = 0;
    pos = 0;
    for (bool first = true; (v = agg_seq_next(&a->seq, &pos)) != NULL; first = false) {
        if (!first && ls->sep_len) {
            memcpy(d + w, ls->sep, ls->sep_len);
            w += ls->sep_len;
        }
        if (v->s.len) {
            memcpy(d + w, v->s.p, v->s.len);
            w += v->s.len;
        }
    }
    out->s[row].ptr = d;
    out->s[row].len = (uint32_t)w;
    vec_set_valid(out, row);
}

static bool la_is_empty(const void *acc, const void *state)
{
    (void)state;
    return ((const struct acc_la *)acc)->rows == 0;
}

static void la_destroy(void *acc, const void *state)
{
    (void)state;
    struct acc_la *a = acc;
    mem_free(a->buf);
    a->buf = NULL;
    a->len = a->cap = 0;
    agg_seq_free(&a->seq, AK_STR);
}

static size_t la_mem_size(const void *acc, const void *state)
{
    (void)state;
    const struct acc_la *a = acc;
    return a->cap + agg_seq_mem(&a->seq);
}

static void la_snapshot(const void *acc, struct strbuf *out, const void *state)
{
    const struct la_state *ls = state;
    const struct acc_la *a = acc;
    snap_put_i64(out, a->rows);
    if (!ls->append_only) {
        agg_seq_snapshot(&a->seq, AK_STR, out);
        return;
    }
    snap_put_i64(out, a->n);
    union agg_val v = {.s = {a->buf, a->len}};
    agg_put_val(out, AK_STR, &v);
}

static int la_restore(void *acc, const char *p, size_t len, const void *state)
{
    const struct la_state *ls = state;
    struct acc_la *a = acc;
    struct snap_rd rd = {p, len, 0, false};
    la_init(acc, state);
    a->rows = snap_get_i64(&rd);
    if (!ls->append_only)
        return agg_seq_restore(&a->seq, AK_STR, &rd) ? (int)rd.pos : -1;
    a->n = snap_get_i64(&rd);
    union agg_val v;
    if (!agg_get_val(&rd, AK_STR, &v))
        return -1;
    a->buf = v.s.p;
    a->cap = v.s.len + 1;   /* agg_val_own allocated len + 1 */
    a->len = v.s.len;
    return (int)rd.pos;
}

static const struct agg_ops la_ops = {
    .init = la_init,
    .update = la_update,
    .merge = la_merge,
    .result = la_result,
    .is_empty = la_is_empty,
    .destroy = la_destroy,
    .mem_size = la_mem_size,
    .snapshot = la_snapshot,
    .restore = la_restore,
};

static int listagg_bind(struct agg_bind *ab, struct weir_error *err)
{
    if (ab->n_args < 1 || ab->n_args > 2)
        return agg_bind_fail(ab, err, "expects one or two arguments, got %d", ab->n_args);
    for (int i = 0; i < ab->n_args; i++) {
        const struct sql_type *t = ab->arg_types[i];
        if (t->id == T_NULL && i == 0) {
            if (ab->cast_to)
                ab->cast_to[0] = &type_string;
            continue;
        }
        if (!type_is_string(t))
            return agg_bind_fail(ab, err, "expects a string %s, got %s",
                                 i == 0 ? "argument" : "separator", agg_type_str(ab, t));
    }
    struct la_state *ls = arena_calloc(ab->arena, sizeof *ls);
    ls->sep = ",";
    ls->sep_len = 1;
    if (ab->n_args == 2) {
        const char *sep = ab->const_args ? ab->const_args[1] : NULL;
        if (sep == NULL)
            return agg_bind_fail(ab, err, "expects a literal separator");
        ls->sep = arena_strdup(ab->arena, sep);
        ls->sep_len = (uint32_t)strlen(sep);
    }
    ls->append_only = ab->append_only;
    ab->state = ls;
    ab->ops = &la_ops;
    ab->acc_size = sizeof(struct acc_la);
    ab->result = &type_string;
    return agg_bind_done(ab, err, false);
}

/* ---- variance family ------------------------------------------------------------------- */

enum sd_fn { SD_VAR_POP, SD_VAR_SAMP, SD_STDDEV_POP, SD_STDDEV_SAMP };

struct sd_state {
    uint8_t fn;            /* enum sd_fn */
    uint8_t in_kind;       /* AK_I64, AK_F64, AK_I128 */
    uint8_t out_id;        /* result type id */
    uint8_t bits;          /* integer result width */
    int in_scale;          /* DECIMAL input scale */
    int out_scale;         /* DECIMAL result scale */
};

struct acc_sd {
    int64_t n;             /* non-NULL values (may dip below 0: unmatched retractions) */
    double mean;
    double m2;             /* sum of squared deviations from the mean */
    int64_t rows;          /* every row */
};

static void sd_init(void *acc, const void *state)
{
    (void)state;
    memset(acc, 0, sizeof(struct acc_sd));
}

/* One Welford step (Flink's WelfordM2AggFunction, including its handling of
 * a count that went non-positive through unmatched retractions). */
static inline void sd_step(struct acc_sd *a, double x, int sign)
{
    if (sign > 0) {
        a->n++;
        if (a->n <= 0)
            return;
        double d = x - a->mean;
        a->mean += d / (double)a->n;
        a->m2 += d * (x - a->mean);
    } else {
        a->n--;
        if (a->n <= 0) {
            if (a->n == 0)
                a->mean = a->m2 = 0.0;
            return;
        }
        double d2 = x - a->mean;
        a->mean -= d2 / (double)a->n;
        a->m2 -= (x - a->mean) * d2;
        /* one value left has no spread: drop the rounding residue, which
         * may be slightly negative and would read as NULL (where Flink's
         * identical arithmetic does give NULL, weir gives 0) */
        if (a->n == 1)
            a->m2 = 0.0;
    }
}

static void sd_update(void **accs, const struct vec *args, const uint16_t *rows, int n,
                      int sign, const void *state)
{
    const struct sd_state *ss = state;
    const struct vec *v = &args[0];
    for (int k = 0; k < n; k++) {
        struct acc_sd *a = accs[k];
        int r = rows[k];
        a->rows += sign;
        if (vec_is_null(v, r))
            continue;
        double x = ss->in_kind == AK_F64   ? v->f64[r]
                   : ss->in_kind == AK_I64 ? (double)v->i64[r]
                                           : dec_to_double(v->i128[r], ss->in_scale);
        sd_step(a, x, sign);
    }
}

static void sd_merge(void *into, const void *from, const void *state)
{
    (void)state;
    struct acc_sd *a = into;
    const struct acc_sd *b = from;
    a->rows += b->rows;
    if (b->n <= 0) {
        /* an invalid (over-retracted) side only adjusts the count, as Flink */
        a->n += b->n;
        if (a->n <= 0)
            a->mean = a->m2 = 0.0;
    } else if (a->n <= 0) {
        int64_t neg = a->n;
        a->n = b->n + neg;
        a->mean = b->mean;
        a->m2 = b->m2;
        if (a->n <= 0)
            a->mean = a->m2 = 0.0;
    } else {
        /* Chan et al.: pairwise combination of (n, mean, M2) */
        int64_t nn = a->n + b->n;
        double delta = b->mean - a->mean;
        a->mean += (double)b->n / (double)nn * delta;
        a->m2 += b->m2 + (double)a->n * (double)b->n / (double)nn * delta * delta;
        a->n = nn;
    }
}

/* CAST(double AS integer type) as Java: NaN → 0, saturate to int/long, then
 * narrow (byte)/(short) by wrapping. */
static int64_t sd_to_int(double d, int bits)
{
    if (d != d)
        return 0;
    if (bits == 64) {
        if (d >= 9223372036854775807.0)
            return INT64_MAX;
        if (d <= -9223372036854775808.0)
            return INT64_MIN;
        return (int64_t)d;
    }
    int64_t i = d >= 2147483647.0 ? INT32_MAX : d <= -2147483648.0 ? INT32_MIN : (int64_t)d;
    return agg_wrap(i, bits);
}

static void sd_result(const void *acc, struct vec *out, int row, const void *state)
{
    const struct sd_state *ss = state;
    const struct acc_sd *a = acc;
    bool samp = ss->fn == SD_VAR_SAMP || ss->fn == SD_STDDEV_SAMP;
    if (a->n <= 0 || a->m2 < 0 || (samp && a->n <= 1)) {
        put_null(out, row);
        return;
    }
    double var = a->m2 / (double)(samp ? a->n - 1 : a->n);
    double v = ss->fn == SD_STDDEV_POP || ss->fn == SD_STDDEV_SAMP ? sqrt(var) : var;
    switch (ss->out_id) {
    case T_DOUBLE: out->f64[row] = v; break;
    case T_FLOAT: out->f64[row] = (float)v; break;
    case T_DECIMAL: {
        __int128 u;
        if (!dec_from_double(v, DEC_MAX_PRECISION, ss->out_scale, &u)) {
            put_null(out, row);
            return;
        }
        out->i128[row] = u;
        break;
    }
    default: out->i64[row] = sd_to_int(v, ss->bits); break;
    }
    vec_set_valid(out, row);
}

static bool sd_is_empty(const void *acc, const void *state)
{
    (void)state;
    return ((const struct acc_sd *)acc)->rows == 0;
}

static void sd_snapshot(const void *acc, struct strbuf *out, const void *state)
{
    (void)state;
    const struct acc_sd *a = acc;
    snap_put_i64(out, a->n);
    snap_put_f64(out, a->mean);
    snap_put_f64(out, a->m2);
    snap_put_i64(out, a->rows);
}

static int sd_restore(void *acc, const char *p, size_t len, const void *state)
{
    (void)state;
    struct acc_sd *a = acc;
    struct snap_rd rd = {p, len, 0, false};
    a->n = snap_get_i64(&rd);
    a->mean = snap_get_f64(&rd);
    a->m2 = snap_get_f64(&rd);
    a->rows = snap_get_i64(&rd);
    return rd.bad ? -1 : (int)rd.pos;
}

static const struct agg_ops sd_ops = {
    .init = sd_init,
    .update = sd_update,
    .merge = sd_merge,
    .result = sd_result,
    .is_empty = sd_is_empty,
    .snapshot = sd_snapshot,
    .restore = sd_restore,
};

static int sd_bind(struct agg_bind *ab, struct weir_error *err, enum sd_fn fn)
{
    if (ab->n_args != 1)
        return agg_bind_fail(ab, err, "expects one argument, got %d", ab->n_args);
    const struct sql_type *t = ab->arg_types[0];
    if (t->id == T_NULL) {
        if (ab->cast_to)
            ab->cast_to[0] = &type_double;
        t = &type_double;
    }
    if (!type_is_numeric(t))
        return agg_bind_fail(ab, err, "expects a numeric argument, got %s",
                             agg_type_str(ab, t));
    struct sd_state *ss = arena_calloc(ab->arena, sizeof *ss);
    ss->fn = (uint8_t)fn;
    ss->in_kind = (uint8_t)agg_kind_of(t);
    ss->in_scale = t->scale;
    if (t->id == T_DECIMAL) {
        int rp, rs;
        dec_avg_type(t->precision, t->scale, &rp, &rs);
        ss->out_scale = rs;
        ab->result = type_decimal(ab->arena, rp, rs);
    } else {
        ss->bits = (uint8_t)type_int_bits(t);
        ab->result = type_with_nullable(ab->arena, t, true);
    }
    ss->out_id = ab->result->id;
    ab->state = ss;
    ab->ops = &sd_ops;
    ab->acc_size = sizeof(struct acc_sd);
    return agg_bind_done(ab, err, false);
}

static int var_pop_bind(struct agg_bind *ab, struct weir_error *err)
{
    return sd_bind(ab, err, SD_VAR_POP);
}

static int var_samp_bind(struct agg_bind *ab, struct weir_error *err)
{
    return sd_bind(ab, err, SD_VAR_SAMP);
}

static int stddev_pop_bind(struct agg_bind *ab, struct weir_error *err)
{
    return sd_bind(ab, err, SD_STDDEV_POP);
}

static int stddev_samp_bind(struct agg_bind *ab, struct weir_error *err)
{
    return sd_bind(ab, err, SD_STDDEV_SAMP);
}

/* ---- APPROX_COUNT_DISTINCT (HyperLogLog) -------------------------------------------------- */

#define HLL_P 14
#define HLL_M (1 << HLL_P)

struct hll_state {
    int kind;
};

struct acc_hll {
    uint8_t *reg;          /* HLL_M registers, NULL until the first value */
    int64_t rows;          /* adds - retracts of every row */
};

static void hll_init(void *acc, const void *state)
{
    (void)state;
    memset(acc, 0, sizeof(struct acc_hll));
}

static inline void hll_add(uint8_t *reg, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
    /* rank of the first 1 bit in the remaining 50 bits; the guard bit caps
     * it at 51 and keeps clz's argument non-zero */
    uint64_t w = (h << HLL_P) | (1ULL << (HLL_P - 1));
    uint8_t rho = (uint8_t)(__builtin_clzll(w) + 1);
    if (rho > reg[idx])
        reg[idx] = rho;
}

static void hll_update(void **accs, const struct vec *args, const uint16_t *rows, int n,
                       int sign, const void *state)
{
    const struct hll_state *hs = state;
    const struct vec *v = &args[0];
    for (int k = 0; k < n; k++) {
        struct acc_hll *a = accs[k];
        int r = rows[k];
        a->rows += sign;
        if (sign < 0 || vec_is_null(v, r))
            continue;   /* HLL cannot retract (documented: append-only) */
        union agg_val x;
        agg_val_get(hs->kind, v, r, &x);
        if (a->reg == NULL)
            a->reg = mem_calloc(HLL_M, 1);
        hll_add(a->reg, agg_val_hash(hs->kind, &x));
    }
}

static void hll_merge(void *into, const void *from, const void *state)
{
    (void)state;
    struct acc_hll *a = into;
    const struct acc_hll *b = from;
    a->rows += b->rows;
    if (b->reg == NULL)
        return;
    if (a->reg == NULL)
        a->reg = mem_calloc(HLL_M, 1);
    for (int i = 0; i < HLL_M; i++)
        if (b->reg[i] > a->reg[i])
            a->reg[i] = b->reg[i];
}

static int64_t hll_estimate(const uint8_t *reg)
{
    if (reg == NULL)
        return 0;
    double sum = 0.0;
    int zeros = 0;
    for (int i = 0; i < HLL_M; i++) {
        sum += ldexp(1.0, -reg[i]);
        zeros += reg[i] == 0;
    }
    const double m = HLL_M;
    double e = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
    /* small range: linear counting is far more accurate while registers are
     * still empty (Flajolet et al.); no large-range correction is needed with
     * a 64-bit hash */
    if (e <= 2.5 * m && zeros > 0)
        e = m * log(m / zeros);
    return (int64_t)llround(e);
}

static void hll_result(const void *acc, struct vec *out, int row, const void *state)
{
    (void)state;
    out->i64[row] = hll_estimate(((const struct acc_hll *)acc)->reg);
    vec_set_valid(out, row);
}

static bool hll_is_empty(const void *acc, const void *state)
{
    (void)state;
    return ((const struct acc_hll *)acc)->rows == 0;
}

static void hll_destroy(void *acc, const void *state)
{
    (void)state;
    struct acc_hll *a = acc;
    mem_free(a->reg);
    a->reg = NULL;
}

static size_t hll_mem_size(const void *acc, const void *state)
{
    (void)state;
    return ((const struct acc_hll *)acc)->reg ? HLL_M : 0;
}

static void hll_snapshot(const void *acc, struct strbuf *out, const void *state)
{
    (void)state;
    const struct acc_hll *a = acc;
    snap_put_i64(out, a->rows);
    snap_put_u8(out, a->reg != NULL);
    if (a->reg)
        sb_add(out, (const char *)a->reg, HLL_M);
}

static int hll_restore(void *acc, const char *p, size_t len, const void *state)
{
    (void)state;
    struct acc_hll *a = acc;
    struct snap_rd rd = {p, len, 0, false};
    a->reg = NULL;
    a->rows = snap_get_i64(&rd);
    uint8_t present = snap_get_u8(&rd);
    if (rd.bad)
        return -1;
    if (present) {
        if (rd.len - rd.pos < HLL_M)
            return -1;
        a->reg = mem_alloc(HLL_M);
        memcpy(a->reg, rd.p + rd.pos, HLL_M);
        rd.pos += HLL_M;
    }
    return (int)rd.pos;
}

static const struct agg_ops hll_ops = {
    .init = hll_init,
    .update = hll_update,
    .merge = hll_merge,
    .result = hll_result,
    .is_empty = hll_is_empty,
    .destroy = hll_destroy,
    .mem_size = hll_mem_size,
    .snapshot = hll_snapshot,
    .restore = hll_restore,
};

static int approx_count_distinct_bind(struct agg_bind *ab, struct weir_error *err)
{
    if (ab->n_args != 1)
        return agg_bind_fail(ab, err, "expects one argument, got %d", ab->n_args);
    const struct sql_type *t = ab->arg_types[0];
    int kind = agg_kind_of(t);
    if (kind < 0)
        return agg_bind_fail(ab, err, "does not support %s arguments", agg_type_str(ab, t));
    struct hll_state *hs = arena_calloc(ab->arena, sizeof *hs);
    hs->kind = kind;
    ab->state = hs;
    ab->ops = &hll_ops;
    ab->acc_size = sizeof(struct acc_hll);
    ab->result = type_with_nullable(ab->arena, &type_bigint, false);
    /* counting distinct values already: DISTINCT changes nothing */
    return agg_bind_done(ab, err, true);
}

/* ---- table --------------------------------------------------------------------------- */

const struct agg_def agg_more_defs[] = {
    {"FIRST_VALUE", 1, 1, first_value_bind, "FIRST_VALUE(x)"},
    {"LAST_VALUE", 1, 1, last_value_bind, "LAST_VALUE(x)"},
    {"LISTAGG", 1, 2, listagg_bind, "LISTAGG([DISTINCT] string [, separator])"},
    {"STDDEV_POP", 1, 1, stddev_pop_bind, "STDDEV_POP([DISTINCT] numeric)"},
    {"STDDEV_SAMP", 1, 1, stddev_samp_bind, "STDDEV_SAMP([DISTINCT] numeric)"},
    {"STDDEV", 1, 1, stddev_samp_bind, "STDDEV([DISTINCT] numeric)"},
    {"VAR_POP", 1, 1, var_pop_bind, "VAR_POP([DISTINCT] numeric)"},
    {"VAR_SAMP", 1, 1, var_samp_bind, "VAR_SAMP([DISTINCT] numeric)"},
    {"VARIANCE", 1, 1, var_samp_bind, "VARIANCE([DISTINCT] numeric)"},
    {"APPROX_COUNT_DISTINCT", 1, 1, approx_count_distinct_bind,
     "APPROX_COUNT_DISTINCT(x)"},
};
const int agg_more_count = (int)(sizeof(agg_more_defs) / sizeof(agg_more_defs[0]));
