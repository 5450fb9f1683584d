/*
 * fn_math.c — numeric functions (SQL.md f.2): ABS, MOD, POWER, SQRT, EXP, LN,
 * LOG*, CEIL/FLOOR (numeric; the temporal form forwards to fn_time.c), ROUND,
 * TRUNCATE, SIGN, RAND, RAND_INTEGER, PI, E, trigonometry, BIN, HEX.
 *
 * Result types follow Flink: ABS/SIGN/CEIL/FLOOR/ROUND/TRUNCATE keep the
 * argument's type (DECIMAL: CEIL/FLOOR → DECIMAL(p, 0), ROUND/TRUNCATE →
 * findRoundDecimalType), MOD of integers has the second argument's type and of
 * decimals dec_mod_type, everything transcendental is DOUBLE.  Bind picks one
 * loop per argument lane (fn_dispatch), so kernels never switch per row.
 * Integer results wrap to the type's width as on the JVM (ABS(INT_MIN) = INT_MIN).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/decimal.h"
#include "core/numfmt.h"
#include "exec/fn_int.h"

/* ---- helpers ---------------------------------------------------------------------- */

static int int_bits(const struct func_call *call) { return type_int_bits(call->result); }

/* Bind for unary numeric functions that keep the argument type. */
static int bind_numeric1(struct func_bind *fb, struct weir_error *err, const char *expected)
{
    int rc = fn_check_args(fb, err, "N", expected);
    if (rc)
        return rc;
    const struct sql_type *t = fb->arg_types[0];
    if (t->id == T_NULL) {
        t = &type_double;
        fb->cast_to[0] = t;
    }
    fb->result = fn_result(fb, t, false);
    return WEIR_OK;
}

/* ---- ABS ------------------------------------------------------------------------ */

static int abs_i(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    int bits = int_bits(call);
    FN_FOREACH(i) {
        int64_t v = args[0].i64[i];
        out->i64[i] = fn_wrap(v < 0 ? (int64_t)(0 - (uint64_t)v) : v, bits);
    }
    return WEIR_OK;
}

static int abs_f(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) out->f64[i] = fabs(args[0].f64[i]);
    return WEIR_OK;
}

static int abs_d(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        __int128 v = args[0].i128[i];
        out->i128[i] = v < 0 ? -v : v;
    }
    return WEIR_OK;
}

static func_eval_fn by_lane(const struct sql_type *t, func_eval_fn fi, func_eval_fn ff,
                            func_eval_fn fd)
{
    switch (type_lane(t)) {
    case LANE_I64: return fi;
    case LANE_F64: return ff;
    default: return fd;
    }
}

static int bind_abs(struct func_bind *fb, struct weir_error *err)
{
    int rc = bind_numeric1(fb, err, "(NUMERIC)");
    if (rc)
        return rc;
    fn_dispatch_set(fb, by_lane(fb->result, abs_i, abs_f, abs_d), NULL);
    return WEIR_OK;
}

/* ---- SIGN ------------------------------------------------------------------------ */

static int sign_i(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        int64_t v = args[0].i64[i];
        out->i64[i] = (v > 0) - (v < 0);
    }
    return WEIR_OK;
}

/* Math.signum: NaN and ±0.0 come back unchanged. */
static int sign_f(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        double v = args[0].f64[i];
        out->f64[i] = v > 0 ? 1.0 : v < 0 ? -1.0 : v;
    }
    return WEIR_OK;
}

static int sign_d(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    __int128 one = dec_pow10[call->result->scale];
    FN_FOREACH(i) {
        __int128 v = args[0].i128[i];
        out->i128[i] = v > 0 ? one : v < 0 ? -one : 0;
    }
    return WEIR_OK;
}

static int bind_sign(struct func_bind *fb, struct weir_error *err)
{
    int rc = bind_numeric1(fb, err, "(NUMERIC)");
    if (rc)
        return rc;
    fn_dispatch_set(fb, by_lane(fb->result, sign_i, sign_f, sign_d), NULL);
    return WEIR_OK;
}

