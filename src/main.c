/*
 * main.c — the `weir` command line.  Only argument handling lives here; each
 * command calls into the library (sql/ to compile, exec/ to run).
 */
#include "connectors/connector.h"
#include "connectors/registry_doc.h"
#include "core/err.h"
#include "core/mem.h"
#include "exec/func.h"
#include "exec/job.h"
#include "log/cli.h"
#include "sql/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
            "  weir version\n"
            "\n"
            "run options:\n"
            "  --state-dir DIR        job state (dead letters); default weir-data/jobs/<name>\n"
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
    struct job_opts o = {NULL, -1, false, NULL, 0};
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
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "weir: unknown option '%s'; valid: --state-dir, --progress, "
                            "--no-progress, --metrics-json, --parallelism, --quiet\n", argv[i]);
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
