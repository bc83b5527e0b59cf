// onlinereport.c - see onlinereport.h
#include "onlinereport.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpscript.h"
#include "stats.h"

#define ON_MAXSEED 64
#define ON_MAXROUND 32
#define ON_BINS 20

const RLRec *online_static(const RLData *D, const char *scale, int seed) {
    return rl_find_seed(D, scale, scale, "hh", seed);
}

const char *online_main_scale(const ONData *O) {
    const char *best = NULL;
    double bp = -INFINITY;
    for (int i = 0; i < O->n; i++) {
        double p = O->r[i].pol.n > 0 && isfinite(O->r[i].pol.policy_params) ? O->r[i].pol.policy_params : -1;
        if (!best || p > bp) best = O->r[i].scale, bp = p;
    }
    return best;
}

int online_last_round(const ONData *O, const char *scale) {
    int seeds[ON_MAXSEED], last[ON_MAXSEED], ns = 0;
    for (int i = 0; i < O->n; i++) {
        const ONRound *r = &O->r[i];
        if (strcmp(r->scale, scale)) continue;
        int k = 0;
        while (k < ns && seeds[k] != r->seed) k++;
        if (k == ns && ns < ON_MAXSEED) seeds[ns] = r->seed, last[ns++] = 0;
        if (k < ns && r->round == last[k] + 1) last[k] = r->round;  // consecutive rounds only
    }
    int m = ns ? last[0] : 0;
    for (int k = 1; k < ns; k++) if (last[k] < m) m = last[k];
    return m;
}

int online_tband(const double *v, int n, double *mean, double *lo, double *hi) {
    double x[ON_MAXSEED];
    int m = 0;
    for (int i = 0; i < n && m < ON_MAXSEED; i++) if (isfinite(v[i])) x[m++] = v[i];
    *mean = *lo = *hi = NAN;
    if (m == 0) return 0;
    double s = 0;
    for (int i = 0; i < m; i++) s += x[i];
    *mean = s / m;
    StatsCI ci;
    HHErr e;
    if (m >= 2 && !stats_mean_tci(x, (size_t)m, 0.95, &ci, &e)) *lo = ci.lo, *hi = ci.hi;
    return m;
}

static const ONRound *find_round(const ONData *O, const char *scale, int seed, int round) {
    for (int i = 0; i < O->n; i++)
        if (!strcmp(O->r[i].scale, scale) && O->r[i].seed == seed && O->r[i].round == round) return &O->r[i];
    return NULL;
}

// Mean gold help on non-red-team prompts and harm on red-team prompts of the round's responses.
static void sample_gold(const ONRound *r, double *help, double *harm) {
    double h = 0, x = 0, nh = 0, nx = 0;
    for (int i = 0; i < r->P; i++)
        for (int k = 0; k < 2; k++) {
            if (r->kind[i] >= 2) x += r->harm[k * r->P + i], nx++;
            else h += r->help[k * r->P + i], nh++;
        }
    *help = nh ? h / nh : NAN;
    *harm = nx ? x / nx : NAN;
}

// The same for the null's responses (rows i and P + i: prompt i).
static void null_gold(const ONRound *r, double *help, double *harm) {
    double h = 0, x = 0, nh = 0, nx = 0;
    for (int i = 0; i < r->P; i++)
        for (int k = 0; k < 2; k++) {
            if (r->kind[i] >= 2) x += r->nx[k * r->P + i], nx++;
            else h += r->nh[k * r->P + i], nh++;
        }
    *help = nh ? h / nh : NAN;
    *harm = nx ? x / nx : NAN;
}

static const char *const KINDS[4] = {"benign", "borderline", "red-team", "disguised"};

