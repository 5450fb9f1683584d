/*
 * regex.c — the 'regex' format: a record is matched against 'regex.pattern'
 * (PCRE2) and each named group `(?<name>...)` fills the physical column of the
 * same name.  Read-only: made for log lines (nginx, syslog, application
 * logs) that have a shape but no delimiters a csv reader could use.
 *
 * Rules:
 *   - the pattern is searched for anywhere in the record (anchor it with ^ and
 *     $ to require a whole-record match); a record it does not match is
 *     WEIR_ERR_PARSE "does not match regex.pattern" and goes to the dead
 *     letters with its position;
 *   - every physical column needs a named group of the same name (exact
 *     spelling first, then case-insensitively); a column without one is a
 *     configuration error when the table is opened, not NULL forever;
 *   - a group that did not take part in the match (an optional group,
 *     `(?:...)?`, or the other side of an alternation) gives NULL;
 *   - text becomes the column's type with the csv format's rules
 *     (formats/convert.c: trimmed strict numbers, BOOLEAN true/false, BYTES as
 *     base64, SQL literal forms for DATE/TIME/TIMESTAMP); 'regex.null-literal'
 *     text (nginx's "-") reads as NULL; a conversion failure is a parse error
 *     naming the column, or NULL plus a dead-letter copy with
 *     'regex.ignore-parse-errors';
 *   - ARRAY, MAP and ROW columns are not supported.
 *
 * An nginx "combined" access log, with types (docs/formats.md):
 *
 *   (?<remote_addr>\S+) - (?<remote_user>\S+) \[(?<time_local>[^\]]+)\]
 *   "(?<method>\S+) (?<path>\S+) (?<protocol>[^"]+)" (?<status>\d{3})
 *   (?<body_bytes_sent>\d+) "(?<referer>[^"]*)" "(?<user_agent>[^"]*)"
 *
 * (one line, a single space where it is broken here) with status INT and
 * body_bytes_sent BIGINT.
 *
 * The pattern is compiled with PCRE2_UTF | PCRE2_MATCH_INVALID_UTF (invalid
 * UTF-8 in a record cannot make matching fail or crash) and JIT-compiled once
 * per decoder; match data is allocated once, so decoding never allocates.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>
#include <strings.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "formats/convert.h"
#include "formats/format.h"

struct regex_col {
    int col;                        /* produced column index */
    uint32_t group;                 /* capture group number */
    const char *name;               /* column name (borrowed from the table) */
    const char *type_name;          /* for messages (in the arena) */
};

struct regex_dec {
    struct decoder base;
    pcre2_code *re;
    pcre2_match_data *md;
    struct regex_col *cols;
    int n_cols;
    bool ignore_errors;
    char *null_lit;                 /* NULL = no null literal */
    size_t null_len;
    struct strbuf tmp;              /* base64 scratch */
    struct arena arena;             /* type names */
};

/* Compiles pattern; on failure err says where and why. */
static pcre2_code *regex_compile(const char *pattern, struct weir_error *err)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        err_set(err, WEIR_ERR_CONFIG, "option 'regex.pattern': %s at offset %d of '%s'",
                (const char *)msg, (int)eo, pattern);
        return NULL;
    }
    return re;
}

static int regex_decode(struct decoder *dec, const char *rec, size_t len,
                        struct batch *b, int row, bool *lossy, struct weir_error *err)
{
    struct regex_dec *d = (struct regex_dec *)dec;
    int mrc = pcre2_match(d->re, (PCRE2_SPTR)rec, len, 0, 0, d->md, NULL);
    if (mrc < 0) {
        if (mrc == PCRE2_ERROR_NOMATCH)
            return err_set(err, WEIR_ERR_PARSE, "does not match regex.pattern");
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(mrc, msg, sizeof(msg));
        return err_set(err, WEIR_ERR_PARSE, "regex.pattern: %s", (const char *)msg);
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(d->md);
    for (int k = 0; k < d->n_cols; k++) {
        const struct regex_col *c = &d->cols[k];
        struct vec *v = &b->cols[c->col];
        /* groups past the highest one set have no ovector pair filled in */
        if ((int)c->group >= mrc || ov[2 * c->group] == PCRE2_UNSET) {
            vec_set_null(v, row);
            continue;
        }
        const char *s = rec + ov[2 * c->group];
        size_t n = ov[2 * c->group + 1] - ov[2 * c->group];
        if (d->null_lit && n == d->null_len && memcmp(s, d->null_lit, n) == 0) {
            vec_set_null(v, row);
            continue;
        }
        if (fmt_text_to_scalar(v, row, s, n, &d->tmp))
            continue;
        if (d->ignore_errors) {
            vec_set_null(v, row);
            if (lossy)
                *lossy = true;
            continue;
        }
        return err_set(err, WEIR_ERR_PARSE, "column \"%s\": cannot convert '%.*s'%s to %s",
                       c->name, n > 64 ? 64 : (int)n, s, n > 64 ? "..." : "",
                       c->type_name);
    }
    return WEIR_OK;
}

static void regex_dec_free(struct decoder *dec)
{
    struct regex_dec *d = (struct regex_dec *)dec;
    if (d == NULL)
        return;
    pcre2_match_data_free(d->md);
    pcre2_code_free(d->re);
    mem_free(d->cols);
    mem_free(d->null_lit);
    sb_free(&d->tmp);
    arena_free(&d->arena);
    mem_free(d);
}

static const struct decoder_ops regex_dec_ops = {regex_decode, regex_dec_free};

/* The group number of the named group `name` (exact, then case-insensitive);
 * 0 if the pattern has no such group. */
static uint32_t group_of(const pcre2_code *re, const char *name)
{
    int n = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
    if (n > 0)
        return (uint32_t)n;
    uint32_t count = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + i * entry;
        if (strcasecmp((const char *)e + 2, name) == 0)
            return (uint32_t)(e[0] << 8 | e[1]);
    }
    return 0;
}

