/*
 * test_opstate_join.c — checkpoints of the join and Top-N/deduplication
 * operators, without the runtime: an operator built from a compiled plan (as
 * job.c builds it) is fed a scripted input up to a cut, snapshotted and freed;
 * fresh instances restored from its records (each keyed record to the
 * instance owning its key group, operator records to all, as the runtime
 * routes them) take the rest of the input.  The output must be the
 * uninterrupted run's at every cut — row for row when the parallelism stays
 * 1, as a multiset when the state moves between 1, 2 and 3 instances (rows of
 * one key keep their order, keys interleave differently) — and the state
 * held (op->state_keys) must match too.  Records cut short must fail with
 * WEIR_ERR_CORRUPT naming the operator, records in another key group or of
 * another query's operator with WEIR_ERR_CONFIG, leaving nothing allocated
 * (run under ASan).  The rig (plan, instances, scripts, resharding) is
 * oprig.h's.
 */

/* Not the default 128, so a state table left at 128 groups would show up as
 * records routed to the wrong instance. */
#define MAXP 64
#define MAX_INST 3

#include "oprig.h"

#include "exec/op_join.h"
#include "exec/op_rank.h"

#include <stdlib.h>
#include <unistd.h>

/* ---- the operator ------------------------------------------------------------------- */

/* Every other join built spills all the rows of its packed sides (a spill
 * threshold of 0), so each script runs through both layouts, and snapshots
 * of one are restored into the other. */
static char spill_dir[64];
static int n_built;

static void spill_dir_remove(void)
{
    rmdir(spill_dir);   /* the files in it were unlinked when made */
}

static const char *spill_dir_make(void)
{
    if (spill_dir[0] == '\0') {
        snprintf(spill_dir, sizeof spill_dir, "/tmp/weir-test-spill-XXXXXX");
        assert_non_null(mkdtemp(spill_dir));
        atexit(spill_dir_remove);
    }
    return spill_dir;
}

static void build_op(struct inst *x, struct rig *r)
{
    struct lnode *n = r->n;
    if (n->kind == LN_JOIN) {
        x->op = op_join_for_node(n, MAXP, mem_strdup("Join#7"));
        op_connect(&x->in[0], x->op);
        op_join_left_ports(x->op, 1);
        if (n_built++ % 2)
            op_join_spill(x->op, spill_dir_make(), 0);
        op_connect(&x->in[1], x->op);
    } else {
        x->op = op_rank_new(n->id, n, mem_strdup("Rank#7"));
        op_rank_set_max_parallelism(x->op, MAXP);
        if (n_built++ % 2) {
            op_rank_spill(x->op, spill_dir_make(), 0);
            op_rank_spill_compact_at(x->op, 0);   /* at every other row */
        }
        op_connect(&x->in[0], x->op);
    }
}

/* Every script also runs at parallelism 2, and is cut and resumed with
 * 1 -> 1, 1 -> 2, 2 -> 1 and 2 -> 3 instances. */
static const int SHAPES[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 3}};

static const struct rig_cfg CFG = {
    .build = build_op,
    .keep_columns = true,
    .walk_step = 2,
    .par = 2,
    .shapes = SHAPES,
    .n_shapes = 4,
};

/* r->n: the LN_JOIN or LN_RANK under test. */
static void rig_open(struct rig *r, const char *sql, enum lnode_kind kind)
{
    rig_setup(r, sql, kind, &CFG);
}

/* ---- joins -------------------------------------------------------------------------- */

#define TABLES                                                                              \
    "CREATE TABLE a (k INT, g INT, v STRING, t TIMESTAMP(3), WATERMARK FOR t AS t) "        \
    "WITH ('connector' = 'filesystem', 'path' = 'a.csv', 'format' = 'csv');\n"              \
    "CREATE TABLE b (k INT, g INT, w STRING, t TIMESTAMP(3), WATERMARK FOR t AS t) "        \
    "WITH ('connector' = 'filesystem', 'path' = 'b.csv', 'format' = 'csv');\n"

static const char *const A_COLS[] = {"k", "g", "v", "t", NULL};
static const char *const B_COLS[] = {"k", "g", "w", "t", NULL};

/* The rig of SELECT a.k, a.v, b.w FROM a <join_on> (interval joins),
 * printing those three columns. */
static void open_kvw(struct rig *r, const char *join_on)
{
    static char sql[1024];   /* the plan may point into its text */
    snprintf(sql, sizeof sql,
             TABLES "CREATE TABLE o (k INT, v STRING, w STRING) WITH ('connector' = 'print');\n"
                    "INSERT INTO o SELECT a.k, a.v, b.w FROM a %s;\n",
             join_on);
    rig_open(r, sql, LN_JOIN);
    r->names[0] = A_COLS;
    r->names[1] = B_COLS;
    static const int show[] = {0, 2, 6, -1};
    r->show = show;
}

/* LEFT JOIN of insert-only inputs with a residual: duplicates, NULL keys, a
 * padded row retracted when its first match comes. */