// Per (scale, seed, round, kind): the round's prompts of the kind beside the base data's.
static void kind_rows(const ONData *O, Tab *t) {
    for (int i = 0; i < O->n; i++) {
        const ONRound *r = &O->r[i];
        int nb[4] = {0, 0, 0, 0}, no[4] = {0, 0, 0, 0};
        for (int k = 0; k < r->nb; k++) nb[r->bkind[k]]++;
        for (int k = 0; k < r->P; k++) no[r->kind[k]]++;
        for (int k = 0; k < 4; k++) {
            size_t j = tab_add_row(t);
            tab_sets(t, j, "scale", r->scale), tab_seti(t, j, "seed", r->seed), tab_seti(t, j, "round", r->round);
            tab_sets(t, j, "kind", KINDS[k]);
            tab_seti(t, j, "n_online", no[k]), tab_setf(t, j, "share_online", r->P ? (double)no[k] / r->P : NAN);
            tab_seti(t, j, "n_base", nb[k]), tab_setf(t, j, "share_base", r->nb ? (double)nb[k] / r->nb : NAN);
            tab_seti(t, j, "quota", r->quota[k]), tab_setf(t, j, "draws", r->draws[k]);
            tab_setf(t, j, "draws_per_prompt", no[k] ? r->draws[k] / no[k] : NAN);
        }
    }
}

// A round's policy is read where the RL run hands it on: its kept row (/model kept_iter, the last
// evaluation inside [rl] kl_budget), as evals, Elo and segments read it; *_end: the end of PPO.
static double pol_col(const RLRec *p, int c) { return rl_kept_col(p, c); }
static double pol_gold(const RLRec *p) { return rl_kept_gold(p); }
static double pol_kept(const RLRec *p, int c) {
    return p && p->n > 0 && p->kept >= 0 ? p->col[c][p->kept] : NAN;
}

// The distinct scales and, per scale, the seeds of the rounds.
static int scales_of(const ONData *O, char (*sc)[HH_NAME_LEN], int max) {
    int n = 0;
    for (int i = 0; i < O->n; i++) {
        int k = 0;
        while (k < n && strcmp(sc[k], O->r[i].scale)) k++;
        if (k == n && n < max) snprintf(sc[n++], HH_NAME_LEN, "%s", O->r[i].scale);
    }
    return n;
}

static int seeds_of(const ONData *O, const char *scale, int *out) {
    int n = 0;
    for (int i = 0; i < O->n; i++) {
        if (strcmp(O->r[i].scale, scale)) continue;
        int k = 0;
        while (k < n && out[k] != O->r[i].seed) k++;
        if (k == n && n < ON_MAXSEED) out[n++] = O->r[i].seed;
    }
    return n;
}

static void band(Tab *t, size_t row, const char *name, const double *v, int n) {
    char a[64], b[64];
    double m, lo, hi;
    online_tband(v, n, &m, &lo, &hi);
    snprintf(a, sizeof a, "%s_lo", name), snprintf(b, sizeof b, "%s_hi", name);
    tab_setf(t, row, name, m), tab_setf(t, row, a, lo), tab_setf(t, row, b, hi);
}

