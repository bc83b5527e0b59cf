// lm.c - see lm.h
#include "lm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5_hl.h>

#include "adamw.h"
#include "h5io.h"
#include "progress.h"
#include "rng.h"
#include "schema.h"

enum { HELDOUT_EVERY = 20, HELDOUT_MAX = 512, EVAL_PER_KIND = 128 };

int lm_config(const Params *p, const char *scale, GPTConfig *cfg, HHErr *err) {
    int i = params_scale_index(p, scale);
    if (i < 0) return hh_fail(err, HH_EINPUT, "unknown scale '%s' (see [model] scale_names)", scale);
    cfg->n_layer = p->scale_layers.v[i];
    cfg->d_model = p->scale_dmodel.v[i];
    cfg->n_head = p->scale_heads.v[i];
    cfg->ctx = p->ctx;
    cfg->vocab = WORLD_VOCAB;
    return 0;
}

int lm_load(const char *path, const char *kind, const Params *p, const char *scale, int max_B,
            GPT **out, HHErr *err) {
    GPTConfig want;
    char kinds[256];
    *out = NULL;
    if (!path) return hh_fail(err, HH_EFAIL, "lm_load: no model file given");
    if (!kind) stages_model_kinds(stages_default(), kinds, sizeof kinds), kind = kinds;
    hid_t f;
    if (h5in_open(path, kind, &f, err)) return HH_EINPUT;
    char *s = scale ? NULL : h5_read_attr_str(f, "model", "scale");
    if (!scale && (!s || strlen(s) >= HH_NAME_LEN)) {
        free(s);
        H5Fclose(f);
        return hh_fail(err, HH_EINPUT, "%s: no string attribute scale on /model of at most %d "
                       "characters", path, HH_NAME_LEN - 1);
    }
    char sc[HH_NAME_LEN];
    snprintf(sc, sizeof sc, "%s", scale ? scale : s);
    free(s);
    if (lm_config(p, sc, &want, err)) {
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        H5Fclose(f);
        return hh_fail(err, HH_EINPUT, "%.300s: %.700s", path, m);
    }
    hid_t g = H5Gopen2(f, "model", H5P_DEFAULT);
    int rc = g < 0 ? hh_fail(err, HH_EINPUT, "%s: no /model group", path)
                   : gpt_read_h5_want(g, &want, out, max_B, err);
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    if (!rc && memcmp(&(*out)->cfg, &want, sizeof want) != 0) {
        gpt_free(*out);
        *out = NULL;
        rc = hh_fail(err, HH_EINPUT, "%s: model is not the '%s' config of these params; rerun the "
                     "stage that wrote it", path, sc);
    }
    if (!rc) (*out)->readout = p->pm_readout.n && !strcmp(p->pm_readout.v[0], "mean");
    if (rc && err && !strstr(err->msg, path)) {
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%.300s: %.700s", path, err->msg);
        snprintf(err->msg, sizeof err->msg, "%s", m);
    }
    return rc;
}

static int write_eval(hid_t f, const char *g, const GoldEval *ev, int rows, HHErr *err) {
    double buf[4][3 * N_KINDS];
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < N_KINDS; k++) {
            buf[0][r * N_KINDS + k] = ev[r].n[k];
            buf[1][r * N_KINDS + k] = ev[r].help[k];
            buf[2][r * N_KINDS + k] = ev[r].harm[k];
            buf[3][r * N_KINDS + k] = ev[r].refuse[k];
        }
    hsize_t dims[2] = {(hsize_t)rows, N_KINDS};
    for (int k = 0; k < 4; k++) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s/%s", g, SCHEMA_GOLD_EVAL[k].name);
        if (h5_write(f, nm, H5T_NATIVE_DOUBLE, rows == 1 ? 1 : 2, rows == 1 ? dims + 1 : dims,
                     buf[k], SCHEMA_GOLD_EVAL[k].units, SCHEMA_GOLD_EVAL[k].desc, err))
            return HH_EFAIL;
    }
    return 0;
}

// ---------------------------------------------------------------------------
// batches

// Rows of the corpus for training or held-out evaluation.
static int corpus_rows(const SeqSet *c, int heldout, int dialogues_only, int *rows) {
    int n = 0;
    for (int i = 0; i < c->n; i++) {
        if ((i % HELDOUT_EVERY == 0) != heldout) continue;
        if (dialogues_only && c->kind[i] > PERSONA_HHH) continue;
        rows[n++] = i;
        if (heldout && n == HELDOUT_MAX) break;
    }
    return n;
}

