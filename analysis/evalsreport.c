// evalsreport.c - see evalsreport.h
#include "evalsreport.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>

#include "evalsgate.h"

const char *const EVR_VS_NAME[EVR_NVS] = {"distill", "lm"};

#define EVR_MAX_SEEDS 64
#define EVR_MAX_SCALES 32

// ---------------------------------------------------------------------------
// statistics

// Per-item differences x[u * n + i] = rl[u] - base at one shot.
static double *paired(const EVData *D, const EVRec *const *rl, int U, const EVRec *base, int shot) {
    size_t n = (size_t)D->n;
    double *x = malloc(sizeof(double) * (size_t)U * n + 1);
    for (int u = 0; x && u < U; u++)
        for (size_t i = 0; i < n; i++) {
            x[u * n + i] = (double)rl[u]->correct[shot * n + i] - base->correct[shot * n + i];
        }
    return x;
}

int evals_seed_deltas(const EVData *D, int kind, const char *scale, int shot, double *out, int max) {
    const EVRec *rl[64], *base = evd_base(D, EVD_DISTILL, scale);
    int U = evd_rl(D, kind, scale, rl, max < 64 ? max : 64);
    double *x = base && U > 0 ? paired(D, rl, U, base, shot) : NULL;
    if (!x) return 0;
    for (int u = 0; u < U; u++) {
        double s = 0;
        for (int i = 0; i < D->n; i++) s += x[(size_t)u * D->n + i];
        out[u] = s / D->n;
    }
    free(x);
    return U;
}

static int hboot_mean(Report *R, const char *comp, const double *x, int U, size_t n, StatsCI *out,
                      HHErr *err) {
    StatsHBoot *hb = stats_hboot_alloc((size_t)U, n, R->B, err);
    gsl_rng *r = hb ? report_rng(R, comp, err) : NULL;
    int rc = !hb || !r ? err->code : stats_hboot_mean_ci(hb, x, 0.95, r, out, err);
    gsl_rng_free(r);
    stats_hboot_free(hb);
    return rc;
}

int evals_delta_ci(Report *R, const EVData *D, int kind, const char *scale, int shot, int vs,
                   StatsCI *out, int *nseeds, HHErr *err) {
    out->est = out->lo = out->hi = out->se = NAN;
    out->n = 0;
    const EVRec *rl[EVR_MAX_SEEDS];
    const EVRec *base = evd_base(D, vs == EVR_VS_LM ? EVD_LM : EVD_DISTILL, scale);
    int U = *nseeds = evd_rl(D, kind, scale, rl, EVR_MAX_SEEDS);
    if (!base || U == 0) return 0;
    double *x = paired(D, rl, U, base, shot);
    if (!x) return hh_fail(err, HH_EFAIL, "out of memory");
    char comp[1100];
    snprintf(comp, sizeof comp, "evals/delta/%s/%s/%s/%s", EVD_KIND_NAME[kind], scale,
             EV_SHOT_NAME[shot], EVR_VS_NAME[vs]);
    int rc = hboot_mean(R, comp, x, U, (size_t)D->n, out, err);
    free(x);
    return rc;
}

// The slope's data: per scale s, U rows of n differences.
typedef struct {
    int S;
    size_t n;
    double *x[EVR_MAX_SCALES];
    double lnp[EVR_MAX_SCALES];
} SlopeCtx;

static int slope_stat(const size_t *units, const size_t *items, size_t U, size_t n, void *data,
                      double *value) {
    const SlopeCtx *c = data;
    double y[EVR_MAX_SCALES];
    for (int s = 0; s < c->S; s++) {
        double m = 0;
        for (size_t k = 0; k < U; k++)
            for (size_t i = 0; i < n; i++) m += c->x[s][units[k] * n + items[k * n + i]];
        y[s] = m / (double)(U * n);
    }
    double c0, c1, v00, v01, v11, ss;
    if (gsl_fit_linear(c->lnp, 1, y, 1, (size_t)c->S, &c0, &c1, &v00, &v01, &v11, &ss)) return 1;
    *value = c1;
    return 0;
}

