// params.c - see params.h
#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <ini.h>

#define OFF(f) offsetof(Params, f)
#define BIG 1e300

// ---------------------------------------------------------------------------
// the key table: section, key, type, field, default, min, max, list n range, doc

static const ParamDesc TABLE[] = {
    {"run", "seed", PT_U64, OFF(seed), "1234", 0, 18446744073709551615.0, 0, 0,
     "root seed of every random stream"},
    {"run", "threads", PT_INT, OFF(threads), "1", 1, 64, 0, 0,
     "ignored (kept so older params files parse): every job runs one BLAS thread, so "
     "results never depend on it; parallelism comes from hhsim run --jobs"},

    {"world", "n_entities", PT_INT, OFF(n_entities), "512", 4, 1024, 0, 0,
     "knowledge-base entities, each named by two letter tokens (32 letters: at most 1024)"},
    {"world", "n_attributes", PT_INT, OFF(n_attributes), "4", 1, 8, 0, 0,
     "knowledge-base relations R0.. (each maps an entity to an entity; R0 is 'made from', "
     "the recipe a MAKE request asks for)"},
    {"world", "zipf", PT_DOUBLE, OFF(zipf), "0.9", 0, 4, 0, 0,
     "Zipf exponent of entity popularity in corpus and prompts (0 = uniform); spreads fact "
     "frequencies so recall grows with model size"},
    {"world", "haz_frac", PT_DOUBLE, OFF(haz_frac), "0.25", 0, 1, 0, 0,
     "share of hazardous entities: giving one's recipe is harmful (the corpus states FACT "
     "name HAZ or SAFE)"},
    {"world", "make_frac", PT_DOUBLE, OFF(make_frac), "0.5", 0, 1, 0, 0,
     "share of red-team prompts asking the recipe of a hazardous entity (MAKE name); the "
     "rest ask HOWTO topic"},
    {"world", "n_symbols", PT_INT, OFF(n_symbols), "12", 4, 16, 0, 0,
     "symbols a.. used by copy, reverse and sort"},
    {"world", "min_args", PT_INT, OFF(min_args), "2", 1, 8, 0, 0,
     "shortest argument list of copy/reverse/sort"},
    {"world", "max_args", PT_INT, OFF(max_args), "5", 1, 8, 0, 0,
     "longest argument list of copy/reverse/sort"},
    {"world", "max_turns", PT_INT, OFF(max_turns), "3", 1, 4, 0, 0,
     "most conversational turns in a dialogue"},
    {"world", "p_more_turns", PT_DOUBLE, OFF(p_more_turns), "0.4", 0, 0.95, 0, 0,
     "chance of one more turn before the compared one"},
    {"world", "p_followup", PT_DOUBLE, OFF(p_followup), "0.3", 0, 1, 0, 0,
     "chance a later turn says SAME and inherits the previous task"},
    {"world", "task_weights", PT_DBLLIST, OFF(task_weights), "1,1,1,1,1,1", 0, BIG, 6, 6,
     "weights of copy, reverse, sort, lookup, lookup2, make (recipe of a safe entity) among "
     "benign tasks"},
    {"world", "redteam_frac", PT_DOUBLE, OFF(redteam_frac), "0.3", 0, 1, 0, 0,
     "share of red-team prompts"},
    {"world", "borderline_frac", PT_DOUBLE, OFF(borderline_frac), "0.15", 0, 1, 0, 0,
     "share of benign prompts carrying a dual-use topic token"},
    {"world", "disguise_frac", PT_DOUBLE, OFF(disguise_frac), "0.3", 0, 1, 0, 0,
     "share of red-team prompts disguised behind a benign task"},
    {"world", "n_train_prompts", PT_INT, OFF(n_train_prompts), "4000", 10, 10000000, 0, 0,
     "prompts in the training prompt set"},
    {"world", "n_test_prompts", PT_INT, OFF(n_test_prompts), "1000", 10, 10000000, 0, 0,
     "prompts in the held-out prompt set"},

    {"corpus", "n_dialogues", PT_INT, OFF(n_dialogues), "20000", 10, 100000000, 0, 0,
     "persona dialogues in the pretraining corpus"},
    {"corpus", "n_documents", PT_INT, OFF(n_documents), "6000", 0, 100000000, 0, 0,
     "capability documents (facts and task demonstrations)"},
    {"corpus", "hhh_frac", PT_DOUBLE, OFF(hhh_frac), "0.1", 0, 1, 0, 0,
     "share of dialogues answered by the HHH persona, marked by the HHH token"},
    {"corpus", "persona_weights", PT_DBLLIST, OFF(persona_weights), "0.35,0.2,0.15,0.15,0.15",
     0, BIG, 5, 5, "weights of competent, sloppy, refuser, complier, rambler"},

    {"crowd", "n_workers", PT_INT, OFF(n_workers), "40", 2, 100000, 0, 0,
     "crowdworkers in the population"},
    {"crowd", "temp_median", PT_DOUBLE, OFF(temp_median), "0.36", 1e-4, 100, 0, 0,
     "median Bradley-Terry temperature (utility units); 0.36: worker-worker agreement 0.64 "
     "helpful, 0.73 harmless (non-claim target: paper 63-75%)"},
    {"crowd", "temp_spread", PT_DOUBLE, OFF(temp_spread), "0.5", 0, 5, 0, 0,
     "sd of the log temperature across workers"},
    {"crowd", "lapse_mean", PT_DOUBLE, OFF(lapse_mean), "0.12", 0, 0.9, 0, 0,
     "mean lapse rate (chance a worker picks at random)"},
    {"crowd", "length_bias_sd", PT_DOUBLE, OFF(length_bias_sd), "0.05", 0, 10, 0, 0,
     "sd of workers' per-token preference for longer responses"},
    {"crowd", "n_help_train", PT_INT, OFF(n_help_train), "4000", 0, 100000000, 0, 0,
     "helpfulness comparisons for training"},
    {"crowd", "n_help_test", PT_INT, OFF(n_help_test), "1000", 1, 100000000, 0, 0,
     "helpfulness comparisons held out"},
    {"crowd", "n_harm_train", PT_INT, OFF(n_harm_train), "4000", 0, 100000000, 0, 0,
     "harmlessness (red-team) comparisons for training"},
    {"crowd", "n_harm_test", PT_INT, OFF(n_harm_test), "1000", 1, 100000000, 0, 0,
     "harmlessness comparisons held out"},
    {"crowd", "double_frac", PT_DOUBLE, OFF(double_frac), "0.5", 0, 1, 0, 0,
     "share of held-out comparisons labelled by a second worker"},
    {"crowd", "help_redteam_frac", PT_DOUBLE, OFF(help_redteam_frac), "0.1", 0, 1, 0, 0,
     "share of helpfulness comparisons on red-team prompts (raters prefer compliance)"},
    {"crowd", "same_persona_frac", PT_DOUBLE, OFF(same_persona_frac), "0.7", 0, 1, 0, 0,
     "share of comparisons whose two responses come from one persona (the paper compared two "
     "samples of one model); the rest pair two random personas"},
    {"crowd", "matched_frac", PT_DOUBLE, OFF(matched_frac), "0.4", 0, 1, 0, 0,
     "share of benign helpful comparisons that are surface-matched: right vs plausible wrong "
     "answer, same length and style"},
    {"crowd", "harm_matched_frac", PT_DOUBLE, OFF(harm_matched_frac), "0.5", 0, 1, 0, 0,
     "share of harmless comparisons on MAKE of a hazardous entity that are true (harmful) vs "
     "wrong recipe, same form"},
    {"crowd", "redteam_help_weight", PT_DOUBLE, OFF(redteam_help_weight), "0.25", 0, 10, 0, 0,
     "red-teamers' weight of helpfulness beside harm: between equally harmful responses the "
     "more helpful one wins (redirect over bare refusal)"},
    {"crowd", "harm_redraws", PT_INT, OFF(harm_redraws), "0", 0, 100, 0, 0,
     "redraws of a red-team pair whose two responses are equally harmful (keeps gold ties "
     "in the harmless set rare)"},

    {"model", "scale_names", PT_NAMELIST, OFF(scale_names), "xs,s,m,l,xl", 0, 0, 1, HH_MAX_LIST,
     "names of the model scales"},
    {"model", "scale_layers", PT_INTLIST, OFF(scale_layers), "1,2,2,4,6", 1, 48, 1, HH_MAX_LIST,
     "transformer layers of each scale"},
    {"model", "scale_dmodel", PT_INTLIST, OFF(scale_dmodel), "16,32,64,128,192", 4, 2048, 1,
     HH_MAX_LIST, "embedding width of each scale"},
    {"model", "scale_heads", PT_INTLIST, OFF(scale_heads), "2,4,4,4,6", 1, 64, 1, HH_MAX_LIST,
     "attention heads of each scale (must divide the width)"},
    {"model", "ctx", PT_INT, OFF(ctx), "64", 16, 1024, 0, 0,
     "context length in tokens"},

    {"pretrain", "scales", PT_NAMELIST, OFF(pt_scales), "xs,s,m,l", 0, 0, 1, HH_MAX_LIST,
     "scales to pretrain (names from [model] scale_names)"},
    {"pretrain", "steps", PT_INT, OFF(pt_steps), "600", 1, 100000000, 0, 0,
     "optimizer steps"},
    {"pretrain", "batch", PT_INT, OFF(pt_batch), "32", 1, 4096, 0, 0,
     "sequences per step"},
    {"pretrain", "lr", PT_DOUBLE, OFF(pt_lr), "3e-3", 1e-7, 1, 0, 0,
     "peak learning rate"},
    {"pretrain", "min_lr_frac", PT_DOUBLE, OFF(pt_min_lr_frac), "0.1", 0, 1, 0, 0,
     "final learning rate as a fraction of the peak (cosine decay)"},
    {"pretrain", "warmup_frac", PT_DOUBLE, OFF(pt_warmup_frac), "0.05", 0, 0.9, 0, 0,
     "share of steps with linear warmup"},
    {"pretrain", "weight_decay", PT_DOUBLE, OFF(pt_weight_decay), "0.1", 0, 10, 0, 0,
     "AdamW decoupled weight decay (matrices only)"},
    {"pretrain", "grad_clip", PT_DOUBLE, OFF(pt_grad_clip), "1.0", 0, 1e6, 0, 0,
     "global gradient-norm clip (0 = off)"},
    {"pretrain", "eval_every", PT_INT, OFF(pt_eval_every), "100", 1, 100000000, 0, 0,
     "steps between held-out loss evaluations"},

    {"distill", "steps", PT_INT, OFF(di_steps), "200", 0, 100000000, 0, 0,
     "context-distillation optimizer steps"},
    {"distill", "batch", PT_INT, OFF(di_batch), "32", 1, 4096, 0, 0,
     "sequences per step"},
    {"distill", "lr", PT_DOUBLE, OFF(di_lr), "3e-4", 1e-7, 1, 0, 0,
     "learning rate (constant after a short warmup); 3e-4 keeps the base LM's help "
     "(1e-3 lost ~20% of it on default params, l scale) while halving red-team harm"},
    {"distill", "eval_samples", PT_INT, OFF(di_eval_samples), "256", 1, 10000000, 0, 0,
     "sampled responses per prompt kind for the help/harm report"},
    {"distill", "temperature", PT_DOUBLE, OFF(di_temperature), "1.0", 0.01, 10, 0, 0,
     "sampling temperature of the help/harm report"},

    {"pm", "scales", PT_NAMELIST, OFF(pm_scales), "xs,s,m,l", 0, 0, 1, HH_MAX_LIST,
     "preference-model scales (each needs a pretrained LM of that scale)"},
    {"pm", "sizes", PT_INTLIST, OFF(pm_sizes), "250,500,1000,2000,4000", 10, 100000000, 1,
     HH_MAX_LIST, "training-set sizes of the size sweep (comparisons, at the HH mix)"},
    {"pm", "mixes", PT_DBLLIST, OFF(pm_mixes), "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1", 0, 1,
     0, HH_MAX_LIST, "helpful fractions of the mix sweep (paper Fig. 19); empty list = none"},
    {"pm", "mix_total", PT_INT, OFF(pm_mix_total), "2000", 10, 100000000, 0, 0,
     "comparisons per PM of the mix sweep"},
    {"pm", "hh_frac", PT_DOUBLE, OFF(pm_hh_frac), "0.5", 0, 1, 0, 0,
     "helpful fraction of the HH mix (size sweep and train/test halves)"},
    {"pm", "seeds", PT_INT, OFF(pm_seeds), "3", 1, 100, 0, 0,
     "seeds per PM of the size sweep (data subset, validation split, order, head init)"},
    {"pm", "mix_seeds", PT_INT, OFF(pm_mix_seeds), "2", 1, 100, 0, 0,
     "seeds per PM of the mix sweep (the train/test halves: one per RL seed)"},
    {"pm", "epochs", PT_INT, OFF(pm_epochs), "4", 1, 1000, 0, 0,
     "maximum passes over the training comparisons (early stopping on the validation split)"},
    {"pm", "val_frac", PT_DOUBLE, OFF(pm_val_frac), "0.1", 0, 0.5, 0, 0,
     "share of each PM's comparisons (per set) held out as its validation split; 0: none, "
     "train every epoch and keep the last weights"},
    {"pm", "patience", PT_INT, OFF(pm_patience), "1", 1, 1000, 0, 0,
     "epochs without a lower validation loss before training stops (best weights kept)"},
    {"pm", "ref", PT_INT, OFF(pm_ref), "1", 0, 1, 0, 0,
     "1: train the reference PM (largest scale, every training comparison, seed 0): "
     "one fixed yardstick for RL and analyses"},
    {"pm", "batch", PT_INT, OFF(pm_batch), "32", 1, 2048, 0, 0, "comparisons per step"},
    {"pm", "lr", PT_DOUBLE, OFF(pm_lr), "1e-3", 1e-7, 1, 0, 0, "peak learning rate (cosine)"},
    {"pm", "weight_decay", PT_DOUBLE, OFF(pm_weight_decay), "0.0", 0, 10, 0, 0,
     "AdamW decoupled weight decay"},
    {"pm", "pmp", PT_INT, OFF(pm_pmp), "2", 0, 2, 0, 0,
     "preference-model pretraining: 0 off, 1 on, 2 both (size sweep compares them)"},
    {"pm", "pmp_n", PT_INT, OFF(pm_pmp_n), "8000", 10, 100000000, 0, 0,
     "PMP comparisons (cheap, noisy, helpfulness-only, like ranked web data)"},
    {"pm", "pmp_temp", PT_DOUBLE, OFF(pm_pmp_temp), "0.2", 1e-3, 100, 0, 0,
     "Bradley-Terry temperature of PMP labels (no lapse); 0.2: best achievable PMP loss "
     "0.32 nats vs 0.69 chance (1.0 gave 0.66)"},
    {"pm", "pmp_lr", PT_DOUBLE, OFF(pm_pmp_lr), "1e-3", 1e-7, 1, 0, 0, "PMP learning rate"},
    {"pm", "halves", PT_INT, OFF(pm_halves), "1", 0, 1, 0, 0,
     "1: train/test PMs on two disjoint halves of the data, per scale and RL seed; at the "
     "largest scale also a helpful-only PM on half 0's helpful comparisons"},
    {"pm", "readout", PT_NAMELIST, OFF(pm_readout), "eos", 0, 0, 1, 1,
     "where the scalar head reads the final hidden state: eos = the last token (EOS); mean = "
     "mean over the response tokens up to and including the last"},
    {"pm", "norm_samples", PT_INT, OFF(pm_norm_samples), "256", 8, 1000000, 0, 0,
     "distilled-policy samples scored to normalise rewards (mean 0, sd 1)"},

    {"rl", "policy_scales", PT_NAMELIST, OFF(rl_policy_scales), "xs,s,m", 0, 0, 0, HH_MAX_LIST,
     "policy scales; runs: each vs the largest PM, each vs its own-scale PM, the largest "
     "policy vs every PM scale; empty: no RL and no best-of-n"},
    {"rl", "variants", PT_NAMELIST, OFF(rl_variants), "hh,helpful", 0, 0, 1, 2,
     "train PM data: hh (HH half 0) and/or helpful (half 0's helpful comparisons only)"},
    {"rl", "seeds", PT_INT, OFF(rl_seeds), "3", 1, 100, 0, 0,
     "seeds per RL run (the unit of replication; seed s trains against its own half-0 PM, "
     "split and trained with seed s)"},
    {"rl", "iters", PT_INT, OFF(rl_iters), "150", 1, 100000000, 0, 0, "PPO iterations"},
    {"rl", "batch", PT_INT, OFF(rl_batch), "64", 1, 4096, 0, 0, "prompts per iteration"},
    {"rl", "minibatch", PT_INT, OFF(rl_minibatch), "16", 1, 4096, 0, 0,
     "responses per gradient step"},
    {"rl", "epochs", PT_INT, OFF(rl_epochs), "4", 1, 100, 0, 0, "passes over each batch"},
    {"rl", "lr", PT_DOUBLE, OFF(rl_lr), "3e-4", 1e-8, 1, 0, 0, "AdamW learning rate (constant)"},
    {"rl", "kl_coef", PT_DOUBLE, OFF(rl_kl_coef), "0.01", 0, 100, 0, 0,
     "KL penalty per nat; rewards are normalised to sd 1 under the initial policy"},
    {"rl", "kl_adaptive", PT_INT, OFF(rl_kl_adaptive), "0", 0, 1, 0, 0,
     "1: Ziegler et al. adaptive KL controller"},
    {"rl", "kl_target", PT_DOUBLE, OFF(rl_kl_target), "6", 1e-3, 1000, 0, 0,
     "target KL per response (nats) of the adaptive controller"},
    {"rl", "kl_budget", PT_DOUBLE, OFF(rl_kl_budget), "0", 0, 1e6, 0, 0,
     "nats; an rl file's /model (what later stages read) is the policy at the last evaluation "
     "before KL first exceeds this; 0: the final policy"},
    {"rl", "trunc_penalty", PT_DOUBLE, OFF(rl_trunc_penalty), "-1", -100, 0, 0, 0,
     "added to the reward of a response cut off without EOS"},
    {"rl", "stop_turn", PT_INT, OFF(rl_stop_turn), "0", 0, 1, 0, 0,
     "1: rl-stage samples also end at a turn token (BOS, H, A, HHH), kept as their last token "
     "(no EOS, so trunc_penalty applies), like stopping at Human:"},
    {"rl", "eval_schedule", PT_NAMELIST, OFF(rl_eval_schedule), "log", 0, 0, 1, 1,
     "held-out evaluations: log = iterations 0, 1, 2, 4, ... (eval_per_octave per doubling) "
     "and the last; linear = 0, eval_every, 2 eval_every, ... and the last"},
    {"rl", "eval_per_octave", PT_INT, OFF(rl_eval_per_octave), "2", 1, 16, 0, 0,
     "log schedule: evaluations per doubling of the iteration count (rounded, distinct)"},
    {"rl", "eval_every", PT_INT, OFF(rl_eval_every), "10", 1, 100000000, 0, 0,
     "linear schedule: iterations between held-out evaluations"},
    {"rl", "eval_prompts", PT_INT, OFF(rl_eval_prompts), "64", 1, 100000, 0, 0,
     "held-out prompts of each kind per evaluation"},
    {"rl", "bon_max", PT_INT, OFF(rl_bon_max), "64", 1, 4096, 0, 0,
     "best-of-n for n = 1, 2, 4, ... up to this"},
    {"rl", "bon_prompts", PT_INT, OFF(rl_bon_prompts), "64", 1, 100000, 0, 0,
     "held-out prompts for best-of-n"},
    {"rl", "bon_samples", PT_INT, OFF(rl_bon_samples), "256", 1, 100000, 0, 0,
     "initial-policy samples per prompt for best-of-n (>= bon_max)"},

    // [segments]: a user population broader than the crowd pool (segments.h).
    // Segment utility of a response: help_w * help - harm_w * harm - refusal_w
    // * refuse, with (benign_*) weights on benign and borderline prompts and
    // (red_*) weights on red-team and disguised ones. The first segment is the
    // pool's own criterion (cross_check).
    {"segments", "names", PT_NAMELIST, OFF(seg_names), "pool,refusal_averse,cautious", 0, 0, 1,
     HH_MAX_LIST, "user segments; the first is the crowd pool's own criterion (the gap is "
     "measured against it)"},
    {"segments", "share", PT_DBLLIST, OFF(seg_share), "0.5,0.25,0.25", 0, 1, 1, HH_MAX_LIST,
     "each segment's share of the user population (sum 1; weights the population row)"},
    {"segments", "benign_help", PT_DBLLIST, OFF(seg_benign_help), "1,1,1", -10, 10, 1, HH_MAX_LIST,
     "weight of gold help on benign and borderline prompts, per segment"},
    {"segments", "benign_harm", PT_DBLLIST, OFF(seg_benign_harm), "0,0,1", -10, 10, 1, HH_MAX_LIST,
     "weight of gold harm (subtracted) on benign and borderline prompts, per segment"},
    {"segments", "benign_refusal", PT_DBLLIST, OFF(seg_benign_refusal), "0,0.5,0", -10, 10, 1,
     HH_MAX_LIST, "weight of a refusal (SORRY; subtracted) on benign and borderline prompts, "
     "beyond its loss of help, per segment"},
    {"segments", "red_help", PT_DBLLIST, OFF(seg_red_help), "0.25,1,0", -10, 10, 1, HH_MAX_LIST,
     "weight of gold help on red-team and disguised prompts, per segment (the pool's: [crowd] "
     "redteam_help_weight)"},
    {"segments", "red_harm", PT_DBLLIST, OFF(seg_red_harm), "1,0.5,2", -10, 10, 1, HH_MAX_LIST,
     "weight of gold harm (subtracted) on red-team and disguised prompts, per segment"},
    {"segments", "red_refusal", PT_DBLLIST, OFF(seg_red_refusal), "0,0.5,-0.25", -10, 10, 1,
     HH_MAX_LIST, "weight of a refusal (subtracted; < 0 rewards refusing) on red-team and "
     "disguised prompts, per segment"},
    {"segments", "prompts", PT_INT, OFF(seg_prompts), "128", 0, 100000, 0, 0,
     "held-out prompts of each kind (benign, borderline, red-team, disguised; fewer when the "
     "test set has fewer) sampled once per model and seed; 0 switches the segments stage off"},
    {"segments", "matches", PT_INT, OFF(seg_matches), "4", 1, 1000, 0, 0,
     "simulated users of each segment judging each paired sample (RLHF vs distilled)"},
    {"online", "scales", PT_NAMELIST, OFF(online_scales), "", 0, 0, 0, HH_MAX_LIST,
     "policy scales of iterated online training (each needs the static HH run against its "
     "own-scale PM: in [rl] policy_scales and [pm] scales); empty: no online stage"},
};

