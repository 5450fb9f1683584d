/*
 * agg.c — the aggregate registry (see agg.h) and what every aggregate module
 * shares (agg_int.h): owned values, the ordered multiset used by MIN/MAX and
 * DISTINCT, the arrival-ordered sequence used by FIRST/LAST_VALUE and LISTAGG,
 * the checkpoint codec, and the generic DISTINCT layer.
 *
 * DISTINCT is implemented once, here, in front of any aggregate: the slot is
 * the inner accumulator followed by struct dist_acc (a row counter and a hash
 * multiset of the argument — or of the argument tuple, encoded to bytes, for
 * COUNT(DISTINCT a, b)).  The inner function sees a row only when its value's
 * count goes 0 → 1 (add) or 1 → 0 (retract), which is what Flink's
 * DistinctAggCodeGen does with its MapView.
 *
 * DISTINCT aggregates of a GROUP BY with the same arguments share one set
 * with a count per aggregate ("shared DISTINCT sets" below, issue 4).
 *
 * Snapshot of a DISTINCT slot: i64 rows, the inner snapshot, the value set
 * (in agg_mset_snapshot's encoding; a shared set writes each aggregate's
 * values so, too).  All integers are in host byte order (little-endian on
 * every supported target).
 */
#include "exec/agg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec/agg_int.h"
#include "exec/expr.h"
#include "sql/plan.h"

/* ---- registry ------------------------------------------------------------------ */

struct agg_module {
    const struct agg_def *defs;
    const int *count;
};

static const struct agg_module modules[] = {
    {agg_basic_defs, &agg_basic_count},
    {agg_more_defs, &agg_more_count},
};
#define N_MODULES ((int)(sizeof(modules) / sizeof(modules[0])))

const struct agg_def *agg_at(int i)
{
    if (i < 0)
        return NULL;
    for (int m = 0; m < N_MODULES; m++) {
        if (i < *modules[m].count)
            return &modules[m].defs[i];
        i -= *modules[m].count;
    }
    return NULL;
}

const struct agg_def *agg_lookup(const char *name)
{
    for (int m = 0; m < N_MODULES; m++)
        for (int i = 0; i < *modules[m].count; i++)
            if (strcasecmp(modules[m].defs[i].name, name) == 0)
                return &modules[m].defs[i];
    return NULL;
}

/* ---- values -------------------------------------------------------------------- */

int agg_kind_of(const struct sql_type *t)
{
    switch (type_lane(t)) {
    case LANE_BOOL: return AK_BOOL;
    case LANE_I64: return AK_I64;
    case LANE_F64: return AK_F64;
    case LANE_I128: return AK_I128;
    case LANE_STR: return AK_STR;
    default: return -1;
    }
}

void agg_val_get(int kind, const struct vec *v, int row, union agg_val *out)
{
    switch (kind) {
    case AK_BOOL: out->i = v->b[row]; break;
    case AK_I64: out->i = v->i64[row]; break;
    case AK_F64: out->d = v->f64[row]; break;
    case AK_I128: out->x = v->i128[row]; break;
    default:
        out->s.p = (char *)v->s[row].ptr;
        out->s.len = v->s[row].len;
        break;
    }
}

void agg_val_own(int kind, union agg_val *v)
{
    if (kind != AK_STR)
        return;
    char *c = mem_alloc((size_t)v->s.len + 1);
    if (v->s.len)
        memcpy(c, v->s.p, v->s.len);
    c[v->s.len] = '\0';
    v->s.p = c;
}

void agg_val_free(int kind, union agg_val *v)
{
    if (kind == AK_STR) {
        mem_free(v->s.p);
        v->s.p = NULL;
        v->s.len = 0;
    }
}

/* Double.doubleToLongBits: one NaN, so NaNs are equal and sort last. */
static int64_t f64_bits(double d)
{
    int64_t b;
    if (d != d)
        return 0x7ff8000000000000LL;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* Inline for the multiset's searches: DISTINCT on an integer (q15's bidder
 * and auction) spends most of its time comparing in them. */
static inline int val_cmp(int kind, const union agg_val *a, const union agg_val *b)
{
    switch (kind) {
    case AK_BOOL:
    case AK_I64: return a->i < b->i ? -1 : a->i > b->i;
    case AK_F64: return agg_f64_cmp(a->d, b->d);
    case AK_I128: return a->x < b->x ? -1 : a->x > b->x;
    default: {
        uint32_t n = a->s.len < b->s.len ? a->s.len : b->s.len;
        int c = n ? memcmp(a->s.p, b->s.p, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return a->s.len < b->s.len ? -1 : a->s.len > b->s.len;
    }
    }
}

int agg_val_cmp(int kind, const union agg_val *a, const union agg_val *b)
{
    return val_cmp(kind, a, b);
}

uint64_t agg_hash_bytes(const void *p, size_t len)
{
    const unsigned char *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)len * 0xff51afd7ed558ccdULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h ^= agg_mix64(w);
        h = ((h << 27) | (h >> 37)) * 0x9e3779b97f4a7c15ULL + 0x52dce729ULL;
        s += 8;
        len -= 8;
    }
    if (len) {
        uint64_t w = 0;
        memcpy(&w, s, len);
        h ^= agg_mix64(w ^ ((uint64_t)len << 56));
    }
    return agg_mix64(h);
}

uint64_t agg_val_hash(int kind, const union agg_val *v)
{
    switch (kind) {
    case AK_BOOL:
    case AK_I64: return agg_mix64((uint64_t)v->i ^ 0x243f6a8885a308d3ULL);
    case AK_F64: return agg_mix64((uint64_t)f64_bits(v->d) ^ 0x13198a2e03707344ULL);
    case AK_I128: {
        unsigned __int128 u = (unsigned __int128)v->x;
        return agg_mix64((uint64_t)u ^ agg_mix64((uint64_t)(u >> 64) + 0xa4093822299f31d0ULL));
    }
    default: return agg_hash_bytes(v->s.p, v->s.len);
    }
}

void agg_val_put(int kind, struct vec *out, int row, const union agg_val *v)
{
    switch (kind) {
    case AK_BOOL: out->b[row] = (uint8_t)(v->i != 0); break;
    case AK_I64: out->i64[row] = v->i; break;
    case AK_F64: out->f64[row] = v->d; break;
    case AK_I128: out->i128[row] = v->x; break;
    default: vec_set_str(out, row, v->s.len ? v->s.p : "", v->s.len); break;
    }
    vec_set_valid(out, row);
}

/* ---- checkpoint codec ------------------------------------------------------------ */

void agg_put_val(struct strbuf *sb, int kind, const union agg_val *v)
{
    switch (kind) {
    case AK_BOOL:
    case AK_I64: snap_put_i64(sb, v->i); break;
    case AK_F64: snap_put_f64(sb, v->d); break;
    case AK_I128: snap_put_i128(sb, v->x); break;
    default: {
        uint32_t n = v->s.len;
        sb_add(sb, (const char *)&n, 4);
        if (n)
            sb_add(sb, v->s.p, n);
        break;
    }
    }
}

bool agg_get_val(struct snap_rd *rd, int kind, union agg_val *v)
{
    memset(v, 0, sizeof *v);
    switch (kind) {
    case AK_BOOL:
    case AK_I64: v->i = snap_get_i64(rd); break;
    case AK_F64: v->d = snap_get_f64(rd); break;
    case AK_I128: v->x = snap_get_i128(rd); break;
    default: {
        uint32_t n;
        if (!snap_take(rd, &n, 4) || rd->len - rd->pos < n) {
            rd->bad = true;
            return false;
        }
        v->s.p = (char *)rd->p + rd->pos;
        v->s.len = n;
        rd->pos += n;
        agg_val_own(kind, v);
        break;
    }
    }
    return !rd->bad;
}

/* ---- ordered multiset (treap) ------------------------------------------------------ */

struct agg_mset_node {
    union agg_val k;     /* the value (strings owned) */
    int64_t count;       /* > 0 while the node is in the tree */
    int32_t l, r;        /* children; 0 = nil.  Free slots chain through l */
    uint32_t prio;       /* max-heap priority, from the value's hash */
};

