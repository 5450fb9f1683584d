/*
 * strbuf.h — a growable byte buffer for building text (print lines, encoded
 * records, EXPLAIN output).  Always NUL-terminated; memory from mem_alloc.
 */
#ifndef WEIR_STRBUF_H
#define WEIR_STRBUF_H

#include <stddef.h>
#include <string.h>

struct strbuf {
    char *buf;      /* NUL-terminated once anything was added; may be NULL */
    size_t len;
    size_t cap;
};

void sb_reserve(struct strbuf *sb, size_t extra);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct strbuf *sb);
char *sb_steal(struct strbuf *sb);   /* caller frees with mem_free */

static inline void sb_add(struct strbuf *sb, const char *s, size_t n)
{
    if (sb->len + n + 1 > sb->cap)
        sb_reserve(sb, n + 1);
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}
static inline void sb_adds(struct strbuf *sb, const char *s) { sb_add(sb, s, strlen(s)); }
static inline void sb_addc(struct strbuf *sb, char c)
{
    if (sb->len + 2 > sb->cap)
        sb_reserve(sb, 2);
    sb->buf[sb->len++] = c;
    sb->buf[sb->len] = '\0';
}
static inline void sb_clear(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->buf)
        sb->buf[0] = '\0';
}

#endif