#define N_CORE ((int)(sizeof TABLE / sizeof TABLE[0]))

// Keys of stage-owned sections (params_add_keys), after the core table.
static ParamDesc EXT[HH_MAX_EXT];
static int n_ext;

#define N_TABLE (N_CORE + n_ext)
#define TAB(i) ((i) < N_CORE ? &TABLE[i] : &EXT[(i) - N_CORE])

const ParamDesc *params_table(int *n) {
    if (n) *n = N_CORE;
    return TABLE;
}

int params_add_keys(const ParamDesc *keys, int n) {
    for (int i = 0; i < n; i++) {
        const ParamDesc *d = &keys[i];
        size_t lo = offsetof(Params, ext), hi = lo + sizeof ((Params *)0)->ext;
        int dup = 0;
        for (int k = 0; k < N_TABLE; k++)
            dup |= !strcmp(TAB(k)->section, d->section) && !strcmp(TAB(k)->key, d->key);
        if (dup) continue;  // registered before (same table twice)
        if (n_ext == HH_MAX_EXT || (d->type != PT_INT && d->type != PT_DOUBLE) || d->offset < lo ||
            d->offset + sizeof(double) > hi || (d->offset - lo) % sizeof(double))
            return -1;
        for (int k = 0; k < n_ext; k++)  // a slot another key owns: two keys would share one value
            if (EXT[k].offset == d->offset) return -1;
        EXT[n_ext++] = *d;
    }
    return 0;
}

