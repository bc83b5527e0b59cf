// ppo.c - see ppo.h
#include "ppo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"
#include "rollout.h"
#include "world.h"

// Per-token arrays of a batch, each (batch, RESP_MAX), in p->tok.
enum { TK_LOGP, TK_REFLOGP, TK_VALUE, TK_KL, TK_ENT, TK_REWARD, TK_ADV, TK_RET, TK_N };
// Minibatch target arrays, each (max_B, ctx), in p->mb.
enum { MB_OLDLOGP, MB_OLDV, MB_ADV, MB_RET, MB_N };

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// ---------------------------------------------------------------------------
// config and allocation

void ppo_config_default(PPOConfig *c) {
    *c = (PPOConfig){
        .batch = 64, .minibatch = 16, .epochs = 4, .max_resp = RESP_MAX,
        .temperature = 1.0f, .clip_eps = 0.2, .vf_clip = 0.2, .vf_coef = 0.5,
        .gamma = 1.0, .lam = 0.95, .lr = 3e-4, .beta1 = 0.9, .beta2 = 0.95,
        .adam_eps = 1e-8, .weight_decay = 0.0, .grad_clip = 1.0, .kl_coef = 0.01,
        .kl_adaptive = 0, .kl_target = 6.0, .kl_horizon = 10000.0,
        .trunc_mode = PPO_TRUNC_PENALTY, .trunc_penalty = -1.0,
    };
}

static int check_config(const PPOConfig *c, HHErr *err) {
    if (c->batch < 1 || c->minibatch < 1 || c->minibatch > c->batch || c->epochs < 1)
        return hh_fail(err, HH_EINPUT, "ppo: batch %d, minibatch %d, epochs %d: need batch >= 1, "
                       "1 <= minibatch <= batch, epochs >= 1", c->batch, c->minibatch, c->epochs);
    else if (c->max_resp < 1 || c->max_resp > RESP_MAX)
        return hh_fail(err, HH_EINPUT, "ppo: max_resp %d outside 1..%d", c->max_resp, RESP_MAX);
    else if (!(c->temperature > 0.0f))
        return hh_fail(err, HH_EINPUT, "ppo: temperature %g must be > 0", (double)c->temperature);
    else if (!(c->clip_eps > 0.0 && c->clip_eps < 1.0) || !(c->vf_coef >= 0.0))
        return hh_fail(err, HH_EINPUT, "ppo: clip_eps %g must be in (0, 1), vf_coef %g >= 0",
                       c->clip_eps, c->vf_coef);
    else if (!(c->gamma >= 0.0 && c->gamma <= 1.0) || !(c->lam >= 0.0 && c->lam <= 1.0))
        return hh_fail(err, HH_EINPUT, "ppo: gamma %g and lambda %g must be in [0, 1]", c->gamma,
                       c->lam);
    else if (!(c->lr > 0.0) || !(c->beta1 >= 0.0 && c->beta1 < 1.0) ||
             !(c->beta2 >= 0.0 && c->beta2 < 1.0) || !(c->adam_eps > 0.0) ||
             !(c->weight_decay >= 0.0))
        return hh_fail(err, HH_EINPUT, "ppo: lr %g > 0, betas %g %g in [0, 1), eps %g > 0, "
                       "weight_decay %g >= 0 required", c->lr, c->beta1, c->beta2, c->adam_eps,
                       c->weight_decay);
    else if (!(c->kl_coef >= 0.0) ||
             (c->kl_adaptive && !(c->kl_target > 0.0 && c->kl_horizon > 0.0)))
        return hh_fail(err, HH_EINPUT, "ppo: kl_coef %g must be >= 0; adaptive KL needs "
                       "kl_target %g > 0 and kl_horizon %g > 0", c->kl_coef, c->kl_target,
                       c->kl_horizon);
    else if (c->trunc_mode != PPO_TRUNC_ASIS && c->trunc_mode != PPO_TRUNC_PENALTY)
        return hh_fail(err, HH_EINPUT, "ppo: trunc_mode %d is not 0 (as is) or 1 (penalty)",
                       c->trunc_mode);
    else if (!isfinite(c->trunc_penalty) || !isfinite(c->grad_clip) || !isfinite(c->vf_clip))
        return hh_fail(err, HH_EINPUT, "ppo: trunc_penalty, grad_clip, vf_clip must be finite");
    return 0;
}

