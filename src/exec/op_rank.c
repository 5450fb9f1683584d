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
#include "core/varint.h"
#include "exec/op_join.h"
#include "exec/opstate.h"
#include "exec/op_rank.h"
#include "state/snapshot.h"
#include "state/spill.h"
#include "state/table.h"

#include <stdio.h>
#include <string.h>

/*
 * Entries.  Each kept row is one allocation:
 *     varint sort-key length, the sort key,
 *     varint (row length << 1 | spilled),
 *     then the row's bytes (state_key_encode), or the u64 offset of them in
 *     the operator's spill file.
 * The sort key holds the row's ORDER BY values encoded so that memcmp orders
 * entries as the ORDER BY does (sk_put), so comparing two rows is one memcmp
 * and the values cost a few bytes instead of a struct value each (Nexmark
 * q18 keeps 2.9M partitions, q19 6M rows).
 *
 * Spilling (weir.state.spill.threshold, op_rank_spill): with a spill
 * directory every kept row's bytes go to the operator's spill file, and its
 * entry holds their offset (a top-1 entry then fits in its slot: no
 * allocation at all).  The file keeps its newest bytes in memory, as much
 * as the operator's share of the threshold leaves after the rest of its
 * state (fit_tail), so the rows read again soonest -- those of partitions
 * still receiving rows, a live auction's bids, a bidder's repeated bid --
 * are read from memory; older ones from the page cache or the disk.  A row
 * is read back when it is emitted again (retracted or re-ranked) or
 * checkpointed.
 */
#define INL 24                      /* bytes of a top-1 entry kept in its slot */

struct tlist {
    uint32_t n;                     /* entries */
    uint32_t inl;                   /* top_n == 1: the entry is u.inl */
    union {
        char *one;                  /* top_n == 1: the entry */
        char **many;                /* top_n > 1: the entries in ORDER BY order
                                       (room for list_cap(n)) */
        unsigned char inl[INL];     /* top_n == 1: a small entry (a spilled
                                       row's), saving an allocation */
    } u;
};

/* After each tlist when table.exec.state.ttl is set (the slot grows). */
struct tl_ttl {
    int64_t written;                /* last change (opstate.h: TTL) */
    int64_t queued;                 /* deadline of its live TTL queue entry; 0: none */
};

struct tview {
    const unsigned char *sk;        /* sort key */
    size_t sk_len;
    uint32_t len;                   /* of the row */
    bool spilled;
    const unsigned char *data;      /* the row, or its u64 offset */
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
    struct strbuf key, row, sk;     /* the incoming row's key, row and sort key */
    struct strbuf read;             /* a spilled row read back */
    struct strbuf sk_str;           /* a string decoded from a sort key */
    const struct vec **part_vecs;
    const struct vec **ord_vecs;
    struct vec **dec;
    const struct vec **cols;        /* the batch at hand (rank_push) */
    int n_cols, cur;                /* its columns, the row at hand */
    bool row_ready;                 /* o->row holds row cur */
    bool wrote;                     /* the row at hand changed its partition */
    struct op_ttl ttl;
    int64_t heap;                   /* bytes of the entries and their arrays */
    /* spilling */
    char *spill_dir;                /* NULL: never */
    int64_t spill_at;               /* the state bytes it may hold */
    struct spill *spill;
    struct weir_error io_err;       /* the spill file failed (sticky) */
    int64_t spill_live;             /* bytes of the spill file still kept */
    int64_t compact_at;             /* the file's size before it is compacted */
};

static struct tl_ttl *tl_ttl(struct tlist *l)
{
    return (struct tl_ttl *)(l + 1);
}

/* ---- sort keys ---------------------------------------------------------------------- */

