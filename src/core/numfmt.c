/*
 * numfmt.c — Java-compatible number printing and Flink-compatible number parsing
 * (see numfmt.h).
 *
 * Double.toString needs the shortest decimal that rounds back to the double.  We
 * avoid a Ryu table: most values met in data (prices, ratios) have <= 15
 * significant digits and a magnitude we can scale to an exact integer below 2^50,
 * so a short loop of one multiply + one divide per candidate decimal place finds
 * the shortest form exactly (the scaled value is within 1/8 of the integer, so
 * rounding to nearest finds it; the division check is exact because both operands
 * are exactly representable).  Everything else falls back to a binary search over
 * printf precisions with a strtod round-trip (about 5 calls).  Both assume the C
 * locale for printf/strtod (weir never calls setlocale).
 */
#include "core/numfmt.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

int numfmt_u64(char *buf, uint64_t v)
{
    char tmp[24];
    int i = 24;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        tmp[--i] = digit_pairs[r * 2 + 1];
        tmp[--i] = digit_pairs[r * 2];
    }
    if (v >= 10) {
        tmp[--i] = digit_pairs[v * 2 + 1];
        tmp[--i] = digit_pairs[v * 2];
    } else {
        tmp[--i] = (char)('0' + v);
    }
    int n = 24 - i;
    memcpy(buf, tmp + i, (size_t)n);
    buf[n] = '\0';
    return n;
}

int numfmt_i64(char *buf, int64_t v)
{
    if (v < 0) {
        buf[0] = '-';
        /* unsigned negation handles INT64_MIN */
        return 1 + numfmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
    }
    return numfmt_u64(buf, (uint64_t)v);
}

/* ---- shortest digits ---------------------------------------------------------- */

static const double exact_pow10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * Finds digits (no leading/trailing zeros) and exponent e with
 * |v| = d1.d2d3... x 10^e.  v > 0 and finite.  is_float selects float round-trip.
 */
static int shortest_digits(double v, bool is_float, char *digits, int *exp10)
{
    if (!is_float && v >= 1e-3 && v < 1e15) {
        for (int k = 0; k <= 18; k++) {
            double t = v * exact_pow10[k];
            if (t >= 1125899906842624.0)    /* 2^50 */
                break;
            double m = nearbyint(t);
            if (m / exact_pow10[k] != v)
                continue;
            uint64_t im = (uint64_t)m;
            char tmp[24];
            int n = numfmt_u64(tmp, im);
            int e = n - 1 - k;
            while (n > 1 && tmp[n - 1] == '0')
                n--;
            memcpy(digits, tmp, (size_t)n);
            digits[n] = '\0';
            *exp10 = e;
            return n;
        }
    }
    /* Search on the number of significant digits: round-tripping is monotone in
     * the precision of correctly rounded printf output.  Values that reach this
     * point mostly need 16 or 17 digits, so probe those first. */
    char tmp[40];
    int lo = 1, hi = is_float ? 9 : 17;
#define RT(P)                                                                   \
    (snprintf(tmp, sizeof tmp, "%.*e", (P) - 1, v),                             \
     is_float ? (strtof(tmp, NULL) == (float)v) : (strtod(tmp, NULL) == v))
    if (!RT(hi - 1)) {
        lo = hi;
    } else if (!RT(hi - 2)) {
        lo = hi = hi - 1;
    } else {
        hi -= 2;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (RT(mid))
                hi = mid;
            else
                lo = mid + 1;
        }
    }
#undef RT
    int prec = lo;
    /* JDK 19+: when the shortest has one digit, the closest decimal of length 2
     * is chosen instead (4.9E-324, 1.4E-45).  Only subnormals can differ. */
    bool tiny = is_float ? (v < 1.17549435e-38) : (v < 2.2250738585072014e-308);
    if (prec == 1 && tiny)
        prec = 2;
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
    /* tmp = d[.ddd]e±XX */
    int n = 0;
    const char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    int e = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *exp10 = e;
    return n;
}

