// elofit.h - Elo ratings of a tournament file (elodata.h) by maximum
// likelihood, PM-predicted Elo, and their bootstrap intervals.
//
// Crowd Elo: stats_elo_fit (Bradley-Terry, P(a beats b) = 1/(1 +
// 10^(-(Ea - Eb)/400)), Newton) on the wins of one match kind (0
// helpfulness, 1 harmlessness), pinned at 0 at the file's pin (the distilled
// model of the largest policy scale: the anchor contestant, or the scale's
// own distilled model in the largest scale's file). Every pair that met gets
// ELF_PSEUDO wins each way besides its matches: a weak symmetric prior that
// keeps the maximum finite in every bootstrap resample (a contestant that won
// or lost all its resampled matches); at [elo] matches = 12 per pair and 20
// contestants it moves ratings by a few Elo, far inside their intervals.
//
// Series: the contestants of one type (and best-of-n n, online round),
// across seeds; a series' Elo is the mean over its seeds. Names: the type's
// name (distill, hh, hh_opm, ...), bonN, bonN_opm, online_rK.
//
// PM-predicted Elo of a contestant (paper Fig. 15 right): under the train
// PM (or, held out, the test PM: the other data half) of seed u (its own seed for seeded contestants; the mean over PM seeds
// otherwise), P = mean over the kind's prompts of sigmoid(score(c) -
// score(pin)), converted to Elo as 400 log10(P / (1 - P)) (P clamped to
// [1e-4, 1 - 1e-4]).
//
// Intervals: percentile bootstrap (2.5%, 97.5%) with B resamples of a
// crossed design (referee 14 finding 16): each resample draws ONE vector of
// the seeds 0..S-1 (a seeded series' Elo is then the mean over the drawn
// seeds it has), ONE vector of the prompts of each kind and ONE vector of the
// judges of each kind (the distinct workers of the kind's matches), all with
// replacement; a match then weighs (draws of its prompt) x (draws of its
// judge): the answers on a prompt and a judge's bias and temperature are
// shared by their matches. Refits every time. PM-predicted Elo depends on
// prompts and seeds only. The product weights make the interval
// conservative: with no prompt or judge effects the match noise enters
// through both factors (variance of a product of two Poisson(1) weights is 3
// against 1; tests/test_elo.c: ~130 Elo wide where prompts and seeds alone
// give ~60), the price of covering judge effects without a model of them.
#ifndef HHFIT_ELOFIT_H
#define HHFIT_ELOFIT_H

#include <gsl/gsl_rng.h>

#include "elodata.h"
#include "stats.h"

#define ELF_PSEUDO 0.1
enum { ELF_MAX_SERIES = 96, ELF_MAX_MEMBERS = 16, ELF_NKIND = 2 };
extern const char *const ELF_KIND_NAME[ELF_NKIND];  // "helpfulness", "harmlessness"

typedef struct {
    char name[32];     // "distill", "hh", "bon16", "online_r2", "reference", ...
    int type, n, round;
    int nm;
    int member[ELF_MAX_MEMBERS], mseed[ELF_MAX_MEMBERS];  // contestant, its seed (-1)
} EloSeries;

// The series of e in contestant order of first appearance; returns the count.
int elf_series(const EloFile *e, EloSeries *s, int max);

// Crowd Elo of every contestant on kind k, matches weighted by mw (M; NULL:
// 1 each). ws: a workspace for e->C players.
int elf_fit(const EloFile *e, int k, const double *mw, StatsElo *ws, double *elo, HHErr *err);

// PM-predicted Elo of contestant c on kind k under the train PMs (e->pms);
// w (P) prompt weights, sw (S) seed weights (NULL: 1 each).
double elf_pm_elo(const EloFile *e, int c, int k, const double *w, const double *sw);
// The same from scores (S, C, P): e->pms or e->pmt (held-out test PMs).
double elf_pm_elo_of(const EloFile *e, const double *scores, int c, int k, const double *w, const double *sw);

typedef struct {
    int ns;
    EloSeries s[ELF_MAX_SERIES];
    size_t B;
    StatsCI crowd[ELF_NKIND][ELF_MAX_SERIES], pm[ELF_NKIND][ELF_MAX_SERIES], pmt[ELF_NKIND][ELF_MAX_SERIES];
    double *rep;   // (B, ELF_NKIND, ns) crowd Elo of each resample
    double *prep;  // (B, ELF_NKIND, ns) train-PM-predicted Elo of each resample
    double *trep;  // (B, ELF_NKIND, ns) test-PM-predicted (held-out) Elo of each resample
} EloBoot;

// Point estimates and B >= 10 bootstrap resamples of every series' Elo.
int elf_boot(const EloFile *e, size_t B, gsl_rng *r, EloBoot *o, HHErr *err);
void elf_boot_free(EloBoot *o);
// The index of series `name` in o, or -1.
int elf_find(const EloBoot *o, const char *name);
// Percentile 95% interval of values v[0..B-1] (sorted in place) with est.
void elf_pct(double *v, size_t B, double est, StatsCI *out);

#endif
