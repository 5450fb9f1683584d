/*
 * decimal.h — DECIMAL(p, s) arithmetic on __int128 unscaled values (value = u/10^s),
 * with Flink's result-type rules (LogicalTypeMerging) and BigDecimal semantics:
 * HALF_UP rounding wherever digits are dropped, and a value whose precision exceeds
 * its type reports overflow (Flink turns that into NULL).  The binder uses the
 * dec_*_type functions; kernels and casts use the value functions.  Nothing here
 * allocates.
 */
#ifndef WEIR_DECIMAL_H
#define WEIR_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef __int128 dec128;

#define DEC_MAX_PRECISION 38
/* Longest text dec_fmt* writes: sign, 38 digits, point, "0." prefix, exponent. */
#define DEC_FMT_MAX 64

/* 10^n for n in 0..38. */
extern const dec128 dec_pow10[DEC_MAX_PRECISION + 1];

/* ---- result types (SQL.md b.2, Flink LogicalTypeMerging) ---------------------- */

/* + and -: s = max(s1,s2), p = max(p1-s1, p2-s2) + s + 1. */
void dec_add_type(int p1, int s1, int p2, int s2, int *p, int *s);
/* *: s = s1+s2, p = p1+p2+1 (Flink 1.14+ findMultiplicationDecimalType; see
 * decimal.c for why not p1+p2). */
void dec_mul_type(int p1, int s1, int p2, int s2, int *p, int *s);
/* /: s = max(6, s1+p2+1), p = p1-s1+s2+s. */
void dec_div_type(int p1, int s1, int p2, int s2, int *p, int *s);
/* MOD / %: s = max(s1,s2), p = min(p1-s1, p2-s2) + s. */
void dec_mod_type(int p1, int s1, int p2, int s2, int *p, int *s);
/* SUM(DECIMAL(p,s)) → DECIMAL(38, s);  AVG → DECIMAL(38, max(6, s)). */
void dec_sum_type(int p, int s, int *rp, int *rs);
void dec_avg_type(int p, int s, int *rp, int *rs);
/* ROUND(x, r) result type (Flink findRoundDecimalType). */
void dec_round_type(int p, int s, int r, int *rp, int *rs);
/* All of the above pass through this: when p > 38 the scale shrinks to keep the
 * integer digits, but not below min(s, 6) (Hive/Spark style, as Flink). */
void dec_adjust_type(int p, int s, int *rp, int *rs);

/* ---- values ------------------------------------------------------------------ */

/* True when |u| < 10^p. */
bool dec_fits(dec128 u, int p);
/* Number of decimal digits of |u| (0 → 1). */
int dec_digits(dec128 u);
/* Changes scale from s to new_s, HALF_UP when digits are dropped.  Returns false on
 * overflow of the int128 range (never when new_s <= s). */
bool dec_rescale(dec128 u, int s, int new_s, dec128 *out);
/* BigDecimal.setScale(new_s, HALF_UP) then the precision check for (p, new_s):
 * the conversion every Flink decimal result goes through (fromBigDecimal).
 * Returns false when the value does not fit DECIMAL(p, new_s). */
bool dec_convert(dec128 u, int s, int p, int new_s, dec128 *out);

/* Arithmetic: operands (a, sa) and (b, sb); the result type (p, s) comes from the
 * dec_*_type functions.  Each returns false when the exact result, rounded HALF_UP
 * to s, does not fit DECIMAL(p, s) — or for division/mod by zero (the caller tells
 * the two apart by checking b == 0). */
bool dec_add(dec128 a, int sa, dec128 b, int sb, int p, int s, dec128 *out);
bool dec_sub(dec128 a, int sa, dec128 b, int sb, int p, int s, dec128 *out);
bool dec_mul(dec128 a, int sa, dec128 b, int sb, int p, int s, dec128 *out);
bool dec_div(dec128 a, int sa, dec128 b, int sb, int p, int s, dec128 *out);
bool dec_mod(dec128 a, int sa, dec128 b, int sb, int p, int s, dec128 *out);
static inline dec128 dec_neg(dec128 u) { return -u; }
/* -1, 0, 1: compares values (scales may differ). */
int dec_cmp(dec128 a, int sa, dec128 b, int sb);
/* ROUND(x, r) HALF_UP (r may be negative) and TRUNCATE(x, r) to result scale rs. */
dec128 dec_round(dec128 u, int s, int r, int rs);
dec128 dec_truncate(dec128 u, int s, int r, int rs);
/* FLOOR / CEIL to scale 0 (result scale 0). */
dec128 dec_floor(dec128 u, int s);
dec128 dec_ceil(dec128 u, int s);

/* ---- conversions --------------------------------------------------------------- */

/* int64 → DECIMAL(p, s); false if it does not fit. */
bool dec_from_i64(int64_t v, int p, int s, dec128 *out);
/* DECIMAL → integer: truncates toward zero and keeps the low 64 bits, like
 * BigDecimal.longValue(); narrower integer types wrap further at the caller. */
int64_t dec_to_i64(dec128 u, int s);
/* double → DECIMAL(p, s) via Java's Double.toString digits (BigDecimal.valueOf),
 * HALF_UP.  False for NaN/Infinity or when it does not fit. */
bool dec_from_double(double v, int p, int s, dec128 *out);
/* Correctly rounded (BigDecimal.doubleValue). */
double dec_to_double(dec128 u, int s);

/* Parses a decimal string (optional sign, digits, '.', digits, optional exponent
 * e/E±n; surrounding whitespace allowed) and rounds HALF_UP to scale s.
 * Returns 0 on success, -1 if the text is not a number, 1 if it does not fit
 * DECIMAL(p, s). */
int dec_parse(const char *str, size_t len, int p, int s, dec128 *out);

/* Writes u/10^s into buf (>= DEC_FMT_MAX) with exactly s fractional digits
 * (BigDecimal.toPlainString: 11.00, -0.50, 0.000), NUL-terminated; returns length. */
int dec_fmt(char *buf, dec128 u, int s);
/* BigDecimal.toString: like dec_fmt, but scientific when the adjusted exponent is
 * below -6 (0E-18, 1.0E-7, -1.23E-8).  Used by the print connector and JSON/CSV. */
int dec_fmt_java(char *buf, dec128 u, int s);

#endif