/* Java's layout of a shortest decimal: plain for 1e-3 <= x < 1e7, else d.dddE±n. */
static int java_layout(char *buf, bool neg, const char *d, int n, int e)
{
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (e >= 0 && e < 7) {
        for (int i = 0; i <= e; i++)
            *o++ = i < n ? d[i] : '0';
        *o++ = '.';
        if (n > e + 1) {
            memcpy(o, d + e + 1, (size_t)(n - e - 1));
            o += n - e - 1;
        } else {
            *o++ = '0';
        }
    } else if (e < 0 && e >= -3) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > e; i--)
            *o++ = '0';
        memcpy(o, d, (size_t)n);
        o += n;
    } else {
        *o++ = d[0];
        *o++ = '.';
        if (n > 1) {
            memcpy(o, d + 1, (size_t)(n - 1));
            o += n - 1;
        } else {
            *o++ = '0';
        }
        *o++ = 'E';
        o += numfmt_i64(o, e);
    }
    *o = '\0';
    return (int)(o - buf);
}

static int special(char *buf, double v)
{
    const char *s;
    if (isnan(v))
        s = "NaN";
    else if (isinf(v))
        s = v > 0 ? "Infinity" : "-Infinity";
    else
        s = signbit(v) ? "-0.0" : "0.0";
    size_t n = strlen(s);
    memcpy(buf, s, n + 1);
    return (int)n;
}

int numfmt_double(char *buf, double v)
{
    if (!isfinite(v) || v == 0)
        return special(buf, v);
    char d[24];
    int e;
    bool neg = v < 0;
    int n = shortest_digits(fabs(v), false, d, &e);
    return java_layout(buf, neg, d, n, e);
}

int numfmt_float(char *buf, float f)
{
    double v = f;
    if (!isfinite(v) || v == 0)
        return special(buf, v);
    char d[24];
    int e;
    bool neg = v < 0;
    int n = shortest_digits(fabs(v), true, d, &e);
    return java_layout(buf, neg, d, n, e);
}

/* ---- parsing ------------------------------------------------------------------ */

static inline bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n > 0 && is_ws(p[0])) {
        p++;
        n--;
    }
    while (n > 0 && is_ws(p[n - 1]))
        n--;
    *s = p;
    *len = n;
}

/* Accumulates digits of s[i..) into a negative number (room for INT64_MIN). */
static bool parse_digits(const char *s, size_t len, size_t *i, bool neg, int64_t min,
                         int64_t max, int64_t *out, int *n_digits)
{
    /* Accumulate negatively so INT64_MIN parses. */
    int64_t acc = 0;
    int nd = 0;
    bool overflow = false;
    size_t k = *i;
    for (; k < len && s[k] >= '0' && s[k] <= '9'; k++, nd++) {
        int dgt = s[k] - '0';
        if (acc < (INT64_MIN + dgt) / 10)
            overflow = true;
        else
            acc = acc * 10 - dgt;
    }
    *i = k;
    *n_digits = nd;
    if (overflow)
        return false;
    if (neg) {
        *out = acc;
    } else {
        if (acc == INT64_MIN)
            return false;
        *out = -acc;
    }
    return *out >= min && *out <= max;
}

bool numfmt_parse_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    trim(&s, &len);
    if (len == 0)
        return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    int nd;
    int64_t v;
    bool ok = parse_digits(s, len, &i, neg, min, max, &v, &nd);
    int nfrac = 0;
    if (i < len && s[i] == '.') {
        /* Flink's toLong: the fraction is checked to be digits and ignored. */
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            nfrac++;
    }
    if (i != len || nd + nfrac == 0 || !ok)
        return false;
    *out = v;
    return true;
}

bool numfmt_parse_int_strict(const char *s, size_t len, int64_t min, int64_t max,
                             int64_t *out)
{
    if (len == 0)
        return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    int nd;
    int64_t v;
    bool ok = parse_digits(s, len, &i, neg, min, max, &v, &nd);
    if (i != len || nd == 0 || !ok)
        return false;
    *out = v;
    return true;
}

static bool ieq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != lit[i])
            return false;
    }
    return true;
}

