// h5io.c - see h5io.h
#include "h5io.h"
#include "schema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>
#include <gsl/gsl_version.h>
#include <hdf5_hl.h>

#include "version.h"

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int hh_mkdirs(const char *dir, HHErr *err) {
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return hh_fail(err, HH_EINPUT, "%s: path too long", dir);
    for (char *s = buf + 1;; s++) {
        char c = *s;
        if (c == '/' || c == '\0') {
            *s = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return hh_fail(err, HH_EFAIL, "%s: cannot create directory: %s", buf,
                               strerror(errno));
            struct stat st;
            if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
                return hh_fail(err, HH_EINPUT, "%s: exists and is not a directory", buf);
            *s = c;
        }
        if (c == '\0') break;
    }
    return 0;
}

// ---------------------------------------------------------------------------
// attributes

int h5_attr_str(hid_t loc, const char *obj, const char *name, const char *value, HHErr *err) {
    if (H5LTset_attribute_string(loc, obj, name, value) < 0)
        return hh_fail(err, HH_EFAIL, "HDF5: cannot write attribute %s on %s", name, obj);
    return 0;
}

int h5_attr_double(hid_t loc, const char *obj, const char *name, double value, HHErr *err) {
    if (H5LTset_attribute_double(loc, obj, name, &value, 1) < 0)
        return hh_fail(err, HH_EFAIL, "HDF5: cannot write attribute %s on %s", name, obj);
    return 0;
}

int h5_attr_int(hid_t loc, const char *obj, const char *name, int value, HHErr *err) {
    if (H5LTset_attribute_int(loc, obj, name, &value, 1) < 0)
        return hh_fail(err, HH_EFAIL, "HDF5: cannot write attribute %s on %s", name, obj);
    return 0;
}

// ---------------------------------------------------------------------------
// writing

static int provenance(H5Out *o, const char *kind, const Params *p, HHErr *err) {
    char *ptext = params_to_text(p, NULL);
    if (!ptext) return hh_fail(err, HH_EFAIL, "out of memory");
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    char hv[64], host[256] = "unknown", created[64];
    snprintf(hv, sizeof hv, "%u.%u.%u", maj, min, rel);
    gethostname(host, sizeof host - 1);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    unsigned long long seed = (unsigned long long)p->seed;
    char seedtxt[32];
    snprintf(seedtxt, sizeof seedtxt, "%llu", seed);
    int rc = h5_attr_str(o->file, "/", "hhsim_kind", kind, err) ||
             (schema_version(kind) > 0 &&
              h5_attr_int(o->file, "/", "schema_version", schema_version(kind), err)) ||
             h5_attr_str(o->file, "/", "hhsim_version", hh_version(), err) ||
             h5_attr_str(o->file, "/", "git_commit", hh_git_commit(), err) ||
             h5_attr_str(o->file, "/", "sim_source_hash", hh_sim_hash(), err) ||
             h5_attr_int(o->file, "/", "git_dirty", hh_git_dirty(), err) ||
             h5_attr_str(o->file, "/", "params", ptext, err) ||
             h5_attr_str(o->file, "/", "seed", seedtxt, err) ||
             h5_attr_str(o->file, "/", "gsl_version", GSL_VERSION, err) ||
             h5_attr_str(o->file, "/", "hdf5_version", hv, err) ||
             h5_attr_str(o->file, "/", "openblas_config", openblas_get_config(), err) ||
             h5_attr_int(o->file, "/", "threads", p->threads, err) ||
             h5_attr_str(o->file, "/", "host", host, err) ||
             h5_attr_str(o->file, "/", "created", created, err);
    free(ptext);
    return rc ? HH_EFAIL : 0;
}

static double job_t0 = -1.0;

void h5_job_start(void) { job_t0 = now_mono(); }

void h5_job_end(void) { job_t0 = -1.0; }

