/*
 * test_numfmt.c — Java Double/Float.toString spellings and Flink's CAST parsing
 * rules for numbers and booleans (core/numfmt.c).  Expected strings are what
 * JDK 19+ prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/numfmt.h"

#define CHECK_D(v, s)                          \
    do {                                       \
        char b_[NUMFMT_MAX];                   \
        int n_ = numfmt_double(b_, (v));       \
        assert_string_equal(b_, (s));          \
        assert_int_equal(n_, (int)strlen(s));  \
    } while (0)
#define CHECK_F(v, s)                          \
    do {                                       \
        char b_[NUMFMT_MAX];                   \
        numfmt_float(b_, (v));                 \
        assert_string_equal(b_, (s));          \
    } while (0)

static void test_double_tostring(void **state)
{
    (void)state;
    CHECK_D(1.0, "1.0");
    CHECK_D(0.875, "0.875");
    CHECK_D(100.0, "100.0");
    CHECK_D(1.0E10, "1.0E10");
    CHECK_D(1.234E-5, "1.234E-5");
    CHECK_D(-0.0, "-0.0");
    CHECK_D(0.0, "0.0");
    CHECK_D(NAN, "NaN");
    CHECK_D(INFINITY, "Infinity");
    CHECK_D(-INFINITY, "-Infinity");
    CHECK_D(1.0E7, "1.0E7");
    CHECK_D(9999999.0, "9999999.0");
    CHECK_D(0.001, "0.001");
    CHECK_D(1.0E-4, "1.0E-4");
    CHECK_D(0.1 + 0.2, "0.30000000000000004");
    CHECK_D(4.9E-324, "4.9E-324");
    CHECK_D(1.7976931348623157E308, "1.7976931348623157E308");
    CHECK_D(2.2250738585072014E-308, "2.2250738585072014E-308");
    CHECK_D(-123.45, "-123.45");
    CHECK_D(12345678.9, "1.23456789E7");
    CHECK_D(0.1, "0.1");
    CHECK_D(1.0E23, "1.0E23");
    CHECK_D(2.0E-3, "0.002");
    CHECK_D(123456.789, "123456.789");
    CHECK_D(1e21, "1.0E21");
    CHECK_D(9007199254740993.0, "9.007199254740992E15");
    CHECK_D(1.0 / 3, "0.3333333333333333");
    CHECK_D(2.0 / 3, "0.6666666666666666");
    CHECK_D(100.5, "100.5");
    CHECK_D(5e-324 * 3, "1.5E-323");
}

static void test_float_tostring(void **state)
{
    (void)state;
    CHECK_F(0.1f, "0.1");
    CHECK_F(1.0f, "1.0");
    CHECK_F(3.4028235E38f, "3.4028235E38");
    CHECK_F(1.4E-45f, "1.4E-45");
    CHECK_F(1.0E10f, "1.0E10");
    CHECK_F(0.3f, "0.3");
    CHECK_F(16777216.0f, "1.6777216E7");
    CHECK_F(-2.5f, "-2.5");
    CHECK_F(1.17549435E-38f, "1.1754944E-38");   /* JDK 19+ shortest */
}

static void test_int_format(void **state)
{
    (void)state;
    char b[NUMFMT_MAX];
    numfmt_i64(b, 0);
    assert_string_equal(b, "0");
    numfmt_i64(b, -42);
    assert_string_equal(b, "-42");
    numfmt_i64(b, INT64_MIN);
    assert_string_equal(b, "-9223372036854775808");
    numfmt_i64(b, INT64_MAX);
    assert_string_equal(b, "9223372036854775807");
    numfmt_u64(b, UINT64_MAX);
    assert_string_equal(b, "18446744073709551615");
}

static void test_parse_int(void **state)
{
    (void)state;
    int64_t v;
    assert_true(numfmt_parse_int(" 42 ", 4, INT32_MIN, INT32_MAX, &v));
    assert_int_equal(v, 42);
    assert_true(numfmt_parse_int("+7", 2, INT32_MIN, INT32_MAX, &v));
    assert_int_equal(v, 7);
    assert_true(numfmt_parse_int("12.7", 4, INT32_MIN, INT32_MAX, &v));
    assert_int_equal(v, 12);
    assert_true(numfmt_parse_int("-9223372036854775808", 20, INT64_MIN, INT64_MAX, &v));
    assert_true(v == INT64_MIN);
    assert_false(numfmt_parse_int("9223372036854775808", 19, INT64_MIN, INT64_MAX, &v));
    assert_false(numfmt_parse_int("2147483648", 10, INT32_MIN, INT32_MAX, &v));
    assert_false(numfmt_parse_int("128", 3, -128, 127, &v));
    assert_false(numfmt_parse_int("abc", 3, INT32_MIN, INT32_MAX, &v));
    assert_false(numfmt_parse_int("", 0, INT32_MIN, INT32_MAX, &v));
    assert_false(numfmt_parse_int("1e3", 3, INT32_MIN, INT32_MAX, &v));
    assert_false(numfmt_parse_int("12.a", 4, INT32_MIN, INT32_MAX, &v));
    assert_false(numfmt_parse_int_strict(" 1", 2, INT32_MIN, INT32_MAX, &v));
    assert_true(numfmt_parse_int_strict("-1", 2, INT32_MIN, INT32_MAX, &v));
    assert_int_equal(v, -1);
}

