/*
 * fs_source.c — the filesystem source: reads a file, or every file under a
 * directory, line by line, decoding each line with the table's format.
 *
 * Files: a directory is walked recursively; names starting with '.' or '_' are
 * skipped (hidden, or in-progress/_SUCCESS files of a sink, as in Flink); files
 * are read in name order.  With parallelism P a file belongs to subtask
 * hash(path) mod P, which stays stable when new files appear.  With
 * 'source.monitor-interval' the source never ends: it rescans that often and
 * reads each new file once.
 *
 * Bytes: a regular file is mapped (mmap, MAP_PRIVATE | MAP_POPULATE,
 * read-only, MADV_SEQUENTIAL) in windows of FS_MAP_WINDOW bytes that advance as lines are
 * consumed, and lines are split and decoded straight from the mapping: no copy
 * from the page cache (read(2)'s copy was 8-18% of a stateless job).  Only
 * what fstat reports is mapped; at the end of a window the file is fstat'ed
 * again, so a file that grows while it is read (monitored directories) is
 * followed exactly as read(2) would.  A line longer than a window gets a
 * larger window.  Anything else (pipes, FIFOs, character devices), or a
 * failed mmap, uses read(2) into a buffer of at least 1 MiB (grown for longer
 * lines).  Residual risk: a file truncated by another process while it is
 * mapped makes the next access past its new end raise SIGBUS, which is not
 * handled (like Flink's filesystem source, the connector assumes files are
 * not rewritten in place; appending is fine).  Peak RSS counts the mapped
 * pages touched, so a window is 16 MiB, not more.  Line ends are found 64
 * bytes at a time (struct nl_scan).
 *
 * Lines: '\n' ends a line, a trailing '\r' is dropped, the last line needs no '\n',
 * empty lines are skipped.  A line that does not decode goes to the dead-letter
 * output with position "<path>:<line>:<byte offset of the line>" and is counted
 * in metrics.dead_letters; the job goes on.  A line of a changelog format
 * (debezium-json, canal-json) may hold several rows: when they do not fit in
 * what is left of the batch, the poll ends before that line and the next one
 * starts with it, so a line's rows never straddle a checkpoint.
 *
 * Position (checkpoint text), one item per line:
 *   v1
 *   cur <byte offset> <line number> <path>      (each partially read file)
 *   done <path>                                 (each finished file)
 * The offset is the first byte after the last line poll consumed (turned into
 * a row, dead-lettered or skipped as empty); bytes read ahead into the buffer
 * or window do not count.  '%', '\n' and '\r' in a path are written %25,
 * %0A, %0D.  A subtask is usually reading one file, but after a restore with
 * another parallelism it may own several partially read ones (a "cur" each).
 *
 * Restore (seek) merges the positions of every old subtask: the finished files
 * and the partially read files this subtask owns now (hash(path) mod its P);
 * the partially read ones are resumed at their offsets first (in name order),
 * then every other owned file that is not finished is read from its start.
 * Each file is owned by exactly one subtask under any parallelism, so each
 * goes on from the one old position that mentions it.
 */
#include <ctype.h>
#include <dirent.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "connectors/filesystem/fs.h"
#include "connectors/position.h"
#include "core/mem.h"
#include "exec/deadletter.h"
#include "formats/format.h"

#define FS_BUF_MIN (1 << 20)
/* Bytes mapped at a time (a multiple of the page size).  Mapped pages that
 * were touched count in the peak RSS, which must stay well under 64 MiB. */
#define FS_MAP_WINDOW ((size_t)16 << 20)

/* A file to read: from its start, or (restored) from a partial read. */
struct fs_split {
    char *path;
    int64_t off, line;              /* where to start, lines before it */
};

