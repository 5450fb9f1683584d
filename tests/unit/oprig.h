/*
 * oprig.h — the operator test rig shared by test_opstate_join.c,
 * test_opstate_temporal.c and test_ttl.c: one stateful operator built from a
 * compiled plan (as job.c builds it), with stand-ins for its upstream ops
 * and a capture op downstream that prints what it emits, fed rows parsed
 * from strings ("+I 1 0 x 3|-D 2 0 y 5": a row kind, then the values of the
 * columns r->names[s] lists, 'null' for NULL, timestamps in seconds).
 *
 * A test fills a struct rig_cfg with what differs between them (how its
 * operator is built, plan options, the parallelism and instance shapes of
 * check_script) and opens its rig with rig_setup.  The checkpoint tests
 * (test_opstate_join, test_opstate_temporal) run scripts of steps through
 * check_script, which cuts them after every step and restores the snapshot
 * into other numbers of instances (reshard); test_ttl drives one instance
 * with make_batch and restore_records under its own manual clock.
 *
 * Header-only: each test binary is one translation unit.  MAXP (the
 * operator's max parallelism, default 64) and MAX_INST (the most instances
 * a script runs in, default 4) may be defined before including it.
 */
#ifndef WEIR_TESTS_OPRIG_H
#define WEIR_TESTS_OPRIG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/value_fmt.h"
#include "lines.h"
#include "exec/op_join.h"
#include "exec/opstate.h"
#include "sql/plan.h"
#include "state/snapshot.h"
#include "state/table.h"

#ifndef MAXP
#define MAXP 64
#endif
#ifndef MAX_INST
#define MAX_INST 4
#endif

struct rig;
struct inst;

/* What differs between the tests that use the rig. */
struct rig_cfg {
    /* Builds the operator under test for r->n into x->op and connects
     * x->in[0] (and x->in[1]) to it; inst_open does the rest. */
    void (*build)(struct inst *x, struct rig *r);
    bool quiet;                      /* no compiler warnings on stderr */
    bool keep_columns;               /* plan_optimize prunes no Calc (the
                                        scripts give every input column) */
    int walk_step;                   /* snapshot entries copied per later step */
    bool keyed_only;                 /* every snapshot record is keyed (none
                                        goes to every instance) */
    bool no_late;                    /* the uninterrupted run drops no row as late */
    int par;                         /* the parallelism the script is also run at */
    const int (*shapes)[2];          /* old -> new instances of the cuts */
    int n_shapes;
};

/* ---- the plan ---------------------------------------------------------------------- */

struct rig {
    struct job_plan p;
    struct lnode *n;                 /* the operator's node under test */
    const char *const *names[2];     /* per input: the column names the steps give values for */
    const int *show;                 /* output columns printed (-1 ends; NULL: all) */
    struct arena arena;
    struct eval_ctx ctx;
    const struct rig_cfg *cfg;
    int64_t ttl_us;                  /* for cfg->build: the state TTL (test_ttl) */
    bool real_clock;                 /* for cfg->build: the wall clock, not ticks */
};

static inline struct lnode *find_node(struct lnode *n, enum lnode_kind kind, int depth)
{
    if (n == NULL || depth > 64)
        return NULL;
    if (n->kind == kind)
        return n;
    for (int i = 0; i < n->n_inputs; i++) {
        struct lnode *f = find_node(n->inputs[i], kind, depth + 1);
        if (f)
            return f;
    }
    return NULL;
}

/* Compiles and optimizes sql; r->n is the first node of `kind` under the
 * first sink. */
static inline void rig_setup(struct rig *r, const char *sql, enum lnode_kind kind,
                             const struct rig_cfg *cfg)
{
    memset(r, 0, sizeof(*r));
    r->cfg = cfg;
    struct weir_error err = {0};
    err.loc = WEIR_LOC_NONE;
    int rc = plan_compile_ex(&r->p, "t.sql", sql, cfg->quiet, &err);
    r->p.keep_columns = cfg->keep_columns;
    if (rc == WEIR_OK)
        rc = plan_optimize(&r->p, &err);
    if (rc != WEIR_OK)
        fail_msg("compile: %s", err.message);
    r->n = find_node(r->p.sinks[0], kind, 0);
    assert_non_null(r->n);
    arena_init(&r->arena, 4096);
    r->ctx = (struct eval_ctx){&r->arena, 0};
}

