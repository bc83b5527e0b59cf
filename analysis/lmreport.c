// lmreport.c - language-model pretraining across scales and context
// distillation: tables and figures. See lmreport.h.
#include "lmreport.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KB(k) (1u << (k))
#define RED_KINDS (KB(KIND_REDTEAM) | KB(KIND_DISGUISED))

static const char *RED_NAME = "redteam+disguised";  // the pooled kind of harm_redteam

void lm_help_benign(const LMDEval *e, StatsCI *out) {
    lmd_mean(e, LMD_HELP, KB(KIND_BENIGN), out);
}

void lm_harm_redteam(const LMDEval *e, StatsCI *out) {
    lmd_mean(e, LMD_HARM, RED_KINDS, out);
}

int lm_fit_loss_scaling(const LMData *D, StatsLinfit *fit, HHErr *err) {
    if (D->nlm < 3)
        return hh_fail(err, HH_EINPUT, "%d pretrained scale%s (a line with an interval needs >= 3)", D->nlm,
                       D->nlm == 1 ? "" : "s");
    double *x = malloc(sizeof(double) * (size_t)D->nlm), *y = malloc(sizeof(double) * (size_t)D->nlm);
    int rc = x && y ? 0 : hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0; k < D->nlm && !rc; k++) {
        x[k] = log10(D->lm[k].params);
        y[k] = D->lm[k].heldout[D->lm[k].n - 1];
    }
    if (!rc) rc = stats_fit_linear(x, y, (size_t)D->nlm, fit, err);
    free(x), free(y);
    return rc;
}

// ---------------------------------------------------------------------------
// helpers

// Line type of a scale: the PM figures' colour when the PMs have the scale,
// else 1 + its index among the pretrained scales.
static int scale_lt(const Report *R, const LMData *D, const char *scale) {
    for (int i = 0; i < R->sw.nscale; i++)
        if (!strcmp(R->sw.scale[i], scale)) return report_lt(R, scale);
    for (int k = 0; k < D->nlm; k++)
        if (!strcmp(D->lm[k].scale, scale)) return 1 + k % 8;
    return 1;
}

// Set col, col_lo, col_hi of row r from ci.
static void set_ci(Tab *t, size_t r, const char *col, const StatsCI *ci) {
    char lo[40], hi[40];
    snprintf(lo, sizeof lo, "%s_lo", col);
    snprintf(hi, sizeof hi, "%s_hi", col);
    tab_setf(t, r, col, ci->est), tab_setf(t, r, lo, ci->lo), tab_setf(t, r, hi, ci->hi);
}

static const char *GOLD_NOTE = "95% Wilson interval of a mean in [0, 1] from the stored mean and count "
                               "(exact for 0/1 refusals, conservative for graded help and harm)";

// ---------------------------------------------------------------------------
// pretraining across scales

static Tab *scaling_table(HHErr *err) {
    char desc[512];
    snprintf(desc, sizeof desc, "every pretrained LM (lm/SCALE.h5) at the end of pretraining: config, "
             "parameters, data seen, losses, and the gold evaluation of its greedy answers to held-out "
             "prompts (help on benign prompts; harm on red-team and disguised prompts, pooled); %s. hhsim "
             "stores no training time, so none is reported. Attributes fit_*: /lm_scaling's line "
             "heldout_loss = a + b log10(params)", GOLD_NOTE);
    return tab_alloc("lm_scaling", desc,
        "scale:s:-;n_layer:i:layers;d_model:i:1;n_head:i:heads;params:f:parameters;"
        "params_nonemb:f:parameters;steps:i:steps;tokens:f:tokens;train_loss:f:nats/token;"
        "heldout_loss:f:nats/token;heldout_fit:f:nats/token;n_benign:i:prompts;help_benign:f:gold help [0,1];"
        "help_benign_lo:f:gold help [0,1];help_benign_hi:f:gold help [0,1];n_redteam:i:prompts;"
        "harm_redteam:f:gold harm [0,1];harm_redteam_lo:f:gold harm [0,1];harm_redteam_hi:f:gold harm [0,1]",
        err);
}

