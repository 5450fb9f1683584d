/*
 * snapshot.h — the encoding of operator state in checkpoints.
 *
 * A checkpoint holds, per operator instance, a *section*: a sequence of
 * records, each tagged with the key group its key belongs to (or
 * SNAP_OPERATOR for state that is not keyed).  Restore reads the sections of
 * every old instance of an operator and hands each record to the new instance
 * that owns its key group — that is how a job resumes with another
 * parallelism (DESIGN.md: state is split into key groups).  Records of
 * SNAP_OPERATOR state go to every new instance; the operator decides what to
 * keep (sinks keep the transactions of the old subtasks they take over).
 *
 * Record: u32 key group (SNAP_OPERATOR = 0xffffffff), u32 body length, body.
 * Bodies are written with the snap_put_* codec below and read back with a
 * snap_rd, whose `bad` flag becomes sticky on a short read, so decoders check
 * once at the end.  Integers are in host byte order (little-endian on every
 * platform weir builds for); checkpoints are not meant to move between
 * architectures.
 */
#ifndef WEIR_STATE_SNAPSHOT_H
#define WEIR_STATE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

#define SNAP_OPERATOR (-1)   /* key group of non-keyed (operator) state */

/* ---- codec ----------------------------------------------------------------------- */

void snap_put_u8(struct strbuf *sb, uint8_t v);
void snap_put_u32(struct strbuf *sb, uint32_t v);
void snap_put_i64(struct strbuf *sb, int64_t v);
void snap_put_f64(struct strbuf *sb, double v);
void snap_put_i128(struct strbuf *sb, __int128 v);
/* u32 length + bytes */
void snap_put_bytes(struct strbuf *sb, const void *p, size_t n);
void snap_put_str(struct strbuf *sb, const char *s);   /* NULL is written as "" */

/* A reader over an encoded body. */
struct snap_rd {
    const char *p;
    size_t len;
    size_t pos;
    bool bad;
};
uint8_t snap_get_u8(struct snap_rd *rd);
uint32_t snap_get_u32(struct snap_rd *rd);
int64_t snap_get_i64(struct snap_rd *rd);
double snap_get_f64(struct snap_rd *rd);
__int128 snap_get_i128(struct snap_rd *rd);
/* Borrowed view of a snap_put_bytes field (valid while the body is). */
const char *snap_get_bytes(struct snap_rd *rd, size_t *n);
/* Copies n raw bytes; false (dst zeroed) on a short read. */
bool snap_take(struct snap_rd *rd, void *dst, size_t n);

/* ---- sections ------------------------------------------------------------------- */

struct state_walk;

/* Builds one operator instance's section. */
struct snap_writer {
    struct strbuf buf;
    size_t rec_start;         /* offset of the open record's header */
    int64_t n_records;
    struct state_walk *walks; /* tables still being copied (state/table.h) */
};

/* Opens a record for key group kg (or SNAP_OPERATOR); the body is appended
 * to w->buf with the codec, then snap_end closes it. */
void snap_begin(struct snap_writer *w, int kg);
void snap_end(struct snap_writer *w);

/* Iterates the records of a section. */
struct snap_iter {
    const char *p;
    size_t len, pos;
    bool bad;                 /* a truncated record was met */
};
void snap_iter_init(struct snap_iter *it, const char *p, size_t len);
/* Next record: its key group and body; false at the end (or when bad). */
bool snap_iter_next(struct snap_iter *it, int *kg, struct snap_rd *body);

#endif
