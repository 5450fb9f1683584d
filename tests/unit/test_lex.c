/*
 * test_lex.c — unit tests for the SQL tokenizer (src/sql/lex.c).
 *
 * Each case lexes a short text and compares the token stream, written as
 * "TYPE:text" items, or the exact error message and byte offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/strbuf.h"
#include "sql/lex.h"

static const char *short_type(int t)
{
    switch (t) {
    case TK_IDENT: return "id";
    case TK_QIDENT: return "qid";
    case TK_STRING: return "str";
    case TK_USTRING: return "ustr";
    case TK_BINSTRING: return "bin";
    case TK_INTEGER: return "int";
    case TK_DECIMAL: return "dec";
    case TK_APPROX: return "approx";
    case TK_HINT: return "hint";
    default: return "op";
    }
}

/* Lexes s and renders "type:text type:text ..." (keywords as kw:TEXT). */
static char *lex_str(const char *s)
{
    static char out[4096];
    struct sql_lexer lx;
    struct sql_token t;
    struct strbuf sb = {0};
    sql_lex_init(&lx, s, strlen(s));
    for (;;) {
        int rc = sql_lex_next(&lx, &t, NULL);
        assert_int_equal(rc, WEIR_OK);
        if (t.type == TK_EOF)
            break;
        if (sb.len)
            sb_addc(&sb, ' ');
        if (t.type == TK_IDENT && t.kw != KW__NONE)
            sb_addf(&sb, "kw:%s", sql_lex_keyword_text(t.kw));
        else
            sb_addf(&sb, "%s:%.*s", short_type(t.type), t.length, s + t.offset);
    }
    snprintf(out, sizeof out, "%s", sb.buf ? sb.buf : "");
    sb_free(&sb);
    return out;
}

/* Lexes until the first error; checks its message and location. */
static void lex_error(const char *s, const char *msg, int offset, int length)
{
    struct sql_lexer lx;
    struct sql_token t;
    struct weir_error err = {0};
    sql_lex_init(&lx, s, strlen(s));
    int rc;
    do {
        rc = sql_lex_next(&lx, &t, &err);
    } while (rc == WEIR_OK && t.type != TK_EOF);
    assert_int_equal(rc, WEIR_ERR_SYNTAX);
    assert_int_equal(t.type, TK_ERROR);
    assert_string_equal(err.message, msg);
    assert_int_equal(err.loc.offset, offset);
    assert_int_equal(err.loc.length, length);
    err_clear(&err);
}

static void test_keyword_table(void **state)
{
    (void)state;
    assert_true(sql_lex_table_ok());
    assert_int_equal(sql_lex_keyword("select", 6), KW_SELECT);
    assert_int_equal(sql_lex_keyword("SeLeCt", 6), KW_SELECT);
    assert_int_equal(sql_lex_keyword("selects", 7), KW__NONE);
    assert_int_equal(sql_lex_keyword("ZONE", 4), KW_ZONE);
    assert_int_equal(sql_lex_keyword("ABS", 3), KW_ABS);
    assert_true(sql_lex_is_reserved(KW_USER));
    assert_true(sql_lex_is_reserved(KW_VALUE));
    assert_true(sql_lex_is_reserved(KW_TIMESTAMP));
    assert_true(sql_lex_is_reserved(KW_PARTITION));
    assert_true(sql_lex_is_reserved(KW_COMMENT));     /* Flink addition */
    assert_false(sql_lex_is_reserved(KW_KEY));        /* Nexmark q13 uses it bare */
    assert_false(sql_lex_is_reserved(KW_TEMPORARY));
    assert_false(sql_lex_is_reserved(KW_DESCRIPTOR));
    assert_false(sql_lex_is_reserved(KW__NONE));
    assert_true(sql_lex_keyword_flags(KW_COUNT) & KWF_F);
}

static void test_basic_tokens(void **state)
{
    (void)state;
    assert_string_equal(lex_str("SELECT a, b FROM t;"),
                        "kw:SELECT id:a op:, id:b kw:FROM id:t op:;");
    assert_string_equal(lex_str("a<>b!=c<=d>=e<f>g=h||i=>j"),
                        "id:a op:<> id:b op:!= id:c op:<= id:d op:>= id:e op:< id:f op:> "
                        "id:g op:= id:h op:|| id:i op:=> id:j");
    assert_string_equal(lex_str("f(x)[1].y+-*/%"),
                        "id:f op:( id:x op:) op:[ int:1 op:] op:. id:y op:+ op:- op:* op:/ op:%");
    assert_string_equal(lex_str("  \n\t "), "");
    assert_string_equal(lex_str("caf\xc3\xa9 x$1"), "id:caf\xc3\xa9 id:x$1");
}

