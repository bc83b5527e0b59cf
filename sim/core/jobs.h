// jobs.h - run a graph of jobs as child processes, at most N at once.
//
// Each job is a function of its index; it runs in a forked child whose exit
// status is the function's return value. A job starts when every job it
// depends on has finished with status 0; among ready jobs the one with the
// highest priority starts first (ties: lower index). Jobs share nothing but
// the files they write, so results do not depend on N or on the order they
// finish in.
//
// Progress (progress.h): this process draws the run's board. A forked job's
// stderr is a pipe to it, read while the jobs run: its progress records go to
// the board and its other lines are relayed whole, each before the line that
// says the job finished. With a JobRunner (MPI) the board prints lines only.
#ifndef HHSIM_JOBS_H
#define HHSIM_JOBS_H

#include "hherr.h"

typedef int (*JobFn)(int index, void *ctx);

// A job returning JOB_STOPPED stopped early as asked (e.g. --stop-after): not
// a failure, but the jobs that depend on it do not start.
enum { JOB_STOPPED = 3 };

// Where progress lines go (one line, no newline); NULL: nowhere.
typedef void (*JobSay)(void *ctx, const char *line);

// Where jobs run when not as local processes (e.g. MPI ranks): start job i
// on a free worker (0, or -1 when none is free), and wait for any running job
// (0 with its index and status, -1 when none runs).
typedef struct JobRunner {
    int (*start)(struct JobRunner *r, int i);
    int (*wait)(struct JobRunner *r, int *i, int *status);
    void *ctx;
} JobRunner;

typedef struct {
    int n;                     // jobs
    int max_parallel;          // 1: in this process, one after the other
    JobRunner *runner;         // not NULL: jobs run there (max_parallel is ignored)
    const int *ndeps;          // (n) number of jobs job i waits for (NULL: none)
    const int *const *deps;    // (n) their indices
    const double *prio;        // (n) higher starts first (NULL: index order)
    const char *const *names;  // (n) for progress and messages (NULL: "job")
    const char *label;         // prefix of the progress lines
    JobSay say;                // progress: a line per finished job (NULL: silent)
    void *say_ctx;
} JobGraph;

// Run the graph. After a failure the jobs that need its output are skipped
// and the others go on. Returns 0 when no job failed (some may have stopped or been
// skipped after a stop; *stopped, when not NULL, counts both), else the
// first failed job's status (by index) with err naming it.
int jobs_run_graph(const JobGraph *g, JobFn fn, void *ctx, int *stopped, HHErr *err);

#endif
