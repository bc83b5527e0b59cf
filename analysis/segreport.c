// segreport.c - see segreport.h
#include "segreport.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpscript.h"

#define SGR_MAX_SEEDS 64
#define SGR_MAX_SCALES 32

static const char *const STAT_NAME[SGR_NSTAT] = {"delta", "win"};

// Per-prompt value of segment s (D->S: the share-weighted population) for
// model v of record r, prompt i.
static double value(const SGData *D, const SGRec *r, int s, int v, int stat, size_t i) {
    size_t n = (size_t)D->n, M = (size_t)D->M;
    if (s == D->S) {
        double x = 0;
        for (int k = 0; k < D->S; k++) x += D->share[k] * value(D, r, k, v, stat, i);
        return x;
    }
    if (stat == SGR_DELTA)
        return r->util[((size_t)s * M + v) * n + i] - r->util[((size_t)s * M) * n + i];
    return r->pwin[((size_t)s * (M - 1) + v - 1) * n + i];  // noise-free: no Bernoulli draw
}

// The sign of segment s's utility difference, RLHF model v minus distilled, on prompt i:
// +1 (favours RLHF), 0 (a tie: equal utilities), -1.
static int sign_of(const SGData *D, const SGRec *r, int s, int v, size_t i) {
    size_t n = (size_t)D->n, M = (size_t)D->M;
    double d = r->util[((size_t)s * M + v) * n + i] - r->util[((size_t)s * M) * n + i];
    return (d > 0) - (d < 0);
}

// x[u * n + i]: the statistic's per-prompt values (gap: pool minus segment).
static double *values(const SGData *D, const SGRec *const *g, int U, int s, int v, int stat,
                      int gap) {
    size_t n = (size_t)D->n;
    double *x = malloc(sizeof(double) * (size_t)U * n + 1);
    for (int u = 0; x && u < U; u++)
        for (size_t i = 0; i < n; i++) {
            double y = value(D, g[u], s, v, stat, i);
            x[u * n + i] = gap ? value(D, g[u], 0, v, stat, i) - y : y;
        }
    return x;
}

static const char *seg_name(const SGData *D, int s) { return s == D->S ? "population" : D->seg[s]; }

int segreport_ci(Report *R, const SGData *D, int v, const char *scale, int seg, int stat, int gap,
                 StatsCI *out, int *nseeds, HHErr *err) {
    out->est = out->lo = out->hi = out->se = NAN;
    out->n = 0;
    const SGRec *g[SGR_MAX_SEEDS];
    int U = *nseeds = sgd_scale(D, scale, g, SGR_MAX_SEEDS);
    if (U == 0 || v < 1 || v >= D->M || seg < 0 || seg > D->S) return 0;
    double *x = values(D, g, U, seg, v, stat, gap);
    if (!x) return hh_fail(err, HH_EFAIL, "out of memory");
    char comp[400];
    snprintf(comp, sizeof comp, "segments/%s%s/%s/%s/%s", gap ? "gap_" : "", STAT_NAME[stat],
             D->model[v], scale, seg_name(D, seg));
    StatsHBoot *hb = stats_hboot_alloc((size_t)U, (size_t)D->n, R->B, err);
    gsl_rng *r = hb ? report_rng(R, comp, err) : NULL;
    int rc = !hb || !r ? err->code : stats_hboot_mean_ci(hb, x, 0.95, r, out, err);
    gsl_rng_free(r);
    stats_hboot_free(hb);
    free(x);
    return rc;
}

// Student-t interval over the per-seed means of win (NaN below 2 seeds).
static int win_tci(const SGData *D, const SGRec *const *g, int U, int s, int v, double *lo,
                   double *hi, HHErr *err) {
    *lo = *hi = NAN;
    if (U < 2) return 0;
    double m[SGR_MAX_SEEDS];
    for (int u = 0; u < U; u++) {
        m[u] = 0;
        for (int i = 0; i < D->n; i++) m[u] += value(D, g[u], s, v, SGR_WIN, (size_t)i) / D->n;
    }
    StatsCI ci;
    if (stats_mean_tci(m, (size_t)U, 0.95, &ci, err)) return err->code;
    *lo = ci.lo, *hi = ci.hi;
    return 0;
}

