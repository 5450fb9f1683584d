/*
 * blackhole.c — the 'blackhole' sink: accepts every row of every changelog kind
 * and discards it, counting rows (Nexmark uses it to measure throughput).
 * At-least-once (no prepare/commit): there is nothing to take back, but after
 * a restore the rows since the last checkpoint are counted again.
 */
#include "connectors/connector.h"
#include "core/mem.h"

static int bh_open(struct sink *snk, struct weir_error *err)
{
    (void)snk;
    (void)err;
    return WEIR_OK;
}

static int bh_write(struct sink *snk, struct batch *b, struct weir_error *err)
{
    (void)err;
    atomic_fetch_add_explicit(&snk->metrics.rows, batch_live(b), memory_order_relaxed);
    return WEIR_OK;
}

static int bh_flush(struct sink *snk, struct weir_error *err)
{
    (void)snk;
    (void)err;
    return WEIR_OK;
}

static void bh_close(struct sink *snk)
{
    mem_free(snk);
}

static const struct sink_ops bh_ops = {
    .open = bh_open,
    .write = bh_write,
    .flush = bh_flush,
    .close = bh_close,
};

static int bh_sink_create(const struct table_ctx *t, struct sink **out,
                          struct weir_error *err)
{
    (void)err;
    struct sink *snk = mem_calloc(1, sizeof(*snk));
    snk->ops = &bh_ops;
    snk->table = t;
    snk->accepts_updates = true;
    *out = snk;
    return WEIR_OK;
}

static const struct opt_def bh_options[] = {
    {NULL},
};

const struct connector_def conn_blackhole = {
    .name = "blackhole",
    .caps = CONN_SINK,
    .options = bh_options,
    .needs_format = false,
    .accepts_updates = true,
    .description = "Discards every row (all changelog kinds), counting them; for "
                   "throughput measurements.  At-least-once: after a restore from a "
                   "checkpoint the rows since that checkpoint are counted again.",
    .sink_create = bh_sink_create,
};