/*
 * Per ORDER BY item: a marker byte (0 NULL, 1 value), then the value as
 * big-endian bytes whose unsigned order is the value order: integers with
 * the sign bit flipped, doubles with the sign bit flipped (all bits when
 * negative; -0.0 as 0.0, so they tie as before), strings with each 0x00 as
 * 0x00 0xFF and ended by 0x00 0x00 (so no encoding is a prefix of another).
 * A DESC item has all its bytes inverted, which puts NULLs last, as Flink
 * does (first for ASC).
 */
static void put_be(struct strbuf *sb, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        sb_addc(sb, (char)(v >> (8 * i)));
}

static void sk_put(struct strbuf *sb, const struct sql_type *t, bool desc, const struct value *v)
{
    size_t start = sb->len;
    sb_addc(sb, v->is_null ? 0 : 1);
    if (!v->is_null) {
        switch (type_lane(t)) {
        case LANE_BOOL: sb_addc(sb, v->b ? 1 : 0); break;
        case LANE_I64: put_be(sb, (uint64_t)v->i ^ (1ULL << 63), 8); break;
        case LANE_F64: {
            double f = v->f == 0 ? 0.0 : v->f;
            uint64_t u;
            memcpy(&u, &f, 8);
            put_be(sb, u >> 63 ? ~u : u | 1ULL << 63, 8);
            break;
        }
        case LANE_I128: {
            unsigned __int128 u = (unsigned __int128)v->d ^ ((unsigned __int128)1 << 127);
            put_be(sb, (uint64_t)(u >> 64), 8);
            put_be(sb, (uint64_t)u, 8);
            break;
        }
        case LANE_STR:
            for (uint32_t i = 0; i < v->s.len; i++) {
                sb_addc(sb, v->s.ptr[i]);
                if (v->s.ptr[i] == 0)
                    sb_addc(sb, (char)0xff);
            }
            sb_add(sb, "\0\0", 2);
            break;
        default: break;   /* read_value makes other lanes NULL */
        }
    }
    if (desc)
        for (size_t i = start; i < sb->len; i++)
            sb->buf[i] = (char)~sb->buf[i];
}

static uint64_t get_be(const unsigned char *p, int bytes, unsigned char flip)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | (unsigned char)(p[i] ^ flip);
    return v;
}

/* Decodes one item at *p into v (a string into str, which must outlive
 * the use of v); advances *p. */
static void sk_get(const unsigned char **p, const struct sql_type *t, bool desc, struct value *v,
                   struct strbuf *str)
{
    unsigned char flip = desc ? 0xff : 0;
    const unsigned char *q = *p;
    memset(v, 0, sizeof(*v));
    v->is_null = (q[0] ^ flip) == 0;
    q++;
    if (!v->is_null) {
        switch (type_lane(t)) {
        case LANE_BOOL: v->b = (uint8_t)(*q++ ^ flip); break;
        case LANE_I64: v->i = (int64_t)(get_be(q, 8, flip) ^ (1ULL << 63)); q += 8; break;
        case LANE_F64: {
            uint64_t u = get_be(q, 8, flip);
            u = u >> 63 ? u & ~(1ULL << 63) : ~u;
            memcpy(&v->f, &u, 8);
            q += 8;
            break;
        }
        case LANE_I128: {
            unsigned __int128 u = (unsigned __int128)get_be(q, 8, flip) << 64 | get_be(q + 8, 8, flip);
            v->d = (__int128)(u ^ ((unsigned __int128)1 << 127));
            q += 16;
            break;
        }
        case LANE_STR:
            sb_clear(str);
            for (;;) {
                unsigned char c = (unsigned char)(*q++ ^ flip);
                if (c == 0) {
                    unsigned char d = (unsigned char)(*q++ ^ flip);
                    if (d == 0)
                        break;
                }
                sb_addc(str, (char)c);
            }
            v->s.ptr = str->buf ? str->buf : "";
            v->s.len = (uint32_t)str->len;
            break;
        default: break;
        }
    }
    *p = q;
}

