/*
 * test_checkpoint.c — unit tests for src/state/snapshot.c (the record codec)
 * and src/exec/checkpoint.c (the coordinator and the files): a checkpoint
 * requested, acknowledged by every task and written reads back section by
 * section; a missing acknowledgement times out and leaves no files; a
 * declined one fails; retention keeps the newest; a corrupt or truncated
 * checkpoint is skipped for the one before; savepoints count as resume
 * points; a manifest that lies about its sections is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "exec/checkpoint.h"
#include "state/snapshot.h"

static int rm_cb(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s; (void)f; (void)w;
    return remove(p);
}

static char *tmpdir(void)
{
    char *d = mem_strdup("/tmp/weir-test-ckpt.XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmtree(char *d)
{
    nftw(d, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    mem_free(d);
}

/* ---- the record codec ---------------------------------------------------------- */

static void test_codec_roundtrip(void **state)
{
    (void)state;
    struct snap_writer w = {0};
    snap_begin(&w, 17);
    snap_put_i64(&w.buf, -5);
    snap_put_str(&w.buf, "hello");
    snap_put_f64(&w.buf, 2.5);
    snap_end(&w);
    snap_begin(&w, SNAP_OPERATOR);
    snap_put_u8(&w.buf, 7);
    snap_put_i128(&w.buf, (__int128)1 << 100);
    snap_end(&w);
    assert_int_equal(w.n_records, 2);

    struct snap_iter it;
    struct snap_rd rd;
    int kg;
    snap_iter_init(&it, w.buf.buf, w.buf.len);
    assert_true(snap_iter_next(&it, &kg, &rd));
    assert_int_equal(kg, 17);
    assert_int_equal(snap_get_i64(&rd), -5);
    size_t n;
    const char *s = snap_get_bytes(&rd, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(s, "hello", 5);
    assert_true(snap_get_f64(&rd) == 2.5);
    assert_false(rd.bad);
    snap_get_u8(&rd);   /* past the end: sticky bad */
    assert_true(rd.bad);
    assert_true(snap_iter_next(&it, &kg, &rd));
    assert_int_equal(kg, SNAP_OPERATOR);
    assert_int_equal(snap_get_u8(&rd), 7);
    assert_true(snap_get_i128(&rd) == (__int128)1 << 100);
    assert_false(snap_iter_next(&it, &kg, &rd));
    assert_false(it.bad);
    /* a truncated section: the iterator says so */
    snap_iter_init(&it, w.buf.buf, w.buf.len - 3);
    assert_true(snap_iter_next(&it, &kg, &rd));
    assert_false(snap_iter_next(&it, &kg, &rd));
    assert_true(it.bad);
    sb_free(&w.buf);
}

/* ---- the coordinator and the files ---------------------------------------------- */

/* The path of the first state-* file in dir (caller frees). */
static char *first_state_file(const char *dir)
{
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    char *found = NULL;
    for (struct dirent *e; (e = readdir(dh)) != NULL && found == NULL;)
        if (strncmp(e->d_name, "state-", 6) == 0)
            found = mem_sprintf("%s/%s", dir, e->d_name);
    closedir(dh);
    assert_non_null(found);
    return found;
}

static struct ckpt_section section(uint64_t uid, int inst, const char *label, const char *data)
{
    struct ckpt_section s = {uid, inst, mem_strdup(label), {0}};
    sb_adds(&s.data, data);
    return s;
}

/* Requests a checkpoint of kind and acknowledges it as `tasks` tasks. */
static int64_t take(struct ckpt_coord *c, int kind, int tasks, const char *tag)
{
    int64_t id = ckpt_request(c, kind, NULL);
    assert_true(id > 0);
    for (int t = 0; t < tasks; t++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s-task%d", tag, t);
        struct ckpt_section s = section(0x1234 + (uint64_t)t, t, "Op: test", buf);
        ckpt_ack(c, id, &s, 1, 10, 20, 30);
    }
    return id;
}

static struct ckpt_coord *coord(const char *dir, int tasks, int retained, int64_t timeout_ms)
{
    struct ckpt_config cfg = {0, timeout_ms, retained};
    struct ckpt_coord *c = ckpt_coord_new(dir, "t", &cfg, tasks, 2, 128, 1);
    struct weir_error err = {0};
    assert_int_equal(ckpt_coord_start(c, &err), WEIR_OK);
    return c;
}

/* A big section its task wrote to its own file while copying it: synced by
 * the coordinator, listed in the manifest, read back whole; a changed or
 * truncated file is caught by its checksum and length. */
static void test_spilled_section(void **state)
{
    (void)state;
    char *d = tmpdir();
    struct ckpt_coord *c = coord(d, 1, 1, 10000);
    int64_t id = ckpt_request(c, CKPT_CHECKPOINT, NULL);
    for (int i = 0; i < 5000 && ckpt_wanted(c) < id; i++)
        usleep(1000);
    assert_int_equal(ckpt_wanted(c), id);
    struct ckpt_section big = section(0x77, 0, "Op: big", ""), small = section(0x78, 0, "Op: small", "tiny");
    big.fd = -1;
    struct strbuf part = {0}, want = {0};
    struct weir_error err = {0};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 10000; i++)
            sb_addf(&part, "%d:%d,", k, i);
        sb_add(&want, part.buf, part.len);
        assert_int_equal(ckpt_section_spill(c, id, &big, &part, &err), WEIR_OK);
        assert_int_equal(part.len, 0);
    }
    assert_non_null(big.file);
    close(big.fd);
    big.fd = -1;
    struct ckpt_section secs[2] = {big, small};
    ckpt_ack(c, id, secs, 2, 0, 0, 0);
    char *path = NULL;
    assert_true(ckpt_wait(c, id, 5000, &path));
    /* too late: the checkpoint is no longer in progress */
    struct ckpt_section late = section(0x79, 0, "Op: late", "");
    late.fd = -1;
    sb_adds(&part, "x");
    assert_int_equal(ckpt_section_spill(c, id, &late, &part, &err), WEIR_ERR_IO);
    assert_non_null(strstr(err.message, "no longer in progress"));
    err_clear(&err);
    ckpt_sections_clear(&late, 1);

    struct ckpt_manifest *m = NULL;
    assert_int_equal(ckpt_manifest_read(path, &m, &err), WEIR_OK);
    assert_int_equal(m->n_sections, 2);
    for (int i = 0; i < 2; i++) {
        size_t n;
        const char *p = ckpt_section_data(m, i, &n);
        if (m->sections[i].uid == 0x77) {
            assert_int_equal(n, want.len);
            assert_memory_equal(p, want.buf, n);
            assert_string_equal(m->sections[i].label, "Op: big");
        } else {
            assert_int_equal(n, 4);
            assert_memory_equal(p, "tiny", 4);
        }
    }
    ckpt_manifest_free(m);
    /* one byte changed, then the file cut short */
    char *file = first_state_file(path);
    FILE *f = fopen(file, "r+b");
    assert_non_null(f);
    fseek(f, 1000, SEEK_SET);
    fputc('#', f);
    fclose(f);
    assert_int_equal(ckpt_manifest_read(path, &m, &err), WEIR_ERR_CORRUPT);
    assert_non_null(strstr(err.message, "fails its checksum (section of Op: big)"));
    err_clear(&err);
    assert_int_equal(truncate(file, 100), 0);
    assert_int_equal(ckpt_manifest_read(path, &m, &err), WEIR_ERR_CORRUPT);
    assert_non_null(strstr(err.message, "is truncated (section of Op: big)"));
    err_clear(&err);
    mem_free(file);
    mem_free(path);
    sb_free(&part);
    sb_free(&want);
    ckpt_coord_free(c);
    rmtree(d);
}

