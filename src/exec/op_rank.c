/*
 * op_rank.c — Top-N and deduplication: ROW_NUMBER() OVER (PARTITION BY p
 * ORDER BY o) filtered to the first N rows (Flink's AppendOnlyTopNFunction and
 * Deduplicate), over an insert-only input.
 *
 * Per partition the operator keeps its current top N rows, sorted (ties keep
 * arrival order: a new row goes after the rows it ties with).  A new row that
 * enters the top N changes the output:
 *   without the rank column: +I(new row), and -D(the row pushed out of the
 *     top N);
 *   with the rank column selected: every rank from the new row's down gets
 *     its new occupant: -U(old row, r), +U(new row, r), or +I at a new rank.
 * Deduplication (N = 1 ordered by a time attribute) keeps the first or the
 * last row per key: the first row is +I; a replacement is -U(old), +U(new).
 * Keep-last on event time replaces when the new row's time is >= the kept
 * one's; keep-first on event time when it is strictly smaller; on processing
 * time keep-last always replaces and keep-first never does.
 *
 * NULLs sort first in ascending order and last in descending order.
 *
 * table.exec.state.ttl: a partition whose rows were not changed for the TTL
 * is dropped without output (its rows count as expired); its next row starts
 * it over, so keep-first deduplication emits the key's next row as +I, as
 * Flink's deduplication with state TTL does.  Only a change writes: a row
 * that does not enter the top N, or that keep-first ignores, does not keep
 * the partition alive.
 *
 * Checkpoints: each partition is one record in its key's group, holding its
 * rows in order with their ORDER BY values (the values cannot be recomputed
 * at restore: that needs the expressions' evaluation context), so a restore
 * with another parallelism hands every partition to the instance that
 * receives its rows now, with its last-write time.  Nothing else is kept
 * between rows.
 */
#include "exec/op_join.h"
#include "exec/opstate.h"
#include "exec/op_rank.h"
#include "state/snapshot.h"
#include "state/table.h"

#include <string.h>

struct tentry {
    char *row;                      /* the input row, encoded */
    uint32_t len;
    struct value *ord;              /* its ORDER BY values (strings owned) */
};

struct tlist {
    int n, cap;
    struct tentry *e;
    int64_t written;                /* last change (opstate.h: TTL) */
    int64_t queued;                 /* deadline of its live TTL queue entry; 0: none */
};

struct op_rank {
    struct op op;
    int n_part;
    struct expr **part;
    int n_order;
    struct expr **order;
    const bool *desc;
    int64_t top_n;
    bool rank_output;
    bool dedup;
    bool proctime;                  /* dedup on processing time */
    int n_in;                       /* input columns */
    const struct sql_type **part_types;   /* to check restored keys and rows */
    const struct sql_type *const *in_types;
    int max_parallelism;            /* key groups of the state table */
    uint32_t fingerprint;           /* of the shape, in checkpoint records */
    struct state_table *state;      /* partition key -> struct tlist */
    struct batch *out;              /* [input columns, rank] */
    struct strbuf key, row;
    const struct vec **part_vecs;
    const struct vec **ord_vecs;
    struct vec **dec;
    struct value *tmp_ord;          /* the incoming row's ORDER BY values */
    bool wrote;                     /* the row at hand changed its partition */
    struct op_ttl ttl;
    int64_t heap;                   /* bytes of the entries and their arrays */
};

static int cmp_values(const struct sql_type *t, const struct value *a, const struct value *b)
{
    if (a->is_null || b->is_null)
        return a->is_null == b->is_null ? 0 : a->is_null ? -1 : 1;
    switch (type_lane(t)) {
    case LANE_BOOL: return (a->b > b->b) - (a->b < b->b);
    case LANE_I64: return (a->i > b->i) - (a->i < b->i);
    case LANE_F64: return (a->f > b->f) - (a->f < b->f);
    case LANE_I128: return (a->d > b->d) - (a->d < b->d);
    case LANE_STR: {
        uint32_t n = a->s.len < b->s.len ? a->s.len : b->s.len;
        int r = n ? memcmp(a->s.ptr, b->s.ptr, n) : 0;
        return r ? r : (a->s.len > b->s.len) - (a->s.len < b->s.len);
    }
    default: return 0;
    }
}

