/*
 * job.c — builds the operator graph of a plan and drives it (see job.h).
 *
 * Threading today: one driver thread runs every source and chain; a second
 * thread only prints the status line.  The operator interface is already what
 * the parallel runtime needs (sources feeding chains, chains ending in sinks or
 * exchanges), so adding worker threads changes how chains are scheduled, not
 * the operators.
 */
#include "exec/job.h"
#include "exec/deadletter.h"
#include "exec/op.h"
#include "exec/op_window.h"
#include "exec/values.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
static int64_t now_us(void);

static void on_signal(int sig)
{
    if (stop_requested) {
        /* second signal: the user insists */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    stop_requested = 1;
}

void job_install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* ---- the graph ---------------------------------------------------------------- */

struct job_source {
    struct cat_table *table;        /* NULL for VALUES */
    struct lnode *node;             /* first scan node (its proj is shared) */
    struct table_ctx *ctx;          /* in the job arena: connectors keep pointers
                                       to it while this array grows */
    struct source *src;
    struct op *op;                  /* emits the source's batches */
    struct batch *batch;
    bool done;
    int64_t rows;                   /* read */
    struct expr *wm_expr;           /* WATERMARK over the produced columns, or NULL */
    int64_t wm;                     /* largest watermark emitted */
    bool idle;                      /* marked idle (idle-timeout) */
    int64_t last_data_us;           /* when rows last arrived (idle detection) */
};

struct job_sink {
    struct lnode *node;
    struct table_ctx *ctx;          /* in the job arena (stable address) */
    struct op *op;
    const char *name;
};

struct job {
    struct job_plan *p;
    struct job_opts opts;
    char *state_dir;
    char *dlq_path;
    struct deadletter *dlq;
    struct job_source *sources;
    int n_sources;
    struct job_sink *sinks;
    int n_sinks;
    struct op **ops;                /* every operator, for freeing */
    int n_ops;
    struct arena arena;             /* table contexts */
    struct arena eval_arena;        /* per-batch expression results */
    /* progress */
    pthread_t progress_thread;
    bool progress_running;
    pthread_mutex_t progress_mu;
    pthread_cond_t progress_cv;
    bool finished;
    bool has_timers;                /* some operator has processing-time timers */
    bool tty;                       /* stderr is a terminal */
    struct timespec t_start;
};

static void job_add_op(struct job *j, struct op *op)
{
    op->dlq = j->dlq;
    if (op->ops->timer)
        j->has_timers = true;
    j->ops = mem_realloc(j->ops, (size_t)(j->n_ops + 1) * sizeof(*j->ops));
    j->ops[j->n_ops++] = op;
}

/* The emitter of a source: the driver pushes through it with op_emit. */
static int source_op_push(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                          struct weir_error *err)
{
    (void)port;
    return op_emit(op, b, ctx, err);
}
static int source_op_finish(struct op *op, struct eval_ctx *ctx, struct weir_error *err)
{
    return op_finish_next(op, ctx, err);
}
static void source_op_free(struct op *op) { mem_free(op); }
static const struct op_ops source_op_ops = {"Source", source_op_push, NULL, NULL,
                                            source_op_finish, source_op_free};

static struct op *source_op_new(int id, const char *name)
{
    struct op *op = mem_calloc(1, sizeof(*op));
    op_init(op, &source_op_ops, id, mem_sprintf("Source: %s", name));
    return op;
}

/* The source's watermark after a batch: the largest value of the table's
 * WATERMARK expression so far (it never goes back). */
static int source_watermark(struct job_source *s, struct eval_ctx *ctx, struct weir_error *err)
{
    if (s->wm_expr == NULL || s->batch->n == 0)
        return WEIR_OK;
    const struct vec *v;
    int rc = expr_eval(s->wm_expr, ctx, s->batch, &v, err);
    if (rc)
        return rc;
    int64_t max = s->wm;
    for (int i = 0; i < s->batch->n; i++)
        if (!vec_is_null(v, i) && v->i64[i] > max)
            max = v->i64[i];
    if (max > s->wm || s->idle) {
        s->wm = max;
        s->idle = false;
        if (max != WM_NONE)
            return op_emit_watermark(s->op, max, ctx, err);
    }
    return WEIR_OK;
}

static void table_ctx_fill(struct job *j, struct table_ctx *c, struct cat_table *t,
                           const int *proj, int n_proj)
{
    struct arena *a = &j->arena;
    c->table_name = t->name;
    c->n_cols = n_proj;
    const char **names = arena_calloc(a, (size_t)(n_proj + 1) * sizeof(char *));
    const struct sql_type **types = arena_calloc(a, (size_t)(n_proj + 1) * sizeof(void *));
    const char **meta = arena_calloc(a, (size_t)(n_proj + 1) * sizeof(char *));
    int *projection = arena_calloc(a, (size_t)(n_proj + 1) * sizeof(int));
    /* the full physical schema, for position-based formats */
    int n_phys = 0;
    for (int i = 0; i < t->n_cols; i++)
        n_phys += t->cols[i].kind == CAT_PHYSICAL;
    const char **pnames = arena_calloc(a, (size_t)(n_phys + 1) * sizeof(char *));
    const struct sql_type **ptypes = arena_calloc(a, (size_t)(n_phys + 1) * sizeof(void *));
    int *phys_index = arena_calloc(a, (size_t)(t->n_cols + 1) * sizeof(int));
    int k = 0;
    for (int i = 0; i < t->n_cols; i++) {
        phys_index[i] = -1;
        if (t->cols[i].kind == CAT_PHYSICAL) {
            phys_index[i] = k;
            pnames[k] = t->cols[i].name;
            ptypes[k] = t->cols[i].type;
            k++;
        }
    }
    for (int i = 0; i < n_proj; i++) {
        const struct cat_column *cc = &t->cols[proj[i]];
        names[i] = cc->name;
        types[i] = cc->type;
        meta[i] = cc->kind == CAT_METADATA ? cc->meta_key : NULL;
        projection[i] = phys_index[proj[i]];
    }
    c->col_names = names;
    c->col_types = types;
    c->col_metadata = meta;
    c->projection = projection;
    c->n_all_physical = n_phys;
    c->all_physical_names = pnames;
    c->all_physical_types = ptypes;
    /* key and partition columns as indexes into the produced/accepted columns */
    int *pk = arena_calloc(a, (size_t)(t->n_pk + 1) * sizeof(int));
    int *part = arena_calloc(a, (size_t)(t->n_part + 1) * sizeof(int));
    c->n_pk = 0;
    for (int x = 0; x < t->n_pk; x++)
        for (int i = 0; i < n_proj; i++)
            if (proj[i] == t->pk[x])
                pk[c->n_pk++] = i;
    c->n_partition_keys = 0;
    for (int x = 0; x < t->n_part; x++)
        for (int i = 0; i < n_proj; i++)
            if (proj[i] == t->part[x])
                part[c->n_partition_keys++] = i;
    c->pk = pk;
    c->partition_keys = part;
    c->opts = t->opts;
    c->format = t->format;
    c->dlq = j->dlq;
    c->subtask = 0;
    c->parallelism = 1;
    c->job_dir = j->state_dir;
}

static struct job_source *source_for(struct job *j, struct lnode *scan, struct weir_error *err)
{
    for (int i = 0; i < j->n_sources; i++)
        if (j->sources[i].table && j->sources[i].table == scan->table)
            return &j->sources[i];
    j->sources = mem_realloc(j->sources, (size_t)(j->n_sources + 1) * sizeof(*j->sources));
    struct job_source *s = &j->sources[j->n_sources];
    memset(s, 0, sizeof(*s));
    s->table = scan->table;
    s->node = scan;
    s->ctx = arena_calloc(&j->arena, sizeof(*s->ctx));
    table_ctx_fill(j, s->ctx, scan->table, scan->proj, scan->n_proj);
    if (scan->table->conn->source_create(s->ctx, &s->src, err) != WEIR_OK) {
        if (err && err->loc.offset < 0)
            err->loc = scan->table->with_loc;
        return NULL;
    }
    s->src->table = s->ctx;
    s->batch = batch_new(scan->n_out, scan->out_types);
    s->wm_expr = scan->wm_expr;
    s->wm = WM_NONE;
    s->op = source_op_new(scan->id, scan->table->name);
    job_add_op(j, s->op);
    j->n_sources++;
    return s;
}

/* Builds the operators for node n; returns the ops whose output is n's output
 * (several for a UNION ALL) in *ends. */
static int build(struct job *j, struct lnode *n, struct op ***ends, int *n_ends,
                 struct weir_error *err)
{
    switch (n->kind) {
    case LN_SCAN: {
        struct job_source *s = source_for(j, n, err);
        if (s == NULL)
            return err->code ? err->code : WEIR_ERR_CONNECTOR;
        *ends = mem_realloc(*ends, (size_t)(*n_ends + 1) * sizeof(**ends));
        (*ends)[(*n_ends)++] = s->op;
        return WEIR_OK;
    }
    case LN_VALUES: {
        j->sources = mem_realloc(j->sources, (size_t)(j->n_sources + 1) * sizeof(*j->sources));
        struct job_source *s = &j->sources[j->n_sources++];
        memset(s, 0, sizeof(*s));
        s->node = n;
        s->src = values_source_new(n->rows, n->n_rows, n->n_out, n->out_types);
        s->batch = batch_new(n->n_out, n->out_types);
        s->wm = WM_NONE;
        s->op = source_op_new(n->id, "VALUES");
        job_add_op(j, s->op);
        *ends = mem_realloc(*ends, (size_t)(*n_ends + 1) * sizeof(**ends));
        (*ends)[(*n_ends)++] = s->op;
        return WEIR_OK;
    }
    case LN_UNION:
        for (int i = 0; i < n->n_inputs; i++) {
            int rc = build(j, n->inputs[i], ends, n_ends, err);
            if (rc)
                return rc;
        }
        return WEIR_OK;
    case LN_CALC: {
        struct op **in = NULL;
        int n_in = 0;
        int rc = build(j, n->inputs[0], &in, &n_in, err);
        if (rc) {
            mem_free(in);
            return rc;
        }
        struct op *c = op_calc_new(n->id, n->filter, n->exprs, n->n_out);
        /* label: the calc as EXPLAIN shows it */
        struct strbuf sb = {0};
        const char *const *names = n->inputs[0]->out_names;
        sb_addf(&sb, "Calc#%d(", n->id);
        if (n->filter) {
            sb_adds(&sb, "where=[");
            expr_to_text(&sb, n->filter, names);
            sb_adds(&sb, "], ");
        }
        sb_adds(&sb, "select=[");
        for (int i = 0; i < n->n_out; i++) {
            if (i)
                sb_adds(&sb, ", ");
            expr_to_text(&sb, n->exprs[i], names);
        }
        sb_adds(&sb, "])");
        mem_free(c->label);
        c->label = sb_steal(&sb);
        job_add_op(j, c);
        for (int i = 0; i < n_in; i++)
            op_connect(in[i], c);
        mem_free(in);
        *ends = mem_realloc(*ends, (size_t)(*n_ends + 1) * sizeof(**ends));
        (*ends)[(*n_ends)++] = c;
        return WEIR_OK;
    }
    case LN_WINDOW_AGG:
    case LN_WINDOW_TVF: {
        struct op **in = NULL;
        int n_in = 0;
        int rc = build(j, n->inputs[0], &in, &n_in, err);
        if (rc) {
            mem_free(in);
            return rc;
        }
        struct strbuf sb = {0};
        plan_node_label(n, &sb);
        struct op *w = op_window_new(n->id, &n->win, n->kind == LN_WINDOW_TVF, n->keys,
                                     n->n_keys, n->aggs, n->n_aggs, n->n_out, n->out_types,
                                     sb_steal(&sb));
        job_add_op(j, w);
        for (int i = 0; i < n_in; i++)
            op_connect(in[i], w);
        mem_free(in);
        *ends = mem_realloc(*ends, (size_t)(*n_ends + 1) * sizeof(**ends));
        (*ends)[(*n_ends)++] = w;
        return WEIR_OK;
    }
    case LN_SINK:
        break;
    }
    return err_set(err, WEIR_ERR_INTERNAL, "unexpected plan node");
}

static int build_sink(struct job *j, struct lnode *n, struct weir_error *err)
{
    struct op **in = NULL;
    int n_in = 0;
    int rc = build(j, n->inputs[0], &in, &n_in, err);
    if (rc) {
        mem_free(in);
        return rc;
    }
    j->sinks = mem_realloc(j->sinks, (size_t)(j->n_sinks + 1) * sizeof(*j->sinks));
    struct job_sink *s = &j->sinks[j->n_sinks];
    memset(s, 0, sizeof(*s));
    s->node = n;
    s->ctx = arena_calloc(&j->arena, sizeof(*s->ctx));
    struct sink *snk = NULL;
    if (n->table) {
        int *proj = arena_calloc(&j->arena, (size_t)(n->n_out + 1) * sizeof(int));
        int k = 0;
        for (int i = 0; i < n->table->n_cols; i++)
            if (n->table->cols[i].kind == CAT_PHYSICAL ||
                (n->table->cols[i].kind == CAT_METADATA && !n->table->cols[i].is_virtual))
                proj[k++] = i;
        table_ctx_fill(j, s->ctx, n->table, proj, k);
        s->name = n->table->name;
        rc = n->table->conn->sink_create(s->ctx, &snk, err);
        if (rc && err && err->loc.offset < 0)
            err->loc = n->table->with_loc;
    } else {
        /* a bare SELECT: rows to stdout in print format */
        const struct connector_def *print = conn_lookup("print");
        struct cat_table *t = arena_calloc(&j->arena, sizeof(*t));
        t->name = "stdout";
        t->n_cols = n->n_out;
        t->cols = arena_calloc(&j->arena, (size_t)(n->n_out + 1) * sizeof(*t->cols));
        int *proj = arena_calloc(&j->arena, (size_t)(n->n_out + 1) * sizeof(int));
        for (int i = 0; i < n->n_out; i++) {
            t->cols[i] = (struct cat_column){n->out_names[i], n->out_types[i], CAT_PHYSICAL};
            proj[i] = i;
        }
        const char *keys[] = {"connector"}, *vals[] = {"print"};
        rc = conn_validate(print, NULL, "stdout", 1, keys, vals, false, &t->opts, err);
        if (rc == WEIR_OK) {
            table_ctx_fill(j, s->ctx, t, proj, n->n_out);
            s->name = "stdout";
            rc = print->sink_create(s->ctx, &snk, err);
        }
        /* the opt_set is owned by this synthetic table: freed in job_free */
    }
    if (rc) {
        mem_free(in);
        return rc;
    }
    snk->table = s->ctx;
    s->op = op_sink_new(n->id, snk, s->name);
    job_add_op(j, s->op);
    for (int i = 0; i < n_in; i++)
        op_connect(in[i], s->op);
    mem_free(in);
    j->n_sinks++;
    return WEIR_OK;
}

static int mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int job_build(struct job_plan *p, const struct job_opts *opts, struct job **out,
              struct weir_error *err)
{
    struct job *j = mem_calloc(1, sizeof(*j));
    j->p = p;
    j->opts = *opts;
    arena_init(&j->arena, 16 * 1024);
    arena_init(&j->eval_arena, 256 * 1024);
    pthread_mutex_init(&j->progress_mu, NULL);
    pthread_cond_init(&j->progress_cv, NULL);
    *out = j;
    const char *sd = opts->state_dir ? opts->state_dir : plan_config(p, "weir.state.dir");
    j->state_dir = sd ? mem_strdup(sd) : mem_sprintf("weir-data/jobs/%s", p->name);
    const char *dl = plan_config(p, "weir.dead-letter.path");
    j->dlq_path = dl ? mem_strdup(dl) : mem_sprintf("%s/dead-letter.jsonl", j->state_dir);
    j->dlq = dlq_open(j->dlq_path, err);
    if (j->dlq == NULL)
        return err->code ? err->code : WEIR_ERR_IO;
    if (mkdirs(j->state_dir) != 0)
        return err_set(err, WEIR_ERR_IO, "cannot create the job state directory '%s': %s",
                       j->state_dir, strerror(errno));
    for (int i = 0; i < p->n_sinks; i++) {
        int rc = build_sink(j, p->sinks[i], err);
        if (rc)
            return rc;
    }
    return WEIR_OK;
}

/* ---- EXPLAIN (physical) ---------------------------------------------------------- */

static void explain_op(const struct op *op, struct strbuf *sb, int depth)
{
    for (int i = 0; i < depth; i++)
        sb_adds(sb, "   ");
    sb_addf(sb, "-> %s\n", op->label);
    for (int i = 0; i < op->n_next; i++)
        explain_op(op->next[i].to, sb, depth + 1);
}

void job_explain(const struct job *j, struct strbuf *sb)
{
    for (int i = 0; i < j->n_sources; i++) {
        const struct job_source *s = &j->sources[i];
        if (s->table) {
            sb_addf(sb, "Source: %s [connector=%s%s%s] parallelism=1 fields=[", s->table->name,
                    s->table->conn->name, s->table->format ? ", format=" : "",
                    s->table->format ? s->table->format->name : "");
            for (int c = 0; c < s->ctx->n_cols; c++)
                sb_addf(sb, "%s%s", c ? ", " : "", s->ctx->col_names[c]);
            sb_adds(sb, "]\n");
        } else {
            sb_addf(sb, "Source: VALUES (%d rows) parallelism=1\n", s->node->n_rows);
        }
        for (int k = 0; k < s->op->n_next; k++)
            explain_op(s->op->next[k].to, sb, 1);
    }
    sb_adds(sb, "Stateless operators are fused into one chain per path (no queues, no copies).\n");
}

/* ---- running -------------------------------------------------------------------------- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void human(char *buf, size_t n, double v)
{
    if (v >= 1e9)
        snprintf(buf, n, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, n, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(buf, n, "%.1fK", v / 1e3);
    else
        snprintf(buf, n, "%.0f", v);
}

static int64_t source_rows(const struct job_source *s)
{
    return atomic_load_explicit(&s->op->rows_out, memory_order_relaxed);
}

static int64_t sink_rows(const struct job_sink *s)
{
    return atomic_load_explicit(&s->op->rows_in, memory_order_relaxed);
}

static void *progress_main(void *arg)
{
    struct job *j = arg;
    int64_t *last = mem_calloc((size_t)(j->n_sources + j->n_sinks + 1), sizeof(int64_t));
    pthread_mutex_lock(&j->progress_mu);
    while (!j->finished) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&j->progress_cv, &j->progress_mu, &until);
        if (j->finished)
            break;
        struct strbuf sb = {0};
        double t = elapsed_s(&j->t_start);
        /* on a terminal the line redraws in place; in a log it is one line per tick */
        sb_addf(&sb, "%s[%s %02d:%02d]", j->tty ? "\r\033[K" : "", j->p->name, (int)t / 60,
                (int)t % 60);
        for (int i = 0; i < j->n_sources; i++) {
            char a[32], r[32];
            int64_t v = source_rows(&j->sources[i]);
            human(a, sizeof a, (double)v);
            human(r, sizeof r, (double)(v - last[i]));
            last[i] = v;
            sb_addf(&sb, " in %s: %s (%s/s)",
                    j->sources[i].table ? j->sources[i].table->name : "values", a, r);
        }
        for (int i = 0; i < j->n_sinks; i++) {
            char a[32];
            human(a, sizeof a, (double)sink_rows(&j->sinks[i]));
            sb_addf(&sb, " | out %s: %s", j->sinks[i].name, a);
        }
        sb_addf(&sb, " | dead-lettered: %lld%s", (long long)dlq_count(j->dlq), j->tty ? "" : "\n");
        fputs(sb.buf, stderr);
        fflush(stderr);
        sb_free(&sb);
    }
    pthread_mutex_unlock(&j->progress_mu);
    mem_free(last);
    return NULL;
}

