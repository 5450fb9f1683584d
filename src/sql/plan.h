/*
 * plan.h — the catalog a script builds, and the logical plan the binder makes.
 *
 * Pipeline: parse (ast.h) → bind (bind.c: names, types, implicit casts, views
 * inlined; every error points at the SQL text) → rewrite (optimize.c: constant
 * folding, merging adjacent calcs, predicate/projection push-down, one shared
 * read per source table) → physical plan (the exec graph built by exec/job.c).
 * `weir explain` prints each stage (explain.c).
 *
 * Everything here lives in the job's arena (struct job_plan.arena).
 */
#ifndef WEIR_PLAN_H
#define WEIR_PLAN_H

#include <stdbool.h>

#include "connectors/connector.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/strbuf.h"
#include "exec/agg.h"
#include "exec/expr.h"
#include "formats/format.h"
#include "sql/ast.h"

/* ---- catalog -------------------------------------------------------------- */

enum cat_col_kind { CAT_PHYSICAL, CAT_COMPUTED, CAT_METADATA };

struct cat_column {
    const char *name;
    const struct sql_type *type;     /* computed: derived by binding expr */
    enum cat_col_kind kind;
    struct ast_expr *expr;           /* computed column expression */
    const char *meta_key;            /* metadata key (FROM 'k' or the name) */
    bool is_virtual;                 /* metadata VIRTUAL: not written by sinks */
    struct weir_loc loc;
};

struct cat_table {
    const char *name;
    struct weir_loc loc;             /* the CREATE TABLE name */
    int n_cols;
    struct cat_column *cols;         /* declared order */
    int rowtime_col;                 /* WATERMARK FOR column, -1 if none */
    struct ast_expr *watermark;      /* its expression */
    int n_pk;
    int *pk;                         /* column indexes */
    int n_part;
    int *part;                       /* PARTITIONED BY column indexes */
    int n_options;
    const char **opt_keys;           /* WITH options, normalised (legacy keys mapped) */
    const char **opt_values;
    struct weir_loc *opt_key_locs;   /* where each key and value is written */
    struct weir_loc *opt_value_locs;
    struct weir_loc with_loc;
    const struct connector_def *conn;
    const struct format_def *format;
    struct opt_set *opts;            /* validated */
};

struct cat_view {
    const char *name;
    struct ast_query *query;
    int n_cols;                      /* column renames, 0 if none */
    const char **cols;
    struct weir_loc loc;
};

struct cat_function {
    const char *name;
    const struct func_def *def;
};

struct config_entry {
    const char *key;
    const char *value;
    struct weir_loc loc;
};

struct catalog {
    struct cat_table **tables;
    int n_tables, cap_tables;
    struct cat_view **views;
    int n_views, cap_views;
    struct cat_function *functions;
    int n_functions, cap_functions;
    struct config_entry *config;
    int n_config, cap_config;
};

/* ---- logical plan ------------------------------------------------------------ */

