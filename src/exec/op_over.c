/*
 * op_over.c — OVER aggregation in streaming mode (Flink's OverAggregate):
 * agg(x) OVER (PARTITION BY p ORDER BY time ROWS|RANGE BETWEEN
 * {UNBOUNDED | n | INTERVAL} PRECEDING AND CURRENT ROW) over an insert-only
 * input; each input row is emitted once (+I) with the aggregates of its frame.
 *
 * Event time: rows wait per partition key, sorted by time (ties in arrival
 * order), until the watermark reaches them, so that every row's frame is
 * complete and rows come out in time order (Flink's RowTime*Function).
 * A RANGE frame treats rows with equal times as peers: they enter the
 * accumulators together and all get the same values.  A row whose time is
 * not after the watermark already seen would belong before rows already
 * emitted: it is late, counted and dead-lettered as window operators do.
 * Processing time: rows are aggregated on arrival.
 *
 * The aggregates are the window/group ones (agg.h).  A bounded frame keeps
 * the aggregate arguments of the emitted rows still inside it and retracts
 * them (sign -1) as they leave, so the accumulators always hold the frame.
 * Arguments are evaluated when a row arrives and stored encoded
 * (state_key_encode), which restore can check without the expressions.
 *
 * State: one state-table entry per partition key holding its waiting rows,
 * the frame's rows and the accumulators; one keyed timer per key at its
 * earliest waiting row (state/timers.h, stale entries skipped), rebuilt at
 * restore.  A key of a RANGE frame on event time that waits for nothing has
 * its timer when it can be dropped (cleanup_time).  Checkpoints: a record
 * per key in its key group, OVER_REC_KEY
 * [header, key, u32 n, n × (i64 time, bytes row, bytes args), u32 m,
 * m × (i64 time, bytes args), u8 has accumulators, accumulators], written
 * lazily by the table's walk; and per instance a SNAP_OPERATOR record
 * OVER_REC_MARK [header, u32 instance, i64 watermark]: below it rows are late.
 */
#include "exec/op_over.h"
#include "core/datetime.h"
#include "core/value_fmt.h"
#include "exec/op_group.h"
#include "exec/opstate.h"
#include "state/snapshot.h"
#include "state/table.h"
#include "state/timers.h"

#include <string.h>

/* A row of a key: waiting (row set) or in the frame (row NULL). */
struct orow {
    int64_t ts;
    char *row;                      /* encoded input row, while waiting */
    char *args;                     /* encoded aggregate arguments */
    uint32_t row_len, args_len;
};

/* The value slot of a partition key. */
struct okey {
    struct orow *wait;              /* not yet emitted, by (time, arrival) */
    int n_wait, cap_wait;
    struct orow *frame;             /* emitted, still in a bounded frame:  */
    int head, n_frame, cap_frame;   /*   frame[head..n_frame), oldest first */
    unsigned char *accs;            /* value_size bytes, NULL before any row */
    int64_t timer;                  /* the key's live timer, WM_NONE if none */
};

struct op_over {
    struct op op;
    int n_part;
    struct expr **part;
    struct expr *time;
    bool proctime, ltz;
    bool rows;                      /* ROWS frame, else RANGE */
    int64_t preceding;              /* -1: UNBOUNDED */
    int n_aggs;
    const struct agg_call *aggs;
    size_t *acc_off;
    size_t value_size;
    int n_args;                     /* all aggregates' arguments, flattened */
    struct expr **args;
    int *arg_first;                 /* per aggregate: its first argument */
    const struct sql_type **arg_types;
    const struct sql_type **part_types;
    int n_in;
    const struct sql_type *const *in_types;
    int max_par;
    uint32_t fingerprint;
    struct state_table *state;      /* partition key -> struct okey */
    struct timers timers;
    int64_t wm;                     /* watermark seen: rows at or before it are late */
    bool mark_own;
    /* scratch */
    struct batch *out;              /* [input, aggregates] */
    struct batch *argb;             /* decoded arguments of one row (row 0) */
    struct strbuf key, row, argsb;
    const struct vec **part_vecs;
    const struct vec **arg_vecs;
    struct vec **dec;
    struct vec **arg_dec;
};