int evals_slope_ci(Report *R, const EVData *D, int kind, int shot, StatsCI *boot, StatsLinfit *fit,
                   int *nscales, int *nseeds, HHErr *err) {
    boot->est = boot->lo = boot->hi = boot->se = NAN;
    boot->n = 0;
    memset(fit, 0, sizeof *fit);
    fit->c1 = fit->c0 = fit->c1_lo = fit->c1_hi = fit->r2 = NAN;
    char sc[EVR_MAX_SCALES][HH_NAME_LEN];
    double par[EVR_MAX_SCALES];
    int ns = evd_scales(D, kind, sc, par, EVR_MAX_SCALES), U = EVR_MAX_SEEDS;
    SlopeCtx c = {.n = (size_t)D->n};
    const EVRec *rl[EVR_MAX_SCALES][EVR_MAX_SEEDS];
    const EVRec *base[EVR_MAX_SCALES];
    for (int s = 0; s < ns; s++) {  // scales with a baseline and RL files; seeds common to all
        base[c.S] = evd_base(D, EVD_DISTILL, sc[s]);
        int u = evd_rl(D, kind, sc[s], rl[c.S], EVR_MAX_SEEDS);
        if (!base[c.S] || !u) continue;
        U = u < U ? u : U;
        c.lnp[c.S++] = log(par[s]);
    }
    *nscales = c.S;
    *nseeds = c.S ? U : 0;
    if (c.S < 2) return 0;
    int rc = 0;
    for (int s = 0; s < c.S && !rc; s++)
        if (!(c.x[s] = paired(D, rl[s], U, base[s], shot))) rc = hh_fail(err, HH_EFAIL, "out of memory");
    double y[EVR_MAX_SCALES];
    for (int s = 0; s < c.S && !rc; s++) {
        y[s] = 0;
        for (size_t i = 0; i < (size_t)U * c.n; i++) y[s] += c.x[s][i] / (double)((size_t)U * c.n);
    }
    if (!rc && c.S >= 3) rc = stats_fit_linear(c.lnp, y, (size_t)c.S, fit, err);
    else if (!rc) {  // two scales: the line through them, no t interval
        double v00, v01, v11, ss;
        gsl_fit_linear(c.lnp, 1, y, 1, 2, &fit->c0, &fit->c1, &v00, &v01, &v11, &ss);
        fit->n = 2;
    }
    StatsHBoot *hb = rc ? NULL : stats_hboot_alloc((size_t)U, c.n, R->B, err);
    char comp[1100];
    snprintf(comp, sizeof comp, "evals/slope/%s/%s", EVD_KIND_NAME[kind], EV_SHOT_NAME[shot]);
    gsl_rng *r = hb ? report_rng(R, comp, err) : NULL;
    if (!rc) rc = !hb || !r ? err->code : stats_hboot_ci(hb, slope_stat, &c, 0.95, r, boot, err);
    gsl_rng_free(r);
    stats_hboot_free(hb);
    for (int s = 0; s < c.S; s++) free(c.x[s]);
    return rc;
}

// ---------------------------------------------------------------------------
// tables

static const char *model_name(int kind) {
    static const char *N[EVD_NKIND] = {"lm", "distill", "rlhf_hh", "rlhf_helpful"};
    return N[kind];
}

