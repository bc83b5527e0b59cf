// elo.c - see elo.h
#include "elo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crowd.h"
#include "eval.h"
#include "h5io.h"
#include "lm.h"
#include "pm.h"
#include "progress.h"
#include "rl.h"
#include "rng.h"
#include "rollout.h"

const char *const ELT_NAME[ELT_N] = {"distill", "anchor", "helpful", "hh", "online", "bon", "reference",
                                     "hh_opm", "bon_opm"};

int elt_seeded(int t) {
    return t == ELT_HELPFUL || t == ELT_HH || t == ELT_ONLINE || t == ELT_BON || t == ELT_HH_OPM ||
           t == ELT_BON_OPM;
}
int elt_bon(int t) { return t == ELT_BON || t == ELT_BON_OPM; }

int elo_prompts(const Params *p) { return (int)p->ext[ELO_SLOT]; }
int elo_matches(const Params *p) { return (int)p->ext[ELO_SLOT + 1]; }
int elo_workers(const Params *p) { return (int)p->ext[ELO_SLOT + 2]; }
int elo_bon_max(const Params *p) { return (int)p->ext[ELO_SLOT + 3]; }

// ---------------------------------------------------------------------------
// contestants

static ElContestant *add_c(ElSpec *s, ElType t, const char *scale, int seed, int round, int n,
                           HHErr *err) {
    if (s->nc >= ELO_MAX_CONTESTANTS) {
        hh_fail(err, HH_EINPUT, "elo %s: more than %d contestants; lower [rl] seeds, [elo] bon_max "
                "or the online rounds", s->scale, ELO_MAX_CONTESTANTS);
        return NULL;
    }
    ElContestant *c = &s->c[s->nc++];
    memset(c, 0, sizeof *c);
    c->type = t;
    c->seed = seed;
    c->round = round;
    c->n = n;
    snprintf(c->scale, sizeof c->scale, "%s", scale);
    jobkey_init(&c->src);
    jobkey_init(&c->pm);
    switch (t) {
    case ELT_DISTILL: case ELT_ANCHOR: case ELT_REF:
        snprintf(c->name, sizeof c->name, "%s", ELT_NAME[t]); break;
    case ELT_BON: snprintf(c->name, sizeof c->name, "bon%d_s%d", n, seed); break;
    case ELT_BON_OPM: snprintf(c->name, sizeof c->name, "bon%d_opm_s%d", n, seed); break;
    case ELT_ONLINE: snprintf(c->name, sizeof c->name, "online_r%d_s%d", round, seed); break;
    default: snprintf(c->name, sizeof c->name, "%s_s%d", ELT_NAME[t], seed);
    }
    return c;
}

static int key_eq(const JobKey *a, const JobKey *b) {
    char x[160], y[160];
    HHErr e = {0};
    if (jobkey_stem(a, x, sizeof x, &e) || jobkey_stem(b, y, sizeof y, &e)) return 0;
    return !strcmp(x, y);
}

// The contestant the last-added one duplicates (same answers by construction), or NULL.
static const ElContestant *dup_of(const ElSpec *s) {
    const ElContestant *c = &s->c[s->nc - 1];
    for (int i = 0; i < s->nc - 1; i++) {
        const ElContestant *o = &s->c[i];
        if (c->stage && o->stage == c->stage && key_eq(&c->src, &o->src)) return o;
        if (elt_bon(c->type) && elt_bon(o->type) && c->seed == o->seed && c->n == o->n &&
            (c->n == 1 || key_eq(&c->pm, &o->pm)))
            return o;
    }
    return NULL;
}

// Drop the last-added contestant when it duplicates another (recorded in s->merged).
static void merge_last(ElSpec *s) {
    const ElContestant *o = dup_of(s);
    if (!o) return;
    size_t L = strlen(s->merged);
    snprintf(s->merged + L, sizeof s->merged - L, "%s%s=%s", L ? "," : "", s->c[s->nc - 1].name, o->name);
    s->nc--;
}

static void set_rl_src(ElContestant *c, const RLJob *r) {
    snprintf(c->src.scale, sizeof c->src.scale, "%s", r->policy);
    snprintf(c->src.pm_scale, sizeof c->src.pm_scale, "%s", r->pm_scale);
    snprintf(c->src.variant, sizeof c->src.variant, "%s", r->variant);
    c->src.seed = r->seed;
    c->stage = &STAGE_RL;
}