static inline void rig_close(struct rig *r)
{
    arena_free(&r->arena);
    plan_free(&r->p);
}

/* ---- operator instances -------------------------------------------------------------- */

struct capture {
    struct op op;
    struct strbuf *out;              /* where rows go: a shared buffer or `own` */
    struct strbuf own;
    const int *show;
};

static inline int cap_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                           struct weir_error *err)
{
    (void)port, (void)ctx, (void)err;
    struct capture *c = (struct capture *)op;
    for (int k = 0; k < batch_live(b); k++) {
        int i = batch_row(b, k);
        if (c->show == NULL) {
            vfmt_print_row(c->out, batch_kind(b, i), b->cols, b->n_cols, i);
        } else {
            sb_adds(c->out, row_kind_str(batch_kind(b, i)));
            for (int q = 0; q < 16 && c->show[q] >= 0; q++) {
                sb_adds(c->out, q ? ", " : "[");
                vfmt_print(c->out, &b->cols[c->show[q]], i);
            }
            sb_addc(c->out, ']');
        }
        sb_addc(c->out, '\n');
    }
    return WEIR_OK;
}

static inline int cap_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    (void)op, (void)ctx, (void)err;
    return WEIR_OK;
}

static inline void nop_free(struct op *op) { (void)op; }

static const struct op_ops cap_ops = {.kind = "Capture", .push = cap_push,
                                      .finish = cap_finish, .free = nop_free};
static const struct op_ops input_ops = {.kind = "Input", .free = nop_free};

/* The operator with stand-ins for its upstream ops (so op_finish_next works)
 * and a capture downstream. */
struct inst {
    struct rig *r;
    struct op *op;
    struct op in[2];
    struct capture cap;
};

/* Instance `instance` of the operator, printing into out (NULL: into its
 * own buffer, x->cap.own). */
static inline void inst_open(struct inst *x, struct rig *r, struct strbuf *out, int instance)
{
    memset(x, 0, sizeof(*x));
    x->r = r;
    op_init(&x->in[0], &input_ops, 0, NULL);
    op_init(&x->in[1], &input_ops, 0, NULL);
    op_init(&x->cap.op, &cap_ops, 0, NULL);
    x->cap.out = out ? out : &x->cap.own;
    x->cap.show = r->show;
    r->cfg->build(x, r);
    x->op->instance = instance;
    op_connect(x->op, &x->cap.op);
}

static inline void inst_close(struct inst *x)
{
    op_free(x->op);
    for (int s = 0; s < 2; s++) {
        mem_free(x->in[s].next);
        mem_free(x->in[s].in_wm);
    }
    mem_free(x->cap.op.in_wm);
    sb_free(&x->cap.own);
}

/* ---- scripted input ------------------------------------------------------------------ */

static inline enum row_kind parse_kind(const char *t)
{
    const char *k[] = {"+I", "-U", "+U", "-D"};
    for (int i = 0; i < 4; i++)
        if (strcmp(t, k[i]) == 0)
            return (enum row_kind)i;
    fail_msg("bad row kind '%s'", t);
    return RK_INSERT;
}

/* Rows "kind v1 v2 ...|kind ..." for input s: values name the columns in
 * r->names[s] order ('null' for NULL, timestamps in seconds); the batch has
 * the input node's columns, found by name. */
