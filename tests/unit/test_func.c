/*
 * test_func.c — unit tests of the built-in scalar functions (src/exec/fn_*.c):
 * each case binds a function through the registry and evaluates it on small
 * vectors the way expr.c does (FN_STRICT rows with a NULL argument are masked,
 * bind-requested casts applied with cast_vec).  Expected values come from
 * Flink's documentation examples (docs/data/sql_functions.yml, quoted in
 * SQL.md f.2–f.6) and Flink's runtime code where the docs are silent.
 *
 * Most cases run twice: once with every argument a literal (bind-time
 * specialisation: compiled regex, literal delimiter, date pattern) and once
 * with every argument a column (the per-row path); both must agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/datetime.h"
#include "core/decimal.h"
#include "core/numfmt.h"
#include "exec/cast.h"
#include "exec/expr.h"
#include "exec/fn_int.h"
#include "exec/func.h"

/* ---- harness ----------------------------------------------------------------- */

struct targ {
    const struct sql_type *t;
    struct value v;
};

#define S(x) ((struct targ){&type_string, {.s = {(x), sizeof(x) - 1}}})
#define SNULL ((struct targ){&type_string, {.is_null = true}})
#define I(x) ((struct targ){&type_int, {.i = (x)}})
#define BI(x) ((struct targ){&type_bigint, {.i = (x)}})
#define INULL ((struct targ){&type_int, {.is_null = true}})
#define DBL(x) ((struct targ){&type_double, {.f = (x)}})
#define TS(us) ((struct targ){&type_timestamp3, {.i = (us)}})
#define LTZ(us) ((struct targ){&type_timestamp_ltz3, {.i = (us)}})
#define DATE(d) ((struct targ){&type_date, {.i = (d)}})
#define NUL ((struct targ){&type_null, {.is_null = true}})

static struct arena A;          /* query arena of one test */
static struct arena batch_arena;
static struct weir_error E;

static int setup(void **st)
{
    (void)st;
    arena_init(&A, 0);
    arena_init(&batch_arena, 0);
    memset(&E, 0, sizeof E);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    arena_free(&A);
    arena_free(&batch_arena);
    err_clear(&E);
    return 0;
}

static struct targ dec_arg(const char *text, int p, int s)
{
    struct targ a = {type_decimal(&A, p, s), {0}};
    assert_int_equal(dec_parse(text, strlen(text), p, s, &a.v.d), 0);
    return a;
}

/* Fills row i of v with a's value. */
static void put(struct vec *v, int i, const struct targ *a)
{
    if (a->v.is_null) {
        vec_set_null(v, i);
        return;
    }
    switch (type_lane(a->t)) {
    case LANE_BOOL: v->b[i] = a->v.b; break;
    case LANE_I64: v->i64[i] = a->v.i; break;
    case LANE_F64: v->f64[i] = a->v.f; break;
    case LANE_I128: v->i128[i] = a->v.d; break;
    case LANE_STR: v->s[i] = a->v.s; break;
    default: break;
    }
}

/* Renders row i of v as text for comparison. */
static const char *render(const struct vec *v, int i)
{
    static char buf[4096];
    if (vec_is_null(v, i))
        return "NULL";
    const struct sql_type *t = v->type;
    switch (t->id) {
    case T_BOOLEAN: return v->b[i] ? "TRUE" : "FALSE";
    case T_FLOAT:
    case T_DOUBLE: numfmt_double(buf, v->f64[i]); return buf;
    case T_DECIMAL: dec_fmt(buf, v->i128[i], t->scale); return buf;
    case T_CHAR:
    case T_VARCHAR:
    case T_BINARY:
    case T_VARBINARY:
        snprintf(buf, sizeof buf, "%.*s", (int)v->s[i].len, v->s[i].ptr);
        return buf;
    case T_DATE: dt_fmt_date(buf, v->i64[i]); return buf;
    case T_TIME: dt_fmt_time_java(buf, v->i64[i]); return buf;
    case T_TIMESTAMP: dt_fmt_ts_java(buf, v->i64[i]); return buf;
    case T_TIMESTAMP_LTZ: dt_fmt_instant_java(buf, v->i64[i]); return buf;
    default: snprintf(buf, sizeof buf, "%lld", (long long)v->i64[i]); return buf;
    }
}

struct tcall {
    const struct func_def *def;
    struct func_bind fb;
    const struct sql_type *types[8];
    const struct sql_type *casts[8];
    struct expr lits[8];
    struct expr *argp[8];
    struct vec raw[8], args[8];
    struct vec out;
    int n_args, n_rows;
};

/* Symbol arguments ('BOTH', 'HOUR', 'WITH_CONDITIONAL_ARRAY') and NULL
 * literals (JSON_VALUE's RETURNING type) stay literals on the column path,
 * as the binder always produces them so. */
static bool keep_literal(const struct targ *a)
{
    if (a->v.is_null)
        return true;
    if (!type_is_string(a->t) || a->v.s.len == 0)
        return false;
    for (uint32_t j = 0; j < a->v.s.len; j++) {
        char ch = a->v.s.ptr[j];
        if (!((ch >= 'A' && ch <= 'Z') || ch == '_'))
            return false;
    }
    return true;
}

/* Binds fn over the given argument types; literal=true shows the values to
 * bind as literals (otherwise only symbols stay literal).  Returns the bind rc
 * (E holds the message). */
static int tc_bind(struct tcall *c, const char *fn, int n, const struct targ *a, bool literal)
{
    memset(c, 0, sizeof(*c));
    c->def = func_lookup(fn);
    assert_non_null(c->def);
    c->n_args = n;
    for (int k = 0; k < n; k++) {
        c->types[k] = a[k].t;
        c->lits[k].kind = EX_LITERAL;
        c->lits[k].type = a[k].t;
        c->lits[k].lit = a[k].v;
        c->argp[k] = &c->lits[k];
        if (!literal && !keep_literal(&a[k]))
            c->lits[k].kind = EX_COLUMN;
    }
    c->fb = (struct func_bind){.def = c->def, .n_args = n, .arg_types = c->types,
                               .args = c->argp, .cast_to = c->casts,
                               .arena = &A, .loc = {7, 3}};
    err_clear(&E);
    return c->def->bind(&c->fb, &E);
}

