/*
 * agg_basic.c — COUNT, SUM, SUM0, AVG, MIN, MAX: the aggregates every
 * streaming query uses, so their update() kernels are tight per-lane loops
 * with the NULL check hoisted out when the argument has no validity bitmap.
 *
 * Result types (Flink LogicalTypeMerging.findSumAggType / findAvgAggType,
 * SQL.md b.2):
 *   COUNT(*), COUNT(x, ...)   BIGINT NOT NULL (rows where every x is non-NULL)
 *   SUM(integer type)         the same type; wraps like the JVM (kept in 64
 *                             bits, narrowed on output: mod 2^w either way)
 *   SUM(FLOAT / DOUBLE)       the same type (FLOAT rounded per step, as Java)
 *   SUM(DECIMAL(p, s))        DECIMAL(38, s)
 *   SUM0                      as SUM, but 0 instead of NULL for no values
 *   AVG(integer type)         the same type: 64-bit sum / count, truncated
 *   AVG(FLOAT / DOUBLE)       the same type (sum in double)
 *   AVG(DECIMAL(p, s))        DECIMAL(38, max(6, s))
 *   MIN / MAX                 the argument type
 *
 * DECIMAL overflow follows Flink's expressions: SUM's `IF(sum IS NULL,
 * value, sum + value)` makes an overflowing sum NULL and the next value
 * restarts it; AVG's sum stays NULL once it overflowed.
 *
 * Every slot counts the rows it was given (adds - retracts, NULLs included):
 * is_empty() is that counter reaching zero.
 *
 * Snapshots (host byte order):
 *   COUNT(*)        i64 n
 *   COUNT(x)        i64 n, i64 rows
 *   SUM/SUM0/AVG    16-byte sum lane, i64 n, i64 rows, i64 sum_null
 *   MIN/MAX         append-only: i64 rows, i64 n, value if n > 0;
 *                   retracting:  i64 rows, multiset (agg_mset_snapshot)
 */
#include <string.h>

#include "core/decimal.h"
#include "exec/agg_int.h"

/* ---- COUNT ----------------------------------------------------------------------- */

static void count_star_init(void *acc, const void *state)
{
    (void)state;
    *(int64_t *)acc = 0;
}

static void count_star_update(void **accs, const struct vec *args, const uint16_t *rows,
                              int n, int sign, const void *state)
{
    (void)args, (void)rows, (void)state;
    for (int k = 0; k < n; k++)
        *(int64_t *)accs[k] += sign;
}

static void count_star_merge(void *into, const void *from, const void *state)
{
    (void)state;
    *(int64_t *)into += *(const int64_t *)from;
}

static void put_i64(struct vec *out, int row, int64_t v)
{
    out->i64[row] = v;
    vec_set_valid(out, row);
}

static void count_star_result(const void *acc, struct vec *out, int row, const void *state)
{
    (void)state;
    put_i64(out, row, *(const int64_t *)acc);
}

static bool count_star_is_empty(const void *acc, const void *state)
{
    (void)state;
    return *(const int64_t *)acc == 0;
}

static void count_star_snapshot(const void *acc, struct strbuf *out, const void *state)
{
    (void)state;
    snap_put_i64(out, *(const int64_t *)acc);
}

static int count_star_restore(void *acc, const char *p, size_t len, const void *state)
{
    (void)state;
    struct snap_rd rd = {p, len, 0, false};
    *(int64_t *)acc = snap_get_i64(&rd);
    return rd.bad ? -1 : (int)rd.pos;
}

static const struct agg_ops count_star_ops = {
    .init = count_star_init,
    .update = count_star_update,
    .merge = count_star_merge,
    .result = count_star_result,
    .is_empty = count_star_is_empty,
    .snapshot = count_star_snapshot,
    .restore = count_star_restore,
};

struct acc_count {
    int64_t n;       /* rows whose arguments are all non-NULL */
    int64_t rows;    /* every row */
};

