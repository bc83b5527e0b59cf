// test_pm.c - preference models: the Bradley-Terry gradient through the
// scalar head, learning a noiseless rule, and reproducible scores.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "pm.h"
#include "rng.h"

static const GPTConfig CFG = {1, 16, 2, 32, WORLD_VOCAB};

// n comparisons on prompts "BOS H COPY S1 S2 A"; responses are 1-5 random
// symbols + EOS; the chosen one has more S0 tokens (ties are redrawn).
typedef struct {
    uint8_t prompt[8];
    uint8_t resp[2][RESP_MAX];
    int len[2];
} Pairs;

static int count_s0(const uint8_t *r, int n) {
    int k = 0;
    for (int i = 0; i < n; i++) k += r[i] == TOK_S0;
    return k;
}

static void make_pairs(Pairs *pp, PMComp *c, int n, const char *comp) {
    gsl_rng *r = rng_stream_alloc(11, "test_pm", comp);
    const uint8_t pr[6] = {TOK_BOS, TOK_H, TOK_COPY, TOK_S0 + 1, TOK_S0 + 2, TOK_A};
    for (int i = 0; i < n; i++) {
        Pairs *q = &pp[i];
        memcpy(q->prompt, pr, 6);
        do {
            for (int k = 0; k < 2; k++) {
                int L = 1 + (int)rng_below(r, 5);
                for (int t = 0; t < L; t++) q->resp[k][t] = (uint8_t)(TOK_S0 + rng_below(r, 3));
                q->resp[k][L] = TOK_EOS;
                q->len[k] = L + 1;
            }
        } while (count_s0(q->resp[0], q->len[0]) == count_s0(q->resp[1], q->len[1]));
        int a = count_s0(q->resp[0], q->len[0]) > count_s0(q->resp[1], q->len[1]) ? 0 : 1;
        c[i].c = (PMPair){q->prompt, q->resp[a], 6, q->len[a]};
        c[i].r = (PMPair){q->prompt, q->resp[1 - a], 6, q->len[1 - a]};
    }
    gsl_rng_free(r);
}

static GPT *tiny(int max_B) {
    HHErr err;
    GPT *m = gpt_alloc(&CFG, max_B, &err);
    assert_non_null(m);
    gsl_rng *r = rng_stream_alloc(3, "test_pm", "init");
    gpt_init(m, r);
    gsl_rng_free(r);
    return m;
}

// Bradley-Terry loss of comparisons c[0..n) under m, in double.
static double bt_loss(GPT *m, const PMComp *c, int n) {
    enum { S = 32 };  // prompt row stride = the model's ctx
    uint8_t pr[16 * S], rs[16 * RESP_MAX];
    int32_t pl[16], rl[16];
    double s[16];
    HHErr err;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            const PMPair *q = k ? &c[i].r : &c[i].c;
            memcpy(pr + (size_t)(k * n + i) * S, q->p, (size_t)q->pl);
            memset(rs + (size_t)(k * n + i) * RESP_MAX, 0, RESP_MAX);
            memcpy(rs + (size_t)(k * n + i) * RESP_MAX, q->r, (size_t)q->rl);
            pl[k * n + i] = q->pl;
            rl[k * n + i] = q->rl;
        }
    assert_int_equal(pm_score(m, pr, pl, S, rs, rl, 2 * n, s, &err), 0);
    double L = 0;
    for (int i = 0; i < n; i++) L += log1p(exp(-(s[i] - s[n + i]))) / n;
    return L;
}

