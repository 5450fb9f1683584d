/*
 * csv.c — the 'csv' format: one record per line, no header, fields by
 * position in the table's full physical schema (t->projection says which
 * positions the job reads; the others are split over but not converted).
 *
 * Reading follows Flink's csv format (Jackson's CsvParser + CsvToRowDataConverters):
 *   - a field that starts with the quote character is quoted: delimiters inside
 *     are data and a doubled quote is one quote; the escape character (off by
 *     default) makes the next character literal anywhere;
 *   - 'csv.null-literal' text reads as NULL; otherwise an empty field is an
 *     empty STRING, and for any other type a conversion error (Flink parses the
 *     empty text and fails);
 *   - numbers are trimmed, BOOLEAN is Java's parseBoolean (only "true" is
 *     true), BYTES are base64, ARRAY and ROW values are split on
 *     'csv.array-element-delimiter'; MAP is not supported (as in Flink);
 *   - a record with fewer or more fields than the physical schema is an error
 *     ("row length mismatch", Flink's validateArity / Jackson's "too many
 *     entries"); with 'csv.ignore-parse-errors' missing fields are NULL, extra
 *     fields are ignored and the record is reported lossy.
 * A quoted field cannot span lines here (the connector splits on newlines).
 *
 * Writing: fields joined by the delimiter, each cell via vfmt_csv (Jackson's
 * quoting rule, NULL as the null literal or empty).
 *
 * Speed: lines without quote or escape characters (nearly all) are split in
 * one SSE2 pass (see csv_decode), the last < 16 bytes of a line included, and
 * delimiters after the last field read are only counted.  Each read position
 * has its converter chosen once (struct csv_slot, conv_for): STRING, BIGINT
 * and DECIMAL have their own, with the fast paths of fmt_text_to_scalar and
 * dec_parse inline, instead of a type switch per field.  bench/micro_formats.c
 * (v2 CSV lines, 74 B, 3 of 7 fields): 620 -> 880 MB/s; the stateless.sh job
 * (1M events, CPU time, with the connector's mmap): 163 -> 119 ms.
 * Field text → value conversion lives in formats/convert.c, shared with the
 * regex format.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "connectors/connector.h"
#include "core/decimal.h"
#include "core/mem.h"
#include "core/value_fmt.h"
#include "formats/convert.h"
#include "formats/format.h"

struct csv_col {
    int col;                        /* produced column index */
    int field;                      /* position in the physical schema */
    const char *name;
    const char *type_name;          /* for messages */
};

struct csv_dec;

/* A field's text into its column (row `row` of v); false if it does not
 * convert.  Chosen per column when the decoder is created (conv_for). */
typedef bool (*csv_conv)(struct csv_dec *d, struct vec *v, int row, const char *s,
                         size_t n);

struct csv_slot {
    csv_conv conv;                  /* NULL = the position is not read */
    int col;                        /* produced column */
    const struct csv_col *c;        /* for messages */
};

struct csv_dec {
    struct decoder base;
    int n_phys;                     /* fields a record must have */
    int *want;                      /* per position: index into cols, or -1 */
    struct csv_slot *slot;          /* per position: converter and column */
    int last_want;                  /* the highest position read, -1 = none */
    struct csv_col *cols;
    int n_want;
    char delim, quote, esc, arr_delim;   /* quote/esc 0 = none */
    bool allow_comments, ignore_errors;
    char *null_lit;                 /* NULL = no null literal */
    size_t null_len;
    struct strbuf scratch;          /* unquoted/unescaped field text */
    struct strbuf tmp;              /* base64 */
    struct arena arena;
    struct weir_error *err;
    bool *lossy;
    bool cell_bad;                  /* set by convert when a value is bad */
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline uint64_t has_zero(uint64_t x) { return (x - ONES) & ~x & HIGHS; }

/* First occurrence of a or b in [p, end), or end. */
static inline const char *find2(const char *p, const char *end, char a, char b)
{
#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    uint64_t ma = ONES * (unsigned char)a, mb = ONES * (unsigned char)b;
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t m = has_zero(x ^ ma) | has_zero(x ^ mb);
        if (m)
            return p + (__builtin_ctzll(m) >> 3);
        p += 8;
    }
    while (p < end && *p != a && *p != b)
        p++;
    return p;
}

/* Converts text s[0..n) into row `row` of v (a scalar type): the null literal,
 * then the shared text converter (formats/convert.c).  Returns false when the
 * text does not convert. */
