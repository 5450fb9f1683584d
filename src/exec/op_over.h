/*
 * op_over.h — OVER aggregation: agg(x) OVER (PARTITION BY .. ORDER BY time
 * ROWS/RANGE BETWEEN .. PRECEDING AND CURRENT ROW) (see op_over.c).
 */
#ifndef WEIR_OP_OVER_H
#define WEIR_OP_OVER_H

#include "exec/op.h"
#include "sql/plan.h"

/* The OverAggregate operator of plan node n (LN_OVER; borrowed, outlives the
 * operator).  label is taken. */
struct op *op_over_new(int id, const struct lnode *n, char *label);
/* The job's pipeline.max-parallelism (default 128): the key groups that
 * checkpoint records are tagged with must be the exchange's.  Set it before
 * the first push or restore. */
void op_over_set_max_parallelism(struct op *op, int max_parallelism);

#endif
