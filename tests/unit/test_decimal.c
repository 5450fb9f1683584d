/*
 * test_decimal.c — DECIMAL result types (Flink LogicalTypeMerging) and values:
 * parsing with HALF_UP, printing, arithmetic, conversions (core/decimal.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/decimal.h"

static dec128 D(const char *s, int p, int sc)
{
    dec128 v = 0;
    assert_int_equal(dec_parse(s, strlen(s), p, sc, &v), 0);
    return v;
}

#define CHECK_FMT(u, s, want)                  \
    do {                                       \
        char b_[DEC_FMT_MAX];                  \
        dec_fmt(b_, (u), (s));                 \
        assert_string_equal(b_, (want));       \
    } while (0)
#define CHECK_JFMT(u, s, want)                 \
    do {                                       \
        char b_[DEC_FMT_MAX];                  \
        dec_fmt_java(b_, (u), (s));            \
        assert_string_equal(b_, (want));       \
    } while (0)
#define CHECK_TYPE(fn, p1, s1, p2, s2, ep, es) \
    do {                                       \
        int p_, s_;                            \
        fn((p1), (s1), (p2), (s2), &p_, &s_);  \
        assert_int_equal(p_, (ep));            \
        assert_int_equal(s_, (es));            \
    } while (0)

static void test_types(void **state)
{
    (void)state;
    /* Nexmark q1: 0.908 * price (BIGINT = DECIMAL(19,0)).  Flink 1.14+ derives
     * p1+p2+1 (LogicalTypeMerging.findMultiplicationDecimalType). */
    CHECK_TYPE(dec_mul_type, 4, 3, 19, 0, 24, 3);
    CHECK_TYPE(dec_add_type, 10, 2, 5, 3, 12, 3);
    CHECK_TYPE(dec_add_type, 38, 8, 32, 8, 38, 7);   /* Flink's adjust example */
    CHECK_TYPE(dec_div_type, 10, 2, 5, 0, 16, 8);
    CHECK_TYPE(dec_div_type, 38, 10, 38, 10, 38, 6);
    CHECK_TYPE(dec_mod_type, 10, 2, 5, 0, 7, 2);
    CHECK_TYPE(dec_mul_type, 38, 19, 38, 19, 38, 6);
    int p, s;
    dec_sum_type(10, 2, &p, &s);
    assert_int_equal(p, 38);
    assert_int_equal(s, 2);
    dec_avg_type(10, 2, &p, &s);
    assert_int_equal(p, 38);
    assert_int_equal(s, 6);
    dec_avg_type(20, 10, &p, &s);
    assert_int_equal(p, 38);
    assert_int_equal(s, 10);
    dec_round_type(10, 4, 2, &p, &s);
    assert_int_equal(p, 9);
    assert_int_equal(s, 2);
    dec_round_type(10, 4, -1, &p, &s);
    assert_int_equal(p, 7);
    assert_int_equal(s, 0);
}

static void test_parse_fmt(void **state)
{
    (void)state;
    dec128 v;
    CHECK_FMT(D("11", 10, 2), 2, "11.00");
    CHECK_FMT(D("-0.5", 10, 2), 2, "-0.50");
    CHECK_FMT(D("0", 10, 3), 3, "0.000");
    CHECK_FMT(D("1.005", 10, 2), 2, "1.01");     /* HALF_UP */
    CHECK_FMT(D("-1.005", 10, 2), 2, "-1.01");
    CHECK_FMT(D("1.0049999", 10, 2), 2, "1.00");
    CHECK_FMT(D("  12.5e2 ", 10, 1), 1, "1250.0");
    CHECK_FMT(D("1E-3", 10, 3), 3, "0.001");
    CHECK_FMT(D(".5", 3, 0), 0, "1");
    CHECK_FMT(D("0.000000001", 10, 2), 2, "0.00");
    CHECK_FMT(D("99999999999999999999999999999999999999", 38, 0), 0,
              "99999999999999999999999999999999999999");
    assert_int_equal(dec_parse("123.456", 7, 4, 2, &v), 1);   /* 123.46 needs p 5 */
    assert_int_equal(dec_parse("9.995", 5, 3, 2, &v), 1);     /* rounds to 10.00 */
    assert_int_equal(dec_parse("abc", 3, 10, 2, &v), -1);
    assert_int_equal(dec_parse("1e", 2, 10, 2, &v), -1);
    assert_int_equal(dec_parse("", 0, 10, 2, &v), -1);
    assert_int_equal(dec_parse("1e400", 5, 10, 2, &v), 1);
    assert_int_equal(dec_parse("1e-400", 6, 10, 2, &v), 0);
    assert_true(v == 0);
    CHECK_JFMT(0, 18, "0E-18");
    CHECK_JFMT(1, 7, "1E-7");
    CHECK_JFMT(-123, 10, "-1.23E-8");
    CHECK_JFMT(1, 6, "0.000001");
    CHECK_JFMT(1100, 2, "11.00");
}

