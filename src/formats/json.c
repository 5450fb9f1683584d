/*
 * json.c — the 'json' format: newline-delimited JSON objects (one record = one
 * object), decoded straight into column vectors and encoded back.
 *
 * Decoding is a single pass over the record with no DOM: each key is looked up
 * in a small open-addressing table of the wanted column names (keyed by length,
 * first and last byte), its value converted in place into the vector lane, and
 * the values of unwanted keys skipped — but still checked, so malformed JSON is
 * always rejected.  Strings are scanned 8 bytes at a time (SWAR) for '"', '\'
 * and control characters.  Semantics follow Flink's JsonToRowDataConverters:
 * numbers given as strings are accepted for numeric columns, a fractional
 * number into INT/BIGINT is truncated (Jackson's asInt), a non-string value in
 * a STRING column keeps its (compacted) JSON text, a DECIMAL that does not fit
 * becomes NULL, a missing field is NULL unless 'json.fail-on-missing-field'.
 *
 * weir is more lenient than Flink in one place: timestamps are accepted with
 * either ' ' or 'T' between date and time and an optional trailing 'Z',
 * whatever 'json.timestamp-format.standard' says (that option shapes output).
 *
 * Encoding writes one compact object per row, fields in schema order, like
 * Flink's JsonRowDataSerializationSchema (values via core/value_fmt.h).
 *
 * The changelog formats (formats/changelog_json.c) wrap rows in an envelope;
 * formats/json.h lends them this file's walk, row decoder and row encoder, so
 * a row inside an envelope reads and writes exactly as a json record.
 *
 * Why a hand-written scanner: Debian packages no fast C JSON parser (simdjson
 * is C++, yyjson is not packaged; cJSON/jansson/json-c build a DOM, which
 * allocates per value and is several times slower than this single pass), and
 * decoding straight into the vectors with projection push-down is what the
 * job needs anyway.  Where the time goes matters: for bench/stateless.sh
 * (2M events, 80 B each; 2 shared cores, CPU time) the scanner went from
 * 223 to ~330 MB/s (bench/micro_formats.c, DECIMAL case) and the whole job
 * from 159 to ~340 MB/s per core, by: skipping unwanted values with a
 * grammar check only (skip_value computes nothing), deciding integer
 * overflow from the digit count instead of per digit, and filling DECIMAL
 * columns from the mantissa the scan already accumulated (dec_scaled: no
 * second parse by dec_parse).  Then (bench/stateless.sh, 1M events, medians
 * of 5 back-to-back runs, CPU time) the job went from 179 to 149 ms per 1M
 * records (with the connector's mmap): record templates (struct jtmpl: the
 * bytes between two values compared at once, straight to the value), value
 * paths inlined per column kind, the missing-field pass skipped when the
 * template names every field, and digit loops without a bound check when the
 * record does not end in a digit.  An 8-digits-at-a-time SWAR number scan
 * was tried and was slower (see digits()).
 */
#include <stdarg.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connectors/connector.h"
#include "core/datetime.h"
#include "core/decimal.h"
#include "core/mem.h"
#include "formats/convert.h"
#include "core/numfmt.h"
#include "core/value_fmt.h"
#include "formats/format.h"
#include "formats/json.h"

#define JSON_MAX_DEPTH 128

/* ---- compiled schema -------------------------------------------------------- */

struct jlevel;

/* One field to fill: a column, a ROW field, or the element/key/value of an
 * ARRAY/MAP (those carry the name of the field they belong to). */
struct jfield {
    const char *name;               /* for lookup and messages */
    uint32_t len;
    uint64_t prefix;                /* first (up to) 8 bytes of name, zero-padded */
    const struct sql_type *type;
    const char *type_name;          /* "INT", "DECIMAL(10, 2)": messages */
    int idx;                        /* column (top) or field index (ROW) */
    struct jlevel *row;             /* ROW: its fields */
    struct jfield *elem;            /* ARRAY element, MAP value */
    struct jfield *key;             /* MAP key */
    uint8_t kind;                   /* JK_*: the inlined value paths */
};

/* Column types whose common values parse_object converts inline (the value
 * paths of parse_field, for one kind of value each); anything else, and any
 * other kind of value, goes through parse_field. */
enum { JK_OTHER, JK_BIGINT, JK_STRING, JK_DECIMAL };

/*
 * Key prediction: records of one stream nearly always list their keys in the
 * same order, so each level remembers, per key position, the exact bytes of
 * the key seen there last time (quotes included) and what it resolved to.  A
 * 16-byte compare then replaces scanning and hashing the key.  The stored text
 * ends with the closing quote, so a hit is always exact.  In compact JSON the
 * text also takes the ':' that follows (`"user_id":`), so a hit goes straight
 * to the value: in machine-written NDJSON, where every record lists the same
 * keys in the same order, each key costs one compare.  Any mismatch (other
 * order, whitespace, a key longer than 15 bytes) takes the general walk.
 */
#define JPRED_MAX 32

struct jpred {
    char text[16];                  /* "key" with both quotes, and the ':' if it
                                     * came right after; zero-padded */
    uint8_t len;                    /* bytes of text used; 0 = nothing yet */
    uint8_t klen;                   /* bytes of the key (without quotes) */
    bool colon;                     /* text ends with ':' */
    struct jfield *f;               /* what the key resolved to (NULL = unknown) */
};

/*
 * Record templates, the fast path over key prediction: machine-written NDJSON
 * repeats not just the keys but every byte between one value and the next
 * (`,"action":`, or `, "action": ` from Python's json.dumps).  Entry i of a
 * level's template holds those bytes before the i-th value (from the '{' for
 * the first), learned from the last record the general walk parsed.  The fast
 * walk compares each entry's bytes at the current position (one or two
 * 16-byte compares) and goes straight to the value; after the last one it
 * expects the '}'.  Matching bytes mean the same structure and key (keys with
 * escapes never enter a template), so the result is the general walk's.  On
 * the first mismatch the general walk takes over at that point (nothing is
 * parsed twice) and, if the record is templatable, re-learns from there.
 */
#define JTMPL_TEXT 32

struct jtmpl {
    char text[JTMPL_TEXT];          /* the bytes; zero-padded */
    uint8_t len;                    /* bytes of text used */
    uint8_t kofs, klen;             /* the key (without quotes) within text */
    struct jfield *f;               /* what the key resolves to (NULL = unwanted) */
};

/* The fields of one object level and the table that finds them by name. */
struct jlevel {
    struct jtmpl *tmpl;             /* JPRED_MAX entries */
    int tn;                         /* entries of the current template; 0 = none */
    bool tfull;                     /* the template's keys name every field */
    struct jpred *pred;             /* JPRED_MAX entries */
    int n;
    struct jfield *f;
    uint16_t *slots;                /* field index + 1, 0 = empty */
    uint32_t mask;
    uint32_t *seen;                 /* per field: generation it was last seen in */
    uint32_t gen;
};

struct json_dec {
    struct decoder base;
    struct jlevel top;
    bool fail_missing;              /* json.fail-on-missing-field */
    bool ignore_errors;             /* json.ignore-parse-errors */
    bool overlay;                   /* top level: missing fields keep their value */
    struct arena arena;             /* schema, names */
    struct strbuf scratch;          /* decoded escaped strings, compacted text */
    struct strbuf keybuf;           /* decoded escaped keys */
    const char *rec;                /* current record, for byte offsets */
    struct weir_error *err;
    bool *lossy;
    int depth;
    bool stop;                      /* the record's last byte is no digit: digit
                                     * runs end before it, no bound check needed */
};