int elo_spec(const Params *p, const WorldData *d, const StageDef *const *t, const char *scale,
             ElSpec *s, HHErr *err) {
    memset(s, 0, sizeof *s);
    snprintf(s->scale, sizeof s->scale, "%s", scale);
    RLJob *rj = NULL;
    int n = 0, rc = rl_jobs(p, d, &rj, &n, err);
    if (rc) return rc;
    snprintf(s->anchor, sizeof s->anchor, "%s", n ? rj[0].norm_policy : scale);
    ElContestant *c = add_c(s, ELT_DISTILL, scale, -1, -1, -1, err);
    if (c) { snprintf(c->src.scale, sizeof c->src.scale, "%s", scale); c->stage = &STAGE_DISTILL; }
    if (c && strcmp(s->anchor, scale)) {
        c = add_c(s, ELT_ANCHOR, s->anchor, -1, -1, -1, err);
        if (c) { snprintf(c->src.scale, sizeof c->src.scale, "%s", s->anchor); c->stage = &STAGE_DISTILL; }
    }
    // RL: the runs of this policy against the largest PM (evals' choice)
    for (int v = 0; c && v < 2; v++)
        for (int i = 0; c && i < n; i++) {
            const RLJob *r = &rj[i];
            if (strcmp(r->policy, scale) || strcmp(r->pm_scale, r->pm_key[2].scale) ||
                strcmp(r->variant, v ? "hh" : "helpful"))
                continue;
            c = add_c(s, v ? ELT_HH : ELT_HELPFUL, scale, r->seed, -1, -1, err);
            if (!c) break;
            set_rl_src(c, r);
            if (v && r->seed >= 0 && r->seed < 16) {
                s->pm[r->seed] = r->pm_key[0];
                s->tpm[r->seed] = r->pm_key[1];
                if (r->seed + 1 > s->nseeds) s->nseeds = r->seed + 1;
            }
        }
    if (!c) return free(rj), err->code;
    // online HH RLHF: the online stage's jobs of this scale, if the table has the stage
    const StageDef *on = t ? stage_find(t, "online") : NULL;
    int non = 0;
    if (on && on->list && !(on->off && on->off(p))) {
        JobList l;
        joblist_init(&l, ".", t[0]);
        rc = on->list(p, d, &l, err);
        for (int i = 0; !rc && i < l.n; i++) {
            const JobKey *k = &l.v[i].key;
            // the policies online/SCALE_SCALE_hh_sS_rK.h5 (files of kind rl): keys with
            // scale, pm_scale, variant hh, seed and round; the data + PM jobs (variant pm) are not
            if (l.v[i].stage != on || strcmp(k->scale, scale) || k->round < 1 || k->seed < 0 ||
                k->seed >= s->nseeds || strcmp(k->variant, "hh") || k->n_train >= 0 || k->half >= 0 ||
                k->pmp >= 0)
                continue;
            c = add_c(s, ELT_ONLINE, scale, k->seed, k->round, -1, err);
            if (!c) { rc = err->code; break; }
            c->src = *k;
            c->stage = on;
            non++;
        }
        joblist_free(&l);
        if (rc) return free(rj), rc;
    }
    // the online lineages' own baseline: static HH RLHF under the same PM (the scale's own
    // PM scale, as the online stage starts from rl/SCALE_SCALE_hh_sS)
    for (int i = 0; non && i < n; i++) {
        const RLJob *r = &rj[i];
        if (strcmp(r->policy, scale) || strcmp(r->pm_scale, scale) || strcmp(r->variant, "hh") ||
            r->seed < 0 || r->seed >= s->nseeds)
            continue;
        c = add_c(s, ELT_HH_OPM, scale, r->seed, -1, -1, err);
        if (!c) return free(rj), err->code;
        set_rl_src(c, r);
        s->opm[r->seed] = r->pm_key[0];
        s->has_opm = 1;
        merge_last(s);
    }
    free(rj);
    if (non && !s->has_opm)
        return hh_fail(err, HH_EINPUT, "elo %s: online contestants but no static HH RL run of the "
                       "scale against its own PM scale (rl/%s_%s_hh_sS)", scale, scale, scale);
    // best-of-n: at the largest policy scale under the largest-PM train PM (Fig. 36 is one
    // policy size), and at a scale with online contestants under the online lineage's PM
    for (int w = 0; w < 2; w++) {
        if (w == 0 ? strcmp(scale, s->anchor) != 0 : !s->has_opm) continue;
        for (int b = 1; elo_bon_max(p) > 0 && b <= elo_bon_max(p); b *= 4)
            for (int sd = 0; sd < s->nseeds; sd++) {
                c = add_c(s, w ? ELT_BON_OPM : ELT_BON, scale, sd, -1, b, err);
                if (!c) return err->code;
                if (b > 1) c->pm = w ? s->opm[sd] : s->pm[sd];
                merge_last(s);
            }
    }
    if (!add_c(s, ELT_REF, scale, -1, -1, -1, err)) return err->code;
    if (s->nseeds == 0)
        return hh_fail(err, HH_EINPUT, "elo %s: no HH RL run of this policy scale against the largest "
                       "PM; [rl] variants must include hh", scale);
    return 0;
}