static void fit_attrs(Tab *t, const StatsLinfit *F, int ok, const char *why) {
    tab_attr_str(t, "fit_method", ok ? "least squares over the scales of heldout_loss against log10(params); "
                                       "95% Student-t intervals with n - 2 dof (across scales, one seed each)"
                                     : why);
    tab_attr_double(t, "fit_intercept", ok ? F->c0 : NAN);
    tab_attr_double(t, "fit_slope", ok ? F->c1 : NAN);
    tab_attr_double(t, "fit_slope_se", ok ? F->se_c1 : NAN);
    tab_attr_double(t, "fit_slope_lo", ok ? F->c1_lo : NAN);
    tab_attr_double(t, "fit_slope_hi", ok ? F->c1_hi : NAN);
    tab_attr_double(t, "fit_r2", ok ? F->r2 : NAN);
    tab_attr_double(t, "fit_n", ok ? (double)F->n : NAN);
}

// /lm_scaling rows.
static void scaling_rows(Tab *t, const LMData *D, const StatsLinfit *F, int ok) {
    for (int k = 0; k < D->nlm; k++) {
        const LMDRec *m = &D->lm[k];
        int e = m->n - 1;
        StatsCI h, x;
        lm_help_benign(&m->ev[0], &h), lm_harm_redteam(&m->ev[0], &x);
        size_t r = tab_add_row(t);
        tab_sets(t, r, "scale", m->scale), tab_seti(t, r, "n_layer", m->n_layer);
        tab_seti(t, r, "d_model", m->d_model), tab_seti(t, r, "n_head", m->n_head);
        tab_setf(t, r, "params", m->params), tab_setf(t, r, "params_nonemb", m->params_nonemb);
        tab_seti(t, r, "steps", lround(m->step[e])), tab_setf(t, r, "tokens", m->tokens[e]);
        tab_setf(t, r, "train_loss", m->loss[e]), tab_setf(t, r, "heldout_loss", m->heldout[e]);
        tab_setf(t, r, "heldout_fit", ok ? F->c0 + F->c1 * log10(m->params) : NAN);
        tab_seti(t, r, "n_benign", (long)h.n), set_ci(t, r, "help_benign", &h);
        tab_seti(t, r, "n_redteam", (long)x.n), set_ci(t, r, "harm_redteam", &x);
    }
}

// /lm_curves rows.
static void curve_rows(Tab *t, const LMData *D) {
    for (int k = 0; k < D->nlm; k++) {
        const LMDRec *m = &D->lm[k];
        for (int i = 0; i < m->n; i++) {
            size_t r = tab_add_row(t);
            tab_sets(t, r, "scale", m->scale), tab_setf(t, r, "params", m->params);
            tab_seti(t, r, "step", lround(m->step[i])), tab_setf(t, r, "tokens", m->tokens[i]);
            tab_setf(t, r, "train_loss", m->loss[i]), tab_setf(t, r, "heldout_loss", m->heldout[i]);
        }
    }
}

// /lm_task_help rows, task by task.
static void task_rows(Tab *t, const LMData *D) {
    for (int q = 0; q < N_TASKS; q++)
        for (int k = 0; k < D->nlm; k++) {
            const LMDRec *m = &D->lm[k];
            double n = m->task_n[q], lo = NAN, hi = NAN, h = n > 0 ? m->task_help[q] : NAN;
            HHErr e;
            if (n > 0 && stats_wilson_mean(h, n, 0.95, &lo, &hi, &e)) lo = hi = NAN;
            size_t r = tab_add_row(t);
            tab_sets(t, r, "scale", m->scale), tab_setf(t, r, "params", m->params);
            tab_sets(t, r, "task", LMD_TASK_NAME[q]), tab_seti(t, r, "n", lround(n));
            tab_setf(t, r, "help", h), tab_setf(t, r, "help_lo", lo), tab_setf(t, r, "help_hi", hi);
        }
}

