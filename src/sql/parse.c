/*
 * parse.c — recursive-descent parser for Flink SQL scripts (grammar: sql.md).
 *
 * The script is lexed up front into a token vector (cheap lookahead for `(`
 * starting a query vs. a join vs. a row).  The first error is stored, the sticky
 * rc set, and control unwinds with longjmp to the entry point: nothing but arena
 * memory (caller-owned) and the token vector (freed there) is held while
 * parsing, so this is simpler and safer than checking rc after ~300 calls.
 * Expression precedence follows Calcite, i.e. what Flink actually does.
 */
#include "sql/parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/lex.h"

struct parser {
    struct arena *a;
    const char *text;
    struct sql_token *toks;     /* mem_alloc'd; ends with TK_EOF */
    int n_toks;
    int cap;
    int i;                      /* current token */
    int prev_end;               /* end offset of the last consumed token */
    int depth;
    int rc;                     /* sticky: first error */
    struct weir_error *err;
    struct weir_error lex_err;  /* a lexical error, reported when reached */
    const char *follow;         /* what may follow the last complete clause */
    jmp_buf jb;
};

/* Growable array living in the arena (no cleanup needed on longjmp). */
struct avec {
    void *v;
    int n, cap;
};

static void *av_push(struct parser *p, struct avec *v, size_t elem)
{
    if (v->n == v->cap) {
        int ncap = v->cap ? v->cap * 2 : 4;
        void *nv = arena_alloc(p->a, (size_t)ncap * elem);
        if (v->n)
            memcpy(nv, v->v, (size_t)v->n * elem);
        v->v = nv;
        v->cap = ncap;
    }
    void *slot = (char *)v->v + (size_t)v->n * elem;
    memset(slot, 0, elem);
    v->n++;
    return slot;
}

#define PV_PUSH(p, vec, x) (*(void **)av_push((p), &(vec), sizeof(void *)) = (x))

/* ============================================================ tokens */

static struct sql_token *tok(struct parser *p)
{
    return &p->toks[p->i];
}

static struct sql_token *peek(struct parser *p, int n)
{
    int j = p->i + n;
    if (j >= p->n_toks)
        j = p->n_toks - 1;
    return &p->toks[j];
}

static struct weir_loc tok_loc(const struct sql_token *t)
{
    return (struct weir_loc){t->offset, t->length > 0 ? t->length : 1};
}

static struct sql_token *advance(struct parser *p)
{
    struct sql_token *t = &p->toks[p->i];
    if (t->type != TK_EOF && t->type != TK_ERROR) {
        p->prev_end = t->offset + t->length;
        p->i++;
    }
    return t;
}

static struct weir_loc span_from(struct parser *p, int start)
{
    int len = p->prev_end - start;
    return (struct weir_loc){start, len > 0 ? len : 1};
}

static bool is_tk(struct parser *p, int type)
{
    return tok(p)->type == type;
}

static bool is_kw(struct parser *p, int kw)
{
    return tok(p)->type == TK_IDENT && tok(p)->kw == kw;
}

static bool peek_kw(struct parser *p, int n, int kw)
{
    struct sql_token *t = peek(p, n);
    return t->type == TK_IDENT && t->kw == kw;
}

/* Case-insensitive match of an unquoted word that is not in the keyword table. */
static bool is_word(struct parser *p, const char *w)
{
    struct sql_token *t = tok(p);
    return t->type == TK_IDENT && (size_t)t->length == strlen(w)
           && strncasecmp(p->text + t->offset, w, (size_t)t->length) == 0;
}

static bool accept(struct parser *p, int type)
{
    if (!is_tk(p, type))
        return false;
    advance(p);
    return true;
}

static bool accept_kw(struct parser *p, int kw)
{
    if (!is_kw(p, kw))
        return false;
    advance(p);
    return true;
}

/* ============================================================ errors */

static _Noreturn void bail(struct parser *p)
{
    if (p->rc == 0)
        p->rc = WEIR_ERR_SYNTAX;
    longjmp(p->jb, 1);
}

static _Noreturn void fail_at(struct parser *p, int code, struct weir_loc loc,
                              const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static _Noreturn void fail_at(struct parser *p, int code, struct weir_loc loc,
                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(p->err, code, loc, fmt, ap);
    va_end(ap);
    if (p->rc == 0)
        p->rc = code;
    bail(p);
}

/* The culprit as the user wrote it, shortened for messages. */
static const char *tok_text(struct parser *p, const struct sql_token *t)
{
    int n = t->length;
    if (n > 40)
        return arena_sprintf(p->a, "%.*s...", 37, p->text + t->offset);
    return arena_strndup(p->a, p->text + t->offset, (size_t)n);
}

static _Noreturn void fail_expected(struct parser *p, const char *expected)
{
    struct sql_token *t = tok(p);
    if (t->type == TK_ERROR) {
        /* The lexer stopped here: its message is the better one. */
        p->rc = p->lex_err.code ? p->lex_err.code : WEIR_ERR_SYNTAX;
        err_set_at(p->err, p->rc, p->lex_err.loc, "%s",
                   p->lex_err.message ? p->lex_err.message : "lexical error");
        bail(p);
    }
    if (t->type == TK_EOF)
        fail_at(p, WEIR_ERR_SYNTAX, (struct weir_loc){t->offset, 1},
                "unexpected end of input: expected %s", expected);
    fail_at(p, WEIR_ERR_SYNTAX, tok_loc(t), "syntax error near \"%s\": expected %s",
            tok_text(p, t), expected);
}

static void expect(struct parser *p, int type, const char *expected)
{
    if (!accept(p, type))
        fail_expected(p, expected);
}

static void expect_kw(struct parser *p, int kw, const char *expected)
{
    if (!accept_kw(p, kw))
        fail_expected(p, expected);
}

static void enter(struct parser *p)
{
    if (++p->depth > SQL_PARSE_MAX_DEPTH)
        fail_at(p, WEIR_ERR_SYNTAX, tok_loc(tok(p)),
                "statement is nested too deeply (more than %d levels)",
                SQL_PARSE_MAX_DEPTH);
}

static void leave(struct parser *p)
{
    p->depth--;
}

/* ============================================================ identifiers */

static bool tok_is_reserved_word(const struct sql_token *t)
{
    return t->type == TK_IDENT && sql_lex_is_reserved(t->kw);
}

static bool is_ident_tok(const struct sql_token *t)
{
    return t->type == TK_QIDENT || (t->type == TK_IDENT && !sql_lex_is_reserved(t->kw));
}

static bool is_ident(struct parser *p)
{
    return is_ident_tok(tok(p));
}

/* Reserved word where a name was expected: tell the user how to quote it. */
static _Noreturn void fail_reserved(struct parser *p, const char *expected)
{
    struct sql_token *t = tok(p);
    if (tok_is_reserved_word(t) && !(sql_lex_keyword_flags(t->kw) & KWF_C)) {
        const char *w = tok_text(p, t);
        fail_at(p, WEIR_ERR_SYNTAX, tok_loc(t),
                "\"%s\" is a reserved word: quote it as `%s`", w, w);
    }
    fail_expected(p, expected);
}

static const char *ident_value(struct parser *p, const struct sql_token *t)
{
    if (t->type == TK_QIDENT) {
        /* strip the backticks, `` -> ` */
        const char *s = p->text + t->offset + 1;
        int n = t->length - 2;
        char *out = arena_alloc(p->a, (size_t)n + 1);
        int k = 0;
        for (int j = 0; j < n; j++) {
            out[k++] = s[j];
            if (s[j] == '`' && j + 1 < n && s[j + 1] == '`')
                j++;
        }
        out[k] = '\0';
        return out;
    }
    return arena_strndup(p->a, p->text + t->offset, (size_t)t->length);
}

static const char *parse_ident(struct parser *p, const char *what, struct weir_loc *loc)
{
    if (!is_ident(p))
        fail_reserved(p, what);
    struct sql_token *t = advance(p);
    if (loc)
        *loc = tok_loc(t);
    return ident_value(p, t);
}

/* name ('.' name)* */
static struct ast_name parse_name(struct parser *p, const char *what)
{
    struct ast_name n = {0};
    struct avec parts = {0}, locs = {0};
    int start = tok(p)->offset;
    do {
        struct weir_loc l;
        const char *s = parse_ident(p, what, &l);
        PV_PUSH(p, parts, (void *)s);
        *(struct weir_loc *)av_push(p, &locs, sizeof(struct weir_loc)) = l;
    } while (accept(p, TK_DOT));
    n.n_parts = parts.n;
    n.parts = parts.v;
    n.part_locs = locs.v;
    n.loc = span_from(p, start);
    return n;
}

static struct ast_name name1(struct parser *p, const char *s, struct weir_loc loc)
{
    struct ast_name n = {0};
    const char **parts = arena_alloc(p->a, sizeof(char *));
    struct weir_loc *locs = arena_alloc(p->a, sizeof(struct weir_loc));
    parts[0] = s;
    locs[0] = loc;
    n.n_parts = 1;
    n.parts = parts;
    n.part_locs = locs;
    n.loc = loc;
    return n;
}

/* '(' ident, ... ')' */
static const char **parse_ident_list(struct parser *p, int *n_out, struct weir_loc **locs_out,
                                     const char *what)
{
    struct avec v = {0}, locs = {0};
    expect(p, TK_LPAREN, "\"(\"");
    do {
        struct weir_loc l;
        PV_PUSH(p, v, (void *)parse_ident(p, what, &l));
        *(struct weir_loc *)av_push(p, &locs, sizeof(struct weir_loc)) = l;
    } while (accept(p, TK_COMMA));
    expect(p, TK_RPAREN, "\",\" or \")\"");
    *n_out = v.n;
    if (locs_out)
        *locs_out = locs.v;
    return v.v;
}

/* ============================================================ literals */

static const char *string_value(struct parser *p, const struct sql_token *t)
{
    const char *s = p->text + t->offset;
    int n = t->length;
    int q = 0;
    while (q < n && s[q] != '\'')
        q++;                    /* skip N / _charset / X prefixes */
    char *out = arena_alloc(p->a, (size_t)n + 1);
    int k = 0;
    for (int j = q + 1; j < n - 1; j++) {
        out[k++] = s[j];
        if (s[j] == '\'' && j + 1 < n - 1 && s[j + 1] == '\'')
            j++;
    }
    out[k] = '\0';
    return out;
}

static const char *parse_string(struct parser *p, const char *what, struct weir_loc *loc)
{
    if (is_tk(p, TK_USTRING))
        fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(tok(p)),
                "unicode string literals (U&'...') are not supported");
    if (!is_tk(p, TK_STRING))
        fail_expected(p, what);
    struct sql_token *t = advance(p);
    if (loc)
        *loc = tok_loc(t);
    return string_value(p, t);
}

static int parse_int_value(struct parser *p, const char *what)
{
    if (!is_tk(p, TK_INTEGER))
        fail_expected(p, what);
    struct sql_token *t = tok(p);
    long v = 0;
    for (int j = 0; j < t->length; j++) {
        v = v * 10 + (p->text[t->offset + j] - '0');
        if (v > 2147483647L)
            fail_at(p, WEIR_ERR_SYNTAX, tok_loc(t), "number %s is too large",
                    tok_text(p, t));
    }
    advance(p);
    return (int)v;
}

/* ============================================================ forward */

static struct ast_expr *parse_expr(struct parser *p);
static struct ast_expr *parse_additive(struct parser *p);
static struct ast_query *parse_query(struct parser *p);
static const struct sql_type *parse_type(struct parser *p, struct weir_loc *loc);
static struct ast_stmt *parse_statement(struct parser *p);

static struct ast_expr *new_expr(struct parser *p, enum ast_expr_kind k, struct weir_loc loc)
{
    return ast_expr_new(p->a, k, loc);
}

/* Does the token at offset n start a query (SELECT / VALUES / WITH)? */
static bool starts_query_at(struct parser *p, int n)
{
    return peek_kw(p, n, KW_SELECT) || peek_kw(p, n, KW_VALUES) || peek_kw(p, n, KW_WITH);
}

/* '(' ... '(' SELECT: a parenthesised query, however deep. */
static bool paren_query_ahead(struct parser *p)
{
    int n = 0;
    while (peek(p, n)->type == TK_LPAREN)
        n++;
    return n > 0 && starts_query_at(p, n);
}

/* ============================================================ time units */

static const struct {
    const char *word;
    enum ast_time_unit unit;
} unit_words[] = {
    {"YEAR", AST_TU_YEAR}, {"YEARS", AST_TU_YEAR},
    {"QUARTER", AST_TU_QUARTER}, {"QUARTERS", AST_TU_QUARTER},
    {"MONTH", AST_TU_MONTH}, {"MONTHS", AST_TU_MONTH},
    {"WEEK", AST_TU_WEEK}, {"WEEKS", AST_TU_WEEK},
    {"DAY", AST_TU_DAY}, {"DAYS", AST_TU_DAY},
    {"HOUR", AST_TU_HOUR}, {"HOURS", AST_TU_HOUR},
    {"MINUTE", AST_TU_MINUTE}, {"MINUTES", AST_TU_MINUTE},
    {"SECOND", AST_TU_SECOND}, {"SECONDS", AST_TU_SECOND},
    {"MILLISECOND", AST_TU_MILLISECOND}, {"MILLISECONDS", AST_TU_MILLISECOND},
    {"MICROSECOND", AST_TU_MICROSECOND}, {"MICROSECONDS", AST_TU_MICROSECOND},
    {"NANOSECOND", AST_TU_NANOSECOND}, {"NANOSECONDS", AST_TU_NANOSECOND},
    {"DOY", AST_TU_DOY}, {"DOW", AST_TU_DOW}, {"ISODOW", AST_TU_ISODOW},
    {"ISOYEAR", AST_TU_ISOYEAR}, {"EPOCH", AST_TU_EPOCH},
    {"DECADE", AST_TU_DECADE}, {"CENTURY", AST_TU_CENTURY},
    {"MILLENNIUM", AST_TU_MILLENNIUM},
    {"SQL_TSI_YEAR", AST_TU_YEAR}, {"SQL_TSI_QUARTER", AST_TU_QUARTER},
    {"SQL_TSI_MONTH", AST_TU_MONTH}, {"SQL_TSI_WEEK", AST_TU_WEEK},
    {"SQL_TSI_DAY", AST_TU_DAY}, {"SQL_TSI_HOUR", AST_TU_HOUR},
    {"SQL_TSI_MINUTE", AST_TU_MINUTE}, {"SQL_TSI_SECOND", AST_TU_SECOND},
    {"SQL_TSI_MICROSECOND", AST_TU_MICROSECOND},
    {"FRAC_SECOND", AST_TU_MICROSECOND},
};

static enum ast_time_unit unit_of_tok(struct parser *p, const struct sql_token *t)
{
    if (t->type != TK_IDENT)
        return AST_TU_NONE;
    for (size_t k = 0; k < sizeof(unit_words) / sizeof(unit_words[0]); k++)
        if ((size_t)t->length == strlen(unit_words[k].word)
            && strncasecmp(p->text + t->offset, unit_words[k].word, (size_t)t->length) == 0)
            return unit_words[k].unit;
    return AST_TU_NONE;
}

#define UNIT_EXPECTED "a time unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...)"

static enum ast_time_unit parse_unit(struct parser *p, struct weir_loc *loc)
{
    enum ast_time_unit u = unit_of_tok(p, tok(p));
    if (u == AST_TU_NONE)
        fail_expected(p, UNIT_EXPECTED);
    if (loc)
        *loc = tok_loc(tok(p));
    advance(p);
    return u;
}

