/*
 * datetime.h — calendar arithmetic, parsing and printing of SQL temporal values,
 * the session time zone, Java-style date patterns and intervals.
 *
 * Values use the lanes of core/types.h: DATE = days since 1970-01-01, TIME =
 * microseconds of the day, TIMESTAMP = wall-clock microseconds since 1970-01-01T00:00,
 * TIMESTAMP_LTZ = instant microseconds since the epoch, INTERVAL YEAR TO MONTH =
 * months, INTERVAL DAY TO SECOND = microseconds.  All divisions floor, so values
 * before 1970 behave.  Printing follows Java (LocalDateTime/Instant.toString) for
 * the print connector and Flink's DateTimeUtils for CAST(... AS STRING).
 */
#ifndef WEIR_DATETIME_H
#define WEIR_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mem.h"

#define DT_US_PER_MS 1000LL
#define DT_US_PER_SEC 1000000LL
#define DT_US_PER_MIN 60000000LL
#define DT_US_PER_HOUR 3600000000LL
#define DT_US_PER_DAY 86400000000LL

/* Room for any text the dt_fmt_* functions write (plus a NUL). */
#define DT_FMT_MAX 48

/* ---- floor arithmetic and the civil calendar -------------------------------- */

static inline int64_t dt_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static inline int64_t dt_floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
/* TIMESTAMP (or wall clock) → its DATE and its TIME of day. */
static inline int64_t dt_ts_date(int64_t us) { return dt_floor_div(us, DT_US_PER_DAY); }
static inline int64_t dt_ts_time(int64_t us) { return dt_floor_mod(us, DT_US_PER_DAY); }

bool dt_is_leap(int64_t y);
int dt_days_in_month(int64_t y, int m);                  /* m 1..12 */
/* Proleptic Gregorian; any year (also < 0 and > 9999). */
int64_t dt_days_from_civil(int64_t y, int m, int d);
void dt_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* Builds a wall-clock value; no range checks. */
int64_t dt_make_ts(int64_t y, int m, int d, int hh, int mi, int ss, int64_t us);

/* ---- parsing (strings are (ptr, len), not NUL-terminated) ------------------- */

/* Strict literal forms (DATE '...', TIME '...', TIMESTAMP '...'); surrounding
 * spaces allowed; month/day/hour/minute/second 1 or 2 digits, year 1-4 digits;
 * fraction 1-9 digits truncated to microseconds.
 *   date:      y-M-d
 *   time:      H:m[:s[.f]]
 *   timestamp: y-M-d[( |T)H:m[:s[.f]]]
 * Returns false when the text does not match or a field is out of range. */
bool dt_parse_date(const char *s, size_t len, int64_t *days);
bool dt_parse_time(const char *s, size_t len, int64_t *us);
bool dt_parse_timestamp(const char *s, size_t len, int64_t *us);
/* CAST(string AS DATE/TIME/TIMESTAMP) leniency, after Flink's DateTimeUtils:
 * date also accepts "yyyy" and "yyyy-M", and ignores anything after the first
 * space ("2017-12-12 09:30:00" → 2017-12-12); time accepts "H", "H:m" and a
 * trailing "+hh[:mm]"/"-hh[:mm]" offset that is added (Flink's parseTime); its
 * fraction is kept to milliseconds, the 4th digit rounding (Flink stores TIME as
 * millis).  Timestamps use dt_parse_timestamp. */
bool dt_cast_parse_date(const char *s, size_t len, int64_t *days);
bool dt_cast_parse_time(const char *s, size_t len, int64_t *us);

/* ---- printing: each writes to buf (>= DT_FMT_MAX bytes), NUL-terminates and
 * returns the length ----------------------------------------------------------- */

int dt_fmt_date(char *buf, int64_t days);                 /* 2020-04-15 */
/* Java LocalTime.toString: 12:44, 12:44:31, 12:44:31.500, 12:44:31.000001
 * (seconds shown when seconds or fraction are non-zero; fraction in groups of 3). */
int dt_fmt_time_java(char *buf, int64_t us);
/* Java LocalDateTime.toString: 2020-04-15T08:00, 2020-04-15T08:09:59.999 */
int dt_fmt_ts_java(char *buf, int64_t us);
/* Java Instant.toString (UTC, seconds always shown): 1970-01-01T00:00:04.001Z */
int dt_fmt_instant_java(char *buf, int64_t instant_us);
/* CAST(TIMESTAMP(p) AS STRING): yyyy-MM-dd HH:mm:ss, then the fraction with
 * trailing zeros removed but never shorter than p digits (Flink's
 * DateTimeUtils.formatTimestamp): p=3 → 2020-04-15 08:00:00.000. */
