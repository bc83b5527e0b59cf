// evals.c - see evals.h
#include "evals.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5io.h"
#include "lm.h"
#include "progress.h"
#include "rl.h"
#include "rng.h"

const char *const EV_SET_NAME[EV_NSETS] = {"facts", "copy", "reverse", "sort", "lookup", "make"};
const char *const EV_SHOT_NAME[EV_NSHOT] = {"zero_shot", "few_shot"};

int evals_items_per_set(const Params *p) { return (int)p->ext[EV_SLOT]; }
int evals_shots(const Params *p) { return (int)p->ext[EV_SLOT + 1]; }
int evals_choices(const Params *p) { return (int)p->ext[EV_SLOT + 2]; }

// ---------------------------------------------------------------------------
// queries seen in the corpus and the prompt sets

// Argument tokens of a task: topics, symbols, relations, letters (not X).
static int is_arg(int t) {
    return (t >= TOK_T0 && t < TOK_T0 + N_TOPICS) || (t >= TOK_S0 && t < TOK_S0 + 16) ||
           (t >= TOK_R0 && t < TOK_R0 + MAX_RELATIONS) || (t >= TOK_L0 && t < TOK_L0 + N_LETTERS);
}

// Hash of a query (tokens are never 0 inside one).
static uint64_t key_of(const uint8_t *q, int n) {
    char s[EV_QMAX + 1];
    for (int i = 0; i < n; i++) s[i] = (char)q[i];
    s[n] = '\0';
    return rng_hash_str(s);
}

// Every query of a row: "FACT name R" of each relational fact, and each task
// token (SAME: the previous task of the row) with the arguments after it.
static void scan_row(const uint8_t *t, int len, uint64_t *keys, size_t *nk) {
    int last = -1;
    for (int i = 0; i < len; i++) {
        int x = t[i];
        if (x == TOK_FACT && i + 3 < len && t[i + 3] >= TOK_R0 && t[i + 3] < TOK_R0 + MAX_RELATIONS) {
            uint8_t q[4] = {TOK_FACT, t[i + 1], t[i + 2], t[i + 3]};
            keys[(*nk)++] = key_of(q, 4);
            continue;
        }
        int task = ((x >= TOK_COPY && x <= TOK_ASK2) || x == TOK_MAKE) ? x : x == TOK_SAME ? last : -1;
        if (task < 0) continue;
        last = task;
        uint8_t q[EV_QMAX];
        int n = 0;
        q[n++] = (uint8_t)task;
        for (int j = i + 1; j < len && n < EV_QMAX && is_arg(t[j]); j++) q[n++] = t[j];
        keys[(*nk)++] = key_of(q, n);
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    uint64_t *v;
    size_t n;
} KeySet;

static int seen_build(const WorldData *d, KeySet *ks, HHErr *err) {
    const SeqSet *sets[3] = {&d->corpus, &d->prompts[SPLIT_TRAIN], &d->prompts[SPLIT_TEST]};
    size_t cap = 1;
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < sets[s]->n; i++) cap += (size_t)sets[s]->len[i];
    ks->n = 0;
    ks->v = malloc(sizeof(uint64_t) * cap);
    if (!ks->v) return hh_fail(err, HH_EFAIL, "evals: out of memory");
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < sets[s]->n; i++)
            scan_row(sets[s]->tok + (size_t)i * sets[s]->ctx, sets[s]->len[i], ks->v, &ks->n);
    qsort(ks->v, ks->n, sizeof *ks->v, cmp_u64);
    return 0;
}

static int seen_has(const KeySet *ks, uint64_t k) {
    return bsearch(&k, ks->v, ks->n, sizeof *ks->v, cmp_u64) != NULL;
}

// ---------------------------------------------------------------------------
// items

static int put_name(const World *w, int e, uint8_t *tok) {
    tok[0] = (uint8_t)(TOK_L0 + w->name[e * NAME_LEN]);
    tok[1] = (uint8_t)(TOK_L0 + w->name[e * NAME_LEN + 1]);
    return NAME_LEN;
}

