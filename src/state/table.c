/*
 * table.c — keyed operator state: an open-addressing hash index over entries
 * kept in chunked pools (see table.h for the contract).
 *
 * Memory layout
 *
 *   index    power-of-two array of 16-byte slots {hash, entry pointer}; an
 *            empty slot has a NULL pointer.  Linear probing from hash & mask,
 *            load factor at most 0.7 (grow x2), backward-shift deletion (no
 *            tombstones, so long-running tables with heavy churn never
 *            degrade).  The full 64-bit hash is kept in the slot: a probe
 *            touches the entry only when the hashes match, and resizing
 *            re-places slots without touching any entry.
 *
 *   entry    [value slot: value_size rounded up to 16][key_len u32][chunk u32]
 *            [key bytes], the whole rounded up to 16 bytes.  The value comes
 *            first so it is 16-byte aligned (accumulators may hold __int128)
 *            and the entry pointer *is* the value pointer.  chunk is the
 *            index of the owning chunk in t->chunks, so a delete finds the
 *            pool to return the entry to without a search.
 *
 *   pools    one size class per 16 bytes of entry size up to 1 KiB; a class
 *            owns chunks of equal-sized entries, carved by a bump pointer and
 *            recycled through a per-chunk free list.  Entries never move, so
 *            value pointers stay valid while the index grows (the contract).
 *            Chunks start at 4 KiB and double per chunk of the class up to
 *            1 MiB.  An entry bigger than 1 KiB gets a chunk of its own.  A
 *            chunk that becomes empty is released when the rest of its class
 *            has room for half of it — that hysteresis stops one key
 *            inserted and deleted at a chunk boundary from allocating and
 *            freeing a megabyte each time.
 *
 * Snapshots are lazy (copy-on-write).  state_table_walk starts one by
 * flipping the table's parity bit: every live entry, whose header carries the
 * old parity, is now *pending*.  Between batches the task writes pending
 * entries a few at a time in pool order (state_walks_step), marking each with
 * the new parity; before the operator may change a pending entry — upsert or
 * get returning it, an iterator handing it out, a delete, freeing the table —
 * the table writes it first.  Entries inserted during the walk carry the new
 * parity and are left out.  So the snapshot is the state as of the barrier,
 * while the data path pauses only to flip a bit per table (DESIGN.md:
 * checkpoints off the data path; Flink's copy-on-write state table works the
 * same way).  The parity lives in the top bit of the entry's chunk word, and
 * a freed entry's key length is FREE_MARK so the walk can skip it.
 *
 * Iteration walks the index *downwards* starting just below an empty slot:
 * backward-shift deletion only moves entries from higher to lower slots within
 * a run that ends at an empty slot, so an entry shifted into the current slot
 * has already been visited, and none crosses the starting empty slot.  Every
 * entry is therefore seen exactly once even when the current one is deleted.
 */
#include "state/table.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"

/* ---- layout constants -------------------------------------------------------- */

#define MIN_CAP 16                      /* smallest index */
#define ENTRY_HDR 8                     /* key_len u32 + chunk u32 */
#define N_CLASSES 64                    /* 16..1024-byte entries */
#define CLASS_LARGE UINT32_MAX          /* chunk holding one big entry */
#define CHUNK_MIN_BYTES 4096
#define CHUNK_MAX_SHIFT 8               /* 4 KiB << 8 = 1 MiB */
#define PARITY_BIT 0x80000000u          /* in the chunk word: snapshot parity */
#define FREE_MARK UINT32_MAX            /* key_len of a freed entry */

struct slot {
    uint64_t hash;                      /* state_hash of the key */
    unsigned char *e;                   /* entry, NULL = empty */
};

struct chunk {
    struct chunk *prev, *next;          /* class's list of chunks with room */
    unsigned char *free;                /* freed entries, linked through their
                                           first 8 bytes */
    size_t bytes;                       /* whole allocation, for accounting */
    uint32_t id;                        /* index in t->chunks */
    uint32_t cls;                       /* size class or CLASS_LARGE */
    uint32_t entry_size;
    uint32_t n_slots;                   /* entries the chunk can hold */
    uint32_t n_bumped;                  /* entries carved so far */
    uint32_t n_live;                    /* entries in use */
    bool listed;                        /* on the class's room list */
    _Alignas(16) unsigned char data[];
};

