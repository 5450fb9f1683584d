/*
 * bind.c — from syntax tree to logical plan: names, types, implicit casts.
 *
 * Statements are bound in order against a catalog the script builds as it
 * goes (CREATE TABLE/VIEW/FUNCTION, SET).  Each INSERT (or bare query) becomes
 * an LN_SINK tree.  Expressions are typed with Flink's rules (SQL.md b.2/b.3):
 * integer literals INT (BIGINT when large), exact decimals DECIMAL(p,s),
 * integer arithmetic in the wider operand type with JVM wrap-around, DECIMAL
 * result types from decimal.h, implicit widening casts made explicit.
 *
 * Every error names a place in the SQL text (err->loc) and, where a name did
 * not resolve, what would have: the columns in scope, the valid options, the
 * closest function name.  What Flink accepts but weir cannot run yet is
 * rejected here as WEIR_ERR_UNSUPPORTED naming the construct — never run with
 * different results.
 */
#include "sql/plan.h"
#include "sql/parse.h"
#include "core/datetime.h"
#include "core/decimal.h"
#include "exec/cast.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- scopes ------------------------------------------------------------------- */

struct scol {
    const char *qual;               /* table name or alias; NULL after a subquery
                                       without alias */
    const char *name;
    const struct sql_type *type;
};

struct scope {
    int n;
    struct scol *cols;
    /* > 0 while binding a correlated subquery's conditions: cols[inner_from..]
     * are the subquery's FROM, cols[..inner_from) the outer query's row;
     * names resolve in the subquery first, as SQL scoping says */
    int inner_from;
};

struct cte {
    const char *name;
    struct ast_query *query;
    const char **cols;
    int n_cols;
};

/* While binding SELECT/HAVING of an aggregation: aggregate calls and window
 * properties become placeholders (EX_COLUMN with a negative index,
 * -(1 + output column)) that agg_rewrite turns into references to the
 * aggregation's output once every key is known. */
struct agg_ctx {
    struct lnode *agg;               /* the LN_WINDOW_AGG / LN_GROUP_AGG being built */
    bool input_updating;             /* the aggregation consumes retractions */
    struct scope *from;              /* the scope of FROM (aggregate arguments) */
    int n_from_cols;                 /* columns the aggregation's input has */
    int tvf_ws, tvf_we, tvf_wt;      /* FROM columns of window_start/_end/_time, or -1 */
    struct ast_expr *legacy;         /* GROUP BY TUMBLE(...) call, or NULL */
    int n_aggs, cap_aggs;
    struct agg_call *aggs;
};

/* The OVER aggregates of one SELECT list: they share one LN_OVER node over
 * the SELECT's input (made by the first call bound). */
struct over_ctx {
    struct ast_select *s;            /* for its WINDOW clause */
    struct lnode *in;
    struct scope *sc;                /* in's columns */
    struct lnode *node;              /* LN_OVER, or NULL before the first call */
    struct ast_window *first;        /* the (resolved) window of the first call */
    char *first_text;                /* its bound form, to compare the others' */
};

struct binder {
    struct job_plan *p;
    struct arena *a;
    struct weir_error *err;
    int depth;
    struct agg_ctx *agg;             /* set while binding an aggregation's outputs */
    struct lnode *rank;              /* the LN_RANK whose ROW_NUMBER() is being bound */
    struct lnode **ranks;            /* every LN_RANK, to check they got their N */
    int n_ranks;
    struct over_ctx *over;           /* set while a SELECT list may hold OVER aggregates */
    struct cte ctes[64];
    int n_ctes;
    int view_depth;
    /* the outer query's scope while a subquery that cannot be correlated is
     * bound: a name found only there gets a precise error */
    struct scope *corr_outer;
};

#define FAIL(code, loc, ...) err_set_at(bd->err, (code), (loc), __VA_ARGS__)

static struct lnode *bind_query(struct binder *bd, struct ast_query *q, struct scope *sc);
static struct expr *bind_expr(struct binder *bd, struct scope *sc, struct ast_expr *e);
static void add_sink(struct job_plan *p, struct lnode *sink);
static struct expr *bind_top(struct binder *bd, struct scope *sc, struct ast_expr *ae);
static struct lnode *bind_window_tvf(struct binder *bd, struct ast_table_ref *f, struct scope *sc);
static struct lnode *bind_join(struct binder *bd, struct ast_table_ref *f, struct ast_expr *where,
                               struct scope *sc);
static struct lnode *bind_rank(struct binder *bd, struct ast_expr *call, struct ast_select *s,
                               struct lnode *in, struct scope *sc);
static void detect_window_join(struct lnode *j);
static bool interval_arg(struct binder *bd, struct ast_expr *ae, const char *what, bool allow_neg,
                         int64_t *out);
static struct lnode *bind_lookup_join(struct binder *bd, struct ast_table_ref *f, struct lnode *l,
                                      struct scope *ls, struct scope *sc);
static struct lnode *bind_unnest(struct binder *bd, struct ast_table_ref *f, struct lnode *l,
                                 struct scope *ls, struct ast_expr *where, struct scope *sc);
static struct cat_table *find_table(struct catalog *c, const char *name);
static const char *simple_name(struct binder *bd, const struct ast_name *nm);
static bool topn_from_filter(struct binder *bd, struct lnode *calc);
static int topn_output_check(struct binder *bd, struct lnode *calc);
static struct lnode *bind_from(struct binder *bd, struct ast_table_ref *f, struct scope *sc);
static bool bind_args(struct binder *bd, struct scope *sc, struct ast_expr **in, int n,
                      struct expr **out);
static struct expr *require_bool(struct binder *bd, struct expr *e, const char *what);
static bool is_aggregate_name(const char *n);
static const char *derived_name(struct binder *bd, struct ast_expr *ae, int pos);
static void scope_from_node(struct binder *bd, struct lnode *n, struct scope *sc,
                            const char *qual, const char **renames, int n_renames);

/* ---- small helpers ------------------------------------------------------------- */

static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    int d[65][65];
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int c = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int m = d[i - 1][j - 1] + c;
            if (d[i - 1][j] + 1 < m)
                m = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < m)
                m = d[i][j - 1] + 1;
            d[i][j] = m;
        }
    return d[la][lb];
}

static const char *type_name(struct binder *bd, const struct sql_type *t)
{
    return type_to_sql(bd->a, t);
}

struct lnode *lnode_new(struct job_plan *p, enum lnode_kind kind, int n_inputs)
{
    struct lnode *n = arena_calloc(&p->arena, sizeof(*n));
    n->kind = kind;
    n->id = p->next_id++;
    n->n_inputs = n_inputs;
    if (n_inputs)
        n->inputs = arena_calloc(&p->arena, (size_t)n_inputs * sizeof(*n->inputs));
    n->loc = WEIR_LOC_NONE;
    return n;
}

struct expr *expr_new(struct arena *a, enum expr_kind kind, const struct sql_type *t,
                      int n_args)
{
    struct expr *e = arena_calloc(a, sizeof(*e));
    e->kind = (uint8_t)kind;
    e->type = t;
    e->n_args = n_args;
    if (n_args)
        e->args = arena_calloc(a, (size_t)n_args * sizeof(*e->args));
    e->loc = WEIR_LOC_NONE;
    return e;
}

struct expr *expr_column(struct arena *a, int index, const struct sql_type *t)
{
    struct expr *e = expr_new(a, EX_COLUMN, t, 0);
    e->index = index;
    return e;
}

static struct expr *mk_op(struct binder *bd, enum expr_op op, const struct sql_type *t,
                          struct weir_loc loc, int n, struct expr **args)
{
    struct expr *e = expr_new(bd->a, EX_OP, t, n);
    e->op = (uint8_t)op;
    e->loc = loc;
    for (int i = 0; i < n; i++)
        e->args[i] = args[i];
    return e;
}

static bool any_nullable(struct expr **args, int n)
{
    for (int i = 0; i < n; i++)
        if (args[i]->type->nullable)
            return true;
    return false;
}

static const struct sql_type *nullable_as(struct binder *bd, const struct sql_type *t,
                                          bool nullable)
{
    return type_with_nullable(bd->a, t, nullable);
}

/* Wraps e in a CAST to t unless it already has that type.  A NULL literal
 * simply takes the type. */
static struct expr *cast_to(struct binder *bd, struct expr *e, const struct sql_type *t)
{
    if (type_equal(e->type, t) && e->type->id != T_NULL)
        return e;
    if (e->kind == EX_LITERAL && e->lit.is_null) {
        struct expr *c = expr_new(bd->a, EX_LITERAL, nullable_as(bd, t, true), 0);
        c->lit.is_null = true;
        c->loc = e->loc;
        return c;
    }
    struct expr *c = expr_new(bd->a, EX_CAST, nullable_as(bd, t, e->type->nullable), 1);
    c->args[0] = e;
    c->loc = e->loc;
    c->cast_mode = EXPR_CAST_STRICT;
    return c;
}

/* ---- Flink's type rules ----------------------------------------------------------- */

static int int_rank(const struct sql_type *t)
{
    return type_int_bits(t);
}

/* The least restrictive type of a and b (SQL.md b.3), or NULL if none. */
static const struct sql_type *common_type(struct binder *bd, const struct sql_type *a,
                                          const struct sql_type *b)
{
    bool nullable = a->nullable || b->nullable;
    const struct sql_type *r = NULL;
    if (a->id == T_NULL)
        return nullable_as(bd, b, true);
    if (b->id == T_NULL)
        return nullable_as(bd, a, true);
    if (type_is_numeric(a) && type_is_numeric(b)) {
        if (a->id == T_DOUBLE || b->id == T_DOUBLE)
            r = &type_double;
        else if (a->id == T_FLOAT || b->id == T_FLOAT)
            r = (a->id == T_DECIMAL || b->id == T_DECIMAL) ? &type_double : &type_float;
        else if (a->id == T_DECIMAL || b->id == T_DECIMAL) {
            int p1, s1, p2, s2;
            type_decimal_of(a, &p1, &s1);
            type_decimal_of(b, &p2, &s2);
            int s = s1 > s2 ? s1 : s2;
            int ip = (p1 - s1) > (p2 - s2) ? (p1 - s1) : (p2 - s2);
            int p = ip + s;
            if (p > DECIMAL_MAX_PRECISION) {
                p = DECIMAL_MAX_PRECISION;
                if (s > p - ip)
                    s = p - ip < 0 ? 0 : p - ip;
            }
            r = type_decimal(bd->a, p, s);
        } else
            r = int_rank(a) >= int_rank(b) ? a : b;
    } else if (type_is_string(a) && type_is_string(b)) {
        if (a->id == T_CHAR && b->id == T_CHAR && a->length == b->length)
            r = a;
        else
            r = type_varchar(bd->a, a->length > b->length ? a->length : b->length);
    } else if (type_is_binary(a) && type_is_binary(b)) {
        struct sql_type *t = type_new(bd->a, T_VARBINARY);
        t->length = a->length > b->length ? a->length : b->length;
        r = t;
    } else if (a->id == b->id) {
        switch (a->id) {
        case T_TIME:
        case T_TIMESTAMP:
        case T_TIMESTAMP_LTZ:
            r = a->precision >= b->precision ? a : b;
            break;
        case T_ROW: {
            if (a->n_fields != b->n_fields)
                break;
            struct sql_type *rt = type_new(bd->a, T_ROW);
            const struct sql_type **ft =
                arena_calloc(bd->a, (size_t)(a->n_fields ? a->n_fields : 1) * sizeof(void *));
            for (int f = 0; f < a->n_fields; f++) {
                ft[f] = common_type(bd, a->field_types[f], b->field_types[f]);
                if (ft[f] == NULL)
                    return NULL;
            }
            rt->n_fields = a->n_fields;
            rt->field_names = a->field_names;
            rt->field_types = ft;
            r = rt;
            break;
        }
        default:
            r = a;
            break;
        }
    } else if ((a->id == T_DATE && b->id == T_TIMESTAMP) ||
               (a->id == T_TIMESTAMP && b->id == T_DATE)) {
        r = a->id == T_TIMESTAMP ? a : b;
    } else if (type_is_timestamp(a) && type_is_timestamp(b)) {
        r = a->id == T_TIMESTAMP_LTZ ? a : b;
    }
    if (r == NULL)
        return NULL;
    r = type_with_time_attr(bd->a, r, TA_NONE);
    return nullable_as(bd, r, nullable);
}

/* Can a value of type `from` be written to a column of type `to` without an
 * explicit CAST (INSERT, function arguments)? */
static bool assignable(const struct sql_type *from, const struct sql_type *to)
{
    if (from->id == T_NULL)
        return true;
    if (type_is_string(from) && type_is_string(to))
        return true;
    if (type_is_binary(from) && type_is_binary(to))
        return true;
    if (type_is_integer(from) && type_is_integer(to))
        return type_int_bits(from) <= type_int_bits(to);
    if (type_is_integer(from) && to->id == T_DECIMAL) {
        int p, s;
        type_decimal_of(from, &p, &s);
        return p <= to->precision - to->scale;
    }
    if (type_is_numeric(from) && type_is_approx(to))
        return !(from->id == T_DOUBLE && to->id == T_FLOAT);
    if (from->id == T_DECIMAL && to->id == T_DECIMAL)
        return true;
    if (type_is_timestamp(from) && type_is_timestamp(to))
        return true;
    if (from->id == T_DATE && to->id == T_TIMESTAMP)
        return true;
    if (from->id == to->id)
        return from->id != T_ROW || from->n_fields == to->n_fields;
    return false;
}

/* ---- literals ----------------------------------------------------------------------- */

static struct expr *lit_new(struct binder *bd, const struct sql_type *t, struct weir_loc loc)
{
    struct expr *e = expr_new(bd->a, EX_LITERAL, t, 0);
    e->loc = loc;
    return e;
}

static struct expr *bind_string_lit(struct binder *bd, const char *s, size_t len,
                                    struct weir_loc loc)
{
    int chars = 0;
    for (size_t i = 0; i < len; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    struct expr *e = lit_new(bd, nullable_as(bd, type_char(bd->a, chars), false), loc);
    e->lit.s.ptr = arena_strndup(bd->a, s, len);
    e->lit.s.len = (uint32_t)len;
    return e;
}

static enum dt_unit unit_of(enum ast_time_unit u)
{
    switch (u) {
    case AST_TU_YEAR: return DT_YEAR;
    case AST_TU_QUARTER: return DT_QUARTER;
    case AST_TU_MONTH: return DT_MONTH;
    case AST_TU_WEEK: return DT_WEEK;
    case AST_TU_DAY: return DT_DAY;
    case AST_TU_HOUR: return DT_HOUR;
    case AST_TU_MINUTE: return DT_MINUTE;
    case AST_TU_SECOND: return DT_SECOND;
    case AST_TU_MILLISECOND: return DT_MILLISECOND;
    case AST_TU_MICROSECOND: return DT_MICROSECOND;
    case AST_TU_NANOSECOND: return DT_NANOSECOND;
    default: return DT_SECOND;
    }
}

static struct expr *bind_literal(struct binder *bd, struct ast_expr *ae)
{
    const char *t = ae->u.lit.text;
    struct weir_loc loc = ae->loc;
    struct expr *e;
    switch (ae->u.lit.kind) {
    case AST_LIT_INTEGER: {
        /* the parser folds a leading minus into the text ("-2147483648") */
        bool neg = t[0] == '-';
        size_t n = strlen(t);
        __int128 v = 0;
        int digits = 0;
        for (size_t i = neg ? 1 : 0; i < n; i++) {
            if (digits || t[i] != '0')
                digits++;
            if (digits > 38) {
                FAIL(WEIR_ERR_BIND, loc, "numeric literal '%s' is out of range", t);
                return NULL;
            }
            v = v * 10 + (t[i] - '0');
        }
        if (neg)
            v = -v;
        if (v >= INT32_MIN && v <= INT32_MAX) {
            e = lit_new(bd, nullable_as(bd, &type_int, false), loc);
            e->lit.i = (int64_t)v;
        } else if (v >= INT64_MIN && v <= INT64_MAX) {
            e = lit_new(bd, nullable_as(bd, &type_bigint, false), loc);
            e->lit.i = (int64_t)v;
        } else {
            e = lit_new(bd, nullable_as(bd, type_decimal(bd->a, digits, 0), false), loc);
            e->lit.d = v;
        }
        return e;
    }
    case AST_LIT_DECIMAL: {
        /* DECIMAL(p, s): s = digits after the point, p = significant digits but
         * at least s + 1 (0.908 is DECIMAL(4, 3), as Flink types it) */
        const char *dot = strchr(t, '.');
        int scale = dot ? (int)strlen(dot + 1) : 0;
        int sig = 0;
        bool started = false;
        for (const char *c = t; *c; c++) {
            if (*c == '.' || *c == '-')
                continue;
            if (*c != '0')
                started = true;
            if (started)
                sig++;
        }
        int p = sig > scale + 1 ? sig : scale + 1;
        if (p > 38) {
            FAIL(WEIR_ERR_BIND, loc, "decimal literal '%s' has more than 38 digits", t);
            return NULL;
        }
        e = lit_new(bd, nullable_as(bd, type_decimal(bd->a, p, scale), false), loc);
        if (dec_parse(t, strlen(t), p, scale, &e->lit.d) != 0) {
            FAIL(WEIR_ERR_BIND, loc, "invalid decimal literal '%s'", t);
            return NULL;
        }
        return e;
    }
    case AST_LIT_APPROX:
        e = lit_new(bd, nullable_as(bd, &type_double, false), loc);
        e->lit.f = strtod(t, NULL);
        return e;
    case AST_LIT_STRING:
        return bind_string_lit(bd, t, strlen(t), loc);
    case AST_LIT_BINARY: {
        size_t n = strlen(t);
        if (n % 2) {
            FAIL(WEIR_ERR_BIND, loc, "binary literal X'%s' needs an even number of hex digits", t);
            return NULL;
        }
        struct sql_type *bt = type_new(bd->a, T_BINARY);
        bt->length = (int)(n / 2);
        bt->nullable = false;
        e = lit_new(bd, bt, loc);
        char *d = arena_alloc(bd->a, n / 2 + 1);
        for (size_t i = 0; i < n / 2; i++) {
            char h[3] = {t[2 * i], t[2 * i + 1], 0};
            d[i] = (char)strtol(h, NULL, 16);
        }
        e->lit.s = (struct str){d, (uint32_t)(n / 2)};
        return e;
    }
    case AST_LIT_TRUE:
    case AST_LIT_FALSE:
        e = lit_new(bd, nullable_as(bd, &type_boolean, false), loc);
        e->lit.b = ae->u.lit.kind == AST_LIT_TRUE;
        return e;
    case AST_LIT_UNKNOWN:
        e = lit_new(bd, &type_boolean, loc);
        e->lit.is_null = true;
        return e;
    case AST_LIT_NULL:
        e = lit_new(bd, &type_null, loc);
        e->lit.is_null = true;
        return e;
    case AST_LIT_DATE:
        e = lit_new(bd, nullable_as(bd, &type_date, false), loc);
        if (!dt_parse_date(t, strlen(t), &e->lit.i)) {
            FAIL(WEIR_ERR_BIND, loc, "invalid DATE literal '%s': expected 'yyyy-MM-dd'", t);
            return NULL;
        }
        return e;
    case AST_LIT_TIME:
    case AST_LIT_TIMESTAMP:
    case AST_LIT_TIMESTAMP_LTZ: {
        const char *frac = strrchr(t, '.');
        int prec = 0;
        if (frac && strchr(frac, ':') == NULL)
            for (const char *c = frac + 1; *c >= '0' && *c <= '9'; c++)
                prec++;
        if (prec > 9)
            prec = 9;
        bool is_time = ae->u.lit.kind == AST_LIT_TIME;
        enum type_id id = is_time ? T_TIME
                          : ae->u.lit.kind == AST_LIT_TIMESTAMP ? T_TIMESTAMP
                                                                : T_TIMESTAMP_LTZ;
        struct sql_type *tt = type_new(bd->a, id);
        tt->precision = prec;
        tt->nullable = false;
        e = lit_new(bd, tt, loc);
        bool ok = is_time ? dt_parse_time(t, strlen(t), &e->lit.i)
                          : dt_parse_timestamp(t, strlen(t), &e->lit.i);
        if (!ok) {
            FAIL(WEIR_ERR_BIND, loc, "invalid %s literal '%s': expected '%s'",
                 is_time ? "TIME" : "TIMESTAMP", t,
                 is_time ? "HH:mm:ss[.fff]" : "yyyy-MM-dd HH:mm:ss[.fff]");
            return NULL;
        }
        if (id == T_TIMESTAMP_LTZ)
            e->lit.i = dt_local_to_ltz(e->lit.i);
        return e;
    }
    case AST_LIT_INTERVAL: {
        const struct ast_interval_qual *q = &ae->u.lit.interval;
        bool ym = q->start == AST_TU_YEAR || q->start == AST_TU_MONTH ||
                  q->start == AST_TU_QUARTER;
        e = lit_new(bd, nullable_as(bd, ym ? &type_interval_ym : &type_interval_dt, false), loc);
        enum dt_unit from = unit_of(q->start);
        enum dt_unit to = q->end == AST_TU_NONE ? from : unit_of(q->end);
        if (!dt_parse_interval(t, strlen(t), from, to, &e->lit.i)) {
            FAIL(WEIR_ERR_BIND, loc, "invalid INTERVAL literal '%s' for %s%s%s", t,
                 dt_unit_name(from), q->end ? " TO " : "", q->end ? dt_unit_name(to) : "");
            return NULL;
        }
        if (ae->u.lit.negative)
            e->lit.i = -e->lit.i;
        return e;
    }
    }
    FAIL(WEIR_ERR_INTERNAL, loc, "unknown literal");
    return NULL;
}

/* ---- name resolution -------------------------------------------------------------------- */

static void scope_list(struct binder *bd, struct scope *sc, struct strbuf *sb)
{
    (void)bd;
    if (sc == NULL || sc->n == 0) {
        sb_adds(sb, "(no columns: the query has no FROM)");
        return;
    }
    for (int i = 0; i < sc->n; i++) {
        if (i)
            sb_adds(sb, ", ");
        sb_adds(sb, sc->cols[i].name);
    }
}

static struct expr *field_access(struct binder *bd, struct expr *base, const char *name,
                                 struct weir_loc loc)
{
    const struct sql_type *t = base->type;
    if (t->id != T_ROW) {
        FAIL(WEIR_ERR_BIND, loc, "cannot access field '%s' of a value of type %s", name,
             type_name(bd, t));
        return NULL;
    }
    for (int f = 0; f < t->n_fields; f++) {
        if (strcmp(t->field_names[f], name) == 0) {
            struct expr *e = expr_new(bd->a, EX_FIELD,
                                      nullable_as(bd, t->field_types[f],
                                                  t->nullable || t->field_types[f]->nullable),
                                      1);
            e->args[0] = base;
            e->index = f;
            e->loc = loc;
            return e;
        }
    }
    struct strbuf sb = {0};
    for (int f = 0; f < t->n_fields; f++)
        sb_addf(&sb, "%s%s", f ? ", " : "", t->field_names[f]);
    FAIL(WEIR_ERR_BIND, loc, "field '%s' not found in %s; its fields: %s", name,
         type_name(bd, t), sb.buf ? sb.buf : "");
    sb_free(&sb);
    return NULL;
}

/* Resolves a name among sc->cols[lo..hi): t.col first, then col (a ROW
 * column's fields may follow).  Returns the column or -1; *n_match > 1 when
 * ambiguous. */
static int scope_lookup(const struct scope *sc, const struct ast_name *nm, int lo, int hi,
                        int *used_parts, int *n_match)
{
    int found = -1;
    *used_parts = 0;
    *n_match = 0;
    if (nm->n_parts >= 2) {
        for (int i = lo; i < hi; i++)
            if (sc->cols[i].qual && strcmp(sc->cols[i].qual, nm->parts[0]) == 0 &&
                strcmp(sc->cols[i].name, nm->parts[1]) == 0) {
                if (found < 0)
                    found = i;
                (*n_match)++;
            }
        if (found >= 0) {
            *used_parts = 2;
            return found;
        }
    }
    *n_match = 0;
    for (int i = lo; i < hi; i++)
        if (strcmp(sc->cols[i].name, nm->parts[0]) == 0) {
            if (found < 0)
                found = i;
            (*n_match)++;
        }
    if (found >= 0)
        *used_parts = 1;
    return found;
}

static struct expr *bind_ident(struct binder *bd, struct scope *sc, struct ast_expr *ae)
{
    const struct ast_name *nm = &ae->u.ident;
    int found = -1, used_parts = 0, n_match = 0;
    if (sc) {
        /* a correlated condition: the subquery's columns shadow the outer ones */
        found = scope_lookup(sc, nm, sc->inner_from, sc->n, &used_parts, &n_match);
        if (found < 0 && sc->inner_from > 0)
            found = scope_lookup(sc, nm, 0, sc->inner_from, &used_parts, &n_match);
    }
    if (found < 0 && bd->corr_outer) {
        int up, nmatch;
        if (scope_lookup(bd->corr_outer, nm, 0, bd->corr_outer->n, &up, &nmatch) >= 0) {
            FAIL(WEIR_ERR_UNSUPPORTED, ae->loc,
                 "'%s' refers to the outer query, which a subquery can do only in the WHERE "
                 "of a plain SELECT (not with DISTINCT, GROUP BY, HAVING, aggregates, set "
                 "operations, a comma join or a window TVF)", ast_name_str(bd->a, nm));
            return NULL;
        }
    }
    if (found < 0) {
        struct strbuf sb = {0};
        bool is_qual = false;
        for (int i = 0; sc && i < sc->n && nm->n_parts >= 2; i++)
            if (sc->cols[i].qual && strcmp(sc->cols[i].qual, nm->parts[0]) == 0)
                is_qual = true;
        const char *best = NULL;
        int bestd = 3;
        const char *want = is_qual ? nm->parts[1] : nm->parts[0];
        for (int i = 0; sc && i < sc->n; i++) {
            int d = edit_distance(want, sc->cols[i].name);
            if (d < bestd) {
                bestd = d;
                best = sc->cols[i].name;
            }
        }
        scope_list(bd, sc, &sb);
        struct weir_loc loc = is_qual ? nm->part_locs[1] : nm->part_locs[0];
        bool first_is_col = false;
        for (int i = 0; sc && i < sc->n; i++)
            first_is_col |= strcmp(sc->cols[i].name, nm->parts[0]) == 0;
        if (nm->n_parts >= 2 && !is_qual && !first_is_col) {
            struct strbuf q = {0};
            for (int i = 0; sc && i < sc->n; i++) {
                bool seen = false;
                for (int k = 0; k < i; k++)
                    seen |= sc->cols[k].qual && sc->cols[i].qual &&
                            strcmp(sc->cols[k].qual, sc->cols[i].qual) == 0;
                if (sc->cols[i].qual && !seen)
                    sb_addf(&q, "%s%s", q.len ? ", " : "", sc->cols[i].qual);
            }
            FAIL(WEIR_ERR_BIND, nm->part_locs[0],
                 "table or alias '%s' not found in FROM; in scope: %s", nm->parts[0],
                 q.len ? q.buf : "(none)");
            sb_free(&q);
            sb_free(&sb);
            return NULL;
        }
        if (best)
            FAIL(WEIR_ERR_BIND, loc, "column '%s' not found; did you mean '%s'? columns in scope: %s",
                 want, best, sb.buf);
        else
            FAIL(WEIR_ERR_BIND, loc, "column '%s' not found; columns in scope: %s", want,
                 sb.buf);
        sb_free(&sb);
        return NULL;
    }
    if (n_match > 1) {
        FAIL(WEIR_ERR_BIND, ae->loc,
             "column '%s' is ambiguous: it is in more than one table of FROM; qualify it",
             nm->parts[used_parts - 1]);
        return NULL;
    }
    struct expr *e = expr_column(bd->a, found, sc->cols[found].type);
    e->loc = ae->loc;
    for (int k = used_parts; k < nm->n_parts && e; k++)
        e = field_access(bd, e, nm->parts[k], nm->part_locs[k]);
    return e;
}

/* ---- operators ----------------------------------------------------------------------- */

static const char *binop_text(enum ast_binary_op op)
{
    switch (op) {
    case AST_OP_ADD: return "+";
    case AST_OP_SUB: return "-";
    case AST_OP_MUL: return "*";
    case AST_OP_DIV: return "/";
    case AST_OP_MOD: return "%";
    case AST_OP_EQ: return "=";
    case AST_OP_NE: return "<>";
    case AST_OP_LT: return "<";
    case AST_OP_LE: return "<=";
    case AST_OP_GT: return ">";
    case AST_OP_GE: return ">=";
    case AST_OP_CONCAT: return "||";
    case AST_OP_AND: return "AND";
    case AST_OP_OR: return "OR";
    default: return ast_binary_op_name(op);
    }
}

static struct expr *bind_arith(struct binder *bd, enum expr_op op, struct expr *l,
                               struct expr *r, struct weir_loc loc, const char *optext)
{
    const struct sql_type *lt = l->type, *rt = r->type;
    bool nullable = lt->nullable || rt->nullable;
    const struct sql_type *res = NULL;
    if (lt->id == T_NULL && rt->id == T_NULL)
        lt = rt = &type_int;
    if (lt->id == T_NULL)
        lt = rt;
    if (rt->id == T_NULL)
        rt = lt;

