// pmdata.c - see pmdata.h
#include "pmdata.h"
#include "pmstats.h"  // pm_sel_free

#include "pipeline.h"
#include "stage.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "h5io.h"

// ---------------------------------------------------------------------------
// world.h5

static int read_str_attr(hid_t f, const char *path, const char *obj, const char *name, char **out,
                         HHErr *err) {
    (void)path;  // the checked reader names the file itself
    return h5_get_attr_str(f, obj, name, H5_ATTR_STR_MAX, out, err);
}

static int load_world(RunData *rd, HHErr *err) {
    char path[1100];
    hid_t f;
    if (stage_run_path(rd->dir, "world", path, sizeof path, err) || h5in_open(path, "world", &f, err))
        return err->code;
    int rc = read_str_attr(f, path, "/", "params", &rd->params_text, err);
    if (!rc && params_parse_text(&rd->params, rd->params_text, path, err)) rc = HH_EINPUT;
    char ini[1100];  // the run's params: those of its latest 'hhsim run' when it wrote them
    snprintf(ini, sizeof ini, "%s/params.ini", rd->dir);
    struct stat st;
    if (!rc && stat(ini, &st) == 0 && params_load(&rd->params, ini, err)) rc = HH_EINPUT;
    static const char *AN[6] = {"worker_measured", "worker_implied", "worker_n",
                                "gold_measured",   "gold_implied",   "gold_n"};
    for (int k = 0; k < 6 && !rc; k++) {
        char nm[64];
        snprintf(nm, sizeof nm, "crowd/agreement/%s", AN[k]);
        hsize_t dims[1] = {2};
        double *v = NULL;
        rc = h5_read(f, path, nm, H5T_NATIVE_DOUBLE, 1, dims, (void **)&v, err);
        if (!rc) memcpy(rd->agree[k], v, sizeof rd->agree[k]);
        free(v);
    }
    // shares in [0, 1] (NaN when no pair was counted), counts whole and >= 0
    for (int k = 0; k < 6 && !rc; k++)
        for (int set = 0; set < 2 && !rc; set++) {
            double x = rd->agree[k][set], n = rd->agree[k / 3 * 3 + 2][set];
            int okv = k % 3 == 2 ? x >= 0 && x <= 1e12 && x == floor(x)
                                 : (n == 0 ? isnan(x) || (x >= 0 && x <= 1) : x >= 0 && x <= 1);
            if (!okv)
                rc = hh_fail(err, HH_EINPUT, "%s: crowd/agreement/%s[%d] = %g; allowed: %s", path,
                             AN[k], set, x, k % 3 == 2 ? "a whole count >= 0"
                             : "a share in [0, 1] (NaN when the count is 0)");
        }
    H5Fclose(f);
    return rc;
}

// ---------------------------------------------------------------------------
// pm/*.h5

static int job_num(hid_t f, const char *path, const char *name, double *v, HHErr *err) {
    (void)path;
    return h5_read_attr_double(f, "/job", name, v, err);
}

static int read_job(hid_t f, PMRec *r, HHErr *err) {
    char *s = NULL;
    if (read_str_attr(f, r->path, "/job", "scale", &s, err)) return err->code;
    snprintf(r->scale, sizeof r->scale, "%s", s);
    free(s);
    if (read_str_attr(f, r->path, "/job", "sweep", &s, err)) return err->code;
    snprintf(r->sweep, sizeof r->sweep, "%s", s);
    free(s);
    double v[8];
    static const char *N[8] = {"n_train", "n_help", "n_harm", "pmp", "seed", "half", "help_frac",
                               "params"};
    for (int k = 0; k < 8; k++)
        if (job_num(f, r->path, N[k], &v[k], err)) return err->code;
    // counts whole and bounded, pmp 0/1, seed >= 0, half -1/0/1, help_frac a share
    static const double LO[8] = {1, 0, 0, 0, 0, -1, 0, 1}, HI[8] = {1e9, 1e9, 1e9, 1, 1e9, 1, 1, 1e12};
    for (int k = 0; k < 8; k++)
        if (!(v[k] >= LO[k] && v[k] <= HI[k]) || (k != 6 && v[k] != floor(v[k])))
            return hh_fail(err, HH_EINPUT, "%s: attribute %s on /job is %g; allowed: %s from %g "
                           "to %g", r->path, N[k], v[k], k == 6 ? "a share" : "a whole number",
                           LO[k], HI[k]);
    if (v[0] != v[1] + v[2])
        return hh_fail(err, HH_EINPUT, "%s: /job has n_train = %g but n_help + n_harm = %g; "
                       "allowed: n_train = n_help + n_harm", r->path, v[0], v[1] + v[2]);
    r->n_train = (int)v[0], r->n_help = (int)v[1], r->n_harm = (int)v[2];
    r->pmp = (int)v[3], r->seed = (int)v[4], r->half = (int)v[5];
    r->help_frac = v[6], r->nparams = v[7];
    if (r->nparams <= 0 || r->n_train <= 0)
        return hh_fail(err, HH_EINPUT, "%s: /job has params = %g, n_train = %d (expected > 0)",
                       r->path, r->nparams, r->n_train);
    return 0;
}

