/*
 * op_temporal.c — the event-time temporal join (Flink's
 * TemporalRowTimeJoinOperator): `FROM o [LEFT] JOIN v FOR SYSTEM_TIME AS OF
 * o.rowtime ON o.k = v.pk`, where v is a versioned table (a changelog with a
 * primary key and a rowtime, or a rowtime-DESC deduplication).  The binder
 * (bind.c, bind_temporal_join) checks that; job.c puts a hash exchange on the
 * join key in front of both inputs, like a regular join.
 *
 * State, one entry per join key (state/table.c), holding both sides:
 *   left rows, in arrival order, waiting for the watermark to pass their
 *     time (the left input is insert-only);
 *   the right side's versions, ordered by their rowtime, one per time (a
 *     later row at the same time replaces it, as Flink's map by rowtime):
 *     +I/+U make a version, -D ends one (a version with no row).  -U is
 *     ignored: Flink asks the versioned side for its changes without
 *     UPDATE_BEFORE when it can (the +U that follows is the new version; a
 *     -U at the old row's time would otherwise end the old version early).
 * When the watermark (the minimum of both inputs) reaches a key's timer, the
 * key's left rows with time <= watermark are emitted in arrival order (as
 * Flink does), each joined with the latest version at or before its time
 * when that version holds a row and the residual condition passes; INNER
 * drops the others, LEFT pads them with NULLs.  The output is insert-only,
 * so later versions never change emitted rows.  Then versions older than the
 * newest one at or before the watermark are dropped (no left row can ask for
 * them any more), and so is that one when it is a delete.
 *
 * Left rows at or before the watermark are not dropped: as in Flink they are
 * stored and emitted at the next watermark, joined with the versions still
 * held (the cleanup may have dropped the one they would have seen once).
 * NULL-key left rows never match (right rows without a key or a time are not
 * versions); a NULL left time counts as the earliest time.
 *
 * One keyed timer per key (state/timers.c) at the earliest time it has work:
 * its first waiting left row, or the time at which an old version becomes
 * droppable.  Checkpoints write each key as one record in its key group, so
 * a restore with another parallelism hands it to the instance that receives
 * the key's rows now; timers are rebuilt from the restored entries.
 *
 * With table.exec.state.ttl (processing time, as Flink's temporal join's
 * state retention): a key neither side wrote for the TTL goes, its waiting
 * left rows and its versions with it, without output; one that expired and
 * is written, or fired by the watermark, before its queue entry came up is
 * gone as well (NeverReturnExpired).  A dimension whose keys come and go
 * (the latest version of every key ever seen stays otherwise) is bounded so.
 */
#include "exec/op_temporal.h"
#include "exec/opstate.h"
#include "state/snapshot.h"
#include "state/table.h"
#include "state/timers.h"

#include <string.h>

struct lrow {
    int64_t time;
    uint32_t len;
    char *bytes;                   /* the encoded left row */
};

struct version {
    int64_t time;
    bool live;                     /* false: a delete (no row from here on) */
    uint32_t len;
    char *bytes;                   /* the encoded right row (live versions) */
};

struct tkey {
    int n_left, cap_left;
    struct lrow *left;             /* arrival order */
    int n_ver, cap_ver;
    struct version *ver;           /* ascending time, distinct times */
    bool queued;                   /* the key has a live timer at queued_at */
    int64_t queued_at;
    int64_t written;               /* last write, processing time (TTL) */
    int64_t ttl_at;                /* its TTL queue entry's deadline (0: none) */
};

struct op_temporal {
    struct op op;
    struct state_table *state;     /* join key -> struct tkey */
    struct timers timers;          /* (time, key) */
    struct expr **keys[2];
    int n_keys;
    const struct vec **key_vecs;
    const struct sql_type **key_types;
    const struct sql_type **types; /* [left, right] as output */
    int n_cols[2];
    int time_col[2];
    bool outer;                    /* LEFT: unmatched left rows padded */
    struct expr *residual;         /* over [left, right] */
    int n_left_ports;
    struct batch *chunk;           /* candidate output rows [left, right] */
    bool *hit;                     /* per chunk row: a version with a row */
    struct batch *out;
    struct strbuf key, row;
    struct vec **dec;
    int64_t held;                  /* bytes of rows and their arrays */
    int64_t wm;                    /* the last watermark handled */
    int max_parallelism;
    uint32_t fingerprint;
    bool fp_done;
    struct op_ttl ttl;             /* table.exec.state.ttl */
};