static struct ast_expr *symbol_expr(struct parser *p, const char *name, enum ast_time_unit u,
                                    struct weir_loc loc)
{
    struct ast_expr *e = new_expr(p, AST_E_SYMBOL, loc);
    e->u.symbol.name = name;
    e->u.symbol.unit = u;
    return e;
}

static struct ast_expr *parse_unit_symbol(struct parser *p)
{
    struct weir_loc l;
    enum ast_time_unit u = parse_unit(p, &l);
    return symbol_expr(p, ast_time_unit_name(u), u, l);
}

static bool unit_is_ym(enum ast_time_unit u)
{
    return u == AST_TU_YEAR || u == AST_TU_MONTH || u == AST_TU_QUARTER;
}

static int unit_rank(enum ast_time_unit u)
{
    switch (u) {
    case AST_TU_YEAR: return 0;
    case AST_TU_MONTH: return 1;
    case AST_TU_DAY: return 2;
    case AST_TU_HOUR: return 3;
    case AST_TU_MINUTE: return 4;
    case AST_TU_SECOND: return 5;
    default: return -1;
    }
}

/* unit [(p [, fp])] [TO unit [(fp)]] */
static struct ast_interval_qual parse_interval_qual(struct parser *p)
{
    struct ast_interval_qual q = {AST_TU_NONE, AST_TU_NONE, -1, -1, WEIR_LOC_NONE};
    int start = tok(p)->offset;
    q.start = parse_unit(p, NULL);
    if (accept(p, TK_LPAREN)) {
        q.start_precision = parse_int_value(p, "a precision");
        if (accept(p, TK_COMMA)) {
            if (q.start != AST_TU_SECOND)
                fail_expected(p, "\")\"");
            q.frac_precision = parse_int_value(p, "a fractional precision");
        }
        expect(p, TK_RPAREN, "\")\"");
    }
    if (is_kw(p, KW_TO)) {
        struct sql_token *to = advance(p);
        struct weir_loc ul;
        q.end = parse_unit(p, &ul);
        int r0 = unit_rank(q.start), r1 = unit_rank(q.end);
        if (r0 < 0 || r1 <= r0 || unit_is_ym(q.start) != unit_is_ym(q.end))
            fail_at(p, WEIR_ERR_SYNTAX, ast_loc_span(tok_loc(to), ul),
                    "invalid interval qualifier %s TO %s: expected YEAR TO MONTH, "
                    "DAY TO HOUR|MINUTE|SECOND, HOUR TO MINUTE|SECOND or MINUTE TO SECOND",
                    ast_time_unit_name(q.start), ast_time_unit_name(q.end));
        if (q.end == AST_TU_SECOND && accept(p, TK_LPAREN)) {
            q.frac_precision = parse_int_value(p, "a fractional precision");
            expect(p, TK_RPAREN, "\")\"");
        }
    }
    q.loc = span_from(p, start);
    return q;
}

/* ============================================================ hints */

struct hint_lexer {
    struct parser *p;
    struct sql_lexer lx;
    struct sql_token t;
};

static void hint_next(struct hint_lexer *h)
{
    struct weir_error e = {0};
    if (sql_lex_next(&h->lx, &h->t, &e) != WEIR_OK) {
        struct weir_loc l = e.loc;
        int code = e.code;
        const char *m = arena_strdup(h->p->a, e.message ? e.message : "lexical error");
        err_clear(&e);
        fail_at(h->p, code, l, "%s", m);
    }
    if (h->t.type == TK_HINT)
        fail_at(h->p, WEIR_ERR_SYNTAX, tok_loc(&h->t), "nested hint comment");
}

static _Noreturn void hint_fail(struct hint_lexer *h, const char *expected)
{
    struct parser *p = h->p;
    if (h->t.type == TK_EOF)
        fail_at(p, WEIR_ERR_SYNTAX, (struct weir_loc){h->t.offset, 1},
                "unexpected end of hint: expected %s", expected);
    fail_at(p, WEIR_ERR_SYNTAX, tok_loc(&h->t), "syntax error in hint near \"%s\": expected %s",
            tok_text(p, &h->t), expected);
}

static const char *hint_word(struct hint_lexer *h)
{
    struct parser *p = h->p;
    if (h->t.type == TK_IDENT || h->t.type == TK_QIDENT)
        return ident_value(p, &h->t);
    if (h->t.type == TK_STRING)
        return string_value(p, &h->t);
    if (h->t.type == TK_INTEGER || h->t.type == TK_DECIMAL)
        return arena_strndup(p->a, p->text + h->t.offset, (size_t)h->t.length);
    hint_fail(h, "a hint argument");
}

/* Hint text: NAME [ '(' ( 'k' = 'v' | arg ) , ... ')' ] , ... */
static void parse_hint_token(struct parser *p, const struct sql_token *ht, struct avec *out)
{
    struct hint_lexer h = {.p = p};
    sql_lex_init_range(&h.lx, p->text, ht->offset + 3, ht->offset + ht->length - 2);
    hint_next(&h);
    if (h.t.type == TK_EOF)
        fail_at(p, WEIR_ERR_SYNTAX, tok_loc(ht), "empty hint");
    for (;;) {
        struct ast_hint *hint = av_push(p, out, sizeof(struct ast_hint));
        if (h.t.type != TK_IDENT && h.t.type != TK_QIDENT)
            hint_fail(&h, "a hint name");
        int start = h.t.offset;
        hint->name = ident_value(p, &h.t);
        int end = h.t.offset + h.t.length;
        hint_next(&h);
        if (h.t.type == TK_LPAREN) {
            struct avec opts = {0}, args = {0};
            hint_next(&h);
            while (h.t.type != TK_RPAREN) {
                struct weir_loc kl = tok_loc(&h.t);
                const char *w = hint_word(&h);
                hint_next(&h);
                if (h.t.type == TK_EQ) {
                    hint_next(&h);
                    struct ast_option *o = av_push(p, &opts, sizeof(*o));
                    o->key = w;
                    o->key_loc = kl;
                    o->value_loc = tok_loc(&h.t);
                    o->value = hint_word(&h);
                    hint_next(&h);
                } else {
                    PV_PUSH(p, args, (void *)w);
                }
                if (h.t.type == TK_COMMA)
                    hint_next(&h);
                else if (h.t.type != TK_RPAREN)
                    hint_fail(&h, "\",\" or \")\"");
            }
            end = h.t.offset + h.t.length;
            hint_next(&h);
            if (opts.n && args.n)
                fail_at(p, WEIR_ERR_SYNTAX, (struct weir_loc){start, end - start},
                        "hint %s mixes 'key' = 'value' options and plain arguments",
                        hint->name);
            hint->options = opts.v;
            hint->n_options = opts.n;
            hint->args = args.v;
            hint->n_args = args.n;
        }
        hint->loc = (struct weir_loc){start, end - start};
        if (h.t.type == TK_COMMA) {
            hint_next(&h);
            continue;
        }
        if (h.t.type != TK_EOF)
            hint_fail(&h, "\",\" or the end of the hint");
        break;
    }
}

static void parse_hints(struct parser *p, struct ast_hint **hints, int *n)
{
    struct avec v = {0};
    while (is_tk(p, TK_HINT))
        parse_hint_token(p, advance(p), &v);
    *hints = v.v;
    *n = v.n;
}

/* Hints are only meaningful after SELECT, INSERT INTO t and table names; in
 * any other spot they are treated like comments, as Flink does. */
static void skip_stray_hints(struct parser *p)
{
    while (is_tk(p, TK_HINT))
        advance(p);
}

/* ============================================================ windows */

static struct ast_order_item *parse_order_list(struct parser *p, int *n_out)
{
    struct avec v = {0};
    do {
        int start = tok(p)->offset;
        struct ast_order_item *o = av_push(p, &v, sizeof(*o));
        o->expr = parse_expr(p);
        if (accept_kw(p, KW_DESC))
            o->desc = true;
        else
            accept_kw(p, KW_ASC);
        if (is_kw(p, KW_NULLS)) {
            advance(p);
            if (accept_kw(p, KW_FIRST))
                o->nulls = 1;
            else if (accept_kw(p, KW_LAST))
                o->nulls = 2;
            else
                fail_expected(p, "FIRST or LAST");
        }
        o->loc = span_from(p, start);
    } while (accept(p, TK_COMMA));
    *n_out = v.n;
    return v.v;
}

static struct ast_frame_bound parse_frame_bound(struct parser *p)
{
    struct ast_frame_bound b = {0};
    int start = tok(p)->offset;
    if (is_kw(p, KW_UNBOUNDED)) {
        advance(p);
        if (accept_kw(p, KW_PRECEDING))
            b.kind = AST_FB_UNBOUNDED_PRECEDING;
        else if (accept_kw(p, KW_FOLLOWING))
            b.kind = AST_FB_UNBOUNDED_FOLLOWING;
        else
            fail_expected(p, "PRECEDING or FOLLOWING");
    } else if (is_kw(p, KW_CURRENT)) {
        advance(p);
        expect_kw(p, KW_ROW, "ROW");
        b.kind = AST_FB_CURRENT_ROW;
    } else {
        b.offset = parse_additive(p);
        if (accept_kw(p, KW_PRECEDING))
            b.kind = AST_FB_PRECEDING;
        else if (accept_kw(p, KW_FOLLOWING))
            b.kind = AST_FB_FOLLOWING;
        else
            fail_expected(p, "PRECEDING or FOLLOWING");
    }
    b.loc = span_from(p, start);
    return b;
}

/* Inside the parentheses of OVER (...) / WINDOW w AS (...). */
static struct ast_window *parse_window_spec(struct parser *p, int start)
{
    struct ast_window *w = arena_calloc(p->a, sizeof(*w));
    if (is_ident(p) && !is_kw(p, KW_PARTITION) && !is_kw(p, KW_ORDER)) {
        w->ref = parse_ident(p, "a window name", &w->ref_loc);
    }
    if (accept_kw(p, KW_PARTITION)) {
        expect_kw(p, KW_BY, "BY");
        struct avec v = {0};
        do {
            PV_PUSH(p, v, parse_expr(p));
        } while (accept(p, TK_COMMA));
        w->partition_by = v.v;
        w->n_partition_by = v.n;
    }
    if (accept_kw(p, KW_ORDER)) {
        expect_kw(p, KW_BY, "BY");
        w->order_by = parse_order_list(p, &w->n_order_by);
    }
    if (is_kw(p, KW_ROWS) || is_kw(p, KW_RANGE)) {
        w->has_frame = true;
        w->rows = is_kw(p, KW_ROWS);
        advance(p);
        if (accept_kw(p, KW_BETWEEN)) {
            w->lo = parse_frame_bound(p);
            expect_kw(p, KW_AND, "AND");
            w->hi = parse_frame_bound(p);
        } else {
            w->lo = parse_frame_bound(p);
            w->hi.kind = AST_FB_CURRENT_ROW;
            w->hi.loc = w->lo.loc;
        }
    }
    expect(p, TK_RPAREN, w->has_frame ? "\")\""
                                      : "PARTITION BY, ORDER BY, ROWS, RANGE or \")\"");
    w->loc = span_from(p, start);
    return w;
}

/* ============================================================ calls */

static struct ast_expr *make_call(struct parser *p, const char *name, struct weir_loc name_loc,
                                  struct avec *args, int start)
{
    struct ast_expr *e = new_expr(p, AST_E_CALL, WEIR_LOC_NONE);
    e->u.call.name = name1(p, name, name_loc);
    e->u.call.args = args->v;
    e->u.call.n_args = args->n;
    e->loc = span_from(p, start);
    return e;
}

static struct ast_expr *string_lit(struct parser *p, const char *s, struct weir_loc loc)
{
    struct ast_expr *e = new_expr(p, AST_E_LITERAL, loc);
    e->u.lit.kind = AST_LIT_STRING;
    e->u.lit.text = s;
    return e;
}

/* A general call argument: name => value, TABLE t, DESCRIPTOR(..), expr. */
static struct ast_expr *parse_call_arg(struct parser *p)
{
    int start = tok(p)->offset;
    if (is_ident(p) && peek(p, 1)->type == TK_ARROW) {
        struct ast_expr *e = new_expr(p, AST_E_NAMED_ARG, WEIR_LOC_NONE);
        e->u.named_arg.name = parse_ident(p, "an argument name", &e->u.named_arg.name_loc);
        advance(p);     /* => */
        e->u.named_arg.value = parse_call_arg(p);
        e->loc = span_from(p, start);
        return e;
    }
    if (is_kw(p, KW_TABLE) && peek(p, 1)->type != TK_LPAREN) {
        advance(p);
        struct ast_expr *e = new_expr(p, AST_E_TABLE_ARG, WEIR_LOC_NONE);
        e->u.table_arg.name = parse_name(p, "a table name");
        if (accept_kw(p, KW_PARTITION)) {
            expect_kw(p, KW_BY, "BY");
            struct avec v = {0};
            if (accept(p, TK_LPAREN)) {
                do {
                    PV_PUSH(p, v, parse_expr(p));
                } while (accept(p, TK_COMMA));
                expect(p, TK_RPAREN, "\",\" or \")\"");
            } else {
                do {
                    PV_PUSH(p, v, parse_additive(p));
                } while (is_tk(p, TK_COMMA) && !peek_kw(p, 1, KW_DESCRIPTOR)
                         && !(peek(p, 1)->type == TK_IDENT && peek(p, 2)->type == TK_ARROW)
                         && accept(p, TK_COMMA));
            }
            e->u.table_arg.partition_by = v.v;
            e->u.table_arg.n_partition_by = v.n;
        }
        if (accept_kw(p, KW_ORDER)) {
            expect_kw(p, KW_BY, "BY");
            e->u.table_arg.order_by = parse_order_list(p, &e->u.table_arg.n_order_by);
        }
        e->loc = span_from(p, start);
        return e;
    }
    if (is_kw(p, KW_DESCRIPTOR) && peek(p, 1)->type == TK_LPAREN) {
        advance(p);
        advance(p);
        struct ast_expr *e = new_expr(p, AST_E_DESCRIPTOR, WEIR_LOC_NONE);
        struct avec v = {0};
        do {
            struct ast_name *n = av_push(p, &v, sizeof(*n));
            *n = parse_name(p, "a column name");
        } while (accept(p, TK_COMMA));
        expect(p, TK_RPAREN, "\",\" or \")\"");
        e->u.descriptor.cols = v.v;
        e->u.descriptor.n_cols = v.n;
        e->loc = span_from(p, start);
        return e;
    }
    if (is_kw(p, KW_DEFAULT)) {
        advance(p);
        return new_expr(p, AST_E_DEFAULT, span_from(p, start));
    }
    return parse_expr(p);
}

static enum ast_json_behavior parse_json_behavior(struct parser *p, struct ast_expr **def,
                                                  bool *matched)
{
    *matched = true;
    if (is_kw(p, KW_NULL) && (peek_kw(p, 1, KW_ON))) {
        advance(p);
        return AST_JB_NULL;
    }
    if (is_kw(p, KW_ERROR) && peek_kw(p, 1, KW_ON)) {
        advance(p);
        return AST_JB_ERROR;
    }
    if (is_kw(p, KW_DEFAULT)) {
        advance(p);
        *def = parse_expr(p);
        return AST_JB_DEFAULT;
    }
    if (is_kw(p, KW_TRUE) && peek_kw(p, 1, KW_ON)) {
        advance(p);
        return AST_JB_TRUE;
    }
    if (is_kw(p, KW_FALSE) && peek_kw(p, 1, KW_ON)) {
        advance(p);
        return AST_JB_FALSE;
    }
    if (is_kw(p, KW_UNKNOWN) && peek_kw(p, 1, KW_ON)) {
        advance(p);
        return AST_JB_UNKNOWN;
    }
    if (is_kw(p, KW_ABSENT) && peek_kw(p, 1, KW_ON)) {
        advance(p);
        return AST_JB_ABSENT;
    }
    if (is_kw(p, KW_EMPTY)) {
        advance(p);
        if (accept_kw(p, KW_ARRAY))
            return AST_JB_EMPTY_ARRAY;
        if (is_word(p, "OBJECT")) {
            advance(p);
            return AST_JB_EMPTY_OBJECT;
        }
        fail_expected(p, "ARRAY or OBJECT");
    }
    *matched = false;
    return AST_JB_NONE;
}

