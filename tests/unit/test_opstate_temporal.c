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
 * WEIR_ERR_CONFIG, leaving nothing allocated (run under ASan).  The rig
 * (plan, instances, scripts, resharding) is oprig.h's.
 */

/* Not the default 128, so a state table left at 128 groups would show up as
 * records routed to the wrong instance. */
#define MAXP 64
#define MAX_INST 4

#include "oprig.h"

#include "exec/op_temporal.h"

/* ---- the operator ------------------------------------------------------------------- */

static void build_op(struct inst *x, struct rig *r)
{
    struct lnode *n = r->n;
    x->op = op_temporal_new(n->id, n->join, n->lkeys, n->rkeys, n->n_jkeys, n->residual,
                            n->inputs[0]->n_out, n->inputs[1]->n_out, n->time_col[0],
                            n->time_col[1], n->out_types, mem_strdup("TemporalJoin#7"));
    op_temporal_set_max_parallelism(x->op, MAXP);
    op_connect(&x->in[0], x->op);
    op_temporal_left_ports(x->op, 1);
    op_connect(&x->in[1], x->op);
}

/* Every script also runs at parallelism 4, and is cut and resumed with
 * 1 -> 1, 1 -> 2, 1 -> 4, 2 -> 1, 4 -> 2 and 2 -> 4 instances; late left rows
 * are joined, not dropped; every record is keyed. */
static const int SHAPES[][2] = {{1, 1}, {1, 2}, {1, 4}, {2, 1}, {4, 2}, {2, 4}};

static const struct rig_cfg CFG = {
    .build = build_op,
    .walk_step = 1,
    .keyed_only = true,
    .no_late = true,
    .par = 4,
    .shapes = SHAPES,
    .n_shapes = 6,
};

/* r->n: the LN_TEMPORAL_JOIN. */
static void rig_open(struct rig *r, const char *sql)
{
    rig_setup(r, sql, LN_TEMPORAL_JOIN, &CFG);
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
    check_script(&r, steps, 11, false,
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
    check_script(&r, steps, 7, false,
                 "+I[1, 1, a, x]\n+I[2, 1, d, z2]\n+I[1, 1, e, x2]\n+I[1, 2, f, y]\n");
    rig_close(&r);
}

/* ---- bad records ------------------------------------------------------------------------ */

/* Every strict prefix of each record (but the one without the last write
 * time, a record of before the TTL), and each record in another key group,
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
            if (len == rd.len - 8) {
                /* without its last write: a record of before the TTL, whose
                 * key restores as written now */
                struct inst z;
                inst_open(&z, &r, &out, 0);
                assert_int_equal(z.op->ops->restore(z.op, kg, &cut, &err), WEIR_OK);
                assert_int_equal(z.op->state_keys, 1);
                inst_close(&z);
                continue;
            }
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
