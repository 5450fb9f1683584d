/*
 * log_sink.c — the 'log' sink: appends rows, encoded by the table's format, to
 * a topic of the embedded durable log (src/log/log.h), like Flink's Kafka sink.
 *
 * Partitioning ('sink.partitioner').  default: Kafka's murmur2 of the record
 * key (log_partition_for_key), round-robin for rows without 'key.fields';
 * fixed: subtask mod partitions; round-robin: rotate over the partitions,
 * starting at the subtask.  The key is the CAST AS STRING text of the
 * 'key.fields' columns joined by ',' (NULL as empty).
 *
 * Writers.  The log allows one appender per partition — even within one
 * process (an OFD lock per open): with parallelism P several sink subtasks
 * (threads of one process) may write the same partition.  Rows cannot be
 * routed to another subtask from here, so appenders are shared process-wide:
 * a registry keyed by (data dir, topic, partition) holds one appender and a
 * mutex per partition, opened lazily by the first subtask that writes it and
 * closed by the last one that closes.  A write call encodes every row first,
 * then makes one log_append per partition under that partition's mutex, so
 * each call's rows of a partition are one atomic batch.
 *
 * Delivery ('sink.delivery-guarantee').  at-least-once: plain appends, visible
 * at once; flush() syncs them.  exactly-once: transactional appenders; records
 * become visible to read-committed readers at log_commit.  prepare() notes each
 * partition's end offset, commit() commits up to it, abort() truncates what was
 * appended since the last commit (the two-phase hooks for issue 5's
 * checkpoints).  Until checkpoints exist, flush() (end of bounded input)
 * commits: a shared partition is committed when the last subtask that wrote to
 * it since the previous commit has flushed, so no subtask's rows become
 * visible before that subtask finished.
 *
 * Metadata: a 'timestamp' column (TIMESTAMP_LTZ(3)) sets the record timestamp
 * (NULL: now); the other metadata keys are read-only.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "connectors/log/log_connector.h"
#include "core/mem.h"
#include "core/value_fmt.h"
#include "formats/format.h"
#include "log/log.h"

/* ---- process-wide appenders ----------------------------------------------------- */

struct shared_app {
    struct shared_app *next;
    char *dir, *topic;
    int partition;
    bool transactional;
    struct log_appender *a;
    pthread_mutex_t lock;           /* serialises appends, commits, aborts */
    int refs;                       /* sinks holding it */
    int pending;                    /* sinks that wrote since the last commit (@lock) */
};

static pthread_mutex_t apps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shared_app *apps;     /* @locks apps_lock */

/* Returns the shared appender of (dir, topic, partition), opening it if no
 * sink holds it; the caller releases it with app_release. */
static int app_acquire(const char *table, const char *dir, const char *topic,
                       int partition, bool transactional, struct shared_app **out,
                       struct weir_error *err)
{
    int rc = WEIR_OK;
    pthread_mutex_lock(&apps_lock);
    struct shared_app *s;
    for (s = apps; s; s = s->next)
        if (s->partition == partition && strcmp(s->topic, topic) == 0 &&
            strcmp(s->dir, dir) == 0)
            break;
    if (s != NULL && s->transactional != transactional) {
        rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': topic '%s' partition %d is "
                     "already written by another sink with a different "
                     "'sink.delivery-guarantee'", table, topic, partition);
        goto out;
    }
    if (s == NULL) {
        struct log_appender *a;
        rc = log_appender_open(dir, topic, partition,
                               transactional ? LOG_APPEND_TRANSACTIONAL : 0, &a, NULL, err);
        if (rc != WEIR_OK)
            goto out;
        s = mem_calloc(1, sizeof(*s));
        s->dir = mem_strdup(dir);
        s->topic = mem_strdup(topic);
        s->partition = partition;
        s->transactional = transactional;
        s->a = a;
        pthread_mutex_init(&s->lock, NULL);
        s->next = apps;
        apps = s;
    }
    s->refs++;
    *out = s;
out:
    pthread_mutex_unlock(&apps_lock);
    return rc;
}

