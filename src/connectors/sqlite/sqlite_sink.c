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
 * weir, not necessarily a power loss.
 *
 * Delivery.  Without checkpointing: at-least-once, the rows go straight into
 * the table in the batched transactions above (replayed upserts are
 * idempotent; an append-only table may get duplicates after a restart).
 * With checkpointing: exactly-once, by two-phase commit through a *staging
 * table* in the same database, "weir_staging_<table-name>": the table's
 * columns plus weir_sink (this sink's name: the job's state directory and the
 * table name), weir_sub (subtask), weir_after (the last checkpoint prepared
 * before the row: the row belongs to the next one), weir_seq (order) and
 * weir_op (0 insert/upsert, 1 delete).
 *   - write: rows go to the staging table, one transaction per write call
 *     (the write lock is never held between calls, so that the other
 *     subtasks' prepare and commit, on the checkpoint's path, do not wait for
 *     it; 'sink.buffer-flush.*' do not apply); with a key they are compacted
 *     there (a unique index on sink, subtask, weir_after and the key: the
 *     last change of a key within a checkpoint wins, deletes included);
 *   - prepare(N): commits the open staging transaction — N's rows are now
 *     durable and invisible; `state` is just the sink name and subtask;
 *   - commit(N): ONE transaction applies the staged rows before N (N's and
 *     any earlier uncommitted checkpoint's) to the table in order, deletes
 *     them from staging, and records N for (sink, subtask) in
 *     weir_sink_commits.  A commit whose id is already recorded there is a
 *     replay and is skipped (and finds nothing staged anyway);
 *   - recover(N, state): the same transaction for the old subtask unless N
 *     is recorded already, then it deletes whatever that subtask staged after
 *     N.  When the run starts writing it deletes the staged rows and records
 *     of every other subtask it now owns (old subtask s mod parallelism): a
 *     crash before any checkpoint leaves nothing behind.
 * Why a staging table rather than buffering a checkpoint's rows in memory and
 * putting them into `state`: memory stays bounded whatever the checkpoint
 * interval and the row rate (an append-only table cannot be compacted), the
 * checkpoint stays small, SQLite makes the staged rows durable at prepare for
 * free, and the apply is a copy inside the database, through the same upsert
 * and delete statements as a direct write.  The price is writing each row
 * twice.  Readers never see staged rows in the table itself; the staging
 * table is visible in the database but named as weir's, and it goes away
 * (with weir_sink_commits) at the end of a checkpointed job when empty — the
 * tables are created again by any transaction that needs them, so another
 * sink still running on the same database is not disturbed.  The recorded id
 * is a second guard: applied rows leave staging in the transaction that
 * records it, so a replay finds nothing anyway.  Two-phase mode starts at the
 * first recover or prepare.
 * Nothing else tells the sink that checkpointing is on, so a checkpointed run
 * that restores nothing is expected to call recover(0) with an empty state
 * before its first write; without it the rows written before the first
 * checkpoint go straight into the table (at-least-once for that stretch).  A
 * run that never prepares (restored with checkpointing off) applies what it
 * staged at flush.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connectors/sqlite/sqlite.h"
#include "core/mem.h"
#include "core/value_fmt.h"
#include "state/snapshot.h"

#define SQ_STATE_VERSION 1u

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
    /* two-phase commit (checkpointing on) */
    bool two_phase;                 /* prepare or recover was called: rows are staged */
    bool want_two_phase;            /* recover(0) came before open */
    bool prepared;                  /* prepare was called */
    bool started;                   /* leftovers of the owned subtasks removed */
    bool recovered_own;             /* recover ran for (our name, our subtask) */
    char *key;                      /* weir_sink: this sink's name */
    char *stage;                    /* the staging table */
    int64_t after;                  /* last checkpoint prepared or restored */
    int64_t seq;                    /* weir_seq of the next staged row */
    sqlite3_stmt *st_stage;         /* INSERT into the staging table */
    struct strbuf ddl;              /* creates the staging tables if missing */
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

static int stage_create(struct sq_sink *sq, struct weir_error *err);

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
    if (rc == WEIR_OK && sq->two_phase && (rc = stage_create(sq, err)) != WEIR_OK) {
        sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
        sq->in_txn = false;
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

static int enter_two_phase(struct sq_sink *sq, struct weir_error *err);

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
    if (rc == WEIR_OK && sq->want_two_phase)
        rc = enter_two_phase(sq, err);
    if (rc == WEIR_OK && sq->interval_ms > 0) {
        if (pthread_create(&sq->timer, NULL, timer_main, sq) == 0)
            sq->timer_running = true;
    }
    return rc;
}

static bool is_pk(const struct table_ctx *t, int col)
{
    for (int k = 0; k < t->n_pk; k++)
        if (t->pk[k] == col)
            return true;
    return false;
}

/* ---- two-phase commit: the staging table (@locks sq->lock held) ---------------------- */

/* Runs one statement with the given binds: text (k = 's') or int64 ('i'),
 * described by `types` ("sis" = text, int64, text).  Returns the first result
 * column of the first row in *out (if out and a row came). */
static int run(struct sq_sink *sq, const char *sql, const char *what, const char *types,
               const char *const *texts, const int64_t *ints, int64_t *out,
               struct weir_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(sq, sql, &st, err);
    for (int i = 0; rc == WEIR_OK && types[i]; i++) {
        if (types[i] == 's')
            sqlite3_bind_text(st, i + 1, texts[i], -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, i + 1, ints[i]);
    }
    if (rc == WEIR_OK) {
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW && out)
            *out = sqlite3_column_int64(st, 0);
        if (src != SQLITE_ROW && src != SQLITE_DONE)
            rc = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: %s for '%s' in '%s' failed: %s",
                         what, sq->table, sq->path, sqlite3_errmsg(sq->db));
    }
    sqlite3_finalize(st);
    return rc;
}

