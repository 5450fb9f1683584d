/*
 * op_unnest.h — expands each row's ARRAY or MAP into rows (see op_unnest.c).
 */
#ifndef WEIR_OP_UNNEST_H
#define WEIR_OP_UNNEST_H

#include "exec/op.h"

/* arg: the ARRAY or MAP expression over the input (borrowed; its scratch is
 * freed with the op).  Output: the n_left input columns, then the element's
 * columns (one; a ROW element's fields; a MAP's key and value), then the
 * 1-based position when ordinality; n_out columns of types out_types
 * (borrowed).  left: a row whose collection is NULL or empty comes out once,
 * NULL-padded, instead of not at all.  label is taken. */
struct op *op_unnest_new(int id, struct expr *arg, int n_left, bool left, bool ordinality,
                         int n_out, const struct sql_type *const *out_types, char *label);

#endif
