/*
 * job.c — builds the operator graph of a plan and runs it (see job.h).
 *
 * Parallelism: a job runs as P instances (parallelism.default, by default the
 * number of cores).  Each instance has its own copy of the compiled plan (so
 * expression scratch and function state are never shared between threads),
 * its own source instances (subtask i of P reads its share of the splits) and
 * its own sink instances.  A stateless job is P independent chains.  A keyed
 * operator (window aggregation) is preceded by an exchange (exec/exchange.h)
 * that routes each row to the instance owning its key group; the operators
 * after it form a new task.  Every task is a thread: the first task of an
 * instance polls its sources, later tasks pop their exchange's queues.  With
 * P = 1 and no exchange, the one task runs on the calling thread.
 *
 * Every record read is accounted for: the summary and the metrics JSON
 * aggregate the instances per table and per operator.
 */
#include "exec/job.h"
#include "core/datetime.h"
#include "core/files.h"
#include "exec/checkpoint.h"
#include "exec/control.h"
#include "exec/deadletter.h"
#include "exec/exchange.h"
#include "exec/op.h"
#include "exec/op_lookup.h"
#include "exec/op_over.h"
#include "exec/op_rank.h"
#include "exec/op_join.h"
#include "exec/op_replicate.h"
#include "exec/op_temporal.h"
#include "exec/op_unnest.h"
#include "exec/op_group.h"
#include "exec/op_window.h"
#include "exec/opstate.h"
#include "exec/queue.h"
#include "exec/values.h"
#include "formats/format.h"
#include "state/snapshot.h"
#include "state/table.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

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
    /* a file-size limit makes write() fail with EFBIG (a checkpoint then
     * fails cleanly) instead of killing the process */
    signal(SIGXFSZ, SIG_IGN);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the graph ---------------------------------------------------------------- */

struct task;

struct job_source {
    struct cat_table *table;        /* NULL for VALUES */
    struct lnode *node;             /* first scan node (its proj is shared) */
    struct table_ctx *ctx;          /* in the job arena: connectors keep pointers */
    struct source *src;
    struct op *op;                  /* emits the source's batches */
    struct batch *batch;
    bool done;
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
    struct opt_set *own_opts;       /* a bare SELECT's print options (freed here) */
};

/* A thread's share of the work: the sources of one instance, or the
 * receiving end of an exchange, with the chain of operators after it. */
struct task {
    struct job *j;
    int instance;
    struct job_source **sources;    /* stage 0 */
    int n_sources;
    int n_x;                        /* later stages: the exchanges received */
    struct op *x_in[4];             /*   (a join receives two) and their */
    struct exchange *x[4];          /*   receiving operators */
    struct op **ops;                /* operators this task runs (timers) */
    int n_ops;
    pthread_t thread;
    bool started;
    int rc;
    struct weir_error err;
    struct arena eval_arena;        /* per-batch expression results */
    /* checkpoints */
    int64_t last_barrier;           /* newest checkpoint this task took part in */
    int64_t committed;              /* newest completed one it committed */
    int64_t aligning;               /* the barrier being aligned (0: none) */
    int64_t align_t0;               /* when its first channel delivered it */
    bool *blocked;                  /* per channel (x * P + from): barrier seen */
    struct queue_set *qs;           /* the queues it pops (freed with the job) */
    bool paused;                    /* a stop barrier went out: poll no more */
    bool finished;                  /* inputs ended; only checkpoints remain */
    /* the checkpoint whose state this task is still copying (lazily: see
     * task_checkpoint); id 0 = none */
    struct {
        int64_t id;
        struct ckpt_section *secs;
        struct snap_writer *ws;     /* the writer of each section */
        int n, cap;
        int64_t t0;                 /* the barrier */
        int64_t step_end;           /* when the last copy step ended */
        int64_t align_us, pause_us; /* alignment; the longest stop */
        bool failed;                /* declined: copied only to its end */
    } snap;
};

struct job {
    struct job_plan *p;             /* instance 0's plan (the caller's) */
    struct job_plan *plans;         /* instances 1..P-1 */
    struct job_plan *shadows;       /* per instance, a second copy whose key
                                       expressions the exchanges evaluate (an
                                       expression runs on one thread only) */
    bool *shadow_ok;
    int parallelism;
    int max_parallelism;            /* key groups (pipeline.max-parallelism, 128) */
    struct job_opts opts;
    char *state_dir;
    char *dlq_path;
    struct deadletter *dlq;
    struct job_source **sources;    /* all instances */
    int n_sources;
    struct job_sink **sinks;
    int n_sinks;
    struct op **ops;                /* every operator, for freeing and metrics */
    int n_ops;
    struct task **tasks;
    int n_tasks;
    struct exchange **exchanges;
    int n_exchanges;
    struct arena arena;             /* table contexts */
    volatile int abort_flag;        /* a task failed: everything stops */
    bool has_timers;
    int64_t state_ttl_us;           /* table.exec.state.ttl; 0: never expire */
    char *spill_dir;                /* <state dir>/spill */
    int64_t spill_side_bytes;       /* weir.state.spill.threshold per join side
                                       or Top-N, and instance; -1: never spill */
    int64_t mini_batch_size;        /* table.exec.mini-batch.*; 0: off */
    /* checkpoints (exec/checkpoint.h); ckpt NULL: off */
    struct ckpt_config ckpt_cfg;
    struct ckpt_coord *ckpt;
    char *restored_dir;             /* the checkpoint the job resumed from */
    _Atomic int n_finished;         /* tasks whose inputs ended */
    _Atomic int64_t exit_id;        /* tasks exit once they committed this one */
    volatile int stop_now;          /* tasks exit at once (a stop that failed) */
    _Atomic int n_exited;           /* task threads that returned */
    _Atomic int64_t stop_id;        /* the stop savepoint's id, once requested */
    struct control *control;        /* <state-dir>/ctl.sock */
    int lock_fd;                    /* holds <state-dir>/LOCK */
    int64_t restore_us;             /* reading and applying the checkpoint */
    /* progress */
    pthread_t progress_thread;
    bool progress_running;
    pthread_mutex_t progress_mu;
    pthread_cond_t progress_cv;
    bool finished;
    bool tty;                       /* stderr is a terminal */
    struct timespec t_start;
};

/* Build state for one instance. */
struct build_ctx {
    int instance;
    struct task *task;              /* where new operators run */
    int next_exchange;              /* exchanges are numbered in build order,
                                       the same in every instance */
    struct task *source_task;       /* the instance's stage-0 task */
    struct built {                  /* nodes built in this instance: a node */
        const struct lnode *n;      /*   read by several (sub-plan reuse) is */
        struct op **ends;           /*   built once, its output fanned out */
        int n_ends;
        struct task *task;
    } *built;
    int n_built;
};

static void push_ptr(void ***arr, int *n, void *p)
{
    *arr = mem_realloc(*arr, (size_t)(*n + 1) * sizeof(void *));
    (*arr)[(*n)++] = p;
}

static struct task *task_new(struct job *j, int instance)
{
    struct task *t = mem_calloc(1, sizeof(*t));
    t->j = j;
    t->instance = instance;
    t->err.loc = WEIR_LOC_NONE;
    arena_init(&t->eval_arena, 256 * 1024);
    push_ptr((void ***)&j->tasks, &j->n_tasks, t);
    return t;
}

static void add_op(struct job *j, struct build_ctx *bc, struct op *op)
{
    op->dlq = j->dlq;
    op->instance = bc->instance;
    if (op->ops->timer)
        j->has_timers = true;
    push_ptr((void ***)&j->ops, &j->n_ops, op);
    push_ptr((void ***)&bc->task->ops, &bc->task->n_ops, op);
}

/* The emitter of a source: the task pushes through it with op_emit. */
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
    /* the format serves the keys under the connector's prefix (log: 'value.') */
    const char **fmeta = arena_calloc(a, (size_t)(n_proj + 1) * sizeof(char *));
    const char *fpre = t->conn ? t->conn->format_metadata_prefix : NULL;
    for (int i = 0; i < n_proj; i++) {
        const struct cat_column *cc = &t->cols[proj[i]];
        names[i] = cc->name;
        types[i] = cc->type;
        meta[i] = cc->kind == CAT_METADATA ? cc->meta_key : NULL;
        projection[i] = phys_index[proj[i]];
        if (meta[i] && fpre && strncmp(meta[i], fpre, strlen(fpre)) == 0 &&
            format_meta_find(t->format, meta[i] + strlen(fpre)))
            fmeta[i] = meta[i] + strlen(fpre);
    }
    c->col_names = names;
    c->col_types = types;
    c->col_metadata = meta;
    c->col_format_metadata = fmeta;
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
    c->subtask = 0;         /* set by the caller for parallel instances */
    c->parallelism = 1;
    c->job_dir = j->state_dir;
}


static struct job_source *source_for(struct job *j, struct build_ctx *bc, struct lnode *scan,
                                     struct weir_error *err)
{
    for (int i = 0; i < bc->source_task->n_sources; i++)
        if (bc->source_task->sources[i]->table == scan->table)
            return bc->source_task->sources[i];
    struct job_source *s = mem_calloc(1, sizeof(*s));
    push_ptr((void ***)&j->sources, &j->n_sources, s);
    push_ptr((void ***)&bc->source_task->sources, &bc->source_task->n_sources, s);
    s->table = scan->table;
    s->node = scan;
    s->ctx = arena_calloc(&j->arena, sizeof(*s->ctx));
    table_ctx_fill(j, s->ctx, scan->table, scan->proj, scan->n_proj);
    s->ctx->subtask = bc->instance;
    s->ctx->parallelism = j->parallelism;
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
    struct task *saved = bc->task;
    bc->task = bc->source_task;
    add_op(j, bc, s->op);
    bc->task = saved;
    return s;
}

static void ends_add(struct op ***ends, int *n_ends, struct op *op)
{
    *ends = mem_realloc(*ends, (size_t)(*n_ends + 1) * sizeof(**ends));
    (*ends)[(*n_ends)++] = op;
}

/* Routes the rows of `ends` (in the current task) through an exchange into
 * task `into` of this instance (NULL: a new task), whose receiver becomes the
 * only end; bc->task becomes that task. */
static struct lnode *find_node(struct lnode *n, int id)
{
    if (n->id == id)
        return n;
    for (int i = 0; i < n->n_inputs; i++) {
        struct lnode *f = find_node(n->inputs[i], id);
        if (f)
            return f;
    }
    return NULL;
}

/* Instance i's shadow copy of plan node `id` (compiled on first use). */
static struct lnode *shadow_node(struct job *j, int instance, int id, struct weir_error *err)
{
    struct job_plan *sp = &j->shadows[instance];
    if (!j->shadow_ok[instance]) {
        int rc = plan_compile_ex(sp, j->p->file, j->p->text, true, err);
        if (rc == WEIR_OK)
            rc = plan_optimize(sp, err);
        if (rc)
            return NULL;
        j->shadow_ok[instance] = true;
    }
    for (int s = 0; s < sp->n_sinks; s++) {
        struct lnode *f = find_node(sp->sinks[s], id);
        if (f)
            return f;
    }
    err_set(err, WEIR_ERR_INTERNAL, "plan node %d missing from the shadow plan", id);
    return NULL;
}

/* The key expressions of an exchange: the same as the keyed operator's, but
 * separate objects (from the shadow plan), since the exchange runs on the
 * sending thread.  which: 0 keys/part/lkeys, 1 rkeys (a join's right side). */
static struct expr **exchange_keys(struct job *j, int instance, struct lnode *n, int which,
                                   struct weir_error *err)
{
    struct lnode *sh = shadow_node(j, instance, n->id, err);
    if (sh == NULL)
        return NULL;
    switch (sh->kind) {
    case LN_JOIN:
    case LN_TEMPORAL_JOIN: return which ? sh->rkeys : sh->lkeys;
    case LN_RANK:
    case LN_OVER: return sh->part;
    default: return sh->keys;
    }
}

static int exchange_into_task(struct job *j, struct build_ctx *bc, struct op ***ends,
                              int *n_ends, struct expr **keys, int n_keys, bool forward,
                              int n_cols, const struct sql_type *const *types, int id,
                              struct task *into)
{
    int k = bc->next_exchange++;
    struct exchange *x = NULL;
    for (int i = 0; i < j->n_exchanges; i++)
        if (j->exchanges[i]->id == k)
            x = j->exchanges[i];
    if (x == NULL) {
        x = exchange_new(k, j->parallelism, j->max_parallelism, forward);
        push_ptr((void ***)&j->exchanges, &j->n_exchanges, x);
    }
    struct op *xo = op_exchange_out_new(id, x, bc->instance, keys, n_keys, &j->abort_flag);
    op_exchange_out_types(xo, n_cols, types);
    add_op(j, bc, xo);
    for (int i = 0; i < *n_ends; i++)
        op_connect((*ends)[i], xo);
    struct task *t = into ? into : task_new(j, bc->instance);
    if (t->n_x == 4)
        return err_set(NULL, WEIR_ERR_INTERNAL, "too many exchanges into one task");
    bc->task = t;
    struct op *xi = op_exchange_in_new(id, x, bc->instance);
    t->x[t->n_x] = x;
    t->x_in[t->n_x++] = xi;
    add_op(j, bc, xi);
    *n_ends = 0;
    ends_add(ends, n_ends, xi);
    return WEIR_OK;
}

