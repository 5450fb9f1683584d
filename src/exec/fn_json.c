/*
 * fn_json.c — JSON_VALUE, JSON_QUERY, JSON_EXISTS and IS JSON (SQL.md f.6).
 *
 * Flink parses the whole document with Jackson into Java maps/lists and walks
 * it with Jayway JsonPath (SqlJsonUtils).  weir instead walks the raw text: a
 * validating scanner skips values without building anything, and a definite
 * path ($, .name, ['name'], ["name"], [n], [-n]) is followed member by member.
 * A DOM library would allocate per row; Debian's C JSON libraries (json-c,
 * jansson) all build a DOM, so this small navigator is faster and has exactly
 * Jackson's acceptance rules.  Indefinite paths (*, .., filters, slices, unions)
 * are rejected at bind time as unsupported.
 *
 * Semantics kept from Flink/Jackson/Jayway:
 *  - no mode prefix means STRICT; "lax $.a" is lax.  Strict: bad JSON, a missing
 *    member or a type mismatch is an *error* (ON ERROR applies); lax: *empty*
 *    (ON EMPTY applies).  A JSON null is empty in both modes.
 *  - only the first JSON value of the text is read; trailing text is ignored
 *    (Jackson's FAIL_ON_TRAILING_TOKENS is off).  Duplicate keys: last wins.
 *  - numbers: integers print as written (-0 as 0); numbers with a fraction or
 *    exponent are BigDecimals (USE_BIG_DECIMAL_FOR_FLOATS) and print as
 *    BigDecimal.toString: 1.50 → "1.50", 1e2 → "1E+2".
 *  - JSON_QUERY re-serialises like Jackson with ORDER_MAP_ENTRIES_BY_KEYS:
 *    compact, object keys sorted, strings re-escaped.
 */
#include <math.h>
#include <stdlib.h>
#include <strings.h>

#include "core/numfmt.h"
#include "core/strbuf.h"
#include "exec/fn_int.h"

#define JSON_MAX_DEPTH 1000

/* ---- scanning ------------------------------------------------------------------ */

enum jkind { J_OBJECT, J_ARRAY, J_STRING, J_INT, J_FLOAT, J_TRUE, J_FALSE, J_NULL };

static const char *j_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* p at the opening quote; returns the position after the closing quote. */
static const char *j_skip_string(const char *p, const char *e, bool *has_escape)
{
    p++;
    bool esc = false;
    while (p < e) {
        /* eight plain bytes at a time: no '"', no '\\', nothing below 0x20 */
        while (e - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
            uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
            uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w);
            if (hit & highs)
                break;
            p += 8;
        }
        if (p >= e)
            break;
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            if (has_escape)
                *has_escape = esc;
            return p + 1;
        }
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            esc = true;
            if (p + 1 >= e)
                return NULL;
            char x = p[1];
            if (x == 'u') {
                if (p + 6 > e || hexval(p[2]) < 0 || hexval(p[3]) < 0 || hexval(p[4]) < 0 ||
                    hexval(p[5]) < 0)
                    return NULL;
                p += 6;
                continue;
            }
            if (x != '"' && x != '\\' && x != '/' && x != 'b' && x != 'f' && x != 'n' &&
                x != 'r' && x != 't')
                return NULL;
            p += 2;
            continue;
        }
        p++;
    }
    return NULL;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static const char *j_skip_number(const char *p, const char *e, bool *is_float)
{
    *is_float = false;
    if (p < e && *p == '-')
        p++;
    if (p >= e || !is_digit(*p))
        return NULL;
    if (*p == '0') {
        p++;
        if (p < e && is_digit(*p))
            return NULL;   /* leading zeroes */
    } else {
        while (p < e && is_digit(*p))
            p++;
    }
    if (p < e && *p == '.') {
        *is_float = true;
        p++;
        if (p >= e || !is_digit(*p))
            return NULL;
        while (p < e && is_digit(*p))
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        *is_float = true;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p >= e || !is_digit(*p))
            return NULL;
        while (p < e && is_digit(*p))
            p++;
    }
    return p;
}

static bool lit_at(const char *p, const char *e, const char *lit, size_t n)
{
    return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}

/* Skips one value starting at p (no leading whitespace); validates it fully.
 * Returns the end, or NULL when the text is not JSON.  *kind gets its kind. */