static int32_t ms_alloc(struct agg_mset *ms)
{
    if (ms->free_head) {
        int32_t i = ms->free_head;
        ms->free_head = ms->nodes[i].l;
        return i;
    }
    if (ms->used == 0)
        ms->used = 1;   /* slot 0 is the nil sentinel */
    if (ms->used >= ms->cap) {
        int cap = ms->cap;
        MEM_GROW(ms->nodes, cap, ms->used + 1);
        if (ms->cap == 0)
            memset(&ms->nodes[0], 0, sizeof ms->nodes[0]);
        ms->cap = cap;
    }
    return ms->used++;
}

static int32_t rot_right(struct agg_mset_node *nd, int32_t t)
{
    int32_t l = nd[t].l;
    nd[t].l = nd[l].r;
    nd[l].r = t;
    return l;
}

static int32_t rot_left(struct agg_mset_node *nd, int32_t t)
{
    int32_t r = nd[t].r;
    nd[t].r = nd[r].l;
    nd[r].l = t;
    return r;
}

/* Inserts node x (not yet linked) under t; returns the new subtree root. */
static int32_t tr_insert(struct agg_mset_node *nd, int kind, int32_t t, int32_t x)
{
    if (t == 0)
        return x;
    if (val_cmp(kind, &nd[x].k, &nd[t].k) < 0) {
        nd[t].l = tr_insert(nd, kind, nd[t].l, x);
        if (nd[nd[t].l].prio > nd[t].prio)
            t = rot_right(nd, t);
    } else {
        nd[t].r = tr_insert(nd, kind, nd[t].r, x);
        if (nd[nd[t].r].prio > nd[t].prio)
            t = rot_left(nd, t);
    }
    return t;
}

static int32_t tr_join(struct agg_mset_node *nd, int32_t a, int32_t b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    if (nd[a].prio > nd[b].prio) {
        nd[a].r = tr_join(nd, nd[a].r, b);
        return a;
    }
    nd[b].l = tr_join(nd, a, nd[b].l);
    return b;
}

/* Unlinks node x (present under t); returns the new subtree root. */
static int32_t tr_unlink(struct agg_mset_node *nd, int kind, int32_t t, int32_t x)
{
    if (t == x)
        return tr_join(nd, nd[t].l, nd[t].r);
    if (val_cmp(kind, &nd[x].k, &nd[t].k) < 0)
        nd[t].l = tr_unlink(nd, kind, nd[t].l, x);
    else
        nd[t].r = tr_unlink(nd, kind, nd[t].r, x);
    return t;
}

int64_t agg_mset_add(struct agg_mset *ms, int kind, const union agg_val *v, int64_t delta)
{
    int32_t t = ms->root;
    if (kind == AK_I64 || kind == AK_BOOL) {
        int64_t x = v->i;
        while (t) {
            int64_t y = ms->nodes[t].k.i;
            if (x == y)
                break;
            t = x < y ? ms->nodes[t].l : ms->nodes[t].r;
        }
    } else {
        while (t) {
            int c = val_cmp(kind, v, &ms->nodes[t].k);
            if (c == 0)
                break;
            t = c < 0 ? ms->nodes[t].l : ms->nodes[t].r;
        }
    }
    if (t) {
        struct agg_mset_node *n = &ms->nodes[t];
        int64_t prev = n->count;
        n->count += delta;
        if (n->count <= 0) {
            ms->root = tr_unlink(ms->nodes, kind, ms->root, t);
            ms->heap_bytes -= agg_val_heap(kind, &n->k);
            agg_val_free(kind, &n->k);
            n->l = ms->free_head;
            ms->free_head = t;
            ms->n_values--;
        }
        return prev;
    }
    if (delta <= 0)
        return 0;   /* retracting a value never added: nothing to undo */
    int32_t x = ms_alloc(ms);
    struct agg_mset_node *n = &ms->nodes[x];
    n->k = *v;
    agg_val_own(kind, &n->k);
    n->count = delta;
    n->l = n->r = 0;
    /* never 0: the nil sentinel must lose every priority comparison */
    n->prio = (uint32_t)(agg_val_hash(kind, v) >> 32) | 1;
    ms->root = tr_insert(ms->nodes, kind, ms->root, x);
    ms->heap_bytes += agg_val_heap(kind, &n->k);
    ms->n_values++;
    return 0;
}

const union agg_val *agg_mset_min(const struct agg_mset *ms)
{
    int32_t t = ms->root;
    if (t == 0)
        return NULL;
    while (ms->nodes[t].l)
        t = ms->nodes[t].l;
    return &ms->nodes[t].k;
}

const union agg_val *agg_mset_max(const struct agg_mset *ms)
{
    int32_t t = ms->root;
    if (t == 0)
        return NULL;
    while (ms->nodes[t].r)
        t = ms->nodes[t].r;
    return &ms->nodes[t].k;
}

static void ms_walk(const struct agg_mset_node *nd, int32_t t,
                    void (*fn)(const union agg_val *, int64_t, void *), void *ctx)
{
    while (t) {
        ms_walk(nd, nd[t].l, fn, ctx);
        fn(&nd[t].k, nd[t].count, ctx);
        t = nd[t].r;   /* right spine iteratively: halves the recursion */
    }
}

void agg_mset_each(const struct agg_mset *ms,
                   void (*fn)(const union agg_val *v, int64_t count, void *ctx), void *ctx)
{
    if (ms->root)
        ms_walk(ms->nodes, ms->root, fn, ctx);
}

static void ms_free_walk(struct agg_mset_node *nd, int kind, int32_t t)
{
    while (t) {
        ms_free_walk(nd, kind, nd[t].l);
        agg_val_free(kind, &nd[t].k);
        t = nd[t].r;
    }
}

void agg_mset_free(struct agg_mset *ms, int kind)
{
    if (kind == AK_STR && ms->root)
        ms_free_walk(ms->nodes, kind, ms->root);
    mem_free(ms->nodes);
    memset(ms, 0, sizeof *ms);
}

size_t agg_mset_mem(const struct agg_mset *ms)
{
    return (size_t)ms->cap * sizeof(struct agg_mset_node) + ms->heap_bytes;
}

struct ms_snap_ctx {
    struct strbuf *out;
    int kind;
};

static void ms_snap_one(const union agg_val *v, int64_t count, void *ctx)
{
    struct ms_snap_ctx *c = ctx;
    agg_put_val(c->out, c->kind, v);
    snap_put_i64(c->out, count);
}

void agg_mset_snapshot(const struct agg_mset *ms, int kind, struct strbuf *out)
{
    struct ms_snap_ctx c = {out, kind};
    snap_put_i64(out, ms->n_values);
    agg_mset_each(ms, ms_snap_one, &c);
}

/* Reads the [i64 n, n × (value, i64 count > 0)] that a distinct set's
 * snapshot writes (the tree and the hash set share it), adding each value
 * with add; false when the record is bad. */
static bool read_counted(struct snap_rd *rd, int kind, void *set,
                         int64_t (*add)(void *set, int kind, const union agg_val *v,
                                        int64_t delta))
{
    int64_t n = snap_get_i64(rd);
    if (n < 0)
        rd->bad = true;
    for (int64_t i = 0; i < n && !rd->bad; i++) {
        union agg_val v;
        if (!agg_get_val(rd, kind, &v))
            break;
        int64_t c = snap_get_i64(rd);
        if (!rd->bad && c > 0)
            add(set, kind, &v, c);
        else
            rd->bad = true;
        agg_val_free(kind, &v);
    }
    return !rd->bad;
}

static int64_t mset_add_any(void *set, int kind, const union agg_val *v, int64_t delta)
{
    return agg_mset_add(set, kind, v, delta);
}

bool agg_mset_restore(struct agg_mset *ms, int kind, struct snap_rd *rd)
{
    memset(ms, 0, sizeof *ms);
    if (read_counted(rd, kind, ms, mset_add_any))
        return true;
    agg_mset_free(ms, kind);
    return false;
}

/* ---- arrival-ordered sequence ----------------------------------------------------- */

struct agg_seq_ent {
    union agg_val v;     /* strings owned */
    int64_t dead;        /* tombstone: retracted */
};