/* ---- output ------------------------------------------------------------------- */

static int flush_out(struct op_temporal *o, struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == 0)
        return WEIR_OK;
    int rc = op_emit(&o->op, o->out, ctx, err);
    batch_reset(o->out);
    return rc;
}

/* Emits the chunk's rows that pass: joined when the version has a row and
 * the residual holds, NULL-padded (LEFT) otherwise. */
static int flush_chunk(struct op_temporal *o, struct eval_ctx *ctx, struct weir_error *err)
{
    struct batch *c = o->chunk;
    if (c->n == 0)
        return WEIR_OK;
    const struct vec *pass = NULL;
    int rc = WEIR_OK;
    if (o->residual) {
        c->sel = NULL;
        if ((rc = expr_eval(o->residual, ctx, c, &pass, err)))
            return rc;
    }
    int nl = o->n_cols[0];
    for (int i = 0; i < c->n && rc == WEIR_OK; i++) {
        bool joined = o->hit[i] && (pass == NULL || (!vec_is_null(pass, i) && pass->b[i]));
        if (!joined && !o->outer)
            continue;
        if (o->out->n >= BATCH_CAP && (rc = flush_out(o, ctx, err)))
            break;
        int r = o->out->n++;
        for (int col = 0; col < o->out->n_cols; col++) {
            if (col < nl || joined)
                vec_copy_row(&o->out->cols[col], r, &c->cols[col], i);
            else
                vec_set_null(&o->out->cols[col], r);
        }
    }
    batch_reset(c);
    return rc;
}

/* ---- state -------------------------------------------------------------------- */

static void update_state_metrics(struct op_temporal *o)
{
    atomic_store_explicit(&o->op.state_keys, state_table_count(o->state), memory_order_relaxed);
    atomic_store_explicit(&o->op.state_bytes,
                          state_table_bytes(o->state) + timers_bytes(&o->timers) +
                              timers_bytes(&o->ttl.queue) + o->held,
                          memory_order_relaxed);
}

/* The earliest watermark at which the key has work: its first waiting left
 * row, or when its oldest version stops being the newest at or before the
 * watermark (a lone delete: when the watermark passes it); INT64_MAX: none. */
static int64_t key_due(const struct tkey *k)
{
    int64_t due = INT64_MAX;
    for (int i = 0; i < k->n_left; i++)
        if (k->left[i].time < due)
            due = k->left[i].time;
    if (k->n_ver >= 2 && k->ver[1].time < due)
        due = k->ver[1].time;
    else if (k->n_ver == 1 && !k->ver[0].live && k->ver[0].time < due)
        due = k->ver[0].time;
    return due;
}

static void schedule(struct op_temporal *o, struct tkey *k, const char *key, size_t len,
                     uint64_t h)
{
    int64_t due = key_due(k);
    if (due == INT64_MAX || (k->queued && k->queued_at <= due))
        return;
    timers_push(&o->timers, due, h, key, len);
    k->queued = true;
    k->queued_at = due;
}