/* < 0 when a sorts before b under ORDER BY. */
static int cmp_rows(const struct op_rank *o, const struct value *a, const struct value *b)
{
    for (int k = 0; k < o->n_order; k++) {
        int r = cmp_values(o->order[k]->type, &a[k], &b[k]);
        if (r)
            return o->desc[k] ? -r : r;
    }
    return 0;
}

static void read_value(const struct vec *v, int i, struct value *out, bool copy)
{
    memset(out, 0, sizeof(*out));
    if (vec_is_null(v, i)) {
        out->is_null = true;
        return;
    }
    switch (type_lane(v->type)) {
    case LANE_BOOL: out->b = v->b[i]; break;
    case LANE_I64: out->i = v->i64[i]; break;
    case LANE_F64: out->f = v->f64[i]; break;
    case LANE_I128: out->d = v->i128[i]; break;
    case LANE_STR:
        out->s = v->s[i];
        if (copy)
            out->s.ptr = mem_strndup(v->s[i].ptr, v->s[i].len);
        break;
    default: out->is_null = true; break;
    }
}

/* Bytes an entry holds out of the table: its row, its ORDER BY values and
 * their strings. */
static int64_t entry_bytes(const struct op_rank *o, const struct tentry *e)
{
    int64_t n = (int64_t)e->len + (int64_t)(o->n_order ? o->n_order : 1) * (int64_t)sizeof(struct value);
    for (int k = 0; k < o->n_order; k++)
        if (type_lane(o->order[k]->type) == LANE_STR && !e->ord[k].is_null)
            n += e->ord[k].s.len;
    return n;
}

static void entry_free(struct op_rank *o, struct tentry *e)
{
    o->heap -= entry_bytes(o, e);
    for (int k = 0; k < o->n_order; k++)
        if (type_lane(o->order[k]->type) == LANE_STR && !e->ord[k].is_null)
            mem_free((void *)e->ord[k].s.ptr);
    mem_free(e->ord);
    mem_free(e->row);
}

/* Room for need entries in l (a top-1 or a deduplication keeps one per
 * partition). */
static void list_reserve(struct op_rank *o, struct tlist *l, int need)
{
    o->heap += MEM_GROW_SMALL(l->e, l->cap, need);
}

static void list_free(struct op_rank *o, struct tlist *l)
{
    o->heap -= (int64_t)l->cap * (int64_t)sizeof(*l->e);
    mem_free(l->e);
}

static void update_metrics(struct op_rank *o)
{
    atomic_store_explicit(&o->op.state_keys, state_table_count(o->state), memory_order_relaxed);
    atomic_store_explicit(&o->op.state_bytes,
                          state_table_bytes(o->state) + timers_bytes(&o->ttl.queue) + o->heap,
                          memory_order_relaxed);
}

static int flush_out(struct op_rank *o, struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == 0)
        return WEIR_OK;
    int rc = op_emit(&o->op, o->out, ctx, err);
    batch_reset(o->out);
    return rc;
}

/* Appends a stored row with its rank and kind. */
static int emit(struct op_rank *o, const struct tentry *e, int64_t rank, enum row_kind kind,
                struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == BATCH_CAP) {
        int rc = flush_out(o, ctx, err);
        if (rc)
            return rc;
    }
    int r = o->out->n++;
    for (int c = 0; c < o->n_in; c++)
        o->dec[c] = &o->out->cols[c];
    state_key_decode(e->row, e->len, o->dec, o->n_in, r);
    o->out->cols[o->n_in].i64[r] = rank;
    batch_ensure_kinds(o->out);
    o->out->kinds[r] = (uint8_t)kind;
    return WEIR_OK;
}