static void seq_compact(struct agg_seq *sq)
{
    int32_t w = 0;
    for (int32_t i = sq->head; i < sq->n; i++)
        if (!sq->e[i].dead)
            sq->e[w++] = sq->e[i];
    sq->n = w;
    sq->head = 0;
}

void agg_seq_push(struct agg_seq *sq, int kind, const union agg_val *v)
{
    if (sq->n == sq->cap && sq->live < sq->n / 2)
        seq_compact(sq);
    if (sq->n == sq->cap) {
        int cap = sq->cap;
        MEM_GROW(sq->e, cap, sq->n + 1);
        sq->cap = cap;
    }
    struct agg_seq_ent *e = &sq->e[sq->n++];
    e->v = *v;
    agg_val_own(kind, &e->v);
    e->dead = 0;
    sq->live++;
    sq->heap_bytes += agg_val_heap(kind, &e->v);
}

bool agg_seq_remove(struct agg_seq *sq, int kind, const union agg_val *v)
{
    for (int32_t i = sq->head; i < sq->n; i++) {
        struct agg_seq_ent *e = &sq->e[i];
        if (e->dead || agg_val_cmp(kind, &e->v, v) != 0)
            continue;
        sq->heap_bytes -= agg_val_heap(kind, &e->v);
        agg_val_free(kind, &e->v);
        e->dead = 1;
        sq->live--;
        while (sq->head < sq->n && sq->e[sq->head].dead)
            sq->head++;
        while (sq->n > sq->head && sq->e[sq->n - 1].dead)
            sq->n--;
        if (sq->live == 0)
            sq->n = sq->head = 0;
        return true;
    }
    return false;
}

const union agg_val *agg_seq_first(const struct agg_seq *sq)
{
    return sq->live ? &sq->e[sq->head].v : NULL;
}

const union agg_val *agg_seq_last(const struct agg_seq *sq)
{
    /* trailing tombstones are trimmed on removal, so the last entry is live */
    return sq->live ? &sq->e[sq->n - 1].v : NULL;
}

const union agg_val *agg_seq_next(const struct agg_seq *sq, int32_t *pos)
{
    int32_t i = *pos < sq->head ? sq->head : *pos;
    while (i < sq->n && sq->e[i].dead)
        i++;
    if (i >= sq->n)
        return NULL;
    *pos = i + 1;
    return &sq->e[i].v;
}

void agg_seq_free(struct agg_seq *sq, int kind)
{
    if (kind == AK_STR)
        for (int32_t i = sq->head; i < sq->n; i++)
            if (!sq->e[i].dead)
                agg_val_free(kind, &sq->e[i].v);
    mem_free(sq->e);
    memset(sq, 0, sizeof *sq);
}

size_t agg_seq_mem(const struct agg_seq *sq)
{
    return (size_t)sq->cap * sizeof(struct agg_seq_ent) + sq->heap_bytes;
}

void agg_seq_snapshot(const struct agg_seq *sq, int kind, struct strbuf *out)
{
    snap_put_i64(out, sq->live);
    int32_t pos = 0;
    const union agg_val *v;
    while ((v = agg_seq_next(sq, &pos)) != NULL)
        agg_put_val(out, kind, v);
}

bool agg_seq_restore(struct agg_seq *sq, int kind, struct snap_rd *rd)
{
    memset(sq, 0, sizeof *sq);
    int64_t n = snap_get_i64(rd);
    if (n < 0 || n > INT32_MAX)
        rd->bad = true;
    for (int64_t i = 0; i < n && !rd->bad; i++) {
        union agg_val v;
        if (!agg_get_val(rd, kind, &v))
            break;
        agg_seq_push(sq, kind, &v);
        agg_val_free(kind, &v);
    }
    if (rd->bad) {
        agg_seq_free(sq, kind);
        return false;
    }
    return true;
}

/* ---- bind helpers ------------------------------------------------------------------ */

int agg_bind_fail(struct agg_bind *ab, struct weir_error *err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set_at(err, WEIR_ERR_BIND, ab->loc, "%s %s", ab->def->name, msg);
}

const char *agg_type_str(struct agg_bind *ab, const struct sql_type *t)
{
    return type_to_sql(ab->arena, type_with_nullable(ab->arena, t, true));
}

/* ---- DISTINCT ------------------------------------------------------------------------ */

/*
 * The value set of a DISTINCT accumulator: key → count in an open-addressing
 * hash table (linear probing, deletion by backward shift, so no tombstones).
 * DISTINCT only asks whether a key is present, which a hash answers in one
 * probe or two where the ordered multiset walks a tree (q15/q16 look up four
 * sets per row).  Merges and snapshots see the keys in ascending order,
 * sorted then, as the multiset gave them: the checkpoint encoding is
 * agg_mset_snapshot's.
 */
struct dset_ent {
    union agg_val k;                  /* owned */
    int64_t count;                    /* 0: a free entry */
};

struct dset {
    struct dset_ent *e;               /* NULL while empty */
    uint32_t mask;                    /* capacity - 1 (a power of 2) */
    uint32_t n;                       /* keys held */
    size_t heap_bytes;                /* owned string bytes */
};

static inline uint64_t dset_hash(int kind, const union agg_val *v)
{
    if (kind == AK_I64 || kind == AK_BOOL)
        return agg_mix64((uint64_t)v->i ^ 0x243f6a8885a308d3ULL);
    return agg_val_hash(kind, v);
}

static inline bool dset_eq(int kind, const union agg_val *a, const union agg_val *b)
{
    if (kind == AK_I64 || kind == AK_BOOL)
        return a->i == b->i;
    return val_cmp(kind, a, b) == 0;
}

static void dset_grow(struct dset *s, int kind)
{
    uint32_t old_cap = s->e ? s->mask + 1 : 0;
    uint32_t cap = old_cap ? old_cap * 2 : 8;
    struct dset_ent *old = s->e;
    s->e = mem_calloc(cap, sizeof *s->e);
    s->mask = cap - 1;
    for (uint32_t i = 0; i < old_cap; i++) {
        if (old[i].count == 0)
            continue;
        uint32_t j = (uint32_t)dset_hash(kind, &old[i].k) & s->mask;
        while (s->e[j].count)
            j = (j + 1) & s->mask;
        s->e[j] = old[i];
    }
    mem_free(old);
}

/* Frees entry i and closes the gap it leaves in its probe run. */
static void dset_remove(struct dset *s, int kind, uint32_t i)
{
    s->heap_bytes -= agg_val_heap(kind, &s->e[i].k);
    agg_val_free(kind, &s->e[i].k);
    s->n--;
    uint32_t k = i;
    for (;;) {
        k = (k + 1) & s->mask;
        if (s->e[k].count == 0)
            break;
        uint32_t home = (uint32_t)dset_hash(kind, &s->e[k].k) & s->mask;
        /* an entry whose home lies cyclically in (i, k] cannot move to i */
        if (i <= k ? (i < home && home <= k) : (i < home || home <= k))
            continue;
        s->e[i] = s->e[k];
        i = k;
    }
    memset(&s->e[i], 0, sizeof s->e[i]);
}

/* As agg_mset_add: adds delta to v's count (v is copied when new), removes it
 * at <= 0, ignores retracting an absent key; returns the count before.
 * h is dset_hash(kind, v). */
static int64_t dset_add_h(struct dset *s, int kind, const union agg_val *v, int64_t delta,
                          uint64_t h)
{
    uint32_t j = 0;
    if (s->e) {
        j = (uint32_t)h & s->mask;
        while (s->e[j].count) {
            if (dset_eq(kind, &s->e[j].k, v)) {
                int64_t prev = s->e[j].count;
                s->e[j].count += delta;
                if (s->e[j].count <= 0)
                    dset_remove(s, kind, j);
                return prev;
            }
            j = (j + 1) & s->mask;
        }
    }
    if (delta <= 0)
        return 0;
    if (s->e == NULL || (uint64_t)(s->n + 1) * 4 > (uint64_t)(s->mask + 1) * 3) {
        dset_grow(s, kind);
        j = (uint32_t)h & s->mask;
        while (s->e[j].count)
            j = (j + 1) & s->mask;
    }
    s->e[j].k = *v;
    agg_val_own(kind, &s->e[j].k);
    s->e[j].count = delta;
    s->heap_bytes += agg_val_heap(kind, &s->e[j].k);
    s->n++;
    return 0;
}

