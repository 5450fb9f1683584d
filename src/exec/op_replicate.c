/*
 * op_replicate.c — Flink's ReplicateRows: the last step of INTERSECT ALL and
 * EXCEPT ALL, which aggregate how many copies of a row the result holds and
 * then need that many rows.  Stateless: each input row [n, columns...] is
 * emitted n times (none when n is NULL or below 1) keeping its row kind, so
 * an aggregate's -U(2, x) +U(3, x) becomes -U[x] -U[x] +U[x] +U[x] +U[x] as
 * Flink's Correlate over the table function prints it.  The counts live in
 * the aggregate's keyed state, which checkpoints already cover.
 */
#include "exec/op_replicate.h"

struct op_replicate {
    struct op op;
    struct batch *out;
};

static int flush(struct op_replicate *o, struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == 0)
        return WEIR_OK;
    int rc = op_emit(&o->op, o->out, ctx, err);
    batch_reset(o->out);
    return rc;
}

static int replicate_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                          struct weir_error *err)
{
    (void)port;
    struct op_replicate *o = (struct op_replicate *)op;
    const struct vec *count = &b->cols[0];
    int rc = WEIR_OK;
    for (int k = 0; k < batch_live(b) && rc == WEIR_OK; k++) {
        int i = batch_row(b, k);
        if (vec_is_null(count, i))
            continue;
        enum row_kind kind = batch_kind(b, i);
        for (int64_t c = 0; c < count->i64[i] && rc == WEIR_OK; c++) {
            if (o->out->n >= BATCH_CAP && (rc = flush(o, ctx, err)))
                break;
            int r = o->out->n++;
            for (int col = 0; col < o->out->n_cols; col++)
                vec_copy_row(&o->out->cols[col], r, &b->cols[col + 1], i);
            if (kind != RK_INSERT) {
                batch_ensure_kinds(o->out);
                o->out->kinds[r] = (uint8_t)kind;
            } else if (o->out->kinds) {
                o->out->kinds[r] = (uint8_t)RK_INSERT;
            }
        }
    }
    return rc ? rc : flush(o, ctx, err);
}

static int replicate_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    return op_finish_next(op, ctx, err);
}

static void replicate_free(struct op *op)
{
    struct op_replicate *o = (struct op_replicate *)op;
    batch_free(o->out);
    mem_free(o);
}

static const struct op_ops replicate_ops = {
    .kind = "Replicate",
    .push = replicate_push,
    .finish = replicate_finish,
    .free = replicate_free,
};

struct op *op_replicate_new(int id, int n_out, const struct sql_type *const *out_types,
                            char *label)
{
    struct op_replicate *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &replicate_ops, id, label);
    o->out = batch_new(n_out, out_types);
    return &o->op;
}
