/*
 * files.c — small file-system helpers (files.h).
 */
#include "core/files.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

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
