/*
 * sqlite_sink.c — the sqlite sink: writes a job's rows into an SQLite table in
 * batched transactions (connector overview and storage mapping: sqlite.c).
 *
 * Modes: a sink table with a PRIMARY KEY upserts — +I and +U become
 * INSERT .. ON CONFLICT(pk) DO UPDATE, -D becomes DELETE by key, and -U is
 * skipped because the +U that follows replaces the row anyway (Flink's upsert
 * sinks do the same).  Without a key the sink appends +I rows; the binder
 * refuses updating input for it at plan time (connector_def.updates_need_pk).
 *
 * Transactions: BEGIN IMMEDIATE takes the write lock up front, so the
 * statements inside never meet SQLITE_BUSY; only BEGIN (and, rarely, COMMIT)
 * can, and they retry 'sink.max-retries' times, each waiting up to
 * 'busy-timeout'.  A transaction commits after 'sink.buffer-flush.max-rows'
 * rows, when a write finds it older than 'sink.buffer-flush.interval', on
 * flush (end of input or stop), and from a timer thread when input pauses —
 * hence the mutex: the timer and the writing task share the connection
 * (@locks sq->lock for every use of sq->db).  A commit that fails on the timer
 * thread is kept and reported by the next write or flush.
 *
 * Durability: WAL mode with synchronous=NORMAL — a commit survives a crash of
 * weir, not necessarily a power loss.  Delivery is at-least-once (no
 * prepare/commit hooks): replayed upserts are idempotent.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connectors/sqlite/sqlite.h"
#include "core/mem.h"
#include "core/value_fmt.h"

struct sq_sink {
    struct sink base;
    sqlite3 *db;                    /* NULL until open */
    sqlite3_stmt *ins;              /* INSERT, or the upsert */
    sqlite3_stmt *del;              /* DELETE by key (upsert mode only) */
    sqlite3_stmt *begin, *commit;
    const char *path, *table;       /* borrowed from the option set */
    bool upsert;                    /* the sink table has a PRIMARY KEY */
    int64_t max_rows;               /* rows per transaction */
    int64_t interval_ms;            /* oldest an open transaction may get */
    int64_t busy_ms;
    int max_retries;
    bool in_txn;
    int64_t txn_rows;               /* rows written in the open transaction */
    int64_t txn_start_ms;
    struct strbuf tmp;              /* text of DECIMAL/temporal values */
    pthread_mutex_t lock;           /* guards everything above and below */
    pthread_cond_t wake;            /* the timer's sleep; signalled on close */
    pthread_t timer;
    bool timer_running;
    bool stopping;
    struct weir_error timer_err;    /* a commit the timer could not make */
};

/* ---- transactions (@locks sq->lock held) ------------------------------------------ */

static bool is_busy(int rc)
{
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* Steps a statement that returns no rows, retrying while the database is
 * locked by another connection. */
static int step_retry(struct sq_sink *sq, sqlite3_stmt *st, const char *what,
                      struct weir_error *err)
{
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt <= sq->max_retries; attempt++) {
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW)
            return WEIR_OK;
        if (!is_busy(rc))
            break;
        atomic_fetch_add_explicit(&sq->base.metrics.errors, 1, memory_order_relaxed);
        usleep(10000u << (attempt < 6 ? attempt : 6));  /* busy_timeout waited too */
    }
    int code = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: %s into '%s' in '%s' failed: %s%s",
                       what, sq->table, sq->path, sqlite3_errmsg(sq->db),
                       is_busy(rc) ? " (another connection holds the lock; raise "
                                     "'busy-timeout' or 'sink.max-retries')" : "");
    if (err)
        err->retriable = is_busy(rc);
    return code;
}

static int txn_begin(struct sq_sink *sq, struct weir_error *err)
{
    if (sq->in_txn)
        return WEIR_OK;
    int rc = step_retry(sq, sq->begin, "starting a transaction", err);
    if (rc == WEIR_OK) {
        sq->in_txn = true;
        sq->txn_rows = 0;
        sq->txn_start_ms = sq_now_ms();
    }
    return rc;
}

static int txn_commit(struct sq_sink *sq, struct weir_error *err)
{
    if (!sq->in_txn)
        return WEIR_OK;
    int rc = step_retry(sq, sq->commit, "committing", err);
    if (rc != WEIR_OK) {
        sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
    }
    sq->in_txn = false;
    return rc;
}