/* The first min(len, 8) bytes of k as a little-endian word, zero-padded.
 * `avail` is how many bytes may be read at k (the record can end early). */
static inline uint64_t name_prefix(const char *k, size_t len, size_t avail)
{
    uint64_t w = 0;
    if (avail >= 8) {
        memcpy(&w, k, 8);
        if (len < 8)
            w &= (1ULL << (8 * len)) - 1;
    } else {
        memcpy(&w, k, len < 8 ? len : 8);
    }
    return w;
}

/* Keys are told apart by length and first 8 bytes: enough to hash on. */
static inline uint32_t name_hash(uint64_t prefix, size_t len)
{
    return (uint32_t)(((prefix ^ (uint64_t)len) * 0x9E3779B97F4A7C15ULL) >> 40);
}

static struct jfield *level_find(const struct jlevel *L, const char *k, size_t len,
                                 size_t avail)
{
    if (len == 0 || L->n == 0)
        return NULL;
    uint64_t pre = name_prefix(k, len, avail);
    uint32_t h = name_hash(pre, len) & L->mask;
    for (;;) {
        uint16_t s = L->slots[h];
        if (s == 0)
            return NULL;
        struct jfield *f = &L->f[s - 1];
        if (f->prefix == pre && f->len == len &&
            (len <= 8 || memcmp(f->name + 8, k + 8, len - 8) == 0))
            return f;
        h = (h + 1) & L->mask;
    }
}

static void compile_field(struct arena *a, struct jfield *f, const char *name,
                          const struct sql_type *t, int idx);

static void level_build(struct arena *a, struct jlevel *L, int n)
{
    uint32_t size = 16;
    while (size < (uint32_t)n * 4)
        size *= 2;
    L->n = n;
    L->f = arena_calloc(a, sizeof(struct jfield) * (size_t)(n ? n : 1));
    L->slots = arena_calloc(a, sizeof(uint16_t) * size);
    L->mask = size - 1;
    L->seen = arena_calloc(a, sizeof(uint32_t) * (size_t)(n ? n : 1));
    L->pred = arena_calloc(a, sizeof(struct jpred) * JPRED_MAX);
    L->tmpl = arena_calloc(a, sizeof(struct jtmpl) * JPRED_MAX);
    L->tn = 0;
    L->gen = 0;
}

static void level_index(struct jlevel *L)
{
    for (int i = 0; i < L->n; i++) {
        struct jfield *f = &L->f[i];
        if (f->len == 0 || level_find(L, f->name, f->len, f->len))
            continue;   /* empty or duplicate name: never matched */
        uint32_t h = name_hash(f->prefix, f->len) & L->mask;
        while (L->slots[h])
            h = (h + 1) & L->mask;
        L->slots[h] = (uint16_t)(i + 1);
    }
}

static void compile_field(struct arena *a, struct jfield *f, const char *name,
                          const struct sql_type *t, int idx)
{
    f->name = name;
    f->len = (uint32_t)strlen(name);
    f->prefix = name_prefix(name, f->len, f->len);
    f->type = t;
    f->type_name = type_to_sql(a, type_with_nullable(a, t, true));
    f->idx = idx;
    f->kind = t->id == T_BIGINT                      ? JK_BIGINT :
              t->id == T_VARCHAR || t->id == T_CHAR  ? JK_STRING :
              t->id == T_DECIMAL                     ? JK_DECIMAL :
                                                       JK_OTHER;
    if (t->id == T_ROW) {
        f->row = arena_calloc(a, sizeof(struct jlevel));
        level_build(a, f->row, t->n_fields);
        for (int i = 0; i < t->n_fields; i++)
            compile_field(a, &f->row->f[i], t->field_names[i], t->field_types[i], i);
        level_index(f->row);
    } else if (t->id == T_ARRAY || t->id == T_MAP) {
        f->elem = arena_calloc(a, sizeof(struct jfield));
        compile_field(a, f->elem, name, t->id == T_ARRAY ? t->elem : t->value, 0);
        if (t->id == T_MAP) {
            f->key = arena_calloc(a, sizeof(struct jfield));
            compile_field(a, f->key, name, t->elem, 0);
        }
    }
}

/* ---- errors and NULLs --------------------------------------------------------- */

static int vfail(struct json_dec *d, const char *at, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static int vfail(struct json_dec *d, const char *at, const char *fmt, va_list ap)
{
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    return err_set(d->err, WEIR_ERR_PARSE, "%s at byte %d", msg, (int)(at - d->rec));
}

static const char *fail(struct json_dec *d, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets a parse error "<message> at byte N"; returns NULL for the caller to pass up. */
static const char *fail(struct json_dec *d, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(d, at, fmt, ap);
    va_end(ap);
    return NULL;
}

static const char *fail_eof(struct json_dec *d, const char *at)
{
    return fail(d, at, "unexpected end of record");
}

static inline int arr_start(const struct vec *v, int row)
{
    return row > 0 ? v->offsets[row] : 0;
}

/* Marks row NULL; ARRAY/MAP get an empty range and ROW children NULL too, so
 * the next row's offsets stay right. */
static void set_null(struct vec *v, int row)
{
    vec_set_null(v, row);
    switch (v->type->id) {
    case T_ARRAY:
    case T_MAP:
        v->offsets[row + 1] = arr_start(v, row);
        break;
    case T_ROW:
        for (int i = 0; i < v->n_children; i++)
            set_null(&v->children[i], row);
        break;
    default:
        break;
    }
}

/* A value that is valid JSON but cannot become the field's type: NULL with
 * ignore-parse-errors, else an error quoting (a prefix of) the value. */
static bool bad_value(struct json_dec *d, const struct jfield *f, struct vec *v, int row,
                      const char *vs, const char *ve)
{
    if (d->ignore_errors) {
        set_null(v, row);
        if (d->lossy)
            *d->lossy = true;
        return true;
    }
    int n = (int)(ve - vs);
    err_set(d->err, WEIR_ERR_PARSE, "field \"%s\": cannot convert %.*s%s to %s",
            f->name, n > 64 ? 64 : n, vs, n > 64 ? "..." : "", f->type_name);
    return false;
}

/* ---- scanning ----------------------------------------------------------------- */

static inline const char *skip_ws(const char *p, const char *end)
{
    if (__builtin_expect(p < end && (unsigned char)*p > ' ', 1))
        return p;           /* the usual case: no whitespace at all */
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline uint64_t has_zero(uint64_t x) { return (x - ONES) & ~x & HIGHS; }

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * p is just after an opening quote.  Returns the closing quote, and *esc = true
 * if the string holds escapes (which are checked here); NULL on error.
 */
static const char *scan_string(struct json_dec *d, const char *p, const char *end,
                               bool *esc)
{
    const char *open = p - 1;
    for (;;) {
#ifdef __SSE2__
        /* 16 bytes at a time: '"', '\\' or a byte <= 0x1f */
        const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
        const __m128i ctl = _mm_set1_epi8(0x1f);
        while (end - p >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q),
                                                  _mm_cmpeq_epi8(x, bs)),
                                     _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
            unsigned mask = (unsigned)_mm_movemask_epi8(m);
            if (mask) {
                p += __builtin_ctz(mask);
                goto found;
            }
            p += 16;
        }
#endif
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            uint64_t m = has_zero(x ^ (ONES * '"')) | has_zero(x ^ (ONES * '\\')) |
                         ((x - ONES * 0x20) & ~x & HIGHS);
            if (m) {
                p += __builtin_ctzll(m) >> 3;
                goto found;
            }
            p += 8;
        }
        while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
            p++;
        if (p >= end)
            return fail(d, open, "unterminated string");
    found:
        if (*p == '"')
            return p;
        if (*p != '\\')
            return fail(d, p, "unescaped control character 0x%02x in string",
                        (unsigned char)*p);
        *esc = true;
        if (p + 1 >= end)
            return fail(d, open, "unterminated string");
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            break;
        case 'u':
            if (end - p < 6 || hexval(p[2]) < 0 || hexval(p[3]) < 0 ||
                hexval(p[4]) < 0 || hexval(p[5]) < 0)
                return fail(d, p, "invalid \\u escape");
            p += 6;
            break;
        default:
            return fail(d, p, "invalid escape '\\%c'", p[1]);
        }
    }
}

