/*
 * sqlite.c — the 'sqlite' connector: weir's embedded result store.  A sink
 * table keeps a job's results in an SQLite database file that the sqlite3
 * shell (or any program) can query while the job runs; a source table reads
 * such a table back, bounded, for scans; as the dimension of a lookup join it
 * answers key queries (sqlite_lookup_create) or, with a FULL cache, is scanned
 * whole by the join (exec/op_lookup.c), per Flink's jdbc lookup options.
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
#include "core/value_fmt.h"

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

int sq_bind(sqlite3_stmt *st, int idx, const struct vec *v, int row, struct strbuf *tmp)
{
    if (vec_is_null(v, row))
        return sqlite3_bind_null(st, idx);
    switch ((enum type_id)v->type->id) {
    case T_BOOLEAN:
        return sqlite3_bind_int(st, idx, v->b[row] != 0);
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT:
    case T_INTERVAL_YM:
    case T_INTERVAL_DT:
        return sqlite3_bind_int64(st, idx, v->i64[row]);
    case T_FLOAT:
    case T_DOUBLE:
        return sqlite3_bind_double(st, idx, v->f64[row]);
    case T_CHAR:
    case T_VARCHAR:
        /* a NULL pointer would bind SQL NULL: an empty string is not one */
        return sqlite3_bind_text(st, idx, v->s[row].ptr ? v->s[row].ptr : "",
                                 (int)v->s[row].len, SQLITE_STATIC);
    case T_BINARY:
    case T_VARBINARY:
        return sqlite3_bind_blob(st, idx, v->s[row].ptr ? v->s[row].ptr : "",
                                 (int)v->s[row].len, SQLITE_STATIC);
    default:
        /* DECIMAL and temporal types: their CAST(x AS STRING) text */
        sb_clear(tmp);
        vfmt_cast_string(tmp, v, row);
        return sqlite3_bind_text(st, idx, tmp->buf ? tmp->buf : "", (int)tmp->len,
                                 SQLITE_TRANSIENT);
    }
}

/* Options that must be positive when given. */
static int positive(const struct table_ctx *t, const char *key, int64_t v,
                    struct weir_error *err)
{
    if (!opt_has(t->opts, key) || v > 0)
        return WEIR_OK;
    return err_set(err, WEIR_ERR_CONFIG, "table '%s': option '%s' must be positive, got '%s'",
                   t->table_name, key, opt_str(t->opts, key, ""));
}

int sq_lookup_conf(const struct table_ctx *t, struct lookup_conf *c, struct weir_error *err)
{
    const struct opt_set *o = t->opts;
    memset(c, 0, sizeof(*c));
    int64_t retries = opt_int(o, "lookup.max-retries", 3);
    if (retries < 0 || retries > 1000)
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': option 'lookup.max-retries' must be "
                       "between 0 and 1000, got '%s'", t->table_name,
                       opt_str(o, "lookup.max-retries", ""));
    c->max_retries = (int)retries;
    c->cache_missing_key = true;
    /* the jdbc connector's older options: a partial cache when both are
     * positive ('lookup.cache' = 'PARTIAL' takes precedence) */
    int64_t rows = opt_int(o, "lookup.cache.max-rows", -1);
    int64_t ttl = opt_duration_ms(o, "lookup.cache.ttl", 10000);
    if (rows > 0 && ttl > 0) {
        c->cache = LOOKUP_CACHE_PARTIAL;
        c->max_rows = rows;
        c->expire_write_ms = ttl;
        c->cache_missing_key = opt_bool(o, "lookup.cache.caching-missing-key", true);
    }
    const char *kind = opt_str(o, "lookup.cache", "NONE");
    int rc;
    if (strcasecmp(kind, "PARTIAL") == 0) {
        const char *mr = "lookup.partial-cache.max-rows";
        const char *ew = "lookup.partial-cache.expire-after-write";
        const char *ea = "lookup.partial-cache.expire-after-access";
        if (!opt_has(o, mr) && !opt_has(o, ew) && !opt_has(o, ea))
            return err_set(err, WEIR_ERR_CONFIG,
                           "table '%s': 'lookup.cache' = 'PARTIAL' needs '%s', '%s' or '%s' "
                           "(without one the cache would grow without bound)",
                           t->table_name, mr, ew, ea);
        c->cache = LOOKUP_CACHE_PARTIAL;
        c->max_rows = opt_int(o, mr, 0);
        c->expire_write_ms = opt_duration_ms(o, ew, 0);
        c->expire_access_ms = opt_duration_ms(o, ea, 0);
        c->cache_missing_key = opt_bool(o, "lookup.partial-cache.cache-missing-key", true);
        if ((rc = positive(t, mr, c->max_rows, err)) || (rc = positive(t, ew, c->expire_write_ms, err)) ||
            (rc = positive(t, ea, c->expire_access_ms, err)))
            return rc;
    } else if (strcasecmp(kind, "FULL") == 0) {
        const char *ri = "lookup.full-cache.periodic-reload.interval";
        if (!opt_has(o, ri))
            return err_set(err, WEIR_ERR_CONFIG,
                           "table '%s': 'lookup.cache' = 'FULL' needs '%s' (how often the "
                           "table is read again)", t->table_name, ri);
        c->cache = LOOKUP_CACHE_FULL;
        c->reload_ms = opt_duration_ms(o, ri, 0);
        if ((rc = positive(t, ri, c->reload_ms, err)))
            return rc;
    } else if (opt_has(o, "lookup.cache")) {
        c->cache = LOOKUP_CACHE_NONE;   /* NONE given: the legacy keys do not count */
    }
    return WEIR_OK;
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