struct size_class {
    struct chunk *room;                 /* chunks with a free entry */
    uint32_t n_chunks;                  /* sizes the next chunk */
    int64_t n_slots;                    /* entries in all its chunks */
    int64_t n_live;
};

/* A lazy snapshot of one table into a section (see the top of the file). */
struct state_walk {
    struct state_walk *next;            /* the writer's walks */
    struct state_table *t;              /* NULL once every entry is written */
    struct snap_writer *w;
    state_walk_fn fn;
    uint32_t chunk, pos;                /* cursor: chunk id, entry in it */
    _Alignas(16) unsigned char ctx[];   /* the caller's context, copied */
};

struct state_table {
    struct slot *slots;                 /* the index */
    struct state_walk *walk;            /* the snapshot in progress, or NULL */
    uint32_t parity;                    /* 0 or PARITY_BIT: entries carrying it
                                           are not pending */
    size_t mask;                        /* capacity - 1 */
    int64_t count;                      /* live entries */
    size_t value_size;
    size_t value_room;                  /* value_size rounded up to 16 */
    int max_parallelism;
    struct chunk **chunks;              /* by id; NULL = id free */
    uint32_t n_chunk_ids;               /* ids handed out */
    uint32_t chunk_ids_cap;
    uint32_t *free_ids;                 /* released ids, reused first */
    uint32_t n_free_ids;
    int64_t pool_bytes;                 /* sum of chunk->bytes */
    struct size_class cls[N_CLASSES];
};

/* ---- unaligned access -------------------------------------------------------- */

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* ---- hashing ------------------------------------------------------------------ */

/*
 * A wyhash-style hash: the core step multiplies two 64-bit words into 128 bits
 * and folds the halves together (xor), which mixes every input bit into every
 * output bit in one multiply.  Keys up to 16 bytes are read with (possibly
 * overlapping) loads and never loop — most grouping keys are 8-40 bytes; longer
 * keys are consumed 48 bytes at a time over three independent lanes so the
 * multiplies pipeline.  The constants are odd 64-bit values with balanced
 * bits; the length is folded in at the end so "a" and "a\0" differ.
 */