static void test_left_join_insert_only(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, v STRING, k2 INT, w STRING) WITH ('connector' = 'blackhole');\n"
             "INSERT INTO o SELECT a.k, a.v, b.k, b.w FROM a LEFT JOIN b "
             "ON a.k = b.k AND a.v <> b.w;\n",
             LN_JOIN);
    r.names[0] = A_COLS;
    r.names[1] = B_COLS;
    static const int show[] = {0, 2, 4, 6, -1};
    r.show = show;
    assert_false(r.n->interval);
    const char *steps[] = {
        "L +I 1 0 x 0|+I 2 0 y 0|+I null 0 z 0|+I 1 0 x 0",
        "R +I 1 0 q 0|+I 3 0 r 0",
        "L +I 3 0 s 0|+I 4 0 t 0",
        "R +I 1 0 x 0|+I 2 0 p 0|+I 2 0 p 0",
        "L +I 2 0 y 0|+I null 0 z 0",
        "R +I null 0 n 0|+I 4 0 u 0|+I 5 0 e 0",
        "R +I 1 0 w 0|+I 3 0 s 0",
        "E",
    };
    check_script(&r, steps, 8, true,
                 "+I[1, x, null, null]\n+I[2, y, null, null]\n+I[null, z, null, null]\n"
                 "+I[1, x, null, null]\n"
                 "-D[1, x, null, null]\n+I[1, x, 1, q]\n-D[1, x, null, null]\n+I[1, x, 1, q]\n"
                 "+I[3, s, 3, r]\n+I[4, t, null, null]\n"
                 "-D[2, y, null, null]\n+I[2, y, 2, p]\n+I[2, y, 2, p]\n"
                 "+I[2, y, 2, p]\n+I[2, y, 2, p]\n+I[null, z, null, null]\n"
                 "-D[4, t, null, null]\n+I[4, t, 4, u]\n+I[1, x, 1, w]\n+I[1, x, 1, w]\n");
    rig_close(&r);
}

/* FULL JOIN of two updating inputs on two key columns: counts, matches and
 * the padding they drive survive a restore; NULL-key rows (kept under one
 * marker key per instance) merge when instances are combined. */
static void test_full_join_updating(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, g INT, v STRING, c BIGINT) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT l.k, l.g, l.v, rr.c FROM "
             "(SELECT k, g, MAX(v) AS v FROM a GROUP BY k, g) AS l FULL JOIN "
             "(SELECT k, g, COUNT(*) AS c FROM b GROUP BY k, g) AS rr "
             "ON l.k = rr.k AND l.g = rr.g;\n",
             LN_JOIN);
    static const char *const L_COLS[] = {"k", "g", "MAX($2)", NULL};
    static const char *const R_COLS[] = {"k", "g", "COUNT(*)", NULL};
    r.names[0] = L_COLS;
    r.names[1] = R_COLS;
    assert_true(plan_updating(r.n->inputs[0]) && plan_updating(r.n->inputs[1]));
    const char *steps[] = {
        "L +I 1 1 x|+I 2 1 y|+I 2 1 y|+I null 1 n1|+I null 2 n2|+I null 3 n3|+I null 4 n4",
        "R +I 1 1 1|+I 3 1 1|+I null 1 9|+I null 5 9",
        "L -U 1 1 x|+U 1 1 z",
        "R -U 1 1 1|+U 1 1 2|+I 2 1 5",
        "L -D 2 1 y|+I 3 1 w",
        "R -D 3 1 1|-D null 5 9",
        "L -D null 1 n1|-D null 3 n3|-D 2 1 y",
        "R -D 2 1 5|+I 2 1 6",
        "E",
    };
    check_script(&r, steps, 9, true, NULL);
    rig_close(&r);
}

/* x IN (subquery) over an updating subquery: left rows appear with their
 * first match and go with the last. */
static void test_semi_join(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, v STRING) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT k, v FROM a WHERE k IN "
             "(SELECT k FROM b GROUP BY k HAVING COUNT(*) < 3);\n",
             LN_JOIN);
    assert_int_equal(r.n->join, JOIN_SEMI);
    static const char *const R_COLS[] = {"k", NULL};
    r.names[0] = A_COLS;
    r.names[1] = R_COLS;
    static const int show[] = {0, 2, -1};
    r.show = show;
    const char *steps[] = {
        "L +I 1 0 x 0|+I 2 0 y 0|+I 1 0 x 0",
        "R +I 1|+I 3",
        "L +I 3 0 z 0|+I 4 0 u 0",
        "R -D 1|+I 2|+I 4",
        "L +I 1 0 w 0",
        "R -D 3|+I 1",
        "E",
    };
    check_script(&r, steps, 7, true,
                 "+I[1, x]\n+I[1, x]\n+I[3, z]\n-D[1, x]\n-D[1, x]\n+I[2, y]\n+I[4, u]\n"
                 "-D[3, z]\n+I[1, x]\n+I[1, x]\n+I[1, w]\n");
    rig_close(&r);
}

/* NOT EXISTS with an equality correlation over an updating subquery: an
 * anti join by key.  A left row leaves (-D) with its first match and comes
 * back (+I) when its last match is retracted; a left row with a NULL key
 * never matches; left retractions pass with their own kind; a right row
 * counted twice (two records) keeps the match when one copy goes. */