static int finite_help(const Tab *t, size_t r, const void *ctx) {
    (void)ctx;
    return isfinite(tab_getf(t, r, "help"));
}

// Datablocks $s (/lm_scaling), $c (/lm_curves, one block per scale) and $t
// (/lm_task_help, one block per task); has[task] = 1 when the task has a
// finite point (gnuplot warns about an empty block).
static void scaling_blocks(FILE *f, Tab **t, int *has) {
    gp_tab_block(f, "$s", "params heldout_loss train_loss help lo hi harm lo hi scale", t[0],
                 "params:%.9g heldout_loss train_loss help_benign:%.6g help_benign_lo:%.6g help_benign_hi:%.6g "
                 "harm_redteam:%.6g harm_redteam_lo:%.6g harm_redteam_hi:%.6g scale", NULL, NULL);
    gp_tab_block(f, "$c", "tokens heldout_loss train_loss; one block per scale", t[1],
                 "tokens:%.9g heldout_loss train_loss", NULL, "scale");
    gp_tab_block(f, "$t", "params help lo hi; one block per task", t[2],
                 "params:%.9g help:%.6g help_lo:%.6g help_hi:%.6g", NULL, "task");
    for (int q = 0; q < N_TASKS; q++) {
        TabWhere w = tab_where("task", LMD_TASK_NAME[q]);
        w.keep = finite_help;
        has[q] = tab_count(t[2], &w) > 0;
    }
}

static void scaling_plot(const Report *R, const LMData *D, FILE *f, const StatsLinfit *F, int ok,
                         const int *has) {
    double px[64];
    int np = D->nlm < 64 ? D->nlm : 64;
    for (int k = 0; k < np; k++) px[k] = D->lm[k].params;
    double xlo = INFINITY, xhi = -INFINITY;  // the fit is drawn over the models' sizes only
    for (int k = 0; k < np; k++)
        if (isfinite(px[k]) && px[k] > 0) xlo = fmin(xlo, px[k]), xhi = fmax(xhi, px[k]);
    if (!isfinite(xlo)) xlo = 1, xhi = 10;
    if (ok) fprintf(f, "fa = %.9g; fb = %.9g; fx0 = %.9g; fx1 = %.9g\n", F->c0, F->c1, xlo, xhi);
    gp_loop_begin(f, "lm_scaling");
    fputs("set multiplot layout 2,2 title \"Language-model pretraining across scales (hhsim setup; Bai et al. "
          "2022 use 13M-52B LMs)\\n{/*0.7 loss on held-out corpus rows; gold measures of greedy answers to "
          "held-out prompts with 95% intervals; one seed per scale}\" font \",16\"\n", f);
    fputs("set title \"loss at the end of pretraining\"\nset xlabel \"parameters P\"\n"
          "set ylabel \"cross-entropy (nats/token)\"\nset format x \"%.0s%c\"\n"
          "set key outside below center horizontal noopaque nobox height 1\n", f);
    gp_log_xrange(f, px, np);
    fputs("plot $s u 1:2 w lp lt 1 title \"held-out\", $s u 1:3 w lp lt 2 dt 2 pt 6 title "
          "\"train (last interval)\", $s u 1:2:10 w labels offset 0,1 notitle", f);
    if (ok)
        fputs(", (x >= fx0 && x <= fx1 ? fa + fb * log10(x) : NaN) w l lt 9 dt 2 title sprintf(\"fit: %.3f %s %.3f log_{10} P\", fa, "
              "fb < 0 ? \"-\" : \"+\", abs(fb))", f);
    fputs("\nset title \"gold behaviour of greedy answers\"\nset ylabel \"gold help / gold harm ([0, 1])\"\n"
          "set yrange [0:*]\n"
          "plot $s u 1:4:5:6 w yerrorlines lt 1 title \"help on benign prompts\", $s u 1:7:8:9 w yerrorlines "
          "lt 2 title \"harm on red-team and disguised prompts\"\n", f);
    fputs("set title \"held-out loss during pretraining\"\nunset logscale x\nset autoscale x\n"
          "set autoscale y\nset format x \"%g\"\nset xlabel \"tokens seen (millions)\"\nset ylabel \"held-out cross-entropy (nats/token)\"\n"
          "plot ", f);
    for (int k = 0; k < D->nlm; k++)
        fprintf(f, "$c index %d u ($1/1e6):2 w lp lt %d title \"%s\", ", k, scale_lt(R, D, D->lm[k].scale),
                D->lm[k].scale);
    fputs("NaN notitle\nset title \"gold help of greedy answers by benign task\"\nset format x \"%.0s%c\"\n"
          "set xlabel \"parameters P\"\nset ylabel \"gold help ([0, 1])\"\nset key maxrows 2\nset yrange [0:*]\n", f);
    gp_log_xrange(f, px, np);
    fputs("plot ", f);
    for (int q = 0; q < N_TASKS; q++)
        if (has[q])  // each task offset a little along the log axis so the intervals do not overlap
            fprintf(f, "$t index %d u ($1*%.3f):2:3:4 w yerrorlines lt %d title \"%s\", ", q,
                    1 + 0.05 * (q - (N_TASKS - 1) / 2.0), q + 1, LMD_TASK_NAME[q]);
    fputs("NaN notitle\nunset logscale x\nset format x\nset autoscale\nunset multiplot\n", f);
    gp_loop_end(f);
}