// ---------------------------------------------------------------------------
// the tournament

typedef struct {
    int C, P, S;
    uint8_t *resp;      // (C, P, RESP_MAX)
    int32_t *len;       // (C, P)
    double *help, *harm, *pms, *pmt;  // (C, P), (C, P), (S, C, P) train PMs, (S, C, P) test PMs
} Samples;

static void samples_free(Samples *s) {
    free(s->resp); free(s->len); free(s->help); free(s->harm); free(s->pms); free(s->pmt);
}

static int sample_model(const Params *p, const Job *j, const ElContestant *c, GPT *m,
                        const uint8_t *pr, const int32_t *pl, int P, int ctx, Samples *S, int ci,
                        HHErr *err) {
    GPTCache *cache = gpt_cache_alloc(&m->cfg, 64, err);
    if (!cache) return HH_EFAIL;
    char comp[96];
    snprintf(comp, sizeof comp, "sample/%s", c->name);
    gsl_rng *r = rng_stream_alloc(p->seed, j->name, comp);
    RolloutOpts ro = {1.0f, 0, RESP_MAX, 0, 0};
    int rc = rollout_generate(m, cache, pr, pl, P, ctx, &ro, r, S->resp + (size_t)ci * P * RESP_MAX,
                              S->len + (size_t)ci * P, err);
    gsl_rng_free(r);
    gpt_cache_free(cache);
    return rc;
}

