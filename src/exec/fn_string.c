/*
 * fn_string.c — string functions (SQL.md f.3): CONCAT, CONCAT_WS, CHAR_LENGTH,
 * UPPER/LOWER/INITCAP, SUBSTRING, POSITION/LOCATE/INSTR, TRIM family, REPLACE,
 * SPLIT_INDEX, LPAD/RPAD, REPEAT, REVERSE, LEFT/RIGHT, ASCII, CHR, base64 and
 * PARSE_URL.
 *
 * Semantics follow Flink's runtime (SqlFunctionUtils, BinaryStringDataUtil):
 * positions and lengths count characters.  Java counts UTF-16 units; weir counts
 * code points, which differs only for characters outside the BMP (emoji).
 * Results that are a piece of an argument (SUBSTRING, TRIM, SPLIT_INDEX, LEFT)
 * are returned as slices of the argument's bytes, without copying.
 */
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <wctype.h>

#include "exec/fn_int.h"

/* ---- shared ------------------------------------------------------------------ */

/* A copy of arg 0's string type as VARCHAR of the same length (Calcite's
 * "ARG0 varying"), used by the functions that return part of their input. */
static const struct sql_type *varchar_like_arg0(struct func_bind *fb)
{
    const struct sql_type *t = fb->arg_types[0];
    if (type_is_string(t))
        return type_varchar(fb->arena, t->length);
    return &type_string;
}

/* Case mapping beyond ASCII needs a UTF-8 ctype locale; the C locale's
 * towupper() only knows ASCII.  Created once, shared by all threads. */
static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;
static void utf8_locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* ---- CONCAT, CONCAT_WS --------------------------------------------------------- */

static int bind_concat(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "Y+", "(STRING, ...)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_string, false);
    return WEIR_OK;
}

static int eval_concat(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    int na = call->n_args;
    FN_FOREACH(i) {
        size_t len = 0;
        for (int a = 0; a < na; a++)
            len += args[a].s[i].len;
        char *o = fn_out_alloc(out, len), *w = o;
        for (int a = 0; a < na; a++) {
            memcpy(w, args[a].s[i].ptr, args[a].s[i].len);
            w += args[a].s[i].len;
        }
        fn_set_str(out, i, o, len);
    }
    return WEIR_OK;
}

static int bind_concat_ws(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SS+", "(STRING, STRING, ...)");
    if (rc)
        return rc;
    /* NULL only when the separator is NULL */
    fb->result = type_with_nullable(fb->arena, &type_string, fb->arg_types[0]->nullable);
    return WEIR_OK;
}

/* Not strict: NULL strings are skipped, a NULL separator gives NULL. */
static int eval_concat_ws(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    int na = call->n_args;
    FN_FOREACH(i) {
        if (vec_is_null(&args[0], i)) {
            fn_set_null(out, i);
            continue;
        }
        struct str sep = args[0].s[i];
        size_t len = 0;
        int parts = 0;
        for (int a = 1; a < na; a++)
            if (!vec_is_null(&args[a], i)) {
                len += args[a].s[i].len;
                parts++;
            }
        if (parts > 1)
            len += (size_t)(parts - 1) * sep.len;
        char *o = fn_out_alloc(out, len), *w = o;
        bool first = true;
        for (int a = 1; a < na; a++) {
            if (vec_is_null(&args[a], i))
                continue;
            if (!first) {
                memcpy(w, sep.ptr, sep.len);
                w += sep.len;
            }
            first = false;
            memcpy(w, args[a].s[i].ptr, args[a].s[i].len);
            w += args[a].s[i].len;
        }
        fn_set_str(out, i, o, len);
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

/* ---- CHAR_LENGTH ------------------------------------------------------------- */

static int bind_char_length(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "S", "(STRING)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_int, false);
    return WEIR_OK;
}

static int eval_char_length(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct str *s = args[0].s;
    int64_t *o = out->i64;
    FN_FOREACH(i) o[i] = (int64_t)utf8_count(s[i].ptr, s[i].len);
    return WEIR_OK;
}

/* ---- UPPER, LOWER, INITCAP --------------------------------------------------- */

static int bind_case(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "S", "(STRING)");
    if (rc)
        return rc;
    const struct sql_type *t = fb->arg_types[0];
    fb->result = fn_result(fb, t->id == T_NULL ? &type_string : t, false);
    pthread_once(&utf8_once, utf8_locale_init);
    return WEIR_OK;
}

static bool all_ascii(const char *p, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= (unsigned char)p[i];
    return (acc & 0x8080808080808080ULL) == 0;
}

static void case_map(struct vec *out, int i, struct str s, bool upper)
{
    if (all_ascii(s.ptr, s.len)) {
        /* branch-free so the loop vectorises: flip bit 5 of letters to map */
        unsigned char lo = upper ? 'a' : 'A';
        unsigned char *o = (unsigned char *)fn_out_alloc(out, s.len);
        const unsigned char *in = (const unsigned char *)s.ptr;
        for (size_t j = 0; j < s.len; j++) {
            unsigned char c = in[j];
            o[j] = c ^ (unsigned char)(((unsigned char)(c - lo) < 26) << 5);
        }
        fn_set_str(out, i, (const char *)o, s.len);
        return;
    }
    /* A mapped code point may need one more byte than the original (at most
     * 2 → 3), so 3/2 of the input is enough. */
    char *o = fn_out_alloc(out, s.len + s.len / 2 + 4);
    size_t w = 0;
    for (size_t j = 0; j < s.len;) {
        int adv;
        uint32_t cp = utf8_decode(s.ptr + j, s.len - j, &adv);
        if (adv == 1 && (unsigned char)s.ptr[j] >= 0x80) {
            o[w++] = s.ptr[j];   /* invalid byte: keep as is */
        } else {
            wint_t m = cp;
            if (utf8_locale != (locale_t)0)
                m = upper ? towupper_l((wint_t)cp, utf8_locale)
                          : towlower_l((wint_t)cp, utf8_locale);
            w += (size_t)utf8_encode((uint32_t)m, o + w);
        }
        j += (size_t)adv;
    }
    fn_set_str(out, i, o, w);
}

static int eval_upper(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) case_map(out, i, args[0].s[i], true);
    return WEIR_OK;
}

