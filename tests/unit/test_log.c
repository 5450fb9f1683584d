/*
 * test_log.c — unit tests for src/log: CRC-32C and murmur2 against published
 * vectors, batch encode/decode round trips, append then read, index lookups
 * by offset and by timestamp, segment rolling, retention by size and by age,
 * consumer group offsets and lag, transactional appends (commit, abort,
 * discard on recovery), topic create/list/delete and name checks.
 * The fault tests (torn writes, crashes, two writers, a live follower) are in
 * test_log_fault.c.  Every test works in its own directory under /tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    char *d = mem_strdup("/tmp/weir-test-log.XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmdir_all(char *d)
{
    nftw(d, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    mem_free(d);
}

static void make_topic(const char *dir, const char *t, int parts, int64_t seg_bytes,
                       int64_t ret_ms, int64_t ret_bytes)
{
    struct log_topic_config cfg;
    log_topic_config_default(&cfg);
    cfg.n_partitions = parts;
    if (seg_bytes > 0)
        cfg.segment_bytes = seg_bytes;
    cfg.retention_ms = ret_ms;
    cfg.retention_bytes = ret_bytes;
    cfg.index_interval_bytes = 256;
    struct weir_error err = {0};
    int rc = log_topic_create(dir, t, &cfg, &err);
    if (rc)
        fail_msg("create: %s", err.message);
}

/* Appends n records "v<i>" (key "k<i>", timestamp ts0 + i) in batches of per. */
static void append_seq(struct log_appender *a, int64_t first, int n, int per, int64_t ts0)
{
    struct log_record *recs = mem_calloc((size_t)per, sizeof *recs);
    char (*vals)[32] = mem_alloc((size_t)per * 32);
    char (*keys)[32] = mem_alloc((size_t)per * 32);
    for (int i = 0; i < n; i += per) {
        int m = n - i < per ? n - i : per;
        for (int k = 0; k < m; k++) {
            int64_t v = first + i + k;
            recs[k].key = keys[k];
            recs[k].key_len = snprintf(keys[k], 32, "k%lld", (long long)v);
            recs[k].value = vals[k];
            recs[k].value_len = snprintf(vals[k], 32, "v%lld", (long long)v);
            recs[k].timestamp = ts0 > 0 ? ts0 + v : 0;
        }
        int64_t base;
        struct weir_error err = {0};
        int rc = log_append(a, recs, m, &base, &err);
        if (rc)
            fail_msg("append: %s", err.message);
        assert_int_equal(base, first + i);
    }
    mem_free(recs);
    mem_free(vals);
    mem_free(keys);
}

/* Reads everything visible from r and checks values v<from> .. v<to-1>. */
static void read_expect(struct log_reader *r, int64_t from, int64_t to)
{
    int64_t want = from;
    struct weir_error err = {0};
    for (int guard = 0; guard < 1000000; guard++) {
        const struct log_record *recs;
        int n;
        int rc = log_reader_next(r, &recs, &n, &err);
        if (rc == WEIR_AGAIN)
            break;
        if (rc)
            fail_msg("read: %s", err.message);
        for (int i = 0; i < n; i++) {
            char v[32];
            int len = snprintf(v, sizeof v, "v%lld", (long long)want);
            assert_int_equal(recs[i].offset, want);
            assert_int_equal(recs[i].value_len, len);
            assert_memory_equal(recs[i].value, v, (size_t)len);
            want++;
        }
    }
    assert_int_equal(want, to);
}

static int count_segments(const char *dir, const char *t, int p)
{
    char *pdir = log_part_path(dir, t, p);
    int64_t *b;
    int n;
    assert_int_equal(log_segments_list(pdir, &b, &n, NULL), WEIR_OK);
    mem_free(b);
    mem_free(pdir);
    return n;
}

/* ---- checksums and hashes --------------------------------------------------------- */

