// evalsclaims.c - see evalsclaims.h
#include "evalsclaims.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

int evalsclaims_compute(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    memset(o, 0, sizeof *o);
    o->est = o->lo = o->hi = NAN;
    const char *s = row->statistic;
    if (!evalsclaims_known(s))
        return hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'; known: %s",
                       row->line, s, evalsclaims_list());
    EVData D;
    if (evd_load(R->rd->dir, &R->rd->params, &D, err)) return err->code;
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
        } else if (!rc)
            snprintf(o->method, sizeof o->method, "needs evals of HH RLHF at >= 3 policy scales (a "
                     "line's interval across scales needs >= 1 dof)");
    } else {
        int big = !strcmp(s, "evals_tax_zero_shot_largest");
        const char *scale = sc[big ? ns - 1 : 0];
        StatsCI ci;
        rc = evals_delta_ci(R, &D, EVD_HH, scale, EV_ZERO, EVR_VS_DISTILL, &ci, &U, err);
        if (!rc && ci.n > 0) {
            claim_stat_set(o, ci.est, ci.lo, ci.hi, (size_t)D.n * (size_t)U);
            snprintf(o->method, sizeof o->method,
                     "zero-shot accuracy of HH RLHF (against the largest PM) minus the distilled LM at "
                     "the %s policy scale %.32s, paired over %d items (%d sets x %d), mean over %d RL "
                     "seeds; 95%% bootstrap over seeds and the items they share, %zu resamples%s",
                     big ? "largest" : "smallest", scale, D.n, EV_NSETS, D.per_set, U, R->B,
                     seeds_note(U));
        } else if (!rc)
            snprintf(o->method, sizeof o->method, "no distilled-LM evals at scale %.32s", scale);
    }
    evd_free(&D);
    return rc;
}
