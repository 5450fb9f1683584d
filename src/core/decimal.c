/*
 * decimal.c — DECIMAL arithmetic on __int128 (see decimal.h).
 *
 * Every operation computes the exact result as sign + 256-bit magnitude at some
 * scale, then finishes through one routine that rounds HALF_UP to the result
 * scale and checks the precision — the same two steps as Flink's
 * DecimalData.fromBigDecimal(bd.setScale(s, HALF_UP)) with its precision check.
 * Fast paths keep the common cases (same scales, small operands) in plain int128.
 *
 * Result types follow Flink's LogicalTypeMerging (flink-table-common), which since
 * FLINK-22586 (Flink 1.14) derives multiplication as DECIMAL(p1+p2+1, s1+s2) —
 * SQL.md's "p1+p2" predates that; printed values are unaffected (only the scale
 * shows) unless the +1 pushes p past 38 and shrinks the scale.
 */
#include "core/decimal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/numfmt.h"

typedef unsigned __int128 u128;

#define E19 ((dec128)10000000000000000000ULL)
#define P(k) ((dec128)(k))
const dec128 dec_pow10[DEC_MAX_PRECISION + 1] = {
    P(1LL), P(10LL), P(100LL), P(1000LL), P(10000LL), P(100000LL), P(1000000LL),
    P(10000000LL), P(100000000LL), P(1000000000LL), P(10000000000LL),
    P(100000000000LL), P(1000000000000LL), P(10000000000000LL),
    P(100000000000000LL), P(1000000000000000LL), P(10000000000000000LL),
    P(100000000000000000LL), P(1000000000000000000LL), E19,
    E19 * 10, E19 * 100, E19 * 1000, E19 * 10000, E19 * 100000, E19 * 1000000,
    E19 * 10000000, E19 * 100000000, E19 * 1000000000, E19 * 10000000000LL,
    E19 * 100000000000LL, E19 * 1000000000000LL, E19 * 10000000000000LL,
    E19 * 100000000000000LL, E19 * 1000000000000000LL, E19 * 10000000000000000LL,
    E19 * 100000000000000000LL, E19 * 1000000000000000000LL, E19 * E19,
};

/* ---- result types --------------------------------------------------------------- */

static int imax(int a, int b) { return a > b ? a : b; }
static int imin(int a, int b) { return a < b ? a : b; }

void dec_adjust_type(int p, int s, int *rp, int *rs)
{
    if (p <= DEC_MAX_PRECISION) {
        *rp = p;
        *rs = s;
        return;
    }
    int digits = p - s;
    int min_scale = imin(s, 6);
    *rp = DEC_MAX_PRECISION;
    *rs = imax(DEC_MAX_PRECISION - digits, min_scale);
}

void dec_add_type(int p1, int s1, int p2, int s2, int *p, int *s)
{
    int sc = imax(s1, s2);
    dec_adjust_type(imax(p1 - s1, p2 - s2) + sc + 1, sc, p, s);
}

void dec_mul_type(int p1, int s1, int p2, int s2, int *p, int *s)
{
    dec_adjust_type(p1 + p2 + 1, s1 + s2, p, s);
}

void dec_div_type(int p1, int s1, int p2, int s2, int *p, int *s)
{
    int sc = imax(6, s1 + p2 + 1);
    dec_adjust_type(p1 - s1 + s2 + sc, sc, p, s);
}

void dec_mod_type(int p1, int s1, int p2, int s2, int *p, int *s)
{
    int sc = imax(s1, s2);
    dec_adjust_type(imin(p1 - s1, p2 - s2) + sc, sc, p, s);
}

void dec_sum_type(int p, int s, int *rp, int *rs)
{
    (void)p;
    *rp = DEC_MAX_PRECISION;
    *rs = s;
}

void dec_avg_type(int p, int s, int *rp, int *rs)
{
    (void)p;
    /* Flink divides the DECIMAL(38, s) sum by a DECIMAL(20, 0) count. */
    dec_div_type(DEC_MAX_PRECISION, s, 20, 0, rp, rs);
}

