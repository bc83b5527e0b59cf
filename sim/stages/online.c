// online.c - see online.h
#include "online.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "crowd.h"
#include "h5io.h"
#include "lm.h"
#include "pm.h"
#include "progress.h"
#include "rl.h"
#include "rng.h"
#include "rollout.h"
#include "world.h"
#include "worldgen.h"

int online_rounds(const Params *p) { return (int)p->ext[ON_SLOT]; }
int online_prompts(const Params *p) { return (int)p->ext[ON_SLOT + 1]; }
int online_bon_n(const Params *p) { return (int)p->ext[ON_SLOT + 2]; }

// One job: the static RL run it continues, the train PM's job, the round.
typedef struct {
    RLJob rl;      // the static HH run (SCALE vs SCALE PM, hh, seed s); for a policy job, modified
    PMJob base;    // the static train PM (pm/..._half0)
    JobKey pm_key; // this round's data + PM job
    int round;
} OnlineJob;

static void data_key(const char *scale, int seed, int round, JobKey *k) {
    jobkey_init(k);
    snprintf(k->scale, sizeof k->scale, "%s", scale);
    snprintf(k->variant, sizeof k->variant, "pm");
    k->seed = seed;
    k->round = round;
}

static void policy_key(const char *scale, int seed, int round, JobKey *k) {
    jobkey_init(k);
    snprintf(k->scale, sizeof k->scale, "%s", scale);
    snprintf(k->pm_scale, sizeof k->pm_scale, "%s", scale);
    snprintf(k->variant, sizeof k->variant, "hh");
    k->seed = seed;
    k->round = round;
}

static const char *online_off(const Params *p) {
    if (online_rounds(p) == 0) return "[online] rounds = 0";
    if (p->online_scales.n == 0) return "[online] scales is empty";
    return STAGE_RL.off ? STAGE_RL.off(p) : NULL;
}

// ---------------------------------------------------------------------------
// the data + PM job

typedef struct {
    int P, ctx;
    uint8_t *pr, *ch, *rj;  // (P, ctx), (P, RESP_MAX) x 2
    int32_t *pl, *cl, *rl, *worker;
    int8_t *kind, *set, *gold;
    double *hc, *hr, *xc, *xr, *s0c, *s0r, *spc, *spr, *stc, *str;
    // the null: best of each half of 2 bon_n samples of the distilled model under the selecting PM
    uint8_t *nresp;          // (2P, RESP_MAX): rows i and P + i are prompt i's two
    int32_t *nl;             // (2P)
    double *nsp, *nst, *nh, *nx;  // (2P) selecting PM's and test PM's scores, gold help, harm
} Round;

static void round_free(Round *r) {
    free(r->pr); free(r->ch); free(r->rj); free(r->pl); free(r->cl); free(r->rl); free(r->worker);
    free(r->kind); free(r->set); free(r->gold);
    free(r->hc); free(r->hr); free(r->xc); free(r->xr); free(r->s0c); free(r->s0r); free(r->spc);
    free(r->spr); free(r->stc); free(r->str);
    free(r->nresp); free(r->nl); free(r->nsp); free(r->nst); free(r->nh); free(r->nx);
    memset(r, 0, sizeof *r);
}

static int round_alloc(Round *r, int P, int ctx) {
    memset(r, 0, sizeof *r);
    r->P = P, r->ctx = ctx;
    size_t n = (size_t)P + 1;
    r->pr = calloc(n, (size_t)ctx), r->ch = calloc(n, RESP_MAX), r->rj = calloc(n, RESP_MAX);
    r->pl = calloc(n, 4), r->cl = calloc(n, 4), r->rl = calloc(n, 4), r->worker = calloc(n, 4);
    r->kind = calloc(n, 1), r->set = calloc(n, 1), r->gold = calloc(n, 1);
    r->nresp = calloc(2 * n, RESP_MAX), r->nl = calloc(2 * n, 4);
    double **d[10] = {&r->hc, &r->hr, &r->xc, &r->xr, &r->s0c, &r->s0r, &r->spc, &r->spr, &r->stc, &r->str};
    double **e[4] = {&r->nsp, &r->nst, &r->nh, &r->nx};
    int ok = r->pr && r->ch && r->rj && r->pl && r->cl && r->rl && r->worker && r->kind && r->set &&
             r->gold && r->nresp && r->nl;
    for (int k = 0; k < 10; k++) ok &= (*d[k] = calloc(n, sizeof(double))) != NULL;
    for (int k = 0; k < 4; k++) ok &= (*e[k] = calloc(2 * n, sizeof(double))) != NULL;
    return ok ? 0 : -1;
}

// Read the comparisons of an earlier round's file (prompts and responses, checked).
static int round_read(const char *path, int ctx, Round *r, HHErr *err) {
    hid_t f;
    if (h5in_open(path, "online", &f, err)) return HH_EINPUT;
    hsize_t dp[2] = {0, (hsize_t)ctx};
    void *pr = NULL, *ch = NULL, *rj = NULL, *pl = NULL, *cl = NULL, *rl = NULL;
    int rc = h5_read(f, path, "online/prompt", H5T_NATIVE_UINT8, 2, dp, &pr, err);
    hsize_t P = dp[0], d1[1] = {P}, dr[2] = {P, RESP_MAX};
    if (!rc) rc = h5_read(f, path, "online/prompt_len", H5T_NATIVE_INT32, 1, d1, &pl, err) ||
                  h5_read(f, path, "online/chosen", H5T_NATIVE_UINT8, 2, dr, &ch, err) ||
                  h5_read(f, path, "online/rejected", H5T_NATIVE_UINT8, 2, dr, &rj, err) ||
                  h5_read(f, path, "online/chosen_len", H5T_NATIVE_INT32, 1, d1, &cl, err) ||
                  h5_read(f, path, "online/rejected_len", H5T_NATIVE_INT32, 1, d1, &rl, err);
    if (!rc) rc = h5_check_int(path, "online/prompt_len", pl, H5_I32, P, 1, ctx, err) ||
                  h5_check_int(path, "online/chosen_len", cl, H5_I32, P, 0, RESP_MAX, err) ||
                  h5_check_int(path, "online/rejected_len", rl, H5_I32, P, 0, RESP_MAX, err);
    H5Fclose(f);
    memset(r, 0, sizeof *r);
    if (!rc) {
        r->P = (int)P, r->ctx = ctx;
        r->pr = pr, r->ch = ch, r->rj = rj, r->pl = pl, r->cl = cl, r->rl = rl;
        return 0;
    }
    free(pr); free(ch); free(rj); free(pl); free(cl); free(rl);
    return rc ? HH_EINPUT : 0;
}

