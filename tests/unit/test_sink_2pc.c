/*
 * test_sink_2pc.c — exactly-once sinks by two-phase commit, driven through
 * the sink ops the way the checkpoint runtime drives them, on real part
 * files, a real SQLite database and a real log in a temp directory.  For the
 * filesystem, sqlite and log sinks: rows of a prepared checkpoint stay
 * invisible until its commit; a crash (the sink closed without commit) and a
 * new instance recovering the last checkpoint's state leave exactly the rows
 * of the checkpoints up to it, once; recovering twice, or recovering a
 * checkpoint that was already committed, doubles nothing; one new instance
 * takes over two old subtasks (rescaling); a fresh run after a crash before
 * any checkpoint leaves nothing of it behind.  Log specifics: subtasks sharing
 * a partition keep the rows they write after a barrier out of the log until
 * every holder passed it.  Every wait is bounded (no waits: all calls are
 * synchronous).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "formats/format.h"
#include "log/log.h"
#include "scratch.h"

static char job_dir[200];
static char out_dir[200];
static char db_path[200];
static char log_dir[200];

static int setup(void **state)
{
    (void)state;
    int rc = scratch_make("2pc");
    snprintf(job_dir, sizeof(job_dir), "%s/job", root);
    snprintf(out_dir, sizeof(out_dir), "%s/out", root);
    snprintf(db_path, sizeof(db_path), "%s/r.db", root);
    snprintf(log_dir, sizeof(log_dir), "%s/data", root);
    return rc ? rc : mkdir(job_dir, 0755);
}

static int teardown(void **state)
{
    (void)state;
    return scratch_remove();
}

/* ---- harness: a sink of (id BIGINT, v STRING[, dt STRING]) ------------------------- */

static const char *col_names[] = {"id", "v", "dt"};
static const struct sql_type *col_types[3];
static const int pk0[] = {0};
static const int part2[] = {2};

struct hsink {
    struct opt_set *o;
    struct table_ctx t;
    struct sink *snk;
    struct batch *b;
    struct strbuf state[8];     /* prepare's state per checkpoint id */
};

