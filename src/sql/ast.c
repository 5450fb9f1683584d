/*
 * ast.c — AST node constructors and the S-expression dumper.
 *
 * The dumper prints a compact, stable, parenthesised form of any subtree, e.g.
 * `(select (items (as (call count *) n)) (from (table bid)))`; unit tests
 * compare against it and developers use it to see what the parser built.
 * Identifier parts are printed plainly, strings in single quotes with '' as
 * written in SQL, types through type_to_sql(), symbols with a leading '#'.
 */
#include "sql/ast.h"

#include <string.h>

#include "core/strbuf.h"

struct ast_expr *ast_expr_new(struct arena *a, enum ast_expr_kind kind, struct weir_loc loc)
{
    struct ast_expr *e = arena_calloc(a, sizeof(*e));
    e->kind = kind;
    e->loc = loc;
    return e;
}

struct ast_query *ast_query_new(struct arena *a, enum ast_query_kind kind, struct weir_loc loc)
{
    struct ast_query *q = arena_calloc(a, sizeof(*q));
    q->kind = kind;
    q->loc = loc;
    return q;
}

struct ast_table_ref *ast_table_ref_new(struct arena *a, enum ast_from_kind kind,
                                        struct weir_loc loc)
{
    struct ast_table_ref *r = arena_calloc(a, sizeof(*r));
    r->kind = kind;
    r->loc = loc;
    return r;
}

struct ast_stmt *ast_stmt_new(struct arena *a, enum ast_stmt_kind kind, struct weir_loc loc)
{
    struct ast_stmt *s = arena_calloc(a, sizeof(*s));
    s->kind = kind;
    s->loc = loc;
    return s;
}

struct weir_loc ast_loc_span(struct weir_loc a, struct weir_loc b)
{
    if (a.offset < 0)
        return b;
    if (b.offset < 0)
        return a;
    int start = a.offset < b.offset ? a.offset : b.offset;
    int ea = a.offset + a.length, eb = b.offset + b.length;
    int end = ea > eb ? ea : eb;
    return (struct weir_loc){start, end - start};
}

const char *ast_name_str(struct arena *a, const struct ast_name *n)
{
    struct strbuf sb = {0};
    for (int i = 0; i < n->n_parts; i++) {
        if (i)
            sb_addc(&sb, '.');
        sb_adds(&sb, n->parts[i]);
    }
    const char *r = arena_strdup(a, sb.buf ? sb.buf : "");
    sb_free(&sb);
    return r;
}

const char *ast_binary_op_name(enum ast_binary_op op)
{
    switch (op) {
    case AST_OP_OR: return "or";
    case AST_OP_AND: return "and";
    case AST_OP_EQ: return "=";
    case AST_OP_NE: return "<>";
    case AST_OP_LT: return "<";
    case AST_OP_LE: return "<=";
    case AST_OP_GT: return ">";
    case AST_OP_GE: return ">=";
    case AST_OP_IS_DISTINCT: return "is-distinct-from";
    case AST_OP_IS_NOT_DISTINCT: return "is-not-distinct-from";
    case AST_OP_ADD: return "+";
    case AST_OP_SUB: return "-";
    case AST_OP_MUL: return "*";
    case AST_OP_DIV: return "/";
    case AST_OP_MOD: return "%";
    case AST_OP_CONCAT: return "||";
    }
    return "?";
}

const char *ast_time_unit_name(enum ast_time_unit u)
{
    switch (u) {
    case AST_TU_NONE: return "";
    case AST_TU_YEAR: return "YEAR";
    case AST_TU_QUARTER: return "QUARTER";
    case AST_TU_MONTH: return "MONTH";
    case AST_TU_WEEK: return "WEEK";
    case AST_TU_DAY: return "DAY";
    case AST_TU_HOUR: return "HOUR";
    case AST_TU_MINUTE: return "MINUTE";
    case AST_TU_SECOND: return "SECOND";
    case AST_TU_MILLISECOND: return "MILLISECOND";
    case AST_TU_MICROSECOND: return "MICROSECOND";
    case AST_TU_NANOSECOND: return "NANOSECOND";
    case AST_TU_DOY: return "DOY";
    case AST_TU_DOW: return "DOW";
    case AST_TU_ISODOW: return "ISODOW";
    case AST_TU_ISOYEAR: return "ISOYEAR";
    case AST_TU_EPOCH: return "EPOCH";
    case AST_TU_DECADE: return "DECADE";
    case AST_TU_CENTURY: return "CENTURY";
    case AST_TU_MILLENNIUM: return "MILLENNIUM";
    }
    return "?";
}