static int eval_lower(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) case_map(out, i, args[0].s[i], false);
    return WEIR_OK;
}

/* Calcite's initcap: words are runs of [A-Za-z0-9]; the first letter is upper
 * cased, the rest lower cased; everything else (incl. non-ASCII) separates. */
static int eval_initcap(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        char *o = fn_out_alloc(out, s.len);
        bool start = true;
        for (size_t j = 0; j < s.len; j++) {
            char c = s.ptr[j];
            bool digit = c >= '0' && c <= '9';
            bool up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z';
            if (start) {
                if (lo)
                    c -= 32;
                if (digit || up || lo)
                    start = false;
            } else {
                if (up)
                    c += 32;
                else if (!digit && !lo)
                    start = true;
            }
            o[j] = c;
        }
        fn_set_str(out, i, o, s.len);
    }
    return WEIR_OK;
}

/* ---- SUBSTRING --------------------------------------------------------------- */

static int bind_substring(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SII", "(STRING, INT[, INT])");
    if (rc)
        return rc;
    /* a negative length gives NULL */
    fb->result = fn_result(fb, varchar_like_arg0(fb), fb->n_args == 3);
    return WEIR_OK;
}

/* BinaryStringDataUtil.substringSQL: 1-based pos, negative counts from the end,
 * 0 behaves as 1; the length is clipped at the end of the string. */
static bool substring_sql(struct str s, int64_t pos, int64_t len, struct str *res)
{
    if (len < 0)
        return false;
    if (len > INT32_MAX || pos > INT32_MAX)
        return false;
    res->ptr = s.ptr;
    res->len = 0;
    if (s.len == 0)
        return true;
    size_t start_b;
    if (pos > 0) {
        start_b = utf8_skip(s.ptr, s.len, (size_t)(pos - 1));
        if (start_b >= s.len)
            return true;
    } else if (pos < 0) {
        int64_t nc = (int64_t)utf8_count(s.ptr, s.len);
        int64_t start = nc + pos;
        if (start < 0)
            return true;
        start_b = utf8_skip(s.ptr, s.len, (size_t)start);
    } else {
        start_b = 0;
    }
    size_t end_b = start_b + utf8_skip(s.ptr + start_b, s.len - start_b, (size_t)len);
    res->ptr = s.ptr + start_b;
    res->len = (uint32_t)(end_b - start_b);
    return true;
}