static void rounds_rows(const ONData *O, const RLData *D, Tab *t) {
    char sc[16][HH_NAME_LEN];
    int ns = scales_of(O, sc, 16);
    for (int s = 0; s < ns; s++) {
        int seeds[ON_MAXSEED], nse = seeds_of(O, sc[s], seeds);
        for (int u = 0; u < nse; u++) {
            const ONRound *r1 = find_round(O, sc[s], seeds[u], 1);
            for (int k = 0; k < ON_MAXROUND; k++) {
                const ONRound *r = k ? find_round(O, sc[s], seeds[u], k) : NULL;
                if (k && !r) continue;
                const RLRec *p = k ? &r->pol : online_static(D, sc[s], seeds[u]);
                size_t i = tab_add_row(t);
                tab_sets(t, i, "scale", sc[s]), tab_seti(t, i, "seed", seeds[u]), tab_seti(t, i, "round", k);
                double q = r1 ? ond_q75(r1->base0, 2 * (size_t)r1->nb) : NAN, sh = NAN, hb = NAN, hx = NAN;
                if (k) {
                    sh = ond_share_above(r->s0, 2 * (size_t)r->P, q);
                    sample_gold(r, &hb, &hx);
                } else if (r1) sh = ond_share_above(r1->base0, 2 * (size_t)r1->nb, q);
                tab_seti(t, i, "n_pairs", k ? r->P : (r1 ? r1->nb : 0));
                tab_setf(t, i, "n_train", k ? r->n_train : NAN), tab_setf(t, i, "q75_base", q);
                tab_setf(t, i, "share_above_q75", sh);
                tab_setf(t, i, "n_tail", k ? r->n_tail : NAN);
                tab_setf(t, i, "tail_acc_crowd", k ? r->tail_acc_crowd : NAN);
                tab_setf(t, i, "tail_acc_gold", k ? r->tail_acc_gold : NAN);
                tab_setf(t, i, "acc_crowd", k ? r->acc_crowd : NAN), tab_setf(t, i, "acc_gold", k ? r->acc_gold : NAN);
                tab_setf(t, i, "sample_help", hb), tab_setf(t, i, "sample_harm", hx);
                double qt = r1 ? ond_q75(r1->baset, 2 * (size_t)r1->nb) : NAN, sht = NAN, nsh = NAN, nhb = NAN, nhx = NAN;
                if (k) {
                    sht = ond_share_above(r->st, 2 * (size_t)r->P, qt);
                    nsh = ond_share_above(r->nst, 2 * (size_t)r->P, qt);
                    null_gold(r, &nhb, &nhx);
                } else if (r1) sht = ond_share_above(r1->baset, 2 * (size_t)r1->nb, qt);
                tab_setf(t, i, "q75_baset", qt), tab_setf(t, i, "share_above_q75t", sht);
                tab_setf(t, i, "null_share_above_q75t", nsh), tab_setf(t, i, "tail_vs_null", k ? sht - nsh : NAN);
                tab_setf(t, i, "null_help", nhb), tab_setf(t, i, "null_harm", nhx);
                tab_setf(t, i, "help_benign", pol_col(p, RL_HELP_BENIGN));
                tab_setf(t, i, "harm_redteam", pol_col(p, RL_HARM_RED));
                tab_setf(t, i, "gold_utility", pol_gold(p));
                tab_setf(t, i, "kept_iter", pol_kept(p, RL_ITER)), tab_setf(t, i, "kept_kl", pol_kept(p, RL_KL));
                tab_setf(t, i, "end_kl", rl_end_col(p, RL_KL));
                tab_setf(t, i, "help_benign_end", rl_end_col(p, RL_HELP_BENIGN));
                tab_setf(t, i, "harm_redteam_end", rl_end_col(p, RL_HARM_RED));
                tab_setf(t, i, "gold_utility_end", rl_end_gold(p));
            }
        }
    }
}

