/*
 * test_filesystem.c — the filesystem connector end to end on a temp directory:
 * the source reads a directory tree (hidden files skipped, CRLF, no final
 * newline), sends a bad line to the dead-letter file, and restores from its
 * position; the sink writes part files, rolls by size, and writes partition
 * directories with _SUCCESS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "exec/deadletter.h"
#include "formats/format.h"
#include "scratch.h"


static void write_file(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
    assert_int_equal(system(cmd), 0);
    *slash = '/';
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

SCRATCH_FIXTURES("fs")

static struct opt_set *opts_for(int n, const char **kv)
{
    const char *keys[16], *vals[16];
    for (int i = 0; i < n; i++)
        keys[i] = kv[2 * i], vals[i] = kv[2 * i + 1];
    struct opt_set *o = NULL;
    struct weir_error err = {0};
    if (conn_validate(conn_lookup("filesystem"), NULL, "orders", n, keys, vals, true, &o,
                      &err) != WEIR_OK)
        fail_msg("%s", err.message);
    return o;
}

static void test_source_dir_and_dead_letters(void **state)
{
    (void)state;
    char in[300], dlq_path[300];
    snprintf(in, sizeof(in), "%s/in", root);
    snprintf(dlq_path, sizeof(dlq_path), "%s/state/dlq.jsonl", root);
    write_file("in/b/2.json", "{\"id\":3,\"name\":\"c\"}\r\n{\"id\":4,\"name\":\"d\"}");
    write_file("in/a.json", "{\"id\":1,\"name\":\"a\"}\n\n{\"id\":\"x\",\"name\":\"bad\"}\n"
                            "{\"id\":2,\"name\":\"b\"}\n");
    write_file("in/.hidden.json", "{\"id\":99}\n");
    write_file("in/_SUCCESS", "");
    write_file("in/.part-x-0-0.inprogress", "{\"id\":98}\n");
    char path_opt[320];
    snprintf(path_opt, sizeof(path_opt), "file://%s", in);
    const char *kv[] = {"connector", "filesystem", "path", path_opt, "format", "json"};
    struct opt_set *o = opts_for(3, kv);
    struct weir_error err = {0};
    struct deadletter *dlq = dlq_open(dlq_path, &err);
    assert_non_null(dlq);
    const char *names[] = {"id", "name", "file"};
    const struct sql_type *types[] = {&type_bigint, &type_string, &type_string};
    const char *md[] = {NULL, NULL, "file.name"};
    struct table_ctx t = {.table_name = "orders", .n_cols = 3, .col_names = names,
                          .col_types = types, .col_metadata = md, .opts = o,
                          .format = format_lookup("json"), .dlq = dlq, .parallelism = 1};
    struct source *src;
    assert_int_equal(conn_lookup("filesystem")->source_create(&t, &src, &err), WEIR_OK);
    assert_true(src->bounded);
    assert_int_equal(src->ops->open(src, &err), WEIR_OK);
    struct batch *b = batch_new(3, types);
    int rc;
    while ((rc = src->ops->poll(src, b, &err)) == WEIR_OK)
        ;
    assert_int_equal(rc, WEIR_DONE);
    assert_int_equal(b->n, 4);
    int64_t want[] = {1, 2, 3, 4};      /* a.json before b/2.json */
    for (int i = 0; i < 4; i++)
        assert_int_equal(b->cols[0].i64[i], want[i]);
    assert_int_equal(b->cols[2].s[0].len, 6);
    assert_memory_equal(b->cols[2].s[0].ptr, "a.json", 6);
    assert_memory_equal(b->cols[1].s[3].ptr, "d", 1);
    assert_int_equal(src->metrics.dead_letters, 1);
    assert_int_equal(src->metrics.rows, 4);
    /* position: both files finished */
    struct strbuf pos = {0};
    src->ops->position(src, &pos);
    assert_non_null(strstr(pos.buf, "done "));
    src->ops->close(src);
    dlq_close(dlq);

    /* the dead letter: one JSON line with the position and the exact reason */
    char *text = read_file(dlq_path);
    assert_non_null(text);
    char expect[1024];
    snprintf(expect, sizeof(expect),
             ",\"table\":\"orders\",\"position\":\"%s/a.json:3:21\",\"reason\":"
             "\"field \\\"id\\\": cannot convert \\\"x\\\" to BIGINT\",\"raw\":"
             "\"{\\\"id\\\":\\\"x\\\",\\\"name\\\":\\\"bad\\\"}\"}\n", in);
    assert_true(strncmp(text, "{\"ts\":\"", 7) == 0);
    assert_non_null(strstr(text, expect));
    assert_null(strstr(text, "raw_base64"));
    assert_int_equal(strchr(text, '\n') - text + 1, (long)strlen(text));

    /* restore from a position in the middle of a.json: line 3 onwards */
    assert_int_equal(conn_lookup("filesystem")->source_create(&t, &src, &err), WEIR_OK);
    t.dlq = NULL;
    batch_reset(b);
    char mid[600];
    snprintf(mid, sizeof(mid), "v1\ncur 22 2 %s/a.json\n", in);
    assert_int_equal(src->ops->seek(src, (const char *const[]){mid}, 1, &err), WEIR_OK);
    while ((rc = src->ops->poll(src, b, &err)) == WEIR_OK)
        ;
    assert_int_equal(rc, WEIR_DONE);
    assert_int_equal(b->n, 3);
    assert_int_equal(b->cols[0].i64[0], 2);
    src->ops->close(src);
    sb_free(&pos);
    batch_free(b);
    opt_set_free(o);
}