/* The JSON_* tails: RETURNING type, wrappers, ... ON EMPTY / ON ERROR / ON NULL. */
static void parse_json_tail(struct parser *p, struct ast_expr *call)
{
    if (is_kw(p, KW_RETURNING)) {
        advance(p);
        call->u.call.returning = parse_type(p, &call->u.call.returning_loc);
    }
    if (is_kw(p, KW_WITHOUT) || (is_kw(p, KW_WITH) && !peek_kw(p, 1, KW_ON))) {
        bool without = is_kw(p, KW_WITHOUT);
        advance(p);
        enum ast_json_wrapper w = without ? AST_JW_WITHOUT : AST_JW_WITH_UNCONDITIONAL;
        if (!without && accept_kw(p, KW_CONDITIONAL))
            w = AST_JW_WITH_CONDITIONAL;
        else if (!without)
            accept_kw(p, KW_UNCONDITIONAL);
        accept_kw(p, KW_ARRAY);
        expect_kw(p, KW_WRAPPER, "WRAPPER");
        call->u.call.wrapper = w;
    }
    for (;;) {
        struct ast_expr *def = NULL;
        bool matched;
        int start = tok(p)->offset;
        enum ast_json_behavior b = parse_json_behavior(p, &def, &matched);
        if (!matched)
            break;
        expect_kw(p, KW_ON, "ON");
        if (accept_kw(p, KW_EMPTY)) {
            call->u.call.on_empty = b;
            call->u.call.on_empty_default = def;
        } else if (accept_kw(p, KW_ERROR)) {
            call->u.call.on_error = b;
            call->u.call.on_error_default = def;
        } else if (accept_kw(p, KW_NULL)) {
            call->u.call.on_null = b;
        } else {
            fail_expected(p, "EMPTY, ERROR or NULL");
        }
        (void)start;
    }
}

/* After the name and '(' of a call: the special forms, then generic args. */
static struct ast_expr *parse_call_rest(struct parser *p, struct ast_name name, int start)
{
    const char *fn = name.n_parts == 1 ? name.parts[0] : "";
    struct avec args = {0};
    struct ast_expr *e;
#define FN(s) (strcasecmp(fn, s) == 0)

    if (FN("EXTRACT")) {
        PV_PUSH(p, args, parse_unit_symbol(p));
        expect_kw(p, KW_FROM, "FROM");
        PV_PUSH(p, args, parse_expr(p));
        expect(p, TK_RPAREN, "\")\"");
        return make_call(p, "EXTRACT", name.loc, &args, start);
    }
    if (FN("POSITION")) {
        PV_PUSH(p, args, parse_additive(p));
        if (accept_kw(p, KW_IN)) {
            PV_PUSH(p, args, parse_additive(p));
            if (accept_kw(p, KW_FROM))
                PV_PUSH(p, args, parse_additive(p));
        } else {
            fail_expected(p, "IN");
        }
        expect(p, TK_RPAREN, "\")\"");
        return make_call(p, "POSITION", name.loc, &args, start);
    }
    if (FN("SUBSTRING")) {
        PV_PUSH(p, args, parse_expr(p));
        if (accept_kw(p, KW_FROM)) {
            PV_PUSH(p, args, parse_expr(p));
            if (accept_kw(p, KW_FOR))
                PV_PUSH(p, args, parse_expr(p));
        } else {
            while (accept(p, TK_COMMA))
                PV_PUSH(p, args, parse_expr(p));
        }
        expect(p, TK_RPAREN, "FROM, \",\" or \")\"");
        return make_call(p, "SUBSTRING", name.loc, &args, start);
    }
    if (FN("OVERLAY")) {
        PV_PUSH(p, args, parse_expr(p));
        if (!is_word(p, "PLACING"))
            fail_expected(p, "PLACING");
        advance(p);
        PV_PUSH(p, args, parse_expr(p));
        expect_kw(p, KW_FROM, "FROM");
        PV_PUSH(p, args, parse_expr(p));
        if (accept_kw(p, KW_FOR))
            PV_PUSH(p, args, parse_expr(p));
        expect(p, TK_RPAREN, "FOR or \")\"");
        return make_call(p, "OVERLAY", name.loc, &args, start);
    }
    if (FN("TRIM")) {
        /* TRIM([BOTH|LEADING|TRAILING] [chars] FROM s) | TRIM(s) */
        const char *how = "BOTH";
        struct weir_loc how_loc = tok_loc(tok(p));
        bool explicit_how = false;
        if (is_kw(p, KW_BOTH) || is_kw(p, KW_LEADING) || is_kw(p, KW_TRAILING)) {
            how = sql_lex_keyword_text(tok(p)->kw);
            explicit_how = true;
            advance(p);
        }
        struct ast_expr *chars = NULL, *src;
        if (accept_kw(p, KW_FROM)) {
            src = parse_expr(p);
        } else {
            struct ast_expr *x = parse_expr(p);
            if (accept_kw(p, KW_FROM)) {
                chars = x;
                src = parse_expr(p);
            } else {
                if (explicit_how)
                    fail_expected(p, "FROM");
                src = x;
            }
        }
        expect(p, TK_RPAREN, "FROM or \")\"");
        PV_PUSH(p, args, symbol_expr(p, how, AST_TU_NONE, how_loc));
        PV_PUSH(p, args, chars ? chars : string_lit(p, " ", how_loc));
        PV_PUSH(p, args, src);
        return make_call(p, "TRIM", name.loc, &args, start);
    }
    if (FN("CAST") || FN("TRY_CAST")) {
        e = new_expr(p, AST_E_CAST, WEIR_LOC_NONE);
        e->u.cast.try_cast = FN("TRY_CAST");
        e->u.cast.arg = parse_expr(p);
        expect_kw(p, KW_AS, "AS");
        e->u.cast.type = parse_type(p, &e->u.cast.type_loc);
        expect(p, TK_RPAREN, "\")\"");
        e->loc = span_from(p, start);
        return e;
    }
    if ((FN("TIMESTAMPADD") || FN("TIMESTAMPDIFF")) && !is_tk(p, TK_RPAREN)) {
        PV_PUSH(p, args, parse_unit_symbol(p));
        while (accept(p, TK_COMMA))
            PV_PUSH(p, args, parse_expr(p));
        expect(p, TK_RPAREN, "\",\" or \")\"");
        return make_call(p, FN("TIMESTAMPADD") ? "TIMESTAMPADD" : "TIMESTAMPDIFF",
                         name.loc, &args, start);
    }
    if (FN("JSON_OBJECT")) {
        e = new_expr(p, AST_E_CALL, WEIR_LOC_NONE);
        while (!is_tk(p, TK_RPAREN)) {
            struct ast_expr *def = NULL;
            bool matched;
            enum ast_json_behavior b = parse_json_behavior(p, &def, &matched);
            if (matched) {
                expect_kw(p, KW_ON, "ON");
                expect_kw(p, KW_NULL, "NULL");
                e->u.call.on_null = b;
                break;
            }
            accept_kw(p, KW_KEY);
            PV_PUSH(p, args, parse_additive(p));
            if (!accept_kw(p, KW_VALUE) && !accept(p, TK_COLON))
                fail_expected(p, "VALUE");
            PV_PUSH(p, args, parse_expr(p));
            if (!accept(p, TK_COMMA)) {
                b = parse_json_behavior(p, &def, &matched);
                if (matched) {
                    expect_kw(p, KW_ON, "ON");
                    expect_kw(p, KW_NULL, "NULL");
                    e->u.call.on_null = b;
                }
                break;
            }
        }
        expect(p, TK_RPAREN, "\",\", NULL ON NULL, ABSENT ON NULL or \")\"");
        struct ast_expr *c = make_call(p, "JSON_OBJECT", name.loc, &args, start);
        c->u.call.on_null = e->u.call.on_null;
        return c;
    }
    if (FN("JSON_ARRAY")) {
        enum ast_json_behavior on_null = AST_JB_NONE;
        while (!is_tk(p, TK_RPAREN)) {
            struct ast_expr *def = NULL;
            bool matched;
            enum ast_json_behavior b = parse_json_behavior(p, &def, &matched);
            if (matched) {
                expect_kw(p, KW_ON, "ON");
                expect_kw(p, KW_NULL, "NULL");
                on_null = b;
                break;
            }
            PV_PUSH(p, args, parse_expr(p));
            if (!accept(p, TK_COMMA)) {
                b = parse_json_behavior(p, &def, &matched);
                if (matched) {
                    expect_kw(p, KW_ON, "ON");
                    expect_kw(p, KW_NULL, "NULL");
                    on_null = b;
                }
                break;
            }
        }
        expect(p, TK_RPAREN, "\",\", NULL ON NULL, ABSENT ON NULL or \")\"");
        struct ast_expr *c = make_call(p, "JSON_ARRAY", name.loc, &args, start);
        c->u.call.on_null = on_null;
        return c;
    }
    if (FN("JSON_VALUE") || FN("JSON_QUERY") || FN("JSON_EXISTS")) {
        PV_PUSH(p, args, parse_expr(p));
        expect(p, TK_COMMA, "\",\"");
        PV_PUSH(p, args, parse_expr(p));
        e = new_expr(p, AST_E_CALL, WEIR_LOC_NONE);
        parse_json_tail(p, e);
        expect(p, TK_RPAREN, "RETURNING, ON EMPTY, ON ERROR or \")\"");
        struct ast_expr *c = make_call(p, FN("JSON_VALUE") ? "JSON_VALUE"
                                          : FN("JSON_QUERY") ? "JSON_QUERY" : "JSON_EXISTS",
                                       name.loc, &args, start);
        c->u.call.returning = e->u.call.returning;
        c->u.call.returning_loc = e->u.call.returning_loc;
        c->u.call.on_empty = e->u.call.on_empty;
        c->u.call.on_error = e->u.call.on_error;
        c->u.call.on_empty_default = e->u.call.on_empty_default;
        c->u.call.on_error_default = e->u.call.on_error_default;
        c->u.call.wrapper = e->u.call.wrapper;
        return c;
    }

    /* Generic: f([DISTINCT|ALL] args) or f(*) */
    e = new_expr(p, AST_E_CALL, WEIR_LOC_NONE);
    e->u.call.name = name;
    if (is_tk(p, TK_STAR) && peek(p, 1)->type == TK_RPAREN) {
        advance(p);
        e->u.call.star = true;
    } else if (!is_tk(p, TK_RPAREN)) {
        if (accept_kw(p, KW_DISTINCT))
            e->u.call.distinct = true;
        else
            accept_kw(p, KW_ALL);
        PV_PUSH(p, args, parse_call_arg(p));
        /* FLOOR(x TO unit) / CEIL(x TO unit) */
        if ((FN("FLOOR") || FN("CEIL") || FN("CEILING")) && accept_kw(p, KW_TO))
            PV_PUSH(p, args, parse_unit_symbol(p));
        while (accept(p, TK_COMMA))
            PV_PUSH(p, args, parse_call_arg(p));
    }
    expect(p, TK_RPAREN, "\",\" or \")\"");
    e->u.call.args = args.v;
    e->u.call.n_args = args.n;
#undef FN
    if (is_kw(p, KW_WITHIN) && peek_kw(p, 1, KW_GROUP)) {
        advance(p);
        advance(p);
        expect(p, TK_LPAREN, "\"(\"");
        expect_kw(p, KW_ORDER, "ORDER BY");
        expect_kw(p, KW_BY, "BY");
        e->u.call.within_group = parse_order_list(p, &e->u.call.n_within_group);
        expect(p, TK_RPAREN, "\")\"");
    }
    if (is_kw(p, KW_FILTER)) {
        advance(p);
        expect(p, TK_LPAREN, "\"(\"");
        expect_kw(p, KW_WHERE, "WHERE");
        e->u.call.filter = parse_expr(p);
        expect(p, TK_RPAREN, "\")\"");
    }
    if (is_kw(p, KW_OVER)) {
        int ostart = advance(p)->offset;
        if (accept(p, TK_LPAREN)) {
            e->u.call.over = parse_window_spec(p, ostart);
        } else {
            struct ast_window *w = arena_calloc(p->a, sizeof(*w));
            w->ref = parse_ident(p, "a window name or \"(\"", &w->ref_loc);
            w->loc = span_from(p, ostart);
            e->u.call.over = w;
        }
    }
    e->loc = span_from(p, start);
    return e;
}

/* ============================================================ expressions */

static struct ast_expr *parse_case(struct parser *p, int start)
{
    struct ast_expr *e = new_expr(p, AST_E_CASE, WEIR_LOC_NONE);
    struct avec whens = {0}, thens = {0};
    if (!is_kw(p, KW_WHEN))
        e->u.case_.operand = parse_expr(p);
    if (!is_kw(p, KW_WHEN))
        fail_expected(p, "WHEN");
    while (accept_kw(p, KW_WHEN)) {
        PV_PUSH(p, whens, parse_expr(p));
        expect_kw(p, KW_THEN, "THEN");
        PV_PUSH(p, thens, parse_expr(p));
    }
    if (accept_kw(p, KW_ELSE))
        e->u.case_.else_expr = parse_expr(p);
    expect_kw(p, KW_END, e->u.case_.else_expr ? "END" : "WHEN, ELSE or END");
    e->u.case_.whens = whens.v;
    e->u.case_.thens = thens.v;
    e->u.case_.n_whens = whens.n;
    e->loc = span_from(p, start);
    return e;
}

static struct ast_expr *parse_literal_typed(struct parser *p, enum ast_lit_kind k, int start)
{
    struct ast_expr *e = new_expr(p, AST_E_LITERAL, WEIR_LOC_NONE);
    e->u.lit.kind = k;
    e->u.lit.text = parse_string(p, "a string literal", NULL);
    e->loc = span_from(p, start);
    return e;
}

static struct ast_expr *parse_interval_literal(struct parser *p, int start)
{
    struct ast_expr *e = new_expr(p, AST_E_LITERAL, WEIR_LOC_NONE);
    e->u.lit.kind = AST_LIT_INTERVAL;
    if (accept(p, TK_MINUS))
        e->u.lit.negative = true;
    else
        accept(p, TK_PLUS);
    if (is_tk(p, TK_INTEGER) || is_tk(p, TK_DECIMAL)) {
        /* INTERVAL 10 MINUTE: accepted like the quoted form */
        struct sql_token *t = advance(p);
        e->u.lit.text = arena_strndup(p->a, p->text + t->offset, (size_t)t->length);
    } else {
        e->u.lit.text = parse_string(p, "a string literal such as '10'", NULL);
    }
    e->u.lit.interval = parse_interval_qual(p);
    e->loc = span_from(p, start);
    return e;
}

static bool is_niladic_kw(int kw)
{
    switch (kw) {
    case KW_CURRENT_TIMESTAMP: case KW_CURRENT_DATE: case KW_CURRENT_TIME:
    case KW_LOCALTIMESTAMP: case KW_LOCALTIME: case KW_CURRENT_USER:
    case KW_CURRENT_CATALOG:
        return true;
    /* USER, SESSION_USER, ... are niladic in Calcite too, but a bare `user` is
     * far more often a column someone forgot to quote: say so instead. */
    default:
        return false;
    }
}

