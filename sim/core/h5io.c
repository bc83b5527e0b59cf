// h5io.c - see h5io.h
#include "h5io.h"
#include "schema.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
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

static const char *obj_file(hid_t loc, char *buf, size_t n);

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

// ---------------------------------------------------------------------------
// content hashes: FNV-1a 64 over each dataset's path and bytes, in the order
// they are written (deterministic, so identical runs give identical hashes).

enum { N_OPEN = 16, MAX_INPUTS = 64 };
static struct { char tmp[1100]; uint64_t hash; int used; } OPEN[N_OPEN];  // files being written
static char JOB_IN[MAX_INPUTS][1024];  // the running job's inputs (h5_job_inputs)
static int n_job_in;

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static void hash_written(hid_t loc, hid_t d, hid_t memtype, size_t count, const void *data) {
    char fname[1100], oname[512];
    if (H5Fget_name(loc, fname, sizeof fname) <= 0) return;
    for (int k = 0; k < N_OPEN; k++)
        if (OPEN[k].used && !strcmp(OPEN[k].tmp, fname)) {
            ssize_t L = H5Iget_name(d, oname, sizeof oname);
            OPEN[k].hash = fnv(OPEN[k].hash, oname, L > 0 ? (size_t)L : 0);
            OPEN[k].hash = fnv(OPEN[k].hash, data, count * H5Tget_size(memtype));
            return;
        }
}

static int open_slot(const char *tmp) {
    for (int k = 0; k < N_OPEN; k++)
        if (!OPEN[k].used) {
            snprintf(OPEN[k].tmp, sizeof OPEN[k].tmp, "%s", tmp);
            OPEN[k].hash = 0xcbf29ce484222325ULL;
            OPEN[k].used = 1;
            return k;
        }
    return -1;
}

static int slot_of(const char *tmp) {
    for (int k = 0; k < N_OPEN; k++)
        if (OPEN[k].used && !strcmp(OPEN[k].tmp, tmp)) return k;
    return -1;
}

void h5_job_inputs(const char *const *paths, int n) {
    n_job_in = 0;
    for (int i = 0; i < n && n_job_in < MAX_INPUTS; i++)
        snprintf(JOB_IN[n_job_in++], sizeof JOB_IN[0], "%s", paths[i]);
}

// The content_hash attribute of the file at path ("" when unreadable).
static void content_hash_of(const char *path, char *out, size_t n) {
    out[0] = '\0';
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || H5Fis_hdf5(path) <= 0) return;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return;
    char *h = NULL;
    HHErr e;
    if (h5_get_attr_str(f, "/", "content_hash", 32, &h, &e) == 0) snprintf(out, n, "%s", h);
    free(h);
    H5Fclose(f);
}

// path relative to the folder of `from` (both as given: a/b/x.h5, a/y.h5 -> ../y.h5).
static void relative_to(const char *from, const char *path, char *out, size_t n) {
    size_t common = 0;
    for (size_t i = 0; from[i] && from[i] == path[i]; i++)
        if (from[i] == '/') common = i + 1;
    size_t m = 0;
    out[0] = '\0';
    for (const char *s = from + common; *s; s++)
        if (*s == '/' && m + 4 < n) m += (size_t)snprintf(out + m, n - m, "../");
    snprintf(out + m, n - m, "%s", path + common);
}

// "RELPATH HASH\n" per input of the running job.
static char *inputs_text(const char *out) {
    size_t cap = (size_t)n_job_in * 1200 + 1;
    char *t = malloc(cap);
    if (!t) return NULL;
    size_t m = 0;
    t[0] = '\0';
    for (int i = 0; i < n_job_in; i++) {
        char rel[1100], h[40];
        relative_to(out, JOB_IN[i], rel, sizeof rel);
        content_hash_of(JOB_IN[i], h, sizeof h);
        m += (size_t)snprintf(t + m, cap - m, "%s %s\n", rel, *h ? h : "-");
    }
    return t;
}

