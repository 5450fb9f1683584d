/*
 * optimize.c — rewrites of the logical plan, and its EXPLAIN text.
 *
 * Rules, applied in this order (each counts what it did for EXPLAIN):
 *   constant folding   — constant subtrees become literals (done while binding,
 *                        via expr_fold, so errors keep their positions);
 *   filter push-down   — a filtering calc over UNION ALL moves into each branch;
 *   calc merging       — calc over calc becomes one calc (expressions
 *                        substituted), so a chain of views costs one pass;
 *   projection push-down — a scan produces only the columns its calc reads
 *                        (a JSON decoder then skips the rest);
 *   shared source      — every scan of one table reads the union of the columns
 *                        its consumers need, so a statement set reads each source
 *                        once (exec/job.c builds one source per table).
 */
#include "sql/plan.h"
#include "exec/func.h"

#include <string.h>

#include "core/datetime.h"

/* ---- expression utilities ----------------------------------------------------- */

struct expr *expr_copy_tree(struct arena *a, const struct expr *e)
{
    struct expr *c = arena_alloc(a, sizeof(*c));
    *c = *e;
    c->scratch = NULL;
    if (e->n_args) {
        c->args = arena_alloc(a, (size_t)e->n_args * sizeof(*c->args));
        for (int i = 0; i < e->n_args; i++)
            c->args[i] = expr_copy_tree(a, e->args[i]);
    }
    return c;
}

struct expr *expr_substitute(struct arena *a, const struct expr *e, struct expr *const *defs)
{
    if (e->kind == EX_COLUMN)
        return expr_copy_tree(a, defs[e->index]);
    struct expr *c = arena_alloc(a, sizeof(*c));
    *c = *e;
    c->scratch = NULL;
    if (e->n_args) {
        c->args = arena_alloc(a, (size_t)e->n_args * sizeof(*c->args));
        for (int i = 0; i < e->n_args; i++)
            c->args[i] = expr_substitute(a, e->args[i], defs);
    }
    return c;
}

void expr_columns_used(const struct expr *e, bool *used)
{
    if (e == NULL)
        return;
    if (e->kind == EX_COLUMN)
        used[e->index] = true;
    for (int i = 0; i < e->n_args; i++)
        expr_columns_used(e->args[i], used);
}

void expr_remap_columns(struct expr *e, const int *map)
{
    if (e == NULL)
        return;
    if (e->kind == EX_COLUMN)
        e->index = map[e->index];
    for (int i = 0; i < e->n_args; i++)
        expr_remap_columns(e->args[i], map);
}

/* Evaluates a constant expression on a one-row batch. */
static bool eval_constant(struct arena *a, struct expr *e, struct value *out)
{
    struct batch *b = batch_new(0, NULL);
    b->n = 1;
    struct arena scratch;
    arena_init(&scratch, 4096);
    struct eval_ctx ctx = {&scratch, 0};
    const struct vec *r;
    struct weir_error err = {0};
    err.loc = WEIR_LOC_NONE;
    bool ok = expr_eval(e, &ctx, b, &r, &err) == WEIR_OK;
    if (ok) {
        memset(out, 0, sizeof(*out));
        if (vec_is_null(r, 0))
            out->is_null = true;
        else
            switch (type_lane(e->type)) {
            case LANE_BOOL: out->b = r->b[0]; break;
            case LANE_I64: out->i = r->i64[0]; break;
            case LANE_F64: out->f = r->f64[0]; break;
            case LANE_I128: out->d = r->i128[0]; break;
            case LANE_STR:
                out->s.ptr = arena_strndup(a, r->s[0].ptr, r->s[0].len);
                out->s.len = r->s[0].len;
                break;
            default: ok = false; break;
            }
    }
    err_clear(&err);
    expr_free_scratch(e);
    arena_free(&scratch);
    batch_free(b);
    return ok;
}

int expr_fold(struct arena *a, struct expr **ep)
{
    struct expr *e = *ep;
    if (e->kind == EX_LITERAL || e->kind == EX_COLUMN)
        return 0;
    if (expr_is_constant(e) && type_lane(e->type) != LANE_NESTED &&
        type_lane(e->type) != LANE_NONE) {
        struct value v;
        if (eval_constant(a, e, &v)) {
            struct expr *l = expr_new(a, EX_LITERAL, e->type, 0);
            l->lit = v;
            l->loc = e->loc;
            *ep = l;
            return 1;
        }
        /* a constant that fails (1/0) is left to fail at run time, as in Flink */
    }
    int n = 0;
    for (int i = 0; i < e->n_args; i++)
        n += expr_fold(a, &e->args[i]);
    return n;
}

/* ---- plan rewrites -------------------------------------------------------------- */

static bool is_identity_calc(const struct lnode *c)
{
    const struct lnode *in = c->inputs[0];
    if (c->filter || c->n_out != in->n_out)
        return false;
    for (int i = 0; i < c->n_out; i++) {
        const struct expr *e = c->exprs[i];
        if (e->kind != EX_COLUMN || e->index != i || !type_equal(e->type, in->out_types[i]))
            return false;
    }
    return true;
}

/* Calc(Calc(x)) → Calc(x). */
static struct lnode *merge_calcs(struct job_plan *p, struct lnode *n)
{
    for (int i = 0; i < n->n_inputs; i++)
        n->inputs[i] = merge_calcs(p, n->inputs[i]);
    if (n->kind != LN_CALC)
        return n;
    struct lnode *in = n->inputs[0];
    if (in->kind == LN_CALC) {
        struct arena *a = &p->arena;
        struct expr **exprs = arena_alloc(a, (size_t)(n->n_out ? n->n_out : 1) * sizeof(*exprs));
        for (int i = 0; i < n->n_out; i++)
            exprs[i] = expr_substitute(a, n->exprs[i], in->exprs);
        struct expr *f = in->filter;
        if (n->filter) {
            struct expr *outer = expr_substitute(a, n->filter, in->exprs);
            if (f) {
                /* inner condition first: it guards the outer one */
                struct expr *both = expr_new(a, EX_OP, outer->type, 2);
                both->op = OP_AND;
                both->args[0] = f;
                both->args[1] = outer;
                both->type = f->type->nullable ? f->type : outer->type;
                f = both;
            } else
                f = outer;
        }
        n->exprs = exprs;
        n->filter = f;
        n->inputs[0] = in->inputs[0];
        p->n_merged++;
        return merge_calcs(p, n);
    }
    if (is_identity_calc(n) && in->kind != LN_SCAN) {
        p->n_merged++;
        return in;
    }
    return n;
}

