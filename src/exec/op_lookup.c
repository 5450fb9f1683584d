/*
 * op_lookup.c — the processing-time lookup join: JOIN dim FOR SYSTEM_TIME AS
 * OF l.proctime ON l.x = dim.k (Flink's LookupJoin; SQL.md c.8).
 *
 * Each left row looks up the dimension rows of its key as they are when the
 * row arrives: every match is +I(left, dim); a LEFT join without a match
 * gives +I(left, NULLs); a NULL key matches nothing (Flink's "k = NULL").
 * Later changes of the dimension never retract what was emitted, so the
 * output is insert-only like its input.  The residual part of ON is
 * evaluated a chunk of candidate rows at a time.
 *
 * Where the rows come from is the connector's lookup.cache (struct
 * lookup_conf, filled by its lookup_create from the table's options, with
 * Flink's defaults):
 *   NONE     every left row queries the connector (sqlite: a prepared
 *            SELECT on the key columns), so a change of the dimension is
 *            seen by the next row.
 *   PARTIAL  queried rows are kept per key in a bounded LRU (Flink's
 *            DefaultLookupCache): at most max_rows rows (a key without rows
 *            counts as one, and is kept only with cache-missing-key),
 *            dropped expire-after-write after the query or expire-after-access
 *            after the last use, whichever comes first.
 *   FULL     the whole table, read through the connector's scan, indexed by
 *            key, and read again once reload_ms has passed (checked when a
 *            batch arrives, as Flink's FileSystemLookupFunction does per
 *            row); the new copy replaces the old only once complete.  The
 *            filesystem connector always works so (lookup.join.cache.ttl).
 * A failed query or load is retried max_retries times before the job fails.
 * Metrics: hits (served from the cache; every FULL lookup), misses (not in
 * the cache: a query follows) and loads (queries, or FULL table reads).
 *
 * It has no checkpointed state: a cache is not state — a restored job reads
 * the dimension again, and no row depends on an earlier one (nothing emitted
 * is ever retracted).
 */
#include "exec/op_lookup.h"
#include "state/table.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

/* One key's dimension rows, each encoded with state_key_encode. */
struct dim_rows {
    int n, cap;
    char **rows;
    uint32_t *lens;
};

/* PARTIAL: a cached key (the slot of its state table entry, which does not
 * move while the entry lives, so the LRU list can link slots). */
struct cache_entry {
    struct dim_rows d;
    char *key;                      /* a copy, to delete the entry on eviction */
    uint32_t key_len;
    int64_t written, accessed;      /* monotonic ms */
    struct cache_entry *newer, *older;
};

struct op_lookup {
    struct op op;
    const struct lnode *n;
    int nl, nd;                     /* left and dimension columns */
    const struct connector_def *def;
    const struct table_ctx *dim_ctx;
    struct lookup_conf conf;
    struct lookup_source *ls;       /* NONE / PARTIAL */
    struct state_table *dim;        /* FULL: key -> struct dim_rows */
    int64_t next_load;              /* FULL: when to read the table again */
    struct state_table *cache;      /* PARTIAL: key -> struct cache_entry */
    struct cache_entry *newest, *oldest;
    int64_t cached_rows;            /* PARTIAL: what max_rows bounds */
    struct dim_rows tmp;            /* rows of a key queried but not cached */
    struct batch *fetched;          /* rows returned by a query */
    struct batch *chunk;            /* candidate joined rows */
    int *chunk_row;                 /* left row of each candidate */
    struct batch *out;
    struct strbuf key, row;
    const struct vec **lkey_vecs;
    struct vec **dec;
    const struct vec **enc;
    int *matched;
    _Atomic int64_t hits, misses, loads;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rows_clear(struct dim_rows *d)
{
    for (int r = 0; r < d->n; r++)
        mem_free(d->rows[r]);
    d->n = 0;
}

static void rows_free(struct dim_rows *d)
{
    rows_clear(d);
    mem_free(d->rows);
    mem_free(d->lens);
    d->rows = NULL;
    d->lens = NULL;
    d->cap = 0;
}

static void rows_add(struct dim_rows *d, const char *buf, size_t len)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 2;
        d->rows = mem_realloc(d->rows, (size_t)d->cap * sizeof(char *));
        d->lens = mem_realloc(d->lens, (size_t)d->cap * sizeof(uint32_t));
    }
    d->rows[d->n] = mem_strndup(buf, len);
    d->lens[d->n++] = (uint32_t)len;
}

