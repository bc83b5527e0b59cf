// pipeline.h - `hhsim run`: every implemented stage as a graph of jobs.
//
// Stages in order, each a set of independent jobs run up to N at a time:
//   world                     -> DIR/world.h5
//   pretrain (scale)          -> DIR/lm/SCALE.h5           needs world
//   distill (scale)           -> DIR/distill/SCALE.h5      needs lm/SCALE
//   pmp (scale, seed)         -> DIR/pmp/SCALE_sS.h5       needs lm/SCALE
//   pm (job)                  -> DIR/pm/JOB.h5             needs lm or pmp, distill
//   rl (run)                  -> DIR/rl/RUN.h5             needs distill, 3 PMs
//   bon (policy, PM, variant) -> DIR/bon/P_PM_V.h5         needs distill, 3 PMs
// A job is up to date, and skipped, when its output exists, is not older
// than any of its inputs, was written by the same simulator sources (the
// provenance attribute sim_source_hash; analysis-only changes rerun
// nothing), and the params sections it depends on are unchanged (compared with the params text stored
// in the output). So a rerun after a crash resumes, and a change to one
// section reruns only what depends on it. --force reruns everything.
#ifndef HHSIM_PIPELINE_H
#define HHSIM_PIPELINE_H

#include "hherr.h"
#include "params.h"

typedef struct {
    int jobs;   // parallel jobs
    int force;  // rerun up-to-date jobs too
    int quiet;
} PipelineOpts;

int pipeline_run(const Params *p, const char *dir, const PipelineOpts *o, HHErr *err);

#endif