static int gap_rows(Report *R, const SGData *D, Tab *t, HHErr *err) {
    char sc[SGR_MAX_SCALES][HH_NAME_LEN];
    double par[SGR_MAX_SCALES];
    int ns = sgd_scales(D, sc, par, SGR_MAX_SCALES);
    for (int v = 1; v < D->M; v++)
        for (int k = 0; k < ns; k++)
            for (int s = 0; s <= D->S; s++) {
                StatsCI c[SGR_NSTAT][2];
                int U = 0;
                for (int st = 0; st < SGR_NSTAT; st++)
                    for (int gap = 0; gap < 2; gap++)
                        if (segreport_ci(R, D, v, sc[k], s, st, gap, &c[st][gap], &U, err)) return err->code;
                const SGRec *g[SGR_MAX_SEEDS];
                sgd_scale(D, sc[k], g, SGR_MAX_SEEDS);
                double tlo, thi, wg[2] = {0, 0}, cnt[2] = {0, 0};
                if (win_tci(D, g, U, s, v, &tlo, &thi, err)) return err->code;
                for (int u = 0; u < U; u++)
                    for (int i = 0; i < D->n; i++) {
                        int grp = segment_group(D->kind[i]);
                        wg[grp] += value(D, g[u], s, v, SGR_WIN, (size_t)i), cnt[grp]++;
                    }
                // ties and signs (share-weighted over the segments for the population), the
                // win rate on the untied prompts, and the segment's mean standardising scale
                double tie = 0, fav = 0, unt = 0, untw = 0, scl = 0;
                for (int k = s == D->S ? 0 : s; k <= (s == D->S ? D->S - 1 : s); k++) {
                    double wk = s == D->S ? D->share[k] : 1.0;
                    for (int u = 0; u < U; u++) {
                        scl += wk * g[u]->sd[k] / U;
                        for (int i = 0; i < D->n; i++) {
                            int sg = sign_of(D, g[u], k, v, (size_t)i);
                            double w = wk / ((double)U * D->n);
                            tie += w * (sg == 0), fav += w * (sg > 0);
                            if (sg) unt += w * value(D, g[u], k, v, SGR_WIN, (size_t)i), untw += w;
                        }
                    }
                }
                size_t i = tab_add_row(t);
                tab_sets(t, i, "rlhf", D->model[v]), tab_sets(t, i, "scale", sc[k]);
                tab_setf(t, i, "params", par[k]), tab_sets(t, i, "segment", seg_name(D, s));
                tab_seti(t, i, "seg_index", s), tab_setf(t, i, "share", s == D->S ? 1.0 : D->share[s]);
                tab_seti(t, i, "n_seeds", U), tab_seti(t, i, "n_prompts", D->n);
                tab_setf(t, i, "delta", c[SGR_DELTA][0].est), tab_setf(t, i, "delta_lo", c[SGR_DELTA][0].lo);
                tab_setf(t, i, "delta_hi", c[SGR_DELTA][0].hi);
                tab_setf(t, i, "win", c[SGR_WIN][0].est), tab_setf(t, i, "win_lo", c[SGR_WIN][0].lo);
                tab_setf(t, i, "win_hi", c[SGR_WIN][0].hi);
                tab_setf(t, i, "win_t_lo", tlo), tab_setf(t, i, "win_t_hi", thi);
                tab_setf(t, i, "win_benign", cnt[0] ? wg[0] / cnt[0] : NAN);
                tab_setf(t, i, "win_redteam", cnt[1] ? wg[1] / cnt[1] : NAN);
                tab_setf(t, i, "tie", tie), tab_setf(t, i, "favour", fav);
                tab_setf(t, i, "win_untied", untw > 0 ? unt / untw : NAN);
                tab_setf(t, i, "util_sd", s == D->S ? NAN : scl);
                tab_setf(t, i, "gap_delta", c[SGR_DELTA][1].est);
                tab_setf(t, i, "gap_delta_lo", c[SGR_DELTA][1].lo), tab_setf(t, i, "gap_delta_hi", c[SGR_DELTA][1].hi);
                tab_setf(t, i, "gap_win", c[SGR_WIN][1].est);
                tab_setf(t, i, "gap_win_lo", c[SGR_WIN][1].lo), tab_setf(t, i, "gap_win_hi", c[SGR_WIN][1].hi);
            }
    return 0;
}

