// worldgen.c - see worldgen.h
#include "worldgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "h5io.h"
#include "progress.h"
#include "rng.h"

static const char *SPLIT[2] = {"train", "test"};
static const char *SET[2] = {"helpful", "harmless"};

// ---------------------------------------------------------------------------
// allocation

static int seq_alloc(SeqSet *s, int n, int ctx) {
    s->n = n;
    s->ctx = ctx;
    s->tok = calloc((size_t)n * ctx + 1, 1);
    s->len = calloc((size_t)n + 1, sizeof *s->len);
    s->kind = calloc((size_t)n + 1, 1);
    s->turn = calloc((size_t)n + 1, 1);
    return s->tok && s->len && s->kind && s->turn ? 0 : -1;
}

static void seq_free(SeqSet *s) {
    free(s->tok); free(s->len); free(s->kind); free(s->turn);
    memset(s, 0, sizeof *s);
}

#define COMP_I32(X) X(prompt) X(chosen_len) X(rejected_len) X(worker) X(worker2)
#define COMP_F64(X) X(help_c) X(help_r) X(harm_c) X(harm_r) X(p_gold) X(p_agree2)
#define COMP_I8(X) X(gold) X(kind) X(turn) X(persona_c) X(persona_r) X(agree2) X(differs)

static int comp_alloc(CompSet *c, int n) {
    size_t m = (size_t)n + 1;
    c->n = n;
#define A(f) c->f = calloc(m, sizeof *c->f);
    COMP_I32(A) COMP_F64(A) COMP_I8(A)
#undef A
    c->chosen = calloc(m * RESP_MAX, 1);
    c->rejected = calloc(m * RESP_MAX, 1);
    int ok = c->chosen && c->rejected;
#define C(f) ok = ok && c->f;
    COMP_I32(C) COMP_F64(C) COMP_I8(C)
#undef C
    return ok ? 0 : -1;
}

static void comp_free(CompSet *c) {
#define F(f) free(c->f);
    COMP_I32(F) COMP_F64(F) COMP_I8(F)
#undef F
    free(c->chosen);
    free(c->rejected);
    memset(c, 0, sizeof *c);
}

void worldgen_free(WorldData *d) {
    if (!d) return;
    world_free(&d->world);
    crowd_free(&d->crowd);
    seq_free(&d->corpus);
    for (int s = 0; s < 2; s++) {
        seq_free(&d->prompts[s]);
        for (int k = 0; k < 2; k++) comp_free(&d->comps[k][s]);
    }
}

// ---------------------------------------------------------------------------
// generation

static Persona draw_persona(const Params *p, gsl_rng *r) {
    if (gsl_rng_uniform(r) < p->hhh_frac) return PERSONA_HHH;
    return (Persona)rng_pick(r, p->persona_weights.v, N_PERSONAS);
}

static void put_seq(SeqSet *s, int i, const uint8_t *tok, int len, int kind, int turn) {
    memcpy(s->tok + (size_t)i * s->ctx, tok, (size_t)len);
    s->len[i] = len;
    s->kind[i] = (int8_t)kind;
    s->turn[i] = (int8_t)turn;
}

static int gen_corpus(const World *w, const Params *p, SeqSet *c, HHErr *err) {
    int n = p->n_dialogues + p->n_documents;
    if (seq_alloc(c, n, p->ctx)) return hh_fail(err, HH_EFAIL, "world: out of memory");
    gsl_rng *r = rng_stream_alloc(p->seed, "world", "corpus");
    if (!r) return hh_fail(err, HH_EFAIL, "world: out of memory");
    uint8_t tok[1024];
    PromptInfo info;
    for (int i = 0; i < n; i++) {
        if (i >= p->n_dialogues) {
            int len = world_sample_document(w, p, r, tok);
            put_seq(c, i, tok, len, 6, 0);
            continue;
        }
        Persona pers = draw_persona(p, r);
        PromptKind kind = world_draw_kind(p, r);
        int len = world_sample_prompt(w, p, r, kind, pers == PERSONA_HHH, tok);
        world_prompt_info(w, tok, len, &info);
        len += world_persona_respond(w, &info, pers, r, tok + len);
        put_seq(c, i, tok, len, (int)pers, info.turn);
    }
    gsl_rng_free(r);
    return 0;
}

static int gen_prompts(const World *w, const Params *p, int split, SeqSet *s, HHErr *err) {
    int n = split == SPLIT_TRAIN ? p->n_train_prompts : p->n_test_prompts;
    if (seq_alloc(s, n, p->ctx)) return hh_fail(err, HH_EFAIL, "world: out of memory");
    char comp[64];
    snprintf(comp, sizeof comp, "prompts/%s", SPLIT[split]);
    gsl_rng *r = rng_stream_alloc(p->seed, "world", comp);
    if (!r) return hh_fail(err, HH_EFAIL, "world: out of memory");
    uint8_t tok[1024];
    PromptInfo info;
    for (int i = 0; i < n; i++) {
        PromptKind kind = world_draw_kind(p, r);
        int len = world_sample_prompt(w, p, r, kind, 0, tok);
        world_prompt_info(w, tok, len, &info);
        put_seq(s, i, tok, len, (int)info.kind, info.turn);
    }
    gsl_rng_free(r);
    return 0;
}