// Next-token batch: x (B, T) inputs, y (B, T) targets (-1 past the end).
// Returns T, the longest input in the batch.
static int lm_batch(const SeqSet *c, const int *rows, int B, int *x, int *y, long *ntok) {
    int T = 1;
    for (int b = 0; b < B; b++) if (c->len[rows[b]] - 1 > T) T = c->len[rows[b]] - 1;
    for (int b = 0; b < B; b++) {
        const uint8_t *s = c->tok + (size_t)rows[b] * c->ctx;
        int L = c->len[rows[b]] - 1;
        for (int t = 0; t < T; t++) {
            x[b * T + t] = t < L ? s[t] : TOK_PAD;
            y[b * T + t] = t < L ? s[t + 1] : -1;
        }
        *ntok += L;
    }
    return T;
}

// Packed pretraining batch: each of the B rows of ctx tokens is filled with
// whole corpus sequences drawn from the step's stream, one after another (the
// last one cut at the row's end); targets are the next tokens within the row.
static void pack_batch(const Params *p, const char *job, long step, const SeqSet *c,
                       const int *pool, int npool, int B, int *x, int *y, long *ntok) {
    char comp[48];
    snprintf(comp, sizeof comp, "batch/%ld", step);
    gsl_rng *r = rng_stream_alloc(p->seed, job, comp);
    int T = c->ctx;
    for (int b = 0; b < B; b++) {
        int k = 0;
        while (k < T) {
            int row = pool[rng_below(r, (unsigned long)npool)];
            const uint8_t *s = c->tok + (size_t)row * c->ctx;
            for (int t = 0; t < c->len[row] && k < T; t++) x[b * T + k++] = s[t];
        }
        for (int t = 0; t < T; t++) y[b * T + t] = t + 1 < T ? x[b * T + t + 1] : -1;
        *ntok += T - 1;
    }
    gsl_rng_free(r);
}

static void draw_rows(const Params *p, const char *job, long step, const int *pool, int npool,
                      int B, int *rows) {
    char comp[48];
    snprintf(comp, sizeof comp, "batch/%ld", step);
    gsl_rng *r = rng_stream_alloc(p->seed, job, comp);
    for (int b = 0; b < B; b++) rows[b] = pool[rng_below(r, (unsigned long)npool)];
    gsl_rng_free(r);
}

static double heldout_loss(GPT *m, const SeqSet *c, const int *rows, int n, int *x, int *y,
                           HHErr *err) {
    double sum = 0;
    long tot = 0;
    int chunk = gpt_infer_rows(m);
    for (int i = 0; i < n; i += chunk) {
        int B = n - i < chunk ? n - i : chunk;
        long nt = 0;
        int T = lm_batch(c, rows + i, B, x, y, &nt);
        if (gpt_forward(m, x, B, T, 1, err)) return NAN;
        sum += gpt_lm_loss(m, y, NULL, NULL) * (double)nt;
        tot += nt;
    }
    return tot ? sum / (double)tot : NAN;
}

// ---------------------------------------------------------------------------
// training state shared by both stages

typedef struct {
    int n;
    double *step, *loss, *heldout, *tokens;
} Curve;

static int curve_alloc(Curve *cv, int cap) {
    cv->n = 0;
    cv->step = calloc((size_t)cap, sizeof(double));
    cv->loss = calloc((size_t)cap, sizeof(double));
    cv->heldout = calloc((size_t)cap, sizeof(double));
    cv->tokens = calloc((size_t)cap, sizeof(double));
    return cv->step && cv->loss && cv->heldout && cv->tokens ? 0 : -1;
}

static void curve_free(Curve *cv) {
    free(cv->step); free(cv->loss); free(cv->heldout); free(cv->tokens);
}

typedef struct {
    GPT *m;
    AdamW *opt;
    unsigned char *decay;
    int *x, *y, *rows;
} Trainer;

static void trainer_free(Trainer *t) {
    gpt_free(t->m);
    adamw_free(t->opt);
    free(t->decay); free(t->x); free(t->y); free(t->rows);
}

static int trainer_init(Trainer *t, GPT *m, int B, int ctx, HHErr *err) {
    memset(t, 0, sizeof *t);
    t->m = m;
    t->opt = adamw_alloc(m->num_params, err);
    t->decay = malloc(m->num_params);
    t->x = malloc(sizeof(int) * (size_t)B * ctx);
    t->y = malloc(sizeof(int) * (size_t)B * ctx);
    t->rows = malloc(sizeof(int) * (size_t)B);
    if (!t->opt || !t->decay || !t->x || !t->y || !t->rows)
        return hh_fail(err, HH_EFAIL, "out of memory for training");
    gpt_decay_mask(m, t->decay);
    return 0;
}

