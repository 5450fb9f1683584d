/*
 * op_join.c — the regular (unbounded) equi-join: INNER, LEFT, RIGHT, FULL,
 * over insert-only or updating inputs (Flink's StreamingJoinOperator).
 *
 * Each side keeps its rows in keyed state: join key -> a multiset of rows
 * (encoded with state_key_encode; count for duplicates; for an outer side,
 * how many rows of the other side each is joined with).  A row arriving on one
 * side is added to (or retracted from) its own state and probes the other
 * side's rows of its key.  The residual condition (the non-equality part of
 * ON) is evaluated a chunk of candidate pairs at a time, vectorised.
 *
 * The changelog, in input order:
 *   accumulate (+I/+U) of a row: +I(l, r) for every match; for an outer
 *     side's stored row that had no match yet, -D(padded) first; an outer
 *     row with no match at all: +I(row, nulls);
 *   retract (-U/-D): -D(l, r) for every match; a stored outer row losing its
 *     last match gets +I(padded) back; an unmatched outer row: -D(row, nulls).
 * NULL keys never join (SQL equality); their rows are only padded by outer
 * joins.  State is kept until retracted, or with table.exec.state.ttl until
 * a row was not written for the TTL (Flink keeps a TTL per stored row: its
 * count, or for an outer or semi join's row its match count, changing is a
 * write).  An expired row is gone without output and no longer matches.
 * Each key's rows share one live entry in the side's queue, at the earliest
 * deadline among them (rows expiring on access before it are dropped then).
 *
 * Semi and anti joins (IN / EXISTS / INTERSECT; NOT IN / NOT EXISTS /
 * EXCEPT) emit only left columns, as Flink's StreamingSemiAntiJoinOperator:
 * a left row passes with its own row kind when it has a match (semi) or none
 * (anti); the stored `matches` count of each left row (right records meeting
 * it, duplicates included) drives the rest like an outer side's padding: the
 * first match of a stored left row emits it with the right row's kind (semi)
 * or -D (anti), losing the last one emits it with the right row's kind
 * (semi) or +I (anti).  A semi/anti join may have no keys (a condition only,
 * e.g. NOT IN's `x IS NULL OR y IS NULL OR x = y`): then all rows share the
 * empty key, and the exchange sends them to one instance.  With null-safe
 * keys (IS NOT DISTINCT FROM, for INTERSECT / EXCEPT) NULL meets NULL.
 *
 * Interval joins (op_join_interval; Flink's IntervalJoin) use the same state
 * and probing over insert-only inputs whose rowtimes ON bounds:
 * lt - rt in [lower, upper].  A left row can meet future right rows (rt >
 * watermark) only while lt - lower > watermark, a right row while rt + upper >
 * watermark; past that it expires (keyed timers find it; a logged side's rows
 * go a chunk of its log at a time, see logged), and an outer row
 * that never matched is emitted NULL-padded then — once, so the output stays
 * insert-only.  The output watermark is held back by max(-lower, upper, 0),
 * since a row emitted at expiry is that much older than the watermark.
 *
 * Window joins (op_join_window; Flink's WindowJoin) are interval joins whose
 * rows can only meet rows of their own window: ON equates both sides'
 * window_start and window_end (they stay among the keys), so a row expires
 * when the watermark reaches its window's last instant, window_end - 1, and
 * the output watermark is not held back.  A pair is emitted as soon as both
 * rows are there (Flink waits for the window's end: the same rows, sooner);
 * what depends on the window being complete waits for it: outer rows that
 * never matched are padded, and an anti join's unmatched left rows pass,
 * when they expire.  A row arriving for a window that has ended is late:
 * counted and dead-lettered (Flink drops it).
 *
 * Bounded joins (op_join_bound; weir's own) are regular joins over
 * insert-only inputs whose ON bounds lt - rt as an interval join's does, but
 * where only one side's time column is known never to fall behind its
 * input's watermark (a window aggregation's window_end: Nexmark q7).  The
 * rows of the opposite side expire as in an interval join, judged against
 * the watermark of the window_end side's own inputs (nothing expires while
 * one of them idles), and go without output: nothing can meet them any more
 * and nothing retracts them, so the changelog is the regular join's.  Flink
 * keeps them for ever.
 *
 * Rows of insert-only sides are stored packed, and past a memory budget in
 * a spill file: see "packed sides" below.
 *
 * Checkpoints: each key of each side is one record in the key's group (the
 * rows with their counts, match counts and expiries), so a restore with
 * another parallelism hands every key to the instance that receives its rows
 * now; interval joins add one operator record with their watermark.  Timers
 * are not saved: restore queues one per key at its earliest expiry, which is
 * all a live key ever needs (older heap entries would only be stale ones).
 */
#include "exec/op_join.h"
#include "core/datetime.h"
#include "exec/opstate.h"
#include "state/snapshot.h"
#include "core/varint.h"
#include "state/chainlog.h"
#include "state/spill.h"
#include "state/table.h"
#include "state/timers.h"

#include <stddef.h>
#include <string.h>

#define NULL_KEY_MARK '\xff'       /* see finalize_row */

struct jrow {
    char *bytes;                   /* the encoded row (all the side's columns) */
    uint32_t len;
    int32_t count;                 /* duplicates */
    int32_t matches;               /* rows of the other side joined with it */
    int64_t expire;                /* interval joins: the watermark that retires it */
    int64_t written;               /* last write (table.exec.state.ttl) */
};

struct jlist {
    union {                        /* first: a logged key's slot is its head */
        struct jrow *rows;
        unsigned char *buf;        /* a packed side's records (see packed) */
        uint64_t head;             /* a logged side: its newest record */
    };
    int n, cap;                    /* rows; room (rows, or bytes when packed) */
    bool queued;                   /* interval joins: the key has a timer at */
    uint32_t used;                 /* packed: bytes of buf in use */
    int64_t queued_at;             /*   most its rows' earliest expiry; regular
                                      joins with a TTL: its TTL queue entry */
};

_Static_assert(offsetof(struct jlist, head) == 0, "chainlog: a logged key's head is its slot");

struct side {
    struct state_table *state;     /* key -> struct jlist */
    struct expr **keys;
    int n_cols;
    bool outer;                    /* unmatched rows are kept, NULL-padded */
    const struct vec **key_vecs;
    const struct sql_type **types; /* the side's columns, to check restored rows */
    const struct sql_type **key_types;
    bool insert_only;              /* the input never retracts: rows are not
                                      looked up again, so duplicates are not
                                      merged (a linear search per row made
                                      joins on wide keys quadratic) */
    int time_col;                  /* interval joins: this side's rowtime */
    struct timers timers;          /* interval joins: (expiry, key); regular
                                      joins: (TTL deadline, key) */
    struct spill *spill;           /* packed rows past the budget (or NULL) */
    int64_t in_memory;             /* packed: bytes of the records in memory */
    struct chainlog log;           /* a logged side's records (see logged) */
    uint64_t dead_end;             /*   its spill file's bytes before it are dead */
};

struct pair {
    int k;                         /* which input row (index into the row list) */
    struct jrow *other;
};

struct op_join {
    struct op op;
    struct side side[2];
    int n_keys;
    struct expr *residual;         /* over [left, right] */
    int n_left_ports;              /* input ports < this are the left side */
    struct batch *chunk;           /* candidate joined rows [left, right] */
    struct pair *pairs;
    int n_pairs;
    struct batch *out;
    struct strbuf key, row;
    struct strbuf row_key;         /* a NULL key, before its marker */
    struct vec **dec;              /* decode targets (column pointers) */
    /* the rows of the batch being processed */
    int *rows;                     /* batch row */
    int *n_cand, *matched;
    int n_rows, cap_rows;
    bool semi;                     /* semi or anti: left columns only */
    bool anti;                     /*   the left rows without a match */
    bool null_safe;                /* keys match NULL to NULL */
    bool interval;                 /* see the top of the file */
    bool window;                   /*   (a window join is an interval join) */
    bool bounded[2];               /* a regular join whose side's rows expire:
                                      see op_join_bound */
    int64_t lower, upper, delay;
    int64_t wm;                    /* the last input watermark (interval joins) */
    int64_t side_wm[2];            /* bounded joins: each side's watermark
                                      (WM_NONE while a port has none or idles) */
    int64_t other_wm;              /*   the other side's, for the batch pushed
                                      (from the ports: restored with them) */
    int64_t heap;                  /* bytes of the rows and row arrays (out of
                                      the state tables' slots) */
    char *spill_dir;               /* where spill files go (NULL: never) */
    int64_t spill_at;              /* per side: packed bytes kept in memory */
    struct jrow *views;            /* packed rows met by the chunk's pairs */
    struct strbuf read;            /* a spilled row read back */
    uint64_t *chain, *wchain;      /* a logged key's rows: probed; written by a
                                      snapshot (which may run amid a probe) */
    int chain_cap, wchain_cap;
    struct weir_error io_err;      /* a spill file failed (sticky) */
    int max_parallelism;           /* key groups of the state tables */
    uint32_t fingerprint;          /* of the shape, in checkpoint records */
    bool fp_done;
    struct op_ttl ttl;             /* regular joins (its queue unused: per side) */
};

