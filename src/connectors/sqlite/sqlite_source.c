/*
 * sqlite_source.c — the sqlite source: a bounded scan of one SQLite table, in
 * rowid order, for scans and for the dimension side of lookup joins
 * (connector overview and storage mapping: sqlite.c).
 *
 * Values come back by the storage class SQLite holds them in: INTEGER into
 * integer and BOOLEAN columns directly, INTEGER/REAL into FLOAT/DOUBLE, BLOB or
 * TEXT into BYTES as raw bytes, and anything else through the text rules of
 * the csv format (formats/convert.h), so '2024-01-01 12:00:00.123' reads as a
 * TIMESTAMP and '12.50' as a DECIMAL.  A value that does not convert (text in
 * an INT column, an integer out of range) sends its row to the dead-letter
 * output with position '<path>:<table>:rowid <n>' and the column named in the
 * reason; the scan goes on.
 *
 * Parallel instances split the table by rowid modulo the parallelism.  The
 * position (checkpoint text) is 'rowid <last rowid returned>'.  A table made
 * WITHOUT ROWID has no rowid: it is scanned in its key order, dead letters name
 * the row number, and its position is 'row <rows returned>'.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/sqlite/sqlite.h"
#include "core/mem.h"
#include "exec/deadletter.h"
#include "formats/convert.h"

struct sq_source {
    struct source base;
    sqlite3 *db;                    /* NULL until open */
    sqlite3_stmt *st;               /* the scan; NULL once done */
    const char *path, *table;       /* borrowed from the option set */
    int64_t busy_ms;
    bool has_rowid;                 /* column 0 of the scan is the rowid */
    int64_t last_rowid;             /* of the last row returned (or seeked to) */
    int64_t n_read;                 /* rows stepped over (WITHOUT ROWID position) */
    int64_t skip;                   /* rows still to skip after a seek (no rowid) */
    struct strbuf tmp;              /* scratch for fmt_text_to_scalar */
};

static int prepare_scan(struct sq_source *sq, struct weir_error *err)
{
    const struct table_ctx *t = sq->base.table;
    struct strbuf sql = {0};
    int rc = WEIR_OK;
    for (int with_rowid = 1; with_rowid >= 0; with_rowid--) {
        sb_clear(&sql);
        sb_adds(&sql, with_rowid ? "SELECT rowid" : "SELECT NULL");
        for (int i = 0; i < t->n_cols; i++) {
            sb_adds(&sql, ", ");
            sq_ident(&sql, t->col_names[i]);
        }
        sb_adds(&sql, " FROM ");
        sq_ident(&sql, sq->table);
        if (with_rowid) {
            sb_adds(&sql, " WHERE rowid > ?1");
            if (t->parallelism > 1)
                sb_addf(&sql, " AND rowid %% %d = %d", t->parallelism, t->subtask);
            sb_adds(&sql, " ORDER BY rowid");
        }
        if (sqlite3_prepare_v2(sq->db, sql.buf, -1, &sq->st, NULL) == SQLITE_OK) {
            sq->has_rowid = with_rowid;
            if (with_rowid)
                sqlite3_bind_int64(sq->st, 1, sq->last_rowid);
            else if (t->subtask > 0) {
                /* no rowid to split by: the first instance reads it all */
                sqlite3_finalize(sq->st);
                sq->st = NULL;
            }
            goto out;
        }
    }
    rc = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: cannot scan '%s' in '%s': %s", sq->table,
                 sq->path, sqlite3_errmsg(sq->db));
out:
    sb_free(&sql);
    return rc;
}

static int sq_src_open(struct source *src, struct weir_error *err)
{
    struct sq_source *sq = (struct sq_source *)src;
    if (sq->db != NULL)
        return WEIR_OK;
    sq->db = sq_open(sq->path, false, sq->busy_ms, err);
    if (sq->db == NULL)
        return WEIR_ERR_CONNECTOR;
    int rc = sq_check_columns(sq->db, sq->path, sq->table, src->table, err);
    if (rc == WEIR_DONE)
        rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': sqlite database '%s' has no table '%s'",
                     src->table->table_name, sq->path, sq->table);
    return rc ? rc : prepare_scan(sq, err);
}

