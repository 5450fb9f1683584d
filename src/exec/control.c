/*
 * control.c — the control socket of a running job (see control.h).
 *
 * One thread accepts connections and serves them one at a time: commands are
 * rare and short, except a savepoint, which the client is waiting for anyway.
 * poll() with a timeout keeps the thread responsive to control_stop.
 */
#include "exec/control.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/files.h"
#include "core/mem.h"

struct control {
    int fd;
    char *path;
    control_handler fn;
    void *arg;
    pthread_t thread;
    volatile int stop;
};

static int sock_addr(const char *dir, struct sockaddr_un *a, char **path)
{
    *path = mem_sprintf("%s/ctl.sock", dir);
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    if (strlen(*path) >= sizeof(a->sun_path))
        return -1;
    strcpy(a->sun_path, *path);
    return 0;
}

/* Reads one command line (at most 4 KiB, at most 2 s). */
static int read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (int guard = 0; guard < 200 && n + 1 < cap; guard++) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10) <= 0)
            continue;
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (memchr(buf, '\n', n))
            break;
    }
    buf[n] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    return (int)n;
}

static void *control_main(void *arg)
{
    struct control *c = arg;
    while (!c->stop) {
        struct pollfd p = {c->fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int fd = accept(c->fd, NULL, NULL);
        if (fd < 0)
            continue;
        char cmd[4096];
        read_line(fd, cmd, sizeof cmd);
        struct strbuf reply = {0};
        c->fn(c->arg, cmd, &reply);
        if (reply.len == 0 || reply.buf[reply.len - 1] != '\n')
            sb_addc(&reply, '\n');
        files_write_all(fd, reply.buf, reply.len);
        sb_free(&reply);
        close(fd);
    }
    return NULL;
}

struct control *control_start(const char *dir, control_handler fn, void *arg,
                              struct weir_error *err)
{
    struct sockaddr_un a;
    char *path;
    if (sock_addr(dir, &a, &path) != 0) {
        err_set(err, WEIR_ERR_CONFIG,
                "the control socket path '%s' is longer than %zu bytes; use a shorter "
                "--state-dir", path, sizeof(a.sun_path) - 1);
        mem_free(path);
        return NULL;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* the caller holds the state directory's lock: a socket file here is a
     * dead job's */
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 8) != 0) {
        err_set(err, WEIR_ERR_IO, "cannot listen on '%s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        mem_free(path);
        return NULL;
    }
    struct control *c = mem_calloc(1, sizeof(*c));
    c->fd = fd;
    c->path = path;
    c->fn = fn;
    c->arg = arg;
    if (pthread_create(&c->thread, NULL, control_main, c) != 0) {
        err_set(err, WEIR_ERR_RUNTIME, "cannot start the control thread: %s", strerror(errno));
        close(fd);
        unlink(path);
        mem_free(path);
        mem_free(c);
        return NULL;
    }
    return c;
}

void control_stop(struct control *c)
{
    if (c == NULL)
        return;
    c->stop = 1;
    pthread_join(c->thread, NULL);
    close(c->fd);
    unlink(c->path);
    mem_free(c->path);
    mem_free(c);
}

int control_call(const char *dir, const char *cmd, int timeout_ms, struct strbuf *reply)
{
    struct sockaddr_un a;
    char *path;
    int bad = sock_addr(dir, &a, &path);
    mem_free(path);
    if (bad)
        return 2;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return 2;
    }
    files_write_all(fd, cmd, strlen(cmd));
    files_write_all(fd, "\n", 1);
    char buf[4096];
    int waited = 0;
    while (waited < timeout_ms) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, 100);
        if (r == 0) {
            waited += 100;
            continue;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        sb_add(reply, buf, (size_t)n);
    }
    close(fd);
    return reply->len >= 6 && strncmp(reply->buf, "error:", 6) == 0 ? 1 : 0;
}