/* ---- output -------------------------------------------------------------------- */

static int flush_out(struct op_join *o, struct eval_ctx *ctx, struct weir_error *err)
{
    if (o->out->n == 0)
        return WEIR_OK;
    int rc = op_emit(&o->op, o->out, ctx, err);
    batch_reset(o->out);
    return rc;
}

static int out_reserve(struct op_join *o, struct eval_ctx *ctx, struct weir_error *err)
{
    return o->out->n >= BATCH_CAP ? flush_out(o, ctx, err) : WEIR_OK;
}

/* Appends chunk row c (a joined row) with the given kind, dup times. */
static int emit_joined(struct op_join *o, int c, enum row_kind kind, int dup,
                       struct eval_ctx *ctx, struct weir_error *err)
{
    for (int d = 0; d < dup; d++) {
        int rc = out_reserve(o, ctx, err);
        if (rc)
            return rc;
        int r = o->out->n++;
        for (int col = 0; col < o->out->n_cols; col++)
            vec_copy_row(&o->out->cols[col], r, &o->chunk->cols[col], c);
        batch_ensure_kinds(o->out);
        o->out->kinds[r] = (uint8_t)kind;
    }
    return WEIR_OK;
}

/* Appends a NULL-padded row: side s's values from row `row` of the vectors
 * src (that side's columns), the other side NULL. */
static int emit_padded(struct op_join *o, int s, struct vec *src, int row, enum row_kind kind,
                       int dup, struct eval_ctx *ctx, struct weir_error *err)
{
    int nl = o->side[0].n_cols;
    int base = s == 0 ? 0 : nl, n = o->side[s].n_cols;
    for (int d = 0; d < dup; d++) {
        int rc = out_reserve(o, ctx, err);
        if (rc)
            return rc;
        int r = o->out->n++;
        for (int col = 0; col < o->out->n_cols; col++) {
            if (col >= base && col < base + n)
                vec_copy_row(&o->out->cols[col], r, &src[col - base], row);
            else
                vec_set_null(&o->out->cols[col], r);
        }
        batch_ensure_kinds(o->out);
        o->out->kinds[r] = (uint8_t)kind;
    }
    return WEIR_OK;
}

/* A stored row of side s, decoded into chunk row c's columns of that side. */
static void decode_into_chunk(struct op_join *o, int s, const struct jrow *jr, int c)
{
    int nl = o->side[0].n_cols, base = s == 0 ? 0 : nl;
    for (int i = 0; i < o->side[s].n_cols; i++)
        o->dec[i] = &o->chunk->cols[base + i];
    state_key_decode(jr->bytes, jr->len, o->dec, o->side[s].n_cols, c);
}

/* ---- state ---------------------------------------------------------------------- */

static struct jrow *find_row(struct jlist *l, const char *bytes, size_t len)
{
    for (int i = 0; i < l->n; i++)
        if (l->rows[i].len == len && memcmp(l->rows[i].bytes, bytes, len) == 0)
            return &l->rows[i];
    return NULL;
}

/* Room for need rows in l (most keys of a join on a near-unique column,
 * Nexmark q7's prices, hold one row). */
static void rows_reserve(struct op_join *o, struct jlist *l, int need)
{
    o->heap += MEM_GROW_SMALL(l->rows, l->cap, need);
}

/* Frees a stored row's bytes / a key's row array (kept count of in heap). */
static void row_bytes_free(struct op_join *o, struct jrow *jr)
{
    o->heap -= jr->len;
    mem_free(jr->bytes);
}

static void rows_free(struct op_join *o, struct jlist *l)
{
    o->heap -= (int64_t)l->cap * (int64_t)sizeof(*l->rows);
    mem_free(l->rows);
}

static bool ttl_on(const struct op_join *o)
{
    return o->ttl.ttl_us > 0 && !o->interval;
}

/* Whether side s's stored rows carry an expiry and a timer.  A bounded side
 * gives way to a TTL (both would queue the side's keys). */
static bool expires(const struct op_join *o, int s)
{
    return o->interval || (o->bounded[s] && !ttl_on(o));
}

/* ---- packed sides ------------------------------------------------------------------- */

/*
 * A side none of whose rows needs the counts of a jrow -- insert-only (each
 * row is stored once and never looked up again), not outer and not the left
 * of a semi/anti join (no match counts), no TTL (no write times) -- keeps
 * its rows as packed records
 *     varint (len << 1 | spilled), then the row's len bytes, or the u64
 *     offset of them in its spill file
 * instead of an allocation per row behind a 40-byte header (Nexmark q4 and
 * q20 store 9.2M bids).  A side whose rows never expire keeps each key's
 * records in one buffer; a side whose rows expire is logged (see logged).
 * With a spill directory (weir.state.spill.threshold), the bytes of a row
 * go to the side's spill file and only their offset stays: every row of a
 * side whose rows never expire (such a side outgrows any memory; the file
 * keeps its newest rows in memory as far as the join's share of the
 * threshold allows, fit_tails), and the rows of an expiring side once its
 * rows in memory reach spill_at.  Rows are probed through views: jrows made
 * for the chunk's pairs, counting once, matched by nothing.
 */
static bool packed(const struct op_join *o, int s)
{
    const struct side *sd = &o->side[s];
    return sd->insert_only && !sd->outer && !(o->semi && s == 0) && !ttl_on(o);
}

/*
 * A packed side whose rows expire (interval, window and bounded joins: they
 * come about in time order and go in it) keeps its records in one chainlog
 * (state/chainlog.h), the expiry in the log's header: a key's slot holds
 * the position of its newest record, and the rows go a chunk at a time
 * once the watermark passes the chunk's latest expiry, the slot with its
 * key's last row.  No buffer, timer or lookup per key: Nexmark q7 keeps
 * every bid of 10 s by price.
 */
static bool logged(const struct op_join *o, int s)
{
    return packed(o, s) && expires(o, s);
}

struct prec {
    uint32_t len;
    bool spilled;
    int64_t expire;                /* logged sides */
    const unsigned char *data;     /* the row's bytes, or its u64 offset */
};

static const unsigned char *prec_next(const unsigned char *p, struct prec *r)
{
    uint64_t v;
    p = varint_get(p, &v);
    r->len = (uint32_t)(v >> 1);
    r->spilled = v & 1;
    r->expire = 0;
    r->data = p;
    return p + (r->spilled ? 8 : r->len);
}

/* The rows of a packed key, oldest first: a buffer's records in order, or
 * a logged key's chain (read newest first into positions, then reversed). */
struct prow_iter {
    const struct chainlog *log;    /* logged */
    const uint64_t *chain;
    int i, n;
    const unsigned char *p, *end;  /* a buffer */
};

/* Starts it over l's rows in side s; a logged chain ends below floor (a
 * snapshot's walk reads as of its barrier), its positions go to *chain. */
static void prow_begin(const struct op_join *o, int s, const struct jlist *l, uint64_t floor,
                       uint64_t **chain, int *cap, struct prow_iter *it)
{
    *it = (struct prow_iter){0};
    if (!logged(o, s)) {
        it->p = l->buf;
        it->end = l->buf + l->used;
        it->n = l->n;
        return;
    }
    const struct chainlog *log = &o->side[s].log;
    struct cl_rec c;
    int n = 0;
    for (uint64_t pos = l->head; chainlog_read(log, pos, floor, &c); pos = c.prev) {
        MEM_GROW(*chain, *cap, n + 1);
        (*chain)[n++] = pos;
    }
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        uint64_t t = (*chain)[i];
        (*chain)[i] = (*chain)[j];
        (*chain)[j] = t;
    }
    it->log = log;
    it->chain = *chain;
    it->n = n;
}

