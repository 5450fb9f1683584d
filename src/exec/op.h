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

struct op_ops {
    const char *kind;                       /* "Calc", "Sink", ... */
    int (*push)(struct op *op, struct batch *b, struct eval_ctx *ctx, struct weir_error *err);
    /* Called once when every input has ended; must forward to downstream. */
    int (*finish)(struct op *op, struct weir_error *err);
    void (*free)(struct op *op);
};

struct op {
    const struct op_ops *ops;
    char *label;                            /* for EXPLAIN, metrics: "Calc#3" */
    int id;                                 /* the logical node's id */
    struct op **next;                       /* downstream operators */
    int n_next;
    int n_inputs;                           /* upstream edges feeding this op */
    int n_finished;
    _Atomic int64_t rows_in;
    _Atomic int64_t rows_out;
};

/* Sends b to every downstream operator of op. */
int op_emit(struct op *op, struct batch *b, struct eval_ctx *ctx, struct weir_error *err);
/* Signals end of input to every downstream operator (each finishes when all
 * of its inputs have). */
int op_finish_next(struct op *op, struct weir_error *err);
void op_connect(struct op *from, struct op *to);
void op_free(struct op *op);

/* A calc: optional filter, then projections (exprs over the input columns). */
struct op *op_calc_new(int id, struct expr *filter, struct expr **exprs, int n_exprs);
/* A sink operator writing through a connector sink (takes ownership). */
struct op *op_sink_new(int id, struct sink *snk, const char *name);
struct sink *op_sink_get(struct op *op);

#endif