/* ---- MOD --------------------------------------------------------------------------- */

static int mod_i(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    int bits = int_bits(call);
    FN_FOREACH(i) {
        int64_t a = args[0].i64[i], b = args[1].i64[i];
        if (b == 0)
            return err_set(err, WEIR_ERR_RUNTIME, "MOD: division by zero");
        out->i64[i] = b == -1 ? 0 : fn_wrap(a % b, bits);
    }
    return WEIR_OK;
}

static int mod_d(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *dp = call->state;
    const struct sql_type *r = call->result;
    FN_FOREACH(i) {
        __int128 b = args[1].i128[i], o;
        if (b == 0)
            return err_set(err, WEIR_ERR_RUNTIME, "MOD: division by zero");
        if (!dec_mod(args[0].i128[i], dp->aux, b, dp->aux2, r->precision, r->scale, &o)) {
            fn_set_null(out, i);
            continue;
        }
        out->i128[i] = o;
    }
    return WEIR_OK;
}

static int bind_mod(struct func_bind *fb, struct weir_error *err)
{
    static const char *exp = "(EXACT_NUMERIC, EXACT_NUMERIC)";
    int rc = fn_check_args(fb, err, "NN", exp);
    if (rc)
        return rc;
    const struct sql_type *a = fb->arg_types[0], *b = fb->arg_types[1];
    if (a->id == T_NULL)
        a = fb->cast_to[0] = &type_int;
    if (b->id == T_NULL)
        b = fb->cast_to[1] = &type_int;
    if (type_is_approx(a) || type_is_approx(b))
        return fn_bind_mismatch(fb, err, exp);
    if (type_is_integer(a) && type_is_integer(b)) {
        fb->result = fn_result(fb, b, false);
        fn_dispatch_set(fb, mod_i, NULL);
        return WEIR_OK;
    }
    int p1, s1, p2, s2, p, s;
    type_decimal_of(a, &p1, &s1);
    type_decimal_of(b, &p2, &s2);
    if (a->id != T_DECIMAL)
        fb->cast_to[0] = type_with_nullable(fb->arena, type_decimal(fb->arena, p1, s1),
                                            a->nullable);
    if (b->id != T_DECIMAL)
        fb->cast_to[1] = type_with_nullable(fb->arena, type_decimal(fb->arena, p2, s2),
                                            b->nullable);
    dec_mod_type(p1, s1, p2, s2, &p, &s);
    fb->result = fn_result(fb, type_decimal(fb->arena, p, s), false);
    struct fn_dispatch *d = fn_dispatch_set(fb, mod_d, NULL);
    d->aux = s1;    /* operand scales, as the casts make them */
    d->aux2 = s2;
    return WEIR_OK;
}

/* ---- DOUBLE → DOUBLE functions ---------------------------------------------------------- */

static double cot(double x) { return 1.0 / tan(x); }
static double degrees(double x) { return x * (180.0 / M_PI); }
static double radians(double x) { return x / 180.0 * M_PI; }
static double log2_java(double x) { return log(x) / log(2.0); }

#define UNARY_DOUBLE(name, expr)                            \
    static int name(FN_EVAL_ARGS)                           \
    {                                                       \
        FN_UNUSED_EVAL_ARGS;                                \
        const double *a = args[0].f64;                      \
        double *o = out->f64;                               \
        FN_FOREACH(i) {                                     \
            double x = a[i];                                \
            o[i] = (expr);                                  \
        }                                                   \
        return WEIR_OK;                                     \
    }
