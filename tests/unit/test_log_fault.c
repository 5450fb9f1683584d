/*
 * test_log_fault.c — fault tests for src/log: torn writes and crashes.
 *
 *  - a segment truncated at hundreds of random byte positions, reopened each
 *    time: every batch before the tear is intact, nothing after it;
 *  - a flipped byte: readers report the CRC mismatch, recovery cuts a bad tail;
 *  - crashes in the middle of a write, through the os layer (log_os): a child
 *    process writes a random prefix of a batch and _exits;
 *  - disk errors on write and sync: a clean error and a clean log;
 *  - kill -9 of a writer with "batch" durability: nothing acknowledged lost;
 *  - two writers refused, in one process and from a second process;
 *  - readers following a live writer (thread and process) with wait-for-data;
 *  - the interval flusher making appends durable.
 * Every loop and wait is bounded in count and time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "log/log.h"
#include "log/log_int.h"

/* ---- helpers ---------------------------------------------------------------------- */

static int rm_cb(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s; (void)f; (void)w;
    return remove(p);
}

static char *tmpdir(void)
{
    char *d = mem_strdup("/tmp/weir-test-logf.XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmdir_all(char *d)
{
    nftw(d, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    mem_free(d);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void make_topic(const char *dir, const char *t, const char *durability,
                       int64_t seg_bytes)
{
    struct log_topic_config cfg;
    log_topic_config_default(&cfg);
    assert_int_equal(log_durability_parse(durability, &cfg, NULL), WEIR_OK);
    if (seg_bytes > 0)
        cfg.segment_bytes = seg_bytes;
    cfg.index_interval_bytes = 200;
    struct weir_error err = {0};
    if (log_topic_create(dir, t, &cfg, &err))
        fail_msg("create: %s", err.message);
}

/* Appends records "v<first>".."v<first+n-1>" as one batch. */
static int append_batch(struct log_appender *a, int64_t first, int n,
                        struct weir_error *err)
{
    struct log_record recs[64];
    char vals[64][24];
    assert_true(n <= 64);
    for (int k = 0; k < n; k++) {
        recs[k] = (struct log_record){0, 0, NULL, -1, vals[k], 0, 0, NULL};
        recs[k].value_len = snprintf(vals[k], sizeof vals[k], "v%lld", (long long)(first + k));
    }
    int64_t base = -1;
    int rc = log_append(a, recs, n, &base, err);
    if (rc == WEIR_OK)
        assert_int_equal(base, first);
    return rc;
}

/* Reads all visible records; checks they are v0..v<n-1>; returns n, or -1 on
 * a read error (message to *why). */
static int64_t read_all(const char *dir, const char *t, int p, char **why)
{
    struct log_reader *r;
    struct weir_error err = {0};
    if (log_reader_open(dir, t, p, LOG_READ_COMMITTED, &r, &err))
        fail_msg("reader: %s", err.message);
    int64_t want = 0;
    for (int guard = 0; guard < 10000000; guard++) {
        const struct log_record *recs;
        int n;
        int rc = log_reader_next(r, &recs, &n, &err);
        if (rc == WEIR_AGAIN)
            break;
        if (rc) {
            if (why)
                *why = err.message ? mem_strdup(err.message) : NULL;
            err_clear(&err);
            log_reader_close(r);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            char v[24];
            int len = snprintf(v, sizeof v, "v%lld", (long long)want);
            assert_int_equal(recs[i].offset, want);
            assert_int_equal(recs[i].value_len, len);
            assert_memory_equal(recs[i].value, v, (size_t)len);
            want++;
        }
    }
    log_reader_close(r);
    return want;
}

struct boundary {
    int64_t pos, end_offset;    /* a batch ends at pos with offsets < end_offset */
};

static int bound_cb(void *ctx, int64_t pos, const struct log_batch_hdr *h)
{
    struct boundary **b = ctx;
    (*b)->pos = pos + h->len;
    (*b)->end_offset = h->base_offset + h->n_records;
    (*b)++;
    return WEIR_OK;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        *n = 0;
        return NULL;
    }
    *n = (size_t)sb.st_size;
    uint8_t *b = mem_alloc(*n + 1);
    int fd = open(path, O_RDONLY);
    assert_int_equal(log_pread_full(fd, b, *n, 0), (ssize_t)*n);
    close(fd);
    return b;
}

static void spit(const char *path, const uint8_t *b, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    if (n)
        assert_int_equal(write(fd, b, n), (ssize_t)n);
    close(fd);
}

/* ---- torn writes ------------------------------------------------------------------ */

static void test_torn_tail_random(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", "os", 0);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    srand(12345);
    int64_t off = 0;
    for (int b = 0; b < 80; b++) {
        int n = 1 + rand() % 40;
        assert_int_equal(append_batch(a, off, n, NULL), WEIR_OK);
        off += n;
    }
    log_appender_close(a);
    char *pdir = log_part_path(d, "t", 0);
    char *seg = log_seg_path(pdir, 0, "log");
    char *idx = log_seg_path(pdir, 0, "index");
    char *tidx = log_seg_path(pdir, 0, "timeindex");
    size_t seg_n, idx_n, tidx_n;
    uint8_t *seg_b = slurp(seg, &seg_n), *idx_b = slurp(idx, &idx_n),
            *tidx_b = slurp(tidx, &tidx_n);
    /* batch boundaries, from a scan of the intact file */
    struct boundary bounds[81] = {{0, 0}}, *bp = bounds + 1;
    int fd = open(seg, O_RDONLY);
    struct log_scan s;
    assert_int_equal(log_segment_scan(fd, 0, 0, &s, bound_cb, &bp, NULL), WEIR_OK);
    close(fd);
    assert_int_equal(bp - bounds, 81);
    assert_int_equal(s.valid_pos, (int64_t)seg_n);

    for (int iter = 0; iter < 300; iter++) {
        spit(seg, seg_b, seg_n);
        spit(idx, idx_b, idx_n);
        spit(tidx, tidx_b, tidx_n);
        size_t cut = iter == 0 ? seg_n : (size_t)rand() % (seg_n + 1);
        assert_int_equal(truncate(seg, (off_t)cut), 0);
        int k = 80;
        while (bounds[k].pos > (int64_t)cut)
            k--;
        struct log_recovery rec;
        struct weir_error err = {0};
        if (log_appender_open(d, "t", 0, 0, &a, &rec, &err))
            fail_msg("iteration %d (cut %zu): %s", iter, cut, err.message);
        assert_int_equal(rec.truncated_bytes, (int64_t)cut - bounds[k].pos);
        assert_int_equal(log_appender_end_offset(a), bounds[k].end_offset);
        /* every batch before the tear is intact, nothing after it */
        assert_int_equal(read_all(d, "t", 0, NULL), bounds[k].end_offset);
        /* and the writer goes on from there */
        assert_int_equal(append_batch(a, bounds[k].end_offset, 3, NULL), WEIR_OK);
        log_appender_close(a);
        assert_int_equal(read_all(d, "t", 0, NULL), bounds[k].end_offset + 3);
    }
    mem_free(seg_b);
    mem_free(idx_b);
    mem_free(tidx_b);
    mem_free(seg);
    mem_free(idx);
    mem_free(tidx);
    mem_free(pdir);
    rmdir_all(d);
}

/* A torn sealed segment (e.g. power loss with "os" durability): it is cut and
 * the later segments go, so the log stays contiguous. */
static void test_torn_sealed_segment(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", "os", 1024);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    for (int64_t off = 0; off < 1000; off += 10)
        assert_int_equal(append_batch(a, off, 10, NULL), WEIR_OK);
    log_appender_close(a);
    char *pdir = log_part_path(d, "t", 0);
    int64_t *b;
    int n;
    assert_int_equal(log_segments_list(pdir, &b, &n, NULL), WEIR_OK);
    assert_true(n >= 5);
    char *victim = log_seg_path(pdir, b[2], "log");
    struct stat sb;
    stat(victim, &sb);
    assert_int_equal(truncate(victim, sb.st_size - 7), 0);
    struct log_recovery rec;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, &rec, NULL), WEIR_OK);
    assert_true(rec.truncated_bytes > 0);
    int64_t end = log_appender_end_offset(a);
    assert_true(end > b[2] && end < b[3]);
    assert_int_equal(rec.truncated_at_offset, end);
    log_appender_close(a);
    assert_int_equal(read_all(d, "t", 0, NULL), end);
    int64_t *b2;
    int n2;
    assert_int_equal(log_segments_list(pdir, &b2, &n2, NULL), WEIR_OK);
    assert_int_equal(n2, 3);
    mem_free(b2);
    mem_free(b);
    mem_free(victim);
    mem_free(pdir);
    rmdir_all(d);
}

static void test_crc_mismatch(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", "os", 0);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    for (int64_t off = 0; off < 100; off += 10)
        assert_int_equal(append_batch(a, off, 10, NULL), WEIR_OK);
    char *pdir = log_part_path(d, "t", 0);
    char *seg = log_seg_path(pdir, 0, "log");
    size_t n;
    uint8_t *b = slurp(seg, &n);
    /* flip one byte of a record value in the middle batch: readers stop
     * there with a checksum error, after returning the batches before it */
    size_t at = n / 2;
    b[at] ^= 0x01;
    int fd = open(seg, O_WRONLY);
    assert_int_equal(pwrite(fd, b + at, 1, (off_t)at), 1);
    close(fd);
    struct log_reader *r;
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_COMMITTED, &r, NULL), WEIR_OK);
    const struct log_record *recs;
    int got = 0, nr, rc;
    struct weir_error err = {0};
    for (int guard = 0; guard < 100; guard++) {
        rc = log_reader_next(r, &recs, &nr, &err);
        if (rc != WEIR_OK)
            break;
        got += nr;
    }
    assert_int_equal(rc, WEIR_ERR_CORRUPT);
    assert_non_null(strstr(err.message, "checksum mismatch"));
    assert_true(got >= 30 && got <= 60);
    err_clear(&err);
    log_reader_close(r);
    log_appender_close(a);
    /* the writer's recovery treats it as the end of the valid log */
    struct log_recovery rec;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, &rec, NULL), WEIR_OK);
    assert_int_equal(log_appender_end_offset(a), got);
    assert_true(rec.truncated_bytes > 0);
    log_appender_close(a);
    assert_int_equal(read_all(d, "t", 0, NULL), got);
    mem_free(b);
    mem_free(seg);
    mem_free(pdir);
    rmdir_all(d);
}