static struct tentry new_entry(struct op_rank *o, const struct value *ord)
{
    struct tentry e;
    e.row = mem_strndup(o->row.buf, o->row.len);
    e.len = (uint32_t)o->row.len;
    e.ord = mem_alloc((size_t)(o->n_order ? o->n_order : 1) * sizeof(struct value));
    for (int k = 0; k < o->n_order; k++) {
        e.ord[k] = ord[k];
        if (type_lane(o->order[k]->type) == LANE_STR && !ord[k].is_null)
            e.ord[k].s.ptr = mem_strndup(ord[k].s.ptr, ord[k].s.len);
    }
    o->heap += entry_bytes(o, &e);
    return e;
}

static int dedup_row(struct op_rank *o, struct tlist *l, struct eval_ctx *ctx,
                     struct weir_error *err)
{
    if (l->n == 0) {
        list_reserve(o, l, 1);
        l->e[l->n++] = new_entry(o, o->tmp_ord);
        o->wrote = true;
        return emit(o, &l->e[0], 1, RK_INSERT, ctx, err);
    }
    bool keep_last = o->desc[0];
    int c = cmp_values(o->order[0]->type, &o->tmp_ord[0], &l->e[0].ord[0]);
    bool replace = o->proctime ? keep_last : (keep_last ? c >= 0 : c < 0);
    if (!replace)
        return WEIR_OK;
    o->wrote = true;
    int rc = emit(o, &l->e[0], 1, RK_UPDATE_BEFORE, ctx, err);
    entry_free(o, &l->e[0]);
    l->e[0] = new_entry(o, o->tmp_ord);
    if (rc == WEIR_OK)
        rc = emit(o, &l->e[0], 1, RK_UPDATE_AFTER, ctx, err);
    return rc;
}

static int topn_row(struct op_rank *o, struct tlist *l, struct eval_ctx *ctx,
                    struct weir_error *err)
{
    int pos = l->n;
    for (int i = 0; i < l->n; i++)
        if (cmp_rows(o, o->tmp_ord, l->e[i].ord) < 0) {
            pos = i;
            break;
        }
    if (pos >= o->top_n)
        return WEIR_OK;
    o->wrote = true;
    int m = l->n;   /* size before */
    struct tentry evicted = {0};
    bool has_evicted = false;
    list_reserve(o, l, l->n + 1);
    memmove(&l->e[pos + 1], &l->e[pos], (size_t)(l->n - pos) * sizeof(*l->e));
    l->e[pos] = new_entry(o, o->tmp_ord);
    l->n++;
    if (l->n > o->top_n) {
        evicted = l->e[--l->n];
        has_evicted = true;
    }
    int rc = WEIR_OK;
    if (!o->rank_output) {
        rc = emit(o, &l->e[pos], pos + 1, RK_INSERT, ctx, err);
        if (rc == WEIR_OK && has_evicted)
            rc = emit(o, &evicted, o->top_n, RK_DELETE, ctx, err);
    } else {
        /* every rank from pos down changes occupant: the old occupant of
         * rank r is now at r + 1 (or evicted) */
        for (int r = pos; r < l->n && rc == WEIR_OK; r++) {
            const struct tentry *old = r < m ? (r + 1 < l->n ? &l->e[r + 1] : &evicted) : NULL;
            if (old) {
                rc = emit(o, old, r + 1, RK_UPDATE_BEFORE, ctx, err);
                if (rc == WEIR_OK)
                    rc = emit(o, &l->e[r], r + 1, RK_UPDATE_AFTER, ctx, err);
            } else {
                rc = emit(o, &l->e[r], r + 1, RK_INSERT, ctx, err);
            }
        }
    }
    if (has_evicted)
        entry_free(o, &evicted);
    return rc;
}

