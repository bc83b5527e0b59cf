// rlreport.c - RLHF and best-of-n: Figs. 4, 13, 14, 33, helpful-only vs HH,
// and gold reward vs sqrt(KL) after Gao et al. 2022. See rlreport.h.
#include "rlreport.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#define MAXS 32  // scales

// ---------------------------------------------------------------------------
// fits

double rl_gao_eval(RLGaoForm form, double a, double b, double d) {
    if (!(d > 0)) return 0;
    return form == RL_GAO_BON ? d * (a - b * d) : d * (a - b * log(d));
}

static double gao_f(double x, const double *b, void *data) {
    return rl_gao_eval(*(const RLGaoForm *)data, b[0], b[1], x);
}

static void gao_df(double x, const double *b, void *data, double *g) {
    (void)b;
    g[0] = x;
    g[1] = *(const RLGaoForm *)data == RL_GAO_BON ? -x * x : -x * log(x);
}

int rl_fit_gao(RLGaoForm form, const double *d, const double *y, size_t n, RLGaoFit *out,
               HHErr *err) {
    memset(out, 0, sizeof *out);
    out->d_peak = out->gain_peak = NAN;
    if (form != RL_GAO_BON && form != RL_GAO_RL) return hh_fail(err, HH_EINPUT, "rl_fit_gao: unknown form %d", (int)form);
    double *x = malloc(sizeof(double) * (n + 1)), *v = malloc(sizeof(double) * (n + 1));
    if (!x || !v) {
        free(x), free(v);
        return hh_fail(err, HH_EFAIL, "out of memory");
    }
    size_t m = 0;
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i] > 0 && isfinite(d[i]) && isfinite(y[i])) {
            x[m] = d[i], v[m++] = y[i];
            sxy += d[i] * y[i], sxx += d[i] * d[i];
        }
    int rc = 0;
    if (m < 3) rc = hh_fail(err, HH_EINPUT, "rl_fit_gao: %zu points with d > 0 (need at least 3)", m);
    StatsNlfit *nl = rc ? NULL : stats_nlfit_alloc(m, 2, err);
    if (!rc && !nl) rc = err->code;
    RLGaoForm fm = form;
    double b0[2] = {sxx > 0 ? sxy / sxx : 0, 0};
    if (!rc) rc = stats_nlfit(nl, gao_f, gao_df, &fm, x, v, NULL, b0, NULL, err);
    if (!rc) {
        out->a = nl->b[0], out->b = nl->b[1];
        out->se_a = nl->se[0], out->se_b = nl->se[1], out->cov_ab = nl->cov[1];
        out->chisq = nl->chisq, out->sd_resid = nl->sd_resid;
        out->n = m, out->dof = nl->dof, out->iter = nl->iter;
        out->converged = nl->converged, out->gsl_status = nl->gsl_status;
        double t = gsl_cdf_tdist_Pinv(0.975, (double)nl->dof);
        out->a_lo = out->a - t * out->se_a, out->a_hi = out->a + t * out->se_a;
        out->b_lo = out->b - t * out->se_b, out->b_hi = out->b + t * out->se_b;
        if (out->b > 0) {
            out->d_peak = form == RL_GAO_BON ? fmax(out->a / (2 * out->b), 0) : exp(out->a / out->b - 1);
            out->gain_peak = rl_gao_eval(form, out->a, out->b, out->d_peak);
        }
    }
    stats_nlfit_free(nl);
    free(x), free(v);
    return rc;
}

void rl_r2_interval(double r2, size_t n, double *lo, double *hi) {
    *lo = *hi = NAN;
    if (!isfinite(r2) || n < 4) return;
    if (r2 >= 1) {
        *lo = *hi = 1;
        return;
    }
    double r = sqrt(r2 > 0 ? r2 : 0), z = atanh(r), h = 1.959963984540054 / sqrt((double)n - 3);
    double rl = tanh(z - h), rh = tanh(z + h);
    *lo = rl > 0 ? rl * rl : 0;
    *hi = rh * rh;
}

int rl_fit_traj(const double *iter, const double *d, const double *y, int n, RLTrajFit *out) {
    memset(out, 0, sizeof *out);
    out->b = out->c = out->b_se = out->c_se = out->c_lo = out->c_hi = NAN;
    out->end_slope_ratio = out->d_max = NAN;
    double xs[RL_MAXPT], ys[RL_MAXPT];
    size_t m = 0;
    for (int i = 0; i < n && m < RL_MAXPT; i++)
        if (iter[i] > 0 && isfinite(d[i]) && isfinite(y[i])) {
            xs[m] = d[i], ys[m++] = y[i];
            out->d_max = m == 1 ? d[i] : fmax(out->d_max, d[i]);
        }
    out->n = m;
    HHErr e;
    out->line_ok = m >= 3 && stats_fit_linear(xs, ys, m, &out->line, &e) == 0;
    if (m < 4 || !(out->d_max > 0)) return 0;
    double *X = malloc(sizeof(double) * 3 * m);
    StatsMultifit *mf = X ? stats_multifit_alloc(m, 3, &e) : NULL;
    if (mf) {
        for (size_t i = 0; i < m; i++) {
            double x = xs[i] / out->d_max;
            X[3 * i] = 1, X[3 * i + 1] = x, X[3 * i + 2] = x * x;
        }
        if (stats_multifit_linear(mf, X, ys, &e) == 0) {
            out->quad_ok = 1;
            out->b = mf->c[1], out->c = mf->c[2], out->b_se = mf->se[1], out->c_se = mf->se[2];
            out->c_lo = mf->lo[2], out->c_hi = mf->hi[2];
            out->end_slope_ratio = (out->b + 2 * out->c) / out->b;
        }
    }
    stats_multifit_free(mf);
    free(X);
    return 0;
}

int rl_fit_line(const double *x, const double *y, int n, StatsLinfit *f, HHErr *err) {
    double xs[RL_MAXPT], ys[RL_MAXPT];
    size_t m = 0;
    for (int i = 0; i < n && m < RL_MAXPT; i++)
        if (isfinite(x[i]) && isfinite(y[i])) xs[m] = x[i], ys[m++] = y[i];
    return stats_fit_linear(xs, ys, m, f, err);
}

// ---------------------------------------------------------------------------
// helpers

static int end_of(const RLRec *r) {
    return r->n - 1;
}

// ---------------------------------------------------------------------------
// /rl_runs