int dt_fmt_ts_sql(char *buf, int64_t us, int precision);
/* CAST(TIMESTAMP_LTZ(p) AS STRING): the instant in the session zone, as above. */
int dt_fmt_ltz_sql(char *buf, int64_t instant_us, int precision);
/* CAST(TIME(p) AS STRING): HH:mm:ss, then for p > 0 '.' and up to p millisecond
 * digits, stopping after the last non-zero one (but at least one digit) —
 * Flink's formatTimestampMillis(time, p). */
int dt_fmt_time_sql(char *buf, int64_t us, int precision);
/* INTERVAL YEAR TO MONTH as Flink renders it: +2-10, -0-01 */
int dt_fmt_interval_ym(char *buf, int64_t months);
/* INTERVAL DAY TO SECOND as Flink renders it: +10 00:00:00.004 (millis, 3 digits) */
int dt_fmt_interval_dt(char *buf, int64_t us);
/* Java Period.toString / Duration.toString (the print connector's rendering of
 * intervals, whose external classes are Period and Duration): P2Y10M, P0D,
 * PT240H0.004S, PT0S, PT-0.5S. */
int dt_fmt_period_java(char *buf, int64_t months);
int dt_fmt_duration_java(char *buf, int64_t us);

/* ---- session time zone ------------------------------------------------------ */

/* Sets the process-wide session zone (`table.local-time-zone`).  Accepts "UTC",
 * "GMT", "Z", "UT", offsets "+08:00" "-8" "+0830", prefixed offsets "GMT+08:00"
 * "UTC+8", "default" (= UTC, weir's JVM-default stand-in), and region ids from the
 * system tz database ("Asia/Shanghai").  Call once before worker threads start;
 * readers are lock-free afterwards.  Returns WEIR_OK or WEIR_ERR_CONFIG (unknown
 * zone, or tzdata missing: the message names /usr/share/zoneinfo). */
int dt_zone_set(const char *name, struct weir_error *err);
const char *dt_zone_name(void);                      /* as given, "UTC" initially */
bool dt_zone_is_utc(void);
/* Offset (seconds east of UTC) in force at an instant (epoch seconds). */
int32_t dt_zone_offset_at(int64_t instant_sec);
/* Instant → wall clock in the session zone. */
int64_t dt_ltz_to_local(int64_t instant_us);
/* Wall clock in the session zone → instant.  In a DST gap the wall time is moved
 * forward by the gap (Java ZonedDateTime.ofLocal); in an overlap the earlier
 * offset wins, as in Java. */
int64_t dt_local_to_ltz(int64_t wall_us);

/* Wall clock now (CLOCK_REALTIME), epoch microseconds. */
int64_t dt_now_us(void);

/* ---- units: EXTRACT, FLOOR/CEIL, TIMESTAMPADD/DIFF --------------------------- */

enum dt_unit {
    DT_NANOSECOND,
    DT_MICROSECOND,
    DT_MILLISECOND,
    DT_SECOND,
    DT_MINUTE,
    DT_HOUR,
    DT_DAY,
    DT_WEEK,        /* EXTRACT: ISO week; FLOOR/CEIL: week starting Sunday */
    DT_MONTH,
    DT_QUARTER,
    DT_YEAR,
    DT_DECADE,
    DT_CENTURY,
    DT_MILLENNIUM,
    DT_DOW,         /* 1 = Sunday .. 7 = Saturday */
    DT_ISODOW,      /* 1 = Monday .. 7 = Sunday */
    DT_DOY,         /* 1..366 */
    DT_ISOYEAR,
    DT_EPOCH,       /* seconds since 1970-01-01 00:00 (wall clock) */
};
/* Parses a unit keyword ("YEAR", "MINUTES", "DAYOFWEEK", "SQL_TSI_DAY", ...),
 * case-insensitive. */
bool dt_unit_parse(const char *s, size_t len, enum dt_unit *u);
const char *dt_unit_name(enum dt_unit u);

/* EXTRACT(u FROM x) for a wall-clock TIMESTAMP, a DATE and a TIME.
 * MILLISECOND / MICROSECOND are the part within the second (0..999 / 0..999999),
 * as Flink's DateTimeUtils.extractFromTimestamp. */