static int64_t dset_add(struct dset *s, int kind, const union agg_val *v, int64_t delta)
{
    return dset_add_h(s, kind, v, delta, dset_hash(kind, v));
}

static int dset_cmp(const void *a, const void *b, void *kind)
{
    const struct dset_ent *x = *(const struct dset_ent *const *)a;
    const struct dset_ent *y = *(const struct dset_ent *const *)b;
    return val_cmp(*(const int *)kind, &x->k, &y->k);
}

/* Calls fn for every key in ascending order. */
static void dset_each(const struct dset *s, int kind,
                      void (*fn)(const union agg_val *v, int64_t count, void *ctx), void *ctx)
{
    if (s->n == 0)
        return;
    const struct dset_ent **v = mem_alloc((size_t)s->n * sizeof *v);
    uint32_t m = 0;
    for (uint32_t i = 0; i <= s->mask; i++)
        if (s->e[i].count)
            v[m++] = &s->e[i];
    qsort_r(v, m, sizeof *v, dset_cmp, &kind);
    for (uint32_t i = 0; i < m; i++)
        fn(&v[i]->k, v[i]->count, ctx);
    mem_free(v);
}

static void dset_free(struct dset *s, int kind)
{
    if (kind == AK_STR && s->e)
        for (uint32_t i = 0; i <= s->mask; i++)
            if (s->e[i].count)
                agg_val_free(kind, &s->e[i].k);
    mem_free(s->e);
    memset(s, 0, sizeof *s);
}

static size_t dset_mem(const struct dset *s)
{
    return (s->e ? (size_t)(s->mask + 1) * sizeof(struct dset_ent) : 0) + s->heap_bytes;
}

static void dset_snap_one(const union agg_val *v, int64_t count, void *ctx)
{
    struct ms_snap_ctx *c = ctx;
    agg_put_val(c->out, c->kind, v);
    snap_put_i64(c->out, count);
}

/* Sorted, as agg_mset_snapshot: equal sets give equal bytes whatever their
 * history. */
static void dset_snapshot(const struct dset *s, int kind, struct strbuf *out)
{
    struct ms_snap_ctx c = {out, kind};
    snap_put_i64(out, s->n);
    dset_each(s, kind, dset_snap_one, &c);
}

static int64_t dset_add_any(void *set, int kind, const union agg_val *v, int64_t delta)
{
    return dset_add(set, kind, v, delta);
}

static bool dset_restore(struct dset *s, int kind, struct snap_rd *rd)
{
    memset(s, 0, sizeof *s);
    if (read_counted(rd, kind, s, dset_add_any))
        return true;
    dset_free(s, kind);
    return false;
}


struct dist_state {
    const struct agg_ops *inner;
    const void *inner_state;
    size_t off;                       /* struct dist_acc offset: inner size, 8-aligned */
    int n_args;
    int kind;                         /* key kind: the argument's, AK_STR for tuples */
    bool tuple;                       /* several arguments: key = encoded tuple */
    int *kinds;                       /* per argument */
    const struct sql_type **types;    /* per argument, after casts */
};

struct dist_acc {
    int64_t rows;                     /* adds - retracts of every row (is_empty) */
    struct dset set;                  /* distinct key → count */
};

#define DIST(acc, ds) ((struct dist_acc *)((char *)(acc) + (ds)->off))
#define DIST_CHUNK 256

static void dist_init(void *acc, const void *state)
{
    const struct dist_state *ds = state;
    ds->inner->init(acc, ds->inner_state);
    memset(DIST(acc, ds), 0, sizeof(struct dist_acc));
}

/* The key of row r (all arguments non-NULL); tuple keys are built in key. */
static void dist_key(const struct dist_state *ds, const struct vec *args, int r,
                     struct strbuf *key, union agg_val *v)
{
    if (!ds->tuple) {
        agg_val_get(ds->kind, &args[0], r, v);
        return;
    }
    sb_clear(key);
    for (int i = 0; i < ds->n_args; i++) {
        union agg_val a;
        agg_val_get(ds->kinds[i], &args[i], r, &a);
        agg_put_val(key, ds->kinds[i], &a);
    }
    v->s.p = key->buf;
    v->s.len = (uint32_t)key->len;
}

/* Where a DISTINCT layer counts its values: the accumulator's own set
 * (dist_ops) or a set shared with other aggregates (vdist_ops, below). */
struct dist_sink {
    int64_t *(*rows)(void *acc, const void *st);   /* adds - retracts of every row */
    void (*prefetch)(const void *acc, uint64_t h, const void *st);
    /* the value's count before adding delta */
    int64_t (*add)(void *acc, const union agg_val *v, int64_t delta, uint64_t h,
                   const void *st);
};

/* Counts each row's value in its accumulator's set and feeds the inner
 * function the values whose count goes 0 → 1 (or 1 → 0 on retraction). */
static void dist_count(const struct dist_state *ds, const struct dist_sink *sk, const void *st,
                       void **accs, const struct vec *args, const uint16_t *rows, int n,
                       int sign)
{
    void *pend_acc[DIST_CHUNK];
    uint16_t pend_row[DIST_CHUNK];
    int m = 0;
    struct strbuf key = {0};
    /* Large sets (Nexmark q16's distinct bidders) miss the cache on every
     * probe: single-column keys are hashed a run of rows ahead and their
     * slots prefetched, so the misses overlap instead of queueing. */
    enum { AHEAD = 64 };
    uint64_t hs[AHEAD];
    int ahead_start = 0, ahead_end = 0;
    for (int k = 0; k < n; k++) {
        int r = rows[k];
        if (!ds->tuple && k == ahead_end) {
            ahead_start = k;
            ahead_end = k + AHEAD < n ? k + AHEAD : n;
            for (int a = k; a < ahead_end; a++) {
                union agg_val av;
                if (vec_is_null(&args[0], rows[a]))
                    continue;
                agg_val_get(ds->kind, &args[0], rows[a], &av);
                hs[a - k] = dset_hash(ds->kind, &av);
                sk->prefetch(accs[a], hs[a - k], st);
            }
        }
        *sk->rows(accs[k], st) += sign;
        bool null = false;
        for (int i = 0; i < ds->n_args; i++)
            null |= vec_is_null(&args[i], r);
        if (null)
            continue;
        union agg_val v;
        dist_key(ds, args, r, &key, &v);
        uint64_t h = ds->tuple ? dset_hash(ds->kind, &v) : hs[k - ahead_start];
        int64_t prev = sk->add(accs[k], &v, sign, h, st);
        if (sign > 0 ? prev != 0 : prev != 1)
            continue;   /* not a 0 → 1 or 1 → 0 transition */
        pend_acc[m] = accs[k];
        pend_row[m] = (uint16_t)r;
        if (++m == DIST_CHUNK) {
            /* flushing in row order keeps order-sensitive functions right */
            ds->inner->update(pend_acc, args, pend_row, m, sign, ds->inner_state);
            m = 0;
        }
    }
    if (m)
        ds->inner->update(pend_acc, args, pend_row, m, sign, ds->inner_state);
    sb_free(&key);
}

static int64_t *own_rows(void *acc, const void *st)
{
    return &DIST(acc, (const struct dist_state *)st)->rows;
}

static void own_prefetch(const void *acc, uint64_t h, const void *st)
{
    const struct dset *s = &DIST(acc, (const struct dist_state *)st)->set;
    if (s->e)
        __builtin_prefetch(&s->e[(uint32_t)h & s->mask]);
}

static int64_t own_add(void *acc, const union agg_val *v, int64_t delta, uint64_t h,
                       const void *st)
{
    const struct dist_state *ds = st;
    return dset_add_h(&DIST(acc, ds)->set, ds->kind, v, delta, h);
}

static const struct dist_sink own_sink = {own_rows, own_prefetch, own_add};

