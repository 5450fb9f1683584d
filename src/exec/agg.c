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
 * Snapshot of a DISTINCT slot: i64 rows, the inner snapshot, the value set
 * (in agg_mset_snapshot's encoding).  All integers are in host byte order (little-endian on
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

static void dist_update(void **accs, const struct vec *args, const uint16_t *rows, int n,
                        int sign, const void *state)
{
    const struct dist_state *ds = state;
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
        struct dist_acc *da = DIST(accs[k], ds);
        int r = rows[k];
        if (!ds->tuple && k == ahead_end) {
            ahead_start = k;
            ahead_end = k + AHEAD < n ? k + AHEAD : n;
            for (int a = k; a < ahead_end; a++) {
                union agg_val av;
                const struct dset *as = &DIST(accs[a], ds)->set;
                if (vec_is_null(&args[0], rows[a]))
                    continue;
                agg_val_get(ds->kind, &args[0], rows[a], &av);
                hs[a - k] = dset_hash(ds->kind, &av);
                if (as->e)
                    __builtin_prefetch(&as->e[(uint32_t)hs[a - k] & as->mask]);
            }
        }
        da->rows += sign;
        bool null = false;
        for (int i = 0; i < ds->n_args; i++)
            null |= vec_is_null(&args[i], r);
        if (null)
            continue;
        union agg_val v;
        dist_key(ds, args, r, &key, &v);
        int64_t prev = ds->tuple ? dset_add(&da->set, ds->kind, &v, sign)
                                 : dset_add_h(&da->set, ds->kind, &v, sign, hs[k - ahead_start]);
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
