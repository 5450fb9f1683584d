/*
 * test_source_seek.c — source positions and restore, for every source, on real
 * inputs in a temp directory (files, a log directory, a SQLite database).
 *
 * The promise under test is the one a checkpoint needs: instances read part of
 * the input, their positions are taken, they are closed; new instances (at the
 * same parallelism, or another one) are created, opened and given every old
 * position with seek, and read the rest.  The multiset of rows of both runs
 * must equal that of one uninterrupted run — nothing lost, nothing twice — and
 * so must the number of dead-lettered records.  A stage stops an instance
 * after polls of chosen sizes (a poll is asked for k rows by starting it with
 * BATCH_CAP - k rows in the batch), so positions fall mid-file, mid-partition,
 * just before and right after a dead-lettered record, and at the end of the
 * input; chains of restores (2 → 3 → 1) check positions written by restored
 * instances.  Malformed positions must be refused as WEIR_ERR_CORRUPT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "core/value_fmt.h"
#include "exec/deadletter.h"
#include "exec/expr.h"
#include "exec/values.h"
#include "formats/format.h"
#include "log/log.h"
#include "scratch.h"

#define WAIT_MS 10000
#define MAX_P 4
#define DRAIN (-1)              /* a plan step: read to the end of the input */

static struct deadletter *dlq;

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

static const char *path_of(const char *rel)
{
    static char p[4][400];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", root, rel);
    return p[k];
}

static int setup(void **state)
{
    (void)state;
    if (scratch_make("seek") != 0)
        return -1;
    struct weir_error err = {0};
    dlq = dlq_open(path_of("dlq.jsonl"), &err);
    return dlq ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dlq_close(dlq);
    return scratch_remove();
}

static void mkdirs(const char *rel)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path_of(rel));
    assert_int_equal(system(cmd), 0);
}