int h5_check_inputs(hid_t f, const char *path, HHErr *err) {
    char *text = NULL;
    HHErr e;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Aexists(f, "inputs") <= 0) return 0;
    if (h5_get_attr_str(f, "/", "inputs", (size_t)MAX_INPUTS * 1200, &text, &e))
        return hh_fail(err, HH_EINPUT, "%s: attribute inputs on / is unreadable", path);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) slash[1] = '\0';
    else dir[0] = '\0';
    int rc = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strrchr(line, ' ');
        if (!sp) { rc = hh_fail(err, HH_EINPUT, "%s: attribute inputs: bad line '%.80s'", path, line); break; }
        *sp = '\0';
        char in[2300], now[40];
        snprintf(in, sizeof in, "%s%s", dir, line);
        content_hash_of(in, now, sizeof now);
        if (!strcmp(sp + 1, "-") || !strcmp(now, sp + 1)) continue;
        rc = !*now ? hh_fail(err, HH_EINPUT, "%s: was made from %s, which is missing or unreadable "
                             "now; rerun hhsim run", path, in)
                   : hh_fail(err, HH_EINPUT, "%s: was made from %s with content hash %s, but that "
                             "file now holds %s (rewritten by another run?); rerun hhsim run",
                             path, in, sp + 1, now);
    }
    free(text);
    return rc;
}

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
    char *in = n_job_in ? inputs_text(path) : NULL;
    if (provenance(o, kind, p, err) || (n_job_in && !in) ||
        (in && h5_attr_str(o->file, "/", "inputs", in, err)) || open_slot(o->tmp) < 0) {
        free(in);
        h5out_abort(o);
        if (!err || !err->msg[0]) hh_fail(err, HH_EFAIL, "%s: cannot write provenance", o->tmp);
        return HH_EFAIL;
    }
    free(in);
    return 0;
}

int h5out_commit(H5Out *o, HHErr *err) {
    double wall = now_mono() - o->t0;
    int k = slot_of(o->tmp);
    char hx[24] = "";
    if (k >= 0) snprintf(hx, sizeof hx, "%016llx", (unsigned long long)OPEN[k].hash), OPEN[k].used = 0;
    if (h5_attr_double(o->file, "/", "wall_seconds", wall, err) ||
        (k >= 0 && h5_attr_str(o->file, "/", "content_hash", hx, err))) {
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
    int k = o->tmp[0] ? slot_of(o->tmp) : -1;
    if (k >= 0) OPEN[k].used = 0;
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

herr_t h5_write_raw(hid_t loc, const char *name, hid_t memtype, int rank, const hsize_t *dims,
                    const void *data) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);  // no timestamps: identical runs, identical bytes
    size_t bytes = H5Tget_size(memtype);
    for (int k = 0; k < rank; k++) bytes = dims[k] ? bytes * dims[k] : 0;
    if (bytes > 0 && bytes < ((size_t)1 << 31)) {  // one chunk with a Fletcher32 checksum
        H5Pset_chunk(dcpl, rank, dims);
        H5Pset_fletcher32(dcpl);
    }
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, memtype, space, lcpl, dcpl, H5P_DEFAULT);
    herr_t st = d < 0 ? -1 : H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (st >= 0) {
        size_t count = 1;
        for (int k = 0; k < rank; k++) count *= dims[k];
        hash_written(loc, d, memtype, count, data);
    }
    if (d >= 0 && H5Dclose(d) < 0) st = -1;
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Pclose(lcpl);
    return st;
}

int h5_write(hid_t loc, const char *name, hid_t memtype, int rank, const hsize_t *dims,
             const void *data, const char *units, const char *desc, HHErr *err) {
    herr_t st = h5_write_raw(loc, name, memtype, rank, dims, data);
    if (st < 0) {
        char fb[1024];
        return hh_fail(err, HH_EFAIL, "%s: cannot write dataset %s (disk full or file size "
                       "limit?)", obj_file(loc, fb, sizeof fb), name);
    }
    if (h5_attr_str(loc, name, "units", units, err) ||
        h5_attr_str(loc, name, "description", desc, err))
        return HH_EFAIL;
    return 0;
}
// ---------------------------------------------------------------------------
// reading: every value read from a file is checked before use (rank, dims,
// type class and size, string length and termination); see h5io.h.

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