static inline struct batch *make_batch(struct rig *r, int s, const char *rows)
{
    const struct lnode *in = r->n->inputs[s];
    struct batch *b = batch_new(in->n_out, in->out_types);
    int map[16];
    assert_true(in->n_out <= 16);
    for (int c = 0; c < in->n_out; c++) {
        map[c] = -1;
        for (int q = 0; q < 16 && r->names[s][q]; q++)
            if (strcmp(in->out_names[c], r->names[s][q]) == 0)
                map[c] = q;
        if (map[c] < 0) {
            for (int q = 0; q < in->n_out; q++)
                print_message("input %d column %d: %s\n", s, q, in->out_names[q]);
            fail_msg("input %d column '%s' has no value in the script", s, in->out_names[c]);
        }
    }
    char *copy = mem_strdup(rows), *save_row = NULL;
    for (char *row = strtok_r(copy, "|", &save_row); row; row = strtok_r(NULL, "|", &save_row)) {
        char *tok[17], *save = NULL;
        int nt = 0;
        for (char *t = strtok_r(row, " ", &save); t && nt < 17; t = strtok_r(NULL, " ", &save))
            tok[nt++] = t;
        int i = b->n++;
        batch_ensure_kinds(b);
        b->kinds[i] = (uint8_t)parse_kind(tok[0]);
        for (int c = 0; c < in->n_out; c++) {
            struct vec *v = &b->cols[c];
            assert_true(map[c] + 1 < nt);
            const char *t = tok[map[c] + 1];
            if (strcmp(t, "null") == 0)
                vec_set_null(v, i);
            else if (type_lane(v->type) == LANE_STR)
                vec_set_str(v, i, t, strlen(t));
            else
                v->i64[i] = strtoll(t, NULL, 10) * (type_is_timestamp(v->type) ? 1000000 : 1);
        }
    }
    mem_free(copy);
    return b;
}

/* The instance of n_inst that receives row i: the owner of its key group,
 * as the exchange routes it. */
static inline int owner(struct rig *r, int s, struct batch *b, int i, int n_inst)
{
    struct lnode *n = r->n;
    struct expr **keys = n->kind == LN_RANK ? n->part : s == 0 ? n->lkeys : n->rkeys;
    int nk = n->kind == LN_RANK ? n->n_part : n->n_jkeys;
    const struct vec *kv[8];
    struct weir_error err = {0};
    for (int k = 0; k < nk && k < 8; k++)
        assert_int_equal(expr_eval(keys[k], &r->ctx, b, &kv[k], &err), WEIR_OK);
    struct strbuf key = {0};
    state_key_encode(&key, kv, nk, i);
    int kg = state_key_group(state_hash(key.buf, key.len), MAXP);
    sb_free(&key);
    return (int)((int64_t)kg * n_inst / MAXP);
}

/* One step of a script: "L rows" / "R rows" (input 0 / 1), "W seconds" (a
 * watermark on every input), "w seconds" (on the left input only: the
 * minimum stays) or "E" (every input ends). */
static inline void run_step(struct rig *r, struct inst *xs, int n_inst, const char *step)
{
    struct weir_error err = {0};
    err.loc = WEIR_LOC_NONE;
    if (step[0] == 'W' || step[0] == 'w') {
        int64_t wm = strtoll(step + 2, NULL, 10) * 1000000;
        for (int x = 0; x < n_inst; x++)
            for (int p = 0; p < (step[0] == 'W' ? xs[x].op->n_inputs : 1); p++)
                assert_int_equal(op_watermark_in(xs[x].op, p, wm, &r->ctx, &err), WEIR_OK);
        return;
    }
    if (step[0] == 'E') {
        for (int x = 0; x < n_inst; x++)
            for (int p = 0; p < xs[x].op->n_inputs; p++)
                assert_int_equal(op_finish_next(&xs[x].in[p], &r->ctx, &err), WEIR_OK);
        return;
    }
    int s = step[0] == 'R' ? 1 : 0;
    struct batch *b = make_batch(r, s, step + 2);
    uint16_t sel[MAX_INST][64];
    int n_sel[MAX_INST] = {0};
    assert_true(b->n <= 64);
    assert_true(n_inst <= MAX_INST);
    for (int i = 0; i < b->n; i++) {
        int to = n_inst > 1 ? owner(r, s, b, i, n_inst) : 0;
        sel[to][n_sel[to]++] = (uint16_t)i;
    }
    for (int x = 0; x < n_inst; x++) {
        if (n_sel[x] == 0)
            continue;
        struct batch view = *b;
        view.sel = sel[x];
        view.n_sel = n_sel[x];
        int rc = xs[x].op->ops->push(xs[x].op, s, &view, &r->ctx, &err);
        if (rc)
            fail_msg("push '%s': %s", step, err.message);
    }
    batch_free(b);
}

