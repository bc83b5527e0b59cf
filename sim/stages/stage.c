// stage.c - see stage.h
#include "stage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5io.h"

// ---------------------------------------------------------------------------
// job keys

void jobkey_init(JobKey *k) {
    memset(k, 0, sizeof *k);
    k->n_train = k->pmp = k->seed = k->half = k->round = -1;
    k->help_frac = NAN;
}

int jobkey_stem(const JobKey *k, char *buf, size_t n, HHErr *err) {
    size_t m = 0;
    buf[0] = '\0';
#define PART(...)                                                                       \
    do {                                                                                \
        int w_ = snprintf(buf + m, n - m, "%s", m ? "_" : "");                          \
        if (w_ >= 0 && (size_t)w_ < n - m) m += (size_t)w_;                             \
        w_ = snprintf(buf + m, n - m, __VA_ARGS__);                                     \
        if (w_ < 0 || (size_t)w_ >= n - m)                                              \
            return hh_fail(err, HH_EINPUT, "job name longer than %zu characters", n - 1); \
        m += (size_t)w_;                                                                \
    } while (0)
    if (k->scale[0]) PART("%s", k->scale);
    if (k->pm_scale[0]) PART("%s", k->pm_scale);
    if (k->variant[0]) PART("%s", k->variant);
    if (k->n_train >= 0) PART("n%d", k->n_train);
    if (!isnan(k->help_frac)) PART("h%03d", (int)lround(100 * k->help_frac));
    if (k->pmp >= 0) PART("pmp%d", k->pmp);
    if (k->seed >= 0) PART("s%d", k->seed);
    if (k->half >= 0) PART("half%d", k->half);
    if (k->round >= 0) PART("r%d", k->round);
#undef PART
    return 0;
}

// Names of the key's fields as /job attributes.
static const char *const STR_NAMES[3] = {"scale", "pm_scale", "variant"};
static const char *const INT_NAMES[5] = {"n_train", "pmp", "seed", "half", "round"};

static char *str_field(JobKey *k, int i) {
    return i == 0 ? k->scale : i == 1 ? k->pm_scale : k->variant;
}
static size_t str_size(int i) { return i == 2 ? sizeof ((JobKey *)0)->variant : HH_NAME_LEN; }
static int *int_field(JobKey *k, int i) {
    int *f[5] = {&k->n_train, &k->pmp, &k->seed, &k->half, &k->round};
    return f[i];
}

int jobkey_write(hid_t f, const JobKey *k, HHErr *err) {
    JobKey c = *k;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    htri_t has = H5Lexists(f, "job", H5P_DEFAULT);
    if (has <= 0) {
        hid_t g = h5_group(f, "job", err);
        if (g < 0) return HH_EFAIL;
        H5Gclose(g);
    }
    int rc = 0;
    for (int i = 0; !rc && i < 3; i++)
        if (str_field(&c, i)[0] && H5Aexists_by_name(f, "job", STR_NAMES[i], H5P_DEFAULT) <= 0)
            rc = h5_attr_str(f, "job", STR_NAMES[i], str_field(&c, i), err);
    for (int i = 0; !rc && i < 5; i++)
        if (*int_field(&c, i) >= 0 && H5Aexists_by_name(f, "job", INT_NAMES[i], H5P_DEFAULT) <= 0)
            rc = h5_attr_int(f, "job", INT_NAMES[i], *int_field(&c, i), err);
    if (!rc && !isnan(c.help_frac) && H5Aexists_by_name(f, "job", "help_frac", H5P_DEFAULT) <= 0)
        rc = h5_attr_double(f, "job", "help_frac", c.help_frac, err);
    return rc;
}