UNARY_DOUBLE(eval_sqrt, sqrt(x))
UNARY_DOUBLE(eval_exp, exp(x))
UNARY_DOUBLE(eval_ln, log(x))
UNARY_DOUBLE(eval_log10, log10(x))
UNARY_DOUBLE(eval_log2, log2_java(x))
UNARY_DOUBLE(eval_sin, sin(x))
UNARY_DOUBLE(eval_cos, cos(x))
UNARY_DOUBLE(eval_tan, tan(x))
UNARY_DOUBLE(eval_cot, cot(x))
UNARY_DOUBLE(eval_asin, asin(x))
UNARY_DOUBLE(eval_acos, acos(x))
UNARY_DOUBLE(eval_atan, atan(x))
UNARY_DOUBLE(eval_sinh, sinh(x))
UNARY_DOUBLE(eval_cosh, cosh(x))
UNARY_DOUBLE(eval_tanh, tanh(x))
UNARY_DOUBLE(eval_degrees, degrees(x))
UNARY_DOUBLE(eval_radians, radians(x))

static int bind_double1(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "D", "(NUMERIC)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_double, false);
    return WEIR_OK;
}

static int bind_double2(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "DD", "(NUMERIC, NUMERIC)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_double, false);
    return WEIR_OK;
}

static int eval_power(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) out->f64[i] = pow(args[0].f64[i], args[1].f64[i]);
    return WEIR_OK;
}

static int eval_atan2(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) out->f64[i] = atan2(args[0].f64[i], args[1].f64[i]);
    return WEIR_OK;
}

static int bind_log(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "DD", "(NUMERIC[, NUMERIC])");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_double, false);
    return WEIR_OK;
}

/* LOG(x) = ln x; LOG(base, x) = ln x / ln base (SqlFunctionUtils.log). */
static int eval_log(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    if (call->n_args == 1) {
        FN_FOREACH(i) out->f64[i] = log(args[0].f64[i]);
    } else {
        FN_FOREACH(i) out->f64[i] = log(args[1].f64[i]) / log(args[0].f64[i]);
    }
    return WEIR_OK;
}

static int bind_const0(struct func_bind *fb, struct weir_error *err)
{
    if (fb->n_args != 0)
        return fn_bind_mismatch(fb, err, "()");
    fb->result = type_with_nullable(fb->arena, &type_double, false);
    return WEIR_OK;
}

static int eval_pi(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) out->f64[i] = M_PI;
    return WEIR_OK;
}

static int eval_e(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) out->f64[i] = M_E;
    return WEIR_OK;
}

/* ---- CEIL, FLOOR (numeric) ------------------------------------------------------------ */

static int ident_i(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) out->i64[i] = args[0].i64[i];
    return WEIR_OK;
}

UNARY_DOUBLE(floor_f, floor(x))
UNARY_DOUBLE(ceil_f, ceil(x))

static int floor_d(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    int s = ((const struct fn_dispatch *)call->state)->aux;
    FN_FOREACH(i) out->i128[i] = dec_floor(args[0].i128[i], s);
    return WEIR_OK;
}

static int ceil_d(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    int s = ((const struct fn_dispatch *)call->state)->aux;
    FN_FOREACH(i) out->i128[i] = dec_ceil(args[0].i128[i], s);
    return WEIR_OK;
}

static int bind_floor_ceil(struct func_bind *fb, struct weir_error *err, bool ceil)
{
    if (fb->n_args == 2 || (fb->n_args == 1 && type_is_temporal(fb->arg_types[0])))
        return fn_bind_floor_ceil_time(fb, err, ceil);
    int rc = bind_numeric1(fb, err, "(NUMERIC) or (temporal, 'unit')");
    if (rc)
        return rc;
    const struct sql_type *t = fb->result;
    if (t->id == T_DECIMAL) {
        if (t->scale != 0)
            fb->result = fn_result(fb, type_decimal(fb->arena, t->precision, 0), false);
        fn_dispatch_set(fb, ceil ? ceil_d : floor_d, NULL)->aux = t->scale;
    } else {
        fn_dispatch_set(fb, by_lane(t, ident_i, ceil ? ceil_f : floor_f, NULL), NULL);
    }
    return WEIR_OK;
}

static int bind_floor(struct func_bind *fb, struct weir_error *err)
{
    return bind_floor_ceil(fb, err, false);
}