/* '[' items ']' for ARRAY / MAP constructors */
static struct ast_expr *parse_bracket_list(struct parser *p, enum ast_expr_kind k, int start)
{
    struct ast_expr *e = new_expr(p, k, WEIR_LOC_NONE);
    struct avec v = {0};
    expect(p, TK_LBRACKET, "\"[\"");
    if (!is_tk(p, TK_RBRACKET)) {
        do {
            PV_PUSH(p, v, parse_expr(p));
        } while (accept(p, TK_COMMA));
    }
    expect(p, TK_RBRACKET, "\",\" or \"]\"");
    if (k == AST_E_MAP && v.n % 2 != 0)
        fail_at(p, WEIR_ERR_SYNTAX, span_from(p, start),
                "MAP[...] needs an even number of items (key, value, ...)");
    e->u.list.items = v.v;
    e->u.list.n_items = v.n;
    e->loc = span_from(p, start);
    return e;
}

#define EXPR_EXPECTED "an expression"

static struct ast_expr *parse_primary(struct parser *p)
{
    struct sql_token *t = tok(p);
    int start = t->offset;
    struct ast_expr *e;

    switch (t->type) {
    case TK_INTEGER:
    case TK_DECIMAL:
    case TK_APPROX:
        advance(p);
        e = new_expr(p, AST_E_LITERAL, tok_loc(t));
        e->u.lit.kind = t->type == TK_INTEGER ? AST_LIT_INTEGER
                        : t->type == TK_DECIMAL ? AST_LIT_DECIMAL : AST_LIT_APPROX;
        e->u.lit.text = arena_strndup(p->a, p->text + t->offset, (size_t)t->length);
        return e;
    case TK_STRING:
    case TK_USTRING:
        e = new_expr(p, AST_E_LITERAL, tok_loc(t));
        e->u.lit.kind = AST_LIT_STRING;
        e->u.lit.text = parse_string(p, "a string", NULL);
        return e;
    case TK_BINSTRING: {
        advance(p);
        e = new_expr(p, AST_E_LITERAL, tok_loc(t));
        e->u.lit.kind = AST_LIT_BINARY;
        const char *hex = string_value(p, t);
        size_t n = strlen(hex);
        for (size_t k = 0; k < n; k++) {
            char c = hex[k];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                fail_at(p, WEIR_ERR_SYNTAX, tok_loc(t),
                        "binary literal %s has a character that is not a hex digit",
                        tok_text(p, t));
        }
        if (n % 2)
            fail_at(p, WEIR_ERR_SYNTAX, tok_loc(t),
                    "binary literal %s has an odd number of hex digits", tok_text(p, t));
        e->u.lit.text = hex;
        return e;
    }
    case TK_LPAREN: {
        if (starts_query_at(p, 1) || (peek(p, 1)->type == TK_LPAREN && paren_query_ahead(p)
                                      && starts_query_at(p, 2))) {
            /* scalar subquery */
            advance(p);
            e = new_expr(p, AST_E_SUBQUERY, WEIR_LOC_NONE);
            e->u.subquery.query = parse_query(p);
            expect(p, TK_RPAREN, "\")\"");
            e->loc = span_from(p, start);
            return e;
        }
        advance(p);
        struct ast_expr *first = parse_expr(p);
        if (is_tk(p, TK_COMMA)) {
            struct avec v = {0};
            PV_PUSH(p, v, first);
            while (accept(p, TK_COMMA))
                PV_PUSH(p, v, parse_expr(p));
            expect(p, TK_RPAREN, "\",\" or \")\"");
            e = new_expr(p, AST_E_ROW, span_from(p, start));
            e->u.list.items = v.v;
            e->u.list.n_items = v.n;
            return e;
        }
        expect(p, TK_RPAREN, "\")\"");
        /* keep the parentheses in the span: errors then point at "(a + b)" */
        first->loc = span_from(p, start);
        return first;
    }
    case TK_QUESTION:
        fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(t), "dynamic parameters (?) are not supported");
    case TK_QIDENT:
        break;
    case TK_IDENT:
        switch (t->kw) {
        case KW_TRUE: case KW_FALSE: case KW_UNKNOWN: case KW_NULL:
            advance(p);
            e = new_expr(p, AST_E_LITERAL, tok_loc(t));
            e->u.lit.kind = t->kw == KW_TRUE ? AST_LIT_TRUE : t->kw == KW_FALSE ? AST_LIT_FALSE
                            : t->kw == KW_UNKNOWN ? AST_LIT_UNKNOWN : AST_LIT_NULL;
            return e;
        case KW_DATE: case KW_TIME: case KW_TIMESTAMP: case KW_TIMESTAMP_LTZ:
            if (peek(p, 1)->type == TK_STRING) {
                advance(p);
                return parse_literal_typed(p, t->kw == KW_DATE ? AST_LIT_DATE
                                              : t->kw == KW_TIME ? AST_LIT_TIME
                                              : t->kw == KW_TIMESTAMP ? AST_LIT_TIMESTAMP
                                              : AST_LIT_TIMESTAMP_LTZ, start);
            }
            break;
        case KW_INTERVAL:
            advance(p);
            return parse_interval_literal(p, start);
        case KW_CASE:
            advance(p);
            return parse_case(p, start);
        case KW_CAST:
            if (peek(p, 1)->type == TK_LPAREN) {
                struct weir_loc nl = tok_loc(t);
                advance(p);
                advance(p);
                return parse_call_rest(p, name1(p, "CAST", nl), start);
            }
            break;
        case KW_EXISTS:
            advance(p);
            expect(p, TK_LPAREN, "\"(\"");
            e = new_expr(p, AST_E_EXISTS, WEIR_LOC_NONE);
            if (!starts_query_at(p, 0) && !paren_query_ahead(p))
                fail_expected(p, "a query (SELECT, VALUES or WITH)");
            e->u.subquery.query = parse_query(p);
            expect(p, TK_RPAREN, "\")\"");
            e->loc = span_from(p, start);
            return e;
        case KW_ROW:
            if (peek(p, 1)->type == TK_LPAREN) {
                advance(p);
                advance(p);
                struct avec v = {0};
                if (!is_tk(p, TK_RPAREN)) {
                    do {
                        PV_PUSH(p, v, parse_expr(p));
                    } while (accept(p, TK_COMMA));
                }
                expect(p, TK_RPAREN, "\",\" or \")\"");
                e = new_expr(p, AST_E_ROW, span_from(p, start));
                e->u.list.items = v.v;
                e->u.list.n_items = v.n;
                e->u.list.explicit_row = true;
                return e;
            }
            break;
        case KW_ARRAY:
            if (peek(p, 1)->type == TK_LBRACKET) {
                advance(p);
                return parse_bracket_list(p, AST_E_ARRAY, start);
            }
            if (peek(p, 1)->type == TK_LPAREN)
                fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(t),
                        "ARRAY(subquery) is not supported");
            break;
        case KW_MAP:
            if (peek(p, 1)->type == TK_LBRACKET) {
                advance(p);
                return parse_bracket_list(p, AST_E_MAP, start);
            }
            break;
        default:
            break;
        }
        if (is_niladic_kw(t->kw) && peek(p, 1)->type != TK_LPAREN) {
            advance(p);
            e = new_expr(p, AST_E_CALL, tok_loc(t));
            e->u.call.name = name1(p, sql_lex_keyword_text(t->kw), tok_loc(t));
            e->u.call.niladic = true;
            return e;
        }
        if (sql_lex_is_reserved(t->kw)) {
            if ((sql_lex_keyword_flags(t->kw) & KWF_F) && peek(p, 1)->type == TK_LPAREN) {
                advance(p);
                advance(p);
                return parse_call_rest(p, name1(p, ident_value(p, t), tok_loc(t)), start);
            }
            fail_reserved(p, EXPR_EXPECTED);
        }
        break;
    case TK_HINT:
        fail_at(p, WEIR_ERR_SYNTAX, tok_loc(t), "a hint is not allowed here");
    default:
        fail_expected(p, EXPR_EXPECTED);
    }

    /* identifier chain, maybe a call */
    if (is_tk(p, TK_IDENT) && is_word(p, "TRY_CAST") && peek(p, 1)->type == TK_LPAREN) {
        struct weir_loc nl = tok_loc(t);
        advance(p);
        advance(p);
        return parse_call_rest(p, name1(p, "TRY_CAST", nl), start);
    }
    struct avec parts = {0}, locs = {0};
    for (;;) {
        struct weir_loc l;
        PV_PUSH(p, parts, (void *)parse_ident(p, "an identifier", &l));
        *(struct weir_loc *)av_push(p, &locs, sizeof(struct weir_loc)) = l;
        if (!is_tk(p, TK_DOT) || peek(p, 1)->type == TK_STAR)
            break;
        advance(p);
    }
    struct ast_name n = {parts.n, parts.v, locs.v, span_from(p, start)};
    if (is_tk(p, TK_DOT) && peek(p, 1)->type == TK_STAR) {
        advance(p);
        advance(p);
        e = new_expr(p, AST_E_STAR, span_from(p, start));
        e->u.star.qualifier = n;
        return e;
    }
    if (accept(p, TK_LPAREN))
        return parse_call_rest(p, n, start);
    e = new_expr(p, AST_E_IDENT, n.loc);
    e->u.ident = n;
    return e;
}

static struct ast_expr *parse_postfix(struct parser *p)
{
    int start = tok(p)->offset;
    /* (r).f: after parentheses a dot is field access, even on a plain name */
    bool paren = is_tk(p, TK_LPAREN);
    struct ast_expr *e = parse_primary(p);
    for (;;) {
        if (accept(p, TK_LBRACKET)) {
            struct ast_expr *x = new_expr(p, AST_E_INDEX, WEIR_LOC_NONE);
            x->u.index.base = e;
            x->u.index.index = parse_expr(p);
            expect(p, TK_RBRACKET, "\"]\"");
            x->loc = span_from(p, start);
            e = x;
        } else if (is_tk(p, TK_DOT) && (paren || e->kind != AST_E_IDENT)) {
            advance(p);
            struct ast_expr *x = new_expr(p, AST_E_FIELD, WEIR_LOC_NONE);
            x->u.field.base = e;
            x->u.field.name = parse_ident(p, "a field name", &x->u.field.name_loc);
            x->loc = span_from(p, start);
            e = x;
        } else {
            return e;
        }
    }
}

static struct ast_expr *parse_unary(struct parser *p)
{
    if (is_tk(p, TK_MINUS) || is_tk(p, TK_PLUS)) {
        struct sql_token *t = advance(p);
        enter(p);
        struct ast_expr *arg = parse_unary(p);
        leave(p);
        /* fold -<number> into the literal text so that -2147483648 fits INT */
        if (t->type == TK_MINUS && arg->kind == AST_E_LITERAL
            && (arg->u.lit.kind == AST_LIT_INTEGER || arg->u.lit.kind == AST_LIT_DECIMAL
                || arg->u.lit.kind == AST_LIT_APPROX)
            && arg->u.lit.text[0] != '-' && arg->loc.offset == t->offset + 1) {
            arg->u.lit.text = arena_sprintf(p->a, "-%s", arg->u.lit.text);
            arg->loc = span_from(p, t->offset);
            return arg;
        }
        struct ast_expr *e = new_expr(p, AST_E_UNARY, span_from(p, t->offset));
        e->u.unary.op = t->type == TK_MINUS ? AST_OP_NEG : AST_OP_PLUS;
        e->u.unary.arg = arg;
        e->u.unary.op_loc = tok_loc(t);
        return e;
    }
    return parse_postfix(p);
}

static struct ast_expr *binary(struct parser *p, enum ast_binary_op op, struct ast_expr *l,
                               struct ast_expr *r, const struct sql_token *optok, int start)
{
    struct ast_expr *e = new_expr(p, AST_E_BINARY, span_from(p, start));
    e->u.binary.op = op;
    e->u.binary.left = l;
    e->u.binary.right = r;
    e->u.binary.op_loc = tok_loc(optok);
    return e;
}

static struct ast_expr *parse_multiplicative(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_expr *e = parse_unary(p);
    for (;;) {
        enum ast_binary_op op;
        switch (tok(p)->type) {
        case TK_STAR: op = AST_OP_MUL; break;
        case TK_SLASH: op = AST_OP_DIV; break;
        case TK_PERCENT: op = AST_OP_MOD; break;
        case TK_CONCAT: op = AST_OP_CONCAT; break;
        default: return e;
        }
        struct sql_token *t = advance(p);
        struct ast_expr *r = parse_unary(p);
        e = binary(p, op, e, r, t, start);
    }
}

static struct ast_expr *parse_additive(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_expr *e = parse_multiplicative(p);
    while (is_tk(p, TK_PLUS) || is_tk(p, TK_MINUS)) {
        struct sql_token *t = advance(p);
        struct ast_expr *r = parse_multiplicative(p);
        e = binary(p, t->type == TK_PLUS ? AST_OP_ADD : AST_OP_SUB, e, r, t, start);
    }
    return e;
}

/* BETWEEN / IN / LIKE / SIMILAR TO, optionally negated. */
static struct ast_expr *parse_predicate(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_expr *e = parse_additive(p);
    for (;;) {
        bool negated = false;
        int save = p->i;
        if (is_kw(p, KW_NOT) && (peek_kw(p, 1, KW_BETWEEN) || peek_kw(p, 1, KW_IN)
                                 || peek_kw(p, 1, KW_LIKE) || peek_kw(p, 1, KW_SIMILAR))) {
            advance(p);
            negated = true;
        }
        if (accept_kw(p, KW_BETWEEN)) {
            struct ast_expr *x = new_expr(p, AST_E_BETWEEN, WEIR_LOC_NONE);
            x->u.between.negated = negated;
            if (accept_kw(p, KW_SYMMETRIC))
                x->u.between.symmetric = true;
            else
                accept_kw(p, KW_ASYMMETRIC);
            x->u.between.arg = e;
            x->u.between.lo = parse_additive(p);
            expect_kw(p, KW_AND, "AND");
            x->u.between.hi = parse_additive(p);
            x->loc = span_from(p, start);
            e = x;
        } else if (accept_kw(p, KW_IN)) {
            struct ast_expr *x = new_expr(p, AST_E_IN, WEIR_LOC_NONE);
            x->u.in.negated = negated;
            x->u.in.arg = e;
            expect(p, TK_LPAREN, "\"(\"");
            if (starts_query_at(p, 0) || paren_query_ahead(p)) {
                x->u.in.query = parse_query(p);
            } else {
                struct avec v = {0};
                do {
                    PV_PUSH(p, v, parse_expr(p));
                } while (accept(p, TK_COMMA));
                x->u.in.list = v.v;
                x->u.in.n_list = v.n;
            }
            expect(p, TK_RPAREN, "\",\" or \")\"");
            x->loc = span_from(p, start);
            e = x;
        } else if (is_kw(p, KW_LIKE) || is_kw(p, KW_SIMILAR)) {
            struct ast_expr *x = new_expr(p, AST_E_LIKE, WEIR_LOC_NONE);
            x->u.like.negated = negated;
            x->u.like.similar = is_kw(p, KW_SIMILAR);
            advance(p);
            if (x->u.like.similar)
                expect_kw(p, KW_TO, "TO");
            x->u.like.arg = e;
            x->u.like.pattern = parse_additive(p);
            if (accept_kw(p, KW_ESCAPE))
                x->u.like.escape = parse_additive(p);
            x->loc = span_from(p, start);
            e = x;
        } else {
            p->i = save;
            return e;
        }
    }
}