static bool prow_next(struct prow_iter *it, struct prec *r)
{
    if (it->log == NULL) {
        if (it->p >= it->end)
            return false;
        it->p = prec_next(it->p, r);
        return true;
    }
    struct cl_rec c;
    if (it->i >= it->n)
        return false;
    chainlog_read(it->log, it->chain[it->i++], 0, &c);
    prec_next(c.data, r);
    r->expire = c.expire;
    return true;
}

/* Appends a row to a packed side's key; its bytes go to the spill file once
 * the side's budget is used (a failing file is reported by io_failed, the
 * row kept in memory meanwhile). */
static void packed_add(struct op_join *o, int s, struct jlist *l, const char *row, size_t len,
                       int64_t expire)
{
    struct side *sd = &o->side[s];
    uint64_t off = 0;
    bool spilled = false;
    if (o->spill_dir && o->io_err.code == 0 &&
        (!expires(o, s) || sd->in_memory + (int64_t)len > o->spill_at)) {
        char what[300] = "";
        if (sd->spill == NULL)   /* names the file in its errors */
            snprintf(what, sizeof what, "%s (%s side)", o->op.label ? o->op.label : "a join",
                     s == 0 ? "left" : "right");
        spilled = spill_append_lazy(&sd->spill, o->spill_dir, what, row, len, &off,
                                    &o->io_err) == WEIR_OK;
    }
    uint64_t word = (uint64_t)len << 1 | spilled;
    size_t need = (size_t)varint_len(word) + (spilled ? 8 : len);
    unsigned char *p;
    if (logged(o, s)) {
        p = chainlog_append(&sd->log, &l->head, expire, need);
    } else {
        if (l->used + need > (size_t)l->cap) {
            size_t cap = l->cap ? (size_t)l->cap + (size_t)l->cap / 2 : 32;
            if (cap < l->used + need)
                cap = l->used + need;
            l->buf = mem_realloc(l->buf, cap);
            o->heap += (int64_t)cap - l->cap;
            l->cap = (int)cap;
        }
        p = l->buf + l->used;
        l->used += (uint32_t)need;
        l->n++;
    }
    p = varint_put(p, word);
    if (spilled) {
        memcpy(p, &off, 8);
    } else {
        memcpy(p, row, len);
        sd->in_memory += (int64_t)len;
    }
}

/* A packed record's row bytes: in place, or read back into buf; NULL when
 * the spill file failed (o->io_err says how). */
static const char *prec_bytes(struct op_join *o, int s, const struct prec *r,
                              struct strbuf *buf)
{
    return spill_bytes(o->side[s].spill, r->spilled, r->data, r->len, buf, &o->io_err);
}

/* A spill file failed: the operator fails with it. */
static int io_failed(struct op_join *o, struct weir_error *err)
{
    if (o->io_err.code == 0)
        return WEIR_OK;
    return err_set(err, o->io_err.code, "%s", o->io_err.message);
}

/* Drops l's rows whose TTL ran out (they are absent: NeverReturnExpired);
 * the caller deletes the key if none remain. */
static void purge_expired(struct op_join *o, struct jlist *l)
{
    if (!ttl_on(o))
        return;
    int m = 0;
    int64_t gone = 0;
    for (int i = 0; i < l->n; i++) {
        if (op_ttl_expired(&o->ttl, l->rows[i].written)) {
            gone += l->rows[i].count;
            row_bytes_free(o, &l->rows[i]);
        } else {
            l->rows[m++] = l->rows[i];
        }
    }
    l->n = m;
    if (gone)
        atomic_fetch_add_explicit(&o->op.expired, gone, memory_order_relaxed);
}

/* The key's list in side s, without its expired rows (NULL: none left). */
static struct jlist *get_live(struct op_join *o, int s, const char *key, size_t len,
                              uint64_t h)
{
    struct jlist *l = state_table_get(o->side[s].state, key, len, h);
    if (l == NULL || !ttl_on(o))
        return l;
    purge_expired(o, l);
    if (l->n > 0)
        return l;
    rows_free(o, l);
    state_table_delete(o->side[s].state, key, len, h);
    return NULL;
}

/* The key's one live timer (TTL deadline or expiry) is due no later than
 * `when`: a new entry if it is earlier than the queued one. */
static void queue_key(struct side *sd, struct jlist *l, int64_t when, uint64_t h,
                      const char *key, size_t len)
{
    if (l->queued && when >= l->queued_at)
        return;
    timers_push(&sd->timers, when, h, key, len);
    l->queued = true;
    l->queued_at = when;
}

static void state_add(struct op_join *o, int s, int matched, int64_t expire)
{
    struct side *sd = &o->side[s];
    bool inserted;
    uint64_t h = state_hash(o->key.buf, o->key.len);
    struct jlist *l = state_table_upsert(sd->state, o->key.buf, o->key.len, h, &inserted);
    if (packed(o, s)) {
        packed_add(o, s, l, o->row.buf, o->row.len, expire);   /* never with a TTL */
    } else {
        purge_expired(o, l);
        struct jrow *jr = sd->insert_only ? NULL : find_row(l, o->row.buf, o->row.len);
        if (jr) {
            jr->count++;
        } else {
            rows_reserve(o, l, l->n + 1);
            jr = &l->rows[l->n++];
            jr->bytes = mem_strndup(o->row.buf, o->row.len);
            o->heap += (int64_t)o->row.len;
            jr->len = (uint32_t)o->row.len;
            jr->count = 1;
            jr->matches = matched;
            jr->expire = expire;
        }
        jr->written = o->ttl.now;
    }
    if (ttl_on(o))   /* unless the clock went back, due no later than this row */
        queue_key(sd, l, op_ttl_deadline(&o->ttl, o->ttl.now), h, o->key.buf, o->key.len);
    if (expires(o, s) && !logged(o, s))
        queue_key(sd, l, expire, h, o->key.buf, o->key.len);
}

/* Interval joins: when row i of side s stops being able to meet rows of the
 * other side (INT64_MIN: a NULL time never meets any). */
static int64_t row_expiry(const struct op_join *o, int s, const struct batch *b, int i)
{
    const struct vec *t = &b->cols[o->side[s].time_col];
    if (vec_is_null(t, i))
        return INT64_MIN;
    int64_t ts = t->i64[i];
    if (o->window)   /* window_end: the window's last instant */
        return ts == INT64_MIN ? ts : ts - 1;
    if (s == 0)
        return o->lower > 0 && ts < INT64_MIN + o->lower ? INT64_MIN : ts - o->lower;
    return o->upper > 0 && ts > INT64_MAX - o->upper ? INT64_MAX : ts + o->upper;
}

static void state_retract(struct op_join *o, int s)
{
    if (packed(o, s))
        return;   /* insert-only: nothing is ever retracted */
    struct side *sd = &o->side[s];
    uint64_t h = state_hash(o->key.buf, o->key.len);
    struct jlist *l = get_live(o, s, o->key.buf, o->key.len, h);
    if (l == NULL)
        return;
    struct jrow *jr = find_row(l, o->row.buf, o->row.len);
    if (jr == NULL)
        return;
    jr->written = o->ttl.now;
    if (--jr->count > 0)
        return;
    row_bytes_free(o, jr);
    *jr = l->rows[--l->n];
    if (l->n == 0) {
        rows_free(o, l);
        state_table_delete(sd->state, o->key.buf, o->key.len, h);
    }
}

/* The key of batch row i of side s (false: a key column is NULL). */
static bool encode_key(struct op_join *o, int s, int i)
{
    for (int k = 0; k < o->n_keys && !o->null_safe; k++)
        if (vec_is_null(o->side[s].key_vecs[k], i))
            return false;
    state_key_encode(&o->key, o->side[s].key_vecs, o->n_keys, i);
    return true;
}

