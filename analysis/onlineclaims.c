// onlineclaims.c - see onlineclaims.h
#include "onlineclaims.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "onlinedata.h"
#include "onlinereport.h"

static const char *const NAMES[] = {"online_upper_tail_gain", "online_tail_vs_null", "online_gold_utility_gain",
                                     NULL};

int onlineclaims_known(const char *name) { return claims_name_in(NAMES, name); }

const char *onlineclaims_list(void) {
    static char buf[256];
    return claims_names_join(NAMES, buf, sizeof buf);
}

int onlineclaims_compute(Report *R, const RLData *D, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    memset(o, 0, sizeof *o);
    o->est = o->lo = o->hi = NAN;
    const char *s = row->statistic;
    if (!onlineclaims_known(s))
        return hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'; known: %s", row->line, s,
                       onlineclaims_list());
    ONData O;
    if (ond_load(R->rd->dir, R->rd, &O, err)) return err->code;
    const char *scale = online_main_scale(&O);
    int last = scale ? online_last_round(&O, scale) : 0, tail = !strcmp(s, "online_upper_tail_gain");
    int vsnull = !strcmp(s, "online_tail_vs_null");
    double v[64];
    int n = 0;
    for (int i = 0; last > 0 && i < O.n && n < 64; i++) {
        const ONRound *r = &O.r[i];
        if (strcmp(r->scale, scale) || r->round != last) continue;
        if (vsnull) {
            v[n++] = ond_tail_vs_null(r->st, 2 * (size_t)r->P, r->nst, 2 * (size_t)r->P, r->baset, 2 * (size_t)r->nb);
        } else if (tail) {
            const ONRound *r1 = NULL;  // the base data as round 1's file holds it (the same every round)
            for (int k = 0; k < O.n && !r1; k++)
                if (!strcmp(O.r[k].scale, scale) && O.r[k].seed == r->seed && O.r[k].round == 1) r1 = &O.r[k];
            if (r1) v[n++] = ond_tail_gain(r->s0, 2 * (size_t)r->P, r1->base0, 2 * (size_t)r1->nb);
        } else {
            const RLRec *st = online_static(D, scale, r->seed);
            if (st && st->n > 0 && r->pol.n > 0) v[n++] = rl_kept_gold(&r->pol) - rl_kept_gold(st);
        }
    }
    double m, lo, hi;
    int k = online_tband(v, n, &m, &lo, &hi);
    if (!O.n) {
        snprintf(o->method, sizeof o->method, "this run has no online rounds (%s)", O.missing);
    } else if (k < 2) {
        snprintf(o->method, sizeof o->method, "needs >= 2 RL seeds with online round %d at scale %.32s%s", last,
                 scale, tail || vsnull ? "" : " and their static HH policies");
    } else if (!(hi > lo)) {  // every seed the same value (e.g. all at the ceiling): no interval
        snprintf(o->method, sizeof o->method, "every one of the %d RL seeds gives %.4g at scale %.32s: a "
                 "zero-width Student-t interval is no interval (a statistic at its ceiling or floor), so no "
                 "verdict", k, m, scale);
    } else {
        claim_stat_set(o, m, lo, hi, (size_t)k);
        if (vsnull)
            snprintf(o->method, sizeof o->method,
                     "per seed: share of online round %d's compared responses scoring above the base data's "
                     "75th percentile under the independent PM (the seed's test PM, half 1: it neither trained "
                     "the policy nor selected the responses), minus that share of the null (best of bon_n "
                     "distilled-LM samples, same prompts, same selecting PM); scale %.32s; mean over %d RL "
                     "seeds, Student-t 95%% interval. Table /online_rounds.",
                     last, scale, k);
        else if (tail)
            snprintf(o->method, sizeof o->method,
                     "per seed: share of online round %d's compared responses (both of each of the round's "
                     "pairs) whose static-train-PM score exceeds the base data's 75th percentile, minus the base "
                     "data's own share (0.25 up to ties); policy scale %.32s; mean over %d RL seeds, Student-t "
                     "95%% interval across seeds. Table /fig15_online_tail.", last, scale, k);
        else
            snprintf(o->method, sizeof o->method,
                     "per seed: gold utility U = (help_benign + help_borderline)/2 - harm_redteam at the kept "
                     "iteration (/model kept_iter, the policy the RL run hands on) of online round %d's policy "
                     "minus the static HH policy rl/%.32s_%.32s_hh_sS at its kept iteration (paired by seed); "
                     "mean over %d RL seeds, Student-t 95%% interval across seeds. Gold version of Fig. 16 (Elo: "
                     "tournament stage). Table /fig16_online_rounds (gold_utility_end: the end of PPO).",
                     last, scale, scale, k);
    }
    ond_free(&O);
    return 0;
}
