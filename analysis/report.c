// report.c - shared helpers, the PM list, crowd agreement, Fig. 7 (scaling
// fit), PMP and the gold-vs-crowd figure. See report.h.
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

// ---------------------------------------------------------------------------
// helpers

int report_hh_group(const Report *R, const char *scale, const PMRec **g) {
    if (!R->sw.nsize) return 0;
    int n = R->sw.size[R->sw.nsize - 1];
    return pm_group(R->rd, &R->sw, 0, scale, n, 0, R->sw.pmp_default, g, REPORT_MAX_G);
}

int report_mix_group(const Report *R, const char *scale, double f, const PMRec **g) {
    return pm_group(R->rd, &R->sw, 1, scale, 0, f, 0, g, REPORT_MAX_G);
}

int report_put(Report *R, Tab *t, HHErr *err) {
    int rc = tab_write(t, R->h5, err);
    tab_free(t);
    return rc;
}

int report_put_all(Report *R, Tab **t, int nt, HHErr *err) {
    int rc = 0;
    for (int k = 0; k < nt; k++)
        if (rc) tab_free(t[k]);
        else rc = report_put(R, t[k], err);
    return rc;
}

int report_missing(Report *R, Tab *t, const char *why, HHErr *err) {
    tab_attr_str(t, "missing", why);
    return report_put(R, t, err);
}

int report_missing_all(Report *R, Tab **t, int nt, const char *why, HHErr *err) {
    int rc = 0;
    for (int k = 0; k < nt; k++)
        if (rc) tab_free(t[k]);
        else rc = report_missing(R, t[k], why, err);
    return rc;
}

void report_scale_blocks(const Report *R, FILE *f, const char *name, const char *comment, Tab *t,
                         const char *cols, const TabWhere *w) {
    gp_block_begin(f, name, comment);
    for (int i = 0; i < R->sw.nscale; i++) {
        TabWhere wi = w ? *w : tab_where(NULL, NULL);
        tab_where_and(&wi, "scale", R->sw.scale[i]);
        if (i) gp_block_next(f);
        gp_tab_rows(f, t, cols, &wi);
    }
    gp_block_end(f);
}

int report_lt(const Report *R, const char *scale) {
    for (int i = 0; i < R->sw.nscale; i++)
        if (!strcmp(R->sw.scale[i], scale)) return 1 + i % 8;
    return 1;
}

gsl_rng *report_rng(const Report *R, const char *component, HHErr *err) {
    gsl_rng *r = rng_stream_alloc(R->seed, "hhfit", component);
    if (!r) hh_fail(err, HH_EFAIL, "out of memory");
    return r;
}

// "3.1k", "29.6k", "1.2M" parameters.
static void fmt_count(char *buf, size_t n, double v) {
    if (v >= 1e6) snprintf(buf, n, "%.1fM", v / 1e6);
    else if (v >= 1e3) snprintf(buf, n, "%.1fk", v / 1e3);
    else snprintf(buf, n, "%.0f", v);
}

// Tics at the size sweep's training-set sizes (a log axis spanning less than
// a decade otherwise shows one tic).
static void size_tics(const Report *R, FILE *f) {
    fputs("set xtics (", f);
    for (int j = 0; j < R->sw.nsize; j++) fprintf(f, "%s\"%d\" %d", j ? ", " : "", R->sw.size[j], R->sw.size[j]);
    fputs(")\n", f);
}

// Pooled-HH accuracy of a group with its Wilson interval.
static StatsCI group_acc(const PMRec *const *g, int ng, const PairSel *s) {
    return acc_ci(pm_count(g, ng, NULL, 0, s));
}

// ---------------------------------------------------------------------------
// /pm_runs