static int rank_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                     struct weir_error *err)
{
    (void)port;
    struct op_rank *o = (struct op_rank *)op;
    int rc;
    for (int k = 0; k < o->n_part; k++)
        if ((rc = expr_eval(o->part[k], ctx, b, &o->part_vecs[k], err)))
            return rc;
    for (int k = 0; k < o->n_order; k++)
        if ((rc = expr_eval(o->order[k], ctx, b, &o->ord_vecs[k], err)))
            return rc;
    const struct vec *cols[512];
    int nc = b->n_cols < 512 ? b->n_cols : 512;
    for (int c = 0; c < nc; c++)
        cols[c] = &b->cols[c];
    int n = batch_live(b);
    int64_t now = op_ttl_clock(&o->ttl);
    for (int k = 0; k < n && rc == WEIR_OK; k++) {
        int i = batch_row(b, k);
        state_key_encode(&o->key, o->part_vecs, o->n_part, i);
        state_key_encode(&o->row, cols, nc, i);
        for (int q = 0; q < o->n_order; q++)
            read_value(o->ord_vecs[q], i, &o->tmp_ord[q], false);
        bool inserted;
        uint64_t h = state_hash(o->key.buf, o->key.len);
        struct tlist *l = state_table_upsert(o->state, o->key.buf, o->key.len, h, &inserted);
        if (!inserted && l->n > 0 && op_ttl_expired(&o->ttl, l->written)) {
            /* due but not yet dropped: it is absent (NeverReturnExpired);
             * the entry stays, with its live queue entry */
            atomic_fetch_add_explicit(&op->expired, l->n, memory_order_relaxed);
            for (int i = 0; i < l->n; i++)
                entry_free(o, &l->e[i]);
            l->n = 0;
        }
        o->wrote = false;
        rc = o->dedup ? dedup_row(o, l, ctx, err) : topn_row(o, l, ctx, err);
        if (o->wrote) {
            l->written = now;
            if (o->ttl.ttl_us > 0 && l->queued == 0) {
                l->queued = op_ttl_deadline(&o->ttl, now);
                timers_push(&o->ttl.queue, l->queued, h, o->key.buf, o->key.len);
            }
        }
    }
    update_metrics(o);
    if (rc == WEIR_OK)
        rc = flush_out(o, ctx, err);
    return rc;
}

/* Drops the partitions whose TTL ran out (queue entries that are due). */
static int rank_timer(struct op *op, int64_t now_us, struct eval_ctx *ctx,
                      struct weir_error *err)
{
    (void)ctx;
    (void)err;
    struct op_rank *o = (struct op_rank *)op;
    op_ttl_tick(&o->ttl, now_us);
    struct timer t;
    int64_t expired = 0;
    while (timers_pop_due(&o->ttl.queue, o->ttl.now, &t)) {
        struct tlist *l = state_table_get(o->state, t.key, t.key_len, t.hash);
        if (l == NULL || l->queued != t.time) {
            timer_done(&t);   /* stale: the partition went and came back */
            continue;
        }
        if (op_ttl_expired(&o->ttl, l->written)) {
            expired += l->n;
            for (int i = 0; i < l->n; i++)
                entry_free(o, &l->e[i]);
            list_free(o, l);
            state_table_delete(o->state, t.key, t.key_len, t.hash);
        } else {
            /* written since it was queued: wait for its new deadline */
            l->queued = op_ttl_deadline(&o->ttl, l->written);
            timers_push(&o->ttl.queue, l->queued, t.hash, t.key, t.key_len);
        }
        timer_done(&t);
    }
    if (expired)
        atomic_fetch_add_explicit(&op->expired, expired, memory_order_relaxed);
    update_metrics(o);
    return WEIR_OK;
}

static int rank_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    return op_finish_next(op, ctx, err);
}