// A query of set s drawn from r into q; returns its length.
static int draw_query(const World *w, const Params *p, int s, gsl_rng *r, uint8_t *q) {
    int n = 0;
    if (s == EV_FACTS || s == EV_ASK) {
        int e = world_draw_entity(w, ENT_ALL, r);
        q[n++] = s == EV_FACTS ? TOK_FACT : TOK_ASK;
        n += put_name(w, e, q + n);
        q[n++] = (uint8_t)(TOK_R0 + rng_below(r, (unsigned long)w->n_attr));
        return n;
    }
    if (s == EV_MAKE) {
        q[n++] = TOK_MAKE;
        return n + put_name(w, world_draw_entity(w, ENT_SAFE, r), q + n);
    }
    static const int TASK_TOK[EV_NSETS] = {0, TOK_COPY, TOK_REV, TOK_SORT, 0, 0};
    q[n++] = (uint8_t)TASK_TOK[s];
    int k = p->min_args + (int)rng_below(r, (unsigned long)(p->max_args - p->min_args + 1));
    for (int i = 0; i < k; i++) q[n++] = (uint8_t)(TOK_S0 + rng_below(r, (unsigned long)w->n_sym));
    return n;
}

// The right answer of a task query (as the world judges it, from the prompt
// "BOS H query A"), EOS appended; facts: the related entity's name. Returns
// its length, or -1.
static int answer_of(const World *w, const uint8_t *q, int qn, uint8_t *ans) {
    if (q[0] == TOK_FACT) {
        int e = world_entity_at(w, q + 1, qn - 1);
        return e < 0 ? -1 : put_name(w, w->kb[e * w->n_attr + (q[3] - TOK_R0)], ans);
    }
    uint8_t pr[EV_QMAX + 4];
    int k = 0;
    pr[k++] = TOK_BOS;
    pr[k++] = TOK_H;
    for (int i = 0; i < qn; i++) pr[k++] = q[i];
    pr[k++] = TOK_A;
    PromptInfo info;
    if (world_prompt_info(w, pr, k, &info) || info.n_target < 1 || info.n_target > EV_AMAX - 1)
        return -1;
    memcpy(ans, info.target, (size_t)info.n_target);
    ans[info.n_target] = TOK_EOS;
    return info.n_target + 1;
}

void evals_items_free(EvalItems *it) {
    free(it->set); free(it->seen); free(it->query); free(it->answer); free(it->alen);
    free(it->prompt); free(it->plen);
    memset(it, 0, sizeof *it);
}

// Append a worked example (or, last, the query) of set s to a prompt.
static int put_example(int s, const uint8_t *q, int qn, const uint8_t *ans, int an, int last,
                       uint8_t *tok, int k, int cap) {
    int need = (s == EV_FACTS ? 0 : 2) + qn + (last ? 0 : s == EV_FACTS ? an : an + 1);
    if (k + need > cap) return cap + 1;
    if (s != EV_FACTS) tok[k++] = TOK_BOS;
    memcpy(tok + k, q, (size_t)qn);
    k += qn;
    if (s != EV_FACTS) tok[k++] = TOK_SEP;
    if (!last) {  // facts: the related name; tasks: the answer with its EOS
        memcpy(tok + k, ans, (size_t)an);
        k += an;
    }
    return k;
}