static int alloc_pairs(PMRec *r, int n, HHErr *err) {
    r->n = n;
    r->margin = calloc((size_t)n + 1, sizeof(double));
    r->smax = calloc((size_t)n + 1, sizeof(double));
    r->set = calloc((size_t)n + 1, 1);
    r->turn = calloc((size_t)n + 1, 1);
    r->gold = calloc((size_t)n + 1, 1);
    r->differs = malloc((size_t)n + 1);
    if (r->differs) memset(r->differs, -1, (size_t)n + 1);
    if (!r->margin || !r->smax || !r->set || !r->turn || !r->gold || !r->differs)
        return hh_fail(err, HH_EFAIL, "out of memory");
    return 0;
}

// eval/<set>/differs (every PM file since world v2); checked 0..3.
static int read_differs(hid_t f, PMRec *r, const char *sibling, int set, int at, HHErr *err) {
    char nm[80];
    snprintf(nm, sizeof nm, "%.*s/differs", (int)(strrchr(sibling, '/') - sibling), sibling);
    if (H5Lexists(f, nm, H5P_DEFAULT) <= 0)
        return hh_fail(err, HH_EINPUT, "%s: no dataset %s (a PM file written before world v2's "
                       "comparison tags; rerun 'hhsim run' on this run's params)", r->path, nm);
    hsize_t d = (hsize_t)r->n_set[set];
    int8_t *v = NULL;
    int rc = h5_read(f, r->path, nm, H5T_NATIVE_INT8, 1, &d, (void **)&v, err) ||
             h5_check_int(r->path, nm, v, H5_I8, (size_t)d, 0, 3, err);
    if (!rc) memcpy(r->differs + at, v, (size_t)d), r->has_differs = 1;
    free(v);
    return rc ? err->code : 0;
}

// Read /eval/<set>/... of one set into the pooled arrays from offset `at`.
static int read_set(hid_t f, PMRec *r, int set, int at, HHErr *err) {
    static const char *SN[2] = {"helpful", "harmless"};
    char nm[5][64];
    const char *F[5] = {"score_chosen", "score_rejected", "turn", "gold", NULL};
    double *sc = NULL, *sr = NULL;
    int8_t *tu = NULL, *go = NULL;
    hsize_t d = (hsize_t)r->n_set[set];
    for (int k = 0; k < 4; k++) snprintf(nm[k], sizeof nm[k], "eval/%s/%s", SN[set], F[k]);
    int rc = h5_read(f, r->path, nm[0], H5T_NATIVE_DOUBLE, 1, &d, (void **)&sc, err) ||
             h5_read(f, r->path, nm[1], H5T_NATIVE_DOUBLE, 1, &d, (void **)&sr, err) ||
             h5_read(f, r->path, nm[2], H5T_NATIVE_INT8, 1, &d, (void **)&tu, err) ||
             h5_read(f, r->path, nm[3], H5T_NATIVE_INT8, 1, &d, (void **)&go, err);
    size_t n = (size_t)r->n_set[set];
    if (!rc) rc = h5_check_int(r->path, nm[2], tu, H5_I8, n, 1, 127, err) ||
                  h5_check_int(r->path, nm[3], go, H5_I8, n, -1, 1, err);
    for (int i = 0; !rc && i < r->n_set[set]; i++) {
        if (!isfinite(sc[i]) || !isfinite(sr[i]) || fabs(sc[i]) > 1e30 || fabs(sr[i]) > 1e30) {
            rc = hh_fail(err, HH_EINPUT, "%s: PM score %g, %g at %s[%d]; allowed: finite, "
                         "|score| <= 1e30", r->path, sc[i], sr[i], nm[0], i);
            break;
        }
        r->margin[at + i] = sc[i] - sr[i];
        r->smax[at + i] = ((sc[i] > sr[i] ? sc[i] : sr[i]) - r->norm_mean) / r->norm_sd;
        r->set[at + i] = (int8_t)set;
        r->turn[at + i] = tu[i];
        r->gold[at + i] = go[i];
    }
    free(sc), free(sr), free(tu), free(go);
    if (!rc) rc = read_differs(f, r, nm[0], set, at, err);
    return rc ? err->code : 0;
}

