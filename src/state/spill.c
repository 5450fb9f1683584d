/*
 * spill.c — the append-only spill file (see spill.h).
 */
#include "state/spill.h"
#include "core/files.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK ((size_t)1 << 20)   /* the tail is kept in MiB pieces */

/*
 * The file's bytes are contiguous in offsets.  The newest of them sit in
 * memory: chunks k = 0..n-1 holding [base + k·CHUNK, base + (k+1)·CHUNK),
 * the last one partly filled; at least one chunk is kept (the write
 * buffer), and as many as tail_max allows.  A chunk leaving the tail is
 * written to the file at its offset, whole.  Chunks are mapped directly
 * (mmap), so the memory of a chunk that leaves goes back to the system at
 * once instead of staying in malloc's heap as the process's footprint.
 */
struct spill {
    int fd;
    char *what;
    uint64_t end;        /* bytes appended: the next append's offset */
    uint64_t base;       /* offset of chunk 0 (everything before is in the file) */
    char **chunk;        /* the tail, oldest first */
    int n, cap;
    size_t tail_max;     /* bytes of chunks to keep (>= CHUNK) */
    uint64_t punched;    /* bytes before it are a hole (spill_discard) */
    bool no_punch;       /* the file system cannot punch holes */
};

struct spill *spill_open(const char *dir, const char *what, struct weir_error *err)
{
    if (files_mkdirs(dir, err) != WEIR_OK)
        return NULL;
    char *path = mem_sprintf("%s/spill-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        err_set(err, WEIR_ERR_IO, "cannot create a spill file for %s in %s: %s", what, dir,
                strerror(errno));
        mem_free(path);
        return NULL;
    }
    unlink(path);   /* the open descriptor keeps it until the process ends */
    mem_free(path);
    struct spill *sp = mem_calloc(1, sizeof(*sp));
    sp->fd = fd;
    sp->what = mem_strdup(what);
    sp->tail_max = CHUNK;
    return sp;
}

/* Writes the oldest chunk to the file and takes it out of the tail;
 * returns it (the caller reuses or unmaps it), or NULL with err set. */
static char *write_oldest(struct spill *sp, struct weir_error *err)
{
    char *c = sp->chunk[0];
    size_t got = 0;
    while (got < CHUNK) {
        ssize_t w = pwrite(sp->fd, c + got, CHUNK - got, (off_t)(sp->base + got));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err_set(err, WEIR_ERR_IO, "cannot write the spill file of %s: %s", sp->what,
                    w < 0 ? strerror(errno) : "no space written");
            return NULL;
        }
        got += (size_t)w;
    }
    memmove(sp->chunk, sp->chunk + 1, (size_t)(sp->n - 1) * sizeof(char *));
    sp->n--;
    sp->base += CHUNK;
    return c;
}

/* Writes the oldest chunks out while the tail holds more than tail_max
 * (the last chunk, taking appends, stays). */
static int trim(struct spill *sp, struct weir_error *err)
{
    while (sp->n > 1 && (size_t)sp->n * CHUNK > sp->tail_max) {
        char *c = write_oldest(sp, err);
        if (c == NULL)
            return err->code;
        munmap(c, CHUNK);
    }
    return WEIR_OK;
}

/* A chunk for the next appends: the oldest one, written out, when the tail
 * is full (no fresh pages to fault in and zero), else a new mapping. */
static int next_chunk(struct spill *sp, struct weir_error *err)
{
    char *c;
    if (sp->n > 0 && (size_t)(sp->n + 1) * CHUNK > sp->tail_max) {
        if ((c = write_oldest(sp, err)) == NULL)
            return err->code;
    } else {
        c = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (c == MAP_FAILED)
            return err_set(err, WEIR_ERR_IO, "cannot map memory for the spill file of %s: %s",
                           sp->what, strerror(errno));
    }
    MEM_GROW_SMALL(sp->chunk, sp->cap, sp->n + 1);
    sp->chunk[sp->n++] = c;
    return WEIR_OK;
}

