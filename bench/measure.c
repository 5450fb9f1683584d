/*
 * measure.c — runs one command and reports what it cost: wall time, user and
 * system CPU time and peak RSS, from wait4(2)'s rusage (microsecond times,
 * where GNU time prints hundredths).  Used by bench/stateless.sh for every
 * timed run, so cat, the baselines and weir are measured the same way.
 *
 *   measure OUT_FILE TIMEOUT_S COMMAND [ARG...]
 *
 * Appends one line to OUT_FILE:  <wall_s> <user_s> <sys_s> <maxrss_kib> <status>
 * where status is the exit code, or 128+signal.  The command inherits stdin,
 * stdout and stderr.  After TIMEOUT_S seconds it gets SIGKILL (status 137), so
 * no run can hang the benchmark.  Exits with the command's status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    if (child > 0)
        kill(child, SIGKILL);
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: measure OUT_FILE TIMEOUT_S COMMAND [ARG...]\n");
        return 2;
    }
    FILE *out = fopen(argv[1], "a");
    if (out == NULL) {
        perror(argv[1]);
        return 2;
    }
    unsigned timeout_s = (unsigned)atoi(argv[2]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    child = fork();
    if (child < 0) {
        perror("fork");
        return 2;
    }
    if (child == 0) {
        execvp(argv[3], argv + 3);
        perror(argv[3]);
        _exit(127);
    }
    signal(SIGALRM, on_alarm);
    alarm(timeout_s);
    int st;
    struct rusage ru;
    while (wait4(child, &st, 0, &ru) < 0) {
        if (errno != EINTR) {           /* EINTR: the alarm */
            perror("wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(out, "%.6f %.6f %.6f %ld %d\n", wall, tv_s(ru.ru_utime), tv_s(ru.ru_stime),
            ru.ru_maxrss, status);
    fclose(out);
    if (status != 0)
        fprintf(stderr, "measure: '%s' ended with status %d\n", argv[3], status);
    return status;
}