/* Clinger's fast path for plain decimals ("12.5", "-3", ".5"): at most 15
 * digits and a power of ten up to 15 are exact in double, so one division
 * rounds correctly.  Formats parse millions of such values per second; the
 * grammar check and strtod below are for everything else. */
static bool parse_plain_decimal(const char *s, size_t n, double *out)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char *p = s, *e = s + n;
    bool neg = p < e && *p == '-';
    p += neg;
    uint64_t m = 0;
    int digits = 0, frac = 0;
    while (p < e && (unsigned)(*p - '0') <= 9) {
        m = m * 10 + (unsigned)(*p++ - '0');
        digits++;
    }
    if (p < e && *p == '.') {
        p++;
        while (p < e && (unsigned)(*p - '0') <= 9) {
            m = m * 10 + (unsigned)(*p++ - '0');
            digits++;
            frac++;
        }
    }
    if (p != e || digits == 0 || digits > 15)
        return false;
    double v = (double)m / p10[frac];
    *out = neg ? -v : v;
    return true;
}

bool numfmt_parse_double(const char *s, size_t len, double *out)
{
    if (parse_plain_decimal(s, len, out))
        return true;
    /* Java trims every char <= ' ' */
    while (len > 0 && (unsigned char)s[0] <= ' ') {
        s++;
        len--;
    }
    while (len > 0 && (unsigned char)s[len - 1] <= ' ')
        len--;
    if (len == 0)
        return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    size_t rest = len - i;
    if (rest == 3 && memcmp(s + i, "NaN", 3) == 0) {
        *out = NAN;
        return true;
    }
    if (rest == 8 && memcmp(s + i, "Infinity", 8) == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    /* Validate Java's grammar before handing the text to strtod, which accepts
     * more ("inf", "nan(...)", leading spaces). */
    size_t j = i;
    bool hex = rest > 2 && s[j] == '0' && (s[j + 1] == 'x' || s[j + 1] == 'X');
    size_t end = len;
    if (end > j && (s[end - 1] == 'f' || s[end - 1] == 'F' || s[end - 1] == 'd' ||
                    s[end - 1] == 'D'))
        end--;
    int nd = 0;
    if (hex) {
        j += 2;
        for (; j < end && isxdigit((unsigned char)s[j]); j++)
            nd++;
        if (j < end && s[j] == '.')
            for (j++; j < end && isxdigit((unsigned char)s[j]); j++)
                nd++;
        if (nd == 0 || j >= end || (s[j] != 'p' && s[j] != 'P'))
            return false;   /* Java requires the binary exponent */
        j++;
    } else {
        for (; j < end && s[j] >= '0' && s[j] <= '9'; j++)
            nd++;
        if (j < end && s[j] == '.')
            for (j++; j < end && s[j] >= '0' && s[j] <= '9'; j++)
                nd++;
        if (nd == 0)
            return false;
        if (j < end && (s[j] == 'e' || s[j] == 'E'))
            j++;
        else
            goto tail;
    }
    if (j < end && (s[j] == '+' || s[j] == '-'))
        j++;
    {
        int ne = 0;
        for (; j < end && s[j] >= '0' && s[j] <= '9'; j++)
            ne++;
        if (ne == 0)
            return false;
    }
tail:
    if (j != end)
        return false;
    char stackbuf[128];
    char *tmp = end < sizeof stackbuf ? stackbuf : malloc(end + 1);
    if (tmp == NULL)
        return false;
    memcpy(tmp, s, end);
    tmp[end] = '\0';
    *out = strtod(tmp, NULL);
    if (tmp != stackbuf)
        free(tmp);
    return true;
}

bool numfmt_parse_bool(const char *s, size_t len, bool *out)
{
    trim(&s, &len);
    if (ieq(s, len, "true") || ieq(s, len, "t") || ieq(s, len, "yes") ||
        ieq(s, len, "y") || ieq(s, len, "1")) {
        *out = true;
        return true;
    }
    if (ieq(s, len, "false") || ieq(s, len, "f") || ieq(s, len, "no") ||
        ieq(s, len, "n") || ieq(s, len, "0")) {
        *out = false;
        return true;
    }
    return false;
}