int jobkey_read(hid_t f, const char *path, JobKey *k, HHErr *err) {
    jobkey_init(k);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Lexists(f, "job", H5P_DEFAULT) <= 0) return 0;
    for (int i = 0; i < 3; i++) {
        if (H5Aexists_by_name(f, "job", STR_NAMES[i], H5P_DEFAULT) <= 0) continue;
        char *s = h5_read_attr_str(f, "job", STR_NAMES[i]);
        if (!s || strlen(s) >= str_size(i)) {
            free(s);
            return hh_fail(err, HH_EINPUT, "%s: attribute /job %s is not a string of at most %zu "
                           "characters", path, STR_NAMES[i], str_size(i) - 1);
        }
        snprintf(str_field(k, i), str_size(i), "%s", s);
        free(s);
    }
    for (int i = 0; i < 5; i++) {
        if (H5Aexists_by_name(f, "job", INT_NAMES[i], H5P_DEFAULT) <= 0) continue;
        double v;
        if (h5_read_attr_double(f, "job", INT_NAMES[i], &v, err)) return HH_EINPUT;
        if (!(v >= -1 && v <= 1e9) || v != floor(v))  // -1: unset (pm files write half = -1)
            return hh_fail(err, HH_EINPUT, "%s: attribute /job %s is %g; allowed: a whole number "
                           "from -1 (none) to 1e9", path, INT_NAMES[i], v);
        *int_field(k, i) = (int)v;
    }
    if (H5Aexists_by_name(f, "job", "help_frac", H5P_DEFAULT) > 0) {
        if (h5_read_attr_double(f, "job", "help_frac", &k->help_frac, err)) return HH_EINPUT;
        if (!(k->help_frac >= 0 && k->help_frac <= 1))
            return hh_fail(err, HH_EINPUT, "%s: attribute /job help_frac is %g; allowed: 0 to 1",
                           path, k->help_frac);
    }
    return 0;
}

// ---------------------------------------------------------------------------
// jobs

int job_path(const StageDef *st, const JobKey *k, const char *dir, char *buf, size_t n,
             HHErr *err) {
    char stem[160];
    if (jobkey_stem(k, stem, sizeof stem, err)) return HH_EINPUT;
    int w = st->subdir ? snprintf(buf, n, "%s/%s/%s.h5", dir, st->subdir, stem)
                       : snprintf(buf, n, "%s/%s.h5", dir, st->name);
    if (w < 0 || (size_t)w >= n)
        return hh_fail(err, HH_EINPUT, "%s: path of job %s/%s longer than %zu characters", dir,
                       st->name, stem, n - 1);
    return 0;
}

void joblist_init(JobList *l, const char *dir, const StageDef *world) {
    memset(l, 0, sizeof *l);
    l->dir = dir;
    l->world = world;
}

void joblist_free(JobList *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i].in);
    for (int i = 0; i < l->n_owned; i++) free(l->owned[i]);
    free(l->v);
    free(l->owned);
    memset(l, 0, sizeof *l);
}

int job_add_input(JobList *l, Job *j, const StageDef *st, const JobKey *k, HHErr *err) {
    JobInput *in = realloc(j->in, sizeof *in * ((size_t)j->n_in + 1));
    if (!in) return hh_fail(err, HH_EFAIL, "out of memory");
    j->in = in;
    in += j->n_in;
    in->stage = st;
    in->key = *k;
    if (job_path(st, k, l->dir, in->path, sizeof in->path, err)) return HH_EINPUT;
    j->n_in++;
    return 0;
}

Job *joblist_add(JobList *l, const StageDef *st, const JobKey *k, double cost, const void *spec,
                 int own, HHErr *err) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        Job *v = realloc(l->v, sizeof *v * (size_t)cap);
        void **o = realloc(l->owned, sizeof *o * (size_t)cap);
        if (v) l->v = v;
        if (o) l->owned = o;
        if (!v || !o) {
            if (own) free((void *)spec);
            hh_fail(err, HH_EFAIL, "out of memory");
            return NULL;
        }
        l->cap = cap;
    }
    if (own) l->owned[l->n_owned++] = (void *)spec;
    Job *j = &l->v[l->n];
    memset(j, 0, sizeof *j);
    j->stage = st;
    j->key = *k;
    j->cost = cost;
    j->spec = spec;
    char stem[128];
    if (jobkey_stem(k, stem, sizeof stem, err) ||
        job_path(st, k, l->dir, j->out, sizeof j->out, err))
        return NULL;
    if (st->subdir) snprintf(j->name, sizeof j->name, "%.24s/%s", st->subdir, stem);
    else snprintf(j->name, sizeof j->name, "%.24s", st->name);
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].out, j->out)) {  // two jobs, one file: scale names joined by '_' collide
            hh_fail(err, HH_EINPUT, "jobs of stage %s: two different jobs would both write %s "
                    "(scale or variant names whose '_'-joined forms coincide, e.g. 'a' + 'b_c' "
                    "and 'a_b' + 'c'); rename a scale in [model] scale_names", st->name, j->out);
            return NULL;
        }
    l->n++;
    if (l->world && st != l->world) {
        JobKey none;
        jobkey_init(&none);
        if (job_add_input(l, j, l->world, &none, err)) return NULL;
    }
    return j;
}

