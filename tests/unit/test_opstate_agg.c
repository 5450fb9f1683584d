/*
 * test_opstate_agg.c — checkpoints of the window, group and OVER aggregation
 * operators (op_window.c, op_group.c, op_over.c).
 *
 * A small driver stands in for the runtime: it compiles a script, builds the
 * operator of its window or GROUP BY node once per instance, pushes generated
 * rows (routed to instances by key group, as the exchange does) and
 * broadcasts watermarks.  Part way it snapshots every instance, frees them,
 * builds a new set — with the same or another parallelism — and hands each
 * record to the instance that owns its key group (SNAP_OPERATOR records to
 * all), then runs on.  The output, the late-row count and the state metrics
 * must match a run that never stopped.  Corrupt, foreign and misrouted
 * records must be refused naming the operator, without leaks (ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/value_fmt.h"
#include "exec/op_group.h"
#include "lines.h"
#include "exec/op_over.h"
#include "exec/op_window.h"
#include "sql/plan.h"
#include "state/snapshot.h"
#include "state/table.h"

#define MAXP 128
#define MAX_INST 4

/* ---- a collecting sink ----------------------------------------------------------------- */

struct collect {
    struct op op;
    struct strbuf *out;   /* shared by every instance: lines in emission order */
};

static int collect_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                        struct weir_error *err)
{
    (void)port;
    (void)ctx;
    (void)err;
    struct collect *c = (struct collect *)op;
    int n = batch_live(b);
    for (int k = 0; k < n; k++) {
        int r = batch_row(b, k);
        vfmt_print_row(c->out, batch_kind(b, r), b->cols, b->n_cols, r);
        sb_addc(c->out, '\n');
    }
    return WEIR_OK;
}

static int nop_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    (void)op;
    (void)ctx;
    (void)err;
    return WEIR_OK;
}

static void plain_free(struct op *op) { mem_free(op); }

static const struct op_ops collect_ops = {
    .kind = "Collect", .push = collect_push, .finish = nop_finish, .free = plain_free};
/* the operator's upstream: only its edge matters (watermark ports, finish) */
static const struct op_ops up_ops = {
    .kind = "Upstream", .push = collect_push, .finish = nop_finish, .free = plain_free};

/* ---- instances --------------------------------------------------------------------------- */

struct inst {
    struct job_plan plan;
    struct lnode *n;         /* the operator's node */
    struct op *op;
    struct op *up;
    bool group;
};

static struct lnode *find_node(struct lnode *n)
{
    if (n->kind == LN_WINDOW_AGG || n->kind == LN_WINDOW_TVF || n->kind == LN_GROUP_AGG ||
        n->kind == LN_OVER)
        return n;
    for (int i = 0; i < n->n_inputs; i++) {
        struct lnode *f = find_node(n->inputs[i]);
        if (f)
            return f;
    }
    return NULL;
}

static void compile(struct job_plan *p, const char *sql)
{
    struct weir_error err = {0};
    err.loc = WEIR_LOC_NONE;
    int rc = plan_compile_ex(p, "t.sql", sql, true, &err);
    if (rc == WEIR_OK)
        rc = plan_optimize(p, &err);
    if (rc)
        fail_msg("compile: %s", err.message);
}

static void inst_init(struct inst *in, const char *sql, int instance, struct strbuf *out)
{
    memset(in, 0, sizeof(*in));
    compile(&in->plan, sql);
    struct lnode *n = in->n = find_node(in->plan.sinks[0]);
    assert_non_null(n);
    struct strbuf label = {0};
    plan_node_label(n, &label);
    in->group = n->kind == LN_GROUP_AGG;
    if (n->kind == LN_OVER) {
        in->op = op_over_new(n->id, n, sb_steal(&label));
        op_over_set_max_parallelism(in->op, MAXP);
    } else if (in->group) {
        in->op = op_group_new(n->id, n->keys, n->n_keys, n->aggs, n->n_aggs, n->n_out,
                              n->out_types, sb_steal(&label));
        op_group_set_max_parallelism(in->op, MAXP);
    } else {
        in->op = op_window_new(n->id, &n->win, n->kind == LN_WINDOW_TVF, n->keys, n->n_keys,
                               n->sets, n->n_sets, n->aggs, n->n_aggs, n->n_out, n->out_types,
                               sb_steal(&label));
        op_window_set_max_parallelism(in->op, MAXP);
    }
    in->op->instance = instance;
    in->up = mem_calloc(1, sizeof(struct op));
    op_init(in->up, &up_ops, 0, mem_strdup("up"));
    struct collect *c = mem_calloc(1, sizeof(*c));
    op_init(&c->op, &collect_ops, 0, mem_strdup("collect"));
    c->out = out;
    op_connect(in->up, in->op);
    op_connect(in->op, &c->op);
}

static void inst_free(struct inst *in)
{
    struct op *c = in->op->next[0].to;
    op_free(in->op);
    op_free(in->up);
    op_free(c);
    plan_free(&in->plan);
}

/* ---- generated input ----------------------------------------------------------------------- */

/* One generated row's values, by column name. */
struct row {
    int k;                   /* -1: NULL */
    int64_t v;
    bool v_null;
    int s;
    int64_t ts;
    int64_t id, mv;
    int ls;
};

struct gen {
    uint64_t s;
    int64_t t;               /* event time of the next row (µs) */
    int64_t max_t;
    /* changelog mode: the upstream's current row per id (present, mv, ls) */
    bool present[24];
    int64_t mv[24];
    int ls[24];
    /* window changelog mode: each id's current row, if live */
    bool live[24];
    struct row cur[24];
    int ids;                 /* ids in use (<= 24; 0: all): fewer, and rows
                                are retracted sooner after they came */
};

static uint32_t rnd(struct gen *g)
{
    g->s = g->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(g->s >> 33);
}

static const char *const WORDS[] = {"ant", "bee", "cat", "dog", "eel", "fox", "gnu"};

