/*
 * micro_formats.c — decoder throughput of the json and csv formats on
 * generated ~80-byte records, projecting 3 of 5 (JSON) or 7 (CSV) columns (the
 * shape of a typical filter/aggregate job).  Standalone; build by hand against
 * the library `make` builds (its own format files listed first win over the
 * archive's, which is how two versions of a decoder are compared):
 *
 *   make build/libweir.a
 *   gcc -std=c17 -O2 -D_GNU_SOURCE -Isrc -o /tmp/micro_formats \
 *       bench/micro_formats.c build/libweir.a $(sed -n 's/^LDLIBS := //p' Makefile)
 *
 * (the libraries are the Makefile's LDLIBS: -lpcre2-8 -lsqlite3 -lm -lpthread
 * when this was written).
 *
 * Prints MB/s and records/s of decode() alone (the line splitting a connector
 * does is not included).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "formats/format.h"

#define N_REC 200000
#define ROUNDS 15

/* CPU time of this thread: the machine may be shared, wall time would count
 * time spent descheduled. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(const char *fmt, const char *(*gen)(int, char *), int n_cols,
                const char **names, const struct sql_type **types, int n_all,
                const char **all_names, const struct sql_type **all_types,
                const int *proj)
{
    const char *keys[] = {"connector", "path", "format"};
    const char *vals[] = {"filesystem", "/tmp/x", fmt};
    struct opt_set *opts;
    struct weir_error err = {0};
    if (conn_validate(conn_lookup("filesystem"), NULL, "bench", 3, keys, vals, true,
                      &opts, &err) != WEIR_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    struct table_ctx t = {
        .table_name = "bench", .n_cols = n_cols, .col_names = names, .col_types = types,
        .n_all_physical = n_all, .all_physical_names = all_names,
        .all_physical_types = all_types, .projection = proj, .opts = opts,
        .format = format_lookup(fmt), .parallelism = 1,
    };
    struct decoder *dec;
    if (t.format->decoder_create(&t, &dec, &err) != WEIR_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    /* records back to back, offsets kept aside */
    char *buf = malloc((size_t)N_REC * 128);
    size_t *off = malloc(sizeof(size_t) * (N_REC + 1));
    size_t pos = 0;
    char line[256];
    for (int i = 0; i < N_REC; i++) {
        const char *r = gen(i, line);
        size_t n = strlen(r);
        off[i] = pos;
        memcpy(buf + pos, r, n);
        pos += n;
    }
    off[N_REC] = pos;
    struct batch *b = batch_new(n_cols, types);
    double best = 1e9;
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = now_s();
        for (int i = 0; i < N_REC; i++) {
            if (b->n == BATCH_CAP)
                batch_reset(b);
            bool lossy = false;
            if (dec->ops->decode(dec, buf + off[i], off[i + 1] - off[i], b, b->n, &lossy,
                                 &err) != WEIR_OK) {
                fprintf(stderr, "record %d: %s\n", i, err.message);
                exit(1);
            }
            b->n++;
        }
        double dt = now_s() - t0;
        if (dt < best)
            best = dt;
    }
    printf("%-5s %zu records, avg %.1f bytes: %8.0f MB/s  %6.1f M records/s\n", fmt,
           (size_t)N_REC, (double)pos / N_REC, (double)pos / best / 1e6,
           N_REC / best / 1e6);
    dec->ops->free(dec);
    batch_free(b);
    opt_set_free(opts);
    free(buf);
    free(off);
}

static const char *actions[] = {"click", "view", "buy", "share"};

static const char *gen_json(int i, char *line)
{
    sprintf(line, "{\"user_id\":%d,\"action\":\"%s\",\"item\":\"i-%d\",\"amount\":%d.%d,"
                  "\"ts\":\"2024-01-01 10:%02d:%02d\"}",
            100000 + i * 7 % 900000, actions[i % 4], i % 1000, i % 100, i % 10,
            i / 60 % 60, i % 60);
    return line;
}

/* The records of bench/gen_events.c (what bench/stateless.sh reads). */
static const char *actions5[] = {"view", "click", "cart", "buy", "view"};