/* Calc(Union(a, b)) → Union(Calc(a), Calc(b)): the filter runs before the rows
 * meet, and each branch's calc can then merge with what is below it. */
static struct lnode *push_through_union(struct job_plan *p, struct lnode *n)
{
    for (int i = 0; i < n->n_inputs; i++)
        n->inputs[i] = push_through_union(p, n->inputs[i]);
    if (n->kind != LN_CALC || n->inputs[0]->kind != LN_UNION)
        return n;
    struct lnode *u = n->inputs[0];
    struct lnode *nu = lnode_new(p, LN_UNION, u->n_inputs);
    nu->loc = u->loc;
    nu->n_out = n->n_out;
    nu->out_names = n->out_names;
    nu->out_types = n->out_types;
    for (int i = 0; i < u->n_inputs; i++) {
        struct lnode *c = lnode_new(p, LN_CALC, 1);
        c->inputs[0] = u->inputs[i];
        c->loc = n->loc;
        c->n_out = n->n_out;
        c->out_names = n->out_names;
        c->out_types = n->out_types;
        c->exprs = arena_alloc(&p->arena, (size_t)(n->n_out ? n->n_out : 1) * sizeof(void *));
        for (int k = 0; k < n->n_out; k++)
            c->exprs[k] = n->exprs[k];
        c->filter = n->filter;
        nu->inputs[i] = c;
    }
    /* branches need their own expression trees (scratch vectors are per node) */
    for (int i = 1; i < u->n_inputs; i++) {
        struct lnode *c = nu->inputs[i];
        struct expr **ident = arena_alloc(&p->arena, (size_t)(u->n_out ? u->n_out : 1) * sizeof(void *));
        for (int k = 0; k < u->n_out; k++)
            ident[k] = expr_column(&p->arena, k, u->out_types[k]);
        for (int k = 0; k < n->n_out; k++)
            c->exprs[k] = expr_substitute(&p->arena, n->exprs[k], ident);
        if (n->filter)
            c->filter = expr_substitute(&p->arena, n->filter, ident);
    }
    if (n->filter)
        p->n_pushed_filters++;
    return nu;
}

/* Collects every LN_SCAN below n. */
static void collect_scans(struct lnode *n, struct lnode ***scans, int *count, struct lnode *parent,
                          struct lnode ***parents)
{
    if (n->kind == LN_SCAN) {
        /* a reused subtree is reached once per reader: one entry per edge */
        for (int i = 0; i < *count; i++)
            if ((*scans)[i] == n && (*parents)[i] == parent)
                return;
        *scans = mem_realloc(*scans, (size_t)(*count + 1) * sizeof(**scans));
        *parents = mem_realloc(*parents, (size_t)(*count + 1) * sizeof(**parents));
        (*scans)[*count] = n;
        (*parents)[*count] = parent;
        (*count)++;
        return;
    }
    for (int i = 0; i < n->n_inputs; i++)
        collect_scans(n->inputs[i], scans, count, n, parents);
}

static void remap_calc(struct lnode *parent, const int *map)
{
    if (parent && parent->kind == LN_CALC) {
        for (int i = 0; i < parent->n_out; i++)
            expr_remap_columns(parent->exprs[i], map);
        expr_remap_columns(parent->filter, map);
    }
}

/* The scan's produced columns become `want` (table column indexes); the
 * parent calc's references are renumbered.  Returns the renumbering, for
 * the other parents of a scan read by several (sub-plan reuse). */
static int *reproject_scan(struct job_plan *p, struct lnode *scan, struct lnode *parent,
                           const int *want, int n_want)
{
    int *map = arena_alloc(&p->arena, (size_t)(scan->n_proj ? scan->n_proj : 1) * sizeof(int));
    for (int i = 0; i < scan->n_proj; i++) {
        map[i] = -1;
        for (int k = 0; k < n_want; k++)
            if (want[k] == scan->proj[i])
                map[i] = k;
    }
    remap_calc(parent, map);
    expr_remap_columns(scan->wm_expr, map);
    struct cat_table *t = scan->table;
    scan->proj = arena_alloc(&p->arena, (size_t)(n_want ? n_want : 1) * sizeof(int));
    memcpy(scan->proj, want, (size_t)n_want * sizeof(int));
    scan->n_proj = n_want;
    scan->n_out = n_want;
    scan->out_names = arena_alloc(&p->arena, (size_t)(n_want ? n_want : 1) * sizeof(char *));
    scan->out_types = arena_alloc(&p->arena, (size_t)(n_want ? n_want : 1) * sizeof(void *));
    for (int k = 0; k < n_want; k++) {
        scan->out_names[k] = t->cols[want[k]].name;
        scan->out_types[k] = t->cols[want[k]].type;
    }
    return map;
}

static void pushdown_projections(struct job_plan *p)
{
    struct lnode **scans = NULL, **parents = NULL;
    int n = 0;
    for (int s = 0; s < p->n_sinks; s++)
        collect_scans(p->sinks[s], &scans, &n, NULL, &parents);
    /* per table: the union of the columns its scans' parents read */
    for (int i = 0; i < n; i++) {
        if (scans[i] == NULL)
            continue;
        struct cat_table *t = scans[i]->table;
        bool *need = mem_calloc((size_t)t->n_cols + 1, sizeof(bool));
        int readers = 0;
        for (int j = i; j < n; j++) {
            if (scans[j] == NULL || scans[j]->table != t)
                continue;
            readers++;
            if (scans[j]->wm_expr) {
                /* the watermark is computed from the scan's own columns */
                bool *used = mem_calloc((size_t)scans[j]->n_proj + 1, sizeof(bool));
                expr_columns_used(scans[j]->wm_expr, used);
                for (int k = 0; k < scans[j]->n_proj; k++)
                    if (used[k])
                        need[scans[j]->proj[k]] = true;
                mem_free(used);
            }
            struct lnode *par = parents[j];
            if (par && par->kind == LN_CALC) {
                bool *used = mem_calloc((size_t)scans[j]->n_proj + 1, sizeof(bool));
                for (int k = 0; k < par->n_out; k++)
                    expr_columns_used(par->exprs[k], used);
                expr_columns_used(par->filter, used);
                for (int k = 0; k < scans[j]->n_proj; k++)
                    if (used[k])
                        need[scans[j]->proj[k]] = true;
                mem_free(used);
            } else {
                for (int k = 0; k < scans[j]->n_proj; k++)
                    need[scans[j]->proj[k]] = true;
            }
        }
        int *want = mem_alloc((size_t)(t->n_cols + 1) * sizeof(int));
        int n_want = 0, n_before = scans[i]->n_proj;
        for (int c = 0; c < t->n_cols; c++)
            if (need[c])
                want[n_want++] = c;
        for (int j = i; j < n; j++) {
            if (scans[j] == NULL || scans[j]->table != t)
                continue;
            struct lnode *sc = scans[j];
            int *map = reproject_scan(p, sc, parents[j], want, n_want);
            /* the same scan node's other readers: the same renumbering */
            for (int k = j + 1; k < n; k++)
                if (scans[k] == sc) {
                    remap_calc(parents[k], map);
                    scans[k] = NULL;
                }
            scans[j] = NULL;
        }
        sb_addf(&p->rewrites, "projection push-down: %s reads %d of %d columns", t->name, n_want,
                n_before);
        if (readers > 1)
            sb_addf(&p->rewrites, " (shared by %d readers: read once)", readers);
        sb_addc(&p->rewrites, '\n');
        mem_free(want);
        mem_free(need);
    }
    mem_free(scans);
    mem_free(parents);
}

