// pipeline.h - `hhsim run` and `hhsim STAGE`: the stage table as a graph of jobs.
//
// The stages and their jobs come from a stage table (stage.h; the default is
// stages_default()). The world stage runs first; then the jobs of every other
// selected stage form one graph: a job starts when the jobs that make its
// inputs have finished, longest remaining chain first, up to N at once.
//
// A job is up to date, and skipped, when its output exists, is not older
// than any of its inputs, was written by the same simulator sources (the
// provenance attribute sim_source_hash; analysis-only changes rerun
// nothing), the params sections its stage depends on are unchanged (compared
// with the params text stored in the output; [run] threads is not compared:
// results never depend on it), and no job that makes one of its inputs is
// going to run. So a rerun after a crash resumes, and a change to one section
// reruns only what depends on it. force reruns every selected job.
//
// Selection: `only` (a comma list of stage names) runs just those stages;
// `until` runs every stage up to and including one. A selected job whose
// input neither exists nor is made by a job of this run is refused before
// anything runs, naming the file and the job and stage that would make it.
// A stage switched off by the params (StageDef.off) is reported and left
// out; the others complete.
#ifndef HHSIM_PIPELINE_H
#define HHSIM_PIPELINE_H

#include <hdf5.h>

#include "hherr.h"
#include "jobs.h"
#include "params.h"
#include "stage.h"

// A cluster of processes (MPI ranks; sim/cli/mpi.c) sharing one run. Rank 0
// runs the world stage, plans and schedules; every rank lists the same jobs
// (the listing is a function of params and world) and the others run the
// jobs rank 0 sends them. A job is the same function on any rank, so the
// outputs do not depend on the number of ranks.
typedef struct Cluster {
    int rank, size;
    int (*share)(struct Cluster *c, int value);  // rank 0's value, on every rank
    // rank 0: a runner for the graph's jobs; graph node i is job map[i] of the
    // list; fn(i, arg) runs node i here (rank 0 runs jobs too)
    JobRunner *(*runner)(struct Cluster *c, const int *map, JobFn fn, void *arg);
    // ranks > 0: run(k, arg) for each job k rank 0 sends, until it says stop
    int (*serve)(struct Cluster *c, JobFn run, void *arg);
    void (*stop)(struct Cluster *c);  // rank 0: the workers may stop
    void *ctx;
} Cluster;

typedef struct {
    int jobs;          // parallel jobs
    int force;         // rerun up-to-date jobs too
    int quiet;         // no progress from the jobs themselves
    long stop_after;   // > 0: stop each job after this many steps (resumable)
    const char *only;  // NULL or "pm,rl"
    const char *until; // NULL or "pm"
    JobSay say;        // the run's lines: progress (unless quiet) and job errors
    void *say_ctx;
    Cluster *cluster;  // NULL or size 1: jobs run as local processes (--jobs)
    int dry_run;       // list every selected job on stdout, "run: WHY" or "up to date"; write nothing
    const char *project_from;  // with dry_run: project the wall time from this finished run (project.h)
    const char *ranks;         // the rank counts to project for ("16,64,256")
    const char *origin;        // NULL or where the params came from ("FILE --set K=V"), for DIR/params.ini
} PipelineOpts;

// Run the selected stages of table t (NULL: stages_default()) on p into dir.
int pipeline_run(const Params *p, const char *dir, const StageDef *const *t,
                 const PipelineOpts *o, HHErr *err);

// For readers of a run (hhfit): 0 when the file f at path was made with the
// run's params in the sections its stage depends on and is the job its name
// says (its /job key); else HH_EINPUT naming the file and the section.
int pipeline_file_current(const Params *run, const char *path, hid_t f, HHErr *err);

#endif