static void summary(struct job *j, bool stopped, FILE *f)
{
    double t = elapsed_s(&j->t_start);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    fprintf(f, "weir: job '%s' %s in %.2f s (cpu %.2f s, peak rss %.1f MiB)\n", j->p->name,
            stopped ? "stopped" : "finished", t, cpu, ru.ru_maxrss / 1024.0);
    int64_t total_dl = dlq_count(j->dlq);
    for (int i = 0; i < j->n_sources; i++) {
        const struct job_source *s = &j->sources[i];
        int64_t rows = source_rows(s);
        int64_t dl = atomic_load_explicit(&s->src->metrics.dead_letters, memory_order_relaxed);
        char r[32];
        human(r, sizeof r, t > 0 ? (double)rows / t : 0);
        fprintf(f, "  source %-20s %12lld rows  %9s rows/s  %lld dead-lettered\n",
                s->table ? s->table->name : "VALUES", (long long)rows, r, (long long)dl);
    }
    for (int i = 0; i < j->n_sinks; i++)
        fprintf(f, "  sink   %-20s %12lld rows\n", j->sinks[i].name,
                (long long)sink_rows(&j->sinks[i]));
    if (total_dl)
        fprintf(f, "  dead-letter output: %s (%lld records)\n", j->dlq_path, (long long)total_dl);
}

