/*
 * ast.h — the syntax tree the parser (parse.c) builds and the binder reads.
 *
 * Every node lives in the caller's arena and carries a `struct weir_loc` (byte
 * offset + length into the SQL text) so later phases can point at the culprit.
 * Lists are (pointer array, n_*) pairs; nodes are tagged unions.  The tree is
 * purely syntactic: names are not resolved, literals keep their text, and the
 * special-syntax functions (EXTRACT, TRIM, FLOOR .. TO, JSON_VALUE ...) are
 * normalised into ordinary AST_E_CALL nodes with AST_E_SYMBOL arguments, as
 * Calcite does.  Grammar: src/sql/sql.md.
 */
#ifndef WEIR_SQL_AST_H
#define WEIR_SQL_AST_H

#include <stdbool.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/types.h"

struct ast_expr;
struct ast_query;
struct ast_stmt;

/* ------------------------------------------------------------------ names */

/* A possibly qualified name: `catalog.db.table`, `t.col`, `fn`.  Parts are
 * unquoted and unescaped (backticks removed); case is kept as written. */
struct ast_name {
    int n_parts;
    const char **parts;
    struct weir_loc *part_locs;     /* one per part */
    struct weir_loc loc;            /* whole name */
};

/* 'key' = 'value' pairs: WITH (...), OPTIONS hints, PARTITION (k='v') specs. */
struct ast_option {
    const char *key;                /* unescaped string (or identifier) */
    const char *value;              /* unescaped; NULL for a bare key */
    struct weir_loc key_loc;
    struct weir_loc value_loc;
};

/* A `/\*+ NAME(args) *\/` table or query hint.  OPTIONS-style hints carry options;
 * list-style hints (e.g. LOOKUP('table'='d', ...) or BROADCAST(t1, t2)) carry
 * either options or plain args (identifiers/strings as text). */
struct ast_hint {
    const char *name;               /* as written (case kept) */
    struct ast_option *options;     /* 'k'='v' form */
    int n_options;
    const char **args;              /* plain list form */
    int n_args;
    struct weir_loc loc;
};

/* ------------------------------------------------------------ expressions */

enum ast_expr_kind {
    AST_E_LITERAL,
    AST_E_IDENT,        /* a, t.a, t.r.f: the binder decides table vs field */
    AST_E_STAR,         /* * or t.* (select list) */
    AST_E_UNARY,
    AST_E_BINARY,
    AST_E_CALL,         /* f(args), also normalised special syntax */
    AST_E_CAST,         /* CAST / TRY_CAST */
    AST_E_CASE,
    AST_E_IS,           /* IS [NOT] NULL/TRUE/FALSE/UNKNOWN/JSON */
    AST_E_BETWEEN,
    AST_E_IN,           /* IN (list) or IN (subquery) */
    AST_E_LIKE,         /* LIKE / SIMILAR TO */
    AST_E_EXISTS,
    AST_E_SUBQUERY,     /* scalar subquery (query) */
    AST_E_ROW,          /* ROW(a, b) or (a, b); also grouping-set items */
    AST_E_ARRAY,        /* ARRAY[...] */
    AST_E_MAP,          /* MAP[k1, v1, ...] */
    AST_E_INDEX,        /* base[index] */
    AST_E_FIELD,        /* (expr).field, a[1].f */
    AST_E_SYMBOL,       /* keyword argument: HOUR, LEADING, BOTH ... */
    AST_E_DESCRIPTOR,   /* DESCRIPTOR(c1, c2) in TVF args */
    AST_E_TABLE_ARG,    /* TABLE name [PARTITION BY ...] [ORDER BY ...] in TVF args */
    AST_E_NAMED_ARG,    /* name => value in call args */
    AST_E_GROUPING_SETS,/* GROUP BY GROUPING SETS (...) */
    AST_E_ROLLUP,
    AST_E_CUBE,
    AST_E_DEFAULT,      /* DEFAULT (e.g. in VALUES or named args) */
};

