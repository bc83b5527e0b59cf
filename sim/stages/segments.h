// segments.h - whose values the crowd represents (the stage `segments`;
// beyond the paper: issue 14, "Whose values").
//
// The PMs and RL policies are trained on the crowd pool's labels. A user
// population broader than the pool is split into [segments] segments, each
// with a share of the population and its own weights on a response's gold
// judgements (world.h, eval.h's GoldScore):
//
//   u_s(prompt, response) = help_w[g] * help - harm_w[g] * harm - refusal_w[g] * refuse
//
// where g is the prompt's group: benign (BENIGN and BORDERLINE prompts) or
// red-team (REDTEAM and DISGUISED), help and harm are world_help and
// world_harm in [0, 1] and refuse is 1 when the response contains SORRY.
// The first segment is the idealised pool: the pool's own gold criterion, which params.c's
// cross_check enforces: on benign prompts a helpfulness worker's gold
// criterion (help alone), on red-team prompts a red-team worker's (less
// harm, with [crowd] redteam_help_weight x help): weights (1, 0, 0) and
// (redteam_help_weight, 1, 0). The gap of a segment is measured against it.
// It is idealised (referee 14, finding 12): the crowd also labels a share of
// red-team comparisons by helpfulness alone ([world] help_redteam_frac), the
// HH PM mixes the two data sources by [pm] hh_frac, and the users are drawn
// from the labelling workers; the pool segment has none of that.
//
// Standardised utilities (referee 14, finding 11): each segment's weights set
// the size of its utilities, and a segment with larger weights would get more
// decisive users. So users judge u_s / scale_s, where scale_s is the sample sd
// over the prompts of u_s(distilled sample) - u_s(reference sample), the
// reference a second, independent sample of the distilled LM on the same
// prompt (stream (seed, job name, "sample/distill_ref")); 1 when that sd is 0.
// The stored utilities (and hhfit's utility deltas) are not standardised.
//
// Simulated users of a segment have the crowd's noise model: a user is a
// worker of the pool drawn uniformly (any role) with its temperature, lapse
// and length bias, judging by the segment's utility (crowd_p_choice):
// P(a chosen) = lambda/2 + (1 - lambda) sigmoid(((u_a + beta la) - (u_b + beta lb)) / T),
// with u = u_s / scale_s. hhfit's win rate is the mean of p_win (no Bernoulli
// noise); wins (the drawn choices) are kept for reference.
//
// Jobs: for every RL policy scale and seed, the policies trained against the
// largest PM (rl/POLICY_BIGPM_VARIANT_sS.h5, every [rl] variant) and their
// initial model, the distilled LM of the scale (distill/POLICY.h5). Each
// model answers the same held-out prompts ([segments] prompts of each kind
// of the world's test set, eval_pick order) once, at temperature 1, from
// stream (seed, job name, "sample/MODEL"); so RLHF and distilled samples are
// paired per prompt. For each segment and RLHF variant, each pair is judged
// by [segments] matches users drawn from stream (seed, job name,
// "users/SEGMENT/VARIANT").
//
// runs/NAME/segments/POLICY_BIGPM_sS.h5 (kind "segments"):
//   /job (attributes): scale, pm_scale, seed; distill, policies (the input
//     files' run-relative paths, policies comma-separated in variant order)
//   /samples/prompt   (n) int32     index of the prompt in the world's test set
//   /samples/kind     (n) int8      its PromptKind (0..3)
//   /samples/response (M, n, RESP_MAX) uint8   each model's response, PAD after
//   /samples/length   (M, n) int32  response tokens (EOS included)
//   /samples/help     (M, n) float64  gold help;  /samples/harm (M, n) gold harm
//   /samples/refuse   (M, n) uint8  1 when the response contains SORRY
//     attribute models of /samples: "distill,hh,helpful" (row order; M = 1 +
//     the [rl] variants)
//   /segments/utility (S, M, n) float64  u_s of every model's sample
//   /segments/p_win   (S, M - 1, n) float64  mean over the pair's users of
//     P(RLHF sample chosen over the distilled one)
//   /segments/wins    (S, M - 1, n) int32  how many of the matches users chose
//     the RLHF sample
//   /segments/ref_utility (S, n) float64  u_s of the reference distilled sample
//   /segments/scale   (S) float64  scale_s (> 0)
//   /segments/share   (S) float64; /segments/weights (S, 6) float64: benign
//     help, harm, refusal, red-team help, harm, refusal
//     attributes of /segments: names ("pool,..."), matches
#ifndef HHSIM_SEGMENTS_H
#define HHSIM_SEGMENTS_H

#include "crowd.h"
#include "hherr.h"
#include "params.h"
#include "stage.h"
#include "worldgen.h"

enum { SEG_BENIGN = 0, SEG_RED = 1, SEG_NGROUP };
enum { SEG_HELP = 0, SEG_HARM = 1, SEG_REFUSAL = 2, SEG_NW };
enum { SEG_MAX = HH_MAX_LIST, SEG_MAX_MODELS = 3 };

typedef struct {
    char name[HH_NAME_LEN];
    double share;
    double w[SEG_NGROUP][SEG_NW];  // [group][help, harm, refusal]
} Segment;

// The [segments] of p into out (room for SEG_MAX); returns their count.
int segments_from_params(const Params *p, Segment *out);

// The group of a prompt kind: SEG_RED for REDTEAM and DISGUISED, else SEG_BENIGN.
int segment_group(int kind);

// u_s of a response with gold help, harm and refusal to a prompt of `kind`.
double segment_utility(const Segment *s, int kind, double help, double harm, int refuse);

// scale_s: the sample sd of ua[i] - ub[i] over n prompts; 1 when n < 2 or the sd is 0.
double segment_scale(const double *ua, const double *ub, int n);

extern const StageDef STAGE_SEGMENTS;
int segments_run(const Params *p, const WorldData *d, const Job *j, const StageOpts *so,
                 HHErr *err);

#endif