    /* temporal arithmetic: ts ± interval, interval ± interval, ts - ts */
    if ((op == OP_ADD || op == OP_SUB) &&
        (type_is_temporal(lt) || type_is_temporal(rt) || type_is_interval(lt) ||
         type_is_interval(rt))) {
        if (type_is_temporal(lt) && type_is_interval(rt))
            res = lt;
        else if (op == OP_ADD && type_is_interval(lt) && type_is_temporal(rt))
            res = rt;
        else if (type_is_interval(lt) && type_is_interval(rt) && lt->id == rt->id)
            res = lt;
        if (res == NULL)
            goto bad;
        res = type_with_time_attr(bd->a, res, TA_NONE);
        struct expr *args[2] = {cast_to(bd, l, lt), cast_to(bd, r, rt)};
        return mk_op(bd, op, nullable_as(bd, res, nullable), loc, 2, args);
    }
    if ((op == OP_MUL || op == OP_DIV) &&
        ((type_is_interval(lt) && type_is_integer(rt)) ||
         (op == OP_MUL && type_is_integer(lt) && type_is_interval(rt)))) {
        FAIL(WEIR_ERR_UNSUPPORTED, loc, "interval multiplication is not supported yet");
        return NULL;
    }
    if (!type_is_numeric(lt) || !type_is_numeric(rt))
        goto bad;
    if (type_is_approx(lt) || type_is_approx(rt)) {
        res = common_type(bd, lt, rt);
    } else if (lt->id == T_DECIMAL || rt->id == T_DECIMAL) {
        int p1, s1, p2, s2, p, s;
        type_decimal_of(lt, &p1, &s1);
        type_decimal_of(rt, &p2, &s2);
        switch (op) {
        case OP_ADD:
        case OP_SUB: dec_add_type(p1, s1, p2, s2, &p, &s); break;
        case OP_MUL: dec_mul_type(p1, s1, p2, s2, &p, &s); break;
        case OP_DIV: dec_div_type(p1, s1, p2, s2, &p, &s); break;
        default: dec_mod_type(p1, s1, p2, s2, &p, &s); break;
        }
        res = type_decimal(bd->a, p, s);
        /* operands go to DECIMAL with their own precision/scale; kernels align */
        struct expr *args[2] = {cast_to(bd, l, type_decimal(bd->a, p1, s1)),
                                cast_to(bd, r, type_decimal(bd->a, p2, s2))};
        return mk_op(bd, op, nullable_as(bd, res, nullable), loc, 2, args);
    } else {
        res = int_rank(lt) >= int_rank(rt) ? lt : rt;
        if (op == OP_MOD)
            res = rt;   /* MOD takes the divisor's type (Calcite ARG1) */
    }
    res = type_with_time_attr(bd->a, res, TA_NONE);
    const struct sql_type *wide = common_type(bd, lt, rt);
    struct expr *args[2] = {cast_to(bd, l, nullable_as(bd, wide, lt->nullable)),
                            cast_to(bd, r, nullable_as(bd, wide, rt->nullable))};
    if (type_is_integer(res) && !type_equal(wide, res))
        res = wide;   /* compute in the wide type (MOD of INT by BIGINT) */
    return mk_op(bd, op, nullable_as(bd, res, nullable), loc, 2, args);
bad:
    FAIL(WEIR_ERR_BIND, loc, "cannot apply '%s' to %s and %s", optext, type_name(bd, l->type),
         type_name(bd, r->type));
    return NULL;
}

/* Brings both sides of a comparison to one type.  A string compared with a
 * number, date or boolean is cast to the other side's type (Calcite's implicit
 * comparison coercion). */
static bool unify2(struct binder *bd, struct expr **l, struct expr **r, struct weir_loc loc,
                   const char *optext)
{
    const struct sql_type *lt = (*l)->type, *rt = (*r)->type;
    const struct sql_type *ct = common_type(bd, lt, rt);
    if (ct == NULL) {
        if (type_is_string(lt) && !type_is_string(rt) && rt->id != T_ROW &&
            cast_allowed(lt, rt, true))
            ct = rt;
        else if (type_is_string(rt) && !type_is_string(lt) && lt->id != T_ROW &&
                 cast_allowed(rt, lt, true))
            ct = lt;
        if (ct)
            ct = type_with_time_attr(bd->a, ct, TA_NONE);
    }
    if (ct == NULL) {
        FAIL(WEIR_ERR_BIND, loc, "cannot apply '%s' to %s and %s", optext, type_name(bd, lt),
             type_name(bd, rt));
        return false;
    }
    *l = cast_to(bd, *l, nullable_as(bd, ct, lt->nullable));
    *r = cast_to(bd, *r, nullable_as(bd, ct, rt->nullable));
    return true;
}

static struct expr *bind_compare(struct binder *bd, enum expr_op op, struct expr *l,
                                 struct expr *r, struct weir_loc loc, const char *optext)
{
    if (!unify2(bd, &l, &r, loc, optext))
        return NULL;
    bool nullable = op == OP_IS_DISTINCT || op == OP_IS_NOT_DISTINCT
                        ? false
                        : l->type->nullable || r->type->nullable;
    struct expr *args[2] = {l, r};
    return mk_op(bd, op, nullable_as(bd, &type_boolean, nullable), loc, 2, args);
}

static struct expr *require_bool(struct binder *bd, struct expr *e, const char *what)
{
    if (e == NULL)
        return NULL;
    if (e->type->id == T_NULL)
        return cast_to(bd, e, &type_boolean);
    if (e->type->id != T_BOOLEAN) {
        FAIL(WEIR_ERR_BIND, e->loc, "%s must be BOOLEAN, not %s", what, type_name(bd, e->type));
        return NULL;
    }
    return e;
}

static struct expr *bind_logic(struct binder *bd, enum expr_op op, struct expr *l,
                               struct expr *r, struct weir_loc loc)
{
    l = require_bool(bd, l, op == OP_AND ? "operand of AND" : "operand of OR");
    r = l ? require_bool(bd, r, op == OP_AND ? "operand of AND" : "operand of OR") : NULL;
    if (!l || !r)
        return NULL;
    /* flatten a AND b AND c into one node: fewer passes over the batch */
    int n = 0;
    struct expr *tmp[2] = {l, r};
    for (int i = 0; i < 2; i++)
        n += (tmp[i]->kind == EX_OP && tmp[i]->op == op) ? tmp[i]->n_args : 1;
    struct expr *e = expr_new(bd->a, EX_OP,
                              nullable_as(bd, &type_boolean,
                                          l->type->nullable || r->type->nullable),
                              n);
    e->op = (uint8_t)op;
    e->loc = loc;
    int k = 0;
    for (int i = 0; i < 2; i++) {
        if (tmp[i]->kind == EX_OP && tmp[i]->op == op)
            for (int j = 0; j < tmp[i]->n_args; j++)
                e->args[k++] = tmp[i]->args[j];
        else
            e->args[k++] = tmp[i];
    }
    return e;
}

/* ---- function calls --------------------------------------------------------------------- */

static bool is_aggregate_name(const char *n)
{
    static const char *aggs[] = {"COUNT", "SUM", "SUM0", "AVG", "MIN", "MAX", "FIRST_VALUE",
                                 "LAST_VALUE", "LISTAGG", "STDDEV_POP", "STDDEV_SAMP",
                                 "STDDEV", "VAR_POP", "VAR_SAMP", "VARIANCE", "COLLECT",
                                 "APPROX_COUNT_DISTINCT", "ARRAY_AGG", "JSON_OBJECTAGG",
                                 "JSON_ARRAYAGG", "ROW_NUMBER", "RANK", "DENSE_RANK",
                                 "LEAD", "LAG", "NTILE", "PERCENT_RANK", "CUME_DIST",
                                 "GROUPING", "GROUPING_ID", "GROUP_ID", NULL};
    for (int i = 0; aggs[i]; i++)
        if (strcasecmp(n, aggs[i]) == 0)
            return true;
    return false;
}

static bool is_window_tvf_name(const char *n)
{
    return strcasecmp(n, "TUMBLE") == 0 || strcasecmp(n, "HOP") == 0 ||
           strcasecmp(n, "CUMULATE") == 0 || strcasecmp(n, "SESSION") == 0 ||
           strncasecmp(n, "TUMBLE_", 7) == 0 || strncasecmp(n, "HOP_", 4) == 0 ||
           strncasecmp(n, "SESSION_", 8) == 0;
}

static const struct func_def *find_function(struct binder *bd, const char *name)
{
    struct catalog *c = &bd->p->cat;
    for (int i = c->n_functions - 1; i >= 0; i--)
        if (strcasecmp(c->functions[i].name, name) == 0)
            return c->functions[i].def;
    return func_lookup(name);
}

static struct expr *bind_fn(struct binder *bd, const struct func_def *def, struct expr **args,
                            int n, struct weir_loc loc)
{
    if (n < def->min_args || (def->max_args >= 0 && n > def->max_args)) {
        if (def->min_args == def->max_args)
            FAIL(WEIR_ERR_BIND, loc, "%s expects %d argument%s, got %d: %s", def->name,
                 def->min_args, def->min_args == 1 ? "" : "s", n, def->signature);
        else
            FAIL(WEIR_ERR_BIND, loc, "%s expects %d to %d arguments, got %d: %s", def->name,
                 def->min_args, def->max_args < 0 ? 99 : def->max_args, n, def->signature);
        return NULL;
    }
    struct func_bind fb = {0};
    fb.def = def;
    fb.n_args = n;
    fb.arg_types = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(*fb.arg_types));
    fb.cast_to = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(*fb.cast_to));
    fb.args = args;
    for (int i = 0; i < n; i++)
        fb.arg_types[i] = args[i]->type;
    fb.arena = bd->a;
    fb.loc = loc;
    if (def->bind(&fb, bd->err) != WEIR_OK) {
        if (bd->err && bd->err->loc.offset < 0)
            bd->err->loc = loc;
        return NULL;
    }
    struct expr *e = expr_new(bd->a, EX_CALL, fb.result, n);
    e->fn = def;
    e->fn_state = fb.state;
    if (fb.state && def->free_state) {
        struct job_plan *p = bd->p;
        MEM_GROW(p->fn_states, p->cap_fn_states, p->n_fn_states + 1);
        p->fn_states[p->n_fn_states++] = (struct fn_state_ref){def, fb.state};
    }
    e->loc = loc;
    for (int i = 0; i < n; i++)
        e->args[i] = fb.cast_to[i] ? cast_to(bd, args[i], fb.cast_to[i]) : args[i];
    return e;
}

/* Binds a list of argument expressions; symbols become upper-case STRING
 * literals (the function modules' convention). */
static bool bind_args(struct binder *bd, struct scope *sc, struct ast_expr **in, int n,
                      struct expr **out)
{
    for (int i = 0; i < n; i++) {
        if (in[i]->kind == AST_E_SYMBOL) {
            const char *s = in[i]->u.symbol.name;
            out[i] = bind_string_lit(bd, s, strlen(s), in[i]->loc);
        } else {
            out[i] = bind_expr(bd, sc, in[i]);
        }
        if (out[i] == NULL)
            return false;
    }
    return true;
}

static struct expr *bind_variadic_common(struct binder *bd, enum expr_op op, struct expr **args,
                                         int n, int first, struct weir_loc loc,
                                         const char *name)
{
    const struct sql_type *t = args[first]->type;
    for (int i = first + 1; i < n && t; i++)
        t = common_type(bd, t, args[i]->type);
    if (t == NULL) {
        struct strbuf sb = {0};
        for (int i = first; i < n; i++)
            sb_addf(&sb, "%s%s", i > first ? ", " : "", type_name(bd, args[i]->type));
        FAIL(WEIR_ERR_BIND, loc, "%s arguments have no common type: %s", name, sb.buf);
        sb_free(&sb);
        return NULL;
    }
    if (t->id == T_NULL)
        t = &type_string;
    for (int i = first; i < n; i++)
        args[i] = cast_to(bd, args[i], nullable_as(bd, t, args[i]->type->nullable));
    bool nullable = false;
    if (op == OP_COALESCE) {
        nullable = true;
        for (int i = 0; i < n; i++)
            if (!args[i]->type->nullable)
                nullable = false;
    } else
        nullable = any_nullable(args + first, n - first);
    return mk_op(bd, op, nullable_as(bd, t, nullable), loc, n, args);
}

static const char *json_behavior_name(enum ast_json_behavior b)
{
    switch (b) {
    case AST_JB_ERROR: return "ERROR";
    case AST_JB_DEFAULT: return "DEFAULT";
    case AST_JB_EMPTY_ARRAY: return "EMPTY_ARRAY";
    case AST_JB_EMPTY_OBJECT: return "EMPTY_OBJECT";
    default: return "NULL";
    }
}

/* The clauses of JSON_VALUE / JSON_QUERY become trailing arguments, as
 * fn_json.c expects them:
 *   JSON_VALUE(j, path[, NULL-of-RETURNING-type[, on_empty, default, on_error, default]])
 *   JSON_QUERY(j, path[, wrapper[, on_empty[, on_error]]])
 * Mode and wrapper names are STRING literals; `args` has room for 5 more. */
static bool json_clause_args(struct binder *bd, struct scope *sc, struct ast_expr *ae,
                             struct expr **args, int *n)
{
    const char *name = ae->u.call.name.parts[ae->u.call.name.n_parts - 1];
    struct weir_loc loc = ae->loc;
    bool behaviors = ae->u.call.on_empty != AST_JB_NONE || ae->u.call.on_error != AST_JB_NONE;
    if (strcasecmp(name, "JSON_VALUE") == 0) {
        if (!ae->u.call.returning && !behaviors)
            return true;
        struct expr *r = lit_new(bd, ae->u.call.returning ? nullable_as(bd, ae->u.call.returning, true)
                                                          : &type_null,
                                 ae->u.call.returning ? ae->u.call.returning_loc : loc);
        r->lit.is_null = true;
        args[(*n)++] = r;
        if (!behaviors)
            return true;
        enum ast_json_behavior b[2] = {ae->u.call.on_empty, ae->u.call.on_error};
        struct ast_expr *dflt[2] = {ae->u.call.on_empty_default, ae->u.call.on_error_default};
        for (int k = 0; k < 2; k++) {
            const char *m = json_behavior_name(b[k]);
            args[(*n)++] = bind_string_lit(bd, m, strlen(m), loc);
            if (b[k] == AST_JB_DEFAULT && dflt[k]) {
                if (!(args[*n] = bind_expr(bd, sc, dflt[k])))
                    return false;
                (*n)++;
            } else {
                struct expr *nl = lit_new(bd, &type_null, loc);
                nl->lit.is_null = true;
                args[(*n)++] = nl;
            }
        }
        return true;
    }
    /* JSON_QUERY */
    if (ae->u.call.wrapper == AST_JW_NONE && !behaviors)
        return true;
    const char *w = ae->u.call.wrapper == AST_JW_WITH_CONDITIONAL     ? "WITH_CONDITIONAL_ARRAY"
                    : ae->u.call.wrapper == AST_JW_WITH_UNCONDITIONAL ? "WITH_UNCONDITIONAL_ARRAY"
                                                                      : "WITHOUT_ARRAY";
    args[(*n)++] = bind_string_lit(bd, w, strlen(w), loc);
    const char *e1 = json_behavior_name(ae->u.call.on_empty);
    const char *e2 = json_behavior_name(ae->u.call.on_error);
    args[(*n)++] = bind_string_lit(bd, e1, strlen(e1), loc);
    args[(*n)++] = bind_string_lit(bd, e2, strlen(e2), loc);
    return true;
}

/* ---- aggregation --------------------------------------------------------------- */

/* Structural equality of bound expressions (GROUP BY key matching). */
static bool expr_equal(const struct expr *a, const struct expr *b)
{
    if (a->kind != b->kind || a->op != b->op || a->n_args != b->n_args ||
        !type_equal(a->type, b->type))
        return false;
    switch (a->kind) {
    case EX_COLUMN:
    case EX_FIELD:
        if (a->index != b->index)
            return false;
        break;
    case EX_LITERAL:
        if (a->lit.is_null != b->lit.is_null)
            return false;
        if (!a->lit.is_null) {
            switch (type_lane(a->type)) {
            case LANE_BOOL: if (a->lit.b != b->lit.b) return false; break;
            case LANE_I64: if (a->lit.i != b->lit.i) return false; break;
            case LANE_F64: if (a->lit.f != b->lit.f) return false; break;
            case LANE_I128: if (a->lit.d != b->lit.d) return false; break;
            case LANE_STR:
                if (a->lit.s.len != b->lit.s.len ||
                    memcmp(a->lit.s.ptr, b->lit.s.ptr, a->lit.s.len) != 0)
                    return false;
                break;
            default: break;
            }
        }
        break;
    case EX_CALL:
        if (a->fn != b->fn || (a->fn->flags & FN_NONDETERMINISTIC))
            return false;
        break;
    case EX_CAST:
        if (a->cast_mode != b->cast_mode)
            return false;
        break;
    default:
        break;
    }
    for (int i = 0; i < a->n_args; i++)
        if (!expr_equal(a->args[i], b->args[i]))
            return false;
    return true;
}

/* Window property functions of the legacy group-window syntax. */
enum { WP_START, WP_END, WP_ROWTIME, WP_PROCTIME };
static int window_property(const char *name)
{
    static const char *pre[] = {"TUMBLE_", "HOP_", "SESSION_"};
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(pre[k]);
        if (strncasecmp(name, pre[k], l) != 0)
            continue;
        const char *p = name + l;
        if (strcasecmp(p, "START") == 0)
            return WP_START;
        if (strcasecmp(p, "END") == 0)
            return WP_END;
        if (strcasecmp(p, "ROWTIME") == 0)
            return WP_ROWTIME;
        if (strcasecmp(p, "PROCTIME") == 0)
            return WP_PROCTIME;
    }
    return -1;
}

static struct expr *placeholder(struct binder *bd, int out_col, const struct sql_type *t,
                                struct weir_loc loc)
{
    struct expr *e = expr_column(bd->a, -(1 + out_col), t);
    e->loc = loc;
    return e;
}

/* TUMBLE_START(ts, INTERVAL ...) & co: a reference to the window bound, after
 * checking that the call names the GROUP BY window. */
static struct expr *bind_window_property(struct binder *bd, struct ast_expr *ae, int prop)
{
    struct agg_ctx *ac = bd->agg;
    const char *name = ae->u.call.name.parts[ae->u.call.name.n_parts - 1];
    if (ac->legacy == NULL) {
        FAIL(WEIR_ERR_BIND, ae->loc, "%s needs GROUP BY with the matching %.*s(...) window",
             name, (int)(strchr(name, '_') - name), name);
        return NULL;
    }
    const char *wname = ac->legacy->u.call.name.parts[ac->legacy->u.call.name.n_parts - 1];
    if (strncasecmp(name, wname, strlen(wname)) != 0 || name[strlen(wname)] != '_' ||
        ae->u.call.n_args != ac->legacy->u.call.n_args) {
        FAIL(WEIR_ERR_BIND, ae->loc, "%s does not match the GROUP BY window %s(...)", name,
             wname);
        return NULL;
    }
    struct lnode *n = ac->agg;
    int base = n->n_keys;
    if (prop == WP_PROCTIME && !n->win.proctime) {
        FAIL(WEIR_ERR_BIND, ae->loc, "%s needs a processing-time window", name);
        return NULL;
    }
    int col = base + (prop == WP_START ? 0 : prop == WP_END ? 1 : 2);
    return placeholder(bd, col, n->out_types[col], ae->loc);
}

/* An aggregate call in SELECT/HAVING: bound over FROM, registered, replaced by
 * a placeholder for its output column. */
/* The argument count of aggregate call ae (n arguments) against def; Flink
 * takes COUNT of one field only (count_hint says what to write instead). */
static bool agg_arity_ok(struct binder *bd, const struct ast_expr *ae, const struct agg_def *def,
                         int n, const char *count_hint)
{
    if (strcmp(def->name, "COUNT") == 0 && n > 1 && !ae->u.call.distinct) {
        FAIL(WEIR_ERR_BIND, ae->loc, "COUNT takes one argument (Flink: \"We now only support "
                                     "the count of one field.\"); %s", count_hint);
        return false;
    }
    if (n < def->min_args || (def->max_args >= 0 && n > def->max_args)) {
        FAIL(WEIR_ERR_BIND, ae->loc, "%s takes %d to %d arguments, got %d: %s", def->name,
             def->min_args, def->max_args, n, def->signature);
        return false;
    }
    return true;
}

/* Folds an aggregate call's arguments; their types, and the values of its
 * string literals (an aggregate may read a constant, as LISTAGG's
 * separator), go into new arrays. */
static void agg_args_fold(struct binder *bd, struct expr **args, int n,
                          const struct sql_type ***types, const char ***consts)
{
    *types = arena_calloc(bd->a, (size_t)(n + 1) * sizeof(void *));
    *consts = arena_calloc(bd->a, (size_t)(n + 1) * sizeof(char *));
    for (int i = 0; i < n; i++) {
        bd->p->n_folded += expr_fold(bd->a, &args[i]);
        (*types)[i] = args[i]->type;
        if (args[i]->kind == EX_LITERAL && !args[i]->lit.is_null && type_is_string(args[i]->type))
            (*consts)[i] = arena_strndup(bd->a, args[i]->lit.s.ptr, args[i]->lit.s.len);
    }
}

/* Binds aggregate def over args[0..n) (types and consts as agg_args_fold
 * gives them), casts the arguments as it asks, and fills *call, named
 * "F([DISTINCT ]args)" with the input's column names (NULL: $i).
 * append_only: the input never retracts, so MIN/MAX & co. keep no history. */
static bool agg_call_bind(struct binder *bd, struct agg_call *call, const struct agg_def *def,
                          struct expr **args, int n, const struct sql_type **types,
                          const char **consts, bool distinct, bool star, bool append_only,
                          const char *const *names, struct weir_loc loc)
{
    const struct sql_type **casts = arena_calloc(bd->a, (size_t)(n + 1) * sizeof(void *));
    struct agg_bind ab = {0};
    ab.def = def;
    ab.n_args = n;
    ab.arg_types = types;
    ab.distinct = distinct;
    ab.append_only = append_only;
    ab.const_args = consts;
    ab.cast_to = casts;
    ab.arena = bd->a;
    ab.loc = loc;
    if (def->bind(&ab, bd->err) != WEIR_OK) {
        if (bd->err && bd->err->loc.offset < 0)
            bd->err->loc = loc;
        return false;
    }
    for (int i = 0; i < n; i++)
        if (casts[i])
            args[i] = cast_to(bd, args[i], casts[i]);
    memset(call, 0, sizeof(*call));
    call->def = def;
    call->ops = ab.ops;
    call->state = ab.state;
    call->acc_size = ab.acc_size;
    call->n_args = n;
    call->args = args;
    call->distinct = ab.distinct;
    call->type = ab.result;
    struct strbuf sb = {0};
    sb_addf(&sb, "%s(%s", def->name, ab.distinct ? "DISTINCT " : "");
    if (star)
        sb_addc(&sb, '*');
    for (int i = 0; i < n; i++) {
        if (i)
            sb_adds(&sb, ", ");
        expr_to_text(&sb, args[i], names);
    }
    sb_addc(&sb, ')');
    call->name = arena_strdup(bd->a, sb.buf);
    sb_free(&sb);
    return true;
}

static struct expr *bind_agg_call(struct binder *bd, struct ast_expr *ae)
{
    struct agg_ctx *ac = bd->agg;
    const char *name = ae->u.call.name.parts[ae->u.call.name.n_parts - 1];
    if (ae->u.call.over) {
        FAIL(WEIR_ERR_UNSUPPORTED, ae->loc, "OVER aggregates cannot be mixed with GROUP BY or "
                                            "other aggregates in one SELECT");
        return NULL;
    }
    const struct agg_def *def = agg_lookup(name);
    if (def == NULL) {
        FAIL(WEIR_ERR_UNSUPPORTED, ae->loc, "aggregate function %s is not supported yet", name);
        return NULL;
    }
    int n = ae->u.call.star ? 0 : ae->u.call.n_args;
    if (!agg_arity_ok(bd, ae, def, n, "use COUNT(DISTINCT x, y) or COUNT(*)"))
        return NULL;
    /* arguments and FILTER are over FROM, and may not nest aggregates */
    bd->agg = NULL;
    struct expr **args = arena_calloc(bd->a, (size_t)(n + 1) * sizeof(*args));
    struct expr *filter = NULL;
    bool ok = bind_args(bd, ac->from, ae->u.call.args, n, args);
    if (ok && ae->u.call.filter) {
        filter = bind_top(bd, ac->from, ae->u.call.filter);
        ok = filter && (filter = require_bool(bd, filter, "FILTER (WHERE ...)"));
    }
    bd->agg = ac;
    if (!ok)
        return NULL;
    const struct sql_type **types;
    const char **consts;
    agg_args_fold(bd, args, n, &types, &consts);
    bool used[1024] = {false};
    for (int i = 0; i < n; i++)
        if (args[i]->kind != EX_LITERAL)
            expr_columns_used(args[i], used);
    for (int c = ac->n_from_cols; c < ac->from->n && c < 1024; c++)
        if (used[c]) {
            FAIL(WEIR_ERR_UNSUPPORTED, ae->loc,
                 "an aggregate over the window columns (%s) is not supported",
                 ac->from->cols[c].name);
            return NULL;
        }
    MEM_GROW(ac->aggs, ac->cap_aggs, ac->n_aggs + 1);
    struct agg_call *call = &ac->aggs[ac->n_aggs];
    /* over insert-only input MIN/MAX & co. need no history for retraction */
    if (!agg_call_bind(bd, call, def, args, n, types, consts, ae->u.call.distinct,
                       ae->u.call.star, !ac->input_updating, NULL, ae->loc))
        return NULL;
    call->filter = filter;
    /* output column: after keys and the three window columns */
    return placeholder(bd, ac->n_aggs++ | (1 << 20), call->type, ae->loc);
}

/* ---- OVER aggregation -------------------------------------------------------------------------- */

/* The bound form of an OVER window (partition keys, time attribute, frame),
 * for EXPLAIN-like comparison: windows must be the same for one node. */
static char *over_window_text(struct binder *bd, const struct lnode *n)
{
    struct strbuf sb = {0};
    for (int k = 0; k < n->n_part; k++) {
        expr_to_text(&sb, n->part[k], NULL);
        sb_addc(&sb, ',');
    }
    sb_addc(&sb, '|');
    expr_to_text(&sb, n->order[0], NULL);
    sb_addf(&sb, "|%d|%lld", n->over_rows, (long long)n->over_preceding);
    char *t = arena_strdup(bd->a, sb.buf);
    sb_free(&sb);
    return t;
}

/* Binds window w's PARTITION BY, ORDER BY and frame into n (an LN_OVER). */
static bool bind_over_window(struct binder *bd, struct over_ctx *oc, struct ast_window *w,
                             struct lnode *n)
{
    n->n_part = w->n_partition_by;
    n->part = arena_calloc(bd->a, (size_t)(n->n_part + 1) * sizeof(void *));
    for (int i = 0; i < n->n_part; i++)
        if (!(n->part[i] = bind_top(bd, oc->sc, w->partition_by[i])))
            return false;
    if (w->n_order_by != 1) {
        FAIL(WEIR_ERR_UNSUPPORTED, w->n_order_by ? w->order_by[1].loc : w->loc,
             "an OVER window must be ordered by exactly one time attribute (rowtime or "
             "proctime), ascending, as in Flink's streaming mode");
        return false;
    }
    struct expr *o = bind_top(bd, oc->sc, w->order_by[0].expr);
    if (o == NULL)
        return false;
    if (o->kind != EX_COLUMN || o->type->time_attr == TA_NONE) {
        FAIL(WEIR_ERR_UNSUPPORTED, w->order_by[0].loc,
             "an OVER window must be ordered by a time attribute (a rowtime column declared "
             "with WATERMARK FOR, or PROCTIME()), not %s", type_name(bd, o->type));
        return false;
    }
    if (w->order_by[0].desc) {
        FAIL(WEIR_ERR_UNSUPPORTED, w->order_by[0].loc,
             "an OVER window must be ordered by its time attribute ascending (DESC is not "
             "supported in streaming mode)");
        return false;
    }
    n->n_order = 1;
    n->order = arena_calloc(bd->a, 2 * sizeof(void *));
    n->desc = arena_calloc(bd->a, 2 * sizeof(bool));
    n->order[0] = o;
    /* no frame: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW */
    n->over_rows = w->has_frame && w->rows;
    n->over_preceding = -1;
    if (!w->has_frame)
        return true;
    if (w->hi.kind != AST_FB_CURRENT_ROW) {
        FAIL(WEIR_ERR_UNSUPPORTED, w->hi.loc,
             "an OVER frame must end at CURRENT ROW (FOLLOWING is not supported in streaming "
             "mode, as in Flink)");
        return false;
    }
    switch (w->lo.kind) {
    case AST_FB_UNBOUNDED_PRECEDING:
        return true;
    case AST_FB_CURRENT_ROW:
        n->over_preceding = 0;
        return true;
    case AST_FB_PRECEDING:
        if (!w->rows)
            return interval_arg(bd, w->lo.offset, "a RANGE frame's PRECEDING offset", false,
                                &n->over_preceding);
        struct expr *e = bind_top(bd, NULL, w->lo.offset);
        if (e == NULL)
            return false;
        bd->p->n_folded += expr_fold(bd->a, &e);
        if (e->kind != EX_LITERAL || e->lit.is_null || !type_is_integer(e->type) ||
            e->lit.i < 0) {
            FAIL(WEIR_ERR_BIND, w->lo.offset->loc,
                 "a ROWS frame's PRECEDING offset must be a constant integer >= 0");
            return false;
        }
        n->over_preceding = e->lit.i;
        return true;
    default:
        FAIL(WEIR_ERR_UNSUPPORTED, w->lo.loc,
             "an OVER frame must start at UNBOUNDED PRECEDING, n PRECEDING or CURRENT ROW");
        return false;
    }
}

/* agg(x) OVER w in a SELECT list: the aggregate joins the SELECT's LN_OVER
 * node (made here for the first one) and is replaced by its output column. */
static struct expr *bind_over_call(struct binder *bd, struct ast_expr *ae)
{
    struct over_ctx *oc = bd->over;
    const char *name = ae->u.call.name.parts[ae->u.call.name.n_parts - 1];
    struct ast_window *w = ae->u.call.over;
    if (w->ref) {
        if (w->n_partition_by || w->n_order_by || w->has_frame) {
            FAIL(WEIR_ERR_UNSUPPORTED, w->loc,
                 "an OVER window that refines a named window is not supported");
            return NULL;
        }
        struct ast_window *found = NULL;
        for (int i = 0; i < oc->s->n_windows && !found; i++)
            if (strcmp(oc->s->windows[i].name, w->ref) == 0)
                found = oc->s->windows[i].spec;
        if (found == NULL) {
            FAIL(WEIR_ERR_BIND, w->ref_loc, "window '%s' is not defined in this SELECT's "
                                            "WINDOW clause", w->ref);
            return NULL;
        }
        if (found->ref) {
            FAIL(WEIR_ERR_UNSUPPORTED, found->ref_loc,
                 "a named window based on another window is not supported");
            return NULL;
        }
        w = found;
    }
    const struct agg_def *def = agg_lookup(name);
    if (def == NULL) {
        FAIL(WEIR_ERR_UNSUPPORTED, ae->loc,
             "%s is not supported as an OVER aggregate (COUNT, SUM, AVG, MIN, MAX, FIRST_VALUE, "
             "LAST_VALUE and the other aggregate functions are; ROW_NUMBER() only in the "
             "Top-N pattern)", name);
        return NULL;
    }
    if (ae->u.call.filter) {
        FAIL(WEIR_ERR_UNSUPPORTED, ae->u.call.filter->loc,
             "FILTER (WHERE ...) in an OVER aggregate is not supported");
        return NULL;
    }
    int na = ae->u.call.star ? 0 : ae->u.call.n_args;
    if (!agg_arity_ok(bd, ae, def, na, "use COUNT(*)"))
        return NULL;
    /* the window and the arguments are over the input; nested OVER calls
     * and aggregates are refused there */
    bd->over = NULL;
    struct lnode *n = oc->node;
    bool ok = true;
    if (n == NULL) {
        if (plan_updating(oc->in)) {
            struct strbuf why = {0};
            plan_updating_cause(oc->in, &why);
            FAIL(WEIR_ERR_UNSUPPORTED, ae->loc,
                 "OVER aggregation over an updating input is not supported (its rows are "
                 "updated by %s)", why.buf);
            sb_free(&why);
            ok = false;
        }
        n = lnode_new(bd->p, LN_OVER, 1);
        n->inputs[0] = oc->in;
        n->loc = ae->loc;
        if (ok && (ok = bind_over_window(bd, oc, w, n))) {
            oc->node = n;
            oc->first = w;
            oc->first_text = over_window_text(bd, n);
        }
    } else if (w != oc->first) {
        struct lnode tmp = *n;
        if ((ok = bind_over_window(bd, oc, w, &tmp)) &&
            strcmp(over_window_text(bd, &tmp), oc->first_text) != 0) {
            FAIL(WEIR_ERR_UNSUPPORTED, w->loc,
                 "every OVER aggregate of a SELECT must use the same window (a limitation of "
                 "streaming mode, as in Flink)");
            ok = false;
        }
    }
    struct expr **args = arena_calloc(bd->a, (size_t)(na + 1) * sizeof(*args));
    if (ok)
        ok = bind_args(bd, oc->sc, ae->u.call.args, na, args);
    bd->over = oc;
    if (!ok)
        return NULL;
    const struct sql_type **types;
    const char **consts;
    agg_args_fold(bd, args, na, &types, &consts);
    struct agg_call *aggs = arena_calloc(bd->a, (size_t)(n->n_aggs + 1) * sizeof(*aggs));
    if (n->n_aggs)
        memcpy(aggs, n->aggs, (size_t)n->n_aggs * sizeof(*aggs));
    struct agg_call *call = &aggs[n->n_aggs];
    /* an unbounded frame only ever adds: MIN/MAX & co. keep O(1) state */
    if (!agg_call_bind(bd, call, def, args, na, types, consts, ae->u.call.distinct,
                       ae->u.call.star, n->over_preceding < 0, oc->in->out_names, ae->loc))
        return NULL;
    n->aggs = aggs;
    struct expr *e = expr_column(bd->a, oc->in->n_out + n->n_aggs++, call->type);
    e->loc = ae->loc;
    return e;
}

