// html.c - see html.h
#include "html.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "claimscsv.h"

// ---------------------------------------------------------------------------
// what each figure shows, and which claims it carries

typedef struct {
    const char *stem, *label, *what;
    const char *figkey;  // claims.tsv `figure` value of its claims ("" none)
    const char *stats;   // statistics it carries whatever their figure (space-separated)
} FigNote;

static const FigNote NOTES[] = {
    {"fig07_pm_accuracy_scaling", "Fig. 7: PM accuracy vs data and size",
     "Held-out accuracy of the preference models grows with training comparisons (left) and PM size "
     "(right); dashed lines are the log-linear fit acc = a + b ln P + c ln N.", "7", ""},
    {"pmp_accuracy", "Preference-model pretraining (Fig. 7, Sec. 2)",
     "Accuracy with (solid) and without (dashed) preference-model pretraining at each training-set "
     "size: PMP should help most where comparisons are scarce.", "7 (PMP)", ""},
    {"fig08_accuracy_by_turn", "Fig. 8: accuracy by conversational turn",
     "Accuracy of the largest HH PMs by the turn of the compared response: highest on the first turn.",
     "8", ""},
    {"fig09_calibration", "Fig. 9: calibration",
     "Observed accuracy against PM score difference beside the ideal 1/(1+e^-d): points on the curve "
     "mean the PM's probabilities can be taken at face value.", "9", ""},
    {"fig19_accuracy_vs_mix", "Fig. 19: helpful/harmless data mix",
     "Helpful and harmless test accuracy as the share of helpfulness data in training varies: each "
     "data source alone leaves the other test set near or below chance.", "19", ""},
    {"fig25_accuracy_above_threshold", "Fig. 25: accuracy above a score threshold",
     "Accuracy among the pairs whose higher PM score exceeds a threshold: PMs are less accurate "
     "among the responses they score highest.", "25", ""},
    {"beyond_gold_vs_crowd", "Beyond the paper: gold vs crowd labels",
     "Accuracy of each PM against the gold preference and against the noisy crowd labels it was "
     "trained on.", "", "gold_minus_crowd"},
    {"lm_scaling", "Setup: language-model pretraining across scales",
     "Held-out loss falls with parameters (fitted line); gold help and harm of greedy answers, loss "
     "curves and help by task.", "", "lm_heldout_loss_slope_log10p"},
    {"fact_recall", "Setup: fact recall across scales",
     "Share of the knowledge base's facts the pretrained LMs recall, by scale and by how often the "
     "entity occurs in the corpus: recall grows with scale.", "", "fact_recall_slope_log10p"},
    {"distill_help_harm", "Setup: context distillation",
     "Gold help, harm and refusals of the base LM, the base LM with the HHH prompt and the distilled "
     "LM per scale, with the HHH persona as reference.", "setup",
     "distill_help_gain_benign distill_harm_drop_redteam hhh_persona_minus_distilled_help"},
    {"fig13_reward_vs_sqrt_kl", "Fig. 13: PM reward vs sqrt(KL) during PPO",
     "PM reward of each policy against sqrt(KL) from its initial policy: roughly linear, as in the paper.",
     "13", ""},
    {"fig04_train_vs_test_pm", "Fig. 4: train-PM vs test-PM score",
     "Score under the PM the policy was trained on and under a PM trained on the other half of the "
     "data: the gap is over-optimisation of the train PM.", "4", ""},
    {"fig33_test_pm_end", "Fig. 33: test-PM score at the end of RL vs PM size",
     "Test-PM score at the end of RL against the size of the PM trained on: larger PMs make RL more robust.",
     "33", ""},
    {"fig14_benign_vs_redteam", "Fig. 14: benign vs red-team prompts during RL",
     "Train-PM score on benign and on red-team prompts during RL: a faster red-team rise means "
     "harmlessness is over-optimised.", "14", ""},
    {"rl_help_harm", "Fig. 1 (harm axis): helpful-only vs HH RLHF",
     "Gold help, harm and refusals of helpful-only and HH RLHF policies: helpful-only RL is more harmful.",
     "", "rl_harm_helpful_minus_hh"},
    {"fig03_alignment_tax", "Fig. 3: capability evaluations and the alignment tax",
     "Zero- and few-shot accuracy of the plain LM, the distilled LM and HH and helpful-only RLHF on "
     "evaluations outside the dialogue format, and RLHF minus its initial model per scale.", "3",
     "evals_tax_zero_shot_smallest evals_tax_zero_shot_largest evals_tax_slope_ln_params"},
    {"fig15_online_upper_tail", "Fig. 15: online data and the upper tail of PM scores",
     "Static train-PM scores of the base data and of each online round's compared responses; per round "
     "the share above the base data's 75th percentile under the static train PM and under an independent "
     "test PM, beside a null (best-of-n from the distilled LM under the same selecting PM); and the "
     "previous PM's accuracy in the upper tail.",
     "15", "online_tail_vs_null"},
    {"fig16_online_rounds", "Fig. 16 (gold version): online rounds",
     "Gold utility, help and harm of each online round's policy at its kept iteration (the policy the RL "
     "run hands on, as evals and Elo; dashed: gold utility at the end of PPO), round 0 the static HH policy; "
     "the Elo version comes from the tournament stage.", "16", "online_gold_utility_gain"},
    {"fig01_elo_vs_params", "Fig. 1: crowdworker Elo vs parameters",
     "Helpfulness and harmlessness Elo of the distilled model, helpful-only, static and online HH "
     "RLHF, best-of-64 and the HHH reference at each policy scale, zero at the largest distilled model.",
     "1", "elo_online_margin_min elo_helpful_tradeoff_min"},
    {"fig36_rejection_sampling_elo", "Fig. 36: rejection sampling vs RLHF",
     "Elo of best-of-n from the distilled model as n grows, beside static and online HH RLHF.", "36",
     "elo_bon_slope_ln_n elo_online_minus_bon_max"},
    {"fig15_crowd_vs_pm_elo", "Fig. 15 (right): crowd vs PM-predicted Elo",
     "The Elo the train PM predicts from its scores against the Elo the held-out crowd gives: points "
     "below the line are models the PM overrates.", "15", "elo_crowd_minus_pm_top"},
    {"fig16_elo_vs_round", "Fig. 16 (Elo): online rounds",
     "Elo of the online HH RLHF policy of each round beside static HH RLHF.", "16", ""},
    {"beyond_overoptimization", "Beyond the paper: over-optimisation forms",
     "Gold reward against sqrt(KL) for RL and best-of-n, with the functional forms of Gao et al. "
     "(2022) fitted.", "", "gao_b_min"},
    {"fig_segments", "Beyond the paper: whose values the crowd represents",
     "Win rate of RLHF against its initial (distilled) model and the utility change it brings, as "
     "judged by user segments with other weights on help, harm and refusals than the crowd pool "
     "whose labels trained the PMs (the first segment): a segment below the pool is served less "
     "by what the pool's labels optimise.", "",
     "segments_win_gap_hh_refusal_averse segments_win_gap_helpful_cautious "
     "segments_delta_gap_hh_refusal_averse"},
};
#define N_NOTES (int)(sizeof NOTES / sizeof NOTES[0])

