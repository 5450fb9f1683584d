/*
 * expr.c — vectorised evaluation of bound expressions (see expr.h).
 *
 * Each node evaluates into its own scratch vector over the live rows of the
 * batch (the selection).  Conditional forms (CASE, IF, COALESCE, AND/OR of
 * fallible operands) evaluate their branches over narrowed selections, so a
 * branch never runs on rows that do not take it — `CASE WHEN x <> 0 THEN 1/x`
 * must not fail on x = 0.  The operators are specialised per physical lane;
 * the binder has already cast operands to a common type, so a kernel only ever
 * sees two operands of the same lane (DECIMAL operands may differ in scale).
 */
#include "exec/expr.h"
#include "exec/cast.h"
#include "core/datetime.h"
#include "core/decimal.h"
#include "core/strbuf.h"

#include <math.h>
#include <string.h>

/* ---- scratch vectors ---------------------------------------------------------- */

/* The node's result vector, ready for writing: validity all set. */
static struct vec *scratch(struct expr *e, struct eval_ctx *ctx)
{
    if (e->scratch == NULL) {
        e->scratch = mem_calloc(1, sizeof(struct vec));
        vec_init(e->scratch, e->type, BATCH_CAP, ctx->arena);
    } else if (e->scratch->valid) {
        memset(e->scratch->valid, 0xff, (size_t)e->scratch->valid_cap * 8);
    }
    e->scratch->arena = ctx->arena;
    return e->scratch;
}

/* Selection buffers of a conditional node (AND/OR, CASE, COALESCE), kept in
 * its aux slot so evaluation allocates nothing per batch.  A node is evaluated
 * by one task at a time, and never re-entered while its buffers are in use. */
struct sel_bufs {
    uint16_t a[BATCH_CAP];
    uint16_t b[BATCH_CAP];
    uint8_t flags[BATCH_CAP];
};

static struct sel_bufs *sel_bufs(struct expr *e)
{
    if (e->aux == NULL)
        e->aux = mem_alloc(sizeof(struct sel_bufs));
    return e->aux;
}

/* A batch that shares b's columns but has another selection. */
static struct batch view_with_sel(const struct batch *b, uint16_t *sel, int n)
{
    struct batch v = *b;
    v.sel = sel;
    v.n_sel = n;
    return v;
}

/* Selection buffer helpers: rows of b as an explicit list. */
static int live_rows(const struct batch *b, uint16_t *out)
{
    int n = batch_live(b);
    if (b->sel)
        memcpy(out, b->sel, (size_t)n * sizeof(uint16_t));
    else
        for (int k = 0; k < n; k++)
            out[k] = (uint16_t)k;
    return n;
}

bool expr_literal_value(const struct expr *e, struct value *v)
{
    if (e == NULL || e->kind != EX_LITERAL)
        return false;
    if (v)
        *v = e->lit;
    return true;
}

bool expr_deterministic(const struct expr *e)
{
    if (e->kind == EX_CALL && (e->fn->flags & FN_NONDETERMINISTIC))
        return false;
    for (int i = 0; i < e->n_args; i++)
        if (!expr_deterministic(e->args[i]))
            return false;
    return true;
}

bool expr_is_constant(const struct expr *e)
{
    if (e->kind == EX_COLUMN)
        return false;
    if (e->kind == EX_CALL && (e->fn->flags & FN_NONDETERMINISTIC))
        return false;
    for (int i = 0; i < e->n_args; i++)
        if (!expr_is_constant(e->args[i]))
            return false;
    return true;
}

/* ---- null propagation ----------------------------------------------------------- */

/* Marks row i of out NULL when any of the args is NULL there; returns true when
 * the row has all values.  Used by the strict operators. */
static inline bool args_valid(const struct vec *const *a, int n, int i)
{
    for (int k = 0; k < n; k++)
        if (vec_is_null(a[k], i))
            return false;
    return true;
}

/* ---- integer wrap-around (JVM semantics) ---------------------------------------- */

static inline int64_t wrap_int(int64_t v, int bits)
{
    switch (bits) {
    case 8: return (int8_t)v;
    case 16: return (int16_t)v;
    case 32: return (int32_t)v;
    default: return v;
    }
}

/* ---- arithmetic ------------------------------------------------------------------ */

