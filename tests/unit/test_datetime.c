/*
 * test_datetime.c — calendar, temporal parsing/printing, session zones (fixed,
 * Asia/Shanghai, America/Los_Angeles DST), units, intervals and Java patterns
 * (core/datetime.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/datetime.h"

static int64_t TS(const char *s)
{
    int64_t v;
    if (!dt_parse_timestamp(s, strlen(s), &v))
        fail_msg("cannot parse %s", s);
    return v;
}

#define CHECK_STR(call, want)                  \
    do {                                       \
        char b_[DT_FMT_MAX];                   \
        int n_ = call;                         \
        assert_string_equal(b_, (want));       \
        assert_int_equal(n_, (int)strlen(want)); \
    } while (0)

static void test_calendar(void **state)
{
    (void)state;
    assert_true(dt_days_from_civil(1970, 1, 1) == 0);
    assert_true(dt_days_from_civil(2020, 4, 15) == 18367);
    assert_true(dt_days_from_civil(1969, 12, 31) == -1);
    assert_true(dt_days_from_civil(0, 1, 1) == -719528);
    assert_true(dt_days_from_civil(9999, 12, 31) == 2932896);
    for (int64_t d = -800000; d < 3000000; d += 37) {
        int64_t y;
        int m, dd;
        dt_civil_from_days(d, &y, &m, &dd);
        assert_true(dt_days_from_civil(y, m, dd) == d);
    }
    assert_true(dt_floor_div(-1, 1000) == -1);
    assert_true(dt_floor_mod(-1, 1000) == 999);
    assert_true(dt_is_leap(2000) && !dt_is_leap(1900) && dt_is_leap(2024));
}

static void test_parse(void **state)
{
    (void)state;
    int64_t v;
    assert_true(dt_parse_date("2020-04-15", 10, &v));
    assert_true(v == 18367);
    assert_false(dt_parse_date("2020-02-30", 10, &v));
    assert_false(dt_parse_date("2020-13-01", 10, &v));
    assert_false(dt_parse_date("2020/04/15", 10, &v));
    assert_true(dt_parse_time("12:44:31.5", 10, &v));
    assert_true(v == (12 * 3600 + 44 * 60 + 31) * DT_US_PER_SEC + 500000);
    assert_true(dt_parse_time("20:12", 5, &v));
    assert_false(dt_parse_time("24:00:00", 8, &v));
    assert_true(TS("2020-04-15 08:05:00.123") ==
                dt_make_ts(2020, 4, 15, 8, 5, 0, 123000));
    assert_true(TS("2020-04-15T08:05") == dt_make_ts(2020, 4, 15, 8, 5, 0, 0));
    assert_true(TS("2020-04-15") == dt_make_ts(2020, 4, 15, 0, 0, 0, 0));
    assert_true(TS("1969-12-31 23:59:59.999999999") == -1);
    assert_true(TS("2020-4-5 1:2:3") == dt_make_ts(2020, 4, 5, 1, 2, 3, 0));
    assert_false(dt_parse_timestamp("2020-04-15 08:05:00.", 20, &v));
    assert_false(dt_parse_timestamp("2020-04-15x08:05", 16, &v));
    /* CAST leniency (Flink DateTimeUtils.parseDate / parseTime) */
    assert_true(dt_cast_parse_date("2017-12-12 09:30:00", 19, &v));
    assert_true(v == dt_days_from_civil(2017, 12, 12));
    assert_true(dt_cast_parse_date("2020", 4, &v));
    assert_true(v == dt_days_from_civil(2020, 1, 1));
    assert_true(dt_cast_parse_date("2020-4", 6, &v));
    assert_false(dt_cast_parse_date("abc", 3, &v));
    assert_true(dt_cast_parse_time("12:00:00.1235", 13, &v));
    assert_true(v == 12 * DT_US_PER_HOUR + 124000);
    assert_true(dt_cast_parse_time("12", 2, &v));
    assert_true(v == 12 * DT_US_PER_HOUR);
}

