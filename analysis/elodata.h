// elodata.h - what hhfit reads of a run's elo stage (layout in
// sim/stages/elo.h): every RUN_DIR/elo/*.h5 (kind "elo"), one per policy
// scale. A run without elo/ is not an error: the tables are written empty
// with a `missing` attribute and the Elo claims are PENDING.
//
// Every file is checked before use (HH_EINPUT naming the file and object):
// kind and schema, made with the run's params (pipeline_file_current, when
// run is given), /job scale a scale of [model] scale_names; 2 to
// ELO_MAX_CONTESTANTS contestants with type 0..ELT_N-1, exactly one distilled
// model of the scale and at most one anchor, seeds -1 or 0..S-1 (S the PM
// seeds of /samples/pm_score), best-of-n n >= 1 exactly for best-of-n;
// /prompts/kind 0..3 with both match kinds present; /samples/pm_score and
// /samples/pm_test_score (S, C, P) finite, attributes /samples train_pms and
// test_pms naming S PMs (schema 2); every match with kind 0 or 1 agreeing with its prompt's kind,
// 0 <= a < b < C, prompt 0..P-1, winner 0 or 1, worker >= 0.
#ifndef HHFIT_ELODATA_H
#define HHFIT_ELODATA_H

#include <stdint.h>

#include "elo.h"
#include "hherr.h"
#include "params.h"

#define ELD_MAX_MATCHES 50000000  // most matches of one file hhfit reads
#define ELD_MAX_PROMPTS 1000000

typedef struct {
    char name[128];             // file stem
    char scale[HH_NAME_LEN], anchor[HH_NAME_LEN];
    double params;              // parameters of the scale (NaN without run params)
    int C, P, S;                // contestants, prompts, PM seeds
    long M;                     // matches
    int pin;                    // the contestant Elo is zero at: the anchor, else the distilled model
    int8_t *type;               // (C) ElType
    int32_t *seed, *round, *n;  // (C)
    int8_t *pkind;              // (P) world prompt kind
    double *pms;                // (S, C, P) scores under each seed's train PM
    double *pmt;                // (S, C, P) scores under each seed's test PM (held out)
    int npm_train, npm_test;    // distinct train / test PMs among the S seeds
    int8_t *mkind, *mwin;       // (M)
    int16_t *ma, *mb;           // (M)
    int32_t *mp, *mw;           // (M)
} EloFile;

typedef struct {
    int n;
    EloFile *f;                 // sorted by parameters (ascending), then scale
    char missing[256];          // why there are no files ("" when there are)
} EloData;

// Read one file; run (may be NULL: no params check, params NaN).
int eld_load_file(const char *path, const Params *run, EloFile *e, HHErr *err);
void eld_file_free(EloFile *e);
// Read dir/elo/*.h5 (temporary files skipped).
int eld_load(const char *dir, const Params *run, EloData *D, HHErr *err);
void eld_free(EloData *D);

#endif
