// evalsdata.h - what hhfit reads of a run's evals stage (layout in
// sim/stages/evals.h): every RUN_DIR/evals/*.h5 (kind "evals"), one per
// evaluated model: base LM, distilled LM, or RL policy (variant hh or
// helpful, one file per seed). A run without evals/ is not an error: the
// tables are then written empty with a `missing` attribute and the claims are
// PENDING.
//
// Every file is checked before use (HH_EINPUT naming the file and object):
// kind and schema, made with the run's params and its job key (pipeline_
// file_current), /job variant one of lm, distill, hh, helpful and a scale of
// [model] scale_names, RL files with a seed; /items/set (n) with values
// 0..EV_NSETS-1, every set with the same count; /items/query (n, EV_QMAX)
// identical in every file of the run (so deltas are paired per item);
// /evals/correct (EV_NSHOT, n) 0 or 1; /evals/margin (EV_NSHOT, n) finite.
#ifndef HHFIT_EVALSDATA_H
#define HHFIT_EVALSDATA_H

#include <stdint.h>

#include "evals.h"
#include "hherr.h"
#include "params.h"

// The kind of model a file evaluates.
enum { EVD_LM, EVD_DISTILL, EVD_HH, EVD_HELPFUL, EVD_NKIND };
extern const char *const EVD_KIND_NAME[EVD_NKIND];  // "lm", "distill", "hh", "helpful"

#define EVD_MAX_ITEMS 1000000  // most items of one file hhfit reads

typedef struct {
    char name[128];                // file stem
    char scale[HH_NAME_LEN];       // the model's scale (RL: the policy's)
    char pm_scale[HH_NAME_LEN];    // RL: the train PM's scale; else ""
    int kind, seed;                // EVD_*; seed -1 for lm and distill
    double params;                 // parameters of the scale (lmdata.h's count)
    uint8_t *correct;              // (EV_NSHOT, n)
    double *margin;                // (EV_NSHOT, n)
} EVRec;

typedef struct {
    int nrec;
    EVRec *rec;                    // sorted by (kind, parameters, scale, seed)
    int n, per_set;                // items (all sets), items per set
    int8_t *set;                   // (n)
    uint8_t *seen;                 // (n)
    char missing[256];             // why there are no files ("" when there are)
} EVData;

// Read dir/evals/*.h5 (temporary files skipped). run (not NULL) is the
// run's params: files made with other params are refused.
int evd_load(const char *dir, const Params *run, EVData *D, HHErr *err);
void evd_free(EVData *D);

// The file of a base model (kind EVD_LM or EVD_DISTILL) of a scale, or NULL.
const EVRec *evd_base(const EVData *D, int kind, const char *scale);
// The RL files of (kind, policy scale), by seed; returns the count (<= max).
int evd_rl(const EVData *D, int kind, const char *scale, const EVRec **out, int max);
// The distinct scales of files of `kind`, ascending by parameters; returns
// the count (<= max); params (may be NULL) gets their parameter counts.
int evd_scales(const EVData *D, int kind, char (*out)[HH_NAME_LEN], double *params, int max);

#endif
