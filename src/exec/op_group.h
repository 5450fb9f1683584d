/*
 * op_group.h — the updating GROUP BY operator (see op_group.c).
 */
#ifndef WEIR_OP_GROUP_H
#define WEIR_OP_GROUP_H

#include "exec/op.h"
#include "sql/plan.h"

/* Output [keys, aggregates] as a changelog.  keys, aggs and out_types are
 * borrowed from the plan; label is taken. */
struct op *op_group_new(int id, struct expr **keys, int n_keys, const struct agg_call *aggs,
                        int n_aggs, int n_out, const struct sql_type *const *out_types,
                        char *label);

#endif