// The Bradley-Terry gradient of pm_score's readout (m->readout: 0 EOS, 1 the
// mean over the response tokens, positions pl .. pl + rl - 1) by central
// differences through pm_score, against gpt_backward_span.
static void bt_gradient(int readout) {
    enum { N = 4 };
    Pairs pp[N];
    PMComp c[N];
    make_pairs(pp, c, N, "grad");
    GPT *m = tiny(2 * N);
    m->readout = readout;
    // make the scalar head non-zero so every path carries gradient
    gsl_rng *r = rng_stream_alloc(3, "test_pm", "head");
    const GPTTensor *wr = gpt_tensor_info(m, GPT_WR);
    for (size_t i = 0; i < wr->numel; i++) m->params[wr->offset + i] = (float)gsl_ran_gaussian(r, 0.5);
    gsl_rng_free(r);
    // analytic: forward 2N sequences, dscalar = -(1 - sigmoid(d)) / N for chosen, + for rejected
    int x[2 * N * 32], pos[2 * N], from[2 * N];
    float sc[2 * N], ds[2 * N];
    int T = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < N; i++) {
            const PMPair *q = k ? &c[i].r : &c[i].c;
            if (q->pl + q->rl > T) T = q->pl + q->rl;
        }
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < N; i++) {
            const PMPair *q = k ? &c[i].r : &c[i].c;
            int b = k * N + i, t = 0;
            for (int j = 0; j < q->pl; j++) x[b * T + t++] = q->p[j];
            for (int j = 0; j < q->rl; j++) x[b * T + t++] = q->r[j];
            pos[b] = t - 1;
            from[b] = q->pl;
            while (t < T) x[b * T + t++] = 0;
        }
    HHErr err;
    assert_int_equal(gpt_forward(m, x, 2 * N, T, 0, &err), 0);
    assert_int_equal(gpt_scalar_span(m, readout ? from : NULL, pos, sc, &err), 0);
    for (int i = 0; i < N; i++) {
        double s = 1 / (1 + exp(-((double)sc[i] - sc[N + i])));
        ds[i] = (float)(-(1 - s) / N);
        ds[N + i] = (float)((1 - s) / N);
    }
    gpt_zero_grad(m);
    assert_int_equal(gpt_backward_span(m, NULL, readout ? from : NULL, pos, ds, NULL, &err), 0);
    // pm_score reads the same positions: its loss is the one just differentiated
    double L0 = 0;
    for (int i = 0; i < N; i++) L0 += log1p(exp(-((double)sc[i] - sc[N + i]))) / N;
    assert_true(fabs(bt_loss(m, c, N) - L0) < 1e-6);
    // numeric, central differences on a few entries of three tensors
    const int tensors[3] = {GPT_WR, GPT_WTE, GPT_QKVW};
    double worst = 0;
    for (int k = 0; k < 3; k++) {
        const GPTTensor *t = gpt_tensor_info(m, tensors[k]);
        for (int j = 0; j < 5; j++) {
            size_t i = t->offset + (size_t)(j * 7919) % t->numel;
            float keep = m->params[i];
            const float h = 1e-2f;
            m->params[i] = keep + h;
            double lp = bt_loss(m, c, N);
            m->params[i] = keep - h;
            double lm = bt_loss(m, c, N);
            m->params[i] = keep;
            double num = (lp - lm) / (2 * h), ana = m->grads[i];
            double rel = fabs(num - ana) / fmax(1e-3, fabs(num) + fabs(ana));
            if (rel > worst) worst = rel;
        }
    }
    gpt_free(m);
    print_message("Bradley-Terry gradient (readout %s): worst relative error %.3g over 15 entries\n",
                  readout ? "mean" : "eos", worst);
    // float forward with h = 1e-2: agreement to a few 1e-3 is what float allows
    if (worst > 2e-2) fail_msg("worst relative gradient error %.3g > 2e-2", worst);
}

static void test_bt_gradient(void **state) { (void)state; bt_gradient(0); }
static void test_bt_gradient_mean(void **state) { (void)state; bt_gradient(1); }

