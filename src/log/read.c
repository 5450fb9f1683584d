/*
 * read.c — partition readers: seek by offset or timestamp, batch-at-a-time
 * reads, waiting for new data with inotify.
 *
 * A reader never trusts the bytes past the visible end: it reads the writer's
 * published state (topic.c) and decodes only batches below the committed
 * offset (read-committed) or the end offset (read-uncommitted).  Every batch
 * it returns has had its CRC checked.  Segment bytes are read with pread into
 * a buffer of 1 MiB (more for a bigger batch), so a reader costs one syscall
 * per ~1 MiB plus the decoding.
 *
 * Waiting: the writer's state write after each append is an IN_MODIFY event
 * on p<N>/state; a waiting reader sleeps in poll() on its inotify descriptor
 * and wakes as soon as the writer publishes.  The watch is added before the
 * state is re-read, so a publish between the check and the poll is not lost.
 * If inotify is unavailable (e.g. fs.inotify.max_user_instances reached) the
 * reader falls back to re-reading the state every 5 ms.
 *
 * When the state's generation changes (a new writer recovered the partition,
 * or a transaction was aborted) the reader drops its buffer and repositions,
 * since bytes past the old end may have been rewritten.
 */
#include "core/mem.h"
#include "log/log_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct log_reader {
    char *dir, *topic, *pdir;   /* owned */
    int partition;
    enum log_isolation iso;
    int state_fd;
    int ino_fd;                 /* inotify instance, -1 until the first wait */
    struct log_state st;        /* last state read */
    int64_t limit;              /* visible end per iso */
    int seg_fd;                 /* segment being read, -1 none */
    int64_t seg_base;
    int64_t next_offset;        /* offset of the batch at buf_pos + at */
    int64_t pos_offset;         /* next offset to return */
    uint8_t *buf;               /* segment bytes from buf_pos */
    size_t cap, have, at;
    int64_t buf_pos;
    struct log_record *recs;
    int rec_cap;
    struct log_header *hdrs;
    int hdr_cap;
};

static int refresh(struct log_reader *r, struct weir_error *err);

/* Points r at `offset` (clamped to [start, end] of the last state read): opens
 * the segment holding it, starts at the offset index's floor entry and drops
 * the buffer.  The batches between that entry and `offset` are skipped
 * without decoding by log_reader_next; a batch that straddles `offset` is
 * decoded and its records before `offset` are not returned. */
static int position(struct log_reader *r, int64_t offset, struct weir_error *err)
{
    if (offset < r->st.start_offset)
        offset = r->st.start_offset;
    if (offset > r->st.end_offset)
        offset = r->st.end_offset;
    int64_t *bases;
    int n;
    int rc = log_segments_list(r->pdir, &bases, &n, err);
    if (rc)
        return rc;
    int i = n - 1;
    while (i > 0 && bases[i] > offset)
        i--;
    if (n == 0 || bases[i] > offset) {
        mem_free(bases);
        return err_set(err, WEIR_ERR_IO, "topic '%s' partition %d: no segment holds offset %lld",
                       r->topic, r->partition, (long long)offset);
    }
    int64_t base = bases[i];
    mem_free(bases);
    char *path = log_seg_path(r->pdir, base, "log");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    mem_free(path);
    if (fd < 0)
        return err_set(err, WEIR_ERR_IO, "topic '%s' partition %d: cannot open segment %lld: %s",
                       r->topic, r->partition, (long long)base, strerror(errno));
    if (r->seg_fd >= 0)
        close(r->seg_fd);
    r->seg_fd = fd;
    r->seg_base = base;
    struct log_index_entry *e;
    int ne;
    log_index_load(r->pdir, base, false, INT64_MAX, &e, &ne);
    struct log_index_entry from = log_index_floor_offset(e, ne, base, offset);
    mem_free(e);
    r->buf_pos = from.pos;
    r->have = r->at = 0;
    r->next_offset = from.offset;
    r->pos_offset = offset;
    return WEIR_OK;
}

