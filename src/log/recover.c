/*
 * recover.c — what a writer does when it opens a partition, before its first
 * append: find the valid end of the log, cut a torn tail, rebuild the active
 * segment's indexes, settle an unfinished transaction, publish the state.
 * Also truncation to an offset (log_abort) and the index policy shared with
 * append.c.  The algorithm is described with the format at the top of
 * segment.c; in short:
 *
 *   1. sealed segments: scan each one's tail from its last offset-index entry;
 *      it must end exactly where the next segment begins.  If not, scan it
 *      whole, cut it at its last valid batch and delete every later segment.
 *   2. active (last) segment: scan it whole, cut it at its last valid batch,
 *      rewrite its two index files from the scan, sync it.
 *   3. the committed offset of a transactional writer (state file) is kept if
 *      the new writer is transactional (it will commit or abort); a plain
 *      writer aborts it, so uncommitted records never become visible.
 */
#include "core/mem.h"
#include "log/log_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void log_index_note(struct log_appender *a, int64_t pos, const struct log_batch_hdr *h,
                    struct strbuf *oi, struct strbuf *ti)
{
    int64_t iv = a->cfg.index_interval_bytes;
    if (a->last_idx_pos < 0 || pos - a->last_idx_pos >= iv) {
        uint8_t b[LOG_OFFIDX_ENTRY];
        log_put32(b, (uint32_t)(h->base_offset - a->seg_base));
        log_put32(b + 4, (uint32_t)pos);
        sb_add(oi, (const char *)b, sizeof b);
        a->last_idx_pos = pos;
    }
    int64_t mx = h->max_timestamp > a->seg_max_ts ? h->max_timestamp : a->seg_max_ts;
    a->seg_max_ts = mx;
    if (mx > a->last_tidx_ts && (a->last_tidx_pos < 0 || pos - a->last_tidx_pos >= iv)) {
        uint8_t b[LOG_TIMEIDX_ENTRY];
        log_put64(b, (uint64_t)mx);
        log_put32(b + 8, (uint32_t)(h->base_offset - a->seg_base));
        log_put32(b + 12, (uint32_t)pos);
        sb_add(ti, (const char *)b, sizeof b);
        a->last_tidx_ts = mx;
        a->last_tidx_pos = pos;
    }
    a->last_batch_pos = pos;
    a->last_batch_offset = h->base_offset;
}

int log_seal_active(struct log_appender *a, struct weir_error *err)
{
    if (a->last_batch_offset < 0 || a->seg_max_ts <= a->last_tidx_ts)
        return WEIR_OK;
    struct log_index_entry e = {a->last_batch_offset, a->last_batch_pos, a->seg_max_ts};
    a->last_tidx_ts = a->seg_max_ts;
    a->last_tidx_pos = a->last_batch_pos;
    return log_index_append(a->tidx_fd, a->seg_base, true, &e, err);
}