/* ---- the timer thread ---------------------------------------------------------------- */

/* Commits a transaction that has been open for 'sink.buffer-flush.interval'
 * while no write came to do it.  @thread sqlite-timer */
static void *timer_main(void *arg)
{
    struct sq_sink *sq = arg;
    int64_t step_ms = sq->interval_ms / 2 > 10 ? sq->interval_ms / 2 : 10;
    pthread_mutex_lock(&sq->lock);
    while (!sq->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += step_ms / 1000;
        ts.tv_nsec += (step_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&sq->wake, &sq->lock, &ts);
        if (sq->stopping)
            break;
        if (sq->in_txn && sq->timer_err.code == 0 &&
            sq_now_ms() - sq->txn_start_ms >= sq->interval_ms)
            txn_commit(sq, &sq->timer_err);
    }
    pthread_mutex_unlock(&sq->lock);
    return NULL;
}

/* A failure the timer saw, handed to the task's error.  @locks sq->lock held */
static int timer_failure(struct sq_sink *sq, struct weir_error *err)
{
    if (sq->timer_err.code == 0)
        return WEIR_OK;
    int rc = err_set(err, sq->timer_err.code, "%s", sq->timer_err.message);
    err_clear(&sq->timer_err);
    return rc;
}

/* ---- open: database, table, statements ------------------------------------------------ */

static int prepare(struct sq_sink *sq, const char *sql, sqlite3_stmt **st,
                   struct weir_error *err)
{
    if (sqlite3_prepare_v3(sq->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK)
        return WEIR_OK;
    return err_set(err, WEIR_ERR_CONNECTOR, "sqlite: cannot prepare a statement on '%s' in "
                   "'%s': %s", sq->table, sq->path, sqlite3_errmsg(sq->db));
}

static int exec_retry(struct sq_sink *sq, const char *sql, const char *what,
                      struct weir_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(sq, sql, &st, err);
    if (rc == WEIR_OK) {
        rc = step_retry(sq, st, what, err);
        sqlite3_finalize(st);
    }
    return rc;
}

static int create_table(struct sq_sink *sq, struct weir_error *err)
{
    const struct table_ctx *t = sq->base.table;
    struct strbuf sql = {0};
    sb_adds(&sql, "CREATE TABLE IF NOT EXISTS ");
    sq_ident(&sql, sq->table);
    sb_adds(&sql, " (");
    for (int i = 0; i < t->n_cols; i++) {
        sb_adds(&sql, i ? ", " : "");
        sq_ident(&sql, t->col_names[i]);
        sb_addf(&sql, " %s", sq_decl_type(t->col_types[i]));
    }
    if (t->n_pk > 0) {
        sb_adds(&sql, ", PRIMARY KEY (");
        for (int k = 0; k < t->n_pk; k++) {
            sb_adds(&sql, k ? ", " : "");
            sq_ident(&sql, t->col_names[t->pk[k]]);
        }
        sb_adds(&sql, ")");
    }
    sb_adds(&sql, ")");
    int rc = exec_retry(sq, sql.buf, "creating the table", err);
    sb_free(&sql);
    return rc;
}

static void key_list(struct strbuf *sb, const struct table_ctx *t)
{
    for (int k = 0; k < t->n_pk; k++) {
        sb_adds(sb, k ? ", " : "");
        sq_ident(sb, t->col_names[t->pk[k]]);
    }
}

static int prepare_writes(struct sq_sink *sq, struct weir_error *err)
{
    const struct table_ctx *t = sq->base.table;
    struct strbuf sql = {0};
    sb_adds(&sql, "INSERT INTO ");
    sq_ident(&sql, sq->table);
    sb_adds(&sql, " (");
    for (int i = 0; i < t->n_cols; i++) {
        sb_adds(&sql, i ? ", " : "");
        sq_ident(&sql, t->col_names[i]);
    }
    sb_adds(&sql, ") VALUES (");
    for (int i = 0; i < t->n_cols; i++)
        sb_adds(&sql, i ? ", ?" : "?");
    sb_adds(&sql, ")");
    if (sq->upsert) {
        sb_adds(&sql, " ON CONFLICT (");
        key_list(&sql, t);
        sb_adds(&sql, ") DO ");
        int n_set = 0;
        for (int i = 0; i < t->n_cols; i++) {
            bool is_key = false;
            for (int k = 0; k < t->n_pk; k++)
                is_key |= t->pk[k] == i;
            if (is_key)
                continue;
            sb_adds(&sql, n_set++ ? ", " : "UPDATE SET ");
            sq_ident(&sql, t->col_names[i]);
            sb_adds(&sql, " = excluded.");
            sq_ident(&sql, t->col_names[i]);
        }
        if (n_set == 0)
            sb_adds(&sql, "NOTHING");
    }
    int rc = WEIR_OK;
    if (sqlite3_prepare_v3(sq->db, sql.buf, -1, SQLITE_PREPARE_PERSISTENT, &sq->ins, NULL) !=
        SQLITE_OK) {
        /* the usual cause: an existing table without a matching key */
        struct strbuf keys = {0};
        key_list(&keys, t);
        rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': cannot write to sqlite table '%s' in "
                     "'%s': %s%s%s%s", t->table_name, sq->table, sq->path,
                     sqlite3_errmsg(sq->db),
                     sq->upsert ? " (an upsert needs a PRIMARY KEY or UNIQUE index on (" : "",
                     sq->upsert ? keys.buf : "", sq->upsert ? ") in the existing table)" : "");
        sb_free(&keys);
    }
    if (rc == WEIR_OK && sq->upsert) {
        sb_clear(&sql);
        sb_adds(&sql, "DELETE FROM ");
        sq_ident(&sql, sq->table);
        for (int k = 0; k < t->n_pk; k++) {
            sb_adds(&sql, k ? " AND " : " WHERE ");
            sq_ident(&sql, t->col_names[t->pk[k]]);
            sb_adds(&sql, " IS ?");    /* IS: a NULL key matches too */
        }
        rc = prepare(sq, sql.buf, &sq->del, err);
    }
    if (rc == WEIR_OK)
        rc = prepare(sq, "BEGIN IMMEDIATE", &sq->begin, err);
    if (rc == WEIR_OK)
        rc = prepare(sq, "COMMIT", &sq->commit, err);
    sb_free(&sql);
    return rc;
}

