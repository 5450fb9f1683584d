/*
 * cli.c — the log's console tools, close to Kafka's kafka-topics,
 * kafka-console-producer/-consumer and kafka-consumer-groups:
 *
 *   weir topic create NAME [--partitions N] [--durability batch|interval:MS|os]
 *                          [--retention-ms N] [--retention-bytes N] [--segment-bytes N]
 *   weir topic list | describe NAME | delete NAME
 *   weir produce TOPIC [--key-separator C] [--partition P]
 *   weir consume TOPIC [--group G] [--from-beginning | --offset N] [--partition P]
 *                      [--max-messages N] [--timeout-ms N] [--print-key]
 *                      [--isolation-level read_committed|read_uncommitted]
 *   weir groups [GROUP]
 *
 * Every command takes --data-dir DIR (else $WEIR_DATA_DIR, else ./weir-data).
 * Exit codes: 0 ok, 1 failed, 2 bad usage; errors name the valid options.
 * produce and consume stop cleanly on SIGINT/SIGTERM (a second one kills).
 */
#include "core/mem.h"
#include "core/strbuf.h"
#include "log/cli.h"
#include "log/log.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    if (stop_flag)
        signal(sig, SIG_DFL);       /* second signal: the user insists */
    stop_flag = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;      /* no SA_RESTART: read/poll return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* ---- argument helpers ------------------------------------------------------------ */

struct args {
    const char *cmd;            /* "topic create", for messages */
    const char *valid;          /* "--partitions, --durability, ..." */
    const char *dir;
    int rc;                     /* 2 after a usage error */
};

static int usage_err(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_err(struct args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "weir %s: ", a->cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    a->rc = 2;
    return 2;
}

static int fail(struct args *a, struct weir_error *err)
{
    fprintf(stderr, "weir %s: %s\n", a->cmd, err->message ? err->message : weir_rc_str(err->code));
    err_clear(err);
    return 1;
}

/* Parses an integer option value in [lo, hi]. */
static bool int_arg(struct args *a, const char *opt, const char *v, int64_t lo, int64_t hi,
                    int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        usage_err(a, "%s expects an integer from %lld to %lld, got '%s'", opt,
                  (long long)lo, (long long)hi, v);
        return false;
    }
    *out = x;
    return true;
}

const char *log_default_dir(void)
{
    const char *e = getenv("WEIR_DATA_DIR");
    return e && *e ? e : LOG_DEFAULT_DIR;
}

static const char *default_dir(void)
{
    return log_default_dir();
}