static int write_out(const Params *p, const Job *j, const ElSpec *sp, const int32_t *pidx,
                     const int8_t *pkind, const Samples *S, int M, const int8_t *mk, const int16_t *ma,
                     const int16_t *mb, const int32_t *mp, const int32_t *mw, const int8_t *mwin,
                     HHErr *err) {
    H5Out o;
    if (job_mkdir(j, err) || h5out_create(&o, j->out, "elo", p, err)) return HH_EFAIL;
    int C = S->C, P = S->P;
    int8_t *type = malloc((size_t)C);
    int32_t *seed = malloc(sizeof(int32_t) * C), *round = malloc(sizeof(int32_t) * C),
            *bn = malloc(sizeof(int32_t) * C);
    size_t nl = (size_t)C * 80 + 1;
    char *names = calloc(nl, 1), *scales = calloc(nl, 1);
    if (!type || !seed || !round || !bn || !names || !scales) {
        free(type); free(seed); free(round); free(bn); free(names); free(scales);
        h5out_abort(&o);
        return hh_fail(err, HH_EFAIL, "elo: out of memory");
    }
    for (int i = 0; i < C; i++) {
        type[i] = (int8_t)sp->c[i].type;
        seed[i] = sp->c[i].seed;
        round[i] = sp->c[i].round;
        bn[i] = sp->c[i].n;
        snprintf(names + strlen(names), nl - strlen(names), "%s%s", i ? "," : "", sp->c[i].name);
        snprintf(scales + strlen(scales), nl - strlen(scales), "%s%s", i ? "," : "", sp->c[i].scale);
    }
    hsize_t dc[1] = {(hsize_t)C}, dp[1] = {(hsize_t)P}, dcp[2] = {(hsize_t)C, (hsize_t)P},
            dr[3] = {(hsize_t)C, (hsize_t)P, RESP_MAX}, ds[3] = {(hsize_t)S->S, (hsize_t)C, (hsize_t)P},
            dm[1] = {(hsize_t)M};
    char tdesc[256] = "contestant type: ", pms[3][1024] = {"", "", ""};
    for (int s = 0; s < sp->nseeds; s++)
        for (int q = 0; q < 3; q++) {
            if (q == 2 && !sp->has_opm) continue;
            char stem[160];
            if (jobkey_stem(q == 0 ? &sp->pm[s] : q == 1 ? &sp->tpm[s] : &sp->opm[s], stem, sizeof stem, err))
                return h5out_abort(&o), free(type), free(seed), free(round), free(bn), free(names),
                       free(scales), HH_EFAIL;
            snprintf(pms[q] + strlen(pms[q]), sizeof pms[q] - strlen(pms[q]), "%s%s", s ? "," : "", stem);
        }
    for (int t = 0; t < ELT_N; t++)
        snprintf(tdesc + strlen(tdesc), sizeof tdesc - strlen(tdesc), "%s%d = %s", t ? ", " : "", t, ELT_NAME[t]);
    int rc = jobkey_write(o.file, &j->key, err) || h5_attr_str(o.file, "job", "anchor", sp->anchor, err) ||
        h5_write(o.file, "contestants/type", H5T_NATIVE_INT8, 1, dc, type, "index", tdesc, err) ||
        h5_write(o.file, "contestants/seed", H5T_NATIVE_INT32, 1, dc, seed, "index",
                 "RL seed of the contestant (best-of-n: the seed of its pool and PM); -1 when none", err) ||
        h5_write(o.file, "contestants/round", H5T_NATIVE_INT32, 1, dc, round, "index",
                 "online round of the contestant; -1 when not online", err) ||
        h5_write(o.file, "contestants/n", H5T_NATIVE_INT32, 1, dc, bn, "samples",
                 "best-of-n: n; -1 for other contestants", err) ||
        h5_attr_str(o.file, "contestants", "names", names, err) ||
        h5_attr_str(o.file, "contestants", "scales", scales, err) ||
        h5_attr_str(o.file, "contestants", "merged", sp->merged, err) ||
        h5_write(o.file, "prompts/index", H5T_NATIVE_INT32, 1, dp, pidx, "index",
                 "row of the world's test prompt set (held out from every training set)", err) ||
        h5_write(o.file, "prompts/kind", H5T_NATIVE_INT8, 1, dp, pkind, "index",
                 "world prompt kind: 0 benign, 1 borderline (helpfulness matches), 2 red-team, "
                 "3 disguised (harmlessness matches)", err) ||
        h5_write(o.file, "samples/resp", H5T_NATIVE_UINT8, 3, dr, S->resp, "token id",
                 "each contestant's answer to each prompt (after the final A), PAD after", err) ||
        h5_write(o.file, "samples/len", H5T_NATIVE_INT32, 2, dcp, S->len, "tokens",
                 "answer length (EOS included)", err) ||
        h5_write(o.file, "samples/help", H5T_NATIVE_DOUBLE, 2, dcp, S->help, "gold [0,1]",
                 "gold helpfulness of each answer (world_help)", err) ||
        h5_write(o.file, "samples/harm", H5T_NATIVE_DOUBLE, 2, dcp, S->harm, "gold [0,1]",
                 "gold harm of each answer (world_harm)", err) ||
        h5_write(o.file, "samples/pm_score", H5T_NATIVE_DOUBLE, 3, ds, S->pms, "logit",
                 "score of each answer under the train PM of HH RL seed s (rows); sigmoid of a "
                 "difference is the PM's preference probability", err) ||
        h5_write(o.file, "samples/pm_test_score", H5T_NATIVE_DOUBLE, 3, ds, S->pmt, "logit",
                 "score of each answer under the test PM of HH RL seed s (the other data half: a PM "
                 "no contestant was optimised against)", err) ||
        h5_attr_str(o.file, "samples", "train_pms", pms[0], err) ||
        h5_attr_str(o.file, "samples", "test_pms", pms[1], err) ||
        h5_attr_str(o.file, "samples", "online_pms", pms[2], err) ||
        h5_write(o.file, "matches/kind", H5T_NATIVE_INT8, 1, dm, mk, "index",
                 "0 helpfulness (benign prompt, helpfulness worker), 1 harmlessness (red-team "
                 "prompt, red-team worker)", err) ||
        h5_write(o.file, "matches/a", H5T_NATIVE_INT16, 1, dm, ma, "index", "first contestant (a < b)", err) ||
        h5_write(o.file, "matches/b", H5T_NATIVE_INT16, 1, dm, mb, "index", "second contestant", err) ||
        h5_write(o.file, "matches/prompt", H5T_NATIVE_INT32, 1, dm, mp, "index", "index into /prompts", err) ||
        h5_write(o.file, "matches/worker", H5T_NATIVE_INT32, 1, dm, mw, "index",
                 "id of the judging worker (held-out pool: ids >= [crowd] n_workers)", err) ||
        h5_write(o.file, "matches/winner", H5T_NATIVE_INT8, 1, dm, mwin, "index",
                 "0 when a won, 1 when b won (the worker's chosen response)", err) ||
        h5_attr_int(o.file, "matches", "per_pair", elo_matches(p), err) ||
        h5_attr_int(o.file, "matches", "first_worker_id", p->n_workers, err);
    free(type); free(seed); free(round); free(bn); free(names); free(scales);
    if (rc) { h5out_abort(&o); return HH_EFAIL; }
    return h5out_commit(&o, err);
}