void ppo_free(PPO *p) {
    if (!p) return;
    gpt_free(p->policy);
    gpt_free(p->ref);
    gpt_cache_free(p->cache);
    adamw_free(p->opt);
    free(p->decay); free(p->resp); free(p->rlen); free(p->score); free(p->tok);
    free(p->perm); free(p->order); free(p->x); free(p->act); free(p->mb); free(p->dvalue); free(p->lsm);
    free(p);
}

static GPT *copy_model(const GPT *init, int max_B, HHErr *err) {
    GPT *m = gpt_alloc(&init->cfg, max_B, err);
    if (m) memcpy(m->params, init->params, sizeof(float) * init->num_params);
    return m;
}

PPO *ppo_alloc(const GPT *init, const PPOConfig *cfg, HHErr *err) {
    if (check_config(cfg, err)) return NULL;
    if (init->cfg.vocab <= TOK_EOS) {
        hh_fail(err, HH_EINPUT, "ppo: vocab %d has no EOS token (%d)", init->cfg.vocab, TOK_EOS);
        return NULL;
    }
    PPO *p = calloc(1, sizeof *p);
    if (!p) { hh_fail(err, HH_EFAIL, "ppo: out of memory"); return NULL; }
    p->cfg = *cfg;
    p->kl_coef = cfg->kl_coef;
    int chunk = cfg->batch < 64 ? cfg->batch : 64;
    int max_B = cfg->minibatch > chunk ? cfg->minibatch : chunk;
    size_t n = (size_t)cfg->batch, grid = (size_t)max_B * init->cfg.ctx;
    if (!(p->policy = copy_model(init, max_B, err)) || !(p->ref = copy_model(init, max_B, err)) ||
        !(p->cache = gpt_cache_alloc(&init->cfg, max_B, err)) ||
        !(p->opt = adamw_alloc(init->num_params, err))) {
        ppo_free(p);
        return NULL;
    }
    p->decay = malloc(init->num_params);
    p->resp = calloc(n * RESP_MAX, 1);
    p->rlen = calloc(n, sizeof(int32_t));
    p->score = calloc(n, sizeof(double));
    p->tok = calloc(TK_N * n * RESP_MAX, sizeof(double));
    p->perm = calloc(n, sizeof(int));
    p->order = calloc(n, sizeof(int));
    p->x = calloc(grid + 2 * (size_t)max_B, sizeof(int));
    p->act = calloc(grid, sizeof(int));
    p->mb = calloc(MB_N * grid, sizeof(double));
    p->dvalue = calloc(grid, sizeof(float));
    p->lsm = calloc(3 * (size_t)init->cfg.vocab, sizeof(double));
    if (!p->decay || !p->resp || !p->rlen || !p->score || !p->tok || !p->perm || !p->order || !p->x ||
        !p->act || !p->mb || !p->dvalue || !p->lsm) {
        ppo_free(p);
        hh_fail(err, HH_EFAIL, "ppo: out of memory");
        return NULL;
    }
    gpt_decay_mask(p->policy, p->decay);
    p->micro = p->policy->micro_B;
    memset(p->policy->p.wv, 0, sizeof(float) * (size_t)init->cfg.d_model);
    p->policy->p.bv[0] = 0.0f;
    return p;
}

// ---------------------------------------------------------------------------
// per-token quantities

// log_softmax: lp (V) = log softmax(x / temp) in double, inv_t = 1 / temp.
static void log_softmax(double *lp, const float *x, int V, double inv_t) {
    float mx = x[0];
    for (int j = 1; j < V; j++) mx = x[j] > mx ? x[j] : mx;
    double s = 0.0;
    for (int j = 0; j < V; j++) s += exp(((double)x[j] - mx) * inv_t);
    double lse = log(s);
    for (int j = 0; j < V; j++) lp[j] = ((double)x[j] - mx) * inv_t - lse;
}

// exact_kl: KL(p || q) from log-probabilities (V) as sum_v p (d + expm1(-d)),
// d = lp - lq. It equals sum_v p log(p / q) because sum p = sum q = 1, but
// each term is >= 0 and accurate for small d, so the sum is never negative
// and exactly 0 when the rows are equal.
// pp (V): exp(lp), the probabilities, shared with entropy.
static double exact_kl(const double *lp, const double *lq, const double *pp, int V) {
    double kl = 0.0;
    for (int j = 0; j < V; j++) {
        double d = lp[j] - lq[j], t = pp[j] * (d + expm1(-d));
        kl += t > 0.0 ? t : 0.0;
    }
    return kl;
}