int log_reader_open(const char *dir, const char *topic, int partition,
                    enum log_isolation iso, struct log_reader **out,
                    struct weir_error *err)
{
    *out = NULL;
    struct log_topic_config cfg;
    int rc = log_topic_config_read(dir, topic, &cfg, err);
    if (rc)
        return rc;
    if (partition < 0 || partition >= cfg.n_partitions)
        return err_set(err, WEIR_ERR_CONFIG, "topic '%s' has %d partition%s (0..%d), not %d",
                       topic, cfg.n_partitions, cfg.n_partitions == 1 ? "" : "s",
                       cfg.n_partitions - 1, partition);
    struct log_reader *r = mem_calloc(1, sizeof *r);
    r->dir = mem_strdup(dir);
    r->topic = mem_strdup(topic);
    r->pdir = log_part_path(dir, topic, partition);
    r->partition = partition;
    r->iso = iso;
    r->ino_fd = r->seg_fd = -1;
    r->cap = 1 << 20;
    r->buf = mem_alloc(r->cap);
    char *sp = mem_sprintf("%s/state", r->pdir);
    r->state_fd = open(sp, O_RDONLY | O_CLOEXEC);
    mem_free(sp);
    if (r->state_fd < 0) {
        rc = err_set(err, WEIR_ERR_IO, "topic '%s' partition %d: cannot open state: %s",
                     topic, partition, strerror(errno));
        goto fail;
    }
    rc = log_state_read_retry(r->state_fd, &r->st, err);
    if (rc == WEIR_OK) {
        r->limit = iso == LOG_READ_COMMITTED ? r->st.committed_offset : r->st.end_offset;
        rc = position(r, r->st.start_offset, err);
    }
    if (rc)
        goto fail;
    *out = r;
    return WEIR_OK;
fail:
    log_reader_close(r);
    return rc;
}

void log_reader_close(struct log_reader *r)
{
    if (r == NULL)
        return;
    if (r->state_fd >= 0)
        close(r->state_fd);
    if (r->ino_fd >= 0)
        close(r->ino_fd);
    if (r->seg_fd >= 0)
        close(r->seg_fd);
    mem_free(r->buf);
    mem_free(r->recs);
    mem_free(r->hdrs);
    mem_free(r->dir);
    mem_free(r->topic);
    mem_free(r->pdir);
    mem_free(r);
}

/* Re-reads the published state; repositions after a new generation. */
static int refresh(struct log_reader *r, struct weir_error *err)
{
    struct log_state st;
    int rc = log_state_read_retry(r->state_fd, &st, err);
    if (rc)
        return rc;
    uint64_t gen = r->st.generation;
    r->st = st;
    r->limit = r->iso == LOG_READ_COMMITTED ? st.committed_offset : st.end_offset;
    if (st.generation != gen || r->pos_offset < st.start_offset)
        return position(r, r->pos_offset, err);
    return WEIR_OK;
}

int log_reader_seek(struct log_reader *r, int64_t offset, struct weir_error *err)
{
    int rc = refresh(r, err);
    return rc ? rc : position(r, offset, err);
}

int log_reader_seek_end(struct log_reader *r, struct weir_error *err)
{
    int rc = refresh(r, err);
    return rc ? rc : position(r, r->limit, err);
}

int64_t log_reader_position(const struct log_reader *r)
{
    return r->pos_offset;
}

int log_reader_offsets(struct log_reader *r, int64_t *start, int64_t *end,
                       struct weir_error *err)
{
    int rc = refresh(r, err);
    if (rc)
        return rc;
    if (start)
        *start = r->st.start_offset;
    if (end)
        *end = r->limit;
    return WEIR_OK;
}

/* Makes the batch at r->at complete in the buffer: WEIR_OK, WEIR_DONE at the
 * end of the segment file, or an error. */
static int fill(struct log_reader *r, struct weir_error *err)
{
    size_t avail = r->have - r->at;
    if (avail >= LOG_BATCH_HDR) {
        uint32_t len = log_get32(r->buf + r->at + 4);
        if (len <= avail)
            return WEIR_OK;
        if (len > r->cap && len <= LOG_MAX_BATCH_BYTES) {
            memmove(r->buf, r->buf + r->at, avail);
            r->buf_pos += (int64_t)r->at;
            r->have = avail;
            r->at = 0;
            r->cap = len;
            r->buf = mem_realloc(r->buf, r->cap);
        }
    }
    if (r->at > 0) {
        memmove(r->buf, r->buf + r->at, avail);
        r->buf_pos += (int64_t)r->at;
        r->have = avail;
        r->at = 0;
    }
    ssize_t got = log_pread_full(r->seg_fd, r->buf + r->have, r->cap - r->have,
                                 (off_t)(r->buf_pos + (int64_t)r->have));
    if (got < 0)
        return err_set(err, WEIR_ERR_IO, "topic '%s' partition %d: cannot read segment: %s",
                       r->topic, r->partition, strerror(errno));
    r->have += (size_t)got;
    return got == 0 ? WEIR_DONE : WEIR_OK;
}

static int corrupt(struct log_reader *r, struct weir_error *err, const char *what)
{
    return err_set(err, WEIR_ERR_CORRUPT,
                   "topic '%s' partition %d: %s in segment %lld at position %lld "
                   "(offset %lld)", r->topic, r->partition, what, (long long)r->seg_base,
                   (long long)(r->buf_pos + (int64_t)r->at), (long long)r->next_offset);
}

