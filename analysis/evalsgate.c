// evalsgate.c - see evalsgate.h
#include "evalsgate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "h5io.h"
#include "rldata.h"
#include "stage.h"

int evg_read(const char *path, const RunData *rd, EVGate *g, HHErr *err) {
    memset(g, 0, sizeof *g);
    RLRec r;
    if (rl_load_file(path, rd, &r, err)) {
        rlrec_free(&r);
        return err->code;
    }
    hid_t f;
    int rc = h5in_open(path, "rl", &f, err), ki = -1;
    double kl = NAN;
    if (!rc) {
        rc = h5_read_attr_int(f, "/model", "kept_iter", 0, 1000000000, &ki, err) ||
                     h5_read_attr_double(f, "/model", "kept_kl", &kl, err)
                 ? err->code
                 : 0;
        H5Fclose(f);
    }
    if (!rc && !(kl >= 0 && isfinite(kl)))
        rc = hh_fail(err, HH_EINPUT, "%s: attribute kept_kl on /model is %g; allowed: one finite "
                     "KL >= 0 (nats)", path, kl);
    int i0 = -1, ik = -1;
    for (int i = 0; !rc && i < r.n; i++) {
        if (r.col[RL_ITER][i] == 0) i0 = i;
        if (r.col[RL_ITER][i] == ki) ik = i;
    }
    if (!rc && ik < 0)
        rc = hh_fail(err, HH_EINPUT, "%s: attribute kept_iter on /model is %d; allowed: one of "
                     "/curve/iter (%d evaluations, %g to %g)", path, ki, r.n, r.col[RL_ITER][0],
                     r.col[RL_ITER][r.n - 1]);
    if (!rc && i0 < 0)
        rc = hh_fail(err, HH_EINPUT, "%s: /curve/iter has no iteration 0 (first %g); allowed: a "
                     "curve that starts at the initial policy (the RL validity gate compares with it)",
                     path, r.col[RL_ITER][0]);
    if (!rc) {
        snprintf(g->name, sizeof g->name, "%s", r.name);
        snprintf(g->scale, sizeof g->scale, "%s", r.policy);
        snprintf(g->variant, sizeof g->variant, "%s", r.variant);
        g->seed = r.seed;
        g->help0 = r.col[RL_HELP_BENIGN][i0];
        g->help_kept = r.col[RL_HELP_BENIGN][ik];
        g->kept_iter = ki;
        g->kept_kl = kl;
        g->valid = g->help_kept >= g->help0 - EVG_DELTA;
    }
    rlrec_free(&r);
    return rc;
}

int evg_load(const char *dir, const RunData *rd, const EVData *D, EVGate **out, int *n, HHErr *err) {
    *out = NULL;
    *n = 0;
    char pd[1100];
    if (stage_run_path(dir, "rl", pd, sizeof pd, err)) return err->code;
    EVGate *g = calloc((size_t)D->nrec + 1, sizeof *g);
    if (!g) return hh_fail(err, HH_EFAIL, "out of memory");
    int k = 0, rc = 0;
    for (int i = 0; i < D->nrec && !rc; i++) {
        if (D->rec[i].kind < EVD_HH) continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s.h5", pd, D->rec[i].name);
        rc = evg_read(path, rd, &g[k], err);
        if (!rc) k++;
    }
    if (rc) {
        free(g);
        return err->code;
    }
    *out = g;
    *n = k;
    return 0;
}

const EVGate *evg_find(const EVGate *g, int n, const char *name) {
    for (int k = 0; k < n; k++)
        if (!strcmp(g[k].name, name)) return &g[k];
    return NULL;
}
