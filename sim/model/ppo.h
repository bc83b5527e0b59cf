// ppo.h - PPO (Schulman et al. 2017) for a GPT policy against an abstract
// reward, with a KL penalty to the initial policy, as in Bai et al. 2022
// (section 4) and Ziegler et al. 2019.
//
// The policy and its value function share one trunk: the LM head gives the
// policy, the per-token value head (gpt.h's head_v) gives V(s_t). Bai et al.
// train the value function from the same initialisation as the policy, and
// a shared trunk costs one forward/backward per minibatch instead of two,
// halving the update cost. ppo_alloc zeroes head_v, so V = 0 at the start
// (as gpt_init leaves it); the first updates train it from the returns.
//
// One iteration (ppo_iterate) on n prompts:
//  1. sample one response per prompt from the policy (rollout_generate) at
//     cfg.temperature; the policy everywhere below is softmax(logits / temp);
//  2. one forward of the policy and of the frozen reference pi_0 over
//     prompt + response (gpt_forward_at: the last block and the heads at the
//     response positions only): per response token t the log-probs log pi(a_t),
//     log pi_0(a_t), the value V_t, and from the two full next-token
//     distributions the exact KL(pi || pi_0) = sum_v p log(p / q) (double);
//  3. per-token reward r_t = -beta (log pi(a_t) - log pi_0(a_t)), plus, at the
//     last response token, the callback's score (plus cfg.trunc_penalty when
//     the response hit the length limit without EOS and cfg.trunc_mode says);
//  4. GAE(gamma, lambda) advantages with V = 0 after the last token (every
//     response is terminal, cut off or not), returns = advantages + V; the
//     advantages are whitened over all response tokens of the batch;
//  5. cfg.epochs passes over the batch in minibatches of cfg.minibatch
//     responses, shuffled (Fisher-Yates) from r each epoch: loss = clipped
//     ratio loss + vf_coef * clipped value loss (ppo_loss); its gradient in
//     passes of p->micro rows (the minibatch's rows ordered by length, each
//     pass padded to its own longest prompt + response, gpt_forward_at as in
//     2: gradient accumulation, equal to one gpt_forward/gpt_backward over
//     the minibatch up to float summation order, checked in
//     tests/test_ppo.c), global-norm gradient clipping, one AdamW step;
//  6. statistics (PPOStats); with cfg.kl_adaptive, beta is updated for the
//     next iteration from this batch's exact KL (Ziegler et al. 2019):
//     beta *= 1 + clip(KL / kl_target - 1, -0.2, 0.2) * n / kl_horizon.
//
// Determinism: the draws (sampling, then the shuffles) all come from r, every
// sum runs in a fixed order and nothing is threaded here, so the same model,
// prompts, reward and stream give bit-identical parameters (for a fixed BLAS
// library and thread count). The wall-clock rates in PPOStats are the only
// non-deterministic outputs. A run saved with ppo_get_state and restored into
// a fresh PPO (ppo_alloc from the same initial model, then ppo_set_state)
// continues bit-identically, given the same per-iteration streams.
//
// Prompts are rows of a (n, ctx) uint8 array (ctx = the model's context) that
// end with the final A token; responses are (n, RESP_MAX) rows as in
// rollout.h. Every prompt + response must fit the context: rollout stops at
// the context, so plen + rlen - 1 <= ctx always holds. A persona prefix (HHH)
// belongs in the prompt tokens: the scored sequence is exactly prompt + response.
#ifndef HHSIM_PPO_H
#define HHSIM_PPO_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "adamw.h"
#include "gpt.h"
#include "hherr.h"

typedef enum {
    PPO_TRUNC_ASIS = 0,     // a response cut off without EOS gets its score as is
    PPO_TRUNC_PENALTY = 1,  // ... gets its score + trunc_penalty
} PPOTruncMode;