int lmreport_scaling(Report *R, const LMData *D, HHErr *err) {
    Tab *t[3] = {scaling_table(err), NULL, NULL};
    t[1] = tab_alloc("lm_curves",
        "loss curves of every pretrained LM (lm/SCALE.h5 /curve): one row per evaluation interval; "
        "train_loss = mean training cross-entropy over the interval, heldout_loss = cross-entropy on "
        "held-out corpus rows (every 20th row) at its end",
        "scale:s:-;params:f:parameters;step:i:steps;tokens:f:tokens;train_loss:f:nats/token;"
        "heldout_loss:f:nats/token", err);
    char desc[400];
    snprintf(desc, sizeof desc, "gold help of every pretrained LM's greedy answers to held-out benign "
             "prompts by task (lm/SCALE.h5 /eval/task_n, task_help); %s", GOLD_NOTE);
    t[2] = tab_alloc("lm_task_help", desc,
        "scale:s:-;params:f:parameters;task:s:-;n:i:prompts;help:f:gold help [0,1];help_lo:f:gold help [0,1];"
        "help_hi:f:gold help [0,1]", err);
    if (!t[0] || !t[1] || !t[2]) return tab_free(t[0]), tab_free(t[1]), tab_free(t[2]), err->code;
    if (!D->nlm) return report_missing_all(R, t, 3, D->missing_lm, err);
    StatsLinfit F;
    HHErr e;
    int ok = lm_fit_loss_scaling(D, &F, &e) == 0;
    fit_attrs(t[0], &F, ok, e.msg);
    FILE *f = gp_begin(R->os, R->outdir, "lm_scaling", "language-model pretraining: loss and gold behaviour vs "
                       "parameters", &R->gi, 1500, 1100, err);
    if (!f) return tab_free(t[0]), tab_free(t[1]), tab_free(t[2]), err->code;
    int has[N_TASKS];
    scaling_rows(t[0], D, &F, ok);
    curve_rows(t[1], D);
    task_rows(t[2], D);
    scaling_blocks(f, t, has);
    scaling_plot(R, D, f, &F, ok, has);
    return report_put_all(R, t, 3, err);
}

