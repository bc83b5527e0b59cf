// report_cal.c - Figs. 8 (turns), 9 (calibration), 19 (data mix) and 25
// (accuracy above a score threshold). See report.h.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "report.h"

#define CAL_BINS 10     // reliability bins over [0, 1] of P(higher-scored is chosen)
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
        "held-out HH accuracy against gold (pairs with a gold preference) of each scale's main HH PM "
        "(size sweep, largest n_train, default PMP; pairs of every seed) by conversational turn of the "
        "compared responses; 95% interval by a hierarchical bootstrap over seeds and pairs (stream "
        "hhfit/fig08/SCALE/TURN; Wilson over pairs with one seed)",
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
            s.vs_gold = 1;
            StatsCI a;
            char comp[64];
            snprintf(comp, sizeof comp, "fig08/%s/%d", R->sw.scale[i], tu);
            if (!pm_count(g, ng, NULL, 0, &s).n) continue;
            if (report_acc_ci(R, comp, g, ng, &s, &a, NULL, err)) return tab_free(t), err->code;
            size_t r = tab_add_row(t);
            tab_sets(t, r, "scale", R->sw.scale[i]), tab_setf(t, r, "params", R->sw.nparams[i]);
            tab_seti(t, r, "n_train", g[0]->n_train), tab_seti(t, r, "turn", tu);
            tab_seti(t, r, "n", (long)a.n), tab_setf(t, r, "acc", a.est);
            tab_setf(t, r, "acc_lo", a.lo), tab_setf(t, r, "acc_hi", a.hi);
        }
    }
    report_scale_blocks(R, f, "$turn", "turn acc lo hi; one block per scale", t, "turn acc acc_lo acc_hi", NULL);
    gp_loop_begin(f, "fig08_accuracy_by_turn");
    fprintf(f, "set title \"PM accuracy vs conversational turn (cf. Bai et al. 2022, Fig. 8)\\n{/*0.8 bars: 95%% seeds x pairs bootstrap}\"\n"
               "set xlabel \"conversational turn of the compared responses\"\n"
               "set ylabel \"held-out HH accuracy vs gold (fraction)\"\nset xrange [0.6:%.1f]\nset xtics 1\n"
               "set offsets 0, 0, graph 0.08, graph 0.08\nset key outside below horizontal noopaque nobox height 1\nplot ", tmax + 0.4);
    for (int i = 0; i < ns; i++)
        fprintf(f, "$turn index %d u ($1%+.3f):2:3:4 w yerrorlines lt %d title \"%s (N = %d)\", \\\n  ", i,
                0.07 * (i - (ns - 1) / 2.0), report_lt(R, R->sw.scale[i]), R->sw.scale[i],
                R->sw.size[R->sw.nsize - 1]);  // each scale offset for legibility
    fputs("0.5 w l lt 10 lw 2 dt 3 title \"chance\"\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// Fig. 9: calibration. The figure's bins are the ECE's: CAL_BINS equal bins of
// p = sigmoid(|score difference|), the PM's probability that the higher-scored
// response is the crowd's pick; each bin is plotted at d = logit(mean p).

double report_cal_stat(const size_t *seeds, const size_t *items, size_t U, size_t np, void *ctx) {
    const PMCalH *c = ctx;
    StatsCalBin b[CAL_BINS];
    double ece = NAN, sece = NAN;
    HHErr e;
    if (pm_calibration_h(c->g, c->ng, seeds, items, U, np, &c->s, CAL_BINS, b, &ece, &sece, &e))
        return NAN;
    if (c->what == -2) return ece;
    if (c->what == -1) return sece;
    return b[c->what].count ? b[c->what].obs_freq : NAN;
}

typedef struct {
    Tab *bins, *ece;
} CalTabs;

// A statistic with its seeds x pairs interval; a NaN resample value (an empty
// bin) makes the interval NaN rather than fail the analysis.
static int cal_ci(Report *R, const char *comp, PMCalH *c, StatsCI *out, HHErr *err) {
    HHErr e2;
    int rc = report_hci(R, comp, report_cal_stat, c, c->ng, out, &e2);
    if (rc == HH_EFAIL && strstr(e2.msg, "statistic is")) {
        out->lo = out->hi = NAN;
        return 0;
    }
    if (rc) *err = e2;
    return rc;
}

// Calibration of one PM kind at one scale on one test set.
static int cal_one(Report *R, CalTabs *T, const char *kind, const char *set, const char *scale,
                   const PMRec *const *g, int ng, const PairSel *s, HHErr *err) {
    StatsCalBin cb[CAL_BINS];
    double ece = NAN, sece = NAN, null = NAN;
    size_t *sd, *it, np = (size_t)g[0]->n;
    if (pm_identity((size_t)ng, np, &sd, &it, err)) return err->code;
    int rc = pm_calibration_h(g, ng, sd, it, (size_t)ng, np, s, CAL_BINS, cb, &ece, &sece, err);
    free(sd), free(it);
    if (rc) return rc;
    char comp[128];
    PMCalH c = {g, ng, *s, -2};
    StatsCI ci_e, ci_s;
    snprintf(comp, sizeof comp, "ece/%s/%s/%s", kind, set, scale);
    if (cal_ci(R, comp, &c, &ci_e, err)) return err->code;
    c.what = -1;
    snprintf(comp, sizeof comp, "sece/%s/%s/%s", kind, set, scale);
    if (cal_ci(R, comp, &c, &ci_s, err)) return err->code;
    snprintf(comp, sizeof comp, "ecenull/%s/%s/%s", kind, set, scale);
    gsl_rng *r = report_rng(R, comp, err);
    if (!r || pm_ece_null(g, ng, s, CAL_BINS, NULL_REPS, r, &null, err)) return gsl_rng_free(r), err->code;
    gsl_rng_free(r);
    for (int b = 0; b < CAL_BINS; b++) {
        StatsCI o = {NAN, NAN, NAN, NAN, 0};
        if (cb[b].count) {
            c.what = b;
            snprintf(comp, sizeof comp, "calbin/%s/%s/%s/%d", kind, set, scale, b);
            if (cal_ci(R, comp, &c, &o, err)) return err->code;
            if (ng < 2) o.lo = cb[b].ci_lo, o.hi = cb[b].ci_hi;  // one seed: Wilson
        }
        size_t i = tab_add_row(T->bins);
        tab_sets(T->bins, i, "pm", kind), tab_sets(T->bins, i, "scale", scale), tab_sets(T->bins, i, "test_set", set);
        tab_setf(T->bins, i, "bin_lo", cb[b].lo), tab_setf(T->bins, i, "bin_hi", cb[b].hi);
        tab_seti(T->bins, i, "count", (long)cb[b].count), tab_setf(T->bins, i, "mean_pred", cb[b].mean_pred);
        tab_setf(T->bins, i, "d_pred", log(cb[b].mean_pred / (1 - cb[b].mean_pred)));
        tab_setf(T->bins, i, "obs_freq", cb[b].obs_freq), tab_setf(T->bins, i, "obs_lo", o.lo);
        tab_setf(T->bins, i, "obs_hi", o.hi);
    }
    size_t i = tab_add_row(T->ece);
    tab_sets(T->ece, i, "pm", kind), tab_sets(T->ece, i, "scale", scale), tab_sets(T->ece, i, "test_set", set);
    tab_seti(T->ece, i, "n_train", g[0]->n_train), tab_setf(T->ece, i, "help_frac", g[0]->help_frac);
    tab_seti(T->ece, i, "seeds", ng), tab_seti(T->ece, i, "n", (long)pm_count(g, ng, NULL, 0, s).n);
    tab_setf(T->ece, i, "ece", ece), tab_setf(T->ece, i, "ece_lo", ci_e.lo), tab_setf(T->ece, i, "ece_hi", ci_e.hi);
    tab_setf(T->ece, i, "sece", sece), tab_setf(T->ece, i, "sece_lo", ci_s.lo), tab_setf(T->ece, i, "sece_hi", ci_s.hi);
    tab_setf(T->ece, i, "ece_null", null);
    return 0;
}

static int cal_tabs(CalTabs *T, HHErr *err) {
    T->bins = tab_alloc("fig09_accuracy_by_margin",
        "Fig. 9 and the ECE's bins: 10 equal bins of p = sigmoid(|score difference|), the PM's "
        "probability that the higher-scored response is the crowd's pick (ties skipped; only p >= 0.5 "
        "occur); mean_pred = mean p in the bin, d_pred = logit(mean_pred) (the |score difference| where "
        "the figure plots the bin, on the ideal curve 1/(1+e^-d) when calibrated), obs_freq = share "
        "where the higher-scored response was chosen, 95% interval by a hierarchical bootstrap over "
        "seeds and pairs (stream hhfit/calbin/PM/SET/SCALE/BIN; Wilson with one seed; NaN when a "
        "resample empties the bin); pm = helpful-only (mix sweep help_frac = 1) or HH (mix sweep at the "
        "HH mix: the same n_train as the helpful-only PM), per test set; pairs of every seed",
        "pm:s:-;scale:s:-;test_set:s:-;bin_lo:f:probability;bin_hi:f:probability;count:i:comparisons;"
        "mean_pred:f:probability;d_pred:f:PM score difference;obs_freq:f:fraction;obs_lo:f:fraction;"
        "obs_hi:f:fraction", err);
    T->ece = tab_alloc("calibration_ece",
        "expected calibration error (the bins of /fig09_accuracy_by_margin: sum of count-weighted "
        "|observed - predicted|) and signed ECE (sum of count-weighted predicted - observed: > 0 "
        "over-confident, < 0 under-confident) of each scale's helpful-only and equal-data HH PM per "
        "test set; 95% intervals by a hierarchical bootstrap over seeds and pairs (streams "
        "hhfit/ece/..., hhfit/sece/...; NaN with one seed); ece_null = mean ECE of a perfectly "
        "calibrated PM with the same predictions (outcomes drawn from p; 200 draws): the finite-sample floor",
        "pm:s:-;scale:s:-;test_set:s:-;n_train:i:comparisons;help_frac:f:1;seeds:i:count;n:i:comparisons;"
        "ece:f:probability;ece_lo:f:probability;ece_hi:f:probability;sece:f:probability;"
        "sece_lo:f:probability;sece_hi:f:probability;ece_null:f:probability", err);
    return T->bins && T->ece ? 0 : err->code;
}

static int has_count(const Tab *t, size_t r, const void *ctx) {
    (void)ctx;
    return tab_getf(t, r, "count") > 0;
}

static const char *CAL_PM[3] = {"helpful-only", "HH", "HH"};
static const char *CAL_SET[3] = {"helpful", "helpful", "harmless"};

// Panel k: 0 helpful-only PM on the helpful set, 1 and 2 the equal-data HH
// PM on the helpful and harmless sets; datablock $calK, one block per scale.
static int cal_panel(Report *R, CalTabs *T, FILE *f, int k, HHErr *err) {
    const PMRec *g[REPORT_MAX_G];
    PairSel s = pairsel_all();
    s.setmask = k == 2 ? 2 : 1;
    for (int i = 0; i < R->sw.nscale; i++) {
        const char *sc = R->sw.scale[i];
        int ng = k ? report_hh_equal_group(R, sc, g) : report_mix_group(R, sc, 1.0, g);
        if (ng && cal_one(R, T, CAL_PM[k], CAL_SET[k], sc, g, ng, &s, err)) return err->code;
    }
    TabWhere w = tab_where("pm", CAL_PM[k]);
    tab_where_and(&w, "test_set", CAL_SET[k]);
    w.keep = has_count;
    char nm[8];
    snprintf(nm, sizeof nm, "$cal%d", k);
    report_scale_blocks(R, f, nm, "d_pred obs lo hi; one block per scale", T->bins,
                        "d_pred obs_freq obs_lo obs_hi", &w);
    return 0;
}

static void cal_plot(const Report *R, FILE *f) {
    static const char *TI[3] = {"helpful-only PM, helpful test set", "HH PM, helpful test set",
                                "HH PM, harmless test set"};
    gp_loop_begin(f, "fig09_calibration");
    fprintf(f, "set multiplot layout 1,3 title \"PM calibration: accuracy vs score difference, per test set "
               "(cf. Bai et al. 2022, Fig. 9)\\n{/*0.7 the ECE's 10 bins of p = 1/(1+e^{-|d|}), each at the "
               "d of its mean p; bars: 95%% seeds x pairs bootstrap; both PMs trained on %d comparisons}\" "
               "font \",15\"\nset xlabel \"|PM score difference| d (bin mean of p, as logit)\"\n"
               "set ylabel \"accuracy (fraction)\"\nset yrange [0.3:1.02]\nset xrange [0:*]\n"
               "set key outside below horizontal noopaque nobox height 1\n", R->sw.mix_n);
    for (int k = 0; k < 3; k++) {
        fprintf(f, "set title \"%s\"\nplot ", TI[k]);
        for (int i = 0; i < R->sw.nscale; i++)
            fprintf(f, "$cal%d index %d u ($1%+.3f):2:3:4 w yerrorlines lt %d title \"%s\", \\\n  ", k, i,
                    0.03 * (i - (R->sw.nscale - 1) / 2.0), report_lt(R, R->sw.scale[i]), R->sw.scale[i]);
        fputs("1/(1+exp(-x)) w l lt 9 lw 2 title \"calibrated 1/(1+e^{-d})\", 0.5 w l lt 10 lw 2 dt 3 "
              "title \"chance\"\n", f);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
}

int report_fig09(Report *R, HHErr *err) {
    CalTabs T = {0};
    if (cal_tabs(&T, err)) return tab_free(T.bins), tab_free(T.ece), err->code;
    Tab *both[2] = {T.bins, T.ece};
    int have = 0;
    const PMRec *g[REPORT_MAX_G];
    for (int i = 0; i < R->sw.nscale; i++)
        have |= report_mix_group(R, R->sw.scale[i], 1.0, g) > 0 && report_hh_equal_group(R, R->sw.scale[i], g) > 0;
    if (!have)
        return report_missing_all(R, both, 2, "no mix sweep with help_frac 1 and the HH mix ([pm] mixes)", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig09_calibration", "PM calibration: accuracy vs score "
                       "difference per test set (cf. Bai et al. 2022, Fig. 9)", &R->gi, 1900, 700, err);
    int rc = !f;
    for (int k = 0; k < 3 && !rc; k++) rc = cal_panel(R, &T, f, k, err);
    if (rc) return tab_free(T.bins), tab_free(T.ece), err->code;
    cal_plot(R, f);
    return report_put_all(R, both, 2, err);
}

// ---------------------------------------------------------------------------
// Fig. 19: accuracy vs data mix

static int mix_rows(Report *R, Tab *t, int sc, HHErr *err) {
    const PMRec *g[REPORT_MAX_G];
    double max[3] = {0, 0, 0};
    StatsCI a[32][3];
    int seeds[32];
    for (int m = 0; m < R->sw.nmix; m++) {
        int ng = seeds[m] = report_mix_group(R, R->sw.scale[sc], R->sw.mix[m], g);
        for (int s = 0; s < 3; s++) {
            PairSel sel = pairsel_all();
            sel.setmask = s == 2 ? 0 : 1 << s;
            sel.vs_gold = 1;
            a[m][s] = (StatsCI){NAN, NAN, NAN, NAN, 0};
            char comp[96];
            snprintf(comp, sizeof comp, "fig19/%s/%g/%d", R->sw.scale[sc], R->sw.mix[m], s);
            if (ng && report_acc_ci(R, comp, g, ng, &sel, &a[m][s], NULL, err)) return err->code;
            if (a[m][s].est > max[s]) max[s] = a[m][s].est;
        }
    }
    static const char *SET[3] = {"helpful", "harmless", "hh"};
    for (int m = 0; m < R->sw.nmix; m++)
        for (int s = 0; s < 3 && !isnan(a[m][0].est); s++) {
            size_t i = tab_add_row(t);
            tab_sets(t, i, "scale", R->sw.scale[sc]), tab_setf(t, i, "params", R->sw.nparams[sc]);
            tab_setf(t, i, "help_frac", R->sw.mix[m]), tab_sets(t, i, "test_set", SET[s]);
            tab_seti(t, i, "n_train", R->sw.mix_n), tab_seti(t, i, "seeds", seeds[m]);
            tab_seti(t, i, "n", (long)a[m][s].n);
            tab_setf(t, i, "acc", a[m][s].est), tab_setf(t, i, "acc_lo", a[m][s].lo);
            tab_setf(t, i, "acc_hi", a[m][s].hi), tab_setf(t, i, "acc_norm", a[m][s].est / max[s]);
            tab_setf(t, i, "norm_lo", a[m][s].lo / max[s]), tab_setf(t, i, "norm_hi", a[m][s].hi / max[s]);
        }
    return 0;
}

static void mix_plot(const Report *R, FILE *f) {
    static const char *PANEL[4] = {"helpful test set", "harmless test set",
                                   "helpful test set, / each size's maximum",
                                   "harmless test set, / each size's maximum"};
    gp_loop_begin(f, "fig19_accuracy_vs_mix");
    fprintf(f, "set multiplot layout 2,2 title \"PM accuracy vs %% helpful data at %d comparisons "
               "(cf. Bai et al. 2022, Fig. 19)\\n{/*0.7 accuracy against gold on pairs with a gold preference; bars: "
               "95%% hierarchical bootstrap over seeds and pairs (Wilson with one seed); scales offset along x "
               "for readability}\" font \",16\"\nset xlabel \"helpful share of the "
               "training comparisons (%%)\"\nset xrange [-3:103]\nset key outside right top noopaque nobox\n",
            R->sw.mix_n);
    for (int p = 0; p < 4; p++) {  // one key, in the emptiest panel (lower right)
        const char *set = p % 2 ? "$harmless" : "$helpful";
        fprintf(f, "%s\nset title \"%s%s\"\nset ylabel \"%s\"\nplot ", p == 3 ? "set key" : "unset key", PANEL[p],
                p < 2 ? " (dotted: chance)" : "", p < 2 ? "accuracy vs gold (fraction)" : "accuracy / max over mixes (1)");
        for (int i = 0; i < R->sw.nscale; i++) {
            const char *sc = R->sw.scale[i], *ti = p == 3 ? "title" : "notitle";
            if (p < 2)
                fprintf(f, "%s index %d u (100*$1%+.2f):2:3:4 w yerrorlines lt %d notitle, \\\n  ", set, i,
                        0.8 * (i - (R->sw.nscale - 1) / 2.0), report_lt(R, sc));
            else
                fprintf(f, "%s index %d u (100*$1%+.2f):5:6:7 w yerrorlines lt %d %s \"%s\", \\\n  ", set, i,
                        0.8 * (i - (R->sw.nscale - 1) / 2.0), report_lt(R, sc), ti, p == 3 ? sc : "");
        }
        fputs(p < 2 ? "0.5 w l lt 10 lw 2 dt 3 notitle\n" : "1 w l lt 10 dt 3 notitle\n", f);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
}

int report_fig19(Report *R, HHErr *err) {
    Tab *t = tab_alloc("fig19_accuracy_vs_mix",
        "Fig. 19: held-out accuracy against gold (pairs with a gold preference) of the mix-sweep PMs "
        "(fixed total n_train, helpful share help_frac; pairs of every seed) on the helpful, harmless and "
        "pooled (hh) test sets; 95% interval by a hierarchical bootstrap over seeds and pairs (stream "
        "hhfit/fig19/SCALE/F/SET; Wilson with one seed); acc_norm = acc / the maximum over mixes of the "
        "same scale and test set, norm_lo/hi = the interval divided by that maximum",
        "scale:s:-;params:f:parameters;help_frac:f:1;test_set:s:-;n_train:i:comparisons;seeds:i:count;"
        "n:i:comparisons;acc:f:fraction;acc_lo:f:fraction;acc_hi:f:fraction;acc_norm:f:1;norm_lo:f:1;"
        "norm_hi:f:1", err);
    if (!t) return err->code;
    if (!R->sw.mix_n || R->sw.nmix < 2) return report_missing(R, t, "no mix sweep in the run ([pm] mixes)", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig19_accuracy_vs_mix", "PM accuracy on helpful and harmless "
                       "test sets vs % helpful training data (cf. Bai et al. 2022, Fig. 19)", &R->gi, 1500, 1050, err);
    if (!f) return tab_free(t), err->code;
    for (int i = 0; i < R->sw.nscale; i++)
        if (mix_rows(R, t, i, err)) return tab_free(t), err->code;
    for (int s = 0; s < 2; s++) {
        TabWhere w = tab_where("test_set", s ? "harmless" : "helpful");
        report_scale_blocks(R, f, s ? "$harmless" : "$helpful", "help_frac acc lo hi acc_norm; one block per scale",
                            t, "help_frac acc acc_lo acc_hi acc_norm norm_lo norm_hi", &w);
    }
    mix_plot(R, f);
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// Fig. 25: accuracy above a score threshold

// Fixed threshold grid on the normalised score: -3, -2.75, ..., +5 sd (the
// same for every PM and set); a point needs FIG25_MIN_N pairs per seed.
#define FIG25_LO -3.0
#define FIG25_STEP 0.25
#define FIG25_NT 33
#define FIG25_MIN_N 30

int report_fig25(Report *R, HHErr *err) {
    Tab *t = tab_alloc("fig25_accuracy_above_threshold",
        "Fig. 25: held-out accuracy against gold (pairs with a gold preference) of each scale's main HH "
        "PM (pairs of every seed), per test set, over the pairs whose higher-scored response scores at "
        "least `threshold` (a fixed grid from -3 to +5 in steps of 0.25, in sd of the PM's scores on "
        "policy samples from their mean, /norm of each PM file); points with at least 30 such pairs "
        "in every seed; 95% interval by a hierarchical bootstrap over seeds and pairs (stream "
        "hhfit/fig25/SCALE/SET/K; Wilson with one seed)",
        "scale:s:-;params:f:parameters;n_train:i:comparisons;test_set:s:-;threshold:f:sd of policy-sample PM scores;"
        "seeds:i:count;n:i:comparisons;acc:f:fraction;acc_lo:f:fraction;acc_hi:f:fraction", err);
    if (!t) return err->code;
    if (!R->sw.nsize) return report_missing(R, t, "no size-sweep PMs in the run", err);
    FILE *f = gp_begin(R->os, R->outdir, "fig25_accuracy_above_threshold", "PM accuracy above a score "
                       "threshold per test set (cf. Bai et al. 2022, Fig. 25)", &R->gi, 1500, 700, err);
    if (!f) return tab_free(t), err->code;
    const PMRec *g[REPORT_MAX_G];
    static const char *SET[2] = {"helpful", "harmless"};
    for (int i = 0; i < R->sw.nscale; i++) {
        int ng = report_hh_group(R, R->sw.scale[i], g);
        for (int set = 0; set < 2 && ng; set++)
            for (int k = 0; k < FIG25_NT; k++) {
                PairSel s = pairsel_all();
                s.setmask = 1 << set, s.vs_gold = 1, s.zmin = FIG25_LO + FIG25_STEP * k;
                int few = 0;
                for (int j = 0; j < ng; j++) few |= pm_count(&g[j], 1, NULL, 0, &s).n < FIG25_MIN_N;
                if (few) continue;
                StatsCI a;
                char comp[96];
                snprintf(comp, sizeof comp, "fig25/%s/%s/%d", R->sw.scale[i], SET[set], k);
                if (report_acc_ci(R, comp, g, ng, &s, &a, NULL, err)) return tab_free(t), err->code;
                size_t r = tab_add_row(t);
                tab_sets(t, r, "scale", R->sw.scale[i]), tab_setf(t, r, "params", R->sw.nparams[i]);
                tab_seti(t, r, "n_train", g[0]->n_train), tab_sets(t, r, "test_set", SET[set]);
                tab_setf(t, r, "threshold", s.zmin), tab_seti(t, r, "seeds", ng);
                tab_seti(t, r, "n", (long)a.n);
                tab_setf(t, r, "acc", a.est), tab_setf(t, r, "acc_lo", a.lo), tab_setf(t, r, "acc_hi", a.hi);
            }
    }
    for (int set = 0; set < 2; set++) {
        TabWhere w = tab_where("test_set", SET[set]);
        report_scale_blocks(R, f, set ? "$thr1" : "$thr0", "threshold acc lo hi; one block per scale", t,
                            "threshold acc acc_lo acc_hi", &w);
    }
    gp_loop_begin(f, "fig25_accuracy_above_threshold");
    fputs("set multiplot layout 1,2 title \"PM accuracy on pairs whose higher PM score exceeds a threshold "
          "(cf. Bai et al. 2022, Fig. 25)\\n{/*0.7 main HH PM per scale; accuracy vs gold; bands: 95% seeds x "
          "pairs bootstrap; threshold in sd of policy-sample scores above their mean}\" font \",15\"\n"
          "set xlabel \"threshold on the pair's higher PM score (sd above the mean)\"\n"
          "set ylabel \"accuracy vs gold (fraction)\"\nset offsets 0, 0, graph 0.06, graph 0.06\n"
          "set key outside below horizontal noopaque nobox height 1\n", f);
    for (int set = 0; set < 2; set++) {
        fprintf(f, "set title \"%s test set\"\nplot ", SET[set]);
        for (int i = 0; i < R->sw.nscale; i++)
            fprintf(f, "$thr%d index %d u 1:3:4 w filledcurves lt %d fs transparent solid 0.12 notitle, "
                       "$thr%d index %d u 1:2 w lp lt %d title \"%s\", \\\n  ", set, i, report_lt(R, R->sw.scale[i]),
                    set, i, report_lt(R, R->sw.scale[i]), R->sw.scale[i]);
        fputs("0.5 w l lt 10 lw 2 dt 3 title \"chance\"\n", f);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}