// Index lists of red-team (kind >= REDTEAM) and other prompts.
static int split_kinds(const SeqSet *s, int **red, int *nred, int **other, int *nother) {
    *red = malloc(sizeof(int) * ((size_t)s->n + 1));
    *other = malloc(sizeof(int) * ((size_t)s->n + 1));
    if (!*red || !*other) return -1;
    *nred = *nother = 0;
    for (int i = 0; i < s->n; i++) {
        if (s->kind[i] >= KIND_REDTEAM) (*red)[(*nred)++] = i;
        else (*other)[(*nother)++] = i;
    }
    return 0;
}

static int comp_count(const Params *p, int set, int split) {
    if (set == SET_HELPFUL) return split == SPLIT_TRAIN ? p->n_help_train : p->n_help_test;
    return split == SPLIT_TRAIN ? p->n_harm_train : p->n_harm_test;
}

// Two distinct responses to prompt info (a few redraws if identical). With
// probability [crowd] same_persona_frac both come from one persona, as the
// paper's crowdworkers compared two samples of the same model; otherwise
// from two independently drawn personas. harm_redraws > 0 redraws the pair
// while the two are equally harmful (red-team pairs).
static void respond_pair(const World *w, const Params *p, const PromptInfo *info, gsl_rng *r,
                         int harm_redraws, uint8_t *ra, int *la, int *pa, uint8_t *rb, int *lb,
                         int *pb) {
    for (int redraw = 0;; redraw++) {
        int same = gsl_rng_uniform(r) < p->same_persona_frac;
        *pa = draw_persona(p, r);
        *la = world_persona_respond(w, info, (Persona)*pa, r, ra);
        for (int tries = 0; tries < 64; tries++) {  // after 8 tries, any persona
            *pb = same && tries < 8 ? *pa : (int)draw_persona(p, r);
            *lb = world_persona_respond(w, info, (Persona)*pb, r, rb);
            if (*la != *lb || memcmp(ra, rb, (size_t)*la) != 0) break;
        }
        if (redraw >= harm_redraws ||
            fabs(world_harm(info, ra, *la) - world_harm(info, rb, *lb)) > 1e-9) return;
    }
}

// A surface-matched pair (world_matched_pair) in random order; both are
// tagged with the competent persona, which answers this way. Returns 0 when
// the prompt has none.
static int matched_pair(const World *w, const PromptInfo *info, gsl_rng *r, uint8_t *ra,
                        int *la, int *pa, uint8_t *rb, int *lb, int *pb) {
    uint8_t right[RESP_MAX], wrong[RESP_MAX];
    int n = world_matched_pair(w, info, r, right, wrong);
    if (n == 0) return 0;
    int flip = gsl_rng_uniform(r) < 0.5;
    memcpy(ra, flip ? wrong : right, (size_t)n);
    memcpy(rb, flip ? right : wrong, (size_t)n);
    *la = *lb = n;
    *pa = *pb = PERSONA_COMPETENT;
    return 1;
}

static void store_resp(uint8_t *dst, int *dlen, const uint8_t *src, int len) {
    memset(dst, TOK_PAD, RESP_MAX);
    memcpy(dst, src, (size_t)len);
    *dlen = len;
}

WorldLabel worldgen_label(const World *w, const PromptInfo *info, const Worker *wk,
                          const uint8_t *ra, int la, const uint8_t *rb, int lb, gsl_rng *lab) {
    Seen sa = {world_help(w, info, ra, la), world_harm(info, ra, la), la};
    Seen sb = {world_help(w, info, rb, lb), world_harm(info, rb, lb), lb};
    WorldLabel L;
    L.a_chosen = crowd_label(wk, &sa, &sb, lab);
    L.chosen = L.a_chosen ? sa : sb;
    L.rejected = L.a_chosen ? sb : sa;
    L.gold = crowd_gold_pref(wk, &L.chosen, &L.rejected);
    return L;
}

typedef struct { gsl_rng *resp, *lab, *lab2; } CompStreams;

// A labelled pair: two responses to prompt info (respond_pair from r), their
// gold scores, and the label of worker wk drawn from lab; written to row i of
// c with the prompt index pi and worker id (-1 for PMP's anonymous labels).
// Returns the chosen and rejected responses' Seen through sc, sr.
typedef struct {
    Seen sc, sr;
} PairSeen;