static void encode_row(struct op_join *o, struct batch *b, int i)
{
    const struct vec *cols[256];
    int n = b->n_cols < 256 ? b->n_cols : 256;
    for (int c = 0; c < n; c++)
        cols[c] = &b->cols[c];
    state_key_encode(&o->row, cols, n, i);
}

/* ---- processing ------------------------------------------------------------------- */

static void settle_state(struct op_join *o);
static int64_t side_watermark(const struct op_join *o, int s);

static bool is_accumulate(enum row_kind k) { return k == RK_INSERT || k == RK_UPDATE_AFTER; }

/* Window joins: row i of b (side s) came after its window ended. */
static void late_row(struct op_join *o, int s, struct batch *b, int i)
{
    char end[64], wm[64];
    dt_fmt_ts_java(end, b->cols[o->side[s].time_col].i64[i]);
    dt_fmt_ts_java(wm, o->wm);
    struct strbuf reason = {0};
    sb_addf(&reason, "late: its window ended (window_end %s, watermark %s)", end, wm);
    op_late_row(&o->op, b, i, reason.buf);
    sb_free(&reason);
}

/* Input row k (of side s) is complete: pad it if outer and unmatched, then
 * update its side's state. */
static int finalize_row(struct op_join *o, int s, struct batch *b, int k, struct eval_ctx *ctx,
                        struct weir_error *err)
{
    int i = o->rows[k];
    enum row_kind kind = batch_kind(b, i);
    bool acc = is_accumulate(kind);
    int rc = WEIR_OK;
    int64_t expire = 0;
    if (o->interval) {
        /* insert-only input: the row is stored until it expires, and padded
         * then; one that expired on arrival (or has a NULL key) is done now */
        expire = row_expiry(o, s, b, i);
        if (o->window && expire <= o->wm) {
            late_row(o, s, b, i);
            return rc;
        }
        /* a window semi join passes a left row at its first match */
        if (o->semi && !o->anti && s == 0 && o->matched[k] > 0)
            rc = emit_padded(o, 0, b->cols, i, RK_INSERT, 1, ctx, err);
        if (expire <= o->wm || !encode_key(o, s, i)) {
            if (o->side[s].outer && o->matched[k] == 0)
                rc = emit_padded(o, s, b->cols, i, RK_INSERT, 1, ctx, err);
            return rc;
        }
        encode_row(o, b, i);
        state_add(o, s, o->matched[k], expire);
        return rc;
    }
    if (o->side[s].outer && o->matched[k] == 0)
        rc = emit_padded(o, s, b->cols, i, acc ? RK_INSERT : RK_DELETE, 1, ctx, err);
    /* a left row of a semi/anti join passes as it came (+I/-U/+U/-D) */
    if (o->semi && s == 0 && (o->matched[k] == 0) == o->anti)
        rc = emit_padded(o, 0, b->cols, i, kind, 1, ctx, err);
    bool has_key = encode_key(o, s, i);
    encode_row(o, b, i);
    if (!has_key) {
        /* NULL keys can never match: an outer side keeps the row (so it can
         * be retracted) under its key behind a marker byte that no encoded
         * key starts with, out of reach of probes; inner sides skip it */
        if (!o->side[s].outer)
            return rc;
        state_key_encode(&o->row_key, o->side[s].key_vecs, o->n_keys, i);
        sb_clear(&o->key);
        sb_addc(&o->key, NULL_KEY_MARK);
        sb_add(&o->key, o->row_key.buf, o->row_key.len);
    }
    if (acc && expires(o, s)) {
        /* a bounded side (insert-only): a row past its bound will never meet
         * another */
        expire = row_expiry(o, s, b, i);
        if (expire > o->other_wm)
            state_add(o, s, o->matched[k], expire);
    } else if (acc)
        state_add(o, s, o->matched[k], 0);
    else
        state_retract(o, s);
    return rc;
}

/* Evaluates the residual over the chunk and emits the pairs in order,
 * finalizing every row before the pairs of later rows. */
static int process_chunk(struct op_join *o, int s, struct batch *b, int *next_row,
                         int upto_row, struct eval_ctx *ctx, struct weir_error *err)
{
    int rc = WEIR_OK;
    const struct vec *pass = NULL;
    if (o->residual && o->n_pairs > 0) {
        o->chunk->n = o->n_pairs;
        o->chunk->sel = NULL;
        if ((rc = expr_eval(o->residual, ctx, o->chunk, &pass, err)))
            return rc;
    }
    int os = 1 - s;
    for (int p = 0; p < o->n_pairs && rc == WEIR_OK; p++) {
        struct pair *pr = &o->pairs[p];
        while (*next_row < pr->k && rc == WEIR_OK)
            rc = finalize_row(o, s, b, (*next_row)++, ctx, err);
        if (rc)
            break;
        if (pass && (vec_is_null(pass, p) || !pass->b[p]))
            continue;
        struct jrow *jr = pr->other;
        enum row_kind kind = batch_kind(b, o->rows[pr->k]);
        /* every duplicate of the stored row is a record met (as Flink counts
         * associations): retracting one of two must not look like the last */
        o->matched[pr->k] += jr->count;
        if (o->side[os].outer || (o->semi && os == 0))
            jr->written = o->ttl.now;   /* its match count is written (Flink) */
        if (o->semi) {
            /* a right row: the stored left row flips with its first match and
             * with its last (semi: in the right row's kind; anti: -D, +I); a
             * left row is settled in finalize_row */
            if (s == 1 && is_accumulate(kind)) {
                /* a window anti join decides when the window ends */
                if (jr->matches++ == 0 && !(o->window && o->anti))
                    rc = emit_padded(o, 0, o->chunk->cols, p, o->anti ? RK_DELETE : kind,
                                     jr->count, ctx, err);
            } else if (s == 1) {
                if (--jr->matches == 0)
                    rc = emit_padded(o, 0, o->chunk->cols, p, o->anti ? RK_INSERT : kind,
                                     jr->count, ctx, err);
            }
            continue;
        }
        if (is_accumulate(kind)) {
            if (o->side[os].outer && jr->matches == 0 && !o->interval) {
                /* its padded row goes: it has a match now */
                int nl = o->side[0].n_cols, base = os == 0 ? 0 : nl;
                rc = emit_padded(o, os, &o->chunk->cols[base], p, RK_DELETE, jr->count, ctx, err);
            }
            if (rc == WEIR_OK)
                rc = emit_joined(o, p, RK_INSERT, jr->count, ctx, err);
            jr->matches++;
        } else {
            rc = emit_joined(o, p, RK_DELETE, jr->count, ctx, err);
            jr->matches--;
            if (rc == WEIR_OK && o->side[os].outer && jr->matches == 0) {
                int nl = o->side[0].n_cols, base = os == 0 ? 0 : nl;
                rc = emit_padded(o, os, &o->chunk->cols[base], p, RK_INSERT, jr->count, ctx, err);
            }
        }
    }
    /* rows whose candidates all fit in this chunk are complete */
    while (rc == WEIR_OK && *next_row < upto_row)
        rc = finalize_row(o, s, b, (*next_row)++, ctx, err);
    o->n_pairs = 0;
    batch_reset(o->chunk);
    return rc;
}

/* Pairs batch row i (the k-th live one, of side s) with the rows of a
 * packed key of the other side, through views. */
static int probe_packed(struct op_join *o, int s, struct batch *b, int k, int i,
                        const struct jlist *l, int *next_row, struct eval_ctx *ctx,
                        struct weir_error *err)
{
    int os = 1 - s, nl = o->side[0].n_cols, base = s == 0 ? 0 : nl;
    struct prow_iter it;
    prow_begin(o, os, l, chainlog_floor(&o->side[os].log), &o->chain, &o->chain_cap, &it);
    int rc = WEIR_OK;
    struct prec r;
    while (rc == WEIR_OK && prow_next(&it, &r)) {
        if (o->n_pairs == BATCH_CAP && (rc = process_chunk(o, s, b, next_row, k, ctx, err)))
            break;
        const char *bytes = prec_bytes(o, os, &r, &o->read);
        if (bytes == NULL)
            return io_failed(o, err);
        int pi = o->n_pairs++;
        struct jrow *v = &o->views[pi];
        *v = (struct jrow){(char *)bytes, r.len, 1, 0, r.expire, 0};
        o->pairs[pi] = (struct pair){k, v};
        for (int col = 0; col < o->side[s].n_cols; col++)
            vec_copy_row(&o->chunk->cols[base + col], pi, &b->cols[col], i);
        decode_into_chunk(o, os, v, pi);
        v->bytes = NULL;   /* decoded; o->read is reused */
        o->n_cand[k]++;
    }
    return rc;
}