static int exchange_into_new_task(struct job *j, struct build_ctx *bc, struct op ***ends,
                                  int *n_ends, struct expr **keys, int n_keys, bool forward,
                                  int n_cols, const struct sql_type *const *types, int id)
{
    return exchange_into_task(j, bc, ends, n_ends, keys, n_keys, forward, n_cols, types, id,
                              NULL);
}

/* Connects a lookup join to its dimension table (op_lookup_open: the
 * connector's lookup reader, or the whole table read now). */
static int load_dimension(struct job *j, struct lnode *n, struct op *lj, struct weir_error *err)
{
    struct cat_table *t = n->table;
    int nd = n->n_out - n->inputs[0]->n_out;
    int *proj = arena_calloc(&j->arena, (size_t)(nd + 1) * sizeof(int));
    int k = 0;
    for (int i = 0; i < t->n_cols && k < nd; i++)
        if (t->cols[i].kind == CAT_PHYSICAL)
            proj[k++] = i;
    struct table_ctx *ctx = arena_calloc(&j->arena, sizeof(*ctx));
    table_ctx_fill(j, ctx, t, proj, nd);
    int rc = op_lookup_open(lj, t->conn, ctx, err);
    if (rc && err && err->loc.offset < 0)
        err->loc = t->with_loc;
    return rc;
}

static char *calc_label(struct lnode *n)
{
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
    return sb_steal(&sb);
}

/* Builds the operators for node n; returns the ops whose output is n's output
 * (several for a UNION ALL) in *ends, all running in bc->task. */
static int build(struct job *j, struct build_ctx *bc, struct lnode *n, struct op ***ends,
                 int *n_ends, struct weir_error *err);

/* The two inputs of a join (regular, interval, window or temporal): built
 * from the source task, and with P > 1 sent by join key into one new task
 * where both sides meet; their ends are returned (the caller frees them). */
static int build_join_inputs(struct job *j, struct build_ctx *bc, struct lnode *n,
                             struct op ***l_ends, int *n_l, struct op ***r_ends, int *n_r,
                             struct weir_error *err)
{
    bc->task = bc->source_task;
    int rc = build(j, bc, n->inputs[0], l_ends, n_l, err);
    struct task *tl = bc->task;
    bc->task = bc->source_task;
    if (rc == WEIR_OK)
        rc = build(j, bc, n->inputs[1], r_ends, n_r, err);
    struct task *tr = bc->task;
    if (rc == WEIR_OK && j->parallelism > 1) {
        struct lnode *l = n->inputs[0], *r = n->inputs[1];
        bc->task = tl;
        struct expr **lk = exchange_keys(j, bc->instance, n, 0, err);
        struct expr **rk = lk ? exchange_keys(j, bc->instance, n, 1, err) : NULL;
        rc = rk ? WEIR_OK : (err->code ? err->code : WEIR_ERR_INTERNAL);
        if (rc == WEIR_OK)
            rc = exchange_into_task(j, bc, l_ends, n_l, lk, n->n_jkeys, false, l->n_out,
                                    l->out_types, n->id, NULL);
        struct task *t = bc->task;
        bc->task = tr;
        if (rc == WEIR_OK)
            rc = exchange_into_task(j, bc, r_ends, n_r, rk, n->n_jkeys, false, r->n_out,
                                    r->out_types, n->id, t);
    } else if (rc == WEIR_OK && tl != tr) {
        rc = err_set(err, WEIR_ERR_INTERNAL, "join inputs in different tasks");
    }
    if (rc) {
        mem_free(*l_ends);
        mem_free(*r_ends);
        *l_ends = *r_ends = NULL;
    }
    return rc;
}

/* Builds n's single input; with parallelism > 1 and keyed (n_keys >= 0) the
 * input then goes through a hash exchange on n's keys into a new task, so the
 * rows of one key meet in one instance (n_keys 0: all rows to one instance). */
static int build_keyed_input(struct job *j, struct build_ctx *bc, struct lnode *n, int n_keys,
                             struct op ***in, int *n_in, struct weir_error *err)
{
    int rc = build(j, bc, n->inputs[0], in, n_in, err);
    if (rc == WEIR_OK && n_keys >= 0 && j->parallelism > 1) {
        struct lnode *input = n->inputs[0];
        struct expr **keys = n_keys > 0 ? exchange_keys(j, bc->instance, n, 0, err) : NULL;
        if (n_keys > 0 && keys == NULL)
            rc = err->code ? err->code : WEIR_ERR_INTERNAL;
        else
            rc = exchange_into_new_task(j, bc, in, n_in, keys, n_keys, false, input->n_out,
                                        input->out_types, n->id);
    }
    if (rc) {
        mem_free(*in);
        *in = NULL;
    }
    return rc;
}

/* Adds op to the current task fed by the ends in[] (freed) and makes it the
 * branch's end. */
static void attach(struct job *j, struct build_ctx *bc, struct op *op, struct op **in, int n_in,
                   struct op ***ends, int *n_ends)
{
    add_op(j, bc, op);
    for (int i = 0; i < n_in; i++)
        op_connect(in[i], op);
    mem_free(in);
    ends_add(ends, n_ends, op);
}

static int build_node(struct job *j, struct build_ctx *bc, struct lnode *n, struct op ***ends,
                      int *n_ends, struct weir_error *err);

/* A node read by several (the optimizer's sub-plan reuse) is built once per
 * instance: the later readers get its ends and task, and connect to them as
 * the first did, so the ops fan their output out. */
static int build(struct job *j, struct build_ctx *bc, struct lnode *n, struct op ***ends,
                 int *n_ends, struct weir_error *err)
{
    for (int i = 0; i < bc->n_built; i++)
        if (bc->built[i].n == n) {
            bc->task = bc->built[i].task;
            for (int k = 0; k < bc->built[i].n_ends; k++)
                ends_add(ends, n_ends, bc->built[i].ends[k]);
            return WEIR_OK;
        }
    int before = *n_ends;
    int rc = build_node(j, bc, n, ends, n_ends, err);
    if (rc == WEIR_OK) {
        bc->built = mem_realloc(bc->built, (size_t)(bc->n_built + 1) * sizeof(*bc->built));
        struct built *b = &bc->built[bc->n_built++];
        b->n = n;
        b->n_ends = *n_ends - before;
        b->ends = mem_alloc((size_t)(b->n_ends + 1) * sizeof(*b->ends));
        memcpy(b->ends, *ends + before, (size_t)b->n_ends * sizeof(*b->ends));
        b->task = bc->task;
    }
    return rc;
}

static int build_node(struct job *j, struct build_ctx *bc, struct lnode *n, struct op ***ends,
                      int *n_ends, struct weir_error *err)
{
    switch (n->kind) {
    case LN_SCAN: {
        struct job_source *s = source_for(j, bc, n, err);
        if (s == NULL)
            return err->code ? err->code : WEIR_ERR_CONNECTOR;
        bc->task = bc->source_task;
        ends_add(ends, n_ends, s->op);
        return WEIR_OK;
    }
    case LN_VALUES: {
        struct job_source *s = mem_calloc(1, sizeof(*s));
        push_ptr((void ***)&j->sources, &j->n_sources, s);
        push_ptr((void ***)&bc->source_task->sources, &bc->source_task->n_sources, s);
        s->node = n;
        /* the rows are emitted once, by the first instance */
        s->src = values_source_new(n->rows, bc->instance == 0 ? n->n_rows : 0, n->n_out,
                                   n->out_types);
        s->batch = batch_new(n->n_out, n->out_types);
        s->wm = WM_NONE;
        s->op = source_op_new(n->id, "VALUES");
        bc->task = bc->source_task;
        add_op(j, bc, s->op);
        ends_add(ends, n_ends, s->op);
        return WEIR_OK;
    }
    case LN_UNION: {
        /* branches that end in different tasks (behind an aggregation's or a
         * join's exchange) meet in a new task through forward exchanges, one
         * per task: rows stay in their instance and keep their order */
        int ni = n->n_inputs;
        struct task *start = bc->task;
        struct op ***b_ends = mem_calloc((size_t)ni, sizeof(*b_ends));
        int *b_n = mem_calloc((size_t)ni, sizeof(*b_n));
        struct task **b_task = mem_calloc((size_t)ni, sizeof(*b_task));
        bool same = true;
        int rc = WEIR_OK;
        for (int i = 0; i < ni && rc == WEIR_OK; i++) {
            bc->task = start;
            rc = build(j, bc, n->inputs[i], &b_ends[i], &b_n[i], err);
            b_task[i] = bc->task;
            same &= b_task[i] == b_task[0];
        }
        struct task *into = NULL;
        for (int i = 0; i < ni && rc == WEIR_OK; i++) {
            if (same) {
                for (int k = 0; k < b_n[i]; k++)
                    ends_add(ends, n_ends, b_ends[i][k]);
                continue;
            }
            struct task *t = b_task[i];
            if (t == NULL)
                continue;   /* went with an earlier branch of its task */
            struct op **group = NULL;
            int n_group = 0;
            for (int k = i; k < ni; k++) {
                if (b_task[k] != t)
                    continue;
                for (int e = 0; e < b_n[k]; e++)
                    ends_add(&group, &n_group, b_ends[k][e]);
                b_task[k] = NULL;
            }
            bc->task = t;
            rc = exchange_into_task(j, bc, &group, &n_group, NULL, 0, true, n->n_out,
                                    n->out_types, n->id, into);
            if (rc == WEIR_OK) {
                into = bc->task;
                ends_add(ends, n_ends, group[0]);
            } else if (err->code == WEIR_OK) {
                rc = err_set(err, WEIR_ERR_UNSUPPORTED,
                             "a UNION ALL whose inputs come from more than 4 different "
                             "aggregations or joins is not supported with parallelism > 1");
            }
            mem_free(group);
        }
        if (!same)
            bc->task = into;
        for (int i = 0; i < ni; i++)
            mem_free(b_ends[i]);
        mem_free(b_ends);
        mem_free(b_n);
        mem_free(b_task);
        return rc;
    }
    case LN_REPLICATE:
    case LN_UNNEST: {
        /* stateless: fused into the chain of its input, in every instance */
        struct op **in = NULL;
        int n_in = 0;
        int rc = build_keyed_input(j, bc, n, -1, &in, &n_in, err);
        if (rc)
            return rc;
        struct strbuf sb = {0};
        plan_node_label(n, &sb);
        struct op *op = n->kind == LN_REPLICATE
            ? op_replicate_new(n->id, n->n_out, n->out_types, sb_steal(&sb))
            : op_unnest_new(n->id, n->unnest, n->inputs[0]->n_out, n->join == JOIN_LEFT,
                            n->ordinality, n->n_out, n->out_types, sb_steal(&sb));
        attach(j, bc, op, in, n_in, ends, n_ends);
        return WEIR_OK;
    }
    case LN_CALC: {
        struct op **in = NULL;
        int n_in = 0;
        int rc = build_keyed_input(j, bc, n, -1, &in, &n_in, err);
        if (rc)
            return rc;
        struct op *c = op_calc_new(n->id, n->filter, n->exprs, n->n_out);
        mem_free(c->label);
        c->label = calc_label(n);
        attach(j, bc, c, in, n_in, ends, n_ends);
        return WEIR_OK;
    }
    case LN_LOOKUP_JOIN: {
        struct op **in = NULL;
        int n_in = 0;
        int rc = build(j, bc, n->inputs[0], &in, &n_in, err);
        struct strbuf sb = {0};
        plan_node_label(n, &sb);
        struct op *lj = rc ? NULL : op_lookup_new(n->id, n, sb_steal(&sb));
        sb_free(&sb);
        /* every instance has its own lookup reader or full copy of the
         * dimension (a cache, not keyed state: no exchange in front) */
        if (lj)
            rc = load_dimension(j, n, lj, err);
        if (rc) {
            if (lj)
                op_free(lj);
            mem_free(in);
            return rc;
        }
        attach(j, bc, lj, in, n_in, ends, n_ends);
        return WEIR_OK;
    }
    case LN_RANK:
    case LN_GROUP_AGG: {
        /* a partition's rows (the changes of one group) meet, in order, in
         * one instance */
        struct op **in = NULL;
        int n_in = 0;
        int rc = build_keyed_input(j, bc, n, n->kind == LN_RANK ? n->n_part : n->n_keys, &in,
                                   &n_in, err);
        if (rc)
            return rc;
        struct strbuf sb = {0};
        plan_node_label(n, &sb);
        struct op *op = n->kind == LN_RANK
                            ? op_rank_new(n->id, n, sb_steal(&sb))
                            : op_group_new(n->id, n->keys, n->n_keys, n->aggs, n->n_aggs,
                                           n->n_out, n->out_types, sb_steal(&sb));
        /* key groups: the exchange's and the checkpoint's, before any row */
        if (n->kind == LN_RANK)
            op_rank_set_max_parallelism(op, j->max_parallelism);
        else
            op_group_set_max_parallelism(op, j->max_parallelism);
        if (n->kind == LN_RANK)
            op_rank_set_state_ttl(op, j->state_ttl_us, false);
        else
            op_group_set_state_ttl(op, j->state_ttl_us, false);
        if (n->kind == LN_RANK && j->spill_side_bytes >= 0)
            op_rank_spill(op, j->spill_dir, j->spill_side_bytes);
        if (n->kind == LN_GROUP_AGG)
            op_group_set_mini_batch(op, j->mini_batch_size);
        attach(j, bc, op, in, n_in, ends, n_ends);
        return WEIR_OK;
    }
    case LN_OVER: {
        /* a partition's rows meet in one instance (all of them when there
         * is no PARTITION BY) */
        struct op **in = NULL;
        int n_in = 0;
        int rc = build_keyed_input(j, bc, n, n->n_part, &in, &n_in, err);
        if (rc)
            return rc;
        struct strbuf sb = {0};
        plan_node_label(n, &sb);
        struct op *op = op_over_new(n->id, n, sb_steal(&sb));
        op_over_set_max_parallelism(op, j->max_parallelism);
        attach(j, bc, op, in, n_in, ends, n_ends);
        return WEIR_OK;
    }
    case LN_JOIN:
    case LN_TEMPORAL_JOIN: {
        struct op **l_ends = NULL, **r_ends = NULL;
        int n_l = 0, n_r = 0;
        int rc = build_join_inputs(j, bc, n, &l_ends, &n_l, &r_ends, &n_r, err);
        if (rc)
            return rc;
        struct strbuf sb = {0};
        plan_node_label(n, &sb);
        bool regular = n->kind == LN_JOIN;
        struct op *jo;
        if (regular) {
            jo = op_join_for_node(n, j->max_parallelism, sb_steal(&sb));
            if (!n->interval && !n->window)   /* these expire by watermark */
                op_join_set_state_ttl(jo, j->state_ttl_us, false);
            if (j->spill_side_bytes >= 0)
                op_join_spill(jo, j->spill_dir, j->spill_side_bytes);
        } else {
            jo = op_temporal_new(n->id, n->join, n->lkeys, n->rkeys, n->n_jkeys, n->residual,
                                 n->inputs[0]->n_out, n->inputs[1]->n_out, n->time_col[0],
                                 n->time_col[1], n->out_types, sb_steal(&sb));
            op_temporal_set_max_parallelism(jo, j->max_parallelism);
            op_temporal_set_state_ttl(jo, j->state_ttl_us, false);
        }
        add_op(j, bc, jo);
        for (int i = 0; i < n_l; i++)
            op_connect(l_ends[i], jo);
        if (regular)
            op_join_left_ports(jo, jo->n_inputs);
        else
            op_temporal_left_ports(jo, jo->n_inputs);
        for (int i = 0; i < n_r; i++)
            op_connect(r_ends[i], jo);
        mem_free(l_ends);
        mem_free(r_ends);
        ends_add(ends, n_ends, jo);
        return WEIR_OK;
    }
    case LN_WINDOW_AGG:
    case LN_WINDOW_TVF: {
        /* rows of one key meet in one instance; with grouping sets the empty
         * set needs every row, so they all go to one instance (an Expand
         * before the exchange would spread them: not done yet) */
        struct op **in = NULL;
        int n_in = 0;
        int keyed = n->kind == LN_WINDOW_TVF ? -1 : n->n_sets <= 1 ? n->n_keys : 0;
        int rc = build_keyed_input(j, bc, n, keyed, &in, &n_in, err);
        if (rc)
            return rc;
        struct strbuf sb = {0};
        plan_node_label(n, &sb);
        struct op *w = op_window_new(n->id, &n->win, n->kind == LN_WINDOW_TVF, n->keys,
                                     n->n_keys, n->sets, n->n_sets, n->aggs, n->n_aggs,
                                     n->n_out, n->out_types, sb_steal(&sb));
        op_window_set_max_parallelism(w, j->max_parallelism);
        /* fed by the hash exchange on this node's keys alone (build_keyed_input
         * connects nothing else in between): its rows carry their key hashes */
        if (keyed > 0 && n_in == 1 && op_exchange_in_of(in[0]) != NULL)
            op_window_hashes_from(w, op_exchange_in_of(in[0]));
        attach(j, bc, w, in, n_in, ends, n_ends);
        return WEIR_OK;
    }
    case LN_SINK:
        break;
    }
    return err_set(err, WEIR_ERR_INTERNAL, "unexpected plan node");
}