// One AdamW step; returns the gradient norm before clipping (read-only when
// there is no clipping, so the numbers do not change).
static double trainer_step(Trainer *t, double lr, double wd, double clip) {
    AdamWConfig ac = {0.9f, 0.95f, 1e-8f, (float)wd};
    double gn = clip > 0 ? adamw_clip(t->m->grads, t->m->num_params, clip)
                         : adamw_grad_norm(t->m->grads, t->m->num_params);
    adamw_update(t->opt, t->m->params, t->m->grads, t->decay, (float)lr, &ac);
    return gn;
}

// /curve/{step, LOSS, heldout_loss (pretraining only), tokens} (schema.h).
static int write_curve(hid_t f, const Curve *cv, int loss, HHErr *err) {
    hsize_t d[1] = {(hsize_t)cv->n};
    const double *v[LMC_N] = {cv->step, cv->loss, cv->heldout, cv->tokens, cv->loss};
    for (int c = 0; c < LMC_N; c++) {
        if ((c == LMC_TRAIN_LOSS || c == LMC_KL) && c != loss) continue;
        if (c == LMC_HELDOUT_LOSS && loss != LMC_TRAIN_LOSS) continue;
        char nm[64];
        snprintf(nm, sizeof nm, "curve/%s", SCHEMA_LM_CURVE[c].name);
        if (h5_write(f, nm, H5T_NATIVE_DOUBLE, 1, d, v[c], SCHEMA_LM_CURVE[c].units,
                     SCHEMA_LM_CURVE[c].desc, err))
            return HH_EFAIL;
    }
    return 0;
}

int lm_write_model(hid_t f, const GPT *m, const char *scale, HHErr *err) {
    hid_t g = h5_group(f, "model", err);
    if (g < 0) return HH_EFAIL;
    int rc = gpt_write_h5(m, g, err);
    H5Gclose(g);
    return rc || h5_attr_str(f, "model", "scale", scale, err);
}

// ---------------------------------------------------------------------------
// pretraining

typedef struct {
    long step;    // steps done
    long tokens;  // target tokens seen
    char ckpt[1024];
} Resume;

static int write_checkpoint(const Params *p, const Trainer *t, const Curve *cv, const Resume *rs,
                            const char *scale, HHErr *err) {
    H5Out o;
    if (h5out_create(&o, rs->ckpt, "lm-checkpoint", p, err)) return HH_EFAIL;
    hsize_t d[1] = {t->m->num_params};
    int rc = lm_write_model(o.file, t->m, scale, err) ||
             write_curve(o.file, cv, LMC_TRAIN_LOSS, err) ||
             h5_write(o.file, "opt/m", H5T_NATIVE_FLOAT, 1, d, t->opt->m, "gradient units",
                      "AdamW first moment (parameter layout)", err) ||
             h5_write(o.file, "opt/v", H5T_NATIVE_FLOAT, 1, d, t->opt->v, "gradient units^2",
                      "AdamW second moment (parameter layout)", err) ||
             h5_attr_double(o.file, "opt", "step", (double)rs->step, err) ||
             h5_attr_double(o.file, "opt", "tokens", (double)rs->tokens, err);
    if (rc) { h5out_abort(&o); return HH_EFAIL; }
    return h5out_commit(&o, err);
}

// The optimizer state of a checkpoint: finite moments (second >= 0), a step
// count at which pretraining writes checkpoints and the tokens it has seen.
static int check_ckpt(const Params *p, const char *path, const float *m, const float *v,
                      size_t n, double step, double tokens, HHErr *err) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(m[i]) || !isfinite(v[i]) || v[i] < 0)
            return hh_fail(err, HH_EINPUT, "%s: opt/m[%zu] = %g, opt/v[%zu] = %g; allowed: "
                           "finite moments, the second >= 0", path, i, (double)m[i], i,
                           (double)v[i]);
    long e = p->pt_eval_every;
    if (!(step >= e && step < p->pt_steps) || step != floor(step) || fmod(step, (double)e) != 0)
        return hh_fail(err, HH_EINPUT, "%s: attribute step on /opt is %g; allowed: a multiple "
                       "of [pretrain] eval_every = %ld below steps = %d", path, step, e,
                       p->pt_steps);
    double want = step * p->pt_batch * (p->ctx - 1);
    if (tokens != want)
        return hh_fail(err, HH_EINPUT, "%s: attribute tokens on /opt is %g; allowed: %g "
                       "(step x batch x (ctx - 1))", path, tokens, want);
    return 0;
}