static void write_metrics_json(struct job *j, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "weir: cannot write metrics to '%s': %s\n", path, strerror(errno));
        return;
    }
    double t = elapsed_s(&j->t_start);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(f, "{\"job\":\"%s\",\"elapsed_s\":%.3f,\"peak_rss_kib\":%ld,\"dead_letters\":%lld,",
            j->p->name, t, ru.ru_maxrss, (long long)dlq_count(j->dlq));
    fprintf(f, "\"sources\":[");
    for (int i = 0; i < j->n_sources; i++)
        fprintf(f, "%s{\"name\":\"%s\",\"rows\":%lld,\"dead_letters\":%lld}", i ? "," : "",
                j->sources[i].table ? j->sources[i].table->name : "VALUES",
                (long long)source_rows(&j->sources[i]),
                (long long)atomic_load(&j->sources[i].src->metrics.dead_letters));
    fprintf(f, "],\"operators\":[");
    for (int i = 0; i < j->n_ops; i++)
        fprintf(f, "%s{\"id\":%d,\"kind\":\"%s\",\"rows_in\":%lld,\"rows_out\":%lld}", i ? "," : "",
                j->ops[i]->id, j->ops[i]->ops->kind, (long long)atomic_load(&j->ops[i]->rows_in),
                (long long)atomic_load(&j->ops[i]->rows_out));
    fprintf(f, "],\"sinks\":[");
    for (int i = 0; i < j->n_sinks; i++)
        fprintf(f, "%s{\"name\":\"%s\",\"rows\":%lld}", i ? "," : "", j->sinks[i].name,
                (long long)sink_rows(&j->sinks[i]));
    fprintf(f, "]}\n");
    fclose(f);
}

