/*
 * spill.c — the append-only spill file (see spill.h).
 */
#include "state/spill.h"
#include "core/files.h"
#include "core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WBUF (1 << 20)   /* appends are written a MiB at a time */

struct spill {
    int fd;
    char *what;
    uint64_t flushed;    /* bytes in the file */
    char *buf;           /* the next bytes, not yet written */
    size_t used;
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
    sp->buf = mem_alloc(WBUF);
    return sp;
}

static int flush(struct spill *sp, struct weir_error *err)
{
    if (sp->used == 0)
        return WEIR_OK;
    if (files_write_all(sp->fd, sp->buf, sp->used) != 0)
        return err_set(err, WEIR_ERR_IO, "cannot write the spill file of %s: %s", sp->what,
                       strerror(errno));
    sp->flushed += sp->used;
    sp->used = 0;
    return WEIR_OK;
}

int spill_append(struct spill *sp, const void *p, size_t len, uint64_t *off,
                 struct weir_error *err)
{
    if (sp->used + len > WBUF) {
        int rc = flush(sp, err);
        if (rc)
            return rc;
    }
    *off = sp->flushed + sp->used;
    if (len > WBUF) {   /* bigger than the buffer: straight to the file */
        if (files_write_all(sp->fd, p, len) != 0)
            return err_set(err, WEIR_ERR_IO, "cannot write the spill file of %s: %s",
                           sp->what, strerror(errno));
        sp->flushed += len;
        return WEIR_OK;
    }
    memcpy(sp->buf + sp->used, p, len);
    sp->used += len;
    return WEIR_OK;
}

int spill_read(struct spill *sp, uint64_t off, void *dst, size_t len, struct weir_error *err)
{
    if (off >= sp->flushed) {   /* appends never straddle the buffer's start */
        if (off - sp->flushed + len > sp->used)
            return err_set(err, WEIR_ERR_IO, "a read past the end of the spill file of %s",
                           sp->what);
        memcpy(dst, sp->buf + (off - sp->flushed), len);
        return WEIR_OK;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(sp->fd, (char *)dst + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return err_set(err, WEIR_ERR_IO, "cannot read the spill file of %s: %s", sp->what,
                           n < 0 ? strerror(errno) : "it is shorter than written");
        got += (size_t)n;
    }
    return WEIR_OK;
}

uint64_t spill_size(const struct spill *sp)
{
    return sp->flushed + sp->used;
}

void spill_close(struct spill *sp)
{
    if (sp == NULL)
        return;
    close(sp->fd);
    mem_free(sp->what);
    mem_free(sp->buf);
    mem_free(sp);
}