static void test_anti_join(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, v STRING) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT k, v FROM (SELECT k, MAX(v) AS v FROM a GROUP BY k) AS l "
             "WHERE NOT EXISTS (SELECT * FROM (SELECT k, w FROM b GROUP BY k, w HAVING "
             "COUNT(*) < 3) AS rr WHERE rr.k = l.k AND rr.w <> l.v);\n",
             LN_JOIN);
    assert_int_equal(r.n->join, JOIN_ANTI);
    assert_int_equal(r.n->n_jkeys, 1);
    assert_non_null(r.n->residual);
    assert_true(plan_updating(r.n->inputs[0]) && plan_updating(r.n->inputs[1]));
    static const char *const L_COLS[] = {"k", "MAX($2)", NULL};
    static const char *const R_COLS[] = {"k", "w", NULL};
    r.names[0] = L_COLS;
    r.names[1] = R_COLS;
    const char *steps[] = {
        "L +I 1 x|+I 2 y|+I null z|+I 3 s",
        "R +I 1 q|+I 3 s|+I 2 p",
        "L -U 1 x|+U 1 q|+I 4 u",
        "R +I 1 x|+I 4 t|+I 4 t",
        "L +I 4 v",
        "R -D 2 p|-D 4 t",
        "L -D null z|-U 3 s|+U 3 m",
        "R -D 4 t|-D 1 x",
        "E",
    };
    check_script(&r, steps, 9, true,
                 "+I[1, x]\n+I[2, y]\n+I[null, z]\n+I[3, s]\n-D[1, x]\n-D[2, y]\n"
                 "+U[1, q]\n+I[4, u]\n-D[1, q]\n-D[4, u]\n+I[2, y]\n-D[null, z]\n-U[3, s]\n"
                 "+I[4, u]\n+I[4, v]\n+I[1, q]\n");
    rig_close(&r);
}

/* x NOT IN (subquery) over nullable columns: no key (every row in one
 * instance), the residual x IS NULL OR y IS NULL OR x = y.  A NULL in the
 * subquery retracts every row, its deletion brings back those without a
 * match; a NULL x stays out while the subquery has any row. */
static void test_null_aware_anti_join(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, v STRING) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT k, v FROM a WHERE k NOT IN "
             "(SELECT k FROM b GROUP BY k HAVING COUNT(*) < 2);\n",
             LN_JOIN);
    assert_int_equal(r.n->join, JOIN_ANTI);
    assert_int_equal(r.n->n_jkeys, 0);
    static const char *const R_COLS[] = {"k", NULL};
    r.names[0] = A_COLS;
    r.names[1] = R_COLS;
    static const int show[] = {0, 2, -1};
    r.show = show;
    const char *steps[] = {
        "L +I 1 0 x 0|+I null 0 n 0|+I 2 0 y 0",
        "R +I 1",
        "L +I 3 0 z 0|+I 1 0 w 0",
        "R +I null",
        "L +I 4 0 u 0",
        "R -D null|+I 5",
        "R -D 1|-D 5",
        "E",
    };
    check_script(&r, steps, 8, true,
                 "+I[1, x]\n+I[null, n]\n+I[2, y]\n-D[1, x]\n-D[null, n]\n+I[3, z]\n"
                 "-D[2, y]\n-D[3, z]\n+I[2, y]\n+I[3, z]\n+I[4, u]\n+I[1, x]\n+I[1, w]\n"
                 "+I[null, n]\n");
    rig_close(&r);
}

/* EXCEPT: an anti join on every column, IS NOT DISTINCT FROM (a NULL key
 * is a key like any other), under a distinct aggregate. */
static void test_null_safe_anti_join(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, v STRING) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT k, v FROM a EXCEPT SELECT k, w FROM b;\n",
             LN_JOIN);
    assert_int_equal(r.n->join, JOIN_ANTI);
    assert_true(r.n->null_safe);
    r.names[0] = A_COLS;
    r.names[1] = B_COLS;
    static const int show[] = {0, 1, -1};
    r.show = show;
    const char *steps[] = {
        "L +I 1 0 x 0|+I null 0 n 0|+I null 0 null 0|+I 1 0 x 0",
        "R +I null 0 n 0|+I 1 0 y 0",
        "L +I null 0 n 0|+I 2 0 null 0",
        "R +I 1 0 x 0|+I null 0 null 0|+I 2 0 null 0",
        "E",
    };
    check_script(&r, steps, 5, true,
                 "+I[1, x]\n+I[null, n]\n+I[null, null]\n+I[1, x]\n-D[null, n]\n"
                 "+I[2, null]\n-D[1, x]\n-D[1, x]\n-D[null, null]\n-D[2, null]\n");
    rig_close(&r);
}

/* FULL interval join: rows expire by watermark and unmatched ones are
 * padded once; a row arriving already expired is padded at once and must
 * not be stored after a restore either (the saved watermark). */