// One row of /evals_accuracy per (model kind, scale, shot).
static int accuracy_rows(Report *R, const EVData *D, Tab *t, HHErr *err) {
    for (int kind = 0; kind < EVD_NKIND; kind++) {
        char sc[EVR_MAX_SCALES][HH_NAME_LEN];
        double par[EVR_MAX_SCALES];
        int ns = evd_scales(D, kind, sc, par, EVR_MAX_SCALES);
        for (int shot = 0; shot < EV_NSHOT; shot++)  // shot-major: one figure block per shot
            for (int s = 0; s < ns; s++) {
                const EVRec *g[EVR_MAX_SEEDS];
                int U = evd_rl(D, kind, sc[s], g, EVR_MAX_SEEDS);
                StatsCI ci;
                int rc;
                if (kind < EVD_HH) {  // one model: Wilson over items
                    size_t k = 0;
                    for (int i = 0; i < D->n; i++) k += g[0]->correct[(size_t)shot * D->n + i];
                    rc = stats_accuracy_ci(k, (size_t)D->n, &ci, err);
                } else {
                    double *xs = malloc(sizeof(double) * (size_t)U * D->n + 1);
                    for (int u = 0; xs && u < U; u++)
                        for (int i = 0; i < D->n; i++) xs[(size_t)u * D->n + i] = g[u]->correct[(size_t)shot * D->n + i];
                    char comp[1100];
                    snprintf(comp, sizeof comp, "evals/acc/%s/%s/%s", EVD_KIND_NAME[kind], sc[s], EV_SHOT_NAME[shot]);
                    rc = !xs ? hh_fail(err, HH_EFAIL, "out of memory")
                             : hboot_mean(R, comp, xs, U, (size_t)D->n, &ci, err);
                    free(xs);
                }
                if (rc) return rc;
                size_t i = tab_add_row(t);
                tab_sets(t, i, "model", model_name(kind)), tab_sets(t, i, "scale", sc[s]);
                tab_setf(t, i, "params", par[s]), tab_sets(t, i, "shots", EV_SHOT_NAME[shot]);
                tab_seti(t, i, "n_seeds", kind < EVD_HH ? 0 : U), tab_seti(t, i, "n_items", D->n);
                tab_setf(t, i, "acc", ci.est), tab_setf(t, i, "acc_lo", ci.lo), tab_setf(t, i, "acc_hi", ci.hi);
            }
    }
    return 0;
}

// /evals_by_set: accuracy per set (mean over seeds), Wilson over items x seeds.
static int by_set_rows(const EVData *D, Tab *t, HHErr *err) {
    for (int k = 0; k < D->nrec;) {
        const EVRec *r = &D->rec[k];
        int U = 1;
        while (k + U < D->nrec && D->rec[k + U].kind == r->kind && !strcmp(D->rec[k + U].scale, r->scale)) U++;
        for (int shot = 0; shot < EV_NSHOT; shot++)
            for (int s = 0; s < EV_NSETS; s++) {
                size_t hit = 0, cnt = 0;
                for (int u = 0; u < U; u++)
                    for (int i = 0; i < D->n; i++)
                        if (D->set[i] == s) hit += D->rec[k + u].correct[(size_t)shot * D->n + i], cnt++;
                StatsCI ci;
                if (stats_accuracy_ci(hit, cnt, &ci, err)) return err->code;
                size_t i = tab_add_row(t);
                tab_sets(t, i, "model", model_name(r->kind)), tab_sets(t, i, "scale", r->scale);
                tab_setf(t, i, "params", r->params), tab_sets(t, i, "shots", EV_SHOT_NAME[shot]);
                tab_sets(t, i, "set", EV_SET_NAME[s]), tab_seti(t, i, "n_seeds", r->kind < EVD_HH ? 0 : U);
                tab_seti(t, i, "n", (long)cnt), tab_setf(t, i, "acc", ci.est);
                tab_setf(t, i, "acc_lo", ci.lo), tab_setf(t, i, "acc_hi", ci.hi);
            }
        k += U;
    }
    return 0;
}

