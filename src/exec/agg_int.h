/*
 * agg_int.h — private helpers shared by the aggregate modules (agg_basic.c,
 * agg_more.c) and the registry in agg.c.  Nothing outside src/exec/agg*.c
 * includes it.
 *
 * What lives here:
 *   - one owned value of any non-nested lane (union agg_val), with compare,
 *     hash and vector read/write, so MIN/MAX, FIRST/LAST_VALUE, LISTAGG, the
 *     DISTINCT wrapper and HyperLogLog share one notion of "a value";
 *   - an ordered multiset (value → count; a treap in one array) for MIN/MAX
 *     under retraction (DISTINCT keeps a hash multiset of its own, agg.c);
 *   - an arrival-ordered sequence with retraction (FIRST/LAST_VALUE, LISTAGG);
 *   - the checkpoint codec (host byte order: every supported target is
 *     little-endian; the bytes never leave a machine family unconverted);
 *   - bind helpers and the module tables.
 *
 * Accumulator slots need only 8-byte alignment: 128-bit lanes are declared
 * through agg_i128, whose alignment is lowered to 8, so an operator may pack
 * slots at 8-byte boundaries.
 */
#ifndef WEIR_AGG_INT_H
#define WEIR_AGG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/decimal.h"
#include "exec/agg.h"
#include "state/snapshot.h"

/* An int128 that only needs 8-byte alignment (GCC lowers a typedef's
 * alignment on request), so accumulators can sit in 8-aligned slots. */
typedef __int128 agg_i128 __attribute__((aligned(8)));

/* ---- values ------------------------------------------------------------------- */

/* How a value is held and compared; one per physical lane. */
enum agg_kind {
    AK_I64,     /* integers, DATE, TIME, TIMESTAMP(_LTZ), INTERVAL */
    AK_BOOL,    /* BOOLEAN: uint8_t lane, compared as 0 < 1 */
    AK_F64,     /* FLOAT, DOUBLE: Java Double.compare order (-0.0 < 0.0, NaN last) */
    AK_I128,    /* DECIMAL: unscaled values of one scale */
    AK_STR,     /* CHAR..VARBINARY: unsigned byte order, then length */
};

union agg_val {
    int64_t i;          /* AK_I64, AK_BOOL */
    double d;           /* AK_F64 */
    agg_i128 x;         /* AK_I128 */
    struct {
        char *p;        /* AK_STR: owned (mem_alloc) or borrowed, see below */
        uint32_t len;
    } s;
};
_Static_assert(sizeof(union agg_val) == 16, "agg_val is 16 bytes");
_Static_assert(_Alignof(union agg_val) == 8, "agg_val needs only 8-byte alignment");

/* The kind of a column type, or -1 for NULL/ROW/ARRAY/MAP (not supported as
 * a value by the aggregates that compare or remember values). */
int agg_kind_of(const struct sql_type *t);
/* Reads row `row` of v; strings are borrowed (valid while the batch is). */
void agg_val_get(int kind, const struct vec *v, int row, union agg_val *out);
/* Turns a borrowed string into an owned copy (no-op for other kinds). */
void agg_val_own(int kind, union agg_val *v);
/* Releases an owned string (no-op for other kinds). */
void agg_val_free(int kind, union agg_val *v);
int agg_val_cmp(int kind, const union agg_val *a, const union agg_val *b);
uint64_t agg_val_hash(int kind, const union agg_val *v);
/* Writes v into row `row` of out (present); strings are copied into out->arena. */
void agg_val_put(int kind, struct vec *out, int row, const union agg_val *v);
/* Out-of-line bytes an owned value holds. */
static inline size_t agg_val_heap(int kind, const union agg_val *v)
{
    return kind == AK_STR ? v->s.len + 1 : 0;
}
/* Java Double.compare: numeric order, then -0.0 < 0.0, and NaN (all NaNs
 * equal) above everything.  Inline: MIN/MAX(DOUBLE) calls it per row. */
