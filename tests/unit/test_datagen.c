/*
 * test_datagen.c — the datagen source: sequences split over subtasks and
 * ending the table, random bounds, null-rate, reproducibility run to run and
 * after seek, number-of-rows, and its validation errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/mem.h"

static struct opt_set *opts_for(int n, const char **kv)
{
    const char *keys[24], *vals[24];
    keys[0] = "connector";
    vals[0] = "datagen";
    for (int i = 0; i < n; i++)
        keys[i + 1] = kv[2 * i], vals[i + 1] = kv[2 * i + 1];
    struct opt_set *o = NULL;
    struct weir_error err = {0};
    if (conn_validate(conn_lookup("datagen"), NULL, "gen", n + 1, keys, vals, true, &o,
                      &err) != WEIR_OK)
        fail_msg("%s", err.message);
    return o;
}

static const char *names[] = {"id", "v", "s", "ts"};

/* Runs a datagen table to the end (or max rows) into b. */
static int run(struct table_ctx *t, struct batch *b, int max_polls)
{
    struct source *src;
    struct weir_error err = {0};
    assert_int_equal(conn_lookup("datagen")->source_create(t, &src, &err), WEIR_OK);
    assert_int_equal(src->ops->open(src, &err), WEIR_OK);
    int rc = WEIR_OK;
    for (int i = 0; i < max_polls && rc != WEIR_DONE; i++) {
        rc = src->ops->poll(src, b, &err);
        assert_true(rc == WEIR_OK || rc == WEIR_DONE);
    }
    src->ops->close(src);
    return rc;
}

static void test_sequence_split(void **state)
{
    (void)state;
    const char *kv[] = {"fields.id.kind", "sequence", "fields.id.start", "1",
                        "fields.id.end", "10", "rows-per-second", "0"};
    struct opt_set *o = opts_for(4, kv);
    const struct sql_type *types[] = {&type_bigint, &type_int};
    int seen[11] = {0};
    for (int s = 0; s < 3; s++) {
        struct table_ctx t = {.table_name = "gen", .n_cols = 2, .col_names = names,
                              .col_types = types, .opts = o, .subtask = s,
                              .parallelism = 3};
        struct batch *b = batch_new(2, types);
        assert_int_equal(run(&t, b, 10), WEIR_DONE);
        assert_int_equal(b->n, s == 0 ? 4 : 3);
        for (int i = 0; i < b->n; i++) {
            int64_t v = b->cols[0].i64[i];
            assert_int_equal(v, 1 + s + 3 * i);     /* Flink's split */
            seen[v]++;
        }
        batch_free(b);
    }
    for (int v = 1; v <= 10; v++)
        assert_int_equal(seen[v], 1);
    opt_set_free(o);
}