struct fs_source {
    struct source base;
    struct decoder *dec;
    /* dec->ops->decode, loaded once: one indirect call per line instead of a
     * chain of loads (the per-line path is most of the time outside decode) */
    int (*decode)(struct decoder *d, const char *rec, size_t len, struct batch *b,
                  int row, bool *lossy, struct weir_error *err);
    /* dec->ops->decode_rows: set (and decode NULL) for a changelog format */
    int (*decode_rows)(struct decoder *d, const char *rec, size_t len, struct batch *b,
                       int row, int *n_rows, bool *lossy, struct weir_error *err);
    /* Handed to every decode.  Zero except while a failure is reported: it is
     * cleared after each failure, so the success path never initialises or
     * frees an error (that was ~3% of a NDJSON run). */
    struct weir_error err;
    char *root;                     /* 'path' */
    int64_t monitor_ms;             /* 0 = bounded */
    int64_t next_scan_ms;           /* monotonic ms of the next rescan */
    /* files: queue to read (resumed ones first, then by name), set of
     * finished ones */
    struct fs_split *queue;
    int n_queue, cap_queue, q_next;
    char **done;
    int n_done, cap_done;
    /* the current file */
    int fd;                         /* -1 = none */
    char *cur;                      /* its path */
    int64_t cur_size, cur_mtime_ms;
    int64_t buf_off;                /* file offset of data[0] */
    int64_t line_no;                /* lines consumed in the current file */
    bool eof;
    /* unread bytes are data[pos..len): buf (read mode) or the mapping */
    const char *data;
    size_t pos, len;
    char *buf;                      /* read mode: the buffer */
    size_t cap;
    /* map mode: the current window, [buf_off, buf_off + map_len) of the file;
     * buf_off is page-aligned there */
    bool mapped;                    /* the current file is read by mmap */
    void *map;                      /* NULL = no window */
    size_t map_len;
    /* metadata columns: index per key, -1 if not produced */
    int md_path, md_name, md_size, md_mtime;
    bool has_metadata;              /* any of them >= 0 */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t path_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static bool is_done(const struct fs_source *fs, const char *path)
{
    for (int i = 0; i < fs->n_done; i++)
        if (strcmp(fs->done[i], path) == 0)
            return true;
    return false;
}

static bool is_queued(const struct fs_source *fs, const char *path)
{
    for (int i = fs->q_next; i < fs->n_queue; i++)
        if (strcmp(fs->queue[i].path, path) == 0)
            return true;
    return fs->cur && strcmp(fs->cur, path) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects regular files under path into *v (recursively, hidden skipped). */
static int walk(const char *path, char ***v, int *n, int *cap, struct weir_error *err)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return err_set(err, WEIR_ERR_IO, "cannot read directory '%s': %s", path,
                       strerror(errno));
    struct dirent *e;
    int rc = WEIR_OK;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_')
            continue;
        char *p = mem_sprintf("%s%s%s", path,
                              path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
        struct stat st;
        if (stat(p, &st) != 0) {
            mem_free(p);
            continue;       /* vanished meanwhile */
        }
        if (S_ISDIR(st.st_mode)) {
            rc = walk(p, v, n, cap, err);
            mem_free(p);
            if (rc != WEIR_OK)
                break;
        } else if (S_ISREG(st.st_mode)) {
            MEM_GROW(*v, *cap, *n + 1);
            (*v)[(*n)++] = p;
        } else {
            mem_free(p);
        }
    }
    closedir(d);
    return rc;
}

static bool owns(const struct fs_source *fs, const char *path)
{
    const struct table_ctx *t = fs->base.table;
    int P = t->parallelism > 0 ? t->parallelism : 1;
    return (int)(path_hash(path) % (uint64_t)P) == t->subtask;
}

static void enqueue(struct fs_source *fs, char *path, int64_t off, int64_t line)
{
    MEM_GROW(fs->queue, fs->cap_queue, fs->n_queue + 1);
    fs->queue[fs->n_queue++] = (struct fs_split){path, off, line};
}

/* Finds files not yet seen that belong to this subtask and queues them. */
static int scan(struct fs_source *fs, struct weir_error *err)
{
    const struct table_ctx *t = fs->base.table;
    struct stat st;
    char **found = NULL;
    int n = 0, cap = 0, rc = WEIR_OK;
    if (stat(fs->root, &st) != 0) {
        if (fs->monitor_ms > 0 && errno == ENOENT)
            return WEIR_OK;     /* the directory may appear later */
        return err_set(err, WEIR_ERR_IO, "table '%s': cannot read '%s': %s",
                       t->table_name, fs->root, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        rc = walk(fs->root, &found, &n, &cap, err);
    } else {
        MEM_GROW(found, cap, 1);
        found[n++] = mem_strdup(fs->root);
    }
    qsort(found, (size_t)n, sizeof(char *), cmp_str);
    /* drop consumed queue entries before appending */
    if (fs->q_next > 0) {
        for (int i = 0; i < fs->q_next; i++)
            mem_free(fs->queue[i].path);
        memmove(fs->queue, fs->queue + fs->q_next,
                sizeof(*fs->queue) * (size_t)(fs->n_queue - fs->q_next));
        fs->n_queue -= fs->q_next;
        fs->q_next = 0;
    }
    for (int i = 0; i < n; i++) {
        if (rc == WEIR_OK && owns(fs, found[i]) && !is_done(fs, found[i]) &&
            !is_queued(fs, found[i])) {
            enqueue(fs, found[i], 0, 0);
        } else {
            mem_free(found[i]);
        }
    }
    mem_free(found);
    return rc;
}

static void mark_done(struct fs_source *fs, const char *path)
{
    MEM_GROW(fs->done, fs->cap_done, fs->n_done + 1);
    fs->done[fs->n_done++] = mem_strdup(path);
}

static void unmap_window(struct fs_source *fs)
{
    if (fs->map)
        munmap(fs->map, fs->map_len);
    fs->map = NULL;
    fs->map_len = 0;
}

static void close_cur(struct fs_source *fs, bool finished)
{
    unmap_window(fs);
    fs->mapped = false;
    fs->data = fs->buf;
    if (fs->fd >= 0)
        close(fs->fd);
    fs->fd = -1;
    if (fs->cur && finished)
        mark_done(fs, fs->cur);
    mem_free(fs->cur);
    fs->cur = NULL;
    fs->pos = fs->len = 0;
}

static int open_file(struct fs_source *fs, const char *path, int64_t offset,
                     int64_t line_no, struct weir_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, WEIR_ERR_IO, "table '%s': cannot open '%s': %s",
                       fs->base.table->table_name, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0)
        memset(&st, 0, sizeof(st));
    /* regular files are mapped: nothing to seek, the window starts there */
    bool mapped = S_ISREG(st.st_mode);
    if (!mapped && offset > 0 && lseek(fd, offset, SEEK_SET) < 0) {
        close(fd);
        return err_set(err, WEIR_ERR_IO, "table '%s': cannot seek '%s': %s",
                       fs->base.table->table_name, path, strerror(errno));
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    fs->fd = fd;
    fs->mapped = mapped;
    fs->data = fs->buf;
    fs->cur = mem_strdup(path);
    fs->cur_size = st.st_size;
    fs->cur_mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    fs->buf_off = offset;
    fs->line_no = line_no;
    fs->pos = fs->len = 0;
    fs->eof = false;
    return WEIR_OK;
}

/* Leaves map mode for read(2) at the first unread byte (mmap failed). */
static int map_fallback(struct fs_source *fs, int64_t at, struct weir_error *err)
{
    unmap_window(fs);
    fs->mapped = false;
    fs->data = fs->buf;
    fs->buf_off = at;
    fs->pos = fs->len = 0;
    if (lseek(fs->fd, at, SEEK_SET) < 0)
        return err_set(err, WEIR_ERR_IO, "table '%s': cannot seek '%s': %s",
                       fs->base.table->table_name, fs->cur, strerror(errno));
    return WEIR_OK;
}

/*
 * Map mode's fill: the unread bytes data[pos..len) hold no complete line, so
 * map the next window, from the page holding the first unread byte, over at
 * least FS_MAP_WINDOW bytes and at least twice the unread bytes (a long line
 * gets a larger window), but never past the size fstat reports now.  No new
 * bytes in the file = end of file, as read(2) returning 0.
 */
static int fill_map(struct fs_source *fs, struct weir_error *err)
{
    int64_t at = fs->buf_off + (int64_t)fs->pos;    /* first unread byte */
    int64_t have = fs->buf_off + (int64_t)fs->len;  /* end of what was seen */
    struct stat st;
    if (fstat(fs->fd, &st) != 0)
        return err_set(err, WEIR_ERR_IO, "table '%s': cannot stat '%s': %s",
                       fs->base.table->table_name, fs->cur, strerror(errno));
    int64_t size = st.st_size;
    if (size <= have || size <= at) {
        fs->eof = true;
        return WEIR_OK;
    }
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096;
    int64_t start = at & ~(int64_t)(page - 1);
    size_t want = FS_MAP_WINDOW;
    size_t unread = (size_t)(have > at ? have - at : 0);
    while (want < 2 * unread + page)
        want *= 2;
    size_t len = (int64_t)want < size - start ? want : (size_t)(size - start);
    unmap_window(fs);
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fs->fd, (off_t)start);
    if (m == MAP_FAILED)
        return map_fallback(fs, at, err);
    madvise(m, len, MADV_SEQUENTIAL);
    fs->map = m;
    fs->map_len = len;
    fs->data = m;
    fs->buf_off = start;
    fs->pos = (size_t)(at - start);
    fs->len = len;
    int64_t now_end = start + (int64_t)len;
    if (now_end > have)
        atomic_fetch_add_explicit(&fs->base.metrics.bytes, now_end - (have > at ? have : at),
                                  memory_order_relaxed);
    return WEIR_OK;
}

/* Reads more bytes; keeps the unread tail, grows the buffer when it is full. */
static int fill(struct fs_source *fs, struct weir_error *err)
{
    if (fs->mapped)
        return fill_map(fs, err);
    if (fs->pos > 0) {
        memmove(fs->buf, fs->buf + fs->pos, fs->len - fs->pos);
        fs->buf_off += (int64_t)fs->pos;
        fs->len -= fs->pos;
        fs->pos = 0;
    }
    if (fs->len == fs->cap) {
        fs->cap *= 2;
        fs->buf = mem_realloc(fs->buf, fs->cap);
    }
    for (;;) {
        ssize_t r = read(fs->fd, fs->buf + fs->len, fs->cap - fs->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_set(err, WEIR_ERR_IO, "table '%s': cannot read '%s': %s",
                           fs->base.table->table_name, fs->cur, strerror(errno));
        if (r == 0)
            fs->eof = true;
        fs->len += (size_t)r;
        fs->data = fs->buf;
        atomic_fetch_add_explicit(&fs->base.metrics.bytes, r, memory_order_relaxed);
        return WEIR_OK;
    }
}

static void fill_metadata(struct fs_source *fs, struct batch *out, int row)
{
    if (fs->md_path >= 0)
        vec_set_str(&out->cols[fs->md_path], row, fs->cur, strlen(fs->cur));
    if (fs->md_name >= 0) {
        const char *s = strrchr(fs->cur, '/');
        s = s ? s + 1 : fs->cur;
        vec_set_str(&out->cols[fs->md_name], row, s, strlen(s));
    }
    if (fs->md_size >= 0)
        out->cols[fs->md_size].i64[row] = fs->cur_size;
    if (fs->md_mtime >= 0)
        out->cols[fs->md_mtime].i64[row] = fs->cur_mtime_ms * 1000;
}

/* The slow path of one_line: a line that failed (rc != WEIR_OK) or was kept
 * lossy goes to the dead letters; fs->err is left clear. */
static void dead_letter(struct fs_source *fs, int rc, bool lossy, const char *line,
                        size_t n, int64_t off)
{
    const struct table_ctx *t = fs->base.table;
    if (rc == WEIR_OK && lossy) {
        /* kept with NULLs, but a copy goes to the dead letters */
        err_set(&fs->err, WEIR_ERR_PARSE, "field(s) set to NULL by ignore-parse-errors");
    }
    char pos[64 + 4096];
    snprintf(pos, sizeof(pos), "%s:%lld:%lld", fs->cur, (long long)fs->line_no,
             (long long)off);
    dlq_write(t->dlq, t->table_name, pos,
              fs->err.message ? fs->err.message : "parse error", line, n);
    atomic_fetch_add_explicit(&fs->base.metrics.dead_letters, 1, memory_order_relaxed);
    err_clear(&fs->err);
}

/* one_line for a changelog format: the line's 0..n rows, or -1 when they do
 * not fit in what is left of out (the line is then not consumed). */
static int rows_line(struct fs_source *fs, const char *line, size_t n, int64_t off,
                     struct batch *out)
{
    if (n > 0 && line[n - 1] == '\r')
        n--;
    if (n == 0) {
        fs->line_no++;
        return 0;
    }
    bool lossy = false;
    int row = out->n, got = 0;
    int rc = fs->decode_rows(fs->dec, line, n, out, row, &got, &lossy, &fs->err);
    if (rc == WEIR_AGAIN) {
        err_clear(&fs->err);
        return -1;
    }
    fs->line_no++;
    if (rc != WEIR_OK || lossy)
        dead_letter(fs, rc, lossy, line, n, off);
    else
        err_clear(&fs->err);
    if (rc != WEIR_OK)
        return 0;
    if (fs->has_metadata)
        for (int i = 0; i < got; i++)
            fill_metadata(fs, out, row + i);
    out->n += got;
    return got;
}

/* Decodes one line into the next row of out (or dead-letters it).  Returns 1
 * if a row was added (the caller counts rows per batch: one atomic add per
 * poll instead of one per row); a changelog format's line may add several,
 * or return -1: it needs a batch of its own (see rows_line). */
static inline int one_line(struct fs_source *fs, const char *line, size_t n, int64_t off,
                           struct batch *out)
{
    if (__builtin_expect(fs->decode_rows != NULL, 0))
        return rows_line(fs, line, n, off, out);
    fs->line_no++;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    if (n == 0)
        return 0;
    bool lossy = false;
    int row = out->n;
    int rc = fs->decode(fs->dec, line, n, out, row, &lossy, &fs->err);
    if (__builtin_expect(rc != WEIR_OK || lossy || fs->err.code != 0, 0)) {
        if (rc == WEIR_DONE) {
            err_clear(&fs->err);
            return 0;
        }
        if (rc != WEIR_OK || lossy)
            dead_letter(fs, rc, lossy, line, n, off);
        else
            err_clear(&fs->err);    /* a decoder noted something but succeeded */
        if (rc != WEIR_OK)
            return 0;
    }
    if (fs->has_metadata)
        fill_metadata(fs, out, row);
    out->n++;
    return 1;
}

/*
 * Line ends, found 64 bytes at a time: a bitmask of the '\n's in the block at
 * base, consumed one line at a time, instead of a memchr call per line (7% of
 * a NDJSON job, mostly per-call overhead on ~80-byte lines).  The last < 64
 * bytes of the data go to memchr.
 */
struct nl_scan {
    const char *base;               /* the block the mask describes */
    uint64_t mask;                  /* its '\n's not yet returned */
    bool tail;                      /* < 64 bytes were left: memchr from here */
};

static inline uint64_t nl_mask64(const char *p)
{
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n');
    uint64_t m0 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
        _mm_loadu_si128((const __m128i *)(const void *)p), nl));
    uint64_t m1 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
        _mm_loadu_si128((const __m128i *)(const void *)(p + 16)), nl));
    uint64_t m2 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
        _mm_loadu_si128((const __m128i *)(const void *)(p + 32)), nl));
    uint64_t m3 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
        _mm_loadu_si128((const __m128i *)(const void *)(p + 48)), nl));
    return m0 | m1 << 16 | m2 << 32 | m3 << 48;
