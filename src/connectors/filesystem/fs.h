/*
 * fs.h — internals shared by the filesystem connector's files (filesystem.c:
 * descriptor and options; fs_source.c; fs_sink.c).  Not for other modules.
 */
#ifndef WEIR_FS_H
#define WEIR_FS_H

#include "connectors/connector.h"

/* 'path' without a leading "file://" (borrowed from the option set). */
const char *fs_path(const struct table_ctx *t);
/* mkdir -p; WEIR_OK or WEIR_ERR_IO. */
int fs_mkdirs(const char *dir, struct weir_error *err);

int fs_source_create(const struct table_ctx *t, struct source **out,
                     struct weir_error *err);
int fs_sink_create(const struct table_ctx *t, struct sink **out,
                   struct weir_error *err);
/* The lookup join's view of the table: a full cache (fs_source.c). */
int fs_lookup_create(const struct table_ctx *t, int n_keys, const int *key_cols,
                     struct lookup_conf *conf, struct lookup_source **out,
                     struct weir_error *err);

#endif