static int build_sink(struct job *j, struct build_ctx *bc, struct lnode *n,
                      struct weir_error *err)
{
    struct op **in = NULL;
    int n_in = 0;
    bc->task = bc->source_task;
    int rc = build(j, bc, n->inputs[0], &in, &n_in, err);
    if (rc) {
        mem_free(in);
        return rc;
    }
    struct job_sink *s = mem_calloc(1, sizeof(*s));
    push_ptr((void ***)&j->sinks, &j->n_sinks, s);
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
        s->ctx->subtask = bc->instance;
        s->ctx->parallelism = j->parallelism;
        s->name = n->table->name;
        rc = n->table->conn->sink_create(s->ctx, &snk, err);
        if (rc && err && err->loc.offset < 0)
            err->loc = n->table->with_loc;
    } else {
        /* a bare SELECT: rows to stdout in print format, without the subtask
         * prefix (it shows results, as the SQL client does) */
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
        rc = conn_validate(print, NULL, "stdout", 1, keys, vals, false, &s->own_opts, err);
        if (rc == WEIR_OK) {
            t->opts = s->own_opts;
            table_ctx_fill(j, s->ctx, t, proj, n->n_out);
            s->name = "stdout";
            rc = print->sink_create(s->ctx, &snk, err);
        }
    }
    if (rc) {
        mem_free(in);
        return rc;
    }
    snk->table = s->ctx;
    s->op = op_sink_new(n->id, snk, s->name);
    add_op(j, bc, s->op);
    for (int i = 0; i < n_in; i++)
        op_connect(in[i], s->op);
    mem_free(in);
    return WEIR_OK;
}

static int default_parallelism(const struct job_plan *p, const struct job_opts *opts,
                               struct weir_error *err)
{
    if (opts->parallelism > 0)
        return opts->parallelism;
    const char *v = plan_config(p, "parallelism.default");
    if (v == NULL)
        v = plan_config(p, "table.exec.resource.default-parallelism");
    if (v) {
        int n = atoi(v);
        if (n == -1)
            v = NULL;
        else if (n < 1 || n > 256)
            return err_set(err, WEIR_ERR_CONFIG, "parallelism must be 1 to 256, got '%s'", v);
        else
            return n;
    }
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c < 1 ? 1 : c > 64 ? 64 : (int)c;
}

static void assign_uids(struct job *j);

/* Shares of weir.state.spill.threshold: one per join side (a regular join's
 * two) and one per Top-N, counting shared subplans once. */
static int spill_shares(const struct lnode *n, bool *seen)
{
    if (seen[n->id])
        return 0;
    seen[n->id] = true;
    int k = n->kind == LN_JOIN ? 2 : n->kind == LN_RANK ? 1 : 0;
    for (int i = 0; i < n->n_inputs; i++)
        k += spill_shares(n->inputs[i], seen);
    return k;
}

int job_build(struct job_plan *p, const struct job_opts *opts, struct job **out,
              struct weir_error *err)
{
    struct job *j = mem_calloc(1, sizeof(*j));
    j->p = p;
    j->opts = *opts;
    arena_init(&j->arena, 16 * 1024);
    pthread_mutex_init(&j->progress_mu, NULL);
    pthread_cond_init(&j->progress_cv, NULL);
    *out = j;
    int P = default_parallelism(p, opts, err);
    if (P < 0)
        return P;
    j->parallelism = P;
    const char *mp = plan_config(p, "pipeline.max-parallelism");
    j->max_parallelism = mp ? atoi(mp) : 128;
    if (j->max_parallelism < P || j->max_parallelism > 32768)
        return err_set(err, WEIR_ERR_CONFIG,
                       "pipeline.max-parallelism (key groups) must be between the parallelism "
                       "(%d) and 32768, got %d", P, j->max_parallelism);
    int rc_ttl = op_ttl_parse(plan_config(p, "table.exec.state.ttl"), &j->state_ttl_us, err);
    if (rc_ttl)
        return rc_ttl;
    int rc_mb = op_group_mini_batch_parse(plan_config(p, "table.exec.mini-batch.enabled"),
                                          plan_config(p, "table.exec.mini-batch.allow-latency"),
                                          plan_config(p, "table.exec.mini-batch.size"),
                                          &j->mini_batch_size, err);
    if (rc_mb)
        return rc_mb;
    const char *sd = opts->state_dir ? opts->state_dir : plan_config(p, "weir.state.dir");
    j->state_dir = sd ? mem_strdup(sd) : mem_sprintf("weir-data/jobs/%s", p->name);
    const char *dl = plan_config(p, "weir.dead-letter.path");
    j->dlq_path = dl ? mem_strdup(dl) : mem_sprintf("%s/dead-letter.jsonl", j->state_dir);
    j->dlq = dlq_open(j->dlq_path, err);
    if (j->dlq == NULL)
        return err->code ? err->code : WEIR_ERR_IO;
    if (files_mkdirs(j->state_dir, err) != WEIR_OK)
        return err->code;
    /* join and Top-N rows past this much memory go to spill files
     * (op_join.c, op_rank.c): split over the instances, the two sides of each
     * join and each Top-N */
    const char *spill = plan_config(p, "weir.state.spill.threshold");
    int64_t spill_bytes = 256LL << 20;
    if (spill && strcasecmp(spill, "off") == 0)
        spill_bytes = -1;
    else if (spill && opt_parse_size(spill, &spill_bytes) != WEIR_OK)
        return err_set(err, WEIR_ERR_CONFIG, "'weir.state.spill.threshold' expects a size such "
                       "as '256 mb', '0' (spill every join and Top-N row) or 'off', got "
                       "'%s'", spill);
    bool *seen = mem_calloc((size_t)p->next_id + 1, sizeof(bool));
    int shares = 0;
    for (int i = 0; i < p->n_sinks; i++)
        shares += spill_shares(p->sinks[i], seen);
    mem_free(seen);
    j->spill_side_bytes =
        spill_bytes < 0 ? -1 : spill_bytes / ((shares > 0 ? shares : 1) * (int64_t)P);
    j->spill_dir = mem_sprintf("%s/spill", j->state_dir);
    /* every instance gets its own plan: expressions hold per-thread scratch */
    if (P > 1) {
        j->plans = mem_calloc((size_t)(P - 1), sizeof(*j->plans));
        j->shadows = mem_calloc((size_t)P, sizeof(*j->shadows));
        j->shadow_ok = mem_calloc((size_t)P, sizeof(bool));
    }
    for (int i = 0; i < P; i++) {
        struct job_plan *pi = p;
        if (i > 0) {
            pi = &j->plans[i - 1];
            int rc = plan_compile_ex(pi, p->file, p->text, true, err);
            if (rc == WEIR_OK)
                rc = plan_optimize(pi, err);
            if (rc)
                return rc;
        }
        struct build_ctx bc = {i, NULL, 0, NULL};
        bc.source_task = task_new(j, i);
        bc.task = bc.source_task;
        int rc = WEIR_OK;
        for (int k = 0; k < pi->n_sinks && rc == WEIR_OK; k++)
            rc = build_sink(j, &bc, pi->sinks[k], err);
        for (int k = 0; k < bc.n_built; k++)
            mem_free(bc.built[k].ends);
        mem_free(bc.built);
        if (rc)
            return rc;
    }
    assign_uids(j);
    return ckpt_config_parse(plan_config(p, "execution.checkpointing.interval"),
                             plan_config(p, "execution.checkpointing.timeout"),
                             plan_config(p, "state.checkpoints.num-retained"), &j->ckpt_cfg,
                             err);
}

/* ---- operator identity ------------------------------------------------------------ */

