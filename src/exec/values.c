/*
 * values.c — a bounded source of literal rows (see values.h).
 *
 * Position (checkpoint text): "v1\nrow <index of the next row>\n" from the
 * instance that holds the rows, "v1\n" from the others (job.c gives every
 * row to the first instance).  Restore hands the one "row" line to the
 * instance that holds the rows now, whatever the parallelism.
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
    struct values_source *v = (struct values_source *)s;
    if (v->n_rows > 0)
        sb_addf(pos, "v1\nrow %d\n", v->next);
    else
        sb_adds(pos, "v1\n");
    return WEIR_OK;
}

static int values_seek(struct source *s, const char *const *pos, int old_parallelism,
                       struct weir_error *err)
{
    struct values_source *v = (struct values_source *)s;
    int found = -1;
    for (int i = 0; i < old_parallelism; i++) {
        if (pos[i] == NULL)
            continue;
        const char *p = pos[i];
        long row = -1;
        char *end = NULL;
        if (strncmp(p, "v1\n", 3) != 0)
            return err_set(err, WEIR_ERR_CORRUPT, "VALUES: bad position of subtask %d: it "
                           "does not start with 'v1' (written by another version of "
                           "weir?)", i);
        p += 3;
        if (*p == '\0')
            continue;                   /* an instance without rows */
        if (strncmp(p, "row ", 4) == 0)
            row = strtol(p + 4, &end, 10);
        /* the instance without rows checks the form only: the count is not
         * known there */
        if (end == NULL || end == p + 4 || strcmp(end, "\n") != 0 || row < 0 ||
            row > INT32_MAX || (v->n_rows > 0 && row > v->n_rows))
            return err_set(err, WEIR_ERR_CORRUPT, "VALUES: bad position of subtask %d: "
                           "'%.100s' (expected 'row <0..%d>')", i, p, v->n_rows);
        if (found >= 0)
            return err_set(err, WEIR_ERR_CORRUPT, "VALUES: positions of subtasks %d and "
                           "%d both hold the rows", found, i);
        found = i;
        v->next = v->n_rows > 0 ? (int)row : 0;
    }
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
