/*
 * test_ttl.c — table.exec.state.ttl in the GroupAggregate, Join, Rank and
 * TemporalJoin operators, without the runtime: each operator is built from a compiled
 * plan as job.c builds it, with a manual clock that only moves through its
 * timer hook, so expiry happens at exact, repeatable times.  Covers: expired
 * state behaves as absent (a group starts over with +I, a join row stops
 * matching, keep-first deduplication emits the key again), the `expired`
 * metric, last-write times surviving a checkpoint (expiry after a restore
 * at the time the original would have expired), and TTL 0 keeping state
 * forever.  The rig (plan, instances, input rows, restore) is oprig.h's;
 * each instance prints into its own buffer, x->cap.own.
 */
#include <unistd.h>

#define MAXP 128

#include "oprig.h"

#include "exec/op_group.h"
#include "exec/op_join.h"
#include "exec/op_rank.h"
#include "exec/op_temporal.h"

#define SEC 1000000LL
#define TTL (10 * SEC)

static void build_op(struct inst *x, struct rig *r)
{
    struct lnode *n = r->n;
    if (n->kind == LN_JOIN) {
        x->op = op_join_for_node(n, MAXP, mem_strdup("Join#1"));
        op_join_set_state_ttl(x->op, r->ttl_us, !r->real_clock);
        op_connect(&x->in[0], x->op);
        op_join_left_ports(x->op, 1);
        op_connect(&x->in[1], x->op);
    } else if (n->kind == LN_TEMPORAL_JOIN) {
        x->op = op_temporal_new(n->id, n->join, n->lkeys, n->rkeys, n->n_jkeys, n->residual,
                                n->inputs[0]->n_out, n->inputs[1]->n_out, n->time_col[0],
                                n->time_col[1], n->out_types, mem_strdup("TemporalJoin#1"));
        op_temporal_set_max_parallelism(x->op, MAXP);
        op_temporal_set_state_ttl(x->op, r->ttl_us, !r->real_clock);
        op_connect(&x->in[0], x->op);
        op_temporal_left_ports(x->op, 1);
        op_connect(&x->in[1], x->op);
    } else if (n->kind == LN_RANK) {
        x->op = op_rank_new(n->id, n, mem_strdup("Rank#1"));
        op_rank_set_max_parallelism(x->op, MAXP);
        op_rank_set_state_ttl(x->op, r->ttl_us, !r->real_clock);
        op_connect(&x->in[0], x->op);
    } else {
        x->op = op_group_new(n->id, n->keys, n->n_keys, n->aggs, n->n_aggs, n->n_out,
                             n->out_types, mem_strdup("GroupAggregate#1"));
        op_group_set_max_parallelism(x->op, MAXP);
        op_group_set_state_ttl(x->op, r->ttl_us, !r->real_clock);
        op_connect(&x->in[0], x->op);
    }
    /* a TTL gives the operator its timer hook, none leaves it without */
    assert_int_equal(x->op->ops->timer != NULL, r->ttl_us > 0);
}

static const struct rig_cfg CFG = {.build = build_op, .quiet = true};

/* r->n: the first node of `kind`; its operator keeps state for ttl_us (0:
 * forever). */
static void rig_open(struct rig *r, const char *sql, enum lnode_kind kind, int64_t ttl_us)
{
    rig_setup(r, sql, kind, &CFG);
    r->ttl_us = ttl_us;
}

/* The processing time moves to `sec` seconds: the timer hook runs. */
static void tick(struct inst *x, int64_t sec)
{
    struct weir_error err = {0};
    if (x->op->ops->timer)
        assert_int_equal(x->op->ops->timer(x->op, sec * SEC, &x->r->ctx, &err), WEIR_OK);
}

/* Rows "kind v1 v2 ...|kind ..." into input s (values in r->names[s] order). */
static void push(struct inst *x, int s, const char *rows)
{
    struct batch *b = make_batch(x->r, s, rows);
    struct weir_error err = {0};
    if (x->op->ops->push(x->op, s, b, &x->r->ctx, &err))
        fail_msg("push: %s", err.message);
    batch_free(b);
}

/* What the operator emitted since the last call. */
static void expect_out(struct inst *x, const char *want)
{
    const char *got = x->cap.own.buf ? x->cap.own.buf : "";
    if (strcmp(got, want) != 0)
        fail_msg("--- want\n%s--- got\n%s", want, got);
    sb_clear(&x->cap.own);
}

