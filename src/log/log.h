/*
 * log.h — weir's embedded durable log: topics of partitions on local disk.
 *
 * Place in the pipeline (see /work/shared/DESIGN.md): sources -> log -> jobs.
 * A topic is a directory of N partitions; a partition is an append-only
 * sequence of record batches kept in segment files (format: segment.c), with a
 * sparse offset index and time index per segment (index.c).  One writer per
 * partition at a time (flock), any number of readers in any process; readers
 * wait for new data with inotify.  Consumer groups keep one committed offset
 * per (group, topic, partition) (group.c).  Transactions, recovery and the
 * choices behind them: src/log/README.md.
 *
 * Conventions: every fallible call returns an rc from core/err.h and fills
 * `err` (may be NULL).  Handles are opaque; *_close/free accept NULL.
 */
#ifndef WEIR_LOG_H
#define WEIR_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define LOG_DEFAULT_DIR "weir-data"
#define LOG_MAX_PARTITIONS 1024
#define LOG_MAX_NAME 200                 /* topic and group names */
#define LOG_MAX_BATCH_BYTES (64 << 20)   /* one encoded batch */

/* The data directory when none is given: $WEIR_DATA_DIR if set and not
 * empty, else LOG_DEFAULT_DIR (relative to the working directory).  Shared by
 * the CLI (cli.c) and the 'log' SQL connector.  Borrowed. */
const char *log_default_dir(void);

/* ---- topics ------------------------------------------------------------------ */

enum log_durability {
    LOG_DURABILITY_BATCH,       /* fdatasync before log_append returns */
    LOG_DURABILITY_INTERVAL,    /* a flusher thread syncs every interval_ms */
    LOG_DURABILITY_OS,          /* the kernel writes back when it likes */
};

struct log_topic_config {
    int n_partitions;               /* 1 .. LOG_MAX_PARTITIONS */
    enum log_durability durability;
    int64_t interval_ms;            /* LOG_DURABILITY_INTERVAL period, >= 1 */
    int64_t retention_ms;           /* delete segments older than this; -1 never */
    int64_t retention_bytes;        /* per partition; -1 unlimited */
    int64_t segment_bytes;          /* roll the active segment past this size */
    int32_t index_interval_bytes;   /* bytes between two index entries */
};

/* Defaults: 1 partition, durability os, keep forever, 128 MiB segments,
 * an index entry every 4 KiB. */
void log_topic_config_default(struct log_topic_config *cfg);

/* Parses "batch", "os" or "interval:MS" into cfg; WEIR_ERR_CONFIG otherwise
 * (the message names the valid forms). */
int log_durability_parse(const char *s, struct log_topic_config *cfg,
                         struct weir_error *err);
/* "batch", "os", "interval:100" into buf (>= 32 bytes); returns buf. */
const char *log_durability_str(const struct log_topic_config *cfg, char *buf);

/* Checks a topic or group name: 1..LOG_MAX_NAME of [A-Za-z0-9._-], not "."
 * or "..".  `what` ("topic", "group") goes into the message. */
int log_name_check(const char *what, const char *name, struct weir_error *err);

/* Creates DIR/topics/NAME with its partitions, atomically (a half-created
 * topic is never visible).  WEIR_ERR_CONFIG if it exists or cfg is invalid. */
int log_topic_create(const char *dir, const char *topic,
                     const struct log_topic_config *cfg, struct weir_error *err);
/* Reads the topic's configuration; WEIR_ERR_CONFIG "unknown topic" if absent. */
int log_topic_config_read(const char *dir, const char *topic,
                          struct log_topic_config *cfg, struct weir_error *err);
/* Deletes a topic and its data, and the groups' offsets for it; refused while
 * a writer holds one of its partitions. */
int log_topic_delete(const char *dir, const char *topic, struct weir_error *err);
/* Sorted topic names; caller frees with log_names_free. */
int log_topic_list(const char *dir, char ***names, int *n_names,
                   struct weir_error *err);
void log_names_free(char **names, int n_names);

/* The state of one partition as the last writer published it. */
struct log_partition_info {
    int64_t start_offset;       /* first offset still kept (after retention) */
    int64_t end_offset;         /* next offset to be written */
    int64_t committed_offset;   /* end of what read-committed readers see */
    int64_t durable_offset;     /* offsets below are known synced to disk */
    int n_segments;
    int64_t size_bytes;         /* bytes in segment files */
    int writer_pid;             /* process holding the write lock, 0 if none */
};
int log_partition_info(const char *dir, const char *topic, int partition,
                       struct log_partition_info *info, struct weir_error *err);

/* Kafka's default partitioner: murmur2(key) & 0x7fffffff mod n_partitions,
 * so keys land on the same partition number as they would in Kafka. */
int log_partition_for_key(const void *key, size_t key_len, int n_partitions);
uint32_t log_murmur2(const void *key, size_t len);

/* ---- records ----------------------------------------------------------------- */

struct log_header {
    const char *key;            /* borrowed; not NUL-terminated */
    int32_t key_len;
    const void *value;          /* NULL with value_len -1: null value */
    int32_t value_len;
};

/* One record.  On append, offset is ignored and timestamp <= 0 means "now";
 * key/value NULL with len -1 are null.  On read, every pointer is borrowed
 * from the reader and valid until its next call. */
struct log_record {
    int64_t offset;
    int64_t timestamp;          /* milliseconds since the epoch */
    const void *key;
    int32_t key_len;            /* -1: null key */
    const void *value;
    int32_t value_len;          /* -1: null value */
    int32_t n_headers;
    const struct log_header *headers;
};

/* ---- appending (one writer per partition) ----------------------------------- */

struct log_appender;