/* Evaluates rows[r][k] (n_rows rows) like expr.c's eval_call. */
static int tc_eval(struct tcall *c, int n_rows, const struct targ *rows)
{
    int n = c->n_args;
    c->n_rows = n_rows;
    for (int k = 0; k < n; k++) {
        vec_init(&c->raw[k], c->types[k], BATCH_CAP, &batch_arena);
        for (int r = 0; r < n_rows; r++)
            put(&c->raw[k], r, &rows[r * n + k]);
        if (c->casts[k] != NULL && !type_equal(c->casts[k], c->types[k])) {
            vec_init(&c->args[k], c->casts[k], BATCH_CAP, &batch_arena);
            assert_int_equal(cast_vec(&c->raw[k], &c->args[k], NULL, n_rows, CAST_STRICT, &E),
                             0);
        } else {
            c->args[k] = c->raw[k];
        }
    }
    vec_init(&c->out, c->fb.result, BATCH_CAP, &batch_arena);
    uint16_t sel[BATCH_CAP];
    int m = 0;
    bool any_nullable = false;
    for (int k = 0; k < n; k++)
        any_nullable |= c->args[k].valid != NULL;
    const uint16_t *use = NULL;
    int cnt = n_rows;
    if ((c->def->flags & FN_STRICT) && any_nullable) {
        for (int r = 0; r < n_rows; r++) {
            bool ok = true;
            for (int k = 0; k < n; k++)
                ok &= !vec_is_null(&c->args[k], r);
            if (ok)
                sel[m++] = (uint16_t)r;
            else
                vec_set_null(&c->out, r);
        }
        use = sel;
        cnt = m;
    }
    struct func_call call = {c->def, c->fb.state, c->fb.result, n};
    err_clear(&E);
    return c->def->eval(&call, c->args, use, cnt, &c->out, &E);
}

static void tc_free(struct tcall *c)
{
    for (int k = 0; k < c->n_args; k++) {
        if (c->args[k].data != c->raw[k].data)
            vec_free(&c->args[k]);
        vec_free(&c->raw[k]);
    }
    vec_free(&c->out);
    if (c->def && c->def->free_state)
        c->def->free_state(c->fb.state);
}

/* One row, arguments literal or not; returns the rendered result. */
static const char *eval1(const char *fn, int n, const struct targ *a, bool literal)
{
    static char res[4096];
    struct tcall c;
    int rc = tc_bind(&c, fn, n, a, literal);
    if (rc != 0)
        fail_msg("bind %s failed: %s", fn, E.message ? E.message : "?");
    rc = tc_eval(&c, 1, a);
    if (rc != 0)
        snprintf(res, sizeof res, "ERROR: %s", E.message ? E.message : "?");
    else
        snprintf(res, sizeof res, "%s", render(&c.out, 0));
    tc_free(&c);
    return res;
}

/* Checks both the literal and the column path. */
#define CHECK(expected, fn, ...)                                                    \
    do {                                                                            \
        const struct targ a_[] = {__VA_ARGS__};                                     \
        int n_ = (int)(sizeof(a_) / sizeof(a_[0]));                                 \
        assert_string_equal(eval1(fn, n_, a_, true), expected);                     \
        assert_string_equal(eval1(fn, n_, a_, false), expected);                    \
    } while (0)
#define CHECK_LIT(expected, fn, ...)                                                \
    do {                                                                            \
        const struct targ a_[] = {__VA_ARGS__};                                     \
        int n_ = (int)(sizeof(a_) / sizeof(a_[0]));                                 \
        assert_string_equal(eval1(fn, n_, a_, true), expected);                     \
    } while (0)
#define CHECK0(expected, fn) assert_string_equal(eval1(fn, 0, NULL, true), expected)

/* Bind must fail with a message containing `frag`. */
static void bind_fails(const char *fn, int n, const struct targ *a, const char *frag)
{
    struct tcall c;
    int rc = tc_bind(&c, fn, n, a, true);
    assert_true(rc < 0);
    assert_non_null(E.message);
    if (strstr(E.message, frag) == NULL)
        fail_msg("message '%s' lacks '%s'", E.message, frag);
}
#define BIND_FAILS(frag, fn, ...)                                                   \
    do {                                                                            \
        const struct targ a_[] = {__VA_ARGS__};                                     \
        bind_fails(fn, (int)(sizeof(a_) / sizeof(a_[0])), a_, frag);                \
    } while (0)

static const char *result_type(const char *fn, int n, const struct targ *a)
{
    struct tcall c;
    assert_int_equal(tc_bind(&c, fn, n, a, true), 0);
    const char *r = type_to_sql(&A, c.fb.result);
    if (c.def->free_state)
        c.def->free_state(c.fb.state);
    return r;
}
#define TYPE_IS(expected, fn, ...)                                                  \
    do {                                                                            \
        const struct targ a_[] = {__VA_ARGS__};                                     \
        assert_string_equal(result_type(fn, (int)(sizeof(a_) / sizeof(a_[0])), a_), \
                            expected);                                              \
    } while (0)

/* ---- registry ------------------------------------------------------------------ */

static void test_registry(void **st)
{
    (void)st;
    assert_non_null(func_lookup("split_index"));
    assert_non_null(func_lookup("Json_Value"));
    assert_null(func_lookup("NO_SUCH_FN"));
    assert_string_equal(func_suggest("SPLITINDEX")->name, "SPLIT_INDEX");
    assert_string_equal(func_suggest("REGEX_EXTRACT")->name, "REGEXP_EXTRACT");
    assert_null(func_suggest("XYZZYQ"));
    int n = 0;
    while (func_at(n) != NULL)
        n++;
    assert_true(n > 100);
    /* every name is unique and upper case */
    for (int i = 0; i < n; i++) {
        const char *nm = func_at(i)->name;
        for (const char *p = nm; *p; p++)
            assert_false(*p >= 'a' && *p <= 'z');
        assert_ptr_equal(func_lookup(nm), func_at(i));
    }
    const struct func_def *cc = func_lookup_class("com.github.nexmark.flink.udf.CountChar");
    assert_non_null(cc);
    assert_null(func_lookup_class("com.example.Nope"));
}