enum ast_lit_kind {
    AST_LIT_INTEGER,    /* text: digits only ("123"); sign is a unary minus */
    AST_LIT_DECIMAL,    /* text: "0.908", ".5", "1." */
    AST_LIT_APPROX,     /* text: "1.0E10" */
    AST_LIT_STRING,     /* text: unescaped value ('' -> ') */
    AST_LIT_BINARY,     /* text: hex digits of X'0F' */
    AST_LIT_TRUE,
    AST_LIT_FALSE,
    AST_LIT_UNKNOWN,
    AST_LIT_NULL,
    AST_LIT_DATE,       /* text: the string inside DATE '...' */
    AST_LIT_TIME,       /* TIME '...' */
    AST_LIT_TIMESTAMP,  /* TIMESTAMP '...' */
    AST_LIT_TIMESTAMP_LTZ, /* TIMESTAMP_LTZ '...' / TIMESTAMP WITH LOCAL TIME ZONE '...' */
    AST_LIT_INTERVAL,   /* text: string inside INTERVAL '...'; see interval */
};

/* Units of INTERVAL qualifiers, EXTRACT, FLOOR/CEIL .. TO, TIMESTAMPADD. */
enum ast_time_unit {
    AST_TU_NONE,
    AST_TU_YEAR,
    AST_TU_QUARTER,
    AST_TU_MONTH,
    AST_TU_WEEK,
    AST_TU_DAY,
    AST_TU_HOUR,
    AST_TU_MINUTE,
    AST_TU_SECOND,
    AST_TU_MILLISECOND,
    AST_TU_MICROSECOND,
    AST_TU_NANOSECOND,
    AST_TU_DOY,
    AST_TU_DOW,
    AST_TU_ISODOW,
    AST_TU_ISOYEAR,
    AST_TU_EPOCH,
    AST_TU_DECADE,
    AST_TU_CENTURY,
    AST_TU_MILLENNIUM,
};

/* `unit [(p)] [TO unit [(fp)]]` of an INTERVAL literal.  Precisions are -1
 * when not written.  Plural units (MINUTES) map to the singular. */
struct ast_interval_qual {
    enum ast_time_unit start;
    enum ast_time_unit end;         /* AST_TU_NONE if no TO */
    int start_precision;            /* leading field precision, -1 default */
    int frac_precision;             /* SECOND(p, fp) / TO SECOND(fp), -1 default */
    struct weir_loc loc;
};

enum ast_unary_op {
    AST_OP_NEG,
    AST_OP_PLUS,
    AST_OP_NOT,
};

enum ast_binary_op {
    AST_OP_OR,
    AST_OP_AND,
    AST_OP_EQ,
    AST_OP_NE,          /* <> and != */
    AST_OP_LT,
    AST_OP_LE,
    AST_OP_GT,
    AST_OP_GE,
    AST_OP_IS_DISTINCT,         /* a IS DISTINCT FROM b */
    AST_OP_IS_NOT_DISTINCT,     /* a IS NOT DISTINCT FROM b */
    AST_OP_ADD,
    AST_OP_SUB,
    AST_OP_MUL,
    AST_OP_DIV,
    AST_OP_MOD,         /* % (the MOD() function stays a call) */
    AST_OP_CONCAT,      /* || */
};

enum ast_is_test {
    AST_IS_NULL,
    AST_IS_TRUE,
    AST_IS_FALSE,
    AST_IS_UNKNOWN,
    AST_IS_JSON,        /* json_kind says VALUE/SCALAR/ARRAY/OBJECT */
};

enum ast_json_kind {
    AST_JSON_VALUE,     /* plain IS JSON or IS JSON VALUE */
    AST_JSON_SCALAR,
    AST_JSON_ARRAY,
    AST_JSON_OBJECT,
};

/* ON EMPTY / ON ERROR / ON NULL behaviour of the JSON functions. */
enum ast_json_behavior {
    AST_JB_NONE,        /* not written: the function's default applies */
    AST_JB_NULL,
    AST_JB_ERROR,
    AST_JB_DEFAULT,     /* DEFAULT expr */
    AST_JB_TRUE,
    AST_JB_FALSE,
    AST_JB_UNKNOWN,
    AST_JB_EMPTY_ARRAY,
    AST_JB_EMPTY_OBJECT,
    AST_JB_ABSENT,      /* ABSENT ON NULL (JSON_OBJECT/JSON_ARRAY) */
};

enum ast_json_wrapper {
    AST_JW_NONE,                /* not written */
    AST_JW_WITHOUT,             /* WITHOUT [ARRAY] WRAPPER */
    AST_JW_WITH_CONDITIONAL,    /* WITH CONDITIONAL [ARRAY] WRAPPER */
    AST_JW_WITH_UNCONDITIONAL,  /* WITH [UNCONDITIONAL] [ARRAY] WRAPPER */
};