void dec_round_type(int p, int s, int r, int *rp, int *rs)
{
    if (r >= s) {
        *rp = p;
        *rs = s;
    } else if (r < 0) {
        *rp = imin(DEC_MAX_PRECISION, 1 + p - s);
        *rs = 0;
    } else {
        *rp = 1 + p - s + r;
        *rs = r;
    }
}

/* ---- 256-bit magnitudes ----------------------------------------------------------- */

struct u256 {
    u128 hi, lo;
};

static inline u128 uabs(dec128 v) { return v < 0 ? (u128)0 - (u128)v : (u128)v; }

static struct u256 mul128(u128 a, u128 b)
{
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
    uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
    u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1;
    u128 p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
    u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    struct u256 r;
    r.lo = (mid << 64) | (uint64_t)p00;
    r.hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    return r;
}

/* x * m where m fits 128 bits; false on 256-bit overflow. */
static bool mul256(struct u256 x, u128 m, struct u256 *out)
{
    struct u256 lo = mul128(x.lo, m);
    struct u256 hi = mul128(x.hi, m);
    if (hi.hi != 0)
        return false;
    u128 h = lo.hi + hi.lo;
    if (h < lo.hi)
        return false;
    out->lo = lo.lo;
    out->hi = h;
    return true;
}

static inline int cmp256(struct u256 a, struct u256 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

static inline struct u256 sub256(struct u256 a, struct u256 b)
{
    struct u256 r;
    r.lo = a.lo - b.lo;
    r.hi = a.hi - b.hi - (a.lo < b.lo);
    return r;
}

static inline struct u256 add256(struct u256 a, struct u256 b)
{
    struct u256 r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo);
    return r;
}

static inline struct u256 shl1(struct u256 a)
{
    struct u256 r;
    r.hi = (a.hi << 1) | (a.lo >> 127);
    r.lo = a.lo << 1;
    return r;
}

static inline int bitlen128(u128 v)
{
    if (v >> 64)
        return 128 - __builtin_clzll((uint64_t)(v >> 64));
    if ((uint64_t)v)
        return 64 - __builtin_clzll((uint64_t)v);
    return 0;
}

static inline int bitlen256(struct u256 a)
{
    return a.hi ? 128 + bitlen128(a.hi) : bitlen128(a.lo);
}

/* q = n / d, r = n % d (d != 0).  Fast when both fit 128 bits; otherwise
 * shift-subtract, which is only reached by wide multiplications and divisions. */
static void divmod256(struct u256 n, struct u256 d, struct u256 *q, struct u256 *r)
{
    if (n.hi == 0 && d.hi == 0) {
        q->hi = 0;
        q->lo = n.lo / d.lo;
        r->hi = 0;
        r->lo = n.lo % d.lo;
        return;
    }
    struct u256 quo = {0, 0}, rem = {0, 0};
    for (int i = bitlen256(n) - 1; i >= 0; i--) {
        rem = shl1(rem);
        u128 bit = i >= 128 ? (n.hi >> (i - 128)) & 1 : (n.lo >> i) & 1;
        rem.lo |= bit;
        if (cmp256(rem, d) >= 0) {
            rem = sub256(rem, d);
            if (i >= 128)
                quo.hi |= (u128)1 << (i - 128);
            else
                quo.lo |= (u128)1 << i;
        }
    }
    *q = quo;
    *r = rem;
}

static struct u256 pow10_256(int k)
{
    /* k <= 76 */
    struct u256 r = {0, (u128)dec_pow10[k > 38 ? 38 : k]};
    if (k > 38) {
        struct u256 t;
        mul256(r, (u128)dec_pow10[k - 38], &t);
        r = t;
    }
    return r;
}

/* Divides by d rounding HALF_UP (on the magnitude: ties away from zero). */
static struct u256 div_half_up(struct u256 n, struct u256 d)
{
    struct u256 q, r;
    divmod256(n, d, &q, &r);
    struct u256 twice = shl1(r);
    if ((r.hi >> 127) || cmp256(twice, d) >= 0) {
        struct u256 one = {0, 1};
        q = add256(q, one);
    }
    return q;
}

