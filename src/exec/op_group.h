/*
 * op_group.h — the updating GROUP BY operator (see op_group.c), and the
 * checkpoint encoding of accumulator slots that it shares with the window
 * operators (op_window.c).
 */
#ifndef WEIR_OP_GROUP_H
#define WEIR_OP_GROUP_H

#include "exec/op.h"
#include "sql/plan.h"
#include "state/snapshot.h"

/* Output [keys, aggregates] as a changelog.  keys, aggs and out_types are
 * borrowed from the plan; label is taken. */
struct op *op_group_new(int id, struct expr **keys, int n_keys, const struct agg_call *aggs,
                        int n_aggs, int n_out, const struct sql_type *const *out_types,
                        char *label);

/* The job's pipeline.max-parallelism (default 128): the key groups that
 * checkpoint records are tagged with must be the exchange's.  Set it before
 * the first push or restore. */
void op_group_set_max_parallelism(struct op *op, int max_parallelism);
/* table.exec.state.ttl in µs (0: never expire), before the job runs.
 * manual_clock (tests): processing time is the timer hook's now_us. */
void op_group_set_state_ttl(struct op *op, int64_t ttl_us, bool manual_clock);
/* Mini-batch (table.exec.mini-batch.enabled): at most one change per group
 * for every `size` input rows or input batch, whichever ends first; 0: off
 * (a change per row).  Before the job runs. */
void op_group_set_mini_batch(struct op *op, int64_t size);
/* The job's table.exec.mini-batch.{enabled, allow-latency, size} (each NULL
 * when unset) as the size above: 0 when off, an error when on without a
 * positive latency and size (as Flink). */
int op_group_mini_batch_parse(const char *enabled, const char *latency, const char *size,
                              int64_t *rows, struct weir_error *err);

/* ---- checkpointed aggregate state (also used by op_window.c) -------------------------
 *
 * Records have the frame of exec/opstate.h; the fingerprint also covers the
 * aggregate calls.  Accumulators follow as one length-prefixed encoding per
 * aggregate (agg_ops.snapshot), so a decoder can check that each consumed
 * exactly its own bytes.
 */

/* Mixes the aggregate calls (functions, argument and result types, DISTINCT,
 * FILTER) into a fingerprint under construction (a byte string). */
void opagg_fingerprint_aggs(struct strbuf *fp, const struct agg_call *aggs, int n_aggs);

/* WEIR_ERR_UNSUPPORTED when an aggregate cannot be checkpointed. */
int opagg_check_snapshot(const struct op *op, const struct agg_call *aggs, int n_aggs,
                         struct weir_error *err);
/* Appends the accumulators of slot (acc_off[a]: aggregate a's offset). */
void opagg_put_accs(struct strbuf *out, const struct agg_call *aggs, int n_aggs,
                    const size_t *acc_off, const unsigned char *slot);
/* Rebuilds the accumulators of slot (not initialised before).  False (and
 * rd->bad set) when one does not decode; slot then holds nothing to free. */
bool opagg_get_accs(struct snap_rd *rd, const struct agg_call *aggs, int n_aggs,
                    const size_t *acc_off, unsigned char *slot);

/* The key group a state key is routed to by the operator's exchange. */
int opagg_key_group(const void *key, size_t len, int max_parallelism);
/* Bytes the accumulators of one slot hold out of line (agg_ops.mem_size). */
int64_t opagg_heap_bytes(const struct agg_call *aggs, int n_aggs, const size_t *acc_off,
                         const unsigned char *slot);

#endif
