/*
 * chainlog.h — keyed records that expire in about the order they came, kept
 * in one append-only log and dropped a chunk at a time from its front.
 *
 * An interval, window or bounded join's insert-only side (Nexmark q7 keeps
 * every bid of the last 10 s, keyed by price) used to keep a buffer and a
 * timer per key: each row cost a realloc, a heap push and pop, and a lookup
 * at expiry.  Here a row is one record appended to the log.  The key's state
 * slot holds the position of its newest record (the chain's head); each
 * record holds the positions of its key's records before and after it
 * (prev, next: none for the newest), its expiry, and where its key's head
 * is.  A key's rows are read newest first by following prev until it falls
 * below the log's floor.
 *
 * Expiry releases the front chunk once the latest expiry in it has passed,
 * handing each of its records to the caller first: the newest of its key is
 * the key's last, and the key's slot goes with it.  Records that expired
 * before others of their chunk stay until the chunk goes (the join's
 * residual holds the time bounds: they meet nothing).  A record far out of
 * order would keep its chunk, and every one after it, for as long as it
 * lives; so once the watermark passes the expiry of a held front chunk's
 * last arrival, the chunk is looked at, and when at most a quarter of its
 * records live, or the chunk after it could go, they move to the end of the
 * log (each the newest of its key again) and the chunk goes.  Rows far out
 * of order cost a copy each time the log's front reaches them, not the
 * memory of every row after them; two inputs far apart in time keep about
 * twice the live rows (moving them would copy half of every chunk, again
 * and again).
 *
 * Positions are byte offsets in the log since it was made: seq << CL_BITS
 * for the seq-th chunk of 2^CL_BITS bytes (a record larger than a chunk
 * takes several seqs), plus the offset in it; position 0 is never a record
 * (seq starts at 1), so a head of 0 is an empty chain.  A chain's positions
 * fall from its head, so releasing chunks from the front never cuts one.
 *
 * A lazy snapshot (state_table_walk) writes keys after the barrier from the
 * chains as they were: chunks released meanwhile stay readable until the
 * walk is done (chainlog_expire's keep), read from the floor of the barrier.
 *
 * Not thread-safe: one log belongs to one operator instance on one thread.
 */
#ifndef WEIR_STATE_CHAINLOG_H
#define WEIR_STATE_CHAINLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CL_BITS 16                 /* 64 KiB chunks */

struct cl_chunk;

struct chainlog {
    struct cl_chunk **ring;        /* chunk of each seq from `first`, in a ring */
    uint64_t first;                /* oldest seq still in memory */
    uint64_t live;                 /* oldest seq not released (the floor) */
    uint64_t next;                 /* seq the next chunk gets */
    uint32_t head, cap;            /* ring: index of `first`; slots (a power of two) */
    struct cl_chunk *spare[4];     /* released chunks kept for reuse */
    int n_spare;
    int64_t bytes;                 /* chunks held, spares included */
    int64_t records;               /* records not released */
};

/* A record read back. */
struct cl_rec {
    uint64_t prev, next;           /* the key's records before and after it (0: none) */
    int64_t expire;
    uint64_t *head;                /* where its key's head is */
    bool last;                     /* it is the newest of its key (no next) */
    unsigned char *moved;          /* chainlog_expire: where its bytes were moved
                                      (the caller may rewrite them); NULL: it goes */
    const unsigned char *data;
    uint32_t len;
};

void chainlog_init(struct chainlog *lg);
void chainlog_free(struct chainlog *lg);

/* Appends a record of len bytes expiring at `expire` to the chain whose
 * head is *head (0: a new chain; the head stays where it is, in the key's
 * state slot, while the key has records); returns where to write its
 * bytes, and makes *head its position. */
unsigned char *chainlog_append(struct chainlog *lg, uint64_t *head, int64_t expire, size_t len);
/* The floor: records below it are released (a chain ends there). */
static inline uint64_t chainlog_floor(const struct chainlog *lg)
{
    return lg->live << CL_BITS;
}
/* The record at pos, when pos is at or above floor (a floor from before
 * chunks were released under chainlog_expire's keep); false: the chain
 * ended. */
bool chainlog_read(const struct chainlog *lg, uint64_t pos, uint64_t floor, struct cl_rec *r);

/* Releases the chunks at the front whose records all expire at or before
 * wm, calling fn(ctx, record) for each record first (r->last: the last
 * record of its key); moves a front chunk's live records to the end when
 * most of the rest expired (see above), calling fn for each with r->moved
 * set (they stay).  With keep (a snapshot is still
 * reading the chains: they must not change), nothing moves, and the memory
 * of what goes stays until a call without it.  Returns the records
 * released. */
int64_t chainlog_expire(struct chainlog *lg, int64_t wm, bool keep,
                        void (*fn)(void *ctx, const struct cl_rec *r), void *ctx);

#endif
