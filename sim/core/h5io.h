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
// Write wall_seconds, close and rename into place.
int h5out_commit(H5Out *o, HHErr *err);
// Close and delete the temporary file (safe to call after a failed create).
void h5out_abort(H5Out *o);

// Create group `name` under loc (intermediate groups too). Close with H5Gclose.
hid_t h5_group(hid_t loc, const char *name, HHErr *err);

// Write an array dataset of `rank` dims with units and description.
int h5_write(hid_t loc, const char *name, hid_t memtype, int rank, const hsize_t *dims,
             const void *data, const char *units, const char *desc, HHErr *err);

// Attributes on any object (not for values that vary between identical runs).
int h5_attr_str(hid_t loc, const char *obj, const char *name, const char *value, HHErr *err);
int h5_attr_double(hid_t loc, const char *obj, const char *name, double value, HHErr *err);
int h5_attr_int(hid_t loc, const char *obj, const char *name, int value, HHErr *err);

// Open an existing hhsim file of the given kind for reading (kind may list
// several, comma-separated: "lm,distill").
int h5in_open(const char *path, const char *kind, hid_t *file, HHErr *err);

// Read dataset `name` into a malloc'd buffer of memtype. dims[] gives the
// expected shape (0 = any) and receives the actual one. `file` names the file
// in messages.
int h5_read(hid_t loc, const char *file, const char *name, hid_t memtype, int rank, hsize_t *dims,
            void **data, HHErr *err);
int h5_read_attr_double(hid_t loc, const char *obj, const char *name, double *v, HHErr *err);
// A string attribute in a malloc'd buffer (free with free()), or NULL.
char *h5_read_attr_str(hid_t loc, const char *obj, const char *name);
// 1 when the file's provenance params text equals p's effective params.
int h5_same_params(hid_t file, const Params *p);

// Print provenance and a one-line summary of each dataset (hhsim inspect).
int h5_inspect(const char *path, FILE *out, HHErr *err);

// Create directory `dir` and its parents (mkdir -p).
int hh_mkdirs(const char *dir, HHErr *err);

#endif
