/*
 * op_window.h — the window operators: window aggregation (TUMBLE, HOP,
 * CUMULATE, SESSION) and the bare window TVF (see op_window.c).
 */
#ifndef WEIR_OP_WINDOW_H
#define WEIR_OP_WINDOW_H

#include "exec/op.h"
#include "sql/plan.h"

/*
 * A window operator.  tvf: the bare TVF (input columns + window_start,
 * window_end, window_time, each row once per window); otherwise aggregation
 * with output [keys, window_start, window_end, window_time, aggregates];
 * sets: n_sets grouping-set bitmasks over the keys (1 set = plain GROUP BY).
 * w, keys, aggs and out_types are borrowed from the plan (they outlive the
 * operator); label is taken.
 */
struct op *op_window_new(int id, const struct window_spec *w, bool tvf, struct expr **keys,
                         int n_keys, const uint64_t *sets, int n_sets,
                         const struct agg_call *aggs, int n_aggs, int n_out,
                         const struct sql_type *const *out_types, char *label);

/* The job's pipeline.max-parallelism (default 128): the key groups that
 * checkpoint records are tagged with must be the exchange's.  Set it before
 * the first push or restore. */
void op_window_set_max_parallelism(struct op *op, int max_parallelism);

/* The window's input is the receiving end of exchange src (nothing between
 * them), which routed the rows by the window's own keys (the same plan
 * node's key expressions): each row then arrives with the state_hash of the
 * state_key_encode bytes of its key, which is what the window's state key
 * is, so the window takes it from the batch (batch.hashes, when hash_src is
 * src) instead of hashing the key again.  Ignored where the state key is
 * more than the keys (grouping sets) or there is none (the TVF). */
void op_window_hashes_from(struct op *op, const void *src);

#endif