typedef struct {
    int batch;            // 64    most prompts per iteration (scratch is sized for it)
    int minibatch;        // 16    responses per gradient step
    int epochs;           // 4     passes over each batch
    int max_resp;         // 24    most response tokens, EOS included (<= RESP_MAX)
    float temperature;    // 1.0   sampling temperature (> 0); the policy is softmax(logits/temp)
    double clip_eps;      // 0.2   policy ratio clipped to [1 - eps, 1 + eps]
    double vf_clip;       // 0.2   value clipped to old value +- vf_clip (<= 0: no clipping)
    double vf_coef;       // 0.5   weight of the value loss
    double gamma;         // 1.0   discount
    double lam;           // 0.95  GAE lambda
    double lr;            // 3e-4  constant AdamW learning rate
    double beta1;         // 0.9
    double beta2;         // 0.95
    double adam_eps;      // 1e-8
    double weight_decay;  // 0.0   (decay pulls toward 0, not toward pi_0: off by default)
    double grad_clip;     // 1.0   global gradient norm limit (<= 0: none)
    double kl_coef;       // 0.01  beta, the KL penalty per nat (initial value when adaptive);
                          //       with scores normalised to unit spread, 1 unit of score
                          //       buys 100 nats; Bai et al. used 0.001
    int kl_adaptive;      // 0     1: Ziegler et al.'s proportional controller on beta
    double kl_target;     // 6.0   target KL per response (nats) for the controller
    double kl_horizon;    // 10000 controller horizon, in responses
    int stop_turn;        // 0     1: rollouts also end at a turn token (RolloutOpts)
    int trunc_mode;       // PPO_TRUNC_PENALTY
    double trunc_penalty; // -1.0  added to the score of a response cut off without EOS
} PPOConfig;

// ppo_config_default: the defaults above.
void ppo_config_default(PPOConfig *c);

// The score of each response, at its end: n rows of prompts (n, ctx) with
// lengths plen, responses (n, RESP_MAX) with lengths rlen; write reward (n).
// Returns 0 or an error code (with err filled), which ppo_iterate passes on.
typedef int (*PPORewardFn)(void *ctx, const uint8_t *prompts, const int32_t *plen,
                           const uint8_t *resp, const int32_t *rlen, int n, double *reward,
                           HHErr *err);

typedef struct {
    long iter;             // iterations done, this one included
    int n;                 // responses in the batch
    double reward;         // mean callback score
    double trunc_reward;   // mean score after the truncation penalty
    double kl;             // exact KL(pi || pi_0) summed over a response, mean over responses
    double kl_sampled;     // sum_t (log pi - log pi_0)(a_t) per response, mean (can be < 0)
    double kl_coef;        // beta used in this iteration's rewards
    double entropy;        // policy entropy per response token (nats)
    double resp_len;       // mean response length (tokens, EOS included)
    double no_eos;         // fraction of responses without EOS
    double value_mean;     // mean V_t over response tokens at rollout
    double return_mean;    // mean return over response tokens
    double pg_loss;        // clipped ratio loss, mean over minibatch steps
    double vf_loss;        // clipped value loss (0.5 squared error), mean over steps
    double clipfrac;       // share of response tokens whose ratio term was clipped
    double approx_kl;      // mean (ratio - 1) - log ratio, old vs updated policy
    double grad_norm;      // mean global gradient norm before clipping
    long rollout_tokens;   // response tokens sampled
    long update_tokens;    // tokens through forward+backward (rows x padded length per pass,
                           // all epochs)
    double rollout_tok_s;  // sampled tokens / s of sampling (CLOCK_MONOTONIC; not reproducible)
    double update_tok_s;   // update tokens / s of the update phase (not reproducible)
    double sec[4];         // wall-clock seconds (not reproducible) of the phases PPO_T_*
} PPOStats;

// phases timed in PPOStats.sec: 1 sampling; 2 the policy and reference
// forwards with log-probs, values, exact KL and entropy; the reward callback
// (e.g. PM scoring); 5 the update (3-4 and 6 take no measurable time)
enum { PPO_T_ROLLOUT, PPO_T_SCORE, PPO_T_REWARD, PPO_T_UPDATE };

typedef struct {
    PPOConfig cfg;
    GPT *policy;          // trainable: LM head = policy, head_v = value function
    GPT *ref;             // frozen pi_0, a copy of the initial model
    GPTCache *cache;      // sampling cache (policy->max_B rows)
    AdamW *opt;           // moments in the parameter layout
    unsigned char *decay; // (num_params) weight-decay mask
    long iter;            // iterations done
    double kl_coef;       // current beta
    // scratch, sized for cfg.batch responses and policy->max_B rows
    uint8_t *resp;        // (batch, RESP_MAX)
    int32_t *rlen;        // (batch)
    double *score;        // (batch)
    double *tok;          // (8, batch, RESP_MAX) per-token arrays, see ppo.c
    int *perm;            // (batch)
    int *order;           // (batch) a minibatch's rows ordered by length (ppo.c)
    int *x;               // (max_B, ctx) forward input
    int *act;             // (max_B, ctx) action per position, -1 elsewhere
    double *mb;           // (4, max_B, ctx) minibatch targets
    float *dvalue;        // (max_B, ctx)
    double *lsm;          // (3 V) log-softmax rows, probabilities
    int micro;            // rows per forward/backward pass of the update: ppo_alloc sets
                          // policy->micro_B (gpt_micro_rows, as pretraining); >= minibatch
                          // gives one pass over the whole minibatch in shuffled order (the
                          // update before micro-batching, for tests and benchmarks)
} PPO;

