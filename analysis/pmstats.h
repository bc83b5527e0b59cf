// pmstats.h - the preference-model statistics behind hhfit's figures and
// claims, as pure functions of PMRec data (pmdata.h) and, for resampling, of
// an index list into the pooled held-out pairs. Built on analysis/stats.h.
//
// Groups: a statistic of "records g[0..ng-1]" pools the pairs of every record
// (e.g. the seeds of one configuration): counts add up.
#ifndef HHFIT_PMSTATS_H
#define HHFIT_PMSTATS_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "hherr.h"
#include "pmdata.h"
#include "stats.h"

// ------------------------------------------------------------ selections

// Which pairs count (all fields: 0 / -INFINITY = no restriction).
typedef struct {
    int setmask;     // bit 1 helpful, bit 2 harmless (0 = both)
    int turn_min, turn_max;  // inclusive range of conversational turns (0 = any)
    int vs_gold;     // 1: only pairs with gold != 0, correct = PM agrees with gold
    double zmin;     // only pairs whose higher normalised score is >= zmin
    double zmax;     // and < zmax (INFINITY = no bound)
    int differs;     // -1 any; 0..3 only pairs with that differs tag (0 = surface-matched)
    int no_ties;     // 1: only pairs with gold != 0, still scored against the crowd label
} PairSel;

// The default: every pair, against crowd labels.
PairSel pairsel_all(void);

// Correct pairs (ties count 1/2, so k may be a half-integer) out of n.
typedef struct {
    double k;
    size_t n;
} AccCount;

// Count over pairs idx[0..nidx-1] (idx NULL: all pairs) of every record in g.
// pm_count keeps, per PM record, the score of each pair under the last few
// selections it was asked for (a bootstrap asks for the same ones thousands of
// times); pm_sel_free releases them (pmrec_free calls it).
void pm_sel_free(PMRec *r);
AccCount pm_count(const PMRec *const *g, int ng, const size_t *idx, size_t nidx, const PairSel *s);

// k/n with a 95% Wilson interval (k may be fractional); n = 0 gives NaNs.
StatsCI acc_ci(AccCount c);

// ------------------------------------------------------------ sweeps

// The sweeps of a run, recognised from /job attributes (see pmdata.h).
typedef struct {
    int nscale;
    char scale[16][HH_NAME_LEN];  // by parameter count, ascending
    double nparams[16];
    int pmp_default;              // PMP setting of the main PMs (1 if any size-sweep PM used PMP)
    int has_nopmp, has_pmp;       // size-sweep PMs without / with PMP exist
    int nsize;
    int size[32];                 // size-sweep n_train values, ascending
    double hh_frac;               // helpful fraction of the size sweep
    int mix_n, mix_pmp;           // the mix sweep's n_train and PMP (mix_n = 0: no mix sweep)
    int nmix;
    double mix[32];               // helpful fractions of the mix sweep, ascending
} Sweeps;

void sweeps_find(const RunData *rd, Sweeps *sw);

// Records of one configuration (all seeds) into g (capacity max); returns the
// count. kind 0: size sweep (n_train, pmp as given); 1: mix sweep (help_frac
// as given; n_train and pmp from sw).
int pm_group(const RunData *rd, const Sweeps *sw, int kind, const char *scale, int n_train,
             double help_frac, int pmp, const PMRec **g, int max);

// ------------------------------------------------------------ fits

// acc = a + b ln P + c ln N by ordinary least squares, with the ratio c/b by
// the delta method (95% interval: ratio -+ t(dof) se).
typedef struct {
    double coef[3], se[3], lo[3], hi[3];  // a, b, c
    double cov[9];
    double ratio, ratio_se, ratio_lo, ratio_hi;
    double r2, chisq;
    size_t n, dof;
} LogLinFit;

int pm_fit_loglinear(const double *P, const double *N, const double *acc, size_t n, LogLinFit *f,
                     HHErr *err);

// ------------------------------------------------------------ calibration