#else
    uint64_t m = 0;
    for (int i = 0; i < 64; i++)
        m |= (uint64_t)(p[i] == '\n') << i;
    return m;
#endif
}

static inline void nl_init(struct nl_scan *ns, const char *p, const char *end)
{
    ns->base = p;
    ns->tail = end - p < 64;
    ns->mask = ns->tail ? 0 : nl_mask64(p);
}

/* The first '\n' at or after p (the start of the line after the last one
 * returned), or NULL. */
static inline const char *nl_next(struct nl_scan *ns, const char *p, const char *end)
{
    if (!ns->tail) {
        while (ns->mask == 0) {
            ns->base += 64;
            if (end - ns->base < 64) {
                ns->tail = true;
                return memchr(ns->base, '\n', (size_t)(end - ns->base));
            }
            ns->mask = nl_mask64(ns->base);
        }
        const char *nl = ns->base + __builtin_ctzll(ns->mask);
        ns->mask &= ns->mask - 1;
        return nl;
    }
    return memchr(p, '\n', (size_t)(end - p));
}

static int fs_poll_lines(struct fs_source *fs, struct batch *out, int64_t *rows,
                         struct weir_error *err);

static int fs_poll(struct source *src, struct batch *out, struct weir_error *err)
{
    struct fs_source *fs = (struct fs_source *)src;
    int64_t rows = 0;
    int rc = fs_poll_lines(fs, out, &rows, err);
    if (rows)
        atomic_fetch_add_explicit(&fs->base.metrics.rows, rows, memory_order_relaxed);
    return rc;
}

