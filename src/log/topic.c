/*
 * topic.c — topics on disk: configuration, create/list/delete, the published
 * partition state, partition info and the key partitioner.
 *
 * topic.conf is key=value text (one per line, '#' comments), written once at
 * creation.  A topic is created in a hidden temporary directory and renamed
 * into place, so a crash never leaves a half-made topic under its name; a
 * delete renames it away first for the same reason.
 *
 * FORMAT of p<N>/state (64 bytes, little-endian)
 * ==============================================
 *    0 u32 magic "WLST"    4 u32 version (1)    8 u64 generation
 *   16 i64 start offset   24 i64 end offset    32 i64 committed offset
 *   40 i64 durable offset 48 u32 writer pid    52 u32 flags
 *   56 u32 reserved       60 u32 CRC-32C of bytes [0, 60)
 * The writer rewrites it with one pwrite after every append (end offset),
 * sync (durable), commit and retention; that write is also the readers'
 * wake-up: they watch the file with inotify (IN_MODIFY).  A reader that reads
 * it while it is being written sees a CRC mismatch and reads again.  Only the
 * committed offset of a transactional writer must survive a power loss, so
 * log_commit syncs the file; every other field is recomputed from the
 * segments when a writer opens the partition.
 */
#include "core/files.h"
#include "core/mem.h"
#include "log/log_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void log_topic_config_default(struct log_topic_config *cfg)
{
    cfg->n_partitions = 1;
    cfg->durability = LOG_DURABILITY_OS;
    cfg->interval_ms = 1000;
    cfg->retention_ms = -1;
    cfg->retention_bytes = -1;
    cfg->segment_bytes = 128 << 20;
    cfg->index_interval_bytes = 4096;
}

int log_durability_parse(const char *s, struct log_topic_config *cfg,
                         struct weir_error *err)
{
    if (strcmp(s, "batch") == 0) {
        cfg->durability = LOG_DURABILITY_BATCH;
        return WEIR_OK;
    }
    if (strcmp(s, "os") == 0) {
        cfg->durability = LOG_DURABILITY_OS;
        return WEIR_OK;
    }
    if (strncmp(s, "interval:", 9) == 0) {
        char *end;
        errno = 0;
        long long ms = strtoll(s + 9, &end, 10);
        if (errno == 0 && end != s + 9 && *end == '\0' && ms >= 1 && ms <= 3600000) {
            cfg->durability = LOG_DURABILITY_INTERVAL;
            cfg->interval_ms = ms;
            return WEIR_OK;
        }
        return err_set(err, WEIR_ERR_CONFIG,
                       "durability '%s': the interval must be 1 to 3600000 ms", s);
    }
    return err_set(err, WEIR_ERR_CONFIG,
                   "unknown durability '%s'; valid: batch, interval:MS, os", s);
}

const char *log_durability_str(const struct log_topic_config *cfg, char *buf)
{
    switch (cfg->durability) {
    case LOG_DURABILITY_BATCH: strcpy(buf, "batch"); break;
    case LOG_DURABILITY_INTERVAL:
        snprintf(buf, 32, "interval:%lld", (long long)cfg->interval_ms);
        break;
    default: strcpy(buf, "os"); break;
    }
    return buf;
}

int log_name_check(const char *what, const char *name, struct weir_error *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > LOG_MAX_NAME)
        return err_set(err, WEIR_ERR_CONFIG, "%s name must be 1 to %d characters",
                       what, LOG_MAX_NAME);
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == '.')
        return err_set(err, WEIR_ERR_CONFIG, "%s name '%s' must not start with '.'",
                       what, name);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return err_set(err, WEIR_ERR_CONFIG,
                           "%s name '%s' has '%c'; valid characters: "
                           "letters, digits, '.', '_', '-'", what, name, c);
    }
    return WEIR_OK;
}