/* Exact value (neg, mag) at scale from → DECIMAL(p, s) with HALF_UP. */
static bool finish(bool neg, struct u256 mag, int from, int p, int s, dec128 *out)
{
    if (s > from) {
        if (!mul256(mag, (u128)dec_pow10[s - from > 38 ? 38 : s - from], &mag))
            return false;
        if (s - from > 38)
            return false;
    } else if (s < from) {
        int k = from - s;
        if (k > 76) {
            mag.hi = 0;
            mag.lo = 0;
        } else {
            mag = div_half_up(mag, pow10_256(k));
        }
    }
    if (mag.hi != 0 || mag.lo >= (u128)dec_pow10[p])
        return false;
    *out = neg ? -(dec128)mag.lo : (dec128)mag.lo;
    return true;
}

static inline struct u256 mag_of(dec128 v)
{
    struct u256 r = {0, uabs(v)};
    return r;
}

/* ---- values --------------------------------------------------------------------- */

bool dec_fits(dec128 u, int p)
{
    return uabs(u) < (u128)dec_pow10[p];
}

int dec_digits(dec128 u)
{
    u128 m = uabs(u);
    int n = 1;
    while (n <= 38 && m >= (u128)dec_pow10[n])
        n++;
    return n;
}

bool dec_rescale(dec128 u, int s, int new_s, dec128 *out)
{
    if (new_s == s) {
        *out = u;
        return true;
    }
    if (new_s > s) {
        int k = new_s - s;
        if (k > 38)
            return u == 0 ? (*out = 0, true) : false;
        dec128 r;
        if (__builtin_mul_overflow(u, dec_pow10[k], &r))
            return false;
        *out = r;
        return true;
    }
    int k = s - new_s;
    if (k > 38) {
        *out = 0;
        return true;
    }
    u128 m = uabs(u), d = (u128)dec_pow10[k];
    u128 q = m / d, r = m % d;
    if (r >= d - r)     /* 2r >= d without overflow */
        q++;
    *out = u < 0 ? -(dec128)q : (dec128)q;
    return true;
}

bool dec_convert(dec128 u, int s, int p, int new_s, dec128 *out)
{
    dec128 r;
    if (!dec_rescale(u, s, new_s, &r) || !dec_fits(r, p))
        return false;
    *out = r;
    return true;
}

/* a + sign*b, exact, then finish. */
static bool addsub(dec128 a, int sa, dec128 b, int sb, bool sub, int p, int s, dec128 *out)
{
    if (sub)
        b = -b;     /* |b| < 10^38 so this cannot overflow */
    if (sa == sb) {
        dec128 r;
        if (!__builtin_add_overflow(a, b, &r)) {
            if (s == sa) {
                if (!dec_fits(r, p))
                    return false;
                *out = r;
                return true;
            }
            bool neg = r < 0;
            return finish(neg, mag_of(r), sa, p, s, out);
        }
    }
    int sc = imax(sa, sb);
    struct u256 ma = mag_of(a), mb = mag_of(b);
    if (sc > sa)
        mul256(ma, (u128)dec_pow10[sc - sa], &ma);
    if (sc > sb)
        mul256(mb, (u128)dec_pow10[sc - sb], &mb);
    bool na = a < 0, nb = b < 0;
    struct u256 m;
    bool neg;
    if (na == nb) {
        m = add256(ma, mb);
        neg = na;
    } else if (cmp256(ma, mb) >= 0) {
        m = sub256(ma, mb);
        neg = na;
    } else {
        m = sub256(mb, ma);
        neg = nb;
    }
    return finish(neg, m, sc, p, s, out);
}

bool dec_add(dec128 a, int sa, dec128 b, int sb, int p, int s, dec128 *out)
{
    return addsub(a, sa, b, sb, false, p, s, out);
}

bool dec_sub(dec128 a, int sa, dec128 b, int sb, int p, int s, dec128 *out)
{
    return addsub(a, sa, b, sb, true, p, s, out);
}

bool dec_mul(dec128 a, int sa, dec128 b, int sb, int p, int s, dec128 *out)
{
    bool neg = (a < 0) != (b < 0);
    if (s == sa + sb) {
        dec128 r;
        if (!__builtin_mul_overflow(a, b, &r)) {
            if (!dec_fits(r, p))
                return false;
            *out = r;
            return true;
        }
    }
    struct u256 m = mul128(uabs(a), uabs(b));
    return finish(neg, m, sa + sb, p, s, out);
}