/* fs_poll proper; *rows counts the rows it adds. */
static int fs_poll_lines(struct fs_source *fs, struct batch *out, int64_t *rows,
                         struct weir_error *err)
{
    struct source *src = &fs->base;
    int rc;
    while (out->n < BATCH_CAP) {
        if (fs->fd < 0) {
            if (fs->q_next < fs->n_queue) {
                const struct fs_split *q = &fs->queue[fs->q_next++];
                if ((rc = open_file(fs, q->path, q->off, q->line, err)) != WEIR_OK)
                    return rc;
                continue;
            }
            if (fs->monitor_ms <= 0)
                return WEIR_DONE;
            int64_t now = mono_ms();
            if (now >= fs->next_scan_ms) {
                fs->next_scan_ms = now + fs->monitor_ms;
                if ((rc = scan(fs, err)) != WEIR_OK)
                    return rc;
                if (fs->q_next < fs->n_queue)
                    continue;
            }
            if (out->n > 0)
                return WEIR_OK;
            src->wait_ms = (int)(fs->next_scan_ms - now);
            return WEIR_AGAIN;
        }
        /* lines in the buffer */
        struct nl_scan ns;
        const char *dend = fs->data + fs->len;
        nl_init(&ns, fs->data + fs->pos, dend);
        while (out->n < BATCH_CAP) {
            const char *s = fs->data + fs->pos;
            const char *nl = nl_next(&ns, s, dend);
            if (nl == NULL)
                break;
            int r = one_line(fs, s, (size_t)(nl - s), fs->buf_off + (int64_t)fs->pos, out);
            if (__builtin_expect(r < 0, 0))
                return WEIR_OK;     /* the line starts the next batch */
            *rows += r;
            fs->pos = (size_t)(nl + 1 - fs->data);
        }
        if (out->n >= BATCH_CAP)
            break;
        if (fs->eof) {
            if (fs->pos < fs->len) {   /* last line without '\n' */
                int r = one_line(fs, fs->data + fs->pos, fs->len - fs->pos,
                                 fs->buf_off + (int64_t)fs->pos, out);
                if (r < 0)
                    return WEIR_OK;
                *rows += r;
                fs->pos = fs->len;
                if (out->n >= BATCH_CAP)
                    break;
            }
            close_cur(fs, true);
            continue;
        }
        if ((rc = fill(fs, err)) != WEIR_OK)
            return rc;
    }
    return WEIR_OK;
}

