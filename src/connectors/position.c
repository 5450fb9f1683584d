/*
 * position.c — the shared reader for sources' checkpoint positions (see
 * position.h): one place for the framing and the corruption messages.
 */
#include "connectors/position.h"

#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"

/* a damaged position must not make a rescale read without end */
#define POS_MAX_LINES (1 << 20)

int pos_begin(struct pos_reader *r, const char *pos, const char *kind, const char *table,
              int subtask, size_t max, struct weir_error *err)
{
    *r = (struct pos_reader){.kind = kind, .table = table, .subtask = subtask,
                             .max = max < sizeof(r->buf) ? max : sizeof(r->buf)};
    if (strncmp(pos, "v1\n", 3) != 0)
        return pos_bad(r, "it does not start with 'v1' (written by another version of "
                          "weir?)", err);
    r->rest = pos + 3;
    return WEIR_OK;
}

bool pos_next(struct pos_reader *r, const char **why)
{
    *why = NULL;
    if (*r->rest == '\0')
        return false;
    const char *e = strchr(r->rest, '\n');
    r->line = r->rest;
    r->len = e ? (size_t)(e - r->line) : strlen(r->line);
    r->rest = e ? e + 1 : r->line + r->len;
    r->buf[0] = '\0';
    bool too_many = r->k++ > POS_MAX_LINES;
    if (r->len >= r->max || too_many) {
        *why = "line too long";
        return true;
    }
    memcpy(r->buf, r->line, r->len);
    r->buf[r->len] = '\0';
    return true;
}

int pos_bad(const struct pos_reader *r, const char *what, struct weir_error *err)
{
    return err_set(err, WEIR_ERR_CORRUPT, "table '%s': bad %s position of subtask %d: %s",
                   r->table, r->kind, r->subtask, what);
}

int pos_bad_line(const struct pos_reader *r, const char *why, struct weir_error *err)
{
    /* a long line is cut: the message is for a person */
    return err_set(err, WEIR_ERR_CORRUPT, "table '%s': bad %s position of subtask %d: "
                   "'%.*s': %s", r->table, r->kind, r->subtask,
                   (int)(r->len < 200 ? r->len : 200), r->line, why);
}

int64_t pos_gcd64(int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

void pos_put_path(struct strbuf *sb, const char *path)
{
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '\n' || *p == '\r')
            sb_addf(sb, "%%%02X", (unsigned char)*p);
        else
            sb_addc(sb, *p);
    }
}