int rlreport_runs(Report *R, const RLData *D, HHErr *err) {
    Tab *t = tab_alloc("rl_runs",
        "every RL run (rl/*.h5; end = last evaluation) and best-of-n table (bon/*.h5; end = largest n) "
        "of the run, with its /job attributes; gold utility U = gold help on non-red-team prompts - "
        "gold harm on red-team prompts (see analysis/README.md)",
        "kind:s:-;name:s:-;policy:s:-;pm_scale:s:-;variant:s:-;seed:i:index;train_pm:s:-;test_pm:s:-;"
        "big_pm:s:-;pm_params:f:parameters;rows:i:evaluations or n values;kl_end:f:nats;"
        "train_pm_end:f:normalised score;test_pm_end:f:normalised score;big_pm_end:f:normalised score;"
        "gold_start:f:gold units;gold_end:f:gold units", err);
    if (!t) return err->code;
    tab_attr_str(t, "rl_stop_turn", R->rd->params.rl_stop_turn ? "1: rollouts end at a turn token (BOS, H, A, HHH)"
                                                             : "0: rollouts end at EOS or the length cap");
    if (!D->nrl && !D->nbon) return report_missing(R, t, D->missing_rl, err);
    for (int kind = 0; kind < 2; kind++) {
        int n = kind ? D->nbon : D->nrl;
        for (int k = 0; k < n; k++) {
            const RLRec *r = kind ? &D->bon[k] : &D->rl[k];
            int e = end_of(r);
            size_t i = tab_add_row(t);
            tab_sets(t, i, "kind", kind ? "bon" : "rl"), tab_sets(t, i, "name", r->name);
            tab_sets(t, i, "policy", r->policy), tab_sets(t, i, "pm_scale", r->pm_scale);
            tab_sets(t, i, "variant", r->variant), tab_seti(t, i, "seed", r->seed);
            tab_sets(t, i, "train_pm", r->train_pm), tab_sets(t, i, "test_pm", r->test_pm);
            tab_sets(t, i, "big_pm", r->big_pm), tab_setf(t, i, "pm_params", r->pm_params);
            tab_seti(t, i, "rows", r->n);
            tab_setf(t, i, "kl_end", r->col[kind ? BON_KL_EXACT : RL_KL][e]);
            tab_setf(t, i, "train_pm_end", r->col[kind ? BON_TRAIN : RL_TRAIN][e]);
            tab_setf(t, i, "test_pm_end", r->col[kind ? BON_TEST : RL_TEST][e]);
            tab_setf(t, i, "big_pm_end", r->col[kind ? BON_BIG : RL_BIG][e]);
            tab_setf(t, i, "gold_start", kind ? bon_gold(r, 0) : rl_gold(r, 0));
            tab_setf(t, i, "gold_end", kind ? bon_gold(r, e) : rl_gold(r, e));
        }
    }
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// seeds: every figure table holds the mean across the seeds of a configuration
// with its 95% Student-t interval across seeds (seeds are the replicate);
// the seeds' evaluations are matched by row (the same iterations in each)

#define MAXSEED 64

// Mean of v[0..n-1] with its 95% Student-t interval across seeds into columns
// name, name_lo, name_hi of row r (one seed: all three the value, no interval).
static void band_set(Tab *t, size_t r, const char *name, const double *v, int n) {
    double m = NAN, lo = NAN, hi = NAN;
    StatsCI ci;
    HHErr e;
    if (n == 1) m = lo = hi = v[0];
    else if (n >= 2 && stats_mean_tci(v, (size_t)n, 0.95, &ci, &e) == 0) m = ci.est, lo = ci.lo, hi = ci.hi;
    char c[64];
    tab_setf(t, r, name, m);
    snprintf(c, sizeof c, "%s_lo", name), tab_setf(t, r, c, lo);
    snprintf(c, sizeof c, "%s_hi", name), tab_setf(t, r, c, hi);
}

// The rows every seed has (the shortest), or 0 if the seeds' x column differs.
static int seed_rows(const RLRec *const *runs, int n, int xcol) {
    int m = RL_MAXPT;
    for (int s = 0; s < n; s++) m = runs[s]->n < m ? runs[s]->n : m;
    for (int s = 1; s < n; s++)
        for (int i = 0; i < m; i++)
            if (runs[s]->col[xcol][i] != runs[0]->col[xcol][i]) return 0;
    return n ? m : 0;
}

// A quantity of a record at row i: a column, the gold utility U, U minus its
// value at row 0, a column minus its value at row 0, or train - test PM.
typedef enum { Q_COL, Q_GOLD, Q_GAIN, Q_RISE, Q_GAP } QKind;

static double qval(const RLRec *r, int bon, QKind k, int col, int i) {
    switch (k) {
    case Q_COL: return r->col[col][i];
    case Q_GOLD: return bon ? bon_gold(r, i) : rl_gold(r, i);
    case Q_GAIN: return bon ? bon_gold(r, i) - bon_gold(r, 0) : rl_gold(r, i) - rl_gold(r, 0);
    case Q_RISE: return r->col[col][i] - r->col[col][0];
    case Q_GAP: return r->col[RL_TRAIN][i] - r->col[RL_TEST][i];
    }
    return NAN;
}

// Band columns `name` at row i of the seeds' records.
static void band_q(Tab *t, size_t row, const char *name, const RLRec *const *runs, int n, int bon, QKind k,
                   int col, int i) {
    double v[MAXSEED];
    for (int s = 0; s < n; s++) v[s] = qval(runs[s], bon, k, col, i);
    band_set(t, row, name, v, n);
}

// Band columns sqrt_kl (RL) or d (best-of-n: sqrt(kl_exact)).
static void band_d(Tab *t, size_t row, const char *name, const RLRec *const *runs, int n, int bon, int i) {
    double v[MAXSEED];
    for (int s = 0; s < n; s++) v[s] = bon ? sqrt(fmax(runs[s]->col[BON_KL_EXACT][i], 0)) : runs[s]->col[RL_SQRT_KL][i];
    band_set(t, row, name, v, n);
}

// Column spec "name:f:U;name_lo:f:U;name_hi:f:U;" into buf.
static const char *bandspec(char *buf, size_t n, const char *names, const char *units) {
    size_t L = 0;
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", names);
    for (char *tok = strtok(tmp, " "); tok && L < n; tok = strtok(NULL, " "))
        L += (size_t)snprintf(buf + L, n - L, "%s:f:%s;%s_lo:f:%s;%s_hi:f:%s;", tok, units, tok, units, tok, units);
    if (L && L < n) buf[L - 1] = '\0';
    return buf;
}

static int lt(const Report *R, const char *scale) {
    return report_lt(R, scale);
}

static const char *SQRT_KL_LABEL = "sqrt(KL({/Symbol p} || {/Symbol p}_0))  (nats^{1/2}, held-out prompts)";
static const char *SEEDS_DESC = "; each value is the mean across the seeds of the configuration with its 95% "
                                "Student-t interval across seeds (_lo, _hi; with one seed both equal the value: no interval)";
// A figure table of seed means: columns head, then each band (name, _lo, _hi
// in units[k]), then tail (either may be ""); the description gets SEEDS_DESC.
static Tab *band_tab(const char *name, const char *desc, const char *head, const char *const *bands,
                     const char *const *units, int nb, const char *tail, HHErr *err) {
    char spec[4096], d[2048], b[512];
    size_t L = (size_t)snprintf(spec, sizeof spec, "%s", head);
    for (int k = 0; k < nb && L < sizeof spec; k++)
        L += (size_t)snprintf(spec + L, sizeof spec - L, "%s%s", L ? ";" : "", bandspec(b, sizeof b, bands[k], units[k]));
    if (tail[0] && L < sizeof spec) snprintf(spec + L, sizeof spec - L, ";%s", tail);
    snprintf(d, sizeof d, "%s%s", desc, SEEDS_DESC);
    return tab_alloc(name, d, spec, err);
}

// Legends beside the plot, never on the data. Fitted lines are drawn bold
// over the intervals (band_xbars) so they stay readable.
static const char *BOLD_FIT = "lw 3";
static const char *KEY_OUT = "set key below center vertical Left reverse noopaque nobox maxcols 2\n";

// One series of a datablock with columns x y x_lo x_hi y_lo y_hi (block idx):
// the y interval as a light band, the x interval as thin bars through the
// points, then `title` (a gnuplot title clause) on the points. Several
// series with two-way intervals stay readable where crossed bars did not.
static void band_xbars(FILE *f, const char *blk, size_t idx, int L, const char *title) {
    fprintf(f, "%s index %zu u 1:5:6 w filledcurves lt %d fs transparent solid 0.13 notitle, "
               "%s index %zu u 1:2:3:4 w xerrorbars lt %d lw 0.5 ps 0.7 %s, ", blk, idx, L, blk, idx, L, title);
}

// ---------------------------------------------------------------------------
// Fig. 13: reward vs sqrt(KL), per policy scale, seeds as replicates

static const char *PANEL13[2] = {"train_pm_vs_largest_pm", "big_pm_vs_own_pm"};

static int fig13_tabs(Tab **t, HHErr *err) {
    char b1[512], b2[512];
    char d0[1024];
    snprintf(d0, sizeof d0, "PM score of held-out samples during PPO (variant hh) against sqrt(KL(pi || pi_0)) "
             "at each evaluation: panel train_pm_vs_largest_pm = every policy scale trained against the largest "
             "PM, score = its train-PM reward (Fig. 13 left); panel big_pm_vs_own_pm = every policy trained "
             "against the PM of its own scale, score = the yardstick PM's (one PM and one normalisation for every "
             "run; Fig. 13 right); score_fit = the mean across seeds of the per-seed lines fitted after iteration "
             "0 (/fit_reward_sqrt_kl), at sqrt_kl (NaN at iteration 0)%s", SEEDS_DESC);
    char spec[1024];
    snprintf(spec, sizeof spec, "panel:s:-;policy:s:-;pm_scale:s:-;iter:i:iterations;seeds:i:seeds;%s;%s;"
             "score_fit:f:normalised score", bandspec(b1, sizeof b1, "sqrt_kl", "sqrt(nats)"),
             bandspec(b2, sizeof b2, "score", "normalised score"));
    t[0] = tab_alloc("fig13_reward_vs_sqrt_kl", d0, spec, err);
    t[1] = tab_alloc("fit_reward_sqrt_kl",
        "per run (panel, policy, seed) of /fig13_reward_vs_sqrt_kl, fitted over the evaluations after "
        "iteration 0 (every run starts at sqrt(KL) = 0, which would lever a line): least-squares line score = "
        "intercept + slope sqrt(KL) (slope CI: Student t across the run's evaluations), its r2, and r2_origin "
        "of the same line fitted with iteration 0; quadratic score = a + b x + c x^2 in x = sqrt(KL) / d_max: "
        "quad_c (normalised score over the range reached; Student t) and end_slope_ratio = (b + 2c) / b, the "
        "slope at the end of the range reached over the slope at its start (1 linear, < 1 saturating)",
        "panel:s:-;policy:s:-;pm_scale:s:-;seed:i:index;intercept:f:normalised score;"
        "slope:f:normalised score per sqrt(nat);slope_lo:f:normalised score per sqrt(nat);"
        "slope_hi:f:normalised score per sqrt(nat);r2:f:1;r2_origin:f:1;quad_c:f:normalised score;"
        "quad_c_lo:f:normalised score;quad_c_hi:f:normalised score;end_slope_ratio:f:1;d_max:f:sqrt(nats);"
        "n:i:points", err);
    snprintf(d0, sizeof d0, "per (panel, policy) of /fit_reward_sqrt_kl: the seeds' no-origin slopes, "
             "intercepts and end/start slope ratios%s", SEEDS_DESC);
    snprintf(spec, sizeof spec, "panel:s:-;policy:s:-;pm_scale:s:-;seeds:i:seeds;intercept:f:normalised score;%s;%s",
             bandspec(b1, sizeof b1, "slope", "normalised score per sqrt(nat)"),
             bandspec(b2, sizeof b2, "end_slope_ratio", "1"));
    t[2] = tab_alloc("fit_reward_sqrt_kl_scale", d0, spec, err);
    if (t[0] && t[1] && t[2]) return 0;
    for (int k = 0; k < 3; k++) tab_free(t[k]);
    return err->code;
}

// The seeds of policy pol in panel p (0: vs the largest PM, 1: vs its own PM), hh.
static int fig13_seeds(const RLData *D, int p, const char *pol, const RLRec **out) {
    return rl_find_all(D, pol, p ? pol : D->big_pm_scale, "hh", out, MAXSEED);
}

// One (panel, policy): per-seed fits (t[1]), their summary (t[2]) and the mean points (t[0]).
static void fig13_rows(Tab **t, const RLRec *const *runs, int n, int p) {
    int col = p ? RL_BIG : RL_TRAIN;
    double sl[MAXSEED], ic[MAXSEED], ra[MAXSEED];
    int nl = 0, nr = 0;
    for (int s = 0; s < n; s++) {
        const RLRec *r = runs[s];
        RLTrajFit F;
        rl_fit_traj(r->col[RL_ITER], r->col[RL_SQRT_KL], r->col[col], r->n, &F);
        StatsLinfit L0;
        HHErr e;
        int ok0 = rl_fit_line(r->col[RL_SQRT_KL], r->col[col], r->n, &L0, &e) == 0;
        size_t row = tab_add_row(t[1]);
        tab_sets(t[1], row, "panel", PANEL13[p]), tab_sets(t[1], row, "policy", r->policy);
        tab_sets(t[1], row, "pm_scale", r->pm_scale), tab_seti(t[1], row, "seed", r->seed);
        tab_setf(t[1], row, "intercept", F.line_ok ? F.line.c0 : NAN);
        tab_setf(t[1], row, "slope", F.line_ok ? F.line.c1 : NAN);
        tab_setf(t[1], row, "slope_lo", F.line_ok ? F.line.c1_lo : NAN);
        tab_setf(t[1], row, "slope_hi", F.line_ok ? F.line.c1_hi : NAN);
        tab_setf(t[1], row, "r2", F.line_ok ? F.line.r2 : NAN), tab_setf(t[1], row, "r2_origin", ok0 ? L0.r2 : NAN);
        tab_setf(t[1], row, "quad_c", F.c), tab_setf(t[1], row, "quad_c_lo", F.c_lo);
        tab_setf(t[1], row, "quad_c_hi", F.c_hi), tab_setf(t[1], row, "end_slope_ratio", F.end_slope_ratio);
        tab_setf(t[1], row, "d_max", F.d_max), tab_seti(t[1], row, "n", (long)F.n);
        if (F.line_ok) sl[nl] = F.line.c1, ic[nl++] = F.line.c0;
        if (F.quad_ok) ra[nr++] = F.end_slope_ratio;
    }
    double a = 0, b = 0;
    for (int k = 0; k < nl; k++) a += ic[k] / nl, b += sl[k] / nl;
    size_t row = tab_add_row(t[2]);
    tab_sets(t[2], row, "panel", PANEL13[p]), tab_sets(t[2], row, "policy", runs[0]->policy);
    tab_sets(t[2], row, "pm_scale", runs[0]->pm_scale), tab_seti(t[2], row, "seeds", n);
    tab_setf(t[2], row, "intercept", nl ? a : NAN);
    band_set(t[2], row, "slope", sl, nl), band_set(t[2], row, "end_slope_ratio", ra, nr);
    int m = seed_rows(runs, n, RL_ITER);
    for (int i = 0; i < m; i++) {
        size_t q = tab_add_row(t[0]);
        tab_sets(t[0], q, "panel", PANEL13[p]), tab_sets(t[0], q, "policy", runs[0]->policy);
        tab_sets(t[0], q, "pm_scale", runs[0]->pm_scale), tab_seti(t[0], q, "iter", lround(runs[0]->col[RL_ITER][i]));
        tab_seti(t[0], q, "seeds", n);
        band_d(t[0], q, "sqrt_kl", runs, n, 0, i), band_q(t[0], q, "score", runs, n, 0, Q_COL, col, i);
        double x = tab_getf(t[0], q, "sqrt_kl");
        tab_setf(t[0], q, "score_fit", i > 0 && nl ? a + b * x : NAN);
    }
}

static void fig13_plot(const Report *R, FILE *f, Tab **t) {
    for (int p = 0; p < 2; p++) {
        TabWhere w = tab_where("panel", PANEL13[p]);
        gp_tab_block(f, p ? "$p1" : "$p0", "sqrt_kl score sqrt_kl_lo sqrt_kl_hi score_lo score_hi score_fit; "
                     "one block per policy", t[0], "sqrt_kl score sqrt_kl_lo sqrt_kl_hi score_lo score_hi score_fit",
                     &w, "policy");
    }
    gp_loop_begin(f, "fig13_reward_vs_sqrt_kl");
    fputs("set multiplot layout 1,2 title \"PM score vs sqrt(KL) during RLHF, variant HH (cf. Bai et al. 2022, "
          "Fig. 13)\\n{/*0.7 points: mean across seeds; bands: the score's 95% t interval; thin bars: sqrt(KL)'s; "
          "dashed: mean of the seeds' lines fitted after iteration 0, drawn over the range reached}\" font \",16\"\n", f);
    fprintf(f, "set xlabel \"%s\"\n%sset offsets 0, graph 0.05, graph 0.05, graph 0.05\nset xrange [0:*]\n"
               "set bars 0.5\n", SQRT_KL_LABEL, KEY_OUT);
    for (int p = 0; p < 2; p++) {
        fprintf(f, "set title \"%s\"\nset ylabel \"%s (normalised score)\"\nplot ",
                p ? "policies trained on own-size PMs, scored by the yardstick PM"
                  : "every policy vs the largest PM (its reward)",
                p ? "yardstick-PM score" : "train-PM reward");
        TabWhere w = tab_where("panel", PANEL13[p]);
        for (size_t r = 0, k = 0; r < t[2]->nrow; r++) {
            if (!tab_match(t[2], r, &w)) continue;
            const char *pol = tab_gets(t[2], r, "policy");
            int L = lt(R, pol);
            char blk[8], ti[256];
            snprintf(blk, sizeof blk, "$p%d", p);
            snprintf(ti, sizeof ti, "title \"policy %s, PM %s: slope %.2f [%.2f, %.2f], end/start %.2f\"", pol,
                     tab_gets(t[2], r, "pm_scale"), tab_getf(t[2], r, "slope"), tab_getf(t[2], r, "slope_lo"),
                     tab_getf(t[2], r, "slope_hi"), tab_getf(t[2], r, "end_slope_ratio"));
            band_xbars(f, blk, k, L, ti);
            fprintf(f, "$p%d index %zu u 1:7 w l %s lt %d dt 2 notitle, \\\n  ", p, k, BOLD_FIT, L);
            k++;
        }
        fputs("0 w l lt 10 title \"initial policy\"\n", f);
    }
    fputs("set bars 1.5\nunset multiplot\n", f);
    gp_loop_end(f);
}

int rlreport_fig13(Report *R, const RLData *D, HHErr *err) {
    Tab *t[3];
    if (fig13_tabs(t, err)) return err->code;
    if (!D->nrl) return report_missing_all(R, t, 3, D->missing_rl, err);
    char pol[MAXS][HH_NAME_LEN];
    int np = rl_scales(D, 0, pol, MAXS);
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < np; i++) {
            const RLRec *runs[MAXSEED];
            int n = fig13_seeds(D, p, pol[i], runs);
            if (n) fig13_rows(t, runs, n, p);
        }
    FILE *f = gp_begin(R->os, R->outdir, "fig13_reward_vs_sqrt_kl",
                       "PM reward vs sqrt(KL) during RLHF (cf. Bai et al. 2022, Fig. 13)", &R->gi, 1700, 900, err);
    if (!f) {
        for (int k = 0; k < 3; k++) tab_free(t[k]);
        return err->code;
    }
    fig13_plot(R, f, t);
    return report_put_all(R, t, 3, err);
}