static int join_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                     struct weir_error *err)
{
    struct op_join *o = (struct op_join *)op;
    int s = port < o->n_left_ports ? 0 : 1, os = 1 - s;
    struct side *sd = &o->side[s];
    int rc;
    for (int k = 0; k < o->n_keys; k++)
        if ((rc = expr_eval(sd->keys[k], ctx, b, &sd->key_vecs[k], err)))
            return rc;
    int n = batch_live(b);
    if (n > o->cap_rows) {
        o->cap_rows = n;
        o->rows = mem_realloc(o->rows, (size_t)n * sizeof(int));
        o->n_cand = mem_realloc(o->n_cand, (size_t)n * sizeof(int));
        o->matched = mem_realloc(o->matched, (size_t)n * sizeof(int));
    }
    o->n_rows = n;
    int nl = o->side[0].n_cols, base = s == 0 ? 0 : nl;
    int next_row = 0;
    op_ttl_clock(&o->ttl);
    if (!o->interval && expires(o, s))
        o->other_wm = side_watermark(o, os);
    rc = WEIR_OK;
    for (int k = 0; k < n && rc == WEIR_OK; k++) {
        int i = batch_row(b, k);
        o->rows[k] = i;
        o->matched[k] = 0;
        o->n_cand[k] = 0;
        if (!encode_key(o, s, i))
            continue;
        /* the purge moves no row that an earlier pair of this batch points
         * at: those were purged as of the same time */
        struct jlist *l = get_live(o, os, o->key.buf, o->key.len,
                                   state_hash(o->key.buf, o->key.len));
        if (o->semi && s == 0 && o->residual == NULL) {
            /* only whether it has matches counts: no pairs to decode */
            if (l && packed(o, os)) {
                struct prow_iter it;
                prow_begin(o, os, l, chainlog_floor(&o->side[os].log), &o->chain,
                           &o->chain_cap, &it);
                o->matched[k] += it.n;
            } else {
                for (int c = 0; l && c < l->n; c++)
                    o->matched[k] += l->rows[c].count;
            }
            continue;
        }
        if (l && packed(o, os)) {
            rc = probe_packed(o, s, b, k, i, l, &next_row, ctx, err);
            continue;
        }
        for (int c = 0; l && c < l->n && rc == WEIR_OK; c++) {
            if (o->n_pairs == BATCH_CAP)
                rc = process_chunk(o, s, b, &next_row, k, ctx, err);
            if (rc)
                break;
            int p = o->n_pairs++;
            o->pairs[p] = (struct pair){k, &l->rows[c]};
            for (int col = 0; col < sd->n_cols; col++)
                vec_copy_row(&o->chunk->cols[base + col], p, &b->cols[col], i);
            decode_into_chunk(o, os, &l->rows[c], p);
            o->n_cand[k]++;
        }
    }
    if (rc == WEIR_OK)
        rc = process_chunk(o, s, b, &next_row, n, ctx, err);
    settle_state(o);
    if (rc == WEIR_OK)
        rc = io_failed(o, err);
    if (rc == WEIR_OK)
        rc = flush_out(o, ctx, err);
    return rc;
}

/* The spill files keep in memory what the join's share of the threshold
 * (two sides' worth) leaves after the rest of its state: the rows written
 * last, which the rows arriving now meet (a live auction). */
static void fit_tails(struct op_join *o, int64_t rest)
{
    int files = (o->side[0].spill != NULL) + (o->side[1].spill != NULL);
    for (int s = 0; s < 2 && o->io_err.code == 0; s++)
        if (o->side[s].spill)
            spill_fit_tail(o->side[s].spill, 2 * o->spill_at, rest, files, &o->io_err);
}

/* After the state changed: the spill tails fitted to the join's share, then
 * the state metrics published. */
static void settle_state(struct op_join *o)
{
    int64_t keys = 0, bytes = 0;
    for (int s = 0; s < 2; s++) {
        keys += state_table_count(o->side[s].state);
        bytes += state_table_bytes(o->side[s].state) + timers_bytes(&o->side[s].timers) +
                 o->side[s].log.bytes;
    }
    bytes += o->heap;
    fit_tails(o, bytes);
    int64_t disk = 0;
    for (int s = 0; s < 2; s++) {
        bytes += (int64_t)spill_mem_bytes(o->side[s].spill);
        disk += (int64_t)spill_disk_bytes(o->side[s].spill);
    }
    atomic_store_explicit(&o->op.state_disk, disk, memory_order_relaxed);
    atomic_store_explicit(&o->op.state_keys, keys, memory_order_relaxed);
    atomic_store_explicit(&o->op.state_bytes, bytes, memory_order_relaxed);
}

/* A logged side's record leaving with its chunk: the last of its key takes
 * the key's slot along.  A logged side's rows go to its spill file in the
 * order of the log (a row moved to the end of the log is written again), so
 * the file's bytes before the end of the last row gone are dead. */
struct retire {
    struct op_join *o;
    int s;
};

static void retire_rec(void *ctx, const struct cl_rec *c)
{
    const struct retire *rt = ctx;
    struct op_join *o = rt->o;
    struct side *sd = &o->side[rt->s];
    struct prec r;
    prec_next(c->data, &r);
    if (c->moved) {
        /* still live, at the end of the log: a spilled row's bytes go to the
         * end of the file too (in memory, they moved with the record) */
        const char *bytes = r.spilled ? prec_bytes(o, rt->s, &r, &o->read) : NULL;
        uint64_t off;
        if (bytes && spill_append(sd->spill, bytes, r.len, &off, &o->io_err) == WEIR_OK)
            memcpy(c->moved + (r.data - c->data), &off, 8);
        return;
    }
    if (r.spilled) {
        uint64_t off;
        memcpy(&off, r.data, 8);
        if (off + r.len > sd->dead_end)
            sd->dead_end = off + r.len;
    } else {
        sd->in_memory -= r.len;
    }
    if (c->last)   /* its head is its key's slot */
        state_table_delete_value(sd->state, c->head);
}

/* Interval joins: retires the rows of side s that expire at or before wm,
 * padding the outer side's unmatched ones.  A bounded side's rows go
 * without output: a regular join padded them when they came. */
static int expire_side(struct op_join *o, int s, int64_t wm, struct eval_ctx *ctx,
                       struct weir_error *err)
{
    struct side *sd = &o->side[s];
    if (logged(o, s)) {
        /* a snapshot still writing this side's keys reads their chains as
         * they were: it keeps the chunks */
        struct retire rt = {o, s};
        bool walking = state_table_walking(sd->state);
        chainlog_expire(&sd->log, wm, walking, retire_rec, &rt);
        if (!walking)   /* (the walk may still read the rows gone meanwhile) */
            spill_discard(sd->spill, sd->dead_end);
        return WEIR_OK;
    }
    int nl = o->side[0].n_cols, base = s == 0 ? 0 : nl;
    struct timer t;
    int rc = WEIR_OK;
    while (rc == WEIR_OK && timers_pop_due(&sd->timers, wm, &t)) {
        struct jlist *l = state_table_get(sd->state, t.key, t.key_len, t.hash);
        if (l == NULL) {
            timer_done(&t);
            continue;
        }
        int m = 0;
        int64_t next = INT64_MAX;
        for (int i = 0; i < l->n; i++) {
            struct jrow *jr = &l->rows[i];
            if (jr->expire > wm) {
                if (jr->expire < next)
                    next = jr->expire;
                l->rows[m++] = *jr;
                continue;
            }
            if (o->interval && sd->outer && jr->matches == 0 && rc == WEIR_OK) {
                decode_into_chunk(o, s, jr, 0);
                rc = emit_padded(o, s, &o->chunk->cols[base], 0, RK_INSERT, jr->count, ctx, err);
                batch_reset(o->chunk);
            }
            row_bytes_free(o, jr);
        }
        l->n = m;
        if (m == 0) {
            rows_free(o, l);
            state_table_delete(sd->state, t.key, t.key_len, t.hash);
        } else if (t.time == l->queued_at) {
            /* the key's live timer: set the next one (a stale one only retires
             * what is due) */
            timers_push(&sd->timers, next, t.hash, t.key, t.key_len);
            l->queued_at = next;
        }
        timer_done(&t);
    }
    return rc;
}