/* Index of the latest version at or before t, or -1. */
static int version_at(const struct tkey *k, int64_t t)
{
    int lo = 0, hi = k->n_ver;   /* first version after t */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (k->ver[mid].time <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* Adds (or replaces) the version at v->time; takes v->bytes. */
static void put_version(struct op_temporal *o, struct tkey *k, struct version v)
{
    int at = version_at(k, v.time);
    if (at >= 0 && k->ver[at].time == v.time) {
        o->held -= k->ver[at].len;
        mem_free(k->ver[at].bytes);
        k->ver[at] = v;
    } else {
        MEM_GROW(k->ver, k->cap_ver, k->n_ver + 1);
        at++;
        memmove(&k->ver[at + 1], &k->ver[at], (size_t)(k->n_ver - at) * sizeof(*k->ver));
        k->ver[at] = v;
        k->n_ver++;
        o->held += (int64_t)sizeof(*k->ver);
    }
    o->held += v.len;
}

static void key_free(struct op_temporal *o, struct tkey *k)
{
    for (int i = 0; i < k->n_left; i++) {
        o->held -= k->left[i].len + (int64_t)sizeof(*k->left);
        mem_free(k->left[i].bytes);
    }
    for (int i = 0; i < k->n_ver; i++) {
        o->held -= k->ver[i].len + (int64_t)sizeof(*k->ver);
        mem_free(k->ver[i].bytes);
    }
    mem_free(k->left);
    mem_free(k->ver);
}

/* ---- state TTL ---------------------------------------------------------------- */

static bool ttl_on(const struct op_temporal *o) { return o->ttl.ttl_us > 0; }

/* The key was written at o->ttl.now (or restored with that time): its queue
 * entry, unless one is live (a popped entry of a key written since is
 * pushed again at the new deadline). */
static void ttl_write(struct op_temporal *o, struct tkey *k, const char *key, size_t len,
                      uint64_t h, int64_t written)
{
    if (!ttl_on(o))
        return;
    k->written = written;
    if (k->ttl_at != 0)
        return;
    k->ttl_at = op_ttl_deadline(&o->ttl, written);
    timers_push(&o->ttl.queue, k->ttl_at, h, key, len);
}

/* Drops an expired key's rows and versions (without output). */
static void ttl_expire(struct op_temporal *o, struct tkey *k, const char *key, size_t len,
                       uint64_t h)
{
    key_free(o, k);
    state_table_delete(o->state, key, len, h);
    atomic_fetch_add_explicit(&o->op.expired, 1, memory_order_relaxed);
}

static bool ttl_gone(const struct op_temporal *o, const struct tkey *k)
{
    return ttl_on(o) && op_ttl_expired(&o->ttl, k->written);
}

static void encode_row(struct strbuf *sb, const struct batch *b, int n, int i)
{
    const struct vec *cols[256];
    n = n < 256 ? n : 256;
    for (int c = 0; c < n; c++)
        cols[c] = &b->cols[c];
    state_key_encode(sb, cols, n, i);
}

static int64_t row_time(const struct batch *b, int col, int i)
{
    const struct vec *t = &b->cols[col];
    return vec_is_null(t, i) ? INT64_MIN : t->i64[i];
}

static int temporal_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                         struct weir_error *err)
{
    struct op_temporal *o = (struct op_temporal *)op;
    int s = port < o->n_left_ports ? 0 : 1;
    int rc;
    for (int k = 0; k < o->n_keys; k++)
        if ((rc = expr_eval(o->keys[s][k], ctx, b, &o->key_vecs[k], err)))
            return rc;
    int n = batch_live(b);
    if (ttl_on(o))
        op_ttl_clock(&o->ttl);
    for (int r = 0; r < n; r++) {
        int i = batch_row(b, r);
        enum row_kind kind = batch_kind(b, i);
        int64_t t = row_time(b, o->time_col[s], i);
        if (s == 1) {
            if (kind == RK_UPDATE_BEFORE || t == INT64_MIN)
                continue;
            bool null_key = false;
            for (int k = 0; k < o->n_keys; k++)
                null_key |= vec_is_null(o->key_vecs[k], i);
            if (null_key)
                continue;
        }
        state_key_encode(&o->key, o->key_vecs, o->n_keys, i);
        uint64_t h = state_hash(o->key.buf, o->key.len);
        bool inserted;
        struct tkey *k = state_table_upsert(o->state, o->key.buf, o->key.len, h, &inserted);
        if (!inserted && ttl_gone(o, k)) {
            /* expired, its queue entry not yet up: it starts over */
            ttl_expire(o, k, o->key.buf, o->key.len, h);
            k = state_table_upsert(o->state, o->key.buf, o->key.len, h, &inserted);
        }
        ttl_write(o, k, o->key.buf, o->key.len, h, o->ttl.now);
        if (s == 0) {
            encode_row(&o->row, b, o->n_cols[0], i);
            MEM_GROW(k->left, k->cap_left, k->n_left + 1);
            k->left[k->n_left++] = (struct lrow){t, (uint32_t)o->row.len,
                                                 mem_strndup(o->row.buf, o->row.len)};
            o->held += (int64_t)o->row.len + (int64_t)sizeof(*k->left);
        } else {
            struct version v = {t, kind != RK_DELETE, 0, NULL};
            if (v.live) {
                encode_row(&o->row, b, o->n_cols[1], i);
                v.len = (uint32_t)o->row.len;
                v.bytes = mem_strndup(o->row.buf, o->row.len);
            }
            put_version(o, k, v);
        }
        schedule(o, k, o->key.buf, o->key.len, h);
    }
    update_state_metrics(o);
    return WEIR_OK;
}

/* The key's due left rows, joined into the chunk; then its expired versions
 * go. */
static int fire_key(struct op_temporal *o, struct tkey *k, int64_t wm, struct eval_ctx *ctx,
                    struct weir_error *err)
{
    int nl = o->n_cols[0], nr = o->n_cols[1];
    int m = 0, rc = WEIR_OK;
    for (int i = 0; i < k->n_left; i++) {
        struct lrow *lr = &k->left[i];
        if (lr->time > wm || rc) {
            k->left[m++] = *lr;
            continue;
        }
        if (o->chunk->n >= BATCH_CAP && (rc = flush_chunk(o, ctx, err))) {
            k->left[m++] = *lr;
            continue;
        }
        int c = o->chunk->n++;
        for (int col = 0; col < nl; col++)
            o->dec[col] = &o->chunk->cols[col];
        state_key_decode(lr->bytes, lr->len, o->dec, nl, c);
        int v = version_at(k, lr->time);
        o->hit[c] = v >= 0 && k->ver[v].live;
        if (o->hit[c]) {
            for (int col = 0; col < nr; col++)
                o->dec[col] = &o->chunk->cols[nl + col];
            state_key_decode(k->ver[v].bytes, k->ver[v].len, o->dec, nr, c);
        } else {
            for (int col = 0; col < nr; col++)
                vec_set_null(&o->chunk->cols[nl + col], c);
        }
        o->held -= lr->len + (int64_t)sizeof(*lr);
        mem_free(lr->bytes);
    }
    k->n_left = m;
    /* the newest version at or before wm stays (later left rows may need
     * it) unless it is a delete: then nothing older than the next one can
     * ever match, which is what an empty history says too */
    int keep = version_at(k, wm);
    if (keep >= 0 && !k->ver[keep].live)
        keep++;
    if (keep > 0) {
        for (int i = 0; i < keep; i++) {
            o->held -= k->ver[i].len + (int64_t)sizeof(*k->ver);
            mem_free(k->ver[i].bytes);
        }
        memmove(k->ver, &k->ver[keep], (size_t)(k->n_ver - keep) * sizeof(*k->ver));
        k->n_ver -= keep;
    }
    return rc;
}

static int temporal_watermark(struct op *op, int64_t wm, struct eval_ctx *ctx,
                              struct weir_error *err)
{
    struct op_temporal *o = (struct op_temporal *)op;
    if (wm == WM_IDLE)
        return op_emit_watermark(op, wm, ctx, err);
    if (wm > o->wm)
        o->wm = wm;
    if (ttl_on(o))
        op_ttl_clock(&o->ttl);
    struct timer t;
    int rc = WEIR_OK;
    while (rc == WEIR_OK && timers_pop_due(&o->timers, wm, &t)) {
        struct tkey *k = state_table_get(o->state, t.key, t.key_len, t.hash);
        if (k == NULL || !k->queued || k->queued_at != t.time) {
            timer_done(&t);   /* stale: the key went, or has an earlier timer */
            continue;
        }
        k->queued = false;
        if (ttl_gone(o, k)) {
            ttl_expire(o, k, t.key, t.key_len, t.hash);
            timer_done(&t);
            continue;
        }
        rc = fire_key(o, k, wm, ctx, err);
        if (k->n_left == 0 && k->n_ver == 0) {
            key_free(o, k);
            state_table_delete(o->state, t.key, t.key_len, t.hash);
        } else {
            schedule(o, k, t.key, t.key_len, t.hash);
        }
        timer_done(&t);
    }
    if (rc == WEIR_OK)
        rc = flush_chunk(o, ctx, err);
    if (rc == WEIR_OK)
        rc = flush_out(o, ctx, err);
    update_state_metrics(o);
    return rc ? rc : op_emit_watermark(op, wm, ctx, err);
}

/* table.exec.state.ttl: the keys whose queue entries are due go, unless
 * written since (then queued again at their new deadline). */
static int temporal_timer(struct op *op, int64_t now_us, struct eval_ctx *ctx,
                          struct weir_error *err)
{
    (void)ctx;
    (void)err;
    struct op_temporal *o = (struct op_temporal *)op;
    op_ttl_tick(&o->ttl, now_us);
    struct timer t;
    while (timers_pop_due(&o->ttl.queue, o->ttl.now, &t)) {
        struct tkey *k = state_table_get(o->state, t.key, t.key_len, t.hash);
        if (k == NULL || k->ttl_at != t.time) {
            timer_done(&t);   /* stale: the key went (and maybe came back) */
            continue;
        }
        k->ttl_at = 0;
        if (op_ttl_expired(&o->ttl, k->written))
            ttl_expire(o, k, t.key, t.key_len, t.hash);
        else
            ttl_write(o, k, t.key, t.key_len, t.hash, k->written);
        timer_done(&t);
    }
    update_state_metrics(o);
    return WEIR_OK;
}

static int temporal_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    struct op_temporal *o = (struct op_temporal *)op;
    /* the end of input: every waiting left row is due */
    int rc = o->wm != WM_END ? temporal_watermark(op, WM_END, ctx, err) : WEIR_OK;
    return rc ? rc : op_finish_next(op, ctx, err);
}