static int check_config(const struct log_topic_config *cfg, struct weir_error *err)
{
    if (cfg->n_partitions < 1 || cfg->n_partitions > LOG_MAX_PARTITIONS)
        return err_set(err, WEIR_ERR_CONFIG, "partitions must be 1 to %d, got %d",
                       LOG_MAX_PARTITIONS, cfg->n_partitions);
    if (cfg->durability == LOG_DURABILITY_INTERVAL && cfg->interval_ms < 1)
        return err_set(err, WEIR_ERR_CONFIG, "durability interval must be >= 1 ms");
    if (cfg->retention_ms < -1 || cfg->retention_ms == 0)
        return err_set(err, WEIR_ERR_CONFIG, "retention-ms must be > 0 or -1 (forever)");
    if (cfg->retention_bytes < -1 || cfg->retention_bytes == 0)
        return err_set(err, WEIR_ERR_CONFIG,
                       "retention-bytes must be > 0 or -1 (unlimited)");
    if (cfg->segment_bytes < 1024 || cfg->segment_bytes > (1LL << 30))
        return err_set(err, WEIR_ERR_CONFIG, "segment-bytes must be 1024 to 1073741824");
    if (cfg->index_interval_bytes < 1 || cfg->index_interval_bytes > (1 << 24))
        return err_set(err, WEIR_ERR_CONFIG, "index-interval-bytes must be 1 to 16777216");
    return WEIR_OK;
}

