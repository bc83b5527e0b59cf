// rlreport.h - the RLHF and best-of-n figures and tables of hhfit (sim/stages/rl.h
// runs, read by rldata.h), and the fits behind them. Each rlreport_X writes
// its table(s) into tables.h5 and one self-contained gnuplot script (its
// datablocks printed from those tables, gp_tab_block); a run
// without RL (or best-of-n) files writes the tables empty with attribute
// `missing` and no script. Schema in analysis/README.md.
//
//   rlreport_runs      /rl_runs                          every rl/ and bon/ file read
//   rlreport_fig13     /fig13_reward_vs_sqrt_kl, /fit_reward_sqrt_kl   fig13_reward_vs_sqrt_kl.gp
//   rlreport_fig04     /fig04_train_vs_test_pm           fig04_train_vs_test_pm.gp
//   rlreport_fig33     /fig33_test_pm_end                fig33_test_pm_end.gp
//   rlreport_fig14     /fig14_benign_vs_redteam          fig14_benign_vs_redteam.gp
//   rlreport_help_harm /rl_help_harm                     rl_help_harm.gp
//   rlreport_overopt   /beyond_gold_vs_sqrt_kl, /fit_overoptimization  beyond_overoptimization.gp
// The run set (sim/stages/rl.h): every policy vs the largest PM; every policy vs its
// own-scale PM (scored also by the largest PM); the largest policy vs every
// PM scale; variants "hh" and "helpful"; best-of-n for each (seed 0).
#ifndef HHFIT_RLREPORT_H
#define HHFIT_RLREPORT_H

#include <stddef.h>

#include "hherr.h"
#include "report.h"
#include "rldata.h"
#include "stats.h"

// ----------------------------------------------------------------- fits

// Gao et al. (2022) forms of the gold reward gain R(d) = U(d) - U(0) against
// d = sqrt(KL): best-of-n R = d (a - b d); RL R = d (a - b ln d).
typedef enum { RL_GAO_BON = 0, RL_GAO_RL = 1 } RLGaoForm;

typedef struct {
    double a, b;              // gold units per sqrt(nat); b > 0: the gain peaks and falls
    double se_a, se_b, cov_ab;
    double a_lo, a_hi, b_lo, b_hi;  // 95%, estimate -+ t(0.975, dof) se
    double chisq, sd_resid;
    double d_peak, gain_peak; // argmax of R (bon a / 2b; RL exp(a/b - 1)) and R there; NaN if b <= 0
    size_t n, dof, iter;      // points used (d > 0), n - 2, solver iterations
    int converged, gsl_status;
} RLGaoFit;

// R(d) of the form.
double rl_gao_eval(RLGaoForm form, double a, double b, double d);

// Fit the form to the points with d > 0 (d = 0 carries no information: both
// forms are 0 there) by stats_nlfit (Levenberg-Marquardt, analytic Jacobian)
// from a = least-squares slope of y on d through 0, b = 0. At least 3 points
// with d > 0 and finite y, else HH_EINPUT. Non-convergence is reported in
// out->converged, not as an error.
int rl_fit_gao(RLGaoForm form, const double *d, const double *y, size_t n, RLGaoFit *out,
               HHErr *err);

// 95% interval of the R^2 of a straight-line fit over n >= 4 points from the
// Fisher z interval of the correlation |r| = sqrt(R^2): tanh(atanh|r| -+
// 1.96 / sqrt(n - 3)), squared (a lower end below 0 gives 0). Treats the
// points as independent.
void rl_r2_interval(double r2, size_t n, double *lo, double *hi);

// rl_fit_gao of a run's gold utility gain U - U(first row) against d: bon = 1
// a best-of-n table (d = sqrt(kl_exact), form d (a - b d)), bon = 0 an RL
// curve (d = sqrt_kl, form d (a - b ln d)). U as in rldata.h.
int rl_gao_run(const RLRec *r, int bon, RLGaoFit *fit, HHErr *err);

// A reward trajectory y against d = sqrt(KL) fitted over the evaluations
// after iteration 0 (every run starts at d = 0; excluding it removes the
// origin's leverage): the straight line y = c0 + c1 d, and the quadratic
// y = a + b x + c x^2 in x = d / d_max (d_max the largest d of those points),
// whose slope at the end of the range reached over its slope at the start is
// end_slope_ratio = (b + 2c) / b: 1 linear, < 1 saturating, > 1 accelerating.
typedef struct {
    StatsLinfit line;
    int line_ok;              // >= 3 points
    double b, c, b_se, c_se, c_lo, c_hi;  // quadratic (score units over the range), 95% Student t
    double end_slope_ratio, d_max;
    int quad_ok;              // >= 4 points
    size_t n;                 // points used
} RLTrajFit;

// Fit a trajectory: iter[i] > 0 selects the points; non-finite ones are skipped.
int rl_fit_traj(const double *iter, const double *d, const double *y, int n, RLTrajFit *out);

// Least-squares line y = c0 + c1 x over the finite points of a curve.
int rl_fit_line(const double *x, const double *y, int n, StatsLinfit *f, HHErr *err);

// ------------------------------------------------------------- figures

int rlreport_runs(Report *R, const RLData *D, HHErr *err);
int rlreport_fig13(Report *R, const RLData *D, HHErr *err);
int rlreport_fig04(Report *R, const RLData *D, HHErr *err);
int rlreport_fig33(Report *R, const RLData *D, HHErr *err);
int rlreport_fig14(Report *R, const RLData *D, HHErr *err);
int rlreport_help_harm(Report *R, const RLData *D, HHErr *err);
int rlreport_overopt(Report *R, const RLData *D, HHErr *err);

#endif