static void stage_columns(struct strbuf *sql, const struct table_ctx *t, const char *prefix)
{
    for (int i = 0; i < t->n_cols; i++) {
        sb_adds(sql, ", ");
        sb_adds(sql, prefix);
        sq_ident(sql, t->col_names[i]);
    }
}

/* The statements that create the staging table, its indexes and
 * weir_sink_commits if missing, into sq->ddl.  They run at the start of every
 * two-phase transaction: a job that finished drops the tables when empty
 * (stage_cleanup), and another sink of the same table may be still going. */
static void stage_ddl(struct sq_sink *sq)
{
    const struct table_ctx *t = sq->base.table;
    struct strbuf *sql = &sq->ddl, name = {0};
    sb_clear(sql);
    sb_adds(sql, "CREATE TABLE IF NOT EXISTS ");
    sq_ident(sql, sq->stage);
    sb_adds(sql, " (weir_sink TEXT NOT NULL, weir_sub INTEGER NOT NULL, weir_after "
                 "INTEGER NOT NULL, weir_seq INTEGER NOT NULL, weir_op INTEGER NOT NULL");
    for (int i = 0; i < t->n_cols; i++) {
        sb_adds(sql, ", ");
        sq_ident(sql, t->col_names[i]);
        sb_addf(sql, " %s", sq_decl_type(t->col_types[i]));
    }
    sb_adds(sql, "); CREATE INDEX IF NOT EXISTS ");
    sb_addf(&name, "%s_order", sq->stage);
    sq_ident(sql, name.buf);
    sb_adds(sql, " ON ");
    sq_ident(sql, sq->stage);
    sb_adds(sql, " (weir_sink, weir_sub, weir_after, weir_seq); ");
    if (sq->upsert) {
        sb_clear(&name);
        sb_addf(&name, "%s_key", sq->stage);
        sb_adds(sql, "CREATE UNIQUE INDEX IF NOT EXISTS ");
        sq_ident(sql, name.buf);
        sb_adds(sql, " ON ");
        sq_ident(sql, sq->stage);
        sb_adds(sql, " (weir_sink, weir_sub, weir_after, ");
        key_list(sql, t);
        sb_adds(sql, "); ");
    }
    sb_adds(sql, "CREATE TABLE IF NOT EXISTS weir_sink_commits (sink TEXT NOT NULL, "
                 "subtask INTEGER NOT NULL, target TEXT, checkpoint INTEGER NOT NULL, "
                 "committed_at TEXT, PRIMARY KEY (sink, subtask))");
    sb_free(&name);
}