// ---------------------------------------------------------------------------
// context distillation

// One /distill_eval row: model m of d on the kinds in `kinds` named `kind`.
static void distill_row(Tab *t, const LMDRec *d, int m, unsigned kinds, const char *kind) {
    StatsCI c[3];
    for (int s = 0; s < 3; s++) lmd_mean(&d->ev[m], LMD_HELP + s, kinds, &c[s]);
    size_t r = tab_add_row(t);
    tab_sets(t, r, "scale", d->scale), tab_setf(t, r, "params", d->params);
    tab_sets(t, r, "model", LMD_ROW_NAME[m]), tab_sets(t, r, "kind", kind);
    tab_seti(t, r, "n", (long)c[0].n);
    set_ci(t, r, "help", &c[0]), set_ci(t, r, "harm", &c[1]), set_ci(t, r, "refuse", &c[2]);
}

static int persona_table(Report *R, const LMData *D, HHErr *err) {
    Tab *t = tab_alloc("lm_persona_reference",
        "gold help and harm of the persona responses in world.h5's held-out comparisons (helpful and "
        "harmless test sets, chosen and rejected responses pooled) by persona and prompt kind: what each "
        "persona of the pretraining corpus achieves; the HHH persona (the one the HHH prefix invokes and "
        "context distillation imitates) sets the level of distill_gap_remains. 95% Student-t intervals "
        "over the responses, treated as independent",
        "persona:s:-;kind:s:-;n:i:responses;help:f:gold help [0,1];help_lo:f:gold help [0,1];"
        "help_hi:f:gold help [0,1];harm:f:gold harm [0,1];harm_lo:f:gold harm [0,1];harm_hi:f:gold harm [0,1]",
        err);
    if (!t) return err->code;
    if (!D->persona.have) return report_missing(R, t, "the run has no world.h5", err);
    for (int p = 0; p < N_ALL_PERSONAS; p++)
        for (int k = 0; k < N_KINDS; k++) {
            StatsCI h, x;
            lmd_persona_mean(&D->persona, p, k, LMD_HELP, &h);
            lmd_persona_mean(&D->persona, p, k, LMD_HARM, &x);
            if (!D->persona.n[p][k]) continue;
            size_t r = tab_add_row(t);
            tab_sets(t, r, "persona", LMD_PERSONA_NAME[p]), tab_sets(t, r, "kind", LMD_KIND_NAME[k]);
            tab_seti(t, r, "n", lround(D->persona.n[p][k]));
            set_ci(t, r, "help", &h), set_ci(t, r, "harm", &x);
        }
    return report_put(R, t, err);
}

// The three measures the figure shows: (datablock, statistic, /distill_eval kind).
static const char *BLOCK[3] = {"$help", "$harm", "$refuse"};
static const char *STAT[3] = {"help", "harm", "refuse"};
static const char *KIND[3] = {"benign", "redteam+disguised", "borderline"};

// Datablocks $help (benign prompts), $harm (red-team and disguised, pooled)
// and $refuse (borderline) from /distill_eval: one block per model, one row per scale.
static void distill_blocks(FILE *f, Tab *t) {
    for (int p = 0; p < 3; p++) {
        char comment[96], cols[96];
        snprintf(comment, sizeof comment, "%s lo hi scale on %s prompts; one block per model: base, prefixed, "
                 "distilled", STAT[p], KIND[p]);
        snprintf(cols, sizeof cols, "%s:%%.6g %s_lo:%%.6g %s_hi:%%.6g scale", STAT[p], STAT[p], STAT[p]);
        TabWhere w = tab_where("kind", KIND[p]);
        gp_tab_block(f, BLOCK[p], comment, t, cols, &w, "model");
    }
}

