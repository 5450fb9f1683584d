/*
 * lex.h — the SQL tokenizer (first stage of src/sql: lex → parse → bind).
 *
 * Tokens are (type, offset, length) views into the caller's text, as SQLite's
 * Token: nothing is copied, and values (string contents, identifier names) are
 * decoded by the parser only when needed.  Words come back as TK_IDENT with
 * `kw` set when the word is a keyword (case-insensitive); whether a keyword is
 * reserved (must be backtick-quoted to serve as a name) follows Flink's parser:
 * Calcite's reserved words plus Flink's own reserved additions.
 */
#ifndef WEIR_SQL_LEX_H
#define WEIR_SQL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum sql_tok_type {
    TK_EOF,
    TK_IDENT,       /* word; kw != KW__NONE when it is a keyword */
    TK_QIDENT,      /* `quoted identifier` (`` escapes a backtick) */
    TK_STRING,      /* 'text' ('' escapes a quote); also N'..', _UTF8'..' */
    TK_USTRING,     /* U&'..' unicode-escaped string (P2) */
    TK_BINSTRING,   /* X'0F' */
    TK_INTEGER,     /* 123 */
    TK_DECIMAL,     /* 1.5  .5  1. */
    TK_APPROX,      /* 1.5E10 */
    TK_HINT,        /* a whole slash-star-plus ... star-slash hint comment */
    TK_LPAREN, TK_RPAREN, TK_LBRACKET, TK_RBRACKET,
    TK_COMMA, TK_SEMI, TK_DOT,
    TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT, TK_CONCAT,
    TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE,
    TK_ARROW,       /* => (named arguments) */
    TK_COLON,       /* : (JSON_OBJECT key : value) */
    TK_QUESTION,    /* ? (dynamic parameter; rejected by the parser) */
    TK_ERROR,       /* lexical error; details were put in the error object */
};

/* Keyword flags. */
#define KWF_R 1     /* reserved: cannot be an unquoted identifier */
#define KWF_F 2     /* reserved but allowed as a function name before '(' */
#define KWF_C 4     /* clause word: errors say "syntax error", not "quote it" */

