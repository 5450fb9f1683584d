/*
 * test_sqlite.c — the sqlite connector driven through its ops on a real
 * database file: upsert (+I/+U insert or replace by key, -U skipped, -D
 * deletes), append mode, every scalar type written by the sink and read back
 * by the source, an existing table that lacks a column, a database locked by
 * another connection (fails after the retries, retriable; succeeds when the
 * lock goes away in time), transactions committed by row count and by the
 * interval timer while no write comes, values the source cannot convert
 * going to the dead letters, and the lookup reader (key queries that an open
 * write transaction does not block, the lookup cache options).  The database is checked with plain sqlite3
 * calls, independent of the connector.  Every wait is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "exec/deadletter.h"
#include "scratch.h"

static char db_path[256];
static struct arena type_arena;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    (void)state;
    int rc = scratch_make("sqlite");
    snprintf(db_path, sizeof(db_path), "%s/t.db", root);
    arena_init(&type_arena, 0);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&type_arena);
    return scratch_remove();
}

/* ---- harness: a table (id BIGINT, name STRING, amt DOUBLE, dc DECIMAL(10,2),
 * ts TIMESTAMP(3), ok BOOLEAN, d DATE, tm TIME(3), bin BYTES, i INT) ----------- */

#define NC 10
static const char *col_names[NC] = {"id", "name", "amt", "dc", "ts",
                                    "ok", "d",    "tm",  "bin", "i"};
static const struct sql_type *col_types[NC];

static void init_types(void)
{
    col_types[0] = &type_bigint;
    col_types[1] = &type_string;
    col_types[2] = &type_double;
    col_types[3] = type_decimal(&type_arena, 10, 2);
    col_types[4] = &type_timestamp3;
    col_types[5] = &type_boolean;
    col_types[6] = &type_date;
    col_types[7] = type_timestamp(&type_arena, T_TIME, 3);
    col_types[8] = &type_bytes;
    col_types[9] = &type_int;
}

struct h {
    struct opt_set *o;
    struct table_ctx t;
    int pk[1];
    struct sink *snk;
    struct source *src;
};

/* kv: NULL-terminated key, value pairs besides connector/path/table-name. */
static int h_validate(struct h *h, bool as_source, int n_pk, const char *const *kv,
                      struct weir_error *err)
{
    memset(h, 0, sizeof(*h));
    init_types();
    const char *keys[24], *vals[24];
    int n = 0;
    keys[n] = "connector", vals[n++] = "sqlite";
    keys[n] = "path", vals[n++] = db_path;
    keys[n] = "table-name", vals[n++] = "results";
    for (int i = 0; kv && kv[i]; i += 2)
        keys[n] = kv[i], vals[n++] = kv[i + 1];
    int rc = conn_validate(conn_lookup("sqlite"), NULL, "results", n, keys, vals, as_source,
                           &h->o, err);
    if (rc)
        return rc;
    h->pk[0] = 0;
    h->t = (struct table_ctx){.table_name = "results", .n_cols = NC, .col_names = col_names,
                              .col_types = col_types, .n_pk = n_pk, .pk = h->pk,
                              .opts = h->o, .parallelism = 1};
    return WEIR_OK;
}

/* Opens a sink; returns the open's rc (err set) — the sink exists either way. */
static int h_sink(struct h *h, int n_pk, const char *const *kv, struct weir_error *err)
{
    if (h_validate(h, false, n_pk, kv, err) != WEIR_OK)
        fail_msg("%s", err->message);
    assert_int_equal(conn_lookup("sqlite")->sink_create(&h->t, &h->snk, err), WEIR_OK);
    return h->snk->ops->open(h->snk, err);
}

static void h_close(struct h *h)
{
    if (h->snk)
        h->snk->ops->close(h->snk);
    if (h->src)
        h->src->ops->close(h->src);
    opt_set_free(h->o);
}

