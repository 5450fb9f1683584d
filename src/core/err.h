/*
 * err.h — weir's single return-code convention and the error object.
 *
 * Every fallible function returns an `int rc`: WEIR_OK (0), one of two positive
 * control values (WEIR_DONE: end of stream, WEIR_AGAIN: would block, call again)
 * or a negative WEIR_ERR_* code.  Anything a person will read travels in a
 * `struct weir_error`, which callers may pass as NULL when they only want the rc.
 * Errors that point at SQL text carry a byte offset and length; line and column are
 * computed only when the error is rendered (err_render), as SQLite does with Token.
 */
#ifndef WEIR_ERR_H
#define WEIR_ERR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum weir_rc {
    WEIR_OK = 0,
    WEIR_DONE = 1,              /* end of stream / nothing more */
    WEIR_AGAIN = 2,             /* would block: call again later */
    WEIR_ERR_NOMEM = -1,
    WEIR_ERR_SYNTAX = -2,       /* SQL could not be parsed */
    WEIR_ERR_BIND = -3,         /* names or types do not resolve */
    WEIR_ERR_IO = -4,
    WEIR_ERR_CORRUPT = -5,      /* bad bytes in a file we own */
    WEIR_ERR_CONFIG = -6,       /* bad option, unknown connector, ... */
    WEIR_ERR_TIMEOUT = -7,
    WEIR_ERR_CONNECTOR = -8,    /* an external system failed */
    WEIR_ERR_RUNTIME = -9,      /* a job failed while running (e.g. bad CAST) */
    WEIR_ERR_UNSUPPORTED = -10, /* valid Flink SQL that weir does not run yet */
    WEIR_ERR_INTERNAL = -11,
    WEIR_ERR_PARSE = -12,       /* a record could not be decoded (dead-lettered) */
};

/* A source location inside the text being compiled; offset < 0 means none. */
struct weir_loc {
    int offset;                 /* byte offset into the SQL text */
    int length;                 /* bytes covered (at least 1 when set) */
};

struct weir_error {
    int code;                   /* enum weir_rc, negative */
    char *message;              /* owned; lowercase, no trailing period */
    struct weir_loc loc;        /* where in the SQL text, offset -1 if none */
    bool retriable;             /* trying again may succeed (I/O, connector) */
    bool fatal;                 /* the job cannot go on */
};

#define WEIR_LOC_NONE ((struct weir_loc){-1, 0})

/* Sets err (if not NULL and not already set: the first error wins) and returns
 * code, so callers can write `return err_set(err, WEIR_ERR_IO, "...")`. */
int err_set(struct weir_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int err_set_at(struct weir_error *err, int code, struct weir_loc loc,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int err_vset(struct weir_error *err, int code, struct weir_loc loc,
             const char *fmt, va_list ap);
/* Overwrites whatever was set (for wrapping a lower-level message). */
int err_reset(struct weir_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool err_is_set(const struct weir_error *err);
void err_clear(struct weir_error *err);   /* frees message; err reusable */

const char *weir_rc_name(int rc);        /* "WEIR_ERR_IO" */
const char *weir_rc_str(int rc);         /* "i/o error" */

/* Line (1-based) and column (1-based, in characters) of a byte offset. */
void err_line_col(const char *text, int offset, int *line, int *col);

/* Writes "file:line:col: error: message" + the offending line + a caret line
 * to f.  text/file may be NULL when the error has no location. */
void err_render(FILE *f, const struct weir_error *err, const char *file,
                const char *text);

#endif
