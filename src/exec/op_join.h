/*
 * op_join.h — the regular equi-join operator (see op_join.c).
 */
#ifndef WEIR_OP_JOIN_H
#define WEIR_OP_JOIN_H

#include "exec/op.h"
#include "sql/plan.h"
#include "state/snapshot.h"

/* Output [left columns, right columns] as a changelog (JOIN_SEMI/JOIN_ANTI:
 * the left columns).  Keys (n_keys may be 0), residual and in_types (the
 * columns of both inputs) are borrowed from the plan; label is taken. */
struct op *op_join_new(int id, enum join_kind kind, struct expr **lkeys, struct expr **rkeys,
                       int n_keys, struct expr *residual, int n_left, int n_right,
                       const struct sql_type *const *in_types, char *label);
/* The join of plan node n (LN_JOIN) with its keys, residual, kind and
 * expiry (interval, window or bounded) and the inputs' changelog modes set;
 * the caller connects the inputs (op_join_left_ports between the two sides)
 * and sets the TTL and spilling.  label is taken. */
struct op *op_join_for_node(const struct lnode *n, int max_parallelism, char *label);
/* Input ports below n carry the left side (connect the left inputs first). */
void op_join_left_ports(struct op *op, int n);
/* Makes the keys null-safe: NULL equals NULL (IS NOT DISTINCT FROM). */
void op_join_null_safe(struct op *op);
/* Declares which inputs never retract (their rows are stored without merging
 * duplicates). */
void op_join_insert_only(struct op *op, bool left, bool right);
/* Makes it an interval join: rows join only while left time - right time can
 * lie in [lower, upper] µs (the columns are indexes within each side). */
void op_join_interval(struct op *op, int left_time, int right_time, int64_t lower, int64_t upper);
/* Makes it a window join (see op_join.c): left_end and right_end are each
 * side's window_end column. */
void op_join_window(struct op *op, int left_end, int right_end);
/* A regular join over insert-only inputs whose ON bounds left time - right
 * time to [lower, upper] µs: left (right) says the left (right) side's rows
 * expire, because the other side's time column never falls behind that
 * side's watermark.  Expired rows go without output. */
void op_join_bound(struct op *op, int left_time, int right_time, int64_t lower, int64_t upper,
                   bool left, bool right);
/* weir.state.spill.threshold: the rows of a side stored packed (see
 * op_join.c) go to a spill file in dir once side_bytes of them are in
 * memory (0: all of them).  Without this call nothing spills. */
void op_join_spill(struct op *op, const char *dir, int64_t side_bytes);
/* The job's pipeline.max-parallelism (default 128): the key groups that
 * checkpoint records are tagged with must be the exchange's.  Set it before
 * the first push or restore. */
void op_join_set_max_parallelism(struct op *op, int max_parallelism);
/* table.exec.state.ttl in µs (0: never expire), for a regular join (after
 * op_join_interval, which ignores it), before the job runs.  manual_clock
 * (tests): processing time is the timer hook's now_us. */
void op_join_set_state_ttl(struct op *op, int64_t ttl_us, bool manual_clock);
/* Whether state_keys counts only keys holding rows that can still meet
 * others: false when a side's rows go a chunk of its log at a time
 * (op_join.c, logged sides), which keeps a key whose rows expired until
 * their chunk goes, so the count depends on how rows filled the chunks. */
bool op_join_keys_exact(const struct op *op);

#endif