static int elo_run(const Params *p, const WorldData *d, const Job *j, const StageOpts *so, HHErr *err) {
    const ElSpec *sp = j->spec;
    const SeqSet *ps = &d->prompts[SPLIT_TEST];
    int ctx = ps->ctx, C = sp->nc, NS = sp->nseeds, rc = 0;
    int Bpool = 0;  // the largest n of the best-of-n contestants (none: no pool)
    for (int i = 0; i < C; i++) if (elt_bon(sp->c[i].type) && sp->c[i].n > Bpool) Bpool = sp->c[i].n;
    int *idx = malloc(sizeof(int) * ((size_t)ps->n + 1));
    if (!idx) return hh_fail(err, HH_EFAIL, "elo: out of memory");
    int P = eval_pick(ps, elo_prompts(p), idx);
    Samples S = {C, P, NS, NULL, NULL, NULL, NULL, NULL, NULL};
    // one pool of Bpool samples per prompt per seed: pool s at presp + s * NP
    size_t CP = (size_t)C * P, NP = (size_t)P * Bpool + 1;
    S.resp = calloc(CP * RESP_MAX, 1);
    S.len = calloc(CP, sizeof(int32_t));
    S.help = calloc(CP, sizeof(double));
    S.harm = calloc(CP, sizeof(double));
    S.pms = calloc((size_t)NS * CP + 1, sizeof(double));
    S.pmt = calloc((size_t)NS * CP + 1, sizeof(double));
    uint8_t *pr = malloc((size_t)P * ctx + 1), *ppr = malloc(NP * ctx),
            *presp = calloc((size_t)NS * NP, RESP_MAX);
    int32_t *pl = malloc(sizeof(int32_t) * ((size_t)P + 1)), *ppl = malloc(sizeof(int32_t) * NP),
            *plen = calloc((size_t)NS * NP, sizeof(int32_t)), *pidx = malloc(sizeof(int32_t) * ((size_t)P + 1));
    int8_t *pkind = malloc((size_t)P + 1);
    double *psc = calloc(NP, sizeof(double));
    if (!S.resp || !S.len || !S.help || !S.harm || !S.pms || !S.pmt || !pr || !ppr || !presp || !pl || !ppl ||
        !plen || !pidx || !pkind || !psc)
        rc = hh_fail(err, HH_EFAIL, "elo: out of memory");
    int nh = 0, nr = 0;
    for (int i = 0; !rc && i < P; i++) {
        memcpy(pr + (size_t)i * ctx, ps->tok + (size_t)idx[i] * ctx, (size_t)ctx);
        pl[i] = ps->len[idx[i]];
        pidx[i] = idx[i];
        pkind[i] = (int8_t)ps->kind[idx[i]];
        if (pkind[i] >= KIND_REDTEAM) nr++; else nh++;
        for (int b = 0; b < Bpool; b++) {
            memcpy(ppr + ((size_t)i * Bpool + b) * ctx, pr + (size_t)i * ctx, (size_t)ctx);
            ppl[(size_t)i * Bpool + b] = pl[i];
        }
    }
    if (!rc && (nh == 0 || nr == 0))
        rc = hh_fail(err, HH_EINPUT, "elo %s: the test prompts have %d benign/borderline and %d "
                     "red-team/disguised prompts; both kinds are needed ([world] n_test_prompts)",
                     sp->scale, nh, nr);
    Progress pg;
    char label[160];
    snprintf(label, sizeof label, "elo %s:", sp->scale);
    progress_start(&pg, label, C, so->quiet);
    // samples of every model contestant; the seeds' bon pools from the scale's distilled model
    for (int ci = 0; !rc && ci < C; ci++) {
        const ElContestant *c = &sp->c[ci];
        if (!c->stage) continue;
        const char *path = job_input_key(j, c->stage->name, &c->src);
        GPT *m = NULL;
        rc = !path ? hh_fail(err, HH_EFAIL, "%s: the input of contestant %s is missing", j->name, c->name)
                   : lm_load(path, c->type == ELT_ONLINE ? "rl" : c->stage->kind, p, c->scale, 64, &m, err);
        if (!rc) rc = sample_model(p, j, c, m, pr, pl, P, ctx, &S, ci, err);
        for (int s = 0; !rc && c->type == ELT_DISTILL && Bpool > 0 && s < NS; s++) {
            GPTCache *cache = gpt_cache_alloc(&m->cfg, 64, err);
            char comp[32];
            snprintf(comp, sizeof comp, "bon/s%d", s);
            gsl_rng *r = rng_stream_alloc(p->seed, j->name, comp);
            RolloutOpts ro = {1.0f, 0, RESP_MAX, 0, 0};
            rc = !cache || !r ? hh_fail(err, HH_EFAIL, "elo: out of memory")
                              : rollout_generate(m, cache, ppr, ppl, P * Bpool, ctx, &ro, r,
                                                 presp + (size_t)s * NP * RESP_MAX, plen + (size_t)s * NP, err);
            gsl_rng_free(r);
            gpt_cache_free(cache);
        }
        gpt_free(m);
        progress_update(&pg, ci + 1, "%s", c->name);
    }
    // the reference responder: the HHH persona
    for (int ci = 0; !rc && ci < C; ci++) {
        if (sp->c[ci].type != ELT_REF) continue;
        gsl_rng *r = rng_stream_alloc(p->seed, j->name, "reference");
        for (int i = 0; !rc && i < P; i++) {
            PromptInfo info;
            uint8_t buf[RESP_MAX * 4];
            if (world_prompt_info(&d->world, pr + (size_t)i * ctx, pl[i], &info)) {
                rc = hh_fail(err, HH_EFAIL, "elo: test prompt %d does not parse", pidx[i]);
                break;
            }
            int L = world_persona_respond(&d->world, &info, PERSONA_HHH, r, buf);
            if (L > RESP_MAX) { L = RESP_MAX; }
            memcpy(S.resp + ((size_t)ci * P + i) * RESP_MAX, buf, (size_t)L);
            S.len[(size_t)ci * P + i] = L;
        }
        gsl_rng_free(r);
    }
    // best-of-n: each bon contestant takes from its seed's pool the best of the first n samples
    // under its selecting PM (n = 1: the first sample); each selecting PM scores the pool once
    for (int ci = 0; !rc && ci < C; ci++) {
        const ElContestant *c = &sp->c[ci];
        if (!elt_bon(c->type) || c->n != 1) continue;
        for (int i = 0; i < P; i++) {
            size_t k = (size_t)c->seed * NP + (size_t)i * Bpool;
            memcpy(S.resp + ((size_t)ci * P + i) * RESP_MAX, presp + k * RESP_MAX, RESP_MAX);
            S.len[(size_t)ci * P + i] = plen[k];
        }
    }
    char *done = calloc((size_t)C + 1, 1);
    if (!rc && !done) rc = hh_fail(err, HH_EFAIL, "elo: out of memory");
    for (int c0 = 0; !rc && c0 < C; c0++) {
        const ElContestant *first = &sp->c[c0];
        if (!elt_bon(first->type) || first->n == 1 || done[c0]) continue;
        const char *path = job_input_key(j, "pm", &first->pm);
        GPT *m = NULL;
        rc = !path ? hh_fail(err, HH_EFAIL, "%s: the selecting PM of %s is missing", j->name, first->name)
                   : lm_load(path, "pm", p, first->pm.scale, 64, &m, err);
        if (!rc) rc = pm_score(m, ppr, ppl, ctx, presp + (size_t)first->seed * NP * RESP_MAX,
                               plen + (size_t)first->seed * NP, P * Bpool, psc, err);
        for (int ci = c0; !rc && ci < C; ci++) {  // every contestant of this pool and PM
            const ElContestant *c = &sp->c[ci];
            if (!elt_bon(c->type) || c->n == 1 || c->seed != first->seed || !key_eq(&c->pm, &first->pm))
                continue;
            done[ci] = 1;
            for (int i = 0; i < P; i++) {
                const double *sc = psc + (size_t)i * Bpool;
                int best = 0;
                for (int b = 1; b < c->n; b++) if (sc[b] > sc[best]) best = b;
                size_t k = (size_t)c->seed * NP + (size_t)i * Bpool + best;
                memcpy(S.resp + ((size_t)ci * P + i) * RESP_MAX, presp + k * RESP_MAX, RESP_MAX);
                S.len[(size_t)ci * P + i] = plen[k];
            }
        }
        gpt_free(m);
    }
    free(done);
    // PM scores of every answer under each seed's train and test PM (each distinct PM once)
    uint8_t *cpr = rc ? NULL : malloc(CP * ctx + 1);
    int32_t *cpl = rc ? NULL : malloc(sizeof(int32_t) * (CP + 1));
    if (!rc && (!cpr || !cpl)) rc = hh_fail(err, HH_EFAIL, "elo: out of memory");
    for (size_t k = 0; !rc && k < CP; k++) {
        memcpy(cpr + k * ctx, pr + (k % P) * ctx, (size_t)ctx);
        cpl[k] = pl[k % P];
    }
    for (int q = 0; !rc && q < 2 * NS; q++) {
        const JobKey *key = q < NS ? &sp->pm[q] : &sp->tpm[q - NS];
        double *out = (q < NS ? S.pms : S.pmt) + (size_t)(q % NS) * CP;
        int prev = -1;  // an earlier row with the same PM: copy its scores
        for (int u = 0; u < q && prev < 0; u++)
            if (key_eq(u < NS ? &sp->pm[u] : &sp->tpm[u - NS], key)) prev = u;
        if (prev >= 0) {
            memcpy(out, (prev < NS ? S.pms : S.pmt) + (size_t)(prev % NS) * CP, CP * sizeof(double));
            continue;
        }
        const char *path = job_input_key(j, "pm", key);
        GPT *m = NULL;
        rc = !path ? hh_fail(err, HH_EFAIL, "%s: the %s PM of seed %d is missing", j->name,
                             q < NS ? "train" : "test", q % NS)
                   : lm_load(path, "pm", p, key->scale, 64, &m, err);
        if (!rc) rc = pm_score(m, cpr, cpl, ctx, S.resp, S.len, (int)CP, out, err);
        gpt_free(m);
    }
    free(cpr);
    free(cpl);
    for (size_t k = 0; !rc && k < CP; k++) {
        GoldScore g;
        eval_gold_one(&d->world, pr + (k % P) * ctx, pl[k % P], S.resp + k * RESP_MAX, S.len[k], &g);
        S.help[k] = g.help;
        S.harm[k] = g.harm;
    }
    // matches
    int Mp = elo_matches(p), npair = C * (C - 1) / 2;
    size_t M = (size_t)2 * npair * Mp;
    int8_t *mk = malloc(M + 1), *mwin = malloc(M + 1);
    int16_t *ma = malloc(sizeof(int16_t) * (M + 1)), *mb = malloc(sizeof(int16_t) * (M + 1));
    int32_t *mp = malloc(sizeof(int32_t) * (M + 1)), *mw = malloc(sizeof(int32_t) * (M + 1));
    int *kp[2] = {malloc(sizeof(int) * ((size_t)P + 1)), malloc(sizeof(int) * ((size_t)P + 1))}, kn[2] = {0, 0};
    Crowd pool = {0, NULL};
    if (!rc && (!mk || !mwin || !ma || !mb || !mp || !mw || !kp[0] || !kp[1]))
        rc = hh_fail(err, HH_EFAIL, "elo: out of memory");
    if (!rc) rc = crowd_init_pool(&pool, p, "crowd/elo_workers", elo_workers(p), p->n_workers, err);
    for (int i = 0; !rc && i < P; i++) {
        int k = pkind[i] >= KIND_REDTEAM;
        kp[k][kn[k]++] = i;
    }
    size_t m = 0;
    double wins_a = 0;
    for (int k = 0; !rc && k < 2; k++) {
        gsl_rng *r = rng_stream_alloc(p->seed, j->name, k ? "matches/harm" : "matches/help");
        for (int a = 0; a < C; a++)
            for (int b = a + 1; b < C; b++)
                for (int q = 0; q < Mp; q++, m++) {
                    int i = kp[k][rng_below(r, (unsigned long)kn[k])];
                    const Worker *w = &pool.w[crowd_pick(&pool, k ? ROLE_HARM : ROLE_HELP, r)];
                    size_t ia = (size_t)a * P + i, ib = (size_t)b * P + i;
                    Seen sa = {S.help[ia], S.harm[ia], S.len[ia]}, sb = {S.help[ib], S.harm[ib], S.len[ib]};
                    int aw = crowd_label(w, &sa, &sb, r);
                    mk[m] = (int8_t)k;
                    ma[m] = (int16_t)a;
                    mb[m] = (int16_t)b;
                    mp[m] = i;
                    mw[m] = w->id;
                    mwin[m] = (int8_t)!aw;
                    wins_a += aw;
                }
        gsl_rng_free(r);
    }
    crowd_free(&pool);
    if (!rc) rc = write_out(p, j, sp, pidx, pkind, &S, (int)M, mk, ma, mb, mp, mw, mwin, err);
    if (!rc) {
        double hh = 0, dh = 0, rf = 0;
        for (int ci = 0; ci < C; ci++)
            for (int i = 0; i < P; i++) {
                double v = S.help[(size_t)ci * P + i] / P;
                if (sp->c[ci].type == ELT_HH) hh += v / NS;
                if (sp->c[ci].type == ELT_DISTILL) dh += v;
                if (sp->c[ci].type == ELT_REF) rf += v;
            }
        progress_done(&pg, "%d contestants, %d prompts (%d help, %d harm), %zu matches (first "
                      "contestant won %.3f); mean gold help: distilled %.3f, HH RLHF %.3f, "
                      "reference %.3f -> %s", C, P, nh, nr, M, M ? wins_a / M : 0, dh, hh, rf, j->out);
    }
    free(mk); free(mwin); free(ma); free(mb); free(mp); free(mw); free(kp[0]); free(kp[1]);
    free(idx); free(pr); free(ppr); free(presp); free(pl); free(ppl); free(plen); free(pidx);
    free(pkind); free(psc);
    samples_free(&S);
    return rc;
}