static int write_file(const char *path, const void *data, size_t n,
                      struct weir_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(err, WEIR_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    int rc = n ? log_pwrite_all(fd, data, n, 0, path, err) : WEIR_OK;
    if (rc == WEIR_OK && fsync(fd) != 0)
        rc = err_set(err, WEIR_ERR_IO, "cannot sync '%s': %s", path, strerror(errno));
    close(fd);
    return rc;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(path);
}

static int rm_rf(const char *path)
{
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int log_topic_create(const char *dir, const char *topic,
                     const struct log_topic_config *cfg, struct weir_error *err)
{
    int rc = log_name_check("topic", topic, err);
    if (rc == WEIR_OK)
        rc = check_config(cfg, err);
    if (rc)
        return rc;
    char *topics = mem_sprintf("%s/topics", dir);
    char *final = log_topic_path(dir, topic);
    char *tmp = mem_sprintf("%s/.creating-%s-%d", topics, topic, (int)getpid());
    struct strbuf sb = {0};
    struct stat st;
    if ((rc = files_mkdirs(topics, err)) != WEIR_OK)
        goto done;
    if (stat(final, &st) == 0) {
        rc = err_set(err, WEIR_ERR_CONFIG, "topic '%s' already exists", topic);
        goto done;
    }
    rm_rf(tmp);
    if (mkdir(tmp, 0755) != 0) {
        rc = err_set(err, WEIR_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        goto done;
    }
    char dbuf[32];
    sb_addf(&sb, "# weir log topic (written by 'weir topic create'; do not edit)\n"
                 "partitions=%d\ndurability=%s\nretention.ms=%lld\n"
                 "retention.bytes=%lld\nsegment.bytes=%lld\nindex.interval.bytes=%d\n",
            cfg->n_partitions, log_durability_str(cfg, dbuf),
            (long long)cfg->retention_ms, (long long)cfg->retention_bytes,
            (long long)cfg->segment_bytes, (int)cfg->index_interval_bytes);
    char *conf = mem_sprintf("%s/topic.conf", tmp);
    rc = write_file(conf, sb.buf, sb.len, err);
    mem_free(conf);
    for (int p = 0; rc == WEIR_OK && p < cfg->n_partitions; p++) {
        char *pdir = mem_sprintf("%s/p%d", tmp, p);
        if (mkdir(pdir, 0755) != 0)
            rc = err_set(err, WEIR_ERR_IO, "cannot create '%s': %s", pdir, strerror(errno));
        static const char *const exts[] = {"log", "index", "timeindex"};
        for (int e = 0; rc == WEIR_OK && e < 3; e++) {
            char *f = log_seg_path(pdir, 0, exts[e]);
            rc = write_file(f, NULL, 0, err);
            mem_free(f);
        }
        char *lock = mem_sprintf("%s/lock", pdir);
        if (rc == WEIR_OK)
            rc = write_file(lock, NULL, 0, err);
        mem_free(lock);
        if (rc == WEIR_OK) {
            char *sp = mem_sprintf("%s/state", pdir);
            int fd = open(sp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            struct log_state s0 = {0};
            if (fd < 0)
                rc = err_set(err, WEIR_ERR_IO, "cannot create '%s': %s", sp, strerror(errno));
            else {
                rc = log_state_write(fd, &s0, err);
                close(fd);
            }
            mem_free(sp);
        }
        files_fsync_dir(pdir);
        mem_free(pdir);
    }
    if (rc == WEIR_OK) {
        files_fsync_dir(tmp);
        if (rename(tmp, final) != 0) {
            rc = errno == EEXIST || errno == ENOTEMPTY
                     ? err_set(err, WEIR_ERR_CONFIG, "topic '%s' already exists", topic)
                     : err_set(err, WEIR_ERR_IO, "cannot create topic '%s': %s", topic,
                               strerror(errno));
        } else {
            files_fsync_dir(topics);
        }
    }
    if (rc)
        rm_rf(tmp);
done:
    sb_free(&sb);
    mem_free(tmp);
    mem_free(final);
    mem_free(topics);
    return rc;
}

int log_topic_config_read(const char *dir, const char *topic,
                          struct log_topic_config *cfg, struct weir_error *err)
{
    int rc = log_name_check("topic", topic, err);
    if (rc)
        return rc;
    log_topic_config_default(cfg);
    char *path = mem_sprintf("%s/topics/%s/topic.conf", dir, topic);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        rc = errno == ENOENT
                 ? err_set(err, WEIR_ERR_CONFIG, "unknown topic '%s' (in '%s')", topic, dir)
                 : err_set(err, WEIR_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
        mem_free(path);
        return rc;
    }
    char line[256];
    cfg->n_partitions = 0;
    while (rc == WEIR_OK && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *eq = strchr(line, '=');
        if (eq == NULL) {
            rc = err_set(err, WEIR_ERR_CORRUPT, "'%s': bad line '%s'", path, line);
            break;
        }
        *eq = '\0';
        const char *k = line, *v = eq + 1;
        long long x = strtoll(v, NULL, 10);
        if (strcmp(k, "partitions") == 0)
            cfg->n_partitions = (int)x;
        else if (strcmp(k, "durability") == 0)
            rc = log_durability_parse(v, cfg, err);
        else if (strcmp(k, "retention.ms") == 0)
            cfg->retention_ms = x;
        else if (strcmp(k, "retention.bytes") == 0)
            cfg->retention_bytes = x;
        else if (strcmp(k, "segment.bytes") == 0)
            cfg->segment_bytes = x;
        else if (strcmp(k, "index.interval.bytes") == 0)
            cfg->index_interval_bytes = (int32_t)x;
    }
    fclose(f);
    if (rc == WEIR_OK && check_config(cfg, NULL) != WEIR_OK)
        rc = err_set(err, WEIR_ERR_CORRUPT, "'%s': invalid configuration", path);
    mem_free(path);
    return rc;
}

/* Takes partition p's writer lock without waiting: WEIR_OK with *fd, or
 * WEIR_ERR_IO naming the process that holds it.  An OFD lock (fcntl
 * F_OFD_SETLK) belongs to the open file, like flock, so a second open in the
 * same process is refused too, and it can be probed without being taken. */
int log_lock_partition(const char *pdir, const char *topic, int p, int *fd,
                       struct weir_error *err)
{
    char *path = mem_sprintf("%s/lock", pdir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    mem_free(path);
    if (*fd < 0)
        return err_set(err, WEIR_ERR_IO, "cannot open lock of topic '%s' partition %d: %s",
                       topic, p, strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(*fd, F_OFD_SETLK, &fl) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t r = log_pread_full(*fd, pid, sizeof pid - 1, 0);
        pid[r > 0 ? r : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(*fd);
        *fd = -1;
        if (e == EAGAIN || e == EACCES)
            return err_set(err, WEIR_ERR_IO,
                           "topic '%s' partition %d is being written by process %s; "
                           "one writer per partition at a time", topic, p,
                           pid[0] ? pid : "?");
        return err_set(err, WEIR_ERR_IO, "cannot lock topic '%s' partition %d: %s",
                       topic, p, strerror(e));
    }
    return WEIR_OK;
}

/* Pid of the process holding the partition's writer lock, 0 if none. */
static int lock_holder(const char *pdir)
{
    char *path = mem_sprintf("%s/lock", pdir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    mem_free(path);
    if (fd < 0)
        return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int pid = 0;
    if (fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
        char b[32] = "";
        ssize_t r = log_pread_full(fd, b, sizeof b - 1, 0);
        b[r > 0 ? r : 0] = '\0';
        pid = atoi(b);
        if (pid <= 0)
            pid = -1;
    }
    close(fd);
    return pid;
}

int log_topic_delete(const char *dir, const char *topic, struct weir_error *err)
{
    struct log_topic_config cfg;
    int rc = log_topic_config_read(dir, topic, &cfg, err);
    if (rc)
        return rc;
    int *locks = mem_alloc(sizeof(int) * (size_t)cfg.n_partitions);
    int n_locked = 0;
    for (int p = 0; rc == WEIR_OK && p < cfg.n_partitions; p++) {
        char *pdir = log_part_path(dir, topic, p);
        rc = log_lock_partition(pdir, topic, p, &locks[n_locked], err);
        if (rc == WEIR_OK)
            n_locked++;
        mem_free(pdir);
    }
    if (rc) {
        char *m = mem_strdup(err && err->message ? err->message : "locked");
        err_reset(err, rc, "cannot delete topic '%s': %s", topic, m);
        mem_free(m);
        goto done;
    }
    char *path = log_topic_path(dir, topic);
    char *gone = mem_sprintf("%s/topics/.deleted-%s-%d", dir, topic, (int)getpid());
    rm_rf(gone);
    if (rename(path, gone) != 0)
        rc = err_set(err, WEIR_ERR_IO, "cannot delete topic '%s': %s", topic, strerror(errno));
    else
        rm_rf(gone);
    mem_free(path);
    mem_free(gone);
    /* the groups' offsets for the topic go with it */
    char **groups = NULL;
    int n_groups = 0;
    if (rc == WEIR_OK && log_group_list(dir, &groups, &n_groups, NULL) == WEIR_OK) {
        for (int g = 0; g < n_groups; g++) {
            char *gp = mem_sprintf("%s/groups/%s/%s", dir, groups[g], topic);
            rm_rf(gp);
            mem_free(gp);
        }
        log_names_free(groups, n_groups);
    }
done:
    for (int i = 0; i < n_locked; i++)
        close(locks[i]);
    mem_free(locks);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the subdirectories of path (hidden ones skipped) that
 * contain `must_have` (NULL: any).  A missing directory is an empty list. */
int log_list_dir(const char *path, const char *must_have, char ***names, int *n,
                 struct weir_error *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(path);
    if (d == NULL)
        return errno == ENOENT ? WEIR_OK
                               : err_set(err, WEIR_ERR_IO, "cannot list '%s': %s", path,
                                         strerror(errno));
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *sub = mem_sprintf("%s/%s%s%s", path, de->d_name, must_have ? "/" : "",
                                must_have ? must_have : "");
        struct stat sb;
        bool ok = stat(sub, &sb) == 0 && (must_have || S_ISDIR(sb.st_mode));
        mem_free(sub);
        if (!ok)
            continue;
        MEM_GROW(*names, cap, *n + 1);
        (*names)[(*n)++] = mem_strdup(de->d_name);
    }
    closedir(d);
    if (*n > 1)
        qsort(*names, (size_t)*n, sizeof(char *), cmp_str);
    return WEIR_OK;
}

int log_topic_list(const char *dir, char ***names, int *n_names,
                   struct weir_error *err)
{
    char *path = mem_sprintf("%s/topics", dir);
    int rc = log_list_dir(path, "topic.conf", names, n_names, err);
    mem_free(path);
    return rc;
}

void log_names_free(char **names, int n_names)
{
    for (int i = 0; i < n_names; i++)
        mem_free(names[i]);
    mem_free(names);
}

/* ---- state file ------------------------------------------------------------------ */

int log_state_read(int fd, struct log_state *st)
{
    uint8_t b[LOG_STATE_SIZE];
    ssize_t r = log_pread_full(fd, b, sizeof b, 0);
    if (r == 0)
        return WEIR_DONE;
    if (r != LOG_STATE_SIZE || log_get32(b) != LOG_STATE_MAGIC || log_get32(b + 4) != 1 ||
        crc32c(0, b, 60) != log_get32(b + 60))
        return WEIR_ERR_CORRUPT;
    st->generation = log_get64(b + 8);
    st->start_offset = (int64_t)log_get64(b + 16);
    st->end_offset = (int64_t)log_get64(b + 24);
    st->committed_offset = (int64_t)log_get64(b + 32);
    st->durable_offset = (int64_t)log_get64(b + 40);
    st->writer_pid = log_get32(b + 48);
    st->flags = log_get32(b + 52);
    return WEIR_OK;
}

int log_state_read_retry(int fd, struct log_state *st, struct weir_error *err)
{
    int rc = WEIR_ERR_CORRUPT;
    for (int i = 0; i < 100; i++) {     /* a torn read lasts microseconds */
        rc = log_state_read(fd, st);
        if (rc != WEIR_ERR_CORRUPT)
            break;
        if (i > 10)
            usleep(100);
    }
    if (rc == WEIR_DONE) {
        memset(st, 0, sizeof *st);
        rc = WEIR_OK;
    }
    if (rc)
        return err_set(err, WEIR_ERR_CORRUPT, "partition state file is corrupt "
                       "(bad checksum); opening the partition for append rebuilds it");
    return WEIR_OK;
}

int log_state_write(int fd, const struct log_state *st, struct weir_error *err)
{
    uint8_t b[LOG_STATE_SIZE] = {0};
    log_put32(b, LOG_STATE_MAGIC);
    log_put32(b + 4, 1);
    log_put64(b + 8, st->generation);
    log_put64(b + 16, (uint64_t)st->start_offset);
    log_put64(b + 24, (uint64_t)st->end_offset);
    log_put64(b + 32, (uint64_t)st->committed_offset);
    log_put64(b + 40, (uint64_t)st->durable_offset);
    log_put32(b + 48, st->writer_pid);
    log_put32(b + 52, st->flags);
    log_put32(b + 60, crc32c(0, b, 60));
    return log_pwrite_all(fd, b, sizeof b, 0, "partition state", err);
}

int log_partition_info(const char *dir, const char *topic, int partition,
                       struct log_partition_info *info, struct weir_error *err)
{
    memset(info, 0, sizeof *info);
    char *pdir = log_part_path(dir, topic, partition);
    char *sp = mem_sprintf("%s/state", pdir);
    int rc = WEIR_OK;
    int fd = open(sp, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = err_set(err, WEIR_ERR_CONFIG, "topic '%s' has no partition %d", topic, partition);
        goto done;
    }
    struct log_state st;
    rc = log_state_read_retry(fd, &st, err);
    close(fd);
    if (rc)
        goto done;
    info->start_offset = st.start_offset;
    info->end_offset = st.end_offset;
    info->committed_offset = st.committed_offset;
    info->durable_offset = st.durable_offset;
    int64_t *bases;
    int n;
    rc = log_segments_list(pdir, &bases, &n, err);
    if (rc)
        goto done;
    info->n_segments = n;
    for (int i = 0; i < n; i++) {
        char *f = log_seg_path(pdir, bases[i], "log");
        struct stat sb;
        if (stat(f, &sb) == 0)
            info->size_bytes += sb.st_size;
        mem_free(f);
    }
    mem_free(bases);
    info->writer_pid = lock_holder(pdir);
done:
    mem_free(sp);
    mem_free(pdir);
    return rc;
}

/* ---- partitioner ----------------------------------------------------------------- */

uint32_t log_murmur2(const void *key, size_t len)
{
    /* Kafka's Utils.murmur2: MurmurHash2, seed 0x9747b28c, 4 bytes at a time */
    const uint8_t *d = key;
    const uint32_t m = 0x5bd1e995;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t n4 = len / 4;
    for (size_t i = 0; i < n4; i++) {
        uint32_t k = log_get32(d + 4 * i);
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t *t = d + (len & ~(size_t)3);
    switch (len & 3) {
    case 3: h ^= (uint32_t)t[2] << 16; /* fall through */
    case 2: h ^= (uint32_t)t[1] << 8;  /* fall through */
    case 1: h ^= t[0]; h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

int log_partition_for_key(const void *key, size_t key_len, int n_partitions)
{
    return (int)((log_murmur2(key, key_len) & 0x7fffffffu) % (uint32_t)n_partitions);
}