static void test_random_bounds_nulls_reproducible(void **state)
{
    (void)state;
    const char *kv[] = {"number-of-rows", "1000", "rows-per-second", "0",
                        "fields.v.min", "-5", "fields.v.max", "5", "fields.s.length", "7",
                        "fields.id.null-rate", "0.25", "fields.ts.max-past", "1 h"};
    struct opt_set *o = opts_for(7, kv);
    struct arena a;
    arena_init(&a, 0);
    const struct sql_type *types[] = {&type_bigint, &type_int, type_varchar(&a, 5),
                                      type_timestamp(&a, T_TIMESTAMP_LTZ, 3)};
    struct table_ctx t = {.table_name = "gen", .n_cols = 4, .col_names = names,
                          .col_types = types, .opts = o, .parallelism = 1};
    struct batch *b1 = batch_new(4, types), *b2 = batch_new(4, types);
    assert_int_equal(run(&t, b1, 10), WEIR_DONE);
    assert_int_equal(run(&t, b2, 10), WEIR_DONE);
    assert_int_equal(b1->n, 1000);
    int nulls = 0;
    for (int i = 0; i < 1000; i++) {
        assert_true(b1->cols[1].i64[i] >= -5 && b1->cols[1].i64[i] <= 5);
        assert_int_equal(b1->cols[1].i64[i], b2->cols[1].i64[i]);
        assert_int_equal(b1->cols[2].s[i].len, 5);        /* capped at VARCHAR(5) */
        assert_memory_equal(b1->cols[2].s[i].ptr, b2->cols[2].s[i].ptr, 5);
        assert_int_equal(vec_is_null(&b1->cols[0], i), vec_is_null(&b2->cols[0], i));
        nulls += vec_is_null(&b1->cols[0], i);
        assert_int_equal(b1->cols[3].i64[i] % 1000, 0);    /* TIMESTAMP_LTZ(3) */
    }
    assert_true(nulls > 180 && nulls < 320);
    batch_free(b1);
    batch_free(b2);

    /* seek: resuming at row 500 yields the same rows 500.. */
    struct source *src;
    struct weir_error err = {0};
    b1 = batch_new(4, types);
    b2 = batch_new(4, types);
    assert_int_equal(run(&t, b1, 10), WEIR_DONE);
    assert_int_equal(conn_lookup("datagen")->source_create(&t, &src, &err), WEIR_OK);
    assert_int_equal(src->ops->seek(src, (const char *const[]){"v1\nclass 1 0 500\n"}, 1, &err), WEIR_OK);
    assert_int_equal(src->ops->open(src, &err), WEIR_OK);
    assert_int_equal(src->ops->poll(src, b2, &err), WEIR_DONE);
    assert_int_equal(b2->n, 500);
    for (int i = 0; i < 500; i++)
        assert_int_equal(b2->cols[1].i64[i], b1->cols[1].i64[500 + i]);
    struct strbuf pos = {0};
    src->ops->position(src, &pos);
    assert_string_equal(pos.buf, "v1\nclass 1 0 1000\n");
    sb_free(&pos);
    src->ops->close(src);
    batch_free(b1);
    batch_free(b2);
    opt_set_free(o);
    arena_free(&a);
}

static void test_rate_limit(void **state)
{
    (void)state;
    const char *kv[] = {"rows-per-second", "100"};
    struct opt_set *o = opts_for(1, kv);
    const struct sql_type *types[] = {&type_bigint};
    struct table_ctx t = {.table_name = "gen", .n_cols = 1, .col_names = names,
                          .col_types = types, .opts = o, .parallelism = 1};
    struct source *src;
    struct weir_error err = {0};
    assert_int_equal(conn_lookup("datagen")->source_create(&t, &src, &err), WEIR_OK);
    assert_false(src->bounded);
    assert_int_equal(src->ops->open(src, &err), WEIR_OK);
    struct batch *b = batch_new(1, types);
    int rc = src->ops->poll(src, b, &err);
    assert_true(rc == WEIR_AGAIN || (rc == WEIR_OK && b->n <= 2));
    if (rc == WEIR_AGAIN)
        assert_true(src->wait_ms >= 1 && src->wait_ms <= 11);
    src->ops->close(src);
    batch_free(b);
    opt_set_free(o);
}

static void test_validation(void **state)
{
    (void)state;
    const struct sql_type *types[] = {&type_bigint, &type_boolean};
    struct {
        int n;
        const char *kv[6];
        const char *msg;
    } cases[] = {
        {1, {"fields.nope.kind", "random"},
         "table 'gen': option 'fields.nope.kind' refers to unknown column 'nope'; "
         "columns: id, v"},
        {3, {"fields.v.kind", "sequence", "fields.v.start", "1", "fields.v.end", "2"},
         "table 'gen': column 'v' of type BOOLEAN cannot be a sequence (only numeric and "
         "string columns can)"},
        {1, {"fields.id.kind", "sequence"},
         "table 'gen': a sequence needs both 'fields.id.start' and 'fields.id.end'"},
        {2, {"fields.id.min", "10", "fields.id.max", "1"},
         "table 'gen': 'fields.id.min' is greater than 'fields.id.max'"},
        {1, {"fields.v.min", "1"},
         "table 'gen': options 'fields.v.min'/'max' need a numeric column"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct opt_set *o = opts_for(cases[i].n, cases[i].kv);
        struct table_ctx t = {.table_name = "gen", .n_cols = 2, .col_names = names,
                              .col_types = types, .opts = o, .parallelism = 1};
        struct source *src = NULL;
        struct weir_error err = {0};
        assert_int_equal(conn_lookup("datagen")->source_create(&t, &src, &err),
                         WEIR_ERR_CONFIG);
        assert_string_equal(err.message, cases[i].msg);
        err_clear(&err);
        opt_set_free(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence_split),
        cmocka_unit_test(test_random_bounds_nulls_reproducible),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