bool dec_div(dec128 a, int sa, dec128 b, int sb, int p, int s, dec128 *out)
{
    if (b == 0)
        return false;
    bool neg = (a < 0) != (b < 0);
    /* quotient at scale s = a * 10^(s - sa + sb) / b */
    int k = s - sa + sb;
    struct u256 n = mag_of(a), d = mag_of(b);
    if (k >= 0) {
        if (k > 76)
            return a == 0 ? (*out = 0, true) : false;
        struct u256 t;
        if (k > 38) {
            if (!mul256(n, (u128)dec_pow10[38], &t) ||
                !mul256(t, (u128)dec_pow10[k - 38], &n))
                return false;
        } else if (!mul256(n, (u128)dec_pow10[k], &n)) {
            return false;
        }
    } else {
        if (-k > 38) {
            *out = 0;
            return true;
        }
        mul256(d, (u128)dec_pow10[-k], &d);
    }
    /* Flink divides with MathContext(38 digits, HALF_UP) and then sets the scale;
     * rounding once here differs only when that 38-digit quotient carries into
     * a different last digit (requires a run of 9s past digit 38). */
    struct u256 q = div_half_up(n, d);
    if (q.hi != 0 || q.lo >= (u128)dec_pow10[p])
        return false;
    *out = neg ? -(dec128)q.lo : (dec128)q.lo;
    return true;
}

bool dec_mod(dec128 a, int sa, dec128 b, int sb, int p, int s, dec128 *out)
{
    if (b == 0)
        return false;
    int sc = imax(sa, sb);
    struct u256 ma = mag_of(a), mb = mag_of(b);
    if (sc > sa)
        mul256(ma, (u128)dec_pow10[sc - sa], &ma);
    if (sc > sb)
        mul256(mb, (u128)dec_pow10[sc - sb], &mb);
    struct u256 q, r;
    divmod256(ma, mb, &q, &r);
    return finish(a < 0, r, sc, p, s, out);
}

int dec_cmp(dec128 a, int sa, dec128 b, int sb)
{
    if (sa == sb)
        return a < b ? -1 : a > b ? 1 : 0;
    bool na = a < 0, nb = b < 0;
    if (na != nb)
        return na ? -1 : 1;
    if (a == 0 || b == 0) {
        if (a == 0 && b == 0)
            return 0;
        return a == 0 ? (nb ? 1 : -1) : (na ? -1 : 1);
    }
    int sc = imax(sa, sb);
    struct u256 ma = mag_of(a), mb = mag_of(b);
    if (sc > sa)
        mul256(ma, (u128)dec_pow10[sc - sa], &ma);
    if (sc > sb)
        mul256(mb, (u128)dec_pow10[sc - sb], &mb);
    int c = cmp256(ma, mb);
    return na ? -c : c;
}

dec128 dec_round(dec128 u, int s, int r, int rs)
{
    if (r >= s) {
        dec128 v = u;
        dec_rescale(u, s, rs, &v);
        return v;
    }
    int k = s - r;      /* digits dropped */
    if (k > 38)
        return 0;
    u128 m = uabs(u), d = (u128)dec_pow10[k];
    u128 q = m / d, rem = m % d;
    if (rem >= d - rem)
        q++;
    dec128 sq = u < 0 ? -(dec128)q : (dec128)q;     /* at scale r */
    int up = r < 0 ? -r : rs - r;                   /* back to scale rs (0 if r < 0) */
    if (up > 38)
        return 0;
    return up > 0 ? sq * dec_pow10[up] : sq;
}

dec128 dec_truncate(dec128 u, int s, int r, int rs)
{
    if (r < s) {
        int k = s - r;
        if (k > 38)
            return 0;
        dec128 q = u / dec_pow10[k];  /* C truncates toward zero */
        if (r < 0)
            return (-r <= 38) ? q * dec_pow10[-r] : 0;
        if (rs > r)
            q *= dec_pow10[rs - r];
        return q;
    }
    dec128 v;
    dec_rescale(u, s, rs, &v);
    return v;
}