/* Option needing a value: returns it or NULL after a usage error. */
static const char *val(struct args *a, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        usage_err(a, "%s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static int unknown(struct args *a, const char *opt)
{
    return usage_err(a, "unknown option '%s'; valid: %s", opt, a->valid);
}

/* ---- weir topic ------------------------------------------------------------------- */

static int topic_create(struct args *a, int argc, char **argv)
{
    a->cmd = "topic create";
    a->valid = "--partitions, --durability, --retention-ms, --retention-bytes, "
               "--segment-bytes, --data-dir";
    struct log_topic_config cfg;
    log_topic_config_default(&cfg);
    const char *name = NULL;
    struct weir_error err = {0};
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v;
        int64_t x;
        if (strcmp(o, "--data-dir") == 0) {
            if (!(a->dir = val(a, argc, argv, &i)))
                return 2;
        } else if (strcmp(o, "--partitions") == 0) {
            if (!(v = val(a, argc, argv, &i)) ||
                !int_arg(a, o, v, 1, LOG_MAX_PARTITIONS, &x))
                return 2;
            cfg.n_partitions = (int)x;
        } else if (strcmp(o, "--durability") == 0) {
            if (!(v = val(a, argc, argv, &i)))
                return 2;
            if (log_durability_parse(v, &cfg, &err)) {
                usage_err(a, "%s", err.message);
                err_clear(&err);
                return 2;
            }
        } else if (strcmp(o, "--retention-ms") == 0) {
            if (!(v = val(a, argc, argv, &i)) || !int_arg(a, o, v, -1, INT64_MAX, &x))
                return 2;
            cfg.retention_ms = x;
        } else if (strcmp(o, "--retention-bytes") == 0) {
            if (!(v = val(a, argc, argv, &i)) || !int_arg(a, o, v, -1, INT64_MAX, &x))
                return 2;
            cfg.retention_bytes = x;
        } else if (strcmp(o, "--segment-bytes") == 0) {
            if (!(v = val(a, argc, argv, &i)) || !int_arg(a, o, v, 1024, 1 << 30, &x))
                return 2;
            cfg.segment_bytes = x;
        } else if (o[0] == '-') {
            return unknown(a, o);
        } else if (name == NULL) {
            name = o;
        } else {
            return usage_err(a, "one topic at a time (got '%s' and '%s')", name, o);
        }
    }
    if (name == NULL)
        return usage_err(a, "missing topic name; usage: weir topic create NAME "
                            "[--partitions N] [--durability batch|interval:MS|os] "
                            "[--retention-ms N] [--retention-bytes N]");
    if (log_topic_create(a->dir, name, &cfg, &err))
        return fail(a, &err);
    char d[32];
    printf("Created topic %s (%d partition%s, durability %s).\n", name, cfg.n_partitions,
           cfg.n_partitions == 1 ? "" : "s", log_durability_str(&cfg, d));
    return 0;
}

static int topic_describe(struct args *a, const char *name)
{
    struct weir_error err = {0};
    struct log_topic_config cfg;
    if (log_topic_config_read(a->dir, name, &cfg, &err))
        return fail(a, &err);
    char d[32];
    printf("Topic: %s\tPartitions: %d\tDurability: %s\tRetentionMs: %lld\t"
           "RetentionBytes: %lld\tSegmentBytes: %lld\n", name, cfg.n_partitions,
           log_durability_str(&cfg, d), (long long)cfg.retention_ms,
           (long long)cfg.retention_bytes, (long long)cfg.segment_bytes);
    for (int p = 0; p < cfg.n_partitions; p++) {
        struct log_partition_info in;
        if (log_partition_info(a->dir, name, p, &in, &err))
            return fail(a, &err);
        char w[32] = "none";
        if (in.writer_pid)
            snprintf(w, sizeof w, "pid %d", in.writer_pid);
        printf("\tPartition: %d\tStartOffset: %lld\tEndOffset: %lld\tCommittedOffset: %lld\t"
               "DurableOffset: %lld\tSegments: %d\tBytes: %lld\tWriter: %s\n", p,
               (long long)in.start_offset, (long long)in.end_offset,
               (long long)in.committed_offset, (long long)in.durable_offset, in.n_segments,
               (long long)in.size_bytes, w);
    }
    return 0;
}

int log_cli_topic(int argc, char **argv)
{
    struct args a = {"topic", "create, list, describe, delete", default_dir(), 0};
    if (argc < 1)
        return usage_err(&a, "missing subcommand; valid: create, list, describe, delete");
    const char *sub = argv[0];
    if (strcmp(sub, "create") == 0)
        return topic_create(&a, argc - 1, argv + 1);
    if (strcmp(sub, "list") != 0 && strcmp(sub, "describe") != 0 && strcmp(sub, "delete") != 0)
        return usage_err(&a, "unknown subcommand '%s'; valid: create, list, describe, delete",
                         sub);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "topic %s", sub);
    a.cmd = cmd;
    a.valid = "--data-dir";
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data-dir") == 0) {
            if (!(a.dir = val(&a, argc, argv, &i)))
                return 2;
        } else if (argv[i][0] == '-') {
            return unknown(&a, argv[i]);
        } else if (name == NULL && strcmp(sub, "list") != 0) {
            name = argv[i];
        } else {
            return usage_err(&a, "unexpected argument '%s'", argv[i]);
        }
    }
    struct weir_error err = {0};
    if (strcmp(sub, "list") == 0) {
        char **names;
        int n;
        if (log_topic_list(a.dir, &names, &n, &err))
            return fail(&a, &err);
        for (int i = 0; i < n; i++)
            printf("%s\n", names[i]);
        log_names_free(names, n);
        return 0;
    }
    if (name == NULL)
        return usage_err(&a, "missing topic name; usage: weir topic %s NAME", sub);
    if (strcmp(sub, "describe") == 0)
        return topic_describe(&a, name);
    if (log_topic_delete(a.dir, name, &err))
        return fail(&a, &err);
    printf("Deleted topic %s.\n", name);
    return 0;
}