static void app_release(struct shared_app *s)
{
    pthread_mutex_lock(&apps_lock);
    if (--s->refs == 0) {
        for (struct shared_app **pp = &apps; *pp; pp = &(*pp)->next)
            if (*pp == s) {
                *pp = s->next;
                break;
            }
        log_appender_close(s->a);
        pthread_mutex_destroy(&s->lock);
        mem_free(s->dir);
        mem_free(s->topic);
        mem_free(s);
    }
    pthread_mutex_unlock(&apps_lock);
}

/* ---- the sink ------------------------------------------------------------------- */

struct rec_span {
    size_t key_off, val_off;        /* into the partition's bytes */
    int32_t key_len, val_len;       /* key_len -1: no key */
    int64_t ts_ms;                  /* 0: now */
};

struct logc_part_out {
    struct shared_app *app;         /* NULL until first written */
    bool pending;                   /* wrote since the last commit */
    int64_t prepared;               /* end offset noted by prepare, -1 */
    struct strbuf bytes;            /* this write call's keys and values */
    struct rec_span *spans;
    int n_spans, cap_spans;
};

struct logc_sink {
    struct sink base;
    struct encoder *enc;
    struct table_ctx data_ctx;      /* the physical columns, for the encoder */
    int n_data;
    int *data_cols;                 /* sink column of each physical column */
    struct vec *view;
    char *dir, *topic;
    int n_partitions;
    bool transactional;
    int partitioner;                /* 0 default, 1 fixed, 2 round-robin */
    int n_key;
    int *key_cols;                  /* sink columns of key.fields */
    int md_timestamp;               /* sink column, -1 */
    int64_t rr;                     /* round-robin counter */
    struct logc_part_out *parts;    /* per partition */
    struct log_record *recs;        /* scratch for one log_append */
    int cap_recs;
    struct strbuf key;              /* scratch */
};

static const char *tname(const struct logc_sink *ls)
{
    return ls->base.table->table_name;
}

static int pick_partition(struct logc_sink *ls, const char *key, int key_len)
{
    const struct table_ctx *t = ls->base.table;
    int n = ls->n_partitions;
    if (ls->partitioner == 1)
        return t->subtask % n;
    if (ls->partitioner == 0 && key_len >= 0)
        return log_partition_for_key(key, (size_t)key_len, n);
    return (int)(ls->rr++ % n);
}

static int append_part(struct logc_sink *ls, int p, struct weir_error *err)
{
    struct logc_part_out *po = &ls->parts[p];
    int rc;
    if (po->app == NULL &&
        (rc = app_acquire(tname(ls), ls->dir, ls->topic, p, ls->transactional, &po->app,
                          err)) != WEIR_OK)
        return rc;
    if (po->n_spans > ls->cap_recs) {
        ls->cap_recs = po->n_spans;
        ls->recs = mem_realloc(ls->recs, (size_t)ls->cap_recs * sizeof(*ls->recs));
    }
    for (int i = 0; i < po->n_spans; i++) {
        const struct rec_span *sp = &po->spans[i];
        ls->recs[i] = (struct log_record){
            .timestamp = sp->ts_ms,
            .key = sp->key_len >= 0 ? po->bytes.buf + sp->key_off : NULL,
            .key_len = sp->key_len,
            .value = po->bytes.buf + sp->val_off,
            .value_len = sp->val_len,
        };
    }
    struct shared_app *s = po->app;
    pthread_mutex_lock(&s->lock);
    rc = log_append(s->a, ls->recs, po->n_spans, NULL, err);
    if (rc == WEIR_OK && !po->pending) {
        po->pending = true;
        s->pending++;
    }
    pthread_mutex_unlock(&s->lock);
    if (rc == WEIR_OK)
        atomic_fetch_add_explicit(&ls->base.metrics.bytes, (int64_t)po->bytes.len,
                                  memory_order_relaxed);
    sb_clear(&po->bytes);
    po->n_spans = 0;
    return rc;
}

