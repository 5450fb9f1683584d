/*
 * test_opstate_temporal.c — the event-time temporal join operator
 * (op_temporal.c) and its checkpoints, without the runtime: the operator is
 * built from a compiled plan as job.c builds it, fed a scripted input
 * (versions, deletes, left rows in and out of order, late left rows, NULL
 * keys), and cut after every step: snapshotted (copied lazily while the old
 * instances go on), freed, and restored into 1, 2 or 4 fresh instances, each
 * record to the instance that owns its key group.  The restored run must give
 * the uninterrupted run's rows (as a multiset: keys interleave differently
 * across instances) and hold as many keys.  Cut records must fail with
 * WEIR_ERR_CORRUPT naming the operator, records in another key group with
 * WEIR_ERR_CONFIG, leaving nothing allocated (run under ASan).
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
#include "exec/op_temporal.h"
#include "exec/opstate.h"
#include "sql/plan.h"
#include "state/snapshot.h"
#include "state/table.h"

/* Not the default 128, so a state table left at 128 groups would show up as
 * records routed to the wrong instance. */
#define MAXP 64
#define MAX_INST 4

/* ---- the plan ---------------------------------------------------------------------- */

struct rig {
    struct job_plan p;
    struct lnode *n;                 /* the LN_TEMPORAL_JOIN */
    const char *const *names[2];     /* per input: the column names the steps give values for */
    const int *show;                 /* output columns printed (-1 ends) */
    struct arena arena;
    struct eval_ctx ctx;
};

static struct lnode *find_node(struct lnode *n, int depth)
{
    if (n == NULL || depth > 64)
        return NULL;
    if (n->kind == LN_TEMPORAL_JOIN)
        return n;
    for (int i = 0; i < n->n_inputs; i++) {
        struct lnode *f = find_node(n->inputs[i], depth + 1);
        if (f)
            return f;
    }
    return NULL;
}

static void rig_open(struct rig *r, const char *sql)
{
    memset(r, 0, sizeof(*r));
    struct weir_error err = {0};
    err.loc = WEIR_LOC_NONE;
    int rc = plan_compile(&r->p, "t.sql", sql, &err);
    if (rc == WEIR_OK)
        rc = plan_optimize(&r->p, &err);
    if (rc != WEIR_OK)
        fail_msg("compile: %s", err.message);
    r->n = find_node(r->p.sinks[0], 0);
    assert_non_null(r->n);
    arena_init(&r->arena, 4096);
    r->ctx = (struct eval_ctx){&r->arena, 0};
}

static void rig_close(struct rig *r)
{
    arena_free(&r->arena);
    plan_free(&r->p);
}

/* ---- operator instances -------------------------------------------------------------- */

struct capture {
    struct op op;
    struct strbuf *out;
    const int *show;
};

static int cap_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                    struct weir_error *err)
{
    (void)port, (void)ctx, (void)err;
    struct capture *c = (struct capture *)op;
    for (int k = 0; k < batch_live(b); k++) {
        int i = batch_row(b, k);
        sb_adds(c->out, row_kind_str(batch_kind(b, i)));
        for (int q = 0; q < 16 && c->show[q] >= 0; q++) {
            sb_adds(c->out, q ? ", " : "[");
            vfmt_print(c->out, &b->cols[c->show[q]], i);
        }
        sb_adds(c->out, "]\n");
    }
    return WEIR_OK;
}

static int cap_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    (void)op, (void)ctx, (void)err;
    return WEIR_OK;
}

static void nop_free(struct op *op) { (void)op; }

static const struct op_ops cap_ops = {.kind = "Capture", .push = cap_push,
                                      .finish = cap_finish, .free = nop_free};
static const struct op_ops input_ops = {.kind = "Input", .free = nop_free};

/* The operator with stand-ins for its upstream ops (so op_finish_next works)
 * and a capture downstream. */
struct inst {
    struct op *op;
    struct op in[2];
    struct capture cap;
};