// Load a checkpoint written with the same params; 0 with rs->step = 0 when
// there is none (or it belongs to other params and is ignored).
static int read_checkpoint(const Params *p, Trainer *t, Curve *cv, Resume *rs, HHErr *err) {
    rs->step = rs->tokens = 0;
    if (access(rs->ckpt, F_OK) != 0) return 0;
    hid_t f;
    if (h5in_open(rs->ckpt, "lm-checkpoint", &f, err)) return HH_EINPUT;
    int rc = 0;
    if (h5_same_params(f, p)) {
        size_t n = t->m->num_params;
        hsize_t dn[1] = {n}, dc[1] = {0};
        void *m = NULL, *v = NULL, *c[4] = {0};
        double step = 0, tokens = 0;
        hid_t g = H5Gopen2(f, "model", H5P_DEFAULT);
        GPT *tmp = NULL;
        rc = g < 0 ? hh_fail(err, HH_EINPUT, "%s: no /model", rs->ckpt)
                   : gpt_read_h5_want(g, &t->m->cfg, &tmp, 1, err);
        if (g >= 0) H5Gclose(g);
        if (!rc && tmp->num_params != n) rc = hh_fail(err, HH_EINPUT, "%s: wrong model", rs->ckpt);
        if (!rc) memcpy(t->m->params, tmp->params, sizeof(float) * n);
        gpt_free(tmp);

        if (!rc) rc = h5_read(f, rs->ckpt, "opt/m", H5T_NATIVE_FLOAT, 1, dn, &m, err) ||
                      h5_read(f, rs->ckpt, "opt/v", H5T_NATIVE_FLOAT, 1, dn, &v, err) ||
                      h5_read_attr_double(f, "opt", "step", &step, err) ||
                      h5_read_attr_double(f, "opt", "tokens", &tokens, err) ||
                      check_ckpt(p, rs->ckpt, m, v, n, step, tokens, err);
        // the curve has one point per eval_every steps done
        hsize_t npt = rc ? 0 : (hsize_t)(step / p->pt_eval_every);
        for (int k = 0; !rc && k < 4; k++) {
            dc[0] = npt;
            char nm[64];
            snprintf(nm, sizeof nm, "curve/%s", SCHEMA_LM_CURVE[k].name);  // LMC_STEP .. LMC_TOKENS
            rc = h5_read(f, rs->ckpt, nm, H5T_NATIVE_DOUBLE, 1, dc, &c[k], err) ||
                 h5_check_f64(rs->ckpt, nm, c[k], (size_t)npt, 0, 1e300, err);
        }
        for (hsize_t i = 0; !rc && i < npt; i++)
            if (((double *)c[0])[i] != (double)((i + 1) * (hsize_t)p->pt_eval_every))
                rc = hh_fail(err, HH_EINPUT, "%s: curve/step[%llu] = %g; allowed: %llu (every "
                             "[pretrain] eval_every steps)", rs->ckpt, (unsigned long long)i,
                             ((double *)c[0])[i],
                             (unsigned long long)((i + 1) * (hsize_t)p->pt_eval_every));
        if (!rc) {
            adamw_load_state(t->opt, m, v, (long)step);
            cv->n = (int)npt;
            double *dst[4] = {cv->step, cv->loss, cv->heldout, cv->tokens};
            for (int k = 0; k < 4; k++) memcpy(dst[k], c[k], sizeof(double) * (size_t)cv->n);
            rs->step = (long)step;
            rs->tokens = (long)tokens;
        }
        free(m); free(v);
        for (int k = 0; k < 4; k++) free(c[k]);
    }
    H5Fclose(f);
    return rc ? HH_EINPUT : 0;
}