static void put_col(struct vec *col, const char *name, int r, const struct row *x)
{
    char buf[16];
    if (strcmp(name, "k") == 0) {
        if (x->k < 0) {
            vec_set_null(col, r);
            return;
        }
        int n = snprintf(buf, sizeof buf, "k%d", x->k);
        vec_set_str(col, r, buf, (size_t)n);
    } else if (strcmp(name, "s") == 0) {
        vec_set_str(col, r, WORDS[x->s], strlen(WORDS[x->s]));
    } else if (strcmp(name, "ls") == 0) {
        vec_set_str(col, r, WORDS[x->ls], strlen(WORDS[x->ls]));
    } else if (strcmp(name, "v") == 0) {
        if (x->v_null)
            vec_set_null(col, r);
        else
            col->i64[r] = x->v;
    } else if (strcmp(name, "ts") == 0 || strcmp(name, "pt") == 0) {
        col->i64[r] = x->ts;   /* pt: a processing time the driver makes up */
    } else if (strcmp(name, "id") == 0) {
        col->i64[r] = x->id;
    } else if (strcmp(name, "mv") == 0) {
        col->i64[r] = x->mv;
    } else {
        fail_msg("the generator has no column '%s'", name);
    }
}

static void add_row(struct batch *b, const struct lnode *in, const struct row *x,
                    enum row_kind kind)
{
    int r = b->n;
    for (int c = 0; c < in->n_out; c++)
        put_col(&b->cols[c], in->out_names[c], r, x);
    if (kind != RK_INSERT || b->kinds) {
        batch_ensure_kinds(b);
        b->kinds[r] = (uint8_t)kind;
    }
    b->n++;
}

/* Event-time rows: keys k0..k11 (some NULL), times advancing ~0.3 s a row
 * with up to 4 s of disorder, so that some rows arrive late. */
static void gen_rows(struct gen *g, struct batch *b, const struct lnode *in, int n)
{
    for (int i = 0; i < n; i++) {
        struct row x = {0};
        x.k = rnd(g) % 20 == 0 ? -1 : (int)(rnd(g) % 12);
        x.v_null = rnd(g) % 10 == 0;
        x.v = (int64_t)(rnd(g) % 250) - 50;
        x.s = (int)(rnd(g) % 7);
        g->t += 300000;
        x.ts = g->t - (int64_t)(rnd(g) % 4000) * 1000;
        if (x.ts > g->max_t)
            g->max_t = x.ts;
        add_row(b, in, &x, RK_INSERT);
    }
}

/* A consistent changelog of an upstream keyed by id: inserts, -U/+U updates
 * and deletes, for an aggregation over an updating input. */
static void gen_changes(struct gen *g, struct batch *b, const struct lnode *in, int n)
{
    while (b->n + 2 <= n) {
        int id = (int)(rnd(g) % 24);
        struct row x = {.id = id, .mv = g->mv[id], .ls = g->ls[id]};
        if (!g->present[id]) {
            x.mv = g->mv[id] = (int64_t)(rnd(g) % 40);
            x.ls = g->ls[id] = (int)(rnd(g) % 7);
            g->present[id] = true;
            add_row(b, in, &x, RK_INSERT);
        } else if (rnd(g) % 4 == 0) {
            g->present[id] = false;
            add_row(b, in, &x, RK_DELETE);
        } else {
            add_row(b, in, &x, RK_UPDATE_BEFORE);
            x.mv = g->mv[id] = (int64_t)(rnd(g) % 40);
            x.ls = g->ls[id] = (int)(rnd(g) % 7);
            add_row(b, in, &x, RK_UPDATE_AFTER);
        }
    }
}

/* A consistent changelog of an event-time table keyed by id, for a window
 * aggregation over updating input: inserts at advancing times (with the
 * disorder of gen_rows), updates that keep or move a row's time (-U of the
 * old row, +U of the new) and deletes.  Retractions of rows whose windows
 * have fired are late. */
static void gen_window_changes(struct gen *g, struct batch *b, const struct lnode *in, int n)
{
    while (b->n + 2 <= n) {
        int id = (int)(rnd(g) % (uint32_t)(g->ids ? g->ids : 24));
        struct row x = {0};
        x.id = id;
        x.k = rnd(g) % 20 == 0 ? -1 : (int)(rnd(g) % 8);
        x.v_null = rnd(g) % 10 == 0;
        x.v = (int64_t)(rnd(g) % 250) - 50;
        x.s = (int)(rnd(g) % 7);
        g->t += 300000;
        x.ts = g->t - (int64_t)(rnd(g) % 4000) * 1000;
        if (!g->live[id]) {
            g->live[id] = true;
            add_row(b, in, &x, RK_INSERT);
        } else if (rnd(g) % 4 == 0) {
            g->live[id] = false;
            add_row(b, in, &g->cur[id], RK_DELETE);
        } else {
            if (rnd(g) % 2 == 0)
                x.ts = g->cur[id].ts;   /* a value changes, the time stays */
            add_row(b, in, &g->cur[id], RK_UPDATE_BEFORE);
            add_row(b, in, &x, RK_UPDATE_AFTER);
        }
        if (g->live[id])
            g->cur[id] = x;
        if (x.ts > g->max_t)
            g->max_t = x.ts;
    }
}

/* ---- the driver ----------------------------------------------------------------------------- */

enum { ROWS_INSERT, ROWS_CHANGES, ROWS_WINDOW_CHANGES };

struct scenario {
    const char *sql;
    int changes;             /* ROWS_*: insert-only rows, an updating input
                                (gen_changes), an updating event-time input
                                (gen_window_changes) */
    int n_batches, rows;
    int ids;                 /* gen_window_changes: the ids in use (0: 24) */
};

struct result {
    struct strbuf out;       /* every emitted line, in order */
    int64_t late;
    int64_t keys_before;     /* state entries just before the checkpoint ... */
    int64_t keys_after;      /* ... and just after the restore */
};

