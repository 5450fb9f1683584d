/*
 * numfmt.h — number ↔ text in Java's spelling, locale-free and allocation-free.
 *
 * Printing: Java Double.toString / Float.toString (JDK 19+: the shortest decimal
 * that rounds back, Java's layout: 1.0, 0.875, 1.0E10, 1.234E-5, NaN, Infinity),
 * and fast integer → decimal text (hot path of print, CSV and JSON encoders).
 * Parsing: the CAST(STRING AS numeric/BOOLEAN) rules of Flink's BinaryStringDataUtil.
 */
#ifndef WEIR_NUMFMT_H
#define WEIR_NUMFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Buffer size that holds any numfmt output plus a NUL. */
#define NUMFMT_MAX 32

/* Each writes into buf (>= NUMFMT_MAX bytes), NUL-terminates and returns the
 * length. */
int numfmt_double(char *buf, double v);   /* Double.toString */
int numfmt_float(char *buf, float v);     /* Float.toString */
int numfmt_i64(char *buf, int64_t v);
int numfmt_u64(char *buf, uint64_t v);

/* CAST(STRING AS TINYINT..BIGINT): surrounding whitespace trimmed, optional +/-,
 * digits, optionally '.' followed by digits only (ignored: '12.7' → 12, as Flink's
 * toLong).  False when malformed or outside [min, max]. */
bool numfmt_parse_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);
/* Strict integer: optional sign and digits only, no spaces (JSON/CSV fields). */
bool numfmt_parse_int_strict(const char *s, size_t len, int64_t min, int64_t max,
                             int64_t *out);
/* CAST(STRING AS DOUBLE/FLOAT) with Java's Double.parseDouble: whitespace trimmed,
 * decimal and exponent forms, "NaN", "Infinity", "+Infinity", "-Infinity", an
 * optional trailing f/F/d/D, hex floats.  False when malformed. */
bool numfmt_parse_double(const char *s, size_t len, double *out);
/* CAST(STRING AS BOOLEAN): trimmed, case-insensitive 'true' 't' 'yes' 'y' '1' /
 * 'false' 'f' 'no' 'n' '0'.  False when none matches. */
bool numfmt_parse_bool(const char *s, size_t len, bool *out);

#endif