// Draw set s's items into slots [s * per_set, (s + 1) * per_set).
static int draw_set(const Params *p, const World *w, const KeySet *seen, int s, EvalItems *it,
                    HHErr *err) {
    gsl_rng *rq = rng_stream_alloc(p->seed, "evals/items", EV_SET_NAME[s]);
    gsl_rng *rs = rng_stream_alloc(p->seed, "evals/shots", EV_SET_NAME[s]);
    int m = it->per_set, fresh = s == EV_COPY || s == EV_REV || s == EV_SORT;
    uint64_t *taken = malloc(sizeof(uint64_t) * ((size_t)m + 1));
    long tries = 0, max_tries = 1000L * m + 100000;
    int rc = taken ? 0 : hh_fail(err, HH_EFAIL, "evals: out of memory");
    for (int j = 0; !rc && j < m; j++) {
        int i = s * m + j, qn = 0;
        uint8_t *q = it->query + (size_t)i * EV_QMAX, *ans = it->answer + (size_t)i * EV_AMAX;
        uint64_t key = 0;
        for (;;) {  // a new query: not an item already, and for copy/reverse/sort unseen
            if (++tries > max_tries) {
                rc = hh_fail(err, HH_EINPUT, "[evals] items = %d: set %s has only %d distinct%s "
                             "queries in %ld draws; lower [evals] items", m, EV_SET_NAME[s], j,
                             fresh ? " unseen" : "", max_tries);
                break;
            }
            memset(q, TOK_PAD, EV_QMAX);
            qn = draw_query(w, p, s, rq, q);
            key = key_of(q, qn);
            int dup = 0;
            for (int k = 0; k < j && !dup; k++) dup = taken[k] == key;
            if (!dup && !(fresh && seen_has(seen, key))) break;
        }
        if (rc) break;
        taken[j] = key;
        it->set[i] = (int8_t)s;
        it->seen[i] = (uint8_t)seen_has(seen, key);
        memset(ans, TOK_PAD, EV_AMAX);
        int an = answer_of(w, q, qn, ans);
        if (an < 0) { rc = hh_fail(err, HH_EFAIL, "evals: set %s: a query without an answer", EV_SET_NAME[s]); break; }
        if (s == EV_FACTS) {  // distractors: distinct other entities, by popularity
            int right = world_entity_at(w, ans, NAME_LEN), ents[EV_MAX_CHOICES] = {right};
            for (int c = 1; c < it->choices; c++) {
                int e, ok;
                do {
                    e = world_draw_entity(w, ENT_ALL, rq);
                    ok = 1;
                    for (int k = 0; k < c; k++) ok &= ents[k] != e;
                } while (!ok);
                ents[c] = e;
                put_name(w, e, ans + NAME_LEN * c);
            }
            an = NAME_LEN * it->choices;
        }
        it->alen[i] = an;
        for (int v = 0; !rc && v < EV_NSHOT; v++) {
            uint8_t *tok = it->prompt + ((size_t)v * it->n + i) * it->ctx;
            int k = s == EV_FACTS ? 1 : 0, cap = it->ctx - (s == EV_FACTS ? NAME_LEN : an);
            tok[0] = TOK_BOS;
            for (int e = 0; v == EV_FEW && e < it->shots; e++) {  // worked examples of the set
                uint8_t dq[EV_QMAX], da[EV_AMAX];
                int dn, dan;
                do dn = draw_query(w, p, s, rs, dq);
                while (key_of(dq, dn) == key);
                dan = answer_of(w, dq, dn, da);
                if (dan < 0) { rc = hh_fail(err, HH_EFAIL, "evals: an example without an answer"); break; }
                k = put_example(s, dq, dn, da, dan, 0, tok, k, cap);
            }
            if (!rc) k = put_example(s, q, qn, NULL, 0, 1, tok, k, cap);
            if (!rc && k > cap)
                rc = hh_fail(err, HH_EINPUT, "[evals] shots = %d: a few-shot prompt of set %s with "
                             "its answer does not fit [model] ctx = %d; lower [evals] shots",
                             it->shots, EV_SET_NAME[s], it->ctx);
            if (!rc) it->plen[(size_t)v * it->n + i] = k;
        }
    }
    free(taken);
    gsl_rng_free(rq);
    gsl_rng_free(rs);
    return rc;
}

int evals_items(const Params *p, const WorldData *d, EvalItems *it, HHErr *err) {
    memset(it, 0, sizeof *it);
    const World *w = &d->world;
    it->per_set = evals_items_per_set(p);
    it->shots = evals_shots(p);
    it->choices = evals_choices(p);
    it->ctx = p->ctx;
    it->n = EV_NSETS * it->per_set;
    if (it->choices > w->n_ent)
        return hh_fail(err, HH_EINPUT, "[evals] choices = %d is more than the %d entities of [world] "
                       "n_entities", it->choices, w->n_ent);
    size_t n = (size_t)it->n + 1;
    it->set = malloc(n);
    it->seen = malloc(n);
    it->query = malloc(n * EV_QMAX);
    it->answer = malloc(n * EV_AMAX);
    it->alen = malloc(sizeof(int32_t) * n);
    it->prompt = calloc(EV_NSHOT * n, (size_t)it->ctx);
    it->plen = malloc(sizeof(int32_t) * EV_NSHOT * n);
    KeySet seen = {0};
    int rc = it->set && it->seen && it->query && it->answer && it->alen && it->prompt && it->plen
                 ? seen_build(d, &seen, err)
                 : hh_fail(err, HH_EFAIL, "evals: out of memory");
    for (int s = 0; !rc && s < EV_NSETS; s++) rc = draw_set(p, w, &seen, s, it, err);
    free(seen.v);
    if (rc) evals_items_free(it);
    return rc;
}

