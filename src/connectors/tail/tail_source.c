/*
 * tail_source.c — the tail source: follows the files matching a glob as they
 * grow, without losing or repeating a line across rotation and restarts
 * (docs/USERS.md row 1: fluent/fluent-bit#2846, elastic/beats#39732).
 *
 * Identity.  A tracked file is (device, inode, fingerprint): the fingerprint
 * is FNV-1a 64 of the file's first fp_len bytes, fp_len = min(size, 1 KiB),
 * widened as the file grows.  Device + inode find a renamed file again; the
 * fingerprint tells a reused inode (after a restart) and a rewritten file
 * (copytruncate) from the file we were reading.  Every tracked file stays open,
 * so while weir runs its inode cannot be reused and a deleted or renamed file
 * stays readable.
 *
 * Rotation.
 *   - rename-and-create: the renamed file keeps its fd; it is read to its end,
 *     followed while it still grows, and closed once it has not grown for
 *     'rotate-wait' (5 s).  The new file at the old name is a new identity and is
 *     read from offset 0.  Files are read in the order they were found, so the
 *     old file's last lines come before the new file's.
 *   - copytruncate: detected when the file is smaller than what was read, or its
 *     first bytes no longer hash to the fingerprint.  The unread rest (from the
 *     committed offset) is then taken from the copy: the directory is searched
 *     for an untracked regular file whose first fp_len bytes hash to the
 *     fingerprint (app.log.1), which is read from that offset; the truncated file
 *     is read again from 0.  Inherent limit: lines written between the copy and
 *     the truncate are in neither file and are lost; a truncation without a copy
 *     is reported on stderr and counted in metrics.errors.  The glob must not
 *     match the copies (as with Filebeat and Fluent Bit), or they are read as new
 *     files.
 *   - deletion: a deleted file (st_nlink == 0) is read to its end, then closed.
 *
 * Following.  A Linux inotify watch on each directory of the glob wakes the
 * source on any change (create, move, delete, modify): the source asks the task
 * loop to poll again after 10 ms and then costs one non-blocking read(2) on the
 * inotify fd per poll while idle.  The full glob + stat scan runs every
 * 'scan.interval' as the fallback (no inotify, missed events, NFS).
 *
 * Records.  '\n' ends a line; a trailing '\r' is dropped; empty lines are
 * skipped.  A line still being written (no '\n' yet) waits for its end, except
 * when its file is closed or a bounded source ends.  With 'multiline.pattern' a
 * line matching it starts a record and other lines are appended to the
 * previous record (joined by '\n'; trailing empty lines dropped); the record is
 * emitted when the next one starts or after 'multiline.timeout' without a new
 * line.  A record longer than 'max-line-length' goes to the dead letters (its
 * first max-line-length bytes, with its full length in the reason) and reading
 * continues after it: long lines are never held whole in memory.  Dead-letter
 * position: "<path>:<byte offset of the record>".  A changelog format
 * (debezium-json, canal-json) makes 0..n rows of a record, all in one batch:
 * a record whose rows do not fit in what is left of the batch is held (copied,
 * with its file and offset), the poll reads no further, and the next poll
 * emits it first.  While it is held its file's position is the record's
 * offset, so a checkpoint between the two polls re-reads it on restore.
 *
 * Position (checkpoint text; also the 'position.file' contents), one item per
 * line:
 *   tail v1
 *   file <dev> <ino> <fp_len> <fp, 16 hex digits> <offset> <path>
 *   end <offset>                (bounded: where the source stops in that file)
 * for each tracked file in reading order; offset is the first byte not yet
 * turned into a row or dead letter (bytes read ahead into the buffer do not
 * count; a pending multi-line record, a long line still being consumed, or a
 * held record is re-read from its start); '%', '\n' and '\r' in path are
 * written %25, %0A, %0D.  Restore finds each file again: at its path if the
 * identity matches there, else by inode in the same directory (rotated
 * meanwhile: app.log → app.log.1), else by fingerprint (a copy: copytruncate
 * meanwhile); files that match the glob but are not in the position appeared
 * meanwhile and are read from 0.
 *
 * Checkpoints.  seek() gets the positions of every old subtask and tracks the
 * files of all of them that this subtask owns now (see Parallelism), so each
 * file goes on from the one position that has it.  A bounded source keeps the
 * ends recorded there and picks up no new file: it ends where the
 * uninterrupted run would have.
 *
 * 'position.file': the position is written there (write + rename) at the
 * start of each poll — i.e. once the rows of the previous poll were handed
 * downstream — and read when the source opens.  This is at-least-once: a
 * crash between handing rows on and the next write repeats them; nothing is
 * lost.  The position is not written at close (the last batch is not known to
 * be delivered), except that a bounded source writes it on its final, empty
 * poll.  A re-run of a bounded source from the file reads on to the files'
 * new ends and reads new files.  Once the job checkpoints (the engine asks
 * for the position, or restores one with seek) the checkpoint is the source
 * of truth: a seek replaces whatever open() took from the file, and the file
 * is no longer written after each poll but gets the position each checkpoint
 * takes — the rows after it are not committed by exactly-once sinks, so a
 * run that starts from the file (no checkpoint to restore, e.g. a re-run of
 * a finished bounded job) must not skip them.
 *
 * Parallelism: a file belongs to subtask hash(dev, ino) mod P, stable across
 * renames; a copy found after copytruncate is read by the original's owner
 * until the next restore, then by the owner of its own (dev, ino).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "connectors/position.h"
#include "connectors/tail/tail.h"
#include "core/mem.h"
#include "exec/deadletter.h"
#include "formats/format.h"

#define TAIL_FP_MAX 1024            /* fingerprinted prefix, bytes */
#define TAIL_BUF_SIZE (256 << 10)   /* shared read buffer */
#define TAIL_WAKE_MS 10             /* poll period while inotify watches */

struct tail_file {
    char *path;                     /* where it was last seen */
    uint64_t dev, ino;              /* identity ... */
    uint32_t fp_len;                /* ... plus the hash of its first fp_len bytes */
    uint64_t fp;
    int fd;
    int64_t read_off;               /* next byte the line splitter consumes */
    int64_t size;                   /* size at the last fstat */
    int64_t end;                    /* bounded: stop here; -1 = follow */
    int64_t active_ms;              /* last time it grew or left the glob */
    struct strbuf rec;              /* pending record: its first max_line bytes */
    int64_t rec_off;                /* its file offset; -1 = no pending record */
    int64_t rec_len;                /* its full length so far */
    int64_t rec_ms;                 /* when its last line was added */
    bool in_line;                   /* consumed bytes end mid-line (in rec) */
    bool in_glob;                   /* matched by the glob at the last scan */
    bool rotated;                   /* not matched since active_ms */
    bool deleted;                   /* st_nlink == 0 */
    bool eof;                       /* read to the size last seen */
    bool done;                      /* bounded: read to its end, kept for the position */
};