enum { OVER_REC_MARK = 1, OVER_REC_KEY = 2 };

static void orow_free(struct orow *r)
{
    mem_free(r->row);
    mem_free(r->args);
    r->row = r->args = NULL;
}

static void okey_release(struct op_over *o, struct okey *s)
{
    for (int i = 0; i < s->n_wait; i++)
        orow_free(&s->wait[i]);
    for (int i = s->head; i < s->n_frame; i++)
        orow_free(&s->frame[i]);
    mem_free(s->wait);
    mem_free(s->frame);
    if (s->accs) {
        for (int a = 0; a < o->n_aggs; a++)
            if (o->aggs[a].ops->destroy)
                o->aggs[a].ops->destroy(s->accs + o->acc_off[a], o->aggs[a].state);
        mem_free(s->accs);
    }
    memset(s, 0, sizeof(*s));
}

static void update_metrics(struct op_over *o)
{
    atomic_store_explicit(&o->op.state_keys, state_table_count(o->state), memory_order_relaxed);
    atomic_store_explicit(&o->op.state_bytes,
                          state_table_bytes(o->state) + timers_bytes(&o->timers),
                          memory_order_relaxed);
}

static int flush_out(struct op_over *o, struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == 0)
        return WEIR_OK;
    int rc = op_emit(&o->op, o->out, ctx, err);
    batch_reset(o->out);
    return rc;
}

/* Adds (sign +1) or retracts (-1) one row's arguments to the accumulators. */
static void apply(struct op_over *o, struct okey *s, const struct orow *r, int sign)
{
    if (o->n_args)
        state_key_decode(r->args, r->args_len, o->arg_dec, o->n_args, 0);
    uint16_t row0 = 0;
    for (int a = 0; a < o->n_aggs; a++) {
        void *acc = s->accs + o->acc_off[a];
        const struct vec *args = o->n_args ? &o->argb->cols[o->arg_first[a]] : NULL;
        o->aggs[a].ops->update(&acc, args, &row0, 1, sign, o->aggs[a].state);
    }
}

static void frame_push(struct okey *s, struct orow *r)
{
    if (s->head > 0 && s->head * 2 >= s->n_frame) {
        memmove(s->frame, s->frame + s->head, (size_t)(s->n_frame - s->head) * sizeof(*s->frame));
        s->n_frame -= s->head;
        s->head = 0;
    }
    MEM_GROW(s->frame, s->cap_frame, s->n_frame + 1);
    s->frame[s->n_frame++] = *r;
}

/* Emits the rows g[0..n) (peers in a RANGE frame, one row in a ROWS frame)
 * with time ts: they join the frame, the rows that leave it are retracted,
 * then each is written out with the accumulators' results.  Takes the rows'
 * argument bytes (into the frame, or frees them) and frees their row bytes. */
static int emit_group(struct op_over *o, struct okey *s, struct orow *g, int n, int64_t ts,
                      struct eval_ctx *ctx, struct weir_error *err)
{
    if (s->accs == NULL) {
        s->accs = mem_calloc(1, o->value_size ? o->value_size : 1);
        for (int a = 0; a < o->n_aggs; a++)
            o->aggs[a].ops->init(s->accs + o->acc_off[a], o->aggs[a].state);
    }
    for (int i = 0; i < n; i++)
        apply(o, s, &g[i], +1);
    if (o->preceding >= 0) {
        for (;;) {
            if (s->head == s->n_frame)
                break;
            struct orow *old = &s->frame[s->head];
            /* a ROWS frame holds the current row and `preceding` before it */
            bool leaves = o->rows ? s->n_frame - s->head > o->preceding
                                  : old->ts < ts - o->preceding;
            if (!leaves)
                break;
            apply(o, s, old, -1);
            orow_free(old);
            s->head++;
        }
    }
    int rc = WEIR_OK;
    for (int i = 0; i < n && rc == WEIR_OK; i++) {
        if (o->out->n == BATCH_CAP)
            rc = flush_out(o, ctx, err);
        if (rc)
            break;
        int r = o->out->n++;
        if (g[i].row)
            state_key_decode(g[i].row, g[i].row_len, o->dec, o->n_in, r);
        for (int a = 0; a < o->n_aggs; a++)
            o->aggs[a].ops->result(s->accs + o->acc_off[a], &o->out->cols[o->n_in + a], r,
                                   o->aggs[a].state);
    }
    for (int i = 0; i < n; i++) {
        mem_free(g[i].row);
        g[i].row = NULL;
        if (o->preceding >= 0) {
            frame_push(s, &g[i]);
        } else {
            mem_free(g[i].args);
        }
        g[i].args = NULL;
    }
    if (o->argb)
        batch_reset(o->argb);
    return rc;
}