static int open_rw(const char *path, int flags, struct weir_error *err, int *fd)
{
    *fd = open(path, O_RDWR | O_CLOEXEC | flags, 0644);
    if (*fd < 0)
        return err_set(err, WEIR_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    return WEIR_OK;
}

void log_segment_close_active(struct log_appender *a)
{
    if (a->seg_fd >= 0)
        close(a->seg_fd);
    if (a->idx_fd >= 0)
        close(a->idx_fd);
    if (a->tidx_fd >= 0)
        close(a->tidx_fd);
    a->seg_fd = a->idx_fd = a->tidx_fd = -1;
}

int log_segment_open_active(struct log_appender *a, int64_t base, bool create,
                            struct weir_error *err)
{
    log_segment_close_active(a);
    char *p1 = log_seg_path(a->pdir, base, "log");
    char *p2 = log_seg_path(a->pdir, base, "index");
    char *p3 = log_seg_path(a->pdir, base, "timeindex");
    int fl = create ? O_CREAT | O_TRUNC : 0;
    int rc = open_rw(p1, fl, err, &a->seg_fd);
    if (rc == WEIR_OK)
        rc = open_rw(p2, fl | O_CREAT | O_APPEND, err, &a->idx_fd);
    if (rc == WEIR_OK)
        rc = open_rw(p3, fl | O_CREAT | O_APPEND, err, &a->tidx_fd);
    mem_free(p1);
    mem_free(p2);
    mem_free(p3);
    if (rc) {
        log_segment_close_active(a);
        return rc;
    }
    a->seg_base = base;
    a->seg_size = 0;
    a->seg_max_ts = INT64_MIN;
    a->last_idx_pos = a->last_tidx_pos = -1;
    a->last_tidx_ts = INT64_MIN;
    a->last_batch_pos = a->last_batch_offset = -1;
    return WEIR_OK;
}

struct rebuild {
    struct log_appender *a;
    struct strbuf oi, ti;
};

static int rebuild_cb(void *ctx, int64_t pos, const struct log_batch_hdr *h)
{
    struct rebuild *rb = ctx;
    log_index_note(rb->a, pos, h, &rb->oi, &rb->ti);
    return WEIR_OK;
}

/* Scans the active segment whole, cuts a torn tail, rewrites its indexes. */
static int scan_active(struct log_appender *a, struct log_recovery *rec,
                       struct weir_error *err)
{
    struct rebuild rb = {a, {0}, {0}};
    struct log_scan s;
    int rc = log_segment_scan(a->seg_fd, 0, a->seg_base, &s, rebuild_cb, &rb, err);
    if (rc)
        goto done;
    if (s.valid_pos < s.file_size) {
        if (ftruncate(a->seg_fd, s.valid_pos) != 0) {
            rc = err_set(err, WEIR_ERR_IO, "cannot truncate torn segment: %s", strerror(errno));
            goto done;
        }
        rec->truncated_bytes += s.file_size - s.valid_pos;
        if (rec->truncated_at_offset < 0)
            rec->truncated_at_offset = s.next_offset;
    }
    if (log_os.fdatasync(a->seg_fd) != 0) {
        rc = err_set(err, WEIR_ERR_IO, "cannot sync segment: %s", strerror(errno));
        goto done;
    }
    if (ftruncate(a->idx_fd, 0) != 0 || ftruncate(a->tidx_fd, 0) != 0 ||
        (rb.oi.len && write(a->idx_fd, rb.oi.buf, rb.oi.len) != (ssize_t)rb.oi.len) ||
        (rb.ti.len && write(a->tidx_fd, rb.ti.buf, rb.ti.len) != (ssize_t)rb.ti.len)) {
        rc = err_set(err, WEIR_ERR_IO, "cannot rewrite segment index: %s", strerror(errno));
        goto done;
    }
    rec->rebuilt_indexes++;
    a->seg_size = s.valid_pos;
    a->st.end_offset = s.next_offset;
done:
    sb_free(&rb.oi);
    sb_free(&rb.ti);
    return rc;
}

static void unlink_segment(const char *pdir, int64_t base)
{
    static const char *const exts[] = {"log", "index", "timeindex"};
    for (int e = 0; e < 3; e++) {
        char *f = log_seg_path(pdir, base, exts[e]);
        unlink(f);
        mem_free(f);
    }
}

/* Step 1 for one sealed segment: WEIR_OK if it ends at next_base, else
 * WEIR_DONE with *cut set to its last valid position. */
static int check_sealed(const char *pdir, int64_t base, int64_t next_base, int64_t *cut,
                        struct weir_error *err)
{
    char *path = log_seg_path(pdir, base, "log");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    mem_free(path);
    if (fd < 0)
        return err_set(err, WEIR_ERR_IO, "cannot open segment %lld: %s", (long long)base,
                       strerror(errno));
    struct stat sb;
    fstat(fd, &sb);
    struct log_index_entry *e;
    int n;
    log_index_load(pdir, base, false, sb.st_size, &e, &n);
    struct log_index_entry from = n ? e[n - 1] : (struct log_index_entry){base, 0, 0};
    mem_free(e);
    struct log_scan s;
    int rc = log_segment_scan(fd, from.pos, from.offset, &s, NULL, NULL, err);
    if (rc == WEIR_OK && !(s.valid_pos == sb.st_size && s.next_offset == next_base) &&
        from.pos > 0)
        rc = log_segment_scan(fd, 0, base, &s, NULL, NULL, err);   /* index lied */
    if (rc == WEIR_OK && !(s.valid_pos == sb.st_size && s.next_offset == next_base)) {
        *cut = s.valid_pos;
        if (ftruncate(fd, s.valid_pos) != 0)
            rc = err_set(err, WEIR_ERR_IO, "cannot truncate segment: %s", strerror(errno));
        else
            rc = WEIR_DONE;
    }
    close(fd);
    return rc;
}

/* Steps 1-3 of the header.  The old state is read only for the generation
 * and for the committed offset of a transactional writer: every other field
 * is recomputed from the segments, so a stale or torn state file (power loss)
 * cannot make the log lose or invent records. */
int log_recover(struct log_appender *a, struct log_recovery *rec, struct weir_error *err)
{
    struct log_state old;
    bool have_old = log_state_read(a->state_fd, &old) == WEIR_OK;
    int64_t *bases = NULL;
    int n = 0;
    int rc = log_segments_list(a->pdir, &bases, &n, err);
    if (rc)
        return rc;
    if (n == 0) {
        MEM_GROW(bases, n, 1);
        bases[0] = have_old && old.end_offset > 0 ? old.end_offset : 0;
        n = 1;
        rc = log_segment_open_active(a, bases[0], true, err);
        if (rc)
            goto done;
    } else {
        for (int i = 0; i + 1 < n; i++) {
            int64_t cut = 0;
            rc = check_sealed(a->pdir, bases[i], bases[i + 1], &cut, err);
            if (rc == WEIR_DONE) {
                for (int k = n - 1; k > i; k--) {
                    char *f = log_seg_path(a->pdir, bases[k], "log");
                    struct stat sb;
                    if (stat(f, &sb) == 0)
                        rec->truncated_bytes += sb.st_size;
                    mem_free(f);
                    unlink_segment(a->pdir, bases[k]);
                }
                if (rec->truncated_at_offset < 0)
                    rec->truncated_at_offset = -2;  /* set from the scan below */
                n = i + 1;
                rc = WEIR_OK;
                break;
            }
            if (rc)
                goto done;
        }
        rc = log_segment_open_active(a, bases[n - 1], false, err);
        if (rc)
            goto done;
    }
    int64_t had_cut = rec->truncated_at_offset;
    rec->truncated_at_offset = -1;
    rc = scan_active(a, rec, err);
    if (rc)
        goto done;
    if (had_cut == -2 && rec->truncated_at_offset < 0)
        rec->truncated_at_offset = a->st.end_offset;
    a->st.start_offset = bases[0];
    a->st.durable_offset = a->st.end_offset;
    a->st.committed_offset = a->st.end_offset;
    if (have_old && (old.flags & LOG_APPEND_TRANSACTIONAL) &&
        old.committed_offset < a->st.end_offset) {
        int64_t c = old.committed_offset < a->st.start_offset ? a->st.start_offset
                                                               : old.committed_offset;
        if (a->flags & LOG_APPEND_TRANSACTIONAL) {
            a->st.committed_offset = c;
        } else {
            int64_t before = a->st.end_offset;
            a->st.generation = have_old ? old.generation : 0;
            rc = log_truncate_to(a, c, err);
            if (rc)
                goto done;
            rec->discarded_uncommitted = before - a->st.end_offset;
        }
    }
    a->st.generation = (have_old ? old.generation : 0) + 1;
    a->st.writer_pid = (uint32_t)getpid();
    a->st.flags = (uint32_t)a->flags;
done:
    mem_free(bases);
    return rc;
}

int log_find_boundary(const char *pdir, int64_t offset, int64_t *seg_base,
                      int64_t *pos, struct weir_error *err)
{
    int64_t *bases;
    int n;
    int rc = log_segments_list(pdir, &bases, &n, err);
    if (rc)
        return rc;
    int i = n - 1;
    while (i > 0 && bases[i] > offset)
        i--;
    if (n == 0 || bases[i] > offset) {
        mem_free(bases);
        return err_set(err, WEIR_ERR_CONFIG, "offset %lld is before the log start",
                       (long long)offset);
    }
    *seg_base = bases[i];
    mem_free(bases);
    char *path = log_seg_path(pdir, *seg_base, "log");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    mem_free(path);
    if (fd < 0)
        return err_set(err, WEIR_ERR_IO, "cannot open segment: %s", strerror(errno));
    struct stat sb;
    fstat(fd, &sb);
    struct log_index_entry *e;
    int ne;
    log_index_load(pdir, *seg_base, false, sb.st_size, &e, &ne);
    struct log_index_entry from = log_index_floor_offset(e, ne, *seg_base, offset);
    mem_free(e);
    /* walk batch headers forward to the one that starts at offset */
    int64_t p = from.pos, o = from.offset;
    rc = WEIR_ERR_CONFIG;
    while (o <= offset) {
        if (o == offset) {
            *pos = p;
            rc = WEIR_OK;
            break;
        }
        uint8_t h[LOG_BATCH_HDR];
        if (log_pread_full(fd, h, sizeof h, p) != LOG_BATCH_HDR ||
            log_get32(h) != LOG_BATCH_MAGIC)
            break;
        p += log_get32(h + 4);
        o += log_get32(h + 12);
    }
    close(fd);
    if (rc)
        return err_set(err, WEIR_ERR_CONFIG, "offset %lld is not the end of a batch "
                       "(only a whole batch can be committed or truncated)",
                       (long long)offset);
    return WEIR_OK;
}

/* Used by log_abort and by recovery's discard of an unfinished transaction:
 * drops the segments after the one holding `offset`, cuts that one at the
 * batch boundary, rebuilds its indexes and bumps the generation so readers
 * drop whatever they buffered past the new end.  The caller publishes. */
int log_truncate_to(struct log_appender *a, int64_t offset, struct weir_error *err)
{
    if (offset >= a->st.end_offset)
        return WEIR_OK;
    int64_t base, pos;
    int rc = log_find_boundary(a->pdir, offset, &base, &pos, err);
    if (rc)
        return rc;
    int64_t *bases;
    int n;
    rc = log_segments_list(a->pdir, &bases, &n, err);
    if (rc)
        return rc;
    for (int k = n - 1; k >= 0 && bases[k] > base; k--)
        unlink_segment(a->pdir, bases[k]);
    mem_free(bases);
    rc = log_segment_open_active(a, base, false, err);
    if (rc == WEIR_OK && ftruncate(a->seg_fd, pos) != 0)
        rc = err_set(err, WEIR_ERR_IO, "cannot truncate segment: %s", strerror(errno));
    struct log_recovery rec = {0, -1, 0, 0};
    if (rc == WEIR_OK)
        rc = scan_active(a, &rec, err);     /* rebuilds indexes, syncs */
    if (rc)
        return rc;
    a->st.end_offset = offset;
    if (a->st.committed_offset > offset)
        a->st.committed_offset = offset;
    a->st.durable_offset = offset;
    a->st.generation++;
    return WEIR_OK;
}
