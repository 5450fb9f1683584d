/*
 * test_log_connector.c — the 'log' connector (src/connectors/log/) driven
 * through its source and sink ops over a real log in a temp directory:
 * the source reads every partition (split by subtask), startup modes, bounded
 * modes, position/seek round trip, dead letters, group offsets; the sink
 * partitions by key exactly as log_partition_for_key, appenders shared by
 * subtasks, and exactly-once: rows invisible to read-committed readers until
 * flush/commit, discarded by abort.  Every wait is bounded (WAIT_MS).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "exec/deadletter.h"
#include "formats/format.h"
#include "log/log.h"
#include "scratch.h"

#define WAIT_MS 10000

static char dir[160];

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

static int setup(void **state)
{
    (void)state;
    int rc = scratch_make("logconn");
    snprintf(dir, sizeof(dir), "%s/data", root);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    return scratch_remove();
}

static void topic(const char *name, int partitions)
{
    struct log_topic_config cfg;
    log_topic_config_default(&cfg);
    cfg.n_partitions = partitions;
    struct weir_error err = {0};
    if (log_topic_create(dir, name, &cfg, &err) != WEIR_OK)
        fail_msg("%s", err.message);
}

/* Appends values "{\"id\":<first+i>}" (or `raw` if set) to a partition, with
 * timestamps ts0 + i (ts0 <= 0: now). */