/* Gives the LN_OVER node of oc its output columns: [input, aggregates]. */
static void over_finish_node(struct binder *bd, struct over_ctx *oc)
{
    struct lnode *n = oc->node, *in = oc->in;
    n->n_out = in->n_out + n->n_aggs;
    n->out_names = arena_calloc(bd->a, (size_t)(n->n_out + 1) * sizeof(char *));
    n->out_types = arena_calloc(bd->a, (size_t)(n->n_out + 1) * sizeof(void *));
    memcpy(n->out_names, in->out_names, (size_t)in->n_out * sizeof(char *));
    memcpy(n->out_types, in->out_types, (size_t)in->n_out * sizeof(void *));
    for (int a = 0; a < n->n_aggs; a++) {
        n->out_names[in->n_out + a] = arena_sprintf(bd->a, "w0$o%d", a);
        n->out_types[in->n_out + a] = n->aggs[a].type;
    }
}

static struct expr *bind_call(struct binder *bd, struct scope *sc, struct ast_expr *ae)
{
    const char *name = ae->u.call.name.parts[ae->u.call.name.n_parts - 1];
    struct weir_loc loc = ae->loc;
    int n = ae->u.call.n_args;

    if (ae->u.call.over && strcasecmp(name, "ROW_NUMBER") == 0 && bd->rank &&
        ae->u.call.over == bd->rank->win_ast) {
        struct expr *e = expr_column(bd->a, bd->rank->n_out - 1, bd->rank->out_types[bd->rank->n_out - 1]);
        e->loc = loc;
        return e;
    }
    if (ae->u.call.over && bd->over)
        return bind_over_call(bd, ae);
    if (ae->u.call.over) {
        FAIL(WEIR_ERR_UNSUPPORTED, loc,
             "%s ... OVER is not supported here (OVER aggregates go in the SELECT list of a "
             "query without GROUP BY, other aggregates, or ROW_NUMBER(); ROW_NUMBER() only in "
             "the Top-N pattern)", name);
        return NULL;
    }
    if (is_aggregate_name(name) && bd->agg)
        return bind_agg_call(bd, ae);
    if (is_aggregate_name(name)) {
        FAIL(WEIR_ERR_BIND, loc,
             "aggregate function %s is not allowed here (only in the SELECT list and HAVING "
             "of an aggregation)", name);
        return NULL;
    }
    if (bd->agg && window_property(name) >= 0)
        return bind_window_property(bd, ae, window_property(name));
    if (is_window_tvf_name(name)) {
        FAIL(WEIR_ERR_UNSUPPORTED, loc, "window function %s is not supported yet", name);
        return NULL;
    }
    if (ae->u.call.filter || ae->u.call.distinct) {
        FAIL(WEIR_ERR_BIND, loc, "%s is not an aggregate function: %s is not allowed", name,
             ae->u.call.filter ? "FILTER (WHERE ...)" : "DISTINCT");
        return NULL;
    }
    struct expr **args = arena_calloc(bd->a, (size_t)(n + 4) * sizeof(*args));
    if (!bind_args(bd, sc, ae->u.call.args, n, args))
        return NULL;

    /* operators with function syntax: evaluated by expr.c */
    if (strcasecmp(name, "COALESCE") == 0 || strcasecmp(name, "IFNULL") == 0) {
        if (n < 1 || (strcasecmp(name, "IFNULL") == 0 && n != 2)) {
            FAIL(WEIR_ERR_BIND, loc, "%s expects %s arguments", name,
                 n < 1 ? "at least 1" : "2");
            return NULL;
        }
        return bind_variadic_common(bd, OP_COALESCE, args, n, 0, loc, name);
    }
    if (strcasecmp(name, "IF") == 0) {
        if (n != 3) {
            FAIL(WEIR_ERR_BIND, loc, "IF expects 3 arguments (condition, then, else), got %d", n);
            return NULL;
        }
        if (!(args[0] = require_bool(bd, args[0], "the condition of IF")))
            return NULL;
        struct expr *e = bind_variadic_common(bd, OP_IF, args, 3, 1, loc, "IF");
        if (e)
            e->type = nullable_as(bd, e->type, args[1]->type->nullable || args[2]->type->nullable);
        return e;
    }
    if (strcasecmp(name, "NULLIF") == 0) {
        if (n != 2) {
            FAIL(WEIR_ERR_BIND, loc, "NULLIF expects 2 arguments, got %d", n);
            return NULL;
        }
        if (!unify2(bd, &args[0], &args[1], loc, "NULLIF"))
            return NULL;
        return mk_op(bd, OP_NULLIF, nullable_as(bd, args[0]->type, true), loc, 2, args);
    }
    if (strcasecmp(name, "MOD") == 0 && n == 2)
        return bind_arith(bd, OP_MOD, args[0], args[1], loc, "MOD");
    if (strcasecmp(name, "PROCTIME") == 0) {
        if (n != 0) {
            FAIL(WEIR_ERR_BIND, loc, "PROCTIME() takes no arguments");
            return NULL;
        }
        const struct func_def *now = func_lookup("CURRENT_TIMESTAMP");
        struct expr *e = now ? bind_fn(bd, now, args, 0, loc) : NULL;
        if (e)
            e->type = type_with_time_attr(bd->a, nullable_as(bd, &type_timestamp_ltz3, false),
                                          TA_PROCTIME);
        return e;
    }
    if (strcasecmp(name, "JSON_VALUE") == 0 || strcasecmp(name, "JSON_QUERY") == 0) {
        if (!json_clause_args(bd, sc, ae, args, &n))
            return NULL;
    }

    const struct func_def *def = find_function(bd, name);
    if (def == NULL) {
        const struct func_def *s = func_suggest(name);
        if (s)
            FAIL(WEIR_ERR_BIND, ae->u.call.name.loc, "no function named '%s'; did you mean %s?",
                 name, s->name);
        else
            FAIL(WEIR_ERR_BIND, ae->u.call.name.loc,
                 "no function named '%s' (see `weir functions` for the list)", name);
        return NULL;
    }
    return bind_fn(bd, def, args, n, loc);
}

/* ---- expressions -------------------------------------------------------------------------- */

static struct expr *bind_case(struct binder *bd, struct scope *sc, struct ast_expr *ae)
{
    int nw = ae->u.case_.n_whens;
    bool has_else = ae->u.case_.else_expr != NULL;
    int n = 2 * nw + (has_else ? 1 : 0);
    struct expr **args = arena_calloc(bd->a, (size_t)n * sizeof(*args));
    struct expr *operand = NULL;
    if (ae->u.case_.operand && !(operand = bind_expr(bd, sc, ae->u.case_.operand)))
        return NULL;
    for (int i = 0; i < nw; i++) {
        struct expr *w = bind_expr(bd, sc, ae->u.case_.whens[i]);
        if (w == NULL)
            return NULL;
        if (operand) {
            w = bind_compare(bd, OP_EQ, operand, w, ae->u.case_.whens[i]->loc, "=");
            if (w == NULL)
                return NULL;
        } else if (!(w = require_bool(bd, w, "a WHEN condition")))
            return NULL;
        args[2 * i] = w;
        if (!(args[2 * i + 1] = bind_expr(bd, sc, ae->u.case_.thens[i])))
            return NULL;
    }
    if (has_else && !(args[n - 1] = bind_expr(bd, sc, ae->u.case_.else_expr)))
        return NULL;
    /* result type: the common type of every THEN and the ELSE */
    int results[2 * 512 + 1], nr = 0;
    if (nw > 512) {
        FAIL(WEIR_ERR_BIND, ae->loc, "CASE has too many WHEN branches (max 512)");
        return NULL;
    }
    for (int i = 0; i < nw; i++)
        results[nr++] = 2 * i + 1;
    if (has_else)
        results[nr++] = n - 1;
    const struct sql_type *t = NULL;
    bool nullable = !has_else;
    for (int r = 0; r < nr; r++) {
        const struct sql_type *rt = args[results[r]]->type;
        nullable |= rt->nullable;
        t = t ? common_type(bd, t, rt) : rt;
        if (t == NULL) {
            FAIL(WEIR_ERR_BIND, args[results[r]]->loc,
                 "CASE results have no common type: %s does not fit the earlier branches",
                 type_name(bd, rt));
            return NULL;
        }
    }
    if (t->id == T_NULL)
        t = &type_string;
    t = nullable_as(bd, type_with_time_attr(bd->a, t, TA_NONE), nullable);
    for (int r = 0; r < nr; r++) {
        int i = results[r];
        args[i] = cast_to(bd, args[i], nullable_as(bd, t, args[i]->type->nullable));
    }
    struct expr *e = expr_new(bd->a, EX_CASE, t, n);
    memcpy(e->args, args, (size_t)n * sizeof(*args));
    e->loc = ae->loc;
    return e;
}

static struct expr *bind_expr_inner(struct binder *bd, struct scope *sc, struct ast_expr *ae)
{
    struct weir_loc loc = ae->loc;
    switch (ae->kind) {
    case AST_E_LITERAL:
        return bind_literal(bd, ae);
    case AST_E_IDENT:
        return bind_ident(bd, sc, ae);
    case AST_E_STAR:
        FAIL(WEIR_ERR_BIND, loc, "'*' is only allowed in the select list and in COUNT(*)");
        return NULL;
    case AST_E_UNARY: {
        struct expr *a = bind_expr(bd, sc, ae->u.unary.arg);
        if (a == NULL)
            return NULL;
        if (ae->u.unary.op == AST_OP_NOT) {
            if (!(a = require_bool(bd, a, "the operand of NOT")))
                return NULL;
            return mk_op(bd, OP_NOT, a->type, loc, 1, &a);
        }
        if (!type_is_numeric(a->type) && !type_is_interval(a->type) && a->type->id != T_NULL) {
            FAIL(WEIR_ERR_BIND, loc, "cannot apply unary '%s' to %s",
                 ae->u.unary.op == AST_OP_NEG ? "-" : "+", type_name(bd, a->type));
            return NULL;
        }
        if (ae->u.unary.op == AST_OP_PLUS)
            return a;
        return mk_op(bd, OP_NEG, type_with_time_attr(bd->a, a->type, TA_NONE), loc, 1, &a);
    }
    case AST_E_BINARY: {
        struct expr *l = bind_expr(bd, sc, ae->u.binary.left);
        struct expr *r = l ? bind_expr(bd, sc, ae->u.binary.right) : NULL;
        if (!l || !r)
            return NULL;
        enum ast_binary_op op = ae->u.binary.op;
        const char *t = binop_text(op);
        switch (op) {
        case AST_OP_OR: return bind_logic(bd, OP_OR, l, r, loc);
        case AST_OP_AND: return bind_logic(bd, OP_AND, l, r, loc);
        case AST_OP_EQ: return bind_compare(bd, OP_EQ, l, r, loc, t);
        case AST_OP_NE: return bind_compare(bd, OP_NE, l, r, loc, t);
        case AST_OP_LT: return bind_compare(bd, OP_LT, l, r, loc, t);
        case AST_OP_LE: return bind_compare(bd, OP_LE, l, r, loc, t);
        case AST_OP_GT: return bind_compare(bd, OP_GT, l, r, loc, t);
        case AST_OP_GE: return bind_compare(bd, OP_GE, l, r, loc, t);
        case AST_OP_IS_DISTINCT: return bind_compare(bd, OP_IS_DISTINCT, l, r, loc, t);
        case AST_OP_IS_NOT_DISTINCT: return bind_compare(bd, OP_IS_NOT_DISTINCT, l, r, loc, t);
        case AST_OP_ADD: return bind_arith(bd, OP_ADD, l, r, loc, t);
        case AST_OP_SUB: return bind_arith(bd, OP_SUB, l, r, loc, t);
        case AST_OP_MUL: return bind_arith(bd, OP_MUL, l, r, loc, t);
        case AST_OP_DIV: return bind_arith(bd, OP_DIV, l, r, loc, t);
        case AST_OP_MOD: return bind_arith(bd, OP_MOD, l, r, loc, t);
        case AST_OP_CONCAT: {
            if (l->type->id == T_NULL)
                l = cast_to(bd, l, &type_string);
            if (r->type->id == T_NULL)
                r = cast_to(bd, r, &type_string);
            if (!type_is_string(l->type) || !type_is_string(r->type)) {
                FAIL(WEIR_ERR_BIND, loc, "cannot apply '||' to %s and %s; CAST to STRING first",
                     type_name(bd, l->type), type_name(bd, r->type));
                return NULL;
            }
            int64_t len = (int64_t)l->type->length + r->type->length;
            const struct sql_type *rt =
                type_varchar(bd->a, len > TYPE_MAX_LENGTH ? TYPE_MAX_LENGTH : (int)len);
            struct expr *args[2] = {l, r};
            return mk_op(bd, OP_CONCAT,
                         nullable_as(bd, rt, l->type->nullable || r->type->nullable), loc, 2,
                         args);
        }
        }
        break;
    }
    case AST_E_CALL:
        return bind_call(bd, sc, ae);
    case AST_E_CAST: {
        struct expr *a = bind_expr(bd, sc, ae->u.cast.arg);
        if (a == NULL)
            return NULL;
        const struct sql_type *to = ae->u.cast.type;
        if (a->type->id != T_NULL && !cast_allowed(a->type, to, true)) {
            FAIL(WEIR_ERR_BIND, loc, "cannot cast %s to %s%s", type_name(bd, a->type),
                 type_name(bd, to),
                 (type_is_integer(a->type) && type_is_timestamp(to))
                     ? "; use TO_TIMESTAMP_LTZ(n, 3) for epoch milliseconds"
                     : "");
            return NULL;
        }
        if (a->kind == EX_LITERAL && a->lit.is_null)
            return cast_to(bd, a, to);
        struct expr *e = expr_new(bd->a, EX_CAST,
                                  nullable_as(bd, to, a->type->nullable || ae->u.cast.try_cast),
                                  1);
        e->args[0] = a;
        e->loc = loc;
        const char *legacy = plan_config(bd->p, "table.exec.legacy-cast-behaviour");
        e->cast_mode = ae->u.cast.try_cast ? EXPR_CAST_TRY
                       : (legacy && strcasecmp(legacy, "ENABLED") == 0) ? EXPR_CAST_LEGACY
                                                                        : EXPR_CAST_STRICT;
        if (e->cast_mode != EXPR_CAST_STRICT)
            e->type = nullable_as(bd, e->type, true);
        return e;
    }
    case AST_E_CASE:
        return bind_case(bd, sc, ae);
    case AST_E_IS: {
        struct expr *a = bind_expr(bd, sc, ae->u.is.arg);
        if (a == NULL)
            return NULL;
        bool neg = ae->u.is.negated;
        enum expr_op op;
        switch (ae->u.is.test) {
        case AST_IS_NULL: op = neg ? OP_IS_NOT_NULL : OP_IS_NULL; break;
        case AST_IS_UNKNOWN:
            if (!(a = require_bool(bd, a, "the operand of IS UNKNOWN")))
                return NULL;
            op = neg ? OP_IS_NOT_NULL : OP_IS_NULL;
            break;
        case AST_IS_TRUE:
        case AST_IS_FALSE:
            if (!(a = require_bool(bd, a, "the operand of IS TRUE/FALSE")))
                return NULL;
            op = ae->u.is.test == AST_IS_TRUE ? (neg ? OP_IS_NOT_TRUE : OP_IS_TRUE)
                                              : (neg ? OP_IS_NOT_FALSE : OP_IS_FALSE);
            break;
        case AST_IS_JSON: {
            static const char *kinds[] = {"VALUE", "SCALAR", "ARRAY", "OBJECT"};
            const char *k = kinds[ae->u.is.json_kind];
            struct expr *args[2] = {a, bind_string_lit(bd, k, strlen(k), loc)};
            const struct func_def *def = func_lookup("IS_JSON");
            if (def == NULL) {
                FAIL(WEIR_ERR_UNSUPPORTED, loc, "IS JSON is not supported yet");
                return NULL;
            }
            struct expr *e = bind_fn(bd, def, args, 2, loc);
            if (e && neg)
                e = mk_op(bd, OP_NOT, e->type, loc, 1, &e);
            return e;
        }
        default:
            FAIL(WEIR_ERR_INTERNAL, loc, "unknown IS test");
            return NULL;
        }
        return mk_op(bd, op, nullable_as(bd, &type_boolean, false), loc, 1, &a);
    }
    case AST_E_BETWEEN: {
        struct expr *a = bind_expr(bd, sc, ae->u.between.arg);
        struct expr *lo = a ? bind_expr(bd, sc, ae->u.between.lo) : NULL;
        struct expr *hi = lo ? bind_expr(bd, sc, ae->u.between.hi) : NULL;
        if (!hi)
            return NULL;
        struct expr *ge = bind_compare(bd, OP_GE, a, lo, loc, "BETWEEN");
        struct expr *le = ge ? bind_compare(bd, OP_LE, a, hi, loc, "BETWEEN") : NULL;
        if (!le)
            return NULL;
        struct expr *e = bind_logic(bd, OP_AND, ge, le, loc);
        if (e && ae->u.between.symmetric) {
            struct expr *ge2 = bind_compare(bd, OP_GE, a, hi, loc, "BETWEEN");
            struct expr *le2 = bind_compare(bd, OP_LE, a, lo, loc, "BETWEEN");
            e = bind_logic(bd, OP_OR, e, bind_logic(bd, OP_AND, ge2, le2, loc), loc);
        }
        if (e && ae->u.between.negated)
            e = mk_op(bd, OP_NOT, e->type, loc, 1, &e);
        return e;
    }
    case AST_E_IN: {
        if (ae->u.in.query) {
            FAIL(WEIR_ERR_UNSUPPORTED, loc,
                 "%s (subquery) is not supported here: weir runs [NOT] IN and [NOT] EXISTS "
                 "subqueries as terms of WHERE's top-level AND (semi and anti joins); under "
                 "OR, in CASE, in the select list or in HAVING they are not supported yet",
                 ae->u.in.negated ? "NOT IN" : "IN");
            return NULL;
        }
        int n = ae->u.in.n_list + 1;
        struct expr **args = arena_calloc(bd->a, (size_t)n * sizeof(*args));
        if (!(args[0] = bind_expr(bd, sc, ae->u.in.arg)))
            return NULL;
        if (!bind_args(bd, sc, ae->u.in.list, n - 1, args + 1))
            return NULL;
        struct expr *e = bind_variadic_common(bd, ae->u.in.negated ? OP_NOT_IN : OP_IN, args,
                                              n, 0, loc, "IN");
        if (e)
            e->type = nullable_as(bd, &type_boolean, any_nullable(args, n));
        return e;
    }
    case AST_E_LIKE: {
        if (ae->u.like.similar) {
            FAIL(WEIR_ERR_UNSUPPORTED, loc, "SIMILAR TO is not supported yet; use REGEXP");
            return NULL;
        }
        int n = ae->u.like.escape ? 3 : 2;
        struct expr *args[3];
        args[0] = bind_expr(bd, sc, ae->u.like.arg);
        args[1] = args[0] ? bind_expr(bd, sc, ae->u.like.pattern) : NULL;
        args[2] = (args[1] && n == 3) ? bind_expr(bd, sc, ae->u.like.escape) : NULL;
        if (!args[1] || (n == 3 && !args[2]))
            return NULL;
        for (int i = 0; i < n; i++) {
            if (args[i]->type->id == T_NULL)
                args[i] = cast_to(bd, args[i], &type_string);
            if (!type_is_string(args[i]->type)) {
                FAIL(WEIR_ERR_BIND, args[i]->loc, "LIKE needs STRING operands, got %s",
                     type_name(bd, args[i]->type));
                return NULL;
            }
        }
        return mk_op(bd, ae->u.like.negated ? OP_NOT_LIKE : OP_LIKE,
                     nullable_as(bd, &type_boolean, any_nullable(args, n)), loc, n, args);
    }
    case AST_E_EXISTS:
        FAIL(WEIR_ERR_UNSUPPORTED, loc,
             "EXISTS (subquery) is not supported here: weir runs [NOT] EXISTS and [NOT] IN "
             "subqueries as terms of WHERE's top-level AND (semi and anti joins); under OR, "
             "in CASE, in the select list or in HAVING they are not supported yet");
        return NULL;
    case AST_E_SUBQUERY:
        FAIL(WEIR_ERR_UNSUPPORTED, loc, "scalar subqueries are not supported yet");
        return NULL;
    case AST_E_ROW: {
        int n = ae->u.list.n_items;
        struct expr **args = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(*args));
        if (!bind_args(bd, sc, ae->u.list.items, n, args))
            return NULL;
        struct sql_type *t = type_new(bd->a, T_ROW);
        t->nullable = false;
        t->n_fields = n;
        const char **names = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(char *));
        const struct sql_type **types = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(void *));
        for (int i = 0; i < n; i++) {
            names[i] = arena_sprintf(bd->a, "EXPR$%d", i);
            types[i] = args[i]->type->id == T_NULL ? &type_string : args[i]->type;
            args[i] = cast_to(bd, args[i], types[i]);
        }
        t->field_names = names;
        t->field_types = types;
        return mk_op(bd, OP_ROW, t, loc, n, args);
    }
    case AST_E_ARRAY: {
        /* ARRAY<T NOT NULL> NOT NULL unless an element may be NULL (Flink) */
        int n = ae->u.list.n_items;
        if (n == 0) {
            FAIL(WEIR_ERR_BIND, loc, "ARRAY[] needs at least one element");
            return NULL;
        }
        struct expr **args = arena_calloc(bd->a, (size_t)n * sizeof(*args));
        if (!bind_args(bd, sc, ae->u.list.items, n, args))
            return NULL;
        const struct sql_type *et = args[0]->type;
        for (int i = 1; i < n && et; i++)
            et = common_type(bd, et, args[i]->type);
        if (et == NULL) {
            struct strbuf sb = {0};
            for (int i = 0; i < n; i++)
                sb_addf(&sb, "%s%s", i ? ", " : "", type_name(bd, args[i]->type));
            FAIL(WEIR_ERR_BIND, loc, "ARRAY elements have no common type: %s", sb.buf);
            sb_free(&sb);
            return NULL;
        }
        if (et->id == T_NULL)
            et = &type_string;
        for (int i = 0; i < n; i++)
            args[i] = cast_to(bd, args[i], nullable_as(bd, et, args[i]->type->nullable));
        struct sql_type *t = type_new(bd->a, T_ARRAY);
        t->nullable = false;
        t->elem = et;
        return mk_op(bd, OP_ARRAY, t, loc, n, args);
    }
    case AST_E_MAP:
    case AST_E_INDEX:
        FAIL(WEIR_ERR_UNSUPPORTED, loc, "ARRAY and MAP values are not supported yet");
        return NULL;
    case AST_E_FIELD: {
        struct expr *b = bind_expr(bd, sc, ae->u.field.base);
        return b ? field_access(bd, b, ae->u.field.name, ae->u.field.name_loc) : NULL;
    }
    case AST_E_SYMBOL:
        FAIL(WEIR_ERR_BIND, loc, "unexpected keyword '%s' here", ae->u.symbol.name);
        return NULL;
    case AST_E_DESCRIPTOR:
    case AST_E_TABLE_ARG:
    case AST_E_NAMED_ARG:
        FAIL(WEIR_ERR_BIND, loc, "DESCRIPTOR, TABLE and named arguments are only allowed in "
                                 "table-valued function calls");
        return NULL;
    case AST_E_GROUPING_SETS:
    case AST_E_ROLLUP:
    case AST_E_CUBE:
        FAIL(WEIR_ERR_BIND, loc, "GROUPING SETS, ROLLUP and CUBE are only allowed in GROUP BY");
        return NULL;
    case AST_E_DEFAULT:
        FAIL(WEIR_ERR_UNSUPPORTED, loc, "DEFAULT is not supported here");
        return NULL;
    }
    FAIL(WEIR_ERR_INTERNAL, loc, "unhandled expression");
    return NULL;
}

static struct expr *bind_expr(struct binder *bd, struct scope *sc, struct ast_expr *ae)
{
    if (++bd->depth > 400) {
        FAIL(WEIR_ERR_BIND, ae->loc, "expression nested too deeply");
        bd->depth--;
        return NULL;
    }
    struct expr *e = bind_expr_inner(bd, sc, ae);
    bd->depth--;
    return e;
}

/* Binds and folds a whole expression (the entry point for clauses). */
static struct expr *bind_top(struct binder *bd, struct scope *sc, struct ast_expr *ae)
{
    struct expr *e = bind_expr(bd, sc, ae);
    if (e)
        bd->p->n_folded += expr_fold(bd->a, &e);
    return e;
}

/* ---- FROM -------------------------------------------------------------------------------- */

static struct cat_table *find_table(struct catalog *c, const char *name)
{
    for (int i = c->n_tables - 1; i >= 0; i--)
        if (strcmp(c->tables[i]->name, name) == 0)
            return c->tables[i];
    return NULL;
}

static struct cat_view *find_view(struct catalog *c, const char *name)
{
    for (int i = c->n_views - 1; i >= 0; i--)
        if (strcmp(c->views[i]->name, name) == 0)
            return c->views[i];
    return NULL;
}

static void list_relations(struct binder *bd, struct strbuf *sb)
{
    struct catalog *c = &bd->p->cat;
    int k = 0;
    for (int i = 0; i < c->n_tables; i++)
        sb_addf(sb, "%s%s", k++ ? ", " : "", c->tables[i]->name);
    for (int i = 0; i < c->n_views; i++)
        sb_addf(sb, "%s%s", k++ ? ", " : "", c->views[i]->name);
    for (int i = 0; i < bd->n_ctes; i++)
        sb_addf(sb, "%s%s", k++ ? ", " : "", bd->ctes[i].name);
    if (k == 0)
        sb_adds(sb, "(none: declare one with CREATE TABLE)");
}

/* The last part of a possibly qualified name; catalog/database prefixes must
 * be the defaults, as weir has one catalog. */
static const char *simple_name(struct binder *bd, const struct ast_name *nm)
{
    if (nm->n_parts > 3) {
        FAIL(WEIR_ERR_BIND, nm->loc, "name '%s' has too many parts", ast_name_str(bd->a, nm));
        return NULL;
    }
    if (nm->n_parts == 3 && strcmp(nm->parts[0], "default_catalog") != 0) {
        FAIL(WEIR_ERR_BIND, nm->part_locs[0],
             "catalog '%s' not found; weir has one catalog: default_catalog", nm->parts[0]);
        return NULL;
    }
    if (nm->n_parts >= 2 && strcmp(nm->parts[nm->n_parts - 2], "default_database") != 0) {
        FAIL(WEIR_ERR_BIND, nm->part_locs[nm->n_parts - 2],
             "database '%s' not found; weir has one database: default_database",
             nm->parts[nm->n_parts - 2]);
        return NULL;
    }
    return nm->parts[nm->n_parts - 1];
}

/* The scan of a table plus the projection that computes its computed columns. */
/* conn_validate reports no position; find the option its message names, so the
 * caret points at the key (unknown key) or at the value (bad value). */
static struct weir_loc option_loc(const struct cat_table *t, const char *msg)
{
    char buf[512];
    for (int i = 0; msg && i < t->n_options; i++) {
        snprintf(buf, sizeof buf, "'%s'", t->opt_values[i]);
        bool names_value = t->opt_values[i][0] && strstr(msg, buf);
        snprintf(buf, sizeof buf, "'%s'", t->opt_keys[i]);
        bool names_key = strstr(msg, buf) != NULL;
        if (names_key && names_value && strstr(msg, "unknown option") == NULL)
            return t->opt_value_locs[i];
        if (names_key && !names_value)
            return t->opt_key_locs[i];
        if (names_value && strcmp(t->opt_keys[i], "connector") != 0)
            return t->opt_value_locs[i];
    }
    return t->with_loc;
}

static struct lnode *bind_table_scan(struct binder *bd, struct cat_table *t,
                                     struct weir_loc loc, struct scope *sc, const char *qual)
{
    struct weir_error *err = bd->err;
    if (t->opts == NULL) {
        /* validated for reading on first use */
        if (conn_validate(t->conn, t->format, t->name, t->n_options, t->opt_keys, t->opt_values,
                          true, &t->opts, err) != WEIR_OK) {
            if (err && err->loc.offset < 0)
                err->loc = option_loc(t, err->message);
            return NULL;
        }
    }
    struct lnode *scan = lnode_new(bd->p, LN_SCAN, 0);
    scan->table = t;
    scan->loc = loc;
    int n_src = 0;
    for (int i = 0; i < t->n_cols; i++)
        n_src += t->cols[i].kind != CAT_COMPUTED;
    scan->n_proj = n_src;
    scan->proj = arena_calloc(bd->a, (size_t)(n_src ? n_src : 1) * sizeof(int));
    scan->n_out = n_src;
    scan->out_names = arena_calloc(bd->a, (size_t)(n_src ? n_src : 1) * sizeof(char *));
    scan->out_types = arena_calloc(bd->a, (size_t)(n_src ? n_src : 1) * sizeof(void *));
    struct scope ssc = {0, arena_calloc(bd->a, (size_t)(n_src ? n_src : 1) * sizeof(struct scol))};
    int k = 0;
    for (int i = 0; i < t->n_cols; i++) {
        if (t->cols[i].kind == CAT_COMPUTED)
            continue;
        scan->proj[k] = i;
        scan->out_names[k] = t->cols[i].name;
        scan->out_types[k] = t->cols[i].type;
        ssc.cols[k] = (struct scol){NULL, t->cols[i].name, t->cols[i].type};
        k++;
    }
    ssc.n = k;

    /* declared order, computed columns evaluated over the physical ones */
    struct lnode *calc = lnode_new(bd->p, LN_CALC, 1);
    calc->inputs[0] = scan;
    calc->loc = loc;
    calc->n_out = t->n_cols;
    calc->out_names = arena_calloc(bd->a, (size_t)t->n_cols * sizeof(char *));
    calc->out_types = arena_calloc(bd->a, (size_t)t->n_cols * sizeof(void *));
    calc->exprs = arena_calloc(bd->a, (size_t)t->n_cols * sizeof(void *));
    k = 0;
    for (int i = 0; i < t->n_cols; i++) {
        struct expr *e;
        if (t->cols[i].kind == CAT_COMPUTED) {
            e = bind_top(bd, &ssc, t->cols[i].expr);
            if (e == NULL)
                return NULL;
        } else {
            e = expr_column(bd->a, k, t->cols[i].type);
            k++;
        }
        const struct sql_type *ty = t->cols[i].kind == CAT_COMPUTED ? e->type : t->cols[i].type;
        if (i == t->rowtime_col)
            ty = type_with_time_attr(bd->a, ty, TA_ROWTIME);
        calc->exprs[i] = e;
        calc->out_names[i] = t->cols[i].name;
        calc->out_types[i] = ty;
    }
    sc->n = t->n_cols;
    sc->cols = arena_calloc(bd->a, (size_t)t->n_cols * sizeof(struct scol));
    for (int i = 0; i < t->n_cols; i++)
        sc->cols[i] = (struct scol){qual, calc->out_names[i], calc->out_types[i]};
    if (t->watermark) {
        /* the watermark is generated at the source: bind it over the declared
         * columns, then rewrite it over what the scan produces */
        struct scope wsc = {t->n_cols, arena_calloc(bd->a, (size_t)t->n_cols * sizeof(struct scol))};
        for (int i = 0; i < t->n_cols; i++)
            wsc.cols[i] = (struct scol){NULL, calc->out_names[i], calc->out_types[i]};
        struct expr *w = bind_top(bd, &wsc, t->watermark);
        if (w == NULL)
            return NULL;
        scan->wm_expr = expr_substitute(bd->a, w, calc->exprs);
    }
    return calc;
}

static void scope_from_node(struct binder *bd, struct lnode *n, struct scope *sc,
                            const char *qual, const char **renames, int n_renames)
{
    sc->n = n->n_out;
    sc->inner_from = 0;
    sc->cols = arena_calloc(bd->a, (size_t)(n->n_out ? n->n_out : 1) * sizeof(struct scol));
    for (int i = 0; i < n->n_out; i++)
        sc->cols[i] = (struct scol){qual, i < n_renames ? renames[i] : n->out_names[i],
                                    n->out_types[i]};
    if (n_renames)
        for (int i = 0; i < n->n_out && i < n_renames; i++)
            n->out_names[i] = renames[i];
}