int64_t dt_extract_ts(enum dt_unit u, int64_t wall_us);
int64_t dt_extract_date(enum dt_unit u, int64_t days);
int64_t dt_extract_time(enum dt_unit u, int64_t us);

/* FLOOR/CEIL(x TO u) on a wall-clock TIMESTAMP (TIME: use the same on the micros of
 * day), and on a DATE (units DAY and above). */
int64_t dt_floor_ts(enum dt_unit u, int64_t wall_us);
int64_t dt_ceil_ts(enum dt_unit u, int64_t wall_us);
int64_t dt_floor_date(enum dt_unit u, int64_t days);
int64_t dt_ceil_date(enum dt_unit u, int64_t days);

/* Month arithmetic clamping the day of month (2020-01-31 + 1 month = 2020-02-29). */
int64_t dt_add_months_date(int64_t days, int64_t months);
int64_t dt_add_months_ts(int64_t wall_us, int64_t months);
/* TIMESTAMPADD(u, n, ts): u = MICROSECOND..YEAR (WEEK = 7 days, QUARTER = 3 months).
 * Returns false on int64 overflow. */
bool dt_ts_add(enum dt_unit u, int64_t n, int64_t wall_us, int64_t *out);
/* TIMESTAMPDIFF(u, t1, t2): whole units from t1 to t2, truncated toward zero;
 * MONTH/QUARTER/YEAR count whole months as Flink/Calcite's subtractMonths. */
int64_t dt_ts_diff(enum dt_unit u, int64_t t1_us, int64_t t2_us);

/* ---- interval literals ------------------------------------------------------ */

/* Parses the string of an interval literal INTERVAL 's' from [TO to] (to may equal
 * from for a single unit).  YEAR/MONTH ranges give months, others microseconds.
 * Examples: ('10', MINUTE), ('10 00:00:00.004', DAY, SECOND), ('2-10', YEAR, MONTH),
 * ('0.001', SECOND), ('-1', DAY).  Returns false if malformed or out of range. */
bool dt_parse_interval(const char *s, size_t len, enum dt_unit from, enum dt_unit to,
                       int64_t *out);

/* ---- Java date patterns ------------------------------------------------------ */

/*
 * A compiled java.time.format.DateTimeFormatter / SimpleDateFormat pattern for
 * DATE_FORMAT, TO_TIMESTAMP(s, fmt), TO_DATE(s, fmt), UNIX_TIMESTAMP(s, fmt),
 * FROM_UNIXTIME(n, fmt).  Letters: y u (year; yy = 2 digits, base 2000), M L (M, MM,
 * MMM Jan, MMMM January), d, D (day of year), H k K h (hours), m, s, S.. (fraction,
 * one digit per S), a (AM/PM), E EEE (Mon) EEEE (Monday), X XX XXX x xx xxx Z ZZ
 * ZZZ (offsets), 'quoted', '' (a quote); other ASCII punctuation and spaces are
 * literals.  Unsupported letters fail compilation (WEIR_ERR_BIND).
 * Parsing: a numeric field adjacent to another numeric field takes its width
 * exactly (yyyyMMdd), otherwise 1..N digits; missing fields default to
 * 1970-01-01 00:00:00.
 */
struct dt_pattern;

/* Compiles fmt (len bytes) into arena a; *out borrowed for a's lifetime. */
int dt_pattern_compile(struct arena *a, const char *fmt, size_t len,
                       struct dt_pattern **out, struct weir_error *err);
/* Formats a wall-clock value; offset fields (X, Z) print offset_sec.  Writes at
 * most cap-1 bytes + NUL; returns the full length. */
size_t dt_pattern_format(const struct dt_pattern *p, int64_t wall_us, int32_t offset_sec,
                         char *buf, size_t cap);
/* Parses s fully (trailing text is an error).  *wall_us gets the wall clock; when
 * the pattern holds an offset field, *has_offset is set and *offset_sec holds it
 * (instant = wall - offset).  Returns false when the text does not match. */
bool dt_pattern_parse(const struct dt_pattern *p, const char *s, size_t len,
                      int64_t *wall_us, bool *has_offset, int32_t *offset_sec);
/* True when the pattern holds an offset field. */
bool dt_pattern_has_offset(const struct dt_pattern *p);
/* The span of wall-clock time over which the formatted text cannot change,
 * in microseconds, aligned to multiples of it: a day for yyyy-MM-dd, a
 * minute for HH:mm, 1 with fractions; 0 when the pattern prints an offset. */
int64_t dt_pattern_resolution(const struct dt_pattern *p);

#endif