/* Bounded joins: the watermark of side s's inputs; WM_NONE while one of them
 * has none yet or is idle (an idle input may come back behind the others:
 * its rows are only known to be ahead of its own watermark). */
static int64_t side_watermark(const struct op_join *o, int s)
{
    int from = s == 0 ? 0 : o->n_left_ports, to = s == 0 ? o->n_left_ports : o->op.n_inputs;
    int64_t min = WM_END;
    for (int p = from; p < to; p++) {
        int64_t w = o->op.in_wm[p];
        if (w == WM_IDLE || w == WM_NONE)
            return WM_NONE;
        if (w < min)
            min = w;
    }
    return min;
}

/* A bounded join passes the watermark on as a regular join does, after
 * dropping the rows of each bounded side that the other side's future rows
 * (ahead of that side's watermark) can no longer meet. */
static int bounded_watermark(struct op_join *o, int64_t wm, struct eval_ctx *ctx,
                             struct weir_error *err)
{
    int rc = WEIR_OK;
    for (int s = 0; s < 2 && rc == WEIR_OK; s++) {
        if (!expires(o, s))
            continue;
        int64_t other = wm == WM_END ? WM_END : side_watermark(o, 1 - s);
        if (other == WM_NONE || other <= o->side_wm[1 - s])
            continue;
        o->side_wm[1 - s] = other;
        rc = expire_side(o, s, other, ctx, err);
    }
    if (rc == WEIR_OK)
        rc = io_failed(o, err);
    settle_state(o);
    return rc ? rc : op_emit_watermark(&o->op, wm, ctx, err);
}

static int join_watermark(struct op *op, int64_t wm, struct eval_ctx *ctx, struct weir_error *err)
{
    struct op_join *o = (struct op_join *)op;
    if (!o->interval && wm != WM_IDLE && (expires(o, 0) || expires(o, 1)))
        return bounded_watermark(o, wm, ctx, err);
    if (!o->interval || wm == WM_IDLE)
        return op_emit_watermark(op, wm, ctx, err);
    if (wm > o->wm)
        o->wm = wm;
    int rc = expire_side(o, 0, wm, ctx, err);
    if (rc == WEIR_OK)
        rc = expire_side(o, 1, wm, ctx, err);
    if (rc == WEIR_OK)
        rc = flush_out(o, ctx, err);
    settle_state(o);
    if (rc)
        return rc;
    int64_t out = wm == WM_END ? WM_END : wm - o->delay;
    return op_emit_watermark(op, out, ctx, err);
}

/* Regular joins with a TTL: drops the rows whose TTL ran out, through the
 * keys whose queue entries are due. */
static int join_timer(struct op *op, int64_t now_us, struct eval_ctx *ctx,
                      struct weir_error *err)
{
    (void)ctx;
    (void)err;
    struct op_join *o = (struct op_join *)op;
    op_ttl_tick(&o->ttl, now_us);
    for (int s = 0; s < 2 && ttl_on(o); s++) {
        struct side *sd = &o->side[s];
        struct timer t;
        while (timers_pop_due(&sd->timers, o->ttl.now, &t)) {
            struct jlist *l = state_table_get(sd->state, t.key, t.key_len, t.hash);
            if (l == NULL || !l->queued || l->queued_at != t.time) {
                timer_done(&t);   /* stale: the key went (and maybe came back) */
                continue;
            }
            purge_expired(o, l);
            if (l->n == 0) {
                rows_free(o, l);
                state_table_delete(sd->state, t.key, t.key_len, t.hash);
            } else {
                int64_t next = INT64_MAX;
                for (int i = 0; i < l->n; i++) {
                    int64_t d = op_ttl_deadline(&o->ttl, l->rows[i].written);
                    if (d < next)
                        next = d;
                }
                timers_push(&sd->timers, next, t.hash, t.key, t.key_len);
                l->queued_at = next;
            }
            timer_done(&t);
        }
    }
    settle_state(o);
    return WEIR_OK;
}

static int join_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    struct op_join *o = (struct op_join *)op;
    /* the end of input retires every row (pads the unmatched outer ones) */
    int rc = o->interval ? join_watermark(op, WM_END, ctx, err) : WEIR_OK;
    return rc ? rc : op_finish_next(op, ctx, err);
}

static void side_free(struct op_join *o, int s)
{
    struct side *sd = &o->side[s];
    struct state_iter it;
    state_iter_init(&it, sd->state);
    while (state_iter_next(&it)) {
        struct jlist *l = it.value;
        for (int i = 0; i < l->n && !packed(o, s); i++)
            mem_free(l->rows[i].bytes);
        if (!logged(o, s))
            mem_free(l->rows);   /* or the packed buffer */
    }
    spill_close(sd->spill);
    state_table_free(sd->state);   /* may write a snapshot's last keys: logs still there */
    chainlog_free(&sd->log);
    timers_free(&sd->timers);
    mem_free(sd->key_vecs);
    mem_free(sd->types);
    mem_free(sd->key_types);
}

static void join_free(struct op *op)
{
    struct op_join *o = (struct op_join *)op;
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < o->n_keys; k++)
            expr_free_scratch(o->side[s].keys[k]);
        side_free(o, s);
    }
    mem_free(o->views);
    mem_free(o->chain);
    mem_free(o->wchain);
    sb_free(&o->read);
    mem_free(o->spill_dir);
    err_clear(&o->io_err);
    expr_free_scratch(o->residual);
    batch_free(o->chunk);
    batch_free(o->out);
    mem_free(o->pairs);
    mem_free(o->dec);
    mem_free(o->rows);
    mem_free(o->n_cand);
    mem_free(o->matched);
    sb_free(&o->key);
    sb_free(&o->row);
    sb_free(&o->row_key);
    mem_free(o);
}

/* ---- checkpoints ------------------------------------------------------------------ */

/*
 * Records (snapshot.h codec), each starting with the header of
 * opstate_put_header:
 *   key group of the key:  REC_ROWS: u8 side, bytes key, u32 n,
 *                          n × (bytes row, u32 count, u32 matches, i64 expire,
 *                               i64 last-write time)
 *   SNAP_OPERATOR:         REC_WATERMARK: i64 watermark (interval joins)
 * Keys and rows are in state_key_encode's format, which is self-contained
 * (strings inline), so they are kept as they are and checked against the
 * column types on restore.  The NULL-key rows of an outer side are tagged
 * with the key group of their key without the marker: the exchange's.
 */
enum { REC_ROWS = 1, REC_WATERMARK = 2 };
#define ROW_REC_MIN 28             /* bytes of a stored row's record with no data */

/* The shape the state depends on: a checkpoint of another join (an edited
 * query keeping the operator's uid) is refused rather than misread.  Set up
 * by the op_join_* calls after op_join_new, so computed on first use. */
static uint32_t join_fingerprint(struct op_join *o)
{
    if (o->fp_done)
        return o->fingerprint;
    struct strbuf fp = {0};
    /* 2: `matches` counts duplicate right rows (state of version 1 counted
     * them once and is refused rather than misread); 3: rows carry their
     * last-write time */
    snap_put_u8(&fp, 3);
    /* bounded sides: their rows' expiries mean something (0 is "never"
     * otherwise) */
    bool b0 = expires(o, 0) && !o->interval, b1 = expires(o, 1) && !o->interval;
    snap_put_u8(&fp, (uint8_t)(o->semi | o->interval << 1 | o->anti << 2 | o->null_safe << 3 |
                               o->window << 4 | b0 << 5 | b1 << 6));
    snap_put_i64(&fp, o->interval || b0 || b1 ? o->lower : 0);
    snap_put_i64(&fp, o->interval || b0 || b1 ? o->upper : 0);
    if (b0 || b1)
        for (int s = 0; s < 2; s++)
            snap_put_u32(&fp, (uint32_t)o->side[s].time_col);
    snap_put_u32(&fp, (uint32_t)o->n_keys);
    for (int s = 0; s < 2; s++) {
        const struct side *sd = &o->side[s];
        snap_put_u8(&fp, (uint8_t)(sd->outer | sd->insert_only << 1));
        for (int k = 0; k < o->n_keys; k++)
            opstate_fingerprint_type(&fp, sd->key_types[k]);
        snap_put_u32(&fp, (uint32_t)sd->n_cols);
        for (int c = 0; c < sd->n_cols; c++)
            opstate_fingerprint_type(&fp, sd->types[c]);
    }
    o->fingerprint = opstate_fingerprint_done(&fp);
    o->fp_done = true;
    sb_free(&fp);
    return o->fingerprint;
}