static void dist_update(void **accs, const struct vec *args, const uint16_t *rows, int n,
                        int sign, const void *state)
{
    dist_count(state, &own_sink, state, accs, args, rows, n, sign);
}

/* Feeds one distinct key to the inner function as a one-row batch. */
static void dist_feed(const struct dist_state *ds, void *acc, const union agg_val *v)
{
    struct arena ar;
    arena_init(&ar, 4096);
    struct vec *tmp = mem_calloc((size_t)ds->n_args, sizeof(struct vec));
    for (int i = 0; i < ds->n_args; i++)
        vec_init(&tmp[i], ds->types[i], 1, &ar);
    if (!ds->tuple) {
        agg_val_put(ds->kind, &tmp[0], 0, v);
    } else {
        struct snap_rd rd = {v->s.p, v->s.len, 0, false};
        for (int i = 0; i < ds->n_args; i++) {
            union agg_val a;
            if (agg_get_val(&rd, ds->kinds[i], &a)) {
                agg_val_put(ds->kinds[i], &tmp[i], 0, &a);
                agg_val_free(ds->kinds[i], &a);
            }
        }
    }
    uint16_t r0 = 0;
    ds->inner->update(&acc, tmp, &r0, 1, 1, ds->inner_state);
    for (int i = 0; i < ds->n_args; i++)
        vec_free(&tmp[i]);
    mem_free(tmp);
    arena_free(&ar);
}

struct dist_merge_ctx {
    const struct dist_state *ds;
    void *into;
};

static void dist_merge_one(const union agg_val *v, int64_t count, void *ctx)
{
    struct dist_merge_ctx *c = ctx;
    if (dset_add(&DIST(c->into, c->ds)->set, c->ds->kind, v, count) == 0)
        dist_feed(c->ds, c->into, v);
}

static void dist_merge(void *into, const void *from, const void *state)
{
    const struct dist_state *ds = state;
    const struct dist_acc *df = DIST(from, ds);
    struct dist_merge_ctx c = {ds, into};
    DIST(into, ds)->rows += df->rows;
    dset_each(&df->set, ds->kind, dist_merge_one, &c);
}

static void dist_result(const void *acc, struct vec *out, int row, const void *state)
{
    const struct dist_state *ds = state;
    ds->inner->result(acc, out, row, ds->inner_state);
}

static bool dist_is_empty(const void *acc, const void *state)
{
    return DIST(acc, (const struct dist_state *)state)->rows == 0;
}

static void dist_destroy(void *acc, const void *state)
{
    const struct dist_state *ds = state;
    if (ds->inner->destroy)
        ds->inner->destroy(acc, ds->inner_state);
    dset_free(&DIST(acc, ds)->set, ds->kind);
}

static size_t dist_mem_size(const void *acc, const void *state)
{
    const struct dist_state *ds = state;
    size_t n = ds->inner->mem_size ? ds->inner->mem_size(acc, ds->inner_state) : 0;
    return n + dset_mem(&DIST(acc, ds)->set);
}

static void dist_snapshot(const void *acc, struct strbuf *out, const void *state)
{
    const struct dist_state *ds = state;
    const struct dist_acc *da = DIST(acc, ds);
    snap_put_i64(out, da->rows);
    ds->inner->snapshot(acc, out, ds->inner_state);
    dset_snapshot(&da->set, ds->kind, out);
}

static int dist_restore(void *acc, const char *p, size_t len, const void *state)
{
    const struct dist_state *ds = state;
    struct dist_acc *da = DIST(acc, ds);
    struct snap_rd rd = {p, len, 0, false};
    memset(da, 0, sizeof *da);
    da->rows = snap_get_i64(&rd);
    if (rd.bad)
        return -1;
    int c = ds->inner->restore(acc, p + rd.pos, len - rd.pos, ds->inner_state);
    if (c < 0)
        return -1;
    rd.pos += (size_t)c;
    if (!dset_restore(&da->set, ds->kind, &rd)) {
        if (ds->inner->destroy)
            ds->inner->destroy(acc, ds->inner_state);
        return -1;
    }
    return (int)rd.pos;
}

static const struct agg_ops dist_ops = {
    .init = dist_init,
    .update = dist_update,
    .merge = dist_merge,
    .result = dist_result,
    .is_empty = dist_is_empty,
    .destroy = dist_destroy,
    .mem_size = dist_mem_size,
    .snapshot = dist_snapshot,
    .restore = dist_restore,
};

int agg_bind_done(struct agg_bind *ab, struct weir_error *err, bool dup_insensitive)
{
    ab->acc_size = (ab->acc_size + 7) & ~(size_t)7;
    if (!ab->distinct || dup_insensitive || ab->n_args == 0)
        return WEIR_OK;
    struct dist_state *ds = arena_calloc(ab->arena, sizeof *ds);
    ds->inner = ab->ops;
    ds->inner_state = ab->state;
    ds->off = ab->acc_size;
    ds->n_args = ab->n_args;
    ds->tuple = ab->n_args > 1;
    ds->kinds = arena_calloc(ab->arena, (size_t)ab->n_args * sizeof(int));
    ds->types = arena_calloc(ab->arena, (size_t)ab->n_args * sizeof(*ds->types));
    for (int i = 0; i < ab->n_args; i++) {
        const struct sql_type *t =
            ab->cast_to && ab->cast_to[i] ? ab->cast_to[i] : ab->arg_types[i];
        ds->types[i] = t;
        ds->kinds[i] = agg_kind_of(t);
        if (ds->kinds[i] < 0)
            return agg_bind_fail(ab, err, "(DISTINCT ...) does not support %s arguments",
                                 agg_type_str(ab, t));
    }
    ds->kind = ds->tuple ? AK_STR : ds->kinds[0];
    ab->ops = &dist_ops;
    ab->state = ds;
    ab->acc_size = ds->off + sizeof(struct dist_acc);
    return WEIR_OK;
}

/* ---- shared DISTINCT sets ------------------------------------------------------------ */

/*
 * DISTINCT aggregates of one operator whose arguments are the same
 * expressions (they differ by FILTER, or by function: q16's four
 * COUNT(DISTINCT bidder) over three price bands) keep one value set between
 * them, as Flink's DistinctAggCodeGen shares one MapView per distinct
 * argument list: value → one count per sharing aggregate (a "variant").
 * Issue 4: q16's eight sets per group held 1 GB at 10M events; the shared
 * sets hold one entry per value instead of one per value and variant, in
 * 8-16 bytes of key plus 2 bytes per variant.
 *
 * Each variant is still an aggregate of its own (the operator applies its
 * FILTER and calls its ops); only its set is elsewhere: the first variant
 * (the owner) carries struct vset in its slot after its row counter, and
 * every variant reaches it at a fixed distance from its own accumulator
 * (set_rel, known once the operator has laid the slot out: agg_share_place).
 * The owner initialises, frees, measures (mem_size: once) and restores the
 * set first; the others add their counts to it.  A variant's count goes
 * 0 → 1 / 1 → 0 exactly as the private set's did, so its inner function sees
 * the same rows; an entry goes when every variant's count is 0.
 *
 * Counts are u16: a count that reaches VCOUNT_SAT stays there and the rest
 * (true count - VCOUNT_SAT + 1) is kept in a per-variant overflow dset,
 * allocated the first time one is needed (a value seen 65,535 times in one
 * group by one variant).  So counts are exact up to the dset's i64, with no
 * silent wrap, and the common entry stays small.
 *
 * The table: open addressing with linear probing over any capacity (home =
 * the hash's top 32 bits scaled to the capacity), at most 4/5 full, grown by
 * half: loads stay between 0.53 and 0.8, where doubling at 3/4 left q16's
 * sets 53% full (its typical group: 444 values in 1,024 slots).  Deletion
 * shifts back, so there are no tombstones; an entry is free when all its
 * counts are 0, and the table goes with the set's last value.
 *
 * Checkpoints are unchanged: each variant writes [i64 rows, inner, its own
 * values and counts] exactly as dist_snapshot does, so records of private
 * and shared sets are interchangeable (a checkpoint taken before sharing
 * restores, and the other way round); restore rebuilds the shared set from
 * the variants' records, the owner's first (opagg_get_accs restores in
 * aggregate order, and the owner is the first of its variants).
 */