/* The read loop: a complete batch at r->at (refilling the buffer, moving to
 * the next segment at the end of one), skip it if it lies wholly before the
 * position, else check its CRC, decode it, return the records from the
 * position on.  A bad or missing batch below the visible end is first taken
 * as a sign of a new writer generation (look again), then reported. */
int log_reader_next(struct log_reader *r, const struct log_record **recs, int *n,
                    struct weir_error *err)
{
    *n = 0;
    *recs = NULL;
    int rc;
    if (r->pos_offset >= r->limit && (rc = refresh(r, err)) != WEIR_OK)
        return rc;
    for (int retried = 0;;) {
        if (r->pos_offset >= r->limit)
            return WEIR_AGAIN;
        struct log_batch_hdr h;
        int c = log_batch_check(r->buf + r->at, r->have - r->at, r->next_offset, false, &h);
        if (c == WEIR_AGAIN) {
            rc = fill(r, err);
            if (rc < 0)
                return rc;
            if (rc == WEIR_OK)
                continue;
            if (r->have - r->at > 0)
                c = WEIR_ERR_CORRUPT;      /* a partial batch below the end */
            else {
                /* end of this segment: the next one starts at next_offset */
                char *path = log_seg_path(r->pdir, r->next_offset, "log");
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                mem_free(path);
                if (fd >= 0) {
                    close(r->seg_fd);
                    r->seg_fd = fd;
                    r->seg_base = r->next_offset;
                    r->buf_pos = 0;
                    r->have = r->at = 0;
                    continue;
                }
                c = WEIR_ERR_CORRUPT;
            }
        }
        if (c != WEIR_OK) {
            /* a writer may have rewritten the tail (new generation): look again */
            if (retried++ < 2) {
                uint64_t gen = r->st.generation;
                if ((rc = refresh(r, err)) != WEIR_OK)
                    return rc;
                if (r->st.generation != gen)
                    continue;
            }
            return corrupt(r, err, r->have - r->at < LOG_BATCH_HDR ? "missing data"
                                                                   : "bad batch header");
        }
        const uint8_t *p = r->buf + r->at;
        if (h.base_offset >= r->limit)
            return WEIR_AGAIN;
        if (h.base_offset + (int64_t)h.n_records <= r->pos_offset) {
            r->at += h.len;             /* before the position: skip unread */
            r->next_offset = h.base_offset + h.n_records;
            continue;
        }
        if (crc32c(0, p + 12, h.len - 12) != h.crc)
            return corrupt(r, err, "checksum mismatch");
        if ((int)h.n_records > r->rec_cap) {
            r->rec_cap = (int)h.n_records;
            r->recs = mem_realloc(r->recs, sizeof(*r->recs) * (size_t)r->rec_cap);
        }
        if (log_batch_decode(p, &h, r->recs, &r->hdrs, &r->hdr_cap) != WEIR_OK)
            return corrupt(r, err, "malformed record");
        int skip = (int)(r->pos_offset - h.base_offset);
        r->at += h.len;
        r->next_offset = h.base_offset + h.n_records;
        r->pos_offset = r->next_offset;
        *recs = r->recs + skip;
        *n = (int)h.n_records - skip;
        return WEIR_OK;
    }
}

/* ---- seek by time ------------------------------------------------------------------ */

struct time_find {
    int64_t ts;
    int64_t offset;             /* base offset of the first batch with max_ts >= ts */
};

static int time_cb(void *ctx, int64_t pos, const struct log_batch_hdr *h)
{
    (void)pos;
    struct time_find *f = ctx;
    if (h->max_timestamp >= f->ts) {
        f->offset = h->base_offset;
        return WEIR_DONE;
    }
    return WEIR_OK;
}

/* Segments whose last time-index entry (their largest timestamp) is older
 * than ts are skipped; in the first other one the time index gives where to
 * start scanning batch headers; the first batch whose max timestamp reaches ts
 * is decoded to find the first record at or after ts.  Timestamps need not
 * be ordered: the answer is the first record in offset order with ts >= ts_ms. */
