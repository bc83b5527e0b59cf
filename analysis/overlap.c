// overlap.c - see overlap.h
#include "overlap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "h5io.h"
#include "stage.h"

typedef struct {
    const uint8_t *t;
    int32_t len;
} Seq;

static int cmp_seq(const void *x, const void *y) {
    const Seq *a = x, *b = y;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    return memcmp(a->t, b->t, (size_t)a->len);
}

int overlap_flags(const uint8_t *a, const int32_t *la, int na, const uint8_t *b, const int32_t *lb, int nb,
                  int ctx, int8_t *dup) {
    Seq *s = malloc(sizeof *s * ((size_t)na + 1));
    if (!s) return HH_EFAIL;
    for (int i = 0; i < na; i++) s[i].t = a + (size_t)i * ctx, s[i].len = la[i];
    qsort(s, (size_t)na, sizeof *s, cmp_seq);
    for (int i = 0; i < nb; i++) {
        Seq k = {b + (size_t)i * ctx, lb[i]};
        dup[i] = na > 0 && bsearch(&k, s, (size_t)na, sizeof *s, cmp_seq) != NULL;
    }
    free(s);
    return 0;
}

typedef struct {
    int n, ctx;
    uint8_t *tok;
    int32_t *len;
    int8_t *kind;
} Prompts;

static void prompts_free(Prompts *p) { free(p->tok), free(p->len), free(p->kind), memset(p, 0, sizeof *p); }

// /prompts/<split>/{tokens, length, kind}: tokens (n, ctx) of bytes, lengths 1 .. ctx, kinds 0 .. 3.
static int read_prompts(hid_t f, const char *path, const char *split, Prompts *p, HHErr *err) {
    memset(p, 0, sizeof *p);
    char nt[64], nl[64], nk[64];
    snprintf(nt, sizeof nt, "prompts/%s/tokens", split);
    snprintf(nl, sizeof nl, "prompts/%s/length", split);
    snprintf(nk, sizeof nk, "prompts/%s/kind", split);
    hsize_t dt[2] = {0, 0}, d1[1];
    int rc = h5_read(f, path, nt, H5T_NATIVE_UINT8, 2, dt, (void **)&p->tok, err);
    if (!rc && (dt[0] < 1 || dt[0] > 100000000 || dt[1] < 1 || dt[1] > 65536))
        rc = hh_fail(err, HH_EINPUT, "%s: %s is (%llu, %llu); allowed: 1 to 1e8 prompts of 1 to 65536 tokens",
                     path, nt, (unsigned long long)dt[0], (unsigned long long)dt[1]);
    if (!rc) p->n = (int)dt[0], p->ctx = (int)dt[1], d1[0] = dt[0];
    if (!rc) rc = h5_read(f, path, nl, H5T_NATIVE_INT32, 1, d1, (void **)&p->len, err) ||
                  h5_check_int(path, nl, p->len, H5_I32, (size_t)p->n, 1, p->ctx, err);
    if (!rc) d1[0] = dt[0], rc = h5_read(f, path, nk, H5T_NATIVE_INT8, 1, d1, (void **)&p->kind, err) ||
                                 h5_check_int(path, nk, p->kind, H5_I8, (size_t)p->n, 0, 3, err);
    if (rc) prompts_free(p);
    return rc;
}

static const char *const KIND[5] = {"benign", "borderline", "red-team", "disguised", "all"};

int report_prompt_overlap(Report *R, HHErr *err) {
    Tab *t = tab_alloc("prompt_overlap",
        "held-out (test) prompts whose exact token sequence is a training prompt (world.h5 /prompts: the "
        "world draws both sets independently), per kind; scope test = every held-out prompt, rl_eval = the "
        "first [rl] eval_prompts of each kind (the prompts RL's gold curves, the evals gate and the online "
        "claims are measured on)",
        "scope:s:-;kind:s:-;n_prompts:i:prompts;n_dup:i:prompts;share_dup:f:fraction;"
        "n_distinct_dup:i:sequences;n_train:i:prompts", err);
    if (!t) return err->code;
    char path[1100];
    hid_t f;
    if (stage_run_path(R->rd->dir, "world", path, sizeof path, err) || h5in_open(path, "world", &f, err)) {
        tab_free(t);
        return err->code;
    }
    Prompts tr, te;
    int rc = read_prompts(f, path, "train", &tr, err);
    if (!rc && (rc = read_prompts(f, path, "test", &te, err))) prompts_free(&tr);
    H5Fclose(f);
    if (!rc && te.ctx != tr.ctx) {
        rc = hh_fail(err, HH_EINPUT, "%s: prompts/test/tokens has %d columns, prompts/train/tokens %d; allowed: "
                     "the same context length", path, te.ctx, tr.ctx);
        prompts_free(&tr), prompts_free(&te);
    }
    if (rc) {
        tab_free(t);
        return rc;
    }
    int8_t *dup = malloc((size_t)te.n + 1), *first = malloc((size_t)te.n + 1);
    if (!dup || !first || overlap_flags(tr.tok, tr.len, tr.n, te.tok, te.len, te.n, te.ctx, dup))
        rc = hh_fail(err, HH_EFAIL, "out of memory");
    // first[i] = 1: no earlier duplicated test prompt has the same sequence (for the distinct count;
    // quadratic in the duplicates only)
    for (int i = 0; !rc && i < te.n; i++) {
        first[i] = dup[i];
        for (int j = 0; j < i && first[i]; j++)
            if (dup[j] && te.len[j] == te.len[i] &&
                !memcmp(te.tok + (size_t)j * te.ctx, te.tok + (size_t)i * te.ctx, (size_t)te.len[i]))
                first[i] = 0;
    }
    int per_kind = R->rd->params.rl_eval_prompts;
    for (int scope = 0; !rc && scope < 2; scope++) {
        int n[5] = {0}, nd[5] = {0}, ndd[5] = {0}, ntr[5] = {0}, seen[4] = {0};
        for (int i = 0; i < tr.n; i++) ntr[tr.kind[i]]++, ntr[4]++;
        for (int i = 0; i < te.n; i++) {
            int k = te.kind[i];
            if (scope == 1 && seen[k]++ >= per_kind) continue;  // eval_pick: the first per_kind of each kind
            n[k]++, n[4]++;
            if (dup[i]) nd[k]++, nd[4]++;
            if (dup[i] && first[i]) ndd[k]++, ndd[4]++;
        }
        for (int k = 0; k < 5; k++) {
            size_t r = tab_add_row(t);
            tab_sets(t, r, "scope", scope ? "rl_eval" : "test"), tab_sets(t, r, "kind", KIND[k]);
            tab_seti(t, r, "n_prompts", n[k]), tab_seti(t, r, "n_dup", nd[k]);
            tab_setf(t, r, "share_dup", n[k] ? (double)nd[k] / n[k] : NAN);
            tab_seti(t, r, "n_distinct_dup", ndd[k]), tab_seti(t, r, "n_train", ntr[k]);
        }
    }
    free(dup), free(first);
    prompts_free(&tr), prompts_free(&te);
    if (rc) {
        tab_free(t);
        return rc;
    }
    tab_attr_double(t, "rl_eval_prompts", per_kind);
    return report_put(R, t, err);
}
