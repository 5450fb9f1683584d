/*
 * strbuf.c — growable text buffer (see strbuf.h).
 */
#include "core/strbuf.h"
#include "core/mem.h"

#include <stdarg.h>
#include <stdio.h>

void sb_reserve(struct strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    sb->buf = mem_realloc(sb->buf, cap);
    sb->cap = cap;
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    sb_reserve(sb, 128);
    size_t room = sb->cap - sb->len;
    int n = vsnprintf(sb->buf + sb->len, room, fmt, ap2);
    va_end(ap2);
    if (n > 0 && (size_t)n >= room) {
        sb_reserve(sb, (size_t)n + 1);
        vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    }
    if (n > 0)
        sb->len += (size_t)n;
    else
        sb->buf[sb->len] = '\0';
    va_end(ap);
}

void sb_free(struct strbuf *sb)
{
    mem_free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}

char *sb_steal(struct strbuf *sb)
{
    if (sb->buf == NULL)
        return mem_strdup("");
    char *p = sb->buf;
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    return p;
}