static double entropy(const double *lp, const double *pp, int V) {
    double h = 0.0;
    for (int j = 0; j < V; j++) h -= pp[j] * lp[j];
    return h;
}

typedef struct {
    const uint8_t *prompts;  // (n, ctx)
    const int32_t *plen;     // (n)
    const uint8_t *resp;     // (n, RESP_MAX)
    const int32_t *rlen;     // (n)
    int ctx;
} Seqs;

// build_input: x (B, T) = prompt + response of rows[b] without the response's
// last token, PAD after; response token k of row b is predicted at position
// plen - 1 + k; lo (2B) = those positions, as gpt_forward_at's ranges lo[b],
// hi[b] = lo[B + b]. Returns T (the longest row), or -1 when a row does not fit.
static int build_input(int *x, int *lo, const Seqs *s, const int *rows, int B) {
    int T = 1;
    for (int b = 0; b < B; b++) {
        int i = rows[b], L = s->plen[i] + s->rlen[i] - 1;
        if (s->plen[i] < 1 || s->rlen[i] < 1 || L > s->ctx) return -1;
        T = L > T ? L : T;
    }
    for (int b = 0; b < B; b++) {
        int i = rows[b], pl = s->plen[i], L = pl + s->rlen[i] - 1;
        int *row = x + (size_t)b * T;
        lo[b] = pl - 1;
        lo[B + b] = L;
        for (int t = 0; t < T; t++)
            row[t] = t < pl ? s->prompts[(size_t)i * s->ctx + t]
                   : t < L ? s->resp[(size_t)i * RESP_MAX + (t - pl)] : TOK_PAD;
    }
    return T;
}

typedef struct {
    double *logp, *ref_logp, *value, *kl, *ent;  // (n, RESP_MAX) each, any may be NULL
} TokOut;

// score_rows: one forward of pol and ref over rows[0..B-1], outputs at the
// response positions only (gpt_forward_at); per response token of each row,
// the quantities o asks for. x: (B, ctx + 2) scratch; lsm: (3V) scratch.
static int score_rows(GPT *pol, GPT *ref, const Seqs *s, const int *rows, int B, float temp,
                      int *x, double *lsm, const TokOut *o, HHErr *err) {
    int V = pol->cfg.vocab, *lo = x + (size_t)B * s->ctx, T = build_input(x, lo, s, rows, B);
    if (T < 0) return hh_fail(err, HH_EINPUT, "ppo: a prompt + response is empty or longer "
                              "than the context %d", s->ctx);
    int rc = gpt_forward_at(pol, x, B, T, lo, lo + B, 1, err);
    if (!rc) rc = gpt_forward_at(ref, x, B, T, lo, lo + B, 1, err);
    if (rc) return rc;
    double inv_t = 1.0 / (double)temp, *lp = lsm, *lq = lsm + V, *pp = lsm + 2 * V;
    size_t pos = 0;  // row of the compact outputs
    for (int b = 0; b < B; b++) {
        int i = rows[b];
        for (int k = 0; k < s->rlen[i]; k++, pos++) {
            size_t j = (size_t)i * RESP_MAX + k;
            int a = s->resp[j];
            log_softmax(lp, pol->logits + pos * V, V, inv_t);
            log_softmax(lq, ref->logits + pos * V, V, inv_t);
            if (o->kl || o->ent)
                for (int v = 0; v < V; v++) pp[v] = exp(lp[v]);
            if (o->logp) o->logp[j] = lp[a];
            if (o->ref_logp) o->ref_logp[j] = lq[a];
            if (o->value) o->value[j] = pol->values[pos];
            if (o->kl) o->kl[j] = exact_kl(lp, lq, pp, V);
            if (o->ent) o->ent[j] = entropy(lp, pp, V);
        }
    }
    return 0;
}

