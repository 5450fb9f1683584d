/*
 * convert.c — text → typed value conversion for the text formats (see
 * convert.h).  The integer and double fast paths matter: they are most of a
 * csv field's conversion time (bench/micro_formats.c).
 */
#include "formats/convert.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/datetime.h"
#include "core/decimal.h"
#include "core/numfmt.h"

bool fmt_base64_decode(struct strbuf *out, const char *s, size_t n, bool mime)
{
    sb_clear(out);
    sb_reserve(out, n);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+' || c == '-') v = 62;
        else if (c == '/' || c == '_') v = 63;
        else if (c == '=') break;
        else if (mime && (c == '\n' || c == '\r' || c == ' ')) continue;
        else return false;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            sb_addc(out, (char)(acc >> bits));
        }
    }
    return true;
}

bool fmt_trim_blanks(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
    return *n > 0;
}

static const int64_t int_min[] = {INT8_MIN, INT16_MIN, INT32_MIN, INT64_MIN};
static const int64_t int_max[] = {INT8_MAX, INT16_MAX, INT32_MAX, INT64_MAX};

bool fmt_text_to_scalar(struct vec *v, int row, const char *s, size_t n,
                        struct strbuf *tmp)
{
    const struct sql_type *t = v->type;
    int64_t i;
    double x;
    switch (t->id) {
    case T_CHAR:
    case T_VARCHAR:
        vec_set_str(v, row, s, n);
        break;
    case T_BIGINT:
    case T_INT:
    case T_SMALLINT:
    case T_TINYINT: {
        int w = t->id == T_TINYINT ? 0 : t->id == T_SMALLINT ? 1 : t->id == T_INT ? 2 : 3;
        /* fast path: plain digits, at most 18 of them */
        if (n > 0 && n <= 18) {
            uint64_t u = 0;
            size_t k = 0;
            for (; k < n && (unsigned)(s[k] - '0') <= 9; k++)
                u = u * 10 + (unsigned)(s[k] - '0');
            if (k == n && (int64_t)u <= int_max[w]) {
                v->i64[row] = (int64_t)u;
                break;
            }
        }
        fmt_trim_blanks(&s, &n);
        if (!numfmt_parse_int_strict(s, n, int_min[w], int_max[w], &i))
            return false;
        v->i64[row] = i;
        break;
    }
    case T_FLOAT:
    case T_DOUBLE:
        if (!numfmt_parse_double(s, n, &x))
            return false;
        v->f64[row] = t->id == T_FLOAT ? (double)(float)x : x;
        break;
    case T_DECIMAL: {
        dec128 u;
        int r = dec_parse(s, n, t->precision, t->scale, &u);
        if (r < 0)
            return false;
        if (r > 0) {
            vec_set_null(v, row);     /* does not fit: NULL, as Flink */
            return true;
        }
        v->i128[row] = u;
        break;
    }
    case T_BOOLEAN:
        fmt_trim_blanks(&s, &n);
        v->b[row] = n == 4 && strncasecmp(s, "true", 4) == 0;
        break;
    case T_BINARY:
    case T_VARBINARY:
        if (!fmt_base64_decode(tmp, s, n, false))
            return false;
        vec_set_str(v, row, tmp->buf ? tmp->buf : "", tmp->len);
        break;
    case T_DATE:
        if (!dt_parse_date(s, n, &i))
            return false;
        v->i64[row] = i;
        break;
    case T_TIME:
        if (!dt_parse_time(s, n, &i))
            return false;
        v->i64[row] = i;
        break;
    case T_TIMESTAMP:
    case T_TIMESTAMP_LTZ:
        if (n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
            n--;
        if (!dt_parse_timestamp(s, n, &i))
            return false;
        v->i64[row] = i;
        break;
    default:
        return false;
    }
    vec_set_valid(v, row);
    return true;
}

bool fmt_text_type_ok(const struct sql_type *t)
{
    switch (t->id) {
    case T_CHAR:
    case T_VARCHAR:
    case T_BIGINT:
    case T_INT:
    case T_SMALLINT:
    case T_TINYINT:
    case T_FLOAT:
    case T_DOUBLE:
    case T_DECIMAL:
    case T_BOOLEAN:
    case T_BINARY:
    case T_VARBINARY:
    case T_DATE:
    case T_TIME:
    case T_TIMESTAMP:
    case T_TIMESTAMP_LTZ:
        return true;
    default:
        return false;
    }
}
