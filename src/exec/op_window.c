/*
 * op_window.c — window aggregation (TUMBLE, HOP, CUMULATE, SESSION) and the
 * bare window TVF, on event time or processing time.
 *
 * Aligned windows (TUMBLE/HOP/CUMULATE): every open window [start, end) has its
 * own state table (state/table.h) from the grouping key to the accumulators of
 * the aggregates.  A row is assigned to its windows, its key looked up once per
 * window, and the aggregates updated a batch at a time.  When the watermark
 * passes a window's last instant (end - 1 ms, Flink's maxTimestamp) the window
 * fires: one +I row per key, then its whole table is freed — window state never
 * outlives its window.  There are few open windows at a time, so they are kept
 * in a small array sorted by end.
 *
 * Sessions: per key, a short list of sessions [first row, last row + gap) with
 * their accumulators; a row that falls within gap of one or more sessions
 * merges them (agg merge).  Keyed timers (state/timers.h) at each key's
 * earliest session end find the sessions the watermark closes without
 * scanning every key.
 *
 * Updating input (a changelog source, a GROUP BY or dedup below): -U and -D
 * rows retract from the accumulators of the windows their time falls in (in
 * row order: a retraction must meet what it retracts), and each window still
 * fires once with its final value, so the output stays insert-only.  Every
 * slot counts its rows, adds minus retractions (Flink's COUNT(*) retract
 * counter): a window key whose rows were all retracted emits nothing.
 *
 * Late rows — rows whose windows have all fired, retractions included — are
 * never silently dropped: they are counted on the operator and written to the
 * dead-letter output with the reason "late".  Processing-time windows fire
 * from the driver's timer by the wall clock, and all remaining windows fire at
 * end of input.
 *
 * TIMESTAMP_LTZ time attributes (and PROCTIME) are windowed on the session
 * zone's wall clock, as Flink does: window_start/_end are wall-clock
 * TIMESTAMP(3); window_time is the instant of the window's last millisecond.
 *
 * Checkpoints (record helpers in op_group.h): a key's state goes in records
 * tagged with the key group its rows are routed by —
 *   WIN_REC_WINDOW   one per open aligned window and key:
 *                    [header, i64 start, i64 end, key bytes, i64 rows,
 *                    accumulators]
 *   WIN_REC_SESSIONS one per key: [header, key bytes, i64 timer time, u32 n,
 *                    n × (i64 start, i64 end, i64 rows, accumulators)]
 * and one SNAP_OPERATOR record per instance, WIN_REC_MARK [header, u32
 * instance, i64 watermark seen]: the mark below which windows have fired and
 * rows are late.  Each new instance receives every old instance's mark; see
 * opstate_restore_mark for which it keeps.  Windows fire whole within one watermark
 * call, so a checkpoint never sees a half-fired window, and the output
 * batch is always empty between calls.
 */
#include "exec/op_window.h"
#include "exec/opstate.h"
#include "core/datetime.h"
#include "core/value_fmt.h"
#include "exec/op_group.h"
#include "state/table.h"
#include "state/timers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000   /* one millisecond in microseconds */

/* ---- window assignment ------------------------------------------------------- */

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t m = a % b;
    return m < 0 ? m + b : m;
}

/* The windows [start, end) that contain t; returns how many (<= max). */
static int assign_windows(const struct window_spec *w, int64_t t, int64_t *starts,
                          int64_t *ends, int max)
{
    int n = 0;
    switch (w->kind) {
    case WIN_TUMBLE: {
        int64_t s = t - floor_mod(t - w->offset, w->size);
        starts[0] = s;
        ends[0] = s + w->size;
        return 1;
    }
    case WIN_HOP: {
        /* the last window starting at or before t, then back by the slide */
        int64_t last = t - floor_mod(t - w->offset, w->slide);
        for (int64_t s = last; s > t - w->size && n < max; s -= w->slide) {
            starts[n] = s;
            ends[n] = s + w->size;
            n++;
        }
        return n;
    }
    case WIN_CUMULATE: {
        int64_t s = t - floor_mod(t - w->offset, w->size);
        for (int64_t e = s + w->slide; e <= s + w->size && n < max; e += w->slide) {
            if (e > t) {
                starts[n] = s;
                ends[n] = e;
                n++;
            }
        }
        return n;
    }
    case WIN_SESSION:
        starts[0] = t;
        ends[0] = t + w->gap;
        return 1;
    }
    return 0;
}

#define MAX_WINDOWS_PER_ROW 4096

/* A slot (one window and key, or one session): its row count, adds minus
 * retractions, the out-of-line bytes of its accumulators as last counted,
 * then the accumulators from ACC_BASE (16: __int128 alignment). */
#define ROWS(slot) (*(int64_t *)(void *)(slot))
#define HEAP(slot) (*(int64_t *)(void *)((unsigned char *)(slot) + 8))
#define ACC_BASE 16

/* ---- the operator -------------------------------------------------------------- */

struct win {
    int64_t start, end;
    struct state_table *groups;         /* key -> accumulators */
};

/* One session of one key. */
struct session {
    int64_t start, end;
    unsigned char *accs;                /* value_size bytes */
};

/* The value slot of a key in session mode: its sessions. */
struct sess_list {
    int n, cap;
    struct session *items;
    bool queued;                        /* the key has an entry in the timer heap, */
    int64_t queued_end;                 /* at this end: at most the earliest end
                                           of its sessions */
};