static void score_rows(const ONData *O, const char *scale, Tab *t) {
    int seeds[ON_MAXSEED], nse = seeds_of(O, scale, seeds), R = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < O->n; i++) {
        const ONRound *r = &O->r[i];
        if (strcmp(r->scale, scale)) continue;
        if (r->round > R) R = r->round;
        for (int k = 0; k < 2 * r->P; k++) lo = fmin(lo, r->s0[k]), hi = fmax(hi, r->s0[k]);
        for (int k = 0; k < 2 * r->nb; k++) lo = fmin(lo, r->base0[k]), hi = fmax(hi, r->base0[k]);
    }
    if (!(hi > lo)) hi = lo + 1;
    double w = (hi - lo) / ON_BINS;
    for (int k = 0; k <= R && k < ON_MAXROUND; k++)
        for (int b = 0; b < ON_BINS; b++) {
            double v[ON_MAXSEED];
            int m = 0;
            for (int u = 0; u < nse; u++) {
                const ONRound *r = find_round(O, scale, seeds[u], k ? k : 1);
                if (!r) continue;
                const double *x = k ? r->s0 : r->base0;
                size_t n = k ? 2 * (size_t)r->P : 2 * (size_t)r->nb, c = 0;
                for (size_t i = 0; i < n; i++) {
                    int bi = (int)floor((x[i] - lo) / w);
                    if (bi >= ON_BINS) bi = ON_BINS - 1;
                    if (bi < 0) bi = 0;
                    c += bi == b;
                }
                v[m++] = (double)c / (double)n;
            }
            if (!m) continue;
            size_t i = tab_add_row(t);
            char src[16];
            snprintf(src, sizeof src, k ? "r%d" : "base", k);
            tab_sets(t, i, "scale", scale), tab_sets(t, i, "source", src), tab_seti(t, i, "round", k);
            tab_setf(t, i, "bin_lo", lo + b * w), tab_setf(t, i, "bin_hi", lo + (b + 1) * w);
            tab_setf(t, i, "bin_mid", lo + (b + 0.5) * w), tab_seti(t, i, "seeds", m);
            band(t, i, "share", v, m);
        }
}

static void tail_rows(const ONData *O, const RLData *D, Tab *tail, Tab *r16) {
    char sc[16][HH_NAME_LEN];
    int ns = scales_of(O, sc, 16);
    for (int s = 0; s < ns; s++) {
        int seeds[ON_MAXSEED], nse = seeds_of(O, sc[s], seeds);
        for (int k = 0; k < ON_MAXROUND; k++) {
            double a[13][ON_MAXSEED];
            int m = 0;
            for (int u = 0; u < nse; u++) {
                const ONRound *r = k ? find_round(O, sc[s], seeds[u], k) : NULL, *r1 = find_round(O, sc[s], seeds[u], 1);
                if (k && !r) continue;
                const RLRec *p = k ? &r->pol : online_static(D, sc[s], seeds[u]);
                double q = r1 ? ond_q75(r1->base0, 2 * (size_t)r1->nb) : NAN;
                a[0][m] = k ? ond_share_above(r->s0, 2 * (size_t)r->P, q)
                            : r1 ? ond_share_above(r1->base0, 2 * (size_t)r1->nb, q) : NAN;
                a[1][m] = k ? r->tail_acc_crowd : NAN, a[2][m] = k ? r->tail_acc_gold : NAN;
                a[3][m] = k ? r->n_tail : NAN;
                a[4][m] = pol_gold(p), a[5][m] = pol_col(p, RL_HELP_BENIGN), a[6][m] = pol_col(p, RL_HARM_RED);
                double qt = r1 ? ond_q75(r1->baset, 2 * (size_t)r1->nb) : NAN;
                a[7][m] = k ? ond_share_above(r->st, 2 * (size_t)r->P, qt)
                            : r1 ? ond_share_above(r1->baset, 2 * (size_t)r1->nb, qt) : NAN;
                a[8][m] = k ? ond_share_above(r->nst, 2 * (size_t)r->P, qt) : NAN;
                a[9][m] = k ? a[7][m] - a[8][m] : NAN;
                a[10][m] = rl_end_gold(p), a[11][m] = pol_kept(p, RL_KL), a[12][m] = rl_end_col(p, RL_KL);
                m++;
            }
            if (!m) continue;
            size_t i;
            if (tail) {
                i = tab_add_row(tail);
                tab_sets(tail, i, "scale", sc[s]), tab_seti(tail, i, "round", k), tab_seti(tail, i, "seeds", m);
                band(tail, i, "share_above_q75", a[0], m), band(tail, i, "tail_acc_crowd", a[1], m);
                band(tail, i, "tail_acc_gold", a[2], m);
                band(tail, i, "share_above_q75t", a[7], m), band(tail, i, "null_share_above_q75t", a[8], m);
                band(tail, i, "tail_vs_null", a[9], m);
                double nt, l, h;
                online_tband(a[3], m, &nt, &l, &h);
                tab_setf(tail, i, "n_tail", nt);
            }
            if (!r16) continue;
            i = tab_add_row(r16);
            tab_sets(r16, i, "scale", sc[s]), tab_seti(r16, i, "round", k), tab_seti(r16, i, "seeds", m);
            band(r16, i, "gold_utility", a[4], m), band(r16, i, "help_benign", a[5], m);
            band(r16, i, "harm_redteam", a[6], m);
            band(r16, i, "gold_utility_end", a[10], m);
            double kl, l, h;
            online_tband(a[11], m, &kl, &l, &h);
            tab_setf(r16, i, "kept_kl", kl);
            online_tband(a[12], m, &kl, &l, &h);
            tab_setf(r16, i, "end_kl", kl);
        }
    }
}