static void inst_open(struct inst *x, struct rig *r, struct strbuf *out, int instance)
{
    memset(x, 0, sizeof(*x));
    struct lnode *n = r->n;
    op_init(&x->in[0], &input_ops, 0, NULL);
    op_init(&x->in[1], &input_ops, 0, NULL);
    op_init(&x->cap.op, &cap_ops, 0, NULL);
    x->cap.out = out;
    x->cap.show = r->show;
    x->op = op_temporal_new(n->id, n->join, n->lkeys, n->rkeys, n->n_jkeys, n->residual,
                            n->inputs[0]->n_out, n->inputs[1]->n_out, n->time_col[0],
                            n->time_col[1], n->out_types, mem_strdup("TemporalJoin#7"));
    op_temporal_set_max_parallelism(x->op, MAXP);
    op_connect(&x->in[0], x->op);
    op_temporal_left_ports(x->op, 1);
    op_connect(&x->in[1], x->op);
    x->op->instance = instance;
    op_connect(x->op, &x->cap.op);
}

static void inst_close(struct inst *x)
{
    op_free(x->op);
    for (int s = 0; s < 2; s++) {
        mem_free(x->in[s].next);
        mem_free(x->in[s].in_wm);
    }
    mem_free(x->cap.op.in_wm);
}

/* ---- scripted input ------------------------------------------------------------------ */

static enum row_kind parse_kind(const char *t)
{
    const char *k[] = {"+I", "-U", "+U", "-D"};
    for (int i = 0; i < 4; i++)
        if (strcmp(t, k[i]) == 0)
            return (enum row_kind)i;
    fail_msg("bad row kind '%s'", t);
    return RK_INSERT;
}

/* Rows "kind v1 v2 ...|kind ..." for input s: values name the columns in
 * r->names[s] order ('null' for NULL, timestamps in seconds). */