struct op_win {
    struct op op;
    const struct window_spec *w;
    bool tvf;                           /* bare TVF (no aggregation) */
    int n_keys;
    struct expr **keys;
    int n_aggs;
    const struct agg_call *aggs;
    struct agg_call *own_aggs;     /* aggs, with DISTINCT sets shared
                                      (agg_share_copy), or NULL */
    size_t *acc_off;                    /* offset of each accumulator in a slot */
    size_t value_size;
    int n_out;
    const struct sql_type **out_types;
    /* aligned windows */
    struct win *wins;
    int n_wins, cap_wins;
    /* sessions */
    struct state_table *sessions;
    struct timers timers;               /* sessions: (earliest end, key) */
    /* scratch */
    struct strbuf key;
    struct batch *out;
    void **accs;                        /* per (row, window) pair */
    uint16_t *rows;
    int cap_pairs;
    void **f_accs;                      /* FILTER'd pairs */
    uint16_t *f_rows;
    int64_t wm;                         /* event-time watermark seen */
    const struct vec **key_vecs;
    struct vec **arg_vecs;              /* per aggregate: its argument vectors */
    const struct vec **filters;         /* per aggregate: its FILTER, or NULL */
    /* grouping sets: each row is keyed once per set, as (set number, keys of
     * the set, NULL for the others) */
    int n_sets;
    const uint64_t *sets;
    struct vec *null_vecs;              /* per key: all NULL */
    struct vec *set_vecs;               /* per set: its number in every row */
    const struct vec **enc;             /* the columns of one set's key */
    struct vec set_out;                 /* decoded set number (ignored) */
    struct arena set_arena;             /* for set_out (never holds strings) */
    const void *hash_src;               /* rows from this exchange carry the
                                           hash of our state key (issue 3) */
    /* checkpoints */
    int max_par;                        /* key groups of the job's exchanges */
    uint32_t fingerprint;               /* of the window, keys and aggregates */
    bool mark_own;                      /* restore met this instance's own mark */
    bool heap_aggs;                     /* an aggregate holds out-of-line memory */
    int64_t heap;                       /* the sum of the slots' HEAP */
};

enum { WIN_REC_MARK = 1, WIN_REC_WINDOW = 2, WIN_REC_SESSIONS = 3 };

static int64_t to_wall(const struct op_win *o, int64_t t)
{
    return o->w->ltz || o->w->proctime ? dt_ltz_to_local(t) : t;
}

/* window_time: the last instant of the window, as an instant for LTZ. */
static int64_t window_time(const struct op_win *o, int64_t end)
{
    return o->w->ltz || o->w->proctime ? dt_local_to_ltz(end) - MS : end - MS;
}

static void slot_init(struct op_win *o, unsigned char *slot)
{
    ROWS(slot) = 0;
    for (int k = 0; k < o->n_aggs; k++)
        o->aggs[k].ops->init(slot + o->acc_off[k], o->aggs[k].state);
}

/* Recounts the out-of-line memory of a slot whose accumulators changed. */
static void heap_note(struct op_win *o, unsigned char *slot)
{
    if (!o->heap_aggs)
        return;
    int64_t n = opagg_heap_bytes(o->aggs, o->n_aggs, o->acc_off, slot);
    o->heap += n - HEAP(slot);
    HEAP(slot) = n;
}

static void slot_destroy(struct op_win *o, unsigned char *slot)
{
    o->heap -= HEAP(slot);
    HEAP(slot) = 0;
    for (int k = 0; k < o->n_aggs; k++)
        if (o->aggs[k].ops->destroy)
            o->aggs[k].ops->destroy(slot + o->acc_off[k], o->aggs[k].state);
}

/* ---- output ---------------------------------------------------------------------- */

static int flush_out(struct op_win *o, struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == 0)
        return WEIR_OK;
    int rc = op_emit(&o->op, o->out, ctx, err);
    batch_reset(o->out);
    return rc;
}

/* Appends one result row: key (decoded), window bounds, aggregate results. */
static int emit_row(struct op_win *o, const void *key, size_t key_len, int64_t start,
                    int64_t end, unsigned char *slot, struct eval_ctx *ctx,
                    struct weir_error *err)
{
    struct batch *b = o->out;
    int r = b->n;
    struct vec *kv[65];
    int nk = 0;
    if (o->n_sets > 1)
        kv[nk++] = &o->set_out;
    for (int k = 0; k < o->n_keys && k < 64; k++)
        kv[nk++] = &b->cols[k];
    state_key_decode(key, key_len, kv, nk, r);
    b->cols[o->n_keys].i64[r] = start;
    b->cols[o->n_keys + 1].i64[r] = end;
    b->cols[o->n_keys + 2].i64[r] = window_time(o, end);
    for (int k = 0; k < o->n_aggs; k++)
        o->aggs[k].ops->result(slot + o->acc_off[k], &b->cols[o->n_keys + 3 + k], r,
                               o->aggs[k].state);
    b->n++;
    if (b->n == BATCH_CAP)
        return flush_out(o, ctx, err);
    return WEIR_OK;
}

static void update_state_metrics(struct op_win *o)
{
    int64_t keys = 0, bytes = 0;
    for (int i = 0; i < o->n_wins; i++) {
        keys += state_table_count(o->wins[i].groups);
        bytes += state_table_bytes(o->wins[i].groups);
    }
    if (o->sessions) {
        keys += state_table_count(o->sessions);
        bytes += state_table_bytes(o->sessions) + timers_bytes(&o->timers);
    }
    atomic_store_explicit(&o->op.state_keys, keys, memory_order_relaxed);
    atomic_store_explicit(&o->op.state_bytes, bytes + o->heap, memory_order_relaxed);
}

