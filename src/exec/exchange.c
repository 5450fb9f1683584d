/*
 * exchange.c — the operators at both ends of an exchange (see exchange.h).
 */
#include "exec/exchange.h"
#include "state/table.h"

#include <string.h>

struct exchange *exchange_new(int id, int parallelism, int max_parallelism, bool forward)
{
    struct exchange *x = mem_calloc(1, sizeof(*x));
    x->id = id;
    x->parallelism = parallelism;
    x->max_parallelism = max_parallelism;
    x->forward = forward;
    x->owner = mem_calloc((size_t)max_parallelism + 1, sizeof(int));
    for (int kg = 0; kg < max_parallelism; kg++)
        x->owner[kg] = (int)((int64_t)kg * parallelism / max_parallelism);
    x->q = mem_calloc((size_t)parallelism * (size_t)parallelism, sizeof(*x->q));
    x->spare = mem_calloc((size_t)parallelism * (size_t)parallelism, sizeof(*x->spare));
    for (int i = 0; i < parallelism * parallelism; i++)
        if (!forward || i / parallelism == i % parallelism) {
            x->q[i] = queue_new(EXCHANGE_QUEUE_CAP);
            x->spare[i] = queue_new(EXCHANGE_QUEUE_CAP);
        }
    return x;
}

void exchange_free(struct exchange *x)
{
    if (x == NULL)
        return;
    for (int i = 0; i < x->parallelism * x->parallelism; i++) {
        queue_free(x->q[i]);
        queue_free(x->spare[i]);
    }
    mem_free(x->q);
    mem_free(x->spare);
    mem_free(x->owner);
    mem_free(x);
}

/* ---- sending side ------------------------------------------------------------------ */

struct op_xout {
    struct op op;
    struct exchange *x;
    int from;
    struct expr **keys;
    int n_keys;
    volatile int *abort_flag;
    const struct vec **key_vecs;
    struct strbuf key;
    struct batch **out;            /* per receiver, being filled */
    int *dest;                     /* per live row of a batch: its receiver */
    int *rows;                     /* the batch's rows grouped by receiver */
    int *count;                    /* per receiver (P + 1 entries) */
    int *off;                      /* per receiver: where its rows' hashes go */
    uint64_t *hash;                /* per live row: its key's state_hash */
    int n_cols;                    /* the rows' columns */
    const struct sql_type *const *types;
    int64_t blocked_ns;
    bool ended;                    /* MSG_END sent */
};

/* An empty batch for receiver `to`: one it handed back, else a new one.
 * Allocating (and zeroing) the vectors of every batch sent was about a
 * tenth of the exchange's cost (callgrind, Nexmark q11 at -p 2). */
static struct batch *spare_batch(struct op_xout *o, int to)
{
    struct msg m;
    if (queue_try_pop(o->x->spare[o->from * o->x->parallelism + to], &m))
        return m.batch;
    return batch_new(o->n_cols, o->types);
}

static int xout_send(struct op_xout *o, int to, struct msg m, struct weir_error *err)
{
    struct queue *q = o->x->q[o->from * o->x->parallelism + to];
    if (!queue_push(q, m, o->abort_flag, &o->blocked_ns)) {
        if (m.batch)
            batch_free(m.batch);
        return err_set(err, WEIR_ERR_RUNTIME, "job aborted");
    }
    return WEIR_OK;
}

/* hash[k] = state_hash of the state_key_encode bytes of live row k's key
 * (the key groups checkpoints are cut by depend on it being exactly that).
 * A key of one int64-lane column, the usual one, is hashed from the value:
 * encoding it a byte string first was a fifth of the exchange's cost
 * (callgrind, Nexmark q11 at -p 2; issue 3). */
static void key_hashes(struct op_xout *o, const struct batch *b, int n)
{
    if (o->n_keys == 1 && type_lane(o->key_vecs[0]->type) == LANE_I64) {
        state_hash_i64_keys(o->key_vecs[0], b->sel, n, o->hash);
        return;
    }
    for (int k = 0; k < n; k++) {
        state_key_encode(&o->key, o->key_vecs, o->n_keys, batch_row(b, k));
        o->hash[k] = state_hash(o->key.buf, o->key.len);
    }
}

