/*
 * main.c — the `weir` command line.  Only argument handling lives here; each
 * command calls into the library (sql/ to compile, exec/ to run).
 */
#include "connectors/connector.h"
#include "connectors/registry_doc.h"
#include "core/err.h"
#include "core/mem.h"
#include "exec/checkpoint.h"
#include "exec/control.h"
#include "exec/func.h"
#include "exec/job.h"
#include "log/cli.h"
#include "sql/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WEIR_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f,
            "weir " WEIR_VERSION " — stream processing with Flink SQL in one binary\n"
            "\n"
            "usage:\n"
            "  weir run FILE.sql [options]    run a job (DDL + INSERT INTO ... SELECT ...)\n"
            "  weir explain FILE.sql          print the logical plan, rewrites, physical plan\n"
            "  weir validate FILE.sql         parse, bind and plan; report errors; run nothing\n"
            "  weir connectors                connectors, formats and their options (Markdown)\n"
            "  weir functions                 built-in scalar functions\n"
            "  weir topic create|list|describe|delete ...   durable log topics (weir topic)\n"
            "  weir produce TOPIC             append stdin lines (--key-separator C)\n"
            "  weir consume TOPIC             print records (--group G, --from-beginning, ...)\n"
            "  weir groups [GROUP]            consumer groups: committed offset, end, lag\n"
            "  weir ctl STATE_DIR status | savepoint [PATH] | stop [--savepoint]\n"
            "                                 control a running job (SIGTERM = stop with a\n"
            "                                 savepoint)\n"
            "  weir version\n"
            "\n"
            "run options:\n"
            "  --state-dir DIR        job state: checkpoints, savepoints, dead letters, the\n"
            "                         control socket; default weir-data/jobs/<name>.  A job\n"
            "                         resumes from the newest complete checkpoint there\n"
            "  --from PATH            resume from this checkpoint or savepoint directory\n"
            "  --allow-non-restored-state   drop checkpointed state of operators the job\n"
            "                         no longer has (instead of refusing to start)\n"
            "  --progress / --no-progress   status line on stderr (default: when a terminal)\n"
            "  --metrics-json FILE    write final per-operator metrics as JSON\n"
            "  -p, --parallelism N    instances of every operator (default: SET\n"
            "                         'parallelism.default', else the number of cores)\n"
            "  -q, --quiet            no summary at the end\n"
            "\n"
            "log commands take --data-dir DIR (default: $WEIR_DATA_DIR, else ./weir-data)\n");
}

static char *read_file(const char *path, struct weir_error *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        err_set(err, WEIR_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = mem_alloc(cap);
    for (;;) {
        if (n + 1 >= cap)
            buf = mem_realloc(buf, cap *= 2);
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    if (f != stdin)
        fclose(f);
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        mem_free(buf);
        err_set(err, WEIR_ERR_IO, "'%s' is not a text file (it contains NUL bytes)", path);
        return NULL;
    }
    return buf;
}

static int compile(const char *file, char **text, struct job_plan *p)
{
    struct weir_error err = {0};
    err.loc = WEIR_LOC_NONE;
    *text = read_file(file, &err);
    if (*text == NULL) {
        err_render(stderr, &err, NULL, NULL);
        err_clear(&err);
        return 2;
    }
    int rc = plan_compile(p, file, *text, &err);
    if (rc == WEIR_OK)
        rc = plan_optimize(p, &err);
    if (rc) {
        err_render(stderr, &err, file, *text);
        err_clear(&err);
        return 1;
    }
    return 0;
}

static int cmd_run(int argc, char **argv, int mode)
{
    const char *file = NULL;
    struct job_opts o = {NULL, -1, false, NULL, 0, NULL, false};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
            o.state_dir = argv[++i];
        else if (strcmp(argv[i], "--progress") == 0)
            o.progress = 1;
        else if (strcmp(argv[i], "--no-progress") == 0)
            o.progress = 0;
        else if (strcmp(argv[i], "--metrics-json") == 0 && i + 1 < argc)
            o.metrics_json = argv[++i];
        else if ((strcmp(argv[i], "-p") == 0 || strcmp(argv[i], "--parallelism") == 0) &&
                 i + 1 < argc) {
            o.parallelism = atoi(argv[++i]);
            if (o.parallelism < 1 || o.parallelism > 256) {
                fprintf(stderr, "weir: --parallelism expects 1 to 256, got '%s'\n", argv[i]);
                return 2;
            }
        }
        else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
            o.quiet = true;
        else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            o.from_path = argv[++i];
        else if (strcmp(argv[i], "--allow-non-restored-state") == 0)
            o.allow_non_restored = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "weir: unknown option '%s'; valid: --state-dir, --from, "
                            "--allow-non-restored-state, --progress, --no-progress, "
                            "--metrics-json, --parallelism, --quiet\n", argv[i]);
            return 2;
        } else if (file == NULL)
            file = argv[i];
        else {
            fprintf(stderr, "weir: only one script per job (got '%s' and '%s')\n", file, argv[i]);
            return 2;
        }
    }
    if (file == NULL) {
        usage(stderr);
        return 2;
    }
    char *text = NULL;
    struct job_plan p;
    int rc = compile(file, &text, &p);
    if (rc) {
        if (text)
            plan_free(&p);
        mem_free(text);
        return rc;
    }
    struct weir_error err = {0};
    err.loc = WEIR_LOC_NONE;
    struct job *j = NULL;
    if (mode == 0) {   /* validate */
        printf("%s: ok (%d sink%s)\n", file, p.n_sinks, p.n_sinks == 1 ? "" : "s");
    } else {
        rc = job_build(&p, &o, &j, &err);
        if (rc == WEIR_OK && mode == 1) {
            struct strbuf sb = {0};
            sb_adds(&sb, "== Logical Plan ==\n");
            sb_adds(&sb, p.logical_text.buf ? p.logical_text.buf : "");
            sb_adds(&sb, "\n== Rewrites ==\n");
            sb_adds(&sb, p.rewrites.buf ? p.rewrites.buf : "");
            sb_adds(&sb, "\n== Optimized Logical Plan ==\n");
            plan_explain_logical(&p, &sb);
            sb_adds(&sb, "\n== Physical Plan ==\n");
            job_explain(j, &sb);
            fputs(sb.buf, stdout);
            sb_free(&sb);
        } else if (rc == WEIR_OK) {
            job_install_signal_handlers();
            rc = job_run(j, &err);
        }
        if (rc) {
            err_render(stderr, &err, file, text);
            err_clear(&err);
            rc = 1;
        }
    }
    job_free(j);
    plan_free(&p);
    mem_free(text);
    return rc;
}

