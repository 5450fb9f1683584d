/*
 * values.h — the source behind `VALUES (...), (...)` and `SELECT` without FROM:
 * emits its literal rows once, then ends (a bounded input).
 */
#ifndef WEIR_VALUES_H
#define WEIR_VALUES_H

#include "connectors/connector.h"
#include "exec/expr.h"

/* rows: n_rows arrays of n_cols literal expressions (borrowed; outlive the
 * source).  Returns a source whose close() frees it. */
struct source *values_source_new(struct expr ***rows, int n_rows, int n_cols,
                                 const struct sql_type *const *types);

#endif