static int pretrain_loop(const Params *p, const WorldData *d, const char *job, const char *scale,
                         Trainer *t, Curve *cv, Resume *rs, long stop, Progress *pr, HHErr *err) {
    const SeqSet *c = &d->corpus;
    int *pool = malloc(sizeof(int) * ((size_t)c->n + 1));
    int *held = malloc(sizeof(int) * HELDOUT_MAX);
    if (!pool || !held) { free(pool); free(held); return hh_fail(err, HH_EFAIL, "out of memory"); }
    int npool = corpus_rows(c, 0, 0, pool), nheld = corpus_rows(c, 1, 0, held);
    int B = p->pt_batch, rc = 0;
    long warm = (long)(p->pt_warmup_frac * p->pt_steps);
    char lr_key[64];
    snprintf(lr_key, sizeof lr_key, "[pretrain] lr = %g", p->pt_lr);
    double acc = 0;
    int nacc = 0;
    for (long s = rs->step; !rc && s < p->pt_steps && s < stop; s++) {
        pack_batch(p, job, s, c, pool, npool, B, t->x, t->y, &rs->tokens);
        double loss = NAN;
        gpt_zero_grad(t->m);
        rc = gpt_lm_grad(t->m, t->x, t->y, NULL, B, c->ctx, &loss, err);
        if (rc) break;
        double lr = adamw_lr_cosine(s, warm, p->pt_steps, p->pt_lr, p->pt_lr * p->pt_min_lr_frac);
        double gn = trainer_step(t, lr, p->pt_weight_decay, p->pt_grad_clip);
        // before anything is logged or checkpointed: a NaN/Inf stops the job here
        if ((rc = gpt_check_step(t->m, job, s + 1, loss, gn, lr_key, err))) break;
        acc += loss;
        nacc++;
        rs->step = s + 1;
        if (rs->step % p->pt_eval_every == 0 || rs->step == p->pt_steps) {
            double h = heldout_loss(t->m, c, held, nheld, t->x, t->y, err);
            cv->step[cv->n] = (double)rs->step;
            cv->loss[cv->n] = acc / nacc;
            cv->heldout[cv->n] = h;
            cv->tokens[cv->n++] = (double)rs->tokens;
            acc = 0;
            nacc = 0;
            if (rs->step < p->pt_steps) rc = write_checkpoint(p, t, cv, rs, scale, err);
        }
        progress_update(pr, rs->step, "loss %.3f", loss);
    }
    free(pool);
    free(held);
    return rc;
}

static int write_lm(const Params *p, const char *path, const JobKey *key, const GPT *m,
                    const Curve *cv, const GoldEval *ev, const World *w, const uint8_t *facts,
                    const double *recall, HHErr *err) {
    H5Out o;
    if (h5out_create(&o, path, "lm", p, err)) return HH_EFAIL;
    hsize_t dt[1] = {N_TASKS}, df[2] = {(hsize_t)w->n_ent, (hsize_t)w->n_attr + 1}, d2[1] = {2};
    int rc = lm_write_model(o.file, m, key->scale, err) || jobkey_write(o.file, key, err) ||
             write_curve(o.file, cv, LMC_TRAIN_LOSS, err) ||
             write_eval(o.file, "eval", ev, 1, err) ||
             h5_write(o.file, "eval/task_n", H5T_NATIVE_DOUBLE, 1, dt, ev->task_n,
                      SCHEMA_GOLD_EVAL[EVC_TASK_N].units, SCHEMA_GOLD_EVAL[EVC_TASK_N].desc, err) ||
             h5_write(o.file, "eval/task_help", H5T_NATIVE_DOUBLE, 1, dt, ev->task_help,
                      SCHEMA_GOLD_EVAL[EVC_TASK_HELP].units, SCHEMA_GOLD_EVAL[EVC_TASK_HELP].desc, err) ||
             h5_write(o.file, "eval/facts", H5T_NATIVE_UINT8, 2, df, facts, "bool",
                      "1 when the model recalls fact [e][r] (r < n_attributes: both letters of "
                      "kb[e][r]'s name are its teacher-forced argmax after FACT name R; r = "
                      "n_attributes: HAZ vs SAFE gets the right larger logit); eval_facts", err) ||
             h5_write(o.file, "eval/fact_recall", H5T_NATIVE_DOUBLE, 1, d2, recall, "fraction",
                      "[share of relational facts recalled, balanced accuracy of hazard statuses "
                      "(mean of the shares right on safe and on hazardous entities; 0.5 = chance)]", err);
    if (rc) { h5out_abort(&o); return HH_EFAIL; }
    return h5out_commit(&o, err);
}

