/*
 * fs_sink.c — the filesystem sink: rows encoded by the table's format, one per
 * line, into rolling part files; with PARTITIONED BY, into Hive-style
 * partition directories.
 *
 * Layout under 'path' (Flink's naming):
 *   [k1=v1/k2=v2/]part-<uuid>-<subtask>-<n>          finished part files
 *   [k1=v1/k2=v2/].part-<uuid>-<subtask>-<n>.inprogress   being written (hidden,
 *                                                    so readers skip it)
 *   [k1=v1/k2=v2/]_SUCCESS                           partition committed
 * <uuid> is random per sink instance (run), <n> counts part files per bucket.
 * Partition values are the CAST(... AS STRING) text, escaped like Hive/Flink's
 * PartitionPathUtils (control characters and "#%'*\/:=?\\{[]^ and DEL become
 * %XX); NULL or empty values use 'partition.default-name'.  Partition columns
 * are not written into the files.
 *
 * Rolling: a part file is finished (renamed to its visible name) when it
 * reaches 'sink.rolling-policy.file-size', when it has been open longer than
 * 'rollover-interval' (checked every 'check-interval'), at a checkpoint
 * (prepare) and at the end of input (flush).  weir makes a rolled file visible
 * at once instead of at the next checkpoint: at-least-once, not exactly-once.
 * At the end of input every partition written gets its success file when
 * 'sink.partition-commit.policy.kind' includes success-file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "connectors/filesystem/fs.h"
#include "core/mem.h"
#include "core/value_fmt.h"
#include "formats/format.h"

#define FS_WRITE_CHUNK (256 * 1024)

struct bucket {
    char *dir;                      /* partition dir ("" for the root), relative */
    int fd;                         /* -1 = no part file open */
    char *tmp_path, *final_path;    /* of the open part file */
    int64_t size;                   /* bytes in the open part file (incl. buffered) */
    int64_t opened_ms;
    int64_t counter;                /* next part number */
    struct strbuf out;              /* encoded rows not yet written */
};

struct fs_sink {
    struct sink base;
    struct encoder *enc;
    struct table_ctx data_ctx;      /* the non-partition columns, for the encoder */
    int n_data;
    int *data_cols;                 /* sink column of each data column */
    struct vec *view;               /* n_data vec copies (shallow) */
    char *root;
    char uuid[40];
    char *default_part;
    int64_t file_size, rollover_ms, check_ms, last_check_ms;
    bool success_file;
    char *success_name;
    struct bucket *buckets;
    int n_buckets, cap_buckets;
    struct strbuf pbuf;             /* partition dir of the current row */
    struct strbuf vbuf;             /* a partition value */
    int last_bucket;                /* bucket of the previous row, -1 */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const char *p, size_t n, const char *path,
                     struct weir_error *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return err_set(err, WEIR_ERR_IO, "cannot write '%s': %s", path,
                           strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return WEIR_OK;
}

static int bucket_drain(struct fs_sink *fs, struct bucket *bk, struct weir_error *err)
{
    if (bk->out.len == 0)
        return WEIR_OK;
    int rc = write_all(bk->fd, bk->out.buf, bk->out.len, bk->tmp_path, err);
    if (rc == WEIR_OK)
        atomic_fetch_add_explicit(&fs->base.metrics.bytes, (int64_t)bk->out.len,
                                  memory_order_relaxed);
    sb_clear(&bk->out);
    return rc;
}

static int bucket_open(struct fs_sink *fs, struct bucket *bk, struct weir_error *err)
{
    const struct table_ctx *t = fs->base.table;
    char *dir = *bk->dir ? mem_sprintf("%s/%s", fs->root, bk->dir) : mem_strdup(fs->root);
    int rc = fs_mkdirs(dir, err);
    if (rc == WEIR_OK) {
        long long n = (long long)bk->counter++;
        bk->tmp_path = mem_sprintf("%s/.part-%s-%d-%lld.inprogress", dir, fs->uuid,
                                   t->subtask, n);
        bk->final_path = mem_sprintf("%s/part-%s-%d-%lld", dir, fs->uuid, t->subtask, n);
        bk->fd = open(bk->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (bk->fd < 0) {
            rc = err_set(err, WEIR_ERR_IO, "table '%s': cannot create '%s': %s",
                         t->table_name, bk->tmp_path, strerror(errno));
            mem_free(bk->tmp_path);
            mem_free(bk->final_path);
            bk->tmp_path = bk->final_path = NULL;
        }
        bk->size = 0;
        bk->opened_ms = mono_ms();
    }
    mem_free(dir);
    return rc;
}

/* Finishes the open part file: write out, close, rename to the visible name. */
static int bucket_roll(struct fs_sink *fs, struct bucket *bk, struct weir_error *err)
{
    if (bk->fd < 0)
        return WEIR_OK;
    int rc = bucket_drain(fs, bk, err);
    if (close(bk->fd) != 0 && rc == WEIR_OK)
        rc = err_set(err, WEIR_ERR_IO, "cannot close '%s': %s", bk->tmp_path,
                     strerror(errno));
    bk->fd = -1;
    if (rc == WEIR_OK && rename(bk->tmp_path, bk->final_path) != 0)
        rc = err_set(err, WEIR_ERR_IO, "cannot rename '%s' to '%s': %s", bk->tmp_path,
                     bk->final_path, strerror(errno));
    mem_free(bk->tmp_path);
    mem_free(bk->final_path);
    bk->tmp_path = bk->final_path = NULL;
    return rc;
}

/* Hive/Flink escaping of one partition value. */
static void escape_part(struct strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c) != NULL) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sb_add(sb, e, 3);
        } else {
            sb_addc(sb, (char)c);
        }
    }
}