static int eval_substring(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    bool has_len = call->n_args == 3;
    FN_FOREACH(i) {
        struct str r;
        int64_t len = has_len ? args[2].i64[i] : INT32_MAX;
        if (!substring_sql(args[0].s[i], args[1].i64[i], len, &r)) {
            fn_set_null(out, i);
            continue;
        }
        out->s[i] = r;
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

/* ---- POSITION, LOCATE, INSTR --------------------------------------------------- */

/* BinaryStringData.indexOf(seek, from) in characters; -1 if absent.  An empty
 * seek string is found at 0 whatever `from` is (Flink's quirk). */
static int64_t index_of_chars(struct str s, struct str seek, int64_t from)
{
    if (seek.len == 0)
        return 0;
    size_t b = 0;
    int64_t c = 0;
    while (b < s.len && c < from) {
        b += (size_t)utf8_seq_len((unsigned char)s.ptr[b]);
        c++;
    }
    if (b > s.len)
        return -1;
    long at = fn_find(s.ptr, s.len, b, seek.ptr, seek.len);
    if (at < 0)
        return -1;
    return c + (int64_t)utf8_count(s.ptr + b, (size_t)at - b);
}

static int bind_position(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SSI", fb->def->max_args == 3 ?
                           "(STRING, STRING[, INT])" : "(STRING, STRING)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_int, false);
    return WEIR_OK;
}

/* POSITION(seek IN s) → POSITION(seek, s); LOCATE(seek, s [, from]) */
static int eval_position(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    bool has_from = call->n_args == 3;
    FN_FOREACH(i) {
        int64_t from = has_from ? args[2].i64[i] - 1 : 0;
        out->i64[i] = index_of_chars(args[1].s[i], args[0].s[i], from) + 1;
    }
    return WEIR_OK;
}

static int bind_instr(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SSII", "(STRING, STRING[, INT[, INT]])");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_int, false);
    return WEIR_OK;
}

static struct str reverse_chars(struct arena *a, struct str s)
{
    char *o = arena_alloc(a, s.len + 1);
    size_t j = 0;
    while (j < s.len) {
        int l = utf8_seq_len((unsigned char)s.ptr[j]);
        if (j + (size_t)l > s.len)
            l = (int)(s.len - j);
        memcpy(o + s.len - j - (size_t)l, s.ptr + j, (size_t)l);
        j += (size_t)l;
    }
    return (struct str){o, s.len};
}

/* SqlFunctionUtils.instr: the nth appearance at or after start (1-based);
 * a negative start searches backwards from the end. */
static int64_t instr(struct arena *a, struct str s, struct str sub, int64_t start,
                     int64_t nth)
{
    if (start == 0)
        return 0;
    if (start > 0) {
        int64_t idx = 0, from = start;
        for (int64_t k = 0; k < nth; k++) {
            idx = index_of_chars(s, sub, from - 1) + 1;
            if (idx == 0)
                return 0;
            from = idx + 1;
        }
        return idx;
    }
    int64_t pos = instr(a, reverse_chars(a, s), reverse_chars(a, sub), -start, nth);
    if (pos == 0)
        return 0;
    return (int64_t)utf8_count(s.ptr, s.len) + 2 - pos - (int64_t)utf8_count(sub.ptr, sub.len);
}

static int eval_instr(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    int na = call->n_args;
    FN_FOREACH(i) {
        int64_t start = na > 2 ? args[2].i64[i] : 1;
        int64_t nth = na > 3 ? args[3].i64[i] : 1;
        if (nth <= 0)
            return err_set(err, WEIR_ERR_RUNTIME,
                           "INSTR: nthAppearance must be positive, got %lld",
                           (long long)nth);
        out->i64[i] = instr(out->arena, args[0].s[i], args[1].s[i], start, nth);
    }
    return WEIR_OK;
}

/* ---- TRIM, LTRIM, RTRIM --------------------------------------------------------- */

enum { TRIM_BOTH, TRIM_LEADING, TRIM_TRAILING };

struct trim_state {
    int mode;
    int s_arg;                  /* index of the string argument */
    int chars_arg;              /* index of the characters argument, -1: ' ' */
    bool chars_const;           /* chars known at bind time: use set/cps */
    uint64_t set[2];            /* ASCII characters to strip */
    uint32_t *cps;              /* non-ASCII code points to strip */
    int n_cps;
};

static void trim_set_build(struct arena *a, struct trim_state *st, struct str chars)
{
    st->set[0] = st->set[1] = 0;
    st->n_cps = 0;
    st->cps = arena_alloc(a, sizeof(uint32_t) * (chars.len + 1));
    for (size_t j = 0; j < chars.len;) {
        int adv;
        uint32_t cp = utf8_decode(chars.ptr + j, chars.len - j, &adv);
        if (cp < 128)
            st->set[cp >> 6] |= 1ULL << (cp & 63);
        else
            st->cps[st->n_cps++] = cp;
        j += (size_t)adv;
    }
}

static bool trim_has(const struct trim_state *st, uint32_t cp)
{
    if (cp < 128)
        return (st->set[cp >> 6] >> (cp & 63)) & 1;
    for (int k = 0; k < st->n_cps; k++)
        if (st->cps[k] == cp)
            return true;
    return false;
}

static struct str trim_apply(const struct trim_state *st, struct str s)
{
    size_t b = 0, e = s.len;
    if (st->mode != TRIM_TRAILING) {
        while (b < e) {
            int adv;
            uint32_t cp = utf8_decode(s.ptr + b, e - b, &adv);
            if (!trim_has(st, cp))
                break;
            b += (size_t)adv;
        }
    }
    if (st->mode != TRIM_LEADING) {
        while (e > b) {
            size_t k = e - 1;
            while (k > b && ((unsigned char)s.ptr[k] & 0xC0) == 0x80)
                k--;
            int adv;
            uint32_t cp = utf8_decode(s.ptr + k, e - k, &adv);
            if ((size_t)adv != e - k)
                cp = (unsigned char)s.ptr[e - 1], k = e - 1;
            if (!trim_has(st, cp))
                break;
            e = k;
        }
    }
    return (struct str){s.ptr + b, (uint32_t)(e - b)};
}

static int bind_trim_common(struct func_bind *fb, struct weir_error *err, int mode,
                            int s_arg, int chars_arg)
{
    struct trim_state *st = arena_calloc(fb->arena, sizeof(*st));
    st->mode = mode;
    st->s_arg = s_arg;
    st->chars_arg = chars_arg;
    struct str chars = STR_LIT(" ");
    st->chars_const = chars_arg < 0 || fn_arg_str_literal(fb, chars_arg, &chars);
    if (st->chars_const)
        trim_set_build(fb->arena, st, chars);
    fb->state = st;
    /* CHAR(n) → VARCHAR(n) like Calcite */
    const struct sql_type *t = fb->arg_types[s_arg];
    fb->result = fn_result(fb, type_is_string(t) ? type_varchar(fb->arena, t->length)
                                                 : &type_string, false);
    (void)err;
    return WEIR_OK;
}

static const char *const trim_modes[] = {"BOTH", "LEADING", "TRAILING", NULL};

static int bind_trim(struct func_bind *fb, struct weir_error *err)
{
    if (fb->n_args == 1) {
        int rc = fn_check_args(fb, err, "S", "(STRING)");
        return rc ? rc : bind_trim_common(fb, err, TRIM_BOTH, 0, -1);
    }
    if (fb->n_args != 3)
        return fn_bind_mismatch(fb, err, "('BOTH'|'LEADING'|'TRAILING', STRING, STRING)");
    int rc = fn_check_args(fb, err, "SSS", "('BOTH'|'LEADING'|'TRAILING', STRING, STRING)");
    if (rc)
        return rc;
    int mode;
    if ((rc = fn_arg_symbol(fb, err, 0, trim_modes, &mode)))
        return rc;
    return bind_trim_common(fb, err, mode, 2, 1);
}

static int bind_ltrim(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SS", "(STRING[, STRING])");
    if (rc)
        return rc;
    bool left = fb->def->name[0] == 'L';
    return bind_trim_common(fb, err, left ? TRIM_LEADING : TRIM_TRAILING, 0,
                            fb->n_args == 2 ? 1 : -1);
}

static int eval_trim(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct trim_state *st = call->state;
    const struct vec *s = &args[st->s_arg];
    if (st->chars_const) {
        FN_FOREACH(i) out->s[i] = trim_apply(st, s->s[i]);
        return WEIR_OK;
    }
    struct trim_state row = *st;
    FN_FOREACH(i) {
        trim_set_build(out->arena, &row, args[st->chars_arg].s[i]);
        out->s[i] = trim_apply(&row, s->s[i]);
    }
    return WEIR_OK;
}

/* ---- REPLACE ------------------------------------------------------------------ */

static int bind_replace(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SSS", "(STRING, STRING, STRING)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_string, false);
    return WEIR_OK;
}

/* Java String.replace: all non-overlapping occurrences, left to right; an empty
 * target inserts the replacement around every character. */
static int eval_replace(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        struct str s = args[0].s[i], f = args[1].s[i], t = args[2].s[i];
        if (f.len == 0) {
            size_t nc = utf8_count(s.ptr, s.len);
            size_t len = s.len + (nc + 1) * t.len;
            char *o = fn_out_alloc(out, len), *w = o;
            memcpy(w, t.ptr, t.len);
            w += t.len;
            for (size_t j = 0; j < s.len;) {
                size_t l = (size_t)utf8_seq_len((unsigned char)s.ptr[j]);
                if (j + l > s.len)
                    l = s.len - j;
                memcpy(w, s.ptr + j, l);
                w += l;
                memcpy(w, t.ptr, t.len);
                w += t.len;
                j += l;
            }
            fn_set_str(out, i, o, (size_t)(w - o));
            continue;
        }
        long at = fn_find(s.ptr, s.len, 0, f.ptr, f.len);
        if (at < 0) {
            out->s[i] = s;
            continue;
        }
        /* count first so the result is one exact allocation */
        size_t cnt = 0;
        for (long p = at; p >= 0; p = fn_find(s.ptr, s.len, (size_t)p + f.len, f.ptr, f.len))
            cnt++;
        size_t len = s.len - cnt * f.len + cnt * t.len;
        char *o = fn_out_alloc(out, len), *w = o;
        size_t prev = 0;
        for (long p = at; p >= 0; p = fn_find(s.ptr, s.len, prev, f.ptr, f.len)) {
            memcpy(w, s.ptr + prev, (size_t)p - prev);
            w += (size_t)p - prev;
            memcpy(w, t.ptr, t.len);
            w += t.len;
            prev = (size_t)p + f.len;
        }
        memcpy(w, s.ptr + prev, s.len - prev);
        fn_set_str(out, i, o, len);
    }
    return WEIR_OK;
}