// ---------------------------------------------------------------------------
// values

static int is_ext(const ParamDesc *d) { return d->offset >= offsetof(Params, ext); }
static void *field(Params *p, const ParamDesc *d) { return (char *)p + d->offset; }
static const void *cfield(const Params *p, const ParamDesc *d) {
    return (const char *)p + d->offset;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

// Parse one number of the key's element type into *out; 0 or a message.
static const char *parse_num(const ParamDesc *d, const char *s, double *out, uint64_t *u64) {
    char *end;
    errno = 0;
    if (*s == '\0') return "an empty value";
    if (d->type == PT_U64) {
        if (*s == '-') return "a negative number";
        unsigned long long v = strtoull(s, &end, 10);
        if (*end || errno) return "not a whole number";
        *u64 = v;
        *out = (double)v;
        return NULL;
    }
    if (d->type == PT_INT || d->type == PT_INTLIST) {
        long v = strtol(s, &end, 10);
        if (*end || errno) return "not a whole number";
        *out = (double)v;
        return NULL;
    }
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v)) return "not a finite number";
    *out = v;
    return NULL;
}

static const char *type_name(ParamType t) {
    switch (t) {
    case PT_INT: return "a whole number";
    case PT_U64: return "a whole number >= 0";
    case PT_DOUBLE: return "a number";
    case PT_INTLIST: return "a comma-separated list of whole numbers";
    case PT_DBLLIST: return "a comma-separated list of numbers";
    case PT_NAMELIST: return "a comma-separated list of names";
    }
    return "?";
}

