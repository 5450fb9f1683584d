/*
 * test_cast.c — the CAST matrix and vectorised conversions (exec/cast.c):
 * Java-style narrowing, DECIMAL overflow to NULL, strict/try/legacy failures,
 * string parsing and rendering, CHAR/VARCHAR length rules, temporal casts through
 * the session zone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/datetime.h"
#include "exec/cast.h"

static struct arena A;

static void str_vec(struct vec *v, const char *const *vals, int n)
{
    vec_init(v, &type_string, n, &A);
    for (int i = 0; i < n; i++) {
        if (vals[i] == NULL)
            vec_set_null(v, i);
        else
            vec_set_str(v, i, vals[i], strlen(vals[i]));
    }
}

static void assert_str(const struct vec *v, int i, const char *want)
{
    assert_false(vec_is_null(v, i));
    assert_int_equal(v->s[i].len, strlen(want));
    assert_memory_equal(v->s[i].ptr, want, strlen(want));
}

static void test_matrix(void **state)
{
    (void)state;
    assert_true(cast_allowed(&type_int, &type_bigint, false));
    assert_true(cast_allowed(&type_int, type_decimal(&A, 10, 0), false));
    assert_true(cast_allowed(&type_bigint, &type_double, false));
    assert_false(cast_allowed(&type_double, &type_int, false));
    assert_true(cast_allowed(&type_double, &type_int, true));
    assert_false(cast_allowed(&type_string, &type_int, false));
    assert_true(cast_allowed(&type_string, &type_int, true));
    assert_true(cast_allowed(&type_null, &type_date, false));
    assert_true(cast_allowed(&type_date, &type_timestamp3, false));
    assert_true(cast_allowed(&type_timestamp3, &type_timestamp_ltz3, false));
    assert_false(cast_allowed(&type_bigint, &type_timestamp3, true));
    assert_false(cast_allowed(&type_timestamp3, &type_bigint, true));
    assert_true(cast_allowed(&type_timestamp3, &type_string, true));
    assert_true(cast_allowed(&type_boolean, &type_int, true));
    assert_false(cast_allowed(&type_boolean, &type_int, false));
    assert_true(cast_allowed(type_char(&A, 3), &type_string, false));
    assert_false(cast_allowed(&type_date, &type_time0, true));
    assert_true(cast_allowed(&type_string, &type_bytes, true));
}

static void test_numeric(void **state)
{
    (void)state;
    struct vec in, out;
    vec_init(&in, &type_int, 4, &A);
    in.i64[0] = 300;
    in.i64[1] = -129;
    in.i64[2] = 7;
    vec_set_null(&in, 3);
    vec_init(&out, &type_tinyint, 4, &A);
    assert_int_equal(cast_vec(&in, &out, NULL, 4, CAST_STRICT, NULL), WEIR_OK);
    assert_int_equal(out.i64[0], 44);       /* (byte) 300 */
    assert_int_equal(out.i64[1], 127);
    assert_int_equal(out.i64[2], 7);
    assert_true(vec_is_null(&out, 3));
    vec_free(&out);

    vec_init(&out, type_decimal(&A, 3, 1), 4, &A);
    assert_int_equal(cast_vec(&in, &out, NULL, 4, CAST_STRICT, NULL), WEIR_OK);
    assert_true(vec_is_null(&out, 0));      /* 300.0 does not fit DECIMAL(3,1) */
    assert_true(out.i128[2] == 70);
    vec_free(&out);
    vec_free(&in);

    vec_init(&in, &type_double, 5, &A);
    in.f64[0] = 3.99;
    in.f64[1] = -3.99;
    in.f64[2] = 1e20;
    in.f64[3] = NAN;
    in.f64[4] = 2.675;
    vec_init(&out, &type_int, 5, &A);
    cast_vec(&in, &out, NULL, 5, CAST_STRICT, NULL);
    assert_int_equal(out.i64[0], 3);
    assert_int_equal(out.i64[1], -3);
    assert_int_equal(out.i64[2], INT32_MAX);
    assert_int_equal(out.i64[3], 0);
    vec_free(&out);
    vec_init(&out, type_decimal(&A, 10, 2), 5, &A);
    struct weir_error err = {0};
    uint16_t sel[2] = {0, 4};
    assert_int_equal(cast_vec(&in, &out, sel, 2, CAST_STRICT, &err), WEIR_OK);
    assert_true(out.i128[0] == 399);
    assert_true(out.i128[4] == 268);        /* Double.toString digits, HALF_UP */
    assert_int_equal(cast_vec(&in, &out, NULL, 5, CAST_STRICT, &err), WEIR_ERR_RUNTIME);
    assert_string_equal(err.message, "cannot cast 'NaN' to DECIMAL(10, 2)");
    err_clear(&err);
    vec_free(&out);
    vec_init(&out, &type_float, 5, &A);
    cast_vec(&in, &out, NULL, 5, CAST_STRICT, NULL);
    assert_true(out.f64[0] == (double)3.99f);
    vec_free(&out);
    vec_free(&in);

    vec_init(&in, type_decimal(&A, 10, 2), 2, &A);
    in.i128[0] = -1299;
    in.i128[1] = 12345;
    vec_init(&out, &type_bigint, 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL);
    assert_int_equal(out.i64[0], -12);
    vec_free(&out);
    vec_init(&out, type_decimal(&A, 4, 1), 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL);
    assert_true(out.i128[0] == -130);       /* -12.99 → -13.0 HALF_UP */
    assert_true(out.i128[1] == 1235);
    vec_free(&out);
    vec_init(&out, &type_boolean, 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL);
    assert_int_equal(out.b[0], 1);
    vec_free(&out);
    vec_free(&in);
}