/* The partition dir of row `row` into fs->pbuf ("k1=v1/k2=v2"). */
static void partition_dir(struct fs_sink *fs, const struct batch *b, int row)
{
    const struct table_ctx *t = fs->base.table;
    sb_clear(&fs->pbuf);
    for (int k = 0; k < t->n_partition_keys; k++) {
        int c = t->partition_keys[k];
        const struct vec *v = &b->cols[c];
        if (k)
            sb_addc(&fs->pbuf, '/');
        escape_part(&fs->pbuf, t->col_names[c], strlen(t->col_names[c]));
        sb_addc(&fs->pbuf, '=');
        sb_clear(&fs->vbuf);
        if (!vec_is_null(v, row)) {
            if (type_lane(v->type) == LANE_STR)
                sb_add(&fs->vbuf, v->s[row].ptr, v->s[row].len);
            else
                vfmt_cast_string(&fs->vbuf, v, row);
        }
        if (fs->vbuf.len == 0)
            sb_adds(&fs->pbuf, fs->default_part);
        else
            escape_part(&fs->pbuf, fs->vbuf.buf, fs->vbuf.len);
    }
}

static struct bucket *find_bucket(struct fs_sink *fs, const char *dir)
{
    if (fs->last_bucket >= 0 && strcmp(fs->buckets[fs->last_bucket].dir, dir) == 0)
        return &fs->buckets[fs->last_bucket];
    for (int i = 0; i < fs->n_buckets; i++) {
        if (strcmp(fs->buckets[i].dir, dir) == 0) {
            fs->last_bucket = i;
            return &fs->buckets[i];
        }
    }
    MEM_GROW(fs->buckets, fs->cap_buckets, fs->n_buckets + 1);
    struct bucket *bk = &fs->buckets[fs->n_buckets];
    memset(bk, 0, sizeof(*bk));
    bk->dir = mem_strdup(dir);
    bk->fd = -1;
    fs->last_bucket = fs->n_buckets++;
    return bk;
}

static int check_rollover(struct fs_sink *fs, struct weir_error *err)
{
    int64_t now = mono_ms();
    if (now - fs->last_check_ms < fs->check_ms)
        return WEIR_OK;
    fs->last_check_ms = now;
    for (int i = 0; i < fs->n_buckets; i++) {
        struct bucket *bk = &fs->buckets[i];
        if (bk->fd >= 0 && now - bk->opened_ms >= fs->rollover_ms) {
            int rc = bucket_roll(fs, bk, err);
            if (rc != WEIR_OK)
                return rc;
        }
    }
    return WEIR_OK;
}