/* Runs sq->ddl.  Inside a transaction, or retried like a statement outside. */
static int stage_create(struct sq_sink *sq, struct weir_error *err)
{
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt <= sq->max_retries; attempt++) {
        rc = sqlite3_exec(sq->db, sq->ddl.buf, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return WEIR_OK;
        if (!is_busy(rc) || sq->in_txn)
            break;
        usleep(10000u << (attempt < 6 ? attempt : 6));
    }
    int code = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: creating the staging table '%s' "
                       "in '%s' failed: %s", sq->stage, sq->path, sqlite3_errmsg(sq->db));
    if (err)
        err->retriable = is_busy(rc);
    return code;
}

/* Creates the staging table (again, if an empty one has other columns), its
 * indexes and weir_sink_commits, and prepares the staging insert. */
static int stage_setup(struct sq_sink *sq, struct weir_error *err)
{
    const struct table_ctx *t = sq->base.table;
    struct strbuf sql = {0};
    struct weir_error cerr = {0};
    stage_ddl(sq);
    int rc = sq_check_columns(sq->db, sq->path, sq->stage, t, &cerr);
    if (rc == WEIR_ERR_CONFIG) {
        int64_t n = 0;
        sb_adds(&sql, "SELECT count(*) FROM ");
        sq_ident(&sql, sq->stage);
        rc = run(sq, sql.buf, "counting staged rows", "", NULL, NULL, &n, err);
        if (rc == WEIR_OK && n > 0)
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': the staging table '%s' in '%s' "
                         "holds rows of another schema (%s); finish or drop it",
                         t->table_name, sq->stage, sq->path, cerr.message);
        sb_clear(&sql);
        sb_adds(&sql, "DROP TABLE ");
        sq_ident(&sql, sq->stage);
        if (rc == WEIR_OK)
            rc = exec_retry(sq, sql.buf, "dropping an empty staging table", err);
    } else if (rc < 0) {
        err_set(err, rc, "%s", cerr.message);
    }
    err_clear(&cerr);
    if (rc == WEIR_OK || rc == WEIR_DONE)
        rc = stage_create(sq, err);
    if (rc == WEIR_OK) {
        sb_clear(&sql);
        sb_adds(&sql, "INSERT INTO ");
        sq_ident(&sql, sq->stage);
        sb_adds(&sql, " (weir_sink, weir_sub, weir_after, weir_seq, weir_op");
        stage_columns(&sql, t, "");
        sb_adds(&sql, ") VALUES (?, ?, ?, ?, ?");
        for (int i = 0; i < t->n_cols; i++)
            sb_adds(&sql, ", ?");
        sb_adds(&sql, ")");
        if (sq->upsert) {
            sb_adds(&sql, " ON CONFLICT (weir_sink, weir_sub, weir_after, ");
            key_list(&sql, t);
            sb_adds(&sql, ") DO UPDATE SET weir_seq = excluded.weir_seq, "
                          "weir_op = excluded.weir_op");
            for (int i = 0; i < t->n_cols; i++) {
                if (is_pk(t, i))
                    continue;
                sb_adds(&sql, ", ");
                sq_ident(&sql, t->col_names[i]);
                sb_adds(&sql, " = excluded.");
                sq_ident(&sql, t->col_names[i]);
            }
        }
        rc = prepare(sq, sql.buf, &sq->st_stage, err);
    }
    sb_free(&sql);
    return rc;
}

