// stats.h - the statistics behind hhsim's figures and claims: straight-line,
// multilinear and nonlinear least squares with standard errors and 95%
// intervals; calibration tables (reliability bins, ECE, accuracy by score
// margin); Wilson, Student-t and bootstrap intervals; Elo / Bradley-Terry
// ratings by maximum likelihood.
//
// Conventions (GSL's, see STYLE.md):
// - Names are stats_verb. Heap objects come from stats_X_alloc and go back
//   through stats_X_free, which accepts NULL. An object holds its results in
//   public fields and its workspace in fields ending in '_' (do not touch).
// - A function that can fail takes `HHErr *err` last and returns 0, HH_EINPUT
//   (bad arguments; all are checked before any work and nothing is changed)
//   or HH_EFAIL (numerical failure or out of memory). Nothing prints or exits.
// - Every function that calls GSL first calls gsl_set_error_handler_off(), so
//   a GSL error comes back as a status (and then an HHErr), never an abort.
// - Randomness only from a caller-supplied gsl_rng: same rng state, same
//   answer.
// - "95%" intervals are two-sided: estimate +- t(0.975, dof) * SE for fits.
#ifndef HHSIM_STATS_H
#define HHSIM_STATS_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "hherr.h"

// How weights w_i are read by the weighted fits.
typedef enum {
    // w_i = 1/sigma_i^2 with sigma_i known: covariance (X'WX)^-1 as is (GSL's
    // gsl_fit_wlinear / gsl_multifit_wlinear convention).
    STATS_WEIGHTS_ABSOLUTE = 0,
    // w_i known only up to a common factor: covariance (X'WX)^-1 scaled by
    // chi^2/dof, so constant weights give the unweighted fit's errors.
    STATS_WEIGHTS_RELATIVE = 1,
} StatsWeightScale;

// ---------------------------------------------------------------- line fit

// A fit of y = c0 + c1 x. Unweighted: chisq is the residual sum of squares
// and the covariance is s^2 (X'X)^-1 with s^2 = chisq/dof. Weighted: chisq =
// sum w_i r_i^2 and the covariance follows the StatsWeightScale.
typedef struct {
    double c0, c1;            // intercept, slope
    double se_c0, se_c1;      // standard errors: sqrt(cov00), sqrt(cov11)
    double cov00, cov01, cov11;
    double c0_lo, c0_hi;      // 95% CI of c0, Student t with dof
    double c1_lo, c1_hi;      // 95% CI of c1
    double r2;                // 1 - chisq / sum w (y - ybar_w)^2; NaN if y is constant
    double chisq;             // residual (weighted) sum of squares
    double sd_resid;          // sqrt(chisq / dof)
    size_t n;                 // points used (weighted: points with w > 0)
    size_t dof;               // n - 2
} StatsLinfit;

// Fit y = c0 + c1 x by ordinary least squares (gsl_fit_linear).
// n >= 3, x and y finite, x not all equal.
int stats_fit_linear(const double *x, const double *y, size_t n,
                     StatsLinfit *out, HHErr *err);

// Fit y = c0 + c1 x with weights w >= 0 (gsl_fit_wlinear); points with w = 0
// are ignored. At least 3 points with w > 0 and two distinct x among them.
int stats_fit_wlinear(const double *x, const double *w, const double *y,
                      size_t n, StatsWeightScale scale, StatsLinfit *out,
                      HHErr *err);

// ------------------------------------------------------- multilinear fit

// y = X c for an n x p design matrix X given as rows (row-major, X[i*p+j]).
// Put a column of ones in X for an intercept; e.g. acc = a + b ln P + c ln N
// has rows {1, ln P_i, ln N_i}. Solved by SVD (gsl_multifit_linear_tsvd);
// a rank-deficient X (singular value below 1e-14 of the largest, after
// GSL's column balancing) is an HH_EFAIL, not a silent minimum-norm answer.
typedef struct {
    size_t n, p, dof;         // dof = n - p
    double *c;                // [p] parameters
    double *se;               // [p] standard errors
    double *lo, *hi;          // [p] 95% CI, Student t with dof
    double *cov;              // [p*p] covariance, row-major
    double chisq;             // residual (weighted) sum of squares
    double sd_resid;          // sqrt(chisq / dof)
    double r2;                // 1 - chisq / sum w (y - ybar_w)^2 (meaningful with an intercept)
    gsl_multifit_linear_workspace *ws_;
    gsl_vector *c_;
    gsl_matrix *cov_;
} StatsMultifit;

