// eloreport.c - see eloreport.h
#include "eloreport.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elofit.h"
#include "gpscript.h"
#include "rng.h"

// Every file of the run with its bootstrap.
typedef struct {
    EloData D;
    EloBoot *b;  // (D.n)
} EloAll;

static void all_free(EloAll *A) {
    for (int k = 0; A->b && k < A->D.n; k++) elf_boot_free(&A->b[k]);
    free(A->b);
    eld_free(&A->D);
}

static int all_compute(Report *R, EloAll *A, HHErr *err) {
    memset(A, 0, sizeof *A);
    if (eld_load(R->rd->dir, &R->rd->params, &A->D, err)) return err->code;
    if (!A->D.n) return 0;
    A->b = calloc((size_t)A->D.n, sizeof *A->b);
    if (!A->b) return all_free(A), hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0; k < A->D.n; k++) {
        char comp[96];
        snprintf(comp, sizeof comp, "elo/%s", A->D.f[k].scale);
        gsl_rng *r = rng_stream_alloc(R->seed, "hhfit", comp);
        int rc = !r ? hh_fail(err, HH_EFAIL, "out of memory")
                    : elf_boot(&A->D.f[k], R->B < 10 ? 10 : R->B, r, &A->b[k], err);
        gsl_rng_free(r);
        if (rc) return all_free(A), rc;
    }
    return 0;
}

// The figures and claims of one hhfit run share one computation (the same
// bits as recomputing: every stream is named); the cache is keyed by the
// run's directory, seed and resample count and replaced when they change.
static struct {
    int valid;
    char dir[1024];
    uint64_t seed;
    size_t B;
    EloAll A;
} CACHE;

static int all_load(Report *R, const EloAll **out, HHErr *err) {
    if (!CACHE.valid || strcmp(CACHE.dir, R->rd->dir) || CACHE.seed != R->seed || CACHE.B != R->B) {
        if (CACHE.valid) all_free(&CACHE.A);
        CACHE.valid = 0;
        if (all_compute(R, &CACHE.A, err)) return err->code;
        snprintf(CACHE.dir, sizeof CACHE.dir, "%s", R->rd->dir);
        CACHE.seed = R->seed, CACHE.B = R->B, CACHE.valid = 1;
    }
    *out = &CACHE.A;
    return 0;
}

// The last online round's series in b, or -1.
static int last_online(const EloBoot *b) {
    int best = -1;
    for (int s = 0; s < b->ns; s++)
        if (b->s[s].type == ELT_ONLINE && (best < 0 || b->s[s].round > b->s[best].round)) best = s;
    return best;
}

static const char *RATING_COLS =
    "scale:s:-;params:f:parameters;kind:s:-;series:s:-;type:s:-;n:i:samples;round:i:round;"
    "n_seeds:i:seeds;elo:f:Elo;elo_lo:f:Elo;elo_hi:f:Elo;pm_elo:f:Elo;pm_lo:f:Elo;pm_hi:f:Elo;"
    "pmt_elo:f:Elo;pmt_lo:f:Elo;pmt_hi:f:Elo";

static void put_row(Tab *t, const EloFile *e, const EloBoot *b, int k, int s, const char *name) {
    size_t i = tab_add_row(t);
    tab_sets(t, i, "scale", e->scale), tab_setf(t, i, "params", e->params);
    tab_sets(t, i, "kind", ELF_KIND_NAME[k]), tab_sets(t, i, "series", name);
    tab_sets(t, i, "type", ELT_NAME[b->s[s].type]), tab_seti(t, i, "n", b->s[s].n);
    tab_seti(t, i, "round", b->s[s].round), tab_seti(t, i, "n_seeds", b->s[s].nm);
    tab_setf(t, i, "elo", b->crowd[k][s].est), tab_setf(t, i, "elo_lo", b->crowd[k][s].lo);
    tab_setf(t, i, "elo_hi", b->crowd[k][s].hi), tab_setf(t, i, "pm_elo", b->pm[k][s].est);
    tab_setf(t, i, "pm_lo", b->pm[k][s].lo), tab_setf(t, i, "pm_hi", b->pm[k][s].hi);
    tab_setf(t, i, "pmt_elo", b->pmt[k][s].est), tab_setf(t, i, "pmt_lo", b->pmt[k][s].lo);
    tab_setf(t, i, "pmt_hi", b->pmt[k][s].hi);
}

// Rows of file f on kind k (every series kept, plus "online" = the last round).
static void rows_of(Tab *t, const EloAll *A, int f, int k, int (*keep)(const EloSeries *)) {
    const EloBoot *b = &A->b[f];
    int lo = last_online(b);
    for (int s = 0; s < b->ns; s++)
        if (!keep || keep(&b->s[s])) put_row(t, &A->D.f[f], b, k, s, b->s[s].name);
    if (lo >= 0 && (!keep || keep(&b->s[lo]))) put_row(t, &A->D.f[f], b, k, lo, "online");
}

