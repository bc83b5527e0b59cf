// bench.c - see bench.h
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "adamw.h"
#include "gpt.h"
#include "pm.h"
#include "ppo.h"
#include "rng.h"

#define BENCH_T 64
#define BENCH_B 32
#define BENCH_V 64
#define BENCH_MIN_S 1.0
#define BENCH_MAX_STEPS 2000
#define BENCH_GEN_RUNS 5

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, int n) {
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

double bench_sgemm(int n, int reps) {
    size_t nn = (size_t)n * n;
    float *a = malloc(3 * nn * sizeof(float));
    double t[16];
    if (!a || reps < 1) {
        free(a);
        return 0.0;
    }
    if (reps > 16) reps = 16;
    for (size_t i = 0; i < 3 * nn; i++) a[i] = (float)((i * 7919) % 13) * 0.01f;
    for (int r = -1; r < reps; r++) {  // r = -1: warm-up
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a,
                    n, a + nn, n, 0.0f, a + 2 * nn, n);
        if (r >= 0) t[r] = now_s() - t0;
    }
    free(a);
    return 2.0 * n * (double)nn / median(t, reps) / 1e9;
}

// train_step: forward, LM loss, backward, AdamW on (inp, tgt) (B, T).
static int train_step(GPT *m, AdamW *opt, const unsigned char *mask,
                      const int *inp, const int *tgt, HHErr *err) {
    const AdamWConfig ac = {.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                            .weight_decay = 0.01f};  // torch.optim.AdamW
    gpt_zero_grad(m);
    if (gpt_lm_grad(m, inp, tgt, NULL, BENCH_B, BENCH_T, NULL, err)) return err->code;
    adamw_update(opt, m->params, m->grads, mask, 1e-3f, &ac);
    return 0;
}

// bench_gen: seconds to sample BENCH_T tokens in each of BENCH_B rows.
static int bench_gen(const GPT *m, GPTCache *c, gsl_rng *r, float *logits,
                     double *sec, HHErr *err) {
    int tok[BENCH_B];
    gpt_cache_reset(c);
    for (int b = 0; b < BENCH_B; b++) tok[b] = (int)rng_below(r, BENCH_V);
    double t0 = now_s();
    for (int s = 0; s < BENCH_T; s++) {
        if (gpt_step(m, c, tok, logits, err)) return err->code;
        for (int b = 0; b < BENCH_B; b++)
            tok[b] = gpt_sample(logits + b * BENCH_V, BENCH_V, 1.0f, 0, r);
    }
    *sec = now_s() - t0;
    return 0;
}

int bench_scale(BenchResult *res, int steps, HHErr *err) {
    GPTConfig cfg = {.n_layer = res->n_layer, .d_model = res->d_model,
                     .n_head = res->n_head, .ctx = BENCH_T, .vocab = BENCH_V};
    int rc = HH_EFAIL;
    gsl_rng *r = rng_stream_alloc(0, "bench", res->name);
    GPT *m = gpt_alloc(&cfg, BENCH_B, err);
    AdamW *opt = m ? adamw_alloc(m->num_params, err) : NULL;
    GPTCache *c = opt ? gpt_cache_alloc(&cfg, BENCH_B, err) : NULL;
    unsigned char *mask = m ? malloc(m->num_params) : NULL;
    int *x = malloc(sizeof(int) * BENCH_B * (BENCH_T + 1) * 2);
    float *logits = malloc(sizeof(float) * BENCH_B * BENCH_V);
    double *t = malloc(sizeof(double) * (BENCH_MAX_STEPS > steps ? BENCH_MAX_STEPS : steps));
    if (!r || !m || !opt || !c || !mask || !x || !logits || !t) {
        if (m && opt && c) hh_fail(err, HH_EFAIL, "bench: out of memory");
        goto done;
    }
    gpt_init(m, r);
    gpt_decay_mask(m, mask);
    int *inp = x, *tgt = x + BENCH_B * BENCH_T;
    for (int i = 0; i < BENCH_B * BENCH_T; i++) {
        inp[i] = (int)rng_below(r, BENCH_V);
        tgt[i] = (int)rng_below(r, BENCH_V);
    }
    // 3 warm-up steps, then at least `steps` timed steps and at least
    // BENCH_MIN_S seconds of them (at most BENCH_MAX_STEPS), so that a short
    // slow spell of a shared machine is outvoted in the median
    int n = 0;
    double total = 0.0;
    for (int s = -3; s < steps || (total < BENCH_MIN_S && s < BENCH_MAX_STEPS); s++) {
        double t0 = now_s();
        if (train_step(m, opt, mask, inp, tgt, err)) goto done;
        if (s >= 0) {
            t[n++] = now_s() - t0;
            total += t[n - 1];
        }
    }
    steps = n;
    res->params = (long)m->num_params;
    res->train_tok_s = BENCH_B * BENCH_T / median(t, steps);
    res->gflops = 6.0 * res->params * res->train_tok_s / 1e9;
    // generation: 1 warm-up, then >= BENCH_GEN_RUNS runs and >= BENCH_MIN_S s
    n = 0;
    total = 0.0;
    for (int k = -1; k < BENCH_GEN_RUNS || (total < BENCH_MIN_S && k < BENCH_MAX_STEPS); k++) {
        double sec = 0.0;
        if (bench_gen(m, c, r, logits, &sec, err)) goto done;
        if (k >= 0) total += t[n++] = sec;
    }
    res->gen_tok_s = BENCH_B * BENCH_T / median(t, n);
    res->gen_gflops = 2.0 * res->params * res->gen_tok_s / 1e9;
    rc = 0;
done:
    free(t);
    free(logits);
    free(x);
    free(mask);
    gpt_cache_free(c);
    adamw_free(opt);
    gpt_free(m);
    if (r) gsl_rng_free(r);
    return rc;
}