static void temporal_free(struct op *op)
{
    struct op_temporal *o = (struct op_temporal *)op;
    struct state_iter it;
    state_iter_init(&it, o->state);
    while (state_iter_next(&it))
        key_free(o, it.value);
    state_table_free(o->state);
    timers_free(&o->timers);
    timers_free(&o->ttl.queue);
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < o->n_keys; k++)
            expr_free_scratch(o->keys[s][k]);
    expr_free_scratch(o->residual);
    mem_free(o->key_vecs);
    mem_free(o->key_types);
    mem_free(o->types);
    batch_free(o->chunk);
    batch_free(o->out);
    mem_free(o->hit);
    mem_free(o->dec);
    sb_free(&o->key);
    sb_free(&o->row);
    mem_free(o);
}

/* ---- checkpoints ---------------------------------------------------------------- */

/*
 * One record per key, in its key group, after opstate_put_header:
 *   REC_KEY: bytes key, u32 n, n × (i64 time, bytes left row),
 *            u32 m, m × (i64 time, u8 live, bytes right row (empty: delete)),
 *            i64 last write (processing time, for the TTL; records written
 *            before it was kept end before it and restore as written now)
 * Keys and rows are in state_key_encode's format, checked against the
 * column types on restore.  There is no operator record: nothing is judged
 * late, and the timers follow from the entries.
 */
