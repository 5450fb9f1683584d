/*
 * spill.h — an append-only file for operator state past its memory budget
 * (weir.state.spill.threshold): bytes go in, an offset comes back, and are
 * read back by offset.  Joins keep the rows of their insert-only sides here
 * once the side's rows in memory reach the budget (op_join.c); Top-N keeps
 * the rows of its partitions that were not written for longest (op_rank.c).
 *
 * The file is created in the given directory and unlinked at once, so it
 * goes with the process, crash included: state is recovered from
 * checkpoints, which hold every row.  Rows that expire or are replaced
 * leave their bytes behind: a join side whose rows expire in the order they
 * were written gives the space of the dead front back (spill_discard: a
 * hole punched in the file); Top-N copies its kept rows to a new file when
 * most of its file is dead (op_rank.c); the rows of a join side whose rows
 * never expire never die.
 *
 * The newest bytes stay in memory, a tail of at least 1 MiB (the write
 * buffer, so writes are large) and at most what spill_set_tail allows: rows
 * written recently are the ones read again soonest (a live auction's bids),
 * and are read from there; older bytes come from the page cache while it
 * has them.
 *
 * Not thread-safe: one file belongs to one operator instance on one thread.
 */
#ifndef WEIR_STATE_SPILL_H
#define WEIR_STATE_SPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/strbuf.h"

struct spill;

/* A new empty file in dir (made if missing); `what` names it in errors
 * ("Join#7 left side"). */
struct spill *spill_open(const char *dir, const char *what, struct weir_error *err);
/* Appends len bytes; *off is where they start. */
int spill_append(struct spill *sp, const void *p, size_t len, uint64_t *off,
                 struct weir_error *err);
/* Reads len bytes appended at off. */
int spill_read(struct spill *sp, uint64_t off, void *dst, size_t len, struct weir_error *err);
/* Appends to *sp, first made in dir (named `what`) when *sp is NULL: the
 * way operators use a file they may never need. */
int spill_append_lazy(struct spill **sp, const char *dir, const char *what, const void *p,
                      size_t len, uint64_t *off, struct weir_error *err);
/* A record's bytes: data itself, or when spilled the len bytes at the u64
 * offset stored at data, read into buf; NULL once err holds an error (a
 * failed file stays failed). */
const char *spill_bytes(struct spill *sp, bool spilled, const void *data, size_t len,
                        struct strbuf *buf, struct weir_error *err);
/* Keeps at most `bytes` of the newest appends in memory (at least 1 MiB),
 * writing older ones to the file now. */
int spill_set_tail(struct spill *sp, size_t bytes, struct weir_error *err);
/* The tail an operator's file gets: what its budget leaves after the rest
 * of its state, shared by its `files` files, and at least 8 MiB each past
 * the budget (enough for the rows read again soon after they were
 * written). */
int spill_fit_tail(struct spill *sp, int64_t budget, int64_t rest, int files,
                   struct weir_error *err);
/* The bytes before `upto` will not be read again: the file gives back
 * their disk space, whole MiB at a time (FALLOC_FL_PUNCH_HOLE; where the
 * file system cannot, the space stays).  NULL is fine. */
void spill_discard(struct spill *sp, uint64_t upto);
/* Bytes the file holds on disk: written out, less what was given back (0
 * for NULL). */
uint64_t spill_disk_bytes(const struct spill *sp);
/* Memory the tail holds (0 for NULL). */
size_t spill_mem_bytes(const struct spill *sp);
/* Bytes appended so far (the file's size once flushed). */
uint64_t spill_size(const struct spill *sp);
void spill_close(struct spill *sp);   /* NULL is fine */

#endif
