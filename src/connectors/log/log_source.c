/*
 * log_source.c — the 'log' source: reads a topic of the embedded durable log
 * (src/log/log.h) as a table, like Flink's Kafka source.
 *
 * Splits.  A topic's partitions are the splits: subtask s of P reads the
 * partitions p with p mod P == s (a subtask without a partition is idle, or
 * done when bounded).  Each partition has a read-committed reader, so rows
 * written by an exactly-once sink appear only once committed.
 *
 * Start and end.  'scan.startup.mode' positions every reader when the source
 * opens (a seek() from a checkpoint position overrides it); group-offsets
 * falls back to the start of partitions the group has no offset for.  With a
 * bounded mode each partition's end offset is fixed at open: latest-offset =
 * the visible end then, group-offsets = the group's offset, timestamp = the
 * first record at or after the time.  A bounded source returns WEIR_DONE once
 * every partition reached its end.
 *
 * Records.  Each record's value is decoded by the table's format into one row;
 * a record that cannot be decoded (or has a null value) goes to the
 * dead-letter output with position "<topic>/<partition>@<offset>".  Records of
 * a batch that do not fit the output batch are kept (the reader's batch stays
 * valid until the next call on it) and emitted by the next poll.  A changelog
 * format (debezium-json, canal-json) makes 0..n rows of a record, all in one
 * batch: a record whose rows do not fit ends the poll and starts the next
 * one; a null value is a tombstone there and holds no rows (as in Flink).
 *
 * Position (checkpoint text), one line per partition of this subtask:
 *   v1
 *   part <partition> <next offset> <end offset, -1 = follow>
 * The next offset is the one after the last record poll consumed (a row or a
 * dead letter); records read ahead and kept for the next poll are not
 * counted.  The end is kept so that a restored bounded source stops where
 * the uninterrupted one would have, not at the end the topic has by then.
 * Restore (seek) with another parallelism: subtask s takes the partitions p
 * with p mod P == s, each from the old position that names it; a partition
 * no position names (added since, or of a subtask that wrote none) starts as
 * 'scan.startup.mode' says.  Group offsets: with
 * 'properties.group.id' the next offsets are committed to the group at most
 * once a second (on a poll) and at close — what was handed downstream, so a
 * restart from the group is at-least-once.
 *
 * Waiting.  The engine sleeps `wait_ms` after WEIR_AGAIN (job.c); 10 ms keeps
 * latency low at the cost of one state-file read per partition per poll.
 * log_reader_wait_any would avoid that, but the task loop has one thread for
 * all its sources, so a source must not block.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors/log/log_connector.h"
#include "connectors/position.h"
#include "core/mem.h"
#include "exec/deadletter.h"
#include "formats/format.h"
#include "log/log.h"

#define LOGC_WAIT_MS 10             /* sleep after an empty poll */
#define LOGC_GROUP_EVERY_MS 1000    /* group offset commit period */

enum { START_EARLIEST, START_LATEST, START_GROUP, START_TIMESTAMP };
enum { END_NONE, END_LATEST, END_GROUP, END_TIMESTAMP };

struct logc_part {
    int partition;
    struct log_reader *r;
    int64_t next;                   /* next offset to hand downstream */
    int64_t end;                    /* bounded: stop before this; -1 = follow */
    int64_t committed;              /* last offset committed to the group, -1 */
    const struct log_record *recs;  /* unconsumed records of the last batch */
    int n_recs, i_rec;
};

struct logc_source {
    struct source base;
    struct decoder *dec;
    struct weir_error err;          /* a record's decode error */
    bool full;                      /* this poll met a record whose rows need the
                                     * next batch */
    char *dir, *topic, *group;
    int start_mode, end_mode;
    int64_t start_ts, end_ts;
    struct logc_part *parts;        /* this subtask's partitions */
    int n_parts;
    int next_part;                  /* round-robin start of the next poll */
    bool opened;
    int64_t last_group_ms;
    int md_topic, md_partition, md_offset, md_timestamp, md_key;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *tname(const struct logc_source *ls)
{
    return ls->base.table->table_name;
}

/* ---- positions ------------------------------------------------------------------ */

static int seek_part(struct logc_source *ls, struct logc_part *p, int64_t off,
                     struct weir_error *err)
{
    int rc = log_reader_seek(p->r, off, err);
    if (rc == WEIR_OK)
        p->next = log_reader_position(p->r);
    p->recs = NULL;
    p->n_recs = p->i_rec = 0;
    (void)ls;
    return rc;
}

/* The offset of the first record at or after ts in partition p, via a
 * throw-away reader (the main one keeps its position). */
static int offset_for_time(struct logc_source *ls, int partition, int64_t ts,
                           int64_t *off, struct weir_error *err)
{
    struct log_reader *r;
    int rc = log_reader_open(ls->dir, ls->topic, partition, LOG_READ_COMMITTED, &r, err);
    if (rc != WEIR_OK)
        return rc;
    if ((rc = log_reader_seek_time(r, ts, err)) == WEIR_OK)
        *off = log_reader_position(r);
    log_reader_close(r);
    return rc;
}

static int group_offset(struct logc_source *ls, int partition, int64_t *off,
                        struct weir_error *err)
{
    if (ls->group == NULL)
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': group-offsets needs "
                       "'properties.group.id'", tname(ls));
    return log_group_fetch(ls->dir, ls->group, ls->topic, partition, off, err);
}