static void put_utf8(struct strbuf *sb, uint32_t cp)
{
    char b[4];
    if (cp < 0x80) {
        sb_addc(sb, (char)cp);
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3f));
        sb_add(sb, b, 2);
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12);
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        sb_add(sb, b, 3);
    } else {
        b[0] = (char)(0xf0 | cp >> 18);
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        sb_add(sb, b, 4);
    }
}

static uint32_t hex4(const char *p)
{
    return (uint32_t)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 |
                      hexval(p[3]));
}

/* Decodes the already-checked escapes of s[0..n) into sb (cleared first).
 * A lone surrogate becomes '?', as Java's UTF-8 encoder writes it. */
static void unescape(struct strbuf *sb, const char *s, size_t n)
{
    sb_clear(sb);
    sb_reserve(sb, n);
    const char *e = s + n;
    while (s < e) {
        const char *bs = memchr(s, '\\', (size_t)(e - s));
        if (bs == NULL) {
            sb_add(sb, s, (size_t)(e - s));
            break;
        }
        sb_add(sb, s, (size_t)(bs - s));
        char c = bs[1];
        s = bs + 2;
        switch (c) {
        case 'b': sb_addc(sb, '\b'); break;
        case 'f': sb_addc(sb, '\f'); break;
        case 'n': sb_addc(sb, '\n'); break;
        case 'r': sb_addc(sb, '\r'); break;
        case 't': sb_addc(sb, '\t'); break;
        case 'u': {
            uint32_t cp = hex4(s);
            s += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && e - s >= 6 && s[0] == '\\' &&
                s[1] == 'u') {
                uint32_t lo = hex4(s + 2);
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    s += 6;
                }
            }
            if (cp >= 0xd800 && cp <= 0xdfff)
                cp = '?';
            put_utf8(sb, cp);
            break;
        }
        default: sb_addc(sb, c); break;   /* " \ / */
        }
    }
}

/*
 * Numbers.  One scan checks the grammar and accumulates all digits (integer
 * and fraction part) into a uint64_t.  Overflow is decided from the digit
 * count, not per digit: up to 18 digits cannot overflow, so the loop is a
 * bare multiply-add; only 19+ integer digits take the careful path
 * (int_value).  The same mantissa gives DECIMAL columns their value without a
 * second parse (dec_scaled).
 */
struct jnum {
    uint64_t m;                     /* the digits, wrapped if nint + nfrac > 19 */
    const char *ds;                 /* first digit of the integer part */
    int nint, nfrac;                /* digits before / after the point */
    bool neg, exp;                  /* '-', an exponent */
};

static inline bool is_digit(char c) { return (unsigned)(c - '0') <= 9; }

/* Accumulates the digits at p into *v (v * 10 + digit each, wrapping) and
 * returns the first non-digit.  (An 8-bytes-at-a-time SWAR version was
 * measured slower: it turns the loop exit, which the branch predictor guesses,
 * into a data dependency of every later byte's position.) */
static inline const char *digits(const struct json_dec *d, const char *p,
                                 const char *end, uint64_t *v)
{
    uint64_t acc = *v;
    if (d->stop) {
        while (is_digit(*p))
            acc = acc * 10 + (unsigned)(*p++ - '0');
    } else {
        while (p < end && is_digit(*p))
            acc = acc * 10 + (unsigned)(*p++ - '0');
    }
    *v = acc;
    return p;
}

/* A JSON number at p: checks the grammar, returns its end and fills *n. */
static inline const char *scan_number(struct json_dec *d, const char *p,
                                      const char *end, struct jnum *n)
{
    const char *s = p;
    n->neg = *p == '-';
    p += n->neg;
    if (p >= end || !is_digit(*p))
        return fail(d, s, "invalid number");
    n->ds = p;
    uint64_t v = 0;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return fail(d, s, "invalid number (leading zero)");
    } else {
        p = digits(d, p, end, &v);
    }
    n->nint = (int)(p - n->ds);
    n->nfrac = 0;
    n->exp = false;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p))
            return fail(d, s, "invalid number");
        const char *fs = p;
        p = digits(d, p, end, &v);
        n->nfrac = (int)(p - fs);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        n->exp = true;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return fail(d, s, "invalid number");
        while (p < end && is_digit(*p))
            p++;
    }
    n->m = v;
    return p;
}

