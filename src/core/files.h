/*
 * files.h — small file-system helpers shared by the job runtime, the
 * checkpoints, the log and the connectors.
 */
#ifndef WEIR_FILES_H
#define WEIR_FILES_H

#include "core/err.h"

/* mkdir -p with mode 0755 (umask applies).  On failure: the error names the
 * directory that could not be made. */
int files_mkdirs(const char *path, struct weir_error *err);

#endif