/* ---- crashes through the os layer -------------------------------------------------- */

static int crash_after;         /* data writes left before the crash */
static size_t crash_prefix;     /* bytes of the crashing write that land */
static int fail_errno;          /* != 0: fail data writes with it instead */

static ssize_t crash_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (n > LOG_STATE_SIZE) {     /* a batch, not the state or an offset */
        if (fail_errno) {
            errno = fail_errno;
            return -1;
        }
        if (crash_after-- == 0) {
            size_t k = crash_prefix < n ? crash_prefix : n - 1;
            if (k)
                (void)pwrite(fd, buf, k, off);
            _exit(0);           /* the process dies mid-write */
        }
    }
    return pwrite(fd, buf, n, off);
}

static void test_crash_mid_write(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", "batch", 2048);
    srand(777);
    int64_t expect = 0;             /* records acknowledged so far */
    for (int iter = 0; iter < 25; iter++) {
        int batches = 1 + rand() % 6;
        size_t prefix = (size_t)(rand() % 300);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            log_os.pwrite = crash_pwrite;
            crash_after = batches;
            crash_prefix = prefix;
            struct log_appender *a;
            if (log_appender_open(d, "t", 0, 0, &a, NULL, NULL))
                _exit(3);
            for (int b = 0; b < 100; b++)
                if (append_batch(a, expect + 10 * b, 10, NULL))
                    _exit(4);
            _exit(5);               /* never reached: the crash comes first */
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
        expect += 10 * batches;     /* each acknowledged batch was synced */
        struct log_recovery rec;
        struct log_appender *a;
        assert_int_equal(log_appender_open(d, "t", 0, 0, &a, &rec, NULL), WEIR_OK);
        assert_int_equal(log_appender_end_offset(a), expect);
        /* the landed prefix (at most the batch less one byte) was cut */
        assert_true(rec.truncated_bytes <= (int64_t)prefix);
        assert_int_equal(rec.truncated_bytes > 0, prefix > 0);
        log_appender_close(a);
        assert_int_equal(read_all(d, "t", 0, NULL), expect);
    }
    rmdir_all(d);
}