/* The instance that owns the rows of each live row of b, as job.c routes. */
static void route(struct inst *router, struct batch *b, int p, int *dest)
{
    struct lnode *n = router->n;
    int nk = n->kind == LN_OVER         ? n->n_part
             : n->kind == LN_GROUP_AGG ? n->n_keys
             : n->n_sets <= 1          ? n->n_keys
                                       : 0;
    struct expr **keys = n->kind == LN_OVER ? n->part : n->keys;
    const struct vec *kv[64];
    struct arena ar;
    arena_init(&ar, 0);
    struct eval_ctx ctx = {&ar, 0};
    struct weir_error err = {0};
    for (int k = 0; k < nk; k++)
        assert_int_equal(expr_eval(keys[k], &ctx, b, &kv[k], &err), WEIR_OK);
    struct strbuf key = {0};
    sb_reserve(&key, 16);
    for (int r = 0; r < b->n; r++) {
        state_key_encode(&key, kv, nk, r);
        int kg = state_key_group(state_hash(key.buf, key.len), MAXP);
        dest[r] = kg * p / MAXP;
    }
    sb_free(&key);
    arena_free(&ar);
}

static void push_all(struct inst *insts, int p, struct inst *router, struct batch *b,
                     int64_t wm)
{
    struct arena ar;
    arena_init(&ar, 0);
    struct eval_ctx ctx = {&ar, 0};
    struct weir_error err = {0};
    int dest[BATCH_CAP], rows[BATCH_CAP];
    route(router, b, p, dest);
    const struct lnode *in = router->n->inputs[0];
    for (int i = 0; i < p; i++) {
        int m = 0;
        for (int r = 0; r < b->n; r++)
            if (dest[r] == i)
                rows[m++] = r;
        if (m == 0)
            continue;
        struct batch *part = batch_new(in->n_out, in->out_types);
        batch_append_rows(part, b, rows, m);
        atomic_fetch_add(&insts[i].op->rows_in, m);
        int rc = insts[i].op->ops->push(insts[i].op, 0, part, &ctx, &err);
        if (rc)
            fail_msg("push: %s", err.message);
        batch_free(part);
    }
    for (int i = 0; i < p && wm != WM_NONE; i++)
        assert_int_equal(op_watermark_in(insts[i].op, 0, wm, &ctx, &err), WEIR_OK);
    arena_free(&ar);
}

static int64_t sum_keys(struct inst *insts, int p)
{
    int64_t n = 0;
    for (int i = 0; i < p; i++)
        n += atomic_load(&insts[i].op->state_keys);
    return n;
}

/* Restores every record of sections[0..n) into the p instances. */
static void restore_all(struct inst *insts, int p, struct snap_writer *sections, int n)
{
    struct weir_error err = {0};
    for (int s = 0; s < n; s++) {
        struct snap_iter it;
        snap_iter_init(&it, sections[s].buf.buf, sections[s].buf.len);
        int kg;
        struct snap_rd rd;
        while (snap_iter_next(&it, &kg, &rd)) {
            for (int i = 0; i < p; i++) {
                if (kg != SNAP_OPERATOR && kg * p / MAXP != i)
                    continue;
                struct snap_rd each = rd;
                int rc = insts[i].op->ops->restore(insts[i].op, kg, &each, &err);
                if (rc)
                    fail_msg("restore: %s", err.message);
            }
        }
        assert_false(it.bad);
    }
}

/* Generates the scenario's next batch and pushes it through the instances. */
static void next_batch(const struct scenario *sc, struct gen *g, struct batch *b,
                       const struct lnode *in, struct inst *insts, int p, struct inst *router)
{
    batch_reset(b);
    if (sc->changes == ROWS_CHANGES)
        gen_changes(g, b, in, sc->rows);
    else if (sc->changes == ROWS_WINDOW_CHANGES)
        gen_window_changes(g, b, in, sc->rows);
    else
        gen_rows(g, b, in, sc->rows);
    push_all(insts, p, router, b, sc->changes == ROWS_CHANGES ? WM_NONE : g->max_t - 1000000);
}

/* Batches the old instances process while their snapshot is being copied. */
#define LAZY_BATCHES 3

/*
 * Runs the scenario with p_old instances; with cut >= 0 checkpoints before
 * batch `cut` and goes on with p_new instances restored from it.
 */
static void run(const struct scenario *sc, int p_old, int p_new, int cut, struct result *res)
{
    memset(res, 0, sizeof(*res));
    struct inst insts[MAX_INST], router;
    inst_init(&router, sc->sql, 0, &res->out);
    int p = p_old;
    for (int i = 0; i < p; i++)
        inst_init(&insts[i], sc->sql, i, &res->out);
    /* the router's plan lives through the whole run (instances come and go) */
    const struct lnode *in = router.n->inputs[0];
    struct gen g = {.s = 42, .t = 1700000000000000LL, .ids = sc->ids};
    struct batch *b = batch_new(in->n_out, in->out_types);
    struct arena ar;
    arena_init(&ar, 0);
    struct eval_ctx ctx = {&ar, 0};
    struct weir_error err = {0};
    for (int bi = 0; bi < sc->n_batches; bi++) {
        if (bi == cut) {
            struct snap_writer sections[MAX_INST];
            memset(sections, 0, sizeof(sections));
            res->keys_before = sum_keys(insts, p);
            /* what the runtime keeps itself: the operator's watermarks */
            int64_t wm = insts[0].op->wm, in_wm = insts[0].op->in_wm[0];
            for (int i = 0; i < p; i++) {
                assert_int_equal(insts[i].op->ops->snapshot(insts[i].op, &sections[i], &err),
                                 WEIR_OK);
                res->late += atomic_load(&insts[i].op->late);
            }
            /* The snapshot is copied lazily: the old instances go on with a
             * few batches meanwhile, as a task does after its barrier, and
             * every entry they change, delete or fire must be written as it
             * was at the cut.  What they emit is dropped, as after a crash. */
            size_t out_len = res->out.len;
            struct gen at_cut = g;
            for (int k = 0; k < LAZY_BATCHES && cut + k < sc->n_batches; k++) {
                next_batch(sc, &g, b, in, insts, p, &router);
                for (int i = 0; i < p; i++)
                    state_walks_step(&sections[i], 3);
            }
            for (int i = 0; i < p; i++) {
                inst_free(&insts[i]);   /* a table freed writes what is pending */
                assert_true(state_walks_done(&sections[i]));
                state_walks_end(&sections[i], true);
            }
            res->out.len = out_len;
            if (res->out.buf)
                res->out.buf[out_len] = '\0';
            g = at_cut;
            int old = p;
            p = p_new;
            for (int i = 0; i < p; i++) {
                inst_init(&insts[i], sc->sql, i, &res->out);
                insts[i].op->wm = wm;
                insts[i].op->in_wm[0] = in_wm;
            }
            restore_all(insts, p, sections, old);
            res->keys_after = sum_keys(insts, p);
            for (int i = 0; i < old; i++)
                sb_free(&sections[i].buf);
        }
        next_batch(sc, &g, b, in, insts, p, &router);
    }
    for (int i = 0; i < p; i++) {
        assert_int_equal(op_watermark_in(insts[i].op, 0, WM_END, &ctx, &err), WEIR_OK);
        assert_int_equal(op_finish_next(insts[i].up, &ctx, &err), WEIR_OK);
        res->late += atomic_load(&insts[i].op->late);
        inst_free(&insts[i]);
    }
    inst_free(&router);
    batch_free(b);
    arena_free(&ar);
}

