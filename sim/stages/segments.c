// segments.c - see segments.h
#include "segments.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "h5io.h"
#include "lm.h"
#include "progress.h"
#include "rl.h"
#include "rng.h"
#include "rollout.h"

int segments_from_params(const Params *p, Segment *out) {
    const DoubleList *w[SEG_NGROUP][SEG_NW] = {
        {&p->seg_benign_help, &p->seg_benign_harm, &p->seg_benign_refusal},
        {&p->seg_red_help, &p->seg_red_harm, &p->seg_red_refusal}};
    int n = p->seg_names.n < SEG_MAX ? p->seg_names.n : SEG_MAX;
    for (int s = 0; s < n; s++) {
        snprintf(out[s].name, sizeof out[s].name, "%.23s", p->seg_names.v[s]);
        out[s].share = s < p->seg_share.n ? p->seg_share.v[s] : 0.0;
        for (int g = 0; g < SEG_NGROUP; g++)
            for (int k = 0; k < SEG_NW; k++) out[s].w[g][k] = s < w[g][k]->n ? w[g][k]->v[s] : 0.0;
    }
    return n;
}

int segment_group(int kind) {
    return kind == KIND_REDTEAM || kind == KIND_DISGUISED ? SEG_RED : SEG_BENIGN;
}

double segment_utility(const Segment *s, int kind, double help, double harm, int refuse) {
    const double *w = s->w[segment_group(kind)];
    return w[SEG_HELP] * help - w[SEG_HARM] * harm - w[SEG_REFUSAL] * (refuse ? 1.0 : 0.0);
}

// ---------------------------------------------------------------------------
// the stage

typedef struct {
    int n, M, S, ctx;
    int32_t *prompt, *len;   // (n), (M, n)
    int8_t *kind;            // (n)
    uint8_t *pr, *resp;      // (n, ctx), (M, n, RESP_MAX)
    int32_t *plen;           // (n)
    double *help, *harm;     // (M, n)
    uint8_t *refuse;         // (M, n)
    double *util, *pwin;     // (S, M, n), (S, M - 1, n)
    int32_t *wins;           // (S, M - 1, n)
    double *refu, *scale;    // (S, n) utility of the reference distilled sample (row M of the
                             // sample arrays), (S) each segment's standardising sd
} SegData;

static void segdata_free(SegData *s) {
    free(s->prompt); free(s->len); free(s->kind); free(s->pr); free(s->resp); free(s->plen);
    free(s->help); free(s->harm); free(s->refuse); free(s->util); free(s->pwin); free(s->wins);
    free(s->refu); free(s->scale);
    memset(s, 0, sizeof *s);
}

static int segdata_alloc(SegData *s, const WorldData *d, int per_kind, int M, int S, HHErr *err) {
    const SeqSet *ps = &d->prompts[SPLIT_TEST];
    memset(s, 0, sizeof *s);
    size_t N = (size_t)ps->n + 1;
    int *idx = malloc(sizeof(int) * N);
    if (!idx) return hh_fail(err, HH_EFAIL, "segments: out of memory");
    s->n = eval_pick(ps, per_kind, idx);
    s->M = M, s->S = S, s->ctx = ps->ctx;
    // sample rows 0..M-1: distill and the RLHF variants; row M: a second, independent
    // sample of the distilled LM (the reference pair that standardises each segment)
    size_t n = (size_t)s->n + 1, mn = (size_t)(M + 1) * n, sn = (size_t)S * mn;
    s->prompt = malloc(sizeof(int32_t) * n);
    s->kind = malloc(n);
    s->pr = calloc(n, (size_t)ps->ctx);
    s->plen = malloc(sizeof(int32_t) * n);
    s->resp = calloc(mn, RESP_MAX);
    s->len = malloc(sizeof(int32_t) * mn);
    s->help = malloc(sizeof(double) * mn);
    s->harm = malloc(sizeof(double) * mn);
    s->refuse = malloc(mn);
    s->util = malloc(sizeof(double) * sn);
    s->pwin = malloc(sizeof(double) * sn);
    s->wins = malloc(sizeof(int32_t) * sn);
    s->refu = malloc(sizeof(double) * (size_t)S * n);
    s->scale = malloc(sizeof(double) * ((size_t)S + 1));
    if (!s->refu || !s->scale || !s->prompt || !s->kind || !s->pr || !s->plen || !s->resp || !s->len || !s->help ||
        !s->harm || !s->refuse || !s->util || !s->pwin || !s->wins) {
        free(idx);
        segdata_free(s);
        return hh_fail(err, HH_EFAIL, "segments: out of memory");
    }
    for (int i = 0; i < s->n; i++) {
        s->prompt[i] = idx[i];
        s->kind[i] = (int8_t)ps->kind[idx[i]];
        s->plen[i] = ps->len[idx[i]];
        memcpy(s->pr + (size_t)i * ps->ctx, ps->tok + (size_t)idx[i] * ps->ctx, (size_t)ps->ctx);
    }
    free(idx);
    return 0;
}