static uint64_t fnv_mix(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* The signature of a plan node: what it computes, over its inputs'
 * signatures, without the node ids (which shift when the query is edited).
 * Equal signatures mean the same state layout, so a checkpoint restores into
 * an edited query wherever the operators under it are unchanged. */
static uint64_t node_uid(const struct lnode *n, int depth)
{
    struct strbuf sb = {0};
    sb_addf(&sb, "%d|", (int)n->kind);
    switch (n->kind) {
    case LN_SCAN:
    case LN_SINK:
        sb_adds(&sb, n->table ? n->table->name : "stdout");
        break;
    case LN_VALUES:
        sb_addf(&sb, "%d", n->n_rows);
        break;
    case LN_CALC: {
        char *l = calc_label((struct lnode *)n);
        sb_adds(&sb, l);
        mem_free(l);
        break;
    }
    case LN_UNION:
        break;
    default:
        plan_node_label(n, &sb);
        break;
    }
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < sb.len; i++) {
        if (sb.buf[i] == '#') {   /* "Calc#12": the id is not identity */
            while (i + 1 < sb.len && sb.buf[i + 1] >= '0' && sb.buf[i + 1] <= '9')
                i++;
            continue;
        }
        h = (h ^ (unsigned char)sb.buf[i]) * 1099511628211ULL;
    }
    sb_free(&sb);
    for (int i = 0; i < n->n_inputs && depth < 64; i++) {
        uint64_t in = node_uid(n->inputs[i], depth + 1);
        h = fnv_mix(h, (const char *)&in, sizeof in);
    }
    return h;
}

/* Gives every operator its uid: its node's signature and its kind; a
 * repeat within an instance (two identical INSERTs) gets a counter mixed in,
 * in build order, which is the same in every instance and every run. */
static void assign_uids(struct job *j)
{
    for (int i = 0; i < j->n_ops; i++) {
        struct op *op = j->ops[i];
        struct lnode *n = NULL;
        for (int s = 0; s < j->p->n_sinks && n == NULL; s++)
            n = find_node(j->p->sinks[s], op->id);
        uint64_t h = 1469598103934665603ULL;
        h = fnv_mix(h, op->ops->kind, strlen(op->ops->kind));
        if (n && strcmp(op->ops->kind, "Source") != 0) {
            uint64_t nu = node_uid(n, 0);
            h = fnv_mix(h, (const char *)&nu, sizeof nu);
        } else {
            h = fnv_mix(h, op->label, strlen(op->label));   /* "Source: <table>" */
        }
        for (int k = 0, dup = 1; k < i && dup < 1000; k++)
            if (j->ops[k]->instance == op->instance && j->ops[k]->uid == h) {
                h = fnv_mix(h, (const char *)&dup, sizeof dup);
                dup++;
                k = -1;   /* look again with the new value */
            }
        op->uid = h;
    }
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
    /* instance 0 shows the shape; the others are copies */
    int tasks0 = 0;
    for (int t = 0; t < j->n_tasks; t++) {
        struct task *tk = j->tasks[t];
        if (tk->instance != 0)
            continue;
        tasks0++;
        if (tk->n_x) {
            for (int x = 0; x < tk->n_x; x++) {
                sb_addf(sb, "Task %d: receives %s exchange #%d\n", tasks0,
                        tk->x[x]->forward ? "forward" : "hash", tk->x[x]->id);
                /* a join's operators hang below both receivers: show them once */
                if (x + 1 < tk->n_x)
                    continue;
                for (int k = 0; k < tk->x_in[x]->n_next; k++)
                    explain_op(tk->x_in[x]->next[k].to, sb, 1);
            }
            continue;
        }
        sb_addf(sb, "Task %d: sources\n", tasks0);
        for (int i = 0; i < tk->n_sources; i++) {
            const struct job_source *s = tk->sources[i];
            if (s->table) {
                sb_addf(sb, "Source: %s [connector=%s%s%s] fields=[", s->table->name,
                        s->table->conn->name, s->table->format ? ", format=" : "",
                        s->table->format ? s->table->format->name : "");
                for (int c = 0; c < s->ctx->n_cols; c++)
                    sb_addf(sb, "%s%s", c ? ", " : "", s->ctx->col_names[c]);
                sb_adds(sb, "]");
                if (s->wm_expr) {
                    sb_adds(sb, " watermark=[");
                    expr_to_text(sb, s->wm_expr, s->ctx->col_names);
                    sb_adds(sb, "]");
                }
                sb_addc(sb, '\n');
            } else {
                sb_addf(sb, "Source: VALUES (%d rows)\n", s->node->n_rows);
            }
            for (int k = 0; k < s->op->n_next; k++)
                explain_op(s->op->next[k].to, sb, 1);
        }
    }
    sb_addf(sb, "Parallelism %d: each task runs as %d instance%s, one thread each; "
                "stateless operators are fused into one chain per task.\n",
            j->parallelism, j->parallelism, j->parallelism == 1 ? "" : "s");
}

/* ---- running -------------------------------------------------------------------------- */

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


/* Rows per table over all instances; names[] collects the distinct tables. */
static int source_tables(const struct job *j, const char **names, int64_t *rows, int64_t *dl,
                         int max)
{
    int n = 0;
    for (int i = 0; i < j->n_sources; i++) {
        const struct job_source *s = j->sources[i];
        const char *nm = s->table ? s->table->name : "VALUES";
        int k = 0;
        while (k < n && strcmp(names[k], nm) != 0)
            k++;
        if (k == n) {
            if (n == max)
                continue;
            names[n] = nm;
            rows[n] = dl[n] = 0;
            n++;
        }
        rows[k] += atomic_load_explicit(&s->op->rows_out, memory_order_relaxed);
        dl[k] += atomic_load_explicit(&s->src->metrics.dead_letters, memory_order_relaxed);
    }
    return n;
}

static int sink_tables(const struct job *j, const char **names, int64_t *rows, int max)
{
    int n = 0;
    for (int i = 0; i < j->n_sinks; i++) {
        const struct job_sink *s = j->sinks[i];
        int k = 0;
        while (k < n && strcmp(names[k], s->name) != 0)
            k++;
        if (k == n) {
            if (n == max)
                continue;
            names[n] = s->name;
            rows[n++] = 0;
        }
        rows[k] += atomic_load_explicit(&s->op->rows_in, memory_order_relaxed);
    }
    return n;
}

/* One plan node's operator metrics, summed over its instances. */
struct op_stats {
    struct op *op;                  /* instance 0's operator (label, kind) */
    int instances;
    int64_t rows_in, rows_out, retractions, late, expired, keys, bytes, disk, blocked_ns;
    bool lookup;                    /* a lookup join: its cache counters follow */
    int64_t hits, misses, loads;
    int64_t wm;                     /* the lowest instance watermark */
};

/* Fills st (at most max) with one entry per plan node; returns the count. */
static int op_stats_collect(const struct job *j, struct op_stats *st, int max)
{
    int n = 0;
    for (int i = 0; i < j->n_ops; i++) {
        struct op *x = j->ops[i];
        int k = 0;
        while (k < n && !(st[k].op->id == x->id && st[k].op->ops == x->ops))
            k++;
        if (k == n) {
            if (n == max)
                continue;
            memset(&st[n], 0, sizeof(st[n]));
            st[n].op = x;
            st[n].wm = WM_END;
            n++;
        }
        struct op_stats *o = &st[k];
        o->instances++;
        o->rows_in += atomic_load(&x->rows_in);
        o->rows_out += atomic_load(&x->rows_out);
        o->retractions += atomic_load(&x->retractions);
        o->late += atomic_load(&x->late);
        o->expired += atomic_load(&x->expired);
        o->keys += atomic_load(&x->state_keys);
        o->bytes += atomic_load(&x->state_bytes);
        o->disk += atomic_load(&x->state_disk);
        o->blocked_ns += op_exchange_blocked_ns(x);
        int64_t h, m, l;
        if (op_lookup_cache_stats(x, &h, &m, &l)) {
            o->lookup = true;
            o->hits += h;
            o->misses += m;
            o->loads += l;
        }
        int64_t w = atomic_load(&x->wm_out);
        if (w < o->wm)
            o->wm = w;
    }
    return n;
}

#define MAX_SHOWN 64

static void checkpoint_status(struct job *j, struct strbuf *r, const char *indent);

static void *progress_main(void *arg)
{
    struct job *j = arg;
    int64_t last[MAX_SHOWN] = {0};
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
        const char *names[MAX_SHOWN];
        int64_t rows[MAX_SHOWN], dl[MAX_SHOWN];
        int n = source_tables(j, names, rows, dl, MAX_SHOWN);
        for (int i = 0; i < n; i++) {
            char a[32], r[32];
            human(a, sizeof a, (double)rows[i]);
            human(r, sizeof r, (double)(rows[i] - last[i]));
            last[i] = rows[i];
            sb_addf(&sb, " in %s: %s (%s/s)", names[i], a, r);
        }
        n = sink_tables(j, names, rows, MAX_SHOWN);
        for (int i = 0; i < n; i++) {
            char a[32];
            human(a, sizeof a, (double)rows[i]);
            sb_addf(&sb, " | out %s: %s", names[i], a);
        }
        int64_t late = 0, blocked = 0, wm = WM_END;
        int n_x = 0;
        for (int i = 0; i < j->n_ops; i++) {
            struct op *o = j->ops[i];
            late += atomic_load_explicit(&o->late, memory_order_relaxed);
            if (op_is_exchange_out(o)) {
                blocked += op_exchange_blocked_ns(o);
                n_x++;
            }
            if (strcmp(o->ops->kind, "WindowAggregate") == 0) {
                int64_t w = atomic_load_explicit(&o->wm_out, memory_order_relaxed);
                if (w < wm)
                    wm = w;
            }
        }
        if (wm != WM_END && wm != WM_NONE && wm != WM_IDLE) {
            char wb[48];
            dt_fmt_ts_java(wb, wm);
            sb_addf(&sb, " | watermark %s", wb);
        }
        if (n_x && t > 0)
            sb_addf(&sb, " | backpressure %.0f%%", 100.0 * (double)blocked / 1e9 / t / n_x);
        if (late)
            sb_addf(&sb, " | late: %lld", (long long)late);
        if (j->ckpt) {
            struct ckpt_stats cs;
            int64_t done, failed;
            ckpt_get_stats(j->ckpt, &cs, &done, &failed, NULL);
            if (cs.id > 0)
                sb_addf(&sb, " | checkpoint %lld %s (pause %.1f ms, %.0f KiB)%s",
                        (long long)cs.id, cs.failed ? "failed" : "ok", cs.sync_us / 1000.0,
                        cs.bytes / 1024.0, failed ? " some failed" : "");
        }
        sb_addf(&sb, " | dead-lettered: %lld%s", (long long)dlq_count(j->dlq), j->tty ? "" : "\n");
        fputs(sb.buf, stderr);
        fflush(stderr);
        sb_free(&sb);
    }
    pthread_mutex_unlock(&j->progress_mu);
    return NULL;
}