static int read_norm(hid_t f, PMRec *r, HHErr *err) {
    hsize_t one = 1;
    double *m = NULL, *s = NULL;
    int rc = h5_read(f, r->path, "norm/mean", H5T_NATIVE_DOUBLE, 1, &one, (void **)&m, err) ||
             h5_read(f, r->path, "norm/sd", H5T_NATIVE_DOUBLE, 1, &one, (void **)&s, err);
    if (!rc) r->norm_mean = m[0], r->norm_sd = s[0];
    free(m), free(s);
    if (rc) return err->code;
    if (!(fabs(r->norm_mean) <= 1e30) || !(r->norm_sd > 1e-30 && r->norm_sd <= 1e30))
        return hh_fail(err, HH_EINPUT, "%s: /norm/mean = %g, /norm/sd = %g; allowed: finite, sd "
                       "in [1e-30, 1e30]", r->path, r->norm_mean, r->norm_sd);
    return 0;
}

static int load_pm(PMRec *r, const Params *run, HHErr *err) {
    hid_t f;
    if (h5in_open(r->path, "pm", &f, err)) return err->code;
    if (pipeline_file_current(run, r->path, f, err)) {
        H5Fclose(f);
        return err->code;
    }
    hsize_t three = 3;
    double *n3 = NULL, *a3 = NULL;
    int rc = read_job(f, r, err) || read_norm(f, r, err) ||
             h5_read(f, r->path, "eval/n", H5T_NATIVE_DOUBLE, 1, &three, (void **)&n3, err) ||
             h5_read(f, r->path, "eval/accuracy", H5T_NATIVE_DOUBLE, 1, &three, (void **)&a3, err);
    for (int k = 0; !rc && k < 3; k++) {
        int okacc = n3[k] > 0 ? a3[k] >= 0 && a3[k] <= 1 : isnan(a3[k]) || (a3[k] >= 0 && a3[k] <= 1);
        if (!(n3[k] >= 0 && n3[k] <= 1e8 && n3[k] == floor(n3[k])) || !okacc ||
            (k == 2 && n3[2] != n3[0] + n3[1]))
            rc = hh_fail(err, HH_EINPUT, "%s: eval/n[%d] = %g, eval/accuracy[%d] = %g; allowed: "
                         "whole counts to 1e8 (pooled = helpful + harmless), accuracies in [0, 1]",
                         r->path, k, n3[k], k, a3[k]);
    }
    if (!rc) {
        r->n_set[0] = (int)n3[0], r->n_set[1] = (int)n3[1];
        memcpy(r->acc_file, a3, sizeof r->acc_file);
        rc = alloc_pairs(r, r->n_set[0] + r->n_set[1], err) || read_set(f, r, 0, 0, err) ||
             read_set(f, r, 1, r->n_set[0], err);
    }
    free(n3), free(a3);
    H5Fclose(f);
    return rc ? err->code : 0;
}

// ---------------------------------------------------------------------------
// the run

