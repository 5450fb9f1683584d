/*
 * files.c — small file-system helpers (files.h).
 */
#include "core/files.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"

int files_mkdirs(const char *path, struct weir_error *err)
{
    char *p = mem_strdup(path);
    size_t n = strlen(p);
    int rc = WEIR_OK;
    /* every prefix ending at a '/' (but the root), then the whole path */
    for (size_t i = 1; i <= n && rc == WEIR_OK; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            rc = err_set(err, WEIR_ERR_IO, "cannot create directory '%s': %s", p,
                         strerror(errno));
        p[i] = c;
    }
    mem_free(p);
    return rc;
}

int files_write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)   /* no progress: do not spin */
                errno = EIO;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int files_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}
