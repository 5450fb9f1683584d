/*
 * test_plan.c — unit tests for the binder, the rewrites and the vectorised
 * evaluator: scripts are compiled with plan_compile/plan_optimize, then the
 * plan's shape is checked and its expressions are evaluated on batches built
 * by hand (three-valued logic, lazy CASE/AND, LIKE, IN, arithmetic).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "exec/expr.h"
#include "sql/plan.h"

#define SRC "CREATE TABLE t (a INT, b STRING, c DOUBLE, d DECIMAL(10, 2), e BIGINT) " \
            "WITH ('connector' = 'datagen');\n"                                       \
            "CREATE TABLE o (x STRING) WITH ('connector' = 'blackhole');\n"

static int compile(struct job_plan *p, const char *sql, struct weir_error *err)
{
    memset(err, 0, sizeof(*err));
    err->loc = WEIR_LOC_NONE;
    int rc = plan_compile(p, "t.sql", sql, err);
    if (rc == WEIR_OK)
        rc = plan_optimize(p, err);
    return rc;
}

/* The single calc feeding sink 0 (after rewrites). */
static struct lnode *sink_calc(struct job_plan *p)
{
    struct lnode *c = p->sinks[0]->inputs[0];
    assert_int_equal(c->kind, LN_CALC);
    return c;
}

static void test_pushdown_and_merge(void **state)
{
    (void)state;
    struct job_plan p;
    struct weir_error err;
    const char *sql = SRC
        "CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1;\n"
        "INSERT INTO o SELECT b FROM (SELECT * FROM v WHERE b <> 'x');\n";
    assert_int_equal(compile(&p, sql, &err), WEIR_OK);
    struct lnode *c = sink_calc(&p);
    /* view, subquery, select and insert cast merged into one calc over the scan */
    assert_int_equal(c->inputs[0]->kind, LN_SCAN);
    assert_non_null(c->filter);
    assert_int_equal(c->inputs[0]->n_proj, 2);   /* a and b only */
    assert_true(p.n_merged >= 3);
    assert_non_null(strstr(p.rewrites.buf, "t reads 2 of 5 columns"));
    plan_free(&p);
}

static void test_shared_source(void **state)
{
    (void)state;
    struct job_plan p;
    struct weir_error err;
    const char *sql = SRC
        "CREATE TABLE o2 (y BIGINT) WITH ('connector' = 'blackhole');\n"
        "EXECUTE STATEMENT SET BEGIN\n"
        "INSERT INTO o SELECT b FROM t;\n"
        "INSERT INTO o2 SELECT e FROM t WHERE c > 0;\n"
        "END;\n";
    assert_int_equal(compile(&p, sql, &err), WEIR_OK);
    assert_int_equal(p.n_sinks, 2);
    struct lnode *s1 = p.sinks[0]->inputs[0]->inputs[0];
    struct lnode *s2 = p.sinks[1]->inputs[0]->inputs[0];
    assert_int_equal(s1->kind, LN_SCAN);
    /* both scans read the same union of columns: b, c, e */
    assert_int_equal(s1->n_proj, 3);
    assert_int_equal(s2->n_proj, 3);
    assert_memory_equal(s1->proj, s2->proj, 3 * sizeof(int));
    assert_non_null(strstr(p.rewrites.buf, "shared by 2 readers"));
    plan_free(&p);
}

