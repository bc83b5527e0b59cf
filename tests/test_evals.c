// test_evals.c - the evals stage's suite and scorers (sim/stages/evals.h):
// the items are the same bits every time, fit the context, and the
// copy/reverse/sort queries occur nowhere in the corpus or prompt sets; the
// multiple-choice scorer picks a planted answer of a rigged model and
// refuses a tie; the exact-match scorer counts a rigged model that answers
// EOS at once wrong everywhere with negative margins.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evals.h"
#include "lm.h"
#include "rng.h"
#include "rollout.h"
#include "stage.h"
#include "worldgen.h"

static Params P;
static WorldData D;

static int setup(void **state) {
    (void)state;
    HHErr err;
    if (stages_add_keys(stages_default(), &err)) return -1;
    const char *ini =
        "[run]\nseed = 11\n[world]\nn_train_prompts = 300\nn_test_prompts = 100\n"
        "[corpus]\nn_dialogues = 800\nn_documents = 600\n[crowd]\nn_help_train = 100\n"
        "n_help_test = 50\nn_harm_train = 100\nn_harm_test = 50\n[distill]\neval_samples = 50\n"
        "[pm]\nsizes = 100\nmix_total = 100\n[rl]\neval_prompts = 50\nbon_prompts = 50\n"
        "[evals]\nitems = 40\nshots = 3\nchoices = 4\n";
    if (params_parse_text(&P, ini, "test_evals.ini", &err)) return fprintf(stderr, "%s\n", err.msg), -1;
    if (worldgen_build(&P, &D, &err)) return fprintf(stderr, "%s\n", err.msg), -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    worldgen_free(&D);
    return 0;
}

// 1 when tokens q[0..n) occur in some row of s followed by a non-argument token.
static int occurs(const SeqSet *s, const uint8_t *q, int n) {
    for (int r = 0; r < s->n; r++) {
        const uint8_t *t = s->tok + (size_t)r * s->ctx;
        for (int i = 0; i + n < s->len[r]; i++) {
            int nxt = t[i + n];
            int arg = (nxt >= TOK_T0 && nxt < TOK_T0 + N_TOPICS) || (nxt >= TOK_S0 && nxt < TOK_S0 + 16);
            if (!arg && !memcmp(t + i, q, (size_t)n)) return 1;
        }
    }
    return 0;
}

static void test_items(void **state) {
    (void)state;
    EvalItems a, b;
    HHErr err;
    if (evals_items(&P, &D, &a, &err) || evals_items(&P, &D, &b, &err)) fail_msg("%s", err.msg);
    assert_int_equal(a.n, EV_NSETS * 40);
    assert_memory_equal(a.query, b.query, (size_t)a.n * EV_QMAX);  // same bits every time
    assert_memory_equal(a.prompt, b.prompt, (size_t)EV_NSHOT * a.n * a.ctx);
    int fresh = 0;
    for (int i = 0; i < a.n; i++) {
        for (int v = 0; v < EV_NSHOT; v++) {  // prompt and answer fit the context
            int pl = a.plen[(size_t)v * a.n + i];
            assert_true(pl >= 2 && pl + (a.set[i] == EV_FACTS ? NAME_LEN : a.alen[i]) <= a.ctx);
            assert_int_equal(a.prompt[((size_t)v * a.n + i) * a.ctx], TOK_BOS);
        }
        assert_true(a.plen[(size_t)EV_FEW * a.n + i] > a.plen[i]);  // worked examples before the query
        if (a.set[i] != EV_COPY && a.set[i] != EV_REV && a.set[i] != EV_SORT) continue;
        int qn = 0;
        while (qn < EV_QMAX && a.query[(size_t)i * EV_QMAX + qn] != TOK_PAD) qn++;
        const uint8_t *q = a.query + (size_t)i * EV_QMAX;
        assert_int_equal(a.seen[i], 0);
        assert_false(occurs(&D.corpus, q, qn));
        assert_false(occurs(&D.prompts[SPLIT_TRAIN], q, qn));
        fresh++;
    }
    assert_int_equal(fresh, 3 * 40);
    evals_items_free(&a);
    evals_items_free(&b);
}

// A model whose every next-token logit is wte[tok][0]: the final LayerNorm's
// weight 0 and bias e_0 make the last hidden state e_0 at every position, and
// the head is tied to wte.
static GPT *rigged(void) {
    GPTConfig cfg;
    HHErr err;
    if (lm_config(&P, "xs", &cfg, &err)) return NULL;
    GPT *m = gpt_alloc(&cfg, 64, &err);
    if (!m) return NULL;
    memset(m->params, 0, sizeof(float) * m->num_params);
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = gpt_tensor_info(m, i);
        if (!strcmp(t->name, "ln_f.bias")) m->params[t->offset] = 1.0f;
    }
    return m;
}

static void plant(GPT *m, int tok, float v) {
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = gpt_tensor_info(m, i);
        if (!strcmp(t->name, "wte")) m->params[t->offset + (size_t)tok * m->cfg.d_model] = v;
    }
}