/* Emits the waiting rows of s with time <= limit, in time order. */
static int fire_key(struct op_over *o, struct okey *s, int64_t limit, struct eval_ctx *ctx,
                    struct weir_error *err)
{
    int i = 0, rc = WEIR_OK;
    while (rc == WEIR_OK && i < s->n_wait && s->wait[i].ts <= limit) {
        int j = i + 1;
        if (!o->rows)
            while (j < s->n_wait && s->wait[j].ts == s->wait[i].ts)
                j++;
        rc = emit_group(o, s, &s->wait[i], j - i, s->wait[i].ts, ctx, err);
        i = j;
    }
    memmove(s->wait, s->wait + i, (size_t)(s->n_wait - i) * sizeof(*s->wait));
    s->n_wait -= i;
    return rc;
}

static void late_row(struct op_over *o, struct batch *b, int row, const struct vec *tv)
{
    struct strbuf reason = {0};
    if (vec_is_null(tv, row)) {
        sb_adds(&reason, "late: its time attribute is NULL");
    } else {
        char ts[64], wm[64];
        int64_t t = tv->i64[row];
        dt_fmt_ts_java(ts, o->ltz ? dt_ltz_to_local(t) : t);
        dt_fmt_ts_java(wm, o->ltz ? dt_ltz_to_local(o->wm) : o->wm);
        sb_addf(&reason, "late: the OVER rows up to the watermark were emitted (row time %s, "
                         "watermark %s)", ts, wm);
    }
    op_late_row(&o->op, b, row, reason.buf);
    sb_free(&reason);
}

static int over_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                     struct weir_error *err)
{
    (void)port;
    struct op_over *o = (struct op_over *)op;
    int rc = WEIR_OK;
    const struct vec *tv;
    for (int k = 0; k < o->n_part && rc == WEIR_OK; k++)
        rc = expr_eval(o->part[k], ctx, b, &o->part_vecs[k], err);
    for (int k = 0; k < o->n_args && rc == WEIR_OK; k++)
        rc = expr_eval(o->args[k], ctx, b, &o->arg_vecs[k], err);
    if (rc == WEIR_OK)
        rc = expr_eval(o->time, ctx, b, &tv, err);
    if (rc)
        return rc;
    const struct vec *cols[512];
    int nc = b->n_cols < 512 ? b->n_cols : 512;
    for (int c = 0; c < nc; c++)
        cols[c] = &b->cols[c];
    int n = batch_live(b);
    for (int k = 0; k < n && rc == WEIR_OK; k++) {
        int i = batch_row(b, k);
        bool null_time = vec_is_null(tv, i);
        if (!o->proctime && (null_time || (o->wm != WM_NONE && tv->i64[i] <= o->wm))) {
            late_row(o, b, i, tv);
            continue;
        }
        int64_t t = null_time ? 0 : tv->i64[i];
        state_key_encode(&o->key, o->part_vecs, o->n_part, i);
        state_key_encode(&o->row, cols, nc, i);
        state_key_encode(&o->argsb, o->arg_vecs, o->n_args, i);
        uint64_t h = state_hash(o->key.buf, o->key.len);
        bool inserted;
        struct okey *s = state_table_upsert(o->state, o->key.buf, o->key.len, h, &inserted);
        if (inserted)
            s->timer = WM_NONE;
        struct orow r = {t, NULL, mem_strndup(o->argsb.buf, o->argsb.len), 0,
                         (uint32_t)o->argsb.len};
        if (o->proctime) {
            /* the row itself is decoded straight from the batch */
            if (o->out->n == BATCH_CAP && (rc = flush_out(o, ctx, err)))
                break;
            int at = o->out->n;
            for (int c = 0; c < o->n_in; c++)
                vec_copy_row(&o->out->cols[c], at, &b->cols[c], i);
            rc = emit_group(o, s, &r, 1, t, ctx, err);
            continue;
        }
        r.row = mem_strndup(o->row.buf, o->row.len);
        r.row_len = (uint32_t)o->row.len;
        int pos = s->n_wait;
        while (pos > 0 && s->wait[pos - 1].ts > t)
            pos--;
        MEM_GROW(s->wait, s->cap_wait, s->n_wait + 1);
        memmove(&s->wait[pos + 1], &s->wait[pos], (size_t)(s->n_wait - pos) * sizeof(*s->wait));
        s->wait[pos] = r;
        s->n_wait++;
        if (s->timer == WM_NONE || t < s->timer) {
            s->timer = t;
            timers_push(&o->timers, t, h, o->key.buf, o->key.len);
        }
    }
    update_metrics(o);
    if (rc == WEIR_OK)
        rc = flush_out(o, ctx, err);
    return rc;
}