// HDF5's own atexit hook flushes and closes files left open; after a failed
// write (full disk, `ulimit -f`) that flush fails again and HDF5 1.10 crashes
// in H5F__close_cb. Every file hhsim writes is closed explicitly (committed
// or aborted), so the hook is not needed: turn it off before HDF5 starts.
__attribute__((constructor)) static void h5io_no_atexit(void) { H5dont_atexit(); }

static size_t read_limit = (size_t)4 << 30;  // bytes of one dataset read

void h5_set_read_limit(size_t bytes) { read_limit = bytes; }

// Link access for readers: no soft or external link is followed (an
// external link could open any file, a FIFO or a device).
static hid_t lapl(void) {
    static hid_t id = H5I_INVALID_HID;
    if (id < 0 || H5Iis_valid(id) <= 0) {
        id = H5Pcreate(H5P_DATASET_ACCESS);
        if (id >= 0) H5Pset_nlinks(id, 0);
    }
    return id >= 0 ? id : H5P_DEFAULT;
}

// The file name of an open object, for messages.
static const char *obj_file(hid_t loc, char *buf, size_t n) {
    ssize_t L = H5Fget_name(loc, buf, n);
    if (L <= 0) snprintf(buf, n, "(HDF5 file)");
    return buf;
}

int h5_check_regular(const char *path, const char *what, HHErr *err) {
    struct stat st;
    if (stat(path, &st) != 0)
        return hh_fail(err, HH_EINPUT, "%s: no such file (expected %s)", path, what);
    if (!S_ISREG(st.st_mode))
        return hh_fail(err, HH_EINPUT, "%s: not a regular file (a directory, FIFO, socket or "
                       "device); expected %s", path, what);
    return 0;
}

// Open `path` read-only after checking it is a regular HDF5 file.
static int open_ro(const char *path, const char *what, hid_t *file, HHErr *err) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    *file = H5I_INVALID_HID;
    if (h5_check_regular(path, what, err)) return HH_EINPUT;
    if (H5Fis_hdf5(path) <= 0)
        return hh_fail(err, HH_EINPUT, "%s: not an HDF5 file, or truncated (expected %s; rerun "
                       "the stage that writes it)", path, what);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return hh_fail(err, HH_EINPUT, "%s: cannot open as HDF5 (truncated or damaged?); "
                       "expected %s", path, what);
    *file = f;
    return 0;
}

int h5in_open(const char *path, const char *kind, hid_t *file, HHErr *err) {
    char what[96];
    snprintf(what, sizeof what, "an hhsim %s file", kind);
    hid_t f;
    if (open_ro(path, what, &f, err)) return HH_EINPUT;
    char *got = NULL;
    HHErr e;
    if (h5_get_attr_str(f, "/", "hhsim_kind", 63, &got, &e)) {
        H5Fclose(f);
        return hh_fail(err, HH_EINPUT, "%s: not an hhsim file (no readable hhsim_kind string "
                       "attribute on /); expected an hhsim %s file", path, kind);
    }
    if (!name_in_list(got, kind)) {
        int known = schema_version(got) > 0;
        H5Fclose(f);
        if (!known)
            hh_fail(err, HH_EINPUT, "%s: attribute hhsim_kind on / is not a known kind "
                    "(damaged file?); expected '%s'", path, kind);
        else
            hh_fail(err, HH_EINPUT, "%s: is an hhsim '%s' file; expected a '%s' file", path,
                    got, kind);
        free(got);
        return HH_EINPUT;
    }
    int want = schema_version(got), have = -1;
    char kd[64];
    snprintf(kd, sizeof kd, "%s", got);
    free(got);
    if (want == 0 ||  // a kind without a declared schema
        (h5_read_attr_int(f, "/", "schema_version", 0, 1000000, &have, &e) == 0 && have == want)) {
        if (h5_check_inputs(f, path, err)) {
            H5Fclose(f);
            return HH_EINPUT;
        }
        *file = f;
        return 0;
    }
    H5Fclose(f);
    if (have < 0)
        return hh_fail(err, HH_EINPUT, "%s: no readable schema_version attribute (written before "
                       "schemas were versioned, or damaged); rerun the stage that writes it", path);
    return hh_fail(err, HH_EINPUT, "%s: schema version %d of a '%s' file; this build reads "
                   "version %d (rerun the stage that writes it)", path, have, kd, want);
}