struct tail_watch {
    int wd;
    char *dir;
};

struct tail_source {
    struct source base;
    struct decoder *dec;
    struct weir_error err;          /* a record's decode error (cleared after each) */
    char *pattern;                  /* 'path' glob */
    bool latest;                    /* scan.startup.mode = latest */
    bool bounded;                   /* scan.bounded */
    int64_t scan_ms, ml_timeout_ms, rotate_wait_ms, max_line;
    pcre2_code *ml_re;              /* multiline.pattern, NULL = none */
    pcre2_match_data *ml_md;
    char *pos_file;                 /* position.file, NULL = none */
    bool dirty;                     /* position changed since it was last saved */
    bool checkpointed;              /* the job checkpoints: position.file retired */
    /* tracked files, in reading order */
    struct tail_file **files;
    int n_files, cap_files;
    /* the read buffer, holding bytes of one file at a time */
    struct tail_file *buf_file;     /* NULL = nothing buffered */
    char *buf;
    size_t pos, len;                /* unconsumed bytes are buf[pos..len) */
    int64_t buf_off;                /* file offset of buf[0] */
    /* change notification */
    int ino_fd;                     /* inotify, -1 = none */
    struct tail_watch *watches;
    int n_watches, cap_watches;
    int64_t next_scan_ms;
    bool opened, restored;
    int64_t now_ms;                 /* monotonic ms, taken once per poll */
    /* a record whose rows did not fit in the last poll's batch (changelog
     * formats): emitted first by the next poll */
    bool full;                      /* this poll held one: read no further */
    char *held_path;                /* NULL = nothing held */
    struct strbuf held;             /* its bytes */
    int64_t held_off;               /* its offset in held_file */
    struct tail_file *held_file;    /* whose position stays at held_off; NULL
                                     * once that content is gone (truncated) */
    /* metadata columns: index per key, -1 if not produced */
    int md_path, md_name, md_offset;
};