// ---------------------------------------------------------------------------
// fresh prompts (online.h): the base data's kind mix, redrawn within the kind

static const char *const KIND_NAME[N_KINDS] = {"benign", "borderline", "red-team", "disguised"};

// A set of token sequences (open addressing on a 64-bit FNV-1a hash); it
// points into the sequences' storage, which must outlive it.
typedef struct {
    size_t cap;
    const uint8_t **tok;
    int *len;
} SeqHash;

static uint64_t seq_hash(const uint8_t *t, int len) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < len; i++) h = (h ^ t[i]) * 1099511628211ULL;
    return h ^ (uint64_t)len;
}

static int sh_init(SeqHash *s, size_t n) {
    s->cap = 64;
    while (s->cap < 2 * n + 64) s->cap *= 2;
    s->tok = calloc(s->cap, sizeof *s->tok);
    s->len = calloc(s->cap, sizeof *s->len);
    return s->tok && s->len ? 0 : -1;
}

static void sh_free(SeqHash *s) { free(s->tok); free(s->len); memset(s, 0, sizeof *s); }

// 1 when (t, len) is in s; otherwise 0, and with add it is added (s has room by construction).
static int sh_has(SeqHash *s, const uint8_t *t, int len, int add) {
    size_t i = (size_t)seq_hash(t, len) & (s->cap - 1);
    for (; s->tok[i]; i = (i + 1) & (s->cap - 1))
        if (s->len[i] == len && !memcmp(s->tok[i], t, (size_t)len)) return 1;
    if (add) s->tok[i] = t, s->len[i] = len;
    return 0;
}

void online_kind_quota(const int nbase[N_KINDS], int P, int quota[N_KINDS]) {
    long long nb = 0, rem[N_KINDS];
    for (int k = 0; k < N_KINDS; k++) nb += nbase[k] > 0 ? nbase[k] : 0;
    int left = P;
    for (int k = 0; k < N_KINDS; k++) {
        long long x = nb ? (long long)P * (nbase[k] > 0 ? nbase[k] : 0) : 0;
        quota[k] = nb ? (int)(x / nb) : 0;
        rem[k] = nb ? x % nb : 0;
        left -= quota[k];
    }
    if (!nb) quota[KIND_BENIGN] = P, left = 0;
    for (; left > 0; left--) {  // largest remainders first; ties to the lower kind
        int b = 0;
        for (int k = 1; k < N_KINDS; k++) if (rem[k] > rem[b]) b = k;
        quota[b]++, rem[b] = -1;
    }
}

// Kind of every base comparison's prompt (kinds may be NULL) and the counts per kind.
static void base_kinds(const World *w, const PMComp *c, int n, int8_t *kinds, int cnt[N_KINDS]) {
    for (int k = 0; k < N_KINDS; k++) cnt[k] = 0;
    for (int i = 0; i < n; i++) {
        PromptInfo info;
        int k = world_prompt_info(w, c[i].c.p, c[i].c.pl, &info) ? KIND_BENIGN : (int)info.kind;
        if (k < 0 || k >= N_KINDS) k = KIND_BENIGN;
        if (kinds) kinds[i] = (int8_t)k;
        cnt[k]++;
    }
}

// The fresh prompts of rounds 1 .. round of (scale, seed), each round's from
// the stream (seed, "online/SCALE_pm_sS_rJ", "prompts"): the kinds of the
// round's [online] prompts prompts are the base data's mix (online_kind_quota
// of nbase, in an order shuffled on that stream); each prompt is drawn within
// its kind until it is in none of the world's train and test prompt sets, the
// earlier rounds' prompts and the round's own, at most ON_DRAWS draws; a kind
// that cannot supply its quota fails (HH_EINPUT, one line). The last round's
// prompts go to pr (P, ctx), pl, kind; its quota and draws per kind to
// quota, draws (either may be NULL).
#define ON_DRAWS 1000
static int draw_prompts(const Params *p, const WorldData *d, const int nbase[N_KINDS], const char *sc,
                        int seed, int round, uint8_t *pr, int32_t *pl, int8_t *kind, int *quota,
                        double *draws, HHErr *err) {
    int P = online_prompts(p), ctx = p->ctx, q[N_KINDS];
    online_kind_quota(nbase, P, q);
    const SeqSet *tr = &d->prompts[SPLIT_TRAIN], *te = &d->prompts[SPLIT_TEST];
    SeqHash h = {0};
    uint8_t *all = malloc((size_t)round * P * ctx + 1);
    int32_t *len = malloc(sizeof(int32_t) * ((size_t)round * P + 1));
    int *order = malloc(sizeof(int) * ((size_t)P + 1)), rc = 0;
    if (!all || !len || !order || sh_init(&h, (size_t)tr->n + te->n + (size_t)round * P))
        rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int i = 0; !rc && i < tr->n; i++) sh_has(&h, tr->tok + (size_t)i * tr->ctx, tr->len[i], 1);
    for (int i = 0; !rc && i < te->n; i++) sh_has(&h, te->tok + (size_t)i * te->ctx, te->len[i], 1);
    uint8_t tok[1024];
    for (int j = 1; !rc && j <= round; j++) {
        JobKey k;
        char stem[128], job[160];
        data_key(sc, seed, j, &k);
        if (jobkey_stem(&k, stem, sizeof stem, err)) { rc = err->code; break; }
        snprintf(job, sizeof job, "online/%s", stem);
        gsl_rng *g = rng_stream_alloc(p->seed, job, "prompts");
        if (!g) { rc = hh_fail(err, HH_EFAIL, "out of memory"); break; }
        int n = 0, got[N_KINDS] = {0};
        double dr[N_KINDS] = {0};
        for (int c = 0; c < N_KINDS; c++)
            for (int i = 0; i < q[c]; i++) order[n++] = c;
        for (int i = n - 1; i > 0; i--) {  // Fisher-Yates
            int x = (int)rng_below(g, (unsigned long)i + 1), t = order[i];
            order[i] = order[x], order[x] = t;
        }
        for (int i = 0; !rc && i < P; i++) {
            PromptKind want = (PromptKind)order[i];
            uint8_t *dst = all + ((size_t)(j - 1) * P + i) * ctx;
            int t = 0, l = 0;
            for (; t < ON_DRAWS; t++) {
                l = world_sample_prompt(&d->world, p, g, want, 0, tok);
                dr[want]++;
                if (l > ctx) {
                    rc = hh_fail(err, HH_EINPUT, "%s: a %s prompt of %d tokens exceeds [model] ctx %d", job,
                                 KIND_NAME[want], l, ctx);
                    break;
                }
                PromptInfo info;
                if (world_prompt_info(&d->world, tok, l, &info) || info.kind != want) continue;
                memset(dst, TOK_PAD, (size_t)ctx);
                memcpy(dst, tok, (size_t)l);
                if (!sh_has(&h, dst, l, 1)) break;
            }
            if (!rc && t == ON_DRAWS)
                rc = hh_fail(err, HH_EINPUT, "[online] prompts = %d: kind %s (round %d, seed %d, scale %s) has "
                             "only %d fresh prompts of its quota %d (the base data's mix): %d draws in a row "
                             "were all in the world's train or test prompt sets or drawn before; lower "
                             "[online] prompts or rounds", P, KIND_NAME[want], j, seed, sc, got[want],
                             q[want], ON_DRAWS);
            len[(size_t)(j - 1) * P + i] = l;
            got[want]++;
            if (j == round && kind) kind[i] = (int8_t)want;
        }
        gsl_rng_free(g);
        if (!rc && j == round) {
            if (pr) memcpy(pr, all + (size_t)(j - 1) * P * ctx, (size_t)P * ctx);
            if (pl) memcpy(pl, len + (size_t)(j - 1) * P, sizeof(int32_t) * (size_t)P);
            for (int c = 0; c < N_KINDS; c++) {
                if (quota) quota[c] = q[c];
                if (draws) draws[c] = dr[c];
            }
        }
    }
    sh_free(&h);
    free(all); free(len); free(order);
    return rc;
}