// "float64", "int8", "uint8", "string", ... of a type, for messages.
static const char *type_name(hid_t t, char *buf, size_t n) {
    H5T_class_t c = H5Tget_class(t);
    size_t sz = H5Tget_size(t);
    const char *cn = c == H5T_FLOAT ? "float" : c == H5T_STRING ? "string"
                     : c == H5T_COMPOUND ? "compound" : c == H5T_ENUM ? "enum"
                     : c == H5T_ARRAY ? "array" : c == H5T_VLEN ? "vlen" : c == H5T_OPAQUE
                     ? "opaque" : c == H5T_REFERENCE ? "reference" : c == H5T_BITFIELD
                     ? "bitfield" : c == H5T_TIME ? "time" : "other";
    if (c == H5T_INTEGER) cn = H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int";
    if (c == H5T_INTEGER || c == H5T_FLOAT || c == H5T_BITFIELD)
        snprintf(buf, n, "%s%zu", cn, 8 * sz);
    else
        snprintf(buf, n, "%s", cn);
    return buf;
}

// 1 when data of file type ft can be read as memtype without loss of meaning:
// integers as integers at least as wide, integers or floats as floats.
static int type_ok(hid_t ft, hid_t memtype) {
    H5T_class_t fc = H5Tget_class(ft), mc = H5Tget_class(memtype);
    size_t fs = H5Tget_size(ft), ms = H5Tget_size(memtype);
    if (fs < 1 || fs > 16) return 0;
    if (mc == H5T_INTEGER) return fc == H5T_INTEGER && fs <= ms;
    if (mc == H5T_FLOAT) return fc == H5T_INTEGER || fc == H5T_FLOAT;
    return 0;
}

static void shape_str(char *buf, size_t n, int rank, const hsize_t *d, int want) {
    size_t k = 0;
    buf[0] = '\0';
    k += (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < rank && k < n; i++) {
        if (k + 24 >= n) { snprintf(buf + k, n - k, ",..."); k = strlen(buf); break; }
        if (want && d[i] == 0) k += (size_t)snprintf(buf + k, n - k, "%sN", i ? "," : "");
        else k += (size_t)snprintf(buf + k, n - k, "%s%llu", i ? "," : "", (unsigned long long)d[i]);
    }
    if (k < n) snprintf(buf + k, n - k, ")");
    buf[n - 1] = '\0';
}