static const char *j_skip_value(const char *p, const char *e, int depth, enum jkind *kind)
{
    enum jkind k_dummy;
    if (kind == NULL)
        kind = &k_dummy;
    if (p >= e || depth > JSON_MAX_DEPTH)
        return NULL;
    switch (*p) {
    case '{':
        *kind = J_OBJECT;
        p = j_ws(p + 1, e);
        if (p < e && *p == '}')
            return p + 1;
        for (;;) {
            if (p >= e || *p != '"')
                return NULL;
            p = j_skip_string(p, e, NULL);
            if (p == NULL)
                return NULL;
            p = j_ws(p, e);
            if (p >= e || *p != ':')
                return NULL;
            p = j_ws(p + 1, e);
            p = j_skip_value(p, e, depth + 1, NULL);
            if (p == NULL)
                return NULL;
            p = j_ws(p, e);
            if (p < e && *p == ',') {
                p = j_ws(p + 1, e);
                continue;
            }
            if (p < e && *p == '}')
                return p + 1;
            return NULL;
        }
    case '[':
        *kind = J_ARRAY;
        p = j_ws(p + 1, e);
        if (p < e && *p == ']')
            return p + 1;
        for (;;) {
            p = j_skip_value(p, e, depth + 1, NULL);
            if (p == NULL)
                return NULL;
            p = j_ws(p, e);
            if (p < e && *p == ',') {
                p = j_ws(p + 1, e);
                continue;
            }
            if (p < e && *p == ']')
                return p + 1;
            return NULL;
        }
    case '"':
        *kind = J_STRING;
        return j_skip_string(p, e, NULL);
    case 't':
        *kind = J_TRUE;
        return lit_at(p, e, "true", 4) ? p + 4 : NULL;
    case 'f':
        *kind = J_FALSE;
        return lit_at(p, e, "false", 5) ? p + 5 : NULL;
    case 'n':
        *kind = J_NULL;
        return lit_at(p, e, "null", 4) ? p + 4 : NULL;
    default: {
        bool fl;
        const char *q = j_skip_number(p, e, &fl);
        *kind = fl ? J_FLOAT : J_INT;
        return q;
    }
    }
}

/* Unescapes the JSON string at [p, q) (quotes included) into o (room for q-p
 * bytes); returns the length.  \uXXXX pairs become one code point; a lone
 * surrogate is kept as its 3-byte form. */
static size_t j_unescape(const char *p, const char *q, char *o)
{
    size_t w = 0;
    p++;
    q--;
    while (p < q) {
        if (*p != '\\') {
            o[w++] = *p++;
            continue;
        }
        char x = p[1];
        p += 2;
        switch (x) {
        case 'b': o[w++] = '\b'; break;
        case 'f': o[w++] = '\f'; break;
        case 'n': o[w++] = '\n'; break;
        case 'r': o[w++] = '\r'; break;
        case 't': o[w++] = '\t'; break;
        case 'u': {
            uint32_t cp = (uint32_t)(hexval(p[0]) << 12 | hexval(p[1]) << 8 |
                                     hexval(p[2]) << 4 | hexval(p[3]));
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && q - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                uint32_t lo = (uint32_t)(hexval(p[2]) << 12 | hexval(p[3]) << 8 |
                                         hexval(p[4]) << 4 | hexval(p[5]));
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            w += (size_t)utf8_encode(cp, o + w);
            break;
        }
        default: o[w++] = x; break;
        }
    }
    return w;
}

/* ---- paths ----------------------------------------------------------------------- */

struct jstep {
    bool is_index;
    int64_t index;          /* may be negative: from the end */
    struct str name;        /* member name, unescaped */
};

struct jpath {
    bool lax;
    int n_steps;
    struct jstep *steps;
};

enum { JP_OK = 0, JP_BAD = -1, JP_UNSUPPORTED = -2 };

/* Parses "[lax|strict] $..." into arena a.  Returns JP_OK, JP_BAD (not a path)
 * or JP_UNSUPPORTED (valid Jayway, but indefinite). */