static void test_planted(void **state) {
    (void)state;
    EvalItems it;
    HHErr err;
    if (evals_items(&P, &D, &it, &err)) fail_msg("%s", err.msg);
    GPT *m = rigged();
    assert_non_null(m);
    size_t n = (size_t)EV_NSHOT * it.n;
    uint8_t *ok = calloc(n, 1);
    double *mg = calloc(n, sizeof(double));
    int f = 0;  // the first fact item
    while (it.set[f] != EV_FACTS) f++;
    const uint8_t *ans = it.answer + (size_t)f * EV_AMAX;
    // all logits equal: every candidate ties, and a tie is wrong
    assert_int_equal(evals_score(m, &it, ok, mg, &err), 0);
    assert_int_equal(ok[f], 0);
    assert_true(fabs(mg[f]) < 1e-9);
    // the right name's letters planted: chosen, zero-shot and few-shot
    plant(m, ans[0], 4.0f), plant(m, ans[1], 4.0f);
    assert_int_equal(evals_score(m, &it, ok, mg, &err), 0);
    assert_int_equal(ok[f], 1);
    assert_int_equal(ok[(size_t)it.n + f], 1);
    assert_true(mg[f] > 1.0);
    // a distractor's letters planted instead: not chosen
    plant(m, ans[0], 0.0f), plant(m, ans[1], 0.0f);
    plant(m, ans[2], 4.0f), plant(m, ans[3], 4.0f);
    assert_int_equal(evals_score(m, &it, ok, mg, &err), 0);
    assert_int_equal(ok[f], 0);
    assert_true(mg[f] < -1.0);
    // EOS planted: every task answered by EOS alone, all wrong, margins < 0
    plant(m, ans[2], 0.0f), plant(m, ans[3], 0.0f);
    plant(m, TOK_EOS, 6.0f);
    assert_int_equal(evals_score(m, &it, ok, mg, &err), 0);
    for (size_t k = 0; k < n; k++)
        if (it.set[k % (size_t)it.n] != EV_FACTS) {
            assert_int_equal(ok[k], 0);
            assert_true(mg[k] < 0);
        }
    free(ok);
    free(mg);
    gpt_free(m);
    evals_items_free(&it);
}

// Greedy outputs of a random model (wte scaled up so logits are far from ties)
// made the answers: the teacher-forced check must call every one of them right,
// and a changed last token wrong.
static void test_greedy_agrees(void **state) {
    (void)state;
    EvalItems it;
    HHErr err;
    if (evals_items(&P, &D, &it, &err)) fail_msg("%s", err.msg);
    GPTConfig cfg;
    assert_int_equal(lm_config(&P, "s", &cfg, &err), 0);
    GPT *m = gpt_alloc(&cfg, 64, &err);
    assert_non_null(m);
    gsl_rng *r = rng_stream_alloc(5, "test", "init");
    gpt_init(m, r);
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = gpt_tensor_info(m, i);
        if (!strcmp(t->name, "wte"))
            for (size_t k = 0; k < (size_t)cfg.vocab * cfg.d_model; k++) m->params[t->offset + k] *= 50.0f;
    }
    size_t n = (size_t)it.n;
    uint8_t *resp = malloc(n * RESP_MAX), *ok = calloc(EV_NSHOT * n, 1);
    int32_t *rl = malloc(sizeof(int32_t) * n);
    double *mg = calloc(EV_NSHOT * n, sizeof(double));
    GPTCache *c = gpt_cache_alloc(&cfg, 64, &err);
    RolloutOpts ro = {0.0f, 0, 5, 0, 0};  // greedy, up to 5 tokens
    assert_int_equal(rollout_generate(m, c, it.prompt, it.plen, it.n, it.ctx, &ro, r, resp, rl, &err), 0);
    for (size_t i = 0; i < n; i++) {  // zero-shot rows: the greedy output is the answer
        if (it.set[i] == EV_FACTS) continue;
        memset(it.answer + i * EV_AMAX, TOK_PAD, EV_AMAX);
        memcpy(it.answer + i * EV_AMAX, resp + i * RESP_MAX, (size_t)rl[i]);
        it.alen[i] = rl[i];
    }
    assert_int_equal(evals_score(m, &it, ok, mg, &err), 0);
    int tasks = 0;
    for (size_t i = 0; i < n; i++)
        if (it.set[i] != EV_FACTS) {
            tasks++;
            assert_int_equal(ok[i], 1);
            assert_true(mg[i] > 0);
            it.answer[i * EV_AMAX + it.alen[i] - 1] ^= 1;  // another last token
        }
    assert_true(tasks > 0);
    assert_int_equal(evals_score(m, &it, ok, mg, &err), 0);
    for (size_t i = 0; i < n; i++)
        if (it.set[i] != EV_FACTS) assert_int_equal(ok[i], 0);
    gsl_rng_free(r);
    gpt_cache_free(c);
    gpt_free(m);
    free(resp), free(ok), free(rl), free(mg);
    evals_items_free(&it);
}

static void test_too_long(void **state) {
    (void)state;
    Params q = P;
    q.ext[EV_SLOT + 1] = 16;  // 16 worked examples do not fit ctx 64
    EvalItems it;
    HHErr err;
    assert_int_equal(evals_items(&q, &D, &it, &err), HH_EINPUT);
    assert_non_null(strstr(err.msg, "[evals] shots = 16"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_planted),
        cmocka_unit_test(test_greedy_agrees),
        cmocka_unit_test(test_too_long),
    };
    return cmocka_run_group_tests_name("evals", tests, setup, teardown);
}