static void test_interval_full_join(void **state)
{
    (void)state;
    struct rig r;
    open_kvw(&r, "FULL JOIN b ON a.k = b.k AND "
                 "a.t BETWEEN b.t - INTERVAL '5' SECOND AND b.t + INTERVAL '2' SECOND");
    assert_true(r.n->interval);
    const char *steps[] = {
        "L +I 1 0 x 10|+I 2 0 y 11|+I 3 0 z 12|+I 1 0 x2 13",
        "R +I 1 0 p 12|+I 4 0 q 14",
        "W 12",
        "R +I 2 0 s 14|+I 3 0 t 30",
        "W 20",
        "L +I 3 0 z2 29|+I 5 0 late 8",
        "R +I 5 0 m 9|+I 6 0 n 40",
        "W 33",
        "L +I 6 0 o 38",
        "E",
    };
    check_script(&r, steps, 10, false,
                 "+I[1, x, p]\n+I[1, x2, p]\n+I[2, y, s]\n+I[3, z, null]\n+I[null, null, q]\n"
                 "+I[3, z2, t]\n+I[5, late, null]\n+I[null, null, m]\n+I[6, o, n]\n");
    rig_close(&r);
}

/* INNER interval join (both sides packed): a key's rows out of time order
 * expire from the front, so y (t 2, due at 7) outlives the watermark 8
 * behind x (due at 15); it meets nothing meanwhile, its bounds being in the
 * residual, and goes with x. */
static void test_interval_inner_out_of_order(void **state)
{
    (void)state;
    struct rig r;
    open_kvw(&r, "JOIN b ON a.k = b.k AND "
                 "a.t BETWEEN b.t - INTERVAL '5' SECOND AND b.t + INTERVAL '5' SECOND");
    assert_true(r.n->interval);
    const char *steps[] = {
        "L +I 1 0 x 10|+I 1 0 y 2|+I 2 0 z 9",
        "W 8",
        "R +I 1 0 p 9|+I 2 0 q 13",
        "W 20",
        "R +I 1 0 late 25",
        "E",
    };
    check_script(&r, steps, 6, false, "+I[1, x, p]\n+I[2, z, q]\n");
    rig_close(&r);
}

/* An interval join whose rows all go to its spill file (threshold 0) gives
 * back the disk space of the rows that expired: fed 40 MB of left rows (50
 * of 800 bytes a second, kept 2 s), its files hold a few MB at most, not
 * the 32 MB beyond the 8 MiB kept in memory.  A left row far ahead of the
 * watermark holds its chunk of the log: it is moved along (its bytes
 * written again at the end of the file) and still meets its right row. */
static void test_interval_spill_discard(void **state)
{
    (void)state;
    struct rig r;
    open_kvw(&r, "JOIN b ON a.k = b.k AND a.t BETWEEN b.t - INTERVAL '2' SECOND AND b.t");
    assert_true(r.n->interval);
    struct strbuf out = {0}, step = {0};
    struct inst x;
    inst_open(&x, &r, &out, 0);
    op_join_spill(x.op, spill_dir_make(), 0);
    char pad[801];
    memset(pad, 'x', 800);
    pad[800] = '\0';
    enum { SECONDS = 1000, PER = 50 };
    int64_t disk_max = 0, want = 0;
    for (int i = 0; i < SECONDS; i++) {
        sb_clear(&step);
        sb_adds(&step, "L ");
        for (int k = 0; k < PER; k++)
            sb_addf(&step, "%s+I %d 0 %s %d", k ? "|" : "", k, pad, i);
        if (i == 10)
            sb_adds(&step, "|+I 999 0 far 100000");
        run_step(&r, &x, 1, step.buf);
        sb_clear(&step);
        sb_addf(&step, "R +I %d 0 w %d", i % PER, i);
        run_step(&r, &x, 1, step.buf);
        want += i < 2 ? i + 1 : 3;   /* the left rows of its key at i - 2 .. i */
        sb_clear(&step);
        sb_addf(&step, "W %d", i - 1);
        run_step(&r, &x, 1, step.buf);
        int64_t disk = atomic_load(&x.op->state_disk);
        if (disk > disk_max)
            disk_max = disk;
    }
    run_step(&r, &x, 1, "R +I 999 0 meets 100000");
    run_step(&r, &x, 1, "E");
    int64_t lines = 0;
    for (size_t i = 0; i < out.len; i++)
        lines += out.buf[i] == '\n';
    assert_int_equal(lines, want + 1);
    assert_non_null(strstr(out.buf, "+I[999, far, meets]"));
    if (disk_max > (int64_t)4 << 20)
        fail_msg("the spill file held %lld bytes on disk", (long long)disk_max);
    inst_close(&x);
    sb_free(&out);
    sb_free(&step);
    rig_close(&r);
}

/* LEFT interval join with the bounds the other way round (left rows wait
 * for later right rows). */
static void test_interval_left_join(void **state)
{
    (void)state;
    struct rig r;
    open_kvw(&r, "LEFT JOIN b ON a.k = b.k AND b.t BETWEEN a.t AND a.t + INTERVAL '10' SECOND");
    assert_true(r.n->interval);
    const char *steps[] = {
        "L +I 1 0 a 10|+I 2 0 b 10|+I 3 0 c 15",
        "R +I 1 0 p 12|+I 1 0 p2 19",
        "W 15",
        "R +I 3 0 q 24|+I 2 0 r 21",
        "W 22",
        "L +I 4 0 d 30|+I 4 0 e 31",
        "R +I 4 0 s 35",
        "W 50",
        "E",
    };
    check_script(&r, steps, 9, false,
                 "+I[1, a, p]\n+I[1, a, p2]\n+I[3, c, q]\n+I[2, b, null]\n+I[4, d, s]\n"
                 "+I[4, e, s]\n");
    rig_close(&r);
}

