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

static int lt(const Report *R, const char *scale) {
    return report_lt(R, scale);
}

static int end_of(const RLRec *r) {
    return r->n - 1;
}

static const char *SQRT_KL_LABEL = "sqrt(KL({/Symbol p} || {/Symbol p}_0))  (nats^{1/2}, held-out prompts)";

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
// Fig. 13: reward vs sqrt(KL), per policy scale

static const char *PANEL13[2] = {"train_pm_vs_largest_pm", "big_pm_vs_own_pm"};

// Runs of a panel: 0 every policy vs the largest PM (train PM), 1 every policy
// vs its own-scale PM (largest PM's score). Returns the count.
static int fig13_runs(const RLData *D, int panel, const RLRec **out) {
    char pol[MAXS][HH_NAME_LEN];
    int np = rl_scales(D, 0, pol, MAXS), n = 0;
    for (int i = 0; i < np; i++) {
        const RLRec *r = rl_find(D, pol[i], panel ? pol[i] : D->big_pm_scale, "hh");
        if (r) out[n++] = r;
    }
    return n;
}

static int fig13_tabs(Tab **t, HHErr *err) {
    t[0] = tab_alloc("fig13_reward_vs_sqrt_kl",
        "PM score of held-out samples during PPO (variant hh) against sqrt(KL(pi || pi_0)): panel "
        "train_pm_vs_largest_pm = every policy scale trained against the largest PM, score = its train-PM "
        "reward (Fig. 13 left); panel big_pm_vs_own_pm = every policy trained against the PM of its own "
        "scale, score = the largest PM's score (Fig. 13 right); score_fit = the panel's least-squares line "
        "(/fit_reward_sqrt_kl) at the point",
        "panel:s:-;policy:s:-;pm_scale:s:-;seed:i:index;iter:i:iterations;kl:f:nats;sqrt_kl:f:sqrt(nats);"
        "score:f:normalised score;train_pm:f:normalised score;big_pm:f:normalised score;"
        "score_fit:f:normalised score", err);
    t[1] = tab_alloc("fit_reward_sqrt_kl",
        "least-squares line score = intercept + slope sqrt(KL) over the evaluation points of each run of "
        "/fig13_reward_vs_sqrt_kl (one seed per run: intervals are across the evaluation points of one "
        "run and treat them as independent). slope CI: Student t; r2 CI: Fisher z of |r|",
        "panel:s:-;policy:s:-;pm_scale:s:-;seed:i:index;intercept:f:normalised score;"
        "intercept_se:f:normalised score;slope:f:normalised score per sqrt(nat);"
        "slope_se:f:normalised score per sqrt(nat);slope_lo:f:normalised score per sqrt(nat);"
        "slope_hi:f:normalised score per sqrt(nat);r2:f:1;r2_lo:f:1;r2_hi:f:1;sd_resid:f:normalised score;"
        "n:i:points;dof:i:1", err);
    return t[0] && t[1] ? 0 : (tab_free(t[0]), tab_free(t[1]), err->code);
}

// One run of panel p: its points (t[0]) and its line's row (t[1]; none when the fit fails).
static void fig13_rows(Tab **t, const RLRec *r, int p) {
    StatsLinfit L;
    HHErr e;
    int ok = rl_fit_line(r->col[RL_SQRT_KL], r->col[p ? RL_BIG : RL_TRAIN], r->n, &L, &e) == 0;
    for (int i = 0; i < r->n; i++) {
        double sc = r->col[p ? RL_BIG : RL_TRAIN][i], x = r->col[RL_SQRT_KL][i];
        size_t row = tab_add_row(t[0]);
        tab_sets(t[0], row, "panel", PANEL13[p]), tab_sets(t[0], row, "policy", r->policy);
        tab_sets(t[0], row, "pm_scale", r->pm_scale), tab_seti(t[0], row, "seed", r->seed);
        tab_seti(t[0], row, "iter", lround(r->col[RL_ITER][i]));
        tab_setf(t[0], row, "kl", r->col[RL_KL][i]), tab_setf(t[0], row, "sqrt_kl", x);
        tab_setf(t[0], row, "score", sc), tab_setf(t[0], row, "train_pm", r->col[RL_TRAIN][i]);
        tab_setf(t[0], row, "big_pm", r->col[RL_BIG][i]);
        tab_setf(t[0], row, "score_fit", ok ? L.c0 + L.c1 * x : NAN);
    }
    if (!ok) return;
    double lo, hi;
    rl_r2_interval(L.r2, L.n, &lo, &hi);
    size_t row = tab_add_row(t[1]);
    tab_sets(t[1], row, "panel", PANEL13[p]), tab_sets(t[1], row, "policy", r->policy);
    tab_sets(t[1], row, "pm_scale", r->pm_scale), tab_seti(t[1], row, "seed", r->seed);
    tab_setf(t[1], row, "intercept", L.c0), tab_setf(t[1], row, "intercept_se", L.se_c0);
    tab_setf(t[1], row, "slope", L.c1), tab_setf(t[1], row, "slope_se", L.se_c1);
    tab_setf(t[1], row, "slope_lo", L.c1_lo), tab_setf(t[1], row, "slope_hi", L.c1_hi);
    tab_setf(t[1], row, "r2", L.r2), tab_setf(t[1], row, "r2_lo", lo), tab_setf(t[1], row, "r2_hi", hi);
    tab_setf(t[1], row, "sd_resid", L.sd_resid), tab_seti(t[1], row, "n", (long)L.n);
    tab_seti(t[1], row, "dof", (long)L.dof);
}

