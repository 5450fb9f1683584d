/*
 * log_int.h — internals of src/log shared by its files and its unit tests;
 * the rest of weir includes only log/log.h.
 *
 * Layout of a data directory:
 *   DIR/topics/T/topic.conf           key=value text (topic.c)
 *   DIR/topics/T/p<N>/lock            the writer's flock target, holds its pid
 *   DIR/topics/T/p<N>/state           64-byte published state (topic.c)
 *   DIR/topics/T/p<N>/<base>.log      segment: record batches (segment.c)
 *   DIR/topics/T/p<N>/<base>.index    offset index (index.c)
 *   DIR/topics/T/p<N>/<base>.timeindex  time index (index.c)
 *   DIR/groups/G/T/<N>.offset         a group's committed offset (group.c)
 * <base> is the segment's first offset as 20 decimal digits.
 */
#ifndef WEIR_LOG_INT_H
#define WEIR_LOG_INT_H

#include "core/strbuf.h"
#include "core/crc32c.h"
#include "log/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

/* ---- os layer: tests swap these to inject short writes and crashes -------- */

struct log_os {
    ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t off);
    int (*fdatasync)(int fd);
};
extern struct log_os log_os;

/* ---- little helpers ------------------------------------------------------- */

int64_t log_now_ms(void);