enum lnode_kind {
    LN_SCAN,         /* read a table: produces its physical+metadata columns */
    LN_VALUES,       /* literal rows */
    LN_CALC,         /* filter (optional) then projection */
    LN_UNION,        /* UNION ALL */
    LN_SINK,         /* INSERT INTO */
    LN_WINDOW_TVF,   /* TABLE(TUMBLE/HOP/CUMULATE(...)) without aggregation: each
                        row once per window, + window_start/_end/_time */
    LN_WINDOW_AGG,   /* window aggregation: keys, window bounds, aggregates */
    LN_GROUP_AGG,    /* GROUP BY without a window (and SELECT DISTINCT): an
                        updating result, output [keys, aggregates] */
    LN_JOIN,         /* regular equi-join of inputs[0] (left) and inputs[1]
                        (right): output [left columns, right columns] */
    LN_RANK,         /* ROW_NUMBER() OVER (PARTITION BY .. ORDER BY ..) kept to the
                        top N (Top-N, deduplication): output [input, rank] */
    LN_LOOKUP_JOIN,  /* JOIN dim FOR SYSTEM_TIME AS OF left.proctime: each left row
                        looks up `table` by key; output [left, dim columns] */
    LN_REPLICATE,    /* input [n, columns...]: each row n times (none when n is NULL
                        or < 1), with its row kind; output [columns...] (Flink's
                        ReplicateRows, for INTERSECT ALL / EXCEPT ALL) */
    LN_OVER,         /* agg(x) OVER (PARTITION BY .. ORDER BY time attribute, frame
                        ending at CURRENT ROW): each input row once with its frame's
                        aggregates; output [input, aggregates] */
    LN_TEMPORAL_JOIN, /* JOIN v FOR SYSTEM_TIME AS OF left.rowtime: each left row
                        joins the version of inputs[1] (a versioned table) valid
                        at its time; the LN_JOIN fields join (INNER/LEFT), keys,
                        residual, and time_col[] (left rowtime, right version
                        time); output [left, right] */
    LN_UNNEST,       /* FROM in CROSS/LEFT JOIN UNNEST(in.arr): each input row once
                        per element of its array or map, with its row kind; output
                        [input, element columns, (ordinality)] (Flink's Correlate
                        over $UNNEST_ROWS$1) */
};

/* JOIN_SEMI: x IN (subquery), EXISTS, INTERSECT: the left rows that have a
 * match, once each, left columns only.  JOIN_ANTI: NOT IN, NOT EXISTS,
 * EXCEPT: the left rows without one (a match arriving later retracts them). */
enum join_kind { JOIN_INNER, JOIN_LEFT, JOIN_RIGHT, JOIN_FULL, JOIN_SEMI, JOIN_ANTI };

enum window_kind { WIN_TUMBLE, WIN_HOP, WIN_CUMULATE, WIN_SESSION };

/* A window: how rows are assigned to windows, in microseconds. */
struct window_spec {
    enum window_kind kind;
    int time_col;                    /* input column holding the time attribute */
    bool proctime;                   /* processing-time windows (fire by wall clock) */
    bool ltz;                        /* TIMESTAMP_LTZ time: align in the session zone */
    int64_t size;                    /* TUMBLE/HOP/CUMULATE size */
    int64_t slide;                   /* HOP slide, CUMULATE step */
    int64_t offset;                  /* alignment offset (TUMBLE/HOP/CUMULATE) */
    int64_t gap;                     /* SESSION gap */
    /* the input already carries its windows: a GROUP BY on the window_start
     * and window_end of a window aggregation below (Flink's window property
     * propagation); rows belong to [start_col, end_col), the kind and sizes
     * above are the upstream window's, for EXPLAIN */
    bool assigned;
    int start_col, end_col;
};

/* One aggregate call of a window (later: group) aggregation. */
struct agg_call {
    const struct agg_def *def;
    const struct agg_ops *ops;
    void *state;                     /* from agg bind */
    size_t acc_size;
    int n_args;
    struct expr **args;              /* over the aggregation's input */
    struct expr *filter;             /* FILTER (WHERE ...) or NULL */
    bool distinct;
    const struct sql_type *type;     /* result type */
    const char *name;                /* for EXPLAIN: "COUNT(*)" */
};

