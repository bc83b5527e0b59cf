// pmdata.h - what hhfit reads from a run directory: the run's params and crowd
// agreement from world.h5, and every preference model's held-out evaluation
// from pm/*.h5 (layouts in sim/world/worldgen.h and sim/stages/pm.h).
//
// Every PM of a run is evaluated on the same held-out comparisons (the
// world's helpful then harmless test sets); run_load checks that and pools
// them: index i < n_set[0] is helpful comparison i, the rest are harmless.
// "Correct" means the PM scores the crowdworker's pick higher (a tie counts
// one half), as in sim/stages/pm.c's /eval/accuracy.
//
// Sweeps are recognised from each file's /job attributes alone (no params
// needed): the size sweep is sweep = "size"; the mix sweep is sweep = "mix"
// plus the size-sweep PM with the mix sweep's n_train and PMP setting (hhsim
// runs a job shared by two sweeps once, under the first sweep's name).
#ifndef HHFIT_PMDATA_H
#define HHFIT_PMDATA_H

#include <stddef.h>
#include <stdint.h>

#include "hherr.h"
#include "params.h"

enum { PM_HELPFUL = 0, PM_HARMLESS = 1 };

typedef struct {
    char path[1024];         // the file read
    char name[128];          // file stem, e.g. "s_n400_h050_pmp1_s0"
    char scale[HH_NAME_LEN];
    char sweep[16];          // "size", "mix" or "halves"
    int n_train, n_help, n_harm, pmp, seed, half;  // /job attributes
    double help_frac;        // /job help_frac
    double nparams;          // /job params: parameter count
    int n;                   // pooled held-out comparisons
    int n_set[2];            // of which helpful, harmless
    double *margin;          // (n) score(chosen) - score(rejected), PM score units
    double *smax;            // (n) max of the two scores, normalised: (s - norm mean) / norm sd
    int8_t *set, *turn, *gold;  // (n) PM_HELPFUL/PM_HARMLESS; turn (1..); gold sign vs chosen
    int8_t *differs;         // (n) what differs (0 content only, 1 surface, 2 refusal, 3 harm;
                             // -1 unknown: a PM file without eval/SET/differs)
    int has_differs;         // 1 when the file had the tags
    double norm_mean, norm_sd;  // /norm (policy-sample score mean and sd)
    double acc_file[3];      // /eval/accuracy as stored: helpful, harmless, pooled
    struct PMSelCache *sel;  // pmstats.c's per-selection scores of the pairs (NULL: none yet)
} PMRec;

typedef struct {
    char dir[1024];
    Params params;           // parsed from world.h5's root attribute "params"
    char *params_text;       // that text
    double agree[6][2];      // /crowd/agreement: worker_measured, worker_implied, worker_n,
                             // gold_measured, gold_implied, gold_n; [helpful, harmless]
    int npm;
    PMRec *pm;               // sorted by (nparams, n_train, help_frac, pmp, seed, half)
} RunData;

// Read dir/world.h5 and every dir/pm/*.h5. No PM files is an HH_EINPUT error
// ("run 'hhsim pm' first"); so is a file that is not what it should be. On
// failure rd holds nothing to free (run_free may still be called).
int run_load(const char *dir, RunData *rd, HHErr *err);
void run_free(RunData *rd);

// The names of the *.h5 files in directory `path`, sorted (temporary files
// NAME.tmp.PID and checkpoints NAME.ckpt.h5 left out), as a malloc'd array of
// malloc'd strings (free with run_names_free). A directory that does not exist
// is not an error: *exists = 0 and *n = 0.
int run_list_h5(const char *path, char ***names, int *n, int *exists, HHErr *err);
void run_names_free(char **names, int n);

// Fill a PMRec from arrays (for tests and synthetic data): copies n pooled
// pairs; n_help of them helpful (the first ones). smax may be NULL (0).
int pmrec_init(PMRec *r, const char *scale, double nparams, int n_train, double help_frac,
               int pmp, int seed, const char *sweep, int n, int n_help, const double *margin,
               const double *smax, const int8_t *turn, const int8_t *gold, HHErr *err);
void pmrec_free(PMRec *r);

// Sweep "ref" (the reference PM, sim/stages/pm.h) belongs to no sweep.
// 1 if the two records were trained on the same kind of data (sweep
// membership aside): same scale, n_train, help_frac, pmp and half.
int pmrec_same_config(const PMRec *a, const PMRec *b);

#endif