int h5_read(hid_t loc, const char *file, const char *name, hid_t memtype, int rank, hsize_t *dims,
            void **data, HHErr *err) {
    *data = NULL;
    if (rank < 1 || rank > H5_READ_MAX_RANK)
        return hh_fail(err, HH_EFAIL, "h5_read: rank %d (internal: 1 to %d)", rank,
                       H5_READ_MAX_RANK);
    char want[160], tn[32], mn[32];
    shape_str(want, sizeof want, rank, dims, 1);
    type_name(memtype, mn, sizeof mn);
    int ex = -1;
    H5E_BEGIN_TRY {
        H5O_info_t oi;
        ex = H5Lexists(loc, name, lapl()) <= 0 ? -1
             : H5Oget_info_by_name2(loc, name, &oi, H5O_INFO_BASIC, lapl()) < 0 ? -3
             : oi.type == H5O_TYPE_DATASET ? 1 : -2;
    } H5E_END_TRY;
    if (ex < 0)
        return hh_fail(err, HH_EINPUT, "%s: %s %s (expected a %s dataset of shape %s)", file,
                       ex == -2 ? "not a dataset:" : ex == -3 ? "a soft or external link, or "
                       "damaged:" : "missing dataset", name, mn, want);
    hid_t d = H5Dopen2(loc, name, lapl());
    if (d < 0) return hh_fail(err, HH_EINPUT, "%s: cannot open dataset %s", file, name);
    hid_t sp = H5Dget_space(d), ft = H5Dget_type(d), dcpl = H5Dget_create_plist(d);
    hsize_t got[H5S_MAX_RANK] = {0};
    int r = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    const char *why = NULL;
    char gotshape[160] = "?";
    if (sp < 0 || ft < 0 || dcpl < 0 || r < 0 || r > H5S_MAX_RANK ||
        H5Sget_simple_extent_type(sp) != H5S_SIMPLE || H5Sget_simple_extent_dims(sp, got, NULL) < 0)
        why = "no simple dataspace";
    else {
        shape_str(gotshape, sizeof gotshape, r, got, 0);
        if (r != rank) why = "wrong rank";
    }
    size_t n = 1, esz = H5Tget_size(memtype);
    for (int i = 0; !why && i < rank; i++) {
        if (dims[i] && dims[i] != got[i]) why = "wrong size";
        else if (got[i] > (hsize_t)INT32_MAX) why = "a dimension larger than 2^31 - 1";
        else if (got[i] && n > read_limit / esz / got[i]) why = "too large to read";
        else n *= (size_t)got[i];
    }
    if (!why && !type_ok(ft, memtype)) why = "wrong type";
    if (!why) {
        H5D_layout_t lay = H5Pget_layout(dcpl);
        if (lay == H5D_VIRTUAL || lay < 0) why = "a virtual dataset (data in other files)";
        else if (H5Pget_external_count(dcpl) != 0) why = "data in external files";
        else if (n && lay == H5D_CONTIGUOUS &&
                 H5Dget_storage_size(d) != (hsize_t)n * H5Tget_size(ft))
            why = "truncated or unwritten data";
    }
    if (why) {
        type_name(ft, tn, sizeof tn);
        hh_fail(err, HH_EINPUT, "%s: dataset %s is %s %s: %s; expected %s %s", file, name, tn,
                gotshape, why, mn, want);
    }
    H5Pclose(dcpl);
    H5Tclose(ft);
    H5Sclose(sp);
    if (why) {
        H5Dclose(d);
        return HH_EINPUT;
    }
    void *buf = malloc(n ? n * esz : 1);
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

// ---------------------------------------------------------------------------
// checked values

int h5_check_f64(const char *file, const char *name, const double *v, size_t n, double lo,
                 double hi, HHErr *err) {
    for (size_t i = 0; i < n; i++)
        if (!(v[i] >= lo && v[i] <= hi))  // NaN fails
            return hh_fail(err, HH_EINPUT, "%s: %s[%zu] = %g; allowed: a finite value in "
                           "[%g, %g]", file, name, i, v[i], lo, hi);
    return 0;
}

int h5_check_int(const char *file, const char *name, const void *v, int type, size_t n, long lo,
                 long hi, HHErr *err) {
    for (size_t i = 0; i < n; i++) {
        long x = type == H5_I8 ? ((const int8_t *)v)[i] : type == H5_U8 ? ((const uint8_t *)v)[i]
                 : ((const int32_t *)v)[i];
        if (x < lo || x > hi)
            return hh_fail(err, HH_EINPUT, "%s: %s[%zu] = %ld; allowed: %ld to %ld", file, name,
                           i, x, lo, hi);
    }
    return 0;
}

// ---------------------------------------------------------------------------
// attributes

// Open attribute `name` on object `obj` holding exactly one value (scalar or
// a one-element array); 1 missing, 2 not one value, 3 unreadable.
static int attr_open1(hid_t loc, const char *obj, const char *name, hid_t *attr, hid_t *type) {
    *attr = *type = H5I_INVALID_HID;
    int rc = 0;
    H5E_BEGIN_TRY {
        htri_t ex = H5Aexists_by_name(loc, obj, name, lapl());
        hid_t a = ex > 0 ? H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, lapl()) : -1;
        hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
        hid_t t = a >= 0 ? H5Aget_type(a) : -1;
        H5S_class_t sc = sp >= 0 ? H5Sget_simple_extent_type(sp) : H5S_NO_CLASS;
        hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
        if (ex <= 0) rc = ex == 0 ? 1 : 3;
        else if (a < 0 || sp < 0 || t < 0) rc = 3;
        else if (!(sc == H5S_SCALAR || (sc == H5S_SIMPLE && np == 1))) rc = 2;
        if (sp >= 0) H5Sclose(sp);
        if (rc) {
            if (t >= 0) H5Tclose(t);
            if (a >= 0) H5Aclose(a);
        } else {
            *attr = a;
            *type = t;
        }
    } H5E_END_TRY;
    return rc;
}