/* The contents of an absolute path (caller frees). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    struct strbuf sb = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sb_add(&sb, chunk, n);
    fclose(f);
    return sb.buf ? sb_steal(&sb) : mem_strdup("");
}

/* Appends text to the file rel (created if needed). */
static void append(const char *rel, const char *text)
{
    FILE *f = fopen(path_of(rel), "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- rows ------------------------------------------------------------------------ */

struct rows {
    char **v;
    int n, cap;
};

static void rows_free(struct rows *r)
{
    for (int i = 0; i < r->n; i++)
        mem_free(r->v[i]);
    mem_free(r->v);
    memset(r, 0, sizeof(*r));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The two multisets of rows must be equal. */
static void rows_expect_same(struct rows *got, struct rows *want, const char *what)
{
    qsort(got->v, (size_t)got->n, sizeof(char *), cmp_str);
    qsort(want->v, (size_t)want->n, sizeof(char *), cmp_str);
    int i = 0, j = 0, shown = 0;
    while ((i < got->n || j < want->n) && shown < 5) {
        int c = i == got->n ? 1 : j == want->n ? -1 : strcmp(got->v[i], want->v[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        print_message("%s: %s row %s\n", what, c < 0 ? "extra" : "missing",
                      c < 0 ? got->v[i] : want->v[j]);
        shown++;
        c < 0 ? i++ : j++;
    }
    if (shown > 0 || got->n != want->n)
        fail_msg("%s: %d rows, want %d", what, got->n, want->n);
}

/* ---- a table of one connector, and its instances ------------------------------------ */

struct spec {
    const char *conn;
    const char *format;             /* NULL = none */
    const char *kv[24];             /* more WITH options: key, value, ..., NULL */
    int n_cols;
    const char *names[6];
    const struct sql_type *types[6];
    const char *md[6];              /* metadata key per column, NULL = physical */
};

struct inst {
    struct table_ctx t;
    struct opt_set *o;
    struct source *src;
    struct batch *b;
    bool done;
};

static struct opt_set *spec_opts(const struct spec *sp)
{
    const char *keys[32], *vals[32];
    int n = 0;
    keys[n] = "connector", vals[n++] = sp->conn;
    if (sp->format)
        keys[n] = "format", vals[n++] = sp->format;
    for (int i = 0; sp->kv[i] && n < 32; i += 2)
        keys[n] = sp->kv[i], vals[n++] = sp->kv[i + 1];
    struct opt_set *o = NULL;
    struct weir_error err = {0};
    if (conn_validate(conn_lookup(sp->conn), sp->format ? format_lookup(sp->format) : NULL,
                      "t", n, keys, vals, true, &o, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    return o;
}

static void inst_open(struct inst *in, const struct spec *sp, int subtask, int P)
{
    memset(in, 0, sizeof(*in));
    in->o = spec_opts(sp);
    in->t = (struct table_ctx){.table_name = "t", .n_cols = sp->n_cols,
                               .col_names = sp->names, .col_types = sp->types,
                               .col_metadata = sp->md, .opts = in->o,
                               .format = sp->format ? format_lookup(sp->format) : NULL,
                               .dlq = dlq, .subtask = subtask, .parallelism = P,
                               .job_dir = root};
    struct weir_error err = {0};
    if (conn_lookup(sp->conn)->source_create(&in->t, &in->src, &err) != WEIR_OK)
        fail_msg("create: %s", err.message);
    if (in->src->ops->open && in->src->ops->open(in->src, &err) != WEIR_OK)
        fail_msg("open: %s", err.message);
    in->b = batch_new(sp->n_cols, sp->types);
}

/* One poll for at most k rows (rows go to out); returns its code. */
static int inst_poll(struct inst *in, int k, struct rows *out)
{
    struct weir_error err = {0};
    assert_true(k >= 0 && k <= BATCH_CAP);
    batch_reset(in->b);
    in->b->n = BATCH_CAP - k;
    int from = in->b->n;
    int rc = in->src->ops->poll(in->src, in->b, &err);
    if (rc < 0)
        fail_msg("poll: %s", err.message);
    struct strbuf sb = {0};
    for (int i = from; i < in->b->n; i++) {
        sb_clear(&sb);
        vfmt_print_row(&sb, RK_INSERT, in->b->cols, in->b->n_cols, i);
        MEM_GROW(out->v, out->cap, out->n + 1);
        out->v[out->n++] = mem_strdup(sb.buf);
    }
    sb_free(&sb);
    if (rc == WEIR_DONE)
        in->done = true;
    return rc;
}

/* Polls a bounded source to its end. */
static void inst_drain(struct inst *in, struct rows *out)
{
    int64_t deadline = now_ms() + WAIT_MS;
    while (!in->done && now_ms() < deadline)
        if (inst_poll(in, BATCH_CAP, out) == WEIR_AGAIN)
            sleep_ms(1);
    if (!in->done)
        fail_msg("the source did not end");
}

/* Polls an unbounded source until out has `want` rows, then a while longer
 * (to show that nothing more comes). */
static void inst_read_until(struct inst *in, struct rows *out, int want)
{
    int64_t deadline = now_ms() + WAIT_MS;
    while (out->n < want && now_ms() < deadline)
        if (inst_poll(in, BATCH_CAP, out) == WEIR_AGAIN)
            sleep_ms(2);
    int64_t idle_end = now_ms() + 100;
    while (now_ms() < idle_end)
        if (inst_poll(in, BATCH_CAP, out) == WEIR_AGAIN)
            sleep_ms(2);
}

static char *inst_position(struct inst *in)
{
    struct strbuf sb = {0};
    assert_int_equal(in->src->ops->position(in->src, &sb), WEIR_OK);
    return sb.buf ? sb_steal(&sb) : mem_strdup("");
}

static void inst_seek(struct inst *in, char *const *pos, int old_p)
{
    struct weir_error err = {0};
    if (in->src->ops->seek(in->src, (const char *const *)pos, old_p, &err) != WEIR_OK)
        fail_msg("seek: %s", err.message);
}

/* Closes; adds the instance's dead letters to *dead. */
static void inst_close(struct inst *in, int64_t *dead)
{
    if (dead)
        *dead += atomic_load(&in->src->metrics.dead_letters);
    in->src->ops->close(in->src);
    batch_free(in->b);
    opt_set_free(in->o);
}

/* ---- scenarios -------------------------------------------------------------------- */

/* A run at parallelism P: plan[s] lists the sizes of the polls instance s makes
 * before it is stopped (0 ends the list; DRAIN reads to the end).  The last
 * stage of a chain reads to the end whatever its plan says. */
struct stage {
    int P;
    int plan[MAX_P][8];
};

static void run_whole(const struct spec *sp, int P, struct rows *out, int64_t *dead)
{
    for (int s = 0; s < P; s++) {
        struct inst in;
        inst_open(&in, sp, s, P);
        inst_drain(&in, out);
        inst_close(&in, dead);
    }
}

typedef void (*between_fn)(int stage);

/* Runs the stages in turn, each restored from the positions of the one
 * before; rows and dead letters of all of them are collected. */
static void run_chain(const struct spec *sp, int n, const struct stage *st, between_fn hook,
                      struct rows *out, int64_t *dead)
{
    char *pos[MAX_P] = {NULL};
    int old_p = 0;
    for (int k = 0; k < n; k++) {
        char *next[MAX_P] = {NULL};
        for (int s = 0; s < st[k].P; s++) {
            struct inst in;
            inst_open(&in, sp, s, st[k].P);
            if (k > 0)
                inst_seek(&in, pos, old_p);
            if (k == n - 1) {
                inst_drain(&in, out);
            } else {
                for (int i = 0; i < 8 && st[k].plan[s][i] != 0 && !in.done; i++) {
                    if (st[k].plan[s][i] == DRAIN)
                        inst_drain(&in, out);
                    else
                        inst_poll(&in, st[k].plan[s][i], out);
                }
                next[s] = inst_position(&in);
            }
            inst_close(&in, dead);
        }
        for (int s = 0; s < old_p; s++)
            mem_free(pos[s]);
        memcpy(pos, next, sizeof(pos));
        old_p = st[k].P;
        if (hook && k < n - 1)
            hook(k);
    }
}

/* The chain's rows and dead letters equal an uninterrupted run's at the first
 * stage's parallelism (taken before any hook changes the input). */
static void check_chain(const struct spec *sp, const char *what, int n,
                        const struct stage *st, between_fn hook)
{
    struct rows want = {0}, got = {0};
    int64_t dw = 0, dg = 0;
    run_whole(sp, st[0].P, &want, &dw);
    run_chain(sp, n, st, hook, &got, &dg);
    rows_expect_same(&got, &want, what);
    if (dg != dw)
        fail_msg("%s: %lld dead letters, want %lld", what, (long long)dg, (long long)dw);
    rows_free(&want);
    rows_free(&got);
}

/* A malformed position (written by each of old_p old subtasks) is refused as
 * corrupt by a single instance, which owns every split. */
static void expect_corrupt(const struct spec *sp, int old_p, const char *bad)
{
    struct inst in;
    inst_open(&in, sp, 0, 1);
    const char *pos[MAX_P] = {NULL};
    for (int s = 0; s < old_p; s++)
        pos[s] = bad;
    struct weir_error err = {0};
    int rc = in.src->ops->seek(in.src, pos, old_p, &err);
    if (rc != WEIR_ERR_CORRUPT)
        fail_msg("position '%s': got %d (%s), want WEIR_ERR_CORRUPT", bad, rc,
                 err.message ? err.message : "");
    assert_non_null(err.message);
    err_clear(&err);
    inst_close(&in, NULL);
}

/* The plans used for most sources: stops mid-input, several polls, nothing
 * read, and the end of the input. */
static const struct stage S1a = {1, {{1000, 0}}};
static const struct stage S1b = {1, {{BATCH_CAP, BATCH_CAP, 333, 0}}};
static const struct stage S1end = {1, {{DRAIN, 0}}};
static const struct stage S2a = {2, {{700, 0}, {1500, BATCH_CAP, 0}}};
static const struct stage S2b = {2, {{DRAIN, 0}, {0}}};
static const struct stage S3a = {3, {{500, 0}, {BATCH_CAP, 0}, {1, 0}}};
static const struct stage Send1 = {1, {{0}}};
static const struct stage Send2 = {2, {{0}}};
static const struct stage Send3 = {3, {{0}}};

static void check_standard(const struct spec *sp, between_fn hook)
{
    check_chain(sp, "1->1 mid-input", 2, (struct stage[]){S1a, Send1}, hook);
    check_chain(sp, "1->1 several polls", 2, (struct stage[]){S1b, Send1}, hook);
    check_chain(sp, "1->1 at the end", 2, (struct stage[]){S1end, Send1}, hook);
    check_chain(sp, "2->2", 2, (struct stage[]){S2a, Send2}, hook);
    check_chain(sp, "2->1", 2, (struct stage[]){S2a, Send1}, hook);
    check_chain(sp, "2->1, one subtask at its end", 2, (struct stage[]){S2b, Send1}, hook);
    check_chain(sp, "1->2", 2, (struct stage[]){S1a, Send2}, hook);
    check_chain(sp, "1->3", 2, (struct stage[]){S1b, Send3}, hook);
    check_chain(sp, "3->2", 2, (struct stage[]){S3a, Send2}, hook);
    struct stage mid3 = {3, {{300, 0}, {BATCH_CAP, 100, 0}, {0}}};
    check_chain(sp, "2->3->1", 3, (struct stage[]){S2a, mid3, Send1}, hook);
    struct stage mid2 = {2, {{1, 0}, {900, 0}}};
    check_chain(sp, "1->2->2->3", 4, (struct stage[]){S1a, mid2, S2a, Send3}, hook);
}

/* ---- filesystem ---------------------------------------------------------------------- */

static void fs_files(void)
{
    mkdirs("fs/in/b");
    struct strbuf sb = {0};
    for (int i = 0; i < 3000; i++) {
        if (i == 1000)
            sb_adds(&sb, "not json\n");
        else if (i == 1001)
            sb_adds(&sb, "\n");
        else if (i == 2000)
            sb_adds(&sb, "{\"id\":\"x\",\"name\":\"lossy\"}\n");
        else
            sb_addf(&sb, "{\"id\":%d,\"name\":\"a%d\"}%s\n", i, i, i % 7 ? "" : "\r");
    }
    append("fs/in/a.json", sb.buf);
    sb_clear(&sb);
    for (int i = 0; i < 1500; i++)
        sb_addf(&sb, "{\"id\":%d,\"name\":\"b%d\"}%s", 10000 + i, i, i < 1499 ? "\n" : "");
    append("fs/in/b/b.json", sb.buf);
    sb_clear(&sb);
    for (int i = 0; i < 2500; i++)
        sb_addf(&sb, "{\"id\":%d,\"name\":\"c%d\"}\n", 20000 + i, i);
    append("fs/in/c.json", sb.buf);
    append("fs/in/d.json", "");
    /* the last file ends with a record that goes to the dead letters */
    append("fs/in/e.json", "{\"id\":30000,\"name\":\"e\"}\n{\"id\":30001,\"name\":\"e\"}\n"
                           "{broken");
    append("fs/in/.hidden.json", "{\"id\":99}\n");
    sb_free(&sb);
}

static void fs_spec(struct spec *sp, bool lossy)
{
    memset(sp, 0, sizeof(*sp));
    sp->conn = "filesystem";
    sp->format = "json";
    static char path[400];
    snprintf(path, sizeof(path), "%s", path_of("fs/in"));
    const char *kv[] = {"path", path, lossy ? "json.ignore-parse-errors" : NULL, "true",
                        NULL};
    memcpy(sp->kv, kv, sizeof(kv));
    sp->n_cols = 3;
    sp->names[0] = "id", sp->types[0] = &type_bigint;
    sp->names[1] = "name", sp->types[1] = &type_string;
    sp->names[2] = "file", sp->types[2] = &type_string, sp->md[2] = "file.name";
}

static void test_filesystem(void **state)
{
    (void)state;
    fs_files();
    struct spec sp;
    fs_spec(&sp, false);
    struct rows all = {0};
    int64_t dead = 0;
    run_whole(&sp, 1, &all, &dead);
    assert_int_equal(all.n, 2997 + 1500 + 2500 + 2);
    assert_int_equal(dead, 3);
    rows_free(&all);
    check_standard(&sp, NULL);
    /* just before the undecodable line (row 1000 is line 1001 of a.json) */
    check_chain(&sp, "before a dead letter", 2,
                (struct stage[]){{1, {{1000, 0}}}, Send1}, NULL);

    /* right after a dead-lettered record: with ignore-parse-errors the lossy
     * line is a row and a dead letter at once; stop just after it */
    fs_spec(&sp, true);
    all = (struct rows){0};
    run_whole(&sp, 1, &all, &dead);
    int lossy = -1;
    for (int i = 0; i < all.n && lossy < 0; i++)
        if (strstr(all.v[i], "lossy"))
            lossy = i;
    assert_true(lossy > 0);
    rows_free(&all);
    struct stage after = {1, {{lossy, 1, 0}}};
    check_chain(&sp, "right after a dead letter", 2, (struct stage[]){after, Send1}, NULL);
    struct stage after2 = {2, {{lossy, 1, 0}, {lossy, 1, 0}}};
    check_chain(&sp, "right after a dead letter, 2->1", 2,
                (struct stage[]){after2, Send1}, NULL);

    fs_spec(&sp, false);
    expect_corrupt(&sp, 1, "cur 1 1 /x\n");
    expect_corrupt(&sp, 1, "v1\ncur x 1 /x\n");
    expect_corrupt(&sp, 1, "v1\nwhat /x\n");
    expect_corrupt(&sp, 1, "v1\ndone %zz\n");
    /* the same file partially read in two positions */
    char two[600];
    snprintf(two, sizeof(two), "v1\ncur 10 1 %s\n", path_of("fs/in/c.json"));
    expect_corrupt(&sp, 2, two);
}

/* Paths with a newline or '%' survive the position text. */
static void test_filesystem_odd_names(void **state)
{
    (void)state;
    mkdirs("odd/in");
    struct strbuf sb = {0};
    for (int i = 0; i < 3000; i++)
        sb_addf(&sb, "{\"id\":%d,\"name\":\"n\"}\n", i);
    append("odd/in/a%41\nb.json", sb.buf);
    append("odd/in/z 1.json", sb.buf);
    sb_free(&sb);
    struct spec sp;
    fs_spec(&sp, false);
    static char path[400];
    snprintf(path, sizeof(path), "%s", path_of("odd/in"));
    sp.kv[1] = path;
    check_chain(&sp, "odd names 1->1", 2, (struct stage[]){S1a, Send1}, NULL);
    check_chain(&sp, "odd names 1->2", 2, (struct stage[]){S1b, Send2}, NULL);
}

/* ---- datagen ------------------------------------------------------------------------ */

static void dg_spec(struct spec *sp, const char *rows)
{
    memset(sp, 0, sizeof(*sp));
    sp->conn = "datagen";
    const char *kv[] = {"number-of-rows", rows, "rows-per-second", "0",
                        "fields.id.kind", "sequence", "fields.id.start", "-5",
                        "fields.id.end", "100000", "fields.v.min", "-1000",
                        "fields.v.max", "1000", "fields.s.length", "6",
                        "fields.n.null-rate", "0.3", NULL};
    memcpy(sp->kv, kv, sizeof(kv));
    sp->n_cols = 4;
    sp->names[0] = "id", sp->types[0] = &type_bigint;
    sp->names[1] = "v", sp->types[1] = &type_int;
    sp->names[2] = "s", sp->types[2] = &type_string;
    sp->names[3] = "n", sp->types[3] = &type_bigint;
}

static void test_datagen(void **state)
{
    (void)state;
    struct spec sp;
    dg_spec(&sp, "10007");
    /* the rows do not depend on the parallelism */
    struct rows r1 = {0}, r2 = {0}, r3 = {0};
    run_whole(&sp, 1, &r1, NULL);
    run_whole(&sp, 2, &r2, NULL);
    run_whole(&sp, 3, &r3, NULL);
    assert_int_equal(r1.n, 10007);
    rows_expect_same(&r2, &r1, "datagen P=2 vs P=1");
    rows_expect_same(&r3, &r1, "datagen P=3 vs P=1");
    rows_free(&r1);
    rows_free(&r2);
    rows_free(&r3);
    check_standard(&sp, NULL);
    /* subtasks far apart: the restored ones skip what the fast one emitted */
    struct stage apart = {3, {{1, 0}, {DRAIN, 0}, {BATCH_CAP, BATCH_CAP, 0}}};
    check_chain(&sp, "3->2, far apart", 2, (struct stage[]){apart, Send2}, NULL);
    check_chain(&sp, "3->4->1", 3,
                (struct stage[]){apart, {4, {{5, 0}, {0}, {2000, 0}, {77, 0}}}, Send1},
                NULL);
    /* the sequence ends the table before number-of-rows does */
    dg_spec(&sp, "200000");
    check_chain(&sp, "sequence end, 2->3", 2, (struct stage[]){S2a, Send3}, NULL);

    /* unchanged parallelism: the position is the subtask's own cursor */
    dg_spec(&sp, "10007");
    struct inst in;
    inst_open(&in, &sp, 1, 2);
    struct rows r = {0};
    inst_poll(&in, 10, &r);
    char *pos = inst_position(&in);
    assert_string_equal(pos, "v1\nclass 2 1 21\n");
    mem_free(pos);
    inst_close(&in, NULL);
    rows_free(&r);

    expect_corrupt(&sp, 1, "rows=5");
    expect_corrupt(&sp, 1, "v1\n");
    expect_corrupt(&sp, 1, "v1\nclass 2 2 5\n");
    expect_corrupt(&sp, 1, "v1\nclass 1 0 5\nclass 1 0 6\n");
    expect_corrupt(&sp, 1, "v1\nclass 1 0 5\ndone 0 0 1\n");
    expect_corrupt(&sp, 1, "v1\nclass 1 0 -5\n");
}

/* ---- nexmark ------------------------------------------------------------------------ */

static const char *const bid_names[] = {"auction", "bidder", "price", "dateTime"};
static const char *const person_names[] = {"id", "name", "dateTime"};

static void nx_spec(struct spec *sp, struct arena *a)
{
    memset(sp, 0, sizeof(*sp));
    sp->conn = "nexmark";
    const char *kv[] = {"events.num", "9001", NULL};
    memcpy(sp->kv, kv, sizeof(kv));
    const struct sql_type *ts = type_timestamp(a, T_TIMESTAMP, 3);
    const struct sql_type **bt = arena_alloc(a, 4 * sizeof(*bt));
    bt[0] = bt[1] = bt[2] = &type_bigint;
    bt[3] = ts;
    const struct sql_type **pt = arena_alloc(a, 3 * sizeof(*pt));
    pt[0] = &type_bigint;
    pt[1] = &type_string;
    pt[2] = ts;
    struct sql_type *bid = type_new(a, T_ROW), *person = type_new(a, T_ROW);
    bid->n_fields = 4, bid->field_names = bid_names, bid->field_types = bt;
    person->n_fields = 3, person->field_names = person_names, person->field_types = pt;
    sp->n_cols = 3;
    sp->names[0] = "event_type", sp->types[0] = &type_int;
    sp->names[1] = "bid", sp->types[1] = bid;
    sp->names[2] = "person", sp->types[2] = person;
}

static void test_nexmark(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct spec sp;
    nx_spec(&sp, &a);
    check_standard(&sp, NULL);
    /* positions name the splits of the first run's parallelism */
    struct inst in;
    inst_open(&in, &sp, 0, 1);
    const char *old[] = {"v1\nsplits 3\nsplit 0 10\n", "v1\nsplits 3\nsplit 1 20\n",
                         "v1\nsplits 3\nsplit 2 3000\n"};
    inst_seek(&in, (char *const *)old, 3);
    char *pos = inst_position(&in);
    assert_string_equal(pos, "v1\nsplits 3\nsplit 0 10\nsplit 1 20\nsplit 2 3000\n");
    mem_free(pos);
    inst_close(&in, NULL);

    expect_corrupt(&sp, 1, "events=10");
    expect_corrupt(&sp, 1, "v1\nsplit 0 10\n");
    expect_corrupt(&sp, 1, "v1\nsplits 2\nsplit 2 10\n");
    expect_corrupt(&sp, 1, "v1\nsplits 1\nsplit 0 9002\n");
    expect_corrupt(&sp, 2, "v1\nsplits 2\nsplit 0 10\n");      /* split 0 twice */
    arena_free(&a);
}

/* ---- log ------------------------------------------------------------------------------ */

static void log_produce(const char *topic, int p, int first, int n, int bad_every)
{
    struct log_appender *ap;
    struct weir_error err = {0};
    if (log_appender_open(path_of("log"), topic, p, 0, &ap, NULL, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    for (int i = 0; i < n; i++) {
        char v[64];
        if (bad_every > 0 && (first + i) % bad_every == bad_every - 1)
            snprintf(v, sizeof(v), "bad %d", first + i);
        else
            snprintf(v, sizeof(v), "{\"id\":%d}", first + i);
        struct log_record r = {.timestamp = 1000 + first + i, .key = NULL, .key_len = -1,
                               .value = v, .value_len = (int32_t)strlen(v)};
        if (log_append(ap, &r, 1, NULL, &err) != WEIR_OK)
            fail_msg("%s", err.message);
    }
    log_appender_close(ap);
}

static void log_topic(const char *topic, int partitions)
{
    struct log_topic_config cfg;
    log_topic_config_default(&cfg);
    cfg.n_partitions = partitions;
    struct weir_error err = {0};
    mkdirs("log");
    if (log_topic_create(path_of("log"), topic, &cfg, &err) != WEIR_OK)
        fail_msg("%s", err.message);
}

static void log_spec(struct spec *sp, const char *topic, bool bounded)
{
    memset(sp, 0, sizeof(*sp));
    sp->conn = "log";
    sp->format = "json";
    static char dir[400];
    snprintf(dir, sizeof(dir), "%s", path_of("log"));
    const char *kv[] = {"topic", topic, "data-dir", dir,
                        bounded ? "scan.bounded.mode" : NULL, "latest-offset", NULL};
    memcpy(sp->kv, kv, sizeof(kv));
    sp->n_cols = 3;
    sp->names[0] = "id", sp->types[0] = &type_bigint;
    sp->names[1] = "part", sp->types[1] = &type_int, sp->md[1] = "partition";
    sp->names[2] = "off", sp->types[2] = &type_bigint, sp->md[2] = "offset";
}

/* More records after the first stage: a bounded source restored from it must
 * stop where the uninterrupted run stopped. */
static void log_more(int stage)
{
    (void)stage;
    for (int p = 0; p < 4; p++)
        log_produce("in", p, 50000 + p * 100, 25, 0);
}

static void test_log(void **state)
{
    (void)state;
    log_topic("in", 4);
    log_produce("in", 0, 0, 2600, 97);
    log_produce("in", 1, 10000, 700, 0);
    log_produce("in", 2, 20000, 3100, 500);
    log_produce("in", 3, 30000, 10, 0);
    struct spec sp;
    log_spec(&sp, "in", true);
    check_standard(&sp, log_more);
    expect_corrupt(&sp, 1, "0:7,1:10");
    expect_corrupt(&sp, 1, "v1\npart 0 x -1\n");
    expect_corrupt(&sp, 1, "v1\npart 0 5 -7\n");
    expect_corrupt(&sp, 2, "v1\npart 0 5 -1\n");     /* partition 0 twice */
}

/* Unbounded: the last record visible is undecodable; the position taken then
 * is right after it, and the restored source does not dead-letter it again. */
static void test_log_after_dead_letter(void **state)
{
    (void)state;
    log_topic("tail", 1);
    log_produce("tail", 0, 0, 50, 50);             /* record 49 is bad */
    struct spec sp;
    log_spec(&sp, "tail", false);
    struct inst in;
    struct rows got = {0};
    int64_t dead = 0;
    inst_open(&in, &sp, 0, 1);
    inst_read_until(&in, &got, 49);
    assert_int_equal(got.n, 49);
    assert_int_equal(atomic_load(&in.src->metrics.dead_letters), 1);
    char *pos[1] = {inst_position(&in)};
    assert_string_equal(pos[0], "v1\npart 0 50 -1\n");
    inst_close(&in, &dead);
    log_produce("tail", 0, 50, 30, 0);
    inst_open(&in, &sp, 0, 1);
    inst_seek(&in, pos, 1);
    inst_read_until(&in, &got, 79);
    assert_int_equal(got.n, 79);
    inst_close(&in, &dead);
    assert_int_equal(dead, 1);
    mem_free(pos[0]);
    rows_free(&got);
}

/* ---- tail ------------------------------------------------------------------------------ */

static void tail_files(void)
{
    mkdirs("tail/in");
    struct strbuf sb = {0};
    const int sizes[] = {3000, 100, 2600, 1, 900, 4100};
    for (int f = 0; f < 6; f++) {
        sb_clear(&sb);
        for (int i = 0; i < sizes[f]; i++) {
            if (i % 400 == 399)
                sb_adds(&sb, "oops\n");
            else if (i % 1000 == 555)
                sb_addf(&sb, "{\"id\":%d,\"name\":\"%0300d\"}\n", i, 0);     /* too long */
            else
                sb_addf(&sb, "{\"id\":%d,\"name\":\"f%d\"}\n", f * 10000 + i, f);
        }
        char rel[64];
        snprintf(rel, sizeof(rel), "tail/in/f%d.log", f);
        append(rel, sb.buf);
    }
    append("tail/in/f5.log", "{\"id\":1,\"name\":\"last\"}\nlast-bad\n");
    sb_free(&sb);
}

static void tail_spec(struct spec *sp, const char *glob_rel, bool bounded, const char *pf)
{
    memset(sp, 0, sizeof(*sp));
    sp->conn = "tail";
    sp->format = "json";
    static char glob[4][400];
    static int k;
    k = (k + 1) % 4;
    snprintf(glob[k], sizeof(glob[k]), "%s", path_of(glob_rel));
    int n = 0;
    sp->kv[n++] = "path", sp->kv[n++] = glob[k];
    sp->kv[n++] = "max-line-length", sp->kv[n++] = "200b";
    if (bounded)
        sp->kv[n++] = "scan.bounded", sp->kv[n++] = "true";
    if (pf)
        sp->kv[n++] = "position.file", sp->kv[n++] = pf;
    sp->kv[n] = NULL;
    sp->n_cols = 3;
    sp->names[0] = "id", sp->types[0] = &type_bigint;
    sp->names[1] = "name", sp->types[1] = &type_string;
    sp->names[2] = "file", sp->types[2] = &type_string, sp->md[2] = "file.name";
}

/* After the first stage the files grow and a new one appears: a bounded
 * source restored from a checkpoint reads neither. */
static void tail_more(int stage)
{
    (void)stage;
    append("tail/in/f0.log", "{\"id\":-1,\"name\":\"later\"}\n");
    char rel[64];
    snprintf(rel, sizeof(rel), "tail/in/new%d.log", stage);
    append(rel, "{\"id\":-2,\"name\":\"later\"}\n");
}

static void test_tail(void **state)
{
    (void)state;
    tail_files();
    struct spec sp;
    tail_spec(&sp, "tail/in/*.log", true, NULL);
    check_standard(&sp, tail_more);
    expect_corrupt(&sp, 1, "v1\n");
    expect_corrupt(&sp, 1, "tail v1\nfile 1 2\n");
    expect_corrupt(&sp, 1, "tail v1\nend 5\n");
}

/* Unbounded: the position right after a dead-lettered last line, then more
 * lines; and position.file gives way to the checkpoint. */
static void test_tail_after_dead_letter_and_position_file(void **state)
{
    (void)state;
    mkdirs("tl");
    append("tl/a.log", "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"a\"}\nbad line\n");
    char pf[400];
    snprintf(pf, sizeof(pf), "%s", path_of("tl/pos"));
    struct spec sp;
    tail_spec(&sp, "tl/*.log", false, pf);
    struct inst in;
    struct rows got = {0};
    int64_t dead = 0;
    inst_open(&in, &sp, 0, 1);
    inst_read_until(&in, &got, 2);
    assert_int_equal(got.n, 2);
    assert_int_equal(atomic_load(&in.src->metrics.dead_letters), 1);
    /* without checkpoints the position file follows the polls */
    char *text = slurp(pf);
    assert_non_null(strstr(text, " 49 "));
    mem_free(text);
    /* a checkpoint's position is right after the bad line; the file gets it,
     * and from then on only what checkpoints take */
    char *pos[1] = {inst_position(&in)};
    assert_non_null(strstr(pos[0], " 49 "));
    text = slurp(pf);
    assert_string_equal(text, pos[0]);
    mem_free(text);
    append("tl/a.log", "{\"id\":3,\"name\":\"a\"}\n");
    inst_read_until(&in, &got, 3);                    /* read on, not saved */
    assert_int_equal(got.n, 3);
    text = slurp(pf);
    assert_string_equal(text, pos[0]);
    mem_free(text);
    inst_close(&in, &dead);

    /* a stale position file (at the start) must not win over the checkpoint */
    remove(pf);
    append("tl/pos", "tail v1\n");
    struct rows rest = {0};
    inst_open(&in, &sp, 0, 1);
    inst_seek(&in, pos, 1);
    append("tl/a.log", "{\"id\":4,\"name\":\"a\"}\n");
    inst_read_until(&in, &rest, 2);
    assert_int_equal(rest.n, 2);
    assert_string_equal(rest.v[0], "+I[3, a, a.log]");
    assert_string_equal(rest.v[1], "+I[4, a, a.log]");
    inst_close(&in, &dead);
    assert_int_equal(dead, 1);
    mem_free(pos[0]);
    rows_free(&got);
    rows_free(&rest);
}

/* ---- sqlite ------------------------------------------------------------------------------ */

static void sql_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static void sqlite_db(void)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path_of("t.db"), &db), SQLITE_OK);
    sql_exec(db, "CREATE TABLE t (id INTEGER, name TEXT, v INTEGER);"
                 "CREATE TABLE k (id INTEGER PRIMARY KEY, name TEXT, v INTEGER) "
                 "WITHOUT ROWID; BEGIN");
    sqlite3_stmt *ins, *insk;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t (rowid, id, name, v) "
                                        "VALUES (?, ?, ?, ?)", -1, &ins, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO k VALUES (?, ?, ?)", -1, &insk,
                                        NULL), SQLITE_OK);
    for (int i = 0; i < 5200; i++) {
        /* negative, zero and gapped rowids; every 333rd value does not convert */
        int64_t rowid = i < 20 ? -38 + 2 * i : (int64_t)i * 3 - (i % 5);
        sqlite3_bind_int64(ins, 1, rowid);
        sqlite3_bind_int64(ins, 2, i);
        sqlite3_bind_text(ins, 3, "n", 1, SQLITE_STATIC);
        if (i % 333 == 7 || i == 5199)
            sqlite3_bind_text(ins, 4, "text", 4, SQLITE_STATIC);
        else
            sqlite3_bind_int64(ins, 4, i * 10);
        assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
        sqlite3_bind_int64(insk, 1, 7 * i);
        sqlite3_bind_text(insk, 2, "k", 1, SQLITE_STATIC);
        if (i % 1000 == 3)
            sqlite3_bind_text(insk, 3, "text", 4, SQLITE_STATIC);
        else
            sqlite3_bind_int64(insk, 3, i);
        assert_int_equal(sqlite3_step(insk), SQLITE_DONE);
        sqlite3_reset(insk);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(insk);
    sql_exec(db, "COMMIT");
    sqlite3_close(db);
}

static void sqlite_spec(struct spec *sp, const char *table)
{
    memset(sp, 0, sizeof(*sp));
    sp->conn = "sqlite";
    static char db[400];
    snprintf(db, sizeof(db), "%s", path_of("t.db"));
    const char *kv[] = {"path", db, "table-name", table, NULL};
    memcpy(sp->kv, kv, sizeof(kv));
    sp->n_cols = 3;
    sp->names[0] = "id", sp->types[0] = &type_bigint;
    sp->names[1] = "name", sp->types[1] = &type_string;
    sp->names[2] = "v", sp->types[2] = &type_int;
}

static void test_sqlite(void **state)
{
    (void)state;
    sqlite_db();
    struct spec sp;
    sqlite_spec(&sp, "t");
    struct rows all = {0};
    int64_t dead = 0;
    run_whole(&sp, 1, &all, &dead);
    assert_int_equal(all.n + dead, 5200);         /* negative rowids are read too */
    rows_free(&all);
    all = (struct rows){0};
    int64_t dead2 = 0;
    run_whole(&sp, 3, &all, &dead2);
    assert_int_equal(all.n + dead2, 5200);
    rows_free(&all);
    check_standard(&sp, NULL);

    sqlite_spec(&sp, "k");                          /* WITHOUT ROWID */
    check_chain(&sp, "without rowid 1->1", 2, (struct stage[]){S1a, Send1}, NULL);
    check_chain(&sp, "without rowid 1->2", 2, (struct stage[]){S1b, Send2}, NULL);
    check_chain(&sp, "without rowid 2->1", 2, (struct stage[]){S2a, Send1}, NULL);
    check_chain(&sp, "without rowid at the end", 2, (struct stage[]){S1end, Send2}, NULL);

    sqlite_spec(&sp, "t");
    expect_corrupt(&sp, 1, "rowid 5");
    expect_corrupt(&sp, 1, "v1\nclass 1 0 x\n");
    expect_corrupt(&sp, 1, "v1\nclass 2 3 4\n");
    expect_corrupt(&sp, 1, "v1\nclass 1 0 4\nclass 1 0 5\n");
    expect_corrupt(&sp, 1, "v1\nrows -1\n");
}

/* ---- VALUES ------------------------------------------------------------------------------ */

#define NV 5000

static void test_values(void **state)
{
    (void)state;
    struct expr *lits = mem_calloc(NV, sizeof(*lits));
    struct expr ***rows = mem_calloc(NV, sizeof(*rows));
    struct expr **cells = mem_calloc(NV, sizeof(*cells));
    for (int i = 0; i < NV; i++) {
        lits[i] = (struct expr){.kind = EX_LITERAL, .type = &type_bigint, .lit = {.i = i}};
        cells[i] = &lits[i];
        rows[i] = &cells[i];
    }
    const struct sql_type *types[] = {&type_bigint};
    /* job.c gives the rows to the first instance; a stage at P has one source
     * with them and P - 1 without */
    int plans[][3] = {{1, 1000, 1}, {1, DRAIN, 2}, {2, 1, 1}, {2, 2000, 3}, {1, 0, 2}};
    for (size_t c = 0; c < sizeof(plans) / sizeof(plans[0]); c++) {
        int P1 = plans[c][0], P2 = plans[c][2];
        char *pos[MAX_P] = {NULL};
        struct rows got = {0};
        for (int s = 0; s < P1; s++) {
            struct inst in = {0};
            in.src = values_source_new(rows, s == 0 ? NV : 0, 1, types);
            in.b = batch_new(1, types);
            if (plans[c][1] == DRAIN)
                inst_drain(&in, &got);
            else if (plans[c][1] > 0)
                inst_poll(&in, plans[c][1], &got);
            pos[s] = inst_position(&in);
            in.src->ops->close(in.src);
            batch_free(in.b);
        }
        for (int s = 0; s < P2; s++) {
            struct inst in = {0};
            in.src = values_source_new(rows, s == 0 ? NV : 0, 1, types);
            in.b = batch_new(1, types);
            inst_seek(&in, pos, P1);
            inst_drain(&in, &got);
            in.src->ops->close(in.src);
            batch_free(in.b);
        }
        assert_int_equal(got.n, NV);
        qsort(got.v, (size_t)got.n, sizeof(char *), cmp_str);
        for (int i = 1; i < got.n; i++)
            assert_true(strcmp(got.v[i - 1], got.v[i]) != 0);
        for (int s = 0; s < P1; s++)
            mem_free(pos[s]);
        rows_free(&got);
    }
    /* malformed */
    struct source *src = values_source_new(rows, NV, 1, types);
    struct weir_error err = {0};
    const char *bad[][2] = {{"5", NULL}, {"v1\nrow x\n", NULL}, {"v1\nrow 5001\n", NULL},
                            {"v1\nrow 1\n", "v1\nrow 2\n"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(src->ops->seek(src, bad[i], bad[i][1] ? 2 : 1, &err),
                         WEIR_ERR_CORRUPT);
        err_clear(&err);
    }
    src->ops->close(src);
    mem_free(lits);
    mem_free(rows);
    mem_free(cells);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filesystem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filesystem_odd_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datagen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nexmark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_after_dead_letter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_after_dead_letter_and_position_file,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
