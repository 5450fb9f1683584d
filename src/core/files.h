/*
 * files.h — small file-system helpers shared by the job runtime, the
 * checkpoints, the log and the connectors.
 */
#ifndef WEIR_FILES_H
#define WEIR_FILES_H

#include <stddef.h>

#include "core/err.h"

/* mkdir -p with mode 0755 (umask applies).  On failure: the error names the
 * directory that could not be made. */
int files_mkdirs(const char *path, struct weir_error *err);
/* Writes all n bytes (retrying short writes and EINTR); 0, or -1 with errno. */
int files_write_all(int fd, const void *p, size_t n);
/* fsync of a directory, so the entries created or renamed in it are durable;
 * 0, or -1 with errno. */
int files_fsync_dir(const char *path);

#endif
