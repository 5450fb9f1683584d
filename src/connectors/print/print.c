/*
 * print.c — the 'print' sink: writes every row, of every changelog kind, as a
 * line `<kind>[<f1>, <f2>, ...]` (SQL.md b.4, via vfmt_print_row) to stdout or
 * stderr — the reference output of weir's SQL golden tests.
 *
 * Prefix, as Flink's PrintSinkOutputWriter: `id> ` with 'print-identifier';
 * with parallelism > 1 the 1-based subtask number is added: `2> ` or `id:2> `.
 * Each batch becomes one buffer written out under a process-wide lock, so
 * lines of concurrent subtasks never interleave inside a line (one write(2)
 * is not enough: a pipe takes only PIPE_BUF bytes atomically, and a longer
 * write was seen torn mid-line at parallelism 2) and nothing waits in stdio.
 *
 * Delivery is at-least-once even with checkpointing (no prepare/commit):
 * a line on a terminal or a pipe cannot be taken back, so rows printed after
 * the last checkpoint are printed again by a restored run.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "core/value_fmt.h"

struct print_sink {
    struct sink base;
    int fd;                         /* 1 or 2 */
    char *prefix;                   /* "", "id> ", "2> ", "id:2> " */
    size_t prefix_len;
    struct strbuf buf;              /* the current batch's lines */
};

static int print_open(struct sink *snk, struct weir_error *err)
{
    (void)snk;
    (void)err;
    return WEIR_OK;
}

static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static int write_all(int fd, const char *p, size_t n, struct weir_error *err)
{
    pthread_mutex_lock(&write_lock);
    int rc = WEIR_OK;
    while (n > 0 && rc == WEIR_OK) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno != EINTR)
                rc = err_set(err, WEIR_ERR_IO, "print: cannot write to %s: %s",
                             fd == 2 ? "stderr" : "stdout", strerror(errno));
            continue;
        }
        p += w;
        n -= (size_t)w;
    }
    pthread_mutex_unlock(&write_lock);
    return rc;
}

static int print_write(struct sink *snk, struct batch *b, struct weir_error *err)
{
    struct print_sink *ps = (struct print_sink *)snk;
    int n = batch_live(b);
    sb_clear(&ps->buf);
    for (int k = 0; k < n; k++) {
        int row = batch_row(b, k);
        sb_add(&ps->buf, ps->prefix, ps->prefix_len);
        vfmt_print_row(&ps->buf, batch_kind(b, row), b->cols, b->n_cols, row);
        sb_addc(&ps->buf, '\n');
    }
    if (ps->buf.len == 0)
        return WEIR_OK;
    int rc = write_all(ps->fd, ps->buf.buf, ps->buf.len, err);
    if (rc == WEIR_OK) {
        atomic_fetch_add_explicit(&snk->metrics.rows, n, memory_order_relaxed);
        atomic_fetch_add_explicit(&snk->metrics.bytes, (int64_t)ps->buf.len,
                                  memory_order_relaxed);
    }
    return rc;
}

static int print_flush(struct sink *snk, struct weir_error *err)
{
    (void)snk;
    (void)err;
    return WEIR_OK;     /* every batch was written out by print_write */
}

static void print_close(struct sink *snk)
{
    struct print_sink *ps = (struct print_sink *)snk;
    if (ps == NULL)
        return;
    sb_free(&ps->buf);
    mem_free(ps->prefix);
    mem_free(ps);
}

static const struct sink_ops print_ops = {
    .open = print_open,
    .write = print_write,
    .flush = print_flush,
    .close = print_close,
};

static int print_sink_create(const struct table_ctx *t, struct sink **out,
                             struct weir_error *err)
{
    (void)err;
    struct print_sink *ps = mem_calloc(1, sizeof(*ps));
    ps->base.ops = &print_ops;
    ps->base.table = t;
    ps->base.accepts_updates = true;
    ps->fd = opt_bool(t->opts, "standard-error", false) ? 2 : 1;
    const char *id = opt_str(t->opts, "print-identifier", "");
    if (t->parallelism > 1)
        ps->prefix = *id ? mem_sprintf("%s:%d> ", id, t->subtask + 1) :
                           mem_sprintf("%d> ", t->subtask + 1);
    else
        ps->prefix = *id ? mem_sprintf("%s> ", id) : mem_strdup("");
    ps->prefix_len = strlen(ps->prefix);
    *out = &ps->base;
    return WEIR_OK;
}

static const struct opt_def print_options[] = {
    {"print-identifier", OPT_STRING, NULL, NULL, false,
     "prefix of every line ('id> ', or 'id:<subtask>> ' when parallel)"},
    {"standard-error", OPT_BOOL, "false", NULL, false, "print to stderr instead of stdout"},
    {"sink.parallelism", OPT_INT, NULL, NULL, false,
     "number of parallel sink instances (default: the input's)"},
    {NULL},
};

const struct connector_def conn_print = {
    .name = "print",
    .caps = CONN_SINK,
    .options = print_options,
    .needs_format = false,
    .accepts_updates = true,
    .description = "Prints every row as `<kind>[f1, f2, ...]` (all changelog kinds), "
                   "one line per row, to stdout or stderr.  At-least-once: a job "
                   "restored from a checkpoint prints again the rows printed after "
                   "that checkpoint.",
    .sink_create = print_sink_create,
};