static int attr_fail(hid_t loc, const char *obj, const char *name, int why, const char *want,
                     HHErr *err) {
    char fb[1024];
    static const char *W[] = {"", "missing", "not a single value", "unreadable", "of another type",
                              "too long", "not finite", "out of range"};
    return hh_fail(err, HH_EINPUT, "%s: attribute %s on %s is %s; expected %s",
                   obj_file(loc, fb, sizeof fb), name, obj, W[why], want);
}

int h5_get_attr_str(hid_t loc, const char *obj, const char *name, size_t maxlen, char **out,
                    HHErr *err) {
    *out = NULL;
    hid_t a, t;
    char want[96];
    snprintf(want, sizeof want, "one string of at most %zu bytes", maxlen);
    int why = attr_open1(loc, obj, name, &a, &t);
    if (why) return attr_fail(loc, obj, name, why, want, err);
    char *s = NULL;
    if (H5Tget_class(t) != H5T_STRING) why = 4;
    else if (H5Tis_variable_str(t) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        char *v = NULL;
        herr_t st = -1;
        H5E_BEGIN_TRY { st = H5Aread(a, mt, &v); } H5E_END_TRY;
        if (st < 0 || !v) why = 3;
        else if (strnlen(v, maxlen + 1) > maxlen) why = 5;
        else if (!(s = strdup(v))) why = 3;
        if (v) H5free_memory(v);
        H5Tclose(mt);
    } else {
        size_t sz = H5Tget_size(t);
        herr_t st = -1;
        if (sz > maxlen + 1) why = 5;  // +1: a NUL terminator stored in the type's size
        else if (!(s = calloc(sz + 1, 1))) why = 3;
        else {
            H5E_BEGIN_TRY { st = H5Aread(a, t, s); } H5E_END_TRY;
            if (st < 0) why = 3;
            else {
                s[sz] = '\0';  // a fixed-length string need not hold a NUL
                if (strlen(s) > maxlen) why = 5;
            }
        }
        if (why) { free(s); s = NULL; }
    }
    H5Tclose(t);
    H5Aclose(a);
    if (why) return attr_fail(loc, obj, name, why, want, err);
    *out = s;
    return 0;
}

int h5_read_attr_double(hid_t loc, const char *obj, const char *name, double *v, HHErr *err) {
    hid_t a, t;
    int why = attr_open1(loc, obj, name, &a, &t);
    if (!why) {
        H5T_class_t c = H5Tget_class(t);
        herr_t st = -1;
        if ((c != H5T_FLOAT && c != H5T_INTEGER) || H5Tget_size(t) > 16) why = 4;
        else H5E_BEGIN_TRY { st = H5Aread(a, H5T_NATIVE_DOUBLE, v); } H5E_END_TRY;
        if (!why && st < 0) why = 3;
        if (!why && !isfinite(*v)) why = 6;
        H5Tclose(t);
        H5Aclose(a);
    }
    if (why) return attr_fail(loc, obj, name, why, "one finite number", err);
    return 0;
}