int ppo_exact_kl(GPT *policy, GPT *ref, const uint8_t *prompts, const int32_t *plen,
                 const uint8_t *resp, const int32_t *rlen, int n, float temperature,
                 double *kl, HHErr *err) {
    if (memcmp(&policy->cfg, &ref->cfg, sizeof policy->cfg) != 0)
        return hh_fail(err, HH_EINPUT, "ppo_exact_kl: policy and reference configs differ");
    else if (n < 0 || !(temperature > 0.0f))
        return hh_fail(err, HH_EINPUT, "ppo_exact_kl: n %d < 0 or temperature %g <= 0", n,
                       (double)temperature);
    int Bp = gpt_infer_rows(policy), Br = gpt_infer_rows(ref);
    int B = Bp < Br ? Bp : Br, V = policy->cfg.vocab;
    size_t nt = (size_t)n * RESP_MAX;
    int *x = malloc(sizeof(int) * (size_t)B * (policy->cfg.ctx + 2)), *rows = malloc(sizeof(int) * B);
    double *lsm = malloc(sizeof(double) * 3 * V), *tk = calloc(nt + 1, sizeof(double));
    int rc = (!x || !rows || !lsm || !tk) ? hh_fail(err, HH_EFAIL, "ppo_exact_kl: out of memory")
                                          : 0;
    Seqs s = {prompts, plen, resp, rlen, policy->cfg.ctx};
    TokOut o = {.kl = tk};
    for (int i0 = 0; !rc && i0 < n; i0 += B) {
        int nb = n - i0 < B ? n - i0 : B;
        for (int b = 0; b < nb; b++) rows[b] = i0 + b;
        rc = score_rows(policy, ref, &s, rows, nb, temperature, x, lsm, &o, err);
    }
    for (int i = 0; !rc && i < n; i++) {
        kl[i] = 0.0;
        for (int k = 0; k < rlen[i]; k++) kl[i] += tk[(size_t)i * RESP_MAX + k];
    }
    free(x); free(rows); free(lsm); free(tk);
    return rc;
}

// ---------------------------------------------------------------------------
// the loss

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

// Unweighted sums of a loss over positions: pg, vf, clipped positions, approx-KL.
enum { LS_PG, LS_VF, LS_CLIP, LS_AKL, LS_N };

// loss_sums: adds the per-position sums of ppo_loss over the N positions to
// acc (LS_N) and, when dlogits / dvalues are not NULL, overwrites them with
// the gradient of the sums times w (w = 1 / the response positions of the
// whole minibatch, which may span several calls). e: (V) scratch keeping a
// row's exponentials for its gradient.
static void loss_sums(const PPOConfig *c, const float *logits, const float *values, int N, int V,
                      const PPOTargets *tg, double w, float *dlogits, float *dvalues,
                      double *e, double *acc) {
    if (dlogits) memset(dlogits, 0, sizeof(float) * (size_t)N * V);
    if (dvalues) memset(dvalues, 0, sizeof(float) * (size_t)N);
    double inv_t = 1.0 / (double)c->temperature, vc = c->vf_clip;
    for (int i = 0; i < N; i++) {
        int a = tg->action[i];
        if (a < 0) continue;
        const float *x = logits + (size_t)i * V;
        float mx = x[0];
        for (int j = 1; j < V; j++) mx = x[j] > mx ? x[j] : mx;
        double s = 0.0;
        for (int j = 0; j < V; j++) s += e[j] = exp(((double)x[j] - mx) * inv_t);
        double lp = ((double)x[a] - mx) * inv_t - log(s), lr = lp - tg->old_logp[i];
        double ratio = exp(lr), A = tg->adv[i];
        double lu = -A * ratio, lc = -A * clampd(ratio, 1.0 - c->clip_eps, 1.0 + c->clip_eps);
        int clipped = lc > lu;
        acc[LS_PG] += clipped ? lc : lu;
        acc[LS_CLIP] += clipped;
        acc[LS_AKL] += (ratio - 1.0) - lr;
        if (dlogits && !clipped) {  // d pg_i / d lp = -A ratio; d lp / d x_j = (1[j=a] - p_j) / T
            double g = -A * ratio * w * inv_t;
            float *d = dlogits + (size_t)i * V;
            for (int j = 0; j < V; j++) d[j] = (float)(-g * e[j] / s);
            d[a] += (float)g;
        }
        double v = values[i], vo = tg->old_value[i], R = tg->ret[i];
        double vcl = vc > 0.0 ? vo + clampd(v - vo, -vc, vc) : v;
        double l1 = (v - R) * (v - R), l2 = (vcl - R) * (vcl - R);
        acc[LS_VF] += 0.5 * (l1 >= l2 ? l1 : l2);
        if (dvalues) {
            double dv = l1 >= l2 ? v - R : (fabs(v - vo) < vc ? vcl - R : 0.0);
            dvalues[i] = (float)(c->vf_coef * w * dv);
        }
    }
}

