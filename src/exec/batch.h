/*
 * batch.h — the unit of data that moves through a weir job: a columnar batch.
 *
 * A batch holds up to BATCH_CAP rows as typed column vectors (see core/types.h
 * for each type's lane), a validity bitmap per vector (bit set = value present;
 * NULL pointer = every value present), a row-kind vector for changelogs (NULL =
 * every row is +I) and an optional selection vector: when `sel` is set only the
 * rows sel[0..n_sel) are live, in that order.  Filters narrow the selection
 * instead of moving data; batch_compact() materialises it when a consumer wants
 * dense rows (sinks, exchanges).
 *
 * Ownership: a batch owns its vectors' buffers; variable-length bytes (strings)
 * live in the batch's arena and are valid until batch_reset()/batch_free().
 * Operators receive batches borrowed for the duration of the push call.
 */
#ifndef WEIR_BATCH_H
#define WEIR_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/types.h"

#define BATCH_CAP 2048

enum row_kind {
    RK_INSERT = 0,          /* +I */
    RK_UPDATE_BEFORE = 1,   /* -U */
    RK_UPDATE_AFTER = 2,    /* +U */
    RK_DELETE = 3,          /* -D */
};
const char *row_kind_str(enum row_kind k);   /* "+I", "-U", "+U", "-D" */

struct vec {
    const struct sql_type *type;
    uint64_t *valid;        /* validity bitmap; NULL = all valid */
    union {
        uint8_t *b;         /* LANE_BOOL */
        int64_t *i64;       /* LANE_I64 */
        double *f64;        /* LANE_F64 */
        __int128 *i128;     /* LANE_I128 */
        struct str *s;      /* LANE_STR */
        void *data;
    };
    int32_t *offsets;       /* ARRAY/MAP: n+1 offsets into children */
    int n_children;         /* ROW: n_fields; ARRAY: 1; MAP: 2 */
    struct vec *children;
    int cap;                /* rows allocated */
    int valid_cap;          /* words allocated in valid */
    struct arena *arena;    /* where string bytes go (the batch's); borrowed */
};

struct batch {
    int n;                  /* physical rows */
    int n_cols;
    struct vec *cols;
    uint8_t *kinds;         /* enum row_kind per row; NULL = all RK_INSERT */
    uint16_t *sel;          /* live rows, or NULL = rows 0..n-1 */
    int n_sel;
    struct arena arena;     /* string/bytes payloads of this batch */
    uint64_t *hashes;       /* per row: the hash of its key, valid while
                               hash_src is set; the buffer is kept by reset */
    const void *hash_src;   /* who hashed (an exchange) and so which key, in
                               whose encoding; NULL = no hashes */
};

/* ---- validity --------------------------------------------------------------- */

static inline bool vec_is_null(const struct vec *v, int i)
{
    return v->valid != NULL && !((v->valid[i >> 6] >> (i & 63)) & 1);
}
/* Makes sure v->valid exists (all bits set) so bits can be cleared. */
void vec_make_validity(struct vec *v);
static inline void vec_set_null(struct vec *v, int i)
{
    if (v->valid == NULL)
        vec_make_validity(v);
    v->valid[i >> 6] &= ~(1ULL << (i & 63));
}
static inline void vec_set_valid(struct vec *v, int i)
{
    if (v->valid != NULL)
        v->valid[i >> 6] |= 1ULL << (i & 63);
}
void vec_set_all_valid(struct vec *v);   /* drops the bitmap */

/* ---- vectors ---------------------------------------------------------------- */

/* Initialises v for type t with room for cap rows; string bytes go to arena. */
void vec_init(struct vec *v, const struct sql_type *t, int cap, struct arena *arena);
void vec_free(struct vec *v);
/* Copies row src_i of src into row dst_i of dst (same type; strings copied
 * into dst's arena). */
void vec_copy_row(struct vec *dst, int dst_i, const struct vec *src, int src_i);
/* Grows v (and its children) to hold at least need rows; new values are zero
 * and present.  For the element vectors of ARRAY/MAP columns, which hold more
 * entries than the batch has rows. */
void vec_reserve(struct vec *v, int need);
/* Stores a string in row i, copying the bytes into v's arena. */
void vec_set_str(struct vec *v, int i, const char *p, size_t len);

/* ---- batches ---------------------------------------------------------------- */

struct batch *batch_new(int n_cols, const struct sql_type *const *types);
void batch_free(struct batch *b);
/* Empties the batch for reuse: n = 0, no selection, kinds dropped, validity
 * cleared, arena reset.  Buffers are kept. */
void batch_reset(struct batch *b);
/* Number of live rows (n_sel when a selection is set, else n). */
static inline int batch_live(const struct batch *b) { return b->sel ? b->n_sel : b->n; }
/* Index of the k-th live row. */
static inline int batch_row(const struct batch *b, int k) { return b->sel ? b->sel[k] : k; }
static inline enum row_kind batch_kind(const struct batch *b, int i)
{
    return b->kinds ? (enum row_kind)b->kinds[i] : RK_INSERT;
}
void batch_ensure_kinds(struct batch *b);   /* allocates kinds (all +I) */
/* Allocates hashes (BATCH_CAP entries, contents undefined) if absent.  An
 * exchange fills them with the state_hash of each row's routing key and sets
 * hash_src; the keyed operator behind it reuses them when it was told, at
 * build time, that its key is that exchange's (op_window.h).  Issue 3. */
void batch_ensure_hashes(struct batch *b);
/* Moves live rows to the front so that sel becomes NULL. */
void batch_compact(struct batch *b);
/* Appends rows rows[0..n) of src to dst (same column types); dst->n + n must
 * be <= cap.  Hashes are not copied: the caller fills dst's. */
void batch_append_rows(struct batch *dst, const struct batch *src, const int *rows, int n);

#endif