static int fail_sync;
static int failing_fdatasync(int fd)
{
    if (fail_sync) {
        errno = EIO;
        return -1;
    }
    return fdatasync(fd);
}

static void test_io_errors(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", "batch", 0);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    assert_int_equal(append_batch(a, 0, 10, NULL), WEIR_OK);
    struct log_os saved = log_os;
    log_os.pwrite = crash_pwrite;
    crash_after = 1000;
    fail_errno = ENOSPC;
    struct weir_error err = {0};
    assert_int_equal(append_batch(a, 10, 10, &err), WEIR_ERR_IO);
    assert_non_null(strstr(err.message, "No space left"));
    err_clear(&err);
    fail_errno = 0;
    log_os.fdatasync = failing_fdatasync;
    fail_sync = 1;
    assert_int_equal(append_batch(a, 10, 10, &err), WEIR_ERR_IO);
    assert_non_null(strstr(err.message, "cannot sync"));
    err_clear(&err);
    fail_sync = 0;
    log_os = saved;
    /* the failed batches left nothing behind: the log goes on at 10 */
    assert_int_equal(append_batch(a, 10, 10, NULL), WEIR_OK);
    log_appender_close(a);
    assert_int_equal(read_all(d, "t", 0, NULL), 20);
    rmdir_all(d);
}