static struct batch *make_batch(struct rig *r, int s, const char *rows)
{
    const struct lnode *in = r->n->inputs[s];
    struct batch *b = batch_new(in->n_out, in->out_types);
    int map[16];
    for (int c = 0; c < in->n_out; c++) {
        map[c] = -1;
        for (int q = 0; q < 16 && r->names[s][q]; q++)
            if (strcmp(in->out_names[c], r->names[s][q]) == 0)
                map[c] = q;
        if (map[c] < 0)
            fail_msg("input %d column '%s' has no value in the script", s, in->out_names[c]);
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

/* The instance of n_inst that receives row i, as the exchange routes it. */
static int owner(struct rig *r, int s, struct batch *b, int i, int n_inst)
{
    struct lnode *n = r->n;
    struct expr **keys = s == 0 ? n->lkeys : n->rkeys;
    const struct vec *kv[8];
    struct weir_error err = {0};
    for (int k = 0; k < n->n_jkeys && k < 8; k++)
        assert_int_equal(expr_eval(keys[k], &r->ctx, b, &kv[k], &err), WEIR_OK);
    struct strbuf key = {0};
    state_key_encode(&key, kv, n->n_jkeys, i);
    int kg = state_key_group(state_hash(key.buf, key.len), MAXP);
    sb_free(&key);
    return (int)((int64_t)kg * n_inst / MAXP);
}

/* One step: "L rows" / "R rows" (input 0 / 1), "W seconds" (a watermark on
 * both inputs), "w seconds" (on the left input only: the minimum stays) or
 * "E" (every input ends). */
static void run_step(struct rig *r, struct inst *xs, int n_inst, const char *step)
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

static int64_t state_keys(struct inst *xs, int n)
{
    int64_t keys = 0;
    for (int j = 0; j < n; j++)
        keys += xs[j].op->state_keys;
    return keys;
}

/* Snapshots the old instances, frees them and restores their records into
 * n_new fresh ones, as the runtime does (watermarks carried over by it).
 * The old instances first go on with the steps `later` while the snapshot
 * is copied a few entries at a time: every entry they change must be
 * written as it was at the cut; what they emit meanwhile is dropped, as
 * after a crash. */
static void reshard(struct rig *r, struct inst *old, int n_old, struct inst *new, int n_new,
                    struct strbuf *out, const char *const *later, int n_later)
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
            state_walks_step(&w[i], 1);
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
    for (int i = 0; i < n_old; i++) {
        struct snap_iter it;
        struct snap_rd rd;
        int kg;
        snap_iter_init(&it, w[i].buf.buf, w[i].buf.len);
        for (int64_t k = 0; k < w[i].n_records; k++) {
            assert_true(snap_iter_next(&it, &kg, &rd));
            assert_true(kg != SNAP_OPERATOR);
            int j = (int)((int64_t)kg * n_new / MAXP);
            if (new[j].op->ops->restore(new[j].op, kg, &rd, &err) != WEIR_OK)
                fail_msg("restore: %s", err.message);
        }
        assert_false(snap_iter_next(&it, &kg, &rd));
        assert_false(it.bad);
        sb_free(&w[i].buf);
    }
    assert_int_equal(state_keys(new, n_new), keys_before);
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text, sorted, as one string (caller frees). */
static char *sorted(const char *text)
{
    char *copy = mem_strdup(text), *save = NULL;
    char **lines = NULL;
    int n = 0, cap = 0;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        MEM_GROW(lines, cap, n + 1);
        lines[n++] = l;
    }
    if (n > 1)
        qsort(lines, (size_t)n, sizeof(*lines), cmp_lines);
    struct strbuf sb = {0};
    for (int i = 0; i < n; i++) {
        sb_adds(&sb, lines[i]);
        sb_addc(&sb, '\n');
    }
    mem_free(lines);
    mem_free(copy);
    return sb.buf ? sb_steal(&sb) : mem_strdup("");
}

static void expect_same(const char *want, const char *got, bool exact, const char *what)
{
    if (exact) {
        if (strcmp(want, got) != 0)
            fail_msg("%s:\n--- expected\n%s--- got\n%s", what, want, got);
        return;
    }
    char *a = sorted(want), *b = sorted(got);
    if (strcmp(a, b) != 0)
        fail_msg("%s (sorted):\n--- uninterrupted\n%s--- restored\n%s", what, a, b);
    mem_free(a);
    mem_free(b);
}

/*
 * Runs the script uninterrupted (its output must be `expect`, row for row),
 * at parallelism 4, then cut after every step and resumed from the snapshot
 * with 1 -> 1, 1 -> 2, 1 -> 4, 2 -> 1, 4 -> 2 and 2 -> 4 instances.
 */
static void check_script(struct rig *r, const char *const *steps, int n_steps, const char *expect)
{
    struct strbuf want = {0};
    struct inst a;
    inst_open(&a, r, &want, 0);
    int64_t keys_want = 0;   /* held before the last step (the end of input) */
    for (int s = 0; s < n_steps; s++) {
        if (s == n_steps - 1)
            keys_want = a.op->state_keys;
        run_step(r, &a, 1, steps[s]);
    }
    assert_int_equal(a.op->late, 0);         /* late left rows are joined, not dropped */
    inst_close(&a);
    expect_same(expect, want.buf ? want.buf : "", true, "uninterrupted run");
    struct strbuf par = {0};
    struct inst four[4];
    for (int j = 0; j < 4; j++)
        inst_open(&four[j], r, &par, j);
    for (int s = 0; s < n_steps; s++)
        run_step(r, four, 4, steps[s]);
    for (int j = 0; j < 4; j++)
        inst_close(&four[j]);
    expect_same(want.buf ? want.buf : "", par.buf ? par.buf : "", false, "parallelism 4");
    sb_free(&par);
    static const int shapes[][2] = {{1, 1}, {1, 2}, {1, 4}, {2, 1}, {4, 2}, {2, 4}};
    for (int cut = 0; cut <= n_steps; cut++) {
        for (int sh = 0; sh < 6; sh++) {
            int n_old = shapes[sh][0], n_new = shapes[sh][1];
            struct strbuf got = {0};
            struct inst old[MAX_INST], new[MAX_INST];
            for (int i = 0; i < n_old; i++)
                inst_open(&old[i], r, &got, i);
            for (int s = 0; s < cut; s++)
                run_step(r, old, n_old, steps[s]);
            reshard(r, old, n_old, new, n_new, &got, steps + cut, n_steps - cut);
            for (int s = cut; s < n_steps; s++) {
                if (s == n_steps - 1)
                    assert_int_equal(state_keys(new, n_new), keys_want);
                run_step(r, new, n_new, steps[s]);
            }
            for (int j = 0; j < n_new; j++)
                inst_close(&new[j]);
            char what[96];
            snprintf(what, sizeof what, "cut after step %d, %d -> %d instances", cut, n_old,
                     n_new);
            expect_same(want.buf ? want.buf : "", got.buf ? got.buf : "", false, what);
            sb_free(&got);
        }
    }
    sb_free(&want);
}

/* ---- cases -------------------------------------------------------------------------- */

#define TABLES                                                                              \
    "CREATE TABLE a (k INT, g INT, v STRING, t TIMESTAMP(3), WATERMARK FOR t AS t) "        \
    "WITH ('connector' = 'filesystem', 'path' = 'a.csv', 'format' = 'csv');\n"              \
    "CREATE TABLE b (k INT, g INT, w STRING, t TIMESTAMP(3), PRIMARY KEY (k) NOT ENFORCED, " \
    "WATERMARK FOR t AS t) "                                                                 \
    "WITH ('connector' = 'filesystem', 'path' = 'b.json', 'format' = 'debezium-json');\n"

static const char *const A_COLS[] = {"k", "g", "v", "t", NULL};
static const char *const B_COLS[] = {"k", "g", "w", "t", NULL};

/*
 * LEFT join with a residual over a changelog: versions replaced over time,
 * -U ignored, a delete, a version failing the residual, a NULL key, left
 * rows out of order and late ones (time <= watermark: joined at the next
 * watermark with the versions still held), a watermark on one input only
 * (the minimum holds the rows back).
 */
static void test_left_join_versions(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, v STRING, w STRING, t TIMESTAMP(3)) "
             "WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT a.k, a.v, b.w, b.t FROM a LEFT JOIN b FOR SYSTEM_TIME AS OF "
             "a.t ON a.k = b.k AND b.w <> 'zz';\n");
    assert_int_equal(r.n->join, JOIN_LEFT);
    r.names[0] = A_COLS;
    r.names[1] = B_COLS;
    static const int show[] = {0, 2, 6, 7, -1};
    r.show = show;
    const char *steps[] = {
        "R +I 1 0 p 10|+I 2 0 q 10|+I 3 0 r 5",
        "L +I 1 0 a 12|+I 2 0 b 9|+I 3 0 c 20|+I null 0 n 15|+I 4 0 d 11",
        "R -U 1 0 p 10|+U 1 0 p2 15|-D 3 0 r 18",
        "w 30",
        "W 14",
        "L +I 1 0 e 16|+I 1 0 f 13",
        "R +I 2 0 zz 16",
        "W 20",
        "L +I 2 0 g 21|+I 2 0 h 17|+I 3 0 i 25",
        "R +I 3 0 s 22",
        "E",
    };
    check_script(&r, steps, 11,
                 "+I[2, b, null, null]\n+I[4, d, null, null]\n+I[1, a, p, 1970-01-01T00:00:10]\n"
                 "+I[1, e, p2, 1970-01-01T00:00:15]\n+I[1, f, p, 1970-01-01T00:00:10]\n"
                 "+I[null, n, null, null]\n+I[3, c, null, null]\n"
                 "+I[2, g, null, null]\n+I[2, h, null, null]\n"
                 "+I[3, i, s, 1970-01-01T00:00:22]\n");
    rig_close(&r);
}

