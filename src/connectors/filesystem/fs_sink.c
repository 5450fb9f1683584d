/*
 * fs_sink.c — the filesystem sink: rows encoded by the table's format, one per
 * line, into rolling part files; with PARTITIONED BY, into Hive-style
 * partition directories.
 *
 * Layout under 'path' (Flink's naming):
 *   [k1=v1/k2=v2/]part-<id>-<subtask>-<n>          finished part files
 *   [k1=v1/k2=v2/].part-<id>-<subtask>-<n>.inprogress   being written or waiting
 *                                                  for its checkpoint (hidden,
 *                                                  so readers skip it)
 *   [k1=v1/k2=v2/]_SUCCESS                         partition committed
 * <id> is the writer id, UUID-shaped but not random: a hash of the job's state
 * directory and the sink table's name, so a restarted job finds the files its
 * earlier run left.  <n> counts part files per bucket (partition directory);
 * it goes on after the highest number of this writer and subtask already in
 * the directory, so a restarted run never overwrites a committed file.
 * Partition values are the CAST(... AS STRING) text, escaped like Hive/Flink's
 * PartitionPathUtils (control characters and "#%'*\/:=?\\{[]^ and DEL become
 * %XX); NULL or empty values use 'partition.default-name'.  Partition columns
 * are not written into the files.
 *
 * Rolling: a part file is finished when it reaches
 * 'sink.rolling-policy.file-size', when it has been open longer than
 * 'rollover-interval' (checked every 'check-interval'), at a checkpoint
 * (prepare) and at the end of input (flush).
 *
 * Without checkpointing a finished file is renamed to its visible name at
 * once (at-least-once: a restarted job writes its rows again).  With
 * checkpointing it is exactly-once, by two-phase commit:
 *   - a finished file becomes *pending*: closed, still under its hidden name;
 *   - prepare(N) finishes every open file; the pending files not yet covered
 *     by a checkpoint are checkpoint N's, and `state` lists every pending file
 *     (N's and those of earlier checkpoints that failed or are not yet
 *     committed), the writer id and subtask, and the partition directories
 *     written so far (their success files at the end);
 *   - commit(N) renames the pending files of N and earlier to their visible
 *     names — a rename is atomic, and "already renamed" counts as done, so a
 *     commit can be repeated;
 *   - recover(N, state) renames the files `state` lists, in the directory
 *     they were written to (the crash may have come between the checkpoint's
 *     manifest and its commit; a file gone under both names was committed
 *     and then consumed), and deletes the hidden files the old subtask wrote
 *     after N.  Once the new run starts (first write, prepare or flush) it
 *     deletes every hidden file of its writer id left by subtasks it now owns
 *     (old subtask s mod parallelism): a crash before any checkpoint leaves
 *     nothing visible and nothing behind.
 * Two-phase mode starts at the first recover or prepare.  Nothing else tells
 * the sink that checkpointing is on, so a checkpointed run that restores
 * nothing is expected to call recover(0) with an empty state before its first
 * write; without it the files rolled before the first checkpoint are made
 * visible at once (at-least-once for that stretch).  A flush in a run that
 * prepared publishes nothing (the final checkpoint's commit does); in a run
 * that never prepared (restored with checkpointing off) it publishes the
 * pending files, as without checkpointing.  Files are not fsync'ed: like the
 * rest of weir this survives a crash of the process, not of the machine.
 *
 * At the end of input every partition written (by this run or, per `state`,
 * by the run it was restored from) gets its success file when
 * 'sink.partition-commit.policy.kind' includes success-file and no file is
 * still waiting for a commit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "connectors/filesystem/fs.h"
#include "core/mem.h"
#include "core/value_fmt.h"
#include "formats/format.h"
#include "state/snapshot.h"

#define FS_WRITE_CHUNK (256 * 1024)
#define FS_STATE_VERSION 1u
#define FS_WID_LEN 36               /* writer id: 8-4-4-4-12 hex digits */