static void test_from_string(void **state)
{
    (void)state;
    const char *vals[] = {" 42 ", "abc", "12.7", NULL, "2147483648"};
    struct vec in, out;
    str_vec(&in, vals, 5);
    vec_init(&out, &type_int, 5, &A);
    struct weir_error err = {0};
    assert_int_equal(cast_vec(&in, &out, NULL, 5, CAST_STRICT, &err), WEIR_ERR_RUNTIME);
    assert_string_equal(err.message, "cannot cast 'abc' to INT");
    err_clear(&err);
    assert_int_equal(cast_vec(&in, &out, NULL, 5, CAST_TRY, &err), WEIR_OK);
    assert_int_equal(out.i64[0], 42);
    assert_true(vec_is_null(&out, 1));
    assert_int_equal(out.i64[2], 12);
    assert_true(vec_is_null(&out, 3));
    assert_true(vec_is_null(&out, 4));
    vec_free(&out);
    vec_free(&in);

    const char *dv[] = {"1.005", "1e400", "x"};
    str_vec(&in, dv, 3);
    vec_init(&out, type_decimal(&A, 10, 2), 3, &A);
    assert_int_equal(cast_vec(&in, &out, NULL, 3, CAST_LEGACY, NULL), WEIR_OK);
    assert_true(out.i128[0] == 101);
    assert_true(vec_is_null(&out, 1));      /* overflow: NULL even in strict */
    assert_true(vec_is_null(&out, 2));
    vec_free(&out);
    vec_free(&in);

    const char *bv[] = {"TRUE", "n", "1", "maybe"};
    str_vec(&in, bv, 4);
    vec_init(&out, &type_boolean, 4, &A);
    cast_vec(&in, &out, NULL, 4, CAST_TRY, NULL);
    assert_int_equal(out.b[0], 1);
    assert_int_equal(out.b[1], 0);
    assert_int_equal(out.b[2], 1);
    assert_true(vec_is_null(&out, 3));
    vec_free(&out);
    vec_free(&in);

    const char *fv[] = {"1e3", " NaN", "-Infinity"};
    str_vec(&in, fv, 3);
    vec_init(&out, &type_double, 3, &A);
    assert_int_equal(cast_vec(&in, &out, NULL, 3, CAST_STRICT, NULL), WEIR_OK);
    assert_true(out.f64[0] == 1000.0);
    assert_true(isnan(out.f64[1]));
    assert_true(isinf(out.f64[2]));
    vec_free(&out);
    vec_free(&in);

    const char *tv[] = {"2020-04-15 08:05:00.123456", "2020-04-15", "bad"};
    str_vec(&in, tv, 3);
    vec_init(&out, &type_timestamp3, 3, &A);
    cast_vec(&in, &out, NULL, 3, CAST_TRY, NULL);
    assert_true(out.i64[0] == dt_make_ts(2020, 4, 15, 8, 5, 0, 123000));
    assert_true(out.i64[1] == dt_make_ts(2020, 4, 15, 0, 0, 0, 0));
    assert_true(vec_is_null(&out, 2));
    vec_free(&out);
    vec_init(&out, &type_date, 3, &A);
    cast_vec(&in, &out, NULL, 3, CAST_TRY, NULL);
    assert_true(out.i64[0] == dt_days_from_civil(2020, 4, 15));
    vec_free(&out);
    vec_free(&in);
}

