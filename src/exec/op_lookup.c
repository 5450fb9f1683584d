/*
 * op_lookup.c — the processing-time lookup join: JOIN dim FOR SYSTEM_TIME AS
 * OF l.proctime ON l.x = dim.k (Flink's LookupJoin; SQL.md c.8).
 *
 * The dimension table is read completely when the job is built (for the
 * filesystem connector that is what Flink's FileSystemLookupFunction does,
 * reloading only after lookup.cache.ttl — weir reads it once per run) and
 * indexed by its key columns in a state table.  Each left row looks up the
 * rows of its key: every match is +I(left, dim); a LEFT join without a match
 * gives +I(left, NULLs).  Later changes of the dimension never retract what
 * was emitted, so the output is insert-only like its input.  The residual
 * part of ON is evaluated a chunk of candidate rows at a time.
 *
 * It has no checkpointed state: the lookup table is a cache of the dimension,
 * which a restored job reads again when it is built, and no row depends on an
 * earlier one (nothing emitted is ever retracted).
 */
#include "exec/op_lookup.h"
#include "state/table.h"

#include <string.h>

struct dim_rows {
    int n, cap;
    char **rows;                    /* encoded dimension rows */
    uint32_t *lens;
};

struct op_lookup {
    struct op op;
    const struct lnode *n;
    int nl, nd;                     /* left and dimension columns */
    struct state_table *dim;        /* key -> struct dim_rows */
    struct batch *chunk;            /* candidate joined rows */
    int *chunk_row;                 /* left row of each candidate */
    struct batch *out;
    struct strbuf key, row;
    const struct vec **lkey_vecs;
    struct vec **dec;
    int *matched;
};

static int flush(struct op_lookup *o, struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == 0)
        return WEIR_OK;
    int rc = op_emit(&o->op, o->out, ctx, err);
    batch_reset(o->out);
    return rc;
}

static int append(struct op_lookup *o, struct batch *src, int row, bool padded, int left_row,
                  struct batch *left, struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == BATCH_CAP) {
        int rc = flush(o, ctx, err);
        if (rc)
            return rc;
    }
    int r = o->out->n++;
    for (int c = 0; c < o->nl + o->nd; c++) {
        if (padded)
            c < o->nl ? vec_copy_row(&o->out->cols[c], r, &left->cols[c], left_row)
                      : vec_set_null(&o->out->cols[c], r);
        else
            vec_copy_row(&o->out->cols[c], r, &src->cols[c], row);
    }
    if (left->kinds) {
        batch_ensure_kinds(o->out);
        o->out->kinds[r] = (uint8_t)batch_kind(left, left_row);
    }
    return WEIR_OK;
}

/* Emits the candidates gathered so far (residual applied), then the padded
 * rows of LEFT-join rows before `upto` that matched nothing. */
static int drain(struct op_lookup *o, struct batch *b, int *next, int upto,
                 struct eval_ctx *ctx, struct weir_error *err)
{
    const struct vec *pass = NULL;
    int rc = WEIR_OK;
    if (o->n->residual && o->chunk->n > 0 &&
        (rc = expr_eval(o->n->residual, ctx, o->chunk, &pass, err)))
        return rc;
    for (int c = 0; c < o->chunk->n && rc == WEIR_OK; c++) {
        int k = o->chunk_row[c];
        for (; *next < k && rc == WEIR_OK; (*next)++)
            if (o->n->join == JOIN_LEFT && o->matched[*next] == 0)
                rc = append(o, NULL, 0, true, batch_row(b, *next), b, ctx, err);
        if (rc || (pass && (vec_is_null(pass, c) || !pass->b[c])))
            continue;
        o->matched[k]++;
        rc = append(o, o->chunk, c, false, batch_row(b, k), b, ctx, err);
    }
    for (; *next < upto && rc == WEIR_OK; (*next)++)
        if (o->n->join == JOIN_LEFT && o->matched[*next] == 0)
            rc = append(o, NULL, 0, true, batch_row(b, *next), b, ctx, err);
    batch_reset(o->chunk);
    return rc;
}