#define K0 0xa0761d6478bd642fULL
#define K1 0xe7037ed1a0b428dbULL
#define K2 0x8ebc6af09c88c6e3ULL
#define K3 0x589965cc75374cc3ULL

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t hash_bytes(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t seed = K0;
    uint64_t a, b;
    if (len <= 16) {
        if (len >= 4) {
            /* two 32-bit reads from each end cover 4..16 bytes */
            size_t q = (len >> 3) << 2;
            a = (rd32(p) << 32) | rd32(p + q);
            b = (rd32(p + len - 4) << 32) | rd32(p + len - 4 - q);
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = len;
        if (i > 48) {
            uint64_t s1 = seed, s2 = seed;
            do {
                seed = mix(rd64(p) ^ K1, rd64(p + 8) ^ seed);
                s1 = mix(rd64(p + 16) ^ K2, rd64(p + 24) ^ s1);
                s2 = mix(rd64(p + 32) ^ K3, rd64(p + 40) ^ s2);
                p += 48;
                i -= 48;
            } while (i > 48);
            seed ^= s1 ^ s2;
        }
        while (i > 16) {
            seed = mix(rd64(p) ^ K1, rd64(p + 8) ^ seed);
            p += 16;
            i -= 16;
        }
        /* the last 16 bytes, overlapping what was already consumed */
        a = rd64(p + i - 16);
        b = rd64(p + i - 8);
    }
    return mix(K1 ^ (uint64_t)len, mix(a ^ K1, b ^ seed));
}

uint64_t state_hash(const void *key, size_t len) { return hash_bytes(key, len); }

/* hash_bytes of the 9 bytes state_key_encode writes for a present int64
 * (marker 1, then the value, little-endian), worked out: its 4..16-byte case
 * reads a = [bytes 0-3 | bytes 4-7] and b = [bytes 5-8 | bytes 1-4], which
 * are (v << 8 | 1, v >> 24) and v itself.  Hashing a 9-byte buffer instead
 * cost twice as much (overlapping loads through the stack).
 * test_hash_i64_key (tests/unit/test_state.c) checks the two agree. */
static inline uint64_t hash_i64_key(int64_t v)
{
    uint64_t u = (uint64_t)v;
    uint64_t a = ((uint64_t)(uint32_t)(u << 8 | 1) << 32) | (uint32_t)(u >> 24);
    return mix(K1 ^ 9, mix(a ^ K1, u ^ K0));
}

uint64_t state_hash_i64_key(int64_t v) { return hash_i64_key(v); }

void state_hash_i64_keys(const struct vec *v, const uint16_t *rows, int n, uint64_t *out)
{
    const unsigned char null_key = 0;   /* state_key_encode's NULL marker */
    uint64_t null_hash = hash_bytes(&null_key, 1);
    for (int k = 0; k < n; k++) {
        int i = rows ? rows[k] : k;
        out[k] = vec_is_null(v, i) ? null_hash : hash_i64_key(v->i64[i]);
    }
}

/* ---- entries and pools -------------------------------------------------------- */

static inline uint32_t entry_key_len(const struct state_table *t, const unsigned char *e)
{
    return (uint32_t)rd32(e + t->value_room);
}

static inline const unsigned char *entry_key(const struct state_table *t,
                                             const unsigned char *e)
{
    return e + t->value_room + ENTRY_HDR;
}

static inline size_t entry_size_for(const struct state_table *t, size_t len)
{
    return (t->value_room + ENTRY_HDR + len + 15) & ~(size_t)15;
}

static uint32_t chunk_id_new(struct state_table *t)
{
    if (t->n_free_ids > 0)
        return t->free_ids[--t->n_free_ids];
    if (t->n_chunk_ids == t->chunk_ids_cap) {
        uint32_t cap = t->chunk_ids_cap ? t->chunk_ids_cap * 2 : 16;
        t->chunks = mem_realloc(t->chunks, cap * sizeof(*t->chunks));
        /* a free id list never holds more ids than were handed out */
        t->free_ids = mem_realloc(t->free_ids, cap * sizeof(*t->free_ids));
        t->chunk_ids_cap = cap;
    }
    return t->n_chunk_ids++;
}

static void room_link(struct size_class *c, struct chunk *ch)
{
    ch->prev = NULL;
    ch->next = c->room;
    if (c->room)
        c->room->prev = ch;
    c->room = ch;
    ch->listed = true;
}

static void room_unlink(struct size_class *c, struct chunk *ch)
{
    if (ch->prev)
        ch->prev->next = ch->next;
    else
        c->room = ch->next;
    if (ch->next)
        ch->next->prev = ch->prev;
    ch->prev = ch->next = NULL;
    ch->listed = false;
}

static struct chunk *chunk_new(struct state_table *t, uint32_t cls, size_t esize,
                               uint32_t n_slots)
{
    size_t bytes = sizeof(struct chunk) + esize * n_slots;
    struct chunk *ch = mem_alloc(bytes);
    memset(ch, 0, sizeof(*ch));
    ch->bytes = bytes;
    ch->cls = cls;
    ch->entry_size = (uint32_t)esize;
    ch->n_slots = n_slots;
    ch->id = chunk_id_new(t);
    t->chunks[ch->id] = ch;
    t->pool_bytes += (int64_t)bytes;
    return ch;
}

static void chunk_release(struct state_table *t, struct chunk *ch)
{
    t->chunks[ch->id] = NULL;
    t->free_ids[t->n_free_ids++] = ch->id;
    t->pool_bytes -= (int64_t)ch->bytes;
    mem_free(ch);
}

/* A fresh entry for a key of len bytes: header written, value zeroed. */
static unsigned char *entry_alloc(struct state_table *t, const void *key, size_t len)
{
    size_t esize = entry_size_for(t, len);
    struct chunk *ch;
    unsigned char *e;
    if (esize > N_CLASSES * 16) {
        ch = chunk_new(t, CLASS_LARGE, esize, 1);
        ch->n_bumped = ch->n_live = 1;
        e = ch->data;
    } else {
        uint32_t ci = (uint32_t)(esize / 16 - 1);
        struct size_class *c = &t->cls[ci];
        ch = c->room;
        if (ch == NULL) {
            uint32_t shift = c->n_chunks < CHUNK_MAX_SHIFT ? c->n_chunks : CHUNK_MAX_SHIFT;
            size_t n = ((size_t)CHUNK_MIN_BYTES << shift) / esize;
            ch = chunk_new(t, ci, esize, (uint32_t)(n ? n : 1));
            c->n_chunks++;
            c->n_slots += ch->n_slots;
            room_link(c, ch);
        }
        if (ch->free) {
            e = ch->free;
            memcpy(&ch->free, e, sizeof(ch->free));
        } else {
            e = ch->data + (size_t)ch->n_bumped++ * esize;
        }
        ch->n_live++;
        c->n_live++;
        if (ch->free == NULL && ch->n_bumped == ch->n_slots)
            room_unlink(c, ch);
    }
    memset(e, 0, t->value_room);
    uint32_t kl = (uint32_t)len;
    memcpy(e + t->value_room, &kl, 4);
    uint32_t word = ch->id | t->parity;   /* born after any walk's barrier */
    memcpy(e + t->value_room + 4, &word, 4);
    memcpy(e + t->value_room + ENTRY_HDR, key, len);
    return e;
}

static void entry_free(struct state_table *t, unsigned char *e)
{
    uint32_t id = (uint32_t)rd32(e + t->value_room + 4) & ~PARITY_BIT;
    struct chunk *ch = t->chunks[id];
    if (ch->cls == CLASS_LARGE) {
        chunk_release(t, ch);
        return;
    }
    struct size_class *c = &t->cls[ch->cls];
    uint32_t mark = FREE_MARK;
    memcpy(e + t->value_room, &mark, 4);
    memcpy(e, &ch->free, sizeof(ch->free));
    ch->free = e;
    ch->n_live--;
    c->n_live--;
    if (!ch->listed)
        room_link(c, ch);
    if (ch->n_live == 0) {
        int64_t room_elsewhere = (c->n_slots - ch->n_slots) - c->n_live;
        if (room_elsewhere >= ch->n_slots / 2) {
            room_unlink(c, ch);
            c->n_slots -= ch->n_slots;
            c->n_chunks--;
            chunk_release(t, ch);
        }
    }
}

/* ---- the index ----------------------------------------------------------------- */

/* Compares key bytes; the common short keys avoid a memcmp call. */
static inline bool bytes_eq(const unsigned char *a, const unsigned char *b, size_t n)
{
    if (n >= 8 && n <= 16)
        return rd64(a) == rd64(b) && rd64(a + n - 8) == rd64(b + n - 8);
    if (n >= 4 && n < 8)
        return rd32(a) == rd32(b) && rd32(a + n - 4) == rd32(b + n - 4);
    return memcmp(a, b, n) == 0;
}

/* Slot holding key, or the empty slot where it would go (slots[i].e == NULL). */
static inline size_t index_find(const struct state_table *t, const void *key, size_t len,
                                uint64_t hash)
{
    size_t i = hash & t->mask;
    for (;;) {
        const struct slot *s = &t->slots[i];
        if (s->e == NULL)
            return i;
        if (s->hash == hash && entry_key_len(t, s->e) == len &&
            bytes_eq(entry_key(t, s->e), key, len))
            return i;
        i = (i + 1) & t->mask;
    }
}

static void index_resize(struct state_table *t, size_t cap)
{
    struct slot *old = t->slots;
    size_t old_cap = t->mask + 1;
    t->slots = mem_calloc(cap, sizeof(struct slot));
    t->mask = cap - 1;
    for (size_t k = 0; k < old_cap; k++) {
        if (old[k].e == NULL)
            continue;
        size_t i = old[k].hash & t->mask;
        while (t->slots[i].e != NULL)
            i = (i + 1) & t->mask;
        t->slots[i] = old[k];
    }
    mem_free(old);
}

/* Halves the index (possibly several times) once it is under a quarter of the
 * maximum load; the target load of 0.35 leaves room to grow back before the
 * next doubling, so a table hovering around one size does not oscillate. */
static void index_maybe_shrink(struct state_table *t)
{
    size_t cap = t->mask + 1;
    if (cap <= MIN_CAP || (uint64_t)t->count * 40 >= (uint64_t)cap * 7)
        return;
    size_t want = MIN_CAP;
    while ((uint64_t)t->count * 20 > (uint64_t)want * 7)
        want *= 2;
    if (want < cap)
        index_resize(t, want);
}

/* Backward-shift deletion: walks the run after slot i and pulls back every
 * entry whose home slot is not between the hole and itself, so lookups never
 * meet a gap inside a run. */
static void index_remove(struct state_table *t, size_t i)
{
    size_t j = i;
    for (;;) {
        j = (j + 1) & t->mask;
        if (t->slots[j].e == NULL)
            break;
        size_t home = t->slots[j].hash & t->mask;
        if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].e = NULL;
    t->slots[i].hash = 0;
}

/* ---- lazy snapshots ----------------------------------------------------------- */

static inline bool entry_pending(const struct state_table *t, const unsigned char *e)
{
    return ((uint32_t)rd32(e + t->value_room + 4) & PARITY_BIT) != t->parity;
}

/* Writes a pending entry into the walk's section and marks it written. */
static void walk_entry(struct state_table *t, unsigned char *e)
{
    struct state_walk *w = t->walk;
    uint32_t len = entry_key_len(t, e);
    const unsigned char *key = entry_key(t, e);
    int kg = state_key_group(state_hash(key, len), t->max_parallelism);
    w->fn(w->w, w->ctx, key, len, kg, e);
    uint32_t word = (uint32_t)rd32(e + t->value_room + 4) ^ PARITY_BIT;
    memcpy(e + t->value_room + 4, &word, 4);
}

/* The copy-on-write hook: before a pending entry can change. */
static inline void cow(struct state_table *t, unsigned char *e)
{
    if (__builtin_expect(t->walk != NULL, 0) && entry_pending(t, e))
        walk_entry(t, e);
}

/* Writes up to max pending entries in pool order; returns how many it looked
 * at (written or skipped), and ends the walk when the pools are done. */
static int64_t walk_step(struct state_table *t, int64_t max)
{
    struct state_walk *w = t->walk;
    int64_t n = 0;
    while (n < max && w->chunk < t->n_chunk_ids) {
        const struct chunk *ch = t->chunks[w->chunk];
        if (ch == NULL || w->pos >= ch->n_bumped) {
            w->chunk++;
            w->pos = 0;
            continue;
        }
        unsigned char *e = (unsigned char *)ch->data + (size_t)w->pos++ * ch->entry_size;
        n++;
        if (entry_key_len(t, e) != FREE_MARK && entry_pending(t, e))
            walk_entry(t, e);
    }
    if (w->chunk >= t->n_chunk_ids) {
        t->walk = NULL;
        w->t = NULL;
    }
    return n;
}

void state_table_walk(struct state_table *t, struct snap_writer *sw, state_walk_fn fn,
                      const void *ctx, size_t ctx_size)
{
    if (t->walk)
        walk_step(t, INT64_MAX);   /* the previous snapshot's copy ends first */
    struct state_walk *w = mem_calloc(1, sizeof(*w) + ctx_size);
    w->t = t;
    w->w = sw;
    w->fn = fn;
    if (ctx_size)
        memcpy(w->ctx, ctx, ctx_size);
    w->next = sw->walks;
    sw->walks = w;
    t->walk = w;
    t->parity ^= PARITY_BIT;   /* every live entry is pending now */
    if (t->count == 0)
        walk_step(t, INT64_MAX);
}

int64_t state_walks_step(struct snap_writer *sw, int64_t max)
{
    int64_t n = 0;
    for (struct state_walk *w = sw->walks; w && n < max; w = w->next)
        if (w->t)
            n += walk_step(w->t, max - n);
    return n;
}

bool state_walks_done(const struct snap_writer *sw)
{
    for (const struct state_walk *w = sw->walks; w; w = w->next)
        if (w->t)
            return false;
    return true;
}

void state_walks_end(struct snap_writer *sw, bool finish)
{
    struct state_walk *w = sw->walks;
    while (w) {
        struct state_walk *next = w->next;
        if (w->t && finish)
            walk_step(w->t, INT64_MAX);
        if (w->t)
            w->t->walk = NULL;   /* abandoned: the job is ending */
        mem_free(w);
        w = next;
    }
    sw->walks = NULL;
}

/* ---- table API ----------------------------------------------------------------- */

struct state_table *state_table_new(size_t value_size, int max_parallelism)
{
    struct state_table *t = mem_calloc(1, sizeof(*t));
    t->value_size = value_size;
    t->value_room = (value_size + 15) & ~(size_t)15;
    t->max_parallelism = max_parallelism > 0 ? max_parallelism : 128;
    t->slots = mem_calloc(MIN_CAP, sizeof(struct slot));
    t->mask = MIN_CAP - 1;
    return t;
}

void state_table_free(struct state_table *t)
{
    if (t == NULL)
        return;
    if (t->walk)
        walk_step(t, INT64_MAX);   /* the snapshot keeps what the table held */
    for (uint32_t i = 0; i < t->n_chunk_ids; i++)
        mem_free(t->chunks[i]);
    mem_free(t->chunks);
    mem_free(t->free_ids);
    mem_free(t->slots);
    mem_free(t);
}

void *state_table_upsert(struct state_table *t, const void *key, size_t len, uint64_t hash,
                         bool *inserted)
{
    size_t i = index_find(t, key, len, hash);
    if (t->slots[i].e != NULL) {
        if (inserted)
            *inserted = false;
        cow(t, t->slots[i].e);
        return t->slots[i].e;
    }
    /* grow before the load factor would pass 0.7, then find the new hole */
    if ((uint64_t)(t->count + 1) * 10 > (uint64_t)(t->mask + 1) * 7) {
        index_resize(t, (t->mask + 1) * 2);
        i = hash & t->mask;
        while (t->slots[i].e != NULL)
            i = (i + 1) & t->mask;
    }
    unsigned char *e = entry_alloc(t, key, len);
    t->slots[i].hash = hash;
    t->slots[i].e = e;
    t->count++;
    if (inserted)
        *inserted = true;
    return e;
}

void *state_table_get(struct state_table *t, const void *key, size_t len, uint64_t hash)
{
    unsigned char *e = t->slots[index_find(t, key, len, hash)].e;
    if (e)
        cow(t, e);
    return e;
}

/* Deletes entry e, at index slot i. */
static void delete_at(struct state_table *t, size_t i, unsigned char *e)
{
    cow(t, e);
    index_remove(t, i);
    entry_free(t, e);
    t->count--;
    index_maybe_shrink(t);
}

bool state_table_delete(struct state_table *t, const void *key, size_t len, uint64_t hash)
{
    size_t i = index_find(t, key, len, hash);
    unsigned char *e = t->slots[i].e;
    if (e == NULL)
        return false;
    delete_at(t, i, e);
    return true;
}

bool state_table_delete_value(struct state_table *t, void *value)
{
    unsigned char *e = value;
    size_t i = state_hash(entry_key(t, e), entry_key_len(t, e)) & t->mask;
    while (t->slots[i].e != e) {
        if (t->slots[i].e == NULL)
            return false;
        i = (i + 1) & t->mask;
    }
    delete_at(t, i, e);
    return true;
}

bool state_table_walking(const struct state_table *t) { return t->walk != NULL; }

int64_t state_table_count(const struct state_table *t) { return t->count; }

int64_t state_table_bytes(const struct state_table *t)
{
    return (int64_t)sizeof(*t) + (int64_t)((t->mask + 1) * sizeof(struct slot)) +
           t->pool_bytes +
           (int64_t)t->chunk_ids_cap * (int64_t)(sizeof(*t->chunks) + sizeof(*t->free_ids));
}

/* ---- iteration ----------------------------------------------------------------- */

/*
 * it->pos packs the starting empty slot (high 32 bits) and the number of slots
 * visited (low 32 bits); SIZE_MAX once finished.  This limits an index to 2^32
 * slots (64 GiB of index alone), far beyond an in-memory table.  The current
 * slot is (start - steps) & mask.
 */
#define ITER_DONE SIZE_MAX
_Static_assert(sizeof(size_t) == 8, "state_iter.pos packs two 32-bit fields");

void state_iter_init(struct state_iter *it, struct state_table *t)
{
    memset(it, 0, sizeof(*it));
    it->t = t;
    size_t start = 0;
    while (t->slots[start].e != NULL)   /* load <= 0.7: an empty slot exists */
        start++;
    it->pos = (size_t)start << 32;
}

bool state_iter_next(struct state_iter *it)
{
    struct state_table *t = it->t;
    if (it->pos == ITER_DONE)
        return false;
    size_t start = it->pos >> 32;
    size_t steps = it->pos & 0xffffffffu;
    size_t cap = t->mask + 1;
    while (steps < cap) {
        size_t i = (start - 1 - steps) & t->mask;
        steps++;
        const struct slot *s = &t->slots[i];
        if (s->e != NULL) {
            cow(t, s->e);   /* the caller may change or delete it */
            it->pos = (start << 32) | steps;
            it->key = entry_key(t, s->e);
            it->key_len = entry_key_len(t, s->e);
            it->value = s->e;
            it->key_group = state_key_group(s->hash, t->max_parallelism);
            return true;
        }
    }
    it->pos = ITER_DONE;
    it->key = it->value = NULL;
    it->key_len = 0;
    /* the walk is over: deletions made through the iterator may now shrink
     * the index, which could not happen while slot positions mattered */
    index_maybe_shrink(t);
    return false;
}

void state_iter_delete(struct state_iter *it)
{
    struct state_table *t = it->t;
    size_t start = it->pos >> 32;
    size_t steps = it->pos & 0xffffffffu;
    size_t i = (start - steps) & t->mask;
    unsigned char *e = t->slots[i].e;
    index_remove(t, i);
    entry_free(t, e);
    t->count--;
    it->key = it->value = NULL;
    it->key_len = 0;
}

/* ---- keys ------------------------------------------------------------------------ */

/*
 * Key format, per column: one marker byte (0 = NULL, 1 = value), then for a
 * value
 *
 *   BOOL   1 byte 0/1            I64   8 bytes      F64  8 bytes, normalised
 *   I128   16 bytes              STR   u32 length + bytes as they are
 *   ROW    each field, recursively, with its own marker
 *   ARRAY  u32 count + each element with its marker
 *   MAP    u32 count + each key then value, with markers
 *   NONE   nothing (the marker only)
 *
 * Integers are in host byte order (little-endian on every target weir builds
 * for); keys are compared as bytes, never ordered.  MAP equality is entry order
 * sensitive: two maps with the same entries in another order are different keys.
 */

/* Canonical bits of a double for equality: -0.0 and 0.0 equal, all NaNs one. */
static inline uint64_t f64_key_bits(double d)
{
    uint64_t bits;
    if (isnan(d))
        return 0x7ff8000000000000ULL;
    if (d == 0.0)
        d = 0.0;   /* turns -0.0 into +0.0 */
    memcpy(&bits, &d, 8);
    return bits;
}

static void key_put_u32(struct strbuf *buf, uint32_t v) { sb_add(buf, (const char *)&v, 4); }

static void key_encode_value(struct strbuf *buf, const struct vec *v, int row)
{
    if (vec_is_null(v, row)) {
        sb_addc(buf, 0);
        return;
    }
    enum phys_lane lane = type_lane(v->type);
    if (lane == LANE_I64) {
        /* the usual key (ids, times): one capacity check for its 9 bytes;
         * keys are encoded per row on both sides of every exchange */
        if (buf->len + 10 > buf->cap)
            sb_reserve(buf, 10);
        buf->buf[buf->len] = 1;
        memcpy(buf->buf + buf->len + 1, &v->i64[row], 8);
        buf->len += 9;
        buf->buf[buf->len] = '\0';
        return;
    }
    sb_addc(buf, 1);
    switch (lane) {
    case LANE_BOOL:
        sb_addc(buf, v->b[row] ? 1 : 0);
        break;
    case LANE_I64:
        sb_add(buf, (const char *)&v->i64[row], 8);
        break;
    case LANE_F64: {
        uint64_t bits = f64_key_bits(v->f64[row]);
        sb_add(buf, (const char *)&bits, 8);
        break;
    }
    case LANE_I128:
        sb_add(buf, (const char *)&v->i128[row], 16);
        break;
    case LANE_STR:
        key_put_u32(buf, v->s[row].len);
        if (v->s[row].len)
            sb_add(buf, v->s[row].ptr, v->s[row].len);
        break;
    case LANE_NESTED:
        if (v->type->id == T_ROW) {
            for (int k = 0; k < v->n_children; k++)
                key_encode_value(buf, &v->children[k], row);
        } else {
            int32_t lo = v->offsets[row], hi = v->offsets[row + 1];
            key_put_u32(buf, (uint32_t)(hi - lo));
            for (int32_t e = lo; e < hi; e++)
                for (int k = 0; k < v->n_children; k++)
                    key_encode_value(buf, &v->children[k], e);
        }
        break;
    case LANE_NONE:
        break;
    }
}

void state_key_encode(struct strbuf *buf, const struct vec *const *cols, int n, int row)
{
    sb_clear(buf);
    for (int c = 0; c < n; c++)
        key_encode_value(buf, cols[c], row);
}

/* Reads one value written by key_encode_value into row `row` of v; returns the
 * bytes consumed.  Keys come from this table or a checksummed snapshot, so they
 * are trusted to be well formed. */
static size_t key_decode_value(const unsigned char *p, struct vec *v, int row)
{
    const unsigned char *start = p;
    bool present = *p++ != 0;
    bool list = v->type->id == T_ARRAY || v->type->id == T_MAP;
    if (!present) {
        vec_set_null(v, row);
        /* an empty element range keeps the next row's start right */
        if (list)
            v->offsets[row + 1] = row > 0 ? v->offsets[row] : 0;
        return 1;
    }
    vec_set_valid(v, row);
    switch (type_lane(v->type)) {
    case LANE_BOOL:
        v->b[row] = *p++;
        break;
    case LANE_I64:
        memcpy(&v->i64[row], p, 8);
        p += 8;
        break;
    case LANE_F64:
        memcpy(&v->f64[row], p, 8);
        p += 8;
        break;
    case LANE_I128:
        memcpy(&v->i128[row], p, 16);
        p += 16;
        break;
    case LANE_STR: {
        uint32_t len = (uint32_t)rd32(p);
        p += 4;
        vec_set_str(v, row, (const char *)p, len);
        p += len;
        break;
    }
    case LANE_NESTED:
        if (!list) {
            for (int k = 0; k < v->n_children; k++)
                p += key_decode_value(p, &v->children[k], row);
        } else {
            /* elements go after the previous row's, as vec_copy_row does */
            uint32_t cnt = (uint32_t)rd32(p);
            p += 4;
            int first = row > 0 ? v->offsets[row] : 0;
            for (int k = 0; k < v->n_children; k++)
                vec_reserve(&v->children[k], first + (int)cnt);
            for (uint32_t e = 0; e < cnt; e++)
                for (int k = 0; k < v->n_children; k++)
                    p += key_decode_value(p, &v->children[k], first + (int)e);
            v->offsets[row] = first;
            v->offsets[row + 1] = first + (int)cnt;
        }
        break;
    case LANE_NONE:
        break;
    }
    return (size_t)(p - start);
}

size_t state_key_decode(const void *key, size_t len, struct vec *const *cols, int n, int row)
{
    const unsigned char *p = key;
    size_t used = 0;
    for (int c = 0; c < n && used < len; c++)
        used += key_decode_value(p + used, cols[c], row);
    return used;
}
