/*
 * group.c — consumer groups: one committed offset per (group, topic,
 * partition), and the lag of a group behind the log.
 *
 * FORMAT of DIR/groups/G/T/<N>.offset (16 bytes, little-endian)
 * ============================================================
 *    0 i64 offset (the next offset the group will read)
 *    8 u32 magic "WLGO"
 *   12 u32 CRC-32C of bytes [0, 12)
 * A commit rewrites the 16 bytes in place with one pwrite (a single sector,
 * so it is never half-written on disk); a file whose checksum does not match
 * is reported, not guessed at.  Commits are not fsynced: a kill -9 keeps them
 * (page cache), a power loss may roll a group back to an earlier commit, which
 * means records are read again, never skipped.  One file per partition keeps
 * consumers of different partitions from overwriting each other's commits.
 *
 * Membership is not coordinated: two consumers of one group reading the same
 * partition both read everything (give each its own --partition).  Spreading
 * partitions over processes is Kafka's job when weir outgrows one machine.
 */
#include "core/mem.h"
#include "log/log_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GROUP_MAGIC 0x4f474c57u   /* "WLGO" */

static char *offset_path(const char *dir, const char *group, const char *topic, int p)
{
    return mem_sprintf("%s/groups/%s/%s/%d.offset", dir, group, topic, p);
}

static int check_names(const char *group, const char *topic, struct weir_error *err)
{
    int rc = log_name_check("group", group, err);
    return rc ? rc : log_name_check("topic", topic, err);
}

int log_group_commit(const char *dir, const char *group, const char *topic,
                     int partition, int64_t offset, struct weir_error *err)
{
    int rc = check_names(group, topic, err);
    if (rc)
        return rc;
    if (offset < 0)
        return err_set(err, WEIR_ERR_CONFIG, "cannot commit a negative offset (%lld)",
                       (long long)offset);
    char *path = offset_path(dir, group, topic, partition);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
        /* first commit of this group or topic: make the directories */
        char *g = mem_sprintf("%s/groups", dir);
        mkdir(g, 0755);
        mem_free(g);
        g = mem_sprintf("%s/groups/%s", dir, group);
        mkdir(g, 0755);
        mem_free(g);
        g = mem_sprintf("%s/groups/%s/%s", dir, group, topic);
        mkdir(g, 0755);
        mem_free(g);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
        rc = err_set(err, WEIR_ERR_IO, "cannot commit offset of group '%s': %s: %s", group,
                     path, strerror(errno));
        mem_free(path);
        return rc;
    }
    uint8_t b[16];
    log_put64(b, (uint64_t)offset);
    log_put32(b + 8, GROUP_MAGIC);
    log_put32(b + 12, crc32c(0, b, 12));
    rc = log_pwrite_all(fd, b, sizeof b, 0, path, err);
    close(fd);
    mem_free(path);
    return rc;
}

int log_group_fetch(const char *dir, const char *group, const char *topic,
                    int partition, int64_t *offset, struct weir_error *err)
{
    *offset = -1;
    int rc = check_names(group, topic, err);
    if (rc)
        return rc;
    char *path = offset_path(dir, group, topic, partition);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = errno == ENOENT ? WEIR_OK
                             : err_set(err, WEIR_ERR_IO, "cannot read '%s': %s", path,
                                       strerror(errno));
        mem_free(path);
        return rc;
    }
    uint8_t b[16];
    ssize_t r = log_pread_full(fd, b, sizeof b, 0);
    close(fd);
    if (r != 16 || log_get32(b + 8) != GROUP_MAGIC || crc32c(0, b, 12) != log_get32(b + 12))
        rc = err_set(err, WEIR_ERR_CORRUPT, "group offset file '%s' is corrupt "
                     "(commit a new offset to replace it)", path);
    else
        *offset = (int64_t)log_get64(b);
    mem_free(path);
    return rc;
}

int log_group_list(const char *dir, char ***names, int *n_names, struct weir_error *err)
{
    char *path = mem_sprintf("%s/groups", dir);
    int rc = log_list_dir(path, NULL, names, n_names, err);
    mem_free(path);
    return rc;
}

int log_group_topics(const char *dir, const char *group, char ***names, int *n_names,
                     struct weir_error *err)
{
    *names = NULL;
    *n_names = 0;
    int rc = log_name_check("group", group, err);
    if (rc)
        return rc;
    char *path = mem_sprintf("%s/groups/%s", dir, group);
    rc = log_list_dir(path, NULL, names, n_names, err);
    mem_free(path);
    return rc;
}

int log_group_lag(const char *dir, const char *group, const char *topic,
                  struct log_lag **lags, int *n_lags, struct weir_error *err)
{
    *lags = NULL;
    *n_lags = 0;
    struct log_topic_config cfg;
    int rc = check_names(group, topic, err);
    if (rc == WEIR_OK)
        rc = log_topic_config_read(dir, topic, &cfg, err);
    if (rc)
        return rc;
    struct log_lag *l = mem_calloc((size_t)cfg.n_partitions, sizeof *l);
    for (int p = 0; p < cfg.n_partitions && rc == WEIR_OK; p++) {
        struct log_partition_info info;
        rc = log_partition_info(dir, topic, p, &info, err);
        if (rc == WEIR_OK)
            rc = log_group_fetch(dir, group, topic, p, &l[p].committed, err);
        l[p].partition = p;
        l[p].end = info.committed_offset;
        int64_t from = l[p].committed >= 0 ? l[p].committed : info.start_offset;
        if (from < info.start_offset)
            from = info.start_offset;
        l[p].lag = l[p].end > from ? l[p].end - from : 0;
    }
    if (rc) {
        mem_free(l);
        return rc;
    }
    *lags = l;
    *n_lags = cfg.n_partitions;
    return WEIR_OK;
}