static int count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static void test_sink_rolling_and_partitions(void **state)
{
    (void)state;
    char out[300];
    snprintf(out, sizeof(out), "%s/out", root);
    const char *kv[] = {"connector", "filesystem", "path", out, "format", "csv",
                        "sink.rolling-policy.file-size", "100b",
                        "sink.partition-commit.policy.kind", "success-file",
                        "partition.default-name", "__DEFAULT_PARTITION__"};
    struct opt_set *o = opts_for(6, kv);
    const char *names[] = {"id", "msg", "dt"};
    const struct sql_type *types[] = {&type_bigint, &type_string, &type_string};
    int pk[] = {2};
    struct table_ctx t = {.table_name = "sink", .n_cols = 3, .col_names = names,
                          .col_types = types, .n_partition_keys = 1,
                          .partition_keys = pk, .opts = o,
                          .format = format_lookup("csv"), .subtask = 1,
                          .parallelism = 2};
    struct sink *snk;
    struct weir_error err = {0};
    assert_int_equal(conn_lookup("filesystem")->sink_create(&t, &snk, &err), WEIR_OK);
    assert_false(snk->accepts_updates);
    assert_int_equal(snk->ops->open(snk, &err), WEIR_OK);
    struct batch *b = batch_new(3, types);
    for (int i = 0; i < 12; i++) {
        int r = b->n++;
        b->cols[0].i64[r] = i;
        vec_set_str(&b->cols[1], r, "twenty_bytes_of_text", 20);
        if (i % 3 == 2)
            vec_set_null(&b->cols[2], r);
        else
            vec_set_str(&b->cols[2], r, i % 3 ? "2024/01:02" : "2024-01-01", 10);
    }
    assert_int_equal(snk->ops->write(snk, b, &err), WEIR_OK);
    char d1[400], d2[400], d3[400];
    snprintf(d1, sizeof(d1), "%s/dt=2024-01-01", out);
    snprintf(d2, sizeof(d2), "%s/dt=2024%%2F01%%3A02", out);   /* escaped */
    snprintf(d3, sizeof(d3), "%s/dt=__DEFAULT_PARTITION__", out);
    /* 4 rows of 24 bytes per partition: rolled once at 100 bytes? no: 96 < 100 */
    if (count_files(d1, ".part-") != 1) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "find '%s' >&2", out);
        assert_int_equal(system(cmd), 0);
    }
    assert_int_equal(count_files(d1, ".part-"), 1);
    assert_int_equal(count_files(d1, "part-"), 0);
    assert_int_equal(snk->ops->write(snk, b, &err), WEIR_OK);
    assert_int_equal(count_files(d1, "part-"), 1);       /* rolled at >= 100 bytes */
    assert_int_equal(snk->ops->flush(snk, &err), WEIR_OK);
    assert_int_equal(count_files(d1, "part-"), 2);
    assert_int_equal(count_files(d1, ".part-"), 0);
    assert_int_equal(count_files(d2, "part-"), 2);
    assert_int_equal(count_files(d3, "part-"), 2);
    char succ[500];
    snprintf(succ, sizeof(succ), "%s/_SUCCESS", d3);
    assert_non_null(read_file(succ));
    /* content: partition column not written; name part-<uuid>-1-<n> */
    DIR *d = opendir(d1);
    struct dirent *e;
    int checked = 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "part-", 5) != 0)
            continue;
        size_t n = strlen(e->d_name);
        assert_true(n == 5 + 36 + 4);
        assert_true(strcmp(e->d_name + 41, "-1-0") == 0 ||
                    strcmp(e->d_name + 41, "-1-1") == 0);
        if (strcmp(e->d_name + 41, "-1-0") == 0) {
            char p[1024];
            snprintf(p, sizeof(p), "%s/%s", d1, e->d_name);
            assert_string_equal(read_file(p),
                                "0,twenty_bytes_of_text\n3,twenty_bytes_of_text\n"
                                "6,twenty_bytes_of_text\n9,twenty_bytes_of_text\n"
                                "0,twenty_bytes_of_text\n");
            checked++;
        }
    }
    closedir(d);
    assert_int_equal(checked, 1);
    snk->ops->close(snk);
    batch_free(b);
    opt_set_free(o);
}

static void test_dead_letter_binary(void **state)
{
    (void)state;
    char p[300];
    snprintf(p, sizeof(p), "%s/dlq/x/dead.jsonl", root);
    struct weir_error err = {0};
    struct deadletter *d = dlq_open(p, &err);
    assert_non_null(d);
    dlq_write(d, "t", "f:1:0", "bad", "a\xff\"\n", 4);
    assert_int_equal(dlq_count(d), 1);
    dlq_close(d);
    const char *text = read_file(p);
    assert_non_null(strstr(text, "\"raw\":\"a\\u00ff\\\"\\n\",\"raw_base64\":\"Yf8iCg==\"}"));
    int64_t before = dlq_count(NULL);
    dlq_write(NULL, "t", NULL, "r", "x", 1);
    assert_int_equal(dlq_count(NULL), before + 1);
    dlq_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_dir_and_dead_letters),
        cmocka_unit_test(test_sink_rolling_and_partitions),
        cmocka_unit_test(test_dead_letter_binary),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
