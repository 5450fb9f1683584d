/*
 * lex.c — SQL tokenizer: bytes → (type, offset, length) tokens.
 *
 * Hand-written single pass, no allocation.  Keywords are found by binary search
 * in the sorted SQL_KEYWORDS table of lex.h after upper-casing the word into a
 * small stack buffer (no keyword is longer than 32 bytes), which costs a few
 * comparisons per word.  Flink's default dialect quotes identifiers with
 * backticks and strings with single quotes; a double quote is an error that
 * says so, since it is the most common mistake of people coming from other
 * databases.  Lexical errors carry the byte offset of the culprit.
 */
#include "sql/lex.h"

#include <limits.h>
#include <string.h>

struct kw_entry {
    const char *text;
    uint8_t flags;
};

static const struct kw_entry kw_table[] = {
#define SQL_KW_ENTRY(name, text, flags) {text, flags},
    SQL_KEYWORDS(SQL_KW_ENTRY)
#undef SQL_KW_ENTRY
};
#define KW_TABLE_N ((int)(sizeof(kw_table) / sizeof(kw_table[0])))
#define KW_MAX_LEN 40

void sql_lex_init(struct sql_lexer *lx, const char *text, size_t len)
{
    if (len > (size_t)INT_MAX - 1)
        len = (size_t)INT_MAX - 1;
    lx->text = text;
    lx->pos = 0;
    lx->end = (int)len;
}

void sql_lex_init_range(struct sql_lexer *lx, const char *text, int start, int end)
{
    lx->text = text;
    lx->pos = start;
    lx->end = end;
}

int sql_lex_keyword(const char *s, size_t n)
{
    char up[KW_MAX_LEN + 1];
    if (n == 0 || n > KW_MAX_LEN)
        return KW__NONE;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        up[i] = c;
    }
    up[n] = '\0';
    int lo = 0, hi = KW_TABLE_N - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(up, kw_table[mid].text);
        if (c == 0)
            return mid + 1;         /* KW__NONE is 0 */
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return KW__NONE;
}

const char *sql_lex_keyword_text(int kw)
{
    if (kw <= KW__NONE || kw > KW_TABLE_N)
        return "";
    return kw_table[kw - 1].text;
}

int sql_lex_keyword_flags(int kw)
{
    if (kw <= KW__NONE || kw > KW_TABLE_N)
        return 0;
    return kw_table[kw - 1].flags;
}

bool sql_lex_is_reserved(int kw)
{
    return (sql_lex_keyword_flags(kw) & KWF_R) != 0;
}

bool sql_lex_table_ok(void)
{
    for (int i = 1; i < KW_TABLE_N; i++)
        if (strcmp(kw_table[i - 1].text, kw_table[i].text) >= 0)
            return false;
    return KW_TABLE_N + 1 == KW__COUNT;
}

const char *sql_lex_type_name(int type)
{
    switch (type) {
    case TK_EOF: return "end of input";
    case TK_IDENT: return "identifier";
    case TK_QIDENT: return "quoted identifier";
    case TK_STRING: return "string literal";
    case TK_USTRING: return "unicode string literal";
    case TK_BINSTRING: return "binary string literal";
    case TK_INTEGER: return "integer literal";
    case TK_DECIMAL: return "decimal literal";
    case TK_APPROX: return "approximate numeric literal";
    case TK_HINT: return "hint";
    case TK_LPAREN: return "\"(\"";
    case TK_RPAREN: return "\")\"";
    case TK_LBRACKET: return "\"[\"";
    case TK_RBRACKET: return "\"]\"";
    case TK_COMMA: return "\",\"";
    case TK_SEMI: return "\";\"";
    case TK_DOT: return "\".\"";
    case TK_PLUS: return "\"+\"";
    case TK_MINUS: return "\"-\"";
    case TK_STAR: return "\"*\"";
    case TK_SLASH: return "\"/\"";
    case TK_PERCENT: return "\"%\"";
    case TK_CONCAT: return "\"||\"";
    case TK_EQ: return "\"=\"";
    case TK_NE: return "\"<>\"";
    case TK_LT: return "\"<\"";
    case TK_LE: return "\"<=\"";
    case TK_GT: return "\">\"";
    case TK_GE: return "\">=\"";
    case TK_ARROW: return "\"=>\"";
    case TK_COLON: return "\":\"";
    case TK_QUESTION: return "\"?\"";
    default: return "token";
    }
}

