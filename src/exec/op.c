/*
 * op.c — operator plumbing and the two stateless operators: calc (filter +
 * projection, the body of every fused chain) and sink (hands batches to a
 * connector).  See op.h.
 */
#include "exec/op.h"

#include <string.h>

#include "core/value_fmt.h"
#include "exec/deadletter.h"
#include "state/snapshot.h"

void op_late_row(struct op *op, const struct batch *b, int row, const char *reason)
{
    atomic_fetch_add_explicit(&op->late, 1, memory_order_relaxed);
    if (op->dlq == NULL)
        return;
    struct strbuf raw = {0};
    vfmt_print_row(&raw, batch_kind(b, row), b->cols, b->n_cols, row);
    dlq_write(op->dlq, op->label, "watermark", reason, raw.buf, raw.len);
    sb_free(&raw);
}

int op_emit(struct op *op, struct batch *b, struct eval_ctx *ctx, struct weir_error *err)
{
    int n = batch_live(b);
    if (n == 0)
        return WEIR_OK;
    atomic_fetch_add_explicit(&op->rows_out, n, memory_order_relaxed);
    if (b->kinds) {
        int64_t r = 0;
        for (int k = 0; k < n; k++) {
            uint8_t kind = b->kinds[batch_row(b, k)];
            r += kind == RK_UPDATE_BEFORE || kind == RK_DELETE;
        }
        if (r)
            atomic_fetch_add_explicit(&op->retractions, r, memory_order_relaxed);
    }
    for (int i = 0; i < op->n_next; i++) {
        struct op *d = op->next[i].to;
        atomic_fetch_add_explicit(&d->rows_in, n, memory_order_relaxed);
        int rc = d->ops->push(d, op->next[i].port, b, ctx, err);
        if (rc)
            return rc;
    }
    return WEIR_OK;
}

int op_emit_watermark(struct op *op, int64_t wm, struct eval_ctx *ctx, struct weir_error *err)
{
    if (wm != WM_IDLE)
        atomic_store_explicit(&op->wm_out, wm, memory_order_relaxed);
    for (int i = 0; i < op->n_next; i++) {
        int rc = op_watermark_in(op->next[i].to, op->next[i].port, wm, ctx, err);
        if (rc)
            return rc;
    }
    return WEIR_OK;
}

int op_watermark_in(struct op *op, int port, int64_t wm, struct eval_ctx *ctx,
                    struct weir_error *err)
{
    /* a watermark never goes back; an idle input stops holding the rest */
    if (wm == WM_IDLE || op->in_wm[port] == WM_IDLE || wm > op->in_wm[port])
        op->in_wm[port] = wm;
    int64_t min = WM_END;
    bool all_idle = true;
    for (int i = 0; i < op->n_inputs; i++) {
        if (op->in_wm[i] == WM_IDLE)
            continue;
        all_idle = false;
        if (op->in_wm[i] < min)
            min = op->in_wm[i];
    }
    if (all_idle) {
        if (op->wm == WM_IDLE)
            return WEIR_OK;
        op->wm = WM_IDLE;
        return op_emit_watermark(op, WM_IDLE, ctx, err);
    }
    if (min == WM_NONE || (op->wm != WM_IDLE && min <= op->wm))
        return WEIR_OK;
    op->wm = min;
    if (op->ops->watermark)
        return op->ops->watermark(op, min, ctx, err);
    return op_emit_watermark(op, min, ctx, err);
}

int op_finish_next(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    for (int i = 0; i < op->n_next; i++) {
        struct op *d = op->next[i].to;
        if (++d->n_finished == d->n_inputs) {
            int rc = d->ops->finish(d, ctx, err);
            if (rc)
                return rc;
        }
    }
    return WEIR_OK;
}

void op_connect(struct op *from, struct op *to)
{
    from->next = mem_realloc(from->next, (size_t)(from->n_next + 1) * sizeof(*from->next));
    from->next[from->n_next++] = (struct op_edge){to, to->n_inputs};
    to->in_wm = mem_realloc(to->in_wm, (size_t)(to->n_inputs + 1) * sizeof(int64_t));
    to->in_wm[to->n_inputs] = WM_NONE;
    to->n_inputs++;
    to->wm = WM_NONE;
}

void op_init(struct op *op, const struct op_ops *ops, int id, char *label)
{
    memset(op, 0, sizeof(*op));
    op->ops = ops;
    op->id = id;
    op->label = label;
    op->wm = WM_NONE;
    atomic_store(&op->wm_out, WM_NONE);
}

void op_free(struct op *op)
{
    if (op == NULL)
        return;
    mem_free(op->next);
    mem_free(op->in_wm);
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

static int calc_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                     struct weir_error *err)
{
    (void)port;
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

static int calc_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    return op_finish_next(op, ctx, err);
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

static const struct op_ops calc_ops = {"Calc", calc_push, NULL, NULL, calc_finish, calc_free};

struct op *op_calc_new(int id, struct expr *filter, struct expr **exprs, int n_exprs)
{
    struct op_calc *c = mem_calloc(1, sizeof(*c));
    op_init(&c->op, &calc_ops, id, mem_sprintf("Calc#%d", id));
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
    bool two_phase;         /* checkpointing on and the sink can pre-commit */
    bool ended;             /* its inputs ended; the final flush is pending */
    int64_t prepared_id;    /* last checkpoint pre-committed (0: none) */
    int64_t first_pending;  /* oldest pre-committed, not committed (0: none) */
    struct strbuf state;    /* what prepare said about it */
};

static int sink_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                     struct weir_error *err)
{
    (void)ctx;
    (void)port;
    struct op_sink *s = (struct op_sink *)op;
    return s->snk->ops->write(s->snk, b, err);
}

