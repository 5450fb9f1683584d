/*
 * test_value_fmt.c — cell rendering for the print connector, CAST(x AS STRING),
 * JSON and CSV (core/value_fmt.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/datetime.h"
#include "core/value_fmt.h"

static struct arena A;

#define EXPECT(call, want)                       \
    do {                                         \
        struct strbuf sb_ = {0};                 \
        call;                                    \
        assert_string_equal(sb_.buf ? sb_.buf : "", (want)); \
        sb_free(&sb_);                           \
    } while (0)

static void test_scalars(void **state)
{
    (void)state;
    struct vec v;
    vec_init(&v, &type_double, 4, &A);
    v.f64[0] = 1.0E10;
    v.f64[1] = 0.1 + 0.2;
    vec_set_null(&v, 2);
    EXPECT(vfmt_print(&sb_, &v, 0), "1.0E10");
    EXPECT(vfmt_print(&sb_, &v, 1), "0.30000000000000004");
    EXPECT(vfmt_print(&sb_, &v, 2), "null");
    EXPECT(vfmt_cast_string(&sb_, &v, 2), "NULL");
    EXPECT(vfmt_json(&sb_, &v, 2, NULL), "null");
    EXPECT(vfmt_csv(&sb_, &v, 2, NULL), "");
    vec_free(&v);

    vec_init(&v, &type_boolean, 2, &A);
    v.b[0] = 1;
    EXPECT(vfmt_print(&sb_, &v, 0), "true");
    EXPECT(vfmt_cast_string(&sb_, &v, 0), "TRUE");
    EXPECT(vfmt_cast_string(&sb_, &v, 1), "FALSE");
    EXPECT(vfmt_json(&sb_, &v, 1, NULL), "false");
    vec_free(&v);

    vec_init(&v, type_decimal(&A, 10, 2), 2, &A);
    v.i128[0] = 1100;
    v.i128[1] = -50;
    EXPECT(vfmt_print(&sb_, &v, 0), "11.00");
    EXPECT(vfmt_print(&sb_, &v, 1), "-0.50");
    EXPECT(vfmt_json(&sb_, &v, 0, NULL), "11.00");
    vec_free(&v);
    vec_init(&v, type_decimal(&A, 38, 18), 1, &A);
    v.i128[0] = 0;
    EXPECT(vfmt_print(&sb_, &v, 0), "0E-18");               /* BigDecimal.toString */
    EXPECT(vfmt_cast_string(&sb_, &v, 0), "0.000000000000000000");
    vec_free(&v);

    vec_init(&v, &type_bytes, 1, &A);
    vec_set_str(&v, 0, "\x01\x02\xff", 3);
    EXPECT(vfmt_print(&sb_, &v, 0), "[1, 2, -1]");
    EXPECT(vfmt_json(&sb_, &v, 0, NULL), "\"AQL/\"");
    vec_free(&v);

    vec_init(&v, &type_float, 1, &A);
    v.f64[0] = (float)0.1;
    EXPECT(vfmt_print(&sb_, &v, 0), "0.1");
    vec_free(&v);
}

static void test_temporal(void **state)
{
    (void)state;
    struct vec v;
    int64_t t0 = dt_make_ts(2020, 4, 15, 8, 0, 0, 0);
    vec_init(&v, &type_timestamp3, 2, &A);
    v.i64[0] = t0;
    v.i64[1] = t0 + 123000;
    EXPECT(vfmt_print(&sb_, &v, 0), "2020-04-15T08:00");
    EXPECT(vfmt_cast_string(&sb_, &v, 0), "2020-04-15 08:00:00.000");
    EXPECT(vfmt_json(&sb_, &v, 0, NULL), "\"2020-04-15 08:00:00\"");
    EXPECT(vfmt_json(&sb_, &v, 1, NULL), "\"2020-04-15 08:00:00.123\"");
    struct vfmt_json_opts iso = {VFMT_TS_ISO8601, false};
    EXPECT(vfmt_json(&sb_, &v, 1, &iso), "\"2020-04-15T08:00:00.123\"");
    EXPECT(vfmt_csv(&sb_, &v, 1, NULL), "\"2020-04-15 08:00:00.123\"");
    vec_free(&v);

    assert_int_equal(dt_zone_set("Asia/Shanghai", NULL), WEIR_OK);
    vec_init(&v, &type_timestamp_ltz3, 1, &A);
    v.i64[0] = 4001000;
    EXPECT(vfmt_print(&sb_, &v, 0), "1970-01-01T00:00:04.001Z");   /* zone-independent */
    EXPECT(vfmt_cast_string(&sb_, &v, 0), "1970-01-01 08:00:04.001");
    EXPECT(vfmt_json(&sb_, &v, 0, NULL), "\"1970-01-01 00:00:04.001Z\"");
    vec_free(&v);
    dt_zone_set("UTC", NULL);

    vec_init(&v, &type_date, 1, &A);
    v.i64[0] = 18367;
    EXPECT(vfmt_print(&sb_, &v, 0), "2020-04-15");
    EXPECT(vfmt_csv(&sb_, &v, 0, NULL), "2020-04-15");
    vec_free(&v);
    vec_init(&v, &type_time0, 1, &A);
    v.i64[0] = 45871 * DT_US_PER_SEC;
    EXPECT(vfmt_print(&sb_, &v, 0), "12:44:31");
    EXPECT(vfmt_cast_string(&sb_, &v, 0), "12:44:31");
    vec_free(&v);
    vec_init(&v, &type_interval_dt, 1, &A);
    v.i64[0] = 10 * DT_US_PER_DAY + 4000;
    EXPECT(vfmt_print(&sb_, &v, 0), "PT240H0.004S");
    EXPECT(vfmt_cast_string(&sb_, &v, 0), "+10 00:00:00.004");
    vec_free(&v);
    vec_init(&v, &type_interval_ym, 1, &A);
    v.i64[0] = 34;
    EXPECT(vfmt_cast_string(&sb_, &v, 0), "+2-10");
    vec_free(&v);
}