/* What a side's walk needs to write its keys. */
struct join_walk {
    struct op_join *o;             /* a packed side reads spilled rows back */
    uint32_t fp;
    int side;
    uint64_t floor;                /* a logged side's, at the barrier */
};

static void join_write(struct snap_writer *w, const void *ctx, const void *key, size_t len,
                       int kg, const void *value)
{
    const struct join_walk *jw = ctx;
    const struct jlist *l = value;
    struct op_join *o = jw->o;
    struct prow_iter it;
    if (packed(o, jw->side))
        prow_begin(o, jw->side, l, jw->floor, &o->wchain, &o->wchain_cap, &it);
    int n = packed(o, jw->side) ? it.n : l->n;
    if (n == 0)
        return;   /* holds nothing (and restore refuses empty lists) */
    /* NULL-key rows go where the exchange sends their key (without the
     * marker), so that a restored instance can retract them */
    const char *k = key;
    bool marked = len > 0 && k[0] == NULL_KEY_MARK;
    snap_begin(w, marked ? state_key_group(state_hash(k + 1, len - 1), jw->o->max_parallelism)
                         : kg);
    opstate_put_header(&w->buf, REC_ROWS, jw->fp);
    snap_put_u8(&w->buf, (uint8_t)jw->side);
    snap_put_bytes(&w->buf, key, len);
    snap_put_u32(&w->buf, (uint32_t)n);
    if (packed(o, jw->side)) {
        /* the records jrows would make: counting once, no matches */
        struct strbuf read = {0};
        struct prec r;
        while (prow_next(&it, &r)) {
            const char *bytes = prec_bytes(o, jw->side, &r, &read);
            /* a spill file that failed (the job fails with it): a count of 0,
             * which restore refuses, rather than a row made up */
            snap_put_bytes(&w->buf, bytes ? bytes : "", bytes ? r.len : 0);
            snap_put_u32(&w->buf, bytes ? 1 : 0);
            snap_put_u32(&w->buf, 0);
            snap_put_i64(&w->buf, r.expire);
            snap_put_i64(&w->buf, 0);
        }
        sb_free(&read);
        snap_end(w);
        return;
    }
    for (int i = 0; i < l->n; i++) {
        const struct jrow *jr = &l->rows[i];
        snap_put_bytes(&w->buf, jr->bytes, jr->len);
        snap_put_u32(&w->buf, (uint32_t)jr->count);
        snap_put_u32(&w->buf, (uint32_t)jr->matches);
        snap_put_i64(&w->buf, jr->expire);
        snap_put_i64(&w->buf, jr->written);
    }
    snap_end(w);
}

static int join_snapshot(struct op *op, struct snap_writer *w, struct weir_error *err)
{
    (void)err;
    struct op_join *o = (struct op_join *)op;
    uint32_t fp = join_fingerprint(o);
    for (int s = 0; s < 2; s++) {
        struct join_walk jw = {o, fp, s, chainlog_floor(&o->side[s].log)};
        state_table_walk(o->side[s].state, w, join_write, &jw, sizeof(jw));
    }
    if (o->interval) {
        /* rows that arrive already expired are not stored: the restored
         * instance must judge them against the same watermark */
        snap_begin(w, SNAP_OPERATOR);
        opstate_put_header(&w->buf, REC_WATERMARK, fp);
        snap_put_i64(&w->buf, o->wm);
        snap_end(w);
    }
    return WEIR_OK;
}

/* The rows of one REC_ROWS record, decoded into fresh jrows (*out, n of
 * them); on failure nothing is left allocated. */
static int decode_rows(struct op_join *o, int s, struct snap_rd *rd, uint32_t n,
                       struct jrow **out, struct weir_error *err)
{
    struct jrow *rows = mem_calloc(n, sizeof(*rows));
    const char *what = NULL;
    uint32_t got = 0;
    for (; got < n && what == NULL; got++) {
        size_t len;
        const char *bytes = snap_get_bytes(rd, &len);
        int32_t count = (int32_t)snap_get_u32(rd);
        int32_t matches = (int32_t)snap_get_u32(rd);
        int64_t expire = snap_get_i64(rd);
        int64_t written = snap_get_i64(rd);
        if (rd->bad)
            what = "truncated row";
        else if (count < 1)
            what = "row count below 1";
        else if (!opstate_row_check(bytes, len, o->side[s].types, o->side[s].n_cols))
            what = "row does not match the input's column types";
        else
            rows[got] = (struct jrow){mem_strndup(bytes, len), (uint32_t)len, count, matches,
                                      expire, written};
    }
    if (what == NULL && rd->pos != rd->len)
        what = "bytes after the rows";
    if (what) {
        for (uint32_t i = 0; i < got; i++)
            mem_free(rows[i].bytes);
        mem_free(rows);
        return opstate_corrupt(&o->op, what, err);
    }
    *out = rows;
    return WEIR_OK;
}

static int join_restore(struct op *op, int kg, struct snap_rd *rd, struct weir_error *err)
{
    struct op_join *o = (struct op_join *)op;
    uint8_t type;
    int rc = opstate_get_header(op, rd, join_fingerprint(o), &type, err);
    if (rc)
        return rc;
    if (type == REC_WATERMARK) {
        int64_t wm = snap_get_i64(rd);
        if (rd->bad || rd->pos != rd->len || kg != SNAP_OPERATOR || !o->interval)
            return opstate_corrupt(op, "bad watermark record", err);
        /* every old instance's watermark arrives here; each was reached by
         * the inputs before the checkpoint, so the latest one holds for all */
        if (wm > o->wm)
            o->wm = wm;
        return WEIR_OK;
    }
    uint8_t s = snap_get_u8(rd);
    size_t klen;
    const char *key = snap_get_bytes(rd, &klen);
    uint32_t n = snap_get_u32(rd);
    if (rd->bad || type != REC_ROWS || kg == SNAP_OPERATOR || s > 1)
        return opstate_corrupt(op, "bad record header", err);
    if (n == 0 || n > (rd->len - rd->pos) / ROW_REC_MIN)
        return opstate_corrupt(op, "bad row count", err);
    struct side *sd = &o->side[s];
    /* the marker under which an outer side keeps its NULL-key rows */
    size_t mark = klen > 0 && key[0] == NULL_KEY_MARK && sd->outer && !o->interval ? 1 : 0;
    if (!opstate_row_check(key + mark, klen - mark, sd->key_types, o->n_keys))
        return opstate_corrupt(op, "key does not match the join key's types", err);
    if ((rc = opstate_check_key_group(op, key + mark, klen - mark, kg, o->max_parallelism, err)))
        return rc;
    struct jrow *rows = NULL;
    if ((rc = decode_rows(o, s, rd, n, &rows, err)))
        return rc;
    uint64_t h = state_hash(key, klen);
    bool inserted;
    struct jlist *l = state_table_upsert(sd->state, key, klen, h, &inserted);
    int64_t first = INT64_MAX, oldest = INT64_MAX;
    /* a record's rows are distinct and each key has one record; should a
     * key come twice, equal rows merge as they would have in one instance */
    bool merge = !inserted && !sd->insert_only;
    if (packed(o, s)) {
        /* each duplicate once over (an insert-only side stores them apart);
         * match counts mean nothing to it */
        for (uint32_t i = 0; i < n; i++) {
            for (int32_t c = 0; c < rows[i].count; c++)
                packed_add(o, s, l, rows[i].bytes, rows[i].len, rows[i].expire);
            if (rows[i].expire < first)
                first = rows[i].expire;
            mem_free(rows[i].bytes);
        }
        n = 0;
    } else {
        rows_reserve(o, l, l->n + (int)n);
    }
    for (uint32_t i = 0; i < n; i++) {
        struct jrow *same = merge ? find_row(l, rows[i].bytes, rows[i].len) : NULL;
        if (same) {
            same->count += rows[i].count;
            if (rows[i].written > same->written)
                same->written = rows[i].written;
            mem_free(rows[i].bytes);
            continue;
        }
        l->rows[l->n++] = rows[i];
        o->heap += rows[i].len;
        if (rows[i].expire < first)
            first = rows[i].expire;
        if (rows[i].written < oldest)
            oldest = rows[i].written;
    }
    mem_free(rows);
    if (ttl_on(o) && oldest != INT64_MAX)
        /* re-armed from the restored times: the earliest row's deadline */
        queue_key(sd, l, op_ttl_deadline(&o->ttl, oldest), h, key, klen);
    if (expires(o, s) && !logged(o, s))
        queue_key(sd, l, first, h, key, klen);
    settle_state(o);
    return io_failed(o, err);
}

