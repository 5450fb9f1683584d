/*
 * err.c — the error object and rc names (see err.h).
 */
#include "core/err.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

int err_vset(struct weir_error *err, int code, struct weir_loc loc,
             const char *fmt, va_list ap)
{
    if (err == NULL || err->code != 0)
        return code;
    err->code = code;
    err->loc = loc;
    err->message = mem_vsprintf(fmt, ap);
    err->retriable = false;
    err->fatal = false;
    return code;
}

int err_set(struct weir_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, code, WEIR_LOC_NONE, fmt, ap);
    va_end(ap);
    return code;
}

int err_set_at(struct weir_error *err, int code, struct weir_loc loc,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, code, loc, fmt, ap);
    va_end(ap);
    return code;
}

int err_reset(struct weir_error *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    struct weir_loc loc = err->code ? err->loc : WEIR_LOC_NONE;
    err_clear(err);
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, code, loc, fmt, ap);
    va_end(ap);
    return code;
}

bool err_is_set(const struct weir_error *err)
{
    return err != NULL && err->code != 0;
}

void err_clear(struct weir_error *err)
{
    if (err == NULL)
        return;
    mem_free(err->message);
    memset(err, 0, sizeof(*err));
    err->loc = WEIR_LOC_NONE;
}

static const struct {
    int rc;
    const char *name;
    const char *str;
} rc_table[] = {
    {WEIR_OK, "WEIR_OK", "ok"},
    {WEIR_DONE, "WEIR_DONE", "done"},
    {WEIR_AGAIN, "WEIR_AGAIN", "try again"},
    {WEIR_ERR_NOMEM, "WEIR_ERR_NOMEM", "out of memory"},
    {WEIR_ERR_SYNTAX, "WEIR_ERR_SYNTAX", "syntax error"},
    {WEIR_ERR_BIND, "WEIR_ERR_BIND", "validation error"},
    {WEIR_ERR_IO, "WEIR_ERR_IO", "i/o error"},
    {WEIR_ERR_CORRUPT, "WEIR_ERR_CORRUPT", "corrupt data"},
    {WEIR_ERR_CONFIG, "WEIR_ERR_CONFIG", "configuration error"},
    {WEIR_ERR_TIMEOUT, "WEIR_ERR_TIMEOUT", "timed out"},
    {WEIR_ERR_CONNECTOR, "WEIR_ERR_CONNECTOR", "connector error"},
    {WEIR_ERR_RUNTIME, "WEIR_ERR_RUNTIME", "runtime error"},
    {WEIR_ERR_UNSUPPORTED, "WEIR_ERR_UNSUPPORTED", "not supported"},
    {WEIR_ERR_INTERNAL, "WEIR_ERR_INTERNAL", "internal error"},
    {WEIR_ERR_PARSE, "WEIR_ERR_PARSE", "record could not be decoded"},
};

const char *weir_rc_name(int rc)
{
    for (size_t i = 0; i < sizeof(rc_table) / sizeof(rc_table[0]); i++)
        if (rc_table[i].rc == rc)
            return rc_table[i].name;
    return "WEIR_ERR_UNKNOWN";
}

const char *weir_rc_str(int rc)
{
    for (size_t i = 0; i < sizeof(rc_table) / sizeof(rc_table[0]); i++)
        if (rc_table[i].rc == rc)
            return rc_table[i].str;
    return "unknown error";
}

void err_line_col(const char *text, int offset, int *line, int *col)
{
    int l = 1, c = 1;
    for (int i = 0; text && i < offset && text[i]; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            c++;    /* count characters, not UTF-8 continuation bytes */
        }
    }
    *line = l;
    *col = c;
}

void err_render(FILE *f, const struct weir_error *err, const char *file,
                const char *text)
{
    const char *msg = err && err->message ? err->message
                                          : weir_rc_str(err ? err->code : -11);
    if (err == NULL || err->loc.offset < 0 || text == NULL) {
        if (file)
            fprintf(f, "%s: error: %s\n", file, msg);
        else
            fprintf(f, "error: %s\n", msg);
        return;
    }
    int line, col;
    err_line_col(text, err->loc.offset, &line, &col);
    fprintf(f, "%s:%d:%d: error: %s\n", file ? file : "<sql>", line, col, msg);
    /* the offending line, then a caret under the culprit */
    const char *start = text + err->loc.offset;
    while (start > text && start[-1] != '\n')
        start--;
    const char *end = strchr(start, '\n');
    int len = end ? (int)(end - start) : (int)strlen(start);
    fprintf(f, "  %.*s\n  ", len, start);
    for (const char *p = start; p < text + err->loc.offset; p++)
        fputc(*p == '\t' ? '\t' : ' ', f);
    int n = err->loc.length > 0 ? err->loc.length : 1;
    if (n > len - (int)(text + err->loc.offset - start))
        n = len - (int)(text + err->loc.offset - start);
    if (n < 1)
        n = 1;
    fputc('^', f);
    for (int i = 1; i < n; i++)
        fputc('~', f);
    fputc('\n', f);
}