static void full_free(struct state_table *t)
{
    struct state_iter it;
    state_iter_init(&it, t);
    while (state_iter_next(&it))
        rows_free(it.value);
    state_table_free(t);
}

static void publish_size(struct op_lookup *o)
{
    struct state_table *t = o->dim ? o->dim : o->cache;
    if (t == NULL)
        return;
    atomic_store_explicit(&o->op.state_keys, state_table_count(t), memory_order_relaxed);
    atomic_store_explicit(&o->op.state_bytes, state_table_bytes(t), memory_order_relaxed);
}

/* Adds the live rows of b (the dimension's columns) to the key index t. */
static void full_add(struct op_lookup *o, struct state_table *t, struct batch *b)
{
    const struct vec *keys[64];
    int nk = o->n->n_jkeys < 64 ? o->n->n_jkeys : 64;
    for (int q = 0; q < nk; q++)
        keys[q] = &b->cols[o->n->rkey_cols[q]];
    for (int c = 0; c < o->nd; c++)
        o->enc[c] = &b->cols[c];
    int n = batch_live(b);
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        bool null_key = false;
        for (int q = 0; q < nk; q++)
            null_key |= vec_is_null(keys[q], i);
        if (null_key)
            continue;   /* a NULL key can never be looked up */
        state_key_encode(&o->key, keys, nk, i);
        state_key_encode(&o->row, o->enc, o->nd, i);
        bool inserted;
        struct dim_rows *d = state_table_upsert(t, o->key.buf, o->key.len,
                                                state_hash(o->key.buf, o->key.len), &inserted);
        rows_add(d, o->row.buf, o->row.len);
    }
}

/* Reads the whole table once into a new index; *out only on success. */
static int full_read(struct op_lookup *o, struct state_table **out, struct weir_error *err)
{
    const struct table_ctx *t = o->dim_ctx;
    struct source *src = NULL;
    int rc = o->def->source_create(t, &src, err);
    if (rc)
        return rc;
    src->table = t;
    if (!src->bounded) {
        src->ops->close(src);
        return err_set(err, WEIR_ERR_UNSUPPORTED,
                       "lookup table '%s' must be bounded (a monitored source is not)",
                       t->table_name);
    }
    if (src->ops->open && (rc = src->ops->open(src, err))) {
        src->ops->close(src);
        return rc;
    }
    struct state_table *dim = state_table_new(sizeof(struct dim_rows), 128);
    int prc = WEIR_OK;
    for (int guard = 0; guard < 100000000; guard++) {
        batch_reset(o->fetched);
        prc = src->ops->poll(src, o->fetched, err);
        if (o->fetched->n > 0)
            full_add(o, dim, o->fetched);
        if (prc == WEIR_DONE || prc < 0)
            break;
    }
    batch_reset(o->fetched);
    src->ops->close(src);
    if (prc < 0) {
        full_free(dim);
        return prc;
    }
    *out = dim;
    return WEIR_OK;
}

/* Makes `call` up to 1 + max_retries times while it fails with an error
 * worth retrying (a locked database), pausing a little longer before each
 * retry as Flink's lookup functions do (1 s per attempt there; a local file
 * or database needs less).  A configuration error fails at once. */
#define RETRYING(o, rc, err, call)                                                \
    for (int try_ = 0;; try_++) {                                                 \
        rc = (call);                                                              \
        if (rc >= 0 || try_ >= (o)->conf.max_retries || !(err) || !(err)->retriable) \
            break;                                                                \
        usleep((useconds_t)(100000 * (try_ + 1)));                                \
    }

static int full_load(struct op_lookup *o, struct weir_error *err)
{
    struct state_table *dim = NULL;
    int rc;
    RETRYING(o, rc, err, full_read(o, &dim, err));
    if (rc)
        return rc;
    atomic_fetch_add_explicit(&o->loads, 1, memory_order_relaxed);
    if (o->dim)
        full_free(o->dim);
    o->dim = dim;
    o->next_load = o->conf.reload_ms > 0 ? now_ms() + o->conf.reload_ms : INT64_MAX;
    publish_size(o);
    return WEIR_OK;
}