/* kv: NULL-terminated pairs after 'connector'. */
static void h_open(struct hsink *h, const char *conn, const char *fmt,
                   const char *const *kv, int n_cols, int n_pk, bool partitioned,
                   int subtask, int parallelism)
{
    memset(h, 0, sizeof(*h));
    col_types[0] = &type_bigint;
    col_types[1] = &type_string;
    col_types[2] = &type_string;
    const char *keys[24], *vals[24];
    int n = 0;
    keys[n] = "connector", vals[n++] = conn;
    for (int i = 0; kv[i]; i += 2)
        keys[n] = kv[i], vals[n++] = kv[i + 1];
    struct weir_error err = {0};
    const struct format_def *f = fmt ? format_lookup(fmt) : NULL;
    if (conn_validate(conn_lookup(conn), f, "results", n, keys, vals, false, &h->o, &err) !=
        WEIR_OK)
        fail_msg("%s", err.message);
    h->t = (struct table_ctx){.table_name = "results", .n_cols = n_cols,
                              .col_names = col_names, .col_types = col_types,
                              .n_pk = n_pk, .pk = pk0,
                              .n_partition_keys = partitioned ? 1 : 0,
                              .partition_keys = part2, .opts = h->o, .format = f,
                              .subtask = subtask, .parallelism = parallelism,
                              .job_dir = job_dir};
    if (conn_lookup(conn)->sink_create(&h->t, &h->snk, &err) != WEIR_OK ||
        h->snk->ops->open(h->snk, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    assert_non_null(h->snk->ops->prepare);
    assert_non_null(h->snk->ops->commit);
    assert_non_null(h->snk->ops->recover);
    h->b = batch_new(n_cols, col_types);
}

/* A crash: the sink goes away without commit or flush. */
static void h_close(struct hsink *h)
{
    h->snk->ops->close(h->snk);
    batch_free(h->b);
    opt_set_free(h->o);
    for (int i = 0; i < 8; i++)
        sb_free(&h->state[i]);
}

/* Writes ids first .. first+n-1 with kind k; v = "v<id>", dt = "d<id mod 3>". */
static void h_write_kind(struct hsink *h, int64_t first, int n, enum row_kind k)
{
    batch_reset(h->b);
    batch_ensure_kinds(h->b);
    for (int i = 0; i < n; i++) {
        int r = h->b->n++;
        char v[32];
        h->b->kinds[r] = (uint8_t)k;
        h->b->cols[0].i64[r] = first + i;
        snprintf(v, sizeof(v), "v%lld", (long long)(first + i));
        vec_set_str(&h->b->cols[1], r, v, strlen(v));
        if (h->t.n_cols > 2) {
            snprintf(v, sizeof(v), "d%lld", (long long)((first + i) % 3));
            vec_set_str(&h->b->cols[2], r, v, strlen(v));
        }
    }
    struct weir_error err = {0};
    if (h->snk->ops->write(h->snk, h->b, &err) != WEIR_OK)
        fail_msg("write: %s", err.message);
}

static void h_write(struct hsink *h, int64_t first, int n)
{
    h_write_kind(h, first, n, RK_INSERT);
}

static void h_prepare(struct hsink *h, int64_t id)
{
    struct weir_error err = {0};
    sb_clear(&h->state[id]);
    if (h->snk->ops->prepare(h->snk, id, &h->state[id], &err) != WEIR_OK)
        fail_msg("prepare %lld: %s", (long long)id, err.message);
}

static void h_commit(struct hsink *h, int64_t id)
{
    struct weir_error err = {0};
    if (h->snk->ops->commit(h->snk, id, &err) != WEIR_OK)
        fail_msg("commit %lld: %s", (long long)id, err.message);
}

static void h_recover(struct hsink *h, int64_t id, const struct strbuf *st)
{
    struct weir_error err = {0};
    if (h->snk->ops->recover(h->snk, id, st->buf ? st->buf : "", st->len, &err) != WEIR_OK)
        fail_msg("recover %lld: %s", (long long)id, err.message);
}

/* What the runtime does first in a checkpointed run: "checkpointing is on,
 * nothing to restore" (recover of checkpoint 0 with an empty state). */
static void h_checkpointed(struct hsink *h)
{
    struct weir_error err = {0};
    if (h->snk->ops->recover(h->snk, 0, NULL, 0, &err) != WEIR_OK)
        fail_msg("recover 0: %s", err.message);
}

static void h_flush(struct hsink *h)
{
    struct weir_error err = {0};
    if (h->snk->ops->flush(h->snk, &err) != WEIR_OK)
        fail_msg("flush: %s", err.message);
}

static void copy_state(struct strbuf *dst, const struct strbuf *src)
{
    sb_clear(dst);
    sb_add(dst, src->buf ? src->buf : "", src->len);
}

/* ---- what readers see -------------------------------------------------------------- */

#define MAX_IDS 4096

struct seen {
    int count[MAX_IDS];     /* how often each id is visible */
    int rows;
    int hidden;             /* files with a hidden (in-progress) name */
    int visible_files;
};

/* Every visible part file under dir (recursively): ids by the first csv field. */
static void scan_fs(const char *dir, struct seen *s)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            scan_fs(p, s);
            continue;
        }
        if (strncmp(e->d_name, ".part-", 6) == 0) {
            s->hidden++;
            continue;
        }
        if (strncmp(e->d_name, "part-", 5) != 0)
            continue;
        s->visible_files++;
        FILE *f = fopen(p, "r");
        assert_non_null(f);
        char line[256];
        while (fgets(line, sizeof(line), f)) {
            long long id = atoll(line);
            assert_true(id >= 0 && id < MAX_IDS);
            s->count[id]++;
            s->rows++;
        }
        fclose(f);
    }
    closedir(d);
}

static struct seen fs_seen(void)
{
    struct seen s;
    memset(&s, 0, sizeof(s));
    scan_fs(out_dir, &s);
    return s;
}

