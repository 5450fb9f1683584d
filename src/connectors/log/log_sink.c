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
 * mutex per partition, opened by the first subtask that writes it (by every
 * exactly-once subtask at open) and closed by the last one that closes.  A
 * write call encodes every row first, then appends per partition under that
 * partition's mutex, so each call's rows of a partition are one atomic batch.
 *
 * Delivery ('sink.delivery-guarantee').  at-least-once: plain appends, visible
 * at once; flush() syncs them.  exactly-once: transactional appenders, whose
 * records become visible to read-committed readers only below the partition's
 * committed offset (src/log/README.md: a committed offset, not markers).
 *
 * Exactly-once with checkpoints (two-phase commit).  A committed offset is a
 * prefix: checkpoint N can be committed only if, in every partition, all rows
 * written before the N barrier (by every subtask sharing the partition)
 * precede all rows written after it.  Subtasks reach a barrier at different
 * moments, so each partition keeps a *gate*: the highest checkpoint every
 * subtask holding the partition has prepared.  A subtask that has prepared N
 * while another holder has not keeps its new rows in memory (encoded) until
 * the gate reaches N, then appends them; when the gate rises to N the
 * partition's end offset is noted as N's commit point (a *mark*).  Memory is
 * bounded by how far the fastest subtask runs ahead of the slowest one between
 * their barriers — the barrier skew — not by the checkpoint interval.
 *   - prepare(N): appends this subtask's remaining rows, syncs them (durable,
 *     invisible), raises the gate; `state` holds, per partition, the end
 *     offset right after — the largest of these over the old subtasks is N's
 *     commit point, since nothing later can come before the last holder's
 *     prepare;
 *   - commit(N): log_commit up to the newest mark at or below N (idempotent:
 *     a committed offset never moves back);
 *   - recover(N, state): collects the old subtasks' offsets per topic
 *     (process-wide: the subtasks of one restore may share partitions).
 *     Before the first append of the run (first write, prepare or flush) the
 *     topic is *settled* once: every partition is committed up to the largest
 *     restored offset and truncated there (log_abort) — what the failed run
 *     wrote after N is gone, whatever subtask wrote it.  A fresh run (no
 *     recover) settles by truncating to the committed offset: a crash before
 *     the first checkpoint leaves nothing.  Settling refuses to go on unless
 *     every old subtask's state was recovered (recover must come for all of
 *     them before any subtask writes — restore runs before the job).
 * A checkpoint whose prepare comes while this subtask's rows are still held
 * (another holder has not prepared the previous one — only when checkpoints
 * overlap or one was aborted before reaching every subtask) fails: the rows
 * cannot be made durable in order yet; the next checkpoint carries them.
 * Without checkpointing (prepare never called) flush() (end of bounded input)
 * commits: a shared partition is committed when the last subtask that wrote
 * to it since the previous commit has flushed, so no subtask's rows become
 * visible before that subtask finished.  Once a run has prepared, flush()
 * commits nothing (the final checkpoint's commit has): it syncs, and leaves
 * the gates so that the holders still running are not held back.
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
#include "state/snapshot.h"

#define LOGC_STATE_VERSION 1u
#define LOGC_MAX_MARKS 64                   /* commit points not yet committed */
#define LOGC_CHUNK_RECORDS 65536            /* records per log_append */
#define LOGC_CHUNK_BYTES (16 << 20)         /* bytes per log_append, well below
                                               LOG_MAX_BATCH_BYTES */

struct logc_part_out;

/* ---- process-wide appenders ----------------------------------------------------- */

struct commit_mark {
    int64_t id;                     /* every holder prepared checkpoint id ... */
    int64_t end;                    /* ... when the partition ended here */
};

struct shared_app {
    struct shared_app *next;
    char *dir, *topic;
    int partition;
    bool transactional;
    struct log_appender *a;
    pthread_mutex_t lock;           /* serialises appends, commits, aborts, the gate */
    int refs;                       /* sinks holding it */
    int pending;                    /* sinks that wrote since the last commit (@lock) */
    /* the gate (exactly-once), @lock */
    struct logc_part_out **holders; /* sinks taking part */
    int n_holders, cap_holders;
    int64_t gate;                   /* every holder has prepared this id or a later one */
    struct commit_mark marks[LOGC_MAX_MARKS];   /* ascending ids */
    int n_marks;
};

/* One per (dir, topic) written exactly-once: the restore.  @locks apps_lock */
struct restored_table {
    char *name;
    int parallelism;                /* of the run that wrote the checkpoint */
    bool *seen;                     /* per old subtask: its state was recovered */
};

struct shared_topic {
    struct shared_topic *next;
    char *dir, *topic;
    int refs;
    bool settled;                   /* the first append of this run may happen */
    int n_partitions;
    int64_t *target;                /* per partition: restored commit point, -1 */
    struct restored_table *tables;
    int n_tables, cap_tables;
};

static pthread_mutex_t apps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shared_app *apps;     /* @locks apps_lock */
static struct shared_topic *topics; /* @locks apps_lock */

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
        mem_free(s->holders);
        mem_free(s->dir);
        mem_free(s->topic);
        mem_free(s);
    }
    pthread_mutex_unlock(&apps_lock);
}