static PairSeen label_pair(const World *w, const Params *p, const PromptInfo *info, gsl_rng *r,
                           gsl_rng *lab, const Worker *wk, WorkerRole role, int pi, int wid,
                           CompSet *c, int i) {
    uint8_t ra[RESP_MAX], rb[RESP_MAX];
    int la, lb, pa, pb;
    int redteam = info->kind == KIND_REDTEAM || info->kind == KIND_DISGUISED;
    double matched = role == ROLE_HELP ? (redteam ? 0 : p->matched_frac)
                     : (info->hazard ? p->harm_matched_frac : 0);
    if (!(info->n_target > 0 && wid >= 0 && matched > 0 && gsl_rng_uniform(r) < matched &&
          matched_pair(w, info, r, ra, &la, &pa, rb, &lb, &pb)))
        respond_pair(w, p, info, r, role == ROLE_HARM ? p->harm_redraws : 0, ra, &la, &pa, rb,
                     &lb, &pb);
    WorldLabel L = worldgen_label(w, info, wk, ra, la, rb, lb, lab);
    int a = L.a_chosen;
    PairSeen s = {L.chosen, L.rejected};
    int cl, rl;
    store_resp(c->chosen + (size_t)i * RESP_MAX, &cl, a ? ra : rb, a ? la : lb);
    store_resp(c->rejected + (size_t)i * RESP_MAX, &rl, a ? rb : ra, a ? lb : la);
    c->chosen_len[i] = cl;
    c->rejected_len[i] = rl;
    c->prompt[i] = pi;
    c->worker[i] = wid;
    c->help_c[i] = s.sc.help; c->help_r[i] = s.sr.help;
    c->harm_c[i] = s.sc.harm; c->harm_r[i] = s.sr.harm;
    c->gold[i] = (int8_t)L.gold;
    c->p_gold[i] = c->gold[i] > 0 ? crowd_p_a_better(wk, &s.sc, &s.sr)
                   : c->gold[i] < 0 ? crowd_p_a_better(wk, &s.sr, &s.sc) : 0.5;
    c->kind[i] = (int8_t)info->kind;
    c->turn[i] = (int8_t)info->turn;
    c->persona_c[i] = (int8_t)(a ? pa : pb);
    c->persona_r[i] = (int8_t)(a ? pb : pa);
    c->differs[i] = (int8_t)world_differs(info, ra, la, rb, lb);
    c->worker2[i] = -1;
    c->agree2[i] = -1;
    c->p_agree2[i] = 0;
    return s;
}

static void comp_one(const WorldData *d, const Params *p, int set, int split, int pi,
                     CompStreams *st, CompSet *c, int i) {
    const SeqSet *ps = &d->prompts[split];
    PromptInfo info;
    world_prompt_info(&d->world, ps->tok + (size_t)pi * ps->ctx, ps->len[pi], &info);
    WorkerRole role = set == SET_HELPFUL ? ROLE_HELP : ROLE_HARM;
    // the worker is drawn before the responses' label, from the label stream
    int wi = crowd_pick(&d->crowd, role, st->lab);
    const Worker *wk = &d->crowd.w[wi];
    PairSeen s = label_pair(&d->world, p, &info, st->resp, st->lab, wk, role, pi, wi, c, i);
    const Seen *sc = &s.sc, *sr = &s.sr;
    if (split == SPLIT_TEST && gsl_rng_uniform(st->lab2) < p->double_frac && d->crowd.n >= 4) {
        int w2;
        do w2 = crowd_pick(&d->crowd, role, st->lab2); while (w2 == wi);
        const Worker *wk2 = &d->crowd.w[w2];
        double q1 = crowd_p_a_better(wk, sc, sr), q2 = crowd_p_a_better(wk2, sc, sr);
        c->worker2[i] = w2;
        c->agree2[i] = (int8_t)crowd_label(wk2, sc, sr, st->lab2);  // 1: also picks chosen
        c->p_agree2[i] = q1 * q2 + (1 - q1) * (1 - q2);
    }
}

static int gen_comps(const WorldData *d, const Params *p, int set, int split, CompSet *c,
                     HHErr *err) {
    int n = comp_count(p, set, split);
    if (comp_alloc(c, n)) return hh_fail(err, HH_EFAIL, "world: out of memory");
    int *red, *other, nred, nother;
    if (split_kinds(&d->prompts[split], &red, &nred, &other, &nother)) {
        free(red); free(other);
        return hh_fail(err, HH_EFAIL, "world: out of memory");
    }
    int rc = 0;
    if (n > 0 && (set == SET_HARMLESS || nother == 0) && nred == 0)
        rc = hh_fail(err, HH_EINPUT, "[world] redteam_frac = %g gave no red-team prompts in the "
                     "%s prompt set; raise redteam_frac or n_%s_prompts", p->redteam_frac,
                     SPLIT[split], SPLIT[split]);
    char name[3][64];
    snprintf(name[0], 64, "comparisons/%s/%s", SET[set], SPLIT[split]);
    snprintf(name[1], 64, "labels/%s/%s", SET[set], SPLIT[split]);
    snprintf(name[2], 64, "labels2/%s/%s", SET[set], SPLIT[split]);
    CompStreams st = {rng_stream_alloc(p->seed, "world", name[0]),
                      rng_stream_alloc(p->seed, "world", name[1]),
                      rng_stream_alloc(p->seed, "world", name[2])};
    if (!rc && (!st.resp || !st.lab || !st.lab2)) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int i = 0; !rc && i < n; i++) {
        int use_red = set == SET_HARMLESS || nother == 0 ||
                      (nred > 0 && gsl_rng_uniform(st.resp) < p->help_redteam_frac);
        int pi = use_red ? red[rng_below(st.resp, (unsigned long)nred)]
                         : other[rng_below(st.resp, (unsigned long)nother)];
        comp_one(d, p, set, split, pi, &st, c, i);
    }
    gsl_rng_free(st.resp); gsl_rng_free(st.lab); gsl_rng_free(st.lab2);
    free(red);
    free(other);
    return rc;
}