/* Asserts that exactly the ids in [lo, hi) are visible, each once. */
static void assert_exactly(const struct seen *s, int lo, int hi)
{
    for (int i = 0; i < MAX_IDS; i++) {
        int want = i >= lo && i < hi;
        if (s->count[i] != want)
            fail_msg("id %d visible %d times, want %d (range [%d, %d))", i, s->count[i],
                     want, lo, hi);
    }
}

/* ---- filesystem -------------------------------------------------------------------- */

static const char *const FS_KV[] = {"path", out_dir, "format", "csv", NULL};

static void test_fs_commit_crash_recover(void **state)
{
    (void)state;
    const char *kv[] = {"path", out_dir, "format", "csv",
                        "sink.rolling-policy.file-size", "40b", NULL};
    struct hsink a;
    h_open(&a, "filesystem", "csv", kv, 2, 0, false, 0, 1);
    h_checkpointed(&a);
    h_write(&a, 0, 10);             /* rolls every few rows: pending, hidden */
    h_prepare(&a, 1);
    h_write(&a, 10, 10);
    h_prepare(&a, 2);
    h_write(&a, 20, 10);
    struct seen s = fs_seen();
    assert_int_equal(s.rows, 0);    /* nothing visible before a commit */
    h_commit(&a, 1);
    s = fs_seen();
    assert_exactly(&s, 0, 10);
    assert_true(s.hidden > 0);

    struct strbuf st1 = {0}, st2 = {0};
    copy_state(&st1, &a.state[1]);
    copy_state(&st2, &a.state[2]);
    h_close(&a);                    /* crash after checkpoint 2's manifest */

    struct hsink b;
    h_open(&b, "filesystem", "csv", kv, 2, 0, false, 0, 1);
    h_recover(&b, 2, &st2);
    s = fs_seen();
    assert_exactly(&s, 0, 20);
    assert_int_equal(s.hidden, 0);  /* rows after checkpoint 2 are gone */
    h_recover(&b, 2, &st2);         /* again: nothing changes */
    h_recover(&b, 1, &st1);         /* an already committed checkpoint */
    s = fs_seen();
    assert_exactly(&s, 0, 20);
    int files = s.visible_files;

    /* the restored run goes on, replaying from checkpoint 2 */
    h_write(&b, 20, 10);
    h_prepare(&b, 3);
    h_commit(&b, 3);
    h_commit(&b, 3);                /* a repeated commit is harmless */
    h_flush(&b);
    s = fs_seen();
    assert_exactly(&s, 0, 30);
    assert_true(s.visible_files > files);   /* new names, nothing overwritten */
    assert_int_equal(s.hidden, 0);
    h_close(&b);
    sb_free(&st1);
    sb_free(&st2);
}

static void test_fs_rescale_partitioned(void **state)
{
    (void)state;
    const char *kv[] = {"path", out_dir, "format", "csv",
                        "sink.rolling-policy.file-size", "30b",
                        "sink.partition-commit.policy.kind", "success-file", NULL};
    struct hsink a, b;
    h_open(&a, "filesystem", "csv", kv, 3, 0, true, 0, 2);
    h_open(&b, "filesystem", "csv", kv, 3, 0, true, 1, 2);
    h_checkpointed(&a);
    h_checkpointed(&b);
    h_write(&a, 0, 12);
    h_write(&b, 100, 12);
    h_prepare(&a, 5);
    h_prepare(&b, 5);
    h_write(&a, 12, 6);
    h_write(&b, 112, 6);
    struct strbuf sa = {0}, sb = {0};
    copy_state(&sa, &a.state[5]);
    copy_state(&sb, &b.state[5]);
    h_close(&a);                    /* crash between manifest and commit */
    h_close(&b);
    struct seen s = fs_seen();
    assert_int_equal(s.rows, 0);

    /* parallelism 1: subtask 0 takes over old subtasks 0 and 1 */
    struct hsink c;
    h_open(&c, "filesystem", "csv", kv, 3, 0, true, 0, 1);
    h_recover(&c, 5, &sa);
    h_recover(&c, 5, &sb);
    h_flush(&c);                    /* a bounded run with no rows left (no checkpoint) */
    s = fs_seen();
    for (int i = 0; i < MAX_IDS; i++)
        assert_int_equal(s.count[i], (i < 12 || (i >= 100 && i < 112)) ? 1 : 0);
    assert_int_equal(s.hidden, 0);
    for (int d = 0; d < 3; d++) {   /* partitions written before the crash: committed */
        char p[400];
        snprintf(p, sizeof(p), "%s/dt=d%d/_SUCCESS", out_dir, d);
        assert_int_equal(access(p, F_OK), 0);
    }
    h_close(&c);
    sb_free(&sa);
    sb_free(&sb);
}