static struct ast_expr *parse_comparison(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_expr *e = parse_predicate(p);
    for (;;) {
        enum ast_binary_op op;
        switch (tok(p)->type) {
        case TK_EQ: op = AST_OP_EQ; break;
        case TK_NE: op = AST_OP_NE; break;
        case TK_LT: op = AST_OP_LT; break;
        case TK_LE: op = AST_OP_LE; break;
        case TK_GT: op = AST_OP_GT; break;
        case TK_GE: op = AST_OP_GE; break;
        default: return e;
        }
        struct sql_token *t = advance(p);
        struct ast_expr *r = parse_predicate(p);
        e = binary(p, op, e, r, t, start);
    }
}

/* postfix IS [NOT] ... */
static struct ast_expr *parse_is(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_expr *e = parse_comparison(p);
    while (is_kw(p, KW_IS)) {
        struct sql_token *t = advance(p);
        bool negated = accept_kw(p, KW_NOT);
        if (accept_kw(p, KW_DISTINCT)) {
            expect_kw(p, KW_FROM, "FROM");
            struct ast_expr *r = parse_comparison(p);
            e = binary(p, negated ? AST_OP_IS_NOT_DISTINCT : AST_OP_IS_DISTINCT, e, r, t, start);
            continue;
        }
        struct ast_expr *x = new_expr(p, AST_E_IS, WEIR_LOC_NONE);
        x->u.is.arg = e;
        x->u.is.negated = negated;
        if (accept_kw(p, KW_NULL)) {
            x->u.is.test = AST_IS_NULL;
        } else if (accept_kw(p, KW_TRUE)) {
            x->u.is.test = AST_IS_TRUE;
        } else if (accept_kw(p, KW_FALSE)) {
            x->u.is.test = AST_IS_FALSE;
        } else if (accept_kw(p, KW_UNKNOWN)) {
            x->u.is.test = AST_IS_UNKNOWN;
        } else if (accept_kw(p, KW_JSON)) {
            x->u.is.test = AST_IS_JSON;
            if (accept_kw(p, KW_VALUE))
                x->u.is.json_kind = AST_JSON_VALUE;
            else if (accept_kw(p, KW_SCALAR))
                x->u.is.json_kind = AST_JSON_SCALAR;
            else if (accept_kw(p, KW_ARRAY))
                x->u.is.json_kind = AST_JSON_ARRAY;
            else if (is_word(p, "OBJECT")) {
                advance(p);
                x->u.is.json_kind = AST_JSON_OBJECT;
            }
        } else {
            fail_expected(p, negated ? "NULL, TRUE, FALSE, UNKNOWN, DISTINCT FROM or JSON"
                                     : "NOT, NULL, TRUE, FALSE, UNKNOWN, DISTINCT FROM or JSON");
        }
        x->loc = span_from(p, start);
        e = x;
    }
    return e;
}

static struct ast_expr *parse_not(struct parser *p)
{
    if (is_kw(p, KW_NOT)) {
        struct sql_token *t = advance(p);
        enter(p);
        struct ast_expr *arg = parse_not(p);
        leave(p);
        struct ast_expr *e = new_expr(p, AST_E_UNARY, span_from(p, t->offset));
        e->u.unary.op = AST_OP_NOT;
        e->u.unary.arg = arg;
        e->u.unary.op_loc = tok_loc(t);
        return e;
    }
    return parse_is(p);
}

static struct ast_expr *parse_and(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_expr *e = parse_not(p);
    while (is_kw(p, KW_AND)) {
        struct sql_token *t = advance(p);
        struct ast_expr *r = parse_not(p);
        e = binary(p, AST_OP_AND, e, r, t, start);
    }
    return e;
}

static struct ast_expr *parse_expr(struct parser *p)
{
    enter(p);
    int start = tok(p)->offset;
    struct ast_expr *e = parse_and(p);
    while (is_kw(p, KW_OR)) {
        struct sql_token *t = advance(p);
        struct ast_expr *r = parse_and(p);
        e = binary(p, AST_OP_OR, e, r, t, start);
    }
    leave(p);
    return e;
}

/* ============================================================ types */

static int parse_paren_int(struct parser *p, const char *what)
{
    expect(p, TK_LPAREN, "\"(\"");
    int v = parse_int_value(p, what);
    expect(p, TK_RPAREN, "\")\"");
    return v;
}

static void check_range(struct parser *p, int v, int lo, int hi, int start, const char *what)
{
    if (v < lo || v > hi)
        fail_at(p, WEIR_ERR_SYNTAX, span_from(p, start), "%s %d must be between %d and %d",
                what, v, lo, hi);
}

static void check_min(struct parser *p, int v, int lo, int start, const char *what)
{
    if (v < lo)
        fail_at(p, WEIR_ERR_SYNTAX, span_from(p, start), "%s %d must be at least %d",
                what, v, lo);
}

/* ROW<name type ['comment'], ...> or ROW(name type, ...) */
static const struct sql_type *parse_row_type(struct parser *p)
{
    if (accept(p, TK_NE))       /* ROW<> lexes as the <> operator */
        return type_new(p->a, T_ROW);
    bool angle = is_tk(p, TK_LT);
    if (!angle && !is_tk(p, TK_LPAREN))
        fail_expected(p, "\"<\" or \"(\"");
    advance(p);
    struct avec names = {0}, types = {0};
    if (!(angle ? is_tk(p, TK_GT) : is_tk(p, TK_RPAREN))) {
        do {
            PV_PUSH(p, names, (void *)parse_ident(p, "a field name", NULL));
            PV_PUSH(p, types, (void *)parse_type(p, NULL));
            if (accept_kw(p, KW_COMMENT) || is_tk(p, TK_STRING))
                parse_string(p, "a comment string", NULL);
        } while (accept(p, TK_COMMA));
    }
    if (angle)
        expect(p, TK_GT, "\",\" or \">\"");
    else
        expect(p, TK_RPAREN, "\",\" or \")\"");
    struct sql_type *t = type_new(p->a, T_ROW);
    t->n_fields = names.n;
    t->field_names = names.v;
    t->field_types = types.v;
    return t;
}

#define TYPE_EXPECTED "a data type"

static const struct sql_type *parse_type_base(struct parser *p)
{
    struct sql_token *t = tok(p);
    int start = t->offset;
    struct sql_type *nt;
    if (t->type != TK_IDENT)
        fail_expected(p, TYPE_EXPECTED);
    int kw = t->kw;
    advance(p);
    switch (kw) {
    case KW_BOOLEAN: return &type_boolean;
    case KW_TINYINT: return &type_tinyint;
    case KW_SMALLINT: return &type_smallint;
    case KW_INT:
    case KW_INTEGER: return &type_int;
    case KW_BIGINT: return &type_bigint;
    case KW_FLOAT:
        if (is_tk(p, TK_LPAREN)) {
            /* FLOAT(p): Flink maps it like Calcite, p <= 24 FLOAT else DOUBLE */
            int prec = parse_paren_int(p, "a precision");
            check_range(p, prec, 1, 53, start, "FLOAT precision");
            return prec <= 24 ? &type_float : &type_double;
        }
        return &type_float;
    case KW_REAL: return &type_float;
    case KW_DOUBLE:
        accept_kw(p, KW_PRECISION);
        return &type_double;
    case KW_DECIMAL:
    case KW_DEC:
    case KW_NUMERIC: {
        int prec = 10, scale = 0;
        if (accept(p, TK_LPAREN)) {
            prec = parse_int_value(p, "a precision");
            if (accept(p, TK_COMMA))
                scale = parse_int_value(p, "a scale");
            expect(p, TK_RPAREN, "\",\" or \")\"");
            check_range(p, prec, 1, DECIMAL_MAX_PRECISION, start, "DECIMAL precision");
            check_range(p, scale, 0, prec, start, "DECIMAL scale");
        }
        return type_decimal(p->a, prec, scale);
    }
    case KW_CHAR:
    case KW_CHARACTER: {
        bool varying = accept_kw(p, KW_VARYING);
        if (is_tk(p, TK_LPAREN)) {
            int n = parse_paren_int(p, "a length");
            check_min(p, n, 1, start, varying ? "VARCHAR length" : "CHAR length");
            return varying ? type_varchar(p->a, n) : type_char(p->a, n);
        }
        return varying ? type_varchar(p->a, TYPE_MAX_LENGTH) : type_char(p->a, 1);
    }
    case KW_VARCHAR:
        if (is_tk(p, TK_LPAREN)) {
            int n = parse_paren_int(p, "a length");
            check_min(p, n, 1, start, "VARCHAR length");
            return type_varchar(p->a, n);
        }
        return &type_string;
    case KW_STRING: return &type_string;
    case KW_BINARY:
    case KW_VARBINARY: {
        nt = type_new(p->a, kw == KW_BINARY ? T_BINARY : T_VARBINARY);
        if (is_tk(p, TK_LPAREN)) {
            int n = parse_paren_int(p, "a length");
            check_min(p, n, 1, start, kw == KW_BINARY ? "BINARY length" : "VARBINARY length");
            nt->length = n;
        }
        return nt;
    }
    case KW_BYTES: return &type_bytes;
    case KW_DATE: return &type_date;
    case KW_TIME: {
        int prec = 0;
        if (is_tk(p, TK_LPAREN)) {
            prec = parse_paren_int(p, "a precision");
            check_range(p, prec, 0, 9, start, "TIME precision");
        }
        if (accept_kw(p, KW_WITHOUT)) {
            if (!is_word(p, "TIME"))
                expect_kw(p, KW_TIME, "TIME");
            else
                advance(p);
            expect_kw(p, KW_ZONE, "ZONE");
        } else if (is_kw(p, KW_WITH) && (peek_kw(p, 1, KW_LOCAL) || peek_kw(p, 1, KW_TIME))) {
            fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(tok(p)),
                    "TIME WITH [LOCAL] TIME ZONE is not supported");
        }
        nt = type_new(p->a, T_TIME);
        nt->precision = prec;
        return nt;
    }
    case KW_TIMESTAMP: {
        int prec = 6;
        if (is_tk(p, TK_LPAREN)) {
            prec = parse_paren_int(p, "a precision");
            check_range(p, prec, 0, 9, start, "TIMESTAMP precision");
        }
        if (accept_kw(p, KW_WITHOUT)) {
            expect_kw(p, KW_TIME, "TIME");
            expect_kw(p, KW_ZONE, "ZONE");
        } else if (is_kw(p, KW_WITH) && peek_kw(p, 1, KW_LOCAL)) {
            advance(p);
            advance(p);
            expect_kw(p, KW_TIME, "TIME");
            expect_kw(p, KW_ZONE, "ZONE");
            return type_timestamp(p->a, T_TIMESTAMP_LTZ, prec);
        } else if (is_kw(p, KW_WITH) && peek_kw(p, 1, KW_TIME)) {
            fail_at(p, WEIR_ERR_UNSUPPORTED, span_from(p, start),
                    "TIMESTAMP WITH TIME ZONE is not supported: use TIMESTAMP_LTZ");
        }
        return type_timestamp(p->a, T_TIMESTAMP, prec);
    }
    case KW_TIMESTAMP_LTZ: {
        int prec = 6;
        if (is_tk(p, TK_LPAREN)) {
            prec = parse_paren_int(p, "a precision");
            check_range(p, prec, 0, 9, start, "TIMESTAMP_LTZ precision");
        }
        return type_timestamp(p->a, T_TIMESTAMP_LTZ, prec);
    }
    case KW_INTERVAL: {
        struct ast_interval_qual q = parse_interval_qual(p);
        return unit_is_ym(q.start) ? &type_interval_ym : &type_interval_dt;
    }
    case KW_ARRAY:
        expect(p, TK_LT, "\"<\"");
        nt = type_new(p->a, T_ARRAY);
        nt->elem = parse_type(p, NULL);
        expect(p, TK_GT, "\">\"");
        return nt;
    case KW_MAP:
        expect(p, TK_LT, "\"<\"");
        nt = type_new(p->a, T_MAP);
        nt->elem = parse_type(p, NULL);
        expect(p, TK_COMMA, "\",\"");
        nt->value = parse_type(p, NULL);
        expect(p, TK_GT, "\">\"");
        return nt;
    case KW_ROW:
        return parse_row_type(p);
    case KW_MULTISET:
        fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(t), "type MULTISET is not supported");
    case KW_RAW:
        fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(t), "type RAW is not supported");
    case KW_NULL:
        return &type_null;
    default:
        break;
    }
    if (is_word(p, "VARIANT") || (t->length == 7
                                  && strncasecmp(p->text + t->offset, "VARIANT", 7) == 0))
        fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(t), "type VARIANT is not supported");
    p->i--;     /* back to the culprit for the message */
    fail_at(p, WEIR_ERR_SYNTAX, tok_loc(t), "unknown data type \"%s\"", tok_text(p, t));
}

static const struct sql_type *parse_type(struct parser *p, struct weir_loc *loc)
{
    enter(p);
    int start = tok(p)->offset;
    const struct sql_type *t = parse_type_base(p);
    for (;;) {
        if (is_kw(p, KW_ARRAY)) {
            advance(p);
            struct sql_type *at = type_new(p->a, T_ARRAY);
            at->elem = t;
            t = at;
        } else if (is_kw(p, KW_MULTISET)) {
            fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(tok(p)), "type MULTISET is not supported");
        } else if (is_kw(p, KW_NOT) && peek_kw(p, 1, KW_NULL)) {
            advance(p);
            advance(p);
            t = type_with_nullable(p->a, t, false);
        } else if (is_kw(p, KW_NULL)) {
            advance(p);
            t = type_with_nullable(p->a, t, true);
        } else {
            break;
        }
    }
    if (loc)
        *loc = span_from(p, start);
    leave(p);
    return t;
}

/* ============================================================ FROM */

static void parse_table_alias(struct parser *p, struct ast_table_ref *r)
{
    bool as = accept_kw(p, KW_AS);
    if (as || is_ident(p)) {
        r->alias = parse_ident(p, "an alias", &r->alias_loc);
        if (is_tk(p, TK_LPAREN))
            r->col_aliases = parse_ident_list(p, &r->n_col_aliases, NULL, "a column alias");
    }
}

static struct ast_table_ref *parse_table_ref(struct parser *p);