/* The end of a checkpointed run (after the final commit): this subtask's
 * record goes, and the staging table and weir_sink_commits go once nothing
 * is left in them, so a finished job leaves only its results behind. */
static int stage_cleanup(struct sq_sink *sq, struct weir_error *err)
{
    struct strbuf sql = {0};
    const char *texts[] = {sq->key, NULL};
    int64_t ints[] = {0, sq->base.table->subtask};
    int64_t staged = 1, records = 1;
    int rc = txn_begin(sq, err);
    if (rc == WEIR_OK)
        rc = run(sq, "DELETE FROM weir_sink_commits WHERE sink = ? AND subtask = ?",
                 "removing the commit record", "si", texts, ints, NULL, err);
    sb_adds(&sql, "SELECT count(*) FROM ");
    sq_ident(&sql, sq->stage);
    if (rc == WEIR_OK)
        rc = run(sq, sql.buf, "counting staged rows", "", NULL, NULL, &staged, err);
    if (rc == WEIR_OK)
        rc = run(sq, "SELECT count(*) FROM weir_sink_commits", "counting commit records",
                 "", NULL, NULL, &records, err);
    sb_clear(&sql);
    sb_adds(&sql, "DROP TABLE ");
    sq_ident(&sql, sq->stage);
    if (rc == WEIR_OK && staged == 0)
        rc = run(sq, sql.buf, "dropping the staging table", "", NULL, NULL, NULL, err);
    if (rc == WEIR_OK && records == 0)
        rc = run(sq, "DROP TABLE weir_sink_commits", "dropping weir_sink_commits", "",
                 NULL, NULL, NULL, err);
    sb_free(&sql);
    if (rc == WEIR_OK)
        return txn_commit(sq, err);
    sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
    sq->in_txn = false;
    return rc;
}

/* From now on rows are staged: the rows written so far (before the first
 * checkpoint) are committed as they are. */
static int enter_two_phase(struct sq_sink *sq, struct weir_error *err)
{
    if (sq->two_phase)
        return WEIR_OK;
    int rc = txn_commit(sq, err);
    if (rc == WEIR_OK)
        rc = stage_setup(sq, err);
    if (rc == WEIR_OK)
        sq->two_phase = true;
    return rc;
}

/* Before the first staged row: what this instance's subtasks (old subtask s
 * mod parallelism) left staged is not covered by a checkpoint (recover has
 * applied what was), and their records are stale: a fresh run numbers its
 * checkpoints from 1 again. */
static int stage_start(struct sq_sink *sq, struct weir_error *err)
{
    if (!sq->two_phase || sq->started)
        return WEIR_OK;
    const struct table_ctx *t = sq->base.table;
    int rc = txn_begin(sq, err);
    struct strbuf sql = {0};
    sb_adds(&sql, "DELETE FROM ");
    sq_ident(&sql, sq->stage);
    sb_adds(&sql, " WHERE weir_sink = ? AND weir_sub % ? = ?");
    const char *texts[] = {sq->key, NULL, NULL, NULL};
    int64_t ints[] = {0, t->parallelism > 0 ? t->parallelism : 1, t->subtask,
                      sq->recovered_own ? t->subtask : -1};
    if (rc == WEIR_OK)
        rc = run(sq, sql.buf, "removing uncommitted staged rows", "sii", texts, ints, NULL,
                 err);
    if (rc == WEIR_OK)
        rc = run(sq, "DELETE FROM weir_sink_commits WHERE sink = ? AND subtask % ? = ? AND "
                 "subtask <> ?", "removing stale commit records", "siii", texts, ints, NULL,
                 err);
    if (rc == WEIR_OK)
        rc = txn_commit(sq, err);
    sb_free(&sql);
    if (rc == WEIR_OK)
        sq->started = true;
    return rc;
}