static void test_write_and_read_back(void **state)
{
    (void)state;
    char *d = tmpdir();
    struct ckpt_coord *c = coord(d, 2, 1, 10000);
    int64_t id = take(c, CKPT_CHECKPOINT, 2, "a");
    char *path = NULL;
    assert_true(ckpt_wait(c, id, 5000, &path));
    assert_int_equal(ckpt_status(c, id), 1);
    assert_int_equal(ckpt_completed(c), id);
    assert_non_null(strstr(path, "/checkpoints/chk-1"));

    struct ckpt_manifest *m = NULL;
    struct weir_error err = {0};
    assert_int_equal(ckpt_manifest_read(path, &m, &err), WEIR_OK);
    assert_int_equal(m->id, id);
    assert_int_equal(m->kind, CKPT_CHECKPOINT);
    assert_int_equal(m->parallelism, 2);
    assert_int_equal(m->max_parallelism, 128);
    assert_int_equal(m->n_sections, 2);
    for (int i = 0; i < 2; i++) {
        size_t n;
        const char *p = ckpt_section_data(m, i, &n);
        char want[64];
        snprintf(want, sizeof want, "a-task%d", m->sections[i].instance);
        assert_int_equal(n, strlen(want));
        assert_memory_equal(p, want, n);
        assert_string_equal(m->sections[i].label, "Op: test");
    }
    ckpt_manifest_free(m);
    struct ckpt_stats last;
    int64_t done, failed;
    ckpt_get_stats(c, &last, &done, &failed, NULL);
    assert_int_equal(done, 1);
    assert_int_equal(failed, 0);
    assert_int_equal(last.sync_us, 20);
    assert_int_equal(last.bytes, 14);
    mem_free(path);
    ckpt_coord_free(c);
    rmtree(d);
}

