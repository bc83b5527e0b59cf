// rlclaims.c - see rlclaims.h
#include "rlclaims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlreport.h"
#include "stats.h"

#define MAXR 256
#define MAXS_C 32

static const char *const KNOWN[] = {"rl_sqrt_kl_end_slope_ratio", "rl_slope_sqrt_kl_no_origin",
                                    "rl_end_gap_train_test", "rl_yardstick_slope_ln_params",
                                    "rl_gold_slope_ln_params", "rl_redteam_minus_benign_rise",
                                    "rl_harm_helpful_minus_hh", "rl_help_helpful_minus_hh",
                                    "gao_b_min", NULL};

int rlclaims_known(const char *name) { return claims_name_in(KNOWN, name); }

const char *rlclaims_list(void) {
    static char buf[1024];
    return claims_names_join(KNOWN, buf, sizeof buf);
}

// Append " name value;" to a method note (truncating quietly).
static void note(char *buf, size_t cap, const char *name, double v) {
    size_t L = strlen(buf);
    if (L + 24 < cap) snprintf(buf + L, cap - L, " %s %.3g;", name, v);
}

// A statistic of one seed (NaN when that seed lacks the data).
typedef double (*SeedStat)(const RLData *D, int seed);

// Mean over seeds of fn(seed) with its Student-t interval across seeds (the
// replicate); unavailable with fewer than 2 seeds. Per-seed values go to per.
static int across_seeds(const RLData *D, SeedStat fn, ClaimStat *o, char *per, size_t cap, int *nused,
                        HHErr *err) {
    int seeds[MAXR], ns = rl_seed_list(D, seeds, MAXR), m = 0;
    double v[MAXR];
    for (int k = 0; k < ns; k++) {
        double x = fn(D, seeds[k]);
        char nm[16];
        snprintf(nm, sizeof nm, "s%d", seeds[k]);
        note(per, cap, nm, x);
        if (isfinite(x)) v[m++] = x;
    }
    *nused = m;
    if (m < 2) return 0;
    StatsCI ci;
    if (stats_mean_tci(v, (size_t)m, 0.95, &ci, err)) return err->code;
    claim_stat_set(o, ci.est, ci.lo, ci.hi, (size_t)m);
    return 0;
}

#define SEEDS_NOTE "95%% interval: Student t across seeds (the replicate)"

// ---------------------------------------------------------------------------
// Fig. 13: trajectories of every policy vs the largest PM (hh), origin excluded

static int traj_of(const RLData *D, const char *pol, int seed, RLTrajFit *F) {
    const RLRec *r = rl_find_seed(D, pol, D->big_pm_scale, "hh", seed);
    return r && rl_fit_traj(r->col[RL_ITER], r->col[RL_SQRT_KL], r->col[RL_TRAIN], r->n, F) == 0;
}

static double seed_ratio(const RLData *D, int seed) {
    char pol[MAXS_C][HH_NAME_LEN];
    int np = rl_scales(D, 0, pol, MAXS_C), m = 0;
    double sb = 0, se = 0;
    for (int i = 0; i < np; i++) {
        RLTrajFit F;
        if (!traj_of(D, pol[i], seed, &F) || !F.quad_ok) continue;
        sb += F.b, se += F.b + 2 * F.c, m++;
    }
    return m ? se / sb : NAN;
}

static double seed_min_slope(const RLData *D, int seed) {
    char pol[MAXS_C][HH_NAME_LEN];
    int np = rl_scales(D, 0, pol, MAXS_C), m = 0;
    double lo = INFINITY;
    for (int i = 0; i < np; i++) {
        RLTrajFit F;
        if (!traj_of(D, pol[i], seed, &F) || !F.line_ok) continue;
        lo = fmin(lo, F.line.c1), m++;
    }
    return m ? lo : NAN;
}