static void test_fs_fresh_run_after_crash(void **state)
{
    (void)state;
    struct hsink a;
    h_open(&a, "filesystem", "csv", FS_KV, 2, 0, false, 0, 1);
    h_checkpointed(&a);
    h_write(&a, 0, 5);
    h_prepare(&a, 1);
    h_write(&a, 5, 5);
    h_close(&a);                    /* crash before checkpoint 1 completed */
    struct seen s = fs_seen();
    assert_int_equal(s.rows, 0);
    assert_int_equal(s.hidden, 2);

    /* no checkpoint to restore: the new run starts over and cleans up */
    struct hsink b;
    h_open(&b, "filesystem", "csv", FS_KV, 2, 0, false, 0, 1);
    h_checkpointed(&b);
    h_write(&b, 0, 10);
    h_prepare(&b, 1);
    h_commit(&b, 1);
    h_flush(&b);
    s = fs_seen();
    assert_exactly(&s, 0, 10);
    assert_int_equal(s.hidden, 0);
    h_close(&b);

    /* without checkpointing the sink is as before: flush publishes */
    struct hsink c;
    h_open(&c, "filesystem", "csv", FS_KV, 2, 0, false, 0, 1);
    h_write(&c, 10, 5);
    h_flush(&c);
    s = fs_seen();
    assert_exactly(&s, 0, 15);
    h_close(&c);
}

static void test_fs_output_removed_or_moved(void **state)
{
    (void)state;
    struct hsink a;
    h_open(&a, "filesystem", "csv", FS_KV, 2, 0, false, 0, 1);
    h_checkpointed(&a);
    h_write(&a, 0, 5);
    h_prepare(&a, 1);
    h_commit(&a, 1);
    struct strbuf st1 = {0};
    copy_state(&st1, &a.state[1]);
    h_flush(&a);
    h_close(&a);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out_dir);     /* consumed downstream */
    assert_int_equal(system(cmd), 0);

    /* restored into a job that now writes elsewhere: nothing left to finish */
    char other[300];
    snprintf(other, sizeof(other), "%s/elsewhere", root);
    const char *kv[] = {"path", other, "format", "csv", NULL};
    struct hsink b;
    h_open(&b, "filesystem", "csv", kv, 2, 0, false, 0, 1);
    h_recover(&b, 1, &st1);
    h_write(&b, 5, 5);
    h_prepare(&b, 2);
    h_commit(&b, 2);
    h_flush(&b);
    struct seen s = fs_seen();
    assert_int_equal(s.rows, 0);
    memset(&s, 0, sizeof(s));
    scan_fs(other, &s);
    assert_exactly(&s, 5, 10);
    h_close(&b);
    sb_free(&st1);
}

/* ---- sqlite ---------------------------------------------------------------------- */

static const char *const SQ_KV[] = {"path", db_path, "table-name", "results",
                                    "sink.buffer-flush.interval", "0 s", NULL};

/* The rows as "id|v\n" text, read with a fresh connection (as a reader would). */
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