static void summary(struct job *j, bool stopped, FILE *f)
{
    double t = elapsed_s(&j->t_start);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    fprintf(f, "weir: job '%s' %s in %.2f s (cpu %.2f s, peak rss %.1f MiB, parallelism %d)\n",
            j->p->name, stopped ? "stopped" : "finished", t, cpu, ru.ru_maxrss / 1024.0,
            j->parallelism);
    const char *names[MAX_SHOWN];
    int64_t rows[MAX_SHOWN], dl[MAX_SHOWN];
    int n = source_tables(j, names, rows, dl, MAX_SHOWN);
    for (int i = 0; i < n; i++) {
        char r[32];
        human(r, sizeof r, t > 0 ? (double)rows[i] / t : 0);
        fprintf(f, "  source %-20s %12lld rows  %9s rows/s  %lld dead-lettered\n", names[i],
                (long long)rows[i], r, (long long)dl[i]);
    }
    n = sink_tables(j, names, rows, MAX_SHOWN);
    for (int i = 0; i < n; i++)
        fprintf(f, "  sink   %-20s %12lld rows\n", names[i], (long long)rows[i]);
    /* operators that hold state or move rows between threads */
    struct op_stats *st = mem_calloc((size_t)j->n_ops + 1, sizeof(*st));
    int nst = op_stats_collect(j, st, j->n_ops);
    for (int i = 0; i < nst; i++) {
        struct op_stats *o = &st[i];
        bool window = strcmp(o->op->ops->kind, "WindowAggregate") == 0 ||
                      strcmp(o->op->ops->kind, "GroupAggregate") == 0;
        bool xout = op_is_exchange_out(o->op);
        /* joins and ranks show up once table.exec.state.ttl dropped state */
        bool ttl_only = !window && o->expired > 0;
        if (o->lookup) {
            fprintf(f, "  op     %-.60s\n         %lld rows in, %lld out, cache %lld hits, "
                       "%lld misses, %lld loads\n",
                    o->op->label, (long long)o->rows_in, (long long)o->rows_out,
                    (long long)o->hits, (long long)o->misses, (long long)o->loads);
            continue;
        }
        if (!window && !xout && !ttl_only)
            continue;
        if (ttl_only) {
            fprintf(f, "  op     %-.60s\n         %lld rows in, %lld out, state %lld keys / "
                       "%.1f KiB, %lld expired\n",
                    o->op->label, (long long)o->rows_in, (long long)o->rows_out,
                    (long long)o->keys, o->bytes / 1024.0, (long long)o->expired);
            continue;
        }
        if (window) {
            char wm[48] = "-";
            if (o->wm != WM_NONE && o->wm != WM_END && o->wm != WM_IDLE)
                dt_fmt_ts_java(wm, o->wm);
            else if (o->wm == WM_END)
                snprintf(wm, sizeof wm, "end of input");
            char exp[96] = "";
            if (o->retractions > 0)
                snprintf(exp, sizeof exp, ", %lld retractions out", (long long)o->retractions);
            if (o->expired > 0)
                snprintf(exp + strlen(exp), sizeof exp - strlen(exp), ", %lld expired",
                         (long long)o->expired);
            fprintf(f, "  op     %-.60s\n         %lld rows in, %lld out, %lld late, state %lld "
                       "keys / %.1f KiB%s, watermark %s\n",
                    o->op->label, (long long)o->rows_in, (long long)o->rows_out,
                    (long long)o->late, (long long)o->keys, o->bytes / 1024.0, exp, wm);
        } else {
            fprintf(f, "  op     %s: %lld rows, backpressure %.1f%%\n", o->op->label,
                    (long long)o->rows_out,
                    t > 0 ? 100.0 * (double)o->blocked_ns / 1e9 / t / o->instances : 0);
        }
    }
    mem_free(st);
    int64_t late = 0;
    for (int i = 0; i < j->n_ops; i++)
        late += atomic_load_explicit(&j->ops[i]->late, memory_order_relaxed);
    if (late)
        fprintf(f, "  late rows (dead-lettered): %lld\n", (long long)late);
    int64_t total_dl = dlq_count(j->dlq);
    if (total_dl)
        fprintf(f, "  dead-letter output: %s (%lld records)\n", j->dlq_path, (long long)total_dl);
    if (j->ckpt) {
        struct strbuf cs = {0};
        checkpoint_status(j, &cs, "  ");
        fputs(cs.buf, f);
        sb_free(&cs);
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
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
    fprintf(f, "{\"job\":");
    json_str(f, j->p->name);
    fprintf(f, ",\"parallelism\":%d,\"elapsed_s\":%.3f,\"peak_rss_kib\":%ld,\"dead_letters\":%lld,",
            j->parallelism, t, ru.ru_maxrss, (long long)dlq_count(j->dlq));
    const char *names[MAX_SHOWN];
    int64_t rows[MAX_SHOWN], dl[MAX_SHOWN];
    int n = source_tables(j, names, rows, dl, MAX_SHOWN);
    fprintf(f, "\"sources\":[");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s{\"name\":", i ? "," : "");
        json_str(f, names[i]);
        fprintf(f, ",\"rows\":%lld,\"dead_letters\":%lld}", (long long)rows[i], (long long)dl[i]);
    }
    /* operators: the instances of one plan node summed (ids match across
     * instances, which are compiled from the same script) */
    fprintf(f, "],\"operators\":[");
    struct op_stats *st = mem_calloc((size_t)j->n_ops + 1, sizeof(*st));
    int nst = op_stats_collect(j, st, j->n_ops);
    for (int i = 0; i < nst; i++) {
        struct op_stats *o = &st[i];
        fprintf(f, "%s{\"id\":%d,\"kind\":\"%s\",\"name\":", i ? "," : "", o->op->id,
                o->op->ops->kind);
        json_str(f, o->op->label);
        fprintf(f, ",\"instances\":%d,\"rows_in\":%lld,\"rows_out\":%lld,"
                   "\"retractions\":%lld,\"late\":%lld,\"state_keys\":%lld,"
                   "\"state_bytes\":%lld,\"state_disk_bytes\":%lld,\"expired\":%lld",
                o->instances, (long long)o->rows_in, (long long)o->rows_out,
                (long long)o->retractions, (long long)o->late, (long long)o->keys,
                (long long)o->bytes, (long long)o->disk, (long long)o->expired);
        if (o->wm != WM_NONE && o->wm != WM_END && o->wm != WM_IDLE)
            fprintf(f, ",\"watermark_us\":%lld", (long long)o->wm);
        if (o->lookup)
            fprintf(f, ",\"cache_hits\":%lld,\"cache_misses\":%lld,\"cache_loads\":%lld",
                    (long long)o->hits, (long long)o->misses, (long long)o->loads);
        if (op_is_exchange_out(o->op))
            fprintf(f, ",\"backpressure\":%.4f",
                    t > 0 ? (double)o->blocked_ns / 1e9 / t / o->instances : 0);
        fputc('}', f);
    }
    mem_free(st);
    fprintf(f, "],\"sinks\":[");
    n = sink_tables(j, names, rows, MAX_SHOWN);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s{\"name\":", i ? "," : "");
        json_str(f, names[i]);
        fprintf(f, ",\"rows\":%lld}", (long long)rows[i]);
    }
    fprintf(f, "]");
    if (j->ckpt) {
        int64_t done, failed;
        ckpt_get_stats(j->ckpt, NULL, &done, &failed, NULL);
        fprintf(f, ",\"checkpoints\":{\"interval_ms\":%lld,\"completed\":%lld,\"failed\":%lld",
                (long long)j->ckpt_cfg.interval_ms, (long long)done, (long long)failed);
        fprintf(f, ",\"restore_ms\":%.1f", j->restore_us / 1000.0);
        struct ckpt_stats *h = mem_alloc(CKPT_HISTORY * sizeof(*h));
        int nh = ckpt_history(j->ckpt, h, CKPT_HISTORY);
        fprintf(f, ",\"history\":[");
        for (int i = 0; i < nh; i++) {
            fprintf(f, "%s{\"id\":%lld,\"kind\":\"%s\",\"failed\":%s,"
                       "\"trigger_time_ms\":%lld,\"duration_us\":%lld,\"alignment_us\":%lld,"
                       "\"sync_pause_us\":%lld,\"copy_us\":%lld,\"async_us\":%lld,"
                       "\"bytes\":%lld,\"reason\":",
                    i ? "," : "", (long long)h[i].id, ckpt_kind_name(h[i].kind),
                    h[i].failed ? "true" : "false", (long long)h[i].trigger_ms,
                    (long long)h[i].duration_us, (long long)h[i].align_us,
                    (long long)h[i].sync_us, (long long)h[i].copy_us, (long long)h[i].async_us,
                    (long long)h[i].bytes);
            json_str(f, h[i].reason);
            fputc('}', f);
        }
        fputc(']', f);
        mem_free(h);
        fputc('}', f);
    }
    fprintf(f, "}\n");
    fclose(f);
}

/* ---- checkpoints: the task side --------------------------------------------------- */

/* Section header: u32 version, i64 watermark, u32 inputs, i64 watermark of
 * each input.  Records (state/snapshot.h) follow. */
static void section_header(struct strbuf *b, int64_t wm, const struct op *op)
{
    int n = op ? op->n_inputs : 0;
    snap_put_u32(b, 1);
    snap_put_i64(b, wm);
    snap_put_u32(b, (uint32_t)n);
    for (int i = 0; i < n; i++)
        snap_put_i64(b, op->in_wm[i]);
}

/* How long a task copies checkpointed state at a time: as long as it worked
 * on rows since the last step (half of a busy task's time goes to the copy,
 * so a 1 GiB state is copied in a few seconds while rows flow), within
 * bounds that keep every stop far under the pause a checkpoint may cost. */
#define SNAP_STEP_MIN_US 1000
#define SNAP_STEP_MAX_US 5000

/* A new section of the pending checkpoint for op; returns its writer. */
static struct snap_writer *add_section(struct task *t, const struct op *op)
{
    if (t->snap.n == t->snap.cap) {
        int cap = t->snap.cap ? 2 * t->snap.cap : 8;
        t->snap.secs = mem_realloc(t->snap.secs, (size_t)cap * sizeof(*t->snap.secs));
        t->snap.ws = mem_realloc(t->snap.ws, (size_t)cap * sizeof(*t->snap.ws));
        t->snap.cap = cap;
    }
    struct ckpt_section *s = &t->snap.secs[t->snap.n];
    memset(s, 0, sizeof(*s));
    s->uid = op->uid;
    s->instance = op->instance;
    s->label = mem_strdup(op->label);
    s->fd = -1;
    struct snap_writer *w = &t->snap.ws[t->snap.n++];
    memset(w, 0, sizeof(*w));
    return w;
}

/* A section bigger than this goes to its own file as it is copied
 * (ckpt_section_spill) instead of waiting whole in memory. */
#define SPILL_BYTES (4 << 20)

/* The pending checkpoint cannot complete (a snapshot or a write failed): it
 * is declined, and the tables' copy goes on to its end only to keep their
 * copy-on-write marks right, its bytes dropped. */
static void snap_fail(struct task *t, const struct weir_error *e)
{
    if (!t->snap.failed)
        ckpt_decline(t->j->ckpt, t->snap.id, e->message ? e->message : "a snapshot failed");
    t->snap.failed = true;
}

/* Writes the part of section i copied so far to its file once it is big
 * (or, with all, whatever is left of a section that has a file). */
static void snap_spill(struct task *t, int i, bool all)
{
    struct strbuf *buf = &t->snap.ws[i].buf;
    struct ckpt_section *s = &t->snap.secs[i];
    if (t->snap.failed) {
        buf->len = 0;
        return;
    }
    if (!(buf->len >= SPILL_BYTES || (all && s->file)))
        return;
    struct weir_error e = {0};
    e.loc = WEIR_LOC_NONE;
    if (ckpt_section_spill(t->j->ckpt, t->snap.id, s, buf, &e) != WEIR_OK) {
        snap_fail(t, &e);
        buf->len = 0;
    }
    err_clear(&e);
}

/*
 * Ends the pending checkpoint's copy.  ACK: every table is written; the
 * sections go to the coordinator (unless the checkpoint failed).  ABANDON:
 * the job is ending with the copy unfinished; the tables' walks are
 * dropped, which only a job that will not checkpoint again may do.
 */
enum { SNAP_ACK, SNAP_ABANDON };
static void snap_end_pending(struct task *t, int how)
{
    struct job *j = t->j;
    for (int i = 0; i < t->snap.n; i++) {
        state_walks_end(&t->snap.ws[i], how == SNAP_ACK);
        if (how == SNAP_ACK)
            snap_spill(t, i, true);
        struct ckpt_section *s = &t->snap.secs[i];
        if (s->fd >= 0) {
            close(s->fd);
            s->fd = -1;
        }
        s->data = t->snap.ws[i].buf;   /* taken */
    }
    if (how == SNAP_ACK && !t->snap.failed)
        ckpt_ack(j->ckpt, t->snap.id, t->snap.secs, t->snap.n, t->snap.align_us,
                 t->snap.pause_us, now_us() - t->snap.t0);
    else
        ckpt_sections_clear(t->snap.secs, t->snap.n);
    t->snap.n = 0;
    t->snap.id = 0;
    t->snap.failed = false;
}

/*
 * Copies more of the pending checkpoint's state, for about budget_us (0:
 * nothing; INT64_MAX: all of it; -1: the pace of SNAP_STEP_MIN_US), writing
 * big sections to their files as they grow, and acknowledges the checkpoint
 * once every table is written.  Returns true while copying remains, so an
 * idle task goes on copying instead of sleeping.
 */
static bool snap_step(struct task *t, int64_t budget_us)
{
    if (t->snap.id == 0)
        return false;
    if (budget_us < 0) {   /* the pace of a busy task: see SNAP_STEP_MIN_US */
        budget_us = now_us() - t->snap.step_end;
        budget_us = budget_us < SNAP_STEP_MIN_US   ? SNAP_STEP_MIN_US
                    : budget_us > SNAP_STEP_MAX_US ? SNAP_STEP_MAX_US
                                                   : budget_us;
    }
    int64_t t0 = now_us();
    bool done = true;
    for (int i = 0; i < t->snap.n; i++) {
        struct snap_writer *w = &t->snap.ws[i];
        while (done && !state_walks_done(w)) {
            if (now_us() - t0 >= budget_us) {
                done = false;
                break;
            }
            /* a few entries between looks at the clock: one entry may be a
             * join key holding thousands of rows */
            state_walks_step(w, 8);
            snap_spill(t, i, false);
        }
        /* copy-on-write adds to every section, finished or not */
        snap_spill(t, i, false);
    }
    t->snap.step_end = now_us();
    int64_t took = t->snap.step_end - t0;
    if (took > t->snap.pause_us)
        t->snap.pause_us = took;
    if (done)
        snap_end_pending(t, SNAP_ACK);
    return !done;
}

