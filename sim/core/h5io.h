// h5io.h - every HDF5 file hhsim writes or reads goes through here.
//
// Writing: h5out_create opens PATH.tmp.PID, writes the provenance attributes
// on the root group, and h5out_commit closes it and renames it to PATH; a run
// that fails calls h5out_abort and the previous PATH (if any) is untouched.
// Root attributes (hhsim_kind, hhsim_version, git_commit, git_dirty, params,
// seed, gsl_version, hdf5_version, openblas_config, threads, host, created,
// wall_seconds) are the only place for values that may differ between two
// identical runs, so `h5diff --exclude-attribute / A.h5 B.h5` is silent for
// two runs of the same params and seed.
//
// Every dataset carries `units` and `description` string attributes.
#ifndef HHSIM_H5IO_H
#define HHSIM_H5IO_H

#include <stdio.h>

#include <hdf5.h>

#include "hherr.h"
#include "params.h"

typedef struct {
    hid_t file;
    char path[1024];
    char tmp[1100];
    double t0;  // monotonic start time (s)
} H5Out;

// Create the file for kind ("world", "lm", ...) with provenance from p.
int h5out_create(H5Out *o, const char *path, const char *kind, const Params *p, HHErr *err);
// h5_job_start: mark the start of a job (jobs.c calls it before each job):
// the root attribute wall_seconds of the files the job writes is the time
// from here to their commit, i.e. the job's training and evaluation (for a
// resumed run, those of the last session only). Without a mark it is the
// time from h5out_create.
void h5_job_start(void);
// h5_job_end: clear the mark (jobs.c, when the pool is done).
void h5_job_end(void);
// h5_job_inputs: the running job's input files (the pipeline sets them
// before each job). Every file created afterwards records, in the root
// attribute `inputs`, each input's path relative to it and its content
// hash; h5in_open refuses a file whose recorded inputs no longer match the
// files on disk (h5_check_inputs), so a run directory cannot mix the outputs
// of two runs unnoticed.
void h5_job_inputs(const char *const *paths, int n);
int h5_check_inputs(hid_t file, const char *path, HHErr *err);
// Write wall_seconds and content_hash (FNV-1a 64 of every dataset's path
// and bytes, in write order: equal for identical runs), close and rename
// into place.
int h5out_commit(H5Out *o, HHErr *err);
// Close and delete the temporary file (safe to call after a failed create).
void h5out_abort(H5Out *o);

// Create group `name` under loc (intermediate groups too). Close with H5Gclose.
hid_t h5_group(hid_t loc, const char *name, HHErr *err);

// Write an array dataset of `rank` dims with units and description. Every
// non-empty dataset is stored as one chunk with HDF5's Fletcher32 checksum,
// which HDF5 verifies on every read: a corrupted byte is an error, not a
// silently different number.
int h5_write(hid_t loc, const char *name, hid_t memtype, int rank, const hsize_t *dims,
             const void *data, const char *units, const char *desc, HHErr *err);

// The same without attributes (model tensors); a negative HDF5 status on failure.
herr_t h5_write_raw(hid_t loc, const char *name, hid_t memtype, int rank, const hsize_t *dims,
                    const void *data);

// Attributes on any object (not for values that vary between identical runs).
int h5_attr_str(hid_t loc, const char *obj, const char *name, const char *value, HHErr *err);
int h5_attr_double(hid_t loc, const char *obj, const char *name, double value, HHErr *err);
int h5_attr_int(hid_t loc, const char *obj, const char *name, int value, HHErr *err);

// ---------------------------------------------------------------------------
// Reading. Every input is untrusted: these helpers check rank, dims, type
// class and size, string length and termination before anything is used,
// refuse non-regular files (FIFOs, devices), soft and external links,
// virtual and external-storage datasets, and fail with one line naming the
// file and object, what was wrong and what is allowed (HH_EINPUT).

enum { H5_READ_MAX_RANK = 8 };
#define H5_ATTR_STR_MAX ((size_t)1 << 20)  // longest string attribute read (params text)

// HH_EINPUT unless path names a regular file; `what` says what was expected.
int h5_check_regular(const char *path, const char *what, HHErr *err);

// Open an existing hhsim file of the given kind for reading (a regular
// HDF5 file whose root attribute hhsim_kind is `kind`; kind may list several,
// comma-separated: "lm,distill"), whose schema_version is the one this build
// reads (schema.h).
int h5in_open(const char *path, const char *kind, hid_t *file, HHErr *err);

// Read dataset `name` into a malloc'd buffer of memtype. dims[] gives the
// expected shape (0 = any) and receives the actual one; rank 1 to
// H5_READ_MAX_RANK. Integers are read only into integers at least as wide,
// floats and integers into floats. `file` names the file in messages.
int h5_read(hid_t loc, const char *file, const char *name, hid_t memtype, int rank, hsize_t *dims,
            void **data, HHErr *err);
// Largest dataset h5_read allocates, in bytes (default 4 GiB; fuzzers lower it).
void h5_set_read_limit(size_t bytes);

// Range checks of values read: every v[i] finite and in [lo, hi] (doubles),
// or in [lo, hi] (integers of type H5_I8, H5_U8 or H5_I32). `name` is the
// dataset named in the message.
enum { H5_I8 = 1, H5_U8 = 2, H5_I32 = 4 };
int h5_check_f64(const char *file, const char *name, const double *v, size_t n, double lo,
                 double hi, HHErr *err);
int h5_check_int(const char *file, const char *name, const void *v, int type, size_t n, long lo,
                 long hi, HHErr *err);

// Attributes holding exactly one value. A number: integer or float, finite.
int h5_read_attr_double(hid_t loc, const char *obj, const char *name, double *v, HHErr *err);
// An integer attribute in [lo, hi].
int h5_read_attr_int(hid_t loc, const char *obj, const char *name, long lo, long hi, int *v,
                     HHErr *err);
// A string attribute of at most maxlen bytes (fixed-length with or without
// NUL, or variable-length) into a malloc'd NUL-terminated buffer.
int h5_get_attr_str(hid_t loc, const char *obj, const char *name, size_t maxlen, char **out,
                    HHErr *err);
// The same up to H5_ATTR_STR_MAX bytes without a message: the string, or NULL.
char *h5_read_attr_str(hid_t loc, const char *obj, const char *name);
// 1 when the file's provenance params text equals p's effective params.
int h5_same_params(hid_t file, const Params *p);

// Print provenance and a one-line summary of each dataset (hhsim inspect).
// Provenance values that are malformed (wrong type, out of range,
// non-printable) are marked INVALID and make it return HH_EINPUT naming the
// first one; strings are printed with bytes outside printable ASCII as \xNN.
int h5_inspect(const char *path, FILE *out, HHErr *err);

// Create directory `dir` and its parents (mkdir -p).
int hh_mkdirs(const char *dir, HHErr *err);

#endif
