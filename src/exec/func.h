/*
 * func.h — the registry of built-in scalar functions and their vector kernels.
 *
 * The binder looks a function up by name (case-insensitive), calls its `bind`
 * hook with the argument types, and learns the result type and the type each
 * argument must be cast to (it inserts the casts).  At run time the evaluator
 * calls `eval` once per batch with argument vectors already computed.
 *
 * NULL handling: most SQL functions return NULL when any argument is NULL.  Such
 * functions set FN_STRICT; the evaluator then passes only the rows where every
 * argument is present (sel) and marks the other rows NULL itself, so kernels
 * never look at validity of their inputs.  A kernel may still set NULL on rows
 * it produces (e.g. SPLIT_INDEX out of range).
 *
 * Operators (+ - * / comparisons, AND/OR/NOT, CASE, CAST, IS NULL, IN, LIKE...)
 * are not here: the evaluator (expr.c) implements those on the hot path.
 */
#ifndef WEIR_FUNC_H
#define WEIR_FUNC_H

#include <stdbool.h>

#include "core/err.h"
#include "core/types.h"
#include "exec/batch.h"

struct expr;
struct strbuf;

enum func_flags {
    FN_STRICT = 1 << 0,          /* NULL in any argument gives NULL */
    FN_NONDETERMINISTIC = 1 << 1,/* RAND, UUID, NOW: never constant-folded */
    FN_AGGREGATE = 1 << 2,       /* reserved for aggregate functions */
    FN_CONST_ARGS = 1 << 3,      /* some args must be literals (see bind) */
};

/* What bind sees and sets.  Arrays have n_args entries. */
struct func_bind {
    const struct func_def *def;
    int n_args;
    const struct sql_type **arg_types;   /* in: types of the arguments */
    struct expr **args;                  /* in: bound args (inspect literals with
                                            expr_literal_value); may be NULL in tests */
    const struct sql_type **cast_to;     /* out: per arg, the type to cast it to,
                                            or NULL to keep it as is */
    const struct sql_type *result;       /* out: result type */
    void *state;                         /* out: per-call-site data (e.g. a
                                            compiled regex), freed with free_state */
    struct arena *arena;                 /* for types and state (query lifetime) */
    struct weir_loc loc;                 /* the call, for errors */
};

/* What eval sees. */
struct func_call {
    const struct func_def *def;
    void *state;                         /* from bind */
    const struct sql_type *result;
    int n_args;
};

/*
 * eval: computes rows sel[0..n) (sel NULL = 0..n-1) of out from args.  out is a
 * vector of the result type with room for BATCH_CAP rows; its strings go into
 * out->arena.  Returns WEIR_OK or an error (e.g. a runtime failure the SQL
 * semantics say fails the job).
 */
typedef int (*func_eval_fn)(const struct func_call *call, const struct vec *args,
                            const uint16_t *sel, int n, struct vec *out,
                            struct weir_error *err);

struct func_def {
    const char *name;            /* upper case, e.g. "SPLIT_INDEX" */
    int min_args, max_args;      /* max -1: variadic */
    unsigned flags;              /* enum func_flags */
    int (*bind)(struct func_bind *fb, struct weir_error *err);
    func_eval_fn eval;
    void (*free_state)(void *state);
    const char *signature;       /* for messages and docs: "SPLIT_INDEX(STRING, STRING, INT)" */
};

/* Looks a function up (case-insensitive); NULL if unknown. */
const struct func_def *func_lookup(const char *name);
/* The registered function whose name is closest (edit distance <= 2), for
 * "did you mean" in errors; NULL if none is close. */
const struct func_def *func_suggest(const char *name);
/* Iterates the registry (for `weir functions` and error suggestions). */
const struct func_def *func_at(int i);
/* Registers native UDF implementations that `CREATE FUNCTION ... AS 'class'`
 * can bind to: returns the function for a Java class name, or NULL. */
const struct func_def *func_lookup_class(const char *java_class);

#endif