/* ---- SPLIT_INDEX --------------------------------------------------------------- */

struct split_state {
    bool delim_const;           /* delimiter known at bind time */
    bool delim_is_char;         /* SPLIT_INDEX(s, INT code, i) form */
    struct str delim;           /* when delim_const; may be empty (whitespace) */
    char cbuf[4];               /* encoded character delimiter */
    bool bad_delim;             /* character code outside 1..255: always NULL */
};

static int bind_split_index(struct func_bind *fb, struct weir_error *err)
{
    static const char *exp = "(STRING, STRING, INT)";
    if (fb->n_args != 3)
        return fn_bind_mismatch(fb, err, exp);
    bool char_form = type_is_integer(fb->arg_types[1]);
    int rc = fn_check_args(fb, err, char_form ? "SII" : "SSI", exp);
    if (rc)
        return rc;
    struct split_state *st = arena_calloc(fb->arena, sizeof(*st));
    st->delim_is_char = char_form;
    if (char_form) {
        int64_t c;
        if (fn_arg_int_literal(fb, 1, &c)) {
            st->delim_const = true;
            if (c < 1 || c > 255)
                st->bad_delim = true;
            else
                st->delim = (struct str){st->cbuf,
                                         (uint32_t)utf8_encode((uint32_t)c, st->cbuf)};
        }
    } else {
        st->delim_const = fn_arg_str_literal(fb, 1, &st->delim);
    }
    fb->state = st;
    fb->result = fn_result(fb, &type_string, true);
    return WEIR_OK;
}

