/*
 * op_group.c — GROUP BY without a window: an updating aggregation (Flink's
 * GroupAggregate), also SELECT DISTINCT (keys, no aggregates).
 *
 * The result is a changelog keyed by the group: for every input row the
 * operator emits what changed, exactly as Flink does without mini-batch —
 *   a new group:                 +I(new)
 *   a group whose result changes: -U(old), +U(new)
 *   a result that does not change: nothing
 *   a group retracted to empty:   -D(old), and its state is freed.
 * Input rows may themselves be retractions (-U/-D from an aggregation below):
 * every aggregate supports them (exec/agg.h).  Rows are applied one by one, in
 * order, because the changelog order is part of the result; keys, arguments
 * and FILTERs are still evaluated a batch at a time.
 *
 * Mini-batch (table.exec.mini-batch.enabled, Flink's MiniBatchGroupAggFunction):
 * the rows of a mini-batch are folded per group and each group it touched
 * emits at most one change — +I (new), -U/+U (changed), -D (emptied), nothing
 * (unchanged, or created and emptied within it).  The materialised result is
 * the row-by-row one; only intermediate updates go.  A mini-batch here is one
 * input batch, cut every table.exec.mini-batch.size rows: flushed before
 * push returns, it holds nothing across calls, so watermarks, timers,
 * barriers and snapshots see the operator exactly as without mini-batch
 * (no flush hooks, no buffered rows in checkpoints), and it adds no latency,
 * so allow-latency (required > 0, as Flink) is always met.  Batches are up
 * to 2048 rows, which already folds a hot group's updates 2048 to 1 (q15:
 * 368,000 changes for 200,000 events become 195, q4's 84,051 become 1,005).
 * A mini-batch spanning batches would fold more only where groups are
 * touched about once per batch (q16's 10,000 cold channels: its flush is 14%
 * of its instructions, and 50,000-row mini-batches would save perhaps 60% of
 * that), at the price of buffered state that every watermark, barrier and
 * timer must flush first.  State is not buffered either: rows change counts
 * and accumulators at once, in runs of one row kind that feed each
 * aggregate in one vectorised update call (the row-by-row path makes a call
 * per row and aggregate); only output waits.  A group's first row in the
 * mini-batch saves its result before (mb_prev) and marks the slot; the flush
 * compares it with the result after and takes the keys from that first row
 * (the input batch is still there).  A group emptied within the mini-batch
 * gets fresh accumulators, as the row-by-row path's delete and re-insert
 * would, and keeps its slot (so its saved result stays attached) until the
 * flush deletes it.
 *
 * State: one state-table entry per group: the number of rows in the group
 * (adds minus retractions, NULLs included), its last-write time and TTL
 * queue deadline (opstate.h), the mini-batch mark (not checkpointed), then
 * the accumulators; DISTINCT aggregates with the same arguments share one
 * value set in the slot (agg_share_copy: q16's FILTER variants).
 * Nothing else is needed to emit -U/+U correctly: the previous result is
 * recomputed from the accumulators before each change.  With
 * table.exec.state.ttl a group not written for the TTL is dropped without
 * output, and its next row starts it over with +I, as Flink does.
 *
 * Checkpoints: one record per group, tagged with the key group the exchange
 * routes the group's rows to — [header, key bytes, i64 row count, i64
 * last-write time, accumulators].  There is no operator-wide state.  This file also holds the
 * record helpers the window operators share (op_group.h).
 */
#include "exec/op_group.h"
#include "connectors/options.h"
#include "exec/func.h"
#include "exec/opstate.h"
#include "state/table.h"

#include <stdlib.h>
#include <string.h>

struct op_group {
    struct op op;
    struct op_ops ops;              /* group_ops, as configured (choose_ops) */
    int n_keys;
    struct expr **keys;
    int n_aggs;
    const struct agg_call *aggs;    /* the plan's, or own_aggs */
    struct agg_call *own_aggs;      /* copies whose DISTINCT sets are shared
                                       (agg_share_copy), or NULL */
    size_t *acc_off;                /* offset of each accumulator in a slot */
    size_t value_size;
    struct state_table *state;
    struct batch *out;              /* [keys, aggregates] */
    struct strbuf key;
    const struct vec **key_vecs;
    struct vec **arg_vecs;          /* per aggregate: its argument vectors */
    const struct vec **filters;     /* per aggregate: FILTER result or NULL */
    int *filter_from;               /* per aggregate: an earlier one with the same
                                       FILTER (its result is reused), or -1 */
    int max_par;                    /* key groups of the job's exchanges */
    uint32_t fingerprint;           /* of keys and aggregates, in every record */
    bool heap_aggs;                 /* an aggregate holds out-of-line memory
                                       (DISTINCT sets, MIN/MAX under retraction,
                                       LISTAGG...) */
    int64_t heap;                   /* the sum of the groups' HEAP */
    struct op_ttl ttl;
    /* mini-batch (table.exec.mini-batch.*); mb_size 0: off */
    int64_t mb_size;                /* rows per mini-batch at most */
    int64_t mb_rows;                /* rows folded into the pending one */
    int64_t mb_epoch;               /* MARK of the slots it touched */
    struct mb_ent *mb_ents;         /* its groups, in first-touch order */
    int mb_n;
    struct strbuf mb_keys;          /* their keys (mb_ent.key_off) */
    struct batch *mb_prev;          /* row e: entry e's result before */
    uint8_t *mb_lanes;              /* per aggregate: its result's lane */
    /* a run of rows of one sign, applied an aggregate at a time */
    int run_n;
    uint16_t *run_rows;
    unsigned char **run_slots;
    void **run_accs;
    uint16_t *run_arg_rows;
};