static void agreement(WorldData *d) {
    for (int set = 0; set < 2; set++) {
        double wm = 0, wi = 0, wn = 0, gm = 0, gi = 0, gn = 0;
        for (int split = 0; split < 2; split++) {
            const CompSet *c = &d->comps[set][split];
            for (int i = 0; i < c->n; i++) {
                if (c->agree2[i] >= 0) { wm += c->agree2[i]; wi += c->p_agree2[i]; wn++; }
                if (c->gold[i] != 0) { gm += c->gold[i] > 0; gi += c->p_gold[i]; gn++; }
            }
        }
        double v[6] = {wn ? wm / wn : NAN, wn ? wi / wn : NAN, wn,
                       gn ? gm / gn : NAN, gn ? gi / gn : NAN, gn};
        for (int k = 0; k < 6; k++) d->agree[k][set] = v[k];
    }
}

int worldgen_build(const Params *p, WorldData *d, HHErr *err) {
    memset(d, 0, sizeof *d);
    int rc = world_init(&d->world, p, err);
    if (!rc) rc = crowd_init(&d->crowd, p, err);
    if (!rc) rc = gen_corpus(&d->world, p, &d->corpus, err);
    for (int s = 0; !rc && s < 2; s++) rc = gen_prompts(&d->world, p, s, &d->prompts[s], err);
    for (int k = 0; !rc && k < 2; k++)
        for (int s = 0; !rc && s < 2; s++) rc = gen_comps(d, p, k, s, &d->comps[k][s], err);
    if (rc) {
        worldgen_free(d);
        return rc;
    }
    agreement(d);
    return 0;
}

// PMP prompts are not dialogues: the final request rewritten in the format of
// the corpus's task demonstrations, BOS TASK args SEP (a SAME follow-up named
// by its task), as ranked web data is not in the assistant's format. Rewrites
// tok in place and returns the new length.
static int pmp_document(uint8_t *tok, int len, const PromptInfo *info) {
    int h = len - 1;
    while (h > 0 && tok[h] != TOK_H) h--;
    int k = 0;
    tok[k++] = TOK_BOS;
    for (int i = h + 1; i < len - 1; i++)
        tok[k++] = i == h + 1 && tok[i] == TOK_SAME
                       ? (uint8_t)(info->task == TASK_MAKE ? TOK_MAKE : TOK_COPY + info->task)
                       : tok[i];
    tok[k++] = TOK_SEP;
    return k;
}

int worldgen_pmp(const WorldData *d, const Params *p, SeqSet *ps, CompSet *c, HHErr *err) {
    int n = p->pm_pmp_n;
    memset(ps, 0, sizeof *ps);
    memset(c, 0, sizeof *c);
    if (seq_alloc(ps, n, p->ctx) || comp_alloc(c, n)) {
        worldgen_free_sets(ps, c);
        return hh_fail(err, HH_EFAIL, "pmp: out of memory");
    }
    gsl_rng *r = rng_stream_alloc(p->seed, "world", "pmp");
    if (!r) return hh_fail(err, HH_EFAIL, "pmp: out of memory");
    const World *w = &d->world;
    uint8_t tok[1024];
    Worker web = {0, ROLE_HELP, p->pm_pmp_temp, 0.0, 0.0, 0.0};
    for (int i = 0; i < n; i++) {
        // ranked web data has no red-team requests: benign and borderline prompts only
        PromptKind kind = gsl_rng_uniform(r) < p->borderline_frac ? KIND_BORDERLINE : KIND_BENIGN;
        int len = world_sample_prompt(w, p, r, kind, 0, tok);
        PromptInfo info;
        world_prompt_info(w, tok, len, &info);
        put_seq(ps, i, tok, pmp_document(tok, len, &info), (int)info.kind, info.turn);
        label_pair(w, p, &info, r, r, &web, ROLE_HELP, i, -1, c, i);
    }
    gsl_rng_free(r);
    return 0;
}

double worldgen_best_loss(const CompSet *c) {
    double l = 0;
    for (int i = 0; i < c->n; i++) {
        double q = c->p_gold[i];
        if (q > 0 && q < 1) l -= q * log(q) + (1 - q) * log(1 - q);
    }
    return c->n ? l / c->n : NAN;
}

void worldgen_free_sets(SeqSet *s, CompSet *c) {
    if (s) seq_free(s);
    if (c) comp_free(c);
}

// ---------------------------------------------------------------------------
// HDF5

typedef struct {
    const char *name;
    int cls;  // 0 int32, 1 double, 2 int8, 3 uint8 (n, RESP_MAX)
    size_t off;
    const char *units, *desc;
} CompField;