static void test_timeout_and_decline(void **state)
{
    (void)state;
    char *d = tmpdir();
    struct ckpt_coord *c = coord(d, 2, 1, 100);
    int64_t id = take(c, CKPT_CHECKPOINT, 1, "a");   /* one of two tasks */
    assert_false(ckpt_wait(c, id, 3000, NULL));
    assert_int_equal(ckpt_status(c, id), -1);
    struct ckpt_stats last;
    ckpt_get_stats(c, &last, NULL, NULL, NULL);
    assert_true(last.failed);
    assert_non_null(strstr(last.reason, "1 of 2 tasks acknowledged"));
    char *dir = mem_sprintf("%s/checkpoints/chk-%lld", d, (long long)id);
    assert_int_not_equal(access(dir, F_OK), 0);   /* nothing left on disk */
    mem_free(dir);
    /* a late acknowledgement of the failed one is dropped */
    struct ckpt_section s = section(1, 1, "late", "x");
    ckpt_ack(c, id, &s, 1, 0, 0, 0);
    /* declined */
    int64_t id2 = ckpt_request(c, CKPT_CHECKPOINT, NULL);
    ckpt_decline(c, id2, "snapshot failed: test");
    assert_false(ckpt_wait(c, id2, 3000, NULL));
    ckpt_get_stats(c, &last, NULL, NULL, NULL);
    assert_string_equal(last.reason, "snapshot failed: test");
    /* the next one works and gets a new id */
    int64_t id3 = take(c, CKPT_CHECKPOINT, 2, "b");
    assert_true(id3 > id2);
    assert_true(ckpt_wait(c, id3, 5000, NULL));
    ckpt_coord_free(c);
    rmtree(d);
}

static void test_retention_and_fallback(void **state)
{
    (void)state;
    char *d = tmpdir();
    struct ckpt_coord *c = coord(d, 1, 2, 10000);
    int64_t ids[4];
    for (int i = 0; i < 4; i++) {
        ids[i] = take(c, CKPT_CHECKPOINT, 1, "r");
        assert_true(ckpt_wait(c, ids[i], 5000, NULL));
    }
    ckpt_coord_free(c);
    /* two retained: 3 and 4 */
    for (int i = 0; i < 4; i++) {
        char *dir = mem_sprintf("%s/checkpoints/chk-%lld", d, (long long)ids[i]);
        assert_int_equal(access(dir, F_OK) == 0, i >= 2);
        mem_free(dir);
    }
    struct ckpt_manifest *m = NULL;
    int64_t max_id = 0;
    struct weir_error err = {0};
    assert_int_equal(ckpt_find_latest(d, &m, &max_id, NULL, &err), WEIR_OK);
    assert_non_null(m);
    assert_int_equal(m->id, ids[3]);
    assert_int_equal(max_id, ids[3]);
    ckpt_manifest_free(m);

    /* a flipped byte in the newest data: the one before is used */
    char *data = mem_sprintf("%s/checkpoints/chk-%lld/data", d, (long long)ids[3]);
    FILE *f = fopen(data, "r+b");
    assert_non_null(f);
    fputc('X', f);
    fclose(f);
    assert_int_equal(ckpt_find_latest(d, &m, &max_id, NULL, &err), WEIR_OK);
    assert_non_null(m);
    assert_int_equal(m->id, ids[2]);
    assert_int_equal(max_id, ids[3]);   /* new ids still go past the bad one */
    assert_int_equal(ckpt_max_id(d), ids[3]);   /* the same from the names alone */
    ckpt_manifest_free(m);
    /* a truncated manifest of the one before: nothing usable is left */
    char *man = mem_sprintf("%s/checkpoints/chk-%lld/_metadata", d, (long long)ids[2]);
    assert_int_equal(truncate(man, 30), 0);
    assert_int_equal(ckpt_find_latest(d, &m, &max_id, NULL, &err), WEIR_OK);
    assert_null(m);
    mem_free(man);
    mem_free(data);
    rmtree(d);
}