static inline void log_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void log_put64(uint8_t *p, uint64_t v)
{
    log_put32(p, (uint32_t)v);
    log_put32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t log_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline uint64_t log_get64(const uint8_t *p)
{
    return (uint64_t)log_get32(p) | (uint64_t)log_get32(p + 4) << 32;
}

/* Writes all n bytes at off through log_os (retrying short writes). */
int log_pwrite_all(int fd, const void *buf, size_t n, off_t off, const char *what,
                   struct weir_error *err);
/* Reads up to n bytes at off; returns bytes read or -1 (errno). */
ssize_t log_pread_full(int fd, void *buf, size_t n, off_t off);

/* Paths (caller frees with mem_free). */
char *log_topic_path(const char *dir, const char *topic);
char *log_part_path(const char *dir, const char *topic, int partition);
char *log_seg_path(const char *pdir, int64_t base, const char *ext);

/* Segment bases in a partition directory, ascending; caller frees *bases. */
int log_segments_list(const char *pdir, int64_t **bases, int *n,
                      struct weir_error *err);

/* ---- record batches (segment.c) ------------------------------------------- */

#define LOG_BATCH_MAGIC 0x31424c57u   /* "WLB1" little-endian */
#define LOG_BATCH_HDR 48

struct log_batch_hdr {
    uint32_t len;               /* whole batch, header included */
    uint32_t crc;               /* crc32c of bytes [12, len) */
    uint32_t n_records;
    int64_t base_offset;
    int64_t base_timestamp;
    int64_t max_timestamp;
    uint32_t flags;
};

/* Encodes recs as one batch at the end of out; returns its length. */
size_t log_batch_encode(struct strbuf *out, const struct log_record *recs, int n,
                        int64_t base_offset, int64_t now_ms);
/* Checks the batch at p (avail bytes there): WEIR_OK and *h filled;
 * WEIR_AGAIN when fewer than its length are available; WEIR_ERR_CORRUPT when
 * magic, length, checksum or (expect_base >= 0) base offset are wrong.
 * verify_crc false skips the checksum (the header is still checked). */
int log_batch_check(const uint8_t *p, size_t avail, int64_t expect_base,
                    bool verify_crc, struct log_batch_hdr *h);
/* Decodes the records of a checked batch into out[0 .. h->n_records);
 * headers go to *hdrs (grown as needed, capacity *hdr_cap).  Pointers point
 * into p.  WEIR_ERR_CORRUPT if a record is malformed. */
int log_batch_decode(const uint8_t *p, const struct log_batch_hdr *h,
                     struct log_record *out, struct log_header **hdrs,
                     int *hdr_cap);

/* Result of scanning a segment file for valid batches. */
struct log_scan {
    int64_t valid_pos;          /* file position after the last valid batch */
    int64_t next_offset;        /* offset after the last valid batch */
    int64_t max_timestamp;      /* largest timestamp seen, INT64_MIN if none */
    int64_t file_size;
    int64_t n_batches;
};
/* Callback per valid batch (pos = its file position). */
typedef int (*log_scan_fn)(void *ctx, int64_t pos, const struct log_batch_hdr *h);
/* Scans fd from pos (whose first batch must start at offset `offset`) to the
 * first invalid or incomplete batch. */
int log_segment_scan(int fd, int64_t pos, int64_t offset, struct log_scan *s,
                     log_scan_fn fn, void *ctx, struct weir_error *err);

/* ---- indexes (index.c) ---------------------------------------------------- */

#define LOG_OFFIDX_ENTRY 8          /* u32 relative offset, u32 position */
#define LOG_TIMEIDX_ENTRY 16        /* i64 max timestamp, u32 rel off, u32 pos */

struct log_index_entry {
    int64_t offset;             /* absolute offset of a batch start */
    int64_t pos;                /* its file position */
    int64_t timestamp;          /* time index only: max timestamp so far */
};

/* Loads a segment's offset or time index (time = true), dropping a torn last
 * entry and any entry past max_pos; caller frees *e. */
int log_index_load(const char *pdir, int64_t base, bool time, int64_t max_pos,
                   struct log_index_entry **e, int *n);
/* Largest entry with offset <= target (or {base, 0}). */
struct log_index_entry log_index_floor_offset(const struct log_index_entry *e,
                                              int n, int64_t base, int64_t target);
/* Last entry with timestamp < ts (or {base, 0}). */
struct log_index_entry log_index_floor_time(const struct log_index_entry *e,
                                            int n, int64_t base, int64_t ts);
/* Appends one entry to an index file opened with O_APPEND. */
int log_index_append(int fd, int64_t base, bool time,
                     const struct log_index_entry *e, struct weir_error *err);

/* ---- published partition state (topic.c) ---------------------------------- */

#define LOG_STATE_SIZE 64
#define LOG_STATE_MAGIC 0x54534c57u   /* "WLST" */

struct log_state {
    uint64_t generation;        /* bumped by each writer open and truncation */
    int64_t start_offset;
    int64_t end_offset;
    int64_t committed_offset;
    int64_t durable_offset;
    uint32_t writer_pid;
    uint32_t flags;             /* LOG_APPEND_TRANSACTIONAL of the last writer */
};
/* WEIR_OK, WEIR_DONE if the file is empty (never written), WEIR_ERR_CORRUPT
 * if the checksum does not match (retry: a write may be in progress). */
int log_state_read(int fd, struct log_state *st);
int log_state_write(int fd, const struct log_state *st, struct weir_error *err);
/* Reads a state, retrying a torn read a few times. */
int log_state_read_retry(int fd, struct log_state *st, struct weir_error *err);

/* ---- the appender (append.c, recover.c) ----------------------------------- */

struct log_appender {
    char *dir, *topic, *pdir;   /* owned */
    int partition;
    int flags;                  /* enum log_append_flags */
    struct log_topic_config cfg;
    int lock_fd;                /* flock held while open */
    int state_fd;
    int seg_fd, idx_fd, tidx_fd;    /* active segment files */
    int64_t seg_base;           /* active segment's base offset */
    int64_t seg_size;           /* its size in bytes */
    int64_t seg_max_ts;         /* its largest timestamp */
    int64_t last_idx_pos;       /* position of the last offset-index entry */
    int64_t last_tidx_ts;       /* last time-index timestamp, INT64_MIN none */
    int64_t last_tidx_pos;
    int64_t last_batch_pos;     /* position and base offset of the last batch */
    int64_t last_batch_offset;  /*   in the active segment, -1 if empty */
    struct log_state st;        /* what is published (end, committed, ...) */
    struct strbuf buf;          /* batch encoding buffer */
    struct strbuf oi, ti;       /* index entries due, written after a batch */
    /* interval flusher */
    pthread_t flusher;
    bool flusher_on;
    bool stop;                  /* @locks mu */
    pthread_mutex_t mu;         /* durable offset, seg_fd swaps, stop */
    pthread_cond_t cv;
};

/* recover.c: repairs the partition behind a freshly locked appender and sets
 * a->st, the active segment files and rec. */
int log_recover(struct log_appender *a, struct log_recovery *rec,
                struct weir_error *err);
/* Truncates the partition to `offset` (dropping later segments). */
int log_truncate_to(struct log_appender *a, int64_t offset, struct weir_error *err);
/* Opens (creating) the segment files of base into a's active fields. */
int log_segment_open_active(struct log_appender *a, int64_t base, bool create,
                            struct weir_error *err);
void log_segment_close_active(struct log_appender *a);
/* Index policy: appends to oi/ti the entries due for the batch h at pos
 * (and updates a's index cursors).  Used by append and by recovery. */
void log_index_note(struct log_appender *a, int64_t pos, const struct log_batch_hdr *h,
                    struct strbuf *oi, struct strbuf *ti);
/* Writes the final time-index entry of the active segment (before a roll). */
int log_seal_active(struct log_appender *a, struct weir_error *err);
/* Finds the file position of a batch boundary `offset` in the partition
 * (seg_base = its segment); WEIR_ERR_CONFIG if offset is inside a batch. */
int log_find_boundary(const char *pdir, int64_t offset, int64_t *seg_base,
                      int64_t *pos, struct weir_error *err);

/* topic.c */
int log_lock_partition(const char *pdir, const char *topic, int p, int *fd,
                       struct weir_error *err);
int log_list_dir(const char *path, const char *must_have, char ***names, int *n,
                 struct weir_error *err);

/* Publishes a->st to the state file (the inotify doorbell for readers). */
int log_publish(struct log_appender *a, struct weir_error *err);

#endif
