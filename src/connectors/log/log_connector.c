/*
 * log_connector.c — the 'log' connector's descriptor and option table
 * (issue 6, part 3): SQL tables over weir's embedded durable log (src/log/).
 * The options follow Flink's Kafka connector so that moving a job to Kafka
 * is a change of options.  The source is log_source.c, the sink log_sink.c;
 * their headers document splits, positions, partitioning and delivery.
 */
#include "connectors/log/log_connector.h"

#include "log/log.h"

static const struct opt_def log_options[] = {
    {"topic", OPT_STRING, NULL, NULL, true,
     "the topic to read or write; it must exist (`weir topic create NAME "
     "--partitions N`)"},
    {"data-dir", OPT_STRING, NULL, NULL, false,
     "the log's data directory; default: $WEIR_DATA_DIR, else ./weir-data (as the "
     "`weir topic`/`produce`/`consume` commands)"},
    {"format", OPT_STRING, NULL, NULL, true,
     "format of each record's value: raw, json, csv, regex, or a changelog: "
     "debezium-json, canal-json (a null value is then a tombstone: no rows)"},
    {"properties.group.id", OPT_STRING, NULL, NULL, false,
     "source: consumer group; the next offset of every partition read is committed "
     "about once a second and at close, so `weir groups` shows the lag"},
    {"scan.startup.mode", OPT_ENUM, "earliest-offset",
     "earliest-offset|latest-offset|group-offsets|timestamp", false,
     "source: where reading starts; group-offsets starts from the group's committed "
     "offsets (earliest for partitions without one); timestamp from the first record "
     "at or after 'scan.startup.timestamp-millis'"},
    {"scan.startup.timestamp-millis", OPT_INT, NULL, NULL, false,
     "source: start time for scan.startup.mode 'timestamp', ms since the epoch"},
    {"scan.bounded.mode", OPT_ENUM, "unbounded",
     "unbounded|latest-offset|group-offsets|timestamp", false,
     "source: where reading ends; latest-offset ends at the end offsets the "
     "partitions have when the source opens (tests, backfills); group-offsets at "
     "the group's committed offsets; timestamp before the first record after "
     "'scan.bounded.timestamp-millis'; unbounded follows the topic"},
    {"scan.bounded.timestamp-millis", OPT_INT, NULL, NULL, false,
     "source: end time for scan.bounded.mode 'timestamp', ms since the epoch"},
    {"key.fields", OPT_STRING, NULL, NULL, false,
     "sink: semicolon-separated columns whose values (their CAST AS STRING text, "
     "joined by ',', NULL as empty) form each record's key, used by the default "
     "partitioner"},
    {"sink.partitioner", OPT_ENUM, "default", "default|fixed|round-robin", false,
     "sink: default = murmur2 of the key (Kafka's partitioner, same partition "
     "numbers), round-robin for records without a key; fixed = subtask mod "
     "partitions; round-robin = rotate over all partitions"},
    {"sink.delivery-guarantee", OPT_ENUM, "exactly-once",
     "at-least-once|exactly-once|none", false,
     "sink: exactly-once (the default) = a transactional writer whose records read-committed readers "
     "see only once the checkpoint that covers them completes (two-phase commit; "
     "what a crashed run wrote after its last checkpoint is discarded on "
     "recovery); without checkpointing, at the end of bounded input; "
     "at-least-once (and none) = plain appends, visible at once"},
    {NULL},
};

const struct connector_def conn_log = {
    .name = "log",
    .caps = CONN_SOURCE | CONN_SINK,
    .has_metadata = true,
    .format_metadata_prefix = "value.",
    .options = log_options,
    .needs_format = true,
    .description = "Reads and writes topics of weir's embedded durable log, like "
                   "Flink's Kafka connector.  Source: partitions are the splits "
                   "(subtask s of P reads the partitions p with p mod P = s), "
                   "read-committed; undecodable records go to the dead-letter output "
                   "with `topic/partition@offset`; the position is "
                   "`partition:next-offset,...`.  Sink: append-only, one batch per "
                   "partition per write.  Metadata: `topic`, `partition`, `offset`, "
                   "`key` (STRING or BYTES; read-only) and `timestamp` "
                   "(TIMESTAMP_LTZ(3); writable on the sink); the format's, "
                   "read-only, as `value.<key>` (debezium-json's "
                   "`value.source.timestamp`, ...).",
    .source_create = logc_source_create,
    .sink_create = logc_sink_create,
};

const char *logc_data_dir(const struct table_ctx *t)
{
    if (opt_has(t->opts, "data-dir"))
        return opt_str(t->opts, "data-dir", "");
    return log_default_dir();
}

int logc_topic_partitions(const struct table_ctx *t, const char *dir,
                          const char *topic, int *n, struct weir_error *err)
{
    struct log_topic_config cfg;
    struct weir_error e2 = {0};
    int rc = log_topic_config_read(dir, topic, &cfg, &e2);
    err_clear(&e2);
    if (rc != WEIR_OK)
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': topic '%s' does not exist in "
                       "'%s'; create it with `weir topic create %s --partitions N`",
                       t->table_name, topic, dir, topic);
    *n = cfg.n_partitions;
    return WEIR_OK;
}