/* A checkpoint and a restore into a fresh instance (the old one is freed;
 * its lazy snapshot is finished by that). */
static void checkpoint_restore(struct inst *x)
{
    struct rig *r = x->r;
    struct snap_writer w = {0};
    struct weir_error err = {0};
    int64_t keys = x->op->state_keys, expired = x->op->expired;
    assert_int_equal(x->op->ops->snapshot(x->op, &w, &err), WEIR_OK);
    char *out = x->cap.own.buf ? sb_steal(&x->cap.own) : NULL;
    inst_close(x);
    assert_true(state_walks_done(&w));
    state_walks_end(&w, true);
    inst_open(x, r, NULL, 0);
    if (out) {
        sb_adds(&x->cap.own, out);
        mem_free(out);
    }
    restore_records(r, &w, x, 1);
    assert_int_equal(x->op->state_keys, keys);
    x->op->expired = expired;   /* a metric of the run, not state */
}

/* ---- GroupAggregate ------------------------------------------------------------------ */

#define GROUP_SQL                                                                           \
    "CREATE TABLE a (k INT, v INT) WITH ('connector' = 'filesystem', 'path' = 'a.csv', "    \
    "'format' = 'csv');\n"                                                                  \
    "CREATE TABLE o (k INT, c BIGINT, s INT) WITH ('connector' = 'print');\n"               \
    "INSERT INTO o SELECT k, COUNT(*), SUM(v) FROM a GROUP BY k;\n"

static const char *const GROUP_COLS[] = {"k", "v", NULL};

static void group_script(bool restore)
{
    struct rig r;
    rig_open(&r, GROUP_SQL, LN_GROUP_AGG, TTL);
    r.names[0] = GROUP_COLS;
    struct inst x;
    inst_open(&x, &r, NULL, 0);
    tick(&x, 100);
    push(&x, 0, "+I 1 5|+I 2 1");
    expect_out(&x, "+I[1, 1, 5]\n+I[2, 1, 1]\n");
    tick(&x, 105);
    push(&x, 0, "+I 1 3");   /* key 1 written again: alive until 115 */
    expect_out(&x, "-U[1, 1, 5]\n+U[1, 2, 8]\n");
    if (restore)
        checkpoint_restore(&x);
    tick(&x, 109);
    assert_int_equal(x.op->state_keys, 2);
    tick(&x, 110);   /* key 2, written at 100 */
    assert_int_equal(x.op->state_keys, 1);
    assert_int_equal(x.op->expired, 1);
    tick(&x, 114);
    assert_int_equal(x.op->state_keys, 1);
    tick(&x, 115);
    assert_int_equal(x.op->state_keys, 0);
    assert_int_equal(x.op->expired, 2);
    expect_out(&x, "");   /* expiry emits nothing, as Flink */
    tick(&x, 116);
    push(&x, 0, "+I 1 4|+I 2 2");
    expect_out(&x, "+I[1, 1, 4]\n+I[2, 1, 2]\n");
    /* a retraction of an expired group finds nothing */
    tick(&x, 200);
    push(&x, 0, "-D 1 4");
    expect_out(&x, "");
    inst_close(&x);
    rig_close(&r);
}

static void test_group_expires(void **state)
{
    (void)state;
    group_script(false);
}

static void test_group_expiry_after_restore(void **state)
{
    (void)state;
    group_script(true);
}

static void test_group_ttl_zero(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, GROUP_SQL, LN_GROUP_AGG, 0);
    r.names[0] = GROUP_COLS;
    struct inst x;
    inst_open(&x, &r, NULL, 0);
    push(&x, 0, "+I 1 5");
    checkpoint_restore(&x);
    push(&x, 0, "+I 1 3");
    expect_out(&x, "+I[1, 1, 5]\n-U[1, 1, 5]\n+U[1, 2, 8]\n");
    assert_int_equal(x.op->expired, 0);
    assert_int_equal(x.op->state_keys, 1);
    inst_close(&x);
    rig_close(&r);
}

/* ---- Join --------------------------------------------------------------------------- */

#define JOIN_SQL                                                                            \
    "CREATE TABLE a (k INT, v STRING) WITH ('connector' = 'filesystem', 'path' = 'a.csv', " \
    "'format' = 'csv');\n"                                                                  \
    "CREATE TABLE b (k INT, w STRING) WITH ('connector' = 'filesystem', 'path' = 'b.csv', " \
    "'format' = 'csv');\n"                                                                  \
    "CREATE TABLE o (k INT, v STRING, k2 INT, w STRING) WITH ('connector' = 'print');\n"