/*
 * Checkpoint id reaches this task: its inputs are aligned (or ended), so no
 * row of the checkpoint is still to come and none after it has arrived.
 * The barrier hooks run first (exchanges pass the barrier on, sinks
 * pre-commit), then each source's position and each stateful operator's
 * non-keyed state are written into sections, and every state table starts a
 * lazy, copy-on-write snapshot (state_table_walk).  That is the pause the
 * data path sees.  The task then copies the tables between batches
 * (snap_step) — an entry the operator is about to change is copied first —
 * and acknowledges when they are done; the writing to disk happens on the
 * coordinator's thread.
 */
static int task_checkpoint(struct task *t, int64_t id, int64_t align_us, struct weir_error *err)
{
    struct job *j = t->j;
    if (t->snap.id)
        snap_step(t, INT64_MAX);   /* the previous checkpoint's copy ends first */
    int64_t t0 = now_us();
    int kind = ckpt_kind_of(j->ckpt, id);
    int rc = WEIR_OK;
    t->last_barrier = id;
    t->snap.id = id;
    t->snap.t0 = t0;
    t->snap.align_us = align_us;
    t->snap.pause_us = 0;
    int64_t queued_us = 0;
    for (int i = 0; i < t->n_ops && rc == WEIR_OK; i++) {
        struct op *op = t->ops[i];
        if (op->ops->barrier == NULL)
            continue;
        /* the barrier travels like a row: waiting for room in a full queue
         * is backpressure (measured as such), not part of the pause */
        int64_t b0 = op_is_exchange_out(op) ? now_us() : 0;
        rc = op->ops->barrier(op, id, err);
        if (b0)
            queued_us += now_us() - b0;
    }
    for (int i = 0; i < t->n_sources && rc == WEIR_OK; i++) {
        struct job_source *s = t->sources[i];
        if (s->src->ops->position == NULL) {
            rc = err_set(err, WEIR_ERR_UNSUPPORTED,
                         "source '%s' cannot report its position, so it cannot be "
                         "checkpointed (SET 'execution.checkpointing.interval' = '0' runs "
                         "the job without checkpoints)", s->op->label);
            break;
        }
        struct snap_writer *w = add_section(t, s->op);
        struct strbuf pos = {0};
        section_header(&w->buf, s->wm, NULL);
        rc = s->src->ops->position(s->src, &pos);
        snap_begin(w, SNAP_OPERATOR);
        snap_put_bytes(&w->buf, pos.buf, pos.len);
        snap_end(w);
        sb_free(&pos);
    }
    for (int i = 0; i < t->n_ops && rc == WEIR_OK; i++) {
        struct op *op = t->ops[i];
        if (op->ops->snapshot == NULL)
            continue;
        /* a finished job never resumes from its final checkpoint: only the
         * sinks' transactions matter there */
        if (kind == CKPT_FINAL && op_sink_get(op) == NULL)
            continue;
        struct snap_writer *w = add_section(t, op);
        section_header(&w->buf, op->wm, op);
        rc = op->ops->snapshot(op, w, err);
    }
    if (rc) {
        if (err->message == NULL)
            err_set(err, rc, "%s", weir_rc_str(rc));
        snap_fail(t, err);   /* fatal: the task's exit drops what is pending */
        return rc;
    }
    /* the dead letters of the rows before the barrier reach the file before
     * the checkpoint can complete (a replay after a crash may repeat them:
     * the dead-letter output is at-least-once) */
    dlq_flush(j->dlq);
    t->snap.step_end = now_us();
    t->snap.pause_us = t->snap.step_end - t0 - queued_us;
    if (kind == CKPT_STOP) {
        /* stop with a savepoint: nothing after it, so no reason to copy lazily */
        t->paused = true;
        snap_step(t, INT64_MAX);
    } else {
        snap_step(t, 0);   /* copies nothing; acknowledges when no table is pending */
    }
    return WEIR_OK;
}

/* The newest completed checkpoint is committed by this task's operators
 * (sinks make its transactions visible), on this task's own thread. */
static int task_commit(struct task *t, struct weir_error *err)
{
    int64_t c = ckpt_completed(t->j->ckpt);
    if (c <= t->committed)
        return WEIR_OK;
    t->committed = c;
    for (int i = 0; i < t->n_ops; i++)
        if (t->ops[i]->ops->complete) {
            int rc = t->ops[i]->ops->complete(t->ops[i], c, err);
            if (rc)
                return rc;
        }
    return WEIR_OK;
}

static bool task_should_exit(const struct task *t)
{
    const struct job *j = t->j;
    if (j->abort_flag || j->stop_now)
        return true;
    int64_t e = atomic_load(&((struct job *)j)->exit_id);
    return e > 0 && t->committed >= e;
}

/* Takes part in a checkpoint the coordinator wants, when this task has no
 * barrier to wait for (a source task, or a task whose inputs ended). */
static int task_direct_checkpoint(struct task *t, struct weir_error *err)
{
    int64_t w = ckpt_wanted(t->j->ckpt);
    int rc = WEIR_OK;
    if (w > t->last_barrier)
        rc = task_checkpoint(t, w, 0, err);
    if (rc == WEIR_OK)
        rc = task_commit(t, err);
    snap_step(t, -1);
    return rc;
}

/* After its inputs ended (or a stop barrier): the task only takes part in
 * checkpoints until the final one (or the stop savepoint) is committed. */