static bool convert_scalar(struct csv_dec *d, struct vec *v, int row, const char *s,
                           size_t n)
{
    if (d->null_lit && n == d->null_len && memcmp(s, d->null_lit, n) == 0) {
        vec_set_null(v, row);
        return true;
    }
    return fmt_text_to_scalar(v, row, s, n, &d->tmp);
}

static void set_null(struct vec *v, int row)
{
    vec_set_null(v, row);
    if (v->type->id == T_ARRAY || v->type->id == T_MAP)
        v->offsets[row + 1] = row > 0 ? v->offsets[row] : 0;
    else if (v->type->id == T_ROW)
        for (int i = 0; i < v->n_children; i++)
            set_null(&v->children[i], row);
}

/* A field's text into its column; ARRAY/ROW split on the element delimiter. */
static bool convert(struct csv_dec *d, struct vec *v, int row, const char *s, size_t n)
{
    if (v->type->id != T_ARRAY && v->type->id != T_ROW)
        return convert_scalar(d, v, row, s, n);
    if (d->null_lit && n == d->null_len && memcmp(s, d->null_lit, n) == 0) {
        set_null(v, row);
        return true;
    }
    /* copy: convert_scalar may reuse d->tmp, never the caller's text */
    char *text = mem_strndup(s, n);
    const char *p = text, *end = text + n;
    bool ok = true;
    if (v->type->id == T_ARRAY) {
        int start = row > 0 ? v->offsets[row] : 0, k = 0;
        struct vec *c = &v->children[0];
        while (n > 0) {
            const char *q = memchr(p, d->arr_delim, (size_t)(end - p));
            if (q == NULL)
                q = end;
            vec_reserve(c, start + k + 1);
            if (!(ok = convert_scalar(d, c, start + k, p, (size_t)(q - p))))
                break;
            k++;
            if (q == end)
                break;
            p = q + 1;
        }
        v->offsets[row + 1] = start + k;
    } else {
        for (int k = 0; k < v->n_children; k++) {
            if (p > end) {
                set_null(&v->children[k], row);
                continue;
            }
            const char *q = memchr(p, d->arr_delim, (size_t)(end - p));
            if (q == NULL)
                q = end;
            if (!(ok = convert_scalar(d, &v->children[k], row, p, (size_t)(q - p))))
                break;
            p = q + 1;
        }
    }
    mem_free(text);
    if (ok)
        vec_set_valid(v, row);
    return ok;
}

/* ---- converters, one per column (conv_for) --------------------------------------
 * The common types get their own function, so a field costs one indirect call
 * instead of convert -> convert_scalar -> fmt_text_to_scalar's type switch.
 * Each has the fast path of fmt_text_to_scalar / dec_parse for plain text and
 * hands anything else to them, so results are the same. */

static bool conv_any(struct csv_dec *d, struct vec *v, int row, const char *s, size_t n)
{
    return convert(d, v, row, s, n);
}

static bool conv_string(struct csv_dec *d, struct vec *v, int row, const char *s, size_t n)
{
    (void)d;
    vec_set_str(v, row, s, n);
    vec_set_valid(v, row);
    return true;
}

static inline bool is_digit(char c) { return (unsigned)(c - '0') <= 9; }

/* Bits set in a 16-bit mask (no popcnt instruction in the baseline x86-64). */
static inline int pop16(unsigned x)
{
    x = x - ((x >> 1) & 0x5555);
    x = (x & 0x3333) + ((x >> 2) & 0x3333);
    x = (x + (x >> 4)) & 0x0f0f;
    return (int)((x + (x >> 8)) & 0x1f);
}

/* BIGINT: at most 18 plain digits here (fmt_text_to_scalar's fast path). */
static bool conv_bigint(struct csv_dec *d, struct vec *v, int row, const char *s, size_t n)
{
    if (n > 0 && n <= 18) {
        uint64_t u = 0;
        size_t k = 0;
        for (; k < n && is_digit(s[k]); k++)
            u = u * 10 + (unsigned)(s[k] - '0');
        if (k == n) {       /* < 10^18 <= INT64_MAX */
            v->i64[row] = (int64_t)u;
            vec_set_valid(v, row);
            return true;
        }
    }
    return fmt_text_to_scalar(v, row, s, n, &d->tmp);
}

/* DECIMAL: [sign] digits [. digits], at most 18 digits, as dec_parse's fast
 * path (the same arithmetic: HALF_UP on the first dropped digit). */