/* ---- helpers ------------------------------------------------------------------ */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t fnv64(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

static const char *tname(const struct tail_source *ts)
{
    return ts->base.table->table_name;
}

/* Reads up to want bytes at offset 0 into buf; returns the count (-1 on error). */
static ssize_t read_prefix(int fd, char *buf, size_t want)
{
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(fd, buf + got, want - got, (off_t)got);
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

/* Does fd's content start with the fingerprinted prefix (fp_len bytes hashing
 * to fp)?  An fp_len of 0 matches anything. */
static bool fp_matches(int fd, uint32_t fp_len, uint64_t fp)
{
    if (fp_len == 0)
        return true;
    char pre[TAIL_FP_MAX];
    ssize_t n = read_prefix(fd, pre, fp_len);
    return n == (ssize_t)fp_len && fnv64(pre, fp_len) == fp;
}

/*
 * Checks f's fingerprint against its content and widens it to
 * min(size, TAIL_FP_MAX) bytes.  Returns false if the content no longer starts
 * with the fingerprinted bytes (truncated or rewritten).
 */
static bool fp_refresh(struct tail_file *f, int64_t size)
{
    size_t want = size < TAIL_FP_MAX ? (size_t)size : TAIL_FP_MAX;
    if (want < f->fp_len)
        return false;
    if (want == f->fp_len && f->fp_len == TAIL_FP_MAX)
        return fp_matches(f->fd, f->fp_len, f->fp);
    char pre[TAIL_FP_MAX];
    ssize_t n = read_prefix(f->fd, pre, want);
    if (n < (ssize_t)f->fp_len)
        return false;
    if (f->fp_len > 0 && fnv64(pre, f->fp_len) != f->fp)
        return false;
    f->fp_len = (uint32_t)n;
    f->fp = fnv64(pre, (size_t)n);
    return true;
}

static bool is_owner(const struct tail_source *ts, uint64_t dev, uint64_t ino)
{
    const struct table_ctx *t = ts->base.table;
    int P = t->parallelism > 0 ? t->parallelism : 1;
    uint64_t k[2] = {dev, ino};
    return (int)(fnv64(k, sizeof(k)) % (uint64_t)P) == t->subtask;
}

static struct tail_file *find_tracked(const struct tail_source *ts, uint64_t dev,
                                      uint64_t ino)
{
    for (int i = 0; i < ts->n_files; i++)
        if (ts->files[i]->dev == dev && ts->files[i]->ino == ino)
            return ts->files[i];
    return NULL;
}

/* The directory part of path ("." for a bare name); caller frees. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return mem_strdup(".");
    if (slash == path)
        return mem_strdup("/");
    return mem_strndup(path, (size_t)(slash - path));
}

static void pos_clear_rec(struct tail_file *f)
{
    sb_clear(&f->rec);
    f->rec_off = -1;
    f->rec_len = 0;
    f->in_line = false;
}

/* A new tracked file for an open fd (takes ownership of fd). */
static struct tail_file *file_new(struct tail_source *ts, const char *path, int fd,
                                  const struct stat *st)
{
    struct tail_file *f = mem_calloc(1, sizeof(*f));
    f->path = mem_strdup(path);
    f->dev = (uint64_t)st->st_dev;
    f->ino = (uint64_t)st->st_ino;
    f->fd = fd;
    f->size = st->st_size;
    f->end = -1;
    f->rec_off = -1;
    f->active_ms = ts->now_ms;
    f->deleted = st->st_nlink == 0;
    fp_refresh(f, st->st_size);
    return f;
}

static void file_free(struct tail_file *f)
{
    if (f == NULL)
        return;
    if (f->fd >= 0)
        close(f->fd);
    sb_free(&f->rec);
    mem_free(f->path);
    mem_free(f);
}

/* Inserts f at index i of the reading order. */
static void files_insert(struct tail_source *ts, int i, struct tail_file *f)
{
    MEM_GROW(ts->files, ts->cap_files, ts->n_files + 1);
    memmove(ts->files + i + 1, ts->files + i,
            sizeof(*ts->files) * (size_t)(ts->n_files - i));
    ts->files[i] = f;
    ts->n_files++;
    ts->dirty = true;
}

static void files_remove(struct tail_source *ts, int i)
{
    struct tail_file *f = ts->files[i];
    if (ts->buf_file == f)
        ts->buf_file = NULL;
    if (ts->held_file == f)
        ts->held_file = NULL;
    file_free(f);
    memmove(ts->files + i, ts->files + i + 1,
            sizeof(*ts->files) * (size_t)(ts->n_files - i - 1));
    ts->n_files--;
    ts->dirty = true;
}

static int index_of(const struct tail_source *ts, const struct tail_file *f)
{
    for (int i = 0; i < ts->n_files; i++)
        if (ts->files[i] == f)
            return i;
    return -1;
}

/* ---- records -------------------------------------------------------------------- */

static void dead_letter(struct tail_source *ts, const char *path, int64_t off,
                        const char *reason, const char *raw, size_t n)
{
    const struct table_ctx *t = ts->base.table;
    char *pos = mem_sprintf("%s:%lld", path, (long long)off);
    dlq_write(t->dlq, t->table_name, pos, reason, raw, n);
    mem_free(pos);
    atomic_fetch_add_explicit(&ts->base.metrics.dead_letters, 1, memory_order_relaxed);
}

/* Decodes one complete record of the file at path into the next row(s) of
 * out, or dead-letters it.  Returns false, consuming nothing, when a
 * changelog format's rows do not fit in what is left of out. */
static bool emit_at(struct tail_source *ts, const char *path, const char *p, size_t n,
                    int64_t off, struct batch *out)
{
    if (n == 0)
        return true;
    bool lossy = false;
    int row = out->n, got = 1;
    int rc = ts->dec->ops->decode_rows ?
        ts->dec->ops->decode_rows(ts->dec, p, n, out, row, &got, &lossy, &ts->err) :
        ts->dec->ops->decode(ts->dec, p, n, out, row, &lossy, &ts->err);
    if (rc == WEIR_AGAIN) {
        err_clear(&ts->err);
        return false;
    }
    if (rc == WEIR_DONE) {
        err_clear(&ts->err);
        return true;
    }
    if (rc != WEIR_OK || lossy) {
        if (rc == WEIR_OK && !ts->err.message)
            err_set(&ts->err, WEIR_ERR_PARSE, "field(s) set to NULL by "
                    "ignore-parse-errors");
        dead_letter(ts, path, off, ts->err.message ? ts->err.message : "parse error", p, n);
    }
    err_clear(&ts->err);
    if (rc != WEIR_OK)
        return true;
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    for (int r = row; r < row + got; r++) {
        if (ts->md_path >= 0)
            vec_set_str(&out->cols[ts->md_path], r, path, strlen(path));
        if (ts->md_name >= 0)
            vec_set_str(&out->cols[ts->md_name], r, name, strlen(name));
        if (ts->md_offset >= 0)
            out->cols[ts->md_offset].i64[r] = off;
    }
    out->n += got;
    return true;
}

static void held_clear(struct tail_source *ts)
{
    mem_free(ts->held_path);
    ts->held_path = NULL;
    ts->held_file = NULL;
    sb_clear(&ts->held);
}

/* emit_at for a record of f; one whose rows do not fit is held for the next
 * poll, which then starts with it, and this poll reads no further. */
static void emit(struct tail_source *ts, struct tail_file *f, const char *p, size_t n,
                 int64_t off, struct batch *out)
{
    if (emit_at(ts, f->path, p, n, off, out))
        return;
    held_clear(ts);
    sb_add(&ts->held, p, n);
    ts->held_path = mem_strdup(f->path);
    ts->held_file = f;
    ts->held_off = off;
    ts->full = true;
    ts->dirty = true;
}

/* Emits f's pending record (if any): a row, or a dead letter when too long.
 * Once a record is held (ts->full) it stays pending: it comes after that one. */
static void flush_rec(struct tail_source *ts, struct tail_file *f, struct batch *out)
{
    if (f->rec_off < 0 || ts->full)
        return;
    bool whole = (int64_t)f->rec.len == f->rec_len;
    /* trailing empty lines of a multi-line record are not part of it */
    while (f->rec.len > 0 &&
           (f->rec.buf[f->rec.len - 1] == '\n' || f->rec.buf[f->rec.len - 1] == '\r')) {
        f->rec.len--;
        if (whole)
            f->rec_len--;
    }
    if (f->rec_len > ts->max_line) {
        char *reason = mem_sprintf("record of %lld bytes exceeds max-line-length (%lld "
                                   "bytes); raw holds its first %zu bytes",
                                   (long long)f->rec_len, (long long)ts->max_line,
                                   f->rec.len);
        dead_letter(ts, f->path, f->rec_off, reason, f->rec.buf ? f->rec.buf : "", f->rec.len);
        mem_free(reason);
    } else if (f->rec.len > 0) {
        emit(ts, f, f->rec.buf, f->rec.len, f->rec_off, out);
    }
    pos_clear_rec(f);
    ts->dirty = true;
}

/* Appends bytes to f's pending record, keeping at most max_line of them. */
static void rec_add(struct tail_source *ts, struct tail_file *f, const char *p, size_t n)
{
    if ((int64_t)f->rec.len < ts->max_line) {
        size_t room = (size_t)(ts->max_line - (int64_t)f->rec.len);
        sb_add(&f->rec, p, n < room ? n : room);
    }
    f->rec_len += (int64_t)n;
}

/*
 * One piece of a line: p[0..n) at file offset off; `complete` if the line ends
 * here ('\n' consumed).  A piece is incomplete only when a line does not fit
 * the read buffer.  Emits at most one record.
 */
static void segment(struct tail_source *ts, struct tail_file *f, const char *p, size_t n,
                    bool complete, int64_t off, struct batch *out)
{
    ts->dirty = true;
    if (complete && n > 0 && p[n - 1] == '\r')
        n--;
    if (!f->in_line) {
        if (ts->ml_re == NULL) {
            if (complete && (int64_t)n <= ts->max_line) {
                emit(ts, f, p, n, off, out);      /* the common case: no copy */
                return;
            }
            f->rec_off = off;
        } else {
            bool start = pcre2_match(ts->ml_re, (PCRE2_SPTR)p, n, 0, 0, ts->ml_md,
                                     NULL) >= 0;
            if (start || f->rec_off < 0) {
                flush_rec(ts, f, out);
                f->rec_off = off;
            } else {
                rec_add(ts, f, "\n", 1);
            }
        }
    }
    rec_add(ts, f, p, n);
    f->in_line = !complete;
    if (complete) {
        f->rec_ms = ts->now_ms;
        if (ts->ml_re == NULL)
            flush_rec(ts, f, out);
    }
}

static void truncated(struct tail_source *ts, struct tail_file *f, int64_t size,
                      struct batch *out);

/* The highest file offset read from f so far. */
static int64_t read_hi(const struct tail_source *ts, const struct tail_file *f)
{
    return ts->buf_file == f ? ts->buf_off + (int64_t)ts->len : f->read_off;
}

/*
 * Splits f's bytes into records until out is full or f is read to its end
 * (then f->eof is set).  A line without '\n' at the end stays buffered.
 */
static int read_file(struct tail_source *ts, struct tail_file *f, struct batch *out,
                     struct weir_error *err)
{
    if (ts->buf_file != f) {
        ts->buf_file = f;
        ts->buf_off = f->read_off;
        ts->pos = ts->len = 0;
    }
    while (out->n < BATCH_CAP && !ts->full) {
        char *s = ts->buf + ts->pos;
        size_t avail = ts->len - ts->pos;
        char *nl = avail ? memchr(s, '\n', avail) : NULL;
        if (nl != NULL) {
            size_t n = (size_t)(nl - s);
            int64_t off = ts->buf_off + (int64_t)ts->pos;
            ts->pos += n + 1;
            f->read_off = ts->buf_off + (int64_t)ts->pos;
            segment(ts, f, s, n, true, off, out);
            continue;
        }
        if (avail == TAIL_BUF_SIZE) {
            /* a line longer than the buffer: hand it on in pieces */
            int64_t off = ts->buf_off + (int64_t)ts->pos;
            ts->pos = ts->len;
            f->read_off = ts->buf_off + (int64_t)ts->pos;
            segment(ts, f, s, avail, false, off, out);
            continue;
        }
        if (ts->pos > 0) {
            memmove(ts->buf, ts->buf + ts->pos, avail);
            ts->buf_off += (int64_t)ts->pos;
            ts->len = avail;
            ts->pos = 0;
        }
        int64_t at = ts->buf_off + (int64_t)ts->len;
        size_t want = TAIL_BUF_SIZE - ts->len;
        if (f->end >= 0) {
            if (at >= f->end) {
                f->eof = true;
                break;
            }
            if ((int64_t)want > f->end - at)
                want = (size_t)(f->end - at);
        }
        ssize_t r = pread(f->fd, ts->buf + ts->len, want, (off_t)at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_set(err, WEIR_ERR_IO, "table '%s': cannot read '%s': %s",
                           tname(ts), f->path, strerror(errno));
        if (r == 0) {
            f->eof = true;
            break;
        }
        /*
         * Still the same content?  A copytruncate may have truncated and
         * regrown the file since the last check, and then these bytes are
         * from the middle of new content.  Checked after the read, so new
         * content cannot pass; old content read just before a truncate is
         * dropped here but re-read from the copy (from the committed offset).
         * Costs one pread of up to 1 KiB per read.
         */
        if (f->end < 0 && !fp_refresh(f, at + r > f->size ? at + r : f->size)) {
            struct stat st;
            truncated(ts, f, fstat(f->fd, &st) == 0 ? st.st_size : 0, out);
            break;
        }
        ts->len += (size_t)r;
        if (at + r > f->size)
            f->size = at + r;
        f->active_ms = ts->now_ms;
        atomic_fetch_add_explicit(&ts->base.metrics.bytes, r, memory_order_relaxed);
    }
    return WEIR_OK;
}

/*
 * Closes f once it is read to its end: the line still without '\n' and the
 * pending record are emitted first (nothing more will complete them).  Needs
 * room for two records in out; returns false (f kept) otherwise, or when one
 * of them had to be held for the next poll.
 */
static bool finish_file(struct tail_source *ts, struct tail_file *f, struct batch *out,
                        struct weir_error *err, int *rc)
{
    if (!f->eof || ts->buf_file != f) {
        f->eof = false;
        if ((*rc = read_file(ts, f, out, err)) != WEIR_OK || !f->eof)
            return false;
    }
    if (out->n + 2 > BATCH_CAP || ts->full)
        return false;
    if (ts->pos < ts->len) {
        int64_t off = ts->buf_off + (int64_t)ts->pos;
        size_t n = ts->len - ts->pos;
        ts->pos = ts->len;
        f->read_off = ts->buf_off + (int64_t)ts->pos;
        segment(ts, f, ts->buf + off - ts->buf_off, n, true, off, out);
    }
    flush_rec(ts, f, out);
    if (ts->full)
        return false;       /* a record is held (and maybe one pending): not yet */
    if (ts->bounded) {
        f->done = true;     /* stays in the position: a re-run resumes at its end */
        ts->dirty = true;
    } else {
        files_remove(ts, index_of(ts, f));
    }
    return true;
}

/* ---- finding files -------------------------------------------------------------- */

/*
 * Searches dir for an untracked regular file other than (dev, ino) whose first
 * fp_len bytes hash to fp (the copy made by copytruncate); the most recently
 * modified one wins.  Returns a new tracked file, or NULL.
 */
static struct tail_file *find_copy(struct tail_source *ts, const char *dir,
                                   uint64_t dev, uint64_t ino, uint32_t fp_len,
                                   uint64_t fp)
{
    if (fp_len == 0)
        return NULL;
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    struct tail_file *best = NULL;
    int64_t best_mtime = INT64_MIN;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = mem_sprintf("%s/%s", dir, e->d_name);
        struct stat st;
        int fd = -1;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= fp_len &&
            !((uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino) &&
            !find_tracked(ts, (uint64_t)st.st_dev, (uint64_t)st.st_ino) &&
            (fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0 && fp_matches(fd, fp_len, fp)) {
            int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
            if (mt > best_mtime) {
                file_free(best);
                fstat(fd, &st);
                best = file_new(ts, p, fd, &st);
                best_mtime = mt;
                fd = -1;
            }
        }
        if (fd >= 0)
            close(fd);
        mem_free(p);
    }
    closedir(d);
    return best;
}

/* Searches dir for the file with inode (dev, ino); its path or NULL (caller frees). */
static char *find_inode(const char *dir, uint64_t dev, uint64_t ino)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    char *found = NULL;
    struct dirent *e;
    while (found == NULL && (e = readdir(d)) != NULL) {
        if ((uint64_t)e->d_ino != ino)
            continue;
        char *p = mem_sprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino)
            found = p;
        else
            mem_free(p);
    }
    closedir(d);
    return found;
}

/* Offset just after the last '\n' before size (scan.startup.mode = latest). */
static int64_t last_line_end(int fd, int64_t size, int64_t limit)
{
    char chunk[4096];
    int64_t at = size;
    while (at > 0 && size - at < limit) {
        size_t n = at < (int64_t)sizeof(chunk) ? (size_t)at : sizeof(chunk);
        at -= (int64_t)n;
        if (pread(fd, chunk, n, (off_t)at) != (ssize_t)n)
            return size;
        for (size_t i = n; i > 0; i--)
            if (chunk[i - 1] == '\n')
                return at + (int64_t)i;
    }
    return at == 0 ? 0 : size;
}

static void watch_dir(struct tail_source *ts, const char *dir)
{
    if (ts->ino_fd < 0)
        return;
    for (int i = 0; i < ts->n_watches; i++)
        if (strcmp(ts->watches[i].dir, dir) == 0)
            return;
    int wd = inotify_add_watch(ts->ino_fd, dir, IN_MODIFY | IN_CREATE | IN_DELETE |
                               IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_CLOSE_WRITE |
                               IN_DELETE_SELF | IN_MOVE_SELF);
    if (wd < 0)
        return;     /* not there yet: the next scan tries again */
    MEM_GROW(ts->watches, ts->cap_watches, ts->n_watches + 1);
    ts->watches[ts->n_watches].wd = wd;
    ts->watches[ts->n_watches++].dir = mem_strdup(dir);
}

/* Does s contain a glob metacharacter? */
static bool has_wildcard(const char *s)
{
    return strpbrk(s, "*?[{") != NULL;
}

struct found {
    char *path;
    struct stat st;
};

static int cmp_found(const void *a, const void *b)
{
    const struct found *x = a, *y = b;
    int64_t mx = (int64_t)x->st.st_mtim.tv_sec * 1000000000 + x->st.st_mtim.tv_nsec;
    int64_t my = (int64_t)y->st.st_mtim.tv_sec * 1000000000 + y->st.st_mtim.tv_nsec;
    if (mx != my)
        return mx < my ? -1 : 1;
    return strcmp(x->path, y->path);
}

/*
 * Expands the glob: tracked files are marked in_glob (and renamed if found under
 * another matching name); files not tracked are new and start to be read from 0
 * (from their last line end when `initial` and startup mode is latest), oldest
 * first.  Files no longer matched are looked up by inode to learn their new
 * name.
 */
static int scan(struct tail_source *ts, bool initial, struct weir_error *err)
{
    (void)err;
    for (int i = 0; i < ts->n_files; i++)
        ts->files[i]->in_glob = false;
    glob_t g = {0};
    int grc = glob(ts->pattern, GLOB_BRACE, NULL, &g);
    struct found *nf = NULL;
    int n_new = 0, cap_new = 0;
    if (grc == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            struct stat st;
            if (stat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            struct tail_file *f = find_tracked(ts, (uint64_t)st.st_dev,
                                               (uint64_t)st.st_ino);
            if (f != NULL) {
                if (!f->in_glob && strcmp(f->path, g.gl_pathv[i]) != 0) {
                    mem_free(f->path);      /* renamed within the glob */
                    f->path = mem_strdup(g.gl_pathv[i]);
                    ts->dirty = true;
                }
                f->in_glob = true;
                continue;
            }
            if (!is_owner(ts, (uint64_t)st.st_dev, (uint64_t)st.st_ino))
                continue;
            MEM_GROW(nf, cap_new, n_new + 1);
            nf[n_new].path = mem_strdup(g.gl_pathv[i]);
            nf[n_new++].st = st;
        }
    }
    globfree(&g);
    if (n_new > 1)
        qsort(nf, (size_t)n_new, sizeof(*nf), cmp_found);
    for (int i = 0; i < n_new; i++) {
        int fd = open(nf[i].path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && !find_tracked(ts, (uint64_t)st.st_dev,
                                                            (uint64_t)st.st_ino)) {
            struct tail_file *f = file_new(ts, nf[i].path, fd, &st);
            f->in_glob = true;
            if (initial && ts->latest)
                f->read_off = last_line_end(fd, st.st_size, ts->max_line + 1);
            files_insert(ts, ts->n_files, f);
            char *dir = dir_of(f->path);
            watch_dir(ts, dir);
            mem_free(dir);
        } else if (fd >= 0) {
            close(fd);      /* vanished and replaced meanwhile: next scan */
        }
        mem_free(nf[i].path);
    }
    mem_free(nf);
    /* rotated out of the glob: rotate-wait counts from now; learn the new name
     * (position, metadata) */
    for (int i = 0; i < ts->n_files; i++) {
        struct tail_file *f = ts->files[i];
        if (f->in_glob || !f->rotated)
            f->active_ms = ts->now_ms;
        f->rotated = !f->in_glob;
        if (f->in_glob || f->deleted)
            continue;
        struct stat st;
        if (stat(f->path, &st) == 0 && (uint64_t)st.st_ino == f->ino &&
            (uint64_t)st.st_dev == f->dev)
            continue;       /* still there (glob no longer matches it) */
        char *dir = dir_of(f->path);
        char *p = find_inode(dir, f->dev, f->ino);
        mem_free(dir);
        if (p != NULL) {
            mem_free(f->path);
            f->path = p;
            ts->dirty = true;
        }
    }
    /* the glob's fixed directory, even before anything matches in it */
    char *dir = dir_of(ts->pattern);
    if (!has_wildcard(dir))
        watch_dir(ts, dir);
    mem_free(dir);
    return WEIR_OK;
}

/*
 * f was truncated or rewritten (copytruncate): its unread rest is taken from
 * the copy, if one is found, read first; f is read again from 0.  Without a
 * copy the pending record is emitted as it is and the loss is reported.
 */
static void truncated(struct tail_source *ts, struct tail_file *f, int64_t size,
                      struct batch *out)
{
    int64_t committed = f->rec_off >= 0 ? f->rec_off : f->read_off;
    char *dir = dir_of(f->path);
    struct tail_file *copy = find_copy(ts, dir, f->dev, f->ino, f->fp_len, f->fp);
    mem_free(dir);
    if (copy != NULL) {
        copy->read_off = committed < copy->size ? committed : copy->size;
        copy->rotated = true;       /* out of the glob from the start */
        files_insert(ts, index_of(ts, f), copy);
    } else {
        int64_t hi = read_hi(ts, f);
        flush_rec(ts, f, out);
        /* held just now, it is emitted by the next poll; but its bytes are
         * gone from f, so f's position no longer waits for it (a crash before
         * then loses it, like the rest of the truncated content) */
        if (ts->held_file == f)
            ts->held_file = NULL;
        if (f->size > hi) {
            fprintf(stderr, "weir: table '%s': '%s' was truncated with %lld bytes not "
                    "yet read and no rotated copy of it was found: they are lost\n",
                    tname(ts), f->path, (long long)(f->size - hi));
            atomic_fetch_add_explicit(&ts->base.metrics.errors, 1, memory_order_relaxed);
        }
    }
    if (ts->buf_file == f)
        ts->buf_file = NULL;
    pos_clear_rec(f);
    f->read_off = 0;
    f->fp_len = 0;
    f->fp = 0;
    f->size = size;
    f->eof = false;
    fp_refresh(f, size);
    ts->dirty = true;
}

/* fstat-s every tracked file: growth, truncation, deletion.  `full` also
 * re-verifies fingerprints of files whose size did not change. */
static void check_files(struct tail_source *ts, bool full, struct batch *out)
{
    for (int i = 0; i < ts->n_files; i++) {
        struct tail_file *f = ts->files[i];
        struct stat st;
        if (fstat(f->fd, &st) != 0)
            continue;
        f->deleted = st.st_nlink == 0;
        int64_t hi = read_hi(ts, f);
        bool changed = st.st_size != f->size;
        if (st.st_size < hi || ((changed || full) && !fp_refresh(f, st.st_size))) {
            if (ts->full)
                continue;   /* its pending record could not be emitted: next check */
            truncated(ts, f, st.st_size, out);
            i = index_of(ts, f);    /* a copy may have been inserted before f */
            continue;
        }
        f->size = st.st_size;
        if (st.st_size > hi)
            f->eof = false;
    }
}

/* Reads pending inotify events; sets *scan for namespace changes. */
static bool drain_events(struct tail_source *ts, bool *scan)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool any = false;
    for (;;) {
        ssize_t n = read(ts->ino_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
            any = true;
            if (ev->mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                            IN_ATTRIB | IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF |
                            IN_IGNORED))
                *scan = true;
            if (ev->mask & IN_IGNORED)
                for (int i = 0; i < ts->n_watches; i++)
                    if (ts->watches[i].wd == ev->wd) {
                        mem_free(ts->watches[i].dir);
                        ts->watches[i] = ts->watches[--ts->n_watches];
                        break;
                    }
            p += sizeof(struct inotify_event) + ev->len;
        }
    }
    return any;
}