static void test_savepoints_and_kinds(void **state)
{
    (void)state;
    char *d = tmpdir();
    struct ckpt_coord *c = coord(d, 1, 1, 10000);
    int64_t a = take(c, CKPT_CHECKPOINT, 1, "c");
    assert_true(ckpt_wait(c, a, 5000, NULL));
    int64_t b = take(c, CKPT_STOP, 1, "s");
    char *path = NULL;
    assert_true(ckpt_wait(c, b, 5000, &path));
    assert_non_null(strstr(path, "/savepoints/sp-"));
    /* a savepoint into a path of one's own */
    char *own = mem_sprintf("%s/mine", d);
    int64_t e = ckpt_request(c, CKPT_SAVEPOINT, own);
    struct ckpt_section s = section(9, 0, "Op", "own");
    ckpt_ack(c, e, &s, 1, 0, 0, 0);
    char *p2 = NULL;
    assert_true(ckpt_wait(c, e, 5000, &p2));
    assert_string_equal(p2, own);
    ckpt_coord_free(c);
    /* the newest resume point is the stop savepoint (the own-path one is not
     * in the state directory) */
    struct ckpt_manifest *m = NULL;
    int64_t max_id = 0;
    struct weir_error err = {0};
    assert_int_equal(ckpt_find_latest(d, &m, &max_id, NULL, &err), WEIR_OK);
    assert_non_null(m);
    assert_int_equal(m->id, b);
    assert_int_equal(m->kind, CKPT_STOP);
    ckpt_manifest_free(m);
    assert_int_equal(ckpt_manifest_read(own, &m, &err), WEIR_OK);
    assert_int_equal(m->kind, CKPT_SAVEPOINT);
    ckpt_manifest_free(m);
    mem_free(path);
    mem_free(p2);
    mem_free(own);
    rmtree(d);
}

static void test_manifest_lies(void **state)
{
    (void)state;
    char *d = tmpdir();
    struct ckpt_coord *c = coord(d, 1, 1, 10000);
    int64_t id = take(c, CKPT_CHECKPOINT, 1, "z");
    char *path = NULL;
    assert_true(ckpt_wait(c, id, 5000, &path));
    ckpt_coord_free(c);
    /* data shorter than the manifest says */
    char *data = mem_sprintf("%s/data", path);
    assert_int_equal(truncate(data, 2), 0);
    struct ckpt_manifest *m = NULL;
    struct weir_error err = {0};
    assert_int_equal(ckpt_manifest_read(path, &m, &err), WEIR_ERR_CORRUPT);
    assert_non_null(strstr(err.message, "truncated"));
    err_clear(&err);
    /* not a checkpoint at all */
    char *man = mem_sprintf("%s/_metadata", path);
    FILE *f = fopen(man, "w");
    fputs("hello\n", f);
    fclose(f);
    assert_int_equal(ckpt_manifest_read(path, &m, &err), WEIR_ERR_CORRUPT);
    err_clear(&err);
    mem_free(man);
    mem_free(data);
    mem_free(path);
    rmtree(d);
}

static void test_config(void **state)
{
    (void)state;
    struct ckpt_config cfg;
    struct weir_error err = {0};
    assert_int_equal(ckpt_config_parse(NULL, NULL, NULL, &cfg, &err), WEIR_OK);
    assert_int_equal(cfg.interval_ms, 5000);   /* on by default */
    assert_int_equal(cfg.retained, 1);
    assert_int_equal(ckpt_config_parse("200ms", "1 min", "3", &cfg, &err), WEIR_OK);
    assert_int_equal(cfg.interval_ms, 200);
    assert_int_equal(cfg.timeout_ms, 60000);
    assert_int_equal(cfg.retained, 3);
    assert_int_equal(ckpt_config_parse("0", NULL, NULL, &cfg, &err), WEIR_OK);
    assert_int_equal(cfg.interval_ms, 0);
    assert_int_not_equal(ckpt_config_parse("soon", NULL, NULL, &cfg, &err), WEIR_OK);
    assert_non_null(strstr(err.message, "execution.checkpointing.interval"));
    err_clear(&err);
    assert_int_not_equal(ckpt_config_parse(NULL, NULL, "0", &cfg, &err), WEIR_OK);
    err_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_roundtrip),
        cmocka_unit_test(test_write_and_read_back),
        cmocka_unit_test(test_spilled_section),
        cmocka_unit_test(test_timeout_and_decline),
        cmocka_unit_test(test_retention_and_fallback),
        cmocka_unit_test(test_savepoints_and_kinds),
        cmocka_unit_test(test_manifest_lies),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
