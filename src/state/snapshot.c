/*
 * snapshot.c — the record codec of checkpointed operator state (snapshot.h).
 */
#include "state/snapshot.h"

#include <string.h>

void snap_put_u8(struct strbuf *sb, uint8_t v) { sb_add(sb, (const char *)&v, 1); }
void snap_put_u32(struct strbuf *sb, uint32_t v) { sb_add(sb, (const char *)&v, 4); }
void snap_put_i64(struct strbuf *sb, int64_t v) { sb_add(sb, (const char *)&v, 8); }
void snap_put_f64(struct strbuf *sb, double v) { sb_add(sb, (const char *)&v, 8); }
void snap_put_i128(struct strbuf *sb, __int128 v) { sb_add(sb, (const char *)&v, 16); }

void snap_put_bytes(struct strbuf *sb, const void *p, size_t n)
{
    snap_put_u32(sb, (uint32_t)n);
    if (n)
        sb_add(sb, p, n);
}

void snap_put_str(struct strbuf *sb, const char *s)
{
    snap_put_bytes(sb, s ? s : "", s ? strlen(s) : 0);
}

bool snap_take(struct snap_rd *rd, void *dst, size_t n)
{
    if (rd->bad || rd->len - rd->pos < n) {
        rd->bad = true;
        memset(dst, 0, n);
        return false;
    }
    memcpy(dst, rd->p + rd->pos, n);
    rd->pos += n;
    return true;
}

uint8_t snap_get_u8(struct snap_rd *rd)
{
    uint8_t v;
    snap_take(rd, &v, 1);
    return v;
}

uint32_t snap_get_u32(struct snap_rd *rd)
{
    uint32_t v;
    snap_take(rd, &v, 4);
    return v;
}

int64_t snap_get_i64(struct snap_rd *rd)
{
    int64_t v;
    snap_take(rd, &v, 8);
    return v;
}

double snap_get_f64(struct snap_rd *rd)
{
    double v;
    snap_take(rd, &v, 8);
    return v;
}

__int128 snap_get_i128(struct snap_rd *rd)
{
    __int128 v;
    snap_take(rd, &v, 16);
    return v;
}

const char *snap_get_bytes(struct snap_rd *rd, size_t *n)
{
    uint32_t len = snap_get_u32(rd);
    if (rd->bad || rd->len - rd->pos < len) {
        rd->bad = true;
        *n = 0;
        return "";
    }
    const char *p = rd->p + rd->pos;
    rd->pos += len;
    *n = len;
    return p;
}

void snap_begin(struct snap_writer *w, int kg)
{
    w->rec_start = w->buf.len;
    uint32_t hdr[2] = {(uint32_t)kg, 0};
    sb_add(&w->buf, (const char *)hdr, sizeof(hdr));
}

void snap_end(struct snap_writer *w)
{
    uint32_t body = (uint32_t)(w->buf.len - w->rec_start - 8);
    memcpy(w->buf.buf + w->rec_start + 4, &body, 4);
    w->n_records++;
}

void snap_iter_init(struct snap_iter *it, const char *p, size_t len)
{
    it->p = p;
    it->len = len;
    it->pos = 0;
    it->bad = false;
}

bool snap_iter_next(struct snap_iter *it, int *kg, struct snap_rd *body)
{
    if (it->bad || it->pos == it->len)
        return false;
    uint32_t hdr[2];
    if (it->len - it->pos < sizeof(hdr)) {
        it->bad = true;
        return false;
    }
    memcpy(hdr, it->p + it->pos, sizeof(hdr));
    if (it->len - it->pos - sizeof(hdr) < hdr[1]) {
        it->bad = true;
        return false;
    }
    *kg = hdr[0] == 0xffffffffu ? SNAP_OPERATOR : (int)hdr[0];
    body->p = it->p + it->pos + sizeof(hdr);
    body->len = hdr[1];
    body->pos = 0;
    body->bad = false;
    it->pos += sizeof(hdr) + hdr[1];
    return true;
}