struct lnode {
    enum lnode_kind kind;
    int id;                          /* unique per plan, for EXPLAIN and metrics */
    int n_out;                       /* output columns */
    const char **out_names;
    const struct sql_type **out_types;
    int n_inputs;
    struct lnode **inputs;
    struct weir_loc loc;
    /* LN_SCAN / LN_SINK */
    struct cat_table *table;
    int n_proj;                      /* SCAN: produced columns, as table column */
    int *proj;                       /*   indexes (physical/metadata only) */
    struct expr *wm_expr;            /* SCAN: the table's WATERMARK over the produced
                                        columns (computed columns substituted), or NULL */
    /* LN_VALUES */
    int n_rows;
    struct expr ***rows;             /* n_rows × n_out literal expressions */
    /* LN_CALC */
    struct expr *filter;             /* over the input's columns; NULL = all rows */
    struct expr **exprs;             /* n_out projections over the input */
    /* LN_WINDOW_TVF / LN_WINDOW_AGG: output = [keys, window_start, window_end,
     * window_time, aggregates] (AGG) or [input columns, window_start, ...] (TVF) */
    struct window_spec win;
    int n_keys;
    struct expr **keys;              /* AGG: grouping keys over the input */
    int n_sets;                      /* AGG: grouping sets (1 = plain GROUP BY) */
    uint64_t *sets;                  /*   each a bitmask over keys: absent keys are NULL */
    int n_aggs;
    struct agg_call *aggs;
    /* LN_JOIN: rows join when every lkeys[i] = rkeys[i] (NULL never joins)
     * and the residual condition (over [left, right]) is TRUE; n_jkeys may be
     * 0 (a semi/anti join on a condition alone: every row meets in one
     * instance, as Flink's singleton distribution) */
    enum join_kind join;
    bool null_safe;                  /* keys compare IS NOT DISTINCT FROM: NULL
                                        meets NULL (INTERSECT / EXCEPT) */
    int n_jkeys;
    struct expr **lkeys;             /* over the left input */
    struct expr **rkeys;             /* over the right input */
    struct expr *residual;           /* or NULL */
    /* an interval join (both inputs insert-only, ON bounds the two sides'
     * rowtimes): rows can only join while lt - rt lies in [lower, upper] µs,
     * so stored rows expire as the watermark passes; the bounds themselves
     * stay in the residual */
    bool interval;
    int time_col[2];                 /* rowtime column of each side (its index there) */
    int64_t lower, upper;
    /* a window join (both inputs insert-only and windowed alike, ON equates
     * their window_start and window_end): rows can only meet rows of their
     * own window, so they expire when the watermark passes its end;
     * time_col[s] is then side s's window_end column */
    bool window;
    /* a regular join over insert-only inputs whose condition bounds
     * lt - rt (columns time_col[0], time_col[1]) to [lower, upper], where the
     * other side's column never falls behind its input's watermark (the
     * window_end of an event-time window aggregation): a row of side s with
     * bounded[s] can only meet future rows of the other side until the
     * watermark passes its bound, and is dropped then, without output.
     * Flink keeps such rows forever (Nexmark q7); the changelog is the same. */
    bool bounded[2];
    /* LN_RANK */
    int n_part;
    struct expr **part;              /* PARTITION BY, over the input */
    int n_order;
    struct expr **order;             /* ORDER BY, over the input */
    bool *desc;                      /* per ORDER BY item */
    int64_t top_n;                   /* from the outer WHERE rownum <= N; 0 = not yet */
    bool rank_output;                /* the rank column is selected: every rank
                                        whose row changes is updated */
    bool dedup;                      /* N = 1 ordered by a time attribute */
    struct ast_window *win_ast;      /* the OVER clause (binder use) */
    /* LN_OVER: part as LN_RANK, order[0] the time attribute (ascending),
     * aggs over the input; the frame ends at the current row and starts
     * over_preceding rows (ROWS) or microseconds (RANGE) before it, -1 when
     * UNBOUNDED */
    bool over_rows;
    int64_t over_preceding;
    /* LN_LOOKUP_JOIN: `table` is the dimension; rkey_cols[i] is the dimension
     * column (index among its physical columns) that lkeys[i] must equal */
    int *rkey_cols;
    /* LN_UNNEST: the ARRAY or MAP expression over the input; `join` is
     * JOIN_INNER (rows whose collection is NULL or empty vanish) or JOIN_LEFT
     * (they come out once, NULL-padded); an ARRAY of ROW spreads its fields
     * into columns, a MAP gives key and value */
    struct expr *unnest;
    bool ordinality;                 /* WITH ORDINALITY: the 1-based position last */
};

