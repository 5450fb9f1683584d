/*
 * fn_regex.c — REGEXP_EXTRACT, REGEXP_REPLACE and REGEXP, on PCRE2.
 *
 * Flink uses java.util.regex; PCRE2 accepts the same syntax for everything
 * jobs commonly write (classes, groups, alternation, lazy/possessive
 * quantifiers, lookaround, \d \w \s ASCII-only as in Java).  Java-only classes
 * such as \p{Alpha} or \p{javaLowerCase} do not compile and give NULL/FALSE,
 * which is also what Flink returns for a pattern it cannot compile.
 *
 * A literal pattern (the common case: Nexmark q21) is compiled and JIT-compiled
 * once at bind time.
 * Patterns that vary per row go through a small per-call-site cache.  Match
 * data (the ovector) belongs to the call site too, so kernels never allocate
 * per row.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/strbuf.h"
#include "exec/fn_int.h"

/* ---- compiled patterns -------------------------------------------------------- */

static pcre2_code *re_compile(const char *p, size_t len)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)p, len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                   &ec, &eo, NULL);
    if (re != NULL)
        pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);   /* falls back to the interpreter */
    return re;
}

/*
 * Per-call-site state.  Kernels mutate it (match data, cache): an expression
 * tree is evaluated by one task at a time (its scratch vectors already make it
 * so), so no locking is needed.  Patterns that vary per row are compiled into
 * a small direct-mapped cache keyed by the pattern text.
 */
#define RE_CACHE_SIZE 16
struct re_cache_entry {
    char *text;
    size_t len;
    pcre2_code *re;         /* NULL: the pattern does not compile */
};

struct re_state {
    bool literal;           /* pattern known at bind time */
    bool empty;             /* the literal pattern is '' */
    pcre2_code *re;         /* compiled literal pattern, NULL if it does not compile */
    bool idx_literal;       /* REGEXP_EXTRACT: index known at bind time */
    int64_t idx;
    pcre2_match_data *md;   /* grown to the largest pattern seen */
    uint32_t md_pairs;
    struct re_cache_entry *cache;   /* RE_CACHE_SIZE entries, for non-literal patterns */
};

static pcre2_match_data *re_md(struct re_state *st, const pcre2_code *re)
{
    uint32_t groups = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (st->md == NULL || st->md_pairs < groups + 1) {
        pcre2_match_data_free(st->md);
        st->md_pairs = groups + 1 < 16 ? 16 : groups + 1;
        st->md = pcre2_match_data_create(st->md_pairs, NULL);
    }
    return st->md;
}

static const pcre2_code *re_cached(struct re_state *st, struct str p)
{
    if (st->cache == NULL)
        st->cache = mem_calloc(RE_CACHE_SIZE, sizeof(struct re_cache_entry));
    uint32_t h = 2166136261u;
    for (uint32_t j = 0; j < p.len; j++)
        h = (h ^ (unsigned char)p.ptr[j]) * 16777619u;
    struct re_cache_entry *e = &st->cache[h % RE_CACHE_SIZE];
    if (e->text == NULL || e->len != p.len || memcmp(e->text, p.ptr, p.len) != 0) {
        mem_free(e->text);
        pcre2_code_free(e->re);
        e->text = mem_strndup(p.ptr, p.len);
        e->len = p.len;
        e->re = re_compile(p.ptr, p.len);
    }
    return e->re;
}

static void re_state_free(void *p)
{
    struct re_state *st = p;
    if (st == NULL)
        return;
    pcre2_code_free(st->re);
    pcre2_match_data_free(st->md);
    if (st->cache != NULL) {
        for (int k = 0; k < RE_CACHE_SIZE; k++) {
            mem_free(st->cache[k].text);
            pcre2_code_free(st->cache[k].re);
        }
        mem_free(st->cache);
    }
}

static int bind_re_common(struct func_bind *fb, const struct sql_type *res, bool may_null)
{
    struct re_state *st = arena_calloc(fb->arena, sizeof(*st));
    struct str p;
    if (fn_arg_str_literal(fb, 1, &p)) {
        st->literal = true;
        st->empty = p.len == 0;
        st->re = re_compile(p.ptr, p.len);
    }
    if (fb->n_args > 2 && type_is_integer(fb->arg_types[2]))
        st->idx_literal = fn_arg_int_literal(fb, 2, &st->idx);
    fb->state = st;
    fb->result = fn_result(fb, res, may_null);
    return WEIR_OK;
}

/* The row's pattern: the literal one or the cached compile of args[1]. */
static const pcre2_code *row_re(struct re_state *st, const struct vec *args, int i)
{
    if (st->literal)
        return st->re;
    return re_cached(st, args[1].s[i]);
}

/* ---- REGEXP_EXTRACT ------------------------------------------------------------- */

static int bind_regexp_extract(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SSI", "(STRING, STRING[, INT])");
    if (rc)
        return rc;
    return bind_re_common(fb, &type_string, true);
}

/* Group idx of the first match; NULL when nothing matches, the group did not
 * take part, or idx is not a group (an exception Flink logs and maps to NULL). */
