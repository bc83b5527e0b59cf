// elofit.c - see elofit.h
#include "elofit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "rng.h"

const char *const ELF_KIND_NAME[ELF_NKIND] = {"helpfulness", "harmlessness"};

int elf_series(const EloFile *e, EloSeries *s, int max) {
    int ns = 0;
    for (int c = 0; c < e->C; c++) {
        char nm[32];
        int t = e->type[c];
        if (t == ELT_BON) snprintf(nm, sizeof nm, "bon%d", e->n[c]);
        else if (t == ELT_BON_OPM) snprintf(nm, sizeof nm, "bon%d_opm", e->n[c]);
        else if (t == ELT_ONLINE) snprintf(nm, sizeof nm, "online_r%d", e->round[c]);
        else snprintf(nm, sizeof nm, "%s", ELT_NAME[t]);
        int k = 0;
        while (k < ns && strcmp(s[k].name, nm)) k++;
        if (k == ns) {
            if (ns >= max) continue;
            memset(&s[k], 0, sizeof s[k]);
            snprintf(s[k].name, sizeof s[k].name, "%s", nm);
            s[k].type = t, s[k].n = e->n[c], s[k].round = e->round[c];
            ns++;
        }
        if (s[k].nm < ELF_MAX_MEMBERS) s[k].member[s[k].nm] = c, s[k].mseed[s[k].nm++] = e->seed[c];
    }
    return ns;
}

int elf_fit(const EloFile *e, int k, const double *mw, StatsElo *ws, double *elo, HHErr *err) {
    int C = e->C;
    double *wins = calloc((size_t)C * C, sizeof(double));
    unsigned char *met = calloc((size_t)C * C, 1);
    if (!wins || !met) {
        free(wins), free(met);
        return hh_fail(err, HH_EFAIL, "elo fit: out of memory");
    }
    for (long m = 0; m < e->M; m++) {
        if (e->mkind[m] != k) continue;
        int a = e->ma[m], b = e->mb[m];
        double x = mw ? mw[m] : 1.0;
        if (e->mwin[m]) wins[(size_t)b * C + a] += x;
        else wins[(size_t)a * C + b] += x;
        met[(size_t)a * C + b] = met[(size_t)b * C + a] = 1;
    }
    for (size_t i = 0; i < (size_t)C * C; i++) wins[i] += met[i] ? ELF_PSEUDO : 0;
    int rc = stats_elo_fit(ws, wins, (size_t)e->pin, err);
    for (int c = 0; !rc && c < C; c++) elo[c] = ws->elo[c];
    free(wins), free(met);
    return rc;
}

static double sigm(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }

double elf_pm_elo(const EloFile *e, int c, int k, const double *w, const double *sw) {
    return elf_pm_elo_of(e, e->pms, c, k, w, sw);
}

double elf_pm_elo_of(const EloFile *e, const double *scores, int c, int k, const double *w, const double *sw) {
    if (c == e->pin) return 0;
    double num = 0, den = 0;
    for (int u = 0; u < e->S; u++) {
        if (e->seed[c] >= 0 && e->seed[c] != u) continue;
        double su = sw ? sw[u] : 1.0;
        if (e->seed[c] >= 0) su = 1.0;  // a seeded contestant: its own PM only
        if (su <= 0) continue;
        const double *sc = scores + (size_t)u * e->C * e->P;
        double p = 0, n = 0;
        for (int i = 0; i < e->P; i++) {
            if ((e->pkind[i] >= KIND_REDTEAM) != k) continue;
            double x = w ? w[i] : 1.0;
            p += x * sigm(sc[(size_t)c * e->P + i] - sc[(size_t)e->pin * e->P + i]);
            n += x;
        }
        if (n <= 0) continue;
        p = fmin(fmax(p / n, 1e-4), 1 - 1e-4);
        num += su * 400.0 * log10(p / (1 - p));
        den += su;
    }
    return den > 0 ? num / den : NAN;
}