// loss_parts: the loss and *parts from loss_sums' sums over ntok positions.
static double loss_parts(const PPOConfig *c, const double *acc, int ntok, PPOLossParts *parts) {
    double w = 1.0 / ntok, pg = acc[LS_PG] * w, vf = acc[LS_VF] * w;
    if (parts) *parts = (PPOLossParts){pg, vf, acc[LS_CLIP] * w, acc[LS_AKL] * w, ntok};
    return pg + c->vf_coef * vf;
}

double ppo_loss(const PPOConfig *c, const float *logits, const float *values, int N, int V,
                const PPOTargets *tg, float *dlogits, float *dvalues, PPOLossParts *parts) {
    int ntok = 0;
    for (int i = 0; i < N; i++) ntok += tg->action[i] >= 0;
    if (dlogits) memset(dlogits, 0, sizeof(float) * (size_t)N * V);
    if (dvalues) memset(dvalues, 0, sizeof(float) * (size_t)N);
    if (parts) memset(parts, 0, sizeof *parts);
    if (ntok == 0) return 0.0;
    double acc[LS_N] = {0}, *e = malloc(sizeof(double) * (size_t)V);
    if (!e) return NAN;  // out of memory
    loss_sums(c, logits, values, N, V, tg, 1.0 / ntok, dlogits, dvalues, e, acc);
    free(e);
    return loss_parts(c, acc, ntok, parts);
}

// ---------------------------------------------------------------------------
// one iteration

static double *tk(const PPO *p, int k) { return p->tok + (size_t)k * p->cfg.batch * RESP_MAX; }

// gae: rewards, advantages and returns per response token; advantages whitened.
static void gae(PPO *p, int n, double *kl_sampled_sum) {
    const PPOConfig *c = &p->cfg;
    double *lp = tk(p, TK_LOGP), *lq = tk(p, TK_REFLOGP), *v = tk(p, TK_VALUE);
    double *rw = tk(p, TK_REWARD), *adv = tk(p, TK_ADV), *ret = tk(p, TK_RET);
    double ks = 0.0, sum = 0.0, sq = 0.0;
    long cnt = 0;
    for (int i = 0; i < n; i++) {
        size_t o = (size_t)i * RESP_MAX;
        int L = p->rlen[i];
        const uint8_t *r = p->resp + o;
        double score = p->score[i];
        if (c->trunc_mode == PPO_TRUNC_PENALTY && r[L - 1] != TOK_EOS) score += c->trunc_penalty;
        for (int k = 0; k < L; k++) {
            ks += lp[o + k] - lq[o + k];
            rw[o + k] = -p->kl_coef * (lp[o + k] - lq[o + k]) + (k == L - 1 ? score : 0.0);
        }
        double last = 0.0;
        for (int k = L - 1; k >= 0; k--) {
            double vnext = k + 1 < L ? v[o + k + 1] : 0.0;
            last = rw[o + k] + c->gamma * vnext - v[o + k] + c->gamma * c->lam * last;
            adv[o + k] = last;
            ret[o + k] = last + v[o + k];
        }
        for (int k = 0; k < L; k++) { sum += adv[o + k]; cnt++; }
    }
    double mean = sum / (double)cnt;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < p->rlen[i]; k++) {
            double d = adv[(size_t)i * RESP_MAX + k] - mean;
            sq += d * d;
        }
    double inv = 1.0 / sqrt(sq / (double)cnt + 1e-8);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < p->rlen[i]; k++) {
            size_t j = (size_t)i * RESP_MAX + k;
            adv[j] = (adv[j] - mean) * inv;
        }
    *kl_sampled_sum = ks;
}