static const char *const A_COLS[] = {"k", "v", NULL};
static const char *const B_COLS[] = {"k", "w", NULL};

static void join_script(bool restore)
{
    struct rig r;
    rig_open(&r, JOIN_SQL "INSERT INTO o SELECT a.k, a.v, b.k, b.w FROM a JOIN b ON a.k = b.k;\n",
             LN_JOIN, TTL);
    r.names[0] = A_COLS;
    r.names[1] = B_COLS;
    assert_false(r.n->interval);
    struct inst x;
    inst_open(&x, &r, NULL, 0);
    tick(&x, 100);
    push(&x, 0, "+I 1 x");
    tick(&x, 105);
    push(&x, 1, "+I 1 p");   /* matching a stored row does not write it */
    expect_out(&x, "+I[1, x, 1, p]\n");
    if (restore)
        checkpoint_restore(&x);
    tick(&x, 110);   /* x (written at 100) goes */
    assert_int_equal(x.op->expired, 1);
    tick(&x, 111);
    push(&x, 1, "+I 1 q");   /* x no longer matches */
    expect_out(&x, "");
    tick(&x, 112);
    push(&x, 0, "+I 1 y");
    expect_out(&x, "+I[1, y, 1, p]\n+I[1, y, 1, q]\n");
    if (restore)
        checkpoint_restore(&x);
    tick(&x, 115);   /* p (105) goes, q (111) stays under the same key */
    assert_int_equal(x.op->expired, 2);
    tick(&x, 116);
    push(&x, 0, "+I 1 z");
    expect_out(&x, "+I[1, z, 1, q]\n");
    tick(&x, 200);   /* everything */
    assert_int_equal(x.op->state_keys, 0);
    assert_int_equal(x.op->expired, 5);
    inst_close(&x);
    rig_close(&r);
}

static void test_join_row_expires(void **state)
{
    (void)state;
    join_script(false);
}

static void test_join_expiry_after_restore(void **state)
{
    (void)state;
    join_script(true);
}

/* LEFT JOIN: matching a stored left row writes its match count (Flink),
 * which keeps it alive; it expires without its padded row coming back. */
static void test_left_join_match_writes(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r,
             JOIN_SQL "INSERT INTO o SELECT a.k, a.v, b.k, b.w FROM a LEFT JOIN b ON a.k = b.k;\n",
             LN_JOIN, TTL);
    r.names[0] = A_COLS;
    r.names[1] = B_COLS;
    struct inst x;
    inst_open(&x, &r, NULL, 0);
    tick(&x, 100);
    push(&x, 0, "+I 1 x");
    expect_out(&x, "+I[1, x, null, null]\n");
    tick(&x, 108);
    push(&x, 1, "+I 1 p");
    expect_out(&x, "-D[1, x, null, null]\n+I[1, x, 1, p]\n");
    tick(&x, 110);
    assert_int_equal(x.op->expired, 0);   /* x was written at 108 */
    tick(&x, 118);
    assert_int_equal(x.op->expired, 2);
    expect_out(&x, "");
    push(&x, 1, "+I 1 q");
    expect_out(&x, "");
    inst_close(&x);
    rig_close(&r);
}

static void test_join_ttl_zero(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, JOIN_SQL "INSERT INTO o SELECT a.k, a.v, b.k, b.w FROM a JOIN b ON a.k = b.k;\n",
             LN_JOIN, 0);
    r.names[0] = A_COLS;
    r.names[1] = B_COLS;
    struct inst x;
    inst_open(&x, &r, NULL, 0);
    push(&x, 0, "+I 1 x");
    checkpoint_restore(&x);
    push(&x, 1, "+I 1 p");
    expect_out(&x, "+I[1, x, 1, p]\n");
    assert_int_equal(x.op->expired, 0);
    inst_close(&x);
    rig_close(&r);
}

/* ---- temporal join ------------------------------------------------------------------ */