static struct lnode *bind_named_query(struct binder *bd, struct ast_query *q, const char **cols,
                                      int n_cols, const char *name, struct weir_loc loc,
                                      struct scope *sc, const char *qual)
{
    if (++bd->view_depth > 32) {
        FAIL(WEIR_ERR_BIND, loc, "view '%s' refers to itself (or views nest deeper than 32)",
             name);
        return NULL;
    }
    /* a view is bound in its own name space: only the catalog */
    int saved = bd->n_ctes;
    struct scope *saved_outer = bd->corr_outer;
    bd->corr_outer = NULL;
    struct scope inner = {0};
    struct lnode *n = bind_query(bd, q, &inner);
    bd->n_ctes = saved;
    bd->corr_outer = saved_outer;
    bd->view_depth--;
    if (n == NULL)
        return NULL;
    if (n_cols && n_cols != n->n_out) {
        FAIL(WEIR_ERR_BIND, loc, "'%s' lists %d column names but its query has %d columns",
             name, n_cols, n->n_out);
        return NULL;
    }
    /* copy names so renames do not leak into the shared node */
    const char **names = arena_calloc(bd->a, (size_t)(n->n_out ? n->n_out : 1) * sizeof(char *));
    memcpy(names, n->out_names, (size_t)n->n_out * sizeof(char *));
    n->out_names = names;
    scope_from_node(bd, n, sc, qual, cols, n_cols);
    return n;
}

static struct lnode *bind_from(struct binder *bd, struct ast_table_ref *f, struct scope *sc)
{
    switch (f->kind) {
    case AST_FROM_TABLE: {
        if (f->u.table.system_time) {
            FAIL(WEIR_ERR_UNSUPPORTED, f->u.table.system_time->loc,
                 "temporal joins (FOR SYSTEM_TIME AS OF) are not supported yet");
            return NULL;
        }
        const char *name = simple_name(bd, &f->u.table.name);
        if (name == NULL)
            return NULL;
        const char *qual = f->alias ? f->alias : name;
        struct lnode *n = NULL;
        for (int i = bd->n_ctes - 1; i >= 0 && n == NULL; i--)
            if (strcmp(bd->ctes[i].name, name) == 0) {
                int saved = bd->n_ctes;
                bd->n_ctes = i;   /* a CTE sees only the CTEs before it */
                n = bind_named_query(bd, bd->ctes[i].query, bd->ctes[i].cols,
                                     bd->ctes[i].n_cols, name, f->loc, sc, qual);
                bd->n_ctes = saved;
                if (n == NULL)
                    return NULL;
            }
        if (n == NULL) {
            struct cat_view *v = find_view(&bd->p->cat, name);
            if (v) {
                int saved = bd->n_ctes;
                bd->n_ctes = 0;
                n = bind_named_query(bd, v->query, v->cols, v->n_cols, name, f->loc, sc, qual);
                bd->n_ctes = saved;
                if (n == NULL)
                    return NULL;
            }
        }
        if (n == NULL) {
            struct cat_table *t = find_table(&bd->p->cat, name);
            if (t == NULL) {
                struct strbuf sb = {0};
                list_relations(bd, &sb);
                FAIL(WEIR_ERR_BIND, f->u.table.name.loc,
                     "table or view '%s' not found; known: %s", name, sb.buf);
                sb_free(&sb);
                return NULL;
            }
            if (f->u.table.n_hints) {
                FAIL(WEIR_ERR_UNSUPPORTED, f->u.table.hints[0].loc,
                     "table hints (/*+ %s(...) */) are not supported yet",
                     f->u.table.hints[0].name);
                return NULL;
            }
            n = bind_table_scan(bd, t, f->loc, sc, qual);
            if (n == NULL)
                return NULL;
        }
        if (f->n_col_aliases) {
            if (f->n_col_aliases != n->n_out) {
                FAIL(WEIR_ERR_BIND, f->alias_loc, "alias '%s' lists %d columns but '%s' has %d",
                     f->alias, f->n_col_aliases, name, n->n_out);
                return NULL;
            }
            for (int i = 0; i < sc->n; i++)
                sc->cols[i].name = f->col_aliases[i];
        }
        return n;
    }
    case AST_FROM_SUBQUERY: {
        if (f->u.subquery.lateral) {
            FAIL(WEIR_ERR_UNSUPPORTED, f->loc, "LATERAL subqueries are not supported yet");
            return NULL;
        }
        struct scope inner = {0};
        struct lnode *n = bind_query(bd, f->u.subquery.query, &inner);
        if (n == NULL)
            return NULL;
        if (f->n_col_aliases && f->n_col_aliases != n->n_out) {
            FAIL(WEIR_ERR_BIND, f->alias_loc, "alias '%s' lists %d columns but the subquery has %d",
                 f->alias, f->n_col_aliases, n->n_out);
            return NULL;
        }
        const char **names = arena_calloc(bd->a, (size_t)(n->n_out ? n->n_out : 1) * sizeof(char *));
        memcpy(names, n->out_names, (size_t)n->n_out * sizeof(char *));
        n->out_names = names;
        scope_from_node(bd, n, sc, f->alias, f->col_aliases, f->n_col_aliases);
        return n;
    }
    case AST_FROM_TVF:
        return bind_window_tvf(bd, f, sc);
    case AST_FROM_UNNEST:
        /* only correlated: it expands the rows of the table before it */
        FAIL(WEIR_ERR_UNSUPPORTED, f->loc,
             "UNNEST must follow the table whose rows it expands, as in FROM t CROSS JOIN "
             "UNNEST(t.arr) AS u (x)");
        return NULL;
    case AST_FROM_JOIN:
        return bind_join(bd, f, NULL, sc);
    }
    FAIL(WEIR_ERR_INTERNAL, f->loc, "unknown FROM item");
    return NULL;
}

/* ---- joins -------------------------------------------------------------------------------------- */

/* Splits a condition into its AND-ed conjuncts. */
static void conjuncts(struct expr *e, struct expr ***out, int *n)
{
    if (e->kind == EX_OP && e->op == OP_AND) {
        for (int i = 0; i < e->n_args; i++)
            conjuncts(e->args[i], out, n);
        return;
    }
    *out = mem_realloc(*out, (size_t)(*n + 1) * sizeof(**out));
    (*out)[(*n)++] = e;
}

/* A Calc keeping the rows of n for which cond (over n's columns) is TRUE. */
static struct lnode *filter_over(struct binder *bd, struct lnode *n, struct expr *cond,
                                 struct weir_loc loc)
{
    struct lnode *c = lnode_new(bd->p, LN_CALC, 1);
    c->inputs[0] = n;
    c->loc = loc;
    c->filter = cond;
    c->n_out = n->n_out;
    c->out_names = n->out_names;
    c->out_types = n->out_types;
    c->exprs = arena_calloc(bd->a, (size_t)(n->n_out + 1) * sizeof(void *));
    for (int i = 0; i < n->n_out; i++)
        c->exprs[i] = expr_column(bd->a, i, n->out_types[i]);
    return c;
}

/* Which sides an expression reads: bit 0 left (< nl), bit 1 right. */
static int sides_used(const struct expr *e, int nl)
{
    if (e->kind == EX_COLUMN)
        return e->index < nl ? 1 : 2;
    int m = 0;
    for (int i = 0; i < e->n_args; i++)
        m |= sides_used(e->args[i], nl);
    return m;
}

static void shift_columns(struct expr *e, int by)
{
    if (e->kind == EX_COLUMN)
        e->index += by;
    for (int i = 0; i < e->n_args; i++)
        shift_columns(e->args[i], by);
}

/* The conjunction of cs[0..n) (NULL when n is 0). */
static struct expr *and_of(struct binder *bd, struct expr **cs, int n)
{
    if (n == 0)
        return NULL;
    if (n == 1)
        return cs[0];
    bool nullable = false;
    for (int i = 0; i < n; i++)
        nullable |= cs[i]->type->nullable;
    struct expr *a = expr_new(bd->a, EX_OP, nullable_as(bd, &type_boolean, nullable), n);
    a->op = OP_AND;
    memcpy(a->args, cs, (size_t)n * sizeof(void *));
    return a;
}

/* Binds a join's ON condition in sc into its AND-ed terms (*cs, freed by
 * the caller); false after an error. */
static bool bind_on(struct binder *bd, struct scope *sc, struct ast_expr *on, struct expr ***cs,
                    int *ncs)
{
    struct expr *cond = bind_top(bd, sc, on);
    if (cond == NULL || !(cond = require_bool(bd, cond, "a join condition")))
        return false;
    conjuncts(cond, cs, ncs);
    return true;
}

/* Splits the conjuncts cs[0..ncs) of a join condition over [left (nl
 * columns), right]: each equality between the two sides becomes a key of j
 * (the right expression renumbered over the right input), the rest go to
 * rest[] (room for ncs); returns how many. */
static int split_condition(struct binder *bd, struct lnode *j, struct expr **cs, int ncs, int nl,
                           struct expr **rest)
{
    j->lkeys = arena_calloc(bd->a, (size_t)(ncs + 1) * sizeof(void *));
    j->rkeys = arena_calloc(bd->a, (size_t)(ncs + 1) * sizeof(void *));
    int nrest = 0;
    for (int i = 0; i < ncs; i++) {
        struct expr *c = cs[i];
        if (c->kind == EX_OP && c->op == OP_EQ) {
            int s0 = sides_used(c->args[0], nl), s1 = sides_used(c->args[1], nl);
            if ((s0 == 1 && s1 == 2) || (s0 == 2 && s1 == 1)) {
                struct expr *le = s0 == 1 ? c->args[0] : c->args[1];
                struct expr *re = s0 == 1 ? c->args[1] : c->args[0];
                re = expr_copy_tree(bd->a, re);   /* shared with cond: renumbered */
                shift_columns(re, -nl);
                j->lkeys[j->n_jkeys] = le;
                j->rkeys[j->n_jkeys++] = re;
                continue;
            }
        }
        rest[nrest++] = c;
    }
    return nrest;
}

/* FROM l [INNER|LEFT|RIGHT|FULL] JOIN r ON cond, and comma/CROSS joins whose
 * condition is the WHERE clause (where != NULL: bound here as the join
 * condition; Flink rejects joins without an equality, and so does weir). */
/* e as column + constant day-time interval (µs): r.ts, r.ts - INTERVAL '1' HOUR */
static bool column_plus_const(const struct expr *e, int *col, int64_t *off)
{
    if (e->kind == EX_COLUMN) {
        *col = e->index;
        *off = 0;
        return true;
    }
    struct value v;
    if (e->kind == EX_OP && (e->op == OP_ADD || e->op == OP_SUB) && e->n_args == 2 &&
        e->args[0]->kind == EX_COLUMN && e->args[1]->type->id == T_INTERVAL_DT &&
        expr_literal_value(e->args[1], &v) && !v.is_null) {
        *col = e->args[0]->index;
        *off = e->op == OP_ADD ? v.i : -v.i;
        return true;
    }
    return false;
}

static int window_bound_of(const struct lnode *n, int c, const struct lnode **agg);

/* Whether column c of n never falls behind n's watermark: the window_end of
 * an event-time window aggregation, whose rows leave when the watermark
 * passes their window's end (late rows are dead-lettered before it). */
static bool watermark_bounded(const struct lnode *n, int c)
{
    const struct lnode *agg = NULL;
    return window_bound_of(n, c, &agg) == 1 && agg->kind == LN_WINDOW_AGG &&
           !agg->win.proctime && !agg->win.ltz;
}

/* Whether lt - rt can bound the join's state: with `rowtimes`, both columns
 * are rowtime attributes (an interval join); otherwise timestamps of one
 * type of which one is watermark_bounded (a bounded regular join). */
static bool time_pair(const struct lnode *j, int tl, int tr, const struct scope *ls,
                      const struct scope *rs, bool rowtimes)
{
    const struct sql_type *a = ls->cols[tl].type, *b = rs->cols[tr].type;
    if (rowtimes)
        return a->time_attr == TA_ROWTIME && b->time_attr == TA_ROWTIME;
    return type_is_timestamp(a) && a->id == b->id &&
           (watermark_bounded(j->inputs[0], tl) || watermark_bounded(j->inputs[1], tr));
}

/*
 * Flink plans a join whose ON bounds one side's rowtime by the other's
 * (l.ts BETWEEN r.ts - INTERVAL '1' HOUR AND r.ts) over insert-only inputs as
 * an interval join: each conjunct `lt + a OP rt + b` narrows lt - rt to
 * [lower, upper]; both ends must be bounded, by the same pair of columns.
 *
 * Without `rowtimes`, weir looks further (Flink does not): if one side's time
 * column is watermark_bounded, the other side's rows can only meet rows to
 * come while their bound lies ahead of the watermark, so they are dropped
 * after it (bounded[]; Nexmark q7 joins bids with the window_end of a window
 * aggregation).  One bound suffices for that.
 */
static void detect_interval(struct lnode *j, struct expr **cs, int ncs, int nl,
                            const struct scope *ls, const struct scope *rs, bool rowtimes)
{
    int64_t lower = INT64_MIN, upper = INT64_MAX;
    int tl = -1, tr = -1;
    for (int i = 0; i < ncs; i++) {
        const struct expr *c = cs[i];
        if (c->kind != EX_OP || c->n_args != 2 ||
            (c->op != OP_GE && c->op != OP_GT && c->op != OP_LE && c->op != OP_LT))
            continue;
        int ca, cb;
        int64_t oa, ob;
        if (!column_plus_const(c->args[0], &ca, &oa) || !column_plus_const(c->args[1], &cb, &ob))
            continue;
        int op = c->op;
        if (ca >= nl && cb < nl) {   /* rt + oa OP lt + ob: mirror it */
            int t = ca; ca = cb; cb = t;
            int64_t o = oa; oa = ob; ob = o;
            op = op == OP_GE ? OP_LE : op == OP_GT ? OP_LT : op == OP_LE ? OP_GE : OP_GT;
        }
        if (!(ca < nl && cb >= nl))
            continue;
        if (!time_pair(j, ca, cb - nl, ls, rs, rowtimes))
            continue;
        if ((tl >= 0 && tl != ca) || (tr >= 0 && tr != cb - nl))
            return;   /* bounds over different columns: a regular join */
        tl = ca;
        tr = cb - nl;
        int64_t d = ob - oa;   /* lt - rt OP d */
        if (op == OP_GE && d > lower)
            lower = d;
        else if (op == OP_GT && d + 1 > lower)
            lower = d + 1;
        else if (op == OP_LE && d < upper)
            upper = d;
        else if (op == OP_LT && d - 1 < upper)
            upper = d - 1;
    }
    if (tl < 0)
        return;
    if (!rowtimes) {
        /* a left row meets rows to come (rt > their watermark) only while
         * rt <= lt - lower can hold; a right row while lt >= rt + upper can */
        j->bounded[0] = lower != INT64_MIN && watermark_bounded(j->inputs[1], tr);
        j->bounded[1] = upper != INT64_MAX && watermark_bounded(j->inputs[0], tl);
        if (!j->bounded[0] && !j->bounded[1])
            return;
    } else if (lower == INT64_MIN || upper == INT64_MAX) {
        return;
    } else {
        j->interval = true;
    }
    j->time_col[0] = tl;
    j->time_col[1] = tr;
    j->lower = lower;
    j->upper = upper;
}

static struct lnode *bind_join(struct binder *bd, struct ast_table_ref *f, struct ast_expr *where,
                               struct scope *sc)
{
    enum ast_join_kind k = f->u.join.kind;
    if (f->u.join.natural || f->u.join.n_using) {
        FAIL(WEIR_ERR_UNSUPPORTED, f->loc, "NATURAL joins and JOIN ... USING are not supported "
                                           "yet; write the ON condition");
        return NULL;
    }
    struct ast_table_ref *rr = f->u.join.right;
    struct scope ls = {0}, rs = {0};
    struct lnode *l = bind_from(bd, f->u.join.left, &ls);
    if (l == NULL)
        return NULL;
    if (rr->kind == AST_FROM_UNNEST)
        return bind_unnest(bd, f, l, &ls, where, sc);
    if (rr->kind == AST_FROM_TABLE && rr->u.table.system_time)
        return bind_lookup_join(bd, f, l, &ls, sc);
    struct lnode *r = bind_from(bd, rr, &rs);
    if (r == NULL)
        return NULL;
    enum join_kind jk = k == AST_JOIN_LEFT ? JOIN_LEFT : k == AST_JOIN_RIGHT ? JOIN_RIGHT
                      : k == AST_JOIN_FULL ? JOIN_FULL : JOIN_INNER;
    int nl = l->n_out, nr = r->n_out;
    struct lnode *j = lnode_new(bd->p, LN_JOIN, 2);
    j->inputs[0] = l;
    j->inputs[1] = r;
    j->loc = f->loc;
    j->join = jk;
    j->n_out = nl + nr;
    j->out_names = arena_calloc(bd->a, (size_t)(nl + nr + 1) * sizeof(char *));
    j->out_types = arena_calloc(bd->a, (size_t)(nl + nr + 1) * sizeof(void *));
    sc->n = nl + nr;
    sc->cols = arena_calloc(bd->a, (size_t)(nl + nr + 1) * sizeof(struct scol));
    for (int i = 0; i < nl + nr; i++) {
        const struct scol *c = i < nl ? &ls.cols[i] : &rs.cols[i - nl];
        bool padded = (i < nl && (jk == JOIN_RIGHT || jk == JOIN_FULL)) ||
                      (i >= nl && (jk == JOIN_LEFT || jk == JOIN_FULL));
        /* a join's output has no time attribute (Flink: regular joins) */
        const struct sql_type *t = type_with_time_attr(bd->a, c->type, TA_NONE);
        if (padded)
            t = nullable_as(bd, t, true);
        j->out_names[i] = c->name;
        j->out_types[i] = t;
        sc->cols[i] = (struct scol){c->qual, c->name, c->type};
    }
    struct ast_expr *cond_ast = f->u.join.on ? f->u.join.on : where;
    if (cond_ast == NULL) {
        FAIL(WEIR_ERR_UNSUPPORTED, f->loc,
             "a join needs an equality between its two sides (cross joins are not supported)");
        return NULL;
    }
    struct expr *cond = bind_top(bd, sc, cond_ast);
    if (cond == NULL || !(cond = require_bool(bd, cond, "a join condition")))
        return NULL;
    if (f->u.join.on && where) {
        /* an inner join's WHERE is part of its condition (Flink's
         * FlinkFilterJoinRule): its equalities become keys, and bounds on
         * the sides' times let state expire */
        struct expr *w = bind_top(bd, sc, where);
        if (w == NULL || !(w = require_bool(bd, w, "WHERE condition")))
            return NULL;
        struct expr *a = expr_new(bd->a, EX_OP, &type_boolean, 2);
        a->op = OP_AND;
        a->args[0] = cond;
        a->args[1] = w;
        cond = a;
    }
    /* equalities between the sides are the keys; the rest is the residual */
    struct expr **cs = NULL;
    int ncs = 0;
    conjuncts(cond, &cs, &ncs);
    struct expr **rest = arena_calloc(bd->a, (size_t)(ncs + 1) * sizeof(void *));
    int nsplit = split_condition(bd, j, cs, ncs, nl, rest), nrest = 0;
    /* a condition on one side filters that input (Flink's
     * FlinkFilterJoinRule) where the side is not preserved (inner joins, the
     * right side of a LEFT join, the left of a RIGHT join): its rows that
     * fail it can meet nothing, so they are neither stored nor probed for */
    struct expr **push[2] = {arena_calloc(bd->a, (size_t)(ncs + 1) * sizeof(void *)),
                             arena_calloc(bd->a, (size_t)(ncs + 1) * sizeof(void *))};
    int npush[2] = {0, 0};
    for (int i = 0; i < nsplit; i++) {
        struct expr *c = rest[i];
        int used = sides_used(c, nl);
        bool filters = (used == 1 && (jk == JOIN_INNER || jk == JOIN_RIGHT)) ||
                       (used == 2 && (jk == JOIN_INNER || jk == JOIN_LEFT));
        if (filters && expr_deterministic(c)) {
            if (used == 2) {
                c = expr_copy_tree(bd->a, c);
                shift_columns(c, -nl);
            }
            push[used - 1][npush[used - 1]++] = c;
            continue;
        }
        rest[nrest++] = c;
    }
    for (int s = 0; s < 2; s++)
        if (npush[s])
            j->inputs[s] = filter_over(bd, j->inputs[s], and_of(bd, push[s], npush[s]),
                                       cond_ast->loc);
    l = j->inputs[0];
    r = j->inputs[1];
    if (!plan_updating(l) && !plan_updating(r))
        detect_interval(j, cs, ncs, nl, &ls, &rs, true);
    detect_window_join(j);
    if (!j->interval && !j->window && !plan_updating(l) && !plan_updating(r))
        detect_interval(j, cs, ncs, nl, &ls, &rs, false);
    mem_free(cs);
    if (j->n_jkeys == 0) {
        FAIL(WEIR_ERR_UNSUPPORTED, cond_ast->loc,
             "a join needs an equality between its two sides, e.g. ON a.id = b.id (cross and "
             "theta joins are not supported)");
        return NULL;
    }
    j->residual = and_of(bd, rest, nrest);
    if (j->interval || j->window) {
        /* interval and window joins keep the rowtimes of the sides they never
         * pad: windows can follow them (an interval join's watermark is held
         * back by its bounds) */
        for (int i = 0; i < nl + nr; i++) {
            const struct sql_type *t = i < nl ? ls.cols[i].type : rs.cols[i - nl].type;
            bool padded = (i < nl && (jk == JOIN_RIGHT || jk == JOIN_FULL)) ||
                          (i >= nl && (jk == JOIN_LEFT || jk == JOIN_FULL));
            if (t->time_attr == TA_ROWTIME && !padded)
                j->out_types[i] = t;
        }
    }
    /* the scope above a join sees the padded types */
    for (int i = 0; i < nl + nr; i++)
        sc->cols[i].type = j->out_types[i];
    return j;
}

/* The node under n's Calcs, and which of its columns n's column c passes
 * on unchanged (-1: a computed one). */
static int column_origin(const struct lnode *n, int c, const struct lnode **base)
{
    while (n->kind == LN_CALC) {
        const struct expr *e = n->exprs[c];
        if (e->kind != EX_COLUMN) {
            c = -1;
            while (n->kind == LN_CALC)
                n = n->inputs[0];
            break;
        }
        c = e->index;
        n = n->inputs[0];
    }
    *base = n;
    return c;
}

/* Whether r (under its Calcs) is a versioned table (SQL.md c.8): a table
 * with a PRIMARY KEY and a WATERMARK, or a deduplication keeping the last
 * row per key by rowtime.  Its key: pk[0..*n_pk), columns of *base. */
static const char *versioned_table(struct binder *bd, const struct lnode *r,
                                   const struct lnode **base, int **pk, int *n_pk)
{
    const struct lnode *b = r;
    while (b->kind == LN_CALC)
        b = b->inputs[0];
    *base = b;
    *n_pk = 0;
    *pk = arena_calloc(bd->a, (size_t)(b->n_out + 1) * sizeof(int));
    if (b->kind == LN_SCAN) {
        const struct cat_table *t = b->table;
        if (t->n_pk == 0)
            return "it has no PRIMARY KEY";
        if (t->rowtime_col < 0)
            return "it has no event-time attribute (WATERMARK)";
        for (int k = 0; k < t->n_pk; k++)
            for (int i = 0; i < b->n_proj; i++)
                if (b->proj[i] == t->pk[k])
                    (*pk)[(*n_pk)++] = i;
        return *n_pk == t->n_pk ? NULL : "its primary key is not among its columns";
    }
    if (b->kind == LN_RANK && b->dedup && b->top_n == 1 && b->desc[0] &&
        b->order[0]->type->time_attr == TA_ROWTIME && b->n_part > 0) {
        for (int k = 0; k < b->n_part; k++) {
            if (b->part[k]->kind != EX_COLUMN)
                return "its PARTITION BY is not made of columns";
            (*pk)[(*n_pk)++] = b->part[k]->index;
        }
        return NULL;
    }
    return "it is neither a table with a PRIMARY KEY and a WATERMARK nor a view keeping the "
           "last row per key (ROW_NUMBER() OVER (PARTITION BY key ORDER BY rowtime DESC) = 1)";
}

/* FROM l [LEFT] JOIN v FOR SYSTEM_TIME AS OF l.rowtime [AS r] ON l.k = r.pk:
 * the event-time temporal join (SQL.md c.8) against the versioned table v;
 * t is the bound AS OF expression. */
static struct lnode *bind_temporal_join(struct binder *bd, struct ast_table_ref *f,
                                        struct lnode *l, struct scope *ls, struct scope *sc,
                                        struct expr *t)
{
    struct ast_table_ref *rr = f->u.join.right;
    if (t->kind != EX_COLUMN) {
        FAIL(WEIR_ERR_BIND, rr->u.table.system_time->loc,
             "FOR SYSTEM_TIME AS OF needs the left side's rowtime column itself");
        return NULL;
    }
    if (plan_updating(l)) {
        struct strbuf why = {0};
        plan_updating_cause(l, &why);
        FAIL(WEIR_ERR_UNSUPPORTED, f->loc,
             "an event-time temporal join needs an insert-only left side; this one updates "
             "because of %s", why.buf);
        sb_free(&why);
        return NULL;
    }
    /* the versioned side is bound as an ordinary relation */
    struct ast_table_ref plain = *rr;
    plain.u.table.system_time = NULL;
    struct scope rs = {0};
    struct lnode *r = bind_from(bd, &plain, &rs);
    if (r == NULL)
        return NULL;
    const char *name = simple_name(bd, &rr->u.table.name);
    const struct lnode *base;
    int *pk, n_pk;
    const char *why = versioned_table(bd, r, &base, &pk, &n_pk);
    int nl = l->n_out, nr = r->n_out, rtime = -1;
    for (int i = 0; i < nr && why == NULL; i++)
        if (r->out_types[i]->time_attr == TA_ROWTIME)
            rtime = i;
    if (why == NULL && rtime < 0)
        why = "its rowtime column is not selected";
    if (why) {
        FAIL(WEIR_ERR_BIND, rr->u.table.name.loc,
             "'%s' is not a versioned table, which an event-time temporal join needs: %s",
             name ? name : "the right side", why);
        return NULL;
    }
    struct lnode *j = lnode_new(bd->p, LN_TEMPORAL_JOIN, 2);
    j->inputs[0] = l;
    j->inputs[1] = r;
    j->loc = f->loc;
    j->join = f->u.join.kind == AST_JOIN_LEFT ? JOIN_LEFT : JOIN_INNER;
    j->time_col[0] = t->index;
    j->time_col[1] = rtime;
    j->n_out = nl + nr;
    j->out_names = arena_calloc(bd->a, (size_t)(nl + nr + 1) * sizeof(char *));
    j->out_types = arena_calloc(bd->a, (size_t)(nl + nr + 1) * sizeof(void *));
    sc->n = nl + nr;
    sc->cols = arena_calloc(bd->a, (size_t)(nl + nr + 1) * sizeof(struct scol));
    for (int i = 0; i < nl + nr; i++) {
        const struct scol *c = i < nl ? &ls->cols[i] : &rs.cols[i - nl];
        const struct sql_type *ty = i < nl ? l->out_types[i] : r->out_types[i - nl];
        /* the left rows keep their rowtime (rows leave in step with the
         * watermark): windows can follow; the right side's is a plain
         * timestamp, as in Flink */
        if (i >= nl || ty->time_attr != TA_ROWTIME)
            ty = type_with_time_attr(bd->a, ty, TA_NONE);
        if (i >= nl && j->join == JOIN_LEFT)
            ty = nullable_as(bd, ty, true);
        j->out_names[i] = i < nl ? l->out_names[i] : r->out_names[i - nl];
        j->out_types[i] = ty;
        sc->cols[i] = (struct scol){c->qual, c->name, ty};
    }
    if (f->u.join.on == NULL) {
        FAIL(WEIR_ERR_BIND, f->loc, "an event-time temporal join needs ON with the versioned "
                                    "table's primary key, e.g. ON o.k = r.pk");
        return NULL;
    }
    struct expr **cs = NULL;
    int ncs = 0;
    if (!bind_on(bd, sc, f->u.join.on, &cs, &ncs))
        return NULL;
    struct expr **rest = arena_calloc(bd->a, (size_t)(ncs + 1) * sizeof(void *));
    int nrest = split_condition(bd, j, cs, ncs, nl, rest);
    mem_free(cs);
    bool *covered = arena_calloc(bd->a, (size_t)(n_pk + 1) * sizeof(bool));
    for (int i = 0; i < j->n_jkeys; i++) {
        const struct expr *re = j->rkeys[i];
        const struct expr *col = re->kind == EX_CAST ? re->args[0] : re;
        const struct lnode *b;
        int at = col->kind == EX_COLUMN ? column_origin(r, col->index, &b) : -1;
        for (int k = 0; k < n_pk; k++)
            covered[k] |= at >= 0 && at == pk[k];
    }
    struct strbuf missing = {0};
    for (int k = 0; k < n_pk; k++)
        if (!covered[k])
            sb_addf(&missing, "%s%s", missing.len ? ", " : "", base->out_names[pk[k]]);
    if (missing.len) {
        FAIL(WEIR_ERR_BIND, f->u.join.on->loc,
             "the ON condition of an event-time temporal join must equate the whole primary key "
             "of versioned table '%s' with the left side; missing: %s",
             name ? name : "the right side", missing.buf);
        sb_free(&missing);
        return NULL;
    }
    sb_free(&missing);
    j->residual = and_of(bd, rest, nrest);
    return j;
}

/* JOIN dim FOR SYSTEM_TIME AS OF l.proctime [AS d] ON l.x = d.k: a lookup
 * join against a table read as a dimension (SQL.md c.8). */