/* ---- strings ----------------------------------------------------------------- */

static void test_concat(void **st)
{
    (void)st;
    CHECK("AABBCC", "CONCAT", S("AA"), S("BB"), S("CC"));
    CHECK("NULL", "CONCAT", S("AA"), SNULL, S("CC"));
    CHECK("AA~BB~~CC", "CONCAT_WS", S("~"), S("AA"), SNULL, S("BB"), S(""), S("CC"));
    CHECK("NULL", "CONCAT_WS", SNULL, S("AA"), S("BB"));
    CHECK("", "CONCAT_WS", S("~"), SNULL, SNULL);
    TYPE_IS("STRING", "CONCAT", S("a"), S("b"));
}

static void test_char_length_substring(void **st)
{
    (void)st;
    CHECK("5", "CHAR_LENGTH", S("hello"));
    CHECK("4", "CHARACTER_LENGTH", S("h\xC3\xA9l\xE2\x82\xAC"));      /* hél€ */
    CHECK("NULL", "CHAR_LENGTH", SNULL);
    TYPE_IS("INT", "CHAR_LENGTH", S("x"));
    CHECK("ell", "SUBSTRING", S("hello"), I(2), I(3));
    CHECK("llo", "SUBSTR", S("hello"), I(3));
    CHECK("\xC3\xA9l\xE2\x82\xAC", "SUBSTRING", S("h\xC3\xA9l\xE2\x82\xAC"), I(2));
    CHECK("\xE2\x82\xAC", "SUBSTRING", S("h\xC3\xA9l\xE2\x82\xAC"), I(-1), I(5));
    CHECK("he", "SUBSTRING", S("hello"), I(0), I(2));
    CHECK("", "SUBSTRING", S("hello"), I(9), I(2));
    CHECK("", "SUBSTRING", S("hello"), I(-9));
    CHECK("NULL", "SUBSTRING", S("hello"), I(1), I(-1));
    CHECK("NULL", "SUBSTRING", S("hello"), INULL, I(1));
}

static void test_case(void **st)
{
    (void)st;
    CHECK("HELLO WORLD", "UPPER", S("hello World"));
    CHECK("hello world", "LOWER", S("hello World"));
    CHECK("\xC3\x89T\xC3\x89", "UPPER", S("\xC3\xA9t\xC3\xA9"));   /* été → ÉTÉ */
    CHECK("Hello World 3rd", "INITCAP", S("hELLO wORLD 3RD"));
}

static void test_position(void **st)
{
    (void)st;
    CHECK("3", "POSITION", S("ll"), S("hello"));
    CHECK("0", "POSITION", S("x"), S("hello"));
    CHECK("1", "POSITION", S(""), S("hello"));
    CHECK("3", "POSITION", S("l"), S("h\xC3\xA9ll"));
    CHECK("4", "LOCATE", S("l"), S("hello"), I(4));
    CHECK("0", "LOCATE", S("h"), S("hello"), I(2));
    CHECK("3", "INSTR", S("hello"), S("l"));
    CHECK("4", "INSTR", S("hello"), S("l"), I(1), I(2));
    CHECK("4", "INSTR", S("hello"), S("l"), I(-1));
    TYPE_IS("INT", "POSITION", S("a"), S("b"));
}

static void test_trim(void **st)
{
    (void)st;
    CHECK("hi", "TRIM", S("BOTH"), S(" "), S("  hi  "));
    CHECK("hi  ", "TRIM", S("LEADING"), S(" "), S("  hi  "));
    CHECK("  hi", "TRIM", S("TRAILING"), S(" "), S("  hi  "));
    CHECK("hi", "TRIM", S("  hi  "));
    CHECK("c", "TRIM", S("BOTH"), S("ab"), S("abcba"));
    CHECK("x", "TRIM", S("BOTH"), S("\xC3\xA9"), S("\xC3\xA9x\xC3\xA9"));
    CHECK("hi ", "LTRIM", S(" hi "));
    CHECK(" hi", "RTRIM", S(" hi "));
    CHECK("\thi", "LTRIM", S(" \thi"));   /* only spaces by default */
    BIND_FAILS("argument 1 must be one of BOTH, LEADING, TRAILING", "TRIM", S("MIDDLE"),
               S(" "), S("x"));
}

static void test_replace(void **st)
{
    (void)st;
    CHECK("zab", "REPLACE", S("ababab"), S("abab"), S("z"));
    CHECK("ab", "REPLACE", S("ab"), S("x"), S("y"));
    CHECK("-a-b-", "REPLACE", S("ab"), S(""), S("-"));
    CHECK("hexxo", "REPLACE", S("hello"), S("l"), S("x"));
}