/* FULL window join of two TUMBLE TVFs: pairs come out on arrival, the rows
 * without a partner are padded once when their window ends, a row arriving
 * for an ended window is late (counted, not joined), and the saved
 * watermark keeps it late after a restore.  The INSERT reads every column,
 * so none is pruned from the join's inputs. */
static const char *const WA_COLS[] = {"k", "v", "window_start", "window_end", "g", "t",
                                      "window_time", NULL};
static const char *const WB_COLS[] = {"k", "w", "window_start", "window_end", "g", "t",
                                      "window_time", NULL};
#define WIN_SIDE(t)                                                                         \
    "(SELECT * FROM TABLE(TUMBLE(TABLE " t ", DESCRIPTOR(t), INTERVAL '10' SECOND)))"

static void test_window_full_join(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, g INT, v STRING, t TIMESTAMP(3), ws TIMESTAMP(3), "
             "we TIMESTAMP(3), wt TIMESTAMP(3), k2 INT, g2 INT, w STRING, t2 TIMESTAMP(3), "
             "ws2 TIMESTAMP(3), we2 TIMESTAMP(3), wt2 TIMESTAMP(3)) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT x.*, y.* FROM " WIN_SIDE("a") " x FULL JOIN " WIN_SIDE("b")
             " y ON x.k = y.k AND x.window_start = y.window_start "
             "AND x.window_end = y.window_end;\n",
             LN_JOIN);
    r.names[0] = WA_COLS;
    r.names[1] = WB_COLS;
    static const int show[] = {0, 2, 9, -1};
    r.show = show;
    assert_true(r.n->window);
    assert_false(plan_updating(r.n));
    const char *steps[] = {
        "L +I 1 x 0 10 0 0 0|+I 2 y 0 10 0 0 0|+I 3 z 10 20 0 0 0",
        "R +I 1 p 0 10 0 0 0|+I 1 p2 10 20 0 0 0",
        "W 9",
        "R +I 4 q 0 10 0 0 0",
        "W 10",
        "L +I 1 late 0 10 0 0 0|+I 1 x3 10 20 0 0 0",
        "E",
    };
    check_script(&r, steps, 7, false,
                 "+I[1, x, p]\n+I[2, y, null]\n+I[null, null, q]\n+I[1, x3, p2]\n"
                 "+I[3, z, null]\n");
    rig_close(&r);
}

/* Window anti join (NOT EXISTS): a left row passes only when its window
 * ends without a match, so a right row arriving later in the window keeps
 * it out instead of retracting it. */
static void test_window_anti_join(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, g INT, v STRING, t TIMESTAMP(3), ws TIMESTAMP(3), "
             "we TIMESTAMP(3), wt TIMESTAMP(3)) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT * FROM " WIN_SIDE("a") " x WHERE NOT EXISTS (SELECT * FROM "
             WIN_SIDE("b") " y WHERE x.k = y.k AND x.window_start = y.window_start "
             "AND x.window_end = y.window_end);\n",
             LN_JOIN);
    r.names[0] = WA_COLS;
    r.names[1] = WB_COLS;
    static const int show[] = {0, 2, -1};
    r.show = show;
    assert_true(r.n->window);
    assert_int_equal(r.n->join, JOIN_ANTI);
    const char *steps[] = {
        "L +I 1 a 0 10 0 0 0|+I 2 b 0 10 0 0 0|+I null n 0 10 0 0 0",
        "R +I 1 p 0 10 0 0 0",
        "R +I 2 q 10 20 0 0 0|+I 2 q2 0 10 0 0 0",
        "W 10",
        "L +I 2 c 10 20 0 0 0|+I 3 d 10 20 0 0 0",
        "E",
    };
    check_script(&r, steps, 6, false, "+I[null, n]\n+I[3, d]\n");
    rig_close(&r);
}

/* A LEFT regular join of rows with the window_end of a window aggregation,
 * bounded by it (Nexmark q7's shape): padding and its retraction as in any
 * regular join; once the right side's watermark passes a left row's bound
 * (t + 10 s) the row is dropped without output; a late left row still meets
 * the stored right rows (Flink's regular join would), and is stored only if
 * its bound is still ahead of the watermark. */
static const char *const M_COLS[] = {"mx", "we", NULL};

