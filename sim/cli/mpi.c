// mpi.c - `hhsim run` over MPI ranks (bin/hhsim-mpi; built only with
// HH_MPI, by `make` when Open MPI's mpicc is installed).
//
// Rank 0 runs the world stage, plans the graph and schedules: a ready job goes
// to a free rank, rank 0 itself included (one job at a time, as a forked
// child). Every other rank runs the jobs it is sent, one at a time, each in a
// forked child like `hhsim run` does, and reports the exit status. Messages:
// rank 0 -> worker {graph node, job index} (job -1: stop); worker -> rank 0
// {graph node, status}. Jobs read and write only files, and a job is the same
// function on any rank, so outputs are the same bits for any number of ranks.
#ifdef HH_MPI
#include "mpi_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "h5io.h"

enum { TAG_JOB = 1, TAG_DONE = 2 };

typedef struct {
    Cluster c;
    JobRunner r;
    const int *map;  // graph node -> job index
    JobFn fn;        // rank 0's own jobs
    void *arg;
    int *busy;       // (size) 1 while rank w runs a job
    pid_t child;     // rank 0's running job (0: none; -1: it ran in this process)
    int child_node, child_status;
} MPIState;

static int share(Cluster *c, int value) {
    MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
    (void)c;
    return value;
}

// Run fn(i, arg) in a forked child; its pid (or -1 when fork failed: ran here, *st set).
static pid_t spawn(JobFn fn, int i, void *arg, int *st) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        h5_job_start();
        int s = fn(i, arg);
        fflush(NULL);
        _exit(s & 0xff);
    }
    if (pid < 0) {
        h5_job_start();
        *st = fn(i, arg);
    }
    return pid;
}

static int status_of(int wst) { return WIFEXITED(wst) ? WEXITSTATUS(wst) : HH_EFAIL; }

static int start(JobRunner *r, int i) {
    MPIState *m = r->ctx;
    if (!m->child) {  // rank 0's own slot first
        int st = 0;
        pid_t pid = spawn(m->fn, i, m->arg, &st);
        m->child = pid < 0 ? -1 : pid;  // -1: no fork, it ran here; reported at the next wait
        m->child_node = i;
        m->child_status = st;
        return 0;
    }
    for (int w = 1; w < m->c.size; w++)
        if (!m->busy[w]) {
            int msg[2] = {i, m->map[i]};
            MPI_Send(msg, 2, MPI_INT, w, TAG_JOB, MPI_COMM_WORLD);
            m->busy[w] = 1;
            return 0;
        }
    return -1;
}

static int wait_any(JobRunner *r, int *i, int *status) {
    MPIState *m = r->ctx;
    for (;;) {
        if (m->child == -1) {
            *i = m->child_node;
            *status = m->child_status;
            m->child = 0;
            return 0;
        }
        int wst;
        if (m->child > 0 && waitpid(m->child, &wst, WNOHANG) == m->child) {
            *i = m->child_node;
            *status = status_of(wst);
            m->child = 0;
            return 0;
        }
        int flag = 0;
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_DONE, MPI_COMM_WORLD, &flag, &ms);
        if (flag) {
            int msg[2];
            MPI_Recv(msg, 2, MPI_INT, ms.MPI_SOURCE, TAG_DONE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            m->busy[ms.MPI_SOURCE] = 0;
            *i = msg[0];
            *status = msg[1];
            return 0;
        }
        int any = m->child > 0;
        for (int w = 1; w < m->c.size; w++) any |= m->busy[w];
        if (!any) return -1;
        struct timespec ts = {0, 5000000};  // 5 ms: jobs take seconds
        nanosleep(&ts, NULL);
    }
}

static JobRunner *runner(Cluster *c, const int *map, JobFn fn, void *arg) {
    MPIState *m = c->ctx;
    m->map = map;
    m->fn = fn;
    m->arg = arg;
    return &m->r;
}

static int serve(Cluster *c, JobFn run, void *arg) {
    (void)c;
    for (;;) {
        int msg[2];
        if (MPI_Recv(msg, 2, MPI_INT, 0, TAG_JOB, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -1;
        if (msg[1] < 0) return 0;
        int st = 0, wst;
        pid_t pid = spawn(run, msg[1], arg, &st);
        if (pid > 0) st = waitpid(pid, &wst, 0) == pid ? status_of(wst) : HH_EFAIL;
        int back[2] = {msg[0], st};
        MPI_Send(back, 2, MPI_INT, 0, TAG_DONE, MPI_COMM_WORLD);
    }
}

static void stop(Cluster *c) {
    int msg[2] = {-1, -1};
    for (int w = 1; w < c->size; w++) MPI_Send(msg, 2, MPI_INT, w, TAG_JOB, MPI_COMM_WORLD);
}

static MPIState STATE;

Cluster *hh_mpi_init(int *argc, char ***argv) {
    MPI_Init(argc, argv);
    MPIState *m = &STATE;
    MPI_Comm_rank(MPI_COMM_WORLD, &m->c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->c.size);
    m->busy = calloc((size_t)m->c.size + 1, sizeof(int));
    m->c.share = share;
    m->c.runner = runner;
    m->c.serve = serve;
    m->c.stop = stop;
    m->c.ctx = m;
    m->r.start = start;
    m->r.wait = wait_any;
    m->r.ctx = m;
    return m->busy ? &m->c : NULL;
}

void hh_mpi_finalize(void) {
    free(STATE.busy);
    MPI_Finalize();
}
#endif
