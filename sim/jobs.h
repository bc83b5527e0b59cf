// jobs.h - run independent jobs as child processes, at most N at once.
//
// Each job is a function of its index; it runs in a forked child whose exit
// status is the function's return value. Jobs share nothing but the files
// they write, so results do not depend on N or on the order they finish in.
#ifndef HHSIM_JOBS_H
#define HHSIM_JOBS_H

#include "hherr.h"

typedef int (*JobFn)(int index, void *ctx);

// Run fn(0..n-1, ctx) with at most max_parallel children (1 = in this process,
// one after the other). Returns 0 when every job returned 0, else the first
// non-zero status (by index) with err naming the job. When label is not NULL,
// a line on stderr follows each finished job: "LABEL: [done/total] NAME
// finished (status); running: ...; elapsed, ~time left" (names may be NULL).
int jobs_run(int n, int max_parallel, JobFn fn, void *ctx, const char *const *names,
             const char *label, HHErr *err);

#endif