// ppo_alloc: a PPO whose policy and reference are copies of init (which the
// caller keeps), head_v of the policy zeroed, AdamW state zero, beta =
// cfg->kl_coef. The models run up to max(minibatch, min(batch, 64)) rows per
// forward. NULL with err on a bad config or allocation failure.
PPO *ppo_alloc(const GPT *init, const PPOConfig *cfg, HHErr *err);
void ppo_free(PPO *p);  // NULL ok

// ppo_iterate: one PPO iteration on n prompts (1 <= n <= cfg.batch; rows of
// (n, ctx) uint8 with lengths plen, 1 <= plen < ctx); draws from r. out may be
// NULL. The sampled responses of the iteration stay in p->resp, p->rlen.
int ppo_iterate(PPO *p, const uint8_t *prompts, const int32_t *plen, int n, PPORewardFn reward,
                void *reward_ctx, gsl_rng *r, PPOStats *out, HHErr *err);

// ppo_exact_kl: kl[i] = sum over response i's tokens of the exact
// KL(pi || pi_0) between softmax(logits / temperature) of policy and of ref
// at each response position, in double, for n given prompt/response rows
// (evaluation on held-out prompts; nothing is trained). Only the models'
// activations are overwritten. Both models share the context ctx (the prompt
// row stride); batches of min(policy->max_B, ref->max_B) rows.
int ppo_exact_kl(GPT *policy, GPT *ref, const uint8_t *prompts, const int32_t *plen,
                 const uint8_t *resp, const int32_t *rlen, int n, float temperature,
                 double *kl, HHErr *err);

// --- the loss, exposed for its gradient check

// Per position i of a (B, T) forward flattened to N = B T rows.
typedef struct {
    const int *action;        // (N) response token predicted at i; < 0: not a response position
    const double *old_logp;   // (N) log pi_old(action) at rollout
    const double *old_value;  // (N) V at rollout
    const double *adv;        // (N) (whitened) advantage
    const double *ret;        // (N) return
} PPOTargets;

typedef struct {
    double pg, vf;      // mean clipped ratio loss, mean clipped value loss
    double clipfrac;    // share of positions where the clipped ratio term is the larger
    double approx_kl;   // mean (ratio - 1) - log ratio
    int ntok;           // response positions
} PPOLossParts;

// ppo_loss: pg + vf_coef vf over the ntok response positions, where per
// position ratio = exp(log pi(a) - old_logp), pi = softmax(logits / temp),
//   pg_i = max(-A ratio, -A clip(ratio, 1 - clip_eps, 1 + clip_eps)),
//   vf_i = 0.5 max((v - R)^2, (old_v + clip(v - old_v, +-vf_clip) - R)^2),
// each averaged over ntok. When dlogits (N, V) / dvalues (N) are not NULL
// they are overwritten with the gradient (0 off response positions). parts
// may be NULL. Returns 0 when ntok == 0 (NaN when out of memory).
double ppo_loss(const PPOConfig *c, const float *logits, const float *values, int N, int V,
                const PPOTargets *tg, float *dlogits, float *dvalues, PPOLossParts *parts);

// ppo_minibatch_grad: p->policy->grads = the gradient of the PPO loss over
// the responses rows[0..B-1] (B <= p->policy->max_B) of the last iteration's
// batch (p->resp, p->rlen, its per-token targets; prompts and plen as given
// to ppo_iterate) at the current parameters, in passes of p->micro rows, as
// the update computes it before clipping; *loss and *parts (may be NULL) as
// ppo_loss gives them over the whole minibatch. For tests and benchmarks.
int ppo_minibatch_grad(PPO *p, const uint8_t *prompts, const int32_t *plen, const int *rows,
                       int B, double *loss, PPOLossParts *parts, HHErr *err);

// --- state, for checkpoints (the caller writes HDF5)

typedef struct {
    long iter;        // iterations done
    long adam_step;   // AdamW updates done
    double kl_coef;   // current beta
} PPOScalars;

// ppo_get_state: copy the policy parameters, AdamW moments (each
// p->policy->num_params floats) and the scalars out. Any pointer may be NULL.
void ppo_get_state(const PPO *p, float *params, float *adam_m, float *adam_v, PPOScalars *s);

// ppo_set_state: restore what ppo_get_state gave into p (ppo_alloc'ed from
// the same initial model, hence the same pi_0).
int ppo_set_state(PPO *p, const float *params, const float *adam_m, const float *adam_v,
                  const PPOScalars *s, HHErr *err);

#endif