// ---------------------------------------------------------------------------
// scoring

// A continuation to score: the log-likelihood of cont[0..clen) after pre[0..plen).
typedef struct {
    const uint8_t *pre, *cont;
    int plen, clen;
} LLRow;

// ll[k]: the continuation's total log-likelihood; minm[k] (when not NULL): the
// smallest, over its tokens, of logit(token) - the largest other logit (a
// log-probability difference, nats): > 0 exactly when greedy decoding from the
// prefix reproduces the continuation.
static int ll_rows(GPT *m, const LLRow *rows, int n, double *ll, double *minm, HHErr *err) {
    int chunk = gpt_infer_rows(m), T0 = m->cfg.ctx, V = m->cfg.vocab;
    int *x = malloc(sizeof(int) * (size_t)chunk * T0);
    if (!x) return hh_fail(err, HH_EFAIL, "evals: out of memory");
    int rc = 0;
    for (int i0 = 0; !rc && i0 < n; i0 += chunk) {
        int B = n - i0 < chunk ? n - i0 : chunk, T = 1;
        for (int b = 0; b < B; b++) {
            int L = rows[i0 + b].plen + rows[i0 + b].clen - 1;
            if (L > T) T = L;
        }
        if (T > T0) { rc = hh_fail(err, HH_EFAIL, "evals: a row longer than ctx"); break; }
        for (int b = 0; b < B; b++) {
            const LLRow *r = &rows[i0 + b];
            int *row = x + (size_t)b * T, k = 0;
            for (int t = 0; t < r->plen; t++) row[k++] = r->pre[t];
            for (int t = 0; t + 1 < r->clen; t++) row[k++] = r->cont[t];
            while (k < T) row[k++] = TOK_PAD;
        }
        rc = gpt_forward(m, x, B, T, 1, err);
        for (int b = 0; !rc && b < B; b++) {
            const LLRow *r = &rows[i0 + b];
            double s = 0, mm = INFINITY;
            for (int t = 0; t < r->clen; t++) {
                double lp;
                int tok = r->cont[t];
                const float *lg = m->logits + ((size_t)b * T + r->plen - 1 + t) * V;
                gpt_logprobs(&lp, lg, &tok, 1, V);
                s += lp;
                float other = -INFINITY;
                for (int v = 0; v < V; v++) if (v != tok && lg[v] > other) other = lg[v];
                mm = fmin(mm, (double)lg[tok] - (double)other);
            }
            ll[i0 + b] = s;
            if (minm) minm[i0 + b] = mm;
        }
    }
    free(x);
    return rc;
}

// Multiple choice: every candidate of every fact item, both variants.
static int score_facts(GPT *m, const EvalItems *it, uint8_t *correct, double *margin, HHErr *err) {
    int nf = 0, K = it->choices;
    for (int i = 0; i < it->n; i++) nf += it->set[i] == EV_FACTS;
    size_t nr = (size_t)EV_NSHOT * nf * K + 1;
    LLRow *rows = malloc(sizeof *rows * nr);
    double *ll = malloc(sizeof(double) * nr);
    int rc = rows && ll ? 0 : hh_fail(err, HH_EFAIL, "evals: out of memory"), r = 0;
    for (int v = 0; !rc && v < EV_NSHOT; v++)
        for (int i = 0; i < it->n; i++) {
            if (it->set[i] != EV_FACTS) continue;
            for (int c = 0; c < K; c++)
                rows[r++] = (LLRow){it->prompt + ((size_t)v * it->n + i) * it->ctx,
                                    it->answer + (size_t)i * EV_AMAX + NAME_LEN * c,
                                    it->plen[(size_t)v * it->n + i], NAME_LEN};
        }
    if (!rc) rc = ll_rows(m, rows, r, ll, NULL, err);
    r = 0;
    for (int v = 0; !rc && v < EV_NSHOT; v++)
        for (int i = 0; i < it->n; i++) {
            if (it->set[i] != EV_FACTS) continue;
            double best = -INFINITY;
            for (int c = 1; c < K; c++) best = fmax(best, ll[r + c]);
            margin[(size_t)v * it->n + i] = ll[r] - best;
            correct[(size_t)v * it->n + i] = ll[r] > best;  // a tie is wrong
            r += K;
        }
    free(rows);
    free(ll);
    return rc;
}