/* Fires the first aligned window: emits every key, frees its state. */
static int fire_window(struct op_win *o, struct eval_ctx *ctx, struct weir_error *err)
{
    struct win w = o->wins[0];
    memmove(o->wins, o->wins + 1, (size_t)(o->n_wins - 1) * sizeof(*o->wins));
    o->n_wins--;
    struct state_iter it;
    state_iter_init(&it, w.groups);
    int rc = WEIR_OK;
    while (state_iter_next(&it)) {
        if (rc == WEIR_OK && ROWS(it.value) != 0)
            rc = emit_row(o, it.key, it.key_len, w.start, w.end, it.value, ctx, err);
        slot_destroy(o, it.value);
    }
    state_table_free(w.groups);
    if (rc == WEIR_OK)
        rc = flush_out(o, ctx, err);
    return rc;
}

/* ---- sessions ------------------------------------------------------------------------ */

/* Fires the sessions of key that end at or before `limit` (windows whose last
 * instant end - 1 ms <= watermark). */
static int fire_sessions_of(struct op_win *o, const char *key, size_t len, uint64_t hash,
                            int64_t popped_end, int64_t limit, struct eval_ctx *ctx,
                            struct weir_error *err)
{
    struct sess_list *l = state_table_get(o->sessions, key, len, hash);
    if (l == NULL)
        return WEIR_OK;
    int rc = WEIR_OK, m = 0;
    int64_t next = INT64_MAX;
    for (int i = 0; i < l->n; i++) {
        struct session *s = &l->items[i];
        if (s->end <= limit) {
            if (rc == WEIR_OK && ROWS(s->accs) != 0)
                rc = emit_row(o, key, len, s->start, s->end, s->accs, ctx, err);
            slot_destroy(o, s->accs);
            mem_free(s->accs);
        } else {
            if (s->end < next)
                next = s->end;
            l->items[m++] = *s;
        }
    }
    l->n = m;
    if (m == 0) {
        mem_free(l->items);
        state_table_delete(o->sessions, key, len, hash);
    } else if (popped_end == l->queued_end) {
        /* this was the key's live entry: queue its next end (an older,
         * superseded entry only fires what is due) */
        timers_push(&o->timers, next, hash, key, len);
        l->queued_end = next;
    }
    return rc;
}

static int fire_sessions(struct op_win *o, int64_t limit, struct eval_ctx *ctx,
                         struct weir_error *err)
{
    int rc = WEIR_OK;
    struct timer it;
    while (rc == WEIR_OK && timers_pop_due(&o->timers, limit, &it)) {
        rc = fire_sessions_of(o, it.key, it.key_len, it.hash, it.time, limit, ctx, err);
        timer_done(&it);
    }
    if (rc == WEIR_OK)
        rc = flush_out(o, ctx, err);
    return rc;
}

/* Adds row's key to a session at [t, t + gap), merging the sessions it
 * touches; returns the session's accumulators, or NULL when the merged
 * session is already closed (late). */
static unsigned char *session_slot(struct op_win *o, int64_t t, uint64_t h)
{
    bool inserted;
    struct sess_list *l = state_table_upsert(o->sessions, o->key.buf, o->key.len, h, &inserted);
    int64_t s = t, e = t + o->w->gap;
    /* the merged bounds first, to decide lateness before touching state */
    /* Flink's TimeWindow.intersects: sessions that touch merge too */
    for (int i = 0; i < l->n; i++)
        if (l->items[i].start <= e && s <= l->items[i].end) {
            if (l->items[i].start < s)
                s = l->items[i].start;
            if (l->items[i].end > e)
                e = l->items[i].end;
        }
    if (o->wm != WM_NONE && !o->w->proctime && e - MS <= o->wm) {
        if (l->n == 0)
            state_table_delete(o->sessions, o->key.buf, o->key.len, h);
        return NULL;
    }
    struct session *into = NULL;
    int m = 0;
    for (int i = 0; i < l->n; i++) {
        struct session *x = &l->items[i];
        if (x->start <= e && s <= x->end) {
            if (into == NULL) {
                into = &l->items[m++];
                *into = *x;
            } else {
                ROWS(into->accs) += ROWS(x->accs);
                for (int k = 0; k < o->n_aggs; k++)
                    o->aggs[k].ops->merge(into->accs + o->acc_off[k], x->accs + o->acc_off[k],
                                          o->aggs[k].state);
                slot_destroy(o, x->accs);
                mem_free(x->accs);
            }
        } else {
            l->items[m++] = *x;
        }
    }
    l->n = m;
    if (into == NULL) {
        MEM_GROW(l->items, l->cap, l->n + 1);
        into = &l->items[l->n++];
        into->accs = mem_calloc(1, o->value_size);
        slot_init(o, into->accs);
    }
    into->start = s;
    into->end = e;
    /* One timer per key, not per row that grows a session (that was a
     * malloc'ed key copy per row and a heap as large as the input): the
     * entry fires at the earliest end, and firing queues the next one. */
    if (!l->queued || e < l->queued_end) {
        timers_push(&o->timers, e, h, o->key.buf, o->key.len);
        l->queued = true;
        l->queued_end = e;
    }
    return into->accs;
}

/* ---- input ------------------------------------------------------------------------------ */

static struct win *find_window(struct op_win *o, int64_t start, int64_t end)
{
    int i = 0;
    while (i < o->n_wins && (o->wins[i].end < end || (o->wins[i].end == end && o->wins[i].start < start)))
        i++;
    if (i < o->n_wins && o->wins[i].end == end && o->wins[i].start == start)
        return &o->wins[i];
    MEM_GROW(o->wins, o->cap_wins, o->n_wins + 1);
    memmove(o->wins + i + 1, o->wins + i, (size_t)(o->n_wins - i) * sizeof(*o->wins));
    o->wins[i] = (struct win){start, end, state_table_new(o->value_size, o->max_par)};
    o->n_wins++;
    return &o->wins[i];
}