/* ---- position ------------------------------------------------------------------- */

static char *get_path(const char *s)
{
    struct strbuf sb = {0};
    for (; *s; s++) {
        unsigned v;
        if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
            sb_addc(&sb, (char)v);
            s += 2;
        } else {
            sb_addc(&sb, *s);
        }
    }
    return sb.buf ? sb_steal(&sb) : mem_strdup("");
}

static void put_position(const struct tail_source *ts, struct strbuf *pos)
{
    sb_adds(pos, "tail v1\n");
    for (int i = 0; i < ts->n_files; i++) {
        const struct tail_file *f = ts->files[i];
        int64_t off = ts->held_file == f       ? ts->held_off :
                      f->rec_off >= 0          ? f->rec_off :
                                                 f->read_off;
        sb_addf(pos, "file %llu %llu %u %016llx %lld ", (unsigned long long)f->dev,
                (unsigned long long)f->ino, f->fp_len, (unsigned long long)f->fp,
                (long long)off);
        pos_put_path(pos, f->path);
        sb_addc(pos, '\n');
        if (f->end >= 0)
            sb_addf(pos, "end %lld\n", (long long)f->end);
    }
}

/* Writes pos (a position) to 'position.file': a temporary, then rename. */
static int write_pos_file(struct tail_source *ts, const struct strbuf *sb,
                          struct weir_error *err)
{
    char *tmp = mem_sprintf("%s.tmp", ts->pos_file);
    int rc = WEIR_OK;
    FILE *fp = fopen(tmp, "w");
    bool ok = fp != NULL && fwrite(sb->buf, 1, sb->len, fp) == sb->len;
    if (fp != NULL && fclose(fp) != 0)
        ok = false;
    if (!ok || rename(tmp, ts->pos_file) != 0) {
        rc = err_set(err, WEIR_ERR_IO, "table '%s': cannot write position file '%s': %s",
                     tname(ts), ts->pos_file, strerror(errno));
        if (fp != NULL)
            unlink(tmp);
    }
    mem_free(tmp);
    return rc;
}