static const FigNote *note_of(const char *stem) {
    for (int k = 0; k < N_NOTES; k++)
        if (!strcmp(NOTES[k].stem, stem)) return &NOTES[k];
    return NULL;
}

static int word_in(const char *list, const char *w) {
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n])) return 1;
    return 0;
}

// The figure (index into figs) that carries claim r, or -1.
static int claim_figure(const ClaimRow *r, const HtmlFigure *figs, int nfig) {
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < nfig; i++) {
            const FigNote *n = note_of(figs[i].stem);
            if (!n) continue;
            if (pass == 0 && word_in(n->stats, r->statistic)) return i;
            if (pass == 1 && n->figkey[0] && !strcmp(n->figkey, r->figure)) return i;
        }
    return -1;
}

int html_figures(const char *const *writes, int nwrites, HtmlFigure *out, int max) {
    int n = 0;
    for (int k = 0; k < nwrites && n < max; k++) {
        const char *semi = strchr(writes[k], ';'), *gp = semi ? strstr(semi, ".gp") : NULL;
        if (!gp) continue;
        const char *s = semi + 1;
        while (*s == ' ') s++;
        HtmlFigure *h = &out[n++];
        snprintf(h->stem, sizeof h->stem, "%.*s", (int)(gp - s), s);
        snprintf(h->tables, sizeof h->tables, "%.*s", (int)(semi - writes[k]), writes[k]);
    }
    return n;
}