static void test_crc32c_vectors(void **state)
{
    (void)state;
    /* RFC 3720 appendix B.4 and the classic check value */
    uint8_t buf[48];
    assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(crc32c_sw(0, "123456789", 9), 0xE3069283u);
    memset(buf, 0, 32);
    assert_int_equal(crc32c(0, buf, 32), 0x8A9136AAu);
    assert_int_equal(crc32c_sw(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, 32);
    assert_int_equal(crc32c(0, buf, 32), 0x62A8AB43u);
    assert_int_equal(crc32c_sw(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(crc32c(0, buf, 32), 0x46DD794Eu);
    assert_int_equal(crc32c_sw(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(crc32c(0, buf, 32), 0x113FDB5Cu);
    /* incremental == one shot, hardware == software on odd lengths */
    uint8_t big[1000];
    for (int i = 0; i < 1000; i++)
        big[i] = (uint8_t)(i * 131 + 7);
    for (int n = 0; n < 1000; n += 37) {
        uint32_t one = crc32c(0, big, (size_t)n);
        assert_int_equal(one, crc32c_sw(0, big, (size_t)n));
        uint32_t two = crc32c(crc32c(0, big, (size_t)n / 3), big + n / 3,
                                  (size_t)(n - n / 3));
        assert_int_equal(one, two);
    }
}

static void test_murmur2_kafka(void **state)
{
    (void)state;
    /* Kafka's UtilsTest.testMurmur2 */
    assert_int_equal((int32_t)log_murmur2("21", 2), -973932308);
    assert_int_equal((int32_t)log_murmur2("foobar", 6), -790332482);
    assert_int_equal((int32_t)log_murmur2("a-little-bit-long-string", 24), -985981536);
    assert_int_equal((int32_t)log_murmur2("a-little-bit-longer-string", 26), -1486304829);
    const char *l = "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8";
    assert_int_equal((int32_t)log_murmur2(l, strlen(l)), -58897971);
    assert_int_equal((int32_t)log_murmur2("abc", 3), 479470107);
    for (int n = 1; n < 10; n++)
        assert_true(log_partition_for_key("foobar", 6, n) < n);
}

/* ---- batches ---------------------------------------------------------------------- */

static void test_batch_roundtrip(void **state)
{
    (void)state;
    struct log_header hd[2] = {{"trace", 5, "abc", 3}, {"nullh", 5, NULL, -1}};
    struct log_record in[4] = {
        {0, 1000, "key", 3, "value", 5, 2, hd},
        {0, 990, NULL, -1, "", 0, 0, NULL},             /* older timestamp, empty value */
        {0, 1005, "", 0, NULL, -1, 0, NULL},            /* empty key, null value */
        {0, 0, "k", 1, "now", 3, 0, NULL},              /* timestamp "now" */
    };
    struct strbuf sb = {0};
    size_t len = log_batch_encode(&sb, in, 4, 42, 5000);
    assert_int_equal(len, sb.len);
    struct log_batch_hdr h;
    assert_int_equal(log_batch_check((uint8_t *)sb.buf, len, 42, true, &h), WEIR_OK);
    assert_int_equal(h.n_records, 4);
    assert_int_equal(h.max_timestamp, 5000);
    assert_int_equal(log_batch_check((uint8_t *)sb.buf, len - 1, 42, true, &h), WEIR_AGAIN);
    assert_int_equal(log_batch_check((uint8_t *)sb.buf, len, 41, true, &h), WEIR_ERR_CORRUPT);
    struct log_record out[4];
    struct log_header *hdrs = NULL;
    int hcap = 0;
    assert_int_equal(log_batch_decode((uint8_t *)sb.buf, &h, out, &hdrs, &hcap), WEIR_OK);
    assert_int_equal(out[0].offset, 42);
    assert_int_equal(out[3].offset, 45);
    assert_int_equal(out[0].timestamp, 1000);
    assert_int_equal(out[1].timestamp, 990);
    assert_int_equal(out[3].timestamp, 5000);
    assert_memory_equal(out[0].key, "key", 3);
    assert_int_equal(out[0].n_headers, 2);
    assert_memory_equal(out[0].headers[0].key, "trace", 5);
    assert_memory_equal(out[0].headers[0].value, "abc", 3);
    assert_null(out[0].headers[1].value);
    assert_null(out[1].key);
    assert_int_equal(out[1].key_len, -1);
    assert_non_null(out[1].value);
    assert_int_equal(out[1].value_len, 0);
    assert_non_null(out[2].key);
    assert_int_equal(out[2].key_len, 0);
    assert_null(out[2].value);
    /* one flipped bit anywhere after the crc field is caught */
    for (size_t i = 12; i < len; i++) {
        sb.buf[i] ^= 0x10;
        assert_int_not_equal(log_batch_check((uint8_t *)sb.buf, len, 42, true, &h), WEIR_OK);
        sb.buf[i] ^= 0x10;
    }
    mem_free(hdrs);
    sb_free(&sb);
}

/* ---- topics ----------------------------------------------------------------------- */

static void test_topic_admin(void **state)
{
    (void)state;
    char *d = tmpdir();
    struct weir_error err = {0};
    make_topic(d, "orders", 3, 0, -1, -1);
    make_topic(d, "clicks", 1, 0, -1, -1);
    struct log_topic_config cfg;
    log_topic_config_default(&cfg);
    assert_int_equal(log_topic_create(d, "orders", &cfg, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "already exists"));
    err_clear(&err);
    assert_int_equal(log_topic_create(d, "../x", &cfg, &err), WEIR_ERR_CONFIG);
    err_clear(&err);
    cfg.n_partitions = 0;
    assert_int_equal(log_topic_create(d, "zero", &cfg, &err), WEIR_ERR_CONFIG);
    err_clear(&err);
    assert_int_equal(log_durability_parse("interval:250", &cfg, NULL), WEIR_OK);
    assert_int_equal(cfg.interval_ms, 250);
    assert_int_equal(log_durability_parse("sometimes", &cfg, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "batch, interval:MS, os"));
    err_clear(&err);
    char **names;
    int n;
    assert_int_equal(log_topic_list(d, &names, &n, NULL), WEIR_OK);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "clicks");
    assert_string_equal(names[1], "orders");
    log_names_free(names, n);
    assert_int_equal(log_topic_config_read(d, "orders", &cfg, NULL), WEIR_OK);
    assert_int_equal(cfg.n_partitions, 3);
    assert_int_equal(log_topic_delete(d, "orders", NULL), WEIR_OK);
    assert_int_equal(log_topic_config_read(d, "orders", &cfg, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "unknown topic 'orders'"));
    err_clear(&err);
    /* a partition out of range names the valid ones */
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "clicks", 1, 0, &a, NULL, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "(0..0)"));
    err_clear(&err);
    rmdir_all(d);
}

/* ---- append / read / index -------------------------------------------------------- */

static void test_append_read(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", 1, 0, -1, -1);
    struct log_appender *a;
    struct weir_error err = {0};
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, &err), WEIR_OK);
    append_seq(a, 0, 5000, 7, 1000000);
    assert_int_equal(log_appender_end_offset(a), 5000);
    struct log_reader *r;
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_COMMITTED, &r, NULL), WEIR_OK);
    read_expect(r, 0, 5000);
    /* seek by offset: into the middle of a batch, to the end, before the start */
    for (int64_t off = 0; off <= 5000; off += 333) {
        assert_int_equal(log_reader_seek(r, off, NULL), WEIR_OK);
        assert_int_equal(log_reader_position(r), off);
        read_expect(r, off, 5000);
    }
    assert_int_equal(log_reader_seek(r, -5, NULL), WEIR_OK);
    assert_int_equal(log_reader_position(r), 0);
    assert_int_equal(log_reader_seek(r, 999999, NULL), WEIR_OK);
    assert_int_equal(log_reader_position(r), 5000);
    /* seek by timestamp: record v has timestamp 1000000 + v */
    for (int64_t v = 0; v < 5000; v += 411) {
        assert_int_equal(log_reader_seek_time(r, 1000000 + v, NULL), WEIR_OK);
        assert_int_equal(log_reader_position(r), v);
    }
    assert_int_equal(log_reader_seek_time(r, 0, NULL), WEIR_OK);
    assert_int_equal(log_reader_position(r), 0);
    assert_int_equal(log_reader_seek_time(r, 9000000, NULL), WEIR_OK);
    assert_int_equal(log_reader_position(r), 5000);
    int64_t s, e;
    assert_int_equal(log_reader_offsets(r, &s, &e, NULL), WEIR_OK);
    assert_int_equal(s, 0);
    assert_int_equal(e, 5000);
    log_reader_close(r);
    log_appender_close(a);
    /* reopen: the appender continues at 5000 and the index was rebuilt */
    struct log_recovery rec;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, &rec, &err), WEIR_OK);
    assert_int_equal(rec.truncated_bytes, 0);
    assert_int_equal(log_appender_end_offset(a), 5000);
    append_seq(a, 5000, 10, 10, 1000000);
    log_appender_close(a);
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_COMMITTED, &r, NULL), WEIR_OK);
    read_expect(r, 0, 5010);
    log_reader_close(r);
    rmdir_all(d);
}