static int commit_group(struct logc_source *ls, struct weir_error *err)
{
    if (ls->group == NULL)
        return WEIR_OK;
    ls->last_group_ms = mono_ms();
    for (int i = 0; i < ls->n_parts; i++) {
        struct logc_part *p = &ls->parts[i];
        if (p->next == p->committed)
            continue;
        int rc = log_group_commit(ls->dir, ls->group, ls->topic, p->partition, p->next,
                                  err);
        if (rc != WEIR_OK)
            return rc;
        p->committed = p->next;
    }
    return WEIR_OK;
}

/* ---- source ops ----------------------------------------------------------------- */

static int logc_open(struct source *src, struct weir_error *err)
{
    struct logc_source *ls = (struct logc_source *)src;
    if (ls->opened)
        return WEIR_OK;
    const struct table_ctx *t = src->table;
    int n_total, rc;
    if ((rc = logc_topic_partitions(t, ls->dir, ls->topic, &n_total, err)) != WEIR_OK)
        return rc;
    int P = t->parallelism > 0 ? t->parallelism : 1;
    ls->parts = mem_calloc((size_t)n_total + 1, sizeof(*ls->parts));
    for (int p = 0; p < n_total; p++) {
        if (p % P != t->subtask)
            continue;
        struct logc_part *lp = &ls->parts[ls->n_parts];
        lp->partition = p;
        lp->end = -1;
        lp->committed = -1;
        rc = log_reader_open(ls->dir, ls->topic, p, LOG_READ_COMMITTED, &lp->r, err);
        if (rc != WEIR_OK)
            return rc;
        ls->n_parts++;
        lp->next = log_reader_position(lp->r);
        int64_t off = -1, start, end;
        if ((rc = log_reader_offsets(lp->r, &start, &end, err)) != WEIR_OK)
            return rc;
        switch (ls->start_mode) {
        case START_LATEST:
            off = end;
            break;
        case START_GROUP:
            rc = group_offset(ls, p, &off, err);
            break;
        case START_TIMESTAMP:
            rc = offset_for_time(ls, p, ls->start_ts, &off, err);
            break;
        }
        if (rc != WEIR_OK)
            return rc;
        if (off >= 0 && (rc = seek_part(ls, lp, off, err)) != WEIR_OK)
            return rc;
        switch (ls->end_mode) {
        case END_LATEST:
            lp->end = end;
            break;
        case END_GROUP:
            rc = group_offset(ls, p, &lp->end, err);
            if (rc == WEIR_OK && lp->end < 0)
                lp->end = start;        /* nothing committed: nothing to read */
            break;
        case END_TIMESTAMP:
            rc = offset_for_time(ls, p, ls->end_ts + 1, &lp->end, err);
            break;
        }
        if (rc != WEIR_OK)
            return rc;
    }
    ls->opened = true;
    ls->last_group_ms = mono_ms();
    return WEIR_OK;
}

static void dead_letter(struct logc_source *ls, const struct logc_part *p,
                        const struct log_record *rec, const char *reason)
{
    const struct table_ctx *t = ls->base.table;
    char *pos = mem_sprintf("%s/%d@%lld", ls->topic, p->partition, (long long)rec->offset);
    dlq_write(t->dlq, t->table_name, pos, reason, rec->value_len > 0 ? rec->value : "",
              rec->value_len > 0 ? (size_t)rec->value_len : 0);
    mem_free(pos);
    atomic_fetch_add_explicit(&ls->base.metrics.dead_letters, 1, memory_order_relaxed);
}

/* Decodes one record into the next row(s) of out, or dead-letters it.
 * Returns false, consuming nothing, when a changelog format's rows do not
 * fit in what is left of out. */