enum { REC_KEY = 1 };
#define LEFT_REC_MIN 12            /* bytes of a left row's record with no data */
#define VER_REC_MIN 13

static uint32_t temporal_fingerprint(struct op_temporal *o)
{
    if (o->fp_done)
        return o->fingerprint;
    struct strbuf fp = {0};
    snap_put_u8(&fp, 1);
    snap_put_u8(&fp, (uint8_t)o->outer);
    snap_put_u32(&fp, (uint32_t)o->n_keys);
    for (int k = 0; k < o->n_keys; k++)
        opstate_fingerprint_type(&fp, o->key_types[k]);
    for (int s = 0; s < 2; s++) {
        snap_put_u32(&fp, (uint32_t)o->n_cols[s]);
        snap_put_u32(&fp, (uint32_t)o->time_col[s]);
    }
    for (int c = 0; c < o->n_cols[0] + o->n_cols[1]; c++)
        opstate_fingerprint_type(&fp, o->types[c]);
    o->fingerprint = opstate_fingerprint_done(&fp);
    o->fp_done = true;
    sb_free(&fp);
    return o->fingerprint;
}

struct temporal_walk {
    uint32_t fp;
};

static void temporal_write(struct snap_writer *w, const void *ctx, const void *key, size_t len,
                           int kg, const void *value)
{
    const struct temporal_walk *tw = ctx;
    const struct tkey *k = value;
    if (k->n_left == 0 && k->n_ver == 0)
        return;
    snap_begin(w, kg);
    opstate_put_header(&w->buf, REC_KEY, tw->fp);
    snap_put_bytes(&w->buf, key, len);
    snap_put_u32(&w->buf, (uint32_t)k->n_left);
    for (int i = 0; i < k->n_left; i++) {
        snap_put_i64(&w->buf, k->left[i].time);
        snap_put_bytes(&w->buf, k->left[i].bytes, k->left[i].len);
    }
    snap_put_u32(&w->buf, (uint32_t)k->n_ver);
    for (int i = 0; i < k->n_ver; i++) {
        snap_put_i64(&w->buf, k->ver[i].time);
        snap_put_u8(&w->buf, (uint8_t)k->ver[i].live);
        snap_put_bytes(&w->buf, k->ver[i].bytes, k->ver[i].len);
    }
    snap_put_i64(&w->buf, k->written);
    snap_end(w);
}