/*
 * A RANGE frame on event time: once the watermark reaches a key's newest
 * frame row plus the frame's length, every row still to come (after the
 * watermark) leaves all of the key's frame rows out of its frame, so the key
 * is dropped then, as Flink's RowTimeRangeBoundedPrecedingFunction clears
 * its state; a row that comes later starts from fresh accumulators, which
 * is what retracting the whole frame would leave.  Returns when s can go
 * (WM_NONE: not while it waits for rows, nor for ROWS or unbounded frames).
 */
static int64_t cleanup_time(const struct op_over *o, const struct okey *s)
{
    if (o->proctime || o->rows || o->preceding < 0 || s->n_wait > 0 || s->head == s->n_frame)
        return WM_NONE;
    int64_t last = s->frame[s->n_frame - 1].ts;
    return last > INT64_MAX - o->preceding ? WM_NONE : last + o->preceding;
}

/* Emits every waiting row with time <= limit, key by key in timer order;
 * drops the keys whose time has come (cleanup_time). */
static int fire_until(struct op_over *o, int64_t limit, struct eval_ctx *ctx,
                      struct weir_error *err)
{
    int rc = WEIR_OK;
    struct timer it;
    while (rc == WEIR_OK && timers_pop_due(&o->timers, limit, &it)) {
        struct okey *s = state_table_get(o->state, it.key, it.key_len, it.hash);
        if (s && s->timer == it.time) {
            rc = fire_key(o, s, limit, ctx, err);
            s->timer = WM_NONE;
            int64_t gone = cleanup_time(o, s);
            if (s->n_wait > 0) {
                s->timer = s->wait[0].ts;
                timers_push(&o->timers, s->timer, it.hash, it.key, it.key_len);
            } else if (gone != WM_NONE && gone <= limit) {
                okey_release(o, s);
                state_table_delete(o->state, it.key, it.key_len, it.hash);
            } else if (gone != WM_NONE) {
                s->timer = gone;
                timers_push(&o->timers, s->timer, it.hash, it.key, it.key_len);
            }
        }
        timer_done(&it);
    }
    update_metrics(o);
    if (rc == WEIR_OK)
        rc = flush_out(o, ctx, err);
    return rc;
}

static int over_watermark(struct op *op, int64_t wm, struct eval_ctx *ctx,
                          struct weir_error *err)
{
    struct op_over *o = (struct op_over *)op;
    int rc = WEIR_OK;
    if (wm != WM_IDLE && !o->proctime) {
        rc = fire_until(o, wm, ctx, err);
        if (wm > o->wm)
            o->wm = wm;
    }
    if (rc)
        return rc;
    return op_emit_watermark(op, wm, ctx, err);
}

static int over_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    struct op_over *o = (struct op_over *)op;
    int rc = o->proctime ? WEIR_OK : fire_until(o, WM_END, ctx, err);
    if (rc == WEIR_OK)
        rc = op_finish_next(op, ctx, err);
    return rc;
}