/* X(enum suffix, spelling, flags), sorted by spelling (binary search). */
#define SQL_KEYWORDS(X) \
    X(ABS, "ABS", KWF_R|KWF_F) \
    X(ABSENT, "ABSENT", 0) \
    X(ALL, "ALL", KWF_R|KWF_C) \
    X(ALLOCATE, "ALLOCATE", KWF_R) \
    X(ALLOW, "ALLOW", KWF_R) \
    X(ALTER, "ALTER", KWF_R|KWF_C) \
    X(AND, "AND", KWF_R|KWF_C) \
    X(ANY, "ANY", KWF_R) \
    X(ARE, "ARE", KWF_R) \
    X(ARRAY, "ARRAY", KWF_R) \
    X(ARRAY_MAX_CARDINALITY, "ARRAY_MAX_CARDINALITY", KWF_R) \
    X(AS, "AS", KWF_R|KWF_C) \
    X(ASC, "ASC", 0) \
    X(ASENSITIVE, "ASENSITIVE", KWF_R) \
    X(ASYMMETRIC, "ASYMMETRIC", KWF_R) \
    X(AT, "AT", KWF_R) \
    X(ATOMIC, "ATOMIC", KWF_R) \
    X(AUTHORIZATION, "AUTHORIZATION", KWF_R) \
    X(AVG, "AVG", KWF_R|KWF_F) \
    X(BEGIN, "BEGIN", KWF_R|KWF_C) \
    X(BEGIN_FRAME, "BEGIN_FRAME", KWF_R) \
    X(BEGIN_PARTITION, "BEGIN_PARTITION", KWF_R) \
    X(BETWEEN, "BETWEEN", KWF_R|KWF_C) \
    X(BIGINT, "BIGINT", KWF_R) \
    X(BINARY, "BINARY", KWF_R) \
    X(BIT, "BIT", KWF_R) \
    X(BLOB, "BLOB", KWF_R) \
    X(BOOLEAN, "BOOLEAN", KWF_R) \
    X(BOTH, "BOTH", KWF_R) \
    X(BUCKETS, "BUCKETS", KWF_R) \
    X(BY, "BY", KWF_R|KWF_C) \
    X(BYTES, "BYTES", KWF_R) \
    X(CALL, "CALL", KWF_R) \
    X(CALLED, "CALLED", KWF_R) \
    X(CARDINALITY, "CARDINALITY", KWF_R|KWF_F) \
    X(CASCADED, "CASCADED", KWF_R) \
    X(CASE, "CASE", KWF_R|KWF_C) \
    X(CAST, "CAST", KWF_R|KWF_C) \
    X(CATALOG, "CATALOG", 0) \
    X(CATALOGS, "CATALOGS", KWF_R) \
    X(CEIL, "CEIL", KWF_R|KWF_F) \
    X(CEILING, "CEILING", KWF_R|KWF_F) \
    X(CENTURY, "CENTURY", 0) \
    X(CHANGELOG_MODE, "CHANGELOG_MODE", 0) \
    X(CHAR, "CHAR", KWF_R) \
    X(CHARACTER, "CHARACTER", KWF_R) \
    X(CHARACTER_LENGTH, "CHARACTER_LENGTH", KWF_R|KWF_F) \
    X(CHAR_LENGTH, "CHAR_LENGTH", KWF_R|KWF_F) \
    X(CHECK, "CHECK", KWF_R) \
    X(CLASSIFIER, "CLASSIFIER", KWF_R|KWF_F) \
    X(CLOB, "CLOB", KWF_R) \
    X(CLOSE, "CLOSE", KWF_R) \
    X(COALESCE, "COALESCE", KWF_R|KWF_F) \
    X(COLLATE, "COLLATE", KWF_R) \
    X(COLLECT, "COLLECT", KWF_R|KWF_F) \
    X(COLUMN, "COLUMN", KWF_R) \
    X(COMMENT, "COMMENT", KWF_R) \
    X(COMMIT, "COMMIT", KWF_R) \
    X(CONDITION, "CONDITION", KWF_R) \
    X(CONDITIONAL, "CONDITIONAL", 0) \
    X(CONNECT, "CONNECT", KWF_R) \
    X(CONNECTIONS, "CONNECTIONS", KWF_R) \
    X(CONSTRAINT, "CONSTRAINT", KWF_R) \
    X(CONTAINS, "CONTAINS", KWF_R) \
    X(CONTINUOUS, "CONTINUOUS", KWF_R) \
    X(CONVERT, "CONVERT", KWF_R|KWF_F) \
    X(CORR, "CORR", KWF_R|KWF_F) \
    X(CORRESPONDING, "CORRESPONDING", KWF_R) \
    X(COUNT, "COUNT", KWF_R|KWF_F) \
    X(COVAR_POP, "COVAR_POP", KWF_R|KWF_F) \
    X(COVAR_SAMP, "COVAR_SAMP", KWF_R|KWF_F) \
    X(CREATE, "CREATE", KWF_R|KWF_C) \
    X(CROSS, "CROSS", KWF_R|KWF_C) \
    X(CUBE, "CUBE", KWF_R) \
    X(CUME_DIST, "CUME_DIST", KWF_R|KWF_F) \
    X(CURRENT, "CURRENT", KWF_R) \
    X(CURRENT_CATALOG, "CURRENT_CATALOG", KWF_R|KWF_F) \
    X(CURRENT_DATE, "CURRENT_DATE", KWF_R|KWF_F) \
    X(CURRENT_DEFAULT_TRANSFORM_GROUP, "CURRENT_DEFAULT_TRANSFORM_GROUP", KWF_R) \
    X(CURRENT_PATH, "CURRENT_PATH", KWF_R|KWF_F) \
    X(CURRENT_ROLE, "CURRENT_ROLE", KWF_R|KWF_F) \
    X(CURRENT_ROW, "CURRENT_ROW", KWF_R) \
    X(CURRENT_SCHEMA, "CURRENT_SCHEMA", KWF_R|KWF_F) \
    X(CURRENT_TIME, "CURRENT_TIME", KWF_R|KWF_F) \
    X(CURRENT_TIMESTAMP, "CURRENT_TIMESTAMP", KWF_R|KWF_F) \
    X(CURRENT_TRANSFORM_GROUP_FOR_TYPE, "CURRENT_TRANSFORM_GROUP_FOR_TYPE", KWF_R) \
    X(CURRENT_USER, "CURRENT_USER", KWF_R|KWF_F) \
    X(CURSOR, "CURSOR", KWF_R) \
    X(CYCLE, "CYCLE", KWF_R) \
    X(DATABASE, "DATABASE", 0) \
    X(DATABASES, "DATABASES", KWF_R) \
    X(DATE, "DATE", KWF_R|KWF_F) \
    X(DAY, "DAY", KWF_R|KWF_F) \
    X(DAYS, "DAYS", 0) \
    X(DEALLOCATE, "DEALLOCATE", KWF_R) \
    X(DEC, "DEC", KWF_R) \
    X(DECADE, "DECADE", 0) \
    X(DECIMAL, "DECIMAL", KWF_R) \
    X(DECLARE, "DECLARE", KWF_R) \
    X(DEFAULT, "DEFAULT", KWF_R) \
    X(DEFINE, "DEFINE", KWF_R) \
    X(DELETE, "DELETE", KWF_R) \
    X(DENSE_RANK, "DENSE_RANK", KWF_R|KWF_F) \
    X(DEREF, "DEREF", KWF_R) \
    X(DESC, "DESC", 0) \
    X(DESCRIBE, "DESCRIBE", KWF_R|KWF_C) \
    X(DESCRIPTOR, "DESCRIPTOR", 0) \
    X(DETERMINISTIC, "DETERMINISTIC", KWF_R) \
    X(DISALLOW, "DISALLOW", KWF_R) \
    X(DISCONNECT, "DISCONNECT", KWF_R) \
    X(DISTINCT, "DISTINCT", KWF_R|KWF_C) \
    X(DISTRIBUTED, "DISTRIBUTED", KWF_R) \
    X(DISTRIBUTION, "DISTRIBUTION", KWF_R) \
    X(DOUBLE, "DOUBLE", KWF_R) \
    X(DOW, "DOW", 0) \
    X(DOY, "DOY", 0) \
    X(DROP, "DROP", KWF_R|KWF_C) \
    X(DYNAMIC, "DYNAMIC", KWF_R) \
    X(EACH, "EACH", KWF_R) \
    X(ELEMENT, "ELEMENT", KWF_R|KWF_F) \
    X(ELSE, "ELSE", KWF_R|KWF_C) \
    X(EMPTY, "EMPTY", KWF_R) \
    X(ENCODING, "ENCODING", 0) \
    X(END, "END", KWF_R|KWF_C) \
    X(END_FRAME, "END_FRAME", KWF_R) \
    X(END_PARTITION, "END_PARTITION", KWF_R) \
    X(ENFORCED, "ENFORCED", 0) \
    X(EPOCH, "EPOCH", 0) \
    X(EQUALS, "EQUALS", KWF_R) \
    X(ERROR, "ERROR", 0) \
    X(ESCAPE, "ESCAPE", KWF_R|KWF_C) \
    X(ESTIMATED_COST, "ESTIMATED_COST", 0) \
    X(EVERY, "EVERY", KWF_R|KWF_F) \
    X(EXCEPT, "EXCEPT", KWF_R|KWF_C) \
    X(EXCLUDING, "EXCLUDING", 0) \
    X(EXEC, "EXEC", KWF_R) \
    X(EXECUTE, "EXECUTE", KWF_R|KWF_C) \
    X(EXISTS, "EXISTS", KWF_R|KWF_C) \
    X(EXP, "EXP", KWF_R|KWF_F) \
    X(EXPLAIN, "EXPLAIN", KWF_R|KWF_C) \
    X(EXTEND, "EXTEND", KWF_R) \
    X(EXTENDED, "EXTENDED", KWF_R) \
    X(EXTERNAL, "EXTERNAL", KWF_R) \
    X(EXTRACT, "EXTRACT", KWF_R|KWF_F) \
    X(FALSE, "FALSE", KWF_R) \
    X(FETCH, "FETCH", KWF_R|KWF_C) \
    X(FILTER, "FILTER", KWF_R|KWF_C) \
    X(FIRST, "FIRST", 0) \
    X(FIRST_VALUE, "FIRST_VALUE", KWF_R|KWF_F) \
    X(FLOAT, "FLOAT", KWF_R) \
    X(FLOOR, "FLOOR", KWF_R|KWF_F) \
    X(FOLLOWING, "FOLLOWING", 0) \
    X(FOR, "FOR", KWF_R|KWF_C) \
    X(FOREIGN, "FOREIGN", KWF_R) \
    X(FORMAT, "FORMAT", 0) \
    X(FRAME_ROW, "FRAME_ROW", KWF_R) \
    X(FREE, "FREE", KWF_R) \
    X(FRESHNESS, "FRESHNESS", KWF_R) \
    X(FROM, "FROM", KWF_R|KWF_C) \
    X(FULL, "FULL", KWF_R|KWF_C) \
    X(FUNCTION, "FUNCTION", KWF_R) \
    X(FUNCTIONS, "FUNCTIONS", KWF_R) \
    X(FUSION, "FUSION", KWF_R|KWF_F) \
    X(GET, "GET", KWF_R) \
    X(GLOBAL, "GLOBAL", KWF_R) \
    X(GRANT, "GRANT", KWF_R) \
    X(GROUP, "GROUP", KWF_R|KWF_C) \
    X(GROUPING, "GROUPING", KWF_R|KWF_F) \
    X(GROUPS, "GROUPS", KWF_R) \
    X(HASH, "HASH", KWF_R) \
    X(HAVING, "HAVING", KWF_R|KWF_C) \
    X(HOLD, "HOLD", KWF_R) \
    X(HOUR, "HOUR", KWF_R|KWF_F) \
    X(HOURS, "HOURS", 0) \
    X(IDENTITY, "IDENTITY", KWF_R) \
    X(IF, "IF", 0) \
    X(IMPORT, "IMPORT", KWF_R) \
    X(IN, "IN", KWF_R|KWF_C) \
    X(INCLUDING, "INCLUDING", 0) \
    X(INDICATOR, "INDICATOR", KWF_R) \
    X(INITIAL, "INITIAL", KWF_R) \
    X(INNER, "INNER", KWF_R|KWF_C) \
    X(INOUT, "INOUT", KWF_R) \
    X(INSENSITIVE, "INSENSITIVE", KWF_R) \
    X(INSERT, "INSERT", KWF_R|KWF_C) \
    X(INT, "INT", KWF_R) \
    X(INTEGER, "INTEGER", KWF_R) \
    X(INTERSECT, "INTERSECT", KWF_R|KWF_C) \
    X(INTERSECTION, "INTERSECTION", KWF_R|KWF_F) \
    X(INTERVAL, "INTERVAL", KWF_R|KWF_C) \
    X(INTO, "INTO", KWF_R|KWF_C) \
    X(IS, "IS", KWF_R|KWF_C) \
    X(ISODOW, "ISODOW", 0) \
    X(ISOYEAR, "ISOYEAR", 0) \
    X(JAR, "JAR", 0) \
    X(JAVA, "JAVA", 0) \
    X(JOIN, "JOIN", KWF_R|KWF_C) \
    X(JSON, "JSON", 0) \
    X(JSON_ARRAY, "JSON_ARRAY", KWF_R|KWF_F) \
    X(JSON_ARRAYAGG, "JSON_ARRAYAGG", KWF_R|KWF_F) \
    X(JSON_EXECUTION_PLAN, "JSON_EXECUTION_PLAN", 0) \
    X(JSON_EXISTS, "JSON_EXISTS", KWF_R|KWF_F) \
    X(JSON_OBJECT, "JSON_OBJECT", KWF_R|KWF_F) \
    X(JSON_OBJECTAGG, "JSON_OBJECTAGG", KWF_R|KWF_F) \
    X(JSON_QUERY, "JSON_QUERY", KWF_R|KWF_F) \
    X(JSON_VALUE, "JSON_VALUE", KWF_R|KWF_F) \
    X(KEY, "KEY", 0) \
    X(LAG, "LAG", KWF_R|KWF_F) \
    X(LANGUAGE, "LANGUAGE", KWF_R) \
    X(LARGE, "LARGE", KWF_R) \
    X(LAST, "LAST", 0) \
    X(LAST_VALUE, "LAST_VALUE", KWF_R|KWF_F) \
    X(LATERAL, "LATERAL", KWF_R|KWF_C) \
    X(LEAD, "LEAD", KWF_R|KWF_F) \
    X(LEADING, "LEADING", KWF_R) \
    X(LEFT, "LEFT", KWF_R|KWF_F) \
    X(LIKE, "LIKE", KWF_R|KWF_C) \
    X(LIKE_REGEX, "LIKE_REGEX", KWF_R) \
    X(LIMIT, "LIMIT", KWF_R|KWF_C) \
    X(LN, "LN", KWF_R|KWF_F) \
    X(LOCAL, "LOCAL", KWF_R) \
    X(LOCALTIME, "LOCALTIME", KWF_R|KWF_F) \
    X(LOCALTIMESTAMP, "LOCALTIMESTAMP", KWF_R|KWF_F) \
    X(LOWER, "LOWER", KWF_R|KWF_F) \
    X(MAP, "MAP", 0) \
    X(MATCH, "MATCH", KWF_R) \
    X(MATCHES, "MATCHES", KWF_R) \
    X(MATCH_NUMBER, "MATCH_NUMBER", KWF_R|KWF_F) \
    X(MATCH_RECOGNIZE, "MATCH_RECOGNIZE", KWF_R) \
    X(MATERIALIZED, "MATERIALIZED", KWF_R) \
    X(MAX, "MAX", KWF_R|KWF_F) \
    X(MEASURES, "MEASURES", KWF_R) \
    X(MEMBER, "MEMBER", KWF_R) \
    X(MERGE, "MERGE", KWF_R) \
    X(METADATA, "METADATA", 0) \
    X(METHOD, "METHOD", KWF_R) \
    X(MICROSECOND, "MICROSECOND", 0) \
    X(MILLENNIUM, "MILLENNIUM", 0) \
    X(MILLISECOND, "MILLISECOND", 0) \
    X(MIN, "MIN", KWF_R|KWF_F) \
    X(MINUS, "MINUS", KWF_R|KWF_C) \
    X(MINUTE, "MINUTE", KWF_R|KWF_F) \
    X(MINUTES, "MINUTES", 0) \
    X(MOD, "MOD", KWF_R|KWF_F) \
    X(MODELS, "MODELS", KWF_R) \
    X(MODIFIES, "MODIFIES", KWF_R) \
    X(MODIFY, "MODIFY", KWF_R) \
    X(MODULE, "MODULE", KWF_R) \
    X(MODULES, "MODULES", KWF_R) \
    X(MONTH, "MONTH", KWF_R|KWF_F) \
    X(MONTHS, "MONTHS", 0) \
    X(MULTISET, "MULTISET", KWF_R) \
    X(NANOSECOND, "NANOSECOND", 0) \
    X(NATIONAL, "NATIONAL", KWF_R) \
    X(NATURAL, "NATURAL", KWF_R|KWF_C) \
    X(NCHAR, "NCHAR", KWF_R) \
    X(NCLOB, "NCLOB", KWF_R) \
    X(NEW, "NEW", KWF_R) \
    X(NEXT, "NEXT", KWF_R) \
    X(NO, "NO", KWF_R) \
    X(NONE, "NONE", KWF_R) \
    X(NORMALIZE, "NORMALIZE", KWF_R) \
    X(NOT, "NOT", KWF_R|KWF_C) \
    X(NTH_VALUE, "NTH_VALUE", KWF_R|KWF_F) \
    X(NTILE, "NTILE", KWF_R|KWF_F) \
    X(NULL, "NULL", KWF_R) \
    X(NULLIF, "NULLIF", KWF_R|KWF_F) \
    X(NULLS, "NULLS", 0) \
    X(NUMERIC, "NUMERIC", KWF_R) \
    X(OCCURRENCES_REGEX, "OCCURRENCES_REGEX", KWF_R) \
    X(OCTET_LENGTH, "OCTET_LENGTH", KWF_R|KWF_F) \
    X(OF, "OF", KWF_R) \
    X(OFFSET, "OFFSET", KWF_R) \
    X(OLD, "OLD", KWF_R) \
    X(OMIT, "OMIT", KWF_R) \
    X(ON, "ON", KWF_R|KWF_C) \
    X(ONE, "ONE", KWF_R) \
    X(ONLY, "ONLY", KWF_R) \
    X(OPEN, "OPEN", KWF_R) \
    X(OPTIONS, "OPTIONS", 0) \
    X(OR, "OR", KWF_R|KWF_C) \
    X(ORDER, "ORDER", KWF_R|KWF_C) \
    X(ORDINALITY, "ORDINALITY", 0) \
    X(OUT, "OUT", KWF_R) \
    X(OUTER, "OUTER", KWF_R|KWF_C) \
    X(OVER, "OVER", KWF_R|KWF_C) \
    X(OVERLAPS, "OVERLAPS", KWF_R) \
    X(OVERLAY, "OVERLAY", KWF_R|KWF_F) \
    X(OVERWRITE, "OVERWRITE", 0) \
    X(OVERWRITING, "OVERWRITING", 0) \
    X(PARAMETER, "PARAMETER", KWF_R) \
    X(PARTITION, "PARTITION", KWF_R) \
    X(PARTITIONED, "PARTITIONED", 0) \
    X(PATTERN, "PATTERN", KWF_R) \
    X(PER, "PER", KWF_R) \
    X(PERCENT, "PERCENT", KWF_R) \
    X(PERCENTILE_CONT, "PERCENTILE_CONT", KWF_R|KWF_F) \
    X(PERCENTILE_DISC, "PERCENTILE_DISC", KWF_R|KWF_F) \
    X(PERCENT_RANK, "PERCENT_RANK", KWF_R|KWF_F) \
    X(PERIOD, "PERIOD", KWF_R) \
    X(PERMUTE, "PERMUTE", KWF_R) \
    X(PLAN, "PLAN", 0) \
    X(PLAN_ADVICE, "PLAN_ADVICE", 0) \
    X(PORTION, "PORTION", KWF_R) \
    X(POSITION, "POSITION", KWF_R|KWF_F) \
    X(POSITION_REGEX, "POSITION_REGEX", KWF_R) \
    X(POWER, "POWER", KWF_R|KWF_F) \
    X(PRECEDES, "PRECEDES", KWF_R) \
    X(PRECEDING, "PRECEDING", 0) \
    X(PRECISION, "PRECISION", KWF_R) \
    X(PREPARE, "PREPARE", KWF_R) \
    X(PREV, "PREV", KWF_R) \
    X(PRIMARY, "PRIMARY", KWF_R) \
    X(PROCEDURE, "PROCEDURE", KWF_R) \
    X(PROCEDURES, "PROCEDURES", KWF_R) \
    X(PYTHON, "PYTHON", 0) \
    X(QUARTER, "QUARTER", 0) \
    X(RANGE, "RANGE", KWF_R|KWF_C) \
    X(RANK, "RANK", KWF_R|KWF_F) \
    X(RAW, "RAW", KWF_R) \
    X(READS, "READS", KWF_R) \
    X(REAL, "REAL", KWF_R) \
    X(RECURSIVE, "RECURSIVE", KWF_R) \
    X(REF, "REF", KWF_R) \
    X(REFERENCES, "REFERENCES", KWF_R) \
    X(REFERENCING, "REFERENCING", KWF_R) \
    X(REFRESH, "REFRESH", KWF_R) \
    X(REFRESH_MODE, "REFRESH_MODE", KWF_R) \
    X(REGR_AVGX, "REGR_AVGX", KWF_R|KWF_F) \
    X(REGR_AVGY, "REGR_AVGY", KWF_R|KWF_F) \
    X(REGR_COUNT, "REGR_COUNT", KWF_R|KWF_F) \
    X(REGR_INTERCEPT, "REGR_INTERCEPT", KWF_R|KWF_F) \
    X(REGR_R2, "REGR_R2", KWF_R|KWF_F) \
    X(REGR_SLOPE, "REGR_SLOPE", KWF_R|KWF_F) \
    X(REGR_SXX, "REGR_SXX", KWF_R|KWF_F) \
    X(REGR_SXY, "REGR_SXY", KWF_R|KWF_F) \
    X(REGR_SYY, "REGR_SYY", KWF_R|KWF_F) \
    X(RELEASE, "RELEASE", KWF_R) \
    X(RENAME, "RENAME", KWF_R) \
    X(RESET, "RESET", KWF_R|KWF_C) \
    X(RESULT, "RESULT", KWF_R) \
    X(RESUME, "RESUME", KWF_R) \
    X(RETURN, "RETURN", KWF_R) \
    X(RETURNING, "RETURNING", 0) \
    X(RETURNS, "RETURNS", KWF_R) \
    X(REVOKE, "REVOKE", KWF_R) \
    X(RIGHT, "RIGHT", KWF_R|KWF_F) \
    X(ROLLBACK, "ROLLBACK", KWF_R) \
    X(ROLLUP, "ROLLUP", KWF_R) \
    X(ROW, "ROW", KWF_R) \
    X(ROWS, "ROWS", KWF_R|KWF_C) \
    X(ROW_NUMBER, "ROW_NUMBER", KWF_R|KWF_F) \
    X(RUNNING, "RUNNING", KWF_R) \
    X(SAVEPOINT, "SAVEPOINT", KWF_R) \
    X(SCALA, "SCALA", KWF_R) \
    X(SCALAR, "SCALAR", 0) \
    X(SCOPE, "SCOPE", KWF_R) \
    X(SCROLL, "SCROLL", KWF_R) \
    X(SEARCH, "SEARCH", KWF_R) \
    X(SECOND, "SECOND", KWF_R|KWF_F) \
    X(SECONDS, "SECONDS", 0) \
    X(SEEK, "SEEK", KWF_R) \
    X(SELECT, "SELECT", KWF_R|KWF_C) \
    X(SENSITIVE, "SENSITIVE", KWF_R) \
    X(SESSION_USER, "SESSION_USER", KWF_R|KWF_F) \
    X(SET, "SET", KWF_R|KWF_C) \
    X(SETS, "SETS", 0) \
    X(SHOW, "SHOW", KWF_R|KWF_C) \
    X(SIMILAR, "SIMILAR", KWF_R|KWF_C) \
    X(SKIP, "SKIP", KWF_R) \
    X(SMALLINT, "SMALLINT", KWF_R) \
    X(SOME, "SOME", KWF_R) \
    X(SPECIFIC, "SPECIFIC", KWF_R) \
    X(SPECIFICTYPE, "SPECIFICTYPE", KWF_R) \
    X(SQL, "SQL", KWF_R) \
    X(SQLEXCEPTION, "SQLEXCEPTION", KWF_R) \
    X(SQLSTATE, "SQLSTATE", KWF_R) \
    X(SQLWARNING, "SQLWARNING", KWF_R) \
    X(SQRT, "SQRT", KWF_R|KWF_F) \
    X(START, "START", KWF_R) \
    X(STATEMENT, "STATEMENT", 0) \
    X(STATIC, "STATIC", KWF_R) \
    X(STDDEV_POP, "STDDEV_POP", KWF_R|KWF_F) \
    X(STDDEV_SAMP, "STDDEV_SAMP", KWF_R|KWF_F) \
    X(STREAM, "STREAM", KWF_R) \
    X(STRING, "STRING", KWF_R) \
    X(STRUCTURED, "STRUCTURED", KWF_R) \
    X(SUBMULTISET, "SUBMULTISET", KWF_R) \
    X(SUBSET, "SUBSET", KWF_R) \
    X(SUBSTRING, "SUBSTRING", KWF_R|KWF_F) \
    X(SUBSTRING_REGEX, "SUBSTRING_REGEX", KWF_R) \
    X(SUCCEEDS, "SUCCEEDS", KWF_R) \
    X(SUM, "SUM", KWF_R|KWF_F) \
    X(SUSPEND, "SUSPEND", KWF_R) \
    X(SYMMETRIC, "SYMMETRIC", KWF_R) \
    X(SYSTEM, "SYSTEM", KWF_R) \
    X(SYSTEM_TIME, "SYSTEM_TIME", KWF_R) \
    X(SYSTEM_USER, "SYSTEM_USER", KWF_R|KWF_F) \
    X(TABLE, "TABLE", KWF_R) \
    X(TABLES, "TABLES", KWF_R) \
    X(TABLESAMPLE, "TABLESAMPLE", KWF_R) \
    X(TEMPORARY, "TEMPORARY", 0) \
    X(THEN, "THEN", KWF_R|KWF_C) \
    X(TIME, "TIME", KWF_R|KWF_F) \
    X(TIMESTAMP, "TIMESTAMP", KWF_R|KWF_F) \
    X(TIMESTAMP_LTZ, "TIMESTAMP_LTZ", KWF_R) \
    X(TIMEZONE_HOUR, "TIMEZONE_HOUR", KWF_R) \
    X(TIMEZONE_MINUTE, "TIMEZONE_MINUTE", KWF_R) \
    X(TINYINT, "TINYINT", KWF_R) \
    X(TO, "TO", KWF_R|KWF_C) \
    X(TRAILING, "TRAILING", KWF_R) \
    X(TRANSLATE, "TRANSLATE", KWF_R|KWF_F) \
    X(TRANSLATE_REGEX, "TRANSLATE_REGEX", KWF_R) \
    X(TRANSLATION, "TRANSLATION", KWF_R) \
    X(TREAT, "TREAT", KWF_R) \
    X(TRIGGER, "TRIGGER", KWF_R) \
    X(TRIM, "TRIM", KWF_R|KWF_F) \
    X(TRIM_ARRAY, "TRIM_ARRAY", KWF_R) \
    X(TRUE, "TRUE", KWF_R) \
    X(TRUNCATE, "TRUNCATE", KWF_R|KWF_F) \
    X(UESCAPE, "UESCAPE", KWF_R) \
    X(UNBOUNDED, "UNBOUNDED", 0) \
    X(UNCONDITIONAL, "UNCONDITIONAL", 0) \
    X(UNION, "UNION", KWF_R|KWF_C) \
    X(UNIQUE, "UNIQUE", KWF_R) \
    X(UNKNOWN, "UNKNOWN", KWF_R) \
    X(UNNEST, "UNNEST", KWF_R|KWF_C) \
    X(UPDATE, "UPDATE", KWF_R) \
    X(UPPER, "UPPER", KWF_R|KWF_F) \
    X(UPSERT, "UPSERT", KWF_R) \
    X(USE, "USE", KWF_R|KWF_C) \
    X(USER, "USER", KWF_R|KWF_F) \
    X(USING, "USING", KWF_R|KWF_C) \
    X(UTF16, "UTF16", 0) \
    X(UTF32, "UTF32", 0) \
    X(UTF8, "UTF8", 0) \
    X(VALUE, "VALUE", KWF_R) \
    X(VALUES, "VALUES", KWF_R|KWF_C) \
    X(VALUE_OF, "VALUE_OF", KWF_R) \
    X(VARBINARY, "VARBINARY", KWF_R) \
    X(VARCHAR, "VARCHAR", KWF_R) \
    X(VARYING, "VARYING", KWF_R) \
    X(VAR_POP, "VAR_POP", KWF_R|KWF_F) \
    X(VAR_SAMP, "VAR_SAMP", KWF_R|KWF_F) \
    X(VERSIONING, "VERSIONING", KWF_R) \
    X(VIEW, "VIEW", 0) \
    X(VIEWS, "VIEWS", KWF_R) \
    X(VIRTUAL, "VIRTUAL", 0) \
    X(WATERMARK, "WATERMARK", KWF_R) \
    X(WATERMARKS, "WATERMARKS", KWF_R) \
    X(WEEK, "WEEK", 0) \
    X(WHEN, "WHEN", KWF_R|KWF_C) \
    X(WHENEVER, "WHENEVER", KWF_R) \
    X(WHERE, "WHERE", KWF_R|KWF_C) \
    X(WIDTH_BUCKET, "WIDTH_BUCKET", KWF_R|KWF_F) \
    X(WINDOW, "WINDOW", KWF_R) \
    X(WITH, "WITH", KWF_R|KWF_C) \
    X(WITHIN, "WITHIN", KWF_R|KWF_C) \
    X(WITHOUT, "WITHOUT", KWF_R) \
    X(WRAPPER, "WRAPPER", 0) \
    X(YEAR, "YEAR", KWF_R|KWF_F) \
    X(YEARS, "YEARS", 0) \
    X(ZONE, "ZONE", 0)


