/*
 * segment.c — the segment file format: record batches, how they are encoded,
 * checked and scanned.  The writer (append.c), recovery (recover.c) and the
 * reader (read.c) all go through here.
 *
 * FORMAT
 * ======
 * A partition's records live in segment files named <base>.log, where <base>
 * is the offset of the segment's first record as 20 decimal digits.  A
 * segment is a plain concatenation of record batches; there is no file
 * header, so an empty file is a valid empty segment.  Offsets are contiguous:
 * the first batch of a segment starts at <base>, each next batch at the
 * previous base_offset + n_records, and the next segment's base is the end
 * offset of the previous one.  All integers are little-endian.
 *
 *   batch header (48 bytes)
 *     0  u32  magic        0x31424c57 ("WLB1")
 *     4  u32  length       of the whole batch, header included
 *     8  u32  crc          CRC-32C of bytes [12, length)
 *    12  u32  n_records    >= 1
 *    16  i64  base_offset  offset of the first record
 *    24  i64  base_ts      timestamp of the first record (ms since epoch)
 *    32  i64  max_ts       largest timestamp in the batch
 *    40  u32  flags        0 (reserved: compression, control batches)
 *    44  u32  reserved     0
 *   records (n_records of them), each:
 *     varint  length of the rest of the record
 *     varint  zigzag(timestamp - base_ts)
 *     varint  key_len + 1        (0: null key), then the key bytes
 *     varint  value_len + 1      (0: null value), then the value bytes
 *     varint  n_headers, then per header:
 *             varint key_len, key bytes, varint value_len + 1, value bytes
 *   (varint: unsigned LEB128, at most 10 bytes.)
 *   A record's offset is base_offset + its index in the batch.
 *
 * A batch is the unit of atomicity: it is written with one write, it is
 * either wholly valid (magic, sane length, CRC, expected base offset) or it
 * and everything after it is a torn tail.
 *
 * TORN TAILS AND RECOVERY (recover.c)
 * ===================================
 * A crash can leave a prefix of the last batch (or, after a power loss with
 * the "os" durability, any unsynced suffix).  When a writer opens a partition
 * it scans the active segment from its start, batch by batch, and stops at the
 * first batch that is incomplete, has a bad magic or length, a CRC mismatch or
 * an unexpected base offset; the file is truncated there and its indexes are
 * rebuilt from the scan.  The tail of every sealed segment is checked too
 * (from its last offset-index entry), and if one is torn it is truncated and
 * all later segments are removed, so the log stays contiguous.  Nothing
 * acknowledged as durable can be lost this way: a durable batch was fully
 * written and synced before the acknowledgement, so it is valid and every
 * batch before it is valid too.  Readers never see a torn batch either: they
 * read only below the end offset published in the state file, which the
 * writer updates after the batch is written (topic.c).
 */
#include "core/mem.h"
#include "core/varint.h"
#include "log/log_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static ssize_t os_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return pwrite(fd, buf, n, off);
}
static int os_fdatasync(int fd) { return fdatasync(fd); }
struct log_os log_os = {os_pwrite, os_fdatasync};

int64_t log_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int log_pwrite_all(int fd, const void *buf, size_t n, off_t off, const char *what,
                   struct weir_error *err)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = log_os.pwrite(fd, p, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return err_set(err, WEIR_ERR_IO, "cannot write %s: %s", what,
                           w < 0 ? strerror(errno) : "no space written");
        p += w;
        off += w;
        n -= (size_t)w;
    }
    return WEIR_OK;
}