/* Queries the rows of left row i's key into o->tmp. */
static int query_once(struct op_lookup *o, int i, struct weir_error *err)
{
    rows_clear(&o->tmp);
    for (int c = 0; c < o->nd; c++)
        o->enc[c] = &o->fetched->cols[c];
    int rc;
    do {
        batch_reset(o->fetched);
        rc = o->ls->ops->lookup(o->ls, o->lkey_vecs, i, o->fetched, err);
        if (rc < 0)
            break;
        for (int r = 0; r < o->fetched->n; r++) {
            state_key_encode(&o->row, o->enc, o->nd, r);
            rows_add(&o->tmp, o->row.buf, o->row.len);
        }
    } while (rc == WEIR_AGAIN);
    batch_reset(o->fetched);
    return rc;
}

static int query(struct op_lookup *o, int i, struct weir_error *err)
{
    int rc;
    RETRYING(o, rc, err, query_once(o, i, err));
    if (rc == WEIR_OK)
        atomic_fetch_add_explicit(&o->loads, 1, memory_order_relaxed);
    return rc;
}

static void lru_unlink(struct op_lookup *o, struct cache_entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        o->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        o->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(struct op_lookup *o, struct cache_entry *e)
{
    e->older = o->newest;
    e->newer = NULL;
    if (o->newest)
        o->newest->newer = e;
    o->newest = e;
    if (o->oldest == NULL)
        o->oldest = e;
}

static int64_t entry_cost(const struct cache_entry *e)
{
    return e->d.n > 0 ? e->d.n : 1;
}

static void evict(struct op_lookup *o, struct cache_entry *e)
{
    lru_unlink(o, e);
    o->cached_rows -= entry_cost(e);
    rows_free(&e->d);
    char *key = e->key;
    uint32_t len = e->key_len;
    state_table_delete(o->cache, key, len, state_hash(key, len));
    mem_free(key);
}

static bool expired(const struct op_lookup *o, const struct cache_entry *e, int64_t now)
{
    return (o->conf.expire_write_ms > 0 && now - e->written >= o->conf.expire_write_ms) ||
           (o->conf.expire_access_ms > 0 && now - e->accessed >= o->conf.expire_access_ms);
}

/* The dimension rows of left row i's key (encoded in o->key), as the cache
 * kind says; NULL when there are none. */
static int rows_of(struct op_lookup *o, int i, const struct dim_rows **out,
                   struct weir_error *err)
{
    uint64_t h = state_hash(o->key.buf, o->key.len);
    *out = NULL;
    if (o->conf.cache == LOOKUP_CACHE_FULL) {
        atomic_fetch_add_explicit(&o->hits, 1, memory_order_relaxed);
        *out = state_table_get(o->dim, o->key.buf, o->key.len, h);
        return WEIR_OK;
    }
    int64_t now = 0;
    if (o->conf.cache == LOOKUP_CACHE_PARTIAL) {
        now = now_ms();
        struct cache_entry *e = state_table_get(o->cache, o->key.buf, o->key.len, h);
        if (e && expired(o, e, now)) {
            evict(o, e);
            e = NULL;
        }
        if (e) {
            atomic_fetch_add_explicit(&o->hits, 1, memory_order_relaxed);
            e->accessed = now;
            lru_unlink(o, e);
            lru_push(o, e);
            *out = &e->d;
            return WEIR_OK;
        }
    }
    atomic_fetch_add_explicit(&o->misses, 1, memory_order_relaxed);
    int rc = query(o, i, err);
    if (rc)
        return rc;
    *out = &o->tmp;
    if (o->conf.cache != LOOKUP_CACHE_PARTIAL || (o->tmp.n == 0 && !o->conf.cache_missing_key))
        return WEIR_OK;
    bool inserted;
    struct cache_entry *e = state_table_upsert(o->cache, o->key.buf, o->key.len, h, &inserted);
    /* the rows move into the entry; tmp starts empty again */
    e->d = o->tmp;
    memset(&o->tmp, 0, sizeof(o->tmp));
    e->key = mem_strndup(o->key.buf, o->key.len);
    e->key_len = (uint32_t)o->key.len;
    e->written = e->accessed = now;
    lru_push(o, e);
    o->cached_rows += entry_cost(e);
    /* the newest entry stays even when it alone is over the bound: it is
     * what the row being joined reads */
    while (o->conf.max_rows > 0 && o->cached_rows > o->conf.max_rows && o->oldest != e)
        evict(o, o->oldest);
    *out = &e->d;
    publish_size(o);
    return WEIR_OK;
}

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
    if (o->n->join != JOIN_LEFT && o->n->residual == NULL && o->chunk->n > 0) {
        /* every candidate is an output row, in order: the chunk is the
         * output batch (Nexmark q13 copied each value twice) */
        if ((rc = flush(o, ctx, err)))
            return rc;
        struct batch *full = o->chunk;
        o->chunk = o->out;
        o->out = full;
        if (b->kinds)
            batch_ensure_kinds(full);
        for (int c = 0; c < full->n; c++) {
            int k = o->chunk_row[c];
            o->matched[k]++;
            if (b->kinds)
                full->kinds[c] = (uint8_t)batch_kind(b, batch_row(b, k));
        }
        *next = upto;
        return WEIR_OK;
    }
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
    if (o->conf.cache == LOOKUP_CACHE_FULL && now_ms() >= o->next_load &&
        (rc = full_load(o, err)))
        return rc;
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
        const struct dim_rows *d = NULL;
        if ((rc = rows_of(o, i, &d, err)))
            break;
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

int op_lookup_open(struct op *op, const struct connector_def *def, const struct table_ctx *dim,
                   struct weir_error *err)
{
    struct op_lookup *o = (struct op_lookup *)op;
    o->def = def;
    o->dim_ctx = dim;
    o->fetched = batch_new(o->nd, dim->col_types);
    int *keys = mem_calloc((size_t)o->n->n_jkeys + 1, sizeof(int));
    memcpy(keys, o->n->rkey_cols, (size_t)o->n->n_jkeys * sizeof(int));
    memset(&o->conf, 0, sizeof(o->conf));
    o->conf.cache = LOOKUP_CACHE_FULL;
    int rc = def->lookup_create
                 ? def->lookup_create(dim, o->n->n_jkeys, keys, &o->conf, &o->ls, err)
                 : WEIR_OK;
    mem_free(keys);
    if (rc)
        return rc;
    if (o->conf.cache == LOOKUP_CACHE_FULL)
        return full_load(o, err);
    if (o->conf.cache == LOOKUP_CACHE_PARTIAL)
        o->cache = state_table_new(sizeof(struct cache_entry), 128);
    return WEIR_OK;
}

static int lookup_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    return op_finish_next(op, ctx, err);
}