// A multilinear fit object for n rows and p columns (1 <= p < n).
StatsMultifit *stats_multifit_alloc(size_t n, size_t p, HHErr *err);
void stats_multifit_free(StatsMultifit *m);

// Fit y = X c by ordinary least squares; X is m->n x m->p, row-major.
int stats_multifit_linear(StatsMultifit *m, const double *X, const double *y,
                          HHErr *err);

// Fit with weights w >= 0 (at least p + 1 positive); dof = (#w > 0) - p.
int stats_multifit_wlinear(StatsMultifit *m, const double *X, const double *w,
                           const double *y, StatsWeightScale scale, HHErr *err);

// --------------------------------------------------------- nonlinear fit

// The model y = f(x; b) with p parameters b. Return a finite value; a
// non-finite one makes the solver step back (and fail if at the start).
typedef double (*StatsModelFn)(double x, const double *b, void *data);
// Its gradient df/db_k at x into grad[0..p-1].
typedef void (*StatsModelGradFn)(double x, const double *b, void *data,
                                 double *grad);

typedef struct {
    size_t maxiter;           // default 500
    double xtol;              // step tolerance, default 1e-12
    double gtol;              // gradient tolerance, default 1e-12
    StatsWeightScale scale;   // weighted fits only; default RELATIVE
} StatsNlfitOpts;

// The defaults above.
StatsNlfitOpts stats_nlfit_opts_default(void);

// Nonlinear least squares by GSL's trust-region Levenberg-Marquardt
// (gsl_multifit_nlinear_trust, Marquardt scaling). Standard errors are
// sqrt(diag(J'J)^-1 * chisq/dof) at the solution (unweighted, or weighted
// with RELATIVE scale); ABSOLUTE weights leave (J'WJ)^-1 unscaled.
typedef struct {
    size_t n, p, dof;
    double *b;                // [p] parameters
    double *se;               // [p] standard errors
    double *cov;              // [p*p] covariance, row-major
    double chisq;             // sum w (f(x_i; b) - y_i)^2 at b
    double sd_resid;          // sqrt(chisq / dof)
    size_t iter;              // iterations taken
    int converged;            // 1 if xtol or gtol was met
    int gsl_status;           // the driver's status (0, GSL_EMAXITER, GSL_ENOPROG, ...)
    gsl_multifit_nlinear_workspace *ws_;
    gsl_matrix *cov_;
    double *bbuf_;
    const double *x_, *y_;
    StatsModelFn f_;
    StatsModelGradFn df_;
    void *data_;
} StatsNlfit;

// A nonlinear fit object for n points and p parameters (1 <= p < n).
StatsNlfit *stats_nlfit_alloc(size_t n, size_t p, HHErr *err);
void stats_nlfit_free(StatsNlfit *nl);

// Fit y_i = f(x_i; b) from the start values b0[p]. grad may be NULL: the
// Jacobian is then taken by central differences. w may be NULL (unweighted)
// or n weights > 0. opts may be NULL (defaults). Not converging within
// maxiter (or the solver making no progress) is not an error: the results
// are filled, converged = 0 and gsl_status says why; check converged.
int stats_nlfit(StatsNlfit *nl, StatsModelFn f, StatsModelGradFn grad,
                void *data, const double *x, const double *y, const double *w,
                const double *b0, const StatsNlfitOpts *opts, HHErr *err);

// ------------------------------------------------------------ intervals

// An estimate with a two-sided interval [lo, hi] and a standard error.
typedef struct {
    double est, lo, hi, se;
    size_t n;
} StatsCI;

// Wilson score interval for k successes in n trials at level conf (0, 1):
// (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), z the normal
// (1+conf)/2 quantile. n >= 1, k <= n.
int stats_wilson(size_t k, size_t n, double conf, double *lo, double *hi,
                 HHErr *err);

// Wilson score interval for the mean m of n values in [0, 1] (n > 0, m in
// [0, 1]): the formula above with p = m (k = m n need not be an integer). For
// 0/1 values it is Wilson's interval; for values anywhere in [0, 1] it is
// conservative, since a variable in [0, 1] with mean m has variance at most
// m (1 - m), the variance the formula assumes.
int stats_wilson_mean(double m, double n, double conf, double *lo, double *hi,
                      HHErr *err);