static int tax_rows(Report *R, const EVData *D, Tab *t, HHErr *err) {
    for (int kind = EVD_HH; kind <= EVD_HELPFUL; kind++) {
        char sc[EVR_MAX_SCALES][HH_NAME_LEN];
        double par[EVR_MAX_SCALES];
        int ns = evd_scales(D, kind, sc, par, EVR_MAX_SCALES);
        for (int vs = 0; vs < EVR_NVS; vs++)
            for (int shot = 0; shot < EV_NSHOT; shot++)
                for (int s = 0; s < ns; s++) {
                    StatsCI ci;
                    int U;
                    if (evals_delta_ci(R, D, kind, sc[s], shot, vs, &ci, &U, err)) return err->code;
                    if (ci.n == 0) continue;
                    size_t i = tab_add_row(t);
                    tab_sets(t, i, "rlhf", model_name(kind)), tab_sets(t, i, "versus", EVR_VS_NAME[vs]);
                    tab_sets(t, i, "scale", sc[s]), tab_setf(t, i, "params", par[s]);
                    tab_sets(t, i, "shots", EV_SHOT_NAME[shot]), tab_seti(t, i, "n_seeds", U);
                    tab_seti(t, i, "n_items", D->n), tab_setf(t, i, "delta", ci.est);
                    tab_setf(t, i, "delta_lo", ci.lo), tab_setf(t, i, "delta_hi", ci.hi);
                }
    }
    return 0;
}

static int fit_rows(Report *R, const EVData *D, Tab *t, HHErr *err) {
    for (int kind = EVD_HH; kind <= EVD_HELPFUL; kind++)
        for (int shot = 0; shot < EV_NSHOT; shot++) {
            StatsCI b;
            StatsLinfit fit;
            int S, U;
            if (evals_slope_ci(R, D, kind, shot, &b, &fit, &S, &U, err)) return err->code;
            if (S < 2) continue;
            size_t i = tab_add_row(t);
            tab_sets(t, i, "rlhf", model_name(kind)), tab_sets(t, i, "shots", EV_SHOT_NAME[shot]);
            tab_seti(t, i, "n_scales", S), tab_seti(t, i, "n_seeds", U);
            tab_setf(t, i, "intercept", fit.c0), tab_setf(t, i, "slope", fit.c1);
            tab_setf(t, i, "slope_lo", b.lo), tab_setf(t, i, "slope_hi", b.hi);
            tab_setf(t, i, "slope_t_lo", S >= 3 ? fit.c1_lo : NAN);
            tab_setf(t, i, "slope_t_hi", S >= 3 ? fit.c1_hi : NAN);
        }
    return 0;
}