// [pm] readout = mean reads a different number than eos (the readouts are not
// silently the same), and a one-token response (EOS alone) reads the same.
static void test_readout_positions(void **state) {
    (void)state;
    GPT *m = tiny(2);
    const GPTTensor *wr = gpt_tensor_info(m, GPT_WR);
    for (size_t i = 0; i < wr->numel; i++) m->params[wr->offset + i] = 0.1f * (float)((int)i % 5 - 2);
    uint8_t pr[2 * 32] = {TOK_BOS, TOK_H, TOK_COPY, TOK_S0 + 1, TOK_A}, rs[2 * RESP_MAX] = {0};
    memcpy(pr + 32, pr, 5);
    rs[0] = TOK_S0 + 1, rs[1] = TOK_S0 + 2, rs[2] = TOK_EOS;
    rs[RESP_MAX] = TOK_EOS;
    int32_t pl[2] = {5, 5}, rl[2] = {3, 1};
    double eos[2], mean[2];
    HHErr err;
    assert_int_equal(pm_score(m, pr, pl, 32, rs, rl, 2, eos, &err), 0);
    m->readout = 1;
    assert_int_equal(pm_score(m, pr, pl, 32, rs, rl, 2, mean, &err), 0);
    print_message("readout eos %.6f %.6f, mean %.6f %.6f\n", eos[0], eos[1], mean[0], mean[1]);
    assert_true(fabs(eos[0] - mean[0]) > 1e-4);
    assert_true(fabs(eos[1] - mean[1]) < 1e-6);
    gpt_free(m);
}

static void test_learns_rule(void **state) {
    (void)state;
    enum { NTRAIN = 768, NTEST = 256 };
    static Pairs tr[NTRAIN], te[NTEST];
    static PMComp ct[NTRAIN], ce[NTEST];
    make_pairs(tr, ct, NTRAIN, "train");
    make_pairs(te, ce, NTEST, "test");
    Params p;
    params_defaults(&p);
    GPT *m = tiny(64);
    HHErr err;
    double acc_train = 0;
    if (pm_fit(&p, m, ct, NTRAIN, 6, 3e-3, "test_pm/rule", &acc_train, &err)) fail_msg("%s", err.msg);
    int right = 0;
    for (int i = 0; i < NTEST; i++) {
        uint8_t pr[2 * 32], rs[2 * RESP_MAX] = {0};
        int32_t pl[2] = {6, 6}, rl[2] = {ce[i].c.rl, ce[i].r.rl};
        double s[2];
        memcpy(pr, ce[i].c.p, 6);
        memcpy(pr + 32, ce[i].r.p, 6);
        memcpy(rs, ce[i].c.r, (size_t)rl[0]);
        memcpy(rs + RESP_MAX, ce[i].r.r, (size_t)rl[1]);
        assert_int_equal(pm_score(m, pr, pl, 32, rs, rl, 2, s, &err), 0);
        right += s[0] > s[1];
    }
    double acc = (double)right / NTEST;
    print_message("noiseless rule: train accuracy %.3f, held-out accuracy %.3f\n", acc_train, acc);
    gpt_free(m);
    if (acc < 0.9) fail_msg("held-out accuracy %.3f < 0.9 on a noiseless rule", acc);
}

static void test_fit_reproducible(void **state) {
    (void)state;
    enum { N = 128 };
    static Pairs tr[N];
    static PMComp ct[N];
    make_pairs(tr, ct, N, "repro");
    Params p;
    params_defaults(&p);
    uint64_t h[2];
    for (int k = 0; k < 2; k++) {
        GPT *m = tiny(32);
        HHErr err;
        if (pm_fit(&p, m, ct, N, 2, 3e-3, "test_pm/repro", NULL, &err)) fail_msg("%s", err.msg);
        h[k] = gpt_hash(m->params, m->num_params);
        gpt_free(m);
    }
    assert_true(h[0] == h[1]);
}

