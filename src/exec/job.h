/*
 * job.h — a running job: the physical operator graph built from an optimised
 * logical plan, and the loop that drives it.
 *
 * One source instance per table read (every scan of that table shares it: a
 * statement set reads each source once), a fused chain of operators per path,
 * a sink operator per INSERT.  The driver polls the sources, pushes each batch
 * through its chains, ends the job when every bounded source is done, and stops
 * cleanly on SIGINT/SIGTERM (sinks flushed).  While it runs it can print a
 * status line per second; at the end it prints a summary that reconciles every
 * record read: emitted, filtered or dead-lettered.
 */
#ifndef WEIR_JOB_H
#define WEIR_JOB_H

#include <stdbool.h>
#include <stdio.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "sql/plan.h"

struct job_opts {
    const char *state_dir;      /* job state (dead letters, later checkpoints);
                                   NULL = weir-data/jobs/<pipeline.name> */
    int progress;               /* -1: when stderr is a terminal, 0 off, 1 on */
    bool quiet;                 /* no summary */
    const char *metrics_json;   /* write final metrics here (NULL = no) */
    int parallelism;            /* instances; 0 = parallelism.default or the
                                   number of cores */
    const char *from_path;      /* resume from this checkpoint or savepoint
                                   (NULL: the newest one in the state dir) */
    bool allow_non_restored;    /* state of operators the job no longer has
                                   is dropped instead of refused */
};

struct job;

/* Builds the operator graph.  p must be compiled and optimised, and outlive j. */
int job_build(struct job_plan *p, const struct job_opts *opts, struct job **out,
              struct weir_error *err);
/* The physical plan as text (EXPLAIN). */
void job_explain(const struct job *j, struct strbuf *sb);
/* Runs until bounded sources end or a stop signal arrives. */
int job_run(struct job *j, struct weir_error *err);
void job_free(struct job *j);

/* Installs SIGINT/SIGTERM handlers that ask running jobs to stop. */
void job_install_signal_handlers(void);

#endif