/* Fails showing the first line (sorted) where the outputs part. */
static void fail_diff(int p_old, int p_new, int cut, const char *want, const char *have)
{
    const char *w = want, *h = have;
    for (int guard = 0; guard < 1000000 && *w && *h; guard++) {
        const char *we = strchr(w, '\n'), *he = strchr(h, '\n');
        if (we - w != he - h || memcmp(w, h, (size_t)(we - w)) != 0)
            break;
        w = we + 1;
        h = he + 1;
    }
    fail_msg("P %d -> %d, cut before batch %d: the output differs (%zu vs %zu bytes)\n"
             "want: %.200s\ngot:  %.200s",
             p_old, p_new, cut, strlen(want), strlen(have), w, h);
}

/*
 * Checks the scenario at each cut: the same multiset of lines at any
 * parallelism.  The order of the rows of one window firing is not kept
 * across a restore (a window fires its keys in table order, and a lazy
 * snapshot writes them in the order it meets them; Flink does not order
 * them either).  Late rows and state entries always match.
 */
static void check(const struct scenario *sc)
{
    static const int pars[][2] = {{1, 1}, {2, 2}, {1, 3}, {3, 2}, {4, 1}, {2, 4}};
    static const int cuts[] = {1, 5, 11, 17};
    for (size_t pi = 0; pi < sizeof(pars) / sizeof(*pars); pi++) {
        struct result ref;
        run(sc, pars[pi][0], pars[pi][0], -1, &ref);
        assert_true(ref.out.len > 0);
        char *want = sorted(ref.out.buf ? ref.out.buf : "");
        for (size_t ci = 0; ci < sizeof(cuts) / sizeof(*cuts); ci++) {
            if (cuts[ci] >= sc->n_batches)
                continue;
            struct result got;
            run(sc, pars[pi][0], pars[pi][1], cuts[ci], &got);
            char *have = sorted(got.out.buf ? got.out.buf : "");
            if (strcmp(want, have) != 0)
                fail_diff(pars[pi][0], pars[pi][1], cuts[ci], want, have);
            assert_int_equal(got.late, ref.late);
            assert_int_equal(got.keys_after, got.keys_before);
            mem_free(have);
            sb_free(&got.out);
        }
        mem_free(want);
        sb_free(&ref.out);
    }
}

#define SRC                                                                                  \
    "CREATE TABLE src (k STRING, v BIGINT, s STRING, ts TIMESTAMP(3),\n"                     \
    "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'datagen');\n"

/* one of each accumulator shape; APPROX_COUNT_DISTINCT (AGGS_HLL) only in
 * a few cases: each of its results is a pass over 2^14 registers */
#define AGGS "COUNT(*) AS n, SUM(v) AS sv, MIN(v) AS mi, MAX(s) AS ms, AVG(v) AS av, " \
             "COUNT(DISTINCT v) AS dv, LISTAGG(s) AS ls, FIRST_VALUE(s) AS fv, "       \
             "LAST_VALUE(v) AS lv, STDDEV_POP(v) AS sd, SUM(v) FILTER (WHERE v > 0) AS sp"
#define AGGS_HLL AGGS ", APPROX_COUNT_DISTINCT(s) AS ad"

/* ---- window aggregation ------------------------------------------------------------------- */

static void test_tumble(void **state)
{
    (void)state;
    struct scenario sc = {SRC "SELECT k, window_start, window_end, " AGGS_HLL
                              " FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '5' "
                              "SECOND)) GROUP BY k, window_start, window_end;",
                          ROWS_INSERT, 24, 40};
    check(&sc);
}

static void test_hop(void **state)
{
    (void)state;
    struct scenario sc = {SRC "SELECT k, window_start, window_end, " AGGS
                              " FROM TABLE(HOP(TABLE src, DESCRIPTOR(ts), INTERVAL '2' SECOND, "
                              "INTERVAL '6' SECOND)) GROUP BY k, window_start, window_end;",
                          ROWS_INSERT, 20, 40};
    check(&sc);
}

static void test_cumulate_global(void **state)
{
    (void)state;
    /* no keys: every row in one key group, on one instance */
    struct scenario sc = {SRC "SELECT window_start, window_end, " AGGS
                              " FROM TABLE(CUMULATE(TABLE src, DESCRIPTOR(ts), INTERVAL '2' "
                              "SECOND, INTERVAL '8' SECOND)) GROUP BY window_start, window_end;",
                          ROWS_INSERT, 20, 40};
    check(&sc);
}

static void test_session(void **state)
{
    (void)state;
    struct scenario sc = {SRC "SELECT k, SESSION_START(ts, INTERVAL '2' SECOND) AS ws, "
                              "SESSION_END(ts, INTERVAL '2' SECOND) AS we, " AGGS
                              " FROM src GROUP BY k, SESSION(ts, INTERVAL '2' SECOND);",
                          ROWS_INSERT, 24, 12};
    check(&sc);
}

/* an event-time changelog table: the window aggregations below consume
 * retractions, some of them late */