static void test_comments(void **state)
{
    (void)state;
    assert_string_equal(lex_str("a -- comment ; here\nb"), "id:a id:b");
    assert_string_equal(lex_str("a /* multi\nline */ b"), "id:a id:b");
    assert_string_equal(lex_str("a -- at end"), "id:a");
    assert_string_equal(lex_str("a/**/b"), "id:a id:b");
    assert_string_equal(lex_str("t /*+ OPTIONS('a'='b') */ x"),
                        "id:t hint:/*+ OPTIONS('a'='b') */ id:x");
    assert_string_equal(lex_str("1 - -2"), "int:1 op:- op:- int:2");
}

static void test_strings(void **state)
{
    (void)state;
    assert_string_equal(lex_str("'abc' 'it''s' ''"), "str:'abc' str:'it''s' str:''");
    assert_string_equal(lex_str("'multi\nline'"), "str:'multi\nline'");
    assert_string_equal(lex_str("X'0F' x'ab' N'n' _UTF16'u' U&'\\0041'"),
                        "bin:X'0F' bin:x'ab' str:N'n' str:_UTF16'u' ustr:U&'\\0041'");
}

static void test_quoted_identifiers(void **state)
{
    (void)state;
    assert_string_equal(lex_str("`dateTime` `a``b` `select`"),
                        "qid:`dateTime` qid:`a``b` qid:`select`");
}

static void test_numbers(void **state)
{
    (void)state;
    assert_string_equal(lex_str("0 123 0.908 .5 1. 1.0E10 2e-3 1E+2"),
                        "int:0 int:123 dec:0.908 dec:.5 dec:1. approx:1.0E10 approx:2e-3 "
                        "approx:1E+2");
    /* an E not followed by digits is not part of the number */
    assert_string_equal(lex_str("1e"), "int:1 id:e");
    assert_string_equal(lex_str("t.a"), "id:t op:. id:a");
}

static void test_keywords_case(void **state)
{
    (void)state;
    assert_string_equal(lex_str("select Select SELECT sElEcT"),
                        "kw:SELECT kw:SELECT kw:SELECT kw:SELECT");
    assert_string_equal(lex_str("current_timestamp dateTime"),
                        "kw:CURRENT_TIMESTAMP id:dateTime");
}

static void test_errors(void **state)
{
    (void)state;
    lex_error("SELECT 'abc", "unterminated string literal", 7, 1);
    lex_error("a /* never closed", "unterminated comment", 2, 2);
    lex_error("t /*+ OPTIONS(", "unterminated hint comment", 2, 3);
    lex_error("SELECT `abc", "unterminated quoted identifier", 7, 1);
    lex_error("SELECT \"abc\" FROM t",
              "double quotes are not allowed: write 'abc' for a string or `abc` for an "
              "identifier", 7, 5);
    lex_error("SELECT a # b", "unexpected character \"#\"", 9, 1);
    lex_error("a \x01", "unexpected character \"\\x01\"", 2, 1);
    lex_error("SELECT `` FROM t", "zero-length quoted identifier", 7, 2);
    lex_error("x'0F", "unterminated string literal", 1, 1);
    lex_error("a | b", "unexpected character \"|\"", 2, 1);
}

static void test_range(void **state)
{
    (void)state;
    const char *s = "abc /*+ A(x) */ def";
    struct sql_lexer lx;
    struct sql_token t;
    sql_lex_init_range(&lx, s, 7, 13);
    assert_int_equal(sql_lex_next(&lx, &t, NULL), WEIR_OK);
    assert_int_equal(t.type, TK_IDENT);
    assert_int_equal(t.offset, 8);
    assert_int_equal(sql_lex_next(&lx, &t, NULL), WEIR_OK);
    assert_int_equal(t.type, TK_LPAREN);
    assert_int_equal(t.offset, 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyword_table),
        cmocka_unit_test(test_basic_tokens),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_quoted_identifiers),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_keywords_case),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
