/*
 * value_fmt.c — one cell as text, four ways (see value_fmt.h).
 *
 * Where the spelling comes from, in Flink: the print connector converts RowData to
 * external objects and prints Row.toString (Instant for LTZ, Period/Duration for
 * intervals, BigDecimal.toString, byte[] as Arrays.toString); CAST(x AS STRING)
 * follows the 1.15+ cast rules; JSON and CSV follow flink-json / flink-csv, which
 * write through Jackson (Jackson's CSV "loose" quoting check is reproduced: strings
 * longer than 24 chars or holding a char <= max(delimiter, quote, '\n') are quoted).
 */
#include "core/value_fmt.h"

#include <string.h>

#include "core/datetime.h"
#include "core/decimal.h"
#include "core/numfmt.h"

/* ---- shared scalar rendering ------------------------------------------------------ */

static void add_i64(struct strbuf *sb, int64_t v)
{
    char b[NUMFMT_MAX];
    sb_add(sb, b, (size_t)numfmt_i64(b, v));
}

static void add_double(struct strbuf *sb, const struct vec *v, int row)
{
    char b[NUMFMT_MAX];
    int n = v->type->id == T_FLOAT ? numfmt_float(b, (float)v->f64[row])
                                   : numfmt_double(b, v->f64[row]);
    sb_add(sb, b, (size_t)n);
}

static void add_bytes_java(struct strbuf *sb, const struct str *s)
{
    /* Arrays.toString(byte[]): signed bytes */
    sb_addc(sb, '[');
    for (uint32_t i = 0; i < s->len; i++) {
        if (i)
            sb_add(sb, ", ", 2);
        add_i64(sb, (int8_t)s->ptr[i]);
    }
    sb_addc(sb, ']');
}

/* ---- print connector -------------------------------------------------------------- */

static void print_val(struct strbuf *sb, const struct vec *v, int row);

static void print_nested(struct strbuf *sb, const struct vec *v, int row)
{
    const struct sql_type *t = v->type;
    if (t->id == T_ROW) {
        sb_add(sb, "+I[", 3);
        for (int k = 0; k < v->n_children; k++) {
            if (k)
                sb_add(sb, ", ", 2);
            print_val(sb, &v->children[k], row);
        }
        sb_addc(sb, ']');
        return;
    }
    int b = v->offsets[row], e = v->offsets[row + 1];
    if (t->id == T_ARRAY) {
        sb_addc(sb, '[');
        for (int k = b; k < e; k++) {
            if (k > b)
                sb_add(sb, ", ", 2);
            print_val(sb, &v->children[0], k);
        }
        sb_addc(sb, ']');
    } else {
        sb_addc(sb, '{');
        for (int k = b; k < e; k++) {
            if (k > b)
                sb_add(sb, ", ", 2);
            print_val(sb, &v->children[0], k);
            sb_addc(sb, '=');
            print_val(sb, &v->children[1], k);
        }
        sb_addc(sb, '}');
    }
}

static void print_val(struct strbuf *sb, const struct vec *v, int row)
{
    if (vec_is_null(v, row) || v->type->id == T_NULL) {
        sb_add(sb, "null", 4);
        return;
    }
    char b[64];
    int n;
    switch (v->type->id) {
    case T_BOOLEAN:
        if (v->b[row])
            sb_add(sb, "true", 4);
        else
            sb_add(sb, "false", 5);
        return;
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT: add_i64(sb, v->i64[row]); return;
    case T_FLOAT:
    case T_DOUBLE: add_double(sb, v, row); return;
    case T_DECIMAL: n = dec_fmt_java(b, v->i128[row], v->type->scale); break;
    case T_CHAR:
    case T_VARCHAR: sb_add(sb, v->s[row].ptr, v->s[row].len); return;
    case T_BINARY:
    case T_VARBINARY: add_bytes_java(sb, &v->s[row]); return;
    case T_DATE: n = dt_fmt_date(b, v->i64[row]); break;
    case T_TIME: n = dt_fmt_time_java(b, v->i64[row]); break;
    case T_TIMESTAMP: n = dt_fmt_ts_java(b, v->i64[row]); break;
    case T_TIMESTAMP_LTZ: n = dt_fmt_instant_java(b, v->i64[row]); break;
    case T_INTERVAL_YM: n = dt_fmt_period_java(b, v->i64[row]); break;
    case T_INTERVAL_DT: n = dt_fmt_duration_java(b, v->i64[row]); break;
    case T_ROW:
    case T_ARRAY:
    case T_MAP: print_nested(sb, v, row); return;
    default: sb_add(sb, "?", 1); return;
    }
    sb_add(sb, b, (size_t)n);
}

