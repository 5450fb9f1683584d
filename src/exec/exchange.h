/*
 * exchange.h — moving rows between the parallel instances of a job.
 *
 * An exchange connects the P instances of an upstream task to the P instances
 * of a downstream task with P×P bounded SPSC queues (exec/queue.h).  The
 * sending side (an operator at the end of the upstream chain) routes each row
 * to the instance that owns its key: key group = hash(key) mod max-parallelism,
 * instance = key group × P ÷ max-parallelism, so each instance owns a range of
 * key groups (DESIGN.md: state is split into key groups).  A forward exchange
 * (no key) keeps rows on their own instance; it joins chains that ended up in
 * different tasks.  Watermarks and the end of input are broadcast to every
 * receiver, which merges them per channel (op_watermark_in).  A full queue
 * blocks the sender; the time blocked is its backpressure.
 *
 * A hash exchange sends each row with the hash it routed it by: state_hash
 * of the state_key_encode bytes of its key (batch.hashes, with hash_src the
 * struct exchange).  A keyed operator whose state key is that same key, in
 * that encoding, and that reads the receiver directly reuses it (job.c
 * decides this when it builds the graph; issue 3).
 */
#ifndef WEIR_EXCHANGE_H
#define WEIR_EXCHANGE_H

#include "exec/op.h"
#include "exec/queue.h"

#define EXCHANGE_QUEUE_CAP 16     /* messages (batches) per channel */

struct exchange {
    int id;
    int parallelism;
    int max_parallelism;          /* key groups */
    int *owner;                   /* key group -> receiving instance (a table:
                                     the division was a third of the send cost) */
    bool forward;                 /* no key: rows stay on their instance */
    struct queue **q;             /* q[from * parallelism + to] */
    struct queue **spare;         /* the same channels backwards: batches the
                                     receiver is done with, for the sender to
                                     fill again instead of allocating */
};

struct exchange *exchange_new(int id, int parallelism, int max_parallelism, bool forward);
void exchange_free(struct exchange *x);

/* The sending operator of instance `from`: keys (over its input) decide the
 * receiver; abort is checked while blocked on a full queue.  keys: borrowed. */
struct op *op_exchange_out_new(int id, struct exchange *x, int from, struct expr **keys,
                               int n_keys, volatile int *abort_flag);
/* Sets the column types of the rows it sends (before the first push). */
void op_exchange_out_types(struct op *op, int n_cols, const struct sql_type *const *types);
/* Nanoseconds the sender spent blocked on full queues. */
int64_t op_exchange_blocked_ns(const struct op *op);
bool op_is_exchange_out(const struct op *op);

/* The receiving operator of instance `to`: one input port per sender.  The
 * receiving task pops messages and hands them to exchange_in_deliver. */
struct op *op_exchange_in_new(int id, struct exchange *x, int to);
/* The exchange op receives from, when op is an ExchangeIn; else NULL. */
const struct exchange *op_exchange_in_of(const struct op *op);
/* Delivers one message from channel `from`.  *ended is set once every
 * channel has ended (and the operator has finished). */
int exchange_in_deliver(struct op *op, int from, struct msg *m, struct eval_ctx *ctx,
                        bool *ended, struct weir_error *err);

#endif
