/*
 * filesystem.c — the 'filesystem' connector's descriptor and option table; the
 * source is in fs_source.c, the sink in fs_sink.c.
 *
 * Flink's options are all accepted.  The partition-commit and time-extractor
 * options are validated; weir commits partitions (writes the success file) at
 * the end of input, which is when Flink commits them for a bounded job too —
 * for unbounded jobs, and for exactly-once delivery with checkpoints (part
 * files made visible at the checkpoint's commit), see fs_sink.c.
 */
#include "connectors/filesystem/fs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mem.h"

const char *fs_path(const struct table_ctx *t)
{
    const char *p = opt_str(t->opts, "path", "");
    if (strncmp(p, "file://", 7) == 0)
        p += 7;
    return p;
}

int fs_mkdirs(const char *dir, struct weir_error *err)
{
    char *d = mem_strdup(dir);
    int rc = WEIR_OK;
    size_t n = strlen(d);
    for (size_t i = 1; i <= n; i++) {
        if (d[i] != '/' && d[i] != '\0')
            continue;
        char c = d[i];
        d[i] = '\0';
        if (mkdir(d, 0777) != 0 && errno != EEXIST) {
            rc = err_set(err, WEIR_ERR_IO, "cannot create directory '%s': %s", d,
                         strerror(errno));
            break;
        }
        d[i] = c;
    }
    mem_free(d);
    return rc;
}

static const struct opt_def fs_options[] = {
    {"path", OPT_STRING, NULL, NULL, true,
     "a file or directory (read recursively); plain path or file:// URI"},
    {"format", OPT_STRING, NULL, NULL, true,
     "record format: csv, json, raw, regex; debezium-json and canal-json read and "
     "write changelogs (-U/+U/-D rows)"},
    {"source.monitor-interval", OPT_DURATION, NULL, NULL, false,
     "look for new files this often; makes the source unbounded (each file is read "
     "once)"},
    {"source.path.regex-pattern", OPT_STRING, NULL, NULL, false,
     "not supported yet (rejected)"},
    {"lookup.join.cache.ttl", OPT_DURATION, "60 min", NULL, false,
     "as the dimension of a lookup join the whole table is cached; it is read again "
     "when this much time has passed since it was read (replace files by renaming "
     "them, so a reload never sees one half-written)"},
    {"partition.default-name", OPT_STRING, "__DEFAULT_PARTITION__", NULL, false,
     "partition directory name for NULL and empty values"},
    {"sink.rolling-policy.file-size", OPT_SIZE, "128mb", NULL, false,
     "roll the part file when it reaches this size"},
    {"sink.rolling-policy.rollover-interval", OPT_DURATION, "30 min", NULL, false,
     "roll a part file that has been open this long"},
    {"sink.rolling-policy.check-interval", OPT_DURATION, "1 min", NULL, false,
     "how often the rollover interval is checked"},
    {"sink.rolling-policy.inactivity-interval", OPT_DURATION, NULL, NULL, false,
     "roll a part file not written to for this long"},
    {"sink.partition-commit.trigger", OPT_ENUM, "process-time",
     "process-time|partition-time", false, "when a partition may be committed"},
    {"sink.partition-commit.delay", OPT_DURATION, "0 s", NULL, false,
     "commit a partition this long after its time"},
    {"sink.partition-commit.watermark-time-zone", OPT_STRING, "UTC", NULL, false,
     "time zone of the watermark for partition-time commits"},
    {"sink.partition-commit.policy.kind", OPT_STRING, NULL, NULL, false,
     "comma-separated: success-file, metastore (no metastore: ignored), custom "
     "(rejected)"},
    {"sink.partition-commit.policy.class", OPT_STRING, NULL, NULL, false,
     "custom commit policy class (not supported)"},
    {"sink.partition-commit.success-file.name", OPT_STRING, "_SUCCESS", NULL, false,
     "name of the success file written into committed partitions"},
    {"partition.time-extractor.kind", OPT_ENUM, "default", "default|custom", false,
     "how a partition's time is extracted from its values"},
    {"partition.time-extractor.class", OPT_STRING, NULL, NULL, false,
     "custom extractor class (not supported)"},
    {"partition.time-extractor.timestamp-pattern", OPT_STRING, NULL, NULL, false,
     "partition time from partition values, e.g. '$dt $hm:00'"},
    {"partition.time-extractor.timestamp-formatter", OPT_STRING, "yyyy-MM-dd HH:mm:ss",
     NULL, false, "pattern that parses the extracted timestamp string"},
    {"sink.shuffle-by-partition.enable", OPT_BOOL, "false", NULL, false,
     "shuffle rows by partition before the sink"},
    {"sink.parallelism", OPT_INT, NULL, NULL, false,
     "number of parallel sink instances"},
    {"auto-compaction", OPT_BOOL, "false", NULL, false, "not supported (must be false)"},
    {"compaction.file-size", OPT_SIZE, NULL, NULL, false, "accepted, unused"},
    {NULL},
};

const struct connector_def conn_filesystem = {
    .name = "filesystem",
    .caps = CONN_SOURCE | CONN_SINK | CONN_LOOKUP,
    .has_metadata = true,
    .options = fs_options,
    .needs_format = true,
    .description = "Reads files line by line (a file or a whole directory) and writes "
                   "rolling part files, optionally into Hive-style partition "
                   "directories (`k=v/`).  Records that cannot be decoded go to the "
                   "dead-letter output with `path:line:offset`.  Sink delivery: with "
                   "checkpointing, exactly-once — a finished part file keeps its hidden "
                   "name (`.part-<id>-<subtask>-<n>.inprogress`) until the checkpoint "
                   "that covers it completes, then is renamed to "
                   "`part-<id>-<subtask>-<n>`; a restored job renames what its "
                   "checkpoint covered and deletes the hidden files written after it.  "
                   "`<id>` is derived from the job's state directory and the table name, "
                   "so it is the same for every run of the job.  Without checkpointing "
                   "(`execution.checkpointing.interval` = 0), at-least-once: a file is "
                   "visible as soon as it is rolled.",
    .source_create = fs_source_create,
    .sink_create = fs_sink_create,
    .lookup_create = fs_lookup_create,
};