static void late_row(struct op_win *o, struct batch *b, int row, int64_t t)
{
    struct strbuf reason = {0};
    char ts[64], wm[64];
    dt_fmt_ts_java(ts, o->w->ltz || o->w->proctime ? dt_ltz_to_local(t) : t);
    dt_fmt_ts_java(wm, o->wm);
    sb_addf(&reason, "late: its windows closed (row time %s, watermark %s)", ts, wm);
    op_late_row(&o->op, b, row, reason.buf);
    sb_free(&reason);
}

static void ensure_pairs(struct op_win *o, int need)
{
    if (need <= o->cap_pairs)
        return;
    int cap = o->cap_pairs ? o->cap_pairs : BATCH_CAP;
    while (cap < need)
        cap *= 2;
    o->accs = mem_realloc(o->accs, (size_t)cap * sizeof(void *));
    o->rows = mem_realloc(o->rows, (size_t)cap * sizeof(uint16_t));
    o->f_accs = mem_realloc(o->f_accs, (size_t)cap * sizeof(void *));
    o->f_rows = mem_realloc(o->f_rows, (size_t)cap * sizeof(uint16_t));
    o->cap_pairs = cap;
}

/* The bare TVF: each row once per window, with the window columns. */
static int tvf_push(struct op_win *o, struct batch *b, struct eval_ctx *ctx,
                    struct weir_error *err)
{
    const struct vec *tv = &b->cols[o->w->time_col];
    int nin = b->n_cols;
    int64_t starts[MAX_WINDOWS_PER_ROW], ends[MAX_WINDOWS_PER_ROW];
    int n = batch_live(b);
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        if (vec_is_null(tv, i))
            continue;   /* a NULL time attribute belongs to no window */
        int64_t t = to_wall(o, tv->i64[i]);
        int nw = assign_windows(o->w, t, starts, ends, MAX_WINDOWS_PER_ROW);
        int kept = 0;
        for (int w = 0; w < nw; w++) {
            if (!o->w->proctime && o->wm != WM_NONE && ends[w] - MS <= o->wm)
                continue;
            kept++;
            struct batch *ob = o->out;
            int r = ob->n;
            for (int c = 0; c < nin; c++)
                vec_copy_row(&ob->cols[c], r, &b->cols[c], i);
            ob->cols[nin].i64[r] = starts[w];
            ob->cols[nin + 1].i64[r] = ends[w];
            ob->cols[nin + 2].i64[r] = window_time(o, ends[w]);
            if (b->kinds) {
                batch_ensure_kinds(ob);
                ob->kinds[r] = b->kinds[i];
            }
            ob->n++;
            if (ob->n == BATCH_CAP) {
                int rc = flush_out(o, ctx, err);
                if (rc)
                    return rc;
            }
        }
        if (kept == 0 && nw > 0)
            late_row(o, b, i, tv->i64[i]);
    }
    return flush_out(o, ctx, err);
}

/* The state key of row i for grouping set `set`. */
static void encode_key(struct op_win *o, int set, int i)
{
    if (o->n_sets == 1) {
        state_key_encode(&o->key, o->key_vecs, o->n_keys, i);
        return;
    }
    o->enc[0] = &o->set_vecs[set];
    for (int k = 0; k < o->n_keys; k++)
        o->enc[k + 1] = (o->sets[set] >> k) & 1 ? o->key_vecs[k] : &o->null_vecs[k];
    state_key_encode(&o->key, o->enc, o->n_keys + 1, i);
}

/* The hash of the key just encoded for row i: the exchange's, when it sent
 * one (op_window_hashes_from), else computed. */
static inline uint64_t key_hash(const struct op_win *o, const uint64_t *hashes, int i)
{
    if (hashes == NULL)
        return state_hash(o->key.buf, o->key.len);
#ifdef __SANITIZE_ADDRESS__
    /* the sanitizer builds (the tests) check what job.c planned */
    if (hashes[i] != state_hash(o->key.buf, o->key.len)) {
        fprintf(stderr, "%s: the exchange's key hash is not the window's\n", o->op.label);
        abort();
    }
#endif
    return hashes[i];
}

/* Applies the np pending (slot, row) pairs of aligned windows, all of one
 * sign, an aggregate at a time. */
static void apply_pairs(struct op_win *o, int np, int sign)
{
    if (np == 0)
        return;
    for (int p = 0; p < np; p++)
        ROWS(o->accs[p]) += sign;
    for (int a = 0; a < o->n_aggs; a++) {
        const struct agg_call *ac = &o->aggs[a];
        void **accs = o->accs;
        uint16_t *rows = o->rows;
        int m = np;
        if (ac->filter) {
            const struct vec *f = o->filters[a];
            m = 0;
            for (int p = 0; p < np; p++)
                if (!vec_is_null(f, o->rows[p]) && f->b[o->rows[p]]) {
                    o->f_accs[m] = o->accs[p];
                    o->f_rows[m++] = o->rows[p];
                }
            accs = o->f_accs;
            rows = o->f_rows;
        }
        /* each pair's accumulator is at the aggregate's offset in its slot */
        for (int p = 0; p < m; p++)
            accs[p] = (unsigned char *)accs[p] + o->acc_off[a];
        ac->ops->update(accs, o->arg_vecs[a], rows, m, sign, ac->state);
        for (int p = 0; p < m; p++)
            accs[p] = (unsigned char *)accs[p] - o->acc_off[a];
    }
    for (int p = 0; p < np && o->heap_aggs; p++)
        heap_note(o, o->accs[p]);
}