static int save_position(struct tail_source *ts, struct weir_error *err)
{
    struct strbuf sb = {0};
    put_position(ts, &sb);
    int rc = write_pos_file(ts, &sb, err);
    sb_free(&sb);
    if (rc == WEIR_OK)
        ts->dirty = false;
    return rc;
}

/* Called by the engine at a checkpoint: from now on position.file follows
 * the checkpoints only. */
static int tail_position(struct source *src, struct strbuf *pos)
{
    struct tail_source *ts = (struct tail_source *)src;
    ts->checkpointed = true;
    size_t from = pos->len;
    put_position(ts, pos);
    if (ts->pos_file != NULL) {
        struct strbuf mine = {0};
        struct weir_error err = {0};
        sb_add(&mine, pos->buf + from, pos->len - from);
        /* the checkpoint holds the position anyway: a failed write is reported
         * and does not fail it */
        if (write_pos_file(ts, &mine, &err) != WEIR_OK)
            fprintf(stderr, "weir: %s\n", err.message);
        err_clear(&err);
        sb_free(&mine);
    }
    return WEIR_OK;
}

/* Opens path if it is the file (dev, ino) with the fingerprinted prefix. */
static struct tail_file *open_identity(struct tail_source *ts, const char *path,
                                       uint64_t dev, uint64_t ino, uint32_t fp_len,
                                       uint64_t fp, bool *rewritten)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino) {
        close(fd);
        return NULL;
    }
    if (!fp_matches(fd, fp_len, fp)) {
        *rewritten = true;      /* same inode, other content */
        close(fd);
        return NULL;
    }
    return file_new(ts, path, fd, &st);
}

