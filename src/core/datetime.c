/*
 * datetime.c — the calendar, temporal text, the session zone and Java date
 * patterns (see datetime.h).
 *
 * Calendar conversions are Howard Hinnant's days_from_civil / civil_from_days
 * (exact for any proleptic Gregorian year).  The session zone is either a fixed
 * offset or a transition table built once in dt_zone_set() by scanning glibc's
 * localtime_r day by day from 1850 to 2400 and bisecting each change to the
 * second; afterwards every lookup is a lock-free binary search.  Instants outside
 * that range ask glibc directly (TZ stays set to the session zone for that).
 * Behaviour that copies Flink's DateTimeUtils (including its quirks, e.g.
 * CEIL(x TO MONTH) looking only at the day) is marked "Flink:".
 */
#include "core/datetime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- calendar ------------------------------------------------------------------ */

bool dt_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int dt_days_in_month(int64_t y, int m)
{
    static const int dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && dt_is_leap(y) ? 29 : dim[m];
}

int64_t dt_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void dt_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

int64_t dt_make_ts(int64_t y, int m, int d, int hh, int mi, int ss, int64_t us)
{
    return dt_days_from_civil(y, m, d) * DT_US_PER_DAY + hh * DT_US_PER_HOUR +
           mi * DT_US_PER_MIN + ss * DT_US_PER_SEC + us;
}

/* ---- parsing ------------------------------------------------------------------- */

struct cur {
    const char *p, *end;
};