static int fs_open(struct source *src, struct weir_error *err)
{
    struct fs_source *fs = (struct fs_source *)src;
    fs->next_scan_ms = mono_ms() + fs->monitor_ms;
    return scan(fs, err);
}

/* Undoes pos_put_path; NULL if an escape is malformed. */
static char *get_path(const char *s)
{
    struct strbuf sb = {0};
    for (; *s; s++) {
        unsigned v;
        if (*s != '%') {
            sb_addc(&sb, *s);
            continue;
        }
        if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]) ||
            sscanf(s + 1, "%2x", &v) != 1 || v == 0) {
            sb_free(&sb);
            return NULL;
        }
        sb_addc(&sb, (char)v);
        s += 2;
    }
    return sb.buf ? sb_steal(&sb) : mem_strdup("");
}

static int fs_position(struct source *src, struct strbuf *pos)
{
    struct fs_source *fs = (struct fs_source *)src;
    sb_adds(pos, "v1\n");
    if (fs->cur) {
        sb_addf(pos, "cur %lld %lld ", (long long)(fs->buf_off + (int64_t)fs->pos),
                (long long)fs->line_no);
        pos_put_path(pos, fs->cur);
        sb_addc(pos, '\n');
    }
    /* resumed files not reached yet keep their offsets */
    for (int i = fs->q_next; i < fs->n_queue; i++) {
        const struct fs_split *q = &fs->queue[i];
        if (q->off == 0 && q->line == 0)
            continue;
        sb_addf(pos, "cur %lld %lld ", (long long)q->off, (long long)q->line);
        pos_put_path(pos, q->path);
        sb_addc(pos, '\n');
    }
    for (int i = 0; i < fs->n_done; i++) {
        sb_adds(pos, "done ");
        pos_put_path(pos, fs->done[i]);
        sb_addc(pos, '\n');
    }
    return WEIR_OK;
}