static struct ast_table_ref *parse_table_primary(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_table_ref *r;
    bool lateral = accept_kw(p, KW_LATERAL);

    if (is_kw(p, KW_TABLE) && peek(p, 1)->type == TK_LPAREN) {
        advance(p);
        advance(p);
        r = ast_table_ref_new(p->a, AST_FROM_TVF, WEIR_LOC_NONE);
        r->u.tvf.lateral = lateral;
        int cstart = tok(p)->offset;
        struct ast_name fn = parse_name(p, "a table function name");
        expect(p, TK_LPAREN, "\"(\"");
        r->u.tvf.call = parse_call_rest(p, fn, cstart);
        if (r->u.tvf.call->kind != AST_E_CALL)
            fail_at(p, WEIR_ERR_SYNTAX, r->u.tvf.call->loc, "expected a table function call");
        expect(p, TK_RPAREN, "\")\"");
        parse_table_alias(p, r);
        r->loc = span_from(p, start);
        return r;
    }
    if (is_kw(p, KW_UNNEST)) {
        advance(p);
        r = ast_table_ref_new(p->a, AST_FROM_UNNEST, WEIR_LOC_NONE);
        expect(p, TK_LPAREN, "\"(\"");
        struct avec v = {0};
        do {
            PV_PUSH(p, v, parse_expr(p));
        } while (accept(p, TK_COMMA));
        expect(p, TK_RPAREN, "\",\" or \")\"");
        r->u.unnest.args = v.v;
        r->u.unnest.n_args = v.n;
        if (is_kw(p, KW_WITH) && peek_kw(p, 1, KW_ORDINALITY)) {
            advance(p);
            advance(p);
            r->u.unnest.with_ordinality = true;
        }
        parse_table_alias(p, r);
        r->loc = span_from(p, start);
        return r;
    }
    if (is_tk(p, TK_LPAREN)) {
        if (paren_query_ahead(p)) {
            advance(p);
            r = ast_table_ref_new(p->a, AST_FROM_SUBQUERY, WEIR_LOC_NONE);
            r->u.subquery.lateral = lateral;
            r->u.subquery.query = parse_query(p);
            expect(p, TK_RPAREN, "\")\"");
            parse_table_alias(p, r);
            r->loc = span_from(p, start);
            return r;
        }
        if (lateral)
            fail_expected(p, "TABLE or a subquery");
        advance(p);
        r = parse_table_ref(p);
        expect(p, TK_RPAREN, "\")\"");
        if (r->kind != AST_FROM_JOIN || r->alias)
            parse_table_alias(p, r);
        r->loc = span_from(p, start);
        return r;
    }
    if (lateral)
        fail_expected(p, "TABLE or a subquery");
    r = ast_table_ref_new(p->a, AST_FROM_TABLE, WEIR_LOC_NONE);
    if (!is_ident(p))
        fail_reserved(p, "a table name, \"(\", TABLE(...), LATERAL or UNNEST");
    r->u.table.name = parse_name(p, "a table name");
    parse_hints(p, &r->u.table.hints, &r->u.table.n_hints);
    if (is_kw(p, KW_FOR)) {
        advance(p);
        expect_kw(p, KW_SYSTEM_TIME, "SYSTEM_TIME");
        expect_kw(p, KW_AS, "AS");
        expect_kw(p, KW_OF, "OF");
        r->u.table.system_time = parse_additive(p);
    }
    parse_table_alias(p, r);
    r->loc = span_from(p, start);
    return r;
}

static struct ast_table_ref *parse_joins(struct parser *p)
{
    int start = tok(p)->offset;
    enter(p);
    struct ast_table_ref *left = parse_table_primary(p);
    for (;;) {
        enum ast_join_kind kind;
        bool natural = false;
        struct sql_token *jt = tok(p);
        if (accept_kw(p, KW_NATURAL))
            natural = true;
        if (accept_kw(p, KW_CROSS)) {
            kind = AST_JOIN_CROSS;
        } else if (accept_kw(p, KW_INNER)) {
            kind = AST_JOIN_INNER;
        } else if (accept_kw(p, KW_LEFT)) {
            accept_kw(p, KW_OUTER);
            kind = AST_JOIN_LEFT;
        } else if (accept_kw(p, KW_RIGHT)) {
            accept_kw(p, KW_OUTER);
            kind = AST_JOIN_RIGHT;
        } else if (accept_kw(p, KW_FULL)) {
            accept_kw(p, KW_OUTER);
            kind = AST_JOIN_FULL;
        } else if (is_kw(p, KW_JOIN)) {
            kind = AST_JOIN_INNER;
        } else {
            if (natural)
                fail_expected(p, "JOIN");
            break;
        }
        expect_kw(p, KW_JOIN, "JOIN");
        struct ast_table_ref *right = parse_table_primary(p);
        struct ast_table_ref *j = ast_table_ref_new(p->a, AST_FROM_JOIN, WEIR_LOC_NONE);
        j->u.join.kind = kind;
        j->u.join.left = left;
        j->u.join.right = right;
        j->u.join.natural = natural;
        if (kind != AST_JOIN_CROSS && !natural) {
            if (accept_kw(p, KW_ON)) {
                j->u.join.on = parse_expr(p);
            } else if (accept_kw(p, KW_USING)) {
                int n;
                struct weir_loc *locs;
                const char **cols = parse_ident_list(p, &n, &locs, "a column name");
                j->u.join.using_cols = arena_alloc(p->a, sizeof(struct ast_name) * (size_t)(n ? n : 1));
                for (int k = 0; k < n; k++)
                    j->u.join.using_cols[k] = name1(p, cols[k], locs[k]);
                j->u.join.n_using = n;
            } else {
                fail_expected(p, "ON or USING");
            }
        }
        (void)jt;
        j->loc = span_from(p, start);
        left = j;
    }
    leave(p);
    return left;
}

static struct ast_table_ref *parse_table_ref(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_table_ref *left = parse_joins(p);
    while (accept(p, TK_COMMA)) {
        struct ast_table_ref *right = parse_joins(p);
        struct ast_table_ref *j = ast_table_ref_new(p->a, AST_FROM_JOIN, WEIR_LOC_NONE);
        j->u.join.kind = AST_JOIN_COMMA;
        j->u.join.left = left;
        j->u.join.right = right;
        j->loc = span_from(p, start);
        left = j;
    }
    return left;
}

/* ============================================================ SELECT */

static struct ast_expr *parse_grouping_item(struct parser *p);

static struct ast_expr *parse_grouping_list(struct parser *p, enum ast_expr_kind k, int start)
{
    expect(p, TK_LPAREN, "\"(\"");
    struct avec v = {0};
    do {
        PV_PUSH(p, v, parse_grouping_item(p));
    } while (accept(p, TK_COMMA));
    expect(p, TK_RPAREN, "\",\" or \")\"");
    struct ast_expr *e = new_expr(p, k, span_from(p, start));
    e->u.list.items = v.v;
    e->u.list.n_items = v.n;
    return e;
}

static struct ast_expr *parse_grouping_item(struct parser *p)
{
    int start = tok(p)->offset;
    if (is_kw(p, KW_GROUPING) && peek_kw(p, 1, KW_SETS)) {
        advance(p);
        advance(p);
        return parse_grouping_list(p, AST_E_GROUPING_SETS, start);
    }
    if (is_kw(p, KW_ROLLUP) && peek(p, 1)->type == TK_LPAREN) {
        advance(p);
        return parse_grouping_list(p, AST_E_ROLLUP, start);
    }
    if (is_kw(p, KW_CUBE) && peek(p, 1)->type == TK_LPAREN) {
        advance(p);
        return parse_grouping_list(p, AST_E_CUBE, start);
    }
    if (is_tk(p, TK_LPAREN) && peek(p, 1)->type == TK_RPAREN) {
        advance(p);
        advance(p);
        return new_expr(p, AST_E_ROW, span_from(p, start));
    }
    return parse_expr(p);
}

#define SELECT_ITEM_EXPECTED "an expression or \"*\""

static struct ast_select *parse_select_core(struct parser *p)
{
    int start = tok(p)->offset;
    expect_kw(p, KW_SELECT, "SELECT");
    struct ast_select *s = arena_calloc(p->a, sizeof(*s));
    parse_hints(p, &s->hints, &s->n_hints);
    if (accept_kw(p, KW_DISTINCT))
        s->distinct = true;
    else
        accept_kw(p, KW_ALL);
    if (is_kw(p, KW_STREAM))
        fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(tok(p)), "SELECT STREAM is not supported");

    struct avec items = {0};
    do {
        int istart = tok(p)->offset;
        struct ast_select_item *it = av_push(p, &items, sizeof(*it));
        if (is_tk(p, TK_STAR)) {
            struct sql_token *t = advance(p);
            it->expr = new_expr(p, AST_E_STAR, tok_loc(t));
        } else {
            if (is_tk(p, TK_IDENT) && (sql_lex_keyword_flags(tok(p)->kw) & KWF_C)
                && !is_kw(p, KW_NOT) && !is_kw(p, KW_CASE) && !is_kw(p, KW_EXISTS)
                && !is_kw(p, KW_CAST) && !is_kw(p, KW_INTERVAL))
                fail_expected(p, SELECT_ITEM_EXPECTED);
            it->expr = parse_expr(p);
            if (accept_kw(p, KW_AS)) {
                if (is_tk(p, TK_STRING))   /* Flink accepts AS 'alias'? no: quote */
                    fail_at(p, WEIR_ERR_SYNTAX, tok_loc(tok(p)),
                            "an alias cannot be a string literal: quote it with backticks");
                it->alias = parse_ident(p, "an alias", &it->alias_loc);
            } else if (is_ident(p)) {
                it->alias = parse_ident(p, "an alias", &it->alias_loc);
            }
        }
        it->loc = span_from(p, istart);
    } while (accept(p, TK_COMMA));
    s->items = items.v;
    s->n_items = items.n;
    p->follow = "\",\", FROM, WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT, UNION";

    if (accept_kw(p, KW_FROM)) {
        s->from = parse_table_ref(p);
        p->follow = "WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT, UNION";
    }
    if (accept_kw(p, KW_WHERE)) {
        s->where = parse_expr(p);
        p->follow = "GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT, UNION";
    }
    if (accept_kw(p, KW_GROUP)) {
        expect_kw(p, KW_BY, "BY");
        if (accept_kw(p, KW_DISTINCT))
            s->group_by_distinct = true;
        else
            accept_kw(p, KW_ALL);
        struct avec g = {0};
        do {
            PV_PUSH(p, g, parse_grouping_item(p));
        } while (accept(p, TK_COMMA));
        s->group_by = g.v;
        s->n_group_by = g.n;
        p->follow = "\",\", HAVING, WINDOW, ORDER BY, LIMIT, UNION";
    }
    if (accept_kw(p, KW_HAVING)) {
        s->having = parse_expr(p);
        p->follow = "WINDOW, ORDER BY, LIMIT, UNION";
    }
    if (accept_kw(p, KW_WINDOW)) {
        struct avec w = {0};
        do {
            struct ast_named_window *nw = av_push(p, &w, sizeof(*nw));
            nw->name = parse_ident(p, "a window name", &nw->name_loc);
            expect_kw(p, KW_AS, "AS");
            int wstart = tok(p)->offset;
            expect(p, TK_LPAREN, "\"(\"");
            nw->spec = parse_window_spec(p, wstart);
        } while (accept(p, TK_COMMA));
        s->windows = w.v;
        s->n_windows = w.n;
        p->follow = "\",\", ORDER BY, LIMIT, UNION";
    }
    if (is_word(p, "QUALIFY"))
        fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(tok(p)), "QUALIFY is not supported");
    s->loc = span_from(p, start);
    return s;
}

/* VALUES row, ... */
static struct ast_query *parse_values(struct parser *p)
{
    int start = tok(p)->offset;
    expect_kw(p, KW_VALUES, "VALUES");
    struct ast_query *q = ast_query_new(p->a, AST_Q_VALUES, WEIR_LOC_NONE);
    struct avec rows = {0};
    do {
        struct ast_expr *r = parse_expr(p);
        if (r->kind != AST_E_ROW) {
            struct ast_expr *w = new_expr(p, AST_E_ROW, r->loc);
            struct ast_expr **items = arena_alloc(p->a, sizeof(*items));
            items[0] = r;
            w->u.list.items = items;
            w->u.list.n_items = 1;
            r = w;
        }
        PV_PUSH(p, rows, r);
    } while (accept(p, TK_COMMA));
    q->u.values.rows = rows.v;
    q->u.values.n_rows = rows.n;
    q->loc = span_from(p, start);
    p->follow = "\",\", ORDER BY, LIMIT, UNION";
    return q;
}

static struct ast_query *parse_query_primary(struct parser *p)
{
    if (is_kw(p, KW_SELECT)) {
        struct ast_select *s = parse_select_core(p);
        struct ast_query *q = ast_query_new(p->a, AST_Q_SELECT, s->loc);
        q->u.select = s;
        return q;
    }
    if (is_kw(p, KW_VALUES))
        return parse_values(p);
    if (is_tk(p, TK_LPAREN)) {
        int start = advance(p)->offset;
        struct ast_query *q = parse_query(p);
        expect(p, TK_RPAREN, "\")\"");
        q->parens = true;
        q->loc = span_from(p, start);
        return q;
    }
    if (is_kw(p, KW_TABLE))
        fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(tok(p)),
                "TABLE t as a query is not supported: write SELECT * FROM t");
    fail_expected(p, "SELECT, VALUES, WITH or \"(\"");
}

static struct ast_query *parse_intersect_term(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_query *left = parse_query_primary(p);
    while (is_kw(p, KW_INTERSECT)) {
        struct sql_token *t = advance(p);
        struct ast_query *q = ast_query_new(p->a, AST_Q_SETOP, WEIR_LOC_NONE);
        q->u.setop.op = AST_SETOP_INTERSECT;
        q->u.setop.op_loc = tok_loc(t);
        if (accept_kw(p, KW_ALL))
            q->u.setop.all = true;
        else
            accept_kw(p, KW_DISTINCT);
        q->u.setop.left = left;
        q->u.setop.right = parse_query_primary(p);
        q->loc = span_from(p, start);
        left = q;
    }
    return left;
}

static struct ast_query *parse_query_body(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_query *left = parse_intersect_term(p);
    while (is_kw(p, KW_UNION) || is_kw(p, KW_EXCEPT) || is_kw(p, KW_MINUS)) {
        struct sql_token *t = advance(p);
        struct ast_query *q = ast_query_new(p->a, AST_Q_SETOP, WEIR_LOC_NONE);
        q->u.setop.op = t->kw == KW_UNION ? AST_SETOP_UNION : AST_SETOP_EXCEPT;
        q->u.setop.op_loc = tok_loc(t);
        if (accept_kw(p, KW_ALL))
            q->u.setop.all = true;
        else
            accept_kw(p, KW_DISTINCT);
        q->u.setop.left = left;
        q->u.setop.right = parse_intersect_term(p);
        q->loc = span_from(p, start);
        left = q;
    }
    return left;
}

static struct ast_query *parse_query(struct parser *p)
{
    enter(p);
    int start = tok(p)->offset;
    struct avec ctes = {0};
    bool recursive = false;
    if (accept_kw(p, KW_WITH)) {
        recursive = accept_kw(p, KW_RECURSIVE);
        do {
            struct ast_cte *c = av_push(p, &ctes, sizeof(*c));
            c->name = parse_ident(p, "a name for the WITH query", &c->name_loc);
            if (is_tk(p, TK_LPAREN))
                c->cols = parse_ident_list(p, &c->n_cols, NULL, "a column name");
            expect_kw(p, KW_AS, "AS");
            expect(p, TK_LPAREN, "\"(\"");
            c->query = parse_query(p);
            expect(p, TK_RPAREN, "\")\"");
        } while (accept(p, TK_COMMA));
    }
    struct ast_query *q = parse_query_body(p);
    bool has_tail = is_kw(p, KW_ORDER) || is_kw(p, KW_LIMIT) || is_kw(p, KW_OFFSET)
                    || is_kw(p, KW_FETCH);
    if ((ctes.n && q->n_with) || (has_tail && (q->n_order_by || q->limit || q->offset))) {
        fail_at(p, WEIR_ERR_UNSUPPORTED, q->loc,
                "a parenthesised query with its own %s cannot take another one here",
                ctes.n ? "WITH" : "ORDER BY/LIMIT");
    }
    if (ctes.n) {
        q->with = ctes.v;
        q->n_with = ctes.n;
        q->with_recursive = recursive;
    }
    if (accept_kw(p, KW_ORDER)) {
        expect_kw(p, KW_BY, "BY");
        q->order_by = parse_order_list(p, &q->n_order_by);
        p->follow = "\",\", LIMIT, OFFSET, FETCH";
    }
    if (accept_kw(p, KW_LIMIT)) {
        if (accept_kw(p, KW_ALL))
            q->limit = NULL;
        else
            q->limit = parse_additive(p);
        if (accept(p, TK_COMMA))       /* LIMIT offset, count (MySQL style) */
            fail_at(p, WEIR_ERR_SYNTAX, tok_loc(&p->toks[p->i - 1]),
                    "LIMIT offset, count is not supported: use LIMIT count OFFSET offset");
        p->follow = "OFFSET";
    }
    if (accept_kw(p, KW_OFFSET)) {
        q->offset = parse_additive(p);
        if (!accept_kw(p, KW_ROWS))
            accept_kw(p, KW_ROW);
        p->follow = "FETCH";
    }
    if (accept_kw(p, KW_FETCH)) {
        if (!accept_kw(p, KW_FIRST) && !accept_kw(p, KW_NEXT))
            fail_expected(p, "FIRST or NEXT");
        if (q->limit)
            fail_at(p, WEIR_ERR_SYNTAX, tok_loc(&p->toks[p->i - 1]),
                    "both LIMIT and FETCH given");
        q->limit = parse_additive(p);
        if (!accept_kw(p, KW_ROWS))
            expect_kw(p, KW_ROW, "ROW or ROWS");
        expect_kw(p, KW_ONLY, "ONLY");
        p->follow = NULL;
    }
    q->loc = span_from(p, start);
    leave(p);
    return q;
}