void vfmt_print(struct strbuf *sb, const struct vec *v, int row)
{
    print_val(sb, v, row);
}

void vfmt_print_row(struct strbuf *sb, enum row_kind kind, const struct vec *cols,
                    int n_cols, int row)
{
    sb_adds(sb, row_kind_str(kind));
    sb_addc(sb, '[');
    for (int c = 0; c < n_cols; c++) {
        if (c)
            sb_add(sb, ", ", 2);
        print_val(sb, &cols[c], row);
    }
    sb_addc(sb, ']');
}

/* ---- CAST(x AS STRING) ------------------------------------------------------------ */

static void cast_val(struct strbuf *sb, const struct vec *v, int row, bool nested)
{
    if (vec_is_null(v, row) || v->type->id == T_NULL) {
        sb_add(sb, "NULL", 4);
        return;
    }
    const struct sql_type *t = v->type;
    char b[64];
    int n;
    switch (t->id) {
    case T_BOOLEAN:
        if (v->b[row])
            sb_add(sb, "TRUE", 4);
        else
            sb_add(sb, "FALSE", 5);
        return;
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT: add_i64(sb, v->i64[row]); return;
    case T_FLOAT:
    case T_DOUBLE: add_double(sb, v, row); return;
    case T_DECIMAL: n = dec_fmt(b, v->i128[row], t->scale); break;
    case T_CHAR:
    case T_VARCHAR:
    case T_BINARY:
    case T_VARBINARY: sb_add(sb, v->s[row].ptr, v->s[row].len); return;
    case T_DATE: n = dt_fmt_date(b, v->i64[row]); break;
    case T_TIME: n = dt_fmt_time_sql(b, v->i64[row], t->precision); break;
    case T_TIMESTAMP: n = dt_fmt_ts_sql(b, v->i64[row], t->precision); break;
    case T_TIMESTAMP_LTZ: n = dt_fmt_ltz_sql(b, v->i64[row], t->precision); break;
    case T_INTERVAL_YM: n = dt_fmt_interval_ym(b, v->i64[row]); break;
    case T_INTERVAL_DT: n = dt_fmt_interval_dt(b, v->i64[row]); break;
    case T_ROW:
        sb_addc(sb, '(');
        for (int k = 0; k < v->n_children; k++) {
            if (k)
                sb_add(sb, ", ", 2);
            cast_val(sb, &v->children[k], row, true);
        }
        sb_addc(sb, ')');
        return;
    case T_ARRAY: {
        int s = v->offsets[row], e = v->offsets[row + 1];
        sb_addc(sb, '[');
        for (int k = s; k < e; k++) {
            if (k > s)
                sb_add(sb, ", ", 2);
            cast_val(sb, &v->children[0], k, true);
        }
        sb_addc(sb, ']');
        return;
    }
    case T_MAP: {
        int s = v->offsets[row], e = v->offsets[row + 1];
        sb_addc(sb, '{');
        for (int k = s; k < e; k++) {
            if (k > s)
                sb_add(sb, ", ", 2);
            cast_val(sb, &v->children[0], k, true);
            sb_addc(sb, '=');
            cast_val(sb, &v->children[1], k, true);
        }
        sb_addc(sb, '}');
        return;
    }
    default: return;
    }
    (void)nested;
    sb_add(sb, b, (size_t)n);
}