int h5_read_attr_int(hid_t loc, const char *obj, const char *name, long lo, long hi, int *v,
                     HHErr *err) {
    hid_t a, t;
    long long x = 0;
    int why = attr_open1(loc, obj, name, &a, &t);
    if (!why) {
        herr_t st = -1;
        if (H5Tget_class(t) != H5T_INTEGER || H5Tget_size(t) > 8) why = 4;
        else H5E_BEGIN_TRY { st = H5Aread(a, H5T_NATIVE_LLONG, &x); } H5E_END_TRY;
        if (!why && st < 0) why = 3;
        if (!why && (x < lo || x > hi)) why = 7;
        H5Tclose(t);
        H5Aclose(a);
    }
    if (why) {
        char want[96];
        snprintf(want, sizeof want, "one integer from %ld to %ld", lo, hi);
        return attr_fail(loc, obj, name, why, want, err);
    }
    *v = (int)x;
    return 0;
}

char *h5_read_attr_str(hid_t loc, const char *obj, const char *name) {
    char *s = NULL;
    HHErr e;
    return h5_get_attr_str(loc, obj, name, H5_ATTR_STR_MAX, &s, &e) ? NULL : s;
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

// Print s with bytes outside printable ASCII as \xNN.
static void put_clean(FILE *out, const char *s) {
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c >= 0x20 && *c < 0x7f && *c != '\\') fputc(*c, out);
        else fprintf(out, "\\x%02x", *c);
    }
}

typedef struct {
    FILE *out;
    HHErr *err;  // the first problem found
    const char *path;
    long n;
} Inspect;

static void flag(Inspect *in, const char *fmt, const char *a, const char *b, const char *c) {
    if (in->err->code) return;
    char m[900];
    snprintf(m, sizeof m, fmt, a, b, c);
    hh_fail(in->err, HH_EINPUT, "%s: %s", in->path, m);
}

static int printable(const char *s) {
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c >= 0x7f) return 0;
    return 1;
}

// One provenance attribute: its value, or "INVALID (why)" after flagging it.
static void print_prov(Inspect *in, hid_t f, const char *key) {
    HHErr e;
    hh_err_clear(&e);
    hid_t a, t;
    int why = attr_open1(f, "/", key, &a, &t);
    if (why == 1) return;  // absent: not an hhsim file, or an older one
    H5T_class_t cls = why ? H5T_NO_CLASS : H5Tget_class(t);
    if (!why) { H5Tclose(t); H5Aclose(a); }
    char num[64] = "";
    const char *bad = NULL, *allowed = "";
    if (!strcmp(key, "git_dirty") || !strcmp(key, "threads")) {
        int v;
        int isd = !strcmp(key, "git_dirty");
        allowed = isd ? "0 or 1" : "an integer from 1 to 1024";
        if (h5_read_attr_int(f, "/", key, isd ? 0 : 1, isd ? 1 : 1024, &v, &e))
            bad = "not one integer in range";
        else snprintf(num, sizeof num, "%d", v);
    } else if (!strcmp(key, "wall_seconds")) {
        double v;
        allowed = "a finite number of seconds >= 0";
        if (h5_read_attr_double(f, "/", key, &v, &e) || v < 0) bad = "not one finite number >= 0";
        else snprintf(num, sizeof num, "%g", v);
    } else {
        char *s = NULL;
        allowed = "one printable string of at most 1024 bytes";
        if (why || cls != H5T_STRING) bad = "not one string";
        else if (h5_get_attr_str(f, "/", key, 1024, &s, &e)) bad = "too long or unreadable";
        else if (!printable(s)) bad = "holds non-printable bytes";
        else if (!strcmp(key, "hhsim_kind")) {
            static char kinds[256];
            if (schema_version(s) == 0) {
                bad = "not a kind hhsim writes";
                schema_kinds(kinds, sizeof kinds);
                allowed = kinds;
            }
        } else if (!strcmp(key, "seed")) {
            allowed = "a whole number";
            if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 20) bad = "not digits";
        } else if (!strcmp(key, "created")) {
            int y, mo, d, h, mi, se;
            char z;
            allowed = "a UTC time YYYY-MM-DDTHH:MM:SSZ";
            if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi,
                                          &se, &z) != 7 || z != 'Z' || mo < 1 || mo > 12 ||
                d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
                bad = "not a UTC time";
        }
        if (s) put_clean(in->out, s);
        free(s);
    }
    fputs(num, in->out);
    if (bad) {
        fprintf(in->out, "  <- INVALID");
        flag(in, "attribute %s on / is invalid (%s); allowed: %s", key, bad, allowed);
    }
}