static bool is_java_space(unsigned char c)
{
    return c == ' ' || (c >= 9 && c <= 13) || (c >= 28 && c <= 31);
}

/*
 * StringUtils.splitByWholeSeparatorPreserveAllTokens(s, d)[idx]: adjacent,
 * leading and trailing separators give empty pieces; an empty s has no pieces;
 * an empty separator splits at each whitespace character.
 */
static bool split_piece(struct str s, struct str d, int64_t idx, struct str *res)
{
    if (idx < 0 || s.len == 0)
        return false;
    size_t beg = 0;
    int64_t k = 0;
    for (;;) {
        long end;
        size_t dlen = d.len;
        if (d.len == 0) {
            end = -1;
            for (size_t j = beg; j < s.len; j++)
                if (is_java_space((unsigned char)s.ptr[j])) {
                    end = (long)j;
                    break;
                }
            dlen = 1;
        } else if (d.len == 1) {
            const char *p = memchr(s.ptr + beg, d.ptr[0], s.len - beg);
            end = p ? (long)(p - s.ptr) : -1;
        } else {
            end = fn_find(s.ptr, s.len, beg, d.ptr, d.len);
        }
        if (end < 0) {
            if (k != idx)
                return false;
            *res = (struct str){s.ptr + beg, (uint32_t)(s.len - beg)};
            return true;
        }
        if (k == idx) {
            *res = (struct str){s.ptr + beg, (uint32_t)((size_t)end - beg)};
            return true;
        }
        k++;
        beg = (size_t)end + dlen;
        if (beg >= s.len) {
            /* a trailing separator leaves one empty piece */
            if (k != idx)
                return false;
            *res = (struct str){s.ptr + s.len, 0};
            return true;
        }
    }
}

static int eval_split_index(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct split_state *st = call->state;
    if (st->bad_delim) {
        FN_FOREACH(i) fn_set_null(out, i);
        return WEIR_OK;
    }
    FN_FOREACH(i) {
        struct str d = st->delim, r;
        char cbuf[4];
        if (!st->delim_const) {
            if (st->delim_is_char) {
                int64_t c = args[1].i64[i];
                if (c < 1 || c > 255) {
                    fn_set_null(out, i);
                    continue;
                }
                d = (struct str){cbuf, (uint32_t)utf8_encode((uint32_t)c, cbuf)};
            } else {
                d = args[1].s[i];
            }
        }
        if (split_piece(args[0].s[i], d, args[2].i64[i], &r)) {
            out->s[i] = r;
            fn_set_valid(out, i);
        } else {
            fn_set_null(out, i);
        }
    }
    return WEIR_OK;
}

/* ---- LPAD, RPAD, REPEAT, REVERSE, LEFT, RIGHT ----------------------------------------- */

static int bind_pad(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SIS", "(STRING, INT, STRING)");
    if (rc)
        return rc;
    /* a negative length or an empty pad gives NULL */
    fb->result = fn_result(fb, &type_string, true);
    return WEIR_OK;
}

/* Appends `chars` characters of the pad cycle to w. */
static char *pad_fill(char *w, struct str pad, size_t chars)
{
    size_t j = 0;
    while (chars > 0) {
        if (j >= pad.len)
            j = 0;
        size_t l = (size_t)utf8_seq_len((unsigned char)pad.ptr[j]);
        if (j + l > pad.len)
            l = pad.len - j;
        memcpy(w, pad.ptr + j, l);
        w += l;
        j += l;
        chars--;
    }
    return w;
}

static int eval_pad(const struct func_call *call, const struct vec *args,
                    const uint16_t *sel, int n, struct vec *out, bool left)
{
    (void)call;
    FN_FOREACH(i) {
        struct str s = args[0].s[i], pad = args[2].s[i];
        int64_t len = args[1].i64[i];
        if (len < 0 || pad.len == 0) {
            fn_set_null(out, i);
            continue;
        }
        fn_set_valid(out, i);
        size_t sc = utf8_count(s.ptr, s.len);
        if ((size_t)len <= sc) {
            /* cut to len characters (LPAD keeps the head too) */
            out->s[i] = (struct str){s.ptr, (uint32_t)utf8_skip(s.ptr, s.len, (size_t)len)};
            continue;
        }
        size_t need = (size_t)len - sc;
        char *o = fn_out_alloc(out, s.len + need * 4), *w = o;
        if (left) {
            w = pad_fill(w, pad, need);
            memcpy(w, s.ptr, s.len);
            w += s.len;
        } else {
            memcpy(w, s.ptr, s.len);
            w = pad_fill(w + s.len, pad, need);
        }
        fn_set_str(out, i, o, (size_t)(w - o));
    }
    return WEIR_OK;
}

static int eval_lpad(FN_EVAL_ARGS)
{
    (void)err;
    return eval_pad(call, args, sel, n, out, true);
}

static int eval_rpad(FN_EVAL_ARGS)
{
    (void)err;
    return eval_pad(call, args, sel, n, out, false);
}

static int bind_str_int(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SI", "(STRING, INT)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_string, false);
    return WEIR_OK;
}