/* ============================================================ dumper */

struct dump {
    struct arena *a;
    struct strbuf sb;
};

static void d_expr(struct dump *d, const struct ast_expr *e);
static void d_query(struct dump *d, const struct ast_query *q);
static void d_stmt(struct dump *d, const struct ast_stmt *s);

static void d_s(struct dump *d, const char *s)
{
    sb_adds(&d->sb, s);
}

static void d_str(struct dump *d, const char *s)
{
    sb_addc(&d->sb, '\'');
    for (; s && *s; s++) {
        if (*s == '\'')
            sb_addc(&d->sb, '\'');
        sb_addc(&d->sb, *s);
    }
    sb_addc(&d->sb, '\'');
}

static void d_name(struct dump *d, const struct ast_name *n)
{
    for (int i = 0; i < n->n_parts; i++) {
        if (i)
            sb_addc(&d->sb, '.');
        d_s(d, n->parts[i]);
    }
}

static void d_type(struct dump *d, const struct sql_type *t)
{
    d_s(d, t ? type_to_sql(d->a, t) : "?");
}

static void d_exprs(struct dump *d, struct ast_expr *const *v, int n)
{
    for (int i = 0; i < n; i++) {
        sb_addc(&d->sb, ' ');
        d_expr(d, v[i]);
    }
}

static void d_order(struct dump *d, const char *tag, const struct ast_order_item *o, int n)
{
    sb_addf(&d->sb, " (%s", tag);
    for (int i = 0; i < n; i++) {
        sb_addc(&d->sb, ' ');
        if (o[i].desc || o[i].nulls) {
            d_s(d, o[i].desc ? "(desc " : "(asc ");
            d_expr(d, o[i].expr);
            if (o[i].nulls)
                d_s(d, o[i].nulls == 1 ? " nulls-first" : " nulls-last");
            sb_addc(&d->sb, ')');
        } else {
            d_expr(d, o[i].expr);
        }
    }
    sb_addc(&d->sb, ')');
}

static void d_bound(struct dump *d, const struct ast_frame_bound *b)
{
    switch (b->kind) {
    case AST_FB_UNBOUNDED_PRECEDING: d_s(d, "unbounded-preceding"); break;
    case AST_FB_UNBOUNDED_FOLLOWING: d_s(d, "unbounded-following"); break;
    case AST_FB_CURRENT_ROW: d_s(d, "current-row"); break;
    case AST_FB_PRECEDING:
    case AST_FB_FOLLOWING:
        d_s(d, b->kind == AST_FB_PRECEDING ? "(preceding " : "(following ");
        d_expr(d, b->offset);
        sb_addc(&d->sb, ')');
        break;
    }
}

static void d_window(struct dump *d, const struct ast_window *w)
{
    d_s(d, "(window");
    if (w->ref)
        sb_addf(&d->sb, " %s", w->ref);
    if (w->n_partition_by) {
        d_s(d, " (partition-by");
        d_exprs(d, w->partition_by, w->n_partition_by);
        sb_addc(&d->sb, ')');
    }
    if (w->n_order_by)
        d_order(d, "order-by", w->order_by, w->n_order_by);
    if (w->has_frame) {
        d_s(d, w->rows ? " (rows " : " (range ");
        d_bound(d, &w->lo);
        sb_addc(&d->sb, ' ');
        d_bound(d, &w->hi);
        sb_addc(&d->sb, ')');
    }
    sb_addc(&d->sb, ')');
}

static const char *json_behavior_name(enum ast_json_behavior b)
{
    switch (b) {
    case AST_JB_NONE: return "none";
    case AST_JB_NULL: return "null";
    case AST_JB_ERROR: return "error";
    case AST_JB_DEFAULT: return "default";
    case AST_JB_TRUE: return "true";
    case AST_JB_FALSE: return "false";
    case AST_JB_UNKNOWN: return "unknown";
    case AST_JB_EMPTY_ARRAY: return "empty-array";
    case AST_JB_EMPTY_OBJECT: return "empty-object";
    case AST_JB_ABSENT: return "absent";
    }
    return "?";
}