// minibatch_targets: act and p->mb for the rows of the last forward: the
// (B, T) grid of a gpt_forward (at == 0), or the response positions of a
// gpt_forward_at (row b's after row b-1's). Returns the rows.
static int minibatch_targets(PPO *p, const Seqs *s, const int *rows, int B, int T, int at,
                             PPOTargets *tg) {
    size_t grid = (size_t)p->policy->max_B * p->policy->cfg.ctx, q = 0;
    double *ol = p->mb + MB_OLDLOGP * grid, *ov = p->mb + MB_OLDV * grid;
    double *ad = p->mb + MB_ADV * grid, *rt = p->mb + MB_RET * grid;
    for (size_t k = 0; !at && k < (size_t)B * T; k++) {
        p->act[k] = -1;
        ol[k] = ov[k] = ad[k] = rt[k] = 0.0;
    }
    for (int b = 0; b < B; b++) {
        int i = rows[b];
        if (!at) q = (size_t)b * T + s->plen[i] - 1;
        for (int k = 0; k < s->rlen[i]; k++, q++) {
            size_t j = (size_t)i * RESP_MAX + k;
            p->act[q] = s->resp[j];
            ol[q] = tk(p, TK_LOGP)[j];
            ov[q] = tk(p, TK_VALUE)[j];
            ad[q] = tk(p, TK_ADV)[j];
            rt[q] = tk(p, TK_RET)[j];
        }
    }
    *tg = (PPOTargets){p->act, ol, ov, ad, rt};
    return at ? (int)q : B * T;
}

// minibatch_grad: m->grads = the gradient of the PPO loss over the responses
// of rows[0..B-1] (one minibatch), *loss and *parts as ppo_loss gives them
// for the whole minibatch, *tokens = the positions run through forward and
// backward. With p->micro >= B one gpt_forward and backward over all B rows
// in the given order, padded to the longest row (the update before micro-
// batching); otherwise the rows are ordered by sequence length, longest
// first (ties in the given order), and run in passes of p->micro rows, each
// padded only to its own longest row, with gpt_forward_at (the last block
// and the heads at the response positions only); the gradients add up (+=
// per pass), each weighted by 1 / the minibatch's response tokens, so the
// result equals the one-pass gradient up to float summation order.
static int minibatch_grad(PPO *p, const Seqs *s, const int *rows, int B, double *loss,
                          PPOLossParts *parts, long *tokens, HHErr *err) {
    GPT *m = p->policy;
    int mb = p->micro < 1 ? 1 : p->micro, *ord = p->order, ntok = 0, rc;
    for (int b = 0; b < B; b++) {  // insertion sort: stable, B is small
        int i = rows[b], L = s->plen[i] + s->rlen[i], k = b;
        ntok += s->rlen[i];
        if (mb < B)
            for (; k > 0 && s->plen[ord[k - 1]] + s->rlen[ord[k - 1]] < L; k--) ord[k] = ord[k - 1];
        ord[k] = i;
    }
    double acc[LS_N] = {0}, w = 1.0 / (ntok > 0 ? ntok : 1);
    gpt_zero_grad(m);
    *tokens = 0;
    int at = mb < B, *lo = p->x + (size_t)m->max_B * m->cfg.ctx;
    for (int b0 = 0; b0 < B; b0 += mb) {
        int nb = B - b0 < mb ? B - b0 : mb, T = build_input(p->x, lo, s, ord + b0, nb);
        if (T < 0) return hh_fail(err, HH_EINPUT, "ppo: a prompt + response is empty or longer "
                                  "than the context %d", s->ctx);
        if ((rc = at ? gpt_forward_at(m, p->x, nb, T, lo, lo + nb, 1, err)
                     : gpt_forward(m, p->x, nb, T, 1, err))) return rc;
        PPOTargets tg;
        int nr = minibatch_targets(p, s, ord + b0, nb, T, at, &tg);
        loss_sums(&p->cfg, m->logits, m->values, nr, m->cfg.vocab, &tg, w, m->dlogits,
                  p->dvalue, p->lsm, acc);
        if ((rc = gpt_backward(m, m->dlogits, NULL, NULL, p->dvalue, err))) return rc;
        *tokens += (long)nb * T;
    }
    *loss = ntok > 0 ? loss_parts(&p->cfg, acc, ntok, parts) : 0.0;
    if (ntok == 0) memset(parts, 0, sizeof *parts);
    return 0;
}

int ppo_minibatch_grad(PPO *p, const uint8_t *prompts, const int32_t *plen, const int *rows,
                       int B, double *loss, PPOLossParts *parts, HHErr *err) {
    if (B < 1 || B > p->policy->max_B)
        return hh_fail(err, HH_EINPUT, "ppo_minibatch_grad: B %d outside 1..%d", B,
                       p->policy->max_B);
    Seqs s = {prompts, plen, p->resp, p->rlen, p->policy->cfg.ctx};
    PPOLossParts lp;
    long tokens;
    return minibatch_grad(p, &s, rows, B, loss, parts ? parts : &lp, &tokens, err);
}

