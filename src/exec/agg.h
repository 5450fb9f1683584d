/*
 * agg.h — aggregate functions (COUNT, SUM, AVG, MIN, MAX, ...) for window and
 * group aggregation.
 *
 * An aggregate's running state (its accumulator) lives in a fixed-size slot
 * that the operator keeps per group, inside its state table (state/table.h);
 * anything of variable size (strings, DISTINCT value sets, MIN/MAX multisets
 * kept for retraction) is out-of-line memory the accumulator owns, allocated
 * with mem_alloc and released by destroy().  Updates are vectorised: one call
 * per batch and aggregate, each row naming its own accumulator.
 *
 * Every aggregate supports retraction (sign -1) so updating inputs (changelogs,
 * issue 4) need no second implementation, in group and window aggregation.
 * FILTER (WHERE ...) is applied by the operator (it passes only the rows that
 * qualify); DISTINCT is handled here, for any aggregate, by a per-accumulator
 * value multiset in front of the function, which a GROUP BY's aggregates
 * with the same DISTINCT arguments share (agg_share_copy).
 */
#ifndef WEIR_AGG_H
#define WEIR_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "core/types.h"
#include "exec/batch.h"

struct agg_ops;

/* What bind sees and sets. */
struct agg_bind {
    const struct agg_def *def;
    int n_args;                          /* 0 for COUNT(*) */
    const struct sql_type **arg_types;   /* in */
    bool distinct;                       /* in: AGG(DISTINCT ...) */
    bool append_only;                    /* in: update() will never see sign -1
                                            (window aggregation of an insert-only
                                            input; Flink's needRetraction = false):
                                            MIN/MAX, FIRST/LAST_VALUE and LISTAGG
                                            then keep O(1) state instead of the
                                            history retraction needs.  false (the
                                            zero default) is always safe */
    const char *const *const_args;       /* in: literal text of constant args
                                            (LISTAGG separator), or NULL each */
    const struct sql_type **cast_to;     /* out: per arg, a type to cast to or NULL */
    const struct sql_type *result;       /* out: result type (Flink's rules, SQL.md b.2) */
    size_t acc_size;                     /* out: bytes of the accumulator slot */
    const struct agg_ops *ops;           /* out */
    void *state;                         /* out: per-call-site constant data */
    struct arena *arena;                 /* query lifetime, for types and state */
    struct weir_loc loc;                 /* the call, for errors */
};

struct agg_ops {
    /* Initialises an empty accumulator. */
    void (*init)(void *acc, const void *state);
    /*
     * For k in 0..n: adds (sign = +1) or retracts (sign = -1) row rows[k] of
     * the argument vectors to the accumulator accs[k].  NULL argument values
     * are ignored as SQL says (COUNT(*) has no args and counts every row).
     */
    void (*update)(void **accs, const struct vec *args, const uint16_t *rows, int n,
                   int sign, const void *state);
    /* Folds `from` into `into` (session window merging, two-phase agg). */
    void (*merge)(void *into, const void *from, const void *state);
    /* Writes the current result into row `row` of out (a vector of the
     * result type); strings go into out->arena. */
    void (*result)(const void *acc, struct vec *out, int row, const void *state);
    /* True when no value is left (every add retracted): the group may go. */
    bool (*is_empty)(const void *acc, const void *state);
    /* Frees out-of-line memory (NULL when there is none). */
    void (*destroy)(void *acc, const void *state);
    /* Bytes held out of line, for state metrics (NULL: none). */
    size_t (*mem_size)(const void *acc, const void *state);
    /* Checkpoints: appends a self-contained encoding of acc / rebuilds acc
     * from it (init has not been called); returns bytes consumed or -1. */
    void (*snapshot)(const void *acc, struct strbuf *out, const void *state);
    int (*restore)(void *acc, const char *p, size_t len, const void *state);
};

struct agg_def {
    const char *name;                    /* upper case */
    int min_args, max_args;
    int (*bind)(struct agg_bind *ab, struct weir_error *err);
    const char *signature;               /* "SUM(numeric)" for messages */
};

const struct agg_def *agg_lookup(const char *name);   /* case-insensitive */
const struct agg_def *agg_at(int i);                  /* NULL past the end */

struct agg_call;
struct eval_ctx;
struct expr;
/* What an aggregating operator evaluates per input batch: its grouping keys
 * into key_vecs[], each aggregate's arguments into arg_vecs[a][] and its
 * FILTER (or NULL) into filters[a]. */
int agg_eval_inputs(struct expr *const *keys, int n_keys, const struct vec **key_vecs,
                    const struct agg_call *aggs, int n_aggs, struct vec **arg_vecs,
                    const struct vec **filters, struct eval_ctx *ctx, struct batch *b,
                    struct weir_error *err);

/*
 * DISTINCT sets shared between the aggregates of one operator (agg.c,
 * "shared DISTINCT sets"): DISTINCT aggregates whose arguments are the same
 * deterministic expressions (they differ by FILTER or function) keep one
 * value set with a count per aggregate, as Flink shares one MapView.
 *
 * agg_share_copy returns the operator's own copy of the plan's calls in
 * which the sharing ones are rewritten (ops, state and acc_size), or NULL
 * when none share (the operator uses the plan's calls).  The operator lays
 * out its slots from the copy's acc_size, then calls agg_share_place with
 * each aggregate's offset in a slot (one layout for every slot), before any
 * accumulator is initialised; agg_share_free releases the copy, after the
 * last accumulator is destroyed (NULL is fine).  The checkpoint encoding of
 * the aggregates does not change.  Restore must go in aggregate order
 * (opagg_get_accs does).
 */
struct agg_call *agg_share_copy(const struct agg_call *aggs, int n_aggs);
void agg_share_place(struct agg_call *aggs, int n_aggs, const size_t *acc_off);
void agg_share_free(struct agg_call *own, int n_aggs);

#endif
