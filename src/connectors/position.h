/*
 * position.h — the shared reader for sources' checkpoint positions.
 *
 * Several sources write their position as text, "v1\n" then one line per
 * fact, and read back every old subtask's on a rescale.  The framing, the
 * bounds that keep a damaged checkpoint from running away and the wording of
 * the corruption errors live here so they stay the same across connectors;
 * each source keeps only its own line grammar.
 */
#ifndef WEIR_POSITION_H
#define WEIR_POSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct strbuf;

struct pos_reader {
    const char *kind;       /* connector kind, for messages */
    const char *table;
    int subtask;            /* the old subtask that wrote the position */
    const char *rest;       /* text after the current line */
    const char *line;       /* the current line, in the text */
    size_t len;
    size_t max;             /* lines this long or longer are refused */
    int k;                  /* lines read, the current one included */
    char buf[128];          /* the current line, NUL-terminated */
};

/* Checks the "v1" header; max (at most sizeof buf) bounds a line's length. */
int pos_begin(struct pos_reader *r, const char *pos, const char *kind, const char *table,
              int subtask, size_t max, struct weir_error *err);

/* The next line into r->buf; false at the end.  *why is "line too long" (and
 * r->buf empty) for an over-long line or too many lines, else NULL. */
bool pos_next(struct pos_reader *r, const char **why);

/* WEIR_ERR_CORRUPT: the position is bad, as what says. */
int pos_bad(const struct pos_reader *r, const char *what, struct weir_error *err);

/* WEIR_ERR_CORRUPT: the current line is bad, as why says. */
int pos_bad_line(const struct pos_reader *r, const char *why, struct weir_error *err);

int64_t pos_gcd64(int64_t a, int64_t b);

/* Appends path with '%', '\n' and '\r' as %XX, so it fits on one line. */
void pos_put_path(struct strbuf *sb, const char *path);

#endif