static int jpath_parse(struct arena *a, struct str s, struct jpath *jp)
{
    const char *p = s.ptr, *e = s.ptr + s.len;
    memset(jp, 0, sizeof(*jp));
    /* Flink's mode regex: ^\s*(strict|lax)\s+(.+)$, case-insensitive */
    const char *q = p;
    while (q < e && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
        q++;
    if (e - q > 4 && strncasecmp(q, "lax", 3) == 0 && (q[3] == ' ' || q[3] == '\t')) {
        jp->lax = true;
        p = q + 3;
    } else if (e - q > 7 && strncasecmp(q, "strict", 6) == 0 && (q[6] == ' ' || q[6] == '\t')) {
        p = q + 6;
    }
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (p >= e || *p != '$')
        return JP_BAD;
    p++;
    jp->steps = arena_alloc(a, sizeof(struct jstep) * (s.len + 1));
    while (p < e) {
        struct jstep *st = &jp->steps[jp->n_steps];
        memset(st, 0, sizeof(*st));
        if (*p == '.') {
            p++;
            if (p < e && *p == '.')
                return JP_UNSUPPORTED;   /* deep scan */
            if (p < e && *p == '[')
                continue;                /* $.['a'] */
            const char *b = p;
            while (p < e && *p != '.' && *p != '[' && *p != ' ')
                p++;
            if (p == b)
                return JP_BAD;
            if (p - b == 1 && *b == '*')
                return JP_UNSUPPORTED;
            if (memchr(b, '(', (size_t)(p - b)))
                return JP_UNSUPPORTED;   /* functions: length() ... */
            st->name = (struct str){b, (uint32_t)(p - b)};
            jp->n_steps++;
            continue;
        }
        if (*p != '[')
            return JP_BAD;
        p++;
        while (p < e && *p == ' ')
            p++;
        if (p < e && (*p == '\'' || *p == '"')) {
            char quote = *p++;
            char *name = arena_alloc(a, (size_t)(e - p) + 1);
            size_t n = 0;
            while (p < e && *p != quote) {
                if (*p == '\\' && p + 1 < e)
                    p++;
                name[n++] = *p++;
            }
            if (p >= e)
                return JP_BAD;
            p++;
            while (p < e && *p == ' ')
                p++;
            if (p < e && *p == ',')
                return JP_UNSUPPORTED;
            if (p >= e || *p != ']')
                return JP_BAD;
            p++;
            st->name = (struct str){name, (uint32_t)n};
            jp->n_steps++;
            continue;
        }
        if (p < e && (*p == '*' || *p == '?' || *p == ':'))
            return JP_UNSUPPORTED;
        bool neg = false;
        if (p < e && *p == '-') {
            neg = true;
            p++;
        }
        if (p >= e || !is_digit(*p))
            return JP_BAD;
        int64_t v = 0;
        while (p < e && is_digit(*p)) {
            if (v > INT32_MAX)
                return JP_BAD;
            v = v * 10 + (*p++ - '0');
        }
        while (p < e && *p == ' ')
            p++;
        if (p < e && (*p == ',' || *p == ':'))
            return JP_UNSUPPORTED;
        if (p >= e || *p != ']')
            return JP_BAD;
        p++;
        st->is_index = true;
        st->index = neg ? -v : v;
        jp->n_steps++;
    }
    return JP_OK;
}

/* Result of evaluating a path over a document. */
enum jres { JR_FOUND, JR_EMPTY, JR_ERROR };

struct jval {
    const char *p, *e;      /* the value's text */
    enum jkind kind;
};

static bool key_equals(const char *kp, const char *kq, bool esc, struct str name, char *tmp)
{
    if (!esc) {
        size_t n = (size_t)(kq - kp) - 2;
        return n == name.len && memcmp(kp + 1, name.ptr, n) == 0;
    }
    size_t n = j_unescape(kp, kq, tmp);
    return n == name.len && memcmp(tmp, name.ptr, n) == 0;
}

/* Validates the object at p ('{') and finds its last member named `name`
 * (Jackson builds a map: the last duplicate wins).  Returns the end of the
 * object, or NULL when the text is not JSON; *v gets the member (v->p NULL
 * when absent). */
static const char *j_find_member(const char *p, const char *e, struct str name, char **tmp,
                                 struct arena *a, size_t tmp_cap, struct jval *v)
{
    v->p = NULL;
    const char *q = j_ws(p + 1, e);
    if (q < e && *q == '}')
        return q + 1;
    for (;;) {
        if (q >= e || *q != '"')
            return NULL;
        bool esc;
        const char *kq = j_skip_string(q, e, &esc);
        if (kq == NULL)
            return NULL;
        if (esc && *tmp == NULL)
            *tmp = arena_alloc(a, tmp_cap);
        bool eq = key_equals(q, kq, esc, name, *tmp);
        q = j_ws(kq, e);
        if (q >= e || *q != ':')
            return NULL;
        q = j_ws(q + 1, e);
        enum jkind k;
        const char *ve = j_skip_value(q, e, 1, &k);
        if (ve == NULL)
            return NULL;
        if (eq) {
            v->p = q;
            v->e = ve;
            v->kind = k;
        }
        q = j_ws(ve, e);
        if (q < e && *q == ',') {
            q = j_ws(q + 1, e);
            continue;
        }
        return q < e && *q == '}' ? q + 1 : NULL;
    }
}

/* Validates the array at p ('[') and finds element `want` (>= 0).  Returns the
 * end of the array or NULL; *count gets the number of elements. */
static const char *j_find_element(const char *p, const char *e, int64_t want, int64_t *count,
                                  struct jval *v)
{
    v->p = NULL;
    int64_t k = 0;
    const char *q = j_ws(p + 1, e);
    if (q < e && *q == ']') {
        *count = 0;
        return q + 1;
    }
    for (;;) {
        enum jkind kk;
        const char *ve = j_skip_value(q, e, 1, &kk);
        if (ve == NULL)
            return NULL;
        if (k == want) {
            v->p = q;
            v->e = ve;
            v->kind = kk;
        }
        k++;
        q = j_ws(ve, e);
        if (q < e && *q == ',') {
            q = j_ws(q + 1, e);
            continue;
        }
        *count = k;
        return q < e && *q == ']' ? q + 1 : NULL;
    }
}

/*
 * Follows jp over doc in one validating pass per step: the first step walks
 * (and so validates) the whole root value.  FOUND: *v is the value (maybe a
 * JSON null, which callers treat as empty).  Missing members, type mismatches
 * and unparseable text are EMPTY in lax mode and ERROR in strict mode.
 */
static enum jres jpath_eval(const struct jpath *jp, struct str doc, struct arena *scratch,
                            struct jval *v)
{
    enum jres miss = jp->lax ? JR_EMPTY : JR_ERROR;
    const char *e = doc.ptr + doc.len;
    const char *p = j_ws(doc.ptr, e);
    if (p >= e)
        return miss;
    if (jp->n_steps == 0 || (*p != '{' && *p != '[')) {
        enum jkind kind;
        const char *end = j_skip_value(p, e, 0, &kind);
        if (end == NULL)
            return miss;
        /* A root-level number must be followed by a separator, not a letter
         * (Jackson: "expected space separating root-level values"). */
        if ((kind == J_INT || kind == J_FLOAT) && end < e &&
            (is_digit(*end) || (*end >= 'a' && *end <= 'z') || (*end >= 'A' && *end <= 'Z')))
            return miss;
        if (jp->n_steps > 0)
            return miss;   /* a step into a scalar */
        v->p = p;
        v->e = end;
        v->kind = kind;
        return JR_FOUND;
    }
    char *tmp = NULL;
    struct jval cur = {p, e, *p == '{' ? J_OBJECT : J_ARRAY};
    for (int s = 0; s < jp->n_steps; s++) {
        const struct jstep *st = &jp->steps[s];
        struct jval found;
        if (cur.kind != J_OBJECT && cur.kind != J_ARRAY) {
            return miss;
        } else if (!st->is_index) {
            if (cur.kind != J_OBJECT)
                return miss;
            if (j_find_member(cur.p, e, st->name, &tmp, scratch, doc.len + 1, &found) == NULL)
                return miss;
        } else {
            if (cur.kind != J_ARRAY)
                return miss;
            int64_t cnt;
            if (j_find_element(cur.p, e, st->index, &cnt, &found) == NULL)
                return miss;
            if (st->index < 0 && st->index + cnt >= 0)
                j_find_element(cur.p, e, st->index + cnt, &cnt, &found);
        }
        if (found.p == NULL)
            return miss;
        cur = found;
    }
    *v = cur;
    return JR_FOUND;
}

/* ---- number and string rendering ----------------------------------------------------- */

/* BigDecimal(text).toString() for a JSON number with a fraction or exponent. */
static size_t bigdec_to_string(const char *p, const char *e, char *o)
{
    bool neg = *p == '-';
    if (neg)
        p++;
    char dig[512];
    size_t nd = 0;
    int64_t frac = 0, exp10 = 0;
    bool in_frac = false;
    for (; p < e; p++) {
        if (*p == '.') {
            in_frac = true;
        } else if (*p == 'e' || *p == 'E') {
            exp10 = strtoll(p + 1, NULL, 10);
            break;
        } else {
            if (in_frac)
                frac++;
            if (nd < sizeof(dig))
                dig[nd++] = *p;
        }
    }
    size_t lead = 0;
    while (lead + 1 < nd && dig[lead] == '0')
        lead++;
    const char *c = dig + lead;
    size_t cl = nd - lead;
    int64_t scale = frac - exp10;
    bool zero = cl == 1 && c[0] == '0';
    size_t w = 0;
    if (neg && !zero)
        o[w++] = '-';
    int64_t adjusted = -scale + (int64_t)(cl - 1);
    if (scale == 0) {
        memcpy(o + w, c, cl);
        return w + cl;
    }
    if (scale > 0 && adjusted >= -6) {
        if ((int64_t)cl > scale) {
            size_t ip = cl - (size_t)scale;
            memcpy(o + w, c, ip);
            w += ip;
            o[w++] = '.';
            memcpy(o + w, c + ip, (size_t)scale);
            return w + (size_t)scale;
        }
        o[w++] = '0';
        o[w++] = '.';
        for (int64_t z = 0; z < scale - (int64_t)cl; z++)
            o[w++] = '0';
        memcpy(o + w, c, cl);
        return w + cl;
    }
    o[w++] = c[0];
    if (cl > 1) {
        o[w++] = '.';
        memcpy(o + w, c + 1, cl - 1);
        w += cl - 1;
    }
    if (adjusted != 0) {
        w += (size_t)sprintf(o + w, "E%s%lld", adjusted > 0 ? "+" : "", (long long)adjusted);
    }
    return w;
}

/* Scalar → its String.valueOf text (JSON_VALUE's STRING result).  Returns a
 * slice of the document when no rewriting is needed. */
static struct str scalar_text(const struct jval *v, struct arena *a)
{
    size_t n = (size_t)(v->e - v->p);
    switch (v->kind) {
    case J_STRING: {
        const char *bs = memchr(v->p + 1, '\\', n - 2);
        if (bs == NULL)
            return (struct str){v->p + 1, (uint32_t)(n - 2)};
        char *o = arena_alloc(a, n);
        return (struct str){o, (uint32_t)j_unescape(v->p, v->e, o)};
    }
    case J_INT:
        if (n == 2 && v->p[0] == '-' && v->p[1] == '0')
            return STR_LIT("0");
        return (struct str){v->p, (uint32_t)n};
    case J_FLOAT: {
        char *o = arena_alloc(a, n + 48 > 600 ? n + 48 : 600);
        return (struct str){o, (uint32_t)bigdec_to_string(v->p, v->e, o)};
    }
    default:
        return (struct str){v->p, (uint32_t)n};   /* true / false */
    }
}

/* Jackson's string escaping: ", \ and control characters; the rest raw. */
static void json_escape(struct strbuf *sb, const char *s, size_t n)
{
    sb_addc(sb, '"');
    size_t run = 0;
    for (size_t j = 0; j < n; j++) {
        unsigned char c = (unsigned char)s[j];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sb_add(sb, s + run, j - run);
        run = j + 1;
        switch (c) {
        case '"': sb_add(sb, "\\\"", 2); break;
        case '\\': sb_add(sb, "\\\\", 2); break;
        case '\b': sb_add(sb, "\\b", 2); break;
        case '\f': sb_add(sb, "\\f", 2); break;
        case '\n': sb_add(sb, "\\n", 2); break;
        case '\r': sb_add(sb, "\\r", 2); break;
        case '\t': sb_add(sb, "\\t", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', fn_hex_upper[c >> 4], fn_hex_upper[c & 15]};
            sb_add(sb, u, 6);
        }
        }
    }
    sb_add(sb, s + run, n - run);
    sb_addc(sb, '"');
}

struct jmember {
    struct str key;         /* unescaped */
    const char *v, *ve;
    enum jkind kind;
    int order;
};

static int member_cmp(const void *a, const void *b)
{
    const struct jmember *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(x->key.ptr, y->key.ptr, n);
    if (c != 0)
        return c;
    if (x->key.len != y->key.len)
        return x->key.len < y->key.len ? -1 : 1;
    return x->order - y->order;
}

/* Re-serialises a validated value like Jackson (compact, keys sorted). */
static void json_write(struct strbuf *sb, const char *p, const char *end, enum jkind kind,
                       struct arena *a)
{
    const char *e = end;
    switch (kind) {
    case J_OBJECT: {
        int cap = 8, n = 0;
        struct jmember *m = arena_alloc(a, sizeof(*m) * (size_t)cap);
        const char *q = j_ws(p + 1, e);
        while (q < end && *q == '"') {
            const char *kq = j_skip_string(q, e, NULL);
            char *kb = arena_alloc(a, (size_t)(kq - q));
            size_t kl = j_unescape(q, kq, kb);
            q = j_ws(j_ws(kq, e) + 1, e);
            enum jkind k;
            const char *ve = j_skip_value(q, e, 1, &k);
            if (n == cap) {
                struct jmember *g = arena_alloc(a, sizeof(*m) * (size_t)cap * 2);
                memcpy(g, m, sizeof(*m) * (size_t)cap);
                m = g;
                cap *= 2;
            }
            m[n++] = (struct jmember){{kb, (uint32_t)kl}, q, ve, k, n};
            q = j_ws(ve, e);
            if (*q == ',')
                q = j_ws(q + 1, e);
            else
                break;
        }
        qsort(m, (size_t)n, sizeof(*m), member_cmp);
        sb_addc(sb, '{');
        bool first = true;
        for (int k = 0; k < n; k++) {
            /* duplicate keys: the last one wins (sorted by order within a key) */
            if (k + 1 < n && m[k + 1].key.len == m[k].key.len &&
                memcmp(m[k + 1].key.ptr, m[k].key.ptr, m[k].key.len) == 0)
                continue;
            if (!first)
                sb_addc(sb, ',');
            first = false;
            json_escape(sb, m[k].key.ptr, m[k].key.len);
            sb_addc(sb, ':');
            json_write(sb, m[k].v, m[k].ve, m[k].kind, a);
        }
        sb_addc(sb, '}');
        return;
    }
    case J_ARRAY: {
        sb_addc(sb, '[');
        const char *q = j_ws(p + 1, e);
        bool first = true;
        while (q < end && *q != ']') {
            enum jkind k;
            const char *ve = j_skip_value(q, e, 1, &k);
            if (!first)
                sb_addc(sb, ',');
            first = false;
            json_write(sb, q, ve, k, a);
            q = j_ws(ve, e);
            if (*q == ',')
                q = j_ws(q + 1, e);
        }
        sb_addc(sb, ']');
        return;
    }
    case J_STRING: {
        struct jval v = {p, end, kind};
        struct str s = scalar_text(&v, a);
        json_escape(sb, s.ptr, s.len);
        return;
    }
    default: {
        struct jval v = {p, end, kind};
        struct str s = scalar_text(&v, a);
        sb_add(sb, s.ptr, s.len);
        return;
    }
    }
}

/* ---- path binding shared by the three functions ------------------------------------ */

struct json_state {
    bool path_const;
    int path_rc;            /* JP_* of the literal path */
    struct jpath path;
    /* JSON_VALUE */
    int ret_id;             /* enum type_id of RETURNING */
    int on_empty, on_error; /* JV_* */
    /* JSON_QUERY */
    int wrapper;            /* JQ_WRAP_* */
    /* JSON_EXISTS */
    int exists_on_error;    /* JE_* */
    /* IS JSON */
    int json_kind;          /* IJ_* */
};

static int bind_path(struct func_bind *fb, struct weir_error *err, struct json_state *st)
{
    struct str p;
    if (!fn_arg_str_literal(fb, 1, &p))
        return WEIR_OK;
    st->path_const = true;
    st->path_rc = jpath_parse(fb->arena, p, &st->path);
    if (st->path_rc == JP_BAD)
        return fn_bind_fail(fb, err, "invalid JSON path '%.*s'", (int)p.len, p.ptr);
    if (st->path_rc == JP_UNSUPPORTED)
        return err_set_at(err, WEIR_ERR_UNSUPPORTED, fb->loc,
                          "%s: JSON path '%.*s' is not supported yet (only $, .name, "
                          "['name'] and [n] steps)", fb->def->name, (int)p.len, p.ptr);
    return WEIR_OK;
}

/* Evaluates the row's path; a bad per-row path is an error (ON ERROR). */
static enum jres row_eval(const struct json_state *st, const struct vec *args, int i,
                          struct arena *a, struct jval *v, bool *lax)
{
    struct jpath rowp;
    const struct jpath *jp = &st->path;
    if (!st->path_const) {
        if (jpath_parse(a, args[1].s[i], &rowp) != JP_OK) {
            *lax = false;
            return JR_ERROR;
        }
        jp = &rowp;
    }
    *lax = jp->lax;
    return jpath_eval(jp, args[0].s[i], a, v);
}

/* ---- JSON_VALUE ---------------------------------------------------------------------- */

enum { JV_NULL, JV_ERROR, JV_DEFAULT };
static const char *const jv_modes[] = {"NULL", "ERROR", "DEFAULT", NULL};

static int bind_json_value(struct func_bind *fb, struct weir_error *err)
{
    static const char *exp =
        "(STRING, STRING[, RETURNING type[, 'NULL'|'ERROR'|'DEFAULT', default, "
        "'NULL'|'ERROR'|'DEFAULT', default]])";
    if (fb->n_args != 2 && fb->n_args != 3 && fb->n_args != 7)
        return fn_bind_mismatch(fb, err, exp);
    if (!type_is_string(fb->arg_types[0]) && fb->arg_types[0]->id != T_NULL)
        return fn_bind_mismatch(fb, err, exp);
    if (!type_is_string(fb->arg_types[1]) && fb->arg_types[1]->id != T_NULL)
        return fn_bind_mismatch(fb, err, exp);
    for (int k = 0; k < 2; k++)
        if (fb->arg_types[k]->id == T_NULL)
            fb->cast_to[k] = &type_string;
    struct json_state *st = arena_calloc(fb->arena, sizeof(*st));
    int rc = bind_path(fb, err, st);
    if (rc)
        return rc;
    const struct sql_type *ret = &type_string;
    if (fb->n_args >= 3) {
        if (!fn_arg_null_literal(fb, 2))
            return fn_bind_fail(fb, err, "argument 3 must be the RETURNING type as a typed "
                                         "NULL literal");
        const struct sql_type *t = fb->arg_types[2];
        if (t->id != T_NULL)
            ret = t;
        fb->cast_to[2] = NULL;
    }
    switch (ret->id) {
    case T_CHAR:
    case T_VARCHAR:
        ret = &type_string;
        break;
    case T_BOOLEAN:
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT:
    case T_FLOAT:
    case T_DOUBLE:
        break;
    default:
        return err_set_at(err, WEIR_ERR_UNSUPPORTED, fb->loc,
                          "JSON_VALUE: RETURNING %s is not supported yet "
                          "(STRING, BOOLEAN, integers, FLOAT, DOUBLE)",
                          fn_type_name(fb, ret));
    }
    st->ret_id = ret->id;
    if (fb->n_args == 7) {
        if ((rc = fn_arg_symbol(fb, err, 3, jv_modes, &st->on_empty)) ||
            (rc = fn_arg_symbol(fb, err, 5, jv_modes, &st->on_error)))
            return rc;
        for (int k = 4; k <= 6; k += 2) {
            const struct sql_type *dt = fb->arg_types[k];
            if (dt->id != T_NULL && !type_equal(dt, ret))
                fb->cast_to[k] = type_with_nullable(fb->arena, ret, dt->nullable);
            else if (dt->id == T_NULL)
                fb->cast_to[k] = ret;
        }
    }
    fb->state = st;
    fb->result = type_with_nullable(fb->arena, ret, true);
    return WEIR_OK;
}

/* Converts a found scalar to the RETURNING lane of out row i; false if it
 * cannot be (treated as an error). */
static bool jv_convert(const struct json_state *st, const struct jval *v, struct vec *out,
                       int i)
{
    struct str s = scalar_text(v, out->arena);
    switch (st->ret_id) {
    case T_BOOLEAN:
        if (v->kind == J_TRUE || v->kind == J_FALSE) {
            out->b[i] = v->kind == J_TRUE;
            return true;
        }
        if (v->kind == J_STRING) {
            bool b;
            if (numfmt_parse_bool(s.ptr, s.len, &b)) {
                out->b[i] = b;
                return true;
            }
        }
        return false;
    case T_FLOAT:
    case T_DOUBLE: {
        if (v->kind != J_INT && v->kind != J_FLOAT && v->kind != J_STRING)
            return false;
        double d;
        if (!numfmt_parse_double(s.ptr, s.len, &d))
            return false;
        out->f64[i] = st->ret_id == T_FLOAT ? (double)(float)d : d;
        return true;
    }
    case T_VARCHAR:
        fn_set_str(out, i, s.ptr, s.len);
        return true;
    default: {
        int bits = st->ret_id == T_TINYINT ? 8 : st->ret_id == T_SMALLINT ? 16
                   : st->ret_id == T_INT   ? 32 : 64;
        int64_t lim = bits == 64 ? INT64_MAX : (int64_t)((1ULL << (bits - 1)) - 1);
        int64_t x;
        if (v->kind != J_INT && v->kind != J_STRING)
            return false;
        if (!numfmt_parse_int_strict(s.ptr, s.len, -lim - 1, lim, &x))
            return false;
        out->i64[i] = x;
        return true;
    }
    }
}

/* Copies row i of a default-value vector into out (same type), or NULL. */
static void jv_default(const struct json_state *st, const struct vec *d, struct vec *out,
                       int i)
{
    if (vec_is_null(d, i) || d->type->id == T_NULL) {
        fn_set_null(out, i);
        return;
    }
    switch (st->ret_id) {
    case T_BOOLEAN: out->b[i] = d->b[i]; break;
    case T_FLOAT:
    case T_DOUBLE: out->f64[i] = d->f64[i]; break;
    case T_VARCHAR: out->s[i] = d->s[i]; break;
    default: out->i64[i] = d->i64[i]; break;
    }
    fn_set_valid(out, i);
}

static int eval_json_value(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct json_state *st = call->state;
    bool full = call->n_args == 7;
    FN_FOREACH(i) {
        if (vec_is_null(&args[0], i) || vec_is_null(&args[1], i)) {
            fn_set_null(out, i);
            continue;
        }
        struct jval v;
        bool lax;
        enum jres r = row_eval(st, args, i, out->arena, &v, &lax);
        if (r == JR_FOUND && v.kind == J_NULL)
            r = JR_EMPTY;
        if (r == JR_FOUND && (v.kind == J_OBJECT || v.kind == J_ARRAY))
            r = lax ? JR_EMPTY : JR_ERROR;
        if (r == JR_FOUND) {
            if (jv_convert(st, &v, out, i)) {
                fn_set_valid(out, i);
                continue;
            }
            r = JR_ERROR;
        }
        int mode = !full ? JV_NULL : r == JR_EMPTY ? st->on_empty : st->on_error;
        if (mode == JV_ERROR)
            return err_set(err, WEIR_ERR_RUNTIME, "%s",
                           r == JR_EMPTY ? "Empty result of JSON_VALUE function is not allowed"
                                         : "JSON_VALUE: invalid JSON or path not found");
        if (mode == JV_DEFAULT)
            jv_default(st, &args[r == JR_EMPTY ? 4 : 6], out, i);
        else
            fn_set_null(out, i);
    }
    return WEIR_OK;
}

/* ---- JSON_QUERY ------------------------------------------------------------------------ */

enum { JQ_WITHOUT, JQ_CONDITIONAL, JQ_UNCONDITIONAL };
static const char *const jq_wrappers[] = {"WITHOUT_ARRAY", "WITH_CONDITIONAL_ARRAY",
                                          "WITH_UNCONDITIONAL_ARRAY", NULL};
enum { JQ_NULL, JQ_ERROR, JQ_EMPTY_ARRAY, JQ_EMPTY_OBJECT };
static const char *const jq_modes[] = {"NULL", "ERROR", "EMPTY_ARRAY", "EMPTY_OBJECT", NULL};

static int bind_json_query(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SSSSS",
                           "(STRING, STRING[, wrapper[, on_empty[, on_error]]])");
    if (rc)
        return rc;
    struct json_state *st = arena_calloc(fb->arena, sizeof(*st));
    if ((rc = bind_path(fb, err, st)))
        return rc;
    if (fb->n_args > 2 && (rc = fn_arg_symbol(fb, err, 2, jq_wrappers, &st->wrapper)))
        return rc;
    if (fb->n_args > 3 && (rc = fn_arg_symbol(fb, err, 3, jq_modes, &st->on_empty)))
        return rc;
    if (fb->n_args > 4 && (rc = fn_arg_symbol(fb, err, 4, jq_modes, &st->on_error)))
        return rc;
    fb->state = st;
    fb->result = type_with_nullable(fb->arena, &type_string, true);
    return WEIR_OK;
}

