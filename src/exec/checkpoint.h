/*
 * checkpoint.h — checkpoints, savepoints and restore.
 *
 * The protocol is Flink's aligned barriers (Chandy–Lamport for DAGs):
 *
 *   1. The coordinator (a thread of this module) picks an id and publishes it
 *      (ckpt_wanted).  Every source task, between two polls, records its
 *      sources' positions and passes the barrier down its chain and into its
 *      exchanges (job.c).
 *   2. A task fed by exchanges stops reading a channel once the barrier came
 *      through it, until it came through every channel (alignment).  Then it
 *      calls each of its operators' `barrier` hook (exchanges forward the
 *      barrier, sinks pre-commit) and `snapshot` hook.  Snapshot hooks write
 *      their non-keyed state at once and start a lazy, copy-on-write copy of
 *      each state table (state/table.h); the task copies the tables between
 *      batches and then hands the sections to the coordinator (ckpt_ack).
 *      The sync pause is the time the data path stopped: at the barrier, or
 *      for one step of the copy.
 *   3. When every task has acknowledged, the coordinator thread writes the
 *      sections to `data`, then the manifest `_metadata` (text, checksummed,
 *      written to a temporary name, fsync'ed, renamed, directory fsync'ed) —
 *      off the data path.  Only then is the checkpoint complete; tasks see it
 *      (ckpt_completed) and call their operators' `complete` hook on their own
 *      thread: sinks commit.
 *   4. A checkpoint that fails (a write error, a full disk) or takes longer
 *      than execution.checkpointing.timeout is aborted: its files are removed
 *      and the job goes on; the next one carries its sinks' data.
 *
 * On disk, under the job's state directory:
 *   checkpoints/chk-<id>/{data,_metadata}   the last state.checkpoints.num-retained
 *     (+ state-<uid>-<instance>: a section over 4 MiB, written by its task)
 *   savepoints/sp-<id>/...                  stop-with-savepoint and `weir ctl savepoint`
 * A savepoint can also be written to any path.  Restore picks the complete
 * checkpoint or savepoint with the highest id whose manifest and sections pass
 * their checksums; a corrupt one is reported and the previous one is used.
 *
 * Restore maps sections to operators by their stable identity (op->uid, a
 * hash of the plan under the operator), and records to instances by key group,
 * so a job resumes with another parallelism or after compatible edits.
 */
#ifndef WEIR_CHECKPOINT_H
#define WEIR_CHECKPOINT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/strbuf.h"

enum ckpt_kind {
    CKPT_CHECKPOINT,        /* periodic */
    CKPT_SAVEPOINT,         /* on request, kept until deleted by hand */
    CKPT_STOP,              /* a savepoint after which the job stops */
    CKPT_FINAL,             /* end of a bounded job: commits the last rows;
                               a later run starts from the beginning */
};

/* One operator instance's (or source's) state in a checkpoint. */
struct ckpt_section {
    uint64_t uid;
    int instance;
    char *label;            /* for messages */
    struct strbuf data;     /* header + records (snapshot.h) */
    /* A big section is written by its task while it is being copied (see
     * ckpt_section_spill): then `file` names it in the checkpoint's
     * directory and data is empty. */
    char *file;
    int fd;                 /* the task's descriptor while it writes (-1: none) */
    int64_t file_len;
    uint32_t file_crc;
};

/* ---- writing ------------------------------------------------------------------- */

struct ckpt_config {
    int64_t interval_ms;    /* 0: checkpointing off */
    int64_t timeout_ms;
    int retained;
};

struct ckpt_stats {         /* of the last completed (or failed) checkpoint */
    int64_t id;
    int kind;
    int64_t trigger_ms;     /* wall clock */
    int64_t align_us;       /* the longest alignment of a task */
    int64_t sync_us;        /* the longest the data path of a task stopped for
                               it: at the barrier, or one step of the copy */
    int64_t copy_us;        /* the longest a task took from its barrier to its
                               acknowledgement: state is copied lazily,
                               between batches (state_table_walk) */
    int64_t async_us;       /* writing and syncing the files */
    int64_t duration_us;    /* trigger to complete */
    int64_t bytes;
    bool failed;
    char reason[160];
};

struct ckpt_coord;

/* n_tasks: acknowledgements each checkpoint needs. */
struct ckpt_coord *ckpt_coord_new(const char *state_dir, const char *job_name,
                                  const struct ckpt_config *cfg, int n_tasks,
                                  int parallelism, int max_parallelism, int64_t next_id);
void ckpt_coord_free(struct ckpt_coord *c);
/* Starts / stops the coordinator thread (periodic triggers, timeouts, writing). */
int ckpt_coord_start(struct ckpt_coord *c, struct weir_error *err);
void ckpt_coord_stop(struct ckpt_coord *c);

