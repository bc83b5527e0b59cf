// evalsclaims.c - see evalsclaims.h
#include "evalsclaims.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "evalsgate.h"
#include "evalsreport.h"

static const char *const NAMES[] = {"evals_tax_zero_shot_smallest", "evals_tax_zero_shot_largest",
                                    "evals_tax_slope_ln_params", NULL};

int evalsclaims_known(const char *name) { return claims_name_in(NAMES, name); }

const char *evalsclaims_list(void) {
    static char buf[256];
    return claims_names_join(NAMES, buf, sizeof buf);
}

static const char *seeds_note(int U) {
    return U < 2 ? "; one RL seed: the interval covers the sampling of items only, not RL retraining"
                 : "";
}

// The RL validity gate (evalsgate.h) over the HH policies of the scales
// [lo, hi) of sc: when any is invalid, the statistic is INCONCLUSIVE and the
// method starts with "RL validity gate: k of n policies invalid (...)";
// otherwise the method ends saying all n passed. o->method holds the
// statistic's own method on entry.
static void gate(const EVData *D, const EVGate *g, int ng, char (*sc)[HH_NAME_LEN], int lo, int hi,
                 ClaimStat *o) {
    int n = 0, bad = 0;
    char names[256] = "";
    for (int s = lo; s < hi; s++) {
        const EVRec *rl[64];
        int U = evd_rl(D, EVD_HH, sc[s], rl, 64);
        for (int u = 0; u < U; u++) {
            const EVGate *x = evg_find(g, ng, rl[u]->name);
            if (!x) continue;  // evg_load read every RL record's file, so this does not happen
            n++;
            if (x->valid) continue;
            bad++;
            size_t L = strlen(names);
            if (L < sizeof names - 64)
                snprintf(names + L, sizeof names - L, "%s%s %.3f -> %.3f at iter %d", L ? ", " : "",
                         x->name, x->help0, x->help_kept, x->kept_iter);
        }
    }
    char m[1200];
    if (bad) {
        o->inconclusive = 1;
        snprintf(m, sizeof m, "RL validity gate: %d of %d policies invalid (gold help on benign "
                 "prompts at the kept policy below its iteration-0 value minus %.2f: %s), so no "
                 "verdict. %s", bad, n, EVG_DELTA, names, o->method);
    } else
        snprintf(m, sizeof m, "%s; RL validity gate: all %d policies valid", o->method, n);
    size_t L = strlen(m);  // the gate's sentence first: a long method loses its end
    if (L >= sizeof o->method) L = sizeof o->method - 1;
    memcpy(o->method, m, L);
    o->method[L] = 0;
}

// Per RL seed: zero-shot accuracy of the seed's HH policy minus the distilled
// LM of the scale, over every item; a Student-t interval across the seeds
// (seeds are the unit of replication: with 3 seeds the percentile bootstrap
// over seeds is about [min seed, max seed], too narrow). 0 with *t unset when
// there are fewer than 2 seeds or no distilled file.
static int seed_tci(const EVData *D, const char *scale, StatsCI *t, char *vals, size_t nv,
                    HHErr *err) {
    double d[64];
    int U = evals_seed_deltas(D, EVD_HH, scale, EV_ZERO, d, 64);
    vals[0] = 0;
    if (U < 2) return 0;
    for (int u = 0; u < U; u++) {
        size_t L = strlen(vals);
        if (L < nv - 16) snprintf(vals + L, nv - L, "%s%.4f", u ? ", " : "", d[u]);
    }
    return stats_mean_tci(d, (size_t)U, 0.95, t, err);
}