int log_reader_seek_time(struct log_reader *r, int64_t ts_ms, struct weir_error *err)
{
    int rc = refresh(r, err);
    if (rc)
        return rc;
    int64_t *bases;
    int n;
    rc = log_segments_list(r->pdir, &bases, &n, err);
    if (rc)
        return rc;
    struct time_find f = {ts_ms, -1};
    for (int i = 0; i < n && f.offset < 0; i++) {
        if (bases[i] < r->st.start_offset)
            continue;
        struct log_index_entry *e;
        int ne;
        log_index_load(r->pdir, bases[i], true, INT64_MAX, &e, &ne);
        bool skip = i + 1 < n && ne > 0 && e[ne - 1].timestamp < ts_ms;
        struct log_index_entry from = log_index_floor_time(e, ne, bases[i], ts_ms);
        mem_free(e);
        if (skip)
            continue;       /* sealed, and everything in it is older */
        char *path = log_seg_path(r->pdir, bases[i], "log");
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        mem_free(path);
        if (fd < 0)
            continue;       /* removed by retention meanwhile */
        struct log_scan s;
        rc = log_segment_scan(fd, from.pos, from.offset, &s, time_cb, &f, err);
        close(fd);
        if (rc < 0)
            break;
        rc = WEIR_OK;
    }
    mem_free(bases);
    if (rc)
        return rc;
    if (f.offset < 0 || f.offset >= r->limit)
        return position(r, f.offset < 0 ? r->limit : f.offset, err);
    /* the first record of that batch with timestamp >= ts */
    rc = position(r, f.offset, err);
    const struct log_record *recs;
    int nr;
    if (rc == WEIR_OK && (rc = log_reader_next(r, &recs, &nr, err)) == WEIR_OK) {
        int64_t at = recs[nr - 1].offset + 1;
        for (int k = 0; k < nr; k++)
            if (recs[k].timestamp >= ts_ms) {
                at = recs[k].offset;
                break;
            }
        rc = position(r, at, err);
    } else if (rc == WEIR_AGAIN) {
        rc = position(r, f.offset, err);
    }
    return rc;
}

/* ---- waiting ---------------------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void watch(struct log_reader *r)
{
    if (r->ino_fd >= 0)
        return;
    r->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (r->ino_fd < 0)
        return;
    char *sp = mem_sprintf("%s/state", r->pdir);
    if (inotify_add_watch(r->ino_fd, sp, IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF) < 0) {
        close(r->ino_fd);
        r->ino_fd = -1;
    }
    mem_free(sp);
}

static void drain(struct log_reader *r)
{
    char buf[4096] __attribute__((aligned(8)));
    while (r->ino_fd >= 0 && read(r->ino_fd, buf, sizeof buf) > 0)
        ;
}

/* WEIR_OK if r has data past its position, WEIR_AGAIN if not. */
static int ready(struct log_reader *r, struct weir_error *err)
{
    int rc = refresh(r, err);
    if (rc)
        return rc;
    if (r->pos_offset < r->limit)
        return WEIR_OK;
    struct stat sb;
    if (fstat(r->state_fd, &sb) == 0 && sb.st_nlink == 0)
        return err_set(err, WEIR_ERR_IO, "topic '%s' was deleted", r->topic);
    return WEIR_AGAIN;
}

/* Adds the inotify watches first, then checks each reader's state, then
 * sleeps in poll(): a publish that lands between the check and the poll has
 * already queued an event, so it wakes the poll at once. */
int log_reader_wait_any(struct log_reader **rs, int n, int timeout_ms,
                        struct weir_error *err)
{
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : mono_ms() + timeout_ms;
    struct pollfd stack[16];
    struct pollfd *pfd = n <= 16 ? stack : mem_alloc(sizeof(*pfd) * (size_t)n);
    int rc;
    for (int i = 0; i < n; i++)
        watch(rs[i]);               /* before the check: no lost wake-up */
    for (;;) {
        for (int i = 0; i < n; i++) {
            drain(rs[i]);
            rc = ready(rs[i], err);
            if (rc != WEIR_AGAIN)
                goto done;
        }
        int64_t now = mono_ms();
        if (now >= deadline) {
            rc = WEIR_AGAIN;
            goto done;
        }
        int np = 0;
        bool fallback = false;
        for (int i = 0; i < n; i++) {
            if (rs[i]->ino_fd < 0)
                fallback = true;
            else
                pfd[np++] = (struct pollfd){rs[i]->ino_fd, POLLIN, 0};
        }
        int64_t left = deadline - now;
        if (fallback && left > 5)
            left = 5;
        if (left > 1 << 30)
            left = 1 << 30;
        int pr = poll(pfd, (nfds_t)np, (int)left);
        if (pr < 0 && errno == EINTR) {
            rc = WEIR_AGAIN;        /* a signal: let the caller look at it */
            goto done;
        }
    }
done:
    if (pfd != stack)
        mem_free(pfd);
    return rc;
}

int log_reader_wait(struct log_reader *r, int timeout_ms, struct weir_error *err)
{
    return log_reader_wait_any(&r, 1, timeout_ms, err);
}