dec128 dec_floor(dec128 u, int s)
{
    if (s == 0)
        return u;
    dec128 d = dec_pow10[s];
    dec128 q = u / d;
    if (u % d != 0 && u < 0)
        q--;
    return q;
}

dec128 dec_ceil(dec128 u, int s)
{
    if (s == 0)
        return u;
    dec128 d = dec_pow10[s];
    dec128 q = u / d;
    if (u % d != 0 && u > 0)
        q++;
    return q;
}

/* ---- conversions --------------------------------------------------------------- */

bool dec_from_i64(int64_t v, int p, int s, dec128 *out)
{
    dec128 r = (dec128)v;
    if (s > 0 && __builtin_mul_overflow(r, dec_pow10[s], &r))
        return false;
    if (!dec_fits(r, p))
        return false;
    *out = r;
    return true;
}

int64_t dec_to_i64(dec128 u, int s)
{
    dec128 q = s > 0 ? u / dec_pow10[s] : u;
    return (int64_t)(uint64_t)(u128)q;
}

bool dec_from_double(double v, int p, int s, dec128 *out)
{
    if (!isfinite(v))
        return false;
    char buf[NUMFMT_MAX];
    int n = numfmt_double(buf, v);
    return dec_parse(buf, (size_t)n, p, s, out) == 0;
}

double dec_to_double(dec128 u, int s)
{
    u128 m = uabs(u);
    if (m < ((u128)1 << 53) && s <= 22) {
        static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
        double d = (double)(uint64_t)m / p10[s];
        return u < 0 ? -d : d;
    }
    char buf[DEC_FMT_MAX];
    dec_fmt(buf, u, s);
    return strtod(buf, NULL);
}