static const char *gen_json_ev(int i, char *line)
{
    unsigned h = (unsigned)i * 2654435761u;
    sprintf(line, "{\"user_id\":%u,\"action\":\"%s\",\"item_id\":%u,\"amount\":%u.%02u,"
                  "\"ts\":%u}",
            h % 100000, actions5[h >> 8 & 3], (h >> 12) % 10000, (h >> 3) % 200, h % 100,
            1704067200u + (unsigned)i / 10);
    return line;
}

/* The CSV lines of bench/gen_events.c: the five fields, then device and page. */
static const char *devices[] = {"android", "ios", "web", "mini_program"};
static const char *refs[] = {"search", "home", "cart", "push"};

static const char *gen_csv_ev(int i, char *line)
{
    unsigned h = (unsigned)i * 2654435761u;
    unsigned item = (h >> 12) % 10000;
    sprintf(line, "%u,%s,%u,%u.%02u,%u,%s,/item/%u/detail?ref=%s&pos=%u", h % 100000,
            actions5[h >> 8 & 3], item, (h >> 3) % 200, h % 100,
            1704067200u + (unsigned)i / 10, devices[h >> 16 & 3], item,
            refs[h >> 20 & 3], h >> 24 & 31);
    return line;
}

static const char *gen_csv(int i, char *line)
{
    sprintf(line, "%d,%s,i-%d,%d.%d,2024-01-01 10:%02d:%02d", 100000 + i * 7 % 900000,
            actions[i % 4], i % 1000, i % 100, i % 10, i / 60 % 60, i % 60);
    return line;
}

int main(int argc, char **argv)
{
    /* optional argument: only this format (json or csv), projected case only */
    const char *only = argc > 1 ? argv[1] : NULL;
    struct arena a;
    arena_init(&a, 0);
    /* the schema and records of bench/stateless.sh: amount DECIMAL(10, 2),
     * item_id and ts not read (the job's projection) */
    const char *ev_names[] = {"user_id", "action", "item_id", "amount", "ts"};
    const struct sql_type *ev_types[] = {&type_bigint, &type_string, &type_bigint,
                                         type_decimal(&a, 10, 2), &type_bigint};
    const char *ev_proj_names[] = {"user_id", "action", "amount"};
    const struct sql_type *ev_proj_types[] = {&type_bigint, &type_string, ev_types[3]};
    const int ev_proj[] = {0, 1, 3};
    /* the CSV lines carry two more fields (bench/stateless_csv.sql) */
    const char *csv_names[] = {"user_id", "action", "item_id", "amount", "ts", "device",
                               "page"};
    const struct sql_type *csv_types[] = {&type_bigint, &type_string, &type_bigint,
                                          ev_types[3], &type_bigint, &type_string,
                                          &type_string};
    printf("stateless.sh events, 3 of 5 (JSON) / 7 (CSV) columns, amount DECIMAL(10, 2):\n");
    if (only == NULL || strcmp(only, "json") == 0)
        run("json", gen_json_ev, 3, ev_proj_names, ev_proj_types, 5, ev_names, ev_types,
            ev_proj);
    if (only == NULL || strcmp(only, "csv") == 0)
        run("csv", gen_csv_ev, 3, ev_proj_names, ev_proj_types, 7, csv_names, csv_types,
            ev_proj);
    printf("3 of 5 columns, amount DOUBLE, ts a timestamp string:\n");
    const char *all_names[] = {"user_id", "action", "item", "amount", "ts"};
    const struct sql_type *all_types[] = {&type_bigint, &type_string, &type_string,
                                          &type_double,
                                          type_timestamp(&a, T_TIMESTAMP, 3)};
    const char *names[] = {"user_id", "action", "amount"};
    const struct sql_type *types[] = {&type_bigint, &type_string, &type_double};
    const int proj[] = {0, 1, 3};
    if (only == NULL || strcmp(only, "json") == 0)
        run("json", gen_json, 3, names, types, 5, all_names, all_types, proj);
    if (only == NULL || strcmp(only, "csv") == 0)
        run("csv", gen_csv, 3, names, types, 5, all_names, all_types, proj);
    if (only) {
        arena_free(&a);
        return 0;
    }
    /* all five columns, timestamp included */
    const int proj5[] = {0, 1, 2, 3, 4};
    printf("all 5 columns:\n");
    run("json", gen_json, 5, all_names, all_types, 5, all_names, all_types, proj5);
    run("csv", gen_csv, 5, all_names, all_types, 5, all_names, all_types, proj5);
    arena_free(&a);
    return 0;
}