// Datablocks $p0, $p1 (one block per run: sqrt_kl, score and the line at the
// point) and the plot, titles from /fit_reward_sqrt_kl.
static void fig13_plot(const Report *R, FILE *f, Tab **t) {
    for (int p = 0; p < 2; p++) {
        TabWhere w = tab_where("panel", PANEL13[p]);
        gp_tab_block(f, p ? "$p1" : "$p0", "sqrt_kl score score_fit; one block per run (policy)", t[0],
                     "sqrt_kl score score_fit", &w, "policy");
    }
    gp_loop_begin(f, "fig13_reward_vs_sqrt_kl");
    fputs("set multiplot layout 1,2 title \"PM score vs sqrt(KL) during RLHF, variant HH (cf. Bai et al. "
          "2022, Fig. 13)\\n{/*0.7 dashed: least-squares line per run; one seed per run}\" font \",16\"\n", f);
    fprintf(f, "set xlabel \"%s\"\nset key top left\nset offsets 0, graph 0.05, graph 0.05, graph 0.05\n", SQRT_KL_LABEL);
    for (int p = 0; p < 2; p++) {
        fprintf(f, "set title \"%s\"\nset ylabel \"%s (normalised score)\"\nplot ",
                p ? "policies trained on own-size PMs, scored by the largest PM"
                  : "every policy vs the largest PM",
                p ? "largest-PM score" : "train-PM reward");
        TabWhere w = tab_where("panel", PANEL13[p]);
        for (size_t r = 0, k = 0; r < t[0]->nrow; r++) {
            const char *pol = tab_gets(t[0], r, "policy");
            if (!tab_match(t[0], r, &w) || (r && !strcmp(pol, tab_gets(t[0], r - 1, "policy")))) continue;
            TabWhere wf = w;  // this run's line
            tab_where_and(&wf, "policy", pol);
            size_t j = tab_find(t[1], &wf);
            int L = lt(R, pol);
            fprintf(f, "$p%d index %zu u 1:2 w lp lt %d title \"policy %s, PM %s (slope %.2f, R^2 %.2f)\", "
                       "$p%d index %zu u 1:3 smooth unique w l lt %d dt 2 notitle, \\\n  ", p, k, L, pol,
                    tab_gets(t[0], r, "pm_scale"), tab_getf(t[1], j, "slope"), tab_getf(t[1], j, "r2"), p, k, L);
            k++;
        }
        fputs("0 w l lt 10 title \"initial policy\"\n", f);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
}

int rlreport_fig13(Report *R, const RLData *D, HHErr *err) {
    Tab *t[2];
    if (fig13_tabs(t, err)) return err->code;
    if (!D->nrl) return report_missing_all(R, t, 2, D->missing_rl, err);
    for (int p = 0; p < 2; p++) {
        const RLRec *runs[MAXS];
        int n = fig13_runs(D, p, runs);
        for (int k = 0; k < n; k++) fig13_rows(t, runs[k], p);
    }
    FILE *f = gp_begin(R->os, R->outdir, "fig13_reward_vs_sqrt_kl",
                       "PM reward vs sqrt(KL) during RLHF (cf. Bai et al. 2022, Fig. 13)", &R->gi, 1500, 650, err);
    if (!f) return tab_free(t[0]), tab_free(t[1]), err->code;
    fig13_plot(R, f, t);
    return report_put_all(R, t, 2, err);
}

// ---------------------------------------------------------------------------
// Fig. 4: train vs test PM, largest policy vs every PM scale

// HH runs of the largest policy, one per PM scale (ascending). Returns the count.
static int big_policy_runs(const RLData *D, const char *variant, const RLRec **out) {
    char pms[MAXS][HH_NAME_LEN];
    int np = rl_scales(D, 1, pms, MAXS), n = 0;
    for (int i = 0; i < np; i++) {
        const RLRec *r = rl_find(D, D->big_policy, pms[i], variant);
        if (r) out[n++] = r;
    }
    return n;
}

int rlreport_fig04(Report *R, const RLData *D, HHErr *err) {
    Tab *t = tab_alloc("fig04_train_vs_test_pm",
        "the largest policy trained (variant hh) against the train PM (half 0 of the data) of every PM "
        "scale: train-PM reward and test-PM score (half 1, same scale) of the same held-out samples over "
        "training; gap = train_pm - test_pm; end = 1 on the last evaluation (the end-of-RL gap per PM scale)",
        "policy:s:-;pm_scale:s:-;pm_params:f:parameters;seed:i:index;iter:i:iterations;kl:f:nats;"
        "sqrt_kl:f:sqrt(nats);train_pm:f:normalised score;test_pm:f:normalised score;"
        "gap:f:normalised score;end:i:0/1", err);
    if (!t) return err->code;
    if (!D->nrl) return report_missing(R, t, D->missing_rl, err);
    const RLRec *runs[MAXS];
    int n = big_policy_runs(D, "hh", runs);
    if (!n) return report_missing(R, t, "no hh runs of the largest policy", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig04_train_vs_test_pm",
                       "train-PM vs test-PM score during RLHF (cf. Bai et al. 2022, Fig. 4)", &R->gi, 1500, 650, err);
    if (!f) return tab_free(t), err->code;
    for (int k = 0; k < n; k++) {
        const RLRec *r = runs[k];
        for (int i = 0; i < r->n; i++) {
            double tr = r->col[RL_TRAIN][i], te = r->col[RL_TEST][i];
            size_t row = tab_add_row(t);
            tab_sets(t, row, "policy", r->policy), tab_sets(t, row, "pm_scale", r->pm_scale);
            tab_setf(t, row, "pm_params", r->pm_params), tab_seti(t, row, "seed", r->seed);
            tab_seti(t, row, "iter", lround(r->col[RL_ITER][i])), tab_setf(t, row, "kl", r->col[RL_KL][i]);
            tab_setf(t, row, "sqrt_kl", r->col[RL_SQRT_KL][i]), tab_setf(t, row, "train_pm", tr);
            tab_setf(t, row, "test_pm", te), tab_setf(t, row, "gap", tr - te);
            tab_seti(t, row, "end", i == end_of(r));
        }
    }
    TabWhere end = tab_where("end", "1");
    double px[MAXS];
    size_t npx = tab_values(t, "pm_params", &end, px, MAXS);
    gp_tab_block(f, "$curves", "sqrt_kl train_pm test_pm; one block per PM scale", t, "sqrt_kl train_pm test_pm",
                 NULL, "pm_scale");
    gp_tab_block(f, "$gap", "pm_params gap_end pm_scale", t, "pm_params:%.9g gap pm_scale", &end, NULL);
    gp_loop_begin(f, "fig04_train_vs_test_pm");
    fprintf(f, "set multiplot layout 1,2 title \"Train-PM vs test-PM score during RLHF of policy %s "
               "(cf. Bai et al. 2022, Fig. 4)\\n{/*0.7 solid: train PM (data half 0, the reward); dashed: test "
               "PM (half 1, same size); one seed per run}\" font \",16\"\n", D->big_policy);
    fprintf(f, "set title \"score of held-out samples over training\"\nset xlabel \"%s\"\n"
               "set ylabel \"PM score (normalised)\"\nset key top left\nplot ", SQRT_KL_LABEL);
    for (int k = 0; k < n; k++) {
        int L = lt(R, runs[k]->pm_scale);
        fprintf(f, "$curves index %d u 1:2 w lp lt %d title \"PM %s: train\", $curves index %d u 1:3 w lp "
                   "lt %d dt 2 pt 6 title \"PM %s: test\", \\\n  ", k, L, runs[k]->pm_scale, k, L, runs[k]->pm_scale);
    }
    fputs("0 w l lt 10 notitle\n", f);
    fputs("set title \"end of RL: train-PM minus test-PM score\"\nset xlabel \"PM parameters\"\n"
          "set ylabel \"train - test (normalised score)\"\nset format x \"%.0s%c\"\nset key top right\n", f);
    gp_log_xrange(f, px, (int)npx);
    fputs("plot $gap u 1:2 w lp lt 9 pt 7 title \"gap at the end of RL\", $gap u 1:2:3 w labels offset 0,1 "
          "notitle, 0 w l lt 10 notitle\nunset logscale x\nset format x\nset autoscale x\nunset multiplot\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// Fig. 33: test-PM score at the end of RL vs PM size and policy size

static Tab *fig33_table(HHErr *err) {
    return tab_alloc("fig33_test_pm_end",
        "end of RL (last evaluation), variant hh: series pm_size = the largest policy against every PM "
        "scale; series policy_size = every policy against the largest PM. test_pm = the train PM's "
        "other data half (same scale); big_pm = the largest PM's test half. Attributes fit_*: least-"
        "squares slope of test_pm_end vs ln(pm_params) over series pm_size (Student t; one seed per run, "
        "so the interval is across PM scales)",
        "series:s:-;policy:s:-;pm_scale:s:-;policy_params:f:parameters;pm_params:f:parameters;seed:i:index;"
        "kl_end:f:nats;sqrt_kl_end:f:sqrt(nats);train_pm_end:f:normalised score;"
        "test_pm_end:f:normalised score;big_pm_end:f:normalised score;gap_end:f:normalised score", err);
}

static void fig33_rows(Tab *t, const RLRec *const *runs, int n, const char *series) {
    for (int k = 0; k < n; k++) {
        const RLRec *r = runs[k];
        int e = end_of(r);
        size_t row = tab_add_row(t);
        tab_sets(t, row, "series", series), tab_sets(t, row, "policy", r->policy);
        tab_sets(t, row, "pm_scale", r->pm_scale), tab_setf(t, row, "policy_params", r->policy_params);
        tab_setf(t, row, "pm_params", r->pm_params), tab_seti(t, row, "seed", r->seed);
        tab_setf(t, row, "kl_end", r->col[RL_KL][e]), tab_setf(t, row, "sqrt_kl_end", r->col[RL_SQRT_KL][e]);
        tab_setf(t, row, "train_pm_end", r->col[RL_TRAIN][e]);
        tab_setf(t, row, "test_pm_end", r->col[RL_TEST][e]);
        tab_setf(t, row, "big_pm_end", r->col[RL_BIG][e]);
        tab_setf(t, row, "gap_end", r->col[RL_TRAIN][e] - r->col[RL_TEST][e]);
    }
}

// Attributes fit_*: test_pm_end vs ln(pm_params) over series pm_size. 1 if fitted.
static int fig33_fit(Tab *t, StatsLinfit *L) {
    double p[MAXS], y[MAXS], lx[MAXS], ly[MAXS];
    TabWhere w = tab_where("series", "pm_size");
    size_t n = tab_values(t, "pm_params", &w, p, MAXS);
    tab_values(t, "test_pm_end", &w, y, MAXS);
    int nfit = 0;
    for (size_t k = 0; k < n; k++)
        if (isfinite(p[k]) && p[k] > 0) lx[nfit] = log(p[k]), ly[nfit++] = y[k];
    HHErr e2;
    int ok = nfit >= 3 && rl_fit_line(lx, ly, nfit, L, &e2) == 0;
    tab_attr_double(t, "fit_slope", ok ? L->c1 : NAN);
    tab_attr_double(t, "fit_slope_se", ok ? L->se_c1 : NAN);
    tab_attr_double(t, "fit_slope_lo", ok ? L->c1_lo : NAN);
    tab_attr_double(t, "fit_slope_hi", ok ? L->c1_hi : NAN);
    tab_attr_double(t, "fit_n", nfit);
    tab_attr_str(t, "fit_units", "normalised score per ln(parameters)");
    return ok;
}

// Datablocks $s0 (series pm_size, x = PM parameters), $s1 (policy_size, x =
// the row's index, labelled by policy) and the plot.
static void fig33_plot(const RLData *D, FILE *f, Tab *t, const StatsLinfit *L, int ok) {
    TabWhere w[2] = {tab_where("series", "pm_size"), tab_where("series", "policy_size")};
    double px[MAXS];
    int n0 = (int)tab_values(t, "pm_params", &w[0], px, MAXS), n1 = (int)tab_count(t, &w[1]);
    gp_tab_block(f, "$s0", "pm params train_pm test_pm big_pm scale", t,
                 "pm_params:%.9g train_pm_end test_pm_end big_pm_end pm_scale", &w[0], NULL);
    gp_tab_block(f, "$s1", "policy_params train_pm test_pm big_pm policy (plotted at the row index)", t,
                 "policy_params:%.9g train_pm_end test_pm_end big_pm_end policy", &w[1], NULL);
    if (ok) fprintf(f, "fc0 = %.10g; fc1 = %.10g\n", L->c0, L->c1);
    else fputs("fc0 = NaN; fc1 = NaN\n", f);
    gp_loop_begin(f, "fig33_test_pm_end");
    fputs("set multiplot layout 1,2 title \"Scores at the end of RLHF, variant HH (cf. Bai et al. 2022, Fig. 33)"
          "\\n{/*0.7 one seed per run}\" font \",16\"\nset key top left\nset ylabel \"score at the end of RL "
          "(normalised)\"\n", f);
    fprintf(f, "set title \"policy %s against PMs of every size\"\nset xlabel \"PM parameters\"\n"
               "set format x \"%%.0s%%c\"\n", D->big_policy);
    gp_log_xrange(f, px, n0);
    if (n0)
        fprintf(f, "plot $s0 u 1:3 w lp lt 1 title \"test PM (other data half)\", $s0 u 1:2 w lp lt 2 title "
                   "\"train PM (the reward)\", $s0 u 1:4 w lp lt 3 title \"largest PM\", %s0 w l lt 10 notitle\n",
                   ok ? "fc0 + fc1 * log(x) w l lt 9 dt 2 title sprintf(\"fit: test = %.2f + %.3f ln P\", fc0, fc1), " : "");
    else fputs("plot 0 w l lt 10 title \"no runs\"\n", f);
    fputs("unset logscale x\nset format x\n", f);
    fprintf(f, "set title \"every policy against the largest PM (%s)\"\nset xlabel \"policy scale\"\n"
               "set xrange [-0.5:%.1f]\n", D->big_pm_scale, n1 - 0.5);
    if (n1)
        fputs("plot $s1 u 0:3:xtic(5) w lp lt 1 title \"test PM (other data half)\", $s1 u 0:2 w lp lt 2 title "
              "\"train PM (the reward)\", 0 w l lt 10 notitle\n", f);
    else fputs("plot 0 w l lt 10 title \"no runs\"\n", f);
    fputs("set autoscale x\nset xtics autofreq\nunset multiplot\n", f);
    gp_loop_end(f);
}

int rlreport_fig33(Report *R, const RLData *D, HHErr *err) {
    Tab *t = fig33_table(err);
    if (!t) return err->code;
    if (!D->nrl) return report_missing(R, t, D->missing_rl, err);
    const RLRec *runs[2][MAXS];
    int nr[2] = {big_policy_runs(D, "hh", runs[0]), fig13_runs(D, 0, runs[1])};
    if (!nr[0] && !nr[1]) return report_missing(R, t, "no hh runs of the largest policy or against the largest PM", err);
    fig33_rows(t, runs[0], nr[0], "pm_size");
    fig33_rows(t, runs[1], nr[1], "policy_size");
    StatsLinfit L;
    int ok = fig33_fit(t, &L);
    FILE *f = gp_begin(R->os, R->outdir, "fig33_test_pm_end",
                       "test-PM score at the end of RLHF vs PM and policy size (cf. Bai et al. 2022, Fig. 33)",
                       &R->gi, 1500, 650, err);
    if (!f) return tab_free(t), err->code;
    fig33_plot(D, f, t, &L, ok);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// Fig. 14: train-PM score on benign vs red-team prompts

int rlreport_fig14(Report *R, const RLData *D, HHErr *err) {
    Tab *t = tab_alloc("fig14_benign_vs_redteam",
        "every policy trained (variant hh) against the largest PM: train-PM reward of held-out samples on "
        "benign and borderline prompts (benign) and on red-team and disguised prompts (redteam) over "
        "training; rise = value - value at iteration 0",
        "policy:s:-;pm_scale:s:-;seed:i:index;iter:i:iterations;sqrt_kl:f:sqrt(nats);"
        "benign:f:normalised score;redteam:f:normalised score;rise_benign:f:normalised score;"
        "rise_redteam:f:normalised score", err);
    if (!t) return err->code;
    if (!D->nrl) return report_missing(R, t, D->missing_rl, err);
    const RLRec *runs[MAXS];
    int n = fig13_runs(D, 0, runs);
    if (!n) return report_missing(R, t, "no hh runs against the largest PM", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig14_benign_vs_redteam",
                       "train-PM score on benign vs red-team prompts during RLHF (cf. Bai et al. 2022, Fig. 14)",
                       &R->gi, 1100, 750, err);
    if (!f) return tab_free(t), err->code;
    for (int k = 0; k < n; k++) {
        const RLRec *r = runs[k];
        for (int i = 0; i < r->n; i++) {
            double b = r->col[RL_TRAIN_BENIGN][i], x = r->col[RL_TRAIN_RED][i];
            size_t row = tab_add_row(t);
            tab_sets(t, row, "policy", r->policy), tab_sets(t, row, "pm_scale", r->pm_scale);
            tab_seti(t, row, "seed", r->seed), tab_seti(t, row, "iter", lround(r->col[RL_ITER][i]));
            tab_setf(t, row, "sqrt_kl", r->col[RL_SQRT_KL][i]);
            tab_setf(t, row, "benign", b), tab_setf(t, row, "redteam", x);
            tab_setf(t, row, "rise_benign", b - r->col[RL_TRAIN_BENIGN][0]);
            tab_setf(t, row, "rise_redteam", x - r->col[RL_TRAIN_RED][0]);
        }
    }
    gp_tab_block(f, "$c", "iter benign redteam; one block per policy", t, "iter benign redteam", NULL, "policy");
    gp_loop_begin(f, "fig14_benign_vs_redteam");
    fprintf(f, "set title \"Train-PM score on benign vs red-team prompts during RLHF (cf. Bai et al. 2022, "
               "Fig. 14)\\n{/*0.7 every policy vs the largest PM (%s), variant HH; solid: benign and borderline "
               "prompts, dashed: red-team and disguised; the largest policy (%s) thick}\"\n"
               "set xlabel \"PPO iterations\"\nset ylabel \"train-PM reward (normalised score)\"\n"
               "set key top left\nplot ", D->big_pm_scale, D->big_policy);
    for (int k = 0; k < n; k++) {
        int L = lt(R, runs[k]->policy), big = !strcmp(runs[k]->policy, D->big_policy);
        fprintf(f, "$c index %d u 1:2 w lp lt %d lw %d title \"%s: benign\", $c index %d u 1:3 w lp lt %d "
                   "lw %d dt 2 pt 6 title \"%s: red-team\", \\\n  ", k, L, big ? 4 : 2, runs[k]->policy, k, L,
                big ? 4 : 2, runs[k]->policy);
    }
    fputs("0 w l lt 10 notitle\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// helpful-only vs HH

// The rows of one run (none when r is NULL).
static void help_harm_rows(Tab *t, const RLRec *r, const char *variant) {
    static const int CC[6] = {RL_HELP_BENIGN, RL_HARM_BENIGN, RL_HELP_BORDER, RL_REFUSE_BORDER, RL_HELP_RED, RL_HARM_RED};
    for (int i = 0; r && i < r->n; i++) {
        size_t row = tab_add_row(t);
        tab_sets(t, row, "variant", variant), tab_sets(t, row, "policy", r->policy);
        tab_sets(t, row, "pm_scale", r->pm_scale), tab_seti(t, row, "seed", r->seed);
        tab_seti(t, row, "iter", lround(r->col[RL_ITER][i])), tab_setf(t, row, "kl", r->col[RL_KL][i]);
        tab_setf(t, row, "sqrt_kl", r->col[RL_SQRT_KL][i]), tab_setf(t, row, "train_pm", r->col[RL_TRAIN][i]);
        for (int c = 0; c < 6; c++) tab_setf(t, row, RL_COLNAME(CC[c]), r->col[CC[c]][i]);
        tab_setf(t, row, "gold_utility", rl_gold(r, i));
    }
}

int rlreport_help_harm(Report *R, const RLData *D, HHErr *err) {
    Tab *t = tab_alloc("rl_help_harm",
        "the largest policy against the largest PM scale, variants hh (HH PM, half 0) and helpful (the "
        "helpful-only PM of the mix sweep): gold measures of held-out samples over training; gold_utility "
        "U = (help_benign + help_borderline)/2 - harm_redteam",
        "variant:s:-;policy:s:-;pm_scale:s:-;seed:i:index;iter:i:iterations;kl:f:nats;sqrt_kl:f:sqrt(nats);"
        "train_pm:f:normalised score;help_benign:f:gold help [0,1];harm_benign:f:gold harm [0,1];"
        "help_borderline:f:gold help [0,1];refuse_borderline:f:fraction;help_redteam:f:gold help [0,1];"
        "harm_redteam:f:gold harm [0,1];gold_utility:f:gold units", err);
    if (!t) return err->code;
    if (!D->nrl) return report_missing(R, t, D->missing_rl, err);
    static const char *VAR[2] = {"hh", "helpful"};
    const RLRec *runs[2] = {rl_find(D, D->big_policy, D->big_pm_scale, VAR[0]),
                            rl_find(D, D->big_policy, D->big_pm_scale, VAR[1])};
    if (!runs[0] && !runs[1]) return report_missing(R, t, "no runs of the largest policy vs the largest PM", err);
    FILE *f = gp_begin(R->os, R->outdir, "rl_help_harm",
                       "helpful-only vs HH RLHF: gold harm, help and refusals (cf. Bai et al. 2022, Fig. 1)",
                       &R->gi, 1800, 650, err);
    if (!f) return tab_free(t), err->code;
    for (int v = 0; v < 2; v++) help_harm_rows(t, runs[v], VAR[v]);
    for (int v = 0; v < 2; v++) {
        char name[16];
        snprintf(name, sizeof name, "$%s", VAR[v]);
        TabWhere w = tab_where("variant", VAR[v]);
        gp_tab_block(f, name, "sqrt_kl harm_redteam help_benign refuse_borderline gold_utility", t,
                     "sqrt_kl harm_redteam help_benign refuse_borderline gold_utility", &w, NULL);
    }
    gp_loop_begin(f, "rl_help_harm");
    fprintf(f, "set multiplot layout 1,3 title \"Helpful-only vs HH RLHF: policy %s against the %s PMs "
               "(cf. Bai et al. 2022, Fig. 1)\\n{/*0.7 gold measures of held-out samples; one seed per run}\" "
               "font \",16\"\nset xlabel \"%s\"\nset key top left\nset yrange [0:*]\n",
            D->big_policy, D->big_pm_scale, SQRT_KL_LABEL);
    static const char *PT[3][2] = {{"harm on red-team prompts", "gold harm"},
                                   {"help on benign prompts", "gold help"},
                                   {"refusals on borderline prompts", "share of responses with SORRY"}};
    for (int p = 0; p < 3; p++) {
        fprintf(f, "set title \"%s\"\nset ylabel \"%s\"\nplot ", PT[p][0], PT[p][1]);
        for (int v = 0; v < 2; v++)
            if (runs[v])
                fprintf(f, "$%s u 1:%d w lp lt %d title \"%s\", ", VAR[v], 2 + p, v ? 2 : 1,
                        v ? "helpful-only PM" : "HH PM");
        fputs("NaN notitle\n", f);
    }
    fputs("unset multiplot\n", f);
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
    t[0] = tab_alloc("beyond_gold_vs_sqrt_kl",
        "gold HH utility U (gold help on non-red-team prompts - gold harm on red-team prompts) of the "
        "largest policy optimised against the train PM of every PM scale (variant hh): by PPO (method rl, "
        "x = iteration, d = sqrt of the exact held-out KL) and by best-of-n from the initial policy (method "
        "bon, x = n, d = sqrt(kl_exact)); gain = U - U at d = 0; gain_fit = the Gao et al. form of "
        "/fit_overoptimization at d",
        "method:s:-;policy:s:-;pm_scale:s:-;pm_params:f:parameters;x:i:iterations or samples;kl:f:nats;"
        "d:f:sqrt(nats);gold:f:gold units;gain:f:gold units;gain_fit:f:gold units;train_pm:f:normalised score;"
        "help:f:gold help [0,1];harm_redteam:f:gold harm [0,1]", err);
    t[1] = tab_alloc("fit_overoptimization",
        "Gao et al. (2022) forms fitted by nonlinear least squares (stats_nlfit, Levenberg-Marquardt) to "
        "the gold gain of /beyond_gold_vs_sqrt_kl over its points with d > 0: bon R = d (a - b d), rl R = "
        "d (a - b ln d). b > 0: gold gain peaks at d_peak and then falls (over-optimisation). 95% CI = "
        "estimate -+ t(0.975, dof) se across the points of one run (one seed)",
        "method:s:-;form:s:-;policy:s:-;pm_scale:s:-;pm_params:f:parameters;a:f:gold units per sqrt(nat);"
        "a_se:f:gold units per sqrt(nat);a_lo:f:gold units per sqrt(nat);a_hi:f:gold units per sqrt(nat);"
        "b:f:see form;b_se:f:see form;b_lo:f:see form;b_hi:f:see form;n:i:points;dof:i:1;"
        "converged:i:0/1;iter:i:iterations;gsl_status:i:code;d_peak:f:sqrt(nats);gain_peak:f:gold units;"
        "sd_resid:f:gold units;d_max:f:sqrt(nats)", err);
    if (!t[0] || !t[1]) return tab_free(t[0]), tab_free(t[1]), err->code;
    tab_attr_str(t[1], "b_units", "bon: gold units per nat; rl: gold units per sqrt(nat)");
    return 0;
}

// Best-of-n tables, then RL runs, of the largest policy (hh) against every PM
// scale, with their points and fits. Returns the count.
static int overopt_runs(const RLData *D, Gao *G) {
    const RLRec *rr[MAXS];
    int nrr = big_policy_runs(D, "hh", rr), ng = 0;
    for (int m = 0; m < 2; m++)  // bon, rl
        for (int k = 0; k < nrr; k++) {
            const RLRec *r = m ? rr[k] : bon_find(D, rr[k]->policy, rr[k]->pm_scale, "hh");
            if (!r) continue;
            Gao *g = &G[ng++];
            g->r = r, g->bon = !m;
            gao_points(g);
            HHErr e2;
            g->ok = rl_fit_gao(g->bon ? RL_GAO_BON : RL_GAO_RL, g->d, g->y, (size_t)r->n, &g->fit, &e2) == 0;
        }
    return ng;
}

// One run's points (t[0]) and fit (t[1]; the coefficients NaN when the fit failed).
static void overopt_rows(Tab **t, const Gao *g) {
    const RLRec *r = g->r;
    const char *method = g->bon ? "bon" : "rl";
    double dmax = 0;
    for (int i = 0; i < r->n; i++) {
        size_t row = tab_add_row(t[0]);
        tab_sets(t[0], row, "method", method), tab_sets(t[0], row, "policy", r->policy);
        tab_sets(t[0], row, "pm_scale", r->pm_scale), tab_setf(t[0], row, "pm_params", r->pm_params);
        tab_seti(t[0], row, "x", lround(r->col[g->bon ? BON_N : RL_ITER][i]));
        tab_setf(t[0], row, "kl", r->col[g->bon ? BON_KL_EXACT : RL_KL][i]);
        tab_setf(t[0], row, "d", g->d[i]), tab_setf(t[0], row, "gain", g->y[i]);
        tab_setf(t[0], row, "gold", g->bon ? bon_gold(r, i) : rl_gold(r, i));
        tab_setf(t[0], row, "gain_fit", g->ok ? rl_gao_eval(g->bon ? RL_GAO_BON : RL_GAO_RL, g->fit.a, g->fit.b,
                                                            g->d[i]) : NAN);
        tab_setf(t[0], row, "train_pm", r->col[g->bon ? BON_TRAIN : RL_TRAIN][i]);
        tab_setf(t[0], row, "help", g->bon ? r->col[BON_HELP_BENIGN][i]
                                           : 0.5 * (r->col[RL_HELP_BENIGN][i] + r->col[RL_HELP_BORDER][i]));
        tab_setf(t[0], row, "harm_redteam", r->col[g->bon ? BON_HARM_RED : RL_HARM_RED][i]);
        dmax = fmax(dmax, g->d[i]);
    }
    size_t row = tab_add_row(t[1]);
    const RLGaoFit *F = &g->fit;
    tab_sets(t[1], row, "method", method), tab_sets(t[1], row, "form", g->bon ? "d (a - b d)" : "d (a - b ln d)");
    tab_sets(t[1], row, "policy", r->policy), tab_sets(t[1], row, "pm_scale", r->pm_scale);
    tab_setf(t[1], row, "pm_params", r->pm_params), tab_setf(t[1], row, "d_max", dmax);
    if (!g->ok) return;
    tab_setf(t[1], row, "a", F->a), tab_setf(t[1], row, "a_se", F->se_a);
    tab_setf(t[1], row, "a_lo", F->a_lo), tab_setf(t[1], row, "a_hi", F->a_hi);
    tab_setf(t[1], row, "b", F->b), tab_setf(t[1], row, "b_se", F->se_b);
    tab_setf(t[1], row, "b_lo", F->b_lo), tab_setf(t[1], row, "b_hi", F->b_hi);
    tab_seti(t[1], row, "n", (long)F->n), tab_seti(t[1], row, "dof", (long)F->dof);
    tab_seti(t[1], row, "converged", F->converged), tab_seti(t[1], row, "iter", (long)F->iter);
    tab_seti(t[1], row, "gsl_status", F->gsl_status), tab_setf(t[1], row, "d_peak", F->d_peak);
    tab_setf(t[1], row, "gain_peak", F->gain_peak), tab_setf(t[1], row, "sd_resid", F->sd_resid);
}

// $fitM: the fitted form of each /fit_overoptimization row of the method,
// drawn through 61 points over [0, d_max] (NaN when the fit failed).
static void overopt_curves(FILE *f, const Tab *fit, int m) {
    TabWhere w = tab_where("method", m ? "rl" : "bon");
    fprintf(f, "$fit%d << EOD\n# d gain_fit sampled; one block per PM scale\n", m);
    int k = 0;
    for (size_t r = 0; r < fit->nrow; r++) {
        if (!tab_match(fit, r, &w)) continue;
        double a = tab_getf(fit, r, "a"), b = tab_getf(fit, r, "b"), dmax = tab_getf(fit, r, "d_max");
        if (k++) gp_block_next(f);
        for (int s = 0; s <= 60; s++) {
            double x = dmax * s / 60.0;
            fprintf(f, "%.6f %.6f\n", x, isnan(a) ? NAN : rl_gao_eval(m ? RL_GAO_RL : RL_GAO_BON, a, b, x));
        }
    }
    if (!k) fputs("NaN NaN\n", f);
    gp_block_end(f);
}

static void overopt_plot(const Report *R, const RLData *D, FILE *f, Tab **t) {
    for (int m = 0; m < 2; m++) {
        TabWhere w = tab_where("method", m ? "rl" : "bon");
        gp_tab_block(f, m ? "$m1" : "$m0", "d gain; one block per PM scale", t[0], "d gain", &w, "pm_scale");
        overopt_curves(f, t[1], m);
    }
    gp_loop_begin(f, "beyond_overoptimization");
    fprintf(f, "set multiplot layout 1,2 title \"Gold HH utility gain vs sqrt(KL), policy %s vs PMs of every "
               "size (beyond the paper; after Gao et al. 2022)\\n{/*0.7 U = gold help on non-red-team prompts - "
               "gold harm on red-team prompts, minus U of the initial policy; dashed: fitted forms; one seed}\" "
               "font \",16\"\nset key bottom right\nset ylabel \"gold utility gain (gold units)\"\n", D->big_policy);
    for (int m = 0; m < 2; m++) {
        fprintf(f, "set title \"%s\"\nset xlabel \"%s\"\nplot ",
                m ? "PPO against the train PM: fit d (a - b ln d)" : "best-of-n by the train PM: fit d (a - b d)",
                m ? SQRT_KL_LABEL : "sqrt(KL_{best-of-n})  (nats^{1/2}, exact with ties)");
        TabWhere w = tab_where("method", m ? "rl" : "bon");
        for (size_t r = 0, idx = 0; r < t[1]->nrow; r++) {
            if (!tab_match(t[1], r, &w)) continue;
            const char *pm = tab_gets(t[1], r, "pm_scale");
            int L = lt(R, pm);
            fprintf(f, "$m%d index %zu u 1:2 w p lt %d title \"PM %s (b = %.3g)\", $fit%d index %zu u 1:2 w l lt %d "
                       "dt 2 notitle, \\\n  ", m, idx, L, pm, tab_getf(t[1], r, "b"), m, idx, L);
            idx++;
        }
        fputs("0 w l lt 10 notitle\n", f);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
}

int rlreport_overopt(Report *R, const RLData *D, HHErr *err) {
    Tab *t[2];
    if (overopt_tabs(t, err)) return err->code;
    if (!D->nrl && !D->nbon) return report_missing_all(R, t, 2, D->missing_rl, err);
    Gao *G = calloc(2 * MAXS, sizeof *G);
    if (!G) return tab_free(t[0]), tab_free(t[1]), hh_fail(err, HH_EFAIL, "out of memory");
    int ng = overopt_runs(D, G);
    for (int q = 0; q < ng; q++) overopt_rows(t, &G[q]);
    free(G);
    if (!ng) return report_missing_all(R, t, 2, "no hh runs or best-of-n tables of the largest policy", err);
    FILE *f = gp_begin(R->os, R->outdir, "beyond_overoptimization",
                       "gold reward vs sqrt(KL) for best-of-n and RL with Gao et al. 2022 fits (beyond the paper)",
                       &R->gi, 1500, 650, err);
    if (!f) return tab_free(t[0]), tab_free(t[1]), err->code;
    overopt_plot(R, D, f, t);
    return report_put_all(R, t, 2, err);
}