static int eval_regexp_extract(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    struct re_state *st = call->state;
    bool has_idx = call->n_args == 3;
    FN_FOREACH(i) {
        const pcre2_code *re = row_re(st, args, i);
        int64_t idx = !has_idx ? 0 : st->idx_literal ? st->idx : args[2].i64[i];
        struct str s = args[0].s[i];
        if (re == NULL || idx < 0) {
            fn_set_null(out, i);
            continue;
        }
        pcre2_match_data *md = re_md(st, re);
        int mrc = pcre2_match(re, (PCRE2_SPTR)s.ptr, s.len, 0, 0, md, NULL);
        if (mrc < 0) {
            fn_set_null(out, i);
            continue;
        }
        uint32_t groups = 0;
        pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if ((uint64_t)idx > groups || idx >= mrc || ov[2 * idx] == PCRE2_UNSET) {
            fn_set_null(out, i);
            continue;
        }
        fn_set_str(out, i, s.ptr + ov[2 * idx], ov[2 * idx + 1] - ov[2 * idx]);
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

/* ---- REGEXP_REPLACE --------------------------------------------------------------- */

static int bind_regexp_replace(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SSS", "(STRING, STRING, STRING)");
    if (rc)
        return rc;
    return bind_re_common(fb, &type_string, true);
}

/*
 * Java's String.replaceAll with a quoted (literal) replacement, as Flink calls
 * it: every match is replaced; after an empty match the search resumes one
 * character later, the skipped character being copied, so 'abc' ~ 'x*' → '-a-b-c-'.
 * The result is built in a scratch buffer and then copied to the arena once.
 */
static int eval_regexp_replace(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    struct re_state *st = call->state;
    struct strbuf sb = {0};
    FN_FOREACH(i) {
        const pcre2_code *re = row_re(st, args, i);
        if (re == NULL) {
            fn_set_null(out, i);
            continue;
        }
        struct str s = args[0].s[i], r = args[2].s[i];
        pcre2_match_data *md = re_md(st, re);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t pos = 0, copied = 0;
        bool any = false, failed = false;
        sb_clear(&sb);
        while (pos <= s.len) {
            int mrc = pcre2_match(re, (PCRE2_SPTR)s.ptr, s.len, pos, 0, md, NULL);
            if (mrc == PCRE2_ERROR_NOMATCH)
                break;
            if (mrc < 0) {
                failed = true;   /* match limit etc.: Flink maps exceptions to NULL */
                break;
            }
            any = true;
            size_t ms = ov[0], me = ov[1];
            sb_add(&sb, s.ptr + copied, ms - copied);
            sb_add(&sb, r.ptr, r.len);
            copied = me;
            if (me == ms) {
                if (me >= s.len)
                    break;
                pos = me + (size_t)utf8_seq_len((unsigned char)s.ptr[me]);
            } else {
                pos = me;
            }
        }
        if (failed) {
            fn_set_null(out, i);
            continue;
        }
        fn_set_valid(out, i);
        if (!any) {
            out->s[i] = s;
            continue;
        }
        sb_add(&sb, s.ptr + copied, s.len - copied);
        char *o = fn_out_alloc(out, sb.len);
        memcpy(o, sb.buf, sb.len);
        fn_set_str(out, i, o, sb.len);
    }
    sb_free(&sb);
    return WEIR_OK;
}

/* ---- REGEXP -------------------------------------------------------------------- */

static int bind_regexp(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SS", "(STRING, STRING)");
    if (rc)
        return rc;
    return bind_re_common(fb, &type_boolean, false);
}

/* TRUE when some substring matches; an empty or broken pattern gives FALSE. */
static int eval_regexp(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    struct re_state *st = call->state;
    FN_FOREACH(i) {
        const pcre2_code *re;
        if (st->literal)
            re = st->empty ? NULL : st->re;
        else
            re = args[1].s[i].len == 0 ? NULL : row_re(st, args, i);
        if (re == NULL) {
            out->b[i] = 0;
            continue;
        }
        struct str s = args[0].s[i];
        int mrc = pcre2_match(re, (PCRE2_SPTR)s.ptr, s.len, 0, 0, re_md(st, re), NULL);
        out->b[i] = mrc >= 0;
    }
    return WEIR_OK;
}

/* ---- table ------------------------------------------------------------------- */

const struct func_def fn_regex_defs[] = {
    {"REGEXP_EXTRACT", 2, 3, FN_STRICT, bind_regexp_extract, eval_regexp_extract,
     re_state_free, "REGEXP_EXTRACT(STRING, STRING regex[, INT group])"},
    {"REGEXP_REPLACE", 3, 3, FN_STRICT, bind_regexp_replace, eval_regexp_replace,
     re_state_free, "REGEXP_REPLACE(STRING, STRING regex, STRING replacement)"},
    {"REGEXP", 2, 2, FN_STRICT, bind_regexp, eval_regexp, re_state_free,
     "REGEXP(STRING, STRING regex)"},
};
const int fn_regex_count = (int)(sizeof(fn_regex_defs) / sizeof(fn_regex_defs[0]));
