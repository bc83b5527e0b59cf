// test_ppo.c - PPO (sim/ppo): gradient of the clipped loss by finite
// differences (w.r.t. logits and values, and through the model w.r.t. its
// parameters), exact KL against a brute-force computation, learning a
// trivially learnable reward, the KL penalty, determinism and resume.
//
// The toy task: prompts BOS H COPY Sa Sb A on a tiny model (1 layer, C = 16,
// 2 heads, ctx 32, vocab 64); the reward is the fraction of response tokens
// equal to S0 (about 1/64 for the random initial policy).
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gpt.h"
#include "ppo.h"
#include "rng.h"
#include "rollout.h"
#include "world.h"

enum { NP = 32, CTX = 32, PLEN = 6 };

static const GPTConfig TINY = {.n_layer = 1, .d_model = 16, .n_head = 2, .ctx = CTX, .vocab = 64};

// ----------------------------------------------------------------------------
// helpers

static double gauss(gsl_rng *r) {
    double u1 = gsl_rng_uniform_pos(r), u2 = gsl_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static GPT *make_init(const GPTConfig *c, uint64_t seed) {
    HHErr err;
    GPT *m = gpt_alloc(c, 4, &err);
    if (!m) fail_msg("gpt_alloc: %s", err.msg);
    gsl_rng *r = rng_stream_alloc(seed, "test_ppo", "init");
    gpt_init(m, r);
    gsl_rng_free(r);
    return m;
}

// n prompts BOS H COPY Sa Sb A with a, b in 1..15 from the stream (seed, comp).
static void make_prompts(uint8_t *pr, int32_t *plen, int n, int ctx, uint64_t seed,
                         const char *comp) {
    gsl_rng *r = rng_stream_alloc(seed, "test_ppo", comp);
    memset(pr, TOK_PAD, (size_t)n * ctx);
    for (int i = 0; i < n; i++) {
        uint8_t *t = pr + (size_t)i * ctx;
        t[0] = TOK_BOS; t[1] = TOK_H; t[2] = TOK_COPY;
        t[3] = (uint8_t)(TOK_S0 + 1 + rng_below(r, 15));
        t[4] = (uint8_t)(TOK_S0 + 1 + rng_below(r, 15));
        t[5] = TOK_A;
        plen[i] = PLEN;
    }
    gsl_rng_free(r);
}

// reward: the fraction of response tokens equal to S0.
static int reward_s0(void *ctx, const uint8_t *prompts, const int32_t *plen, const uint8_t *resp,
                     const int32_t *rlen, int n, double *reward, HHErr *err) {
    (void)ctx; (void)prompts; (void)plen; (void)err;
    for (int i = 0; i < n; i++) {
        int c = 0;
        for (int k = 0; k < rlen[i]; k++) c += resp[(size_t)i * RESP_MAX + k] == TOK_S0;
        reward[i] = (double)c / rlen[i];
    }
    return 0;
}

static PPOConfig tiny_ppo(void) {
    PPOConfig c;
    ppo_config_default(&c);
    c.batch = NP;
    c.minibatch = 8;
    c.max_resp = 8;
    c.lr = 2e-3;
    c.kl_coef = 0.01;
    c.trunc_mode = PPO_TRUNC_ASIS;
    return c;
}

static PPO *make_ppo(const GPT *init, const PPOConfig *c) {
    HHErr err;
    PPO *p = ppo_alloc(init, c, &err);
    if (!p) fail_msg("ppo_alloc: %s", err.msg);
    return p;
}

// Iterations it0 .. it1-1 on the fixed prompts; iteration i draws from the
// stream (seed, "test_ppo", "iter/i"). st (it1 - it0) or NULL.
static void run_iters(PPO *p, const uint8_t *pr, const int32_t *plen, uint64_t seed, int it0,
                      int it1, PPOStats *st) {
    for (int it = it0; it < it1; it++) {
        char comp[32];
        snprintf(comp, sizeof comp, "iter/%d", it);
        gsl_rng *r = rng_stream_alloc(seed, "test_ppo", comp);
        HHErr err;
        PPOStats s;
        int rc = ppo_iterate(p, pr, plen, NP, reward_s0, NULL, r, &s, &err);
        gsl_rng_free(r);
        if (rc) fail_msg("ppo_iterate at iteration %d: %s", it, err.msg);
        if (st) st[it - it0] = s;
    }
}

static double mean_over(const PPOStats *st, int i0, int i1, int field) {
    double s = 0;
    for (int i = i0; i < i1; i++) s += field == 0 ? st[i].reward : st[i].kl;
    return s / (i1 - i0);
}

// ----------------------------------------------------------------------------
// gradient of the loss w.r.t. logits and values

// Targets for a (N) grid at the given logits/values: old log-probs set so the
// ratios are chosen values away from the clip kinks, old values likewise.
typedef struct {
    int act[12];
    double ol[12], ov[12], adv[12], ret[12];
} Targets;

static void make_targets(Targets *t, const PPOConfig *c, const float *logits, const float *values,
                         int N, int V, gsl_rng *r) {
    static const double RATIO[5] = {0.5, 0.9, 1.0, 1.1, 1.6};
    static const double DV[4] = {0.5, -0.05, 0.08, -0.4};
    for (int i = 0; i < N; i++) {
        t->act[i] = i % 5 == 4 ? -1 : (int)rng_below(r, (unsigned long)V);
        double mx = -INFINITY, s = 0;
        for (int j = 0; j < V; j++) mx = fmax(mx, logits[i * V + j] / c->temperature);
        for (int j = 0; j < V; j++) s += exp(logits[i * V + j] / c->temperature - mx);
        double lp = t->act[i] < 0 ? 0 : logits[i * V + t->act[i]] / c->temperature - mx - log(s);
        t->ol[i] = lp - log(RATIO[i % 5]);
        t->ov[i] = values[i] - DV[i % 4];
        t->adv[i] = (i % 2 ? -1 : 1) * (0.3 + gsl_rng_uniform(r));
        t->ret[i] = gauss(r);
    }
}

static void test_loss_gradient(void **state) {
    (void)state;
    enum { N = 12, V = 7 };
    PPOConfig c = tiny_ppo();
    c.temperature = 0.7f;
    c.vf_coef = 0.5;
    gsl_rng *r = rng_stream_alloc(3, "test_ppo", "loss_gradient");
    float logits[N * V], values[N], dl[N * V], dv[N];
    for (int i = 0; i < N * V; i++) logits[i] = (float)gauss(r);
    for (int i = 0; i < N; i++) values[i] = (float)gauss(r);
    Targets t;
    make_targets(&t, &c, logits, values, N, V, r);
    PPOTargets tg = {t.act, t.ol, t.ov, t.adv, t.ret};
    PPOLossParts parts;
    double loss = ppo_loss(&c, logits, values, N, V, &tg, dl, dv, &parts);
    if (!isfinite(loss) || parts.ntok != 10 || !(parts.clipfrac > 0) || !(parts.clipfrac < 1))
        fail_msg("loss %g, ntok %d (want 10), clipfrac %g (want in (0, 1))", loss, parts.ntok,
                 parts.clipfrac);
    // Central differences in double on float inputs: the actual step is
    // (float)(x + h) - x; the loss is a double function of float inputs, so
    // the noise is ~1e-16 / h and the truncation ~h^2 ~ 1e-6 relative.
    const double h = 1e-3;
    double worst = 0;
    for (int k = 0; k < N * V + N; k++) {
        float *x = k < N * V ? &logits[k] : &values[k - N * V];
        float x0 = *x, xp = (float)(x0 + h), xm = (float)(x0 - h);
        *x = xp;
        double fp = ppo_loss(&c, logits, values, N, V, &tg, NULL, NULL, NULL);
        *x = xm;
        double fm = ppo_loss(&c, logits, values, N, V, &tg, NULL, NULL, NULL);
        *x = x0;
        double fd = (fp - fm) / ((double)xp - (double)xm);
        double an = k < N * V ? dl[k] : dv[k - N * V];
        double e = fabs(fd - an) / fmax(fabs(an), 1e-3);
        worst = fmax(worst, e);
        if (e > 1e-3)
            fail_msg("d loss / d %s[%d]: finite difference %.8e vs analytic %.8e (rel err %.2e)",
                     k < N * V ? "logit" : "value", k < N * V ? k : k - N * V, fd, an, e);
    }
    printf("    loss %.6f (pg %.4f vf %.4f clipfrac %.2f): %d partials, max rel error %.2e "
           "(bound 1e-3)\n", loss, parts.pg, parts.vf, parts.clipfrac, N * V + N, worst);
    gsl_rng_free(r);
}

// Through the model: directional derivatives per tensor of loss(params) =
// ppo_loss(forward(params)) with gpt_backward, as in test_gpt's gradcheck
// (float forward, h = 1e-2, 1% relative bound above 1e-2).
static double model_loss(GPT *m, const PPOConfig *c, const int *x, int B, int T, Targets *t,
                         int grad) {
    HHErr err;
    if (gpt_forward(m, x, B, T, 1, &err)) fail_msg("gpt_forward: %s", err.msg);
    PPOTargets tg = {t->act, t->ol, t->ov, t->adv, t->ret};
    float dv[12];
    double loss = ppo_loss(c, m->logits, m->values, B * T, m->cfg.vocab, &tg,
                           grad ? m->dlogits : NULL, grad ? dv : NULL, NULL);
    if (grad) {
        gpt_zero_grad(m);
        if (gpt_backward(m, m->dlogits, NULL, NULL, dv, &err)) fail_msg("backward: %s", err.msg);
    }
    return loss;
}

static void test_param_gradient(void **state) {
    (void)state;
    GPTConfig gc = {.n_layer = 1, .d_model = 8, .n_head = 2, .ctx = 6, .vocab = 11};
    enum { B = 2, T = 6 };
    PPOConfig c = tiny_ppo();
    gsl_rng *r = rng_stream_alloc(4, "test_ppo", "param_gradient");
    GPT *m = make_init(&gc, 4);
    for (size_t i = 0; i < m->num_params; i++) m->params[i] += (float)(0.3 * gauss(r));
    int x[B * T];
    for (int i = 0; i < B * T; i++) x[i] = (int)rng_below(r, 11);
    model_loss(m, &c, x, B, T, &(Targets){0}, 0);
    Targets t;
    make_targets(&t, &c, m->logits, m->values, B * T, gc.vocab, r);
    model_loss(m, &c, x, B, T, &t, 1);
    size_t n = m->num_params;
    float *g = malloc(n * sizeof(float)), *p0 = malloc(n * sizeof(float));
    double *u = malloc(n * sizeof(double));
    memcpy(g, m->grads, n * sizeof(float));
    memcpy(p0, m->params, n * sizeof(float));
    const double h = 1e-2, tol = 1e-2;
    double worst = 0;
    int checked = 0;
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *ti = gpt_tensor_info(m, i);
        if (i == GPT_WR || i == GPT_BR) continue;  // the scalar head is not in the PPO loss
        for (int rep = 0; rep < 2; rep++) {
            double nrm = 0, an = 0, f[2];
            for (size_t j = 0; j < ti->numel; j++) { u[j] = gauss(r); nrm += u[j] * u[j]; }
            for (size_t j = 0; j < ti->numel; j++) {
                u[j] /= sqrt(nrm);
                an += u[j] * g[ti->offset + j];
            }
            for (int sg = 0; sg < 2; sg++) {
                for (size_t j = 0; j < ti->numel; j++)
                    m->params[ti->offset + j] = (float)(p0[ti->offset + j] + (sg ? -h : h) * u[j]);
                f[sg] = model_loss(m, &c, x, B, T, &t, 0);
            }
            memcpy(m->params + ti->offset, p0 + ti->offset, ti->numel * sizeof(float));
            double fd = (f[0] - f[1]) / (2 * h), e = fabs(fd - an) / fmax(fabs(an), 1e-2);
            worst = fmax(worst, e);
            checked++;
            if (e > tol)
                fail_msg("tensor %s: finite difference %.6e vs analytic %.6e (rel err %.2e > %.0e)",
                         ti->name, fd, an, e, tol);
        }
    }
    printf("    %d directional checks through the model, max relative error %.2e (bound %.0e)\n",
           checked, worst, tol);
    free(g); free(p0); free(u);
    gpt_free(m);
    gsl_rng_free(r);
}