/*
 * INNER join on a two-column key against a rowtime-DESC deduplication view:
 * unmatched rows are dropped, every key's rows leave when the watermark
 * passes them.
 */
static void test_inner_join_dedup_view(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r,
             "CREATE TABLE a (k INT, g INT, v STRING, t TIMESTAMP(3), WATERMARK FOR t AS t) "
             "WITH ('connector' = 'filesystem', 'path' = 'a.csv', 'format' = 'csv');\n"
             "CREATE TABLE b (k INT, g INT, w STRING, t TIMESTAMP(3), WATERMARK FOR t AS t) "
             "WITH ('connector' = 'filesystem', 'path' = 'b.csv', 'format' = 'csv');\n"
             "CREATE VIEW vb AS SELECT k, g, w, t FROM (SELECT *, ROW_NUMBER() OVER "
             "(PARTITION BY k, g ORDER BY t DESC) AS rn FROM b) WHERE rn = 1;\n"
             "CREATE TABLE o (k INT, g INT, v STRING, w STRING) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT a.k, a.g, a.v, vb.w FROM a JOIN vb FOR SYSTEM_TIME AS OF a.t "
             "ON a.g = vb.g AND a.k = vb.k;\n");
    assert_int_equal(r.n->join, JOIN_INNER);
    assert_int_equal(r.n->n_jkeys, 2);
    r.names[0] = A_COLS;
    r.names[1] = B_COLS;
    static const int show[] = {0, 1, 2, 6, -1};
    r.show = show;
    const char *steps[] = {
        "R +I 1 1 x 1|+I 1 2 y 1|+I 2 1 z 3",
        "L +I 1 1 a 2|+I 1 2 b 0|+I 2 1 c 2|+I 2 1 d 4",
        "R -U 1 1 x 1|+U 1 1 x2 5|-U 2 1 z 3|+U 2 1 z2 4",
        "W 4",
        "L +I 1 1 e 6|+I 1 2 f 7|+I 9 9 g 6",
        "W 6",
        "E",
    };
    /* keys due at one watermark come in the order their timers were set */
    check_script(&r, steps, 7, "+I[1, 1, a, x]\n+I[2, 1, d, z2]\n+I[1, 1, e, x2]\n"
                               "+I[1, 2, f, y]\n");
    rig_close(&r);
}

