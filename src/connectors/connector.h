/*
 * connector.h — the contract between the engine and its connectors.
 *
 * Each connector directory (src/connectors/<name>/) exports one static
 * `struct connector_def`: its name (the Flink 'connector' option value), a typed
 * option table, and constructors for source and/or sink instances (descriptor
 * vs instance, as in Fluent Bit).  The registry validates a table's WITH options
 * against the table before anything runs: an unknown key or a bad value is an
 * error naming the valid keys / the expected form.
 *
 * Sources produce batches of the table's *produced* columns (physical columns
 * after projection push-down, then requested metadata columns), in order.
 * Computed columns and watermarks are evaluated by the engine after the scan.
 * A source instance reads the splits (files, partitions) that belong to its
 * subtask; its position is a string the checkpoint stores and restore seeks to.
 *
 * Sinks receive batches of the sink table's physical columns, with row kinds.
 * write() may buffer; flush() makes buffered data visible/durable (end of input);
 * the prepare/commit pair is the two-phase commit hook for exactly-once sinks.
 */
#ifndef WEIR_CONNECTOR_H
#define WEIR_CONNECTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "connectors/options.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "core/types.h"
#include "exec/batch.h"

struct deadletter;
struct format_def;

enum conn_caps {
    CONN_SOURCE = 1 << 0,
    CONN_SINK = 1 << 1,
    CONN_LOOKUP = 1 << 2,
};

/* Counters a source or sink keeps; read by the progress line and metrics from
 * another thread, hence relaxed atomics. */
struct io_metrics {
    _Atomic int64_t rows;           /* rows produced (source) / consumed (sink) */
    _Atomic int64_t bytes;          /* raw bytes read / written */
    _Atomic int64_t dead_letters;   /* records sent to the dead-letter output */
    _Atomic int64_t errors;         /* retriable failures seen */
};

/* What the engine tells a connector about the table it serves. */
struct table_ctx {
    const char *table_name;                 /* as declared */
    int n_cols;                             /* produced (source) or accepted (sink) columns */
    const char *const *col_names;
    const struct sql_type *const *col_types;
    const char *const *col_metadata;        /* per column: metadata key, or NULL
                                               for a physical column */
    const char *const *col_format_metadata; /* per column: the format's metadata
                                               key (the connector's prefix
                                               removed) when the format, not the
                                               connector, serves it; else NULL */
    int n_partition_keys;                   /* PARTITIONED BY, as column indexes */
    const int *partition_keys;
    int n_pk;                               /* PRIMARY KEY, as column indexes */
    const int *pk;
    int n_all_physical;                     /* the full physical schema (before */
    const char *const *all_physical_names;  /*  projection), for formats that */
    const struct sql_type *const *all_physical_types; /* care about positions (csv) */
    const int *projection;                  /* per produced physical column: its
                                               index in the full physical schema */
    const struct opt_set *opts;             /* validated WITH options */
    const struct format_def *format;        /* 'format' (or NULL) */
    struct deadletter *dlq;                 /* the job's dead-letter output */
    int subtask;                            /* 0-based instance number */
    int parallelism;                        /* number of instances */
    const char *job_dir;                    /* the job's state directory */
};

struct source;
struct source_ops {
    int (*open)(struct source *src, struct weir_error *err);
    /*
     * Appends up to BATCH_CAP - out->n rows to out (a batch of the produced
     * columns).  Returns WEIR_OK (maybe with 0 rows), WEIR_AGAIN (nothing
     * available now: the caller waits up to `wait_ms`), WEIR_DONE (bounded
     * source exhausted; out may still hold final rows) or an error.
     */
    int (*poll)(struct source *src, struct batch *out, struct weir_error *err);
    /* Appends the current position (after the last row returned) as text:
     * what a checkpoint keeps so a restarted job reads on from there. */
    int (*position)(struct source *src, struct strbuf *pos);
    /*
     * Restore, after open and before the first poll: pos[s]
     * is the position old subtask s wrote (NULL when it wrote none), for s in
     * 0..old_parallelism.  With an unchanged parallelism the source resumes
     * pos[its subtask]; with another one it takes over the share of the old
     * positions that belongs to its subtask now (the splits it owns), so that
     * every split goes on from exactly one old position.
     */
    int (*seek)(struct source *src, const char *const *pos, int old_parallelism,
                struct weir_error *err);
    void (*close)(struct source *src);      /* frees src too */
};