static int eval_json_query(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct json_state *st = call->state;
    struct strbuf sb = {0};
    int rc = WEIR_OK;
    FN_FOREACH(i) {
        struct jval v;
        bool lax;
        enum jres r = row_eval(st, args, i, out->arena, &v, &lax);
        if (r == JR_FOUND && v.kind == J_NULL)
            r = JR_EMPTY;
        bool scalar = r == JR_FOUND && v.kind != J_OBJECT && v.kind != J_ARRAY;
        bool wrap = r == JR_FOUND && (st->wrapper == JQ_UNCONDITIONAL ||
                                      (st->wrapper == JQ_CONDITIONAL && v.kind != J_ARRAY));
        if (wrap)
            scalar = false;
        if (scalar)
            r = lax ? JR_EMPTY : JR_ERROR;
        if (r == JR_FOUND) {
            sb_clear(&sb);
            if (wrap)
                sb_addc(&sb, '[');
            json_write(&sb, v.p, v.e, v.kind, out->arena);
            if (wrap)
                sb_addc(&sb, ']');
            char *o = fn_out_alloc(out, sb.len);
            memcpy(o, sb.buf, sb.len);
            fn_set_str(out, i, o, sb.len);
            fn_set_valid(out, i);
            continue;
        }
        int mode = r == JR_EMPTY ? st->on_empty : st->on_error;
        switch (mode) {
        case JQ_ERROR:
            rc = err_set(err, WEIR_ERR_RUNTIME, "%s",
                         r == JR_EMPTY ? "Empty result of JSON_QUERY function is not allowed"
                                       : "JSON_QUERY: invalid JSON or path not found");
            goto done;
        case JQ_EMPTY_ARRAY: fn_set_str(out, i, "[]", 2); fn_set_valid(out, i); break;
        case JQ_EMPTY_OBJECT: fn_set_str(out, i, "{}", 2); fn_set_valid(out, i); break;
        default: fn_set_null(out, i); break;
        }
    }
done:
    sb_free(&sb);
    return rc;
}