static int sq_lookup_create(const struct table_ctx *t, int n_keys, const int *key_cols,
                            struct lookup_conf *conf, struct lookup_source **out,
                            struct weir_error *err)
{
    int rc = sqlite_source_or_sink_check(t, err);
    if (rc == WEIR_OK)
        rc = sq_lookup_conf(t, conf, err);
    *out = NULL;
    if (rc || conf->cache == LOOKUP_CACHE_FULL)
        return rc;
    return sqlite_lookup_create(t, n_keys, key_cols, conf, out, err);
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
    {"lookup.cache", OPT_ENUM, "NONE", "NONE|PARTIAL|FULL", false,
     "as the dimension of a lookup join: NONE queries the table for every row, PARTIAL "
     "keeps queried keys in a bounded LRU cache, FULL keeps the whole table and reads "
     "it again every 'lookup.full-cache.periodic-reload.interval'"},
    {"lookup.partial-cache.max-rows", OPT_INT, NULL, NULL, false,
     "PARTIAL: rows the cache holds at most (a key without rows counts as one); the "
     "least recently used keys make room"},
    {"lookup.partial-cache.expire-after-write", OPT_DURATION, NULL, NULL, false,
     "PARTIAL: a key's rows are queried again this long after they were read"},
    {"lookup.partial-cache.expire-after-access", OPT_DURATION, NULL, NULL, false,
     "PARTIAL: a key's rows are dropped when not used for this long"},
    {"lookup.partial-cache.cache-missing-key", OPT_BOOL, "true", NULL, false,
     "PARTIAL: remember that a key has no rows too"},
    {"lookup.full-cache.periodic-reload.interval", OPT_DURATION, NULL, NULL, false,
     "FULL (required there): how often the whole table is read again"},
    {"lookup.max-retries", OPT_INT, "3", NULL, false,
     "how often a lookup query (or FULL load) that failed on a locked database is "
     "tried again"},
    {"lookup.cache.max-rows", OPT_INT, NULL, NULL, false,
     "older spelling: with 'lookup.cache.ttl', a PARTIAL cache of this many rows"},
    {"lookup.cache.ttl", OPT_DURATION, "10 s", NULL, false,
     "older spelling of 'lookup.partial-cache.expire-after-write' (only with "
     "'lookup.cache.max-rows')"},
    {"lookup.cache.caching-missing-key", OPT_BOOL, "true", NULL, false,
     "older spelling of 'lookup.partial-cache.cache-missing-key'"},
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
        "of the table; a value that does not convert to its column's type goes to the "
        "dead-letter output with its rowid.  Lookup join dimension: a prepared query on "
        "the join's key columns per left row, on a read-only connection (writers are "
        "never blocked, and with no cache each row sees the latest commit), or Flink's "
        "`lookup.cache` = `PARTIAL` (an LRU of queried keys, bounded by max-rows and/or "
        "expiry; the jdbc connector's older `lookup.cache.max-rows` + `lookup.cache.ttl` "
        "mean the same) or `FULL` (the whole table, read again every reload interval).  "
        "Storage: integers, BOOLEAN (0/1) and intervals as INTEGER, FLOAT/DOUBLE as REAL, "
        "DECIMAL, DATE, TIME and TIMESTAMP as TEXT (`2024-01-01 12:00:00.123`), strings "
        "as TEXT, BYTES as BLOB; ARRAY, MAP and ROW are not supported.",
    .source_create = sq_source_create,
    .sink_create = sq_sink_create,
    .lookup_create = sq_lookup_create,
};