struct count_state {
    int n_args;
    bool never;    /* an argument is the untyped NULL literal: nothing counts */
};

static void count_init(void *acc, const void *state)
{
    (void)state;
    memset(acc, 0, sizeof(struct acc_count));
}

static void count_update(void **accs, const struct vec *args, const uint16_t *rows, int n,
                         int sign, const void *state)
{
    const struct count_state *cs = state;
    if (cs->never) {
        for (int k = 0; k < n; k++)
            ((struct acc_count *)accs[k])->rows += sign;
        return;
    }
    bool any_bitmap = false;
    for (int i = 0; i < cs->n_args; i++)
        any_bitmap |= args[i].valid != NULL;
    if (!any_bitmap) {
        /* COUNT(1), COUNT(non-null column): every row counts */
        for (int k = 0; k < n; k++) {
            struct acc_count *a = accs[k];
            a->n += sign;
            a->rows += sign;
        }
        return;
    }
    if (cs->n_args == 1) {
        const struct vec *v = &args[0];
        for (int k = 0; k < n; k++) {
            struct acc_count *a = accs[k];
            a->rows += sign;
            a->n += vec_is_null(v, rows[k]) ? 0 : sign;
        }
        return;
    }
    for (int k = 0; k < n; k++) {
        struct acc_count *a = accs[k];
        bool null = false;
        for (int i = 0; i < cs->n_args; i++)
            null |= vec_is_null(&args[i], rows[k]);
        a->rows += sign;
        a->n += null ? 0 : sign;
    }
}

static void count_merge(void *into, const void *from, const void *state)
{
    (void)state;
    struct acc_count *a = into;
    const struct acc_count *b = from;
    a->n += b->n;
    a->rows += b->rows;
}

static void count_result(const void *acc, struct vec *out, int row, const void *state)
{
    (void)state;
    put_i64(out, row, ((const struct acc_count *)acc)->n);
}

static bool count_is_empty(const void *acc, const void *state)
{
    (void)state;
    return ((const struct acc_count *)acc)->rows == 0;
}

static void count_snapshot(const void *acc, struct strbuf *out, const void *state)
{
    (void)state;
    const struct acc_count *a = acc;
    snap_put_i64(out, a->n);
    snap_put_i64(out, a->rows);
}

static int count_restore(void *acc, const char *p, size_t len, const void *state)
{
    (void)state;
    struct acc_count *a = acc;
    struct snap_rd rd = {p, len, 0, false};
    a->n = snap_get_i64(&rd);
    a->rows = snap_get_i64(&rd);
    return rd.bad ? -1 : (int)rd.pos;
}

static const struct agg_ops count_ops = {
    .init = count_init,
    .update = count_update,
    .merge = count_merge,
    .result = count_result,
    .is_empty = count_is_empty,
    .snapshot = count_snapshot,
    .restore = count_restore,
};

static int count_bind(struct agg_bind *ab, struct weir_error *err)
{
    ab->result = type_with_nullable(ab->arena, &type_bigint, false);
    if (ab->n_args == 0) {
        if (ab->distinct)
            return agg_bind_fail(ab, err, "(DISTINCT *) is not valid SQL");
        ab->ops = &count_star_ops;
        ab->acc_size = sizeof(int64_t);
        return agg_bind_done(ab, err, false);
    }
    struct count_state *cs = arena_calloc(ab->arena, sizeof *cs);
    cs->n_args = ab->n_args;
    for (int i = 0; i < ab->n_args; i++)
        cs->never |= ab->arg_types[i]->id == T_NULL;
    ab->state = cs;
    ab->ops = &count_ops;
    ab->acc_size = sizeof(struct acc_count);
    return agg_bind_done(ab, err, false);
}

/* ---- SUM, SUM0, AVG ----------------------------------------------------------------- */