/* One row: id, name (NULL → NULL), amt, decimal unscaled, ts µs, ok, kind. */
static void add_row(struct batch *b, enum row_kind kind, int64_t id, const char *name,
                    double amt, __int128 dc, int64_t ts)
{
    int r = b->n++;
    batch_ensure_kinds(b);
    b->kinds[r] = (uint8_t)kind;
    b->cols[0].i64[r] = id;
    if (name)
        vec_set_str(&b->cols[1], r, name, strlen(name));
    else
        vec_set_null(&b->cols[1], r);
    b->cols[2].f64[r] = amt;
    b->cols[3].i128[r] = dc;
    b->cols[4].i64[r] = ts;
    b->cols[5].b[r] = (uint8_t)(id % 2);
    b->cols[6].i64[r] = 19782;                  /* 2024-02-29 */
    b->cols[7].i64[r] = 45296789000LL;          /* 12:34:56.789 */
    vec_set_str(&b->cols[8], r, "\x00\xff\x01", 3);
    b->cols[9].i64[r] = -(int64_t)id;
}

static int write_batch(struct h *h, struct batch *b, struct weir_error *err)
{
    return h->snk->ops->write(h->snk, b, err);
}

/* Runs a query with a fresh connection; the rows as "a|b|c\n" text. */
static char *query(const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    struct strbuf sb = {0};
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            sb_addf(&sb, "%s%s", c ? "|" : "", v ? v : "NULL");
        }
        sb_addc(&sb, '\n');
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return sb.buf ? sb_steal(&sb) : mem_strdup("");
}

static void assert_query(const char *sql, const char *want)
{
    char *got = query(sql);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n--- want\n%s--- got\n%s", sql, want, got);
    mem_free(got);
}

