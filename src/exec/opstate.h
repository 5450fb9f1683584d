/*
 * opstate.h — the common frame of the stateful operators' checkpoint records
 * (window and group aggregation, joins, Top-N), inside the sections of
 * state/snapshot.h.
 *
 * A record body starts with a header: u8 format version (OPSTATE_VERSION),
 * u8 record type (each operator's own), u32 fingerprint of the operator's
 * shape (column and key types, kind, window, aggregate calls), so that a
 * checkpoint written by another query or another weir is refused instead of
 * misread.  Stored rows and keys are in state_key_encode's format and are
 * checked with opstate_row_check before they are trusted.
 */
#ifndef WEIR_EXEC_OPSTATE_H
#define WEIR_EXEC_OPSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "core/types.h"
#include "exec/op.h"
#include "state/snapshot.h"
#include "state/timers.h"

#define OPSTATE_VERSION 1

void opstate_put_header(struct strbuf *out, uint8_t type, uint32_t fingerprint);
/* Reads a header into *type: an error when it is cut short, or the version or
 * the fingerprint differ (the state belongs to another query or weir). */
int opstate_get_header(const struct op *op, struct snap_rd *rd, uint32_t fingerprint,
                       uint8_t *type, struct weir_error *err);
/* Mixes a type into a fingerprint under construction (a byte string). */
void opstate_fingerprint_type(struct strbuf *fp, const struct sql_type *t);
/* The final 32-bit fingerprint of the bytes. */
uint32_t opstate_fingerprint_done(const struct strbuf *fp);
/* WEIR_ERR_CORRUPT: a record of op does not decode (what: how). */
int opstate_corrupt(const struct op *op, const char *what, struct weir_error *err);
/*
 * The watermark mark of an event-time operator (windows, OVER): a
 * SNAP_OPERATOR record [header type, u32 instance, i64 watermark] below which
 * rows are late.  Every instance behind an exchange sees the same watermarks
 * (broadcast, and inputs aligned at the checkpoint), so old instances' marks
 * agree; a TVF in its source's task has its own, exact when the parallelism
 * is unchanged.  On restore an instance keeps its own mark; otherwise the
 * highest wins, so a window or row emitted anywhere is never emitted again
 * (a row for it is dead-lettered as late instead).
 */
void opstate_put_mark(struct snap_writer *w, uint8_t type, uint32_t fingerprint,
                      const struct op *op, int64_t wm);
/* Applies one mark record to *wm (*own: this instance's own mark was met). */
int opstate_restore_mark(const struct op *op, struct snap_rd *rd, int64_t *wm, bool *own,
                         struct weir_error *err);

/* An error unless key belongs to key group kg (the routing of the exchange
 * in front of the operator). */
int opstate_check_key_group(const struct op *op, const void *key, size_t len, int kg,
                            int max_parallelism, struct weir_error *err);
/* True when bytes[0..len) are a row written by state_key_encode over columns
 * of these types (as far as state_key_decode reads it: columns while bytes
 * remain), bounds-checked: what restore verifies before trusting a row from a
 * checkpoint. */
bool opstate_row_check(const void *bytes, size_t len, const struct sql_type *const *types,
                       int n);

/*
 * State TTL (table.exec.state.ttl), as Flink's StateTtlConfig with
 * OnCreateAndWrite and NeverReturnExpired, on processing time: an entry not
 * created or written for ttl_us is gone.  Each entry keeps its last-write
 * time (and the deadline of its live queue entry) in its own value slot;
 * the queue holds at most one live (deadline, key) per key, pushed when the
 * key is created.  A popped entry whose key was written since is pushed
 * again at its new deadline rather than on every write, so writes cost a
 * store and the queue stays as large as the number of keys.  Entries that
 * are due but not yet popped are checked on access (op_ttl_expired).
 */
struct op_ttl {
    int64_t ttl_us;                 /* 0: state never expires */
    int64_t now;                    /* processing time of the work at hand
                                       (wall clock, µs: it is checkpointed) */
    bool manual;                    /* tests: time moves only with the timer
                                       hook's now_us */
    struct timers queue;            /* (deadline, key) */
};

/* Sets table.exec.state.ttl (ttl_us <= 0: never expire) and whether the
 * clock is manual (tests). */
void op_ttl_set(struct op_ttl *t, int64_t ttl_us, bool manual);
/* Refreshes and returns t->now (unless the clock is manual). */
int64_t op_ttl_clock(struct op_ttl *t);
/* The timer hook's now_us: the clock when manual. */
void op_ttl_tick(struct op_ttl *t, int64_t now_us);
/* Written at `written`, the entry is past its TTL as of t->now. */
bool op_ttl_expired(const struct op_ttl *t, int64_t written);
/* The deadline of an entry written at `written` (saturating). */
int64_t op_ttl_deadline(const struct op_ttl *t, int64_t written);
/* Parses table.exec.state.ttl (NULL: 0) into µs. */
int op_ttl_parse(const char *value, int64_t *ttl_us, struct weir_error *err);

#endif