/* ---- weir produce ----------------------------------------------------------------- */

struct pbatch {
    struct log_record *recs;
    int n, cap;
};

/* Reads stdin in chunks of up to 1 MiB (more for a longer line); the complete
 * lines of each chunk become one batch per partition, so an interactive
 * producer appends a line at a time and a piped one appends big batches.
 * Partition: --partition P, else murmur2 of the key (with --key-separator and
 * a separator in the line), else round-robin.  Appenders open lazily, so a
 * partition nobody writes to is never locked. */
int log_cli_produce(int argc, char **argv)
{
    struct args a = {"produce", "--key-separator, --partition, --data-dir", default_dir(), 0};
    const char *topic = NULL, *sep = NULL;
    int64_t only = -1;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v;
        if (strcmp(o, "--data-dir") == 0) {
            if (!(a.dir = val(&a, argc, argv, &i)))
                return 2;
        } else if (strcmp(o, "--key-separator") == 0) {
            if (!(sep = val(&a, argc, argv, &i)))
                return 2;
            if (strlen(sep) != 1 || sep[0] == '\n')
                return usage_err(&a, "--key-separator expects one character, got '%s'", sep);
        } else if (strcmp(o, "--partition") == 0) {
            if (!(v = val(&a, argc, argv, &i)) ||
                !int_arg(&a, o, v, 0, LOG_MAX_PARTITIONS - 1, &only))
                return 2;
        } else if (o[0] == '-') {
            return unknown(&a, o);
        } else if (topic == NULL) {
            topic = o;
        } else {
            return usage_err(&a, "one topic at a time (got '%s' and '%s')", topic, o);
        }
    }
    if (topic == NULL)
        return usage_err(&a, "missing topic; usage: weir produce TOPIC "
                             "[--key-separator C] [--partition P] < lines");
    struct weir_error err = {0};
    struct log_topic_config cfg;
    if (log_topic_config_read(a.dir, topic, &cfg, &err))
        return fail(&a, &err);
    if (only >= cfg.n_partitions)
        return usage_err(&a, "--partition %lld: topic '%s' has partitions 0..%d",
                         (long long)only, topic, cfg.n_partitions - 1);
    int np = cfg.n_partitions;
    struct log_appender **ap = mem_calloc((size_t)np, sizeof *ap);
    struct pbatch *pb = mem_calloc((size_t)np, sizeof *pb);
    size_t cap = 1 << 20, have = 0;
    char *buf = mem_alloc(cap);
    int rr = 0, rc = 0;
    bool eof = false;
    install_signals();
    while (!eof && !stop_flag) {
        if (have == cap) {
            if (cap >= LOG_MAX_BATCH_BYTES / 2) {
                fprintf(stderr, "weir produce: a line longer than %d bytes\n",
                        LOG_MAX_BATCH_BYTES / 2);
                rc = 1;
                break;
            }
            buf = mem_realloc(buf, cap *= 2);
        }
        ssize_t r = read(0, buf + have, cap - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "weir produce: cannot read stdin: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (r == 0)
            eof = true;
        have += (size_t)r;
        /* split the complete lines (and, at EOF, the last one) into records */
        size_t at = 0;
        for (;;) {
            char *nl = memchr(buf + at, '\n', have - at);
            if (nl == NULL && !(eof && at < have))
                break;
            size_t end = nl ? (size_t)(nl - buf) : have;
            size_t len = end - at;
            if (len > 0 && buf[at + len - 1] == '\r')
                len--;
            struct log_record rec = {0, 0, NULL, -1, buf + at, (int32_t)len, 0, NULL};
            char *k = sep ? memchr(buf + at, sep[0], len) : NULL;
            if (k) {
                rec.key = buf + at;
                rec.key_len = (int32_t)(k - (buf + at));
                rec.value = k + 1;
                rec.value_len = (int32_t)(len - (size_t)rec.key_len - 1);
            }
            int p = only >= 0 ? (int)only
                    : rec.key ? log_partition_for_key(rec.key, (size_t)rec.key_len, np)
                              : rr++ % np;
            MEM_GROW(pb[p].recs, pb[p].cap, pb[p].n + 1);
            pb[p].recs[pb[p].n++] = rec;
            at = nl ? end + 1 : have;
        }
        for (int p = 0; p < np && rc == 0; p++) {
            if (pb[p].n == 0)
                continue;
            if (ap[p] == NULL) {
                struct log_recovery rec;
                if (log_appender_open(a.dir, topic, p, 0, &ap[p], &rec, &err)) {
                    rc = fail(&a, &err);
                    break;
                }
                if (rec.truncated_bytes > 0)
                    fprintf(stderr, "weir produce: topic '%s' partition %d recovered: cut %lld "
                            "bytes of a torn tail at offset %lld\n", topic, p,
                            (long long)rec.truncated_bytes, (long long)rec.truncated_at_offset);
                if (rec.discarded_uncommitted > 0)
                    fprintf(stderr, "weir produce: topic '%s' partition %d: discarded %lld "
                            "uncommitted records of an unfinished transaction\n", topic, p,
                            (long long)rec.discarded_uncommitted);
            }
            if (log_append(ap[p], pb[p].recs, pb[p].n, NULL, &err))
                rc = fail(&a, &err);
            pb[p].n = 0;
        }
        if (rc)
            break;
        memmove(buf, buf + at, have - at);
        have -= at;
    }
    for (int p = 0; p < np; p++) {
        log_appender_close(ap[p]);
        mem_free(pb[p].recs);
    }
    mem_free(ap);
    mem_free(pb);
    mem_free(buf);
    return rc;
}