void vfmt_cast_string(struct strbuf *sb, const struct vec *v, int row)
{
    cast_val(sb, v, row, false);
}

/* ---- JSON ------------------------------------------------------------------------- */

void vfmt_json_string(struct strbuf *sb, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    sb_reserve(sb, len + 2);
    sb_addc(sb, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (i > run)
            sb_add(sb, s + run, i - run);
        run = i + 1;
        char e[7] = {'\\', 0};
        size_t en = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            en = 6;
        }
        sb_add(sb, e, en);
    }
    if (len > run)
        sb_add(sb, s + run, len - run);
    sb_addc(sb, '"');
}

static void add_base64(struct strbuf *sb, const unsigned char *p, size_t n)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    sb_reserve(sb, (n + 2) / 3 * 4);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char o[4] = {tbl[v >> 18 & 63], tbl[v >> 12 & 63], i + 1 < n ? tbl[v >> 6 & 63] : '=',
                     i + 2 < n ? tbl[v & 63] : '='};
        sb_add(sb, o, 4);
    }
}

/* yyyy-MM-dd(sep)HH:mm:ss[.fraction with only the digits needed] — Flink's
 * SQL_TIMESTAMP_FORMAT / ISO_LOCAL_DATE_TIME with appendFraction(0, 9). */
static int fmt_ts_text(char *b, int64_t us, char sep)
{
    int n = dt_fmt_date(b, dt_ts_date(us));
    int64_t t = dt_ts_time(us);
    int64_t secs = t / DT_US_PER_SEC, frac = t % DT_US_PER_SEC;
    char *o = b + n;
    *o++ = sep;
    o[0] = (char)('0' + secs / 36000);
    o[1] = (char)('0' + secs / 3600 % 10);
    o[2] = ':';
    o[3] = (char)('0' + secs / 60 % 60 / 10);
    o[4] = (char)('0' + secs / 60 % 10);
    o[5] = ':';
    o[6] = (char)('0' + secs % 60 / 10);
    o[7] = (char)('0' + secs % 10);
    o += 8;
    if (frac) {
        *o++ = '.';
        int64_t div = 100000;
        while (frac) {
            *o++ = (char)('0' + frac / div);
            frac %= div;
            div /= 10;
        }
    }
    *o = '\0';
    return (int)(o - b);
}

static int fmt_time_text(char *b, int64_t us)
{
    int64_t secs = dt_floor_mod(us, DT_US_PER_DAY) / DT_US_PER_SEC;
    b[0] = (char)('0' + secs / 36000);
    b[1] = (char)('0' + secs / 3600 % 10);
    b[2] = ':';
    b[3] = (char)('0' + secs / 60 % 60 / 10);
    b[4] = (char)('0' + secs / 60 % 10);
    b[5] = ':';
    b[6] = (char)('0' + secs % 60 / 10);
    b[7] = (char)('0' + secs % 10);
    b[8] = '\0';
    return 8;
}

static const struct vfmt_json_opts json_defaults = {VFMT_TS_SQL, false};