/* < 0 when sort key a sorts before b. */
static int cmp_sk(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
    int r = memcmp(a, b, alen < blen ? alen : blen);
    return r ? r : (alen > blen) - (alen < blen);
}

static void read_value(const struct vec *v, int i, struct value *out)
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
    case LANE_STR: out->s = v->s[i]; break;
    default: out->is_null = true; break;
    }
}

/* ---- entries ------------------------------------------------------------------------ */

static void tview(const char *e, struct tview *v)
{
    uint64_t x;
    const unsigned char *p = varint_get((const unsigned char *)e, &x);
    v->sk = p;
    v->sk_len = (size_t)x;
    p = varint_get(p + x, &x);
    v->len = (uint32_t)(x >> 1);
    v->spilled = x & 1;
    v->data = p;
}

static size_t entry_size(size_t sk_len, size_t len, bool spilled)
{
    return (size_t)varint_len(sk_len) + sk_len + (size_t)varint_len((uint64_t)len << 1 | 1) +
           (spilled ? 8 : len);
}

/* A new entry for a row (its bytes, or their offset when spilled). */
static char *entry_make(struct op_rank *o, const void *sk, size_t sk_len, const void *row,
                        size_t len, bool spilled, uint64_t off)
{
    size_t n = entry_size(sk_len, len, spilled);
    char *e = mem_alloc(n);
    unsigned char *p = varint_put((unsigned char *)e, sk_len);
    memcpy(p, sk, sk_len);
    p = varint_put(p + sk_len, (uint64_t)len << 1 | spilled);
    if (spilled)
        memcpy(p, &off, 8);
    else
        memcpy(p, row, len);
    o->heap += (int64_t)n;
    if (spilled)
        o->spill_live += (int64_t)len;
    return e;
}

static void entry_free(struct op_rank *o, char *e)
{
    struct tview v;
    tview(e, &v);
    o->heap -= (int64_t)entry_size(v.sk_len, v.len, v.spilled);
    if (v.spilled)
        o->spill_live -= v.len;
    mem_free(e);
}

/* An entry's row bytes, read back into buf when spilled; NULL when the
 * spill file failed (o->io_err). */
static const char *entry_row(struct op_rank *o, const struct tview *v, struct strbuf *buf)
{
    return spill_bytes(o->spill, v->spilled, v->data, v->len, buf, &o->io_err);
}

static int64_t state_bytes(const struct op_rank *o)
{
    return state_table_bytes(o->state) + timers_bytes(&o->ttl.queue) + o->heap +
           (int64_t)spill_mem_bytes(o->spill);
}

/* The spill file keeps in memory what the budget leaves after the rest of
 * the state: the rows written last. */
static void fit_tail(struct op_rank *o)
{
    if (o->spill == NULL || o->io_err.code)
        return;
    int64_t rest = state_bytes(o) - (int64_t)spill_mem_bytes(o->spill);
    spill_fit_tail(o->spill, o->spill_at, rest, 1, &o->io_err);
}

/* The entry of the row at hand (o->sk, o->row): with a spill directory its
 * bytes go to the spill file (kept in memory if that fails: io_err fails
 * the operator). */
static char *new_entry(struct op_rank *o)
{
    if (!o->row_ready) {
        state_key_encode(&o->row, o->cols, o->n_cols, o->cur);
        o->row_ready = true;
    }
    uint64_t off = 0;
    bool spilled = false;
    if (o->spill_dir && o->io_err.code == 0)
        spilled = spill_append_lazy(&o->spill, o->spill_dir, o->op.label ? o->op.label : "Rank",
                                    o->row.buf, o->row.len, &off, &o->io_err) == WEIR_OK;
    return entry_make(o, o->sk.buf, o->sk.len, o->row.buf, o->row.len, spilled, off);
}