static int bind_ceil(struct func_bind *fb, struct weir_error *err)
{
    return bind_floor_ceil(fb, err, true);
}

/* ---- ROUND, TRUNCATE ----------------------------------------------------------------- */

/*
 * Rounds v at `d` decimal places the way BigDecimal.valueOf(v) then
 * setScale(HALF_UP or DOWN) does: on the digits of Java's Double.toString, not
 * on the binary value (so ROUND(2.675, 2) = 2.68 as in Flink).  Non-finite
 * values come back unchanged (Flink throws NumberFormatException).
 */
static double java_round_double(double v, int64_t d, bool truncate)
{
    if (!isfinite(v) || v == 0)
        return v;
    char buf[NUMFMT_MAX];
    numfmt_double(buf, v);
    const char *p = buf;
    bool neg = *p == '-';
    if (neg)
        p++;
    char dig[40];
    int nd = 0, pt = -1;
    long exp10 = 0;
    for (; *p; p++) {
        if (*p == '.')
            pt = nd;
        else if (*p == 'E') {
            exp10 = strtol(p + 1, NULL, 10);
            break;
        } else if (nd < 39)
            dig[nd++] = *p;
    }
    if (pt < 0)
        pt = nd;
    /* strip leading zeros: value = 0.dig × 10^(pt) with pt counting int digits */
    int lead = 0;
    while (lead < nd - 1 && dig[lead] == '0')
        lead++;
    memmove(dig, dig + lead, (size_t)(nd - lead));
    nd -= lead;
    long point = (long)pt - lead + exp10;   /* digits before the decimal point */
    long keep = point + d;                   /* digits to keep */
    if (keep >= nd)
        return v;
    if (keep < 0)
        return 0.0;
    bool up = !truncate && dig[keep] >= '5';
    char res[48];
    int rn = 0;
    if (up) {
        int k = (int)keep - 1;
        while (k >= 0 && dig[k] == '9') {
            dig[k] = '0';
            k--;
        }
        if (k >= 0)
            dig[k]++;
        else
            res[rn++] = '1';
    }
    if (keep == 0 && rn == 0)
        return 0.0;
    memcpy(res + rn, dig, (size_t)keep);
    rn += (int)keep;
    /* value = res × 10^(point - keep) (+1 digit when a carry added a leading 1
     * is already accounted for by res being one digit longer) */
    char text[96];
    snprintf(text, sizeof text, "%s%.*se%ld", neg ? "-" : "", rn, res, point - keep);
    double r = strtod(text, NULL);
    return r == 0 ? 0.0 : r;
}

static int64_t round_int(int64_t v, int64_t d, int bits, bool truncate)
{
    if (d >= 0)
        return v;
    if (d < -38)
        return 0;
    __int128 p = dec_pow10[-d];
    __int128 x = v, q = x / p, r = x % p;
    if (!truncate && (r < 0 ? -r : r) * 2 >= p)
        q += x < 0 ? -1 : 1;
    __int128 res = q * p;
    return fn_wrap((int64_t)(uint64_t)res, bits);
}

struct round_state {
    bool truncate;
    bool d_literal;
    int64_t d;
};

static int64_t round_digits(const struct func_call *call, const struct round_state *st,
                            const struct vec *args, int i)
{
    if (call->n_args < 2)
        return 0;
    return st->d_literal ? st->d : args[1].i64[i];
}

static int round_i(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *dp = call->state;
    const struct round_state *st = dp->state;
    int bits = int_bits(call);
    FN_FOREACH(i) out->i64[i] = round_int(args[0].i64[i], round_digits(call, st, args, i),
                                          bits, st->truncate);
    return WEIR_OK;
}

static int round_f(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *dp = call->state;
    const struct round_state *st = dp->state;
    bool is_float = call->result->id == T_FLOAT;
    FN_FOREACH(i) {
        double r = java_round_double(args[0].f64[i], round_digits(call, st, args, i),
                                     st->truncate);
        out->f64[i] = is_float ? (double)(float)r : r;
    }
    return WEIR_OK;
}