static int win_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                    struct weir_error *err)
{
    (void)port;
    struct op_win *o = (struct op_win *)op;
    if (o->tvf)
        return tvf_push(o, b, ctx, err);
    int rc;
    if ((rc = agg_eval_inputs(o->keys, o->n_keys, o->key_vecs, o->aggs, o->n_aggs, o->arg_vecs,
                              o->filters, ctx, b, err)))
        return rc;
    const struct vec *tv = &b->cols[o->w->time_col];
    /* hashed by the exchange in front, from the same key (op_window_hashes_from) */
    const uint64_t *hashes = o->hash_src && b->hash_src == o->hash_src ? b->hashes : NULL;
    int64_t starts[MAX_WINDOWS_PER_ROW], ends[MAX_WINDOWS_PER_ROW];
    int n = batch_live(b), np = 0, run_sign = 1;
    ensure_pairs(o, n);
    for (int k = 0; k < n; k++) {
        int i = batch_row(b, k);
        if (vec_is_null(tv, i))
            continue;
        enum row_kind kind = batch_kind(b, i);
        int sign = kind == RK_INSERT || kind == RK_UPDATE_AFTER ? 1 : -1;
        if (sign != run_sign) {
            /* pairs go in runs of one sign: a retraction must come after the
             * add it undoes (MIN/MAX and DISTINCT forget an unknown value) */
            apply_pairs(o, np, run_sign);
            np = 0;
            run_sign = sign;
        }
        int64_t t = to_wall(o, tv->i64[i]);
        int nw;
        if (o->w->assigned) {
            const struct vec *sv = &b->cols[o->w->start_col];
            if (vec_is_null(sv, i))
                continue;
            starts[0] = sv->i64[i];
            ends[0] = tv->i64[i];
            nw = 1;
        } else {
            nw = o->sessions ? 1 : assign_windows(o->w, t, starts, ends, MAX_WINDOWS_PER_ROW);
        }
        int kept = 0;
        for (int set = 0; set < o->n_sets; set++) {
            encode_key(o, set, i);
            if (o->sessions) {
                /* applied at once: a later row of this batch may merge this
                 * session into another and free its accumulators */
                unsigned char *slot = session_slot(o, t, key_hash(o, hashes, i));
                if (slot == NULL)
                    continue;
                uint16_t row = (uint16_t)i;
                ROWS(slot) += sign;
                for (int a = 0; a < o->n_aggs; a++) {
                    const struct vec *f = o->filters[a];
                    if (f && (vec_is_null(f, i) || !f->b[i]))
                        continue;
                    void *acc = slot + o->acc_off[a];
                    o->aggs[a].ops->update(&acc, o->arg_vecs[a], &row, 1, sign, o->aggs[a].state);
                }
                heap_note(o, slot);   /* a merge into it included */
                kept++;
                continue;
            }
            ensure_pairs(o, np + nw);
            uint64_t h = key_hash(o, hashes, i);
            for (int w = 0; w < nw; w++) {
                if (!o->w->proctime && o->wm != WM_NONE && ends[w] - MS <= o->wm)
                    continue;   /* this window has fired */
                struct win *win = find_window(o, starts[w], ends[w]);
                bool inserted;
                unsigned char *slot = state_table_upsert(win->groups, o->key.buf, o->key.len,
                                                         h, &inserted);
                if (inserted)
                    slot_init(o, slot);
                o->accs[np] = slot;
                o->rows[np++] = (uint16_t)i;
                kept++;
            }
        }
        if (kept == 0 && nw > 0)
            late_row(o, b, i, tv->i64[i]);
    }
    /* the aggregates of aligned windows, a run of rows at a time */
    apply_pairs(o, np, run_sign);
    update_state_metrics(o);
    return WEIR_OK;
}

/* Fires what ends at or before `limit` (a wall-clock window end). */
static int fire_until(struct op_win *o, int64_t limit, struct eval_ctx *ctx,
                      struct weir_error *err)
{
    int rc = WEIR_OK;
    if (o->sessions)
        rc = fire_sessions(o, limit, ctx, err);
    else
        while (rc == WEIR_OK && o->n_wins > 0 && o->wins[0].end <= limit)
            rc = fire_window(o, ctx, err);
    update_state_metrics(o);
    return rc;
}

static int win_watermark(struct op *op, int64_t wm, struct eval_ctx *ctx, struct weir_error *err)
{
    struct op_win *o = (struct op_win *)op;
    int rc = WEIR_OK;
    if (wm != WM_IDLE) {
        if (!o->w->proctime && !o->tvf) {
            /* windows whose last instant (end - 1 ms) is covered fire */
            int64_t limit = wm == WM_END ? WM_END : (wm > WM_END - MS ? WM_END : wm + MS);
            if (o->w->ltz && wm != WM_END)
                limit = dt_ltz_to_local(wm) + MS;
            rc = fire_until(o, limit, ctx, err);
        }
        if (wm > o->wm)
            o->wm = o->w->ltz && wm != WM_END ? dt_ltz_to_local(wm) : wm;
    }
    if (rc)
        return rc;
    /* downstream time is window_time: the watermark passes through unchanged */
    return op_emit_watermark(op, wm, ctx, err);
}

static int win_timer(struct op *op, int64_t now_us, struct eval_ctx *ctx, struct weir_error *err)
{
    (void)now_us;
    struct op_win *o = (struct op_win *)op;
    if (!o->w->proctime || o->tvf)
        return WEIR_OK;
    /* processing time: the wall clock of the session zone */
    return fire_until(o, dt_ltz_to_local(dt_now_us()), ctx, err);
}

static int win_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    struct op_win *o = (struct op_win *)op;
    int rc = o->tvf ? WEIR_OK : fire_until(o, WM_END, ctx, err);
    if (rc == WEIR_OK)
        rc = op_finish_next(op, ctx, err);
    return rc;
}