// A series' value from per-contestant values v, seeds weighted by sw (NULL: 1).
static double series_value(const EloSeries *s, const double *v, const double *sw) {
    double num = 0, den = 0, plain = 0;
    for (int j = 0; j < s->nm; j++) {
        double x = s->mseed[j] >= 0 && sw ? sw[s->mseed[j]] : 1.0;
        num += x * v[s->member[j]];
        den += x;
        plain += v[s->member[j]] / s->nm;
    }
    return den > 0 ? num / den : plain;  // no drawn seed of the series: its plain mean
}

void elf_pct(double *v, size_t B, double est, StatsCI *out) {
    size_t n = 0;
    for (size_t i = 0; i < B; i++) if (isfinite(v[i])) v[n++] = v[i];
    out->est = est;
    out->n = n;
    if (n < 2) { out->lo = out->hi = out->se = NAN; return; }
    gsl_sort(v, 1, n);
    out->lo = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.025);
    out->hi = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.975);
    out->se = gsl_stats_sd(v, 1, n);
}

void elf_boot_free(EloBoot *o) {
    free(o->rep), free(o->prep), free(o->trep);
    o->rep = o->prep = o->trep = NULL;
}

int elf_find(const EloBoot *o, const char *name) {
    for (int k = 0; k < o->ns; k++) if (!strcmp(o->s[k].name, name)) return k;
    return -1;
}