static void test_split_index(void **st)
{
    (void)st;
    const char *url = "https://www.nexmark.com/abc/def/item.htm?query=1";
    CHECK("https:", "SPLIT_INDEX", S("https://www.nexmark.com/abc/def/item.htm?query=1"),
          S("/"), I(0));
    CHECK("", "SPLIT_INDEX", S("https://www.nexmark.com/abc/def/item.htm?query=1"), S("/"),
          I(1));
    CHECK("abc", "SPLIT_INDEX", S("https://www.nexmark.com/abc/def/item.htm?query=1"), S("/"),
          I(3));
    CHECK("item.htm?query=1", "SPLIT_INDEX",
          S("https://www.nexmark.com/abc/def/item.htm?query=1"), S("/"), I(5));
    CHECK("NULL", "SPLIT_INDEX", S("https://www.nexmark.com/abc/def/item.htm?query=1"),
          S("/"), I(6));
    (void)url;
    CHECK("NULL", "SPLIT_INDEX", S("a,b"), S(","), I(-1));
    CHECK("", "SPLIT_INDEX", S("a,b,"), S(","), I(2));
    CHECK("NULL", "SPLIT_INDEX", S(""), S(","), I(0));
    CHECK("b", "SPLIT_INDEX", S("a::b::c"), S("::"), I(1));
    CHECK("b", "SPLIT_INDEX", S("a b"), S(""), I(1));        /* whitespace split */
    CHECK("b", "SPLIT_INDEX", S("a/b"), I(47), I(1));        /* character-code form */
    TYPE_IS("STRING", "SPLIT_INDEX", S("a"), S("b"), I(0));
    BIND_FAILS("SPLIT_INDEX expects (STRING, STRING, INT), got (INT, STRING, INT)",
               "SPLIT_INDEX", I(1), S("/"), I(0));
    BIND_FAILS("SPLIT_INDEX expects (STRING, STRING, INT), got (STRING, STRING)",
               "SPLIT_INDEX", S("a"), S("/"));
    BIND_FAILS("got (STRING, STRING, DOUBLE)", "SPLIT_INDEX", S("a"), S("/"), DBL(1));
}

static void test_pad_repeat(void **st)
{
    (void)st;
    CHECK("??hi", "LPAD", S("hi"), I(4), S("??"));
    CHECK("h", "LPAD", S("hi"), I(1), S("??"));
    CHECK("hi??", "RPAD", S("hi"), I(4), S("??"));
    CHECK("h", "RPAD", S("hi"), I(1), S("??"));
    CHECK("abahi", "LPAD", S("hi"), I(5), S("ab"));
    CHECK("NULL", "LPAD", S("hi"), I(-1), S("??"));
    CHECK("NULL", "LPAD", S("hi"), I(4), S(""));
    CHECK("", "LPAD", S("hi"), I(0), S("?"));
    CHECK("\xC3\xA9\xC3\xA9x", "LPAD", S("x"), I(3), S("\xC3\xA9"));
    CHECK("JavaJavaJava", "REPEAT", S("Java"), I(3));
    CHECK("", "REPEAT", S("Java"), I(-1));
    CHECK("olleh", "REVERSE", S("hello"));
    CHECK("\xE2\x82\xAC" "b\xC3\xA9", "REVERSE", S("\xC3\xA9" "b\xE2\x82\xAC"));
    CHECK("hel", "LEFT", S("hello"), I(3));
    CHECK("", "LEFT", S("hello"), I(-1));
    CHECK("llo", "RIGHT", S("hello"), I(3));
    CHECK("hello", "RIGHT", S("hello"), I(30));
    CHECK("", "RIGHT", S("hello"), I(-2));
}

static void test_ascii_chr_base64(void **st)
{
    (void)st;
    CHECK("97", "ASCII", S("abc"));
    CHECK("0", "ASCII", S(""));
    CHECK("a", "CHR", I(97));
    CHECK("a", "CHR", I(353));          /* 353 & 0xFF = 97 */
    CHECK("", "CHR", I(-1));
    CHECK("aGVsbG8gd29ybGQ=", "TO_BASE64", S("hello world"));
    CHECK("aGk=", "TO_BASE64", S("hi"));
    CHECK("hello world", "FROM_BASE64", S("aGVsbG8gd29ybGQ="));
    CHECK("hi", "FROM_BASE64", S("aGk"));
    assert_string_equal(eval1("FROM_BASE64", 1, (struct targ[]){S("a*b")}, true),
                        "ERROR: FROM_BASE64: illegal base64 input 'a*b'");
}

static void test_parse_url(void **st)
{
    (void)st;
    const struct targ u = S("http://facebook.com/path1/p.php?k1=v1&k2=v2#Ref1");
    CHECK("facebook.com", "PARSE_URL", u, S("HOST"));
    CHECK("/path1/p.php", "PARSE_URL", u, S("PATH"));
    CHECK("k1=v1&k2=v2", "PARSE_URL", u, S("QUERY"));
    CHECK("v1", "PARSE_URL", u, S("QUERY"), S("k1"));
    CHECK("NULL", "PARSE_URL", u, S("QUERY"), S("k3"));
    CHECK("Ref1", "PARSE_URL", u, S("REF"));
    CHECK("http", "PARSE_URL", u, S("PROTOCOL"));
    CHECK("/path1/p.php?k1=v1&k2=v2", "PARSE_URL", u, S("FILE"));
    CHECK("facebook.com", "PARSE_URL", u, S("AUTHORITY"));
    CHECK("NULL", "PARSE_URL", u, S("USERINFO"));
    CHECK("user:pw", "PARSE_URL", S("https://user:pw@h.org:8080/x"), S("USERINFO"));
    CHECK("h.org", "PARSE_URL", S("https://user:pw@h.org:8080/x"), S("HOST"));
    CHECK("NULL", "PARSE_URL", S("not a url"), S("HOST"));
    CHECK("NULL", "PARSE_URL", u, S("NOPE"));
}

/* ---- regex --------------------------------------------------------------------- */