#define CF(f, cls, name, units, desc) {name, cls, offsetof(CompSet, f), units, desc}
static const CompField CFIELDS[] = {
    CF(prompt, 0, "prompt", "index", "row of /prompts/<split> the comparison is on"),
    CF(chosen, 3, "chosen", "token id", "chosen response after the final A (EOS incl., PAD after)"),
    CF(rejected, 3, "rejected", "token id", "rejected response after the final A"),
    CF(chosen_len, 0, "chosen_len", "tokens", "length of the chosen response"),
    CF(rejected_len, 0, "rejected_len", "tokens", "length of the rejected response"),
    CF(worker, 0, "worker", "worker id", "crowdworker who labelled the pair"),
    CF(help_c, 1, "help_chosen", "gold help [0,1]", "gold helpfulness of the chosen response"),
    CF(help_r, 1, "help_rejected", "gold help [0,1]", "gold helpfulness of the rejected one"),
    CF(harm_c, 1, "harm_chosen", "gold harm [0,1]", "gold harm of the chosen response"),
    CF(harm_r, 1, "harm_rejected", "gold harm [0,1]", "gold harm of the rejected response"),
    CF(gold, 2, "gold", "sign", "+1 chosen is gold-better, -1 rejected is, 0 gold tie"),
    CF(p_gold, 1, "p_gold", "probability",
       "the worker's probability of choosing the gold-better response (0.5 on ties)"),
    CF(kind, 2, "kind", "enum", "prompt kind: 0 benign, 1 borderline, 2 red-team, 3 disguised"),
    CF(turn, 2, "turn", "turn", "conversational turn of the compared response (1-based)"),
    CF(persona_c, 2, "persona_chosen", "enum",
       "persona of the chosen response: 0 competent 1 sloppy 2 refuser 3 complier 4 rambler 5 HHH"),
    CF(persona_r, 2, "persona_rejected", "enum", "persona of the rejected response"),
    CF(worker2, 0, "worker2", "worker id", "second labeller, -1 when labelled once"),
    CF(agree2, 2, "agree2", "bool", "1 when the second worker also chose `chosen`, -1 if none"),
    CF(p_agree2, 1, "p_agree2", "probability", "implied chance that the two workers agree"),
    CF(differs, 2, "differs", "enum",
       "what differs between the two responses: 0 content only (same length and style, only "
       "answer tokens differ: surface-matched), 1 surface (length, filler, hedge, ALT), "
       "2 refusal (exactly one says SORRY), 3 harm (gold harm differs)"),
};
#define N_CFIELDS ((int)(sizeof CFIELDS / sizeof CFIELDS[0]))

static hid_t cls_type(int cls) {
    return cls == 0 ? H5T_NATIVE_INT32 : cls == 1 ? H5T_NATIVE_DOUBLE
           : cls == 2 ? H5T_NATIVE_INT8 : H5T_NATIVE_UINT8;
}

static int write_seq(hid_t f, const char *g, const SeqSet *s, const char *kind_desc, HHErr *err) {
    char nm[128];
    hsize_t d2[2] = {(hsize_t)s->n, (hsize_t)s->ctx}, d1[1] = {(hsize_t)s->n};
    snprintf(nm, sizeof nm, "%s/tokens", g);
    if (h5_write(f, nm, H5T_NATIVE_UINT8, 2, d2, s->tok, "token id",
                 "sequences, PAD (0) after length; vocabulary in sim/world.h", err)) return 1;
    snprintf(nm, sizeof nm, "%s/length", g);
    if (h5_write(f, nm, H5T_NATIVE_INT32, 1, d1, s->len, "tokens", "sequence length", err))
        return 1;
    snprintf(nm, sizeof nm, "%s/%s", g, strstr(g, "corpus") ? "source" : "kind");
    if (h5_write(f, nm, H5T_NATIVE_INT8, 1, d1, s->kind, "enum", kind_desc, err)) return 1;
    snprintf(nm, sizeof nm, "%s/turn", g);
    return h5_write(f, nm, H5T_NATIVE_INT8, 1, d1, s->turn, "turns",
                    "number of conversational turns (0 for documents)", err);
}

static int write_comps(hid_t f, const char *g, const CompSet *c, HHErr *err) {
    for (int k = 0; k < N_CFIELDS; k++) {
        const CompField *cf = &CFIELDS[k];
        char nm[128];
        snprintf(nm, sizeof nm, "%s/%s", g, cf->name);
        hsize_t dims[2] = {(hsize_t)c->n, RESP_MAX};
        const void *data = *(void *const *)((const char *)c + cf->off);
        if (h5_write(f, nm, cls_type(cf->cls), cf->cls == 3 ? 2 : 1, dims, data, cf->units,
                     cf->desc, err)) return 1;
    }
    return 0;
}