static void test_format(void **state)
{
    (void)state;
    int64_t us = dt_make_ts(2020, 4, 15, 8, 0, 0, 0);
    CHECK_STR(dt_fmt_date(b_, 18367), "2020-04-15");
    CHECK_STR(dt_fmt_ts_java(b_, us), "2020-04-15T08:00");
    CHECK_STR(dt_fmt_ts_java(b_, dt_make_ts(2020, 4, 15, 8, 9, 59, 999000)),
              "2020-04-15T08:09:59.999");
    CHECK_STR(dt_fmt_ts_java(b_, us + DT_US_PER_SEC), "2020-04-15T08:00:01");
    CHECK_STR(dt_fmt_ts_java(b_, us + 123456), "2020-04-15T08:00:00.123456");
    CHECK_STR(dt_fmt_ts_java(b_, us + 100000), "2020-04-15T08:00:00.100");
    CHECK_STR(dt_fmt_ts_java(b_, -1), "1969-12-31T23:59:59.999999");
    CHECK_STR(dt_fmt_ts_java(b_, dt_make_ts(-1, 1, 1, 0, 0, 0, 0)), "-0001-01-01T00:00");
    CHECK_STR(dt_fmt_instant_java(b_, 4001000), "1970-01-01T00:00:04.001Z");
    CHECK_STR(dt_fmt_instant_java(b_, us), "2020-04-15T08:00:00Z");
    CHECK_STR(dt_fmt_time_java(b_, 12 * DT_US_PER_HOUR + 44 * DT_US_PER_MIN), "12:44");
    CHECK_STR(dt_fmt_time_java(b_, 45871 * DT_US_PER_SEC), "12:44:31");
    CHECK_STR(dt_fmt_time_java(b_, 45871 * DT_US_PER_SEC + 500000), "12:44:31.500");
    CHECK_STR(dt_fmt_ts_sql(b_, us, 3), "2020-04-15 08:00:00.000");
    CHECK_STR(dt_fmt_ts_sql(b_, us, 0), "2020-04-15 08:00:00");
    CHECK_STR(dt_fmt_ts_sql(b_, us + 120000, 6), "2020-04-15 08:00:00.120000");
    CHECK_STR(dt_fmt_ts_sql(b_, us + 120000, 0), "2020-04-15 08:00:00.12");
    CHECK_STR(dt_fmt_ts_sql(b_, us, 9), "2020-04-15 08:00:00.000000000");
    CHECK_STR(dt_fmt_time_sql(b_, 45871 * DT_US_PER_SEC, 0), "12:44:31");
    CHECK_STR(dt_fmt_time_sql(b_, 45871 * DT_US_PER_SEC + 500000, 3), "12:44:31.5");
    CHECK_STR(dt_fmt_time_sql(b_, 45871 * DT_US_PER_SEC + 123000, 3), "12:44:31.123");
    CHECK_STR(dt_fmt_interval_ym(b_, 34), "+2-10");
    CHECK_STR(dt_fmt_interval_ym(b_, -1), "-0-01");
    CHECK_STR(dt_fmt_interval_dt(b_, 10 * DT_US_PER_DAY + 4000), "+10 00:00:00.004");
    CHECK_STR(dt_fmt_interval_dt(b_, -90 * DT_US_PER_MIN), "-0 01:30:00.000");
    CHECK_STR(dt_fmt_period_java(b_, 34), "P2Y10M");
    CHECK_STR(dt_fmt_period_java(b_, 0), "P0D");
    CHECK_STR(dt_fmt_duration_java(b_, 10 * DT_US_PER_DAY + 4000), "PT240H0.004S");
    CHECK_STR(dt_fmt_duration_java(b_, 0), "PT0S");
    CHECK_STR(dt_fmt_duration_java(b_, -500000), "PT-0.5S");
    CHECK_STR(dt_fmt_duration_java(b_, 10 * DT_US_PER_MIN), "PT10M");
    CHECK_STR(dt_fmt_duration_java(b_, 90 * DT_US_PER_SEC), "PT1M30S");
}