struct ast_order_item {
    struct ast_expr *expr;
    bool desc;
    int nulls;                      /* 0 default, 1 NULLS FIRST, 2 NULLS LAST */
    struct weir_loc loc;
};

enum ast_frame_bound_kind {
    AST_FB_UNBOUNDED_PRECEDING,
    AST_FB_PRECEDING,               /* offset PRECEDING */
    AST_FB_CURRENT_ROW,
    AST_FB_FOLLOWING,               /* offset FOLLOWING */
    AST_FB_UNBOUNDED_FOLLOWING,
};

struct ast_frame_bound {
    enum ast_frame_bound_kind kind;
    struct ast_expr *offset;        /* PRECEDING/FOLLOWING only */
    struct weir_loc loc;
};

/* OVER (...) specification, also WINDOW w AS (...).  A frame written as
 * `ROWS n PRECEDING` (no BETWEEN) has hi = CURRENT ROW. */
struct ast_window {
    const char *ref;                /* OVER w, or base window in (w PARTITION ..) */
    struct weir_loc ref_loc;
    struct ast_expr **partition_by;
    int n_partition_by;
    struct ast_order_item *order_by;
    int n_order_by;
    bool has_frame;
    bool rows;                      /* ROWS (true) or RANGE (false) */
    struct ast_frame_bound lo;
    struct ast_frame_bound hi;
    struct weir_loc loc;
};

struct ast_expr {
    enum ast_expr_kind kind;
    struct weir_loc loc;            /* span of the whole expression */
    union {
        struct {
            enum ast_lit_kind kind;
            const char *text;       /* see enum ast_lit_kind; NULL for bools/NULL */
            bool negative;          /* INTERVAL -'1' DAY */
            struct ast_interval_qual interval;  /* AST_LIT_INTERVAL only */
        } lit;
        struct ast_name ident;      /* AST_E_IDENT: 1..n parts */
        struct {
            struct ast_name qualifier;  /* n_parts 0 for a bare * */
        } star;
        struct {
            enum ast_unary_op op;
            struct ast_expr *arg;
            struct weir_loc op_loc;
        } unary;
        struct {
            enum ast_binary_op op;
            struct ast_expr *left, *right;
            struct weir_loc op_loc;
        } binary;
        struct {
            struct ast_name name;   /* function name; upper-cased for
                                       normalised special syntax (EXTRACT ...) */
            struct ast_expr **args;
            int n_args;
            bool distinct;          /* f(DISTINCT x) */
            bool star;              /* COUNT(*): n_args is 0 */
            bool niladic;           /* CURRENT_TIMESTAMP written without () */
            struct ast_expr *filter;/* FILTER (WHERE ...) */
            struct ast_window *over;/* OVER (...) or OVER w */
            struct ast_order_item *within_group; /* WITHIN GROUP (ORDER BY ..) */
            int n_within_group;
            /* JSON_VALUE / JSON_QUERY / JSON_EXISTS / JSON_OBJECT / JSON_ARRAY */
            const struct sql_type *returning;
            struct weir_loc returning_loc;
            enum ast_json_behavior on_empty, on_error, on_null;
            struct ast_expr *on_empty_default, *on_error_default;
            enum ast_json_wrapper wrapper;
        } call;
        struct {
            struct ast_expr *arg;
            const struct sql_type *type;
            struct weir_loc type_loc;
            bool try_cast;
        } cast;
        struct {
            struct ast_expr *operand;   /* CASE x WHEN ...; NULL for searched */
            struct ast_expr **whens;
            struct ast_expr **thens;
            int n_whens;
            struct ast_expr *else_expr; /* NULL if absent */
        } case_;
        struct {
            struct ast_expr *arg;
            enum ast_is_test test;
            enum ast_json_kind json_kind;
            bool negated;
        } is;
        struct {
            struct ast_expr *arg, *lo, *hi;
            bool negated;
            bool symmetric;
        } between;
        struct {
            struct ast_expr *arg;
            struct ast_expr **list;     /* IN (list) */
            int n_list;
            struct ast_query *query;    /* IN (subquery); list NULL */
            bool negated;
        } in;
        struct {
            struct ast_expr *arg, *pattern, *escape;   /* escape may be NULL */
            bool negated;
            bool similar;               /* SIMILAR TO */
        } like;
        struct {
            struct ast_query *query;    /* EXISTS (q) and scalar (q) */
        } subquery;
        struct {
            struct ast_expr **items;    /* ROW/ARRAY/MAP items; MAP alternates
                                           key, value; GROUPING SETS/ROLLUP/CUBE
                                           items (a ROW for (a, b) and ()) */
            int n_items;
            bool explicit_row;          /* ROW(...) written (vs bare (a, b)) */
        } list;
        struct {
            struct ast_expr *base, *index;
        } index;
        struct {
            struct ast_expr *base;
            const char *name;
            struct weir_loc name_loc;
        } field;
        struct {
            const char *name;           /* upper case: "HOUR", "LEADING", ... */
            enum ast_time_unit unit;    /* when it names a time unit */
        } symbol;
        struct {
            struct ast_name *cols;      /* DESCRIPTOR(c1, c2) */
            int n_cols;
        } descriptor;
        struct {
            struct ast_name name;       /* TABLE name */
            struct ast_expr **partition_by;
            int n_partition_by;
            struct ast_order_item *order_by;
            int n_order_by;
        } table_arg;
        struct {
            const char *name;           /* DATA, TIMECOL, SIZE, `OFFSET` ... */
            struct weir_loc name_loc;
            struct ast_expr *value;
        } named_arg;
    } u;
};