static void d_literal(struct dump *d, const struct ast_expr *e)
{
    switch (e->u.lit.kind) {
    case AST_LIT_INTEGER:
    case AST_LIT_DECIMAL:
    case AST_LIT_APPROX:
        d_s(d, e->u.lit.text);
        break;
    case AST_LIT_STRING: d_str(d, e->u.lit.text); break;
    case AST_LIT_BINARY: sb_addf(&d->sb, "X'%s'", e->u.lit.text); break;
    case AST_LIT_TRUE: d_s(d, "TRUE"); break;
    case AST_LIT_FALSE: d_s(d, "FALSE"); break;
    case AST_LIT_UNKNOWN: d_s(d, "UNKNOWN"); break;
    case AST_LIT_NULL: d_s(d, "NULL"); break;
    case AST_LIT_DATE:
    case AST_LIT_TIME:
    case AST_LIT_TIMESTAMP:
    case AST_LIT_TIMESTAMP_LTZ:
        d_s(d, e->u.lit.kind == AST_LIT_DATE ? "(date "
               : e->u.lit.kind == AST_LIT_TIME ? "(time "
               : e->u.lit.kind == AST_LIT_TIMESTAMP ? "(timestamp " : "(timestamp_ltz ");
        d_str(d, e->u.lit.text);
        sb_addc(&d->sb, ')');
        break;
    case AST_LIT_INTERVAL: {
        const struct ast_interval_qual *q = &e->u.lit.interval;
        d_s(d, "(interval ");
        if (e->u.lit.negative)
            sb_addc(&d->sb, '-');
        d_str(d, e->u.lit.text);
        sb_addf(&d->sb, " %s", ast_time_unit_name(q->start));
        if (q->start_precision >= 0)
            sb_addf(&d->sb, "(%d)", q->start_precision);
        if (q->end != AST_TU_NONE)
            sb_addf(&d->sb, " TO %s", ast_time_unit_name(q->end));
        if (q->frac_precision >= 0)
            sb_addf(&d->sb, " frac(%d)", q->frac_precision);
        sb_addc(&d->sb, ')');
        break;
    }
    }
}