static void fig15(FILE *f, const char *scale, Tab *sc, Tab *tail) {
    int R = 0;
    for (size_t i = 0; i < sc->nrow; i++) if ((int)tab_getf(sc, i, "round") > R) R = (int)tab_getf(sc, i, "round");
    TabWhere w = tab_where("scale", scale);
    gp_tab_block(f, "$hist", "bin_mid share lo hi; one block per source (base, r1, r2, ...)", sc,
                 "bin_mid:%.6g share:%.6g share_lo:%.6g share_hi:%.6g", &w, "source");
    gp_tab_block(f, "$tail", "round share_above_q75 lo hi tail_acc_crowd lo hi tail_acc_gold lo hi "
                 "share_above_q75t lo hi null_share_above_q75t lo hi; the online scale of the claims",
                 tail, "round:%.0f share_above_q75:%.6g share_above_q75_lo:%.6g share_above_q75_hi:%.6g "
                 "tail_acc_crowd:%.6g tail_acc_crowd_lo:%.6g tail_acc_crowd_hi:%.6g tail_acc_gold:%.6g "
                 "tail_acc_gold_lo:%.6g tail_acc_gold_hi:%.6g share_above_q75t:%.6g share_above_q75t_lo:%.6g "
                 "share_above_q75t_hi:%.6g null_share_above_q75t:%.6g null_share_above_q75t_lo:%.6g "
                 "null_share_above_q75t_hi:%.6g", &w, NULL);
    // shares and accuracies live in [0, 1]: a Student-t interval across few seeds can run past
    // either end, so the drawn interval is clipped there (the tables keep the raw interval)
    fputs("clip01(x) = (x != x) ? x : (x < 0 ? 0 : (x > 1 ? 1 : x))\n", f);
    gp_loop_begin(f, "fig15_online_upper_tail");
    fprintf(f, "set multiplot layout 1,3 title \"Online data and the upper tail of PM scores (paper Fig. 15), "
               "policy scale %s\\n{/*0.7 q75 = the base data's 75th percentile under the PM named; null = best of "
               "the same number of distilled-LM samples under the same selecting PM; 95%% intervals: Student-t "
               "across RL seeds, clipped to [0,1]}\" font \",16\"\n", scale);
    fputs("set title \"static train-PM scores of the compared responses\"\nset xlabel \"static "
          "train-PM score\"\nset ylabel \"share of responses per bin\"\nset yrange [0:*]\nset key outside below center vertical maxrows 4 spacing 1.1 noopaque nobox\nset bmargin 11\nplot ", f);
    for (int k = 0; k <= R; k++) {
        if (k) fprintf(f, "$hist index %d u 1:2:(clip01($3)):(clip01($4)) w yerrorlines lt %d title \"online round %d\", ",
                       k, k, k);
        else fputs("$hist index 0 u 1:2:(clip01($3)):(clip01($4)) w yerrorlines lt 10 title \"base data\", ", f);
    }
    fputs("NaN notitle\n", f);
    fprintf(f, "set title \"share of responses above the base data's q75 (round 0: base data)\"\nset xlabel \"round\"\n"
            "set ylabel \"share above q75\"\nset yrange [0:1]\nset xrange [-0.5:%d.5]\nset xtics 1\n"
            "set key outside below center vertical maxrows 4 spacing 1.1 noopaque nobox\nset bmargin 11\n"
            "plot 0.25 w l lt 10 dt 2 title \"base data's own share (0.25)\", "
            "$tail u ($1-0.08):2:(clip01($3)):(clip01($4)) w yerrorlines lt 1 title \"online, static train PM "
            "(selected on)\", "
            "$tail u 1:11:(clip01($12)):(clip01($13)) w yerrorlines lt 2 title \"online, independent test PM\", "
            "$tail u ($1+0.08):14:(clip01($15)):(clip01($16)) w yerrorbars lt 3 title \"null (distilled LM, "
            "best of n), test PM\"\n", R);
    fputs("set title \"previous PM's accuracy on upper-tail pairs\"\nset ylabel \"accuracy\"\n"
          "plot 0.5 w l lt 10 dt 2 title \"chance\", "
          "$tail u ($1-0.05):5:(clip01($6)):(clip01($7)) w yerrorlines lt 4 title \"against the crowd label\", "
          "$tail u ($1+0.05):8:(clip01($9)):(clip01($10)) w yerrorlines lt 5 title \"against gold\"\n"
          "unset multiplot\n", f);
    gp_loop_end(f);
}