/* A group touched by the pending mini-batch. */
struct mb_ent {
    unsigned char *slot;            /* stable: emptied groups stay until the flush */
    uint64_t hash;
    uint32_t key_off, key_len;
    uint16_t row;                   /* its first row in the input batch, whose
                                       key columns outlive the mini-batch */
    bool existed;                   /* mb_prev holds its result before */
};

enum { GROUP_REC_KEY = 1 };

#define COUNT(slot) (*(int64_t *)(slot))
#define WRITTEN(slot) (*(int64_t *)((unsigned char *)(slot) + 8))   /* last write */
#define QUEUED(slot) (*(int64_t *)((unsigned char *)(slot) + 16))   /* TTL deadline
                                                                       queued; 0: none */
#define MARK(slot) (*(int64_t *)((unsigned char *)(slot) + 24))    /* mini-batch epoch
                                                                       that touched it */
#define HEAP(slot) (*(int64_t *)((unsigned char *)(slot) + 32))    /* its accumulators'
                                                                       out-of-line bytes,
                                                                       as last counted */
#define ACC_BASE 48

/* Writes the group's current result into row r of the output. */
static void result_row(struct op_group *o, unsigned char *slot, struct batch *b, int row,
                       int r, enum row_kind kind)
{
    struct batch *out = o->out;
    for (int k = 0; k < o->n_keys; k++)
        vec_copy_row(&out->cols[k], r, o->key_vecs[k], row);
    for (int a = 0; a < o->n_aggs; a++)
        o->aggs[a].ops->result(slot + o->acc_off[a], &out->cols[o->n_keys + a], r,
                               o->aggs[a].state);
    batch_ensure_kinds(out);
    out->kinds[r] = (uint8_t)kind;
    (void)b;
}

/* Are rows r1 and r2 of the output equal in every aggregate column? */
static bool same_result(const struct op_group *o, int r1, int r2)
{
    for (int a = 0; a < o->n_aggs; a++) {
        const struct vec *v = &o->out->cols[o->n_keys + a];
        bool n1 = vec_is_null(v, r1), n2 = vec_is_null(v, r2);
        if (n1 || n2) {
            if (n1 != n2)
                return false;
            continue;
        }
        switch (type_lane(v->type)) {
        case LANE_BOOL: if (v->b[r1] != v->b[r2]) return false; break;
        case LANE_I64: if (v->i64[r1] != v->i64[r2]) return false; break;
        case LANE_F64: if (memcmp(&v->f64[r1], &v->f64[r2], sizeof(double)) != 0) return false; break;
        case LANE_I128: if (v->i128[r1] != v->i128[r2]) return false; break;
        case LANE_STR:
            if (v->s[r1].len != v->s[r2].len ||
                memcmp(v->s[r1].ptr, v->s[r2].ptr, v->s[r1].len) != 0)
                return false;
            break;
        default: return false;   /* nested results: report a change */
        }
    }
    return true;
}

static void update_metrics(struct op_group *o)
{
    atomic_store_explicit(&o->op.state_keys, state_table_count(o->state), memory_order_relaxed);
    atomic_store_explicit(&o->op.state_bytes,
                          state_table_bytes(o->state) + timers_bytes(&o->ttl.queue) + o->heap,
                          memory_order_relaxed);
}

/* Recounts the out-of-line memory of a group whose accumulators changed. */
static void heap_note(struct op_group *o, unsigned char *slot)
{
    if (!o->heap_aggs)
        return;
    int64_t n = opagg_heap_bytes(o->aggs, o->n_aggs, o->acc_off, slot);
    o->heap += n - HEAP(slot);
    HEAP(slot) = n;
}

static int flush_out(struct op_group *o, struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == 0)
        return WEIR_OK;
    int rc = op_emit(&o->op, o->out, ctx, err);
    batch_reset(o->out);
    return rc;
}

static void slot_destroy(struct op_group *o, unsigned char *slot)
{
    o->heap -= HEAP(slot);
    HEAP(slot) = 0;
    for (int a = 0; a < o->n_aggs; a++)
        if (o->aggs[a].ops->destroy)
            o->aggs[a].ops->destroy(slot + o->acc_off[a], o->aggs[a].state);
}

/* agg_eval_inputs, but a FILTER that an earlier aggregate has too is
 * evaluated once (q15's three price bands over eleven aggregates; Flink's
 * projection below the aggregation computes each distinct one once too). */