/*
 * Finds the file of one position entry again and tracks it at off: at its
 * path, else by inode in its directory, else (copytruncate while stopped) by
 * fingerprint.
 */
static void restore_one(struct tail_source *ts, uint64_t dev, uint64_t ino,
                        uint32_t fp_len, uint64_t fp, int64_t off, int64_t end,
                        const char *path)
{
    if (find_tracked(ts, dev, ino))
        return;
    bool rewritten = false;
    char *dir = dir_of(path);
    struct tail_file *f = open_identity(ts, path, dev, ino, fp_len, fp, &rewritten);
    if (f == NULL && !rewritten) {
        char *p = find_inode(dir, dev, ino);
        if (p != NULL) {
            f = open_identity(ts, p, dev, ino, fp_len, fp, &rewritten);
            mem_free(p);
        }
    }
    if (f != NULL && f->size < off) {
        /* shrank below the offset: truncated (and regrown) meanwhile */
        file_free(f);
        f = NULL;
        rewritten = true;
    }
    if (f == NULL)
        f = find_copy(ts, dir, dev, ino, fp_len, fp);
    mem_free(dir);
    if (f == NULL && ts->bounded && end >= 0 && off >= end)
        return;     /* read to its end already: nothing is lost */
    if (f == NULL) {
        fprintf(stderr, "weir: table '%s': '%s' (inode %llu) from the position is gone; "
                "what was not read of it is lost\n", tname(ts), path,
                (unsigned long long)ino);
        atomic_fetch_add_explicit(&ts->base.metrics.errors, 1, memory_order_relaxed);
        return;
    }
    f->read_off = off < f->size ? off : f->size;
    if (ts->bounded && end >= 0)
        f->end = end > f->read_off ? end : f->read_off;
    files_insert(ts, ts->n_files, f);
    char *d = dir_of(f->path);
    watch_dir(ts, d);
    mem_free(d);
}

static void drop_all(struct tail_source *ts)
{
    for (int i = 0; i < ts->n_files; i++)
        file_free(ts->files[i]);
    ts->n_files = 0;
    ts->buf_file = NULL;
    held_clear(ts);     /* re-read from the position that replaces them */
}

/* Bounded: every file without an end (a checkpoint's) ends where it ends now. */
static void set_ends(struct tail_source *ts)
{
    if (!ts->bounded)
        return;
    for (int i = 0; i < ts->n_files; i++) {
        struct stat st;
        struct tail_file *f = ts->files[i];
        if (f->end < 0)
            f->end = fstat(f->fd, &st) == 0 ? st.st_size : f->size;
        f->eof = false;
    }
}

/*
 * Tracks the files of one position (`what` names it in messages) that this
 * subtask owns.  Only a checkpoint's ends are kept (`keep_ends`); a re-run
 * from 'position.file' reads to the files' new ends.
 */