// A dataset's string attribute (units, description): empty when absent.
static void print_ds_attr(Inspect *in, hid_t o, const char *ds, const char *name) {
    hid_t a, t;
    int why = attr_open1(o, ds, name, &a, &t);
    if (why == 1) return;
    if (!why) { H5Tclose(t); H5Aclose(a); }
    char *s = NULL;
    HHErr e;
    if (why || h5_get_attr_str(o, ds, name, 4096, &s, &e)) {
        fprintf(in->out, "<INVALID>");
        flag(in, "attribute %s of dataset /%s is not one string of at most 4096 bytes%s", name,
             ds, "");
        return;
    }
    put_clean(in->out, s);
    free(s);
}

static herr_t visit(hid_t o, const char *name, const H5O_info_t *info, void *data) {
    Inspect *in = data;
    if (info->type != H5O_TYPE_DATASET) return 0;
    if (++in->n > 100000) {
        flag(in, "more than 100000 datasets%s%s%s", "", "", "");
        return 1;  // stop iterating
    }
    hid_t d = H5Dopen2(o, name, lapl());
    if (d < 0) {
        flag(in, "cannot open dataset /%s%s%s", name, "", "");
        return 0;
    }
    hid_t sp = H5Dget_space(d), ty = H5Dget_type(d);
    hsize_t dims[H5S_MAX_RANK] = {0};
    int r = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    char shape[128] = "(?)", tn[32] = "?";
    if (r >= 0 && r <= H5S_MAX_RANK && H5Sget_simple_extent_dims(sp, dims, NULL) >= 0)
        shape_str(shape, sizeof shape, r, dims, 0);
    if (ty >= 0) type_name(ty, tn, sizeof tn);
    fprintf(in->out, "  /");
    put_clean(in->out, name);
    int pad = 40 - (int)strlen(name);
    fprintf(in->out, "%*s %-7s %-14s ", pad > 0 ? pad : 0, "", tn, shape);
    print_ds_attr(in, o, name, "units");
    fprintf(in->out, " | ");
    print_ds_attr(in, o, name, "description");
    fprintf(in->out, "\n");
    if (ty >= 0) H5Tclose(ty);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return 0;
}

int h5_inspect(const char *path, FILE *out, HHErr *err) {
    hid_t f;
    if (open_ro(path, "an HDF5 file", &f, err)) return HH_EINPUT;
    static const char *KEYS[] = {"hhsim_kind", "hhsim_version", "git_commit", "git_dirty",
                                 "sim_source_hash", "seed",
                                 "gsl_version", "hdf5_version", "openblas_config", "threads",
                                 "host", "created", "wall_seconds"};
    HHErr bad;
    hh_err_clear(&bad);
    Inspect in = {out, &bad, path, 0};
    fprintf(out, "%s\nprovenance:\n", path);
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
        fprintf(out, "  %-16s ", KEYS[i]);
        print_prov(&in, f, KEYS[i]);
        fprintf(out, "\n");
    }
    fprintf(out, "params: (`h5dump -a /params %s` for the full text)\ndatasets:\n", path);
    herr_t st = H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, visit, &in, H5O_INFO_BASIC);
    H5Fclose(f);
    if (st < 0 && !bad.code) hh_fail(&bad, HH_EINPUT, "%s: cannot list datasets (damaged file?)", path);
    if (bad.code) {
        if (err) *err = bad;
        return HH_EINPUT;
    }
    return 0;
}
