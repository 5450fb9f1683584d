/*
 * parse.h — the SQL parser: script text → AST (src/sql/ast.h).
 *
 * Hand-written recursive descent over the tokens of lex.h, accepting the Flink
 * SQL surface described in docs SQL.md §a–c (grammar: src/sql/sql.md).  The
 * parser only checks syntax; names, types of expressions and what weir can run
 * are the binder's business.  The first error wins and is reported with the
 * byte offset of the culprit token; messages never contain line/column (the
 * renderer derives them from the offset).
 */
#ifndef WEIR_SQL_PARSE_H
#define WEIR_SQL_PARSE_H

#include <stddef.h>

#include "core/err.h"
#include "core/mem.h"
#include "sql/ast.h"

/* Nesting limit for expressions, queries, joins and types: deeper input is a
 * clean syntax error instead of a stack overflow. */
#define SQL_PARSE_MAX_DEPTH 500
/* Longest script accepted (bytes). */
#define SQL_PARSE_MAX_LEN (256 * 1024 * 1024)

/* Parses a whole script (statements separated by ';').  On success *out points
 * to the script, every node allocated in arena a (which must outlive it;
 * strings are copies, not views into text).  Returns WEIR_OK, or
 * WEIR_ERR_SYNTAX / WEIR_ERR_UNSUPPORTED with err set (err->loc = culprit);
 * on error *out is NULL and a may hold garbage nodes (free with the arena). */
int sql_parse_script(struct arena *a, const char *text, size_t len,
                     struct ast_script **out, struct weir_error *err);

/* Parses exactly one expression (tests, computed-column snippets). */
int sql_parse_expr(struct arena *a, const char *text, size_t len,
                   struct ast_expr **out, struct weir_error *err);

/* Parses exactly one data type, e.g. "ROW<a INT, b STRING> NOT NULL". */
int sql_parse_type(struct arena *a, const char *text, size_t len,
                   const struct sql_type **out, struct weir_error *err);

#endif
