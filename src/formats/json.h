/*
 * json.h — json.c's scanner and row encoder, for the formats that wrap rows
 * in a JSON envelope (debezium-json, canal-json: formats/changelog_json.c).
 *
 * They walk the envelope with the same grammar checks and error texts, and
 * decode and encode the rows inside it with the json format's compiled schema
 * (projection push-down, key prediction, record templates) and conversions,
 * so a row reads the same whatever wraps it.
 *
 * A walk: json_dec_begin once per record, then any of the calls below with
 * `end` = the end of the record (never of a part of it: the number scanner
 * relies on the record's last byte).  Errors are WEIR_ERR_PARSE in the err
 * given to begin, "... at byte N" counted from the record's start.
 */
#ifndef WEIR_FORMATS_JSON_H
#define WEIR_FORMATS_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "connectors/connector.h"
#include "core/err.h"
#include "exec/batch.h"

struct json_dec;

struct json_dec_opts {
    bool fail_missing;              /* a field of the schema missing is an error */
    bool ignore_errors;             /* a field that does not convert becomes NULL */
    bool overlay;                   /* json_dec_row leaves the columns a record
                                     * does not name as they are (canal's "old":
                                     * the changed fields only) */
};

/* A row decoder for t's physical columns (metadata columns are skipped). */
struct json_dec *json_dec_new(const struct table_ctx *t, const struct json_dec_opts *o);
void json_dec_destroy(struct json_dec *d);

/* Starts a record rec[0..len): errors go to err, ignore_errors sets *lossy. */
void json_dec_begin(struct json_dec *d, const char *rec, size_t len, bool *lossy,
                    struct weir_error *err);

/* The first byte at or after p that is not JSON whitespace. */
const char *json_ws(const char *p, const char *end);

/* Checks and skips the value at p; returns its end, or NULL (error set). */
const char *json_skip(struct json_dec *d, const char *p, const char *end);

/* The object at p (its '{') into row `row` of b's columns; returns its end
 * or NULL.  Missing fields are NULL (or kept, with opts.overlay). */
const char *json_dec_row(struct json_dec *d, const char *p, const char *end,
                         struct batch *b, int row);

/* The value at p into row `row` of v (typed as d's column `col`, counted
 * among its physical columns), with the conversions a row's field gets: an
 * envelope's own members ("ts_ms" as BIGINT, "source" as MAP<STRING,
 * STRING>) for the formats' metadata columns.  p NULL (the member is
 * absent): NULL.  Returns the value's end, or NULL (error set). */
const char *json_dec_value(struct json_dec *d, int col, const char *p, const char *end,
                           struct vec *v, int row);

/* A value's bytes, [s, e); s == NULL when the key is absent. */
struct json_span {
    const char *s, *e;
};

/*
 * Walks the object at p: the value of each key found in names[0..n) goes to
 * spans[i] (the last one wins when a key repeats, as in Jackson's tree);
 * every other value is checked and skipped.  Returns the object's end, or
 * NULL (error set).
 */
const char *json_members(struct json_dec *d, const char *p, const char *end,
                         const char *const *names, int n, struct json_span *spans);

/* The string value at p (its '"'), unescaped into *s / *n (valid until the
 * next call on d); returns its end, or NULL (error set). */
const char *json_string(struct json_dec *d, const char *p, const char *end,
                        const char **s, size_t *n);

/* Sets a WEIR_ERR_PARSE "<message> at byte N" for position at; returns it. */
int json_fail(struct json_dec *d, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A row encoder for t's columns with the json options read under `prefix`
 * ("json", "debezium-json", ...): '<prefix>.timestamp-format.standard',
 * '.encode.decimal-as-plain-number', '.map-null-key.mode' and '.literal'.
 * Its encode writes one object, `{"col":value,...}`. */
struct encoder *json_row_encoder_new(const struct table_ctx *t, const char *prefix);

#endif
