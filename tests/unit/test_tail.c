/*
 * test_tail.c — the tail source driven through its ops on a real temp
 * directory: rotation by rename-and-create and by copytruncate while a writer
 * thread appends (every line exactly once, in order per file), restarts from a
 * position (also across a rename or a copytruncate while stopped), a file
 * deleted while read, over-long records dead-lettered while later lines still
 * arrive, multi-line records, startup modes, new files, 'position.file' and
 * 'scan.bounded'.  Every wait is bounded (WAIT_MS).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "exec/deadletter.h"
#include "formats/format.h"
#include "scratch.h"

#define WAIT_MS 20000       /* upper bound of any wait for rows */


static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *path_of(const char *rel)
{
    static char p[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof(p[k]), "%s/%s", root, rel);
    return p[k];
}

static void append(const char *rel, const char *text)
{
    FILE *f = fopen(path_of(rel), "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    struct strbuf sb = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sb_add(&sb, chunk, n);
    fclose(f);
    return sb.buf ? sb_steal(&sb) : mem_strdup("");
}

SCRATCH_FIXTURES("tail")

/* ---- harness: one source with columns (line STRING, name METADATA file.name) -- */

struct h {
    struct opt_set *o;
    struct table_ctx t;
    struct source *src;
    struct batch *b;
    struct deadletter *dlq;
    char **rows;            /* "name\tline" per row read so far */
    int n_rows, cap_rows;
    bool done;              /* poll returned WEIR_DONE */
};

static const char *col_names[] = {"line", "name"};
static const struct sql_type *col_types[2];
static const char *col_md[] = {NULL, "file.name"};

/* kv: NULL-terminated key, value pairs besides connector/path/format. */
static void h_open(struct h *h, const char *glob_rel, const char *const *kv)
{
    memset(h, 0, sizeof(*h));
    col_types[0] = &type_string;
    col_types[1] = &type_string;
    const char *keys[24], *vals[24];
    int n = 0;
    keys[n] = "connector", vals[n++] = "tail";
    keys[n] = "path", vals[n++] = mem_strdup(path_of(glob_rel));
    keys[n] = "format", vals[n++] = "raw";
    for (int i = 0; kv && kv[i]; i += 2)
        keys[n] = kv[i], vals[n++] = kv[i + 1];
    struct weir_error err = {0};
    if (conn_validate(conn_lookup("tail"), format_lookup("raw"), "logs", n, keys, vals,
                      true, &h->o, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    mem_free((char *)vals[1]);
    h->dlq = dlq_open(path_of("state/dlq.jsonl"), &err);
    assert_non_null(h->dlq);
    h->t = (struct table_ctx){.table_name = "logs", .n_cols = 2, .col_names = col_names,
                              .col_types = col_types, .col_metadata = col_md,
                              .opts = h->o, .format = format_lookup("raw"),
                              .dlq = h->dlq, .parallelism = 1};
    if (conn_lookup("tail")->source_create(&h->t, &h->src, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    if (h->src->ops->open(h->src, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    h->b = batch_new(2, col_types);
}

static void h_close(struct h *h)
{
    h->src->ops->close(h->src);
    batch_free(h->b);
    dlq_close(h->dlq);
    opt_set_free(h->o);
    for (int i = 0; i < h->n_rows; i++)
        mem_free(h->rows[i]);
    mem_free(h->rows);
}

/* One poll; rows are appended to h->rows.  Returns the poll's rc. */
static int h_poll(struct h *h)
{
    struct weir_error err = {0};
    batch_reset(h->b);
    int rc = h->src->ops->poll(h->src, h->b, &err);
    if (rc < 0)
        fail_msg("poll: %s", err.message);
    for (int i = 0; i < h->b->n; i++) {
        struct str name = h->b->cols[1].s[i], line = h->b->cols[0].s[i];
        MEM_GROW(h->rows, h->cap_rows, h->n_rows + 1);
        h->rows[h->n_rows++] = mem_sprintf("%.*s\t%.*s", (int)name.len, name.ptr,
                                           (int)line.len, line.ptr);
    }
    if (rc == WEIR_DONE)
        h->done = true;
    return rc;
}

/* Polls until `want` rows were read in all, the source ends, or WAIT_MS. */
static int h_collect(struct h *h, int want)
{
    int64_t deadline = now_ms() + WAIT_MS;
    while (h->n_rows < want && !h->done && now_ms() < deadline) {
        if (h_poll(h) == WEIR_AGAIN)
            sleep_ms(h->src->wait_ms < 5 ? h->src->wait_ms : 5);
    }
    return h->n_rows;
}

/* Polls for ms milliseconds (to show that nothing more arrives). */
static void h_idle(struct h *h, int ms)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end && !h->done)
        if (h_poll(h) == WEIR_AGAIN)
            sleep_ms(2);
}

static char *h_position(struct h *h)
{
    struct strbuf sb = {0};
    h->src->ops->position(h->src, &sb);
    return sb_steal(&sb);
}

static const char *line_of(const char *row)
{
    return strchr(row, '\t') + 1;
}

/* Writes lines "<prefix><i>" for i in [from, to) to rel. */
static void write_numbered(const char *rel, const char *prefix, int from, int to)
{
    FILE *f = fopen(path_of(rel), "a");
    assert_non_null(f);
    for (int i = from; i < to; i++)
        fprintf(f, "%s%06d\n", prefix, i);
    fclose(f);
}

/* Rows from..to (exclusive) must be "<prefix><i>" for consecutive i from first. */
static void expect_numbered(struct h *h, int from, int to, const char *prefix, int first)
{
    char want[64];
    for (int k = from; k < to; k++) {
        snprintf(want, sizeof(want), "%s%06d", prefix, first + k - from);
        if (strcmp(line_of(h->rows[k]), want) != 0)
            fail_msg("row %d: got '%s', want '%s'", k, h->rows[k], want);
    }
}

/* ---- rotation while a writer appends ------------------------------------------- */

#define GENS 5
#define PER_GEN 3000

struct writer {
    bool copytruncate;
    atomic_bool finished;
};

static void shift_rotated(void)
{
    for (int k = GENS; k >= 1; k--) {
        char from[32], to[32];
        snprintf(from, sizeof(from), "app.log.%d", k);
        snprintf(to, sizeof(to), "app.log.%d", k + 1);
        rename(path_of(from), path_of(to));     /* ENOENT for the first ones: fine */
    }
}

/* Appends "g<gen> <seq>" lines (64 bytes each); rotates after each generation:
 * logrotate's default (rename app.log → app.log.1, create app.log) or its
 * copytruncate (copy app.log to a new app.log.1, truncate app.log in place). */
static void *writer_main(void *arg)
{
    struct writer *w = arg;
    int fd = open(path_of("app.log"), O_WRONLY | O_CREAT | O_APPEND, 0644);
    for (int g = 0; g < GENS; g++) {
        for (int i = 0; i < PER_GEN; i++) {
            char line[65];
            int n = snprintf(line, sizeof(line), "g%d %06d ", g, g * PER_GEN + i);
            memset(line + n, 'x', 63 - (size_t)n);
            line[63] = '\n';
            if (write(fd, line, 64) != 64)
                abort();
            if (i % 100 == 99 && i < PER_GEN - 1000)
                sleep_ms(1);    /* let the reader interleave; the last 1000 lines
                                   come in a burst, so the rotation may catch the
                                   reader behind */
        }
        if (g == GENS - 1)
            break;
        /* rotations are far apart in real life (logrotate: hourly at most); a
         * reader that missed two copytruncates in a row could not know the
         * first copy's content (inherent, documented in tail_source.c) */
        sleep_ms(30);
        shift_rotated();
        if (w->copytruncate) {
            char *text = slurp(path_of("app.log"));
            int c = open(path_of("app.log.1"), O_WRONLY | O_CREAT | O_EXCL, 0644);
            size_t len = strlen(text);
            if (c < 0 || write(c, text, len) != (ssize_t)len)
                abort();
            close(c);
            mem_free(text);
            if (ftruncate(fd, 0) != 0)
                abort();
        } else {
            close(fd);
            rename(path_of("app.log"), path_of("app.log.1"));
            fd = open(path_of("app.log"), O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0644);
        }
    }
    close(fd);
    atomic_store(&w->finished, true);
    return NULL;
}

/* Every line of every generation exactly once, in order within a generation
 * (a generation is one file, or one file plus its copy). */
static void check_generations(struct h *h)
{
    static unsigned char seen[GENS * PER_GEN];
    memset(seen, 0, sizeof(seen));
    int last[GENS];
    for (int g = 0; g < GENS; g++)
        last[g] = -1;
    for (int k = 0; k < h->n_rows; k++) {
        int g, seq;
        if (sscanf(line_of(h->rows[k]), "g%d %d", &g, &seq) != 2 || g < 0 || g >= GENS ||
            seq < 0 || seq >= GENS * PER_GEN)
            fail_msg("row %d: bad line '%s'", k, h->rows[k]);
        if (seen[seq]++)
            fail_msg("row %d: line %d read twice", k, seq);
        if (seq <= last[g])
            fail_msg("row %d: line %d after %d in generation %d", k, seq, last[g], g);
        last[g] = seq;
    }
    assert_int_equal(h->n_rows, GENS * PER_GEN);
}

static void run_rotation(bool copytruncate)
{
    const char *kv[] = {"rotate-wait", "300 ms", "scan.interval", "200 ms", NULL};
    write_numbered("app.log", "unused", 0, 0);     /* exists before the source */
    struct h h;
    h_open(&h, "*.log", kv);
    struct writer w = {.copytruncate = copytruncate};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
    int64_t deadline = now_ms() + WAIT_MS;
    while (h.n_rows < GENS * PER_GEN && now_ms() < deadline)
        if (h_poll(&h) == WEIR_AGAIN)
            sleep_ms(h.src->wait_ms < 5 ? h.src->wait_ms : 5);
    pthread_join(th, NULL);
    h_idle(&h, 400);        /* nothing more, and rotated files get closed */
    check_generations(&h);
    assert_int_equal(h.src->metrics.dead_letters, 0);
    assert_int_equal(h.src->metrics.errors, 0);
    /* rotated files were closed after rotate-wait: only app.log is left */
    char *pos = h_position(&h);
    assert_non_null(strstr(pos, "/app.log\n"));
    assert_null(strstr(pos, "app.log."));
    mem_free(pos);
    h_close(&h);
}

static void test_rotate_rename_while_writing(void **state)
{
    (void)state;
    run_rotation(false);
}

static void test_rotate_copytruncate_while_writing(void **state)
{
    (void)state;
    run_rotation(true);
}

/* Rows whose line starts with prefix must be prefix + first, first + 1, ...
 * (n of them, in order, none twice). */
static void expect_sequence(struct h *h, const char *prefix, int first, int n)
{
    int next = first;
    size_t pl = strlen(prefix);
    for (int k = 0; k < h->n_rows; k++) {
        const char *l = line_of(h->rows[k]);
        if (strncmp(l, prefix, pl) != 0 || l[pl] < '0' || l[pl] > '9')
            continue;
        if (atoi(l + pl) != next)
            fail_msg("row %d: '%s' where %s%06d was expected", k, h->rows[k], prefix, next);
        next++;
    }
    assert_int_equal(next - first, n);
}

/* copytruncate while the reader is behind: the unread rest of the old content
 * comes from the copy, whether the truncated file is still smaller than what
 * was read (size check) or already regrown past it (fingerprint check). */
static void test_copytruncate_while_behind(void **state)
{
    (void)state;
    write_numbered("app.log", "old ", 0, 3000);
    struct h h;
    h_open(&h, "*.log", NULL);
    assert_int_equal(h_poll(&h), WEIR_OK);
    assert_int_equal(h.n_rows, BATCH_CAP);          /* 952 lines behind */
    char *text = slurp(path_of("app.log"));
    append("app.log.1", text);
    mem_free(text);
    assert_int_equal(truncate(path_of("app.log"), 0), 0);
    write_numbered("app.log", "new ", 0, 10);       /* smaller than what was read */
    assert_int_equal(h_collect(&h, 3010), 3010);
    expect_sequence(&h, "old ", 0, 3000);
    expect_sequence(&h, "new ", 0, 10);

    /* again, behind, and the file regrows past the read offset at once */
    write_numbered("app.log", "new ", 10, 3000);
    assert_int_equal(h_poll(&h), WEIR_OK);
    assert_int_equal(h.n_rows, 3010 + BATCH_CAP);
    assert_int_equal(rename(path_of("app.log.1"), path_of("app.log.2")), 0);
    text = slurp(path_of("app.log"));
    append("app.log.1", text);
    mem_free(text);
    assert_int_equal(truncate(path_of("app.log"), 0), 0);
    write_numbered("app.log", "newer ", 0, 4000);
    assert_int_equal(h_collect(&h, 3000 + 3000 + 4000), 10000);
    h_idle(&h, 100);
    assert_int_equal(h.n_rows, 10000);
    expect_sequence(&h, "old ", 0, 3000);
    expect_sequence(&h, "new ", 0, 3000);
    expect_sequence(&h, "newer ", 0, 4000);
    assert_int_equal(h.src->metrics.errors, 0);
    h_close(&h);
}

/* ---- restarts ------------------------------------------------------------------ */

/* Stopped mid-file; meanwhile the file got more lines and was rotated by
 * rename, and a new app.log was written: the restart reads the rest of the old
 * file (now app.log.1) and then the new one — no line lost or repeated. */
static void test_restart_across_rename(void **state)
{
    (void)state;
    write_numbered("app.log", "old ", 0, 3000);
    struct h h;
    h_open(&h, "*.log", NULL);
    assert_int_equal(h_poll(&h), WEIR_OK);
    assert_int_equal(h.n_rows, BATCH_CAP);      /* stopped mid-file */
    expect_numbered(&h, 0, BATCH_CAP, "old ", 0);
    char *pos = h_position(&h);
    h_close(&h);

    /* while stopped: more lines, rotation, a new file */
    write_numbered("app.log", "old ", 3000, 3010);
    assert_int_equal(rename(path_of("app.log"), path_of("app.log.1")), 0);
    write_numbered("app.log", "new ", 0, 500);

    struct h r;
    h_open(&r, "*.log", NULL);
    struct weir_error err = {0};
    assert_int_equal(r.src->ops->seek(r.src, (const char *const[]){pos}, 1, &err), WEIR_OK);
    int want = 3010 - BATCH_CAP + 500;
    assert_int_equal(h_collect(&r, want), want);
    h_idle(&r, 200);
    assert_int_equal(r.n_rows, want);           /* nothing repeated */
    expect_numbered(&r, 0, 3010 - BATCH_CAP, "old ", BATCH_CAP);
    assert_string_equal(r.rows[0], "app.log.1\told 002048");
    expect_numbered(&r, 3010 - BATCH_CAP, want, "new ", 0);
    mem_free(pos);
    h_close(&r);
}

/* Stopped mid-file; meanwhile copytruncate: the rest comes from the copy. */
static void test_restart_across_copytruncate(void **state)
{
    (void)state;
    write_numbered("app.log", "old ", 0, 3000);
    struct h h;
    h_open(&h, "*.log", NULL);
    assert_int_equal(h_poll(&h), WEIR_OK);
    assert_int_equal(h.n_rows, BATCH_CAP);
    char *pos = h_position(&h);
    h_close(&h);

    char *text = slurp(path_of("app.log"));
    FILE *c = fopen(path_of("app.log.1"), "w");
    fputs(text, c);
    fclose(c);
    mem_free(text);
    assert_int_equal(truncate(path_of("app.log"), 0), 0);
    write_numbered("app.log", "new ", 0, 3000);     /* regrown past the old offset */

    struct h r;
    h_open(&r, "*.log", NULL);
    struct weir_error err = {0};
    assert_int_equal(r.src->ops->seek(r.src, (const char *const[]){pos}, 1, &err), WEIR_OK);
    int want = 3000 - BATCH_CAP + 3000;
    assert_int_equal(h_collect(&r, want), want);
    h_idle(&r, 200);
    assert_int_equal(r.n_rows, want);
    expect_numbered(&r, 0, 3000 - BATCH_CAP, "old ", BATCH_CAP);
    assert_string_equal(r.rows[0], "app.log.1\told 002048");
    expect_numbered(&r, 3000 - BATCH_CAP, want, "new ", 0);
    mem_free(pos);
    h_close(&r);
}

/* The position names every file with its identity; a garbled one is refused. */
static void test_position_format(void **state)
{
    (void)state;
    write_numbered("a.log", "a ", 0, 3);
    struct h h;
    h_open(&h, "*.log", NULL);
    assert_int_equal(h_collect(&h, 3), 3);
    char *pos = h_position(&h);
    struct stat st;
    stat(path_of("a.log"), &st);
    char want[700];
    snprintf(want, sizeof(want), "tail v1\nfile %llu %llu 27 ",
             (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    assert_true(strncmp(pos, want, strlen(want)) == 0);
    snprintf(want, sizeof(want), " 27 %s\n", path_of("a.log"));
    assert_non_null(strstr(pos, want));
    struct weir_error err = {0};
    assert_int_equal(h.src->ops->seek(h.src, (const char *const[]){"tail v1\nfile x\n"}, 1, &err), WEIR_ERR_CORRUPT);
    err_clear(&err);
    assert_int_equal(h.src->ops->seek(h.src, (const char *const[]){"v1\n"}, 1, &err), WEIR_ERR_CORRUPT);
    err_clear(&err);
    mem_free(pos);
    h_close(&h);
}

/* ---- deletion, long lines, multi-line ------------------------------------------- */

static void test_deleted_while_read(void **state)
{
    (void)state;
    write_numbered("app.log", "l ", 0, 5000);
    struct h h;
    h_open(&h, "*.log", NULL);
    assert_int_equal(h_poll(&h), WEIR_OK);
    assert_int_equal(h.n_rows, BATCH_CAP);
    assert_int_equal(unlink(path_of("app.log")), 0);
    assert_int_equal(h_collect(&h, 5000), 5000);
    expect_numbered(&h, 0, 5000, "l ", 0);
    /* read to its end, then closed: no longer in the position */
    int64_t deadline = now_ms() + WAIT_MS;
    char *pos = h_position(&h);
    while (strstr(pos, "file ") != NULL && now_ms() < deadline) {
        mem_free(pos);
        h_idle(&h, 20);
        pos = h_position(&h);
    }
    assert_string_equal(pos, "tail v1\n");
    assert_int_equal(h.n_rows, 5000);
    mem_free(pos);
    h_close(&h);
}

static void test_long_lines_dead_lettered(void **state)
{
    (void)state;
    /* 1: over max-line-length (1 KiB) but within the read buffer */
    char *big = mem_alloc(5001);
    memset(big, 'x', 5000);
    big[5000] = '\0';
    append("a.log", "first\n");
    append("a.log", big);
    append("a.log", "\nsecond\n");
    const char *kv[] = {"max-line-length", "1kb", NULL};
    struct h h;
    h_open(&h, "a.log", kv);
    assert_int_equal(h_collect(&h, 2), 2);
    assert_string_equal(line_of(h.rows[0]), "first");
    assert_string_equal(line_of(h.rows[1]), "second");
    assert_int_equal(h.src->metrics.dead_letters, 1);
    append("a.log", "third\n");                 /* following lines still arrive */
    assert_int_equal(h_collect(&h, 3), 3);
    assert_string_equal(line_of(h.rows[2]), "third");
    h_close(&h);
    mem_free(big);
    char *dl = slurp(path_of("state/dlq.jsonl"));
    char want[700];
    snprintf(want, sizeof(want), "\"table\":\"logs\",\"position\":\"%s:6\",\"reason\":"
             "\"record of 5000 bytes exceeds max-line-length (1024 bytes); raw holds "
             "its first 1024 bytes\",\"raw\":\"xxxx", path_of("a.log"));
    assert_non_null(strstr(dl, want));
    assert_int_equal(strchr(dl, '\n') - dl + 1, (long)strlen(dl));    /* one record */
    mem_free(dl);

    /* 2: lines longer than the read buffer: 600 KiB is a row (default limit
     * 1 MiB), 3 MiB is dead-lettered without being held in memory */
    unlink(path_of("state/dlq.jsonl"));
    size_t n1 = 600 << 10, n2 = 3 << 20;
    big = mem_alloc(n2 + 1);
    memset(big, 'y', n2);
    big[n2] = '\0';
    append("b.log", "before\n");
    big[n1] = '\0';
    append("b.log", big);
    append("b.log", "\n");
    big[n1] = 'y';
    append("b.log", big);
    append("b.log", "\nafter\n");
    mem_free(big);
    h_open(&h, "b.log", NULL);
    assert_int_equal(h_collect(&h, 3), 3);
    assert_string_equal(line_of(h.rows[0]), "before");
    assert_int_equal(strlen(line_of(h.rows[1])), n1);
    assert_string_equal(line_of(h.rows[2]), "after");
    assert_int_equal(h.src->metrics.dead_letters, 1);
    h_close(&h);
    dl = slurp(path_of("state/dlq.jsonl"));
    snprintf(want, sizeof(want), "\"position\":\"%s:%zu\",\"reason\":\"record of %zu "
             "bytes exceeds max-line-length (1048576 bytes); raw holds its first "
             "1048576 bytes\"", path_of("b.log"), 7 + n1 + 1, n2);
    assert_non_null(strstr(dl, want));
    mem_free(dl);
}

static void test_multiline_stack_traces(void **state)
{
    (void)state;
    const char *kv[] = {"multiline.pattern", "^\\d{4}-\\d{2}-\\d{2} ",
                        "multiline.timeout", "500 ms", NULL};
    const char *first = "2024-01-01 10:00:00 ERROR boom\n"
                        "java.lang.IllegalStateException: bad state\n"
                        "\tat com.example.A.run(A.java:10)\n"
                        "\tat com.example.Main.main(Main.java:5)\n";
    append("app.log", first);
    append("app.log", "2024-01-01 10:00:01 INFO next\n");
    struct h h;
    h_open(&h, "*.log", kv);
    assert_int_equal(h_collect(&h, 1), 1);
    assert_string_equal(line_of(h.rows[0]),
                        "2024-01-01 10:00:00 ERROR boom\n"
                        "java.lang.IllegalStateException: bad state\n"
                        "\tat com.example.A.run(A.java:10)\n"
                        "\tat com.example.Main.main(Main.java:5)");
    /* the second record is pending: the position points at its start */
    char *pos = h_position(&h);
    char want[64];
    snprintf(want, sizeof(want), " %zu /", strlen(first));
    assert_non_null(strstr(pos, want));
    append("app.log", "  caused by: nothing\n");   /* within the timeout: appended */
    assert_int_equal(h_collect(&h, 2), 2);         /* complete after 500 ms */
    assert_string_equal(line_of(h.rows[1]), "2024-01-01 10:00:01 INFO next\n"
                                            "  caused by: nothing");
    h_close(&h);

    /* restart with the pending record's position: it is read once, whole */
    struct h r;
    h_open(&r, "*.log", kv);
    struct weir_error err = {0};
    assert_int_equal(r.src->ops->seek(r.src, (const char *const[]){pos}, 1, &err), WEIR_OK);
    assert_int_equal(h_collect(&r, 1), 1);
    assert_string_equal(line_of(r.rows[0]), "2024-01-01 10:00:01 INFO next\n"
                                            "  caused by: nothing");
    h_idle(&r, 600);
    assert_int_equal(r.n_rows, 1);
    mem_free(pos);
    h_close(&r);
}

/* ---- startup modes, new files, position.file, bounded --------------------------- */

static void test_startup_latest_vs_earliest(void **state)
{
    (void)state;
    append("app.log", "one\ntwo\nthree\npar");     /* a line still being written */
    const char *latest[] = {"scan.startup.mode", "latest", NULL};
    struct h l, e;
    h_open(&l, "*.log", latest);
    h_open(&e, "*.log", NULL);
    h_idle(&l, 50);
    assert_int_equal(l.n_rows, 0);
    append("app.log", "tial\nfour\n");
    assert_int_equal(h_collect(&l, 2), 2);
    assert_string_equal(line_of(l.rows[0]), "partial");
    assert_string_equal(line_of(l.rows[1]), "four");
    assert_int_equal(h_collect(&e, 5), 5);
    assert_string_equal(line_of(e.rows[0]), "one");
    assert_string_equal(line_of(e.rows[3]), "partial");
    assert_string_equal(line_of(e.rows[4]), "four");
    /* a file that appears later is read from its start even with latest */
    append("late.log", "early line\n");
    assert_int_equal(h_collect(&l, 3), 3);
    assert_string_equal(l.rows[2], "late.log\tearly line");
    h_close(&l);
    h_close(&e);
}

static void test_glob_picks_up_new_files(void **state)
{
    (void)state;
    mkdir(path_of("logs"), 0755);
    struct h h;
    h_open(&h, "logs/*.log", NULL);
    h_idle(&h, 30);
    assert_int_equal(h.n_rows, 0);
    append("logs/a.log", "a1\n");
    append("logs/skip.txt", "not matched\n");
    assert_int_equal(h_collect(&h, 1), 1);
    assert_string_equal(h.rows[0], "a.log\ta1");
    append("logs/b.log", "b1\nb2\n");
    assert_int_equal(h_collect(&h, 3), 3);
    assert_string_equal(h.rows[1], "b.log\tb1");
    assert_string_equal(h.rows[2], "b.log\tb2");
    h_idle(&h, 50);
    assert_int_equal(h.n_rows, 3);
    h_close(&h);
}

static void test_position_file_at_least_once(void **state)
{
    (void)state;
    write_numbered("app.log", "p ", 0, 3000);
    char pf[600];
    snprintf(pf, sizeof(pf), "%s", path_of("state/tail.pos"));
    mkdir(path_of("state"), 0755);
    const char *kv[] = {"position.file", pf, NULL};
    struct h h;
    h_open(&h, "*.log", kv);
    assert_int_equal(h_poll(&h), WEIR_OK);          /* saves offset 0, rows 0..2047 */
    char *saved = slurp(pf);
    assert_non_null(strstr(saved, " 0 /"));         /* not yet delivered */
    mem_free(saved);
    assert_int_equal(h_poll(&h), WEIR_OK);          /* saves 2048, reads the rest */
    assert_int_equal(h.n_rows, 3000);
    saved = slurp(pf);
    assert_non_null(strstr(saved, " 18432 /"));     /* 2048 lines of 9 bytes */
    mem_free(saved);
    h_close(&h);                                     /* the last batch is not saved */

    /* a restart repeats the batch whose delivery was not confirmed, no more */
    h_open(&h, "*.log", kv);
    assert_int_equal(h_collect(&h, 3000 - BATCH_CAP), 3000 - BATCH_CAP);
    expect_numbered(&h, 0, 3000 - BATCH_CAP, "p ", BATCH_CAP);
    h_idle(&h, 50);
    assert_int_equal(h.n_rows, 3000 - BATCH_CAP);
    h_close(&h);

    /* bounded: a re-run starts where the previous run ended */
    const char *bkv[] = {"position.file", pf, "scan.bounded", "true", NULL};
    unlink(pf);
    h_open(&h, "*.log", bkv);
    assert_true(h.src->bounded);
    assert_int_equal(h_collect(&h, 1 << 30), 3000);
    assert_true(h.done);
    h_close(&h);
    write_numbered("app.log", "p ", 3000, 3005);
    h_open(&h, "*.log", bkv);
    h_collect(&h, 1 << 30);
    assert_true(h.done);
    assert_int_equal(h.n_rows, 5);
    expect_numbered(&h, 0, 5, "p ", 3000);
    h_close(&h);
}

static void test_bounded_ends_at_current_end(void **state)
{
    (void)state;
    append("a.log", "a1\na2\nno newline");
    append("b.log", "b1\n");
    const char *kv[] = {"scan.bounded", "true", NULL};
    struct h h;
    h_open(&h, "*.log", kv);
    append("a.log", " yet\nafter open\n");          /* past the end at open: not read */
    h_collect(&h, 1 << 30);
    assert_true(h.done);
    assert_int_equal(h.n_rows, 4);
    int a = 0;
    for (int i = 0; i < h.n_rows; i++)
        a += strncmp(h.rows[i], "a.log\t", 6) == 0;
    assert_int_equal(a, 3);
    h_close(&h);
}

static void test_bad_options(void **state)
{
    (void)state;
    const char *keys[] = {"connector", "path", "format", "multiline.pattern"};
    const char *vals[] = {"tail", "/tmp/x/*.log", "raw", "(unclosed"};
    struct opt_set *o = NULL;
    struct weir_error err = {0};
    assert_int_equal(conn_validate(conn_lookup("tail"), format_lookup("raw"), "logs", 4,
                                   keys, vals, true, &o, &err), WEIR_OK);
    struct table_ctx t = {.table_name = "logs", .n_cols = 2, .col_names = col_names,
                          .col_types = col_types, .col_metadata = col_md, .opts = o,
                          .format = format_lookup("raw"), .parallelism = 1};
    col_types[0] = col_types[1] = &type_string;
    struct source *src = NULL;
    assert_int_equal(conn_lookup("tail")->source_create(&t, &src, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "'multiline.pattern'"));
    err_clear(&err);
    opt_set_free(o);
    const char *k2[] = {"connector", "path", "format", "scan.startup.mode"};
    const char *v2[] = {"tail", "/tmp/x/*.log", "raw", "middle"};
    assert_int_equal(conn_validate(conn_lookup("tail"), format_lookup("raw"), "logs", 4,
                                   k2, v2, true, &o, &err), WEIR_ERR_CONFIG);
    err_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rotate_rename_while_writing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_copytruncate_while_writing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_copytruncate_while_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_across_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_across_copytruncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_position_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_while_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_lines_dead_lettered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multiline_stack_traces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_startup_latest_vs_earliest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_glob_picks_up_new_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_position_file_at_least_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded_ends_at_current_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