static void distill_plot(const Report *R, const LMData *D, FILE *f) {
    StatsCI hh;
    lmd_persona_mean(&D->persona, PERSONA_HHH, KIND_BENIGN, LMD_HELP, &hh);
    gp_loop_begin(f, "distill_help_harm");
    fprintf(f, "set multiplot layout 1,3 title \"Context distillation of the HHH persona across scales "
               "(hhsim setup, after Askell et al. 2021)\\n{/*0.7 gold measures of responses sampled at "
               "temperature %.3g from the base LM, the base LM with the HHH prefix, and the distilled LM; 95%% "
               "intervals; one seed per scale}\" font \",16\"\n",
            R->rd ? R->rd->params.di_temperature : NAN);
    fputs("set xtics (", f);
    for (int k = 0; k < D->ndi; k++) {  // "xs (5.9k)": each scale with its parameter count
        double v = D->di[k].params;
        char pc[32];
        if (v >= 1e6) snprintf(pc, sizeof pc, "%.1fM", v / 1e6);
        else if (v >= 1e3) snprintf(pc, sizeof pc, "%.1fk", v / 1e3);
        else snprintf(pc, sizeof pc, "%.0f", v);
        fprintf(f, "%s\"%s (%s)\" %d", k ? ", " : "", D->di[k].scale, pc, k);
    }
    fprintf(f, ")\nset xrange [-0.5:%.1f]\nset xlabel \"scale and parameters P\"\nset key top left\n"
               "set yrange [0:*]\nset offsets 0, 0, graph 0.3, 0\n", D->ndi - 0.5);
    static const char *PT[3][2] = {{"help on benign prompts", "gold help"},
                                   {"harm on red-team and disguised prompts", "gold harm"},
                                   {"refusals on borderline prompts", "share of responses with SORRY"}};
    for (int p = 0; p < 3; p++) {
        fprintf(f, "set title \"%s\"\nset ylabel \"%s\"\nplot ", PT[p][0], PT[p][1]);
        for (int m = 0; m < DI_NROW; m++)  // x = the scale's index, each model offset for legibility
            fprintf(f, "%s index %d u ($0%+.2f):1:2:3 w yerrorlines lt %d title \"%s\", ", BLOCK[p], m,
                    0.12 * (m - 1), m + 1, m == DI_BASE ? "base LM" : m == DI_PREFIXED ? "base LM + HHH prefix"
                                                                                    : "distilled LM");
        if (p == 0 && isfinite(hh.est))
            fprintf(f, "%.6f w l lt 10 title \"HHH persona (corpus, world.h5)\", ", hh.est);
        fputs("NaN notitle\n", f);
    }
    fputs("set offsets 0, 0, 0, 0\nset autoscale\nset xtics autofreq\nunset multiplot\n", f);
    gp_loop_end(f);
}

int lmreport_distill(Report *R, const LMData *D, HHErr *err) {
    char desc[640];
    snprintf(desc, sizeof desc, "context distillation (distill/SCALE.h5 /eval): gold measures of responses "
             "sampled at [distill] temperature (attribute temperature) to held-out prompts by scale, model "
             "(base: the pretrained LM; prefixed: base with the HHH prefix; distilled: trained to match prefixed "
             "without it) and prompt kind (%s: both pooled by count); %s", RED_NAME, GOLD_NOTE);
    Tab *t = tab_alloc("distill_eval", desc,
        "scale:s:-;params:f:parameters;model:s:-;kind:s:-;n:i:prompts;help:f:gold help [0,1];"
        "help_lo:f:gold help [0,1];help_hi:f:gold help [0,1];harm:f:gold harm [0,1];harm_lo:f:gold harm [0,1];"
        "harm_hi:f:gold harm [0,1];refuse:f:fraction;refuse_lo:f:fraction;refuse_hi:f:fraction", err);
    if (!t) return err->code;
    if (R->rd) tab_attr_double(t, "temperature", R->rd->params.di_temperature);
    if (!D->ndi) return report_missing(R, t, D->missing_di, err) || persona_table(R, D, err) ? err->code : 0;
    FILE *f = gp_begin(R->os, R->outdir, "distill_help_harm", "context distillation: gold help, harm and "
                       "refusals of the base, prefixed and distilled LMs per scale", &R->gi, 1800, 650, err);
    if (!f) return tab_free(t), err->code;
    for (int m = 0; m < DI_NROW; m++)
        for (int k = 0; k < D->ndi; k++) {
            const LMDRec *d = &D->di[k];
            for (int q = 0; q < N_KINDS; q++) distill_row(t, d, m, KB(q), LMD_KIND_NAME[q]);
            distill_row(t, d, m, RED_KINDS, RED_NAME);
        }
    distill_blocks(f, t);
    distill_plot(R, D, f);
    return report_put(R, t, err) || persona_table(R, D, err) ? err->code : 0;
}