// MOVER interval (method of variance estimates recovery; Zou & Donner 2008,
// Newcombe 1998's method 10 for two proportions) of L = sum_i c_i theta_i
// from k independent estimates theta_i with their own intervals [l_i, u_i]:
//   lo = L - sqrt(sum_i (c_i theta_i - min(c_i l_i, c_i u_i))^2)
//   hi = L + sqrt(sum_i (max(c_i l_i, c_i u_i) - c_i theta_i)^2)
// so asymmetric (e.g. Wilson) intervals near 0 or 1 carry over. out->se is
// the mean half-width over 1.959964 (a normal-equivalent SE), out->n = k.
int stats_mover(size_t k, const double *c, const double *est, const double *lo,
                const double *hi, StatsCI *out, HHErr *err);

// Accuracy correct/n with its 95% Wilson interval; se = sqrt(p(1-p)/n).
int stats_accuracy_ci(size_t correct, size_t n, StatsCI *out, HHErr *err);

// Mean of x[0..n-1] (n >= 2; e.g. one value per seed) with the Student-t
// interval mean -+ t(n-1, (1+conf)/2) sd/sqrt(n); se = sd/sqrt(n).
int stats_mean_tci(const double *x, size_t n, double conf, StatsCI *out,
                   HHErr *err);

// ------------------------------------------------------------ bootstrap

// A statistic of the resample idx[0..n-1] (indices into the caller's data,
// with repeats) written to *value. Return 0, or non-zero to abort.
typedef int (*StatsStatFn)(const size_t *idx, size_t n, void *data,
                           double *value);

typedef struct {
    size_t n, B;              // sample size, resamples
    size_t *idx_;             // [n]
    double *vals_;            // [B] the resampled statistics
} StatsBoot;

// A bootstrap workspace for samples of n (>= 1) and B (>= 2) resamples.
StatsBoot *stats_boot_alloc(size_t n, size_t B, HHErr *err);
void stats_boot_free(StatsBoot *bt);

// Percentile bootstrap: est = stat(0..n-1); B resamples of n indices drawn
// uniformly with replacement from r; lo/hi are the (1-conf)/2 and (1+conf)/2
// quantiles of the B statistics (gsl_stats_quantile_from_sorted_data); se is
// their standard deviation. Deterministic given the state of r.
int stats_boot_ci(StatsBoot *bt, StatsStatFn stat, void *data, double conf,
                  gsl_rng *r, StatsCI *out, HHErr *err);

// stats_boot_ci of the mean of x[0..bt->n-1].
int stats_boot_mean_ci(StatsBoot *bt, const double *x, double conf,
                       gsl_rng *r, StatsCI *out, HHErr *err);

// Two-way bootstrap for units crossed with items, e.g. one test set of n
// pairs scored by models retrained with U seeds: each resample draws U units
// with replacement and, once, n items with replacement that every drawn unit
// shares (the items are the same for every unit: each seed answers the same
// test pairs, eval items or prompts). Interval widths then cover the
// variation between units (retraining) as well as the test-set sampling,
// which every unit shares and so does not average away over units. (Drawing
// items independently per unit, as for items nested in units, divides the
// item variance by U when the items are in fact shared: intervals too narrow.
// For truly nested items the shared draw is still a valid resample of each
// unit's items.)
//
// The statistic gets the resample as units[k] (k < U: which unit fills slot
// k) and items[k * n + i] (i < n: which item of that unit): est is
// stat(identity units, identity items).
typedef int (*StatsHierStatFn)(const size_t *units, const size_t *items, size_t U, size_t n,
                               void *data, double *value);

typedef struct {
    size_t U, n, B;           // units, items per unit, resamples
    size_t *units_;           // [U]
    size_t *items_;           // [U * n]
    double *vals_;            // [B]
} StatsHBoot;

// A workspace for U >= 1 units of n >= 1 items and B >= 2 resamples.
StatsHBoot *stats_hboot_alloc(size_t U, size_t n, size_t B, HHErr *err);
void stats_hboot_free(StatsHBoot *hb);

// Percentile interval (as stats_boot_ci) of the hierarchical bootstrap above;
// se = sd of the B statistics. Deterministic given the state of r. With U = 1
// the unit stage is void and only items are resampled (a caller that needs
// retraining covered should refuse U < 2 itself).
int stats_hboot_ci(StatsHBoot *hb, StatsHierStatFn stat, void *data, double conf, gsl_rng *r,
                   StatsCI *out, HHErr *err);

