/*
 * op_lookup.h — the processing-time lookup join (see op_lookup.c).
 */
#ifndef WEIR_OP_LOOKUP_H
#define WEIR_OP_LOOKUP_H

#include "exec/op.h"
#include "sql/plan.h"

/* The lookup join of plan node n (LN_LOOKUP_JOIN; borrowed). label is taken. */
struct op *op_lookup_new(int id, const struct lnode *n, char *label);
/* Adds the live rows of b (the dimension's physical columns) to the lookup
 * table; called while the job is built, before it runs. */
void op_lookup_load(struct op *op, struct batch *b);

#endif