#define TEMPORAL_SQL                                                                        \
    "CREATE TABLE a (k INT, v STRING, t TIMESTAMP(3), WATERMARK FOR t AS t) "               \
    "WITH ('connector' = 'filesystem', 'path' = 'a.csv', 'format' = 'csv');\n"              \
    "CREATE TABLE b (k INT, w STRING, t TIMESTAMP(3), PRIMARY KEY (k) NOT ENFORCED, "       \
    "WATERMARK FOR t AS t) "                                                                \
    "WITH ('connector' = 'filesystem', 'path' = 'b.json', 'format' = 'debezium-json');\n"   \
    "CREATE TABLE o (k INT, v STRING, w STRING) WITH ('connector' = 'print');\n"            \
    "INSERT INTO o SELECT a.k, a.v, b.w FROM a JOIN b FOR SYSTEM_TIME AS OF a.t "           \
    "ON a.k = b.k;\n"

static const char *const TA_COLS[] = {"k", "v", "t", NULL};
static const char *const TB_COLS[] = {"k", "w", "t", NULL};

/* A key neither side wrote for the TTL goes with its versions (a later
 * left row finds none) and its waiting left rows (never emitted); a key
 * written again stays; last writes survive a checkpoint. */
static void temporal_script(bool restore)
{
    struct rig r;
    rig_open(&r, TEMPORAL_SQL, LN_TEMPORAL_JOIN, TTL);
    r.names[0] = TA_COLS;
    r.names[1] = TB_COLS;
    static const int show[] = {0, 1, 4, -1};   /* a.k, a.v, b.w of [a.*, b.*] */
    r.show = show;
    struct inst x;
    inst_open(&x, &r, NULL, 0);
    tick(&x, 100);
    push(&x, 1, "+I 1 p 5|+I 2 q 5|+I 3 s 5");
    tick(&x, 105);
    push(&x, 0, "+I 1 a 10|+I 3 c 30");   /* keys 1 and 3 written at 105 */
    run_step(&r, &x, 1, "W 10");
    expect_out(&x, "+I[1, a, p]\n");
    if (restore)
        checkpoint_restore(&x);
    tick(&x, 110);   /* key 2 (written at 100) goes */
    assert_int_equal(x.op->expired, 1);
    assert_int_equal(x.op->state_keys, 2);
    tick(&x, 111);
    push(&x, 0, "+I 2 b 11");   /* no version of key 2 any more */
    run_step(&r, &x, 1, "W 11");
    expect_out(&x, "");
    tick(&x, 112);
    push(&x, 1, "+U 1 p2 12");   /* key 1 written at 112 */
    if (restore)
        checkpoint_restore(&x);
    tick(&x, 115);   /* key 3 (105) goes, its waiting left row c with it */
    assert_int_equal(x.op->expired, 2);
    run_step(&r, &x, 1, "W 40");
    expect_out(&x, "");
    tick(&x, 121);
    push(&x, 0, "+I 1 d 20");
    run_step(&r, &x, 1, "W 41");
    expect_out(&x, "+I[1, d, p2]\n");
    tick(&x, 200);   /* everything */
    assert_int_equal(x.op->state_keys, 0);
    assert_int_equal(x.op->expired, 3);
    inst_close(&x);
    rig_close(&r);
}

static void test_temporal_key_expires(void **state)
{
    (void)state;
    temporal_script(false);
}

static void test_temporal_expiry_after_restore(void **state)
{
    (void)state;
    temporal_script(true);
}

/* ---- deduplication ------------------------------------------------------------------- */

#define BIDS_SQL                                                                            \
    "CREATE TABLE b (k INT, item STRING, pt AS PROCTIME()) WITH ('connector' = "            \
    "'filesystem', 'path' = 'b.csv', 'format' = 'csv');\n"                                  \
    "CREATE TABLE o (k INT, item STRING) WITH ('connector' = 'print');\n"                   \
    "INSERT INTO o SELECT k, item FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k "       \
    "ORDER BY pt) AS rn FROM b) WHERE rn = 1;\n"

static const char *const BID_COLS[] = {"k", "item", "pt", NULL};