/* The id tasks should inject now (0: none yet).  Relaxed reads in loops. */
int64_t ckpt_wanted(const struct ckpt_coord *c);
/* The highest completed id: tasks commit up to it. */
int64_t ckpt_completed(const struct ckpt_coord *c);
/* The kind of checkpoint id (CKPT_CHECKPOINT if unknown). */
int ckpt_kind_of(const struct ckpt_coord *c, int64_t id);
/* A task's acknowledgement of checkpoint id with its sections (taken);
 * align_us / sync_us: what the task measured. */
void ckpt_ack(struct ckpt_coord *c, int64_t id, struct ckpt_section *secs, int n,
              int64_t align_us, int64_t sync_us, int64_t copy_us);
/* Frees what sections hold (labels and data), not the array itself. */
void ckpt_sections_clear(struct ckpt_section *secs, int n);
/*
 * Task side: appends `data` (then emptied) to section s's own file in
 * checkpoint id's directory, so that a big section goes to disk while it is being
 * copied instead of waiting whole in memory for the coordinator.  The file
 * is named after the section's operator and instance; the coordinator only
 * syncs it.  Fails (nothing written) when id is no longer in flight or on a
 * write error (reason in err): the task then declines the checkpoint.
 */
int ckpt_section_spill(struct ckpt_coord *c, int64_t id, struct ckpt_section *s,
                       struct strbuf *data, struct weir_error *err);
/* A task failed to snapshot: the checkpoint is aborted. */
void ckpt_decline(struct ckpt_coord *c, int64_t id, const char *reason);

/*
 * Requests a checkpoint of `kind` (path: a savepoint's directory, NULL for
 * the default) and returns its id.  If one is running, the request waits for
 * it with its id reserved.  Used for the final checkpoint, `weir ctl
 * savepoint/stop` and SIGTERM.
 */
int64_t ckpt_request(struct ckpt_coord *c, int kind, const char *path);
/* Waits until checkpoint id is complete or failed (or timeout_ms passes);
 * true when complete.  *path_out (optional) gets its directory (caller frees). */
bool ckpt_wait(struct ckpt_coord *c, int64_t id, int64_t timeout_ms, char **path_out);
#define CKPT_HISTORY 256
/* The newest finished checkpoints (up to max, oldest first); returns how many. */
int ckpt_history(struct ckpt_coord *c, struct ckpt_stats *out, int max);
/* 1: checkpoint id completed, -1: it failed, 0: not finished yet. */
int ckpt_status(struct ckpt_coord *c, int64_t id);
/* Copies the stats of the last finished checkpoint and the counts. */
void ckpt_get_stats(struct ckpt_coord *c, struct ckpt_stats *last, int64_t *completed,
                    int64_t *failed, int64_t *in_progress);

/* ---- reading ------------------------------------------------------------------- */

struct ckpt_manifest {
    int64_t id;
    int kind;
    int64_t time_ms;
    int parallelism, max_parallelism;
    char *job;
    char *dir;              /* where it was read from */
    int n_sections;
    struct {
        uint64_t uid;
        int instance;
        int64_t offset, length;
        uint32_t crc;
        char *label;
        char *file;         /* its own file (mapped at fmap), or NULL: in data */
        void *fmap;
    } *sections;
    /* the data file, mapped on demand (ckpt_section_data) */
    void *map;
    size_t map_len;
};

/* Reads and checks the manifest in dir (and maps the data file, checking
 * every section's checksum). */
int ckpt_manifest_read(const char *dir, struct ckpt_manifest **out, struct weir_error *err);
void ckpt_manifest_free(struct ckpt_manifest *m);
/* The bytes of section i (valid while m is). */
const char *ckpt_section_data(const struct ckpt_manifest *m, int i, size_t *len);

/*
 * The newest usable checkpoint or savepoint under state_dir (NULL: none).
 * Corrupt ones are skipped with a line on `warn` (may be NULL).  *max_id gets
 * the highest id found, usable or not (new ids continue after it).
 */
int ckpt_find_latest(const char *state_dir, struct ckpt_manifest **out, int64_t *max_id,
                     FILE *warn, struct weir_error *err);

/* The highest checkpoint or savepoint id in state_dir, usable or not (0:
 * none), from the directory names alone. */
int64_t ckpt_max_id(const char *state_dir);

/* Parses the checkpoint options of a job (durations, counts). */
int ckpt_config_parse(const char *interval, const char *timeout, const char *retained,
                      struct ckpt_config *cfg, struct weir_error *err);

const char *ckpt_kind_name(int kind);

#endif