/* Room in a top_n > 1 list of n entries: doubling from 1, at most N. */
static uint32_t list_cap(const struct op_rank *o, uint32_t n)
{
    uint32_t c = 1;
    while (c < n)
        c <<= 1;
    return n == 0 ? 0 : (int64_t)c < o->top_n ? c : (uint32_t)o->top_n;
}

/* Entry i of l. */
static char *ent(const struct op_rank *o, struct tlist *l, uint32_t i)
{
    if (o->top_n > 1)
        return l->u.many[i];
    return l->inl ? (char *)l->u.inl : l->u.one;
}

/* Drops entry i's memory (the caller fixes the list). */
static void ent_drop(struct op_rank *o, struct tlist *l, uint32_t i)
{
    char *e = ent(o, l, i);
    if (o->top_n == 1 && l->inl) {   /* lived in the slot: no memory of its own */
        struct tview v;
        tview(e, &v);
        if (v.spilled)
            o->spill_live -= v.len;
        l->inl = 0;
        return;
    }
    entry_free(o, e);
}

/* Makes e (entry_make's) entry i; a top-1 entry that fits moves into the slot. */
static void ent_set(struct op_rank *o, struct tlist *l, uint32_t i, char *e)
{
    if (o->top_n > 1) {
        l->u.many[i] = e;
        return;
    }
    struct tview v;
    tview(e, &v);
    size_t n = entry_size(v.sk_len, v.len, v.spilled);
    if (n <= INL) {
        memcpy(l->u.inl, e, n);
        l->inl = 1;
        o->heap -= (int64_t)n;
        mem_free(e);
    } else {
        l->u.one = e;
        l->inl = 0;
    }
}

/*
 * A row replaced or pushed out of the top N leaves its bytes in the spill
 * file.  Once the file is at least compact_at and four times what the kept
 * rows need, the kept rows are copied to a new file and the old one goes: a
 * copy (each row read back on its own, often from the disk) is paid for by
 * three times as many bytes of appends, and the file stays within four times
 * the live rows.  The lazy checkpoint walk writes each entry before the
 * iteration touches it (state_iter_next), reading it from the old file; a
 * failing copy fails the operator (io_err), as any spill failure does.
 */
static void maybe_compact(struct op_rank *o)
{
    if (o->spill == NULL || o->io_err.code)
        return;
    uint64_t size = spill_size(o->spill);
    if (size == 0 || size < (uint64_t)o->compact_at || size < 4 * (uint64_t)o->spill_live)
        return;
    struct spill *to = spill_open(o->spill_dir, o->op.label ? o->op.label : "Rank", &o->io_err);
    if (to == NULL)
        return;
    struct state_iter it;
    state_iter_init(&it, o->state);
    while (state_iter_next(&it)) {
        struct tlist *l = it.value;
        for (uint32_t i = 0; i < l->n; i++) {
            struct tview v;
            tview(ent(o, l, i), &v);
            if (!v.spilled)
                continue;
            const char *row = entry_row(o, &v, &o->read);
            uint64_t off;
            if (row == NULL || spill_append(to, row, v.len, &off, &o->io_err) != WEIR_OK) {
                spill_close(to);
                return;
            }
            memcpy((unsigned char *)v.data, &off, 8);
        }
    }
    spill_close(o->spill);
    o->spill = to;
}

/* Drops every entry of l. */
static void list_free(struct op_rank *o, struct tlist *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        ent_drop(o, l, i);
    if (o->top_n > 1) {
        o->heap -= (int64_t)list_cap(o, l->n) * (int64_t)sizeof(char *);
        mem_free(l->u.many);
        l->u.many = NULL;
    }
    l->n = 0;
}