// /evals_seen: accuracy and the change from RLHF (versus distill) on the items
// whose query occurs in the training data (/items/seen = 1: the corpus or the
// world's prompt sets, RL and PM training prompts included) and on the others.
static int seen_rows(Report *R, const EVData *D, Tab *t, HHErr *err) {
    for (int kind = 0; kind < EVD_NKIND; kind++) {
        char sc[EVR_MAX_SCALES][HH_NAME_LEN];
        double par[EVR_MAX_SCALES];
        int ns = evd_scales(D, kind, sc, par, EVR_MAX_SCALES);
        for (int shot = 0; shot < EV_NSHOT; shot++)
            for (int s = 0; s < ns; s++)
                for (int seen = 1; seen >= 0; seen--) {
                    const EVRec *g[EVR_MAX_SEEDS];
                    int U = evd_rl(D, kind, sc[s], g, EVR_MAX_SEEDS);
                    const EVRec *base = kind >= EVD_HH ? evd_base(D, EVD_DISTILL, sc[s]) : NULL;
                    int cnt[EV_NSETS] = {0}, m = 0;
                    for (int i = 0; i < D->n; i++)
                        if (D->seen[i] == seen) cnt[D->set[i]]++, m++;
                    StatsCI acc = {.est = NAN, .lo = NAN, .hi = NAN}, del = acc;
                    int rc = 0;
                    if (m && kind < EVD_HH) {
                        size_t k = 0;
                        for (int i = 0; i < D->n; i++)
                            if (D->seen[i] == seen) k += g[0]->correct[(size_t)shot * D->n + i];
                        rc = stats_accuracy_ci(k, (size_t)m, &acc, err);
                    } else if (m) {
                        double *xa = malloc(sizeof(double) * (size_t)U * m + 1),
                               *xd = malloc(sizeof(double) * (size_t)U * m + 1);
                        for (int u = 0; xa && xd && u < U; u++)
                            for (int i = 0, j = 0; i < D->n; i++) {
                                if (D->seen[i] != seen) continue;
                                size_t o = (size_t)shot * D->n + i;
                                xa[(size_t)u * m + j] = g[u]->correct[o];
                                xd[(size_t)u * m + j] = base ? (double)g[u]->correct[o] - base->correct[o] : NAN;
                                j++;
                            }
                        char comp[1100];
                        snprintf(comp, sizeof comp, "evals/seen/%s/%s/%s/%s", EVD_KIND_NAME[kind], sc[s],
                                 EV_SHOT_NAME[shot], seen ? "seen" : "unseen");
                        rc = !xa || !xd ? hh_fail(err, HH_EFAIL, "out of memory")
                                        : hboot_mean(R, comp, xa, U, (size_t)m, &acc, err);
                        if (!rc && base) {
                            snprintf(comp, sizeof comp, "evals/seen_delta/%s/%s/%s/%s", EVD_KIND_NAME[kind],
                                     sc[s], EV_SHOT_NAME[shot], seen ? "seen" : "unseen");
                            rc = hboot_mean(R, comp, xd, U, (size_t)m, &del, err);
                        }
                        free(xa), free(xd);
                    }
                    if (rc) return rc;
                    size_t i = tab_add_row(t);
                    tab_sets(t, i, "model", model_name(kind)), tab_sets(t, i, "scale", sc[s]);
                    tab_setf(t, i, "params", par[s]), tab_sets(t, i, "shots", EV_SHOT_NAME[shot]);
                    tab_sets(t, i, "items", seen ? "seen" : "unseen");
                    for (int k = 0; k < EV_NSETS; k++) {
                        char col[32];
                        snprintf(col, sizeof col, "n_%s", EV_SET_NAME[k]);
                        tab_seti(t, i, col, cnt[k]);
                    }
                    tab_seti(t, i, "n_seeds", kind < EVD_HH ? 0 : U), tab_seti(t, i, "n_items", m);
                    tab_setf(t, i, "acc", acc.est), tab_setf(t, i, "acc_lo", acc.lo);
                    tab_setf(t, i, "acc_hi", acc.hi), tab_setf(t, i, "delta", del.est);
                    tab_setf(t, i, "delta_lo", del.lo), tab_setf(t, i, "delta_hi", del.hi);
                }
    }
    return 0;
}

// /rl_gate: the RL validity gate (evalsgate.h) of every evaluated RL policy.
static int gate_rows(Report *R, const EVData *D, Tab *t, HHErr *err) {
    EVGate *g = NULL;
    int n = 0;
    if (evg_load(R->rd->dir, R->rd, D, &g, &n, err)) return err->code;
    for (int k = 0; k < n; k++) {
        char pol[128];
        const char *u = strrchr(g[k].name, '_');  // the stem without its "_sS"
        snprintf(pol, sizeof pol, "%.*s", u ? (int)(u - g[k].name) : (int)strlen(g[k].name), g[k].name);
        size_t i = tab_add_row(t);
        tab_sets(t, i, "policy", pol), tab_sets(t, i, "variant", g[k].variant);
        tab_sets(t, i, "scale", g[k].scale), tab_seti(t, i, "seed", g[k].seed);
        tab_setf(t, i, "help0", g[k].help0), tab_setf(t, i, "help_kept", g[k].help_kept);
        tab_seti(t, i, "kept_iter", g[k].kept_iter), tab_setf(t, i, "kept_kl", g[k].kept_kl);
        tab_seti(t, i, "valid", g[k].valid);
    }
    free(g);
    return 0;
}

// ---------------------------------------------------------------------------
// the figure