static struct lnode *bind_lookup_join(struct binder *bd, struct ast_table_ref *f, struct lnode *l,
                                      struct scope *ls, struct scope *sc)
{
    struct ast_table_ref *rr = f->u.join.right;
    enum ast_join_kind k = f->u.join.kind;
    if (k != AST_JOIN_INNER && k != AST_JOIN_LEFT) {
        FAIL(WEIR_ERR_BIND, f->loc, "a temporal or lookup join (FOR SYSTEM_TIME AS OF) must be "
                                    "INNER or LEFT");
        return NULL;
    }
    struct expr *t = bind_top(bd, ls, rr->u.table.system_time);
    if (t == NULL)
        return NULL;
    if (t->type->time_attr == TA_ROWTIME)
        return bind_temporal_join(bd, f, l, ls, sc, t);
    if (t->type->time_attr != TA_PROCTIME) {
        FAIL(WEIR_ERR_BIND, rr->u.table.system_time->loc,
             "FOR SYSTEM_TIME AS OF needs a time attribute of the left side: its rowtime (an "
             "event-time temporal join) or PROCTIME() (a lookup join)");
        return NULL;
    }
    const char *name = simple_name(bd, &rr->u.table.name);
    struct cat_table *dim = name ? find_table(&bd->p->cat, name) : NULL;
    if (dim == NULL) {
        if (name)
            FAIL(WEIR_ERR_BIND, rr->u.table.name.loc, "lookup table '%s' not found (a lookup "
                                                      "join needs a table, not a view)", name);
        return NULL;
    }
    if (dim->opts == NULL &&
        conn_validate(dim->conn, dim->format, dim->name, dim->n_options, dim->opt_keys,
                      dim->opt_values, true, &dim->opts, bd->err) != WEIR_OK)
        return NULL;
    /* the dimension is read whole through the source interface (job.c
     * load_dimension): any bounded source that declares CONN_LOOKUP will do */
    if (!(dim->conn->caps & CONN_LOOKUP)) {
        struct strbuf names = {0};
        for (int i = 0; conn_at(i); i++)
            if (conn_at(i)->caps & CONN_LOOKUP)
                sb_addf(&names, "%s%s", names.len ? ", " : "", conn_at(i)->name);
        FAIL(WEIR_ERR_UNSUPPORTED, rr->u.table.name.loc,
             "lookup joins against connector '%s' are not supported; lookup tables can be: %s",
             dim->conn->name, names.buf);
        sb_free(&names);
        return NULL;
    }
    /* the dimension's physical columns, as a scope */
    int nl = l->n_out, nd = 0;
    for (int i = 0; i < dim->n_cols; i++)
        nd += dim->cols[i].kind == CAT_PHYSICAL;
    struct lnode *j = lnode_new(bd->p, LN_LOOKUP_JOIN, 1);
    j->inputs[0] = l;
    j->loc = f->loc;
    j->table = dim;
    j->join = k == AST_JOIN_LEFT ? JOIN_LEFT : JOIN_INNER;
    j->n_out = nl + nd;
    j->out_names = arena_calloc(bd->a, (size_t)(nl + nd + 1) * sizeof(char *));
    j->out_types = arena_calloc(bd->a, (size_t)(nl + nd + 1) * sizeof(void *));
    const char *qual = rr->alias ? rr->alias : name;
    sc->n = nl + nd;
    sc->cols = arena_calloc(bd->a, (size_t)(nl + nd + 1) * sizeof(struct scol));
    for (int i = 0; i < nl; i++) {
        j->out_names[i] = l->out_names[i];
        j->out_types[i] = type_with_time_attr(bd->a, l->out_types[i], TA_NONE);
        sc->cols[i] = (struct scol){ls->cols[i].qual, ls->cols[i].name, j->out_types[i]};
    }
    int d = 0;
    for (int i = 0; i < dim->n_cols; i++) {
        if (dim->cols[i].kind != CAT_PHYSICAL)
            continue;
        const struct sql_type *ty = dim->cols[i].type;
        if (j->join == JOIN_LEFT)
            ty = nullable_as(bd, ty, true);
        j->out_names[nl + d] = dim->cols[i].name;
        j->out_types[nl + d] = ty;
        sc->cols[nl + d] = (struct scol){qual, dim->cols[i].name, ty};
        d++;
    }
    if (f->u.join.on == NULL) {
        FAIL(WEIR_ERR_BIND, f->loc, "a lookup join needs ON <left expression> = <dimension column>");
        return NULL;
    }
    struct expr **cs = NULL;
    int ncs = 0;
    if (!bind_on(bd, sc, f->u.join.on, &cs, &ncs))
        return NULL;
    j->lkeys = arena_calloc(bd->a, (size_t)(ncs + 1) * sizeof(void *));
    j->rkey_cols = arena_calloc(bd->a, (size_t)(ncs + 1) * sizeof(int));
    struct expr **rest = arena_calloc(bd->a, (size_t)(ncs + 1) * sizeof(void *));
    int nrest = 0;
    for (int i = 0; i < ncs; i++) {
        struct expr *c = cs[i];
        if (c->kind == EX_OP && c->op == OP_EQ) {
            /* the comparison's casts are undone: the key is the dimension column */
            struct expr *a = c->args[0], *b = c->args[1];
            struct expr *da = a->kind == EX_CAST ? a->args[0] : a;
            struct expr *db = b->kind == EX_CAST ? b->args[0] : b;
            struct expr *dcol = NULL, *lex = NULL;
            if (da->kind == EX_COLUMN && da->index >= nl && sides_used(b, nl) == 1) {
                dcol = da;
                lex = b;
            } else if (db->kind == EX_COLUMN && db->index >= nl && sides_used(a, nl) == 1) {
                dcol = db;
                lex = a;
            }
            if (dcol) {
                j->rkey_cols[j->n_jkeys] = dcol->index - nl;
                j->lkeys[j->n_jkeys++] = cast_to(bd, lex, nullable_as(bd, dcol->type, true));
                continue;
            }
        }
        rest[nrest++] = c;
    }
    mem_free(cs);
    if (j->n_jkeys == 0) {
        FAIL(WEIR_ERR_BIND, f->u.join.on->loc,
             "a lookup join needs an equality between a left expression and a dimension column");
        return NULL;
    }
    j->residual = and_of(bd, rest, nrest);
    return j;
}

/* ---- UNNEST ------------------------------------------------------------------------------------ */

/* FROM l CROSS JOIN UNNEST(l.arr) [WITH ORDINALITY] [AS u (c1, ...)], the
 * comma form and LEFT JOIN UNNEST(...) ON TRUE: Flink's Correlate over
 * $UNNEST_ROWS$1 (SQL.md c.8, array expansion).  The collection is an
 * expression over the left row; its element columns follow the left
 * columns.  The condition of an inner form (ON, or the WHERE of the comma
 * and CROSS forms) filters the expanded rows. */
static struct lnode *bind_unnest(struct binder *bd, struct ast_table_ref *f, struct lnode *l,
                                 struct scope *ls, struct ast_expr *where, struct scope *sc)
{
    struct ast_table_ref *u = f->u.join.right;
    enum ast_join_kind k = f->u.join.kind;
    if (k == AST_JOIN_RIGHT || k == AST_JOIN_FULL) {
        FAIL(WEIR_ERR_UNSUPPORTED, f->loc, "UNNEST can only be joined with CROSS JOIN, a comma, "
                                           "JOIN or LEFT JOIN: its rows come from the left row");
        return NULL;
    }
    if (u->u.unnest.n_args != 1) {
        FAIL(WEIR_ERR_UNSUPPORTED, u->u.unnest.args[1]->loc,
             "UNNEST of several collections is not supported (Flink unnests one ARRAY or MAP); "
             "write one CROSS JOIN UNNEST per collection");
        return NULL;
    }
    struct ast_expr *aarg = u->u.unnest.args[0];
    struct expr *arg = bind_top(bd, ls, aarg);
    if (arg == NULL)
        return NULL;
    const struct sql_type *at = arg->type;
    if (at->id != T_ARRAY && at->id != T_MAP) {
        FAIL(WEIR_ERR_BIND, aarg->loc, "UNNEST needs an ARRAY or a MAP, not %s",
             type_name(bd, at));
        return NULL;
    }
    /* the element's columns, named as Calcite's UNNEST names them */
    bool left = k == AST_JOIN_LEFT;
    const struct sql_type *et = at->id == T_ARRAY ? at->elem : NULL;
    int ne = at->id == T_MAP ? 2 : et->id == T_ROW ? et->n_fields : 1;
    int nu = ne + u->u.unnest.with_ordinality;
    const char **names = arena_calloc(bd->a, (size_t)nu * sizeof(char *));
    const struct sql_type **types = arena_calloc(bd->a, (size_t)nu * sizeof(void *));
    if (at->id == T_MAP) {
        names[0] = "KEY";
        names[1] = "VALUE";
        types[0] = at->elem;
        types[1] = at->value;
    } else if (et->id == T_ROW) {
        /* a NULL element gives NULL fields */
        for (int i = 0; i < ne; i++) {
            names[i] = et->field_names[i];
            types[i] = et->nullable ? nullable_as(bd, et->field_types[i], true)
                                    : et->field_types[i];
        }
    } else {
        names[0] = "EXPR$0";
        types[0] = et;
    }
    if (u->u.unnest.with_ordinality) {
        names[ne] = "ORDINALITY";
        types[ne] = nullable_as(bd, &type_int, false);
    }
    if (u->n_col_aliases) {
        if (u->n_col_aliases != nu) {
            FAIL(WEIR_ERR_BIND, u->alias_loc,
                 "alias '%s' lists %d column%s but UNNEST of %s%s gives %d", u->alias,
                 u->n_col_aliases, u->n_col_aliases == 1 ? "" : "s", type_name(bd, at),
                 u->u.unnest.with_ordinality ? " WITH ORDINALITY" : "", nu);
            return NULL;
        }
        for (int i = 0; i < nu; i++)
            names[i] = u->col_aliases[i];
    }
    int nl = l->n_out;
    struct lnode *n = lnode_new(bd->p, LN_UNNEST, 1);
    n->inputs[0] = l;
    n->loc = u->loc;
    n->unnest = arg;
    n->ordinality = u->u.unnest.with_ordinality;
    n->join = left ? JOIN_LEFT : JOIN_INNER;
    n->n_out = nl + nu;
    n->out_names = arena_calloc(bd->a, (size_t)(nl + nu) * sizeof(char *));
    n->out_types = arena_calloc(bd->a, (size_t)(nl + nu) * sizeof(void *));
    sc->n = nl + nu;
    sc->inner_from = 0;
    sc->cols = arena_calloc(bd->a, (size_t)(nl + nu) * sizeof(struct scol));
    /* the left columns keep their time attributes: each row comes out at
     * once, so a window can follow (as in Flink) */
    for (int i = 0; i < nl; i++) {
        n->out_names[i] = ls->cols[i].name;
        n->out_types[i] = ls->cols[i].type;
        sc->cols[i] = ls->cols[i];
    }
    for (int i = 0; i < nu; i++) {
        const struct sql_type *t = left ? nullable_as(bd, types[i], true) : types[i];
        n->out_names[nl + i] = names[i];
        n->out_types[nl + i] = t;
        sc->cols[nl + i] = (struct scol){u->alias, names[i], t};
    }
    struct ast_expr *cond_ast = f->u.join.on ? f->u.join.on : where;
    if (cond_ast == NULL)
        return n;
    struct expr *cond = bind_top(bd, sc, cond_ast);
    if (cond == NULL || !(cond = require_bool(bd, cond, "a join condition")))
        return NULL;
    struct value v;
    bool always = expr_literal_value(cond, &v) && !v.is_null && v.b;
    if (left && !always) {
        FAIL(WEIR_ERR_UNSUPPORTED, cond_ast->loc,
             "LEFT JOIN UNNEST needs ON TRUE; filter the unnested rows in WHERE");
        return NULL;
    }
    if (always)
        return n;
    return filter_over(bd, n, cond, cond_ast->loc);
}

/* ---- Top-N ---------------------------------------------------------------------------------------- */

/* SELECT ..., ROW_NUMBER() OVER (PARTITION BY p ORDER BY o) AS rn FROM in
 * [WHERE w]: the Rank node over `in` (filtered by w first). */
static struct lnode *bind_rank(struct binder *bd, struct ast_expr *call, struct ast_select *s,
                               struct lnode *in, struct scope *sc)
{
    struct ast_window *w = call->u.call.over;
    if (w->ref || w->has_frame) {
        FAIL(WEIR_ERR_UNSUPPORTED, w->loc, "ROW_NUMBER() needs an inline OVER (PARTITION BY .. "
                                           "ORDER BY ..) without a frame");
        return NULL;
    }
    if (w->n_order_by == 0) {
        FAIL(WEIR_ERR_BIND, w->loc, "ROW_NUMBER() OVER needs ORDER BY");
        return NULL;
    }
    if (plan_updating(in)) {
        struct strbuf why = {0};
        plan_updating_cause(in, &why);
        FAIL(WEIR_ERR_UNSUPPORTED, call->loc,
             "Top-N over an updating input is not supported yet (its rows are updated by %s)",
             why.buf);
        sb_free(&why);
        return NULL;
    }
    if (s->where) {
        struct expr *f = bind_top(bd, sc, s->where);
        if (f == NULL || !(f = require_bool(bd, f, "WHERE condition")))
            return NULL;
        in = filter_over(bd, in, f, s->where->loc);
    }
    struct lnode *r = lnode_new(bd->p, LN_RANK, 1);
    r->inputs[0] = in;
    r->loc = call->loc;
    r->win_ast = w;
    r->n_part = w->n_partition_by;
    r->part = arena_calloc(bd->a, (size_t)(r->n_part + 1) * sizeof(void *));
    for (int i = 0; i < r->n_part; i++)
        if (!(r->part[i] = bind_top(bd, sc, w->partition_by[i])))
            return NULL;
    r->n_order = w->n_order_by;
    r->order = arena_calloc(bd->a, (size_t)(r->n_order + 1) * sizeof(void *));
    r->desc = arena_calloc(bd->a, (size_t)(r->n_order + 1) * sizeof(bool));
    for (int i = 0; i < r->n_order; i++) {
        if (!(r->order[i] = bind_top(bd, sc, w->order_by[i].expr)))
            return NULL;
        r->desc[i] = w->order_by[i].desc;
    }
    /* until N is known (below, and at the end of binding) */
    r->dedup = r->n_order == 1 && r->order[0]->kind == EX_COLUMN &&
               r->order[0]->type->time_attr != TA_NONE;
    r->n_out = in->n_out + 1;
    r->out_names = arena_calloc(bd->a, (size_t)(r->n_out + 1) * sizeof(char *));
    r->out_types = arena_calloc(bd->a, (size_t)(r->n_out + 1) * sizeof(void *));
    memcpy(r->out_names, in->out_names, (size_t)in->n_out * sizeof(char *));
    memcpy(r->out_types, in->out_types, (size_t)in->n_out * sizeof(void *));
    r->out_names[in->n_out] = "$rownum";
    r->out_types[in->n_out] = nullable_as(bd, &type_bigint, false);
    bd->ranks = mem_realloc(bd->ranks, (size_t)(bd->n_ranks + 1) * sizeof(*bd->ranks));
    bd->ranks[bd->n_ranks++] = r;
    return r;
}

/* The Rank node whose row number column c of node n is, if any. */
static struct lnode *rank_of_column(struct lnode *n, int c, int *col)
{
    while (n->kind == LN_CALC) {
        const struct expr *e = n->exprs[c];
        if (e->kind != EX_COLUMN)
            return NULL;
        c = e->index;
        n = n->inputs[0];
    }
    if (n->kind == LN_RANK && c == n->n_out - 1) {
        *col = c;
        return n;
    }
    return NULL;
}

/* The outer WHERE of a Top-N: rownum <= N (or < N, = 1) gives the Rank its N. */
static bool topn_from_filter(struct binder *bd, struct lnode *calc)
{
    struct expr **cs = NULL;
    int n = 0;
    conjuncts(calc->filter, &cs, &n);
    for (int i = 0; i < n; i++) {
        struct expr *c = cs[i];
        if (c->kind != EX_OP || c->n_args != 2 || c->args[0]->kind != EX_COLUMN ||
            c->args[1]->kind != EX_LITERAL || c->args[1]->lit.is_null ||
            !type_is_integer(c->args[1]->type))
            continue;
        int col;
        struct lnode *r = rank_of_column(calc->inputs[0], c->args[0]->index, &col);
        if (r == NULL)
            continue;
        int64_t v = c->args[1]->lit.i;
        int64_t top = c->op == OP_LE ? v : c->op == OP_LT ? v - 1 : c->op == OP_EQ && v == 1 ? 1 : 0;
        if (top <= 0) {
            mem_free(cs);
            FAIL(WEIR_ERR_UNSUPPORTED, c->loc,
                 "a Top-N filter must be rownum <= N, rownum < N or rownum = 1 with N >= 1");
            return false;
        }
        if (r->top_n == 0 || top < r->top_n)
            r->top_n = top;
    }
    mem_free(cs);
    (void)bd;
    return true;
}

/* After the SELECT above a Rank: is the row number selected?  Then every rank
 * whose row changes is updated (Flink's Top-N with rank output). */
static int topn_output_check(struct binder *bd, struct lnode *sink)
{
    (void)bd;
    struct lnode *top = sink->inputs[0];
    for (int c = 0; c < top->n_out; c++) {
        int col;
        struct lnode *r = rank_of_column(top, c, &col);
        if (r)
            r->rank_output = true;
    }
    return WEIR_OK;
}

/* ---- windows ------------------------------------------------------------------------------------ */

/* A constant INTERVAL argument in microseconds (> 0 unless allow_zero). */
static bool interval_arg(struct binder *bd, struct ast_expr *ae, const char *what, bool allow_neg,
                         int64_t *out)
{
    struct expr *e = bind_top(bd, NULL, ae);
    if (e == NULL)
        return false;
    if (e->kind != EX_LITERAL || e->type->id != T_INTERVAL_DT || e->lit.is_null) {
        FAIL(WEIR_ERR_BIND, ae->loc, "%s must be a constant INTERVAL of days to seconds, "
                                     "e.g. INTERVAL '10' SECOND", what);
        return false;
    }
    if (e->lit.i <= 0 && !(allow_neg && e->lit.i < 0)) {
        FAIL(WEIR_ERR_BIND, ae->loc, "%s must be positive", what);
        return false;
    }
    *out = e->lit.i;
    return true;
}

/* The time attribute column named by a DESCRIPTOR or a legacy window call. */
static bool window_time_col(struct binder *bd, struct scope *sc, struct ast_expr *col,
                            struct window_spec *w)
{
    struct expr *e = bind_expr(bd, sc, col);
    if (e == NULL)
        return false;
    if (e->kind != EX_COLUMN || e->type->time_attr == TA_NONE) {
        FAIL(WEIR_ERR_BIND, col->loc,
             "a window needs a time attribute column (declared with WATERMARK FOR, or "
             "PROCTIME()), not %s", type_name(bd, e->type));
        return false;
    }
    w->time_col = e->index;
    w->proctime = e->type->time_attr == TA_PROCTIME;
    w->ltz = e->type->id == T_TIMESTAMP_LTZ;
    return true;
}

/* Fills w from TUMBLE/HOP/CUMULATE/SESSION arguments after the time column:
 * args[0..n) are the interval arguments in the order the function takes. */
static bool window_intervals(struct binder *bd, const char *fn, struct ast_expr **args, int n,
                             struct weir_loc loc, struct window_spec *w)
{
    if (strcasecmp(fn, "TUMBLE") == 0) {
        w->kind = WIN_TUMBLE;
        if (n < 1 || n > 2)
            goto count;
        if (!interval_arg(bd, args[0], "the TUMBLE size", false, &w->size))
            return false;
        if (n == 2 && !interval_arg(bd, args[1], "the window offset", true, &w->offset))
            return false;
        return true;
    }
    if (strcasecmp(fn, "HOP") == 0 || strcasecmp(fn, "CUMULATE") == 0) {
        bool hop = strcasecmp(fn, "HOP") == 0;
        w->kind = hop ? WIN_HOP : WIN_CUMULATE;
        if (n < 2 || n > 3)
            goto count;
        if (!interval_arg(bd, args[0], hop ? "the HOP slide" : "the CUMULATE step", false,
                          &w->slide) ||
            !interval_arg(bd, args[1], "the window size", false, &w->size))
            return false;
        if (n == 3 && !interval_arg(bd, args[2], "the window offset", true, &w->offset))
            return false;
        if (w->size % w->slide != 0) {
            FAIL(WEIR_ERR_BIND, args[1]->loc, "the %s size must be a whole multiple of its %s",
                 fn, hop ? "slide" : "step");
            return false;
        }
        return true;
    }
    if (strcasecmp(fn, "SESSION") == 0) {
        w->kind = WIN_SESSION;
        if (n != 1)
            goto count;
        return interval_arg(bd, args[0], "the SESSION gap", false, &w->gap);
    }
    FAIL(WEIR_ERR_UNSUPPORTED, loc, "table function %s is not supported", fn);
    return false;
count:
    FAIL(WEIR_ERR_BIND, loc, "wrong number of arguments for %s", fn);
    return false;
}

/* The three columns a window adds (Flink: window_time is a rowtime attribute,
 * TIMESTAMP_LTZ when the time attribute is; processing time for proctime). */
static void window_columns(struct binder *bd, const struct window_spec *w,
                           const struct sql_type **types)
{
    const struct sql_type *ts = nullable_as(bd, &type_timestamp3, false);
    types[0] = ts;
    types[1] = ts;
    const struct sql_type *wt = (w->ltz || w->proctime) ? &type_timestamp_ltz3 : &type_timestamp3;
    types[2] = type_with_time_attr(bd->a, nullable_as(bd, wt, false),
                                   w->proctime ? TA_PROCTIME : TA_ROWTIME);
}

/* FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset])) and HOP,
 * CUMULATE (positional or named arguments). */
static struct lnode *bind_window_tvf(struct binder *bd, struct ast_table_ref *f, struct scope *sc)
{
    struct ast_expr *call = f->u.tvf.call;
    if (call->kind != AST_E_CALL) {
        FAIL(WEIR_ERR_BIND, f->loc, "expected a table function call in TABLE(...)");
        return NULL;
    }
    const char *fn = call->u.call.name.parts[call->u.call.name.n_parts - 1];
    if (f->u.tvf.lateral || (strcasecmp(fn, "TUMBLE") && strcasecmp(fn, "HOP") &&
                             strcasecmp(fn, "CUMULATE") && strcasecmp(fn, "SESSION"))) {
        FAIL(WEIR_ERR_UNSUPPORTED, f->loc,
             "table function %s is not supported (window TVFs are: TUMBLE, HOP, CUMULATE)", fn);
        return NULL;
    }
    if (strcasecmp(fn, "SESSION") == 0) {
        FAIL(WEIR_ERR_UNSUPPORTED, f->loc,
             "the SESSION window TVF is not supported yet; use GROUP BY SESSION(ts, gap)");
        return NULL;
    }
    /* named arguments (DATA =>, TIMECOL =>, SIZE =>, SLIDE =>, STEP =>, OFFSET =>)
     * are put in positional order */
    int n = call->u.call.n_args;
    struct ast_expr *args[8] = {0};
    if (n > 5) {
        FAIL(WEIR_ERR_BIND, call->loc, "too many arguments for %s", fn);
        return NULL;
    }
    bool hop = strcasecmp(fn, "TUMBLE") != 0;
    static const char *tumble_names[] = {"DATA", "TIMECOL", "SIZE", "OFFSET"};
    static const char *hop_names[] = {"DATA", "TIMECOL", "SLIDE", "SIZE", "OFFSET"};
    const char *const *names = hop ? hop_names : tumble_names;
    int n_names = hop ? 5 : 4;
    int max_pos = -1;
    for (int i = 0; i < n; i++) {
        struct ast_expr *a = call->u.call.args[i];
        if (a->kind == AST_E_NAMED_ARG) {
            int k = -1;
            for (int j = 0; j < n_names; j++)
                if (strcasecmp(a->u.named_arg.name, names[j]) == 0 ||
                    (hop && strcasecmp(fn, "CUMULATE") == 0 && j == 2 &&
                     strcasecmp(a->u.named_arg.name, "STEP") == 0))
                    k = j;
            if (k < 0) {
                FAIL(WEIR_ERR_BIND, a->u.named_arg.name_loc, "%s has no parameter '%s'", fn,
                     a->u.named_arg.name);
                return NULL;
            }
            args[k] = a->u.named_arg.value;
            if (k > max_pos)
                max_pos = k;
        } else {
            args[i] = a;
            if (i > max_pos)
                max_pos = i;
        }
    }
    if (args[0] == NULL || args[0]->kind != AST_E_TABLE_ARG) {
        FAIL(WEIR_ERR_BIND, call->loc, "the first argument of %s must be TABLE <name>", fn);
        return NULL;
    }
    if (args[1] == NULL || args[1]->kind != AST_E_DESCRIPTOR || args[1]->u.descriptor.n_cols != 1) {
        FAIL(WEIR_ERR_BIND, call->loc, "the second argument of %s must be DESCRIPTOR(<time column>)",
             fn);
        return NULL;
    }
    if (args[0]->u.table_arg.n_partition_by) {
        FAIL(WEIR_ERR_UNSUPPORTED, args[0]->loc, "PARTITION BY in a window TVF is not supported");
        return NULL;
    }
    /* the input relation, bound like FROM <name> */
    struct ast_table_ref in_ref = {0};
    in_ref.kind = AST_FROM_TABLE;
    in_ref.loc = args[0]->loc;
    in_ref.u.table.name = args[0]->u.table_arg.name;
    struct scope in_sc = {0};
    struct lnode *in = bind_from(bd, &in_ref, &in_sc);
    if (in == NULL)
        return NULL;
    struct lnode *w = lnode_new(bd->p, LN_WINDOW_TVF, 1);
    w->inputs[0] = in;
    w->loc = f->loc;
    struct ast_expr colref = {0};
    colref.kind = AST_E_IDENT;
    colref.loc = args[1]->u.descriptor.cols[0].loc;
    colref.u.ident = args[1]->u.descriptor.cols[0];
    if (!window_time_col(bd, &in_sc, &colref, &w->win))
        return NULL;
    int n_iv = 0;
    struct ast_expr *ivs[3];
    for (int k = 2; k <= max_pos; k++) {
        if (args[k] == NULL) {
            FAIL(WEIR_ERR_BIND, call->loc, "%s: missing argument %s", fn, names[k]);
            return NULL;
        }
        ivs[n_iv++] = args[k];
    }
    if (!window_intervals(bd, fn, ivs, n_iv, call->loc, &w->win))
        return NULL;
    int nin = in->n_out;
    w->n_out = nin + 3;
    w->out_names = arena_calloc(bd->a, (size_t)w->n_out * sizeof(char *));
    w->out_types = arena_calloc(bd->a, (size_t)w->n_out * sizeof(void *));
    for (int i = 0; i < nin; i++) {
        w->out_names[i] = in_sc.cols[i].name;
        /* the time column becomes a plain timestamp: window_time carries time */
        w->out_types[i] = type_with_time_attr(bd->a, in->out_types[i], TA_NONE);
    }
    w->out_names[nin] = "window_start";
    w->out_names[nin + 1] = "window_end";
    w->out_names[nin + 2] = "window_time";
    window_columns(bd, &w->win, w->out_types + nin);
    const char *qual = f->alias ? f->alias : NULL;
    scope_from_node(bd, w, sc, qual, f->col_aliases, f->n_col_aliases);
    return w;
}

/* Rewrites an expression bound over FROM into one over the aggregation's
 * output: key expressions and window columns become column references,
 * placeholders resolve; a FROM column left over was not grouped. */
static struct expr *agg_rewrite(struct binder *bd, struct agg_ctx *ac, struct expr *e)
{
    struct lnode *n = ac->agg;
    if (e->kind == EX_COLUMN && e->index < 0) {
        int v = -(e->index + 1);
        int wcols = n->kind == LN_WINDOW_AGG ? 3 : 0;
        int col = (v & (1 << 20)) ? n->n_keys + wcols + (v & 0xFFFFF) : v;
        struct expr *c = expr_column(bd->a, col, e->type);
        c->loc = e->loc;
        return c;
    }
    for (int k = 0; k < n->n_keys; k++)
        if (expr_equal(e, n->keys[k]))
            return expr_column(bd->a, k, n->out_types[k]);
    if (e->kind == EX_COLUMN) {
        int wcol = n->kind != LN_WINDOW_AGG ? -1
                 : e->index == ac->tvf_ws ? 0 : e->index == ac->tvf_we ? 1
                 : e->index == ac->tvf_wt ? 2 : -1;
        if (wcol >= 0 && ac->tvf_ws >= 0)
            return expr_column(bd->a, n->n_keys + wcol, n->out_types[n->n_keys + wcol]);
        FAIL(WEIR_ERR_BIND, e->loc,
             "column '%s' is neither grouped nor aggregated: add it to GROUP BY or use it "
             "inside an aggregate function", ac->from->cols[e->index].name);
        return NULL;
    }
    struct expr *c = arena_alloc(bd->a, sizeof(*c));
    *c = *e;
    if (e->n_args) {
        c->args = arena_alloc(bd->a, (size_t)e->n_args * sizeof(*c->args));
        for (int i = 0; i < e->n_args; i++)
            if (!(c->args[i] = agg_rewrite(bd, ac, e->args[i])))
                return NULL;
    }
    return c;
}

static bool is_ident_named(const struct ast_expr *e, const char *name)
{
    return e->kind == AST_E_IDENT && strcmp(e->u.ident.parts[e->u.ident.n_parts - 1], name) == 0;
}

static struct expr **mem_realloc_arena_keys(struct binder *bd, struct expr **old, int n, int cap)
{
    struct expr **k = arena_calloc(bd->a, (size_t)cap * sizeof(*k));
    memcpy(k, old, (size_t)n * sizeof(*k));
    return k;
}

static const char **mem_realloc_arena_names(struct binder *bd, const char **old, int n, int cap)
{
    const char **k = arena_calloc(bd->a, (size_t)cap * sizeof(*k));
    memcpy(k, old, (size_t)n * sizeof(*k));
    return k;
}

/* Which window bound column c of node n is, following plain column
 * references down through Calcs and window joins (Flink's window property
 * propagation): 0 window_start, 1 window_end of the windows of the window
 * aggregation or window TVF returned in *agg; -1 if it is neither. */
static int window_bound_of(const struct lnode *n, int c, const struct lnode **agg)
{
    for (int depth = 0; depth < 64; depth++) {
        if (n->kind == LN_CALC) {
            const struct expr *e = n->exprs[c];
            if (e->kind != EX_COLUMN)
                return -1;
            c = e->index;
            n = n->inputs[0];
            continue;
        }
        if (n->kind == LN_JOIN && n->window) {
            int nl = n->inputs[0]->n_out;
            n = c < nl ? n->inputs[0] : n->inputs[1];
            c = c < nl ? c : c - nl;
            continue;
        }
        if (n->kind == LN_WINDOW_AGG && (c == n->n_keys || c == n->n_keys + 1)) {
            *agg = n;
            return c - n->n_keys;
        }
        int base = n->kind == LN_WINDOW_TVF ? n->inputs[0]->n_out : -1;
        if (base >= 0 && (c == base || c == base + 1)) {
            *agg = n;
            return c - base;
        }
        return -1;
    }
    return -1;
}

/* Whether two windowed inputs have the same event-time windows, so a window
 * join can pair them (Flink also demands equal window specifications).
 * Windows in the session time zone (TIMESTAMP_LTZ) and processing-time
 * windows stay regular joins: their window_end is not on the watermark's
 * clock. */
static bool same_windows(const struct window_spec *a, const struct window_spec *b)
{
    return a->kind == b->kind && a->kind != WIN_SESSION && !a->proctime && !b->proctime &&
           !a->ltz && !b->ltz && a->size == b->size && a->slide == b->slide &&
           a->offset == b->offset;
}

/*
 * Flink plans a join of two insert-only windowed inputs (window aggregations
 * or window TVFs over the same windows) whose keys equate both sides'
 * window_start and window_end as a window join (WindowJoinUtil): rows meet
 * only within their window, so state ends with it.  Nexmark q5 and q8 join
 * two window aggregations this way.  The window columns stay join keys: they
 * spread the windows over the instances.
 */
static void detect_window_join(struct lnode *j)
{
    if (j->interval || plan_updating(j->inputs[0]) || plan_updating(j->inputs[1]))
        return;
    bool start = false, end = false;
    for (int k = 0; k < j->n_jkeys; k++) {
        const struct expr *lk = j->lkeys[k], *rk = j->rkeys[k];
        if (lk->kind != EX_COLUMN || rk->kind != EX_COLUMN)
            continue;
        const struct lnode *lw = NULL, *rw = NULL;
        int lb = window_bound_of(j->inputs[0], lk->index, &lw);
        int rb = window_bound_of(j->inputs[1], rk->index, &rw);
        if (lb < 0 || lb != rb || !same_windows(&lw->win, &rw->win))
            continue;
        if (lb == 0) {
            start = true;
        } else if (!end) {
            end = true;
            j->time_col[0] = lk->index;
            j->time_col[1] = rk->index;
        }
    }
    j->window = start && end;
}

/*
 * GROUP BY over a window aggregation's output that keeps its window_start and
 * window_end among the keys (Nexmark q5: the maximum count per window) is, as
 * in Flink, a window aggregation over the same windows: the rows already carry
 * them, the result is final when the watermark passes the window's end, and
 * the output is insert-only instead of an updating GROUP BY.  Returns whether
 * n was made one (the two keys removed from keys[]).
 */
