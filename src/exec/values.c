/*
 * values.c — a bounded source of literal rows (see values.h).
 */
#include "exec/values.h"

#include <stdlib.h>
#include <string.h>

struct values_source {
    struct source src;
    struct expr ***rows;
    int n_rows, n_cols;
    int next;              /* next row to emit */
    struct batch *one;     /* a one-row batch to evaluate non-literal constants
                              (ROW(...) constructors are not folded) */
    struct arena scratch;
};

static int values_poll(struct source *s, struct batch *out, struct weir_error *err)
{
    struct values_source *v = (struct values_source *)s;
    while (v->next < v->n_rows && out->n < BATCH_CAP) {
        int r = out->n++;
        for (int c = 0; c < v->n_cols; c++) {
            const struct expr *e = v->rows[v->next][c];
            struct vec *col = &out->cols[c];
            if (e->lit.is_null) {
                vec_set_null(col, r);
                continue;
            }
            if (e->kind != EX_LITERAL) {
                struct eval_ctx ctx = {&v->scratch, 0};
                const struct vec *res;
                struct expr *me = (struct expr *)e;
                int rc = expr_eval(me, &ctx, v->one, &res, err);
                if (rc)
                    return rc;
                col->arena = &out->arena;
                vec_copy_row(col, r, res, 0);
                expr_free_scratch(me);
                continue;
            }
            switch (type_lane(col->type)) {
            case LANE_BOOL: col->b[r] = e->lit.b; break;
            case LANE_I64: col->i64[r] = e->lit.i; break;
            case LANE_F64: col->f64[r] = e->lit.f; break;
            case LANE_I128: col->i128[r] = e->lit.d; break;
            case LANE_STR: col->s[r] = e->lit.s; break;   /* plan arena outlives the job */
            default: vec_set_null(col, r); break;
            }
        }
        v->next++;
        atomic_fetch_add_explicit(&s->metrics.rows, 1, memory_order_relaxed);
    }
    return v->next >= v->n_rows ? WEIR_DONE : WEIR_OK;
}

static int values_position(struct source *s, struct strbuf *pos)
{
    sb_addf(pos, "%d", ((struct values_source *)s)->next);
    return WEIR_OK;
}

static int values_seek(struct source *s, const char *pos, struct weir_error *err)
{
    (void)err;
    ((struct values_source *)s)->next = atoi(pos);
    return WEIR_OK;
}

static void values_close(struct source *s)
{
    struct values_source *v = (struct values_source *)s;
    batch_free(v->one);
    arena_free(&v->scratch);
    mem_free(s);
}

static const struct source_ops values_ops = {NULL, values_poll, values_position, values_seek,
                                             values_close};

struct source *values_source_new(struct expr ***rows, int n_rows, int n_cols,
                                 const struct sql_type *const *types)
{
    (void)types;
    struct values_source *v = mem_calloc(1, sizeof(*v));
    v->src.ops = &values_ops;
    v->src.bounded = true;
    v->rows = rows;
    v->n_rows = n_rows;
    v->n_cols = n_cols;
    v->one = batch_new(0, NULL);
    v->one->n = 1;
    arena_init(&v->scratch, 4096);
    return &v->src;
}