static void test_bounded_left_join(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, v STRING, mx INT) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT a.k, a.v, m.mx FROM a LEFT JOIN (SELECT MAX(k) AS mx, "
             "window_end AS we FROM TABLE(TUMBLE(TABLE b, DESCRIPTOR(t), INTERVAL '10' SECOND)) "
             "GROUP BY window_start, window_end) m ON a.k = m.mx "
             "AND a.t BETWEEN m.we - INTERVAL '10' SECOND AND m.we;\n",
             LN_JOIN);
    r.names[0] = A_COLS;
    r.names[1] = M_COLS;
    static const int show[] = {0, 2, 4, -1};
    r.show = show;
    assert_false(r.n->interval);
    assert_true(r.n->bounded[0]);
    assert_false(r.n->bounded[1]);
    assert_true(plan_updating(r.n));   /* a regular LEFT join retracts its padding */
    const char *steps[] = {
        "L +I 1 0 x 3|+I 2 0 y 5|+I 3 0 z 12",
        "R +I 1 10",
        "W 15",
        "L +I 2 0 late 4",
        "R +I 3 20",
        "L +I 1 0 late2 9",
        "E",
    };
    const char *expect = "+I[1, x, null]\n+I[2, y, null]\n+I[3, z, null]\n"
                         "-D[1, x, null]\n+I[1, x, 1]\n+I[2, late, null]\n"
                         "-D[3, z, null]\n+I[3, z, 3]\n+I[1, late2, 1]\n";
    check_script(&r, steps, 7, true, expect);
    /* the watermark dropped x and y; the late rows were never stored */
    struct strbuf out = {0};
    struct inst x;
    inst_open(&x, &r, &out, 0);
    for (int s = 0; s < 2; s++)
        run_step(&r, &x, 1, steps[s]);
    assert_int_equal(x.op->state_keys, 4);
    run_step(&r, &x, 1, steps[2]);
    assert_int_equal(x.op->state_keys, 2);
    run_step(&r, &x, 1, steps[3]);
    assert_int_equal(x.op->state_keys, 2);   /* "late" met nothing and is gone */
    for (int s = 4; s < 6; s++)
        run_step(&r, &x, 1, steps[s]);
    /* z and late2 (its bound, 19 s, is ahead of the watermark: a right row
     * of a window ending at 16..19 s could still meet it), right rows 1, 3 */
    assert_int_equal(x.op->state_keys, 4);
    inst_close(&x);
    sb_free(&out);
    rig_close(&r);
}

/* ---- Top-N and deduplication ----------------------------------------------------------- */

#define BIDS                                                                                \
    "CREATE TABLE b (k INT, item STRING, price INT, ts TIMESTAMP(3), pt AS PROCTIME(), "     \
    "WATERMARK FOR ts AS ts) "                                                              \
    "WITH ('connector' = 'filesystem', 'path' = 'b.csv', 'format' = 'csv');\n"

static const char *const BID_COLS[] = {"k", "item", "price", "ts", "pt", NULL};

/* k item price ts pt */
static const char *const BID_STEPS[] = {
    "L +I 1 a 10 1 1|+I 1 b 30 2 2",
    "L +I 1 c 20 3 3|+I 2 x 7 3 4",
    "L +I 1 d 40 4 5|+I null n 1 4 6",
    "L +I 2 y 9 5 7|+I 2 z 9 2 8|+I 3 q 1 6 9",
    "L +I 1 f 25 6 10|+I null m 2 1 11",
    "L +I 1 g 25 7 12|+I 2 w 9 9 13",
    "E",
};

static void run_rank(const char *query, const char *expect)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             BIDS "CREATE TABLE o (k INT, item STRING, n BIGINT) WITH ('connector' = 'print');\n"
                  "%s",
             query);
    struct rig r;
    rig_open(&r, sql, LN_RANK);
    r.names[0] = BID_COLS;
    /* k, item, price and the rank */
    int show[] = {-1, -1, -1, r.n->n_out - 1, -1};
    for (int c = 0; c < r.n->inputs[0]->n_out; c++)
        for (int q = 0; q < 3; q++)
            if (strcmp(r.n->inputs[0]->out_names[c], BID_COLS[q]) == 0)
                show[q] = c;
    r.show = show;
    check_script(&r, BID_STEPS, 7, true, expect);
    rig_close(&r);
}

static void test_top2_rank_number(void **state)
{
    (void)state;
    run_rank("INSERT INTO o SELECT k, item, rn FROM (SELECT *, ROW_NUMBER() OVER "
             "(PARTITION BY k ORDER BY price DESC) AS rn FROM b) WHERE rn <= 2;\n",
             NULL);
}

static void test_top2_no_rank(void **state)
{
    (void)state;
    run_rank("INSERT INTO o SELECT k, item, CAST(price AS BIGINT) FROM (SELECT *, ROW_NUMBER() "
             "OVER (PARTITION BY k ORDER BY price DESC, item) AS rn FROM b) WHERE rn <= 2;\n",
             NULL);
}

static void test_global_top3(void **state)
{
    (void)state;
    run_rank("INSERT INTO o SELECT k, item, rn FROM (SELECT *, ROW_NUMBER() OVER "
             "(ORDER BY price) AS rn FROM b) WHERE rn <= 3;\n",
             NULL);
}

static void test_top1(void **state)
{
    (void)state;
    /* Nexmark q9's shape, with and without the rank column; one row a
     * partition, kept in its slot once spilled */
    run_rank("INSERT INTO o SELECT k, item, rn FROM (SELECT *, ROW_NUMBER() OVER "
             "(PARTITION BY k ORDER BY price DESC, ts) AS rn FROM b) WHERE rn <= 1;\n",
             NULL);
    run_rank("INSERT INTO o SELECT k, item, CAST(price AS BIGINT) FROM (SELECT *, ROW_NUMBER() "
             "OVER (PARTITION BY k ORDER BY item DESC) AS rn FROM b) WHERE rn = 1;\n",
             NULL);
}