/* ---- JSON_EXISTS ----------------------------------------------------------------------- */

enum { JE_TRUE, JE_FALSE, JE_UNKNOWN, JE_ERROR };
static const char *const je_modes[] = {"TRUE", "FALSE", "UNKNOWN", "ERROR", NULL};

static int bind_json_exists(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SSS", "(STRING, STRING[, 'TRUE'|'FALSE'|'UNKNOWN'|'ERROR'])");
    if (rc)
        return rc;
    struct json_state *st = arena_calloc(fb->arena, sizeof(*st));
    if ((rc = bind_path(fb, err, st)))
        return rc;
    st->exists_on_error = JE_FALSE;
    if (fb->n_args > 2 && (rc = fn_arg_symbol(fb, err, 2, je_modes, &st->exists_on_error)))
        return rc;
    fb->state = st;
    fb->result = fn_result(fb, &type_boolean, st->exists_on_error == JE_UNKNOWN);
    return WEIR_OK;
}

static int eval_json_exists(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct json_state *st = call->state;
    FN_FOREACH(i) {
        struct jval v;
        bool lax;
        enum jres r = row_eval(st, args, i, out->arena, &v, &lax);
        if (r != JR_ERROR) {
            out->b[i] = r == JR_FOUND && v.kind != J_NULL;
            continue;
        }
        switch (st->exists_on_error) {
        case JE_TRUE: out->b[i] = 1; break;
        case JE_FALSE: out->b[i] = 0; break;
        case JE_UNKNOWN: fn_set_null(out, i); break;
        default:
            return err_set(err, WEIR_ERR_RUNTIME, "JSON_EXISTS: invalid JSON or path not found");
        }
    }
    return WEIR_OK;
}