static void test_nested(void **state)
{
    (void)state;
    /* ROW<a INT, b STRING> */
    static const char *const names[2] = {"a", "b"};
    const struct sql_type *ftypes[2] = {&type_int, &type_string};
    struct sql_type *rt = type_new(&A, T_ROW);
    rt->n_fields = 2;
    rt->field_names = names;
    rt->field_types = ftypes;
    struct vec v;
    vec_init(&v, rt, 2, &A);
    v.children[0].i64[0] = 1;
    vec_set_str(&v.children[1], 0, "x \"y\"", 5);
    vec_set_null(&v.children[0], 1);
    vec_set_str(&v.children[1], 1, "", 0);
    EXPECT(vfmt_print(&sb_, &v, 0), "+I[1, x \"y\"]");
    EXPECT(vfmt_print(&sb_, &v, 1), "+I[null, ]");
    EXPECT(vfmt_cast_string(&sb_, &v, 1), "(NULL, )");
    EXPECT(vfmt_json(&sb_, &v, 0, NULL), "{\"a\":1,\"b\":\"x \\\"y\\\"\"}");
    EXPECT(vfmt_print_row(&sb_, RK_UPDATE_BEFORE, &v.children[0], 2, 0), "-U[1, x \"y\"]");
    vec_free(&v);

    /* ARRAY<INT> and MAP<STRING, INT> */
    struct sql_type *at = type_new(&A, T_ARRAY);
    at->elem = &type_int;
    vec_init(&v, at, 2, &A);
    struct vec *el = &v.children[0];
    vec_free(el);
    vec_init(el, &type_int, 8, &A);
    el->i64[0] = 1;
    el->i64[1] = 2;
    vec_set_null(el, 2);
    v.offsets[0] = 0;
    v.offsets[1] = 3;
    v.offsets[2] = 3;
    EXPECT(vfmt_print(&sb_, &v, 0), "[1, 2, null]");
    EXPECT(vfmt_print(&sb_, &v, 1), "[]");
    EXPECT(vfmt_cast_string(&sb_, &v, 0), "[1, 2, NULL]");
    EXPECT(vfmt_json(&sb_, &v, 0, NULL), "[1,2,null]");
    EXPECT(vfmt_csv(&sb_, &v, 0, NULL), "1;2;");
    vec_free(&v);

    struct sql_type *mt = type_new(&A, T_MAP);
    mt->elem = &type_string;
    mt->value = &type_int;
    vec_init(&v, mt, 1, &A);
    vec_set_str(&v.children[0], 0, "k", 1);
    v.children[1].i64[0] = 7;
    v.offsets[0] = 0;
    v.offsets[1] = 1;
    EXPECT(vfmt_print(&sb_, &v, 0), "{k=7}");
    EXPECT(vfmt_json(&sb_, &v, 0, NULL), "{\"k\":7}");
    vec_free(&v);
}

static void test_json_csv_strings(void **state)
{
    (void)state;
    EXPECT(vfmt_json_string(&sb_, "a\"b\\c\n\x01/é", 10), "\"a\\\"b\\\\c\\n\\u0001/é\"");
    EXPECT(vfmt_csv_string(&sb_, "plain", 5, NULL), "plain");
    EXPECT(vfmt_csv_string(&sb_, "a,b", 3, NULL), "\"a,b\"");
    EXPECT(vfmt_csv_string(&sb_, "say \"hi\"", 8, NULL), "\"say \"\"hi\"\"\"");
    EXPECT(vfmt_csv_string(&sb_, "two words", 9, NULL), "\"two words\"");   /* Jackson loose */
    EXPECT(vfmt_csv_string(&sb_, "", 0, NULL), "");
    EXPECT(vfmt_csv_string(&sb_, "abcdefghijklmnopqrstuvwxyz", 26, NULL),
           "\"abcdefghijklmnopqrstuvwxyz\"");
    struct vfmt_csv_opts semi = {';', '"', ',', "NULL"};
    EXPECT(vfmt_csv_string(&sb_, "a,b", 3, &semi), "\"a,b\"");
    EXPECT(vfmt_csv_string(&sb_, "a-b", 3, &semi), "\"a-b\"");   /* any char < ';' */
    EXPECT(vfmt_csv_string(&sb_, "a_b", 3, &semi), "a_b");
    struct vec v;
    vec_init(&v, &type_int, 1, &A);
    vec_set_null(&v, 0);
    EXPECT(vfmt_csv(&sb_, &v, 0, &semi), "NULL");
    vec_free(&v);
}

static int setup(void **state)
{
    (void)state;
    arena_init(&A, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&A);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_temporal),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_json_csv_strings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