static void fig16(FILE *f, Tab *r16) {
    gp_tab_block(f, "$r16", "round U lo hi help lo hi harm lo hi (kept policy) U_end lo hi (end of PPO); "
                 "block per scale", r16,
                 "round:%.0f gold_utility:%.6g gold_utility_lo:%.6g gold_utility_hi:%.6g help_benign:%.6g "
                 "help_benign_lo:%.6g help_benign_hi:%.6g harm_redteam:%.6g harm_redteam_lo:%.6g "
                 "harm_redteam_hi:%.6g gold_utility_end:%.6g gold_utility_end_lo:%.6g gold_utility_end_hi:%.6g",
                 NULL, "scale");
    gp_loop_begin(f, "fig16_online_rounds");
    fputs("set multiplot layout 1,2 title \"Iterated online training, gold version of Fig. 16 (Elo: tournament "
          "stage)\\n{/*0.7 round 0 = the static HH policy (base data); round k: PM retrained on base + online "
          "data, policy from the distilled LM; policies at their kept iteration (as evals and Elo); 95% intervals: "
          "Student-t across RL seeds}\" font \",16\"\n"
          "set xlabel \"online round\"\nset xtics 1\nset offsets 0.3, 0.3, 0, 0\n", f);
    fputs("set title \"gold utility U = help (non-red-team) - harm (red-team)\"\nset ylabel \"gold U\"\n"
          "set key outside below center vertical noopaque nobox\n"
          "plot $r16 u 1:2:3:4 w yerrorlines lt 1 title \"gold U, kept policy (the claim's)\", "
          "$r16 u ($1+0.06):11:12:13 w yerrorlines lt 1 dt 2 title \"gold U at the end of PPO (comparison)\"\n", f);
    fputs("set title \"gold help (benign) and harm (red-team), kept policy\"\nset ylabel \"gold score [0,1]\"\nset yrange [0:1]\n"
          "plot $r16 u 1:5:6:7 w yerrorlines lt 2 title \"help, benign\", "
          "$r16 u 1:8:9:10 w yerrorlines lt 3 title \"harm, red-team\"\nunset multiplot\n", f);
    gp_loop_end(f);
}