static void test_index_lookup(void **state)
{
    (void)state;
    struct log_index_entry e[4] = {{100, 0, 10}, {110, 500, 20}, {130, 900, 20},
                                   {150, 1400, 45}};
    struct log_index_entry x = log_index_floor_offset(e, 4, 100, 129);
    assert_int_equal(x.offset, 110);
    assert_int_equal(x.pos, 500);
    x = log_index_floor_offset(e, 4, 100, 130);
    assert_int_equal(x.pos, 900);
    x = log_index_floor_offset(e, 4, 100, 99999);
    assert_int_equal(x.pos, 1400);
    x = log_index_floor_offset(e, 0, 100, 120);
    assert_int_equal(x.offset, 100);
    assert_int_equal(x.pos, 0);
    x = log_index_floor_time(e, 4, 100, 20);    /* last entry with ts < 20 */
    assert_int_equal(x.offset, 100);
    x = log_index_floor_time(e, 4, 100, 21);
    assert_int_equal(x.offset, 130);
    x = log_index_floor_time(e, 4, 100, 5);
    assert_int_equal(x.pos, 0);
    /* on disk: index entries are sparse, sorted, one per >= 256 bytes */
    char *d = tmpdir();
    make_topic(d, "t", 1, 0, -1, -1);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    append_seq(a, 0, 2000, 3, 5000);
    log_appender_close(a);
    char *pdir = log_part_path(d, "t", 0);
    struct log_index_entry *ie;
    int n;
    assert_int_equal(log_index_load(pdir, 0, false, INT64_MAX, &ie, &n), WEIR_OK);
    assert_true(n > 10);
    for (int i = 1; i < n; i++) {
        assert_true(ie[i].offset > ie[i - 1].offset);
        assert_true(ie[i].pos - ie[i - 1].pos >= 256);
    }
    mem_free(ie);
    assert_int_equal(log_index_load(pdir, 0, true, INT64_MAX, &ie, &n), WEIR_OK);
    assert_true(n > 10);
    for (int i = 1; i < n; i++)
        assert_true(ie[i].timestamp > ie[i - 1].timestamp);
    mem_free(ie);
    mem_free(pdir);
    rmdir_all(d);
}

