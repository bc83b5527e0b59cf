// jobs.c - see jobs.h
#define _DEFAULT_SOURCE  // MAP_ANONYMOUS
#include "jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cores.h"
#include "h5io.h"
#include "progress.h"

enum { WAITING = 0, RUNNING, DONE, SKIPPED };

typedef struct {
    const JobGraph *g;
    int done;
    int *state;   // (n) WAITING, RUNNING, DONE, SKIPPED
    int *status;  // (n) exit status of DONE jobs
    pid_t *pids;  // (n) child of a RUNNING job
    double t0;
    int *fds;     // (n) read end of a RUNNING child's stderr pipe, or -1
} Pool;

// The pool's slots and running jobs, in memory shared with the forked jobs so
// that a job knows when a core is spare (cores.h); NULL when jobs do not fork.
typedef struct {
    int slots, running;
} Share;
static Share *g_share;

static int spare_slots(void) {
    if (!g_share) return 0;
    int free = __atomic_load_n(&g_share->slots, __ATOMIC_RELAXED) -
               __atomic_load_n(&g_share->running, __ATOMIC_RELAXED);
    return free > 0 ? free : 0;
}

static void share_running(int running) {
    if (g_share) __atomic_store_n(&g_share->running, running, __ATOMIC_RELAXED);
}

static const char *name_of(const Pool *p, int i) { return p->g->names ? p->g->names[i] : "job"; }

static void report_done(const Pool *p, int i) {
    if (!p->g->say) return;
    char running[512] = "", line[1024];
    for (int k = 0; k < p->g->n; k++)
        if (p->state[k] == RUNNING) {
            size_t m = strlen(running);
            snprintf(running + m, sizeof running - m, "%s%s", m ? ", " : "", name_of(p, k));
        }
    double el = progress_now() - p->t0, left = el * (p->g->n - p->done) / p->done;
    const char *what = p->status[i] == 0 ? "done" : p->status[i] == JOB_STOPPED ? "stopped" : "FAILED";
    snprintf(line, sizeof line, "%s: [%d/%d] %s %s; running: %s; %.0f s elapsed, ~%.0f s left",
             p->g->label ? p->g->label : "jobs", p->done, p->g->n, name_of(p, i), what,
             *running ? running : "none", el, left);
    p->g->say(p->g->say_ctx, line);
}

static void finished(Pool *p, int i, int status) {
    p->state[i] = DONE;
    p->status[i] = status;
    p->done++;
    progress_board_job(i, name_of(p, i), 0);
    progress_board_count(p->done);
    report_done(p, i);
}

// Read what job i's child wrote to its stderr pipe into the board; at the end
// of the pipe close it. all: until the end (the child has exited).
static void drain(Pool *p, int i, int all) {
    char buf[4096];
    while (p->fds[i] >= 0) {
        ssize_t k = read(p->fds[i], buf, sizeof buf);
        if (k > 0) { progress_board_feed(i, buf, (size_t)k); continue; }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EAGAIN && !all) return;
        if (k < 0 && errno == EAGAIN) {  // exited, but a grandchild holds the pipe: wait briefly
            struct pollfd one = {p->fds[i], POLLIN, 0};
            if (poll(&one, 1, 100) > 0) continue;
        }
        close(p->fds[i]);
        p->fds[i] = -1;
    }
}

// Wait for a child to exit, relaying the children's stderr and ticking the
// board meanwhile; the exited child's pid and wait status, or -1 when none runs.
static pid_t wait_child(Pool *p, int *st) {
    struct pollfd *fd = malloc(sizeof *fd * ((size_t)p->g->n + 1));
    int *map = malloc(sizeof(int) * ((size_t)p->g->n + 1));
    pid_t pid;
    while ((pid = waitpid(-1, st, fd && map ? WNOHANG : 0)) == 0) {
        int nf = 0;
        for (int i = 0; i < p->g->n; i++)
            if (p->state[i] == RUNNING && p->fds[i] >= 0) fd[nf] = (struct pollfd){p->fds[i], POLLIN, 0}, map[nf++] = i;
        int r = poll(fd, (nfds_t)nf, 200);  // (no pipes: a plain 200 ms wait)
        for (int k = 0; r > 0 && k < nf; k++)
            if (fd[k].revents) drain(p, map[k], 0);
        progress_board_tick();
    }
    free(fd);
    free(map);
    return pid;
}

// Wait for one child; 0 on success, -1 when there is none.
static int reap(Pool *p) {
    if (p->g->runner) {
        int i, status;
        if (p->g->runner->wait(p->g->runner, &i, &status) != 0 || i < 0 || i >= p->g->n) return -1;
        finished(p, i, status);
        return 0;
    }
    int st;
    pid_t pid = wait_child(p, &st);
    if (pid < 0) return -1;
    for (int i = 0; i < p->g->n; i++)
        if (p->state[i] == RUNNING && p->pids[i] == pid) {
            drain(p, i, 1);  // its last lines before the line that says it finished
            if (WIFSIGNALED(st) && p->g->say) {  // no message of its own: say what happened
                char line[256];
                snprintf(line, sizeof line, "%s: job %s was killed by signal %d", p->g->label ?
                         p->g->label : "jobs", name_of(p, i), WTERMSIG(st));
                p->g->say(p->g->say_ctx, line);
            }
            finished(p, i, WIFEXITED(st) ? WEXITSTATUS(st) : HH_EFAIL);
        }
    return 0;
}