static int round_d(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *dp = call->state;
    const struct round_state *st = dp->state;
    int s = dp->aux, rs = call->result->scale, rp = call->result->precision;
    FN_FOREACH(i) {
        int64_t d = round_digits(call, st, args, i);
        if (d > 38)
            d = 38;
        if (d < -38)
            d = -38;
        __int128 o = st->truncate ? dec_truncate(args[0].i128[i], s, (int)d, rs)
                                  : dec_round(args[0].i128[i], s, (int)d, rs);
        if (!dec_fits(o, rp)) {
            fn_set_null(out, i);
            continue;
        }
        out->i128[i] = o;
    }
    return WEIR_OK;
}

static int bind_round_common(struct func_bind *fb, struct weir_error *err, bool truncate)
{
    int rc = fn_check_args(fb, err, "NI", "(NUMERIC[, INT])");
    if (rc)
        return rc;
    const struct sql_type *t = fb->arg_types[0];
    if (t->id == T_NULL)
        t = fb->cast_to[0] = &type_double;
    struct round_state *st = arena_calloc(fb->arena, sizeof(*st));
    st->truncate = truncate;
    st->d_literal = fb->n_args < 2 || fn_arg_int_literal(fb, 1, &st->d);
    if (t->id == T_DECIMAL) {
        int p = t->precision, s = t->scale;
        if (st->d_literal) {
            int64_t d = st->d < -38 ? -38 : st->d > 38 ? 38 : st->d;
            dec_round_type(p, s, (int)d, &p, &s);
        }
        fb->result = fn_result(fb, type_decimal(fb->arena, p, s), false);
        fn_dispatch_set(fb, round_d, st)->aux = t->scale;
    } else {
        fb->result = fn_result(fb, t, false);
        fn_dispatch_set(fb, by_lane(t, round_i, round_f, NULL), st);
    }
    return WEIR_OK;
}

static int bind_round(struct func_bind *fb, struct weir_error *err)
{
    return bind_round_common(fb, err, false);
}

static int bind_truncate(struct func_bind *fb, struct weir_error *err)
{
    return bind_round_common(fb, err, true);
}

/* ---- RAND, RAND_INTEGER -------------------------------------------------------------- */

/* java.util.Random, so that RAND(seed) yields Flink's sequence. */
struct jrandom {
    uint64_t seed;
};

static void jr_init(struct jrandom *r, int64_t seed)
{
    r->seed = ((uint64_t)seed ^ 0x5DEECE66DULL) & ((1ULL << 48) - 1);
}

static int32_t jr_next(struct jrandom *r, int bits)
{
    r->seed = (r->seed * 0x5DEECE66DULL + 0xBULL) & ((1ULL << 48) - 1);
    return (int32_t)(int64_t)(r->seed >> (48 - bits));
}

static double jr_double(struct jrandom *r)
{
    int64_t hi = (int64_t)jr_next(r, 26), lo = (int64_t)jr_next(r, 27);
    return (double)((hi << 27) + lo) * 0x1.0p-53;
}

static int32_t jr_int(struct jrandom *r, int32_t bound)
{
    if ((bound & -bound) == bound)
        return (int32_t)(((int64_t)bound * (int64_t)jr_next(r, 31)) >> 31);
    int32_t bits, val;
    do {
        bits = jr_next(r, 31);
        val = bits % bound;
    } while (bits - val + (bound - 1) < 0);
    return val;
}

/* Unseeded calls share one generator per thread, seeded from the clock. */
static _Thread_local struct jrandom tl_rand;
static _Thread_local bool tl_rand_init;

static struct jrandom *thread_rand(void)
{
    if (!tl_rand_init) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        jr_init(&tl_rand, (int64_t)ts.tv_nsec ^ ((int64_t)ts.tv_sec << 20) ^
                              (int64_t)(uintptr_t)&tl_rand);
        tl_rand_init = true;
    }
    return &tl_rand;
}