/* An integer number's value; false if it does not fit int64_t. */
static bool int_value(const struct jnum *n, int64_t *out)
{
    uint64_t v = n->m;
    if (n->nint > 18) {             /* may overflow: redo with checks */
        v = 0;
        for (int i = 0; i < n->nint; i++) {
            unsigned dg = (unsigned)(n->ds[i] - '0');
            if (v > (UINT64_MAX - dg) / 10)
                return false;
            v = v * 10 + dg;
        }
    }
    if (n->neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return false;
    *out = n->neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* DECIMAL(p, s) from a scanned number without exponent and with at most 18
 * digits: m * 10^-nfrac rounded HALF_UP to scale s.  Same result as
 * dec_parse on the text: 0 ok, 1 does not fit; -1 = not handled here. */
static inline int dec_scaled(const struct jnum *n, int prec, int scale, dec128 *out)
{
    unsigned __int128 u = n->m;
    if (n->nfrac <= scale) {
        int k = scale - n->nfrac;
        if (k > 19)
            return -1;
        u = (unsigned __int128)n->m * (uint64_t)dec_pow10[k];   /* < 10^37; 10^k fits 64 bits */
    } else {
        uint64_t p10 = (uint64_t)dec_pow10[n->nfrac - scale];   /* <= 10^18 */
        uint64_t q = n->m / p10, r = n->m % p10;
        u = q + (r >= p10 / 10 * 5);    /* first dropped digit >= 5 */
    }
    if (u >= (unsigned __int128)dec_pow10[prec])
        return 1;
    *out = n->neg ? -(dec128)u : (dec128)u;
    return 0;
}

static const char *skip_value(struct json_dec *d, const char *p, const char *end);

static const char *skip_container(struct json_dec *d, const char *p, const char *end)
{
    char close = *p == '{' ? '}' : ']';
    bool obj = *p == '{';
    if (++d->depth > JSON_MAX_DEPTH)
        return fail(d, p, "nesting deeper than %d", JSON_MAX_DEPTH);
    p = skip_ws(p + 1, end);
    if (p < end && *p == close) {
        d->depth--;
        return p + 1;
    }
    for (;;) {
        if (obj) {
            if (p >= end || *p != '"')
                return p >= end ? fail_eof(d, p) : fail(d, p, "expected a key");
            bool esc = false;
            const char *q = scan_string(d, p + 1, end, &esc);
            if (q == NULL)
                return NULL;
            p = skip_ws(q + 1, end);
            if (p >= end || *p != ':')
                return fail(d, p, "expected ':' after key \"%.*s\"",
                            (int)(q - p) > 64 ? 64 : (int)(q - p), q);
            p = skip_ws(p + 1, end);
        }
        p = skip_value(d, p, end);
        if (p == NULL)
            return NULL;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == close) {
            d->depth--;
            return p + 1;
        }
        return p >= end ? fail_eof(d, p) :
                          fail(d, p, "expected ',' or '%c'", close);
    }
}

static const char *literal(struct json_dec *d, const char *p, const char *end,
                           const char *word, size_t n)
{
    if ((size_t)(end - p) < n || memcmp(p, word, n) != 0)
        return fail(d, p, "unexpected character '%c'", *p);
    return p + n;
}

/* Checks and skips one value of any kind: the grammar only, no value is
 * computed (strings are not unescaped, numbers not converted), so an unwanted
 * field costs a scan and nothing more; errors are the same as when parsed. */
static const char *skip_value(struct json_dec *d, const char *p, const char *end)
{
    if (p >= end)
        return fail_eof(d, p);
    bool b1;
    struct jnum num;
    switch (*p) {
    case '"':
        p = scan_string(d, p + 1, end, &b1);
        return p ? p + 1 : NULL;
    case '{':
    case '[':
        return skip_container(d, p, end);
    case 't': return literal(d, p, end, "true", 4);
    case 'f': return literal(d, p, end, "false", 5);
    case 'n': return literal(d, p, end, "null", 4);
    default:
        if (*p == '-' || (unsigned)(*p - '0') <= 9)
            return scan_number(d, p, end, &num);   /* grammar only: value unused */
        return fail(d, p, "unexpected character '%c'", *p);
    }
}

/* The JSON text of s[0..n) without whitespace outside strings (what Jackson's
 * JsonNode.toString gives for a nested value in a STRING column). */
static void compact(struct strbuf *sb, const char *s, size_t n)
{
    sb_clear(sb);
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            sb_addc(sb, c);
            if (c == '\\' && i + 1 < n)
                sb_addc(sb, s[++i]);
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
            sb_addc(sb, c);
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            sb_addc(sb, c);
        }
    }
}

/* ---- conversions ------------------------------------------------------------- */

static const int64_t int_min[] = {INT8_MIN, INT16_MIN, INT32_MIN, INT64_MIN};
static const int64_t int_max[] = {INT8_MAX, INT16_MAX, INT32_MAX, INT64_MAX};

static int width_index(const struct sql_type *t)
{
    switch (t->id) {
    case T_TINYINT: return 0;
    case T_SMALLINT: return 1;
    case T_INT: return 2;
    default: return 3;
    }
}

/* Parses a timestamp text: date, ' ' or 'T', time; an optional trailing Z. */
static bool parse_ts(const char *s, size_t n, int64_t *us)
{
    if (n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
        n--;
    return dt_parse_timestamp(s, n, us);
}

/* Stores string contents s[0..n) (unescaped) into a column of any type.
 * vs/ve delimit the JSON text of the value for messages. */
static bool from_text(struct json_dec *d, const struct jfield *f, struct vec *v, int row,
                      const char *s, size_t n, const char *vs, const char *ve)
{
    const struct sql_type *t = f->type;
    int64_t i;
    double x;
    bool ok;
    switch (t->id) {
    case T_CHAR:
    case T_VARCHAR:
        vec_set_str(v, row, s, n);
        break;
    case T_BINARY:
    case T_VARBINARY: {
        struct strbuf bin = {0};
        ok = fmt_base64_decode(&bin, s, n, true);
        if (ok)
            vec_set_str(v, row, bin.buf ? bin.buf : "", bin.len);
        sb_free(&bin);
        if (!ok)
            return bad_value(d, f, v, row, vs, ve);
        break;
    }
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT: {
        int w = width_index(t);
        if (!fmt_trim_blanks(&s, &n) || !numfmt_parse_int_strict(s, n, int_min[w], int_max[w], &i))
            return bad_value(d, f, v, row, vs, ve);
        v->i64[row] = i;
        break;
    }
    case T_FLOAT:
    case T_DOUBLE:
        if (!numfmt_parse_double(s, n, &x))
            return bad_value(d, f, v, row, vs, ve);
        v->f64[row] = t->id == T_FLOAT ? (double)(float)x : x;
        break;
    case T_DECIMAL: {
        dec128 u;
        int r = dec_parse(s, n, t->precision, t->scale, &u);
        if (r < 0)
            return bad_value(d, f, v, row, vs, ve);
        if (r > 0) {
            set_null(v, row);   /* does not fit: NULL, as Flink's fromBigDecimal */
            return true;
        }
        v->i128[row] = u;
        break;
    }
    case T_BOOLEAN:
        /* Boolean.parseBoolean(text.trim()): anything but "true" is false */
        fmt_trim_blanks(&s, &n);
        v->b[row] = n == 4 && strncasecmp(s, "true", 4) == 0;
        break;
    case T_DATE:
        if (!dt_parse_date(s, n, &i))
            return bad_value(d, f, v, row, vs, ve);
        v->i64[row] = i;
        break;
    case T_TIME:
        if (!dt_parse_time(s, n, &i))
            return bad_value(d, f, v, row, vs, ve);
        v->i64[row] = i;
        break;
    case T_TIMESTAMP:
    case T_TIMESTAMP_LTZ:
        if (!parse_ts(s, n, &i))
            return bad_value(d, f, v, row, vs, ve);
        v->i64[row] = i;
        break;
    default:
        return bad_value(d, f, v, row, vs, ve);
    }
    vec_set_valid(v, row);
    return true;
}

/* A JSON number [s, e) into the column. */
static bool from_number(struct json_dec *d, const struct jfield *f, struct vec *v,
                        int row, const char *s, const char *e, bool is_int,
                        int64_t iv, bool ovf)
{
    const struct sql_type *t = f->type;
    size_t n = (size_t)(e - s);
    bool ok;
    double x;
    switch (t->id) {
    case T_BIGINT:
    case T_INT:
    case T_SMALLINT:
    case T_TINYINT: {
        int w = width_index(t);
        if (is_int && !ovf) {
            if (iv < int_min[w] || iv > int_max[w])
                return bad_value(d, f, v, row, s, e);
            v->i64[row] = iv;
            break;
        }
        /* Jackson's canConvertToInt/Long + asInt: a fraction is truncated;
         * Flink parses TINYINT/SMALLINT from the text, which fails */
        if (w < 2)
            return bad_value(d, f, v, row, s, e);
        ok = numfmt_parse_double(s, n, &x);
        if (!ok || !(x >= (double)int_min[w] && x < -(double)int_min[w]))
            return bad_value(d, f, v, row, s, e);
        v->i64[row] = (int64_t)x;
        break;
    }
    case T_DOUBLE:
    case T_FLOAT:
        if (is_int && !ovf && iv > -(1LL << 53) && iv < (1LL << 53))
            x = (double)iv;
        else if (!numfmt_parse_double(s, n, &x))
            return bad_value(d, f, v, row, s, e);
        v->f64[row] = t->id == T_FLOAT ? (double)(float)x : x;
        break;
    case T_DECIMAL: {
        dec128 u;
        int r = dec_parse(s, n, t->precision, t->scale, &u);
        if (r < 0)
            return bad_value(d, f, v, row, s, e);
        if (r > 0) {
            set_null(v, row);
            return true;
        }
        v->i128[row] = u;
        break;
    }
    case T_CHAR:
    case T_VARCHAR:
        vec_set_str(v, row, s, n);
        break;
    case T_BOOLEAN:
        v->b[row] = 0;      /* Boolean.parseBoolean("1") is false */
        break;
    default:
        return bad_value(d, f, v, row, s, e);
    }
    vec_set_valid(v, row);
    return true;
}

/* ---- the decoder proper ------------------------------------------------------- */

/* The value paths of parse_field for a string (p at its '"') and a number (p
 * at '-' or a digit); parse_object calls them directly for those values, so
 * the common cases skip parse_field's dispatch. */
static inline const char *string_value(struct json_dec *d, const struct jfield *f,
                                       struct vec *v, int row, const char *p,
                                       const char *end)
{
    bool esc = false;
    const char *q = scan_string(d, p + 1, end, &esc);
    if (q == NULL)
        return NULL;
    const char *s = p + 1;
    size_t n = (size_t)(q - s);
    if (esc) {
        unescape(&d->scratch, s, n);
        s = d->scratch.buf;
        n = d->scratch.len;
    }
    if (f->kind == JK_STRING) {                 /* the common case, inline */
        vec_set_str(v, row, s, n);
        vec_set_valid(v, row);
    } else if (!from_text(d, f, v, row, s, n, p, q + 1)) {
        return NULL;
    }
    return q + 1;
}

static inline const char *number_value(struct json_dec *d, const struct jfield *f,
                                       struct vec *v, int row, const char *p,
                                       const char *end)
{
    const char *vs = p;
    struct jnum num;
    p = scan_number(d, p, end, &num);
    if (p == NULL)
        return NULL;
    bool is_int = num.nfrac == 0 && !num.exp;
    if (f->kind == JK_BIGINT && is_int && num.nint <= 18) {   /* the common case */
        v->i64[row] = num.neg ? -(int64_t)num.m : (int64_t)num.m;
        vec_set_valid(v, row);
        return p;
    }
    if (f->kind == JK_DECIMAL && !num.exp && num.nint + num.nfrac <= 18) {
        dec128 u;
        int r = dec_scaled(&num, f->type->precision, f->type->scale, &u);
        if (r == 0) {
            v->i128[row] = u;
            vec_set_valid(v, row);
            return p;
        }
        if (r > 0) {
            set_null(v, row);   /* does not fit: NULL, as Flink's fromBigDecimal */
            return p;
        }
    }
    int64_t iv = 0;
    bool ovf = is_int && !int_value(&num, &iv);
    return from_number(d, f, v, row, vs, p, is_int, iv, ovf) ? p : NULL;
}

static const char *parse_field(struct json_dec *d, const struct jfield *f, struct vec *v,
                               int row, const char *p, const char *end);

/* Does template entry t match the bytes at p? */
static inline bool tmpl_match(const struct jtmpl *t, const char *p, const char *end)
{
#ifdef __SSE2__
    if (end - p >= JTMPL_TEXT || (t->len <= 16 && end - p >= 16)) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)t->text);
        unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
        if (t->len <= 16) {
            unsigned need = (1u << t->len) - 1;
            return (eq & need) == need;
        }
        if (eq != 0xffff)
            return false;
        x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
        y = _mm_loadu_si128((const __m128i *)(const void *)(t->text + 16));
        eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
        unsigned need = (1u << (t->len - 16)) - 1;
        return (eq & need) == need;
    }