static int eval_arith(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                      const struct vec **out, struct weir_error *err)
{
    const struct vec *a, *c = NULL;
    int rc = expr_eval(e->args[0], ctx, b, &a, err);
    if (rc)
        return rc;
    if (e->op != OP_NEG && (rc = expr_eval(e->args[1], ctx, b, &c, err)))
        return rc;
    struct vec *o = scratch(e, ctx);
    int n = batch_live(b);
    const uint16_t *sel = b->sel;
    const struct vec *av[2] = {a, c};
    int nargs = e->op == OP_NEG ? 1 : 2;
    enum phys_lane lane = type_lane(e->type);
    int bits = type_int_bits(e->type);

    for (int k = 0; k < n; k++) {
        int i = sel ? sel[k] : k;
        if (!args_valid(av, nargs, i)) {
            vec_set_null(o, i);
            continue;
        }
        if (lane == LANE_I64) {
            int64_t x = a->i64[i], y = c ? c->i64[i] : 0, r = 0;
            switch (e->op) {
            case OP_ADD: r = (int64_t)((uint64_t)x + (uint64_t)y); break;
            case OP_SUB: r = (int64_t)((uint64_t)x - (uint64_t)y); break;
            case OP_MUL: r = (int64_t)((uint64_t)x * (uint64_t)y); break;
            case OP_NEG: r = (int64_t)(0 - (uint64_t)x); break;
            case OP_DIV:
            case OP_MOD:
                if (y == 0)
                    return err_set_at(err, WEIR_ERR_RUNTIME, e->loc, "division by zero");
                if (y == -1)   /* INT64_MIN / -1 overflows in C; the JVM wraps */
                    r = e->op == OP_DIV ? (int64_t)(0 - (uint64_t)x) : 0;
                else
                    r = e->op == OP_DIV ? x / y : x % y;
                break;
            default: break;
            }
            o->i64[i] = wrap_int(r, bits);
        } else if (lane == LANE_F64) {
            double x = a->f64[i], y = c ? c->f64[i] : 0, r = 0;
            switch (e->op) {
            case OP_ADD: r = x + y; break;
            case OP_SUB: r = x - y; break;
            case OP_MUL: r = x * y; break;
            case OP_DIV: r = x / y; break;
            case OP_MOD: r = fmod(x, y); break;
            case OP_NEG: r = -x; break;
            default: break;
            }
            o->f64[i] = e->type->id == T_FLOAT ? (double)(float)r : r;
        } else if (lane == LANE_I128) {
            int sa = a->type->scale, sc = c ? c->type->scale : 0;
            int po = e->type->precision, so = e->type->scale;
            __int128 x = a->i128[i], y = c ? c->i128[i] : 0, r = 0;
            bool ok = true;
            if ((e->op == OP_DIV || e->op == OP_MOD) && y == 0)
                return err_set_at(err, WEIR_ERR_RUNTIME, e->loc, "division by zero");
            switch (e->op) {
            case OP_ADD: ok = dec_add(x, sa, y, sc, po, so, &r); break;
            case OP_SUB: ok = dec_sub(x, sa, y, sc, po, so, &r); break;
            case OP_NEG: ok = dec_convert(dec_neg(x), sa, po, so, &r); break;
            case OP_MUL: ok = dec_mul(x, sa, y, sc, po, so, &r); break;
            case OP_DIV: ok = dec_div(x, sa, y, sc, po, so, &r); break;
            case OP_MOD: ok = dec_mod(x, sa, y, sc, po, so, &r); break;
            default: break;
            }
            /* a value that no longer fits its precision becomes NULL (Flink) */
            if (!ok)
                vec_set_null(o, i);
            else
                o->i128[i] = r;
        }
    }
    *out = o;
    return WEIR_OK;
}

static int eval_temporal_arith(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                               const struct vec **out, struct weir_error *err)
{
    const struct vec *a, *c;
    int rc = expr_eval(e->args[0], ctx, b, &a, err);
    if (rc || (rc = expr_eval(e->args[1], ctx, b, &c, err)))
        return rc;
    struct vec *o = scratch(e, ctx);
    int n = batch_live(b);
    const struct vec *av[2] = {a, c};
    const struct sql_type *ta = a->type, *tc = c->type;
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        if (!args_valid(av, 2, i)) {
            vec_set_null(o, i);
            continue;
        }
        int64_t x = a->i64[i], y = c->i64[i];
        if (type_is_interval(e->type) && type_is_interval(ta) && type_is_interval(tc)) {
            o->i64[i] = e->op == OP_ADD ? x + y : x - y;
        } else if (type_is_interval(e->type)) {
            /* timestamp - timestamp */
            o->i64[i] = x - y;
        } else {
            /* temporal ± interval (interval may be on either side of +) */
            const struct sql_type *ti = type_is_interval(tc) ? tc : ta;
            int64_t t = type_is_interval(tc) ? x : y;
            int64_t iv = type_is_interval(tc) ? y : x;
            if (e->op == OP_SUB)
                iv = -iv;
            bool is_date = e->type->id == T_DATE;
            if (ti->id == T_INTERVAL_YM)
                o->i64[i] = is_date ? dt_add_months_date(t, iv) : dt_add_months_ts(t, iv);
            else if (is_date)
                o->i64[i] = t + iv / (86400LL * 1000000);
            else if (e->type->id == T_TIME) {
                int64_t day = 86400LL * 1000000;
                o->i64[i] = ((t + iv) % day + day) % day;
            } else
                o->i64[i] = t + iv;
        }
    }
    *out = o;
    return WEIR_OK;
}

/* ---- comparison -------------------------------------------------------------------- */

static inline int str_cmp(struct str x, struct str y)
{
    uint32_t n = x.len < y.len ? x.len : y.len;
    int r = n ? memcmp(x.ptr, y.ptr, n) : 0;
    if (r)
        return r;
    return x.len < y.len ? -1 : x.len > y.len;
}

/* Compares rows i of a and c (same lane; DECIMAL scales may differ). */
static inline int cmp_rows(const struct vec *a, int i, const struct vec *c, int j)
{
    switch (type_lane(a->type)) {
    case LANE_BOOL: return (a->b[i] > c->b[j]) - (a->b[i] < c->b[j]);
    case LANE_I64: return (a->i64[i] > c->i64[j]) - (a->i64[i] < c->i64[j]);
    case LANE_F64: {
        double x = a->f64[i], y = c->f64[j];
        return (x > y) - (x < y);
    }
    case LANE_I128: return dec_cmp(a->i128[i], a->type->scale, c->i128[j], c->type->scale);
    case LANE_STR: return str_cmp(a->s[i], c->s[j]);
    case LANE_NESTED: {
        for (int f = 0; f < a->n_children; f++) {
            bool na = vec_is_null(&a->children[f], i), nc = vec_is_null(&c->children[f], j);
            if (na || nc) {
                if (na != nc)
                    return na ? -1 : 1;
                continue;
            }
            int r = cmp_rows(&a->children[f], i, &c->children[f], j);
            if (r)
                return r;
        }
        return 0;
    }
    default: return 0;
    }
}

