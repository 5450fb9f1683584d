/*
 * filter_csv.c — the practical limit for bench/stateless.sh's CSV job: a
 * minimal single-threaded program doing by hand what bench/stateless_csv.sql
 * asks weir to do,
 *
 *   SELECT user_id, action, amount FROM events
 *   WHERE amount > 50 AND action <> 'view'
 *
 * over the file of bench/gen_events.c (fields user_id, action, item_id,
 * amount, ts; no header).  read(2) in 1 MiB chunks, memchr for the line ends
 * and for the commas, the numbers parsed inline (amount as integer cents,
 * i.e. DECIMAL(10, 2)), the filter applied, and the projected row built as
 * `user_id,action,amount\n` into a buffer that is then thrown away (its rows
 * and bytes are counted).
 *
 *   filter_csv FILE      prints: rows_in N rows_out M bytes_out B
 *
 * What it skips that weir does (why this is a limit, not a competitor):
 *   - no CSV dialect: no quoted fields, escapes, comments or '\r'; the field
 *     count is not checked (weir rejects a row of the wrong arity) and fields
 *     after amount are not looked at;
 *   - no dead-lettering: a line with too few fields is silently skipped;
 *   - no types: amount must be digits[.digits] (a third decimal is dropped,
 *     not rounded; no sign, exponent, whitespace trimming or overflow check),
 *     user_id is unchecked digits, action is raw bytes (no UTF-8 check); no
 *     NULLs;
 *   - no columns, batches, operators, metrics, checkpoints or sink: one loop.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1 << 20)

/* Parses digits at *pp; advances *pp past them. */
static int64_t parse_int(const char **pp, const char *end)
{
    const char *p = *pp;
    int64_t v = 0;
    while (p < end && (unsigned)(*p - '0') < 10)
        v = v * 10 + (*p++ - '0');
    *pp = p;
    return v;
}

/* digits[.digits] as hundredths */
static int64_t parse_cents(const char *p, const char *end)
{
    int64_t v = parse_int(&p, end) * 100;
    if (p < end && *p == '.') {
        p++;
        if (p < end && (unsigned)(*p - '0') < 10) {
            v += (*p++ - '0') * 10;
            if (p < end && (unsigned)(*p - '0') < 10)
                v += *p - '0';
        }
    }
    return v;
}

static char *put_i64(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* The comma ending the field at p (or NULL when the line has no more). */
static const char *comma(const char *p, const char *end)
{
    return p ? memchr(p, ',', (size_t)(end - p)) : NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: filter_csv FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    char *buf = malloc(2 * CHUNK);          /* a chunk plus a carried partial line */
    static char out[1 << 16];               /* projected rows, discarded when full */
    size_t have = 0, out_len = 0;
    uint64_t rows_in = 0, rows_out = 0, bytes_out = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, CHUNK);
        if (r < 0) {
            perror("read");
            return 1;
        }
        size_t len = have + (size_t)r;
        const char *p = buf, *end = buf + len;
        for (;;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL) {
                if (r > 0)
                    break;                  /* partial line: carry it over */
                if (p == end)
                    break;
                nl = end;                   /* last line without '\n' */
            }
            rows_in++;
            const char *c1 = comma(p, nl);              /* after user_id */
            const char *c2 = comma(c1 ? c1 + 1 : NULL, nl);   /* after action */
            const char *c3 = comma(c2 ? c2 + 1 : NULL, nl);   /* after item_id */
            if (c3) {
                const char *u = p;
                int64_t user = parse_int(&u, c1);
                const char *a = c1 + 1;
                size_t a_len = (size_t)(c2 - a);
                const char *c4 = memchr(c3 + 1, ',', (size_t)(nl - c3 - 1));
                int64_t cents = parse_cents(c3 + 1, c4 ? c4 : nl);
                if (cents > 5000 && !(a_len == 4 && memcmp(a, "view", 4) == 0)) {
                    if (out_len > sizeof(out) - 64 - a_len) {
                        bytes_out += out_len;
                        out_len = 0;
                    }
                    char *o = put_i64(out + out_len, user);
                    *o++ = ',';
                    memcpy(o, a, a_len);
                    o += a_len;
                    *o++ = ',';
                    o = put_i64(o, cents / 100);
                    *o++ = '.';
                    *o++ = (char)('0' + cents / 10 % 10);
                    *o++ = (char)('0' + cents % 10);
                    *o++ = '\n';
                    out_len = (size_t)(o - out);
                    rows_out++;
                }
            }
            p = nl < end ? nl + 1 : end;
        }
        if (r == 0)
            break;
        have = (size_t)(end - p);
        if (have > CHUNK) {
            fprintf(stderr, "filter_csv: line longer than %d bytes\n", CHUNK);
            return 1;
        }
        memmove(buf, p, have);
    }
    bytes_out += out_len;
    printf("rows_in %llu rows_out %llu bytes_out %llu\n", (unsigned long long)rows_in,
           (unsigned long long)rows_out, (unsigned long long)bytes_out);
    return 0;
}