static void d_expr(struct dump *d, const struct ast_expr *e)
{
    if (!e) {
        d_s(d, "nil");
        return;
    }
    switch (e->kind) {
    case AST_E_LITERAL:
        d_literal(d, e);
        break;
    case AST_E_IDENT:
        d_name(d, &e->u.ident);
        break;
    case AST_E_STAR:
        if (e->u.star.qualifier.n_parts) {
            d_name(d, &e->u.star.qualifier);
            sb_addc(&d->sb, '.');
        }
        sb_addc(&d->sb, '*');
        break;
    case AST_E_UNARY:
        d_s(d, e->u.unary.op == AST_OP_NOT ? "(not " : e->u.unary.op == AST_OP_NEG ? "(- " : "(+ ");
        d_expr(d, e->u.unary.arg);
        sb_addc(&d->sb, ')');
        break;
    case AST_E_BINARY:
        sb_addf(&d->sb, "(%s ", ast_binary_op_name(e->u.binary.op));
        d_expr(d, e->u.binary.left);
        sb_addc(&d->sb, ' ');
        d_expr(d, e->u.binary.right);
        sb_addc(&d->sb, ')');
        break;
    case AST_E_CALL:
        d_s(d, "(call ");
        d_name(d, &e->u.call.name);
        if (e->u.call.star)
            d_s(d, " *");
        if (e->u.call.distinct)
            d_s(d, " distinct");
        d_exprs(d, e->u.call.args, e->u.call.n_args);
        if (e->u.call.returning) {
            d_s(d, " :returning ");
            d_type(d, e->u.call.returning);
        }
        if (e->u.call.wrapper != AST_JW_NONE)
            d_s(d, e->u.call.wrapper == AST_JW_WITHOUT ? " :without-wrapper"
                   : e->u.call.wrapper == AST_JW_WITH_CONDITIONAL
                       ? " :with-conditional-wrapper" : " :with-wrapper");
        if (e->u.call.on_empty != AST_JB_NONE) {
            sb_addf(&d->sb, " :on-empty %s", json_behavior_name(e->u.call.on_empty));
            if (e->u.call.on_empty_default) {
                sb_addc(&d->sb, ' ');
                d_expr(d, e->u.call.on_empty_default);
            }
        }
        if (e->u.call.on_error != AST_JB_NONE) {
            sb_addf(&d->sb, " :on-error %s", json_behavior_name(e->u.call.on_error));
            if (e->u.call.on_error_default) {
                sb_addc(&d->sb, ' ');
                d_expr(d, e->u.call.on_error_default);
            }
        }
        if (e->u.call.on_null != AST_JB_NONE)
            sb_addf(&d->sb, " :on-null %s", json_behavior_name(e->u.call.on_null));
        if (e->u.call.n_within_group)
            d_order(d, "within-group", e->u.call.within_group, e->u.call.n_within_group);
        if (e->u.call.filter) {
            d_s(d, " :filter ");
            d_expr(d, e->u.call.filter);
        }
        if (e->u.call.over) {
            d_s(d, " :over ");
            d_window(d, e->u.call.over);
        }
        sb_addc(&d->sb, ')');
        break;
    case AST_E_CAST:
        d_s(d, e->u.cast.try_cast ? "(try_cast " : "(cast ");
        d_expr(d, e->u.cast.arg);
        sb_addc(&d->sb, ' ');
        d_type(d, e->u.cast.type);
        sb_addc(&d->sb, ')');
        break;
    case AST_E_CASE:
        d_s(d, "(case");
        if (e->u.case_.operand) {
            sb_addc(&d->sb, ' ');
            d_expr(d, e->u.case_.operand);
        }
        for (int i = 0; i < e->u.case_.n_whens; i++) {
            d_s(d, " (when ");
            d_expr(d, e->u.case_.whens[i]);
            sb_addc(&d->sb, ' ');
            d_expr(d, e->u.case_.thens[i]);
            sb_addc(&d->sb, ')');
        }
        if (e->u.case_.else_expr) {
            d_s(d, " (else ");
            d_expr(d, e->u.case_.else_expr);
            sb_addc(&d->sb, ')');
        }
        sb_addc(&d->sb, ')');
        break;
    case AST_E_IS: {
        static const char *const tests[] = {"null", "true", "false", "unknown", "json"};
        sb_addf(&d->sb, "(is-%s%s", e->u.is.negated ? "not-" : "", tests[e->u.is.test]);
        if (e->u.is.test == AST_IS_JSON && e->u.is.json_kind != AST_JSON_VALUE) {
            static const char *const kinds[] = {"value", "scalar", "array", "object"};
            sb_addf(&d->sb, "-%s", kinds[e->u.is.json_kind]);
        }
        sb_addc(&d->sb, ' ');
        d_expr(d, e->u.is.arg);
        sb_addc(&d->sb, ')');
        break;
    }
    case AST_E_BETWEEN:
        sb_addf(&d->sb, "(%sbetween%s ", e->u.between.negated ? "not-" : "",
                e->u.between.symmetric ? "-symmetric" : "");
        d_expr(d, e->u.between.arg);
        sb_addc(&d->sb, ' ');
        d_expr(d, e->u.between.lo);
        sb_addc(&d->sb, ' ');
        d_expr(d, e->u.between.hi);
        sb_addc(&d->sb, ')');
        break;
    case AST_E_IN:
        sb_addf(&d->sb, "(%sin ", e->u.in.negated ? "not-" : "");
        d_expr(d, e->u.in.arg);
        if (e->u.in.query) {
            sb_addc(&d->sb, ' ');
            d_query(d, e->u.in.query);
        } else {
            d_s(d, " (list");
            d_exprs(d, e->u.in.list, e->u.in.n_list);
            sb_addc(&d->sb, ')');
        }
        sb_addc(&d->sb, ')');
        break;
    case AST_E_LIKE:
        sb_addf(&d->sb, "(%s%s ", e->u.like.negated ? "not-" : "",
                e->u.like.similar ? "similar" : "like");
        d_expr(d, e->u.like.arg);
        sb_addc(&d->sb, ' ');
        d_expr(d, e->u.like.pattern);
        if (e->u.like.escape) {
            d_s(d, " :escape ");
            d_expr(d, e->u.like.escape);
        }
        sb_addc(&d->sb, ')');
        break;
    case AST_E_EXISTS:
    case AST_E_SUBQUERY:
        d_s(d, e->kind == AST_E_EXISTS ? "(exists " : "(subquery ");
        d_query(d, e->u.subquery.query);
        sb_addc(&d->sb, ')');
        break;
    case AST_E_ROW:
    case AST_E_ARRAY:
    case AST_E_MAP:
    case AST_E_GROUPING_SETS:
    case AST_E_ROLLUP:
    case AST_E_CUBE: {
        const char *tag = e->kind == AST_E_ROW ? "row" : e->kind == AST_E_ARRAY ? "array"
                          : e->kind == AST_E_MAP ? "map"
                          : e->kind == AST_E_GROUPING_SETS ? "grouping-sets"
                          : e->kind == AST_E_ROLLUP ? "rollup" : "cube";
        sb_addf(&d->sb, "(%s", tag);
        d_exprs(d, e->u.list.items, e->u.list.n_items);
        sb_addc(&d->sb, ')');
        break;
    }
    case AST_E_INDEX:
        d_s(d, "(index ");
        d_expr(d, e->u.index.base);
        sb_addc(&d->sb, ' ');
        d_expr(d, e->u.index.index);
        sb_addc(&d->sb, ')');
        break;
    case AST_E_FIELD:
        d_s(d, "(field ");
        d_expr(d, e->u.field.base);
        sb_addf(&d->sb, " %s)", e->u.field.name);
        break;
    case AST_E_SYMBOL:
        sb_addf(&d->sb, "#%s", e->u.symbol.name);
        break;
    case AST_E_DESCRIPTOR:
        d_s(d, "(descriptor");
        for (int i = 0; i < e->u.descriptor.n_cols; i++) {
            sb_addc(&d->sb, ' ');
            d_name(d, &e->u.descriptor.cols[i]);
        }
        sb_addc(&d->sb, ')');
        break;
    case AST_E_TABLE_ARG:
        d_s(d, "(table ");
        d_name(d, &e->u.table_arg.name);
        if (e->u.table_arg.n_partition_by) {
            d_s(d, " (partition-by");
            d_exprs(d, e->u.table_arg.partition_by, e->u.table_arg.n_partition_by);
            sb_addc(&d->sb, ')');
        }
        if (e->u.table_arg.n_order_by)
            d_order(d, "order-by", e->u.table_arg.order_by, e->u.table_arg.n_order_by);
        sb_addc(&d->sb, ')');
        break;
    case AST_E_NAMED_ARG:
        sb_addf(&d->sb, "(=> %s ", e->u.named_arg.name);
        d_expr(d, e->u.named_arg.value);
        sb_addc(&d->sb, ')');
        break;
    case AST_E_DEFAULT:
        d_s(d, "default");
        break;
    }
}