static int restore(struct tail_source *ts, const char *pos, const char *what,
                   bool keep_ends, struct weir_error *err)
{
    if (strncmp(pos, "tail v1\n", 8) != 0)
        return err_set(err, WEIR_ERR_CORRUPT, "table '%s': %s is not a tail position "
                       "(expected a first line 'tail v1')", tname(ts), what);
    char *copy = mem_strdup(pos + 8), *save = NULL;
    int rc = WEIR_OK;
    /* a file line is applied once its "end" line (if any) has been seen */
    struct {
        unsigned long long dev, ino, fp;
        unsigned fp_len;
        long long off, end;
        char *path;
    } cur = {.path = NULL};
    for (char *l = strtok_r(copy, "\n", &save); rc == WEIR_OK; l = strtok_r(NULL, "\n", &save)) {
        long long end;
        char tail;
        if (l != NULL && cur.path != NULL &&
            sscanf(l, "end %lld%c", &end, &tail) == 1 && end >= cur.off) {
            cur.end = end;
            continue;
        }
        if (cur.path != NULL) {
            if (is_owner(ts, cur.dev, cur.ino))
                restore_one(ts, cur.dev, cur.ino, cur.fp_len, cur.fp, cur.off,
                            keep_ends ? cur.end : -1, cur.path);
            mem_free(cur.path);
            cur.path = NULL;
        }
        if (l == NULL)
            break;
        int used = 0;
        if (sscanf(l, "file %llu %llu %u %llx %lld %n", &cur.dev, &cur.ino, &cur.fp_len,
                   &cur.fp, &cur.off, &used) != 5 || used == 0 || cur.fp_len > TAIL_FP_MAX ||
            cur.off < 0) {
            rc = err_set(err, WEIR_ERR_CORRUPT, "table '%s': bad line in %s: '%.200s' "
                         "(expected 'file <dev> <inode> <fp_len> <fp> <offset> <path>', "
                         "or 'end <offset>' after one)", tname(ts), what, l);
            break;
        }
        cur.end = -1;
        cur.path = get_path(l + used);
    }
    mem_free(cur.path);
    mem_free(copy);
    return rc;
}

static int tail_seek(struct source *src, const char *const *pos, int old_parallelism,
                     struct weir_error *err)
{
    struct tail_source *ts = (struct tail_source *)src;
    ts->now_ms = mono_ms();
    ts->checkpointed = true;
    /* the checkpoint replaces what open() may have taken from position.file */
    drop_all(ts);
    bool missing = false;
    int rc = WEIR_OK;
    for (int s = 0; s < old_parallelism && rc == WEIR_OK; s++) {
        if (pos[s] == NULL) {
            missing = true;
            continue;
        }
        char what[64];
        snprintf(what, sizeof(what), "the position of subtask %d", s);
        rc = restore(ts, pos[s], what, true, err);
    }
    if (rc != WEIR_OK)
        return rc;
    ts->restored = true;
    /* a bounded run reads the files it had at its start, unless a subtask
     * left no position (its files were never seen) */
    if (!ts->bounded || missing || old_parallelism == 0)
        scan(ts, false, err);
    set_ends(ts);
    return WEIR_OK;
}

/* ---- source ops ----------------------------------------------------------------- */

static int tail_open(struct source *src, struct weir_error *err)
{
    struct tail_source *ts = (struct tail_source *)src;
    ts->now_ms = mono_ms();
    if (!ts->bounded && ts->ino_fd < 0)
        ts->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);   /* -1: stat polling */
    int rc = WEIR_OK;
    if (!ts->restored && ts->pos_file != NULL) {
        FILE *fp = fopen(ts->pos_file, "r");
        if (fp != NULL) {
            struct strbuf sb = {0};
            char chunk[4096];
            size_t n;
            while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
                sb_add(&sb, chunk, n);
            fclose(fp);
            drop_all(ts);
            rc = restore(ts, sb.buf ? sb.buf : "", "the position file", false, err);
            sb_free(&sb);
            if (rc == WEIR_OK) {
                ts->restored = true;
                scan(ts, false, err);
                set_ends(ts);
            }
        } else if (errno != ENOENT) {
            return err_set(err, WEIR_ERR_IO, "table '%s': cannot read position file "
                           "'%s': %s", tname(ts), ts->pos_file, strerror(errno));
        }
    }
    if (rc == WEIR_OK && !ts->restored) {
        rc = scan(ts, true, err);
        set_ends(ts);
    }
    /* the directories of restored files and of the glob (after a seek before
     * open there was no inotify fd yet) */
    for (int i = 0; i < ts->n_files; i++) {
        char *dir = dir_of(ts->files[i]->path);
        watch_dir(ts, dir);
        mem_free(dir);
    }
    char *gdir = dir_of(ts->pattern);
    if (!has_wildcard(gdir))
        watch_dir(ts, gdir);
    mem_free(gdir);
    ts->next_scan_ms = ts->now_ms + ts->scan_ms;
    ts->opened = true;
    ts->restored = true;
    return rc;
}

static int tail_poll_inner(struct tail_source *ts, struct batch *out,
                           struct weir_error *err)
{
    struct source *src = &ts->base;
    int rc;
    ts->full = false;
    if (ts->held_path != NULL) {
        if (!emit_at(ts, ts->held_path, ts->held.buf, ts->held.len, ts->held_off, out)) {
            ts->full = true;    /* out was not empty: still no room */
            return WEIR_OK;
        }
        held_clear(ts);
        ts->dirty = true;
    }
    if (!ts->bounded) {
        bool do_scan = false, do_check = false, full = false;
        if (ts->ino_fd >= 0 && drain_events(ts, &do_scan))
            do_check = true;
        if (ts->now_ms >= ts->next_scan_ms) {
            do_scan = do_check = full = true;
            ts->next_scan_ms = ts->now_ms + ts->scan_ms;
        }
        if (do_scan && (rc = scan(ts, false, err)) != WEIR_OK)
            return rc;
        if (do_check)
            check_files(ts, full, out);
    }
    /* read what is there, oldest file first */
    for (int i = 0; i < ts->n_files && out->n < BATCH_CAP && !ts->full; i++) {
        struct tail_file *f = ts->files[i];
        if (f->eof || f->done)
            continue;
        if ((rc = read_file(ts, f, out, err)) != WEIR_OK)
            return rc;
        if (ts->files[i] != f)
            i--;        /* a copytruncate copy was inserted before f: it goes first */
    }
    /* timers: multi-line records complete by time; files to close */
    int64_t wait = ts->ino_fd >= 0 ? TAIL_WAKE_MS : ts->scan_ms;
    if (ts->next_scan_ms - ts->now_ms < wait)
        wait = ts->next_scan_ms - ts->now_ms;
    for (int i = 0; i < ts->n_files && out->n < BATCH_CAP && !ts->full; i++) {
        struct tail_file *f = ts->files[i];
        if (f->done)
            continue;
        if (ts->ml_re && f->rec_off >= 0 && !f->in_line) {
            int64_t due = f->rec_ms + ts->ml_timeout_ms;
            if (ts->now_ms >= due)
                flush_rec(ts, f, out);
            else if (due - ts->now_ms < wait)
                wait = due - ts->now_ms;
        }
        bool close_it = false;
        if (ts->bounded || f->deleted) {
            close_it = f->eof;
        } else if (!f->in_glob && f->eof) {
            int64_t due = f->active_ms + ts->rotate_wait_ms;
            if (ts->now_ms >= due)
                close_it = true;
            else if (due - ts->now_ms < wait)
                wait = due - ts->now_ms;
        }
        if (close_it) {
            if (finish_file(ts, f, out, err, &rc)) {
                if (!ts->bounded)
                    i--;        /* f was removed */
            } else if (rc != WEIR_OK) {
                return rc;
            }
        }
    }
    if (ts->bounded) {
        int n_done = 0;
        for (int i = 0; i < ts->n_files; i++)
            n_done += ts->files[i]->done;
        if (n_done == ts->n_files)
            return WEIR_DONE;
    }
    src->wait_ms = wait < 1 ? 1 : (int)wait;
    return WEIR_OK;
}