static int temporal_snapshot(struct op *op, struct snap_writer *w, struct weir_error *err)
{
    (void)err;
    struct op_temporal *o = (struct op_temporal *)op;
    struct temporal_walk tw = {temporal_fingerprint(o)};
    state_table_walk(o->state, w, temporal_write, &tw, sizeof(tw));
    return WEIR_OK;
}

/* The rows of a record, decoded and checked into fresh arrays; on failure
 * nothing is left allocated. */
static int decode_key(struct op_temporal *o, struct snap_rd *rd, struct tkey *into,
                      struct weir_error *err)
{
    const char *what = NULL;
    uint32_t n = snap_get_u32(rd);
    if (rd->bad || n > (rd->len - rd->pos) / LEFT_REC_MIN)
        return opstate_corrupt(&o->op, "bad left row count", err);
    struct tkey k = {0};
    k.left = mem_calloc((size_t)n + 1, sizeof(*k.left));
    k.cap_left = (int)n + 1;
    for (uint32_t i = 0; i < n && what == NULL; i++) {
        size_t len;
        int64_t t = snap_get_i64(rd);
        const char *bytes = snap_get_bytes(rd, &len);
        if (rd->bad)
            what = "truncated left row";
        else if (!opstate_row_check(bytes, len, o->types, o->n_cols[0]))
            what = "left row does not match the input's column types";
        else
            k.left[k.n_left++] = (struct lrow){t, (uint32_t)len, mem_strndup(bytes, len)};
    }
    uint32_t m = what ? 0 : snap_get_u32(rd);
    if (what == NULL && (rd->bad || m > (rd->len - rd->pos) / VER_REC_MIN))
        what = "bad version count";
    if (what == NULL) {
        k.ver = mem_calloc((size_t)m + 1, sizeof(*k.ver));
        k.cap_ver = (int)m + 1;
    }
    for (uint32_t i = 0; i < m && what == NULL; i++) {
        size_t len;
        int64_t t = snap_get_i64(rd);
        uint8_t live = snap_get_u8(rd);
        const char *bytes = snap_get_bytes(rd, &len);
        if (rd->bad)
            what = "truncated version";
        else if (live > 1 || (!live && len > 0) || (i > 0 && t <= k.ver[i - 1].time))
            what = "bad version";
        else if (live && !opstate_row_check(bytes, len, o->types + o->n_cols[0], o->n_cols[1]))
            what = "version does not match the input's column types";
        else
            k.ver[k.n_ver++] = (struct version){t, live, (uint32_t)len,
                                                live ? mem_strndup(bytes, len) : NULL};
    }
    k.written = INT64_MIN;   /* not in the record */
    if (what == NULL && rd->len - rd->pos == 8)
        k.written = snap_get_i64(rd);
    if (what == NULL && rd->pos != rd->len)
        what = "bytes after the rows";
    if (what == NULL && k.n_left == 0 && k.n_ver == 0)
        what = "empty key";
    if (what) {
        /* not counted in o->held yet: undo by hand */
        for (int i = 0; i < k.n_left; i++)
            mem_free(k.left[i].bytes);
        for (int i = 0; i < k.n_ver; i++)
            mem_free(k.ver[i].bytes);
        mem_free(k.left);
        mem_free(k.ver);
        return opstate_corrupt(&o->op, what, err);
    }
    *into = k;
    return WEIR_OK;
}