static int cmp_split(const void *a, const void *b)
{
    return strcmp(((const struct fs_split *)a)->path, ((const struct fs_split *)b)->path);
}

/*
 * Parses old subtask s's position: finished files this subtask owns are
 * marked done, partially read ones it owns are appended to *res.
 */
static int parse_position(struct fs_source *fs, int s, const char *pos,
                          struct fs_split **res, int *n_res, int *cap_res,
                          struct weir_error *err)
{
    const char *tn = fs->base.table->table_name;
    if (strncmp(pos, "v1\n", 3) != 0)
        return err_set(err, WEIR_ERR_CORRUPT, "table '%s': bad filesystem position of "
                       "subtask %d: it does not start with 'v1' (written by another "
                       "version of weir?)", tn, s);
    char *copy = mem_strdup(pos + 3), *save = NULL;
    int rc = WEIR_OK, line_no = 1;
    for (char *l = strtok_r(copy, "\n", &save); l && rc == WEIR_OK;
         l = strtok_r(NULL, "\n", &save)) {
        line_no++;
        long long off = -1, lines = -1;
        int used = 0;
        char *path = NULL;
        if (strncmp(l, "done ", 5) == 0) {
            path = get_path(l + 5);
        } else if (strncmp(l, "cur ", 4) == 0 &&
                   sscanf(l, "cur %lld %lld %n", &off, &lines, &used) == 2 && used > 0 &&
                   off >= 0 && lines >= 0) {
            path = get_path(l + used);
        }
        if (path == NULL || path[0] == '\0') {
            rc = err_set(err, WEIR_ERR_CORRUPT, "table '%s': bad filesystem position of "
                         "subtask %d, line %d: '%.200s' (expected 'cur <offset> <line> "
                         "<path>' or 'done <path>')", tn, s, line_no, l);
        } else if (!owns(fs, path)) {
            /* another subtask's file now: its position reaches that subtask */
        } else if (off < 0) {
            if (!is_done(fs, path))
                mark_done(fs, path);
        } else {
            MEM_GROW(*res, *cap_res, *n_res + 1);
            (*res)[(*n_res)++] = (struct fs_split){path, off, lines};
            path = NULL;
        }
        mem_free(path);
    }
    mem_free(copy);
    return rc;
}