static void over_free(struct op *op)
{
    struct op_over *o = (struct op_over *)op;
    struct state_iter it;
    state_iter_init(&it, o->state);
    while (state_iter_next(&it))
        okey_release(o, it.value);
    state_table_free(o->state);
    timers_free(&o->timers);
    for (int k = 0; k < o->n_part; k++)
        expr_free_scratch(o->part[k]);
    for (int k = 0; k < o->n_args; k++)
        expr_free_scratch(o->args[k]);
    expr_free_scratch(o->time);
    mem_free(o->acc_off);
    mem_free(o->args);
    mem_free(o->arg_first);
    mem_free(o->arg_types);
    mem_free(o->part_types);
    mem_free(o->part_vecs);
    mem_free(o->arg_vecs);
    mem_free(o->dec);
    mem_free(o->arg_dec);
    sb_free(&o->key);
    sb_free(&o->row);
    sb_free(&o->argsb);
    batch_free(o->out);
    batch_free(o->argb);
    mem_free(o);
}

/* ---- checkpoints ------------------------------------------------------------------ */

static void over_write(struct snap_writer *w, const void *ctx, const void *key, size_t len,
                       int kg, const void *value)
{
    const struct op_over *o = *(const struct op_over *const *)ctx;
    const struct okey *s = value;
    if (s->accs == NULL && s->n_wait == 0)
        return;   /* holds nothing */
    snap_begin(w, kg);
    opstate_put_header(&w->buf, OVER_REC_KEY, o->fingerprint);
    snap_put_bytes(&w->buf, key, len);
    snap_put_u32(&w->buf, (uint32_t)s->n_wait);
    for (int i = 0; i < s->n_wait; i++) {
        snap_put_i64(&w->buf, s->wait[i].ts);
        snap_put_bytes(&w->buf, s->wait[i].row, s->wait[i].row_len);
        snap_put_bytes(&w->buf, s->wait[i].args, s->wait[i].args_len);
    }
    snap_put_u32(&w->buf, (uint32_t)(s->n_frame - s->head));
    for (int i = s->head; i < s->n_frame; i++) {
        snap_put_i64(&w->buf, s->frame[i].ts);
        snap_put_bytes(&w->buf, s->frame[i].args, s->frame[i].args_len);
    }
    snap_put_u8(&w->buf, s->accs != NULL);
    if (s->accs)
        opagg_put_accs(&w->buf, o->aggs, o->n_aggs, o->acc_off, s->accs);
    snap_end(w);
}

static int over_snapshot(struct op *op, struct snap_writer *w, struct weir_error *err)
{
    struct op_over *o = (struct op_over *)op;
    int rc = opagg_check_snapshot(op, o->aggs, o->n_aggs, err);
    if (rc)
        return rc;
    opstate_put_mark(w, OVER_REC_MARK, o->fingerprint, op, o->wm);
    state_table_walk(o->state, w, over_write, &o, sizeof(o));
    return WEIR_OK;
}

/* Reads one stored row (row bytes only when waiting); a reason when bad. */
static const char *get_row(struct op_over *o, struct snap_rd *rd, bool waiting, struct orow *r)
{
    r->ts = snap_get_i64(rd);
    size_t rl = 0, al;
    const char *row = waiting ? snap_get_bytes(rd, &rl) : NULL;
    const char *args = snap_get_bytes(rd, &al);
    if (rd->bad)
        return "truncated row";
    if (waiting && !opstate_row_check(row, rl, o->in_types, o->n_in))
        return "row does not match the input's column types";
    if (!opstate_row_check(args, al, o->arg_types, o->n_args))
        return "arguments do not match the aggregates' types";
    r->row = waiting ? mem_strndup(row, rl) : NULL;
    r->row_len = (uint32_t)rl;
    r->args = mem_strndup(args, al);
    r->args_len = (uint32_t)al;
    return NULL;
}