static inline bool cur_digit(const struct cur *c)
{
    return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/* Reads min..max digits. */
static bool read_num(struct cur *c, int min, int max, int64_t *out)
{
    int64_t v = 0;
    int n = 0;
    while (n < max && cur_digit(c)) {
        v = v * 10 + (*c->p++ - '0');
        n++;
    }
    *out = v;
    return n >= min;
}

static inline bool read_ch(struct cur *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static void trim_ws(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n > 0 && isspace((unsigned char)p[0])) {
        p++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    *s = p;
    *len = n;
}

/* Fraction digits after '.', 1..9, truncated to micros. */
static bool read_frac_us(struct cur *c, int64_t *us)
{
    int64_t v = 0;
    int n = 0;
    while (cur_digit(c)) {
        if (n < 6)
            v = v * 10 + (*c->p - '0');
        c->p++;
        n++;
    }
    if (n == 0 || n > 9)
        return false;
    for (int k = n; k < 6; k++)
        v *= 10;
    *us = v;
    return true;
}

static bool parse_date_cur(struct cur *c, int64_t *days)
{
    int64_t y, m, d;
    if (!read_num(c, 1, 4, &y) || !read_ch(c, '-') || !read_num(c, 1, 2, &m) ||
        !read_ch(c, '-') || !read_num(c, 1, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > dt_days_in_month(y, (int)m))
        return false;
    *days = dt_days_from_civil(y, (int)m, (int)d);
    return true;
}

static bool parse_time_cur(struct cur *c, int64_t *us)
{
    int64_t h, mi, s = 0, f = 0;
    if (!read_num(c, 1, 2, &h) || !read_ch(c, ':') || !read_num(c, 1, 2, &mi))
        return false;
    if (read_ch(c, ':')) {
        if (!read_num(c, 1, 2, &s))
            return false;
        if (read_ch(c, '.') && !read_frac_us(c, &f))
            return false;
    }
    if (h > 23 || mi > 59 || s > 59)
        return false;
    *us = h * DT_US_PER_HOUR + mi * DT_US_PER_MIN + s * DT_US_PER_SEC + f;
    return true;
}

bool dt_parse_date(const char *s, size_t len, int64_t *days)
{
    trim_ws(&s, &len);
    struct cur c = {s, s + len};
    return parse_date_cur(&c, days) && c.p == c.end;
}

bool dt_parse_time(const char *s, size_t len, int64_t *us)
{
    trim_ws(&s, &len);
    struct cur c = {s, s + len};
    return parse_time_cur(&c, us) && c.p == c.end;
}

bool dt_parse_timestamp(const char *s, size_t len, int64_t *us)
{
    trim_ws(&s, &len);
    struct cur c = {s, s + len};
    int64_t days, t = 0;
    if (!parse_date_cur(&c, &days))
        return false;
    if (c.p < c.end) {
        if (*c.p != ' ' && *c.p != 'T')
            return false;
        c.p++;
        if (!parse_time_cur(&c, &t) || c.p != c.end)
            return false;
    }
    *us = days * DT_US_PER_DAY + t;
    return true;
}

/* Java-ish Integer.parseInt of a trimmed all-digit piece (Flink's isInteger). */
static bool piece_int(const char *s, size_t len, int64_t *out)
{
    trim_ws(&s, &len);
    if (len == 0 || len > 9)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static const char *find_ch(const char *s, const char *end, char ch)
{
    for (; s < end; s++)
        if (*s == ch)
            return s;
    return NULL;
}

bool dt_cast_parse_date(const char *s, size_t len, int64_t *days)
{
    /* Flink: cut at the first space (if not leading), split at '-', trim pieces. */
    const char *end = s + len;
    const char *sp = find_ch(s, end, ' ');
    if (sp != NULL && sp > s)
        end = sp;
    int64_t y, m = 1, d = 1;
    const char *h1 = find_ch(s, end, '-');
    if (h1 == NULL) {
        if (!piece_int(s, (size_t)(end - s), &y))
            return false;
    } else {
        if (!piece_int(s, (size_t)(h1 - s), &y))
            return false;
        const char *h2 = find_ch(h1 + 1, end, '-');
        if (h2 == NULL) {
            if (!piece_int(h1 + 1, (size_t)(end - h1 - 1), &m))
                return false;
        } else if (!piece_int(h1 + 1, (size_t)(h2 - h1 - 1), &m) ||
                   !piece_int(h2 + 1, (size_t)(end - h2 - 1), &d)) {
            return false;
        }
    }
    if (y > 9999 || m < 1 || m > 12 || d < 1 || d > dt_days_in_month(y, (int)m))
        return false;
    *days = dt_days_from_civil(y, (int)m, (int)d);
    return true;
}

bool dt_cast_parse_time(const char *s, size_t len, int64_t *us)
{
    /* Flink's DateTimeUtils.parseTime, piece by piece. */
    const char *end = s + len, *stop = end;
    int64_t tzh = 0, tzm = 0, op = -1;
    const char *tz = find_ch(s, end, '-');
    if (tz == NULL) {
        tz = find_ch(s, end, '+');
        op = 1;
    }
    if (tz != NULL) {
        stop = tz;
        const char *c3 = find_ch(tz, end, ':');
        if (c3 == NULL) {
            if (!piece_int(tz + 1, (size_t)(end - tz - 1), &tzh))
                return false;
        } else if (!piece_int(tz + 1, (size_t)(c3 - tz - 1), &tzh) ||
                   !piece_int(c3 + 1, (size_t)(end - c3 - 1), &tzm)) {
            return false;
        }
    }
    int64_t h, mi = 0, sec = 0, ms = 0;
    const char *c1 = find_ch(s, stop, ':');
    if (c1 == NULL) {
        if (!piece_int(s, (size_t)(stop - s), &h))
            return false;
    } else {
        if (!piece_int(s, (size_t)(c1 - s), &h))
            return false;
        const char *c2 = find_ch(c1 + 1, stop, ':');
        if (c2 == NULL) {
            if (!piece_int(c1 + 1, (size_t)(stop - c1 - 1), &mi))
                return false;
        } else {
            if (!piece_int(c1 + 1, (size_t)(c2 - c1 - 1), &mi))
                return false;
            const char *dot = find_ch(c2, stop, '.');
            if (dot == NULL) {
                if (!piece_int(c2 + 1, (size_t)(stop - c2 - 1), &sec))
                    return false;
            } else {
                if (!piece_int(c2 + 1, (size_t)(dot - c2 - 1), &sec))
                    return false;
                /* parseFraction: three digits, the fourth rounds */
                const char *f = dot + 1;
                size_t fl = (size_t)(stop - f);
                trim_ws(&f, &fl);
                int mult = 100;
                for (size_t i = 0; i < fl; i++) {
                    int x = (f[i] < '0' || f[i] > '9') ? 0 : f[i] - '0';
                    ms += mult * x;
                    if (mult < 10) {
                        if (i + 1 < fl && f[i + 1] >= '5')
                            ms++;
                        break;
                    }
                    mult /= 10;
                }
            }
        }
    }
    h += op * tzh;
    mi += op * tzm;
    int64_t total = h * 3600000 + mi * 60000 + sec * 1000 + ms;
    if (total < 0 || total >= 86400000 || mi > 59 || sec > 59)
        return false;
    *us = total * 1000;
    return true;
}

/* ---- printing ------------------------------------------------------------------- */

static inline char *put2(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
    return o + 2;
}

static char *put_uint(char *o, uint64_t v)
{
    char tmp[24];
    int i = 24;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(o, tmp + i, (size_t)(24 - i));
    return o + (24 - i);
}

static char *put_padded(char *o, uint64_t v, int width)
{
    char tmp[24];
    int i = 24;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (24 - i < width)
        tmp[--i] = '0';
    memcpy(o, tmp + i, (size_t)(24 - i));
    return o + (24 - i);
}

/* Java LocalDate year: 4 digits, '-' below 0, '+' above 9999. */
static char *put_java_year(char *o, int64_t y)
{
    if (y < 0) {
        *o++ = '-';
        return put_padded(o, (uint64_t)(-y), 4);
    }
    if (y > 9999)
        *o++ = '+';
    return put_padded(o, (uint64_t)y, 4);
}

/* Flink's int4: four digits of the year, whatever its size. */
static char *put_sql_year(char *o, int64_t y)
{
    int64_t a = y < 0 ? -y : y;
    o[0] = (char)('0' + (a / 1000) % 10);
    o[1] = (char)('0' + (a / 100) % 10);
    o[2] = (char)('0' + (a / 10) % 10);
    o[3] = (char)('0' + a % 10);
    return o + 4;
}

static char *put_ymd(char *o, int64_t days, bool java)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    o = java ? put_java_year(o, y) : put_sql_year(o, y);
    *o++ = '-';
    o = put2(o, m);
    *o++ = '-';
    return put2(o, d);
}

/* Fraction in groups of 3 digits (Java toString of nanos). */
static char *put_frac_groups(char *o, int64_t frac_us)
{
    *o++ = '.';
    if (frac_us % 1000 == 0)
        return put_padded(o, (uint64_t)(frac_us / 1000), 3);
    return put_padded(o, (uint64_t)frac_us, 6);
}

static char *put_time_java(char *o, int64_t us, bool always_seconds)
{
    int64_t secs = us / DT_US_PER_SEC, frac = us % DT_US_PER_SEC;
    o = put2(o, (int)(secs / 3600));
    *o++ = ':';
    o = put2(o, (int)(secs / 60 % 60));
    if (always_seconds || secs % 60 != 0 || frac != 0) {
        *o++ = ':';
        o = put2(o, (int)(secs % 60));
        if (frac != 0)
            o = put_frac_groups(o, frac);
    }
    return o;
}

int dt_fmt_date(char *buf, int64_t days)
{
    char *o = put_ymd(buf, days, true);
    *o = '\0';
    return (int)(o - buf);
}

int dt_fmt_time_java(char *buf, int64_t us)
{
    char *o = put_time_java(buf, dt_floor_mod(us, DT_US_PER_DAY), false);
    *o = '\0';
    return (int)(o - buf);
}

int dt_fmt_ts_java(char *buf, int64_t us)
{
    char *o = put_ymd(buf, dt_ts_date(us), true);
    *o++ = 'T';
    o = put_time_java(o, dt_ts_time(us), false);
    *o = '\0';
    return (int)(o - buf);
}

int dt_fmt_instant_java(char *buf, int64_t us)
{
    char *o = put_ymd(buf, dt_ts_date(us), true);
    *o++ = 'T';
    o = put_time_java(o, dt_ts_time(us), true);
    *o++ = 'Z';
    *o = '\0';
    return (int)(o - buf);
}

int dt_fmt_ts_sql(char *buf, int64_t us, int precision)
{
    int64_t t = dt_ts_time(us);
    char *o = put_ymd(buf, dt_ts_date(us), false);
    *o++ = ' ';
    int64_t secs = t / DT_US_PER_SEC;
    o = put2(o, (int)(secs / 3600));
    *o++ = ':';
    o = put2(o, (int)(secs / 60 % 60));
    *o++ = ':';
    o = put2(o, (int)(secs % 60));
    /* Flink formatTimestamp: 9 nano digits, trailing zeros dropped while longer
     * than the precision. */
    char frac[9];
    put_padded(frac, (uint64_t)(t % DT_US_PER_SEC) * 1000, 9);
    int n = 9;
    while (n > precision && n > 0 && frac[n - 1] == '0')
        n--;
    if (n > 0) {
        *o++ = '.';
        memcpy(o, frac, (size_t)n);
        o += n;
    }
    *o = '\0';
    return (int)(o - buf);
}

int dt_fmt_ltz_sql(char *buf, int64_t instant_us, int precision)
{
    return dt_fmt_ts_sql(buf, dt_ltz_to_local(instant_us), precision);
}

int dt_fmt_time_sql(char *buf, int64_t us, int precision)
{
    int64_t t = dt_floor_mod(us, DT_US_PER_DAY);
    int64_t secs = t / DT_US_PER_SEC;
    int ms = (int)(t % DT_US_PER_SEC / 1000);
    char *o = put2(buf, (int)(secs / 3600));
    *o++ = ':';
    o = put2(o, (int)(secs / 60 % 60));
    *o++ = ':';
    o = put2(o, (int)(secs % 60));
    if (precision > 0) {
        /* Flink formatTimestampMillis: stops once the remaining millis are 0 */
        *o++ = '.';
        while (precision > 0) {
            *o++ = (char)('0' + ms / 100);
            ms = ms % 100 * 10;
            if (ms == 0)
                break;
            precision--;
        }
    }
    *o = '\0';
    return (int)(o - buf);
}

int dt_fmt_interval_ym(char *buf, int64_t months)
{
    char *o = buf;
    uint64_t v;
    if (months >= 0) {
        *o++ = '+';
        v = (uint64_t)months;
    } else {
        *o++ = '-';
        v = (uint64_t)0 - (uint64_t)months;
    }
    o = put_uint(o, v / 12);
    *o++ = '-';
    o = put_padded(o, v % 12, 2);
    *o = '\0';
    return (int)(o - buf);
}

int dt_fmt_interval_dt(char *buf, int64_t us)
{
    char *o = buf;
    uint64_t v;
    if (us >= 0) {
        *o++ = '+';
        v = (uint64_t)us;
    } else {
        *o++ = '-';
        v = (uint64_t)0 - (uint64_t)us;
    }
    v /= 1000;      /* Flink keeps millis */
    uint64_t ms = v % 1000;
    v /= 1000;
    uint64_t s = v % 60, m = v / 60 % 60, h = v / 3600 % 24, d = v / 86400;
    o = put_uint(o, d);
    *o++ = ' ';
    o = put2(o, (int)h);
    *o++ = ':';
    o = put2(o, (int)m);
    *o++ = ':';
    o = put2(o, (int)s);
    *o++ = '.';
    o = put_padded(o, ms, 3);
    *o = '\0';
    return (int)(o - buf);
}

static char *put_int(char *o, int64_t v)
{
    if (v < 0) {
        *o++ = '-';
        return put_uint(o, (uint64_t)0 - (uint64_t)v);
    }
    return put_uint(o, (uint64_t)v);
}

int dt_fmt_period_java(char *buf, int64_t months)
{
    char *o = buf;
    *o++ = 'P';
    if (months == 0) {
        *o++ = '0';
        *o++ = 'D';
    } else {
        /* Flink converts YEAR TO MONTH with Period.of(m / 12, m % 12, 0) */
        int64_t y = months / 12, m = months % 12;
        if (y != 0) {
            o = put_int(o, y);
            *o++ = 'Y';
        }
        if (m != 0) {
            o = put_int(o, m);
            *o++ = 'M';
        }
    }
    *o = '\0';
    return (int)(o - buf);
}

int dt_fmt_duration_java(char *buf, int64_t us)
{
    char *o = buf;
    if (us == 0) {
        strcpy(buf, "PT0S");
        return 4;
    }
    int64_t seconds = dt_floor_div(us, DT_US_PER_SEC);
    int64_t nanos = dt_floor_mod(us, DT_US_PER_SEC) * 1000;
    int64_t eff = seconds;
    if (seconds < 0 && nanos > 0)
        eff++;
    int64_t hours = eff / 3600;
    int minutes = (int)(eff % 3600 / 60);
    int secs = (int)(eff % 60);
    *o++ = 'P';
    *o++ = 'T';
    if (hours != 0) {
        o = put_int(o, hours);
        *o++ = 'H';
    }
    if (minutes != 0) {
        o = put_int(o, minutes);
        *o++ = 'M';
    }
    if (secs == 0 && nanos == 0 && o - buf > 2) {
        *o = '\0';
        return (int)(o - buf);
    }
    if (seconds < 0 && nanos > 0 && secs == 0) {
        *o++ = '-';
        *o++ = '0';
    } else {
        o = put_int(o, secs);
    }
    if (nanos > 0) {
        char *pos = o;
        int64_t f = seconds < 0 ? 2 * 1000000000LL - nanos : nanos + 1000000000LL;
        o = put_uint(o, (uint64_t)f);
        while (o[-1] == '0')
            o--;
        *pos = '.';
    }
    *o++ = 'S';
    *o = '\0';
    return (int)(o - buf);
}

/* ---- session time zone ---------------------------------------------------------- */

#define ZONE_SCAN_FROM (-3786825600LL)  /* 1850-01-01 */
#define ZONE_SCAN_TO 13569465600LL      /* 2400-01-01 */

static struct {
    char name[128];
    bool fixed;
    int32_t fixed_off;
    int n;              /* entries in trans/offs/lkey */
    int64_t *trans;     /* trans[i]: instant (s) from which offs[i] applies; [0] = min */
    int32_t *offs;
    int64_t *lkey;      /* local second from which offs[i] applies (for local→instant) */
} g_zone = {"UTC", true, 0, 0, NULL, NULL, NULL};

static int32_t glibc_offset(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (localtime_r(&tt, &tm) == NULL)
        return 0;
    return (int32_t)tm.tm_gmtoff;
}

/* Java ZoneOffset.of: +h, +hh, +hh:mm, +hhmm, +hh:mm:ss, +hhmmss (|off| <= 18h). */
static bool parse_offset(const char *s, int32_t *out)
{
    if (*s != '+' && *s != '-')
        return false;
    int sign = *s == '-' ? -1 : 1;
    s++;
    size_t n = strlen(s);
    int h = 0, m = 0, sec = 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && s[i] != ':')
            return false;
    if (n == 1 || n == 2) {
        h = atoi(s);
        if (n == 2 && !isdigit((unsigned char)s[1]))
            return false;
    } else if (n == 5 && s[2] == ':') {
        h = (s[0] - '0') * 10 + (s[1] - '0');
        m = (s[3] - '0') * 10 + (s[4] - '0');
    } else if (n == 4 && !strchr(s, ':')) {
        h = (s[0] - '0') * 10 + (s[1] - '0');
        m = (s[2] - '0') * 10 + (s[3] - '0');
    } else if (n == 8 && s[2] == ':' && s[5] == ':') {
        h = (s[0] - '0') * 10 + (s[1] - '0');
        m = (s[3] - '0') * 10 + (s[4] - '0');
        sec = (s[6] - '0') * 10 + (s[7] - '0');
    } else if (n == 6 && !strchr(s, ':')) {
        h = (s[0] - '0') * 10 + (s[1] - '0');
        m = (s[2] - '0') * 10 + (s[3] - '0');
        sec = (s[4] - '0') * 10 + (s[5] - '0');
    } else {
        return false;
    }
    if (m > 59 || sec > 59 || h * 3600 + m * 60 + sec > 18 * 3600)
        return false;
    *out = sign * (h * 3600 + m * 60 + sec);
    return true;
}

static void zone_free_table(void)
{
    mem_free(g_zone.trans);
    mem_free(g_zone.offs);
    mem_free(g_zone.lkey);
    g_zone.trans = NULL;
    g_zone.offs = NULL;
    g_zone.lkey = NULL;
    g_zone.n = 0;
}

static void zone_set_fixed(const char *name, int32_t off)
{
    zone_free_table();
    snprintf(g_zone.name, sizeof g_zone.name, "%s", name);
    g_zone.fixed = true;
    g_zone.fixed_off = off;
}

static int zone_build_table(void)
{
    int cap = 256, n = 0;
    int64_t *trans = mem_alloc(sizeof(int64_t) * (size_t)cap);
    int32_t *offs = mem_alloc(sizeof(int32_t) * (size_t)cap);
    int32_t cur = glibc_offset(ZONE_SCAN_FROM);
    trans[n] = INT64_MIN;
    offs[n++] = cur;
    for (int64_t t = ZONE_SCAN_FROM + 86400; t <= ZONE_SCAN_TO; t += 86400) {
        int32_t o = glibc_offset(t);
        if (o == cur)
            continue;
        /* bisect (t - 1 day, t] to the first second with the new offset */
        int64_t lo = t - 86400, hi = t;
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;
            if (glibc_offset(mid) == cur)
                lo = mid;
            else
                hi = mid;
        }
        if (n == cap) {
            cap *= 2;
            trans = mem_realloc(trans, sizeof(int64_t) * (size_t)cap);
            offs = mem_realloc(offs, sizeof(int32_t) * (size_t)cap);
        }
        trans[n] = hi;
        offs[n++] = o;
        cur = o;
    }
    int64_t *lkey = mem_alloc(sizeof(int64_t) * (size_t)n);
    lkey[0] = INT64_MIN;
    for (int i = 1; i < n; i++) {
        int32_t before = offs[i - 1], after = offs[i];
        lkey[i] = trans[i] + (before > after ? before : after);
    }
    g_zone.trans = trans;
    g_zone.offs = offs;
    g_zone.lkey = lkey;
    g_zone.n = n;
    return WEIR_OK;
}

int dt_zone_set(const char *name, struct weir_error *err)
{
    if (name == NULL || *name == '\0')
        return err_set(err, WEIR_ERR_CONFIG, "invalid time zone ''");
    if (strcmp(name, "default") == 0 || strcmp(name, "UTC") == 0 ||
        strcmp(name, "GMT") == 0 || strcmp(name, "UT") == 0 || strcmp(name, "Z") == 0 ||
        strcmp(name, "UCT") == 0 || strcmp(name, "Etc/UTC") == 0 ||
        strcmp(name, "Etc/GMT") == 0) {
        zone_set_fixed(name, 0);
        return WEIR_OK;
    }
    int32_t off;
    const char *o = name;
    if (strncmp(name, "GMT", 3) == 0 || strncmp(name, "UTC", 3) == 0)
        o = name + 3;
    else if (strncmp(name, "UT", 2) == 0)
        o = name + 2;
    if (*o == '+' || *o == '-') {
        if (!parse_offset(o, &off))
            return err_set(err, WEIR_ERR_CONFIG,
                           "invalid time zone '%s': bad offset (use e.g. 'GMT+08:00')",
                           name);
        zone_set_fixed(name, off);
        return WEIR_OK;
    }
    /* a region id: letters, digits, '/', '_', '-', '+'; no "..", not absolute */
    if (name[0] == '/' || strstr(name, "..") != NULL || strlen(name) >= 100)
        return err_set(err, WEIR_ERR_CONFIG, "invalid time zone '%s'", name);
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '/' && *p != '_' && *p != '-' &&
            *p != '+')
            return err_set(err, WEIR_ERR_CONFIG, "invalid time zone '%s'", name);
    const char *dir = getenv("TZDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/usr/share/zoneinfo";
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (access(dir, F_OK) != 0)
            return err_set(err, WEIR_ERR_CONFIG,
                           "time zone '%s' needs the tz database, but %s does not exist "
                           "(install the tzdata package)",
                           name, dir);
        return err_set(err, WEIR_ERR_CONFIG,
                       "unknown time zone '%s' (not found in %s)", name, dir);
    }
    char magic[4] = {0};
    size_t got = fread(magic, 1, 4, f);
    fclose(f);
    if (got != 4 || memcmp(magic, "TZif", 4) != 0)
        return err_set(err, WEIR_ERR_CONFIG, "unknown time zone '%s' (%s is not a tz file)",
                       name, path);
    /* glibc reads the zone; TZ stays set for lookups outside the table's range. */
    setenv("TZ", name, 1);
    tzset();
    zone_free_table();
    snprintf(g_zone.name, sizeof g_zone.name, "%s", name);
    g_zone.fixed = false;
    return zone_build_table();
}