static void test_zones(void **state)
{
    (void)state;
    struct weir_error err = {0};
    char b[DT_FMT_MAX];
    assert_int_equal(dt_zone_set("Asia/Shanghai", &err), WEIR_OK);
    /* CAST(TO_TIMESTAMP_LTZ(4001, 3) AS STRING) */
    dt_fmt_ltz_sql(b, 4001000, 3);
    assert_string_equal(b, "1970-01-01 08:00:04.001");
    assert_true(dt_local_to_ltz(dt_ltz_to_local(123456789)) == 123456789);
    assert_int_equal(dt_zone_set("GMT+08:00", &err), WEIR_OK);
    dt_fmt_ltz_sql(b, 4001000, 3);
    assert_string_equal(b, "1970-01-01 08:00:04.001");
    assert_int_equal(dt_zone_set("-08:30", &err), WEIR_OK);
    assert_true(dt_ltz_to_local(0) == -(8 * 3600 + 1800) * DT_US_PER_SEC);

    assert_int_equal(dt_zone_set("America/Los_Angeles", &err), WEIR_OK);
    /* 2021-03-14 10:00Z = 02:00 PST → 03:00 PDT (gap) */
    int64_t spring = dt_make_ts(2021, 3, 14, 10, 0, 0, 0);
    assert_true(dt_ltz_to_local(spring - 1) == dt_make_ts(2021, 3, 14, 1, 59, 59, 999999));
    assert_true(dt_ltz_to_local(spring) == dt_make_ts(2021, 3, 14, 3, 0, 0, 0));
    /* local 02:30 is in the gap: Java moves it forward → 03:30 PDT = 10:30Z */
    assert_true(dt_local_to_ltz(dt_make_ts(2021, 3, 14, 2, 30, 0, 0)) ==
                dt_make_ts(2021, 3, 14, 10, 30, 0, 0));
    /* fall back: local 01:30 on 2021-11-07 happens twice; Java picks PDT (earlier) */
    assert_true(dt_local_to_ltz(dt_make_ts(2021, 11, 7, 1, 30, 0, 0)) ==
                dt_make_ts(2021, 11, 7, 8, 30, 0, 0));
    assert_true(dt_local_to_ltz(dt_make_ts(2021, 11, 7, 2, 30, 0, 0)) ==
                dt_make_ts(2021, 11, 7, 10, 30, 0, 0));
    assert_int_equal(dt_zone_offset_at(dt_make_ts(2024, 7, 1, 0, 0, 0, 0) / DT_US_PER_SEC),
                     -7 * 3600);
    assert_int_equal(dt_zone_offset_at(dt_make_ts(2500, 1, 1, 0, 0, 0, 0) / DT_US_PER_SEC),
                     -8 * 3600);

    assert_int_equal(dt_zone_set("Mars/Olympus", &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "Mars/Olympus"));
    err_clear(&err);
    assert_int_equal(dt_zone_set("../etc/passwd", &err), WEIR_ERR_CONFIG);
    err_clear(&err);
    assert_int_equal(dt_zone_set("GMT+25:00", &err), WEIR_ERR_CONFIG);
    err_clear(&err);
    assert_int_equal(dt_zone_set("UTC", &err), WEIR_OK);
    assert_true(dt_zone_is_utc());
    assert_true(dt_ltz_to_local(42) == 42);
    int64_t now = dt_now_us();
    assert_true(now > dt_make_ts(2020, 1, 1, 0, 0, 0, 0));
}