static int restore_key(struct op_over *o, int kg, struct snap_rd *rd, struct weir_error *err)
{
    size_t klen;
    const char *key = snap_get_bytes(rd, &klen);
    if (rd->bad || kg == SNAP_OPERATOR)
        return opstate_corrupt(&o->op, "bad record header", err);
    if (!opstate_row_check(key, klen, o->part_types, o->n_part))
        return opstate_corrupt(&o->op, "key does not match the PARTITION BY types", err);
    int rc = opstate_check_key_group(&o->op, key, klen, kg, o->max_par, err);
    if (rc)
        return rc;
    uint64_t h = state_hash(key, klen);
    if (state_table_get(o->state, key, klen, h) != NULL)
        return opstate_corrupt(&o->op, "a key is restored twice", err);
    struct okey s = {0};
    s.timer = WM_NONE;
    const char *what = NULL;
    /* each row takes at least its time and a length */
    uint32_t n = snap_get_u32(rd);
    if (rd->bad || n > (rd->len - rd->pos) / 12)
        what = "bad row count";
    for (uint32_t i = 0; i < n && what == NULL; i++) {
        struct orow r;
        what = get_row(o, rd, true, &r);
        if (what == NULL && i > 0 && r.ts < s.wait[i - 1].ts) {
            orow_free(&r);
            what = "rows out of time order";
        }
        if (what == NULL) {
            MEM_GROW(s.wait, s.cap_wait, s.n_wait + 1);
            s.wait[s.n_wait++] = r;
        }
    }
    uint32_t m = what ? 0 : snap_get_u32(rd);
    if (what == NULL && (rd->bad || m > (rd->len - rd->pos) / 12 ||
                         (o->preceding < 0 && m > 0)))
        what = "bad frame row count";
    for (uint32_t i = 0; i < m && what == NULL; i++) {
        struct orow r;
        what = get_row(o, rd, false, &r);
        if (what == NULL) {
            MEM_GROW(s.frame, s.cap_frame, s.n_frame + 1);
            s.frame[s.n_frame++] = r;
        }
    }
    uint8_t has_accs = what ? 0 : snap_get_u8(rd);
    if (what == NULL && (rd->bad || has_accs > 1 || (!has_accs && (n == 0 || m > 0))))
        what = "bad accumulator flag";
    if (what == NULL && has_accs) {
        s.accs = mem_calloc(1, o->value_size ? o->value_size : 1);
        if (!opagg_get_accs(rd, o->aggs, o->n_aggs, o->acc_off, s.accs)) {
            mem_free(s.accs);
            s.accs = NULL;
            what = "bad accumulators";
        }
    }
    if (what == NULL && rd->pos != rd->len)
        what = "bytes after the accumulators";
    if (what) {
        okey_release(o, &s);
        return opstate_corrupt(&o->op, what, err);
    }
    struct okey *slot = state_table_upsert(o->state, key, klen, h, NULL);
    *slot = s;
    slot->timer = s.n_wait > 0 ? s.wait[0].ts : cleanup_time(o, &s);
    if (slot->timer != WM_NONE)
        timers_push(&o->timers, slot->timer, h, key, klen);
    update_metrics(o);
    return WEIR_OK;
}

static int over_restore(struct op *op, int kg, struct snap_rd *rd, struct weir_error *err)
{
    struct op_over *o = (struct op_over *)op;
    uint8_t type;
    int rc = opstate_get_header(op, rd, o->fingerprint, &type, err);
    if (rc)
        return rc;
    if ((type == OVER_REC_MARK) != (kg == SNAP_OPERATOR))
        return opstate_corrupt(op, "a record of the wrong kind", err);
    switch (type) {
    case OVER_REC_MARK: return opstate_restore_mark(op, rd, &o->wm, &o->mark_own, err);
    case OVER_REC_KEY: return restore_key(o, kg, rd, err);
    default: return opstate_corrupt(op, "unknown record type", err);
    }
}

static const struct op_ops over_ops = {
    .kind = "OverAggregate",
    .push = over_push,
    .watermark = over_watermark,
    .finish = over_finish,
    .free = over_free,
    .snapshot = over_snapshot,
    .restore = over_restore,
};