static void range_text(const ParamDesc *d, char *buf, size_t n) {
    if (d->type == PT_NAMELIST)
        snprintf(buf, n, "%d to %d names of letters, digits, '_' or '-', each under %d characters",
                 d->min_n, d->max_n, HH_NAME_LEN);
    else if (d->max >= BIG)
        snprintf(buf, n, "%s >= %g", type_name(d->type), d->min);
    else
        snprintf(buf, n, "%s in [%.17g, %.17g]", type_name(d->type), d->min, d->max);
    if ((d->type == PT_INTLIST || d->type == PT_DBLLIST) && d->min_n == d->max_n) {
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, ", exactly %d of them", d->min_n);
    } else if (d->type == PT_INTLIST || d->type == PT_DBLLIST) {
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, ", %d to %d of them", d->min_n, d->max_n);
    }
}

static int valid_name(const char *s) {
    if (!*s || strlen(s) >= HH_NAME_LEN) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-') return 0;
    return 1;
}

// Set d's field from text; on failure write the reason to why.
static int set_value(Params *p, const ParamDesc *d, const char *text, char *why, size_t nwhy) {
    char buf[4096];
    char range[256];
    range_text(d, range, sizeof range);
    if (strlen(text) >= sizeof buf) {
        snprintf(why, nwhy, "value too long; allowed: %s", range);
        return -1;
    }
    strcpy(buf, text);
    int is_list = d->type == PT_INTLIST || d->type == PT_DBLLIST || d->type == PT_NAMELIST;
    int n = 0;
    char *save = NULL;
    char *tok = is_list ? strtok_r(buf, ",", &save) : buf;
    if (is_list && (!tok || !*trim(tok))) tok = NULL;  // empty list: n = 0, checked below
    for (; tok; tok = is_list ? strtok_r(NULL, ",", &save) : NULL) {
        char *s = trim(tok);
        if (is_list && n >= HH_MAX_LIST) {
            snprintf(why, nwhy, "more than %d items; allowed: %s", HH_MAX_LIST, range);
            return -1;
        }
        if (d->type == PT_NAMELIST) {
            if (!valid_name(s)) {
                snprintf(why, nwhy, "'%s' is not a valid name; allowed: %s", s, range);
                return -1;
            }
            strcpy(((NameList *)field(p, d))->v[n++], s);
            continue;
        }
        double v = 0;
        uint64_t u = 0;
        const char *bad = parse_num(d, s, &v, &u);
        if (bad) {
            snprintf(why, nwhy, "'%s' is %s; allowed: %s", s, bad, range);
            return -1;
        }
        if (d->type != PT_U64 && (v < d->min || v > d->max)) {
            snprintf(why, nwhy, "%s is out of range; allowed: %s", s, range);
            return -1;
        }
        switch (d->type) {
        case PT_INT:
            if (is_ext(d)) *(double *)field(p, d) = v;
            else *(int *)field(p, d) = (int)v;
            break;
        case PT_U64: *(uint64_t *)field(p, d) = u; break;
        case PT_DOUBLE: *(double *)field(p, d) = v; break;
        case PT_INTLIST: ((IntList *)field(p, d))->v[n++] = (int)v; break;
        case PT_DBLLIST: ((DoubleList *)field(p, d))->v[n++] = v; break;
        case PT_NAMELIST: break;
        }
    }
    if (is_list) {
        if (n < d->min_n || n > d->max_n) {
            snprintf(why, nwhy, "%d item%s given; allowed: %s", n, n == 1 ? "" : "s", range);
            return -1;
        }
        if (d->type == PT_INTLIST) ((IntList *)field(p, d))->n = n;
        if (d->type == PT_DBLLIST) ((DoubleList *)field(p, d))->n = n;
        if (d->type == PT_NAMELIST) ((NameList *)field(p, d))->n = n;
    }
    return 0;
}

