/*
 * sqlite.h — internals shared by the sqlite connector's files (sqlite.c:
 * descriptor, options and the helpers both roles use; sqlite_sink.c: the
 * upsert/append sink; sqlite_source.c: the bounded scan and the lookup reader).  Not for other
 * modules.
 */
#ifndef WEIR_SQLITE_CONN_H
#define WEIR_SQLITE_CONN_H

#include <sqlite3.h>

#include "connectors/connector.h"

int sqlite_sink_create(const struct table_ctx *t, struct sink **out,
                       struct weir_error *err);
int sqlite_source_create(const struct table_ctx *t, struct source **out,
                         struct weir_error *err);

/* Opens 'path' (plain path or file: URI) with busy_timeout set; `create`
 * also creates a missing file.  Returns NULL with err set on failure. */
sqlite3 *sq_open(const char *path, bool create, int64_t busy_ms, struct weir_error *err);
/* Appends s as a double-quoted SQL identifier ("" escapes a quote). */
void sq_ident(struct strbuf *sb, const char *s);
/* The SQLite column type a SQL type is stored as (INTEGER, REAL, TEXT, BLOB);
 * NULL for types the connector cannot store (ARRAY, MAP, ROW). */
const char *sq_decl_type(const struct sql_type *t);
/*
 * Checks that table `table` exists in db and has every column of t (names
 * compared as SQLite does, ignoring ASCII case).  Returns WEIR_OK, WEIR_DONE
 * when the table does not exist, or WEIR_ERR_CONFIG naming the missing
 * column and the columns the table has.
 */
int sq_check_columns(sqlite3 *db, const char *path, const char *table,
                     const struct table_ctx *t, struct weir_error *err);
/* Binds row `row` of v to parameter idx of st in the storage form above
 * (DECIMAL and temporal values as their CAST(x AS STRING) text, formatted
 * into tmp). */
int sq_bind(sqlite3_stmt *st, int idx, const struct vec *v, int row, struct strbuf *tmp);
/* The lookup cache t's options ask for (Flink's jdbc lookup options). */
int sq_lookup_conf(const struct table_ctx *t, struct lookup_conf *conf, struct weir_error *err);
int sqlite_lookup_create(const struct table_ctx *t, int n_keys, const int *key_cols,
                         struct lookup_conf *conf, struct lookup_source **out,
                         struct weir_error *err);
/* Monotonic clock in ms. */
int64_t sq_now_ms(void);

#endif