/* The result of compiling a script. */
struct job_plan {
    struct arena arena;              /* owns AST, catalog, plan, expressions */
    const char *text;                /* the SQL text (borrowed from the caller) */
    const char *file;                /* its file name, for messages */
    struct ast_script *script;
    struct catalog cat;
    struct lnode **sinks;            /* one per INSERT (or bare query) */
    int n_sinks;
    int next_id;
    const char *name;                /* pipeline.name */
    bool quiet;                      /* no warnings on stderr */
    bool keep_columns;               /* plan_optimize prunes no Calc (operator
                                        tests feed their inputs every column) */
    /* rewrites applied, for EXPLAIN */
    struct strbuf logical_text;      /* the plan before rewrites */
    struct strbuf rewrites;
    int n_folded, n_merged, n_pushed_filters;
    /* per-call-site function state (compiled regexes, ...) to free at the end */
    struct fn_state_ref {
        const struct func_def *def;
        void *state;
    } *fn_states;
    int n_fn_states, cap_fn_states;
};

/* ---- API --------------------------------------------------------------------- */

/* Parses and binds a whole script into p (initialised by this call; free with
 * plan_free even on error).  text must outlive p. */
int plan_compile(struct job_plan *p, const char *file, const char *text,
                 struct weir_error *err);
/* The same; quiet: no warnings on stderr (the copies compiled for parallel
 * instances of a job, whose warnings the first compile already printed). */
int plan_compile_ex(struct job_plan *p, const char *file, const char *text, bool quiet,
                    struct weir_error *err);
/* Applies the rewrites (optimize.c). */
int plan_optimize(struct job_plan *p, struct weir_error *err);
void plan_free(struct job_plan *p);

/* Config lookups (SET statements, last one wins). */
const char *plan_config(const struct job_plan *p, const char *key);
/* The set of configuration keys weir knows, for validation (config.c). */
int config_check(const char *key, const char *value, struct strbuf *warning,
                 struct weir_error *err);

/* One-line description of a window or aggregation node (EXPLAIN, labels). */
void plan_node_label(const struct lnode *n, struct strbuf *sb);
/* True when n's output is an updating changelog (-U/+U/-D rows), not only
 * inserts: a GROUP BY without a window below it, not undone by a window. */
bool plan_updating(const struct lnode *n);
/* For messages: what makes n's output updating ("a GROUP BY without a
 * window", "table 'orders', whose format debezium-json reads a changelog"). */
void plan_updating_cause(const struct lnode *n, struct strbuf *sb);
/* EXPLAIN text of the logical plan (one tree per sink). */
void plan_explain_logical(const struct job_plan *p, struct strbuf *sb);

/* Helpers shared by bind.c and optimize.c */
struct lnode *lnode_new(struct job_plan *p, enum lnode_kind kind, int n_inputs);
struct expr *expr_new(struct arena *a, enum expr_kind kind, const struct sql_type *t,
                      int n_args);
struct expr *expr_column(struct arena *a, int index, const struct sql_type *t);
/* A deep copy of e (scratch not copied). */
struct expr *expr_copy_tree(struct arena *a, const struct expr *e);
/* Replaces column references in e by the expressions `defs` (deep copy). */
struct expr *expr_substitute(struct arena *a, const struct expr *e, struct expr *const *defs);
/* Folds constant subtrees into literals; returns how many were folded. */
int expr_fold(struct arena *a, struct expr **e);
/* Collects the column indexes e reads into used[] (set to true). */
void expr_columns_used(const struct expr *e, bool *used);
/* Rewrites column indexes through map (old index -> new index). */
void expr_remap_columns(struct expr *e, const int *map);

#endif