/* ---- calc pruning ---------------------------------------------------------------------- */

/* How many parents reference each node: a calc feeding two consumers keeps
 * every column either of them needs, so only single-parent calcs are pruned. */
static void count_parents(struct lnode *n, struct lnode ***seen, int **refs, int *n_seen)
{
    for (int i = 0; i < *n_seen; i++)
        if ((*seen)[i] == n) {
            (*refs)[i]++;
            return;
        }
    *seen = mem_realloc(*seen, (size_t)(*n_seen + 1) * sizeof(**seen));
    *refs = mem_realloc(*refs, (size_t)(*n_seen + 1) * sizeof(**refs));
    (*seen)[*n_seen] = n;
    (*refs)[(*n_seen)++] = 1;
    for (int i = 0; i < n->n_inputs; i++)
        count_parents(n->inputs[i], seen, refs, n_seen);
}

/* The expressions of an aggregation that read its input's columns.  Visiting
 * each column reference once matters when remapping: a subtree may be shared
 * by two of them (a key that is also an aggregate's argument). */
struct col_refs {
    struct expr **refs;
    int n, cap;
};

static void gather_refs(struct expr *e, struct col_refs *cr)
{
    if (e == NULL)
        return;
    if (e->kind == EX_COLUMN) {
        for (int i = 0; i < cr->n; i++)
            if (cr->refs[i] == e)
                return;
        if (cr->n == cr->cap) {
            cr->cap = cr->cap ? 2 * cr->cap : 16;
            cr->refs = mem_realloc(cr->refs, (size_t)cr->cap * sizeof(*cr->refs));
        }
        cr->refs[cr->n++] = e;
    }
    for (int i = 0; i < e->n_args; i++)
        gather_refs(e->args[i], cr);
}

/* The references a Calc or an aggregation makes to its input's columns;
 * false for other nodes (their reads are not tracked here). */
static bool consumer_refs(struct lnode *c, struct col_refs *cr, bool *need)
{
    if (c->kind == LN_CALC) {
        for (int i = 0; i < c->n_out; i++)
            gather_refs(c->exprs[i], cr);
        gather_refs(c->filter, cr);
    } else if (c->kind == LN_GROUP_AGG || c->kind == LN_WINDOW_AGG) {
        for (int k = 0; k < c->n_keys; k++)
            gather_refs(c->keys[k], cr);
        for (int a = 0; a < c->n_aggs; a++) {
            for (int i = 0; i < c->aggs[a].n_args; i++)
                gather_refs(c->aggs[a].args[i], cr);
            gather_refs(c->aggs[a].filter, cr);
        }
        if (c->kind == LN_WINDOW_AGG) {
            need[c->win.time_col] = true;
            if (c->win.assigned)
                need[c->win.start_col] = need[c->win.end_col] = true;
        }
    } else {
        return false;
    }
    for (int i = 0; i < cr->n; i++)
        need[cr->refs[i]->index] = true;
    return true;
}

/* Renumbers what consumer_refs found (and a window aggregation's window
 * columns) after the input's columns moved: map[old] = new. */
static void consumer_remap(struct lnode *c, struct col_refs *cr, const int *map)
{
    for (int i = 0; i < cr->n; i++)
        cr->refs[i]->index = map[cr->refs[i]->index];
    if (c->kind == LN_WINDOW_AGG) {
        c->win.time_col = map[c->win.time_col];
        if (c->win.assigned) {
            c->win.start_col = map[c->win.start_col];
            c->win.end_col = map[c->win.end_col];
        }
    }
}

/* Keeps the columns used[] of a Calc (at least one: a batch needs a column
 * to carry its rows); map[old] = new or -1.  Returns how many are kept. */
static int calc_keep(struct lnode *calc, bool *used, int *map)
{
    int kept = 0;
    for (int i = 0; i < calc->n_out; i++)
        kept += used[i];
    if (kept == 0)
        used[0] = true;
    int k = 0;
    for (int i = 0; i < calc->n_out; i++) {
        map[i] = used[i] ? k : -1;
        if (used[i]) {
            calc->exprs[k] = calc->exprs[i];
            calc->out_names[k] = calc->out_names[i];
            calc->out_types[k] = calc->out_types[i];
            k++;
        }
    }
    calc->n_out = k;
    return k;
}

/*
 * An aggregation reads only its keys', arguments' and time column from its
 * input, but the Calc under it was built from the whole SELECT list of the
 * view or subquery (Nexmark q11's bid view: seven columns, two used).  The
 * columns nobody reads are dropped from that Calc, so they are neither
 * computed nor copied through the exchange in front of the aggregation.
 */
static void prune_calc_under(struct job_plan *p, struct lnode *n, struct lnode *calc)
{
    struct col_refs cr = {0};
    bool *used = mem_calloc((size_t)calc->n_out + 1, sizeof(bool));
    consumer_refs(n, &cr, used);
    int n_in = calc->n_out;
    int *map = mem_alloc((size_t)n_in * sizeof(int));
    int kept = calc_keep(calc, used, map);
    if (kept < n_in) {
        sb_addf(&p->rewrites, "calc pruning: %s reads %d of %d columns of its input\n",
                n->kind == LN_WINDOW_AGG ? "window aggregate" : "group aggregate", kept, n_in);
        consumer_remap(n, &cr, map);
    }
    mem_free(map);
    mem_free(used);
    mem_free(cr.refs);
}

/*
 * An unnest copies every left column into each of its rows, yet the node
 * above it often reads only the elements.  The left columns that neither it
 * nor the collection reads are dropped from the Calc under the unnest, so
 * they are not copied per element, and the scan below need not decode them.
 */
