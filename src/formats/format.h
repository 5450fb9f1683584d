/*
 * format.h — the contract for record formats (json, csv, raw, ...).
 *
 * A format turns one record's bytes (a line, a Kafka message value) into one row
 * of a batch, writing only the columns the job needs (projection push-down is
 * what makes JSON fast), and turns a row back into bytes for sinks.  A record
 * that cannot be decoded is reported with WEIR_ERR_PARSE and a reason; the caller
 * (the connector) sends the raw bytes with that reason and the record's position
 * to the dead-letter output and counts it.  Decoding never kills the job.
 *
 * Format options are declared with the format's prefix ('json.ignore-parse-errors',
 * 'csv.field-delimiter') and validated by the connector registry.
 */
#ifndef WEIR_FORMAT_H
#define WEIR_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "connectors/options.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "exec/batch.h"

struct table_ctx;

struct decoder;
struct decoder_ops {
    /*
     * Decodes rec[0..len) into row `row` of b (b's columns are the table's
     * produced columns).  Returns WEIR_OK, or WEIR_ERR_PARSE with a reason in err
     * (the row's contents are then undefined and the caller does not count it).
     * With '<fmt>.ignore-parse-errors' a bad field becomes NULL and WEIR_OK is
     * returned, but *lossy is set so the caller still dead-letters a copy.
     * WEIR_DONE means the record holds no row (a csv comment line with
     * 'csv.allow-comments'): the caller skips it and counts nothing.
     */
    int (*decode)(struct decoder *d, const char *rec, size_t len, struct batch *b,
                  int row, bool *lossy, struct weir_error *err);
    void (*free)(struct decoder *d);
};
struct decoder {
    const struct decoder_ops *ops;
};

struct encoder;
struct encoder_ops {
    /* Appends row `row` of b (the sink's columns) to out, without a newline. */
    int (*encode)(struct encoder *e, const struct batch *b, int row,
                  struct strbuf *out, struct weir_error *err);
    void (*free)(struct encoder *e);
};
struct encoder {
    const struct encoder_ops *ops;
};

struct format_def {
    const char *name;                   /* 'format' = name */
    const struct opt_def *options;      /* keys include the prefix */
    bool changelog;                     /* encodes row kinds (debezium-json...) */
    int (*decoder_create)(const struct table_ctx *t, struct decoder **out,
                          struct weir_error *err);
    int (*encoder_create)(const struct table_ctx *t, struct encoder **out,
                          struct weir_error *err);
    /* Cross-option checks the option table cannot express (e.g. two options
     * that exclude each other); run by conn_validate.  NULL = none.  The
     * message names the options but not the table (the caller prefixes it). */
    int (*validate)(const struct opt_set *opts, struct weir_error *err);
};

const struct format_def *format_lookup(const char *name);
const struct format_def *format_at(int i);

#endif