static bool propagate_window(struct lnode *n, struct lnode *from, struct expr **keys,
                             const char **key_names, int *nk, struct agg_ctx *ac)
{
    int ks = -1, ke = -1;
    const struct lnode *up_s = NULL, *up_e = NULL;
    for (int k = 0; k < *nk; k++) {
        if (keys[k]->kind != EX_COLUMN)
            continue;
        const struct lnode *up = NULL;
        int b = window_bound_of(from, keys[k]->index, &up);
        if (b == 0 && ks < 0)
            ks = k, up_s = up;
        else if (b == 1 && ke < 0)
            ke = k, up_e = up;
    }
    if (ks < 0 || ke < 0 || up_s != up_e)
        return false;
    n->win = up_s->win;
    n->win.assigned = true;
    n->win.start_col = keys[ks]->index;
    n->win.end_col = keys[ke]->index;
    n->win.time_col = n->win.end_col;
    ac->tvf_ws = n->win.start_col;
    ac->tvf_we = n->win.end_col;
    int m = 0;
    for (int k = 0; k < *nk; k++)
        if (k != ks && k != ke) {
            key_names[m] = key_names[k];
            keys[m++] = keys[k];
        }
    *nk = m;
    return true;
}

/* SELECT ... FROM ... GROUP BY <window>, keys [HAVING ...]: a window
 * aggregation plus the calc that computes the select list. */
static struct lnode *bind_window_aggregation(struct binder *bd, struct ast_select *s,
                                             struct lnode *from, struct scope *sc,
                                             struct scope *out_sc)
{
    struct agg_ctx ac = {0};
    ac.from = sc;
    ac.tvf_ws = ac.tvf_we = ac.tvf_wt = -1;
    struct lnode *n = lnode_new(bd->p, LN_WINDOW_AGG, 1);
    n->loc = s->loc;
    ac.agg = n;
    ac.input_updating = plan_updating(from);
    struct lnode *input = from;
    if (from->kind == LN_WINDOW_TVF) {
        /* window assignment happens inside the aggregation */
        input = from->inputs[0];
        n->win = from->win;
        ac.n_from_cols = input->n_out;
        ac.tvf_ws = input->n_out;
        ac.tvf_we = input->n_out + 1;
        ac.tvf_wt = input->n_out + 2;
    } else {
        ac.n_from_cols = from->n_out;
    }
    n->inputs[0] = input;
    /* GROUP BY: window items and keys */
    bool has_ws = false, has_we = false;
    struct expr **keys = arena_calloc(bd->a, (size_t)(s->n_group_by + 1) * sizeof(*keys));
    const char **key_names = arena_calloc(bd->a, (size_t)(s->n_group_by + 1) * sizeof(char *));
    int nk = 0;
    struct ast_expr *gsets = NULL;   /* the GROUPING SETS / ROLLUP / CUBE item */
    for (int i = 0; i < s->n_group_by; i++) {
        struct ast_expr *g = s->group_by[i];
        if (g->kind == AST_E_GROUPING_SETS || g->kind == AST_E_ROLLUP || g->kind == AST_E_CUBE) {
            if (gsets) {
                FAIL(WEIR_ERR_UNSUPPORTED, g->loc,
                     "only one GROUPING SETS, ROLLUP or CUBE per GROUP BY is supported");
                return NULL;
            }
            gsets = g;
            continue;
        }
        if (from->kind == LN_WINDOW_TVF) {
            if (is_ident_named(g, "window_start")) { has_ws = true; continue; }
            if (is_ident_named(g, "window_end")) { has_we = true; continue; }
            if (is_ident_named(g, "window_time")) continue;
        }
        if (g->kind == AST_E_CALL) {
            const char *fn = g->u.call.name.parts[g->u.call.name.n_parts - 1];
            if (strcasecmp(fn, "TUMBLE") == 0 || strcasecmp(fn, "HOP") == 0 ||
                strcasecmp(fn, "SESSION") == 0 || strcasecmp(fn, "CUMULATE") == 0) {
                if (ac.legacy || from->kind == LN_WINDOW_TVF) {
                    FAIL(WEIR_ERR_BIND, g->loc, "GROUP BY can have only one window");
                    return NULL;
                }
                if (g->u.call.n_args < 2) {
                    FAIL(WEIR_ERR_BIND, g->loc, "%s needs the time attribute and an interval", fn);
                    return NULL;
                }
                ac.legacy = g;
                if (!window_time_col(bd, sc, g->u.call.args[0], &n->win) ||
                    !window_intervals(bd, fn, g->u.call.args + 1, g->u.call.n_args - 1, g->loc,
                                      &n->win))
                    return NULL;
                continue;
            }
        }
        struct expr *k = bind_top(bd, sc, g);
        if (k == NULL)
            return NULL;
        bool used[1024] = {false};
        expr_columns_used(k, used);
        for (int c = ac.n_from_cols; c < sc->n && c < 1024; c++)
            if (used[c]) {
                FAIL(WEIR_ERR_BIND, g->loc, "group by window_start and window_end (not '%s') "
                                            "to aggregate over windows", sc->cols[c].name);
                return NULL;
            }
        if (nk >= 63) {
            FAIL(WEIR_ERR_UNSUPPORTED, g->loc, "too many grouping keys (max 63)");
            return NULL;
        }
        keys[nk] = k;
        key_names[nk] = g->kind == AST_E_IDENT ? g->u.ident.parts[g->u.ident.n_parts - 1]
                                               : arena_sprintf(bd->a, "$key%d", nk);
        nk++;
    }
    if (from->kind == LN_WINDOW_TVF && !(has_ws && has_we)) {
        FAIL(WEIR_ERR_UNSUPPORTED, s->group_by[0]->loc,
             "a window TVF aggregation must GROUP BY window_start and window_end (grouping by "
             "other columns only would be an updating aggregation, not supported yet)");
        return NULL;
    }
    bool windowed = from->kind == LN_WINDOW_TVF || ac.legacy != NULL;
    if (!windowed && !gsets && !ac.input_updating &&
        propagate_window(n, from, keys, key_names, &nk, &ac))
        windowed = true;
    if (!windowed) {
        n->kind = LN_GROUP_AGG;
        if (gsets) {
            FAIL(WEIR_ERR_UNSUPPORTED, gsets->loc,
                 "GROUPING SETS, ROLLUP and CUBE without a window are not supported yet");
            return NULL;
        }
    }
    /* an updating input is fine in a window too (Flink 1.19, FLINK-20281; the
     * legacy GROUP BY TUMBLE/HOP/SESSION since 1.13): its -U/-D rows retract
     * from their windows, which still fire once (op_window.c) */
    /* grouping sets: their expressions become keys too; each set is the plain
     * keys plus its own */
    n->n_sets = 1;
    n->sets = arena_calloc(bd->a, 64 * sizeof(uint64_t));
    int n_plain = nk;
    if (gsets) {
        int ni = gsets->u.list.n_items;
        struct ast_expr **items = gsets->u.list.items;
        uint64_t masks[64];
        int nm = 0;
        /* the key index of every expression in the sets */
        keys = mem_realloc_arena_keys(bd, keys, nk, nk + 64);
        key_names = mem_realloc_arena_names(bd, key_names, nk, nk + 64);
        int item_key[64][16];
        int item_n[64];
        if (ni > 16 && gsets->kind != AST_E_GROUPING_SETS) {
            FAIL(WEIR_ERR_UNSUPPORTED, gsets->loc, "ROLLUP/CUBE of more than 16 columns");
            return NULL;
        }
        for (int it = 0; it < ni && it < 64; it++) {
            struct ast_expr *x = items[it];
            int cnt = x->kind == AST_E_ROW ? x->u.list.n_items : 1;
            item_n[it] = 0;
            for (int c = 0; c < cnt && c < 16; c++) {
                struct ast_expr *ae = x->kind == AST_E_ROW ? x->u.list.items[c] : x;
                struct expr *k = bind_top(bd, sc, ae);
                if (k == NULL)
                    return NULL;
                int found = -1;
                for (int q = 0; q < nk; q++)
                    if (expr_equal(k, keys[q]))
                        found = q;
                if (found < 0) {
                    if (nk >= 63) {
                        FAIL(WEIR_ERR_UNSUPPORTED, ae->loc, "too many grouping keys (max 63)");
                        return NULL;
                    }
                    keys[nk] = k;
                    key_names[nk] = ae->kind == AST_E_IDENT
                                        ? ae->u.ident.parts[ae->u.ident.n_parts - 1]
                                        : arena_sprintf(bd->a, "$key%d", nk);
                    found = nk++;
                }
                item_key[it][item_n[it]++] = found;
            }
        }
        uint64_t plain = nk ? ((n_plain == 64 ? ~0ULL : (1ULL << n_plain) - 1)) : 0;
        if (gsets->kind == AST_E_GROUPING_SETS) {
            for (int it = 0; it < ni && nm < 64; it++) {
                uint64_t m = plain;
                for (int c = 0; c < item_n[it]; c++)
                    m |= 1ULL << item_key[it][c];
                masks[nm++] = m;
            }
        } else if (gsets->kind == AST_E_ROLLUP) {
            for (int cut = ni; cut >= 0 && nm < 64; cut--) {
                uint64_t m = plain;
                for (int it = 0; it < cut; it++)
                    for (int c = 0; c < item_n[it]; c++)
                        m |= 1ULL << item_key[it][c];
                masks[nm++] = m;
            }
        } else {
            /* CUBE: every subset, the fullest first (Flink's order) */
            for (int sub = (1 << ni) - 1; sub >= 0 && nm < 64; sub--) {
                uint64_t m = plain;
                for (int it = 0; it < ni; it++)
                    if (sub & (1 << it))
                        for (int c = 0; c < item_n[it]; c++)
                            m |= 1ULL << item_key[it][c];
                masks[nm++] = m;
            }
        }
        n->n_sets = nm;
        memcpy(n->sets, masks, (size_t)nm * sizeof(uint64_t));
    } else {
        n->sets[0] = nk == 64 ? ~0ULL : (1ULL << nk) - 1;
    }
    n->n_keys = nk;
    n->keys = keys;
    /* output so far: keys, window_start, window_end, window_time */
    int cap = nk + 3 + 64;
    n->out_names = arena_calloc(bd->a, (size_t)cap * sizeof(char *));
    n->out_types = arena_calloc(bd->a, (size_t)cap * sizeof(void *));
    for (int k = 0; k < nk; k++) {
        n->out_names[k] = key_names[k];
        n->out_types[k] = type_with_time_attr(bd->a, keys[k]->type, TA_NONE);
        /* a key absent from some grouping set is NULL in that set's rows */
        for (int q = 0; q < n->n_sets; q++)
            if (!(n->sets[q] & (1ULL << k)))
                n->out_types[k] = nullable_as(bd, n->out_types[k], true);
    }
    if (windowed) {
        n->out_names[nk] = "window_start";
        n->out_names[nk + 1] = "window_end";
        n->out_names[nk + 2] = "window_time";
        window_columns(bd, &n->win, n->out_types + nk);
        n->n_out = nk + 3;
    } else {
        n->n_out = nk;
    }

    /* SELECT and HAVING, with aggregates collected */
    struct agg_ctx *saved = bd->agg;
    bd->agg = &ac;
    int ni = s->n_items;
    struct expr **sel = arena_calloc(bd->a, (size_t)(ni + 1) * sizeof(*sel));
    const char **names = arena_calloc(bd->a, (size_t)(ni + 1) * sizeof(char *));
    struct expr *having = NULL;
    bool ok = true;
    for (int i = 0; i < ni && ok; i++) {
        if (s->items[i].expr->kind == AST_E_STAR) {
            FAIL(WEIR_ERR_BIND, s->items[i].loc, "SELECT * cannot be used with GROUP BY");
            ok = false;
            break;
        }
        sel[i] = bind_top(bd, sc, s->items[i].expr);
        ok = sel[i] != NULL;
        names[i] = s->items[i].alias ? s->items[i].alias : derived_name(bd, s->items[i].expr, i);
    }
    if (ok && s->having) {
        having = bind_top(bd, sc, s->having);
        ok = having && (having = require_bool(bd, having, "HAVING condition"));
    }
    bd->agg = saved;
    if (!ok || ac.n_aggs + nk + 3 > cap) {
        if (ok)
            FAIL(WEIR_ERR_BIND, s->loc, "too many aggregates (max 64)");
        mem_free(ac.aggs);
        return NULL;
    }
    n->n_aggs = ac.n_aggs;
    n->aggs = arena_calloc(bd->a, (size_t)(ac.n_aggs + 1) * sizeof(struct agg_call));
    if (ac.n_aggs)
        memcpy(n->aggs, ac.aggs, (size_t)ac.n_aggs * sizeof(struct agg_call));
    mem_free(ac.aggs);
    for (int k = 0; k < n->n_aggs; k++) {
        n->out_names[n->n_out] = n->aggs[k].name;
        n->out_types[n->n_out] = n->aggs[k].type;
        n->n_out++;
    }
    /* the select list over the aggregation's output */
    struct lnode *calc = lnode_new(bd->p, LN_CALC, 1);
    calc->inputs[0] = n;
    calc->loc = s->loc;
    calc->n_out = ni;
    calc->exprs = arena_calloc(bd->a, (size_t)(ni + 1) * sizeof(void *));
    calc->out_names = names;
    calc->out_types = arena_calloc(bd->a, (size_t)(ni + 1) * sizeof(void *));
    for (int i = 0; i < ni; i++) {
        if (!(calc->exprs[i] = agg_rewrite(bd, &ac, sel[i])))
            return NULL;
        calc->out_types[i] = calc->exprs[i]->type;
    }
    if (having && !(calc->filter = agg_rewrite(bd, &ac, having)))
        return NULL;
    scope_from_node(bd, calc, out_sc, NULL, NULL, 0);
    return calc;
}

/* ---- SELECT --------------------------------------------------------------------------------- */

/* Flink's derived column names: the column's name, a field's name, else EXPR$i. */
static const char *derived_name(struct binder *bd, struct ast_expr *ae, int pos)
{
    if (ae->kind == AST_E_IDENT)
        return ae->u.ident.parts[ae->u.ident.n_parts - 1];
    if (ae->kind == AST_E_FIELD)
        return ae->u.field.name;
    return arena_sprintf(bd->a, "EXPR$%d", pos);
}

static struct lnode *single_row(struct binder *bd)
{
    struct lnode *v = lnode_new(bd->p, LN_VALUES, 0);
    v->n_rows = 1;
    v->rows = arena_calloc(bd->a, sizeof(*v->rows));
    v->rows[0] = NULL;
    v->n_out = 0;
    return v;
}

/* Does the expression call an aggregate function (not inside a subquery)? */
static bool has_aggregate(const struct ast_expr *e)
{
    if (e == NULL)
        return false;
    switch (e->kind) {
    case AST_E_CALL:
        if (e->u.call.over == NULL &&
            is_aggregate_name(e->u.call.name.parts[e->u.call.name.n_parts - 1]))
            return true;
        for (int i = 0; i < e->u.call.n_args; i++)
            if (has_aggregate(e->u.call.args[i]))
                return true;
        return false;
    case AST_E_UNARY: return has_aggregate(e->u.unary.arg);
    case AST_E_BINARY: return has_aggregate(e->u.binary.left) || has_aggregate(e->u.binary.right);
    case AST_E_CAST: return has_aggregate(e->u.cast.arg);
    case AST_E_CASE:
        if (has_aggregate(e->u.case_.operand) || has_aggregate(e->u.case_.else_expr))
            return true;
        for (int i = 0; i < e->u.case_.n_whens; i++)
            if (has_aggregate(e->u.case_.whens[i]) || has_aggregate(e->u.case_.thens[i]))
                return true;
        return false;
    case AST_E_IS: return has_aggregate(e->u.is.arg);
    case AST_E_BETWEEN:
        return has_aggregate(e->u.between.arg) || has_aggregate(e->u.between.lo) ||
               has_aggregate(e->u.between.hi);
    case AST_E_IN:
        if (has_aggregate(e->u.in.arg))
            return true;
        for (int i = 0; i < e->u.in.n_list; i++)
            if (has_aggregate(e->u.in.list[i]))
                return true;
        return false;
    case AST_E_LIKE: return has_aggregate(e->u.like.arg) || has_aggregate(e->u.like.pattern);
    case AST_E_ROW:
        for (int i = 0; i < e->u.list.n_items; i++)
            if (has_aggregate(e->u.list.items[i]))
                return true;
        return false;
    case AST_E_FIELD: return has_aggregate(e->u.field.base);
    default: return false;
    }
}

/* SELECT DISTINCT a, b ... = the select list grouped by all its columns. */
static struct lnode *distinct_over(struct binder *bd, struct lnode *in, struct scope *out_sc)
{
    struct lnode *n = lnode_new(bd->p, LN_GROUP_AGG, 1);
    n->inputs[0] = in;
    n->loc = in->loc;
    n->n_keys = in->n_out;
    n->keys = arena_calloc(bd->a, (size_t)(in->n_out + 1) * sizeof(*n->keys));
    for (int c = 0; c < in->n_out; c++)
        n->keys[c] = expr_column(bd->a, c, in->out_types[c]);
    n->n_sets = 1;
    n->sets = arena_calloc(bd->a, sizeof(uint64_t));
    n->sets[0] = in->n_out >= 64 ? ~0ULL : (1ULL << in->n_out) - 1;
    n->n_out = in->n_out;
    n->out_names = in->out_names;
    n->out_types = arena_calloc(bd->a, (size_t)(in->n_out + 1) * sizeof(void *));
    for (int c = 0; c < in->n_out; c++)
        n->out_types[c] = type_with_time_attr(bd->a, in->out_types[c], TA_NONE);
    scope_from_node(bd, n, out_sc, NULL, NULL, 0);
    return n;
}

static struct lnode *bind_select_rest(struct binder *bd, struct ast_select *s, struct lnode *in,
                                      struct scope *scp, bool aggregating, struct scope *out_sc);

/* ---- plan nodes built by the binder itself ------------------------------------------- */

/* A calc over in: filter (or NULL), then exprs (types are theirs). */
static struct lnode *mk_calc(struct binder *bd, struct lnode *in, struct expr *filter,
                             struct expr **exprs, const char **names, int n, struct weir_loc loc)
{
    struct lnode *c = lnode_new(bd->p, LN_CALC, 1);
    c->inputs[0] = in;
    c->loc = loc;
    c->filter = filter;
    c->n_out = n;
    c->exprs = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(void *));
    c->out_names = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(char *));
    c->out_types = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(void *));
    for (int i = 0; i < n; i++) {
        c->exprs[i] = exprs[i];
        c->out_names[i] = names[i];
        c->out_types[i] = exprs[i]->type;
    }
    return c;
}

/* Column i of n, as an expression. */
static struct expr *col_of(struct binder *bd, const struct lnode *n, int i)
{
    return expr_column(bd->a, i, n->out_types[i]);
}

static struct expr *bool_lit(struct binder *bd, bool null, struct weir_loc loc)
{
    struct expr *e = lit_new(bd, nullable_as(bd, &type_boolean, true), loc);
    e->lit.is_null = null;
    e->lit.b = !null;
    return e;
}

static struct expr *bigint_lit(struct binder *bd, int64_t v, struct weir_loc loc)
{
    struct expr *e = lit_new(bd, nullable_as(bd, &type_bigint, false), loc);
    e->lit.i = v;
    return e;
}

/* An aggregate call fn(arg) over an input that retracts when updating;
 * `name` is its EXPLAIN text. */
static bool mk_agg(struct binder *bd, struct agg_call *call, const char *fn, struct expr *arg,
                   bool updating, const char *name, struct weir_loc loc)
{
    const struct agg_def *def = agg_lookup(fn);
    if (def == NULL) {
        FAIL(WEIR_ERR_INTERNAL, loc, "aggregate %s missing", fn);
        return false;
    }
    struct expr **args = arena_calloc(bd->a, 2 * sizeof(void *));
    const struct sql_type **types = arena_calloc(bd->a, 2 * sizeof(void *));
    const char **consts = arena_calloc(bd->a, 2 * sizeof(char *));
    args[0] = arg;
    types[0] = arg->type;
    if (!agg_call_bind(bd, call, def, args, 1, types, consts, false, false, !updating, NULL, loc))
        return false;
    call->name = name;
    return true;
}

/* GROUP BY the first n_keys columns of in, computing aggs (named names). */
static struct lnode *mk_group_agg(struct binder *bd, struct lnode *in, int n_keys,
                                  struct agg_call *aggs, const char **names, int n_aggs,
                                  struct weir_loc loc)
{
    struct lnode *n = lnode_new(bd->p, LN_GROUP_AGG, 1);
    n->inputs[0] = in;
    n->loc = loc;
    n->n_keys = n_keys;
    n->keys = arena_calloc(bd->a, (size_t)(n_keys + 1) * sizeof(*n->keys));
    for (int c = 0; c < n_keys; c++)
        n->keys[c] = col_of(bd, in, c);
    n->n_sets = 1;
    n->sets = arena_calloc(bd->a, sizeof(uint64_t));
    n->sets[0] = n_keys >= 64 ? ~0ULL : (1ULL << n_keys) - 1;
    n->n_aggs = n_aggs;
    n->aggs = arena_calloc(bd->a, (size_t)(n_aggs + 1) * sizeof(*n->aggs));
    memcpy(n->aggs, aggs, (size_t)n_aggs * sizeof(*aggs));
    n->n_out = n_keys + n_aggs;
    n->out_names = arena_calloc(bd->a, (size_t)(n->n_out + 1) * sizeof(char *));
    n->out_types = arena_calloc(bd->a, (size_t)(n->n_out + 1) * sizeof(void *));
    for (int c = 0; c < n_keys; c++) {
        n->out_names[c] = in->out_names[c];
        n->out_types[c] = type_with_time_attr(bd->a, in->out_types[c], TA_NONE);
    }
    for (int a = 0; a < n_aggs; a++) {
        n->out_names[n_keys + a] = names[a];
        n->out_types[n_keys + a] = aggs[a].type;
    }
    return n;
}

static struct lnode *mk_union(struct binder *bd, struct lnode *l, struct lnode *r,
                              const struct sql_type **types, struct weir_loc loc)
{
    struct lnode *u = lnode_new(bd->p, LN_UNION, 2);
    u->loc = loc;
    u->inputs[0] = l;
    u->inputs[1] = r;
    u->n_out = l->n_out;
    u->out_names = l->out_names;
    u->out_types = types;
    return u;
}

/* ---- subqueries in WHERE: semi and anti joins ------------------------------------------ */

/* A subquery predicate: [NOT] EXISTS (q), x [NOT] IN (q), under any number
 * of NOTs. */
struct subq_pred {
    struct ast_expr *ast;            /* the term, for its place in the text */
    struct ast_expr *arg;            /* x of IN; NULL for EXISTS */
    struct ast_query *query;
    bool negated;
};

static bool as_subquery_pred(struct ast_expr *w, struct subq_pred *out)
{
    bool neg = false;
    struct ast_expr *e = w;
    while (e->kind == AST_E_UNARY && e->u.unary.op == AST_OP_NOT) {
        neg = !neg;
        e = e->u.unary.arg;
    }
    if (e->kind == AST_E_EXISTS) {
        *out = (struct subq_pred){w, NULL, e->u.subquery.query, neg};
        return true;
    }
    if (e->kind == AST_E_IN && e->u.in.query) {
        *out = (struct subq_pred){w, e->u.in.arg, e->u.in.query, neg != e->u.in.negated};
        return true;
    }
    return false;
}

/* Takes the subquery predicates out of WHERE's top-level AND into preds;
 * returns what is left (a copy where terms were taken: the AST is bound again
 * for every use of a view), NULL when nothing is. */
static struct ast_expr *take_subquery_preds(struct binder *bd, struct ast_expr *w,
                                            struct subq_pred **preds, int *n)
{
    if (w == NULL)
        return NULL;
    if (w->kind == AST_E_BINARY && w->u.binary.op == AST_OP_AND) {
        struct ast_expr *l = take_subquery_preds(bd, w->u.binary.left, preds, n);
        struct ast_expr *r = take_subquery_preds(bd, w->u.binary.right, preds, n);
        if (l == w->u.binary.left && r == w->u.binary.right)
            return w;
        if (l == NULL || r == NULL)
            return l ? l : r;
        struct ast_expr *c = arena_alloc(bd->a, sizeof(*c));
        *c = *w;
        c->u.binary.left = l;
        c->u.binary.right = r;
        return c;
    }
    struct subq_pred sp;
    if (!as_subquery_pred(w, &sp))
        return w;
    *preds = mem_realloc(*preds, (size_t)(*n + 1) * sizeof(**preds));
    (*preds)[(*n)++] = sp;
    return NULL;
}

/* The AND-ed terms of an AST condition. */
static void ast_conjuncts(struct ast_expr *e, struct ast_expr ***out, int *n)
{
    if (e == NULL)
        return;
    if (e->kind == AST_E_BINARY && e->u.binary.op == AST_OP_AND) {
        ast_conjuncts(e->u.binary.left, out, n);
        ast_conjuncts(e->u.binary.right, out, n);
        return;
    }
    *out = mem_realloc(*out, (size_t)(*n + 1) * sizeof(**out));
    (*out)[(*n)++] = e;
}

/* A subquery whose WHERE may refer to the outer query: a plain SELECT ...
 * FROM ... WHERE (the select list is all that is left of it for IN, nothing
 * for EXISTS).  Others are bound as queries of their own. */
static bool decorrelatable(const struct ast_query *q)
{
    if (q->kind != AST_Q_SELECT || q->n_with || q->n_order_by || q->limit || q->offset)
        return false;
    const struct ast_select *s = q->u.select;
    /* DISTINCT stays an aggregate, as in Flink: the right rows' kinds (which
     * a semi join passes on) are then the aggregate's */
    if (s->distinct || s->n_group_by || s->having || s->n_windows || s->from == NULL ||
        s->from->kind == AST_FROM_TVF ||
        (s->from->kind == AST_FROM_JOIN && (s->from->u.join.kind == AST_JOIN_COMMA ||
                                           s->from->u.join.kind == AST_JOIN_CROSS)))
        return false;
    for (int i = 0; i < s->n_items; i++) {
        const struct ast_expr *x = s->items[i].expr;
        if (has_aggregate(x) || (x->kind == AST_E_CALL && x->u.call.over))
            return false;
    }
    return true;
}

static bool uses_columns_below(const struct expr *e, int n)
{
    if (e->kind == EX_COLUMN)
        return e->index < n;
    for (int i = 0; i < e->n_args; i++)
        if (uses_columns_below(e->args[i], n))
            return true;
    return false;
}

static struct ast_expr *bind_subquery_preds(struct binder *bd, struct ast_expr *w,
                                            struct lnode **in, struct scope *sc, bool *failed);

/*
 * [NOT] EXISTS (q) and x [NOT] IN (q) as a term of WHERE's top-level AND:
 * *in (the FROM, scope sc) becomes a semi join (EXISTS, IN) or an anti join
 * (NOT EXISTS, NOT IN) with the subquery, as Flink's FlinkSubQueryRemoveRule
 * plans them:
 *   - the subquery's WHERE terms that refer to the outer query are the join
 *     condition: equalities between an outer and an inner expression are its
 *     keys (rows meet by key, in parallel), the rest its residual; the other
 *     terms filter the subquery's rows;
 *   - IN adds the key x = y (y the subquery's one column); NOT IN, which is
 *     null-aware in SQL (no row when the subquery has a NULL, nor for a NULL
 *     x unless the subquery is empty), adds `x IS NULL OR y IS NULL OR x = y`
 *     to the residual, simplified to the key x = y when neither can be NULL;
 *   - an EXISTS whose correlated terms (if any) read only the outer row
 *     joins, with no key, the subquery reduced to at most one row: MIN(TRUE)
 *     over it, kept when not NULL; those terms are the join's condition.
 * A join with no key (uncorrelated NOT IN over nullable columns, conditions
 * without an equality) runs in one instance, as Flink's singleton exchange.
 */