static void prune_under_unnest(struct job_plan *p, struct lnode *par, struct lnode *u,
                               struct lnode *calc)
{
    struct col_refs cr = {0}, ur = {0};
    int nl = calc->n_out, n_out = u->n_out;
    bool *used = mem_calloc((size_t)n_out + 1, sizeof(bool));
    consumer_refs(par, &cr, used);
    gather_refs(u->unnest, &ur);
    for (int i = 0; i < ur.n; i++)
        used[ur.refs[i]->index] = true;
    int *map = mem_alloc((size_t)n_out * sizeof(int));
    int kept = calc_keep(calc, used, map);   /* map[0..nl): the left columns */
    if (kept < nl) {
        /* the unnest's names may be shared with a filter above it: new arrays */
        int k = n_out - nl + kept;
        const char **names = arena_alloc(&p->arena, (size_t)k * sizeof(char *));
        const struct sql_type **types = arena_alloc(&p->arena, (size_t)k * sizeof(void *));
        for (int i = 0; i < n_out; i++) {
            if (i >= nl)
                map[i] = kept + (i - nl);   /* the elements follow */
            if (map[i] < 0)
                continue;
            names[map[i]] = u->out_names[i];
            types[map[i]] = u->out_types[i];
        }
        sb_addf(&p->rewrites, "calc pruning: unnest copies %d of %d columns of its input\n", kept,
                nl);
        u->n_out = k;
        u->out_names = names;
        u->out_types = types;
        for (int i = 0; i < ur.n; i++)
            ur.refs[i]->index = map[ur.refs[i]->index];
        consumer_remap(par, &cr, map);
    }
    mem_free(map);
    mem_free(used);
    mem_free(cr.refs);
    mem_free(ur.refs);
}

/*
 * A join stores its input rows whole, yet the query above it often reads a
 * few of their columns (Nexmark q4 keeps every bid for its auction's
 * lifetime, and needs three of its seven columns).  Flink prunes them before
 * the join; so does weir: the columns that neither the join (keys, residual,
 * time columns) nor its consumer reads are dropped from the single-parent
 * Calcs under it, and from joins under it in turn, which shrinks the state,
 * its checkpoints and what the exchanges copy.
 */
struct prune_ctx {
    struct job_plan *p;
    struct lnode **seen;             /* count_parents */
    int *refs;
    int n_seen;
};

static int parents_of(const struct prune_ctx *pc, const struct lnode *n)
{
    for (int i = 0; i < pc->n_seen; i++)
        if (pc->seen[i] == n)
            return pc->refs[i];
    return 0;
}

static bool refs_overlap(const struct col_refs *a, const struct col_refs *b)
{
    for (int i = 0; i < a->n; i++)
        for (int k = 0; k < b->n; k++)
            if (a->refs[i] == b->refs[k])
                return true;
    return false;
}

/* Prunes the inputs of join j, whose consumer reads need[] of its outputs;
 * map[old output] = new output or -1.  Returns false (j untouched, map the
 * identity) when it cannot. */
static bool prune_join(struct prune_ctx *pc, struct lnode *j, const bool *need, int *map)
{
    int nl = j->inputs[0]->n_out, nr = j->inputs[1]->n_out, n = nl + nr;
    bool left_only = j->join == JOIN_SEMI || j->join == JOIN_ANTI;
    for (int i = 0; i < j->n_out; i++)
        map[i] = i;
    struct col_refs lr = {0}, rr = {0}, xr = {0};
    for (int k = 0; k < j->n_jkeys; k++) {
        gather_refs(j->lkeys[k], &lr);
        gather_refs(j->rkeys[k], &rr);
    }
    gather_refs(j->residual, &xr);
    bool ok = !refs_overlap(&lr, &rr) && !refs_overlap(&lr, &xr) && !refs_overlap(&rr, &xr);
    bool *used = mem_calloc((size_t)n + 1, sizeof(bool));
    int *cmap = mem_alloc((size_t)n * sizeof(int));
    bool changed = false;
    if (ok) {
        for (int i = 0; i < j->n_out; i++)
            used[i] = need[i];
        for (int i = 0; i < lr.n; i++)
            used[lr.refs[i]->index] = true;
        for (int i = 0; i < rr.n; i++)
            used[nl + rr.refs[i]->index] = true;
        for (int i = 0; i < xr.n; i++)
            used[xr.refs[i]->index] = true;
        if (j->interval || j->window || j->bounded[0] || j->bounded[1]) {
            used[j->time_col[0]] = true;
            used[nl + j->time_col[1]] = true;
        }
        int width[2] = {nl, nr};
        for (int s = 0; s < 2; s++) {
            struct lnode *in = j->inputs[s];
            bool *u = used + (s ? nl : 0);
            int *m = cmap + (s ? nl : 0);
            bool done = false;
            if (parents_of(pc, in) == 1 && in->kind == LN_CALC) {
                int before = in->n_out;
                width[s] = calc_keep(in, u, m);
                done = true;
                if (width[s] < before)
                    sb_addf(&pc->p->rewrites, "calc pruning: join stores %d of %d columns of "
                                              "its %s input\n", width[s], before,
                            s ? "right" : "left");
            } else if (parents_of(pc, in) == 1 && in->kind == LN_JOIN) {
                done = prune_join(pc, in, u, m);
                width[s] = in->n_out;
            }
            if (!done)
                for (int i = 0; i < (s ? nr : nl); i++)
                    m[i] = i;
            changed |= width[s] < (s ? nr : nl);
        }
        if (changed) {
            for (int i = 0; i < nr; i++)
                if (cmap[nl + i] >= 0)
                    cmap[nl + i] += width[0];
            for (int i = 0; i < lr.n; i++)
                lr.refs[i]->index = cmap[lr.refs[i]->index];
            for (int i = 0; i < rr.n; i++)
                rr.refs[i]->index = cmap[nl + rr.refs[i]->index] - width[0];
            for (int i = 0; i < xr.n; i++)
                xr.refs[i]->index = cmap[xr.refs[i]->index];
            if (j->interval || j->window || j->bounded[0] || j->bounded[1]) {
                j->time_col[0] = cmap[j->time_col[0]];
                j->time_col[1] = cmap[nl + j->time_col[1]] - width[0];
            }
            /* new arrays: a semi join shares its left input's */
            int n_new = left_only ? width[0] : width[0] + width[1];
            const char **names = arena_alloc(&pc->p->arena, (size_t)(n_new + 1) * sizeof(char *));
            const struct sql_type **types =
                arena_alloc(&pc->p->arena, (size_t)(n_new + 1) * sizeof(void *));
            for (int i = 0; i < j->n_out; i++) {
                map[i] = cmap[i];
                if (cmap[i] >= 0) {
                    names[cmap[i]] = j->out_names[i];
                    types[cmap[i]] = j->out_types[i];
                }
            }
            j->out_names = names;
            j->out_types = types;
            j->n_out = n_new;
        }
    }
    mem_free(used);
    mem_free(cmap);
    mem_free(lr.refs);
    mem_free(rr.refs);
    mem_free(xr.refs);
    return changed;
}