struct source {
    const struct source_ops *ops;
    const struct connector_def *def;
    const struct table_ctx *table;          /* borrowed; outlives the source */
    struct io_metrics metrics;
    bool bounded;                           /* set by create */
    int wait_ms;                            /* how long to sleep after AGAIN */
};

struct sink;
struct sink_ops {
    int (*open)(struct sink *snk, struct weir_error *err);
    /* Consumes the live rows of b (borrowed for the call). */
    int (*write)(struct sink *snk, struct batch *b, struct weir_error *err);
    /* Makes what was written durable/visible (end of input, shutdown). */
    int (*flush)(struct sink *snk, struct weir_error *err);
    /*
     * Two-phase commit tied to checkpoints (exec/checkpoint.h); all three
     * NULL = at-least-once (print, blackhole).
     * prepare: checkpoint `id`'s barrier: everything written since the last
     *   prepare becomes transaction `id` — durable, not yet visible — and what
     *   a restarted job needs to finish or discard it is appended to `state`
     *   (kept in the checkpoint; may be empty).
     * commit: checkpoint `id` is complete: make transaction `id` (and any
     *   earlier one not yet committed) visible.  Must be idempotent.
     * recover: on restore, before the first write, once per old subtask this
     *   subtask takes over (old subtask s goes to s mod P): `state` is what
     *   that subtask prepared in the restored checkpoint `id`.  Commit that
     *   transaction unless it already was (a crash can fall between the
     *   manifest and the commit) and discard what the failed run wrote after
     *   it.
     *   With id 0 (state NULL), before any other recover or write: the job
     *   checkpoints, nothing to restore — commit at checkpoints from the
     *   first row on.
     * Without checkpointing, flush alone makes the rows visible, as before.
     */
    int (*prepare)(struct sink *snk, int64_t id, struct strbuf *state, struct weir_error *err);
    int (*commit)(struct sink *snk, int64_t id, struct weir_error *err);
    int (*recover)(struct sink *snk, int64_t id, const char *state, size_t len,
                   struct weir_error *err);
    void (*close)(struct sink *snk);        /* frees snk too */
};

struct sink {
    const struct sink_ops *ops;
    const struct connector_def *def;
    const struct table_ctx *table;
    struct io_metrics metrics;
    bool accepts_updates;                   /* consumes -U/+U/-D (print, blackhole) */
};

/* ---- lookup: the dimension side of a processing-time lookup join ------------ */

/* Flink's lookup.cache kinds (LookupOptions.LookupCacheType). */
enum lookup_cache { LOOKUP_CACHE_NONE, LOOKUP_CACHE_PARTIAL, LOOKUP_CACHE_FULL };

/* How the lookup join caches a dimension table: the connector derives it
 * from the table's options (exec/op_lookup.c does the caching). */
struct lookup_conf {
    enum lookup_cache cache;
    int64_t max_rows;               /* PARTIAL: rows held at most (0: no bound) */
    int64_t expire_write_ms;        /* PARTIAL: entry lifetime after its load (0: none) */
    int64_t expire_access_ms;       /* PARTIAL: ... after its last use (0: none) */
    bool cache_missing_key;         /* PARTIAL: a key without rows is cached too */
    int64_t reload_ms;              /* FULL: the table is read again this often (0: never) */
    int max_retries;                /* a failed lookup or load is tried again this often */
};