#define SRC_CDC                                                                              \
    "CREATE TABLE src (id BIGINT, k STRING, v BIGINT, s STRING, ts TIMESTAMP(3),\n"          \
    "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'filesystem',\n"     \
    "  'path' = 'cdc.json', 'format' = 'debezium-json');\n"

static void test_tumble_updating_input(void **state)
{
    (void)state;
    /* the row counts and the retractable MIN/MAX and DISTINCT state go
     * through the records; windows emptied by retractions stay silent */
    struct scenario sc = {SRC_CDC "SELECT k, window_start, window_end, " AGGS
                                  " FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '5' "
                                  "SECOND)) GROUP BY k, window_start, window_end;",
                          ROWS_WINDOW_CHANGES, 24, 40};
    check(&sc);
}

static void test_hop_updating_input(void **state)
{
    (void)state;
    struct scenario sc = {SRC_CDC "SELECT k, window_start, window_end, COUNT(*) AS n, SUM(v) AS sv, "
                                  "MAX(v) AS mx, COUNT(DISTINCT s) AS ds FROM TABLE(HOP(TABLE src, "
                                  "DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '6' SECOND)) "
                                  "GROUP BY k, window_start, window_end;",
                          ROWS_WINDOW_CHANGES, 20, 40};
    check(&sc);
}

static void test_session_updating_input(void **state)
{
    (void)state;
    struct scenario sc = {SRC_CDC "SELECT k, SESSION_START(ts, INTERVAL '2' SECOND) AS ws, "
                                  "SESSION_END(ts, INTERVAL '2' SECOND) AS we, " AGGS
                                  " FROM src GROUP BY k, SESSION(ts, INTERVAL '2' SECOND);",
                          ROWS_WINDOW_CHANGES, 24, 12, 4};
    check(&sc);
}

static void test_grouping_sets(void **state)
{
    (void)state;
    struct scenario sc = {SRC "SELECT window_start, window_end, k, s, " AGGS
                              " FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '4' "
                              "SECOND)) GROUP BY window_start, window_end, "
                              "GROUPING SETS ((k, s), (k), ());",
                          ROWS_INSERT, 20, 40};
    check(&sc);
}

static void test_proctime(void **state)
{
    (void)state;
    /* windows on processing time ignore watermarks; the driver never calls
     * the timer, so they all fire at the end, from restored state */
    struct scenario sc = {"CREATE TABLE src (k STRING, v BIGINT, s STRING, pt AS PROCTIME()) "
                          "WITH ('connector' = 'datagen');\n"
                          "SELECT k, window_start, window_end, " AGGS
                          " FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(pt), INTERVAL '10' "
                          "SECOND)) GROUP BY k, window_start, window_end;",
                          ROWS_INSERT, 20, 40};
    check(&sc);
}

static void test_tvf(void **state)
{
    (void)state;
    /* no state but the watermark mark: late rows must stay late after a restore */
    struct scenario sc = {SRC "SELECT k, v, window_start, window_end FROM TABLE(TUMBLE(TABLE src, "
                              "DESCRIPTOR(ts), INTERVAL '1' SECOND));",
                          ROWS_INSERT, 20, 40};
    struct result ref, got;
    run(&sc, 1, 1, -1, &ref);
    for (int cut = 1; cut < sc.n_batches; cut += 6) {
        run(&sc, 1, 1, cut, &got);
        assert_string_equal(ref.out.buf, got.out.buf);
        assert_int_equal(got.late, ref.late);
        sb_free(&got.out);
    }
    assert_true(ref.late > 0);
    sb_free(&ref.out);
}

/* ---- group aggregation ------------------------------------------------------------------- */

static void test_group(void **state)
{
    (void)state;
    struct scenario sc = {SRC "SELECT k, " AGGS " FROM src GROUP BY k;", ROWS_INSERT, 20, 40};
    check(&sc);
}

static void test_group_updating_input(void **state)
{
    (void)state;
    /* the operator under test is the outer GROUP BY: its input retracts */
    struct scenario sc = {
        SRC "SELECT ls, COUNT(*) AS n, SUM(mv) AS s, MAX(mv) AS mx, MIN(mv) AS mn, "
            "COUNT(DISTINCT mv) AS d, LISTAGG(CAST(mv AS STRING)) AS l, "
            "FIRST_VALUE(mv) AS f, AVG(mv) AS a FROM (SELECT CAST(v AS BIGINT) AS id, "
            "MAX(v) AS mv, MAX(s) AS ls FROM src GROUP BY v) GROUP BY ls;",
        ROWS_CHANGES, 20, 60};
    check(&sc);
}

static void test_distinct(void **state)
{
    (void)state;
    struct scenario sc = {SRC "SELECT DISTINCT k, s FROM src;", ROWS_INSERT, 12, 40};
    check(&sc);
}

/* DISTINCT aggregates with the same arguments share one set per group
 * (agg_share_copy, issue 4): FILTER variants of COUNT, SUM and LISTAGG
 * (DISTINCT) over one argument and over a tuple.  Each variant's values and
 * counts go through the records as a private set's would. */
#define SHARED_AGGS                                                                        \
    "COUNT(DISTINCT v) AS d, COUNT(DISTINCT v) FILTER (WHERE v < 0) AS dn, "               \
    "COUNT(DISTINCT v) FILTER (WHERE v >= 0 AND v < 100) AS dm, "                          \
    "SUM(DISTINCT v) FILTER (WHERE v >= 100) AS sh, COUNT(DISTINCT s) AS ds, "             \
    "LISTAGG(DISTINCT s) FILTER (WHERE v > 0) AS ls, "                                     \
    "COUNT(DISTINCT s, v) FILTER (WHERE v < 50) AS p1, COUNT(DISTINCT s, v) AS p2"

static void test_group_shared_distinct(void **state)
{
    (void)state;
    struct scenario sc = {SRC "SELECT k, " SHARED_AGGS " FROM src GROUP BY k;", ROWS_INSERT,
                          20, 40};
    check(&sc);
}

/* Window aggregations share them too: per window (TUMBLE), over retractions
 * (HOP over a changelog, each slice's set merged into its windows'), and
 * through session merges. */