int h5out_create(H5Out *o, const char *path, const char *kind, const Params *p, HHErr *err) {
    memset(o, 0, sizeof *o);
    o->file = H5I_INVALID_HID;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (snprintf(o->path, sizeof o->path, "%s", path) >= (int)sizeof o->path)
        return hh_fail(err, HH_EINPUT, "%s: path too long", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    o->t0 = job_t0 >= 0.0 ? job_t0 : now_mono();
    o->file = H5Fcreate(o->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (o->file < 0) return hh_fail(err, HH_EFAIL, "%s: cannot create file", o->tmp);
    if (provenance(o, kind, p, err)) {
        h5out_abort(o);
        return HH_EFAIL;
    }
    return 0;
}

int h5out_commit(H5Out *o, HHErr *err) {
    double wall = now_mono() - o->t0;
    if (h5_attr_double(o->file, "/", "wall_seconds", wall, err)) {
        h5out_abort(o);
        return HH_EFAIL;
    }
    herr_t st = H5Fclose(o->file);
    o->file = H5I_INVALID_HID;
    if (st < 0) {
        unlink(o->tmp);
        return hh_fail(err, HH_EFAIL, "%s: cannot close file", o->tmp);
    }
    if (rename(o->tmp, o->path) != 0) {
        int e = errno;
        unlink(o->tmp);
        return hh_fail(err, HH_EFAIL, "%s: cannot rename into place: %s", o->path, strerror(e));
    }
    return 0;
}

void h5out_abort(H5Out *o) {
    if (o->file >= 0) H5Fclose(o->file);
    o->file = H5I_INVALID_HID;
    if (o->tmp[0]) unlink(o->tmp);
}

hid_t h5_group(hid_t loc, const char *name, HHErr *err) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(loc, name, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    if (g < 0) hh_fail(err, HH_EFAIL, "HDF5: cannot create group %s", name);
    return g;
}

int h5_write(hid_t loc, const char *name, hid_t memtype, int rank, const hsize_t *dims,
             const void *data, const char *units, const char *desc, HHErr *err) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);  // no timestamps: identical runs, identical bytes
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, memtype, space, lcpl, dcpl, H5P_DEFAULT);
    herr_t st = d < 0 ? -1 : H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (d >= 0) H5Dclose(d);
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Pclose(lcpl);
    if (st < 0) return hh_fail(err, HH_EFAIL, "HDF5: cannot write dataset %s", name);
    if (h5_attr_str(loc, name, "units", units, err) ||
        h5_attr_str(loc, name, "description", desc, err))
        return HH_EFAIL;
    return 0;
}

// ---------------------------------------------------------------------------
// reading

// 1 when name is one of the comma-separated names of list.
static int name_in_list(const char *name, const char *list) {
    size_t n = strlen(name);
    for (const char *s = list; *s;) {
        size_t k = strcspn(s, ",");
        if (k == n && !strncmp(s, name, n)) return 1;
        s += k + (s[k] == ',');
    }
    return 0;
}

int h5in_open(const char *path, const char *kind, hid_t *file, HHErr *err) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    *file = H5I_INVALID_HID;
    struct stat st;
    if (stat(path, &st) != 0)
        return hh_fail(err, HH_EINPUT, "%s: no such file (expected an hhsim %s file)", path, kind);
    if (H5Fis_hdf5(path) <= 0)
        return hh_fail(err, HH_EINPUT, "%s: not an HDF5 file, or truncated (expected an hhsim %s "
                       "file; rerun the stage that writes it)", path, kind);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return hh_fail(err, HH_EINPUT, "%s: cannot open as HDF5 (truncated or damaged?)", path);
    char got[64] = "";
    hsize_t dims;
    H5T_class_t cls;
    size_t sz = 0;
    if (H5LTget_attribute_info(f, "/", "hhsim_kind", &dims, &cls, &sz) < 0 || sz >= sizeof got ||
        H5LTget_attribute_string(f, "/", "hhsim_kind", got) < 0) {
        H5Fclose(f);
        return hh_fail(err, HH_EINPUT, "%s: not an hhsim file (no hhsim_kind attribute); "
                       "expected an hhsim %s file", path, kind);
    }
    if (!name_in_list(got, kind)) {
        H5Fclose(f);
        return hh_fail(err, HH_EINPUT, "%s: is an hhsim '%s' file; expected a '%s' file", path,
                       got, kind);
    }
    int want = schema_version(got), have = -1;
    if (want > 0 && (H5LTget_attribute_info(f, "/", "schema_version", &dims, &cls, &sz) < 0 ||
                     cls != H5T_INTEGER || dims != 1 ||
                     H5LTget_attribute_int(f, "/", "schema_version", &have) < 0 || have != want)) {
        H5Fclose(f);
        if (have < 0)
            return hh_fail(err, HH_EINPUT, "%s: no schema_version attribute (written before "
                           "schemas were versioned); rerun the stage that writes it", path);
        return hh_fail(err, HH_EINPUT, "%s: schema version %d of a '%s' file; this build reads "
                       "version %d (rerun the stage that writes it)", path, have, got, want);
    }
    *file = f;
    return 0;
}