// ----------------------------------------------------------------------------
// exact KL

// ppo_exact_kl against sum_v p log(p / q) from gpt_softmax rows of separate
// single-row forwards; KL of a model against itself is exactly 0.
// [rl] stop_turn: with stop_turn = 1 a sampled turn token (BOS, H, A, HHH)
// ends the response and stays as its last token; none occurs earlier. With 0
// (the built-in) the same untrained model puts turn tokens inside responses.
static int is_turn(int t) { return t == TOK_BOS || t == TOK_H || t == TOK_A || t == TOK_HHH; }

static void test_stop_turn(void **state) {
    (void)state;
    GPT *m = make_init(&TINY, 1);
    uint8_t pr[NP * CTX], resp[NP * RESP_MAX];
    int32_t pl[NP], rl[NP];
    make_prompts(pr, pl, NP, CTX, 1, "stop_turn");
    HHErr err;
    GPTCache *cache = gpt_cache_alloc(&TINY, 4, &err);
    int inside[2] = {0, 0}, ended[2] = {0, 0};
    for (int st = 0; st < 2; st++) {
        gsl_rng *r = rng_stream_alloc(1, "test_ppo", "stop_turn_sample");
        RolloutOpts ro = {1.0f, 0, RESP_MAX, 0, st};
        if (rollout_generate(m, cache, pr, pl, NP, CTX, &ro, r, resp, rl, &err))
            fail_msg("rollout: %s", err.msg);
        gsl_rng_free(r);
        for (int i = 0; i < NP; i++) {
            const uint8_t *x = resp + (size_t)i * RESP_MAX;
            for (int t = 0; t + 1 < rl[i]; t++) inside[st] += is_turn(x[t]);
            ended[st] += is_turn(x[rl[i] - 1]);
            if (st && is_turn(x[rl[i] - 1]) && rl[i] < RESP_MAX) assert_int_equal(x[rl[i]], TOK_PAD);
        }
    }
    print_message("turn tokens inside responses: %d (stop_turn 0), %d (1); responses ending "
                  "at one: %d, %d of %d\n", inside[0], inside[1], ended[0], ended[1], NP);
    assert_true(inside[0] > 0);
    assert_int_equal(inside[1], 0);
    assert_true(ended[1] > 0);
    gpt_cache_free(cache);
    gpt_free(m);
}