int report_pm_runs(Report *R, HHErr *err) {
    Tab *t = tab_alloc("pm_runs",
        "every preference model of the run (pm/*.h5) with its /job attributes and held-out "
        "accuracy against crowd labels (ties count 1/2) on the helpful, harmless and pooled HH test sets",
        "name:s:-;scale:s:-;sweep:s:-;params:f:parameters;n_train:i:comparisons;"
        "n_help:i:comparisons;n_harm:i:comparisons;help_frac:f:1;pmp:i:0/1;seed:i:index;half:i:index;"
        "n_helpful:i:comparisons;n_harmless:i:comparisons;acc_helpful:f:fraction;"
        "acc_harmless:f:fraction;acc_hh:f:fraction;acc_hh_lo:f:fraction;acc_hh_hi:f:fraction", err);
    if (!t) return err->code;
    for (int k = 0; k < R->rd->npm; k++) {
        const PMRec *r = &R->rd->pm[k];
        const PMRec *g[1] = {r};
        PairSel s = pairsel_all();
        StatsCI hh = group_acc(g, 1, &s);
        s.setmask = 1;
        double ah = group_acc(g, 1, &s).est;
        s.setmask = 2;
        double ax = group_acc(g, 1, &s).est;
        size_t i = tab_add_row(t);
        tab_sets(t, i, "name", r->name), tab_sets(t, i, "scale", r->scale);
        tab_sets(t, i, "sweep", r->sweep), tab_setf(t, i, "params", r->nparams);
        tab_seti(t, i, "n_train", r->n_train), tab_seti(t, i, "n_help", r->n_help);
        tab_seti(t, i, "n_harm", r->n_harm), tab_setf(t, i, "help_frac", r->help_frac);
        tab_seti(t, i, "pmp", r->pmp), tab_seti(t, i, "seed", r->seed), tab_seti(t, i, "half", r->half);
        tab_seti(t, i, "n_helpful", r->n_set[0]), tab_seti(t, i, "n_harmless", r->n_set[1]);
        tab_setf(t, i, "acc_helpful", ah), tab_setf(t, i, "acc_harmless", ax);
        tab_setf(t, i, "acc_hh", hh.est), tab_setf(t, i, "acc_hh_lo", hh.lo);
        tab_setf(t, i, "acc_hh_hi", hh.hi);
    }
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// /crowd_agreement

int report_crowd(Report *R, HHErr *err) {
    Tab *t = tab_alloc("crowd_agreement",
        "crowdworker label agreement from world.h5 /crowd/agreement: two workers with each other "
        "(double-labelled held-out pairs) and a worker with the gold preference (non-tied train + "
        "test pairs); pooled = weighted by the counts",
        "set:s:-;worker_measured:f:fraction;worker_implied:f:fraction;worker_n:i:pairs;"
        "gold_measured:f:fraction;gold_implied:f:fraction;gold_n:i:pairs", err);
    if (!t) return err->code;
    const double(*a)[2] = R->rd->agree;
    static const char *SET[3] = {"helpful", "harmless", "pooled"};
    for (int s = 0; s < 3; s++) {
        size_t i = tab_add_row(t);
        tab_sets(t, i, "set", SET[s]);
        for (int q = 0; q < 2; q++) {  // worker, gold
            const double *m = a[3 * q], *im = a[3 * q + 1], *n = a[3 * q + 2];
            double nn = s < 2 ? n[s] : n[0] + n[1];
            double vm = s < 2 ? m[s] : (m[0] * n[0] + m[1] * n[1]) / nn;
            double vi = s < 2 ? im[s] : (im[0] * n[0] + im[1] * n[1]) / nn;
            tab_setf(t, i, q ? "gold_measured" : "worker_measured", vm);
            tab_setf(t, i, q ? "gold_implied" : "worker_implied", vi);
            tab_setf(t, i, q ? "gold_n" : "worker_n", nn);
        }
    }
    tab_attr_str(t, "tuning_note", "temp_median and lapse_mean were tuned on params/default.ini, "
                 "seed 1234, so that worker_measured falls in the paper's 63-75%; nothing else was tuned");
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// Fig. 7: accuracy vs data and size, log-linear fit

// Fit points: every size-sweep PM (each seed) with the default PMP setting.
static int fit_points(const Report *R, double *P, double *N, double *A, size_t max) {
    size_t n = 0;
    PairSel s = pairsel_all();
    for (int k = 0; k < R->rd->npm && n < max; k++) {
        const PMRec *r = &R->rd->pm[k];
        if (strcmp(r->sweep, "size") || r->half >= 0 || r->pmp != R->sw.pmp_default) continue;
        const PMRec *g[1] = {r};
        P[n] = r->nparams, N[n] = r->n_train, A[n++] = group_acc(g, 1, &s).est;
    }
    return (int)n;
}

static int fit_table(Report *R, HHErr *err) {
    Tab *t = tab_alloc("fit_loglinear",
        "least-squares fit acc = a + b ln P + c ln N over the size-sweep PMs (default PMP, one point "
        "per PM and seed; acc = pooled HH held-out accuracy, P = parameters, N = training "
        "comparisons), with c/b by the delta method; paper = Bai et al. 2022's helpful-only fit "
        "acc = 0.72 + 0.007 ln(P/1e11) + 0.015 ln(D/8e4) in the same form (compare signs and c/b, not scale)",
        "param:s:-;units:s:-;estimate:f:see units column;se:f:see units column;"
        "ci_lo:f:see units column;ci_hi:f:see units column;paper:f:see units column;"
        "r2:f:1;chisq:f:fraction^2;n:i:PMs;dof:i:1", err);
    if (!t) return err->code;
    if (!R->have_fit) return report_missing(R, t, "fewer than 4 size-sweep PMs, or one scale or one size only", err);
    const LogLinFit *f = &R->fit;
    const double pb = 0.007, pc = 0.015, pa = 0.72 - pb * log(1e11) - pc * log(8e4);
    const char *NM[4] = {"a", "b", "c", "c/b"};
    const char *UN[4] = {"fraction", "fraction per ln(parameters)", "fraction per ln(comparisons)", "1"};
    double paper[4] = {pa, pb, pc, pc / pb};
    for (int j = 0; j < 4; j++) {
        size_t i = tab_add_row(t);
        tab_sets(t, i, "param", NM[j]), tab_sets(t, i, "units", UN[j]);
        tab_setf(t, i, "estimate", j < 3 ? f->coef[j] : f->ratio);
        tab_setf(t, i, "se", j < 3 ? f->se[j] : f->ratio_se);
        tab_setf(t, i, "ci_lo", j < 3 ? f->lo[j] : f->ratio_lo);
        tab_setf(t, i, "ci_hi", j < 3 ? f->hi[j] : f->ratio_hi);
        tab_setf(t, i, "paper", paper[j]), tab_setf(t, i, "r2", f->r2);
        tab_setf(t, i, "chisq", f->chisq), tab_seti(t, i, "n", (long)f->n);
        tab_seti(t, i, "dof", (long)f->dof);
    }
    tab_attr_double(t, "r2", f->r2);
    tab_attr_double(t, "chisq", f->chisq);
    tab_attr_str(t, "method", "stats_multifit_linear (GSL SVD); 95% CI = estimate -+ t(0.975, dof) se");
    return report_put(R, t, err);
}

// Per (scale, size) rows of the Fig. 7 table.
static void fig07_rows(Report *R, Tab *t) {
    const Sweeps *sw = &R->sw;
    PairSel s = pairsel_all();
    const PMRec *g[REPORT_MAX_G];
    for (int sc = 0; sc < sw->nscale; sc++)
        for (int sz = 0; sz < sw->nsize; sz++) {
            int ng = pm_group(R->rd, sw, 0, sw->scale[sc], sw->size[sz], 0, sw->pmp_default, g, REPORT_MAX_G);
            if (!ng) continue;
            StatsCI a = group_acc(g, ng, &s);
            size_t i = tab_add_row(t);
            tab_sets(t, i, "scale", sw->scale[sc]), tab_setf(t, i, "params", sw->nparams[sc]);
            tab_seti(t, i, "n_train", sw->size[sz]), tab_seti(t, i, "pmp", sw->pmp_default);
            tab_seti(t, i, "seeds", ng), tab_seti(t, i, "n", (long)a.n);
            tab_setf(t, i, "acc", a.est), tab_setf(t, i, "acc_lo", a.lo), tab_setf(t, i, "acc_hi", a.hi);
            if (R->have_fit)
                tab_setf(t, i, "acc_fit", R->fit.coef[0] + R->fit.coef[1] * log(sw->nparams[sc]) +
                                              R->fit.coef[2] * log(sw->size[sz]));
        }
}

// $byN: one block per scale (x = n_train); $byP: one block per size (x = params).
static void fig07_blocks(const Report *R, Tab *t, FILE *f) {
    const Sweeps *sw = &R->sw;
    gp_block_begin(f, "$byN", NULL);
    for (int i = 0; i < sw->nscale; i++) {
        TabWhere w = tab_where("scale", sw->scale[i]);
        if (i) gp_block_next(f);
        fprintf(f, "# scale %s: n_train acc lo hi\n", sw->scale[i]);
        gp_tab_rows(f, t, "n_train acc acc_lo acc_hi", &w);
    }
    gp_block_end(f);
    gp_block_begin(f, "$byP", NULL);
    for (int j = 0; j < sw->nsize; j++) {
        char n[16];
        snprintf(n, sizeof n, "%d", sw->size[j]);
        TabWhere w = tab_where("n_train", n);
        if (j) gp_block_next(f);
        fprintf(f, "# n_train %d: params acc lo hi\n", sw->size[j]);
        gp_tab_rows(f, t, "params:%.9g acc acc_lo acc_hi", &w);
    }
    gp_block_end(f);
}

static void fig07_plot(const Report *R, FILE *f) {
    const Sweeps *sw = &R->sw;
    char pc[32];
    fprintf(f, "fa = %.10g; fb = %.10g; fc = %.10g\nfit(P, N) = fa + fb * log(P) + fc * log(N)\n",
            R->have_fit ? R->fit.coef[0] : NAN, R->have_fit ? R->fit.coef[1] : NAN,
            R->have_fit ? R->fit.coef[2] : NAN);
    gp_loop_begin(f, "fig07_pm_accuracy_scaling");
    char fit[256] = "no fit (too few scales or sizes)";
    if (R->have_fit)
        snprintf(fit, sizeof fit, "dashed: least-squares fit acc = %.3f %+.4f ln P %+.4f ln N  (R^2 = %.2f, "
                 "n = %zu PMs)", R->fit.coef[0], R->fit.coef[1], R->fit.coef[2], R->fit.r2, R->fit.n);
    fprintf(f, "set multiplot layout 1,2 title \"PM accuracy vs comparisons and PM size (cf. Bai et al. 2022, "
               "Fig. 7)\\n{/*0.7 %s}\" font \",16\"\nset logscale x\n"
               "set ylabel \"held-out HH accuracy (fraction)\"\n", fit);
    fputs("set xlabel \"training comparisons N (HH mix)\"\nset autoscale xfix\n"
          "set offsets graph 0.06, graph 0.06, graph 0.02, graph 0.02\nset key bottom right\n", f);
    size_tics(R, f);
    fputs("plot ", f);
    for (int i = 0; i < sw->nscale; i++) {
        fmt_count(pc, sizeof pc, sw->nparams[i]);
        fprintf(f, "$byN index %d u 1:2:3:4 w yerrorlines lt %d title \"%s (%s params)\", "
                   "fit(%.9g, x) w l lt %d dt 2 notitle, \\\n  ", i, report_lt(R, sw->scale[i]),
                sw->scale[i], pc, sw->nparams[i], report_lt(R, sw->scale[i]));
    }
    fputs("0.5 w l lt 10 title \"chance\"\n", f);
    fputs("set xlabel \"PM parameters P\"\nset xtics auto\nset format x \"%.0s%c\"\nplot ", f);
    for (int j = 0; j < sw->nsize; j++)
        fprintf(f, "$byP index %d u 1:2:3:4 w yerrorlines lt %d title \"N = %d\", fit(x, %d) w l lt %d "
                   "dt 2 notitle, \\\n  ", j, 1 + j % 8, sw->size[j], sw->size[j], 1 + j % 8);
    fputs("0.5 w l lt 10 title \"chance\"\nunset multiplot\n", f);
    gp_loop_end(f);
}

int report_fig07(Report *R, HHErr *err) {
    size_t cap = (size_t)R->rd->npm + 1;
    double *P = malloc(sizeof(double) * cap), *N = malloc(sizeof(double) * cap), *A = malloc(sizeof(double) * cap);
    int n = P && N && A ? fit_points(R, P, N, A, cap) : -1;
    int rc = n < 0 ? hh_fail(err, HH_EFAIL, "out of memory") : 0;
    R->have_fit = 0;
    if (!rc && n >= 4 && R->sw.nscale >= 2 && R->sw.nsize >= 2) {
        HHErr e2;
        R->have_fit = pm_fit_loglinear(P, N, A, (size_t)n, &R->fit, &e2) == 0;
    }
    free(P), free(N), free(A);
    if (rc || fit_table(R, err)) return err->code;
    Tab *t = tab_alloc("fig07_accuracy",
        "held-out HH accuracy (pooled helpful + harmless test sets, against crowd labels, ties 1/2) of "
        "the size-sweep PMs with the default PMP setting, per scale and training-set size (seeds pooled), "
        "95% Wilson interval, and the fitted surface of /fit_loglinear at the point",
        "scale:s:-;params:f:parameters;n_train:i:comparisons;pmp:i:0/1;seeds:i:count;n:i:comparisons;"
        "acc:f:fraction;acc_lo:f:fraction;acc_hi:f:fraction;acc_fit:f:fraction", err);
    if (!t) return err->code;
    if (!R->sw.nsize) return report_missing(R, t, "no size-sweep PMs in the run", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig07_pm_accuracy_scaling",
                       "PM accuracy vs training comparisons and PM size (cf. Bai et al. 2022, Fig. 7)",
                       &R->gi, 1500, 650, err);
    if (!f) return tab_free(t), err->code;
    fig07_rows(R, t);
    fig07_blocks(R, t, f);
    fig07_plot(R, f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// PMP vs no PMP

typedef struct {
    const PMRec *const *g1, *const *g0;
    int n1, n0;
} GainCtx;

static double gain_stat(const size_t *idx, size_t n, void *ctx) {
    const GainCtx *c = ctx;
    PairSel s = pairsel_all();
    AccCount a1 = pm_count(c->g1, c->n1, idx, n, &s), a0 = pm_count(c->g0, c->n0, idx, n, &s);
    return a1.k / (double)a1.n - a0.k / (double)a0.n;
}

static int pmp_row(Report *R, Tab *t, int sc, int sz, HHErr *err) {
    const Sweeps *sw = &R->sw;
    const PMRec *g1[REPORT_MAX_G], *g0[REPORT_MAX_G];
    int n1 = pm_group(R->rd, sw, 0, sw->scale[sc], sw->size[sz], 0, 1, g1, REPORT_MAX_G);
    int n0 = pm_group(R->rd, sw, 0, sw->scale[sc], sw->size[sz], 0, 0, g0, REPORT_MAX_G);
    if (!n1 || !n0) return 0;
    PairSel s = pairsel_all();
    StatsCI a1 = group_acc(g1, n1, &s), a0 = group_acc(g0, n0, &s), d;
    char comp[64];
    snprintf(comp, sizeof comp, "pmp/%s/%d", sw->scale[sc], sw->size[sz]);
    gsl_rng *r = report_rng(R, comp, err);
    GainCtx c = {g1, g0, n1, n0};
    int rc = r ? pm_boot(gain_stat, &c, (size_t)g1[0]->n, R->B, r, &d, err) : err->code;
    gsl_rng_free(r);
    if (rc) return rc;
    size_t i = tab_add_row(t);
    tab_sets(t, i, "scale", sw->scale[sc]), tab_setf(t, i, "params", sw->nparams[sc]);
    tab_seti(t, i, "n_train", sw->size[sz]), tab_seti(t, i, "n", (long)a1.n);
    tab_setf(t, i, "acc_nopmp", a0.est), tab_setf(t, i, "nopmp_lo", a0.lo), tab_setf(t, i, "nopmp_hi", a0.hi);
    tab_setf(t, i, "acc_pmp", a1.est), tab_setf(t, i, "pmp_lo", a1.lo), tab_setf(t, i, "pmp_hi", a1.hi);
    tab_setf(t, i, "gain", d.est), tab_setf(t, i, "gain_lo", d.lo), tab_setf(t, i, "gain_hi", d.hi);
    return 0;
}

int report_pmp(Report *R, HHErr *err) {
    Tab *t = tab_alloc("pmp_vs_nopmp",
        "held-out HH accuracy of size-sweep PMs with and without preference-model pretraining (PMP), "
        "per scale and training-set size; gain = acc_pmp - acc_nopmp with a paired percentile bootstrap "
        "95% interval over held-out comparisons (stream hhfit/pmp/SCALE/N)",
        "scale:s:-;params:f:parameters;n_train:i:comparisons;n:i:comparisons;acc_nopmp:f:fraction;"
        "nopmp_lo:f:fraction;nopmp_hi:f:fraction;acc_pmp:f:fraction;pmp_lo:f:fraction;pmp_hi:f:fraction;"
        "gain:f:fraction;gain_lo:f:fraction;gain_hi:f:fraction", err);
    if (!t) return err->code;
    if (!R->sw.has_pmp || !R->sw.has_nopmp)
        return report_missing(R, t, "the size sweep was not run both with and without PMP ([pm] pmp = 2)", err);
    FILE *f = gp_begin(R->os, R->outdir, "pmp_accuracy", "PM accuracy with and without preference-model "
                       "pretraining (PMP; cf. Bai et al. 2022, Sec. 2 and Fig. 7)", &R->gi, 1300, 750, err);
    if (!f) return tab_free(t), err->code;
    int rc = 0;
    for (int sc = 0; sc < R->sw.nscale && !rc; sc++)
        for (int sz = 0; sz < R->sw.nsize && !rc; sz++) rc = pmp_row(R, t, sc, sz, err);
    if (rc) return tab_free(t), rc;
    report_scale_blocks(R, f, "$pmp", "n_train acc_pmp lo hi acc_nopmp lo hi; one block per scale", t,
                        "n_train acc_pmp pmp_lo pmp_hi acc_nopmp nopmp_lo nopmp_hi", NULL);
    gp_loop_begin(f, "pmp_accuracy");
    fputs("set title \"PM accuracy with (solid) and without (dashed) PMP (cf. Bai et al. 2022, PMP)\"\n"
          "set logscale x\nset xlabel \"training comparisons N (HH mix)\"\n"
          "set ylabel \"held-out HH accuracy (fraction)\"\nset autoscale xfix\n"
          "set offsets graph 0.06, graph 0.06, graph 0.02, graph 0.02\nset key outside right top\n", f);
    size_tics(R, f);
    fputs("plot ", f);
    for (int i = 0; i < R->sw.nscale; i++) {
        int lt = report_lt(R, R->sw.scale[i]);
        fprintf(f, "$pmp index %d u 1:2:3:4 w yerrorlines lt %d title \"%s, PMP\", "
                   "$pmp index %d u 1:5:6:7 w yerrorlines lt %d dt 2 pt 6 title \"%s, no PMP\", \\\n  ",
                i, lt, R->sw.scale[i], i, lt, R->sw.scale[i]);
    }
    fputs("0.5 w l lt 10 title \"chance\"\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// beyond the paper: accuracy against gold vs against crowd labels

static void gold_rows(Report *R, Tab *t) {
    const Sweeps *sw = &R->sw;
    const PMRec *g[REPORT_MAX_G];
    PairSel sc = pairsel_all(), sg = pairsel_all();
    sg.vs_gold = 1;
    for (int i = 0; i < sw->nscale; i++)
        for (int j = 0; j < sw->nsize; j++) {
            int ng = pm_group(R->rd, sw, 0, sw->scale[i], sw->size[j], 0, sw->pmp_default, g, REPORT_MAX_G);
            if (!ng) continue;
            StatsCI c = group_acc(g, ng, &sc), d = group_acc(g, ng, &sg);
            size_t r = tab_add_row(t);
            tab_sets(t, r, "scale", sw->scale[i]), tab_setf(t, r, "params", sw->nparams[i]);
            tab_seti(t, r, "n_train", sw->size[j]), tab_seti(t, r, "seeds", ng);
            tab_setf(t, r, "acc_crowd", c.est), tab_setf(t, r, "crowd_lo", c.lo);
            tab_setf(t, r, "crowd_hi", c.hi), tab_seti(t, r, "n_crowd", (long)c.n);
            tab_setf(t, r, "acc_gold", d.est), tab_setf(t, r, "gold_lo", d.lo);
            tab_setf(t, r, "gold_hi", d.hi), tab_seti(t, r, "n_gold", (long)d.n);
        }
}

int report_gold(Report *R, HHErr *err) {
    Tab *t = tab_alloc("beyond_gold_vs_crowd",
        "beyond the paper: held-out HH accuracy of the size-sweep PMs (default PMP) against the "
        "crowdworker labels they were trained on (all pairs) and against the gold preference (pairs "
        "with a gold preference, gold != 0), 95% Wilson intervals; attribute ceiling = share of crowd "
        "labels that match gold (world.h5 /crowd/agreement/gold_measured, pooled)",
        "scale:s:-;params:f:parameters;n_train:i:comparisons;seeds:i:count;acc_crowd:f:fraction;"
        "crowd_lo:f:fraction;crowd_hi:f:fraction;n_crowd:i:comparisons;acc_gold:f:fraction;"
        "gold_lo:f:fraction;gold_hi:f:fraction;n_gold:i:comparisons", err);
    if (!t) return err->code;
    const double(*a)[2] = R->rd->agree;
    double ceil = (a[3][0] * a[5][0] + a[3][1] * a[5][1]) / (a[5][0] + a[5][1]);
    tab_attr_double(t, "ceiling", ceil);
    if (!R->sw.nsize) return report_missing(R, t, "no size-sweep PMs in the run", err);
    FILE *f = gp_begin(R->os, R->outdir, "beyond_gold_vs_crowd", "PM accuracy against gold vs against "
                       "crowd labels (beyond Bai et al. 2022)", &R->gi, 1350, 750, err);
    if (!f) return tab_free(t), err->code;
    gold_rows(R, t);
    report_scale_blocks(R, f, "$gold", "n_train acc_crowd lo hi acc_gold lo hi; one block per scale", t,
                        "n_train acc_crowd crowd_lo crowd_hi acc_gold gold_lo gold_hi", NULL);
    fprintf(f, "ceiling = %.6f\n", ceil);
    gp_loop_begin(f, "beyond_gold_vs_crowd");
    fputs("set title \"PM accuracy against the gold preference (solid) and crowd labels (dashed)\\n"
          "{/*0.8 beyond Bai et al. 2022: a simulation knows the truth}\"\n"
          "set logscale x\nset xlabel \"training comparisons N (HH mix)\"\n"
          "set ylabel \"held-out HH accuracy (fraction)\"\nset autoscale xfix\n"
          "set offsets graph 0.06, graph 0.06, graph 0.02, graph 0.02\nset key outside right top\n", f);
    size_tics(R, f);
    fputs("plot ", f);
    for (int i = 0; i < R->sw.nscale; i++) {
        int lt = report_lt(R, R->sw.scale[i]);
        fprintf(f, "$gold index %d u 1:5:6:7 w yerrorlines lt %d title \"%s vs gold\", "
                   "$gold index %d u 1:2:3:4 w yerrorlines lt %d dt 2 pt 6 title \"%s vs crowd\", \\\n  ",
                i, lt, R->sw.scale[i], i, lt, R->sw.scale[i]);
    }
    fputs("ceiling w l lt 9 dt 3 title sprintf(\"crowd label = gold: %.3f\\n(crowd accuracy of a gold-perfect PM)\", ceiling), "
          "0.5 w l lt 10 title \"chance\"\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}