/* ============================================================ statements */

static struct ast_option *parse_options(struct parser *p, int *n_out)
{
    struct avec v = {0};
    expect(p, TK_LPAREN, "\"(\"");
    if (!is_tk(p, TK_RPAREN)) {
        do {
            struct ast_option *o = av_push(p, &v, sizeof(*o));
            o->key = parse_string(p, "an option key in single quotes ('key' = 'value')",
                                  &o->key_loc);
            expect(p, TK_EQ, "\"=\"");
            o->value = parse_string(p, "an option value in single quotes", &o->value_loc);
        } while (accept(p, TK_COMMA));
    }
    expect(p, TK_RPAREN, "\",\" or \")\"");
    *n_out = v.n;
    return v.v;
}

static bool is_enforced_tail(struct parser *p, bool *enforced)
{
    /* [NOT] ENFORCED */
    if (is_kw(p, KW_NOT) && peek_kw(p, 1, KW_ENFORCED)) {
        advance(p);
        advance(p);
        *enforced = false;
        return true;
    }
    if (accept_kw(p, KW_ENFORCED)) {
        *enforced = true;
        return true;
    }
    *enforced = true;
    return false;
}

static void set_primary_key(struct parser *p, struct ast_create_table *ct,
                            struct ast_primary_key *pk)
{
    if (ct->primary_key)
        fail_at(p, WEIR_ERR_SYNTAX, pk->loc, "a table can have only one PRIMARY KEY");
    ct->primary_key = pk;
}

static void parse_column(struct parser *p, struct ast_create_table *ct, struct avec *cols)
{
    int start = tok(p)->offset;
    struct ast_column *c = av_push(p, cols, sizeof(*c));
    c->name = parse_ident(p, "a column name, WATERMARK, PRIMARY KEY or CONSTRAINT",
                          &c->name_loc);
    if (accept_kw(p, KW_AS)) {
        c->kind = AST_COL_COMPUTED;
        c->expr = parse_expr(p);
    } else {
        c->kind = AST_COL_PHYSICAL;
        c->type = parse_type(p, &c->type_loc);
        if (accept_kw(p, KW_METADATA)) {
            c->kind = AST_COL_METADATA;
            if (accept_kw(p, KW_FROM))
                c->metadata_key = parse_string(p, "a metadata key string", NULL);
            if (accept_kw(p, KW_VIRTUAL))
                c->is_virtual = true;
        } else if (is_kw(p, KW_PRIMARY) || is_kw(p, KW_CONSTRAINT)) {
            int pstart = tok(p)->offset;
            struct ast_primary_key *pk = arena_calloc(p->a, sizeof(*pk));
            if (accept_kw(p, KW_CONSTRAINT))
                pk->constraint_name = parse_ident(p, "a constraint name", NULL);
            expect_kw(p, KW_PRIMARY, "PRIMARY KEY");
            expect_kw(p, KW_KEY, "KEY");
            is_enforced_tail(p, &pk->enforced);
            pk->cols = arena_alloc(p->a, sizeof(char *));
            pk->cols[0] = c->name;
            pk->col_locs = arena_alloc(p->a, sizeof(struct weir_loc));
            pk->col_locs[0] = c->name_loc;
            pk->n_cols = 1;
            pk->loc = span_from(p, pstart);
            c->primary_key = true;
            set_primary_key(p, ct, pk);
        }
    }
    if (accept_kw(p, KW_COMMENT))
        c->comment = parse_string(p, "a comment string", NULL);
    c->loc = span_from(p, start);
}

static void parse_create_table(struct parser *p, struct ast_stmt *s)
{
    struct ast_create_table *ct = &s->u.create_table;
    if (is_kw(p, KW_IF)) {
        advance(p);
        expect_kw(p, KW_NOT, "NOT");
        expect_kw(p, KW_EXISTS, "EXISTS");
        ct->if_not_exists = true;
    }
    ct->name = parse_name(p, "a table name");
    struct avec cols = {0}, wms = {0};
    if (accept(p, TK_LPAREN)) {
        do {
            int start = tok(p)->offset;
            if (is_kw(p, KW_WATERMARK)) {
                advance(p);
                struct ast_watermark *w = av_push(p, &wms, sizeof(*w));
                expect_kw(p, KW_FOR, "FOR");
                w->column = parse_name(p, "a column name");
                expect_kw(p, KW_AS, "AS");
                w->expr = parse_expr(p);
                w->loc = span_from(p, start);
            } else if (is_kw(p, KW_PRIMARY) || is_kw(p, KW_CONSTRAINT)) {
                struct ast_primary_key *pk = arena_calloc(p->a, sizeof(*pk));
                if (accept_kw(p, KW_CONSTRAINT))
                    pk->constraint_name = parse_ident(p, "a constraint name", NULL);
                if (is_kw(p, KW_UNIQUE))
                    fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(tok(p)),
                            "UNIQUE constraints are not supported");
                expect_kw(p, KW_PRIMARY, "PRIMARY KEY");
                expect_kw(p, KW_KEY, "KEY");
                pk->cols = parse_ident_list(p, &pk->n_cols, &pk->col_locs, "a column name");
                is_enforced_tail(p, &pk->enforced);
                pk->loc = span_from(p, start);
                set_primary_key(p, ct, pk);
            } else {
                parse_column(p, ct, &cols);
            }
        } while (accept(p, TK_COMMA));
        expect(p, TK_RPAREN, "\",\" or \")\"");
    }
    ct->columns = cols.v;
    ct->n_columns = cols.n;
    ct->watermarks = wms.v;
    ct->n_watermarks = wms.n;
    p->follow = "COMMENT, PARTITIONED BY, WITH, LIKE, AS";
    if (accept_kw(p, KW_COMMENT)) {
        ct->comment = parse_string(p, "a comment string", NULL);
        p->follow = "PARTITIONED BY, WITH, LIKE, AS";
    }
    if (is_kw(p, KW_DISTRIBUTED))
        fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(tok(p)), "DISTRIBUTED BY is not supported");
    if (accept_kw(p, KW_PARTITIONED)) {
        expect_kw(p, KW_BY, "BY");
        ct->partitioned_by = parse_ident_list(p, &ct->n_partitioned_by,
                                              &ct->partitioned_by_locs, "a column name");
        p->follow = "WITH, LIKE, AS";
    }
    if (accept_kw(p, KW_WITH)) {
        ct->options = parse_options(p, &ct->n_options);
        p->follow = "LIKE, AS";
    }
    if (is_kw(p, KW_LIKE)) {
        int start = advance(p)->offset;
        struct ast_like_clause *l = arena_calloc(p->a, sizeof(*l));
        l->source = parse_name(p, "a table name");
        if (accept(p, TK_LPAREN)) {
            struct avec v = {0};
            while (!is_tk(p, TK_RPAREN)) {
                const char *how;
                if (is_kw(p, KW_INCLUDING) || is_kw(p, KW_EXCLUDING) || is_kw(p, KW_OVERWRITING))
                    how = sql_lex_keyword_text(advance(p)->kw);
                else
                    fail_expected(p, "INCLUDING, EXCLUDING, OVERWRITING or \")\"");
                if (!is_tk(p, TK_IDENT))
                    fail_expected(p, "ALL, CONSTRAINTS, GENERATED, METADATA, OPTIONS, "
                                     "PARTITIONS or WATERMARKS");
                struct sql_token *w = advance(p);
                PV_PUSH(p, v, (void *)arena_sprintf(p->a, "%s %.*s", how, w->length,
                                                    p->text + w->offset));
                accept(p, TK_COMMA);
            }
            advance(p);
            l->options = v.v;
            l->n_options = v.n;
        }
        l->loc = span_from(p, start);
        ct->like = l;
    }
    if (accept_kw(p, KW_AS))
        ct->as_query = parse_query(p);
}

static void parse_create_view(struct parser *p, struct ast_stmt *s)
{
    struct ast_create_view *cv = &s->u.create_view;
    if (is_kw(p, KW_IF)) {
        advance(p);
        expect_kw(p, KW_NOT, "NOT");
        expect_kw(p, KW_EXISTS, "EXISTS");
        cv->if_not_exists = true;
    }
    cv->name = parse_name(p, "a view name");
    if (is_tk(p, TK_LPAREN))
        cv->cols = parse_ident_list(p, &cv->n_cols, &cv->col_locs, "a column name");
    if (accept_kw(p, KW_COMMENT))
        cv->comment = parse_string(p, "a comment string", NULL);
    expect_kw(p, KW_AS, cv->n_cols ? "AS" : "AS or a column list");
    cv->query = parse_query(p);
}

static void parse_create_function(struct parser *p, struct ast_stmt *s)
{
    struct ast_create_function *cf = &s->u.create_function;
    if (is_kw(p, KW_IF)) {
        advance(p);
        expect_kw(p, KW_NOT, "NOT");
        expect_kw(p, KW_EXISTS, "EXISTS");
        cf->if_not_exists = true;
    }
    cf->name = parse_name(p, "a function name");
    expect_kw(p, KW_AS, "AS");
    cf->class_name = parse_string(p, "the implementation class name in single quotes",
                                  &cf->class_loc);
    p->follow = "LANGUAGE, USING JAR";
    if (accept_kw(p, KW_LANGUAGE)) {
        if (!is_tk(p, TK_IDENT))
            fail_expected(p, "JAVA, SCALA or PYTHON");
        struct sql_token *t = advance(p);
        cf->language = arena_strndup(p->a, p->text + t->offset, (size_t)t->length);
    }
    if (accept_kw(p, KW_USING)) {
        struct avec v = {0};
        do {
            expect_kw(p, KW_JAR, "JAR");
            PV_PUSH(p, v, (void *)parse_string(p, "a jar path string", NULL));
        } while (accept(p, TK_COMMA));
        cf->jars = v.v;
        cf->n_jars = v.n;
    }
}

static struct ast_stmt *parse_insert(struct parser *p)
{
    int start = tok(p)->offset;
    struct ast_stmt *s = ast_stmt_new(p->a, AST_S_INSERT, WEIR_LOC_NONE);
    struct ast_insert *in = &s->u.insert;
    if (is_kw(p, KW_UPSERT))
        fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(tok(p)), "UPSERT INTO is not supported");
    expect_kw(p, KW_INSERT, "INSERT");
    if (accept_kw(p, KW_OVERWRITE))
        in->overwrite = true;
    else
        expect_kw(p, KW_INTO, "INTO or OVERWRITE");
    accept_kw(p, KW_TABLE);
    in->table = parse_name(p, "a table name");
    parse_hints(p, &in->hints, &in->n_hints);
    if (accept_kw(p, KW_PARTITION)) {
        expect(p, TK_LPAREN, "\"(\"");
        struct avec v = {0};
        do {
            struct ast_option *o = av_push(p, &v, sizeof(*o));
            o->key = parse_ident(p, "a partition column", &o->key_loc);
            expect(p, TK_EQ, "\"=\"");
            struct sql_token *t = tok(p);
            if (t->type == TK_STRING) {
                o->value = parse_string(p, "a value", &o->value_loc);
            } else if (t->type == TK_INTEGER || t->type == TK_DECIMAL) {
                advance(p);
                o->value = arena_strndup(p->a, p->text + t->offset, (size_t)t->length);
                o->value_loc = tok_loc(t);
            } else {
                fail_expected(p, "a literal value");
            }
        } while (accept(p, TK_COMMA));
        expect(p, TK_RPAREN, "\",\" or \")\"");
        in->partition = v.v;
        in->n_partition = v.n;
    }
    if (is_tk(p, TK_LPAREN) && !paren_query_ahead(p))
        in->cols = parse_ident_list(p, &in->n_cols, &in->col_locs, "a column name");
    if (!starts_query_at(p, 0) && !is_tk(p, TK_LPAREN))
        fail_expected(p, in->n_cols || in->n_partition
                             ? "SELECT, VALUES or WITH"
                             : "SELECT, VALUES, WITH, PARTITION or a column list");
    in->query = parse_query(p);
    s->loc = span_from(p, start);
    return s;
}

/* The rest of a statement weir does not model: keep its text for the binder. */
static struct ast_stmt *parse_other(struct parser *p, const char *keyword, int start)
{
    int depth = 0;
    while (!is_tk(p, TK_EOF) && !is_tk(p, TK_ERROR) && !(depth == 0 && is_tk(p, TK_SEMI))) {
        if (is_tk(p, TK_LPAREN))
            depth++;
        else if (is_tk(p, TK_RPAREN) && depth > 0)
            depth--;
        advance(p);
    }
    if (is_tk(p, TK_ERROR))
        fail_expected(p, "\";\"");
    struct ast_stmt *s = ast_stmt_new(p->a, AST_S_OTHER, span_from(p, start));
    s->u.other.keyword = keyword;
    s->u.other.text = arena_strndup(p->a, p->text + start, (size_t)s->loc.length);
    p->follow = NULL;
    return s;
}

/* SET ['k' = 'v'] | SET k = v (old SQL client form: raw text). */
static struct ast_stmt *parse_set(struct parser *p, int start)
{
    struct ast_stmt *s = ast_stmt_new(p->a, AST_S_SET, WEIR_LOC_NONE);
    if (is_tk(p, TK_STRING)) {
        s->u.set.quoted = true;
        s->u.set.key = parse_string(p, "a key", &s->u.set.key_loc);
        expect(p, TK_EQ, "\"=\"");
        s->u.set.value = parse_string(p, "a value in single quotes", &s->u.set.value_loc);
    } else if (!is_tk(p, TK_SEMI) && !is_tk(p, TK_EOF)) {
        int kstart = tok(p)->offset;
        while (!is_tk(p, TK_EQ) && !is_tk(p, TK_SEMI) && !is_tk(p, TK_EOF) && !is_tk(p, TK_ERROR))
            advance(p);
        if (!is_tk(p, TK_EQ) || p->prev_end <= kstart)
            fail_expected(p, "'key' = 'value'");
        s->u.set.key_loc = span_from(p, kstart);
        s->u.set.key = arena_strndup(p->a, p->text + kstart, (size_t)s->u.set.key_loc.length);
        advance(p);
        int vstart = tok(p)->offset;
        while (!is_tk(p, TK_SEMI) && !is_tk(p, TK_EOF) && !is_tk(p, TK_ERROR))
            advance(p);
        if (is_tk(p, TK_ERROR) || p->prev_end <= vstart)
            fail_expected(p, "a value");
        s->u.set.value_loc = span_from(p, vstart);
        s->u.set.value = arena_strndup(p->a, p->text + vstart,
                                       (size_t)s->u.set.value_loc.length);
    }
    s->loc = span_from(p, start);
    p->follow = NULL;
    return s;
}