static void prune_joins(struct prune_ctx *pc)
{
    for (int i = 0; i < pc->n_seen; i++) {
        struct lnode *c = pc->seen[i];
        if (c->n_inputs != 1 || c->inputs[0]->kind != LN_JOIN || parents_of(pc, c->inputs[0]) != 1)
            continue;
        struct lnode *j = c->inputs[0];
        struct col_refs cr = {0};
        bool *need = mem_calloc((size_t)j->n_out + 1, sizeof(bool));
        int *map = mem_alloc((size_t)j->n_out * sizeof(int));
        if (consumer_refs(c, &cr, need) && prune_join(pc, j, need, map))
            consumer_remap(c, &cr, map);
        mem_free(need);
        mem_free(map);
        mem_free(cr.refs);
    }
}

static void prune_calcs(struct job_plan *p)
{
    struct lnode **seen = NULL;
    int *refs = NULL, n_seen = 0;
    for (int s = 0; s < p->n_sinks; s++)
        count_parents(p->sinks[s], &seen, &refs, &n_seen);
    for (int i = 0; i < n_seen; i++) {
        struct lnode *n = seen[i];
        if (n->kind != LN_WINDOW_AGG && n->kind != LN_GROUP_AGG)
            continue;
        struct lnode *in = n->inputs[0];
        for (int j = 0; j < n_seen; j++)
            if (seen[j] == in && in->kind == LN_CALC && refs[j] == 1)
                prune_calc_under(p, n, in);
    }
    /* then under each unnest read by a calc or an aggregation alone */
    for (int i = 0; i < n_seen; i++) {
        struct lnode *n = seen[i];
        if (n->kind != LN_CALC && n->kind != LN_WINDOW_AGG && n->kind != LN_GROUP_AGG)
            continue;
        struct lnode *u = n->inputs[0];
        if (u->kind != LN_UNNEST || u->inputs[0]->kind != LN_CALC)
            continue;
        int ru = 0, rc = 0;
        for (int j = 0; j < n_seen; j++) {
            if (seen[j] == u)
                ru = refs[j];
            if (seen[j] == u->inputs[0])
                rc = refs[j];
        }
        if (ru == 1 && rc == 1)
            prune_under_unnest(p, n, u, u->inputs[0]);
    }
    struct prune_ctx pc = {p, seen, refs, n_seen};
    prune_joins(&pc);
    mem_free(seen);
    mem_free(refs);
}

/* ---- sub-plan reuse ---------------------------------------------------------------------- */

/*
 * Identical subtrees are computed once, as Flink does by default
 * (table.optimizer.reuse-sub-plan-enabled): Nexmark q5 reads the same HOP
 * window aggregation of bids twice, once per side of its join.  A node whose
 * signature and inputs equal an earlier node's is replaced by it, bottom up,
 * so the plan becomes a DAG; exec/job.c builds a shared node once per
 * instance and fans its output out.  Only nodes whose whole meaning is
 * captured below are merged (scans, calcs, window and group aggregations);
 * nothing that calls a nondeterministic function.
 */
static bool expr_sig(struct arena *a, struct strbuf *sb, const struct expr *e)
{
    if (e == NULL) {
        sb_addc(sb, '~');
        return true;
    }
    if (e->kind == EX_CALL && (e->fn->flags & FN_NONDETERMINISTIC))
        return false;
    sb_addf(sb, "(%d.%d.%d.%d.%s", e->kind, e->op, e->cast_mode, e->index,
            type_to_sql(a, e->type));
    if (e->kind == EX_LITERAL) {
        sb_addc(sb, ' ');
        expr_to_text(sb, e, NULL);
    } else if (e->kind == EX_CALL) {
        sb_addf(sb, " %s", e->fn->name);
    }
    for (int i = 0; i < e->n_args; i++)
        if (!expr_sig(a, sb, e->args[i]))
            return false;
    sb_addc(sb, ')');
    return true;
}

static bool node_sig(struct job_plan *p, const struct lnode *n, struct strbuf *sb)
{
    struct arena *a = &p->arena;
    sb_addf(sb, "%d/%d/", n->kind, n->n_out);
    for (int i = 0; i < n->n_out; i++)
        sb_addf(sb, "%s:%s,", n->out_names[i], type_to_sql(a, n->out_types[i]));
    for (int i = 0; i < n->n_inputs; i++)
        sb_addf(sb, "<%p", (void *)n->inputs[i]);
    bool ok = true;
    switch (n->kind) {
    case LN_SCAN:
        sb_addf(sb, "T%p/", (void *)n->table);
        for (int i = 0; i < n->n_proj; i++)
            sb_addf(sb, "%d,", n->proj[i]);
        ok = expr_sig(a, sb, n->wm_expr);
        break;
    case LN_CALC:
        ok = expr_sig(a, sb, n->filter);
        for (int i = 0; ok && i < n->n_out; i++)
            ok = expr_sig(a, sb, n->exprs[i]);
        break;
    case LN_WINDOW_AGG:
    case LN_GROUP_AGG: {
        const struct window_spec *w = &n->win;
        if (n->kind == LN_WINDOW_AGG)
            sb_addf(sb, "W%d.%d.%d.%d.%d.%lld.%lld.%lld.%lld.%d.%d/", w->kind, w->time_col,
                    w->proctime, w->ltz, w->assigned, (long long)w->size, (long long)w->slide,
                    (long long)w->offset, (long long)w->gap, w->start_col, w->end_col);
        for (int k = 0; ok && k < n->n_keys; k++)
            ok = expr_sig(a, sb, n->keys[k]);
        sb_addf(sb, "S%d", n->n_sets);
        for (int k = 0; k < n->n_sets; k++)
            sb_addf(sb, ".%llx", (unsigned long long)n->sets[k]);
        for (int g = 0; ok && g < n->n_aggs; g++) {
            const struct agg_call *c = &n->aggs[g];
            sb_addf(sb, "A%s.%d.%d.%s", c->def->name, c->distinct, c->n_args,
                    type_to_sql(a, c->type));
            for (int i = 0; ok && i < c->n_args; i++)
                ok = expr_sig(a, sb, c->args[i]);
            ok = ok && expr_sig(a, sb, c->filter);
        }
        break;
    }
    default:
        ok = false;
        break;
    }
    return ok;
}