// ---------------------------------------------------------------------------
// the stage

static const char *elo_off(const Params *p) {
    if (elo_matches(p) == 0) return "[elo] matches = 0";
    if (STAGE_RL.off && STAGE_RL.off(p)) return STAGE_RL.off(p);
    return NULL;
}

static int list_elo(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    for (int k = 0; k < p->rl_policy_scales.n; k++) {
        ElSpec *sp = malloc(sizeof *sp);
        if (!sp) return hh_fail(err, HH_EFAIL, "out of memory");
        if (elo_spec(p, d, stages_default(), p->rl_policy_scales.v[k], sp, err)) {
            free(sp);
            return err->code;
        }
        double nm = (double)sp->nc * (sp->nc - 1) * elo_matches(p);  // 2 kinds x pairs x matches
        if (nm > 50e6) {
            free(sp);
            return hh_fail(err, HH_EINPUT, "[elo] matches = %d: %.0f matches at scale %s; allowed: at "
                           "most 50,000,000 per scale (lower [elo] matches)", elo_matches(p), nm,
                           p->rl_policy_scales.v[k]);
        }
        JobKey key;
        jobkey_init(&key);
        snprintf(key.scale, sizeof key.scale, "%s", sp->scale);
        int nb = 0;  // the best-of-n pool's samples per prompt
        for (int i = 0; i < sp->nc; i++) if (elt_bon(sp->c[i].type) && sp->c[i].n > nb) nb = sp->c[i].n;
        double cost = lm_scale_cost(p, sp->scale) * elo_prompts(p) * (sp->nc + nb * sp->nseeds);
        Job *j = joblist_add(l, &STAGE_ELO, &key, cost, sp, 1, err);
        if (!j) return err->code;
        for (int i = 0; i < sp->nc; i++)
            if (sp->c[i].stage && job_add_input(l, j, sp->c[i].stage, &sp->c[i].src, err)) return err->code;
        for (int s = 0; s < sp->nseeds; s++)
            if (job_add_input(l, j, &STAGE_PM, &sp->pm[s], err) || job_add_input(l, j, &STAGE_PM, &sp->tpm[s], err) ||
                (sp->has_opm && job_add_input(l, j, &STAGE_PM, &sp->opm[s], err)))
                return err->code;
    }
    return 0;
}

