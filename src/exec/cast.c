/*
 * cast.c — the CAST matrix (cast_allowed) and vectorised conversions (cast_vec).
 *
 * cast_vec picks one kernel per (source family, target family) pair before the
 * loop; each kernel walks the live rows once.  Semantics follow Flink 1.15+ cast
 * rules: integer narrowing wraps ((byte) 300 = 44), DOUBLE → integer truncates and
 * saturates like Java's (int)/(long) casts, DECIMAL results round HALF_UP and
 * become NULL when they overflow, strings are trimmed before number parsing,
 * CHAR(n)/VARCHAR(n)/BINARY(n)/VARBINARY(n) targets pad/truncate (Flink 1.16+, not
 * in legacy mode), and TIMESTAMP ↔ TIMESTAMP_LTZ go through the session zone.
 * A value that cannot be converted at all ('abc' → INT) is an error under
 * CAST_STRICT and NULL otherwise.
 */
#include "exec/cast.h"

#include <math.h>
#include <string.h>

#include "core/datetime.h"
#include "core/decimal.h"
#include "core/numfmt.h"
#include "core/strbuf.h"
#include "core/value_fmt.h"

/* ---- the matrix ---------------------------------------------------------------------- */

/* Numeric widening order: TINYINT < SMALLINT < INT < BIGINT < DECIMAL < FLOAT < DOUBLE */
static int num_rank(int id)
{
    switch (id) {
    case T_TINYINT: return 1;
    case T_SMALLINT: return 2;
    case T_INT: return 3;
    case T_BIGINT: return 4;
    case T_DECIMAL: return 5;
    case T_FLOAT: return 6;
    case T_DOUBLE: return 7;
    default: return 0;
    }
}

bool cast_allowed(const struct sql_type *from, const struct sql_type *to, bool is_explicit)
{
    int f = from->id, t = to->id;
    if (f == T_NULL)
        return true;
    if (f == t) {
        if (f == T_ROW) {
            if (from->n_fields != to->n_fields)
                return false;
            for (int i = 0; i < from->n_fields; i++)
                if (!cast_allowed(from->field_types[i], to->field_types[i], is_explicit))
                    return false;
            return true;
        }
        if (f == T_ARRAY)
            return cast_allowed(from->elem, to->elem, is_explicit);
        if (f == T_MAP)
            return cast_allowed(from->elem, to->elem, is_explicit) &&
                   cast_allowed(from->value, to->value, is_explicit);
        return true;
    }
    bool fs = f == T_CHAR || f == T_VARCHAR, ts = t == T_CHAR || t == T_VARCHAR;
    bool fb = f == T_BINARY || f == T_VARBINARY, tb = t == T_BINARY || t == T_VARBINARY;
    /* implicit */
    if (num_rank(f) && num_rank(t) && num_rank(f) <= num_rank(t))
        return true;
    if ((fs && ts) || (fb && tb))
        return true;
    if (f == T_DATE && t == T_TIMESTAMP)
        return true;
    if ((f == T_TIMESTAMP && t == T_TIMESTAMP_LTZ) || (f == T_TIMESTAMP_LTZ && t == T_TIMESTAMP))
        return true;
    if (!is_explicit)
        return false;
    /* explicit only */
    if (num_rank(f) && num_rank(t))
        return true;
    if ((f == T_BOOLEAN && num_rank(t)) || (num_rank(f) && t == T_BOOLEAN))
        return true;
    if (ts)
        return true;    /* everything renders as a string */
    if (fs)
        return t == T_BOOLEAN || num_rank(t) || t == T_DATE || t == T_TIME ||
               t == T_TIMESTAMP || t == T_TIMESTAMP_LTZ || tb;
    bool fts = f == T_TIMESTAMP || f == T_TIMESTAMP_LTZ;
    bool tts = t == T_TIMESTAMP || t == T_TIMESTAMP_LTZ;
    if (fts && (t == T_DATE || t == T_TIME))
        return true;
    if ((f == T_DATE || f == T_TIME) && tts)
        return true;
    bool fint = f >= T_TINYINT && f <= T_BIGINT, tint = t >= T_TINYINT && t <= T_BIGINT;
    if ((f == T_INTERVAL_YM || f == T_INTERVAL_DT) && tint)
        return true;
    if (fint && (t == T_INTERVAL_YM || t == T_INTERVAL_DT))
        return true;
    return false;
}