static int st_ratio(const RLData *D, ClaimStat *o, HHErr *err) {
    char per[256] = "";
    int m;
    if (across_seeds(D, seed_ratio, o, per, sizeof per, &m, err)) return err->code;
    snprintf(o->method, sizeof o->method, "Per seed: quadratic score = a + b x + c x^2, x = sqrt(KL) / its largest "
             "value, fitted to each policy scale's train-PM reward (vs the largest PM %s, hh) over the evaluations "
             "after iteration 0; ratio of the end slope to the start slope pooled over scales, sum (b + 2c) / sum b "
             "(1 = linear). Per seed:%s " SEEDS_NOTE ", %d seeds. Per scale: /fit_reward_sqrt_kl_scale.",
             D->big_pm_scale, per, m);
    return 0;
}

static int st_slope0(const RLData *D, ClaimStat *o, HHErr *err) {
    char per[256] = "";
    int m;
    if (across_seeds(D, seed_min_slope, o, per, sizeof per, &m, err)) return err->code;
    snprintf(o->method, sizeof o->method, "Per seed: the smallest over policy scales (each vs the largest PM %s, hh) "
             "of the least-squares slope of train-PM reward vs sqrt(KL) over the evaluations after iteration 0 "
             "(normalised score per sqrt(nat)). Per seed:%s " SEEDS_NOTE ", %d seeds. Table /fit_reward_sqrt_kl.",
             D->big_pm_scale, per, m);
    return 0;
}

// ---------------------------------------------------------------------------
// Figs. 4, 33: the largest policy against every PM scale (hh)

static double seed_gap(const RLData *D, int seed) {
    char pms[MAXS_C][HH_NAME_LEN];
    int np = rl_scales(D, 1, pms, MAXS_C), m = 0;
    double g = 0;
    for (int i = 0; i < np; i++) {
        const RLRec *r = rl_find_seed(D, D->big_policy, pms[i], "hh", seed);
        if (!r) continue;
        int e = r->n - 1;
        g += r->col[RL_TRAIN][e] - r->col[RL_TEST][e], m++;
    }
    return m ? g / m : NAN;
}

// Slope of the end-of-RL value (yardstick PM or gold U) vs ln(PM parameters), >= 3 PM scales.
static double seed_pm_slope(const RLData *D, int seed, int gold) {
    char pms[MAXS_C][HH_NAME_LEN];
    int np = rl_scales(D, 1, pms, MAXS_C), m = 0;
    double x[MAXS_C], y[MAXS_C];
    for (int i = 0; i < np; i++) {
        const RLRec *r = rl_find_seed(D, D->big_policy, pms[i], "hh", seed);
        if (!r || !(r->pm_params > 0)) continue;
        x[m] = log(r->pm_params), y[m++] = gold ? rl_gold(r, r->n - 1) : r->col[RL_BIG][r->n - 1];
    }
    StatsLinfit L;
    HHErr e;
    return m >= 3 && rl_fit_line(x, y, m, &L, &e) == 0 ? L.c1 : NAN;
}
static double seed_yard_slope(const RLData *D, int seed) { return seed_pm_slope(D, seed, 0); }
static double seed_gold_slope(const RLData *D, int seed) { return seed_pm_slope(D, seed, 1); }

static int st_gap(const RLData *D, ClaimStat *o, HHErr *err) {
    char per[256] = "";
    int m;
    if (across_seeds(D, seed_gap, o, per, sizeof per, &m, err)) return err->code;
    snprintf(o->method, sizeof o->method, "Per seed: mean over PM scales of the end-of-RL (last evaluation) train-PM "
             "minus test-PM score (normalised) of policy %s, variant hh. Per seed:%s " SEEDS_NOTE ", %d seeds. "
             "Table /fig04_train_vs_test_pm.", D->big_policy, per, m);
    return 0;
}