// --- one PPO iteration (sim/ppo.c) against a PM of the policy's scale

#define PPO_MIN_ITERS 3
#define PPO_MAX_ITERS 50

static int pm_reward(void *ctx, const uint8_t *prompts, const int32_t *plen,
                     const uint8_t *resp, const int32_t *rlen, int n, double *out,
                     HHErr *err) {
    return pm_score(ctx, prompts, plen, BENCH_T, resp, rlen, n, out, err);
}

// bench_ppo: medians of each PPOStats.sec phase (sec[0..3]) and of the whole
// iteration (sec[4]), and sec[5] the median update of the one-pass update
// (p->micro = minibatch: one forward/backward over each minibatch, the
// update before micro-batching), for the policy and PM of res's shape (fresh
// gpt_init models; prompts of 8 to 32 random tokens; PPO defaults: 64
// prompts, 4 epochs of minibatches of 16, responses up to 24 tokens). Two
// PPOs from the same models, one per update path, take turns iteration by
// iteration (each iteration's stream the same for both), after one warm-up
// iteration each, for at least PPO_MIN_ITERS iterations and 1 s of them
// (at most PPO_MAX_ITERS); *iters = the iterations per path.
static int bench_ppo(const BenchResult *res, double *sec, int *iters, HHErr *err) {
    GPTConfig cfg = {.n_layer = res->n_layer, .d_model = res->d_model,
                     .n_head = res->n_head, .ctx = BENCH_T, .vocab = BENCH_V};
    PPOConfig pc;
    ppo_config_default(&pc);
    int n = pc.batch, rc = HH_EFAIL, it = -1;
    gsl_rng *r = rng_stream_alloc(0, "bench_ppo", res->name);
    GPT *init = gpt_alloc(&cfg, 64, err), *pm = init ? gpt_alloc(&cfg, 64, err) : NULL;
    PPO *p[2] = {pm ? ppo_alloc(init, &pc, err) : NULL, NULL};
    if (p[0]) p[1] = ppo_alloc(init, &pc, err);
    uint8_t *pr = malloc((size_t)n * BENCH_T);
    int32_t *plen = malloc(sizeof(int32_t) * n);
    double t[6][PPO_MAX_ITERS], total = 0.0;
    if (!r || !p[1] || !pr || !plen) {
        if (p[1]) hh_fail(err, HH_EFAIL, "bench: out of memory");
        goto done;
    }
    p[1]->micro = pc.minibatch;
    gpt_init(pm, r);
    for (int i = 0; i < n; i++) {
        plen[i] = 8 + i % 25;
        for (int k = 0; k < BENCH_T; k++) pr[(size_t)i * BENCH_T + k] = (uint8_t)rng_below(r, BENCH_V);
    }
    for (; it < PPO_MIN_ITERS || (total < BENCH_MIN_S && it < PPO_MAX_ITERS); it++) {
        for (int k = 0; k < 2; k++) {
            char comp[32];
            snprintf(comp, sizeof comp, "%s/%d", res->name, it);
            gsl_rng *ri = rng_stream_alloc(1, "bench_ppo", comp);
            PPOStats st;
            int bad = !ri || ppo_iterate(p[k], pr, plen, n, pm_reward, pm, ri, &st, err);
            if (ri) gsl_rng_free(ri);
            if (bad) {
                if (!ri) hh_fail(err, HH_EFAIL, "bench: out of memory");
                goto done;
            }
            if (it < 0) continue;
            if (k == 1) {
                t[5][it] = st.sec[PPO_T_UPDATE];
                continue;
            }
            t[4][it] = 0.0;
            for (int q = 0; q < 4; q++) t[4][it] += t[q][it] = st.sec[q];
            total += t[4][it];
        }
    }
    for (int k = 0; k < 6; k++) sec[k] = median(t[k], it);
    *iters = it;
    rc = 0;
done:
    free(plen);
    free(pr);
    ppo_free(p[1]);
    ppo_free(p[0]);
    gpt_free(pm);
    gpt_free(init);
    if (r) gsl_rng_free(r);
    return rc;
}