static struct shared_topic *topic_acquire(const char *dir, const char *topic,
                                          int n_partitions)
{
    pthread_mutex_lock(&apps_lock);
    struct shared_topic *t;
    for (t = topics; t; t = t->next)
        if (strcmp(t->topic, topic) == 0 && strcmp(t->dir, dir) == 0)
            break;
    if (t == NULL) {
        t = mem_calloc(1, sizeof(*t));
        t->dir = mem_strdup(dir);
        t->topic = mem_strdup(topic);
        t->n_partitions = n_partitions;
        t->target = mem_calloc((size_t)n_partitions, sizeof(int64_t));
        for (int p = 0; p < n_partitions; p++)
            t->target[p] = -1;
        t->next = topics;
        topics = t;
    }
    t->refs++;
    pthread_mutex_unlock(&apps_lock);
    return t;
}

static void topic_release(struct shared_topic *t)
{
    pthread_mutex_lock(&apps_lock);
    if (--t->refs == 0) {
        for (struct shared_topic **pp = &topics; *pp; pp = &(*pp)->next)
            if (*pp == t) {
                *pp = t->next;
                break;
            }
        for (int i = 0; i < t->n_tables; i++) {
            mem_free(t->tables[i].name);
            mem_free(t->tables[i].seen);
        }
        mem_free(t->tables);
        mem_free(t->target);
        mem_free(t->dir);
        mem_free(t->topic);
        mem_free(t);
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
    bool dirty;                     /* appended since the last prepare (not synced) */
    bool holding;                   /* one of app->holders */
    int64_t epoch;                  /* last checkpoint prepared (@app->lock) */
    struct strbuf bytes;            /* encoded keys and values not yet appended */
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
    bool prepared;                  /* prepare was called: checkpointing is on */
    bool settled;                   /* this sink saw its topic settled */
    struct shared_topic *topic_ent; /* exactly-once only */
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

/* ---- the gate (@app->lock held) --------------------------------------------------- */

static void gate_join(struct logc_part_out *po)
{
    struct shared_app *s = po->app;
    if (po->holding)
        return;
    MEM_GROW(s->holders, s->cap_holders, s->n_holders + 1);
    s->holders[s->n_holders++] = po;
    po->holding = true;
    po->epoch = s->gate;    /* a newcomer's rows belong after every checkpoint so far */
}

/* The gate rises to the lowest checkpoint the holders have prepared; the
 * partition's end is then that checkpoint's commit point. */
static void gate_update(struct shared_app *s)
{
    if (s->n_holders == 0)
        return;
    int64_t low = s->holders[0]->epoch;
    for (int i = 1; i < s->n_holders; i++)
        if (s->holders[i]->epoch < low)
            low = s->holders[i]->epoch;
    if (low <= s->gate)
        return;
    s->gate = low;
    /* full: replace the newest mark; a commit then waits for a later one */
    if (s->n_marks == LOGC_MAX_MARKS)
        s->n_marks--;
    s->marks[s->n_marks++] = (struct commit_mark){low, log_appender_end_offset(s->a)};
}

static void gate_leave(struct logc_part_out *po)
{
    struct shared_app *s = po->app;
    if (!po->holding)
        return;
    for (int i = 0; i < s->n_holders; i++)
        if (s->holders[i] == po) {
            s->holders[i] = s->holders[--s->n_holders];
            break;
        }
    po->holding = false;
    gate_update(s);
}

/* May this holder's rows go into the log now?  Only once every holder has
 * prepared the checkpoint this one prepared last. */
static bool gate_open(const struct logc_part_out *po)
{
    return !po->app->transactional || po->app->gate >= po->epoch;
}

/* ---- appending ---------------------------------------------------------------------- */

static void drop_rows(struct logc_part_out *po)
{
    sb_clear(&po->bytes);
    po->n_spans = 0;
}

/* Appends the rows partition po holds, in batches of at most
 * LOGC_CHUNK_RECORDS records / about LOGC_CHUNK_BYTES.  @locks app->lock held */
static int append_locked(struct logc_sink *ls, struct logc_part_out *po,
                         struct weir_error *err)
{
    struct shared_app *s = po->app;
    int rc = WEIR_OK, i = 0;
    while (i < po->n_spans && rc == WEIR_OK) {
        int n = 0;
        size_t bytes = 0;
        while (i + n < po->n_spans && n < LOGC_CHUNK_RECORDS && bytes < LOGC_CHUNK_BYTES) {
            const struct rec_span *sp = &po->spans[i + n];
            if (n == ls->cap_recs) {
                ls->cap_recs = ls->cap_recs ? ls->cap_recs * 2 : 256;
                ls->recs = mem_realloc(ls->recs, (size_t)ls->cap_recs * sizeof(*ls->recs));
            }
            ls->recs[n++] = (struct log_record){
                .timestamp = sp->ts_ms,
                .key = sp->key_len >= 0 ? po->bytes.buf + sp->key_off : NULL,
                .key_len = sp->key_len,
                .value = po->bytes.buf + sp->val_off,
                .value_len = sp->val_len,
            };
            bytes += (size_t)(sp->key_len > 0 ? sp->key_len : 0) + (size_t)sp->val_len;
        }
        rc = log_append(s->a, ls->recs, n, NULL, err);
        i += n;
    }
    if (rc == WEIR_OK && po->n_spans > 0) {
        po->dirty = true;
        if (!po->pending) {
            po->pending = true;
            s->pending++;
        }
        atomic_fetch_add_explicit(&ls->base.metrics.bytes, (int64_t)po->bytes.len,
                                  memory_order_relaxed);
    }
    drop_rows(po);
    return rc;
}

/* Appends partition p's rows unless the gate holds them back. */
static int append_part(struct logc_sink *ls, int p, struct weir_error *err)
{
    struct logc_part_out *po = &ls->parts[p];
    int rc;
    if (po->app == NULL &&
        (rc = app_acquire(tname(ls), ls->dir, ls->topic, p, ls->transactional, &po->app,
                          err)) != WEIR_OK)
        return rc;
    struct shared_app *s = po->app;
    pthread_mutex_lock(&s->lock);
    if (ls->transactional)
        gate_join(po);      /* again, after a flush left */
    rc = gate_open(po) ? append_locked(ls, po, err) : WEIR_OK;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- settling a topic before the run's first append ------------------------------ */

/* Commits partition p up to the restored commit point (if any) and truncates
 * what lies beyond: the failed run's rows after the checkpoint, or the rows
 * of a run that never reached a checkpoint.  @locks apps_lock held */
static int settle_part(struct logc_sink *ls, int p, int64_t target, bool truncate,
                       struct weir_error *err)
{
    struct shared_app *s = ls->parts[p].app;
    int rc = WEIR_OK;
    if (s == NULL)
        return err_set(err, WEIR_ERR_INTERNAL, "table '%s': the sink was not opened",
                       tname(ls));
    pthread_mutex_lock(&s->lock);
    int64_t end = log_appender_end_offset(s->a);
    if (target > end)
        rc = err_set(err, WEIR_ERR_CORRUPT, "table '%s': topic '%s' partition %d ends at "
                     "offset %lld, but the restored checkpoint wrote up to %lld: records "
                     "of the checkpoint are lost", tname(ls), ls->topic, p, (long long)end,
                     (long long)target);
    else if (target > log_appender_committed_offset(s->a))
        rc = log_commit(s->a, target, err);
    if (rc == WEIR_OK && truncate)
        rc = log_abort(s->a, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int ensure_settled(struct logc_sink *ls, struct weir_error *err)
{
    if (!ls->transactional || ls->settled)
        return WEIR_OK;
    struct shared_topic *t = ls->topic_ent;
    if (t == NULL)
        return err_set(err, WEIR_ERR_INTERNAL, "table '%s': the sink was not opened",
                       tname(ls));
    int rc = WEIR_OK;
    pthread_mutex_lock(&apps_lock);
    for (int i = 0; i < t->n_tables && !t->settled && rc == WEIR_OK; i++) {
        int got = 0;
        for (int s = 0; s < t->tables[i].parallelism; s++)
            got += t->tables[i].seen[s];
        if (got < t->tables[i].parallelism)
            rc = err_set(err, WEIR_ERR_INTERNAL, "table '%s': topic '%s': the restore "
                         "gave the exactly-once sink the state of %d of the %d subtasks "
                         "of table '%s' before it started writing", tname(ls), ls->topic,
                         got, t->tables[i].parallelism, t->tables[i].name);
    }
    for (int p = 0; p < ls->n_partitions && !t->settled && rc == WEIR_OK; p++)
        rc = settle_part(ls, p, p < t->n_partitions ? t->target[p] : -1, true, err);
    if (rc == WEIR_OK)
        t->settled = true;
    pthread_mutex_unlock(&apps_lock);
    ls->settled = rc == WEIR_OK;
    return rc;
}

/* ---- sink ops ------------------------------------------------------------------------ */

static int logc_write(struct sink *snk, struct batch *b, struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    int rc = ensure_settled(ls, err);
    if (rc != WEIR_OK)
        return rc;
    struct batch view = *b;
    for (int i = 0; i < ls->n_data; i++)
        ls->view[i] = b->cols[ls->data_cols[i]];
    view.cols = ls->view;
    view.n_cols = ls->n_data;
    int n = batch_live(b);
    size_t *mark = mem_alloc((size_t)ls->n_partitions * 2 * sizeof(size_t));
    for (int p = 0; p < ls->n_partitions; p++) {
        mark[2 * p] = ls->parts[p].bytes.len;
        mark[2 * p + 1] = (size_t)ls->parts[p].n_spans;
    }
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
            /* nothing of the call is kept: cut what it encoded (rows held
             * back from earlier calls stay) */
            for (int q = 0; q < ls->n_partitions; q++) {
                struct logc_part_out *pq = &ls->parts[q];
                pq->bytes.len = mark[2 * q];
                if (pq->bytes.buf)
                    pq->bytes.buf[pq->bytes.len] = '\0';
                pq->n_spans = (int)mark[2 * q + 1];
            }
            mem_free(mark);
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
    mem_free(mark);
    for (int p = 0; p < ls->n_partitions; p++)
        if (ls->parts[p].n_spans > 0 && (rc = append_part(ls, p, err)) != WEIR_OK)
            return rc;
    atomic_fetch_add_explicit(&snk->metrics.rows, n, memory_order_relaxed);
    return WEIR_OK;
}

/* Without checkpointing: commits partition p to its end once no other sink
 * has uncommitted rows in it; this sink's rows are no longer pending. */
static int commit_part(struct logc_part_out *po, struct weir_error *err)
{
    struct shared_app *s = po->app;
    int rc = WEIR_OK;
    pthread_mutex_lock(&s->lock);
    if (po->pending) {
        po->pending = false;
        s->pending--;
    }
    if (s->pending == 0) {
        int64_t to = log_appender_end_offset(s->a);
        if (to > log_appender_committed_offset(s->a))
            rc = log_commit(s->a, to, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int logc_flush(struct sink *snk, struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    int rc = ensure_settled(ls, err);
    for (int p = 0; p < ls->n_partitions && rc == WEIR_OK; p++) {
        struct logc_part_out *po = &ls->parts[p];
        if (po->app == NULL)
            continue;
        struct shared_app *s = po->app;
        if (!ls->transactional) {
            pthread_mutex_lock(&s->lock);
            rc = log_append_flush(s->a, err);
            pthread_mutex_unlock(&s->lock);
        } else if (!ls->prepared) {
            if (po->n_spans > 0)
                rc = append_part(ls, p, err);
            if (rc == WEIR_OK)
                rc = commit_part(po, err);
        } else {
            /* rows no checkpoint covered stay out of the log */
            pthread_mutex_lock(&s->lock);
            drop_rows(po);
            if (po->dirty)
                rc = log_append_flush(s->a, err);
            po->dirty = false;
            gate_leave(po);
            pthread_mutex_unlock(&s->lock);
        }
    }
    return rc;
}

/*
 * State (snapshot.h codec): u32 version, str table name, u32 parallelism,
 * u32 subtask, u32 n partitions, n × i64 the partition's end offset right
 * after this subtask's prepare.
 */
static int logc_prepare(struct sink *snk, int64_t id, struct strbuf *state,
                        struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    const struct table_ctx *t = snk->table;
    int rc = ensure_settled(ls, err);
    if (rc != WEIR_OK)
        return rc;
    ls->prepared = true;
    int64_t *ends = mem_calloc((size_t)ls->n_partitions, sizeof(int64_t));
    for (int p = 0; p < ls->n_partitions && rc == WEIR_OK; p++) {
        struct logc_part_out *po = &ls->parts[p];
        struct shared_app *s = po->app;
        ends[p] = -1;
        if (s == NULL)
            continue;       /* open failed */
        pthread_mutex_lock(&s->lock);
        gate_join(po);
        if (po->n_spans > 0 && !gate_open(po))
            rc = err_set(err, WEIR_ERR_RUNTIME, "table '%s': checkpoint %lld: another "
                         "subtask writing topic '%s' partition %d has not prepared "
                         "checkpoint %lld yet, so this subtask's rows cannot be put in "
                         "order; the next checkpoint takes them", tname(ls), (long long)id,
                         ls->topic, p, (long long)po->epoch);
        if (rc == WEIR_OK && po->n_spans > 0)
            rc = append_locked(ls, po, err);
        if (rc == WEIR_OK && po->dirty)
            rc = log_append_flush(s->a, err);
        if (rc == WEIR_OK) {
            po->dirty = false;
            if (id > po->epoch)
                po->epoch = id;
            gate_update(s);
            ends[p] = log_appender_end_offset(s->a);
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (rc == WEIR_OK) {
        snap_put_u32(state, LOGC_STATE_VERSION);
        snap_put_str(state, t->table_name);
        snap_put_u32(state, (uint32_t)(t->parallelism > 0 ? t->parallelism : 1));
        snap_put_u32(state, (uint32_t)t->subtask);
        snap_put_u32(state, (uint32_t)ls->n_partitions);
        for (int p = 0; p < ls->n_partitions; p++)
            snap_put_i64(state, ends[p]);
    }
    mem_free(ends);
    return rc;
}

static int logc_commit(struct sink *snk, int64_t id, struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    int rc = WEIR_OK;
    for (int p = 0; p < ls->n_partitions && rc == WEIR_OK; p++) {
        struct shared_app *s = ls->parts[p].app;
        if (s == NULL)
            continue;
        pthread_mutex_lock(&s->lock);
        int64_t to = -1;
        int k = 0;
        while (k < s->n_marks && s->marks[k].id <= id)
            to = s->marks[k++].end;
        memmove(s->marks, s->marks + k, (size_t)(s->n_marks - k) * sizeof(*s->marks));
        s->n_marks -= k;
        if (to > log_appender_committed_offset(s->a))
            rc = log_commit(s->a, to, err);
        pthread_mutex_unlock(&s->lock);
    }
    return rc;
}

static int logc_recover(struct sink *snk, int64_t id, const char *state, size_t len,
                        struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    if (len == 0)
        return WEIR_OK;     /* "checkpointing is on": transactional from the start anyway */
    struct snap_rd rd = {state, len, 0, false};
    uint32_t version = snap_get_u32(&rd);
    size_t name_len;
    const char *name = snap_get_bytes(&rd, &name_len);
    uint32_t par = snap_get_u32(&rd), sub = snap_get_u32(&rd), n = snap_get_u32(&rd);
    if (rd.bad || version != LOGC_STATE_VERSION || par == 0 || par > 1u << 20 ||
        sub >= par || n > LOG_MAX_PARTITIONS || rd.len - rd.pos != (size_t)n * 8)
        return err_set(err, WEIR_ERR_CORRUPT, "table '%s': unreadable log sink state in "
                       "checkpoint %lld", tname(ls), (long long)id);
    if ((int)n > ls->n_partitions)
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': checkpoint %lld wrote %u "
                       "partitions of topic '%s', which has %d now", tname(ls),
                       (long long)id, n, ls->topic, ls->n_partitions);
    struct shared_topic *t = ls->topic_ent;
    if (t == NULL)
        return err_set(err, WEIR_ERR_INTERNAL, "table '%s': recover before open",
                       tname(ls));
    int rc = WEIR_OK;
    pthread_mutex_lock(&apps_lock);
    if (t->settled) {
        /* the run has begun: only what is not committed yet can still be */
        for (uint32_t p = 0; p < n && rc == WEIR_OK; p++)
            rc = settle_part(ls, (int)p, snap_get_i64(&rd), false, err);
        pthread_mutex_unlock(&apps_lock);
        return rc;
    }
    struct restored_table *rt = NULL;
    for (int i = 0; i < t->n_tables; i++)
        if (strlen(t->tables[i].name) == name_len &&
            memcmp(t->tables[i].name, name, name_len) == 0)
            rt = &t->tables[i];
    if (rt == NULL) {
        MEM_GROW(t->tables, t->cap_tables, t->n_tables + 1);
        rt = &t->tables[t->n_tables++];
        rt->name = mem_strndup(name, name_len);
        rt->parallelism = (int)par;
        rt->seen = mem_calloc(par, sizeof(bool));
    }
    if (rt->parallelism != (int)par) {
        rc = err_set(err, WEIR_ERR_CORRUPT, "table '%s': the checkpoint's log sink states "
                     "disagree on the parallelism (%d, %u)", tname(ls), rt->parallelism,
                     par);
    } else {
        rt->seen[sub] = true;
        for (uint32_t p = 0; p < n; p++) {
            int64_t end = snap_get_i64(&rd);
            if (end > t->target[p])
                t->target[p] = end;
        }
    }
    pthread_mutex_unlock(&apps_lock);
    return rc;
}

/* Exactly-once sinks hold every partition from the start: the gate must know
 * all the subtasks that may write a partition before any of them prepares. */
static int logc_sink_open(struct sink *snk, struct weir_error *err)
{
    struct logc_sink *ls = (struct logc_sink *)snk;
    if (!ls->transactional)
        return WEIR_OK;     /* appenders open lazily, per partition written */
    ls->topic_ent = topic_acquire(ls->dir, ls->topic, ls->n_partitions);
    for (int p = 0; p < ls->n_partitions; p++) {
        struct logc_part_out *po = &ls->parts[p];
        int rc = app_acquire(tname(ls), ls->dir, ls->topic, p, true, &po->app, err);
        if (rc != WEIR_OK)
            return rc;
        pthread_mutex_lock(&po->app->lock);
        gate_join(po);
        pthread_mutex_unlock(&po->app->lock);
    }
    return WEIR_OK;
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
            gate_leave(po);
            pthread_mutex_unlock(&po->app->lock);
            app_release(po->app);
        }
        sb_free(&po->bytes);
        mem_free(po->spans);
    }
    if (ls->topic_ent)
        topic_release(ls->topic_ent);
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
    .recover = logc_recover,
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
    /* a changelog format (debezium-json, canal-json) writes each row's kind */
    ls->base.accepts_updates = t->format->changelog;
    ls->md_timestamp = -1;
    ls->dir = mem_strdup(logc_data_dir(t));
    ls->topic = mem_strdup(opt_str(t->opts, "topic", ""));
    ls->transactional = strcmp(opt_str(t->opts, "sink.delivery-guarantee",
                                       "exactly-once"), "exactly-once") == 0;
    ls->base.ops = ls->transactional ? &logc_sink_ops : &logc_sink_ops_plain;
    const char *pt = opt_str(t->opts, "sink.partitioner", "default");
    ls->partitioner = strcmp(pt, "fixed") == 0 ? 1 : strcmp(pt, "round-robin") == 0 ? 2 : 0;
    ls->rr = t->subtask;
    if ((rc = log_name_check("topic", ls->topic, err)) != WEIR_OK ||
        (rc = logc_topic_partitions(t, ls->dir, ls->topic, &ls->n_partitions, err)) !=
            WEIR_OK)
        goto fail;
    ls->parts = mem_calloc((size_t)ls->n_partitions, sizeof(*ls->parts));
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
    ls->data_ctx.col_format_metadata = NULL;
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