static const struct op_ops join_ops = {
    .kind = "Join",
    .push = join_push,
    .watermark = join_watermark,
    .finish = join_finish,
    .free = join_free,
    .snapshot = join_snapshot,
    .restore = join_restore,
};

/* The same with the TTL timer: operators without a TTL do not make their
 * task tick. */
static const struct op_ops join_ttl_ops = {
    .kind = "Join",
    .push = join_push,
    .watermark = join_watermark,
    .timer = join_timer,
    .finish = join_finish,
    .free = join_free,
    .snapshot = join_snapshot,
    .restore = join_restore,
};

void op_join_set_state_ttl(struct op *op, int64_t ttl_us, bool manual_clock)
{
    struct op_join *o = (struct op_join *)op;
    op_ttl_set(&o->ttl, ttl_us, manual_clock);
    op->ops = ttl_on(o) ? &join_ttl_ops : &join_ops;
}

struct op *op_join_new(int id, enum join_kind kind, struct expr **lkeys, struct expr **rkeys,
                       int n_keys, struct expr *residual, int n_left, int n_right,
                       const struct sql_type *const *in_types, char *label)
{
    struct op_join *o = mem_calloc(1, sizeof(*o));
    op_init(&o->op, &join_ops, id, label);
    o->n_keys = n_keys;
    o->residual = residual;
    o->max_parallelism = 128;
    o->side[0] = (struct side){.keys = lkeys, .n_cols = n_left,
                               .outer = kind == JOIN_LEFT || kind == JOIN_FULL};
    o->side[1] = (struct side){.keys = rkeys, .n_cols = n_right,
                               .outer = kind == JOIN_RIGHT || kind == JOIN_FULL};
    o->wm = WM_NONE;
    o->side_wm[0] = o->side_wm[1] = WM_NONE;
    for (int s = 0; s < 2; s++) {
        struct side *sd = &o->side[s];
        sd->state = state_table_new(sizeof(struct jlist), o->max_parallelism);
        chainlog_init(&sd->log);
        sd->key_vecs = mem_calloc((size_t)n_keys + 1, sizeof(struct vec *));
        sd->key_types = mem_calloc((size_t)n_keys + 1, sizeof(*sd->key_types));
        for (int k = 0; k < n_keys; k++)
            sd->key_types[k] = sd->keys[k]->type;
        sd->types = mem_calloc((size_t)sd->n_cols + 1, sizeof(*sd->types));
        for (int c = 0; c < sd->n_cols; c++)
            sd->types[c] = in_types[(s == 0 ? 0 : n_left) + c];
    }
    o->semi = kind == JOIN_SEMI || kind == JOIN_ANTI;
    o->anti = kind == JOIN_ANTI;
    o->chunk = batch_new(n_left + n_right, in_types);
    o->out = batch_new(o->semi ? n_left : n_left + n_right, in_types);
    o->pairs = mem_calloc(BATCH_CAP, sizeof(*o->pairs));
    o->views = mem_calloc(BATCH_CAP, sizeof(*o->views));
    int maxc = n_left > n_right ? n_left : n_right;
    o->dec = mem_calloc((size_t)maxc + 1, sizeof(*o->dec));
    sb_reserve(&o->key, 64);
    sb_reserve(&o->row, 256);
    return &o->op;
}

struct op *op_join_for_node(const struct lnode *n, int max_parallelism, char *label)
{
    /* the joined rows [left, right]: the output's types, except that a
     * semi join outputs the left columns only */
    int nl = n->inputs[0]->n_out, nr = n->inputs[1]->n_out;
    const struct sql_type **jt = mem_calloc((size_t)(nl + nr + 1), sizeof(*jt));
    bool left_only = n->join == JOIN_SEMI || n->join == JOIN_ANTI;
    for (int i = 0; i < nl + nr; i++)
        jt[i] = !left_only ? n->out_types[i]
              : i < nl ? n->inputs[0]->out_types[i] : n->inputs[1]->out_types[i - nl];
    struct op *op = op_join_new(n->id, n->join, n->lkeys, n->rkeys, n->n_jkeys, n->residual, nl,
                                nr, jt, label);
    mem_free(jt);
    if (n->null_safe)
        op_join_null_safe(op);
    op_join_set_max_parallelism(op, max_parallelism);
    op_join_insert_only(op, !plan_updating(n->inputs[0]), !plan_updating(n->inputs[1]));
    if (n->interval)
        op_join_interval(op, n->time_col[0], n->time_col[1], n->lower, n->upper);
    else if (n->window)
        op_join_window(op, n->time_col[0], n->time_col[1]);
    else if (n->bounded[0] || n->bounded[1])
        op_join_bound(op, n->time_col[0], n->time_col[1], n->lower, n->upper, n->bounded[0],
                      n->bounded[1]);
    return op;
}

void op_join_set_max_parallelism(struct op *op, int max_parallelism)
{
    struct op_join *o = (struct op_join *)op;
    o->max_parallelism = max_parallelism > 0 ? max_parallelism : 128;
    for (int s = 0; s < 2; s++) {
        /* still empty: the job has not run nor been restored */
        state_table_free(o->side[s].state);
        o->side[s].state = state_table_new(sizeof(struct jlist), o->max_parallelism);
    }
}

void op_join_left_ports(struct op *op, int n)
{
    ((struct op_join *)op)->n_left_ports = n;
}

void op_join_interval(struct op *op, int left_time, int right_time, int64_t lower, int64_t upper)
{
    struct op_join *o = (struct op_join *)op;
    o->interval = true;
    o->fp_done = false;
    o->side[0].time_col = left_time;
    o->side[1].time_col = right_time;
    o->lower = lower;
    o->upper = upper;
    o->delay = upper > 0 ? upper : 0;
    if (lower < 0 && -lower > o->delay)
        o->delay = -lower;
}

void op_join_window(struct op *op, int left_end, int right_end)
{
    struct op_join *o = (struct op_join *)op;
    op_join_interval(op, left_end, right_end, 0, 0);
    o->window = true;
    /* an anti join's left rows that never matched pass when their window
     * ends, as an outer side's are padded then */
    if (o->anti)
        o->side[0].outer = true;
}

void op_join_bound(struct op *op, int left_time, int right_time, int64_t lower, int64_t upper,
                   bool left, bool right)
{
    struct op_join *o = (struct op_join *)op;
    o->fp_done = false;
    o->side[0].time_col = left_time;
    o->side[1].time_col = right_time;
    o->lower = lower;
    o->upper = upper;
    o->bounded[0] = left;
    o->bounded[1] = right;
}

void op_join_spill(struct op *op, const char *dir, int64_t side_bytes)
{
    struct op_join *o = (struct op_join *)op;
    mem_free(o->spill_dir);
    o->spill_dir = dir ? mem_strdup(dir) : NULL;
    o->spill_at = side_bytes > 0 ? side_bytes : 0;
}

bool op_join_keys_exact(const struct op *op)
{
    const struct op_join *o = (const struct op_join *)op;
    return !logged(o, 0) && !logged(o, 1);
}

void op_join_null_safe(struct op *op)
{
    ((struct op_join *)op)->null_safe = true;
}

void op_join_insert_only(struct op *op, bool left, bool right)
{
    struct op_join *o = (struct op_join *)op;
    o->side[0].insert_only = left;
    o->side[1].insert_only = right;
    o->fp_done = false;
}
