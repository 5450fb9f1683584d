/*
 * op_replicate.h — emits each row a counted number of times (see op_replicate.c).
 */
#ifndef WEIR_OP_REPLICATE_H
#define WEIR_OP_REPLICATE_H

#include "exec/op.h"

/* Input [n BIGINT, columns...]; output the n_out columns of types out_types
 * (borrowed), each input row n times with its row kind.  label is taken. */
struct op *op_replicate_new(int id, int n_out, const struct sql_type *const *out_types,
                            char *label);

#endif