static void test_out_of_order_timestamps(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", 1, 0, -1, -1);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    /* timestamps 100, 50, 300, 200, 400 (one record per batch) */
    int64_t ts[5] = {100, 50, 300, 200, 400};
    for (int i = 0; i < 5; i++) {
        struct log_record r = {0, ts[i], NULL, -1, "x", 1, 0, NULL};
        assert_int_equal(log_append(a, &r, 1, NULL, NULL), WEIR_OK);
    }
    struct log_reader *r;
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_COMMITTED, &r, NULL), WEIR_OK);
    assert_int_equal(log_reader_seek_time(r, 150, NULL), WEIR_OK);
    assert_int_equal(log_reader_position(r), 2);     /* first record with ts >= 150 */
    assert_int_equal(log_reader_seek_time(r, 50, NULL), WEIR_OK);
    assert_int_equal(log_reader_position(r), 0);
    log_reader_close(r);
    log_appender_close(a);
    rmdir_all(d);
}

static void test_segment_rolling(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", 1, 4096, -1, -1);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    append_seq(a, 0, 3000, 10, 1000);
    int nseg = count_segments(d, "t", 0);
    assert_true(nseg >= 10);
    /* segment names are base offsets and each ends where the next begins */
    char *pdir = log_part_path(d, "t", 0);
    int64_t *b;
    int n;
    assert_int_equal(log_segments_list(pdir, &b, &n, NULL), WEIR_OK);
    for (int i = 0; i + 1 < n; i++) {
        char *f = log_seg_path(pdir, b[i], "log");
        struct stat sb;
        assert_int_equal(stat(f, &sb), 0);
        assert_true(sb.st_size <= 4096);
        mem_free(f);
        /* the sealed segment's last time-index entry holds its largest ts */
        struct log_index_entry *ie;
        int ne;
        log_index_load(pdir, b[i], true, INT64_MAX, &ie, &ne);
        assert_true(ne > 0);
        assert_int_equal(ie[ne - 1].timestamp, 1000 + b[i + 1] - 1);
        mem_free(ie);
    }
    mem_free(b);
    mem_free(pdir);
    struct log_reader *r;
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_COMMITTED, &r, NULL), WEIR_OK);
    read_expect(r, 0, 3000);
    assert_int_equal(log_reader_seek(r, 1777, NULL), WEIR_OK);
    read_expect(r, 1777, 3000);
    assert_int_equal(log_reader_seek_time(r, 1000 + 2222, NULL), WEIR_OK);
    assert_int_equal(log_reader_position(r), 2222);
    log_reader_close(r);
    log_appender_close(a);
    /* reopen checks every sealed segment's tail and keeps all of them */
    struct log_recovery rec;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, &rec, NULL), WEIR_OK);
    assert_int_equal(rec.truncated_bytes, 0);
    assert_int_equal(count_segments(d, "t", 0), nseg);
    log_appender_close(a);
    rmdir_all(d);
}

