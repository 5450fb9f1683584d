/*
 * op.c — operator plumbing and the two stateless operators: calc (filter +
 * projection, the body of every fused chain) and sink (hands batches to a
 * connector).  See op.h.
 */
#include "exec/op.h"

#include <string.h>

int op_emit(struct op *op, struct batch *b, struct eval_ctx *ctx, struct weir_error *err)
{
    int n = batch_live(b);
    if (n == 0)
        return WEIR_OK;
    atomic_fetch_add_explicit(&op->rows_out, n, memory_order_relaxed);
    for (int i = 0; i < op->n_next; i++) {
        struct op *d = op->next[i];
        atomic_fetch_add_explicit(&d->rows_in, n, memory_order_relaxed);
        int rc = d->ops->push(d, b, ctx, err);
        if (rc)
            return rc;
    }
    return WEIR_OK;
}

int op_finish_next(struct op *op, struct weir_error *err)
{
    for (int i = 0; i < op->n_next; i++) {
        struct op *d = op->next[i];
        if (++d->n_finished == d->n_inputs) {
            int rc = d->ops->finish(d, err);
            if (rc)
                return rc;
        }
    }
    return WEIR_OK;
}

void op_connect(struct op *from, struct op *to)
{
    from->next = mem_realloc(from->next, (size_t)(from->n_next + 1) * sizeof(*from->next));
    from->next[from->n_next++] = to;
    to->n_inputs++;
}

void op_free(struct op *op)
{
    if (op == NULL)
        return;
    mem_free(op->next);
    mem_free(op->label);
    op->ops->free(op);
}

/* ---- calc -------------------------------------------------------------------------- */

struct op_calc {
    struct op op;
    struct expr *filter;
    struct expr **exprs;
    int n_exprs;
    uint16_t *sel;          /* the filter's selection */
    struct vec *out_cols;   /* shallow copies of the projection results */
};

static int calc_push(struct op *op, struct batch *b, struct eval_ctx *ctx, struct weir_error *err)
{
    struct op_calc *c = (struct op_calc *)op;
    struct batch view = *b;   /* never modify the caller's batch */
    if (c->filter) {
        int n = batch_live(b);
        if (b->sel)
            memcpy(c->sel, b->sel, (size_t)n * sizeof(uint16_t));
        else
            for (int k = 0; k < n; k++)
                c->sel[k] = (uint16_t)k;
        view.sel = c->sel;
        view.n_sel = n;
        int rc = expr_filter(c->filter, ctx, &view, err);
        if (rc)
            return rc;
        if (view.n_sel == 0)
            return WEIR_OK;
    }
    for (int i = 0; i < c->n_exprs; i++) {
        const struct vec *r;
        int rc = expr_eval(c->exprs[i], ctx, &view, &r, err);
        if (rc)
            return rc;
        c->out_cols[i] = *r;
    }
    struct batch out = view;
    out.cols = c->out_cols;
    out.n_cols = c->n_exprs;
    return op_emit(op, &out, ctx, err);
}

static int calc_finish(struct op *op, struct weir_error *err)
{
    return op_finish_next(op, err);
}

static void calc_free(struct op *op)
{
    struct op_calc *c = (struct op_calc *)op;
    expr_free_scratch(c->filter);
    for (int i = 0; i < c->n_exprs; i++)
        expr_free_scratch(c->exprs[i]);
    mem_free(c->sel);
    mem_free(c->out_cols);
    mem_free(c);
}

static const struct op_ops calc_ops = {"Calc", calc_push, calc_finish, calc_free};

struct op *op_calc_new(int id, struct expr *filter, struct expr **exprs, int n_exprs)
{
    struct op_calc *c = mem_calloc(1, sizeof(*c));
    c->op.ops = &calc_ops;
    c->op.id = id;
    c->op.label = mem_sprintf("Calc#%d", id);
    c->filter = filter;
    c->exprs = exprs;
    c->n_exprs = n_exprs;
    c->sel = mem_alloc(BATCH_CAP * sizeof(uint16_t));
    c->out_cols = mem_calloc((size_t)(n_exprs ? n_exprs : 1), sizeof(struct vec));
    return &c->op;
}

/* ---- sink ---------------------------------------------------------------------------- */

struct op_sink {
    struct op op;
    struct sink *snk;
};

static int sink_push(struct op *op, struct batch *b, struct eval_ctx *ctx, struct weir_error *err)
{
    (void)ctx;
    struct op_sink *s = (struct op_sink *)op;
    return s->snk->ops->write(s->snk, b, err);
}

static int sink_finish(struct op *op, struct weir_error *err)
{
    struct op_sink *s = (struct op_sink *)op;
    return s->snk->ops->flush(s->snk, err);
}

static void sink_free(struct op *op)
{
    struct op_sink *s = (struct op_sink *)op;
    if (s->snk)
        s->snk->ops->close(s->snk);
    mem_free(s);
}

static const struct op_ops sink_ops = {"Sink", sink_push, sink_finish, sink_free};

struct op *op_sink_new(int id, struct sink *snk, const char *name)
{
    struct op_sink *s = mem_calloc(1, sizeof(*s));
    s->op.ops = &sink_ops;
    s->op.id = id;
    s->op.label = mem_sprintf("Sink: %s", name);
    s->snk = snk;
    return &s->op;
}

struct sink *op_sink_get(struct op *op)
{
    return op->ops == &sink_ops ? ((struct op_sink *)op)->snk : NULL;
}