struct reuse {
    struct lnode **done;             /* visited nodes */
    int n_done;
    struct lnode **canon;            /* distinct mergeable nodes seen */
    char **sigs;
    int n_canon;
    int merged;
};

static struct lnode *reuse_node(struct job_plan *p, struct reuse *r, struct lnode *n, int depth)
{
    for (int i = 0; i < r->n_done; i++)
        if (r->done[i] == n)
            return n;
    if (depth > 200)
        return n;
    for (int i = 0; i < n->n_inputs; i++)
        n->inputs[i] = reuse_node(p, r, n->inputs[i], depth + 1);
    r->done = mem_realloc(r->done, (size_t)(r->n_done + 1) * sizeof(*r->done));
    r->done[r->n_done++] = n;
    struct strbuf sb = {0};
    if (!node_sig(p, n, &sb)) {
        sb_free(&sb);
        return n;
    }
    for (int i = 0; i < r->n_canon; i++)
        if (strcmp(r->sigs[i], sb.buf) == 0) {
            sb_free(&sb);
            r->merged++;
            return r->canon[i];
        }
    r->canon = mem_realloc(r->canon, (size_t)(r->n_canon + 1) * sizeof(*r->canon));
    r->sigs = mem_realloc(r->sigs, (size_t)(r->n_canon + 1) * sizeof(*r->sigs));
    r->canon[r->n_canon] = n;
    r->sigs[r->n_canon++] = sb_steal(&sb);
    return n;
}

static void reuse_subplans(struct job_plan *p)
{
    struct reuse r = {0};
    for (int s = 0; s < p->n_sinks; s++)
        p->sinks[s]->inputs[0] = reuse_node(p, &r, p->sinks[s]->inputs[0], 0);
    if (r.merged)
        sb_addf(&p->rewrites, "sub-plan reuse: %d node%s computed once for several readers\n",
                r.merged, r.merged == 1 ? "" : "s");
    for (int i = 0; i < r.n_canon; i++)
        mem_free(r.sigs[i]);
    mem_free(r.sigs);
    mem_free(r.canon);
    mem_free(r.done);
}

int plan_optimize(struct job_plan *p, struct weir_error *err)
{
    (void)err;
    for (int s = 0; s < p->n_sinks; s++)
        p->sinks[s]->inputs[0] = push_through_union(p, p->sinks[s]->inputs[0]);
    for (int s = 0; s < p->n_sinks; s++)
        p->sinks[s]->inputs[0] = merge_calcs(p, p->sinks[s]->inputs[0]);
    /* folding again: merged calcs may expose new constants */
    for (int s = 0; s < p->n_sinks; s++) {
        struct lnode *c = p->sinks[s]->inputs[0];
        if (c->kind != LN_CALC)
            continue;
        for (int i = 0; i < c->n_out; i++)
            p->n_folded += expr_fold(&p->arena, &c->exprs[i]);
        if (c->filter)
            p->n_folded += expr_fold(&p->arena, &c->filter);
    }
    struct strbuf head = {0};
    sb_addf(&head, "constant folding: %d expression%s\n", p->n_folded, p->n_folded == 1 ? "" : "s");
    sb_addf(&head, "calc merging: %d\n", p->n_merged);
    sb_addf(&head, "filter push-down through UNION ALL: %d\n", p->n_pushed_filters);
    if (!p->keep_columns)
        prune_calcs(p);
    reuse_subplans(p);
    pushdown_projections(p);
    if (p->rewrites.len)
        sb_adds(&head, p->rewrites.buf);
    sb_free(&p->rewrites);
    p->rewrites = head;
    return WEIR_OK;
}

/* ---- EXPLAIN (logical) ---------------------------------------------------------------- */

static void interval_text(struct strbuf *sb, int64_t us)
{
    char buf[64];
    dt_fmt_interval_dt(buf, us);
    sb_addf(sb, "INTERVAL '%s'", buf);
}

void plan_updating_cause(const struct lnode *n, struct strbuf *sb)
{
    switch (n->kind) {
    case LN_GROUP_AGG:
        sb_adds(sb, "a GROUP BY without a window");
        return;
    case LN_RANK:
        sb_adds(sb, "a Top-N or deduplication");
        return;
    case LN_JOIN:
        if (n->join != JOIN_INNER && n->join != JOIN_SEMI && !n->interval && !n->window) {
            sb_adds(sb, n->join == JOIN_ANTI ? "an anti join (NOT IN, NOT EXISTS, EXCEPT)"
                                             : "an outer join");
            return;
        }
        break;
    case LN_SCAN:
        if (plan_updating(n)) {
            sb_addf(sb, "table '%s', whose format %s reads a changelog", n->table->name,
                    n->table->format->name);
            return;
        }
        break;
    default:
        break;
    }
    for (int i = 0; i < n->n_inputs; i++)
        if (plan_updating(n->inputs[i])) {
            plan_updating_cause(n->inputs[i], sb);
            return;
        }
    sb_adds(sb, "an operator that updates its rows");
}

bool plan_updating(const struct lnode *n)
{
    switch (n->kind) {
    case LN_GROUP_AGG:
        return true;
    case LN_RANK:
        /* a Top-N replaces rows; only keep-first on processing time never does */
        return !(n->dedup && !n->desc[0] && n->order[0]->type->time_attr == TA_PROCTIME);
    case LN_JOIN:
        /* an outer join retracts its NULL-padded rows when a match arrives;
         * interval and window joins pad a row (and a window anti join passes
         * one) only once it can no longer match */
        if (n->interval || n->window)
            return false;
        /* an anti join retracts a row when its first match arrives; a semi
         * join over insert-only inputs only ever adds */
        return (n->join != JOIN_INNER && n->join != JOIN_SEMI) || plan_updating(n->inputs[0]) ||
               plan_updating(n->inputs[1]);
    case LN_SCAN:
        /* a changelog format (debezium-json, canal-json) reads -U/+U/-D rows */
        return n->table->format != NULL && n->table->format->changelog;
    case LN_WINDOW_AGG:
    case LN_VALUES:
    case LN_OVER:   /* each input row once, never updated (bind refuses updating input) */
    case LN_TEMPORAL_JOIN:   /* each left row once, when the watermark passes it */
        return false;
    default:
        for (int i = 0; i < n->n_inputs; i++)
            if (plan_updating(n->inputs[i]))
                return true;
        return false;
    }
}