/* ---- kernel context ------------------------------------------------------------------ */

struct cctx {
    const struct vec *in;
    struct vec *out;
    const uint16_t *sel;
    int n;
    enum cast_mode mode;
    struct weir_error *err;
    int rc;
};

#define ROW_AT(c, k) ((c)->sel ? (int)(c)->sel[k] : (k))

/* Iterates live rows; NULL in → NULL out; the body sees i (row index). */
#define FOR_ROWS(c, body)                                  \
    for (int k_ = 0; k_ < (c)->n; k_++) {                  \
        int i = ROW_AT(c, k_);                             \
        if (vec_is_null((c)->in, i)) {                     \
            vec_set_null((c)->out, i);                     \
            continue;                                      \
        }                                                  \
        vec_set_valid((c)->out, i);                        \
        body                                               \
    }

/* A value that cannot be converted: error (strict) or NULL. Returns false to stop. */
static bool fail(struct cctx *c, int i)
{
    if (c->mode != CAST_STRICT) {
        vec_set_null(c->out, i);
        return true;
    }
    struct strbuf sb = {0};
    vfmt_cast_string(&sb, c->in, i);
    struct arena a;
    arena_init(&a, 1024);
    const char *tn = type_to_sql(&a, type_with_nullable(&a, c->out->type, true));
    c->rc = err_set(c->err, WEIR_ERR_RUNTIME, "cannot cast '%s' to %s",
                    sb.buf ? sb.buf : "", tn);
    arena_free(&a);
    sb_free(&sb);
    return false;
}

/* Java narrowing of a 64-bit integer to the target width. */
static inline int64_t wrap_int(int64_t v, int bits)
{
    switch (bits) {
    case 8: return (int8_t)(uint8_t)v;
    case 16: return (int16_t)(uint16_t)v;
    case 32: return (int32_t)(uint32_t)v;
    default: return v;
    }
}