static void lookup_free(struct op *op)
{
    struct op_lookup *o = (struct op_lookup *)op;
    if (o->dim)
        full_free(o->dim);
    while (o->oldest)
        evict(o, o->oldest);
    state_table_free(o->cache);
    if (o->ls)
        o->ls->ops->close(o->ls);
    rows_free(&o->tmp);
    for (int k = 0; k < o->n->n_jkeys; k++)
        expr_free_scratch(o->n->lkeys[k]);
    expr_free_scratch(o->n->residual);
    batch_free(o->fetched);
    batch_free(o->chunk);
    batch_free(o->out);
    mem_free(o->chunk_row);
    mem_free(o->lkey_vecs);
    mem_free(o->dec);
    mem_free(o->enc);
    mem_free(o->matched);
    sb_free(&o->key);
    sb_free(&o->row);
    mem_free(o);
}

static const struct op_ops lookup_ops = {"LookupJoin", lookup_push, NULL, NULL, lookup_finish,
                                         lookup_free};

bool op_lookup_cache_stats(const struct op *op, int64_t *hits, int64_t *misses, int64_t *loads)
{
    if (op->ops != &lookup_ops)
        return false;
    struct op_lookup *o = (struct op_lookup *)op;
    *hits = atomic_load_explicit(&o->hits, memory_order_relaxed);
    *misses = atomic_load_explicit(&o->misses, memory_order_relaxed);
    *loads = atomic_load_explicit(&o->loads, memory_order_relaxed);
    return true;
}

struct op *op_lookup_new(int id, const struct lnode *n, char *label)
{
    struct op_lookup *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &lookup_ops, id, label);
    o->n = n;
    o->nl = n->inputs[0]->n_out;
    o->nd = n->n_out - o->nl;
    o->chunk = batch_new(n->n_out, n->out_types);
    o->out = batch_new(n->n_out, n->out_types);
    o->chunk_row = mem_calloc(BATCH_CAP, sizeof(int));
    o->lkey_vecs = mem_calloc((size_t)n->n_jkeys + 1, sizeof(*o->lkey_vecs));
    o->dec = mem_calloc((size_t)o->nd + 1, sizeof(*o->dec));
    o->enc = mem_calloc((size_t)o->nd + 1, sizeof(*o->enc));
    o->matched = mem_calloc(BATCH_CAP, sizeof(int));
    sb_reserve(&o->key, 64);
    sb_reserve(&o->row, 256);
    return &o->op;
}