static int eval_inputs(struct op_group *o, struct eval_ctx *ctx, struct batch *b,
                       struct weir_error *err)
{
    int rc;
    for (int k = 0; k < o->n_keys; k++)
        if ((rc = expr_eval(o->keys[k], ctx, b, &o->key_vecs[k], err)))
            return rc;
    for (int a = 0; a < o->n_aggs; a++) {
        const struct agg_call *ac = &o->aggs[a];
        for (int x = 0; x < ac->n_args; x++) {
            const struct vec *v;
            if ((rc = expr_eval(ac->args[x], ctx, b, &v, err)))
                return rc;
            o->arg_vecs[a][x] = *v;
        }
        o->filters[a] = NULL;
        if (o->filter_from[a] >= 0)
            o->filters[a] = o->filters[o->filter_from[a]];
        else if (ac->filter && (rc = expr_eval(ac->filter, ctx, b, &o->filters[a], err)))
            return rc;
    }
    return WEIR_OK;
}

/* The slot of the group in o->key (hash h) that a row is added to: created,
 * or reset when its TTL ran out (due but not yet dropped: it is absent,
 * NeverReturnExpired; the slot is reused and keeps its live queue entry),
 * with fresh accumulators then, and queued for the TTL.  A slot already
 * touched in mini-batch `epoch` (-1: none) is live whatever its age. */
static unsigned char *slot_for_add(struct op_group *o, uint64_t h, int64_t now, int64_t epoch,
                                   bool *inserted)
{
    unsigned char *slot = state_table_upsert(o->state, o->key.buf, o->key.len, h, inserted);
    if (!*inserted && (epoch < 0 || MARK(slot) != epoch) &&
        op_ttl_expired(&o->ttl, WRITTEN(slot))) {
        slot_destroy(o, slot);
        memset(slot + ACC_BASE, 0, o->value_size - ACC_BASE);
        COUNT(slot) = 0;
        *inserted = true;
        atomic_fetch_add_explicit(&o->op.expired, 1, memory_order_relaxed);
    }
    if (*inserted)
        for (int a = 0; a < o->n_aggs; a++)
            o->aggs[a].ops->init(slot + o->acc_off[a], o->aggs[a].state);
    if (o->ttl.ttl_us > 0 && QUEUED(slot) == 0) {
        QUEUED(slot) = op_ttl_deadline(&o->ttl, now);
        timers_push(&o->ttl.queue, QUEUED(slot), h, o->key.buf, o->key.len);
    }
    return slot;
}

static int group_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                      struct weir_error *err)
{
    (void)port;
    struct op_group *o = (struct op_group *)op;
    int rc;
    if ((rc = eval_inputs(o, ctx, b, err)))
        return rc;
    int n = batch_live(b);
    int64_t now = op_ttl_clock(&o->ttl);
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        enum row_kind kind = batch_kind(b, i);
        int sign = (kind == RK_INSERT || kind == RK_UPDATE_AFTER) ? 1 : -1;
        state_key_encode(&o->key, o->key_vecs, o->n_keys, i);
        uint64_t h = state_hash(o->key.buf, o->key.len);
        unsigned char *slot;
        bool inserted = false;
        if (sign > 0) {
            slot = slot_for_add(o, h, now, -1, &inserted);
        } else {
            /* retracting a group that is not there (its state expired or the
             * input retracts what it never added): nothing to do, as Flink */
            slot = state_table_get(o->state, o->key.buf, o->key.len, h);
            if (slot == NULL)
                continue;
            if (op_ttl_expired(&o->ttl, WRITTEN(slot))) {
                slot_destroy(o, slot);
                state_table_delete(o->state, o->key.buf, o->key.len, h);
                atomic_fetch_add_explicit(&op->expired, 1, memory_order_relaxed);
                continue;
            }
        }
        WRITTEN(slot) = now;
        if (o->out->n + 2 > BATCH_CAP && (rc = flush_out(o, ctx, err)))
            return rc;
        int r = o->out->n;
        if (!inserted)
            result_row(o, slot, b, i, r, RK_UPDATE_BEFORE);
        /* the change itself */
        uint16_t row = (uint16_t)i;
        for (int a = 0; a < o->n_aggs; a++) {
            const struct vec *f = o->filters[a];
            if (f && (vec_is_null(f, i) || !f->b[i]))
                continue;
            void *acc = slot + o->acc_off[a];
            o->aggs[a].ops->update(&acc, o->arg_vecs[a], &row, 1, sign, o->aggs[a].state);
        }
        heap_note(o, slot);
        COUNT(slot) += sign;
        if (COUNT(slot) <= 0) {
            /* the group is gone: its last result is deleted */
            o->out->kinds[r] = RK_DELETE;
            o->out->n = r + 1;
            slot_destroy(o, slot);
            state_table_delete(o->state, o->key.buf, o->key.len, h);
        } else if (inserted) {
            result_row(o, slot, b, i, r, RK_INSERT);
            o->out->n = r + 1;
        } else {
            result_row(o, slot, b, i, r + 1, RK_UPDATE_AFTER);
            if (same_result(o, r, r + 1))
                o->out->n = r;   /* unchanged: no output */
            else
                o->out->n = r + 2;
        }
    }
    update_metrics(o);
    return flush_out(o, ctx, err);
}