enum num_mode { NM_SUM, NM_SUM0, NM_AVG };

struct num_state {
    uint8_t mode;          /* enum num_mode */
    uint8_t bits;          /* integer input: result width for wrapping */
    bool out_float;        /* result is FLOAT: round to float */
    int scale;             /* DECIMAL input scale */
    int rscale;            /* DECIMAL result scale (AVG) */
};

struct acc_num {
    union {
        int64_t i;         /* integers: 64-bit, wrapping */
        double d;          /* FLOAT, DOUBLE */
        agg_i128 x;        /* DECIMAL(38, s) */
    } sum;
    int64_t n;             /* non-NULL values */
    int64_t rows;          /* every row */
    int64_t sum_null;      /* DECIMAL: the sum overflowed (Flink: NULL) */
};

static void num_init(void *acc, const void *state)
{
    (void)state;
    memset(acc, 0, sizeof(struct acc_num));
}

/*
 * The per-row loop of every numeric kernel: counts the row, skips NULLs (the
 * check vanishes when the vector has no bitmap) and runs BODY with `a` and
 * `r` bound.
 */
#define NUM_LOOP(v, BODY)                                          \
    do {                                                           \
        if ((v)->valid == NULL) {                                  \
            for (int k = 0; k < n; k++) {                          \
                struct acc_num *a = accs[k];                       \
                int r = rows[k];                                   \
                a->rows += sign;                                   \
                a->n += sign;                                      \
                BODY;                                              \
            }                                                      \
        } else {                                                   \
            for (int k = 0; k < n; k++) {                          \
                struct acc_num *a = accs[k];                       \
                int r = rows[k];                                   \
                a->rows += sign;                                   \
                if (vec_is_null((v), r))                           \
                    continue;                                      \
                a->n += sign;                                      \
                BODY;                                              \
            }                                                      \
        }                                                          \
    } while (0)

static void num_update_i64(void **accs, const struct vec *args, const uint16_t *rows, int n,
                           int sign, const void *state)
{
    (void)state;
    const struct vec *v = &args[0];
    const int64_t *x = v->i64;
    /* unsigned arithmetic: wraps mod 2^64 without UB; * ~0 negates */
    const uint64_t us = (uint64_t)(int64_t)sign;
    NUM_LOOP(v, a->sum.i = (int64_t)((uint64_t)a->sum.i + (uint64_t)x[r] * us));
}

static void num_update_f64(void **accs, const struct vec *args, const uint16_t *rows, int n,
                           int sign, const void *state)
{
    (void)state;
    const struct vec *v = &args[0];
    const double *x = v->f64;
    const double ds = sign;
    NUM_LOOP(v, a->sum.d += x[r] * ds);
}

/* SUM(FLOAT): Java adds floats in float, so round after every step. */
static void num_update_f32(void **accs, const struct vec *args, const uint16_t *rows, int n,
                           int sign, const void *state)
{
    (void)state;
    const struct vec *v = &args[0];
    const double *x = v->f64;
    const double ds = sign;
    NUM_LOOP(v, a->sum.d = (float)(a->sum.d + x[r] * ds));
}

#define DEC_LIMIT dec_pow10[DEC_MAX_PRECISION]   /* |DECIMAL(38, s)| < 10^38 */

/* sum += d in DECIMAL(38, s); overflow → NULL (sticky for AVG, restart for SUM). */
static inline void dec_accumulate(struct acc_num *a, __int128 d, bool sticky)
{
    if (a->sum_null) {
        if (sticky)
            return;
        a->sum.x = d;
        a->sum_null = 0;
        return;
    }
    __int128 r;
    if (__builtin_add_overflow((__int128)a->sum.x, d, &r) || r >= DEC_LIMIT ||
        r <= -DEC_LIMIT) {
        a->sum.x = 0;
        a->sum_null = 1;
    } else {
        a->sum.x = r;
    }
}