void vfmt_json(struct strbuf *sb, const struct vec *v, int row,
               const struct vfmt_json_opts *opts)
{
    if (opts == NULL)
        opts = &json_defaults;
    if (vec_is_null(v, row) || v->type->id == T_NULL) {
        sb_add(sb, "null", 4);
        return;
    }
    const struct sql_type *t = v->type;
    char b[64];
    int n;
    char sep = opts->ts_standard == VFMT_TS_ISO8601 ? 'T' : ' ';
    switch (t->id) {
    case T_BOOLEAN:
        if (v->b[row])
            sb_add(sb, "true", 4);
        else
            sb_add(sb, "false", 5);
        return;
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT: add_i64(sb, v->i64[row]); return;
    case T_FLOAT:
    case T_DOUBLE: {
        double d = v->f64[row];
        if (d != d || d - d != 0) {     /* NaN / Infinity: Jackson quotes them */
            sb_addc(sb, '"');
            add_double(sb, v, row);
            sb_addc(sb, '"');
        } else {
            add_double(sb, v, row);
        }
        return;
    }
    case T_DECIMAL:
        n = opts->decimal_plain ? dec_fmt(b, v->i128[row], t->scale)
                                : dec_fmt_java(b, v->i128[row], t->scale);
        sb_add(sb, b, (size_t)n);
        return;
    case T_CHAR:
    case T_VARCHAR: vfmt_json_string(sb, v->s[row].ptr, v->s[row].len); return;
    case T_BINARY:
    case T_VARBINARY:
        sb_addc(sb, '"');
        add_base64(sb, (const unsigned char *)v->s[row].ptr, v->s[row].len);
        sb_addc(sb, '"');
        return;
    case T_DATE: n = dt_fmt_date(b, v->i64[row]); break;
    case T_TIME: n = fmt_time_text(b, v->i64[row]); break;
    case T_TIMESTAMP: n = fmt_ts_text(b, v->i64[row], sep); break;
    case T_TIMESTAMP_LTZ:
        n = fmt_ts_text(b, v->i64[row], sep);
        b[n++] = 'Z';
        b[n] = '\0';
        break;
    case T_INTERVAL_YM: add_i64(sb, v->i64[row]); return;
    case T_INTERVAL_DT: add_i64(sb, v->i64[row] / 1000); return;
    case T_ROW:
        sb_addc(sb, '{');
        for (int k = 0; k < v->n_children; k++) {
            if (k)
                sb_addc(sb, ',');
            const char *name = t->field_names ? t->field_names[k] : "";
            vfmt_json_string(sb, name, strlen(name));
            sb_addc(sb, ':');
            vfmt_json(sb, &v->children[k], row, opts);
        }
        sb_addc(sb, '}');
        return;
    case T_ARRAY: {
        int s = v->offsets[row], e = v->offsets[row + 1];
        sb_addc(sb, '[');
        for (int k = s; k < e; k++) {
            if (k > s)
                sb_addc(sb, ',');
            vfmt_json(sb, &v->children[0], k, opts);
        }
        sb_addc(sb, ']');
        return;
    }
    case T_MAP: {
        int s = v->offsets[row], e = v->offsets[row + 1];
        const struct vec *kv = &v->children[0];
        sb_addc(sb, '{');
        for (int k = s; k < e; k++) {
            if (k > s)
                sb_addc(sb, ',');
            if (type_lane(kv->type) == LANE_STR && !vec_is_null(kv, k)) {
                vfmt_json_string(sb, kv->s[k].ptr, kv->s[k].len);
            } else {
                struct strbuf tmp = {0};
                cast_val(&tmp, kv, k, false);
                vfmt_json_string(sb, tmp.buf ? tmp.buf : "", tmp.len);
                sb_free(&tmp);
            }
            sb_addc(sb, ':');
            vfmt_json(sb, &v->children[1], k, opts);
        }
        sb_addc(sb, '}');
        return;
    }
    default: sb_add(sb, "null", 4); return;
    }
    sb_addc(sb, '"');
    sb_add(sb, b, (size_t)n);
    sb_addc(sb, '"');
}

/* ---- CSV -------------------------------------------------------------------------- */

static const struct vfmt_csv_opts csv_defaults = {',', '"', ';', NULL};