/* ---------------------------------------------------------------- queries */

struct ast_select_item {
    struct ast_expr *expr;          /* AST_E_STAR for * and t.* */
    const char *alias;              /* NULL if none */
    struct weir_loc alias_loc;
    struct weir_loc loc;
};

enum ast_from_kind {
    AST_FROM_TABLE,     /* name [hints] [FOR SYSTEM_TIME AS OF e] */
    AST_FROM_SUBQUERY,  /* [LATERAL] (query) */
    AST_FROM_TVF,       /* [LATERAL] TABLE(fn(args)) */
    AST_FROM_UNNEST,    /* UNNEST(e, ...) [WITH ORDINALITY] */
    AST_FROM_JOIN,
};

enum ast_join_kind {
    AST_JOIN_INNER,
    AST_JOIN_LEFT,
    AST_JOIN_RIGHT,
    AST_JOIN_FULL,
    AST_JOIN_CROSS,     /* CROSS JOIN */
    AST_JOIN_COMMA,     /* FROM a, b */
};

struct ast_table_ref {
    enum ast_from_kind kind;
    struct weir_loc loc;
    const char *alias;              /* [AS] alias; NULL if none */
    struct weir_loc alias_loc;
    const char **col_aliases;       /* alias (c1, c2) */
    int n_col_aliases;
    union {
        struct {
            struct ast_name name;
            struct ast_hint *hints;
            int n_hints;
            struct ast_expr *system_time;   /* FOR SYSTEM_TIME AS OF e */
        } table;
        struct {
            struct ast_query *query;
            bool lateral;
        } subquery;
        struct {
            struct ast_expr *call;          /* AST_E_CALL */
            bool lateral;                   /* LATERAL TABLE(...) */
        } tvf;
        struct {
            struct ast_expr **args;
            int n_args;
            bool with_ordinality;
        } unnest;
        struct {
            enum ast_join_kind kind;
            struct ast_table_ref *left, *right;
            struct ast_expr *on;            /* NULL if USING / none */
            struct ast_name *using_cols;    /* USING (a, b): 1-part names */
            int n_using;
            bool natural;                   /* NATURAL JOIN (binder rejects) */
        } join;
    } u;
};

struct ast_named_window {
    const char *name;
    struct weir_loc name_loc;
    struct ast_window *spec;
};

struct ast_select {
    bool distinct;
    struct ast_hint *hints;         /* SELECT /\*+ ... *\/ query hints */
    int n_hints;
    struct ast_select_item *items;
    int n_items;
    struct ast_table_ref *from;     /* NULL for SELECT without FROM; comma
                                       lists are AST_JOIN_COMMA trees */
    struct ast_expr *where;
    struct ast_expr **group_by;     /* may hold GROUPING SETS/ROLLUP/CUBE */
    int n_group_by;
    bool group_by_distinct;         /* GROUP BY DISTINCT (rare) */
    struct ast_expr *having;
    struct ast_named_window *windows;
    int n_windows;
    struct weir_loc loc;
};

struct ast_cte {
    const char *name;
    struct weir_loc name_loc;
    const char **cols;              /* WITH n (c1, c2) AS (...) */
    int n_cols;
    struct ast_query *query;
};

