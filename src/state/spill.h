/*
 * spill.h — an append-only file for operator state past its memory budget
 * (weir.state.spill.threshold): bytes go in, an offset comes back, and are
 * read back by offset.  Joins keep the rows of their insert-only sides here
 * once the side's rows in memory reach the budget (op_join.c).
 *
 * The file is created in the given directory and unlinked at once, so it
 * goes with the process, crash included: state is recovered from
 * checkpoints, which hold every row.  Space is not reclaimed while the
 * operator runs (rows that expire leave their bytes behind): the file grows
 * with what was spilled.  Recent appends sit in a write buffer, so writes
 * are large; reads of older bytes come from the page cache while it has them.
 *
 * Not thread-safe: one file belongs to one operator instance on one thread.
 */
#ifndef WEIR_STATE_SPILL_H
#define WEIR_STATE_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct spill;

/* A new empty file in dir (made if missing); `what` names it in errors
 * ("Join#7 left side"). */
struct spill *spill_open(const char *dir, const char *what, struct weir_error *err);
/* Appends len bytes; *off is where they start. */
int spill_append(struct spill *sp, const void *p, size_t len, uint64_t *off,
                 struct weir_error *err);
/* Reads len bytes appended at off. */
int spill_read(struct spill *sp, uint64_t off, void *dst, size_t len, struct weir_error *err);
/* Bytes appended so far (the file's size once flushed). */
uint64_t spill_size(const struct spill *sp);
void spill_close(struct spill *sp);   /* NULL is fine */

#endif