static void dedup_script(bool restore)
{
    struct rig r;
    rig_open(&r, BIDS_SQL, LN_RANK, TTL);
    r.names[0] = BID_COLS;
    assert_true(r.n->dedup);
    struct inst x;
    inst_open(&x, &r, NULL, 0);
    tick(&x, 100);
    push(&x, 0, "+I 1 a 100|+I 2 m 100");
    tick(&x, 105);
    push(&x, 0, "+I 1 b 105");   /* keep-first ignores it: no write */
    if (restore)
        checkpoint_restore(&x);
    tick(&x, 109);
    push(&x, 0, "+I 1 c 109");
    assert_int_equal(x.op->expired, 0);
    tick(&x, 110);
    assert_int_equal(x.op->expired, 2);
    assert_int_equal(x.op->state_keys, 0);
    push(&x, 0, "+I 1 d 110|+I 1 e 110");
    tick(&x, 200);
    assert_int_equal(x.op->expired, 3);
    /* rows print with the rank column's slot after the input's */
    const char *got = x.cap.own.buf;
    assert_non_null(strstr(got, "+I[1, a"));
    assert_non_null(strstr(got, "+I[2, m"));
    assert_non_null(strstr(got, "+I[1, d"));
    assert_null(strstr(got, "[1, b"));
    assert_null(strstr(got, "[1, c"));
    assert_null(strstr(got, "[1, e"));
    inst_close(&x);
    rig_close(&r);
}

static void test_dedup_keep_first_expires(void **state)
{
    (void)state;
    dedup_script(false);
}

static void test_dedup_expiry_after_restore(void **state)
{
    (void)state;
    dedup_script(true);
}

/* State due but not yet dropped by the timer is absent when its key comes
 * again (NeverReturnExpired): on the wall clock, with no tick in between. */
static void test_expired_on_access(void **state)
{
    (void)state;
    struct rig r;
    struct inst x;
    rig_open(&r, GROUP_SQL, LN_GROUP_AGG, 1000);
    r.names[0] = GROUP_COLS;
    r.real_clock = true;
    inst_open(&x, &r, NULL, 0);
    push(&x, 0, "+I 1 5");
    usleep(5000);
    push(&x, 0, "+I 1 1");
    expect_out(&x, "+I[1, 1, 5]\n+I[1, 1, 1]\n");
    assert_int_equal(x.op->expired, 1);
    inst_close(&x);
    rig_close(&r);

    rig_open(&r, JOIN_SQL "INSERT INTO o SELECT a.k, a.v, b.k, b.w FROM a JOIN b ON a.k = b.k;\n",
             LN_JOIN, 1000);
    r.names[0] = A_COLS;
    r.names[1] = B_COLS;
    r.real_clock = true;
    inst_open(&x, &r, NULL, 0);
    push(&x, 0, "+I 1 x");
    usleep(5000);
    push(&x, 1, "+I 1 p");
    expect_out(&x, "");
    assert_int_equal(x.op->expired, 1);
    inst_close(&x);
    rig_close(&r);

    rig_open(&r, BIDS_SQL, LN_RANK, 1000);
    r.names[0] = BID_COLS;
    r.real_clock = true;
    inst_open(&x, &r, NULL, 0);
    push(&x, 0, "+I 1 a 0");
    usleep(5000);
    push(&x, 0, "+I 1 b 0");
    assert_non_null(strstr(x.cap.own.buf, "+I[1, b"));
    assert_int_equal(x.op->expired, 1);
    inst_close(&x);
    rig_close(&r);
}

/* ---- the option ---------------------------------------------------------------------- */

static void test_parse(void **state)
{
    (void)state;
    struct weir_error err = {0};
    int64_t us;
    assert_int_equal(op_ttl_parse(NULL, &us, &err), WEIR_OK);
    assert_int_equal(us, 0);
    assert_int_equal(op_ttl_parse("1 h", &us, &err), WEIR_OK);
    assert_int_equal(us, 3600 * SEC);
    assert_int_equal(op_ttl_parse("10 min", &us, &err), WEIR_OK);
    assert_int_equal(us, 600 * SEC);
    assert_int_equal(op_ttl_parse("500 ms", &us, &err), WEIR_OK);
    assert_int_equal(us, 500000);
    assert_int_equal(op_ttl_parse("0", &us, &err), WEIR_OK);
    assert_int_equal(us, 0);
    assert_int_equal(op_ttl_parse("soon", &us, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "'10 min'"));
    err_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_expires),
        cmocka_unit_test(test_group_expiry_after_restore),
        cmocka_unit_test(test_group_ttl_zero),
        cmocka_unit_test(test_join_row_expires),
        cmocka_unit_test(test_join_expiry_after_restore),
        cmocka_unit_test(test_left_join_match_writes),
        cmocka_unit_test(test_join_ttl_zero),
        cmocka_unit_test(test_dedup_keep_first_expires),
        cmocka_unit_test(test_dedup_expiry_after_restore),
        cmocka_unit_test(test_expired_on_access),
        cmocka_unit_test(test_temporal_key_expires),
        cmocka_unit_test(test_temporal_expiry_after_restore),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