static void win_free(struct op *op)
{
    struct op_win *o = (struct op_win *)op;
    for (int i = 0; i < o->n_wins; i++) {
        struct state_iter it;
        state_iter_init(&it, o->wins[i].groups);
        while (state_iter_next(&it))
            slot_destroy(o, it.value);
        state_table_free(o->wins[i].groups);
    }
    mem_free(o->wins);
    if (o->sessions) {
        struct state_iter it;
        state_iter_init(&it, o->sessions);
        while (state_iter_next(&it)) {
            struct sess_list *l = it.value;
            for (int i = 0; i < l->n; i++) {
                slot_destroy(o, l->items[i].accs);
                mem_free(l->items[i].accs);
            }
            mem_free(l->items);
        }
        state_table_free(o->sessions);
    }
    timers_free(&o->timers);
    for (int k = 0; k < o->n_keys; k++)
        expr_free_scratch(o->keys[k]);
    for (int a = 0; a < o->n_aggs; a++) {
        for (int x = 0; x < o->aggs[a].n_args; x++)
            expr_free_scratch(o->aggs[a].args[x]);
        expr_free_scratch(o->aggs[a].filter);
    }
    sb_free(&o->key);
    batch_free(o->out);
    if (o->n_sets > 1) {
        for (int k = 0; k < o->n_keys; k++)
            vec_free(&o->null_vecs[k]);
        for (int q = 0; q < o->n_sets; q++)
            vec_free(&o->set_vecs[q]);
        vec_free(&o->set_out);
    }
    mem_free(o->null_vecs);
    mem_free(o->set_vecs);
    mem_free(o->enc);
    arena_free(&o->set_arena);
    mem_free(o->accs);
    mem_free(o->rows);
    mem_free(o->f_accs);
    mem_free(o->f_rows);
    mem_free(o->acc_off);
    mem_free(o->key_vecs);
    for (int a = 0; a < o->n_aggs; a++)
        mem_free(o->arg_vecs[a]);
    mem_free(o->arg_vecs);
    mem_free(o->filters);
    agg_share_free(o->own_aggs, o->n_aggs);   /* after the last accumulator went */
    mem_free(o);
}

/* ---- checkpoints ------------------------------------------------------------------------ */

/* The key group the exchange routes a state key's rows by.  With grouping
 * sets the state key carries the set and the masked keys, but every row goes
 * to the instance of the empty key (job.c), so all of it belongs there. */
static int route_key_group(const struct op_win *o, const void *key, size_t len)
{
    return o->n_sets > 1 ? opagg_key_group("", 0, o->max_par)
                         : opagg_key_group(key, len, o->max_par);
}

/* What a window table's walk needs to write its entries. */
struct win_walk {
    const struct op_win *o;
    int64_t start, end;
};

static void win_write(struct snap_writer *w, const void *ctx, const void *key, size_t len,
                      int kg, const void *value)
{
    const struct win_walk *ww = ctx;
    (void)kg;
    snap_begin(w, route_key_group(ww->o, key, len));
    opstate_put_header(&w->buf, WIN_REC_WINDOW, ww->o->fingerprint);
    snap_put_i64(&w->buf, ww->start);
    snap_put_i64(&w->buf, ww->end);
    snap_put_bytes(&w->buf, key, len);
    snap_put_i64(&w->buf, ROWS(value));
    opagg_put_accs(&w->buf, ww->o->aggs, ww->o->n_aggs, ww->o->acc_off, value);
    snap_end(w);
}

static void sessions_write(struct snap_writer *w, const void *ctx, const void *key, size_t len,
                           int kg, const void *value)
{
    const struct op_win *o = *(const struct op_win *const *)ctx;
    const struct sess_list *l = value;
    (void)kg;
    snap_begin(w, route_key_group(o, key, len));
    opstate_put_header(&w->buf, WIN_REC_SESSIONS, o->fingerprint);
    snap_put_bytes(&w->buf, key, len);
    /* the live timer's time, not the earliest end it may precede: keys fire
     * in timer order, so the same times give the same output order */
    snap_put_i64(&w->buf, l->queued_end);
    snap_put_u32(&w->buf, (uint32_t)l->n);
    for (int i = 0; i < l->n; i++) {
        snap_put_i64(&w->buf, l->items[i].start);
        snap_put_i64(&w->buf, l->items[i].end);
        snap_put_i64(&w->buf, ROWS(l->items[i].accs));
        opagg_put_accs(&w->buf, o->aggs, o->n_aggs, o->acc_off, l->items[i].accs);
    }
    snap_end(w);
}

/* The mark now; each window's keys and each key's sessions lazily, as the
 * tables write them (state_table_walk). */
static int win_snapshot(struct op *op, struct snap_writer *w, struct weir_error *err)
{
    struct op_win *o = (struct op_win *)op;
    int rc = opagg_check_snapshot(op, o->aggs, o->n_aggs, err);
    if (rc)
        return rc;
    opstate_put_mark(w, WIN_REC_MARK, o->fingerprint, op, o->wm);
    for (int i = 0; i < o->n_wins; i++) {
        struct win_walk ww = {o, o->wins[i].start, o->wins[i].end};
        state_table_walk(o->wins[i].groups, w, win_write, &ww, sizeof(ww));
    }
    if (o->sessions)
        state_table_walk(o->sessions, w, sessions_write, &o, sizeof(o));
    return WEIR_OK;
}