static bool conv_decimal(struct csv_dec *d, struct vec *v, int row, const char *s,
                         size_t n)
{
    if (n > 0 && n <= 20) {
        const char *q = s, *e = s + n;
        bool neg = false;
        if (*q == '-' || *q == '+') {
            neg = *q == '-';
            q++;
        }
        const char *ds = q;
        uint64_t m = 0;
        while (q < e && is_digit(*q))
            m = m * 10 + (unsigned)(*q++ - '0');
        int nd = (int)(q - ds), frac = 0;
        if (q < e && *q == '.') {
            const char *fs = ++q;
            while (q < e && is_digit(*q))
                m = m * 10 + (unsigned)(*q++ - '0');
            frac = (int)(q - fs);
            nd += frac;
        }
        int scale = v->type->scale;
        if (q == e && nd > 0 && nd <= 18 && scale - frac <= 19) {
            unsigned __int128 u;
            if (frac <= scale) {
                /* 10^(scale - frac) <= 10^19 fits 64 bits: one 64x64 multiply */
                u = (unsigned __int128)m * (uint64_t)dec_pow10[scale - frac];
            } else {
                uint64_t p10 = (uint64_t)dec_pow10[frac - scale];   /* <= 10^18 */
                u = m / p10 + (m % p10 >= p10 / 10 * 5);
            }
            if (u >= (unsigned __int128)dec_pow10[v->type->precision]) {
                vec_set_null(v, row);   /* does not fit: NULL, as Flink */
                return true;
            }
            v->i128[row] = neg ? -(dec128)u : (dec128)u;
            vec_set_valid(v, row);
            return true;
        }
    }
    return fmt_text_to_scalar(v, row, s, n, &d->tmp);
}

/* The converter for a column of type t. */
static csv_conv conv_for(const struct csv_dec *d, const struct sql_type *t)
{
    if (d->null_lit)
        return conv_any;            /* the null literal is checked first */
    switch (t->id) {
    case T_CHAR:
    case T_VARCHAR:
        return conv_string;
    case T_BIGINT:
        return conv_bigint;
    case T_DECIMAL:
        return conv_decimal;
    default:
        return conv_any;
    }
}

static int bad_cell(struct csv_dec *d, struct batch *b, int row, const struct csv_col *c,
                    const char *s, size_t n)
{
    if (d->ignore_errors) {
        set_null(&b->cols[c->col], row);
        if (d->lossy)
            *d->lossy = true;
        return WEIR_OK;
    }
    return err_set(d->err, WEIR_ERR_PARSE, "column \"%s\" (field %d): cannot convert "
                   "'%.*s'%s to %s", c->name, c->field + 1, n > 64 ? 64 : (int)n, s,
                   n > 64 ? "..." : "", c->type_name);
}

/* Field number `field` (text s[0..n)) into its column, if the job reads it. */
static inline int put_field(struct csv_dec *d, struct batch *b, int row, int field,
                            const char *s, size_t n)
{
    if (field < d->n_phys && d->slot[field].conv) {
        const struct csv_slot *sl = &d->slot[field];
        if (!sl->conv(d, &b->cols[sl->col], row, s, n))
            return bad_cell(d, b, row, sl->c, s, n);
    }
    return WEIR_OK;
}