static bool bind_subquery_join(struct binder *bd, const struct subq_pred *sp, struct lnode **in,
                               struct scope *sc)
{
    struct weir_loc loc = sp->ast->loc;
    const char *what = sp->arg ? (sp->negated ? "NOT IN" : "IN")
                               : (sp->negated ? "NOT EXISTS" : "EXISTS");
    if ((*in)->kind == LN_WINDOW_TVF) {
        FAIL(WEIR_ERR_UNSUPPORTED, loc,
             "%s (subquery) in the WHERE of a window aggregation is not supported yet", what);
        return false;
    }
    struct ast_query *q = sp->query;
    bool exists = sp->arg == NULL;
    int nl = (*in)->n_out;
    struct lnode *right;
    struct expr *y = NULL;              /* IN: the subquery's column, over right */
    struct expr **corr = NULL;          /* correlated terms, over [left, right] */
    int ncorr = 0;
    struct expr *inner_filter = NULL;   /* the other terms, over the FROM */
    struct lnode *from = NULL;
    if (decorrelatable(q)) {
        struct ast_select *s = q->u.select;
        struct scope is = {0};
        from = bind_from(bd, s->from, &is);
        if (from == NULL)
            return false;
        if (from->kind == LN_WINDOW_TVF) {
            FAIL(WEIR_ERR_UNSUPPORTED, loc, "a window TVF in a subquery of WHERE is not "
                                            "supported yet");
            return false;
        }
        bool failed = false;
        struct ast_expr *where = bind_subquery_preds(bd, s->where, &from, &is, &failed);
        if (failed)
            return false;
        /* the outer row's columns, then the subquery's */
        struct scope cs = {0};
        cs.n = nl + is.n;
        cs.inner_from = nl;
        cs.cols = arena_calloc(bd->a, (size_t)(cs.n + 1) * sizeof(struct scol));
        memcpy(cs.cols, sc->cols, (size_t)nl * sizeof(struct scol));
        memcpy(cs.cols + nl, is.cols, (size_t)is.n * sizeof(struct scol));
        struct ast_expr **terms = NULL;
        int nt = 0;
        ast_conjuncts(where, &terms, &nt);
        corr = arena_calloc(bd->a, (size_t)(nt + 1) * sizeof(void *));
        struct expr **plain = arena_calloc(bd->a, (size_t)(nt + 1) * sizeof(void *));
        int nplain = 0;
        bool ok = true;
        for (int i = 0; i < nt && ok; i++) {
            struct expr *e = bind_top(bd, &cs, terms[i]);
            if (e == NULL || !(e = require_bool(bd, e, "WHERE condition"))) {
                ok = false;
                break;
            }
            if (uses_columns_below(e, nl)) {
                corr[ncorr++] = e;
            } else {
                shift_columns(e, -nl);
                plain[nplain++] = e;
            }
        }
        mem_free(terms);
        if (!ok)
            return false;
        inner_filter = and_of(bd, plain, nplain);
        /* the select list: IN's column; EXISTS ignores it (checked only) */
        int ni = s->n_items;
        for (int i = 0; i < ni; i++) {
            struct ast_expr *x = s->items[i].expr;
            if (x->kind == AST_E_STAR) {
                if (!exists && (ni != 1 || is.n != 1)) {
                    FAIL(WEIR_ERR_BIND, loc, "the subquery of %s returns %d columns; it must "
                                             "return one", what, ni == 1 ? is.n : ni);
                    return false;
                }
                if (!exists)
                    y = expr_column(bd->a, 0, is.cols[0].type);
                continue;
            }
            if (!exists && ni != 1) {
                FAIL(WEIR_ERR_BIND, loc,
                     "the subquery of %s returns %d columns; it must return one", what, ni);
                return false;
            }
            struct expr *e = bind_top(bd, &cs, x);
            if (e == NULL)
                return false;
            if (exists)
                continue;
            if (uses_columns_below(e, nl)) {
                FAIL(WEIR_ERR_UNSUPPORTED, x->loc,
                     "the select list of the subquery of %s cannot refer to the outer query", what);
                return false;
            }
            shift_columns(e, -nl);
            y = e;
        }
        right = from;
    } else {
        struct scope *saved = bd->corr_outer;
        bd->corr_outer = sc;
        struct scope qs = {0};
        right = bind_query(bd, q, &qs);
        bd->corr_outer = saved;
        if (right == NULL)
            return false;
        if (!exists && right->n_out != 1) {
            FAIL(WEIR_ERR_BIND, loc, "the subquery of %s returns %d columns; it must return one",
                 what, right->n_out);
            return false;
        }
        if (!exists)
            y = expr_column(bd->a, 0, right->out_types[0]);
    }
    struct lnode *j = lnode_new(bd->p, LN_JOIN, 2);
    j->inputs[0] = *in;
    j->loc = loc;
    j->join = sp->negated ? JOIN_ANTI : JOIN_SEMI;
    j->n_out = nl;
    j->out_names = (*in)->out_names;
    j->out_types = (*in)->out_types;
    j->lkeys = arena_calloc(bd->a, (size_t)(ncorr + 2) * sizeof(void *));
    j->rkeys = arena_calloc(bd->a, (size_t)(ncorr + 2) * sizeof(void *));
    struct expr **rest = arena_calloc(bd->a, (size_t)(ncorr + 2) * sizeof(void *));
    int nrest = 0;
    bool reads_inner = false;
    for (int i = 0; i < ncorr; i++)
        reads_inner |= (sides_used(corr[i], nl) & 2) != 0;
    if (exists && !reads_inner) {
        /* whether the subquery has a row at all: Flink's SELECT MIN(i) AS m
         * FROM (SELECT TRUE AS i FROM q) WHERE m IS NOT NULL, one row at most;
         * terms on the outer row alone are the join's condition */
        j->residual = and_of(bd, corr, ncorr);
        struct expr *t = lit_new(bd, nullable_as(bd, &type_boolean, false), loc);
        t->lit.b = true;
        const char *iname = "i", *mname = "m";
        struct lnode *c = mk_calc(bd, right, inner_filter, &t, &iname, 1, loc);
        if (c->filter && !topn_from_filter(bd, c))
            return false;
        struct agg_call min;
        if (!mk_agg(bd, &min, "MIN", col_of(bd, c, 0), plan_updating(c), "MIN(i)", loc))
            return false;
        struct lnode *agg = mk_group_agg(bd, c, 0, &min, &mname, 1, loc);
        struct expr *m = col_of(bd, agg, 0);
        struct expr *nn = mk_op(bd, OP_IS_NOT_NULL, nullable_as(bd, &type_boolean, false), loc,
                                1, &m);
        right = mk_calc(bd, agg, nn, &m, &mname, 1, loc);
    } else {
        if (from) {
            /* the subquery's rows: its FROM's columns (what the correlated
             * terms read), then IN's column; pruned to what is used below */
            int nf = from->n_out, n = nf + (y != NULL);
            struct expr **ex = arena_calloc(bd->a, (size_t)(n + 1) * sizeof(void *));
            const char **nm = arena_calloc(bd->a, (size_t)(n + 1) * sizeof(char *));
            for (int i = 0; i < nf; i++) {
                ex[i] = col_of(bd, from, i);
                nm[i] = from->out_names[i];
            }
            if (y) {
                ex[nf] = y;
                nm[nf] = q->u.select->items[0].alias
                             ? q->u.select->items[0].alias
                             : derived_name(bd, q->u.select->items[0].expr, 0);
                y = expr_column(bd->a, nf, y->type);
            }
            right = mk_calc(bd, from, inner_filter, ex, nm, n, loc);
            if (right->filter && !topn_from_filter(bd, right))
                return false;
        }
        int nr = right->n_out;
        if (y) {
            struct expr *x = bind_top(bd, sc, sp->arg);
            if (x == NULL)
                return false;
            struct expr *ys = expr_copy_tree(bd->a, y);
            shift_columns(ys, nl);
            struct expr *eq = bind_compare(bd, OP_EQ, x, ys, loc, sp->negated ? "NOT IN" : "IN");
            if (eq == NULL)
                return false;
            if (!sp->negated || (!eq->args[0]->type->nullable && !eq->args[1]->type->nullable)) {
                j->lkeys[j->n_jkeys] = eq->args[0];
                struct expr *rk = expr_copy_tree(bd->a, eq->args[1]);
                shift_columns(rk, -nl);
                j->rkeys[j->n_jkeys++] = rk;
            } else {
                /* x NOT IN (..) drops the row when any y makes x = y not FALSE */
                const struct sql_type *bt = nullable_as(bd, &type_boolean, false);
                struct expr *xa = expr_copy_tree(bd->a, eq->args[0]);
                struct expr *ya = expr_copy_tree(bd->a, eq->args[1]);
                struct expr *ors[3] = {mk_op(bd, OP_IS_NULL, bt, loc, 1, &xa),
                                       mk_op(bd, OP_IS_NULL, bt, loc, 1, &ya), eq};
                struct expr *e = mk_op(bd, OP_OR, eq->type, loc, 3, ors);
                rest[nrest++] = e;
            }
        }
        for (int i = 0; i < ncorr; i++) {
            struct expr *c = corr[i];
            if (c->kind == EX_OP && c->op == OP_EQ) {
                int s0 = sides_used(c->args[0], nl), s1 = sides_used(c->args[1], nl);
                if ((s0 == 1 && s1 == 2) || (s0 == 2 && s1 == 1)) {
                    struct expr *le = s0 == 1 ? c->args[0] : c->args[1];
                    struct expr *re = expr_copy_tree(bd->a, s0 == 1 ? c->args[1] : c->args[0]);
                    shift_columns(re, -nl);
                    j->lkeys[j->n_jkeys] = le;
                    j->rkeys[j->n_jkeys++] = re;
                    continue;
                }
            }
            rest[nrest++] = c;
        }
        j->residual = and_of(bd, rest, nrest);
        /* the right side keeps only the columns the keys and residual read */
        if (from) {
            bool *used = mem_calloc((size_t)(nl + nr + 1), sizeof(bool));
            for (int k = 0; k < j->n_jkeys; k++)
                expr_columns_used(j->rkeys[k], used + nl);
            expr_columns_used(j->residual, used);
            int *map = mem_alloc((size_t)(nl + nr + 1) * sizeof(int));
            int kept = 0;
            for (int i = 0; i < nl; i++)
                map[i] = i;
            for (int i = 0; i < nr; i++)
                if (used[nl + i] || (i == nr - 1 && kept == 0)) {
                    right->exprs[kept] = right->exprs[i];
                    right->out_names[kept] = right->out_names[i];
                    right->out_types[kept] = right->out_types[i];
                    map[nl + i] = nl + kept++;
                }
            right->n_out = kept;
            for (int k = 0; k < j->n_jkeys; k++) {
                shift_columns(j->rkeys[k], nl);
                expr_remap_columns(j->rkeys[k], map);
                shift_columns(j->rkeys[k], -nl);
            }
            expr_remap_columns(j->residual, map);
            mem_free(map);
            mem_free(used);
        }
    }
    j->inputs[1] = right;
    detect_window_join(j);
    *in = j;
    return true;
}

/*
 * The subquery predicates among WHERE's top-level AND terms become semi/anti
 * joins of *in (scope sc), in the order written.  Returns the WHERE that is
 * left (NULL when nothing is); sets *failed on an error.
 */
static struct ast_expr *bind_subquery_preds(struct binder *bd, struct ast_expr *w,
                                            struct lnode **in, struct scope *sc, bool *failed)
{
    struct subq_pred *preds = NULL;
    int n = 0;
    struct ast_expr *rest = take_subquery_preds(bd, w, &preds, &n);
    for (int i = 0; i < n && !*failed; i++)
        if (!bind_subquery_join(bd, &preds[i], in, sc))
            *failed = true;
    mem_free(preds);
    return rest;
}

static struct lnode *bind_select(struct binder *bd, struct ast_select *s, struct scope *out_sc)
{
    bool aggregating = s->n_group_by > 0 || s->having != NULL;
    for (int i = 0; i < s->n_items && !aggregating; i++)
        aggregating = has_aggregate(s->items[i].expr);
    if (s->distinct && aggregating) {
        FAIL(WEIR_ERR_UNSUPPORTED, s->loc, "SELECT DISTINCT with GROUP BY or aggregates is not "
                                           "supported yet");
        return NULL;
    }
    if (s->distinct) {
        /* bind the plain select, then group by every column */
        s->distinct = false;
        struct scope sc = {0};
        struct lnode *in = bind_select(bd, s, &sc);
        s->distinct = true;
        return in ? distinct_over(bd, in, out_sc) : NULL;
    }
    if (s->n_windows && aggregating) {
        FAIL(WEIR_ERR_UNSUPPORTED, s->windows[0].name_loc,
             "a WINDOW clause is only supported for OVER aggregates, not with GROUP BY or "
             "aggregates");
        return NULL;
    }
    struct scope sc = {0};
    struct subq_pred *preds = NULL;
    int n_preds = 0;
    struct ast_expr *where = take_subquery_preds(bd, s->where, &preds, &n_preds);
    struct lnode *in;
    const struct ast_table_ref *fr = s->from;
    if (fr && fr->kind == AST_FROM_JOIN &&
        (fr->u.join.kind == AST_JOIN_COMMA || fr->u.join.kind == AST_JOIN_CROSS ||
         (fr->u.join.kind == AST_JOIN_INNER && where && fr->u.join.on &&
          fr->u.join.right->kind != AST_FROM_UNNEST &&
          !(fr->u.join.right->kind == AST_FROM_TABLE && fr->u.join.right->u.table.system_time)))) {
        /* FROM a, b WHERE a.x = b.y ...: the WHERE is the join's condition;
         * for FROM a JOIN b ON ... WHERE ..., a part of it */
        in = bind_join(bd, s->from, where, &sc);
        where = NULL;
    } else {
        in = s->from ? bind_from(bd, s->from, &sc) : single_row(bd);
    }
    bool failed = in == NULL;
    for (int i = 0; i < n_preds && !failed; i++)
        failed = !bind_subquery_join(bd, &preds[i], &in, &sc);
    mem_free(preds);
    if (failed)
        return NULL;
    struct ast_expr *saved_where = s->where;
    s->where = where;
    struct lnode *res = bind_select_rest(bd, s, in, &sc, aggregating, out_sc);
    s->where = saved_where;
    return res;
}

static struct lnode *bind_select_rest0(struct binder *bd, struct ast_select *s, struct lnode *in,
                                       struct scope *scp, bool aggregating, struct scope *out_sc);

/* OVER calls belong to the SELECT list they are written in: an enclosing
 * query's context must not reach a subquery's */
static struct lnode *bind_select_rest(struct binder *bd, struct ast_select *s, struct lnode *in,
                                      struct scope *scp, bool aggregating, struct scope *out_sc)
{
    struct over_ctx *saved = bd->over;
    bd->over = NULL;
    struct lnode *r = bind_select_rest0(bd, s, in, scp, aggregating, out_sc);
    bd->over = saved;
    return r;
}

static struct lnode *bind_select_rest0(struct binder *bd, struct ast_select *s, struct lnode *in,
                                       struct scope *scp, bool aggregating, struct scope *out_sc)
{
    struct scope sc = *scp;
    if (aggregating) {
        if (s->where) {
            /* WHERE filters the rows before they are grouped */
            struct expr *w = bind_top(bd, &sc, s->where);
            if (w == NULL || !(w = require_bool(bd, w, "WHERE condition")))
                return NULL;
            struct lnode *input = in->kind == LN_WINDOW_TVF ? in->inputs[0] : in;
            bool used[1024] = {false};
            expr_columns_used(w, used);
            for (int c = input->n_out; c < sc.n && c < 1024; c++)
                if (used[c]) {
                    FAIL(WEIR_ERR_UNSUPPORTED, s->where->loc,
                         "WHERE on the window columns (%s) before a window aggregation is not "
                         "supported", sc.cols[c].name);
                    return NULL;
                }
            struct lnode *f = filter_over(bd, input, w, s->where->loc);
            if (in->kind == LN_WINDOW_TVF)
                in->inputs[0] = f;
            else
                in = f;
        }
        return bind_window_aggregation(bd, s, in, &sc, out_sc);
    }
    /* ROW_NUMBER() OVER (...) in the select list: a Top-N over FROM, the
     * WHERE of this SELECT (if any) filtering before it */
    struct ast_expr *rn = NULL;
    for (int i = 0; i < s->n_items; i++) {
        struct ast_expr *x = s->items[i].expr;
        if (x->kind == AST_E_CALL && x->u.call.over &&
            strcasecmp(x->u.call.name.parts[x->u.call.name.n_parts - 1], "ROW_NUMBER") == 0) {
            if (rn) {
                FAIL(WEIR_ERR_UNSUPPORTED, x->loc, "only one ROW_NUMBER() per SELECT is supported");
                return NULL;
            }
            rn = x;
        }
    }
    struct lnode *saved_rank = bd->rank;
    if (rn) {
        struct lnode *rk = bind_rank(bd, rn, s, in, &sc);
        if (rk == NULL)
            return NULL;
        in = rk;
        bd->rank = rk;
    }
    struct lnode *calc = lnode_new(bd->p, LN_CALC, 1);
    calc->inputs[0] = in;
    calc->loc = s->loc;
    if (s->where && !rn) {
        struct expr *w = bind_top(bd, &sc, s->where);
        if (w == NULL || !(w = require_bool(bd, w, "WHERE condition")))
            return NULL;
        calc->filter = w;
        if (!topn_from_filter(bd, calc))
            return NULL;
    }
    /* OVER aggregates of the select list go into one LN_OVER over `in` */
    struct over_ctx oc = {0};
    if (!rn && sc.n == in->n_out) {
        oc.s = s;
        oc.in = in;
        oc.sc = &sc;
        bd->over = &oc;
    }
    /* expand the select list */
    int cap = 0, n = 0;
    struct expr **exprs = NULL;
    const char **names = NULL;
    for (int i = 0; i < s->n_items; i++) {
        struct ast_select_item *it = &s->items[i];
        if (it->expr->kind == AST_E_STAR) {
            const struct ast_name *q = &it->expr->u.star.qualifier;
            int matched = 0;
            for (int c = 0; c < sc.n; c++) {
                if (q->n_parts && !(sc.cols[c].qual && strcmp(sc.cols[c].qual, q->parts[q->n_parts - 1]) == 0))
                    continue;
                MEM_GROW(exprs, cap, n + 1);
                names = mem_realloc(names, (size_t)cap * sizeof(char *));
                exprs[n] = expr_column(bd->a, c, sc.cols[c].type);
                names[n] = sc.cols[c].name;
                n++;
                matched++;
            }
            if (q->n_parts && matched == 0) {
                FAIL(WEIR_ERR_BIND, q->loc, "table or alias '%s' not found in FROM",
                     ast_name_str(bd->a, q));
                goto fail;
            }
            if (!s->from) {
                FAIL(WEIR_ERR_BIND, it->loc, "SELECT * needs a FROM clause");
                goto fail;
            }
            continue;
        }
        MEM_GROW(exprs, cap, n + 1);
        names = mem_realloc(names, (size_t)cap * sizeof(char *));
        exprs[n] = bind_top(bd, &sc, it->expr);
        if (exprs[n] == NULL)
            goto fail;
        names[n] = it->alias ? it->alias : derived_name(bd, it->expr, n);
        n++;
    }
    bd->rank = saved_rank;
    bd->over = NULL;
    if (oc.node) {
        /* WHERE filters the rows before they are aggregated */
        over_finish_node(bd, &oc);
        if (calc->filter) {
            struct lnode *f = filter_over(bd, in, calc->filter, s->where->loc);
            oc.node->inputs[0] = f;
            calc->filter = NULL;
        }
        calc->inputs[0] = oc.node;
    }
    calc->n_out = n;
    calc->exprs = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(void *));
    calc->out_names = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(char *));
    calc->out_types = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(void *));
    for (int i = 0; i < n; i++) {
        calc->exprs[i] = exprs[i];
        calc->out_names[i] = names[i];
        calc->out_types[i] = exprs[i]->type->id == T_NULL ? &type_null : exprs[i]->type;
    }
    mem_free(exprs);
    mem_free(names);

    scope_from_node(bd, calc, out_sc, NULL, NULL, 0);
    return calc;
fail:
    bd->over = NULL;
    mem_free(exprs);
    mem_free(names);
    return NULL;
}

/* A projection that casts node n's columns to types (a no-op is not added). */
static struct lnode *cast_node(struct binder *bd, struct lnode *n, const struct sql_type **types)
{
    bool need = false;
    for (int i = 0; i < n->n_out; i++)
        need |= !type_equal(n->out_types[i], types[i]) ||
                n->out_types[i]->nullable != types[i]->nullable;
    if (!need)
        return n;
    struct lnode *c = lnode_new(bd->p, LN_CALC, 1);
    c->inputs[0] = n;
    c->loc = n->loc;
    c->n_out = n->n_out;
    c->out_names = n->out_names;
    c->out_types = types;
    c->exprs = arena_calloc(bd->a, (size_t)(n->n_out ? n->n_out : 1) * sizeof(void *));
    for (int i = 0; i < n->n_out; i++) {
        struct expr *col = expr_column(bd->a, i, n->out_types[i]);
        c->exprs[i] = cast_to(bd, col, types[i]);
        if (c->exprs[i] != col)
            c->exprs[i]->type = types[i];
    }
    return c;
}

static struct lnode *bind_values(struct binder *bd, struct ast_query *q, struct scope *sc)
{
    int nr = q->u.values.n_rows;
    int nc = -1;
    struct expr ***rows = arena_calloc(bd->a, (size_t)nr * sizeof(*rows));
    for (int r = 0; r < nr; r++) {
        struct ast_expr *row = q->u.values.rows[r];
        int n = row->u.list.n_items;
        if (nc >= 0 && n != nc) {
            FAIL(WEIR_ERR_BIND, row->loc, "VALUES rows differ in length: %d and %d", nc, n);
            return NULL;
        }
        nc = n;
        rows[r] = arena_calloc(bd->a, (size_t)(n ? n : 1) * sizeof(struct expr *));
        for (int c = 0; c < n; c++) {
            struct expr *e = bind_top(bd, NULL, row->u.list.items[c]);
            if (e == NULL)
                return NULL;
            if (!expr_is_constant(e)) {
                FAIL(WEIR_ERR_BIND, e->loc, "VALUES items must be constant expressions");
                return NULL;
            }
            rows[r][c] = e;
        }
    }
    struct lnode *v = lnode_new(bd->p, LN_VALUES, 0);
    v->loc = q->loc;
    v->n_rows = nr;
    v->rows = rows;
    v->n_out = nc;
    v->out_names = arena_calloc(bd->a, (size_t)(nc ? nc : 1) * sizeof(char *));
    v->out_types = arena_calloc(bd->a, (size_t)(nc ? nc : 1) * sizeof(void *));
    for (int c = 0; c < nc; c++) {
        const struct sql_type *t = rows[0][c]->type;
        for (int r = 1; r < nr && t; r++)
            t = common_type(bd, t, rows[r][c]->type);
        if (t == NULL) {
            FAIL(WEIR_ERR_BIND, rows[nr - 1][c]->loc, "VALUES column %d has no common type", c + 1);
            return NULL;
        }
        if (t->id == T_NULL)
            t = &type_string;
        /* CHAR(n) literals of different lengths widen to VARCHAR */
        v->out_types[c] = t;
        v->out_names[c] = arena_sprintf(bd->a, "EXPR$%d", c);
        for (int r = 0; r < nr; r++) {
            rows[r][c] = cast_to(bd, rows[r][c], t);
            bd->p->n_folded += expr_fold(bd->a, &rows[r][c]);
        }
    }
    scope_from_node(bd, v, sc, NULL, NULL, 0);
    return v;
}

/* ---- set operations ------------------------------------------------------------------ */

/*
 * UNION [ALL], INTERSECT [ALL], EXCEPT [ALL] (MINUS), planned as Flink's
 * rules do (flink-table-planner, rules/logical), from operators that exist,
 * so that the changelog is Flink's:
 *   UNION          GroupAggregate(all columns) over UNION ALL
 *                  (Calcite's UnionToDistinctRule);
 *   INTERSECT      GroupAggregate(all columns) over a semi join on every
 *                  column IS NOT DISTINCT FROM (ReplaceIntersectWithSemiJoinRule);
 *   EXCEPT         the same over an anti join (ReplaceMinusWithAntiJoinRule);
 *   INTERSECT ALL  both sides tagged (true, null) / (null, true), UNION ALL,
 *                  COUNT of each tag per row, kept when both >= 1, each row
 *                  min(counts) times (RewriteIntersectAllRule + ReplicateRows);
 *   EXCEPT ALL     tagged 1 / -1, SUM per row, kept when > 0, that many
 *                  times (RewriteMinusAllRule).
 * Both sides are first cast to the common column types, as Calcite's
 * validator does; the result has the left side's names.
 */
static struct lnode *bind_setop(struct binder *bd, struct ast_query *q, struct scope *sc)
{
    enum ast_setop op = q->u.setop.op;
    bool all = q->u.setop.all;
    struct weir_loc loc = q->u.setop.op_loc;
    const char *opname = op == AST_SETOP_UNION       ? (all ? "UNION ALL" : "UNION")
                         : op == AST_SETOP_INTERSECT ? (all ? "INTERSECT ALL" : "INTERSECT")
                                                     : (all ? "EXCEPT ALL" : "EXCEPT");
    struct scope ls = {0}, rs = {0};
    struct lnode *l = bind_query(bd, q->u.setop.left, &ls);
    struct lnode *r = l ? bind_query(bd, q->u.setop.right, &rs) : NULL;
    if (!r)
        return NULL;
    int nc = l->n_out;
    if (nc != r->n_out) {
        FAIL(WEIR_ERR_BIND, loc, "%s branches have different numbers of columns: %d and %d",
             opname, nc, r->n_out);
        return NULL;
    }
    const struct sql_type **types = arena_calloc(bd->a, (size_t)(nc ? nc : 1) * sizeof(void *));
    for (int i = 0; i < nc; i++) {
        types[i] = common_type(bd, l->out_types[i], r->out_types[i]);
        if (types[i] == NULL) {
            FAIL(WEIR_ERR_BIND, loc, "%s column %d ('%s') is %s in one branch and %s in the other",
                 opname, i + 1, l->out_names[i], type_name(bd, l->out_types[i]),
                 type_name(bd, r->out_types[i]));
            return NULL;
        }
        if (types[i]->id == T_NULL)
            types[i] = &type_string;
        /* union keeps the time attribute only if both sides have it */
        if (l->out_types[i]->time_attr == r->out_types[i]->time_attr)
            types[i] = type_with_time_attr(bd->a, types[i], l->out_types[i]->time_attr);
    }
    l = cast_node(bd, l, types);
    r = cast_node(bd, r, types);
    if (op == AST_SETOP_UNION) {
        struct lnode *u = mk_union(bd, l, r, types, q->loc);
        if (!all) {
            u->loc = loc;
            return distinct_over(bd, u, sc);
        }
        scope_from_node(bd, u, sc, NULL, NULL, 0);
        return u;
    }
    if (!all) {
        struct lnode *j = lnode_new(bd->p, LN_JOIN, 2);
        j->inputs[0] = l;
        j->inputs[1] = r;
        j->loc = loc;
        j->join = op == AST_SETOP_INTERSECT ? JOIN_SEMI : JOIN_ANTI;
        j->null_safe = true;
        j->n_jkeys = nc;
        j->lkeys = arena_calloc(bd->a, (size_t)(nc + 1) * sizeof(void *));
        j->rkeys = arena_calloc(bd->a, (size_t)(nc + 1) * sizeof(void *));
        for (int i = 0; i < nc; i++) {
            j->lkeys[i] = col_of(bd, l, i);
            j->rkeys[i] = col_of(bd, r, i);
        }
        j->n_out = nc;
        j->out_names = l->out_names;
        j->out_types = types;
        return distinct_over(bd, j, sc);
    }
    /* the ALL variants: tag each side, count per row, replicate */
    bool intersect = op == AST_SETOP_INTERSECT;
    int nt = intersect ? 2 : 1;
    struct lnode *side[2] = {l, r};
    const struct sql_type **ut = arena_calloc(bd->a, (size_t)(nc + nt) * sizeof(void *));
    for (int s = 0; s < 2; s++) {
        struct expr **ex = arena_calloc(bd->a, (size_t)(nc + nt) * sizeof(void *));
        const char **nm = arena_calloc(bd->a, (size_t)(nc + nt) * sizeof(char *));
        for (int i = 0; i < nc; i++) {
            ex[i] = col_of(bd, side[s], i);
            nm[i] = l->out_names[i];
        }
        if (intersect) {
            ex[nc] = bool_lit(bd, s == 1, loc);
            ex[nc + 1] = bool_lit(bd, s == 0, loc);
            nm[nc] = "vcol_left_marker";
            nm[nc + 1] = "vcol_right_marker";
        } else {
            ex[nc] = bigint_lit(bd, s == 0 ? 1 : -1, loc);
            nm[nc] = "vcol_marker";
        }
        side[s] = mk_calc(bd, side[s], NULL, ex, nm, nc + nt, loc);
    }
    for (int i = 0; i < nc + nt; i++)
        ut[i] = i < nc ? types[i] : side[0]->out_types[i];
    struct lnode *u = mk_union(bd, side[0], side[1], ut, loc);
    bool updating = plan_updating(u);
    struct agg_call aggs[2];
    const char *an[2];
    if (intersect) {
        an[0] = "vcol_left_cnt";
        an[1] = "vcol_right_cnt";
        if (!mk_agg(bd, &aggs[0], "COUNT", col_of(bd, u, nc), updating,
                    "COUNT(vcol_left_marker)", loc) ||
            !mk_agg(bd, &aggs[1], "COUNT", col_of(bd, u, nc + 1), updating,
                    "COUNT(vcol_right_marker)", loc))
            return NULL;
    } else {
        an[0] = "sum_vcol_marker";
        if (!mk_agg(bd, &aggs[0], "SUM", col_of(bd, u, nc), updating, "SUM(vcol_marker)", loc))
            return NULL;
    }
    struct lnode *agg = mk_group_agg(bd, u, nc, aggs, an, nt, loc);
    /* keep the rows the result holds, with how many times: [count, columns] */
    struct expr *filter, *count;
    const struct sql_type *cond_t = nullable_as(bd, &type_boolean, false);
    if (intersect) {
        struct expr *lc = col_of(bd, agg, nc), *rc = col_of(bd, agg, nc + 1);
        struct expr *a1[2] = {lc, bigint_lit(bd, 1, loc)};
        struct expr *a2[2] = {rc, bigint_lit(bd, 1, loc)};
        struct expr *both[2] = {mk_op(bd, OP_GE, cond_t, loc, 2, a1),
                                mk_op(bd, OP_GE, cond_t, loc, 2, a2)};
        filter = mk_op(bd, OP_AND, cond_t, loc, 2, both);
        struct expr *gt[2] = {col_of(bd, agg, nc), col_of(bd, agg, nc + 1)};
        struct expr *if_args[3] = {mk_op(bd, OP_GT, cond_t, loc, 2, gt), col_of(bd, agg, nc + 1),
                                   col_of(bd, agg, nc)};
        count = mk_op(bd, OP_IF, agg->out_types[nc], loc, 3, if_args);
    } else {
        struct expr *gt[2] = {col_of(bd, agg, nc), bigint_lit(bd, 0, loc)};
        filter = mk_op(bd, OP_GT, nullable_as(bd, &type_boolean, agg->out_types[nc]->nullable),
                       loc, 2, gt);
        count = col_of(bd, agg, nc);
    }
    struct expr **ex = arena_calloc(bd->a, (size_t)(nc + 1) * sizeof(void *));
    const char **nm = arena_calloc(bd->a, (size_t)(nc + 1) * sizeof(char *));
    ex[0] = count;
    nm[0] = intersect ? "$f0" : "sum_vcol_marker";
    for (int i = 0; i < nc; i++) {
        ex[i + 1] = col_of(bd, agg, i);
        nm[i + 1] = agg->out_names[i];
    }
    struct lnode *calc = mk_calc(bd, agg, filter, ex, nm, nc + 1, loc);
    struct lnode *rep = lnode_new(bd->p, LN_REPLICATE, 1);
    rep->inputs[0] = calc;
    rep->loc = loc;
    rep->n_out = nc;
    rep->out_names = agg->out_names;
    rep->out_types = agg->out_types;
    scope_from_node(bd, rep, sc, NULL, NULL, 0);
    return rep;
}

static struct lnode *bind_query_body(struct binder *bd, struct ast_query *q, struct scope *sc)
{
    switch (q->kind) {
    case AST_Q_SELECT:
        return bind_select(bd, q->u.select, sc);
    case AST_Q_VALUES:
        return bind_values(bd, q, sc);
    case AST_Q_SETOP:
        return bind_setop(bd, q, sc);
    }
    return NULL;
}

static struct lnode *bind_query(struct binder *bd, struct ast_query *q, struct scope *sc)
{
    if (q->n_order_by || q->limit || q->offset) {
        FAIL(WEIR_ERR_UNSUPPORTED, q->n_order_by ? q->order_by[0].loc
                                   : q->limit ? q->limit->loc : q->offset->loc,
             "ORDER BY / LIMIT on a stream are not supported yet");
        return NULL;
    }
    if (q->with_recursive) {
        FAIL(WEIR_ERR_UNSUPPORTED, q->loc, "WITH RECURSIVE is not supported");
        return NULL;
    }
    int saved = bd->n_ctes;
    for (int i = 0; i < q->n_with; i++) {
        if (bd->n_ctes >= 64) {
            FAIL(WEIR_ERR_BIND, q->with[i].name_loc, "too many WITH queries (max 64)");
            return NULL;
        }
        bd->ctes[bd->n_ctes++] = (struct cte){q->with[i].name, q->with[i].query, q->with[i].cols,
                                              q->with[i].n_cols};
    }
    struct lnode *n = bind_query_body(bd, q, sc);
    bd->n_ctes = saved;
    return n;
}

/* ---- statements -------------------------------------------------------------------------------- */

static void cat_add_table(struct catalog *c, struct cat_table *t)
{
    MEM_GROW(c->tables, c->cap_tables, c->n_tables + 1);
    c->tables[c->n_tables++] = t;
}

static bool name_taken(struct binder *bd, const char *name)
{
    return find_table(&bd->p->cat, name) || find_view(&bd->p->cat, name);
}

/*
 * METADATA columns that read the format's metadata (debezium-json's
 * 'source.timestamp', ...): as in Flink, only a connector that forwards it
 * serves it, under its prefix ('value.' for log, as Kafka), the key must be
 * one the format has, and the declared type castable from the key's.
 */
static int check_format_metadata(struct binder *bd, const struct cat_table *t)
{
    const struct format_def *f = t->format;
    if (f == NULL || f->metadata == NULL)
        return WEIR_OK;
    const char *pre = t->conn->format_metadata_prefix;
    size_t np = pre ? strlen(pre) : 0;
    for (int i = 0; i < t->n_cols; i++) {
        const struct cat_column *c = &t->cols[i];
        if (c->kind != CAT_METADATA)
            continue;
        const char *k = c->meta_key;
        if (pre == NULL) {
            /* the key is the connector's to judge, unless it names the format's */
            const char *bare = strncmp(k, "value.", 6) == 0 ? k + 6 : k;
            if (format_meta_find(f, bare) == NULL)
                continue;
            struct strbuf sb = {0};
            for (int x = 0; conn_at(x); x++)
                if (conn_at(x)->format_metadata_prefix)
                    sb_addf(&sb, "%s%s (as '%s%s')", sb.len ? ", " : "", conn_at(x)->name,
                            conn_at(x)->format_metadata_prefix, bare);
            FAIL(WEIR_ERR_UNSUPPORTED, c->loc,
                 "metadata column '%s': connector '%s' does not forward the metadata of "
                 "format '%s' (neither does Flink's); connectors that do: %s", c->name,
                 t->conn->name, f->name, sb.buf);
            sb_free(&sb);
            return WEIR_ERR_UNSUPPORTED;
        }
        if (strncmp(k, pre, np) != 0)
            continue;   /* the connector's own key */
        const struct format_meta *m = format_meta_find(f, k + np);
        if (m == NULL) {
            struct strbuf sb = {0};
            for (const struct format_meta *x = f->metadata; x->key; x++)
                sb_addf(&sb, "%s%s%s", sb.len ? ", " : "", pre, x->key);
            FAIL(WEIR_ERR_CONFIG, c->loc,
                 "table '%s': unknown metadata key '%s' of format '%s'; available: %s",
                 t->name, k, f->name, sb.buf);
            sb_free(&sb);
            return WEIR_ERR_CONFIG;
        }
        if (!cast_allowed(m->type, c->type, true))
            return FAIL(WEIR_ERR_BIND, c->loc,
                        "metadata column '%s' ('%s') cannot be declared as %s: its type "
                        "must be castable from the metadata's type %s", c->name, k,
                        type_to_sql(bd->a, c->type), type_to_sql(bd->a, m->type));
    }
    return WEIR_OK;
}