// update: cfg.epochs passes of shuffled minibatches; sums into st.
static int update(PPO *p, const Seqs *s, int n, gsl_rng *r, PPOStats *st, HHErr *err) {
    const PPOConfig *c = &p->cfg;
    GPT *m = p->policy;
    AdamWConfig ac = {(float)c->beta1, (float)c->beta2, (float)c->adam_eps,
                      (float)c->weight_decay};
    int steps = 0;
    for (int e = 0; e < c->epochs; e++) {
        for (int i = 0; i < n; i++) p->perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = (int)rng_below(r, (unsigned long)i + 1), t = p->perm[i];
            p->perm[i] = p->perm[j];
            p->perm[j] = t;
        }
        for (int s0 = 0; s0 < n; s0 += c->minibatch) {
            int B = n - s0 < c->minibatch ? n - s0 : c->minibatch, rc;
            double loss;
            PPOLossParts lp;
            long tokens;
            if ((rc = minibatch_grad(p, s, p->perm + s0, B, &loss, &lp, &tokens, err))) return rc;
            char job[64], lr_key[48];
            snprintf(job, sizeof job, "ppo iteration %ld", p->iter + 1);
            snprintf(lr_key, sizeof lr_key, "[rl] lr = %g", c->lr);
            if (!isfinite(loss))  // names a parameter tensor if one is already bad, else the loss
                return gpt_check_step(m, job, p->opt->step + 1, loss, 0.0, lr_key, err);
            double gn = c->grad_clip > 0 ? adamw_clip(m->grads, m->num_params, c->grad_clip)
                                         : adamw_grad_norm(m->grads, m->num_params);
            st->grad_norm += gn;
            adamw_update(p->opt, m->params, m->grads, p->decay, (float)c->lr, &ac);
            if ((rc = gpt_check_step(m, job, p->opt->step, loss, gn, lr_key, err))) return rc;
            st->pg_loss += lp.pg;
            st->vf_loss += lp.vf;
            st->clipfrac += lp.clipfrac;
            st->approx_kl += lp.approx_kl;
            st->update_tokens += tokens;
            steps++;
        }
    }
    st->pg_loss /= steps;
    st->vf_loss /= steps;
    st->clipfrac /= steps;
    st->approx_kl /= steps;
    st->grad_norm /= steps;
    return 0;
}

// rollout_stats: means over the batch of what the scoring forward gave.
static void rollout_stats(const PPO *p, int n, PPOStats *st) {
    double kl = 0, ent = 0, len = 0, noeos = 0, rew = 0, trew = 0, vm = 0, rm = 0;
    long cnt = 0;
    for (int i = 0; i < n; i++) {
        size_t o = (size_t)i * RESP_MAX;
        int L = p->rlen[i], cut = p->resp[o + L - 1] != TOK_EOS;
        for (int k = 0; k < L; k++) {
            kl += tk(p, TK_KL)[o + k];
            ent += tk(p, TK_ENT)[o + k];
            vm += tk(p, TK_VALUE)[o + k];
            rm += tk(p, TK_RET)[o + k];
        }
        cnt += L;
        len += L;
        noeos += cut;
        rew += p->score[i];
        trew += p->score[i] + (cut && p->cfg.trunc_mode == PPO_TRUNC_PENALTY
                               ? p->cfg.trunc_penalty : 0.0);
    }
    st->n = n;
    st->kl = kl / n;
    st->entropy = ent / (double)cnt;
    st->value_mean = vm / (double)cnt;
    st->return_mean = rm / (double)cnt;
    st->resp_len = len / n;
    st->no_eos = noeos / n;
    st->reward = rew / n;
    st->trunc_reward = trew / n;
    st->rollout_tokens = cnt;
}

