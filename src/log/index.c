/*
 * index.c — the two sparse indexes of a segment, and lookups in them.
 *
 * FORMAT
 * ======
 * <base>.index holds 8-byte entries {u32 offset - base, u32 file position},
 * one for a batch start whenever at least index_interval_bytes were written
 * since the previous entry (and always for the segment's first batch).
 * <base>.timeindex holds 16-byte entries {i64 max timestamp, u32 offset -
 * base, u32 position}: the timestamp is the largest one in the segment up to
 * and including the batch at that position; an entry is added when that
 * maximum grows and index_interval_bytes passed, and always when the segment
 * is sealed (so its last entry carries the segment's largest timestamp, which
 * retention by age reads).  Little-endian, no header.
 *
 * The indexes are hints, never the truth: a lookup finds the largest entry at
 * or before the target and the reader scans batches forward from there, so a
 * missing entry only costs a longer scan.  A torn last entry (file size not a
 * multiple of the entry size), entries out of order or pointing past the end
 * of the log are dropped on load; the writer rewrites the active segment's
 * indexes from its scan when it opens the partition (recover.c).
 */
#include "core/mem.h"
#include "log/log_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int log_index_load(const char *pdir, int64_t base, bool time, int64_t max_pos,
                   struct log_index_entry **e, int *n)
{
    *e = NULL;
    *n = 0;
    char *path = log_seg_path(pdir, base, time ? "timeindex" : "index");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    mem_free(path);
    if (fd < 0)
        return WEIR_OK;             /* no index: scan from the segment start */
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return WEIR_OK;
    }
    size_t esz = time ? LOG_TIMEIDX_ENTRY : LOG_OFFIDX_ENTRY;
    size_t cnt = (size_t)sb.st_size / esz;
    if (cnt == 0) {
        close(fd);
        return WEIR_OK;
    }
    uint8_t *raw = mem_alloc(cnt * esz);
    ssize_t got = log_pread_full(fd, raw, cnt * esz, 0);
    close(fd);
    if (got < 0)
        got = 0;
    cnt = (size_t)got / esz;
    *e = mem_alloc((cnt ? cnt : 1) * sizeof(**e));
    int k = 0;
    for (size_t i = 0; i < cnt; i++) {
        const uint8_t *p = raw + i * esz;
        struct log_index_entry x;
        if (time) {
            x.timestamp = (int64_t)log_get64(p);
            x.offset = base + log_get32(p + 8);
            x.pos = log_get32(p + 12);
        } else {
            x.timestamp = 0;
            x.offset = base + log_get32(p);
            x.pos = log_get32(p + 4);
        }
        if (x.pos >= max_pos)
            break;
        if (k > 0 && (x.offset < (*e)[k - 1].offset || x.pos < (*e)[k - 1].pos ||
                      (time && x.timestamp < (*e)[k - 1].timestamp)))
            break;
        (*e)[k++] = x;
    }
    mem_free(raw);
    *n = k;
    return WEIR_OK;
}

struct log_index_entry log_index_floor_offset(const struct log_index_entry *e,
                                              int n, int64_t base, int64_t target)
{
    struct log_index_entry r = {base, 0, 0};
    int lo = 0, hi = n - 1;
    while (lo <= hi) {              /* last entry with offset <= target */
        int mid = lo + (hi - lo) / 2;
        if (e[mid].offset <= target) {
            r = e[mid];
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return r;
}

struct log_index_entry log_index_floor_time(const struct log_index_entry *e,
                                            int n, int64_t base, int64_t ts)
{
    /* Every record before the batch of the last entry with timestamp < ts
     * (and in that batch) is older than ts, so the first record >= ts is at
     * or after that entry.  Timestamps in the entries never decrease. */
    struct log_index_entry r = {base, 0, 0};
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (e[mid].timestamp < ts) {
            r = e[mid];
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return r;
}

int log_index_append(int fd, int64_t base, bool time,
                     const struct log_index_entry *e, struct weir_error *err)
{
    uint8_t b[LOG_TIMEIDX_ENTRY];
    size_t n;
    if (time) {
        log_put64(b, (uint64_t)e->timestamp);
        log_put32(b + 8, (uint32_t)(e->offset - base));
        log_put32(b + 12, (uint32_t)e->pos);
        n = LOG_TIMEIDX_ENTRY;
    } else {
        log_put32(b, (uint32_t)(e->offset - base));
        log_put32(b + 4, (uint32_t)e->pos);
        n = LOG_OFFIDX_ENTRY;
    }
    ssize_t w;
    do
        w = write(fd, b, n);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)n)
        return err_set(err, WEIR_ERR_IO, "cannot write %s index: %s",
                       time ? "time" : "offset", w < 0 ? strerror(errno) : "short write");
    return WEIR_OK;
}