const char *dt_zone_name(void) { return g_zone.name; }

bool dt_zone_is_utc(void) { return g_zone.fixed && g_zone.fixed_off == 0; }

int32_t dt_zone_offset_at(int64_t t)
{
    if (g_zone.fixed)
        return g_zone.fixed_off;
    if (t < ZONE_SCAN_FROM || t > ZONE_SCAN_TO)
        return glibc_offset(t);
    /* last i with trans[i] <= t */
    int lo = 0, hi = g_zone.n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (g_zone.trans[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return g_zone.offs[lo];
}

int64_t dt_ltz_to_local(int64_t instant_us)
{
    if (g_zone.fixed)
        return instant_us + (int64_t)g_zone.fixed_off * DT_US_PER_SEC;
    int64_t sec = dt_floor_div(instant_us, DT_US_PER_SEC);
    return instant_us + (int64_t)dt_zone_offset_at(sec) * DT_US_PER_SEC;
}

int64_t dt_local_to_ltz(int64_t wall_us)
{
    if (g_zone.fixed)
        return wall_us - (int64_t)g_zone.fixed_off * DT_US_PER_SEC;
    int64_t w = dt_floor_div(wall_us, DT_US_PER_SEC);
    int32_t off;
    if (w < ZONE_SCAN_FROM + 86400 || w > ZONE_SCAN_TO - 86400) {
        off = glibc_offset(w);
        off = glibc_offset(w - off);
    } else {
        /* Java ZonedDateTime.ofLocal: in a gap or an overlap the offset before the
         * transition applies, i.e. offs[i] from the local key max(before, after). */
        int lo = 0, hi = g_zone.n - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (g_zone.lkey[mid] <= w)
                lo = mid;
            else
                hi = mid - 1;
        }
        off = g_zone.offs[lo];
    }
    return wall_us - (int64_t)off * DT_US_PER_SEC;
}

int64_t dt_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * DT_US_PER_SEC + ts.tv_nsec / 1000;
}