#endif
    return end - p >= t->len && memcmp(p, t->text, t->len) == 0;
}

/* The value at p (whitespace skipped) of a key that resolved to f (NULL: not
 * wanted, checked and skipped); returns its end or NULL. */
static inline const char *key_value(struct json_dec *d, struct jlevel *L,
                                    struct jfield *f, struct vec *vecs, int row,
                                    uint32_t gen, const char *p, const char *end)
{
    if (f == NULL)
        return skip_value(d, p, end);
    struct vec *v = &vecs[f->idx];
    L->seen[f - L->f] = gen;
    if (p < end && *p == '"')
        return string_value(d, f, v, row, p, end);
    if (p < end && (is_digit(*p) || *p == '-'))
        return number_value(d, f, v, row, p, end);
    return parse_field(d, f, v, row, p, end);
}

static const char *parse_object(struct json_dec *d, struct jlevel *L, struct vec *vecs,
                                int row, const char *p, const char *end)
{
    if (++d->depth > JSON_MAX_DEPTH)
        return fail(d, p, "nesting deeper than %d", JSON_MAX_DEPTH);
    uint32_t gen = ++L->gen;
    if (gen == 0) {
        memset(L->seen, 0, sizeof(uint32_t) * (size_t)(L->n ? L->n : 1));
        gen = L->gen = 1;
    }
    const char *ks = NULL;          /* the last key, for messages */
    size_t kn = 0;
    const char *prev = p;           /* end of the last value ('{' at first) */
    bool learn = true;              /* every key so far fits a template entry */
    int pos = 0;
    if (L->tn > 0) {
        /* the fast walk (see struct jtmpl) */
        int i = 0;
        for (; i < L->tn; i++) {
            const struct jtmpl *t = &L->tmpl[i];
            if (!tmpl_match(t, p, end))
                break;
            ks = p + t->kofs;
            kn = t->klen;
            p = key_value(d, L, t->f, vecs, row, gen, skip_ws(p + t->len, end), end);
            if (p == NULL)
                return NULL;
        }
        if (i == L->tn) {
            const char *q = skip_ws(p, end);
            if (q < end && *q == '}') {
                p = q + 1;
                if (L->tfull) {     /* every field was set: none is missing */
                    d->depth--;
                    return p;
                }
                goto done;
            }
        }
        if (i > 0) {                /* the general walk from there */
            pos = i - 1;
            prev = p;
            goto after_value;
        }
    }
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        goto done;
    }
    for (;; pos++) {
        if (p >= end)
            return fail_eof(d, p);
        if (*p != '"')
            return fail(d, p, "expected a key in double quotes");
        struct jpred *pr = pos < JPRED_MAX ? &L->pred[pos] : NULL;
        const char *ke = NULL, *key;
        size_t klen = 0;
        bool esc = false;
        struct jfield *f = NULL;
        ks = key = p + 1;
        if (pr && pr->len && end - p >= 16) {
#ifdef __SSE2__
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i y = _mm_loadu_si128((const __m128i *)(const void *)pr->text);
            unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
            unsigned need = (1u << pr->len) - 1;
            bool hit = (eq & need) == need;
#else
            bool hit = memcmp(p, pr->text, pr->len) == 0;
#endif
            if (hit) {
                klen = pr->klen;
                ke = ks + klen;
                f = pr->f;
                if (pr->colon) {        /* "key": matched: on to the value */
                    p += pr->len;
                    goto value;
                }
            }
        }
        if (ke == NULL) {
            ke = scan_string(d, ks, end, &esc);
            if (ke == NULL)
                return NULL;
            klen = (size_t)(ke - ks);
            if (esc) {
                unescape(&d->keybuf, ks, klen);
                key = d->keybuf.buf;
                klen = d->keybuf.len;
            }
            f = level_find(L, key, klen, esc ? klen : (size_t)(end - key));
            size_t tl = (size_t)(ke - p + 1);           /* "key" */
            if (pr && !esc && tl <= 16) {
                bool colon = tl < 16 && ke + 1 < end && ke[1] == ':';
                memset(pr->text, 0, sizeof(pr->text));
                memcpy(pr->text, p, tl + colon);
                pr->len = (uint8_t)(tl + colon);
                pr->klen = (uint8_t)klen;
                pr->colon = colon;
                pr->f = f;
            }
        }
        p = skip_ws(ke + 1, end);
        if (p >= end || *p != ':')
            return fail(d, p, "expected ':' after key \"%.*s\"",
                        klen > 64 ? 64 : (int)klen, key);
        p++;
    value:
        p = skip_ws(p, end);
        kn = (size_t)(ke - ks);
        if (learn) {
            /* the bytes from the end of the last value to this one */
            size_t tl = (size_t)(p - prev);
            if (!esc && pos < JPRED_MAX && tl <= JTMPL_TEXT) {
                struct jtmpl *t = &L->tmpl[pos];
                /* each entry stays exact on its own, but a record that fails
                 * later leaves a mix: only a complete walk sets tfull again */
                L->tfull = false;
                memset(t->text, 0, sizeof(t->text));
                memcpy(t->text, prev, tl);
                t->len = (uint8_t)tl;
                t->kofs = (uint8_t)(ks - prev);
                t->klen = (uint8_t)kn;
                t->f = f;
            } else {
                learn = false;
            }
        }
        p = key_value(d, L, f, vecs, row, gen, p, end);
        if (p == NULL)
            return NULL;
        prev = p;
    after_value:
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') {
            p++;
            break;
        }
        if (p >= end)
            return fail_eof(d, p);
        return fail(d, p, "expected ',' or '}' after the value of \"%.*s\"",
                    kn > 64 ? 64 : (int)kn, ks);
    }
    L->tn = learn ? pos + 1 : 0;
    if (learn) {
        L->tfull = true;
        for (int i = 0; i < L->n; i++)
            L->tfull &= L->seen[i] == gen;
    }