static void script(Report *R, const EVData *D, FILE *f, Tab *acc, Tab *tax, Tab *fit) {
    static const char *TITLE[EVD_NKIND] = {"plain LM", "context-distilled LM (RLHF's start)",
                                           "HH RLHF", "helpful-only RLHF"};
    static const int LT[EVD_NKIND] = {10, 9, 1, 3};
    for (int kind = 0; kind < EVD_NKIND; kind++) {
        char nm[32];
        snprintf(nm, sizeof nm, "$acc_%s", EVD_KIND_NAME[kind]);
        TabWhere w = tab_where("model", model_name(kind));
        gp_tab_block(f, nm, "params acc lo hi; block 0 zero-shot, block 1 few-shot", acc,
                     "params:%.9g acc:%.6g acc_lo:%.6g acc_hi:%.6g", &w, "shots");
    }
    for (int kind = EVD_HH; kind <= EVD_HELPFUL; kind++) {
        char nm[32];
        snprintf(nm, sizeof nm, "$tax_%s", EVD_KIND_NAME[kind]);
        TabWhere w = tab_where("rlhf", model_name(kind));
        tab_where_and(&w, "versus", "distill");
        gp_tab_block(f, nm, "params delta lo hi (RLHF - distilled); block 0 zero-shot, block 1 "
                     "few-shot", tax, "params:%.9g delta:%.6g delta_lo:%.6g delta_hi:%.6g", &w, "shots");
    }
    double px[64];
    int np = 0;
    for (int k = 0; k < D->nrec && np < 64; k++) px[np++] = D->rec[k].params;
    gp_loop_begin(f, "fig03_alignment_tax");
    fprintf(f, "set multiplot layout 1,3 title \"Capability evaluations outside the dialogue format "
               "(paper Fig. 3)\\n{/*0.7 %d items (6 sets x %d: fact multiple choice, copy, reverse, "
               "sort, lookup, recipe); RLHF = policies trained against the largest PM; 95%% intervals: "
               "bootstrap over RL seeds and the items they share (Wilson for single models)}\" font \",16\"\n",
            D->n, D->per_set);
    fputs("set xlabel \"parameters P\"\nset format x \"%.0s%c\"\n"
          "set bmargin 9\nset key outside bottom center vertical maxrows 4 samplen 2 noopaque nobox\n", f);
    gp_log_xrange(f, px, np);
    for (int shot = 0; shot < EV_NSHOT; shot++) {
        fprintf(f, "set title \"%s accuracy\\n{/*0.8 share of the items answered right}\"\nset ylabel \"mean accuracy over the suite\"\n"
                   "set yrange [0:*]\nplot ", shot ? "few-shot" : "zero-shot");
        for (int kind = 0; kind < EVD_NKIND; kind++)
            fprintf(f, "$acc_%s index %d u 1:2:3:4 w yerrorlines lt %d title \"%s\", ",
                    EVD_KIND_NAME[kind], shot, LT[kind], TITLE[kind]);
        fputs("NaN notitle\n", f);
    }
    // The change panel: the data as points with their intervals (dodged sideways in ln P so the
    // four series' intervals stay apart; filled = 0-shot, open = few-shot), the fits as lines, so a
    // fit never hides a series; the key in the same font as the other panels.
    double xlo = INFINITY, xhi = -INFINITY;  // the fits are drawn over the RL policies' sizes only
    for (size_t i = 0; i < tax->nrow; i++) {
        double x = tab_getf(tax, i, "params");
        if (isfinite(x) && x > 0) xlo = fmin(xlo, x), xhi = fmax(xhi, x);
    }
    if (!isfinite(xlo)) xlo = 1, xhi = 10;
    // the fits' slopes (with their 95% bootstrap intervals) in the panel's title, the key kept short
    // one line per fit, so the title fits the panel's width
    fputs("set title \"RLHF minus its initial (distilled) model", f);
    for (size_t i = 0; i < fit->nrow; i++)
        if (!strcmp(tab_gets(fit, i, "shots"), "zero_shot"))
            fprintf(f, "\\n{/*0.8 0-shot fit slope per ln P, %s: %.2g [%.2g, %.2g]}",
                    strcmp(tab_gets(fit, i, "rlhf"), "rlhf_hh") ? "helpful-only" : "HH",
                    tab_getf(fit, i, "slope"), tab_getf(fit, i, "slope_lo"), tab_getf(fit, i, "slope_hi"));
    fputs("\"\nset ylabel \"accuracy change (< 0: alignment tax)\"\nset autoscale y\n"
          "plot 0 w l lt 10 dt 2 notitle, ", f);
    static const double DODGE[2][2] = {{0.92, 0.96}, {1.04, 1.08}};  // [helpful-only?][few-shot?]
    static const int PT[2][2] = {{7, 6}, {9, 8}};
    for (int kind = EVD_HH; kind <= EVD_HELPFUL; kind++)
        for (int shot = 0; shot < EV_NSHOT; shot++)
            fprintf(f, "$tax_%s index %d u ($1*%g):2:3:4 w yerrorbars lt %d pt %d title \"%s, %s\", ",
                    EVD_KIND_NAME[kind], shot, DODGE[kind == EVD_HELPFUL][shot], LT[kind],
                    PT[kind == EVD_HELPFUL][shot], kind == EVD_HH ? "HH" : "helpful-only",
                    shot ? "few-shot" : "0-shot");
    for (size_t i = 0; i < fit->nrow; i++)  // zero-shot fits: delta = c0 + c1 ln P
        if (!strcmp(tab_gets(fit, i, "shots"), "zero_shot"))
            fprintf(f, "(x >= %.9g && x <= %.9g ? %.9g + %.9g * log(x) : NaN) w l lt %d lw 1.2 title "
                       "\"fit, %s 0-shot\", ",
                    xlo, xhi, tab_getf(fit, i, "intercept"), tab_getf(fit, i, "slope"),
                    strcmp(tab_gets(fit, i, "rlhf"), "rlhf_hh") ? LT[EVD_HELPFUL] : LT[EVD_HH],
                    strcmp(tab_gets(fit, i, "rlhf"), "rlhf_hh") ? "helpful-only" : "HH");
    fputs("NaN notitle\nunset multiplot\n", f);
    gp_loop_end(f);
    (void)R;
}