static bool emit(struct logc_source *ls, const struct logc_part *p,
                 const struct log_record *rec, struct batch *out)
{
    bool changelog = ls->dec->ops->decode_rows != NULL;
    if (rec->value_len < 0 && !changelog) {
        dead_letter(ls, p, rec, "null value (tombstone)");
        return true;
    }
    bool lossy = false;
    int row = out->n, n = 1;
    size_t len = rec->value_len > 0 ? (size_t)rec->value_len : 0;
    int rc = changelog ?
        ls->dec->ops->decode_rows(ls->dec, len ? rec->value : "", len, out, row, &n,
                                  &lossy, &ls->err) :
        ls->dec->ops->decode(ls->dec, rec->value, len, out, row, &lossy, &ls->err);
    if (rc == WEIR_AGAIN) {
        err_clear(&ls->err);
        return false;
    }
    if (rc == WEIR_DONE) {
        err_clear(&ls->err);
        return true;
    }
    if (rc != WEIR_OK || lossy) {
        if (rc == WEIR_OK && !ls->err.message)
            err_set(&ls->err, WEIR_ERR_PARSE, "field(s) set to NULL by "
                    "ignore-parse-errors");
        dead_letter(ls, p, rec, ls->err.message ? ls->err.message : "parse error");
    }
    err_clear(&ls->err);
    if (rc != WEIR_OK)
        return true;
    for (int r = row; r < row + n; r++) {
        if (ls->md_topic >= 0)
            vec_set_str(&out->cols[ls->md_topic], r, ls->topic, strlen(ls->topic));
        if (ls->md_partition >= 0)
            out->cols[ls->md_partition].i64[r] = p->partition;
        if (ls->md_offset >= 0)
            out->cols[ls->md_offset].i64[r] = rec->offset;
        if (ls->md_timestamp >= 0)
            out->cols[ls->md_timestamp].i64[r] = rec->timestamp * 1000;
        if (ls->md_key >= 0) {
            struct vec *v = &out->cols[ls->md_key];
            if (rec->key_len < 0)
                vec_set_null(v, r);
            else
                vec_set_str(v, r, rec->key, (size_t)rec->key_len);
        }
    }
    out->n += n;
    return true;
}

static bool part_done(const struct logc_part *p)
{
    return p->end >= 0 && p->next >= p->end;
}

/* Reads partition p into out until out is full or nothing is visible. */
static int read_part(struct logc_source *ls, struct logc_part *p, struct batch *out,
                     struct weir_error *err)
{
    while (out->n < BATCH_CAP && !ls->full && !part_done(p)) {
        if (p->i_rec >= p->n_recs) {
            int rc = log_reader_next(p->r, &p->recs, &p->n_recs, err);
            p->i_rec = 0;
            if (rc == WEIR_AGAIN) {
                p->n_recs = 0;
                /* retention may have moved the start past our offset */
                p->next = log_reader_position(p->r) > p->next ?
                          log_reader_position(p->r) : p->next;
                return WEIR_OK;
            }
            if (rc != WEIR_OK) {
                p->n_recs = 0;
                return rc;
            }
        }
        while (p->i_rec < p->n_recs && out->n < BATCH_CAP && !ls->full) {
            const struct log_record *rec = &p->recs[p->i_rec];
            if (rec->offset < p->next) {        /* before a seek target */
                p->i_rec++;
                continue;
            }
            if (p->end >= 0 && rec->offset >= p->end) {
                p->next = p->end;
                p->i_rec = p->n_recs;
                break;
            }
            if (!emit(ls, p, rec, out)) {
                ls->full = true;        /* rec starts the next poll */
                break;
            }
            p->next = rec->offset + 1;
            p->i_rec++;
        }
    }
    return WEIR_OK;
}

static int logc_poll(struct source *src, struct batch *out, struct weir_error *err)
{
    struct logc_source *ls = (struct logc_source *)src;
    int rc;
    if (!ls->opened && (rc = logc_open(src, err)) != WEIR_OK)
        return rc;
    /* the rows of earlier polls are downstream: their offsets may be committed */
    if (ls->group && mono_ms() - ls->last_group_ms >= LOGC_GROUP_EVERY_MS &&
        (rc = commit_group(ls, err)) != WEIR_OK)
        return rc;
    int before = out->n;
    ls->full = false;
    for (int k = 0; k < ls->n_parts && out->n < BATCH_CAP && !ls->full; k++) {
        struct logc_part *p = &ls->parts[(ls->next_part + k) % ls->n_parts];
        if ((rc = read_part(ls, p, out, err)) != WEIR_OK)
            return rc;
    }
    if (ls->n_parts > 0)
        ls->next_part = (ls->next_part + 1) % ls->n_parts;
    int rows = out->n - before;
    if (rows > 0) {
        atomic_fetch_add_explicit(&src->metrics.rows, rows, memory_order_relaxed);
        return WEIR_OK;
    }
    if (src->bounded) {
        int n_done = 0;
        for (int i = 0; i < ls->n_parts; i++)
            n_done += part_done(&ls->parts[i]);
        if (n_done == ls->n_parts) {
            if ((rc = commit_group(ls, err)) != WEIR_OK)
                return rc;
            return WEIR_DONE;
        }
    }
    src->wait_ms = LOGC_WAIT_MS;
    return WEIR_AGAIN;
}