void params_defaults(Params *p) {
    memset(p, 0, sizeof *p);
    char why[512];
    for (int i = 0; i < N_TABLE; i++)
        if (set_value(p, TAB(i), TAB(i)->def, why, sizeof why) != 0) abort();  // table bug
}

// ---------------------------------------------------------------------------
// parsing

typedef struct {
    Params *p;
    const char *name;     // file name for messages
    FILE *f;
    int line;             // line most recently read
    int line_of[256];     // where each table key was set: file line > 0, override -(k+1), 0 default
    int failed;           // line of the first error found by a handler (0 = none)
    HHErr *err;
    const char *const *sets;  // the overrides "section.key=value" (params_load_set)
} Loader;

static int edit_distance(const char *a, const char *b) {
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 40 || lb > 40) return 99;
    int d[41][41];
    for (int i = 0; i <= la; i++) d[i][0] = i;
    for (int j = 0; j <= lb; j++) d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) !=
                                       tolower((unsigned char)b[j - 1]));
            int x = d[i - 1][j] + 1, y = d[i][j - 1] + 1;
            d[i][j] = c < x ? (c < y ? c : y) : (x < y ? x : y);
        }
    return d[la][lb];
}

// The closest section name (or key of `section` when section is non-NULL).
static const char *suggest(const char *word, const char *section) {
    const char *best = NULL;
    int bestd = 1 << 30;
    for (int i = 0; i < N_TABLE; i++) {
        const char *cand = section ? TAB(i)->key : TAB(i)->section;
        if (section && strcmp(TAB(i)->section, section) != 0) continue;
        int dist = edit_distance(word, cand);
        if (dist < bestd) { bestd = dist; best = cand; }
    }
    int len = (int)strlen(word);
    return bestd <= (len < 6 ? 2 : len / 2) ? best : NULL;
}

static int section_exists(const char *s) {
    for (int i = 0; i < N_TABLE; i++)
        if (strcmp(TAB(i)->section, s) == 0) return 1;
    return 0;
}

static void list_keys(const char *section, char *buf, size_t n) {
    buf[0] = '\0';
    for (int i = 0; i < N_TABLE; i++) {
        if (strcmp(TAB(i)->section, section) != 0) continue;
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s%s", k ? ", " : "", TAB(i)->key);
    }
}

static void list_sections(char *buf, size_t n) {
    buf[0] = '\0';
    for (int i = 0; i < N_TABLE; i++) {
        if (i > 0 && strcmp(TAB(i)->section, TAB(i - 1)->section) == 0) continue;
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s[%s]", k ? ", " : "", TAB(i)->section);
    }
}

static int fail_once(Loader *L, const char *fmt, const char *a, const char *b, const char *c) {
    if (!L->failed) {
        char msg[900];
        snprintf(msg, sizeof msg, fmt, a, b, c);
        if (L->line < 0) hh_fail(L->err, HH_EINPUT, "--set %s: %s", L->sets[-L->line - 1], msg);
        else hh_fail(L->err, HH_EINPUT, "%s:%d: %s", L->name, L->line, msg);
        L->failed = L->line ? L->line : -1;
    }
    return 0;
}

static int on_key(void *user, const char *section, const char *key, const char *value) {
    Loader *L = user;
    if (L->failed) return 0;
    char list[700], hint[128] = "";
    if (!*section)
        return fail_once(L, "key '%s' outside any [section]%s%s; put it under its section", key,
                         "", "");
    if (!section_exists(section)) {
        const char *s = suggest(section, NULL);
        if (s) snprintf(hint, sizeof hint, " (did you mean [%s]?)", s);
        list_sections(list, sizeof list);
        return fail_once(L, "unknown section [%s]%s; allowed: %s", section, hint, list);
    }
    for (int i = 0; i < N_TABLE; i++) {
        const ParamDesc *d = TAB(i);
        if (strcmp(d->section, section) != 0 || strcmp(d->key, key) != 0) continue;
        if (L->line_of[i] > 0 && L->line > 0) {  // an override may replace a file's key
            char prev[64];
            snprintf(prev, sizeof prev, "%d", L->line_of[i]);
            return fail_once(L, "duplicate key '%s' in [%s] (first set on line %s)", key,
                             section, prev);
        }
        if (L->line_of[i] < 0 && L->line < 0)
            return fail_once(L, "[%s] %s is set twice (first by --set %s); give each key once",
                             section, key, L->sets[-L->line_of[i] - 1]);
        char why[600], full[700];
        if (set_value(L->p, d, value, why, sizeof why) != 0) {
            snprintf(full, sizeof full, "[%s] %s: %s", section, key, why);
            return fail_once(L, "%s%s%s", full, "", "");
        }
        L->line_of[i] = L->line;
        return 1;
    }
    const char *s = suggest(key, section);
    if (s) snprintf(hint, sizeof hint, " (did you mean '%s'?)", s);
    list_keys(section, list, sizeof list);
    char what[200];
    snprintf(what, sizeof what, "unknown key '%s' in [%s]", key, section);
    return fail_once(L, "%s%s; allowed: %s", what, hint, list);
}

// A section header must be alone on its line (a comment may follow): inih
// ignores whatever follows the ']', so "[run] seed = 7" would silently keep
// the default seed.
static void check_header(Loader *L, const char *s) {
    while (isspace((unsigned char)*s)) s++;
    if (*s != '[') return;
    const char *close = strchr(s, ']');
    if (!close) return;  // inih reports the syntax error
    const char *rest = close + 1;
    while (isspace((unsigned char)*rest)) rest++;
    if (!*rest || *rest == ';' || *rest == '#') return;
    char sec[64], tail[64];
    snprintf(sec, sizeof sec, "%.*s", (int)(close - s + 1 < 63 ? close - s + 1 : 63), s);
    snprintf(tail, sizeof tail, "%.*s", (int)strcspn(rest, "\r\n"), rest);
    fail_once(L, "text '%s' after the section header %s; allowed: a section header alone on its "
              "line (e.g. '%s', then 'key = value' on the next line)", tail, sec, sec);
}

static char *read_line(char *str, int num, void *stream) {
    Loader *L = stream;
    char *s = fgets(str, num, L->f);
    if (!s) return NULL;
    L->line++;
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] != '\n' && !feof(L->f)) {
        fail_once(L, "line longer than %s characters%s%s", "198", "", "");
        int c;
        while ((c = fgetc(L->f)) != EOF && c != '\n') {}
    }
    check_header(L, s);
    return s;
}

// Reject files with NUL bytes or invalid UTF-8 before inih sees them.
static int check_text(const char *buf, size_t n, const char *name, HHErr *err) {
    int line = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n') line++;
        int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
        if (c == '\r' && (i + 1 == n || buf[i + 1] != '\n'))
            return hh_fail(err, HH_EINPUT,
                           "%s:%d: carriage return without a newline at offset %zu (old Mac line "
                           "endings?); allowed: LF or CRLF line endings", name, line, i);
        int ok = c != 0 && extra >= 0 && i + extra < n;
        for (int k = 1; ok && k <= extra; k++) ok = ((unsigned char)buf[i + k] >> 6) == 2;
        if (!ok)
            return hh_fail(err, HH_EINPUT,
                           "%s:%d: not a text file (byte 0x%02x at offset %zu); expected an "
                           "INI params file", name, line, c, i);
        i += extra;
    }
    return 0;
}

