// report_cal.c - Figs. 8 (turns), 9 (calibration), 19 (data mix) and 25
// (accuracy above a score threshold). See report.h.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "report.h"

#define CAL_BINS 10     // reliability bins over [0, 1] of P(higher-scored is chosen)
#define MARGIN_BINS 8   // |score difference| bins of Fig. 9
#define NULL_REPS 200   // draws for the null ECE

// ---------------------------------------------------------------------------
// Fig. 8: accuracy by conversational turn

static int max_turn(const PMRec *r) {
    int m = 1;
    for (int i = 0; i < r->n; i++) m = r->turn[i] > m ? r->turn[i] : m;
    return m;
}

int report_fig08(Report *R, HHErr *err) {
    Tab *t = tab_alloc("fig08_accuracy_by_turn",
        "held-out HH accuracy (against crowd labels) of each scale's main HH PM (size sweep, largest "
        "n_train, default PMP; seeds pooled) by conversational turn of the compared responses, 95% Wilson interval",
        "scale:s:-;params:f:parameters;n_train:i:comparisons;turn:i:turn;n:i:comparisons;"
        "acc:f:fraction;acc_lo:f:fraction;acc_hi:f:fraction", err);
    if (!t) return err->code;
    if (!R->sw.nsize) return report_missing(R, t, "no size-sweep PMs in the run", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig08_accuracy_by_turn", "PM accuracy vs conversational turn "
                       "(cf. Bai et al. 2022, Fig. 8)", &R->gi, 1100, 750, err);
    if (!f) return tab_free(t), err->code;
    const PMRec *g[REPORT_MAX_G];
    int ns = R->sw.nscale, tmax = max_turn(&R->rd->pm[0]);
    for (int i = 0; i < ns; i++) {
        int ng = report_hh_group(R, R->sw.scale[i], g);
        for (int tu = 1; tu <= tmax && ng; tu++) {
            PairSel s = pairsel_all();
            s.turn_min = s.turn_max = tu;
            StatsCI a = acc_ci(pm_count(g, ng, NULL, 0, &s));
            size_t r = tab_add_row(t);
            tab_sets(t, r, "scale", R->sw.scale[i]), tab_setf(t, r, "params", R->sw.nparams[i]);
            tab_seti(t, r, "n_train", g[0]->n_train), tab_seti(t, r, "turn", tu);
            tab_seti(t, r, "n", (long)a.n), tab_setf(t, r, "acc", a.est);
            tab_setf(t, r, "acc_lo", a.lo), tab_setf(t, r, "acc_hi", a.hi);
        }
    }
    report_scale_blocks(R, f, "$turn", "turn acc lo hi; one block per scale", t, "turn acc acc_lo acc_hi", NULL);
    gp_loop_begin(f, "fig08_accuracy_by_turn");
    fprintf(f, "set title \"PM accuracy vs conversational turn (cf. Bai et al. 2022, Fig. 8)\"\n"
               "set xlabel \"conversational turn of the compared responses\"\n"
               "set ylabel \"held-out HH accuracy (fraction)\"\nset xrange [0.6:%.1f]\nset xtics 1\n"
               "set key bottom right\nplot ", tmax + 0.4);
    for (int i = 0; i < ns; i++)
        fprintf(f, "$turn index %d u ($1%+.3f):2:3:4 w yerrorlines lt %d title \"%s (N = %d)\", \\\n  ", i,
                0.07 * (i - (ns - 1) / 2.0), report_lt(R, R->sw.scale[i]), R->sw.scale[i],
                R->sw.size[R->sw.nsize - 1]);  // each scale offset for legibility
    fputs("0.5 w l lt 10 title \"chance\"\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// Fig. 9: calibration

typedef struct {
    Tab *margin, *rel, *ece;
} CalTabs;

// One PM kind at one scale: margin bins, reliability, ECE.
static int cal_one(Report *R, CalTabs *T, const char *kind, const char *scale,
                   const PMRec *const *g, int ng, const PairSel *s, double *null_out, HHErr *err) {
    const char *set = s->setmask == 1 ? "helpful" : "hh";
    StatsAccBin mb[MARGIN_BINS];
    StatsCalBin cb[CAL_BINS];
    double dmax = pm_margin_quantile(g, ng, s, 0.95), ece = NAN, null = NAN;
    if (!(dmax > 0)) dmax = 1;
    char comp[96];
    snprintf(comp, sizeof comp, "ece/%s/%s", kind, scale);
    gsl_rng *r = report_rng(R, comp, err);
    PMEceCtx c = {g, ng, *s, CAL_BINS};
    StatsCI ci;
    int rc = !r || pm_margin_bins(g, ng, s, dmax, MARGIN_BINS, mb, err) ||
             pm_calibration(g, ng, NULL, 0, s, CAL_BINS, cb, &ece, err) ||
             pm_boot(pm_ece_stat, &c, (size_t)g[0]->n, R->B, r, &ci, err) ||
             pm_ece_null(g, ng, s, CAL_BINS, NULL_REPS, r, &null, err);
    gsl_rng_free(r);
    if (rc) return err->code ? err->code : HH_EFAIL;
    for (int b = 0; b < MARGIN_BINS; b++) {
        size_t i = tab_add_row(T->margin);
        tab_sets(T->margin, i, "pm", kind), tab_sets(T->margin, i, "scale", scale);
        tab_sets(T->margin, i, "test_set", set), tab_setf(T->margin, i, "bin_lo", mb[b].lo);
        tab_setf(T->margin, i, "bin_hi", mb[b].hi), tab_setf(T->margin, i, "centre", mb[b].centre);
        tab_seti(T->margin, i, "count", (long)mb[b].count), tab_seti(T->margin, i, "correct", (long)mb[b].correct);
        tab_setf(T->margin, i, "acc", mb[b].acc), tab_setf(T->margin, i, "acc_lo", mb[b].ci_lo);
        tab_setf(T->margin, i, "acc_hi", mb[b].ci_hi), tab_setf(T->margin, i, "ideal_mean", mb[b].ideal_mean);
        tab_setf(T->margin, i, "d_ideal", log(mb[b].ideal_mean / (1 - mb[b].ideal_mean)));
    }
    for (int b = 0; b < CAL_BINS; b++) {
        size_t i = tab_add_row(T->rel);
        tab_sets(T->rel, i, "pm", kind), tab_sets(T->rel, i, "scale", scale), tab_sets(T->rel, i, "test_set", set);
        tab_setf(T->rel, i, "bin_lo", cb[b].lo), tab_setf(T->rel, i, "bin_hi", cb[b].hi);
        tab_seti(T->rel, i, "count", (long)cb[b].count), tab_setf(T->rel, i, "mean_pred", cb[b].mean_pred);
        tab_setf(T->rel, i, "obs_freq", cb[b].obs_freq), tab_setf(T->rel, i, "obs_lo", cb[b].ci_lo);
        tab_setf(T->rel, i, "obs_hi", cb[b].ci_hi);
    }
    size_t i = tab_add_row(T->ece);
    tab_sets(T->ece, i, "pm", kind), tab_sets(T->ece, i, "scale", scale), tab_sets(T->ece, i, "test_set", set);
    tab_seti(T->ece, i, "n_train", g[0]->n_train), tab_setf(T->ece, i, "help_frac", g[0]->help_frac);
    tab_seti(T->ece, i, "n", (long)pm_count(g, ng, NULL, 0, s).n);
    tab_setf(T->ece, i, "ece", ece), tab_setf(T->ece, i, "ece_lo", ci.lo), tab_setf(T->ece, i, "ece_hi", ci.hi);
    tab_setf(T->ece, i, "ece_null", null);
    *null_out = null;
    return 0;
}

static int cal_tabs(CalTabs *T, HHErr *err) {
    const char *ecedesc = "expected calibration error (10 equal bins of p = sigmoid(|score difference|), "
        "sum of count-weighted |observed - predicted|) of each scale's HH PM (pooled test set) and "
        "helpful-only PM (mix sweep help_frac = 1, helpful test set); 95% percentile bootstrap over "
        "held-out comparisons (stream hhfit/ece/PM/SCALE); ece_null = mean ECE of a perfectly "
        "calibrated PM with the same predictions (outcomes drawn from p; 200 draws): the finite-sample floor";
    T->margin = tab_alloc("fig09_accuracy_by_margin",
        "Fig. 9: accuracy (the higher-scored response is the crowd's pick) by bins of |score difference| "
        "(8 equal bins up to the 95th percentile; the last bin takes the rest), against the ideal "
        "1/(1+e^-|d|) averaged over the bin (ideal_mean); d_ideal = the |d| whose sigmoid is ideal_mean (where "
        "the figure plots the bin); pm = HH (pooled test set) or helpful-only (helpful test set)",
        "pm:s:-;scale:s:-;test_set:s:-;bin_lo:f:PM score difference;bin_hi:f:PM score difference;"
        "centre:f:PM score difference;count:i:comparisons;correct:i:comparisons;acc:f:fraction;"
        "acc_lo:f:fraction;acc_hi:f:fraction;ideal_mean:f:fraction;d_ideal:f:PM score difference", err);
    T->rel = tab_alloc("calibration_reliability",
        "reliability table: bins of the PM's probability that the higher-scored response is chosen, "
        "p = sigmoid(|score difference|); observed frequency with 95% Wilson interval (ties skipped)",
        "pm:s:-;scale:s:-;test_set:s:-;bin_lo:f:probability;bin_hi:f:probability;count:i:comparisons;"
        "mean_pred:f:probability;obs_freq:f:fraction;obs_lo:f:fraction;obs_hi:f:fraction", err);
    T->ece = tab_alloc("calibration_ece", ecedesc,
        "pm:s:-;scale:s:-;test_set:s:-;n_train:i:comparisons;help_frac:f:1;n:i:comparisons;"
        "ece:f:probability;ece_lo:f:probability;ece_hi:f:probability;ece_null:f:probability", err);
    return T->margin && T->rel && T->ece ? 0 : err->code;
}

static void cal_free(CalTabs *T) {
    tab_free(T->margin), tab_free(T->rel), tab_free(T->ece);
}

static int has_count(const Tab *t, size_t r, const void *ctx) {
    (void)ctx;
    return tab_getf(t, r, "count") > 0;
}

// One panel's rows (kind 0 helpful-only on the helpful set, 1 HH pooled) and
// its datablock $calK: the non-empty margin bins, one block per scale.
static int cal_panel(Report *R, CalTabs *T, FILE *f, int kind, HHErr *err) {
    const PMRec *g[REPORT_MAX_G];
    PairSel s = pairsel_all();
    s.setmask = kind ? 0 : 1;
    const char *pm = kind ? "HH" : "helpful-only";
    for (int i = 0; i < R->sw.nscale; i++) {
        const char *sc = R->sw.scale[i];
        int ng = kind ? report_hh_group(R, sc, g) : report_mix_group(R, sc, 1.0, g);
        double null = NAN;
        if (ng && cal_one(R, T, pm, sc, g, ng, &s, &null, err)) return err->code;
        if (i == R->sw.nscale - 1) *(kind ? &R->ece_null_hh : &R->ece_null_help) = null;
    }
    TabWhere w = tab_where("pm", pm);
    w.keep = has_count;
    report_scale_blocks(R, f, kind ? "$cal1" : "$cal0", "abs(d) at the bin mean of sigmoid(abs(d)), acc, lo, hi; "
                        "one block per scale", T->margin, "d_ideal acc acc_lo acc_hi", &w);
    return 0;
}

static void cal_plot(const Report *R, FILE *f, int have_help) {
    gp_loop_begin(f, "fig09_calibration");
    fprintf(f, "set multiplot layout 1,%d title \"PM calibration: accuracy vs score difference (cf. Bai et "
               "al. 2022, Fig. 9)\" font \",16\"\nset xlabel \"|PM score difference| of the pair (bin mean)\"\n"
               "set ylabel \"accuracy (fraction)\"\nset yrange [0.3:1.02]\nset xrange [0:*]\nset key bottom right\n",
            have_help ? 2 : 1);
    for (int k = have_help ? 0 : 1; k < 2; k++) {
        fprintf(f, "set title \"%s\"\nplot ", k ? "HH PM, pooled HH test set"
                                                 : "helpful-only PM (100% helpful data), helpful test set");
        for (int i = 0; i < R->sw.nscale; i++)  // the largest scale with intervals, the others as thin lines
            fprintf(f, i + 1 < R->sw.nscale ? "$cal%d index %d u 1:2 w lp lt %d lw 1 ps 0.8 title \"%s\", \\\n  "
                                            : "$cal%d index %d u 1:2:3:4 w yerrorlines lt %d lw 2.5 title \"%s (95%% CI)\", \\\n  ",
                    k, i, report_lt(R, R->sw.scale[i]), R->sw.scale[i]);
        fputs("1/(1+exp(-x)) w l lt 9 title \"ideal 1/(1+e^{-|d|})\", 0.5 w l lt 10 title \"chance\"\n", f);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
}

int report_fig09(Report *R, HHErr *err) {
    CalTabs T = {0};
    R->ece_null_hh = R->ece_null_help = NAN;
    if (cal_tabs(&T, err)) return cal_free(&T), err->code;
    if (!R->sw.nsize) {
        int rc = report_missing(R, T.margin, "no size-sweep PMs", err) ||
                 report_missing(R, T.rel, "no size-sweep PMs", err) ||
                 report_missing(R, T.ece, "no size-sweep PMs", err);
        return rc ? err->code : 0;
    }
    int have_help = 0;
    const PMRec *g[REPORT_MAX_G];
    for (int i = 0; i < R->sw.nscale; i++) have_help |= report_mix_group(R, R->sw.scale[i], 1.0, g) > 0;
    FILE *f = gp_begin(R->os, R->outdir, "fig09_calibration", "PM calibration: accuracy vs score "
                       "difference (cf. Bai et al. 2022, Fig. 9)", &R->gi, have_help ? 1500 : 1000, 650, err);
    int rc = !f || (have_help && cal_panel(R, &T, f, 0, err)) || cal_panel(R, &T, f, 1, err);
    if (rc) return cal_free(&T), err->code;
    cal_plot(R, f, have_help);
    rc = tab_write(T.margin, R->h5, err) || tab_write(T.rel, R->h5, err) || tab_write(T.ece, R->h5, err);
    cal_free(&T);
    return rc ? err->code : 0;
}

// ---------------------------------------------------------------------------
// Fig. 19: accuracy vs data mix

static void mix_rows(Report *R, Tab *t, int sc) {
    const PMRec *g[REPORT_MAX_G];
    double max[3] = {0, 0, 0};
    StatsCI a[32][3];
    for (int m = 0; m < R->sw.nmix; m++) {
        int ng = report_mix_group(R, R->sw.scale[sc], R->sw.mix[m], g);
        for (int s = 0; s < 3; s++) {
            PairSel sel = pairsel_all();
            sel.setmask = s == 2 ? 0 : 1 << s;
            a[m][s] = ng ? acc_ci(pm_count(g, ng, NULL, 0, &sel)) : (StatsCI){NAN, NAN, NAN, NAN, 0};
            if (a[m][s].est > max[s]) max[s] = a[m][s].est;
        }
    }
    static const char *SET[3] = {"helpful", "harmless", "hh"};
    for (int m = 0; m < R->sw.nmix; m++)
        for (int s = 0; s < 3 && !isnan(a[m][0].est); s++) {
            size_t i = tab_add_row(t);
            tab_sets(t, i, "scale", R->sw.scale[sc]), tab_setf(t, i, "params", R->sw.nparams[sc]);
            tab_setf(t, i, "help_frac", R->sw.mix[m]), tab_sets(t, i, "test_set", SET[s]);
            tab_seti(t, i, "n_train", R->sw.mix_n), tab_seti(t, i, "n", (long)a[m][s].n);
            tab_setf(t, i, "acc", a[m][s].est), tab_setf(t, i, "acc_lo", a[m][s].lo);
            tab_setf(t, i, "acc_hi", a[m][s].hi), tab_setf(t, i, "acc_norm", a[m][s].est / max[s]);
        }
}

static void mix_plot(const Report *R, FILE *f) {
    static const char *PANEL[4] = {"helpful test set", "harmless test set",
                                   "helpful test set, / each size's maximum",
                                   "harmless test set, / each size's maximum"};
    gp_loop_begin(f, "fig19_accuracy_vs_mix");
    fprintf(f, "set multiplot layout 2,2 title \"PM accuracy vs %% helpful data at %d comparisons "
               "(cf. Bai et al. 2022, Fig. 19)\" font \",16\"\nset xlabel \"helpful share of the "
               "training comparisons (%%)\"\nset xrange [-3:103]\nset key bottom left\n",
            R->sw.mix_n);
    for (int p = 0; p < 4; p++) {  // one key, in the emptiest panel (lower right)
        const char *set = p % 2 ? "$harmless" : "$helpful";
        fprintf(f, "%s\nset title \"%s%s\"\nset ylabel \"%s\"\nplot ", p == 3 ? "set key" : "unset key", PANEL[p],
                p < 2 ? " (dashed: chance)" : "", p < 2 ? "accuracy (fraction)" : "accuracy / max over mixes");
        for (int i = 0; i < R->sw.nscale; i++) {
            const char *sc = R->sw.scale[i], *ti = p == 3 ? "title" : "notitle";
            if (p < 2)
                fprintf(f, "%s index %d u (100*$1):2:3:4 w yerrorlines lt %d notitle, \\\n  ", set, i,
                        report_lt(R, sc));
            else
                fprintf(f, "%s index %d u (100*$1):5 w lp lt %d %s \"%s\", \\\n  ", set, i,
                        report_lt(R, sc), ti, p == 3 ? sc : "");
        }
        fputs(p < 2 ? "0.5 w l lt 10 notitle\n" : "1 w l lt 10 notitle\n", f);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
}

int report_fig19(Report *R, HHErr *err) {
    Tab *t = tab_alloc("fig19_accuracy_vs_mix",
        "Fig. 19: held-out accuracy (against crowd labels) of the mix-sweep PMs (fixed total n_train, "
        "helpful share help_frac) on the helpful, harmless and pooled (hh) test sets, with 95% Wilson "
        "intervals; acc_norm = acc / the maximum over mixes of the same scale and test set",
        "scale:s:-;params:f:parameters;help_frac:f:1;test_set:s:-;n_train:i:comparisons;n:i:comparisons;"
        "acc:f:fraction;acc_lo:f:fraction;acc_hi:f:fraction;acc_norm:f:1", err);
    if (!t) return err->code;
    if (!R->sw.mix_n || R->sw.nmix < 2) return report_missing(R, t, "no mix sweep in the run ([pm] mixes)", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig19_accuracy_vs_mix", "PM accuracy on helpful and harmless "
                       "test sets vs % helpful training data (cf. Bai et al. 2022, Fig. 19)", &R->gi, 1500, 1050, err);
    if (!f) return tab_free(t), err->code;
    for (int i = 0; i < R->sw.nscale; i++) mix_rows(R, t, i);
    for (int s = 0; s < 2; s++) {
        TabWhere w = tab_where("test_set", s ? "harmless" : "helpful");
        report_scale_blocks(R, f, s ? "$harmless" : "$helpful", "help_frac acc lo hi acc_norm; one block per scale",
                            t, "help_frac acc acc_lo acc_hi acc_norm", &w);
    }
    mix_plot(R, f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// Fig. 25: accuracy above a score threshold

// Thresholds: quantiles 0, 0.05, ..., 0.9 of the pairs' higher normalised score.
static int thresholds(const PMRec *const *g, int ng, double *thr) {
    size_t n = 0;
    for (int j = 0; j < ng; j++) n += (size_t)g[j]->n;
    double *a = malloc(sizeof(double) * (n + 1));
    if (!a) return 0;
    n = 0;
    for (int j = 0; j < ng; j++)
        for (int i = 0; i < g[j]->n; i++) a[n++] = g[j]->smax[i];
    gsl_sort(a, 1, n);
    int k = 0;
    for (int q = 0; q <= 18; q++) {
        double v = gsl_stats_quantile_from_sorted_data(a, 1, n, q / 20.0);
        if (k == 0 || v > thr[k - 1]) thr[k++] = v;
    }
    free(a);
    return k;
}

int report_fig25(Report *R, HHErr *err) {
    Tab *t = tab_alloc("fig25_accuracy_above_threshold",
        "Fig. 25: held-out HH accuracy (against crowd labels) of each scale's main HH PM over the pairs "
        "whose higher-scored response scores at least `threshold`, in units of the PM's score sd on "
        "policy samples from their mean (/norm of the PM file); thresholds at the 0, 5, ..., 90th "
        "percentiles of that score; 95% Wilson intervals",
        "scale:s:-;params:f:parameters;n_train:i:comparisons;threshold:f:sd of policy-sample PM scores;"
        "quantile:f:1;n:i:comparisons;acc:f:fraction;acc_lo:f:fraction;acc_hi:f:fraction", err);
    if (!t) return err->code;
    if (!R->sw.nsize) return report_missing(R, t, "no size-sweep PMs in the run", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig25_accuracy_above_threshold", "PM accuracy above a score "
                       "threshold (cf. Bai et al. 2022, Fig. 25)", &R->gi, 1100, 750, err);
    if (!f) return tab_free(t), err->code;
    const PMRec *g[REPORT_MAX_G];
    double thr[24];
    for (int i = 0; i < R->sw.nscale; i++) {
        int ng = report_hh_group(R, R->sw.scale[i], g), nt = ng ? thresholds(g, ng, thr) : 0;
        for (int k = 0; k < nt; k++) {
            PairSel s = pairsel_all();
            s.zmin = thr[k];
            StatsCI a = acc_ci(pm_count(g, ng, NULL, 0, &s));
            size_t r = tab_add_row(t);
            tab_sets(t, r, "scale", R->sw.scale[i]), tab_setf(t, r, "params", R->sw.nparams[i]);
            tab_seti(t, r, "n_train", g[0]->n_train), tab_setf(t, r, "threshold", thr[k]);
            tab_setf(t, r, "quantile", 0.05 * k), tab_seti(t, r, "n", (long)a.n);
            tab_setf(t, r, "acc", a.est), tab_setf(t, r, "acc_lo", a.lo), tab_setf(t, r, "acc_hi", a.hi);
        }
    }
    report_scale_blocks(R, f, "$thr", "threshold acc lo hi; one block per scale", t, "threshold acc acc_lo acc_hi", NULL);
    gp_loop_begin(f, "fig25_accuracy_above_threshold");
    fputs("set title \"PM accuracy on pairs whose higher PM score exceeds a threshold (cf. Bai et al. 2022, Fig. 25)\"\n"
          "set xlabel \"threshold on the higher score of the pair (sd of policy-sample scores above their mean)\"\n"
          "set ylabel \"held-out HH accuracy (fraction)\"\nset key bottom left\nplot ", f);
    for (int i = 0; i < R->sw.nscale; i++)  // the largest scale with intervals, the others as thin lines
        fprintf(f, i + 1 < R->sw.nscale ? "$thr index %d u 1:2 w lp lt %d lw 1 ps 0.7 title \"%s\", \\\n  "
                                        : "$thr index %d u 1:2:3:4 w yerrorlines lt %d lw 2.5 title \"%s (95%% CI)\", \\\n  ",
                i, report_lt(R, R->sw.scale[i]), R->sw.scale[i]);
    fputs("0.5 w l lt 10 title \"chance\"\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}