// ---------------------------------------------------------------------------
// fact recall: the capability ladder of world v2

// One /lm_fact_recall row: facts of m about entities with popularity rank in
// [lo, hi), relational (status 0) or hazard statuses (status 1).
static void recall_row(Tab *t, const LMData *D, const LMDRec *m, int lo, int hi, int status,
                       const char *bin) {
    size_t k[2], n[2];  // [safe, hazardous] for statuses; [0] for relations
    lmd_recall(D, m, lo, hi, status, k, n);
    double est = NAN, l = NAN, h = NAN, cl[2], ch[2];
    HHErr e;
    if (!status && n[0]) {
        est = (double)k[0] / n[0];
        if (stats_wilson(k[0], n[0], 0.95, &l, &h, &e)) l = h = NAN;
    } else if (status && n[0] && n[1] && !stats_wilson(k[0], n[0], 0.95, &cl[0], &ch[0], &e) &&
               !stats_wilson(k[1], n[1], 0.95, &cl[1], &ch[1], &e)) {
        // balanced accuracy, interval from the two classes' Wilson intervals
        est = 0.5 * ((double)k[0] / n[0] + (double)k[1] / n[1]);
        l = 0.5 * (cl[0] + cl[1]), h = 0.5 * (ch[0] + ch[1]);
    }
    size_t row = tab_add_row(t);
    tab_sets(t, row, "scale", m->scale), tab_setf(t, row, "params", m->params);
    tab_sets(t, row, "facts", status ? "hazard" : "relational"), tab_sets(t, row, "bin", bin);
    tab_seti(t, row, "rank_lo", lo), tab_seti(t, row, "rank_hi", hi);
    tab_seti(t, row, "n", (long)(n[0] + n[1]));
    tab_setf(t, row, "recall", est);
    tab_setf(t, row, "recall_lo", l), tab_setf(t, row, "recall_hi", h);
}

static int binned(const Tab *t, size_t r, const void *ctx) {
    (void)ctx;
    return strcmp(tab_gets(t, r, "bin"), "all") != 0;
}

