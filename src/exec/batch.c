/*
 * batch.c — column vectors and batches (see batch.h for the layout).
 */
#include "exec/batch.h"

#include <string.h>

const char *row_kind_str(enum row_kind k)
{
    static const char *names[] = {"+I", "-U", "+U", "-D"};
    return (unsigned)k < 4 ? names[k] : "?";
}

static int valid_words(int cap) { return (cap + 63) / 64; }

void vec_make_validity(struct vec *v)
{
    int w = valid_words(v->cap);
    if (v->valid_cap < w) {
        v->valid = mem_realloc(v->valid, (size_t)w * sizeof(uint64_t));
        v->valid_cap = w;
    }
    memset(v->valid, 0xff, (size_t)w * sizeof(uint64_t));
}

void vec_set_all_valid(struct vec *v)
{
    /* keep the buffer for reuse but mark "all valid" by detaching it */
    mem_free(v->valid);
    v->valid = NULL;
    v->valid_cap = 0;
}

static size_t lane_size(enum phys_lane l)
{
    switch (l) {
    case LANE_BOOL: return 1;
    case LANE_I64: return 8;
    case LANE_F64: return 8;
    case LANE_I128: return 16;
    case LANE_STR: return sizeof(struct str);
    default: return 0;
    }
}

void vec_init(struct vec *v, const struct sql_type *t, int cap, struct arena *arena)
{
    memset(v, 0, sizeof(*v));
    v->type = t;
    v->cap = cap;
    v->arena = arena;
    enum phys_lane l = type_lane(t);
    size_t es = lane_size(l);
    if (es)
        v->data = mem_calloc((size_t)cap, es);
    if (t->id == T_ROW) {
        v->n_children = t->n_fields;
        v->children = mem_calloc((size_t)t->n_fields, sizeof(struct vec));
        for (int i = 0; i < t->n_fields; i++)
            vec_init(&v->children[i], t->field_types[i], cap, arena);
    } else if (t->id == T_ARRAY || t->id == T_MAP) {
        v->offsets = mem_calloc((size_t)cap + 1, sizeof(int32_t));
        v->n_children = t->id == T_ARRAY ? 1 : 2;
        v->children = mem_calloc((size_t)v->n_children, sizeof(struct vec));
        vec_init(&v->children[0], t->elem, cap, arena);
        if (t->id == T_MAP)
            vec_init(&v->children[1], t->value, cap, arena);
    }
}

void vec_free(struct vec *v)
{
    if (v == NULL)
        return;
    for (int i = 0; i < v->n_children; i++)
        vec_free(&v->children[i]);
    mem_free(v->children);
    mem_free(v->data);
    mem_free(v->valid);
    mem_free(v->offsets);
    memset(v, 0, sizeof(*v));
}

void vec_set_str(struct vec *v, int i, const char *p, size_t len)
{
    char *d = arena_alloc(v->arena, len ? len : 1);
    memcpy(d, p, len);
    v->s[i].ptr = d;
    v->s[i].len = (uint32_t)len;
}

void vec_reserve(struct vec *c, int need)
{
    if (need <= c->cap)
        return;
    int cap = c->cap ? c->cap : 16;
    while (cap < need)
        cap *= 2;
    size_t es = lane_size(type_lane(c->type));
    if (es) {
        c->data = mem_realloc(c->data, (size_t)cap * es);
        memset((char *)c->data + (size_t)c->cap * es, 0, (size_t)(cap - c->cap) * es);
    }
    if (c->valid) {
        int w = valid_words(cap);
        c->valid = mem_realloc(c->valid, (size_t)w * sizeof(uint64_t));
        for (int k = c->valid_cap; k < w; k++)
            c->valid[k] = ~0ULL;
        c->valid_cap = w;
    }
    for (int k = 0; k < c->n_children; k++)
        vec_reserve(&c->children[k], cap);
    if (c->offsets) {
        c->offsets = mem_realloc(c->offsets, ((size_t)cap + 1) * sizeof(int32_t));
    }
    c->cap = cap;
}