static Tab *ratings_tab(const char *name, const char *desc, HHErr *err) {
    return tab_alloc(name, desc, RATING_COLS, err);
}

typedef int (*FigFn)(FILE *f, Tab *t, const EloAll *A);

// The common frame: load, fill the table, write the script.
static int figure(Report *R, const char *table, const char *desc, const char *stem, const char *what,
                  int largest_only, int (*keep)(const EloSeries *), FigFn draw, HHErr *err) {
    Tab *t = ratings_tab(table, desc, err);
    if (!t) return err->code;
    const EloAll *A;
    if (all_load(R, &A, err)) return tab_free(t), err->code;
    if (!A->D.n) return report_missing(R, t, A->D.missing, err);
    // kind-major (helpfulness rows first): a figure's datablock is split by kind
    for (int k = 0; k < ELF_NKIND; k++)
        for (int f = largest_only ? A->D.n - 1 : 0; f < A->D.n; f++) rows_of(t, A, f, k, keep);
    FILE *fp = gp_begin(R->os, R->outdir, stem, what, &R->gi, 1500, 650, err);
    int rc = fp ? draw(fp, t, A) : err->code;
    if (rc) return tab_free(t), rc;
    return report_put(R, t, err);
}

enum { NSER = 6 };  // best-of-n runs at the largest policy scale only: fig36
static const char *const SER[NSER] = {"distill", "helpful", "hh", "hh_opm", "online", "reference"};
static const char *const SER_TITLE[NSER] = {"context-distilled", "helpful-only RLHF", "static HH RLHF",
                                            "static HH RLHF, online's PM", "online HH RLHF (last round)",
                                            "HHH reference"};
static const int SER_LT[NSER] = {10, 3, 1, 5, 2, 9};

// 1 when t has a row with col = val (gnuplot warns on a datablock of NaN:
// series without rows are left out of the plot commands).
static int has(const Tab *t, const char *col, const char *val) {
    TabWhere w = tab_where(col, val);
    return tab_count(t, &w) > 0;
}