/* ---- mini-batch ----------------------------------------------------------------------- */

static void acc_reset(struct op_group *o, unsigned char *slot)
{
    slot_destroy(o, slot);
    for (int a = 0; a < o->n_aggs; a++)
        o->aggs[a].ops->init(slot + o->acc_off[a], o->aggs[a].state);
}

/* Applies the pending run (rows of one sign, their counts already moved) to
 * the accumulators: one update call per aggregate over every row of the run
 * that passes its FILTER.  Within an aggregate the rows keep their input
 * order, so each accumulator sees exactly the sequence the row-by-row path
 * gives it. */
static void run_apply(struct op_group *o, int sign)
{
    for (int a = 0; a < o->n_aggs; a++) {
        const struct vec *f = o->filters[a];
        int m = 0;
        for (int r = 0; r < o->run_n; r++) {
            int i = o->run_rows[r];
            if (f && (vec_is_null(f, i) || !f->b[i]))
                continue;
            o->run_accs[m] = o->run_slots[r] + o->acc_off[a];
            o->run_arg_rows[m++] = (uint16_t)i;
        }
        if (m)
            o->aggs[a].ops->update(o->run_accs, o->arg_vecs[a], o->run_arg_rows, m, sign,
                                   o->aggs[a].state);
    }
    if (sign < 0)
        for (int r = 0; r < o->run_n; r++)
            if (COUNT(o->run_slots[r]) == 0)
                /* emptied: what comes next starts from nothing, as after the
                 * delete of the row-by-row path (the slot is dropped at the
                 * flush unless rows come back) */
                acc_reset(o, o->run_slots[r]);
    o->run_n = 0;
}

/* vec_copy_row for a present scalar (the -U rows copy every aggregate of
 * every changed group: a call per cell was half of q16's flush). */
static inline void copy_cell(struct vec *dst, int di, const struct vec *src, int si, int lane)
{
    if (vec_is_null(src, si)) {
        vec_set_null(dst, di);
        return;
    }
    vec_set_valid(dst, di);
    switch (lane) {
    case LANE_BOOL: dst->b[di] = src->b[si]; break;
    case LANE_I64: dst->i64[di] = src->i64[si]; break;
    case LANE_F64: dst->f64[di] = src->f64[si]; break;
    case LANE_I128: dst->i128[di] = src->i128[si]; break;
    default: vec_copy_row(dst, di, src, si); break;
    }
}

/* Entry p's keys with its old result (row p of mb_prev) or, given its slot,
 * its current one, as the next output row. */
static void mb_out_row(struct op_group *o, int p, const unsigned char *slot,
                       enum row_kind kind)
{
    struct batch *out = o->out;
    int r = out->n;
    int nk = o->n_keys;
    for (int k = 0; k < nk; k++)
        vec_copy_row(&out->cols[k], r, o->key_vecs[k], o->mb_ents[p].row);
    for (int a = 0; a < o->n_aggs; a++) {
        if (slot)
            o->aggs[a].ops->result(slot + o->acc_off[a], &out->cols[nk + a], r,
                                   o->aggs[a].state);
        else
            copy_cell(&out->cols[nk + a], r, &o->mb_prev->cols[nk + a], p, o->mb_lanes[a]);
    }
    batch_ensure_kinds(out);
    out->kinds[r] = (uint8_t)kind;
    out->n = r + 1;
}

/* Ends the pending mini-batch: one change per group it touched, then the
 * groups it emptied are deleted. */
static int mb_flush(struct op_group *o, struct eval_ctx *ctx, struct weir_error *err)
{
    int rc = WEIR_OK;
    for (int e = 0; e < o->mb_n && rc == WEIR_OK; e++) {
        const struct mb_ent *me = &o->mb_ents[e];
        if (o->out->n + 2 > BATCH_CAP && (rc = flush_out(o, ctx, err)))
            break;
        heap_note(o, me->slot);
        if (COUNT(me->slot) <= 0) {
            if (me->existed)
                mb_out_row(o, e, NULL, RK_DELETE);
            slot_destroy(o, me->slot);
            state_table_delete(o->state, o->mb_keys.buf + me->key_off, me->key_len, me->hash);
        } else if (!me->existed) {
            mb_out_row(o, e, me->slot, RK_INSERT);
        } else {
            int r = o->out->n;
            mb_out_row(o, e, NULL, RK_UPDATE_BEFORE);
            mb_out_row(o, e, me->slot, RK_UPDATE_AFTER);
            if (same_result(o, r, r + 1))
                o->out->n = r;   /* unchanged: no output */
        }
    }
    o->mb_n = 0;
    o->mb_rows = 0;
    o->mb_epoch++;
    sb_clear(&o->mb_keys);
    batch_reset(o->mb_prev);
    if (rc)
        return rc;
    return flush_out(o, ctx, err);
}

/* The first row of a mini-batch for this group: remembers the group and
 * its result as it was before. */