#define CMP_LOOP(EXPR_ON_R)                                           \
    for (int k = 0; k < n; k++) {                                     \
        int i = sel ? sel[k] : k;                                     \
        if (vec_is_null(a, i) || vec_is_null(c, i)) {                 \
            vec_set_null(o, i);                                       \
            continue;                                                 \
        }                                                             \
        int r = cmp_rows(a, i, c, i);                                 \
        o->b[i] = (EXPR_ON_R);                                        \
    }

static int eval_compare(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                        const struct vec **out, struct weir_error *err)
{
    const struct vec *a, *c;
    int rc = expr_eval(e->args[0], ctx, b, &a, err);
    if (rc || (rc = expr_eval(e->args[1], ctx, b, &c, err)))
        return rc;
    struct vec *o = scratch(e, ctx);
    int n = batch_live(b);
    const uint16_t *sel = b->sel;
    /* fast paths: no NULLs on either side and values directly comparable in
     * their lane (the common filter shapes: col > literal, col = col) */
    enum phys_lane lane = type_lane(a->type);
    bool no_nulls = !a->valid && !c->valid;
    bool same_scale = lane != LANE_I128 || a->type->scale == c->type->scale;
    if (no_nulls && same_scale && e->op <= OP_GE && e->op >= OP_EQ &&
        (lane == LANE_I64 || lane == LANE_F64 || lane == LANE_I128 || lane == LANE_STR)) {
#define FAST_LOOP(X, Y, CMP)                                                  \
    switch (e->op) {                                                          \
    case OP_EQ: for (int k = 0; k < n; k++) { int i = sel ? sel[k] : k; o->b[i] = CMP(X, Y) == 0; } break; \
    case OP_NE: for (int k = 0; k < n; k++) { int i = sel ? sel[k] : k; o->b[i] = CMP(X, Y) != 0; } break; \
    case OP_LT: for (int k = 0; k < n; k++) { int i = sel ? sel[k] : k; o->b[i] = CMP(X, Y) < 0; } break;  \
    case OP_LE: for (int k = 0; k < n; k++) { int i = sel ? sel[k] : k; o->b[i] = CMP(X, Y) <= 0; } break; \
    case OP_GT: for (int k = 0; k < n; k++) { int i = sel ? sel[k] : k; o->b[i] = CMP(X, Y) > 0; } break;  \
    default:    for (int k = 0; k < n; k++) { int i = sel ? sel[k] : k; o->b[i] = CMP(X, Y) >= 0; } break; \
    }
#define NUM_CMP(x, y) (((x) > (y)) - ((x) < (y)))
        switch (lane) {
        case LANE_I64: FAST_LOOP(a->i64[i], c->i64[i], NUM_CMP); break;
        case LANE_F64: FAST_LOOP(a->f64[i], c->f64[i], NUM_CMP); break;
        case LANE_I128: FAST_LOOP(a->i128[i], c->i128[i], NUM_CMP); break;
        default: FAST_LOOP(a->s[i], c->s[i], str_cmp); break;
        }
#undef NUM_CMP
#undef FAST_LOOP
        *out = o;
        return WEIR_OK;
    }
    switch (e->op) {
    case OP_EQ: CMP_LOOP(r == 0); break;
    case OP_NE: CMP_LOOP(r != 0); break;
    case OP_LT: CMP_LOOP(r < 0); break;
    case OP_LE: CMP_LOOP(r <= 0); break;
    case OP_GT: CMP_LOOP(r > 0); break;
    case OP_GE: CMP_LOOP(r >= 0); break;
    case OP_IS_DISTINCT:
    case OP_IS_NOT_DISTINCT:
        for (int k = 0; k < n; k++) {
            int i = sel ? sel[k] : k;
            bool na = vec_is_null(a, i), nc = vec_is_null(c, i);
            bool same = (na && nc) || (!na && !nc && cmp_rows(a, i, c, i) == 0);
            o->b[i] = e->op == OP_IS_DISTINCT ? !same : same;
        }
        break;
    default: break;
    }
    *out = o;
    return WEIR_OK;
}

/* ---- logic (three-valued) -------------------------------------------------------- */

/* 0 = FALSE, 1 = TRUE, 2 = UNKNOWN */
static inline int tv(const struct vec *v, int i)
{
    return vec_is_null(v, i) ? 2 : v->b[i] != 0;
}

static int eval_and_or(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                       const struct vec **out, struct weir_error *err)
{
    bool is_and = e->op == OP_AND;
    struct vec *o = scratch(e, ctx);
    struct sel_bufs *sb = sel_bufs(e);
    uint16_t *pending = sb->a;
    int n = live_rows(b, pending);
    /* rows decided by an earlier operand are not evaluated again: the SQL
     * standard allows either order, and this keeps guards like
     * `x <> 0 AND 10 / x > 1` from failing */
    for (int k = 0; k < n; k++) {
        int i = pending[k];
        o->b[i] = is_and ? 1 : 0;
        vec_set_valid(o, i);
    }
    uint8_t *unknown = sb->flags;
    for (int k = 0; k < n; k++)
        unknown[pending[k]] = 0;
    int rc = WEIR_OK;
    for (int a = 0; a < e->n_args && n > 0; a++) {
        struct batch v = view_with_sel(b, pending, n);
        const struct vec *r;
        if ((rc = expr_eval(e->args[a], ctx, &v, &r, err)))
            break;
        int m = 0;
        for (int k = 0; k < n; k++) {
            int i = pending[k];
            int t = tv(r, i);
            if (t == 2) {
                unknown[i] = 1;
                pending[m++] = (uint16_t)i;
            } else if (t == (is_and ? 0 : 1)) {
                o->b[i] = is_and ? 0 : 1;   /* decided */
                unknown[i] = 0;
            } else {
                pending[m++] = (uint16_t)i;
            }
        }
        n = m;
    }
    for (int k = 0; k < n; k++)
        if (unknown[pending[k]])
            vec_set_null(o, pending[k]);
    *out = o;
    return rc;
}