/* ---- IS JSON ------------------------------------------------------------------------------ */

enum { IJ_VALUE, IJ_SCALAR, IJ_ARRAY, IJ_OBJECT };
static const char *const ij_kinds[] = {"VALUE", "SCALAR", "ARRAY", "OBJECT", NULL};

static int bind_is_json(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SS", "(STRING[, 'VALUE'|'SCALAR'|'ARRAY'|'OBJECT'])");
    if (rc)
        return rc;
    struct json_state *st = arena_calloc(fb->arena, sizeof(*st));
    if (fb->n_args > 1 && (rc = fn_arg_symbol(fb, err, 1, ij_kinds, &st->json_kind)))
        return rc;
    fb->state = st;
    fb->result = type_with_nullable(fb->arena, &type_boolean, false);
    return WEIR_OK;
}

/* Not strict: NULL is not JSON (FALSE). */
static int eval_is_json(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct json_state *st = call->state;
    struct jpath root = {0};
    FN_FOREACH(i) {
        if (vec_is_null(&args[0], i)) {
            out->b[i] = 0;
            fn_set_valid(out, i);
            continue;
        }
        struct jval v;
        bool ok = jpath_eval(&root, args[0].s[i], out->arena, &v) == JR_FOUND;
        if (ok) {
            switch (st->json_kind) {
            case IJ_SCALAR: ok = v.kind != J_OBJECT && v.kind != J_ARRAY; break;
            case IJ_ARRAY: ok = v.kind == J_ARRAY; break;
            case IJ_OBJECT: ok = v.kind == J_OBJECT; break;
            default: break;
            }
        }
        out->b[i] = ok;
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

/* ---- table ------------------------------------------------------------------------------ */

const struct func_def fn_json_defs[] = {
    {"JSON_VALUE", 2, 7, FN_CONST_ARGS, bind_json_value, eval_json_value, NULL,
     "JSON_VALUE(STRING json, STRING path [RETURNING type] [ON EMPTY] [ON ERROR])"},
    {"JSON_QUERY", 2, 5, FN_STRICT | FN_CONST_ARGS, bind_json_query, eval_json_query, NULL,
     "JSON_QUERY(STRING json, STRING path [wrapper] [ON EMPTY] [ON ERROR])"},
    {"JSON_EXISTS", 2, 3, FN_STRICT | FN_CONST_ARGS, bind_json_exists, eval_json_exists, NULL,
     "JSON_EXISTS(STRING json, STRING path [ON ERROR])"},
    {"IS_JSON", 1, 2, FN_CONST_ARGS, bind_is_json, eval_is_json, NULL,
     "IS_JSON(STRING [, 'VALUE'|'SCALAR'|'ARRAY'|'OBJECT'])"},
};
const int fn_json_count = (int)(sizeof(fn_json_defs) / sizeof(fn_json_defs[0]));