/* ORDER BY a time attribute with N > 1 is a Top-N, not a deduplication */
static void test_top2_by_time(void **state)
{
    (void)state;
    run_rank("INSERT INTO o SELECT k, item, rn FROM (SELECT *, ROW_NUMBER() OVER "
             "(PARTITION BY k ORDER BY ts) AS rn FROM b) WHERE rn <= 2;\n",
             "+I[1, a, 10, 1]\n+I[1, b, 30, 2]\n+I[2, x, 7, 1]\n+I[null, n, 1, 1]\n"
             "+I[2, y, 9, 2]\n-U[2, x, 7, 1]\n+U[2, z, 9, 1]\n-U[2, y, 9, 2]\n+U[2, x, 7, 2]\n"
             "+I[3, q, 1, 1]\n-U[null, n, 1, 1]\n+U[null, m, 2, 1]\n+I[null, n, 1, 2]\n");
}

static void test_dedup(void **state)
{
    (void)state;
    /* keep first and keep last on event time, keep last on processing time */
    run_rank("INSERT INTO o SELECT k, item, CAST(price AS BIGINT) FROM (SELECT *, ROW_NUMBER() "
             "OVER (PARTITION BY k ORDER BY ts) AS rn FROM b) WHERE rn = 1;\n",
             "+I[1, a, 10, 1]\n+I[2, x, 7, 1]\n+I[null, n, 1, 1]\n-U[2, x, 7, 1]\n"
             "+U[2, z, 9, 1]\n+I[3, q, 1, 1]\n-U[null, n, 1, 1]\n+U[null, m, 2, 1]\n");
    run_rank("INSERT INTO o SELECT k, item, CAST(price AS BIGINT) FROM (SELECT *, ROW_NUMBER() "
             "OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM b) WHERE rn = 1;\n",
             NULL);
    run_rank("INSERT INTO o SELECT k, item, CAST(price AS BIGINT) FROM (SELECT *, ROW_NUMBER() "
             "OVER (PARTITION BY k ORDER BY pt DESC) AS rn FROM b) WHERE rn = 1;\n",
             NULL);
}

/* ---- bad records ------------------------------------------------------------------------ */

/* Every strict prefix of each record, and each record in another key group,
 * is refused as corrupt with the operator's label, leaving no state. */
static void check_corrupt(struct rig *r, const char *const *steps, int n_steps, const char *label)
{
    struct strbuf out = {0};
    struct inst x, y;
    inst_open(&x, r, &out, 0);
    for (int s = 0; s < n_steps; s++)
        run_step(r, &x, 1, steps[s]);
    struct snap_writer w = {0};
    struct weir_error err = {0};
    assert_int_equal(x.op->ops->snapshot(x.op, &w, &err), WEIR_OK);
    state_walks_end(&w, true);
    assert_true(w.n_records > 0);
    inst_close(&x);
    inst_open(&y, r, &out, 0);
    struct snap_iter it;
    struct snap_rd rd;
    int kg, tested = 0;
    snap_iter_init(&it, w.buf.buf, w.buf.len);
    for (int64_t k = 0; k < w.n_records; k++) {
        assert_true(snap_iter_next(&it, &kg, &rd));
        for (size_t len = 0; len < rd.len; len++) {
            struct snap_rd cut = {rd.p, len, 0, false};
            assert_int_equal(y.op->ops->restore(y.op, kg, &cut, &err), WEIR_ERR_CORRUPT);
            assert_non_null(strstr(err.message, label));
            err_clear(&err);
            tested++;
        }
        if (kg != SNAP_OPERATOR) {
            /* another max-parallelism would put the key in another group */
            struct snap_rd moved = rd;
            assert_int_equal(y.op->ops->restore(y.op, (kg + 1) % MAXP, &moved, &err),
                             WEIR_ERR_CONFIG);
            assert_non_null(strstr(err.message, "pipeline.max-parallelism"));
            err_clear(&err);
        }
        /* a record format this weir does not know */
        char *copy = mem_strndup(rd.p, rd.len);
        copy[0] = OPSTATE_VERSION + 1;
        struct snap_rd future = {copy, rd.len, 0, false};
        assert_int_equal(y.op->ops->restore(y.op, kg, &future, &err), WEIR_ERR_CORRUPT);
        assert_non_null(strstr(err.message, "record format"));
        err_clear(&err);
        mem_free(copy);
        assert_int_equal(y.op->state_keys, 0);
    }
    assert_true(tested > 0);
    inst_close(&y);
    sb_free(&w.buf);
    sb_free(&out);
}