static int csv_decode(struct decoder *dec, const char *rec, size_t len, struct batch *b,
                      int row, bool *lossy, struct weir_error *err)
{
    struct csv_dec *d = (struct csv_dec *)dec;
    const char *p = rec, *end = rec + len;
    d->err = err;
    d->lossy = lossy;
    if (d->allow_comments && len > 0 && rec[0] == '#')
        return WEIR_DONE;
    /* the general scan stops at the delimiter, or at the escape char if any */
    const char stop2 = d->esc ? d->esc : d->delim;
    int field = 0;
    int rc;
#ifdef __SSE2__
    /*
     * Fast path for plain fields: one pass over the line, 16 bytes at a time,
     * finds every delimiter and the first quote or escape character.  The
     * fields that end before that character are converted straight away; from
     * there (usually: never) the general loop below takes over at the field
     * where it stopped, so the result is the same as the general loop alone.
     * Before this, a find2 call per field (setup, a 16-byte load and a scalar
     * tail each) was a third of csv_decode.
     */
    if (d->quote != d->delim && d->esc != d->delim) {
        const __m128i vd = _mm_set1_epi8(d->delim);
        const __m128i vq = _mm_set1_epi8(d->quote ? d->quote : d->delim);
        const __m128i ve = _mm_set1_epi8(d->esc ? d->esc : d->delim);
        const char *c = rec;
        for (;;) {
            /* the next 16 bytes; the last (< 16) bytes of a line of 16 or
             * more as the line's final 16 with the bytes already seen masked
             * off (a byte loop there was ~10% of csv_decode) */
            unsigned keep = 0xffff;
            if (end - c < 16) {
                if (c >= end || end - rec < 16)
                    break;
                keep = (0xffffu << (16 - (end - c))) & 0xffff;
                c = end - 16;
            }
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)c);
            unsigned md = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vd)) & keep;
            unsigned ms = (unsigned)_mm_movemask_epi8(
                              _mm_or_si128(_mm_cmpeq_epi8(x, vq), _mm_cmpeq_epi8(x, ve))) &
                          ~md & keep;
            if (ms)
                md &= (ms & (0u - ms)) - 1;     /* delimiters before the first special */
            if (field > d->last_want && md) {
                /* past the last field read: only count the delimiters */
                field += pop16(md);
                p = c + (31 - __builtin_clz(md)) + 1;
                md = 0;
            }
            while (md) {
                const char *fe = c + __builtin_ctz(md);
                md &= md - 1;
                if ((rc = put_field(d, b, row, field, p, (size_t)(fe - p))) != WEIR_OK)
                    return rc;
                field++;
                p = fe + 1;
            }
            if (ms)
                goto general;
            c += 16;
        }
        for (; c < end; c++) {      /* lines under 16 bytes */
            if (*c == d->delim) {
                if ((rc = put_field(d, b, row, field, p, (size_t)(c - p))) != WEIR_OK)
                    return rc;
                field++;
                p = c + 1;
            } else if ((d->quote && *c == d->quote) || (d->esc && *c == d->esc)) {
                goto general;
            }
        }
        if ((rc = put_field(d, b, row, field, p, (size_t)(end - p))) != WEIR_OK)
            return rc;
        field++;
        goto counted;
    }
general:
#endif
    for (;;) {
        const char *s, *fe;
        size_t n;
        if (d->quote && p < end && *p == d->quote) {
            /* quoted: up to the closing quote; "" is a quote */
            const char *open = p;
            sb_clear(&d->scratch);
            p++;
            for (;;) {
                const char *q = find2(p, end, d->quote, d->esc ? d->esc : d->quote);
                if (q >= end)
                    return err_set(err, WEIR_ERR_PARSE,
                                   "unterminated quoted field %d starting at byte %d",
                                   field + 1, (int)(open - rec));
                sb_add(&d->scratch, p, (size_t)(q - p));
                if (d->esc && *q == d->esc && q + 1 < end) {
                    sb_addc(&d->scratch, q[1]);
                    p = q + 2;
                    continue;
                }
                if (q + 1 < end && q[1] == d->quote) {
                    sb_addc(&d->scratch, d->quote);
                    p = q + 2;
                    continue;
                }
                fe = q + 1;
                break;
            }
            if (fe < end && *fe != d->delim)
                return err_set(err, WEIR_ERR_PARSE,
                               "expected '%c' after the closing quote of field %d at "
                               "byte %d", d->delim, field + 1, (int)(fe - rec));
            s = d->scratch.buf ? d->scratch.buf : "";
            n = d->scratch.len;
        } else {
            fe = find2(p, end, d->delim, stop2);
            s = p;
            if (fe < end && d->esc && *fe == d->esc) {
                /* escapes in an unquoted field: rebuild the text */
                sb_clear(&d->scratch);
                for (;;) {
                    sb_add(&d->scratch, p, (size_t)(fe - p));
                    if (fe >= end || *fe == d->delim)
                        break;
                    if (fe + 1 < end)
                        sb_addc(&d->scratch, fe[1]);
                    p = fe + 2 <= end ? fe + 2 : end;
                    fe = find2(p, end, d->delim, stop2);
                }
                s = d->scratch.buf;
                n = d->scratch.len;
            } else {
                n = (size_t)(fe - p);
            }
        }
        if ((rc = put_field(d, b, row, field, s, n)) != WEIR_OK)
            return rc;
        field++;
        if (fe >= end)
            break;
        p = fe + 1;
    }
