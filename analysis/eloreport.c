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
    "n_seeds:i:seeds;elo:f:Elo;elo_lo:f:Elo;elo_hi:f:Elo;pm_elo:f:Elo;pm_lo:f:Elo;pm_hi:f:Elo";

static void put_row(Tab *t, const EloFile *e, const EloBoot *b, int k, int s, const char *name) {
    size_t i = tab_add_row(t);
    tab_sets(t, i, "scale", e->scale), tab_setf(t, i, "params", e->params);
    tab_sets(t, i, "kind", ELF_KIND_NAME[k]), tab_sets(t, i, "series", name);
    tab_sets(t, i, "type", ELT_NAME[b->s[s].type]), tab_seti(t, i, "n", b->s[s].n);
    tab_seti(t, i, "round", b->s[s].round), tab_seti(t, i, "n_seeds", b->s[s].nm);
    tab_setf(t, i, "elo", b->crowd[k][s].est), tab_setf(t, i, "elo_lo", b->crowd[k][s].lo);
    tab_setf(t, i, "elo_hi", b->crowd[k][s].hi), tab_setf(t, i, "pm_elo", b->pm[k][s].est);
    tab_setf(t, i, "pm_lo", b->pm[k][s].lo), tab_setf(t, i, "pm_hi", b->pm[k][s].hi);
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

enum { NSER = 5 };  // best-of-n runs at the largest policy scale only: fig36
static const char *const SER[NSER] = {"distill", "helpful", "hh", "online", "reference"};
static const char *const SER_TITLE[NSER] = {"context-distilled", "helpful-only RLHF", "static HH RLHF",
                                            "online HH RLHF (last round)", "HHH reference"};
static const int SER_LT[NSER] = {10, 3, 1, 2, 9};

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
          "intervals: bootstrap over prompts and RL seeds}\" font \",16\"\n"
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
                  "largest policy scale; 95% percentile bootstrap over prompts and seeds",
                  "fig01_elo_vs_params", "Elo vs parameters", 0, NULL, draw_fig01, err);
}

static int keep36(const EloSeries *s) {
    return s->type == ELT_BON || s->type == ELT_HH || s->type == ELT_DISTILL || s->type == ELT_ONLINE;
}