static int logc_position(struct source *src, struct strbuf *pos)
{
    struct logc_source *ls = (struct logc_source *)src;
    sb_adds(pos, "v1\n");
    for (int i = 0; i < ls->n_parts; i++)
        sb_addf(pos, "part %d %lld %lld\n", ls->parts[i].partition,
                (long long)ls->parts[i].next, (long long)ls->parts[i].end);
    return WEIR_OK;
}

/* Applies old subtask s's position to the partitions this subtask reads;
 * seen[] (one per partition this subtask reads) catches a partition named
 * twice. */
static int logc_apply(struct logc_source *ls, int s, const char *pos, bool *seen,
                      struct weir_error *err)
{
    struct pos_reader rd;
    const char *why;
    int rc = pos_begin(&rd, pos, "log", tname(ls), s, 96, err);
    if (rc != WEIR_OK)
        return rc;
    while (pos_next(&rd, &why)) {
        long long part = -1, off = -1, end = -2;
        char tail;
        if (why == NULL &&
            (sscanf(rd.buf, "part %lld %lld %lld%c", &part, &off, &end, &tail) != 3 ||
             part < 0 || part > INT32_MAX || off < 0 || end < -1))
            why = "expected 'part <partition> <next offset> <end offset or -1>'";
        for (int i = 0; why == NULL && i < ls->n_parts; i++) {
            struct logc_part *p = &ls->parts[i];
            if (p->partition != part)
                continue;
            if (seen[i]) {
                why = "the partition is in two positions";
                break;
            }
            seen[i] = true;
            if ((rc = seek_part(ls, p, off, err)) != WEIR_OK)
                return rc;
            /* bounded: the end the uninterrupted run had */
            if (ls->end_mode != END_NONE && end >= 0)
                p->end = end;
        }
        if (why != NULL)
            return pos_bad_line(&rd, why, err);
    }
    return WEIR_OK;
}

static int logc_seek(struct source *src, const char *const *pos, int old_parallelism,
                     struct weir_error *err)
{
    struct logc_source *ls = (struct logc_source *)src;
    int rc;
    if (!ls->opened && (rc = logc_open(src, err)) != WEIR_OK)
        return rc;
    bool *seen = mem_calloc((size_t)ls->n_parts + 1, sizeof(bool));
    rc = WEIR_OK;
    for (int s = 0; s < old_parallelism && rc == WEIR_OK; s++)
        if (pos[s] != NULL)
            rc = logc_apply(ls, s, pos[s], seen, err);
    mem_free(seen);
    return rc;
}

static void logc_close(struct source *src)
{
    struct logc_source *ls = (struct logc_source *)src;
    if (ls == NULL)
        return;
    if (ls->opened && ls->group) {
        struct weir_error e2 = {0};
        if (commit_group(ls, &e2) != WEIR_OK)
            fprintf(stderr, "weir: table '%s': %s\n", tname(ls), e2.message);
        err_clear(&e2);
    }
    for (int i = 0; i < ls->n_parts; i++)
        log_reader_close(ls->parts[i].r);
    mem_free(ls->parts);
    if (ls->dec)
        ls->dec->ops->free(ls->dec);
    err_clear(&ls->err);
    mem_free(ls->dir);
    mem_free(ls->topic);
    mem_free(ls->group);
    mem_free(ls);
}

static const struct source_ops logc_source_ops = {
    .open = logc_open,
    .poll = logc_poll,
    .position = logc_position,
    .seek = logc_seek,
    .close = logc_close,
};

/* The lanes the source writes each metadata key into must match the declared
 * type, or a value would be stored in the wrong union member. */
static bool md_type_ok(const char *m, const struct sql_type *ty)
{
    enum phys_lane lane = type_lane(ty);
    if (strcmp(m, "partition") == 0 || strcmp(m, "offset") == 0)
        return lane == LANE_I64 && !type_is_temporal(ty);
    if (strcmp(m, "timestamp") == 0)
        return ty->id == T_TIMESTAMP_LTZ;
    if (strcmp(m, "topic") == 0 || strcmp(m, "key") == 0)
        return lane == LANE_STR;
    return true;        /* unknown keys are reported by the caller */
}