typedef uint16_t vcount;
#define VCOUNT_SAT UINT16_MAX

struct vset {
    unsigned char *e;                 /* cap entries of sh->stride bytes; NULL: empty */
    uint32_t cap;                     /* entries allocated (any number) */
    uint32_t n;                       /* values held */
    struct dset *ovf;                 /* per variant: counts past VCOUNT_SAT, or NULL */
    size_t heap_bytes;                /* owned string bytes */
};

/* One shared set's shape (per operator, read-only while it runs). */
struct vshare {
    int n_var;                        /* variants sharing it */
    int kind;                         /* key kind (as dist_state.kind) */
    uint32_t ksize;                   /* key bytes at the start of an entry */
    uint32_t stride;                  /* entry bytes: key, then n_var counts */
};

/* One variant (the agg_call's state). */
struct vdist_state {
    const struct dist_state *ds;      /* its own DISTINCT layer: inner function, types */
    struct vshare *sh;                /* owned by variant 0 */
    int var;                          /* its count in an entry; 0 owns the set */
    ptrdiff_t set_rel;                /* from its accumulator to the struct vset */
};

/* The variant's row counter follows the inner accumulator (as dist_acc.rows). */
#define VROWS(acc, vd) (*(int64_t *)((char *)(acc) + (vd)->ds->off))
#define VSET(acc, vd) ((struct vset *)((char *)(acc) + (vd)->set_rel))

/* Keys are stored unaligned (entries are packed), so they go through memcpy. */
static inline void vkey_get(int kind, const unsigned char *e, union agg_val *v)
{
    switch (kind) {
    case AK_I128: memcpy(&v->x, e, 16); break;
    case AK_STR:
        memcpy(&v->s.p, e, sizeof v->s.p);
        memcpy(&v->s.len, e + sizeof v->s.p, 4);
        break;
    default: memcpy(&v->i, e, 8); break;   /* AK_I64, AK_BOOL, AK_F64 (same bits) */
    }
}

static inline void vkey_put(int kind, unsigned char *e, const union agg_val *v)
{
    switch (kind) {
    case AK_I128: memcpy(e, &v->x, 16); break;
    case AK_STR:
        memcpy(e, &v->s.p, sizeof v->s.p);
        memcpy(e + sizeof v->s.p, &v->s.len, 4);
        break;
    default: memcpy(e, &v->i, 8); break;
    }
}

static inline bool vkey_eq(int kind, const unsigned char *e, const union agg_val *v)
{
    if (kind == AK_I64 || kind == AK_BOOL) {
        int64_t x;
        memcpy(&x, e, 8);
        return x == v->i;
    }
    union agg_val k;
    vkey_get(kind, e, &k);
    return val_cmp(kind, &k, v) == 0;
}

static inline vcount vc_load(const struct vshare *sh, const unsigned char *e, int var)
{
    vcount c;
    memcpy(&c, e + sh->ksize + (size_t)var * sizeof c, sizeof c);
    return c;
}

static inline void vc_store(const struct vshare *sh, unsigned char *e, int var, vcount c)
{
    memcpy(e + sh->ksize + (size_t)var * sizeof c, &c, sizeof c);
}

/* Is entry e in use (some count > 0)?  Asked at every probe: the counts are
 * read 8 bytes at a time (q16's four variants: one load). */
static inline bool vent_live(const struct vshare *sh, const unsigned char *e)
{
    const unsigned char *c = e + sh->ksize;
    size_t n = (size_t)sh->n_var * sizeof(vcount), i = 0;
    uint64_t any = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, c + i, 8);
        any |= w;
    }
    for (; i < n; i += sizeof(vcount)) {
        vcount w;
        memcpy(&w, c + i, sizeof w);
        any |= w;
    }
    return any != 0;
}

static inline uint32_t vset_home(uint64_t h, uint32_t cap)
{
    return (uint32_t)(((h >> 32) * (uint64_t)cap) >> 32);
}

static inline uint64_t vset_hash_ent(const struct vshare *sh, const unsigned char *e)
{
    union agg_val k;
    vkey_get(sh->kind, e, &k);
    return dset_hash(sh->kind, &k);
}

/* The entry of v (hash h), or NULL; *pos is where probing stopped. */
static inline unsigned char *vset_find(const struct vshare *sh, const struct vset *s,
                                       const union agg_val *v, uint64_t h, uint32_t *pos)
{
    if (s->e == NULL)
        return NULL;
    uint32_t j = vset_home(h, s->cap);
    for (;;) {
        unsigned char *e = s->e + (size_t)j * sh->stride;
        if (!vent_live(sh, e)) {
            *pos = j;
            return NULL;
        }
        if (vkey_eq(sh->kind, e, v)) {
            *pos = j;
            return e;
        }
        if (++j == s->cap)
            j = 0;
    }
}

static void vset_resize(const struct vshare *sh, struct vset *s, uint32_t cap)
{
    unsigned char *old = s->e;
    uint32_t old_cap = s->cap;
    s->e = mem_calloc(cap, sh->stride);
    s->cap = cap;
    for (uint32_t i = 0; i < old_cap; i++) {
        const unsigned char *e = old + (size_t)i * sh->stride;
        if (!vent_live(sh, e))
            continue;
        uint32_t j = vset_home(vset_hash_ent(sh, e), cap);
        while (vent_live(sh, s->e + (size_t)j * sh->stride))
            if (++j == cap)
                j = 0;
        memcpy(s->e + (size_t)j * sh->stride, e, sh->stride);
    }
    mem_free(old);
}

static void vset_free(const struct vshare *sh, struct vset *s)
{
    if (sh->kind == AK_STR)
        for (uint32_t i = 0; i < s->cap; i++) {
            unsigned char *e = s->e + (size_t)i * sh->stride;
            if (vent_live(sh, e)) {
                union agg_val k;
                vkey_get(sh->kind, e, &k);
                agg_val_free(sh->kind, &k);
            }
        }
    mem_free(s->e);
    if (s->ovf) {
        for (int v = 0; v < sh->n_var; v++)
            dset_free(&s->ovf[v], sh->kind);
        mem_free(s->ovf);
    }
    memset(s, 0, sizeof *s);
}

/* Frees entry i (every count 0) and closes the gap, as dset_remove. */
static void vset_remove(const struct vshare *sh, struct vset *s, uint32_t i)
{
    union agg_val k;
    vkey_get(sh->kind, s->e + (size_t)i * sh->stride, &k);
    s->heap_bytes -= agg_val_heap(sh->kind, &k);
    agg_val_free(sh->kind, &k);
    if (--s->n == 0) {
        vset_free(sh, s);   /* the last value: the group's set goes (changelogs) */
        return;
    }
    uint32_t j = i;
    for (;;) {
        if (++j == s->cap)
            j = 0;
        unsigned char *e = s->e + (size_t)j * sh->stride;
        if (!vent_live(sh, e))
            break;
        uint32_t home = vset_home(vset_hash_ent(sh, e), s->cap);
        /* an entry whose home lies cyclically in (i, j] cannot move to i */
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        memcpy(s->e + (size_t)i * sh->stride, e, sh->stride);
        i = j;
    }
    memset(s->e + (size_t)i * sh->stride, 0, sh->stride);
}

/* The true count of variant var in entry e. */
static int64_t vc_get(const struct vshare *sh, const struct vset *s, const unsigned char *e,
                      int var)
{
    vcount c = vc_load(sh, e, var);
    if (c < VCOUNT_SAT)
        return c;
    union agg_val k;
    vkey_get(sh->kind, e, &k);
    return VCOUNT_SAT - 1 + dset_add(&s->ovf[var], sh->kind, &k, 0);
}

/* Sets variant var's count in entry e to t >= 0, moving what does not fit
 * in a vcount to (or back from) the overflow set. */