enum ast_query_kind {
    AST_Q_SELECT,
    AST_Q_VALUES,
    AST_Q_SETOP,
};

enum ast_setop {
    AST_SETOP_UNION,
    AST_SETOP_INTERSECT,
    AST_SETOP_EXCEPT,               /* also MINUS */
};

/* A query expression.  WITH, ORDER BY, LIMIT/OFFSET/FETCH belong to the node
 * they were written on: `(SELECT ..) UNION (SELECT ..) ORDER BY x` puts the
 * ORDER BY on the SETOP node.  A parenthesised query is just its inner node
 * (with `parens` set). */
struct ast_query {
    enum ast_query_kind kind;
    struct weir_loc loc;
    struct ast_cte *with;
    int n_with;
    bool with_recursive;            /* binder rejects */
    bool parens;
    union {
        struct ast_select *select;
        struct {
            struct ast_expr **rows; /* each AST_E_ROW (single values wrapped) */
            int n_rows;
        } values;
        struct {
            enum ast_setop op;
            bool all;               /* ALL (default DISTINCT) */
            struct ast_query *left, *right;
            struct weir_loc op_loc;
        } setop;
    } u;
    struct ast_order_item *order_by;
    int n_order_by;
    struct ast_expr *limit;         /* LIMIT n / FETCH FIRST n ROWS ONLY */
    struct ast_expr *offset;        /* OFFSET n [ROWS] */
};

/* ------------------------------------------------------------- statements */

enum ast_column_kind {
    AST_COL_PHYSICAL,
    AST_COL_COMPUTED,
    AST_COL_METADATA,
};

struct ast_column {
    enum ast_column_kind kind;
    const char *name;
    struct weir_loc name_loc;
    const struct sql_type *type;    /* physical/metadata; NULL for computed */
    struct weir_loc type_loc;
    struct ast_expr *expr;          /* computed: AS expr */
    const char *metadata_key;       /* METADATA FROM 'key'; NULL if absent */
    bool is_virtual;                /* METADATA ... VIRTUAL */
    const char *comment;
    bool primary_key;               /* column-level PRIMARY KEY NOT ENFORCED */
    struct weir_loc loc;
};

struct ast_watermark {
    struct ast_name column;         /* WATERMARK FOR col (may be nested r.f) */
    struct ast_expr *expr;
    struct weir_loc loc;
};

struct ast_primary_key {
    const char *constraint_name;    /* CONSTRAINT name; NULL if none */
    const char **cols;
    struct weir_loc *col_locs;
    int n_cols;
    bool enforced;                  /* true if written without NOT ENFORCED:
                                       Flink rejects it; so should the binder */
    struct weir_loc loc;
};

struct ast_like_clause {
    struct ast_name source;
    const char **options;           /* e.g. "INCLUDING ALL", "EXCLUDING OPTIONS" */
    int n_options;
    struct weir_loc loc;
};

struct ast_create_table {
    struct ast_name name;
    bool temporary;
    bool if_not_exists;
    struct ast_column *columns;
    int n_columns;
    struct ast_watermark *watermarks;   /* Flink allows one; binder checks */
    int n_watermarks;
    struct ast_primary_key *primary_key;/* NULL if none */
    const char *comment;
    const char **partitioned_by;
    struct weir_loc *partitioned_by_locs;
    int n_partitioned_by;
    struct ast_option *options;         /* WITH (...) */
    int n_options;
    struct ast_like_clause *like;       /* LIKE ... (P2, binder rejects) */
    struct ast_query *as_query;         /* CREATE TABLE .. AS SELECT (P2) */
};

struct ast_create_view {
    struct ast_name name;
    bool temporary;
    bool if_not_exists;
    const char **cols;
    struct weir_loc *col_locs;
    int n_cols;
    const char *comment;
    struct ast_query *query;
};

struct ast_create_function {
    struct ast_name name;
    bool temporary;
    bool system;                    /* TEMPORARY SYSTEM */
    bool if_not_exists;
    const char *class_name;         /* AS 'identifier' */
    struct weir_loc class_loc;
    const char *language;           /* JAVA/SCALA/PYTHON as written, or NULL */
    const char **jars;              /* USING JAR '...', ... */
    int n_jars;
};

enum ast_drop_kind {
    AST_DROP_TABLE,
    AST_DROP_VIEW,
    AST_DROP_FUNCTION,
};