static void test_window_shared_distinct(void **state)
{
    (void)state;
    struct scenario sc = {SRC "SELECT k, window_start, window_end, " SHARED_AGGS
                              " FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '5' "
                              "SECOND)) GROUP BY k, window_start, window_end;",
                          ROWS_INSERT, 24, 40};
    check(&sc);
}

static void test_hop_shared_distinct_updating_input(void **state)
{
    (void)state;
    struct scenario sc = {SRC_CDC "SELECT k, window_start, window_end, " SHARED_AGGS
                                  " FROM TABLE(HOP(TABLE src, DESCRIPTOR(ts), INTERVAL '2' "
                                  "SECOND, INTERVAL '6' SECOND)) GROUP BY k, window_start, "
                                  "window_end;",
                          ROWS_WINDOW_CHANGES, 20, 40};
    check(&sc);
}

static void test_session_shared_distinct(void **state)
{
    (void)state;
    struct scenario sc = {SRC "SELECT k, SESSION_START(ts, INTERVAL '2' SECOND) AS ws, "
                              "SESSION_END(ts, INTERVAL '2' SECOND) AS we, " SHARED_AGGS
                              " FROM src GROUP BY k, SESSION(ts, INTERVAL '2' SECOND);",
                          ROWS_INSERT, 24, 12};
    check(&sc);
}

/* The same over an updating input: -U/-D rows take values out of the
 * variants whose FILTER they pass, and out of the set when none holds it. */
static void test_group_shared_distinct_updating_input(void **state)
{
    (void)state;
    struct scenario sc = {
        SRC "SELECT ls, COUNT(DISTINCT mv) AS d, COUNT(DISTINCT mv) FILTER (WHERE mv < 10) "
            "AS d1, COUNT(DISTINCT mv) FILTER (WHERE mv >= 10 AND mv < 30) AS d2, "
            "SUM(DISTINCT mv) FILTER (WHERE mv >= 30) AS s3, COUNT(*) AS n FROM (SELECT "
            "CAST(v AS BIGINT) AS id, MAX(v) AS mv, MAX(s) AS ls FROM src GROUP BY v) "
            "GROUP BY ls;",
        ROWS_CHANGES, 20, 60};
    check(&sc);
}

/* State bytes include what accumulators hold out of line: the same rows
 * held by a window, a session and a GROUP BY aggregation with COUNT(DISTINCT
 * v) take at least the set's entries more than with COUNT(v); and all of it
 * is given back when the windows fire. */
static int64_t bytes_after(const char *sql, int n_batches, int64_t *after_fire)
{
    struct strbuf out = {0};
    struct inst in;
    inst_init(&in, sql, 0, &out);
    const struct lnode *src = in.n->inputs[0];
    struct gen g = {.s = 7, .t = 1700000000000000LL};
    struct batch *b = batch_new(src->n_out, src->out_types);
    for (int i = 0; i < n_batches; i++) {
        batch_reset(b);
        gen_rows(&g, b, src, 200);
        push_all(&in, 1, &in, b, WM_NONE);
    }
    int64_t bytes = atomic_load(&in.op->state_bytes);
    struct arena ar;
    arena_init(&ar, 0);
    struct eval_ctx ctx = {&ar, 0};
    struct weir_error err = {0};
    assert_int_equal(op_watermark_in(in.op, 0, WM_END, &ctx, &err), WEIR_OK);
    *after_fire = atomic_load(&in.op->state_bytes);
    arena_free(&ar);
    batch_free(b);
    inst_free(&in);
    sb_free(&out);
    return bytes;
}

static void test_state_bytes_out_of_line(void **state)
{
    (void)state;
    static const char *const shapes[] = {
        SRC "SELECT k, %s FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' HOUR)) "
            "GROUP BY k, window_start, window_end;",
        SRC "SELECT k, %s FROM src GROUP BY k, SESSION(ts, INTERVAL '1' HOUR);",
        SRC "SELECT k, %s FROM src GROUP BY k;",
    };
    for (int i = 0; i < 3; i++) {
        char plain[512], dist[512];
        snprintf(plain, sizeof plain, shapes[i], "COUNT(v)");
        snprintf(dist, sizeof dist, shapes[i], "COUNT(DISTINCT v)");
        int64_t fired_plain, fired_dist;
        int64_t a = bytes_after(plain, 10, &fired_plain);
        int64_t d = bytes_after(dist, 10, &fired_dist);
        /* 2,000 rows of a few hundred distinct v over a few keys: the sets'
         * entries (16-byte values and counts) far outweigh a slot */
        if (d < a + 4000)
            fail_msg("%s: %lld state bytes with DISTINCT, %lld without", dist, (long long)d,
                     (long long)a);
        if (i < 2 && fired_dist > fired_plain)
            fail_msg("%s: %lld bytes left after the windows fired, %lld without DISTINCT",
                     dist, (long long)fired_dist, (long long)fired_plain);
    }
    /* Four DISTINCT aggregates of v in a GROUP BY share one set, counted
     * once: less than the one private set's 24-byte entries again, where
     * four sets would be about four times its bytes. */
    int64_t fired;
    int64_t plain = bytes_after(SRC "SELECT k, COUNT(v) FROM src GROUP BY k;", 10, &fired);
    int64_t one = bytes_after(SRC "SELECT k, COUNT(DISTINCT v) FROM src GROUP BY k;", 10, &fired);
    int64_t four = bytes_after(SRC "SELECT k, COUNT(DISTINCT v), COUNT(DISTINCT v) FILTER "
                                   "(WHERE v > 0), COUNT(DISTINCT v) FILTER (WHERE v < 0), "
                                   "SUM(DISTINCT v) FROM src GROUP BY k;",
                               10, &fired);
    if (four < plain + 4000 || four - plain > (one - plain) * 3 / 2)
        fail_msg("state bytes: %lld with COUNT(v), %lld with one COUNT(DISTINCT v), %lld "
                 "with four DISTINCT aggregates of v", (long long)plain, (long long)one,
                 (long long)four);
}

/* ---- OVER aggregation ------------------------------------------------------------------- */