static void test_retention_size(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", 1, 2048, -1, 8192);
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    append_seq(a, 0, 5000, 10, 0);
    /* retention runs at each roll, so at most retention + the sealed segment
     * that crosses it + the active one stay; offsets are not renumbered */
    struct log_partition_info info;
    assert_int_equal(log_partition_info(d, "t", 0, &info, NULL), WEIR_OK);
    assert_true(info.size_bytes <= 8192 + 2 * 2048);
    assert_true(info.size_bytes >= 8192 - 2048);
    assert_true(info.start_offset > 0);
    assert_int_equal(info.end_offset, 5000);
    struct log_reader *r;
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_COMMITTED, &r, NULL), WEIR_OK);
    assert_int_equal(log_reader_position(r), info.start_offset);
    read_expect(r, info.start_offset, 5000);
    assert_int_equal(log_reader_seek(r, 0, NULL), WEIR_OK);   /* below start: start */
    assert_int_equal(log_reader_position(r), info.start_offset);
    log_reader_close(r);
    log_appender_close(a);
    rmdir_all(d);
}

static void test_retention_age(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", 1, 2048, 60000, -1);     /* keep one minute */
    struct log_appender *a;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, NULL, NULL), WEIR_OK);
    int64_t now = log_now_ms();
    append_seq(a, 0, 1000, 10, now - 3600000);  /* an hour old */
    append_seq(a, 1000, 1000, 10, now - 1000);  /* fresh */
    struct log_partition_info info;
    assert_int_equal(log_partition_info(d, "t", 0, &info, NULL), WEIR_OK);
    /* rolls applied retention as they went: the old segments are gone,
     * except the one that also holds fresh records */
    assert_true(info.start_offset > 800);
    assert_true(info.start_offset <= 1000);
    int deleted = -1;
    assert_int_equal(log_retention_apply(a, now + 3600000, &deleted, NULL), WEIR_OK);
    assert_true(deleted > 0);                   /* later, all sealed ones go */
    assert_int_equal(count_segments(d, "t", 0), 1);
    assert_int_equal(log_partition_info(d, "t", 0, &info, NULL), WEIR_OK);
    assert_int_equal(info.end_offset, 2000);
    struct log_reader *r;
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_COMMITTED, &r, NULL), WEIR_OK);
    read_expect(r, info.start_offset, 2000);
    log_reader_close(r);
    log_appender_close(a);
    rmdir_all(d);
}

/* ---- groups ----------------------------------------------------------------------- */

static void test_groups(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", 2, 0, -1, -1);
    struct log_appender *a0, *a1;
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a0, NULL, NULL), WEIR_OK);
    assert_int_equal(log_appender_open(d, "t", 1, 0, &a1, NULL, NULL), WEIR_OK);
    append_seq(a0, 0, 100, 10, 0);
    append_seq(a1, 0, 40, 10, 0);
    int64_t off;
    assert_int_equal(log_group_fetch(d, "g", "t", 0, &off, NULL), WEIR_OK);
    assert_int_equal(off, -1);
    assert_int_equal(log_group_commit(d, "g", "t", 0, 60, NULL), WEIR_OK);
    assert_int_equal(log_group_fetch(d, "g", "t", 0, &off, NULL), WEIR_OK);
    assert_int_equal(off, 60);
    assert_int_equal(log_group_commit(d, "g", "t", 0, 75, NULL), WEIR_OK);
    assert_int_equal(log_group_fetch(d, "g", "t", 0, &off, NULL), WEIR_OK);
    assert_int_equal(off, 75);
    assert_int_equal(log_group_commit(d, "other", "t", 1, 40, NULL), WEIR_OK);
    struct log_lag *l;
    int n;
    assert_int_equal(log_group_lag(d, "g", "t", &l, &n, NULL), WEIR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(l[0].committed, 75);
    assert_int_equal(l[0].end, 100);
    assert_int_equal(l[0].lag, 25);
    assert_int_equal(l[1].committed, -1);
    assert_int_equal(l[1].lag, 40);             /* nothing committed: all of it */
    mem_free(l);
    char **names;
    assert_int_equal(log_group_list(d, &names, &n, NULL), WEIR_OK);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "g");
    log_names_free(names, n);
    /* a corrupt offset file is reported, not guessed */
    char *p = mem_sprintf("%s/groups/g/t/0.offset", d);
    FILE *f = fopen(p, "r+b");
    fputc('X', f);
    fclose(f);
    struct weir_error err = {0};
    assert_int_equal(log_group_fetch(d, "g", "t", 0, &off, &err), WEIR_ERR_CORRUPT);
    err_clear(&err);
    mem_free(p);
    assert_int_equal(log_group_commit(d, "bad/name", "t", 0, 1, &err), WEIR_ERR_CONFIG);
    err_clear(&err);
    log_appender_close(a0);
    log_appender_close(a1);
    /* deleting the topic drops the groups' offsets for it */
    assert_int_equal(log_topic_delete(d, "t", NULL), WEIR_OK);
    assert_int_equal(log_group_topics(d, "g", &names, &n, NULL), WEIR_OK);
    assert_int_equal(n, 0);
    log_names_free(names, n);
    rmdir_all(d);
}