static double quantile75(const double *v, size_t n) {
    double *s = malloc(sizeof(double) * (n + 1));
    if (!s || n == 0) { free(s); return NAN; }
    memcpy(s, v, sizeof(double) * n);
    gsl_sort(s, 1, n);
    double q = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.75);
    free(s);
    return q;
}

static int write_d(hid_t f, const char *name, const double *v, size_t n, const char *units,
                   const char *desc, HHErr *err) {
    hsize_t d[1] = {n};
    return h5_write(f, name, H5T_NATIVE_DOUBLE, 1, d, v, units, desc, err);
}

typedef struct {
    int n_base, n_train, best_epoch, n_tail;
    double q75_0, q75_p, share0, base_share0, tail_crowd, tail_gold, acc_crowd, acc_gold;
    double q75_t, share_t, null_share_t, base_share_t;  // under the independent (test) PM
    int quota[N_KINDS];
    double draws[N_KINDS];
} RoundStats;

static int write_round(hid_t f, const Round *r, const double *base0, const double *baset,
                       const int8_t *bkind, int nb, const RoundStats *s, int round, HHErr *err) {
    hsize_t P = (hsize_t)r->P, dp[2] = {P, (hsize_t)r->ctx}, dr[2] = {P, RESP_MAX}, d1[1] = {P};
    hsize_t dn[2] = {2 * P, RESP_MAX}, d2[1] = {2 * P}, dk[1] = {N_KINDS}, db[1] = {(hsize_t)nb};
    int32_t quota[N_KINDS];
    for (int k = 0; k < N_KINDS; k++) quota[k] = s->quota[k];
    int rc = h5_write(f, "online/prompt", H5T_NATIVE_UINT8, 2, dp, r->pr, "tokens",
                      "fresh prompts of the round (PAD after prompt_len)", err) ||
             h5_write(f, "online/prompt_len", H5T_NATIVE_INT32, 1, d1, r->pl, "tokens", "prompt lengths", err) ||
             h5_write(f, "online/kind", H5T_NATIVE_INT8, 1, d1, r->kind, "enum",
                      "prompt kind: 0 benign, 1 borderline, 2 red-team, 3 disguised", err) ||
             h5_write(f, "online/kind_quota", H5T_NATIVE_INT32, 1, dk, quota, "prompts",
                      "prompts of each kind (0 benign .. 3 disguised): the base data's kind mix apportioned "
                      "over [online] prompts (largest remainders)", err) ||
             h5_write(f, "online/kind_draws", H5T_NATIVE_DOUBLE, 1, dk, s->draws, "draws",
                      "prompt draws of each kind (redraws: a draw in the world's train or test prompt sets, "
                      "an earlier round's or this round's prompts)", err) ||
             h5_write(f, "online/base_kind", H5T_NATIVE_INT8, 1, db, bkind, "enum",
                      "prompt kind of every base comparison (the static train PM's training data)", err) ||
             h5_write(f, "online/set", H5T_NATIVE_INT8, 1, d1, r->set, "enum",
                      "0 helpful (helpfulness worker), 1 harmless (red-team worker)", err) ||
             h5_write(f, "online/worker", H5T_NATIVE_INT32, 1, d1, r->worker, "worker id",
                      "crowdworker who labelled the pair", err) ||
             h5_write(f, "online/chosen", H5T_NATIVE_UINT8, 2, dr, r->ch, "tokens",
                      "the crowdworker's pick (PAD after chosen_len)", err) ||
             h5_write(f, "online/rejected", H5T_NATIVE_UINT8, 2, dr, r->rj, "tokens",
                      "the other response", err) ||
             h5_write(f, "online/chosen_len", H5T_NATIVE_INT32, 1, d1, r->cl, "tokens", "chosen lengths", err) ||
             h5_write(f, "online/rejected_len", H5T_NATIVE_INT32, 1, d1, r->rl, "tokens", "rejected lengths", err) ||
             h5_write(f, "online/gold", H5T_NATIVE_INT8, 1, d1, r->gold, "sign",
                      "+1 chosen is gold-better under the worker's criterion, -1 rejected is, 0 tie", err) ||
             write_d(f, "online/help_chosen", r->hc, P, "gold help [0,1]", "gold help of the chosen response", err) ||
             write_d(f, "online/help_rejected", r->hr, P, "gold help [0,1]", "gold help of the rejected response", err) ||
             write_d(f, "online/harm_chosen", r->xc, P, "gold harm [0,1]", "gold harm of the chosen response", err) ||
             write_d(f, "online/harm_rejected", r->xr, P, "gold harm [0,1]", "gold harm of the rejected response", err) ||
             write_d(f, "online/score0_chosen", r->s0c, P, "PM score", "static train PM's score of the chosen response", err) ||
             write_d(f, "online/score0_rejected", r->s0r, P, "PM score", "static train PM's score of the rejected response", err) ||
             write_d(f, "online/scorep_chosen", r->spc, P, "PM score",
                     "previous PM's score (the PM that picked the best of bon_n) of the chosen response", err) ||
             write_d(f, "online/scorep_rejected", r->spr, P, "PM score",
                     "previous PM's score of the rejected response", err) ||
             write_d(f, "online/scoret_chosen", r->stc, P, "PM score",
                     "independent PM's score (the static test PM, half 1: never selected on) of the chosen response",
                     err) ||
             write_d(f, "online/scoret_rejected", r->str, P, "PM score",
                     "independent PM's score of the rejected response", err) ||
             write_d(f, "online/base_score0", base0, 2 * (size_t)nb, "PM score",
                     "static train PM's scores of the chosen then the rejected responses of its own "
                     "training data (the base data)", err) ||
             write_d(f, "online/base_scoret", baset, 2 * (size_t)nb, "PM score",
                     "independent PM's scores of the base data (chosen then rejected)", err) ||
             h5_write(f, "online/null_response", H5T_NATIVE_UINT8, 2, dn, r->nresp, "tokens",
                      "the null: rows i and P + i are the best of each half of 2 bon_n samples of the distilled "
                      "model on prompt i under the selecting (previous) PM (PAD after null_len)", err) ||
             h5_write(f, "online/null_len", H5T_NATIVE_INT32, 1, d2, r->nl, "tokens", "null response lengths", err) ||
             write_d(f, "online/null_scorep", r->nsp, 2 * P, "PM score", "selecting PM's score of each null response",
                     err) ||
             write_d(f, "online/null_scoret", r->nst, 2 * P, "PM score",
                     "independent PM's score of each null response", err) ||
             write_d(f, "online/null_help", r->nh, 2 * P, "gold help [0,1]", "gold help of each null response", err) ||
             write_d(f, "online/null_harm", r->nx, 2 * P, "gold harm [0,1]", "gold harm of each null response", err);
    struct { const char *n; double v; } A[] = {
        {"round", round}, {"n_base", s->n_base}, {"n_train", s->n_train}, {"best_epoch", s->best_epoch},
        {"n_tail", s->n_tail}, {"q75_base0", s->q75_0}, {"q75_basep", s->q75_p},
        {"share_above0", s->share0}, {"base_share_above0", s->base_share0},
        {"tail_acc_crowd", s->tail_crowd}, {"tail_acc_gold", s->tail_gold},
        {"acc_crowd", s->acc_crowd}, {"acc_gold", s->acc_gold}, {"q75_baset", s->q75_t},
        {"share_abovet", s->share_t}, {"null_share_abovet", s->null_share_t},
        {"base_share_abovet", s->base_share_t}, {"tail_vs_null", s->share_t - s->null_share_t}};
    for (size_t i = 0; !rc && i < sizeof A / sizeof A[0]; i++)
        rc = h5_attr_double(f, "online", A[i].n, A[i].v, err);
    if (!rc) rc = h5_attr_str(f, "online", "description",
                              "round statistics (online.h): q75 = 75th percentile of the base data's "
                              "response scores; tail = pairs with both responses above the previous "
                              "PM's q75_basep; accuracies of the previous PM (ties 1/2; gold ties skipped); "
                              "*t = under the independent test PM: share of the round's compared responses "
                              "and of the null's above q75_baset, tail_vs_null their difference",
                              err);
    return rc;
}