static int fs_write(struct sink *snk, struct batch *b, struct weir_error *err)
{
    struct fs_sink *fs = (struct fs_sink *)snk;
    const struct table_ctx *t = snk->table;
    int rc = check_rollover(fs, err);
    if (rc != WEIR_OK)
        return rc;
    /* a batch of the data columns only, sharing b's buffers */
    struct batch view = *b;
    for (int i = 0; i < fs->n_data; i++)
        fs->view[i] = b->cols[fs->data_cols[i]];
    view.cols = fs->view;
    view.n_cols = fs->n_data;
    int n = batch_live(b);
    for (int k = 0; k < n; k++) {
        int row = batch_row(b, k);
        struct bucket *bk;
        if (t->n_partition_keys > 0) {
            partition_dir(fs, b, row);
            bk = find_bucket(fs, fs->pbuf.buf);
        } else {
            bk = find_bucket(fs, "");
        }
        if (bk->fd < 0 && (rc = bucket_open(fs, bk, err)) != WEIR_OK)
            return rc;
        size_t before = bk->out.len;
        if ((rc = fs->enc->ops->encode(fs->enc, &view, row, &bk->out, err)) != WEIR_OK)
            return rc;
        sb_addc(&bk->out, '\n');
        bk->size += (int64_t)(bk->out.len - before);
        if (bk->size >= fs->file_size)
            rc = bucket_roll(fs, bk, err);
        else if (bk->out.len >= FS_WRITE_CHUNK)
            rc = bucket_drain(fs, bk, err);
        if (rc != WEIR_OK)
            return rc;
    }
    atomic_fetch_add_explicit(&snk->metrics.rows, n, memory_order_relaxed);
    return WEIR_OK;
}

static int roll_all(struct fs_sink *fs, struct weir_error *err)
{
    for (int i = 0; i < fs->n_buckets; i++) {
        int rc = bucket_roll(fs, &fs->buckets[i], err);
        if (rc != WEIR_OK)
            return rc;
    }
    return WEIR_OK;
}

static int fs_flush(struct sink *snk, struct weir_error *err)
{
    struct fs_sink *fs = (struct fs_sink *)snk;
    int rc = roll_all(fs, err);
    if (rc != WEIR_OK || !fs->success_file || snk->table->n_partition_keys == 0)
        return rc;
    for (int i = 0; i < fs->n_buckets; i++) {
        char *p = mem_sprintf("%s/%s/%s", fs->root, fs->buckets[i].dir, fs->success_name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0)
            rc = err_set(err, WEIR_ERR_IO, "cannot create '%s': %s", p, strerror(errno));
        else
            close(fd);
        mem_free(p);
        if (rc != WEIR_OK)
            return rc;
    }
    return WEIR_OK;
}

static int fs_prepare(struct sink *snk, int64_t checkpoint_id, struct weir_error *err)
{
    (void)checkpoint_id;
    return roll_all((struct fs_sink *)snk, err);
}

static int fs_open_sink(struct sink *snk, struct weir_error *err)
{
    struct fs_sink *fs = (struct fs_sink *)snk;
    return fs_mkdirs(fs->root, err);
}

static void fs_sink_close(struct sink *snk)
{
    struct fs_sink *fs = (struct fs_sink *)snk;
    if (fs == NULL)
        return;
    for (int i = 0; i < fs->n_buckets; i++) {
        struct bucket *bk = &fs->buckets[i];
        if (bk->fd >= 0)
            close(bk->fd);   /* unfinished: stays hidden (.inprogress) */
        mem_free(bk->tmp_path);
        mem_free(bk->final_path);
        mem_free(bk->dir);
        sb_free(&bk->out);
    }
    mem_free(fs->buckets);
    if (fs->enc)
        fs->enc->ops->free(fs->enc);
    mem_free((void *)fs->data_ctx.col_names);
    mem_free((void *)fs->data_ctx.col_types);
    mem_free(fs->data_cols);
    mem_free(fs->view);
    mem_free(fs->root);
    mem_free(fs->default_part);
    mem_free(fs->success_name);
    sb_free(&fs->pbuf);
    sb_free(&fs->vbuf);
    mem_free(fs);
}

static const struct sink_ops fs_sink_ops = {
    .open = fs_open_sink,
    .write = fs_write,
    .flush = fs_flush,
    .prepare = fs_prepare,
    .close = fs_sink_close,
};

static void make_uuid(char *out)
{
    unsigned char r[16];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        uint64_t x = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32 ^ (uint64_t)mono_ms();
        for (int i = 0; i < 16; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            r[i] = (unsigned char)(x >> 56);
        }
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
            r[12], r[13], r[14], r[15]);
}

/* 'sink.partition-commit.policy.kind': success-file / metastore / custom. */
static int parse_policy(struct fs_sink *fs, const char *kinds, struct weir_error *err)
{
    const struct table_ctx *t = fs->base.table;
    char *copy = mem_strdup(kinds), *save = NULL;
    int rc = WEIR_OK;
    for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        while (*k == ' ')
            k++;
        size_t n = strlen(k);
        while (n && k[n - 1] == ' ')
            k[--n] = '\0';
        if (strcasecmp(k, "success-file") == 0) {
            fs->success_file = true;
        } else if (strcasecmp(k, "metastore") == 0) {
            /* a filesystem table has no metastore: nothing to do */
        } else if (strcasecmp(k, "custom") == 0) {
            rc = err_set(err, WEIR_ERR_UNSUPPORTED, "table '%s': custom partition "
                         "commit policies are not supported", t->table_name);
            break;
        } else {
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': option "
                         "'sink.partition-commit.policy.kind' expects success-file, "
                         "metastore or custom, got '%s'", t->table_name, k);
            break;
        }
    }
    mem_free(copy);
    return rc;
}