static int eval_unary_bool(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                           const struct vec **out, struct weir_error *err)
{
    const struct vec *a;
    int rc = expr_eval(e->args[0], ctx, b, &a, err);
    if (rc)
        return rc;
    struct vec *o = scratch(e, ctx);
    int n = batch_live(b);
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        bool isnull = vec_is_null(a, i);
        switch (e->op) {
        case OP_NOT:
            if (isnull)
                vec_set_null(o, i);
            else
                o->b[i] = !a->b[i];
            break;
        case OP_IS_NULL: o->b[i] = isnull; break;
        case OP_IS_NOT_NULL: o->b[i] = !isnull; break;
        case OP_IS_TRUE: o->b[i] = !isnull && a->b[i]; break;
        case OP_IS_NOT_TRUE: o->b[i] = isnull || !a->b[i]; break;
        case OP_IS_FALSE: o->b[i] = !isnull && !a->b[i]; break;
        case OP_IS_NOT_FALSE: o->b[i] = isnull || a->b[i]; break;
        default: break;
        }
    }
    *out = o;
    return WEIR_OK;
}

/* ---- IN ------------------------------------------------------------------------ */

static int eval_in(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                   const struct vec **out, struct weir_error *err)
{
    const struct vec *a;
    int rc = expr_eval(e->args[0], ctx, b, &a, err);
    if (rc)
        return rc;
    int nl = e->n_args - 1;
    const struct vec *lv[64];
    const struct vec **list = nl <= 64 ? lv : mem_alloc((size_t)nl * sizeof(*list));
    for (int j = 0; j < nl && rc == WEIR_OK; j++)
        rc = expr_eval(e->args[j + 1], ctx, b, &list[j], err);
    if (rc) {
        if (list != lv)
            mem_free(list);
        return rc;
    }
    struct vec *o = scratch(e, ctx);
    int n = batch_live(b);
    bool negate = e->op == OP_NOT_IN;
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        if (vec_is_null(a, i)) {
            vec_set_null(o, i);
            continue;
        }
        bool found = false, saw_null = false;
        for (int j = 0; j < nl && !found; j++) {
            if (vec_is_null(list[j], i))
                saw_null = true;
            else if (cmp_rows(a, i, list[j], i) == 0)
                found = true;
        }
        if (!found && saw_null)
            vec_set_null(o, i);
        else
            o->b[i] = negate ? !found : found;
    }
    if (list != lv)
        mem_free(list);
    *out = o;
    return WEIR_OK;
}

/* ---- LIKE ------------------------------------------------------------------------ */

/* SQL LIKE: % any run, _ one character (UTF-8 aware), optional escape. */
static bool like_match(const char *s, const char *se, const char *p, const char *pe, int esc)
{
    while (p < pe) {
        unsigned char c = (unsigned char)*p;
        if (esc >= 0 && c == (unsigned char)esc && p + 1 < pe) {
            if (s >= se || *s != p[1])
                return false;
            s++;
            p += 2;
        } else if (c == '%') {
            while (p < pe && *p == '%')
                p++;
            if (p == pe)
                return true;
            for (const char *t = s; t <= se; t++)
                if (like_match(t, se, p, pe, esc))
                    return true;
            return false;
        } else if (c == '_') {
            if (s >= se)
                return false;
            s++;
            while (s < se && ((unsigned char)*s & 0xC0) == 0x80)
                s++;
            p++;
        } else {
            if (s >= se || *s != *p)
                return false;
            s++;
            p++;
        }
    }
    return s == se;
}

static int eval_like(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                     const struct vec **out, struct weir_error *err)
{
    const struct vec *s, *p, *x = NULL;
    int rc = expr_eval(e->args[0], ctx, b, &s, err);
    if (rc || (rc = expr_eval(e->args[1], ctx, b, &p, err)))
        return rc;
    if (e->n_args > 2 && (rc = expr_eval(e->args[2], ctx, b, &x, err)))
        return rc;
    struct vec *o = scratch(e, ctx);
    int n = batch_live(b);
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        if (vec_is_null(s, i) || vec_is_null(p, i) || (x && vec_is_null(x, i))) {
            vec_set_null(o, i);
            continue;
        }
        int esc = x && x->s[i].len ? (unsigned char)x->s[i].ptr[0] : -1;
        bool m = like_match(s->s[i].ptr, s->s[i].ptr + s->s[i].len, p->s[i].ptr,
                            p->s[i].ptr + p->s[i].len, esc);
        o->b[i] = e->op == OP_NOT_LIKE ? !m : m;
    }
    *out = o;
    return WEIR_OK;
}

/* ---- string concatenation --------------------------------------------------------- */

static int eval_concat(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                       const struct vec **out, struct weir_error *err)
{
    const struct vec *a, *c;
    int rc = expr_eval(e->args[0], ctx, b, &a, err);
    if (rc || (rc = expr_eval(e->args[1], ctx, b, &c, err)))
        return rc;
    struct vec *o = scratch(e, ctx);
    int n = batch_live(b);
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        if (vec_is_null(a, i) || vec_is_null(c, i)) {
            vec_set_null(o, i);
            continue;
        }
        uint32_t l = a->s[i].len + c->s[i].len;
        char *d = arena_alloc(ctx->arena, l ? l : 1);
        memcpy(d, a->s[i].ptr, a->s[i].len);
        memcpy(d + a->s[i].len, c->s[i].ptr, c->s[i].len);
        o->s[i] = (struct str){d, l};
    }
    *out = o;
    return WEIR_OK;
}