static void test_exact_kl(void **state) {
    (void)state;
    GPT *init = make_init(&TINY, 1);
    PPOConfig c = tiny_ppo();
    PPO *p = make_ppo(init, &c);
    uint8_t pr[NP * CTX];
    int32_t plen[NP];
    make_prompts(pr, plen, NP, CTX, 1, "prompts");
    run_iters(p, pr, plen, 1, 0, 5, NULL);
    // held-out prompts, sampled from the trained policy
    enum { NH = 8 };
    uint8_t hp[NH * CTX], resp[NH * RESP_MAX];
    int32_t hl[NH], rl[NH];
    make_prompts(hp, hl, NH, CTX, 1, "heldout");
    HHErr err;
    GPTCache *cache = gpt_cache_alloc(&TINY, 4, &err);
    gsl_rng *r = rng_stream_alloc(1, "test_ppo", "heldout_sample");
    RolloutOpts ro = {1.0f, 0, 8, 0, 0};
    if (rollout_generate(p->policy, cache, hp, hl, NH, CTX, &ro, r, resp, rl, &err))
        fail_msg("rollout: %s", err.msg);
    double kl[NH], self[NH];
    if (ppo_exact_kl(p->policy, p->ref, hp, hl, resp, rl, NH, 1.0f, kl, &err) ||
        ppo_exact_kl(p->ref, p->ref, hp, hl, resp, rl, NH, 1.0f, self, &err))
        fail_msg("ppo_exact_kl: %s", err.msg);
    GPT *a = make_init(&TINY, 1), *b = make_init(&TINY, 1);
    memcpy(a->params, p->policy->params, sizeof(float) * a->num_params);
    int V = TINY.vocab;
    float *pa = malloc(sizeof(float) * CTX * V), *pb = malloc(sizeof(float) * CTX * V);
    double worst = 0, tot = 0;
    for (int i = 0; i < NH; i++) {
        int x[CTX], T = hl[i] + rl[i] - 1;
        for (int t = 0; t < T; t++)
            x[t] = t < hl[i] ? hp[i * CTX + t] : resp[i * RESP_MAX + t - hl[i]];
        if (gpt_forward(a, x, 1, T, 1, &err) || gpt_forward(b, x, 1, T, 1, &err))
            fail_msg("forward: %s", err.msg);
        gpt_softmax(pa, a->logits, T, V, 1.0f);
        gpt_softmax(pb, b->logits, T, V, 1.0f);
        double bf = 0;
        for (int t = hl[i] - 1; t < T; t++)
            for (int j = 0; j < V; j++)
                bf += pa[t * V + j] * (log((double)pa[t * V + j]) - log((double)pb[t * V + j]));
        double e = fabs(kl[i] - bf) / fmax(bf, 1e-3);
        worst = fmax(worst, e);
        tot += kl[i];
        if (e > 1e-4 || !(kl[i] >= 0) || self[i] != 0.0)
            fail_msg("response %d: exact KL %.8e vs brute force %.8e (rel err %.2e); "
                     "self-KL %.3e (want exactly 0)", i, kl[i], bf, e, self[i]);
    }
    printf("    held-out mean KL %.5f nats/response after 5 iterations; max rel diff from "
           "brute force %.2e (bound 1e-4); self-KL exactly 0\n", tot / NH, worst);
    free(pa); free(pb);
    gpt_free(a); gpt_free(b); gpt_free(init);
    gpt_cache_free(cache);
    gsl_rng_free(r);
    ppo_free(p);
}