static int sq_open_sink(struct sink *snk, struct weir_error *err)
{
    struct sq_sink *sq = (struct sq_sink *)snk;
    sq->db = sq_open(sq->path, true, sq->busy_ms, err);
    if (sq->db == NULL)
        return WEIR_ERR_CONNECTOR;
    /* WAL lets readers (the sqlite3 shell) query while the job writes */
    int rc = exec_retry(sq, "PRAGMA journal_mode=WAL", "switching to WAL mode", err);
    if (rc == WEIR_OK)
        rc = exec_retry(sq, "PRAGMA synchronous=NORMAL", "setting synchronous", err);
    if (rc == WEIR_OK) {
        rc = sq_check_columns(sq->db, sq->path, sq->table, snk->table, err);
        if (rc == WEIR_DONE)
            rc = create_table(sq, err);
    }
    if (rc == WEIR_OK)
        rc = prepare_writes(sq, err);
    if (rc == WEIR_OK && sq->interval_ms > 0) {
        if (pthread_create(&sq->timer, NULL, timer_main, sq) == 0)
            sq->timer_running = true;
    }
    return rc;
}

/* ---- write ------------------------------------------------------------------------- */

static int bind_value(struct sq_sink *sq, sqlite3_stmt *st, int idx, const struct vec *v,
                      int row)
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
        sb_clear(&sq->tmp);
        vfmt_cast_string(&sq->tmp, v, row);
        return sqlite3_bind_text(st, idx, sq->tmp.buf ? sq->tmp.buf : "", (int)sq->tmp.len,
                                 SQLITE_TRANSIENT);
    }
}

/* Writes one row.  @locks sq->lock held, inside a transaction */
static int write_row(struct sq_sink *sq, struct batch *b, int row, enum row_kind kind,
                     struct weir_error *err)
{
    const struct table_ctx *t = sq->base.table;
    sqlite3_stmt *st;
    if (kind == RK_DELETE) {
        st = sq->del;
        for (int k = 0; k < t->n_pk; k++)
            bind_value(sq, st, k + 1, &b->cols[t->pk[k]], row);
    } else {
        st = sq->ins;
        for (int i = 0; i < t->n_cols; i++)
            bind_value(sq, st, i + 1, &b->cols[i], row);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return WEIR_OK;
    int code = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: writing a %s row into '%s' in '%s' "
                       "failed: %s", row_kind_str(kind), sq->table, sq->path,
                       sqlite3_errmsg(sq->db));
    if (err)
        err->retriable = is_busy(rc);
    return code;
}