/* ---- conditionals ---------------------------------------------------------------- */

/* Evaluates `val` over rows sel[0..n) and copies the results into o. */
static int eval_into(struct expr *val, struct eval_ctx *ctx, const struct batch *b,
                     uint16_t *sel, int n, struct vec *o, struct weir_error *err)
{
    if (n == 0)
        return WEIR_OK;
    struct batch v = view_with_sel(b, sel, n);
    const struct vec *r;
    int rc = expr_eval(val, ctx, &v, &r, err);
    if (rc)
        return rc;
    for (int k = 0; k < n; k++)
        vec_copy_row(o, sel[k], r, sel[k]);
    return WEIR_OK;
}

/* CASE WHEN c1 THEN v1 ... ELSE d END; also IF(c, a, b) (same shape). */
static int eval_case(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                     const struct vec **out, struct weir_error *err)
{
    struct vec *o = scratch(e, ctx);
    struct sel_bufs *sb = sel_bufs(e);
    uint16_t *pending = sb->a, *take = sb->b;
    int n = live_rows(b, pending);
    int pairs = e->n_args / 2;
    bool has_else = e->n_args % 2 == 1;
    int rc = WEIR_OK;
    for (int p = 0; p < pairs && n > 0 && rc == WEIR_OK; p++) {
        struct batch v = view_with_sel(b, pending, n);
        const struct vec *c;
        if ((rc = expr_eval(e->args[2 * p], ctx, &v, &c, err)))
            break;
        int nt = 0, m = 0;
        for (int k = 0; k < n; k++) {
            int i = pending[k];
            if (tv(c, i) == 1)
                take[nt++] = (uint16_t)i;
            else
                pending[m++] = (uint16_t)i;
        }
        n = m;
        rc = eval_into(e->args[2 * p + 1], ctx, b, take, nt, o, err);
    }
    if (rc == WEIR_OK) {
        if (has_else)
            rc = eval_into(e->args[e->n_args - 1], ctx, b, pending, n, o, err);
        else
            for (int k = 0; k < n; k++)
                vec_set_null(o, pending[k]);
    }
    *out = o;
    return rc;
}

static int eval_coalesce(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                         const struct vec **out, struct weir_error *err)
{
    struct vec *o = scratch(e, ctx);
    uint16_t *pending = sel_bufs(e)->a;
    int n = live_rows(b, pending);
    int rc = WEIR_OK;
    for (int a = 0; a < e->n_args && n > 0; a++) {
        struct batch v = view_with_sel(b, pending, n);
        const struct vec *r;
        if ((rc = expr_eval(e->args[a], ctx, &v, &r, err)))
            break;
        int m = 0;
        for (int k = 0; k < n; k++) {
            int i = pending[k];
            if (vec_is_null(r, i))
                pending[m++] = (uint16_t)i;
            else
                vec_copy_row(o, i, r, i);
        }
        n = m;
    }
    for (int k = 0; k < n; k++)
        vec_set_null(o, pending[k]);
    *out = o;
    return rc;
}

static int eval_nullif(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                       const struct vec **out, struct weir_error *err)
{
    const struct vec *a, *c;
    int rc = expr_eval(e->args[0], ctx, b, &a, err);
    if (rc || (rc = expr_eval(e->args[1], ctx, b, &c, err)))
        return rc;
    struct vec *o = scratch(e, ctx);
    int n = batch_live(b);
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        if (!vec_is_null(a, i) && !vec_is_null(c, i) && cmp_rows(a, i, c, i) == 0)
            vec_set_null(o, i);
        else
            vec_copy_row(o, i, a, i);
    }
    *out = o;
    return WEIR_OK;
}

static int eval_row(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                    const struct vec **out, struct weir_error *err)
{
    struct vec *o = scratch(e, ctx);
    int n = batch_live(b);
    for (int f = 0; f < e->n_args; f++) {
        const struct vec *r;
        int rc = expr_eval(e->args[f], ctx, b, &r, err);
        if (rc)
            return rc;
        o->children[f].arena = ctx->arena;
        if (o->children[f].valid)
            memset(o->children[f].valid, 0xff, (size_t)o->children[f].valid_cap * 8);
        for (int k = 0; k < n; k++) {
            int i = batch_row(b, k);
            vec_copy_row(&o->children[f], i, r, i);
        }
    }
    *out = o;
    return WEIR_OK;
}

/* ARRAY[a, b, ...]: each live row's elements packed one after the other in
 * the child vector, in row order, so a nested element's own offsets follow
 * each other (vec_copy_row appends after the previous row). */
static int eval_array(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                      const struct vec **out, struct weir_error *err)
{
    struct vec *o = scratch(e, ctx);
    int n = batch_live(b), na = e->n_args;
    const struct vec **items = e->aux;
    if (items == NULL)
        items = e->aux = mem_calloc((size_t)(na ? na : 1), sizeof(*items));
    for (int f = 0; f < na; f++) {
        int rc = expr_eval(e->args[f], ctx, b, &items[f], err);
        if (rc)
            return rc;
    }
    struct vec *el = &o->children[0];
    el->arena = ctx->arena;
    vec_reserve(el, n * na);
    if (el->valid)
        memset(el->valid, 0xff, (size_t)el->valid_cap * 8);
    int pos = 0;
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        o->offsets[i] = pos;
        for (int f = 0; f < na; f++)
            vec_copy_row(el, pos++, items[f], i);
        o->offsets[i + 1] = pos;
    }
    *out = o;
    return WEIR_OK;
}