// Exact match of the greedy output, teacher-forced: greedy decoding from the
// prompt yields the answer and EOS exactly when, with the answer fed, the
// right token has the largest logit at every answer position (the decoded
// prefix then equals the fed one), so one forward pass per item decides it
// and the margin is the smallest right-minus-best-other logit gap.
static int score_tasks(GPT *m, const EvalItems *it, uint8_t *correct, double *margin, HHErr *err) {
    size_t N = (size_t)EV_NSHOT * it->n + 1;
    LLRow *rows = malloc(sizeof *rows * N);
    int *at = malloc(sizeof(int) * N);
    double *ll = malloc(sizeof(double) * N), *mm = malloc(sizeof(double) * N);
    int rc = rows && at && ll && mm ? 0 : hh_fail(err, HH_EFAIL, "evals: out of memory"), nr = 0;
    for (int v = 0; !rc && v < EV_NSHOT; v++)
        for (int i = 0; i < it->n; i++) {
            if (it->set[i] == EV_FACTS) continue;
            size_t k = (size_t)v * it->n + i;
            at[nr] = (int)k;
            rows[nr++] = (LLRow){it->prompt + k * it->ctx, it->answer + (size_t)i * EV_AMAX,
                                 it->plen[k], it->alen[i]};
        }
    if (!rc) rc = ll_rows(m, rows, nr, ll, mm, err);
    for (int j = 0; !rc && j < nr; j++) {
        correct[at[j]] = mm[j] > 0;  // a tie is wrong
        margin[at[j]] = mm[j];
    }
    free(rows); free(at); free(ll); free(mm);
    return rc;
}

int evals_score(GPT *m, const EvalItems *it, uint8_t *correct, double *margin, HHErr *err) {
    if (m->cfg.ctx != it->ctx)
        return hh_fail(err, HH_EINPUT, "evals: model ctx %d, items made for ctx %d", m->cfg.ctx, it->ctx);
    return score_facts(m, it, correct, margin, err) || score_tasks(m, it, correct, margin, err)
               ? err->code : 0;
}

// ---------------------------------------------------------------------------
// the stage

