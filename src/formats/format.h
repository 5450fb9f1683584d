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
 * Changelog formats (debezium-json, canal-json; `changelog` set) carry row
 * kinds: a record holds 0..n rows, each +I, -U, +U or -D, so they decode with
 * decode_rows instead of decode, and their encoders write each row's kind.  A
 * scan of such a table is an updating input and such a sink accepts updates
 * (the planner asks `changelog`).
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
    /*
     * Set instead of decode by changelog formats (decode is then NULL).  The
     * record's rows go to rows row, row + 1, ... of b with their kinds in
     * b->kinds (allocated here when NULL); *n_rows says how many.
     * WEIR_OK, maybe with 0 rows: a record that holds none (an empty record
     * — a Kafka tombstone —, a DDL event, another table's change).
     * WEIR_AGAIN: the rows do not fit in the BATCH_CAP - row left; nothing
     * is kept, and the caller ends the batch without consuming the record
     * and offers it again at row 0 of the next one.  So a record's rows
     * always travel in one batch, and a checkpoint (taken between polls,
     * with the position after the last record consumed) never falls inside
     * a record.  A record with more rows than a batch holds is
     * WEIR_ERR_PARSE.  Errors and *lossy as for decode.
     */
    int (*decode_rows)(struct decoder *d, const char *rec, size_t len, struct batch *b,
                       int row, int *n_rows, bool *lossy, struct weir_error *err);
};
struct decoder {
    const struct decoder_ops *ops;
};

struct encoder;
struct encoder_ops {
    /* Appends row `row` of b (the sink's columns) to out, without a newline.
     * A changelog format encodes batch_kind(b, row) too; the others ignore it. */
    int (*encode)(struct encoder *e, const struct batch *b, int row,
                  struct strbuf *out, struct weir_error *err);
    void (*free)(struct encoder *e);
};
struct encoder {
    const struct encoder_ops *ops;
};

/*
 * A metadata key a format reads from each record (Flink's format metadata:
 * debezium-json's 'source.timestamp', canal-json's 'table', ...).  Only a
 * connector that forwards it (connector_def.format_metadata_prefix) serves it,
 * as METADATA FROM '<prefix><key>'; the decoder then fills the column, which
 * table_ctx.col_format_metadata names, in every row of the record.  The
 * column's declared type must be castable from `type` (the decoder casts).
 */
struct format_meta {
    const char *key;
    const struct sql_type *type;
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
    /* Readable metadata keys, NULL-key terminated; NULL = none.  Read-only:
     * a sink's column of such a key must be VIRTUAL, as in Flink. */
    const struct format_meta *metadata;
};

/* The entry of fmt's metadata table for key, or NULL. */
const struct format_meta *format_meta_find(const struct format_def *fmt, const char *key);

const struct format_def *format_lookup(const char *name);
const struct format_def *format_at(int i);

#endif