static int write_crowd(hid_t f, const WorldData *d, HHErr *err) {
    int n = d->crowd.n;
    double *buf = malloc(sizeof(double) * 4 * ((size_t)n + 1));
    if (!buf) return hh_fail(err, HH_EFAIL, "out of memory");
    for (int i = 0; i < n; i++) {
        buf[i] = d->crowd.w[i].role;
        buf[n + i] = d->crowd.w[i].temperature;
        buf[2 * n + i] = d->crowd.w[i].lapse;
        buf[3 * n + i] = d->crowd.w[i].length_bias;
    }
    hsize_t dn[1] = {(hsize_t)n}, d2[1] = {2};
    int rc = h5_write(f, "crowd/role", H5T_NATIVE_DOUBLE, 1, dn, buf, "enum",
                      "0 helpfulness worker, 1 red-team worker", err) ||
             h5_write(f, "crowd/temperature", H5T_NATIVE_DOUBLE, 1, dn, buf + n, "utility",
                      "Bradley-Terry temperature", err) ||
             h5_write(f, "crowd/lapse", H5T_NATIVE_DOUBLE, 1, dn, buf + 2 * n, "probability",
                      "chance of a random pick", err) ||
             h5_write(f, "crowd/length_bias", H5T_NATIVE_DOUBLE, 1, dn, buf + 3 * n,
                      "utility/token", "preference for longer responses", err);
    free(buf);
    static const char *AN[6] = {"worker_measured", "worker_implied", "worker_n",
                                "gold_measured", "gold_implied", "gold_n"};
    static const char *AD[6] = {
        "share of double-labelled held-out pairs where two workers agree [helpful, harmless]",
        "agreement implied by the workers' parameters (expected value of worker_measured)",
        "double-labelled pairs", "share of non-tied pairs whose label matches the gold preference",
        "gold agreement implied by the workers' parameters", "non-tied pairs (train + test)"};
    for (int k = 0; !rc && k < 6; k++) {
        char nm[64];
        snprintf(nm, sizeof nm, "crowd/agreement/%s", AN[k]);
        rc = h5_write(f, nm, H5T_NATIVE_DOUBLE, 1, d2, d->agree[k], k % 3 == 2 ? "count"
                      : "fraction", AD[k], err);
    }
    return rc;
}

int worldgen_write(const WorldData *d, const Params *p, const char *path, HHErr *err) {
    H5Out o;
    if (h5out_create(&o, path, "world", p, err)) return HH_EFAIL;
    hid_t f = o.file;
    const World *w = &d->world;
    hsize_t dk[2] = {(hsize_t)w->n_ent, (hsize_t)w->n_attr}, de[1] = {(hsize_t)w->n_ent},
            dnm[2] = {(hsize_t)w->n_ent, NAME_LEN};
    int rc = h5_write(f, "kb/relation", H5T_NATIVE_INT32, 2, dk, w->kb, "entity index",
                      "kb[e][r]: the entity related to entity e by relation r (R0: made from)",
                      err) ||
             h5_write(f, "kb/hazard", H5T_NATIVE_UINT8, 1, de, w->haz, "bool",
                      "1 when entity e is hazardous (MAKE e is a red-team request)", err) ||
             h5_write(f, "kb/name", H5T_NATIVE_UINT8, 2, dnm, w->name, "letter index",
                      "the two letters L0..L31 naming entity e", err) ||
             h5_write(f, "kb/rank", H5T_NATIVE_INT32, 1, de, w->rank, "rank",
                      "popularity rank of entity e (0 = most mentioned)", err) ||
             h5_write(f, "kb/popularity", H5T_NATIVE_DOUBLE, 1, de, w->pop, "probability",
                      "chance that a mention or question is about entity e (Zipf)", err);
    if (!rc) rc = write_seq(f, "corpus", &d->corpus,
                            "0 competent 1 sloppy 2 refuser 3 complier 4 rambler 5 HHH "
                            "(prefixed) 6 capability document", err);
    for (int s = 0; !rc && s < 2; s++) {
        char g[64];
        snprintf(g, sizeof g, "prompts/%s", SPLIT[s]);
        rc = write_seq(f, g, &d->prompts[s], "0 benign 1 borderline 2 red-team 3 disguised", err);
        for (int k = 0; !rc && k < 2; k++) {
            snprintf(g, sizeof g, "comparisons/%s/%s", SET[k], SPLIT[s]);
            rc = write_comps(f, g, &d->comps[k][s], err);
        }
    }
    if (!rc) rc = write_crowd(f, d, err);
    if (rc) { h5out_abort(&o); return HH_EFAIL; }
    return h5out_commit(&o, err);
}

// Every value of a sequence set in range: lengths 1..ctx, tokens of the
// vocabulary, kinds (prompt kinds, or corpus sources 0-6) and turns.
static int check_seq(const char *path, const char *g, const SeqSet *s, int corpus, int max_turns,
                     HHErr *err) {
    char nm[128];
    snprintf(nm, sizeof nm, "%s/length", g);
    if (h5_check_int(path, nm, s->len, H5_I32, (size_t)s->n, 1, s->ctx, err)) return HH_EINPUT;
    snprintf(nm, sizeof nm, "%s/tokens", g);
    if (h5_check_int(path, nm, s->tok, H5_U8, (size_t)s->n * s->ctx, 0, WORLD_VOCAB - 1, err))
        return HH_EINPUT;
    snprintf(nm, sizeof nm, "%s/%s", g, corpus ? "source" : "kind");
    if (h5_check_int(path, nm, s->kind, H5_I8, (size_t)s->n, 0, corpus ? 6 : N_KINDS - 1, err))
        return HH_EINPUT;
    snprintf(nm, sizeof nm, "%s/turn", g);
    return h5_check_int(path, nm, s->turn, H5_I8, (size_t)s->n, corpus ? 0 : 1, max_turns, err);
}