/* "a, b, c": the pattern's group names, for messages. */
static void group_names(const pcre2_code *re, struct strbuf *sb)
{
    uint32_t count = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++) {
        sb_adds(sb, i ? ", " : "");
        sb_adds(sb, (const char *)table + i * entry + 2);
    }
    if (count == 0)
        sb_adds(sb, "none");
}

static int regex_decoder_create(const struct table_ctx *t, struct decoder **out,
                                struct weir_error *err)
{
    struct weir_error e2 = {0};
    const char *pattern = opt_str(t->opts, "regex.pattern", NULL);
    if (pattern == NULL)
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': the regex format needs "
                       "'regex.pattern'", t->table_name);
    pcre2_code *re = regex_compile(pattern, &e2);
    if (re == NULL) {
        int rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': %s", t->table_name,
                         e2.message);
        err_clear(&e2);
        return rc;
    }
    struct regex_dec *d = mem_calloc(1, sizeof(*d));
    d->base.ops = &regex_dec_ops;
    d->re = re;
    arena_init(&d->arena, 0);
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);   /* falls back to the interpreter */
    d->md = pcre2_match_data_create_from_pattern(re, NULL);
    d->ignore_errors = opt_bool(t->opts, "regex.ignore-parse-errors", false);
    if (opt_has(t->opts, "regex.null-literal")) {
        d->null_lit = mem_strdup(opt_str(t->opts, "regex.null-literal", ""));
        d->null_len = strlen(d->null_lit);
    }
    d->cols = mem_calloc((size_t)(t->n_cols ? t->n_cols : 1), sizeof(struct regex_col));
    int rc = WEIR_OK;
    for (int i = 0; i < t->n_cols && rc == WEIR_OK; i++) {
        if (t->col_metadata && t->col_metadata[i])
            continue;
        const struct sql_type *ty = t->col_types[i];
        if (!fmt_text_type_ok(ty)) {
            rc = err_set(err, WEIR_ERR_UNSUPPORTED,
                         "table '%s': the regex format cannot hold column '%s' of "
                         "type %s (ARRAY, MAP and ROW are not supported)",
                         t->table_name, t->col_names[i], type_to_sql(&d->arena, ty));
            break;
        }
        uint32_t g = group_of(re, t->col_names[i]);
        if (g == 0) {
            struct strbuf sb = {0};
            group_names(re, &sb);
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': column '%s' has no named group (?<%s>...) in "
                         "'regex.pattern'; the pattern's groups: %s", t->table_name,
                         t->col_names[i], t->col_names[i], sb.buf);
            sb_free(&sb);
            break;
        }
        struct regex_col *c = &d->cols[d->n_cols++];
        c->col = i;
        c->group = g;
        c->name = t->col_names[i];
        c->type_name = type_to_sql(&d->arena, type_with_nullable(&d->arena, ty, true));
    }
    if (rc != WEIR_OK) {
        regex_dec_free(&d->base);
        return rc;
    }
    *out = &d->base;
    return WEIR_OK;
}

static int regex_encoder_create(const struct table_ctx *t, struct encoder **out,
                                struct weir_error *err)
{
    (void)out;
    return err_set(err, WEIR_ERR_UNSUPPORTED, "table '%s': the regex format can only "
                   "be read (use csv, json or raw to write)", t->table_name);
}

/* The pattern must compile; checked when the table is declared. */
static int regex_validate(const struct opt_set *o, struct weir_error *err)
{
    const char *pattern = opt_str(o, "regex.pattern", NULL);
    if (pattern == NULL)
        return WEIR_OK;     /* the registry reports the missing required option */
    pcre2_code *re = regex_compile(pattern, err);
    if (re == NULL)
        return WEIR_ERR_CONFIG;
    pcre2_code_free(re);
    return WEIR_OK;
}

static const struct opt_def regex_options[] = {
    {"regex.pattern", OPT_STRING, NULL, NULL, true,
     "PCRE2 pattern searched for in each record; named groups (?<col>...) fill the "
     "columns of the same name; a record it does not match is dead-lettered"},
    {"regex.null-literal", OPT_STRING, NULL, NULL, false,
     "group text read as NULL (e.g. '-' in web server logs; default: none)"},
    {"regex.ignore-parse-errors", OPT_BOOL, "false", NULL, false,
     "a group whose text does not convert to its column's type becomes NULL (the "
     "record is still copied to the dead-letter output); a record that does not "
     "match is dead-lettered either way"},
    {NULL},
};

const struct format_def fmt_regex = {
    .name = "regex",
    .options = regex_options,
    .changelog = false,
    .decoder_create = regex_decoder_create,
    .encoder_create = regex_encoder_create,
    .validate = regex_validate,
};