static int eval_repeat(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        int64_t k = args[1].i64[i];
        if (k <= 0 || s.len == 0) {
            fn_set_str(out, i, s.ptr, 0);
            continue;
        }
        if ((uint64_t)k * s.len > (uint64_t)INT32_MAX)
            return err_set(err, WEIR_ERR_RUNTIME,
                           "REPEAT: result of %lld × %u bytes is too large",
                           (long long)k, s.len);
        size_t len = (size_t)k * s.len;
        char *o = fn_out_alloc(out, len);
        for (int64_t r = 0; r < k; r++)
            memcpy(o + (size_t)r * s.len, s.ptr, s.len);
        fn_set_str(out, i, o, len);
    }
    return WEIR_OK;
}

static int bind_str1(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "S", "(STRING)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_string, false);
    return WEIR_OK;
}

static int eval_reverse(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) out->s[i] = reverse_chars(out->arena, args[0].s[i]);
    return WEIR_OK;
}

static int eval_left(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        int64_t k = args[1].i64[i];
        size_t e = k <= 0 ? 0 : utf8_skip(s.ptr, s.len, (size_t)k);
        fn_set_str(out, i, s.ptr, e);
    }
    return WEIR_OK;
}

static int eval_right(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        int64_t k = args[1].i64[i];
        if (k <= 0) {
            fn_set_str(out, i, s.ptr, 0);
            continue;
        }
        size_t nc = utf8_count(s.ptr, s.len);
        size_t b = (size_t)k >= nc ? 0 : utf8_skip(s.ptr, s.len, nc - (size_t)k);
        fn_set_str(out, i, s.ptr + b, s.len - b);
    }
    return WEIR_OK;
}

/* ---- ASCII, CHR --------------------------------------------------------------- */

static int bind_ascii(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "S", "(STRING)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_int, false);
    return WEIR_OK;
}

/* Flink returns the first byte as a signed Java byte (0 for ''). */
static int eval_ascii(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        out->i64[i] = s.len == 0 ? 0 : (int64_t)(int8_t)s.ptr[0];
    }
    return WEIR_OK;
}

static int bind_chr(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "I", "(INT)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_string, false);
    return WEIR_OK;
}

/* SqlFunctionUtils.chr: negative → '', else the character (n & 0xFF). */
static int eval_chr(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        int64_t c = args[0].i64[i];
        if (c < 0) {
            fn_set_str(out, i, "", 0);
            continue;
        }
        char *o = fn_out_alloc(out, 2);
        fn_set_str(out, i, o, (size_t)utf8_encode((uint32_t)(c & 0xFF), o));
    }
    return WEIR_OK;
}

/* ---- TO_BASE64, FROM_BASE64 ------------------------------------------------------ */

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int bind_to_base64(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "Y", "(STRING)");
    if (rc)
        return rc;
    fb->result = fn_result(fb, &type_string, false);
    return WEIR_OK;
}

static int eval_to_base64(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        const unsigned char *u = (const unsigned char *)s.ptr;
        size_t len = (s.len + 2) / 3 * 4;
        char *o = fn_out_alloc(out, len), *w = o;
        size_t j = 0;
        for (; j + 3 <= s.len; j += 3) {
            uint32_t v = (uint32_t)u[j] << 16 | (uint32_t)u[j + 1] << 8 | u[j + 2];
            *w++ = b64_chars[v >> 18];
            *w++ = b64_chars[(v >> 12) & 63];
            *w++ = b64_chars[(v >> 6) & 63];
            *w++ = b64_chars[v & 63];
        }
        if (j < s.len) {
            uint32_t v = (uint32_t)u[j] << 16;
            if (j + 1 < s.len)
                v |= (uint32_t)u[j + 1] << 8;
            *w++ = b64_chars[v >> 18];
            *w++ = b64_chars[(v >> 12) & 63];
            *w++ = j + 1 < s.len ? b64_chars[(v >> 6) & 63] : '=';
            *w++ = '=';
        }
        fn_set_str(out, i, o, len);
    }
    return WEIR_OK;
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* java.util.Base64.getDecoder(): strict alphabet, padding optional but if
 * present must be right; anything else is an IllegalArgumentException, which
 * fails the Flink job — so it fails ours. */
static int eval_from_base64(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        const unsigned char *u = (const unsigned char *)s.ptr;
        size_t len = s.len;
        size_t pad = 0;
        while (len > 0 && u[len - 1] == '=' && pad < 2) {
            len--;
            pad++;
        }
        if (len % 4 == 1 || (pad && (len + pad) % 4 != 0))
            goto bad;
        char *o = fn_out_alloc(out, len / 4 * 3 + 3), *w = o;
        uint32_t acc = 0;
        int bits = 0;
        for (size_t j = 0; j < len; j++) {
            int v = b64_val(u[j]);
            if (v < 0)
                goto bad;
            acc = acc << 6 | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                *w++ = (char)(acc >> bits);
                acc &= (1u << bits) - 1;
            }
        }
        fn_set_str(out, i, o, (size_t)(w - o));
        continue;
bad:
        return err_set(err, WEIR_ERR_RUNTIME, "FROM_BASE64: illegal base64 input '%.*s'",
                       (int)(s.len > 64 ? 64 : s.len), s.ptr);
    }
    return WEIR_OK;
}

/* ---- PARSE_URL ---------------------------------------------------------------- */