static void vc_set(const struct vshare *sh, struct vset *s, unsigned char *e, int var,
                   int64_t t)
{
    vcount c = vc_load(sh, e, var);
    if (c == VCOUNT_SAT || t >= VCOUNT_SAT) {
        union agg_val k;
        vkey_get(sh->kind, e, &k);
        if (s->ovf == NULL)
            s->ovf = mem_calloc((size_t)sh->n_var, sizeof *s->ovf);
        int64_t had = c == VCOUNT_SAT ? dset_add(&s->ovf[var], sh->kind, &k, 0) : 0;
        int64_t want = t >= VCOUNT_SAT ? t - VCOUNT_SAT + 1 : 0;
        dset_add(&s->ovf[var], sh->kind, &k, want - had);
    }
    vc_store(sh, e, var, t >= VCOUNT_SAT ? VCOUNT_SAT : (vcount)t);
}

/*
 * As dset_add, for variant var: adds delta to its count of v (v is copied
 * when new to the set), ignores retracting what it does not hold, and drops
 * the entry when no variant holds v any more.  Returns var's count before.
 * h is dset_hash(kind, v).
 */
static int64_t vset_add_h(const struct vshare *sh, struct vset *s, int var,
                          const union agg_val *v, int64_t delta, uint64_t h)
{
    uint32_t j = 0;
    unsigned char *e = vset_find(sh, s, v, h, &j);
    if (e) {
        int64_t prev = vc_get(sh, s, e, var);
        int64_t t = prev + delta;
        if (prev == 0 && delta <= 0)
            return 0;
        vc_set(sh, s, e, var, t > 0 ? t : 0);
        if (t <= 0 && !vent_live(sh, e))
            vset_remove(sh, s, j);
        return prev;
    }
    if (delta <= 0)
        return 0;
    if (s->e == NULL || (uint64_t)(s->n + 1) * 5 > (uint64_t)s->cap * 4) {
        uint32_t cap = s->cap < 8 ? 8 : s->cap + s->cap / 2;
        vset_resize(sh, s, cap);
        j = vset_home(h, s->cap);
        while (vent_live(sh, s->e + (size_t)j * sh->stride))
            if (++j == s->cap)
                j = 0;
    }
    e = s->e + (size_t)j * sh->stride;
    union agg_val k = *v;
    agg_val_own(sh->kind, &k);
    vkey_put(sh->kind, e, &k);
    s->heap_bytes += agg_val_heap(sh->kind, &k);
    s->n++;
    vc_set(sh, s, e, var, delta);
    return 0;
}

static size_t vset_mem(const struct vshare *sh, const struct vset *s)
{
    size_t n = (size_t)s->cap * sh->stride + s->heap_bytes;
    if (s->ovf) {
        n += (size_t)sh->n_var * sizeof *s->ovf;
        for (int v = 0; v < sh->n_var; v++)
            n += dset_mem(&s->ovf[v]);
    }
    return n;
}

static int vset_cmp_i64(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    int64_t x, y;
    memcpy(&x, *(const unsigned char *const *)a, 8);
    memcpy(&y, *(const unsigned char *const *)b, 8);
    return x < y ? -1 : x > y;
}

static int vset_cmp(const void *a, const void *b, void *ctx)
{
    const struct vshare *sh = ctx;
    union agg_val x, y;
    vkey_get(sh->kind, *(const unsigned char *const *)a, &x);
    vkey_get(sh->kind, *(const unsigned char *const *)b, &y);
    return val_cmp(sh->kind, &x, &y);
}

/* Calls fn for every value that variant var holds, in ascending order (as
 * dset_each: merges feed inner functions in this order, snapshots write
 * it); first tells how many there are (may be NULL). */
static void vset_each(const struct vshare *sh, const struct vset *s, int var,
                      void (*first)(int64_t n, void *ctx),
                      void (*fn)(const union agg_val *v, int64_t count, void *ctx), void *ctx)
{
    unsigned char **ents = s->n ? mem_alloc((size_t)s->n * sizeof *ents) : NULL;
    uint32_t m = 0;
    for (uint32_t i = 0; i < s->cap; i++) {
        unsigned char *e = s->e + (size_t)i * sh->stride;
        if (vc_load(sh, e, var))
            ents[m++] = e;
    }
    if (first)
        first(m, ctx);
    if (m > 1)
        qsort_r(ents, m, sizeof *ents,
                sh->kind == AK_I64 || sh->kind == AK_BOOL ? vset_cmp_i64 : vset_cmp,
                (void *)sh);
    for (uint32_t i = 0; i < m; i++) {
        union agg_val k;
        vkey_get(sh->kind, ents[i], &k);
        fn(&k, vc_get(sh, s, ents[i], var), ctx);
    }
    mem_free(ents);
}

static void vdist_init(void *acc, const void *state)
{
    const struct vdist_state *vd = state;
    vd->ds->inner->init(acc, vd->ds->inner_state);
    VROWS(acc, vd) = 0;
    if (vd->var == 0)
        memset(VSET(acc, vd), 0, sizeof(struct vset));
}

/* dist_update with the variant's counts in the shared set. */
static int64_t *shared_rows(void *acc, const void *st)
{
    return &VROWS(acc, (const struct vdist_state *)st);
}

static void shared_prefetch(const void *acc, uint64_t h, const void *st)
{
    const struct vdist_state *vd = st;
    const struct vset *s = VSET(acc, vd);
    if (s->e)
        __builtin_prefetch(s->e + (size_t)vset_home(h, s->cap) * vd->sh->stride);
}

static int64_t shared_add(void *acc, const union agg_val *v, int64_t delta, uint64_t h,
                          const void *st)
{
    const struct vdist_state *vd = st;
    return vset_add_h(vd->sh, VSET(acc, vd), vd->var, v, delta, h);
}

static const struct dist_sink shared_sink = {shared_rows, shared_prefetch, shared_add};

static void vdist_update(void **accs, const struct vec *args, const uint16_t *rows, int n,
                         int sign, const void *state)
{
    const struct vdist_state *vd = state;
    dist_count(vd->ds, &shared_sink, vd, accs, args, rows, n, sign);
}

struct vdist_merge_ctx {
    const struct vdist_state *vd;
    void *into;
};

static void vdist_merge_one(const union agg_val *v, int64_t count, void *ctx)
{
    struct vdist_merge_ctx *c = ctx;
    const struct vdist_state *vd = c->vd;
    if (vset_add_h(vd->sh, VSET(c->into, vd), vd->var, v, count,
                   dset_hash(vd->sh->kind, v)) == 0)
        dist_feed(vd->ds, c->into, v);
}

/* Each variant merges its own counts: together they merge the whole set. */
static void vdist_merge(void *into, const void *from, const void *state)
{
    const struct vdist_state *vd = state;
    struct vdist_merge_ctx c = {vd, into};
    VROWS(into, vd) += VROWS(from, vd);
    vset_each(vd->sh, VSET(from, vd), vd->var, NULL, vdist_merge_one, &c);
}

static void vdist_result(const void *acc, struct vec *out, int row, const void *state)
{
    const struct vdist_state *vd = state;
    vd->ds->inner->result(acc, out, row, vd->ds->inner_state);
}

static bool vdist_is_empty(const void *acc, const void *state)
{
    return VROWS(acc, (const struct vdist_state *)state) == 0;
}

static void vdist_destroy(void *acc, const void *state)
{
    const struct vdist_state *vd = state;
    if (vd->ds->inner->destroy)
        vd->ds->inner->destroy(acc, vd->ds->inner_state);
    if (vd->var == 0)
        vset_free(vd->sh, VSET(acc, vd));
}

/* The set is counted once, with its owner. */
static size_t vdist_mem_size(const void *acc, const void *state)
{
    const struct vdist_state *vd = state;
    const struct dist_state *ds = vd->ds;
    size_t n = ds->inner->mem_size ? ds->inner->mem_size(acc, ds->inner_state) : 0;
    return n + (vd->var == 0 ? vset_mem(vd->sh, VSET(acc, vd)) : 0);
}

static void vdist_snap_count(int64_t n, void *ctx)
{
    snap_put_i64(((struct ms_snap_ctx *)ctx)->out, n);
}