static void exec_sql(const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_upsert_and_delete(void **state)
{
    (void)state;
    struct h h;
    struct weir_error err = {0};
    if (h_sink(&h, 1, NULL, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    assert_true(h.snk->accepts_updates);
    struct batch *b = batch_new(NC, col_types);
    add_row(b, RK_INSERT, 1, "a", 1.5, 150, 0);
    add_row(b, RK_INSERT, 2, "b", 2.5, 250, 0);
    add_row(b, RK_INSERT, 3, "c", 3.5, 350, 0);
    add_row(b, RK_UPDATE_BEFORE, 1, "a", 1.5, 150, 0);
    add_row(b, RK_UPDATE_AFTER, 1, "a2", 9.5, 950, 0);
    add_row(b, RK_DELETE, 2, "b", 2.5, 250, 0);
    assert_int_equal(write_batch(&h, b, &err), WEIR_OK);
    assert_int_equal(h.snk->ops->flush(h.snk, &err), WEIR_OK);
    assert_query("SELECT id, name FROM results ORDER BY id", "1|a2\n3|c\n");
    /* a later batch: -U alone must not delete, +U of a deleted key re-inserts */
    batch_reset(b);
    add_row(b, RK_UPDATE_BEFORE, 3, "c", 3.5, 350, 0);
    add_row(b, RK_UPDATE_AFTER, 2, "b2", 0, 0, 0);
    assert_int_equal(write_batch(&h, b, &err), WEIR_OK);
    assert_int_equal(h.snk->ops->flush(h.snk, &err), WEIR_OK);
    assert_query("SELECT id, name, amt, dc FROM results ORDER BY id",
                 "1|a2|9.5|9.50\n2|b2|0.0|0.00\n3|c|3.5|3.50\n");
    assert_query("SELECT sql FROM sqlite_master WHERE name = 'results'",
                 "CREATE TABLE \"results\" (\"id\" INTEGER, \"name\" TEXT, \"amt\" REAL, "
                 "\"dc\" TEXT, \"ts\" TEXT, \"ok\" INTEGER, \"d\" TEXT, \"tm\" TEXT, "
                 "\"bin\" BLOB, \"i\" INTEGER, PRIMARY KEY (\"id\"))\n");
    assert_query("PRAGMA journal_mode", "wal\n");
    /* replaying the same changes (at-least-once restart) changes nothing */
    batch_reset(b);
    add_row(b, RK_UPDATE_AFTER, 1, "a2", 9.5, 950, 0);
    add_row(b, RK_DELETE, 4, "never", 0, 0, 0);
    assert_int_equal(write_batch(&h, b, &err), WEIR_OK);
    assert_int_equal(h.snk->ops->flush(h.snk, &err), WEIR_OK);
    assert_query("SELECT count(*), sum(id) FROM results", "3|6\n");
    batch_free(b);
    h_close(&h);
}

static void test_append_mode(void **state)
{
    (void)state;
    struct h h;
    struct weir_error err = {0};
    if (h_sink(&h, 0, NULL, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    assert_false(h.snk->accepts_updates);
    struct batch *b = batch_new(NC, col_types);
    add_row(b, RK_INSERT, 1, "a", 1, 0, 0);
    add_row(b, RK_INSERT, 1, "a", 1, 0, 0);
    assert_int_equal(write_batch(&h, b, &err), WEIR_OK);
    assert_int_equal(h.snk->ops->flush(h.snk, &err), WEIR_OK);
    assert_query("SELECT count(*) FROM results WHERE id = 1", "2\n");
    /* a -D without a key cannot be applied: an error, not a silent drop */
    batch_reset(b);
    add_row(b, RK_DELETE, 1, "a", 1, 0, 0);
    assert_int_not_equal(write_batch(&h, b, &err), WEIR_OK);
    assert_non_null(strstr(err.message, "no primary key"));
    err_clear(&err);
    batch_free(b);
    h_close(&h);
    /* the connector declares that updates need a key (the binder's check) */
    assert_true(conn_lookup("sqlite")->accepts_updates);
    assert_true(conn_lookup("sqlite")->updates_need_pk);
}

static void test_type_round_trip(void **state)
{
    (void)state;
    struct h h;
    struct weir_error err = {0};
    if (h_sink(&h, 1, NULL, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    struct batch *b = batch_new(NC, col_types);
    /* 2024-01-01 12:00:00.123 */
    add_row(b, RK_INSERT, 1, "it's", -0.125, -1, 1704110400123000LL);
    add_row(b, RK_INSERT, 2, NULL, 1e300, (__int128)99999999 * 100 + 99, -1000);
    add_row(b, RK_INSERT, 9007199254740993LL, "", 0, 0, 0);
    for (int c = 2; c < NC; c++)     /* row 2: every nullable column NULL */
        vec_set_null(&b->cols[c], 2);
    assert_int_equal(write_batch(&h, b, &err), WEIR_OK);
    assert_int_equal(h.snk->ops->flush(h.snk, &err), WEIR_OK);
    assert_query("SELECT id, quote(name), typeof(amt), dc, ts, ok, d, tm, quote(bin), i "
                 "FROM results ORDER BY id",
                 "1|'it''s'|real|-0.01|2024-01-01 12:00:00.123|1|2024-02-29|12:34:56.789"
                 "|X'00FF01'|-1\n"
                 "2|NULL|real|99999999.99|1969-12-31 23:59:59.999|0|2024-02-29|12:34:56.789"
                 "|X'00FF01'|-2\n"
                 "9007199254740993|''|null|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n");
    h_close(&h);

    /* read back through the source: the same values, lane by lane */
    struct h r;
    if (h_validate(&r, true, 1, NULL, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    assert_int_equal(conn_lookup("sqlite")->source_create(&r.t, &r.src, &err), WEIR_OK);
    assert_true(r.src->bounded);
    assert_int_equal(r.src->ops->open(r.src, &err), WEIR_OK);
    struct batch *in = batch_new(NC, col_types);
    int rc = WEIR_OK;
    for (int guard = 0; guard < 10 && rc != WEIR_DONE; guard++) {
        rc = r.src->ops->poll(r.src, in, &err);
        assert_true(rc >= 0);
    }
    assert_int_equal(rc, WEIR_DONE);
    assert_int_equal(in->n, 3);
    for (int row = 0; row < 3; row++) {
        assert_int_equal(in->cols[0].i64[row], b->cols[0].i64[row]);
        for (int c = 1; c < NC; c++) {
            const struct vec *x = &in->cols[c], *y = &b->cols[c];
            assert_int_equal(vec_is_null(x, row), vec_is_null(y, row));
            if (vec_is_null(x, row))
                continue;
            switch (c) {
            case 1:
            case 8:
                assert_int_equal(x->s[row].len, y->s[row].len);
                assert_memory_equal(x->s[row].ptr ? x->s[row].ptr : "",
                                    y->s[row].ptr ? y->s[row].ptr : "", y->s[row].len);
                break;
            case 2: assert_true(x->f64[row] == y->f64[row]); break;
            case 3: assert_true(x->i128[row] == y->i128[row]); break;
            case 5: assert_int_equal(x->b[row], y->b[row]); break;
            default: assert_int_equal(x->i64[row], y->i64[row]); break;
            }
        }
    }
    struct strbuf pos = {0};
    r.src->ops->position(r.src, &pos);
    /* "id" INTEGER with PRIMARY KEY (id) is SQLite's rowid alias */
    assert_string_equal(pos.buf, "v1\nclass 1 0 end\n");
    sb_free(&pos);
    batch_free(in);
    batch_free(b);
    h_close(&r);
}

static void test_existing_table_mismatch(void **state)
{
    (void)state;
    exec_sql("CREATE TABLE results (id INTEGER PRIMARY KEY, other TEXT)");
    struct h h;
    struct weir_error err = {0};
    assert_int_not_equal(h_sink(&h, 1, NULL, &err), WEIR_OK);
    assert_non_null(strstr(err.message, "sqlite table 'results'"));
    assert_non_null(strstr(err.message, "has no column 'name' (it has: id, other)"));
    err_clear(&err);
    h_close(&h);
    /* the columns are there but no key to upsert on */
    exec_sql("DROP TABLE results; CREATE TABLE results (id, name, amt, dc, ts, ok, d, tm, "
             "bin, i, extra)");
    assert_int_not_equal(h_sink(&h, 1, NULL, &err), WEIR_OK);
    assert_non_null(strstr(err.message, "PRIMARY KEY or UNIQUE index on (\"id\")"));
    err_clear(&err);
    h_close(&h);
    /* ... which append mode does not need; the extra column stays NULL */
    if (h_sink(&h, 0, NULL, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    struct batch *b = batch_new(NC, col_types);
    add_row(b, RK_INSERT, 7, "x", 1, 0, 0);
    assert_int_equal(write_batch(&h, b, &err), WEIR_OK);
    assert_int_equal(h.snk->ops->flush(h.snk, &err), WEIR_OK);
    assert_query("SELECT id, name, extra FROM results", "7|x|NULL\n");
    batch_free(b);
    h_close(&h);
    /* a source over a missing table says so */
    exec_sql("DROP TABLE results");
    struct h r;
    assert_int_equal(h_validate(&r, true, 0, NULL, &err), WEIR_OK);
    assert_int_equal(conn_lookup("sqlite")->source_create(&r.t, &r.src, &err), WEIR_OK);
    assert_int_not_equal(r.src->ops->open(r.src, &err), WEIR_OK);
    assert_non_null(strstr(err.message, "has no table 'results'"));
    err_clear(&err);
    h_close(&r);
}

struct locker {
    sqlite3 *db;
    int hold_ms;
};

static void *release_later(void *arg)
{
    struct locker *l = arg;
    sleep_ms(l->hold_ms);
    sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
    return NULL;
}

static void test_locked_database(void **state)
{
    (void)state;
    struct h h;
    struct weir_error err = {0};
    const char *kv[] = {"busy-timeout", "50ms", "sink.max-retries", "1", NULL};
    if (h_sink(&h, 1, kv, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    /* another connection holds the write lock */
    struct locker l = {NULL, 0};
    assert_int_equal(sqlite3_open(db_path, &l.db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(l.db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    struct batch *b = batch_new(NC, col_types);
    add_row(b, RK_INSERT, 1, "a", 1, 0, 0);
    int rc = write_batch(&h, b, &err);
    assert_int_equal(rc, WEIR_ERR_CONNECTOR);
    assert_true(err.retriable);
    assert_non_null(strstr(err.message, "locked"));
    assert_non_null(strstr(err.message, "busy-timeout"));
    assert_true(atomic_load(&h.snk->metrics.errors) >= 2);   /* both tries counted */
    err_clear(&err);
    /* the lock goes away while the next write waits: it succeeds */
    l.hold_ms = 150;
    pthread_t th;
    pthread_create(&th, NULL, release_later, &l);
    h_close(&h);
    const char *kv2[] = {"busy-timeout", "3 s", NULL};
    if (h_sink(&h, 1, kv2, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    assert_int_equal(write_batch(&h, b, &err), WEIR_OK);
    assert_int_equal(h.snk->ops->flush(h.snk, &err), WEIR_OK);
    pthread_join(th, NULL);
    assert_query("SELECT id, name FROM results", "1|a\n");
    sqlite3_close(l.db);
    batch_free(b);
    h_close(&h);
}

static void test_commit_by_rows_and_interval(void **state)
{
    (void)state;
    struct h h;
    struct weir_error err = {0};
    const char *kv[] = {"sink.buffer-flush.max-rows", "2", "sink.buffer-flush.interval",
                        "1 h", NULL};
    if (h_sink(&h, 1, kv, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    struct batch *b = batch_new(NC, col_types);
    for (int i = 1; i <= 5; i++)
        add_row(b, RK_INSERT, i, "r", 0, 0, 0);
    assert_int_equal(write_batch(&h, b, &err), WEIR_OK);
    /* two full transactions are visible, the fifth row is not yet */
    assert_query("SELECT count(*) FROM results", "4\n");
    assert_int_equal(h.snk->ops->flush(h.snk, &err), WEIR_OK);
    assert_query("SELECT count(*) FROM results", "5\n");
    h_close(&h);

    /* the interval timer commits while no write comes */
    const char *kv2[] = {"sink.buffer-flush.interval", "50ms", NULL};
    if (h_sink(&h, 1, kv2, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    batch_reset(b);
    add_row(b, RK_INSERT, 6, "late", 0, 0, 0);
    assert_int_equal(write_batch(&h, b, &err), WEIR_OK);
    char *got = NULL;
    for (int i = 0; i < 200; i++) {      /* at most ~4 s */
        mem_free(got);
        got = query("SELECT count(*) FROM results");
        if (strcmp(got, "6\n") == 0)
            break;
        sleep_ms(20);
    }
    assert_string_equal(got, "6\n");
    mem_free(got);
    batch_free(b);
    h_close(&h);
}

static void test_source_dead_letters(void **state)
{
    (void)state;
    exec_sql("CREATE TABLE results (id, name, amt, dc, ts, ok, d, tm, bin, i);"
             "INSERT INTO results VALUES (1, 'a', 1.5, '1.25', '2024-01-01 00:00:00', 1,"
             " '2024-01-02', '10:00:00', x'01', 5);"
             "INSERT INTO results VALUES (2, 'b', 'lots', '1.25', NULL, 0, NULL, NULL, NULL,"
             " 5);"
             "INSERT INTO results VALUES (3, 'c', 2, '1.25', NULL, 0, NULL, NULL, NULL,"
             " 5000000000);"
             "INSERT INTO results VALUES (4, 'd', 2, 'x', NULL, 0, NULL, NULL, NULL, 1);"
             "INSERT INTO results VALUES (5, 'e', 3, '-7', 'yesterday', 'true', NULL, NULL,"
             " NULL, 1);"
             "INSERT INTO results VALUES (6, 'f', 4, NULL, NULL, NULL, NULL, NULL, NULL,"
             " NULL);");
    char dlq_path[300];
    snprintf(dlq_path, sizeof(dlq_path), "%s/dlq.jsonl", root);
    struct weir_error err = {0};
    struct deadletter *dlq = dlq_open(dlq_path, &err);
    assert_non_null(dlq);
    struct h r;
    assert_int_equal(h_validate(&r, true, 0, NULL, &err), WEIR_OK);
    r.t.dlq = dlq;
    assert_int_equal(conn_lookup("sqlite")->source_create(&r.t, &r.src, &err), WEIR_OK);
    assert_int_equal(r.src->ops->open(r.src, &err), WEIR_OK);
    struct batch *in = batch_new(NC, col_types);
    assert_int_equal(r.src->ops->poll(r.src, in, &err), WEIR_DONE);
    assert_int_equal(in->n, 2);
    assert_int_equal(in->cols[0].i64[0], 1);
    assert_int_equal(in->cols[0].i64[1], 6);
    assert_true(vec_is_null(&in->cols[3], 1));
    assert_int_equal(atomic_load(&r.src->metrics.dead_letters), 4);
    dlq_close(dlq);
    FILE *f = fopen(dlq_path, "r");
    assert_non_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    assert_non_null(strstr(buf, "column 'amt': TEXT value does not convert as DOUBLE"));
    assert_non_null(strstr(buf, ":results:rowid 2"));
    assert_non_null(strstr(buf, "column 'i': INTEGER value out of range as INT"));
    assert_non_null(strstr(buf, "column 'dc': TEXT value does not convert as DECIMAL(10, 2)"));
    assert_non_null(strstr(buf, "column 'ts': TEXT value does not convert"));
    /* a restart from the position after rowid 4 reads only 5 and 6 */
    batch_reset(in);
    assert_int_equal(r.src->ops->seek(r.src, (const char *const[]){"v1\nclass 1 0 5\n"}, 1, &err), WEIR_OK);
    r.t.dlq = NULL;
    int64_t before = dlq_count(NULL);
    int rc = r.src->ops->poll(r.src, in, &err);
    assert_true(rc == WEIR_OK || rc == WEIR_DONE);
    if (rc == WEIR_OK)
        assert_int_equal(r.src->ops->poll(r.src, in, &err), WEIR_DONE);
    assert_int_equal(in->n, 1);
    assert_int_equal(in->cols[0].i64[0], 6);
    assert_int_equal(dlq_count(NULL) - before, 1);
    assert_int_not_equal(r.src->ops->seek(r.src, (const char *const[]){"garbage"}, 1, &err), WEIR_OK);
    err_clear(&err);
    batch_free(in);
    h_close(&r);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct h h;
    struct weir_error err = {0};
    const char *kv[] = {"sink.buffer-flush.interval", "soon", NULL};
    assert_int_equal(h_validate(&h, false, 0, kv, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "'sink.buffer-flush.interval' expects a duration"));
    err_clear(&err);
    const char *kv2[] = {"lookup.cache.maxrows", "10", NULL};
    assert_int_equal(h_validate(&h, true, 0, kv2, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "valid options: path, table-name"));
    err_clear(&err);
    const char *kv3[] = {"lookup.cache", "SOMETIMES", NULL};
    assert_int_equal(h_validate(&h, true, 0, kv3, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "expects one of NONE, PARTIAL, FULL"));
    err_clear(&err);
    /* a directory that does not exist cannot hold the database */
    snprintf(db_path, sizeof(db_path), "%s/no/such/dir/t.db", root);
    assert_int_not_equal(h_sink(&h, 0, NULL, &err), WEIR_OK);
    assert_non_null(strstr(err.message, "cannot open database"));
    err_clear(&err);
    h_close(&h);
    snprintf(db_path, sizeof(db_path), "%s/t.db", root);
}

/* ---- lookup: per-key queries on a read-only connection -------------------------- */

static void exec_on(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* Looks up id (and name unless NULL) and returns the rows' names joined by ','. */
static void lookup_names(struct lookup_source *ls, int64_t id, const char *name, char *out,
                         size_t cap)
{
    const struct sql_type *kt[2] = {&type_bigint, &type_string};
    struct batch *keys = batch_new(2, kt);
    keys->cols[0].i64[0] = id;
    if (name)
        vec_set_str(&keys->cols[1], 0, name, strlen(name));
    keys->n = 1;
    const struct vec *kv[2] = {&keys->cols[0], &keys->cols[1]};
    struct batch *b = batch_new(NC, col_types);
    struct weir_error err = {0};
    assert_int_equal(ls->ops->lookup(ls, kv, 0, b, &err), WEIR_OK);
    out[0] = '\0';
    for (int r = 0; r < b->n; r++)
        snprintf(out + strlen(out), cap - strlen(out), "%s%.*s", r ? "," : "",
                 (int)b->cols[1].s[r].len, b->cols[1].s[r].ptr);
    batch_free(b);
    batch_free(keys);
}

static void test_lookup_reader(void **state)
{
    (void)state;
    sqlite3 *w = NULL;
    assert_int_equal(sqlite3_open(db_path, &w), SQLITE_OK);
    exec_on(w, "PRAGMA journal_mode = WAL;"
                "CREATE TABLE results (id INTEGER, name TEXT, amt REAL, dc TEXT, ts TEXT, "
                "ok INTEGER, d TEXT, tm TEXT, bin BLOB, i INTEGER);"
                "INSERT INTO results (id, name) VALUES (1, 'a'), (2, 'c'), (1, 'b');");
    struct h h;
    struct weir_error err = {0};
    const struct connector_def *def = conn_lookup("sqlite");
    struct lookup_conf conf;
    struct lookup_source *ls = NULL;
    /* no cache options: no cache (Flink's jdbc default), 3 retries */
    assert_int_equal(h_validate(&h, true, 0, NULL, &err), WEIR_OK);
    assert_int_equal(def->lookup_create(&h.t, 1, (const int[]){0}, &conf, &ls, &err), WEIR_OK);
    assert_int_equal(conf.cache, LOOKUP_CACHE_NONE);
    assert_int_equal(conf.max_retries, 3);
    char names[128];
    lookup_names(ls, 1, NULL, names, sizeof names);
    assert_string_equal(names, "a,b");      /* rowid order */
    lookup_names(ls, 9, NULL, names, sizeof names);
    assert_string_equal(names, "");
    /* an open write transaction neither blocks a lookup nor is blocked by one */
    exec_on(w, "BEGIN IMMEDIATE; UPDATE results SET name = 'z' WHERE id = 2;");
    lookup_names(ls, 2, NULL, names, sizeof names);
    assert_string_equal(names, "c");
    exec_on(w, "COMMIT");
    lookup_names(ls, 2, NULL, names, sizeof names);
    assert_string_equal(names, "z");
    ls->ops->close(ls);
    h_close(&h);

    /* two key columns; the older jdbc spelling turns on a partial cache */
    const char *legacy[] = {"lookup.cache.max-rows", "50", "lookup.cache.ttl", "2 s",
                            "lookup.cache.caching-missing-key", "false", NULL};
    assert_int_equal(h_validate(&h, true, 0, legacy, &err), WEIR_OK);
    assert_int_equal(def->lookup_create(&h.t, 2, (const int[]){0, 1}, &conf, &ls, &err),
                     WEIR_OK);
    assert_int_equal(conf.cache, LOOKUP_CACHE_PARTIAL);
    assert_int_equal(conf.max_rows, 50);
    assert_int_equal(conf.expire_write_ms, 2000);
    assert_false(conf.cache_missing_key);
    lookup_names(ls, 1, "b", names, sizeof names);
    assert_string_equal(names, "b");
    lookup_names(ls, 2, "b", names, sizeof names);
    assert_string_equal(names, "");
    ls->ops->close(ls);
    h_close(&h);

    /* 'lookup.cache' wins over the older keys; FULL asks for a scan, no reader */
    const char *full[] = {"lookup.cache", "full", "lookup.cache.max-rows", "50",
                          "lookup.full-cache.periodic-reload.interval", "1 min", NULL};
    assert_int_equal(h_validate(&h, true, 0, full, &err), WEIR_OK);
    ls = (struct lookup_source *)&conf;
    assert_int_equal(def->lookup_create(&h.t, 1, (const int[]){0}, &conf, &ls, &err), WEIR_OK);
    assert_int_equal(conf.cache, LOOKUP_CACHE_FULL);
    assert_int_equal(conf.reload_ms, 60000);
    assert_null(ls);
    h_close(&h);

    /* a missing table is named when the reader opens */
    exec_on(w, "DROP TABLE results");
    assert_int_equal(h_validate(&h, true, 0, NULL, &err), WEIR_OK);
    assert_int_equal(def->lookup_create(&h.t, 1, (const int[]){0}, &conf, &ls, &err),
                     WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "has no table 'results'"));
    err_clear(&err);
    h_close(&h);
    sqlite3_close(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upsert_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_table_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_by_rows_and_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_dead_letters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
