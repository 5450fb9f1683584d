/*
 * expr.h — bound expressions and their vectorised evaluation.
 *
 * The binder turns AST expressions into this tree: every node has its SQL type
 * resolved, implicit casts made explicit, and functions looked up.  Evaluation
 * is a vector at a time: expr_eval() computes one node over the live rows of a
 * batch into a vector the node owns (reused across batches), so the per-row work
 * is a tight loop per operator and type, not a tree walk per row.
 *
 * Lifetime: expressions live in the query arena; their scratch vectors are
 * allocated on first use and freed with expr_free_scratch().
 */
#ifndef WEIR_EXPR_H
#define WEIR_EXPR_H

#include <stdbool.h>

#include "core/err.h"
#include "core/types.h"
#include "exec/batch.h"
#include "exec/func.h"

/* A single SQL value (literals, constant folding, options). */
struct value {
    bool is_null;
    union {
        uint8_t b;           /* LANE_BOOL */
        int64_t i;           /* LANE_I64 */
        double f;            /* LANE_F64 */
        __int128 d;          /* LANE_I128 (unscaled) */
        struct str s;        /* LANE_STR (bytes owned by the query arena) */
    };
};

enum expr_kind {
    EX_COLUMN,       /* input column `index` */
    EX_LITERAL,      /* `lit` of `type` */
    EX_CALL,         /* built-in or UDF scalar function `fn` */
    EX_OP,           /* operator `op` over args */
    EX_CAST,         /* args[0] cast to type; `cast_mode` */
    EX_CASE,         /* args: when1, then1, ..., [else] ; n_args odd = has else */
    EX_FIELD,        /* args[0] is a ROW; field number `index` */
    EX_INDEX,        /* args[0][args[1]] for ARRAY (1-based) / MAP */
};

enum expr_op {
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_NEG,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_IS_DISTINCT, OP_IS_NOT_DISTINCT,
    OP_AND, OP_OR, OP_NOT,
    OP_IS_NULL, OP_IS_NOT_NULL,
    OP_IS_TRUE, OP_IS_NOT_TRUE, OP_IS_FALSE, OP_IS_NOT_FALSE,
    OP_IN,           /* args[0] IN (args[1..]) — all args same type */
    OP_NOT_IN,
    OP_LIKE,         /* args: s, pattern[, escape] */
    OP_NOT_LIKE,
    OP_CONCAT,       /* || */
    OP_COALESCE,
    OP_IF,           /* IF(c, a, b) */
    OP_NULLIF,
    OP_ROW,          /* ROW(a, b, ...) constructor */
    OP_ARRAY,        /* ARRAY[...] */
    OP__COUNT
};

enum cast_mode_e { EXPR_CAST_STRICT, EXPR_CAST_TRY, EXPR_CAST_LEGACY };

struct expr {
    uint8_t kind;                   /* enum expr_kind */
    uint8_t op;                     /* enum expr_op for EX_OP */
    uint8_t cast_mode;              /* enum cast_mode_e for EX_CAST */
    const struct sql_type *type;    /* result type */
    int index;                      /* EX_COLUMN: input column; EX_FIELD: field */
    struct value lit;               /* EX_LITERAL */
    const struct func_def *fn;      /* EX_CALL */
    void *fn_state;                 /* EX_CALL: from bind */
    int n_args;
    struct expr **args;
    struct weir_loc loc;            /* where in the SQL text */
    void *aux;                      /* operator-private precomputed data (LIKE
                                       matcher, IN hash set) */
    struct vec *scratch;            /* result vector, allocated on first eval */
};

/* True when e is a literal (after folding); copies it into *v. */
bool expr_literal_value(const struct expr *e, struct value *v);
/* True when e reads no column and is deterministic (a folding candidate). */
/* No call of e gives another result for the same arguments (RAND, UUID,
 * CURRENT_TIMESTAMP... do). */
bool expr_deterministic(const struct expr *e);
bool expr_is_constant(const struct expr *e);

/* Evaluation context: per task (thread). */
struct eval_ctx {
    struct arena *arena;            /* where result strings go (batch-lifetime) */
    int64_t now_us;                 /* CURRENT_TIMESTAMP for this batch */
};

/*
 * Evaluates e over the live rows of b.  On success *out points at a vector owned
 * by e (or by b, for a bare column) valid until the next eval of e or until b
 * is reset; rows that are not live hold garbage.
 */
int expr_eval(struct expr *e, struct eval_ctx *ctx, struct batch *b,
              const struct vec **out, struct weir_error *err);
/* Narrows b's selection to rows where pred is TRUE (NULL and FALSE drop). */
int expr_filter(struct expr *pred, struct eval_ctx *ctx, struct batch *b,
                struct weir_error *err);
/* Frees the scratch vectors of e and below (recursive).  Function state
 * (fn_state) belongs to the plan and is freed by plan_free. */
void expr_free_scratch(struct expr *e);

/* Renders e as SQL-ish text for EXPLAIN, with input column names. */
void expr_to_text(struct strbuf *sb, const struct expr *e, const char *const *col_names);

#endif