// Values of every series on kind k (crowd into cv, train-PM into pv, test-PM into tv); w
// prompt weights, mw match weights, sw seed weights (NULL: 1 each).
static int one(const EloFile *e, int k, const double *w, const double *mw, const double *sw, StatsElo *ws,
               const EloBoot *o, double *elo, double *pme, double *cv, double *pv, double *tv, HHErr *err) {
    if (elf_fit(e, k, mw, ws, elo, err)) return err->code;
    for (int c = 0; c < e->C; c++) pme[c] = elf_pm_elo_of(e, e->pms, c, k, w, sw);
    for (int s = 0; s < o->ns; s++) pv[s] = series_value(&o->s[s], pme, sw);
    for (int c = 0; c < e->C; c++) pme[c] = elf_pm_elo_of(e, e->pmt, c, k, w, sw);
    for (int s = 0; s < o->ns; s++) {
        cv[s] = series_value(&o->s[s], elo, sw);
        tv[s] = series_value(&o->s[s], pme, sw);
    }
    return 0;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int elf_boot(const EloFile *e, size_t B, gsl_rng *r, EloBoot *o, HHErr *err) {
    memset(o, 0, sizeof *o);
    if (B < 10) return hh_fail(err, HH_EINPUT, "elo bootstrap: B = %zu; allowed: >= 10", B);
    o->ns = elf_series(e, o->s, ELF_MAX_SERIES);
    o->B = B;
    int ns = o->ns, C = e->C, P = e->P, S = e->S, rc = 0;
    size_t M = (size_t)e->M, nrep = B * ELF_NKIND * ns + 1;
    o->rep = calloc(nrep, sizeof(double));
    o->prep = calloc(nrep, sizeof(double));
    o->trep = calloc(nrep, sizeof(double));
    double *elo = malloc(sizeof(double) * C), *pme = malloc(sizeof(double) * C),
           *w = malloc(sizeof(double) * P), *sw = malloc(sizeof(double) * S),
           *col = malloc(sizeof(double) * B), *mw = malloc(sizeof(double) * (M + 1)),
           *jw = malloc(sizeof(double) * (M + 1)), est[ELF_NKIND][ELF_MAX_SERIES],
           pest[ELF_NKIND][ELF_MAX_SERIES], test[ELF_NKIND][ELF_MAX_SERIES];
    int *kp = malloc(sizeof(int) * P), kn[2] = {0, 0};
    // the judges of each kind: distinct worker ids (sorted), and each match's judge index
    int32_t *jid = malloc(sizeof(int32_t) * (M + 1)), *jm = malloc(sizeof(int32_t) * (M + 1));
    size_t nj[2] = {0, 0}, j0[2] = {0, 0};
    StatsElo *ws = stats_elo_alloc((size_t)C, err);
    if (!ws) rc = err->code;
    else if (!o->rep || !o->prep || !o->trep || !elo || !pme || !w || !sw || !col || !kp || !mw || !jw ||
             !jid || !jm)
        rc = hh_fail(err, HH_EFAIL, "elo bootstrap: out of memory");
    for (int k = 0; !rc && k < ELF_NKIND; k++) {
        j0[k] = k ? nj[0] : 0;
        size_t n = 0;
        for (size_t m = 0; m < M; m++) if (e->mkind[m] == k) jid[j0[k] + n++] = e->mw[m];
        qsort(jid + j0[k], n, sizeof *jid, cmp_i32);
        size_t u = 0;
        for (size_t i = 0; i < n; i++) if (!u || jid[j0[k] + i] != jid[j0[k] + u - 1]) jid[j0[k] + u++] = jid[j0[k] + i];
        nj[k] = u;
        for (size_t m = 0; m < M; m++)
            if (e->mkind[m] == k) {
                const int32_t *hit = bsearch(&e->mw[m], jid + j0[k], u, sizeof *jid, cmp_i32);
                jm[m] = (int32_t)(j0[k] + (size_t)(hit - (jid + j0[k])));
            }
    }
    for (int k = 0; !rc && k < ELF_NKIND; k++)
        rc = one(e, k, NULL, NULL, NULL, ws, o, elo, pme, est[k], pest[k], test[k], err);
    for (size_t b = 0; !rc && b < B; b++) {
        // crossed: one seed vector, one prompt vector per kind, one judge vector per kind
        for (int i = 0; i < S; i++) sw[i] = 0;
        for (int i = 0; i < S; i++) sw[rng_below(r, (unsigned long)S)] += 1;
        for (int i = 0; i < P; i++) w[i] = 0;
        for (int k = 0; k < ELF_NKIND; k++) {
            kn[k] = 0;
            for (int i = 0; i < P; i++) if ((e->pkind[i] >= KIND_REDTEAM) == k) kp[kn[k]++] = i;
            for (int i = 0; i < kn[k]; i++) w[kp[rng_below(r, (unsigned long)kn[k])]] += 1;
        }
        for (size_t i = 0; i < nj[0] + nj[1]; i++) jw[i] = 0;
        for (int k = 0; k < ELF_NKIND; k++)
            for (size_t i = 0; i < nj[k]; i++) jw[j0[k] + rng_below(r, (unsigned long)nj[k])] += 1;
        for (size_t m = 0; m < M; m++) mw[m] = w[e->mp[m]] * jw[jm[m]];
        for (int k = 0; !rc && k < ELF_NKIND; k++) {
            size_t at = (b * ELF_NKIND + k) * ns;
            rc = one(e, k, w, mw, sw, ws, o, elo, pme, o->rep + at, o->prep + at, o->trep + at, err);
        }
    }
    for (int k = 0; !rc && k < ELF_NKIND; k++)
        for (int s = 0; s < ns; s++) {
            for (size_t b = 0; b < B; b++) col[b] = o->rep[(b * ELF_NKIND + k) * ns + s];
            elf_pct(col, B, est[k][s], &o->crowd[k][s]);
            for (size_t b = 0; b < B; b++) col[b] = o->prep[(b * ELF_NKIND + k) * ns + s];
            elf_pct(col, B, pest[k][s], &o->pm[k][s]);
            for (size_t b = 0; b < B; b++) col[b] = o->trep[(b * ELF_NKIND + k) * ns + s];
            elf_pct(col, B, test[k][s], &o->pmt[k][s]);
        }
    stats_elo_free(ws);
    free(elo), free(pme), free(w), free(sw), free(col), free(kp), free(mw), free(jw), free(jid), free(jm);
    if (rc) elf_boot_free(o);
    return rc;
}