/* ---- bad records ------------------------------------------------------------------------ */

/* Every strict prefix of each record, and each record in another key group,
 * is refused with the operator's label, leaving no state. */
static void test_corrupt_records(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, v STRING, w STRING) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT a.k, a.v, b.w FROM a JOIN b FOR SYSTEM_TIME AS OF a.t "
             "ON a.k = b.k;\n");
    r.names[0] = A_COLS;
    r.names[1] = B_COLS;
    static const int show[] = {0, -1};
    r.show = show;
    const char *steps[] = {"R +I 1 0 p 10|+I 1 0 p2 12|-D 2 0 q 3", "L +I 1 0 x 20|+I 3 0 yy 2"};
    struct strbuf out = {0};
    struct inst x, y;
    inst_open(&x, &r, &out, 0);
    for (int s = 0; s < 2; s++)
        run_step(&r, &x, 1, steps[s]);
    struct snap_writer w = {0};
    struct weir_error err = {0};
    assert_int_equal(x.op->ops->snapshot(x.op, &w, &err), WEIR_OK);
    state_walks_end(&w, true);
    assert_int_equal(w.n_records, 3);
    inst_close(&x);
    inst_open(&y, &r, &out, 0);
    struct snap_iter it;
    struct snap_rd rd;
    int kg;
    snap_iter_init(&it, w.buf.buf, w.buf.len);
    for (int64_t k = 0; k < w.n_records; k++) {
        assert_true(snap_iter_next(&it, &kg, &rd));
        for (size_t len = 0; len < rd.len; len++) {
            struct snap_rd cut = {rd.p, len, 0, false};
            assert_int_equal(y.op->ops->restore(y.op, kg, &cut, &err), WEIR_ERR_CORRUPT);
            assert_non_null(strstr(err.message, "TemporalJoin#7"));
            err_clear(&err);
        }
        struct snap_rd moved = rd;
        assert_int_equal(y.op->ops->restore(y.op, (kg + 1) % MAXP, &moved, &err),
                         WEIR_ERR_CONFIG);
        assert_non_null(strstr(err.message, "pipeline.max-parallelism"));
        err_clear(&err);
        assert_int_equal(y.op->state_keys, 0);
    }
    inst_close(&y);
    sb_free(&w.buf);
    sb_free(&out);
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_left_join_versions),
        cmocka_unit_test(test_inner_join_dedup_view),
        cmocka_unit_test(test_corrupt_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