int evalsreport_fig03(Report *R, HHErr *err) {
    Tab *t[6] = {
        tab_alloc("evals_accuracy",
                  "accuracy of every evaluated model on the evals suite (evals/*.h5), zero-shot and "
                  "few-shot: share of items right, mean over RL seeds; 95% interval: hierarchical "
                  "bootstrap over seeds and the items they share for RL policies, Wilson over items otherwise",
                  "model:s:-;scale:s:-;params:f:parameters;shots:s:-;n_seeds:i:seeds;n_items:i:items;"
                  "acc:f:fraction;acc_lo:f:fraction;acc_hi:f:fraction", err),
        tab_alloc("evals_by_set",
                  "accuracy per evaluation set (facts: multiple choice by likelihood; copy, reverse, "
                  "sort, lookup, make: exact match of greedy output), mean over RL seeds; 95% Wilson "
                  "interval over items x seeds (treated as independent)",
                  "model:s:-;scale:s:-;params:f:parameters;shots:s:-;set:s:-;n_seeds:i:seeds;n:i:answers;"
                  "acc:f:fraction;acc_lo:f:fraction;acc_hi:f:fraction", err),
        tab_alloc("alignment_tax",
                  "accuracy change from RLHF (policies trained against the largest PM) at each policy "
                  "scale, paired per item, mean over seeds: RLHF minus its initial model "
                  "(versus distill; < 0 is the alignment tax) or minus the base LM (versus lm); 95% "
                  "interval: bootstrap over RL seeds and the items they share (items only with one seed)",
                  "rlhf:s:-;versus:s:-;scale:s:-;params:f:parameters;shots:s:-;n_seeds:i:seeds;"
                  "n_items:i:items;delta:f:fraction;delta_lo:f:fraction;delta_hi:f:fraction", err),
        tab_alloc("fit_alignment_tax",
                  "least-squares line (GSL) of the per-scale accuracy change (RLHF minus distilled) vs "
                  "ln(parameters): delta = intercept + slope ln P; slope_lo/hi: hierarchical bootstrap "
                  "over RL seeds and the items they share (jointly across scales), refitting each resample; "
                  "slope_t_lo/hi: the fit's Student-t interval (n_scales - 2 dof; NaN below 3 scales)",
                  "rlhf:s:-;shots:s:-;n_scales:i:scales;n_seeds:i:seeds;intercept:f:fraction;"
                  "slope:f:fraction per ln(parameters);slope_lo:f:fraction per ln(parameters);"
                  "slope_hi:f:fraction per ln(parameters);slope_t_lo:f:fraction per ln(parameters);"
                  "slope_t_hi:f:fraction per ln(parameters)", err),
        tab_alloc("evals_seen",
                  "accuracy, and for RLHF its change from the distilled LM (paired per item, mean over "
                  "seeds), split by whether the item's query occurs in the training data (items = seen: "
                  "the pretraining corpus or the world's prompt sets, RL and PM training prompts "
                  "included; these items test memorised training queries) or not (unseen: the skill "
                  "on new queries); n_SET: how many of the items come from each set; 95% interval: "
                  "bootstrap over RL seeds and the items they share (Wilson for single models); "
                  "delta NaN for base models",
                  "model:s:-;scale:s:-;params:f:parameters;shots:s:-;items:s:-;n_facts:i:items;"
                  "n_copy:i:items;n_reverse:i:items;n_sort:i:items;n_lookup:i:items;n_make:i:items;"
                  "n_seeds:i:seeds;n_items:i:items;acc:f:fraction;acc_lo:f:fraction;acc_hi:f:fraction;"
                  "delta:f:fraction;delta_lo:f:fraction;delta_hi:f:fraction", err),
        tab_alloc("rl_gate",
                  "the RL validity gate of the alignment claims (pre-registered): an RL policy is valid "
                  "(valid = 1) when its gold help on benign prompts at the policy it hands on "
                  "(rl/*.h5 /curve/help_benign at /curve/iter = kept_iter, the attribute of /model) is "
                  ">= its value at iteration 0 (help0) minus 0.10; kept_kl: the attribute kept_kl of "
                  "/model (exact KL of the kept policy); one row per evaluated RL policy and seed",
                  "policy:s:-;variant:s:-;scale:s:-;seed:i:-;help0:f:fraction;help_kept:f:fraction;"
                  "kept_iter:i:iterations;kept_kl:f:nats;valid:i:bool", err)};
    if (!t[0] || !t[1] || !t[2] || !t[3] || !t[4] || !t[5]) {
        for (int k = 0; k < 6; k++) tab_free(t[k]);
        return err->code;
    }
    EVData D;
    if (evd_load(R->rd->dir, &R->rd->params, &D, err)) {
        for (int k = 0; k < 6; k++) tab_free(t[k]);
        return err->code;
    }
    if (!D.nrec) {
        int rc = report_missing_all(R, t, 6, D.missing, err);
        evd_free(&D);
        return rc;
    }
    int rc = accuracy_rows(R, &D, t[0], err) || by_set_rows(&D, t[1], err) ||
             tax_rows(R, &D, t[2], err) || fit_rows(R, &D, t[3], err) || seen_rows(R, &D, t[4], err) ||
             gate_rows(R, &D, t[5], err);
    FILE *f = rc ? NULL : gp_begin(R->os, R->outdir, "fig03_alignment_tax", "capability evaluations "
                                   "and the alignment tax", &R->gi, 1800, 700, err);
    if (!rc && !f) rc = err->code;
    if (!rc) script(R, &D, f, t[0], t[2], t[3]);
    evd_free(&D);
    if (rc) {
        for (int k = 0; k < 6; k++) tab_free(t[k]);
        return rc;
    }
    return report_put_all(R, t, 6, err);
}