// stats_hboot_ci of the grand mean of x[u * n + i] (U rows of n items).
int stats_hboot_mean_ci(StatsHBoot *hb, const double *x, double conf, gsl_rng *r, StatsCI *out,
                        HHErr *err);

// ---------------------------------------------------------- calibration

// One reliability bin [lo, hi) of predicted probability (the last is [lo, 1]).
typedef struct {
    double lo, hi;
    size_t count;
    double mean_pred;         // mean p_i in the bin; NaN if empty
    double obs_freq;          // fraction y_i = 1;    NaN if empty
    double ci_lo, ci_hi;      // 95% Wilson interval of obs_freq; NaN if empty
} StatsCalBin;

// Reliability table of n predictions p_i in [0, 1] (P(outcome) =
// sigmoid(score difference)) against outcomes y_i in {0, 1}, in nbins
// equal-width bins over [0, 1] written to bins[0..nbins-1]; *ece (may be
// NULL) = sum_b (count_b / n) |obs_freq_b - mean_pred_b|.
int stats_calibration(const double *p, const int *y, size_t n, size_t nbins,
                      StatsCalBin *bins, double *ece, HHErr *err);

// One bin [lo, hi) of |score difference| (paper Fig. 9).
typedef struct {
    double lo, hi, centre;
    size_t count, correct;    // pairs; pairs where the higher-scored one was chosen
    double acc;               // correct / count; NaN if empty
    double ci_lo, ci_hi;      // 95% Wilson interval of acc; NaN if empty
    double ideal;             // sigmoid(centre): accuracy if perfectly calibrated
    double ideal_mean;        // mean sigmoid(|d_i|) over the bin; NaN if empty
} StatsAccBin;

// Accuracy against score margin: d_i = score(A_i) - score(B_i) (nats, so
// P(A > B) = sigmoid(d)), y_i = 1 if A_i was chosen. Pair i is correct when
// sign(d_i) agrees with y_i. nbins equal-width bins over [0, dmax); |d| >=
// dmax goes into the last bin. Pairs with d_i == 0 are not binned and are
// counted in *ties (may be NULL).
int stats_accuracy_by_margin(const double *d, const int *y, size_t n,
                             double dmax, size_t nbins, StatsAccBin *bins,
                             size_t *ties, HHErr *err);

// ------------------------------------------------------------------ Elo

// Elo ratings E_i for K players by maximum likelihood under Bradley-Terry,
// P(i beats j) = 1/(1 + 10^(-(E_i - E_j)/400)), with E_pin = 0. Newton's
// method from E = 0 on the concave log-likelihood (Cholesky solves, step
// halving), stopping when the Newton step is below 1e-10 natural-log units
// (4e-8 Elo); not stopping within 200 iterations is HH_EFAIL. Standard errors
// and covariance from the inverse observed information at the solution.
typedef struct {
    size_t K;
    double *elo;              // [K] ratings, elo[pin] = 0
    double *se;               // [K] standard errors (0 for the pinned player)
    double *cov;              // [K*K] covariance in Elo^2, row-major
    double loglik;            // log-likelihood at the solution
    size_t iter;              // Newton iterations
    gsl_matrix *H_;           // (K-1) x (K-1) information
    gsl_vector *g_, *step_;   // K-1
    double *th_, *thn_;       // K, natural-log units
    size_t *stack_;           // K, connectivity check
    unsigned char *seen_;     // K
} StatsElo;

// An Elo workspace for K >= 2 players.
StatsElo *stats_elo_alloc(size_t K, HHErr *err);
void stats_elo_free(StatsElo *e);

// Fit from wins[i*K + j] = games i won against j (>= 0; a tie may be half a
// win each way; the diagonal is ignored). The MLE exists only when every
// split of the players into two groups has wins both ways across it (the
// "beat" graph is strongly connected); otherwise HH_EINPUT naming a player.
int stats_elo_fit(StatsElo *e, const double *wins, size_t pin, HHErr *err);

// ------------------------------------------------------------- helpers

// 1/(1 + e^-x) without overflow for any x (0 and 1 at +-inf; NaN stays NaN).
double stats_sigmoid(double x);

// log(sigmoid(x)) without overflow or cancellation.
double stats_log_sigmoid(double x);

// P(i beats j) for an Elo difference d = E_i - E_j: 1/(1 + 10^(-d/400)).
double stats_elo_prob(double d);

#endif