static int st_pm_slope(const RLData *D, int gold, ClaimStat *o, HHErr *err) {
    char per[256] = "";
    int m;
    if (across_seeds(D, gold ? seed_gold_slope : seed_yard_slope, o, per, sizeof per, &m, err)) return err->code;
    snprintf(o->method, sizeof o->method, "Per seed: least-squares slope of the end-of-RL %s of policy %s (hh) vs "
             "ln(PM parameters) across PM scales (>= 3), in %s per ln(parameters). Per seed:%s " SEEDS_NOTE
             ", %d seeds. Table /fig33_test_pm_end.", gold ? "gold utility U" : "yardstick-PM score (one PM, one "
             "normalisation for every run)", D->big_policy, gold ? "U" : "normalised score", per, m);
    return 0;
}

// ---------------------------------------------------------------------------
// Fig. 14, helpful-only vs HH

static double seed_rise(const RLData *D, int seed) {
    double v = 0;
    int m = 0;
    for (int k = 0; k < D->nrl; k++) {
        const RLRec *r = &D->rl[k];
        if (strcmp(r->variant, "hh") || r->seed != seed) continue;
        int e = r->n - 1;
        double b = r->col[RL_TRAIN_BENIGN][e] - r->col[RL_TRAIN_BENIGN][0];
        double x = r->col[RL_TRAIN_RED][e] - r->col[RL_TRAIN_RED][0];
        if (isfinite(b) && isfinite(x)) v += x - b, m++;
    }
    return m ? v / m : NAN;
}

// Mean over policy scales (vs the largest PM) of helpful-only minus HH at the end of RL.
static double seed_variant_diff(const RLData *D, int seed, int col) {
    char pol[MAXS_C][HH_NAME_LEN];
    int np = rl_scales(D, 0, pol, MAXS_C), m = 0;
    double v = 0;
    for (int i = 0; i < np; i++) {
        const RLRec *h = rl_find_seed(D, pol[i], D->big_pm_scale, "hh", seed);
        const RLRec *p = rl_find_seed(D, pol[i], D->big_pm_scale, "helpful", seed);
        if (!h || !p) continue;
        double d = p->col[col][p->n - 1] - h->col[col][h->n - 1];
        if (isfinite(d)) v += d, m++;
    }
    return m ? v / m : NAN;
}
static double seed_harm_diff(const RLData *D, int seed) { return seed_variant_diff(D, seed, RL_HARM_RED); }
static double seed_help_diff(const RLData *D, int seed) { return seed_variant_diff(D, seed, RL_HELP_BENIGN); }

static int st_rise(const RLData *D, ClaimStat *o, HHErr *err) {
    char per[256] = "";
    int m;
    if (across_seeds(D, seed_rise, o, per, sizeof per, &m, err)) return err->code;
    snprintf(o->method, sizeof o->method, "Per seed: mean over every hh run (every policy / PM pair) of the rise "
             "(end - start) of the train-PM reward on red-team and disguised prompts minus its rise on benign and "
             "borderline prompts (normalised score). Per seed:%s " SEEDS_NOTE ", %d seeds. Table "
             "/fig14_benign_vs_redteam (runs vs the largest PM).", per, m);
    return 0;
}

static int st_variant(const RLData *D, int help, ClaimStat *o, HHErr *err) {
    char per[256] = "";
    int m;
    if (across_seeds(D, help ? seed_help_diff : seed_harm_diff, o, per, sizeof per, &m, err)) return err->code;
    snprintf(o->method, sizeof o->method, "Per seed: mean over policy scales (each vs the largest PM %s) of the "
             "end-of-RL gold %s of the helpful-only run minus the HH run (gold %s in [0, 1]). Per seed:%s "
             SEEDS_NOTE ", %d seeds. Table /rl_help_harm.", D->big_pm_scale,
             help ? "help on benign prompts" : "harm on red-team and disguised prompts", help ? "help" : "harm",
             per, m);
    return 0;
}

// ---------------------------------------------------------------------------
// Gao et al. forms, per seed