static int bind_create_table(struct binder *bd, struct ast_stmt *s)
{
    struct ast_create_table *ct = &s->u.create_table;
    const char *name = simple_name(bd, &ct->name);
    if (name == NULL)
        return bd->err->code;
    if (ct->like)
        return FAIL(WEIR_ERR_UNSUPPORTED, ct->like->loc, "CREATE TABLE ... LIKE is not supported yet");
    if (ct->as_query)
        return FAIL(WEIR_ERR_UNSUPPORTED, s->loc, "CREATE TABLE ... AS SELECT is not supported yet");
    if (name_taken(bd, name)) {
        if (ct->if_not_exists)
            return WEIR_OK;
        return FAIL(WEIR_ERR_BIND, ct->name.loc, "table or view '%s' already exists", name);
    }
    struct cat_table *t = arena_calloc(bd->a, sizeof(*t));
    t->name = name;
    t->loc = ct->name.loc;
    t->rowtime_col = -1;
    t->n_cols = ct->n_columns;
    t->cols = arena_calloc(bd->a, (size_t)(ct->n_columns ? ct->n_columns : 1) * sizeof(*t->cols));
    for (int i = 0; i < ct->n_columns; i++) {
        struct ast_column *ac = &ct->columns[i];
        for (int j = 0; j < i; j++)
            if (strcmp(t->cols[j].name, ac->name) == 0)
                return FAIL(WEIR_ERR_BIND, ac->name_loc, "column '%s' is declared twice", ac->name);
        struct cat_column *cc = &t->cols[i];
        cc->name = ac->name;
        cc->loc = ac->name_loc;
        cc->type = ac->type;
        cc->expr = ac->expr;
        cc->kind = ac->kind == AST_COL_COMPUTED ? CAT_COMPUTED
                   : ac->kind == AST_COL_METADATA ? CAT_METADATA
                                                  : CAT_PHYSICAL;
        cc->meta_key = ac->metadata_key ? ac->metadata_key : ac->name;
        cc->is_virtual = ac->is_virtual;
    }
    /* computed columns: bind now, against the non-computed columns, to learn
     * their types and report errors at CREATE time */
    struct scope psc = {0, arena_calloc(bd->a, (size_t)(t->n_cols ? t->n_cols : 1) * sizeof(struct scol))};
    for (int i = 0; i < t->n_cols; i++)
        if (t->cols[i].kind != CAT_COMPUTED)
            psc.cols[psc.n++] = (struct scol){NULL, t->cols[i].name, t->cols[i].type};
    for (int i = 0; i < t->n_cols; i++) {
        if (t->cols[i].kind != CAT_COMPUTED)
            continue;
        struct expr *e = bind_top(bd, &psc, t->cols[i].expr);
        if (e == NULL)
            return bd->err->code;
        t->cols[i].type = e->type;
    }
    if (ct->n_watermarks > 1)
        return FAIL(WEIR_ERR_BIND, ct->watermarks[1].loc, "a table can have only one WATERMARK");
    if (ct->n_watermarks == 1) {
        struct ast_watermark *w = &ct->watermarks[0];
        if (w->column.n_parts != 1)
            return FAIL(WEIR_ERR_UNSUPPORTED, w->column.loc,
                        "a WATERMARK on a nested field is not supported; add a computed column");
        int col = -1;
        for (int i = 0; i < t->n_cols; i++)
            if (strcmp(t->cols[i].name, w->column.parts[0]) == 0)
                col = i;
        if (col < 0)
            return FAIL(WEIR_ERR_BIND, w->column.loc,
                        "WATERMARK FOR '%s': no such column in table '%s'", w->column.parts[0],
                        name);
        const struct sql_type *ty = t->cols[col].type;
        if (!type_is_timestamp(ty) || ty->precision > 3)
            return FAIL(WEIR_ERR_BIND, w->column.loc,
                        "WATERMARK FOR '%s': the column must be TIMESTAMP(3) or TIMESTAMP_LTZ(3), "
                        "not %s",
                        w->column.parts[0], type_name(bd, ty));
        struct scope wsc = {0, arena_calloc(bd->a, (size_t)t->n_cols * sizeof(struct scol))};
        for (int i = 0; i < t->n_cols; i++)
            wsc.cols[wsc.n++] = (struct scol){NULL, t->cols[i].name, t->cols[i].type};
        struct expr *we = bind_top(bd, &wsc, w->expr);
        if (we == NULL)
            return bd->err->code;
        if (!type_is_timestamp(we->type))
            return FAIL(WEIR_ERR_BIND, w->expr->loc,
                        "the WATERMARK expression must be a timestamp, not %s",
                        type_name(bd, we->type));
        t->rowtime_col = col;
        t->watermark = w->expr;
    }
    if (ct->primary_key) {
        struct ast_primary_key *pk = ct->primary_key;
        if (pk->enforced)
            return FAIL(WEIR_ERR_BIND, pk->loc,
                        "Flink does not support ENFORCED primary keys: write PRIMARY KEY (...) NOT ENFORCED");
        t->n_pk = pk->n_cols;
        t->pk = arena_calloc(bd->a, (size_t)pk->n_cols * sizeof(int));
        for (int k = 0; k < pk->n_cols; k++) {
            t->pk[k] = -1;
            for (int i = 0; i < t->n_cols; i++)
                if (strcmp(t->cols[i].name, pk->cols[k]) == 0)
                    t->pk[k] = i;
            if (t->pk[k] < 0)
                return FAIL(WEIR_ERR_BIND, pk->col_locs[k], "PRIMARY KEY column '%s' not found",
                            pk->cols[k]);
            /* key columns become NOT NULL */
            t->cols[t->pk[k]].type = nullable_as(bd, t->cols[t->pk[k]].type, false);
        }
    } else {
        int npk = 0;
        for (int i = 0; i < ct->n_columns; i++)
            npk += ct->columns[i].primary_key;
        if (npk) {
            t->n_pk = npk;
            t->pk = arena_calloc(bd->a, (size_t)npk * sizeof(int));
            npk = 0;
            for (int i = 0; i < ct->n_columns; i++)
                if (ct->columns[i].primary_key)
                    t->pk[npk++] = i;
        }
    }
    t->n_part = ct->n_partitioned_by;
    t->part = arena_calloc(bd->a, (size_t)(t->n_part ? t->n_part : 1) * sizeof(int));
    for (int k = 0; k < t->n_part; k++) {
        t->part[k] = -1;
        for (int i = 0; i < t->n_cols; i++)
            if (strcmp(t->cols[i].name, ct->partitioned_by[k]) == 0)
                t->part[k] = i;
        if (t->part[k] < 0)
            return FAIL(WEIR_ERR_BIND, ct->partitioned_by_locs[k],
                        "PARTITIONED BY column '%s' not found", ct->partitioned_by[k]);
    }
    /* options: the connector must exist; full validation happens per role */
    t->n_options = ct->n_options;
    t->opt_keys = arena_calloc(bd->a, (size_t)(ct->n_options + 1) * sizeof(char *));
    t->opt_values = arena_calloc(bd->a, (size_t)(ct->n_options + 1) * sizeof(char *));
    t->with_loc = ct->n_options ? ct->options[0].key_loc : ct->name.loc;
    t->opt_key_locs = arena_calloc(bd->a, (size_t)(ct->n_options + 1) * sizeof(struct weir_loc));
    t->opt_value_locs = arena_calloc(bd->a, (size_t)(ct->n_options + 1) * sizeof(struct weir_loc));
    for (int i = 0; i < ct->n_options; i++) {
        t->opt_keys[i] = ct->options[i].key;
        t->opt_values[i] = ct->options[i].value ? ct->options[i].value : "";
        t->opt_key_locs[i] = ct->options[i].key_loc;
        t->opt_value_locs[i] = ct->options[i].value_loc;
    }
    char **nk, **nv;
    int nn = conn_normalize_options(t->n_options, t->opt_keys, t->opt_values, &nk, &nv);
    const char *cname = NULL, *fname = NULL;
    for (int i = 0; i < nn; i++) {
        if (strcmp(nk[i], "connector") == 0)
            cname = arena_strdup(bd->a, nv[i]);
        if (strcmp(nk[i], "format") == 0 || strcmp(nk[i], "value.format") == 0)
            fname = arena_strdup(bd->a, nv[i]);
    }
    conn_options_free(nn, nk, nv);
    struct weir_loc cloc = t->with_loc;
    for (int i = 0; i < ct->n_options; i++)
        if (strcmp(ct->options[i].key, "connector") == 0 ||
            strcmp(ct->options[i].key, "connector.type") == 0)
            cloc = ct->options[i].value_loc;
    if (cname == NULL)
        return FAIL(WEIR_ERR_CONFIG, ct->name.loc,
                    "table '%s' has no 'connector' option in WITH (...)", name);
    t->conn = conn_lookup(cname);
    if (t->conn == NULL) {
        struct strbuf sb = {0};
        conn_names(&sb);
        FAIL(WEIR_ERR_CONFIG, cloc, "table '%s': unknown connector '%s'; available: %s", name,
             cname, sb.buf);
        sb_free(&sb);
        return WEIR_ERR_CONFIG;
    }
    for (int i = 0; i < t->n_cols; i++)
        if (t->cols[i].kind == CAT_METADATA && !t->conn->has_metadata) {
            struct strbuf sb = {0};
            for (int c = 0; conn_at(c); c++)
                if (conn_at(c)->has_metadata)
                    sb_addf(&sb, "%s%s", sb.len ? ", " : "", conn_at(c)->name);
            FAIL(WEIR_ERR_UNSUPPORTED, t->cols[i].loc,
                 "metadata column '%s': connector '%s' has no metadata (these have: %s)",
                 t->cols[i].name, cname, sb.buf);
            sb_free(&sb);
            return WEIR_ERR_UNSUPPORTED;
        }
    if (fname)
        t->format = format_lookup(fname);   /* an unknown format is reported by conn_validate */
    int frc = check_format_metadata(bd, t);
    if (frc != WEIR_OK)
        return frc;
    cat_add_table(&bd->p->cat, t);
    return WEIR_OK;
}

static int bind_create_view(struct binder *bd, struct ast_stmt *s)
{
    struct ast_create_view *cv = &s->u.create_view;
    const char *name = simple_name(bd, &cv->name);
    if (name == NULL)
        return bd->err->code;
    if (name_taken(bd, name)) {
        if (cv->if_not_exists)
            return WEIR_OK;
        return FAIL(WEIR_ERR_BIND, cv->name.loc, "table or view '%s' already exists", name);
    }
    /* bind once now so mistakes in a view are reported at its definition */
    struct scope sc = {0};
    struct lnode *n = bind_named_query(bd, cv->query, cv->cols, cv->n_cols, name, cv->name.loc,
                                       &sc, name);
    if (n == NULL)
        return bd->err->code;
    struct cat_view *v = arena_calloc(bd->a, sizeof(*v));
    v->name = name;
    v->query = cv->query;
    v->cols = cv->cols;
    v->n_cols = cv->n_cols;
    v->loc = cv->name.loc;
    struct catalog *c = &bd->p->cat;
    MEM_GROW(c->views, c->cap_views, c->n_views + 1);
    c->views[c->n_views++] = v;
    return WEIR_OK;
}

static int bind_create_function(struct binder *bd, struct ast_stmt *s)
{
    struct ast_create_function *cf = &s->u.create_function;
    const char *name = simple_name(bd, &cf->name);
    if (name == NULL)
        return bd->err->code;
    if (cf->language && strcasecmp(cf->language, "JAVA") != 0 &&
        strcasecmp(cf->language, "SCALA") != 0)
        return FAIL(WEIR_ERR_UNSUPPORTED, s->loc,
                    "CREATE FUNCTION ... LANGUAGE %s is not supported", cf->language);
    const struct func_def *def = func_lookup_class(cf->class_name);
    if (def == NULL)
        return FAIL(WEIR_ERR_UNSUPPORTED, cf->class_loc,
                    "function class '%s' has no native implementation in weir (weir cannot load "
                    "JVM classes); built-in classes: com.github.nexmark.flink.udf.CountChar",
                    cf->class_name);
    struct catalog *c = &bd->p->cat;
    for (int i = 0; i < c->n_functions; i++)
        if (strcasecmp(c->functions[i].name, name) == 0) {
            if (cf->if_not_exists)
                return WEIR_OK;
            return FAIL(WEIR_ERR_BIND, cf->name.loc, "function '%s' already exists", name);
        }
    MEM_GROW(c->functions, c->cap_functions, c->n_functions + 1);
    c->functions[c->n_functions++] = (struct cat_function){name, def};
    return WEIR_OK;
}

static int bind_drop(struct binder *bd, struct ast_stmt *s)
{
    struct ast_drop *d = &s->u.drop;
    const char *name = simple_name(bd, &d->name);
    if (name == NULL)
        return bd->err->code;
    struct catalog *c = &bd->p->cat;
    if (d->kind == AST_DROP_TABLE) {
        for (int i = c->n_tables - 1; i >= 0; i--)
            if (strcmp(c->tables[i]->name, name) == 0) {
                memmove(&c->tables[i], &c->tables[i + 1], (size_t)(c->n_tables - i - 1) * sizeof(void *));
                c->n_tables--;
                return WEIR_OK;
            }
    } else if (d->kind == AST_DROP_VIEW) {
        for (int i = c->n_views - 1; i >= 0; i--)
            if (strcmp(c->views[i]->name, name) == 0) {
                memmove(&c->views[i], &c->views[i + 1], (size_t)(c->n_views - i - 1) * sizeof(void *));
                c->n_views--;
                return WEIR_OK;
            }
    } else {
        for (int i = c->n_functions - 1; i >= 0; i--)
            if (strcasecmp(c->functions[i].name, name) == 0) {
                memmove(&c->functions[i], &c->functions[i + 1],
                        (size_t)(c->n_functions - i - 1) * sizeof(c->functions[0]));
                c->n_functions--;
                return WEIR_OK;
            }
    }
    if (d->if_exists)
        return WEIR_OK;
    return FAIL(WEIR_ERR_BIND, d->name.loc, "%s '%s' does not exist",
                d->kind == AST_DROP_TABLE ? "table" : d->kind == AST_DROP_VIEW ? "view" : "function",
                name);
}

/* Binds INSERT INTO t [cols] query into an LN_SINK (table NULL = stdout). */
static int bind_insert(struct binder *bd, struct ast_stmt *s)
{
    struct ast_insert *ins = &s->u.insert;
    const char *name = simple_name(bd, &ins->table);
    if (name == NULL)
        return bd->err->code;
    if (ins->overwrite)
        return FAIL(WEIR_ERR_UNSUPPORTED, s->loc, "INSERT OVERWRITE is only for batch jobs");
    if (ins->n_partition)
        return FAIL(WEIR_ERR_UNSUPPORTED, ins->partition[0].key_loc,
                    "static partition specs (PARTITION (...)) are not supported yet");
    if (ins->n_hints)
        return FAIL(WEIR_ERR_UNSUPPORTED, ins->hints[0].loc, "sink hints are not supported yet");
    struct cat_table *t = find_table(&bd->p->cat, name);
    if (t == NULL) {
        if (find_view(&bd->p->cat, name))
            return FAIL(WEIR_ERR_BIND, ins->table.loc, "cannot INSERT INTO view '%s'", name);
        struct strbuf sb = {0};
        list_relations(bd, &sb);
        FAIL(WEIR_ERR_BIND, ins->table.loc, "table '%s' not found; known: %s", name, sb.buf);
        sb_free(&sb);
        return WEIR_ERR_BIND;
    }
    struct scope sc = {0};
    struct lnode *q = bind_query(bd, ins->query, &sc);
    if (q == NULL)
        return bd->err->code;
    /* the sink's columns: physical and writable metadata, in declared order */
    int nt = 0;
    int *tcols = arena_calloc(bd->a, (size_t)(t->n_cols ? t->n_cols : 1) * sizeof(int));
    for (int i = 0; i < t->n_cols; i++)
        if (t->cols[i].kind == CAT_PHYSICAL ||
            (t->cols[i].kind == CAT_METADATA && !t->cols[i].is_virtual))
            tcols[nt++] = i;
    /* which query column feeds each sink column (-1 = NULL) */
    int *src = arena_calloc(bd->a, (size_t)(nt ? nt : 1) * sizeof(int));
    if (ins->n_cols) {
        for (int k = 0; k < nt; k++)
            src[k] = -1;
        if (ins->n_cols != q->n_out)
            return FAIL(WEIR_ERR_BIND, ins->query->loc,
                        "INSERT INTO %s lists %d columns but the query produces %d", name,
                        ins->n_cols, q->n_out);
        for (int c = 0; c < ins->n_cols; c++) {
            int found = -1;
            for (int k = 0; k < nt; k++)
                if (strcmp(t->cols[tcols[k]].name, ins->cols[c]) == 0)
                    found = k;
            if (found < 0)
                return FAIL(WEIR_ERR_BIND, ins->col_locs[c],
                            "table '%s' has no writable column '%s'", name, ins->cols[c]);
            src[found] = c;
        }
    } else {
        if (q->n_out != nt) {
            struct strbuf sb = {0};
            for (int k = 0; k < nt; k++)
                sb_addf(&sb, "%s%s %s", k ? ", " : "", t->cols[tcols[k]].name,
                        type_name(bd, t->cols[tcols[k]].type));
            FAIL(WEIR_ERR_BIND, ins->query->loc,
                 "INSERT INTO %s: the query produces %d columns but the table has %d (%s)", name,
                 q->n_out, nt, sb.buf ? sb.buf : "");
            sb_free(&sb);
            return WEIR_ERR_BIND;
        }
        for (int k = 0; k < nt; k++)
            src[k] = k;
    }
    struct lnode *calc = lnode_new(bd->p, LN_CALC, 1);
    calc->inputs[0] = q;
    calc->loc = s->loc;
    calc->n_out = nt;
    calc->exprs = arena_calloc(bd->a, (size_t)(nt ? nt : 1) * sizeof(void *));
    calc->out_names = arena_calloc(bd->a, (size_t)(nt ? nt : 1) * sizeof(char *));
    calc->out_types = arena_calloc(bd->a, (size_t)(nt ? nt : 1) * sizeof(void *));
    for (int k = 0; k < nt; k++) {
        const struct cat_column *tc = &t->cols[tcols[k]];
        struct expr *e;
        if (src[k] < 0) {
            e = lit_new(bd, nullable_as(bd, tc->type, true), ins->table.loc);
            e->lit.is_null = true;
            if (!tc->type->nullable)
                return FAIL(WEIR_ERR_BIND, ins->table.loc,
                            "column '%s' of table '%s' is NOT NULL but the INSERT does not "
                            "give it a value", tc->name, name);
        } else {
            const struct sql_type *from = q->out_types[src[k]];
            if (!assignable(from, tc->type))
                return FAIL(WEIR_ERR_BIND, ins->query->loc,
                            "INSERT INTO %s: column %d of the query ('%s', %s) cannot be "
                            "written to column '%s' %s; use CAST", name, src[k] + 1,
                            q->out_names[src[k]], type_name(bd, from), tc->name,
                            type_name(bd, tc->type));
            e = expr_column(bd->a, src[k], from);
            if ((type_is_string(from) && type_is_string(tc->type)) ||
                (type_is_binary(from) && type_is_binary(tc->type))) {
                /* lengths are not enforced on write (Flink's default
                 * table.exec.sink.type-length-enforcer = IGNORE) */
                e->type = nullable_as(bd, tc->type, from->nullable);
            } else
                e = cast_to(bd, e, tc->type);
        }
        calc->exprs[k] = e;
        calc->out_names[k] = tc->name;
        calc->out_types[k] = tc->type;
    }
    if (plan_updating(q) && !t->conn->accepts_updates &&
        !(t->format != NULL && t->format->changelog)) {   /* debezium-json, canal-json */
        struct strbuf lb = {0};
        const struct lnode *u = q;
        while (u->kind != LN_GROUP_AGG && u->n_inputs)
            u = u->inputs[0];
        const char *hint = "aggregate over windows";
        if (u->kind == LN_GROUP_AGG)
            plan_node_label(u, &lb);
        else if (u->kind == LN_SCAN && plan_updating(u)) {
            sb_addf(&lb, "the scan of table '%s' (format '%s')", u->table->name,
                    u->table->format->name);
            hint = "give the sink a changelog format (debezium-json, canal-json)";
        }
        FAIL(WEIR_ERR_BIND, ins->table.loc,
             "table sink '%s' (connector '%s') doesn't support consuming update changes, which "
             "are produced by %s; write to a sink that accepts updates (print, blackhole) or "
             "%s", name, t->conn->name, lb.len ? lb.buf : "an aggregation", hint);
        sb_free(&lb);
        return WEIR_ERR_BIND;
    }
    /* upsert sinks (sqlite) apply updates by key: without one an update
     * cannot find the row it replaces */
    if (plan_updating(q) && t->conn->updates_need_pk && t->n_pk == 0)
        return FAIL(WEIR_ERR_BIND, ins->table.loc,
                    "table sink '%s' (connector '%s') receives update changes but has no "
                    "primary key; declare PRIMARY KEY (..) NOT ENFORCED on the key the "
                    "updates are for (e.g. the GROUP BY columns)", name, t->conn->name);
    /* validated for writing (the same key/value set serves both roles) */
    struct opt_set *o = NULL;
    struct weir_error e2 = {0};
    if (conn_validate(t->conn, t->format, t->name, t->n_options, t->opt_keys, t->opt_values,
                      false, &o, &e2) != WEIR_OK) {
        int code = e2.code;
        err_set_at(bd->err, code, e2.loc.offset >= 0 ? e2.loc : option_loc(t, e2.message), "%s",
                   e2.message);
        err_clear(&e2);
        return code;
    }
    if (t->opts == NULL)
        t->opts = o;
    else
        opt_set_free(o);
    struct lnode *sink = lnode_new(bd->p, LN_SINK, 1);
    sink->inputs[0] = calc;
    sink->table = t;
    sink->loc = s->loc;
    sink->n_out = nt;
    sink->out_names = calc->out_names;
    sink->out_types = calc->out_types;
    add_sink(bd->p, sink);
    return WEIR_OK;
}

static void add_sink(struct job_plan *p, struct lnode *sink)
{
    /* a row number that reaches the sink makes its Top-N update every rank
     * whose row changes (Flink's rank-number output) */
    topn_output_check(NULL, sink);
    p->sinks = mem_realloc(p->sinks, (size_t)(p->n_sinks + 1) * sizeof(*p->sinks));
    p->sinks[p->n_sinks++] = sink;
}

static int bind_bare_query(struct binder *bd, struct ast_stmt *s)
{
    struct scope sc = {0};
    struct lnode *q = bind_query(bd, s->u.query.query, &sc);
    if (q == NULL)
        return bd->err->code;
    struct lnode *sink = lnode_new(bd->p, LN_SINK, 1);
    sink->inputs[0] = q;
    sink->table = NULL;   /* results go to stdout, as the SQL client shows them */
    sink->loc = s->loc;
    sink->n_out = q->n_out;
    sink->out_names = q->out_names;
    sink->out_types = q->out_types;
    add_sink(bd->p, sink);
    return WEIR_OK;
}

static const char *zone_after_insert_msg =
    "'table.local-time-zone' changes after an INSERT: weir runs the whole script as one "
    "job with one session time zone; set it once, before the first INSERT";

static int bind_set(struct binder *bd, struct ast_stmt *s)
{
    struct catalog *c = &bd->p->cat;
    if (s->kind == AST_S_RESET) {
        const char *k = s->u.reset.key;
        if ((k == NULL || strcmp(k, "table.local-time-zone") == 0) &&
            plan_config(bd->p, "table.local-time-zone")) {
            if (bd->p->n_sinks > 0)
                return FAIL(WEIR_ERR_UNSUPPORTED, s->loc, "%s", zone_after_insert_msg);
            dt_zone_set("UTC", NULL);
        }
        int m = 0;
        for (int i = 0; i < c->n_config; i++)
            if (k && strcmp(c->config[i].key, k) != 0)
                c->config[m++] = c->config[i];
        c->n_config = m;
        return WEIR_OK;
    }
    if (s->u.set.key == NULL)
        return FAIL(WEIR_ERR_UNSUPPORTED, s->loc, "SET without a key (listing options) is not supported");
    struct strbuf warn = {0};
    struct weir_error e2 = {0};
    if (config_check(s->u.set.key, s->u.set.value, &warn, &e2) != WEIR_OK) {
        int code = e2.code;
        err_set_at(bd->err, code, s->u.set.value_loc, "%s", e2.message);
        err_clear(&e2);
        sb_free(&warn);
        return code;
    }
    if (warn.len && !bd->p->quiet) {
        int line, col;
        err_line_col(bd->p->text, s->u.set.key_loc.offset, &line, &col);
        fprintf(stderr, "%s:%d:%d: warning: %s\n", bd->p->file ? bd->p->file : "<sql>", line, col,
                warn.buf);
    }
    sb_free(&warn);
    if (strcmp(s->u.set.key, "table.local-time-zone") == 0 && bd->p->n_sinks > 0) {
        /* the session zone is one per process at run time: a script whose
         * INSERTs would see different zones cannot run as one job */
        const char *prev = plan_config(bd->p, "table.local-time-zone");
        if (!(prev && strcmp(prev, s->u.set.value) == 0) &&
            !(prev == NULL && (strcasecmp(s->u.set.value, "UTC") == 0 ||
                               strcasecmp(s->u.set.value, "default") == 0)))
            return FAIL(WEIR_ERR_UNSUPPORTED, s->loc, "%s", zone_after_insert_msg);
    }
    MEM_GROW(c->config, c->cap_config, c->n_config + 1);
    c->config[c->n_config++] = (struct config_entry){s->u.set.key, s->u.set.value, s->u.set.key_loc};
    if (strcmp(s->u.set.key, "table.local-time-zone") == 0) {
        /* the session zone is one per process at run time: a script whose
         * INSERTs would see different zones cannot run as one job */
        struct weir_error e3 = {0};
        if (dt_zone_set(s->u.set.value, &e3) != WEIR_OK) {
            int code = e3.code;
            err_set_at(bd->err, code, s->u.set.value_loc, "%s", e3.message);
            err_clear(&e3);
            return code;
        }
    }
    return WEIR_OK;
}

static int bind_stmt(struct binder *bd, struct ast_stmt *s)
{
    switch (s->kind) {
    case AST_S_CREATE_TABLE: return bind_create_table(bd, s);
    case AST_S_CREATE_VIEW: return bind_create_view(bd, s);
    case AST_S_CREATE_FUNCTION: return bind_create_function(bd, s);
    case AST_S_DROP: return bind_drop(bd, s);
    case AST_S_SET:
    case AST_S_RESET: return bind_set(bd, s);
    case AST_S_INSERT: return bind_insert(bd, s);
    case AST_S_STATEMENT_SET:
        for (int i = 0; i < s->u.statement_set.n_inserts; i++) {
            int rc = bind_insert(bd, s->u.statement_set.inserts[i]);
            if (rc)
                return rc;
        }
        return WEIR_OK;
    case AST_S_QUERY: return bind_bare_query(bd, s);
    case AST_S_EXPLAIN:
        return FAIL(WEIR_ERR_UNSUPPORTED, s->loc,
                    "EXPLAIN inside a script is not supported; run `weir explain FILE`");
    case AST_S_OTHER: {
        const char *k = s->u.other.keyword;
        if (strcasecmp(k, "USE") == 0 || strcasecmp(k, "CREATE DATABASE") == 0 ||
            strcasecmp(k, "CREATE CATALOG") == 0 || strcasecmp(k, "ADD JAR") == 0 ||
            strcasecmp(k, "USE CATALOG") == 0) {
            if (bd->p->quiet)
                return WEIR_OK;
            int line, col;
            err_line_col(bd->p->text, s->loc.offset, &line, &col);
            fprintf(stderr, "%s:%d:%d: warning: %s is ignored: weir has one catalog and database\n",
                    bd->p->file ? bd->p->file : "<sql>", line, col, k);
            return WEIR_OK;
        }
        return FAIL(WEIR_ERR_UNSUPPORTED, s->loc, "%s statements are not supported in a job script", k);
    }
    }
    return FAIL(WEIR_ERR_INTERNAL, s->loc, "unknown statement");
}

/* ---- entry points ------------------------------------------------------------------------------- */

const char *plan_config(const struct job_plan *p, const char *key)
{
    for (int i = p->cat.n_config - 1; i >= 0; i--)
        if (strcmp(p->cat.config[i].key, key) == 0)
            return p->cat.config[i].value;
    return NULL;
}

int plan_compile(struct job_plan *p, const char *file, const char *text, struct weir_error *err)
{
    return plan_compile_ex(p, file, text, false, err);
}

int plan_compile_ex(struct job_plan *p, const char *file, const char *text, bool quiet,
                    struct weir_error *err)
{
    memset(p, 0, sizeof(*p));
    p->quiet = quiet;
    arena_init(&p->arena, 256 * 1024);
    p->text = text;
    p->file = file;
    int rc = sql_parse_script(&p->arena, text, strlen(text), &p->script, err);
    if (rc)
        return rc;
    struct binder bd = {0};
    bd.p = p;
    bd.a = &p->arena;
    bd.err = err;
    for (int i = 0; i < p->script->n_stmts; i++) {
        rc = bind_stmt(&bd, p->script->stmts[i]);
        if (rc) {
            if (err && err->code == 0)
                err_set_at(err, rc, p->script->stmts[i]->loc, "%s", weir_rc_str(rc));
            mem_free(bd.ranks);
            return rc;
        }
    }
    for (int i = 0; i < bd.n_ranks; i++) {
        /* ordered by a time attribute, only the first row is a deduplication
         * (Flink's Deduplicate); more rows are a Top-N */
        if (bd.ranks[i]->top_n != 1)
            bd.ranks[i]->dedup = false;
        if (bd.ranks[i]->top_n == 0) {
            struct weir_loc loc = bd.ranks[i]->loc;
            mem_free(bd.ranks);
            return err_set_at(err, WEIR_ERR_UNSUPPORTED, loc,
                              "ROW_NUMBER() OVER needs an outer WHERE rownum <= N (the Top-N "
                              "pattern); other uses are not supported");
        }
    }
    mem_free(bd.ranks);
    if (p->n_sinks == 0)
        return err_set(err, WEIR_ERR_BIND,
                       "the script has no INSERT INTO or SELECT statement: nothing to run");
    const char *nm = plan_config(p, "pipeline.name");
    if (nm == NULL && file) {
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        const char *dot = strrchr(base, '.');
        nm = arena_strndup(&p->arena, base, dot ? (size_t)(dot - base) : strlen(base));
    }
    p->name = nm ? nm : "job";
    plan_explain_logical(p, &p->logical_text);
    return WEIR_OK;
}

void plan_free(struct job_plan *p)
{
    for (int i = 0; i < p->n_fn_states; i++)
        p->fn_states[i].def->free_state(p->fn_states[i].state);
    mem_free(p->fn_states);
    for (int i = 0; i < p->cat.n_tables; i++)
        opt_set_free(p->cat.tables[i]->opts);
    mem_free(p->cat.tables);
    mem_free(p->cat.views);
    mem_free(p->cat.functions);
    mem_free(p->cat.config);
    mem_free(p->sinks);
    sb_free(&p->logical_text);
    sb_free(&p->rewrites);
    arena_free(&p->arena);
}