static void mb_touch(struct op_group *o, unsigned char *slot, uint64_t h, bool inserted,
                     int i)
{
    int e = o->mb_n++;
    struct mb_ent *me = &o->mb_ents[e];
    me->slot = slot;
    me->hash = h;
    me->key_off = (uint32_t)o->mb_keys.len;
    me->key_len = (uint32_t)o->key.len;
    me->existed = !inserted;
    sb_add(&o->mb_keys, o->key.buf, o->key.len);
    MARK(slot) = o->mb_epoch;
    me->row = (uint16_t)i;
    struct batch *prev = o->mb_prev;
    if (!inserted)
        for (int a = 0; a < o->n_aggs; a++)
            o->aggs[a].ops->result(slot + o->acc_off[a], &prev->cols[o->n_keys + a], e,
                                   o->aggs[a].state);
    prev->n = e + 1;
}

/*
 * The push of the mini-batch mode.  Rows change the counts and the
 * accumulators at once (in runs of one sign); only the output waits: each
 * group's first row of the mini-batch saves its result before, and the flush
 * compares it with the result after.  So state is always current (TTL,
 * checkpoints and the row-by-row rules for absent and expired groups work
 * unchanged), and a group emptied inside the mini-batch keeps its slot until
 * the flush so that its first-touch record stays valid.
 */
static int group_push_mb(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                         struct weir_error *err)
{
    (void)port;
    struct op_group *o = (struct op_group *)op;
    int rc;
    if ((rc = eval_inputs(o, ctx, b, err)))
        return rc;
    int n = batch_live(b);
    int64_t now = op_ttl_clock(&o->ttl);
    int run_sign = 0;
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        enum row_kind kind = batch_kind(b, i);
        int sign = (kind == RK_INSERT || kind == RK_UPDATE_AFTER) ? 1 : -1;
        if (o->mb_rows >= o->mb_size) {
            run_apply(o, run_sign);
            if ((rc = mb_flush(o, ctx, err)))
                return rc;
        }
        if (o->run_n > 0 && sign != run_sign)
            run_apply(o, run_sign);
        run_sign = sign;
        state_key_encode(&o->key, o->key_vecs, o->n_keys, i);
        uint64_t h = state_hash(o->key.buf, o->key.len);
        unsigned char *slot;
        bool inserted = false;
        if (sign > 0) {
            slot = slot_for_add(o, h, now, o->mb_epoch, &inserted);
        } else {
            slot = state_table_get(o->state, o->key.buf, o->key.len, h);
            if (slot == NULL)
                continue;
            if (MARK(slot) == o->mb_epoch) {
                if (COUNT(slot) <= 0)
                    continue;   /* emptied in this mini-batch: absent */
            } else if (op_ttl_expired(&o->ttl, WRITTEN(slot))) {
                slot_destroy(o, slot);
                state_table_delete(o->state, o->key.buf, o->key.len, h);
                atomic_fetch_add_explicit(&op->expired, 1, memory_order_relaxed);
                continue;
            }
        }
        if (MARK(slot) != o->mb_epoch)
            mb_touch(o, slot, h, inserted, i);
        WRITTEN(slot) = now;
        COUNT(slot) += sign;
        o->run_rows[o->run_n] = (uint16_t)i;
        o->run_slots[o->run_n++] = slot;
        o->mb_rows++;
    }
    run_apply(o, run_sign);
    rc = mb_flush(o, ctx, err);
    update_metrics(o);
    return rc;
}

/* Drops the groups whose TTL ran out (queue entries that are due). */
static int group_timer(struct op *op, int64_t now_us, struct eval_ctx *ctx,
                       struct weir_error *err)
{
    (void)ctx;
    (void)err;
    struct op_group *o = (struct op_group *)op;
    op_ttl_tick(&o->ttl, now_us);
    struct timer t;
    int64_t expired = 0;
    while (timers_pop_due(&o->ttl.queue, o->ttl.now, &t)) {
        unsigned char *slot = state_table_get(o->state, t.key, t.key_len, t.hash);
        if (slot == NULL || QUEUED(slot) != t.time) {
            timer_done(&t);   /* stale: the group was deleted (and maybe made again) */
            continue;
        }
        if (op_ttl_expired(&o->ttl, WRITTEN(slot))) {
            slot_destroy(o, slot);
            state_table_delete(o->state, t.key, t.key_len, t.hash);
            expired++;
        } else {
            /* written since it was queued: wait for its new deadline */
            QUEUED(slot) = op_ttl_deadline(&o->ttl, WRITTEN(slot));
            timers_push(&o->ttl.queue, QUEUED(slot), t.hash, t.key, t.key_len);
        }
        timer_done(&t);
    }
    if (expired)
        atomic_fetch_add_explicit(&op->expired, expired, memory_order_relaxed);
    update_metrics(o);
    return WEIR_OK;
}

static int group_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    return op_finish_next(op, ctx, err);
}