struct bucket {
    char *dir;                      /* partition dir ("" for the root), relative */
    int fd;                         /* -1 = no part file open */
    char *tmp_rel, *final_rel;      /* of the open part file, relative to root */
    int64_t size;                   /* bytes in the open part file (incl. buffered) */
    int64_t opened_ms;
    int64_t counter;                /* next part number; -1 until the dir was read */
    struct strbuf out;              /* encoded rows not yet written */
};

/* A finished part file still under its hidden name. */
struct pending_file {
    char *tmp_rel, *final_rel;
    int64_t ckpt;                   /* the prepare that covers it; 0: none yet */
};

struct fs_sink {
    struct sink base;
    struct encoder *enc;
    struct table_ctx data_ctx;      /* the non-partition columns, for the encoder */
    int n_data;
    int *data_cols;                 /* sink column of each data column */
    struct vec *view;               /* n_data vec copies (shallow) */
    char *root;
    char *abs_root;                 /* root's real path (set by open) */
    char wid[FS_WID_LEN + 1];
    char *default_part;
    int64_t file_size, rollover_ms, check_ms, last_check_ms;
    bool success_file;
    char *success_name;
    struct bucket *buckets;
    int n_buckets, cap_buckets;
    struct strbuf pbuf;             /* partition dir of the current row */
    struct strbuf vbuf;             /* a partition value */
    int last_bucket;                /* bucket of the previous row, -1 */
    bool two_phase;                 /* prepare or recover was called */
    bool prepared;                  /* prepare was called (checkpointing is on) */
    bool started;                   /* leftovers removed; writing began */
    struct pending_file *pend;
    int n_pend, cap_pend;
    char **old_dirs;                /* partition dirs a restored run wrote */
    int n_old_dirs, cap_old_dirs;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *abs_path(const struct fs_sink *fs, const char *rel)
{
    return mem_sprintf("%s/%s", fs->root, rel);
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

/* ---- part file names ---------------------------------------------------------------- */

struct part_name {
    const char *wid;                /* FS_WID_LEN characters into the name */
    long long sub, n;
    bool in_progress;
};

static bool parse_num(const char **p, long long *out)
{
    const char *s = *p;
    long long v = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9' && digits < 18; s++, digits++)
        v = v * 10 + (*s - '0');
    if (digits == 0 || (*s >= '0' && *s <= '9'))
        return false;
    *out = v;
    *p = s;
    return true;
}

/* Recognises "part-<wid>-<sub>-<n>" and ".part-<wid>-<sub>-<n>.inprogress". */
static bool parse_part_name(const char *name, struct part_name *pn)
{
    pn->in_progress = name[0] == '.';
    const char *p = name + (pn->in_progress ? 1 : 0);
    if (strncmp(p, "part-", 5) != 0)
        return false;
    p += 5;
    if (strnlen(p, FS_WID_LEN + 1) <= FS_WID_LEN || p[FS_WID_LEN] != '-')
        return false;
    pn->wid = p;
    p += FS_WID_LEN + 1;
    if (!parse_num(&p, &pn->sub) || *p++ != '-' || !parse_num(&p, &pn->n))
        return false;
    return strcmp(p, pn->in_progress ? ".inprogress" : "") == 0;
}

/* The writer id: two 64-bit FNV-1a hashes of the job's state directory (its
 * real path, so that the same job finds it under another spelling) and the
 * table name, in UUID form.  A job never gives one table two writers. */
static void make_writer_id(const struct table_ctx *t, char *out)
{
    char *real = t->job_dir ? realpath(t->job_dir, NULL) : NULL;
    const char *jd = real ? real : t->job_dir ? t->job_dir : "";
    uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    for (int k = 0; k < 2; k++) {
        const char *parts[2] = {jd, t->table_name ? t->table_name : ""};
        for (int i = 0; i < 2; i++) {
            for (const unsigned char *c = (const unsigned char *)parts[i]; *c; c++) {
                h[k] ^= *c;
                h[k] *= 0x100000001b3ULL;
            }
            h[k] ^= 0xff;           /* separator: ("ab","c") differs from ("a","bc") */
            h[k] *= 0x100000001b3ULL;
        }
    }
    free(real);
    snprintf(out, FS_WID_LEN + 1, "%08x-%04x-%04x-%04x-%012llx",
             (unsigned)(h[0] >> 32), (unsigned)(h[0] >> 16) & 0xffff,
             (unsigned)h[0] & 0xffff, (unsigned)(h[1] >> 48),
             (unsigned long long)(h[1] & 0xffffffffffffULL));
}

/*
 * Calls fn on every part file of writer `wid` in the partition tree under
 * root.  Directories are followed only down to the depth of the partition
 * keys and only through "k=v" names: part files live nowhere else, and other
 * files under 'path' are none of the sink's business.
 */
typedef int (*part_fn)(struct fs_sink *fs, const char *path, const struct part_name *pn,
                       void *arg, struct weir_error *err);

static int walk_parts(struct fs_sink *fs, const char *root, const char *rel_dir, int depth,
                      const char *wid, part_fn fn, void *arg, struct weir_error *err)
{
    char *dir = *rel_dir ? mem_sprintf("%s/%s", root, rel_dir) : mem_strdup(root);
    DIR *d = opendir(dir);
    int rc = WEIR_OK;
    if (d == NULL) {
        if (errno != ENOENT)
            rc = err_set(err, WEIR_ERR_IO, "cannot list '%s': %s", dir, strerror(errno));
        mem_free(dir);
        return rc;
    }
    bool leaf = depth >= fs->base.table->n_partition_keys;
    struct dirent *e;
    while (rc == WEIR_OK && (e = readdir(d)) != NULL) {
        char *rel = *rel_dir ? mem_sprintf("%s/%s", rel_dir, e->d_name)
                             : mem_strdup(e->d_name);
        char *full = mem_sprintf("%s/%s", root, rel);
        struct part_name pn;
        struct stat st;
        if (leaf) {
            if (parse_part_name(e->d_name, &pn) && strncmp(pn.wid, wid, FS_WID_LEN) == 0)
                rc = fn(fs, full, &pn, arg, err);
        } else if (e->d_name[0] != '.' && strchr(e->d_name, '=') != NULL &&
                   stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = walk_parts(fs, root, rel, depth + 1, wid, fn, arg, err);
        }
        mem_free(full);
        mem_free(rel);
    }
    closedir(d);
    mem_free(dir);
    return rc;
}

/* Which hidden files to delete: those of one old subtask (sub >= 0), or of
 * every subtask this instance owns now (sub < 0: sub mod parallelism). */
static int remove_if_leftover(struct fs_sink *fs, const char *path,
                              const struct part_name *pn, void *arg, struct weir_error *err)
{
    long long want = *(const long long *)arg;
    const struct table_ctx *t = fs->base.table;
    int p = t->parallelism > 0 ? t->parallelism : 1;
    if (!pn->in_progress || (want >= 0 ? pn->sub != want : pn->sub % p != t->subtask))
        return WEIR_OK;
    if (unlink(path) != 0 && errno != ENOENT)
        return err_set(err, WEIR_ERR_IO, "table '%s': cannot remove the uncommitted part "
                       "file '%s': %s", t->table_name, path, strerror(errno));
    return WEIR_OK;
}

static int remove_leftovers(struct fs_sink *fs, const char *root, const char *wid,
                            long long sub, struct weir_error *err)
{
    return walk_parts(fs, root, "", 0, wid, remove_if_leftover, &sub, err);
}

/* Before the first write, prepare or flush: what earlier runs left hidden for
 * the subtasks this instance owns is garbage now (recover has renamed what a
 * checkpoint covered). */
static int fs_start(struct fs_sink *fs, struct weir_error *err)
{
    if (fs->started)
        return WEIR_OK;
    fs->started = true;
    return remove_leftovers(fs, fs->root, fs->wid, -1, err);
}

/* The next part number in a bucket: after every file of this writer and
 * subtask already there, visible or not. */
static void read_counter(struct fs_sink *fs, struct bucket *bk)
{
    bk->counter = 0;
    char *dir = *bk->dir ? abs_path(fs, bk->dir) : mem_strdup(fs->root);
    DIR *d = opendir(dir);
    mem_free(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct part_name pn;
        if (parse_part_name(e->d_name, &pn) && strncmp(pn.wid, fs->wid, FS_WID_LEN) == 0 &&
            pn.sub == fs->base.table->subtask && pn.n >= bk->counter)
            bk->counter = pn.n + 1;
    }
    closedir(d);
}

/* Renames a finished file (names relative to root) to its visible name.
 * Already renamed is success: commit and recover repeat.  Gone under both
 * names: while running, our own pending file was removed behind our back (an
 * error); on recover, the checkpoint was committed long ago and its files
 * were consumed or deleted since (as Flink, accept it: there is nothing left
 * to finish). */
static int publish(struct fs_sink *fs, const char *root, const char *tmp_rel,
                   const char *final_rel, bool recovering, struct weir_error *err)
{
    char *tmp = mem_sprintf("%s/%s", root, tmp_rel);
    char *fin = mem_sprintf("%s/%s", root, final_rel);
    int rc = WEIR_OK;
    if (rename(tmp, fin) != 0) {
        if (errno != ENOENT)
            rc = err_set(err, WEIR_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, fin,
                         strerror(errno));
        else if (!recovering && access(fin, F_OK) != 0)
            rc = err_set(err, WEIR_ERR_IO, "table '%s': part file '%s' of a checkpoint is "
                         "missing (neither it nor '%s' exists)", fs->base.table->table_name,
                         fin, tmp);
    }
    mem_free(tmp);
    mem_free(fin);
    return rc;
}

/* ---- buckets ------------------------------------------------------------------------ */

static int bucket_drain(struct fs_sink *fs, struct bucket *bk, struct weir_error *err)
{
    if (bk->out.len == 0)
        return WEIR_OK;
    char *path = abs_path(fs, bk->tmp_rel);
    int rc = write_all(bk->fd, bk->out.buf, bk->out.len, path, err);
    mem_free(path);
    if (rc == WEIR_OK)
        atomic_fetch_add_explicit(&fs->base.metrics.bytes, (int64_t)bk->out.len,
                                  memory_order_relaxed);
    sb_clear(&bk->out);
    return rc;
}

static int bucket_open(struct fs_sink *fs, struct bucket *bk, struct weir_error *err)
{
    const struct table_ctx *t = fs->base.table;
    char *dir = *bk->dir ? abs_path(fs, bk->dir) : mem_strdup(fs->root);
    int rc = fs_mkdirs(dir, err);
    if (rc == WEIR_OK) {
        if (bk->counter < 0)
            read_counter(fs, bk);
        long long n = (long long)bk->counter++;
        const char *sep = *bk->dir ? "/" : "";
        bk->tmp_rel = mem_sprintf("%s%s.part-%s-%d-%lld.inprogress", bk->dir, sep, fs->wid,
                                  t->subtask, n);
        bk->final_rel = mem_sprintf("%s%spart-%s-%d-%lld", bk->dir, sep, fs->wid,
                                    t->subtask, n);
        char *path = abs_path(fs, bk->tmp_rel);
        bk->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (bk->fd < 0) {
            rc = err_set(err, WEIR_ERR_IO, "table '%s': cannot create '%s': %s",
                         t->table_name, path, strerror(errno));
            mem_free(bk->tmp_rel);
            mem_free(bk->final_rel);
            bk->tmp_rel = bk->final_rel = NULL;
        }
        mem_free(path);
        bk->size = 0;
        bk->opened_ms = mono_ms();
    }
    mem_free(dir);
    return rc;
}

/* Finishes the open part file: write out, close, then rename it to the
 * visible name (no checkpointing) or keep it pending for the next commit. */
static int bucket_roll(struct fs_sink *fs, struct bucket *bk, struct weir_error *err)
{
    if (bk->fd < 0)
        return WEIR_OK;
    int rc = bucket_drain(fs, bk, err);
    if (close(bk->fd) != 0 && rc == WEIR_OK)
        rc = err_set(err, WEIR_ERR_IO, "cannot close '%s/%s': %s", fs->root, bk->tmp_rel,
                     strerror(errno));
    bk->fd = -1;
    if (rc == WEIR_OK && fs->two_phase) {
        MEM_GROW(fs->pend, fs->cap_pend, fs->n_pend + 1);
        fs->pend[fs->n_pend++] = (struct pending_file){bk->tmp_rel, bk->final_rel, 0};
        bk->tmp_rel = bk->final_rel = NULL;
        return WEIR_OK;
    }
    if (rc == WEIR_OK)
        rc = publish(fs, fs->root, bk->tmp_rel, bk->final_rel, false, err);
    mem_free(bk->tmp_rel);
    mem_free(bk->final_rel);
    bk->tmp_rel = bk->final_rel = NULL;
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
    bk->counter = -1;
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
    int rc = fs_start(fs, err);
    if (rc == WEIR_OK)
        rc = check_rollover(fs, err);
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

/* Publishes the pending files covered by checkpoint `upto` (all of them when
 * upto < 0) and forgets them. */
static int publish_pending(struct fs_sink *fs, int64_t upto, struct weir_error *err)
{
    int rc = WEIR_OK, kept = 0;
    for (int i = 0; i < fs->n_pend; i++) {
        struct pending_file *pf = &fs->pend[i];
        bool due = upto < 0 || (pf->ckpt > 0 && pf->ckpt <= upto);
        if (due && rc == WEIR_OK &&
            (rc = publish(fs, fs->root, pf->tmp_rel, pf->final_rel, false, err)) == WEIR_OK) {
            mem_free(pf->tmp_rel);
            mem_free(pf->final_rel);
            continue;
        }
        fs->pend[kept++] = *pf;
    }
    fs->n_pend = kept;
    return rc;
}

static int touch_success(struct fs_sink *fs, const char *dir, struct weir_error *err)
{
    char *p = mem_sprintf("%s/%s/%s", fs->root, dir, fs->success_name);
    int rc = WEIR_OK;
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        rc = err_set(err, WEIR_ERR_IO, "cannot create '%s': %s", p, strerror(errno));
    else
        close(fd);
    mem_free(p);
    return rc;
}

static int fs_flush(struct sink *snk, struct weir_error *err)
{
    struct fs_sink *fs = (struct fs_sink *)snk;
    int rc = fs_start(fs, err);
    if (rc == WEIR_OK)
        rc = roll_all(fs, err);
    /* restored, but no checkpoint in this run will commit: flush does */
    if (rc == WEIR_OK && !fs->prepared)
        rc = publish_pending(fs, -1, err);
    if (rc != WEIR_OK || !fs->success_file || snk->table->n_partition_keys == 0 ||
        fs->n_pend > 0)
        return rc;
    for (int i = 0; i < fs->n_buckets && rc == WEIR_OK; i++)
        rc = touch_success(fs, fs->buckets[i].dir, err);
    for (int i = 0; i < fs->n_old_dirs && rc == WEIR_OK; i++)
        rc = touch_success(fs, fs->old_dirs[i], err);
    return rc;
}

static bool has_dir(const struct fs_sink *fs, const char *dir)
{
    for (int i = 0; i < fs->n_buckets; i++)
        if (strcmp(fs->buckets[i].dir, dir) == 0)
            return true;
    for (int i = 0; i < fs->n_old_dirs; i++)
        if (strcmp(fs->old_dirs[i], dir) == 0)
            return true;
    return false;
}

/*
 * State (snapshot.h codec): u32 version, str 'path' (absolute: a restore
 * finishes the files where they were written, even if the job's 'path' or
 * working directory changed), str writer id, u32 subtask, u32 n + n × (str
 * hidden name, str visible name) of the pending files, u32 m + m × str
 * partition dir written so far (partitioned tables only).  Names are
 * relative to the path.
 */
static int fs_prepare(struct sink *snk, int64_t id, struct strbuf *state,
                      struct weir_error *err)
{
    struct fs_sink *fs = (struct fs_sink *)snk;
    int rc = fs_start(fs, err);
    if (rc != WEIR_OK)
        return rc;
    fs->two_phase = fs->prepared = true;
    if ((rc = roll_all(fs, err)) != WEIR_OK)
        return rc;
    for (int i = 0; i < fs->n_pend; i++)
        if (fs->pend[i].ckpt == 0)
            fs->pend[i].ckpt = id;
    snap_put_u32(state, FS_STATE_VERSION);
    snap_put_str(state, fs->abs_root ? fs->abs_root : fs->root);
    snap_put_str(state, fs->wid);
    snap_put_u32(state, (uint32_t)snk->table->subtask);
    snap_put_u32(state, (uint32_t)fs->n_pend);
    for (int i = 0; i < fs->n_pend; i++) {
        snap_put_str(state, fs->pend[i].tmp_rel);
        snap_put_str(state, fs->pend[i].final_rel);
    }
    bool dirs = snk->table->n_partition_keys > 0;
    snap_put_u32(state, dirs ? (uint32_t)(fs->n_buckets + fs->n_old_dirs) : 0);
    for (int i = 0; dirs && i < fs->n_buckets; i++)
        snap_put_str(state, fs->buckets[i].dir);
    for (int i = 0; dirs && i < fs->n_old_dirs; i++)
        snap_put_str(state, fs->old_dirs[i]);
    return WEIR_OK;
}

static int fs_commit(struct sink *snk, int64_t id, struct weir_error *err)
{
    return publish_pending((struct fs_sink *)snk, id > 0 ? id : 0, err);
}

/* A string field of the state as a new string; NULL when the state is short
 * or the name could leave 'path' (a state is data: it may be corrupt). */
static char *get_name(struct snap_rd *rd)
{
    size_t n;
    const char *p = snap_get_bytes(rd, &n);
    if (rd->bad || memchr(p, '\0', n) != NULL)
        return NULL;
    char *s = mem_strndup(p, n);
    bool ok = s[0] != '/';
    for (const char *c = s; ok && *c; c = strchr(c, '/') ? strchr(c, '/') + 1 : "")
        ok = strncmp(c, "../", 3) != 0 && strcmp(c, "..") != 0;
    if (!ok) {
        mem_free(s);
        return NULL;
    }
    return s;
}

static int fs_recover(struct sink *snk, int64_t id, const char *state, size_t len,
                      struct weir_error *err)
{
    struct fs_sink *fs = (struct fs_sink *)snk;
    const char *tn = snk->table->table_name;
    (void)id;   /* the state names the files; checkpoint ids are not in their names */
    if (len == 0) {
        fs->two_phase = true;   /* checkpointing is on; nothing to restore */
        return WEIR_OK;
    }
    if (fs->started)
        return err_set(err, WEIR_ERR_INTERNAL, "table '%s': recover after the sink "
                       "started writing", tn);
    fs->two_phase = true;
    struct snap_rd rd = {state, len, 0, false};
    uint32_t version = snap_get_u32(&rd);
    size_t root_len;
    const char *rp = snap_get_bytes(&rd, &root_len);
    char *root = mem_strndup(rp, root_len);
    char *wid = get_name(&rd);
    long long sub = snap_get_u32(&rd);
    uint32_t n = snap_get_u32(&rd);
    int rc = WEIR_OK;
    if (rd.bad || version != FS_STATE_VERSION || wid == NULL || strlen(wid) != FS_WID_LEN ||
        root_len == 0 || strlen(root) != root_len)
        rc = err_set(err, WEIR_ERR_CORRUPT, "table '%s': unreadable filesystem sink "
                     "state in checkpoint %lld", tn, (long long)id);
    /* partitions of another output are not this job's to mark done */
    bool same_root = strcmp(root, fs->abs_root ? fs->abs_root : fs->root) == 0;
    for (uint32_t i = 0; i < n && rc == WEIR_OK; i++) {
        char *tmp = get_name(&rd), *fin = get_name(&rd);
        if (tmp == NULL || fin == NULL)
            rc = err_set(err, WEIR_ERR_CORRUPT, "table '%s': unreadable filesystem sink "
                         "state in checkpoint %lld", tn, (long long)id);
        else
            rc = publish(fs, root, tmp, fin, true, err);
        mem_free(tmp);
        mem_free(fin);
    }
    uint32_t n_dirs = rc == WEIR_OK ? snap_get_u32(&rd) : 0;
    for (uint32_t i = 0; i < n_dirs && rc == WEIR_OK; i++) {
        char *d = get_name(&rd);
        if (d == NULL) {
            rc = err_set(err, WEIR_ERR_CORRUPT, "table '%s': unreadable filesystem sink "
                         "state in checkpoint %lld", tn, (long long)id);
        } else if (same_root && !has_dir(fs, d)) {
            MEM_GROW(fs->old_dirs, fs->cap_old_dirs, fs->n_old_dirs + 1);
            fs->old_dirs[fs->n_old_dirs++] = d;
            d = NULL;
        }
        mem_free(d);
    }
    /* what the old subtask wrote after the checkpoint is not covered by it */
    if (rc == WEIR_OK)
        rc = remove_leftovers(fs, root, wid, sub, err);
    mem_free(wid);
    mem_free(root);
    return rc;
}

static int fs_open_sink(struct sink *snk, struct weir_error *err)
{
    struct fs_sink *fs = (struct fs_sink *)snk;
    int rc = fs_mkdirs(fs->root, err);
    if (rc == WEIR_OK && fs->abs_root == NULL) {
        char *real = realpath(fs->root, NULL);
        if (real == NULL)
            return err_set(err, WEIR_ERR_IO, "table '%s': cannot resolve '%s': %s",
                           snk->table->table_name, fs->root, strerror(errno));
        fs->abs_root = mem_strdup(real);
        free(real);
    }
    return rc;
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
        mem_free(bk->tmp_rel);
        mem_free(bk->final_rel);
        mem_free(bk->dir);
        sb_free(&bk->out);
    }
    mem_free(fs->buckets);
    /* pending files stay hidden: a restored run commits or removes them */
    for (int i = 0; i < fs->n_pend; i++) {
        mem_free(fs->pend[i].tmp_rel);
        mem_free(fs->pend[i].final_rel);
    }
    mem_free(fs->pend);
    for (int i = 0; i < fs->n_old_dirs; i++)
        mem_free(fs->old_dirs[i]);
    mem_free(fs->old_dirs);
    if (fs->enc)
        fs->enc->ops->free(fs->enc);
    mem_free((void *)fs->data_ctx.col_names);
    mem_free((void *)fs->data_ctx.col_types);
    mem_free(fs->data_cols);
    mem_free(fs->view);
    mem_free(fs->root);
    mem_free(fs->abs_root);
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
    .commit = fs_commit,
    .recover = fs_recover,
    .close = fs_sink_close,
};

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
    /* a changelog format (debezium-json, canal-json) writes each row's kind */
    fs->base.accepts_updates = t->format != NULL && t->format->changelog;
    fs->last_bucket = -1;
    fs->root = mem_strdup(fs_path(t));
    size_t rl = strlen(fs->root);
    while (rl > 1 && fs->root[rl - 1] == '/')
        fs->root[--rl] = '\0';
    make_writer_id(t, fs->wid);
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