static void num_update_dec(void **accs, const struct vec *args, const uint16_t *rows, int n,
                           int sign, const void *state)
{
    const struct num_state *ns = state;
    const struct vec *v = &args[0];
    const __int128 *x = v->i128;
    const bool sticky = ns->mode == NM_AVG;
    /* |x| < 10^38, so negation cannot overflow */
    if (sign > 0)
        NUM_LOOP(v, dec_accumulate(a, x[r], sticky));
    else
        NUM_LOOP(v, dec_accumulate(a, -x[r], sticky));
}

static void num_merge_i64(void *into, const void *from, const void *state)
{
    (void)state;
    struct acc_num *a = into;
    const struct acc_num *b = from;
    a->sum.i = (int64_t)((uint64_t)a->sum.i + (uint64_t)b->sum.i);
    a->n += b->n;
    a->rows += b->rows;
}

static void num_merge_f64(void *into, const void *from, const void *state)
{
    const struct num_state *ns = state;
    struct acc_num *a = into;
    const struct acc_num *b = from;
    a->sum.d += b->sum.d;
    if (ns->out_float && ns->mode != NM_AVG)
        a->sum.d = (float)a->sum.d;
    a->n += b->n;
    a->rows += b->rows;
}

static void num_merge_dec(void *into, const void *from, const void *state)
{
    const struct num_state *ns = state;
    struct acc_num *a = into;
    const struct acc_num *b = from;
    a->n += b->n;
    a->rows += b->rows;
    if (ns->mode == NM_AVG) {
        if (b->sum_null)
            a->sum_null = 1;
        dec_accumulate(a, b->sum.x, true);
    } else if (!b->sum_null) {
        /* Flink: IF(other IS NULL, sum, IF(sum IS NULL, other, sum + other)) */
        dec_accumulate(a, b->sum.x, false);
    }
}

static void put_null(struct vec *out, int row) { vec_set_null(out, row); }

static void num_result_i64(const void *acc, struct vec *out, int row, const void *state)
{
    const struct num_state *ns = state;
    const struct acc_num *a = acc;
    if (a->n <= 0) {
        if (ns->mode == NM_SUM0)
            put_i64(out, row, 0);
        else
            put_null(out, row);
        return;
    }
    /* AVG: Java long division (truncates toward zero), then (int)/(short)/... */
    int64_t v = ns->mode == NM_AVG ? a->sum.i / a->n : a->sum.i;
    put_i64(out, row, agg_wrap(v, ns->bits));
}

static void num_result_f64(const void *acc, struct vec *out, int row, const void *state)
{
    const struct num_state *ns = state;
    const struct acc_num *a = acc;
    double v;
    if (a->n <= 0) {
        if (ns->mode != NM_SUM0) {
            put_null(out, row);
            return;
        }
        v = 0.0;
    } else {
        v = ns->mode == NM_AVG ? a->sum.d / (double)a->n : a->sum.d;
    }
    out->f64[row] = ns->out_float ? (double)(float)v : v;
    vec_set_valid(out, row);
}

static void num_result_dec(const void *acc, struct vec *out, int row, const void *state)
{
    const struct num_state *ns = state;
    const struct acc_num *a = acc;
    if (a->n <= 0 && ns->mode == NM_SUM0) {
        out->i128[row] = 0;
        vec_set_valid(out, row);
        return;
    }
    if (a->n <= 0 || a->sum_null) {
        put_null(out, row);
        return;
    }
    __int128 v = a->sum.x;
    if (ns->mode == NM_AVG &&
        !dec_div(a->sum.x, ns->scale, a->n, 0, DEC_MAX_PRECISION, ns->rscale, &v)) {
        put_null(out, row);
        return;
    }
    out->i128[row] = v;
    vec_set_valid(out, row);
}

static bool num_is_empty(const void *acc, const void *state)
{
    (void)state;
    return ((const struct acc_num *)acc)->rows == 0;
}