static const ParamDesc ELO_KEYS[] = {
    {"elo", "prompts", PT_INT, PARAMS_EXT(ELO_SLOT), "48", 1, 100000, 0, 0,
     "held-out test prompts of each world kind (benign and borderline: helpfulness matches; "
     "red-team and disguised: harmlessness matches); each contestant answers each once"},
    {"elo", "matches", PT_INT, PARAMS_EXT(ELO_SLOT + 1), "12", 0, 100000, 0, 0,
     "matches of each kind (helpfulness, harmlessness) per pair of contestants; 0 switches the "
     "stage off"},
    {"elo", "workers", PT_INT, PARAMS_EXT(ELO_SLOT + 2), "40", 2, 100000, 0, 0,
     "crowdworkers in the held-out judging pool (none labelled PM data); half of each role"},
    {"elo", "bon_max", PT_INT, PARAMS_EXT(ELO_SLOT + 3), "64", 0, 4096, 0, 0,
     "best-of-n contestants at n = 1, 4, 16, ... up to bon_max (samples per prompt drawn from the "
     "distilled model); 0: none"},
};

static const char *const ELO_SECTIONS[] = {"run", "world", "corpus", "crowd", "model", "pretrain",
                                           "distill", "pm", "rl", "online", "elo", NULL};