static const char *md_type_want(const char *m)
{
    if (strcmp(m, "partition") == 0 || strcmp(m, "offset") == 0)
        return "an integer type (INT, BIGINT)";
    if (strcmp(m, "timestamp") == 0)
        return "TIMESTAMP_LTZ(3)";
    return "STRING or BYTES";
}

static int mode_of(const char *s, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return 0;
}

int logc_source_create(const struct table_ctx *t, struct source **out,
                       struct weir_error *err)
{
    static const char *const starts[] = {"earliest-offset", "latest-offset",
                                         "group-offsets", "timestamp", NULL};
    static const char *const ends[] = {"unbounded", "latest-offset", "group-offsets",
                                       "timestamp", NULL};
    if (t->format == NULL)
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': the log source needs a "
                       "'format'", t->table_name);
    struct logc_source *ls = mem_calloc(1, sizeof(*ls));
    int rc = WEIR_OK, n_parts;
    ls->base.ops = &logc_source_ops;
    ls->base.table = t;
    ls->base.wait_ms = LOGC_WAIT_MS;
    ls->md_topic = ls->md_partition = ls->md_offset = ls->md_timestamp = ls->md_key = -1;
    ls->dir = mem_strdup(logc_data_dir(t));
    ls->topic = mem_strdup(opt_str(t->opts, "topic", ""));
    if (opt_has(t->opts, "properties.group.id"))
        ls->group = mem_strdup(opt_str(t->opts, "properties.group.id", ""));
    ls->start_mode = mode_of(opt_str(t->opts, "scan.startup.mode", "earliest-offset"),
                             starts);
    ls->end_mode = mode_of(opt_str(t->opts, "scan.bounded.mode", "unbounded"), ends);
    ls->base.bounded = ls->end_mode != END_NONE;
    ls->start_ts = opt_int(t->opts, "scan.startup.timestamp-millis", -1);
    ls->end_ts = opt_int(t->opts, "scan.bounded.timestamp-millis", -1);
    if (ls->start_mode == START_TIMESTAMP && ls->start_ts < 0) {
        rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': scan.startup.mode 'timestamp' "
                     "needs 'scan.startup.timestamp-millis'", t->table_name);
        goto fail;
    }
    if (ls->end_mode == END_TIMESTAMP && ls->end_ts < 0) {
        rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': scan.bounded.mode 'timestamp' "
                     "needs 'scan.bounded.timestamp-millis'", t->table_name);
        goto fail;
    }
    if ((ls->start_mode == START_GROUP || ls->end_mode == END_GROUP) && !ls->group) {
        rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': group-offsets needs "
                     "'properties.group.id'", t->table_name);
        goto fail;
    }
    if ((rc = log_name_check("topic", ls->topic, err)) != WEIR_OK ||
        (ls->group && (rc = log_name_check("group", ls->group, err)) != WEIR_OK) ||
        (rc = logc_topic_partitions(t, ls->dir, ls->topic, &n_parts, err)) != WEIR_OK)
        goto fail;
    for (int i = 0; i < t->n_cols; i++) {
        const char *m = t->col_metadata ? t->col_metadata[i] : NULL;
        if (m == NULL || (t->col_format_metadata && t->col_format_metadata[i]))
            continue;   /* physical, or the format's (the decoder fills it) */
        if (!md_type_ok(m, t->col_types[i])) {
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': metadata column '%s' ('%s') "
                         "must be %s", t->table_name, t->col_names[i], m, md_type_want(m));
            goto fail;
        }
        if (strcmp(m, "topic") == 0)
            ls->md_topic = i;
        else if (strcmp(m, "partition") == 0)
            ls->md_partition = i;
        else if (strcmp(m, "offset") == 0)
            ls->md_offset = i;
        else if (strcmp(m, "timestamp") == 0)
            ls->md_timestamp = i;
        else if (strcmp(m, "key") == 0)
            ls->md_key = i;
        else {
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': unknown metadata key '%s' "
                         "for connector 'log'; available: topic, partition, offset, "
                         "timestamp, key", t->table_name, m);
            goto fail;
        }
    }
    if ((rc = t->format->decoder_create(t, &ls->dec, err)) != WEIR_OK)
        goto fail;
    *out = &ls->base;
    return WEIR_OK;
fail:
    logc_close(&ls->base);
    return rc;
}