static void group_free(struct op *op)
{
    struct op_group *o = (struct op_group *)op;
    struct state_iter it;
    state_iter_init(&it, o->state);
    while (state_iter_next(&it))
        slot_destroy(o, it.value);
    state_table_free(o->state);
    timers_free(&o->ttl.queue);
    for (int k = 0; k < o->n_keys; k++)
        expr_free_scratch(o->keys[k]);
    for (int a = 0; a < o->n_aggs; a++) {
        for (int x = 0; x < o->aggs[a].n_args; x++)
            expr_free_scratch(o->aggs[a].args[x]);
        expr_free_scratch(o->aggs[a].filter);
        mem_free(o->arg_vecs[a]);
    }
    mem_free(o->arg_vecs);
    mem_free(o->filters);
    mem_free(o->filter_from);
    mem_free(o->key_vecs);
    mem_free(o->acc_off);
    sb_free(&o->key);
    batch_free(o->out);
    mem_free(o->mb_ents);
    mem_free(o->mb_lanes);
    sb_free(&o->mb_keys);
    if (o->mb_prev)
        batch_free(o->mb_prev);
    mem_free(o->run_rows);
    mem_free(o->run_slots);
    mem_free(o->run_accs);
    mem_free(o->run_arg_rows);
    agg_share_free(o->own_aggs, o->n_aggs);
    mem_free(o);
}

/* ---- checkpoints ------------------------------------------------------------------------ */

/* One group as a record (state_walk_fn: the table writes it lazily). */
static void group_write(struct snap_writer *w, const void *ctx, const void *key, size_t len,
                        int kg, const void *value)
{
    const struct op_group *o = *(struct op_group *const *)ctx;
    (void)kg;   /* the table is made with 128 key groups, not max_par */
    snap_begin(w, opagg_key_group(key, len, o->max_par));
    opstate_put_header(&w->buf, GROUP_REC_KEY, o->fingerprint);
    snap_put_bytes(&w->buf, key, len);
    snap_put_i64(&w->buf, COUNT(value));
    snap_put_i64(&w->buf, WRITTEN(value));
    opagg_put_accs(&w->buf, o->aggs, o->n_aggs, o->acc_off, value);
    snap_end(w);
}

static int group_snapshot(struct op *op, struct snap_writer *w, struct weir_error *err)
{
    struct op_group *o = (struct op_group *)op;
    int rc = opagg_check_snapshot(op, o->aggs, o->n_aggs, err);
    if (rc)
        return rc;
    state_table_walk(o->state, w, group_write, &o, sizeof(o));
    return WEIR_OK;
}

static int group_restore(struct op *op, int kg, struct snap_rd *rd, struct weir_error *err)
{
    struct op_group *o = (struct op_group *)op;
    uint8_t type;
    int rc = opstate_get_header(op, rd, o->fingerprint, &type, err);
    if (rc)
        return rc;
    if (type != GROUP_REC_KEY || kg == SNAP_OPERATOR)
        return opstate_corrupt(op, "a record of the wrong kind", err);
    size_t len;
    const char *key = snap_get_bytes(rd, &len);
    int64_t count = snap_get_i64(rd);
    int64_t written = snap_get_i64(rd);
    if (rd->bad || count <= 0)
        return opstate_corrupt(op, "bad group header", err);
    if (opagg_key_group(key, len, o->max_par) != kg)
        return err_set(err, WEIR_ERR_CONFIG,
                       "checkpointed state of %s: a group is tagged with key group %d but "
                       "belongs to another one under pipeline.max-parallelism %d (it cannot "
                       "change between a checkpoint and its restore)",
                       op->label, kg, o->max_par);
    uint64_t h = state_hash(key, len);
    bool inserted;
    unsigned char *slot = state_table_upsert(o->state, key, len, h, &inserted);
    if (!inserted)
        return opstate_corrupt(op, "a group is restored twice", err);
    if (!opagg_get_accs(rd, o->aggs, o->n_aggs, o->acc_off, slot) || rd->pos != rd->len) {
        if (!rd->bad)
            slot_destroy(o, slot);   /* the accumulators decoded, trailing bytes did not */
        state_table_delete(o->state, key, len, h);
        return opstate_corrupt(op, "bad accumulators", err);
    }
    COUNT(slot) = count;
    WRITTEN(slot) = written;
    heap_note(o, slot);
    if (o->ttl.ttl_us > 0) {
        /* re-armed from the restored time: one already due goes at the
         * first tick (and reads as absent before) */
        QUEUED(slot) = op_ttl_deadline(&o->ttl, written);
        timers_push(&o->ttl.queue, QUEUED(slot), h, key, len);
    }
    update_metrics(o);
    return WEIR_OK;
}

static const struct op_ops group_ops = {
    .kind = "GroupAggregate",
    .push = group_push,
    .finish = group_finish,
    .free = group_free,
    .snapshot = group_snapshot,
    .restore = group_restore,
};

/* Mini-batch pushes with group_push_mb; only a TTL gives the op a timer
 * (operators without one do not make their task tick). */
static void choose_ops(struct op_group *o)
{
    o->ops = group_ops;
    if (o->mb_size > 0)
        o->ops.push = group_push_mb;
    if (o->ttl.ttl_us > 0)
        o->ops.timer = group_timer;
    o->op.ops = &o->ops;
}