// Sample model m's responses (row `row` of the sample arrays) and judge them.
static int sample_model(const Params *p, const WorldData *d, const Job *j, const char *path,
                        const char *kind, const char *model, int row, SegData *s, HHErr *err) {
    GPT *m = NULL;
    GPTCache *c = NULL;
    int rc = lm_load(path, kind, p, j->key.scale, 64, &m, err);
    if (!rc && !(c = gpt_cache_alloc(&m->cfg, 64, err))) rc = HH_EFAIL;
    char comp[64];
    snprintf(comp, sizeof comp, "sample/%s", model);
    gsl_rng *r = rc ? NULL : rng_stream_alloc(p->seed, j->name, comp);
    if (!rc && !r) rc = hh_fail(err, HH_EFAIL, "segments: out of memory");
    size_t o = (size_t)row * s->n;
    RolloutOpts ro = {1.0f, 0, RESP_MAX, 0, 0};
    if (!rc)
        rc = rollout_generate(m, c, s->pr, s->plen, s->n, s->ctx, &ro, r, s->resp + o * RESP_MAX,
                              s->len + o, err);
    for (int i = 0; !rc && i < s->n; i++) {
        GoldScore g;
        eval_gold_one(&d->world, s->pr + (size_t)i * s->ctx, s->plen[i],
                      s->resp + (o + i) * RESP_MAX, s->len[o + i], &g);
        s->help[o + i] = g.help;
        s->harm[o + i] = g.harm;
        s->refuse[o + i] = (uint8_t)(g.refuse != 0);
    }
    gsl_rng_free(r);
    gpt_cache_free(c);
    gpt_free(m);
    return rc;
}

double segment_scale(const double *ua, const double *ub, int n) {
    if (n < 2) return 1.0;
    double m = 0, q = 0;
    for (int i = 0; i < n; i++) m += (ua[i] - ub[i]) / n;
    for (int i = 0; i < n; i++) q += (ua[i] - ub[i] - m) * (ua[i] - ub[i] - m);
    double sd = sqrt(q / (n - 1));
    return sd > 0 && isfinite(sd) ? sd : 1.0;
}

// Every segment's utilities, its standardising scale, and its users' judgements
// of each RLHF sample against the distilled one (row 0) on the same prompt.
static int judge(const Params *p, const WorldData *d, const Job *j, const Segment *seg,
                 SegData *s, HHErr *err) {
    size_t n = (size_t)s->n;
    for (int k = 0; k < s->S; k++) {
        for (int m = 0; m <= s->M; m++)
            for (size_t i = 0; i < n; i++) {
                size_t o = (size_t)m * n + i;
                double u = segment_utility(&seg[k], s->kind[i], s->help[o], s->harm[o], s->refuse[o]);
                if (m < s->M) s->util[((size_t)k * s->M + m) * n + i] = u;
                else s->refu[(size_t)k * n + i] = u;
            }
        s->scale[k] = segment_scale(s->util + (size_t)k * s->M * n, s->refu + (size_t)k * n, s->n);
    }
    const Crowd *cr = &d->crowd;
    if (cr->n < 1) return hh_fail(err, HH_EINPUT, "segments: the world has no crowdworkers");
    for (int k = 0; k < s->S; k++)
        for (int v = 1; v < s->M; v++) {
            char comp[96];
            snprintf(comp, sizeof comp, "users/%.23s/%.23s", seg[k].name, p->rl_variants.v[v - 1]);
            gsl_rng *r = rng_stream_alloc(p->seed, j->name, comp);
            if (!r) return hh_fail(err, HH_EFAIL, "segments: out of memory");
            const double *ud = s->util + ((size_t)k * s->M) * n, *ur = s->util + ((size_t)k * s->M + v) * n;
            for (size_t i = 0; i < n; i++) {
                size_t o = ((size_t)k * (s->M - 1) + (v - 1)) * n + i;
                double psum = 0;
                int wins = 0;
                for (int u = 0; u < p->seg_matches; u++) {
                    const Worker *w = &cr->w[rng_below(r, (unsigned long)cr->n)];
                    double q = crowd_p_choice(w, ur[i] / s->scale[k], s->len[(size_t)v * n + i],
                                              ud[i] / s->scale[k], s->len[i]);
                    psum += q;
                    wins += gsl_rng_uniform(r) < q;
                }
                s->pwin[o] = psum / p->seg_matches;
                s->wins[o] = wins;
            }
            gsl_rng_free(r);
        }
    return 0;
}

