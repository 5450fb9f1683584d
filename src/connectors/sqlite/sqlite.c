/*
 * sqlite.c — the 'sqlite' connector: weir's embedded result store.  A sink
 * table keeps a job's results in an SQLite database file that the sqlite3
 * shell (or any program) can query while the job runs; a source table reads
 * such a table back, bounded, for scans and for lookup joins (the lookup join
 * loads its dimension table through the source interface at build time, see
 * load_dimension in exec/job.c, so no separate lookup path is needed).
 *
 * This file holds the descriptor, the option table (Flink jdbc names where
 * they fit) and helpers both roles use; sqlite_sink.c and sqlite_source.c hold
 * the two roles.  Storage mapping, shared by both directions: integers,
 * BOOLEAN (0/1) and intervals are INTEGER, FLOAT/DOUBLE are REAL, DECIMAL and
 * DATE/TIME/TIMESTAMP are TEXT in the CAST(x AS STRING) form ('12.50',
 * '2024-01-01 12:00:00.123', as Flink's jdbc sink writes them), strings TEXT,
 * BINARY/BYTES BLOB.  Nested types are refused when the table is opened.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "connectors/sqlite/sqlite.h"
#include "core/mem.h"

int64_t sq_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sqlite3 *sq_open(const char *path, bool create, int64_t busy_ms, struct weir_error *err)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX;
    if (create)
        flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK && !create) {
        /* a read-only file (or directory) still serves a scan */
        sqlite3_close(db);
        db = NULL;
        rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    }
    if (rc != SQLITE_OK) {
        err_set(err, WEIR_ERR_CONNECTOR, "sqlite: cannot open database '%s': %s", path,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 0);
    sqlite3_busy_timeout(db, busy_ms > 0x7fffffff ? 0x7fffffff : (int)busy_ms);
    return db;
}

void sq_ident(struct strbuf *sb, const char *s)
{
    sb_addc(sb, '"');
    for (; *s; s++) {
        if (*s == '"')
            sb_addc(sb, '"');
        sb_addc(sb, *s);
    }
    sb_addc(sb, '"');
}

const char *sq_decl_type(const struct sql_type *t)
{
    switch ((enum type_id)t->id) {
    case T_BOOLEAN:
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT:
    case T_INTERVAL_YM:
    case T_INTERVAL_DT:
        return "INTEGER";
    case T_FLOAT:
    case T_DOUBLE:
        return "REAL";
    case T_DECIMAL:
    case T_CHAR:
    case T_VARCHAR:
    case T_DATE:
    case T_TIME:
    case T_TIMESTAMP:
    case T_TIMESTAMP_LTZ:
        return "TEXT";
    case T_BINARY:
    case T_VARBINARY:
        return "BLOB";
    default:
        return NULL;
    }
}

int sq_check_columns(sqlite3 *db, const char *path, const char *table,
                     const struct table_ctx *t, struct weir_error *err)
{
    struct strbuf sql = {0}, have = {0};
    sb_adds(&sql, "PRAGMA table_info(");
    sq_ident(&sql, table);
    sb_adds(&sql, ")");
    sqlite3_stmt *st = NULL;
    int rc = WEIR_OK;
    if (sqlite3_prepare_v2(db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        rc = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: cannot read the columns of '%s' in '%s': %s",
                     table, path, sqlite3_errmsg(db));
        goto out;
    }
    int n_have = 0;
    bool *found = mem_calloc((size_t)t->n_cols + 1, sizeof(bool));
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (name == NULL)
            continue;
        sb_adds(&have, n_have++ ? ", " : "");
        sb_adds(&have, name);
        for (int i = 0; i < t->n_cols; i++)
            if (strcasecmp(name, t->col_names[i]) == 0)
                found[i] = true;
    }
    if (src != SQLITE_DONE) {
        rc = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: cannot read the columns of '%s' in '%s': %s",
                     table, path, sqlite3_errmsg(db));
    } else if (n_have == 0) {
        rc = WEIR_DONE;
    } else {
        for (int i = 0; i < t->n_cols; i++) {
            if (found[i])
                continue;
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': sqlite table '%s' in '%s' has no column '%s' (it has: %s); "
                         "alter or drop it, or point 'table-name' elsewhere",
                         t->table_name, table, path, t->col_names[i], have.buf);
            break;
        }
    }
    mem_free(found);
out:
    sqlite3_finalize(st);
    sb_free(&sql);
    sb_free(&have);
    return rc;
}