static inline int agg_f64_cmp(double a, double b)
{
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    int64_t x, y;
    __builtin_memcpy(&x, &a, sizeof x);
    __builtin_memcpy(&y, &b, sizeof y);
    if (a != a)
        x = 0x7ff8000000000000LL;   /* Double.doubleToLongBits: one NaN */
    if (b != b)
        y = 0x7ff8000000000000LL;
    return x < y ? -1 : x > y;
}
/* 64-bit hash of bytes (also used for tuple keys and HyperLogLog). */
uint64_t agg_hash_bytes(const void *p, size_t len);
static inline uint64_t agg_mix64(uint64_t x)
{
    /* splitmix64 finaliser: full avalanche for integer keys */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* Integer lane value wrapped to a type of `bits` bits (JVM narrowing). */
static inline int64_t agg_wrap(int64_t v, int bits)
{
    switch (bits) {
    case 8: return (int8_t)v;
    case 16: return (int16_t)v;
    case 32: return (int32_t)v;
    default: return v;
    }
}

/* ---- checkpoint codec --------------------------------------------------------- */

void agg_put_val(struct strbuf *sb, int kind, const union agg_val *v);

/* Reads a value; strings come back owned.  False (and nothing owned) on a
 * short read. */
bool agg_get_val(struct snap_rd *rd, int kind, union agg_val *v);

/* ---- ordered multiset (treap) ------------------------------------------------- */

/*
 * value → count, ordered by agg_val_cmp.  A treap whose nodes live in one
 * growable array (index 0 is the nil sentinel, so an all-zero struct is an
 * empty set) with priorities derived from the value's hash: expected depth
 * O(log n), the min/max is a walk down one spine, and insert/delete are a few
 * rotations.  Strings are owned by the set.
 */
struct agg_mset_node;
struct agg_mset {
    struct agg_mset_node *nodes;  /* [0] is nil; free slots chained through .l */
    int32_t root;                 /* 0: empty */
    int32_t free_head;            /* recycled slot chain, 0: none */
    int32_t used;                 /* slots handed out (incl. nil) */
    int32_t cap;                  /* slots allocated */
    int64_t n_values;             /* distinct values held */
    size_t heap_bytes;            /* owned string bytes */
};

/* Adds delta (may be negative) to the count of v; v is copied on insertion.
 * A value whose count drops to <= 0 is removed; retracting an absent value
 * does nothing.  Returns the count before the change (0 when absent). */
int64_t agg_mset_add(struct agg_mset *ms, int kind, const union agg_val *v, int64_t delta);
/* Smallest / largest value, NULL when empty (borrowed until the next change). */
const union agg_val *agg_mset_min(const struct agg_mset *ms);
const union agg_val *agg_mset_max(const struct agg_mset *ms);
/* Calls fn for every value in ascending order. */
void agg_mset_each(const struct agg_mset *ms,
                   void (*fn)(const union agg_val *v, int64_t count, void *ctx), void *ctx);
void agg_mset_free(struct agg_mset *ms, int kind);
size_t agg_mset_mem(const struct agg_mset *ms);
/* Format: i64 n_values, then (value, i64 count) ascending. */
void agg_mset_snapshot(const struct agg_mset *ms, int kind, struct strbuf *out);
bool agg_mset_restore(struct agg_mset *ms, int kind, struct snap_rd *rd);

/* ---- arrival-ordered sequence --------------------------------------------------- */

/*
 * Values in arrival order with retraction.  Retracting removes the oldest live
 * occurrence (as Flink's *WithRetract functions do: orderList.get(0)), found
 * by a linear scan from the front — O(n), as Flink's ListAgg; removed entries
 * become tombstones that are compacted once they outnumber the live ones.
 */
struct agg_seq_ent;
struct agg_seq {
    struct agg_seq_ent *e;   /* entries [0, n) */
    int32_t n;               /* entries incl. tombstones */
    int32_t cap;
    int32_t head;            /* first live entry (or n) */
    int32_t live;            /* live entries */
    size_t heap_bytes;       /* owned string bytes */
};
void agg_seq_push(struct agg_seq *sq, int kind, const union agg_val *v);  /* copies */
/* Removes the oldest live occurrence of v; false when there is none. */
bool agg_seq_remove(struct agg_seq *sq, int kind, const union agg_val *v);
const union agg_val *agg_seq_first(const struct agg_seq *sq);   /* NULL: empty */
const union agg_val *agg_seq_last(const struct agg_seq *sq);
/* Iteration in arrival order: start with *pos = 0; returns the next live
 * value at or after *pos and moves *pos past it, or NULL at the end. */
const union agg_val *agg_seq_next(const struct agg_seq *sq, int32_t *pos);
void agg_seq_free(struct agg_seq *sq, int kind);
size_t agg_seq_mem(const struct agg_seq *sq);
/* Format: i64 live, then the live values in order. */
void agg_seq_snapshot(const struct agg_seq *sq, int kind, struct strbuf *out);
bool agg_seq_restore(struct agg_seq *sq, int kind, struct snap_rd *rd);

/* ---- bind helpers ------------------------------------------------------------- */

/* Sets "<NAME> <message>" at the call and returns WEIR_ERR_BIND. */
int agg_bind_fail(struct agg_bind *ab, struct weir_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The type's SQL spelling without NOT NULL, for messages (arena string). */
const char *agg_type_str(struct agg_bind *ab, const struct sql_type *t);
/*
 * Last step of every bind: when ab->distinct (and the function is not
 * insensitive to duplicates), wraps ab->ops/state/acc_size in the generic
 * DISTINCT layer.  Returns WEIR_OK or a bind error (nested argument types
 * cannot be DISTINCT keys).
 */
int agg_bind_done(struct agg_bind *ab, struct weir_error *err, bool dup_insensitive);

/* ---- module tables (agg.c concatenates them) ------------------------------------ */

extern const struct agg_def agg_basic_defs[];
extern const int agg_basic_count;
extern const struct agg_def agg_more_defs[];
extern const int agg_more_count;

#endif