static void d_hints(struct dump *d, const struct ast_hint *h, int n)
{
    for (int i = 0; i < n; i++) {
        sb_addf(&d->sb, " (hint %s", h[i].name);
        for (int k = 0; k < h[i].n_options; k++) {
            d_s(d, " (");
            d_str(d, h[i].options[k].key);
            sb_addc(&d->sb, ' ');
            d_str(d, h[i].options[k].value);
            sb_addc(&d->sb, ')');
        }
        for (int k = 0; k < h[i].n_args; k++)
            sb_addf(&d->sb, " %s", h[i].args[k]);
        sb_addc(&d->sb, ')');
    }
}

static void d_alias(struct dump *d, const struct ast_table_ref *r)
{
    if (!r->alias)
        return;
    sb_addf(&d->sb, " :as %s", r->alias);
    if (r->n_col_aliases) {
        d_s(d, " (");
        for (int i = 0; i < r->n_col_aliases; i++)
            sb_addf(&d->sb, "%s%s", i ? " " : "", r->col_aliases[i]);
        sb_addc(&d->sb, ')');
    }
}

static void d_from(struct dump *d, const struct ast_table_ref *r)
{
    static const char *const joins[] = {"join-inner", "join-left", "join-right", "join-full",
                                        "join-cross", "join-comma"};
    switch (r->kind) {
    case AST_FROM_TABLE:
        d_s(d, "(table ");
        d_name(d, &r->u.table.name);
        d_hints(d, r->u.table.hints, r->u.table.n_hints);
        if (r->u.table.system_time) {
            d_s(d, " (system-time ");
            d_expr(d, r->u.table.system_time);
            sb_addc(&d->sb, ')');
        }
        break;
    case AST_FROM_SUBQUERY:
        d_s(d, r->u.subquery.lateral ? "(lateral-subquery " : "(subquery ");
        d_query(d, r->u.subquery.query);
        break;
    case AST_FROM_TVF:
        d_s(d, r->u.tvf.lateral ? "(lateral-tvf " : "(tvf ");
        d_expr(d, r->u.tvf.call);
        break;
    case AST_FROM_UNNEST:
        d_s(d, "(unnest");
        d_exprs(d, r->u.unnest.args, r->u.unnest.n_args);
        if (r->u.unnest.with_ordinality)
            d_s(d, " :with-ordinality");
        break;
    case AST_FROM_JOIN:
        sb_addf(&d->sb, "(%s%s ", r->u.join.natural ? "natural-" : "", joins[r->u.join.kind]);
        d_from(d, r->u.join.left);
        sb_addc(&d->sb, ' ');
        d_from(d, r->u.join.right);
        if (r->u.join.on) {
            d_s(d, " (on ");
            d_expr(d, r->u.join.on);
            sb_addc(&d->sb, ')');
        }
        if (r->u.join.n_using) {
            d_s(d, " (using");
            for (int i = 0; i < r->u.join.n_using; i++) {
                sb_addc(&d->sb, ' ');
                d_name(d, &r->u.join.using_cols[i]);
            }
            sb_addc(&d->sb, ')');
        }
        break;
    }
    d_alias(d, r);
    sb_addc(&d->sb, ')');
}