/* ---- units ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    enum dt_unit u;
} unit_names[] = {
    {"NANOSECOND", DT_NANOSECOND},   {"MICROSECOND", DT_MICROSECOND},
    {"MILLISECOND", DT_MILLISECOND}, {"SECOND", DT_SECOND},
    {"MINUTE", DT_MINUTE},           {"HOUR", DT_HOUR},
    {"DAY", DT_DAY},                 {"WEEK", DT_WEEK},
    {"MONTH", DT_MONTH},             {"QUARTER", DT_QUARTER},
    {"YEAR", DT_YEAR},               {"DECADE", DT_DECADE},
    {"CENTURY", DT_CENTURY},         {"MILLENNIUM", DT_MILLENNIUM},
    {"DOW", DT_DOW},                 {"ISODOW", DT_ISODOW},
    {"DOY", DT_DOY},                 {"ISOYEAR", DT_ISOYEAR},
    {"EPOCH", DT_EPOCH},             {"DAYOFWEEK", DT_DOW},
    {"DAYOFYEAR", DT_DOY},           {"DAYOFMONTH", DT_DAY},
    {"NANOSECONDS", DT_NANOSECOND},  {"MICROSECONDS", DT_MICROSECOND},
    {"MILLISECONDS", DT_MILLISECOND}, {"SECONDS", DT_SECOND},
    {"MINUTES", DT_MINUTE},          {"HOURS", DT_HOUR},
    {"DAYS", DT_DAY},                {"WEEKS", DT_WEEK},
    {"MONTHS", DT_MONTH},            {"QUARTERS", DT_QUARTER},
    {"YEARS", DT_YEAR},
};

bool dt_unit_parse(const char *s, size_t len, enum dt_unit *u)
{
    if (len > 8 && strncasecmp(s, "SQL_TSI_", 8) == 0) {
        s += 8;
        len -= 8;
        if (len == 4 && strncasecmp(s, "FRAC", 4) == 0) {
            *u = DT_MICROSECOND;
            return true;
        }
    }
    for (size_t i = 0; i < sizeof unit_names / sizeof unit_names[0]; i++) {
        if (strlen(unit_names[i].name) == len && strncasecmp(unit_names[i].name, s, len) == 0) {
            *u = unit_names[i].u;
            return true;
        }
    }
    return false;
}

const char *dt_unit_name(enum dt_unit u)
{
    for (size_t i = 0; i < sizeof unit_names / sizeof unit_names[0]; i++)
        if (unit_names[i].u == u)
            return unit_names[i].name;
    return "?";
}

/* ISO-8601 weekday of a day number: 1 = Monday. */
static int iso_dow(int64_t days) { return (int)dt_floor_mod(days + 3, 7) + 1; }