static void test_regexp(void **st)
{
    (void)st;
    CHECK("fb", "REGEXP_REPLACE", S("foobar"), S("oo|ar"), S(""));
    CHECK("-a-b-c-", "REGEXP_REPLACE", S("abc"), S("x*"), S("-"));
    CHECK("a$1c", "REGEXP_REPLACE", S("abc"), S("(b)"), S("$1"));   /* literal replacement */
    CHECK("NULL", "REGEXP_REPLACE", S("abc"), S("("), S("x"));      /* bad regex → NULL */
    CHECK("bar", "REGEXP_EXTRACT", S("foothebar"), S("foo(.*?)(bar)"), I(2));
    CHECK("foothebar", "REGEXP_EXTRACT", S("foothebar"), S("foo(.*?)(bar)"));
    CHECK("NULL", "REGEXP_EXTRACT", S("foothebar"), S("foo(.*?)(bar)"), I(3));
    CHECK("NULL", "REGEXP_EXTRACT", S("xyz"), S("a(b)"), I(1));
    /* Nexmark q21 */
    CHECK("ch7", "REGEXP_EXTRACT", S("https://x.com/a?x=1&channel_id=ch7&y=2"),
          S("(&|^)channel_id=([^&]*)"), I(2));
    CHECK("NULL", "REGEXP_EXTRACT", S("https://x.com/a?x=1"), S("(&|^)channel_id=([^&]*)"),
          I(2));
    CHECK("TRUE", "REGEXP", S("k1=v1;k2=v2"), S("k2*"));
    CHECK("FALSE", "REGEXP", S("abc"), S("^b"));
    CHECK("FALSE", "REGEXP", S("abc"), S(""));
    TYPE_IS("STRING", "REGEXP_EXTRACT", S("a"), S("b"), I(1));
}

/* ---- math -------------------------------------------------------------------------- */

static void test_math(void **st)
{
    (void)st;
    CHECK("5", "ABS", I(-5));
    CHECK("-2147483648", "ABS", I(INT32_MIN));   /* wraps like Math.abs */
    CHECK("2.5", "ABS", DBL(-2.5));
    CHECK("1.50", "ABS", dec_arg("-1.50", 5, 2));
    TYPE_IS("DECIMAL(5, 2)", "ABS", dec_arg("-1.50", 5, 2));
    CHECK("-1", "MOD", I(-7), I(3));
    CHECK("1", "MOD", I(7), I(-3));
    CHECK("1.5", "MOD", dec_arg("7.5", 3, 1), I(2));
    assert_string_equal(eval1("MOD", 2, (struct targ[]){I(1), I(0)}, true),
                        "ERROR: MOD: division by zero");
    CHECK("8.0", "POWER", I(2), I(3));
    CHECK("3.0", "SQRT", I(9));
    CHECK("2.0", "LOG10", I(100));
    CHECK("3.0", "LOG2", I(8));
    CHECK("2.0", "LOG", I(10), I(100));
    CHECK("0.0", "LN", I(1));
    CHECK("1.0", "EXP", I(0));
    CHECK("3", "CEIL", I(3));
    CHECK("3.0", "CEIL", DBL(2.1));
    CHECK("-3.0", "FLOOR", DBL(-2.1));
    CHECK("2", "FLOOR", dec_arg("2.70", 4, 2));
    CHECK("-2", "CEIL", dec_arg("-2.70", 4, 2));
    TYPE_IS("DECIMAL(4, 0)", "FLOOR", dec_arg("2.70", 4, 2));
    CHECK("2.68", "ROUND", DBL(2.675), I(2));       /* BigDecimal.valueOf digits */
    CHECK("3.0", "ROUND", DBL(2.5));
    CHECK("-3.0", "ROUND", DBL(-2.5));
    CHECK("120", "ROUND", I(123), I(-1));
    CHECK("130", "ROUND", I(125), I(-1));
    CHECK_LIT("1.24", "ROUND", dec_arg("1.235", 5, 3), I(2));
    CHECK("NULL", "ROUND", dec_arg("1.235", 5, 3), INULL);
    TYPE_IS("DECIMAL(5, 2)", "ROUND", dec_arg("1.235", 5, 3), I(2));
    TYPE_IS("DECIMAL(3, 0)", "ROUND", dec_arg("1.235", 5, 3), I(-1));
    CHECK_LIT("1.23", "TRUNCATE", dec_arg("1.239", 5, 3), I(2));
    CHECK("1.2", "TRUNCATE", DBL(1.29), I(1));
    CHECK("120", "TRUNCATE", I(129), I(-1));
    CHECK("-1", "SIGN", I(-9));
    CHECK("1.0", "SIGN", DBL(3.5));
    CHECK("-1.00", "SIGN", dec_arg("-3.25", 5, 2));
    CHECK0("3.141592653589793", "PI");
    CHECK0("2.718281828459045", "E");
    CHECK("90.0", "DEGREES", DBL(1.5707963267948966));
    CHECK("1111", "BIN", I(15));
    CHECK("1111111111111111111111111111111111111111111111111111111111111111", "BIN", BI(-1));
    CHECK("FF", "HEX", I(255));
    CHECK("6869", "HEX", S("hi"));
    TYPE_IS("DOUBLE", "POWER", I(2), I(3));
    TYPE_IS("INT", "ABS", I(1));
    BIND_FAILS("MOD expects (EXACT_NUMERIC, EXACT_NUMERIC), got (DOUBLE, INT)", "MOD",
               DBL(1), I(2));
    BIND_FAILS("ABS expects (NUMERIC), got (STRING)", "ABS", S("x"));
}

static void test_rand(void **st)
{
    (void)st;
    /* new java.util.Random(42).nextDouble() and nextInt(10) */
    struct tcall c;
    struct targ seed = I(42);
    assert_int_equal(tc_bind(&c, "RAND", 1, &seed, true), 0);
    assert_int_equal(tc_eval(&c, 1, &seed), 0);
    assert_string_equal(render(&c.out, 0), "0.7275636800328681");
    tc_free(&c);
    struct targ a2[] = {I(42), I(10)};
    assert_int_equal(tc_bind(&c, "RAND_INTEGER", 2, a2, true), 0);
    assert_int_equal(tc_eval(&c, 1, a2), 0);
    assert_string_equal(render(&c.out, 0), "0");
    tc_free(&c);
    assert_int_equal(tc_bind(&c, "UUID", 0, NULL, true), 0);
    assert_int_equal(tc_eval(&c, 2, NULL), 0);
    assert_int_equal(c.out.s[0].len, 36);
    assert_int_equal(c.out.s[0].ptr[14], '4');
    assert_true(memcmp(c.out.s[0].ptr, c.out.s[1].ptr, 36) != 0);
    tc_free(&c);
    assert_true((func_lookup("RAND")->flags & FN_NONDETERMINISTIC) != 0);
}