static int restore_window(struct op_win *o, int kg, struct snap_rd *rd, struct weir_error *err)
{
    int64_t start = snap_get_i64(rd), end = snap_get_i64(rd);
    size_t len;
    const char *key = snap_get_bytes(rd, &len);
    int64_t rows = snap_get_i64(rd);
    if (rd->bad || o->sessions != NULL || start >= end)
        return opstate_corrupt(&o->op, "bad window record", err);
    if (route_key_group(o, key, len) != kg)
        return err_set(err, WEIR_ERR_CONFIG,
                       "checkpointed state of %s: a key is tagged with key group %d but "
                       "belongs to another one under pipeline.max-parallelism %d (it cannot "
                       "change between a checkpoint and its restore)",
                       o->op.label, kg, o->max_par);
    int n_wins = o->n_wins;
    struct win *win = find_window(o, start, end);
    int64_t before = o->n_wins > n_wins ? 0 : state_table_bytes(win->groups);
    uint64_t h = state_hash(key, len);
    if (state_table_get(win->groups, key, len, h) != NULL)
        return opstate_corrupt(&o->op, "a key of a window is restored twice", err);
    unsigned char *slot = state_table_upsert(win->groups, key, len, h, NULL);
    if (!opagg_get_accs(rd, o->aggs, o->n_aggs, o->acc_off, slot) || rd->pos != rd->len) {
        if (!rd->bad)
            slot_destroy(o, slot);   /* the accumulators decoded, trailing bytes did not */
        state_table_delete(win->groups, key, len, h);
        return opstate_corrupt(&o->op, "bad accumulators", err);
    }
    ROWS(slot) = rows;
    int64_t heap = o->heap;
    heap_note(o, slot);
    /* counted as they come: a full recount per record would cost the number
     * of open windows each time */
    atomic_fetch_add_explicit(&o->op.state_keys, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&o->op.state_bytes,
                              state_table_bytes(win->groups) - before + o->heap - heap,
                              memory_order_relaxed);
    return WEIR_OK;
}

static void free_sessions(struct op_win *o, struct session *items, int n)
{
    for (int i = 0; i < n; i++) {
        slot_destroy(o, items[i].accs);
        mem_free(items[i].accs);
    }
    mem_free(items);
}

static int restore_sessions(struct op_win *o, int kg, struct snap_rd *rd,
                            struct weir_error *err)
{
    size_t len;
    const char *key = snap_get_bytes(rd, &len);
    int64_t timer = snap_get_i64(rd);
    uint32_t n = snap_get_u32(rd);
    /* each session takes at least its bounds and row count: a count the
     * body cannot hold is corrupt, not an allocation to try */
    if (rd->bad || o->sessions == NULL || n == 0 || n > (rd->len - rd->pos) / 24)
        return opstate_corrupt(&o->op, "bad sessions record", err);
    if (route_key_group(o, key, len) != kg)
        return err_set(err, WEIR_ERR_CONFIG,
                       "checkpointed state of %s: a key is tagged with key group %d but "
                       "belongs to another one under pipeline.max-parallelism %d (it cannot "
                       "change between a checkpoint and its restore)",
                       o->op.label, kg, o->max_par);
    uint64_t h = state_hash(key, len);
    if (state_table_get(o->sessions, key, len, h) != NULL)
        return opstate_corrupt(&o->op, "the sessions of a key are restored twice", err);
    struct session *items = mem_calloc(n, sizeof(*items));
    int got = 0;
    int64_t earliest = INT64_MAX;
    for (; got < (int)n; got++) {
        struct session *x = &items[got];
        x->start = snap_get_i64(rd);
        x->end = snap_get_i64(rd);
        int64_t rows = snap_get_i64(rd);
        if (rd->bad || x->start >= x->end)
            break;
        x->accs = mem_calloc(1, o->value_size);
        if (!opagg_get_accs(rd, o->aggs, o->n_aggs, o->acc_off, x->accs)) {
            mem_free(x->accs);
            break;
        }
        ROWS(x->accs) = rows;
        heap_note(o, x->accs);
        if (x->end < earliest)
            earliest = x->end;
    }
    if (got < (int)n || rd->pos != rd->len) {
        free_sessions(o, items, got);
        return opstate_corrupt(&o->op, "bad session", err);
    }
    int64_t before = state_table_bytes(o->sessions) + timers_bytes(&o->timers);
    for (int i = 0; i < (int)n; i++)
        before -= HEAP(items[i].accs);   /* counted above by heap_note */
    struct sess_list *l = state_table_upsert(o->sessions, key, len, h, NULL);
    l->items = items;
    l->n = l->cap = (int)n;
    /* the key's one live timer; it must not be later than the earliest end
     * (session_slot's rule), or a session would fire late */
    if (timer > earliest)
        timer = earliest;
    timers_push(&o->timers, timer, h, key, len);
    l->queued = true;
    l->queued_end = timer;
    atomic_fetch_add_explicit(&o->op.state_keys, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&o->op.state_bytes,
                              state_table_bytes(o->sessions) + timers_bytes(&o->timers) - before,
                              memory_order_relaxed);
    return WEIR_OK;
}

static int win_restore(struct op *op, int kg, struct snap_rd *rd, struct weir_error *err)
{
    struct op_win *o = (struct op_win *)op;
    uint8_t type;
    int rc = opstate_get_header(op, rd, o->fingerprint, &type, err);
    if (rc)
        return rc;
    if ((type == WIN_REC_MARK) != (kg == SNAP_OPERATOR) || (o->tvf && type != WIN_REC_MARK))
        return opstate_corrupt(op, "a record of the wrong kind", err);
    switch (type) {
    case WIN_REC_MARK: rc = opstate_restore_mark(op, rd, &o->wm, &o->mark_own, err); break;
    case WIN_REC_WINDOW: rc = restore_window(o, kg, rd, err); break;
    case WIN_REC_SESSIONS: rc = restore_sessions(o, kg, rd, err); break;
    default: rc = opstate_corrupt(op, "unknown record type", err); break;
    }
    if (rc)
        update_state_metrics(o);   /* a failed record may have left an empty window */
    return rc;
}

static const struct op_ops win_ops = {
    .kind = "WindowAggregate",
    .push = win_push,
    .watermark = win_watermark,
    .timer = win_timer,
    .finish = win_finish,
    .free = win_free,
    .snapshot = win_snapshot,
    .restore = win_restore,
};

