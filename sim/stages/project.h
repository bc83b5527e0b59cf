// project.h - how long a run would take on N ranks (`hhsim run --dry-run
// --project-from DIR --ranks 16,64,256`), from the job times of a finished run.
//
// Each job's cost (StageDef.list's relative cost) is turned into seconds with
// the rate measured in DIR: the summed wall_seconds of DIR's outputs of the
// same stage and scale over their summed cost (a scale DIR did not run uses
// its stage's mean rate, and is counted as extrapolated). The jobs that would
// run are then list-scheduled on N ranks (a job starts when its inputs' jobs
// are done, longest remaining chain first, as hhsim run and bin/hhsim-mpi do)
// and the makespan is reported with the sweep efficiency (total job time over
// N x makespan). An estimate: it assumes a rank is one core as fast as DIR's.
#ifndef HHSIM_PROJECT_H
#define HHSIM_PROJECT_H

#include <stdio.h>

#include "stage.h"

// l: the jobs listed; run[k] = 1 for those that would run; t: the stage table.
int pipeline_project(const JobList *l, const int *run, const StageDef *const *t,
                     const char *measured, const char *ranks, FILE *out, HHErr *err);

#endif