// ----------------------------------------------------------------------------
// learning and the KL penalty

// 50 iterations at beta 0.01, lr 2e-3: measured over init/stream seeds 1-12,
// the last-5 mean reward is 0.991-1.000 (first 5: ~0.02) and the exact KL
// ends at 31-32 nats per 8-token response (a near-deterministic S0 S0 ...
// costs about 8 log 64 = 33 nats); with lr 3e-3 some seeds collapsed and
// recovered late, so the bounds (reward > 0.8, KL rise > 10 nats, Pearson
// correlation of reward and KL over iterations > 0.8; measured 0.996) keep a
// wide margin.
enum { LEARN_ITERS = 50 };

static void test_learning(void **state) {
    (void)state;
    GPT *init = make_init(&TINY, 1);
    PPOConfig c = tiny_ppo();
    PPO *p = make_ppo(init, &c);
    uint8_t pr[NP * CTX];
    int32_t plen[NP];
    make_prompts(pr, plen, NP, CTX, 1, "prompts");
    PPOStats st[LEARN_ITERS];
    run_iters(p, pr, plen, 1, 0, LEARN_ITERS, st);
    for (int i = 0; i < LEARN_ITERS; i++) {
        const PPOStats *s = &st[i];
        if (!isfinite(s->pg_loss) || !isfinite(s->vf_loss) || !isfinite(s->approx_kl) ||
            !isfinite(s->entropy) || !(s->kl >= 0.0))
            fail_msg("iteration %d: pg %g vf %g approx_kl %g entropy %g, exact KL %g (want >= 0)",
                     i, s->pg_loss, s->vf_loss, s->approx_kl, s->entropy, s->kl);
        if (i % 5 == 0 || i == LEARN_ITERS - 1)
            printf("    it %2d reward %.3f KL %.4f (sampled %.4f) entropy %.3f len %.2f clip %.3f "
                   "approx_kl %.4f vf %.4f pg %.4f gnorm %.3f | %.0f / %.0f tok/s\n", i, s->reward,
                   s->kl, s->kl_sampled, s->entropy, s->resp_len, s->clipfrac, s->approx_kl,
                   s->vf_loss, s->pg_loss, s->grad_norm, s->rollout_tok_s, s->update_tok_s);
    }
    if (st[0].kl != 0.0 || st[0].kl_sampled != 0.0)
        fail_msg("iteration 0: exact KL %.3e, sampled %.3e before any update (want exactly 0)",
                 st[0].kl, st[0].kl_sampled);
    double r0 = mean_over(st, 0, 5, 0), r1 = mean_over(st, LEARN_ITERS - 5, LEARN_ITERS, 0);
    double k0 = mean_over(st, 0, 5, 1), k1 = mean_over(st, LEARN_ITERS - 5, LEARN_ITERS, 1);
    printf("    reward %.3f -> %.3f, KL %.4f -> %.4f (first / last 5 iterations)\n", r0, r1, k0,
           k1);
    if (!(r0 < 0.1) || !(r1 > 0.8) || !(k1 > k0 + 10.0))
        fail_msg("reward %.3f -> %.3f (want < 0.1 then > 0.8), KL %.4f -> %.4f (want a rise > 10 "
                 "nats)", r0, r1, k0, k1);
    // KL rises as reward rises: Pearson correlation over the iterations
    double mr = mean_over(st, 0, LEARN_ITERS, 0), mk = mean_over(st, 0, LEARN_ITERS, 1);
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < LEARN_ITERS; i++) {
        sxy += (st[i].reward - mr) * (st[i].kl - mk);
        sxx += (st[i].reward - mr) * (st[i].reward - mr);
        syy += (st[i].kl - mk) * (st[i].kl - mk);
    }
    double corr = sxy / sqrt(sxx * syy);
    printf("    corr(reward, KL) over iterations %.3f\n", corr);
    if (!(corr > 0.8)) fail_msg("corr(reward, KL) %.3f (want > 0.8)", corr);
    gpt_free(init);
    ppo_free(p);
}