#ifdef __SSE2__
counted:
#endif
    if (field != d->n_phys) {
        if (!d->ignore_errors)
            return err_set(err, WEIR_ERR_PARSE,
                           "row length mismatch: %d fields expected but got %d",
                           d->n_phys, field);
        if (lossy)
            *lossy = true;
        for (int k = 0; k < d->n_want; k++)
            if (d->cols[k].field >= field)
                set_null(&b->cols[d->cols[k].col], row);
    }
    return WEIR_OK;
}

static void csv_dec_free(struct decoder *dec)
{
    struct csv_dec *d = (struct csv_dec *)dec;
    if (d == NULL)
        return;
    sb_free(&d->scratch);
    sb_free(&d->tmp);
    arena_free(&d->arena);
    mem_free(d->want);
    mem_free(d->slot);
    mem_free(d->cols);
    mem_free(d->null_lit);
    mem_free(d);
}

static const struct decoder_ops csv_dec_ops = {csv_decode, csv_dec_free};

static int csv_validate(const struct opt_set *o, struct weir_error *err)
{
    if (opt_has(o, "csv.quote-character") &&
        opt_bool(o, "csv.disable-quote-character", false))
        return err_set(err, WEIR_ERR_CONFIG,
                       "options 'csv.quote-character' and "
                       "'csv.disable-quote-character' cannot be used together");
    return WEIR_OK;
}

/* Is t something this format can read and write? */
static bool csv_type_ok(const struct sql_type *t)
{
    if (t->id == T_MAP)
        return false;
    if (t->id == T_ARRAY)
        return t->elem->id != T_ARRAY && t->elem->id != T_ROW && t->elem->id != T_MAP;
    if (t->id == T_ROW)
        for (int i = 0; i < t->n_fields; i++)
            if (type_lane(t->field_types[i]) == LANE_NESTED)
                return false;
    return true;
}

static int check_types(const struct table_ctx *t, struct weir_error *err)
{
    struct arena a;
    for (int i = 0; i < t->n_cols; i++) {
        if ((t->col_metadata && t->col_metadata[i]) || csv_type_ok(t->col_types[i]))
            continue;
        arena_init(&a, 0);
        err_set(err, WEIR_ERR_UNSUPPORTED,
                "table '%s': the csv format cannot hold column '%s' of type %s "
                "(MAP and nested collections are not supported)", t->table_name,
                t->col_names[i], type_to_sql(&a, t->col_types[i]));
        arena_free(&a);
        return WEIR_ERR_UNSUPPORTED;
    }
    return WEIR_OK;
}

static int csv_decoder_create(const struct table_ctx *t, struct decoder **out,
                              struct weir_error *err)
{
    int rc = check_types(t, err);
    if (rc != WEIR_OK)
        return rc;
    struct csv_dec *d = mem_calloc(1, sizeof(*d));
    d->base.ops = &csv_dec_ops;
    arena_init(&d->arena, 0);
    d->delim = opt_char(t->opts, "csv.field-delimiter", ',');
    d->quote = opt_bool(t->opts, "csv.disable-quote-character", false) ?
                   0 : opt_char(t->opts, "csv.quote-character", '"');
    d->esc = opt_has(t->opts, "csv.escape-character") ?
                 opt_char(t->opts, "csv.escape-character", 0) : 0;
    d->arr_delim = opt_char(t->opts, "csv.array-element-delimiter", ';');
    d->allow_comments = opt_bool(t->opts, "csv.allow-comments", false);
    d->ignore_errors = opt_bool(t->opts, "csv.ignore-parse-errors", false);
    if (opt_has(t->opts, "csv.null-literal")) {
        d->null_lit = mem_strdup(opt_str(t->opts, "csv.null-literal", ""));
        d->null_len = strlen(d->null_lit);
    }
    bool have_full = t->n_all_physical > 0 && t->projection != NULL;
    d->n_phys = have_full ? t->n_all_physical : 0;
    if (!have_full)
        for (int i = 0; i < t->n_cols; i++)
            d->n_phys += !(t->col_metadata && t->col_metadata[i]);
    d->want = mem_alloc(sizeof(int) * (size_t)(d->n_phys ? d->n_phys : 1));
    d->slot = mem_calloc((size_t)(d->n_phys ? d->n_phys : 1), sizeof(struct csv_slot));
    d->last_want = -1;
    for (int i = 0; i < d->n_phys; i++)
        d->want[i] = -1;
    d->cols = mem_calloc((size_t)(t->n_cols ? t->n_cols : 1), sizeof(struct csv_col));
    int k = 0;
    for (int i = 0; i < t->n_cols; i++) {
        if (t->col_metadata && t->col_metadata[i])
            continue;
        int field = have_full ? t->projection[k] : k;
        struct csv_col *c = &d->cols[d->n_want++];
        c->col = i;
        c->field = field;
        c->name = t->col_names[i];
        c->type_name = type_to_sql(&d->arena, type_with_nullable(&d->arena,
                                                                 t->col_types[i], true));
        if (field >= 0 && field < d->n_phys) {
            d->want[field] = d->n_want - 1;
            d->slot[field].conv = conv_for(d, t->col_types[i]);
            d->slot[field].col = i;
            if (field > d->last_want)
                d->last_want = field;
        }
        k++;
    }
    for (int f = 0; f < d->n_phys; f++)
        if (d->want[f] >= 0)
            d->slot[f].c = &d->cols[d->want[f]];
    *out = &d->base;
    return WEIR_OK;
}