struct lookup_source;
struct lookup_ops {
    /* Appends to out (a batch of the produced columns) the rows whose key
     * columns equal row `row` of keys[] (one vector per key column, typed as
     * the column, never NULL there).  Returns WEIR_OK once all are there,
     * WEIR_AGAIN when out filled up first: the next call (with room in out)
     * goes on with the same key's remaining rows. */
    int (*lookup)(struct lookup_source *ls, const struct vec *const *keys, int row,
                  struct batch *out, struct weir_error *err);
    void (*close)(struct lookup_source *ls);    /* frees ls too */
};

struct lookup_source {
    const struct lookup_ops *ops;
    const struct table_ctx *table;          /* borrowed; outlives the source */
};

struct connector_def {
    const char *name;                       /* 'connector' = name */
    unsigned caps;                          /* enum conn_caps */
    const struct opt_def *options;          /* NULL-name terminated */
    bool needs_format;                      /* takes 'format' + '<format>.*' options */
    bool accepts_updates;                   /* the sink consumes -U/+U/-D rows (the
                                               planner checks it before running) */
    bool updates_need_pk;                   /* ...but only into a table with a PRIMARY
                                               KEY (upsert sinks: sqlite) */
    bool has_metadata;                      /* METADATA columns are served (the
                                               connector checks their keys when
                                               it creates the source or sink) */
    const char *format_metadata_prefix;     /* the format's metadata keys are served
                                               as '<prefix><key>' (log: "value.",
                                               as Flink's Kafka); NULL = not
                                               forwarded (Flink's filesystem does
                                               not either) */
    const char *description;
    int (*source_create)(const struct table_ctx *t, struct source **out,
                         struct weir_error *err);
    int (*sink_create)(const struct table_ctx *t, struct sink **out,
                       struct weir_error *err);
    /* Lookup joins (CONN_LOOKUP): fills *conf from t's options and, unless
     * conf->cache is LOOKUP_CACHE_FULL (the join then reads the whole table
     * through source_create), opens in *out a reader of the rows with given
     * values of the key columns key_cols[0..n_keys) (indexes into t's
     * columns).  Bad option combinations are errors here. */
    int (*lookup_create)(const struct table_ctx *t, int n_keys, const int *key_cols,
                         struct lookup_conf *conf, struct lookup_source **out,
                         struct weir_error *err);
};

/* ---- registry (registry.c) ------------------------------------------------- */

const struct connector_def *conn_lookup(const char *name);
const struct connector_def *conn_at(int i);  /* NULL past the end */
/* Builds a comma-separated list of connector names, for error messages. */
void conn_names(struct strbuf *sb);

/*
 * Checks a table's WITH options against the connector (and its format): every
 * key known, every value well-formed, required keys present; `as_source` tells
 * which role is being validated.  On success *out holds the typed option set
 * (caller frees with opt_set_free).  Errors name the table, the key, and the
 * valid keys or values.
 */
int conn_validate(const struct connector_def *def, const struct format_def *fmt,
                  const char *table_name, int n, const char *const *keys,
                  const char *const *values, bool as_source,
                  struct opt_set **out, struct weir_error *err);

/*
 * Rewrites legacy descriptor options (Flink 1.10 style, as in Nexmark q13):
 * 'connector.type' → 'connector', 'connector.path' → 'path', 'format.type' →
 * 'format', 'format.<x>' → '<format>.<x>' ('format.field-delimiter' →
 * 'csv.field-delimiter'); keys without a modern meaning
 * ('connector.property-version', 'format.derive-schema', 'update-mode',
 * 'format.fields.#.*', 'schema.*') are dropped; modern keys pass through.
 * Returns the number of pairs; *keys_out / *values_out are new arrays of new
 * strings (caller frees with conn_options_free).  The binder calls this before
 * looking up 'connector'; conn_validate applies it too.
 */
int conn_normalize_options(int n, const char *const *keys, const char *const *values,
                           char ***keys_out, char ***values_out);
void conn_options_free(int n, char **keys, char **values);

#endif