static int logc_write(struct sink *snk, struct batch *b, struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    struct batch view = *b;
    for (int i = 0; i < ls->n_data; i++)
        ls->view[i] = b->cols[ls->data_cols[i]];
    view.cols = ls->view;
    view.n_cols = ls->n_data;
    int n = batch_live(b), rc;
    for (int k = 0; k < n; k++) {
        int row = batch_row(b, k);
        int key_len = -1;
        if (ls->n_key > 0) {
            sb_clear(&ls->key);
            for (int j = 0; j < ls->n_key; j++) {
                const struct vec *v = &b->cols[ls->key_cols[j]];
                if (j)
                    sb_addc(&ls->key, ',');
                if (!vec_is_null(v, row))
                    vfmt_cast_string(&ls->key, v, row);
            }
            key_len = (int)ls->key.len;
        }
        int p = pick_partition(ls, ls->key.buf ? ls->key.buf : "", key_len);
        struct logc_part_out *po = &ls->parts[p];
        if (po->n_spans == po->cap_spans) {
            po->cap_spans = po->cap_spans ? po->cap_spans * 2 : 64;
            po->spans = mem_realloc(po->spans, (size_t)po->cap_spans * sizeof(*po->spans));
        }
        struct rec_span *sp = &po->spans[po->n_spans];
        sp->key_len = key_len;
        sp->key_off = po->bytes.len;
        if (key_len > 0)
            sb_add(&po->bytes, ls->key.buf, (size_t)key_len);
        sp->val_off = po->bytes.len;
        if ((rc = ls->enc->ops->encode(ls->enc, &view, row, &po->bytes, err)) != WEIR_OK) {
            /* nothing of the call is appended: drop what was encoded */
            for (int q = 0; q < ls->n_partitions; q++) {
                sb_clear(&ls->parts[q].bytes);
                ls->parts[q].n_spans = 0;
            }
            return rc;
        }
        sp->val_len = (int32_t)(po->bytes.len - sp->val_off);
        sp->ts_ms = 0;
        if (ls->md_timestamp >= 0) {
            const struct vec *v = &b->cols[ls->md_timestamp];
            if (!vec_is_null(v, row))
                sp->ts_ms = v->i64[row] / 1000;
        }
        po->n_spans++;
    }
    for (int p = 0; p < ls->n_partitions; p++)
        if (ls->parts[p].n_spans > 0 && (rc = append_part(ls, p, err)) != WEIR_OK)
            return rc;
    atomic_fetch_add_explicit(&snk->metrics.rows, n, memory_order_relaxed);
    return WEIR_OK;
}

/* Commits partition p up to upto (or its end if upto < 0) once no other sink
 * has uncommitted rows in it; this sink's rows are no longer pending. */
static int commit_part(struct logc_sink *ls, struct logc_part_out *po, int64_t upto,
                       struct weir_error *err)
{
    struct shared_app *s = po->app;
    int rc = WEIR_OK;
    pthread_mutex_lock(&s->lock);
    if (po->pending) {
        po->pending = false;
        s->pending--;
    }
    if (s->pending == 0) {
        int64_t to = upto >= 0 ? upto : log_appender_end_offset(s->a);
        if (to > log_appender_committed_offset(s->a))
            rc = log_commit(s->a, to, err);
    }
    pthread_mutex_unlock(&s->lock);
    (void)ls;
    return rc;
}

static int logc_flush(struct sink *snk, struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    for (int p = 0; p < ls->n_partitions; p++) {
        struct logc_part_out *po = &ls->parts[p];
        if (po->app == NULL)
            continue;
        int rc;
        if (ls->transactional) {
            rc = commit_part(ls, po, -1, err);
        } else {
            pthread_mutex_lock(&po->app->lock);
            rc = log_append_flush(po->app->a, err);
            pthread_mutex_unlock(&po->app->lock);
        }
        if (rc != WEIR_OK)
            return rc;
    }
    return WEIR_OK;
}

static int logc_prepare(struct sink *snk, int64_t checkpoint_id, struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    (void)checkpoint_id;
    (void)err;
    for (int p = 0; p < ls->n_partitions; p++) {
        struct logc_part_out *po = &ls->parts[p];
        if (po->app == NULL)
            continue;
        pthread_mutex_lock(&po->app->lock);
        po->prepared = log_appender_end_offset(po->app->a);
        pthread_mutex_unlock(&po->app->lock);
    }
    return WEIR_OK;
}