static void test_sqlite_upsert(void **state)
{
    (void)state;
    const char *rows = "SELECT id, v FROM results ORDER BY id";
    struct hsink a;
    h_open(&a, "sqlite", NULL, SQ_KV, 2, 1, false, 0, 1);
    h_checkpointed(&a);
    h_write(&a, 1, 2);                          /* 1, 2 */
    h_prepare(&a, 1);
    h_write_kind(&a, 1, 1, RK_UPDATE_BEFORE);
    h_write_kind(&a, 1, 1, RK_UPDATE_AFTER);    /* v1 again: upsert */
    h_write_kind(&a, 2, 1, RK_DELETE);
    h_write(&a, 3, 1);
    h_write_kind(&a, 3, 1, RK_DELETE);          /* compacted: 3 never appears */
    h_write(&a, 3, 1);                          /* ... and back */
    h_prepare(&a, 2);
    h_write(&a, 4, 1);                          /* after checkpoint 2 */
    assert_query(rows, "");                     /* nothing committed yet */
    h_commit(&a, 1);
    assert_query(rows, "1|v1\n2|v2\n");
    assert_query("SELECT checkpoint FROM weir_sink_commits", "1\n");

    struct strbuf st1 = {0}, st2 = {0};
    copy_state(&st1, &a.state[1]);
    copy_state(&st2, &a.state[2]);
    h_close(&a);                                /* crash before commit(2) */

    struct hsink b;
    h_open(&b, "sqlite", NULL, SQ_KV, 2, 1, false, 0, 1);
    h_recover(&b, 2, &st2);
    assert_query(rows, "1|v1\n3|v3\n");
    assert_query("SELECT count(*) FROM weir_staging_results", "0\n");
    assert_query("SELECT checkpoint FROM weir_sink_commits", "2\n");
    h_recover(&b, 2, &st2);                     /* again */
    h_recover(&b, 1, &st1);                     /* committed long ago */
    assert_query(rows, "1|v1\n3|v3\n");
    h_write(&b, 4, 1);
    h_prepare(&b, 3);
    h_commit(&b, 2);                            /* a late replay of an old id */
    assert_query(rows, "1|v1\n3|v3\n");
    h_commit(&b, 3);
    assert_query(rows, "1|v1\n3|v3\n4|v4\n");
    /* the end of the job: weir's tables go once nothing is left in them */
    assert_query("SELECT count(*) FROM sqlite_master WHERE name LIKE 'weir%'", "4\n");
    h_flush(&b);
    assert_query("SELECT count(*) FROM sqlite_master WHERE name LIKE 'weir%'", "0\n");
    assert_query(rows, "1|v1\n3|v3\n4|v4\n");
    h_close(&b);
    sb_free(&st1);
    sb_free(&st2);
}

static void test_sqlite_append_rescale(void **state)
{
    (void)state;
    const char *count = "SELECT count(*), count(DISTINCT id) FROM results";
    struct hsink a, b;
    h_open(&a, "sqlite", NULL, SQ_KV, 2, 0, false, 0, 2);
    h_open(&b, "sqlite", NULL, SQ_KV, 2, 0, false, 1, 2);
    h_checkpointed(&a);
    h_checkpointed(&b);
    h_write(&a, 0, 50);
    h_write(&b, 100, 50);
    h_prepare(&a, 7);
    h_prepare(&b, 7);
    h_write(&a, 50, 5);
    h_write(&b, 150, 5);
    struct strbuf sa = {0}, sb = {0};
    copy_state(&sa, &a.state[7]);
    copy_state(&sb, &b.state[7]);
    h_commit(&a, 7);                    /* a committed, b crashed before it could */
    assert_query(count, "50|50\n");
    h_close(&a);
    h_close(&b);

    struct hsink c;
    h_open(&c, "sqlite", NULL, SQ_KV, 2, 0, false, 0, 1);
    h_recover(&c, 7, &sa);
    h_recover(&c, 7, &sb);
    assert_query(count, "100|100\n");
    assert_query("SELECT min(id), max(id) FROM results WHERE id >= 100", "100|149\n");
    h_write(&c, 200, 3);
    h_close(&c);                        /* crashed again, before a checkpoint */

    struct hsink d;                     /* restored from checkpoint 7 once more */
    h_open(&d, "sqlite", NULL, SQ_KV, 2, 0, false, 0, 1);
    h_recover(&d, 7, &sa);
    h_recover(&d, 7, &sb);
    h_flush(&d);                        /* restored with checkpointing off */
    assert_query(count, "100|100\n");
    assert_query("SELECT count(*) FROM weir_staging_results", "0\n");
    h_close(&d);
    sb_free(&sa);
    sb_free(&sb);
}