struct rand_state {
    bool seeded;                /* RAND(literal seed): one sequence per call site */
    struct jrandom r;
};

static int bind_rand(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "I", "([INT seed])");
    if (rc)
        return rc;
    struct rand_state *st = arena_calloc(fb->arena, sizeof(*st));
    int64_t seed;
    if (fb->n_args == 1) {
        if (!fn_arg_int_literal(fb, 0, &seed))
            return fn_bind_fail(fb, err, "the seed must be an integer literal");
        st->seeded = true;
        jr_init(&st->r, seed);
    }
    fb->state = st;
    fb->result = type_with_nullable(fb->arena, &type_double, false);
    return WEIR_OK;
}

static int eval_rand(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    struct rand_state *st = call->state;
    struct jrandom *r = st->seeded ? &st->r : thread_rand();
    FN_FOREACH(i) out->f64[i] = jr_double(r);
    return WEIR_OK;
}

static int bind_rand_integer(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "II", "([INT seed, ] INT bound)");
    if (rc)
        return rc;
    struct rand_state *st = arena_calloc(fb->arena, sizeof(*st));
    int64_t seed;
    if (fb->n_args == 2) {
        if (!fn_arg_int_literal(fb, 0, &seed))
            return fn_bind_fail(fb, err, "the seed must be an integer literal");
        st->seeded = true;
        jr_init(&st->r, seed);
    }
    fb->state = st;
    fb->result = fn_result(fb, &type_int, false);
    return WEIR_OK;
}

static int eval_rand_integer(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    struct rand_state *st = call->state;
    struct jrandom *r = st->seeded ? &st->r : thread_rand();
    int b = call->n_args - 1;
    FN_FOREACH(i) {
        int64_t bound = args[b].i64[i];
        if (bound <= 0 || bound > INT32_MAX)
            return err_set(err, WEIR_ERR_RUNTIME, "RAND_INTEGER: bound must be positive, got %lld",
                           (long long)bound);
        out->i64[i] = jr_int(r, (int32_t)bound);
    }
    return WEIR_OK;
}

/* ---- BIN, HEX ------------------------------------------------------------------------ */

static int bind_bin(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "I", "(INT)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_string, false);
    return WEIR_OK;
}

/* Long.toBinaryString: two's complement for negatives, no leading zeros. */
static int eval_bin(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        uint64_t v = (uint64_t)args[0].i64[i];
        int nb = v ? 64 - __builtin_clzll(v) : 1;
        char *o = fn_out_alloc(out, (size_t)nb);
        for (int k = 0; k < nb; k++)
            o[k] = (char)('0' + ((v >> (nb - 1 - k)) & 1));
        fn_set_str(out, i, o, (size_t)nb);
    }
    return WEIR_OK;
}

static int hex_i(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        uint64_t v = (uint64_t)args[0].i64[i];
        int nd = v ? (67 - __builtin_clzll(v)) / 4 : 1;
        char *o = fn_out_alloc(out, (size_t)nd);
        for (int k = 0; k < nd; k++)
            o[k] = fn_hex_upper[(v >> (4 * (nd - 1 - k))) & 15];
        fn_set_str(out, i, o, (size_t)nd);
    }
    return WEIR_OK;
}

static int hex_s(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        char *o = fn_out_alloc(out, (size_t)s.len * 2);
        for (uint32_t k = 0; k < s.len; k++) {
            o[2 * k] = fn_hex_upper[(unsigned char)s.ptr[k] >> 4];
            o[2 * k + 1] = fn_hex_upper[(unsigned char)s.ptr[k] & 15];
        }
        fn_set_str(out, i, o, (size_t)s.len * 2);
    }
    return WEIR_OK;
}