static int logc_commit(struct sink *snk, int64_t checkpoint_id, struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    (void)checkpoint_id;
    for (int p = 0; p < ls->n_partitions; p++) {
        struct logc_part_out *po = &ls->parts[p];
        if (po->app == NULL || po->prepared < 0)
            continue;
        int rc = commit_part(ls, po, po->prepared, err);
        po->prepared = -1;
        if (rc != WEIR_OK)
            return rc;
    }
    return WEIR_OK;
}

static int logc_abort(struct sink *snk, int64_t checkpoint_id, struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    (void)checkpoint_id;
    for (int p = 0; p < ls->n_partitions; p++) {
        struct logc_part_out *po = &ls->parts[p];
        if (po->app == NULL)
            continue;
        struct shared_app *s = po->app;
        pthread_mutex_lock(&s->lock);
        int rc = log_abort(s->a, err);
        if (po->pending) {
            po->pending = false;
            s->pending--;
        }
        pthread_mutex_unlock(&s->lock);
        po->prepared = -1;
        if (rc != WEIR_OK)
            return rc;
    }
    return WEIR_OK;
}

static int logc_sink_open(struct sink *snk, struct weir_error *err)
{
    (void)snk;
    (void)err;
    return WEIR_OK;     /* appenders open lazily, per partition written */
}

static void logc_sink_close(struct sink *snk)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    if (ls == NULL)
        return;
    for (int p = 0; ls->parts && p < ls->n_partitions; p++) {
        struct logc_part_out *po = &ls->parts[p];
        if (po->app) {
            /* unflushed transactional rows stay uncommitted (invisible) */
            pthread_mutex_lock(&po->app->lock);
            if (po->pending)
                po->app->pending--;
            pthread_mutex_unlock(&po->app->lock);
            app_release(po->app);
        }
        sb_free(&po->bytes);
        mem_free(po->spans);
    }
    mem_free(ls->parts);
    if (ls->enc)
        ls->enc->ops->free(ls->enc);
    mem_free(ls->data_cols);
    mem_free(ls->view);
    mem_free((void *)ls->data_ctx.col_names);
    mem_free((void *)ls->data_ctx.col_types);
    mem_free((void *)ls->data_ctx.projection);
    mem_free(ls->key_cols);
    mem_free(ls->recs);
    sb_free(&ls->key);
    mem_free(ls->dir);
    mem_free(ls->topic);
    mem_free(ls);
}

static const struct sink_ops logc_sink_ops = {
    .open = logc_sink_open,
    .write = logc_write,
    .flush = logc_flush,
    .prepare = logc_prepare,
    .commit = logc_commit,
    .abort = logc_abort,
    .close = logc_sink_close,
};

static const struct sink_ops logc_sink_ops_plain = {
    .open = logc_sink_open,
    .write = logc_write,
    .flush = logc_flush,
    .close = logc_sink_close,
};

/* Resolves 'key.fields' (a;b) to sink column indexes. */
static int parse_key_fields(struct logc_sink *ls, const char *spec, struct weir_error *err)
{
    const struct table_ctx *t = ls->base.table;
    char *copy = mem_strdup(spec), *save = NULL;
    int rc = WEIR_OK;
    ls->key_cols = mem_calloc((size_t)t->n_cols + 1, sizeof(int));
    for (char *f = strtok_r(copy, ";", &save); f; f = strtok_r(NULL, ";", &save)) {
        while (*f == ' ')
            f++;
        size_t len = strlen(f);
        while (len > 0 && f[len - 1] == ' ')
            f[--len] = '\0';
        int col = -1;
        for (int i = 0; i < t->n_cols; i++)
            if (strcmp(t->col_names[i], f) == 0 &&
                (t->col_metadata == NULL || t->col_metadata[i] == NULL))
                col = i;
        if (col < 0 || ls->n_key >= t->n_cols) {
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': 'key.fields' names '%s', "
                         "which is not a physical column", t->table_name, f);
            break;
        }
        ls->key_cols[ls->n_key++] = col;
    }
    mem_free(copy);
    return rc;
}