/* Applies what (key, sub) staged before checkpoint `upto` to the table, in
 * order, and removes it from staging.  Inside a transaction. */
static int apply_staged(struct sq_sink *sq, const char *key, int64_t sub, int64_t upto,
                        struct weir_error *err)
{
    const struct table_ctx *t = sq->base.table;
    struct strbuf sql = {0};
    sb_adds(&sql, "SELECT weir_op");
    stage_columns(&sql, t, "");
    sb_adds(&sql, " FROM ");
    sq_ident(&sql, sq->stage);
    sb_adds(&sql, " WHERE weir_sink = ? AND weir_sub = ? AND weir_after < ? "
                  "ORDER BY weir_after, weir_seq");
    sqlite3_stmt *sel = NULL;
    int rc = prepare(sq, sql.buf, &sel, err), src = SQLITE_DONE;
    if (rc == WEIR_OK) {
        sqlite3_bind_text(sel, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(sel, 2, sub);
        sqlite3_bind_int64(sel, 3, upto);
    }
    while (rc == WEIR_OK && (src = sqlite3_step(sel)) == SQLITE_ROW) {
        bool del = sqlite3_column_int(sel, 0) == 1;
        sqlite3_stmt *st = del ? sq->del : sq->ins;
        if (del)
            for (int k = 0; k < t->n_pk; k++)
                sqlite3_bind_value(st, k + 1, sqlite3_column_value(sel, 1 + t->pk[k]));
        else
            for (int i = 0; i < t->n_cols; i++)
                sqlite3_bind_value(st, i + 1, sqlite3_column_value(sel, 1 + i));
        int wrc = sqlite3_step(st);
        sqlite3_reset(st);
        if (wrc != SQLITE_DONE)
            rc = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: applying a staged row to '%s' "
                         "in '%s' failed: %s", sq->table, sq->path, sqlite3_errmsg(sq->db));
    }
    if (rc == WEIR_OK && src != SQLITE_DONE)
        rc = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: reading the staging table '%s' in "
                     "'%s' failed: %s", sq->stage, sq->path, sqlite3_errmsg(sq->db));
    sqlite3_finalize(sel);
    sb_clear(&sql);
    sb_adds(&sql, "DELETE FROM ");
    sq_ident(&sql, sq->stage);
    sb_adds(&sql, " WHERE weir_sink = ? AND weir_sub = ? AND weir_after < ?");
    const char *texts[] = {key, NULL, NULL};
    int64_t ints[] = {0, sub, upto};
    if (rc == WEIR_OK)
        rc = run(sq, sql.buf, "removing applied staged rows", "sii", texts, ints, NULL,
                 err);
    sb_free(&sql);
    return rc;
}

/* Commits checkpoint `id` of (key, sub): one transaction applies its staged
 * rows and records the id — unless the id is recorded already (a replay). */
static int commit_staged(struct sq_sink *sq, const char *key, int64_t sub, int64_t id,
                         struct weir_error *err)
{
    const char *texts[] = {key, NULL, sq->table, NULL};
    int64_t ints[] = {0, sub, 0, id};
    int64_t done = -1;
    /* the open transaction holds the next checkpoint's rows: keep them apart */
    int rc = txn_commit(sq, err);
    if (rc == WEIR_OK)
        rc = txn_begin(sq, err);
    if (rc == WEIR_OK)
        rc = run(sq, "SELECT checkpoint FROM weir_sink_commits WHERE sink = ? AND "
                 "subtask = ?", "reading weir_sink_commits", "si", texts, ints, &done, err);
    if (rc == WEIR_OK && done < id)
        rc = apply_staged(sq, key, sub, id, err);
    if (rc == WEIR_OK && done < id)
        rc = run(sq, "INSERT INTO weir_sink_commits (sink, subtask, target, checkpoint, "
                 "committed_at) VALUES (?, ?, ?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now')) "
                 "ON CONFLICT (sink, subtask) DO UPDATE SET target = excluded.target, "
                 "checkpoint = excluded.checkpoint, committed_at = excluded.committed_at",
                 "recording the commit", "sisi", texts, ints, NULL, err);
    if (rc == WEIR_OK)
        return txn_commit(sq, err);
    if (sq->in_txn) {
        sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
        sq->in_txn = false;
    }
    return rc;
}