static int xout_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                     struct weir_error *err)
{
    (void)port;
    struct op_xout *o = (struct op_xout *)op;
    int P = o->x->parallelism;
    int rc;
    int n = batch_live(b);
    if (o->dest == NULL) {
        o->dest = mem_alloc(BATCH_CAP * sizeof(int));
        o->rows = mem_alloc(BATCH_CAP * sizeof(int));
        o->count = mem_alloc((size_t)(P + 1) * sizeof(int));
        o->off = mem_alloc((size_t)P * sizeof(int));
        o->hash = mem_alloc(BATCH_CAP * sizeof(uint64_t));
    }
    if (o->x->forward) {
        /* the batch is borrowed: the receiver gets its own copy */
        struct batch *c = o->out[o->from];
        for (int k = 0; k < n; k++)
            o->rows[k] = batch_row(b, k);
        batch_append_rows(c, b, o->rows, n);
        o->out[o->from] = NULL;
        atomic_fetch_add_explicit(&op->rows_out, n, memory_order_relaxed);
        rc = xout_send(o, o->from, (struct msg){MSG_BATCH, c, 0}, err);
        if (rc == WEIR_OK)
            o->out[o->from] = spare_batch(o, o->from);
        return rc;
    }
    for (int k = 0; k < o->n_keys; k++)
        if ((rc = expr_eval(o->keys[k], ctx, b, &o->key_vecs[k], err)))
            return rc;
    key_hashes(o, b, n);
    /* a counting sort of the rows by receiver, then one column-wise copy each */
    memset(o->count, 0, (size_t)(P + 1) * sizeof(int));
    for (int k = 0; k < n; k++) {
        o->dest[k] = o->x->owner[state_key_group(o->hash[k], o->x->max_parallelism)];
        o->count[o->dest[k] + 1]++;
    }
    for (int to = 0; to < P; to++)
        o->count[to + 1] += o->count[to];
    /* count[to] begins receiver to's rows; a row's hash goes straight to its
     * place in its receiver's batch (at + off[to]), so that the keyed operator
     * behind need not hash the key again */
    for (int to = 0; to < P; to++) {
        struct batch *c = o->out[to];
        batch_ensure_hashes(c);
        c->hash_src = o->x;
        o->off[to] = c->n - o->count[to];
    }
    for (int k = 0; k < n; k++) {
        int to = o->dest[k], at = o->count[to]++;
        o->rows[at] = batch_row(b, k);
        o->out[to]->hashes[at + o->off[to]] = o->hash[k];
    }
    /* count[to] now ends receiver to's rows, and begins to + 1's */
    for (int to = 0, start = 0; to < P; start = o->count[to], to++)
        batch_append_rows(o->out[to], b, o->rows + start, o->count[to] - start);
    atomic_fetch_add_explicit(&op->rows_out, n, memory_order_relaxed);
    for (int to = 0; to < P; to++) {
        struct batch *c = o->out[to];
        if (c->n == 0)
            continue;
        o->out[to] = NULL;
        if ((rc = xout_send(o, to, (struct msg){MSG_BATCH, c, 0}, err)))
            return rc;
        o->out[to] = spare_batch(o, to);
    }
    return WEIR_OK;
}

static int broadcast(struct op_xout *o, struct msg m, struct weir_error *err)
{
    for (int to = 0; to < o->x->parallelism; to++) {
        if (o->x->forward && to != o->from)
            continue;
        int rc = xout_send(o, to, m, err);
        if (rc)
            return rc;
    }
    return WEIR_OK;
}

static int xout_watermark(struct op *op, int64_t wm, struct eval_ctx *ctx, struct weir_error *err)
{
    (void)ctx;
    atomic_store_explicit(&op->wm_out, wm, memory_order_relaxed);
    return broadcast((struct op_xout *)op, (struct msg){MSG_WATERMARK, NULL, wm}, err);
}

static int xout_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    (void)ctx;
    ((struct op_xout *)op)->ended = true;
    return broadcast((struct op_xout *)op, (struct msg){MSG_END, NULL, 0}, err);
}

/* Rows are sent as they come, so nothing is buffered: the barrier follows the
 * last row of the checkpoint in every channel.  An ended channel needs none
 * (the receiver no longer waits for it). */
static int xout_barrier(struct op *op, int64_t id, struct weir_error *err)
{
    struct op_xout *o = (struct op_xout *)op;
    if (o->ended)
        return WEIR_OK;
    return broadcast(o, (struct msg){MSG_BARRIER, NULL, id}, err);
}

static void xout_free(struct op *op)
{
    struct op_xout *o = (struct op_xout *)op;
    for (int to = 0; to < o->x->parallelism; to++)
        batch_free(o->out[to]);
    mem_free(o->out);
    mem_free(o->dest);
    mem_free(o->rows);
    mem_free(o->count);
    mem_free(o->off);
    mem_free(o->hash);
    for (int k = 0; k < o->n_keys; k++)
        expr_free_scratch(o->keys[k]);
    mem_free(o->key_vecs);
    sb_free(&o->key);
    mem_free(o);
}

static const struct op_ops xout_ops = {"ExchangeOut", xout_push, xout_watermark, NULL,
                                       xout_finish, xout_free, .barrier = xout_barrier};