static void agg_list(const struct lnode *n, struct strbuf *sb, const char *const *in_names)
{
    sb_adds(sb, "groupBy=[");
    for (int k = 0; k < n->n_keys; k++) {
        if (k)
            sb_adds(sb, ", ");
        expr_to_text(sb, n->keys[k], in_names);
    }
    sb_adds(sb, "], select=[");
    for (int a = 0; a < n->n_aggs; a++) {
        if (a)
            sb_adds(sb, ", ");
        sb_adds(sb, n->aggs[a].name);
        if (n->aggs[a].filter) {
            sb_adds(sb, " FILTER ");
            expr_to_text(sb, n->aggs[a].filter, in_names);
        }
    }
    sb_addc(sb, ']');
}

void plan_node_label(const struct lnode *n, struct strbuf *sb)
{
    const struct window_spec *w = &n->win;
    const char *const *in_names = n->inputs[0]->out_names;
    if (n->kind == LN_GROUP_AGG) {
        sb_adds(sb, "GroupAggregate(");
        agg_list(n, sb, in_names);
        sb_addc(sb, ')');
        return;
    }
    if (n->kind == LN_RANK) {
        sb_addf(sb, "%s(partitionBy=[", n->dedup ? "Deduplicate" : "Rank");
        for (int k = 0; k < n->n_part; k++) {
            if (k)
                sb_adds(sb, ", ");
            expr_to_text(sb, n->part[k], in_names);
        }
        sb_adds(sb, "], orderBy=[");
        for (int k = 0; k < n->n_order; k++) {
            if (k)
                sb_adds(sb, ", ");
            expr_to_text(sb, n->order[k], in_names);
            sb_adds(sb, n->desc[k] ? " DESC" : " ASC");
        }
        sb_addf(sb, "], rankRange=[1..%lld]%s)", (long long)n->top_n,
                n->rank_output ? ", rankNumber" : "");
        return;
    }
    if (n->kind == LN_OVER) {
        sb_adds(sb, "OverAggregate(partitionBy=[");
        for (int k = 0; k < n->n_part; k++) {
            if (k)
                sb_adds(sb, ", ");
            expr_to_text(sb, n->part[k], in_names);
        }
        sb_adds(sb, "], orderBy=[");
        expr_to_text(sb, n->order[0], in_names);
        sb_addf(sb, " ASC], window=[%s BETWEEN ", n->over_rows ? "ROWS" : "RANGE");
        if (n->over_preceding < 0)
            sb_adds(sb, "UNBOUNDED");
        else if (n->over_rows)
            sb_addf(sb, "%lld", (long long)n->over_preceding);
        else
            interval_text(sb, n->over_preceding);
        sb_adds(sb, " PRECEDING AND CURRENT ROW], select=[");
        for (int a = 0; a < n->n_aggs; a++)
            sb_addf(sb, "%s%s", a ? ", " : "", n->aggs[a].name);
        sb_adds(sb, "])");
        return;
    }
    if (n->kind == LN_LOOKUP_JOIN) {
        sb_addf(sb, "LookupJoin(table=[%s], joinType=[%s], lookup=[", n->table->name,
                n->join == JOIN_LEFT ? "LeftOuterJoin" : "InnerJoin");
        for (int k = 0; k < n->n_jkeys; k++) {
            if (k)
                sb_adds(sb, ", ");
            sb_addf(sb, "%s=", n->out_names[n->inputs[0]->n_out + n->rkey_cols[k]]);
            expr_to_text(sb, n->lkeys[k], in_names);
        }
        sb_adds(sb, "])");
        return;
    }
    if (n->kind == LN_UNNEST) {
        /* Flink's label: the collection is read from the correlated left row */
        int nl = n->inputs[0]->n_out;
        char **cor = mem_alloc((size_t)(nl + 1) * sizeof(char *));
        for (int i = 0; i < nl; i++)
            cor[i] = mem_sprintf("$cor0.%s", in_names[i]);
        struct strbuf call = {0};
        sb_addf(&call, "$UNNEST_ROWS%s$1(", n->ordinality ? "_WITH_ORDINALITY" : "");
        expr_to_text(&call, n->unnest, (const char *const *)cor);
        sb_addc(&call, ')');
        sb_addf(sb, "Correlate(invocation=[%s], correlate=[table(%s)], select=[", call.buf,
                call.buf);
        for (int i = 0; i < n->n_out; i++)
            sb_addf(sb, "%s%s", i ? "," : "", n->out_names[i]);
        sb_addf(sb, "], joinType=[%s])", n->join == JOIN_LEFT ? "LEFT" : "INNER");
        sb_free(&call);
        for (int i = 0; i < nl; i++)
            mem_free(cor[i]);
        mem_free(cor);
        return;
    }
    if (n->kind == LN_TEMPORAL_JOIN) {
        /* Flink's label, its temporal condition shortened to the two times */
        const char *const *rn = n->inputs[1]->out_names;
        sb_addf(sb, "TemporalJoin(joinType=[%s], where=[",
                n->join == JOIN_LEFT ? "LeftOuterJoin" : "InnerJoin");
        for (int k = 0; k < n->n_jkeys; k++) {
            expr_to_text(sb, n->lkeys[k], in_names);
            sb_adds(sb, " = ");
            expr_to_text(sb, n->rkeys[k], rn);
            sb_adds(sb, " AND ");
        }
        sb_addf(sb, "__TEMPORAL_JOIN_CONDITION(%s, %s)", in_names[n->time_col[0]],
                rn[n->time_col[1]]);
        if (n->residual) {
            sb_adds(sb, " AND ");
            expr_to_text(sb, n->residual, n->out_names);
        }
        sb_adds(sb, "])");
        return;
    }
    if (n->kind == LN_REPLICATE) {
        sb_addf(sb, "ReplicateRows(count=[%s], select=[", in_names[0]);
        for (int i = 0; i < n->n_out; i++)
            sb_addf(sb, "%s%s", i ? ", " : "", in_names[i + 1]);
        sb_adds(sb, "])");
        return;
    }
    if (n->kind == LN_JOIN) {
        static const char *kinds[] = {"InnerJoin", "LeftOuterJoin", "RightOuterJoin",
                                      "FullOuterJoin", "LeftSemiJoin", "LeftAntiJoin"};
        const char *const *rn = n->inputs[1]->out_names;
        if (n->interval)
            /* Flink's label, bounds in milliseconds */
            sb_addf(sb, "IntervalJoin(joinType=[%s], windowBounds=[isRowTime=true, "
                        "leftLowerBound=%lld, leftUpperBound=%lld, leftTimeIndex=%d, "
                        "rightTimeIndex=%d], where=[",
                    kinds[n->join], (long long)(n->lower / 1000), (long long)(n->upper / 1000),
                    n->time_col[0], n->time_col[1]);
        else
            sb_addf(sb, "%s(joinType=[%s], where=[", n->window ? "WindowJoin" : "Join",
                    kinds[n->join]);
        for (int k = 0; k < n->n_jkeys; k++) {
            if (k)
                sb_adds(sb, " AND ");
            expr_to_text(sb, n->lkeys[k], in_names);
            sb_adds(sb, n->null_safe ? " IS NOT DISTINCT FROM " : " = ");
            expr_to_text(sb, n->rkeys[k], rn);
        }
        if (n->residual) {
            /* over [left, right], which a semi/anti join does not output */
            bool left_only = n->join == JOIN_SEMI || n->join == JOIN_ANTI;
            int nl = n->inputs[0]->n_out, nr = n->inputs[1]->n_out;
            const char **names = mem_alloc((size_t)(nl + nr + 1) * sizeof(char *));
            for (int i = 0; i < nl + nr; i++)
                names[i] = !left_only ? n->out_names[i] : i < nl ? in_names[i] : rn[i - nl];
            if (n->n_jkeys)
                sb_adds(sb, " AND ");
            expr_to_text(sb, n->residual, names);
            mem_free(names);
        }
        if (n->n_jkeys == 0 && n->residual == NULL)
            sb_adds(sb, "true");
        sb_adds(sb, "]");
        if (!n->interval && (n->bounded[0] || n->bounded[1]))
            /* weir's own: which side's rows the watermark retires */
            sb_addf(sb, ", stateBound=[%s%s%s, leftLowerBound=%lld, leftUpperBound=%lld]",
                    n->bounded[0] ? "left" : "", n->bounded[0] && n->bounded[1] ? "+" : "",
                    n->bounded[1] ? "right" : "", (long long)(n->lower / 1000),
                    (long long)(n->upper / 1000));
        sb_adds(sb, ")");
        return;
    }
    static const char *kinds[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
    if (w->assigned)
        /* Flink's label for windows carried by the input */
        sb_addf(sb, "WindowAggregate(window=[%s(win_start=[%s], win_end=[%s], ", kinds[w->kind],
                in_names[w->start_col], in_names[w->end_col]);
    else
        sb_addf(sb, "%s(window=[%s(%s, ", n->kind == LN_WINDOW_TVF ? "WindowTableFunction"
                                                                   : "WindowAggregate",
                kinds[w->kind], in_names[w->time_col]);
    switch (w->kind) {
    case WIN_TUMBLE: interval_text(sb, w->size); break;
    case WIN_HOP:
    case WIN_CUMULATE:
        interval_text(sb, w->slide);
        sb_adds(sb, ", ");
        interval_text(sb, w->size);
        break;
    case WIN_SESSION: interval_text(sb, w->gap); break;
    }
    sb_addf(sb, ")%s]", w->proctime ? ", time=[proctime]" : "");
    if (n->kind == LN_WINDOW_AGG) {
        sb_adds(sb, ", ");
        agg_list(n, sb, in_names);
    }
    sb_addc(sb, ')');
}

static void explain_node(const struct lnode *n, struct strbuf *sb, int depth)
{
    for (int i = 0; i < depth; i++)
        sb_adds(sb, i + 1 == depth ? "+- " : "   ");
    struct arena a;
    arena_init(&a, 4096);
    const char *const *in_names = n->n_inputs ? n->inputs[0]->out_names : NULL;
    switch (n->kind) {
    case LN_SCAN:
        sb_addf(sb, "Scan(table=[%s], connector=[%s], fields=[", n->table->name,
                n->table->conn->name);
        for (int i = 0; i < n->n_out; i++)
            sb_addf(sb, "%s%s", i ? ", " : "", n->out_names[i]);
        sb_adds(sb, "]");
        if (n->wm_expr) {
            sb_adds(sb, ", watermark=[");
            expr_to_text(sb, n->wm_expr, n->out_names);
            sb_adds(sb, "]");
        }
        sb_adds(sb, ")");
        break;
    case LN_VALUES:
        sb_addf(sb, "Values(rows=[%d], fields=[", n->n_rows);
        for (int i = 0; i < n->n_out; i++)
            sb_addf(sb, "%s%s", i ? ", " : "", n->out_names[i]);
        sb_adds(sb, "])");
        break;
    case LN_CALC:
        sb_adds(sb, "Calc(");
        if (n->filter) {
            sb_adds(sb, "where=[");
            expr_to_text(sb, n->filter, in_names);
            sb_adds(sb, "], ");
        }
        sb_adds(sb, "select=[");
        for (int i = 0; i < n->n_out; i++) {
            if (i)
                sb_adds(sb, ", ");
            expr_to_text(sb, n->exprs[i], in_names);
            if (n->exprs[i]->kind != EX_COLUMN || strcmp(in_names[n->exprs[i]->index], n->out_names[i]))
                sb_addf(sb, " AS %s", n->out_names[i]);
        }
        sb_adds(sb, "])");
        break;
    case LN_UNION:
        sb_addf(sb, "Union(all=[true], inputs=[%d])", n->n_inputs);
        break;
    case LN_WINDOW_TVF:
    case LN_WINDOW_AGG:
    case LN_GROUP_AGG:
    case LN_JOIN:
    case LN_RANK:
    case LN_LOOKUP_JOIN:
    case LN_REPLICATE:
    case LN_OVER:
    case LN_UNNEST:
    case LN_TEMPORAL_JOIN:
        plan_node_label(n, sb);
        break;
    case LN_SINK:
        if (n->table)
            sb_addf(sb, "Sink(table=[%s], connector=[%s], fields=[", n->table->name,
                    n->table->conn->name);
        else
            sb_adds(sb, "Sink(stdout, fields=[");
        for (int i = 0; i < n->n_out; i++)
            sb_addf(sb, "%s%s %s", i ? ", " : "", n->out_names[i], type_to_sql(&a, n->out_types[i]));
        sb_adds(sb, "])");
        break;
    }
    sb_addc(sb, '\n');
    arena_free(&a);
    for (int i = 0; i < n->n_inputs; i++)
        explain_node(n->inputs[i], sb, depth + 1);
}

void plan_explain_logical(const struct job_plan *p, struct strbuf *sb)
{
    for (int s = 0; s < p->n_sinks; s++)
        explain_node(p->sinks[s], sb, 0);
}