enum sql_keyword {
    KW__NONE,
#define SQL_KW_ENUM(name, text, flags) KW_##name,
    SQL_KEYWORDS(SQL_KW_ENUM)
#undef SQL_KW_ENUM
    KW__COUNT
};

struct sql_token {
    uint8_t type;           /* enum sql_tok_type */
    uint16_t kw;            /* enum sql_keyword for TK_IDENT, else KW__NONE */
    int offset;             /* byte offset into the text */
    int length;             /* bytes */
};

struct sql_lexer {
    const char *text;       /* borrowed: the whole script */
    int pos;                /* next byte to read */
    int end;                /* one past the last byte to read */
};

/* Lex text[0..len) (len is capped at INT_MAX - 1; parse.c rejects longer). */
void sql_lex_init(struct sql_lexer *lx, const char *text, size_t len);
/* Lex text[start..end) with offsets still relative to text (hint bodies). */
void sql_lex_init_range(struct sql_lexer *lx, const char *text, int start, int end);

/* Reads the next token into *tok, skipping white space and comments.  Returns
 * WEIR_OK (tok->type TK_EOF at the end) or WEIR_ERR_SYNTAX with err set (tok
 * then is TK_ERROR covering the bad spot). */
int sql_lex_next(struct sql_lexer *lx, struct sql_token *tok, struct weir_error *err);

/* Keyword id of the word s[0..n) (any case), KW__NONE if it is not one. */
int sql_lex_keyword(const char *s, size_t n);
const char *sql_lex_keyword_text(int kw);    /* upper case, "" for KW__NONE */
int sql_lex_keyword_flags(int kw);           /* KWF_* bits, 0 for KW__NONE */
bool sql_lex_is_reserved(int kw);
/* For tests: the keyword table is sorted and unique. */
bool sql_lex_table_ok(void);

/* Short name of a token type for messages ("string literal", "\"(\"", ...). */
const char *sql_lex_type_name(int type);

#endif