static void d_select(struct dump *d, const struct ast_select *s)
{
    d_s(d, s->distinct ? "(select distinct" : "(select");
    d_hints(d, s->hints, s->n_hints);
    d_s(d, " (items");
    for (int i = 0; i < s->n_items; i++) {
        sb_addc(&d->sb, ' ');
        if (s->items[i].alias) {
            d_s(d, "(as ");
            d_expr(d, s->items[i].expr);
            sb_addf(&d->sb, " %s)", s->items[i].alias);
        } else {
            d_expr(d, s->items[i].expr);
        }
    }
    sb_addc(&d->sb, ')');
    if (s->from) {
        d_s(d, " (from ");
        d_from(d, s->from);
        sb_addc(&d->sb, ')');
    }
    if (s->where) {
        d_s(d, " (where ");
        d_expr(d, s->where);
        sb_addc(&d->sb, ')');
    }
    if (s->n_group_by) {
        d_s(d, s->group_by_distinct ? " (group-by-distinct" : " (group-by");
        d_exprs(d, s->group_by, s->n_group_by);
        sb_addc(&d->sb, ')');
    }
    if (s->having) {
        d_s(d, " (having ");
        d_expr(d, s->having);
        sb_addc(&d->sb, ')');
    }
    for (int i = 0; i < s->n_windows; i++) {
        sb_addf(&d->sb, " (named-window %s ", s->windows[i].name);
        d_window(d, s->windows[i].spec);
        sb_addc(&d->sb, ')');
    }
    sb_addc(&d->sb, ')');
}

static void d_query(struct dump *d, const struct ast_query *q)
{
    if (!q) {
        d_s(d, "nil");
        return;
    }
    bool wrap = q->n_with || q->n_order_by || q->limit || q->offset;
    if (wrap) {
        d_s(d, "(query");
        if (q->n_with) {
            d_s(d, q->with_recursive ? " (with-recursive" : " (with");
            for (int i = 0; i < q->n_with; i++) {
                sb_addf(&d->sb, " (cte %s", q->with[i].name);
                if (q->with[i].n_cols) {
                    d_s(d, " (");
                    for (int k = 0; k < q->with[i].n_cols; k++)
                        sb_addf(&d->sb, "%s%s", k ? " " : "", q->with[i].cols[k]);
                    sb_addc(&d->sb, ')');
                }
                sb_addc(&d->sb, ' ');
                d_query(d, q->with[i].query);
                sb_addc(&d->sb, ')');
            }
            sb_addc(&d->sb, ')');
        }
        sb_addc(&d->sb, ' ');
    }
    switch (q->kind) {
    case AST_Q_SELECT:
        d_select(d, q->u.select);
        break;
    case AST_Q_VALUES:
        d_s(d, "(values");
        d_exprs(d, q->u.values.rows, q->u.values.n_rows);
        sb_addc(&d->sb, ')');
        break;
    case AST_Q_SETOP: {
        static const char *const ops[] = {"union", "intersect", "except"};
        sb_addf(&d->sb, "(%s%s ", ops[q->u.setop.op], q->u.setop.all ? "-all" : "");
        d_query(d, q->u.setop.left);
        sb_addc(&d->sb, ' ');
        d_query(d, q->u.setop.right);
        sb_addc(&d->sb, ')');
        break;
    }
    }
    if (wrap) {
        if (q->n_order_by)
            d_order(d, "order-by", q->order_by, q->n_order_by);
        if (q->limit) {
            d_s(d, " (limit ");
            d_expr(d, q->limit);
            sb_addc(&d->sb, ')');
        }
        if (q->offset) {
            d_s(d, " (offset ");
            d_expr(d, q->offset);
            sb_addc(&d->sb, ')');
        }
        sb_addc(&d->sb, ')');
    }
}

