/*
 * op_temporal.h — the event-time temporal join operator (see op_temporal.c).
 */
#ifndef WEIR_OP_TEMPORAL_H
#define WEIR_OP_TEMPORAL_H

#include "exec/op.h"
#include "sql/plan.h"

/* INNER or LEFT (kind) join of an insert-only left input with a versioned
 * right input: output [left columns, right columns] (types: the join's
 * output, right columns nullable for LEFT), insert-only.  Keys, residual and
 * types are borrowed from the plan; time columns are indexes within each
 * side; label is taken. */
struct op *op_temporal_new(int id, enum join_kind kind, struct expr **lkeys, struct expr **rkeys,
                           int n_keys, struct expr *residual, int n_left, int n_right,
                           int left_time, int right_time,
                           const struct sql_type *const *out_types, char *label);
/* Input ports below n carry the left side (connect the left inputs first). */
void op_temporal_left_ports(struct op *op, int n);
/* The job's pipeline.max-parallelism (default 128), before the first push or
 * restore: checkpoint records are tagged with the exchange's key groups. */
void op_temporal_set_max_parallelism(struct op *op, int max_parallelism);
/* table.exec.state.ttl in µs (0: never expire), before the job runs: a key
 * neither side wrote for it goes.  manual_clock (tests): processing time is
 * the timer hook's now_us. */
void op_temporal_set_state_ttl(struct op *op, int64_t ttl_us, bool manual_clock);

#endif