void op_group_set_state_ttl(struct op *op, int64_t ttl_us, bool manual_clock)
{
    struct op_group *o = (struct op_group *)op;
    op_ttl_set(&o->ttl, ttl_us, manual_clock);
    choose_ops(o);
}

int op_group_mini_batch_parse(const char *enabled, const char *latency, const char *size,
                              int64_t *rows, struct weir_error *err)
{
    bool on = false;
    *rows = 0;
    if (enabled == NULL || opt_parse_bool(enabled, &on) != WEIR_OK || !on)
        return WEIR_OK;   /* config_check refused anything but true/false */
    /* Flink refuses both unset when mini-batch is on (its defaults are 0 s
     * and -1) */
    int64_t ms = 0;
    if (latency == NULL || opt_parse_duration_ms(latency, &ms) != WEIR_OK || ms <= 0)
        return err_set(err, WEIR_ERR_CONFIG,
                       "'table.exec.mini-batch.enabled' is true, so "
                       "'table.exec.mini-batch.allow-latency' must be a duration greater than "
                       "0 (such as '2 s'), got %s%s%s", latency ? "'" : "",
                       latency ? latency : "none", latency ? "'" : "");
    char *end = NULL;
    long long n = size ? strtoll(size, &end, 10) : 0;
    if (size == NULL || *size == '\0' || *end != '\0' || n <= 0)
        return err_set(err, WEIR_ERR_CONFIG,
                       "'table.exec.mini-batch.enabled' is true, so "
                       "'table.exec.mini-batch.size' must be a number of rows greater than 0 "
                       "(such as '5000'), got %s%s%s", size ? "'" : "", size ? size : "none",
                       size ? "'" : "");
    *rows = n;
    return WEIR_OK;
}

void op_group_set_mini_batch(struct op *op, int64_t size)
{
    struct op_group *o = (struct op_group *)op;
    if (size <= 0 || o->mb_size > 0) {
        o->mb_size = size > 0 ? size : 0;
        choose_ops(o);
        return;
    }
    o->mb_size = size;
    o->mb_epoch = 1;   /* slots start at 0: untouched */
    o->mb_ents = mem_calloc(BATCH_CAP, sizeof(*o->mb_ents));
    int n_out = o->out->n_cols;
    const struct sql_type **types = mem_calloc((size_t)n_out + 1, sizeof(*types));
    for (int c = 0; c < n_out; c++)
        types[c] = o->out->cols[c].type;
    o->mb_prev = batch_new(n_out, types);
    mem_free(types);
    o->mb_lanes = mem_calloc((size_t)o->n_aggs + 1, 1);
    for (int a = 0; a < o->n_aggs; a++)
        o->mb_lanes[a] = (uint8_t)type_lane(o->out->cols[o->n_keys + a].type);
    o->run_rows = mem_calloc(BATCH_CAP, sizeof(*o->run_rows));
    o->run_slots = mem_calloc(BATCH_CAP, sizeof(*o->run_slots));
    o->run_accs = mem_calloc(BATCH_CAP, sizeof(*o->run_accs));
    o->run_arg_rows = mem_calloc(BATCH_CAP, sizeof(*o->run_arg_rows));
    choose_ops(o);
}

void op_group_set_max_parallelism(struct op *op, int max_parallelism)
{
    struct op_group *o = (struct op_group *)op;
    o->max_par = max_parallelism > 0 ? max_parallelism : 128;
}

struct op *op_group_new(int id, struct expr **keys, int n_keys, const struct agg_call *aggs,
                        int n_aggs, int n_out, const struct sql_type *const *out_types,
                        char *label)
{
    struct op_group *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &group_ops, id, label);
    o->keys = keys;
    o->n_keys = n_keys;
    o->n_aggs = n_aggs;
    /* DISTINCT aggregates with the same arguments share one set (q16's
     * FILTER variants, issue 4): on copies, the plan's calls stay as bound */
    if ((o->own_aggs = agg_share_copy(aggs, n_aggs)) != NULL)
        aggs = o->own_aggs;
    o->aggs = aggs;
    o->acc_off = mem_calloc((size_t)n_aggs + 1, sizeof(size_t));
    size_t off = ACC_BASE;   /* count, times, then 16-byte aligned accumulators */
    for (int a = 0; a < n_aggs; a++) {
        o->acc_off[a] = off;
        off += (aggs[a].acc_size + 15) & ~(size_t)15;
    }
    o->value_size = off;
    if (o->own_aggs)
        agg_share_place(o->own_aggs, n_aggs, o->acc_off);
    for (int a = 0; a < n_aggs; a++)
        o->heap_aggs |= aggs[a].ops->mem_size != NULL;
    o->state = state_table_new(off, 128);
    o->out = batch_new(n_out, out_types);
    sb_reserve(&o->key, 64);   /* a key with no columns is 0 bytes, never a NULL pointer */
    o->key_vecs = mem_calloc((size_t)n_keys + 1, sizeof(*o->key_vecs));
    o->arg_vecs = mem_calloc((size_t)n_aggs + 1, sizeof(*o->arg_vecs));
    o->filters = mem_calloc((size_t)n_aggs + 1, sizeof(*o->filters));
    for (int a = 0; a < n_aggs; a++)
        o->arg_vecs[a] = mem_calloc((size_t)aggs[a].n_args + 1, sizeof(struct vec));
    o->filter_from = mem_calloc((size_t)n_aggs + 1, sizeof(int));
    struct strbuf ta = {0}, tb = {0};
    for (int a = 0; a < n_aggs; a++) {
        o->filter_from[a] = -1;
        if (aggs[a].filter == NULL || !expr_deterministic(aggs[a].filter))
            continue;
        sb_clear(&ta);
        expr_to_text(&ta, aggs[a].filter, NULL);
        for (int e = 0; e < a && o->filter_from[a] < 0; e++) {
            if (aggs[e].filter == NULL || o->filter_from[e] >= 0)
                continue;
            sb_clear(&tb);
            expr_to_text(&tb, aggs[e].filter, NULL);
            if (ta.len == tb.len && memcmp(ta.buf, tb.buf, ta.len) == 0)
                o->filter_from[a] = e;
        }
    }
    sb_free(&ta);
    sb_free(&tb);
    o->max_par = 128;
    struct strbuf fp = {0};
    /* "2": records carry the last-write time (older ones are refused) */
    sb_adds(&fp, "GroupAggregate2");
    snap_put_u32(&fp, (uint32_t)n_keys);
    for (int k = 0; k < n_keys; k++)
        opstate_fingerprint_type(&fp, keys[k]->type);
    opagg_fingerprint_aggs(&fp, aggs, n_aggs);
    o->fingerprint = opstate_fingerprint_done(&fp);
    sb_free(&fp);
    return &o->op;
}