/* ---- kill -9 of a producer ---------------------------------------------------------- */

static void test_kill9_keeps_acknowledged(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", "batch", 4096);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        struct log_appender *a;
        if (log_appender_open(d, "t", 0, 0, &a, NULL, NULL))
            _exit(3);
        for (int64_t off = 0; off < 10000000; off += 7) {
            if (append_batch(a, off, 7, NULL))
                _exit(4);
            int64_t acked = off + 7;        /* durable: "batch" synced it */
            if (write(pfd[1], &acked, sizeof acked) != sizeof acked)
                _exit(5);
        }
        _exit(0);
    }
    close(pfd[1]);
    int64_t acked = 0, v;
    int64_t t0 = mono_ms();
    while (mono_ms() - t0 < 300 && read(pfd[0], &v, sizeof v) == sizeof v)
        acked = v;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    while (read(pfd[0], &v, sizeof v) == sizeof v)
        acked = v;
    close(pfd[0]);
    assert_true(acked > 0);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    int64_t end = log_appender_end_offset(a);
    assert_true(end >= acked);
    log_appender_close(a);
    assert_int_equal(read_all(d, "t", 0, NULL), end);
    rmdir_all(d);
}

/* ---- one writer per partition ----------------------------------------------------- */

static void test_two_writers(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", "os", 0);
    struct log_appender *a, *b;
    struct weir_error err = {0};
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    assert_int_equal(log_appender_open(d, "t", 0, 0, &b, NULL, &err), WEIR_ERR_IO);
    char want[96];
    snprintf(want, sizeof want, "is being written by process %d", (int)getpid());
    assert_non_null(strstr(err.message, want));
    err_clear(&err);
    assert_null(b);
    /* from another process, too; and deleting the topic is refused */
    pid_t pid = fork();
    if (pid == 0) {
        struct weir_error e2 = {0};
        struct log_appender *c;
        int rc = log_appender_open(d, "t", 0, 0, &c, NULL, &e2);
        _exit(rc == WEIR_ERR_IO && strstr(e2.message, want) ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(log_topic_delete(d, "t", &err), WEIR_ERR_IO);
    assert_non_null(strstr(err.message, "cannot delete topic 't'"));
    err_clear(&err);
    struct log_partition_info info;
    assert_int_equal(log_partition_info(d, "t", 0, &info, NULL), WEIR_OK);
    assert_int_equal(info.writer_pid, (int)getpid());
    /* the writer keeps working; once it closes, another may open */
    assert_int_equal(append_batch(a, 0, 5, NULL), WEIR_OK);
    log_appender_close(a);
    pid = fork();
    if (pid == 0) {
        struct log_appender *c;
        if (log_appender_open(d, "t", 0, 0, &c, NULL, NULL))
            _exit(1);
        int rc = append_batch(c, 5, 5, NULL);
        log_appender_close(c);
        _exit(rc == WEIR_OK ? 0 : 2);
    }
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(read_all(d, "t", 0, NULL), 10);
    assert_int_equal(log_partition_info(d, "t", 0, &info, NULL), WEIR_OK);
    assert_int_equal(info.writer_pid, 0);
    rmdir_all(d);
}

/* ---- readers following a live writer ---------------------------------------------- */

#define LIVE_RECORDS 200000

struct live {
    const char *dir;
    int64_t wakeups;
};

static void *live_writer(void *arg)
{
    struct live *l = arg;
    struct log_appender *a;
    if (log_appender_open(l->dir, "t", 0, 0, &a, NULL, NULL))
        return (void *)1;
    unsigned seed = 99;
    int64_t off = 0;
    while (off < LIVE_RECORDS) {
        int n = 1 + (int)(rand_r(&seed) % 64);
        if (off + n > LIVE_RECORDS)
            n = (int)(LIVE_RECORDS - off);
        if (append_batch(a, off, n, NULL))
            return (void *)2;
        off += n;
        if (rand_r(&seed) % 500 == 0)
            usleep(2000);           /* let the reader catch up and sleep */
    }
    log_appender_close(a);
    return NULL;
}

static void test_live_follow_thread(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", "os", 256 << 10);       /* rolls while being read */
    struct log_reader *r;
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_COMMITTED, &r, NULL), WEIR_OK);
    struct live l = {d, 0};
    pthread_t th;
    pthread_create(&th, NULL, live_writer, &l);
    int64_t want = 0, t0 = mono_ms();
    struct weir_error err = {0};
    while (want < LIVE_RECORDS && mono_ms() - t0 < 60000) {
        const struct log_record *recs;
        int n;
        int rc = log_reader_next(r, &recs, &n, &err);
        if (rc == WEIR_AGAIN) {
            rc = log_reader_wait(r, 5000, &err);
            if (rc == WEIR_OK)
                l.wakeups++;
            else if (rc != WEIR_AGAIN)
                fail_msg("wait: %s", err.message);
            continue;
        }
        if (rc)
            fail_msg("read at %lld: %s", (long long)want, err.message);
        for (int i = 0; i < n; i++) {
            char v[24];
            int len = snprintf(v, sizeof v, "v%lld", (long long)want);
            assert_int_equal(recs[i].offset, want);
            assert_memory_equal(recs[i].value, v, (size_t)len);
            want++;
        }
    }
    void *res;
    pthread_join(th, &res);
    assert_null(res);
    assert_int_equal(want, LIVE_RECORDS);
    assert_true(l.wakeups > 0);
    print_message("follower: %d records in %lld ms, %lld wake-ups\n", LIVE_RECORDS,
                  (long long)(mono_ms() - t0), (long long)l.wakeups);
    log_reader_close(r);
    rmdir_all(d);
}