static void test_errors_point_at_culprit(void **state)
{
    (void)state;
    static const struct {
        const char *sql;
        int code;
        const char *msg_part;
        const char *at;     /* the text the error location starts at */
    } cases[] = {
        {SRC "INSERT INTO o SELECT bb FROM t;", WEIR_ERR_BIND, "did you mean 'b'?", "bb FROM"},
        {SRC "INSERT INTO o SELECT b FROM nope;", WEIR_ERR_BIND, "'nope' not found", "nope;"},
        {SRC "INSERT INTO o SELECT UPPERR(b) FROM t;", WEIR_ERR_BIND, "did you mean UPPER?", "UPPERR"},
        {SRC "INSERT INTO o SELECT b FROM t WHERE a = TRUE;", WEIR_ERR_BIND,
         "cannot apply '=' to INT and BOOLEAN", "a = TRUE"},
        {SRC "INSERT INTO o SELECT a FROM t;", WEIR_ERR_BIND, "cannot be written to column 'x' STRING",
         "SELECT a"},
        {SRC "INSERT INTO o SELECT b, a FROM t;", WEIR_ERR_BIND, "produces 2 columns but the table has 1",
         "SELECT b, a"},
        {SRC "INSERT INTO o SELECT b FROM t ORDER BY b;", WEIR_ERR_UNSUPPORTED,
         "ORDER BY / LIMIT on a stream", "b;"},
        {SRC "INSERT INTO o SELECT CAST(a AS TIMESTAMP(3)) FROM t;", WEIR_ERR_BIND,
         "use TO_TIMESTAMP_LTZ", "CAST(a"},
        {"CREATE TABLE z (a INT) WITH ('connector' = 'kafkaa');", WEIR_ERR_CONFIG,
         "unknown connector 'kafkaa'; available: datagen", "'kafkaa'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct job_plan p;
        struct weir_error err;
        int rc = compile(&p, cases[i].sql, &err);
        if (rc != cases[i].code || strstr(err.message, cases[i].msg_part) == NULL)
            fail_msg("case %zu: rc %d, message '%s'", i, rc, err.message);
        const char *want = strstr(cases[i].sql, cases[i].at);
        if (want == NULL || err.loc.offset != (int)(want - cases[i].sql))
            fail_msg("case %zu: error at offset %d, expected at '%s' (%d)", i, err.loc.offset,
                     cases[i].at, want ? (int)(want - cases[i].sql) : -1);
        err_clear(&err);
        plan_free(&p);
    }
}

/* ---- evaluation on hand-made batches -------------------------------------------- */

struct evalrig {
    struct job_plan p;
    struct batch *b;
    struct arena arena;
    struct eval_ctx ctx;
};

/* Compiles `INSERT INTO o SELECT <expr> FROM t` (o takes a STRING, so the
 * expression is rendered via CAST(... AS STRING)) and fills a batch with the
 * scan's columns: a = {1, NULL, 3, 0}, b = {'apple', 'b_x', NULL, '%'}. */
static void rig_open(struct evalrig *r, const char *expr)
{
    char sql[2048];
    snprintf(sql, sizeof sql, SRC "INSERT INTO o SELECT CAST(%s AS STRING) FROM t;", expr);
    struct weir_error err;
    if (compile(&r->p, sql, &err) != WEIR_OK)
        fail_msg("compile '%s': %s", expr, err.message);
    struct lnode *scan = sink_calc(&r->p)->inputs[0];
    r->b = batch_new(scan->n_out, scan->out_types);
    r->b->n = 4;
    for (int c = 0; c < scan->n_out; c++) {
        struct vec *v = &r->b->cols[c];
        if (strcmp(scan->out_names[c], "a") == 0) {
            int64_t a[] = {1, 0, 3, 0};
            memcpy(v->i64, a, sizeof a);
            vec_set_null(v, 1);
        } else if (strcmp(scan->out_names[c], "b") == 0) {
            const char *s[] = {"apple", "b_x", NULL, "%"};
            for (int i = 0; i < 4; i++)
                if (s[i])
                    vec_set_str(v, i, s[i], strlen(s[i]));
                else
                    vec_set_null(v, i);
        }
    }
    arena_init(&r->arena, 4096);
    r->ctx = (struct eval_ctx){&r->arena, 0};
}

static void rig_close(struct evalrig *r)
{
    struct lnode *c = sink_calc(&r->p);
    expr_free_scratch(c->exprs[0]);
    expr_free_scratch(c->filter);
    batch_free(r->b);
    arena_free(&r->arena);
    plan_free(&r->p);
}

/* Evaluates and renders the 4 rows as "v1|v2|v3|v4" (null for NULL). */
static void expect_rows(const char *expr, const char *want)
{
    struct evalrig r;
    rig_open(&r, expr);
    const struct vec *out;
    struct weir_error err = {0};
    err.loc = WEIR_LOC_NONE;
    if (expr_eval(sink_calc(&r.p)->exprs[0], &r.ctx, r.b, &out, &err) != WEIR_OK)
        fail_msg("eval '%s': %s", expr, err.message);
    char got[512] = "";
    for (int i = 0; i < 4; i++) {
        if (i)
            strcat(got, "|");
        if (vec_is_null(out, i))
            strcat(got, "null");
        else
            strncat(got, out->s[i].ptr, out->s[i].len);
    }
    if (strcmp(got, want) != 0)
        fail_msg("'%s': got %s, want %s", expr, got, want);
    rig_close(&r);
}

static void test_eval_semantics(void **state)
{
    (void)state;
    expect_rows("a + 1", "2|null|4|1");
    expect_rows("a / 2", "0|null|1|0");                 /* integer division */
    expect_rows("-7 % 3 + a - a", "-1|null|-1|-1");     /* sign of the dividend */
    expect_rows("a > 1 OR b = 'apple'", "TRUE|null|TRUE|FALSE");
    expect_rows("a > 1 AND b = 'apple'", "FALSE|FALSE|null|FALSE");
    expect_rows("a IS NULL", "FALSE|TRUE|FALSE|FALSE");
    expect_rows("a IN (1, NULL)", "TRUE|null|null|null");
    expect_rows("a NOT IN (3, 4)", "TRUE|null|FALSE|TRUE");
    expect_rows("b LIKE 'a%'", "TRUE|FALSE|null|FALSE");
    expect_rows("b LIKE 'b!_%' ESCAPE '!'", "FALSE|TRUE|null|FALSE");
    expect_rows("b LIKE '_p%e'", "TRUE|FALSE|null|FALSE");
    expect_rows("COALESCE(b, 'none')", "apple|b_x|none|%");
    expect_rows("CASE WHEN a = 0 THEN 'zero' WHEN a > 2 THEN 'big' END", "null|null|big|zero");
    expect_rows("NULLIF(a, 3)", "1|null|null|0");
    expect_rows("a BETWEEN 1 AND 3", "TRUE|null|TRUE|FALSE");
    expect_rows("d * 2 + 0.5", "0.50|0.50|0.50|0.50");   /* d holds 0.00 in every row */
    expect_rows("-2147483648 + a - a", "-2147483648|null|-2147483648|-2147483648");
}

/* Branches run only on the rows that take them: no division by zero here. */
static void test_eval_lazy_branches(void **state)
{
    (void)state;
    expect_rows("CASE WHEN a <> 0 THEN 10 / a ELSE -1 END", "10|-1|3|-1");   /* NULL condition: ELSE */
    expect_rows("a <> 0 AND 10 / a > 3", "TRUE|null|FALSE|FALSE");
    expect_rows("IF(a = 0, 0, 6 / a)", "6|null|2|0");
}

static void test_eval_runtime_error(void **state)
{
    (void)state;
    struct evalrig r;
    rig_open(&r, "10 / a");
    const struct vec *out;
    struct weir_error err = {0};
    err.loc = WEIR_LOC_NONE;
    assert_int_equal(expr_eval(sink_calc(&r.p)->exprs[0], &r.ctx, r.b, &out, &err),
                     WEIR_ERR_RUNTIME);
    assert_string_equal(err.message, "division by zero");
    err_clear(&err);
    rig_close(&r);
}

static void test_constant_folding(void **state)
{
    (void)state;
    struct job_plan p;
    struct weir_error err;
    assert_int_equal(compile(&p, SRC "INSERT INTO o SELECT CAST(1 + 2 * 3 AS STRING) || b FROM t;",
                             &err), WEIR_OK);
    const struct expr *e = sink_calc(&p)->exprs[0];
    /* CAST(7 AS STRING) became the literal '7' */
    assert_int_equal(e->kind, EX_OP);
    assert_int_equal(e->args[0]->kind, EX_LITERAL);
    assert_memory_equal(e->args[0]->lit.s.ptr, "7", 1);
    assert_true(p.n_folded >= 1);
    plan_free(&p);
    /* a failing constant is left for run time, as Flink does */
    assert_int_equal(compile(&p, SRC "INSERT INTO o SELECT CAST(1 / 0 AS STRING) FROM t;", &err),
                     WEIR_OK);
    assert_int_not_equal(sink_calc(&p)->exprs[0]->kind, EX_LITERAL);
    plan_free(&p);
}

/* ---- set operations and subqueries: the plans Flink's rules make ------------------- */

#define SRC2 "CREATE TABLE t (a INT, b STRING, c DOUBLE, d DECIMAL(10, 2), e BIGINT) " \
             "WITH ('connector' = 'datagen');\n"                                       \
             "CREATE TABLE t2 (k INT NOT NULL, a INT, b STRING, e BIGINT) "             \
             "WITH ('connector' = 'datagen');\n"

/* The optimized logical plan of a bare query, without its first (Sink) line. */
static void expect_plan(const char *query, const char *want)
{
    struct job_plan p;
    struct weir_error err;
    char sql[1024];
    snprintf(sql, sizeof sql, SRC2 "%s;\n", query);
    if (compile(&p, sql, &err) != WEIR_OK)
        fail_msg("%s: %s", query, err.message);
    struct strbuf sb = {0};
    plan_explain_logical(&p, &sb);
    const char *got = strchr(sb.buf, '\n') + 1;
    if (strcmp(got, want) != 0)
        fail_msg("%s\n--- expected\n%s--- got\n%s", query, want, got);
    sb_free(&sb);
    plan_free(&p);
}

/* A join stores only the columns its keys, residual and consumer read: the
 * Calcs under it are pruned, through a Calc between two joins too, and the
 * consumer's references follow the narrower rows (MAX($8) reads x.e). */
static void test_join_pruning(void **state)
{
    (void)state;
    expect_plan("SELECT t.c, MAX(x.e) FROM t JOIN (SELECT * FROM t2) x ON t.a = x.a AND t.e < x.e "
                "GROUP BY t.c",
                "+- GroupAggregate(groupBy=[c], select=[MAX($8)])\n"
                "   +- Join(joinType=[InnerJoin], where=[a = a AND (e < e)])\n"
                "      +- Calc(select=[a, c, e])\n"
                "         +- Scan(table=[t], connector=[datagen], fields=[a, c, e])\n"
                "      +- Calc(select=[a, e])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[a, e])\n");
    expect_plan("SELECT y.b, y.k2 FROM (SELECT t.b, x.k AS k2, t.e FROM t JOIN t2 x ON t.a = x.k) y "
                "JOIN t2 z ON y.e = z.e",
                "+- Calc(select=[b, k2])\n"
                "   +- Join(joinType=[InnerJoin], where=[e = e])\n"
                "      +- Calc(select=[b, k AS k2, e])\n"
                "         +- Join(joinType=[InnerJoin], where=[a = k])\n"
                "            +- Calc(select=[a, b, e])\n"
                "               +- Scan(table=[t], connector=[datagen], fields=[a, b, e])\n"
                "            +- Calc(select=[k])\n"
                "               +- Scan(table=[t2], connector=[datagen], fields=[k, e])\n"
                "      +- Calc(select=[e])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[k, e])\n");
}

/* The join under a query's sink (through Calcs). */
static const struct lnode *join_of(const struct job_plan *p)
{
    const struct lnode *n = p->sinks[0]->inputs[0];
    while (n && n->kind == LN_CALC)
        n = n->inputs[0];
    assert_non_null(n);
    assert_int_equal(n->kind, LN_JOIN);
    return n;
}

/* A regular join bounded by a window aggregation's window_end (Nexmark q7):
 * an inner join's WHERE becomes part of its condition, and the side whose
 * time the bound limits expires; a raw rowtime on the other side does not
 * (its rows can be late), nor does an updating input, a processing-time
 * window, or a bound the wrong way round. */
static void test_bounded_join(void **state)
{
    (void)state;
    static const char *const tables =
        "CREATE TABLE b (a INT, p BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '4' "
        "SECOND) WITH ('connector' = 'datagen');\n";
#define MAXP_SIDE(win)                                                                      \
    "(SELECT MAX(p) AS m, window_end AS we FROM TABLE(" win ") GROUP BY window_start, "       \
    "window_end)"
#define TUMBLE_B "TUMBLE(TABLE b, DESCRIPTOR(ts), INTERVAL '10' SECOND)"
    static const struct {
        const char *query;
        bool left, right;
    } cases[] = {
        /* q7: WHERE holds the bound */
        {"SELECT b.a FROM b JOIN " MAXP_SIDE(TUMBLE_B) " x ON b.p = x.m WHERE b.ts BETWEEN "
         "x.we - INTERVAL '10' SECOND AND x.we", true, false},
        /* one bound is enough: b.ts >= x.we - 10 s */
        {"SELECT b.a FROM b JOIN " MAXP_SIDE(TUMBLE_B) " x ON b.p = x.m AND "
         "b.ts + INTERVAL '10' SECOND >= x.we", true, false},
        /* the other bound limits nothing: x.we is ahead of the watermark anyway */
        {"SELECT b.a FROM b JOIN " MAXP_SIDE(TUMBLE_B) " x ON b.p = x.m AND b.ts <= x.we",
         false, false},
        /* mirrored sides */
        {"SELECT x.m FROM " MAXP_SIDE(TUMBLE_B) " x, b WHERE b.p = x.m AND "
         "b.ts BETWEEN x.we - INTERVAL '10' SECOND AND x.we", false, true},
        /* a LEFT join's WHERE filters its output: not a bound */
        {"SELECT b.a FROM b LEFT JOIN " MAXP_SIDE(TUMBLE_B) " x ON b.p = x.m WHERE b.ts BETWEEN "
         "x.we - INTERVAL '10' SECOND AND x.we", false, false},
        /* two raw rowtimes with one bound: rows of either side can be late */
        {"SELECT b.a FROM b JOIN b c ON b.a = c.a AND b.ts >= c.ts", false, false},
        /* an updating side */
        {"SELECT y.a FROM (SELECT a, MAX(ts) AS ts FROM b GROUP BY a) y JOIN "
         MAXP_SIDE(TUMBLE_B) " x ON y.a = x.m AND y.ts >= x.we - INTERVAL '10' SECOND",
         false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct job_plan p;
        struct weir_error err;
        char sql[2048];
        snprintf(sql, sizeof sql, "%s%s;\n", tables, cases[i].query);
        if (compile(&p, sql, &err) != WEIR_OK)
            fail_msg("%s: %s", cases[i].query, err.message);
        const struct lnode *j = join_of(&p);
        if (j->bounded[0] != cases[i].left || j->bounded[1] != cases[i].right || j->interval)
            fail_msg("%s: bounded %d %d, interval %d", cases[i].query, j->bounded[0],
                     j->bounded[1], j->interval);
        if (i == 0) {
            assert_int_equal(j->lower, -10000000);
            assert_int_equal(j->upper, 0);
            assert_non_null(j->residual);   /* the WHERE went into the join */
        }
        plan_free(&p);
    }
#undef MAXP_SIDE
#undef TUMBLE_B
}

/* A condition on one side of a join filters that input unless the side is
 * preserved (an outer join's padded rows depend on it); conditions over both
 * sides, or nondeterministic ones, stay in the join. */
static void test_join_filter_pushdown(void **state)
{
    (void)state;
    expect_plan("SELECT t.b, x.e FROM t JOIN t2 x ON t.a = x.a AND x.b <> 'z' WHERE t.c > 1 "
                "AND t.e + x.e > 2 AND x.k > RAND()",
                "+- Calc(select=[b, e])\n"
                "   +- Join(joinType=[InnerJoin], where=[a = a AND (((e + e) > 2) AND "
                "(CAST(k AS DOUBLE NOT NULL) > RAND()))])\n"
                "      +- Calc(where=[(c > 1)], select=[a, b, e])\n"
                "         +- Scan(table=[t], connector=[datagen], fields=[a, b, c, e])\n"
                "      +- Calc(where=[(b <> 'z')], select=[k, a, e])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[k, a, b, e])\n");
    expect_plan("SELECT t.b, x.e FROM t LEFT JOIN t2 x ON t.a = x.a AND x.b <> 'z' AND t.c > 1",
                "+- Calc(select=[b, e])\n"
                "   +- Join(joinType=[LeftOuterJoin], where=[a = a AND (c > 1)])\n"
                "      +- Calc(select=[a, b, c])\n"
                "         +- Scan(table=[t], connector=[datagen], fields=[a, b, c])\n"
                "      +- Calc(where=[(b <> 'z')], select=[a, e])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[a, b, e])\n");
    expect_plan("SELECT t.b FROM t FULL JOIN t2 x ON t.a = x.a AND x.b <> 'z' AND t.c > 1",
                "+- Calc(select=[b])\n"
                "   +- Join(joinType=[FullOuterJoin], where=[a = a AND ((b <> 'z') AND "
                "(c > 1))])\n"
                "      +- Calc(select=[a, b, c])\n"
                "         +- Scan(table=[t], connector=[datagen], fields=[a, b, c])\n"
                "      +- Calc(select=[a, b])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[a, b])\n");
}

/* The window aggregation under (left calc, right calc (max)) of a join: the
 * node a join side reads through its Calc, and, on the right, through the
 * outer aggregation's Calc too. */
static const struct lnode *agg_under(const struct lnode *n)
{
    for (int d = 0; d < 8 && n; d++) {
        if (n->kind == LN_WINDOW_AGG && !n->win.assigned)
            return n;
        n = n->n_inputs ? n->inputs[0] : NULL;
    }
    return NULL;
}

/* Sub-plan reuse: q5's two identical HOP aggregations become one node read
 * by both join sides (with their scan and Calc); a nondeterministic call
 * keeps subtrees apart. */
static void test_subplan_reuse(void **state)
{
    (void)state;
#define Q5_SIDE(where)                                                                      \
    "SELECT a, COUNT(*) AS num, window_start AS ws, window_end AS we "                       \
    "FROM TABLE(HOP(TABLE b, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND)) "    \
    where " GROUP BY a, window_start, window_end"
    static const char *const tables =
        "CREATE TABLE b (a INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) "
        "WITH ('connector' = 'datagen');\n";
    struct job_plan p;
    struct weir_error err;
    char sql[2048];
    snprintf(sql, sizeof sql, "%sSELECT x.a FROM (" Q5_SIDE("") ") x JOIN (SELECT MAX(num) AS m, "
             "ws, we FROM (" Q5_SIDE("") ") GROUP BY ws, we) y ON x.ws = y.ws AND x.we = y.we "
             "AND x.num >= y.m;\n", tables);
    if (compile(&p, sql, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    const struct lnode *j = p.sinks[0]->inputs[0]->inputs[0];
    assert_int_equal(j->kind, LN_JOIN);
    assert_true(j->window);
    const struct lnode *l = agg_under(j->inputs[0]), *r = agg_under(j->inputs[1]);
    assert_non_null(l);
    assert_ptr_equal(l, r);
    assert_non_null(strstr(p.rewrites.buf, "sub-plan reuse: 3 nodes"));
    plan_free(&p);
    /* RAND() in the rows' filter: two different computations */
    snprintf(sql, sizeof sql, "%sSELECT x.a FROM (" Q5_SIDE("WHERE RAND() < 2") ") x "
             "JOIN (SELECT MAX(num) AS m, ws, we FROM (" Q5_SIDE("WHERE RAND() < 2")
             ") GROUP BY ws, we) y ON x.ws = y.ws AND x.we = y.we AND x.num >= y.m;\n", tables);
    if (compile(&p, sql, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    j = p.sinks[0]->inputs[0]->inputs[0];
    assert_true(agg_under(j->inputs[0]) != agg_under(j->inputs[1]));
    plan_free(&p);
#undef Q5_SIDE
}

static void test_setop_plans(void **state)
{
    (void)state;
    /* UNION: a distinct aggregate over UNION ALL (UnionToDistinctRule) */
    expect_plan("SELECT a, b FROM t UNION SELECT a, b FROM t2",
                "+- GroupAggregate(groupBy=[a, b], select=[])\n"
                "   +- Union(all=[true], inputs=[2])\n"
                "      +- Calc(select=[a, b])\n"
                "         +- Scan(table=[t], connector=[datagen], fields=[a, b])\n"
                "      +- Calc(select=[a, b])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[a, b])\n");
    /* INTERSECT / EXCEPT: a distinct aggregate over a null-safe semi / anti
     * join; both sides cast to the common type */
    expect_plan("SELECT a FROM t INTERSECT SELECT e FROM t2",
                "+- GroupAggregate(groupBy=[a], select=[])\n"
                "   +- Join(joinType=[LeftSemiJoin], where=[a IS NOT DISTINCT FROM e])\n"
                "      +- Calc(select=[CAST(a AS BIGINT) AS a])\n"
                "         +- Scan(table=[t], connector=[datagen], fields=[a])\n"
                "      +- Calc(select=[e])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[e])\n");
    expect_plan("SELECT b FROM t EXCEPT SELECT b FROM t2",
                "+- GroupAggregate(groupBy=[b], select=[])\n"
                "   +- Join(joinType=[LeftAntiJoin], where=[b IS NOT DISTINCT FROM b])\n"
                "      +- Calc(select=[b])\n"
                "         +- Scan(table=[t], connector=[datagen], fields=[b])\n"
                "      +- Calc(select=[b])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[b])\n");
    /* the ALL variants: tagged UNION ALL, counts per row, ReplicateRows */
    expect_plan("SELECT a, b FROM t INTERSECT ALL SELECT a, b FROM t2",
                "+- ReplicateRows(count=[$f0], select=[a, b])\n"
                "   +- Calc(where=[((vcol_left_cnt >= 1) AND (vcol_right_cnt >= 1))], "
                "select=[IF((vcol_left_cnt > vcol_right_cnt), vcol_right_cnt, vcol_left_cnt) "
                "AS $f0, a, b])\n"
                "      +- GroupAggregate(groupBy=[a, b], select=[COUNT(vcol_left_marker), "
                "COUNT(vcol_right_marker)])\n"
                "         +- Union(all=[true], inputs=[2])\n"
                "            +- Calc(select=[a, b, TRUE AS vcol_left_marker, NULL AS "
                "vcol_right_marker])\n"
                "               +- Scan(table=[t], connector=[datagen], fields=[a, b])\n"
                "            +- Calc(select=[a, b, NULL AS vcol_left_marker, TRUE AS "
                "vcol_right_marker])\n"
                "               +- Scan(table=[t2], connector=[datagen], fields=[a, b])\n");
    expect_plan("SELECT b FROM t EXCEPT ALL SELECT b FROM t2",
                "+- ReplicateRows(count=[sum_vcol_marker], select=[b])\n"
                "   +- Calc(where=[(sum_vcol_marker > 0)], select=[sum_vcol_marker, b])\n"
                "      +- GroupAggregate(groupBy=[b], select=[SUM(vcol_marker)])\n"
                "         +- Union(all=[true], inputs=[2])\n"
                "            +- Calc(select=[b, 1 AS vcol_marker])\n"
                "               +- Scan(table=[t], connector=[datagen], fields=[b])\n"
                "            +- Calc(select=[b, -1 AS vcol_marker])\n"
                "               +- Scan(table=[t2], connector=[datagen], fields=[b])\n");
}

static void test_subquery_plans(void **state)
{
    (void)state;
    /* correlated EXISTS: the equality is the key, the other correlated term
     * the residual, the rest filters the subquery; both sides keep only what
     * the join and the query above it read */
    expect_plan("SELECT b FROM t WHERE EXISTS (SELECT * FROM t2 WHERE t2.a = t.a AND "
                "t2.b <> t.b AND t2.e > 0)",
                "+- Calc(select=[b])\n"
                "   +- Join(joinType=[LeftSemiJoin], where=[a = a AND (b <> b)])\n"
                "      +- Calc(select=[a, b])\n"
                "         +- Scan(table=[t], connector=[datagen], fields=[a, b])\n"
                "      +- Calc(where=[(e > 0)], select=[a, b])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[a, b, e])\n");
    /* NOT IN over nullable columns: the null-aware condition stays in the
     * residual, next to the correlation key */
    expect_plan("SELECT b FROM t WHERE a NOT IN (SELECT a FROM t2 WHERE t2.b = t.b)",
                "+- Calc(select=[b])\n"
                "   +- Join(joinType=[LeftAntiJoin], where=[b = b AND ((a IS NULL) OR (a IS "
                "NULL) OR (a = a))])\n"
                "      +- Calc(select=[a, b])\n"
                "         +- Scan(table=[t], connector=[datagen], fields=[a, b])\n"
                "      +- Calc(select=[b, a])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[a, b])\n");
    /* NOT IN over NOT NULL columns is a plain keyed anti join */
    expect_plan("SELECT b FROM t2 WHERE k NOT IN (SELECT k FROM t2 AS x WHERE x.e > 1)",
                "+- Calc(select=[b])\n"
                "   +- Join(joinType=[LeftAntiJoin], where=[k = k])\n"
                "      +- Calc(select=[k, b])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[k, b, e])\n"
                "      +- Calc(where=[(e > 1)], select=[k])\n"
                "         +- Scan(table=[t2], connector=[datagen], fields=[k, b, e])\n");
    /* uncorrelated (NOT) EXISTS: the subquery reduced to MIN(TRUE), no key */
    expect_plan("SELECT b FROM t WHERE NOT EXISTS (SELECT 1 FROM t2 WHERE e > 5)",
                "+- Calc(select=[b])\n"
                "   +- Join(joinType=[LeftAntiJoin], where=[true])\n"
                "      +- Calc(select=[b])\n"
                "         +- Scan(table=[t], connector=[datagen], fields=[b])\n"
                "      +- Calc(where=[(m IS NOT NULL)], select=[m])\n"
                "         +- GroupAggregate(groupBy=[], select=[MIN(i)])\n"
                "            +- Calc(where=[(e > 5)], select=[TRUE AS i])\n"
                "               +- Scan(table=[t2], connector=[datagen], fields=[e])\n");
    /* the anti join's output updates (a match arriving retracts a row); a
     * semi join of insert-only inputs does not */
    struct job_plan p;
    struct weir_error err;
    assert_int_equal(compile(&p, SRC2 "SELECT b FROM t WHERE a IN (SELECT a FROM t2);\n"
                                      "SELECT b FROM t WHERE a NOT IN (SELECT k FROM t2);\n",
                             &err),
                     WEIR_OK);
    assert_false(plan_updating(p.sinks[0]->inputs[0]));
    assert_true(plan_updating(p.sinks[1]->inputs[0]));
    plan_free(&p);
}

static void test_over_plans(void **state)
{
    (void)state;
    /* several aggregates over one named window share one OverAggregate; the
     * WHERE filters below it; its output is insert-only */
    struct job_plan p;
    struct weir_error err;
    const char *sql =
        "CREATE TABLE ev (k INT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) "
        "WITH ('connector' = 'datagen');\n"
        "SELECT k, SUM(v) OVER w AS s, COUNT(*) OVER w AS n FROM ev WHERE v > 0 "
        "WINDOW w AS (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING "
        "AND CURRENT ROW);\n";
    if (compile(&p, sql, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    struct strbuf sb = {0};
    plan_explain_logical(&p, &sb);
    const char *want =
        "+- Calc(select=[k, w0$o0 AS s, w0$o1 AS n])\n"
        "   +- OverAggregate(partitionBy=[k], orderBy=[ts ASC], window=[RANGE BETWEEN "
        "INTERVAL '+0 00:01:00.000' PRECEDING AND CURRENT ROW], select=[SUM(v), COUNT(*)])\n"
        "      +- Calc(where=[(v > 0)], select=[k, v, ts])\n"
        "         +- Scan(table=[ev], connector=[datagen], fields=[k, v, ts], "
        "watermark=[ts])\n";
    const char *got = strchr(sb.buf, '\n') + 1;
    if (strcmp(got, want) != 0)
        fail_msg("--- expected\n%s--- got\n%s", want, got);
    struct lnode *over = p.sinks[0]->inputs[0]->inputs[0];
    assert_int_equal(over->kind, LN_OVER);
    assert_false(over->over_rows);
    assert_int_equal(over->over_preceding, 60000000);
    assert_int_equal(over->n_aggs, 2);
    assert_false(plan_updating(over));
    sb_free(&sb);
    plan_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pushdown_and_merge),
        cmocka_unit_test(test_shared_source),
        cmocka_unit_test(test_errors_point_at_culprit),
        cmocka_unit_test(test_eval_semantics),
        cmocka_unit_test(test_eval_lazy_branches),
        cmocka_unit_test(test_eval_runtime_error),
        cmocka_unit_test(test_constant_folding),
        cmocka_unit_test(test_join_pruning),
        cmocka_unit_test(test_bounded_join),
        cmocka_unit_test(test_join_filter_pushdown),
        cmocka_unit_test(test_subplan_reuse),
        cmocka_unit_test(test_setop_plans),
        cmocka_unit_test(test_subquery_plans),
        cmocka_unit_test(test_over_plans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