enum url_part {
    URL_HOST, URL_PATH, URL_QUERY, URL_REF, URL_PROTOCOL, URL_FILE, URL_AUTHORITY,
    URL_USERINFO, URL__COUNT
};
static const char *const url_parts[] = {"HOST", "PATH", "QUERY", "REF", "PROTOCOL",
                                        "FILE", "AUTHORITY", "USERINFO", NULL};

struct url {
    struct str protocol, authority, userinfo, host, path, query, ref;
    bool has_authority, has_userinfo, has_query, has_ref;
};

/* A java.net.URL-like split.  Only the protocols a stock JVM has handlers for
 * parse; anything else is a MalformedURLException (NULL in Flink). */
static bool url_parse(struct str s, struct url *u, char *lower_proto)
{
    memset(u, 0, sizeof(*u));
    const char *p = s.ptr, *end = s.ptr + s.len;
    while (p < end && (unsigned char)*p <= ' ')
        p++;
    while (end > p && (unsigned char)end[-1] <= ' ')
        end--;
    const char *c = p;
    while (c < end && *c != ':' && *c != '/' && *c != '?' && *c != '#')
        c++;
    if (c == end || *c != ':' || c == p || c - p > 15)
        return false;
    size_t pl = (size_t)(c - p);
    for (size_t j = 0; j < pl; j++) {
        char ch = p[j];
        lower_proto[j] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    }
    static const char *const known[] = {"http", "https", "ftp", "file", "jar", "mailto",
                                        NULL};
    bool ok = false;
    for (int k = 0; known[k]; k++)
        if (strlen(known[k]) == pl && memcmp(known[k], lower_proto, pl) == 0)
            ok = true;
    if (!ok)
        return false;
    u->protocol = (struct str){lower_proto, (uint32_t)pl};
    p = c + 1;
    const char *hash = memchr(p, '#', (size_t)(end - p));
    if (hash) {
        u->has_ref = true;
        u->ref = (struct str){hash + 1, (uint32_t)(end - hash - 1)};
        end = hash;
    }
    if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
        p += 2;
        const char *a = p;
        while (p < end && *p != '/' && *p != '?')
            p++;
        u->has_authority = true;
        u->authority = (struct str){a, (uint32_t)(p - a)};
        const char *at = NULL;
        for (const char *q = a; q < p; q++)
            if (*q == '@')
                at = q;
        const char *h = a;
        if (at) {
            u->has_userinfo = true;
            u->userinfo = (struct str){a, (uint32_t)(at - a)};
            h = at + 1;
        }
        const char *he = p;
        if (h < p && *h == '[') {
            const char *rb = memchr(h, ']', (size_t)(p - h));
            if (rb == NULL)
                return false;
            he = rb + 1;
        } else {
            const char *colon = memchr(h, ':', (size_t)(p - h));
            if (colon)
                he = colon;
        }
        u->host = (struct str){h, (uint32_t)(he - h)};
    }
    const char *q = memchr(p, '?', (size_t)(end - p));
    if (q) {
        u->has_query = true;
        u->query = (struct str){q + 1, (uint32_t)(end - q - 1)};
        u->path = (struct str){p, (uint32_t)(q - p)};
    } else {
        u->path = (struct str){p, (uint32_t)(end - p)};
    }
    return true;
}

struct parse_url_state {
    int part;           /* enum url_part, or -1 when not a literal */
};

static int bind_parse_url(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SSS", "(STRING, STRING[, STRING])");
    if (rc)
        return rc;
    struct parse_url_state *st = arena_calloc(fb->arena, sizeof(*st));
    st->part = -1;
    struct str p;
    if (fn_arg_str_literal(fb, 1, &p)) {
        for (int k = 0; url_parts[k]; k++)
            if (strlen(url_parts[k]) == p.len && memcmp(url_parts[k], p.ptr, p.len) == 0)
                st->part = k;
        if (st->part < 0)
            st->part = URL__COUNT;   /* unknown part: always NULL, as in Flink */
    }
    fb->state = st;
    fb->result = fn_result(fb, &type_string, true);
    return WEIR_OK;
}

static bool url_query_key(struct str q, struct str key, struct str *res)
{
    for (size_t pos = 0; pos + key.len < q.len + 1; pos++) {
        if (pos > 0 && q.ptr[pos - 1] != '&')
            continue;
        if (pos + key.len >= q.len || memcmp(q.ptr + pos, key.ptr, key.len) != 0 ||
            q.ptr[pos + key.len] != '=')
            continue;
        size_t v = pos + key.len + 1, e = v;
        while (e < q.len && q.ptr[e] != '&')
            e++;
        *res = (struct str){q.ptr + v, (uint32_t)(e - v)};
        return true;
    }
    return false;
}