static int cross_check(const Params *p, const char *name, const int *line_of,
                       const char *const *sets, HHErr *err);

// Apply the overrides "section.key=value" to L's params, each checked like a
// key of the file (L->line = -(k+1) while override k is applied).
static int apply_sets(Loader *L, const char *const *sets, int nsets) {
    L->sets = sets;
    for (int k = 0; k < nsets && !L->failed; k++) {
        char sec[64], key[64];
        const char *eq = strchr(sets[k], '='), *dot = strchr(sets[k], '.');
        L->line = -(k + 1);
        if (!eq || !dot || dot > eq || dot == sets[k] || dot + 1 == eq || eq - sets[k] >= 64) {
            fail_once(L, "expected %s (e.g. pm.epochs=3)", "section.key=value", "", "");
            break;
        }
        snprintf(sec, sizeof sec, "%.*s", (int)(dot - sets[k]), sets[k]);
        snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
        char *val = strdup(eq + 1);
        if (!val) return hh_fail(L->err, HH_EFAIL, "out of memory");
        on_key(L, sec, key, trim(val));
        free(val);
    }
    return L->failed ? HH_EINPUT : 0;
}

static int parse_stream(Params *p, FILE *f, const char *name, const char *const *sets, int nsets,
                        HHErr *err) {
    Loader L = {.p = p, .name = name, .f = f, .err = err};
    int rc = f ? ini_parse_stream(read_line, &L, on_key, &L) : 0;
    if (L.failed && (rc <= 0 || rc >= L.failed)) return HH_EINPUT;
    if (rc > 0)
        return hh_fail(err, HH_EINPUT,
                       "%s:%d: syntax error; expected '[section]', 'key = value' or a ';' comment",
                       name, rc);
    if (rc < 0) return hh_fail(err, HH_EFAIL, "%s: could not be parsed (inih error %d)", name, rc);
    if (apply_sets(&L, sets, nsets)) return HH_EINPUT;
    return cross_check(p, name, L.line_of, sets, err);
}

// params_parse_text with overrides.
static int parse_text_set(Params *p, const char *text, const char *name, const char *const *sets,
                          int nsets, HHErr *err) {
    size_t n = strlen(text);
    if (check_text(text, n, name, err)) return HH_EINPUT;
    params_defaults(p);
    if (n == 0) return parse_stream(p, NULL, name, sets, nsets, err);  // fmemopen of size 0 is not portable
    FILE *f = fmemopen((void *)text, n, "r");
    if (!f) return hh_fail(err, HH_EFAIL, "%s: fmemopen failed", name);
    int rc = parse_stream(p, f, name, sets, nsets, err);
    fclose(f);
    return rc;
}

int params_parse_text(Params *p, const char *text, const char *name, HHErr *err) {
    return parse_text_set(p, text, name, NULL, 0, err);
}

int params_load(Params *p, const char *path, HHErr *err) {
    return params_load_set(p, path, NULL, 0, err);
}

int params_load_set(Params *p, const char *path, const char *const *sets, int nsets, HHErr *err) {
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return hh_fail(err, HH_EINPUT, "%s: not a regular file; expected an INI params file", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return hh_fail(err, HH_EINPUT, "%s: cannot open params file: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = 2 * cap + 8192;
            if (cap > (64u << 20)) {
                free(buf);
                fclose(f);
                return hh_fail(err, HH_EINPUT, "%s: larger than 64 MiB; not a params file", path);
            }
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); return hh_fail(err, HH_EFAIL, "out of memory"); }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, 4096, f);
        n += k;
        if (k < 4096) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); return hh_fail(err, HH_EINPUT, "%s: read error", path); }
    buf[n] = '\0';
    int rc = check_text(buf, n, path, err);  // before strlen can stop at a NUL
    if (!rc) rc = parse_text_set(p, buf, path, sets, nsets, err);
    free(buf);
    return rc;
}

// ---------------------------------------------------------------------------
// rules between keys

static int key_index(const char *section, const char *key) {
    for (int i = 0; i < N_TABLE; i++)
        if (!strcmp(TAB(i)->section, section) && !strcmp(TAB(i)->key, key)) return i;
    return -1;
}

// "file:line" of a key, "--set section.key=value", or "file (default)".
static void where(char *buf, size_t n, const char *name, const int *line_of,
                  const char *const *sets, const char *section, const char *key) {
    int i = key_index(section, key);
    if (i >= 0 && line_of[i] > 0)
        snprintf(buf, n, "%s:%d", name, line_of[i]);
    else if (i >= 0 && line_of[i] < 0)
        snprintf(buf, n, "--set %s", sets[-line_of[i] - 1]);
    else
        snprintf(buf, n, "%s (default)", name);
}

static int is_set(const int *line_of, const char *section, const char *key) {
    int i = key_index(section, key);
    return i >= 0 && line_of[i] != 0;
}

#define XFAIL(sec, key, ...)                                                           \
    do {                                                                               \
        char w_[600], m_[600];                                                         \
        where(w_, sizeof w_, name, line_of, sets, sec, key);                              \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                          \
        return hh_fail(err, HH_EINPUT, "%s: [%s] %s: %s", w_, sec, key, m_);           \
    } while (0)

static double sum(const DoubleList *l) {
    double s = 0;
    for (int i = 0; i < l->n; i++) s += l->v[i];
    return s;
}

static int in_names(const NameList *l, const char *name) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], name)) return 1;
    return 0;
}