static int64_t iso_week_start(int64_t year)
{
    /* Monday of the week holding January 4th */
    int64_t jan4 = dt_days_from_civil(year, 1, 4);
    return jan4 - (iso_dow(jan4) - 1);
}

static void iso_week(int64_t days, int64_t *iso_year, int64_t *week)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    int64_t start = iso_week_start(y + 1);
    if (days >= start) {
        *iso_year = y + 1;
    } else {
        start = iso_week_start(y);
        if (days < start) {
            start = iso_week_start(y - 1);
            *iso_year = y - 1;
        } else {
            *iso_year = y;
        }
    }
    *week = (days - start) / 7 + 1;
}

int64_t dt_extract_date(enum dt_unit u, int64_t days)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    int64_t iy, wk;
    switch (u) {
    case DT_YEAR: return y;
    case DT_MONTH: return m;
    case DT_DAY: return d;
    case DT_QUARTER: return (m + 2) / 3;
    case DT_DOW: return dt_floor_mod(days + 4, 7) + 1;     /* 1970-01-01 was Thursday */
    case DT_ISODOW: return iso_dow(days);
    case DT_DOY: return days - dt_days_from_civil(y, 1, 1) + 1;
    case DT_WEEK: iso_week(days, &iy, &wk); return wk;
    case DT_ISOYEAR: iso_week(days, &iy, &wk); return iy;
    case DT_DECADE: return y / 10;
    case DT_CENTURY: return y > 0 ? (y + 99) / 100 : (y - 99) / 100;
    case DT_MILLENNIUM: return y > 0 ? (y + 999) / 1000 : (y - 999) / 1000;
    case DT_EPOCH: return days * 86400;
    default: return 0;
    }
}

int64_t dt_extract_time(enum dt_unit u, int64_t us)
{
    us = dt_floor_mod(us, DT_US_PER_DAY);
    switch (u) {
    case DT_HOUR: return us / DT_US_PER_HOUR;
    case DT_MINUTE: return us / DT_US_PER_MIN % 60;
    case DT_SECOND: return us / DT_US_PER_SEC % 60;
    case DT_MILLISECOND: return us / 1000 % 1000;
    case DT_MICROSECOND: return us % DT_US_PER_SEC;
    case DT_NANOSECOND: return us % DT_US_PER_SEC * 1000;
    case DT_EPOCH: return us / DT_US_PER_SEC;
    default: return 0;
    }
}

int64_t dt_extract_ts(enum dt_unit u, int64_t wall_us)
{
    switch (u) {
    case DT_HOUR:
    case DT_MINUTE:
    case DT_SECOND:
    case DT_MILLISECOND:
    case DT_MICROSECOND:
    case DT_NANOSECOND:
        return dt_extract_time(u, dt_ts_time(wall_us));
    case DT_EPOCH:
        /* Flink: millis / 1000, truncating */
        return wall_us / DT_US_PER_SEC;
    default:
        return dt_extract_date(u, dt_ts_date(wall_us));
    }
}

static int64_t unit_us(enum dt_unit u)
{
    switch (u) {
    case DT_NANOSECOND:
    case DT_MICROSECOND: return 1;
    case DT_MILLISECOND: return DT_US_PER_MS;
    case DT_SECOND: return DT_US_PER_SEC;
    case DT_MINUTE: return DT_US_PER_MIN;
    case DT_HOUR: return DT_US_PER_HOUR;
    case DT_DAY: return DT_US_PER_DAY;
    case DT_WEEK: return 7 * DT_US_PER_DAY;
    default: return 0;
    }
}

/* Flink's julianDateFloor on a day number. */
static int64_t date_floor_ceil(enum dt_unit u, int64_t days, bool floor)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    int q = (m + 2) / 3;
    switch (u) {
    case DT_MILLENNIUM:
        return floor ? dt_days_from_civil(1000 * ((y + 999) / 1000) - 999, 1, 1)
                     : dt_days_from_civil(1000 * ((y + 999) / 1000) + 1, 1, 1);
    case DT_CENTURY:
        return floor ? dt_days_from_civil(100 * ((y + 99) / 100) - 99, 1, 1)
                     : dt_days_from_civil(100 * ((y + 99) / 100) + 1, 1, 1);
    case DT_DECADE:
        return floor ? dt_days_from_civil(10 * (y / 10), 1, 1)
                     : dt_days_from_civil(10 * (1 + y / 10), 1, 1);
    case DT_YEAR:
        if (!floor && (m > 1 || d > 1))
            y++;
        return dt_days_from_civil(y, 1, 1);
    case DT_MONTH:
        if (!floor && d > 1) {
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
        return dt_days_from_civil(y, m, 1);
    case DT_QUARTER:
        if (!floor && (m > 1 || d > 1))
            q++;
        /* Flink: ymdToUnixDate(year, q*3-2, 1) — month 13 rolls into next year */
        if (q > 4)
            return dt_days_from_civil(y + 1, 1, 1);
        return dt_days_from_civil(y, q * 3 - 2, 1);
    case DT_WEEK: {
        int dow = (int)dt_floor_mod(days + 4, 7);   /* Sunday = 0 */
        int off = dow;
        if (!floor && off > 0)
            off -= 7;
        return days - off;
    }
    case DT_DAY:
    default:
        return floor ? days : days + 1;
    }
}