// ---------------------------------------------------------------------------
// output helpers

void html_puts(FILE *f, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (c >= 0x20 || c == '\t' || c == '\n') fputc(c, f);
        }
    }
}

// A number as text: 4 significant digits, "NaN" for a missing value.
static void num(FILE *f, double v) {
    if (isnan(v)) fputs("<span class=\"na\">NaN</span>", f);
    else if (v == floor(v) && fabs(v) < 1e9) fprintf(f, "%.0f", v);
    else fprintf(f, "%.4g", v);
}

static const char *vclass(Verdict v) {
    static const char *C[4] = {"rep", "notrep", "inc", "pend"};
    return C[v];
}

static void b64(FILE *f, const unsigned char *p, size_t n) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        fputc(A[v >> 18 & 63], f), fputc(A[v >> 12 & 63], f);
        fputc(i + 1 < n ? A[v >> 6 & 63] : '=', f), fputc(i + 2 < n ? A[v & 63] : '=', f);
    }
}

// Read FIGDIR/STEM.png when it is a fresh PNG: 0 with *data, else why in `why`.
static int read_png(const char *path, long long tables_mtime, unsigned char **data, size_t *n,
                    unsigned *w, unsigned *h, char *why, size_t wn) {
    struct stat st;
    *data = NULL;
    if (stat(path, &st) != 0) return snprintf(why, wn, "not drawn yet (no %s)", path), -1;
    if (!S_ISREG(st.st_mode)) return snprintf(why, wn, "%s is not a regular file", path), -1;
    if (st.st_size < 33 || st.st_size > (32 << 20))
        return snprintf(why, wn, "%s: %lld bytes; expected a PNG of at most 32 MiB", path, (long long)st.st_size), -1;
    if ((long long)st.st_mtime < tables_mtime)
        return snprintf(why, wn, "%s is older than tables.h5 (drawn from earlier results; rerun gnuplot "
                        "and hhfit report)", path), -1;
    FILE *fp = fopen(path, "rb");
    unsigned char *b = fp ? malloc((size_t)st.st_size) : NULL;
    size_t got = b ? fread(b, 1, (size_t)st.st_size, fp) : 0;
    if (fp) fclose(fp);
    static const unsigned char SIG[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (!b || got != (size_t)st.st_size || memcmp(b, SIG, 8) || memcmp(b + 12, "IHDR", 4)) {
        free(b);
        return snprintf(why, wn, "%s: unreadable or not a PNG", path), -1;
    }
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    *data = b, *n = got;
    return 0;
}

static const char CSS[] =
    "body{font:15px/1.45 system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:0 auto;max-width:1250px;"
    "padding:0 1.2em 3em;color:#1b1b1b;background:#fff}\n"
    "h1{margin:.8em 0 .2em}h2{margin-top:1.6em;border-bottom:2px solid #ddd;padding-bottom:.15em}\n"
    "h3{margin:1.1em 0 .3em;font-size:1.05em}\n"
    "table{border-collapse:collapse;margin:.4em 0;font-size:.9em}\n"
    "th,td{border:1px solid #d4d4d4;padding:.2em .5em;text-align:left;vertical-align:top}\n"
    "th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".counts{display:flex;gap:.8em;flex-wrap:wrap;list-style:none;padding:0}\n"
    ".counts li{padding:.5em 1em;border-radius:6px;font-size:1.05em}\n"
    ".counts b{font-size:1.6em;margin-right:.3em}\n"
    ".rep{background:#d8f0dc}.notrep{background:#f7d6d2}.inc{background:#fbefc9}.pend{background:#e6e6e6}\n"
    ".verdict{font-weight:600;white-space:nowrap}\n"
    "img.fig{max-width:100%;height:auto;border:1px solid #ddd}\n"
    ".what{font-size:1.02em;color:#333}.note{color:#8a4b00}.na{color:#999}\n"
    ".stmt{color:#444;font-size:.92em}details{margin:.3em 0}summary{cursor:pointer}\n"
    "pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:.85em}\n"
    ".scroll{overflow-x:auto}nav ol{columns:2}code{font-size:.95em}\n";

// ---------------------------------------------------------------------------
// sections

static void counts(FILE *f, const Results *r) {
    int c[4] = {0, 0, 0, 0};
    for (int k = 0; k < r->nclaim; k++) c[r->res[k].verdict]++;
    static const char *L[4] = {"reproduced", "not reproduced", "inconclusive", "pending (no data)"};
    fprintf(f, "<section id=\"verdicts\"><h2>Verdicts of %d claims</h2>\n<ul class=\"counts\">\n", r->nclaim);
    for (int v = 0; v < 4; v++)
        fprintf(f, "<li class=\"%s\" id=\"count-%s\"><b>%d</b>%s</li>\n", vclass((Verdict)v), vclass((Verdict)v), c[v], L[v]);
    fputs("</ul>\n<p>REPRODUCED: the whole 95% interval of the statistic is on the claim's side of the "
          "criterion; NOT REPRODUCED: wholly on the other side; INCONCLUSIVE: the interval contains the "
          "criterion; PENDING: this run has no data for it. Each claim's method says what its interval "
          "covers: PM, RL, evals, Elo and segment intervals resample the trained seeds and the test "
          "items they share; one LM is pretrained per scale, so no interval covers LM retraining."
          "</p></section>\n", f);
}

static void prov_row(FILE *f, const char *k, const char *v) {
    fputs("<tr><th>", f), html_puts(f, k), fputs("</th><td>", f);
    html_puts(f, *v ? v : "(not recorded)");
    fputs("</td></tr>\n", f);
}

static void provenance(FILE *f, const Results *r) {
    const ResProv *p = &r->prov;
    char commit[128];
    snprintf(commit, sizeof commit, "%s%s%s", p->commit, p->dirty[0] ? ", " : "", p->dirty);
    fputs("<section id=\"provenance\"><h2>Provenance</h2>\n<table class=\"prov\">\n", f);
    prov_row(f, "results directory", r->dir);
    prov_row(f, "hhsim version", p->version);
    prov_row(f, "git commit", commit);
    prov_row(f, "simulator source hash", p->source_hash);
    prov_row(f, "seed", p->seed);
    prov_row(f, "created (UTC)", p->created);
    prov_row(f, "host", p->host);
    prov_row(f, "GSL", p->gsl);
    prov_row(f, "HDF5", p->hdf5);
    prov_row(f, "OpenBLAS", p->openblas);
    prov_row(f, "analysis time (s)", p->wall);
    fputs("</table>\n<p>As recorded on <code>tables.h5</code>'s root attributes; claims from "
          "<code>claims.csv</code> (the same rows, machine-readable).</p>\n", f);
    int lines = 0;
    for (const char *s = p->params; *s; s++) lines += *s == '\n';
    fprintf(f, "<details><summary>the run's params (%d lines; <code>key = value ; what it does</code>)"
               "</summary><pre>", lines);
    html_puts(f, p->params);
    fputs("</pre></details></section>\n", f);
}

static void claim_rows(FILE *f, const Results *r, int fig, const HtmlFigure *figs, int nfig) {
    fputs("<div class=\"scroll\"><table class=\"claims\"><thead><tr><th>claim</th><th>statistic</th>"
          "<th>estimate</th><th>95% interval</th><th>n</th><th>criterion</th><th>verdict</th></tr>"
          "</thead><tbody>\n", f);
    for (int k = 0; k < r->nclaim; k++) {
        const ClaimRow *c = &r->rows[k];
        const ClaimResult *s = &r->res[k];
        if (claim_figure(c, figs, nfig) != fig) continue;
        fputs("<tr class=\"claim\" data-id=\"", f), html_puts(f, c->id);
        fprintf(f, "\" data-verdict=\"%s\"><td><b>", verdict_name(s->verdict));
        html_puts(f, c->id), fputs("</b> (paper fig. ", f), html_puts(f, c->figure);
        fputs(")<div class=\"stmt\">", f), html_puts(f, c->statement);
        fputs("</div><details><summary>how it was computed, and why this criterion</summary>", f);
        html_puts(f, s->stat.method[0] ? s->stat.method : "not measured by this run");
        fputs("<br><i>Criterion:</i> ", f), html_puts(f, c->rationale);
        fputs("</details></td><td><code>", f), html_puts(f, c->statistic), fputs("</code></td>", f);
        int have = isfinite(s->stat.est);
        fputs("<td class=\"n\">", f);
        if (have) num(f, s->stat.est);
        else fputs("no data", f);
        fputs("</td><td class=\"n\">", f);
        if (have) fputs("[", f), num(f, s->stat.lo), fputs(", ", f), num(f, s->stat.hi), fputs("]", f);
        fputs("</td><td class=\"n\">", f);
        if (have) fprintf(f, "%zu", s->stat.n);
        fputs("</td><td class=\"n\">", f), html_puts(f, c->criterion);
        fprintf(f, "</td><td class=\"verdict %s\">%s</td></tr>\n", vclass(s->verdict), verdict_name(s->verdict));
    }
    fputs("</tbody></table></div>\n", f);
}

#define HTML_MAX_ROWS 200

static void data_table(FILE *f, const ResTable *t) {
    fputs("<details class=\"table\"><summary><code>/", f), html_puts(f, t->name);
    fprintf(f, "</code>: %zu rows, %d columns</summary>\n<p>", t->nrow, t->ncol);
    html_puts(f, t->desc);
    fputs("</p>\n", f);
    if (t->missing) fputs("<p class=\"note\">Empty: ", f), html_puts(f, t->missing), fputs("</p>\n", f);
    fputs("<div class=\"scroll\"><table class=\"data\"><thead><tr>", f);
    for (int j = 0; j < t->ncol; j++) {
        fputs("<th>", f), html_puts(f, t->col[j].name);
        if (t->col[j].units[0] && strcmp(t->col[j].units, "-"))
            fputs("<br><small>", f), html_puts(f, t->col[j].units), fputs("</small>", f);
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    size_t shown = t->nrow < HTML_MAX_ROWS ? t->nrow : HTML_MAX_ROWS;
    for (size_t i = 0; i < shown; i++) {
        fputs("<tr>", f);
        for (int j = 0; j < t->ncol; j++) {
            const ResCol *c = &t->col[j];
            if (c->kind == 's') fputs("<td>", f), html_puts(f, c->str[i]);
            else fputs("<td class=\"n\">", f), num(f, c->num[i]);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
    if (shown < t->nrow)
        fprintf(f, "<p class=\"note\">First %zu of %zu rows; all are in tables.h5.</p>\n", shown, t->nrow);
    fputs("</details>\n", f);
}

// The tables of a figure: each "/name" of its registry text found in r.
static void figure_tables(FILE *f, const Results *r, const HtmlFigure *h) {
    fputs("<h3>Tables it was drawn from (in <code>tables.h5</code>; schema in analysis/README.md)</h3>\n", f);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", h->tables);
    for (char *s = strtok(buf, ", "); s; s = strtok(NULL, ", ")) {
        const ResTable *t = results_table(r, s);
        if (t) data_table(f, t);
        else fputs("<p class=\"note\">Table <code>", f), html_puts(f, s), fputs("</code> is not in tables.h5.</p>\n", f);
    }
}

static const char *figure_missing(const Results *r, const HtmlFigure *h) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", h->tables);
    for (char *s = strtok(buf, ", "); s; s = strtok(NULL, ", ")) {
        const ResTable *t = results_table(r, s);
        if (t && t->missing) return t->missing;
    }
    return NULL;
}

static int figure(FILE *f, const Results *r, const HtmlFigure *figs, int nfig, int i, const char *figdir,
                  long long tables_mtime, HHErr *err) {
    const HtmlFigure *h = &figs[i];
    const FigNote *n = note_of(h->stem);
    fputs("<section class=\"figure\" id=\"fig-", f), html_puts(f, h->stem), fputs("\"><h2>", f);
    html_puts(f, n ? n->label : h->stem), fputs(" <small><code>", f), html_puts(f, h->stem);
    fputs("</code></small></h2>\n<p class=\"what\">", f);
    html_puts(f, n ? n->what : "(no description)");
    fputs("</p>\n", f);
    char path[1200], why[1400];
    snprintf(path, sizeof path, "%s/%s.gp", r->dir, h->stem);
    struct stat st;
    const char *miss = stat(path, &st) == 0 ? NULL : figure_missing(r, h);
    if (!miss && stat(path, &st) != 0) miss = "no figure script in this folder";
    snprintf(path, sizeof path, "%s/%s.png", figdir, h->stem);
    unsigned char *png = NULL;
    size_t len = 0;
    unsigned w = 0, ht = 0;
    if (miss) {
        fputs("<p class=\"note\">No figure: this run lacks its data (", f), html_puts(f, miss), fputs(").</p>\n", f);
    } else if (read_png(path, tables_mtime, &png, &len, &w, &ht, why, sizeof why)) {
        fputs("<p class=\"note\">Figure not shown: ", f), html_puts(f, why), fputs("</p>\n", f);
    } else {
        fprintf(f, "<figure><img class=\"fig\" width=\"%u\" height=\"%u\" alt=\"", w, ht);
        html_puts(f, n ? n->label : h->stem);
        fputs("\" src=\"data:image/png;base64,", f);
        b64(f, png, len);
        fputs("\"><figcaption><code>", f), html_puts(f, h->stem);
        fputs(".png</code>, drawn by gnuplot from <code>", f), html_puts(f, h->stem);
        fputs(".gp</code> in this folder (the data are inside the script; "
              "<code>gnuplot FILE.gp</code> redraws it with its PDF).</figcaption></figure>\n", f);
        free(png);
    }
    fputs("<h3>Claims</h3>\n", f);
    int nc = 0;
    for (int k = 0; k < r->nclaim; k++) nc += claim_figure(&r->rows[k], figs, nfig) == i;
    if (nc) claim_rows(f, r, i, figs, nfig);
    else fputs("<p>This figure carries no claim of the claims table.</p>\n", f);
    figure_tables(f, r, h);
    fputs("</section>\n", f);
    return ferror(f) ? hh_fail(err, HH_EFAIL, "write failed (disk full?)") : 0;
}

int html_write(FILE *f, const Results *r, const HtmlFigure *figs, int nfig, const char *figdir,
               long long tables_mtime, HHErr *err) {
    const char *name = strrchr(r->dir, '/');
    name = name && name[1] ? name + 1 : r->dir;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>hhsim results: ", f);
    html_puts(f, name);
    fprintf(f, "</title>\n<style>\n%s</style></head>\n<body>\n<h1>hhsim results: ", CSS);
    html_puts(f, name);
    fputs("</h1>\n<p>Bai et al. 2022, <i>Training a Helpful and Harmless Assistant with Reinforcement "
          "Learning from Human Feedback</i> (arXiv:2204.05862), reproduced at laptop scale by hhsim: "
          "every figure with the claims it carries and the tables it was drawn from.</p>\n", f);
    counts(f, r);
    provenance(f, r);
    fputs("<nav><h2>Figures</h2><ol>\n", f);
    for (int i = 0; i < nfig; i++) {
        const FigNote *n = note_of(figs[i].stem);
        fputs("<li><a href=\"#fig-", f), html_puts(f, figs[i].stem), fputs("\">", f);
        html_puts(f, n ? n->label : figs[i].stem), fputs("</a></li>\n", f);
    }
    fputs("<li><a href=\"#other-claims\">Claims without a figure in this run</a></li></ol></nav>\n", f);
    int rc = 0;
    for (int i = 0; i < nfig && !rc; i++) rc = figure(f, r, figs, nfig, i, figdir, tables_mtime, err);
    if (rc) return rc;
    fputs("<section id=\"other-claims\"><h2>Claims without a figure in this run</h2>\n"
          "<p>Claims of the paper this run has no figure for (most need stages hhsim does not run yet).</p>\n", f);
    claim_rows(f, r, -1, figs, nfig);
    fputs("</section>\n<footer><p>Written by <code>hhfit report</code> from <code>tables.h5</code> and "
          "<code>claims.csv</code> of this folder. Self-contained: no script, no network; the figures are "
          "embedded.</p></footer>\n</body></html>\n", f);
    return ferror(f) ? hh_fail(err, HH_EFAIL, "write failed (disk full?)") : 0;
}