int logc_sink_create(const struct table_ctx *t, struct sink **out,
                     struct weir_error *err)
{
    if (t->format == NULL)
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': the log sink needs a "
                       "'format'", t->table_name);
    struct logc_sink *ls = mem_calloc(1, sizeof(*ls));
    int rc = WEIR_OK;
    ls->base.table = t;
    ls->md_timestamp = -1;
    ls->dir = mem_strdup(logc_data_dir(t));
    ls->topic = mem_strdup(opt_str(t->opts, "topic", ""));
    ls->transactional = strcmp(opt_str(t->opts, "sink.delivery-guarantee",
                                       "at-least-once"), "exactly-once") == 0;
    ls->base.ops = ls->transactional ? &logc_sink_ops : &logc_sink_ops_plain;
    const char *pt = opt_str(t->opts, "sink.partitioner", "default");
    ls->partitioner = strcmp(pt, "fixed") == 0 ? 1 : strcmp(pt, "round-robin") == 0 ? 2 : 0;
    ls->rr = t->subtask;
    if ((rc = log_name_check("topic", ls->topic, err)) != WEIR_OK ||
        (rc = logc_topic_partitions(t, ls->dir, ls->topic, &ls->n_partitions, err)) !=
            WEIR_OK)
        goto fail;
    ls->parts = mem_calloc((size_t)ls->n_partitions, sizeof(*ls->parts));
    for (int p = 0; p < ls->n_partitions; p++)
        ls->parts[p].prepared = -1;
    /* the physical columns go to the encoder; metadata columns are ours */
    ls->data_cols = mem_calloc((size_t)t->n_cols + 1, sizeof(int));
    ls->view = mem_calloc((size_t)t->n_cols + 1, sizeof(struct vec));
    const char **names = mem_calloc((size_t)t->n_cols + 1, sizeof(char *));
    const struct sql_type **types = mem_calloc((size_t)t->n_cols + 1, sizeof(void *));
    int *proj = mem_calloc((size_t)t->n_cols + 1, sizeof(int));
    ls->data_ctx = *t;
    ls->data_ctx.col_names = names;
    ls->data_ctx.col_types = types;
    ls->data_ctx.projection = proj;
    ls->data_ctx.col_metadata = NULL;
    ls->data_ctx.n_partition_keys = 0;
    ls->data_ctx.n_pk = 0;
    for (int i = 0; i < t->n_cols; i++) {
        const char *m = t->col_metadata ? t->col_metadata[i] : NULL;
        if (m == NULL) {
            names[ls->n_data] = t->col_names[i];
            types[ls->n_data] = t->col_types[i];
            proj[ls->n_data] = t->projection ? t->projection[i] : ls->n_data;
            ls->data_cols[ls->n_data++] = i;
        } else if (strcmp(m, "timestamp") == 0 && t->col_types[i]->id == T_TIMESTAMP_LTZ) {
            ls->md_timestamp = i;
        } else if (strcmp(m, "timestamp") == 0) {
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': metadata column '%s' "
                         "('timestamp') must be TIMESTAMP_LTZ(3)", t->table_name,
                         t->col_names[i]);
            goto fail;
        } else {
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': metadata key '%s' is "
                         "read-only for the log sink (declare the column VIRTUAL); "
                         "writable: timestamp", t->table_name, m);
            goto fail;
        }
    }
    ls->data_ctx.n_cols = ls->n_data;
    if (opt_has(t->opts, "key.fields") &&
        (rc = parse_key_fields(ls, opt_str(t->opts, "key.fields", ""), err)) != WEIR_OK)
        goto fail;
    if ((rc = t->format->encoder_create(&ls->data_ctx, &ls->enc, err)) != WEIR_OK)
        goto fail;
    *out = &ls->base;
    return WEIR_OK;
fail:
    logc_sink_close(&ls->base);
    return rc;
}
