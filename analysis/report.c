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

const char *const REPORT_MEASURE[4] = {"hh_crowd", "helpful_gold", "harmless_gold", "matched_gold"};

PairSel report_measure_sel(int m) {
    PairSel s = pairsel_all();
    if (m == REPORT_M_MATCHED) return pairsel_matched();
    if (m != REPORT_M_HH) s.vs_gold = 1, s.setmask = m == REPORT_M_HELPFUL ? 1 : 2;
    return s;
}

void pmlin_add(PMLin *L, const PMRec *const *g, int ng, const PairSel *s, double c) {
    if (L->nt >= REPORT_MAX_T || ng < 1) return;
    int t = L->nt++;
    for (int k = 0; k < ng && k < REPORT_MAX_G; k++) L->g[t][k] = g[k];
    L->ng[t] = ng < REPORT_MAX_G ? ng : REPORT_MAX_G, L->s[t] = *s, L->c[t] = c;
}

double pmlin_stat(const size_t *seeds, const size_t *items, size_t U, size_t npairs, void *ctx) {
    const PMLin *L = ctx;
    double v = 0;
    for (int t = 0; t < L->nt; t++)
        v += L->c[t] * pm_acc_h(L->g[t], L->ng[t], seeds, items, U, npairs, &L->s[t]);
    return v;
}

int pmlin_seeds(const PMLin *L) {
    int u = 0;
    for (int t = 0; t < L->nt; t++) u = L->ng[t] > u ? L->ng[t] : u;
    return u;
}

int report_hci(Report *R, const char *comp, PMHStatFn fn, void *ctx, int U, StatsCI *out,
               HHErr *err) {
    size_t np = (size_t)R->rd->pm[0].n;
    if (U < 2) {  // the estimate alone
        size_t *sd, *it;
        if (pm_identity(1, np, &sd, &it, err)) return err->code;
        *out = (StatsCI){fn(sd, it, 1, np, ctx), NAN, NAN, NAN, 1};
        free(sd), free(it);
        return 0;
    }
    gsl_rng *r = report_rng(R, comp, err);
    int rc = r ? pm_hboot(fn, ctx, (size_t)U, np, R->B, r, out, err) : err->code;
    gsl_rng_free(r);
    if (rc && r) {  // name the statistic's stream
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        hh_fail(err, rc, "%s: %.900s", comp, m);
    }
    return rc;
}

int report_acc_ci(Report *R, const char *comp, const PMRec *const *g, int ng, const PairSel *s,
                  StatsCI *out, int *pairs_only, HHErr *err) {
    if (pairs_only) *pairs_only = ng < 2;
    if (ng < 2) {
        *out = acc_ci(pm_count(g, ng, NULL, 0, s));
        return 0;
    }
    PMLin *L = calloc(1, sizeof *L);
    if (!L) return hh_fail(err, HH_EFAIL, "out of memory");
    pmlin_add(L, g, ng, s, 1.0);
    HHErr e2;
    int rc = report_hci(R, comp, pmlin_stat, L, ng, out, &e2);
    if (rc == HH_EFAIL && strstr(e2.msg, "statistic is nan")) {  // a resample selected no pair
        *out = acc_ci(pm_count(g, ng, NULL, 0, s));
        out->lo = out->hi = NAN, rc = 0;
    } else if (rc) {
        *err = e2;
    }
    out->n = pm_count(g, ng, NULL, 0, s).n;
    free(L);
    return rc;
}

