/*
 * op_unnest.c — Flink's Correlate over $UNNEST_ROWS$1: `FROM t CROSS JOIN
 * UNNEST(t.arr) AS u (x)` (and the comma and LEFT JOIN ... ON TRUE forms).
 * Stateless and fused into its chain: every input row comes out once per
 * element of its collection, as [input columns, element columns], keeping
 * its row kind, so a -U/+U/-D row expands exactly as the row it retracts did
 * and the changelog stays consistent without any state.
 *
 * The collection is evaluated a batch at a time; its elements sit in the
 * vector's child vectors between offsets[i] and offsets[i + 1] (batch.h), so
 * an element is a vec_copy_row away.  An ARRAY of ROW spreads each element's
 * fields over several columns (a NULL element gives NULLs), a MAP gives
 * key and value, WITH ORDINALITY appends the 1-based position.  A NULL or
 * empty collection yields nothing, or for LEFT one NULL-padded row.
 */
#include "exec/op_unnest.h"

struct op_unnest {
    struct op op;
    struct expr *arg;
    int n_left;
    bool left, ordinality;
    struct batch *out;
};

static int flush(struct op_unnest *o, struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == 0)
        return WEIR_OK;
    int rc = op_emit(&o->op, o->out, ctx, err);
    batch_reset(o->out);
    return rc;
}

/* Appends input row i of b with element e of the collection c (e < 0: the
 * NULL-padded row of a LEFT unnest); pos is e's 1-based position. */
static void put_row(struct op_unnest *o, const struct batch *b, int i, const struct vec *c, int e,
                    int64_t pos)
{
    struct batch *out = o->out;
    int r = out->n++;
    for (int col = 0; col < o->n_left; col++)
        vec_copy_row(&out->cols[col], r, &b->cols[col], i);
    int col = o->n_left;
    if (c->type->id == T_MAP) {
        for (int k = 0; k < 2; k++, col++) {
            if (e < 0)
                vec_set_null(&out->cols[col], r);
            else
                vec_copy_row(&out->cols[col], r, &c->children[k], e);
        }
    } else if (c->type->elem->id == T_ROW) {
        const struct vec *el = &c->children[0];
        for (int f = 0; f < el->n_children; f++, col++) {
            if (e < 0 || vec_is_null(el, e))
                vec_set_null(&out->cols[col], r);
            else
                vec_copy_row(&out->cols[col], r, &el->children[f], e);
        }
    } else {
        if (e < 0)
            vec_set_null(&out->cols[col], r);
        else
            vec_copy_row(&out->cols[col], r, &c->children[0], e);
        col++;
    }
    if (o->ordinality) {
        struct vec *ov = &out->cols[col];
        if (e < 0) {
            vec_set_null(ov, r);
        } else {
            vec_set_valid(ov, r);
            ov->i64[r] = pos;
        }
    }
    enum row_kind kind = batch_kind(b, i);
    if (kind != RK_INSERT) {
        batch_ensure_kinds(out);
        out->kinds[r] = (uint8_t)kind;
    } else if (out->kinds) {
        out->kinds[r] = (uint8_t)RK_INSERT;
    }
}

static int unnest_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                       struct weir_error *err)
{
    (void)port;
    struct op_unnest *o = (struct op_unnest *)op;
    const struct vec *c;
    int rc = expr_eval(o->arg, ctx, b, &c, err);
    if (rc)
        return rc;
    for (int k = 0; k < batch_live(b); k++) {
        int i = batch_row(b, k);
        int start = 0, n = 0;
        if (!vec_is_null(c, i)) {
            start = c->offsets[i];
            n = c->offsets[i + 1] - start;
        }
        if (n == 0 && o->left) {
            if (o->out->n >= BATCH_CAP && (rc = flush(o, ctx, err)))
                return rc;
            put_row(o, b, i, c, -1, 0);
        }
        for (int e = 0; e < n; e++) {
            if (o->out->n >= BATCH_CAP && (rc = flush(o, ctx, err)))
                return rc;
            put_row(o, b, i, c, start + e, e + 1);
        }
    }
    return flush(o, ctx, err);
}

static int unnest_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    return op_finish_next(op, ctx, err);
}

static void unnest_free(struct op *op)
{
    struct op_unnest *o = (struct op_unnest *)op;
    expr_free_scratch(o->arg);
    batch_free(o->out);
    mem_free(o);
}

static const struct op_ops unnest_ops = {
    .kind = "Correlate",
    .push = unnest_push,
    .finish = unnest_finish,
    .free = unnest_free,
};

struct op *op_unnest_new(int id, struct expr *arg, int n_left, bool left, bool ordinality,
                         int n_out, const struct sql_type *const *out_types, char *label)
{
    struct op_unnest *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &unnest_ops, id, label);
    o->arg = arg;
    o->n_left = n_left;
    o->left = left;
    o->ordinality = ordinality;
    o->out = batch_new(n_out, out_types);
    return &o->op;
}