static int eval_parse_url(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct parse_url_state *st = call->state;
    bool with_key = call->n_args == 3;
    FN_FOREACH(i) {
        int part = st->part;
        if (part < 0) {
            struct str p = args[1].s[i];
            part = URL__COUNT;
            for (int k = 0; url_parts[k]; k++)
                if (strlen(url_parts[k]) == p.len && memcmp(url_parts[k], p.ptr, p.len) == 0)
                    part = k;
        }
        struct url u;
        char proto[16];
        struct str r = {"", 0};
        bool have = false;
        if ((!with_key || part == URL_QUERY) && url_parse(args[0].s[i], &u, proto)) {
            switch (part) {
            case URL_HOST: r = u.host; have = true; break;
            case URL_PATH: r = u.path; have = true; break;
            case URL_QUERY: r = u.query; have = u.has_query; break;
            case URL_REF: r = u.ref; have = u.has_ref; break;
            case URL_PROTOCOL: r = u.protocol; have = true; break;
            case URL_AUTHORITY: r = u.authority; have = u.has_authority; break;
            case URL_USERINFO: r = u.userinfo; have = u.has_userinfo; break;
            case URL_FILE:
                have = true;
                if (u.has_query) {
                    /* path '?' query are contiguous in the input */
                    r = (struct str){u.path.ptr, u.path.len + 1 + u.query.len};
                } else {
                    r = u.path;
                }
                break;
            default: break;
            }
            if (have && with_key)
                have = url_query_key(r, args[2].s[i], &r);
        }
        if (!have) {
            fn_set_null(out, i);
            continue;
        }
        if (r.ptr == proto) {
            char *o = fn_out_alloc(out, r.len);
            memcpy(o, proto, r.len);
            r.ptr = o;
        }
        out->s[i] = r;
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

/* ---- table ------------------------------------------------------------------- */

#define S FN_STRICT
const struct func_def fn_string_defs[] = {
    {"CONCAT", 1, -1, S, bind_concat, eval_concat, NULL, "CONCAT(STRING, ...)"},
    {"CONCAT_WS", 2, -1, 0, bind_concat_ws, eval_concat_ws, NULL,
     "CONCAT_WS(STRING sep, STRING, ...)"},
    {"CHAR_LENGTH", 1, 1, S, bind_char_length, eval_char_length, NULL, "CHAR_LENGTH(STRING)"},
    {"CHARACTER_LENGTH", 1, 1, S, bind_char_length, eval_char_length, NULL,
     "CHARACTER_LENGTH(STRING)"},
    {"UPPER", 1, 1, S, bind_case, eval_upper, NULL, "UPPER(STRING)"},
    {"LOWER", 1, 1, S, bind_case, eval_lower, NULL, "LOWER(STRING)"},
    {"INITCAP", 1, 1, S, bind_case, eval_initcap, NULL, "INITCAP(STRING)"},
    {"SUBSTRING", 2, 3, S, bind_substring, eval_substring, NULL,
     "SUBSTRING(STRING, INT pos[, INT len])"},
    {"SUBSTR", 2, 3, S, bind_substring, eval_substring, NULL,
     "SUBSTR(STRING, INT pos[, INT len])"},
    {"POSITION", 2, 2, S, bind_position, eval_position, NULL,
     "POSITION(STRING needle, STRING haystack)"},
    {"LOCATE", 2, 3, S, bind_position, eval_position, NULL,
     "LOCATE(STRING needle, STRING haystack[, INT from])"},
    {"INSTR", 2, 4, S, bind_instr, eval_instr, NULL,
     "INSTR(STRING, STRING sub[, INT start[, INT nth]])"},
    {"TRIM", 1, 3, S | FN_CONST_ARGS, bind_trim, eval_trim, NULL,
     "TRIM('BOTH'|'LEADING'|'TRAILING', STRING chars, STRING)"},
    {"LTRIM", 1, 2, S, bind_ltrim, eval_trim, NULL, "LTRIM(STRING[, STRING chars])"},
    {"RTRIM", 1, 2, S, bind_ltrim, eval_trim, NULL, "RTRIM(STRING[, STRING chars])"},
    {"REPLACE", 3, 3, S, bind_replace, eval_replace, NULL, "REPLACE(STRING, STRING, STRING)"},
    {"SPLIT_INDEX", 3, 3, S, bind_split_index, eval_split_index, NULL,
     "SPLIT_INDEX(STRING, STRING delim, INT index)"},
    {"LPAD", 3, 3, S, bind_pad, eval_lpad, NULL, "LPAD(STRING, INT len, STRING pad)"},
    {"RPAD", 3, 3, S, bind_pad, eval_rpad, NULL, "RPAD(STRING, INT len, STRING pad)"},
    {"REPEAT", 2, 2, S, bind_str_int, eval_repeat, NULL, "REPEAT(STRING, INT)"},
    {"REVERSE", 1, 1, S, bind_str1, eval_reverse, NULL, "REVERSE(STRING)"},
    {"LEFT", 2, 2, S, bind_str_int, eval_left, NULL, "LEFT(STRING, INT)"},
    {"RIGHT", 2, 2, S, bind_str_int, eval_right, NULL, "RIGHT(STRING, INT)"},
    {"ASCII", 1, 1, S, bind_ascii, eval_ascii, NULL, "ASCII(STRING)"},
    {"CHR", 1, 1, S, bind_chr, eval_chr, NULL, "CHR(INT)"},
    {"TO_BASE64", 1, 1, S, bind_to_base64, eval_to_base64, NULL, "TO_BASE64(STRING)"},
    {"FROM_BASE64", 1, 1, S, bind_str1, eval_from_base64, NULL, "FROM_BASE64(STRING)"},
    {"PARSE_URL", 2, 3, S, bind_parse_url, eval_parse_url, NULL,
     "PARSE_URL(STRING url, STRING part[, STRING key])"},
};
#undef S
const int fn_string_count = (int)(sizeof(fn_string_defs) / sizeof(fn_string_defs[0]));