static bool is_word_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_word_char(unsigned char c)
{
    return is_word_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int lex_fail(struct sql_token *tok, struct weir_error *err, int off, int len,
                    const char *fmt, const char *arg)
{
    tok->type = TK_ERROR;
    tok->kw = KW__NONE;
    tok->offset = off;
    tok->length = len > 0 ? len : 1;
    return err_set_at(err, WEIR_ERR_SYNTAX, (struct weir_loc){off, tok->length},
                      fmt, arg);
}

/* Scans a '...' body starting at the opening quote q; returns the offset one
 * past the closing quote, or -1 if the string never ends. */
static int scan_quoted(const char *s, int q, int end, char quote)
{
    int i = q + 1;
    while (i < end) {
        if (s[i] == quote) {
            if (i + 1 < end && s[i + 1] == quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
    return -1;
}

static int lex_string_at(struct sql_lexer *lx, struct sql_token *tok,
                         struct weir_error *err, int start, int quote_pos, int type)
{
    int e = scan_quoted(lx->text, quote_pos, lx->end, '\'');
    if (e < 0) {
        lx->pos = lx->end;
        return lex_fail(tok, err, quote_pos, 1, "unterminated string literal%s", "");
    }
    lx->pos = e;
    tok->type = (uint8_t)type;
    tok->offset = start;
    tok->length = e - start;
    return WEIR_OK;
}

int sql_lex_next(struct sql_lexer *lx, struct sql_token *tok, struct weir_error *err)
{
    const char *s = lx->text;
    int end = lx->end;
    int i = lx->pos;

    tok->kw = KW__NONE;
    /* White space and comments (hints are tokens, not comments). */
    for (;;) {
        while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'
                           || s[i] == '\f' || s[i] == '\v'))
            i++;
        if (i + 1 < end && s[i] == '-' && s[i + 1] == '-') {
            while (i < end && s[i] != '\n')
                i++;
            continue;
        }
        if (i + 1 < end && s[i] == '/' && s[i + 1] == '*'
            && !(i + 2 < end && s[i + 2] == '+')) {
            int j = i + 2;
            while (j + 1 < end && !(s[j] == '*' && s[j + 1] == '/'))
                j++;
            if (j + 1 >= end) {
                lx->pos = end;
                return lex_fail(tok, err, i, 2, "unterminated comment%s", "");
            }
            i = j + 2;
            continue;
        }
        break;
    }
    tok->offset = i;
    if (i >= end) {
        lx->pos = end;
        tok->type = TK_EOF;
        tok->length = 0;
        return WEIR_OK;
    }

    unsigned char c = (unsigned char)s[i];
    int start = i;

    /* Hint comment. */
    if (c == '/' && i + 2 < end && s[i + 1] == '*' && s[i + 2] == '+') {
        int j = i + 3;
        while (j + 1 < end && !(s[j] == '*' && s[j + 1] == '/'))
            j++;
        if (j + 1 >= end) {
            lx->pos = end;
            return lex_fail(tok, err, i, 3, "unterminated hint comment%s", "");
        }
        lx->pos = j + 2;
        tok->type = TK_HINT;
        tok->length = j + 2 - i;
        return WEIR_OK;
    }

    if (is_word_start(c)) {
        int j = i + 1;
        while (j < end && is_word_char((unsigned char)s[j]))
            j++;
        int n = j - i;
        /* Prefixed strings: X'..', N'..', U&'..', _charset'..'. */
        if (j < end && s[j] == '\'') {
            if (n == 1 && (c == 'x' || c == 'X'))
                return lex_string_at(lx, tok, err, start, j, TK_BINSTRING);
            if ((n == 1 && (c == 'n' || c == 'N')) || c == '_')
                return lex_string_at(lx, tok, err, start, j, TK_STRING);
        }
        if (n == 1 && (c == 'u' || c == 'U') && j + 1 < end && s[j] == '&'
            && s[j + 1] == '\'')
            return lex_string_at(lx, tok, err, start, j + 1, TK_USTRING);
        lx->pos = j;
        tok->type = TK_IDENT;
        tok->length = n;
        tok->kw = (uint16_t)sql_lex_keyword(s + i, (size_t)n);
        return WEIR_OK;
    }

    if (is_digit(c) || (c == '.' && i + 1 < end && is_digit((unsigned char)s[i + 1]))) {
        int j = i;
        int type = TK_INTEGER;
        while (j < end && is_digit((unsigned char)s[j]))
            j++;
        if (j < end && s[j] == '.') {
            type = TK_DECIMAL;
            j++;
            while (j < end && is_digit((unsigned char)s[j]))
                j++;
        }
        if (j < end && (s[j] == 'e' || s[j] == 'E')) {
            int k = j + 1;
            if (k < end && (s[k] == '+' || s[k] == '-'))
                k++;
            if (k < end && is_digit((unsigned char)s[k])) {
                while (k < end && is_digit((unsigned char)s[k]))
                    k++;
                j = k;
                type = TK_APPROX;
            }
        }
        lx->pos = j;
        tok->type = (uint8_t)type;
        tok->length = j - i;
        return WEIR_OK;
    }

    if (c == '`') {
        int e = scan_quoted(s, i, end, '`');
        if (e < 0) {
            lx->pos = end;
            return lex_fail(tok, err, i, 1, "unterminated quoted identifier%s", "");
        }
        lx->pos = e;
        if (e - i == 2)
            return lex_fail(tok, err, i, 2, "zero-length quoted identifier%s", "");
        tok->type = TK_QIDENT;
        tok->length = e - i;
        return WEIR_OK;
    }

    if (c == '\'')
        return lex_string_at(lx, tok, err, i, i, TK_STRING);

    if (c == '"') {
        int e = scan_quoted(s, i, end, '"');
        int len = e < 0 ? 1 : e - i;
        lx->pos = e < 0 ? end : e;
        if (len > 1 && len <= 64) {
            char tmp[64];
            memcpy(tmp, s + i + 1, (size_t)(len - 2));
            tmp[len - 2] = '\0';
            tok->type = TK_ERROR;
            tok->offset = i;
            tok->length = len;
            return err_set_at(err, WEIR_ERR_SYNTAX, (struct weir_loc){i, len},
                              "double quotes are not allowed: write '%s' for a string "
                              "or `%s` for an identifier", tmp, tmp);
        }
        return lex_fail(tok, err, i, len,
                        "double quotes are not allowed: use single quotes for strings "
                        "and backticks for identifiers%s", "");
    }

    int type = -1, len = 1;
    char c1 = i + 1 < end ? s[i + 1] : '\0';
    switch (c) {
    case '(': type = TK_LPAREN; break;
    case ')': type = TK_RPAREN; break;
    case '[': type = TK_LBRACKET; break;
    case ']': type = TK_RBRACKET; break;
    case ',': type = TK_COMMA; break;
    case ';': type = TK_SEMI; break;
    case '.': type = TK_DOT; break;
    case '+': type = TK_PLUS; break;
    case '-': type = TK_MINUS; break;
    case '*': type = TK_STAR; break;
    case '/': type = TK_SLASH; break;
    case '%': type = TK_PERCENT; break;
    case ':': type = TK_COLON; break;
    case '?': type = TK_QUESTION; break;
    case '|':
        if (c1 == '|') {
            type = TK_CONCAT;
            len = 2;
        }
        break;
    case '=':
        if (c1 == '>') {
            type = TK_ARROW;
            len = 2;
        } else {
            type = TK_EQ;
        }
        break;
    case '!':
        if (c1 == '=') {
            type = TK_NE;
            len = 2;
        }
        break;
    case '<':
        if (c1 == '=') {
            type = TK_LE;
            len = 2;
        } else if (c1 == '>') {
            type = TK_NE;
            len = 2;
        } else {
            type = TK_LT;
        }
        break;
    case '>':
        if (c1 == '=') {
            type = TK_GE;
            len = 2;
        } else {
            type = TK_GT;
        }
        break;
    default:
        break;
    }
    if (type < 0) {
        char shown[8];
        if (c >= 0x20 && c < 0x7f) {
            shown[0] = (char)c;
            shown[1] = '\0';
        } else {
            static const char hex[] = "0123456789abcdef";
            shown[0] = '\\';
            shown[1] = 'x';
            shown[2] = hex[c >> 4];
            shown[3] = hex[c & 15];
            shown[4] = '\0';
        }
        lx->pos = i + 1;
        return lex_fail(tok, err, i, 1, "unexpected character \"%s\"", shown);
    }
    lx->pos = i + len;
    tok->type = (uint8_t)type;
    tok->length = len;
    return WEIR_OK;
}
