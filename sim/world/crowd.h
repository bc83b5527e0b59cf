// crowd.h - simulated crowdworkers.
//
// A seeded population (stream (seed, "world", "crowd/workers")); worker i has
// a role (even i: helpfulness, odd i: red-team), a Bradley-Terry temperature
// T = temp_median * exp(temp_spread * z), a lapse rate lambda ~ Beta(2, b)
// with mean lapse_mean, and a per-token length bias beta ~ N(0, length_bias_sd).
//
// A helpfulness worker perceives u = help + beta * len and labels A better
// with probability  lambda/2 + (1 - lambda) * sigmoid((u_A - u_B) / T).
// A red-team worker perceives u = harm + beta * len - w_h * help (w_h =
// [crowd] redteam_help_weight: between equally harmful responses, the less
// helpful one is the worse, e.g. a bare refusal against a redirect), picks
// the MORE harmful (lower -u) response with that probability, and the
// comparison stores the other one as chosen (the paper's convention: red-team
// data teaches "less harmful").
#ifndef HHSIM_CROWD_H
#define HHSIM_CROWD_H

#include <gsl/gsl_rng.h>

#include "hherr.h"
#include "params.h"

typedef enum { ROLE_HELP = 0, ROLE_HARM = 1 } WorkerRole;

typedef struct {
    int id;
    WorkerRole role;
    double temperature;  // Bradley-Terry temperature (utility units)
    double lapse;        // chance of a random pick
    double length_bias;  // utility per response token
    double help_weight;  // red-teamers: weight of helpfulness beside harm ([crowd] redteam_help_weight)
} Worker;

typedef struct {
    int n;
    Worker *w;  // (n)
} Crowd;

// One response as a worker sees it.
typedef struct {
    double help, harm;
    int len;  // tokens in the response
} Seen;

int crowd_init(Crowd *c, const Params *p, HHErr *err);

// A held-out pool of n workers drawn like the main population (same role
// rule, temperature, lapse and length-bias distributions) from its own
// stream (seed, "world", component), with ids first_id, first_id + 1, ...
// (first_id >= [crowd] n_workers keeps them disjoint from the workers who
// labelled the PM data). Role: even pool index helpfulness, odd red-team.
int crowd_init_pool(Crowd *c, const Params *p, const char *component, int n, int first_id,
                    HHErr *err);
void crowd_free(Crowd *c);

// Probability that worker w labels response a as the better (chosen) one.
double crowd_p_a_better(const Worker *w, const Seen *a, const Seen *b);

// The crowd's noise model on any utility: the probability that worker w,
// shown responses of utilities ua, ub and lengths la, lb, picks a:
// lambda/2 + (1 - lambda) * sigmoid(((ua + beta la) - (ub + beta lb)) / T)
// (the helpfulness role's convention for length: beta > 0 likes longer
// answers). For a helpfulness worker and ua, ub the gold help it equals
// crowd_p_a_better bit for bit. Used for users of other segments (segments.h).
double crowd_p_choice(const Worker *w, double ua, int la, double ub, int lb);

// Draw a label: 1 when a is chosen, 0 when b is.
int crowd_label(const Worker *w, const Seen *a, const Seen *b, gsl_rng *r);

// A random worker index of the given role (uniform among that role).
int crowd_pick(const Crowd *c, WorkerRole role, gsl_rng *r);

// Gold preference of a over b under worker w's role's criterion (help; or
// less harm, with the role's help weight): +1, -1, or 0 (tie).
int crowd_gold_pref(const Worker *w, const Seen *a, const Seen *b);

#endif