static int sqlite_source_or_sink_check(const struct table_ctx *t, struct weir_error *err)
{
    for (int i = 0; i < t->n_cols; i++) {
        if (t->col_metadata && t->col_metadata[i])
            return err_set(err, WEIR_ERR_CONFIG,
                           "table '%s': connector 'sqlite' has no metadata column '%s'",
                           t->table_name, t->col_metadata[i]);
        if (sq_decl_type(t->col_types[i]) == NULL)
            return err_set(err, WEIR_ERR_UNSUPPORTED,
                           "table '%s': column '%s' has a nested type, which connector "
                           "'sqlite' cannot store", t->table_name, t->col_names[i]);
    }
    return WEIR_OK;
}

static int sq_sink_create(const struct table_ctx *t, struct sink **out, struct weir_error *err)
{
    int rc = sqlite_source_or_sink_check(t, err);
    return rc ? rc : sqlite_sink_create(t, out, err);
}

static int sq_source_create(const struct table_ctx *t, struct source **out,
                            struct weir_error *err)
{
    int rc = sqlite_source_or_sink_check(t, err);
    return rc ? rc : sqlite_source_create(t, out, err);
}

static const struct opt_def sqlite_options[] = {
    {"path", OPT_STRING, NULL, NULL, true,
     "the database file: a plain path or a file: URI; a sink creates it if missing"},
    {"table-name", OPT_STRING, NULL, NULL, true,
     "the table in the database; a sink creates it if missing (with the sink's "
     "PRIMARY KEY), or checks that an existing one has the sink's columns"},
    {"sink.buffer-flush.max-rows", OPT_INT, "1000", NULL, false,
     "rows per transaction: a transaction commits once it holds this many "
     "(without checkpointing; with it each write is a transaction into the staging "
     "table, made visible by the checkpoint's commit)"},
    {"sink.buffer-flush.interval", OPT_DURATION, "1 s", NULL, false,
     "an open transaction commits at least this often, even when no rows arrive, "
     "so that readers see progress (without checkpointing; with it readers see "
     "progress at each completed checkpoint)"},
    {"sink.max-retries", OPT_INT, "3", NULL, false,
     "how often a write retries when the database stays locked by another "
     "connection (each try waits up to 'busy-timeout')"},
    {"busy-timeout", OPT_DURATION, "5 s", NULL, false,
     "how long a statement waits for another connection's lock (SQLite "
     "busy_timeout) before it fails or retries"},
    {NULL},
};

const struct connector_def conn_sqlite = {
    .name = "sqlite",
    .caps = CONN_SOURCE | CONN_SINK | CONN_LOOKUP,
    .options = sqlite_options,
    .needs_format = false,
    .accepts_updates = true,
    .updates_need_pk = true,
    .description =
        "Keeps results in an SQLite database file (WAL mode: the `sqlite3` shell can "
        "query it while the job runs).  Sink: with a `PRIMARY KEY (..) NOT ENFORCED` "
        "it upserts (+I/+U insert or update the row with that key, -D deletes it, -U "
        "is skipped), without one it only appends, and an updating query is refused "
        "at plan time.  With checkpointing, exactly-once: rows are staged in "
        "`weir_staging_<table-name>` in the same database (compacted by key) and "
        "applied to the table when the checkpoint that covers them completes, in one "
        "transaction that also records the checkpoint in `weir_sink_commits`; a "
        "restored job applies what its checkpoint covered unless already recorded "
        "and drops what was staged after it; both tables are dropped at the end of a "
        "job once empty.  Without checkpointing (`execution.checkpointing.interval` "
        "= 0), at-least-once: rows go straight into the table in transactions of at "
        "most `sink.buffer-flush.max-rows` rows, committed at least every "
        "`sink.buffer-flush.interval` and at the end of input; after a restart rows "
        "may be written again, which upserts make harmless (an append-only table may "
        "get duplicates).  Source: a bounded scan "
        "of the table (also the dimension side of a lookup join); a value that does not "
        "convert to its column's type goes to the dead-letter output with its rowid.  "
        "Storage: integers, BOOLEAN (0/1) and intervals as INTEGER, FLOAT/DOUBLE as REAL, "
        "DECIMAL, DATE, TIME and TIMESTAMP as TEXT (`2024-01-01 12:00:00.123`), strings "
        "as TEXT, BYTES as BLOB; ARRAY, MAP and ROW are not supported.",
    .source_create = sq_source_create,
    .sink_create = sq_sink_create,
};
