/*
 * append.c — the partition writer: batches onto the active segment, segment
 * rolling, the durability policies, transactions (commit/abort), retention.
 *
 * One appender per partition across all processes (an OFD write lock on
 * p<N>/lock, topic.c).  An append is: encode the batch (segment.c), one
 * pwrite at the end of the active segment, the index entries that are due
 * (index.c), then publish the new end offset in the state file — readers
 * only read below the published end, so they never see a half-written batch.
 *
 * Durability: "batch" fdatasyncs the segment before log_append returns;
 * "interval:MS" has a flusher thread that syncs every MS milliseconds when
 * something was appended (so an idle partition is synced too); "os" leaves it
 * to the kernel (a kill -9 loses nothing, a power loss may lose the unsynced
 * tail, which recovery cuts cleanly).  The durable offset is published with
 * the rest.  Rolling seals the segment (last time-index entry), syncs it
 * unless the policy is "os" and the writer is not transactional, then starts
 * <end>.log and applies retention.
 *
 * Threads: the appender's calls are made from one thread at a time; the
 * flusher thread shares a->st and the active segment fd under a->mu.
 */
#include "core/files.h"
#include "core/mem.h"
#include "log/log_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* @locks a->mu held (or no flusher running) */
int log_publish(struct log_appender *a, struct weir_error *err)
{
    return log_state_write(a->state_fd, &a->st, err);
}

/* ---- interval flusher ------------------------------------------------------------ */

/* @thread flusher: syncs the active segment every interval while there is
 * something new, then publishes the durable offset. */
static void *flusher_main(void *arg)
{
    struct log_appender *a = arg;
    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (a->cfg.interval_ms % 1000) * 1000000;
        ts.tv_sec += a->cfg.interval_ms / 1000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        while (!a->stop && pthread_cond_timedwait(&a->cv, &a->mu, &ts) != ETIMEDOUT)
            ;
        if (a->stop || a->st.durable_offset >= a->st.end_offset)
            continue;
        int64_t end = a->st.end_offset;
        int fd = dup(a->seg_fd);
        pthread_mutex_unlock(&a->mu);
        /* a roll meanwhile synced the old segment itself: end <= its end */
        int ok = fd >= 0 && log_os.fdatasync(fd) == 0;
        if (fd >= 0)
            close(fd);
        pthread_mutex_lock(&a->mu);
        if (ok && end > a->st.durable_offset) {
            a->st.durable_offset = end;
            log_publish(a, NULL);
        }
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* ---- open / close ---------------------------------------------------------------- */

int log_appender_open(const char *dir, const char *topic, int partition,
                      int flags, struct log_appender **out,
                      struct log_recovery *rec, struct weir_error *err)
{
    *out = NULL;
    struct log_recovery rec0;
    if (rec == NULL)
        rec = &rec0;
    *rec = (struct log_recovery){0, -1, 0, 0};
    struct log_topic_config cfg;
    int rc = log_topic_config_read(dir, topic, &cfg, err);
    if (rc)
        return rc;
    if (partition < 0 || partition >= cfg.n_partitions)
        return err_set(err, WEIR_ERR_CONFIG, "topic '%s' has %d partition%s (0..%d), not %d",
                       topic, cfg.n_partitions, cfg.n_partitions == 1 ? "" : "s",
                       cfg.n_partitions - 1, partition);
    struct log_appender *a = mem_calloc(1, sizeof *a);
    a->dir = mem_strdup(dir);
    a->topic = mem_strdup(topic);
    a->pdir = log_part_path(dir, topic, partition);
    a->partition = partition;
    a->flags = flags;
    a->cfg = cfg;
    a->lock_fd = a->state_fd = a->seg_fd = a->idx_fd = a->tidx_fd = -1;
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cv, &ca);
    pthread_condattr_destroy(&ca);

    rc = log_lock_partition(a->pdir, topic, partition, &a->lock_fd, err);
    if (rc)
        goto fail;
    char pid[32];
    int pn = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(a->lock_fd, 0) != 0 || pwrite(a->lock_fd, pid, (size_t)pn, 0) != pn) {
        rc = err_set(err, WEIR_ERR_IO, "cannot write lock file: %s", strerror(errno));
        goto fail;
    }
    char *sp = mem_sprintf("%s/state", a->pdir);
    a->state_fd = open(sp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    mem_free(sp);
    if (a->state_fd < 0) {
        rc = err_set(err, WEIR_ERR_IO, "cannot open partition state: %s", strerror(errno));
        goto fail;
    }
    rc = log_recover(a, rec, err);
    if (rc == WEIR_OK)
        rc = log_retention_apply(a, log_now_ms(), NULL, err);
    if (rc == WEIR_OK)
        rc = log_publish(a, err);
    if (rc == WEIR_OK && fdatasync(a->state_fd) != 0)
        rc = err_set(err, WEIR_ERR_IO, "cannot sync partition state: %s", strerror(errno));
    if (rc)
        goto fail;
    if (cfg.durability == LOG_DURABILITY_INTERVAL) {
        if (pthread_create(&a->flusher, NULL, flusher_main, a) != 0) {
            rc = err_set(err, WEIR_ERR_INTERNAL, "cannot start the flusher thread");
            goto fail;
        }
        a->flusher_on = true;
    }
    *out = a;
    return WEIR_OK;
fail:
    if (err && err->message && rc != WEIR_ERR_CONFIG && strstr(err->message, topic) == NULL) {
        char *m = mem_strdup(err->message);   /* err_reset frees the old one */
        err_reset(err, rc, "topic '%s' partition %d: %s", topic, partition, m);
        mem_free(m);
    }
    log_appender_close(a);
    return rc;
}