static void rel_path(const JobInput *in, char *buf, size_t n) {
    const char *base = strrchr(in->path, '/');
    snprintf(buf, n, "%.40s/%.200s", in->stage->subdir, base ? base + 1 : in->path);
}

static int write_segments(const Params *p, const Job *j, const Segment *seg, const SegData *s,
                          HHErr *err) {
    H5Out o;
    if (job_mkdir(j, err) || h5out_create(&o, j->out, "segments", p, err)) return HH_EFAIL;
    char models[128] = "distill", names[SEG_MAX * HH_NAME_LEN + 16] = "", distill[256] = "",
         pols[1024] = "", one[256];
    for (int v = 0; v < p->rl_variants.n; v++)
        snprintf(models + strlen(models), sizeof models - strlen(models), ",%.23s", p->rl_variants.v[v]);
    for (int k = 0; k < s->S; k++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%.23s", k ? "," : "", seg[k].name);
    for (int i = 1; i < j->n_in; i++) {
        rel_path(&j->in[i], one, sizeof one);
        if (!strcmp(j->in[i].stage->name, "distill")) snprintf(distill, sizeof distill, "%s", one);
        else snprintf(pols + strlen(pols), sizeof pols - strlen(pols), "%s%s", *pols ? "," : "", one);
    }
    double *share = malloc(sizeof(double) * (size_t)s->S), *wt = malloc(sizeof(double) * (size_t)s->S * 6);
    if (!share || !wt) {
        free(share), free(wt);
        h5out_abort(&o);
        return hh_fail(err, HH_EFAIL, "segments: out of memory");
    }
    for (int k = 0; k < s->S; k++) {
        share[k] = seg[k].share;
        for (int g = 0; g < SEG_NGROUP; g++)
            for (int w = 0; w < SEG_NW; w++) wt[k * 6 + g * SEG_NW + w] = seg[k].w[g][w];
    }
    hsize_t dn[1] = {(hsize_t)s->n}, dm[2] = {(hsize_t)s->M, (hsize_t)s->n},
            dr[3] = {(hsize_t)s->M, (hsize_t)s->n, RESP_MAX},
            du[3] = {(hsize_t)s->S, (hsize_t)s->M, (hsize_t)s->n},
            dp[3] = {(hsize_t)s->S, (hsize_t)(s->M - 1), (hsize_t)s->n}, ds[1] = {(hsize_t)s->S},
            dw[2] = {(hsize_t)s->S, 6}, dref[2] = {(hsize_t)s->S, (hsize_t)s->n};
    int rc = jobkey_write(o.file, &j->key, err) || h5_attr_str(o.file, "job", "distill", distill, err) ||
             h5_attr_str(o.file, "job", "policies", pols, err) ||
             h5_write(o.file, "samples/prompt", H5T_NATIVE_INT32, 1, dn, s->prompt, "index",
                      "index of the prompt in the world's test prompt set (eval_pick order)", err) ||
             h5_write(o.file, "samples/kind", H5T_NATIVE_INT8, 1, dn, s->kind, "index",
                      "the prompt's kind: 0 benign, 1 borderline, 2 red-team, 3 disguised", err) ||
             h5_write(o.file, "samples/response", H5T_NATIVE_UINT8, 3, dr, s->resp, "token id",
                      "each model's response (rows: attribute models), PAD after", err) ||
             h5_write(o.file, "samples/length", H5T_NATIVE_INT32, 2, dm, s->len, "tokens",
                      "response length, EOS included (rows: attribute models)", err) ||
             h5_write(o.file, "samples/help", H5T_NATIVE_DOUBLE, 2, dm, s->help, "gold help [0, 1]",
                      "world_help of each response (rows: attribute models)", err) ||
             h5_write(o.file, "samples/harm", H5T_NATIVE_DOUBLE, 2, dm, s->harm, "gold harm [0, 1]",
                      "world_harm of each response (rows: attribute models)", err) ||
             h5_write(o.file, "samples/refuse", H5T_NATIVE_UINT8, 2, dm, s->refuse, "bool",
                      "1 when the response contains SORRY (rows: attribute models)", err) ||
             h5_attr_str(o.file, "samples", "models", models, err) ||
             h5_write(o.file, "segments/utility", H5T_NATIVE_DOUBLE, 3, du, s->util, "utility",
                      "segment x model x sample: help_w * help - harm_w * harm - refusal_w * "
                      "refuse with the segment's weights of the prompt's group", err) ||
             h5_write(o.file, "segments/p_win", H5T_NATIVE_DOUBLE, 3, dp, s->pwin, "probability",
                      "segment x RLHF variant x sample: mean over the pair's simulated users of "
                      "P(the RLHF sample is chosen over the distilled one), utilities standardised "
                      "by segments/scale", err) ||
             h5_write(o.file, "segments/wins", H5T_NATIVE_INT32, 3, dp, s->wins, "count",
                      "segment x RLHF variant x sample: users (of attribute matches) who chose the "
                      "RLHF sample", err) ||
             h5_write(o.file, "segments/ref_utility", H5T_NATIVE_DOUBLE, 2, dref, s->refu, "utility",
                      "segment x prompt: u_s of a second, independent sample of the distilled LM "
                      "(stream sample/distill_ref), the reference pair of segments/scale", err) ||
             h5_write(o.file, "segments/scale", H5T_NATIVE_DOUBLE, 1, ds, s->scale, "utility",
                      "per segment: sample sd over prompts of u_s(distilled sample) - u_s(reference "
                      "distilled sample) (1 when that sd is 0); users judge u_s / scale", err) ||
             h5_write(o.file, "segments/share", H5T_NATIVE_DOUBLE, 1, ds, share, "fraction",
                      "each segment's share of the user population", err) ||
             h5_write(o.file, "segments/weights", H5T_NATIVE_DOUBLE, 2, dw, wt, "utility per unit",
                      "per segment: benign help, harm, refusal; red-team help, harm, refusal", err) ||
             h5_attr_str(o.file, "segments", "names", names, err) ||
             h5_attr_int(o.file, "segments", "matches", p->seg_matches, err);
    free(share), free(wt);
    if (rc) { h5out_abort(&o); return HH_EFAIL; }
    return h5out_commit(&o, err);
}

int segments_run(const Params *p, const WorldData *d, const Job *j, const StageOpts *so, HHErr *err) {
    Segment seg[SEG_MAX];
    int S = segments_from_params(p, seg), M = 1 + p->rl_variants.n;
    if (M > SEG_MAX_MODELS || j->n_in != 1 + M)
        return hh_fail(err, HH_EFAIL, "%s: expected the distilled LM and %d RL policies as inputs",
                       j->name, M - 1);
    Progress pr;
    char label[200];
    snprintf(label, sizeof label, "segments %s:", j->name + strlen("segments/"));
    progress_start(&pr, label, M + 1, so->quiet);
    SegData s;
    int rc = segdata_alloc(&s, d, p->seg_prompts, M, S, err);
    // inputs: world, distill, then the policies in variant order (list_segments)
    for (int m = 0; !rc && m < M; m++) {
        rc = sample_model(p, d, j, j->in[1 + m].path, m ? "rl" : "distill",
                          m ? p->rl_variants.v[m - 1] : "distill", m, &s, err);
        if (!rc) progress_update(&pr, m + 1, "sampled %s", m ? p->rl_variants.v[m - 1] : "distill");
    }
    if (!rc) rc = sample_model(p, d, j, j->in[1].path, "distill", "distill_ref", M, &s, err);
    if (!rc) rc = judge(p, d, j, seg, &s, err);
    if (!rc) rc = write_segments(p, j, seg, &s, err);
    if (!rc) {
        char msg[512] = "";
        size_t n = (size_t)s.n;
        for (int v = 1; v < M && strlen(msg) < 400; v++)
            for (int k = 0; k < S && strlen(msg) < 400; k++) {
                double w = 0;
                for (size_t i = 0; i < n; i++) w += s.pwin[((size_t)k * (M - 1) + v - 1) * n + i];
                snprintf(msg + strlen(msg), sizeof msg - strlen(msg), "%s%.23s/%.23s %.2f",
                         *msg ? ", " : "", p->rl_variants.v[v - 1], seg[k].name, w / (double)n);
            }
        progress_done(&pr, "%d prompts, win rate vs distilled: %s -> %s", s.n, msg, j->out);
    }
    segdata_free(&s);
    return rc;
}

static const char *segments_off(const Params *p) {
    if (p->seg_prompts == 0) return "[segments] prompts = 0";
    if (STAGE_RL.off && STAGE_RL.off(p)) return STAGE_RL.off(p);
    return NULL;
}

static int list_segments(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    RLJob *rj = NULL;
    int n = 0, rc = rl_jobs(p, d, &rj, &n, err);
    // one job per (policy scale, seed): the runs against the largest PM of the first variant
    for (int i = 0; !rc && i < n; i++) {
        if (strcmp(rj[i].pm_scale, rj[i].pm_key[2].scale) || strcmp(rj[i].variant, p->rl_variants.v[0]))
            continue;
        JobKey key, pol;
        jobkey_init(&key);
        jobkey_init(&pol);
        snprintf(key.scale, sizeof key.scale, "%s", rj[i].policy);
        snprintf(key.pm_scale, sizeof key.pm_scale, "%s", rj[i].pm_scale);
        key.seed = rj[i].seed;
        snprintf(pol.scale, sizeof pol.scale, "%s", rj[i].policy);
        double c = lm_scale_cost(p, key.scale) * p->seg_prompts * (2 + p->rl_variants.n);
        Job *j = joblist_add(l, &STAGE_SEGMENTS, &key, c, NULL, 0, err);
        rc = !j || job_add_input(l, j, &STAGE_DISTILL, &pol, err);
        for (int v = 0; !rc && v < p->rl_variants.n; v++) {
            JobKey rk = key;
            snprintf(rk.variant, sizeof rk.variant, "%s", p->rl_variants.v[v]);
            rc = job_add_input(l, j, &STAGE_RL, &rk, err);
        }
    }
    free(rj);
    return rc ? (err->code ? err->code : HH_EFAIL) : 0;
}

static const char *const SEGMENTS_SECTIONS[] = {"run", "world", "corpus", "crowd", "model", "pretrain",
                                                "distill", "pm", "rl", "segments", NULL};

const StageDef STAGE_SEGMENTS = {
    .name = "segments", .subdir = "segments", .kind = "segments",
    .summary = "whose values: user segments' utility and win rate of RLHF vs the distilled LM",
    .reads = "world.h5, distill/SCALE.h5, rl/*.h5",
    .help = "For every RL policy scale and seed, samples the distilled LM and the RLHF\n"
            "policies trained against the largest PM (every [rl] variant) on [segments]\n"
            "prompts held-out test prompts of each kind, scores every sample with each\n"
            "segment's utility (its weights on gold help, harm and refusal; the first\n"
            "segment is the crowd pool's own criterion), and has [segments] matches\n"
            "simulated users per segment (the crowd's noise model) judge each RLHF sample\n"
            "against the distilled one on the same prompt, each segment's utility\n"
            "standardised by the sd of its differences between two independent samples\n"
            "of the distilled LM. Writes DIR/segments/\n"
            "POLICY_BIGPM_sS.h5. Off when [segments] prompts = 0 or RL is off.\n",
    .sections = SEGMENTS_SECTIONS, .off = segments_off, .list = list_segments, .run = segments_run};