/* ---- hashes and misc ------------------------------------------------------------------- */

static void test_hash(void **st)
{
    (void)st;
    CHECK("5d41402abc4b2a76b9719d911017c592", "MD5", S("hello"));
    CHECK("d41d8cd98f00b204e9800998ecf8427e", "MD5", S(""));
    CHECK("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", "SHA1", S("hello"));
    CHECK("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "SHA256",
          S("hello"));
    CHECK("ea09ae9cc6768c50fcee903ed054556e5bfc8347907f12598aa24193", "SHA224", S("hello"));
    CHECK("59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5"
          "f6a13de828684f",
          "SHA384", S("hello"));
    CHECK("9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c"
          "7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
          "SHA512", S("hello"));
    CHECK("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "SHA2",
          S("hello"), I(256));
    /* 56-byte message: padding spills into a second block */
    CHECK("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "SHA256",
          S("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
    BIND_FAILS("hash length must be 224, 256, 384 or 512", "SHA2", S("x"), I(100));
}

static void test_conditional(void **st)
{
    (void)st;
    CHECK("5", "IFNULL", INULL, I(5));
    CHECK("3", "IFNULL", I(3), I(5));
    CHECK("x", "IFNULL", SNULL, S("x"));
    CHECK("5", "GREATEST", I(1), I(5), I(3));
    CHECK("1", "LEAST", I(1), I(5), I(3));
    CHECK("NULL", "GREATEST", I(1), INULL, I(3));
    CHECK("b", "GREATEST", S("a"), S("b"));
    CHECK("3.5", "GREATEST", I(1), DBL(3.5));
    TYPE_IS("DOUBLE", "GREATEST", I(1), DBL(3.5));
    CHECK("TRUE", "IS_ALPHA", S("abc"));
    CHECK("FALSE", "IS_ALPHA", S("ab1"));
    CHECK("FALSE", "IS_ALPHA", SNULL);
    CHECK("TRUE", "IS_DIGIT", S("123"));
    CHECK("FALSE", "IS_DIGIT", S(""));
    CHECK("TRUE", "IS_DIGIT", I(5));
    CHECK("TRUE", "IS_DECIMAL", S("1.5e3"));
    CHECK("FALSE", "IS_DECIMAL", S("x"));
}

static void test_count_char(void **st)
{
    (void)st;
    const struct func_def *d = func_lookup_class("com.github.nexmark.flink.udf.CountChar");
    struct targ a[] = {S("abcabc"), S("c")}, b[] = {SNULL, S("c")};
    struct tcall c;
    memset(&c, 0, sizeof c);
    c.def = d;
    c.n_args = 2;
    c.types[0] = c.types[1] = &type_string;
    c.fb = (struct func_bind){.def = d, .n_args = 2, .arg_types = c.types, .cast_to = c.casts,
                              .arena = &A};
    assert_int_equal(d->bind(&c.fb, &E), 0);
    struct targ rows[] = {a[0], a[1], b[0], b[1], S("c\xC3\xA7"), S("c")};
    assert_int_equal(tc_eval(&c, 3, rows), 0);
    assert_string_equal(render(&c.out, 0), "2");
    assert_string_equal(render(&c.out, 1), "0");
    assert_string_equal(render(&c.out, 2), "1");
    assert_string_equal(type_to_sql(&A, c.fb.result), "BIGINT NOT NULL");
    tc_free(&c);
}

/* ---- temporal ----------------------------------------------------------------------- */

static int64_t ts(int y, int mo, int d, int h, int mi, int s, int ms)
{
    return dt_make_ts(y, mo, d, h, mi, s, ms * 1000LL);
}

static void test_time_format(void **st)
{
    (void)st;
    assert_int_equal(dt_zone_set("UTC", NULL), 0);
    CHECK("1970-01-01 00:00:44", "FROM_UNIXTIME", BI(44));
    CHECK("1970-01-01", "FROM_UNIXTIME", BI(44), S("yyyy-MM-dd"));
    CHECK("2020-04-15", "DATE_FORMAT", TS(ts(2020, 4, 15, 8, 5, 0, 0)), S("yyyy-MM-dd"));
    CHECK("08:05", "DATE_FORMAT", TS(ts(2020, 4, 15, 8, 5, 0, 0)), S("HH:mm"));
    CHECK("2020/04/15 08", "DATE_FORMAT", S("2020-04-15 08:05:00"), S("yyyy/MM/dd HH"));
    CHECK("NULL", "DATE_FORMAT", S("garbage"), S("yyyy"));
    TYPE_IS("STRING", "DATE_FORMAT", TS(0), S("yyyy"));
    CHECK("2020-04-15T08:05:01", "TO_TIMESTAMP", S("2020-04-15 08:05:01"));
    CHECK("2020-04-15T08:05", "TO_TIMESTAMP", S("15/04/2020 08:05"), S("dd/MM/yyyy HH:mm"));
    CHECK("NULL", "TO_TIMESTAMP", S("nope"));
    TYPE_IS("TIMESTAMP(3)", "TO_TIMESTAMP", S("x"));
    CHECK("1970-01-01T00:00:04.001Z", "TO_TIMESTAMP_LTZ", BI(4001), I(3));
    CHECK("1970-01-01T00:01:40Z", "TO_TIMESTAMP_LTZ", BI(100), I(0));
    CHECK("1970-01-01T00:00:01.500Z", "TO_TIMESTAMP_LTZ", DBL(1.5), I(0));
    TYPE_IS("TIMESTAMP_LTZ(3)", "TO_TIMESTAMP_LTZ", BI(1), I(3));
    BIND_FAILS("the precision value '6' is unsupported", "TO_TIMESTAMP_LTZ", BI(1), I(6));
    CHECK("2020-04-15", "TO_DATE", S("2020-04-15"));
    CHECK("2020-04-15", "TO_DATE", S("15.04.2020"), S("dd.MM.yyyy"));
    CHECK("1586937600", "UNIX_TIMESTAMP", S("2020-04-15 08:00:00"));
    CHECK("-9223372036854775808", "UNIX_TIMESTAMP", S("bad"));
    CHECK("1586908800", "UNIX_TIMESTAMP", S("2020-04-15"), S("yyyy-MM-dd"));
    /* session zone */
    assert_int_equal(dt_zone_set("Asia/Shanghai", NULL), 0);
    CHECK("1970-01-01 08:00:44", "FROM_UNIXTIME", BI(44));
    CHECK("1586908800", "UNIX_TIMESTAMP", S("2020-04-15 08:00:00"));
    CHECK("08", "DATE_FORMAT", LTZ(0), S("HH"));
    CHECK("8", "HOUR", LTZ(0));
    assert_int_equal(dt_zone_set("UTC", NULL), 0);
    CHECK("2020-04-15 10:00:00", "CONVERT_TZ", S("2020-04-15 08:00:00"), S("UTC"),
          S("GMT+02:00"));
}

static void test_extract(void **st)
{
    (void)st;
    int64_t t = ts(2020, 4, 15, 8, 5, 9, 123);
    CHECK("2020", "EXTRACT", S("YEAR"), TS(t));
    CHECK("4", "EXTRACT", S("MONTH"), TS(t));
    CHECK("8", "EXTRACT", S("HOUR"), TS(t));
    CHECK("8", "HOUR", TS(t));
    CHECK("5", "MINUTE", TS(t));
    CHECK("9", "SECOND", TS(t));
    CHECK("2020", "YEAR", TS(t));
    CHECK("2", "QUARTER", TS(t));
    CHECK("15", "DAYOFMONTH", TS(t));
    CHECK("106", "DAYOFYEAR", TS(t));
    CHECK("4", "DAYOFWEEK", TS(t));       /* Wednesday, 1 = Sunday */
    CHECK("16", "WEEK", TS(t));
    int64_t d = dt_days_from_civil(2020, 4, 15);
    CHECK("2020", "YEAR", DATE(d));
    CHECK("23", "HOUR", TS(ts(1969, 12, 31, 23, 0, 0, 0)));   /* before the epoch */
    TYPE_IS("BIGINT", "HOUR", TS(t));
    TYPE_IS("BIGINT", "EXTRACT", S("DAY"), TS(t));
    BIND_FAILS("cannot extract HOUR from DATE", "HOUR", DATE(d));
    BIND_FAILS("argument 1 must be a time unit", "EXTRACT", S("FORTNIGHT"), TS(t));
}

static void test_floor_add_diff(void **st)
{
    (void)st;
    int64_t t = ts(2020, 4, 15, 8, 5, 9, 123);
    CHECK("2020-04-15T08:00", "FLOOR", TS(t), S("HOUR"));
    CHECK("2020-04-15T09:00", "CEIL", TS(t), S("HOUR"));
    CHECK("2020-04-01T00:00", "FLOOR", TS(t), S("MONTH"));
    CHECK("2020-04-01", "FLOOR", DATE(dt_days_from_civil(2020, 4, 15)), S("MONTH"));
    TYPE_IS("TIMESTAMP(3)", "FLOOR", TS(t), S("DAY"));
    CHECK("2020-04-15T10:05:09.123", "TIMESTAMPADD", S("HOUR"), I(2), TS(t));
    CHECK("2020-02-29T00:00", "TIMESTAMPADD", S("MONTH"), I(1), TS(ts(2020, 1, 31, 0, 0, 0, 0)));
    CHECK("2020-04-17", "TIMESTAMPADD", S("DAY"), I(2), DATE(dt_days_from_civil(2020, 4, 15)));
    CHECK("2", "TIMESTAMPDIFF", S("DAY"), TS(ts(2020, 4, 15, 0, 0, 0, 0)),
          TS(ts(2020, 4, 17, 1, 0, 0, 0)));
    CHECK("-1", "TIMESTAMPDIFF", S("MONTH"), TS(ts(2020, 3, 15, 0, 0, 0, 0)),
          TS(ts(2020, 2, 15, 0, 0, 0, 0)));
    TYPE_IS("INT", "TIMESTAMPDIFF", S("DAY"), TS(0), TS(0));
}

static void test_now(void **st)
{
    (void)st;
    struct tcall c;
    assert_int_equal(tc_bind(&c, "CURRENT_TIMESTAMP", 0, NULL, true), 0);
    assert_string_equal(type_to_sql(&A, c.fb.result), "TIMESTAMP_LTZ(3) NOT NULL");
    int64_t before = dt_now_us() - 1000;
    assert_int_equal(tc_eval(&c, 2, NULL), 0);
    assert_true(c.out.i64[0] >= before && c.out.i64[0] <= dt_now_us());
    assert_int_equal(c.out.i64[0] % 1000, 0);
    tc_free(&c);
    assert_true((func_lookup("NOW")->flags & FN_NONDETERMINISTIC) != 0);
    assert_int_equal(tc_bind(&c, "CURRENT_DATE", 0, NULL, true), 0);
    assert_string_equal(type_to_sql(&A, c.fb.result), "DATE NOT NULL");
}

/* ---- JSON ------------------------------------------------------------------------- */

static void test_json_value(void **st)
{
    (void)st;
    CHECK("true", "JSON_VALUE", S("{\"a\": true}"), S("$.a"));
    CHECK("NULL", "JSON_VALUE", S("{\"a\": true}"), S("$.b"));
    CHECK("NULL", "JSON_VALUE", S("{\"a\": true}"), S("lax $.b"));
    CHECK("x", "JSON_VALUE", S("{\"a\": {\"b\": [1, \"x\"]}}"), S("$.a.b[1]"));
    CHECK("x", "JSON_VALUE", S("{\"a\": {\"b\": [1, \"x\"]}}"), S("$.a.b[-1]"));
    CHECK("v", "JSON_VALUE", S("{\"a.b\": \"v\"}"), S("$['a.b']"));
    CHECK("2", "JSON_VALUE", S("{\"a\": 1, \"a\": 2}"), S("$.a"));        /* last wins */
    CHECK("1.50", "JSON_VALUE", S("{\"a\": 1.50}"), S("$.a"));            /* BigDecimal */
    CHECK("1E+2", "JSON_VALUE", S("{\"a\": 1e2}"), S("$.a"));
    CHECK("0", "JSON_VALUE", S("{\"a\": -0}"), S("$.a"));
    CHECK("tab\there \xC3\xA9", "JSON_VALUE", S("{\"a\": \"tab\\there \\u00e9\"}"), S("$.a"));
    CHECK("NULL", "JSON_VALUE", S("{\"a\": null}"), S("$.a"));
    CHECK("NULL", "JSON_VALUE", S("{\"a\": [1]}"), S("$.a"));             /* not scalar */
    CHECK("NULL", "JSON_VALUE", S("{\"a\": tru}"), S("$.a"));             /* bad JSON */
    CHECK("NULL", "JSON_VALUE", S("{'a': 1}"), S("$.a"));
    CHECK("1", "JSON_VALUE", S("{\"a\": 1} trailing"), S("$.a"));         /* Jackson */
    CHECK("NULL", "JSON_VALUE", SNULL, S("$.a"));
    TYPE_IS("STRING", "JSON_VALUE", S("{}"), S("$.a"));
    /* RETURNING INT, DEFAULT -1 ON EMPTY, NULL ON ERROR */
    struct targ ret_int = {&type_int, {.is_null = true}};
    CHECK("42", "JSON_VALUE", S("{\"a\": 42}"), S("$.a"), ret_int, S("DEFAULT"), I(-1), S("NULL"),
          INULL);
    CHECK("-1", "JSON_VALUE", S("{\"a\": 42}"), S("lax $.b"), ret_int, S("DEFAULT"), I(-1),
          S("NULL"), INULL);
    CHECK("-2", "JSON_VALUE", S("{\"a\": 42}"), S("strict $.b"), ret_int, S("DEFAULT"), I(-1),
          S("DEFAULT"), I(-2));
    struct targ ret_d = {&type_double, {.is_null = true}};
    CHECK("1.5", "JSON_VALUE", S("{\"a\": 1.5}"), S("$.a"), ret_d);
    TYPE_IS("INT", "JSON_VALUE", S("{}"), S("$.a"), ret_int);
    BIND_FAILS("invalid JSON path 'a.b'", "JSON_VALUE", S("{}"), S("a.b"));
    BIND_FAILS("not supported yet", "JSON_VALUE", S("{}"), S("$..a"));
}

static void test_json_other(void **st)
{
    (void)st;
    CHECK("TRUE", "JSON_EXISTS", S("{\"a\": true}"), S("$.a"));
    CHECK("FALSE", "JSON_EXISTS", S("{\"a\": true}"), S("$.b"));
    CHECK("FALSE", "JSON_EXISTS", S("{\"a\": null}"), S("$.a"));
    CHECK("FALSE", "JSON_EXISTS", S("{\"a\": true}"), S("$.a[0]"));
    CHECK("TRUE", "JSON_EXISTS", S("{\"a\": true}"), S("strict $.b"), S("TRUE"));
    CHECK("{\"b\":1,\"c\":[2,\"x\"]}", "JSON_QUERY", S("{\"a\": {\"c\": [2, \"x\"], \"b\": 1}}"),
          S("$.a"));
    CHECK("NULL", "JSON_QUERY", S("{\"a\": 1}"), S("$.a"));
    CHECK("[1]", "JSON_QUERY", S("{\"a\": 1}"), S("$.a"), S("WITH_CONDITIONAL_ARRAY"));
    CHECK("[[1]]", "JSON_QUERY", S("{\"a\": [1]}"), S("$.a"), S("WITH_UNCONDITIONAL_ARRAY"));
    CHECK("[]", "JSON_QUERY", S("{\"a\": 1}"), S("lax $.b"), S("WITHOUT_ARRAY"),
          S("EMPTY_ARRAY"), S("NULL"));
    CHECK("[\"a\\\"b\"]", "JSON_QUERY", S("[\"a\\\"b\"]"), S("$"));
    CHECK("TRUE", "IS_JSON", S("{}"));
    CHECK("TRUE", "IS_JSON", S("[1, 2]"), S("ARRAY"));
    CHECK("FALSE", "IS_JSON", S("[1, 2]"), S("OBJECT"));
    CHECK("TRUE", "IS_JSON", S("1"), S("SCALAR"));
    CHECK("FALSE", "IS_JSON", S("{"));
    CHECK("FALSE", "IS_JSON", S(""));
    CHECK("FALSE", "IS_JSON", S("01"));
    CHECK("FALSE", "IS_JSON", SNULL);
    TYPE_IS("BOOLEAN NOT NULL", "IS_JSON", S("{}"));
}

/* ---- multi-row behaviour ------------------------------------------------------------- */

static void test_null_rows(void **st)
{
    (void)st;
    struct targ a[] = {S("a/b"), S("/"), I(1)};
    struct tcall c;
    assert_int_equal(tc_bind(&c, "SPLIT_INDEX", 3, a, false), 0);
    struct targ rows[] = {
        S("a/b"), S("/"), I(1),
        SNULL, S("/"), I(1),
        S("a/b"), S("/"), I(5),
        S("x//y"), S("/"), I(2),
    };
    assert_int_equal(tc_eval(&c, 4, rows), 0);
    assert_string_equal(render(&c.out, 0), "b");
    assert_string_equal(render(&c.out, 1), "NULL");
    assert_string_equal(render(&c.out, 2), "NULL");
    assert_string_equal(render(&c.out, 3), "y");
    tc_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_char_length_substring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_position, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pad_repeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ascii_chr_base64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regexp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_math, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conditional, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_char, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extract, setup, teardown),
        cmocka_unit_test_setup_teardown(test_floor_add_diff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_now, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_other, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