static void test_units(void **state)
{
    (void)state;
    int64_t t = TS("2020-04-15 08:09:59.123456");
    assert_int_equal(dt_extract_ts(DT_YEAR, t), 2020);
    assert_int_equal(dt_extract_ts(DT_QUARTER, t), 2);
    assert_int_equal(dt_extract_ts(DT_MONTH, t), 4);
    assert_int_equal(dt_extract_ts(DT_DAY, t), 15);
    assert_int_equal(dt_extract_ts(DT_DOW, t), 4);      /* Wednesday, 1 = Sunday */
    assert_int_equal(dt_extract_ts(DT_ISODOW, t), 3);
    assert_int_equal(dt_extract_ts(DT_DOY, t), 106);
    assert_int_equal(dt_extract_ts(DT_WEEK, t), 16);
    assert_int_equal(dt_extract_ts(DT_HOUR, t), 8);
    assert_int_equal(dt_extract_ts(DT_MINUTE, t), 9);
    assert_int_equal(dt_extract_ts(DT_SECOND, t), 59);
    assert_int_equal(dt_extract_ts(DT_MILLISECOND, t), 123);
    assert_int_equal(dt_extract_ts(DT_MICROSECOND, t), 123456);
    assert_int_equal(dt_extract_ts(DT_EPOCH, TS("1970-01-02 00:00:01")), 86401);
    assert_int_equal(dt_extract_ts(DT_HOUR, TS("1969-12-31 23:00:00")), 23);
    assert_int_equal(dt_extract_ts(DT_WEEK, TS("2021-01-01 00:00:00")), 53);
    assert_int_equal(dt_extract_ts(DT_ISOYEAR, TS("2021-01-01 00:00:00")), 2020);
    assert_int_equal(dt_extract_ts(DT_WEEK, TS("2024-12-30 00:00:00")), 1);
    assert_int_equal(dt_extract_ts(DT_CENTURY, t), 21);
    assert_int_equal(dt_extract_ts(DT_DECADE, t), 202);
    assert_int_equal(dt_extract_time(DT_HOUR, 5 * DT_US_PER_HOUR), 5);

    assert_true(dt_floor_ts(DT_HOUR, t) == TS("2020-04-15 08:00:00"));
    assert_true(dt_ceil_ts(DT_HOUR, t) == TS("2020-04-15 09:00:00"));
    assert_true(dt_floor_ts(DT_MINUTE, TS("1969-12-31 23:59:30")) ==
                TS("1969-12-31 23:59:00"));
    assert_true(dt_floor_ts(DT_DAY, t) == TS("2020-04-15"));
    assert_true(dt_floor_ts(DT_MONTH, t) == TS("2020-04-01"));
    assert_true(dt_ceil_ts(DT_MONTH, t) == TS("2020-05-01"));
    assert_true(dt_floor_ts(DT_YEAR, t) == TS("2020-01-01"));
    assert_true(dt_floor_ts(DT_QUARTER, t) == TS("2020-04-01"));
    assert_true(dt_ceil_ts(DT_QUARTER, t) == TS("2020-07-01"));
    assert_true(dt_floor_ts(DT_WEEK, t) == TS("2020-04-12"));   /* Sunday */
    assert_true(dt_floor_date(DT_MONTH, dt_days_from_civil(2020, 4, 15)) ==
                dt_days_from_civil(2020, 4, 1));

    int64_t out;
    assert_true(dt_ts_add(DT_MONTH, 1, TS("2020-01-31 10:00:00"), &out));
    assert_true(out == TS("2020-02-29 10:00:00"));
    assert_true(dt_ts_add(DT_YEAR, -1, TS("2020-02-29"), &out));
    assert_true(out == TS("2019-02-28"));
    assert_true(dt_ts_add(DT_HOUR, 25, TS("2020-01-01"), &out));
    assert_true(out == TS("2020-01-02 01:00:00"));
    assert_true(dt_ts_add(DT_WEEK, 1, TS("2020-01-01"), &out));
    assert_true(out == TS("2020-01-08"));
    assert_false(dt_ts_add(DT_DAY, INT64_MAX / 2, 0, &out));
    /* Flink subtractMonths: Jan 31 + 1 month clamps to Feb 29, so a whole month */
    assert_int_equal(dt_ts_diff(DT_MONTH, TS("2020-01-31"), TS("2020-02-29")), 1);
    assert_int_equal(dt_ts_diff(DT_MONTH, TS("2020-01-31"), TS("2020-03-31")), 2);
    assert_int_equal(dt_ts_diff(DT_YEAR, TS("2019-03-01"), TS("2020-02-29")), 0);
    /* Flink quirk: the time-of-day correction only applies forward */
    assert_int_equal(dt_ts_diff(DT_MONTH, TS("2020-03-01 10:00"), TS("2020-01-01 11:00")), -2);
    assert_int_equal(dt_ts_diff(DT_DAY, TS("2020-01-01 10:00"), TS("2020-01-03 09:00")), 1);
    assert_int_equal(dt_ts_diff(DT_HOUR, TS("2020-01-03 09:00"), TS("2020-01-01 10:00")), -47);
    assert_int_equal(dt_ts_diff(DT_SECOND, 0, 1500000), 1);

    enum dt_unit u;
    assert_true(dt_unit_parse("minutes", 7, &u) && u == DT_MINUTE);
    assert_true(dt_unit_parse("DAYOFWEEK", 9, &u) && u == DT_DOW);
    assert_true(dt_unit_parse("SQL_TSI_HOUR", 12, &u) && u == DT_HOUR);
    assert_false(dt_unit_parse("FORTNIGHT", 9, &u));
}

static void test_intervals(void **state)
{
    (void)state;
    int64_t v;
    assert_true(dt_parse_interval("10", 2, DT_MINUTE, DT_MINUTE, &v));
    assert_true(v == 10 * DT_US_PER_MIN);
    assert_true(dt_parse_interval("10 00:00:00.004", 15, DT_DAY, DT_SECOND, &v));
    assert_true(v == 10 * DT_US_PER_DAY + 4000);
    assert_true(dt_parse_interval("2-10", 4, DT_YEAR, DT_MONTH, &v));
    assert_true(v == 34);
    assert_true(dt_parse_interval("0.001", 5, DT_SECOND, DT_SECOND, &v));
    assert_true(v == 1000);
    assert_true(dt_parse_interval("-1", 2, DT_DAY, DT_DAY, &v));
    assert_true(v == -DT_US_PER_DAY);
    assert_true(dt_parse_interval("3", 1, DT_YEAR, DT_YEAR, &v));
    assert_true(v == 36);
    assert_true(dt_parse_interval("1:30", 4, DT_HOUR, DT_MINUTE, &v));
    assert_true(v == 90 * DT_US_PER_MIN);
    assert_false(dt_parse_interval("2-12", 4, DT_YEAR, DT_MONTH, &v));
    assert_false(dt_parse_interval("1:60", 4, DT_HOUR, DT_MINUTE, &v));
    assert_false(dt_parse_interval("abc", 3, DT_DAY, DT_DAY, &v));
}

