/*
 * deadletter.h — the job's dead-letter output: records that could not be
 * decoded (or rows dropped as late) are appended here with their position and
 * the reason, so that nothing read is ever lost silently.  One JSON object per
 * line; the format is documented at the top of deadletter.c.
 */
#ifndef WEIR_DEADLETTER_H
#define WEIR_DEADLETTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct deadletter;

/* Opens (creating parent directories) path for appending.  Returns NULL with err
 * set on failure.  Caller frees with dlq_close. */
struct deadletter *dlq_open(const char *path, struct weir_error *err);
/*
 * Appends one entry.  table/position/reason are NUL-terminated (NULL allowed:
 * written as null); raw[0..raw_len) are the record's bytes.  Thread-safe
 * (@locks d->lock).  d may be NULL: nothing is written, but the global count of
 * NULL-writer entries still rises (see dlq_count(NULL)), which tests use.
 */
void dlq_write(struct deadletter *d, const char *table, const char *position,
               const char *reason, const char *raw, size_t raw_len);
/* Entries written through d (or, for NULL, through NULL writers). */
int64_t dlq_count(const struct deadletter *d);
/* Pushes buffered entries to the file (not fsync). */
void dlq_flush(struct deadletter *d);
void dlq_close(struct deadletter *d);     /* flushes; NULL is fine */

#endif