/* ROW field access: the child vector, with the parent's NULLs folded in. */
static int eval_field(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                      const struct vec **out, struct weir_error *err)
{
    const struct vec *r;
    int rc = expr_eval(e->args[0], ctx, b, &r, err);
    if (rc)
        return rc;
    const struct vec *child = &r->children[e->index];
    if (r->valid == NULL) {
        *out = child;   /* zero-copy: the common case */
        return WEIR_OK;
    }
    /* the child's values with the parent's NULLs folded into its validity,
     * a word (64 rows) at a time; the data is shared, not copied */
    struct field_view {
        struct vec v;
        uint64_t valid[(BATCH_CAP + 63) / 64];
    } *fv = e->aux;
    if (fv == NULL)
        fv = e->aux = mem_alloc(sizeof(*fv));
    fv->v = *child;
    int words = (BATCH_CAP + 63) / 64;
    for (int w = 0; w < words; w++)
        fv->valid[w] = r->valid[w] & (child->valid ? child->valid[w] : ~0ULL);
    fv->v.valid = fv->valid;
    fv->v.valid_cap = words;
    *out = &fv->v;
    return WEIR_OK;
}

/* ---- function calls ----------------------------------------------------------------- */

static int eval_call(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                     const struct vec **out, struct weir_error *err)
{
    int na = e->n_args;
    struct vec argv_small[8];
    struct vec *argv = na <= 8 ? argv_small : mem_alloc((size_t)na * sizeof(struct vec));
    int rc = WEIR_OK;
    for (int a = 0; a < na && rc == WEIR_OK; a++) {
        const struct vec *r;
        rc = expr_eval(e->args[a], ctx, b, &r, err);
        if (rc == WEIR_OK)
            argv[a] = *r;   /* shallow: kernels only read */
    }
    struct vec *o = scratch(e, ctx);
    uint16_t *sel = NULL;
    int n = batch_live(b);
    const uint16_t *use_sel = b->sel;
    if (rc == WEIR_OK && (e->fn->flags & FN_STRICT)) {
        bool any_nullable = false;
        for (int a = 0; a < na; a++)
            any_nullable |= argv[a].valid != NULL;
        if (any_nullable) {
            sel = mem_alloc(BATCH_CAP * sizeof(uint16_t));
            int m = 0;
            for (int k = 0; k < n; k++) {
                int i = batch_row(b, k);
                bool ok = true;
                for (int a = 0; a < na && ok; a++)
                    ok = !vec_is_null(&argv[a], i);
                if (ok)
                    sel[m++] = (uint16_t)i;
                else
                    vec_set_null(o, i);
            }
            n = m;
            use_sel = sel;
        }
    }
    if (rc == WEIR_OK) {
        struct func_call call = {e->fn, e->fn_state, e->type, na};
        rc = e->fn->eval(&call, argv, use_sel, n, o, err);
        if (rc && err && err->loc.offset < 0)
            err->loc = e->loc;
    }
    mem_free(sel);
    if (argv != argv_small)
        mem_free(argv);
    *out = o;
    return rc;
}

/* A widening cast that cannot change any value in its lane: the input vector
 * serves as the result (the binder adds these to unify types, e.g. a
 * DECIMAL(10, 2) column compared with DECIMAL(12, 2), or INT into BIGINT). */
static bool cast_is_noop(const struct sql_type *from, const struct sql_type *to)
{
    if (type_is_integer(from) && type_is_integer(to))
        return type_int_bits(from) <= type_int_bits(to);
    if (from->id == T_DECIMAL && to->id == T_DECIMAL)
        return from->scale == to->scale && from->precision <= to->precision;
    if (from->id == T_VARCHAR && to->id == T_VARCHAR)
        return from->length <= to->length;
    if (from->id == to->id && (from->id == T_TIMESTAMP || from->id == T_TIMESTAMP_LTZ))
        return from->precision <= to->precision;
    return false;
}

static int eval_cast(struct expr *e, struct eval_ctx *ctx, struct batch *b,
                     const struct vec **out, struct weir_error *err)
{
    const struct vec *a;
    int rc = expr_eval(e->args[0], ctx, b, &a, err);
    if (rc)
        return rc;
    if (type_equal(a->type, e->type) && a->type->id != T_CHAR) {
        *out = a;
        return WEIR_OK;
    }
    if (cast_is_noop(a->type, e->type)) {
        /* same values, new type (it matters downstream: scale, precision) */
        if (e->aux == NULL)
            e->aux = mem_alloc(sizeof(struct vec));
        struct vec *v = e->aux;
        *v = *a;
        v->type = e->type;
        *out = v;
        return WEIR_OK;
    }
    struct vec *o = scratch(e, ctx);
    enum cast_mode mode = e->cast_mode == EXPR_CAST_TRY      ? CAST_TRY
                          : e->cast_mode == EXPR_CAST_LEGACY ? CAST_LEGACY
                                                             : CAST_STRICT;
    rc = cast_vec(a, o, b->sel, batch_live(b), mode, err);
    if (rc && err && err->loc.offset < 0)
        err->loc = e->loc;
    *out = o;
    return rc;
}

/* ---- dispatch ------------------------------------------------------------------------ */