/* What decides the meaning of the records: frame, keys, input, aggregates. */
static uint32_t over_fingerprint(const struct op_over *o)
{
    struct strbuf fp = {0};
    sb_adds(&fp, "OverAggregate");
    snap_put_u8(&fp, (uint8_t)(o->rows | o->proctime << 1));
    snap_put_i64(&fp, o->preceding);
    snap_put_u32(&fp, (uint32_t)o->n_part);
    for (int k = 0; k < o->n_part; k++)
        opstate_fingerprint_type(&fp, o->part_types[k]);
    opstate_fingerprint_type(&fp, o->time->type);
    snap_put_u32(&fp, (uint32_t)o->n_in);
    for (int c = 0; c < o->n_in; c++)
        opstate_fingerprint_type(&fp, o->in_types[c]);
    opagg_fingerprint_aggs(&fp, o->aggs, o->n_aggs);
    uint32_t h = opstate_fingerprint_done(&fp);
    sb_free(&fp);
    return h;
}

struct op *op_over_new(int id, const struct lnode *n, char *label)
{
    struct op_over *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &over_ops, id, label);
    o->n_part = n->n_part;
    o->part = n->part;
    o->time = n->order[0];
    o->proctime = o->time->type->time_attr == TA_PROCTIME;
    o->ltz = o->time->type->id == T_TIMESTAMP_LTZ;
    o->rows = n->over_rows;
    o->preceding = n->over_preceding;
    o->n_aggs = n->n_aggs;
    o->aggs = n->aggs;
    o->n_in = n->n_out - n->n_aggs;
    o->in_types = n->out_types;   /* [input columns, aggregates] */
    o->acc_off = mem_calloc((size_t)n->n_aggs + 1, sizeof(size_t));
    o->arg_first = mem_calloc((size_t)n->n_aggs + 1, sizeof(int));
    size_t off = 0;
    for (int a = 0; a < n->n_aggs; a++) {
        o->acc_off[a] = off;
        off += (n->aggs[a].acc_size + 15) & ~(size_t)15;   /* 16-byte aligned (__int128) */
        o->arg_first[a] = o->n_args;
        o->n_args += n->aggs[a].n_args;
    }
    o->value_size = off;
    o->args = mem_calloc((size_t)o->n_args + 1, sizeof(*o->args));
    o->arg_types = mem_calloc((size_t)o->n_args + 1, sizeof(*o->arg_types));
    for (int a = 0, k = 0; a < n->n_aggs; a++)
        for (int q = 0; q < n->aggs[a].n_args; q++, k++) {
            o->args[k] = n->aggs[a].args[q];
            o->arg_types[k] = o->args[k]->type;
        }
    o->part_types = mem_calloc((size_t)n->n_part + 1, sizeof(*o->part_types));
    for (int k = 0; k < n->n_part; k++)
        o->part_types[k] = n->part[k]->type;
    o->max_par = 128;
    o->state = state_table_new(sizeof(struct okey), o->max_par);
    o->wm = WM_NONE;
    o->fingerprint = over_fingerprint(o);
    o->out = batch_new(n->n_out, n->out_types);
    o->argb = o->n_args ? batch_new(o->n_args, o->arg_types) : NULL;
    sb_reserve(&o->key, 64);
    sb_reserve(&o->row, 256);
    sb_reserve(&o->argsb, 64);
    o->part_vecs = mem_calloc((size_t)n->n_part + 1, sizeof(*o->part_vecs));
    o->arg_vecs = mem_calloc((size_t)o->n_args + 1, sizeof(*o->arg_vecs));
    o->dec = mem_calloc((size_t)o->n_in + 1, sizeof(*o->dec));
    for (int c = 0; c < o->n_in; c++)
        o->dec[c] = &o->out->cols[c];
    o->arg_dec = mem_calloc((size_t)o->n_args + 1, sizeof(*o->arg_dec));
    for (int k = 0; k < o->n_args; k++)
        o->arg_dec[k] = &o->argb->cols[k];
    return &o->op;
}

void op_over_set_max_parallelism(struct op *op, int max_parallelism)
{
    struct op_over *o = (struct op_over *)op;
    /* still empty: the job has not run nor been restored */
    state_table_free(o->state);
    o->max_par = max_parallelism > 0 ? max_parallelism : 128;
    o->state = state_table_new(sizeof(struct okey), o->max_par);
}