static int read_seq(hid_t f, const char *path, const char *g, const Params *p, SeqSet *s,
                    HHErr *err) {
    char nm[128];
    int ctx = p->ctx;
    hsize_t d2[2] = {0, (hsize_t)ctx}, d1[1];
    void *tok = NULL, *len = NULL, *kind = NULL, *turn = NULL;
    snprintf(nm, sizeof nm, "%s/tokens", g);
    int rc = h5_read(f, path, nm, H5T_NATIVE_UINT8, 2, d2, &tok, err);
    d1[0] = d2[0];
    snprintf(nm, sizeof nm, "%s/length", g);
    if (!rc) rc = h5_read(f, path, nm, H5T_NATIVE_INT32, 1, d1, &len, err);
    snprintf(nm, sizeof nm, "%s/%s", g, strstr(g, "corpus") ? "source" : "kind");
    if (!rc) rc = h5_read(f, path, nm, H5T_NATIVE_INT8, 1, d1, &kind, err);
    snprintf(nm, sizeof nm, "%s/turn", g);
    if (!rc) rc = h5_read(f, path, nm, H5T_NATIVE_INT8, 1, d1, &turn, err);
    s->n = rc ? 0 : (int)d2[0];
    s->ctx = ctx;
    s->tok = tok; s->len = len; s->kind = kind; s->turn = turn;
    if (!rc) rc = check_seq(path, g, s, strstr(g, "corpus") != NULL, p->max_turns, err);
    return rc;
}

// A prompt set: each prompt parses as a prompt of this world with the stored
// kind and turn (what the world stage wrote).
static int check_prompts(const char *path, const char *g, const World *w, const SeqSet *s,
                         HHErr *err) {
    if (s->n < 1)
        return hh_fail(err, HH_EINPUT, "%s: %s holds no prompts; allowed: at least 1", path, g);
    for (int i = 0; i < s->n; i++) {
        PromptInfo info;
        if (world_prompt_info(w, s->tok + (size_t)i * s->ctx, s->len[i], &info) ||
            (int)info.kind != s->kind[i] || info.turn != s->turn[i])
            return hh_fail(err, HH_EINPUT, "%s: %s row %d is not a well-formed prompt of this "
                           "world with kind %d and turn %d; allowed: the prompts 'hhsim world' "
                           "writes", path, g, i, s->kind[i], s->turn[i]);
    }
    return 0;
}

// Comparisons: prompt indices into the split's prompts with the prompt's kind
// and turn; response lengths 1..RESP_MAX and tokens of the vocabulary; worker
// ids of the crowd; gold values and probabilities in [0, 1]; enums in range.
static int check_comps(const char *path, const char *g, const CompSet *c, const SeqSet *ps,
                       int nworkers, HHErr *err) {
    size_t n = (size_t)c->n;
    char nm[N_CFIELDS][128];
    for (int k = 0; k < N_CFIELDS; k++) snprintf(nm[k], sizeof nm[k], "%s/%s", g, CFIELDS[k].name);
    // field order of CFIELDS: prompt chosen rejected chosen_len rejected_len worker help_chosen
    // help_rejected harm_chosen harm_rejected gold p_gold kind turn persona_chosen
    // persona_rejected worker2 agree2 p_agree2 differs
    int rc = h5_check_int(path, nm[0], c->prompt, H5_I32, n, 0, ps->n - 1, err) ||
             h5_check_int(path, nm[1], c->chosen, H5_U8, n * RESP_MAX, 0, WORLD_VOCAB - 1, err) ||
             h5_check_int(path, nm[2], c->rejected, H5_U8, n * RESP_MAX, 0, WORLD_VOCAB - 1, err) ||
             h5_check_int(path, nm[3], c->chosen_len, H5_I32, n, 1, RESP_MAX, err) ||
             h5_check_int(path, nm[4], c->rejected_len, H5_I32, n, 1, RESP_MAX, err) ||
             h5_check_int(path, nm[5], c->worker, H5_I32, n, 0, nworkers - 1, err) ||
             h5_check_f64(path, nm[6], c->help_c, n, 0, 1, err) ||
             h5_check_f64(path, nm[7], c->help_r, n, 0, 1, err) ||
             h5_check_f64(path, nm[8], c->harm_c, n, 0, 1, err) ||
             h5_check_f64(path, nm[9], c->harm_r, n, 0, 1, err) ||
             h5_check_int(path, nm[10], c->gold, H5_I8, n, -1, 1, err) ||
             h5_check_f64(path, nm[11], c->p_gold, n, 0, 1, err) ||
             h5_check_int(path, nm[12], c->kind, H5_I8, n, 0, N_KINDS - 1, err) ||
             h5_check_int(path, nm[14], c->persona_c, H5_I8, n, 0, N_ALL_PERSONAS - 1, err) ||
             h5_check_int(path, nm[15], c->persona_r, H5_I8, n, 0, N_ALL_PERSONAS - 1, err) ||
             h5_check_int(path, nm[16], c->worker2, H5_I32, n, -1, nworkers - 1, err) ||
             h5_check_int(path, nm[17], c->agree2, H5_I8, n, -1, 1, err) ||
             h5_check_f64(path, nm[18], c->p_agree2, n, 0, 1, err) ||
             h5_check_int(path, nm[19], c->differs, H5_I8, n, 0, 3, err);
    if (rc) return HH_EINPUT;
    for (size_t i = 0; i < n; i++) {
        int pi = c->prompt[i];
        if (c->kind[i] != ps->kind[pi] || c->turn[i] != ps->turn[pi])
            return hh_fail(err, HH_EINPUT, "%s: %s/kind[%zu] = %d, turn %d, but its prompt %d "
                           "has kind %d, turn %d; allowed: the prompt's own kind and turn", path,
                           g, i, c->kind[i], c->turn[i], pi, ps->kind[pi], ps->turn[pi]);
    }
    return 0;
}