done:
    for (int i = 0; i < L->n; i++) {
        if (L->seen[i] == gen || (d->overlay && L == &d->top))
            continue;
        if (d->fail_missing) {
            err_set(d->err, WEIR_ERR_PARSE,
                    "field \"%s\" is missing (json.fail-on-missing-field is true)",
                    L->f[i].name);
            return NULL;
        }
        set_null(&vecs[L->f[i].idx], row);
    }
    d->depth--;
    return p;
}

static const char *parse_array(struct json_dec *d, const struct jfield *f, struct vec *v,
                               int row, const char *p, const char *end)
{
    if (++d->depth > JSON_MAX_DEPTH)
        return fail(d, p, "nesting deeper than %d", JSON_MAX_DEPTH);
    int start = arr_start(v, row), n = 0;
    struct vec *c = &v->children[0];
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']') {
        p++;
        goto done;
    }
    for (;;) {
        vec_reserve(c, start + n + 1);
        p = parse_field(d, f->elem, c, start + n, p, end);
        if (p == NULL)
            return NULL;
        n++;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == ']') {
            p++;
            break;
        }
        return p >= end ? fail_eof(d, p) : fail(d, p, "expected ',' or ']' in array");
    }
done:
    v->offsets[row + 1] = start + n;
    vec_set_valid(v, row);
    d->depth--;
    return p;
}

static const char *parse_map(struct json_dec *d, const struct jfield *f, struct vec *v,
                             int row, const char *p, const char *end)
{
    if (++d->depth > JSON_MAX_DEPTH)
        return fail(d, p, "nesting deeper than %d", JSON_MAX_DEPTH);
    int start = arr_start(v, row), n = 0;
    struct vec *kv = &v->children[0], *vv = &v->children[1];
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        goto done;
    }
    for (;;) {
        if (p >= end)
            return fail_eof(d, p);
        if (*p != '"')
            return fail(d, p, "expected a key in double quotes");
        bool esc = false;
        const char *ks = p + 1, *ke = scan_string(d, ks, end, &esc);
        if (ke == NULL)
            return NULL;
        vec_reserve(kv, start + n + 1);
        vec_reserve(vv, start + n + 1);
        const char *key = ks;
        size_t klen = (size_t)(ke - ks);
        if (esc) {
            unescape(&d->keybuf, ks, klen);
            key = d->keybuf.buf;
            klen = d->keybuf.len;
        }
        if (!from_text(d, f->key, kv, start + n, key, klen, ks - 1, ke + 1))
            return NULL;
        p = skip_ws(ke + 1, end);
        if (p >= end || *p != ':')
            return fail(d, p, "expected ':' after key \"%.*s\"",
                        klen > 64 ? 64 : (int)klen, key);
        p = parse_field(d, f->elem, vv, start + n, skip_ws(p + 1, end), end);
        if (p == NULL)
            return NULL;
        n++;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') {
            p++;
            break;
        }
        return p >= end ? fail_eof(d, p) :
                          fail(d, p, "expected ',' or '}' after the value of \"%.*s\"",
                               (int)(ke - ks) > 64 ? 64 : (int)(ke - ks), ks);
    }
done:
    v->offsets[row + 1] = start + n;
    vec_set_valid(v, row);
    d->depth--;
    return p;
}

/* One value into field f (vector v, row `row`); returns the end of the value. */
static const char *parse_field(struct json_dec *d, const struct jfield *f, struct vec *v,
                               int row, const char *p, const char *end)
{
    if (p >= end)
        return fail_eof(d, p);
    const char *vs = p;
    enum type_id id = (enum type_id)f->type->id;
    switch (*p) {
    case '"':
        return string_value(d, f, v, row, p, end);
    case '{':
        if (id == T_ROW) {
            p = parse_object(d, f->row, v->children, row, p, end);
            if (p)
                vec_set_valid(v, row);
            return p;
        }
        if (id == T_MAP)
            return parse_map(d, f, v, row, p, end);
        goto container_other;
    case '[':
        if (id == T_ARRAY)
            return parse_array(d, f, v, row, p, end);
    container_other:
        p = skip_value(d, p, end);
        if (p == NULL)
            return NULL;
        if (id == T_VARCHAR || id == T_CHAR) {
            compact(&d->scratch, vs, (size_t)(p - vs));
            vec_set_str(v, row, d->scratch.buf, d->scratch.len);
            vec_set_valid(v, row);
            return p;
        }
        return bad_value(d, f, v, row, vs, p) ? p : NULL;
    case 't':
    case 'f': {
        bool t = *p == 't';
        p = t ? literal(d, p, end, "true", 4) : literal(d, p, end, "false", 5);
        if (p == NULL)
            return NULL;
        if (id == T_BOOLEAN) {
            v->b[row] = t;
            vec_set_valid(v, row);
        } else if (id == T_VARCHAR || id == T_CHAR) {
            vec_set_str(v, row, vs, (size_t)(p - vs));
            vec_set_valid(v, row);
        } else if (!bad_value(d, f, v, row, vs, p)) {
            return NULL;
        }
        return p;
    }
    case 'n':
        p = literal(d, p, end, "null", 4);
        if (p)
            set_null(v, row);
        return p;
    default:
        if (*p != '-' && !is_digit(*p))
            return fail(d, p, "unexpected character '%c'", *p);
        return number_value(d, f, v, row, p, end);
    }
}