/* one of each accumulator shape over one window w */
#define OVER_AGGS(w)                                                                          \
    "COUNT(*) OVER " w " AS n, SUM(v) OVER " w " AS sv, MIN(v) OVER " w " AS mi, "            \
    "MAX(s) OVER " w " AS ms, AVG(v) OVER " w " AS av, COUNT(DISTINCT v) OVER " w " AS dv, "  \
    "LISTAGG(s) OVER " w " AS ls, FIRST_VALUE(s) OVER " w " AS fv, LAST_VALUE(v) OVER " w   \
    " AS lv, STDDEV_POP(v) OVER " w " AS sd"

static void test_over_rows(void **state)
{
    (void)state;
    /* waiting rows, the frame's rows and accumulators with retraction */
    struct scenario sc = {SRC "SELECT k, v, s, ts, " OVER_AGGS("w") " FROM src WINDOW w AS "
                              "(PARTITION BY k ORDER BY ts ROWS BETWEEN 3 PRECEDING AND CURRENT "
                              "ROW);",
                          ROWS_INSERT, 20, 40};
    check(&sc);
}

static void test_over_range(void **state)
{
    (void)state;
    struct scenario sc = {SRC "SELECT k, v, s, ts, " OVER_AGGS("w") " FROM src WINDOW w AS "
                              "(PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '2' SECOND "
                              "PRECEDING AND CURRENT ROW);",
                          ROWS_INSERT, 20, 40};
    check(&sc);
}

/* Keys of an OVER aggregation left after the rows of n_batches batches and
 * a watermark that many seconds past the last row. */
static int64_t over_keys_after(const char *sql, int n_batches, int64_t later_s, int64_t *rows_out)
{
    struct strbuf out = {0};
    struct inst in;
    inst_init(&in, sql, 0, &out);
    const struct lnode *src = in.n->inputs[0];
    struct gen g = {.s = 11, .t = 1700000000000000LL};
    struct batch *b = batch_new(src->n_out, src->out_types);
    for (int i = 0; i < n_batches; i++) {
        batch_reset(b);
        gen_rows(&g, b, src, 100);
        push_all(&in, 1, &in, b, WM_NONE);
    }
    struct arena ar;
    arena_init(&ar, 0);
    struct eval_ctx ctx = {&ar, 0};
    struct weir_error err = {0};
    assert_int_equal(op_watermark_in(in.op, 0, g.max_t + later_s * 1000000, &ctx, &err), WEIR_OK);
    int64_t keys = atomic_load(&in.op->state_keys);
    *rows_out = atomic_load(&in.op->rows_out);
    arena_free(&ar);
    batch_free(b);
    inst_free(&in);
    sb_free(&out);
    return keys;
}

/* A RANGE frame's keys go once the watermark is a frame's length past their
 * newest row (Flink clears them too); ROWS and unbounded frames keep theirs. */
static void test_over_range_cleanup(void **state)
{
    (void)state;
    const char *range = SRC "SELECT k, COUNT(*) OVER w AS n FROM src WINDOW w AS (PARTITION BY k "
                            "ORDER BY ts RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND "
                            "CURRENT ROW);";
    const char *rows = SRC "SELECT k, COUNT(*) OVER w AS n FROM src WINDOW w AS (PARTITION BY k "
                           "ORDER BY ts ROWS BETWEEN 3 PRECEDING AND CURRENT ROW);";
    int64_t emitted, emitted_late;
    /* one second past the last row: a key's newest row is still inside the
     * frame of a row to come, so no key can go */
    int64_t soon = over_keys_after(range, 5, 1, &emitted);
    assert_true(soon > 0);
    /* a minute past: every key goes, and the rows came out all the same */
    assert_int_equal(over_keys_after(range, 5, 60, &emitted_late), 0);
    assert_int_equal(emitted, emitted_late);
    assert_true(over_keys_after(rows, 5, 60, &emitted) > 0);
}

static void test_over_unbounded_global(void **state)
{
    (void)state;
    /* no PARTITION BY: one key on one instance; an unbounded frame keeps
     * only the accumulators (append-only MIN/MAX) */
    struct scenario sc = {SRC "SELECT k, v, ts, " OVER_AGGS("(ORDER BY ts)") " FROM src;",
                          ROWS_INSERT, 20, 40};
    check(&sc);
}

static void test_over_proctime(void **state)
{
    (void)state;
    /* rows are aggregated as they arrive: only the frame and accumulators */
    struct scenario sc = {"CREATE TABLE src (k STRING, v BIGINT, s STRING, pt AS PROCTIME()) "
                          "WITH ('connector' = 'datagen');\n"
                          "SELECT k, v, " OVER_AGGS("w") " FROM src WINDOW w AS (PARTITION BY k "
                          "ORDER BY pt ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);",
                          ROWS_INSERT, 20, 40};
    check(&sc);
}

/* ---- refused records ---------------------------------------------------------------------- */

/* Builds an instance, runs `batches` batches through it and snapshots it. */
static void snapshot_after(const char *sql, int batches, struct snap_writer *w)
{
    struct strbuf out = {0};
    struct inst in, router;
    inst_init(&in, sql, 0, &out);
    inst_init(&router, sql, 0, &out);
    const struct lnode *n = router.n->inputs[0];
    struct gen g = {.s = 7, .t = 1700000000000000LL};
    struct batch *b = batch_new(n->n_out, n->out_types);
    for (int i = 0; i < batches; i++) {
        batch_reset(b);
        gen_rows(&g, b, n, 40);
        push_all(&in, 1, &router, b, g.max_t - 1000000);
    }
    memset(w, 0, sizeof(*w));
    struct weir_error err = {0};
    assert_int_equal(in.op->ops->snapshot(in.op, w, &err), WEIR_OK);
    state_walks_end(w, true);
    assert_true(w->n_records > 1);
    batch_free(b);
    inst_free(&in);
    inst_free(&router);
    sb_free(&out);
}

/* Every proper prefix of every record is refused as corrupt (naming the
 * operator) and leaves nothing behind; the whole records then restore. */