static void test_parse_double(void **state)
{
    (void)state;
    double d;
    assert_true(numfmt_parse_double("1e3", 3, &d));
    assert_true(d == 1000.0);
    assert_true(numfmt_parse_double(" -1.5 ", 6, &d));
    assert_true(d == -1.5);
    assert_true(numfmt_parse_double("NaN", 3, &d));
    assert_true(isnan(d));
    assert_true(numfmt_parse_double("-Infinity", 9, &d));
    assert_true(isinf(d) && d < 0);
    assert_true(numfmt_parse_double("1.5f", 4, &d));
    assert_true(d == 1.5);
    assert_true(numfmt_parse_double(".5", 2, &d));
    assert_true(d == 0.5);
    assert_true(numfmt_parse_double("0x1p3", 5, &d));
    assert_true(d == 8.0);
    assert_false(numfmt_parse_double("inf", 3, &d));
    assert_false(numfmt_parse_double("1e", 2, &d));
    assert_false(numfmt_parse_double("abc", 3, &d));
    assert_false(numfmt_parse_double("", 0, &d));
    assert_false(numfmt_parse_double("1,5", 3, &d));
    assert_false(numfmt_parse_double("-", 1, &d));
    assert_false(numfmt_parse_double(".", 1, &d));
    assert_true(numfmt_parse_double("5.", 2, &d));
    assert_true(d == 5.0);
    assert_true(numfmt_parse_double("-0", 2, &d));
    assert_true(d == 0.0 && signbit(d));
}

/* Plain decimals take the exact fast path; it must give strtod's correctly
 * rounded double bit for bit, up to 15 digits and past them (the slow path). */
static void test_parse_double_plain_exact(void **state)
{
    (void)state;
    uint64_t r = 12345;
    for (int k = 0; k < 200000; k++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        int digits = 1 + (int)((r >> 33) % 18), frac = (int)((r >> 45) % (digits + 1));
        char buf[40];
        int n = 0;
        if ((r >> 20) & 1)
            buf[n++] = '-';
        uint64_t x = r >> 3;
        for (int i = 0; i < digits; i++) {
            if (i == digits - frac)
                buf[n++] = '.';
            buf[n++] = (char)('0' + x % 10);
            x /= 10;
        }
        buf[n] = 0;
        double got, want = strtod(buf, NULL);
        assert_true(numfmt_parse_double(buf, (size_t)n, &got));
        assert_memory_equal(&got, &want, sizeof got);
    }
}

static void test_parse_bool(void **state)
{
    (void)state;
    bool b;
    const char *t[] = {"true", "TRUE", "t", "Yes", "y", "1", " true "};
    const char *f[] = {"false", "F", "no", "N", "0"};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        assert_true(numfmt_parse_bool(t[i], strlen(t[i]), &b));
        assert_true(b);
    }
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        assert_true(numfmt_parse_bool(f[i], strlen(f[i]), &b));
        assert_false(b);
    }
    assert_false(numfmt_parse_bool("maybe", 5, &b));
    assert_false(numfmt_parse_bool("2", 1, &b));
}

/* Round-trip property on many values: the printed text parses back exactly. */
static void test_roundtrip(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL;
    char b[NUMFMT_MAX];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        if (i & 1) {
            uint64_t bits = x;
            memcpy(&d, &bits, sizeof d);
            if (!isfinite(d))
                continue;
        } else {
            d = (double)(x % 100000000) / 100.0;
        }
        int n = numfmt_double(b, d);
        double back;
        assert_true(numfmt_parse_double(b, (size_t)n, &back));
        if (back != d)
            fail_msg("%.17g printed as %s", d, b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_tostring), cmocka_unit_test(test_float_tostring),
        cmocka_unit_test(test_int_format),      cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_parse_double),
        cmocka_unit_test(test_parse_double_plain_exact),    cmocka_unit_test(test_parse_bool),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