static int st_gao(const RLData *D, ClaimStat *o, HHErr *err) {
    int seeds[MAXR], ns = rl_seed_list(D, seeds, MAXR), m[2] = {0, 0};
    double b[2][MAXR];
    char per[2][200] = {"", ""};
    for (int k = 0; k < ns; k++)
        for (int f = 0; f < 2; f++) {  // 0 best-of-n, 1 RL
            const RLRec *r = f ? rl_find_seed(D, D->big_policy, D->big_pm_scale, "hh", seeds[k])
                               : bon_find_seed(D, D->big_policy, D->big_pm_scale, "hh", seeds[k]);
            RLGaoFit F;
            HHErr e;
            if (!r || rl_gao_run(r, !f, &F, &e) || !F.converged) continue;
            char nm[16];
            snprintf(nm, sizeof nm, "s%d", seeds[k]);
            note(per[f], sizeof per[f], nm, F.b);
            b[f][m[f]++] = F.b;
        }
    if (m[0] < 2 || m[1] < 2) {
        snprintf(o->method, sizeof o->method, "needs converged fits of >= 2 seeds for both best-of-n and RL of policy "
                 "%s vs PM %s (hh); have %d and %d", D->big_policy, D->big_pm_scale, m[0], m[1]);
        return 0;
    }
    StatsCI ci[2];
    for (int f = 0; f < 2; f++)
        if (stats_mean_tci(b[f], (size_t)m[f], 0.95, &ci[f], err)) return err->code;
    double t0 = ci[0].est / ci[0].se, t1 = ci[1].est / ci[1].se;
    int w = !(t0 <= t1);
    if (!isfinite(t0)) w = 0;
    claim_stat_set(o, ci[w].est, ci[w].lo, ci[w].hi, (size_t)m[w]);
    snprintf(o->method, sizeof o->method, "Gold gain vs sqrt(KL), %.16s vs PM %.16s (hh), fits per seed over the d "
             "reached: bon d(a - b d) b:%.50s mean %.3g [%.3g, %.3g]; RL d(a - b ln d) b:%.50s mean %.3g [%.3g, "
             "%.3g]. Statistic: the smaller mean/se (%s); Student t across seeds. Table /fit_overoptimization.",
             D->big_policy, D->big_pm_scale, per[0], ci[0].est, ci[0].lo, ci[0].hi, per[1], ci[1].est, ci[1].lo,
             ci[1].hi, w ? "RL" : "best-of-n");
    return 0;
}

int rlclaims_compute(const RLData *D, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    memset(o, 0, sizeof *o);
    o->est = o->lo = o->hi = NAN;
    const char *s = row->statistic;
    if (!D->nrl) {
        snprintf(o->method, sizeof o->method, "this run has no RL runs (%s)", D->missing_rl);
        return rlclaims_known(s) ? 0 : hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'",
                                               row->line, s);
    }
    int rc = !strcmp(s, "rl_sqrt_kl_end_slope_ratio")     ? st_ratio(D, o, err)
             : !strcmp(s, "rl_slope_sqrt_kl_no_origin")   ? st_slope0(D, o, err)
             : !strcmp(s, "rl_end_gap_train_test")        ? st_gap(D, o, err)
             : !strcmp(s, "rl_yardstick_slope_ln_params") ? st_pm_slope(D, 0, o, err)
             : !strcmp(s, "rl_gold_slope_ln_params")      ? st_pm_slope(D, 1, o, err)
             : !strcmp(s, "rl_redteam_minus_benign_rise") ? st_rise(D, o, err)
             : !strcmp(s, "rl_harm_helpful_minus_hh")     ? st_variant(D, 0, o, err)
             : !strcmp(s, "rl_help_helpful_minus_hh")     ? st_variant(D, 1, o, err)
             : !strcmp(s, "gao_b_min")                    ? st_gao(D, o, err)
             : hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'; known: %s", row->line, s,
                       rlclaims_list());
    if (!rc && !o->available && !o->method[0])
        snprintf(o->method, sizeof o->method, "this run has no RL runs for it, or fewer than 2 seeds of them (see "
                 "[rl] in the params)");
    return rc;
}