// Reliability of the PM's probability that the higher-scored response is the
// chosen one, p = sigmoid(|margin|), against the outcome (margin > 0), over
// nbins equal bins of [0, 1] (only [0.5, 1] can be filled); ties are skipped.
// idx as in pm_count. bins may be NULL (ECE only).
int pm_calibration(const PMRec *const *g, int ng, const size_t *idx, size_t nidx, const PairSel *s,
                   size_t nbins, StatsCalBin *bins, double *ece, HHErr *err);

// The ECE (nbins bins) of the pairs idx[0..n) as a bootstrap statistic: ctx is
// a PMEceCtx. Used by pm_boot for ECE intervals.
typedef struct {
    const PMRec *const *g;
    int ng;
    PairSel s;
    size_t nbins;
} PMEceCtx;
double pm_ece_stat(const size_t *idx, size_t n, void *ctx);

// Mean ECE (same bins) of a perfectly calibrated PM with these predictions:
// outcomes drawn from Bernoulli(p), reps times from r. The finite-sample floor
// of the ECE.
int pm_ece_null(const PMRec *const *g, int ng, const PairSel *s, size_t nbins, int reps,
                gsl_rng *r, double *mean, HHErr *err);

// Accuracy by |margin| bin (paper Fig. 9) over [0, dmax) in nbins bins.
int pm_margin_bins(const PMRec *const *g, int ng, const PairSel *s, double dmax, size_t nbins,
                   StatsAccBin *bins, HHErr *err);

// The q-quantile (0..1) of |margin| over the selected pairs (0 if none).
double pm_margin_quantile(const PMRec *const *g, int ng, const PairSel *s, double q);

// The selection of the primary PM scaling statistic: surface-matched helpful
// pairs (differs == 0) with a gold preference, scored against gold.
PairSel pairsel_matched(void);

// ------------------------------------------------------------ bootstrap

// A statistic of a resample of pooled pair indices.
typedef double (*PMStatFn)(const size_t *idx, size_t n, void *ctx);

// Percentile bootstrap over the npairs pooled held-out pairs (paired across
// PMs: every PM sees the same resample); B resamples from r.
int pm_boot(PMStatFn fn, void *ctx, size_t npairs, size_t B, gsl_rng *r, StatsCI *out, HHErr *err);

// ------------------------------------------------------- seeds x pairs

// Hierarchical bootstrap over PM seeds and held-out pairs (stats_hboot_ci):
// a resample draws U seed slots with replacement, then the pairs of each slot
// with replacement. A statistic reads group g (records of one configuration,
// one per seed) at slot k as record g[seeds[k] % ng] on pairs
// items[k * npairs ...]: groups of one statistic are paired by seed index
// (seed s of every configuration shares its data subset in hhsim), and every
// record sees the same pair resample in a slot.
typedef double (*PMHStatFn)(const size_t *seeds, const size_t *items, size_t U, size_t npairs,
                            void *ctx);

// Percentile interval of fn over B resamples from r; U = number of seeds
// (>= 2: with one seed retraining is not covered and the caller must say so).
int pm_hboot(PMHStatFn fn, void *ctx, size_t U, size_t npairs, size_t B, gsl_rng *r, StatsCI *out,
             HHErr *err);

// Count over the resample's slots: record g[seeds[k] % ng] on its pairs.
AccCount pm_count_h(const PMRec *const *g, int ng, const size_t *seeds, const size_t *items,
                    size_t U, size_t npairs, const PairSel *s);

// Accuracy k/n of pm_count_h (NaN when nothing is selected).
double pm_acc_h(const PMRec *const *g, int ng, const size_t *seeds, const size_t *items, size_t U,
                size_t npairs, const PairSel *s);

// ECE and signed ECE (sum_b w_b (mean_pred_b - obs_b): > 0 over-confident,
// < 0 under-confident) in nbins bins of p = sigmoid(|margin|) over the slots.
int pm_calibration_h(const PMRec *const *g, int ng, const size_t *seeds, const size_t *items,
                     size_t U, size_t npairs, const PairSel *s, size_t nbins, StatsCalBin *bins,
                     double *ece, double *sece, HHErr *err);

// The identity resample (every seed once, every pair once) for estimates:
// seeds[0..U), items[0..U*npairs). malloc'd; free both.
int pm_identity(size_t U, size_t npairs, size_t **seeds, size_t **items, HHErr *err);

#endif