/* ---- weir consume ----------------------------------------------------------------- */

static bool print_records(const struct log_record *recs, int n, bool print_key)
{
    for (int i = 0; i < n; i++) {
        const struct log_record *r = &recs[i];
        if (print_key) {
            if (r->key)
                fwrite(r->key, 1, (size_t)r->key_len, stdout);
            else
                fputs("null", stdout);
            putchar('\t');
        }
        if (r->value)
            fwrite(r->value, 1, (size_t)r->value_len, stdout);
        else
            fputs("null", stdout);
        putchar('\n');
    }
    return fflush(stdout) == 0;
}

/* Start position per partition, as kafka-console-consumer: --offset N, else
 * the group's committed offset, else the start (--from-beginning) or the end.
 * Reads round-robin over the partitions, one batch each; when none has data
 * it sleeps in log_reader_wait_any (at most 100 ms, so a signal is seen
 * promptly).  With --group it commits after each printed batch (stdout
 * flushed first: at-least-once) and every partition's position at exit. */
int log_cli_consume(int argc, char **argv)
{
    struct args a = {"consume", "--group, --from-beginning, --offset, --partition, "
                     "--max-messages, --timeout-ms, --print-key, --isolation-level, --data-dir",
                     default_dir(), 0};
    const char *topic = NULL, *group = NULL;
    int64_t offset = -1, part = -1, max = -1, timeout = -1;
    bool beginning = false, print_key = false;
    enum log_isolation iso = LOG_READ_COMMITTED;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v;
        if (strcmp(o, "--data-dir") == 0) {
            if (!(a.dir = val(&a, argc, argv, &i)))
                return 2;
        } else if (strcmp(o, "--group") == 0) {
            if (!(group = val(&a, argc, argv, &i)))
                return 2;
        } else if (strcmp(o, "--from-beginning") == 0) {
            beginning = true;
        } else if (strcmp(o, "--print-key") == 0) {
            print_key = true;
        } else if (strcmp(o, "--offset") == 0) {
            if (!(v = val(&a, argc, argv, &i)) || !int_arg(&a, o, v, 0, INT64_MAX, &offset))
                return 2;
        } else if (strcmp(o, "--partition") == 0) {
            if (!(v = val(&a, argc, argv, &i)) ||
                !int_arg(&a, o, v, 0, LOG_MAX_PARTITIONS - 1, &part))
                return 2;
        } else if (strcmp(o, "--max-messages") == 0) {
            if (!(v = val(&a, argc, argv, &i)) || !int_arg(&a, o, v, 1, INT64_MAX, &max))
                return 2;
        } else if (strcmp(o, "--timeout-ms") == 0) {
            if (!(v = val(&a, argc, argv, &i)) || !int_arg(&a, o, v, 0, INT32_MAX, &timeout))
                return 2;
        } else if (strcmp(o, "--isolation-level") == 0) {
            if (!(v = val(&a, argc, argv, &i)))
                return 2;
            if (strcmp(v, "read_committed") == 0)
                iso = LOG_READ_COMMITTED;
            else if (strcmp(v, "read_uncommitted") == 0)
                iso = LOG_READ_UNCOMMITTED;
            else
                return usage_err(&a, "unknown --isolation-level '%s'; valid: read_committed, "
                                     "read_uncommitted", v);
        } else if (o[0] == '-') {
            return unknown(&a, o);
        } else if (topic == NULL) {
            topic = o;
        } else {
            return usage_err(&a, "one topic at a time (got '%s' and '%s')", topic, o);
        }
    }
    if (topic == NULL)
        return usage_err(&a, "missing topic; usage: weir consume TOPIC [--group G] "
                             "[--from-beginning|--offset N] [--partition P] [--max-messages N]");
    if (offset >= 0 && beginning)
        return usage_err(&a, "--offset and --from-beginning exclude each other");
    struct weir_error err = {0};
    if (group && log_name_check("group", group, &err)) {
        usage_err(&a, "%s", err.message);
        err_clear(&err);
        return 2;
    }
    struct log_topic_config cfg;
    if (log_topic_config_read(a.dir, topic, &cfg, &err))
        return fail(&a, &err);
    if (part >= cfg.n_partitions)
        return usage_err(&a, "--partition %lld: topic '%s' has partitions 0..%d",
                         (long long)part, topic, cfg.n_partitions - 1);
    if (offset >= 0 && part < 0 && cfg.n_partitions > 1)
        return usage_err(&a, "--offset needs --partition (topic '%s' has %d partitions)",
                         topic, cfg.n_partitions);
    int first = part >= 0 ? (int)part : 0;
    int nr = part >= 0 ? 1 : cfg.n_partitions;
    struct log_reader **rs = mem_calloc((size_t)nr, sizeof *rs);
    int rc = 0;
    for (int i = 0; i < nr && rc == 0; i++) {
        int p = first + i;
        int64_t committed = -1;
        if (log_reader_open(a.dir, topic, p, iso, &rs[i], &err) ||
            (group && log_group_fetch(a.dir, group, topic, p, &committed, &err))) {
            rc = fail(&a, &err);
            break;
        }
        int x = WEIR_OK;
        if (offset >= 0)
            x = log_reader_seek(rs[i], offset, &err);
        else if (committed >= 0)
            x = log_reader_seek(rs[i], committed, &err);
        else if (!beginning)
            x = log_reader_seek_end(rs[i], &err);
        if (x)
            rc = fail(&a, &err);
    }
    int64_t count = 0;
    int64_t *done = mem_calloc((size_t)nr, sizeof *done);  /* next offset to print */
    for (int i = 0; i < nr && rc == 0; i++)
        done[i] = log_reader_position(rs[i]);
    if (rc == 0)
        install_signals();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t idle_since = t0.tv_sec * 1000LL + t0.tv_nsec / 1000000;
    while (rc == 0 && !stop_flag && (max < 0 || count < max)) {
        bool got = false;
        for (int i = 0; i < nr && rc == 0 && (max < 0 || count < max); i++) {
            const struct log_record *recs;
            int n;
            int x = log_reader_next(rs[i], &recs, &n, &err);
            if (x == WEIR_AGAIN)
                continue;
            if (x) {
                rc = fail(&a, &err);
                break;
            }
            got = true;
            if (max >= 0 && n > max - count)
                n = (int)(max - count);
            if (!print_records(recs, n, print_key)) {
                stop_flag = 1;      /* stdout closed (e.g. | head): stop quietly */
                break;
            }
            count += n;
            done[i] = recs[n - 1].offset + 1;
            if (group && log_group_commit(a.dir, group, topic, first + i, done[i], &err))
                rc = fail(&a, &err);
        }
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        int64_t now = t.tv_sec * 1000LL + t.tv_nsec / 1000000;
        if (got)
            idle_since = now;
        if (rc || got || stop_flag)
            continue;
        int wait = 100;             /* bounds the reaction to a signal */
        if (timeout >= 0) {
            int64_t left = idle_since + timeout - now;
            if (left <= 0)
                break;
            if (left < wait)
                wait = (int)left;
        }
        int x = log_reader_wait_any(rs, nr, wait, &err);
        if (x < 0)
            rc = fail(&a, &err);
        else if (x == WEIR_OK) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            idle_since = t.tv_sec * 1000LL + t.tv_nsec / 1000000;
        }
    }
    /* like Kafka's auto-commit, every assigned partition gets its position,
     * so a partition that had nothing to read resumes here, not at the end */
    for (int i = 0; group && rc == 0 && i < nr; i++)
        if (log_group_commit(a.dir, group, topic, first + i, done[i], &err))
            rc = fail(&a, &err);
    mem_free(done);
    fprintf(stderr, "Processed a total of %lld messages\n", (long long)count);
    for (int i = 0; i < nr; i++)
        log_reader_close(rs[i]);
    mem_free(rs);
    return rc;
}