/* Row di of a NULL list (or of a NULL row holding lists) owns no elements:
 * its end offset is its start, so the next row's elements follow the
 * previous row's instead of a stale offset left by an earlier batch. */
static void empty_lists(struct vec *v, int di)
{
    if (v->offsets) {
        int start = di > 0 ? v->offsets[di] : 0;
        v->offsets[di] = start;
        v->offsets[di + 1] = start;
    } else if (v->type->id == T_ROW) {
        for (int k = 0; k < v->n_children; k++)
            empty_lists(&v->children[k], di);
    }
}

void vec_copy_row(struct vec *dst, int di, const struct vec *src, int si)
{
    if (vec_is_null(src, si)) {
        vec_set_null(dst, di);
        if (type_lane(dst->type) == LANE_NESTED)
            empty_lists(dst, di);
        return;
    }
    vec_set_valid(dst, di);
    switch (type_lane(dst->type)) {
    case LANE_BOOL: dst->b[di] = src->b[si]; break;
    case LANE_I64: dst->i64[di] = src->i64[si]; break;
    case LANE_F64: dst->f64[di] = src->f64[si]; break;
    case LANE_I128: dst->i128[di] = src->i128[si]; break;
    case LANE_STR:
        if (dst->arena == src->arena)
            dst->s[di] = src->s[si];
        else
            vec_set_str(dst, di, src->s[si].ptr, src->s[si].len);
        break;
    case LANE_NESTED:
        if (dst->type->id == T_ROW) {
            for (int k = 0; k < dst->n_children; k++)
                vec_copy_row(&dst->children[k], di, &src->children[k], si);
        } else {
            /* ARRAY/MAP: append the elements after the previous row's end */
            int start = di > 0 ? dst->offsets[di] : 0;
            int n = src->offsets[si + 1] - src->offsets[si];
            for (int k = 0; k < dst->n_children; k++) {
                vec_reserve(&dst->children[k], start + n);
                for (int e = 0; e < n; e++)
                    vec_copy_row(&dst->children[k], start + e, &src->children[k],
                                 src->offsets[si] + e);
            }
            dst->offsets[di] = start;
            dst->offsets[di + 1] = start + n;
        }
        break;
    case LANE_NONE: break;
    }
}

struct batch *batch_new(int n_cols, const struct sql_type *const *types)
{
    struct batch *b = mem_calloc(1, sizeof(*b));
    arena_init(&b->arena, 64 * 1024);
    b->n_cols = n_cols;
    b->cols = mem_calloc((size_t)(n_cols ? n_cols : 1), sizeof(struct vec));
    for (int i = 0; i < n_cols; i++)
        vec_init(&b->cols[i], types[i], BATCH_CAP, &b->arena);
    return b;
}

void batch_free(struct batch *b)
{
    if (b == NULL)
        return;
    for (int i = 0; i < b->n_cols; i++)
        vec_free(&b->cols[i]);
    mem_free(b->cols);
    mem_free(b->kinds);
    mem_free(b->sel);
    mem_free(b->hashes);
    arena_free(&b->arena);
    mem_free(b);
}

static void vec_reset(struct vec *v)
{
    if (v->valid)
        memset(v->valid, 0xff, (size_t)v->valid_cap * sizeof(uint64_t));
    for (int k = 0; k < v->n_children; k++)
        vec_reset(&v->children[k]);
    if (v->offsets)
        v->offsets[0] = 0;
}

void batch_reset(struct batch *b)
{
    b->n = 0;
    if (b->sel) {
        mem_free(b->sel);
        b->sel = NULL;
    }
    b->n_sel = 0;
    if (b->kinds) {
        mem_free(b->kinds);
        b->kinds = NULL;
    }
    b->hash_src = NULL;
    for (int i = 0; i < b->n_cols; i++)
        vec_reset(&b->cols[i]);
    arena_reset(&b->arena);
}

void batch_ensure_kinds(struct batch *b)
{
    if (b->kinds == NULL)
        b->kinds = mem_calloc(BATCH_CAP, 1);
}