static int cmp_rec(const void *a, const void *b) {
    const PMRec *x = a, *y = b;
#define CMP(f) if (x->f != y->f) return x->f < y->f ? -1 : 1
    CMP(nparams);
    CMP(n_train);
    CMP(help_frac);
    CMP(pmp);
    CMP(seed);
    CMP(half);
#undef CMP
    return strcmp(x->name, y->name);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void run_names_free(char **names, int n) {
    for (int k = 0; names && k < n; k++) free(names[k]);
    free(names);
}

int run_list_h5(const char *path, char ***names, int *n, int *exists, HHErr *err) {
    *n = 0;
    *names = NULL;
    DIR *dp = opendir(path);
    *exists = dp != NULL;
    if (!dp) return 0;
    int cap = 64, oom = 0;
    char **v = malloc(sizeof(char *) * (size_t)cap);
    struct dirent *e;
    while (v && !oom && (e = readdir(dp))) {
        size_t L = strlen(e->d_name);
        if (L < 4 || strcmp(e->d_name + L - 3, ".h5") || strstr(e->d_name, ".tmp.") ||
            strstr(e->d_name, ".ckpt."))
            continue;
        if (*n == cap) {
            char **nv = realloc(v, sizeof(char *) * (size_t)(cap *= 2));
            if (!nv) { oom = 1; break; }
            v = nv;
        }
        if (!(v[*n] = strdup(e->d_name))) oom = 1;
        else (*n)++;
    }
    closedir(dp);
    if (!v || oom) {
        run_names_free(v, *n);
        *n = 0;
        return hh_fail(err, HH_EFAIL, "out of memory");
    }
    qsort(v, (size_t)*n, sizeof(char *), cmp_str);
    *names = v;
    return 0;
}

// Sorted names of dir/pm/*.h5; none (or no directory) is an error.
static int list_pm(const RunData *rd, char ***names, int *n, HHErr *err) {
    char pd[1100];
    int exists;
    if (stage_run_path(rd->dir, "pm", pd, sizeof pd, err) || run_list_h5(pd, names, n, &exists, err))
        return err->code;
    if (!exists) return hh_fail(err, HH_EINPUT, "%s: no such directory (expected the preference "
                                "models of the run; run 'hhsim pm PARAMS -o %s' first)", pd, rd->dir);
    if (*n == 0) return hh_fail(err, HH_EINPUT, "%s: no PM files (*.h5); run 'hhsim pm PARAMS "
                                "-o %s' first", pd, rd->dir);
    return 0;
}

// Every PM must be evaluated on the same held-out pairs (compare with the first).
static int check_same_test(const RunData *rd, HHErr *err) {
    const PMRec *a = &rd->pm[0];
    for (int k = 1; k < rd->npm; k++) {
        const PMRec *b = &rd->pm[k];
        int same = a->n_set[0] == b->n_set[0] && a->n_set[1] == b->n_set[1] &&
                   !memcmp(a->gold, b->gold, (size_t)a->n) && !memcmp(a->turn, b->turn, (size_t)a->n) &&
                   a->has_differs == b->has_differs && !memcmp(a->differs, b->differs, (size_t)a->n);
        if (!same)
            return hh_fail(err, HH_EINPUT, "%s: held-out comparisons differ from those of %s "
                           "(PM files from different runs?)", b->path, a->path);
    }
    return 0;
}

int run_load(const char *dir, RunData *rd, HHErr *err) {
    memset(rd, 0, sizeof *rd);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return hh_fail(err, HH_EINPUT, "%s: no such run directory (expected runs/NAME written by "
                       "'hhsim world|pretrain|distill|pm')", dir);
    snprintf(rd->dir, sizeof rd->dir, "%s", dir);
    if (load_world(rd, err)) {
        run_free(rd);  // on failure nothing is left to free
        return err->code;
    }
    char **names = NULL;
    int n = 0, rc = list_pm(rd, &names, &n, err);
    if (!rc && !(rd->pm = calloc((size_t)n, sizeof *rd->pm))) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0; k < n && !rc; k++) {
        PMRec *r = &rd->pm[rd->npm++];
        snprintf(r->path, sizeof r->path, "%s/pm/%s", dir, names[k]);
        snprintf(r->name, sizeof r->name, "%.*s", (int)strlen(names[k]) - 3, names[k]);
        rc = load_pm(r, &rd->params, err);
    }
    run_names_free(names, n);
    if (!rc) rc = check_same_test(rd, err);
    if (rc) {
        run_free(rd);
        return rc;
    }
    qsort(rd->pm, (size_t)rd->npm, sizeof *rd->pm, cmp_rec);
    return 0;
}

void pmrec_free(PMRec *r) {
    free(r->margin), free(r->smax), free(r->set), free(r->turn), free(r->gold), free(r->differs);
    pm_sel_free(r);
    r->margin = r->smax = NULL;
    r->set = r->turn = r->gold = r->differs = NULL;
}

void run_free(RunData *rd) {
    for (int k = 0; k < rd->npm; k++) pmrec_free(&rd->pm[k]);
    free(rd->pm);
    free(rd->params_text);
    memset(rd, 0, sizeof *rd);
}

int pmrec_init(PMRec *r, const char *scale, double nparams, int n_train, double help_frac,
               int pmp, int seed, const char *sweep, int n, int n_help, const double *margin,
               const double *smax, const int8_t *turn, const int8_t *gold, HHErr *err) {
    memset(r, 0, sizeof *r);
    snprintf(r->scale, sizeof r->scale, "%s", scale);
    snprintf(r->sweep, sizeof r->sweep, "%s", sweep);
    snprintf(r->name, sizeof r->name, "%s_n%d_h%03d_pmp%d_s%d", scale, n_train,
             (int)lround(help_frac * 100), pmp, seed);
    r->nparams = nparams, r->n_train = n_train, r->help_frac = help_frac;
    r->pmp = pmp, r->seed = seed, r->half = -1;
    r->n_set[0] = n_help, r->n_set[1] = n - n_help;
    r->norm_mean = 0, r->norm_sd = 1;
    if (alloc_pairs(r, n, err)) return err->code;
    for (int i = 0; i < n; i++) {
        r->margin[i] = margin[i];
        r->smax[i] = smax ? smax[i] : 0;
        r->set[i] = i < n_help ? PM_HELPFUL : PM_HARMLESS;
        r->turn[i] = turn ? turn[i] : 1;
        r->gold[i] = gold ? gold[i] : 1;
    }
    return 0;
}

int pmrec_same_config(const PMRec *a, const PMRec *b) {
    return !strcmp(a->scale, b->scale) && a->n_train == b->n_train &&
           fabs(a->help_frac - b->help_frac) < 1e-9 && a->pmp == b->pmp && a->half == b->half;
}
