/*
 * tail.h — internals shared by the tail connector's files (tail.c: descriptor
 * and options; tail_source.c: the source).  Not for other modules.
 */
#ifndef WEIR_TAIL_H
#define WEIR_TAIL_H

#include "connectors/connector.h"

int tail_source_create(const struct table_ctx *t, struct source **out,
                       struct weir_error *err);

#endif