/* A reader in another process wakes within milliseconds of an append. */
static void test_live_follow_process(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", "os", 0);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        struct log_reader *r;
        if (log_reader_open(d, "t", 0, LOG_READ_COMMITTED, &r, NULL))
            _exit(1);
        int64_t want = 0;
        int64_t t0 = mono_ms();
        while (want < 50 && mono_ms() - t0 < 20000) {
            const struct log_record *recs;
            int n;
            int rc = log_reader_next(r, &recs, &n, NULL);
            if (rc == WEIR_AGAIN) {
                log_reader_wait(r, 5000, NULL);
                continue;
            }
            if (rc || recs[0].offset != want)
                _exit(2);
            want += n;
            int64_t now = mono_ms();    /* tell the writer when we saw it */
            if (write(pfd[1], &now, sizeof now) != sizeof now)
                _exit(3);
        }
        _exit(want == 50 ? 0 : 4);
    }
    close(pfd[1]);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    usleep(100000);
    int64_t worst = 0;
    for (int i = 0; i < 50; i++) {
        int64_t sent = mono_ms(), seen;
        assert_int_equal(append_batch(a, i, 1, NULL), WEIR_OK);
        assert_int_equal(read(pfd[0], &seen, sizeof seen), (ssize_t)sizeof seen);
        if (seen - sent > worst)
            worst = seen - sent;
        usleep(10000);              /* the reader is asleep again */
    }
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    print_message("cross-process wake-up: worst %lld ms over 50 appends\n", (long long)worst);
    assert_true(worst < 1000);      /* no polling interval: a wake-up, not a timer */
    close(pfd[0]);
    log_appender_close(a);
    rmdir_all(d);
}