void json_dec_begin(struct json_dec *d, const char *rec, size_t len, bool *lossy,
                    struct weir_error *err)
{
    d->rec = rec;
    d->err = err;
    d->lossy = lossy;
    d->depth = 0;
    d->stop = len > 0 && !is_digit(rec[len - 1]);
}

static int json_decode(struct decoder *dec, const char *rec, size_t len, struct batch *b,
                       int row, bool *lossy, struct weir_error *err)
{
    struct json_dec *d = (struct json_dec *)dec;
    json_dec_begin(d, rec, len, lossy, err);
    const char *end = rec + len;
    const char *p = skip_ws(rec, end);
    if (p >= end || *p != '{') {
        fail(d, p, p >= end ? "empty record" : "expected '{'");
        return WEIR_ERR_PARSE;
    }
    p = parse_object(d, &d->top, b->cols, row, p, end);
    if (p == NULL) {
        if (!err_is_set(err))
            err_set(err, WEIR_ERR_PARSE, "malformed json");
        return WEIR_ERR_PARSE;
    }
    p = skip_ws(p, end);
    if (p < end) {
        fail(d, p, "unexpected '%c' after the end of the object", *p);
        return WEIR_ERR_PARSE;
    }
    return WEIR_OK;
}

static void json_dec_free(struct decoder *dec)
{
    struct json_dec *d = (struct json_dec *)dec;
    if (d == NULL)
        return;
    arena_free(&d->arena);
    sb_free(&d->scratch);
    sb_free(&d->keybuf);
    mem_free(d);
}

static const struct decoder_ops json_dec_ops = {json_decode, json_dec_free};

static int json_validate(const struct opt_set *o, struct weir_error *err)
{
    if (opt_bool(o, "json.fail-on-missing-field", false) &&
        opt_bool(o, "json.ignore-parse-errors", false))
        return err_set(err, WEIR_ERR_CONFIG,
                       "options 'json.fail-on-missing-field' and "
                       "'json.ignore-parse-errors' cannot both be true");
    return WEIR_OK;
}

struct json_dec *json_dec_new(const struct table_ctx *t, const struct json_dec_opts *o)
{
    struct json_dec *d = mem_calloc(1, sizeof(*d));
    d->base.ops = &json_dec_ops;
    arena_init(&d->arena, 0);
    d->fail_missing = o->fail_missing;
    d->ignore_errors = o->ignore_errors;
    d->overlay = o->overlay;
    int n = 0;
    for (int i = 0; i < t->n_cols; i++)
        n += t->col_metadata == NULL || t->col_metadata[i] == NULL;
    level_build(&d->arena, &d->top, n);
    n = 0;
    for (int i = 0; i < t->n_cols; i++) {
        if (t->col_metadata && t->col_metadata[i])
            continue;   /* metadata columns are the connector's */
        compile_field(&d->arena, &d->top.f[n++], t->col_names[i], t->col_types[i], i);
    }
    level_index(&d->top);
    return d;
}

void json_dec_destroy(struct json_dec *d)
{
    json_dec_free(d ? &d->base : NULL);
}

static int json_decoder_create(const struct table_ctx *t, struct decoder **out,
                               struct weir_error *err)
{
    struct weir_error e2 = {0};
    if (json_validate(t->opts, &e2) != WEIR_OK) {
        err_set(err, WEIR_ERR_CONFIG, "table '%s': %s", t->table_name, e2.message);
        err_clear(&e2);
        return WEIR_ERR_CONFIG;
    }
    struct json_dec_opts o = {
        .fail_missing = opt_bool(t->opts, "json.fail-on-missing-field", false),
        .ignore_errors = opt_bool(t->opts, "json.ignore-parse-errors", false),
    };
    *out = &json_dec_new(t, &o)->base;
    return WEIR_OK;
}

/* ---- the walk for envelope formats (json.h) ------------------------------------ */

const char *json_ws(const char *p, const char *end)
{
    return skip_ws(p, end);
}

const char *json_skip(struct json_dec *d, const char *p, const char *end)
{
    return skip_value(d, p, end);
}

const char *json_dec_row(struct json_dec *d, const char *p, const char *end,
                         struct batch *b, int row)
{
    if (p >= end)
        return fail_eof(d, p);
    if (*p != '{')
        return fail(d, p, "expected '{'");
    return parse_object(d, &d->top, b->cols, row, p, end);
}

const char *json_members(struct json_dec *d, const char *p, const char *end,
                         const char *const *names, int n, struct json_span *spans)
{
    for (int i = 0; i < n; i++)
        spans[i].s = spans[i].e = NULL;
    if (p >= end)
        return fail_eof(d, p);
    if (*p != '{')
        return fail(d, p, "expected '{'");
    if (++d->depth > JSON_MAX_DEPTH)
        return fail(d, p, "nesting deeper than %d", JSON_MAX_DEPTH);
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        d->depth--;
        return p + 1;
    }
    for (;;) {
        if (p >= end)
            return fail_eof(d, p);
        if (*p != '"')
            return fail(d, p, "expected a key in double quotes");
        bool esc = false;
        const char *ks = p + 1, *ke = scan_string(d, ks, end, &esc);
        if (ke == NULL)
            return NULL;
        const char *key = ks;
        size_t klen = (size_t)(ke - ks);
        if (esc) {
            unescape(&d->keybuf, ks, klen);
            key = d->keybuf.buf;
            klen = d->keybuf.len;
        }
        p = skip_ws(ke + 1, end);
        if (p >= end || *p != ':')
            return fail(d, p, "expected ':' after key \"%.*s\"",
                        klen > 64 ? 64 : (int)klen, key);
        p = skip_ws(p + 1, end);
        const char *vs = p;
        p = skip_value(d, p, end);
        if (p == NULL)
            return NULL;
        for (int i = 0; i < n; i++) {
            if (strlen(names[i]) == klen && memcmp(names[i], key, klen) == 0) {
                spans[i].s = vs;
                spans[i].e = p;
            }
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') {
            d->depth--;
            return p + 1;
        }
        return p >= end ? fail_eof(d, p) :
                          fail(d, p, "expected ',' or '}' after the value of \"%.*s\"",
                               (int)(ke - ks) > 64 ? 64 : (int)(ke - ks), ks);
    }
}

const char *json_string(struct json_dec *d, const char *p, const char *end,
                        const char **s, size_t *n)
{
    if (p >= end)
        return fail_eof(d, p);
    if (*p != '"')
        return fail(d, p, "expected a string");
    bool esc = false;
    const char *q = scan_string(d, p + 1, end, &esc);
    if (q == NULL)
        return NULL;
    *s = p + 1;
    *n = (size_t)(q - *s);
    if (esc) {
        unescape(&d->scratch, *s, *n);
        *s = d->scratch.buf;
        *n = d->scratch.len;
    }
    return q + 1;
}

const char *json_dec_value(struct json_dec *d, int col, const char *p, const char *end,
                           struct vec *v, int row)
{
    if (p == NULL) {
        set_null(v, row);
        return end;
    }
    return parse_field(d, &d->top.f[col], v, row, p, end);
}