/* ---- checkpoint records (shared with op_window.c) ----------------------------------------- */

void opagg_fingerprint_aggs(struct strbuf *fp, const struct agg_call *aggs, int n_aggs)
{
    snap_put_u32(fp, (uint32_t)n_aggs);
    for (int a = 0; a < n_aggs; a++) {
        const struct agg_call *ac = &aggs[a];
        snap_put_str(fp, ac->def ? ac->def->name : ac->name);
        snap_put_u8(fp, (uint8_t)(ac->distinct | (ac->filter != NULL) << 1));
        snap_put_u32(fp, (uint32_t)ac->n_args);
        for (int x = 0; x < ac->n_args; x++)
            opstate_fingerprint_type(fp, ac->args[x]->type);
        opstate_fingerprint_type(fp, ac->type);
    }
}

int opagg_check_snapshot(const struct op *op, const struct agg_call *aggs, int n_aggs,
                         struct weir_error *err)
{
    for (int a = 0; a < n_aggs; a++)
        if (aggs[a].ops->snapshot == NULL || aggs[a].ops->restore == NULL)
            return err_set(err, WEIR_ERR_UNSUPPORTED, "%s: %s cannot be checkpointed",
                           op->label, aggs[a].name ? aggs[a].name : aggs[a].def->name);
    return WEIR_OK;
}

void opagg_put_accs(struct strbuf *out, const struct agg_call *aggs, int n_aggs,
                    const size_t *acc_off, const unsigned char *slot)
{
    for (int a = 0; a < n_aggs; a++) {
        /* a u32 length first, patched once the aggregate has written */
        size_t at = out->len;
        snap_put_u32(out, 0);
        aggs[a].ops->snapshot(slot + acc_off[a], out, aggs[a].state);
        uint32_t n = (uint32_t)(out->len - at - 4);
        memcpy(out->buf + at, &n, 4);
    }
}

bool opagg_get_accs(struct snap_rd *rd, const struct agg_call *aggs, int n_aggs,
                    const size_t *acc_off, unsigned char *slot)
{
    int a = 0;
    for (; a < n_aggs; a++) {
        size_t n;
        const char *p = snap_get_bytes(rd, &n);
        if (rd->bad)
            break;
        int used = aggs[a].ops->restore(slot + acc_off[a], p, n, aggs[a].state);
        if (used < 0)
            break;
        if ((size_t)used != n) {
            /* decoded, but not from exactly its own bytes */
            if (aggs[a].ops->destroy)
                aggs[a].ops->destroy(slot + acc_off[a], aggs[a].state);
            break;
        }
    }
    if (a == n_aggs)
        return true;
    rd->bad = true;
    for (int k = 0; k < a; k++)
        if (aggs[k].ops->destroy)
            aggs[k].ops->destroy(slot + acc_off[k], aggs[k].state);
    return false;
}

int64_t opagg_heap_bytes(const struct agg_call *aggs, int n_aggs, const size_t *acc_off,
                         const unsigned char *slot)
{
    int64_t n = 0;
    for (int a = 0; a < n_aggs; a++)
        if (aggs[a].ops->mem_size)
            n += (int64_t)aggs[a].ops->mem_size(slot + acc_off[a], aggs[a].state);
    return n;
}

int opagg_key_group(const void *key, size_t len, int max_parallelism)
{
    return state_key_group(state_hash(len ? key : "", len), max_parallelism);
}