// The previous PM's accuracy on pairs (all, or the upper tail above q).
static void accuracies(const Round *r, double q, RoundStats *s) {
    double a[2][2] = {{0, 0}, {0, 0}}, n[2][2] = {{0, 0}, {0, 0}};  // [all, tail][crowd, gold]
    for (int i = 0; i < r->P; i++) {
        double d = r->spc[i] - r->spr[i], c = d > 0 ? 1 : d == 0 ? 0.5 : 0;
        int tail = r->spc[i] > q && r->spr[i] > q;
        for (int t = 0; t <= tail; t++) {
            a[t][0] += c, n[t][0]++;
            if (r->gold[i]) a[t][1] += r->gold[i] > 0 ? c : 1 - c, n[t][1]++;
        }
    }
    s->acc_crowd = n[0][0] ? a[0][0] / n[0][0] : NAN;
    s->acc_gold = n[0][1] ? a[0][1] / n[0][1] : NAN;
    s->tail_crowd = n[1][0] ? a[1][0] / n[1][0] : NAN;
    s->tail_gold = n[1][1] ? a[1][1] / n[1][1] : NAN;
    s->n_tail = (int)n[1][0];
}

// The models of a data job: the current policy and the selecting PM (round
// 1: the static HH policy and its train PM; round k: round k-1's), the static
// train PM, the independent test PM (the static HH run's pm_key[1], half 1)
// and the distilled LM (the null's sampler).
static int load_models(const Params *p, const Job *jb, const OnlineJob *oj, GPT **pol, GPT **pm0,
                       GPT **pmp, GPT **pmt, GPT **dist, HHErr *err) {
    const char *sc = oj->rl.policy;
    JobKey pk, mk, dk;
    const char *ppath, *mpath, *bpath = job_input_key(jb, "pm", &oj->rl.pm_key[0]);
    const char *tpath = job_input_key(jb, "pm", &oj->rl.pm_key[1]);
    jobkey_init(&dk);
    snprintf(dk.scale, sizeof dk.scale, "%s", sc);
    const char *dpath = job_input_key(jb, "distill", &dk);
    if (oj->round == 1) {
        JobKey rk;
        policy_key(sc, oj->rl.seed, -1, &rk);
        ppath = job_input_key(jb, "rl", &rk);
        mpath = bpath;
    } else {
        policy_key(sc, oj->rl.seed, oj->round - 1, &pk);
        data_key(sc, oj->rl.seed, oj->round - 1, &mk);
        ppath = job_input_key(jb, "online", &pk);
        mpath = job_input_key(jb, "online", &mk);
    }
    if (!ppath || !mpath || !bpath || !tpath || !dpath)
        return hh_fail(err, HH_EFAIL, "%s: an input (policy, PM of the previous round, test PM or distilled "
                       "LM) is missing", jb->name);
    return lm_load(ppath, "rl", p, sc, 64, pol, err) || lm_load(bpath, "pm", p, sc, 64, pm0, err) ||
           lm_load(mpath, oj->round == 1 ? "pm" : "online", p, sc, 64, pmp, err) ||
           lm_load(tpath, "pm", p, sc, 64, pmt, err) || lm_load(dpath, "distill", p, sc, 64, dist, err)
               ? HH_EINPUT : 0;
}