int fs_sink_create(const struct table_ctx *t, struct sink **out, struct weir_error *err)
{
    if (t->format == NULL)
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': the filesystem sink needs a "
                       "'format'", t->table_name);
    for (int i = 0; i < t->n_cols; i++)
        if (t->col_metadata && t->col_metadata[i])
            return err_set(err, WEIR_ERR_CONFIG, "table '%s': metadata column '%s' ('%s') "
                           "cannot be written: the filesystem's metadata is read-only; "
                           "declare it VIRTUAL", t->table_name, t->col_names[i],
                           t->col_metadata[i]);
    if (opt_bool(t->opts, "auto-compaction", false))
        return err_set(err, WEIR_ERR_UNSUPPORTED, "table '%s': 'auto-compaction' is "
                       "not supported yet", t->table_name);
    if (strcasecmp(opt_str(t->opts, "partition.time-extractor.kind", "default"),
                   "custom") == 0)
        return err_set(err, WEIR_ERR_UNSUPPORTED, "table '%s': custom partition time "
                       "extractors are not supported", t->table_name);
    struct fs_sink *fs = mem_calloc(1, sizeof(*fs));
    fs->base.ops = &fs_sink_ops;
    fs->base.table = t;
    fs->base.accepts_updates = false;
    fs->last_bucket = -1;
    fs->root = mem_strdup(fs_path(t));
    size_t rl = strlen(fs->root);
    while (rl > 1 && fs->root[rl - 1] == '/')
        fs->root[--rl] = '\0';
    make_uuid(fs->uuid);
    fs->default_part = mem_strdup(opt_str(t->opts, "partition.default-name",
                                          "__DEFAULT_PARTITION__"));
    fs->success_name = mem_strdup(opt_str(t->opts,
                                          "sink.partition-commit.success-file.name",
                                          "_SUCCESS"));
    fs->file_size = opt_size(t->opts, "sink.rolling-policy.file-size", 128LL << 20);
    fs->rollover_ms = opt_duration_ms(t->opts, "sink.rolling-policy.rollover-interval",
                                      30 * 60 * 1000);
    fs->check_ms = opt_duration_ms(t->opts, "sink.rolling-policy.check-interval",
                                   60 * 1000);
    fs->last_check_ms = mono_ms();
    int rc = WEIR_OK;
    const char *kinds = opt_str(t->opts, "sink.partition-commit.policy.kind", NULL);
    if (kinds && (rc = parse_policy(fs, kinds, err)) != WEIR_OK)
        goto fail;

    /* the data columns: all but the partition keys */
    fs->data_cols = mem_calloc((size_t)(t->n_cols ? t->n_cols : 1), sizeof(int));
    const char **names = mem_calloc((size_t)(t->n_cols ? t->n_cols : 1), sizeof(char *));
    const struct sql_type **types =
        mem_calloc((size_t)(t->n_cols ? t->n_cols : 1), sizeof(struct sql_type *));
    for (int c = 0; c < t->n_cols; c++) {
        bool part = false;
        for (int k = 0; k < t->n_partition_keys; k++)
            part |= t->partition_keys[k] == c;
        if (part)
            continue;
        names[fs->n_data] = t->col_names[c];
        types[fs->n_data] = t->col_types[c];
        fs->data_cols[fs->n_data++] = c;
    }
    fs->view = mem_calloc((size_t)(fs->n_data ? fs->n_data : 1), sizeof(struct vec));
    fs->data_ctx = *t;
    fs->data_ctx.n_cols = fs->n_data;
    fs->data_ctx.col_names = names;
    fs->data_ctx.col_types = types;
    fs->data_ctx.col_metadata = NULL;
    fs->data_ctx.n_partition_keys = 0;
    fs->data_ctx.partition_keys = NULL;
    fs->data_ctx.n_pk = 0;
    fs->data_ctx.pk = NULL;
    fs->data_ctx.projection = NULL;
    fs->data_ctx.n_all_physical = 0;
    rc = t->format->encoder_create(&fs->data_ctx, &fs->enc, err);
    if (rc != WEIR_OK)
        goto fail;
    *out = &fs->base;
    return WEIR_OK;
fail:
    fs_sink_close(&fs->base);
    return rc;
}