int spill_append(struct spill *sp, const void *p, size_t len, uint64_t *off,
                 struct weir_error *err)
{
    *off = sp->end;
    const char *src = p;
    while (len > 0) {
        size_t at = (size_t)(sp->end - sp->base) - (size_t)(sp->n > 0 ? sp->n - 1 : 0) * CHUNK;
        if (sp->n == 0 || at == CHUNK) {
            int rc = next_chunk(sp, err);
            if (rc)
                return rc;
            at = 0;
        }
        size_t k = CHUNK - at < len ? CHUNK - at : len;
        memcpy(sp->chunk[sp->n - 1] + at, src, k);
        src += k;
        len -= k;
        sp->end += k;
    }
    return WEIR_OK;
}

int spill_read(struct spill *sp, uint64_t off, void *dst, size_t len, struct weir_error *err)
{
    if (off > sp->end || len > sp->end - off)
        return err_set(err, WEIR_ERR_IO, "a read past the end of the spill file of %s",
                       sp->what);
    char *out = dst;
    while (len > 0 && off < sp->base) {   /* the part in the file */
        size_t want = sp->base - off < len ? (size_t)(sp->base - off) : len;
        ssize_t n = pread(sp->fd, out, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return err_set(err, WEIR_ERR_IO, "cannot read the spill file of %s: %s", sp->what,
                           n < 0 ? strerror(errno) : "it is shorter than written");
        out += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    while (len > 0) {   /* the part in the tail */
        size_t k = (size_t)((off - sp->base) / CHUNK), at = (size_t)((off - sp->base) % CHUNK);
        size_t m = CHUNK - at < len ? CHUNK - at : len;
        memcpy(out, sp->chunk[k] + at, m);
        out += m;
        off += m;
        len -= m;
    }
    return WEIR_OK;
}

int spill_set_tail(struct spill *sp, size_t bytes, struct weir_error *err)
{
    sp->tail_max = bytes > CHUNK ? bytes : CHUNK;
    return trim(sp, err);
}

#define TAIL_MIN ((size_t)8 << 20)

int spill_fit_tail(struct spill *sp, int64_t budget, int64_t rest, int files,
                   struct weir_error *err)
{
    size_t each = budget > rest ? (size_t)((budget - rest) / (files > 0 ? files : 1)) : 0;
    return spill_set_tail(sp, each > TAIL_MIN ? each : TAIL_MIN, err);
}

size_t spill_mem_bytes(const struct spill *sp)
{
    return sp ? (size_t)sp->n * CHUNK : 0;
}

int spill_append_lazy(struct spill **sp, const char *dir, const char *what, const void *p,
                      size_t len, uint64_t *off, struct weir_error *err)
{
    if (*sp == NULL && (*sp = spill_open(dir, what, err)) == NULL)
        return err->code ? err->code : WEIR_ERR_IO;
    return spill_append(*sp, p, len, off, err);
}

const char *spill_bytes(struct spill *sp, bool spilled, const void *data, size_t len,
                        struct strbuf *buf, struct weir_error *err)
{
    if (!spilled)
        return data;
    if (err->code)
        return NULL;
    uint64_t off;
    memcpy(&off, data, 8);
    sb_clear(buf);
    sb_reserve(buf, len + 1);
    if (spill_read(sp, off, buf->buf, len, err) != WEIR_OK)
        return NULL;
    buf->len = len;
    return buf->buf;
}

void spill_discard(struct spill *sp, uint64_t upto)
{
    if (sp == NULL || sp->no_punch)
        return;
    if (upto > sp->base)
        upto = sp->base;   /* the rest is in the tail, in memory */
    upto &= ~(uint64_t)(CHUNK - 1);
    if (upto <= sp->punched)
        return;
    if (fallocate(sp->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)sp->punched,
                  (off_t)(upto - sp->punched)) != 0) {
        if (errno == EOPNOTSUPP || errno == ENOSYS)
            sp->no_punch = true;   /* else (EINTR, EIO...) tried again next time */
        return;
    }
    sp->punched = upto;
}

uint64_t spill_disk_bytes(const struct spill *sp)
{
    return sp ? sp->base - sp->punched : 0;
}

uint64_t spill_size(const struct spill *sp)
{
    return sp->end;
}

void spill_close(struct spill *sp)
{
    if (sp == NULL)
        return;
    close(sp->fd);
    for (int i = 0; i < sp->n; i++)
        munmap(sp->chunk[i], CHUNK);
    mem_free(sp->chunk);
    mem_free(sp->what);
    mem_free(sp);
}