static int fs_seek(struct source *src, const char *const *pos, int old_parallelism,
                   struct weir_error *err)
{
    struct fs_source *fs = (struct fs_source *)src;
    close_cur(fs, false);
    for (int i = 0; i < fs->n_queue; i++)
        mem_free(fs->queue[i].path);
    fs->n_queue = fs->q_next = 0;
    for (int i = 0; i < fs->n_done; i++)
        mem_free(fs->done[i]);
    fs->n_done = 0;
    struct fs_split *res = NULL;
    int n_res = 0, cap_res = 0, rc = WEIR_OK;
    for (int s = 0; s < old_parallelism && rc == WEIR_OK; s++)
        if (pos[s] != NULL)
            rc = parse_position(fs, s, pos[s], &res, &n_res, &cap_res, err);
    if (n_res > 1)
        qsort(res, (size_t)n_res, sizeof(*res), cmp_split);
    for (int i = 1; i < n_res && rc == WEIR_OK; i++)
        if (strcmp(res[i].path, res[i - 1].path) == 0)
            rc = err_set(err, WEIR_ERR_CORRUPT, "table '%s': inconsistent filesystem "
                         "positions: file '%s' is partially read in two of them",
                         src->table->table_name, res[i].path);
    for (int i = 0; i < n_res; i++) {
        /* a finished file stays finished, whatever else says otherwise */
        if (rc == WEIR_OK && !is_done(fs, res[i].path)) {
            enqueue(fs, res[i].path, res[i].off, res[i].line);
            res[i].path = NULL;
        }
        mem_free(res[i].path);
    }
    mem_free(res);
    if (rc == WEIR_OK)
        rc = scan(fs, err);
    return rc;
}