static int draw_fig36(FILE *f, Tab *t, const EloAll *A) {
    TabWhere w = tab_where("type", "bon");
    gp_tab_block(f, "$bon", "n elo lo hi; block 0 helpfulness, block 1 harmlessness", t,
                 "n:%.9g elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, "kind");
    w = tab_where("series", "hh");
    gp_tab_block(f, "$hh", "elo lo hi of static HH RLHF", t, "elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, "kind");
    w = tab_where("series", "online");
    gp_tab_block(f, "$on", "elo lo hi of online HH RLHF (last round)", t, "elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, "kind");
    gp_loop_begin(f, "fig36_rejection_sampling_elo");
    fprintf(f, "set multiplot layout 1,2 title \"Rejection sampling (best-of-n) vs RLHF, policy scale %s "
               "(paper Fig. 36)\\n{/*0.7 best-of-n from the distilled model under the static HH run's "
               "train PM; lines: RLHF with 95%% band (bootstrap over prompts and seeds)}\" font \",16\"\n"
               "set xlabel \"n (samples per prompt)\"\nset ylabel \"Elo\"\nset logscale x 4\n"
               "set xrange [0.7:100]\nset key outside bottom center horizontal noopaque nobox\n",
            A->D.f[A->D.n - 1].scale);
    for (int k = 0; k < ELF_NKIND; k++) {
        fprintf(f, "set title \"%s Elo\"\nplot ", ELF_KIND_NAME[k]);
        if (has(t, "type", "bon"))
            fprintf(f, "$bon index %d u 1:2:3:4 w yerrorlines lt 4 title \"best-of-n\", ", k);
        fprintf(f, "$hh index %d u (0.7):1:(0.7):(100):2:3 w boxxyerror fs transparent solid 0.15 "
                   "lt 1 notitle, $hh index %d u (0.7):1:(100):(0) w vectors nohead lt 1 title "
                   "\"static HH RLHF\", ", k, k);
        if (has(t, "series", "online"))
            fprintf(f, "$on index %d u (0.7):1:(0.7):(100):2:3 w boxxyerror fs transparent solid 0.15 "
                       "lt 2 notitle, $on index %d u (0.7):1:(100):(0) w vectors nohead lt 2 title "
                       "\"online HH RLHF\", ", k, k);
        fputs("NaN notitle\n", f);
    }
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
    return 0;
}

int eloreport_fig36(Report *R, HHErr *err) {
    return figure(R, "fig36_rejection_sampling",
                  "crowd Elo of best-of-n (n = 1, 4, 16, ...) from the distilled model under the static "
                  "HH run's train PM, beside the distilled model, static HH RLHF and online HH RLHF, at "
                  "the largest policy scale (rows as /elo_ratings)",
                  "fig36_rejection_sampling_elo", "rejection-sampling Elo vs n", 1, keep36, draw_fig36, err);
}

static int draw_fig15(FILE *f, Tab *t, const EloAll *A) {
    TabWhere w = tab_where("kind", "helpfulness");
    gp_tab_block(f, "$pts", "pm_elo pm_lo pm_hi elo lo hi (helpfulness), one row per series", t,
                 "pm_elo:%.6g elo:%.6g pm_lo:%.6g pm_hi:%.6g elo_lo:%.6g elo_hi:%.6g", &w, NULL);
    w = tab_where("kind", "harmlessness");
    gp_tab_block(f, "$pts_h", "the same, harmlessness", t,
                 "pm_elo:%.6g elo:%.6g pm_lo:%.6g pm_hi:%.6g elo_lo:%.6g elo_hi:%.6g", &w, NULL);
    gp_loop_begin(f, "fig15_crowd_vs_pm_elo");
    fprintf(f, "set multiplot layout 1,2 title \"Crowd Elo vs the Elo the train PM predicts, policy "
               "scale %s (paper Fig. 15 right)\\n{/*0.7 one point per series; the line is crowd = PM; "
               "95%% intervals both ways: bootstrap over prompts and seeds}\" font \",16\"\n"
               "set xlabel \"PM-predicted Elo\"\nset ylabel \"crowd Elo\"\nset key top left\n",
            A->D.f[A->D.n - 1].scale);
    fputs("set title \"helpfulness\"\nplot x w l lt 10 dt 2 title \"crowd = PM\", $pts u 1:2:3:4:5:6 "
          "w xyerrorbars lt 1 title \"series\"\n", f);
    fputs("set title \"harmlessness\"\nplot x w l lt 10 dt 2 title \"crowd = PM\", $pts_h u 1:2:3:4:5:6 "
          "w xyerrorbars lt 3 title \"series\"\n", f);
    fputs("unset multiplot\n", f);
    gp_loop_end(f);
    return 0;
}

static int keep15(const EloSeries *s) { return s->type != ELT_ANCHOR; }

int eloreport_fig15(Report *R, HHErr *err) {
    return figure(R, "fig15_crowd_vs_pm_elo",
                  "crowd Elo beside the Elo implied by the static HH run's train PM (mean over prompts "
                  "of sigmoid(score - anchor's score), as Elo) for every series at the largest policy "
                  "scale (rows as /elo_ratings)",
                  "fig15_crowd_vs_pm_elo", "crowd vs PM-predicted Elo", 1, keep15, draw_fig15, err);
}

static int keep16(const EloSeries *s) {
    return s->type == ELT_ONLINE || s->type == ELT_HH || s->type == ELT_DISTILL;
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
    w = tab_where("series", "hh");
    gp_tab_block(f, "$hh", "static HH RLHF elo lo hi; block 0 helpfulness, 1 harmlessness", t,
                 "elo:%.6g elo_lo:%.6g elo_hi:%.6g", &w, "kind");
    gp_loop_begin(f, "fig16_elo_vs_round");
    int on = has(t, "type", "online");
    fprintf(f, "set title \"Elo of online HH RLHF by round, policy scale %s (paper Fig. 16)\\n{/*0.7 "
               "lines: static HH RLHF; 95%% intervals: bootstrap over prompts and seeds%s}\"\n"
               "set xlabel \"online round\"\nset ylabel \"Elo\"\nset key outside bottom center horizontal noopaque nobox\n"
               "plot ", A->D.f[A->D.n - 1].scale, on ? "" : "; this run has no online rounds");
    if (on)
        fputs("$on u 1:2:3:4 w yerrorlines lt 2 title \"online, helpfulness\", $onh u 1:2:3:4 w "
              "yerrorlines lt 6 title \"online, harmlessness\", ", f);
    if (has(t, "series", "hh"))
        fputs("$hh index 0 u (0):1:(10):(0) w vectors nohead lt 1 title \"static HH, helpfulness\", "
              "$hh index 1 u (0):1:(10):(0) w vectors nohead lt 1 dt 2 title \"static HH, harmlessness\", ", f);
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
                                     "elo_crowd_minus_pm_top", NULL};

int eloclaims_known(const char *name) { return claims_name_in(NAMES, name); }

const char *eloclaims_list(void) {
    static char buf[256];
    return claims_names_join(NAMES, buf, sizeof buf);
}

typedef struct {
    int stat, on, hh, di, he, top, nb;
    int bon[16];
    double lnn[16];
} Sel;

// The statistic on one set of series values: crowd (ELF_NKIND, ns), pm likewise.
static double stat_of(const Sel *s, int ns, const double *crowd, const double *pm) {
#define C(k, i) crowd[(k) * ns + (i)]
    switch (s->stat) {
    case 0: {
        double m = INFINITY;
        for (int k = 0; k < ELF_NKIND; k++) m = fmin(m, fmin(C(k, s->on) - C(k, s->hh), C(k, s->hh) - C(k, s->di)));
        return m;
    }
    case 1: return fmin(C(0, s->he) - C(0, s->hh), C(1, s->hh) - C(1, s->he));
    case 2: {
        double mx = 0, my = 0, sxy = 0, sxx = 0;
        for (int j = 0; j < s->nb; j++) mx += s->lnn[j] / s->nb, my += 0.5 * (C(0, s->bon[j]) + C(1, s->bon[j])) / s->nb;
        for (int j = 0; j < s->nb; j++) {
            double y = 0.5 * (C(0, s->bon[j]) + C(1, s->bon[j]));
            sxy += (s->lnn[j] - mx) * (y - my), sxx += (s->lnn[j] - mx) * (s->lnn[j] - mx);
        }
        return sxx > 0 ? sxy / sxx : NAN;
    }
    case 3: {
        int b = s->bon[s->nb - 1];
        return 0.5 * (C(0, s->on) + C(1, s->on)) - 0.5 * (C(0, b) + C(1, b));
    }
    default: return C(0, s->top) - pm[s->top];
    }
#undef C
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
    s.top = -1;
    for (int i = 0; i < b->ns; i++) {
        int t = b->s[i].type;
        if (t == ELT_BON && s.nb < 16) s.bon[s.nb] = i, s.lnn[s.nb++] = log((double)b->s[i].n);
        if ((t == ELT_HELPFUL || t == ELT_HH || t == ELT_ONLINE || t == ELT_BON) &&
            (s.top < 0 || b->pm[0][i].est > b->pm[0][s.top].est))
            s.top = i;
    }
    const char *why = NULL;
    if ((s.stat == 0 || s.stat == 3) && s.on < 0)
        why = "no online HH RLHF contestants in the tournament (the run has no online stage for this scale)";
    else if ((s.stat == 0 || s.stat == 1) && (s.hh < 0 || s.di < 0 || (s.stat == 1 && s.he < 0)))
        why = "no helpful-only or HH RLHF contestants";
    else if ((s.stat == 2 && s.nb < 2) || (s.stat == 3 && s.nb < 1))
        why = "too few best-of-n contestants ([elo] bon_max)";
    else if (s.stat == 4 && s.top < 0)
        why = "no RLHF or best-of-n contestants";
    if (why) {
        snprintf(o->method, sizeof o->method, "%s", why);
        return 0;
    }
    int ns = b->ns;
    double crowd[ELF_NKIND * ELF_MAX_SERIES], pm[ELF_NKIND * ELF_MAX_SERIES];
    for (int k = 0; k < ELF_NKIND; k++)
        for (int i = 0; i < ns; i++) crowd[k * ns + i] = b->crowd[k][i].est, pm[k * ns + i] = b->pm[k][i].est;
    double est = stat_of(&s, ns, crowd, pm);
    double *v = malloc(sizeof(double) * b->B);
    if (!v) return hh_fail(err, HH_EFAIL, "out of memory");
    for (size_t r = 0; r < b->B; r++)
        v[r] = stat_of(&s, ns, b->rep + r * ELF_NKIND * ns, b->prep + r * ELF_NKIND * ns);
    StatsCI ci;
    elf_pct(v, b->B, est, &ci);
    free(v);
    claim_stat_set(o, est, ci.lo, ci.hi, (size_t)e->M);
    int seeds = e->S;
    snprintf(o->method, sizeof o->method,
             "Elo (maximum likelihood, P = 1/(1+10^(-d/400)), zero at the distilled model of the largest "
             "policy scale) at policy scale %s from %ld crowd matches of held-out judges on %d held-out "
             "prompts; %s; 95%% percentile bootstrap (%zu resamples) over prompts of each kind and %d RL/PM "
             "seeds, refitting and recomputing the statistic on each",
             e->scale, e->M, e->P,
             s.stat == 0 ? "min over helpfulness and harmlessness of min(online (last round) - static HH, static HH - distilled)"
             : s.stat == 1 ? "min(helpful-only - static HH on helpfulness, static HH - helpful-only on harmlessness)"
             : s.stat == 2 ? "least-squares slope of best-of-n Elo (mean of the two kinds) vs ln n, Elo per ln n"
             : s.stat == 3 ? "online HH RLHF (last round) minus best-of-n at the largest n, mean of the two kinds"
                           : "crowd minus PM-predicted helpfulness Elo of the RLHF/best-of-n series the PM rates highest",
             b->B, seeds);
    if (seeds < 2) snprintf(o->method + strlen(o->method), sizeof o->method - strlen(o->method),
                            "; one seed: the interval covers prompts and matches only, not retraining");
    return 0;
}