/* Java (long) d and (int) d: truncate, saturate, NaN → 0. */
static inline int64_t d2l(double d)
{
    if (d != d)
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

static inline int64_t d2int(double d, int bits)
{
    if (bits == 64)
        return d2l(d);
    int32_t iv;
    if (d != d)
        iv = 0;
    else if (d >= 2147483647.0)
        iv = INT32_MAX;
    else if (d <= -2147483648.0)
        iv = INT32_MIN;
    else
        iv = (int32_t)d;
    return wrap_int(iv, bits);
}

static inline double to_target_float(double d, int tid)
{
    return tid == T_FLOAT ? (double)(float)d : d;
}

/* Truncates a TIMESTAMP/LTZ value to precision p as Flink's DateTimeUtils.truncate
 * (millis truncated toward zero for p <= 3). */
static inline int64_t ts_truncate(int64_t us, int p)
{
    if (p >= 6)
        return us;
    if (p <= 3) {
        static const int64_t f[4] = {1000, 100, 10, 1};
        int64_t ms = dt_floor_div(us, 1000);
        return ms / f[p] * f[p] * 1000;
    }
    int64_t unit = p == 4 ? 100 : 10;
    return dt_floor_div(us, unit) * unit;
}

static inline int64_t time_truncate(int64_t us, int p)
{
    static const int64_t f[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
    if (p >= 6)
        return us;
    return us / f[p] * f[p];
}

/* UTF-8 code points in s (Java counts UTF-16 units; same for the BMP). */
static size_t utf8_prefix(const char *s, size_t len, size_t n_chars, size_t *count)
{
    size_t i = 0, c = 0;
    while (i < len && c < n_chars) {
        unsigned char b = (unsigned char)s[i];
        i += b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        c++;
    }
    if (i > len)
        i = len;
    *count = c;
    return i;
}

/* Stores a string result, applying CHAR/VARCHAR(n) and BINARY/VARBINARY(n) lengths. */
static void put_str(struct cctx *c, int i, const char *p, size_t len, bool may_alias)
{
    const struct sql_type *t = c->out->type;
    bool enforce = c->mode != CAST_LEGACY && t->length > 0 && t->length < TYPE_MAX_LENGTH;
    if (enforce) {
        size_t n = (size_t)t->length;
        bool is_char = t->id == T_CHAR || t->id == T_VARCHAR;
        bool pad = t->id == T_CHAR || t->id == T_BINARY;
        size_t cut, chars;
        if (is_char) {
            cut = utf8_prefix(p, len, n, &chars);
            if (cut < len)
                len = cut;
        } else {
            if (len > n)
                len = n;
            chars = len;
        }
        if (pad && chars < n) {
            size_t extra = n - chars;
            char *d = arena_alloc(c->out->arena, len + extra);
            memcpy(d, p, len);
            memset(d + len, is_char ? ' ' : 0, extra);
            c->out->s[i].ptr = d;
            c->out->s[i].len = (uint32_t)(len + extra);
            return;
        }
    }
    if (may_alias) {
        c->out->s[i].ptr = p;
        c->out->s[i].len = (uint32_t)len;
    } else {
        vec_set_str(c->out, i, p, len);
    }
}

/* ---- kernels ---------------------------------------------------------------------------- */

static int k_int_int(struct cctx *c)
{
    int bits = type_int_bits(c->out->type);
    const int64_t *src = c->in->i64;
    int64_t *dst = c->out->i64;
    FOR_ROWS(c, { dst[i] = wrap_int(src[i], bits); })
    return WEIR_OK;
}

static int k_int_f64(struct cctx *c)
{
    int tid = c->out->type->id;
    FOR_ROWS(c, { c->out->f64[i] = to_target_float((double)c->in->i64[i], tid); })
    return WEIR_OK;
}

static int k_int_dec(struct cctx *c)
{
    int p = c->out->type->precision, s = c->out->type->scale;
    FOR_ROWS(c, {
        if (!dec_from_i64(c->in->i64[i], p, s, &c->out->i128[i]))
            vec_set_null(c->out, i);
    })
    return WEIR_OK;
}

static int k_int_bool(struct cctx *c)
{
    FOR_ROWS(c, { c->out->b[i] = c->in->i64[i] != 0; })
    return WEIR_OK;
}

static int k_f64_int(struct cctx *c)
{
    int bits = type_int_bits(c->out->type);
    FOR_ROWS(c, { c->out->i64[i] = d2int(c->in->f64[i], bits); })
    return WEIR_OK;
}

static int k_f64_f64(struct cctx *c)
{
    int tid = c->out->type->id;
    FOR_ROWS(c, { c->out->f64[i] = to_target_float(c->in->f64[i], tid); })
    return WEIR_OK;
}

static int k_f64_dec(struct cctx *c)
{
    int p = c->out->type->precision, s = c->out->type->scale;
    FOR_ROWS(c, {
        double d = c->in->f64[i];
        if (!isfinite(d)) {
            if (!fail(c, i))
                return c->rc;
        } else if (!dec_from_double(d, p, s, &c->out->i128[i])) {
            vec_set_null(c->out, i);
        }
    })
    return WEIR_OK;
}

static int k_f64_bool(struct cctx *c)
{
    FOR_ROWS(c, { c->out->b[i] = c->in->f64[i] != 0; })
    return WEIR_OK;
}

static int k_dec_int(struct cctx *c)
{
    int bits = type_int_bits(c->out->type), s = c->in->type->scale;
    FOR_ROWS(c, { c->out->i64[i] = wrap_int(dec_to_i64(c->in->i128[i], s), bits); })
    return WEIR_OK;
}

static int k_dec_f64(struct cctx *c)
{
    int tid = c->out->type->id, s = c->in->type->scale;
    FOR_ROWS(c, { c->out->f64[i] = to_target_float(dec_to_double(c->in->i128[i], s), tid); })
    return WEIR_OK;
}

static int k_dec_dec(struct cctx *c)
{
    int s0 = c->in->type->scale, p = c->out->type->precision, s = c->out->type->scale;
    FOR_ROWS(c, {
        if (!dec_convert(c->in->i128[i], s0, p, s, &c->out->i128[i]))
            vec_set_null(c->out, i);
    })
    return WEIR_OK;
}

static int k_dec_bool(struct cctx *c)
{
    FOR_ROWS(c, { c->out->b[i] = c->in->i128[i] != 0; })
    return WEIR_OK;
}

static int k_bool_num(struct cctx *c)
{
    int tid = c->out->type->id;
    int p = c->out->type->precision, s = c->out->type->scale;
    FOR_ROWS(c, {
        int v = c->in->b[i] ? 1 : 0;
        switch (tid) {
        case T_FLOAT:
        case T_DOUBLE: c->out->f64[i] = v; break;
        case T_DECIMAL:
            if (!dec_from_i64(v, p, s, &c->out->i128[i]))
                vec_set_null(c->out, i);
            break;
        default: c->out->i64[i] = v; break;
        }
    })
    return WEIR_OK;
}

static int k_copy_i64(struct cctx *c)
{
    FOR_ROWS(c, { c->out->i64[i] = c->in->i64[i]; })
    return WEIR_OK;
}

static int k_copy_bool(struct cctx *c)
{
    FOR_ROWS(c, { c->out->b[i] = c->in->b[i]; })
    return WEIR_OK;
}

/* anything → CHAR/VARCHAR */
static int k_to_str(struct cctx *c)
{
    const struct vec *in = c->in;
    int fid = in->type->id;
    char b[64];
    if (fid >= T_TINYINT && fid <= T_BIGINT) {
        FOR_ROWS(c, {
            int n = numfmt_i64(b, in->i64[i]);
            put_str(c, i, b, (size_t)n, false);
        })
        return WEIR_OK;
    }
    if (type_lane(in->type) == LANE_STR) {
        bool alias = in->arena == c->out->arena;
        FOR_ROWS(c, { put_str(c, i, in->s[i].ptr, in->s[i].len, alias); })
        return WEIR_OK;
    }
    struct strbuf sb = {0};
    FOR_ROWS(c, {
        sb_clear(&sb);
        vfmt_cast_string(&sb, in, i);
        put_str(c, i, sb.buf ? sb.buf : "", sb.len, false);
    })
    sb_free(&sb);
    return WEIR_OK;
}

/* CHAR/VARCHAR/BINARY → BINARY/VARBINARY */
static int k_to_bin(struct cctx *c)
{
    bool alias = c->in->arena == c->out->arena;
    FOR_ROWS(c, { put_str(c, i, c->in->s[i].ptr, c->in->s[i].len, alias); })
    return WEIR_OK;
}

static int k_str_int(struct cctx *c)
{
    int bits = type_int_bits(c->out->type);
    int64_t max = bits == 64 ? INT64_MAX : (INT64_C(1) << (bits - 1)) - 1;
    int64_t min = -max - 1;
    FOR_ROWS(c, {
        if (!numfmt_parse_int(c->in->s[i].ptr, c->in->s[i].len, min, max, &c->out->i64[i]) &&
            !fail(c, i))
            return c->rc;
    })
    return WEIR_OK;
}

static int k_str_f64(struct cctx *c)
{
    int tid = c->out->type->id;
    FOR_ROWS(c, {
        double d;
        if (numfmt_parse_double(c->in->s[i].ptr, c->in->s[i].len, &d))
            c->out->f64[i] = to_target_float(d, tid);
        else if (!fail(c, i))
            return c->rc;
    })
    return WEIR_OK;
}

static int k_str_dec(struct cctx *c)
{
    int p = c->out->type->precision, s = c->out->type->scale;
    FOR_ROWS(c, {
        int r = dec_parse(c->in->s[i].ptr, c->in->s[i].len, p, s, &c->out->i128[i]);
        if (r > 0)
            vec_set_null(c->out, i);
        else if (r < 0 && !fail(c, i))
            return c->rc;
    })
    return WEIR_OK;
}

static int k_str_bool(struct cctx *c)
{
    FOR_ROWS(c, {
        bool v;
        if (numfmt_parse_bool(c->in->s[i].ptr, c->in->s[i].len, &v))
            c->out->b[i] = v;
        else if (!fail(c, i))
            return c->rc;
    })
    return WEIR_OK;
}

static int k_str_temporal(struct cctx *c)
{
    int tid = c->out->type->id, p = c->out->type->precision;
    FOR_ROWS(c, {
        const char *s = c->in->s[i].ptr;
        size_t len = c->in->s[i].len;
        int64_t v;
        bool ok;
        switch (tid) {
        case T_DATE: ok = dt_cast_parse_date(s, len, &v); break;
        case T_TIME:
            ok = dt_cast_parse_time(s, len, &v);
            v = time_truncate(v, p);
            break;
        case T_TIMESTAMP:
            ok = dt_parse_timestamp(s, len, &v);
            v = ts_truncate(v, p);
            break;
        default:
            ok = dt_parse_timestamp(s, len, &v);
            v = dt_local_to_ltz(ts_truncate(v, p));
            break;
        }
        if (ok)
            c->out->i64[i] = v;
        else if (!fail(c, i))
            return c->rc;
    })
    return WEIR_OK;
}

static int k_temporal(struct cctx *c)
{
    int f = c->in->type->id, t = c->out->type->id, p = c->out->type->precision;
    const int64_t *src = c->in->i64;
    int64_t *dst = c->out->i64;
    switch (f * 100 + t) {
#define PAIR(a, b) ((a) * 100 + (b))
    case PAIR(T_DATE, T_TIMESTAMP): FOR_ROWS(c, { dst[i] = src[i] * DT_US_PER_DAY; }) break;
    case PAIR(T_DATE, T_TIMESTAMP_LTZ):
        FOR_ROWS(c, { dst[i] = dt_local_to_ltz(src[i] * DT_US_PER_DAY); })
        break;
    case PAIR(T_TIME, T_TIME): FOR_ROWS(c, { dst[i] = time_truncate(src[i], p); }) break;
    case PAIR(T_TIME, T_TIMESTAMP): FOR_ROWS(c, { dst[i] = ts_truncate(src[i], p); }) break;
    case PAIR(T_TIME, T_TIMESTAMP_LTZ):
        FOR_ROWS(c, { dst[i] = dt_local_to_ltz(ts_truncate(src[i], p)); })
        break;
    case PAIR(T_TIMESTAMP, T_DATE): FOR_ROWS(c, { dst[i] = dt_ts_date(src[i]); }) break;
    case PAIR(T_TIMESTAMP, T_TIME):
        FOR_ROWS(c, { dst[i] = time_truncate(dt_ts_time(src[i]), p); })
        break;
    case PAIR(T_TIMESTAMP, T_TIMESTAMP):
    case PAIR(T_TIMESTAMP_LTZ, T_TIMESTAMP_LTZ):
        FOR_ROWS(c, { dst[i] = ts_truncate(src[i], p); })
        break;
    case PAIR(T_TIMESTAMP, T_TIMESTAMP_LTZ):
        FOR_ROWS(c, { dst[i] = dt_local_to_ltz(ts_truncate(src[i], p)); })
        break;
    case PAIR(T_TIMESTAMP_LTZ, T_TIMESTAMP):
        FOR_ROWS(c, { dst[i] = ts_truncate(dt_ltz_to_local(src[i]), p); })
        break;
    case PAIR(T_TIMESTAMP_LTZ, T_DATE):
        FOR_ROWS(c, { dst[i] = dt_ts_date(dt_ltz_to_local(src[i])); })
        break;
    case PAIR(T_TIMESTAMP_LTZ, T_TIME):
        FOR_ROWS(c, { dst[i] = time_truncate(dt_ts_time(dt_ltz_to_local(src[i])), p); })
        break;
#undef PAIR
    default: return err_set(c->err, WEIR_ERR_UNSUPPORTED, "unsupported temporal cast");
    }
    return WEIR_OK;
}

/* INTERVAL ↔ exact integers: Flink keeps DAY TO SECOND in millis. */
static int k_interval_int(struct cctx *c)
{
    bool dt = c->in->type->id == T_INTERVAL_DT;
    int bits = type_int_bits(c->out->type);
    FOR_ROWS(c, { c->out->i64[i] = wrap_int(dt ? c->in->i64[i] / 1000 : c->in->i64[i], bits); })
    return WEIR_OK;
}

static int k_int_interval(struct cctx *c)
{
    bool dt = c->out->type->id == T_INTERVAL_DT;
    FOR_ROWS(c, { c->out->i64[i] = dt ? c->in->i64[i] * 1000 : c->in->i64[i]; })
    return WEIR_OK;
}

static int k_row(struct cctx *c)
{
    const struct vec *in = c->in;
    struct vec *out = c->out;
    for (int f = 0; f < out->n_children && f < in->n_children; f++) {
        int rc = cast_vec(&in->children[f], &out->children[f], c->sel, c->n, c->mode, c->err);
        if (rc != WEIR_OK)
            return rc;
    }
    for (int k = 0; k < c->n; k++) {
        int i = ROW_AT(c, k);
        if (vec_is_null(in, i))
            vec_set_null(out, i);
        else
            vec_set_valid(out, i);
    }
    return WEIR_OK;
}

static int k_same_nested(struct cctx *c)
{
    for (int k = 0; k < c->n; k++) {
        int i = ROW_AT(c, k);
        if (vec_is_null(c->in, i)) {
            vec_set_null(c->out, i);
            if (c->out->offsets)
                c->out->offsets[i + 1] = c->out->offsets[i];
        } else {
            vec_copy_row(c->out, i, c->in, i);
            vec_set_valid(c->out, i);
        }
    }
    return WEIR_OK;
}

static int k_null(struct cctx *c)
{
    for (int k = 0; k < c->n; k++)
        vec_set_null(c->out, ROW_AT(c, k));
    return WEIR_OK;
}

/* ---- dispatch ------------------------------------------------------------------------ */

typedef int (*cast_kernel)(struct cctx *c);

static cast_kernel pick(const struct sql_type *from, const struct sql_type *to)
{
    int f = from->id, t = to->id;
    bool fint = f >= T_TINYINT && f <= T_BIGINT, tint = t >= T_TINYINT && t <= T_BIGINT;
    bool ff = f == T_FLOAT || f == T_DOUBLE, tf = t == T_FLOAT || t == T_DOUBLE;
    bool fs = f == T_CHAR || f == T_VARCHAR, ts = t == T_CHAR || t == T_VARCHAR;
    bool fb = f == T_BINARY || f == T_VARBINARY, tb = t == T_BINARY || t == T_VARBINARY;
    bool ftemp = f == T_DATE || f == T_TIME || f == T_TIMESTAMP || f == T_TIMESTAMP_LTZ;
    bool ttemp = t == T_DATE || t == T_TIME || t == T_TIMESTAMP || t == T_TIMESTAMP_LTZ;

    if (f == T_NULL)
        return k_null;
    if (ts)
        return k_to_str;
    if (tb && (fs || fb))
        return k_to_bin;
    if (fint) {
        if (tint)
            return k_int_int;
        if (tf)
            return k_int_f64;
        if (t == T_DECIMAL)
            return k_int_dec;
        if (t == T_BOOLEAN)
            return k_int_bool;
        if (t == T_INTERVAL_YM || t == T_INTERVAL_DT)
            return k_int_interval;
    }
    if (ff) {
        if (tint)
            return k_f64_int;
        if (tf)
            return k_f64_f64;
        if (t == T_DECIMAL)
            return k_f64_dec;
        if (t == T_BOOLEAN)
            return k_f64_bool;
    }
    if (f == T_DECIMAL) {
        if (tint)
            return k_dec_int;
        if (tf)
            return k_dec_f64;
        if (t == T_DECIMAL)
            return k_dec_dec;
        if (t == T_BOOLEAN)
            return k_dec_bool;
    }
    if (f == T_BOOLEAN) {
        if (t == T_BOOLEAN)
            return k_copy_bool;
        if (tint || tf || t == T_DECIMAL)
            return k_bool_num;
    }
    if (fs) {
        if (tint)
            return k_str_int;
        if (tf)
            return k_str_f64;
        if (t == T_DECIMAL)
            return k_str_dec;
        if (t == T_BOOLEAN)
            return k_str_bool;
        if (ttemp)
            return k_str_temporal;
    }
    if (ftemp && ttemp && !(f == T_DATE && (t == T_TIME || t == T_DATE)) &&
        !(f == T_TIME && t == T_DATE))
        return k_temporal;
    if (f == t && (f == T_DATE || f == T_INTERVAL_YM || f == T_INTERVAL_DT))
        return k_copy_i64;
    if ((f == T_INTERVAL_YM || f == T_INTERVAL_DT) && tint)
        return k_interval_int;
    if (f == T_ROW && t == T_ROW)
        return k_row;
    if ((f == T_ARRAY || f == T_MAP) && type_equal(from, to))
        return k_same_nested;
    return NULL;
}

int cast_vec(const struct vec *in, struct vec *out, const uint16_t *sel, int n,
             enum cast_mode mode, struct weir_error *err)
{
    cast_kernel k = pick(in->type, out->type);
    if (k == NULL) {
        struct arena a;
        arena_init(&a, 1024);
        int rc = err_set(err, WEIR_ERR_UNSUPPORTED, "cast from %s to %s is not supported",
                         type_to_sql(&a, in->type), type_to_sql(&a, out->type));
        arena_free(&a);
        return rc;
    }
    struct cctx c = {in, out, sel, n, mode, err, WEIR_OK};
    return k(&c);
}