// A constant score of 0 with the truncation penalty (-1 for a response cut
// off without EOS): the policy learns to end its responses.
static int reward_zero(void *ctx, const uint8_t *prompts, const int32_t *plen, const uint8_t *resp,
                       const int32_t *rlen, int n, double *reward, HHErr *err) {
    (void)ctx; (void)prompts; (void)plen; (void)resp; (void)rlen; (void)err;
    for (int i = 0; i < n; i++) reward[i] = 0.0;
    return 0;
}

static void test_trunc_penalty(void **state) {
    (void)state;
    GPT *init = make_init(&TINY, 1);
    PPOConfig c = tiny_ppo();
    c.trunc_mode = PPO_TRUNC_PENALTY;
    c.trunc_penalty = -1.0;
    PPO *p = make_ppo(init, &c);
    uint8_t pr[NP * CTX];
    int32_t plen[NP];
    make_prompts(pr, plen, NP, CTX, 1, "prompts");
    enum { IT = 25 };
    double noeos[IT], len[IT], tr[IT];
    for (int it = 0; it < IT; it++) {
        char comp[32];
        snprintf(comp, sizeof comp, "iter/%d", it);
        gsl_rng *r = rng_stream_alloc(3, "test_ppo", comp);
        HHErr err;
        PPOStats s;
        if (ppo_iterate(p, pr, plen, NP, reward_zero, NULL, r, &s, &err))
            fail_msg("ppo_iterate: %s", err.msg);
        gsl_rng_free(r);
        noeos[it] = s.no_eos;
        len[it] = s.resp_len;
        tr[it] = s.trunc_reward;
        if (s.reward != 0.0 || fabs(s.trunc_reward + s.no_eos) > 1e-12)
            fail_msg("iteration %d: reward %g (want 0), penalised reward %g (want -%g)", it,
                     s.reward, s.trunc_reward, s.no_eos);
    }
    printf("    without EOS: %.3f -> %.3f, length %.2f -> %.2f, penalised reward %.3f -> %.3f "
           "over %d iterations\n", noeos[0], noeos[IT - 1], len[0], len[IT - 1], tr[0], tr[IT - 1],
           IT);
    if (!(noeos[0] > 0.6) || !(noeos[IT - 1] < 0.2))
        fail_msg("share without EOS %.3f -> %.3f (want > 0.6, then < 0.2)", noeos[0],
                 noeos[IT - 1]);
    ppo_free(p);
    gpt_free(init);
}

// beta 0 vs beta 0.5 on the same prompts and streams. The KL-regularised
// optimum is pi ~ pi_0 exp(r / beta): each of the 8 tokens earns 1/8, so at
// beta 0.5 p(S0) rises only from 1/64 to about e^0.25 / 64 (reward ~0.02),
// while beta 0 goes to the deterministic policy. Measured (seeds 1-3): KL
// 0.05-0.08 vs 24-32 nats; bound: a quarter.
static void test_kl_penalty(void **state) {
    (void)state;
    GPT *init = make_init(&TINY, 1);
    uint8_t pr[NP * CTX];
    int32_t plen[NP];
    make_prompts(pr, plen, NP, CTX, 1, "prompts");
    double beta[2] = {0.0, 0.5}, kl[2], rw[2];
    enum { IT = 30 };
    for (int k = 0; k < 2; k++) {
        PPOConfig c = tiny_ppo();
        c.kl_coef = beta[k];
        PPO *p = make_ppo(init, &c);
        PPOStats st[IT];
        run_iters(p, pr, plen, 2, 0, IT, st);
        kl[k] = mean_over(st, IT - 5, IT, 1);
        rw[k] = mean_over(st, IT - 5, IT, 0);
        ppo_free(p);
    }
    printf("    last 5 of %d iterations: beta 0: KL %.3f reward %.3f; beta %.1f: KL %.3f "
           "reward %.3f\n", IT, kl[0], rw[0], beta[1], kl[1], rw[1]);
    if (!(kl[1] < 0.25 * kl[0]))
        fail_msg("KL with beta %.1f is %.4f, not < 1/4 of KL with beta 0 (%.4f)", beta[1], kl[1],
                 kl[0]);
    gpt_free(init);
}

