// project.c - see project.h
#include "project.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#include "h5io.h"
#include "worldgen.h"

enum { MAX_STAGES = 64 };

typedef struct {
    const StageDef *st;
    char scale[HH_NAME_LEN];
    double wall, cost;
} Rate;

// wall_seconds of the file at path, or -1.
static double wall_of(const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || H5Fis_hdf5(path) <= 0) return -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    double w = -1;
    HHErr e;
    if (f >= 0 && h5_read_attr_double(f, "/", "wall_seconds", &w, &e)) w = -1;
    if (f >= 0) H5Fclose(f);
    return w;
}

// Seconds per cost unit of each (stage, scale) measured in dir: rates[0..*n).
static int calibrate(const char *dir, const StageDef *const *t, Rate *rates, int *n, int cap,
                     HHErr *err) {
    char ini[1100], wpath[1100];
    snprintf(ini, sizeof ini, "%s/params.ini", dir);
    Params m;
    WorldData d;
    if (params_load(&m, ini, err) || stage_run_path(dir, "world", wpath, sizeof wpath, err) ||
        worldgen_read(wpath, &m, &d, err))
        return err->code;
    JobList l;
    joblist_init(&l, dir, t[0]);
    int rc = 0;
    for (int i = 1; t[i] && !rc; i++)
        if (!t[i]->off || !t[i]->off(&m)) rc = t[i]->list(&m, &d, &l, err);
    *n = 0;
    for (int k = 0; !rc && k < l.n; k++) {
        double w = wall_of(l.v[k].out);
        if (w < 0 || !(l.v[k].cost > 0)) continue;
        int r = 0;
        while (r < *n && !(rates[r].st == l.v[k].stage && !strcmp(rates[r].scale, l.v[k].key.scale))) r++;
        if (r == *n && *n < cap) {
            rates[r] = (Rate){l.v[k].stage, "", 0, 0};
            snprintf(rates[r].scale, sizeof rates[r].scale, "%s", l.v[k].key.scale);
            (*n)++;
        }
        if (r < *n) rates[r].wall += w, rates[r].cost += l.v[k].cost;
    }
    joblist_free(&l);
    worldgen_free(&d);
    return rc;
}

// Estimated seconds of job j: its (stage, scale) rate, else its stage's mean rate.
static double estimate(const Job *j, const Rate *rates, int n, int *extrapolated) {
    double w = 0, c = 0;
    for (int r = 0; r < n; r++)
        if (rates[r].st == j->stage) {
            if (!strcmp(rates[r].scale, j->key.scale)) return j->cost * rates[r].wall / rates[r].cost;
            w += rates[r].wall, c += rates[r].cost;
        }
    (*extrapolated)++;
    return c > 0 ? j->cost * w / c : 0;
}

// Makespan of list scheduling on `ranks` workers: a ready job (all its deps
// done) starts on a free worker, longest remaining chain first.
static double makespan(int n, const double *est, const double *prio, const int *nd,
                       int *const *dp, int ranks) {
    double *end = malloc(sizeof(double) * (size_t)n + 1), now = 0;
    int *state = calloc((size_t)n + 1, sizeof(int)), busy = 0, done = 0;  // 0 wait 1 run 2 done
    if (!end || !state) { free(end), free(state); return NAN; }
    while (done < n) {
        for (;;) {  // start what can start
            int best = -1;
            for (int i = 0; i < n && busy < ranks; i++) {
                if (state[i]) continue;
                int ready = 1;
                for (int q = 0; q < nd[i] && ready; q++) ready = state[dp[i][q]] == 2;
                if (ready && (best < 0 || prio[i] > prio[best])) best = i;
            }
            if (best < 0 || busy >= ranks) break;
            state[best] = 1, end[best] = now + est[best], busy++;
        }
        int next = -1;
        for (int i = 0; i < n; i++)
            if (state[i] == 1 && (next < 0 || end[i] < end[next])) next = i;
        if (next < 0) break;  // nothing runs and nothing can start: a cycle (cannot happen)
        now = end[next], state[next] = 2, busy--, done++;
    }
    free(end), free(state);
    return now;
}

int pipeline_project(const JobList *l, const int *run, const StageDef *const *t,
                     const char *measured, const char *ranks, FILE *out, HHErr *err) {
    Rate rates[4 * MAX_STAGES];
    int nr = 0, n = 0, extrap = 0, rc = calibrate(measured, t, rates, &nr, 4 * MAX_STAGES, err);
    int *idx = rc ? NULL : malloc(sizeof(int) * ((size_t)l->n + 1)), *node = NULL, *nd = NULL;
    double *est = NULL, *prio = NULL;
    int **dp = NULL;
    if (!rc) {
        node = malloc(sizeof(int) * ((size_t)l->n + 1)), nd = calloc((size_t)l->n + 1, sizeof(int));
        est = calloc((size_t)l->n + 1, sizeof(double)), prio = calloc((size_t)l->n + 1, sizeof(double));
        dp = calloc((size_t)l->n + 1, sizeof(int *));
        if (!idx || !node || !nd || !est || !prio || !dp) rc = hh_fail(err, HH_EFAIL, "out of memory");
    }
    double total = 0;
    for (int k = 0; !rc && k < l->n; k++) {
        node[k] = -1;
        if (!run[k]) continue;
        node[k] = n, idx[n] = k;
        est[n] = prio[n] = estimate(&l->v[k], rates, nr, &extrap);
        total += est[n];
        if (!(dp[n] = malloc(sizeof(int) * ((size_t)l->v[k].n_in + 1)))) { rc = hh_fail(err, HH_EFAIL, "out of memory"); break; }
        for (int q = 0; q < l->v[k].n_in; q++)
            for (int m = 0; m < k; m++)
                if (node[m] >= 0 && !strcmp(l->v[m].out, l->v[k].in[q].path)) dp[n][nd[n]++] = node[m];
        n++;
    }
    for (int g = n - 1; !rc && g >= 0; g--)  // longest chain of estimates from each job on
        for (int q = 0; q < nd[g]; q++)
            if (est[dp[g][q]] + prio[g] > prio[dp[g][q]]) prio[dp[g][q]] = est[dp[g][q]] + prio[g];
    double chain = 0;
    for (int g = 0; g < n; g++) chain = prio[g] > chain ? prio[g] : chain;
    if (!rc)
        fprintf(out, "projection from the job times of %s: %d jobs, %.0f core-seconds (%.2f h), "
                "critical path %.0f s (%.2f h); %d jobs of a scale not measured there use their "
                "stage's mean rate\n", measured, n, total, total / 3600, chain, chain / 3600, extrap);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ranks ? ranks : "1,2,16,64,256");
    char *save = NULL;
    for (char *s = strtok_r(buf, ",", &save); !rc && s; s = strtok_r(NULL, ",", &save)) {
        long r;
        if (params_parse_long(s, 1, 100000, &r)) { rc = hh_fail(err, HH_EINPUT, "--ranks '%s': expected whole numbers from 1 to 100000, comma-separated", s); break; }
        double w = makespan(n, est, prio, nd, dp, (int)r);
        fprintf(out, "  %6ld ranks: %10.0f s wall (%7.2f h), sweep efficiency %5.1f%%\n", r, w,
                w / 3600, w > 0 ? 100 * total / (w * (double)r) : 100.0);
    }
    for (int g = 0; dp && g < n; g++) free(dp[g]);
    free(idx), free(node), free(nd), free(est), free(prio), free(dp);
    return rc;
}
