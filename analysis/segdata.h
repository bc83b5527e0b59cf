// segdata.h - what hhfit reads of a run's segments stage (layout in
// sim/stages/segments.h): every RUN_DIR/segments/*.h5 (kind "segments"),
// one per RL policy scale and seed. A run without segments/ is not an error:
// the tables are then written empty with a `missing` attribute and the
// claims are PENDING.
//
// Every file is checked before use (HH_EINPUT naming the file and object):
// kind and schema, made with the run's params and its job key
// (pipeline_file_current), /job scale one of [model] scale_names and a seed
// >= 0; attribute models of /samples equal to "distill" and the run's [rl]
// variants, attribute names of /segments equal to the run's [segments]
// names and matches to its [segments] matches; /samples/kind (n) 0..3 with
// n from 1 to SGD_MAX_SAMPLES and the same prompts (/samples/prompt) in
// every file of the run (so segments, models and seeds are paired per
// prompt); /segments/utility (S, M, n) finite in [-100, 100];
// /segments/p_win (S, M - 1, n) in [0, 1]; /segments/wins (S, M - 1, n)
// in [0, matches]; /segments/ref_utility (S, n) finite in [-100, 100];
// /segments/scale (S) in [1e-12, 1e6].
#ifndef HHFIT_SEGDATA_H
#define HHFIT_SEGDATA_H

#include <stdint.h>

#include "hherr.h"
#include "params.h"
#include "segments.h"

#define SGD_MAX_SAMPLES 1000000

typedef struct {
    char name[128];                // file stem
    char scale[HH_NAME_LEN];       // the policy scale
    char pm_scale[HH_NAME_LEN];    // the PM the policies were trained against
    int seed;
    double params;                 // parameters of the scale (lmdata.h's count)
    double *util;                  // (S, M, n)
    double *pwin;                  // (S, M - 1, n)
    int32_t *wins;                 // (S, M - 1, n)
    double *refu;                  // (S, n) utility of the reference distilled sample
    double *sd;                    // (S) each segment's standardising sd (> 0)
} SGRec;

typedef struct {
    int nrec;
    SGRec *rec;                    // sorted by (parameters, scale, seed)
    int n, S, M, matches;          // prompts, segments, models (distill + variants), users per pair
    int8_t *kind;                  // (n) prompt kinds
    int32_t *prompt;               // (n) test-set indices
    char seg[SEG_MAX][HH_NAME_LEN];      // segment names (the run's [segments] names)
    double share[SEG_MAX];               // their shares
    char model[SEG_MAX_MODELS][16];      // "distill", then the [rl] variants
    char missing[256];             // why there are no files ("" when there are)
} SGData;

// Read dir/segments/*.h5 (temporary files skipped); run is the run's params.
int sgd_load(const char *dir, const Params *run, SGData *D, HHErr *err);
void sgd_free(SGData *D);

// The files of a policy scale, by seed; returns the count (<= max).
int sgd_scale(const SGData *D, const char *scale, const SGRec **out, int max);
// The distinct policy scales, ascending by parameters; returns the count.
int sgd_scales(const SGData *D, char (*out)[HH_NAME_LEN], double *params, int max);

#endif