const char *job_input(const Job *j, const char *name) {
    for (int i = 0; i < j->n_in; i++)
        if (!strcmp(j->in[i].stage->name, name)) return j->in[i].path;
    return NULL;
}

const char *job_input_key(const Job *j, const char *name, const JobKey *k) {
    char a[160], b[160];
    if (jobkey_stem(k, a, sizeof a, NULL)) return NULL;
    for (int i = 0; i < j->n_in; i++)
        if (!strcmp(j->in[i].stage->name, name) && !jobkey_stem(&j->in[i].key, b, sizeof b, NULL) &&
            !strcmp(a, b))
            return j->in[i].path;
    return NULL;
}

void job_ckpt_path(const Job *j, char *buf, size_t n) {
    size_t L = strlen(j->out);
    int stem = L > 3 && !strcmp(j->out + L - 3, ".h5") ? (int)(L - 3) : (int)L;
    snprintf(buf, n, "%.*s.ckpt.h5", stem, j->out);
}

int job_mkdir(const Job *j, HHErr *err) {
    char d[1024];
    snprintf(d, sizeof d, "%s", j->out);
    char *s = strrchr(d, '/');
    if (!s) return 0;
    *s = '\0';
    return hh_mkdirs(d, err);
}

// ---------------------------------------------------------------------------
// the table

void stages_model_kinds(const StageDef *const *t, char *buf, size_t n) {
    size_t m = 0;
    buf[0] = '\0';
    for (int i = 0; t[i]; i++)
        if (t[i]->has_model && m < n)
            m += (size_t)snprintf(buf + m, n - m, "%s%s", m ? "," : "", t[i]->kind);
}

int stages_add_keys(const StageDef *const *t, HHErr *err) {
    for (int i = 0; t[i]; i++)
        if (t[i]->n_keys && params_add_keys(t[i]->keys, t[i]->n_keys))
            return hh_fail(err, HH_EFAIL, "stage %s: its params keys do not fit (at most %d "
                           "int or double values at PARAMS_EXT offsets, one key per slot)", t[i]->name, HH_MAX_EXT);
    return 0;
}

const StageDef *stage_find(const StageDef *const *t, const char *name) {
    for (int i = 0; t[i]; i++)
        if (!strcmp(t[i]->name, name)) return t[i];
    return NULL;
}

void stages_names(const StageDef *const *t, char *buf, size_t n) {
    size_t m = 0;
    buf[0] = '\0';
    for (int i = 0; t[i] && m < n; i++) {
        int w = snprintf(buf + m, n - m, "%s%s", i ? ", " : "", t[i]->name);
        if (w < 0) break;
        m += (size_t)w;
    }
}

int stage_run_path(const char *run, const char *name, char *buf, size_t n, HHErr *err) {
    const StageDef *st = stage_find(stages_default(), name);
    if (!st) return hh_fail(err, HH_EFAIL, "stage_run_path: no stage '%s'", name);
    int w = st->subdir ? snprintf(buf, n, "%s/%s", run, st->subdir)
                       : snprintf(buf, n, "%s/%s.h5", run, st->name);
    if (w < 0 || (size_t)w >= n) return hh_fail(err, HH_EINPUT, "%s: path too long", run);
    return 0;
}