/* The private set's encoding (dist_snapshot): this variant's values only. */
static void vdist_snapshot(const void *acc, struct strbuf *out, const void *state)
{
    const struct vdist_state *vd = state;
    const struct vset *s = VSET(acc, vd);
    snap_put_i64(out, VROWS(acc, vd));
    vd->ds->inner->snapshot(acc, out, vd->ds->inner_state);
    struct ms_snap_ctx c = {out, vd->sh->kind};
    vset_each(vd->sh, s, vd->var, vdist_snap_count, dset_snap_one, &c);
}

/* Adds this variant's values to the set (which its owner restored first, or
 * which is being restored now, by the owner). */
static int vdist_restore(void *acc, const char *p, size_t len, const void *state)
{
    const struct vdist_state *vd = state;
    const struct dist_state *ds = vd->ds;
    const struct vshare *sh = vd->sh;
    struct vset *s = VSET(acc, vd);
    struct snap_rd rd = {p, len, 0, false};
    if (vd->var == 0)
        memset(s, 0, sizeof *s);
    int64_t rows = snap_get_i64(&rd);
    if (rd.bad)
        return -1;
    int c = ds->inner->restore(acc, p + rd.pos, len - rd.pos, ds->inner_state);
    if (c < 0)
        return -1;
    VROWS(acc, vd) = rows;
    rd.pos += (size_t)c;
    int64_t n = snap_get_i64(&rd);
    if (n < 0 || (uint64_t)n > rd.len - rd.pos)
        rd.bad = true;
    for (int64_t i = 0; i < n && !rd.bad; i++) {
        union agg_val v;
        if (!agg_get_val(&rd, sh->kind, &v))
            break;
        int64_t count = snap_get_i64(&rd);
        uint64_t h = dset_hash(sh->kind, &v);
        uint32_t pos;
        /* each value once, with a positive count */
        if (rd.bad || count <= 0 || (s->e && vset_find(sh, s, &v, h, &pos) &&
                                     vc_load(sh, s->e + (size_t)pos * sh->stride, vd->var)))
            rd.bad = true;
        else
            vset_add_h(sh, s, vd->var, &v, count, h);
        agg_val_free(sh->kind, &v);
    }
    if (rd.bad) {
        /* what this variant added stays in the set, which its owner frees */
        if (ds->inner->destroy)
            ds->inner->destroy(acc, ds->inner_state);
        if (vd->var == 0)
            vset_free(sh, s);
        return -1;
    }
    return (int)rd.pos;
}

static const struct agg_ops vdist_ops = {
    .init = vdist_init,
    .update = vdist_update,
    .merge = vdist_merge,
    .result = vdist_result,
    .is_empty = vdist_is_empty,
    .destroy = vdist_destroy,
    .mem_size = vdist_mem_size,
    .snapshot = vdist_snapshot,
    .restore = vdist_restore,
};

/* Do DISTINCT aggregates x and y take the same argument values?  The same
 * deterministic expressions, cast to the same types. */
static bool same_distinct_args(const struct agg_call *x, const struct agg_call *y,
                               struct strbuf *tx, struct strbuf *ty)
{
    const struct dist_state *dx = x->state, *dy = y->state;
    if (dx->n_args != dy->n_args || dx->kind != dy->kind || x->n_args != dx->n_args ||
        y->n_args != dy->n_args)
        return false;
    for (int i = 0; i < dx->n_args; i++) {
        if (!type_equal(dx->types[i], dy->types[i]) || !expr_deterministic(x->args[i]) ||
            !expr_deterministic(y->args[i]))
            return false;
        sb_clear(tx);
        sb_clear(ty);
        expr_to_text(tx, x->args[i], NULL);
        expr_to_text(ty, y->args[i], NULL);
        if (tx->len != ty->len || memcmp(tx->buf, ty->buf, tx->len) != 0)
            return false;
    }
    return true;
}

/* Rewrites the sharing calls of aggs; returns how many share. */
static int share_distinct(struct agg_call *aggs, int n_aggs)
{
    int shared = 0;
    int *grp = mem_calloc((size_t)n_aggs + 1, sizeof *grp);   /* 1 + first of its kind */
    struct strbuf tx = {0}, ty = {0};
    for (int a = 0; a < n_aggs; a++) {
        if (aggs[a].ops != &dist_ops || grp[a])
            continue;
        int n_var = 1;
        grp[a] = a + 1;
        for (int b = a + 1; b < n_aggs; b++)
            if (aggs[b].ops == &dist_ops && !grp[b] &&
                same_distinct_args(&aggs[a], &aggs[b], &tx, &ty)) {
                grp[b] = a + 1;
                n_var++;
            }
        if (n_var == 1)
            continue;   /* alone: its private set is as small */
        const struct dist_state *ds = aggs[a].state;
        struct vshare *sh = mem_calloc(1, sizeof *sh);
        sh->n_var = n_var;
        sh->kind = ds->kind;
        sh->ksize = ds->kind == AK_I128 ? 16 : ds->kind == AK_STR ? sizeof(char *) + 4 : 8;
        sh->stride = sh->ksize + (uint32_t)((size_t)n_var * sizeof(vcount));
        int var = 0;
        for (int b = a; b < n_aggs; b++) {
            if (grp[b] != a + 1)
                continue;
            struct vdist_state *vd = mem_calloc(1, sizeof *vd);
            vd->ds = aggs[b].state;
            vd->sh = sh;
            vd->var = var++;
            aggs[b].ops = &vdist_ops;
            aggs[b].state = vd;
            /* inner, rows, and the owner's set (8-aligned: inner sizes are) */
            aggs[b].acc_size =
                vd->ds->off + sizeof(int64_t) + (vd->var == 0 ? sizeof(struct vset) : 0);
            shared++;
        }
    }
    sb_free(&tx);
    sb_free(&ty);
    mem_free(grp);
    return shared;
}

struct agg_call *agg_share_copy(const struct agg_call *aggs, int n_aggs)
{
    struct agg_call *own = mem_calloc((size_t)n_aggs + 1, sizeof(*own));
    if (n_aggs)
        memcpy(own, aggs, (size_t)n_aggs * sizeof(*aggs));
    if (share_distinct(own, n_aggs) > 0)
        return own;
    mem_free(own);
    return NULL;
}

void agg_share_place(struct agg_call *aggs, int n_aggs, const size_t *acc_off)
{
    for (int a = 0; a < n_aggs; a++) {
        if (aggs[a].ops != &vdist_ops)
            continue;
        struct vdist_state *vd = aggs[a].state;
        if (vd->var != 0)
            continue;
        ptrdiff_t set_at = (ptrdiff_t)(acc_off[a] + vd->ds->off + sizeof(int64_t));
        for (int b = a; b < n_aggs; b++) {
            if (aggs[b].ops != &vdist_ops)
                continue;
            struct vdist_state *vb = aggs[b].state;
            if (vb->sh == vd->sh)
                vb->set_rel = set_at - (ptrdiff_t)acc_off[b];
        }
    }
}

void agg_share_free(struct agg_call *own, int n_aggs)
{
    for (int a = 0; own && a < n_aggs; a++) {
        if (own[a].ops != &vdist_ops)
            continue;
        struct vdist_state *vd = own[a].state;
        if (vd->var == 0)
            mem_free(vd->sh);
        mem_free(vd);
    }
    mem_free(own);
}

int agg_eval_inputs(struct expr *const *keys, int n_keys, const struct vec **key_vecs,
                    const struct agg_call *aggs, int n_aggs, struct vec **arg_vecs,
                    const struct vec **filters, struct eval_ctx *ctx, struct batch *b,
                    struct weir_error *err)
{
    int rc;
    for (int k = 0; k < n_keys; k++)
        if ((rc = expr_eval(keys[k], ctx, b, &key_vecs[k], err)))
            return rc;
    for (int a = 0; a < n_aggs; a++) {
        const struct agg_call *ac = &aggs[a];
        for (int x = 0; x < ac->n_args; x++) {
            const struct vec *v;
            if ((rc = expr_eval(ac->args[x], ctx, b, &v, err)))
                return rc;
            arg_vecs[a][x] = *v;
        }
        filters[a] = NULL;
        if (ac->filter && (rc = expr_eval(ac->filter, ctx, b, &filters[a], err)))
            return rc;
    }
    return WEIR_OK;
}