/* ---- encoder ------------------------------------------------------------------ */

struct csv_enc {
    struct encoder base;
    int n_cols;
    struct vfmt_csv_opts fo;
    char *null_lit;
};

static int csv_encode(struct encoder *enc, const struct batch *b, int row,
                      struct strbuf *out, struct weir_error *err)
{
    (void)err;
    struct csv_enc *e = (struct csv_enc *)enc;
    for (int c = 0; c < e->n_cols; c++) {
        if (c)
            sb_addc(out, e->fo.delimiter);
        vfmt_csv(out, &b->cols[c], row, &e->fo);
    }
    return WEIR_OK;
}

static void csv_enc_free(struct encoder *enc)
{
    struct csv_enc *e = (struct csv_enc *)enc;
    if (e == NULL)
        return;
    mem_free(e->null_lit);
    mem_free(e);
}

static const struct encoder_ops csv_enc_ops = {csv_encode, csv_enc_free};

static int csv_encoder_create(const struct table_ctx *t, struct encoder **out,
                              struct weir_error *err)
{
    int rc = check_types(t, err);
    if (rc != WEIR_OK)
        return rc;
    struct csv_enc *e = mem_calloc(1, sizeof(*e));
    e->base.ops = &csv_enc_ops;
    e->n_cols = t->n_cols;
    e->fo.delimiter = opt_char(t->opts, "csv.field-delimiter", ',');
    e->fo.quote = opt_bool(t->opts, "csv.disable-quote-character", false) ?
                      0 : opt_char(t->opts, "csv.quote-character", '"');
    e->fo.array_delimiter = opt_char(t->opts, "csv.array-element-delimiter", ';');
    if (opt_has(t->opts, "csv.null-literal")) {
        e->null_lit = mem_strdup(opt_str(t->opts, "csv.null-literal", ""));
        e->fo.null_literal = e->null_lit;
    }
    *out = &e->base;
    return WEIR_OK;
}

static const struct opt_def csv_options[] = {
    {"csv.field-delimiter", OPT_CHAR, ",", NULL, false,
     "field separator, one character ('\\t' for tab)"},
    {"csv.quote-character", OPT_CHAR, "\"", NULL, false,
     "character that encloses fields holding delimiters or quotes"},
    {"csv.disable-quote-character", OPT_BOOL, "false", NULL, false,
     "no quoting at all (cannot be combined with csv.quote-character)"},
    {"csv.allow-comments", OPT_BOOL, "false", NULL, false,
     "skip lines starting with '#'"},
    {"csv.ignore-parse-errors", OPT_BOOL, "false", NULL, false,
     "a field that cannot be converted becomes NULL, a wrong field count is "
     "tolerated (the record is still copied to the dead-letter output)"},
    {"csv.array-element-delimiter", OPT_CHAR, ";", NULL, false,
     "separator of ARRAY elements and ROW fields inside one field"},
    {"csv.escape-character", OPT_CHAR, NULL, NULL, false,
     "character that makes the next one literal (none by default)"},
    {"csv.null-literal", OPT_STRING, NULL, NULL, false,
     "field text read and written as NULL (default: none; NULL is written empty)"},
    {"csv.write-bigdecimal-in-scientific-notation", OPT_BOOL, "true", NULL, false,
     "accepted for compatibility"},
    {NULL},
};

const struct format_def fmt_csv = {
    .name = "csv",
    .options = csv_options,
    .changelog = false,
    .decoder_create = csv_decoder_create,
    .encoder_create = csv_encoder_create,
    .validate = csv_validate,
};
