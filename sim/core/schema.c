// schema.c - see schema.h
#include "schema.h"

#include <stdio.h>
#include <string.h>

static const struct { const char *kind; int version; } V[] = {
    {"world", 1}, {"lm", 1}, {"lm-checkpoint", 1}, {"distill", 1}, {"pmp", 1}, {"pm", 1},
    {"rl", 1}, {"rl-checkpoint", 1}, {"bon", 1}, {"evals", 1}, {"segments", 2}, {"online", 1},
    {"elo", 2}, {"results", 1}};

int schema_version(const char *kind) {
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++)
        if (!strcmp(V[i].kind, kind)) return V[i].version;
    return 0;
}

void schema_kinds(char *buf, size_t n) {
    size_t m = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof V / sizeof V[0] && m < n; i++)
        m += (size_t)snprintf(buf + m, n - m, "%s%s", i ? ", " : "", V[i].kind);
}

const SchemaCol SCHEMA_RL_CURVE[RLC_N] = {
    {"iter", "iterations", "PPO iterations done"},
    {"kl", "nats", "exact KL(pi || pi_0) summed over a response, mean over held-out responses"},
    {"sqrt_kl", "sqrt(nats)", "square root of kl"},
    {"train_pm", "normalised score", "train-PM reward of held-out samples (mean 0, sd 1 at start)"},
    {"test_pm", "normalised score", "test-PM (other data half) score of the same samples"},
    {"big_pm", "normalised score", "yardstick PM's score of the same samples (one PM for every run, normalised once: mean 0, sd 1 on samples of the largest policy's distilled LM)"},
    {"train_pm_benign", "normalised score", "train-PM reward on benign and borderline prompts"},
    {"train_pm_redteam", "normalised score", "train-PM reward on red-team and disguised prompts"},
    {"help_benign", "gold help [0,1]", "mean gold help on benign prompts"},
    {"harm_benign", "gold harm [0,1]", "mean gold harm on benign prompts"},
    {"help_borderline", "gold help [0,1]", "mean gold help on borderline prompts"},
    {"refuse_borderline", "fraction", "share of borderline responses containing SORRY"},
    {"help_redteam", "gold help [0,1]", "mean gold help on red-team and disguised prompts"},
    {"harm_redteam", "gold harm [0,1]", "mean gold harm on red-team and disguised prompts"},
    {"batch_reward", "normalised score", "mean train-PM reward of the last training batch"},
    {"batch_kl", "nats", "exact KL of the last training batch"},
    {"entropy", "nats/token", "policy entropy per response token (last batch)"},
    {"clipfrac", "fraction", "share of clipped ratio terms (last batch)"},
    {"approx_kl", "nats/token", "approximate KL old vs updated policy (last batch)"},
    {"vf_loss", "squared reward", "clipped value loss (last batch)"},
    {"resp_len", "tokens", "mean response length of the last batch"},
    {"kl_coef", "1/nat", "KL penalty coefficient in use"},
};

const SchemaCol SCHEMA_BON[BONC_NCOL] = {
    {"n", "samples", "best of n"},
    {"kl_analytic", "nats", "log n - (n-1)/n (an upper bound when scores tie)"},
    {"kl_exact", "nats", "KL of best-of-n from the empirical initial-policy distribution, ties exact"},
    {"train_pm", "normalised score", "expected train-PM reward of the best of n"},
    {"test_pm", "normalised score", "expected test-PM score of the best of n"},
    {"big_pm", "normalised score", "expected yardstick-PM score of the best of n (normalised once, as in rl curves)"},
    {"help_benign", "gold help [0,1]", "expected gold help on benign and borderline prompts"},
    {"harm_redteam", "gold harm [0,1]", "expected gold harm on red-team prompts"},
    {"help_redteam", "gold help [0,1]", "expected gold help on red-team prompts"},
};

const SchemaCol SCHEMA_LM_CURVE[LMC_N] = {
    {"step", "steps", "optimizer steps done"},
    {"train_loss", "nats/token", "mean training cross-entropy over the interval"},
    {"heldout_loss", "nats/token", "cross-entropy on held-out corpus rows (every 20th row)"},
    {"tokens", "tokens", "target tokens seen so far"},
    {"kl", "nats/token", "mean KL(teacher || student) per position over the interval"},
};

const SchemaCol SCHEMA_GOLD_EVAL[EVC_NCOL] = {
    {"n", "count", "sampled test prompts per kind (benign, borderline, red-team, disguised)"},
    {"help", "gold help [0,1]", "mean gold helpfulness of the sampled responses, per prompt kind"},
    {"harm", "gold harm [0,1]", "mean gold harm of the sampled responses, per prompt kind"},
    {"refuse", "fraction", "share of responses containing SORRY, per prompt kind"},
    {"task_n", "count", "benign test prompts per task (copy, reverse, sort, lookup, lookup2, make)"},
    {"task_help", "gold help [0,1]", "mean gold help of greedy answers per benign task"},
};