/* Reads column c of the current row into row `row` of v.  False (with *why
 * set) when the value does not convert. */
static bool get_value(struct sq_source *sq, struct vec *v, int row, int c, const char **why)
{
    sqlite3_stmt *st = sq->st;
    int storage = sqlite3_column_type(st, c);
    if (storage == SQLITE_NULL) {
        vec_set_null(v, row);
        return true;
    }
    const struct sql_type *t = v->type;
    switch ((enum type_id)t->id) {
    case T_BOOLEAN:
        if (storage == SQLITE_INTEGER) {
            v->b[row] = sqlite3_column_int64(st, c) != 0;
            vec_set_valid(v, row);
            return true;
        }
        break;
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT:
        if (storage == SQLITE_INTEGER) {
            int64_t x = sqlite3_column_int64(st, c);
            int bits = type_int_bits(t);
            if (bits < 64 && (x < -(INT64_C(1) << (bits - 1)) ||
                              x >= (INT64_C(1) << (bits - 1)))) {
                *why = "out of range";
                return false;
            }
            v->i64[row] = x;
            vec_set_valid(v, row);
            return true;
        }
        break;
    case T_FLOAT:
    case T_DOUBLE:
        if (storage == SQLITE_INTEGER || storage == SQLITE_FLOAT) {
            double d = sqlite3_column_double(st, c);
            v->f64[row] = t->id == T_FLOAT ? (double)(float)d : d;
            vec_set_valid(v, row);
            return true;
        }
        break;
    case T_BINARY:
    case T_VARBINARY: {
        const void *p = sqlite3_column_blob(st, c);
        vec_set_str(v, row, p ? p : "", (size_t)sqlite3_column_bytes(st, c));
        vec_set_valid(v, row);
        return true;
    }
    case T_INTERVAL_YM:
    case T_INTERVAL_DT:
        if (storage == SQLITE_INTEGER) {
            v->i64[row] = sqlite3_column_int64(st, c);
            vec_set_valid(v, row);
            return true;
        }
        *why = "an interval is stored as an INTEGER";
        return false;
    default:
        break;
    }
    const char *s = (const char *)sqlite3_column_text(st, c);
    size_t n = (size_t)sqlite3_column_bytes(st, c);
    if (s != NULL && fmt_text_to_scalar(v, row, s, n, &sq->tmp))
        return true;
    *why = "does not convert";
    return false;
}

static const char *storage_name(int storage)
{
    switch (storage) {
    case SQLITE_INTEGER: return "INTEGER";
    case SQLITE_FLOAT: return "REAL";
    case SQLITE_TEXT: return "TEXT";
    case SQLITE_BLOB: return "BLOB";
    default: return "NULL";
    }
}

static void dead_letter(struct sq_source *sq, int c, const char *why)
{
    const struct table_ctx *t = sq->base.table;
    struct arena scratch;
    arena_init(&scratch, 1024);
    struct strbuf pos = {0}, reason = {0};
    int storage = sqlite3_column_type(sq->st, c + 1);
    if (sq->has_rowid)
        sb_addf(&pos, "%s:%s:rowid %" PRId64, sq->path, sq->table, sq->last_rowid);
    else
        sb_addf(&pos, "%s:%s:row %" PRId64, sq->path, sq->table, sq->n_read);
    sb_addf(&reason, "column '%s': %s value %s as %s", t->col_names[c],
            storage_name(storage), why, type_to_sql(&scratch, t->col_types[c]));
    const char *raw = (const char *)sqlite3_column_text(sq->st, c + 1);
    dlq_write(t->dlq, t->table_name, pos.buf, reason.buf, raw ? raw : "",
              (size_t)sqlite3_column_bytes(sq->st, c + 1));
    atomic_fetch_add_explicit(&sq->base.metrics.dead_letters, 1, memory_order_relaxed);
    sb_free(&pos);
    sb_free(&reason);
    arena_free(&scratch);
}