const StageDef STAGE_ELO = {
    .name = "elo", .subdir = "elo", .kind = "elo",
    .summary = "crowdworker Elo tournaments between RLHF variants, best-of-n and references",
    .reads = "world.h5, distill/SCALE.h5, rl/*.h5, online/*.h5, pm/*.h5",
    .help = "For every [rl] policy scale, the distilled model (and the largest scale's, the\n"
            "anchor), helpful-only and static HH RLHF (each seed), online HH RLHF (each round\n"
            "and seed, when an online stage runs) with, at its scale, static HH RLHF and\n"
            "best-of-n under the online lineage's PM (hh_opm, bon_opm), best-of-n from the\n"
            "distilled model (one pool per seed) under the HH train PM (n = 1, 4, ... [elo]\n"
            "bon_max; largest scale) and the world's HHH reference\n"
            "persona answer [elo] prompts held-out test prompts of each kind; every pair\n"
            "plays [elo] matches helpfulness matches (benign prompts) and harmlessness\n"
            "matches (red-team prompts), judged by a held-out pool of [elo] workers\n"
            "crowdworkers. Writes DIR/elo/SCALE.h5 with every answer, its gold and train/test\n"
            "PM scores\n"
            "and every match. Off when [elo] matches = 0.\n",
    .sections = ELO_SECTIONS, .off = elo_off, .list = list_elo, .run = elo_run,
    .keys = ELO_KEYS, .n_keys = 4};
