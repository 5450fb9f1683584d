/*
 * op_lookup.h — the processing-time lookup join (see op_lookup.c).
 */
#ifndef WEIR_OP_LOOKUP_H
#define WEIR_OP_LOOKUP_H

#include "connectors/connector.h"
#include "exec/op.h"
#include "sql/plan.h"

/* The lookup join of plan node n (LN_LOOKUP_JOIN; borrowed). label is taken. */
struct op *op_lookup_new(int id, const struct lnode *n, char *label);
/* Connects the join to its dimension table, served by connector def with
 * the table's produced columns in dim (borrowed; outlives the operator):
 * asks the connector how to cache it and, for a full cache, reads the table
 * now.  Called while the job is built, before it runs. */
int op_lookup_open(struct op *op, const struct connector_def *def, const struct table_ctx *dim,
                   struct weir_error *err);
/* The cache counters of a lookup join instance; false for another operator. */
bool op_lookup_cache_stats(const struct op *op, int64_t *hits, int64_t *misses, int64_t *loads);

#endif