// The ready job of highest priority, -1 when none; marks jobs whose inputs
// will never come (a dependency stopped, failed or was skipped) SKIPPED.
static int next_ready(Pool *p) {
    const JobGraph *g = p->g;
    int best = -1;
    for (int i = 0; i < g->n; i++) {
        if (p->state[i] != WAITING) continue;
        int ready = 1, never = 0;
        for (int k = 0; g->ndeps && k < g->ndeps[i]; k++) {
            int d = g->deps[i][k];
            if (p->state[d] == SKIPPED || (p->state[d] == DONE && p->status[d])) never = 1;
            else if (p->state[d] != DONE) ready = 0;
        }
        if (never) {
            p->state[i] = SKIPPED;
            p->done++;
            i = -1;  // a skip may make others skip: rescan
            best = -1;
            continue;
        }
        if (ready && (best < 0 || (g->prio && g->prio[i] > g->prio[best]))) best = i;
    }
    return best;
}

// Start job i; 0 when it started or ran, -1 when the runner has no free worker.
static int run_one(Pool *p, int i, JobFn fn, void *ctx, int *running) {
    if (p->g->runner) {
        if (p->g->runner->start(p->g->runner, i) != 0) return -1;
        p->state[i] = RUNNING;
        (*running)++;
        return 0;
    }
    pid_t pid = -1;
    int pfd[2] = {-1, -1};
    progress_board_job(i, name_of(p, i), 1);
    if (p->g->max_parallel > 1) {
        fflush(NULL);
        if (pipe(pfd) != 0) pfd[0] = pfd[1] = -1;  // no pipe: the child writes to stderr itself
        pid = fork();
        if (pid == 0) {  // the job: its stderr is the pipe to this process's board
            for (int k = 0; k < p->g->n; k++)
                if (p->fds[k] >= 0) close(p->fds[k]);
            if (pfd[1] >= 0) {
                dup2(pfd[1], 2);
                close(pfd[0]);
                close(pfd[1]);
            }
            progress_in_child();
            cores_set_spare(spare_slots);
            h5_job_start();
            int st = fn(i, ctx);
            fflush(NULL);
            _exit(st & 0xff);
        }
        if (pfd[1] >= 0) close(pfd[1]);
        if (pid < 0 && pfd[0] >= 0) close(pfd[0]), pfd[0] = -1;
    }
    if (pid < 0) {  // one at a time, or no fork: run here
        h5_job_start();
        progress_in_process(i);
        int st = fn(i, ctx);
        progress_in_process(-1);
        finished(p, i, st);
        return 0;
    }
    if (pfd[0] >= 0) fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
    p->state[i] = RUNNING;
    p->pids[i] = pid;
    p->fds[i] = pfd[0];
    (*running)++;
    return 0;
}

int jobs_run_graph(const JobGraph *g, JobFn fn, void *ctx, int *stopped, HHErr *err) {
    int n = g->n;
    Pool p = {g, 0, calloc((size_t)n + 1, sizeof(int)), calloc((size_t)n + 1, sizeof(int)),
              calloc((size_t)n + 1, sizeof(pid_t)), progress_now(), malloc(sizeof(int) * ((size_t)n + 1))};
    if (!p.state || !p.status || !p.pids || !p.fds) {
        free(p.state); free(p.status); free(p.pids); free(p.fds);
        return hh_fail(err, HH_EFAIL, "jobs: out of memory");
    }
    for (int i = 0; i < n; i++) p.fds[i] = -1;
    progress_board_start(n, !g->runner, !g->say);
    int running = 0, slots = g->runner ? n + 1 : g->max_parallel > 1 ? g->max_parallel : 1;
    if (!g->runner && slots > 1) {
        g_share = mmap(NULL, sizeof *g_share, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (g_share == MAP_FAILED) g_share = NULL;  // jobs then never use a second core
        else g_share->slots = slots, g_share->running = 0;
    }
    for (;;) {  // after a failure, jobs that do not need its output go on (make -k)
        int i = next_ready(&p);
        if (i >= 0 && running < slots && run_one(&p, i, fn, ctx, &running) == 0) {
            share_running(running);
            continue;
        }
        if (running == 0 || reap(&p) != 0) break;
        share_running(--running);
    }
    if (g_share) munmap(g_share, sizeof *g_share), g_share = NULL;
    int rc = 0, nstop = 0, nfail = 0, nskip = 0;
    for (int i = 0; i < n; i++) {
        int failed = p.state[i] == DONE && p.status[i] && p.status[i] != JOB_STOPPED;
        if (p.state[i] == SKIPPED || (p.state[i] == DONE && p.status[i] == JOB_STOPPED)) nstop++;
        nfail += failed;
        nskip += p.state[i] == SKIPPED;
        if (!rc && failed) rc = i + 1;
    }
    if (rc) {
        int i = rc - 1;
        rc = hh_fail(err, p.status[i], "job %s failed (status %d); its message is above; %d of %d "
                     "jobs failed, %d not started because an input failed", name_of(&p, i),
                     p.status[i], nfail, n, nskip);
    }
    if (stopped) *stopped = nstop;
    progress_board_stop();
    free(p.state);
    free(p.status);
    free(p.pids);
    free(p.fds);
    h5_job_end();
    return rc;
}