static void test_arith(void **state)
{
    (void)state;
    dec128 r;
    int p, s;
    /* 0.908 * 12345 */
    dec_mul_type(4, 3, 19, 0, &p, &s);
    assert_true(dec_mul(D("0.908", 4, 3), 3, 12345, 0, p, s, &r));
    CHECK_FMT(r, s, "11209.260");
    dec_add_type(10, 2, 5, 3, &p, &s);
    assert_true(dec_add(D("1.25", 10, 2), 2, D("-2.125", 5, 3), 3, p, s, &r));
    CHECK_FMT(r, s, "-0.875");
    assert_true(dec_sub(D("1.25", 10, 2), 2, D("-2.125", 5, 3), 3, p, s, &r));
    CHECK_FMT(r, s, "3.375");
    dec_div_type(10, 2, 5, 0, &p, &s);
    assert_true(dec_div(D("10.00", 10, 2), 2, 3, 0, p, s, &r));
    CHECK_FMT(r, s, "3.33333333");
    assert_true(dec_div(D("-2.00", 10, 2), 2, 3, 0, p, s, &r));
    CHECK_FMT(r, s, "-0.66666667");
    assert_false(dec_div(1, 0, 0, 0, p, s, &r));
    dec_mod_type(10, 2, 5, 0, &p, &s);
    assert_true(dec_mod(D("-7.50", 10, 2), 2, 2, 0, p, s, &r));
    CHECK_FMT(r, s, "-1.50");
    /* wide: (38,19) * (38,19) → (38,6) */
    dec_mul_type(38, 19, 38, 19, &p, &s);
    assert_true(dec_mul(D("10.1", 38, 19), 19, D("10.2", 38, 19), 19, p, s, &r));
    CHECK_FMT(r, s, "103.020000");
    /* overflow → false (Flink: NULL) */
    assert_false(dec_add(D("99999999999999999999999999999999999999", 38, 0), 0, 1, 0, 38, 0,
                         &r));
    /* AVG style: DECIMAL(38,2) sum / count */
    dec_div_type(38, 2, 20, 0, &p, &s);
    assert_true(dec_div(D("10.00", 38, 2), 2, 4, 0, p, s, &r));
    CHECK_FMT(r, s, "2.500000");
    assert_int_equal(dec_cmp(D("1.50", 10, 2), 2, D("1.5", 10, 1), 1), 0);
    assert_int_equal(dec_cmp(D("-1.50", 10, 2), 2, D("1.5", 10, 1), 1), -1);
    assert_int_equal(dec_cmp(D("2", 10, 0), 0, D("1.999", 10, 3), 3), 1);
}

static void test_round_conv(void **state)
{
    (void)state;
    dec128 r;
    CHECK_FMT(dec_round(D("2.345", 10, 3), 3, 2, 2), 2, "2.35");
    CHECK_FMT(dec_round(D("-2.345", 10, 3), 3, 2, 2), 2, "-2.35");
    CHECK_FMT(dec_round(D("1250.5", 10, 1), 1, -2, 0), 0, "1300");
    CHECK_FMT(dec_truncate(D("2.349", 10, 3), 3, 2, 2), 2, "2.34");
    CHECK_FMT(dec_floor(D("-2.5", 10, 1), 1), 0, "-3");
    CHECK_FMT(dec_ceil(D("2.1", 10, 1), 1), 0, "3");
    assert_true(dec_rescale(D("1.5", 10, 1), 1, 0, &r));
    assert_true(r == 2);
    assert_true(dec_rescale(D("-1.5", 10, 1), 1, 0, &r));
    assert_true(r == -2);
    assert_true(dec_convert(D("123.456", 10, 3), 3, 5, 2, &r));
    CHECK_FMT(r, 2, "123.46");
    assert_false(dec_convert(D("1234.5", 10, 1), 1, 5, 2, &r));
    assert_true(dec_from_i64(-42, 10, 2, &r));
    CHECK_FMT(r, 2, "-42.00");
    assert_false(dec_from_i64(1000, 5, 2, &r));
    assert_true(dec_to_i64(D("-12.99", 10, 2), 2) == -12);
    assert_true(dec_to_double(D("0.1", 10, 1), 1) == 0.1);
    assert_true(dec_to_double(D("123456789012345678901234.5", 38, 1), 1) ==
                123456789012345678901234.5);
    assert_true(dec_from_double(0.1, 10, 5, &r));
    CHECK_FMT(r, 5, "0.10000");
    assert_true(dec_from_double(1.0E10, 12, 1, &r));
    CHECK_FMT(r, 1, "10000000000.0");
    assert_true(dec_from_double(2.675, 10, 2, &r));   /* Double.toString = 2.675 */
    CHECK_FMT(r, 2, "2.68");
    assert_false(dec_from_double(0.0 / 0.0, 10, 2, &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_parse_fmt),
        cmocka_unit_test(test_arith),
        cmocka_unit_test(test_round_conv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