int evalsclaims_compute(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    memset(o, 0, sizeof *o);
    o->est = o->lo = o->hi = NAN;
    const char *s = row->statistic;
    if (!evalsclaims_known(s))
        return hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'; known: %s",
                       row->line, s, evalsclaims_list());
    EVData D;
    if (evd_load(R->rd->dir, &R->rd->params, &D, err)) return err->code;
    EVGate *g = NULL;
    int ng = 0;
    if (D.nrec && evg_load(R->rd->dir, R->rd, &D, &g, &ng, err)) {
        evd_free(&D);
        return err->code;
    }
    char sc[32][HH_NAME_LEN];
    double par[32];
    int ns = evd_scales(&D, EVD_HH, sc, par, 32), rc = 0, U = 0;
    if (!D.nrec || ns == 0) {
        snprintf(o->method, sizeof o->method, "this run has no evals of HH RLHF policies (%s)",
                 D.nrec ? "no evals/*_hh_s*.h5" : D.missing);
    } else if (!strcmp(s, "evals_tax_slope_ln_params")) {
        StatsCI b;
        StatsLinfit fit;
        int S;
        rc = evals_slope_ci(R, &D, EVD_HH, EV_ZERO, &b, &fit, &S, &U, err);
        if (!rc && S >= 3) {
            // the interval: the union of the bootstrap (seeds, items) and the fit's
            // Student-t interval across scales (one pretrained LM per scale: the
            // scatter of the scales about the line is variation the bootstrap,
            // holding the scales fixed, does not see)
            claim_stat_set(o, fit.c1, fmin(b.lo, fit.c1_lo), fmax(b.hi, fit.c1_hi), (size_t)S);
            char tint[64];
            snprintf(tint, sizeof tint, "[%.4g, %.4g] (%d dof)", fit.c1_lo, fit.c1_hi, S - 2);
            snprintf(o->method, sizeof o->method,
                     "least-squares slope of the zero-shot delta (HH RLHF - distilled, "
                     "paired over %d items, mean over %d RL seeds) vs ln(parameters) across %d policy "
                     "scales (%.16s to %.16s); 95%% bootstrap (seeds, then items shared by the seeds, jointly "
                     "across scales), %zu resamples, refitting: [%.4g, %.4g]; the fit's t interval %s; "
                     "reported: their union%s",
                     D.n, U, S, sc[0], sc[ns - 1], R->B, b.lo, b.hi, tint, seeds_note(U));
            gate(&D, g, ng, sc, 0, ns, o);
        } else if (!rc)
            snprintf(o->method, sizeof o->method, "needs evals of HH RLHF at >= 3 policy scales (a "
                     "line's interval across scales needs >= 1 dof)");
    } else {
        int big = !strcmp(s, "evals_tax_zero_shot_largest");
        const char *scale = sc[big ? ns - 1 : 0];
        StatsCI ci;
        rc = evals_delta_ci(R, &D, EVD_HH, scale, EV_ZERO, EVR_VS_DISTILL, &ci, &U, err);
        StatsCI t = {0};
        char vals[256];
        t.lo = t.hi = NAN;
        if (!rc && ci.n > 0) rc = seed_tci(&D, scale, &t, vals, sizeof vals, err);
        if (!rc && ci.n > 0) {
            // the interval: the union of the crossed bootstrap (seeds, items) and the
            // Student-t interval across the RL seeds (session 6, referee 14b)
            int has_t = isfinite(t.lo) && isfinite(t.hi);
            claim_stat_set(o, ci.est, has_t ? fmin(ci.lo, t.lo) : ci.lo,
                           has_t ? fmax(ci.hi, t.hi) : ci.hi, (size_t)U);  // n: RL seeds
            char tint[320] = "";
            if (has_t)
                snprintf(tint, sizeof tint, "; Student-t across the %d seeds (per-seed deltas %s): "
                         "[%.4g, %.4g]; reported: the union", U, vals, t.lo, t.hi);
            snprintf(o->method, sizeof o->method,
                     "zero-shot accuracy of HH RLHF (against the largest PM) minus the distilled LM at "
                     "the %s policy scale %.32s, paired over %d items (%d sets x %d), mean over %d RL "
                     "seeds; 95%% bootstrap over seeds and the items they share, %zu resamples: "
                     "[%.4g, %.4g]%s%s",
                     big ? "largest" : "smallest", scale, D.n, EV_NSETS, D.per_set, U, R->B,
                     ci.lo, ci.hi, tint, seeds_note(U));
            gate(&D, g, ng, sc, big ? ns - 1 : 0, big ? ns : 1, o);
        } else if (!rc)
            snprintf(o->method, sizeof o->method, "no distilled-LM evals at scale %.32s", scale);
    }
    free(g);
    evd_free(&D);
    return rc;
}