static void test_corrupt_records(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, TABLES
             "CREATE TABLE o (k INT, v STRING, w STRING) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT a.k, a.v, b.w FROM a FULL JOIN b ON a.k = b.k AND "
             "a.t BETWEEN b.t - INTERVAL '5' SECOND AND b.t + INTERVAL '2' SECOND;\n",
             LN_JOIN);
    r.names[0] = A_COLS;
    r.names[1] = B_COLS;
    const char *jsteps[] = {"L +I 1 0 x 10|+I 2 0 yy 11", "R +I 1 0 p 12", "W 5"};
    check_corrupt(&r, jsteps, 3, "Join#7");
    rig_close(&r);
    rig_open(&r, BIDS "CREATE TABLE o (k INT, item STRING, n BIGINT) WITH ('connector' = 'print');\n"
                      "INSERT INTO o SELECT k, item, rn FROM (SELECT *, ROW_NUMBER() OVER "
                      "(PARTITION BY k ORDER BY item DESC) AS rn FROM b) WHERE rn <= 2;\n",
             LN_RANK);
    r.names[0] = BID_COLS;
    const char *rsteps[] = {"L +I 1 a 10 1 1|+I 1 b 30 2 2|+I 2 c 5 3 3"};
    check_corrupt(&r, rsteps, 1, "Rank#7");
    rig_close(&r);
}

/* State of one join restored into a join of another shape (an edited query
 * keeping the operator's uid) is refused, not misread. */
static void test_other_query_refused(void **state)
{
    (void)state;
    struct rig r1, r2;
    rig_open(&r1, TABLES
             "CREATE TABLE o (k INT, v STRING, w STRING) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT a.k, a.v, b.w FROM a LEFT JOIN b ON a.k = b.k;\n",
             LN_JOIN);
    rig_open(&r2, TABLES
             "CREATE TABLE o (k INT, v STRING, w STRING) WITH ('connector' = 'print');\n"
             "INSERT INTO o SELECT a.k, a.v, b.w FROM a JOIN b ON a.k = b.k;\n",
             LN_JOIN);
    r1.names[0] = r2.names[0] = A_COLS;
    r1.names[1] = r2.names[1] = B_COLS;
    struct strbuf out = {0};
    struct inst x, y;
    inst_open(&x, &r1, &out, 0);
    run_step(&r1, &x, 1, "L +I 1 0 x 10");
    struct snap_writer w = {0};
    struct weir_error err = {0};
    assert_int_equal(x.op->ops->snapshot(x.op, &w, &err), WEIR_OK);
    state_walks_end(&w, true);
    inst_close(&x);
    inst_open(&y, &r2, &out, 0);
    struct snap_iter it;
    struct snap_rd rd;
    int kg;
    snap_iter_init(&it, w.buf.buf, w.buf.len);
    assert_true(snap_iter_next(&it, &kg, &rd));
    assert_int_equal(y.op->ops->restore(y.op, kg, &rd, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "another query"));
    assert_non_null(strstr(err.message, "Join#7"));
    err_clear(&err);
    inst_close(&y);
    sb_free(&w.buf);
    sb_free(&out);
    rig_close(&r1);
    rig_close(&r2);
}

/* A row that is not of the input's types (a record from an edited query)
 * is refused, not decoded blindly. */
static void test_row_check(void **state)
{
    (void)state;
    const struct sql_type *t[] = {&type_int, &type_string};
    struct batch *b = batch_new(2, t);
    b->n = 1;
    b->cols[0].i64[0] = 7;
    vec_set_str(&b->cols[1], 0, "hello", 5);
    const struct vec *cols[] = {&b->cols[0], &b->cols[1]};
    struct strbuf row = {0};
    state_key_encode(&row, cols, 2, 0);
    assert_true(opstate_row_check(row.buf, row.len, t, 2));
    for (size_t len = 1; len < row.len; len++)
        if (len != 9)   /* 9 bytes: the INT column alone, which decode accepts */
            assert_false(opstate_row_check(row.buf, len, t, 2));
    const struct sql_type *swapped[] = {&type_string, &type_int};
    assert_false(opstate_row_check(row.buf, row.len, swapped, 2));
    row.buf[0] = 2;   /* not a NULL marker */
    assert_false(opstate_row_check(row.buf, row.len, t, 2));
    sb_free(&row);
    batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_left_join_insert_only),
        cmocka_unit_test(test_full_join_updating),
        cmocka_unit_test(test_semi_join),
        cmocka_unit_test(test_anti_join),
        cmocka_unit_test(test_null_aware_anti_join),
        cmocka_unit_test(test_null_safe_anti_join),
        cmocka_unit_test(test_interval_full_join),
        cmocka_unit_test(test_interval_left_join),
        cmocka_unit_test(test_interval_inner_out_of_order),
        cmocka_unit_test(test_bounded_left_join),
        cmocka_unit_test(test_window_full_join),
        cmocka_unit_test(test_window_anti_join),
        cmocka_unit_test(test_interval_spill_discard),
        cmocka_unit_test(test_top2_rank_number),
        cmocka_unit_test(test_top2_no_rank),
        cmocka_unit_test(test_top1),
        cmocka_unit_test(test_top2_by_time),
        cmocka_unit_test(test_global_top3),
        cmocka_unit_test(test_dedup),
        cmocka_unit_test(test_corrupt_records),
        cmocka_unit_test(test_other_query_refused),
        cmocka_unit_test(test_row_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