static void script(const SGData *D, FILE *f, Tab *t) {
    char sc[SGR_MAX_SCALES][HH_NAME_LEN];
    int ns = sgd_scales(D, sc, NULL, SGR_MAX_SCALES);
    for (int v = 1; v < D->M; v++) {
        char nm[40];
        snprintf(nm, sizeof nm, "$seg_%s", D->model[v]);
        TabWhere w = tab_where("rlhf", D->model[v]);
        gp_tab_block(f, nm, "segment index, win lo hi, delta lo hi; one block per policy scale "
                     "(ascending parameters)", t,
                     "seg_index:%d win:%.6g win_lo:%.6g win_hi:%.6g delta:%.6g delta_lo:%.6g "
                     "delta_hi:%.6g", &w, "scale");
    }
    gp_loop_begin(f, "fig_segments");
    fprintf(f, "set multiplot layout 2,%d title \"Whose values: RLHF against its initial (distilled) "
               "model as judged by user segments (beyond the paper)\\n{/*0.7 %d held-out prompts "
               "(equal numbers of benign, borderline, red-team, disguised); %d simulated users per "
               "pair and segment}\\n{/*0.7 policies trained on the crowd pool (the first segment); "
               "population = share-weighted; 95%% intervals: bootstrap over RL seeds and the prompts they share}\" "
               "font \",15\"\n",
            D->M - 1, D->n, D->matches);
    fputs("set xtics (", f);
    for (int s = 0; s <= D->S; s++) {
        fprintf(f, "%s\"", s ? ", " : "");
        gp_puts_quoted(f, seg_name(D, s));
        fprintf(f, "\" %d", s);
    }
    fprintf(f, ") rotate by -20 noenhanced\nset xrange [-0.5:%d.5]\nset key top right font \",9\"\n", D->S);
    for (int row = 0; row < 2; row++)
        for (int v = 1; v < D->M; v++) {
            const char *who = !strcmp(D->model[v], "hh") ? "HH RLHF" : "helpful-only RLHF";
            if (row == 0)
                fprintf(f, "set title \"%s: win rate against the distilled LM\"\nset ylabel \"share of "
                           "users choosing RLHF\"\nset yrange [0:1]\nplot 0.5 w l lt 10 dt 2 notitle, ", who);
            else
                fprintf(f, "set title \"%s: utility change (RLHF - distilled)\"\nset ylabel \"mean "
                           "segment utility change\"\nset autoscale y\nplot 0 w l lt 10 dt 2 notitle, ", who);
            for (int k = 0; k < ns; k++)
                fprintf(f, "$seg_%s index %d u ($1%+.3f):%d:%d:%d w yerrorbars lt %d pt 7 title "
                           "\"policy %s\", ", D->model[v], k, 0.12 * (k - (ns - 1) / 2.0),
                        row ? 5 : 2, row ? 6 : 3, row ? 7 : 4, 1 + k % 8, sc[k]);
            fputs("NaN notitle\n", f);
        }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
}

int segreport_fig(Report *R, HHErr *err) {
    Tab *t = tab_alloc("segments_gap",
        "whose values: per RLHF variant (policies trained against the largest PM), policy scale "
        "and user segment (the first is the idealised pool: the crowd pool's gold criterion "
        "without its helpfulness-labelled red-team share or hh_frac mix; population = share-"
        "weighted mean), the segment's utility change from RLHF (RLHF minus the distilled LM, "
        "paired per prompt, in the segment's own units), its simulated users' win rate of RLHF "
        "against the distilled LM (mean of p_win, the users' choice probabilities, no Bernoulli "
        "noise; users judge the segment's utility divided by util_sd, the sd of its differences "
        "between two independent distilled samples, mean over seeds here), tie: share of prompts "
        "whose utilities are equal (they contribute about 1/2 to win), favour: share whose utility "
        "favours RLHF, win_untied: win on the other prompts, and "
        "the representation gap (pool minus segment, paired per seed and prompt); means over RL "
        "seeds and prompts; 95% intervals: bootstrap over seeds and the prompts they share; "
        "win_t_lo/hi: Student t over per-seed means (NaN below 2 seeds); win_benign, win_redteam: "
        "point estimates on benign+borderline and red-team+disguised prompts",
        "rlhf:s:-;scale:s:-;params:f:parameters;segment:s:-;seg_index:i:-;share:f:fraction;"
        "n_seeds:i:seeds;n_prompts:i:prompts;delta:f:utility;delta_lo:f:utility;delta_hi:f:utility;"
        "win:f:fraction;win_lo:f:fraction;win_hi:f:fraction;win_t_lo:f:fraction;win_t_hi:f:fraction;"
        "win_benign:f:fraction;win_redteam:f:fraction;tie:f:fraction;favour:f:fraction;"
        "win_untied:f:fraction;util_sd:f:utility;gap_delta:f:utility;gap_delta_lo:f:utility;"
        "gap_delta_hi:f:utility;gap_win:f:fraction;gap_win_lo:f:fraction;gap_win_hi:f:fraction", err);
    if (!t) return err->code;
    SGData D;
    if (sgd_load(R->rd->dir, &R->rd->params, &D, err)) {
        tab_free(t);
        return err->code;
    }
    if (!D.nrec) {
        int rc = report_missing(R, t, D.missing, err);
        sgd_free(&D);
        return rc;
    }
    int rc = gap_rows(R, &D, t, err);
    FILE *f = rc ? NULL : gp_begin(R->os, R->outdir, "fig_segments", "whose values: user segments' "
                                   "win rate and utility change from RLHF", &R->gi, 1500, 1000, err);
    if (!rc && !f) rc = err->code;
    if (!rc) script(&D, f, t);
    sgd_free(&D);
    if (rc) {
        tab_free(t);
        return rc;
    }
    return report_put(R, t, err);
}

