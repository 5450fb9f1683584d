/*
 * log_bench.c — append and read throughput of the embedded log (src/log), the
 * driver of bench/log.sh.  Linked against the library of a weir build:
 *
 *   gcc -std=c17 -O2 -D_GNU_SOURCE -Isrc -pthread bench/log_bench.c \
 *       build/libweir.a -lpcre2-8 -lm -lpthread -o log_bench
 *   log_bench DIR DURABILITY RECORDS [BATCH [VALUE_BYTES [MAX_SECONDS]]]
 *
 * It creates topic "bench" (one partition) in DIR with the given durability
 * (os, batch, interval:MS), appends RECORDS records of VALUE_BYTES (default
 * 100) bytes with no key, BATCH (default 1000) per log_append, stopping early
 * after MAX_SECONDS (default 20), closes the appender (the close is timed
 * separately: "interval" syncs there), then reads the partition from the
 * start with one reader, checking offsets, lengths and CRCs (the reader always
 * checks CRCs).  One line of key=value figures goes to stdout:
 *   durability=os records=.. append_s=.. close_s=.. append_rps=.. append_mbps=..
 *   read_s=.. read_rps=.. read_mbps=.. disk_bytes=..
 * MB = 10^6 bytes of record values (payload); disk_bytes is the segment size.
 */
#include "core/mem.h"
#include "log/log.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(struct weir_error *err, const char *what)
{
    fprintf(stderr, "log_bench: %s: %s\n", what, err->message ? err->message : "?");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: log_bench DIR DURABILITY RECORDS [BATCH [VALUE_BYTES "
                        "[MAX_SECONDS]]]\n");
        return 2;
    }
    const char *dir = argv[1];
    long long n = atoll(argv[3]);
    int batch = argc > 4 ? atoi(argv[4]) : 1000;
    int vbytes = argc > 5 ? atoi(argv[5]) : 100;
    double max_s = argc > 6 ? atof(argv[6]) : 20;
    struct weir_error err = {0};
    struct log_topic_config cfg;
    log_topic_config_default(&cfg);
    cfg.segment_bytes = 1 << 30;
    if (log_durability_parse(argv[2], &cfg, &err))
        return die(&err, "durability");
    log_topic_delete(dir, "bench", NULL);
    if (log_topic_create(dir, "bench", &cfg, &err))
        return die(&err, "create");

    /* one batch of records over distinct values (a counter in the first bytes) */
    char *vals = mem_alloc((size_t)batch * (size_t)vbytes);
    struct log_record *recs = mem_calloc((size_t)batch, sizeof *recs);
    for (int i = 0; i < batch; i++) {
        char *v = vals + (size_t)i * (size_t)vbytes;
        memset(v, 'a' + i % 26, (size_t)vbytes);
        recs[i] = (struct log_record){0, 0, NULL, -1, v, vbytes, 0, NULL};
    }
    struct log_appender *a;
    if (log_appender_open(dir, "bench", 0, 0, &a, NULL, &err))
        return die(&err, "open");
    double t0 = now_s();
    long long done = 0;
    while (done < n) {
        int m = n - done < batch ? (int)(n - done) : batch;
        for (int i = 0; i < m; i++)
            memcpy((char *)recs[i].value, &done, sizeof done);   /* vary the bytes */
        if (log_append(a, recs, m, NULL, &err))
            return die(&err, "append");
        done += m;
        if ((done / batch) % 16 == 0 && now_s() - t0 > max_s)
            break;
    }
    double t1 = now_s();
    log_appender_close(a);
    double t2 = now_s();
    struct log_partition_info info;
    if (log_partition_info(dir, "bench", 0, &info, &err))
        return die(&err, "info");

    struct log_reader *r;
    if (log_reader_open(dir, "bench", 0, LOG_READ_COMMITTED, &r, &err))
        return die(&err, "reader");
    double t3 = now_s();
    long long got = 0;
    for (;;) {
        const struct log_record *rr;
        int k;
        int rc = log_reader_next(r, &rr, &k, &err);
        if (rc == WEIR_AGAIN)
            break;
        if (rc)
            return die(&err, "read");
        if (rr[0].offset != got || rr[k - 1].value_len != vbytes) {
            fprintf(stderr, "log_bench: wrong record at %lld\n", got);
            return 1;
        }
        got += k;
    }
    double t4 = now_s();
    log_reader_close(r);
    if (got != done) {
        fprintf(stderr, "log_bench: appended %lld, read %lld\n", done, got);
        return 1;
    }
    double as = t1 - t0, rs = t4 - t3, mb = (double)done * vbytes / 1e6;
    printf("durability=%s records=%lld batch=%d value_bytes=%d append_s=%.4f close_s=%.4f "
           "append_rps=%.0f append_mbps=%.1f read_s=%.4f read_rps=%.0f read_mbps=%.1f "
           "disk_bytes=%lld\n", argv[2], done, batch, vbytes, as, t2 - t1, done / as, mb / as,
           rs, got / rs, mb / rs, (long long)info.size_bytes);
    log_topic_delete(dir, "bench", NULL);
    mem_free(vals);
    mem_free(recs);
    return 0;
}