static int sq_src_poll(struct source *src, struct batch *out, struct weir_error *err)
{
    struct sq_source *sq = (struct sq_source *)src;
    const struct table_ctx *t = src->table;
    if (sq->db == NULL) {
        int rc = sq_src_open(src, err);
        if (rc)
            return rc;
    }
    int added = 0;
    while (sq->st != NULL && out->n < BATCH_CAP) {
        int rc = sqlite3_step(sq->st);
        if (rc == SQLITE_DONE) {
            /* ends the read transaction: writers' checkpoints may go on */
            sqlite3_finalize(sq->st);
            sq->st = NULL;
            break;
        }
        if (rc != SQLITE_ROW) {
            int code = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: scanning '%s' in '%s' "
                               "failed: %s", sq->table, sq->path, sqlite3_errmsg(sq->db));
            if (err)
                err->retriable = (rc & 0xff) == SQLITE_BUSY;
            return code;
        }
        sq->n_read++;
        if (sq->has_rowid)
            sq->last_rowid = sqlite3_column_int64(sq->st, 0);
        else if (sq->skip > 0) {
            sq->skip--;
            continue;
        }
        int row = out->n;
        bool ok = true;
        for (int c = 0; c < t->n_cols && ok; c++) {
            const char *why = NULL;
            if (!get_value(sq, &out->cols[c], row, c + 1, &why)) {
                dead_letter(sq, c, why);
                ok = false;
            }
        }
        if (ok) {
            out->n++;
            added++;
        }
    }
    atomic_fetch_add_explicit(&src->metrics.rows, added, memory_order_relaxed);
    return sq->st == NULL ? WEIR_DONE : WEIR_OK;
}

static int sq_src_position(struct source *src, struct strbuf *pos)
{
    struct sq_source *sq = (struct sq_source *)src;
    if (sq->has_rowid || sq->db == NULL)
        sb_addf(pos, "rowid %" PRId64, sq->last_rowid);
    else
        sb_addf(pos, "row %" PRId64, sq->n_read);
    return WEIR_OK;
}

static int sq_src_seek(struct source *src, const char *pos, struct weir_error *err)
{
    struct sq_source *sq = (struct sq_source *)src;
    long long x;
    if (sscanf(pos, "rowid %lld", &x) == 1)
        sq->last_rowid = x;
    else if (sscanf(pos, "row %lld", &x) == 1)
        sq->skip = x;
    else
        return err_set(err, WEIR_ERR_CORRUPT, "sqlite: bad source position '%s'", pos);
    if (sq->db != NULL) {   /* already open (or done): restart the scan from there */
        sqlite3_finalize(sq->st);
        sq->st = NULL;
        return prepare_scan(sq, err);
    }
    return WEIR_OK;
}

static void sq_src_close(struct source *src)
{
    struct sq_source *sq = (struct sq_source *)src;
    if (sq == NULL)
        return;
    sqlite3_finalize(sq->st);
    sqlite3_close_v2(sq->db);
    sb_free(&sq->tmp);
    mem_free(sq);
}

static const struct source_ops sq_source_ops = {
    .open = sq_src_open,
    .poll = sq_src_poll,
    .position = sq_src_position,
    .seek = sq_src_seek,
    .close = sq_src_close,
};

int sqlite_source_create(const struct table_ctx *t, struct source **out,
                         struct weir_error *err)
{
    (void)err;     /* nested types were refused by sqlite.c */
    struct sq_source *sq = mem_calloc(1, sizeof(*sq));
    sq->base.ops = &sq_source_ops;
    sq->base.table = t;
    sq->base.bounded = true;
    sq->base.wait_ms = 0;
    sq->path = opt_str(t->opts, "path", "");
    sq->table = opt_str(t->opts, "table-name", "");
    sq->busy_ms = opt_duration_ms(t->opts, "busy-timeout", 5000);
    *out = &sq->base;
    return WEIR_OK;
}