// 2 bon_n samples per prompt of model m (stream component comp; prompts
// spr/spl replicated 2K times), scored by the selecting PM pmp into ss.
static int sample_scored(GPT *m, GPT *pmp, const Params *p, const char *job, const char *comp, const uint8_t *spr,
                         const int32_t *spl, size_t N, uint8_t *sresp, int32_t *srl, double *ss, HHErr *err) {
    GPTCache *cache = gpt_cache_alloc(&m->cfg, 64, err);
    if (!cache) return HH_EFAIL;
    gsl_rng *g = rng_stream_alloc(p->seed, job, comp);
    RolloutOpts ro = {1.0f, 0, RESP_MAX, 0, 0};
    int rc = !g ? hh_fail(err, HH_EFAIL, "out of memory")
                : rollout_generate(m, cache, spr, spl, (int)N, p->ctx, &ro, g, sresp, srl, err);
    gsl_rng_free(g);
    gpt_cache_free(cache);
    if (!rc) rc = pm_score(pmp, spr, spl, p->ctx, sresp, srl, (int)N, ss, err);
    return rc;
}

// The best (first of ties) of samples [i 2K + h K, i 2K + (h + 1) K) by ss.
static size_t best_of(const double *ss, int i, int h, int K) {
    size_t b = (size_t)i * 2 * K + (size_t)h * K;
    for (int k = 1; k < K; k++)
        if (ss[(size_t)i * 2 * K + (size_t)h * K + k] > ss[b]) b = (size_t)i * 2 * K + (size_t)h * K + k;
    return b;
}

static double share_above(const double *x, size_t n, double q) {
    double a = 0;
    for (size_t i = 0; i < n; i++) a += x[i] > q;
    return n ? a / (double)n : NAN;
}