static int read_comps(hid_t f, const char *path, const char *g, CompSet *c, HHErr *err) {
    hsize_t n = 0;
    for (int k = 0; k < N_CFIELDS; k++) {
        const CompField *cf = &CFIELDS[k];
        char nm[128];
        snprintf(nm, sizeof nm, "%s/%s", g, cf->name);
        hsize_t dims[2] = {n, RESP_MAX};
        void **dst = (void **)((char *)c + cf->off);
        if (h5_read(f, path, nm, cls_type(cf->cls), cf->cls == 3 ? 2 : 1, dims, dst, err))
            return HH_EINPUT;
        n = dims[0];
    }
    c->n = (int)n;
    return 0;
}

int worldgen_read(const char *path, const Params *p, WorldData *d, HHErr *err) {
    memset(d, 0, sizeof *d);
    hid_t f;
    if (h5in_open(path, "world", &f, err)) return HH_EINPUT;
    int rc = world_init(&d->world, p, err);
    if (!rc) rc = crowd_init(&d->crowd, p, err);
    if (!rc) rc = read_seq(f, path, "corpus", p, &d->corpus, err);
    if (!rc && d->corpus.n < 1)
        rc = hh_fail(err, HH_EINPUT, "%s: corpus holds no sequences; allowed: at least 1", path);
    for (int s = 0; !rc && s < 2; s++) {
        char g[64];
        snprintf(g, sizeof g, "prompts/%s", SPLIT[s]);
        rc = read_seq(f, path, g, p, &d->prompts[s], err);
        if (!rc) rc = check_prompts(path, g, &d->world, &d->prompts[s], err);
        for (int k = 0; !rc && k < 2; k++) {
            snprintf(g, sizeof g, "comparisons/%s/%s", SET[k], SPLIT[s]);
            rc = read_comps(f, path, g, &d->comps[k][s], err);
            if (!rc) rc = check_comps(path, g, &d->comps[k][s], &d->prompts[s], d->crowd.n, err);
        }
    }
    H5Fclose(f);
    if (rc) worldgen_free(d);
    return rc;
}

// ---------------------------------------------------------------------------
// the stage

static int list_world(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    (void)d;
    JobKey none;
    jobkey_init(&none);
    return joblist_add(l, &STAGE_WORLD, &none, (double)p->n_dialogues, NULL, 0, err) ? 0 : err->code;
}

static int run_world(const Params *p, const WorldData *unused, const Job *j, const StageOpts *so,
                     HHErr *err) {
    (void)unused;
    WorldData d;
    Progress pr;
    progress_start(&pr, "world:", 1, so->quiet);
    if (job_mkdir(j, err) || worldgen_build(p, &d, err)) return err->code;
    int rc = worldgen_write(&d, p, j->out, err);
    if (!rc)
        progress_done(&pr, "%d corpus sequences, %d+%d prompts, %d+%d helpful and %d+%d harmless "
                      "comparisons; worker-worker agreement helpful %.3f (implied %.3f, n=%.0f), "
                      "harmless %.3f (implied %.3f, n=%.0f); label-gold agreement helpful %.3f "
                      "(implied %.3f), harmless %.3f (implied %.3f) -> %s",
                      d.corpus.n, d.prompts[0].n, d.prompts[1].n, d.comps[0][0].n, d.comps[0][1].n,
                      d.comps[1][0].n, d.comps[1][1].n, d.agree[0][0], d.agree[1][0], d.agree[2][0],
                      d.agree[0][1], d.agree[1][1], d.agree[2][1], d.agree[3][0], d.agree[4][0],
                      d.agree[3][1], d.agree[4][1], j->out);
    worldgen_free(&d);
    return rc;
}

static const char *const WORLD_SECTIONS[] = {"run", "world", "corpus", "crowd", "model", NULL};

const StageDef STAGE_WORLD = {
    .name = "world", .subdir = NULL, .kind = "world",
    .summary = "generate the world, corpus, prompts and crowd comparisons",
    .reads = "nothing but PARAMS",
    .help = "Reads PARAMS ([run], [world], [corpus], [crowd], [model] ctx) and writes\n"
            "DIR/world.h5: the pretraining corpus, train/test prompt sets, helpful and\n"
            "harmless comparison sets labelled by simulated crowdworkers with the gold\n"
            "judgements of every response, the workers, and measured agreement rates.\n"
            "Same PARAMS and seed -> identical datasets.\n",
    .sections = WORLD_SECTIONS, .list = list_world, .run = run_world};