int64_t dt_floor_ts(enum dt_unit u, int64_t wall_us)
{
    int64_t unit = u == DT_WEEK ? 0 : unit_us(u);
    if (unit > 0)
        return dt_floor_div(wall_us, unit) * unit;
    return date_floor_ceil(u, dt_ts_date(wall_us), true) * DT_US_PER_DAY;
}

int64_t dt_ceil_ts(enum dt_unit u, int64_t wall_us)
{
    int64_t unit = u == DT_WEEK ? 0 : unit_us(u);
    if (unit > 0)
        return -dt_floor_div(-wall_us, unit) * unit;
    /* Flink: DAY and above look only at the date part (the day count truncates
     * toward zero before the julian conversion) */
    int64_t days = wall_us / DT_US_PER_DAY;
    return date_floor_ceil(u, days, false) * DT_US_PER_DAY;
}

int64_t dt_floor_date(enum dt_unit u, int64_t days)
{
    if (u == DT_DAY)
        return days;
    return date_floor_ceil(u, days, true);
}

int64_t dt_ceil_date(enum dt_unit u, int64_t days)
{
    if (u == DT_DAY)
        return days;
    return date_floor_ceil(u, days, false);
}

int64_t dt_add_months_date(int64_t days, int64_t months)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    int64_t mm = (int64_t)m - 1 + months;
    y += dt_floor_div(mm, 12);
    m = (int)dt_floor_mod(mm, 12) + 1;
    int last = dt_days_in_month(y, m);
    if (d > last)
        d = last;
    return dt_days_from_civil(y, m, d);
}

int64_t dt_add_months_ts(int64_t wall_us, int64_t months)
{
    return dt_add_months_date(dt_ts_date(wall_us), months) * DT_US_PER_DAY +
           dt_ts_time(wall_us);
}

bool dt_ts_add(enum dt_unit u, int64_t n, int64_t wall_us, int64_t *out)
{
    int64_t months = 0;
    switch (u) {
    case DT_MONTH: months = 1; break;
    case DT_QUARTER: months = 3; break;
    case DT_YEAR: months = 12; break;
    default: break;
    }
    if (months) {
        int64_t m;
        if (__builtin_mul_overflow(n, months, &m))
            return false;
        *out = dt_add_months_ts(wall_us, m);
        return true;
    }
    int64_t unit = unit_us(u), d;
    if (u == DT_NANOSECOND) {
        *out = wall_us + n / 1000;
        return true;
    }
    if (unit == 0 || __builtin_mul_overflow(n, unit, &d) ||
        __builtin_add_overflow(wall_us, d, out))
        return false;
    return true;
}

/* Calcite/Flink subtractMonths on day numbers. */
static int64_t sub_months_days(int64_t d0, int64_t d1)
{
    if (d0 < d1)
        return -sub_months_days(d1, d0);
    int64_t m = (d0 - d1) / 31;
    for (;;) {
        int64_t d2 = dt_add_months_date(d1, m);
        if (d2 >= d0)
            return m;
        int64_t d3 = dt_add_months_date(d1, m + 1);
        if (d3 > d0)
            return m;
        m++;
    }
}

int64_t dt_ts_diff(enum dt_unit u, int64_t t1, int64_t t2)
{
    int64_t div = 0;
    switch (u) {
    case DT_MONTH: div = 1; break;
    case DT_QUARTER: div = 3; break;
    case DT_YEAR: div = 12; break;
    default: break;
    }
    if (div) {
        /* subtractMonths(t2, t1) */
        int64_t ms0 = dt_ts_time(t2), ms1 = dt_ts_time(t1);
        int64_t d0 = dt_ts_date(t2), d1 = dt_ts_date(t1);
        int64_t x = sub_months_days(d0, d1);
        int64_t d2 = dt_add_months_date(d1, x);
        if (d2 == d0 && ms0 < ms1)
            x--;
        return x / div;
    }
    if (u == DT_NANOSECOND)
        return (t2 - t1) * 1000;
    int64_t unit = unit_us(u);
    return unit ? (t2 - t1) / unit : 0;
}

/* ---- interval literals ---------------------------------------------------------- */

bool dt_parse_interval(const char *s, size_t len, enum dt_unit from, enum dt_unit to,
                       int64_t *out)
{
    trim_ws(&s, &len);
    struct cur c = {s, s + len};
    bool neg = false;
    if (c.p < c.end && (*c.p == '-' || *c.p == '+')) {
        neg = *c.p == '-';
        c.p++;
    }
    int64_t lead, v = 0, f = 0;
    if (!read_num(&c, 1, 18, &lead))
        return false;
    if (from == DT_YEAR || from == DT_MONTH) {
        if (from == DT_YEAR && to == DT_MONTH) {
            int64_t m;
            if (!read_ch(&c, '-') || !read_num(&c, 1, 2, &m) || m > 11)
                return false;
            v = lead * 12 + m;
        } else {
            v = from == DT_YEAR ? lead * 12 : lead;
        }
        if (c.p != c.end)
            return false;
        *out = neg ? -v : v;
        return true;
    }
    static const enum dt_unit order[] = {DT_DAY, DT_HOUR, DT_MINUTE, DT_SECOND};
    static const char seps[] = {' ', ':', ':'};
    static const int64_t limits[] = {0, 24, 60, 60};
    int i = 0;
    while (i < 4 && order[i] != from)
        i++;
    if (i == 4)
        return false;
    if (__builtin_mul_overflow(lead, unit_us(from), &v))
        return false;
    enum dt_unit last = from;
    while (last != to) {
        if (i + 1 >= 4)
            return false;
        int64_t x;
        if (!read_ch(&c, seps[i]) || !read_num(&c, 1, 2, &x) || x >= limits[i + 1])
            return false;
        i++;
        last = order[i];
        v += x * unit_us(last);
    }
    if (last == DT_SECOND && read_ch(&c, '.')) {
        if (!read_frac_us(&c, &f))
            return false;
        v += f;
    }
    if (c.p != c.end)
        return false;
    *out = neg ? -v : v;
    return true;
}

/* ---- Java date patterns ----------------------------------------------------------- */

enum pat_kind {
    PK_LIT,
    PK_YEAR,
    PK_MONTH,
    PK_DAY,
    PK_DOY,
    PK_HOUR_H,      /* 0-23 */
    PK_HOUR_k,      /* 1-24 */
    PK_HOUR_K,      /* 0-11 */
    PK_HOUR_h,      /* 1-12 */
    PK_MINUTE,
    PK_SECOND,
    PK_FRAC,
    PK_AMPM,
    PK_DOW,
    PK_OFF_X,       /* X: Z for zero */
    PK_OFF_x,       /* x: +00 for zero */
    PK_OFF_Z,       /* Z: +0000 */
};

struct pat_item {
    uint8_t kind;
    uint8_t count;
    uint16_t lit_len;
    const char *lit;
};

struct dt_pattern {
    int n;
    bool has_offset;
    struct pat_item *items;
};

static bool pk_numeric(const struct pat_item *it)
{
    return it->kind != PK_LIT && it->kind != PK_AMPM && it->kind != PK_DOW &&
           it->kind < PK_OFF_X && !(it->kind == PK_MONTH && it->count >= 3);
}