static int bind_hex(struct func_bind *fb, struct weir_error *err)
{
    static const char *exp = "(INT) or (STRING)";
    if (fb->n_args != 1)
        return fn_bind_mismatch(fb, err, exp);
    const struct sql_type *t = fb->arg_types[0];
    int rc = fn_check_args(fb, err, type_is_integer(t) ? "I" : "Y", exp);
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_string, false);
    fn_dispatch_set(fb, type_is_integer(t) ? hex_i : hex_s, NULL);
    return WEIR_OK;
}

/* ---- table ------------------------------------------------------------------- */

#define S FN_STRICT
#define D1(nm, ev) {nm, 1, 1, S, bind_double1, ev, NULL, nm "(NUMERIC)"}
const struct func_def fn_math_defs[] = {
    {"ABS", 1, 1, S, bind_abs, fn_dispatch_eval, NULL, "ABS(NUMERIC)"},
    {"MOD", 2, 2, S, bind_mod, fn_dispatch_eval, NULL, "MOD(EXACT_NUMERIC, EXACT_NUMERIC)"},
    {"SIGN", 1, 1, S, bind_sign, fn_dispatch_eval, NULL, "SIGN(NUMERIC)"},
    {"POWER", 2, 2, S, bind_double2, eval_power, NULL, "POWER(NUMERIC, NUMERIC)"},
    {"ATAN2", 2, 2, S, bind_double2, eval_atan2, NULL, "ATAN2(NUMERIC, NUMERIC)"},
    {"LOG", 1, 2, S, bind_log, eval_log, NULL, "LOG([NUMERIC base, ] NUMERIC)"},
    D1("SQRT", eval_sqrt),
    D1("EXP", eval_exp),
    D1("LN", eval_ln),
    D1("LOG10", eval_log10),
    D1("LOG2", eval_log2),
    D1("SIN", eval_sin),
    D1("COS", eval_cos),
    D1("TAN", eval_tan),
    D1("COT", eval_cot),
    D1("ASIN", eval_asin),
    D1("ACOS", eval_acos),
    D1("ATAN", eval_atan),
    D1("SINH", eval_sinh),
    D1("COSH", eval_cosh),
    D1("TANH", eval_tanh),
    D1("DEGREES", eval_degrees),
    D1("RADIANS", eval_radians),
    {"PI", 0, 0, 0, bind_const0, eval_pi, NULL, "PI()"},
    {"E", 0, 0, 0, bind_const0, eval_e, NULL, "E()"},
    {"FLOOR", 1, 2, S, bind_floor, fn_dispatch_eval, NULL,
     "FLOOR(NUMERIC) / FLOOR(temporal TO unit)"},
    {"CEIL", 1, 2, S, bind_ceil, fn_dispatch_eval, NULL,
     "CEIL(NUMERIC) / CEIL(temporal TO unit)"},
    {"CEILING", 1, 2, S, bind_ceil, fn_dispatch_eval, NULL,
     "CEILING(NUMERIC) / CEILING(temporal TO unit)"},
    {"ROUND", 1, 2, S, bind_round, fn_dispatch_eval, NULL, "ROUND(NUMERIC[, INT])"},
    {"TRUNCATE", 1, 2, S, bind_truncate, fn_dispatch_eval, NULL, "TRUNCATE(NUMERIC[, INT])"},
    {"RAND", 0, 1, FN_NONDETERMINISTIC, bind_rand, eval_rand, NULL, "RAND([INT seed])"},
    {"RAND_INTEGER", 1, 2, S | FN_NONDETERMINISTIC, bind_rand_integer, eval_rand_integer,
     NULL, "RAND_INTEGER([INT seed, ] INT bound)"},
    {"BIN", 1, 1, S, bind_bin, eval_bin, NULL, "BIN(INT)"},
    {"HEX", 1, 1, S, bind_hex, fn_dispatch_eval, NULL, "HEX(INT | STRING)"},
};
#undef D1
#undef S
const int fn_math_count = (int)(sizeof(fn_math_defs) / sizeof(fn_math_defs[0]));