static void test_sqlite_fresh_run_after_crash(void **state)
{
    (void)state;
    const char *rows = "SELECT id, v FROM results ORDER BY id";
    struct hsink a;
    h_open(&a, "sqlite", NULL, SQ_KV, 2, 0, false, 0, 1);
    h_checkpointed(&a);
    h_prepare(&a, 1);
    h_write(&a, 1, 3);
    h_prepare(&a, 2);                   /* staged, durable, never committed */
    h_close(&a);
    assert_query(rows, "");

    /* no checkpoint survived: a fresh run numbers from 1 and starts clean */
    struct hsink b;
    h_open(&b, "sqlite", NULL, SQ_KV, 2, 0, false, 0, 1);
    h_checkpointed(&b);
    h_prepare(&b, 1);
    h_write(&b, 10, 1);
    h_prepare(&b, 2);
    h_commit(&b, 2);
    assert_query(rows, "10|v10\n");
    h_close(&b);

    /* without checkpointing: straight into the table, as before */
    struct hsink c;
    h_open(&c, "sqlite", NULL, SQ_KV, 2, 0, false, 0, 1);
    h_write(&c, 11, 1);
    h_flush(&c);
    assert_query(rows, "10|v10\n11|v11\n");
    h_close(&c);
}

/* "Checkpointing is on" may come before open (the runtime restores before it
 * opens sinks): the sink is transactional from its first row either way. */
static void test_sqlite_announced_before_open(void **state)
{
    (void)state;
    struct hsink a;
    memset(&a, 0, sizeof(a));
    col_types[0] = &type_bigint;
    col_types[1] = &type_string;
    const char *keys[] = {"connector", "path", "table-name"};
    const char *vals[] = {"sqlite", db_path, "results"};
    struct weir_error err = {0};
    assert_int_equal(conn_validate(conn_lookup("sqlite"), NULL, "results", 3, keys, vals,
                                   false, &a.o, &err), WEIR_OK);
    a.t = (struct table_ctx){.table_name = "results", .n_cols = 2, .col_names = col_names,
                             .col_types = col_types, .opts = a.o, .parallelism = 1,
                             .job_dir = job_dir};
    assert_int_equal(conn_lookup("sqlite")->sink_create(&a.t, &a.snk, &err), WEIR_OK);
    assert_int_equal(a.snk->ops->recover(a.snk, 0, NULL, 0, &err), WEIR_OK);
    assert_int_equal(a.snk->ops->open(a.snk, &err), WEIR_OK);
    a.b = batch_new(2, col_types);
    h_write(&a, 1, 2);
    assert_query("SELECT count(*) FROM results", "0\n");
    h_prepare(&a, 1);
    assert_query("SELECT count(*) FROM results", "0\n");
    h_commit(&a, 1);
    assert_query("SELECT id FROM results ORDER BY id", "1\n2\n");
    h_close(&a);
}

/* ---- log ------------------------------------------------------------------------- */

static void topic(const char *name, int partitions)
{
    struct log_topic_config cfg;
    log_topic_config_default(&cfg);
    cfg.n_partitions = partitions;
    struct weir_error err = {0};
    if (log_topic_create(log_dir, name, &cfg, &err) != WEIR_OK)
        fail_msg("%s", err.message);
}