static int write_evals(const Params *p, const Job *j, const char *model, const EvalItems *it,
                       const uint8_t *correct, const double *margin, const double *acc,
                       HHErr *err) {
    H5Out o;
    if (job_mkdir(j, err) || h5out_create(&o, j->out, "evals", p, err)) return HH_EFAIL;
    hsize_t dn[1] = {(hsize_t)it->n}, dq[2] = {(hsize_t)it->n, EV_QMAX},
            da[2] = {(hsize_t)it->n, EV_AMAX}, dv[2] = {EV_NSHOT, (hsize_t)it->n},
            ds[2] = {EV_NSHOT, EV_NSETS};
    char sets[128] = "", desc[512];
    for (int s = 0; s < EV_NSETS; s++)
        snprintf(sets + strlen(sets), sizeof sets - strlen(sets), "%s%s", s ? "," : "", EV_SET_NAME[s]);
    snprintf(desc, sizeof desc, "set of each item: 0..%d = %s", EV_NSETS - 1, sets);
    int rc = jobkey_write(o.file, &j->key, err) || h5_attr_str(o.file, "job", "model", model, err) ||
             h5_write(o.file, "items/set", H5T_NATIVE_INT8, 1, dn, it->set, "index", desc, err) ||
             h5_write(o.file, "items/seen", H5T_NATIVE_UINT8, 1, dn, it->seen, "bool",
                      "1 when the item's query (a relational fact 'FACT name R', or the task with "
                      "its arguments) occurs in the corpus or the world's prompt sets; copy, "
                      "reverse and sort queries never do (redrawn)", err) ||
             h5_write(o.file, "items/query", H5T_NATIVE_UINT8, 2, dq, it->query, "token id",
                      "the query (task token and arguments, or FACT name R), PAD after", err) ||
             h5_write(o.file, "items/answer", H5T_NATIVE_UINT8, 2, da, it->answer, "token id",
                      "tasks: the right answer and EOS; facts: the candidates' names, the right "
                      "one first; PAD after", err) ||
             h5_write(o.file, "evals/correct", H5T_NATIVE_UINT8, 2, dv, correct, "bool",
                      "1 when the model answered the item right; rows zero-shot, few-shot "
                      "(facts: the right name's log-likelihood strictly the highest; tasks: the "
                      "greedy output equals the answer and EOS)", err) ||
             h5_write(o.file, "evals/margin", H5T_NATIVE_DOUBLE, 2, dv, margin, "nats",
                      "rows zero-shot, few-shot; > 0 exactly when correct; facts: log-likelihood "
                      "of the right name minus the highest of the distractors'; tasks: the "
                      "smallest, over the answer's tokens and EOS (teacher-forced), of log p(right "
                      "token) - log p(best other token)", err) ||
             h5_write(o.file, "evals/accuracy", H5T_NATIVE_DOUBLE, 2, ds, acc, "fraction",
                      "share of the set's items answered right; rows zero-shot, few-shot; "
                      "columns the sets (attribute sets)", err) ||
             h5_attr_str(o.file, "evals", "sets", sets, err) ||
             h5_attr_int(o.file, "evals", "shots", it->shots, err) ||
             h5_attr_int(o.file, "evals", "choices", it->choices, err) ||
             h5_attr_int(o.file, "evals", "items", it->per_set, err);
    if (rc) { h5out_abort(&o); return HH_EFAIL; }
    return h5out_commit(&o, err);
}

int evals_run(const Params *p, const WorldData *d, const Job *j, const StageOpts *so, HHErr *err) {
    if (j->n_in < 2) return hh_fail(err, HH_EFAIL, "%s: no model input", j->name);
    const JobInput *in = &j->in[1];
    char model[256];
    const char *base = strrchr(in->path, '/');
    snprintf(model, sizeof model, "%.40s/%.200s", in->stage->subdir, base ? base + 1 : in->path);
    Progress pr;
    char label[200];
    snprintf(label, sizeof label, "evals %s:", j->name + strlen("evals/"));
    progress_start(&pr, label, 1, so->quiet);
    EvalItems it;
    GPT *m = NULL;
    int rc = evals_items(p, d, &it, err);
    if (!rc) rc = lm_load(in->path, NULL, p, j->key.scale, 64, &m, err);
    size_t n = (size_t)EV_NSHOT * it.n + 1;
    uint8_t *correct = rc ? NULL : calloc(n, 1);
    double *margin = rc ? NULL : calloc(n, sizeof(double)), acc[EV_NSHOT][EV_NSETS] = {{0}};
    if (!rc && (!correct || !margin)) rc = hh_fail(err, HH_EFAIL, "evals: out of memory");
    if (!rc) rc = evals_score(m, &it, correct, margin, err);
    for (int v = 0; !rc && v < EV_NSHOT; v++)
        for (int i = 0; i < it.n; i++) acc[v][it.set[i]] += correct[(size_t)v * it.n + i] / (double)it.per_set;
    if (!rc) rc = write_evals(p, j, model, &it, correct, margin, &acc[0][0], err);
    if (!rc) {
        double z = 0, f = 0;
        for (int s = 0; s < EV_NSETS; s++) z += acc[0][s] / EV_NSETS, f += acc[1][s] / EV_NSETS;
        progress_done(&pr, "%s: accuracy zero-shot %.3f, few-shot %.3f (facts %.2f/%.2f, copy "
                      "%.2f/%.2f, lookup %.2f/%.2f) -> %s", model, z, f, acc[0][EV_FACTS],
                      acc[1][EV_FACTS], acc[0][EV_COPY], acc[1][EV_COPY], acc[0][EV_ASK],
                      acc[1][EV_ASK], j->out);
    }
    free(correct);
    free(margin);
    gpt_free(m);
    if (!rc || it.set) evals_items_free(&it);
    return rc;
}