static void test_to_string(void **state)
{
    (void)state;
    struct vec in, out;
    vec_init(&in, &type_boolean, 2, &A);
    in.b[0] = 1;
    vec_init(&out, &type_string, 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL);
    assert_str(&out, 0, "TRUE");
    assert_str(&out, 1, "FALSE");
    vec_free(&out);
    vec_free(&in);

    vec_init(&in, &type_bigint, 2, &A);
    in.i64[0] = 123456;
    in.i64[1] = -5;
    vec_init(&out, type_varchar(&A, 3), 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL);
    assert_str(&out, 0, "123");             /* VARCHAR(3) truncates (Flink 1.16+) */
    assert_str(&out, 1, "-5");
    vec_free(&out);
    vec_init(&out, type_char(&A, 4), 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL);
    assert_str(&out, 1, "-5  ");            /* CHAR(4) pads */
    vec_free(&out);
    vec_init(&out, type_char(&A, 4), 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_LEGACY, NULL);
    assert_str(&out, 0, "123456");          /* legacy: no trimming or padding */
    vec_free(&out);
    vec_free(&in);

    vec_init(&in, &type_double, 1, &A);
    in.f64[0] = 1.0E10;
    vec_init(&out, &type_string, 1, &A);
    cast_vec(&in, &out, NULL, 1, CAST_STRICT, NULL);
    assert_str(&out, 0, "1.0E10");
    vec_free(&out);
    vec_free(&in);

    const char *sv[] = {"héllo"};
    str_vec(&in, sv, 1);
    vec_init(&out, type_varchar(&A, 2), 1, &A);
    cast_vec(&in, &out, NULL, 1, CAST_STRICT, NULL);
    assert_str(&out, 0, "hé");              /* characters, not bytes */
    vec_free(&out);
    vec_init(&out, &type_bytes, 1, &A);
    cast_vec(&in, &out, NULL, 1, CAST_STRICT, NULL);
    assert_str(&out, 0, "héllo");
    vec_free(&out);
    vec_free(&in);
}