void op_window_set_max_parallelism(struct op *op, int max_parallelism)
{
    struct op_win *o = (struct op_win *)op;
    o->max_par = max_parallelism > 0 ? max_parallelism : 128;
}

/* What decides the meaning of the records: the window, the keys and sets,
 * the aggregates. */
static uint32_t shape_fingerprint(const struct op_win *o)
{
    const struct window_spec *w = o->w;
    struct strbuf fp = {0};
    sb_adds(&fp, o->tvf ? "WindowTableFunction" : "WindowAggregate");
    /* records that carry row counts (retractions) are not read as the
     * earlier ones without them */
    sb_adds(&fp, "/rows");
    snap_put_u8(&fp, (uint8_t)w->kind);
    snap_put_u8(&fp, (uint8_t)(w->proctime | w->ltz << 1 | w->assigned << 2));
    snap_put_i64(&fp, w->size);
    snap_put_i64(&fp, w->slide);
    snap_put_i64(&fp, w->offset);
    snap_put_i64(&fp, w->gap);
    snap_put_u32(&fp, (uint32_t)o->n_keys);
    for (int k = 0; k < o->n_keys; k++)
        opstate_fingerprint_type(&fp, o->keys[k]->type);
    snap_put_u32(&fp, (uint32_t)o->n_sets);
    for (int q = 0; q < o->n_sets && o->n_sets > 1; q++)
        snap_put_i64(&fp, (int64_t)o->sets[q]);
    opagg_fingerprint_aggs(&fp, o->aggs, o->n_aggs);
    uint32_t h = opstate_fingerprint_done(&fp);
    sb_free(&fp);
    return h;
}

void op_window_hashes_from(struct op *op, const void *src)
{
    struct op_win *o = (struct op_win *)op;
    /* with grouping sets the state key is (set, masked keys), not the keys */
    if (!o->tvf && o->n_sets == 1)
        o->hash_src = src;
}

struct op *op_window_new(int id, const struct window_spec *w, bool tvf, struct expr **keys,
                         int n_keys, const uint64_t *sets, int n_sets,
                         const struct agg_call *aggs, int n_aggs, int n_out,
                         const struct sql_type *const *out_types, char *label)
{
    struct op_win *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &win_ops, id, label);
    o->w = w;
    o->tvf = tvf;
    o->keys = keys;
    o->n_keys = n_keys;
    o->n_sets = n_sets > 0 ? n_sets : 1;
    o->sets = sets;
    arena_init(&o->set_arena, 1024);
    if (o->n_sets > 1) {
        o->null_vecs = mem_calloc((size_t)n_keys + 1, sizeof(struct vec));
        for (int k = 0; k < n_keys; k++) {
            vec_init(&o->null_vecs[k], keys[k]->type, BATCH_CAP, &o->set_arena);
            for (int r = 0; r < BATCH_CAP; r++)
                vec_set_null(&o->null_vecs[k], r);
        }
        o->set_vecs = mem_calloc((size_t)o->n_sets, sizeof(struct vec));
        for (int q = 0; q < o->n_sets; q++) {
            vec_init(&o->set_vecs[q], &type_bigint, BATCH_CAP, &o->set_arena);
            for (int r = 0; r < BATCH_CAP; r++)
                o->set_vecs[q].i64[r] = q;
        }
        vec_init(&o->set_out, &type_bigint, 1, &o->set_arena);
        o->set_out.cap = BATCH_CAP;   /* decode writes row r: size it for a batch */
        mem_free(o->set_out.data);
        o->set_out.data = mem_calloc(BATCH_CAP, sizeof(int64_t));
        o->enc = mem_calloc((size_t)n_keys + 2, sizeof(*o->enc));
    }
    /* DISTINCT aggregates over the same arguments share one set (a DAU
     * window's COUNT(DISTINCT user) FILTER variants) */
    if ((o->own_aggs = agg_share_copy(aggs, n_aggs)) != NULL)
        aggs = o->own_aggs;
    o->aggs = aggs;
    o->n_aggs = n_aggs;
    o->n_out = n_out;
    o->wm = WM_NONE;
    o->acc_off = mem_calloc((size_t)(n_aggs + 1), sizeof(size_t));
    size_t off = ACC_BASE;
    for (int a = 0; a < n_aggs; a++) {
        o->acc_off[a] = off;
        off += (aggs[a].acc_size + 15) & ~(size_t)15;   /* 16-byte aligned (__int128) */
        o->heap_aggs |= aggs[a].ops->mem_size != NULL;
    }
    if (o->own_aggs)
        agg_share_place(o->own_aggs, n_aggs, o->acc_off);
    bool sessions = w->kind == WIN_SESSION && !tvf && !w->assigned;
    o->value_size = sessions ? sizeof(struct sess_list) : off;
    if (sessions) {
        o->sessions = state_table_new(sizeof(struct sess_list), 128);
        o->value_size = off;   /* per-session accumulators */
    }
    o->out = batch_new(n_out, out_types);
    sb_reserve(&o->key, 64);   /* a key with no columns is 0 bytes, never a NULL pointer */
    o->max_par = 128;
    o->fingerprint = shape_fingerprint(o);
    o->key_vecs = mem_calloc((size_t)(n_keys + 1), sizeof(*o->key_vecs));
    o->arg_vecs = mem_calloc((size_t)n_aggs + 1, sizeof(*o->arg_vecs));
    o->filters = mem_calloc((size_t)n_aggs + 1, sizeof(*o->filters));
    for (int a = 0; a < n_aggs; a++)
        o->arg_vecs[a] = mem_calloc((size_t)aggs[a].n_args + 1, sizeof(struct vec));
    return &o->op;
}
