/*
 * log_connector.h — internals shared by the 'log' connector's files
 * (log_connector.c: descriptor, options, helpers; log_source.c: the source;
 * log_sink.c: the sink).  Not for other modules.
 */
#ifndef WEIR_LOG_CONNECTOR_H
#define WEIR_LOG_CONNECTOR_H

#include "connectors/connector.h"

int logc_source_create(const struct table_ctx *t, struct source **out,
                       struct weir_error *err);
int logc_sink_create(const struct table_ctx *t, struct sink **out,
                     struct weir_error *err);

/* 'data-dir', else $WEIR_DATA_DIR, else ./weir-data (borrowed). */
const char *logc_data_dir(const struct table_ctx *t);
/* The topic's partition count; a missing topic is WEIR_ERR_CONFIG naming
 * `weir topic create`. */
int logc_topic_partitions(const struct table_ctx *t, const char *dir,
                          const char *topic, int *n, struct weir_error *err);

#endif