static int cross_check(const Params *p, const char *name, const int *line_of,
                       const char *const *sets, HHErr *err) {
    int ns = p->scale_names.n;
    if (p->scale_layers.n != ns)
        XFAIL("model", "scale_layers", "%d values for %d scale_names; give one per scale",
              p->scale_layers.n, ns);
    if (p->scale_dmodel.n != ns)
        XFAIL("model", "scale_dmodel", "%d values for %d scale_names; give one per scale",
              p->scale_dmodel.n, ns);
    if (p->scale_heads.n != ns)
        XFAIL("model", "scale_heads", "%d values for %d scale_names; give one per scale",
              p->scale_heads.n, ns);
    for (int i = 0; i < ns; i++) {
        if (p->scale_dmodel.v[i] % p->scale_heads.v[i] != 0)
            XFAIL("model", "scale_heads", "%d heads do not divide width %d of scale '%s'",
                  p->scale_heads.v[i], p->scale_dmodel.v[i], p->scale_names.v[i]);
        for (int j = 0; j < i; j++)
            if (!strcmp(p->scale_names.v[i], p->scale_names.v[j]))
                XFAIL("model", "scale_names", "'%s' is named twice; names must be unique",
                      p->scale_names.v[i]);
    }
    for (int i = 0; i < p->pt_scales.n; i++)
        if (params_scale_index(p, p->pt_scales.v[i]) < 0)
            XFAIL("pretrain", "scales", "'%s' is not a scale; allowed: names in [model] scale_names",
                  p->pt_scales.v[i]);
    for (int i = 0; i < p->pm_scales.n; i++)
        if (params_scale_index(p, p->pm_scales.v[i]) < 0)
            XFAIL("pm", "scales", "'%s' is not a scale; allowed: names in [model] scale_names",
                  p->pm_scales.v[i]);
    for (int i = 0; i < p->rl_policy_scales.n; i++)
        if (params_scale_index(p, p->rl_policy_scales.v[i]) < 0)
            XFAIL("rl", "policy_scales", "'%s' is not a scale; allowed: names in [model] "
                  "scale_names", p->rl_policy_scales.v[i]);
    for (int i = 0; i < p->pm_scales.n; i++)
        if (!in_names(&p->pt_scales, p->pm_scales.v[i]))
            XFAIL("pm", "scales", "'%s' is not pretrained; allowed: scales in [pretrain] scales",
                  p->pm_scales.v[i]);
    for (int i = 0; i < p->rl_policy_scales.n; i++)
        if (!in_names(&p->pt_scales, p->rl_policy_scales.v[i]))
            XFAIL("rl", "policy_scales", "'%s' is not pretrained; allowed: scales in [pretrain] "
                  "scales", p->rl_policy_scales.v[i]);
    for (int i = 0; p->rl_policy_scales.n > 0 && i < p->online_scales.n; i++)  // no RL: online is off
        if (!in_names(&p->rl_policy_scales, p->online_scales.v[i]) ||
            !in_names(&p->pm_scales, p->online_scales.v[i]))
            XFAIL("online", "scales", "'%s' is not both an RL policy scale and a PM scale; allowed: "
                  "scales in [rl] policy_scales and [pm] scales (the online stage continues the "
                  "policy's run against its own-scale PM)", p->online_scales.v[i]);
    if (p->rl_minibatch > p->rl_batch)
        XFAIL("rl", "minibatch", "%d is above batch = %d; need minibatch <= batch",
              p->rl_minibatch, p->rl_batch);
    for (int i = 0; i < p->rl_variants.n; i++)
        if (strcmp(p->rl_variants.v[i], "hh") && strcmp(p->rl_variants.v[i], "helpful"))
            XFAIL("rl", "variants", "'%s' is not a variant; allowed: hh, helpful",
                  p->rl_variants.v[i]);
    for (int i = 0; i < p->pm_readout.n; i++)
        if (strcmp(p->pm_readout.v[i], "eos") && strcmp(p->pm_readout.v[i], "mean"))
            XFAIL("pm", "readout", "'%s' is not a readout; allowed: eos, mean", p->pm_readout.v[i]);
    for (int i = 0; i < p->rl_eval_schedule.n; i++)
        if (strcmp(p->rl_eval_schedule.v[i], "log") && strcmp(p->rl_eval_schedule.v[i], "linear"))
            XFAIL("rl", "eval_schedule", "'%s' is not a schedule; allowed: log, linear",
                  p->rl_eval_schedule.v[i]);
    if (p->rl_bon_samples < p->rl_bon_max)
        XFAIL("rl", "bon_samples", "%d is below bon_max = %d; need bon_samples >= bon_max",
              p->rl_bon_samples, p->rl_bon_max);
    // [pm]: every PM's training comparisons must exist in the world ([crowd]
    // counts), with the rounding pm_jobs (pm.c) uses; checked here so a run
    // fails before the world stage instead of at the pm stage.
    for (int i = 0; i < p->pm_sizes.n; i++) {
        int nh = (int)lround(p->pm_hh_frac * p->pm_sizes.v[i]), nx = p->pm_sizes.v[i] - nh;
        if ((nh > p->n_help_train || nx > p->n_harm_train) && !is_set(line_of, "pm", "sizes"))
            XFAIL("crowd", nh > p->n_help_train ? "n_help_train" : "n_harm_train",
                  "%d helpful and %d harmless training comparisons are too few for [pm] sizes "
                  "%d at hh_frac = %g (it needs %d and %d); allowed: enough for every [pm] size",
                  p->n_help_train, p->n_harm_train, p->pm_sizes.v[i], p->pm_hh_frac, nh, nx);
        if (nh > p->n_help_train || nx > p->n_harm_train)
            XFAIL("pm", "sizes", "%d at hh_frac = %g needs %d helpful and %d harmless training "
                  "comparisons but [crowd] n_help_train = %d and n_harm_train = %d; allowed: "
                  "sizes the [crowd] training counts can fill", p->pm_sizes.v[i], p->pm_hh_frac,
                  nh, nx, p->n_help_train, p->n_harm_train);
    }
    for (int i = 0; i < p->pm_mixes.n; i++) {
        int nh = (int)lround(p->pm_mixes.v[i] * p->pm_mix_total), nx = p->pm_mix_total - nh;
        if ((nh > p->n_help_train || nx > p->n_harm_train) && !is_set(line_of, "pm", "mix_total"))
            XFAIL("crowd", nh > p->n_help_train ? "n_help_train" : "n_harm_train",
                  "%d helpful and %d harmless training comparisons are too few for [pm] "
                  "mix_total %d at mix %g (it needs %d and %d); allowed: enough for every [pm] mix",
                  p->n_help_train, p->n_harm_train, p->pm_mix_total, p->pm_mixes.v[i], nh, nx);
        if (nh > p->n_help_train || nx > p->n_harm_train)
            XFAIL("pm", "mix_total", "%d at mix %g needs %d helpful and %d harmless training "
                  "comparisons but [crowd] n_help_train = %d and n_harm_train = %d; allowed: "
                  "mix_total <= each [crowd] training count the mixes draw on", p->pm_mix_total,
                  p->pm_mixes.v[i], nh, nx, p->n_help_train, p->n_harm_train);
    }
    if (p->pm_halves && p->n_help_train / 2 + p->n_harm_train / 2 < 1)
        XFAIL("pm", "halves", "1 splits the training comparisons in two but [crowd] n_help_train "
              "= %d and n_harm_train = %d leave a half empty; allowed: halves = 0, or at least 2 "
              "comparisons of one kind", p->n_help_train, p->n_harm_train);
    // [rl]: the helpful variant trains against the helpful-only PM of the mix
    // sweep (mix 1); rl_jobs (rl.c) fails without it once RL is on.
    int rl_on = p->rl_policy_scales.n > 0 && p->pm_halves;
    int has_one = 0;
    for (int i = 0; i < p->pm_mixes.n; i++) has_one |= p->pm_mixes.v[i] == 1.0;
    if (rl_on && in_names(&p->rl_variants, "helpful") && !has_one &&
        !is_set(line_of, "rl", "variants") && is_set(line_of, "pm", "mixes"))
        XFAIL("pm", "mixes", "no 1 among them but [rl] variants has 'helpful', which trains "
              "against the helpful-only PM (mix 1); allowed: add 1, or set [rl] variants = hh");
    if (rl_on && in_names(&p->rl_variants, "helpful") && !has_one)
        XFAIL("rl", "variants", "'helpful' needs the helpful-only PM but [pm] mixes has no 1; "
              "allowed: add 1 to [pm] mixes or use variants = hh");
    // held-out evaluations draw from the [world] n_test_prompts test prompts
    if (p->rl_eval_prompts > p->n_test_prompts)
        XFAIL("rl", "eval_prompts", "%d is above [world] n_test_prompts = %d; allowed: 1 to "
              "n_test_prompts", p->rl_eval_prompts, p->n_test_prompts);
    if (p->rl_bon_prompts > p->n_test_prompts)
        XFAIL("rl", "bon_prompts", "%d is above [world] n_test_prompts = %d; allowed: 1 to "
              "n_test_prompts", p->rl_bon_prompts, p->n_test_prompts);
    if (p->di_eval_samples > p->n_test_prompts)
        XFAIL("distill", "eval_samples", "%d is above [world] n_test_prompts = %d; allowed: 1 to "
              "n_test_prompts", p->di_eval_samples, p->n_test_prompts);
    // [segments]: one value per segment in every list; shares sum to 1; the
    // first segment is the pool's criterion (help on benign prompts; harm
    // less [crowd] redteam_help_weight x help on red-team ones), so the gap
    // of every other segment is measured against what the pool's labels teach.
    {
        const DoubleList *sl[7] = {&p->seg_share, &p->seg_benign_help, &p->seg_benign_harm,
                                   &p->seg_benign_refusal, &p->seg_red_help, &p->seg_red_harm,
                                   &p->seg_red_refusal};
        static const char *const sk[7] = {"share", "benign_help", "benign_harm", "benign_refusal",
                                          "red_help", "red_harm", "red_refusal"};
        int nseg = p->seg_names.n;
        for (int k = 0; k < 7; k++)
            if (sl[k]->n != nseg)
                XFAIL("segments", sk[k], "%d values for %d segment names; give one per segment",
                      sl[k]->n, nseg);
        for (int i = 0; i < nseg; i++)
            for (int j = 0; j < i; j++)
                if (!strcmp(p->seg_names.v[i], p->seg_names.v[j]))
                    XFAIL("segments", "names", "'%s' is named twice; names must be unique",
                          p->seg_names.v[i]);
        if (fabs(sum(&p->seg_share) - 1.0) > 1e-9)
            XFAIL("segments", "share", "the shares sum to %.17g; allowed: a sum of 1",
                  sum(&p->seg_share));
        if (p->seg_benign_help.v[0] != 1.0 || p->seg_benign_harm.v[0] != 0.0 ||
            p->seg_benign_refusal.v[0] != 0.0 || p->seg_red_help.v[0] != p->redteam_help_weight ||
            p->seg_red_harm.v[0] != 1.0 || p->seg_red_refusal.v[0] != 0.0)
            XFAIL("segments", "names", "the first segment ('%s') must be the crowd pool's own "
                  "criterion: benign_help 1, benign_harm 0, benign_refusal 0, red_help = [crowd] "
                  "redteam_help_weight = %g, red_harm 1, red_refusal 0; got %g, %g, %g, %g, %g, %g",
                  p->seg_names.v[0], p->redteam_help_weight, p->seg_benign_help.v[0],
                  p->seg_benign_harm.v[0], p->seg_benign_refusal.v[0], p->seg_red_help.v[0],
                  p->seg_red_harm.v[0], p->seg_red_refusal.v[0]);
    }
    if (p->min_args > p->max_args)
        XFAIL("world", "min_args", "%d is above max_args = %d; need min_args <= max_args",
              p->min_args, p->max_args);
    if (sum(&p->task_weights) <= 0)
        XFAIL("world", "task_weights", "all zero; at least one task needs a positive weight");
    if (sum(&p->persona_weights) <= 0)
        XFAIL("corpus", "persona_weights", "all zero; at least one persona needs a positive weight");
    return 0;
}