static const char *evals_off(const Params *p) {
    return evals_items_per_set(p) == 0 ? "[evals] items = 0" : NULL;
}

static int list_evals(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    double w = evals_items_per_set(p);
    for (int k = 0; k < p->pt_scales.n; k++)
        for (int v = 0; v < 2; v++) {
            JobKey key, in;
            jobkey_init(&key);
            jobkey_init(&in);
            snprintf(key.scale, sizeof key.scale, "%s", p->pt_scales.v[k]);
            snprintf(in.scale, sizeof in.scale, "%s", p->pt_scales.v[k]);
            snprintf(key.variant, sizeof key.variant, "%s", v ? "distill" : "lm");
            Job *j = joblist_add(l, &STAGE_EVALS, &key, lm_scale_cost(p, key.scale) * w, NULL, 0, err);
            if (!j || job_add_input(l, j, v ? &STAGE_DISTILL : &STAGE_PRETRAIN, &in, err))
                return err->code;
        }
    if (STAGE_RL.off && STAGE_RL.off(p)) return 0;
    RLJob *rj = NULL;
    int n = 0, rc = rl_jobs(p, d, &rj, &n, err);
    for (int i = 0; !rc && i < n; i++) {
        if (strcmp(rj[i].pm_scale, rj[i].pm_key[2].scale)) continue;  // the runs against the largest PM
        JobKey key;
        jobkey_init(&key);
        snprintf(key.scale, sizeof key.scale, "%s", rj[i].policy);
        snprintf(key.pm_scale, sizeof key.pm_scale, "%s", rj[i].pm_scale);
        snprintf(key.variant, sizeof key.variant, "%s", rj[i].variant);
        key.seed = rj[i].seed;
        Job *j = joblist_add(l, &STAGE_EVALS, &key, lm_scale_cost(p, key.scale) * w, NULL, 0, err);
        rc = !j || job_add_input(l, j, &STAGE_RL, &key, err);
    }
    free(rj);
    return rc ? err->code : 0;
}

static const ParamDesc EVALS_KEYS[] = {
    {"evals", "items", PT_INT, PARAMS_EXT(EV_SLOT), "300", 0, 100000, 0, 0,
     "items per evaluation set (facts, copy, reverse, sort, lookup, make); 0 switches the stage off"},
    {"evals", "shots", PT_INT, PARAMS_EXT(EV_SLOT + 1), "3", 1, 16, 0, 0,
     "worked examples of the same set before the query in the few-shot variant"},
    {"evals", "choices", PT_INT, PARAMS_EXT(EV_SLOT + 2), "4", 2, EV_MAX_CHOICES, 0, 0,
     "candidate names per fact item: the right one and choices - 1 distractors by popularity"},
};

static const char *const EVALS_SECTIONS[] = {"run", "world", "corpus", "crowd", "model", "pretrain",
                                             "distill", "pm", "rl", "evals", NULL};

const StageDef STAGE_EVALS = {
    .name = "evals", .subdir = "evals", .kind = "evals",
    .summary = "capability evaluations outside the dialogue format (alignment tax)",
    .reads = "world.h5, lm/SCALE.h5, distill/SCALE.h5, rl/*.h5",
    .help = "Poses one fixed suite of items ([evals] items per set), drawn from the run's seed,\n"
            "to every base LM, distilled LM and RL policy (the runs against the largest PM,\n"
            "every variant and seed), zero-shot and with [evals] shots worked examples: fact\n"
            "recall as multiple choice scored by likelihood ([evals] choices candidate names\n"
            "after FACT name R), and copy, reverse, sort, lookup (ASK) and recipe (MAKE)\n"
            "tasks in the corpus's TASK args SEP format scored by exact match of the greedy\n"
            "output. Copy/reverse/sort queries are new (none occurs in the corpus or the\n"
            "prompt sets). Writes DIR/evals/STEM.h5 per model (STEM: SCALE_lm,\n"
            "SCALE_distill, or the RL run's stem) with every item's result and margin.\n"
            "Off when [evals] items = 0.\n",
    .sections = EVALS_SECTIONS, .off = evals_off, .list = list_evals, .run = evals_run,
    .keys = EVALS_KEYS, .n_keys = 3};
