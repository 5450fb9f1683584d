/*
 * control.h — the control socket of a running job and the `weir ctl` client.
 *
 * A running job listens on <state-dir>/ctl.sock (a Unix stream socket: local
 * only, guarded by the directory's permissions).  A client sends one line — a
 * command — and reads the reply until the job closes the connection.  The
 * job's handler runs on the control thread; the commands are `status`,
 * `savepoint [PATH]`, `stop [--savepoint]` (job.c).  A reply that begins with
 * "error:" is a failure.
 */
#ifndef WEIR_CONTROL_H
#define WEIR_CONTROL_H

#include "core/err.h"
#include "core/strbuf.h"

struct control;

/* Answers one command into reply; runs on the control thread. */
typedef void (*control_handler)(void *arg, const char *cmd, struct strbuf *reply);

/* Starts listening on <dir>/ctl.sock (a stale socket of a dead job is
 * replaced).  NULL with err set when it cannot. */
struct control *control_start(const char *dir, control_handler fn, void *arg,
                              struct weir_error *err);
/* Stops listening and removes the socket. */
void control_stop(struct control *c);

/* The client: sends cmd to the job in dir and writes the reply to stdout.
 * Returns 0 on success, 1 when the job answered with an error, 2 when no job
 * is listening there (the caller may then report what the directory holds). */
int control_call(const char *dir, const char *cmd, int timeout_ms, struct strbuf *reply);

#endif
