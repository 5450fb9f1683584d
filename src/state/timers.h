/*
 * timers.h — keyed event-time timers: a min-heap of (time, key).
 *
 * Operators whose state expires by watermark (session windows, interval
 * joins) register "look at this key again when the watermark reaches t" and
 * pop the due keys when a watermark arrives.  The heap owns a copy of each
 * key.  Entries are not removed when a key's state changes; an operator keeps
 * at most one live entry per key (remembering its time in the key's state) and
 * treats a popped entry whose time differs as stale, which keeps the heap
 * about as large as the number of keys rather than the number of rows.
 *
 * Timers mostly come in time order (rows in event-time order expire in it):
 * those that do not go back in time are appended to a FIFO instead, so
 * pushing and popping them costs O(1) and touches memory in sequence; the
 * heap takes the rest.  Popping takes the earlier of the two heads.
 */
#ifndef WEIR_STATE_TIMERS_H
#define WEIR_STATE_TIMERS_H

#include <stddef.h>
#include <stdint.h>

struct timer {
    int64_t time;
    uint64_t hash;                  /* state_hash of the key */
    uint32_t key_len;
    char *key;                      /* popped: the key (release it with
                                       timer_done); queued: owned, or NULL
                                       when it fits in small */
    char small[16];                 /* short keys, which most are, need no
                                       allocation per timer */
};

struct timers {
    struct timer *items;            /* the heap */
    int n, cap;
    struct timer *fifo;             /* a ring of timers in time order */
    int f_head, f_n, f_cap;
    int64_t key_bytes;              /* sum of the queued keys' lengths */
};

void timers_push(struct timers *t, int64_t time, uint64_t hash, const char *key, size_t len);
/* The earliest timer, if its time is <= limit: moved to *out (the caller
 * frees out->key with mem_free) and 1 returned; 0 otherwise. */
/* Pops the earliest timer due at or before limit into *out (1), or 0;
 * out->key stays valid until timer_done(out). */
int timers_pop_due(struct timers *t, int64_t limit, struct timer *out);
void timer_done(struct timer *popped);
/* Bytes held, for state metrics. */
int64_t timers_bytes(const struct timers *t);
void timers_free(struct timers *t);

#endif