static void num_snapshot(const void *acc, struct strbuf *out, const void *state)
{
    (void)state;
    const struct acc_num *a = acc;
    snap_put_i128(out, a->sum.x);   /* all 16 bytes of the lane, whatever it holds */
    snap_put_i64(out, a->n);
    snap_put_i64(out, a->rows);
    snap_put_i64(out, a->sum_null);
}

static int num_restore(void *acc, const char *p, size_t len, const void *state)
{
    (void)state;
    struct acc_num *a = acc;
    struct snap_rd rd = {p, len, 0, false};
    a->sum.x = snap_get_i128(&rd);
    a->n = snap_get_i64(&rd);
    a->rows = snap_get_i64(&rd);
    a->sum_null = snap_get_i64(&rd);
    return rd.bad ? -1 : (int)rd.pos;
}

#define NUM_OPS(name, upd, mrg, res)                                                  \
    static const struct agg_ops name = {                                              \
        .init = num_init, .update = upd, .merge = mrg, .result = res,                 \
        .is_empty = num_is_empty, .snapshot = num_snapshot, .restore = num_restore,   \
    }
NUM_OPS(num_i64_ops, num_update_i64, num_merge_i64, num_result_i64);
NUM_OPS(num_f64_ops, num_update_f64, num_merge_f64, num_result_f64);
NUM_OPS(num_f32_ops, num_update_f32, num_merge_f64, num_result_f64);
NUM_OPS(num_dec_ops, num_update_dec, num_merge_dec, num_result_dec);

static int num_bind(struct agg_bind *ab, struct weir_error *err, enum num_mode mode)
{
    if (ab->n_args != 1)
        return agg_bind_fail(ab, err, "expects one argument, got %d", ab->n_args);
    const struct sql_type *t = ab->arg_types[0];
    if (t->id == T_NULL) {
        /* a bare NULL: Flink types it as the function's default, INT */
        if (ab->cast_to)
            ab->cast_to[0] = &type_int;
        t = &type_int;
    }
    if (!type_is_numeric(t))
        return agg_bind_fail(ab, err, "expects a numeric argument, got %s",
                             agg_type_str(ab, t));
    struct num_state *ns = arena_calloc(ab->arena, sizeof *ns);
    ns->mode = (uint8_t)mode;
    ab->state = ns;
    ab->acc_size = sizeof(struct acc_num);
    /* SUM0 never yields NULL except for a DECIMAL overflow */
    bool nullable = mode != NM_SUM0 || t->id == T_DECIMAL;
    if (type_is_integer(t)) {
        ns->bits = (uint8_t)type_int_bits(t);
        ab->ops = &num_i64_ops;
        ab->result = type_with_nullable(ab->arena, t, nullable);
    } else if (type_is_approx(t)) {
        ns->out_float = t->id == T_FLOAT;
        /* AVG(FLOAT) sums in double (Flink's sum type), SUM(FLOAT) in float */
        ab->ops = ns->out_float && mode != NM_AVG ? &num_f32_ops : &num_f64_ops;
        ab->result = type_with_nullable(ab->arena, t, nullable);
    } else {
        int rp, rs;
        ns->scale = t->scale;
        if (mode == NM_AVG)
            dec_avg_type(t->precision, t->scale, &rp, &rs);
        else
            dec_sum_type(t->precision, t->scale, &rp, &rs);
        ns->rscale = rs;
        ab->ops = &num_dec_ops;
        ab->result = type_decimal(ab->arena, rp, rs);
    }
    return agg_bind_done(ab, err, false);
}

static int sum_bind(struct agg_bind *ab, struct weir_error *err)
{
    return num_bind(ab, err, NM_SUM);
}

static int sum0_bind(struct agg_bind *ab, struct weir_error *err)
{
    return num_bind(ab, err, NM_SUM0);
}