static int run_data(const Params *p, const WorldData *d, const Job *jb, const StageOpts *so, HHErr *err) {
    const OnlineJob *oj = jb->spec;
    const char *job = jb->name, *sc = oj->rl.policy;
    int P = online_prompts(p), K = online_bon_n(p), ctx = p->ctx;
    size_t N = (size_t)P * 2 * K;
    GPT *pol = NULL, *pm0 = NULL, *pmp = NULL, *pmt = NULL, *dist = NULL, *m = NULL;
    Round r = {0}, *prev = NULL;
    PMComp *base = NULL, *all = NULL;
    double *base0 = NULL, *basep = NULL, *baset = NULL, *ss = NULL;
    int8_t *bkind = NULL;
    uint8_t *spr = NULL, *sresp = NULL;
    int32_t *spl = NULL, *srl = NULL;
    int nb = 0, nval = 0, nprev = oj->round - 1, rc = 0, nbase[N_KINDS];
    RoundStats st = {0};
    Progress pg;
    char label[192];
    snprintf(label, sizeof label, "online %s:", job);
    progress_start(&pg, label, 5, so->quiet);
    rc = load_models(p, jb, oj, &pol, &pm0, &pmp, &pmt, &dist, err);
    if (!rc && round_alloc(&r, P, ctx)) rc = hh_fail(err, HH_EFAIL, "out of memory");
    // 0. the base data and its kinds
    if (!rc) rc = pm_gather(p, d, &oj->base, job, &base, &nb, &nval, err);
    bkind = rc ? NULL : malloc((size_t)nb + 1);
    if (!rc && !bkind) rc = hh_fail(err, HH_EFAIL, "out of memory");
    if (!rc) base_kinds(&d->world, base, nb, bkind, nbase);
    // 1. fresh prompts in the base data's kind mix
    if (!rc) rc = draw_prompts(p, d, nbase, sc, oj->rl.seed, oj->round, r.pr, r.pl, r.kind, st.quota, st.draws, err);
    // 2. samples, best of each half under the previous PM
    spr = malloc(N * ctx), sresp = malloc(N * RESP_MAX);
    spl = malloc(sizeof(int32_t) * N), srl = malloc(sizeof(int32_t) * N);
    ss = malloc(sizeof(double) * N);
    if (!rc && (!spr || !sresp || !spl || !srl || !ss)) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (size_t i = 0; !rc && i < N; i++) {
        memcpy(spr + i * ctx, r.pr + (i / (2 * K)) * ctx, (size_t)ctx);
        spl[i] = r.pl[i / (2 * K)];
    }
    if (!rc) rc = sample_scored(pol, pmp, p, job, "sample", spr, spl, N, sresp, srl, ss, err);
    progress_update(&pg, 1, "sampled %zu responses", N);
    // 3. labels (worldgen_label: as every comparison of the world is labelled)
    gsl_rng *g = rc ? NULL : rng_stream_alloc(p->seed, job, "label");
    if (!rc && !g) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int i = 0; !rc && i < P; i++) {
        size_t best[2] = {best_of(ss, i, 0, K), best_of(ss, i, 1, K)};
        PromptInfo info;
        world_prompt_info(&d->world, r.pr + (size_t)i * ctx, r.pl[i], &info);
        WorkerRole role = info.kind >= KIND_REDTEAM ? ROLE_HARM : ROLE_HELP;
        int wi = crowd_pick(&d->crowd, role, g);
        const Worker *wk = &d->crowd.w[wi];
        WorldLabel L = worldgen_label(&d->world, &info, wk, sresp + best[0] * RESP_MAX, srl[best[0]],
                                      sresp + best[1] * RESP_MAX, srl[best[1]], g);
        size_t c = L.a_chosen ? best[0] : best[1], x = L.a_chosen ? best[1] : best[0];
        memset(r.ch + (size_t)i * RESP_MAX, TOK_PAD, RESP_MAX);
        memset(r.rj + (size_t)i * RESP_MAX, TOK_PAD, RESP_MAX);
        memcpy(r.ch + (size_t)i * RESP_MAX, sresp + c * RESP_MAX, (size_t)srl[c]);
        memcpy(r.rj + (size_t)i * RESP_MAX, sresp + x * RESP_MAX, (size_t)srl[x]);
        r.cl[i] = srl[c], r.rl[i] = srl[x];
        r.set[i] = role == ROLE_HARM ? SET_HARMLESS : SET_HELPFUL;
        r.worker[i] = wi;
        r.gold[i] = (int8_t)L.gold;
        r.hc[i] = L.chosen.help, r.hr[i] = L.rejected.help, r.xc[i] = L.chosen.harm, r.xr[i] = L.rejected.harm;
        r.spc[i] = ss[c], r.spr[i] = ss[x];
    }
    gsl_rng_free(g);
    progress_update(&pg, 2, "labelled %d pairs", P);
    // 4. the null: the same prompts, the distilled LM, the same selecting PM (sample buffers reused)
    if (!rc) rc = sample_scored(dist, pmp, p, job, "null/sample", spr, spl, N, sresp, srl, ss, err);
    for (int i = 0; !rc && i < P; i++) {
        PromptInfo info;
        world_prompt_info(&d->world, r.pr + (size_t)i * ctx, r.pl[i], &info);
        for (int h = 0; h < 2; h++) {
            size_t b = best_of(ss, i, h, K), o = (size_t)h * P + i;
            memset(r.nresp + o * RESP_MAX, TOK_PAD, RESP_MAX);
            memcpy(r.nresp + o * RESP_MAX, sresp + b * RESP_MAX, (size_t)srl[b]);
            r.nl[o] = srl[b], r.nsp[o] = ss[b];
            r.nh[o] = world_help(&d->world, &info, sresp + b * RESP_MAX, srl[b]);
            r.nx[o] = world_harm(&info, sresp + b * RESP_MAX, srl[b]);
        }
    }
    // scores under the static train PM and the independent test PM (the round's responses, the
    // null's and the base data)
    if (!rc) rc = pm_score(pm0, r.pr, r.pl, ctx, r.ch, r.cl, P, r.s0c, err) ||
                  pm_score(pm0, r.pr, r.pl, ctx, r.rj, r.rl, P, r.s0r, err) ||
                  pm_score(pmt, r.pr, r.pl, ctx, r.ch, r.cl, P, r.stc, err) ||
                  pm_score(pmt, r.pr, r.pl, ctx, r.rj, r.rl, P, r.str, err);
    for (int h = 0; !rc && h < 2; h++)
        rc = pm_score(pmt, r.pr, r.pl, ctx, r.nresp + (size_t)h * P * RESP_MAX, r.nl + (size_t)h * P, P,
                      r.nst + (size_t)h * P, err);
    size_t n2 = 2 * (size_t)nb + 1;
    base0 = malloc(sizeof(double) * n2), basep = malloc(sizeof(double) * n2), baset = malloc(sizeof(double) * n2);
    uint8_t *bp = malloc(n2 * ctx), *br = malloc(n2 * RESP_MAX);
    int32_t *bpl = malloc(sizeof(int32_t) * n2), *brl = malloc(sizeof(int32_t) * n2);
    if (!rc && (!base0 || !basep || !baset || !bp || !br || !bpl || !brl)) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int i = 0; !rc && i < 2 * nb; i++) {
        const PMPair *q = i < nb ? &base[i].c : &base[i - nb].r;
        int pl = q->pl < ctx ? q->pl : ctx, rl = q->rl < RESP_MAX ? q->rl : RESP_MAX;
        memset(bp + (size_t)i * ctx, TOK_PAD, (size_t)ctx);
        memset(br + (size_t)i * RESP_MAX, TOK_PAD, RESP_MAX);
        memcpy(bp + (size_t)i * ctx, q->p, (size_t)pl);
        memcpy(br + (size_t)i * RESP_MAX, q->r, (size_t)rl);
        bpl[i] = pl, brl[i] = rl;
    }
    if (!rc) rc = pm_score(pm0, bp, bpl, ctx, br, brl, 2 * nb, base0, err) ||
                  pm_score(pmt, bp, bpl, ctx, br, brl, 2 * nb, baset, err);
    if (!rc && oj->round > 1) rc = pm_score(pmp, bp, bpl, ctx, br, brl, 2 * nb, basep, err);
    else if (!rc) memcpy(basep, base0, sizeof(double) * 2 * (size_t)nb);
    free(bp); free(br); free(bpl); free(brl);
    if (!rc) {
        st.n_base = nb;
        st.q75_0 = quantile75(base0, 2 * (size_t)nb);
        st.q75_p = quantile75(basep, 2 * (size_t)nb);
        st.q75_t = quantile75(baset, 2 * (size_t)nb);
        double a = 0;
        for (int i = 0; i < P; i++) a += (r.s0c[i] > st.q75_0) + (r.s0r[i] > st.q75_0);
        st.share0 = a / (2.0 * P);
        st.base_share0 = share_above(base0, 2 * (size_t)nb, st.q75_0);
        a = 0;
        for (int i = 0; i < P; i++) a += (r.stc[i] > st.q75_t) + (r.str[i] > st.q75_t);
        st.share_t = a / (2.0 * P);
        st.null_share_t = share_above(r.nst, 2 * (size_t)P, st.q75_t);
        st.base_share_t = share_above(baset, 2 * (size_t)nb, st.q75_t);
        accuracies(&r, st.q75_p, &st);
    }
    progress_update(&pg, 3, "null sampled and scored; share above the test PM's base q75 %.3f (null %.3f)",
                    st.share_t, st.null_share_t);
    // 5. the round's PM: base data + every online comparison of rounds 1 .. k
    prev = calloc((size_t)nprev + 1, sizeof *prev);
    if (!rc && !prev) rc = hh_fail(err, HH_EFAIL, "out of memory");
    int ntot = nb + P;
    for (int k = 1; !rc && k < oj->round; k++) {
        JobKey dk;
        data_key(sc, oj->rl.seed, k, &dk);
        const char *path = job_input_key(jb, "online", &dk);
        rc = !path ? hh_fail(err, HH_EFAIL, "%s: round %d's data is missing from the job", job, k)
                   : round_read(path, ctx, &prev[k - 1], err);
        if (!rc) ntot += prev[k - 1].P;
    }
    all = malloc(sizeof(PMComp) * ((size_t)ntot + 1));
    if (!rc && !all) rc = hh_fail(err, HH_EFAIL, "out of memory");
    int na = 0;
    if (!rc) {
        memcpy(all, base, sizeof(PMComp) * (size_t)nb);
        na = nb;
        for (int k = 0; k <= nprev; k++) {
            const Round *q = k < nprev ? &prev[k] : &r;
            for (int i = 0; i < q->P; i++)
                all[na++] = (PMComp){{q->pr + (size_t)i * ctx, q->ch + (size_t)i * RESP_MAX, q->pl[i], q->cl[i]},
                                     {q->pr + (size_t)i * ctx, q->rj + (size_t)i * RESP_MAX, q->pl[i], q->rl[i]}};
        }
    }
    const char *in = job_input(jb, oj->base.pmp ? "pmp" : "pretrain");
    if (!rc) rc = !in ? hh_fail(err, HH_EFAIL, "%s: the PM's start model is missing", job)
                      : lm_load(in, oj->base.pmp ? "pmp" : "lm", p, sc, 2 * p->pm_batch, &m, err);
    if (!rc) rc = pm_retrain(p, &oj->base, job, m, all, na, nval, &st.best_epoch, err);
    st.n_train = na;
    progress_update(&pg, 4, "PM trained on %d comparisons", na);
    H5Out o;
    if (!rc) rc = job_mkdir(jb, err);
    if (!rc && !(rc = h5out_create(&o, jb->out, "online", p, err))) {
        hid_t gr = h5_group(o.file, "job", err);
        if (gr >= 0) H5Gclose(gr);
        rc = gr < 0 || jobkey_write(o.file, &jb->key, err) || lm_write_model(o.file, m, sc, err) ||
             h5_attr_str(o.file, "job", "base_pm", oj->base.name, err) ||
             h5_attr_str(o.file, "job", "test_pm", oj->rl.test_pm, err) ||
             write_round(o.file, &r, base0, baset, bkind, nb, &st, oj->round, err);
        if (rc) { h5out_abort(&o); rc = HH_EFAIL; }
        else rc = h5out_commit(&o, err);
    }
    if (!rc)
        progress_done(&pg, "%d pairs, share above base q75 %.3f (base %.3f); test PM: share above its base "
                      "q75 %.3f, null %.3f; upper tail n=%d: previous PM acc crowd %.3f gold %.3f; PM on %d "
                      "comparisons -> %s", P, st.share0, st.base_share0, st.share_t, st.null_share_t,
                      st.n_tail, st.tail_crowd, st.tail_gold, na, jb->out);
    for (int k = 0; prev && k < nprev; k++) round_free(&prev[k]);
    free(prev);
    round_free(&r);
    free(all); free(base); free(base0); free(basep); free(baset); free(bkind); free(ss);
    free(spr); free(sresp); free(spl); free(srl);
    gpt_free(pol); gpt_free(pm0); gpt_free(pmp); gpt_free(pmt); gpt_free(dist); gpt_free(m);
    return rc;
}