static int temporal_restore(struct op *op, int kg, struct snap_rd *rd, struct weir_error *err)
{
    struct op_temporal *o = (struct op_temporal *)op;
    uint8_t type;
    int rc = opstate_get_header(op, rd, temporal_fingerprint(o), &type, err);
    if (rc)
        return rc;
    size_t klen;
    const char *key = snap_get_bytes(rd, &klen);
    if (rd->bad || type != REC_KEY || kg == SNAP_OPERATOR)
        return opstate_corrupt(op, "bad record header", err);
    if (!opstate_row_check(key, klen, o->key_types, o->n_keys))
        return opstate_corrupt(op, "key does not match the join key's types", err);
    if ((rc = opstate_check_key_group(op, key, klen, kg, o->max_parallelism, err)))
        return rc;
    struct tkey got = {0};
    if ((rc = decode_key(o, rd, &got, err)))
        return rc;
    uint64_t h = state_hash(key, klen);
    bool inserted;
    struct tkey *k = state_table_upsert(o->state, key, klen, h, &inserted);
    /* a key has one record; should it come twice, its rows merge */
    for (int i = 0; i < got.n_left; i++) {
        MEM_GROW(k->left, k->cap_left, k->n_left + 1);
        k->left[k->n_left++] = got.left[i];
        o->held += got.left[i].len + (int64_t)sizeof(*k->left);
    }
    for (int i = 0; i < got.n_ver; i++)
        put_version(o, k, got.ver[i]);
    mem_free(got.left);
    mem_free(got.ver);
    /* not in the record, or kept without a TTL: written now */
    int64_t written = got.written != INT64_MIN && got.written != 0 ? got.written
                                                                    : op_ttl_clock(&o->ttl);
    ttl_write(o, k, key, klen, h, inserted || written > k->written ? written : k->written);
    schedule(o, k, key, klen, h);
    update_state_metrics(o);
    return WEIR_OK;
}

static const struct op_ops temporal_ops = {
    .kind = "TemporalJoin",
    .push = temporal_push,
    .watermark = temporal_watermark,
    .finish = temporal_finish,
    .free = temporal_free,
    .snapshot = temporal_snapshot,
    .restore = temporal_restore,
};

/* The same with the TTL timer: operators without a TTL do not make their
 * task tick. */
static const struct op_ops temporal_ttl_ops = {
    .kind = "TemporalJoin",
    .push = temporal_push,
    .watermark = temporal_watermark,
    .timer = temporal_timer,
    .finish = temporal_finish,
    .free = temporal_free,
    .snapshot = temporal_snapshot,
    .restore = temporal_restore,
};

void op_temporal_set_state_ttl(struct op *op, int64_t ttl_us, bool manual_clock)
{
    struct op_temporal *o = (struct op_temporal *)op;
    op_ttl_set(&o->ttl, ttl_us, manual_clock);
    op->ops = ttl_on(o) ? &temporal_ttl_ops : &temporal_ops;
}

struct op *op_temporal_new(int id, enum join_kind kind, struct expr **lkeys, struct expr **rkeys,
                           int n_keys, struct expr *residual, int n_left, int n_right,
                           int left_time, int right_time,
                           const struct sql_type *const *out_types, char *label)
{
    struct op_temporal *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &temporal_ops, id, label);
    o->keys[0] = lkeys;
    o->keys[1] = rkeys;
    o->n_keys = n_keys;
    o->residual = residual;
    o->outer = kind == JOIN_LEFT;
    o->n_cols[0] = n_left;
    o->n_cols[1] = n_right;
    o->time_col[0] = left_time;
    o->time_col[1] = right_time;
    o->max_parallelism = 128;
    o->wm = WM_NONE;
    o->state = state_table_new(sizeof(struct tkey), o->max_parallelism);
    o->key_vecs = mem_calloc((size_t)n_keys + 1, sizeof(*o->key_vecs));
    o->key_types = mem_calloc((size_t)n_keys + 1, sizeof(*o->key_types));
    for (int k = 0; k < n_keys; k++)
        o->key_types[k] = lkeys[k]->type;
    o->types = mem_calloc((size_t)(n_left + n_right) + 1, sizeof(*o->types));
    memcpy(o->types, out_types, (size_t)(n_left + n_right) * sizeof(*o->types));
    o->chunk = batch_new(n_left + n_right, out_types);
    o->out = batch_new(n_left + n_right, out_types);
    o->hit = mem_calloc(BATCH_CAP, sizeof(*o->hit));
    int maxc = n_left > n_right ? n_left : n_right;
    o->dec = mem_calloc((size_t)maxc + 1, sizeof(*o->dec));
    sb_reserve(&o->key, 64);
    sb_reserve(&o->row, 256);
    return &o->op;
}

void op_temporal_left_ports(struct op *op, int n)
{
    ((struct op_temporal *)op)->n_left_ports = n;
}

void op_temporal_set_max_parallelism(struct op *op, int max_parallelism)
{
    struct op_temporal *o = (struct op_temporal *)op;
    o->max_parallelism = max_parallelism > 0 ? max_parallelism : 128;
    /* still empty: the job has not run nor been restored */
    state_table_free(o->state);
    o->state = state_table_new(sizeof(struct tkey), o->max_parallelism);
}