int job_run(struct job *j, struct weir_error *err)
{
    int rc = WEIR_OK;
    clock_gettime(CLOCK_MONOTONIC, &j->t_start);
    for (int i = 0; i < j->n_sinks && rc == WEIR_OK; i++) {
        struct sink *snk = op_sink_get(j->sinks[i].op);
        if (snk->ops->open)
            rc = snk->ops->open(snk, err);
    }
    for (int i = 0; i < j->n_sources && rc == WEIR_OK; i++)
        if (j->sources[i].src->ops->open)
            rc = j->sources[i].src->ops->open(j->sources[i].src, err);
    if (rc)
        return rc;

    j->tty = isatty(STDERR_FILENO);
    bool show = j->opts.progress > 0 || (j->opts.progress < 0 && j->tty);
    if (show && pthread_create(&j->progress_thread, NULL, progress_main, j) == 0)
        j->progress_running = true;

    struct eval_ctx ctx = {&j->eval_arena, 0};
    int active = j->n_sources;
    bool stopped = false;
    int64_t next_tick = 0;
    const char *idle_cfg = plan_config(j->p, "table.exec.source.idle-timeout");
    int64_t idle_ms = 0;
    if (idle_cfg)
        opt_parse_duration_ms(idle_cfg, &idle_ms);
    for (int i = 0; i < j->n_sources; i++)
        j->sources[i].last_data_us = now_us();
    while (active > 0 && rc == WEIR_OK) {
        if (stop_requested) {
            stopped = true;
            break;
        }
        bool any = false;
        int wait_ms = 100;
        for (int i = 0; i < j->n_sources && rc == WEIR_OK; i++) {
            struct job_source *s = &j->sources[i];
            if (s->done)
                continue;
            batch_reset(s->batch);
            int prc = s->src->ops->poll(s->src, s->batch, err);
            if (s->batch->n > 0) {
                any = true;
                s->last_data_us = now_us();
                ctx.now_us = s->last_data_us;
                rc = op_emit(s->op, s->batch, &ctx, err);
                if (rc == WEIR_OK)
                    rc = source_watermark(s, &ctx, err);
                arena_reset(&j->eval_arena);
                if (rc)
                    break;
            }
            if (prc == WEIR_DONE) {
                s->done = true;
                active--;
                /* a bounded input ends with the final watermark: every window fires */
                rc = op_emit_watermark(s->op, WM_END, &ctx, err);
                if (rc == WEIR_OK)
                    rc = op_finish_next(s->op, &ctx, err);
                arena_reset(&j->eval_arena);
            } else if (prc == WEIR_AGAIN) {
                if (s->src->wait_ms > 0 && s->src->wait_ms < wait_ms)
                    wait_ms = s->src->wait_ms;
                if (idle_ms > 0 && !s->idle && now_us() - s->last_data_us > idle_ms * 1000) {
                    /* an idle split stops holding back the watermark */
                    s->idle = true;
                    rc = op_emit_watermark(s->op, WM_IDLE, &ctx, err);
                }
            } else if (prc < 0) {
                rc = prc;
            }
        }
        /* processing-time timers, about every 50 ms */
        int64_t t = now_us();
        if (rc == WEIR_OK && j->has_timers && t >= next_tick) {
            next_tick = t + 50000;
            ctx.now_us = t;
            for (int i = 0; i < j->n_ops && rc == WEIR_OK; i++)
                if (j->ops[i]->ops->timer)
                    rc = j->ops[i]->ops->timer(j->ops[i], t, &ctx, err);
            arena_reset(&j->eval_arena);
        }
        if (!any && rc == WEIR_OK && active > 0) {
            if (j->has_timers && wait_ms > 50)
                wait_ms = 50;
            struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    /* a stop request ends the inputs: windows fire and sinks flush what they hold */
    if (stopped && rc == WEIR_OK)
        for (int i = 0; i < j->n_sources && rc == WEIR_OK; i++)
            if (!j->sources[i].done) {
                j->sources[i].done = true;
                rc = op_emit_watermark(j->sources[i].op, WM_END, &ctx, err);
                if (rc == WEIR_OK)
                    rc = op_finish_next(j->sources[i].op, &ctx, err);
            }
    if (j->progress_running) {
        pthread_mutex_lock(&j->progress_mu);
        j->finished = true;
        pthread_cond_signal(&j->progress_cv);
        pthread_mutex_unlock(&j->progress_mu);
        pthread_join(j->progress_thread, NULL);
        j->progress_running = false;
        if (j->tty)
            fputs("\r\033[K", stderr);
    }
    dlq_flush(j->dlq);
    if (!j->opts.quiet)
        summary(j, stopped, stderr);
    if (j->opts.metrics_json)
        write_metrics_json(j, j->opts.metrics_json);
    return rc;
}

void job_free(struct job *j)
{
    if (j == NULL)
        return;
    for (int i = 0; i < j->n_sources; i++) {
        if (j->sources[i].src)
            j->sources[i].src->ops->close(j->sources[i].src);
        batch_free(j->sources[i].batch);
    }
    for (int i = 0; i < j->n_sinks; i++)
        if (j->sinks[i].node && j->sinks[i].node->table == NULL)
            opt_set_free((struct opt_set *)j->sinks[i].ctx->opts);
    for (int i = 0; i < j->n_ops; i++)
        op_free(j->ops[i]);
    mem_free(j->ops);
    mem_free(j->sources);
    mem_free(j->sinks);
    dlq_close(j->dlq);
    mem_free(j->state_dir);
    mem_free(j->dlq_path);
    arena_free(&j->arena);
    arena_free(&j->eval_arena);
    pthread_mutex_destroy(&j->progress_mu);
    pthread_cond_destroy(&j->progress_cv);
    mem_free(j);
}