void log_appender_close(struct log_appender *a)
{
    if (a == NULL)
        return;
    if (a->flusher_on) {
        pthread_mutex_lock(&a->mu);
        a->stop = true;
        pthread_cond_signal(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->flusher, NULL);
    }
    if (a->seg_fd >= 0 && a->state_fd >= 0) {
        if (a->cfg.durability != LOG_DURABILITY_OS &&
            a->st.durable_offset < a->st.end_offset && log_os.fdatasync(a->seg_fd) == 0)
            a->st.durable_offset = a->st.end_offset;
        a->st.writer_pid = 0;
        log_publish(a, NULL);
    }
    log_segment_close_active(a);
    if (a->state_fd >= 0)
        close(a->state_fd);
    if (a->lock_fd >= 0)
        close(a->lock_fd);          /* releases the write lock */
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    sb_free(&a->buf);
    sb_free(&a->oi);
    sb_free(&a->ti);
    mem_free(a->dir);
    mem_free(a->topic);
    mem_free(a->pdir);
    mem_free(a);
}

/* ---- append ---------------------------------------------------------------------- */

static int roll(struct log_appender *a, struct weir_error *err)
{
    int rc = log_seal_active(a, err);
    if (rc)
        return rc;
    bool sync = a->cfg.durability != LOG_DURABILITY_OS ||
                (a->flags & LOG_APPEND_TRANSACTIONAL);
    if (sync && log_os.fdatasync(a->seg_fd) != 0)
        return err_set(err, WEIR_ERR_IO, "cannot sync segment: %s", strerror(errno));
    pthread_mutex_lock(&a->mu);
    if (sync)
        a->st.durable_offset = a->st.end_offset;
    rc = log_segment_open_active(a, a->st.end_offset, true, err);
    pthread_mutex_unlock(&a->mu);
    if (rc)
        return rc;
    if (sync)
        files_fsync_dir(a->pdir);
    return log_retention_apply(a, log_now_ms(), NULL, err);
}

/* Encode, roll if the batch does not fit, one pwrite, index entries, sync
 * for "batch", then publish (end offset; committed offset too unless
 * transactional).  A failed write is cut back so the log stays clean. */