/* The receiver batches take their column types from the first batch sent. */
struct op *op_exchange_out_new(int id, struct exchange *x, int from, struct expr **keys,
                               int n_keys, volatile int *abort_flag)
{
    struct op_xout *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &xout_ops, id,
            x->forward ? mem_sprintf("Exchange#%d(forward)", id)
                       : mem_sprintf("Exchange#%d(hash, %d key%s)", id, n_keys,
                                     n_keys == 1 ? "" : "s"));
    o->x = x;
    o->from = from;
    o->keys = keys;
    o->n_keys = n_keys;
    o->abort_flag = abort_flag;
    o->key_vecs = mem_calloc((size_t)(n_keys + 1), sizeof(*o->key_vecs));
    sb_reserve(&o->key, 64);   /* a key with no columns is 0 bytes, never a NULL pointer */
    o->out = mem_calloc((size_t)x->parallelism, sizeof(*o->out));
    return &o->op;
}

/* Sets the column types of the per-receiver batches (called once the input's
 * types are known, before the first push). */
void op_exchange_out_types(struct op *op, int n_cols, const struct sql_type *const *types)
{
    struct op_xout *o = (struct op_xout *)op;
    o->n_cols = n_cols;
    o->types = types;
    for (int to = 0; to < o->x->parallelism; to++) {
        batch_free(o->out[to]);
        o->out[to] = batch_new(n_cols, types);
    }
}

int64_t op_exchange_blocked_ns(const struct op *op)
{
    return op->ops == &xout_ops ? ((const struct op_xout *)op)->blocked_ns : 0;
}

bool op_is_exchange_out(const struct op *op)
{
    return op->ops == &xout_ops;
}

/* ---- receiving side ------------------------------------------------------------------ */

struct op_xin {
    struct op op;
    struct exchange *x;
    int to;
    int n_ended;
};

static int xin_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                    struct weir_error *err)
{
    (void)port;
    return op_emit(op, b, ctx, err);
}

static int xin_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    return op_finish_next(op, ctx, err);
}

static void xin_free(struct op *op) { mem_free(op); }

/* No state of its own, but its per-channel watermarks (which the runtime
 * keeps in every section's header) decide when the keyed operator behind it
 * sees time advance: without them a restored job would hold the watermark
 * back until every channel spoke again, and judge late rows differently. */
static int xin_snapshot(struct op *op, struct snap_writer *w, struct weir_error *err)
{
    (void)op;
    (void)w;
    (void)err;
    return WEIR_OK;
}

static int xin_restore(struct op *op, int kg, struct snap_rd *rd, struct weir_error *err)
{
    (void)kg;
    (void)rd;
    return err_set(err, WEIR_ERR_CORRUPT, "%s: unexpected state in the checkpoint", op->label);
}

static const struct op_ops xin_ops = {"ExchangeIn", xin_push, NULL, NULL, xin_finish, xin_free,
                                      .snapshot = xin_snapshot, .restore = xin_restore};

struct op *op_exchange_in_new(int id, struct exchange *x, int to)
{
    struct op_xin *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &xin_ops, id, mem_sprintf("ExchangeIn#%d", id));
    o->x = x;
    o->to = to;
    /* one input port per sending instance (forward: just its own) */
    int n = x->forward ? 1 : x->parallelism;
    o->op.n_inputs = n;
    o->op.in_wm = mem_calloc((size_t)n, sizeof(int64_t));
    for (int i = 0; i < n; i++)
        o->op.in_wm[i] = WM_NONE;
    return &o->op;
}

const struct exchange *op_exchange_in_of(const struct op *op)
{
    return op->ops == &xin_ops ? ((const struct op_xin *)op)->x : NULL;
}

int exchange_in_deliver(struct op *op, int from, struct msg *m, struct eval_ctx *ctx,
                        bool *ended, struct weir_error *err)
{
    struct op_xin *o = (struct op_xin *)op;
    int port = o->x->forward ? 0 : from;
    int rc = WEIR_OK;
    switch (m->kind) {
    case MSG_BATCH:
        atomic_fetch_add_explicit(&op->rows_in, m->batch->n, memory_order_relaxed);
        rc = op_emit(op, m->batch, ctx, err);
        /* back to the sender (the batch is reset: the operators downstream
         * keep nothing of it once op_emit returns) */
        batch_reset(m->batch);
        if (!queue_try_push(o->x->spare[from * o->x->parallelism + o->to],
                            (struct msg){MSG_BATCH, m->batch, 0}))
            batch_free(m->batch);
        m->batch = NULL;
        break;
    case MSG_WATERMARK:
        rc = op_watermark_in(op, port, m->value, ctx, err);
        break;
    case MSG_END:
        /* an ended channel no longer holds the watermark back */
        rc = op_watermark_in(op, port, WM_END, ctx, err);
        if (rc == WEIR_OK && ++o->n_ended == op->n_inputs) {
            rc = op->ops->finish(op, ctx, err);
            *ended = true;
        }
        break;
    default:
        break;
    }
    return rc;
}