/* Sinks end the graph: watermarks stop here. */
static int sink_watermark(struct op *op, int64_t wm, struct eval_ctx *ctx, struct weir_error *err)
{
    (void)ctx;
    (void)err;
    atomic_store_explicit(&op->wm_out, wm, memory_order_relaxed);
    return WEIR_OK;
}

static int sink_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    (void)ctx;
    struct op_sink *s = (struct op_sink *)op;
    if (s->two_phase) {
        /* the final checkpoint commits what is left; flushing now would
         * publish rows no checkpoint covers yet */
        s->ended = true;
        return WEIR_OK;
    }
    return s->snk->ops->flush(s->snk, err);
}

static void sink_free(struct op *op)
{
    struct op_sink *s = (struct op_sink *)op;
    if (s->snk)
        s->snk->ops->close(s->snk);
    sb_free(&s->state);
    mem_free(s);
}

/* Two-phase commit, step one: the rows so far become transaction `id`. */
static int sink_barrier(struct op *op, int64_t id, struct weir_error *err)
{
    struct op_sink *s = (struct op_sink *)op;
    if (!s->two_phase)
        return WEIR_OK;
    sb_clear(&s->state);
    int rc = s->snk->ops->prepare(s->snk, id, &s->state, err);
    if (rc == WEIR_OK) {
        s->prepared_id = id;
        if (s->first_pending == 0)
            s->first_pending = id;
    }
    return rc;
}

/* Record: u32 subtask, i64 checkpoint id, bytes prepare's state.  Kept as
 * operator state: after rescaling, the new subtask s mod P finishes it. */
static int sink_snapshot(struct op *op, struct snap_writer *w, struct weir_error *err)
{
    (void)err;
    struct op_sink *s = (struct op_sink *)op;
    if (!s->two_phase || s->prepared_id == 0)
        return WEIR_OK;
    snap_begin(w, SNAP_OPERATOR);
    snap_put_u32(&w->buf, (uint32_t)s->snk->table->subtask);
    snap_put_i64(&w->buf, s->prepared_id);
    snap_put_bytes(&w->buf, s->state.buf, s->state.len);
    snap_end(w);
    return WEIR_OK;
}

static int sink_restore(struct op *op, int kg, struct snap_rd *rd, struct weir_error *err)
{
    (void)kg;
    struct op_sink *s = (struct op_sink *)op;
    uint32_t from = snap_get_u32(rd);
    int64_t id = snap_get_i64(rd);
    size_t n;
    const char *state = snap_get_bytes(rd, &n);
    if (rd->bad)
        return err_set(err, WEIR_ERR_CORRUPT, "%s: unreadable sink state in the checkpoint",
                       op->label);
    const struct table_ctx *t = s->snk->table;
    if ((int)(from % (uint32_t)t->parallelism) != t->subtask || s->snk->ops->recover == NULL)
        return WEIR_OK;
    return s->snk->ops->recover(s->snk, id, state, n, err);
}

/* Checkpoint id is complete: commit its transaction and any earlier one.  A
 * later transaction (prepared while this checkpoint was being written) waits
 * for its own checkpoint. */
static int sink_complete(struct op *op, int64_t id, struct weir_error *err)
{
    struct op_sink *s = (struct op_sink *)op;
    if (!s->two_phase || s->first_pending == 0 || s->first_pending > id)
        return WEIR_OK;
    s->first_pending = s->prepared_id > id ? s->prepared_id : 0;
    return s->snk->ops->commit(s->snk, id, err);
}

static const struct op_ops sink_ops = {"Sink", sink_push, sink_watermark, NULL, sink_finish,
                                       sink_free, sink_barrier, sink_snapshot, sink_restore,
                                       sink_complete};

void op_sink_set_two_phase(struct op *op, bool on)
{
    struct op_sink *s = (struct op_sink *)op;
    s->two_phase = on && s->snk->ops->prepare && s->snk->ops->commit;
}

int op_sink_final_flush(struct op *op, struct weir_error *err)
{
    struct op_sink *s = (struct op_sink *)op;
    if (!s->ended)
        return WEIR_OK;
    s->ended = false;
    return s->snk->ops->flush(s->snk, err);
}

struct op *op_sink_new(int id, struct sink *snk, const char *name)
{
    struct op_sink *s = mem_calloc(1, sizeof(*s));
    op_init(&s->op, &sink_ops, id, mem_sprintf("Sink: %s", name));
    s->snk = snk;
    return &s->op;
}

struct sink *op_sink_get(struct op *op)
{
    return op->ops == &sink_ops ? ((struct op_sink *)op)->snk : NULL;
}
