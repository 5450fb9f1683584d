/*
 * chainlog.c — the append-only log of keyed, expiring records behind a
 * join's insert-only side (see chainlog.h).
 *
 * A record is a 36-byte header and its bytes:
 *     u64 prev, u64 next (the key's records before and after it; 0: none),
 *     u64 head (the address of its key's head), i64 expire, u32 len,
 *     then len bytes
 * packed back to back in its chunk (read with memcpy: no alignment).  next
 * and head make moving a record to the end of its chain O(1): a chain
 * stays in falling positions, so releasing the front never cuts one.
 */
#include "state/chainlog.h"
#include "core/mem.h"

#include <string.h>

#define CL_CHUNK ((uint64_t)1 << CL_BITS)
#define REC_HDR 36

struct cl_chunk {
    uint64_t base;                 /* position of data[0] */
    uint64_t room;                 /* bytes data can hold */
    uint64_t used;
    int64_t max_expire;            /* the latest expiry of its records */
    int64_t last_expire;           /*   and its last arrival's */
    int64_t n;                     /* records */
    uint64_t looked;               /* lg->next when a move was last refused
                                      (0: never) */
    uint32_t n_seq;                /* seqs it takes (1, or more for a big record) */
    unsigned char data[];
};

void chainlog_init(struct chainlog *lg)
{
    memset(lg, 0, sizeof(*lg));
    lg->first = lg->live = lg->next = 1;
}

static struct cl_chunk **slot_of(const struct chainlog *lg, uint64_t seq)
{
    return &lg->ring[(lg->head + (seq - lg->first)) & (lg->cap - 1)];
}

static void chunk_release(struct chainlog *lg, struct cl_chunk *c)
{
    if (c->room == CL_CHUNK && lg->n_spare < (int)(sizeof(lg->spare) / sizeof(lg->spare[0]))) {
        lg->spare[lg->n_spare++] = c;   /* the next chunk, without a fresh mapping */
        return;
    }
    lg->bytes -= (int64_t)(sizeof(*c) + c->room);
    mem_free(c);
}

/* Gives back the memory of the released chunks below the floor. */
static void drop_released(struct chainlog *lg)
{
    while (lg->first < lg->live) {
        struct cl_chunk *c = *slot_of(lg, lg->first);
        lg->first += c->n_seq;
        lg->head = (lg->head + c->n_seq) & (lg->cap - 1);
        chunk_release(lg, c);
    }
}

/* A new chunk at the end with room for `need` bytes. */
static struct cl_chunk *chunk_add(struct chainlog *lg, uint64_t need)
{
    uint32_t n_seq = need <= CL_CHUNK ? 1 : (uint32_t)((need + CL_CHUNK - 1) >> CL_BITS);
    while (lg->next - lg->first + n_seq > lg->cap) {
        uint32_t cap = lg->cap ? lg->cap * 2 : 64;
        struct cl_chunk **ring = mem_alloc((size_t)cap * sizeof(*ring));
        for (uint64_t s = lg->first; s < lg->next; s++)
            ring[s - lg->first] = *slot_of(lg, s);
        mem_free(lg->ring);
        lg->ring = ring;
        lg->cap = cap;
        lg->head = 0;
    }
    struct cl_chunk *c;
    if (n_seq == 1 && lg->n_spare > 0) {
        c = lg->spare[--lg->n_spare];
    } else {
        uint64_t room = n_seq == 1 ? CL_CHUNK : need;
        c = mem_alloc(sizeof(*c) + room);
        c->room = room;
        lg->bytes += (int64_t)(sizeof(*c) + room);
    }
    c->base = lg->next << CL_BITS;
    c->used = 0;
    c->max_expire = INT64_MIN;
    c->last_expire = INT64_MIN;
    c->n = 0;
    c->looked = 0;
    c->n_seq = n_seq;
    for (uint32_t i = 0; i < n_seq; i++)
        *slot_of(lg, lg->next + i) = c;
    lg->next += n_seq;
    return c;
}

static void rec_at(const unsigned char *p, struct cl_rec *r)
{
    uint64_t head;
    memcpy(&r->prev, p, 8);
    memcpy(&r->next, p + 8, 8);
    memcpy(&head, p + 16, 8);
    memcpy(&r->expire, p + 24, 8);
    memcpy(&r->len, p + 32, 4);
    r->head = (uint64_t *)(uintptr_t)head;
    r->last = r->next == 0;
    r->data = p + REC_HDR;
    r->moved = NULL;
}

/* The header of the in-memory record at pos. */
static unsigned char *rec_ptr(const struct chainlog *lg, uint64_t pos)
{
    const struct cl_chunk *c = *slot_of(lg, pos >> CL_BITS);
    return (unsigned char *)c->data + (pos - c->base);
}

static bool in_log(const struct chainlog *lg, uint64_t pos)
{
    return pos != 0 && pos >= chainlog_floor(lg);
}

/* Appends a record (see chainlog_append); a moved one does not count as
 * its chunk's last arrival. */
