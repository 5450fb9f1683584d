/*
 * config.c — the job configuration keys weir knows (`SET 'k' = 'v'`).
 *
 * Flink accepts any key and ignores the ones nothing reads; weir does the same
 * (so existing scripts run) but warns about unknown keys with the closest known
 * one, since a typo in 'parallelism.default' silently changing a job is the kind
 * of surprise we want to remove.  Known keys have their values checked.
 */
#include "sql/plan.h"
#include "connectors/options.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum cfg_kind { CFG_STRING, CFG_INT, CFG_BOOL, CFG_DURATION, CFG_SIZE, CFG_ENUM };

static const struct {
    const char *key;
    enum cfg_kind kind;
    const char *values;      /* CFG_ENUM */
} known[] = {
    {"execution.runtime-mode", CFG_ENUM, "streaming|batch"},
    {"parallelism.default", CFG_INT, NULL},
    {"pipeline.name", CFG_STRING, NULL},
    {"pipeline.max-parallelism", CFG_INT, NULL},
    {"pipeline.auto-watermark-interval", CFG_DURATION, NULL},
    {"execution.checkpointing.interval", CFG_DURATION, NULL},
    {"execution.checkpointing.mode", CFG_ENUM, "EXACTLY_ONCE|AT_LEAST_ONCE"},
    {"execution.checkpointing.timeout", CFG_DURATION, NULL},
    {"execution.checkpointing.min-pause", CFG_DURATION, NULL},
    {"execution.checkpointing.max-concurrent-checkpoints", CFG_INT, NULL},
    {"execution.checkpointing.externalized-checkpoint-retention", CFG_STRING, NULL},
    {"execution.checkpointing.dir", CFG_STRING, NULL},
    {"state.checkpoints.dir", CFG_STRING, NULL},
    {"state.savepoints.dir", CFG_STRING, NULL},
    {"state.checkpoints.num-retained", CFG_INT, NULL},
    {"state.backend", CFG_ENUM, "hashmap|rocksdb|filesystem"},
    {"state.backend.type", CFG_ENUM, "hashmap|rocksdb"},
    {"restart-strategy.type", CFG_STRING, NULL},
    {"restart-strategy", CFG_STRING, NULL},
    {"restart-strategy.fixed-delay.attempts", CFG_INT, NULL},
    {"restart-strategy.fixed-delay.delay", CFG_DURATION, NULL},
    {"table.exec.state.ttl", CFG_DURATION, NULL},
    {"table.exec.source.idle-timeout", CFG_DURATION, NULL},
    {"table.local-time-zone", CFG_STRING, NULL},
    {"table.exec.mini-batch.enabled", CFG_BOOL, NULL},
    {"table.exec.mini-batch.allow-latency", CFG_DURATION, NULL},
    {"table.exec.mini-batch.size", CFG_INT, NULL},
    {"table.optimizer.agg-phase-strategy", CFG_ENUM, "AUTO|ONE_PHASE|TWO_PHASE"},
    {"table.optimizer.distinct-agg.split.enabled", CFG_BOOL, NULL},
    {"table.optimizer.distinct-agg.split.bucket-num", CFG_INT, NULL},
    {"table.exec.sink.upsert-materialize", CFG_ENUM, "NONE|AUTO|FORCE"},
    {"table.exec.sink.not-null-enforcer", CFG_ENUM, "ERROR|DROP"},
    {"table.exec.source.cdc-events-duplicate", CFG_BOOL, NULL},
    {"table.exec.legacy-cast-behaviour", CFG_ENUM, "ENABLED|DISABLED"},
    {"table.exec.resource.default-parallelism", CFG_INT, NULL},
    {"table.dml-sync", CFG_BOOL, NULL},
    {"table.sql-dialect", CFG_ENUM, "default"},
    {"table.exec.async-lookup.buffer-capacity", CFG_INT, NULL},
    {"table.exec.async-lookup.timeout", CFG_DURATION, NULL},
    {"sql-client.execution.result-mode", CFG_STRING, NULL},
    /* weir's own keys */
    {"weir.dead-letter.path", CFG_STRING, NULL},
    {"weir.state.dir", CFG_STRING, NULL},
    {"weir.state.spill.threshold", CFG_STRING, NULL},   /* a size or 'off' (job.c) */
};

static int near(const char *a, const char *b)
{
    /* cheap similarity: length of the common prefix, for suggestions */
    int n = 0;
    while (a[n] && a[n] == b[n])
        n++;
    return n;
}

int config_check(const char *key, const char *value, struct strbuf *warning,
                 struct weir_error *err)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(known[i].key, key) != 0)
            continue;
        int64_t v;
        bool b;
        switch (known[i].kind) {
        case CFG_STRING:
            return WEIR_OK;
        case CFG_INT: {
            char *end;
            strtoll(value, &end, 10);
            if (*value == '\0' || *end != '\0')
                return err_set(err, WEIR_ERR_CONFIG, "'%s' expects an integer, got '%s'", key,
                               value);
            return WEIR_OK;
        }
        case CFG_BOOL:
            if (opt_parse_bool(value, &b) != WEIR_OK)
                return err_set(err, WEIR_ERR_CONFIG, "'%s' expects true or false, got '%s'", key,
                               value);
            return WEIR_OK;
        case CFG_DURATION:
            if (opt_parse_duration_ms(value, &v) != WEIR_OK)
                return err_set(err, WEIR_ERR_CONFIG,
                               "'%s' expects a duration: a number with a unit of d, h, min, "
                               "s or ms, such as '1 h', '10 min' or '500 ms', got '%s'",
                               key, value);
            return WEIR_OK;
        case CFG_SIZE:
            if (opt_parse_size(value, &v) != WEIR_OK)
                return err_set(err, WEIR_ERR_CONFIG, "'%s' expects a size such as '64 mb', got '%s'",
                               key, value);
            return WEIR_OK;
        case CFG_ENUM: {
            const char *p = known[i].values;
            size_t n = strlen(value);
            while (p && *p) {
                const char *bar = strchr(p, '|');
                size_t l = bar ? (size_t)(bar - p) : strlen(p);
                if (l == n && strncasecmp(p, value, n) == 0)
                    return WEIR_OK;
                p = bar ? bar + 1 : NULL;
            }
            return err_set(err, WEIR_ERR_CONFIG, "'%s' must be one of %s, got '%s'", key,
                           known[i].values, value);
        }
        }
    }
    /* unknown: accepted (as Flink does), with the closest known key */
    int best = -1, bestn = 0;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        int n = near(known[i].key, key);
        if (n > bestn) {
            bestn = n;
            best = (int)i;
        }
    }
    if (best >= 0 && bestn >= 6)
        sb_addf(warning, "unknown configuration key '%s' is ignored (did you mean '%s'?)", key,
                known[best].key);
    else
        sb_addf(warning, "unknown configuration key '%s' is ignored", key);
    return WEIR_OK;
}