int ppo_iterate(PPO *p, const uint8_t *prompts, const int32_t *plen, int n, PPORewardFn reward,
                void *reward_ctx, gsl_rng *r, PPOStats *out, HHErr *err) {
    const PPOConfig *c = &p->cfg;
    int ctx = p->policy->cfg.ctx, rc = 0;
    if (n < 1 || n > c->batch || !reward || !r)
        return hh_fail(err, HH_EINPUT, "ppo_iterate: n %d outside 1..%d (the config's batch), "
                       "or no reward function or stream", n, c->batch);
    for (int i = 0; i < n; i++)
        if (plen[i] < 1 || plen[i] >= ctx)
            return hh_fail(err, HH_EINPUT, "ppo_iterate: prompt %d has length %d, outside "
                           "1..%d", i, plen[i], ctx - 1);
    PPOStats st;
    memset(&st, 0, sizeof st);
    st.kl_coef = p->kl_coef;
    // 1. sample
    RolloutOpts ro = {c->temperature, 0, c->max_resp, 0, c->stop_turn};
    double t0 = now_sec();
    if ((rc = rollout_generate(p->policy, p->cache, prompts, plen, n, ctx, &ro, r, p->resp,
                               p->rlen, err))) return rc;
    double t1 = now_sec();
    // 2. score: log-probs, values, exact KL and entropy per response token
    Seqs s = {prompts, plen, p->resp, p->rlen, ctx};
    TokOut o = {tk(p, TK_LOGP), tk(p, TK_REFLOGP), tk(p, TK_VALUE), tk(p, TK_KL), tk(p, TK_ENT)};
    for (int i = 0; i < n; i++) p->perm[i] = i;
    int chunk = gpt_infer_rows(p->policy);
    for (int i0 = 0; !rc && i0 < n; i0 += chunk) {
        int nb = n - i0 < chunk ? n - i0 : chunk;
        rc = score_rows(p->policy, p->ref, &s, p->perm + i0, nb, c->temperature, p->x, p->lsm, &o,
                        err);
    }
    double t1s = now_sec();
    if (!rc) rc = reward(reward_ctx, prompts, plen, p->resp, p->rlen, n, p->score, err);
    double t1r = now_sec();
    for (int i = 0; !rc && i < n; i++)
        if (!isfinite(p->score[i]))
            rc = hh_fail(err, HH_EFAIL, "ppo_iterate: reward %d is %g", i, p->score[i]);
    if (rc) return rc;
    // 3-4. rewards with the KL penalty, GAE, whitening
    double ks;
    gae(p, n, &ks);
    st.kl_sampled = ks / n;
    rollout_stats(p, n, &st);
    // 5. update
    double t2 = now_sec();
    if ((rc = update(p, &s, n, r, &st, err))) return rc;
    double t3 = now_sec();
    // 6. stats and the KL controller
    p->iter++;
    st.iter = p->iter;
    st.rollout_tok_s = t1 > t0 ? (double)st.rollout_tokens / (t1 - t0) : 0.0;
    st.update_tok_s = t3 > t2 ? (double)st.update_tokens / (t3 - t2) : 0.0;
    st.sec[PPO_T_ROLLOUT] = t1 - t0;
    st.sec[PPO_T_SCORE] = t1s - t1;
    st.sec[PPO_T_REWARD] = t1r - t1s;
    st.sec[PPO_T_UPDATE] = t3 - t2;
    if (c->kl_adaptive)
        p->kl_coef *= 1.0 + clampd(st.kl / c->kl_target - 1.0, -0.2, 0.2) * n / c->kl_horizon;
    if (out) *out = st;
    return 0;
}

// ---------------------------------------------------------------------------
// state

void ppo_get_state(const PPO *p, float *params, float *adam_m, float *adam_v, PPOScalars *s) {
    size_t n = p->policy->num_params;
    if (params) memcpy(params, p->policy->params, sizeof(float) * n);
    if (adam_m) memcpy(adam_m, p->opt->m, sizeof(float) * n);
    if (adam_v) memcpy(adam_v, p->opt->v, sizeof(float) * n);
    if (s) *s = (PPOScalars){p->iter, p->opt->step, p->kl_coef};
}

int ppo_set_state(PPO *p, const float *params, const float *adam_m, const float *adam_v,
                  const PPOScalars *s, HHErr *err) {
    if (!params || !adam_m || !adam_v || !s)
        return hh_fail(err, HH_EINPUT, "ppo_set_state: params, moments and scalars are all "
                       "required");
    else if (s->iter < 0 || s->adam_step < 0 || !(s->kl_coef >= 0.0) || !isfinite(s->kl_coef))
        return hh_fail(err, HH_EINPUT, "ppo_set_state: iter %ld, adam_step %ld must be >= 0 and "
                       "kl_coef %g finite and >= 0", s->iter, s->adam_step, s->kl_coef);
    memcpy(p->policy->params, params, sizeof(float) * p->policy->num_params);
    adamw_load_state(p->opt, adam_m, adam_v, s->adam_step);
    p->iter = s->iter;
    p->kl_coef = s->kl_coef;
    return 0;
}