static unsigned char *append(struct chainlog *lg, uint64_t *head, int64_t expire, size_t len,
                             bool moved)
{
    uint64_t need = REC_HDR + (uint64_t)len;
    struct cl_chunk *c = lg->next > lg->live ? *slot_of(lg, lg->next - 1) : NULL;
    if (c == NULL || c->room - c->used < need)
        c = chunk_add(lg, need);
    uint64_t prev = *head, pos = c->base + c->used, zero = 0;
    if (in_log(lg, prev))
        memcpy(rec_ptr(lg, prev) + 8, &pos, 8);   /* no longer the key's last */
    else
        prev = 0;   /* released: the chain starts over */
    unsigned char *p = c->data + c->used;
    uint64_t h = (uint64_t)(uintptr_t)head;
    uint32_t n = (uint32_t)len;
    memcpy(p, &prev, 8);
    memcpy(p + 8, &zero, 8);
    memcpy(p + 16, &h, 8);
    memcpy(p + 24, &expire, 8);
    memcpy(p + 32, &n, 4);
    *head = pos;
    c->used += need;
    c->n++;
    if (expire > c->max_expire)
        c->max_expire = expire;
    if (!moved)
        c->last_expire = expire;
    lg->records++;
    return p + REC_HDR;
}

unsigned char *chainlog_append(struct chainlog *lg, uint64_t *head, int64_t expire, size_t len)
{
    return append(lg, head, expire, len, false);
}

bool chainlog_read(const struct chainlog *lg, uint64_t pos, uint64_t floor, struct cl_rec *r)
{
    if (pos < floor || pos < (lg->first << CL_BITS) || (pos >> CL_BITS) >= lg->next)
        return false;
    rec_at(rec_ptr(lg, pos), r);
    return true;
}

/* Moves live record r of the front chunk to the end of the log, as the
 * newest of its key: it leaves its chain (its neighbours meet), then joins
 * it again at the head.  Returns where its bytes are now. */
static unsigned char *rec_move(struct chainlog *lg, const struct cl_rec *r)
{
    if (r->next)
        memcpy(rec_ptr(lg, r->next), &r->prev, 8);
    else
        *r->head = r->prev;
    if (in_log(lg, r->prev))
        memcpy(rec_ptr(lg, r->prev) + 8, &r->next, 8);
    unsigned char *dst = append(lg, r->head, r->expire, r->len, true);
    memcpy(dst, r->data, r->len);
    return dst;
}

/* The front chunk c is held by records that have not expired while some
 * have: when at most a quarter of its records live, or the chunk after it
 * could go (c holds rows that moved here, far ahead of the rest), they
 * move to the end and true is returned (the chunk can go).  (Moving at
 * half would move, again and again, the rows of an input ahead of another
 * by more than the rows' lifetime, half of every chunk then: keeping them
 * costs less.) */
typedef void (*cl_fn)(void *ctx, const struct cl_rec *r);

static bool evacuate(struct chainlog *lg, struct cl_chunk *c, int64_t wm, cl_fn fn, void *ctx)
{
    int64_t live = 0;
    for (uint64_t off = 0; off < c->used;) {
        struct cl_rec r;
        rec_at(c->data + off, &r);
        live += r.expire > wm;
        off += REC_HDR + r.len;
    }
    uint64_t after = (c->base >> CL_BITS) + c->n_seq;
    if (4 * live > c->n && (*slot_of(lg, after))->max_expire > wm)
        return false;
    for (uint64_t off = 0; off < c->used;) {
        struct cl_rec r;
        rec_at(c->data + off, &r);
        if (r.expire > wm) {
            r.moved = rec_move(lg, &r);
            fn(ctx, &r);
        }
        off += REC_HDR + r.len;
    }
    return true;
}

/* Whether the front chunk c, held by records that have not expired, goes
 * anyway (its live records moved): once the watermark passed its last
 * record's expiry (records came about in time order: most of them expired
 * too) and at most a quarter of them live.  After a refusal it is not
 * looked at again before as many chunks came as were in the log after it
 * then (a chunk held long is counted a few times, not once per chunk). */
static bool move_front(struct chainlog *lg, struct cl_chunk *c, int64_t wm, cl_fn fn,
                       void *ctx)
{
    uint64_t seq = c->base >> CL_BITS;
    if (c->last_expire > wm || seq + c->n_seq == lg->next ||   /* the last: moves go there */
        (c->looked && lg->next - c->looked < c->looked - seq))
        return false;
    if (evacuate(lg, c, wm, fn, ctx))
        return true;
    c->looked = lg->next;
    return false;
}

int64_t chainlog_expire(struct chainlog *lg, int64_t wm, bool keep,
                        void (*fn)(void *ctx, const struct cl_rec *r), void *ctx)
{
    if (!keep)
        drop_released(lg);
    int64_t gone = 0;
    while (lg->live < lg->next) {
        struct cl_chunk *c = *slot_of(lg, lg->live);
        bool moved = false;
        if (c->max_expire > wm && (keep || !(moved = move_front(lg, c, wm, fn, ctx))))
            break;
        for (uint64_t off = 0; off < c->used;) {
            struct cl_rec r;
            rec_at(c->data + off, &r);
            if (!moved || r.expire <= wm) {
                fn(ctx, &r);
                gone++;
            }
            off += REC_HDR + r.len;
        }
        lg->live += c->n_seq;
        lg->records -= c->n;
    }
    if (!keep)
        drop_released(lg);
    return gone;
}

void chainlog_free(struct chainlog *lg)
{
    lg->live = lg->next;
    drop_released(lg);
    for (int i = 0; i < lg->n_spare; i++)
        mem_free(lg->spare[i]);
    mem_free(lg->ring);
    chainlog_init(lg);
}
