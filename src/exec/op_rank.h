/*
 * op_rank.h — Top-N and deduplication (see op_rank.c).
 */
#ifndef WEIR_OP_RANK_H
#define WEIR_OP_RANK_H

#include "exec/op.h"
#include "sql/plan.h"

/* The Rank operator of plan node n (LN_RANK; borrowed, outlives the
 * operator).  label is taken. */
struct op *op_rank_new(int id, const struct lnode *n, char *label);
/* The job's pipeline.max-parallelism (default 128): the key groups that
 * checkpoint records are tagged with must be the exchange's.  Set it before
 * the first push or restore. */
void op_rank_set_max_parallelism(struct op *op, int max_parallelism);
/* table.exec.state.ttl in µs (0: never expire), before the job runs.
 * manual_clock (tests): processing time is the timer hook's now_us. */
void op_rank_set_state_ttl(struct op *op, int64_t ttl_us, bool manual_clock);

/* weir.state.spill.threshold's share of this instance (job.c): past this
 * many bytes of state, rows go to a spill file in dir, those of the
 * partitions written least recently first.  0 spills every row. */
void op_rank_spill(struct op *op, const char *dir, int64_t bytes);
/* The spill file's size before its dead rows are compacted away (default
 * 64 MiB; tests use 0, compacting whenever three quarters of it are dead). */
void op_rank_spill_compact_at(struct op *op, int64_t bytes);

#endif
