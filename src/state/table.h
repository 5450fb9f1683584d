/*
 * table.h — keyed operator state: a hash table from a key (bytes) to a
 * fixed-size value slot, split into key groups.
 *
 * Every stateful operator (window and group aggregation, joins, Top-N) keeps
 * its state here.  The key is the serialised grouping key (state_key_*); the
 * value is a caller-defined slot of `value_size` bytes (accumulators, window
 * bounds, ...), zeroed on insertion and stable in memory until the entry is
 * deleted (slots are not moved when the table grows), so operators can keep
 * pointers across a batch.  Each entry belongs to a key group (hash mod
 * max_parallelism): snapshots are written per key group so a job can be
 * restored with another parallelism (DESIGN.md, state/).
 *
 * Snapshots are lazy, copy-on-write: see state_table_walk.
 *
 * Not thread-safe: one table belongs to one operator instance on one thread.
 */
#ifndef WEIR_STATE_TABLE_H
#define WEIR_STATE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "exec/batch.h"
#include "state/snapshot.h"

struct state_table;

/* value_size: bytes of each value slot (may be 0 for a set). */
struct state_table *state_table_new(size_t value_size, int max_parallelism);
void state_table_free(struct state_table *t);   /* NULL is fine; values must
                                                   have been released by the caller */

/* 64-bit hash of a key (also decides its key group). */
uint64_t state_hash(const void *key, size_t len);
/* The high 32 bits decide the group (the index uses the low ones), mapped to
 * [0, max_parallelism) by multiply-shift: no division, stable for a given hash
 * and max_parallelism, and uniform when the hash is.  Inline: exchanges map
 * every row they route. */
static inline int state_key_group(uint64_t hash, int max_parallelism)
{
    return (int)(((hash >> 32) * (uint64_t)max_parallelism) >> 32);
}
/* state_hash of the key state_key_encode writes for one non-NULL column of
 * the int64 lane holding v, without encoding it (exchanges route by it, so
 * it must stay equal: tests/unit/test_state.c checks). */
uint64_t state_hash_i64_key(int64_t v);
/* The same for rows rows[0..n) (NULL: rows 0..n-1) of an int64-lane vector,
 * NULLs included (hashed as the key of one NULL column): out[k] for row
 * rows[k], a batch at a time so the hash inlines into the loop. */
void state_hash_i64_keys(const struct vec *v, const uint16_t *rows, int n, uint64_t *out);

/*
 * Returns the value slot of key, inserting a zeroed slot when absent
 * (*inserted tells which).  The pointer stays valid until the entry is
 * deleted or the table freed.  hash must be state_hash(key, len).
 */
void *state_table_upsert(struct state_table *t, const void *key, size_t len, uint64_t hash,
                         bool *inserted);
/* The value slot of key, or NULL. */
void *state_table_get(struct state_table *t, const void *key, size_t len, uint64_t hash);
/* Removes key; its slot memory is reused later.  Returns false if absent. */
bool state_table_delete(struct state_table *t, const void *key, size_t len, uint64_t hash);

/* Removes the entry whose value slot is `value` (from upsert or get), found
 * by its own key: for state that keeps the slot rather than the key
 * (chainlog.h).  Returns false if it is not in the table. */
bool state_table_delete_value(struct state_table *t, void *value);

/* Iteration (no inserts or deletes during it, except deleting the current
 * entry through state_iter_delete). */
struct state_iter {
    struct state_table *t;
    size_t pos;                          /* internal */
    const void *key;                     /* current entry */
    size_t key_len;
    void *value;
    int key_group;
};
void state_iter_init(struct state_iter *it, struct state_table *t);
bool state_iter_next(struct state_iter *it);
void state_iter_delete(struct state_iter *it);

/* ---- snapshots ------------------------------------------------------------- */

/*
 * Writes one entry as a record of w (snap_begin(w, kg) ... snap_end(w)).
 * ctx is the walk's copy of what state_table_walk was given.  It must not
 * touch any state table: it runs inside the table's own calls.
 */
typedef void (*state_walk_fn)(struct snap_writer *w, const void *ctx, const void *key,
                              size_t key_len, int kg, const void *value);

/*
 * Snapshots t into w as of now, lazily: nothing is copied yet.  Each entry is
 * written by fn either by state_walks_step or, if the operator reaches it
 * first (upsert/get/iteration/delete/freeing the table), just before the
 * operator can change it; entries inserted from now on are not part of it.
 * ctx (ctx_size bytes) is copied.  A walk of t still running from an earlier
 * snapshot is finished first.
 */
void state_table_walk(struct state_table *t, struct snap_writer *w, state_walk_fn fn,
                      const void *ctx, size_t ctx_size);
/* Advances w's walks by about max entries; returns the entries visited. */
int64_t state_walks_step(struct snap_writer *w, int64_t max);
/* Every walk of w has written all its entries. */
bool state_walks_done(const struct snap_writer *w);
/* Releases w's walks: finish = write what is pending first; otherwise the
 * snapshot is abandoned (only when the job is ending: the tables' pending
 * marks are then meaningless). */
void state_walks_end(struct snap_writer *w, bool finish);

/* A snapshot's walk of t has entries left to write. */
bool state_table_walking(const struct state_table *t);

int64_t state_table_count(const struct state_table *t);   /* entries */
int64_t state_table_bytes(const struct state_table *t);   /* memory held */

/* ---- keys ------------------------------------------------------------------ */

/*
 * Serialises the values of columns cols[0..n) at row `row` into buf as a key:
 * a NULL marker per column, then the value (integers 8 bytes, doubles
 * normalised so -0.0 == 0.0 and NaNs equal, decimals 16 bytes, strings length
 * + bytes, ROW recursively).  Equal SQL values (NULL counted equal to NULL, as
 * GROUP BY does) give equal bytes.  buf is cleared first.
 */
void state_key_encode(struct strbuf *buf, const struct vec *const *cols, int n, int row);
/* Decodes a key written by state_key_encode into row `row` of the vectors
 * (of the same types); strings are copied into each vector's arena.  Returns
 * bytes consumed. */
size_t state_key_decode(const void *key, size_t len, struct vec *const *cols, int n, int row);

#endif