static int avg_bind(struct agg_bind *ab, struct weir_error *err)
{
    return num_bind(ab, err, NM_AVG);
}

/* ---- MIN, MAX ------------------------------------------------------------------------ */

/*
 * Two shapes, chosen at bind time from ab->append_only (Flink picks
 * MinAggFunction or MinWithRetractAggFunction the same way):
 *   append-only  a running extreme: O(1) state, the hot loop is a compare;
 *   retracting   a multiset of every value (treap): the new extreme after
 *                retracting the current one is the next node, O(log n).
 * Doubles use Java's Double.compare order in both (-0.0 < 0.0, NaN largest).
 */
struct mm_state {
    int kind;
    bool is_max;
    bool append_only;
};

struct acc_mm {
    union agg_val v;       /* append-only: the extreme so far (strings owned) */
    int64_t n;             /* append-only: non-NULL values */
    int64_t rows;          /* every row */
    struct agg_mset set;   /* retracting only (absent from append-only slots) */
};

static void mm_init(void *acc, const void *state)
{
    const struct mm_state *ms = state;
    memset(acc, 0, ms->append_only ? offsetof(struct acc_mm, set) : sizeof(struct acc_mm));
}

static inline bool f64_better(double x, double cur, bool is_max)
{
    int c = agg_f64_cmp(x, cur);
    return is_max ? c > 0 : c < 0;
}

/* Append-only loops, NULL check hoisted when there is no bitmap; a
 * retraction (the caller promised none) only counts the row. */
#define MM_LOOP(v, BODY)                                           \
    do {                                                           \
        if (sign < 0) {                                            \
            for (int k = 0; k < n; k++)                            \
                ((struct acc_mm *)accs[k])->rows--;                \
        } else if ((v)->valid == NULL) {                           \
            for (int k = 0; k < n; k++) {                          \
                struct acc_mm *a = accs[k];                        \
                int r = rows[k];                                   \
                a->rows++;                                         \
                BODY;                                              \
                a->n++;                                            \
            }                                                      \
        } else {                                                   \
            for (int k = 0; k < n; k++) {                          \
                struct acc_mm *a = accs[k];                        \
                int r = rows[k];                                   \
                a->rows++;                                         \
                if (vec_is_null((v), r))                           \
                    continue;                                      \
                BODY;                                              \
                a->n++;                                            \
            }                                                      \
        }                                                          \
    } while (0)

static void mm_update_i64(void **accs, const struct vec *args, const uint16_t *rows, int n,
                          int sign, const void *state)
{
    const struct mm_state *ms = state;
    const struct vec *v = &args[0];
    const int64_t *x = v->i64;
    if (ms->is_max)
        MM_LOOP(v, if (a->n == 0 || x[r] > a->v.i) a->v.i = x[r]);
    else
        MM_LOOP(v, if (a->n == 0 || x[r] < a->v.i) a->v.i = x[r]);
}

static void mm_update_f64(void **accs, const struct vec *args, const uint16_t *rows, int n,
                          int sign, const void *state)
{
    const struct mm_state *ms = state;
    const struct vec *v = &args[0];
    const double *x = v->f64;
    const bool mx = ms->is_max;
    MM_LOOP(v, if (a->n == 0 || f64_better(x[r], a->v.d, mx)) a->v.d = x[r]);
}

static void mm_update_dec(void **accs, const struct vec *args, const uint16_t *rows, int n,
                          int sign, const void *state)
{
    const struct mm_state *ms = state;
    const struct vec *v = &args[0];
    const __int128 *x = v->i128;
    if (ms->is_max)
        MM_LOOP(v, if (a->n == 0 || x[r] > a->v.x) a->v.x = x[r]);
    else
        MM_LOOP(v, if (a->n == 0 || x[r] < a->v.x) a->v.x = x[r]);
}