// ---------------------------------------------------------------------------
// Fig. 4: train vs test PM, largest policy vs every PM scale

// The PM scales the largest policy was trained against (hh), ascending; the seeds of each.
static int big_policy_scales(const RLData *D, char (*pms)[HH_NAME_LEN]) {
    char all[MAXS][HH_NAME_LEN];
    int np = rl_scales(D, 1, all, MAXS), n = 0;
    for (int i = 0; i < np; i++)
        if (rl_find(D, D->big_policy, all[i], "hh")) snprintf(pms[n++], HH_NAME_LEN, "%.*s", HH_NAME_LEN - 1, all[i]);
    return n;
}

int rlreport_fig04(Report *R, const RLData *D, HHErr *err) {
    static const char *const BN[4] = {"sqrt_kl", "train_pm", "test_pm", "gap"};
    static const char *const BU[4] = {"sqrt(nats)", "normalised score", "normalised score", "normalised score"};
    Tab *t = band_tab("fig04_train_vs_test_pm", "the largest policy trained (variant hh) against the train PM (half 0 "
                      "of the data) of every PM scale: train-PM reward and test-PM score (half 1, same scale; both "
                      "normalised on the same initial-policy samples) of the same held-out samples over training; gap = "
                      "train_pm - test_pm (per seed, then averaged); end = 1 on the last evaluation",
                      "policy:s:-;pm_scale:s:-;pm_params:f:parameters;iter:i:iterations;seeds:i:seeds", BN, BU, 4,
                      "end:i:0/1", err);
    if (!t) return err->code;
    if (!D->nrl) return report_missing(R, t, D->missing_rl, err);
    char pms[MAXS][HH_NAME_LEN];
    int npm = big_policy_scales(D, pms);
    if (!npm) return report_missing(R, t, "no hh runs of the largest policy", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig04_train_vs_test_pm",
                       "train-PM vs test-PM score during RLHF (cf. Bai et al. 2022, Fig. 4)", &R->gi, 1700, 900, err);
    if (!f) return tab_free(t), err->code;
    double pmpar[MAXS];
    for (int k = 0; k < npm; k++) {
        const RLRec *runs[MAXSEED];
        int n = rl_find_all(D, D->big_policy, pms[k], "hh", runs, MAXSEED), m = seed_rows(runs, n, RL_ITER);
        pmpar[k] = n ? runs[0]->pm_params : NAN;
        for (int i = 0; i < m; i++) {
            size_t row = tab_add_row(t);
            tab_sets(t, row, "policy", runs[0]->policy), tab_sets(t, row, "pm_scale", pms[k]);
            tab_setf(t, row, "pm_params", runs[0]->pm_params), tab_seti(t, row, "seeds", n);
            tab_seti(t, row, "iter", lround(runs[0]->col[RL_ITER][i]));
            band_d(t, row, "sqrt_kl", runs, n, 0, i);
            band_q(t, row, "train_pm", runs, n, 0, Q_COL, RL_TRAIN, i);
            band_q(t, row, "test_pm", runs, n, 0, Q_COL, RL_TEST, i);
            band_q(t, row, "gap", runs, n, 0, Q_GAP, 0, i);
            tab_seti(t, row, "end", i == m - 1);
        }
    }
    TabWhere end = tab_where("end", "1");
    double px[MAXS];
    size_t npx = tab_values(t, "pm_params", &end, px, MAXS);
    gp_tab_block(f, "$curves", "sqrt_kl train_pm test_pm, with their intervals; one block per PM scale", t,
                 "sqrt_kl train_pm test_pm sqrt_kl_lo sqrt_kl_hi train_pm_lo train_pm_hi test_pm_lo test_pm_hi",
                 NULL, "pm_scale");
    gp_tab_block(f, "$gap", "pm_params gap gap_lo gap_hi pm_scale (end of RL)", t,
                 "pm_params:%.9g gap gap_lo gap_hi pm_scale", &end, NULL);
    // one small panel per PM scale (2 columns), sharing axes: train and test
    // score as lines with 95% bands, sqrt(KL)'s interval as thin bars; the
    // legend once, below the panels; the gap at the end of RL on the right
    double xmax = 0, ylo = 0, yhi = 0;
    int seeds = 0;
    for (size_t r = 0; r < t->nrow; r++) {
        double v = tab_getf(t, r, "sqrt_kl_hi");
        if (isfinite(v) && v > xmax) xmax = v;
        static const char *YC[4] = {"train_pm_lo", "train_pm_hi", "test_pm_lo", "test_pm_hi"};
        for (int c = 0; c < 4; c++) {
            v = tab_getf(t, r, YC[c]);
            if (isfinite(v)) ylo = fmin(ylo, v), yhi = fmax(yhi, v);
        }
        int sd = (int)lround(tab_getf(t, r, "seeds"));
        if (r == 0 || sd < seeds) seeds = sd;
    }
    xmax = xmax > 0 ? ceil(xmax) : 1;
    ylo = floor(ylo * 2) / 2, yhi = ceil(yhi * 2) / 2;
    if (!(yhi > ylo)) yhi = ylo + 1;
    gp_loop_begin(f, "fig04_train_vs_test_pm");
    fprintf(f, "set multiplot title \"Train-PM vs test-PM score during RLHF of policy %s (cf. Bai et al. 2022, Fig. 4)\\n"
               "{/*0.7 one panel per PM size; lines: mean across %d seeds; bands: its 95%% t interval; thin bars: "
               "the 95%% t interval of sqrt(KL); right: the gap at the end of RL}\" font \",16\"\n", D->big_policy, seeds);
    fprintf(f, "set xrange [0:%g]\nset yrange [%g:%g]\nset bars 0.3\nunset key\n", xmax, ylo, yhi);
    int rows = (npm + 1) / 2;
    double top = 0.86, bottom = 0.15, gapy = 0.07, h = (top - bottom - gapy * (rows - 1)) / rows;
    static const double XL[2] = {0.07, 0.36}, XR[2] = {0.31, 0.60};
    for (int k = 0; k < npm; k++) {
        int r = k / 2, c = k % 2;
        double t1 = top - r * (h + gapy), b1 = t1 - h;
        fprintf(f, "set lmargin at screen %.4f\nset rmargin at screen %.4f\nset tmargin at screen %.4f\n"
                   "set bmargin at screen %.4f\nset title \"PM %s (%.3g%s parameters)\" offset 0,-0.6\n",
                XL[c], XR[c], t1, b1, pms[k], pmpar[k] >= 1e6 ? pmpar[k] / 1e6 : pmpar[k] / 1e3,
                pmpar[k] >= 1e6 ? "M" : "k");
        fprintf(f, "set xlabel %s\nset ylabel %s\nset format x %s\n",
                r == rows - 1 || k + 2 >= npm ? "\"sqrt(KL({/Symbol p} || {/Symbol p}_0))  (nats^{1/2})\"" : "\"\"",
                c == 0 ? "\"PM score (sd of initial policy)\"" : "\"\"",
                r == rows - 1 || k + 2 >= npm ? "\"%g\"" : "\"\"");
        if (k == npm - 1)
            fputs("set key at screen 0.335, 0.04 center center vertical Left reverse noopaque nobox samplen 4\n", f);
        fprintf(f, "plot $curves index %d u 1:6:7 w filledcurves lc rgb \"#000000\" fs transparent solid 0.15 notitle, "
                   "$curves index %d u 1:8:9 w filledcurves lc rgb \"#D55E00\" fs transparent solid 0.2 notitle, \\\n"
                   "  $curves index %d u 1:2:4:5 w xerrorbars lc rgb \"#000000\" lw 0.5 pt 7 ps 0.5 notitle, "
                   "$curves index %d u 1:3:4:5 w xerrorbars lc rgb \"#D55E00\" lw 0.5 pt 6 ps 0.6 notitle, \\\n"
                   "  $curves index %d u 1:2 w l lc rgb \"#000000\" lw 2.5 title \"train PM (the reward; data half 0)\", "
                   "$curves index %d u 1:3 w l lc rgb \"#D55E00\" lw 2.5 dt 2 title \"test PM (data half 1, same size)\", "
                   "0 w l lt 10 notitle\n",
                k, k, k, k, k, k);
        fputs("unset key\n", f);
    }
    fputs("set bars 1.5\nset autoscale y\nset format x\nset lmargin at screen 0.71\nset rmargin at screen 0.98\n"
          "set tmargin at screen 0.86\nset bmargin at screen 0.15\n"
          "set title \"end of RL: train-PM minus test-PM score\" offset 0,0\nset xlabel \"PM parameters\"\n"
          "set ylabel \"train - test (normalised score)\"\nset format x \"%.0s%c\"\n"
          "set key at screen 0.845, 0.04 center center vertical Left reverse noopaque nobox\n", f);
    gp_log_xrange(f, px, (int)npx);
    fputs("plot $gap u 1:2:3:4 w yerrorlines lt 9 pt 7 title \"gap at the end of RL (95% t across seeds)\", $gap u 1:2:5 "
          "w labels left offset 0.8,0.6 notitle, 0 w l lt 10 notitle\nunset logscale x\nset format x\nset autoscale x\n"
          "unset multiplot\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// Fig. 33: scores at the end of RL vs PM size, on one yardstick and on gold

// Per-seed least-squares fit of the end-of-RL value (gold: U; else the
// yardstick PM) of the largest policy vs ln(PM parameters); the seeds' mean
// intercept and slope with the slope's Student-t interval across seeds.
static void fig33_fit(const RLData *D, int gold, double out[4]) {
    int seeds[MAXSEED], ns = rl_seed_list(D, seeds, MAXSEED), m = 0;
    double c0[MAXSEED], c1[MAXSEED];
    char pms[MAXS][HH_NAME_LEN];
    int npm = big_policy_scales(D, pms);
    for (int k = 0; k < ns; k++) {
        double x[MAXS], y[MAXS];
        int q = 0;
        for (int i = 0; i < npm; i++) {
            const RLRec *r = rl_find_seed(D, D->big_policy, pms[i], "hh", seeds[k]);
            if (!r || !(r->pm_params > 0)) continue;
            x[q] = log(r->pm_params), y[q++] = gold ? rl_gold(r, r->n - 1) : r->col[RL_BIG][r->n - 1];
        }
        StatsLinfit L;
        HHErr e;
        if (q >= 3 && rl_fit_line(x, y, q, &L, &e) == 0) c0[m] = L.c0, c1[m++] = L.c1;
    }
    out[0] = out[1] = out[2] = out[3] = NAN;
    if (!m) return;
    out[0] = 0;
    for (int k = 0; k < m; k++) out[0] += c0[k] / m;
    StatsCI ci;
    HHErr e;
    if (m >= 2 && stats_mean_tci(c1, (size_t)m, 0.95, &ci, &e) == 0) out[1] = ci.est, out[2] = ci.lo, out[3] = ci.hi;
    else if (m == 1) out[1] = c1[0];
}

// "a + b ln P" with the sign of b written once.
static void fmt_fit(char *buf, size_t n, const char *what, double a, double b, double lo, double hi) {
    snprintf(buf, n, "%s = %.2f %s %.3f ln P (slope 95%% t across seeds [%.3f, %.3f])", what, a, b < 0 ? "−" : "+",
             fabs(b), lo, hi);
}

int rlreport_fig33(Report *R, const RLData *D, HHErr *err) {
    char b[5][512], d0[1400], spec[2400];
    snprintf(d0, sizeof d0, "end of RL (last evaluation), variant hh: series pm_size = the largest policy against "
             "every PM scale; series policy_size = every policy against the largest PM. big_pm = the yardstick "
             "PM (one PM, one normalisation for every run: the fixed judge); gold = gold utility U; test_pm = the "
             "train PM's other data half (own normalisation, so not comparable across PM sizes). Attributes "
             "fit_*: per-seed least-squares lines of big_pm (fit_yard_*) and gold (fit_gold_*) vs ln(pm_params) "
             "over series pm_size; intercept and slope averaged over seeds, slope 95%% Student t across "
             "seeds%s", SEEDS_DESC);
    snprintf(spec, sizeof spec, "series:s:-;policy:s:-;pm_scale:s:-;policy_params:f:parameters;pm_params:f:parameters;"
             "seeds:i:seeds;%s;%s;%s;%s;%s", bandspec(b[0], 512, "sqrt_kl_end", "sqrt(nats)"),
             bandspec(b[1], 512, "train_pm_end", "normalised score"), bandspec(b[2], 512, "test_pm_end", "normalised score"),
             bandspec(b[3], 512, "big_pm_end", "normalised score"),
             bandspec(b[4], 512, "gold_end", "gold utility U"));
    Tab *t = tab_alloc("fig33_test_pm_end", d0, spec, err);
    if (!t) return err->code;
    if (!D->nrl) return report_missing(R, t, D->missing_rl, err);
    char pms[MAXS][HH_NAME_LEN], pol[MAXS][HH_NAME_LEN];
    int npm = big_policy_scales(D, pms), np = rl_scales(D, 0, pol, MAXS);
    for (int sr = 0; sr < 2; sr++)
        for (int k = 0; k < (sr ? np : npm); k++) {
            const RLRec *runs[MAXSEED];
            int n = sr ? rl_find_all(D, pol[k], D->big_pm_scale, "hh", runs, MAXSEED)
                       : rl_find_all(D, D->big_policy, pms[k], "hh", runs, MAXSEED);
            int m = seed_rows(runs, n, RL_ITER);
            if (!m) continue;
            size_t row = tab_add_row(t);
            int e = m - 1;
            tab_sets(t, row, "series", sr ? "policy_size" : "pm_size"), tab_sets(t, row, "policy", runs[0]->policy);
            tab_sets(t, row, "pm_scale", runs[0]->pm_scale), tab_setf(t, row, "policy_params", runs[0]->policy_params);
            tab_setf(t, row, "pm_params", runs[0]->pm_params), tab_seti(t, row, "seeds", n);
            band_d(t, row, "sqrt_kl_end", runs, n, 0, e);
            band_q(t, row, "train_pm_end", runs, n, 0, Q_COL, RL_TRAIN, e);
            band_q(t, row, "test_pm_end", runs, n, 0, Q_COL, RL_TEST, e);
            band_q(t, row, "big_pm_end", runs, n, 0, Q_COL, RL_BIG, e);
            band_q(t, row, "gold_end", runs, n, 0, Q_GOLD, 0, e);
        }
    if (!t->nrow) return report_missing(R, t, "no hh runs of the largest policy or against the largest PM", err);
    double fy[4], fg[4];
    fig33_fit(D, 0, fy), fig33_fit(D, 1, fg);
    static const char *FN[4] = {"intercept", "slope", "slope_lo", "slope_hi"};
    for (int k = 0; k < 4; k++) {
        char nm[48];
        snprintf(nm, sizeof nm, "fit_yard_%s", FN[k]), tab_attr_double(t, nm, fy[k]);
        snprintf(nm, sizeof nm, "fit_gold_%s", FN[k]), tab_attr_double(t, nm, fg[k]);
    }
    tab_attr_str(t, "fit_units", "yard: normalised score per ln(parameters); gold: U per ln(parameters)");
    FILE *f = gp_begin(R->os, R->outdir, "fig33_test_pm_end",
                       "scores at the end of RLHF vs PM size, on one yardstick and on gold (cf. Bai et al. 2022, Fig. 33)",
                       &R->gi, 1700, 900, err);
    if (!f) return tab_free(t), err->code;
    TabWhere w = tab_where("series", "pm_size");
    double px[MAXS];
    int n0 = (int)tab_values(t, "pm_params", &w, px, MAXS);
    gp_tab_block(f, "$s0", "pm_params big_pm(3) test_pm(3) train_pm(3) gold(3) scale", t,
                 "pm_params:%.9g big_pm_end big_pm_end_lo big_pm_end_hi test_pm_end test_pm_end_lo test_pm_end_hi "
                 "train_pm_end train_pm_end_lo train_pm_end_hi gold_end gold_end_lo gold_end_hi pm_scale", &w, NULL);
    char ly[200], lg[200];
    fmt_fit(ly, sizeof ly, "yardstick", fy[0], fy[1], fy[2], fy[3]);
    fmt_fit(lg, sizeof lg, "U", fg[0], fg[1], fg[2], fg[3]);
    const char *nm4[4] = {"fy0", "fy1", "fg0", "fg1"};
    double v4[4] = {fy[0], fy[1], fg[0], fg[1]};
    for (int k = 0; k < 4; k++)  // gnuplot spells a missing fit NaN
        isfinite(v4[k]) ? fprintf(f, "%s = %.10g\n", nm4[k], v4[k]) : fprintf(f, "%s = NaN\n", nm4[k]);
    gp_loop_begin(f, "fig33_test_pm_end");
    fprintf(f, "set multiplot layout 1,2 title \"End of RLHF vs PM size, policy %s, variant HH (cf. Bai et al. 2022, "
               "Fig. 33)\\n{/*0.7 mean across seeds with 95%% t intervals; fits: mean of the seeds' lines in ln P}\" "
               "font \",16\"\n%sset xlabel \"PM parameters P\"\nset format x \"%%.0s%%c\"\n", D->big_policy, KEY_OUT);
    gp_log_xrange(f, px, n0);
    double xlo = INFINITY, xhi = -INFINITY;  // the fits are drawn over the PM sizes only
    for (int k = 0; k < n0; k++)
        if (isfinite(px[k]) && px[k] > 0) xlo = fmin(xlo, px[k]), xhi = fmax(xhi, px[k]);
    if (!isfinite(xlo)) xlo = 1, xhi = 10;
    fprintf(f, "fx0 = %.9g; fx1 = %.9g\n", xlo, xhi);
    fprintf(f, "set title \"PM scores (normalised score)\"\nset ylabel \"score at the end of RL (normalised score)\"\n"
               "plot $s0 u 1:2:3:4 w yerrorlines lt 1 title \"yardstick PM (one judge for all)\", $s0 u 1:5:6:7 w "
               "yerrorlines lt 2 title \"test PM (other half; own scale)\", $s0 u 1:8:9:10 w yerrorlines lt 3 title "
               "\"train PM (the reward)\", (x >= fx0 && x <= fx1 ? fy0 + fy1 * log(x) : NaN) w l lt 9 dt 2 title \"%s\", 0 w l lt 10 notitle\n", ly);
    fprintf(f, "set title \"gold utility U = help (non-red-team) − harm (red-team)\"\nset ylabel \"gold U at the end of "
               "RL (help − harm, fractions)\"\nplot $s0 u 1:11:12:13 w yerrorlines lt 4 title \"gold U\", (x >= fx0 && x <= fx1 ? fg0 + "
               "fg1 * log(x) : NaN) w l lt 9 dt 2 title \"%s\"\n", lg);
    fputs("unset logscale x\nset format x\nset autoscale x\nunset multiplot\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// Fig. 14: train-PM score on benign vs red-team prompts

int rlreport_fig14(Report *R, const RLData *D, HHErr *err) {
    static const char *const BN[4] = {"benign", "redteam", "rise_benign", "rise_redteam"};
    static const char *const BU[4] = {"normalised score", "normalised score", "normalised score", "normalised score"};
    Tab *t = band_tab("fig14_benign_vs_redteam", "every policy trained (variant hh) against the largest PM: train-PM "
                      "reward of held-out samples on benign and borderline prompts (benign) and on red-team and "
                      "disguised prompts (redteam) over training, and their rises from iteration 0 (per seed, then "
                      "averaged)", "policy:s:-;pm_scale:s:-;iter:i:iterations;seeds:i:seeds", BN, BU, 4, "", err);
    if (!t) return err->code;
    if (!D->nrl) return report_missing(R, t, D->missing_rl, err);
    char pol[MAXS][HH_NAME_LEN];
    int np = rl_scales(D, 0, pol, MAXS), nb = 0;
    char shown[MAXS][HH_NAME_LEN];
    for (int k = 0; k < np; k++) {
        const RLRec *runs[MAXSEED];
        int n = rl_find_all(D, pol[k], D->big_pm_scale, "hh", runs, MAXSEED), m = seed_rows(runs, n, RL_ITER);
        if (m) snprintf(shown[nb++], HH_NAME_LEN, "%.*s", HH_NAME_LEN - 1, pol[k]);
        for (int i = 0; i < m; i++) {
            size_t row = tab_add_row(t);
            tab_sets(t, row, "policy", pol[k]), tab_sets(t, row, "pm_scale", D->big_pm_scale);
            tab_seti(t, row, "iter", lround(runs[0]->col[RL_ITER][i])), tab_seti(t, row, "seeds", n);
            band_q(t, row, "benign", runs, n, 0, Q_COL, RL_TRAIN_BENIGN, i);
            band_q(t, row, "redteam", runs, n, 0, Q_COL, RL_TRAIN_RED, i);
            band_q(t, row, "rise_benign", runs, n, 0, Q_RISE, RL_TRAIN_BENIGN, i);
            band_q(t, row, "rise_redteam", runs, n, 0, Q_RISE, RL_TRAIN_RED, i);
        }
    }
    if (!nb) return report_missing(R, t, "no hh runs against the largest PM", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig14_benign_vs_redteam",
                       "train-PM score on benign vs red-team prompts during RLHF (cf. Bai et al. 2022, Fig. 14)",
                       &R->gi, 1300, 900, err);
    if (!f) return tab_free(t), err->code;
    gp_tab_block(f, "$c", "iter benign(3) redteam(3); one block per policy", t,
                 "iter benign benign_lo benign_hi redteam redteam_lo redteam_hi", NULL, "policy");
    gp_loop_begin(f, "fig14_benign_vs_redteam");
    fprintf(f, "set title \"Train-PM score on benign vs red-team prompts during RLHF (cf. Bai et al. 2022, Fig. 14)"
               "\\n{/*0.7 every policy vs the largest PM (%s), variant HH; solid: benign and borderline prompts, "
               "dashed: red-team and disguised; mean across seeds, bands: 95%% t intervals}\"\n"
               "set xlabel \"PPO iterations\"\nset ylabel \"train-PM reward (normalised score)\"\n"
               "set key outside below center vertical Left reverse maxrows 2 noopaque nobox height 1\nplot ",
            D->big_pm_scale);
    // intervals as shaded bands (dashed error bars of six series were unreadable)
    for (int k = 0; k < nb; k++)
        fprintf(f, "$c index %d u 1:3:4 w filledcurves lt %d fs transparent solid 0.1 notitle, $c index %d u 1:6:7 "
                   "w filledcurves lt %d fs transparent solid 0.1 notitle, \\\n  ", k, lt(R, shown[k]), k,
                lt(R, shown[k]));
    for (int k = 0; k < nb; k++) {
        int L = lt(R, shown[k]), big = !strcmp(shown[k], D->big_policy);
        fprintf(f, "$c index %d u 1:2 w lp lt %d lw %d title \"%s: benign\", $c index %d u 1:5 w "
                   "lp lt %d lw %d dt 2 pt 6 title \"%s: red-team\", \\\n  ", k, L, big ? 3 : 2,
                shown[k], k, L, big ? 3 : 2, shown[k]);
    }
    fputs("0 w l lt 10 notitle\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// helpful-only vs HH

int rlreport_help_harm(Report *R, const RLData *D, HHErr *err) {
    static const int CC[4] = {RL_HELP_BENIGN, RL_HELP_BORDER, RL_REFUSE_BORDER, RL_HARM_RED};
    static const char *UN[4] = {"gold help [0,1]", "gold help [0,1]", "fraction", "gold harm [0,1]"};
    char b[6][512], d0[1024], spec[4096];
    snprintf(d0, sizeof d0, "the largest policy against the largest PM scale, variants hh (HH PM, half 0) and "
             "helpful (the helpful-only PM on the same seed's half 0's helpful comparisons): gold measures of held-out samples over training "
             "(help and harm of the other prompt kinds are in the rl/ files); gold_utility U = (help_benign + "
             "help_borderline)/2 - harm_redteam%s", SEEDS_DESC);
    size_t L = (size_t)snprintf(spec, sizeof spec, "variant:s:-;policy:s:-;pm_scale:s:-;iter:i:iterations;"
                                "seeds:i:seeds;%s", bandspec(b[0], 512, "sqrt_kl", "sqrt(nats)"));
    for (int c = 0; c < 4; c++) L += (size_t)snprintf(spec + L, sizeof spec - L, ";%s", bandspec(b[1 + c], 512, RL_COLNAME(CC[c]), UN[c]));
    snprintf(spec + L, sizeof spec - L, ";%s", bandspec(b[5], 512, "gold_utility", "gold utility U"));
    Tab *t = tab_alloc("rl_help_harm", d0, spec, err);
    if (!t) return err->code;
    if (!D->nrl) return report_missing(R, t, D->missing_rl, err);
    static const char *VAR[2] = {"hh", "helpful"};
    int have[2];
    for (int v = 0; v < 2; v++) {
        const RLRec *runs[MAXSEED];
        int n = rl_find_all(D, D->big_policy, D->big_pm_scale, VAR[v], runs, MAXSEED), m = seed_rows(runs, n, RL_ITER);
        have[v] = m > 0;
        for (int i = 0; i < m; i++) {
            size_t row = tab_add_row(t);
            tab_sets(t, row, "variant", VAR[v]), tab_sets(t, row, "policy", D->big_policy);
            tab_sets(t, row, "pm_scale", D->big_pm_scale), tab_seti(t, row, "iter", lround(runs[0]->col[RL_ITER][i]));
            tab_seti(t, row, "seeds", n);
            band_d(t, row, "sqrt_kl", runs, n, 0, i);
            for (int c = 0; c < 4; c++) band_q(t, row, RL_COLNAME(CC[c]), runs, n, 0, Q_COL, CC[c], i);
            band_q(t, row, "gold_utility", runs, n, 0, Q_GOLD, 0, i);
        }
    }
    if (!have[0] && !have[1]) return report_missing(R, t, "no runs of the largest policy vs the largest PM", err);
    FILE *f = gp_begin(R->os, R->outdir, "rl_help_harm",
                       "helpful-only vs HH RLHF: gold harm, help and refusals (cf. Bai et al. 2022, Fig. 1)",
                       &R->gi, 1900, 700, err);
    if (!f) return tab_free(t), err->code;
    for (int v = 0; v < 2; v++) {
        char name[16];
        snprintf(name, sizeof name, "$%s", VAR[v]);
        TabWhere w = tab_where("variant", VAR[v]);
        gp_tab_block(f, name, "iter harm_redteam(3) help_benign(3) refuse_borderline(3)", t,
                     "iter harm_redteam harm_redteam_lo harm_redteam_hi help_benign help_benign_lo help_benign_hi "
                     "refuse_borderline refuse_borderline_lo refuse_borderline_hi", &w, NULL);
    }
    // Evaluations are log-spaced in iterations: x is iteration + 1 on a log
    // axis, ticks labelled with the iteration; bands are the 95% t intervals
    int maxit = 1, seeds = 0;
    for (size_t r = 0; r < t->nrow; r++) {
        int it = (int)lround(tab_getf(t, r, "iter")), sd = (int)lround(tab_getf(t, r, "seeds"));
        if (it > maxit) maxit = it;
        if (r == 0 || sd < seeds) seeds = sd;
    }
    gp_loop_begin(f, "rl_help_harm");
    fprintf(f, "set multiplot layout 1,3 title \"Helpful-only vs HH RLHF: policy %s against the %s PMs "
               "(cf. Bai et al. 2022, Fig. 1)\\n{/*0.7 gold measures of held-out samples over PPO iterations; lines: "
               "mean across %d seeds; bands: its 95%% t interval, drawn within [0, 1]}\" font \",16\"\n"
               "set xlabel \"PPO iteration (log scale; 0: the initial policy)\"\nset logscale x\n"
               "set xrange [0.8:%g]\nset xtics (",
            D->big_policy, D->big_pm_scale, seeds, (maxit + 1) * 1.2);
    static const int TIC[] = {0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000};
    for (size_t i = 0; i < sizeof TIC / sizeof *TIC && (i == 0 || TIC[i] <= maxit * 1.2); i++)
        fprintf(f, "%s\"%d\" %d", i ? ", " : "", TIC[i], TIC[i] + 1);
    fputs(")\nset mxtics default\nset bmargin 7\nunset key\n", f);
    static const char *HI[3] = {"harm_redteam_hi", "help_benign_hi", "refuse_borderline_hi"};
    static const char *PT[3][2] = {{"harm on red-team prompts", "gold harm (fraction of the worst harm)"},
                                   {"help on benign prompts", "gold help (fraction of full help)"},
                                   {"refusals on borderline prompts", "share of responses with SORRY"}};
    for (int p = 0; p < 3; p++) {
        // y from 0 to the highest interval end, at most 1: every quantity is a fraction
        double top = 0;
        for (size_t r = 0; r < t->nrow; r++) {
            double h = tab_getf(t, r, HI[p]);
            if (isfinite(h) && h > top) top = h;
        }
        top = top > 0 ? fmin(1, ceil(top * 1.05 * 20) / 20) : 1;
        if (p == 1) fputs("set key at screen 0.5, 0.04 center center vertical Left reverse noopaque nobox samplen 4\n", f);
        fprintf(f, "set title \"%s\"\nset ylabel \"%s\"\nset yrange [0:%.2f]\nplot ", PT[p][0], PT[p][1], top);
        for (int v = 0; v < 2; v++)
            if (have[v])
                fprintf(f, "$%s u ($1+1):%d:%d w filledcurves lt %d fs transparent solid 0.2 notitle, "
                           "$%s u ($1+1):%d w lp lt %d ps 0.9 %s title \"%s\", ",
                        VAR[v], 3 + 3 * p, 4 + 3 * p, v ? 2 : 1, VAR[v], 2 + 3 * p, v ? 2 : 1, v ? "dt 2" : "",
                        v ? "helpful-only PM (variant helpful)" : "HH PM (variant hh)");
        fputs("NaN notitle\nunset key\n", f);
    }
    fputs("unset logscale x\nset xtics autofreq\nset autoscale x\n", f);
    fputs("set autoscale y\nunset multiplot\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// beyond: gold reward vs sqrt(KL), Gao et al. forms

typedef struct {
    const RLRec *r;
    int bon;
    RLGaoFit fit;
    int ok;
    double d[RL_MAXPT], y[RL_MAXPT];  // d and gold gain, r->n points
} Gao;

static void gao_points(Gao *g) {
    const RLRec *r = g->r;
    double u0 = g->bon ? bon_gold(r, 0) : rl_gold(r, 0);
    for (int i = 0; i < r->n; i++) {
        g->d[i] = g->bon ? sqrt(fmax(r->col[BON_KL_EXACT][i], 0)) : r->col[RL_SQRT_KL][i];
        g->y[i] = (g->bon ? bon_gold(r, i) : rl_gold(r, i)) - u0;
    }
}

int rl_gao_run(const RLRec *r, int bon, RLGaoFit *fit, HHErr *err) {
    Gao g = {.r = r, .bon = bon};
    gao_points(&g);
    return rl_fit_gao(bon ? RL_GAO_BON : RL_GAO_RL, g.d, g.y, (size_t)r->n, fit, err);
}

static int overopt_tabs(Tab **t, HHErr *err) {
    static const char *const BN[4] = {"d", "gold", "gain", "train_pm"};
    static const char *const BU[4] = {"sqrt(nats)", "gold utility U", "gold utility U", "normalised score"};
    t[0] = band_tab("beyond_gold_vs_sqrt_kl", "gold HH utility U (gold help on non-red-team prompts - gold harm on "
                    "red-team prompts, each a fraction in [0, 1]) of the largest policy optimised against the train PM "
                    "of every PM scale (variant hh): by PPO (method rl, x = iteration, d = sqrt of the exact held-out "
                    "KL) and by best-of-n from the initial policy (method bon, x = n, d = sqrt(kl_exact)); gain = U - U "
                    "at d = 0 (per seed); gain_fit = the form of the seeds' mean a, b (/fit_overoptimization, seed -1) "
                    "at d", "method:s:-;policy:s:-;pm_scale:s:-;pm_params:f:parameters;x:i:iterations or samples;"
                    "seeds:i:seeds", BN, BU, 4, "gain_fit:f:gold utility U", err);
    t[1] = tab_alloc("fit_overoptimization",
        "Gao et al. (2022) forms fitted by nonlinear least squares (stats_nlfit, Levenberg-Marquardt) to the "
        "gold gain of each seed's points with d > 0 (/beyond_gold_vs_sqrt_kl): bon R = d (a - b d), rl R = d (a - "
        "b ln d); b > 0: the gain peaks at d_peak and then falls. Rows with seed >= 0: one seed, CI = estimate -+ "
        "t(0.975, dof) se across its points; rows with seed = -1: the mean over the seeds' converged fits, CI "
        "Student t across seeds, d_min/d_max over the mean points. peak_in_range = 1 when d_min <= d_peak <= "
        "d_max; otherwise the peak is an extrapolation (not drawn). Gold units: U, the difference of two "
        "fractions in [0, 1]",
        "method:s:-;form:s:-;policy:s:-;pm_scale:s:-;pm_params:f:parameters;seed:i:index (-1 mean over seeds);"
        "seeds:i:seeds;a:f:U per sqrt(nat);a_lo:f:U per sqrt(nat);a_hi:f:U per sqrt(nat);b:f:see form;"
        "b_lo:f:see form;b_hi:f:see form;n:i:points;converged:i:0/1;d_peak:f:sqrt(nats);gain_peak:f:gold utility U;"
        "peak_in_range:i:0/1;sd_resid:f:gold utility U;d_min:f:sqrt(nats);d_max:f:sqrt(nats)", err);
    if (!t[0] || !t[1]) return tab_free(t[0]), tab_free(t[1]), err->code;
    tab_attr_str(t[1], "b_units", "bon: U per nat; rl: U per sqrt(nat)");
    return 0;
}

static double d_peak_of(int bon, double a, double b) {
    return !(b > 0) ? NAN : bon ? fmax(a / (2 * b), 0) : exp(a / b - 1);
}

static void overopt_fitrow(Tab *t, const RLRec *r, int bon, int seed, int seeds, const double *ab,
                           const double *lohi, size_t n, int conv, double sd, double dmin, double dmax) {
    size_t row = tab_add_row(t);
    RLGaoForm fm = bon ? RL_GAO_BON : RL_GAO_RL;
    tab_sets(t, row, "method", bon ? "bon" : "rl"), tab_sets(t, row, "form", bon ? "d (a - b d)" : "d (a - b ln d)");
    tab_sets(t, row, "policy", r->policy), tab_sets(t, row, "pm_scale", r->pm_scale);
    tab_setf(t, row, "pm_params", r->pm_params), tab_seti(t, row, "seed", seed), tab_seti(t, row, "seeds", seeds);
    tab_setf(t, row, "a", ab[0]), tab_setf(t, row, "a_lo", lohi[0]), tab_setf(t, row, "a_hi", lohi[1]);
    tab_setf(t, row, "b", ab[1]), tab_setf(t, row, "b_lo", lohi[2]), tab_setf(t, row, "b_hi", lohi[3]);
    tab_seti(t, row, "n", (long)n), tab_seti(t, row, "converged", conv);
    double dp = d_peak_of(bon, ab[0], ab[1]);
    tab_setf(t, row, "d_peak", dp), tab_setf(t, row, "gain_peak", isfinite(dp) ? rl_gao_eval(fm, ab[0], ab[1], dp) : NAN);
    tab_seti(t, row, "peak_in_range", isfinite(dp) && dp >= dmin && dp <= dmax);
    tab_setf(t, row, "sd_resid", sd), tab_setf(t, row, "d_min", dmin), tab_setf(t, row, "d_max", dmax);
}

// One (method, PM scale): per-seed fits, their mean (seed -1), the mean points.
static void overopt_config(Tab **t, const RLRec *const *runs, int n, int bon) {
    double a[MAXSEED], b[MAXSEED];
    int m = 0;
    for (int s = 0; s < n; s++) {
        RLGaoFit F;
        HHErr e;
        double dmin = INFINITY, dmax = 0;
        for (int i = 0; i < runs[s]->n; i++) {
            double d = bon ? sqrt(fmax(runs[s]->col[BON_KL_EXACT][i], 0)) : runs[s]->col[RL_SQRT_KL][i];
            if (d > 0) dmin = fmin(dmin, d), dmax = fmax(dmax, d);
        }
        int ok = rl_gao_run(runs[s], bon, &F, &e) == 0;
        double ab[2] = {ok ? F.a : NAN, ok ? F.b : NAN}, lh[4] = {NAN, NAN, NAN, NAN};
        if (ok) lh[0] = F.a_lo, lh[1] = F.a_hi, lh[2] = F.b_lo, lh[3] = F.b_hi;
        overopt_fitrow(t[1], runs[s], bon, runs[s]->seed, 1, ab, lh, ok ? F.n : 0, ok && F.converged,
                       ok ? F.sd_resid : NAN, dmin, dmax);
        if (ok && F.converged) a[m] = F.a, b[m++] = F.b;
    }
    int rows = seed_rows(runs, n, bon ? BON_N : RL_ITER);
    double ma = NAN, mb = NAN, lh[4] = {NAN, NAN, NAN, NAN}, dmin = INFINITY, dmax = 0;
    StatsCI ci;
    HHErr e;
    if (m >= 2 && stats_mean_tci(a, (size_t)m, 0.95, &ci, &e) == 0) ma = ci.est, lh[0] = ci.lo, lh[1] = ci.hi;
    if (m >= 2 && stats_mean_tci(b, (size_t)m, 0.95, &ci, &e) == 0) mb = ci.est, lh[2] = ci.lo, lh[3] = ci.hi;
    if (m == 1) ma = a[0], mb = b[0];
    size_t first = t[0]->nrow;
    for (int i = 0; i < rows; i++) {
        size_t row = tab_add_row(t[0]);
        const RLRec *r = runs[0];
        tab_sets(t[0], row, "method", bon ? "bon" : "rl"), tab_sets(t[0], row, "policy", r->policy);
        tab_sets(t[0], row, "pm_scale", r->pm_scale), tab_setf(t[0], row, "pm_params", r->pm_params);
        tab_seti(t[0], row, "x", lround(r->col[bon ? BON_N : RL_ITER][i])), tab_seti(t[0], row, "seeds", n);
        band_d(t[0], row, "d", runs, n, bon, i);
        band_q(t[0], row, "gold", runs, n, bon, Q_GOLD, 0, i);
        band_q(t[0], row, "gain", runs, n, bon, Q_GAIN, 0, i);
        band_q(t[0], row, "train_pm", runs, n, bon, Q_COL, bon ? BON_TRAIN : RL_TRAIN, i);
        double d = tab_getf(t[0], row, "d");
        if (d > 0) dmin = fmin(dmin, d), dmax = fmax(dmax, d);
    }
    for (size_t row = first; row < t[0]->nrow; row++)
        tab_setf(t[0], row, "gain_fit", rl_gao_eval(bon ? RL_GAO_BON : RL_GAO_RL, ma, mb, tab_getf(t[0], row, "d")));
    double ab[2] = {ma, mb};
    overopt_fitrow(t[1], runs[0], bon, -1, m, ab, lh, (size_t)m, m > 0, NAN, isfinite(dmin) ? dmin : NAN, dmax);
}

// $fitM: the seed-mean form of each PM scale, drawn through 61 points over
// [d_min, d_max], the range of d reached (no extrapolation).
static void overopt_curves(FILE *f, const Tab *fit, int m) {
    TabWhere w = tab_where("method", m ? "rl" : "bon");
    tab_where_and(&w, "seed", "-1");
    fprintf(f, "$fit%d << EOD\n# d gain_fit sampled over the d reached; one block per PM scale\n", m);
    int k = 0;
    for (size_t r = 0; r < fit->nrow; r++) {
        if (!tab_match(fit, r, &w)) continue;
        double a = tab_getf(fit, r, "a"), b = tab_getf(fit, r, "b");
        double lo = tab_getf(fit, r, "d_min"), hi = tab_getf(fit, r, "d_max");
        if (k++) gp_block_next(f);
        for (int s = 0; s <= 60; s++) {
            double x = lo + (hi - lo) * s / 60.0;
            fprintf(f, "%.6f %.6f\n", x, isnan(a) || isnan(lo) ? NAN : rl_gao_eval(m ? RL_GAO_RL : RL_GAO_BON, a, b, x));
        }
    }
    if (!k) fputs("NaN NaN\n", f);
    gp_block_end(f);
}

static void overopt_plot(const Report *R, const RLData *D, FILE *f, Tab **t) {
    for (int m = 0; m < 2; m++) {
        TabWhere w = tab_where("method", m ? "rl" : "bon");
        gp_tab_block(f, m ? "$m1" : "$m0", "d gain d_lo d_hi gain_lo gain_hi; one block per PM scale", t[0],
                     "d gain d_lo d_hi gain_lo gain_hi", &w, "pm_scale");
        overopt_curves(f, t[1], m);
    }
    // left: best-of-n, every PM scale in one panel (short two-way bars); right:
    // PPO, one small panel per PM scale (their wide intervals overlap), shared axes
    double xmax = 0, ylo = 0, yhi = 0;
    TabWhere wr = tab_where("method", "rl");
    for (size_t r = 0; r < t[0]->nrow; r++) {
        if (!tab_match(t[0], r, &wr)) continue;
        double v = tab_getf(t[0], r, "d_hi"), lo = tab_getf(t[0], r, "gain_lo"), hi = tab_getf(t[0], r, "gain_hi");
        if (isfinite(v) && v > xmax) xmax = v;
        if (isfinite(lo)) ylo = fmin(ylo, lo);
        if (isfinite(hi)) yhi = fmax(yhi, hi);
    }
    xmax = xmax > 0 ? ceil(xmax) : 1;
    ylo = floor(ylo * 10) / 10, yhi = ceil(yhi * 10) / 10;
    if (!(yhi > ylo)) yhi = ylo + 1;
    gp_loop_begin(f, "beyond_overoptimization");
    fprintf(f, "set multiplot title \"Gold HH utility gain vs sqrt(KL), policy %s vs PMs of every "
               "size (beyond the paper; after Gao et al. 2022)\\n{/*0.7 U = gold help on non-red-team prompts − "
               "gold harm on red-team prompts (each a fraction in [0, 1]), minus U of the initial policy}\\n{/*0.7 mean "
               "across seeds with 95%% t intervals (right: bands for ΔU, thin bars for d); dashed: the seeds' mean fit, "
               "over the d reached only}\" font \",16\"\n", D->big_policy);
    for (int m = 0; m < 2; m++) {
        TabWhere w = tab_where("method", m ? "rl" : "bon");
        tab_where_and(&w, "seed", "-1");
        int nfit = 0;
        for (size_t r = 0; r < t[1]->nrow; r++) nfit += tab_match(t[1], r, &w);
        int rows = (nfit + 1) / 2;
        double top = 0.83, bottom = 0.2, gapy = 0.08, h = rows ? (top - bottom - gapy * (rows - 1)) / rows : 0;
        if (!m)
            fprintf(f, "set lmargin at screen 0.06\nset rmargin at screen 0.45\nset tmargin at screen %.2f\n"
                       "set bmargin at screen %.2f\nset xrange [0:*]\nset autoscale y\n"
                       "set ylabel \"gold utility gain ΔU (help − harm, fractions)\"\n"
                       "set title \"best-of-n by the train PM: fit d (a − b d)\"\n"
                       "set xlabel \"sqrt(KL_{best-of-n})  (nats^{1/2}, exact with ties)\"\n"
                       "set key at screen 0.255, 0.075 center center vertical Left reverse noopaque nobox\n",
                    top, bottom);
        else
            fprintf(f, "set xrange [0:%g]\nset yrange [%g:%g]\nunset key\nset bars 0.3\n", xmax, ylo, yhi);
        for (size_t r = 0, idx = 0; r < t[1]->nrow; r++) {
            if (!tab_match(t[1], r, &w)) continue;
            const char *pm = tab_gets(t[1], r, "pm_scale");
            int L = lt(R, pm), in = (int)tab_getf(t[1], r, "peak_in_range");
            double dp = tab_getf(t[1], r, "d_peak");
            char pk[64], ti[256];
            if (isfinite(dp)) snprintf(pk, sizeof pk, "peak %.2f%s", dp, in ? "" : " (beyond the data)");
            else snprintf(pk, sizeof pk, "no peak");
            snprintf(ti, sizeof ti, "PM %s: b = %.3g [%.3g, %.3g],%s%s", pm, tab_getf(t[1], r, "b"),
                     tab_getf(t[1], r, "b_lo"), tab_getf(t[1], r, "b_hi"), m ? "\\n" : " ", pk);
            if (!m) {
                fprintf(f, "%s$m0 index %zu u 1:2:3:4:5:6 w xyerrorbars lt %d title \"%s\", "
                           "$fit0 index %zu u 1:2 w l lt %d dt 2 notitle, \\\n  ", idx ? "" : "plot ", idx, L, ti, idx, L);
            } else {
                int rw = (int)idx / 2, c = (int)idx % 2;
                double t1 = top - rw * (h + gapy), b1 = t1 - h, xl = c ? 0.79 : 0.56, xr = c ? 0.98 : 0.75;
                int lastrow = idx + 2 >= (size_t)nfit;
                fprintf(f, "set lmargin at screen %.4f\nset rmargin at screen %.4f\nset tmargin at screen %.4f\n"
                           "set bmargin at screen %.4f\nset title \"PPO, %s\" font \",11\" offset 0,-0.4\nset xlabel %s\n"
                           "set ylabel %s\nset format x %s\nplot ",
                        xl, xr, t1, b1, ti, lastrow ? "\"sqrt(KL({/Symbol p} || {/Symbol p}_0))  (nats^{1/2})\"" : "\"\"",
                        c ? "\"\"" : "\"ΔU (fractions)\"", lastrow ? "\"%g\"" : "\"\"");
                band_xbars(f, "$m1", idx, L, "notitle");
                fprintf(f, "$fit1 index %zu u 1:2 w l %s lt %d dt 2 notitle, 0 w l lt 10 notitle\n", idx, BOLD_FIT, L);
            }
            idx++;
        }
        if (!m) fputs(nfit ? "0 w l lt 10 notitle\n" : "plot 0 w l lt 10 notitle\n", f);
    }
    fputs("set format x\nset autoscale\nset title font \"\"\n", f);
    fputs("set bars 1.5\nunset multiplot\n", f);
    gp_loop_end(f);
}

int rlreport_overopt(Report *R, const RLData *D, HHErr *err) {
    Tab *t[2];
    if (overopt_tabs(t, err)) return err->code;
    if (!D->nrl && !D->nbon) return report_missing_all(R, t, 2, D->missing_rl, err);
    char pms[MAXS][HH_NAME_LEN];
    int npm = D->nrl ? big_policy_scales(D, pms) : 0, ng = 0;
    for (int m = 0; m < 2; m++)  // bon, rl
        for (int k = 0; k < npm; k++) {
            const RLRec *runs[MAXSEED];
            int n = m ? rl_find_all(D, D->big_policy, pms[k], "hh", runs, MAXSEED)
                      : bon_find_all(D, D->big_policy, pms[k], "hh", runs, MAXSEED);
            if (!n) continue;
            overopt_config(t, runs, n, !m);
            ng++;
        }
    if (!ng) return report_missing_all(R, t, 2, "no hh runs or best-of-n tables of the largest policy", err);
    FILE *f = gp_begin(R->os, R->outdir, "beyond_overoptimization",
                       "gold reward vs sqrt(KL) for best-of-n and RL with Gao et al. 2022 fits (beyond the paper)",
                       &R->gi, 1700, 900, err);
    if (!f) return tab_free(t[0]), tab_free(t[1]), err->code;
    overopt_plot(R, D, f, t);
    return report_put_all(R, t, 2, err);
}