static void produce(const char *t, int p, int first, int n, int64_t ts0, const char *raw)
{
    struct log_appender *a;
    struct weir_error err = {0};
    if (log_appender_open(dir, t, p, 0, &a, NULL, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    for (int i = 0; i < n; i++) {
        char v[64];
        if (raw)
            snprintf(v, sizeof(v), "%s", raw);
        else
            snprintf(v, sizeof(v), "{\"id\":%d}", first + i);
        struct log_record r = {.timestamp = ts0 > 0 ? ts0 + i : 0, .key = NULL,
                               .key_len = -1, .value = v, .value_len = (int32_t)strlen(v)};
        if (log_append(a, &r, 1, NULL, &err) != WEIR_OK)
            fail_msg("%s", err.message);
    }
    log_appender_close(a);
}

/* ---- source harness: (id BIGINT, part INT METADATA partition, off BIGINT
 * METADATA offset, ts TIMESTAMP_LTZ(3) METADATA timestamp) ------------------------ */

struct hs {
    struct opt_set *o;
    struct table_ctx t;
    struct source *src;
    struct batch *b;
    struct deadletter *dlq;
    int64_t ids[4096];
    int parts[4096];
    int64_t offs[4096];
    int64_t ts[4096];
    int n;
    bool done;
};

static const char *s_names[] = {"id", "part", "off", "ts"};
static const struct sql_type *s_types[4];
static const char *s_md[] = {NULL, "partition", "offset", "timestamp"};
static const char *s_all[] = {"id"};
static const struct sql_type *s_all_types[1];
static const int s_proj[] = {0, -1, -1, -1};

static struct opt_set *opts(const char *conn_topic, const char *const *kv, bool as_source)
{
    const char *keys[24], *vals[24];
    int n = 0;
    keys[n] = "connector", vals[n++] = "log";
    keys[n] = "topic", vals[n++] = conn_topic;
    keys[n] = "format", vals[n++] = "json";
    keys[n] = "data-dir", vals[n++] = dir;
    for (int i = 0; kv && kv[i]; i += 2)
        keys[n] = kv[i], vals[n++] = kv[i + 1];
    struct opt_set *o = NULL;
    struct weir_error err = {0};
    if (conn_validate(conn_lookup("log"), format_lookup("json"), "t", n, keys, vals,
                      as_source, &o, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    return o;
}

static int hs_try_open(struct hs *h, const char *t, const char *const *kv, int subtask,
                       int parallelism, struct weir_error *err)
{
    memset(h, 0, sizeof(*h));
    s_types[0] = &type_bigint;
    s_types[1] = &type_int;
    s_types[2] = &type_bigint;
    s_types[3] = &type_timestamp_ltz3;
    s_all_types[0] = &type_bigint;
    h->o = opts(t, kv, true);
    char p[300];
    snprintf(p, sizeof(p), "%s/dlq-%d.jsonl", root, subtask);
    h->dlq = dlq_open(p, err);
    assert_non_null(h->dlq);
    h->t = (struct table_ctx){.table_name = "t", .n_cols = 4, .col_names = s_names,
                              .col_types = s_types, .col_metadata = s_md,
                              .n_all_physical = 1, .all_physical_names = s_all,
                              .all_physical_types = s_all_types, .projection = s_proj,
                              .opts = h->o, .format = format_lookup("json"),
                              .dlq = h->dlq, .subtask = subtask,
                              .parallelism = parallelism};
    int rc = conn_lookup("log")->source_create(&h->t, &h->src, err);
    if (rc != WEIR_OK)
        return rc;
    h->b = batch_new(4, s_types);
    return h->src->ops->open(h->src, err);
}

static void hs_open(struct hs *h, const char *t, const char *const *kv, int subtask,
                    int parallelism)
{
    struct weir_error err = {0};
    if (hs_try_open(h, t, kv, subtask, parallelism, &err) != WEIR_OK)
        fail_msg("%s", err.message);
}

static void hs_close(struct hs *h)
{
    if (h->src)
        h->src->ops->close(h->src);
    batch_free(h->b);
    dlq_close(h->dlq);
    opt_set_free(h->o);
}

static int hs_poll(struct hs *h)
{
    struct weir_error err = {0};
    batch_reset(h->b);
    int rc = h->src->ops->poll(h->src, h->b, &err);
    if (rc < 0)
        fail_msg("poll: %s", err.message);
    for (int i = 0; i < h->b->n && h->n < 4096; i++) {
        h->ids[h->n] = h->b->cols[0].i64[i];
        h->parts[h->n] = (int)h->b->cols[1].i64[i];
        h->offs[h->n] = h->b->cols[2].i64[i];
        h->ts[h->n] = h->b->cols[3].i64[i];
        h->n++;
    }
    if (rc == WEIR_DONE)
        h->done = true;
    return rc;
}

/* Polls until the source ends (bounded), `want` rows arrived, or WAIT_MS. */
static int hs_collect(struct hs *h, int want)
{
    int64_t deadline = now_ms() + WAIT_MS;
    while (!h->done && (want < 0 || h->n < want) && now_ms() < deadline)
        if (hs_poll(h) == WEIR_AGAIN)
            sleep_ms(2);
    return h->n;
}

static bool has_id(const struct hs *h, int64_t id)
{
    for (int i = 0; i < h->n; i++)
        if (h->ids[i] == id)
            return true;
    return false;
}

static const char *const BOUNDED[] = {"scan.bounded.mode", "latest-offset", NULL};

/* ---- source tests --------------------------------------------------------------- */

static void test_reads_all_partitions(void **state)
{
    (void)state;
    topic("in", 3);
    for (int p = 0; p < 3; p++)
        produce("in", p, p * 100, 10, 0, NULL);
    struct hs h;
    hs_open(&h, "in", BOUNDED, 0, 1);
    assert_int_equal(hs_collect(&h, -1), 30);
    assert_true(h.done);
    for (int i = 0; i < h.n; i++) {
        assert_int_equal(h.parts[i], h.ids[i] / 100);       /* metadata: partition */
        assert_int_equal(h.offs[i], h.ids[i] % 100);        /* metadata: offset */
        assert_true(h.ts[i] > 1600000000000000LL);          /* µs since the epoch */
    }
    for (int p = 0; p < 3; p++)
        for (int i = 0; i < 10; i++)
            assert_true(has_id(&h, p * 100 + i));
    hs_close(&h);

    /* parallelism 2: subtask 0 reads partitions 0 and 2, subtask 1 partition 1 */
    struct hs a, b;
    hs_open(&a, "in", BOUNDED, 0, 2);
    hs_open(&b, "in", BOUNDED, 1, 2);
    assert_int_equal(hs_collect(&a, -1), 20);
    assert_int_equal(hs_collect(&b, -1), 10);
    for (int i = 0; i < a.n; i++)
        assert_int_not_equal(a.parts[i], 1);
    for (int i = 0; i < b.n; i++)
        assert_int_equal(b.parts[i], 1);
    hs_close(&a);
    hs_close(&b);
}

static void test_bounded_ends_at_open_end(void **state)
{
    (void)state;
    topic("in", 1);
    produce("in", 0, 0, 5, 0, NULL);
    struct hs h;
    hs_open(&h, "in", BOUNDED, 0, 1);
    produce("in", 0, 5, 5, 0, NULL);        /* after open: past the bound */
    assert_int_equal(hs_collect(&h, -1), 5);
    assert_true(h.done);
    assert_false(has_id(&h, 5));
    hs_close(&h);

    /* unbounded follows the topic */
    hs_open(&h, "in", NULL, 0, 1);
    assert_int_equal(hs_collect(&h, 10), 10);
    produce("in", 0, 10, 3, 0, NULL);
    assert_int_equal(hs_collect(&h, 13), 13);
    assert_false(h.done);
    assert_int_equal(hs_poll(&h), WEIR_AGAIN);
    hs_close(&h);
}

static void test_startup_modes(void **state)
{
    (void)state;
    topic("in", 1);
    produce("in", 0, 0, 10, 1000000, NULL);     /* timestamps 1000000 + i */
    struct hs h;
    /* latest-offset: nothing old */
    const char *latest[] = {"scan.startup.mode", "latest-offset", NULL};
    hs_open(&h, "in", latest, 0, 1);
    produce("in", 0, 10, 2, 2000000, NULL);
    assert_int_equal(hs_collect(&h, 2), 2);
    assert_int_equal(h.ids[0], 10);
    assert_int_equal(h.ids[1], 11);
    hs_close(&h);
    /* timestamp: from the first record at or after the time */
    const char *ts[] = {"scan.startup.mode", "timestamp",
                        "scan.startup.timestamp-millis", "1000004",
                        "scan.bounded.mode", "timestamp",
                        "scan.bounded.timestamp-millis", "1000007", NULL};
    hs_open(&h, "in", ts, 0, 1);
    assert_int_equal(hs_collect(&h, -1), 4);            /* 4, 5, 6, 7 */
    assert_int_equal(h.ids[0], 4);
    assert_int_equal(h.ids[3], 7);
    assert_int_equal(h.ts[0], 1000004LL * 1000);
    hs_close(&h);
    /* group-offsets: from the group's committed offset */
    struct weir_error err = {0};
    assert_int_equal(log_group_commit(dir, "g1", "in", 0, 7, &err), WEIR_OK);
    const char *grp[] = {"scan.startup.mode", "group-offsets",
                         "properties.group.id", "g1",
                         "scan.bounded.mode", "latest-offset", NULL};
    hs_open(&h, "in", grp, 0, 1);
    assert_int_equal(hs_collect(&h, -1), 5);            /* 7 .. 11 */
    assert_int_equal(h.ids[0], 7);
    hs_close(&h);
    /* ... and the source committed where it ended */
    int64_t off = -1;
    assert_int_equal(log_group_fetch(dir, "g1", "in", 0, &off, &err), WEIR_OK);
    assert_int_equal(off, 12);
    /* timestamp mode without its time is a config error */
    const char *bad[] = {"scan.startup.mode", "timestamp", NULL};
    assert_int_equal(hs_try_open(&h, "in", bad, 0, 1, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "scan.startup.timestamp-millis"));
    err_clear(&err);
    hs_close(&h);
}

static void test_position_seek(void **state)
{
    (void)state;
    topic("in", 3);
    for (int p = 0; p < 3; p++)
        produce("in", p, p * 100, 10, 0, NULL);
    struct hs h;
    hs_open(&h, "in", BOUNDED, 0, 1);
    hs_collect(&h, -1);
    struct strbuf sb = {0};
    h.src->ops->position(h.src, &sb);
    assert_string_equal(sb.buf, "v1\npart 0 10 10\npart 1 10 10\npart 2 10 10\n");
    sb_free(&sb);
    hs_close(&h);

    /* a new source seeks to a position and reads from there */
    produce("in", 1, 110, 2, 0, NULL);
    struct weir_error err = {0};
    hs_open(&h, "in", BOUNDED, 0, 1);
    assert_int_equal(h.src->ops->seek(h.src, (const char *const[]){"v1\npart 0 7 -1\npart 1 10 -1\npart 2 10 -1\n"}, 1, &err), WEIR_OK);
    assert_int_equal(hs_collect(&h, -1), 5);    /* 7, 8, 9 of p0; 110, 111 of p1 */
    assert_true(has_id(&h, 7) && has_id(&h, 9) && has_id(&h, 110) && has_id(&h, 111));
    assert_false(has_id(&h, 6));
    h.src->ops->position(h.src, &sb);
    assert_string_equal(sb.buf, "v1\npart 0 10 10\npart 1 12 12\npart 2 10 10\n");
    sb_free(&sb);
    assert_int_equal(h.src->ops->seek(h.src, (const char *const[]){"0:x"}, 1, &err), WEIR_ERR_CORRUPT);
    err_clear(&err);
    hs_close(&h);
}

static void test_dead_letter(void **state)
{
    (void)state;
    topic("in", 1);
    produce("in", 0, 0, 2, 0, NULL);
    produce("in", 0, 0, 1, 0, "not json at all");      /* offset 2 */
    produce("in", 0, 3, 2, 0, NULL);
    struct hs h;
    hs_open(&h, "in", BOUNDED, 0, 1);
    assert_int_equal(hs_collect(&h, -1), 4);
    assert_int_equal(dlq_count(h.dlq), 1);
    assert_int_equal(atomic_load(&h.src->metrics.dead_letters), 1);
    hs_close(&h);
    char p[300];
    snprintf(p, sizeof(p), "%s/dlq-0.jsonl", root);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[4096] = {0};
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_non_null(strstr(line, "in/0@2"));
    assert_non_null(strstr(line, "not json at all"));
}

static void test_missing_topic(void **state)
{
    (void)state;
    struct hs h;
    struct weir_error err = {0};
    assert_int_equal(hs_try_open(&h, "nosuch", NULL, 0, 1, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "weir topic create nosuch"));
    err_clear(&err);
    hs_close(&h);
}

/* ---- sink harness: (k STRING, v BIGINT) ------------------------------------------ */

static const char *k_names[] = {"k", "v"};
static const struct sql_type *k_types[2];
static const int k_proj[] = {0, 1};

struct hk {
    struct opt_set *o;
    struct table_ctx t;
    struct sink *snk;
};

static void hk_open(struct hk *h, const char *t, const char *const *kv, int subtask,
                    int parallelism)
{
    memset(h, 0, sizeof(*h));
    k_types[0] = &type_string;
    k_types[1] = &type_bigint;
    h->o = opts(t, kv, false);
    h->t = (struct table_ctx){.table_name = "t", .n_cols = 2, .col_names = k_names,
                              .col_types = k_types, .n_all_physical = 2,
                              .all_physical_names = k_names, .all_physical_types = k_types,
                              .projection = k_proj, .opts = h->o,
                              .format = format_lookup("json"), .subtask = subtask,
                              .parallelism = parallelism};
    struct weir_error err = {0};
    if (conn_lookup("log")->sink_create(&h->t, &h->snk, &err) != WEIR_OK ||
        h->snk->ops->open(h->snk, &err) != WEIR_OK)
        fail_msg("%s", err.message);
}

static void hk_close(struct hk *h)
{
    h->snk->ops->close(h->snk);
    opt_set_free(h->o);
}

/* Writes rows (k = "key<i % n_keys>", v = first + i) for i in [0, n). */
static void hk_write(struct hk *h, int first, int n, int n_keys)
{
    struct batch *b = batch_new(2, k_types);
    for (int i = 0; i < n; i++) {
        char k[32];
        snprintf(k, sizeof(k), "key%d", i % n_keys);
        vec_set_str(&b->cols[0], i, k, strlen(k));
        b->cols[1].i64[i] = first + i;
    }
    b->n = n;
    struct weir_error err = {0};
    if (h->snk->ops->write(h->snk, b, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    batch_free(b);
}

/* Number of records visible in a partition at the given isolation. */
static int64_t visible(const char *t, int p, enum log_isolation iso)
{
    struct log_reader *r;
    struct weir_error err = {0};
    int64_t start, end;
    assert_int_equal(log_reader_open(dir, t, p, iso, &r, &err), WEIR_OK);
    assert_int_equal(log_reader_offsets(r, &start, &end, &err), WEIR_OK);
    log_reader_close(r);
    return end - start;
}

/* ---- sink tests ----------------------------------------------------------------- */

static void test_sink_partitions_by_key(void **state)
{
    (void)state;
    topic("out", 4);
    const char *kv[] = {"key.fields", "k", NULL};
    struct hk h;
    hk_open(&h, "out", kv, 0, 1);
    hk_write(&h, 0, 200, 13);
    struct weir_error err = {0};
    assert_int_equal(h.snk->ops->flush(h.snk, &err), WEIR_OK);
    hk_close(&h);
    int total = 0, used = 0;
    for (int p = 0; p < 4; p++) {
        struct log_reader *r;
        assert_int_equal(log_reader_open(dir, "out", p, LOG_READ_COMMITTED, &r, &err),
                         WEIR_OK);
        const struct log_record *recs;
        int n, here = 0;
        while (log_reader_next(r, &recs, &n, &err) == WEIR_OK) {
            for (int i = 0; i < n; i++) {
                assert_int_equal(log_partition_for_key(recs[i].key,
                                                       (size_t)recs[i].key_len, 4), p);
                /* the value is the row in the format; v's key is key<v % 13> */
                char val[128], key[32];
                snprintf(val, sizeof(val), "%.*s", (int)recs[i].value_len,
                         (const char *)recs[i].value);
                long v = -1;
                const char *q = strstr(val, "\"v\":");
                assert_non_null(q);
                v = strtol(q + 4, NULL, 10);
                snprintf(key, sizeof(key), "key%ld", v % 13);
                assert_int_equal(recs[i].key_len, (int)strlen(key));
                assert_memory_equal(recs[i].key, key, strlen(key));
                assert_non_null(strstr(val, key));
            }
            here += n;
        }
        log_reader_close(r);
        total += here;
        used += here > 0;
    }
    assert_int_equal(total, 200);
    assert_true(used >= 2);     /* 13 keys over 4 partitions do not all collide */
}

static void test_sink_shared_by_subtasks(void **state)
{
    (void)state;
    topic("out", 1);
    /* plain appends (visible at once): what this test is about */
    const char *kv[] = {"sink.partitioner", "round-robin", "sink.delivery-guarantee",
                        "at-least-once", NULL};
    struct hk a, b;
    hk_open(&a, "out", kv, 0, 2);
    hk_open(&b, "out", kv, 1, 2);
    hk_write(&a, 0, 10, 1);
    hk_write(&b, 100, 7, 1);        /* same partition, same process: shared appender */
    hk_close(&a);
    hk_write(&b, 200, 3, 1);
    hk_close(&b);
    assert_int_equal(visible("out", 0, LOG_READ_COMMITTED), 20);
}

static void test_sink_exactly_once(void **state)
{
    (void)state;
    topic("out", 2);
    const char *kv[] = {"sink.delivery-guarantee", "exactly-once",
                        "sink.partitioner", "fixed", NULL};
    struct hk h;
    struct weir_error err = {0};
    hk_open(&h, "out", kv, 1, 2);       /* fixed: subtask 1 -> partition 1 */
    assert_non_null(h.snk->ops->prepare);
    hk_write(&h, 0, 50, 5);
    assert_int_equal(visible("out", 1, LOG_READ_COMMITTED), 0);
    assert_int_equal(visible("out", 1, LOG_READ_UNCOMMITTED), 50);
    assert_int_equal(h.snk->ops->flush(h.snk, &err), WEIR_OK);  /* end of input */
    assert_int_equal(visible("out", 1, LOG_READ_COMMITTED), 50);
    /* two-phase: prepare notes the end, later rows stay out of the commit */
    hk_write(&h, 50, 10, 5);
    struct strbuf st = {0};
    assert_int_equal(h.snk->ops->prepare(h.snk, 1, &st, &err), WEIR_OK);
    sb_free(&st);
    hk_write(&h, 60, 5, 5);
    assert_int_equal(h.snk->ops->commit(h.snk, 1, &err), WEIR_OK);
    assert_int_equal(visible("out", 1, LOG_READ_COMMITTED), 60);
    assert_int_equal(visible("out", 1, LOG_READ_UNCOMMITTED), 65);
    hk_write(&h, 65, 1, 1);
    hk_close(&h);                       /* closed without flush: stays invisible */
    assert_int_equal(visible("out", 1, LOG_READ_COMMITTED), 60);
    assert_int_equal(visible("out", 0, LOG_READ_UNCOMMITTED), 0);

    /* a log source (read-committed) sees exactly the committed rows */
    struct hs s;
    hs_open(&s, "out", BOUNDED, 0, 1);
    assert_int_equal(hs_collect(&s, -1), 60);
    hs_close(&s);
}

static void test_sink_timestamp_metadata(void **state)
{
    (void)state;
    topic("out", 1);
    static const char *names[] = {"v", "ts"};
    static const char *md[] = {NULL, "timestamp"};
    static const int proj[] = {0, -1};
    const struct sql_type *types[] = {&type_bigint, &type_timestamp_ltz3};
    const char *kv[] = {"sink.delivery-guarantee", "at-least-once", NULL};
    struct opt_set *o = opts("out", kv, false);
    struct table_ctx t = {.table_name = "t", .n_cols = 2, .col_names = names,
                          .col_types = types, .col_metadata = md, .n_all_physical = 1,
                          .all_physical_names = names, .all_physical_types = types,
                          .projection = proj, .opts = o, .format = format_lookup("json"),
                          .parallelism = 1};
    struct sink *snk;
    struct weir_error err = {0};
    if (conn_lookup("log")->sink_create(&t, &snk, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    struct batch *b = batch_new(2, types);
    b->cols[0].i64[0] = 1;
    b->cols[1].i64[0] = 1234567LL * 1000;      /* µs */
    b->cols[0].i64[1] = 2;
    vec_set_null(&b->cols[1], 1);              /* NULL: now */
    b->n = 2;
    assert_int_equal(snk->ops->write(snk, b, &err), WEIR_OK);
    batch_free(b);
    snk->ops->close(snk);
    struct log_reader *r;
    const struct log_record *recs;
    int n;
    assert_int_equal(log_reader_open(dir, "out", 0, LOG_READ_COMMITTED, &r, &err), WEIR_OK);
    assert_int_equal(log_reader_next(r, &recs, &n, &err), WEIR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(recs[0].timestamp, 1234567);
    assert_true(recs[1].timestamp > 1600000000000LL);
    assert_int_equal(recs[0].value_len, (int)strlen("{\"v\":1}"));   /* ts not in the value */
    assert_int_equal(recs[0].key_len, -1);
    log_reader_close(r);

    /* a metadata column of the wrong type is refused, not written into */
    const struct sql_type *bad[] = {&type_bigint, &type_string};
    t.col_types = bad;
    assert_int_equal(conn_lookup("log")->sink_create(&t, &snk, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "TIMESTAMP_LTZ(3)"));
    err_clear(&err);
    opt_set_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_all_partitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded_ends_at_open_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_startup_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_position_seek, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_letter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_topic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_partitions_by_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_shared_by_subtasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_timestamp_metadata, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