int report_hh_equal_group(const Report *R, const char *scale, const PMRec **g) {
    if (!R->sw.mix_n) return 0;
    return report_mix_group(R, scale, R->sw.hh_frac, g);
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
    // every pm file is current for the run's params (pipeline_file_current), so one readout
    const NameList *ro = &R->rd->params.pm_readout;
    tab_attr_str(t, "pm_readout", ro->n ? ro->v[0] : "eos");
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

// Fit points of measure m: every size-sweep PM (each seed is a point: the
// seed is the replicate) with the default PMP setting.
static int fit_points(const Report *R, int m, double *P, double *N, double *A, size_t max) {
    size_t n = 0;
    PairSel s = report_measure_sel(m);
    for (int k = 0; k < R->rd->npm && n < max; k++) {
        const PMRec *r = &R->rd->pm[k];
        if (strcmp(r->sweep, "size") || r->half >= 0 || r->pmp != R->sw.pmp_default) continue;
        const PMRec *g[1] = {r};
        double a = group_acc(g, 1, &s).est;
        if (!isfinite(a)) continue;  // e.g. no surface-matched pairs (a world without the tags)
        P[n] = r->nparams, N[n] = r->n_train, A[n++] = a;
    }
    return (int)n;
}

static int fit_table(Report *R, HHErr *err) {
    Tab *t = tab_alloc("fit_loglinear",
        "least-squares fits acc = a + b ln P + c ln N over the size-sweep PMs (default PMP), one point "
        "per PM and seed (the seed is the replicate: the Student-t interval covers retraining), per "
        "measure: hh_crowd = pooled HH accuracy against crowd labels (the paper's), helpful_gold / "
        "harmless_gold = accuracy against gold on pairs with a gold preference per test set, "
        "matched_gold = against gold on surface-matched helpful pairs (differs = 0; the primary "
        "scaling statistic); P = parameters, N = training comparisons; c/b by the delta method; paper "
        "= Bai et al. 2022's helpful-only fit acc = 0.72 + 0.007 ln(P/1e11) + 0.015 ln(D/8e4) in the "
        "same form (compare signs and c/b, not scale)",
        "measure:s:-;param:s:-;units:s:-;estimate:f:see units column;se:f:see units column;"
        "ci_lo:f:see units column;ci_hi:f:see units column;paper:f:see units column;"
        "r2:f:1;chisq:f:fraction^2;n:i:PMs;dof:i:1", err);
    if (!t) return err->code;
    int any = 0;
    for (int m = 0; m < 4; m++) any |= R->have_fit[m];
    if (!any) return report_missing(R, t, "fewer than 4 size-sweep PMs, or one scale or one size only", err);
    const double pb = 0.007, pc = 0.015, pa = 0.72 - pb * log(1e11) - pc * log(8e4);
    const char *NM[4] = {"a", "b", "c", "c/b"};
    const char *UN[4] = {"fraction", "fraction per ln(parameters)", "fraction per ln(comparisons)", "1"};
    double paper[4] = {pa, pb, pc, pc / pb};
    for (int m = 0; m < 4; m++) {
        if (!R->have_fit[m]) continue;
        const LogLinFit *f = &R->fit[m];
        for (int j = 0; j < 4; j++) {
            size_t i = tab_add_row(t);
            tab_sets(t, i, "measure", REPORT_MEASURE[m]);
            tab_sets(t, i, "param", NM[j]), tab_sets(t, i, "units", UN[j]);
            tab_setf(t, i, "estimate", j < 3 ? f->coef[j] : f->ratio);
            tab_setf(t, i, "se", j < 3 ? f->se[j] : f->ratio_se);
            tab_setf(t, i, "ci_lo", j < 3 ? f->lo[j] : f->ratio_lo);
            tab_setf(t, i, "ci_hi", j < 3 ? f->hi[j] : f->ratio_hi);
            tab_setf(t, i, "paper", paper[j]), tab_setf(t, i, "r2", f->r2);
            tab_setf(t, i, "chisq", f->chisq), tab_seti(t, i, "n", (long)f->n);
            tab_seti(t, i, "dof", (long)f->dof);
        }
    }
    tab_attr_str(t, "method", "stats_multifit_linear (GSL SVD); 95% CI = estimate -+ t(0.975, dof) se");
    return report_put(R, t, err);
}

// Per (measure, scale, size) rows of the Fig. 7 table.
static int fig07_rows(Report *R, Tab *t, int *has, HHErr *err) {
    const Sweeps *sw = &R->sw;
    const PMRec *g[REPORT_MAX_G];
    for (int m = 0; m < 4; m++) {
        PairSel s = report_measure_sel(m);
        for (int sc = 0; sc < sw->nscale; sc++)
            for (int sz = 0; sz < sw->nsize; sz++) {
                int ng = pm_group(R->rd, sw, 0, sw->scale[sc], sw->size[sz], 0, sw->pmp_default, g, REPORT_MAX_G);
                if (!ng || !pm_count(g, ng, NULL, 0, &s).n) continue;
                char comp[96];
                snprintf(comp, sizeof comp, "fig07/%s/%s/%d", REPORT_MEASURE[m], sw->scale[sc], sw->size[sz]);
                StatsCI a;
                int po;
                if (report_acc_ci(R, comp, g, ng, &s, &a, &po, err)) return err->code;
                size_t i = tab_add_row(t);
                has[m] = 1;
                tab_sets(t, i, "measure", REPORT_MEASURE[m]);
                tab_sets(t, i, "scale", sw->scale[sc]), tab_setf(t, i, "params", sw->nparams[sc]);
                tab_seti(t, i, "n_train", sw->size[sz]), tab_seti(t, i, "pmp", sw->pmp_default);
                tab_seti(t, i, "seeds", ng), tab_seti(t, i, "n", (long)a.n);
                tab_setf(t, i, "acc", a.est), tab_setf(t, i, "acc_lo", a.lo), tab_setf(t, i, "acc_hi", a.hi);
                tab_sets(t, i, "interval", po ? "Wilson, test pairs only (one seed)" : "seeds x pairs bootstrap");
                if (R->have_fit[m])
                    tab_setf(t, i, "acc_fit", R->fit[m].coef[0] + R->fit[m].coef[1] * log(sw->nparams[sc]) +
                                                  R->fit[m].coef[2] * log(sw->size[sz]));
            }
    }
    return 0;
}

// $byN_M: one block per scale (x = n_train); $byP_M: one block per size (x = params).
static void fig07_blocks(const Report *R, Tab *t, FILE *f) {
    const Sweeps *sw = &R->sw;
    for (int m = 0; m < 4; m++) {
        char nm[32];
        snprintf(nm, sizeof nm, "$byN%d", m);
        gp_block_begin(f, nm, REPORT_MEASURE[m]);
        for (int i = 0; i < sw->nscale; i++) {
            TabWhere w = tab_where("scale", sw->scale[i]);
            tab_where_and(&w, "measure", REPORT_MEASURE[m]);
            if (i) gp_block_next(f);
            fprintf(f, "# scale %s: n_train acc lo hi\n", sw->scale[i]);
            gp_tab_rows(f, t, "n_train acc acc_lo acc_hi", &w);
        }
        gp_block_end(f);
        snprintf(nm, sizeof nm, "$byP%d", m);
        gp_block_begin(f, nm, REPORT_MEASURE[m]);
        for (int j = 0; j < sw->nsize; j++) {
            char n[16];
            snprintf(n, sizeof n, "%d", sw->size[j]);
            TabWhere w = tab_where("n_train", n);
            tab_where_and(&w, "measure", REPORT_MEASURE[m]);
            if (j) gp_block_next(f);
            fprintf(f, "# n_train %d: params acc lo hi\n", sw->size[j]);
            gp_tab_rows(f, t, "params:%.9g acc acc_lo acc_hi", &w);
        }
        gp_block_end(f);
    }
}

static void fig07_plot(const Report *R, FILE *f, const int *has) {
    const Sweeps *sw = &R->sw;
    static const char *YL[4] = {"HH accuracy vs crowd labels", "helpful set, vs gold",
                                "harmless set, vs gold", "surface-matched helpful, vs gold"};
    char pc[32];
    gp_loop_begin(f, "fig07_pm_accuracy_scaling");
    int nm = has[0] + has[1] + has[2] + has[3];
    fprintf(f, "set multiplot layout 2,%d title \"PM accuracy vs comparisons (top) and PM size (bottom), per test "
          "set (cf. Bai et al. 2022, Fig. 7)\\n{/*0.7 bars: 95%% seeds x pairs bootstrap; dotted: chance; "
          "fits (one point per PM and seed) in /fit\\\\_loglinear and each panel's title}\" font \",15\"\n"
          "set logscale x\nset offsets graph 0.06, graph 0.06, graph 0.04, graph 0.04\n"
          "set key outside below horizontal noopaque nobox height 1 font \",9\"\n", nm);
    for (int row = 0; row < 2; row++)
        for (int m = 0; m < 4; m++) {
            if (!has[m]) continue;  // e.g. no surface-matched pairs (a world without the tags)
            char fit[160] = "no fit";
            if (R->have_fit[m])
                snprintf(fit, sizeof fit, "b = %.4f [%.4f, %.4f], c = %.4f [%.4f, %.4f]", R->fit[m].coef[1],
                         R->fit[m].lo[1], R->fit[m].hi[1], R->fit[m].coef[2], R->fit[m].lo[2], R->fit[m].hi[2]);
            fprintf(f, "set title \"%s\\n{/*0.7 %s}\"\nset ylabel \"accuracy (fraction)\"\n", YL[m], fit);
            if (row == 0) {
                fputs("set xlabel \"training comparisons N (HH mix)\"\nset format x \"%g\"\n", f);
                size_tics(R, f);
                fputs("plot ", f);
                for (int i = 0; i < sw->nscale; i++) {
                    fmt_count(pc, sizeof pc, sw->nparams[i]);
                    fprintf(f, "$byN%d index %d u 1:2:3:4 w yerrorlines lt %d title \"%s (%s)\", \\\n  ", m, i,
                            report_lt(R, sw->scale[i]), sw->scale[i], pc);
                }
            } else {
                fputs("set xlabel \"PM parameters P\"\nset xtics auto\nset format x \"%.0s%c\"\nplot ", f);
                for (int j = 0; j < sw->nsize; j++)
                    fprintf(f, "$byP%d index %d u 1:2:3:4 w yerrorlines lt %d title \"N = %d\", \\\n  ", m, j,
                            1 + j % 8, sw->size[j]);
            }
            fputs("0.5 w l lt 10 lw 2 dt 3 notitle\n", f);
        }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
}

int report_fig07(Report *R, HHErr *err) {
    size_t cap = (size_t)R->rd->npm + 1;
    double *P = malloc(sizeof(double) * cap), *N = malloc(sizeof(double) * cap), *A = malloc(sizeof(double) * cap);
    int rc = P && N && A ? 0 : hh_fail(err, HH_EFAIL, "out of memory");
    for (int m = 0; m < 4 && !rc; m++) {
        int n = fit_points(R, m, P, N, A, cap);
        R->have_fit[m] = 0;
        if (n >= 4 && R->sw.nscale >= 2 && R->sw.nsize >= 2) {
            HHErr e2;
            R->have_fit[m] = pm_fit_loglinear(P, N, A, (size_t)n, &R->fit[m], &e2) == 0;
        }
    }
    free(P), free(N), free(A);
    if (rc || fit_table(R, err)) return err->code;
    Tab *t = tab_alloc("fig07_accuracy",
        "held-out accuracy of the size-sweep PMs with the default PMP setting, per measure (as "
        "/fit_loglinear: hh_crowd = pooled HH vs crowd labels, ties 1/2; helpful_gold, harmless_gold = "
        "vs gold on pairs with a gold preference; matched_gold = vs gold on surface-matched helpful "
        "pairs), scale and training-set size; acc over the pairs of every seed; 95% interval by a "
        "bootstrap over seeds and the test pairs they share; stream hhfit/fig07/MEASURE/SCALE/N), "
        "Wilson over pairs when one seed (column interval); acc_fit = the fitted surface at the point",
        "measure:s:-;scale:s:-;params:f:parameters;n_train:i:comparisons;pmp:i:0/1;seeds:i:count;"
        "n:i:comparisons;acc:f:fraction;acc_lo:f:fraction;acc_hi:f:fraction;interval:s:-;acc_fit:f:fraction", err);
    if (!t) return err->code;
    if (!R->sw.nsize) return report_missing(R, t, "no size-sweep PMs in the run", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig07_pm_accuracy_scaling",
                       "PM accuracy vs training comparisons and PM size per test set (cf. Bai et al. 2022, Fig. 7)",
                       &R->gi, 2200, 1100, err);
    if (!f) return tab_free(t), err->code;
    int has[4] = {0, 0, 0, 0};
    if (fig07_rows(R, t, has, err)) return tab_free(t), err->code;
    fig07_blocks(R, t, f);
    fig07_plot(R, f, has);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// PMP vs no PMP

// The PMP gain at size index sz as a PMLin: mean over scales (sc < 0) or one
// scale of acc(PMP) - acc(no PMP), pooled HH against gold (gold != 0).
int report_pmp_gain(const Report *R, int sc, int sz, double sign, PMLin *L) {
    const Sweeps *sw = &R->sw;
    const PMRec *g1[REPORT_MAX_G], *g0[REPORT_MAX_G];
    PairSel s = report_measure_sel(REPORT_M_HH);
    s.vs_gold = 1;
    int k = 0, lo = sc < 0 ? 0 : sc, hi = sc < 0 ? sw->nscale : sc + 1;
    for (int i = lo; i < hi; i++)
        k += pm_group(R->rd, sw, 0, sw->scale[i], sw->size[sz], 0, 1, g1, REPORT_MAX_G) &&
             pm_group(R->rd, sw, 0, sw->scale[i], sw->size[sz], 0, 0, g0, REPORT_MAX_G);
    for (int i = lo; i < hi && k; i++) {
        int n1 = pm_group(R->rd, sw, 0, sw->scale[i], sw->size[sz], 0, 1, g1, REPORT_MAX_G);
        int n0 = pm_group(R->rd, sw, 0, sw->scale[i], sw->size[sz], 0, 0, g0, REPORT_MAX_G);
        if (!n1 || !n0) continue;
        pmlin_add(L, g1, n1, &s, sign / k);
        pmlin_add(L, g0, n0, &s, -sign / k);
    }
    return k;
}

static int pmp_row(Report *R, Tab *t, int sc, int sz, HHErr *err) {
    const Sweeps *sw = &R->sw;
    PMLin *L = calloc(1, sizeof *L);
    if (!L) return hh_fail(err, HH_EFAIL, "out of memory");
    int k = report_pmp_gain(R, sc, sz, 1.0, L), rc = 0;
    if (k) {
        char comp[64];
        snprintf(comp, sizeof comp, "pmp/%s/%d", sc < 0 ? "mean" : sw->scale[sc], sw->size[sz]);
        StatsCI d, a[2];
        int U = pmlin_seeds(L);
        rc = report_hci(R, comp, pmlin_stat, L, U, &d, err);
        for (int v = 0; v < 2 && !rc; v++) {  // PMP, no PMP: mean accuracy over the scales
            PMLin *M = calloc(1, sizeof *M);
            if (!M) { rc = hh_fail(err, HH_EFAIL, "out of memory"); break; }
            for (int tt = v; tt < L->nt; tt += 2) pmlin_add(M, L->g[tt], L->ng[tt], &L->s[tt], 1.0 / k);
            snprintf(comp, sizeof comp, "pmp/%s/%d/%d", sc < 0 ? "mean" : sw->scale[sc], sw->size[sz], v);
            rc = report_hci(R, comp, pmlin_stat, M, U, &a[v], err);
            free(M);
        }
        if (!rc) {
            size_t i = tab_add_row(t);
            tab_sets(t, i, "scale", sc < 0 ? "mean" : sw->scale[sc]);
            tab_setf(t, i, "params", sc < 0 ? NAN : sw->nparams[sc]);
            tab_seti(t, i, "n_train", sw->size[sz]), tab_seti(t, i, "seeds", U), tab_seti(t, i, "scales", k);
            tab_setf(t, i, "acc_nopmp", a[1].est), tab_setf(t, i, "nopmp_lo", a[1].lo), tab_setf(t, i, "nopmp_hi", a[1].hi);
            tab_setf(t, i, "acc_pmp", a[0].est), tab_setf(t, i, "pmp_lo", a[0].lo), tab_setf(t, i, "pmp_hi", a[0].hi);
            tab_setf(t, i, "gain", d.est), tab_setf(t, i, "gain_lo", d.lo), tab_setf(t, i, "gain_hi", d.hi);
        }
    }
    free(L);
    return rc;
}

int report_pmp(Report *R, HHErr *err) {
    Tab *t = tab_alloc("pmp_vs_nopmp",
        "held-out HH accuracy against gold (pairs with a gold preference, both test sets pooled) of "
        "size-sweep PMs with and without preference-model pretraining (PMP), per scale and training-set "
        "size, and their mean over the scales (scale = mean); gain = acc_pmp - acc_nopmp; 95% intervals "
        "by a hierarchical bootstrap over seeds (paired by seed index) and held-out pairs (stream "
        "hhfit/pmp/SCALE/N); NaN intervals with one seed",
        "scale:s:-;params:f:parameters;n_train:i:comparisons;seeds:i:count;scales:i:count;acc_nopmp:f:fraction;"
        "nopmp_lo:f:fraction;nopmp_hi:f:fraction;acc_pmp:f:fraction;pmp_lo:f:fraction;pmp_hi:f:fraction;"
        "gain:f:fraction;gain_lo:f:fraction;gain_hi:f:fraction", err);
    if (!t) return err->code;
    if (!R->sw.has_pmp || !R->sw.has_nopmp)
        return report_missing(R, t, "the size sweep was not run both with and without PMP ([pm] pmp = 2)", err);
    FILE *f = gp_begin(R->os, R->outdir, "pmp_accuracy", "PMP gain: PM accuracy with minus without "
                       "preference-model pretraining (cf. Bai et al. 2022, Sec. 2 and Fig. 7)", &R->gi, 1100, 700, err);
    if (!f) return tab_free(t), err->code;
    int rc = 0;
    for (int sz = 0; sz < R->sw.nsize && !rc; sz++) rc = pmp_row(R, t, -1, sz, err);
    for (int sc = 0; sc < R->sw.nscale && !rc; sc++)
        for (int sz = 0; sz < R->sw.nsize && !rc; sz++) rc = pmp_row(R, t, sc, sz, err);
    if (rc) return tab_free(t), rc;
    TabWhere w = tab_where("scale", "mean");
    gp_block_begin(f, "$gain", "n_train gain lo hi (mean over scales)");
    gp_tab_rows(f, t, "n_train gain gain_lo gain_hi", &w);
    gp_block_end(f);
    gp_loop_begin(f, "pmp_accuracy");
    fputs("set title \"PMP gain: accuracy with minus without PMP, mean over PM scales (cf. Bai et al. 2022)\\n"
          "{/*0.8 pooled HH test pairs vs gold; bars: 95% seeds x pairs bootstrap; per scale in /pmp\\\\_vs\\\\_nopmp}\"\n"
          "set logscale x\nset xlabel \"training comparisons N (HH mix)\"\n"
          "set ylabel \"accuracy gain from PMP (fraction)\"\nset autoscale xfix\n"
          "set offsets graph 0.06, graph 0.06, graph 0.1, graph 0.1\nset key outside below horizontal noopaque nobox height 1\n", f);
    size_tics(R, f);
    fputs("plot $gain u 1:2:3:4 w yerrorlines lt 1 lw 2 pt 7 title \"PMP gain (95% CI)\", "
          "0 w l lt 10 lw 2 dt 3 title \"no gain\"\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// beyond the paper: accuracy against gold vs against crowd labels

static int gold_rows(Report *R, Tab *t, HHErr *err) {
    const Sweeps *sw = &R->sw;
    const PMRec *g[REPORT_MAX_G];
    PairSel sc = pairsel_all(), sg = pairsel_all();
    sg.vs_gold = 1;
    for (int i = 0; i < sw->nscale; i++)
        for (int j = 0; j < sw->nsize; j++) {
            int ng = pm_group(R->rd, sw, 0, sw->scale[i], sw->size[j], 0, sw->pmp_default, g, REPORT_MAX_G);
            if (!ng) continue;
            StatsCI c, d;
            char comp[64];
            snprintf(comp, sizeof comp, "gold/crowd/%s/%d", sw->scale[i], sw->size[j]);
            if (report_acc_ci(R, comp, g, ng, &sc, &c, NULL, err)) return err->code;
            snprintf(comp, sizeof comp, "gold/gold/%s/%d", sw->scale[i], sw->size[j]);
            if (report_acc_ci(R, comp, g, ng, &sg, &d, NULL, err)) return err->code;
            size_t r = tab_add_row(t);
            tab_sets(t, r, "scale", sw->scale[i]), tab_setf(t, r, "params", sw->nparams[i]);
            tab_seti(t, r, "n_train", sw->size[j]), tab_seti(t, r, "seeds", ng);
            tab_setf(t, r, "acc_crowd", c.est), tab_setf(t, r, "crowd_lo", c.lo);
            tab_setf(t, r, "crowd_hi", c.hi), tab_seti(t, r, "n_crowd", (long)c.n);
            tab_setf(t, r, "acc_gold", d.est), tab_setf(t, r, "gold_lo", d.lo);
            tab_setf(t, r, "gold_hi", d.hi), tab_seti(t, r, "n_gold", (long)d.n);
        }
    return 0;
}

// The crowd-label accuracy of a gold-perfect PM over every held-out pair: it
// agrees with the crowd where the crowd picked the gold-better response
// (gold = +1) and, scoring a gold tie equal, gets half of each tie.
double report_gold_ceiling(const RunData *rd) {
    const PMRec *r = &rd->pm[0];
    double k = 0;
    for (int i = 0; i < r->n; i++) k += r->gold[i] > 0 ? 1 : r->gold[i] == 0 ? 0.5 : 0;
    return r->n ? k / r->n : NAN;
}

int report_gold(Report *R, HHErr *err) {
    Tab *t = tab_alloc("beyond_gold_vs_crowd",
        "beyond the paper: held-out HH accuracy of the size-sweep PMs (default PMP) against the "
        "crowdworker labels they were trained on (all pairs, ties 1/2) and against the gold preference "
        "(pairs with gold != 0); 95% intervals by a hierarchical bootstrap over seeds and pairs (stream "
        "hhfit/gold/...; Wilson with one seed); attribute ceiling = crowd accuracy of a gold-perfect PM "
        "over every held-out pair, computed from the pairs' gold signs (gold-better chosen: 1; gold tie: 1/2)",
        "scale:s:-;params:f:parameters;n_train:i:comparisons;seeds:i:count;acc_crowd:f:fraction;"
        "crowd_lo:f:fraction;crowd_hi:f:fraction;n_crowd:i:comparisons;acc_gold:f:fraction;"
        "gold_lo:f:fraction;gold_hi:f:fraction;n_gold:i:comparisons", err);
    if (!t) return err->code;
    double ceil = report_gold_ceiling(R->rd);
    tab_attr_double(t, "ceiling", ceil);
    if (!R->sw.nsize) return report_missing(R, t, "no size-sweep PMs in the run", err);
    FILE *f = gp_begin(R->os, R->outdir, "beyond_gold_vs_crowd", "PM accuracy against gold vs against "
                       "crowd labels (beyond Bai et al. 2022)", &R->gi, 1100, 850, err);
    if (!f) return tab_free(t), err->code;
    if (gold_rows(R, t, err)) return tab_free(t), err->code;
    report_scale_blocks(R, f, "$gold", "n_train acc_crowd lo hi acc_gold lo hi; one block per scale", t,
                        "n_train acc_crowd crowd_lo crowd_hi acc_gold gold_lo gold_hi", NULL);
    fprintf(f, "ceiling = %.6f\n", ceil);
    gp_loop_begin(f, "beyond_gold_vs_crowd");
    fputs("set title \"PM accuracy against the gold preference (solid) and crowd labels (dashed)\\n"
          "{/*0.8 beyond Bai et al. 2022: a simulation knows the truth; bars: 95% seeds x pairs bootstrap; scales offset "
          "along x}\\n{/*0.8 dash-dot: the crowd-label accuracy a PM that always picks the gold-better response would "
          "get (the ceiling of the dashed series)}\"\n"
          "set logscale x\nset xlabel \"training comparisons N (HH mix)\"\n"
          "set ylabel \"held-out HH accuracy (fraction)\"\nset autoscale xfix\n"
          "set offsets graph 0.06, graph 0.06, graph 0.04, graph 0.04\n"
          "set key outside below horizontal noopaque nobox height 1 maxrows 3 width -2\n", f);
    size_tics(R, f);
    fputs("plot ", f);
    for (int i = 0; i < R->sw.nscale; i++) {
        int lt = report_lt(R, R->sw.scale[i]);
        fprintf(f, "$gold index %d u ($1*%.3f):5:6:7 w yerrorlines lt %d title \"%s vs gold\", "
                   "$gold index %d u ($1*%.3f):2:3:4 w yerrorlines lt %d dt 2 pt 6 title \"%s vs crowd\", \\\n  ",
                i, 1 + 0.03 * (i - (R->sw.nscale - 1) / 2.0), lt, R->sw.scale[i], i,
                1 + 0.03 * (i - (R->sw.nscale - 1) / 2.0), lt, R->sw.scale[i]);
    }
    fputs("ceiling w l lt 9 lw 2 dt 4 title sprintf(\"ceiling vs crowd: %.3f\", ceiling), "
          "0.5 w l lt 10 lw 2 dt 3 title \"chance\"\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}
