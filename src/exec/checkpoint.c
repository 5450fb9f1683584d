/*
 * checkpoint.c — the checkpoint coordinator and the checkpoint files (see
 * checkpoint.h for the protocol and the layout on disk).
 *
 * The coordinator is one thread per job.  Tasks only touch it through an
 * atomic (the wanted id), a mutex-protected acknowledgement and an atomic
 * completed id, so the data path never waits for the disk: sections are
 * copied into memory at the barrier and written here.
 *
 * Manifest (`_metadata`, text):
 *   weir-checkpoint v1
 *   id <n>
 *   kind checkpoint|savepoint|stop|final
 *   time <unix ms>
 *   parallelism <P>
 *   max-parallelism <key groups>
 *   job <name>
 *   section <uid hex> <instance> <offset> <length> <crc32c hex> <label>
 *   ...
 *   end <crc32c hex of every byte before this line>
 */
#include "exec/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "connectors/options.h"
#include "core/crc32c.h"
#include "core/files.h"
#include "core/mem.h"

#define FAILED_RING 16

struct ckpt_coord {
    char *state_dir, *job;
    struct ckpt_config cfg;
    int n_tasks, parallelism, max_parallelism;
    _Atomic int64_t wanted, completed;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stop;
    int64_t next_id;
    int64_t next_trigger_us;
    /* the checkpoint in flight */
    bool active;
    int64_t id;
    int kind;
    char *path;
    char *dir;                  /* where it goes (created when it starts) */
    int64_t t0_us, trigger_ms;
    int acks;
    struct ckpt_section *secs;
    int n_secs, cap_secs;
    int64_t align_max, sync_max, copy_max;
    bool declined;
    char reason[160];
    /* one queued request (a savepoint, the final checkpoint) */
    bool req;
    int req_kind;
    int64_t req_id;
    char *req_path;
    /* recent ids: kinds, outcomes, directories */
    int64_t ring_id[FAILED_RING];
    int ring_kind[FAILED_RING];
    bool ring_failed[FAILED_RING];
    bool ring_pending[FAILED_RING];     /* requested, not started yet */
    char *ring_path[FAILED_RING];
    struct ckpt_stats last;
    struct ckpt_stats hist[CKPT_HISTORY];   /* the newest finished ones, a ring */
    int64_t n_hist;
    int64_t n_completed, n_failed;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *ckpt_kind_name(int kind)
{
    switch (kind) {
    case CKPT_SAVEPOINT: return "savepoint";
    case CKPT_STOP: return "stop";
    case CKPT_FINAL: return "final";
    default: return "checkpoint";
    }
}

static int kind_from_name(const char *s)
{
    if (strcmp(s, "savepoint") == 0)
        return CKPT_SAVEPOINT;
    if (strcmp(s, "stop") == 0)
        return CKPT_STOP;
    if (strcmp(s, "final") == 0)
        return CKPT_FINAL;
    if (strcmp(s, "checkpoint") == 0)
        return CKPT_CHECKPOINT;
    return -1;
}

int ckpt_config_parse(const char *interval, const char *timeout, const char *retained,
                      struct ckpt_config *cfg, struct weir_error *err)
{
    /* on by default: a user who forgets to set it must not lose data */
    cfg->interval_ms = 5000;
    cfg->timeout_ms = 600000;
    cfg->retained = 1;
    if (interval && opt_parse_duration_ms(interval, &cfg->interval_ms) != 0)
        return err_set(err, WEIR_ERR_CONFIG,
                       "execution.checkpointing.interval expects a duration such as '10 s' "
                       "or '0' (off), got '%s'", interval);
    if (timeout && (opt_parse_duration_ms(timeout, &cfg->timeout_ms) != 0 ||
                    cfg->timeout_ms <= 0))
        return err_set(err, WEIR_ERR_CONFIG,
                       "execution.checkpointing.timeout expects a positive duration such as "
                       "'10 min', got '%s'", timeout);
    if (retained) {
        char *end;
        long n = strtol(retained, &end, 10);
        if (*end || n < 1 || n > 1000)
            return err_set(err, WEIR_ERR_CONFIG,
                           "state.checkpoints.num-retained expects 1 to 1000, got '%s'",
                           retained);
        cfg->retained = (int)n;
    }
    return WEIR_OK;
}

/* ---- files ------------------------------------------------------------------------ */

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        for (int guard = 0; guard < 100000 && (e = readdir(d)) != NULL; guard++) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *p = mem_sprintf("%s/%s", dir, e->d_name);
            unlink(p);
            mem_free(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static char *parent_dir(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? mem_sprintf("%.*s", (int)(s - path), path) : mem_strdup(".");
}

/* Writes the sections and the manifest of the checkpoint in flight into
 * dir.  Runs on the coordinator thread without the lock (the sections are
 * not touched by anyone else until it returns). */
static int write_checkpoint(struct ckpt_coord *c, const char *dir, int64_t *bytes,
                            char *why, size_t why_len)
{
    struct weir_error e = {0};
    e.loc = WEIR_LOC_NONE;
    if (files_mkdirs(dir, &e) != WEIR_OK) {
        snprintf(why, why_len, "%s", e.message ? e.message : "cannot create the directory");
        err_clear(&e);
        return -1;
    }
    char *data = mem_sprintf("%s/data", dir);
    int fd = open(data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct strbuf man = {0};
    int rc = 0;
    if (fd < 0) {
        snprintf(why, why_len, "cannot create '%s': %s", data, strerror(errno));
        rc = -1;
    }
    sb_addf(&man, "weir-checkpoint v1\nid %lld\nkind %s\ntime %lld\nparallelism %d\n"
                  "max-parallelism %d\njob %s\n",
            (long long)c->id, ckpt_kind_name(c->kind), (long long)c->trigger_ms,
            c->parallelism, c->max_parallelism, c->job);
    int64_t off = 0, in_files = 0;
    for (int i = 0; i < c->n_secs && rc == 0; i++) {
        struct ckpt_section *s = &c->secs[i];
        if (s->file) {
            /* written by its task: made durable here, off the data path */
            char *path = mem_sprintf("%s/%s", dir, s->file);
            int sfd = open(path, O_RDONLY | O_CLOEXEC);
            if (sfd < 0 || fsync(sfd) != 0) {
                snprintf(why, why_len, "cannot sync '%s': %s", path, strerror(errno));
                rc = -1;
            }
            if (sfd >= 0)
                close(sfd);
            mem_free(path);
            sb_addf(&man, "file %016" PRIx64 " %d %s %lld %08x ", s->uid, s->instance, s->file,
                    (long long)s->file_len, s->file_crc);
            for (const char *p = s->label ? s->label : "?"; *p; p++)
                sb_addc(&man, *p == '\n' || *p == '\r' ? ' ' : *p);
            sb_addc(&man, '\n');
            in_files += s->file_len;
            continue;
        }
        uint32_t crc = crc32c(0, s->data.buf, s->data.len);
        if (s->data.len && files_write_all(fd, s->data.buf, s->data.len) != 0) {
            snprintf(why, why_len, "cannot write '%s': %s", data, strerror(errno));
            rc = -1;
            break;
        }
        sb_addf(&man, "section %016" PRIx64 " %d %lld %lld %08x ", s->uid, s->instance,
                (long long)off, (long long)s->data.len, crc);
        for (const char *p = s->label ? s->label : "?"; *p; p++)
            sb_addc(&man, *p == '\n' || *p == '\r' ? ' ' : *p);
        sb_addc(&man, '\n');
        off += (int64_t)s->data.len;
    }
    if (rc == 0 && fsync(fd) != 0) {
        snprintf(why, why_len, "cannot sync '%s': %s", data, strerror(errno));
        rc = -1;
    }
    if (fd >= 0)
        close(fd);
    *bytes = off + in_files;
    if (rc == 0) {
        sb_addf(&man, "end %08x\n", crc32c(0, man.buf, man.len));
        char *tmp = mem_sprintf("%s/_metadata.tmp", dir);
        char *fin = mem_sprintf("%s/_metadata", dir);
        int mfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (mfd < 0 || files_write_all(mfd, man.buf, man.len) != 0 || fsync(mfd) != 0) {
            snprintf(why, why_len, "cannot write '%s': %s", tmp, strerror(errno));
            rc = -1;
        }
        if (mfd >= 0)
            close(mfd);
        if (rc == 0 && (rename(tmp, fin) != 0 || files_fsync_dir(dir) != 0)) {
            snprintf(why, why_len, "cannot publish '%s': %s", fin, strerror(errno));
            rc = -1;
        }
        if (rc == 0) {
            /* the new directory entry itself must be durable too */
            char *parent = parent_dir(dir);
            files_fsync_dir(parent);
            mem_free(parent);
        }
        mem_free(tmp);
        mem_free(fin);
    }
    mem_free(data);
    sb_free(&man);
    if (rc != 0)
        rm_dir(dir);
    return rc;
}

/* ids of the directories named <prefix><id> in dir, descending. */
static int list_ids(const char *dir, const char *prefix, int64_t **ids)
{
    *ids = NULL;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int n = 0, cap = 0;
    size_t pl = strlen(prefix);
    struct dirent *e;
    for (int guard = 0; guard < 1000000 && (e = readdir(d)) != NULL; guard++) {
        if (strncmp(e->d_name, prefix, pl) != 0)
            continue;
        char *end;
        long long id = strtoll(e->d_name + pl, &end, 10);
        if (*end || id <= 0)
            continue;
        MEM_GROW(*ids, cap, n + 1);
        (*ids)[n++] = id;
    }
    closedir(d);
    for (int i = 1; i < n; i++)   /* insertion sort, descending: a few dozen ids */
        for (int k = i; k > 0 && (*ids)[k] > (*ids)[k - 1]; k--) {
            int64_t t = (*ids)[k];
            (*ids)[k] = (*ids)[k - 1];
            (*ids)[k - 1] = t;
        }
    return n;
}

/* Keeps the newest `retained` complete checkpoints; removes older ones and
 * leftovers of failed ones (no manifest) older than the newest. */
static void retain(struct ckpt_coord *c)
{
    char *root = mem_sprintf("%s/checkpoints", c->state_dir);
    int64_t *ids;
    int n = list_ids(root, "chk-", &ids);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        char *dir = mem_sprintf("%s/chk-%lld", root, (long long)ids[i]);
        char *man = mem_sprintf("%s/_metadata", dir);
        bool complete = access(man, F_OK) == 0;
        if (ids[i] < c->id && (!complete || kept >= c->cfg.retained))
            rm_dir(dir);
        else if (complete)
            kept++;
        mem_free(man);
        mem_free(dir);
    }
    mem_free(ids);
    mem_free(root);
}

/* ---- coordinator ------------------------------------------------------------------ */

struct ckpt_coord *ckpt_coord_new(const char *state_dir, const char *job_name,
                                  const struct ckpt_config *cfg, int n_tasks,
                                  int parallelism, int max_parallelism, int64_t next_id)
{
    struct ckpt_coord *c = mem_calloc(1, sizeof(*c));
    c->state_dir = mem_strdup(state_dir);
    c->job = mem_strdup(job_name ? job_name : "job");
    c->cfg = *cfg;
    c->n_tasks = n_tasks;
    c->parallelism = parallelism;
    c->max_parallelism = max_parallelism;
    c->next_id = next_id > 0 ? next_id : 1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    return c;
}

void ckpt_sections_clear(struct ckpt_section *secs, int n)
{
    for (int i = 0; i < n; i++) {
        mem_free(secs[i].label);
        mem_free(secs[i].file);
        if (secs[i].fd >= 0 && secs[i].file)
            close(secs[i].fd);
        sb_free(&secs[i].data);
    }
}

int ckpt_section_spill(struct ckpt_coord *c, int64_t id, struct ckpt_section *s,
                       struct strbuf *data, struct weir_error *err)
{
    if (s->file == NULL) {
        char *dir = NULL;
        pthread_mutex_lock(&c->mu);
        if (c->active && c->id == id && !c->declined)
            dir = mem_strdup(c->dir);
        pthread_mutex_unlock(&c->mu);
        if (dir == NULL)
            return err_set(err, WEIR_ERR_IO, "checkpoint %lld is no longer in progress",
                           (long long)id);
        s->file = mem_sprintf("state-%016" PRIx64 "-%d", s->uid, s->instance);
        char *path = mem_sprintf("%s/%s", dir, s->file);
        /* no O_CREAT of the directory: one removed by an abort stays removed */
        s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int rc = s->fd < 0 ? err_set(err, WEIR_ERR_IO, "cannot create '%s': %s", path,
                                     strerror(errno))
                           : WEIR_OK;
        mem_free(path);
        mem_free(dir);
        if (rc)
            return rc;
        s->file_len = 0;
        s->file_crc = 0;
    }
    if (data->len && files_write_all(s->fd, data->buf, data->len) != 0)
        return err_set(err, WEIR_ERR_IO, "cannot write checkpoint %lld's state of %s: %s",
                       (long long)id, s->label, strerror(errno));
    s->file_crc = crc32c(s->file_crc, data->buf, data->len);
    s->file_len += (int64_t)data->len;
    data->len = 0;
    return WEIR_OK;
}

static void free_sections(struct ckpt_coord *c)
{
    ckpt_sections_clear(c->secs, c->n_secs);
    c->n_secs = 0;
}

void ckpt_coord_free(struct ckpt_coord *c)
{
    if (c == NULL)
        return;
    ckpt_coord_stop(c);
    free_sections(c);
    mem_free(c->secs);
    mem_free(c->path);
    mem_free(c->dir);
    mem_free(c->req_path);
    for (int i = 0; i < FAILED_RING; i++)
        mem_free(c->ring_path[i]);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    mem_free(c->state_dir);
    mem_free(c->job);
    mem_free(c);
}

int64_t ckpt_wanted(const struct ckpt_coord *c)
{
    return atomic_load_explicit(&((struct ckpt_coord *)c)->wanted, memory_order_acquire);
}

int64_t ckpt_completed(const struct ckpt_coord *c)
{
    return atomic_load_explicit(&((struct ckpt_coord *)c)->completed, memory_order_acquire);
}

int ckpt_kind_of(const struct ckpt_coord *c, int64_t id)
{
    struct ckpt_coord *m = (struct ckpt_coord *)c;
    int kind = CKPT_CHECKPOINT;
    pthread_mutex_lock(&m->mu);
    if (m->active && m->id == id)
        kind = m->kind;
    else
        for (int i = 0; i < FAILED_RING; i++)
            if (m->ring_id[i] == id)
                kind = m->ring_kind[i];
    pthread_mutex_unlock(&m->mu);
    return kind;
}

/* Under the lock: a queued request was replaced by another. */
static char *default_dir(struct ckpt_coord *c, int kind, int64_t id)
{
    if (kind == CKPT_SAVEPOINT || kind == CKPT_STOP)
        return mem_sprintf("%s/savepoints/sp-%lld", c->state_dir, (long long)id);
    return mem_sprintf("%s/checkpoints/chk-%lld", c->state_dir, (long long)id);
}

static void note_superseded(struct ckpt_coord *c, int64_t id)
{
    int slot = (int)(id % FAILED_RING);
    if (c->ring_id[slot] == id) {
        c->ring_failed[slot] = true;
        c->ring_pending[slot] = false;
    }
    pthread_cond_broadcast(&c->cv);
}

/* Under the lock: starts checkpoint `kind` now (id: reserved by a request,
 * or 0 for the next one). */
static void start_id(struct ckpt_coord *c, int kind, char *path, int64_t id)
{
    c->active = true;
    c->id = id > 0 ? id : c->next_id++;
    c->kind = kind;
    mem_free(c->path);
    c->path = path;
    mem_free(c->dir);
    c->dir = path ? mem_strdup(path) : default_dir(c, kind, c->id);
    /* tasks write their big sections into it as they copy them; a failure
     * here shows as theirs (they cannot create their files) */
    struct weir_error e = {0};
    files_mkdirs(c->dir, &e);
    err_clear(&e);
    c->t0_us = mono_us();
    c->trigger_ms = wall_ms();
    c->acks = 0;
    c->align_max = c->sync_max = c->copy_max = 0;
    c->declined = false;
    c->reason[0] = '\0';
    free_sections(c);
    int slot = (int)(c->id % FAILED_RING);
    c->ring_id[slot] = c->id;
    c->ring_kind[slot] = kind;
    c->ring_failed[slot] = false;
    c->ring_pending[slot] = false;
    mem_free(c->ring_path[slot]);
    c->ring_path[slot] = NULL;
    atomic_store_explicit(&c->wanted, c->id, memory_order_release);
}

static void start(struct ckpt_coord *c, int kind, char *path) { start_id(c, kind, path, 0); }

/* Under the lock: the checkpoint in flight ends. */
static void finish(struct ckpt_coord *c, bool ok, const char *dir, int64_t bytes,
                   int64_t async_us)
{
    struct ckpt_stats *st = &c->last;
    st->id = c->id;
    st->kind = c->kind;
    st->trigger_ms = c->trigger_ms;
    st->align_us = c->align_max;
    st->sync_us = c->sync_max;
    st->copy_us = c->copy_max;
    st->async_us = async_us;
    st->duration_us = mono_us() - c->t0_us;
    st->bytes = bytes;
    st->failed = !ok;
    snprintf(st->reason, sizeof st->reason, "%s", ok ? "" : c->reason);
    c->hist[c->n_hist++ % CKPT_HISTORY] = *st;
    int slot = (int)(c->id % FAILED_RING);
    c->ring_failed[slot] = !ok;
    if (ok) {
        c->ring_path[slot] = mem_strdup(dir);
        c->n_completed++;
        atomic_store_explicit(&c->completed, c->id, memory_order_release);
    } else {
        c->n_failed++;
        fprintf(stderr, "weir: checkpoint %lld failed: %s; the job goes on\n",
                (long long)c->id, c->reason);
    }
    free_sections(c);
    c->active = false;
    if (c->cfg.interval_ms > 0)
        c->next_trigger_us = mono_us() + c->cfg.interval_ms * 1000;
    pthread_cond_broadcast(&c->cv);
}

static void *coord_main(void *arg)
{
    struct ckpt_coord *c = arg;
    pthread_mutex_lock(&c->mu);
    c->next_trigger_us = mono_us() + c->cfg.interval_ms * 1000;
    while (!c->stop) {
        int64_t now = mono_us();
        if (!c->active) {
            if (c->req) {
                c->req = false;
                start_id(c, c->req_kind, c->req_path, c->req_id);
                c->req_path = NULL;
            } else if (c->cfg.interval_ms > 0 && now >= c->next_trigger_us) {
                start(c, CKPT_CHECKPOINT, NULL);
            }
        }
        if (c->active && !c->declined && c->acks >= c->n_tasks) {
            char *dir = mem_strdup(c->dir);
            char why[160] = "";
            int64_t bytes = 0, t0 = mono_us();
            pthread_mutex_unlock(&c->mu);
            int rc = write_checkpoint(c, dir, &bytes, why, sizeof why);
            pthread_mutex_lock(&c->mu);
            if (rc != 0)
                snprintf(c->reason, sizeof c->reason, "%s", why);
            finish(c, rc == 0, dir, bytes, mono_us() - t0);
            if (rc == 0 && c->last.kind != CKPT_SAVEPOINT && c->last.kind != CKPT_STOP)
                retain(c);   /* c->id is still the one just finished */
            mem_free(dir);
            continue;
        }
        if (c->active && (c->declined || now - c->t0_us > c->cfg.timeout_ms * 1000)) {
            if (!c->declined)
                snprintf(c->reason, sizeof c->reason,
                         "not complete after %lld ms (execution.checkpointing.timeout); "
                         "%d of %d tasks acknowledged", (long long)c->cfg.timeout_ms, c->acks,
                         c->n_tasks);
            rm_dir(c->dir);   /* with what tasks wrote into it */
            finish(c, false, NULL, 0, 0);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 5 * 1000000L;   /* timeouts and triggers within 5 ms */
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int ckpt_coord_start(struct ckpt_coord *c, struct weir_error *err)
{
    if (pthread_create(&c->thread, NULL, coord_main, c) != 0)
        return err_set(err, WEIR_ERR_RUNTIME, "cannot start the checkpoint thread: %s",
                       strerror(errno));
    c->running = true;
    return WEIR_OK;
}

void ckpt_coord_stop(struct ckpt_coord *c)
{
    if (!c->running)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    c->running = false;
}

void ckpt_ack(struct ckpt_coord *c, int64_t id, struct ckpt_section *secs, int n,
              int64_t align_us, int64_t sync_us, int64_t copy_us)
{
    pthread_mutex_lock(&c->mu);
    if (c->active && c->id == id) {
        if (n > 0) {   /* a task with nothing to save still acknowledges */
            MEM_GROW(c->secs, c->cap_secs, c->n_secs + n);
            memcpy(c->secs + c->n_secs, secs, (size_t)n * sizeof(*secs));
            c->n_secs += n;
        }
        c->acks++;
        if (align_us > c->align_max)
            c->align_max = align_us;
        if (sync_us > c->sync_max)
            c->sync_max = sync_us;
        if (copy_us > c->copy_max)
            c->copy_max = copy_us;
        pthread_cond_broadcast(&c->cv);
        n = 0;   /* taken */
    }
    pthread_mutex_unlock(&c->mu);
    ckpt_sections_clear(secs, n);   /* a late ack of an aborted checkpoint */
}

void ckpt_decline(struct ckpt_coord *c, int64_t id, const char *reason)
{
    pthread_mutex_lock(&c->mu);
    if (c->active && c->id == id && !c->declined) {
        c->declined = true;
        snprintf(c->reason, sizeof c->reason, "%s", reason);
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
}

int64_t ckpt_request(struct ckpt_coord *c, int kind, const char *path)
{
    int64_t id = 0;
    pthread_mutex_lock(&c->mu);
    if (!c->active && !c->req) {
        start(c, kind, path ? mem_strdup(path) : NULL);
        id = c->id;
    } else if (!c->req || kind == CKPT_STOP || kind == CKPT_FINAL) {
        /* queued with its id reserved (the coordinator starts it before any
         * periodic one); a stop or the final checkpoint replaces a queued
         * savepoint, whose waiter then learns it failed */
        if (c->req)
            note_superseded(c, c->req_id);
        c->req = true;
        c->req_kind = kind;
        c->req_id = id = c->next_id++;
        mem_free(c->req_path);
        c->req_path = path ? mem_strdup(path) : NULL;
        int slot = (int)(id % FAILED_RING);
        c->ring_id[slot] = id;
        c->ring_kind[slot] = kind;
        c->ring_failed[slot] = false;
        c->ring_pending[slot] = true;
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return id;
}

/* Under the lock: 1 checkpoint id completed, -1 it failed, 0 not yet. */
static int outcome(const struct ckpt_coord *c, int64_t id)
{
    int slot = (int)(id % FAILED_RING);
    if (c->ring_id[slot] != id || c->ring_pending[slot] || (c->active && c->id == id))
        return 0;
    return c->ring_failed[slot] ? -1 : 1;
}

bool ckpt_wait(struct ckpt_coord *c, int64_t id, int64_t timeout_ms, char **path_out)
{
    int64_t deadline = mono_us() + timeout_ms * 1000;
    bool ok = false;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        int st = outcome(c, id);
        if (st != 0) {
            ok = st > 0;
            const char *dir = c->ring_path[id % FAILED_RING];
            if (ok && path_out)
                *path_out = dir ? mem_strdup(dir) : NULL;
            break;
        }
        if (mono_us() >= deadline || (!c->running && !c->active))
            break;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 10 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return ok;
}

int ckpt_history(struct ckpt_coord *c, struct ckpt_stats *out, int max)
{
    pthread_mutex_lock(&c->mu);
    int64_t n = c->n_hist < CKPT_HISTORY ? c->n_hist : CKPT_HISTORY;
    if (n > max)
        n = max;
    for (int64_t i = 0; i < n; i++)   /* oldest first */
        out[i] = c->hist[(c->n_hist - n + i) % CKPT_HISTORY];
    pthread_mutex_unlock(&c->mu);
    return (int)n;
}

int ckpt_status(struct ckpt_coord *c, int64_t id)
{
    pthread_mutex_lock(&c->mu);
    int st = outcome(c, id);
    pthread_mutex_unlock(&c->mu);
    return st;
}

void ckpt_get_stats(struct ckpt_coord *c, struct ckpt_stats *last, int64_t *completed,
                    int64_t *failed, int64_t *in_progress)
{
    pthread_mutex_lock(&c->mu);
    if (last)
        *last = c->last;
    if (completed)
        *completed = c->n_completed;
    if (failed)
        *failed = c->n_failed;
    if (in_progress)
        *in_progress = c->active ? c->id : 0;
    pthread_mutex_unlock(&c->mu);
}

/* ---- reading ---------------------------------------------------------------------- */

void ckpt_manifest_free(struct ckpt_manifest *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < m->n_sections; i++) {
        mem_free(m->sections[i].label);
        mem_free(m->sections[i].file);
        if (m->sections[i].fmap && m->sections[i].length > 0)
            munmap(m->sections[i].fmap, (size_t)m->sections[i].length);
    }
    mem_free(m->sections);
    if (m->map)
        munmap(m->map, m->map_len);
    mem_free(m->job);
    mem_free(m->dir);
    mem_free(m);
}

const char *ckpt_section_data(const struct ckpt_manifest *m, int i, size_t *len)
{
    *len = (size_t)m->sections[i].length;
    if (m->sections[i].file)
        return m->sections[i].fmap;
    return (const char *)m->map + m->sections[i].offset;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct strbuf sb = {0};
    char buf[65536];
    size_t n;
    for (int guard = 0; guard < 16384 && (n = fread(buf, 1, sizeof buf, f)) > 0; guard++)
        sb_add(&sb, buf, n);
    fclose(f);
    *len = sb.len;
    return sb_steal(&sb);
}

/* Maps the whole file at path read-only (*map NULL when it is empty). */
static int map_file(const char *path, void **map, size_t *len, struct weir_error *err)
{
    *map = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int rc = WEIR_OK;
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = err_set(err, WEIR_ERR_CORRUPT, "cannot read '%s': %s", path, strerror(errno));
    } else if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
            rc = err_set(err, WEIR_ERR_IO, "cannot map '%s': %s", path, strerror(errno));
        else {
            *map = p;
            *len = (size_t)st.st_size;
        }
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Maps section i's own file and checks its length and checksum. */
static int map_section_file(struct ckpt_manifest *m, int i, struct weir_error *err)
{
    char *path = mem_sprintf("%s/%s", m->dir, m->sections[i].file);
    int64_t n = m->sections[i].length;
    void *p;
    size_t len;
    int rc = map_file(path, &p, &len, err);
    if (rc == WEIR_OK && (n < 0 || len != (size_t)n)) {
        if (p)
            munmap(p, len);
        rc = err_set(err, WEIR_ERR_CORRUPT, "'%s' is truncated (section of %s)", path,
                     m->sections[i].label);
    } else if (rc == WEIR_OK) {
        m->sections[i].fmap = p;
        if (crc32c(0, p, len) != m->sections[i].crc)
            rc = err_set(err, WEIR_ERR_CORRUPT, "'%s' fails its checksum (section of %s)",
                         path, m->sections[i].label);
    }
    mem_free(path);
    return rc;
}

int ckpt_manifest_read(const char *dir, struct ckpt_manifest **out, struct weir_error *err)
{
    *out = NULL;
    char *path = mem_sprintf("%s/_metadata", dir);
    size_t len = 0;
    char *text = slurp(path, &len);
    if (text == NULL) {
        int rc = err_set(err, WEIR_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
        mem_free(path);
        return rc;
    }
    struct ckpt_manifest *m = mem_calloc(1, sizeof(*m));
    m->dir = mem_strdup(dir);
    int rc = WEIR_OK, cap = 0;
    bool ended = false, head = false;
    char *save = NULL;
    /* the checksum covers every byte before the "end" line */
    char *endl = NULL;
    for (char *p = text; p && p < text + len; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, "end ", 4) == 0)
            endl = p;
    if (endl == NULL) {
        rc = err_set(err, WEIR_ERR_CORRUPT, "'%s' is truncated (no end line)", path);
    } else {
        unsigned crc = 0;
        if (sscanf(endl, "end %x", &crc) != 1 ||
            crc != crc32c(0, text, (size_t)(endl - text)))
            rc = err_set(err, WEIR_ERR_CORRUPT, "'%s' fails its checksum", path);
    }
    for (char *l = rc ? NULL : strtok_r(text, "\n", &save); l && rc == WEIR_OK && !ended;
         l = strtok_r(NULL, "\n", &save)) {
        long long a, b, c2, d;
        char kind[32], hex[32], name[64];
        int used = 0;
        if (strcmp(l, "weir-checkpoint v1") == 0)
            head = true;
        else if (sscanf(l, "id %lld", &a) == 1)
            m->id = a;
        else if (sscanf(l, "kind %31s", kind) == 1 && (m->kind = kind_from_name(kind)) >= 0)
            ;
        else if (sscanf(l, "time %lld", &a) == 1)
            m->time_ms = a;
        else if (sscanf(l, "parallelism %lld", &a) == 1)
            m->parallelism = (int)a;
        else if (sscanf(l, "max-parallelism %lld", &a) == 1)
            m->max_parallelism = (int)a;
        else if (strncmp(l, "job ", 4) == 0)
            m->job = mem_strdup(l + 4);
        else if (sscanf(l, "section %31s %lld %lld %lld %llx %n", hex, &a, &b, &c2, &d, &used) ==
                     5 && used > 0) {
            MEM_GROW(m->sections, cap, m->n_sections + 1);
            m->sections[m->n_sections].uid = strtoull(hex, NULL, 16);
            m->sections[m->n_sections].instance = (int)a;
            m->sections[m->n_sections].offset = b;
            m->sections[m->n_sections].length = c2;
            m->sections[m->n_sections].crc = (uint32_t)d;
            m->sections[m->n_sections].label = mem_strdup(l + used);
            m->sections[m->n_sections].file = NULL;
            m->sections[m->n_sections].fmap = NULL;
            m->n_sections++;
        } else if (sscanf(l, "file %31s %lld %63s %lld %llx %n", hex, &a, name, &c2, &d,
                          &used) == 5 && used > 0) {
            MEM_GROW(m->sections, cap, m->n_sections + 1);
            memset(&m->sections[m->n_sections], 0, sizeof(m->sections[0]));
            m->sections[m->n_sections].uid = strtoull(hex, NULL, 16);
            m->sections[m->n_sections].instance = (int)a;
            m->sections[m->n_sections].length = c2;
            m->sections[m->n_sections].crc = (uint32_t)d;
            m->sections[m->n_sections].file = mem_strdup(name);
            m->sections[m->n_sections].label = mem_strdup(l + used);
            m->n_sections++;
            if (strchr(name, '/') || name[0] == '.')
                rc = err_set(err, WEIR_ERR_CORRUPT, "'%s': bad file name '%s'", path, name);
        } else if (strncmp(l, "end ", 4) == 0)
            ended = true;
        else
            rc = err_set(err, WEIR_ERR_CORRUPT, "'%s': unexpected line '%.60s'", path, l);
    }
    if (rc == WEIR_OK && (!head || m->id <= 0 || m->parallelism < 1 || m->max_parallelism < 1))
        rc = err_set(err, WEIR_ERR_CORRUPT, "'%s' is not a weir checkpoint manifest (v1)", path);
    mem_free(text);
    mem_free(path);
    if (rc == WEIR_OK) {
        /* the data file: every section inside it and matching its checksum */
        char *data = mem_sprintf("%s/data", dir);
        rc = map_file(data, &m->map, &m->map_len, err);
        for (int i = 0; i < m->n_sections && rc == WEIR_OK; i++) {
            int64_t o = m->sections[i].offset, n = m->sections[i].length;
            if (m->sections[i].file) {
                rc = map_section_file(m, i, err);
                continue;
            }
            if (o < 0 || n < 0 || (uint64_t)(o + n) > m->map_len)
                rc = err_set(err, WEIR_ERR_CORRUPT, "'%s' is truncated (section of %s)", data,
                             m->sections[i].label);
            else if (crc32c(0, (const char *)m->map + o, (size_t)n) != m->sections[i].crc)
                rc = err_set(err, WEIR_ERR_CORRUPT, "'%s' fails its checksum (section of %s)",
                             data, m->sections[i].label);
        }
        mem_free(data);
    }
    if (rc) {
        ckpt_manifest_free(m);
        return rc;
    }
    *out = m;
    return WEIR_OK;
}

/* The directories of checkpoints and of savepoints in a state directory. */
static const char *const KINDS[2][2] = {{"checkpoints", "chk-"}, {"savepoints", "sp-"}};

/* ids[k]: the ids under KINDS[k], descending (n[k] of them); returns the
 * highest of all (0: none). */
static int64_t list_all(const char *state_dir, int64_t *ids[2], int n[2])
{
    int64_t max = 0;
    for (int k = 0; k < 2; k++) {
        char *root = mem_sprintf("%s/%s", state_dir, KINDS[k][0]);
        n[k] = list_ids(root, KINDS[k][1], &ids[k]);
        mem_free(root);
        if (n[k] > 0 && ids[k][0] > max)
            max = ids[k][0];
    }
    return max;
}

int64_t ckpt_max_id(const char *state_dir)
{
    int64_t *ids[2];
    int n[2];
    int64_t max = list_all(state_dir, ids, n);
    mem_free(ids[0]);
    mem_free(ids[1]);
    return max;
}

int ckpt_find_latest(const char *state_dir, struct ckpt_manifest **out, int64_t *max_id,
                     FILE *warn, struct weir_error *err)
{
    (void)err;
    *out = NULL;
    int64_t *ids[2];
    int n[2];
    *max_id = list_all(state_dir, ids, n);
    /* merge the two descending lists; the first that reads back is it */
    int i0 = 0, i1 = 0;
    for (int guard = 0; guard < n[0] + n[1] && *out == NULL; guard++) {
        int k = i1 >= n[1] || (i0 < n[0] && ids[0][i0] >= ids[1][i1]) ? 0 : 1;
        int64_t id = k == 0 ? ids[0][i0++] : ids[1][i1++];
        char *dir = mem_sprintf("%s/%s/%s%lld", state_dir, KINDS[k][0], KINDS[k][1],
                                (long long)id);
        char *man = mem_sprintf("%s/_metadata", dir);
        bool has = access(man, F_OK) == 0;
        mem_free(man);
        if (has) {
            struct weir_error e = {0};
            e.loc = WEIR_LOC_NONE;
            if (ckpt_manifest_read(dir, out, &e) != WEIR_OK && warn)
                fprintf(warn, "weir: skipping %s: %s\n", dir, e.message ? e.message : "corrupt");
            err_clear(&e);
        }
        mem_free(dir);
    }
    mem_free(ids[0]);
    mem_free(ids[1]);
    return WEIR_OK;
}