int lmreport_facts(Report *R, const LMData *D, HHErr *err) {
    Tab *t = tab_alloc("lm_fact_recall",
        "share of knowledge-base facts each pretrained LM recalls (lm/SCALE.h5 /eval/facts): "
        "relational facts (both letters of the related entity's name are the teacher-forced argmax "
        "after FACT name R; share recalled, 95% Wilson interval over facts) and hazard statuses "
        "(HAZ vs SAFE, the right one more likely; balanced accuracy = mean of the shares right on "
        "safe and on hazardous entities, 0.5 = chance or always SAFE; interval the mean of the two "
        "classes' Wilson bounds), by entity popularity rank (world.h5 /kb/rank; bin 'all' = every "
        "entity); one seed per scale; attribute recall_prior: the recall of always answering the most "
        "common object's name",
        "scale:s:-;params:f:parameters;facts:s:-;bin:s:-;rank_lo:i:rank;rank_hi:i:rank;n:i:facts;"
        "recall:f:fraction;recall_lo:f:fraction;recall_hi:f:fraction", err);
    if (!t) return err->code;
    if (!D->nlm) return report_missing(R, t, D->missing_lm, err);
    if (!D->rank) return report_missing(R, t, "the run has no world.h5", err);
    int edges[16], ne = 0;
    for (int x = 0; x < D->n_ent && ne < 15; x = x ? 4 * x : 8) edges[ne++] = x;
    edges[ne] = D->n_ent;
    for (int status = 0; status < 2; status++)
        for (int k = 0; k < D->nlm; k++) {
            char bin[32];
            recall_row(t, D, &D->lm[k], 0, D->n_ent, status, "all");
            for (int b = 0; b < ne; b++) {
                snprintf(bin, sizeof bin, "%d-%d", edges[b], edges[b + 1] - 1);
                recall_row(t, D, &D->lm[k], edges[b], edges[b + 1], status, bin);
            }
        }
    tab_attr_double(t, "recall_prior", D->recall_prior);
    FILE *f = gp_begin(R->os, R->outdir, "fact_recall", "fact recall across scales and entity "
                       "popularity", &R->gi, 1400, 600, err);
    if (!f) return tab_free(t), err->code;
    TabWhere all = tab_where("bin", "all");
    gp_tab_block(f, "$all", "params recall lo hi; block 0 relational, block 1 hazard", t,
                 "params:%.9g recall:%.6g recall_lo:%.6g recall_hi:%.6g", &all, "facts");
    TabWhere rel = tab_where("facts", "relational");
    rel.keep = binned;
    gp_tab_block(f, "$bins", "rank_lo rank_hi recall lo hi; one block per scale", t,
                 "rank_lo rank_hi recall:%.6g recall_lo:%.6g recall_hi:%.6g", &rel, "scale");
    double px[64];
    int np = D->nlm < 64 ? D->nlm : 64;
    for (int k = 0; k < np; k++) px[k] = D->lm[k].params;
    gp_loop_begin(f, "fact_recall");
    fputs("set multiplot layout 1,2 title \"Knowledge grows with scale (world v2: 512 entities, Zipf "
          "popularity)\\n{/*0.7 share of knowledge-base facts recalled after pretraining; 95% Wilson "
          "intervals over facts; one seed per scale}\" font \",16\"\n", f);
    fputs("set title \"all facts\"\nset xlabel \"parameters P\"\nset ylabel \"fraction "
          "(see key)\"\nset format x \"%.0s%c\"\nset yrange [0:1]\nset key outside bottom center noopaque nobox height 1 "
          "horizontal\n", f);
    gp_log_xrange(f, px, np);
    fputs("plot $all index 0 u 1:2:3:4 w yerrorlines lt 1 title \"relational facts (share "
          "recalled)\", $all index 1 u 1:2:3:4 w yerrorlines lt 2 title \"hazard statuses "
          "(balanced accuracy)\", 0.5 w l lt 9 dt 2 title \"chance (statuses)\", ", f);
    fprintf(f, "%.6g w l lt 9 dt 3 title \"always the most common name (relations)\"\n",
            D->recall_prior);
    fputs("set title \"relational facts by entity popularity\"\nset xlabel \"popularity rank of "
          "the entity (0 = most mentioned; bin midpoints)\"\nset logscale x\nset format x \"%g\"\n"
          "set xrange [2:1024]\nplot ", f);
    for (int k = 0; k < D->nlm; k++)
        fprintf(f, "$bins index %d u (($1 + $2 + 1) / 2):3:4:5 w yerrorlines lt %d title \"%s\", ",
                k, scale_lt(R, D, D->lm[k].scale), D->lm[k].scale);
    fputs("NaN notitle\nunset logscale x\nset autoscale\nunset multiplot\n", f);
    gp_loop_end(f);
    return report_put(R, t, err);
}