static int tail_poll(struct source *src, struct batch *out, struct weir_error *err)
{
    struct tail_source *ts = (struct tail_source *)src;
    int rc;
    if (!ts->opened && (rc = tail_open(src, err)) != WEIR_OK)
        return rc;
    /* the rows of the previous poll are downstream now: their position is safe */
    if (ts->pos_file != NULL && !ts->checkpointed && ts->dirty &&
        (rc = save_position(ts, err)) != WEIR_OK)
        return rc;
    if (out->n >= BATCH_CAP)
        return WEIR_OK;
    ts->now_ms = mono_ms();
    int before = out->n;
    rc = tail_poll_inner(ts, out, err);
    int rows = out->n - before;
    if (rows > 0)
        atomic_fetch_add_explicit(&src->metrics.rows, rows, memory_order_relaxed);
    if (rc == WEIR_DONE && rows > 0)
        return WEIR_OK;     /* DONE comes on an empty poll, after the position is saved */
    if (rc == WEIR_DONE && ts->pos_file != NULL && !ts->checkpointed && ts->dirty &&
        (rc = save_position(ts, err)) == WEIR_OK)
        rc = WEIR_DONE;
    if (rc == WEIR_OK && rows == 0)
        return WEIR_AGAIN;
    return rc;
}

static void tail_close(struct source *src)
{
    struct tail_source *ts = (struct tail_source *)src;
    if (ts == NULL)
        return;
    drop_all(ts);
    mem_free(ts->files);
    if (ts->ino_fd >= 0)
        close(ts->ino_fd);
    for (int i = 0; i < ts->n_watches; i++)
        mem_free(ts->watches[i].dir);
    mem_free(ts->watches);
    if (ts->dec)
        ts->dec->ops->free(ts->dec);
    held_clear(ts);
    sb_free(&ts->held);
    err_clear(&ts->err);
    pcre2_match_data_free(ts->ml_md);
    pcre2_code_free(ts->ml_re);
    mem_free(ts->buf);
    mem_free(ts->pattern);
    mem_free(ts->pos_file);
    mem_free(ts);
}

static const struct source_ops tail_source_ops = {
    .open = tail_open,
    .poll = tail_poll,
    .position = tail_position,
    .seek = tail_seek,
    .close = tail_close,
};

int tail_source_create(const struct table_ctx *t, struct source **out,
                       struct weir_error *err)
{
    if (t->format == NULL)
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': the tail source needs a "
                       "'format'", t->table_name);
    struct tail_source *ts = mem_calloc(1, sizeof(*ts));
    int rc = WEIR_OK;
    ts->base.ops = &tail_source_ops;
    ts->base.table = t;
    ts->ino_fd = -1;
    ts->md_path = ts->md_name = ts->md_offset = -1;
    const char *p = opt_str(t->opts, "path", "");
    if (strncmp(p, "file://", 7) == 0)
        p += 7;
    ts->pattern = mem_strdup(p);
    ts->latest = strcmp(opt_str(t->opts, "scan.startup.mode", "earliest"), "latest") == 0;
    ts->bounded = opt_bool(t->opts, "scan.bounded", false);
    ts->scan_ms = opt_duration_ms(t->opts, "scan.interval", 1000);
    if (ts->scan_ms < 1)
        ts->scan_ms = 1;
    ts->ml_timeout_ms = opt_duration_ms(t->opts, "multiline.timeout", 1000);
    ts->rotate_wait_ms = opt_duration_ms(t->opts, "rotate-wait", 5000);
    ts->max_line = opt_size(t->opts, "max-line-length", 1 << 20);
    if (opt_has(t->opts, "position.file"))
        ts->pos_file = mem_strdup(opt_str(t->opts, "position.file", ""));
    ts->base.bounded = ts->bounded;
    ts->base.wait_ms = TAIL_WAKE_MS;
    ts->buf = mem_alloc(TAIL_BUF_SIZE);
    if (ts->max_line < 1) {
        rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': option 'max-line-length' must "
                     "be at least 1 byte", t->table_name);
        goto fail;
    }
    if (opt_has(t->opts, "multiline.pattern")) {
        const char *mp = opt_str(t->opts, "multiline.pattern", "");
        int ec;
        PCRE2_SIZE eo;
        ts->ml_re = pcre2_compile((PCRE2_SPTR)mp, PCRE2_ZERO_TERMINATED,
                                  PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
        if (ts->ml_re == NULL) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(ec, msg, sizeof(msg));
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': option 'multiline.pattern': "
                         "%s at offset %d", t->table_name, (const char *)msg, (int)eo);
            goto fail;
        }
        pcre2_jit_compile(ts->ml_re, PCRE2_JIT_COMPLETE);
        ts->ml_md = pcre2_match_data_create_from_pattern(ts->ml_re, NULL);
    }
    for (int i = 0; i < t->n_cols; i++) {
        const char *m = t->col_metadata ? t->col_metadata[i] : NULL;
        if (m == NULL)
            continue;
        if (strcmp(m, "file.path") == 0)
            ts->md_path = i;
        else if (strcmp(m, "file.name") == 0)
            ts->md_name = i;
        else if (strcmp(m, "file.offset") == 0)
            ts->md_offset = i;
        else {
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': unknown metadata key '%s' "
                         "for connector 'tail'; available: file.path, file.name, "
                         "file.offset", t->table_name, m);
            goto fail;
        }
    }
    if ((rc = t->format->decoder_create(t, &ts->dec, err)) != WEIR_OK)
        goto fail;
    *out = &ts->base;
    return WEIR_OK;
fail:
    tail_close(&ts->base);
    return rc;
}