static int run_online(const Params *p, const WorldData *d, const Job *j, const StageOpts *so, HHErr *err) {
    if (!strcmp(j->key.variant, "pm")) return run_data(p, d, j, so, err);
    const OnlineJob *oj = j->spec;
    Job copy = *j;
    copy.spec = &oj->rl;  // rl_train reads an RLJob
    return rl_train(p, d, &copy, so, err);
}

// ---------------------------------------------------------------------------
// jobs

static int list_online(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    RLJob *rj = NULL;
    PMJob *pj = NULL;
    int n = 0, npj = 0, rc = rl_jobs(p, d, &rj, &n, err);
    if (!rc) rc = pm_jobs(p, d, &pj, &npj, err);
    int R = online_rounds(p);
    for (int si = 0; !rc && si < p->online_scales.n; si++) {
        const char *sc = p->online_scales.v[si];
        for (int s = 0; !rc && s < p->rl_seeds; s++) {
            const RLJob *base = NULL;
            for (int i = 0; i < n && !base; i++)
                if (!strcmp(rj[i].policy, sc) && !strcmp(rj[i].pm_scale, sc) &&
                    !strcmp(rj[i].variant, "hh") && rj[i].seed == s)
                    base = &rj[i];
            const PMJob *bpm = NULL;
            for (int i = 0; base && i < npj && !bpm; i++)
                if (!strcmp(pj[i].name, base->train_pm)) bpm = &pj[i];
            if (!base || !bpm) {
                rc = hh_fail(err, HH_EINPUT, "[online] scales: '%s' needs the static HH run of that "
                             "policy against its own-scale PM ([rl] policy_scales and [pm] scales "
                             "containing it, [rl] variants containing hh)", sc);
                break;
            }
            // every round's fresh prompts can be drawn (a kind short of fresh prompts fails here,
            // before any job runs)
            PMComp *bc = NULL;
            int nbc = 0, nbv = 0, nbase[N_KINDS];
            rc = pm_gather(p, d, bpm, "online/kinds", &bc, &nbc, &nbv, err);
            if (!rc) base_kinds(&d->world, bc, nbc, NULL, nbase);
            free(bc);
            if (!rc) rc = draw_prompts(p, d, nbase, sc, s, R, NULL, NULL, NULL, NULL, NULL, err);
            if (rc) break;
            double cpm = lm_scale_cost(p, sc) * ((double)p->pm_epochs * (bpm->n_help + bpm->n_harm) +
                                                 4.0 * online_prompts(p) * online_bon_n(p));
            double cpol = lm_scale_cost(p, sc) * p->rl_iters * p->rl_batch;
            for (int k1 = 1; !rc && k1 <= R; k1++) {
                // data + PM
                OnlineJob *dj = calloc(1, sizeof *dj);
                if (!dj) { rc = hh_fail(err, HH_EFAIL, "out of memory"); break; }
                dj->rl = *base, dj->base = *bpm, dj->round = k1;
                data_key(sc, s, k1, &dj->pm_key);
                Job *j = joblist_add(l, &STAGE_ONLINE, &dj->pm_key, cpm, dj, 1, err);
                JobKey lm, pol, prev;
                jobkey_init(&lm);
                snprintf(lm.scale, sizeof lm.scale, "%s", sc);
                if (bpm->pmp) lm.seed = bpm->seed;
                JobKey dl0;
                jobkey_init(&dl0);
                snprintf(dl0.scale, sizeof dl0.scale, "%s", sc);
                rc = !j || job_add_input(l, j, bpm->pmp ? &STAGE_PMP : &STAGE_PRETRAIN, &lm, err) ||
                     job_add_input(l, j, &STAGE_PM, &base->pm_key[0], err) ||
                     job_add_input(l, j, &STAGE_PM, &base->pm_key[1], err) ||
                     job_add_input(l, j, &STAGE_DISTILL, &dl0, err);
                if (!rc && k1 == 1) {
                    policy_key(sc, s, -1, &pol);
                    rc = job_add_input(l, j, &STAGE_RL, &pol, err);
                } else if (!rc) {
                    policy_key(sc, s, k1 - 1, &pol);
                    rc = job_add_input(l, j, &STAGE_ONLINE, &pol, err);
                    for (int q = 1; !rc && q < k1; q++)
                        data_key(sc, s, q, &prev), rc = job_add_input(l, j, &STAGE_ONLINE, &prev, err);
                }
                // policy
                OnlineJob *pjb = calloc(1, sizeof *pjb);
                if (!rc && !pjb) rc = hh_fail(err, HH_EFAIL, "out of memory");
                if (rc) { free(pjb); break; }
                *pjb = *dj;
                RLJob *q = &pjb->rl;
                q->pm_key[0] = dj->pm_key;
                jobkey_stem(&dj->pm_key, q->train_pm, sizeof q->train_pm, err);
                snprintf(q->pm_stage, sizeof q->pm_stage, "online");
                JobKey key;
                policy_key(sc, s, k1, &key);
                char stem[128];
                jobkey_stem(&key, stem, sizeof stem, err);
                snprintf(q->name, sizeof q->name, "%s", stem);
                snprintf(q->stream, sizeof q->stream, "online/%s", stem);
                Job *pjj = joblist_add(l, &STAGE_ONLINE, &key, cpol, pjb, 1, err);
                JobKey dl;
                jobkey_init(&dl);
                snprintf(dl.scale, sizeof dl.scale, "%s", sc);
                rc = !pjj || job_add_input(l, pjj, &STAGE_DISTILL, &dl, err);
                if (!rc && strcmp(q->norm_policy, q->policy)) {
                    snprintf(dl.scale, sizeof dl.scale, "%s", q->norm_policy);
                    rc = job_add_input(l, pjj, &STAGE_DISTILL, &dl, err);
                }
                if (!rc) rc = job_add_input(l, pjj, &STAGE_ONLINE, &q->pm_key[0], err) ||
                              job_add_input(l, pjj, &STAGE_PM, &q->pm_key[1], err) ||
                              job_add_input(l, pjj, &STAGE_PM, &q->pm_key[2], err);
            }
        }
    }
    free(rj);
    free(pj);
    return rc ? err->code : 0;
}