static inline bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int dec_parse(const char *str, size_t len, int p, int s, dec128 *out)
{
    /* Fast path for what files nearly always hold: [sign] digits [. digits],
     * at most 18 digits, no exponent, no surrounding space.  The digits fit an
     * int64, so one plain multiply-add loop and one scaling step (HALF_UP on the
     * first dropped digit, as below) replace the general digit buffer.  Any
     * other text falls through to the general code; results are identical. */
    if (len > 0 && len <= 20) {
        const char *q = str, *e = str + len;
        bool neg = false;
        if (*q == '-' || *q == '+') {
            neg = *q == '-';
            q++;
        }
        uint64_t m = 0;
        int nd = 0, frac = 0;
        bool point = false;
        for (; q < e; q++) {
            unsigned dg = (unsigned)(*q - '0');
            if (dg <= 9) {
                m = m * 10 + dg;
                nd++;
                frac += point;
            } else if (*q == '.' && !point) {
                point = true;
            } else {
                break;
            }
        }
        if (q == e && nd > 0 && nd <= 18 && s - frac <= 19) {
            u128 u;
            if (frac <= s) {
                u = (u128)m * (u128)dec_pow10[s - frac];   /* < 10^37 */
            } else {
                uint64_t p10 = (uint64_t)dec_pow10[frac - s];   /* <= 10^18 */
                u = m / p10 + (m % p10 >= p10 / 10 * 5);
            }
            if (u >= (u128)dec_pow10[p])
                return 1;
            *out = neg ? -(dec128)u : (dec128)u;
            return 0;
        }
    }
    while (len > 0 && is_space(str[0])) {
        str++;
        len--;
    }
    while (len > 0 && is_space(str[len - 1]))
        len--;
    size_t i = 0;
    bool neg = false;
    if (i < len && (str[i] == '+' || str[i] == '-')) {
        neg = str[i] == '-';
        i++;
    }
    /* Significant digits (after leading zeros) go to sig[]; point position tracked
     * as exponent of the last digit. */
    char sig[80];
    int nsig = 0, extra = 0;   /* extra: significant digits beyond sig[] capacity */
    int nd = 0;
    long exp10 = 0;            /* value = digits * 10^exp10 */
    bool seen_point = false;
    char first_dropped = 0;
    for (; i < len; i++) {
        char c = str[i];
        if (c >= '0' && c <= '9') {
            nd++;
            if (seen_point)
                exp10--;
            if (nsig == 0 && c == '0')
                continue;
            if (nsig < (int)sizeof sig) {
                sig[nsig++] = c;
            } else {
                if (extra == 0)
                    first_dropped = c;
                extra++;
            }
        } else if (c == '.' && !seen_point) {
            seen_point = true;
        } else {
            break;
        }
    }
    if (nd == 0)
        return -1;
    exp10 += extra;
    if (i < len && (str[i] == 'e' || str[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (str[i] == '+' || str[i] == '-')) {
            eneg = str[i] == '-';
            i++;
        }
        long e = 0;
        int ne = 0;
        for (; i < len && str[i] >= '0' && str[i] <= '9'; i++, ne++)
            if (e < 100000)
                e = e * 10 + (str[i] - '0');
        if (ne == 0)
            return -1;
        exp10 += eneg ? -e : e;
    }
    if (i != len)
        return -1;
    if (nsig == 0) {
        *out = 0;
        return 0;
    }
    /* unscaled = sig * 10^(exp10 + s) */
    long shift = exp10 + s;
    int keep = nsig;
    char round_digit = 0;
    if (shift < 0) {
        long k = (long)nsig + shift;    /* digits kept */
        if (k < 0) {
            *out = 0;
            return 0;
        }
        keep = (int)k;
        round_digit = keep < nsig ? sig[keep] : first_dropped;
    } else if (nsig + shift > p) {
        return 1;
    }
    if (keep > 38)
        return 1;
    u128 m = 0;
    for (int k = 0; k < keep; k++)
        m = m * 10 + (u128)(sig[k] - '0');
    if (shift > 0)
        m *= (u128)dec_pow10[shift];
    if (round_digit >= '5')
        m++;
    if (m >= (u128)dec_pow10[p])
        return 1;
    *out = neg ? -(dec128)m : (dec128)m;
    return 0;
}

/* Digits of |u| into buf (no sign); returns count. */
static int u128_digits(char *buf, u128 m)
{
    char tmp[48];
    int i = 48;
    if (m == 0)
        tmp[--i] = '0';
    while (m != 0) {
        uint64_t chunk;
        if (m >= (u128)10000000000000000000ULL) {
            chunk = (uint64_t)(m % 10000000000000000000ULL);
            m /= 10000000000000000000ULL;
            for (int k = 0; k < 19; k++) {
                tmp[--i] = (char)('0' + chunk % 10);
                chunk /= 10;
            }
        } else {
            chunk = (uint64_t)m;
            m = 0;
            while (chunk) {
                tmp[--i] = (char)('0' + chunk % 10);
                chunk /= 10;
            }
        }
    }
    memcpy(buf, tmp + i, (size_t)(48 - i));
    return 48 - i;
}

int dec_fmt(char *buf, dec128 u, int s)
{
    char d[48];
    int n = u128_digits(d, uabs(u));
    char *o = buf;
    if (u < 0)
        *o++ = '-';
    if (s == 0) {
        memcpy(o, d, (size_t)n);
        o += n;
    } else if (n > s) {
        memcpy(o, d, (size_t)(n - s));
        o += n - s;
        *o++ = '.';
        memcpy(o, d + n - s, (size_t)s);
        o += s;
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int k = n; k < s; k++)
            *o++ = '0';
        memcpy(o, d, (size_t)n);
        o += n;
    }
    *o = '\0';
    return (int)(o - buf);
}

int dec_fmt_java(char *buf, dec128 u, int s)
{
    char d[48];
    int n = u128_digits(d, uabs(u));
    int adjusted = -s + (n - 1);
    if (adjusted >= -6)
        return dec_fmt(buf, u, s);
    char *o = buf;
    if (u < 0)
        *o++ = '-';
    *o++ = d[0];
    if (n > 1) {
        *o++ = '.';
        memcpy(o, d + 1, (size_t)(n - 1));
        o += n - 1;
    }
    *o++ = 'E';
    o += numfmt_i64(o, adjusted);
    *o = '\0';
    return (int)(o - buf);
}