static void rank_free(struct op *op)
{
    struct op_rank *o = (struct op_rank *)op;
    struct state_iter it;
    state_iter_init(&it, o->state);
    while (state_iter_next(&it)) {
        struct tlist *l = it.value;
        for (int i = 0; i < l->n; i++)
            entry_free(o, &l->e[i]);
        mem_free(l->e);
    }
    state_table_free(o->state);
    timers_free(&o->ttl.queue);
    for (int k = 0; k < o->n_part; k++)
        expr_free_scratch(o->part[k]);
    for (int k = 0; k < o->n_order; k++)
        expr_free_scratch(o->order[k]);
    mem_free(o->part_vecs);
    mem_free(o->part_types);
    mem_free(o->ord_vecs);
    mem_free(o->dec);
    mem_free(o->tmp_ord);
    sb_free(&o->key);
    sb_free(&o->row);
    batch_free(o->out);
    mem_free(o);
}

/* ---- checkpoints ------------------------------------------------------------------ */

/*
 * Record (snapshot.h codec), in the partition key's group, after the header
 * of opstate_put_header (op_join.h):
 *   REC_PARTITION: bytes key, i64 last-write time, u32 n, n × (bytes row, per ORDER BY item: u8
 *   is_null, then unless NULL its value: u8 / i64 / f64 / i128 / bytes by lane)
 * in the list's order.  Keys and rows are in state_key_encode's format
 * (self-contained) and are checked against the column types on restore.
 */
enum { REC_PARTITION = 1 };

static void put_value(struct strbuf *sb, const struct sql_type *t, const struct value *v)
{
    snap_put_u8(sb, v->is_null);
    if (v->is_null)
        return;
    switch (type_lane(t)) {
    case LANE_BOOL: snap_put_u8(sb, v->b); break;
    case LANE_I64: snap_put_i64(sb, v->i); break;
    case LANE_F64: snap_put_f64(sb, v->f); break;
    case LANE_I128: snap_put_i128(sb, v->d); break;
    case LANE_STR: snap_put_bytes(sb, v->s.ptr, v->s.len); break;
    default: break;   /* read_value keeps other lanes as NULL */
    }
}

/* A value written by put_value, strings borrowed from the record. */
static void get_value(struct snap_rd *rd, const struct sql_type *t, struct value *v)
{
    memset(v, 0, sizeof(*v));
    uint8_t is_null = snap_get_u8(rd);
    if (is_null > 1)
        rd->bad = true;
    v->is_null = is_null != 0;
    if (v->is_null)
        return;
    size_t n;
    switch (type_lane(t)) {
    case LANE_BOOL: v->b = snap_get_u8(rd); break;
    case LANE_I64: v->i = snap_get_i64(rd); break;
    case LANE_F64: v->f = snap_get_f64(rd); break;
    case LANE_I128: v->d = snap_get_i128(rd); break;
    case LANE_STR:
        v->s.ptr = snap_get_bytes(rd, &n);
        v->s.len = (uint32_t)n;
        break;
    default: rd->bad = true; break;   /* never written as a value */
    }
}

/* The shape the state depends on, so that a checkpoint of another Top-N (an
 * edited query keeping the operator's uid) is refused rather than misread.
 * N is left out: restore copes with another N. */
static uint32_t rank_fingerprint(const struct op_rank *o)
{
    struct strbuf fp = {0};
    /* 2: records carry the last-write time (older ones are refused) */
    snap_put_u8(&fp, 2);
    snap_put_u8(&fp, (uint8_t)(o->rank_output | o->dedup << 1 | o->proctime << 2));
    snap_put_u32(&fp, (uint32_t)o->n_part);
    for (int k = 0; k < o->n_part; k++)
        opstate_fingerprint_type(&fp, o->part_types[k]);
    snap_put_u32(&fp, (uint32_t)o->n_order);
    for (int k = 0; k < o->n_order; k++) {
        opstate_fingerprint_type(&fp, o->order[k]->type);
        snap_put_u8(&fp, o->desc[k]);
    }
    snap_put_u32(&fp, (uint32_t)o->n_in);
    for (int c = 0; c < o->n_in; c++)
        opstate_fingerprint_type(&fp, o->in_types[c]);
    uint32_t h = opstate_fingerprint_done(&fp);
    sb_free(&fp);
    return h;
}