enum log_append_flags {
    /* Appends stay invisible to read-committed readers until log_commit, and
     * log_abort (or a non-transactional writer opening the partition) throws
     * away whatever was appended after the last commit. */
    LOG_APPEND_TRANSACTIONAL = 1,
};

/* What opening a partition for append had to repair. */
struct log_recovery {
    int64_t truncated_bytes;        /* torn or corrupt tail bytes removed */
    int64_t truncated_at_offset;    /* first offset that was lost, -1 none */
    int64_t discarded_uncommitted;  /* records of an aborted transaction */
    int rebuilt_indexes;            /* index files rewritten */
};

/* Opens partition `partition` of `topic` for appending: takes the partition's
 * write lock (a second writer, in this process or another, gets
 * WEIR_ERR_IO "... is being written by process PID"), recovers a torn tail
 * and publishes the recovered state.  rec may be NULL.  Caller closes with
 * log_appender_close. */
int log_appender_open(const char *dir, const char *topic, int partition,
                      int flags, struct log_appender **out,
                      struct log_recovery *rec, struct weir_error *err);

/* Appends n records (1 .. 1M) as one batch; *base_offset (may be NULL) gets
 * the first record's offset, the others follow.  Durability per the topic's
 * policy: with "batch" the records are on disk when this returns.  On error
 * nothing of the batch is kept. */
int log_append(struct log_appender *a, const struct log_record *recs, int n,
               int64_t *base_offset, struct weir_error *err);
/* Syncs everything appended so far, whatever the policy. */
int log_append_flush(struct log_appender *a, struct weir_error *err);
int64_t log_appender_end_offset(const struct log_appender *a);
int64_t log_appender_durable_offset(struct log_appender *a);
int64_t log_appender_committed_offset(const struct log_appender *a);

/* Transactional appenders: makes [committed, upto) visible to read-committed
 * readers, durably (the data and then the commit point are synced before it
 * returns).  upto must be in [committed, end]. */
int log_commit(struct log_appender *a, int64_t upto, struct weir_error *err);
/* Truncates everything appended after the last commit. */
int log_abort(struct log_appender *a, struct weir_error *err);

/* Deletes whole segments beyond the topic's retention (never the active
 * one); done on open and after each segment roll too.  *n_deleted may be NULL. */
int log_retention_apply(struct log_appender *a, int64_t now_ms, int *n_deleted,
                        struct weir_error *err);

/* Flushes per policy (interval: a final sync), publishes, releases the lock. */
void log_appender_close(struct log_appender *a);

/* ---- reading (any number of readers, any process) --------------------------- */

struct log_reader;

enum log_isolation {
    LOG_READ_COMMITTED,         /* default: stop at the committed offset */
    LOG_READ_UNCOMMITTED,       /* up to the end, open transactions included */
};

/* Opens a reader positioned at the partition's start offset.  Caller closes
 * with log_reader_close. */
int log_reader_open(const char *dir, const char *topic, int partition,
                    enum log_isolation iso, struct log_reader **out,
                    struct weir_error *err);
/* Next offset to read.  Offsets below the start are moved up to the start
 * (retention removed them), offsets past the end down to the end. */
int log_reader_seek(struct log_reader *r, int64_t offset, struct weir_error *err);
/* Positions at the first record whose timestamp is >= ts_ms (the end if none). */
int log_reader_seek_time(struct log_reader *r, int64_t ts_ms,
                         struct weir_error *err);
int log_reader_seek_end(struct log_reader *r, struct weir_error *err);
int64_t log_reader_position(const struct log_reader *r);

/* Reads the next batch at the position: WEIR_OK with *n >= 1 records in
 * *recs (borrowed, valid until the next call on r), WEIR_AGAIN when nothing
 * more is visible now, WEIR_ERR_CORRUPT on a checksum mismatch. */
int log_reader_next(struct log_reader *r, const struct log_record **recs,
                    int *n, struct weir_error *err);
/* Blocks until data past the position is visible or timeout_ms passes
 * (-1: no limit): WEIR_OK, WEIR_AGAIN on timeout or a signal, WEIR_ERR_IO if
 * the topic was deleted.  Wakes through inotify, not by polling. */
int log_reader_wait(struct log_reader *r, int timeout_ms, struct weir_error *err);
/* The same for several readers (e.g. all partitions of a topic). */
int log_reader_wait_any(struct log_reader **rs, int n, int timeout_ms,
                        struct weir_error *err);
/* Start and visible end (per the reader's isolation) right now. */
int log_reader_offsets(struct log_reader *r, int64_t *start, int64_t *end,
                       struct weir_error *err);
void log_reader_close(struct log_reader *r);

/* ---- consumer groups -------------------------------------------------------- */

/* Stores `offset` (the next offset the group will read) for the partition. */
int log_group_commit(const char *dir, const char *group, const char *topic,
                     int partition, int64_t offset, struct weir_error *err);
/* *offset = the committed offset, or -1 if the group never committed one. */
int log_group_fetch(const char *dir, const char *group, const char *topic,
                    int partition, int64_t *offset, struct weir_error *err);
/* Sorted group names; caller frees with log_names_free. */
int log_group_list(const char *dir, char ***names, int *n_names,
                   struct weir_error *err);
/* Sorted names of the topics a group has offsets for. */
int log_group_topics(const char *dir, const char *group, char ***names,
                     int *n_names, struct weir_error *err);

struct log_lag {
    int partition;
    int64_t committed;          /* -1: nothing committed */
    int64_t end;                /* read-committed end offset */
    int64_t lag;                /* end - committed (or end - start if none) */
};
/* One entry per partition of the topic; caller frees *lags with mem_free. */
int log_group_lag(const char *dir, const char *group, const char *topic,
                  struct log_lag **lags, int *n_lags, struct weir_error *err);

#endif