int json_fail(struct json_dec *d, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(d, at, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- encoder ------------------------------------------------------------------ */

enum null_key_mode { NK_FAIL, NK_DROP, NK_LITERAL };

struct json_enc {
    struct encoder base;
    int n_cols;
    char **prefix;                  /* per column: {"name": or ,"name": */
    const char **names;             /* the columns' names (the table's), for messages */
    char *opt;                      /* the options' prefix ("json", "canal-json") */
    struct vfmt_json_opts fo;
    enum null_key_mode nk_mode;
    char *nk_literal;
};

/* A MAP with a NULL key, which JSON cannot hold: drop the entry or use the
 * literal, per '<prefix>.map-null-key.mode'. */
static int encode_map(struct json_enc *e, const struct vec *v, int row,
                      struct strbuf *out, const char *col, struct weir_error *err)
{
    int s = v->offsets[row], n = v->offsets[row + 1] - s;
    const struct vec *kv = &v->children[0], *vv = &v->children[1];
    bool has_null = false;
    for (int i = 0; i < n; i++)
        has_null |= vec_is_null(kv, s + i);
    if (!has_null) {
        vfmt_json(out, v, row, &e->fo);
        return WEIR_OK;
    }
    if (e->nk_mode == NK_FAIL)
        return err_set(err, WEIR_ERR_RUNTIME,
                       "column \"%s\": json cannot encode a map with a null key; set "
                       "'%s.map-null-key.mode' to 'DROP' or 'LITERAL'", col, e->opt);
    struct strbuf key = {0};
    bool first = true;
    sb_addc(out, '{');
    for (int i = 0; i < n; i++) {
        sb_clear(&key);
        if (vec_is_null(kv, s + i)) {
            if (e->nk_mode == NK_DROP)
                continue;
            sb_adds(&key, e->nk_literal);
        } else if (type_is_string(kv->type)) {
            sb_add(&key, kv->s[s + i].ptr, kv->s[s + i].len);
        } else {
            vfmt_cast_string(&key, kv, s + i);
        }
        if (!first)
            sb_addc(out, ',');
        first = false;
        vfmt_json_string(out, key.buf ? key.buf : "", key.len);
        sb_addc(out, ':');
        vfmt_json(out, vv, s + i, &e->fo);
    }
    sb_addc(out, '}');
    sb_free(&key);
    return WEIR_OK;
}

static int json_encode(struct encoder *enc, const struct batch *b, int row,
                       struct strbuf *out, struct weir_error *err)
{
    struct json_enc *e = (struct json_enc *)enc;
    for (int c = 0; c < e->n_cols; c++) {
        const struct vec *v = &b->cols[c];
        sb_adds(out, e->prefix[c]);
        if (v->type->id == T_MAP && !vec_is_null(v, row)) {
            int rc = encode_map(e, v, row, out, e->names[c], err);
            if (rc != WEIR_OK)
                return rc;
        } else {
            vfmt_json(out, v, row, &e->fo);
        }
    }
    sb_adds(out, e->n_cols ? "}" : "{}");
    return WEIR_OK;
}

static void json_enc_free(struct encoder *enc)
{
    struct json_enc *e = (struct json_enc *)enc;
    if (e == NULL)
        return;
    for (int i = 0; i < e->n_cols; i++)
        mem_free(e->prefix[i]);
    mem_free(e->prefix);
    mem_free(e->names);
    mem_free(e->opt);
    mem_free(e->nk_literal);
    mem_free(e);
}

static const struct encoder_ops json_enc_ops = {json_encode, json_enc_free};

struct encoder *json_row_encoder_new(const struct table_ctx *t, const char *prefix)
{
    struct json_enc *e = mem_calloc(1, sizeof(*e));
    e->base.ops = &json_enc_ops;
    e->n_cols = t->n_cols;
    e->names = mem_calloc((size_t)(t->n_cols ? t->n_cols : 1), sizeof(char *));
    for (int i = 0; i < t->n_cols; i++)
        e->names[i] = t->col_names[i];
    e->opt = mem_strdup(prefix);
    e->prefix = mem_calloc((size_t)(t->n_cols ? t->n_cols : 1), sizeof(char *));
    for (int i = 0; i < t->n_cols; i++) {
        struct strbuf sb = {0};
        sb_addc(&sb, i == 0 ? '{' : ',');
        vfmt_json_string(&sb, t->col_names[i], strlen(t->col_names[i]));
        sb_addc(&sb, ':');
        e->prefix[i] = sb_steal(&sb);
    }
    char key[96];
    snprintf(key, sizeof(key), "%s.timestamp-format.standard", prefix);
    const char *std = opt_str(t->opts, key, "SQL");
    e->fo.ts_standard = strcasecmp(std, "ISO-8601") == 0 ? VFMT_TS_ISO8601 : VFMT_TS_SQL;
    snprintf(key, sizeof(key), "%s.encode.decimal-as-plain-number", prefix);
    e->fo.decimal_plain = opt_bool(t->opts, key, false);
    snprintf(key, sizeof(key), "%s.map-null-key.mode", prefix);
    const char *mode = opt_str(t->opts, key, "FAIL");
    e->nk_mode = strcasecmp(mode, "DROP") == 0      ? NK_DROP :
                 strcasecmp(mode, "LITERAL") == 0   ? NK_LITERAL :
                                                      NK_FAIL;
    snprintf(key, sizeof(key), "%s.map-null-key.literal", prefix);
    e->nk_literal = mem_strdup(opt_str(t->opts, key, "null"));
    return &e->base;
}

static int json_encoder_create(const struct table_ctx *t, struct encoder **out,
                               struct weir_error *err)
{
    (void)err;
    *out = json_row_encoder_new(t, "json");
    return WEIR_OK;
}

static const struct opt_def json_options[] = {
    {"json.fail-on-missing-field", OPT_BOOL, "false", NULL, false,
     "fail on a record that lacks a field of the schema (default: the field is NULL)"},
    {"json.ignore-parse-errors", OPT_BOOL, "false", NULL, false,
     "a field that cannot be converted becomes NULL (the record is still copied to "
     "the dead-letter output); malformed records are always dead-lettered"},
    {"json.timestamp-format.standard", OPT_ENUM, "SQL", "SQL|ISO-8601", false,
     "timestamp text written: SQL 'yyyy-MM-dd HH:mm:ss.s' or ISO-8601 "
     "'yyyy-MM-ddTHH:mm:ss.s'; both are read"},
    {"json.map-null-key.mode", OPT_ENUM, "FAIL", "FAIL|DROP|LITERAL", false,
     "what the encoder does with a MAP entry whose key is NULL"},
    {"json.map-null-key.literal", OPT_STRING, "null", NULL, false,
     "the key written for NULL map keys in LITERAL mode"},
    {"json.encode.decimal-as-plain-number", OPT_BOOL, "false", NULL, false,
     "write DECIMAL values without scientific notation"},
    {"json.encode.ignore-null-fields", OPT_BOOL, "false", NULL, false,
     "accepted for compatibility; NULL fields are written as null"},
    {NULL},
};

const struct format_def fmt_json = {
    .name = "json",
    .options = json_options,
    .changelog = false,
    .decoder_create = json_decoder_create,
    .encoder_create = json_encoder_create,
    .validate = json_validate,
};