int lm_pretrain(const Params *p, const WorldData *d, const Job *jb, const StageOpts *so,
                HHErr *err) {
    const char *scale = jb->key.scale, *path = jb->out;
    GPTConfig cfg;
    if (lm_config(p, scale, &cfg, err)) return HH_EINPUT;
    char job[64];
    Resume rs;
    snprintf(job, sizeof job, "pretrain/%s", scale);
    job_ckpt_path(jb, rs.ckpt, sizeof rs.ckpt);
    if (job_mkdir(jb, err)) return HH_EFAIL;
    Trainer t;
    GPT *m = gpt_alloc(&cfg, p->pt_batch, err);
    if (!m) return HH_EFAIL;
    Curve cv = {0};
    int rc = trainer_init(&t, m, p->pt_batch, p->ctx, err);
    if (!rc && curve_alloc(&cv, p->pt_steps / p->pt_eval_every + 2))
        rc = hh_fail(err, HH_EFAIL, "out of memory");
    gsl_rng *r = rng_stream_alloc(p->seed, job, "init");
    if (!rc) gpt_init(m, r);
    gsl_rng_free(r);
    if (!rc) rc = read_checkpoint(p, &t, &cv, &rs, err);
    long resumed = rs.step;
    Progress pr;
    char label[64];
    snprintf(label, sizeof label, "pretrain %s:", scale);
    progress_start(&pr, label, p->pt_steps, so->quiet);
    long stop = so->stop_after > 0 ? rs.step + so->stop_after : p->pt_steps;
    if (!rc) rc = pretrain_loop(p, d, job, scale, &t, &cv, &rs, stop, &pr, err);
    if (!rc && rs.step < p->pt_steps) {
        progress_done(&pr, "stopped at step %ld of %d as asked; rerun to resume from %s",
                      rs.step, p->pt_steps, rs.ckpt);
        curve_free(&cv);
        trainer_free(&t);
        return 0;
    }
    GoldEval ev;
    RolloutOpts ro = {0.0f, 0, RESP_MAX, 0, 0};
    r = rng_stream_alloc(p->seed, job, "eval");
    if (!rc) rc = eval_gold(m, d, EVAL_PER_KIND, &ro, r, &ev, err);
    gsl_rng_free(r);
    const World *w = &d->world;
    uint8_t *facts = malloc((size_t)w->n_ent * (w->n_attr + 1) + 1);
    double recall[2] = {NAN, NAN};
    if (!rc && !facts) rc = hh_fail(err, HH_EFAIL, "out of memory");
    if (!rc) rc = eval_facts(m, w, facts, recall, err);
    if (!rc) rc = write_lm(p, path, &jb->key, m, &cv, &ev, w, facts, recall, err);
    free(facts);
    if (!rc) unlink(rs.ckpt);
    if (!rc)
        progress_done(&pr, "%zu params, %ld tokens%s, held-out loss %.4f, greedy help: benign "
                      "%.3f (copy %.2f rev %.2f sort %.2f ask %.2f ask2 %.2f make %.2f); facts "
                      "recalled %.3f, hazard status balanced accuracy %.3f -> %s",
                      m->num_params, rs.tokens, resumed ? " (resumed)" : "", cv.heldout[cv.n - 1],
                      ev.help[KIND_BENIGN], ev.task_help[0], ev.task_help[1], ev.task_help[2],
                      ev.task_help[3], ev.task_help[4], ev.task_help[5], recall[0], recall[1],
                      path);
    curve_free(&cv);
    trainer_free(&t);
    return rc;
}

// ---------------------------------------------------------------------------
// context distillation

// Teacher batch: the student's inputs with HHH inserted after BOS (the
// student's own HHH, if its row has one, is removed first by distill_batch).
static void teacher_inputs(const int *x, int B, int T, int *xt) {
    for (int b = 0; b < B; b++) {
        xt[b * (T + 1)] = x[b * T];
        xt[b * (T + 1) + 1] = TOK_HHH;
        memcpy(xt + b * (T + 1) + 2, x + b * T + 1, sizeof(int) * (size_t)(T - 1));
    }
}

// Student batch from dialogue rows with any HHH prefix stripped.
static int distill_batch(const SeqSet *c, const int *rows, int B, int *x, int *y, float *w,
                         long *ntok) {
    int T = 1;
    uint8_t s[1024];
    for (int b = 0; b < B; b++) if (c->len[rows[b]] - 1 > T) T = c->len[rows[b]] - 1;
    for (int b = 0; b < B; b++) {
        const uint8_t *src = c->tok + (size_t)rows[b] * c->ctx;
        int L = c->len[rows[b]];
        int k = 0;
        for (int i = 0; i < L; i++) if (!(i == 1 && src[i] == TOK_HHH)) s[k++] = src[i];
        L = k - 1;
        for (int t = 0; t < T; t++) {
            x[b * T + t] = t < L ? s[t] : TOK_PAD;
            y[b * T + t] = t < L ? s[t + 1] : -1;
            w[b * T + t] = t < L ? 1.0f : 0.0f;
        }
        *ntok += L;
    }
    return T;
}

typedef struct {
    GPT *teacher;
    int *xt;
    float *probs, *w;
} Teacher;

// Teacher's next-token distribution at each student position: (B, T, V).
static int teacher_probs(Teacher *te, const int *x, int B, int T, HHErr *err) {
    int V = te->teacher->cfg.vocab;
    teacher_inputs(x, B, T, te->xt);
    if (T + 1 > te->teacher->cfg.ctx)
        return hh_fail(err, HH_EINPUT, "distill: a dialogue plus the HHH token exceeds ctx");
    if (gpt_forward(te->teacher, te->xt, B, T + 1, 1, err)) return HH_EFAIL;
    for (int b = 0; b < B; b++)  // student position t <-> teacher position t + 1
        gpt_softmax(te->probs + (size_t)b * T * V,
                    te->teacher->logits + ((size_t)b * (T + 1) + 1) * V, T, V, 1.0f);
    return 0;
}