/* ---- checkpoint and restore ------------------------------------------------------------ */

static inline int64_t state_keys(struct inst *xs, int n)
{
    int64_t keys = 0;
    for (int j = 0; j < n; j++)
        keys += xs[j].op->state_keys;
    return keys;
}

/* Restores the records of the finished snapshot w into n_new instances, as
 * the runtime routes them: a keyed record to the instance owning its key
 * group, an operator record to all.  Frees w's buffer. */
static inline void restore_records(struct rig *r, struct snap_writer *w, struct inst *new,
                                   int n_new)
{
    struct weir_error err = {0};
    struct snap_iter it;
    struct snap_rd rd;
    int kg;
    snap_iter_init(&it, w->buf.buf, w->buf.len);
    for (int64_t k = 0; k < w->n_records; k++) {
        assert_true(snap_iter_next(&it, &kg, &rd));
        if (r->cfg->keyed_only)
            assert_true(kg != SNAP_OPERATOR);
        for (int j = 0; j < n_new; j++) {
            if (kg != SNAP_OPERATOR && j != (int)((int64_t)kg * n_new / MAXP))
                continue;
            struct snap_rd copy = rd;
            if (new[j].op->ops->restore(new[j].op, kg, &copy, &err) != WEIR_OK)
                fail_msg("restore: %s", err.message);
        }
    }
    assert_false(snap_iter_next(&it, &kg, &rd));
    assert_false(it.bad);
    sb_free(&w->buf);
}

/* Snapshots the old instances, frees them and restores their records into
 * n_new fresh ones, as the runtime does (watermarks carried over by it).
 * The snapshot is copied lazily, as in a task: the old instances first go
 * on with the steps `later` (n_later of them) while it is copied
 * cfg->walk_step entries at a time, and every entry they change must be
 * written as it was at the cut; what they emit meanwhile is dropped, as
 * after a crash. */
static inline void reshard(struct rig *r, struct inst *old, int n_old, struct inst *new,
                           int n_new, struct strbuf *out, const char *const *later, int n_later)
{
    struct snap_writer w[MAX_INST];
    struct weir_error err = {0};
    int64_t keys_before = 0, in_wm[2] = {WM_NONE, WM_NONE}, wm = old[0].op->wm;
    for (int p = 0; p < old[0].op->n_inputs; p++)
        in_wm[p] = old[0].op->in_wm[p];
    for (int i = 0; i < n_old; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        assert_int_equal(old[i].op->ops->snapshot(old[i].op, &w[i], &err), WEIR_OK);
        keys_before += old[i].op->state_keys;
    }
    size_t out_len = out->len;
    for (int s = 0; s < n_later; s++) {
        run_step(r, old, n_old, later[s]);
        for (int i = 0; i < n_old; i++)
            state_walks_step(&w[i], r->cfg->walk_step);
    }
    if (out->buf)
        out->buf[out->len = out_len] = '\0';
    for (int i = 0; i < n_old; i++) {
        inst_close(&old[i]);   /* freeing the tables writes what is pending */
        assert_true(state_walks_done(&w[i]));
        state_walks_end(&w[i], true);
    }
    for (int j = 0; j < n_new; j++) {
        inst_open(&new[j], r, out, j);
        for (int p = 0; p < new[j].op->n_inputs; p++)
            new[j].op->in_wm[p] = in_wm[p];
        new[j].op->wm = wm;
    }
    for (int i = 0; i < n_old; i++)
        restore_records(r, &w[i], new, n_new);
    assert_int_equal(state_keys(new, n_new), keys_before);
}