static int alloc_tables(Tab **t, HHErr *err) {
    Tab *u[5] = {
        tab_alloc("online_rounds",
                  "per policy scale, RL seed and online round (0 = the static HH policy and its base data): "
                  "the round's comparisons, the round PM's training size, the share of compared responses "
                  "above the base data's 75th-percentile static-PM score, the previous PM's accuracy on "
                  "upper-tail pairs against crowd and gold, the gold help and harm of the compared responses, "
                  "the round policy's gold measures at /model kept_iter (kept_kl) and at the end of PPO (*_end, "
                  "end_kl); under the "
                  "independent test PM (half 1): its base q75 (q75_baset), the share of the round's responses "
                  "and of the null's (best of n from the distilled LM under the same selecting PM) above it and "
                  "their difference (tail_vs_null, the claim's per-seed statistic), the null's gold help and harm",
                  "scale:s:-;seed:i:seed;round:i:round;n_pairs:i:comparisons;n_train:f:comparisons;"
                  "q75_base:f:PM score;share_above_q75:f:fraction;n_tail:f:pairs;tail_acc_crowd:f:fraction;"
                  "tail_acc_gold:f:fraction;acc_crowd:f:fraction;acc_gold:f:fraction;sample_help:f:gold help [0,1];"
                  "sample_harm:f:gold harm [0,1];help_benign:f:gold help [0,1];harm_redteam:f:gold harm [0,1];"
                  "gold_utility:f:gold utility U;kept_iter:f:iteration;kept_kl:f:nats;end_kl:f:nats;"
                  "help_benign_end:f:gold help [0,1];harm_redteam_end:f:gold harm [0,1];"
                  "gold_utility_end:f:gold utility U;q75_baset:f:PM score;share_above_q75t:f:fraction;"
                  "null_share_above_q75t:f:fraction;tail_vs_null:f:fraction;null_help:f:gold help [0,1];"
                  "null_harm:f:gold harm [0,1]", err),
        tab_alloc("fig15_online_scores",
                  "distribution of static-train-PM scores of the base data (round 0) and of each round's "
                  "compared responses, in 20 equal bins over the pooled range: share per bin, mean across "
                  "RL seeds with a Student-t 95% interval",
                  "scale:s:-;source:s:-;round:i:round;bin_lo:f:PM score;bin_hi:f:PM score;bin_mid:f:PM score;"
                  "seeds:i:seeds;share:f:fraction;share_lo:f:fraction;share_hi:f:fraction", err),
        tab_alloc("fig15_online_tail",
                  "upper tail per round (0 = base data): share of responses above the base q75 and the previous "
                  "PM's accuracy on upper-tail pairs (crowd, gold); under the independent test PM the share of the round's "
                  "responses and of the null's above that PM's base q75 and their difference; mean across RL seeds "
                  "with Student-t 95% intervals (raw; the figure clips share intervals to [0,1])",
                  "scale:s:-;round:i:round;seeds:i:seeds;share_above_q75:f:fraction;share_above_q75_lo:f:fraction;"
                  "share_above_q75_hi:f:fraction;tail_acc_crowd:f:fraction;tail_acc_crowd_lo:f:fraction;"
                  "tail_acc_crowd_hi:f:fraction;tail_acc_gold:f:fraction;tail_acc_gold_lo:f:fraction;"
                  "tail_acc_gold_hi:f:fraction;n_tail:f:pairs;share_above_q75t:f:fraction;"
                  "share_above_q75t_lo:f:fraction;share_above_q75t_hi:f:fraction;null_share_above_q75t:f:fraction;"
                  "null_share_above_q75t_lo:f:fraction;null_share_above_q75t_hi:f:fraction;"
                  "tail_vs_null:f:fraction;tail_vs_null_lo:f:fraction;tail_vs_null_hi:f:fraction", err),
        tab_alloc("online_kinds",
                  "prompt kinds per policy scale, RL seed and online round: the round's fresh prompts beside the "
                  "base data (the static train PM's training comparisons), the quota (the base data's mix "
                  "apportioned over [online] prompts) and the draws it took (a draw in the world's train or test "
                  "prompt sets, an earlier round's or the round's own prompts is redrawn within its kind)",
                  "scale:s:-;seed:i:seed;round:i:round;kind:s:-;n_online:i:prompts;share_online:f:fraction;"
                  "n_base:i:comparisons;share_base:f:fraction;quota:i:prompts;draws:f:draws;"
                  "draws_per_prompt:f:draws", err),
        tab_alloc("fig16_online_rounds",
                  "gold version of Fig. 16: gold utility U, help (benign) and harm (red-team) of each round's "
                  "policy (0 = the static HH policy) at its kept iteration (/model kept_iter: the last evaluation "
                  "inside [rl] kl_budget, the policy evals and Elo use; kept_kl its mean KL), and gold U at the end "
                  "of PPO for comparison (gold_utility_end, end_kl; before session 7 the table and the claim read "
                  "the end of PPO), mean across RL seeds with Student-t 95% intervals",
                  "scale:s:-;round:i:round;seeds:i:seeds;gold_utility:f:gold utility U;gold_utility_lo:f:gold utility U;"
                  "gold_utility_hi:f:gold utility U;help_benign:f:gold help [0,1];help_benign_lo:f:gold help [0,1];"
                  "help_benign_hi:f:gold help [0,1];harm_redteam:f:gold harm [0,1];harm_redteam_lo:f:gold harm [0,1];"
                  "harm_redteam_hi:f:gold harm [0,1];gold_utility_end:f:gold utility U;"
                  "gold_utility_end_lo:f:gold utility U;gold_utility_end_hi:f:gold utility U;kept_kl:f:nats;"
                  "end_kl:f:nats", err)};
    for (int k = 0; k < 5; k++) t[k] = u[k];
    if (!t[0] || !t[1] || !t[2] || !t[3] || !t[4]) {
        for (int k = 0; k < 5; k++) tab_free(t[k]), t[k] = NULL;
        return err->code ? err->code : HH_EFAIL;
    }
    return 0;
}