static void fill_literal(struct expr *e, struct eval_ctx *ctx)
{
    struct vec *o = scratch(e, ctx);
    if (e->lit.is_null) {
        for (int i = 0; i < BATCH_CAP; i++)
            vec_set_null(o, i);
        return;
    }
    switch (type_lane(e->type)) {
    case LANE_BOOL: memset(o->b, e->lit.b, BATCH_CAP); break;
    case LANE_I64: for (int i = 0; i < BATCH_CAP; i++) o->i64[i] = e->lit.i; break;
    case LANE_F64: for (int i = 0; i < BATCH_CAP; i++) o->f64[i] = e->lit.f; break;
    case LANE_I128: for (int i = 0; i < BATCH_CAP; i++) o->i128[i] = e->lit.d; break;
    case LANE_STR: for (int i = 0; i < BATCH_CAP; i++) o->s[i] = e->lit.s; break;
    default:
        for (int i = 0; i < BATCH_CAP; i++)
            vec_set_null(o, i);
        break;
    }
}

int expr_eval(struct expr *e, struct eval_ctx *ctx, struct batch *b,
              const struct vec **out, struct weir_error *err)
{
    switch (e->kind) {
    case EX_COLUMN:
        *out = &b->cols[e->index];
        return WEIR_OK;
    case EX_LITERAL:
        /* a literal's vector is filled once and never changes */
        if (e->scratch == NULL)
            fill_literal(e, ctx);
        *out = e->scratch;
        return WEIR_OK;
    case EX_CALL: return eval_call(e, ctx, b, out, err);
    case EX_CAST: return eval_cast(e, ctx, b, out, err);
    case EX_CASE: return eval_case(e, ctx, b, out, err);
    case EX_FIELD: return eval_field(e, ctx, b, out, err);
    case EX_INDEX:
        return err_set_at(err, WEIR_ERR_UNSUPPORTED, e->loc,
                          "array and map subscripts are not supported yet");
    case EX_OP:
        break;
    }
    switch (e->op) {
    case OP_ADD:
    case OP_SUB:
        if (type_is_temporal(e->type) || type_is_interval(e->type))
            return eval_temporal_arith(e, ctx, b, out, err);
        return eval_arith(e, ctx, b, out, err);
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
    case OP_NEG:
        return eval_arith(e, ctx, b, out, err);
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
    case OP_IS_DISTINCT: case OP_IS_NOT_DISTINCT:
        return eval_compare(e, ctx, b, out, err);
    case OP_AND:
    case OP_OR: return eval_and_or(e, ctx, b, out, err);
    case OP_NOT: case OP_IS_NULL: case OP_IS_NOT_NULL: case OP_IS_TRUE:
    case OP_IS_NOT_TRUE: case OP_IS_FALSE: case OP_IS_NOT_FALSE:
        return eval_unary_bool(e, ctx, b, out, err);
    case OP_IN:
    case OP_NOT_IN: return eval_in(e, ctx, b, out, err);
    case OP_LIKE:
    case OP_NOT_LIKE: return eval_like(e, ctx, b, out, err);
    case OP_CONCAT: return eval_concat(e, ctx, b, out, err);
    case OP_COALESCE: return eval_coalesce(e, ctx, b, out, err);
    case OP_IF: return eval_case(e, ctx, b, out, err);
    case OP_NULLIF: return eval_nullif(e, ctx, b, out, err);
    case OP_ROW: return eval_row(e, ctx, b, out, err);
    case OP_ARRAY: return eval_array(e, ctx, b, out, err);
    default:
        return err_set_at(err, WEIR_ERR_UNSUPPORTED, e->loc, "operator not supported");
    }
}

int expr_filter(struct expr *pred, struct eval_ctx *ctx, struct batch *b,
                struct weir_error *err)
{
    const struct vec *r;
    int rc = expr_eval(pred, ctx, b, &r, err);
    if (rc)
        return rc;
    int n = batch_live(b);
    uint16_t *sel = b->sel;
    if (sel == NULL)
        sel = mem_alloc(BATCH_CAP * sizeof(uint16_t));
    int m = 0;
    if (r->valid == NULL) {
        for (int k = 0; k < n; k++) {
            int i = b->sel ? b->sel[k] : k;
            sel[m] = (uint16_t)i;
            m += r->b[i] != 0;   /* branch-free selection */
        }
    } else {
        for (int k = 0; k < n; k++) {
            int i = b->sel ? b->sel[k] : k;
            if (!vec_is_null(r, i) && r->b[i])
                sel[m++] = (uint16_t)i;
        }
    }
    b->sel = sel;
    b->n_sel = m;
    return WEIR_OK;
}

void expr_free_scratch(struct expr *e)
{
    if (e == NULL)
        return;
    for (int i = 0; i < e->n_args; i++)
        expr_free_scratch(e->args[i]);
    if (e->scratch) {
        vec_free(e->scratch);
        mem_free(e->scratch);
        e->scratch = NULL;
    }
    if (e->aux && e->kind != EX_CALL) {
        mem_free(e->aux);   /* selection buffers (sel_bufs) */
        e->aux = NULL;
    }
    /* fn_state is not freed here: it lives as long as the plan (plan_free),
     * while scratch vectors may be dropped and rebuilt (folding, VALUES) */
}

/* ---- EXPLAIN text ---------------------------------------------------------------------- */

