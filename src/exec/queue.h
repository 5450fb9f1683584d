/*
 * queue.h — bounded single-producer/single-consumer queues between the
 * worker threads of a job.
 *
 * A queue carries messages: a batch (owned by the message: the consumer frees
 * or recycles it), a watermark, an end-of-input marker, and later checkpoint
 * barriers.  A full queue blocks its producer — that is the backpressure of the
 * runtime — and the time spent blocked is measured.  An empty queue blocks its
 * consumer until any of the queues it waits on has a message (queue_set).  No
 * locks on the fast path: a ring of slots with acquire/release head and tail
 * indexes; a mutex and condition variable only to sleep and wake.
 */
#ifndef WEIR_QUEUE_H
#define WEIR_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/batch.h"

enum msg_kind {
    MSG_BATCH,          /* batch */
    MSG_WATERMARK,      /* watermark (event-time micros) */
    MSG_END,            /* the producer has no more input */
    MSG_BARRIER,        /* checkpoint barrier (issue 5): id */
};

struct msg {
    uint8_t kind;       /* enum msg_kind */
    struct batch *batch;
    int64_t value;      /* watermark or barrier id */
};

struct queue;
struct queue_set;

/* capacity: messages (rounded up to a power of two). */
struct queue *queue_new(int capacity);
void queue_free(struct queue *q);      /* frees batches still queued */

/* Producer: blocks while the queue is full (unless *stop becomes true, then
 * returns false).  Adds the nanoseconds spent blocked to *blocked_ns. */
bool queue_push(struct queue *q, struct msg m, volatile int *stop, int64_t *blocked_ns);
/* Producer: non-blocking; false when full (nothing queued).  Only for a
 * queue no consumer sleeps on (not in a queue_set). */
bool queue_try_push(struct queue *q, struct msg m);
/* Consumer: non-blocking; false when empty. */
bool queue_try_pop(struct queue *q, struct msg *m);
int queue_size(const struct queue *q);

/* A consumer waits on several queues (its input channels). */
struct queue_set *queue_set_new(void);
void queue_set_add(struct queue_set *s, struct queue *q);   /* before any use */
/* Blocks until some queue in the set may have a message, at most timeout_ms
 * (or *stop); returns immediately if any is non-empty. */
void queue_set_wait(struct queue_set *s, int timeout_ms, volatile int *stop);
void queue_set_free(struct queue_set *s);

#endif
