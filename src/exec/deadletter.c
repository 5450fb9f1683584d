/*
 * deadletter.c — the job's dead-letter file (see deadletter.h).
 *
 * File format: UTF-8 text, one JSON object per line (NDJSON), appended; keys in
 * this order:
 *
 *   {"ts":"2024-01-01T10:00:00.123Z",      UTC wall clock when written (ms)
 *    "table":"orders",                     table the record was read for
 *    "position":"/data/in/a.json:17:1234", where: for files path:line:byte offset
 *    "reason":"expected ':' after key ...",why it was rejected
 *    "raw":"...",                          the record; valid UTF-8 is kept, JSON
 *                                          escapes for '"', '\', control chars;
 *                                          each byte that is not part of valid
 *                                          UTF-8 appears as \u00XX (its value)
 *    "raw_base64":"..."}                   only when raw was not valid UTF-8:
 *                                          the exact bytes, standard base64
 *
 * A line is built in memory and handed to stdio under the mutex, so concurrent
 * writers never interleave; stdio buffers until dlq_flush/dlq_close.
 */
#include "exec/deadletter.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/mem.h"
#include "core/strbuf.h"

struct deadletter {
    FILE *f;                        /* append-mode stream */
    pthread_mutex_t lock;           /* serialises writers */
    _Atomic int64_t count;          /* entries written */
    char *path;                     /* for messages */
};

/* Entries "written" through a NULL writer (tests count without a file). */
static _Atomic int64_t null_count;

/* mkdir -p of the directory part of path. */
static int make_parents(const char *path, struct weir_error *err)
{
    char *dir = mem_strdup(path);
    char *slash = strrchr(dir, '/');
    int rc = WEIR_OK;
    if (slash == NULL || slash == dir)
        goto done;
    *slash = '\0';
    for (char *p = dir + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                rc = err_set(err, WEIR_ERR_IO, "cannot create directory '%s': %s", dir,
                             strerror(errno));
                goto done;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
done:
    mem_free(dir);
    return rc;
}

struct deadletter *dlq_open(const char *path, struct weir_error *err)
{
    if (make_parents(path, err) != WEIR_OK)
        return NULL;
    FILE *f = fopen(path, "a");
    if (f == NULL) {
        err_set(err, WEIR_ERR_IO, "cannot open dead-letter file '%s': %s", path,
                strerror(errno));
        return NULL;
    }
    struct deadletter *d = mem_calloc(1, sizeof(*d));
    d->f = f;
    d->path = mem_strdup(path);
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

/* Length of the valid UTF-8 sequence at p (max n bytes), or 0 if invalid. */
static int utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    int len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)len > n)
        return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Appends a JSON string; returns false if s held invalid UTF-8 (those bytes are
 * written as \u00XX). */
static bool add_json_string(struct strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    bool valid = true;
    sb_addc(sb, '"');
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            sb_addc(sb, (char)c);
            i++;
            continue;
        }
        if (c == '"' || c == '\\') {
            sb_addc(sb, '\\');
            sb_addc(sb, (char)c);
            i++;
            continue;
        }
        int len = c >= 0x80 ? utf8_seq(p + i, n - i) : 0;
        if (len > 0) {
            sb_add(sb, s + i, (size_t)len);
            i += (size_t)len;
            continue;
        }
        if (c >= 0x80)
            valid = false;
        switch (c) {
        case '\n': sb_adds(sb, "\\n"); break;
        case '\r': sb_adds(sb, "\\r"); break;
        case '\t': sb_adds(sb, "\\t"); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sb_add(sb, u, 6);
        }
        }
        i++;
    }
    sb_addc(sb, '"');
    return valid;
}

static void add_base64(struct strbuf *sb, const unsigned char *p, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    sb_addc(sb, '"');
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        char o[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63],
                     tab[v & 63]};
        sb_add(sb, o, 4);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        char o[4] = {tab[v >> 18], tab[(v >> 12) & 63], '=', '='};
        sb_add(sb, o, 4);
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        char o[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], '='};
        sb_add(sb, o, 4);
    }
    sb_addc(sb, '"');
}

static void add_field(struct strbuf *sb, const char *name, const char *v)
{
    sb_addf(sb, ",\"%s\":", name);
    if (v)
        add_json_string(sb, v, strlen(v));
    else
        sb_adds(sb, "null");
}

void dlq_write(struct deadletter *d, const char *table, const char *position,
               const char *reason, const char *raw, size_t raw_len)
{
    if (d == NULL) {
        atomic_fetch_add_explicit(&null_count, 1, memory_order_relaxed);
        return;
    }
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    struct strbuf sb = {0};
    sb_addf(&sb, "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000);
    add_field(&sb, "table", table);
    add_field(&sb, "position", position);
    add_field(&sb, "reason", reason);
    sb_adds(&sb, ",\"raw\":");
    bool valid = add_json_string(&sb, raw ? raw : "", raw ? raw_len : 0);
    if (!valid) {
        sb_adds(&sb, ",\"raw_base64\":");
        add_base64(&sb, (const unsigned char *)raw, raw_len);
    }
    sb_adds(&sb, "}\n");
    pthread_mutex_lock(&d->lock);
    fwrite(sb.buf, 1, sb.len, d->f);
    pthread_mutex_unlock(&d->lock);
    atomic_fetch_add_explicit(&d->count, 1, memory_order_relaxed);
    sb_free(&sb);
}

int64_t dlq_count(const struct deadletter *d)
{
    if (d == NULL)
        return atomic_load_explicit(&null_count, memory_order_relaxed);
    return atomic_load_explicit(&((struct deadletter *)d)->count, memory_order_relaxed);
}

void dlq_flush(struct deadletter *d)
{
    if (d == NULL)
        return;
    pthread_mutex_lock(&d->lock);
    fflush(d->f);
    pthread_mutex_unlock(&d->lock);
}

void dlq_close(struct deadletter *d)
{
    if (d == NULL)
        return;
    fclose(d->f);
    pthread_mutex_destroy(&d->lock);
    mem_free(d->path);
    mem_free(d);
}