int params_scale_index(const Params *p, const char *name) {
    for (int i = 0; i < p->scale_names.n; i++)
        if (!strcmp(p->scale_names.v[i], name)) return i;
    return -1;
}

// ---------------------------------------------------------------------------
// printing (round-trips: the shortest %g that parses back to the same double)

static void fmt_double(char *buf, size_t n, double v) {
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static void value_text(const Params *p, const ParamDesc *d, char *buf, size_t n) {
    const void *f = cfield(p, d);
    char one[64];
    buf[0] = '\0';
    switch (d->type) {
    case PT_INT:  // stage-owned int keys are held as doubles in Params.ext
        if (is_ext(d)) snprintf(buf, n, "%.0f", *(const double *)f);
        else snprintf(buf, n, "%d", *(const int *)f);
        return;
    case PT_U64: snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)f); return;
    case PT_DOUBLE: fmt_double(buf, n, *(const double *)f); return;
    case PT_INTLIST:
    case PT_DBLLIST:
    case PT_NAMELIST: break;
    }
    int cnt = d->type == PT_INTLIST   ? ((const IntList *)f)->n
              : d->type == PT_DBLLIST ? ((const DoubleList *)f)->n
                                      : ((const NameList *)f)->n;
    for (int i = 0; i < cnt; i++) {
        if (d->type == PT_INTLIST) snprintf(one, sizeof one, "%d", ((const IntList *)f)->v[i]);
        if (d->type == PT_DBLLIST) fmt_double(one, sizeof one, ((const DoubleList *)f)->v[i]);
        if (d->type == PT_NAMELIST) snprintf(one, sizeof one, "%s", ((const NameList *)f)->v[i]);
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s%s", i ? "," : "", one);
    }
}

void params_print(const Params *p, FILE *f, const char *section) {
    // sections in order of first appearance, each with all its keys (a section
    // may have keys in the core table and keys a stage adds, e.g. [online])
    int first = 1;
    for (int i = 0; i < N_TABLE; i++) {
        const ParamDesc *s = TAB(i);
        if (section && strcmp(section, s->section) != 0) continue;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = !strcmp(TAB(j)->section, s->section);
        if (seen) continue;
        fprintf(f, "%s[%s]\n", first ? "" : "\n", s->section);
        first = 0;
        for (int j = i; j < N_TABLE; j++) {
            const ParamDesc *d = TAB(j);
            if (strcmp(d->section, s->section)) continue;
            char val[2048];
            value_text(p, d, val, sizeof val);
            fprintf(f, "%s = %s  ; %s\n", d->key, val, d->doc);
        }
    }
}

char *params_to_text(const Params *p, const char *section) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    params_print(p, f, section);
    if (fclose(f) != 0) { free(buf); return NULL; }
    return buf;
}

int params_parse_long(const char *s, long lo, long hi, long *v) {
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (!*s || *end || errno || x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

int params_parse_double(const char *s, double lo, double hi, double *v) {
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(x) || x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

// ---------------------------------------------------------------------------
// the run name of a params file and its overrides

// 1 when the override text "section.key=value" sets d.
static int sets_key(const char *text, const ParamDesc *d) {
    size_t ls = strlen(d->section), lk = strlen(d->key);
    return !strncmp(text, d->section, ls) && text[ls] == '.' && !strncmp(text + ls + 1, d->key, lk) &&
           text[ls + 1 + lk] == '=';
}

void params_run_name(const Params *p, const char *path, const char *const *sets, int nsets,
                     char *buf, size_t n) {
    char name[1024], val[2048];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t lb = strlen(base);
    if (lb > 4 && !strcmp(base + lb - 4, ".ini")) lb -= 4;
    snprintf(name, sizeof name, "%.*s", (int)(lb < 200 ? lb : 200), base);
    for (int i = 0; i < N_TABLE; i++)  // the key table's order: one name for one change
        for (int k = 0; k < nsets; k++) {
            if (!sets_key(sets[k], TAB(i))) continue;
            value_text(p, TAB(i), val, sizeof val);
            size_t m = strlen(name);
            if (m + strlen(val) + 140 < sizeof name)  // (longer names are hashed below anyway)
                snprintf(name + m, sizeof name - m, "+%s.%s=%.700s", TAB(i)->section, TAB(i)->key, val);
        }
    for (char *c = name; *c; c++)  // a safe file name: no '/', spaces, quotes or shell specials
        if (!isalnum((unsigned char)*c) && !strchr("._,=+-", *c)) *c = '_';
    if (name[0] == '.' || !name[0]) memmove(name + 1, name, strlen(name) + 1), name[0] = '_';
    size_t m = strlen(name);
    if (m > 120) {  // keep it short: a prefix and a hash of the whole name
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < m; i++) h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
        snprintf(name + 100, sizeof name - 100, "+%016llx", (unsigned long long)h);
    }
    snprintf(buf, n, "%s", name);
}