static int lookup_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                       struct weir_error *err)
{
    (void)port;
    struct op_lookup *o = (struct op_lookup *)op;
    int rc;
    for (int k = 0; k < o->n->n_jkeys; k++)
        if ((rc = expr_eval(o->n->lkeys[k], ctx, b, &o->lkey_vecs[k], err)))
            return rc;
    int n = batch_live(b), next = 0;
    rc = WEIR_OK;
    for (int k = 0; k < n && rc == WEIR_OK; k++) {
        int i = batch_row(b, k);
        o->matched[k] = 0;
        bool null_key = false;
        for (int q = 0; q < o->n->n_jkeys; q++)
            null_key |= vec_is_null(o->lkey_vecs[q], i);
        if (null_key)
            continue;
        state_key_encode(&o->key, o->lkey_vecs, o->n->n_jkeys, i);
        struct dim_rows *d = state_table_get(o->dim, o->key.buf, o->key.len,
                                             state_hash(o->key.buf, o->key.len));
        for (int r = 0; d && r < d->n && rc == WEIR_OK; r++) {
            if (o->chunk->n == BATCH_CAP)
                rc = drain(o, b, &next, k, ctx, err);
            int c = o->chunk->n++;
            o->chunk_row[c] = k;
            for (int col = 0; col < o->nl; col++)
                vec_copy_row(&o->chunk->cols[col], c, &b->cols[col], i);
            for (int col = 0; col < o->nd; col++)
                o->dec[col] = &o->chunk->cols[o->nl + col];
            state_key_decode(d->rows[r], d->lens[r], o->dec, o->nd, c);
        }
    }
    if (rc == WEIR_OK)
        rc = drain(o, b, &next, n, ctx, err);
    if (rc == WEIR_OK)
        rc = flush(o, ctx, err);
    return rc;
}

void op_lookup_load(struct op *op, struct batch *b)
{
    struct op_lookup *o = (struct op_lookup *)op;
    const struct vec *keys[64], *cols[512];
    int nk = o->n->n_jkeys < 64 ? o->n->n_jkeys : 64;
    for (int q = 0; q < nk; q++)
        keys[q] = &b->cols[o->n->rkey_cols[q]];
    for (int c = 0; c < o->nd && c < 512; c++)
        cols[c] = &b->cols[c];
    int n = batch_live(b);
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        bool null_key = false;
        for (int q = 0; q < nk; q++)
            null_key |= vec_is_null(keys[q], i);
        if (null_key)
            continue;   /* a NULL key can never be looked up */
        state_key_encode(&o->key, keys, nk, i);
        state_key_encode(&o->row, cols, o->nd, i);
        bool inserted;
        struct dim_rows *d = state_table_upsert(o->dim, o->key.buf, o->key.len,
                                                state_hash(o->key.buf, o->key.len), &inserted);
        if (d->n == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 2;
            d->rows = mem_realloc(d->rows, (size_t)d->cap * sizeof(char *));
            d->lens = mem_realloc(d->lens, (size_t)d->cap * sizeof(uint32_t));
        }
        d->rows[d->n] = mem_strndup(o->row.buf, o->row.len);
        d->lens[d->n++] = (uint32_t)o->row.len;
    }
    atomic_store_explicit(&op->state_keys, state_table_count(o->dim), memory_order_relaxed);
    atomic_store_explicit(&op->state_bytes, state_table_bytes(o->dim), memory_order_relaxed);
}

static int lookup_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    return op_finish_next(op, ctx, err);
}

static void lookup_free(struct op *op)
{
    struct op_lookup *o = (struct op_lookup *)op;
    struct state_iter it;
    state_iter_init(&it, o->dim);
    while (state_iter_next(&it)) {
        struct dim_rows *d = it.value;
        for (int r = 0; r < d->n; r++)
            mem_free(d->rows[r]);
        mem_free(d->rows);
        mem_free(d->lens);
    }
    state_table_free(o->dim);
    for (int k = 0; k < o->n->n_jkeys; k++)
        expr_free_scratch(o->n->lkeys[k]);
    expr_free_scratch(o->n->residual);
    batch_free(o->chunk);
    batch_free(o->out);
    mem_free(o->chunk_row);
    mem_free(o->lkey_vecs);
    mem_free(o->dec);
    mem_free(o->matched);
    sb_free(&o->key);
    sb_free(&o->row);
    mem_free(o);
}

static const struct op_ops lookup_ops = {"LookupJoin", lookup_push, NULL, NULL, lookup_finish,
                                         lookup_free};

struct op *op_lookup_new(int id, const struct lnode *n, char *label)
{
    struct op_lookup *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &lookup_ops, id, label);
    o->n = n;
    o->nl = n->inputs[0]->n_out;
    o->nd = n->n_out - o->nl;
    o->dim = state_table_new(sizeof(struct dim_rows), 128);
    o->chunk = batch_new(n->n_out, n->out_types);
    o->out = batch_new(n->n_out, n->out_types);
    o->chunk_row = mem_calloc(BATCH_CAP, sizeof(int));
    o->lkey_vecs = mem_calloc((size_t)n->n_jkeys + 1, sizeof(*o->lkey_vecs));
    o->dec = mem_calloc((size_t)o->nd + 1, sizeof(*o->dec));
    o->matched = mem_calloc(BATCH_CAP, sizeof(int));
    sb_reserve(&o->key, 64);
    sb_reserve(&o->row, 256);
    return &o->op;
}