static int task_linger(struct task *t, struct weir_error *err)
{
    struct job *j = t->j;
    if (!t->paused && !t->finished) {
        t->finished = true;
        atomic_fetch_add(&j->n_finished, 1);
    }
    int rc = WEIR_OK;
    /* bounded by the supervisor: it ends the job once the final or stop
     * checkpoint completes or fails (execution.checkpointing.timeout) */
    while (rc == WEIR_OK && !task_should_exit(t)) {
        rc = task_direct_checkpoint(t, err);
        if (rc == WEIR_OK && !task_should_exit(t) && t->snap.id == 0) {
            struct timespec ts = {0, 2 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return rc;
}

/* ---- restore ---------------------------------------------------------------------- */

struct section_view {
    int64_t wm;
    int n_in;
    const char *in_wm;     /* n_in little-endian i64 */
    struct snap_iter it;
};

static bool section_open(const struct ckpt_manifest *m, int i, struct section_view *v)
{
    size_t len;
    const char *p = ckpt_section_data(m, i, &len);
    struct snap_rd rd = {p, len, 0, false};
    uint32_t version = snap_get_u32(&rd);
    v->wm = snap_get_i64(&rd);
    v->n_in = (int)snap_get_u32(&rd);
    if (rd.bad || version != 1 || v->n_in < 0 || (size_t)v->n_in * 8 > len - rd.pos)
        return false;
    v->in_wm = p + rd.pos;
    rd.pos += (size_t)v->n_in * 8;
    snap_iter_init(&v->it, p + rd.pos, len - rd.pos);
    return true;
}

static bool section_has_records(const struct ckpt_manifest *m, int i)
{
    struct section_view v;
    int kg;
    struct snap_rd rd;
    return !section_open(m, i, &v) || snap_iter_next(&v.it, &kg, &rd);
}

static struct op *op_by_uid(const struct job *j, uint64_t uid)
{
    for (int i = 0; i < j->n_ops; i++)
        if (j->ops[i]->uid == uid)
            return j->ops[i];
    return NULL;
}

/* The watermarks an operator instance had: its own instance's when the
 * parallelism is unchanged, else the smallest of all (never ahead of any
 * row still to come). */
static void restore_watermarks(struct op *op, int64_t *wm, const struct section_view *v,
                               bool exact, bool first)
{
    if (exact) {
        *wm = v->wm;
        if (v->n_in == op->n_inputs && v->n_in > 0)   /* a source has no inputs */
            memcpy(op->in_wm, v->in_wm, (size_t)v->n_in * 8);
        return;
    }
    if (first || v->wm < *wm)
        *wm = v->wm;
}

static int restore_op(struct job *j, const struct ckpt_manifest *m, struct op *op,
                      bool sinks_only, struct weir_error *err)
{
    bool exact = m->parallelism == j->parallelism;
    bool any = false;
    int64_t wm = WM_NONE;
    for (int i = 0; i < m->n_sections; i++) {
        if (m->sections[i].uid != op->uid)
            continue;
        struct section_view v;
        if (!section_open(m, i, &v))
            return err_set(err, WEIR_ERR_CORRUPT, "checkpoint %s: unreadable section of %s",
                           m->dir, m->sections[i].label);
        bool own = m->sections[i].instance == op->instance;
        if (!sinks_only && (own || !exact))
            restore_watermarks(op, &wm, &v, exact, !any);
        any = true;
        int kg;
        struct snap_rd rd;
        while (snap_iter_next(&v.it, &kg, &rd)) {
            if (kg != SNAP_OPERATOR && (kg < 0 || kg >= j->max_parallelism))
                return err_set(err, WEIR_ERR_CORRUPT,
                               "checkpoint %s: %s has state in key group %d of %d", m->dir,
                               m->sections[i].label, kg, j->max_parallelism);
            if (kg != SNAP_OPERATOR &&
                (int)((int64_t)kg * j->parallelism / j->max_parallelism) != op->instance)
                continue;
            int rc = op->ops->restore(op, kg, &rd, err);
            if (rc)
                return rc;
        }
        if (v.it.bad)
            return err_set(err, WEIR_ERR_CORRUPT, "checkpoint %s: truncated section of %s",
                           m->dir, m->sections[i].label);
    }
    if (any && !sinks_only) {
        op->wm = wm;
        if (!exact)
            for (int i = 0; i < op->n_inputs; i++)
                op->in_wm[i] = wm;
    }
    return WEIR_OK;
}

static int restore_source(struct job *j, const struct ckpt_manifest *m, struct job_source *s,
                          struct weir_error *err)
{
    int old_p = m->parallelism;
    char **pos = mem_calloc((size_t)old_p, sizeof(char *));
    bool exact = old_p == j->parallelism, any = false;
    int64_t wm = WM_NONE;
    int rc = WEIR_OK;
    for (int i = 0; i < m->n_sections && rc == WEIR_OK; i++) {
        if (m->sections[i].uid != s->op->uid)
            continue;
        struct section_view v;
        int kg, inst = m->sections[i].instance;
        struct snap_rd rd;
        if (!section_open(m, i, &v) || !snap_iter_next(&v.it, &kg, &rd) || inst < 0 ||
            inst >= old_p) {
            rc = err_set(err, WEIR_ERR_CORRUPT, "checkpoint %s: unreadable position of %s",
                         m->dir, m->sections[i].label);
            break;
        }
        size_t n;
        const char *p = snap_get_bytes(&rd, &n);
        if (rd.bad) {
            rc = err_set(err, WEIR_ERR_CORRUPT, "checkpoint %s: unreadable position of %s",
                         m->dir, m->sections[i].label);
            break;
        }
        mem_free(pos[inst]);
        pos[inst] = mem_sprintf("%.*s", (int)n, p);
        if (inst == s->op->instance || !exact)
            restore_watermarks(s->op, &wm, &v, exact, !any);
        any = true;
    }
    if (rc == WEIR_OK && any) {
        if (s->src->ops->seek == NULL)
            rc = err_set(err, WEIR_ERR_UNSUPPORTED, "%s cannot resume from a position",
                         s->op->label);
        else
            rc = s->src->ops->seek(s->src, (const char *const *)pos, old_p, err);
        s->wm = wm;
    }
    for (int i = 0; i < old_p; i++)
        mem_free(pos[i]);
    mem_free(pos);
    return rc;
}

/*
 * Puts the job back where checkpoint m left it: every section goes to the
 * operators with its uid (records by key group, so another parallelism
 * works), every source seeks.  A section no operator claims means the query
 * changed under it: an error naming the operator unless
 * --allow-non-restored-state.  From a final checkpoint (the previous run
 * ended) only the sinks' last transactions are finished; the job then starts
 * from the beginning.
 */
static int restore_job(struct job *j, const struct ckpt_manifest *m, struct weir_error *err)
{
    bool fresh = m->kind == CKPT_FINAL;
    if (!fresh && m->max_parallelism != j->max_parallelism)
        return err_set(err, WEIR_ERR_CONFIG,
                       "checkpoint %s was taken with pipeline.max-parallelism %d and this job "
                       "has %d: keyed state cannot be split into other key groups",
                       m->dir, m->max_parallelism, j->max_parallelism);
    /* a section without records (an exchange's watermarks, after a rescale
     * to one instance there is no exchange) holds nothing to lose */
    for (int i = 0; i < m->n_sections && !fresh; i++)
        if (op_by_uid(j, m->sections[i].uid) == NULL && !j->opts.allow_non_restored &&
            section_has_records(m, i))
            return err_set(err, WEIR_ERR_CONFIG,
                           "checkpoint %s holds state of operator '%s', which this job does "
                           "not have (the query changed); run with --allow-non-restored-state "
                           "to drop that state", m->dir, m->sections[i].label);
    int rc = WEIR_OK;
    for (int i = 0; i < j->n_ops && rc == WEIR_OK; i++) {
        struct op *op = j->ops[i];
        if (op->ops->restore && (!fresh || op_sink_get(op)))
            rc = restore_op(j, m, op, fresh, err);
    }
    for (int i = 0; i < j->n_sources && rc == WEIR_OK && !fresh; i++)
        rc = restore_source(j, m, j->sources[i], err);
    return rc;
}

/* Runs the operators' processing-time timers. */
static int task_timers(struct task *t, int64_t now, struct eval_ctx *ctx, struct weir_error *err)
{
    int rc = WEIR_OK;
    ctx->now_us = now;
    for (int i = 0; i < t->n_ops && rc == WEIR_OK; i++)
        if (t->ops[i]->ops->timer)
            rc = t->ops[i]->ops->timer(t->ops[i], now, ctx, err);
    arena_reset(&t->eval_arena);
    return rc;
}

static bool task_has_timers(const struct task *t)
{
    for (int i = 0; i < t->n_ops; i++)
        if (t->ops[i]->ops->timer)
            return true;
    return false;
}

/* A stage-0 task: polls its sources and pushes their batches down the chain. */
static int run_sources(struct task *t, struct weir_error *err)
{
    struct job *j = t->j;
    struct eval_ctx ctx = {&t->eval_arena, 0};
    int active = t->n_sources, rc = WEIR_OK;
    bool timers = task_has_timers(t);
    int64_t next_tick = 0;
    const char *idle_cfg = plan_config(j->p, "table.exec.source.idle-timeout");
    int64_t idle_ms = 0;
    if (idle_cfg)
        opt_parse_duration_ms(idle_cfg, &idle_ms);
    for (int i = 0; i < t->n_sources; i++)
        t->sources[i]->last_data_us = now_us();
    while (active > 0 && rc == WEIR_OK) {
        if ((stop_requested && !j->ckpt) || j->abort_flag || j->stop_now)
            break;
        if (j->ckpt) {
            /* between two polls: the barrier follows every row emitted so far */
            rc = task_direct_checkpoint(t, err);
            if (rc || t->paused || task_should_exit(t))
                break;
        }
        bool any = false;
        int wait_ms = 100;
        for (int i = 0; i < t->n_sources && rc == WEIR_OK; i++) {
            struct job_source *s = t->sources[i];
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
                arena_reset(&t->eval_arena);
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
                arena_reset(&t->eval_arena);
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
        int64_t now = now_us();
        if (rc == WEIR_OK && timers && now >= next_tick) {
            next_tick = now + 50000;
            rc = task_timers(t, now, &ctx, err);
        }
        if (!any && rc == WEIR_OK && active > 0 && t->snap.id == 0) {
            if (timers && wait_ms > 50)
                wait_ms = 50;
            struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (j->ckpt) {
        /* ended inputs or a stop savepoint: wait for the checkpoint that ends it all */
        if (rc == WEIR_OK && !j->abort_flag)
            rc = task_linger(t, err);
        return rc;
    }
    /* without checkpoints a stop request ends the inputs: windows fire and
     * sinks flush what they hold */
    if (rc == WEIR_OK && !j->abort_flag)
        for (int i = 0; i < t->n_sources && rc == WEIR_OK; i++)
            if (!t->sources[i]->done) {
                t->sources[i]->done = true;
                rc = op_emit_watermark(t->sources[i]->op, WM_END, &ctx, err);
                if (rc == WEIR_OK)
                    rc = op_finish_next(t->sources[i]->op, &ctx, err);
            }
    return rc;
}

/* A later task: pops its exchanges' queues until every sender has ended. */
static int run_exchange(struct task *t, struct weir_error *err)
{
    struct job *j = t->j;
    struct eval_ctx ctx = {&t->eval_arena, 0};
    int P = j->parallelism;
    /* the set outlives this loop (freed with the job): a producer's push
     * publishes its message first and only then looks at the set to wake the
     * consumer, so after the last END arrives a producer may still be inside
     * queue_push touching it */
    struct queue_set *qs = t->qs = queue_set_new();
    for (int x = 0; x < t->n_x; x++)
        for (int from = 0; from < P; from++) {
            struct queue *q = t->x[x]->q[from * P + t->instance];
            if (q)
                queue_set_add(qs, q);
        }
    bool ended[4] = {false, false, false, false};
    int n_ended = 0;
    bool timers = task_has_timers(t);
    int64_t next_tick = 0;
    int rc = WEIR_OK;
    /* per channel (x * P + from): ended, and (aligning) barrier delivered */
    bool *ch_end = mem_calloc((size_t)(t->n_x * P), sizeof(bool));
    t->blocked = mem_calloc((size_t)(t->n_x * P), sizeof(bool));
    while (n_ended < t->n_x && rc == WEIR_OK && !j->abort_flag && !j->stop_now) {
        if (j->ckpt && ((rc = task_commit(t, err)) || task_should_exit(t)))
            break;
        bool any = false;
        for (int x = 0; x < t->n_x && rc == WEIR_OK; x++) {
            for (int from = 0; from < P && rc == WEIR_OK && !ended[x]; from++) {
                struct queue *q = t->x[x]->q[from * P + t->instance];
                int ch = x * P + from;
                struct msg m;
                /* a few messages per channel per round keeps the channels fair */
                for (int k = 0; q && k < 8 && !ended[x] && !t->blocked[ch] && rc == WEIR_OK &&
                                queue_try_pop(q, &m);
                     k++) {
                    any = true;
                    if (m.kind == MSG_BARRIER) {
                        /* alignment: this channel waits until every open one
                         * has delivered the barrier; a newer barrier means
                         * the older checkpoint was given up */
                        if (m.value > t->aligning && m.value > t->last_barrier) {
                            if (t->aligning)
                                memset(t->blocked, 0, (size_t)(t->n_x * P) * sizeof(bool));
                            t->aligning = m.value;
                            t->align_t0 = now_us();
                        }
                        if (m.value == t->aligning)
                            t->blocked[ch] = true;
                        continue;
                    }
                    if (m.kind == MSG_END)
                        ch_end[ch] = true;
                    ctx.now_us = now_us();
                    rc = exchange_in_deliver(t->x_in[x], from, &m, &ctx, &ended[x], err);
                    if (ended[x])
                        n_ended++;
                    if (m.batch)
                        batch_free(m.batch);
                    arena_reset(&t->eval_arena);
                }
            }
        }
        if (rc == WEIR_OK && t->aligning) {
            bool aligned = true;
            for (int x = 0; x < t->n_x && aligned; x++)
                for (int from = 0; from < P && aligned; from++)
                    if (t->x[x]->q[from * P + t->instance] && !ch_end[x * P + from] &&
                        !t->blocked[x * P + from])
                        aligned = false;
            if (aligned) {
                int64_t id = t->aligning;
                t->aligning = 0;
                memset(t->blocked, 0, (size_t)(t->n_x * P) * sizeof(bool));
                rc = task_checkpoint(t, id, now_us() - t->align_t0, err);
                arena_reset(&t->eval_arena);
                any = true;
            }
        }
        if (rc == WEIR_OK && snap_step(t, -1))
            any = true;
        int64_t now = now_us();
        if (rc == WEIR_OK && timers && now >= next_tick) {
            next_tick = now + 50000;
            rc = task_timers(t, now, &ctx, err);
        }
        if (!any && n_ended < t->n_x && rc == WEIR_OK) {
            if (t->aligning) {
                /* the blocked channels are not empty: do not spin on them */
                struct timespec ts = {0, 100000L};
                nanosleep(&ts, NULL);
            } else {
                queue_set_wait(qs, j->ckpt ? 10 : timers ? 50 : 100, &j->abort_flag);
            }
        }
    }
    mem_free(ch_end);
    if (j->ckpt && rc == WEIR_OK && !j->abort_flag && !j->stop_now)
        rc = task_linger(t, err);
    return rc;
}

static void *task_main(void *arg)
{
    struct task *t = arg;
    t->rc = t->n_x ? run_exchange(t, &t->err) : run_sources(t, &t->err);
    if (t->snap.id)
        snap_end_pending(t, SNAP_ABANDON);   /* the job ends before that checkpoint */
    if (t->rc)
        t->j->abort_flag = 1;   /* the other tasks stop too */
    atomic_fetch_add(&t->j->n_exited, 1);
    return NULL;
}

/* ---- control (weir ctl) ----------------------------------------------------------- */

/* The checkpoint part of a status: counts and the last one's timings. */
static void checkpoint_status(struct job *j, struct strbuf *r, const char *indent)
{
    if (j->ckpt == NULL) {
        sb_addf(r, "%scheckpoints: off\n", indent);
        return;
    }
    struct ckpt_stats last;
    int64_t done, failed, active;
    ckpt_get_stats(j->ckpt, &last, &done, &failed, &active);
    sb_addf(r, "%scheckpoints: %lld completed, %lld failed, in progress: %lld, every %lld ms\n",
            indent, (long long)done, (long long)failed, (long long)active,
            (long long)j->ckpt_cfg.interval_ms);
    if (last.id > 0)
        sb_addf(r, "%slast checkpoint: id %lld (%s) %s, %.1f ms total, alignment %.1f ms, "
                   "sync pause %.1f ms, state copy %.1f ms, async %.1f ms, %lld bytes%s%s\n",
                indent, (long long)last.id, ckpt_kind_name(last.kind),
                last.failed ? "FAILED" : "completed", last.duration_us / 1000.0,
                last.align_us / 1000.0, last.sync_us / 1000.0, last.copy_us / 1000.0,
                last.async_us / 1000.0,
                (long long)last.bytes, last.failed ? ": " : "", last.reason);
}

static void job_status(struct job *j, struct strbuf *r)
{
    sb_addf(r, "job: %s\nstate: %s\nparallelism: %d\nuptime: %.1f s\n", j->p->name,
            j->stop_now || stop_requested ? "stopping"
            : atomic_load(&j->n_finished) == j->n_tasks ? "finishing"
                                                         : "running",
            j->parallelism, elapsed_s(&j->t_start));
    sb_addf(r, "restored from: %s\n", j->restored_dir ? j->restored_dir : "none");
    checkpoint_status(j, r, "");
    const char *names[64];
    int64_t rows[64], dl[64];
    int n = source_tables(j, names, rows, dl, 64);
    for (int i = 0; i < n; i++)
        sb_addf(r, "source %s: %lld rows, %lld dead-lettered\n", names[i], (long long)rows[i],
                (long long)dl[i]);
    n = sink_tables(j, names, rows, 64);
    for (int i = 0; i < n; i++)
        sb_addf(r, "sink %s: %lld rows\n", names[i], (long long)rows[i]);
    struct op_stats st[64];
    n = op_stats_collect(j, st, 64);
    for (int i = 0; i < n; i++)
        if (st[i].op->ops->snapshot && op_sink_get(st[i].op) == NULL &&
            strcmp(st[i].op->ops->kind, "ExchangeIn") != 0)
            sb_addf(r, "state %s: %lld keys, %lld bytes, %lld bytes on disk, %lld retractions "
                       "out\n",
                    st[i].op->label, (long long)st[i].keys, (long long)st[i].bytes,
                    (long long)st[i].disk, (long long)st[i].retractions);
}

static void job_control(void *arg, const char *cmd, struct strbuf *r)
{
    struct job *j = arg;
    if (strcmp(cmd, "status") == 0) {
        job_status(j, r);
    } else if (strcmp(cmd, "savepoint") == 0 || strncmp(cmd, "savepoint ", 10) == 0) {
        if (j->ckpt == NULL) {
            sb_adds(r, "error: checkpointing is off for this job "
                       "(execution.checkpointing.interval = 0)");
            return;
        }
        const char *path = cmd[9] ? cmd + 10 : NULL;
        int64_t id = ckpt_request(j->ckpt, CKPT_SAVEPOINT, path && *path ? path : NULL);
        char *dir = NULL;
        if (ckpt_wait(j->ckpt, id, j->ckpt_cfg.timeout_ms + 5000, &dir)) {
            sb_addf(r, "savepoint %lld written to %s", (long long)id, dir ? dir : "?");
        } else {
            struct ckpt_stats last;
            ckpt_get_stats(j->ckpt, &last, NULL, NULL, NULL);
            sb_addf(r, "error: savepoint %lld failed: %s", (long long)id,
                    last.id == id && last.reason[0] ? last.reason : "it did not complete");
        }
        mem_free(dir);
    } else if (strcmp(cmd, "stop --savepoint") == 0) {
        if (j->ckpt == NULL) {
            sb_adds(r, "error: checkpointing is off for this job; 'stop' ends it without a "
                       "savepoint");
            return;
        }
        stop_requested = 1;   /* the supervisor takes the savepoint, then stops */
        int64_t id = 0;
        for (int i = 0; i < 1000 && (id = atomic_load(&j->stop_id)) == 0; i++) {
            struct timespec ts = {0, 5 * 1000000L};
            nanosleep(&ts, NULL);
        }
        char *dir = NULL;
        if (id && ckpt_wait(j->ckpt, id, j->ckpt_cfg.timeout_ms + 5000, &dir))
            sb_addf(r, "stopping; savepoint %lld written to %s", (long long)id, dir ? dir : "?");
        else
            sb_adds(r, "error: the stop savepoint did not complete; the job stops and resumes "
                       "from its last checkpoint");
        mem_free(dir);
    } else if (strcmp(cmd, "stop") == 0) {
        /* at once: the next run resumes from the last checkpoint */
        if (j->ckpt)
            j->stop_now = 1;
        else
            stop_requested = 1;
        sb_adds(r, j->ckpt ? "stopping; the job resumes from its last checkpoint"
                           : "stopping");
    } else {
        sb_addf(r, "error: unknown command '%.60s'; valid: status, savepoint [PATH], "
                   "stop [--savepoint]", cmd);
    }
}

/* One job per state directory: a second one would interleave checkpoints
 * and steal the control socket. */
static int lock_state_dir(struct job *j, struct weir_error *err)
{
    char *path = mem_sprintf("%s/LOCK", j->state_dir);
    j->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = WEIR_OK;
    if (j->lock_fd < 0)
        rc = err_set(err, WEIR_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    else if (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0)
        rc = err_set(err, WEIR_ERR_CONFIG,
                     "another job is running with the state directory '%s' (its control "
                     "socket: weir ctl %s status)", j->state_dir, j->state_dir);
    mem_free(path);
    return rc;
}

/* ---- the supervised run (checkpointing on) ------------------------------------------ */

/* Finds what to resume from (--from, else the newest usable checkpoint in
 * the state directory), restores it, and starts the coordinator. */
static int checkpoints_begin(struct job *j, struct weir_error *err)
{
    int64_t t0 = now_us();   /* restore time: finding, checking and applying */
    int64_t max_id = 0;
    int rc = WEIR_OK;
    struct ckpt_manifest *m = NULL;
    if (j->opts.from_path) {
        /* new ids go past both the given one and any in the state directory */
        rc = ckpt_manifest_read(j->opts.from_path, &m, err);
        max_id = ckpt_max_id(j->state_dir);
        if (m && m->id > max_id)
            max_id = m->id;
    } else {
        rc = ckpt_find_latest(j->state_dir, &m, &max_id, stderr, err);
    }
    if (rc)
        return rc;
    /* the sinks learn that they commit at checkpoints before their first
     * row (recover with id 0: nothing to finish yet), so not even the rows
     * before the first checkpoint are published early */
    for (int i = 0; i < j->n_sinks && rc == WEIR_OK; i++) {
        struct sink *snk = op_sink_get(j->sinks[i]->op);
        op_sink_set_two_phase(j->sinks[i]->op, true);
        if (snk->ops->recover && snk->ops->prepare)
            rc = snk->ops->recover(snk, 0, NULL, 0, err);
    }
    if (rc) {
        ckpt_manifest_free(m);
        return rc;
    }
    if (m) {
        rc = restore_job(j, m, err);
        j->restore_us = now_us() - t0;
        if (rc) {
            ckpt_manifest_free(m);
            return rc;
        }
        if (!j->opts.quiet)
            fprintf(stderr, m->kind == CKPT_FINAL
                                ? "weir: the previous run of '%s' finished (%s); starting "
                                  "from the beginning\n"
                                : "weir: '%s' resumes from %s (restored in %.1f ms)\n",
                    j->p->name, m->dir, j->restore_us / 1000.0);
        /* only its name is kept: the mapping of its data goes now */
        j->restored_dir = mem_strdup(m->dir);
        ckpt_manifest_free(m);
    }
    j->ckpt = ckpt_coord_new(j->state_dir, j->p->name, &j->ckpt_cfg, j->n_tasks,
                             j->parallelism, j->max_parallelism, max_id + 1);
    return ckpt_coord_start(j->ckpt, err);
}

/*
 * Runs every task on its own thread and watches them: a stop request
 * (SIGINT/SIGTERM, `weir ctl stop`) becomes a savepoint after which the job
 * stops without draining; when every input has ended, a final checkpoint
 * commits the sinks' last transactions.  The tasks leave once they have
 * committed that checkpoint.
 */
static int run_supervised(struct job *j, struct weir_error *err)
{
    int rc = WEIR_OK;
    for (int i = 0; i < j->n_tasks; i++)
        if (pthread_create(&j->tasks[i]->thread, NULL, task_main, j->tasks[i]) == 0) {
            j->tasks[i]->started = true;
        } else {
            j->abort_flag = 1;
            rc = err_set(err, WEIR_ERR_RUNTIME, "cannot start a worker thread: %s",
                         strerror(errno));
            atomic_fetch_add(&j->n_exited, 1);
        }
    int64_t target = 0;
    int kind = 0, final_tries = 0;
    /* the job's lifetime: each round sleeps 5 ms; it ends when every task has
     * returned, which the checks below guarantee once a stop or the final
     * checkpoint settles (or the job aborts) */
    while (atomic_load(&j->n_exited) < j->n_tasks) {
        if (!j->abort_flag && !j->stop_now && atomic_load(&j->exit_id) == 0) {
            if (stop_requested && kind != CKPT_STOP) {
                kind = CKPT_STOP;
                target = ckpt_request(j->ckpt, CKPT_STOP, NULL);
                atomic_store(&j->stop_id, target);
            } else if (kind == 0 && atomic_load(&j->n_finished) == j->n_tasks) {
                kind = CKPT_FINAL;
                target = ckpt_request(j->ckpt, CKPT_FINAL, NULL);
            }
            int st = target ? ckpt_status(j->ckpt, target) : 0;
            if (st > 0) {
                atomic_store(&j->exit_id, target);
            } else if (st < 0 && kind == CKPT_FINAL && ++final_tries < 3) {
                target = ckpt_request(j->ckpt, CKPT_FINAL, NULL);
            } else if (st < 0) {
                struct ckpt_stats last;
                ckpt_get_stats(j->ckpt, &last, NULL, NULL, NULL);
                rc = err_set(err, WEIR_ERR_IO,
                             kind == CKPT_STOP
                                 ? "the stop savepoint failed (%s); the job stopped without "
                                   "it and resumes from its last checkpoint"
                                 : "the final checkpoint failed (%s); the last rows are not "
                                   "committed and the job resumes from its last checkpoint",
                             last.reason);
                j->stop_now = 1;
            }
        }
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < j->n_tasks; i++)
        if (j->tasks[i]->started)
            pthread_join(j->tasks[i]->thread, NULL);
    /* after the final checkpoint: what the sinks skipped at their end of
     * input (success files); the task threads are gone, so this thread may */
    if (rc == WEIR_OK && kind == CKPT_FINAL && !j->abort_flag)
        for (int i = 0; i < j->n_sinks && rc == WEIR_OK; i++)
            rc = op_sink_final_flush(j->sinks[i]->op, err);
    return rc;
}

int job_run(struct job *j, struct weir_error *err)
{
    int rc = lock_state_dir(j, err);
    if (rc)
        return rc;
    clock_gettime(CLOCK_MONOTONIC, &j->t_start);
    for (int i = 0; i < j->n_sinks && rc == WEIR_OK; i++) {
        struct sink *snk = op_sink_get(j->sinks[i]->op);
        if (snk->ops->open)
            rc = snk->ops->open(snk, err);
    }
    for (int i = 0; i < j->n_sources && rc == WEIR_OK; i++)
        if (j->sources[i]->src->ops->open)
            rc = j->sources[i]->src->ops->open(j->sources[i]->src, err);
    if (rc == WEIR_OK && j->ckpt_cfg.interval_ms > 0)
        rc = checkpoints_begin(j, err);
    if (rc)
        return rc;
    struct weir_error cerr = {0};
    cerr.loc = WEIR_LOC_NONE;
    j->control = control_start(j->state_dir, job_control, j, &cerr);
    if (j->control == NULL && !j->opts.quiet)
        fprintf(stderr, "weir: no control socket: %s\n", cerr.message ? cerr.message : "?");
    err_clear(&cerr);

    j->tty = isatty(STDERR_FILENO);
    bool show = j->opts.progress > 0 || (j->opts.progress < 0 && j->tty);
    if (show && pthread_create(&j->progress_thread, NULL, progress_main, j) == 0)
        j->progress_running = true;

    if (j->ckpt) {
        rc = run_supervised(j, err);
    } else if (j->n_tasks == 1) {
        task_main(j->tasks[0]);
    } else {
        for (int i = 0; i < j->n_tasks; i++)
            if (pthread_create(&j->tasks[i]->thread, NULL, task_main, j->tasks[i]) == 0)
                j->tasks[i]->started = true;
            else {
                j->abort_flag = 1;
                rc = err_set(err, WEIR_ERR_RUNTIME, "cannot start a worker thread: %s",
                             strerror(errno));
            }
        for (int i = 0; i < j->n_tasks; i++)
            if (j->tasks[i]->started)
                pthread_join(j->tasks[i]->thread, NULL);
    }
    /* the first failure is the job's error */
    for (int i = 0; i < j->n_tasks && rc == WEIR_OK; i++)
        if (j->tasks[i]->rc && !(j->tasks[i]->err.message &&
                                 strcmp(j->tasks[i]->err.message, "job aborted") == 0)) {
            rc = j->tasks[i]->rc;
            err_set_at(err, rc, j->tasks[i]->err.loc, "%s",
                       j->tasks[i]->err.message ? j->tasks[i]->err.message : weir_rc_str(rc));
        }
    for (int i = 0; i < j->n_tasks && rc == WEIR_OK; i++)
        if (j->tasks[i]->rc) {
            rc = j->tasks[i]->rc;
            err_set(err, rc, "%s", j->tasks[i]->err.message ? j->tasks[i]->err.message : "");
        }
    bool stopped = stop_requested != 0 || j->stop_now;
    control_stop(j->control);
    j->control = NULL;
    if (j->ckpt)
        ckpt_coord_stop(j->ckpt);
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
        expr_free_scratch(j->sources[i]->wm_expr);
        if (j->sources[i]->src)
            j->sources[i]->src->ops->close(j->sources[i]->src);
        batch_free(j->sources[i]->batch);
        mem_free(j->sources[i]);
    }
    for (int i = 0; i < j->n_sinks; i++) {
        opt_set_free(j->sinks[i]->own_opts);
        mem_free(j->sinks[i]);
    }
    for (int i = 0; i < j->n_ops; i++)
        op_free(j->ops[i]);
    control_stop(j->control);
    ckpt_coord_free(j->ckpt);
    mem_free(j->restored_dir);
    if (j->lock_fd > 0)
        close(j->lock_fd);
    for (int i = 0; i < j->n_tasks; i++) {
        mem_free(j->tasks[i]->blocked);
        queue_set_free(j->tasks[i]->qs);
        mem_free(j->tasks[i]->snap.secs);
        mem_free(j->tasks[i]->snap.ws);
        mem_free(j->tasks[i]->sources);
        mem_free(j->tasks[i]->ops);
        err_clear(&j->tasks[i]->err);
        arena_free(&j->tasks[i]->eval_arena);
        mem_free(j->tasks[i]);
    }
    for (int i = 0; i < j->n_exchanges; i++)
        exchange_free(j->exchanges[i]);
    for (int i = 0; i + 1 < j->parallelism && j->plans; i++)
        plan_free(&j->plans[i]);
    mem_free(j->plans);
    for (int i = 0; i < j->parallelism && j->shadows; i++)
        if (j->shadow_ok[i])
            plan_free(&j->shadows[i]);
    mem_free(j->shadows);
    mem_free(j->shadow_ok);
    mem_free(j->exchanges);
    mem_free(j->tasks);
    mem_free(j->ops);
    mem_free(j->sources);
    mem_free(j->sinks);
    dlq_close(j->dlq);
    mem_free(j->state_dir);
    mem_free(j->spill_dir);
    mem_free(j->dlq_path);
    arena_free(&j->arena);
    pthread_mutex_destroy(&j->progress_mu);
    pthread_cond_destroy(&j->progress_cv);
    mem_free(j);
}