/* What a state directory holds when no job runs there. */
static int ctl_offline(const char *dir)
{
    struct ckpt_manifest *m = NULL;
    int64_t max_id = 0;
    struct weir_error err = {0};
    err.loc = WEIR_LOC_NONE;
    ckpt_find_latest(dir, &m, &max_id, stdout, &err);
    err_clear(&err);
    printf("state: not running\n");
    if (m)
        printf("latest: %s (id %lld, %s, parallelism %d)%s\n", m->dir, (long long)m->id,
               ckpt_kind_name(m->kind), m->parallelism,
               m->kind == CKPT_FINAL ? "; the job finished: a new run starts from the beginning"
                                     : "; a new run resumes from it");
    else
        printf("latest: none\n");
    ckpt_manifest_free(m);
    return 3;
}

/* weir ctl DIR status | savepoint [PATH] | stop [--savepoint] */
static int cmd_ctl(int argc, char **argv)
{
    const char *usage_line = "usage: weir ctl STATE_DIR status | savepoint [PATH] | "
                             "stop [--savepoint]\n";
    if (argc < 2) {
        fputs(usage_line, stderr);
        return 2;
    }
    const char *dir = argv[0], *what = argv[1];
    struct strbuf cmd = {0};
    if (strcmp(what, "status") == 0 && argc == 2) {
        sb_adds(&cmd, "status");
    } else if (strcmp(what, "savepoint") == 0 && argc <= 3) {
        sb_adds(&cmd, "savepoint");
        if (argc == 3) {
            /* the job's working directory may differ from ours */
            char cwd[4096];
            if (argv[2][0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
                sb_addf(&cmd, " %s", argv[2]);
            else
                sb_addf(&cmd, " %s/%s", cwd, argv[2]);
        }
    } else if (strcmp(what, "stop") == 0 && argc == 2) {
        sb_adds(&cmd, "stop");
    } else if (strcmp(what, "stop") == 0 && argc == 3 && strcmp(argv[2], "--savepoint") == 0) {
        sb_adds(&cmd, "stop --savepoint");
    } else {
        fprintf(stderr, "weir ctl: unknown command '%s'; valid: status, savepoint [PATH], "
                        "stop [--savepoint]\n", what);
        return 2;
    }
    struct strbuf reply = {0};
    int rc = control_call(dir, cmd.buf, 15 * 60 * 1000, &reply);
    sb_free(&cmd);
    if (rc == 2) {
        sb_free(&reply);
        if (strcmp(what, "status") == 0)
            return ctl_offline(dir);
        fprintf(stderr, "weir ctl: no job is running with state directory '%s'\n", dir);
        return 3;
    }
    fputs(reply.buf ? reply.buf : "", rc ? stderr : stdout);
    sb_free(&reply);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 2, argv + 2, 2);
    if (strcmp(cmd, "explain") == 0)
        return cmd_run(argc - 2, argv + 2, 1);
    if (strcmp(cmd, "validate") == 0)
        return cmd_run(argc - 2, argv + 2, 0);
    if (strcmp(cmd, "ctl") == 0)
        return cmd_ctl(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("weir %s\n", WEIR_VERSION);
        return 0;
    }
    if (strcmp(cmd, "connectors") == 0) {
        struct strbuf sb = {0};
        conn_doc_markdown(&sb);
        fputs(sb.buf ? sb.buf : "", stdout);
        sb_free(&sb);
        return 0;
    }
    if (strcmp(cmd, "functions") == 0) {
        for (int i = 0; func_at(i); i++)
            printf("%s\n", func_at(i)->signature ? func_at(i)->signature : func_at(i)->name);
        return 0;
    }
    if (strcmp(cmd, "topic") == 0)
        return log_cli_topic(argc - 2, argv + 2);
    if (strcmp(cmd, "produce") == 0)
        return log_cli_produce(argc - 2, argv + 2);
    if (strcmp(cmd, "consume") == 0)
        return log_cli_consume(argc - 2, argv + 2);
    if (strcmp(cmd, "groups") == 0)
        return log_cli_groups(argc - 2, argv + 2);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "weir: unknown command '%s'; commands: run, explain, validate, connectors, "
                    "functions, version, help, topic, produce, consume, groups\n", cmd);
    return 2;
}