/* ---- transactions ----------------------------------------------------------------- */

static void test_transactions(void **state)
{
    (void)state;
    char *d = tmpdir();
    make_topic(d, "t", 1, 2048, -1, -1);
    struct log_appender *a;
    struct weir_error err = {0};
    assert_int_equal(log_appender_open(d, "t", 0, LOG_APPEND_TRANSACTIONAL, &a, NULL, &err),
                     WEIR_OK);
    append_seq(a, 0, 100, 10, 0);
    struct log_reader *rc, *ru;
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_COMMITTED, &rc, NULL), WEIR_OK);
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_UNCOMMITTED, &ru, NULL), WEIR_OK);
    read_expect(rc, 0, 0);                      /* nothing committed yet */
    read_expect(ru, 0, 100);
    assert_int_equal(log_reader_wait(rc, 20, NULL), WEIR_AGAIN);
    assert_int_equal(log_commit(a, 55, &err), WEIR_ERR_CONFIG);   /* inside a batch */
    assert_non_null(strstr(err.message, "not the end of a batch"));
    err_clear(&err);
    assert_int_equal(log_commit(a, 60, NULL), WEIR_OK);
    assert_int_equal(log_reader_wait(rc, 1000, NULL), WEIR_OK);
    read_expect(rc, 0, 60);
    /* abort: 60..99 disappear, the next append reuses offset 60 */
    assert_int_equal(log_abort(a, NULL), WEIR_OK);
    assert_int_equal(log_appender_end_offset(a), 60);
    append_seq(a, 60, 500, 10, 0);              /* rolls segments */
    assert_int_equal(log_commit(a, 300, NULL), WEIR_OK);
    read_expect(rc, 60, 300);
    /* a crash with 300..559 uncommitted: the recovering job (transactional)
     * still sees them and decides; here it aborts */
    log_appender_close(a);
    struct log_recovery rec;
    assert_int_equal(log_appender_open(d, "t", 0, LOG_APPEND_TRANSACTIONAL, &a, &rec, NULL),
                     WEIR_OK);
    assert_int_equal(log_appender_committed_offset(a), 300);
    assert_int_equal(log_appender_end_offset(a), 560);
    assert_int_equal(log_abort(a, NULL), WEIR_OK);
    append_seq(a, 300, 20, 10, 0);
    log_appender_close(a);
    /* a plain writer discards an unfinished transaction when it opens */
    assert_int_equal(log_appender_open(d, "t", 0, 0, &a, &rec, NULL), WEIR_OK);
    assert_int_equal(rec.discarded_uncommitted, 20);
    assert_int_equal(log_appender_end_offset(a), 300);
    append_seq(a, 300, 10, 10, 0);
    read_expect(rc, 300, 310);                  /* the reader saw the new generation */
    log_reader_close(ru);
    assert_int_equal(log_reader_open(d, "t", 0, LOG_READ_UNCOMMITTED, &ru, NULL), WEIR_OK);
    read_expect(ru, 0, 310);
    log_reader_close(rc);
    log_reader_close(ru);
    log_appender_close(a);
    rmdir_all(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test(test_murmur2_kafka),
        cmocka_unit_test(test_batch_roundtrip),
        cmocka_unit_test(test_topic_admin),
        cmocka_unit_test(test_append_read),
        cmocka_unit_test(test_index_lookup),
        cmocka_unit_test(test_out_of_order_timestamps),
        cmocka_unit_test(test_segment_rolling),
        cmocka_unit_test(test_retention_size),
        cmocka_unit_test(test_retention_age),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_transactions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