/* State (snapshot.h codec): u32 version, str sink name, u32 subtask.  The
 * rows themselves are in the staging table. */
static int sq_prepare(struct sink *snk, int64_t id, struct strbuf *state,
                      struct weir_error *err)
{
    struct sq_sink *sq = (struct sq_sink *)snk;
    pthread_mutex_lock(&sq->lock);
    int rc = timer_failure(sq, err);
    if (rc == WEIR_OK)
        rc = enter_two_phase(sq, err);
    if (rc == WEIR_OK)
        rc = stage_start(sq, err);
    if (rc == WEIR_OK)
        rc = txn_commit(sq, err);     /* checkpoint id's rows are durable now */
    if (rc == WEIR_OK) {
        sq->prepared = true;
        sq->after = id;
        snap_put_u32(state, SQ_STATE_VERSION);
        snap_put_str(state, sq->key);
        snap_put_u32(state, (uint32_t)snk->table->subtask);
    }
    pthread_mutex_unlock(&sq->lock);
    return rc;
}

static int sq_commit(struct sink *snk, int64_t id, struct weir_error *err)
{
    struct sq_sink *sq = (struct sq_sink *)snk;
    pthread_mutex_lock(&sq->lock);
    int rc = timer_failure(sq, err);
    if (rc == WEIR_OK && sq->two_phase)
        rc = commit_staged(sq, sq->key, snk->table->subtask, id, err);
    pthread_mutex_unlock(&sq->lock);
    return rc;
}

static int sq_recover(struct sink *snk, int64_t id, const char *state, size_t len,
                      struct weir_error *err)
{
    struct sq_sink *sq = (struct sq_sink *)snk;
    const struct table_ctx *t = snk->table;
    if (len == 0) {
        /* checkpointing is on; nothing to restore (before open: open enters) */
        pthread_mutex_lock(&sq->lock);
        sq->want_two_phase = true;
        int rc = sq->db ? enter_two_phase(sq, err) : WEIR_OK;
        pthread_mutex_unlock(&sq->lock);
        return rc;
    }
    struct snap_rd rd = {state, len, 0, false};
    uint32_t version = snap_get_u32(&rd);
    size_t key_len;
    const char *kp = snap_get_bytes(&rd, &key_len);
    int64_t sub = snap_get_u32(&rd);
    if (rd.bad || version != SQ_STATE_VERSION || memchr(kp, '\0', key_len) != NULL)
        return err_set(err, WEIR_ERR_CORRUPT, "table '%s': unreadable sqlite sink state in "
                       "checkpoint %lld", t->table_name, (long long)id);
    char *key = mem_strndup(kp, key_len);
    pthread_mutex_lock(&sq->lock);
    int rc = WEIR_OK;
    if (sq->started || sq->in_txn)
        rc = err_set(err, WEIR_ERR_INTERNAL, "table '%s': recover after the sink started "
                     "writing", t->table_name);
    if (rc == WEIR_OK)
        rc = enter_two_phase(sq, err);
    if (rc == WEIR_OK)
        rc = commit_staged(sq, key, sub, id, err);
    /* what the old subtask staged after checkpoint id: not covered by it */
    struct strbuf sql = {0};
    sb_adds(&sql, "DELETE FROM ");
    sq_ident(&sql, sq->stage);
    sb_adds(&sql, " WHERE weir_sink = ? AND weir_sub = ?");
    const char *texts[] = {key, NULL};
    int64_t ints[] = {0, sub};
    if (rc == WEIR_OK)
        rc = run(sq, sql.buf, "removing uncommitted staged rows", "si", texts, ints, NULL,
                 err);
    sb_free(&sql);
    if (rc == WEIR_OK) {
        if (sub == t->subtask && strcmp(key, sq->key) == 0)
            sq->recovered_own = true;
        if (id > sq->after)
            sq->after = id;
    }
    pthread_mutex_unlock(&sq->lock);
    mem_free(key);
    return rc;
}