static int sq_write(struct sink *snk, struct batch *b, struct weir_error *err)
{
    struct sq_sink *sq = (struct sq_sink *)snk;
    int n = batch_live(b), written = 0;
    pthread_mutex_lock(&sq->lock);
    int rc = timer_failure(sq, err);
    for (int k = 0; k < n && rc == WEIR_OK; k++) {
        int row = batch_row(b, k);
        enum row_kind kind = batch_kind(b, row);
        if (kind == RK_UPDATE_BEFORE && sq->upsert)
            continue;   /* the +U that follows replaces the row */
        if (kind != RK_INSERT && !sq->upsert) {
            /* the binder refuses updating input without a key; reaching this
             * means a plan slipped through */
            rc = err_set(err, WEIR_ERR_INTERNAL, "sqlite: table '%s' has no primary key but "
                         "received a %s row", snk->table->table_name, row_kind_str(kind));
            break;
        }
        if ((rc = txn_begin(sq, err)) != WEIR_OK)
            break;
        if ((rc = write_row(sq, b, row, kind, err)) != WEIR_OK)
            break;
        written++;
        if (++sq->txn_rows >= sq->max_rows)
            rc = txn_commit(sq, err);
    }
    if (rc == WEIR_OK && sq->in_txn && sq_now_ms() - sq->txn_start_ms >= sq->interval_ms)
        rc = txn_commit(sq, err);
    pthread_mutex_unlock(&sq->lock);
    atomic_fetch_add_explicit(&snk->metrics.rows, written, memory_order_relaxed);
    return rc;
}

static int sq_flush(struct sink *snk, struct weir_error *err)
{
    struct sq_sink *sq = (struct sq_sink *)snk;
    if (sq->db == NULL)
        return WEIR_OK;
    pthread_mutex_lock(&sq->lock);
    int rc = timer_failure(sq, err);
    if (rc == WEIR_OK)
        rc = txn_commit(sq, err);
    pthread_mutex_unlock(&sq->lock);
    return rc;
}

static void sq_close(struct sink *snk)
{
    struct sq_sink *sq = (struct sq_sink *)snk;
    if (sq == NULL)
        return;
    if (sq->timer_running) {
        pthread_mutex_lock(&sq->lock);
        sq->stopping = true;
        pthread_cond_signal(&sq->wake);
        pthread_mutex_unlock(&sq->lock);
        pthread_join(sq->timer, NULL);
    }
    /* an open transaction here means the job failed before flush: it is rolled
     * back by the close, and a restart writes those rows again */
    sqlite3_finalize(sq->ins);
    sqlite3_finalize(sq->del);
    sqlite3_finalize(sq->begin);
    sqlite3_finalize(sq->commit);
    sqlite3_close_v2(sq->db);
    err_clear(&sq->timer_err);
    sb_free(&sq->tmp);
    pthread_mutex_destroy(&sq->lock);
    pthread_cond_destroy(&sq->wake);
    mem_free(sq);
}

static const struct sink_ops sq_sink_ops = {
    .open = sq_open_sink,
    .write = sq_write,
    .flush = sq_flush,
    .close = sq_close,
};

int sqlite_sink_create(const struct table_ctx *t, struct sink **out, struct weir_error *err)
{
    (void)err;
    struct sq_sink *sq = mem_calloc(1, sizeof(*sq));
    sq->base.ops = &sq_sink_ops;
    sq->base.table = t;
    sq->base.accepts_updates = t->n_pk > 0;
    sq->upsert = t->n_pk > 0;
    sq->path = opt_str(t->opts, "path", "");
    sq->table = opt_str(t->opts, "table-name", "");
    sq->max_rows = opt_int(t->opts, "sink.buffer-flush.max-rows", 1000);
    if (sq->max_rows < 1)
        sq->max_rows = 1;
    sq->interval_ms = opt_duration_ms(t->opts, "sink.buffer-flush.interval", 1000);
    sq->busy_ms = opt_duration_ms(t->opts, "busy-timeout", 5000);
    int64_t retries = opt_int(t->opts, "sink.max-retries", 3);
    sq->max_retries = retries < 0 ? 0 : retries > 100 ? 100 : (int)retries;
    pthread_mutex_init(&sq->lock, NULL);
    pthread_cond_init(&sq->wake, NULL);
    *out = &sq->base;
    return WEIR_OK;
}