/* ---- durability policies ---------------------------------------------------------- */

static void test_durability_policies(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "b", "batch", 0);
    make_topic(d, "i", "interval:20", 0);
    make_topic(d, "o", "os", 0);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "b", 0, 0, &a, NULL, NULL), WEIR_OK);
    assert_int_equal(append_batch(a, 0, 10, NULL), WEIR_OK);
    assert_int_equal(log_appender_durable_offset(a), 10);
    log_appender_close(a);
    assert_int_equal(log_appender_open(d, "i", 0, 0, &a, NULL, NULL), WEIR_OK);
    assert_int_equal(append_batch(a, 0, 10, NULL), WEIR_OK);
    int64_t t0 = mono_ms();
    while (log_appender_durable_offset(a) < 10 && mono_ms() - t0 < 3000)
        usleep(1000);
    assert_int_equal(log_appender_durable_offset(a), 10);   /* the flusher did it */
    struct log_partition_info info;
    assert_int_equal(log_partition_info(d, "i", 0, &info, NULL), WEIR_OK);
    assert_int_equal(info.durable_offset, 10);
    log_appender_close(a);
    assert_int_equal(log_appender_open(d, "o", 0, 0, &a, NULL, NULL), WEIR_OK);
    assert_int_equal(append_batch(a, 0, 10, NULL), WEIR_OK);
    assert_int_equal(log_appender_durable_offset(a), 0);
    assert_int_equal(log_append_flush(a, NULL), WEIR_OK);
    assert_int_equal(log_appender_durable_offset(a), 10);
    log_appender_close(a);
    rmdir_all(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torn_tail_random),
        cmocka_unit_test(test_torn_sealed_segment),
        cmocka_unit_test(test_crc_mismatch),
        cmocka_unit_test(test_crash_mid_write),
        cmocka_unit_test(test_io_errors),
        cmocka_unit_test(test_kill9_keeps_acknowledged),
        cmocka_unit_test(test_two_writers),
        cmocka_unit_test(test_live_follow_thread),
        cmocka_unit_test(test_live_follow_process),
        cmocka_unit_test(test_durability_policies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