static void rank_write(struct snap_writer *w, const void *ctx, const void *key, size_t len,
                       int kg, const void *value)
{
    const struct op_rank *o = *(const struct op_rank *const *)ctx;
    const struct tlist *l = value;
    if (l->n == 0)
        return;   /* holds nothing (and restore refuses empty lists) */
    snap_begin(w, kg);
    opstate_put_header(&w->buf, REC_PARTITION, o->fingerprint);
    snap_put_bytes(&w->buf, key, len);
    snap_put_i64(&w->buf, l->written);
    snap_put_u32(&w->buf, (uint32_t)l->n);
    for (int i = 0; i < l->n; i++) {
        snap_put_bytes(&w->buf, l->e[i].row, l->e[i].len);
        for (int k = 0; k < o->n_order; k++)
            put_value(&w->buf, o->order[k]->type, &l->e[i].ord[k]);
    }
    snap_end(w);
}

static int rank_snapshot(struct op *op, struct snap_writer *w, struct weir_error *err)
{
    (void)err;
    struct op_rank *o = (struct op_rank *)op;
    state_table_walk(o->state, w, rank_write, &o, sizeof(o));
    return WEIR_OK;
}

static int rank_restore(struct op *op, int kg, struct snap_rd *rd, struct weir_error *err)
{
    struct op_rank *o = (struct op_rank *)op;
    uint8_t type;
    int rc = opstate_get_header(op, rd, o->fingerprint, &type, err);
    if (rc)
        return rc;
    size_t klen;
    const char *key = snap_get_bytes(rd, &klen);
    int64_t written = snap_get_i64(rd);
    uint32_t n = snap_get_u32(rd);
    if (rd->bad || type != REC_PARTITION || kg == SNAP_OPERATOR)
        return opstate_corrupt(op, "bad record header", err);
    /* each entry takes at least its row's length and a NULL flag per item */
    if (n == 0 || n > (rd->len - rd->pos) / (4 + (size_t)o->n_order))
        return opstate_corrupt(op, "bad row count", err);
    if (!opstate_row_check(key, klen, o->part_types, o->n_part))
        return opstate_corrupt(op, "key does not match the PARTITION BY types", err);
    if ((rc = opstate_check_key_group(op, key, klen, kg, o->max_parallelism, err)))
        return rc;
    uint64_t h = state_hash(key, klen);
    struct tentry *e = mem_calloc(n, sizeof(*e));
    const char *what = NULL;
    uint32_t got = 0;
    for (; got < n && what == NULL; got++) {
        size_t len;
        const char *row = snap_get_bytes(rd, &len);
        for (int k = 0; k < o->n_order; k++)
            get_value(rd, o->order[k]->type, &o->tmp_ord[k]);
        if (rd->bad) {
            what = "truncated row";
        } else if (!opstate_row_check(row, len, o->in_types, o->n_in)) {
            what = "row does not match the input's column types";
        } else if (got > 0 && cmp_rows(o, o->tmp_ord, e[got - 1].ord) < 0) {
            what = "rows out of ORDER BY order";
        } else {
            sb_clear(&o->row);
            sb_add(&o->row, row, len);
            e[got] = new_entry(o, o->tmp_ord);
        }
    }
    if (what == NULL && rd->pos != rd->len)
        what = "bytes after the rows";
    bool inserted = false;
    struct tlist *l = what ? NULL : state_table_upsert(o->state, key, klen, h, &inserted);
    if (what == NULL && !inserted && l->n > 0)
        what = "partition restored twice";
    if (what) {
        for (uint32_t i = 0; i < got; i++)
            if (e[i].row)
                entry_free(o, &e[i]);
        mem_free(e);
        return opstate_corrupt(op, what, err);
    }
    /* a smaller N than the checkpoint's (an edited query): the rows past it
     * are no longer in the top N */
    int keep = n < (uint64_t)o->top_n ? (int)n : (int)o->top_n;
    for (uint32_t i = (uint32_t)keep; i < n; i++)
        entry_free(o, &e[i]);
    list_free(o, l);
    l->e = e;
    l->n = keep;
    l->cap = (int)n;
    o->heap += (int64_t)n * (int64_t)sizeof(*e);
    l->written = written;
    if (o->ttl.ttl_us > 0 && l->queued == 0) {
        /* re-armed from the restored time */
        l->queued = op_ttl_deadline(&o->ttl, written);
        timers_push(&o->ttl.queue, l->queued, h, key, klen);
    }
    update_metrics(o);
    return WEIR_OK;
}