/* Any kind, append-only (BOOLEAN, strings). */
static void mm_update_any(void **accs, const struct vec *args, const uint16_t *rows, int n,
                          int sign, const void *state)
{
    const struct mm_state *ms = state;
    const struct vec *v = &args[0];
    MM_LOOP(v, {
        union agg_val x;
        agg_val_get(ms->kind, v, r, &x);
        int c = a->n == 0 ? 0 : agg_val_cmp(ms->kind, &x, &a->v);
        if (a->n == 0 || (ms->is_max ? c > 0 : c < 0)) {
            agg_val_free(ms->kind, &a->v);
            a->v = x;
            agg_val_own(ms->kind, &a->v);
        }
    });
}

static void mm_update_retract(void **accs, const struct vec *args, const uint16_t *rows,
                              int n, int sign, const void *state)
{
    const struct mm_state *ms = state;
    const struct vec *v = &args[0];
    for (int k = 0; k < n; k++) {
        struct acc_mm *a = accs[k];
        int r = rows[k];
        a->rows += sign;
        if (vec_is_null(v, r))
            continue;
        union agg_val x;
        agg_val_get(ms->kind, v, r, &x);
        agg_mset_add(&a->set, ms->kind, &x, sign);
    }
}

struct mm_merge_ctx {
    struct acc_mm *a;
    int kind;
};

static void mm_merge_one(const union agg_val *v, int64_t count, void *ctx)
{
    struct mm_merge_ctx *c = ctx;
    agg_mset_add(&c->a->set, c->kind, v, count);
}

static void mm_merge(void *into, const void *from, const void *state)
{
    const struct mm_state *ms = state;
    struct acc_mm *a = into;
    const struct acc_mm *b = from;
    a->rows += b->rows;
    if (!ms->append_only) {
        struct mm_merge_ctx c = {a, ms->kind};
        agg_mset_each(&b->set, mm_merge_one, &c);
        return;
    }
    if (b->n <= 0)
        return;
    int c = a->n <= 0 ? 0 : agg_val_cmp(ms->kind, &b->v, &a->v);
    if (a->n <= 0 || (ms->is_max ? c > 0 : c < 0)) {
        agg_val_free(ms->kind, &a->v);
        a->v = b->v;
        agg_val_own(ms->kind, &a->v);
    }
    a->n += b->n;
}

static void mm_result(const void *acc, struct vec *out, int row, const void *state)
{
    const struct mm_state *ms = state;
    const struct acc_mm *a = acc;
    const union agg_val *v;
    if (ms->append_only)
        v = a->n > 0 ? &a->v : NULL;
    else
        v = ms->is_max ? agg_mset_max(&a->set) : agg_mset_min(&a->set);
    if (v)
        agg_val_put(ms->kind, out, row, v);
    else
        put_null(out, row);
}

static bool mm_is_empty(const void *acc, const void *state)
{
    (void)state;
    return ((const struct acc_mm *)acc)->rows == 0;
}

static void mm_destroy(void *acc, const void *state)
{
    const struct mm_state *ms = state;
    struct acc_mm *a = acc;
    if (ms->append_only)
        agg_val_free(ms->kind, &a->v);
    else
        agg_mset_free(&a->set, ms->kind);
}

static size_t mm_mem_size(const void *acc, const void *state)
{
    const struct mm_state *ms = state;
    const struct acc_mm *a = acc;
    if (ms->append_only)
        return a->n > 0 ? agg_val_heap(ms->kind, &a->v) : 0;
    return agg_mset_mem(&a->set);
}

static void mm_snapshot(const void *acc, struct strbuf *out, const void *state)
{
    const struct mm_state *ms = state;
    const struct acc_mm *a = acc;
    snap_put_i64(out, a->rows);
    if (!ms->append_only) {
        agg_mset_snapshot(&a->set, ms->kind, out);
        return;
    }
    snap_put_i64(out, a->n);
    if (a->n > 0)
        agg_put_val(out, ms->kind, &a->v);
}