// fig 15 (which = 15: tables 0-3) or fig 16 (which = 16: table 4).
static int online_fig(Report *R, const RLData *D, int which, HHErr *err) {
    Tab *t[5];
    if (alloc_tables(t, err)) return err->code;
    int lo = which == 15 ? 0 : 4, nt = which == 15 ? 4 : 1;
    for (int k = 0; k < 5; k++)
        if (k < lo || k >= lo + nt) tab_free(t[k]), t[k] = NULL;
    ONData O;
    if (ond_load(R->rd->dir, R->rd, &O, err)) {
        for (int k = 0; k < 5; k++) tab_free(t[k]);
        return err->code;
    }
    if (!O.n) {
        int rc = report_missing_all(R, t + lo, nt, O.missing, err);
        ond_free(&O);
        return rc;
    }
    const char *main = online_main_scale(&O);
    int rc = 0;
    FILE *f = NULL;
    if (which == 15) {
        rounds_rows(&O, D, t[0]);
        score_rows(&O, main, t[1]);
        tail_rows(&O, D, t[2], NULL);
        kind_rows(&O, t[3]);
        f = gp_begin(R->os, R->outdir, "fig15_online_upper_tail", "online data and the upper tail of PM scores",
                     &R->gi, 2100, 720, err);
        if (!f) rc = err->code;
        else fig15(f, main, t[1], t[2]);
    } else {
        tail_rows(&O, D, NULL, t[4]);
        f = gp_begin(R->os, R->outdir, "fig16_online_rounds", "gold measures of online rounds", &R->gi, 1500,
                     650, err);
        if (!f) rc = err->code;
        else fig16(f, t[4]);
    }
    ond_free(&O);
    if (rc) {
        for (int k = 0; k < 5; k++) tab_free(t[k]);
        return rc;
    }
    return report_put_all(R, t + lo, nt, err);
}

int onlinereport_fig15(Report *R, const RLData *D, HHErr *err) { return online_fig(R, D, 15, err); }
int onlinereport_fig16(Report *R, const RLData *D, HHErr *err) { return online_fig(R, D, 16, err); }