static void test_temporal(void **state)
{
    (void)state;
    struct vec in, out;
    assert_int_equal(dt_zone_set("Asia/Shanghai", NULL), WEIR_OK);
    vec_init(&in, &type_timestamp_ltz3, 1, &A);
    in.i64[0] = 4001000;
    vec_init(&out, &type_string, 1, &A);
    cast_vec(&in, &out, NULL, 1, CAST_STRICT, NULL);
    assert_str(&out, 0, "1970-01-01 08:00:04.001");
    vec_free(&out);
    vec_init(&out, &type_timestamp3, 1, &A);
    cast_vec(&in, &out, NULL, 1, CAST_STRICT, NULL);
    assert_true(out.i64[0] == dt_make_ts(1970, 1, 1, 8, 0, 4, 1000));
    struct vec back;
    vec_init(&back, &type_timestamp_ltz3, 1, &A);
    cast_vec(&out, &back, NULL, 1, CAST_STRICT, NULL);
    assert_true(back.i64[0] == 4001000);
    vec_free(&back);
    vec_free(&out);
    vec_init(&out, &type_date, 1, &A);
    cast_vec(&in, &out, NULL, 1, CAST_STRICT, NULL);
    assert_true(out.i64[0] == 0);
    vec_free(&out);
    vec_free(&in);
    dt_zone_set("UTC", NULL);

    vec_init(&in, type_timestamp(&A, T_TIMESTAMP, 6), 2, &A);
    in.i64[0] = dt_make_ts(2020, 4, 15, 8, 9, 59, 999999);
    in.i64[1] = dt_make_ts(1969, 12, 31, 23, 0, 0, 0);
    vec_init(&out, &type_date, 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL);
    assert_true(out.i64[1] == -1);
    vec_free(&out);
    vec_init(&out, &type_time0, 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL);
    assert_true(out.i64[0] == (8 * 3600 + 9 * 60 + 59) * DT_US_PER_SEC);
    vec_free(&out);
    vec_init(&out, &type_timestamp3, 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL);
    assert_true(out.i64[0] == dt_make_ts(2020, 4, 15, 8, 9, 59, 999000));
    vec_free(&out);
    vec_init(&out, &type_string, 2, &A);
    cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL);
    assert_str(&out, 0, "2020-04-15 08:09:59.999999");
    vec_free(&out);
    vec_free(&in);

    vec_init(&in, &type_date, 1, &A);
    in.i64[0] = 18367;
    vec_init(&out, &type_timestamp3, 1, &A);
    cast_vec(&in, &out, NULL, 1, CAST_STRICT, NULL);
    assert_true(out.i64[0] == 18367 * DT_US_PER_DAY);
    vec_free(&out);
    vec_init(&out, &type_time0, 1, &A);
    struct weir_error err = {0};
    assert_int_equal(cast_vec(&in, &out, NULL, 1, CAST_STRICT, &err), WEIR_ERR_UNSUPPORTED);
    err_clear(&err);
    vec_free(&out);
    vec_free(&in);
}

static void test_row(void **state)
{
    (void)state;
    static const char *const names[2] = {"a", "b"};
    const struct sql_type *f1[2] = {&type_int, &type_string};
    const struct sql_type *f2[2] = {&type_bigint, &type_int};
    struct sql_type *r1 = type_new(&A, T_ROW), *r2 = type_new(&A, T_ROW);
    r1->n_fields = r2->n_fields = 2;
    r1->field_names = r2->field_names = names;
    r1->field_types = f1;
    r2->field_types = f2;
    assert_true(cast_allowed(r1, r2, true));
    assert_false(cast_allowed(r1, r2, false));
    struct vec in, out;
    vec_init(&in, r1, 2, &A);
    in.children[0].i64[0] = 5;
    vec_set_str(&in.children[1], 0, "17", 2);
    vec_set_null(&in, 1);
    vec_set_null(&in.children[0], 1);
    vec_set_null(&in.children[1], 1);
    vec_init(&out, r2, 2, &A);
    assert_int_equal(cast_vec(&in, &out, NULL, 2, CAST_STRICT, NULL), WEIR_OK);
    assert_int_equal(out.children[0].i64[0], 5);
    assert_int_equal(out.children[1].i64[0], 17);
    assert_true(vec_is_null(&out, 1));
    vec_free(&out);
    vec_free(&in);
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
        cmocka_unit_test(test_matrix),    cmocka_unit_test(test_numeric),
        cmocka_unit_test(test_from_string), cmocka_unit_test(test_to_string),
        cmocka_unit_test(test_temporal),  cmocka_unit_test(test_row),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
