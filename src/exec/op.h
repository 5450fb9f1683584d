/*
 * op.h — the operator interface of the runtime.
 *
 * An operator receives batches from its inputs (push), learns that an input has
 * ended (finish) and forwards its own output to its downstream operators.
 * Stateless operators are fused into chains simply by calling the next
 * operator's push directly: a chain costs function calls, not copies or queues.
 * Later operators (windows, joins) add watermark and barrier handling through the
 * same vtable; exchanges between worker threads are operators whose push
 * partitions rows into bounded queues.
 *
 * Batches passed to push are borrowed for the call and must not be modified;
 * an operator that narrows the selection works on a view (a shallow copy of the
 * batch struct with its own selection vector).
 */
#ifndef WEIR_OP_H
#define WEIR_OP_H

#include <stdatomic.h>

#include "connectors/connector.h"
#include "core/err.h"
#include "exec/batch.h"
#include "exec/expr.h"

struct op;
struct deadletter;
struct snap_writer;
struct snap_rd;

/* Watermarks are event-time microseconds.  WM_NONE: nothing seen yet;
 * WM_IDLE: the input is idle and must not hold back the minimum;
 * WM_END: end of input, every window may fire. */
#define WM_NONE INT64_MIN
#define WM_IDLE (INT64_MIN + 1)
#define WM_END INT64_MAX

struct op_ops {
    const char *kind;                       /* "Calc", "Sink", ... */
    /* A batch from input `port` (the edge's index at the receiver). */
    int (*push)(struct op *op, int port, struct batch *b, struct eval_ctx *ctx,
                struct weir_error *err);
    /* The combined watermark of the op's inputs advanced to wm (op_watermark_in
     * computes it).  NULL: forward it downstream unchanged. */
    int (*watermark)(struct op *op, int64_t wm, struct eval_ctx *ctx, struct weir_error *err);
    /* Called by the driver about every 50 ms with the wall clock (processing-
     * time windows); NULL when the op has no timers. */
    int (*timer)(struct op *op, int64_t now_us, struct eval_ctx *ctx, struct weir_error *err);
    /* Called once when every input has ended; must forward to downstream. */
    int (*finish)(struct op *op, struct eval_ctx *ctx, struct weir_error *err);
    void (*free)(struct op *op);
    /* ---- checkpoints (exec/checkpoint.h); each may be NULL ----
     * barrier: checkpoint `id`'s barrier has reached the op's task and the
     * task's inputs are aligned (no row of the checkpoint is still to come, no
     * row after it has arrived).  The task calls it on each of its operators
     * in turn, then snapshots them: an exchange sends what it buffers and the
     * barrier; a sink pre-commits. */
    int (*barrier)(struct op *op, int64_t id, struct weir_error *err);
    /* Writes the op's state into w: a record per key (snap_begin with the
     * key's group) and SNAP_OPERATOR records for state that is not keyed.
     * Runs on the op's own thread while its input waits: it writes non-keyed
     * state at once and hands each state table to state_table_walk, which
     * writes the table's records lazily as of this moment (the task copies
     * them between batches).  NULL: the op has no state. */
    int (*snapshot)(struct op *op, struct snap_writer *w, struct weir_error *err);
    /* Before the job runs: one record written by snapshot (by any old
     * instance) whose key group this instance owns now; SNAP_OPERATOR records
     * reach every instance.  Timers and indexes are rebuilt here too. */
    int (*restore)(struct op *op, int kg, struct snap_rd *rd, struct weir_error *err);
    /* Checkpoint `id` is complete (its manifest is durable): sinks commit. */
    int (*complete)(struct op *op, int64_t id, struct weir_error *err);
};

struct op_edge {
    struct op *to;
    int port;                               /* input index at `to` */
};

struct op {
    const struct op_ops *ops;
    char *label;                            /* for EXPLAIN, metrics: "Calc#3" */
    int id;                                 /* the logical node's id */
    struct op_edge *next;                   /* downstream operators */
    int n_next;
    int n_inputs;                           /* upstream edges feeding this op */
    int n_finished;
    int64_t *in_wm;                         /* per input: last watermark (or WM_IDLE) */
    int64_t wm;                             /* combined watermark forwarded so far */
    struct deadletter *dlq;                 /* for late rows (window operators) */
    int instance;                           /* which of the P instances */
    uint64_t uid;                           /* stable identity across runs and
                                               query edits (checkpoint.c) */
    _Atomic int64_t rows_in;
    _Atomic int64_t rows_out;
    _Atomic int64_t retractions;            /* rows out that are -U or -D */
    _Atomic int64_t late;                   /* rows dropped as late (dead-lettered) */
    _Atomic int64_t expired;                /* state entries dropped by
                                               table.exec.state.ttl */
    _Atomic int64_t state_keys;             /* entries held in state */
    _Atomic int64_t state_bytes;            /* memory held in state */
    _Atomic int64_t state_disk;             /* bytes its spill files hold on disk */
    _Atomic int64_t wm_out;                 /* last watermark forwarded (metrics) */
};

/* Sends b to every downstream operator of op. */
int op_emit(struct op *op, struct batch *b, struct eval_ctx *ctx, struct weir_error *err);
/* Forwards a watermark to every downstream operator. */
int op_emit_watermark(struct op *op, int64_t wm, struct eval_ctx *ctx, struct weir_error *err);
/* Records watermark wm on input `port` of op; when the minimum over its
 * non-idle inputs advances, calls the op's watermark handler. */
int op_watermark_in(struct op *op, int port, int64_t wm, struct eval_ctx *ctx,
                    struct weir_error *err);
/* Row `row` of b is late (its window or frame was already emitted): counts
 * it in op->late and writes it to the dead-letter output with `reason`. */
void op_late_row(struct op *op, const struct batch *b, int row, const char *reason);
/* Signals end of input to every downstream operator (each finishes when all
 * of its inputs have). */
int op_finish_next(struct op *op, struct eval_ctx *ctx, struct weir_error *err);
void op_connect(struct op *from, struct op *to);
/* Initialises the common part of an operator (label: taken, from mem_*). */
void op_init(struct op *op, const struct op_ops *ops, int id, char *label);
void op_free(struct op *op);

/* A calc: optional filter, then projections (exprs over the input columns). */
struct op *op_calc_new(int id, struct expr *filter, struct expr **exprs, int n_exprs);
/* A sink operator writing through a connector sink (takes ownership). */
struct op *op_sink_new(int id, struct sink *snk, const char *name);
struct sink *op_sink_get(struct op *op);
/* With checkpointing the sink commits at checkpoints (when the connector can
 * pre-commit), and its end of input waits for the final checkpoint. */
void op_sink_set_two_phase(struct op *op, bool on);
/* After the final checkpoint: the end-of-input flush the sink skipped. */
int op_sink_final_flush(struct op *op, struct weir_error *err);

#endif