struct ast_drop {
    enum ast_drop_kind kind;
    struct ast_name name;
    bool if_exists;
    bool temporary;
    bool system;
};

struct ast_insert {
    struct ast_name table;
    struct ast_hint *hints;
    int n_hints;
    bool overwrite;                 /* INSERT OVERWRITE (P2) */
    struct ast_option *partition;   /* PARTITION (k='v', ...) (P2) */
    int n_partition;
    const char **cols;              /* (c1, c2) target columns */
    struct weir_loc *col_locs;
    int n_cols;
    struct ast_query *query;        /* SELECT ... or VALUES ... */
};

enum ast_stmt_kind {
    AST_S_CREATE_TABLE,
    AST_S_CREATE_VIEW,
    AST_S_CREATE_FUNCTION,
    AST_S_DROP,
    AST_S_SET,
    AST_S_RESET,
    AST_S_INSERT,
    AST_S_STATEMENT_SET,    /* EXECUTE STATEMENT SET BEGIN ... END / BEGIN STATEMENT SET; ... END */
    AST_S_EXPLAIN,
    AST_S_QUERY,            /* bare SELECT / VALUES / WITH */
    AST_S_OTHER,            /* USE, SHOW, DESCRIBE, CREATE DATABASE, ... */
};

struct ast_stmt {
    enum ast_stmt_kind kind;
    struct weir_loc loc;            /* whole statement, without the ';' */
    union {
        struct ast_create_table create_table;
        struct ast_create_view create_view;
        struct ast_create_function create_function;
        struct ast_drop drop;
        struct {
            const char *key;        /* NULL for a bare SET (list options) */
            const char *value;
            struct weir_loc key_loc, value_loc;
            bool quoted;            /* 'k' = 'v' (false: old SET k=v form) */
        } set;
        struct {
            const char *key;        /* NULL for RESET (all) */
            struct weir_loc key_loc;
        } reset;
        struct ast_insert insert;
        struct {
            struct ast_stmt **inserts;  /* AST_S_INSERT each */
            int n_inserts;
        } statement_set;
        struct {
            struct ast_stmt *stmt;
            const char **details;   /* ESTIMATED_COST, CHANGELOG_MODE, ... */
            int n_details;
            bool plan_for;          /* EXPLAIN PLAN FOR */
        } explain;
        struct {
            struct ast_query *query;
        } query;
        struct {
            const char *keyword;    /* "USE", "SHOW", "DESCRIBE", "DESC",
                                       "CREATE DATABASE", "CREATE CATALOG",
                                       "DROP DATABASE", "ALTER", "ADD JAR" ... */
            const char *text;       /* the statement text (without ';') */
        } other;
    } u;
};

struct ast_script {
    struct ast_stmt **stmts;
    int n_stmts;
};

/* ------------------------------------------------------------------- API */

/* Constructors: zeroed node of the given kind in arena a, loc set. */
struct ast_expr *ast_expr_new(struct arena *a, enum ast_expr_kind kind,
                              struct weir_loc loc);
struct ast_query *ast_query_new(struct arena *a, enum ast_query_kind kind,
                                struct weir_loc loc);
struct ast_table_ref *ast_table_ref_new(struct arena *a, enum ast_from_kind kind,
                                        struct weir_loc loc);
struct ast_stmt *ast_stmt_new(struct arena *a, enum ast_stmt_kind kind,
                              struct weir_loc loc);

/* Smallest loc covering both (either may be WEIR_LOC_NONE). */
struct weir_loc ast_loc_span(struct weir_loc a, struct weir_loc b);

/* Dotted name as written, e.g. "cat.db.t" (parts joined with '.'); arena a. */
const char *ast_name_str(struct arena *a, const struct ast_name *n);

/* Names for enums (lower case, e.g. "and", "left", "union"). */
const char *ast_binary_op_name(enum ast_binary_op op);
const char *ast_time_unit_name(enum ast_time_unit u);     /* "HOUR" */

/* Compact S-expression dumps, e.g. "(call count *)", for tests and debugging.
 * Result in arena a. */
const char *ast_dump_expr(struct arena *a, const struct ast_expr *e);
const char *ast_dump_query(struct arena *a, const struct ast_query *q);
const char *ast_dump_stmt(struct arena *a, const struct ast_stmt *s);
const char *ast_dump_script(struct arena *a, const struct ast_script *s);

#endif