static int ppo_table(FILE *out, BenchResult *sc, const int *want, HHErr *err) {
    fprintf(out, "# PPO iteration (64 prompts, 4 epochs x 4 minibatches of 16, responses <= 24 "
            "tokens), ms, medians of >= %d iterations and >= %.0f s after 1 warm-up; "
            "1-pass: the update as one forward/backward per minibatch (before micro-batching), "
            "timed alternating with it\n", PPO_MIN_ITERS, BENCH_MIN_S);
    fprintf(out, "%-5s %9s %9s %9s %9s %9s  %-15s %9s %7s %5s\n", "ppo", "rollout", "score+kl",
            "pm", "update", "total", "shares", "1-pass", "speedup", "iters");
    for (int i = 0; i < 5; i++) {
        double sec[6];
        int iters;
        if (!want[i]) continue;
        if (bench_ppo(&sc[i], sec, &iters, err)) return err->code;
        fprintf(out, "%-5s %9.1f %9.1f %9.1f %9.1f %9.1f  %2.0f/%2.0f/%2.0f/%2.0f%%    %9.1f %6.2fx %5d\n",
                sc[i].name, 1e3 * sec[0], 1e3 * sec[1], 1e3 * sec[2], 1e3 * sec[3], 1e3 * sec[4],
                100 * sec[0] / sec[4], 100 * sec[1] / sec[4], 100 * sec[2] / sec[4],
                100 * sec[3] / sec[4], 1e3 * sec[5], sec[5] / sec[3], iters);
        fflush(out);
    }
    return 0;
}

int bench_run(FILE *out, int threads, int steps, const char *scales, int ppo,
              HHErr *err) {
    BenchResult sc[5] = {{"xs", 1, 16, 2, 0, 0, 0, 0, 0}, {"s", 2, 32, 4, 0, 0, 0, 0, 0},
                         {"m", 2, 64, 4, 0, 0, 0, 0, 0}, {"l", 4, 128, 4, 0, 0, 0, 0, 0},
                         {"xl", 6, 192, 6, 0, 0, 0, 0, 0}};
    if (threads < 1 || steps < 1)
        return hh_fail(err, HH_EINPUT, "bench: threads=%d steps=%d must be >= 1",
                       threads, steps);
    int want[5] = {!scales, !scales, !scales, !scales, !scales};
    if (scales && !*scales)
        return hh_fail(err, HH_EINPUT, "bench: --scales is empty; allowed: "
                       "xs, s, m, l, xl (comma-separated)");
    for (const char *p = scales; p && *p;) {  // mark each listed scale
        const char *e = strchr(p, ',');
        int k = e ? (int)(e - p) : (int)strlen(p), found = -1;
        for (int i = 0; i < 5; i++)
            if ((int)strlen(sc[i].name) == k && !strncmp(p, sc[i].name, k)) found = i;
        if (found < 0)
            return hh_fail(err, HH_EINPUT, "bench: --scales: '%.*s' is not a "
                           "scale; allowed: xs, s, m, l, xl (comma-separated)", k, p);
        want[found] = 1;
        p += k + (e != NULL);
    }
    openblas_set_num_threads(threads);
    if (ppo) return ppo_table(out, sc, want, err);
    double g512 = bench_sgemm(512, 5), g1024 = bench_sgemm(1024, 5);
    double peak = g512 > g1024 ? g512 : g1024;
    fprintf(out, "# hhsim bench: ctx %d, batch %d, vocab %d, %d BLAS thread(s), "
            "median of >= %d steps and >= %.0f s of them\n", BENCH_T, BENCH_B,
            BENCH_V, threads, steps, BENCH_MIN_S);
    fprintf(out, "# sgemm n=512 %.1f GFLOP/s, n=1024 %.1f GFLOP/s\n", g512, g1024);
    fprintf(out, "%-5s %6s %7s %5s %9s %12s %10s %7s %12s %10s %7s\n", "scale", "layers",
            "d_model", "heads", "params", "train_tok/s", "GFLOP/s", "%sgemm",
            "gen_tok/s", "GFLOP/s", "%sgemm");
    for (int i = 0; i < 5; i++) {
        if (!want[i]) continue;
        if (bench_scale(&sc[i], steps, err)) return err->code;
        fprintf(out, "%-5s %6d %7d %5d %9ld %12.0f %10.2f %6.1f%% %12.0f %10.2f %6.1f%%\n",
                sc[i].name, sc[i].n_layer, sc[i].d_model, sc[i].n_head,
                sc[i].params, sc[i].train_tok_s, sc[i].gflops,
                100.0 * sc[i].gflops / peak, sc[i].gen_tok_s, sc[i].gen_gflops,
                100.0 * sc[i].gen_gflops / peak);
        fflush(out);
    }
    return 0;
}
