// jobs.c - see jobs.h
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "h5io.h"
#include "progress.h"

typedef struct {
    int n, done;
    pid_t *pids;  // (n) running child of job i, 0 otherwise
    int *status;  // (n)
    const char *const *names;
    const char *label;
    double t0;
} Pool;

static const char *name_of(const Pool *p, int i) { return p->names ? p->names[i] : "job"; }

static void report_done(const Pool *p, int i) {
    if (!p->label) return;
    char running[512] = "";
    for (int k = 0; k < p->n; k++)
        if (p->pids[k] > 0) {
            size_t m = strlen(running);
            snprintf(running + m, sizeof running - m, "%s%s", m ? ", " : "", name_of(p, k));
        }
    double el = progress_now() - p->t0, left = el * (p->n - p->done) / p->done;
    fprintf(stderr, "%s: [%d/%d] %s %s; running: %s; %.0f s elapsed, ~%.0f s left\n", p->label,
            p->done, p->n, name_of(p, i), p->status[i] ? "FAILED" : "done",
            *running ? running : "none", el, left);
}

// Wait for one child; 0 on success, -1 when there is none.
static int finish(Pool *p) {
    int st;
    pid_t pid = wait(&st);
    if (pid < 0) return -1;
    for (int i = 0; i < p->n; i++)
        if (p->pids[i] == pid) {
            p->status[i] = WIFEXITED(st) ? WEXITSTATUS(st) : HH_EFAIL;
            p->pids[i] = 0;
            p->done++;
            report_done(p, i);
        }
    return 0;
}

int jobs_run(int n, int max_parallel, JobFn fn, void *ctx, const char *const *names,
             const char *label, HHErr *err) {
    Pool p = {n, 0, calloc((size_t)n + 1, sizeof(pid_t)), calloc((size_t)n + 1, sizeof(int)),
              names, label, progress_now()};
    if (!p.status || !p.pids) {
        free(p.status); free(p.pids);
        return hh_fail(err, HH_EFAIL, "jobs: out of memory");
    }
    int running = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid = -1;
        if (max_parallel > 1) {
            while (running >= max_parallel && finish(&p) == 0) running--;
            fflush(NULL);
            pid = fork();
            if (pid == 0) {
                h5_job_start();
                int st = fn(i, ctx);
                fflush(NULL);
                _exit(st & 0xff);
            }
        }
        if (pid < 0) {  // one at a time, or no fork: run here
            h5_job_start();
            p.status[i] = fn(i, ctx);
            p.done++;
            report_done(&p, i);
            continue;
        }
        p.pids[i] = pid;
        running++;
    }
    while (running > 0 && finish(&p) == 0) running--;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        if (p.status[i])
            rc = hh_fail(err, p.status[i], "job %s failed (status %d); its message is above",
                         name_of(&p, i), p.status[i]);
    free(p.status);
    free(p.pids);
    h5_job_end();
    return rc;
}