/* ---- weir groups ------------------------------------------------------------------ */

int log_cli_groups(int argc, char **argv)
{
    struct args a = {"groups", "--data-dir", default_dir(), 0};
    const char *only = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--data-dir") == 0) {
            if (!(a.dir = val(&a, argc, argv, &i)))
                return 2;
        } else if (argv[i][0] == '-') {
            return unknown(&a, argv[i]);
        } else if (only == NULL) {
            only = argv[i];
        } else {
            return usage_err(&a, "one group at a time (got '%s' and '%s')", only, argv[i]);
        }
    }
    struct weir_error err = {0};
    char **groups;
    int ng;
    if (log_group_list(a.dir, &groups, &ng, &err))
        return fail(&a, &err);
    int rc = 0, shown = 0;
    if (only) {
        int k = -1;
        for (int i = 0; i < ng; i++)
            if (strcmp(groups[i], only) == 0)
                k = i;
        if (k < 0) {
            struct strbuf sb = {0};
            for (int i = 0; i < ng; i++)
                sb_addf(&sb, "%s%s", i ? ", " : "", groups[i]);
            fprintf(stderr, "weir groups: unknown group '%s'; groups: %s\n", only,
                    ng ? sb.buf : "(none)");
            sb_free(&sb);
            log_names_free(groups, ng);
            return 1;
        }
    }
    printf("%-20s %-20s %9s %15s %15s %10s\n", "GROUP", "TOPIC", "PARTITION",
           "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG");
    for (int g = 0; g < ng && rc == 0; g++) {
        if (only && strcmp(groups[g], only) != 0)
            continue;
        char **topics;
        int nt;
        if (log_group_topics(a.dir, groups[g], &topics, &nt, &err)) {
            rc = fail(&a, &err);
            break;
        }
        for (int t = 0; t < nt && rc == 0; t++) {
            struct log_lag *lags;
            int nl;
            if (log_group_lag(a.dir, groups[g], topics[t], &lags, &nl, &err)) {
                err_clear(&err);    /* topic deleted meanwhile: skip it */
                continue;
            }
            for (int i = 0; i < nl; i++) {
                char cur[24] = "-";
                if (lags[i].committed >= 0)
                    snprintf(cur, sizeof cur, "%lld", (long long)lags[i].committed);
                printf("%-20s %-20s %9d %15s %15lld %10lld\n", groups[g], topics[t],
                       lags[i].partition, cur, (long long)lags[i].end,
                       (long long)lags[i].lag);
                shown++;
            }
            mem_free(lags);
        }
        log_names_free(topics, nt);
    }
    log_names_free(groups, ng);
    if (rc == 0 && shown == 0 && only == NULL)
        fprintf(stderr, "weir groups: no consumer group has committed offsets in '%s'\n",
                a.dir);
    return rc;
}