// ---------------------------------------------------------------------------
// claims

static const char *const PREFIX[2] = {"segments_delta_gap_", "segments_win_gap_"};

// Parse "segments_{delta,win}_gap_{hh,helpful}_SEGMENT".
static int parse(const char *name, int *stat, char *variant, char *seg) {
    for (int st = 0; st < SGR_NSTAT; st++) {
        size_t k = strlen(PREFIX[st]);
        if (strncmp(name, PREFIX[st], k)) continue;
        const char *rest = name + k;
        static const char *const V[2] = {"hh_", "helpful_"};
        for (int v = 0; v < 2; v++) {
            size_t m = strlen(V[v]);
            if (strncmp(rest, V[v], m) || !rest[m] || strlen(rest + m) >= HH_NAME_LEN) continue;
            *stat = st;
            snprintf(variant, 16, "%.*s", (int)m - 1, V[v]);
            snprintf(seg, HH_NAME_LEN, "%s", rest + m);
            return 1;
        }
    }
    return 0;
}

int segclaims_known(const char *name) {
    int st;
    char v[16], s[HH_NAME_LEN];
    return parse(name, &st, v, s);
}

const char *segclaims_list(void) {
    return "segments_win_gap_{hh,helpful}_SEGMENT, segments_delta_gap_{hh,helpful}_SEGMENT";
}

int segclaims_compute(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    memset(o, 0, sizeof *o);
    o->est = o->lo = o->hi = NAN;
    int st;
    char var[16], segn[HH_NAME_LEN];
    if (!parse(row->statistic, &st, var, segn))
        return hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'; known: %s",
                       row->line, row->statistic, segclaims_list());
    SGData D;
    if (sgd_load(R->rd->dir, &R->rd->params, &D, err)) return err->code;
    int v = -1, s = -1, rc = 0;
    for (int k = 1; k < D.M; k++) if (!strcmp(D.model[k], var)) v = k;
    for (int k = 1; k < D.S; k++) if (!strcmp(D.seg[k], segn)) s = k;
    char sc[SGR_MAX_SCALES][HH_NAME_LEN];
    int ns = D.nrec ? sgd_scales(&D, sc, NULL, SGR_MAX_SCALES) : 0;
    if (!D.nrec) {
        snprintf(o->method, sizeof o->method, "this run has no segments files (%s)", D.missing);
    } else if (v < 0 || s < 0) {
        snprintf(o->method, sizeof o->method, "this run has no %s%s%s (its [rl] variants and "
                 "[segments] names after the pool)", v < 0 ? "RLHF variant " : "segment ",
                 v < 0 ? var : segn, "");
    } else {
        StatsCI ci;
        int U;
        rc = segreport_ci(R, &D, v, sc[ns - 1], s, st, 1, &ci, &U, err);
        if (!rc && ci.n > 0) {
            claim_stat_set(o, ci.est, ci.lo, ci.hi, (size_t)U);  // n: the independent units, RL seeds
            char m[1200];
            snprintf(m, sizeof m,
                     "%s of the %s RLHF policy (against the largest PM) over its distilled LM at the "
                     "largest policy scale %.24s: the idealised pool segment's (%.24s) minus segment "
                     "%.24s's, paired over %d held-out prompts and %d RL seeds%s; 95%% bootstrap over "
                     "seeds and the prompts they share, %zu resamples%s. A check that the segment "
                     "weights propagate, not a finding. Table /segments_gap.",
                     st == SGR_WIN ? "win rate (mean p_win, utilities standardised per segment)"
                                   : "gold utility change (own units)",
                     var, sc[ns - 1], D.seg[0], segn, D.n, U,
                     st == SGR_WIN ? " (ties in /segments_gap)" : "", R->B,
                     U < 2 ? "; one RL seed: the interval covers the prompts only, not RL retraining" : "");
            snprintf(o->method, sizeof o->method, "%.*s", (int)sizeof o->method - 1, m);
        } else if (!rc)
            snprintf(o->method, sizeof o->method, "no segments files at scale %.24s", sc[ns - 1]);
    }
    sgd_free(&D);
    return rc;
}
