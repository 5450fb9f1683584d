/*
 * value_fmt.h — renders one cell of a column vector as text, in the four spellings
 * weir needs: the print connector's (Flink Row.toString of the external objects),
 * CAST(x AS STRING), and the cell encodings of the JSON and CSV formats.
 *
 * All append to a strbuf; nothing allocates per value except strbuf growth.  Nested
 * types (ROW, ARRAY, MAP) recurse over child vectors.  Row selection is the
 * caller's: pass the physical row index.
 */
#ifndef WEIR_VALUE_FMT_H
#define WEIR_VALUE_FMT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/strbuf.h"
#include "exec/batch.h"

/* Print connector form (SQL.md b.4): null, true/false, integers, Java
 * Double/Float.toString, DECIMAL as BigDecimal.toString, strings raw, BYTES as
 * Java byte[] ([1, -2, 3]), DATE 2020-04-15, TIME 12:44[:31[.500]],
 * TIMESTAMP 2020-04-15T08:00, TIMESTAMP_LTZ 1970-01-01T00:00:04.001Z (UTC),
 * INTERVAL as Java Period/Duration (P2Y10M, PT240H0.004S), ROW +I[a, b],
 * ARRAY [a, b], MAP {k=v, k2=v2}. */
void vfmt_print(struct strbuf *sb, const struct vec *v, int row);
/* A whole print line without newline: "+I[f1, f2, ...]" for row `row`. */
void vfmt_print_row(struct strbuf *sb, enum row_kind kind, const struct vec *cols,
                    int n_cols, int row);

/* CAST(x AS STRING) (Flink 1.15+ cast rules): NULL is not handled here (caller
 * checks); TRUE/FALSE; numbers as Java toString, DECIMAL plain with its scale;
 * DATE yyyy-MM-dd; TIME(p) / TIMESTAMP(p) / TIMESTAMP_LTZ(p) per dt_fmt_*_sql;
 * intervals +2-10 / +10 00:00:00.004; BYTES decoded as UTF-8 (bytes copied);
 * ROW (a, b); ARRAY [a, b]; MAP {k=v}; nested NULLs as NULL. */
void vfmt_cast_string(struct strbuf *sb, const struct vec *v, int row);

enum vfmt_ts_standard {
    VFMT_TS_SQL,        /* 2020-04-15 08:00:00.123 */
    VFMT_TS_ISO8601,    /* 2020-04-15T08:00:00.123 */
};

struct vfmt_json_opts {
    enum vfmt_ts_standard ts_standard;  /* json.timestamp-format.standard */
    bool decimal_plain;                 /* json.encode.decimal-as-plain-number */
};

/* One JSON value (Flink json format encoding): null; true/false; integers;
 * FLOAT/DOUBLE Java toString (NaN/Infinity as strings "NaN"); DECIMAL number
 * (BigDecimal.toString, or plain); strings quoted and escaped; BYTES base64
 * string; DATE "2020-04-15"; TIME "12:44:31"; TIMESTAMP "2020-04-15 08:00:00.123"
 * (fraction: only the digits needed, none when zero); TIMESTAMP_LTZ the same in UTC
 * with a trailing Z; ROW an object keyed by field names; ARRAY an array; MAP an
 * object with keys as strings.  opts may be NULL (SQL standard, BigDecimal form). */
void vfmt_json(struct strbuf *sb, const struct vec *v, int row,
               const struct vfmt_json_opts *opts);
/* Appends a JSON string literal (quotes included) with Jackson's escaping. */
void vfmt_json_string(struct strbuf *sb, const char *s, size_t len);

struct vfmt_csv_opts {
    char delimiter;             /* csv.field-delimiter, default ',' */
    char quote;                 /* csv.quote-character, default '"'; 0 = disabled */
    char array_delimiter;       /* csv.array-element-delimiter, default ';' */
    const char *null_literal;   /* csv.null-literal; NULL = empty field */
};

/* One CSV field, as Flink's csv format (Jackson CsvGenerator) writes it: NULL as
 * the null literal (empty by default); numbers and booleans bare; strings quoted
 * when they hold a character below the "safe" bound (Jackson's loose check: any
 * char <= max(delimiter, quote), e.g. space, '#', ',' and control chars) or are
 * empty, quotes doubled; temporal values as in JSON (SQL standard); ARRAY elements
 * joined by array_delimiter.  opts may be NULL (defaults). */
void vfmt_csv(struct strbuf *sb, const struct vec *v, int row,
              const struct vfmt_csv_opts *opts);
/* Appends a CSV string field with the quoting rule above. */
void vfmt_csv_string(struct strbuf *sb, const char *s, size_t len,
                     const struct vfmt_csv_opts *opts);

#endif