static void d_idlist(struct dump *d, const char *tag, const char *const *v, int n)
{
    sb_addf(&d->sb, " (%s", tag);
    for (int i = 0; i < n; i++)
        sb_addf(&d->sb, " %s", v[i]);
    sb_addc(&d->sb, ')');
}

static void d_options(struct dump *d, const char *tag, const struct ast_option *o, int n)
{
    sb_addf(&d->sb, " (%s", tag);
    for (int i = 0; i < n; i++) {
        d_s(d, " (");
        d_str(d, o[i].key);
        sb_addc(&d->sb, ' ');
        d_str(d, o[i].value);
        sb_addc(&d->sb, ')');
    }
    sb_addc(&d->sb, ')');
}

static void d_create_table(struct dump *d, const struct ast_create_table *ct)
{
    d_s(d, "(create-table ");
    d_name(d, &ct->name);
    if (ct->temporary)
        d_s(d, " :temporary");
    if (ct->if_not_exists)
        d_s(d, " :if-not-exists");
    d_s(d, " (columns");
    for (int i = 0; i < ct->n_columns; i++) {
        const struct ast_column *c = &ct->columns[i];
        switch (c->kind) {
        case AST_COL_PHYSICAL:
            sb_addf(&d->sb, " (col %s ", c->name);
            d_type(d, c->type);
            break;
        case AST_COL_COMPUTED:
            sb_addf(&d->sb, " (computed %s ", c->name);
            d_expr(d, c->expr);
            break;
        case AST_COL_METADATA:
            sb_addf(&d->sb, " (metadata %s ", c->name);
            d_type(d, c->type);
            if (c->metadata_key) {
                d_s(d, " :from ");
                d_str(d, c->metadata_key);
            }
            if (c->is_virtual)
                d_s(d, " :virtual");
            break;
        }
        if (c->primary_key)
            d_s(d, " :primary-key");
        if (c->comment) {
            d_s(d, " :comment ");
            d_str(d, c->comment);
        }
        sb_addc(&d->sb, ')');
    }
    sb_addc(&d->sb, ')');
    for (int i = 0; i < ct->n_watermarks; i++) {
        d_s(d, " (watermark ");
        d_name(d, &ct->watermarks[i].column);
        sb_addc(&d->sb, ' ');
        d_expr(d, ct->watermarks[i].expr);
        sb_addc(&d->sb, ')');
    }
    if (ct->primary_key) {
        const struct ast_primary_key *pk = ct->primary_key;
        d_s(d, " (primary-key");
        if (pk->constraint_name)
            sb_addf(&d->sb, " :constraint %s", pk->constraint_name);
        d_idlist(d, "cols", pk->cols, pk->n_cols);
        if (pk->enforced)
            d_s(d, " :enforced");
        sb_addc(&d->sb, ')');
    }
    if (ct->comment) {
        d_s(d, " (comment ");
        d_str(d, ct->comment);
        sb_addc(&d->sb, ')');
    }
    if (ct->n_partitioned_by)
        d_idlist(d, "partitioned-by", ct->partitioned_by, ct->n_partitioned_by);
    if (ct->options)
        d_options(d, "with", ct->options, ct->n_options);
    if (ct->like) {
        d_s(d, " (like ");
        d_name(d, &ct->like->source);
        for (int i = 0; i < ct->like->n_options; i++)
            sb_addf(&d->sb, " '%s'", ct->like->options[i]);
        sb_addc(&d->sb, ')');
    }
    if (ct->as_query) {
        d_s(d, " (as ");
        d_query(d, ct->as_query);
        sb_addc(&d->sb, ')');
    }
    sb_addc(&d->sb, ')');
}