void vfmt_csv_string(struct strbuf *sb, const char *s, size_t len,
                     const struct vfmt_csv_opts *o)
{
    if (o == NULL)
        o = &csv_defaults;
    bool quote = false;
    if (o->quote != 0) {
        if (len > 24) {
            quote = true;   /* Jackson only inspects short values */
        } else {
            unsigned char min_safe = (unsigned char)o->delimiter;
            if ((unsigned char)o->quote > min_safe)
                min_safe = (unsigned char)o->quote;
            if ('\n' > min_safe)
                min_safe = '\n';
            for (size_t i = 0; i < len; i++)
                if ((unsigned char)s[i] <= min_safe) {
                    quote = true;
                    break;
                }
        }
    }
    if (!quote) {
        sb_add(sb, s, len);
        return;
    }
    sb_addc(sb, o->quote);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == o->quote) {
            sb_add(sb, s + run, i + 1 - run);   /* includes the quote */
            sb_addc(sb, o->quote);
            run = i + 1;
        }
    }
    sb_add(sb, s + run, len - run);
    sb_addc(sb, o->quote);
}

void vfmt_csv(struct strbuf *sb, const struct vec *v, int row,
              const struct vfmt_csv_opts *o)
{
    if (o == NULL)
        o = &csv_defaults;
    if (vec_is_null(v, row) || v->type->id == T_NULL) {
        if (o->null_literal)
            sb_adds(sb, o->null_literal);
        return;
    }
    const struct sql_type *t = v->type;
    char b[64];
    int n;
    switch (t->id) {
    case T_BOOLEAN:
        if (v->b[row])
            sb_add(sb, "true", 4);
        else
            sb_add(sb, "false", 5);
        return;
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT: add_i64(sb, v->i64[row]); return;
    case T_FLOAT:
    case T_DOUBLE: add_double(sb, v, row); return;
    case T_DECIMAL:
        n = dec_fmt_java(b, v->i128[row], t->scale);
        sb_add(sb, b, (size_t)n);
        return;
    case T_CHAR:
    case T_VARCHAR: vfmt_csv_string(sb, v->s[row].ptr, v->s[row].len, o); return;
    case T_BINARY:
    case T_VARBINARY: {
        struct strbuf tmp = {0};
        add_base64(&tmp, (const unsigned char *)v->s[row].ptr, v->s[row].len);
        vfmt_csv_string(sb, tmp.buf ? tmp.buf : "", tmp.len, o);
        sb_free(&tmp);
        return;
    }
    case T_DATE: n = dt_fmt_date(b, v->i64[row]); break;
    case T_TIME: n = fmt_time_text(b, v->i64[row]); break;
    case T_TIMESTAMP: n = fmt_ts_text(b, v->i64[row], ' '); break;
    case T_TIMESTAMP_LTZ:
        n = fmt_ts_text(b, v->i64[row], ' ');
        b[n++] = 'Z';
        b[n] = '\0';
        break;
    case T_INTERVAL_YM: add_i64(sb, v->i64[row]); return;
    case T_INTERVAL_DT: add_i64(sb, v->i64[row] / 1000); return;
    case T_ARRAY:
    case T_ROW: {
        /* elements joined by the array delimiter, as one (quoted if needed) field */
        struct strbuf tmp = {0};
        struct vfmt_csv_opts inner = *o;
        inner.quote = 0;
        if (t->id == T_ARRAY) {
            for (int k = v->offsets[row]; k < v->offsets[row + 1]; k++) {
                if (k > v->offsets[row])
                    sb_addc(&tmp, o->array_delimiter);
                vfmt_csv(&tmp, &v->children[0], k, &inner);
            }
        } else {
            for (int k = 0; k < v->n_children; k++) {
                if (k)
                    sb_addc(&tmp, o->array_delimiter);
                vfmt_csv(&tmp, &v->children[k], row, &inner);
            }
        }
        vfmt_csv_string(sb, tmp.buf ? tmp.buf : "", tmp.len, o);
        sb_free(&tmp);
        return;
    }
    default: return;
    }
    vfmt_csv_string(sb, b, (size_t)n, o);
}