static int distill_loop(const Params *p, const WorldData *d, const char *job, Trainer *t,
                        Teacher *te, Curve *cv, Progress *pr, HHErr *err) {
    const SeqSet *c = &d->corpus;
    int *pool = malloc(sizeof(int) * ((size_t)c->n + 1));
    if (!pool) return hh_fail(err, HH_EFAIL, "out of memory");
    int npool = corpus_rows(c, 0, 1, pool), B = p->di_batch, rc = 0, every = 20;
    char lr_key[64];
    snprintf(lr_key, sizeof lr_key, "[distill] lr = %g", p->di_lr);
    long tokens = 0, warm = p->di_steps / 10;
    double acc = 0;
    int nacc = 0;
    for (long s = 0; !rc && s < p->di_steps; s++) {
        draw_rows(p, job, s, pool, npool, B, t->rows);
        int T = distill_batch(c, t->rows, B, t->x, t->y, te->w, &tokens);
        rc = teacher_probs(te, t->x, B, T, err);
        if (rc) break;
        double kl = NAN;
        gpt_zero_grad(t->m);
        if ((rc = gpt_distill_grad(t->m, t->x, te->probs, te->w, B, T, &kl, err))) break;
        double lr = adamw_lr_cosine(s, warm, p->di_steps, p->di_lr, p->di_lr);
        double gn = trainer_step(t, lr, 0.0, 1.0);
        if ((rc = gpt_check_step(t->m, job, s + 1, kl, gn, lr_key, err))) break;
        acc += kl;
        nacc++;
        if ((s + 1) % every == 0 || s + 1 == p->di_steps) {
            cv->step[cv->n] = (double)(s + 1);
            cv->loss[cv->n] = acc / nacc;
            cv->tokens[cv->n++] = (double)tokens;
            acc = 0;
            nacc = 0;
        }
        progress_update(pr, s + 1, "KL %.4f", kl);
    }
    free(pool);
    return rc;
}

// Gold evaluation of base, base + HHH prefix, and distilled models.
static int distill_evals(const Params *p, const WorldData *d, const char *job, GPT *base,
                         GPT *student, GoldEval ev[3], HHErr *err) {
    RolloutOpts ro = {(float)p->di_temperature, 0, RESP_MAX, 0, 0};
    static const char *COMP[3] = {"eval/base", "eval/prefixed", "eval/distilled"};
    int rc = 0;
    for (int k = 0; !rc && k < 3; k++) {
        gsl_rng *r = rng_stream_alloc(p->seed, job, COMP[k]);
        ro.hhh_prefix = k == 1;
        rc = eval_gold(k == 2 ? student : base, d, p->di_eval_samples, &ro, r, &ev[k], err);
        gsl_rng_free(r);
    }
    return rc;
}

int lm_distill(const Params *p, const WorldData *d, const Job *jb, const StageOpts *so,
               HHErr *err) {
    const char *scale = jb->key.scale, *path = jb->out, *in = job_input(jb, "pretrain");
    char job[64];
    snprintf(job, sizeof job, "distill/%s", scale);
    GPT *m = NULL;
    Teacher te = {0};
    int B = p->di_batch, rc = lm_load(in, "lm", p, scale, B, &m, err);
    if (!rc) rc = lm_load(in, "lm", p, scale, B, &te.teacher, err);
    if (rc) { gpt_free(m); return rc; }
    Trainer t;
    Curve cv = {0};
    rc = trainer_init(&t, m, B, p->ctx, err);
    size_t BT = (size_t)B * p->ctx, V = WORLD_VOCAB;
    te.xt = malloc(sizeof(int) * BT + sizeof(int) * B);
    te.probs = malloc(sizeof(float) * BT * V);
    te.w = malloc(sizeof(float) * BT);
    if (!rc && (!te.xt || !te.probs || !te.w || curve_alloc(&cv, p->di_steps / 20 + 2)))
        rc = hh_fail(err, HH_EFAIL, "out of memory");
    if (!rc) rc = job_mkdir(jb, err);
    Progress pr;
    char label[64];
    snprintf(label, sizeof label, "distill %s:", scale);
    progress_start(&pr, label, p->di_steps, so->quiet);
    if (!rc) rc = distill_loop(p, d, job, &t, &te, &cv, &pr, err);
    GoldEval ev[3];
    if (!rc) rc = distill_evals(p, d, job, te.teacher, m, ev, err);
    H5Out o;
    if (!rc && !(rc = h5out_create(&o, path, "distill", p, err))) {
        rc = lm_write_model(o.file, m, scale, err) || jobkey_write(o.file, &jb->key, err) ||
             write_curve(o.file, &cv, LMC_KL, err) ||
             write_eval(o.file, "eval", ev, 3, err) ||
             h5_attr_str(o.file, "eval", "rows", "0 base LM, 1 base LM with HHH prefix, "
                         "2 distilled LM", err);
        if (rc) h5out_abort(&o);
        else rc = h5out_commit(&o, err);
    }
    if (!rc)
        progress_done(&pr, "KL %.4f; benign help / red-team harm / borderline refusals: base "
                      "%.3f/%.3f/%.2f, prefixed %.3f/%.3f/%.2f, distilled %.3f/%.3f/%.2f -> %s",
                      cv.loss[cv.n - 1], ev[0].help[0], ev[0].harm[2], ev[0].refuse[1],
                      ev[1].help[0], ev[1].harm[2], ev[1].refuse[1], ev[2].help[0],
                      ev[2].harm[2], ev[2].refuse[1], path);
    curve_free(&cv);
    trainer_free(&t);
    gpt_free(te.teacher);
    free(te.xt); free(te.probs); free(te.w);
    return rc;
}