void batch_ensure_hashes(struct batch *b)
{
    if (b->hashes == NULL)
        b->hashes = mem_alloc(BATCH_CAP * sizeof(uint64_t));
}

void batch_compact(struct batch *b)
{
    if (b->sel == NULL)
        return;
    int n = b->n_sel;
    for (int c = 0; c < b->n_cols; c++) {
        struct vec *v = &b->cols[c];
        for (int k = 0; k < n; k++) {
            int i = b->sel[k];
            if (i != k)
                vec_copy_row(v, k, v, i);   /* i >= k: moving rows forward is safe */
        }
    }
    if (b->kinds)
        for (int k = 0; k < n; k++)
            b->kinds[k] = b->kinds[b->sel[k]];
    if (b->hash_src)
        for (int k = 0; k < n; k++)
            b->hashes[k] = b->hashes[b->sel[k]];
    mem_free(b->sel);
    b->sel = NULL;
    b->n = n;
    b->n_sel = 0;
}

/* No NULL among rows 0..n-1 of v's bitmap (a word at a time). */
static bool vec_all_valid(const struct vec *v, int n)
{
    int w = 0;
    for (; w < n >> 6; w++)
        if (v->valid[w] != ~0ULL)
            return false;
    if ((n & 63) == 0)
        return true;
    uint64_t tail = (1ULL << (n & 63)) - 1;
    return (v->valid[w] & tail) == tail;
}

/* Copies column by column with the lane chosen once per column: the
 * exchanges move every row of a keyed job through here, and a per-value
 * switch (vec_copy_row) was a tenth of Nexmark q11's time at -p 2. */
void batch_append_rows(struct batch *dst, const struct batch *src, const int *rows, int n)
{
    int d0 = dst->n;
    for (int c = 0; c < dst->n_cols; c++) {
        struct vec *dv = &dst->cols[c];
        const struct vec *sv = &src->cols[c];
        enum phys_lane lane = type_lane(dv->type);
        if (lane == LANE_NESTED || (lane == LANE_STR && dv->arena == sv->arena)) {
            for (int k = 0; k < n; k++)
                vec_copy_row(dv, d0 + k, sv, rows[k]);
            continue;
        }
        switch (lane) {
        case LANE_BOOL:
            for (int k = 0; k < n; k++)
                dv->b[d0 + k] = sv->b[rows[k]];
            break;
        case LANE_I64:
            for (int k = 0; k < n; k++)
                dv->i64[d0 + k] = sv->i64[rows[k]];
            break;
        case LANE_F64:
            for (int k = 0; k < n; k++)
                dv->f64[d0 + k] = sv->f64[rows[k]];
            break;
        case LANE_I128:
            for (int k = 0; k < n; k++)
                dv->i128[d0 + k] = sv->i128[rows[k]];
            break;
        case LANE_STR:
            for (int k = 0; k < n; k++) {
                const struct str *x = &sv->s[rows[k]];
                if (x->len == 0 || vec_is_null(sv, rows[k])) {
                    dv->s[d0 + k] = (struct str){"", 0};
                    continue;
                }
                vec_set_str(dv, d0 + k, x->ptr, x->len);
            }
            break;
        default:
            break;
        }
        if (sv->valid == NULL || vec_all_valid(sv, src->n)) {
            /* no NULL to copy (a bitmap is often there with every bit
             * set): the rows copied are present */
            if (dv->valid)
                for (int k = 0; k < n; k++)
                    vec_set_valid(dv, d0 + k);
        } else {
            for (int k = 0; k < n; k++) {
                if (vec_is_null(sv, rows[k]))
                    vec_set_null(dv, d0 + k);
                else
                    vec_set_valid(dv, d0 + k);
            }
        }
    }
    if (src->kinds || dst->kinds) {
        batch_ensure_kinds(dst);
        for (int k = 0; k < n; k++)
            dst->kinds[d0 + k] = (uint8_t)batch_kind(src, rows[k]);
    }
    dst->n += n;
}