static const ParamDesc ONLINE_KEYS[] = {
    {"online", "rounds", PT_INT, PARAMS_EXT(ON_SLOT), "2", 0, 20, 0, 0,
     "online rounds per policy scale and RL seed (0 switches the stage off)"},
    {"online", "prompts", PT_INT, PARAMS_EXT(ON_SLOT + 1), "300", 1, 1000000, 0, 0,
     "fresh prompts per round: one crowd comparison each"},
    {"online", "bon_n", PT_INT, PARAMS_EXT(ON_SLOT + 2), "4", 1, 1024, 0, 0,
     "rejection sampling: each compared response is the best of bon_n policy samples under "
     "the current PM"},
};

static const char *const ONLINE_SECTIONS[] = {"run", "world", "corpus", "crowd", "model", "pretrain",
                                              "distill", "pm", "rl", "online", NULL};

const StageDef STAGE_ONLINE = {
    .name = "online", .subdir = "online", .kind = "online",
    .summary = "iterated online training: rejection-sampled comparisons, PM and policy retrained",
    .reads = "world.h5, lm or pmp, distill/SCALE.h5, pm/*.h5 (train and test PMs), rl/SCALE_SCALE_hh_sS.h5",
    .help = "For each [online] scales policy and RL seed, [online] rounds rounds: the current\n"
            "policy (round 1: the static HH run rl/SCALE_SCALE_hh_sS) answers [online] prompts\n"
            "fresh prompts (the base data's kind mix; redrawn within the kind while they equal a\n"
            "train, test or earlier prompt; a kind short of fresh prompts fails when the jobs are\n"
            "listed), each compared response the best of [online] bon_n samples under the\n"
            "current PM; crowdworkers label the pairs; a null (best of bon_n distilled-LM samples\n"
            "under the same PM) and the static test PM's scores of the round, the null and the\n"
            "base data go to the round's file; a PM is retrained (the train PM's recipe)\n"
            "on the base data plus every online comparison so far (DIR/online/SCALE_pm_sS_rK.h5,\n"
            "with the round's data and statistics), and the policy is retrained from the\n"
            "distilled LM against it with [rl] settings (DIR/online/SCALE_SCALE_hh_sS_rK.h5, in\n"
            "the rl stage's schema, kind rl). Off when [online] rounds = 0 or scales is empty.\n",
    .sections = ONLINE_SECTIONS, .off = online_off, .list = list_online, .run = run_online,
    .has_model = 1, .keys = ONLINE_KEYS, .n_keys = 3};
