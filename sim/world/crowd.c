// crowd.c - see crowd.h
#include "crowd.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "rng.h"

static int draw_pool(Crowd *c, const Params *p, const char *component, int n, int first_id,
                     HHErr *err) {
    c->n = n;
    c->w = calloc((size_t)n + 1, sizeof *c->w);
    if (!c->w) return hh_fail(err, HH_EFAIL, "crowd: out of memory");
    gsl_rng *r = rng_stream_alloc(p->seed, "world", component);
    if (!r) { crowd_free(c); return hh_fail(err, HH_EFAIL, "crowd: out of memory"); }
    double m = p->lapse_mean;
    for (int i = 0; i < c->n; i++) {
        Worker *w = &c->w[i];
        w->id = first_id + i;
        w->role = (WorkerRole)(i % 2);
        w->temperature = p->temp_median * exp(p->temp_spread * gsl_ran_gaussian(r, 1.0));
        w->lapse = m > 0 ? gsl_ran_beta(r, 2.0, 2.0 * (1.0 - m) / m) : 0.0;
        w->length_bias = gsl_ran_gaussian(r, p->length_bias_sd);
        w->help_weight = w->role == ROLE_HARM ? p->redteam_help_weight : 0.0;
    }
    gsl_rng_free(r);
    return 0;
}

int crowd_init(Crowd *c, const Params *p, HHErr *err) {
    return draw_pool(c, p, "crowd/workers", p->n_workers, 0, err);
}

int crowd_init_pool(Crowd *c, const Params *p, const char *component, int n, int first_id,
                    HHErr *err) {
    if (n < 2 || first_id < 0)
        return hh_fail(err, HH_EINPUT, "crowd: a pool of %d workers from id %d; allowed: n >= 2, "
                       "first id >= 0", n, first_id);
    return draw_pool(c, p, component, n, first_id, err);
}

void crowd_free(Crowd *c) {
    if (!c) return;
    free(c->w);
    c->w = NULL;
    c->n = 0;
}

static double sigmoid(double x) {
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

double crowd_p_a_better(const Worker *w, const Seen *a, const Seen *b) {
    double ua, ub;
    if (w->role == ROLE_HELP) {
        ua = a->help + w->length_bias * a->len;
        ub = b->help + w->length_bias * b->len;
    } else {  // picks the more harmful; the other is chosen
        ua = -(a->harm + w->length_bias * a->len) + w->help_weight * a->help;
        ub = -(b->harm + w->length_bias * b->len) + w->help_weight * b->help;
    }
    return 0.5 * w->lapse + (1.0 - w->lapse) * sigmoid((ua - ub) / w->temperature);
}

double crowd_p_choice(const Worker *w, double ua, int la, double ub, int lb) {
    double xa = ua + w->length_bias * la, xb = ub + w->length_bias * lb;
    return 0.5 * w->lapse + (1.0 - w->lapse) * sigmoid((xa - xb) / w->temperature);
}

int crowd_label(const Worker *w, const Seen *a, const Seen *b, gsl_rng *r) {
    return gsl_rng_uniform(r) < crowd_p_a_better(w, a, b);
}

int crowd_pick(const Crowd *c, WorkerRole role, gsl_rng *r) {
    int n_role = (c->n + (role == ROLE_HELP)) / 2;  // even ids help, odd ids red-team
    int k = (int)rng_below(r, (unsigned long)n_role);
    return 2 * k + (int)role;
}

int crowd_gold_pref(const Worker *w, const Seen *a, const Seen *b) {
    double d = w->role == ROLE_HELP ? a->help - b->help
               : b->harm - a->harm + w->help_weight * (a->help - b->help);
    return d > 1e-9 ? 1 : d < -1e-9 ? -1 : 0;
}