static void fs_close(struct source *src)
{
    struct fs_source *fs = (struct fs_source *)src;
    if (fs == NULL)
        return;
    close_cur(fs, false);
    err_clear(&fs->err);
    if (fs->dec)
        fs->dec->ops->free(fs->dec);
    for (int i = 0; i < fs->n_queue; i++)
        mem_free(fs->queue[i].path);
    mem_free(fs->queue);
    for (int i = 0; i < fs->n_done; i++)
        mem_free(fs->done[i]);
    mem_free(fs->done);
    mem_free(fs->buf);
    mem_free(fs->root);
    mem_free(fs);
}

static const struct source_ops fs_source_ops = {
    .open = fs_open,
    .poll = fs_poll,
    .position = fs_position,
    .seek = fs_seek,
    .close = fs_close,
};

int fs_source_create(const struct table_ctx *t, struct source **out,
                     struct weir_error *err)
{
    if (t->format == NULL)
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': the filesystem source needs "
                       "a 'format'", t->table_name);
    if (opt_has(t->opts, "source.path.regex-pattern"))
        return err_set(err, WEIR_ERR_UNSUPPORTED, "table '%s': option "
                       "'source.path.regex-pattern' is not supported yet",
                       t->table_name);
    struct fs_source *fs = mem_calloc(1, sizeof(*fs));
    fs->base.ops = &fs_source_ops;
    fs->base.table = t;
    fs->fd = -1;
    fs->root = mem_strdup(fs_path(t));
    fs->monitor_ms = opt_duration_ms(t->opts, "source.monitor-interval", 0);
    fs->base.bounded = fs->monitor_ms <= 0;
    fs->base.wait_ms = (int)(fs->monitor_ms > 0 ? fs->monitor_ms : 1);
    fs->cap = FS_BUF_MIN;
    fs->buf = mem_alloc(fs->cap);
    fs->data = fs->buf;
    fs->md_path = fs->md_name = fs->md_size = fs->md_mtime = -1;
    for (int i = 0; i < t->n_cols; i++) {
        const char *m = t->col_metadata ? t->col_metadata[i] : NULL;
        if (m == NULL)
            continue;
        if (strcmp(m, "file.path") == 0)
            fs->md_path = i;
        else if (strcmp(m, "file.name") == 0)
            fs->md_name = i;
        else if (strcmp(m, "file.size") == 0)
            fs->md_size = i;
        else if (strcmp(m, "file.modification-time") == 0)
            fs->md_mtime = i;
        else {
            int rc = err_set(err, WEIR_ERR_CONFIG,
                             "table '%s': unknown metadata key '%s' for connector "
                             "'filesystem'; available: file.path, file.name, file.size, "
                             "file.modification-time", t->table_name, m);
            fs_close(&fs->base);
            return rc;
        }
    }
    fs->has_metadata = fs->md_path >= 0 || fs->md_name >= 0 || fs->md_size >= 0 ||
                       fs->md_mtime >= 0;
    int rc = t->format->decoder_create(t, &fs->dec, err);
    if (rc != WEIR_OK) {
        fs_close(&fs->base);
        return rc;
    }
    fs->decode = fs->dec->ops->decode;
    fs->decode_rows = fs->dec->ops->decode_rows;
    *out = &fs->base;
    return WEIR_OK;
}

/* A lookup join keeps the whole file (or directory) as its cache, indexed by
 * key, and reads it again once 'lookup.join.cache.ttl' has passed (Flink's
 * FileSystemLookupFunction); the scan above does the reading.  A file
 * replaced by a rename is seen whole at the next reload; one rewritten in
 * place may be read half-written, as in Flink. */
int fs_lookup_create(const struct table_ctx *t, int n_keys, const int *key_cols,
                     struct lookup_conf *conf, struct lookup_source **out,
                     struct weir_error *err)
{
    (void)n_keys;
    (void)key_cols;
    (void)err;
    memset(conf, 0, sizeof(*conf));
    conf->cache = LOOKUP_CACHE_FULL;
    conf->reload_ms = opt_duration_ms(t->opts, "lookup.join.cache.ttl", 60 * 60 * 1000);
    if (conf->reload_ms <= 0)
        conf->reload_ms = 1;        /* Flink: a TTL of 0 reloads for every lookup */
    conf->max_retries = 3;
    *out = NULL;
    return WEIR_OK;
}