int dt_pattern_compile(struct arena *a, const char *fmt, size_t len,
                       struct dt_pattern **out, struct weir_error *err)
{
    struct dt_pattern *p = arena_calloc(a, sizeof *p);
    p->items = arena_alloc(a, sizeof(struct pat_item) * (len + 1));
    char *lits = arena_alloc(a, len + 1);
    size_t nl = 0;
    size_t i = 0;
    while (i < len) {
        char ch = fmt[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
            size_t j = i;
            while (j < len && fmt[j] == ch)
                j++;
            int cnt = (int)(j - i);
            struct pat_item it = {PK_LIT, (uint8_t)(cnt > 255 ? 255 : cnt), 0, NULL};
            switch (ch) {
            case 'y': case 'u': case 'Y': it.kind = PK_YEAR; break;
            case 'M': case 'L': it.kind = PK_MONTH; break;
            case 'd': it.kind = PK_DAY; break;
            case 'D': it.kind = PK_DOY; break;
            case 'H': it.kind = PK_HOUR_H; break;
            case 'k': it.kind = PK_HOUR_k; break;
            case 'K': it.kind = PK_HOUR_K; break;
            case 'h': it.kind = PK_HOUR_h; break;
            case 'm': it.kind = PK_MINUTE; break;
            case 's': it.kind = PK_SECOND; break;
            case 'S': it.kind = PK_FRAC; break;
            case 'a': it.kind = PK_AMPM; break;
            case 'E': it.kind = PK_DOW; break;
            case 'X': it.kind = PK_OFF_X; break;
            case 'x': it.kind = PK_OFF_x; break;
            case 'Z': it.kind = PK_OFF_Z; break;
            default:
                return err_set(err, WEIR_ERR_BIND,
                               "unsupported pattern letter '%c' in date format '%.*s'", ch,
                               (int)len, fmt);
            }
            if ((it.kind == PK_FRAC && cnt > 9) || (it.kind >= PK_OFF_X && cnt > 3) ||
                (it.kind == PK_DOW && cnt > 4) || (it.kind == PK_MONTH && cnt > 4))
                return err_set(err, WEIR_ERR_BIND, "invalid date format '%.*s'", (int)len,
                               fmt);
            if (it.kind >= PK_OFF_X)
                p->has_offset = true;
            p->items[p->n++] = it;
            i = j;
        } else if (ch == '\'') {
            /* quoted text; '' is a quote */
            size_t start = nl;
            i++;
            if (i < len && fmt[i] == '\'') {
                lits[nl++] = '\'';
                i++;
            } else {
                for (;;) {
                    if (i >= len)
                        return err_set(err, WEIR_ERR_BIND,
                                       "unterminated quote in date format '%.*s'", (int)len,
                                       fmt);
                    if (fmt[i] == '\'') {
                        if (i + 1 < len && fmt[i + 1] == '\'') {
                            lits[nl++] = '\'';
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    lits[nl++] = fmt[i++];
                }
            }
            struct pat_item it = {PK_LIT, 0, (uint16_t)(nl - start), lits + start};
            p->items[p->n++] = it;
        } else {
            size_t start = nl;
            while (i < len && fmt[i] != '\'' &&
                   !((fmt[i] >= 'a' && fmt[i] <= 'z') || (fmt[i] >= 'A' && fmt[i] <= 'Z')))
                lits[nl++] = fmt[i++];
            struct pat_item it = {PK_LIT, 0, (uint16_t)(nl - start), lits + start};
            p->items[p->n++] = it;
        }
    }
    *out = p;
    return WEIR_OK;
}

int64_t dt_pattern_resolution(const struct dt_pattern *p)
{
    int64_t r = 86400LL * 1000000;   /* date fields change at most daily */
    for (int i = 0; i < p->n; i++) {
        int64_t u;
        switch (p->items[i].kind) {
        case PK_HOUR_H: case PK_HOUR_k: case PK_HOUR_K: case PK_HOUR_h: case PK_AMPM:
            u = 3600LL * 1000000;
            break;
        case PK_MINUTE: u = 60LL * 1000000; break;
        case PK_SECOND: u = 1000000; break;
        case PK_FRAC: u = 1; break;
        case PK_OFF_X: case PK_OFF_x: case PK_OFF_Z: return 0;
        default: u = r; break;
        }
        if (u < r)
            r = u;
    }
    return r;
}

bool dt_pattern_has_offset(const struct dt_pattern *p) { return p->has_offset; }

static const char *const month_short[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const month_full[12] = {"January", "February", "March",     "April",
                                           "May",     "June",     "July",      "August",
                                           "September", "October", "November", "December"};
static const char *const dow_short[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const dow_full[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};

static char *put_offset(char *o, int kind, int count, int32_t off)
{
    if (off == 0 && kind == PK_OFF_X) {
        *o++ = 'Z';
        return o;
    }
    *o++ = off < 0 ? '-' : '+';
    int32_t a = off < 0 ? -off : off;
    int h = a / 3600, m = a / 60 % 60;
    o = put2(o, h);
    if (kind == PK_OFF_Z) {
        return put2(o, m);
    }
    if (count == 1) {
        if (m != 0)
            o = put2(o, m);
    } else {
        if (count == 3)
            *o++ = ':';
        o = put2(o, m);
    }
    return o;
}

size_t dt_pattern_format(const struct dt_pattern *p, int64_t wall_us, int32_t offset_sec,
                         char *buf, size_t cap)
{
    int64_t days = dt_ts_date(wall_us), t = dt_ts_time(wall_us);
    int64_t y;
    int mo, d;
    dt_civil_from_days(days, &y, &mo, &d);
    int hh = (int)(t / DT_US_PER_HOUR), mi = (int)(t / DT_US_PER_MIN % 60);
    int ss = (int)(t / DT_US_PER_SEC % 60);
    int64_t frac_ns = t % DT_US_PER_SEC * 1000;
    size_t n = 0;
    char tmp[64];
    for (int i = 0; i < p->n; i++) {
        const struct pat_item *it = &p->items[i];
        char *o = tmp;
        const char *src = tmp;
        size_t sl = 0;
        switch (it->kind) {
        case PK_LIT:
            src = it->lit;
            sl = it->lit_len;
            break;
        case PK_YEAR:
            if (it->count == 2) {
                o = put2(o, (int)dt_floor_mod(y, 100));
            } else {
                if (y < 0)
                    *o++ = '-';
                o = put_padded(o, (uint64_t)(y < 0 ? -y : y), it->count);
            }
            break;
        case PK_MONTH:
            if (it->count == 3)
                o = stpcpy(o, month_short[mo - 1]);
            else if (it->count == 4)
                o = stpcpy(o, month_full[mo - 1]);
            else
                o = put_padded(o, (uint64_t)mo, it->count);
            break;
        case PK_DAY: o = put_padded(o, (uint64_t)d, it->count); break;
        case PK_DOY:
            o = put_padded(o, (uint64_t)(days - dt_days_from_civil(y, 1, 1) + 1), it->count);
            break;
        case PK_HOUR_H: o = put_padded(o, (uint64_t)hh, it->count); break;
        case PK_HOUR_k: o = put_padded(o, (uint64_t)(hh == 0 ? 24 : hh), it->count); break;
        case PK_HOUR_K: o = put_padded(o, (uint64_t)(hh % 12), it->count); break;
        case PK_HOUR_h:
            o = put_padded(o, (uint64_t)(hh % 12 == 0 ? 12 : hh % 12), it->count);
            break;
        case PK_MINUTE: o = put_padded(o, (uint64_t)mi, it->count); break;
        case PK_SECOND: o = put_padded(o, (uint64_t)ss, it->count); break;
        case PK_FRAC: {
            char f9[10];
            put_padded(f9, (uint64_t)frac_ns, 9);
            memcpy(o, f9, it->count);
            o += it->count;
            break;
        }
        case PK_AMPM: o = stpcpy(o, hh < 12 ? "AM" : "PM"); break;
        case PK_DOW:
            o = stpcpy(o, it->count == 4 ? dow_full[iso_dow(days) - 1]
                                         : dow_short[iso_dow(days) - 1]);
            break;
        default: o = put_offset(o, it->kind, it->count, offset_sec); break;
        }
        if (src == tmp)
            sl = (size_t)(o - tmp);
        if (n + sl < cap)
            memcpy(buf + n, src, sl);
        else if (n < cap)
            memcpy(buf + n, src, cap - n - 1 > 0 ? cap - n - 1 : 0);
        n += sl;
    }
    if (cap > 0)
        buf[n < cap ? n : cap - 1] = '\0';
    return n;
}

static bool match_word(struct cur *c, const char *const *words, int nw, int *idx)
{
    for (int i = 0; i < nw; i++) {
        size_t l = strlen(words[i]);
        if ((size_t)(c->end - c->p) >= l && strncasecmp(c->p, words[i], l) == 0) {
            c->p += l;
            *idx = i;
            return true;
        }
    }
    return false;
}

static bool parse_offset_field(struct cur *c, int kind, int count, int32_t *off)
{
    if (c->p < c->end && (*c->p == 'Z' || *c->p == 'z') && kind == PK_OFF_X) {
        c->p++;
        *off = 0;
        return true;
    }
    if (c->p >= c->end || (*c->p != '+' && *c->p != '-'))
        return false;
    int sign = *c->p == '-' ? -1 : 1;
    c->p++;
    int64_t h, m = 0;
    if (!read_num(c, 2, 2, &h))
        return false;
    if (kind == PK_OFF_Z || count == 2) {
        if (!read_num(c, 2, 2, &m))
            return false;
    } else if (count == 3) {
        if (!read_ch(c, ':') || !read_num(c, 2, 2, &m))
            return false;
    } else {
        read_num(c, 2, 2, &m);     /* X: minutes optional */
    }
    if (h > 18 || m > 59)
        return false;
    *off = sign * (int32_t)(h * 3600 + m * 60);
    return true;
}

bool dt_pattern_parse(const struct dt_pattern *p, const char *s, size_t len,
                      int64_t *wall_us, bool *has_offset, int32_t *offset_sec)
{
    struct cur c = {s, s + len};
    int64_t y = 1970, mo = 1, d = 1, doy = -1, h = 0, mi = 0, ss = 0, frac_us = 0;
    int pm = -1;
    bool h12 = false, got_off = false;
    int32_t off = 0;
    for (int i = 0; i < p->n; i++) {
        const struct pat_item *it = &p->items[i];
        bool adjacent = i + 1 < p->n && pk_numeric(&p->items[i + 1]);
        int idx;
        int64_t v;
        if (it->kind == PK_LIT) {
            if ((size_t)(c.end - c.p) < it->lit_len || memcmp(c.p, it->lit, it->lit_len) != 0)
                return false;
            c.p += it->lit_len;
            continue;
        }
        if (pk_numeric(it)) {
            int minw = adjacent ? it->count : 1;
            int maxw = adjacent ? it->count : (it->count > 2 ? (it->count > 9 ? it->count : 9)
                                                             : (it->kind == PK_FRAC ? 9 : 2));
            if (it->kind == PK_YEAR && it->count == 2) {
                minw = maxw = 2;
            }
            if (it->kind == PK_FRAC) {
                int64_t fv = 0;
                int nd = 0;
                while (nd < maxw && cur_digit(&c)) {
                    if (nd < 6)
                        fv = fv * 10 + (*c.p - '0');
                    c.p++;
                    nd++;
                }
                if (nd < minw)
                    return false;
                for (int k = nd; k < 6; k++)
                    fv *= 10;
                frac_us = fv;
                continue;
            }
            if (!read_num(&c, minw, maxw, &v))
                return false;
            switch (it->kind) {
            case PK_YEAR: y = it->count == 2 ? 2000 + v : v; break;
            case PK_MONTH: mo = v; break;
            case PK_DAY: d = v; break;
            case PK_DOY: doy = v; break;
            case PK_HOUR_H: h = v; break;
            case PK_HOUR_k: h = v == 24 ? 0 : v; break;
            case PK_HOUR_K: h = v; h12 = true; break;
            case PK_HOUR_h: h = v == 12 ? 0 : v; h12 = true; break;
            case PK_MINUTE: mi = v; break;
            case PK_SECOND: ss = v; break;
            default: break;
            }
            continue;
        }
        switch (it->kind) {
        case PK_MONTH:
            if (!match_word(&c, it->count == 4 ? month_full : month_short, 12, &idx) &&
                !match_word(&c, month_short, 12, &idx))
                return false;
            mo = idx + 1;
            break;
        case PK_AMPM: {
            static const char *const ampm[2] = {"AM", "PM"};
            if (!match_word(&c, ampm, 2, &idx))
                return false;
            pm = idx;
            break;
        }
        case PK_DOW:
            if (!match_word(&c, dow_full, 7, &idx) && !match_word(&c, dow_short, 7, &idx))
                return false;
            break;
        default:
            if (!parse_offset_field(&c, it->kind, it->count, &off))
                return false;
            got_off = true;
            break;
        }
    }
    if (c.p != c.end)
        return false;
    if (h12 && pm == 1)
        h += 12;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || ss > 59)
        return false;
    int64_t days;
    if (doy > 0) {
        if (doy > (dt_is_leap(y) ? 366 : 365))
            return false;
        days = dt_days_from_civil(y, 1, 1) + doy - 1;
    } else {
        /* SMART resolving: 29..31 clamp to the month's last day */
        int last = dt_days_in_month(y, (int)mo);
        if (d > last)
            d = last;
        days = dt_days_from_civil(y, (int)mo, (int)d);
    }
    *wall_us = days * DT_US_PER_DAY + h * DT_US_PER_HOUR + mi * DT_US_PER_MIN +
               ss * DT_US_PER_SEC + frac_us;
    if (has_offset)
        *has_offset = got_off;
    if (offset_sec)
        *offset_sec = off;
    return true;
}