static inline void expect_same(const char *want, const char *got, bool exact, const char *what)
{
    if (exact) {
        if (strcmp(want, got) != 0)
            fail_msg("%s:\n--- want\n%s--- got\n%s", what, want, got);
        return;
    }
    char *a = sorted(want), *b = sorted(got);
    if (strcmp(a, b) != 0)
        fail_msg("%s (sorted):\n--- uninterrupted\n%s--- restored\n%s", what, a, b);
    mem_free(a);
    mem_free(b);
}

/*
 * Runs the script uninterrupted (its output must be `expect`, row for row,
 * unless that is NULL), at parallelism cfg->par (the same rows, as a
 * multiset: keys interleave differently), then cut after every step and
 * resumed from the snapshot with each of cfg->shapes (old -> new
 * instances).  in_order: the 1 -> 1 output must also keep the uninterrupted
 * row order (not where rows due at one watermark leave in timer heap order).
 */
static inline void check_script(struct rig *r, const char *const *steps, int n_steps,
                                bool in_order, const char *expect)
{
    const struct rig_cfg *cfg = r->cfg;
    struct strbuf want = {0};
    struct inst a;
    inst_open(&a, r, &want, 0);
    int64_t keys_want = 0;   /* held before the last step (the end of input) */
    bool keys_exact = strcmp(a.op->ops->kind, "Join") != 0 || op_join_keys_exact(a.op);
    for (int s = 0; s < n_steps; s++) {
        if (s == n_steps - 1)
            keys_want = a.op->state_keys;
        run_step(r, &a, 1, steps[s]);
    }
    if (cfg->no_late)
        assert_int_equal(a.op->late, 0);
    inst_close(&a);
    if (expect)
        expect_same(expect, want.buf ? want.buf : "", true, "uninterrupted run");
    struct strbuf par = {0};
    struct inst many[MAX_INST];
    char what[96];
    assert_true(cfg->par <= MAX_INST);
    for (int j = 0; j < cfg->par; j++)
        inst_open(&many[j], r, &par, j);
    for (int s = 0; s < n_steps; s++)
        run_step(r, many, cfg->par, steps[s]);
    for (int j = 0; j < cfg->par; j++)
        inst_close(&many[j]);
    snprintf(what, sizeof what, "parallelism %d", cfg->par);
    expect_same(want.buf ? want.buf : "", par.buf ? par.buf : "", false, what);
    sb_free(&par);
    for (int cut = 0; cut <= n_steps; cut++) {
        for (int sh = 0; sh < cfg->n_shapes; sh++) {
            int n_old = cfg->shapes[sh][0], n_new = cfg->shapes[sh][1];
            struct strbuf got = {0};
            struct inst old[MAX_INST], new[MAX_INST];
            for (int i = 0; i < n_old; i++)
                inst_open(&old[i], r, &got, i);
            for (int s = 0; s < cut; s++)
                run_step(r, old, n_old, steps[s]);
            reshard(r, old, n_old, new, n_new, &got, steps + cut, n_steps - cut);
            for (int s = cut; s < n_steps; s++) {
                /* retractions found their rows wherever the state went */
                if (s == n_steps - 1 && keys_exact)
                    assert_int_equal(state_keys(new, n_new), keys_want);
                run_step(r, new, n_new, steps[s]);
            }
            for (int j = 0; j < n_new; j++)
                inst_close(&new[j]);
            snprintf(what, sizeof what, "cut after step %d, %d -> %d instances", cut, n_old,
                     n_new);
            expect_same(want.buf ? want.buf : "", got.buf ? got.buf : "",
                        in_order && n_old == 1 && n_new == 1, what);
            sb_free(&got);
        }
    }
    sb_free(&want);
}

#endif