ssize_t log_pread_full(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

char *log_topic_path(const char *dir, const char *topic)
{
    return mem_sprintf("%s/topics/%s", dir, topic);
}

char *log_part_path(const char *dir, const char *topic, int partition)
{
    return mem_sprintf("%s/topics/%s/p%d", dir, topic, partition);
}

char *log_seg_path(const char *pdir, int64_t base, const char *ext)
{
    return mem_sprintf("%s/%020lld.%s", pdir, (long long)base, ext);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int log_segments_list(const char *pdir, int64_t **bases, int *n,
                      struct weir_error *err)
{
    *bases = NULL;
    *n = 0;
    DIR *d = opendir(pdir);
    if (d == NULL)
        return err_set(err, WEIR_ERR_IO, "cannot open partition directory '%s': %s",
                       pdir, strerror(errno));
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *s = de->d_name;
        size_t len = strlen(s);
        if (len != 24 || strcmp(s + 20, ".log") != 0)
            continue;
        int64_t v = 0;
        bool ok = true;
        for (int i = 0; i < 20; i++) {
            if (s[i] < '0' || s[i] > '9') {
                ok = false;
                break;
            }
            v = v * 10 + (s[i] - '0');
        }
        if (!ok)
            continue;
        MEM_GROW(*bases, cap, *n + 1);
        (*bases)[(*n)++] = v;
    }
    closedir(d);
    if (*n > 1)
        qsort(*bases, (size_t)*n, sizeof(int64_t), cmp_i64);
    return WEIR_OK;
}


static inline uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* ---- batches -------------------------------------------------------------------- */

size_t log_batch_encode(struct strbuf *out, const struct log_record *recs, int n,
                        int64_t base_offset, int64_t now_ms)
{
    int64_t base_ts = recs[0].timestamp > 0 ? recs[0].timestamp : now_ms;
    int64_t max_ts = INT64_MIN;
    /* size the buffer once: header + a bound on every record */
    size_t bound = LOG_BATCH_HDR;
    for (int i = 0; i < n; i++) {
        const struct log_record *r = &recs[i];
        bound += 10 * 5 + (r->key_len > 0 ? (size_t)r->key_len : 0) +
                 (r->value_len > 0 ? (size_t)r->value_len : 0);
        for (int h = 0; h < r->n_headers; h++)
            bound += 20 + (size_t)r->headers[h].key_len +
                     (r->headers[h].value_len > 0 ? (size_t)r->headers[h].value_len : 0);
    }
    sb_reserve(out, bound + 1);
    size_t start = out->len;
    uint8_t *b = (uint8_t *)out->buf + start;
    uint8_t *p = b + LOG_BATCH_HDR;
    for (int i = 0; i < n; i++) {
        const struct log_record *r = &recs[i];
        int64_t ts = r->timestamp > 0 ? r->timestamp : now_ms;
        if (ts > max_ts)
            max_ts = ts;
        uint64_t zts = zigzag(ts - base_ts);
        uint64_t kl = r->key == NULL || r->key_len < 0 ? 0 : (uint64_t)r->key_len + 1;
        uint64_t vl = r->value == NULL || r->value_len < 0 ? 0 : (uint64_t)r->value_len + 1;
        size_t body = varint_len(zts) + varint_len(kl) + (kl ? kl - 1 : 0) +
                      varint_len(vl) + (vl ? vl - 1 : 0) +
                      varint_len((uint64_t)r->n_headers);
        for (int h = 0; h < r->n_headers; h++) {
            const struct log_header *hd = &r->headers[h];
            uint64_t hv = hd->value == NULL || hd->value_len < 0 ? 0
                                                                 : (uint64_t)hd->value_len + 1;
            body += varint_len((uint64_t)hd->key_len) + (size_t)hd->key_len +
                    varint_len(hv) + (hv ? hv - 1 : 0);
        }
        p = varint_put(p, body);
        p = varint_put(p, zts);
        p = varint_put(p, kl);
        if (kl > 1) {
            memcpy(p, r->key, kl - 1);
            p += kl - 1;
        }
        p = varint_put(p, vl);
        if (vl > 1) {
            memcpy(p, r->value, vl - 1);
            p += vl - 1;
        }
        p = varint_put(p, (uint64_t)r->n_headers);
        for (int h = 0; h < r->n_headers; h++) {
            const struct log_header *hd = &r->headers[h];
            uint64_t hv = hd->value == NULL || hd->value_len < 0 ? 0
                                                                 : (uint64_t)hd->value_len + 1;
            p = varint_put(p, (uint64_t)hd->key_len);
            memcpy(p, hd->key, (size_t)hd->key_len);
            p += hd->key_len;
            p = varint_put(p, hv);
            if (hv > 1) {
                memcpy(p, hd->value, hv - 1);
                p += hv - 1;
            }
        }
    }
    size_t len = (size_t)(p - b);
    log_put32(b, LOG_BATCH_MAGIC);
    log_put32(b + 4, (uint32_t)len);
    log_put32(b + 12, (uint32_t)n);
    log_put64(b + 16, (uint64_t)base_offset);
    log_put64(b + 24, (uint64_t)base_ts);
    log_put64(b + 32, (uint64_t)max_ts);
    log_put32(b + 40, 0);
    log_put32(b + 44, 0);
    log_put32(b + 8, crc32c(0, b + 12, len - 12));
    out->len += len;
    out->buf[out->len] = '\0';
    return len;
}

int log_batch_check(const uint8_t *p, size_t avail, int64_t expect_base,
                    bool verify_crc, struct log_batch_hdr *h)
{
    if (avail < LOG_BATCH_HDR)
        return WEIR_AGAIN;
    if (log_get32(p) != LOG_BATCH_MAGIC)
        return WEIR_ERR_CORRUPT;
    h->len = log_get32(p + 4);
    h->crc = log_get32(p + 8);
    h->n_records = log_get32(p + 12);
    h->base_offset = (int64_t)log_get64(p + 16);
    h->base_timestamp = (int64_t)log_get64(p + 24);
    h->max_timestamp = (int64_t)log_get64(p + 32);
    h->flags = log_get32(p + 40);
    if (h->len < LOG_BATCH_HDR + 4 || h->len > LOG_MAX_BATCH_BYTES ||
        h->n_records == 0 || h->n_records > h->len ||
        (expect_base >= 0 && h->base_offset != expect_base))
        return WEIR_ERR_CORRUPT;
    if (avail < h->len)
        return WEIR_AGAIN;
    if (verify_crc && crc32c(0, p + 12, h->len - 12) != h->crc)
        return WEIR_ERR_CORRUPT;
    return WEIR_OK;
}

int log_batch_decode(const uint8_t *p, const struct log_batch_hdr *h,
                     struct log_record *out, struct log_header **hdrs, int *hdr_cap)
{
    const uint8_t *q = p + LOG_BATCH_HDR, *end = p + h->len;
    int n_hdr = 0;
    for (uint32_t i = 0; i < h->n_records; i++) {
        struct log_record *r = &out[i];
        uint64_t body, zts, kl, vl, nh;
        if (!varint_get_bounded(&q, end, &body) || body > (uint64_t)(end - q))
            return WEIR_ERR_CORRUPT;
        const uint8_t *rend = q + body;
        if (!varint_get_bounded(&q, rend, &zts) || !varint_get_bounded(&q, rend, &kl) ||
            kl > (uint64_t)(rend - q) + 1)
            return WEIR_ERR_CORRUPT;
        r->offset = h->base_offset + (int64_t)i;
        r->timestamp = h->base_timestamp + unzigzag(zts);
        r->key = kl ? q : NULL;
        r->key_len = (int32_t)kl - 1;
        q += kl ? kl - 1 : 0;
        if (!varint_get_bounded(&q, rend, &vl) || vl > (uint64_t)(rend - q) + 1)
            return WEIR_ERR_CORRUPT;
        r->value = vl ? q : NULL;
        r->value_len = (int32_t)vl - 1;
        q += vl ? vl - 1 : 0;
        if (!varint_get_bounded(&q, rend, &nh) || nh > body)
            return WEIR_ERR_CORRUPT;
        r->n_headers = (int32_t)nh;
        r->headers = NULL;
        if (nh > 0) {
            MEM_GROW(*hdrs, *hdr_cap, n_hdr + (int)nh);
            for (uint64_t k = 0; k < nh; k++) {
                struct log_header *hd = &(*hdrs)[n_hdr + (int)k];
                uint64_t hk, hv;
                if (!varint_get_bounded(&q, rend, &hk) || hk > (uint64_t)(rend - q))
                    return WEIR_ERR_CORRUPT;
                hd->key = (const char *)q;
                hd->key_len = (int32_t)hk;
                q += hk;
                if (!varint_get_bounded(&q, rend, &hv) || hv > (uint64_t)(rend - q) + 1)
                    return WEIR_ERR_CORRUPT;
                hd->value = hv ? q : NULL;
                hd->value_len = (int32_t)hv - 1;
                q += hv ? hv - 1 : 0;
            }
            /* pointers into *hdrs are fixed up below, after the last grow */
            r->headers = (const struct log_header *)(intptr_t)(n_hdr + 1);
            n_hdr += (int)nh;
        }
        if (q != rend)
            return WEIR_ERR_CORRUPT;
    }
    if (q != end)
        return WEIR_ERR_CORRUPT;
    if (n_hdr > 0)
        for (uint32_t i = 0; i < h->n_records; i++)
            if (out[i].headers != NULL)
                out[i].headers = *hdrs + ((intptr_t)out[i].headers - 1);
    return WEIR_OK;
}

/* ---- scanning ------------------------------------------------------------------- */

int log_segment_scan(int fd, int64_t pos, int64_t offset, struct log_scan *s,
                     log_scan_fn fn, void *ctx, struct weir_error *err)
{
    s->valid_pos = pos;
    s->next_offset = offset;
    s->max_timestamp = INT64_MIN;
    s->n_batches = 0;
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0)
        return err_set(err, WEIR_ERR_IO, "cannot size segment: %s", strerror(errno));
    s->file_size = size;
    size_t cap = 1 << 20;
    uint8_t *buf = mem_alloc(cap);
    size_t have = 0, at = 0;        /* bytes in buf, consumed */
    int64_t buf_pos = pos;          /* file position of buf[0] */
    int rc = WEIR_OK;
    for (;;) {
        struct log_batch_hdr h;
        int c = log_batch_check(buf + at, have - at, s->next_offset, true, &h);
        if (c == WEIR_AGAIN) {
            /* need more bytes: slide and refill (growing for a big batch) */
            memmove(buf, buf + at, have - at);
            buf_pos += (int64_t)at;
            have -= at;
            at = 0;
            if (have >= LOG_BATCH_HDR) {
                uint32_t len = log_get32(buf + 4);
                if (len > cap && len <= LOG_MAX_BATCH_BYTES) {
                    cap = len;
                    buf = mem_realloc(buf, cap);
                }
            }
            if (buf_pos + (int64_t)have >= size)
                break;                          /* incomplete at end of file */
            ssize_t r = log_pread_full(fd, buf + have, cap - have,
                                       (off_t)(buf_pos + (int64_t)have));
            if (r < 0) {
                rc = err_set(err, WEIR_ERR_IO, "cannot read segment: %s", strerror(errno));
                break;
            }
            if (r == 0)
                break;
            have += (size_t)r;
            continue;
        }
        if (c != WEIR_OK)
            break;                              /* torn or corrupt */
        if (fn) {
            rc = fn(ctx, buf_pos + (int64_t)at, &h);
            if (rc)
                break;
        }
        at += h.len;
        s->valid_pos = buf_pos + (int64_t)at;
        s->next_offset = h.base_offset + h.n_records;
        if (h.max_timestamp > s->max_timestamp)
            s->max_timestamp = h.max_timestamp;
        s->n_batches++;
    }
    mem_free(buf);
    return rc;
}
