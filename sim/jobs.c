// jobs.c - see jobs.h
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int finish(pid_t *pids, int *status, int n) {
    int st;
    pid_t pid = wait(&st);
    if (pid < 0) return -1;
    for (int i = 0; i < n; i++)
        if (pids[i] == pid) {
            status[i] = WIFEXITED(st) ? WEXITSTATUS(st) : HH_EFAIL;
            pids[i] = 0;
        }
    return 0;
}

int jobs_run(int n, int max_parallel, JobFn fn, void *ctx, const char *const *names, HHErr *err) {
    int *status = calloc((size_t)n + 1, sizeof *status);
    pid_t *pids = calloc((size_t)n + 1, sizeof *pids);
    if (!status || !pids) {
        free(status); free(pids);
        return hh_fail(err, HH_EFAIL, "jobs: out of memory");
    }
    int running = 0;
    for (int i = 0; i < n; i++) {
        if (max_parallel <= 1) {
            status[i] = fn(i, ctx);
            continue;
        }
        while (running >= max_parallel && finish(pids, status, n) == 0) running--;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            int st = fn(i, ctx);
            fflush(NULL);
            _exit(st & 0xff);
        }
        if (pid < 0) { status[i] = fn(i, ctx); continue; }  // no fork: run here
        pids[i] = pid;
        running++;
    }
    while (running > 0 && finish(pids, status, n) == 0) running--;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        if (status[i])
            rc = hh_fail(err, status[i], "job %s failed (status %d); its message is above",
                         names ? names[i] : "?", status[i]);
    free(status);
    free(pids);
    return rc;
}