static int draw_fig01(FILE *f, Tab *t, const EloAll *A) {
    double px[64];
    int np = 0;
    for (int k = 0; k < A->D.n && np < 64; k++) px[np++] = A->D.f[k].params;
    for (int s = 0; s < NSER; s++) {
        char nm[32];
        snprintf(nm, sizeof nm, "$s_%d", s);
        TabWhere w = tab_where("series", SER[s]);
        gp_tab_block(f, nm, "params elo lo hi; block 0 helpfulness, block 1 harmlessness", t,
                     "params:%.9g elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, "kind");
    }
    gp_loop_begin(f, "fig01_elo_vs_params");
    fputs("set multiplot layout 1,2 title \"Crowdworker Elo vs policy parameters (paper Fig. 1)\\n{/*0.7 "
          "zero at the context-distilled model of the largest policy scale; held-out judges; 95% "
          "intervals: crossed bootstrap over prompts, judges and RL seeds}\" font \",16\"\n"
          "set xlabel \"policy parameters P\"\nset ylabel \"Elo\"\nset format x \"%.0s%c\"\n"
          "set key outside bottom center horizontal maxrows 2 noopaque nobox\n", f);
    gp_log_xrange(f, px, np);
    for (int k = 0; k < ELF_NKIND; k++) {
        fprintf(f, "set title \"%s Elo\"\nplot 0 w l lt 10 dt 2 notitle, ", ELF_KIND_NAME[k]);
        for (int s = 0; s < NSER; s++)
            if (has(t, "series", SER[s]))
                fprintf(f, "$s_%d index %d u 1:2:3:4 w yerrorlines lt %d title \"%s\", ", s, k, SER_LT[s], SER_TITLE[s]);
        fputs("NaN notitle\n", f);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
    return 0;
}

int eloreport_fig01(Report *R, HHErr *err) {
    return figure(R, "elo_ratings",
                  "crowdworker Elo (maximum likelihood, 400-point logistic convention) and PM-predicted "
                  "Elo of every series of every policy scale's tournament (elo/*.h5), helpfulness and "
                  "harmlessness; series = contestant type (best-of-n: bonN; online: online_rK, and "
                  "'online' = the last round); mean over seeds; zero at the distilled model of the "
                  "largest policy scale; 95% percentile crossed bootstrap over prompts, judges and seeds; "
                  "pmt_*: the same predicted by each seed's held-out test PM",
                  "fig01_elo_vs_params", "Elo vs parameters", 0, NULL, draw_fig01, err);
}

static int keep36(const EloSeries *s) {
    return elt_bon(s->type) || s->type == ELT_HH || s->type == ELT_HH_OPM || s->type == ELT_DISTILL ||
           s->type == ELT_ONLINE;
}

// A horizontal reference: block's Elo (column 1) across x = 0.7..x1 with its interval
// (columns 2, 3) as a band, on kind k's panel (fig36, fig16).
static void band(FILE *f, const char *block, int k, double x1, int lt, const char *title) {
    fprintf(f, "%s index %d u (0.7):1:(0.7):(%g):2:3 w boxxyerror fs transparent solid 0.15 lt %d notitle, "
               "%s index %d u (0.7):1:(%g):(0) w vectors nohead lt %d title \"%s\", ",
            block, k, x1, lt, block, k, x1 - 0.7, lt, title);
}

static int draw_fig36(FILE *f, Tab *t, const EloAll *A) {
    TabWhere w = tab_where("type", "bon");
    gp_tab_block(f, "$bon", "n elo lo hi; block 0 helpfulness, block 1 harmlessness", t,
                 "n:%.9g elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, "kind");
    w = tab_where("type", "bon_opm");
    gp_tab_block(f, "$bono", "n elo lo hi under the online lineage's PM; blocks by kind", t,
                 "n:%.9g elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, "kind");
    static const char *const REF[3] = {"hh", "hh_opm", "online"}, *const BLK[3] = {"$hh", "$hho", "$on"},
                      *const TTL[3] = {"static HH RLHF", "static HH RLHF, online's PM", "online HH RLHF"};
    static const int LT[3] = {1, 5, 2};
    for (int q = 0; q < 3; q++) {
        w = tab_where("series", REF[q]);
        gp_tab_block(f, BLK[q], "elo lo hi; block 0 helpfulness, block 1 harmlessness", t,
                     "elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, "kind");
    }
    gp_loop_begin(f, "fig36_rejection_sampling_elo");
    fprintf(f, "set multiplot layout 1,2 title \"Rejection sampling (best-of-n) vs RLHF, policy scale %s "
               "(paper Fig. 36)\\n{/*0.7 best-of-n from the distilled model (one pool per seed) under the "
               "static HH run's train PM; lines: RLHF with 95%% band (crossed bootstrap over prompts, "
               "judges and seeds)}\" font \",16\"\n"
               "set xlabel \"n (samples per prompt)\"\nset ylabel \"Elo\"\nset logscale x 4\n"
               "set xrange [0.7:100]\nset key outside bottom center horizontal noopaque nobox\n",
            A->D.f[A->D.n - 1].scale);
    for (int k = 0; k < ELF_NKIND; k++) {
        fprintf(f, "set title \"%s Elo\"\nplot ", ELF_KIND_NAME[k]);
        if (has(t, "type", "bon"))
            fprintf(f, "$bon index %d u 1:2:3:4 w yerrorlines lt 4 title \"best-of-n\", ", k);
        if (has(t, "type", "bon_opm"))
            fprintf(f, "$bono index %d u 1:2:3:4 w yerrorlines lt 6 title \"best-of-n, online's PM\", ", k);
        for (int q = 0; q < 3; q++)
            if (has(t, "series", REF[q])) band(f, BLK[q], k, 100, LT[q], TTL[q]);
        fputs("NaN notitle\n", f);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
    return 0;
}

int eloreport_fig36(Report *R, HHErr *err) {
    return figure(R, "fig36_rejection_sampling",
                  "crowd Elo of best-of-n (n = 1, 4, 16, ...) from the distilled model under the static "
                  "HH run's train PM (bonN) and under the online lineage's train PM (bonN_opm), beside the "
                  "distilled model, static HH RLHF (against the largest PM: hh; against the online "
                  "lineage's PM: hh_opm) and online HH RLHF, at the largest policy scale (rows as /elo_ratings)",
                  "fig36_rejection_sampling_elo", "rejection-sampling Elo vs n", 1, keep36, draw_fig36, err);
}

// A short label of a series name (elf_series: distill, helpful, hh, hh_opm, online_rK, bonN,
// bonN_opm, reference, ...) for the points of fig15, short so that close points stay readable;
// FIG15_LABELS (the figure's subtitle) spells them out.
static void series_label(const char *nm, char *out, size_t n) {
    int k;
    if (!strcmp(nm, "distill")) snprintf(out, n, "D");
    else if (!strcmp(nm, "helpful")) snprintf(out, n, "H");
    else if (!strcmp(nm, "hh")) snprintf(out, n, "HH");
    else if (!strcmp(nm, "hh_opm")) snprintf(out, n, "HHo");
    else if (!strcmp(nm, "reference")) snprintf(out, n, "ref");
    else if (sscanf(nm, "online_r%d", &k) == 1) snprintf(out, n, "r%d", k);
    else if (sscanf(nm, "bon%d", &k) == 1) snprintf(out, n, "b%d%s", k, strstr(nm, "_opm") ? "o" : "");
    else snprintf(out, n, "%s", nm);
}
#define FIG15_LABELS "D distilled (zero by definition), H helpful-only RLHF, HH static HH RLHF, rK online " \
                     "round K, bN best-of-N, ref HHH reference; o: under the online lineage's PM"

// Not the "online" alias of the last round (rows_of): the same point twice.
static int not_alias(const Tab *t, size_t r, const void *ctx) {
    (void)ctx;
    return strcmp(tab_gets(t, r, "series"), "online") != 0;
}

// Label placement for fig15: points near one another (series the PMs rate alike) would print
// their labels over each other, so each label takes the first of a ring of positions around its
// point whose box overlaps no label placed before it and no point, in units of the panel (the
// axis ranges the data and intervals span; about FIG15_PW x FIG15_PH pixels, FIG15_CW pixels a
// character). Labels moved beyond the first ring get a leader line to their point.
enum { FIG15_MAXP = 64 };
#define FIG15_PW 600.0
#define FIG15_PH 380.0
#define FIG15_CW 7.0
#define FIG15_LH 15.0

typedef struct { double x0, y0, x1, y1; } Box;  // pixels

static double box_overlap(Box a, Box b) {
    double w = fmin(a.x1, b.x1) - fmax(a.x0, b.x0), h = fmin(a.y1, b.y1) - fmax(a.y0, b.y0);
    return w > 0 && h > 0 ? w * h : 0;
}

// Places n labels of widths lw (pixels) at points (px, py) (pixels); writes each label's left
// end, vertical centre (lx, ly; pixels) and whether it needs a leader.
static void place_labels(int n, const double *px, const double *py, const double *lw, double *lx,
                         double *ly, int *lead) {
    static const double DIR[8][2] = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    static const double RING[3] = {9, 24, 42};
    Box placed[FIG15_MAXP];
    for (int i = 0; i < n; i++) {
        double best = INFINITY;
        for (int r = 0; r < 3 && best > 0; r++)
            for (int d = 0; d < 8 && best > 0; d++) {
                double w = lw[i], h = FIG15_LH;
                // the box's corner nearest the point sits RING[r] pixels from it along DIR[d]
                double cx = px[i] + DIR[d][0] * RING[r], cy = py[i] + DIR[d][1] * RING[r];
                Box b = {DIR[d][0] > 0 ? cx : DIR[d][0] < 0 ? cx - w : cx - w / 2,
                         DIR[d][1] > 0 ? cy : DIR[d][1] < 0 ? cy - h : cy - h / 2, 0, 0};
                b.x1 = b.x0 + w, b.y1 = b.y0 + h;
                double o = 0;
                for (int j = 0; j < i; j++) o += box_overlap(b, placed[j]);
                for (int j = 0; j < n; j++) {
                    Box m = {px[j] - 6, py[j] - 6, px[j] + 6, py[j] + 6};
                    o += box_overlap(b, m);
                }
                if (b.x0 < 0 || b.x1 > FIG15_PW || b.y0 < 0 || b.y1 > FIG15_PH) o += w * h;  // off the panel
                o += r * 1e-3;  // ties: the nearer ring
                if (o < best) best = o, placed[i] = b, lead[i] = r > 0;
            }
        lx[i] = placed[i].x0, ly[i] = (placed[i].y0 + placed[i].y1) / 2;
    }
}

// One datablock of kind k's points: train-PM Elo, crowd Elo, their intervals, test-PM Elo with
// its interval, the series' label (quoted), where the label goes (data units) and 1 when it
// needs a leader line.
static void fig15_block(FILE *f, const char *name, Tab *t, const char *kind) {
    gp_block_begin(f, name, "pm_elo elo pm_lo pm_hi elo_lo elo_hi pmt_elo pmt_lo pmt_hi label label_x "
                            "label_y leader; one row per series (the 'online' alias of the last round "
                            "left out)");
    TabWhere w = tab_where("kind", kind);
    w.keep = not_alias;
    static const char *const C[9] = {"pm_elo", "elo", "pm_lo", "pm_hi", "elo_lo", "elo_hi",
                                     "pmt_elo", "pmt_lo", "pmt_hi"};
    size_t row[FIG15_MAXP];
    int n = 0;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t r = 0; r < t->nrow && n < FIG15_MAXP; r++) {
        if (!tab_match(t, r, &w)) continue;
        row[n++] = r;
        for (int c = 0; c < 9; c++) {
            double v = tab_getf(t, r, C[c]);
            if (!isfinite(v)) continue;
            if (c == 1 || c == 4 || c == 5) y0 = fmin(y0, v), y1 = fmax(y1, v);
            else x0 = fmin(x0, v), x1 = fmax(x1, v);
        }
    }
    double sx = x1 > x0 ? x1 - x0 : 1, sy = y1 > y0 ? y1 - y0 : 1;
    if (!isfinite(x0)) x0 = 0;
    if (!isfinite(y0)) y0 = 0;
    double px[FIG15_MAXP], py[FIG15_MAXP], lw[FIG15_MAXP], lx[FIG15_MAXP], ly[FIG15_MAXP];
    int lead[FIG15_MAXP];
    char lab[FIG15_MAXP][32];
    for (int i = 0; i < n; i++) {
        series_label(tab_gets(t, row[i], "series"), lab[i], sizeof lab[i]);
        double x = tab_getf(t, row[i], "pm_elo"), y = tab_getf(t, row[i], "elo");
        px[i] = isfinite(x) ? (x - x0) / sx * FIG15_PW : -1e6;
        py[i] = isfinite(y) ? (y - y0) / sy * FIG15_PH : -1e6;
        lw[i] = FIG15_CW * (double)strlen(lab[i]) + 4;
    }
    place_labels(n, px, py, lw, lx, ly, lead);
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < 9; c++) fprintf(f, "%.6g ", tab_getf(t, row[i], C[c]));
        fputc('"', f), gp_puts_quoted(f, lab[i]), fputs("\" ", f);
        fprintf(f, "%.6g %.6g %d\n", x0 + lx[i] / FIG15_PW * sx, y0 + ly[i] / FIG15_PH * sy, lead[i]);
    }
    if (!n) fputs("NaN NaN NaN NaN NaN NaN NaN NaN NaN \"\" NaN NaN 0\n", f);
    gp_block_end(f);
}

static int draw_fig15(FILE *f, Tab *t, const EloAll *A) {
    fig15_block(f, "$pts", t, "helpfulness");
    fig15_block(f, "$pts_h", t, "harmlessness");
    gp_loop_begin(f, "fig15_crowd_vs_pm_elo");
    fprintf(f, "set multiplot layout 1,2 title \"Crowd Elo vs the Elo the PMs predict, policy "
               "scale %s (paper Fig. 15 right)\\n{/*0.7 a point per series under each PM, joined by a grey "
               "segment, labelled at the train PM; dashed: crowd = PM; 95%% intervals both ways: crossed "
               "bootstrap over prompts, judges, seeds}\\n{/*0.7 "
               FIG15_LABELS "}\" font \",16\"\n"
               "set xlabel \"PM-predicted Elo (Elo points)\"\nset ylabel \"crowd Elo (Elo points)\"\n"
               "set key outside bottom center horizontal noopaque nobox\nset bmargin 6\n"
               "set style textbox opaque noborder margins 0.5,0.3\n",
            A->D.f[A->D.n - 1].scale);
    for (int k = 0; k < ELF_NKIND; k++) {
        const char *b = k ? "$pts_h" : "$pts";
        fprintf(f, "set title \"%s\"\nplot x w l lt 10 dt 2 title \"crowd = PM\", "
                   "%s u 1:2:($7-$1):(0) w vectors nohead lc rgb \"#aaaaaa\" lw 1 notitle, "
                   "%s u 1:2:3:4:5:6 w xyerrorbars lt 1 title \"train PM\", "
                   "%s u 7:2:8:9:5:6 w xyerrorbars lt 3 pt 6 title \"held-out test PM\", "
                   "%s u 1:2:($13 > 0 ? $11-$1 : 0):($13 > 0 ? $12-$2 : 0) w vectors nohead lc rgb \"#777777\" lw 0.8 notitle, "
                   "%s u 11:12:10 w labels boxed left font \",11\" noenhanced tc rgb \"#222222\" notitle\n",
                ELF_KIND_NAME[k], b, b, b, b, b);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
    return 0;
}

static int keep15(const EloSeries *s) { return s->type != ELT_ANCHOR; }

int eloreport_fig15(Report *R, HHErr *err) {
    return figure(R, "fig15_crowd_vs_pm_elo",
                  "crowd Elo beside the Elo implied by the static HH run's train PM (pm_*) and by its "
                  "held-out test PM (pmt_*) (mean over prompts of sigmoid(score - pin's score), as Elo) "
                  "for every series at the largest policy scale (rows as /elo_ratings)",
                  "fig15_crowd_vs_pm_elo", "crowd vs PM-predicted Elo", 1, keep15, draw_fig15, err);
}

static int keep16(const EloSeries *s) {
    return s->type == ELT_ONLINE || s->type == ELT_HH || s->type == ELT_HH_OPM || s->type == ELT_DISTILL;
}

static int draw_fig16(FILE *f, Tab *t, const EloAll *A) {
    TabWhere w = tab_where("type", "online");
    tab_where_and(&w, "kind", "helpfulness");
    gp_tab_block(f, "$on", "round elo lo hi, helpfulness then harmlessness (blocks)", t,
                 "round:%.9g elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, NULL);
    w = tab_where("type", "online");
    tab_where_and(&w, "kind", "harmlessness");
    gp_tab_block(f, "$onh", "round elo lo hi, harmlessness", t,
                 "round:%.9g elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, NULL);
    // the online lineage's baseline: static HH RLHF under its PM (hh_opm), or hh when they are
    // one contestant (the online scale's PM is the largest PM scale)
    const char *base = has(t, "series", "hh_opm") ? "hh_opm" : "hh";
    w = tab_where("series", base);
    gp_tab_block(f, "$hh", "static HH RLHF (the online lineage's baseline) elo lo hi; block 0 helpfulness, "
                 "1 harmlessness", t, "elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, "kind");
    // the x axis spans the rounds run (half a round either side), no further
    double rd[64];
    TabWhere wr = tab_where("type", "online");
    size_t nr = tab_values(t, "round", &wr, rd, 64);
    double rmax = 1;
    for (size_t i = 0; i < nr; i++)
        if (isfinite(rd[i]) && rd[i] > rmax) rmax = rd[i];
    double x0 = 0.5, x1 = rmax + 0.5;
    gp_loop_begin(f, "fig16_elo_vs_round");
    int on = has(t, "type", "online");
    fprintf(f, "set title \"Elo of online HH RLHF by round, policy scale %s (paper Fig. 16)\\n{/*0.7 "
               "lines: static HH RLHF under the online lineage's PM, bands its 95%% interval; 95%% "
               "intervals: crossed bootstrap over prompts, judges and seeds%s}\" font \",16\"\n"
               "set xlabel \"online round\"\nset ylabel \"crowd Elo (Elo points)\"\n"
               "set xrange [%g:%g]\nset xtics 1\nset mxtics 1\n"
               "set key outside bottom center horizontal noopaque nobox\nset bmargin 6\n"
               "plot ", A->D.f[A->D.n - 1].scale, on ? "" : "; this run has no online rounds", x0, x1);
    if (has(t, "series", base))
        for (int k = 0; k < ELF_NKIND; k++)
            fprintf(f, "$hh index %d u (%g):1:(%g):(%g):2:3 w boxxyerror fs transparent solid 0.15 lt %d "
                       "notitle, $hh index %d u (%g):1:(%g):(0) w vectors nohead lt %d dt %d title "
                       "\"static HH, %s\", ",
                    k, x0, x0, x1, k ? 6 : 2, k, x0, x1 - x0, k ? 6 : 2, k ? 2 : 1, ELF_KIND_NAME[k]);
    if (on)
        fputs("$on u 1:2:3:4 w yerrorlines lt 2 title \"online, helpfulness\", $onh u 1:2:3:4 w "
              "yerrorlines lt 6 title \"online, harmlessness\", ", f);
    fputs("NaN notitle\n", f);
    gp_loop_end(f);
    return 0;
}

int eloreport_fig16(Report *R, HHErr *err) {
    return figure(R, "fig16_elo_vs_round",
                  "crowd Elo of the online HH RLHF policy of every round beside static HH RLHF and the "
                  "distilled model at the largest policy scale (rows as /elo_ratings; no online rows "
                  "when the run has no online stage)",
                  "fig16_elo_vs_round", "Elo vs online round", 1, keep16, draw_fig16, err);
}

// ---------------------------------------------------------------------------
// claims

static const char *const NAMES[] = {"elo_online_margin_min", "elo_helpful_tradeoff_min",
                                     "elo_bon_slope_ln_n", "elo_online_minus_bon_max",
                                     "elo_crowd_minus_pm_top", "elo_crowd_on_pm_slope", NULL};

int eloclaims_known(const char *name) { return claims_name_in(NAMES, name); }

const char *eloclaims_list(void) {
    static char buf[256];
    return claims_names_join(NAMES, buf, sizeof buf);
}

typedef struct {
    int stat, on, hh, base, di, he, nb, bmax, nt, nall;
    int bon[16], top[ELF_MAX_SERIES], all[ELF_MAX_SERIES];
    double lnn[16];
} Sel;

// Least-squares slope of y on x over n points (NaN without spread in x).
static double ls_slope(const double *x, const double *y, int n) {
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int j = 0; j < n; j++) mx += x[j] / n, my += y[j] / n;
    for (int j = 0; j < n; j++) sxy += (x[j] - mx) * (y[j] - my), sxx += (x[j] - mx) * (x[j] - mx);
    return sxx > 0 ? sxy / sxx : NAN;
}

// The statistic on one set of series values (ELF_NKIND, ns) each: crowd Elo, train-PM and
// held-out test-PM predicted Elo.
static double stat_of(const Sel *s, int ns, const double *crowd, const double *pm, const double *pmt) {
#define C(k, i) crowd[(k) * ns + (i)]
    switch (s->stat) {
    case 0: {
        double m = INFINITY;
        for (int k = 0; k < ELF_NKIND; k++)
            m = fmin(m, fmin(C(k, s->on) - C(k, s->base), C(k, s->base) - C(k, s->di)));
        return m;
    }
    case 1: return fmin(C(0, s->he) - C(0, s->hh), C(1, s->hh) - C(1, s->he));
    case 2: {
        double y[16];
        for (int j = 0; j < s->nb; j++) y[j] = 0.5 * (C(0, s->bon[j]) + C(1, s->bon[j]));
        return ls_slope(s->lnn, y, s->nb);
    }
    case 3: return 0.5 * (C(0, s->on) + C(1, s->on)) - 0.5 * (C(0, s->bmax) + C(1, s->bmax));
    case 4: {  // re-selected here: the optimised series the train PM rates highest
        int top = s->top[0];
        for (int j = 1; j < s->nt; j++) if (pm[s->top[j]] > pm[top]) top = s->top[j];
        return C(0, top) - pmt[top];
    }
    default: {
        double x[ELF_MAX_SERIES], y[ELF_MAX_SERIES];
        int n = 0;
        for (int j = 0; j < s->nall; j++)
            if (isfinite(pmt[s->all[j]])) x[n] = pmt[s->all[j]], y[n++] = C(0, s->all[j]);
        return n >= 3 ? ls_slope(x, y, n) : NAN;
    }
    }
#undef C
}

// The series named name + suffix in b, or without the suffix when absent (merged).
static int find_or(const EloBoot *b, const char *name, const char *suffix) {
    char nm[40];
    snprintf(nm, sizeof nm, "%s%s", name, suffix);
    int i = elf_find(b, nm);
    return i >= 0 ? i : elf_find(b, name);
}

int eloclaims_compute(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    memset(o, 0, sizeof *o);
    o->est = o->lo = o->hi = NAN;
    const char *name = row->statistic;
    if (!eloclaims_known(name))
        return hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'; known: %s",
                       row->line, name, eloclaims_list());
    const EloAll *A;
    if (all_load(R, &A, err)) return err->code;
    if (!A->D.n) {
        snprintf(o->method, sizeof o->method, "this run has no Elo tournaments (%s)", A->D.missing);
        return 0;
    }
    // the largest policy scale, as claims.tsv declares (PENDING when it has no online contestants)
    const EloFile *e = &A->D.f[A->D.n - 1];
    const EloBoot *b = &A->b[A->D.n - 1];
    Sel s = {.stat = 0};
    while (strcmp(NAMES[s.stat], name)) s.stat++;
    s.on = last_online(b), s.hh = elf_find(b, "hh"), s.di = elf_find(b, "distill"), s.he = elf_find(b, "helpful");
    // the online lineage's baselines: static HH and best-of-n under its own PM (hh_opm,
    // bonN_opm), or hh / bonN when they are the same contestants (merged at the stage)
    s.base = find_or(b, "hh", "_opm");
    int nmax = 0;
    for (int i = 0; i < b->ns; i++) {
        int t = b->s[i].type;
        if (t == ELT_BON && s.nb < 16) s.bon[s.nb] = i, s.lnn[s.nb++] = log((double)b->s[i].n);
        if (elt_bon(t) && b->s[i].n > nmax) nmax = b->s[i].n;
        if (t == ELT_HELPFUL || t == ELT_HH || t == ELT_HH_OPM || t == ELT_ONLINE || elt_bon(t)) s.top[s.nt++] = i;
        if (t != ELT_ANCHOR) s.all[s.nall++] = i;
    }
    char bn[24];
    snprintf(bn, sizeof bn, "bon%d", nmax);
    s.bmax = find_or(b, bn, "_opm");
    const char *why = NULL;
    if ((s.stat == 0 || s.stat == 3) && s.on < 0)
        why = "no online HH RLHF contestants in the tournament (the run has no online stage for this scale)";
    else if ((s.stat == 0 || s.stat == 1) && (s.hh < 0 || s.di < 0 || s.base < 0 || (s.stat == 1 && s.he < 0)))
        why = "no helpful-only or HH RLHF contestants";
    else if ((s.stat == 2 && s.nb < 2) || (s.stat == 3 && s.bmax < 0))
        why = "too few best-of-n contestants ([elo] bon_max)";
    else if (s.stat == 4 && s.nt < 1)
        why = "no RLHF or best-of-n contestants";
    else if (s.stat == 5 && s.nall < 3)
        why = "fewer than 3 series";
    if (why) {
        snprintf(o->method, sizeof o->method, "%s", why);
        return 0;
    }
    int ns = b->ns;
    double crowd[ELF_NKIND * ELF_MAX_SERIES], pm[ELF_NKIND * ELF_MAX_SERIES], pmt[ELF_NKIND * ELF_MAX_SERIES];
    for (int k = 0; k < ELF_NKIND; k++)
        for (int i = 0; i < ns; i++)
            crowd[k * ns + i] = b->crowd[k][i].est, pm[k * ns + i] = b->pm[k][i].est, pmt[k * ns + i] = b->pmt[k][i].est;
    double est = stat_of(&s, ns, crowd, pm, pmt);
    double *v = malloc(sizeof(double) * b->B);
    if (!v) return hh_fail(err, HH_EFAIL, "out of memory");
    for (size_t r = 0; r < b->B; r++) {
        size_t at = r * ELF_NKIND * ns;
        v[r] = stat_of(&s, ns, b->rep + at, b->prep + at, b->trep + at);
    }
    StatsCI ci;
    elf_pct(v, b->B, est, &ci);
    free(v);
    // n: the independent units, the RL seeds (not the matches: referee 14 finding 15)
    claim_stat_set(o, est, ci.lo, ci.hi, (size_t)e->S);
    int top = -1;
    for (int j = 0; s.stat == 4 && j < s.nt; j++) if (top < 0 || pm[s.top[j]] > pm[top]) top = s.top[j];
    char what[400];
    switch (s.stat) {
    case 0: snprintf(what, sizeof what, "min over helpfulness and harmlessness of min(online (last round) - "
                     "static HH, static HH - distilled), static HH = %s (%s)", b->s[s.base].name,
                     b->s[s.base].type == ELT_HH_OPM ? "under the online lineage's train PM"
                     : "the online lineage's PM is the largest PM scale's: one contestant"); break;
    case 1: snprintf(what, sizeof what, "min(helpful-only - static HH on helpfulness, static HH - helpful-only "
                     "on harmlessness), both against the largest PM scale"); break;
    case 2: snprintf(what, sizeof what, "least-squares slope of best-of-n Elo (mean of the two kinds, "
                     "selected by the largest-PM train PM) vs ln n, Elo per ln n"); break;
    case 3: snprintf(what, sizeof what, "online HH RLHF (last round) minus %s, mean of the two kinds "
                     "(best-of-%d %s)", b->s[s.bmax].name, nmax, b->s[s.bmax].type == ELT_BON_OPM
                     ? "selected by the online lineage's train PM" : "selected by the largest PM scale's train PM, "
                     "the online lineage's"); break;
    case 4: snprintf(what, sizeof what, "helpfulness crowd Elo minus the Elo predicted by the held-out test PMs "
                     "(each seed's other data half) of the RLHF/best-of-n series the train PM rates highest, "
                     "re-selected in every resample (point estimate: %s)", b->s[top].name); break;
    default: snprintf(what, sizeof what, "least-squares slope of helpfulness crowd Elo on held-out-test-PM "
                      "predicted Elo across the %d series (1 = the PM's Elo scale is the crowd's)", s.nall);
    }
    snprintf(o->method, sizeof o->method,
             "Elo (maximum likelihood, P = 1/(1+10^(-d/400)), zero at the distilled model of the largest "
             "policy scale) at policy scale %s from %ld crowd matches of held-out judges on %d held-out "
             "prompts; %s; 95%% percentile crossed bootstrap (%zu resamples: one vector each of prompts, "
             "judges and RL seeds), refitting and recomputing the statistic on each; n = %d RL seeds (the "
             "independent units) with %d distinct train PM%s and %d test PM%s",
             e->scale, e->M, e->P, what, b->B, e->S, e->npm_train, e->npm_train == 1 ? "" : "s",
             e->npm_test, e->npm_test == 1 ? "" : "s");
    if (e->S < 2) snprintf(o->method + strlen(o->method), sizeof o->method - strlen(o->method),
                           "; one seed: the interval covers prompts and judges only, not retraining");
    else if (e->npm_train < e->S)
        snprintf(o->method + strlen(o->method), sizeof o->method - strlen(o->method),
                 "; seeds sharing a PM: PM retraining is not covered");
    return 0;
}