/* What a reader with isolation `iso` sees in partition p: ids counted. */
static int log_seen(const char *t, int p, enum log_isolation iso, struct seen *s)
{
    memset(s, 0, sizeof(*s));
    struct log_reader *r;
    struct weir_error err = {0};
    if (log_reader_open(log_dir, t, p, iso, &r, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    for (int guard = 0; guard < 100000; guard++) {
        const struct log_record *recs;
        int n;
        int rc = log_reader_next(r, &recs, &n, &err);
        if (rc == WEIR_AGAIN)
            break;
        if (rc != WEIR_OK)
            fail_msg("%s", err.message);
        for (int i = 0; i < n; i++) {
            const char *v = recs[i].value;
            const char *c = memchr(v, ':', (size_t)recs[i].value_len);   /* {"id":N,... */
            assert_non_null(c);
            long long id = atoll(c + 1);
            assert_true(id >= 0 && id < MAX_IDS);
            s->count[id]++;
            s->rows++;
        }
    }
    log_reader_close(r);
    return s->rows;
}

static void test_log_commit_crash_recover(void **state)
{
    (void)state;
    topic("out", 2);
    const char *kv[] = {"topic", "out", "format", "json", "data-dir", log_dir,
                        "sink.delivery-guarantee", "exactly-once",
                        "sink.partitioner", "round-robin", NULL};
    struct hsink a;
    struct seen s0, s1;
    h_open(&a, "log", "json", kv, 2, 0, false, 0, 1);
    h_checkpointed(&a);
    h_write(&a, 0, 10);
    h_prepare(&a, 1);
    h_write(&a, 10, 10);
    h_prepare(&a, 2);
    h_write(&a, 20, 6);
    h_commit(&a, 1);
    assert_int_equal(log_seen("out", 0, LOG_READ_COMMITTED, &s0) +
                         log_seen("out", 1, LOG_READ_COMMITTED, &s1), 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(s0.count[i] + s1.count[i], 1);
    assert_int_equal(log_seen("out", 0, LOG_READ_UNCOMMITTED, &s0) +
                         log_seen("out", 1, LOG_READ_UNCOMMITTED, &s1), 26);
    struct strbuf st1 = {0}, st2 = {0};
    copy_state(&st1, &a.state[1]);
    copy_state(&st2, &a.state[2]);
    h_close(&a);                        /* crash between manifest 2 and commit 2 */

    struct hsink b;
    h_open(&b, "log", "json", kv, 2, 0, false, 0, 1);
    h_recover(&b, 2, &st2);
    h_recover(&b, 2, &st2);             /* twice: the same */
    h_recover(&b, 1, &st1);             /* an older, committed one: no effect */
    h_write(&b, 20, 2);                 /* the run goes on: the topic settles first */
    assert_int_equal(log_seen("out", 0, LOG_READ_COMMITTED, &s0) +
                         log_seen("out", 1, LOG_READ_COMMITTED, &s1), 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(s0.count[i] + s1.count[i], 1);
    /* the failed run's rows after checkpoint 2 are gone, not just hidden */
    assert_int_equal(log_seen("out", 0, LOG_READ_UNCOMMITTED, &s0) +
                         log_seen("out", 1, LOG_READ_UNCOMMITTED, &s1), 22);
    h_prepare(&b, 3);
    h_commit(&b, 3);
    h_commit(&b, 2);                    /* late and old: nothing moves back */
    assert_int_equal(log_seen("out", 0, LOG_READ_COMMITTED, &s0) +
                         log_seen("out", 1, LOG_READ_COMMITTED, &s1), 22);
    h_flush(&b);                        /* after the final checkpoint: commits nothing */
    h_close(&b);

    /* a restore of an already committed checkpoint doubles nothing */
    struct hsink c;
    h_open(&c, "log", "json", kv, 2, 0, false, 0, 1);
    h_recover(&c, 2, &st2);
    h_flush(&c);
    assert_int_equal(log_seen("out", 0, LOG_READ_COMMITTED, &s0) +
                         log_seen("out", 1, LOG_READ_COMMITTED, &s1), 22);
    h_close(&c);
    sb_free(&st1);
    sb_free(&st2);
}

static void test_log_shared_partition_rescale(void **state)
{
    (void)state;
    topic("shared", 1);
    const char *kv[] = {"topic", "shared", "format", "json", "data-dir", log_dir,
                        "sink.delivery-guarantee", "exactly-once", NULL};
    struct hsink a, b;
    struct seen s;
    h_open(&a, "log", "json", kv, 2, 0, false, 0, 2);
    h_open(&b, "log", "json", kv, 2, 0, false, 1, 2);
    h_write(&a, 0, 5);
    h_write(&b, 100, 5);
    h_prepare(&a, 1);
    h_write(&a, 5, 3);                  /* after a's barrier: held back */
    assert_int_equal(log_seen("shared", 0, LOG_READ_UNCOMMITTED, &s), 10);
    h_write(&b, 105, 2);                /* b has not reached the barrier: checkpoint 1 */
    h_prepare(&b, 1);
    h_write(&a, 8, 1);                  /* the gate is open: a's rows go in */
    assert_int_equal(log_seen("shared", 0, LOG_READ_UNCOMMITTED, &s), 16);
    h_commit(&a, 1);
    assert_int_equal(log_seen("shared", 0, LOG_READ_COMMITTED, &s), 12);
    for (int i = 0; i < MAX_IDS; i++)
        assert_int_equal(s.count[i], (i < 5 || (i >= 100 && i < 107)) ? 1 : 0);
    h_commit(&b, 1);
    assert_int_equal(log_seen("shared", 0, LOG_READ_COMMITTED, &s), 12);
    h_prepare(&a, 2);                   /* a's 5..8 are checkpoint 2's */
    struct strbuf sa = {0}, sb = {0};
    copy_state(&sa, &a.state[2]);
    h_write(&a, 9, 1);                  /* held: b has not prepared 2 */
    h_write(&b, 107, 2);
    h_prepare(&b, 2);
    copy_state(&sb, &b.state[2]);
    h_write(&b, 109, 3);
    h_close(&a);                        /* crash between manifest 2 and commit 2 */
    h_close(&b);

    /* parallelism 1 takes over both old subtasks */
    struct hsink c;
    h_open(&c, "log", "json", kv, 2, 0, false, 0, 1);
    h_recover(&c, 2, &sb);
    h_recover(&c, 2, &sa);
    h_flush(&c);
    assert_int_equal(log_seen("shared", 0, LOG_READ_COMMITTED, &s), 18);
    for (int i = 0; i < MAX_IDS; i++)
        assert_int_equal(s.count[i], (i < 9 || (i >= 100 && i < 109)) ? 1 : 0);
    assert_int_equal(log_seen("shared", 0, LOG_READ_UNCOMMITTED, &s), 18);
    h_close(&c);
    sb_free(&sa);
    sb_free(&sb);
}

static void test_log_fresh_run_after_crash(void **state)
{
    (void)state;
    topic("fresh", 1);
    const char *kv[] = {"topic", "fresh", "format", "json", "data-dir", log_dir,
                        "sink.delivery-guarantee", "exactly-once", NULL};
    struct hsink a;
    struct seen s;
    h_open(&a, "log", "json", kv, 2, 0, false, 0, 1);
    h_write(&a, 0, 4);
    h_prepare(&a, 1);
    h_write(&a, 4, 4);
    h_close(&a);                        /* no checkpoint completed */
    assert_int_equal(log_seen("fresh", 0, LOG_READ_UNCOMMITTED, &s), 8);

    /* without checkpointing, a new run: its flush must not publish the old rows */
    struct hsink b;
    h_open(&b, "log", "json", kv, 2, 0, false, 0, 1);
    h_write(&b, 10, 2);
    h_flush(&b);
    assert_int_equal(log_seen("fresh", 0, LOG_READ_COMMITTED, &s), 2);
    assert_int_equal(s.count[10] + s.count[11], 2);
    assert_int_equal(log_seen("fresh", 0, LOG_READ_UNCOMMITTED, &s), 2);
    h_close(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fs_commit_crash_recover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_rescale_partitioned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_fresh_run_after_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_output_removed_or_moved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_append_rescale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_fresh_run_after_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_announced_before_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_commit_crash_recover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_shared_partition_rescale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_fresh_run_after_crash, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