// ----------------------------------------------------------------------------
// determinism and resume

static void test_determinism(void **state) {
    (void)state;
    GPT *init = make_init(&TINY, 1);
    PPOConfig c = tiny_ppo();
    uint8_t pr[NP * CTX];
    int32_t plen[NP];
    make_prompts(pr, plen, NP, CTX, 1, "prompts");
    uint64_t h[3];
    for (int k = 0; k < 3; k++) {
        PPO *p = make_ppo(init, &c);
        run_iters(p, pr, plen, k < 2 ? 5 : 6, 0, 4, NULL);
        h[k] = gpt_hash(p->policy->params, p->policy->num_params);
        ppo_free(p);
    }
    printf("    hashes %016llx %016llx (same seed), %016llx (other seed)\n",
           (unsigned long long)h[0], (unsigned long long)h[1], (unsigned long long)h[2]);
    if (h[0] != h[1] || h[0] == h[2])
        fail_msg("same seed: %016llx vs %016llx (want equal); other seed %016llx (want different)",
                 (unsigned long long)h[0], (unsigned long long)h[1], (unsigned long long)h[2]);
    gpt_free(init);
}

static void test_resume(void **state) {
    (void)state;
    GPT *init = make_init(&TINY, 1);
    PPOConfig c = tiny_ppo();
    c.kl_adaptive = 1;  // the controller's beta is part of the state
    c.kl_target = 0.5;
    c.kl_horizon = 200;
    uint8_t pr[NP * CTX];
    int32_t plen[NP];
    make_prompts(pr, plen, NP, CTX, 1, "prompts");
    enum { K = 3, TOTAL = 6 };
    PPO *full = make_ppo(init, &c), *a = make_ppo(init, &c);
    run_iters(full, pr, plen, 7, 0, TOTAL, NULL);
    run_iters(a, pr, plen, 7, 0, K, NULL);
    size_t n = a->policy->num_params;
    float *prm = malloc(n * sizeof(float)), *m = malloc(n * sizeof(float));
    float *v = malloc(n * sizeof(float));
    PPOScalars sc;
    ppo_get_state(a, prm, m, v, &sc);
    ppo_free(a);
    PPO *b = make_ppo(init, &c);
    HHErr err;
    if (ppo_set_state(b, prm, m, v, &sc, &err)) fail_msg("ppo_set_state: %s", err.msg);
    run_iters(b, pr, plen, 7, K, TOTAL, NULL);
    uint64_t hf = gpt_hash(full->policy->params, n), hb = gpt_hash(b->policy->params, n);
    uint64_t mf = gpt_hash(full->opt->m, n), mb = gpt_hash(b->opt->m, n);
    printf("    uninterrupted %016llx, resumed after %d of %d %016llx; beta %.6f vs %.6f "
           "(start %.3f), iter %ld vs %ld\n", (unsigned long long)hf, K, TOTAL,
           (unsigned long long)hb, full->kl_coef, b->kl_coef, c.kl_coef, full->iter, b->iter);
    if (hf != hb || mf != mb || full->kl_coef != b->kl_coef || full->iter != b->iter ||
        full->kl_coef == c.kl_coef)
        fail_msg("resume differs: params %016llx vs %016llx, adam m %016llx vs %016llx, beta "
                 "%.9f vs %.9f (start %.3f: must have moved), iter %ld vs %ld",
                 (unsigned long long)hf, (unsigned long long)hb, (unsigned long long)mf,
                 (unsigned long long)mb, full->kl_coef, b->kl_coef, c.kl_coef, full->iter,
                 b->iter);
    free(prm); free(m); free(v);
    ppo_free(full);
    ppo_free(b);
    gpt_free(init);
}

// The update's forward reproduces the rollout-time log-probs: with a
// learning rate too small to move any parameter, every ratio is 1 (measured:
// approx-KL exactly 0, no clipping).
static void test_ratio_one(void **state) {
    (void)state;
    GPT *init = make_init(&TINY, 1);
    PPOConfig c = tiny_ppo();
    c.lr = 1e-30;
    PPO *p = make_ppo(init, &c);
    uint8_t pr[NP * CTX];
    int32_t plen[NP];
    make_prompts(pr, plen, NP, CTX, 1, "prompts");
    PPOStats st[2];
    run_iters(p, pr, plen, 1, 0, 2, st);
    printf("    approx-KL %.3e %.3e, clip fraction %g %g, exact KL %g %g\n", st[0].approx_kl,
           st[1].approx_kl, st[0].clipfrac, st[1].clipfrac, st[0].kl, st[1].kl);
    for (int i = 0; i < 2; i++)
        if (!(fabs(st[i].approx_kl) < 1e-12) || st[i].clipfrac != 0.0 || st[i].kl != 0.0)
            fail_msg("iteration %d without parameter change: approx-KL %.3e (want < 1e-12), clip "
                     "fraction %g, exact KL %g (want 0)", i, st[i].approx_kl, st[i].clipfrac,
                     st[i].kl);
    ppo_free(p);
    gpt_free(init);
}