static const char *op_text[OP__COUNT] = {
    [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/", [OP_MOD] = "MOD",
    [OP_NEG] = "-", [OP_EQ] = "=", [OP_NE] = "<>", [OP_LT] = "<", [OP_LE] = "<=",
    [OP_GT] = ">", [OP_GE] = ">=", [OP_IS_DISTINCT] = "IS DISTINCT FROM",
    [OP_IS_NOT_DISTINCT] = "IS NOT DISTINCT FROM", [OP_AND] = "AND", [OP_OR] = "OR",
    [OP_NOT] = "NOT", [OP_IS_NULL] = "IS NULL", [OP_IS_NOT_NULL] = "IS NOT NULL",
    [OP_IS_TRUE] = "IS TRUE", [OP_IS_NOT_TRUE] = "IS NOT TRUE", [OP_IS_FALSE] = "IS FALSE",
    [OP_IS_NOT_FALSE] = "IS NOT FALSE", [OP_IN] = "IN", [OP_NOT_IN] = "NOT IN",
    [OP_LIKE] = "LIKE", [OP_NOT_LIKE] = "NOT LIKE", [OP_CONCAT] = "||",
    [OP_COALESCE] = "COALESCE", [OP_IF] = "IF", [OP_NULLIF] = "NULLIF", [OP_ROW] = "ROW",
    [OP_ARRAY] = "ARRAY",
};

static void lit_text(struct strbuf *sb, const struct expr *e)
{
    if (e->lit.is_null) {
        sb_adds(sb, "NULL");
        return;
    }
    switch (type_lane(e->type)) {
    case LANE_BOOL: sb_adds(sb, e->lit.b ? "TRUE" : "FALSE"); break;
    case LANE_I64:
        if (type_is_integer(e->type))
            sb_addf(sb, "%lld", (long long)e->lit.i);
        else
            sb_addf(sb, "%s:%lld", e->type->id == T_DATE ? "date" : "time", (long long)e->lit.i);
        break;
    case LANE_F64: sb_addf(sb, "%.17g", e->lit.f); break;
    case LANE_I128: {
        char buf[64];
        dec_fmt(buf, e->lit.d, e->type->scale);
        sb_adds(sb, buf);
        break;
    }
    case LANE_STR:
        sb_addc(sb, '\'');
        for (uint32_t i = 0; i < e->lit.s.len; i++) {
            if (e->lit.s.ptr[i] == '\'')
                sb_addc(sb, '\'');
            sb_addc(sb, e->lit.s.ptr[i]);
        }
        sb_addc(sb, '\'');
        break;
    default: sb_adds(sb, "?"); break;
    }
}

void expr_to_text(struct strbuf *sb, const struct expr *e, const char *const *names)
{
    switch (e->kind) {
    case EX_COLUMN:
        if (names)
            sb_adds(sb, names[e->index]);
        else
            sb_addf(sb, "$%d", e->index);
        return;
    case EX_LITERAL: lit_text(sb, e); return;
    case EX_CAST: {
        struct arena a;
        arena_init(&a, 1024);
        sb_adds(sb, e->cast_mode == EXPR_CAST_TRY ? "TRY_CAST(" : "CAST(");
        expr_to_text(sb, e->args[0], names);
        sb_addf(sb, " AS %s)", type_to_sql(&a, e->type));
        arena_free(&a);
        return;
    }
    case EX_FIELD:
        expr_to_text(sb, e->args[0], names);
        {
            const struct sql_type *rt = e->args[0]->type;
            sb_addf(sb, ".%s", rt->field_names[e->index]);
        }
        return;
    case EX_CASE:
        sb_adds(sb, "CASE");
        for (int p = 0; p + 1 < e->n_args; p += 2) {
            sb_adds(sb, " WHEN ");
            expr_to_text(sb, e->args[p], names);
            sb_adds(sb, " THEN ");
            expr_to_text(sb, e->args[p + 1], names);
        }
        if (e->n_args % 2) {
            sb_adds(sb, " ELSE ");
            expr_to_text(sb, e->args[e->n_args - 1], names);
        }
        sb_adds(sb, " END");
        return;
    case EX_CALL:
    case EX_INDEX:
        sb_adds(sb, e->kind == EX_CALL ? e->fn->name : "ITEM");
        sb_addc(sb, '(');
        for (int i = 0; i < e->n_args; i++) {
            if (i)
                sb_adds(sb, ", ");
            expr_to_text(sb, e->args[i], names);
        }
        sb_addc(sb, ')');
        return;
    case EX_OP:
        break;
    }
    const char *t = op_text[e->op] ? op_text[e->op] : "?";
    switch (e->op) {
    case OP_NEG:
    case OP_NOT:
        sb_adds(sb, t);
        sb_addc(sb, e->op == OP_NOT ? ' ' : '\0');
        if (e->op == OP_NEG)
            sb->len--, sb->buf[sb->len] = '\0';
        sb_addc(sb, '(');
        expr_to_text(sb, e->args[0], names);
        sb_addc(sb, ')');
        return;
    case OP_IS_NULL: case OP_IS_NOT_NULL: case OP_IS_TRUE: case OP_IS_NOT_TRUE:
    case OP_IS_FALSE: case OP_IS_NOT_FALSE:
        sb_addc(sb, '(');
        expr_to_text(sb, e->args[0], names);
        sb_addf(sb, " %s)", t);
        return;
    case OP_IN:
    case OP_NOT_IN:
        sb_addc(sb, '(');
        expr_to_text(sb, e->args[0], names);
        sb_addf(sb, " %s (", t);
        for (int i = 1; i < e->n_args; i++) {
            if (i > 1)
                sb_adds(sb, ", ");
            expr_to_text(sb, e->args[i], names);
        }
        sb_adds(sb, "))");
        return;
    case OP_COALESCE: case OP_IF: case OP_NULLIF: case OP_ROW: case OP_ARRAY:
    case OP_MOD:
        sb_adds(sb, t);
        sb_addc(sb, '(');
        for (int i = 0; i < e->n_args; i++) {
            if (i)
                sb_adds(sb, ", ");
            expr_to_text(sb, e->args[i], names);
        }
        sb_addc(sb, ')');
        return;
    default:
        sb_addc(sb, '(');
        for (int i = 0; i < e->n_args; i++) {
            if (i)
                sb_addf(sb, " %s ", t);
            expr_to_text(sb, e->args[i], names);
        }
        sb_addc(sb, ')');
        return;
    }
}