// issue 12: gpt_check_step names the step and the first non-finite tensor
// (with its layer), the gradient's when the norm is not finite, else the loss.
static void test_check_step_names(void **state) {
    (void)state;
    const GPTConfig cfg2 = {2, 16, 2, 32, WORLD_VOCAB};
    HHErr err;
    GPT *m = gpt_alloc(&cfg2, 4, &err);
    assert_non_null(m);
    gsl_rng *r = rng_stream_alloc(3, "test_pm", "init2");
    gpt_init(m, r);
    gsl_rng_free(r);
    gpt_zero_grad(m);
    assert_int_equal(gpt_check_step(m, "job/x", 7, 1.5, 0.3, "[pm] lr = 1", &err), 0);
    const GPTTensor *t = gpt_tensor_info(m, GPT_QKVW);
    float *x = m->params + t->offset + t->numel + 5;  // layer 1
    *x = NAN;
    hh_err_clear(&err);
    assert_int_equal(gpt_check_step(m, "job/x", 7, 1.5, 0.3, "[pm] lr = 1", &err), HH_EFAIL);
    if (!strstr(err.msg, "job/x: step 7: h.1.attn.c_attn.weight has a non-finite value (nan); "
                         "lower the learning rate ([pm] lr = 1)"))
        fail_msg("message: %s", err.msg);
    *x = 0.0f;
    m->grads[gpt_tensor_info(m, GPT_WPE)->offset + 3] = INFINITY;
    assert_int_equal(gpt_check_step(m, "job/x", 9, 1.5, INFINITY, "[pm] lr = 1", &err), HH_EFAIL);
    if (!strstr(err.msg, "job/x: step 9: the gradient of wpe has a non-finite value (inf)"))
        fail_msg("message: %s", err.msg);
    gpt_zero_grad(m);
    assert_int_equal(gpt_check_step(m, "job/x", 11, NAN, 0.3, "[pm] lr = 1", &err), HH_EFAIL);
    if (!strstr(err.msg, "job/x: step 11: the loss has a non-finite value (nan)"))
        fail_msg("message: %s", err.msg);
    gpt_free(m);
}

// issue 12: a NaN in a model stops Bradley-Terry training at its first step,
// naming the step and a tensor: in a weight the forward uses (every gradient
// turns NaN), and in the unused value head (only the parameter scan sees it).
static void test_nonfinite_stops_training(void **state) {
    (void)state;
    enum { N = 64 };
    static Pairs tr[N];
    static PMComp ct[N];
    make_pairs(tr, ct, N, "nan");
    Params p;
    params_defaults(&p);
    for (int k = 0; k < 2; k++) {
        GPT *m = tiny(32);
        int which = k == 0 ? GPT_FCW : GPT_WV;
        m->params[gpt_tensor_info(m, which)->offset + 2] = NAN;
        HHErr err;
        hh_err_clear(&err);
        int rc = pm_fit(&p, m, ct, N, 2, 3e-3, "test_pm/nan", NULL, &err);
        print_message("%s\n", err.msg);
        assert_int_equal(rc, HH_EFAIL);
        if (!strstr(err.msg, "test_pm/nan: step 1: ") || !strstr(err.msg, "has a non-finite value (nan)") ||
            !strstr(err.msg, "lower the learning rate ([pm] lr = 0.003)"))
            fail_msg("message: %s", err.msg);
        if (k == 0 && !strstr(err.msg, "the gradient of wte"))
            fail_msg("message does not name the first bad gradient tensor: %s", err.msg);
        if (k == 1 && !strstr(err.msg, ": head_v.weight has"))
            fail_msg("message does not name the value head: %s", err.msg);
        gpt_free(m);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bt_gradient),
        cmocka_unit_test(test_bt_gradient_mean),
        cmocka_unit_test(test_readout_positions),
        cmocka_unit_test(test_learns_rule),
        cmocka_unit_test(test_fit_reproducible),
        cmocka_unit_test(test_check_step_names),
        cmocka_unit_test(test_nonfinite_stops_training),
    };
    return cmocka_run_group_tests_name("pm", tests, NULL, NULL);
}