// The update's micro-batched gradient (passes of p->micro rows ordered by
// length, each padded to its own longest row) against the one-pass gradient
// (p->micro >= minibatch: one forward/backward over the minibatch in
// shuffled order, the update before micro-batching): the same up to float
// summation order. Prompts of 3 to 12 tokens, so rows differ in length.
// Bound: every gradient within 1e-5 of max |g| of the one-pass gradient, the
// loss and its parts within 1e-6 relative (measured 4e-9: the forward of a row
// is not bit-identical across batch shapes in OpenBLAS).
static void test_micro_grad(void **state) {
    (void)state;
    GPT *init = make_init(&TINY, 2);
    PPOConfig c = tiny_ppo();
    PPO *p = make_ppo(init, &c);
    uint8_t pr[NP * CTX];
    int32_t plen[NP];
    gsl_rng *r = rng_stream_alloc(2, "test_ppo", "micro_grad");
    for (int i = 0; i < NP; i++) {
        plen[i] = 3 + (int)rng_below(r, 10);
        for (int k = 0; k < CTX; k++) pr[i * CTX + k] = (uint8_t)(TOK_S0 + rng_below(r, 16));
        pr[i * CTX] = TOK_BOS;
        pr[i * CTX + plen[i] - 1] = TOK_A;
    }
    HHErr err;
    for (int it = 0; it < 2; it++)  // train a little, so that values and ratios move
        if (ppo_iterate(p, pr, plen, NP, reward_s0, NULL, r, NULL, &err))
            fail_msg("ppo_iterate: %s", err.msg);
    size_t n = p->policy->num_params;
    float *g1 = malloc(n * sizeof(float));
    int rows[NP], micro[3] = {1, 2, p->micro}, lmin = CTX, lmax = 0;
    for (int i = 0; i < NP; i++) {
        rows[i] = (i * 7 + 3) % NP;  // a fixed shuffle
        int L = plen[i] + p->rlen[i] - 1;
        lmin = L < lmin ? L : lmin;
        lmax = L > lmax ? L : lmax;
    }
    double worst = 0.0, worst_loss = 0.0;
    for (int s0 = 0; s0 < NP; s0 += c.minibatch) {
        double l1, l2;
        PPOLossParts q1, q2;
        p->micro = c.minibatch;
        if (ppo_minibatch_grad(p, pr, plen, rows + s0, c.minibatch, &l1, &q1, &err))
            fail_msg("ppo_minibatch_grad: %s", err.msg);
        memcpy(g1, p->policy->grads, n * sizeof(float));
        double gmax = 0.0;
        for (size_t j = 0; j < n; j++) gmax = fmax(gmax, fabs(g1[j]));
        for (int k = 0; k < 3; k++) {
            p->micro = micro[k];
            if (ppo_minibatch_grad(p, pr, plen, rows + s0, c.minibatch, &l2, &q2, &err))
                fail_msg("ppo_minibatch_grad: %s", err.msg);
            double d = 0.0;
            for (size_t j = 0; j < n; j++) d = fmax(d, fabs(p->policy->grads[j] - g1[j]));
            double dl = fmax(fabs(l2 - l1) / fabs(l1),
                             fmax(fabs(q2.pg - q1.pg), fabs(q2.vf - q1.vf)) / fabs(l1));
            worst = fmax(worst, d / gmax);
            worst_loss = fmax(worst_loss, dl);
            if (!(d <= 1e-5 * gmax) || !(dl <= 1e-6) || q1.ntok != q2.ntok ||
                fabs(q1.clipfrac - q2.clipfrac) > 1e-12)
                fail_msg("minibatch %d, %d rows per pass: max |g - g_one_pass| %.3e (bound 1e-5 "
                         "x max |g| = %.3e), loss %.10f vs %.10f (rel %.2e, bound 1e-6), ntok %d "
                         "vs %d, clipfrac %g vs %g", s0 / c.minibatch, micro[k], d, 1e-5 * gmax,
                         l2, l1, dl, q2.ntok, q1.ntok, q2.clipfrac, q1.clipfrac);
        }
    }
    printf("    sequence lengths %d..%d, 1/2/%d rows per pass vs one pass of %d: max |dg| / max |g| "
           "%.2e (bound 1e-5), loss rel %.2e (bound 1e-6)\n", lmin, lmax, micro[2], c.minibatch,
           worst, worst_loss);
    free(g1);
    gsl_rng_free(r);
    ppo_free(p);
    gpt_free(init);
}