static void update_metrics(struct op_rank *o)
{
    atomic_store_explicit(&o->op.state_keys, state_table_count(o->state), memory_order_relaxed);
    atomic_store_explicit(&o->op.state_bytes, state_bytes(o), memory_order_relaxed);
    atomic_store_explicit(&o->op.state_disk, (int64_t)spill_disk_bytes(o->spill),
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

/* A spill file failed: the operator fails with it. */
static int io_failed(struct op_rank *o, struct weir_error *err)
{
    if (o->io_err.code == 0)
        return WEIR_OK;
    return err_set(err, o->io_err.code, "%s", o->io_err.message);
}

/* Appends a stored row with its rank and kind. */
static int emit(struct op_rank *o, const char *e, int64_t rank, enum row_kind kind,
                struct eval_ctx *ctx, struct weir_error *err)
{
    struct tview v;
    tview(e, &v);
    const char *row = entry_row(o, &v, &o->read);
    if (row == NULL)
        return io_failed(o, err);
    if (o->out->n == BATCH_CAP) {
        int rc = flush_out(o, ctx, err);
        if (rc)
            return rc;
    }
    int r = o->out->n++;
    for (int c = 0; c < o->n_in; c++)
        o->dec[c] = &o->out->cols[c];
    state_key_decode(row, v.len, o->dec, o->n_in, r);
    o->out->cols[o->n_in].i64[r] = rank;
    batch_ensure_kinds(o->out);
    o->out->kinds[r] = (uint8_t)kind;
    return WEIR_OK;
}

/* < 0 when the row at hand sorts before entry e. */
static int cmp_new(const struct op_rank *o, const char *e)
{
    struct tview v;
    tview(e, &v);
    return cmp_sk((const unsigned char *)o->sk.buf, o->sk.len, v.sk, v.sk_len);
}

/* top_n == 1: Top-1 and deduplication. */
static int one_row(struct op_rank *o, struct tlist *l, struct eval_ctx *ctx,
                   struct weir_error *err)
{
    if (l->n == 0) {
        ent_set(o, l, 0, new_entry(o));
        l->n = 1;
        o->wrote = true;
        return emit(o, ent(o, l, 0), 1, RK_INSERT, ctx, err);
    }
    int c = cmp_new(o, ent(o, l, 0));
    bool replace = c < 0;
    if (o->dedup) {
        /* keep-last orders by time DESC: a new row at or before the kept one
         * in that order is at least as late; keep-first (ASC) wants strictly
         * earlier */
        bool keep_last = o->desc[0];
        replace = o->proctime ? keep_last : (keep_last ? c <= 0 : c < 0);
    }
    if (!replace)
        return WEIR_OK;
    o->wrote = true;
    int rc;
    if (o->dedup || o->rank_output) {
        rc = emit(o, ent(o, l, 0), 1, RK_UPDATE_BEFORE, ctx, err);
        ent_drop(o, l, 0);
        ent_set(o, l, 0, new_entry(o));
        if (rc == WEIR_OK)
            rc = emit(o, ent(o, l, 0), 1, RK_UPDATE_AFTER, ctx, err);
    } else {
        /* the new row in, then the old one out */
        char *e = new_entry(o);
        rc = emit(o, e, 1, RK_INSERT, ctx, err);
        if (rc == WEIR_OK)
            rc = emit(o, ent(o, l, 0), 1, RK_DELETE, ctx, err);
        ent_drop(o, l, 0);
        ent_set(o, l, 0, e);
    }
    return rc;
}

static int topn_row(struct op_rank *o, struct tlist *l, struct eval_ctx *ctx,
                    struct weir_error *err)
{
    char **e = l->u.many;
    int pos = (int)l->n;
    for (int i = 0; i < (int)l->n; i++)
        if (cmp_new(o, e[i]) < 0) {
            pos = i;
            break;
        }
    if (pos >= o->top_n)
        return WEIR_OK;
    o->wrote = true;
    int m = (int)l->n;   /* size before */
    char *evicted = NULL;
    if (l->n == o->top_n) {
        evicted = e[--l->n];   /* the last row falls out of the top N */
    } else if (list_cap(o, l->n + 1) != list_cap(o, l->n)) {
        uint32_t was = list_cap(o, l->n), cap = list_cap(o, l->n + 1);
        l->u.many = e = mem_realloc(e, cap * sizeof(*e));
        o->heap += (int64_t)(cap - was) * (int64_t)sizeof(*e);
    }
    memmove(&e[pos + 1], &e[pos], (size_t)(l->n - pos) * sizeof(*e));
    e[pos] = new_entry(o);
    l->n++;
    int rc = WEIR_OK;
    if (!o->rank_output) {
        rc = emit(o, e[pos], pos + 1, RK_INSERT, ctx, err);
        if (rc == WEIR_OK && evicted)
            rc = emit(o, evicted, o->top_n, RK_DELETE, ctx, err);
    } else {
        /* every rank from pos down changes occupant: the old occupant of
         * rank r is now at r + 1 (or evicted) */
        for (int r = pos; r < (int)l->n && rc == WEIR_OK; r++) {
            const char *old = r < m ? (r + 1 < (int)l->n ? e[r + 1] : evicted) : NULL;
            if (old) {
                rc = emit(o, old, r + 1, RK_UPDATE_BEFORE, ctx, err);
                if (rc == WEIR_OK)
                    rc = emit(o, e[r], r + 1, RK_UPDATE_AFTER, ctx, err);
            } else {
                rc = emit(o, e[r], r + 1, RK_INSERT, ctx, err);
            }
        }
    }
    if (evicted)
        entry_free(o, evicted);
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
    o->cols = cols;
    o->n_cols = nc;
    int n = batch_live(b);
    int64_t now = op_ttl_clock(&o->ttl);
    for (int k = 0; k < n && rc == WEIR_OK; k++) {
        int i = batch_row(b, k);
        o->cur = i;
        o->row_ready = false;   /* encoded only if it is kept */
        state_key_encode(&o->key, o->part_vecs, o->n_part, i);
        sb_clear(&o->sk);
        for (int q = 0; q < o->n_order; q++) {
            struct value v;
            read_value(o->ord_vecs[q], i, &v);
            sk_put(&o->sk, o->order[q]->type, o->desc[q], &v);
        }
        bool inserted;
        uint64_t h = state_hash(o->key.buf, o->key.len);
        struct tlist *l = state_table_upsert(o->state, o->key.buf, o->key.len, h, &inserted);
        if (!inserted && l->n > 0 && o->ttl.ttl_us > 0 &&
            op_ttl_expired(&o->ttl, tl_ttl(l)->written)) {
            /* due but not yet dropped: it is absent (NeverReturnExpired);
             * the entry stays, with its live queue entry */
            atomic_fetch_add_explicit(&op->expired, l->n, memory_order_relaxed);
            list_free(o, l);
        }
        o->wrote = false;
        rc = o->top_n == 1 ? one_row(o, l, ctx, err) : topn_row(o, l, ctx, err);
        if (o->wrote) {
            if (o->ttl.ttl_us > 0) {
                struct tl_ttl *tt = tl_ttl(l);
                tt->written = now;
                if (tt->queued == 0) {
                    tt->queued = op_ttl_deadline(&o->ttl, now);
                    timers_push(&o->ttl.queue, tt->queued, h, o->key.buf, o->key.len);
                }
            }
        }
    }
    o->cols = NULL;
    maybe_compact(o);
    fit_tail(o);
    update_metrics(o);
    if (rc == WEIR_OK)
        rc = flush_out(o, ctx, err);
    if (rc == WEIR_OK)
        rc = io_failed(o, err);
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
        struct tl_ttl *tt = l ? tl_ttl(l) : NULL;
        if (l == NULL || tt->queued != t.time) {
            timer_done(&t);   /* stale: the partition went and came back */
            continue;
        }
        if (op_ttl_expired(&o->ttl, tt->written)) {
            expired += l->n;
            list_free(o, l);
            state_table_delete(o->state, t.key, t.key_len, t.hash);
        } else {
            /* written since it was queued: wait for its new deadline */
            tt->queued = op_ttl_deadline(&o->ttl, tt->written);
            timers_push(&o->ttl.queue, tt->queued, t.hash, t.key, t.key_len);
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
        list_free(o, it.value);
    }
    state_table_free(o->state);
    spill_close(o->spill);
    mem_free(o->spill_dir);
    timers_free(&o->ttl.queue);
    for (int k = 0; k < o->n_part; k++)
        expr_free_scratch(o->part[k]);
    for (int k = 0; k < o->n_order; k++)
        expr_free_scratch(o->order[k]);
    mem_free(o->part_vecs);
    mem_free(o->part_types);
    mem_free(o->ord_vecs);
    mem_free(o->dec);
    sb_free(&o->key);
    sb_free(&o->row);
    sb_free(&o->sk);
    sb_free(&o->read);
    sb_free(&o->sk_str);
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
    /* the operator's own thread: its spill file and buffers are free to use */
    struct op_rank *o = *(struct op_rank *const *)ctx;
    struct tlist *l = (struct tlist *)value;
    if (l->n == 0)
        return;   /* holds nothing (and restore refuses empty lists) */
    snap_begin(w, kg);
    opstate_put_header(&w->buf, REC_PARTITION, o->fingerprint);
    snap_put_bytes(&w->buf, key, len);
    /* without a TTL, as if written now (the clock is read: no row may have
     * come since a restore): a restore with a TTL starts it over */
    snap_put_i64(&w->buf, o->ttl.ttl_us > 0 ? tl_ttl(l)->written : op_ttl_clock(&o->ttl));
    snap_put_u32(&w->buf, l->n);
    for (uint32_t i = 0; i < l->n; i++) {
        struct tview v;
        tview(ent(o, l, i), &v);
        const char *row = entry_row(o, &v, &o->read);
        /* a failed spill file writes an empty row, which restore refuses;
         * the operator fails at its next row anyway */
        snap_put_bytes(&w->buf, row ? row : "", row ? v.len : 0);
        const unsigned char *p = v.sk;
        for (int k = 0; k < o->n_order; k++) {
            struct value val;
            sk_get(&p, o->order[k]->type, o->desc[k], &val, &o->sk_str);
            put_value(&w->buf, o->order[k]->type, &val);
        }
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
    char **e = mem_calloc(n, sizeof(*e));
    const char *what = NULL;
    uint32_t got = 0;
    struct strbuf prev = {0};   /* the previous row's sort key */
    for (; got < n && what == NULL; got++) {
        size_t len;
        const char *row = snap_get_bytes(rd, &len);
        sb_clear(&o->sk);
        for (int k = 0; k < o->n_order; k++) {
            struct value v;
            get_value(rd, o->order[k]->type, &v);
            sk_put(&o->sk, o->order[k]->type, o->desc[k], &v);
        }
        if (rd->bad) {
            what = "truncated row";
        } else if (!opstate_row_check(row, len, o->in_types, o->n_in)) {
            what = "row does not match the input's column types";
        } else if (got > 0 && cmp_sk((const unsigned char *)o->sk.buf, o->sk.len,
                                     (const unsigned char *)prev.buf, prev.len) < 0) {
            what = "rows out of ORDER BY order";
        } else {
            sb_clear(&o->row);
            sb_add(&o->row, row, len);
            o->row_ready = true;
            e[got] = new_entry(o);
            sb_clear(&prev);
            sb_add(&prev, o->sk.buf, o->sk.len);
        }
    }
    sb_free(&prev);
    if (what == NULL && rd->pos != rd->len)
        what = "bytes after the rows";
    bool inserted = false;
    struct tlist *l = what ? NULL : state_table_upsert(o->state, key, klen, h, &inserted);
    if (what == NULL && !inserted && l->n > 0)
        what = "partition restored twice";
    if (what) {
        for (uint32_t i = 0; i < got; i++)
            if (e[i])
                entry_free(o, e[i]);
        mem_free(e);
        return opstate_corrupt(op, what, err);
    }
    /* a smaller N than the checkpoint's (an edited query): the rows past it
     * are no longer in the top N */
    int keep = n < (uint64_t)o->top_n ? (int)n : (int)o->top_n;
    for (uint32_t i = (uint32_t)keep; i < n; i++)
        entry_free(o, e[i]);
    if (o->top_n == 1) {
        ent_set(o, l, 0, e[0]);
        mem_free(e);
    } else {
        uint32_t cap = list_cap(o, (uint32_t)keep);
        l->u.many = mem_realloc(e, cap * sizeof(*e));
        o->heap += (int64_t)cap * (int64_t)sizeof(*e);
    }
    l->n = (uint32_t)keep;
    if (o->ttl.ttl_us > 0) {
        /* re-armed from the restored time */
        struct tl_ttl *tt = tl_ttl(l);
        tt->written = written;
        tt->queued = op_ttl_deadline(&o->ttl, written);
        timers_push(&o->ttl.queue, tt->queued, h, key, klen);
    }
    fit_tail(o);
    update_metrics(o);
    return io_failed(o, err);
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

/* The state table, still empty (the job has not run nor been restored):
 * its slots are a tlist, followed by a tl_ttl with a TTL. */
static void new_table(struct op_rank *o)
{
    state_table_free(o->state);
    size_t size = sizeof(struct tlist) + (o->ttl.ttl_us > 0 ? sizeof(struct tl_ttl) : 0);
    o->state = state_table_new(size, o->max_parallelism);
}

void op_rank_set_state_ttl(struct op *op, int64_t ttl_us, bool manual_clock)
{
    struct op_rank *o = (struct op_rank *)op;
    op_ttl_set(&o->ttl, ttl_us, manual_clock);
    new_table(o);   /* its slots now carry the TTL's times, or not */
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
    o->dedup = n->dedup && n->top_n == 1;
    o->proctime = n->dedup && n->order[0]->type->time_attr == TA_PROCTIME;
    o->n_in = n->n_out - 1;
    o->in_types = n->out_types;   /* [input columns, rank] */
    o->part_types = mem_calloc((size_t)n->n_part + 1, sizeof(*o->part_types));
    for (int k = 0; k < n->n_part; k++)
        o->part_types[k] = n->part[k]->type;
    o->fingerprint = rank_fingerprint(o);
    o->max_parallelism = 128;
    o->compact_at = 64 << 20;
    new_table(o);
    o->out = batch_new(n->n_out, n->out_types);
    sb_reserve(&o->key, 64);
    sb_reserve(&o->row, 256);
    sb_reserve(&o->sk, 64);
    o->part_vecs = mem_calloc((size_t)n->n_part + 1, sizeof(*o->part_vecs));
    o->ord_vecs = mem_calloc((size_t)n->n_order + 1, sizeof(*o->ord_vecs));
    o->dec = mem_calloc((size_t)n->n_out + 1, sizeof(*o->dec));
    return &o->op;
}

void op_rank_set_max_parallelism(struct op *op, int max_parallelism)
{
    struct op_rank *o = (struct op_rank *)op;
    /* still empty: the job has not run nor been restored */
    o->max_parallelism = max_parallelism > 0 ? max_parallelism : 128;
    new_table(o);
}

void op_rank_spill(struct op *op, const char *dir, int64_t bytes)
{
    struct op_rank *o = (struct op_rank *)op;
    mem_free(o->spill_dir);
    o->spill_dir = dir ? mem_strdup(dir) : NULL;
    o->spill_at = bytes > 0 ? bytes : 0;
}

void op_rank_spill_compact_at(struct op *op, int64_t bytes)
{
    ((struct op_rank *)op)->compact_at = bytes;
}