static int mm_restore(void *acc, const char *p, size_t len, const void *state)
{
    const struct mm_state *ms = state;
    struct acc_mm *a = acc;
    struct snap_rd rd = {p, len, 0, false};
    mm_init(acc, state);
    a->rows = snap_get_i64(&rd);
    if (!ms->append_only)
        return agg_mset_restore(&a->set, ms->kind, &rd) ? (int)rd.pos : -1;
    a->n = snap_get_i64(&rd);
    if (a->n > 0 && !agg_get_val(&rd, ms->kind, &a->v))
        return -1;
    return rd.bad ? -1 : (int)rd.pos;
}

#define MM_OPS(name, upd)                                                             \
    static const struct agg_ops name = {                                              \
        .init = mm_init, .update = upd, .merge = mm_merge, .result = mm_result,       \
        .is_empty = mm_is_empty, .destroy = mm_destroy, .mem_size = mm_mem_size,      \
        .snapshot = mm_snapshot, .restore = mm_restore,                               \
    }
MM_OPS(mm_i64_ops, mm_update_i64);
MM_OPS(mm_f64_ops, mm_update_f64);
MM_OPS(mm_dec_ops, mm_update_dec);
MM_OPS(mm_any_ops, mm_update_any);
MM_OPS(mm_retract_ops, mm_update_retract);

static int minmax_bind(struct agg_bind *ab, struct weir_error *err, bool is_max)
{
    if (ab->n_args != 1)
        return agg_bind_fail(ab, err, "expects one argument, got %d", ab->n_args);
    const struct sql_type *t = ab->arg_types[0];
    int kind = agg_kind_of(t);
    if (kind < 0)
        return agg_bind_fail(ab, err,
                             "expects a comparable argument (number, string, boolean, "
                             "temporal), got %s",
                             agg_type_str(ab, t));
    struct mm_state *ms = arena_calloc(ab->arena, sizeof *ms);
    ms->kind = kind;
    ms->is_max = is_max;
    ms->append_only = ab->append_only;
    ab->state = ms;
    /* MAX(rowtime) is a plain TIMESTAMP: aggregation materialises time attributes */
    ab->result = type_with_time_attr(ab->arena, type_with_nullable(ab->arena, t, true),
                                     TA_NONE);
    if (ab->append_only) {
        ab->acc_size = offsetof(struct acc_mm, set);
        ab->ops = kind == AK_I64 ? &mm_i64_ops
                  : kind == AK_F64 ? &mm_f64_ops
                  : kind == AK_I128 ? &mm_dec_ops
                                    : &mm_any_ops;
    } else {
        ab->acc_size = sizeof(struct acc_mm);
        ab->ops = &mm_retract_ops;
    }
    /* MIN(DISTINCT x) = MIN(x): no DISTINCT layer needed */
    return agg_bind_done(ab, err, true);
}

static int min_bind(struct agg_bind *ab, struct weir_error *err)
{
    return minmax_bind(ab, err, false);
}

static int max_bind(struct agg_bind *ab, struct weir_error *err)
{
    return minmax_bind(ab, err, true);
}

/* ---- table ---------------------------------------------------------------------------- */

const struct agg_def agg_basic_defs[] = {
    {"COUNT", 0, 64, count_bind, "COUNT(*) or COUNT([DISTINCT] x [, y ...])"},
    {"SUM", 1, 1, sum_bind, "SUM([DISTINCT] numeric)"},
    {"SUM0", 1, 1, sum0_bind, "SUM0([DISTINCT] numeric)"},
    {"AVG", 1, 1, avg_bind, "AVG([DISTINCT] numeric)"},
    {"MIN", 1, 1, min_bind, "MIN(x)"},
    {"MAX", 1, 1, max_bind, "MAX(x)"},
};
const int agg_basic_count = (int)(sizeof(agg_basic_defs) / sizeof(agg_basic_defs[0]));