int h5_read(hid_t loc, const char *file, const char *name, hid_t memtype, int rank, hsize_t *dims,
            void **data, HHErr *err) {
    *data = NULL;
    if (H5LTfind_dataset(loc, name) <= 0 && H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return hh_fail(err, HH_EINPUT, "%s: missing dataset %s", file, name);
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return hh_fail(err, HH_EINPUT, "%s: cannot open dataset %s", file, name);
    hid_t sp = H5Dget_space(d);
    int r = H5Sget_simple_extent_ndims(sp);
    hsize_t got[8] = {0};
    if (r == rank) H5Sget_simple_extent_dims(sp, got, NULL);
    H5Sclose(sp);
    size_t n = 1;
    for (int i = 0; i < rank && r == rank; i++) {
        if (dims[i] && dims[i] != got[i]) r = -1;
        n *= got[i];
    }
    if (r != rank) {
        H5Dclose(d);
        return hh_fail(err, HH_EINPUT, "%s: dataset %s has an unexpected shape (rank %d, "
                       "expected rank %d with the file's own sizes)", file, name,
                       r < 0 ? rank : r, rank);
    }
    void *buf = malloc(n ? n * H5Tget_size(memtype) : 1);
    if (!buf) { H5Dclose(d); return hh_fail(err, HH_EFAIL, "out of memory reading %s", name); }
    herr_t st = n ? H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    H5Dclose(d);
    if (st < 0) {
        free(buf);
        return hh_fail(err, HH_EINPUT, "%s: cannot read dataset %s (damaged file?)", file, name);
    }
    for (int i = 0; i < rank; i++) dims[i] = got[i];
    *data = buf;
    return 0;
}

int h5_read_attr_double(hid_t loc, const char *obj, const char *name, double *v, HHErr *err) {
    if (H5LTget_attribute_double(loc, obj, name, v) < 0)
        return hh_fail(err, HH_EINPUT, "missing attribute %s on %s", name, obj);
    return 0;
}

char *h5_read_attr_str(hid_t loc, const char *obj, const char *name) {
    hsize_t dims;
    H5T_class_t cls;
    size_t sz = 0;
    if (H5LTget_attribute_info(loc, obj, name, &dims, &cls, &sz) < 0 || cls != H5T_STRING)
        return NULL;
    char *s = malloc(sz + 1);
    if (s && H5LTget_attribute_string(loc, obj, name, s) < 0) {
        free(s);
        s = NULL;
    }
    return s;
}

int h5_same_params(hid_t file, const Params *p) {
    char *mine = params_to_text(p, NULL), *theirs = h5_read_attr_str(file, "/", "params");
    int same = mine && theirs && strcmp(mine, theirs) == 0;
    free(mine);
    free(theirs);
    return same;
}

// ---------------------------------------------------------------------------
// inspect

static void print_str_attr(hid_t loc, const char *obj, const char *name, FILE *out) {
    hsize_t dims;
    H5T_class_t cls;
    size_t sz;
    if (H5LTget_attribute_info(loc, obj, name, &dims, &cls, &sz) < 0) return;
    if (cls == H5T_STRING) {
        char *s = malloc(sz + 1);
        if (s && H5LTget_attribute_string(loc, obj, name, s) >= 0) fprintf(out, "%s", s);
        free(s);
    } else if (cls == H5T_INTEGER) {
        int v;
        if (H5LTget_attribute_int(loc, obj, name, &v) >= 0) fprintf(out, "%d", v);
    } else if (cls == H5T_FLOAT) {
        double v;
        if (H5LTget_attribute_double(loc, obj, name, &v) >= 0) fprintf(out, "%g", v);
    }
}

static herr_t visit(hid_t o, const char *name, const H5O_info_t *info, void *data) {
    FILE *out = data;
    if (info->type != H5O_TYPE_DATASET) return 0;
    hid_t d = H5Dopen2(o, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d), ty = H5Dget_type(d);
    hsize_t dims[8];
    int r = H5Sget_simple_extent_ndims(sp);
    if (r > 8) r = 8;
    H5Sget_simple_extent_dims(sp, dims, NULL);
    char shape[128] = "(";
    for (int i = 0; i < r; i++) {
        size_t k = strlen(shape);
        snprintf(shape + k, sizeof shape - k, "%s%llu", i ? "," : "", (unsigned long long)dims[i]);
    }
    strcat(shape, ")");
    const char *tn = H5Tget_class(ty) == H5T_FLOAT ? "float"
                     : H5Tget_class(ty) == H5T_INTEGER ? "int" : "compound";
    fprintf(out, "  /%-40s %-5s%zu %-14s ", name, tn, 8 * H5Tget_size(ty), shape);
    print_str_attr(o, name, "units", out);
    fprintf(out, " | ");
    print_str_attr(o, name, "description", out);
    fprintf(out, "\n");
    H5Tclose(ty);
    H5Sclose(sp);
    H5Dclose(d);
    return 0;
}

int h5_inspect(const char *path, FILE *out, HHErr *err) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(path) <= 0)
        return hh_fail(err, HH_EINPUT, "%s: missing, truncated or not an HDF5 file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return hh_fail(err, HH_EINPUT, "%s: cannot open as HDF5", path);
    static const char *KEYS[] = {"hhsim_kind", "hhsim_version", "git_commit", "git_dirty",
                                 "sim_source_hash", "seed",
                                 "gsl_version", "hdf5_version", "openblas_config", "threads",
                                 "host", "created", "wall_seconds"};
    fprintf(out, "%s\nprovenance:\n", path);
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
        fprintf(out, "  %-16s ", KEYS[i]);
        print_str_attr(f, "/", KEYS[i], out);
        fprintf(out, "\n");
    }
    fprintf(out, "params: (`h5dump -a /params %s` for the full text)\ndatasets:\n", path);
    herr_t st = H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, visit, out, H5O_INFO_BASIC);
    H5Fclose(f);
    if (st < 0) return hh_fail(err, HH_EINPUT, "%s: cannot list datasets", path);
    return 0;
}