/* weir_sink: the job's state directory (its real path, so that the same job
 * finds itself under another spelling) and the table's name.  Restores use the
 * name in the checkpoint's state, so only leftovers of a directory that moved
 * are missed (they are never applied, only left in the staging table). */
static char *sink_key(const struct table_ctx *t)
{
    char *real = t->job_dir ? realpath(t->job_dir, NULL) : NULL;
    char *key = mem_sprintf("%s#%s", real ? real : t->job_dir ? t->job_dir : "",
                            t->table_name ? t->table_name : "");
    free(real);
    return key;
}

/* ---- write ------------------------------------------------------------------------- */

static int bind_value(struct sq_sink *sq, sqlite3_stmt *st, int idx, const struct vec *v,
                      int row)
{
    return sq_bind(st, idx, v, row, &sq->tmp);
}

/* Writes one row (into the staging table in two-phase mode).  @locks
 * sq->lock held, inside a transaction */
static int write_row(struct sq_sink *sq, struct batch *b, int row, enum row_kind kind,
                     struct weir_error *err)
{
    const struct table_ctx *t = sq->base.table;
    sqlite3_stmt *st;
    if (sq->two_phase) {
        st = sq->st_stage;
        sqlite3_bind_text(st, 1, sq->key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, t->subtask);
        sqlite3_bind_int64(st, 3, sq->after);
        sqlite3_bind_int64(st, 4, sq->seq++);
        sqlite3_bind_int(st, 5, kind == RK_DELETE);
        for (int i = 0; i < t->n_cols; i++) {
            if (kind == RK_DELETE && !is_pk(t, i))
                sqlite3_bind_null(st, 6 + i);
            else
                bind_value(sq, st, 6 + i, &b->cols[i], row);
        }
    } else if (kind == RK_DELETE) {
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
        if ((rc = stage_start(sq, err)) != WEIR_OK || (rc = txn_begin(sq, err)) != WEIR_OK)
            break;
        if ((rc = write_row(sq, b, row, kind, err)) != WEIR_OK)
            break;
        written++;
        if (++sq->txn_rows >= sq->max_rows)
            rc = txn_commit(sq, err);
    }
    /* staged rows are invisible anyway: holding the write lock until the next
     * call would only make the other subtasks' prepare and commit wait */
    if (rc == WEIR_OK && sq->in_txn &&
        (sq->two_phase || sq_now_ms() - sq->txn_start_ms >= sq->interval_ms))
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
        rc = stage_start(sq, err);
    if (rc == WEIR_OK)
        rc = txn_commit(sq, err);
    /* restored, but no checkpoint in this run will commit what it staged:
     * flush does, without recording an id (there is none) */
    if (rc == WEIR_OK && sq->two_phase && !sq->prepared) {
        rc = txn_begin(sq, err);
        if (rc == WEIR_OK)
            rc = apply_staged(sq, sq->key, snk->table->subtask, INT64_MAX, err);
        if (rc == WEIR_OK)
            rc = txn_commit(sq, err);
    } else if (rc == WEIR_OK && sq->prepared) {
        rc = stage_cleanup(sq, err);
    }
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
    sqlite3_finalize(sq->st_stage);
    sqlite3_close_v2(sq->db);
    mem_free(sq->key);
    mem_free(sq->stage);
    sb_free(&sq->ddl);
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
    .prepare = sq_prepare,
    .commit = sq_commit,
    .recover = sq_recover,
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
    sq->key = sink_key(t);
    sq->stage = mem_sprintf("weir_staging_%s", sq->table);
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