static struct ast_stmt *parse_reset(struct parser *p, int start)
{
    struct ast_stmt *s = ast_stmt_new(p->a, AST_S_RESET, WEIR_LOC_NONE);
    if (is_tk(p, TK_STRING)) {
        s->u.reset.key = parse_string(p, "a key", &s->u.reset.key_loc);
    } else if (!is_tk(p, TK_SEMI) && !is_tk(p, TK_EOF)) {
        int kstart = tok(p)->offset;
        while (!is_tk(p, TK_SEMI) && !is_tk(p, TK_EOF) && !is_tk(p, TK_ERROR))
            advance(p);
        if (is_tk(p, TK_ERROR))
            fail_expected(p, "\";\"");
        s->u.reset.key_loc = span_from(p, kstart);
        s->u.reset.key = arena_strndup(p->a, p->text + kstart, (size_t)s->u.reset.key_loc.length);
    }
    s->loc = span_from(p, start);
    p->follow = NULL;
    return s;
}

/* BEGIN insert; insert; ... END (after EXECUTE STATEMENT SET / STATEMENT SET) */
static struct ast_stmt *parse_statement_set_block(struct parser *p, int start)
{
    expect_kw(p, KW_BEGIN, "BEGIN");
    struct avec v = {0};
    while (!is_kw(p, KW_END)) {
        if (accept(p, TK_SEMI))
            continue;
        if (!is_kw(p, KW_INSERT))
            fail_expected(p, v.n ? "INSERT or END" : "INSERT");
        PV_PUSH(p, v, parse_insert(p));
        p->follow = NULL;
        if (!is_kw(p, KW_END))
            expect(p, TK_SEMI, "\";\"");
    }
    advance(p);
    struct ast_stmt *s = ast_stmt_new(p->a, AST_S_STATEMENT_SET, span_from(p, start));
    s->u.statement_set.inserts = v.v;
    s->u.statement_set.n_inserts = v.n;
    p->follow = NULL;
    return s;
}

static struct ast_stmt *parse_explain(struct parser *p, int start)
{
    struct ast_stmt *s = ast_stmt_new(p->a, AST_S_EXPLAIN, WEIR_LOC_NONE);
    if (is_word(p, "PLAN") && peek_kw(p, 1, KW_FOR)) {
        advance(p);
        advance(p);
        s->u.explain.plan_for = true;
    } else {
        struct avec v = {0};
        while (is_kw(p, KW_ESTIMATED_COST) || is_kw(p, KW_CHANGELOG_MODE)
               || is_kw(p, KW_JSON_EXECUTION_PLAN) || is_kw(p, KW_PLAN_ADVICE)) {
            PV_PUSH(p, v, (void *)sql_lex_keyword_text(advance(p)->kw));
            if (!accept(p, TK_COMMA))
                break;
        }
        s->u.explain.details = v.v;
        s->u.explain.n_details = v.n;
    }
    int sstart = tok(p)->offset;
    if (is_kw(p, KW_STATEMENT)) {           /* EXPLAIN STATEMENT SET BEGIN ... END */
        advance(p);
        expect_kw(p, KW_SET, "SET");
        s->u.explain.stmt = parse_statement_set_block(p, sstart);
    } else if (is_kw(p, KW_EXECUTE) && peek_kw(p, 1, KW_STATEMENT)) {
        s->u.explain.stmt = parse_statement(p);
    } else if (is_kw(p, KW_INSERT) || starts_query_at(p, 0) || is_tk(p, TK_LPAREN)) {
        s->u.explain.stmt = parse_statement(p);
    } else {
        fail_expected(p, "SELECT, INSERT, STATEMENT SET, PLAN FOR or an explain detail");
    }
    s->loc = span_from(p, start);
    return s;
}

#define STMT_EXPECTED "a statement (CREATE, DROP, INSERT, SELECT, SET, EXECUTE, ...)"

static struct ast_stmt *parse_statement(struct parser *p)
{
    struct sql_token *t = tok(p);
    int start = t->offset;
    struct ast_stmt *s;
    p->follow = NULL;

    if (t->type == TK_LPAREN || starts_query_at(p, 0)) {
        s = ast_stmt_new(p->a, AST_S_QUERY, WEIR_LOC_NONE);
        s->u.query.query = parse_query(p);
        s->loc = span_from(p, start);
        return s;
    }
    if (t->type != TK_IDENT)
        fail_expected(p, STMT_EXPECTED);
    switch (t->kw) {
    case KW_INSERT:
    case KW_UPSERT:
        return parse_insert(p);
    case KW_CREATE: {
        advance(p);
        if (is_kw(p, KW_OR))
            fail_at(p, WEIR_ERR_UNSUPPORTED, tok_loc(tok(p)),
                    "CREATE OR REPLACE is not supported");
        bool temporary = accept_kw(p, KW_TEMPORARY);
        bool system = temporary && accept_kw(p, KW_SYSTEM);
        if (accept_kw(p, KW_TABLE)) {
            if (system)
                fail_at(p, WEIR_ERR_SYNTAX, tok_loc(&p->toks[p->i - 1]),
                        "TEMPORARY SYSTEM applies only to functions");
            s = ast_stmt_new(p->a, AST_S_CREATE_TABLE, WEIR_LOC_NONE);
            s->u.create_table.temporary = temporary;
            parse_create_table(p, s);
        } else if (accept_kw(p, KW_VIEW)) {
            if (system)
                fail_at(p, WEIR_ERR_SYNTAX, tok_loc(&p->toks[p->i - 1]),
                        "TEMPORARY SYSTEM applies only to functions");
            s = ast_stmt_new(p->a, AST_S_CREATE_VIEW, WEIR_LOC_NONE);
            s->u.create_view.temporary = temporary;
            parse_create_view(p, s);
        } else if (accept_kw(p, KW_FUNCTION)) {
            s = ast_stmt_new(p->a, AST_S_CREATE_FUNCTION, WEIR_LOC_NONE);
            s->u.create_function.temporary = temporary;
            s->u.create_function.system = system;
            parse_create_function(p, s);
        } else if (!temporary && (is_kw(p, KW_DATABASE) || is_kw(p, KW_CATALOG))) {
            const char *kw = is_kw(p, KW_DATABASE) ? "CREATE DATABASE" : "CREATE CATALOG";
            return parse_other(p, kw, start);
        } else {
            fail_expected(p, temporary ? (system ? "FUNCTION" : "TABLE, VIEW, SYSTEM or FUNCTION")
                                       : "TABLE, VIEW, FUNCTION, TEMPORARY, DATABASE or CATALOG");
        }
        s->loc = span_from(p, start);
        return s;
    }
    case KW_DROP: {
        advance(p);
        bool temporary = accept_kw(p, KW_TEMPORARY);
        bool system = temporary && accept_kw(p, KW_SYSTEM);
        enum ast_drop_kind k;
        if (accept_kw(p, KW_TABLE)) {
            k = AST_DROP_TABLE;
        } else if (accept_kw(p, KW_VIEW)) {
            k = AST_DROP_VIEW;
        } else if (accept_kw(p, KW_FUNCTION)) {
            k = AST_DROP_FUNCTION;
        } else if (!temporary && (is_kw(p, KW_DATABASE) || is_kw(p, KW_CATALOG))) {
            const char *kw = is_kw(p, KW_DATABASE) ? "DROP DATABASE" : "DROP CATALOG";
            return parse_other(p, kw, start);
        } else {
            fail_expected(p, "TABLE, VIEW, FUNCTION, TEMPORARY, DATABASE or CATALOG");
        }
        s = ast_stmt_new(p->a, AST_S_DROP, WEIR_LOC_NONE);
        s->u.drop.kind = k;
        s->u.drop.temporary = temporary;
        s->u.drop.system = system;
        if (is_kw(p, KW_IF)) {
            advance(p);
            expect_kw(p, KW_EXISTS, "EXISTS");
            s->u.drop.if_exists = true;
        }
        s->u.drop.name = parse_name(p, "a name");
        s->loc = span_from(p, start);
        return s;
    }
    case KW_SET:
        advance(p);
        return parse_set(p, start);
    case KW_RESET:
        advance(p);
        return parse_reset(p, start);
    case KW_EXECUTE:
        advance(p);
        if (accept_kw(p, KW_STATEMENT)) {
            expect_kw(p, KW_SET, "SET");
            return parse_statement_set_block(p, start);
        }
        if (is_kw(p, KW_INSERT)) {
            s = parse_insert(p);
            s->loc = span_from(p, start);
            return s;
        }
        if (is_word(p, "PLAN"))
            return parse_other(p, "EXECUTE PLAN", start);
        fail_expected(p, "STATEMENT SET, INSERT or PLAN");
    case KW_EXPLAIN:
        advance(p);
        return parse_explain(p, start);
    case KW_USE: case KW_SHOW: case KW_DESCRIBE: case KW_DESC: case KW_ALTER:
    case KW_TRUNCATE: case KW_CALL:
        advance(p);
        return parse_other(p, sql_lex_keyword_text(t->kw), start);
    default:
        break;
    }
    static const char *const two_word[] = {"ADD", "REMOVE", "LOAD", "UNLOAD", "COMPILE",
                                           "ANALYZE", "STOP"};
    for (size_t k = 0; k < sizeof(two_word) / sizeof(two_word[0]); k++) {
        if (is_word(p, two_word[k])) {
            advance(p);
            const char *kw = two_word[k];
            if (is_tk(p, TK_IDENT)) {
                struct sql_token *w = tok(p);
                char buf[64];
                int n = w->length < 40 ? w->length : 40;
                snprintf(buf, sizeof buf, "%s %.*s", two_word[k], n, p->text + w->offset);
                for (char *c = buf; *c; c++)
                    if (*c >= 'a' && *c <= 'z')
                        *c = (char)(*c - 'a' + 'A');
                kw = arena_strdup(p->a, buf);
            }
            return parse_other(p, kw, start);
        }
    }
    fail_expected(p, STMT_EXPECTED);
}

/* ============================================================ entry points */

static int lex_all(struct parser *p, size_t len)
{
    struct sql_lexer lx;
    sql_lex_init(&lx, p->text, len);
    for (;;) {
        if (p->n_toks == p->cap) {
            MEM_GROW(p->toks, p->cap, p->n_toks + 1);
        }
        struct sql_token *t = &p->toks[p->n_toks];
        int rc = sql_lex_next(&lx, t, &p->lex_err);
        p->n_toks++;
        if (rc != WEIR_OK || t->type == TK_EOF)
            break;
    }
    return WEIR_OK;
}

static void parser_init(struct parser *p, struct arena *a, const char *text,
                        struct weir_error *err)
{
    memset(p, 0, sizeof(*p));
    p->a = a;
    p->text = text;
    p->err = err;
    p->lex_err.loc = WEIR_LOC_NONE;
}

static void parser_done(struct parser *p)
{
    mem_free(p->toks);
    err_clear(&p->lex_err);
}

static int check_len(size_t len, struct weir_error *err)
{
    if (len > SQL_PARSE_MAX_LEN)
        return err_set(err, WEIR_ERR_SYNTAX, "script is too long (%zu bytes, limit %d)",
                       len, SQL_PARSE_MAX_LEN);
    return WEIR_OK;
}

/* After the whole statement: ';' or end of input, else a syntax error that
 * lists what could have continued the statement. */
static void expect_stmt_end(struct parser *p)
{
    if (is_tk(p, TK_SEMI) || is_tk(p, TK_EOF))
        return;
    if (p->follow)
        fail_expected(p, arena_sprintf(p->a, "%s or \";\"", p->follow));
    fail_expected(p, "\";\"");
}

int sql_parse_script(struct arena *a, const char *text, size_t len,
                     struct ast_script **out, struct weir_error *err)
{
    *out = NULL;
    int rc = check_len(len, err);
    if (rc)
        return rc;
    struct parser *p = mem_calloc(1, sizeof(*p));
    parser_init(p, a, text, err);
    lex_all(p, len);
    struct ast_script *script = arena_calloc(a, sizeof(*script));
    struct avec v = {0};
    if (setjmp(p->jb) == 0) {
        while (!is_tk(p, TK_EOF)) {
            if (accept(p, TK_SEMI))
                continue;
            skip_stray_hints(p);
            if (is_kw(p, KW_BEGIN) && peek_kw(p, 1, KW_STATEMENT)) {
                /* SQL client form: BEGIN STATEMENT SET; INSERT ...; ...; END; */
                int start = advance(p)->offset;
                advance(p);
                expect_kw(p, KW_SET, "SET");
                expect(p, TK_SEMI, "\";\"");
                struct avec ins = {0};
                for (;;) {
                    while (accept(p, TK_SEMI))
                        ;
                    if (accept_kw(p, KW_END))
                        break;
                    if (!is_kw(p, KW_INSERT))
                        fail_expected(p, "INSERT or END (only INSERT statements are "
                                         "allowed in a statement set)");
                    PV_PUSH(p, ins, parse_insert(p));
                    expect_stmt_end(p);
                    if (is_tk(p, TK_EOF))
                        fail_expected(p, "END");
                }
                struct ast_stmt *s = ast_stmt_new(a, AST_S_STATEMENT_SET, span_from(p, start));
                s->u.statement_set.inserts = ins.v;
                s->u.statement_set.n_inserts = ins.n;
                PV_PUSH(p, v, s);
                p->follow = NULL;
            } else {
                PV_PUSH(p, v, parse_statement(p));
            }
            expect_stmt_end(p);
        }
        script->stmts = v.v;
        script->n_stmts = v.n;
        *out = script;
        rc = WEIR_OK;
    } else {
        rc = p->rc ? p->rc : WEIR_ERR_SYNTAX;
    }
    parser_done(p);
    mem_free(p);
    return rc;
}

int sql_parse_expr(struct arena *a, const char *text, size_t len, struct ast_expr **out,
                   struct weir_error *err)
{
    *out = NULL;
    int rc = check_len(len, err);
    if (rc)
        return rc;
    struct parser *p = mem_calloc(1, sizeof(*p));
    parser_init(p, a, text, err);
    lex_all(p, len);
    if (setjmp(p->jb) == 0) {
        struct ast_expr *e = parse_expr(p);
        if (!is_tk(p, TK_EOF))
            fail_expected(p, "an operator or the end of the expression");
        *out = e;
        rc = WEIR_OK;
    } else {
        rc = p->rc ? p->rc : WEIR_ERR_SYNTAX;
    }
    parser_done(p);
    mem_free(p);
    return rc;
}

int sql_parse_type(struct arena *a, const char *text, size_t len,
                   const struct sql_type **out, struct weir_error *err)
{
    *out = NULL;
    int rc = check_len(len, err);
    if (rc)
        return rc;
    struct parser *p = mem_calloc(1, sizeof(*p));
    parser_init(p, a, text, err);
    lex_all(p, len);
    if (setjmp(p->jb) == 0) {
        const struct sql_type *t = parse_type(p, NULL);
        if (!is_tk(p, TK_EOF))
            fail_expected(p, "the end of the type");
        *out = t;
        rc = WEIR_OK;
    } else {
        rc = p->rc ? p->rc : WEIR_ERR_SYNTAX;
    }
    parser_done(p);
    mem_free(p);
    return rc;
}