static void d_stmt(struct dump *d, const struct ast_stmt *s)
{
    switch (s->kind) {
    case AST_S_CREATE_TABLE:
        d_create_table(d, &s->u.create_table);
        break;
    case AST_S_CREATE_VIEW: {
        const struct ast_create_view *cv = &s->u.create_view;
        d_s(d, "(create-view ");
        d_name(d, &cv->name);
        if (cv->temporary)
            d_s(d, " :temporary");
        if (cv->if_not_exists)
            d_s(d, " :if-not-exists");
        if (cv->n_cols)
            d_idlist(d, "cols", cv->cols, cv->n_cols);
        if (cv->comment) {
            d_s(d, " :comment ");
            d_str(d, cv->comment);
        }
        sb_addc(&d->sb, ' ');
        d_query(d, cv->query);
        sb_addc(&d->sb, ')');
        break;
    }
    case AST_S_CREATE_FUNCTION: {
        const struct ast_create_function *cf = &s->u.create_function;
        d_s(d, "(create-function ");
        d_name(d, &cf->name);
        if (cf->temporary)
            d_s(d, cf->system ? " :temporary-system" : " :temporary");
        if (cf->if_not_exists)
            d_s(d, " :if-not-exists");
        sb_addc(&d->sb, ' ');
        d_str(d, cf->class_name);
        if (cf->language)
            sb_addf(&d->sb, " :language %s", cf->language);
        for (int i = 0; i < cf->n_jars; i++) {
            d_s(d, " :jar ");
            d_str(d, cf->jars[i]);
        }
        sb_addc(&d->sb, ')');
        break;
    }
    case AST_S_DROP: {
        static const char *const kinds[] = {"table", "view", "function"};
        sb_addf(&d->sb, "(drop-%s ", kinds[s->u.drop.kind]);
        d_name(d, &s->u.drop.name);
        if (s->u.drop.temporary)
            d_s(d, s->u.drop.system ? " :temporary-system" : " :temporary");
        if (s->u.drop.if_exists)
            d_s(d, " :if-exists");
        sb_addc(&d->sb, ')');
        break;
    }
    case AST_S_SET:
        d_s(d, "(set");
        if (s->u.set.key) {
            sb_addc(&d->sb, ' ');
            d_str(d, s->u.set.key);
            sb_addc(&d->sb, ' ');
            d_str(d, s->u.set.value);
            if (!s->u.set.quoted)
                d_s(d, " :unquoted");
        }
        sb_addc(&d->sb, ')');
        break;
    case AST_S_RESET:
        d_s(d, "(reset");
        if (s->u.reset.key) {
            sb_addc(&d->sb, ' ');
            d_str(d, s->u.reset.key);
        }
        sb_addc(&d->sb, ')');
        break;
    case AST_S_INSERT: {
        const struct ast_insert *in = &s->u.insert;
        d_s(d, in->overwrite ? "(insert-overwrite " : "(insert ");
        d_name(d, &in->table);
        d_hints(d, in->hints, in->n_hints);
        if (in->n_partition)
            d_options(d, "partition", in->partition, in->n_partition);
        if (in->n_cols)
            d_idlist(d, "cols", in->cols, in->n_cols);
        sb_addc(&d->sb, ' ');
        d_query(d, in->query);
        sb_addc(&d->sb, ')');
        break;
    }
    case AST_S_STATEMENT_SET:
        d_s(d, "(statement-set");
        for (int i = 0; i < s->u.statement_set.n_inserts; i++) {
            sb_addc(&d->sb, ' ');
            d_stmt(d, s->u.statement_set.inserts[i]);
        }
        sb_addc(&d->sb, ')');
        break;
    case AST_S_EXPLAIN:
        d_s(d, s->u.explain.plan_for ? "(explain-plan-for" : "(explain");
        for (int i = 0; i < s->u.explain.n_details; i++)
            sb_addf(&d->sb, " %s", s->u.explain.details[i]);
        sb_addc(&d->sb, ' ');
        d_stmt(d, s->u.explain.stmt);
        sb_addc(&d->sb, ')');
        break;
    case AST_S_QUERY:
        d_query(d, s->u.query.query);
        break;
    case AST_S_OTHER:
        sb_addf(&d->sb, "(other \"%s\" ", s->u.other.keyword);
        d_str(d, s->u.other.text);
        sb_addc(&d->sb, ')');
        break;
    }
}

static const char *d_finish(struct dump *d)
{
    const char *r = arena_strdup(d->a, d->sb.buf ? d->sb.buf : "");
    sb_free(&d->sb);
    return r;
}

const char *ast_dump_expr(struct arena *a, const struct ast_expr *e)
{
    struct dump d = {a, {0}};
    d_expr(&d, e);
    return d_finish(&d);
}

const char *ast_dump_query(struct arena *a, const struct ast_query *q)
{
    struct dump d = {a, {0}};
    d_query(&d, q);
    return d_finish(&d);
}

const char *ast_dump_stmt(struct arena *a, const struct ast_stmt *s)
{
    struct dump d = {a, {0}};
    d_stmt(&d, s);
    return d_finish(&d);
}

const char *ast_dump_script(struct arena *a, const struct ast_script *s)
{
    struct dump d = {a, {0}};
    for (int i = 0; i < s->n_stmts; i++) {
        if (i)
            sb_addc(&d.sb, '\n');
        d_stmt(&d, s->stmts[i]);
    }
    return d_finish(&d);
}