// gpt_forward_at (outputs at chosen positions, as the PPO scoring and update
// use it) against gpt_forward on 2 layers: logits and values at those
// positions within 1e-5 of max |logit|, and the gradient of random head
// gradients there (zero elsewhere for gpt_forward) within 1e-5 of max |g|;
// one row with no output position, one whose range ends at T. No output
// position at all, gpt_scalar and dscalar afterwards are refused.
static void test_forward_at(void **state) {
    (void)state;
    GPTConfig gc = {.n_layer = 2, .d_model = 16, .n_head = 2, .ctx = 12, .vocab = 11};
    enum { B = 3, T = 10, V = 11 };
    int lo[B] = {2, 4, 0}, hi[B] = {7, 4, T}, x[B * T], NO = 5 + 0 + T;
    gsl_rng *r = rng_stream_alloc(5, "test_ppo", "forward_at");
    GPT *m = make_init(&gc, 5);
    for (size_t i = 0; i < m->num_params; i++) m->params[i] += (float)(0.3 * gauss(r));
    for (int i = 0; i < B * T; i++) x[i] = (int)rng_below(r, V);
    HHErr err;
    size_t n = m->num_params;
    float *g0 = malloc(n * sizeof(float)), *dl = calloc(B * T * V, sizeof(float));
    float *dv = calloc(B * T, sizeof(float)), lf[B * T * V], vf[B * T];
    float dlc[15 * V], dvc[15];
    if (gpt_forward(m, x, B, T, 1, &err)) fail_msg("gpt_forward: %s", err.msg);
    memcpy(lf, m->logits, sizeof lf);
    memcpy(vf, m->values, sizeof vf);
    for (int b = 0, k = 0; b < B; b++)
        for (int t = lo[b]; t < hi[b]; t++, k++) {
            for (int j = 0; j < V; j++) dl[(b * T + t) * V + j] = dlc[k * V + j] = (float)gauss(r);
            dv[b * T + t] = dvc[k] = (float)gauss(r);
        }
    gpt_zero_grad(m);
    if (gpt_backward(m, dl, NULL, NULL, dv, &err)) fail_msg("gpt_backward: %s", err.msg);
    memcpy(g0, m->grads, n * sizeof(float));
    if (gpt_forward_at(m, x, B, T, lo, hi, 1, &err)) fail_msg("gpt_forward_at: %s", err.msg);
    assert_int_equal(m->n_out, NO);
    double lmax = 0.0, dlog = 0.0, gmax = 0.0, dg = 0.0;
    for (int b = 0, k = 0; b < B; b++)
        for (int t = lo[b]; t < hi[b]; t++, k++) {
            for (int j = 0; j < V; j++) {
                lmax = fmax(lmax, fabs(lf[(b * T + t) * V + j]));
                dlog = fmax(dlog, fabs(m->logits[k * V + j] - lf[(b * T + t) * V + j]));
            }
            dlog = fmax(dlog, fabs(m->values[k] - vf[b * T + t]));
        }
    gpt_zero_grad(m);
    if (gpt_backward(m, dlc, NULL, NULL, dvc, &err)) fail_msg("gpt_backward: %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        gmax = fmax(gmax, fabs(g0[i]));
        dg = fmax(dg, fabs(m->grads[i] - g0[i]));
    }
    printf("    %d of %d positions: max |d logit, value| %.2e (max |logit| %.2f), max |dg| / max "
           "|g| %.2e (bounds 1e-5)\n", NO, B * T, dlog, lmax, dg / gmax);
    if (!(dlog <= 1e-5 * lmax) || !(dg <= 1e-5 * gmax))
        fail_msg("gpt_forward_at differs: outputs by %.3e (max |logit| %.3e), gradient by %.3e "
                 "(max |g| %.3e)", dlog, lmax, dg, gmax);
    int pos[B] = {0, 0, 0}, none[B] = {3, 3, 3};
    float out[B], ds[B] = {1, 1, 1};
    if (gpt_scalar(m, pos, out, &err) != HH_EINPUT ||
        gpt_backward(m, NULL, pos, ds, NULL, &err) != HH_EINPUT ||
        gpt_forward_at(m, x, B, T, none, none, 1, &err) != HH_EINPUT)
        fail_msg("gpt_scalar, dscalar after gpt_forward_at or no output position accepted");
    free(g0); free(dl); free(dv);
    gpt_free(m);
    gsl_rng_free(r);
}

static void test_bad_input(void **state) {
    (void)state;
    GPT *init = make_init(&TINY, 1);
    PPOConfig c = tiny_ppo();
    HHErr err;
    c.minibatch = c.batch + 1;
    if (ppo_alloc(init, &c, &err) || err.code != HH_EINPUT) fail_msg("minibatch > batch accepted");
    c = tiny_ppo();
    PPO *p = make_ppo(init, &c);
    uint8_t pr[NP * CTX];
    int32_t plen[NP];
    make_prompts(pr, plen, NP, CTX, 1, "prompts");
    gsl_rng *r = rng_stream_alloc(1, "test_ppo", "bad");
    if (ppo_iterate(p, pr, plen, NP + 1, reward_s0, NULL, r, NULL, &err) != HH_EINPUT)
        fail_msg("n > batch accepted");
    plen[3] = CTX;
    if (ppo_iterate(p, pr, plen, NP, reward_s0, NULL, r, NULL, &err) != HH_EINPUT)
        fail_msg("a prompt filling the context accepted");
    printf("    refused: %s\n", err.msg);
    gsl_rng_free(r);
    ppo_free(p);
    gpt_free(init);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_gradient),
        cmocka_unit_test(test_param_gradient),
        cmocka_unit_test(test_exact_kl),
        cmocka_unit_test(test_stop_turn),
        cmocka_unit_test(test_learning),
        cmocka_unit_test(test_kl_penalty),
        cmocka_unit_test(test_trunc_penalty),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_ratio_one),
        cmocka_unit_test(test_micro_grad),
        cmocka_unit_test(test_forward_at),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