static void test_patterns(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct weir_error err = {0};
    struct dt_pattern *p;
    char b[128];
    int64_t t = TS("2020-04-05 08:09:03.123456");
#define FMT(pat, want)                                                              \
    do {                                                                            \
        assert_int_equal(dt_pattern_compile(&a, pat, strlen(pat), &p, &err), WEIR_OK); \
        dt_pattern_format(p, t, 0, b, sizeof b);                                    \
        assert_string_equal(b, want);                                               \
    } while (0)
    FMT("yyyy-MM-dd", "2020-04-05");
    FMT("HH:mm", "08:09");
    FMT("yyyy-MM-dd HH:mm:ss.SSS", "2020-04-05 08:09:03.123");
    FMT("yyyyMMddHHmmss", "20200405080903");
    FMT("yy/M/d h:mm a", "20/4/5 8:09 AM");
    FMT("EEE, dd MMM yyyy", "Sun, 05 Apr 2020");
    FMT("EEEE MMMM", "Sunday April");
    FMT("'at' HH 'o''clock'", "at 08 o'clock");
    FMT("yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX", "2020-04-05T08:09:03.123456Z");
    FMT("D", "96");
    assert_int_equal(dt_pattern_compile(&a, "yyyy-MM-dd Q", 12, &p, &err), WEIR_ERR_BIND);
    err_clear(&err);
    assert_int_equal(dt_pattern_compile(&a, "XXX", 3, &p, &err), WEIR_OK);
    dt_pattern_format(p, 0, 8 * 3600, b, sizeof b);
    assert_string_equal(b, "+08:00");
    assert_int_equal(dt_pattern_compile(&a, "Z", 1, &p, &err), WEIR_OK);
    dt_pattern_format(p, 0, -(5 * 3600 + 1800), b, sizeof b);
    assert_string_equal(b, "-0530");

    int64_t v;
    bool has_off;
    int32_t off;
#define PARSE(pat, text, want)                                                       \
    do {                                                                             \
        assert_int_equal(dt_pattern_compile(&a, pat, strlen(pat), &p, &err), WEIR_OK); \
        assert_true(dt_pattern_parse(p, text, strlen(text), &v, &has_off, &off));   \
        assert_true(v == TS(want));                                                  \
    } while (0)
    PARSE("yyyy-MM-dd HH:mm:ss", "2020-04-15 08:05:00", "2020-04-15 08:05:00");
    PARSE("yyyy-MM-dd HH:mm:ss", "1999-9-10 05:20:10", "1999-09-10 05:20:10");
    PARSE("yyyyMMdd", "20200415", "2020-04-15");
    PARSE("dd/MM/yyyy", "15/04/2020", "2020-04-15");
    PARSE("HH:mm", "13:45", "1970-01-01 13:45:00");
    PARSE("yyyy-MM-dd HH:mm:ss.SSS", "2020-04-15 08:05:00.5", "2020-04-15 08:05:00.5");
    PARSE("dd MMM yyyy hh:mm a", "05 apr 2020 01:30 PM", "2020-04-05 13:30:00");
    PARSE("yyyy-MM-dd HH:mm:ssXXX", "2020-04-15 08:05:00+08:00", "2020-04-15 08:05:00");
    assert_true(has_off);
    assert_int_equal(off, 8 * 3600);
    assert_int_equal(dt_pattern_compile(&a, "yyyy-MM-dd", 10, &p, &err), WEIR_OK);
    assert_false(dt_pattern_parse(p, "2020-04-15x", 11, &v, &has_off, &off));
    assert_false(dt_pattern_parse(p, "2020-13-15", 10, &v, &has_off, &off));
    assert_false(dt_pattern_parse(p, "abc", 3, &v, &has_off, &off));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar), cmocka_unit_test(test_parse),
        cmocka_unit_test(test_format),   cmocka_unit_test(test_zones),
        cmocka_unit_test(test_units),    cmocka_unit_test(test_intervals),
        cmocka_unit_test(test_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