int log_append(struct log_appender *a, const struct log_record *recs, int n,
               int64_t *base_offset, struct weir_error *err)
{
    if (n < 1 || n > (1 << 20))
        return err_set(err, WEIR_ERR_CONFIG, "a batch holds 1 to 1048576 records, not %d", n);
    a->buf.len = 0;
    size_t len = log_batch_encode(&a->buf, recs, n, a->st.end_offset, log_now_ms());
    if (len > LOG_MAX_BATCH_BYTES)
        return err_set(err, WEIR_ERR_CONFIG, "batch of %zu bytes exceeds the limit of %d",
                       len, LOG_MAX_BATCH_BYTES);
    int rc;
    if (a->seg_size > 0 && a->seg_size + (int64_t)len > a->cfg.segment_bytes &&
        (rc = roll(a, err)) != WEIR_OK)
        return rc;
    int64_t pos = a->seg_size;
    rc = log_pwrite_all(a->seg_fd, a->buf.buf, len, pos, "segment", err);
    if (rc) {
        /* keep the log clean: nothing of a failed batch stays */
        if (ftruncate(a->seg_fd, pos) != 0) {
            char *m = mem_strdup(err && err->message ? err->message : "write failed");
            err_reset(err, rc, "%s; and cannot truncate it back: %s", m, strerror(errno));
            mem_free(m);
        }
        /* a reader may have buffered the partial bytes: make it look again */
        pthread_mutex_lock(&a->mu);
        a->st.generation++;
        log_publish(a, NULL);
        pthread_mutex_unlock(&a->mu);
        return rc;
    }
    a->seg_size += (int64_t)len;
    struct log_batch_hdr h = {.base_offset = a->st.end_offset, .n_records = (uint32_t)n,
                              .max_timestamp = (int64_t)log_get64((uint8_t *)a->buf.buf + 32)};
    a->oi.len = a->ti.len = 0;
    log_index_note(a, pos, &h, &a->oi, &a->ti);
    if ((a->oi.len && write(a->idx_fd, a->oi.buf, a->oi.len) != (ssize_t)a->oi.len) ||
        (a->ti.len && write(a->tidx_fd, a->ti.buf, a->ti.len) != (ssize_t)a->ti.len))
        return err_set(err, WEIR_ERR_IO, "cannot write segment index: %s", strerror(errno));
    bool sync = a->cfg.durability == LOG_DURABILITY_BATCH;
    if (sync && log_os.fdatasync(a->seg_fd) != 0)
        return err_set(err, WEIR_ERR_IO, "cannot sync segment: %s", strerror(errno));
    pthread_mutex_lock(&a->mu);
    if (base_offset)
        *base_offset = a->st.end_offset;
    a->st.end_offset += n;
    if (sync)
        a->st.durable_offset = a->st.end_offset;
    if (!(a->flags & LOG_APPEND_TRANSACTIONAL))
        a->st.committed_offset = a->st.end_offset;
    rc = log_publish(a, err);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

int log_append_flush(struct log_appender *a, struct weir_error *err)
{
    if (log_os.fdatasync(a->seg_fd) != 0)
        return err_set(err, WEIR_ERR_IO, "cannot sync segment: %s", strerror(errno));
    pthread_mutex_lock(&a->mu);
    a->st.durable_offset = a->st.end_offset;
    int rc = log_publish(a, err);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

int64_t log_appender_end_offset(const struct log_appender *a)
{
    return a->st.end_offset;    /* only the appender's thread changes it */
}

int64_t log_appender_durable_offset(struct log_appender *a)
{
    pthread_mutex_lock(&a->mu);
    int64_t d = a->st.durable_offset;
    pthread_mutex_unlock(&a->mu);
    return d;
}

int64_t log_appender_committed_offset(const struct log_appender *a)
{
    return a->st.committed_offset;
}

/* ---- transactions ---------------------------------------------------------------- */

int log_commit(struct log_appender *a, int64_t upto, struct weir_error *err)
{
    if (!(a->flags & LOG_APPEND_TRANSACTIONAL))
        return err_set(err, WEIR_ERR_CONFIG,
                       "log_commit needs an appender opened with LOG_APPEND_TRANSACTIONAL");
    if (upto < a->st.committed_offset || upto > a->st.end_offset)
        return err_set(err, WEIR_ERR_CONFIG, "commit offset %lld is outside [%lld, %lld]",
                       (long long)upto, (long long)a->st.committed_offset,
                       (long long)a->st.end_offset);
    if (upto == a->st.committed_offset)
        return WEIR_OK;
    int64_t base, pos;
    int rc = log_find_boundary(a->pdir, upto, &base, &pos, err);
    if (rc)
        return rc;
    /* data first, then the commit point: both durable before we return */
    if (log_os.fdatasync(a->seg_fd) != 0)
        return err_set(err, WEIR_ERR_IO, "cannot sync segment: %s", strerror(errno));
    pthread_mutex_lock(&a->mu);
    a->st.durable_offset = a->st.end_offset;
    a->st.committed_offset = upto;
    rc = log_publish(a, err);
    pthread_mutex_unlock(&a->mu);
    if (rc == WEIR_OK && log_os.fdatasync(a->state_fd) != 0)
        rc = err_set(err, WEIR_ERR_IO, "cannot sync partition state: %s", strerror(errno));
    return rc;
}

int log_abort(struct log_appender *a, struct weir_error *err)
{
    pthread_mutex_lock(&a->mu);
    int rc = log_truncate_to(a, a->st.committed_offset, err);
    if (rc == WEIR_OK)
        rc = log_publish(a, err);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

/* ---- retention ------------------------------------------------------------------- */

int log_retention_apply(struct log_appender *a, int64_t now_ms, int *n_deleted,
                        struct weir_error *err)
{
    if (n_deleted)
        *n_deleted = 0;
    if (a->cfg.retention_ms < 0 && a->cfg.retention_bytes < 0)
        return WEIR_OK;
    int64_t *bases;
    int n;
    int rc = log_segments_list(a->pdir, &bases, &n, err);
    if (rc)
        return rc;
    int64_t *sizes = mem_calloc((size_t)n + 1, sizeof(int64_t));
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        char *f = log_seg_path(a->pdir, bases[i], "log");
        struct stat sb;
        if (stat(f, &sb) == 0)
            sizes[i] = sb.st_size;
        total += sizes[i];
        mem_free(f);
    }
    int del = 0;
    for (int i = 0; i + 1 < n && bases[i] != a->seg_base; i++) {
        bool drop = false;
        if (a->cfg.retention_bytes > 0 && total - sizes[i] >= a->cfg.retention_bytes)
            drop = true;
        if (!drop && a->cfg.retention_ms > 0) {
            struct log_index_entry *e;
            int ne;
            log_index_load(a->pdir, bases[i], true, INT64_MAX, &e, &ne);
            int64_t max_ts;
            if (ne > 0) {
                max_ts = e[ne - 1].timestamp;
            } else {    /* no time index: the file's modification time */
                char *f = log_seg_path(a->pdir, bases[i], "log");
                struct stat sb;
                max_ts = stat(f, &sb) == 0 ? (int64_t)sb.st_mtim.tv_sec * 1000 : now_ms;
                mem_free(f);
            }
            mem_free(e);
            drop = max_ts < now_ms - a->cfg.retention_ms;
        }
        if (!drop)
            break;
        total -= sizes[i];
        del++;
    }
    if (del > 0) {
        /* publish the new start first: a reader that reads it never looks
         * for the deleted files; one already reading keeps its open fd */
        pthread_mutex_lock(&a->mu);
        a->st.start_offset = bases[del];
        rc = log_publish(a, err);
        pthread_mutex_unlock(&a->mu);
        for (int i = 0; i < del; i++) {
            static const char *const exts[] = {"log", "index", "timeindex"};
            for (int e = 0; e < 3; e++) {
                char *f = log_seg_path(a->pdir, bases[i], exts[e]);
                unlink(f);
                mem_free(f);
            }
        }
    }
    if (n_deleted)
        *n_deleted = del;
    mem_free(sizes);
    mem_free(bases);
    return rc;
}