static const struct op_ops rank_ops = {
    .kind = "Rank",
    .push = rank_push,
    .finish = rank_finish,
    .free = rank_free,
    .snapshot = rank_snapshot,
    .restore = rank_restore,
};

/* The same with the TTL timer: operators without a TTL do not make their
 * task tick. */
static const struct op_ops rank_ttl_ops = {
    .kind = "Rank",
    .push = rank_push,
    .timer = rank_timer,
    .finish = rank_finish,
    .free = rank_free,
    .snapshot = rank_snapshot,
    .restore = rank_restore,
};

void op_rank_set_state_ttl(struct op *op, int64_t ttl_us, bool manual_clock)
{
    struct op_rank *o = (struct op_rank *)op;
    o->ttl.ttl_us = ttl_us > 0 ? ttl_us : 0;
    o->ttl.manual = manual_clock;
    op->ops = o->ttl.ttl_us > 0 ? &rank_ttl_ops : &rank_ops;
}

struct op *op_rank_new(int id, const struct lnode *n, char *label)
{
    struct op_rank *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &rank_ops, id, label);
    o->n_part = n->n_part;
    o->part = n->part;
    o->n_order = n->n_order;
    o->order = n->order;
    o->desc = n->desc;
    o->top_n = n->top_n;
    o->rank_output = n->rank_output;
    o->dedup = n->dedup;
    o->proctime = n->dedup && n->order[0]->type->time_attr == TA_PROCTIME;
    o->n_in = n->n_out - 1;
    o->in_types = n->out_types;   /* [input columns, rank] */
    o->part_types = mem_calloc((size_t)n->n_part + 1, sizeof(*o->part_types));
    for (int k = 0; k < n->n_part; k++)
        o->part_types[k] = n->part[k]->type;
    o->fingerprint = rank_fingerprint(o);
    o->max_parallelism = 128;
    o->state = state_table_new(sizeof(struct tlist), o->max_parallelism);
    o->out = batch_new(n->n_out, n->out_types);
    sb_reserve(&o->key, 64);
    sb_reserve(&o->row, 256);
    o->part_vecs = mem_calloc((size_t)n->n_part + 1, sizeof(*o->part_vecs));
    o->ord_vecs = mem_calloc((size_t)n->n_order + 1, sizeof(*o->ord_vecs));
    o->dec = mem_calloc((size_t)n->n_out + 1, sizeof(*o->dec));
    o->tmp_ord = mem_calloc((size_t)n->n_order + 1, sizeof(struct value));
    return &o->op;
}

void op_rank_set_max_parallelism(struct op *op, int max_parallelism)
{
    struct op_rank *o = (struct op_rank *)op;
    /* still empty: the job has not run nor been restored */
    state_table_free(o->state);
    o->max_parallelism = max_parallelism > 0 ? max_parallelism : 128;
    o->state = state_table_new(sizeof(struct tlist), o->max_parallelism);
}