static void truncations(const char *sql)
{
    struct snap_writer w;
    snapshot_after(sql, 6, &w);
    struct strbuf out = {0};
    struct inst in;
    inst_init(&in, sql, 0, &out);
    struct snap_iter it;
    snap_iter_init(&it, w.buf.buf, w.buf.len);
    int kg;
    struct snap_rd rd;
    int64_t records = 0;
    while (snap_iter_next(&it, &kg, &rd)) {
        for (size_t len = 0; len < rd.len; len++) {
            struct snap_rd cut = {rd.p, len, 0, false};
            struct weir_error err = {0};
            int rc = in.op->ops->restore(in.op, kg, &cut, &err);
            assert_int_equal(rc, WEIR_ERR_CORRUPT);
            assert_non_null(strstr(err.message, in.op->label));
            err_clear(&err);
        }
        assert_int_equal(atomic_load(&in.op->state_keys), records);
        struct weir_error err = {0};
        struct snap_rd whole = rd;
        assert_int_equal(in.op->ops->restore(in.op, kg, &whole, &err), WEIR_OK);
        if (kg != SNAP_OPERATOR)
            records++;
        /* the same record again is a runtime bug, not a second key */
        whole = rd;
        if (kg != SNAP_OPERATOR) {
            assert_int_equal(in.op->ops->restore(in.op, kg, &whole, &err), WEIR_ERR_CORRUPT);
            err_clear(&err);
        }
    }
    assert_int_equal(atomic_load(&in.op->state_keys), records);
    inst_free(&in);
    sb_free(&out);
    sb_free(&w.buf);
}

static void test_truncated_records(void **state)
{
    (void)state;
    truncations(SRC "SELECT k, window_start, window_end, " AGGS_HLL
                    " FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '5' SECOND)) "
                    "GROUP BY k, window_start, window_end;");
    truncations(SRC "SELECT k, SESSION_START(ts, INTERVAL '2' SECOND) AS ws, " AGGS
                    " FROM src GROUP BY k, SESSION(ts, INTERVAL '2' SECOND);");
    truncations(SRC "SELECT k, " AGGS " FROM src GROUP BY k;");
    truncations(SRC "SELECT k, " SHARED_AGGS " FROM src GROUP BY k;");
    truncations(SRC "SELECT k, v, " OVER_AGGS("w") " FROM src WINDOW w AS (PARTITION BY k "
                    "ORDER BY ts RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW);");
}

/* Records of another query, another format version or the wrong key group
 * are refused with errors that say so. */
static void test_foreign_records(void **state)
{
    (void)state;
    const char *q1 = SRC "SELECT k, window_start, window_end, COUNT(*) AS n FROM "
                         "TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '5' SECOND)) "
                         "GROUP BY k, window_start, window_end;";
    const char *q2 = SRC "SELECT k, window_start, window_end, SUM(v) AS n FROM "
                         "TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '5' SECOND)) "
                         "GROUP BY k, window_start, window_end;";
    struct snap_writer w;
    snapshot_after(q1, 4, &w);
    struct strbuf out = {0};
    struct inst other, same;
    inst_init(&other, q2, 0, &out);
    inst_init(&same, q1, 0, &out);
    struct snap_iter it;
    snap_iter_init(&it, w.buf.buf, w.buf.len);
    int kg;
    struct snap_rd rd;
    bool keyed = false;
    while (snap_iter_next(&it, &kg, &rd)) {
        struct weir_error err = {0};
        struct snap_rd x = rd;
        assert_int_equal(other.op->ops->restore(other.op, kg, &x, &err), WEIR_ERR_CONFIG);
        assert_non_null(strstr(err.message, "another query"));
        err_clear(&err);
        if (kg == SNAP_OPERATOR || keyed)
            continue;
        keyed = true;
        /* a key handed to the wrong key group */
        x = rd;
        assert_int_equal(same.op->ops->restore(same.op, (kg + 1) % MAXP, &x, &err),
                         WEIR_ERR_CONFIG);
        assert_non_null(strstr(err.message, "max-parallelism"));
        err_clear(&err);
        /* another format version */
        char *copy = mem_strndup(rd.p, rd.len);
        copy[0] = 99;
        struct snap_rd y = {copy, rd.len, 0, false};
        assert_int_equal(same.op->ops->restore(same.op, kg, &y, &err), WEIR_ERR_CORRUPT);
        assert_non_null(strstr(err.message, same.op->label));
        err_clear(&err);
        /* trailing bytes */
        char *longer = mem_alloc(rd.len + 1);
        memcpy(longer, rd.p, rd.len);
        longer[rd.len] = 0;
        struct snap_rd z = {longer, rd.len + 1, 0, false};
        assert_int_equal(same.op->ops->restore(same.op, kg, &z, &err), WEIR_ERR_CORRUPT);
        err_clear(&err);
        mem_free(copy);
        mem_free(longer);
    }
    assert_true(keyed);
    assert_int_equal(atomic_load(&same.op->state_keys), 0);
    inst_free(&other);
    inst_free(&same);
    sb_free(&out);
    sb_free(&w.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumble),
        cmocka_unit_test(test_hop),
        cmocka_unit_test(test_cumulate_global),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_tumble_updating_input),
        cmocka_unit_test(test_hop_updating_input),
        cmocka_unit_test(test_session_updating_input),
        cmocka_unit_test(test_grouping_sets),
        cmocka_unit_test(test_proctime),
        cmocka_unit_test(test_tvf),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_state_bytes_out_of_line),
        cmocka_unit_test(test_group_updating_input),
        cmocka_unit_test(test_distinct),
        cmocka_unit_test(test_group_shared_distinct),
        cmocka_unit_test(test_window_shared_distinct),
        cmocka_unit_test(test_hop_shared_distinct_updating_input),
        cmocka_unit_test(test_session_shared_distinct),
        cmocka_unit_test(test_group_shared_distinct_updating_input),
        cmocka_unit_test(test_over_rows),
        cmocka_unit_test(test_over_range),
        cmocka_unit_test(test_over_range_cleanup),
        cmocka_unit_test(test_over_unbounded_global),
        cmocka_unit_test(test_over_proctime),
        cmocka_unit_test(test_truncated_records),
        cmocka_unit_test(test_foreign_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