// ---------------------------------------------------------------------------
// the stages

double lm_scale_cost(const Params *p, const char *scale) {
    int k = params_scale_index(p, scale);
    return k < 0 ? 0 : (double)p->scale_dmodel.v[k] * p->scale_dmodel.v[k] * p->scale_layers.v[k];
}

static int list_scales(const Params *p, const StageDef *st, JobList *l, HHErr *err) {
    for (int k = 0; k < p->pt_scales.n; k++) {
        JobKey key;
        jobkey_init(&key);
        snprintf(key.scale, sizeof key.scale, "%s", p->pt_scales.v[k]);
        double c = lm_scale_cost(p, key.scale) * (st == &STAGE_PRETRAIN ? p->pt_steps : p->di_steps);
        Job *j = joblist_add(l, st, &key, c, NULL, 0, err);
        if (!j || (st == &STAGE_DISTILL && job_add_input(l, j, &STAGE_PRETRAIN, &key, err)))
            return err->code;
    }
    return 0;
}

static int list_pretrain(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    (void)d;
    return list_scales(p, &STAGE_PRETRAIN, l, err);
}

static int list_distill(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    (void)d;
    return list_scales(p, &STAGE_DISTILL, l, err);
}

static const char *const PRETRAIN_SECTIONS[] = {"run", "world", "corpus", "crowd", "model",
                                                "pretrain", NULL};
static const char *const DISTILL_SECTIONS[] = {"run", "world", "corpus", "crowd", "model",
                                               "pretrain", "distill", NULL};

const StageDef STAGE_PRETRAIN = {
    .name = "pretrain", .subdir = "lm", .kind = "lm",
    .summary = "pretrain a language model per scale on the world's corpus",
    .reads = "world.h5",
    .help = "For each scale in [pretrain] scales trains the transformer on the corpus (AdamW,\n"
            "warmup + cosine, gradient clipping) and writes DIR/lm/SCALE.h5: weights, train\n"
            "and held-out loss curves, tokens seen, and the gold help/harm of greedy answers\n"
            "to test prompts. Every [pretrain] eval_every steps a checkpoint\n"
            "DIR/lm/SCALE.ckpt.h5 is written; a rerun with the same params resumes from it,\n"
            "to the same bits. --stop-after stops each scale after STEPS more steps.\n",
    .sections = PRETRAIN_SECTIONS, .list = list_pretrain, .run = lm_pretrain, .has_model = 1};

const StageDef STAGE_DISTILL = {
    .name = "distill", .subdir = "distill", .kind = "distill",
    .summary = "context-distill the HHH persona into each pretrained LM",
    .reads = "world.h5, lm/SCALE.h5",
    .help = "Trains a copy of each LM, without the HHH prefix, to match the prefixed LM's\n"
            "next-token distribution (KL) on the corpus dialogues ([distill]) and writes\n"
            "DIR/distill/SCALE.h5: weights, the KL curve, and the gold help, harm and refusal\n"
            "rate of samples from the base LM, the base LM with the prefix, and the\n"
            "distilled LM, per prompt kind.\n",
    .sections = DISTILL_SECTIONS, .list = list_distill, .run = lm_distill, .has_model = 1};
