// pipeline.c - see pipeline.h
#include "pipeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5io.h"
#include "progress.h"
#include "project.h"
#include "version.h"
#include "worldgen.h"

// A line to o->say: progress unless quiet; errors (err set) always.
static void say_line(const PipelineOpts *o, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say_line(const PipelineOpts *o, int err, const char *fmt, ...) {
    if (!o->say || (o->quiet && !err)) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    o->say(o->say_ctx, line);
}

// Modification time of a regular file; -1 for a missing or non-regular one
// (a FIFO named like an output would block HDF5's open).
static double mtime(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    return (double)st.st_mtim.tv_sec + 1e-9 * (double)st.st_mtim.tv_nsec;
}

static int exists(const char *path) { return mtime(path) >= 0; }

// Why path is not a usable input: "no such file" or "not a regular file ...".
static const char *missing_why(const char *path) {
    struct stat st;
    return stat(path, &st) != 0 ? "no such file"
                                : "not a regular file (a directory, FIFO, socket or device)";
}

// The first params section of st in which a and b differ ([run] threads is
// not compared: results never depend on it), or NULL.
static const char *section_differs(const Params *a, const Params *b, const StageDef *st) {
    Params x = *a;
    x.threads = b->threads;
    for (int i = 0; st->sections[i]; i++) {
        char *u = params_to_text(&x, st->sections[i]), *v = params_to_text(b, st->sections[i]);
        int same = u && v && strcmp(u, v) == 0;
        free(u);
        free(v);
        if (!same) return st->sections[i];
    }
    return NULL;
}

// 1 when the open output f holds the job of key (its /job key's stem).
static int holds_job(hid_t f, const char *out, const JobKey *key) {
    JobKey k;
    char a[160], b[160];
    HHErr e;
    if (H5Lexists(f, "job", H5P_DEFAULT) <= 0) return 0;
    return !jobkey_read(f, out, &k, &e) && !jobkey_stem(&k, a, sizeof a, &e) &&
           !jobkey_stem(key, b, sizeof b, &e) && !strcmp(a, b);
}

// Why the output of a job of st with key (NULL: the world) is stale (NULL:
// up to date), into buf.
static const char *stale_why(const Params *p, const StageDef *st, const JobKey *key,
                             const char *out, const JobInput *in, int n_in, char *buf, size_t n) {
    double t = mtime(out);
    if (t < 0) return "no output yet";
    for (int i = 0; i < n_in; i++)
        if (mtime(in[i].path) < 0 || mtime(in[i].path) > t) {
            snprintf(buf, n, "input %s is newer or missing", in[i].path);
            return buf;
        }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fis_hdf5(out) > 0 ? H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    if (f < 0) return "output unreadable";
    char *text = h5_read_attr_str(f, "/", "params"), *hash = h5_read_attr_str(f, "/", "sim_source_hash");
    HHErr ie;
    int inputs_ok = h5_check_inputs(f, out, &ie) == 0, job_ok = !key || holds_job(f, out, key);
    H5Fclose(f);
    if (!inputs_ok || !job_ok) {
        free(text);
        free(hash);
        return !job_ok ? "the file holds another job (its /job key)"
                       : "an input was replaced since it was made (recorded content hash)";
    }
    Params old;
    HHErr e;
    const char *why = !text || !hash || params_parse_text(&old, text, out, &e) ? "output unreadable"
                      : strcmp(hash, hh_sim_hash()) ? "written by other simulator sources" : NULL;
    const char *sec = why ? NULL : section_differs(p, &old, st);
    if (sec) snprintf(buf, n, "[%s] params changed", sec), why = buf;
    free(text);
    free(hash);
    return why;
}

// ---------------------------------------------------------------------------
// selection

// sel[i] = 1 for the stages --only / --until select.
static int select_stages(const StageDef *const *t, const PipelineOpts *o, int *sel, HHErr *err) {
    char names[512];
    stages_names(t, names, sizeof names);
    int n = 0;
    while (t[n]) sel[n] = 1, n++;
    if (o->until) {
        const StageDef *u = stage_find(t, o->until);
        if (!u) return hh_fail(err, HH_EINPUT, "--until '%s': no such stage; stages: %s", o->until, names);
        for (int i = 0, after = 0; i < n; i++) sel[i] = !after, after |= t[i] == u;
    }
    if (!o->only) return 0;
    int pick[64] = {0};
    char buf[512];
    snprintf(buf, sizeof buf, "%s", o->only);
    char *save = NULL;
    for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        const StageDef *st = stage_find(t, s);
        if (!st) return hh_fail(err, HH_EINPUT, "--only '%s': no such stage; stages: %s", s, names);
        for (int i = 0; i < n; i++) pick[i] |= t[i] == st;
    }
    int any = 0;
    for (int i = 0; i < n; i++) sel[i] &= pick[i], any |= sel[i];
    if (!any) return hh_fail(err, HH_EINPUT, "--only '%s' selects no stage%s", o->only,
                             o->until ? " before --until" : "");
    return 0;
}

// ---------------------------------------------------------------------------
// the graph

typedef struct {
    const Params *p;
    const WorldData *d;
    const PipelineOpts *o;
    const JobList *l;
    const int *idx;  // graph node -> job index in l
} Ctx;

// Run job k of the list.
static int run_listed(int k, void *ctx) {
    Ctx *c = ctx;
    const Job *j = &c->l->v[k];
    HHErr err;
    hh_err_clear(&err);
    StageOpts so = {c->o->quiet, c->o->stop_after};
    const char *in[64];
    int n = 0;
    for (int q = 0; q < j->n_in && n < 64; q++) in[n++] = j->in[q].path;
    h5_job_inputs(in, n);  // every file the job writes records them
    int rc = j->stage->run(c->p, c->d, j, &so, &err);
    if (rc) {
        say_line(c->o, 1, "hhsim: %s: %s", j->name, err.msg[0] ? err.msg : "failed without a message");
        return rc;
    }
    return exists(j->out) ? 0 : JOB_STOPPED;
}

// Run graph node i.
static int run_job(int i, void *ctx) { return run_listed(((Ctx *)ctx)->idx[i], ctx); }

static int clustered(const PipelineOpts *o) { return o->cluster && o->cluster->size > 1; }

// The job of l that makes path, or -1.
static int maker(const JobList *l, const char *path) {
    for (int k = 0; k < l->n; k++)
        if (!strcmp(l->v[k].out, path)) return k;
    return -1;
}

// run[k] for every job; refuses a job whose input neither exists nor will be made.
static int plan(const Params *p, const JobList *l, const int *sel_job, const PipelineOpts *o,
                const char *const *off, const StageDef *const *t, int *run, HHErr *err) {
    for (int k = 0; k < l->n; k++) {
        const Job *j = &l->v[k];
        run[k] = 0;
        if (!sel_job[k]) continue;
        char buf[1200];
        const char *why = o->force ? "--force" : stale_why(p, j->stage, &j->key, j->out, j->in,
                                                            j->n_in, buf, sizeof buf);
        for (int q = 0; !why && q < j->n_in; q++) {
            int m = maker(l, j->in[q].path);
            if (m >= 0 && run[m]) snprintf(buf, sizeof buf, "input %s is remade", l->v[m].name), why = buf;
        }
        run[k] = why != NULL;
        if (o->dry_run) printf("%-8s %-40s %s%s\n", j->stage->name, j->name, why ? "run: " : "up to date",
                               why ? why : "");
    }
    for (int k = 0; k < l->n; k++) {
        const Job *j = &l->v[k];
        for (int q = 0; run[k] && q < j->n_in; q++) {
            const JobInput *in = &j->in[q];
            int m = maker(l, in->path);
            char buf[1200];
            const char *why = m >= 0 && !run[m] && !sel_job[m] && exists(in->path)
                                  ? stale_why(p, l->v[m].stage, &l->v[m].key, in->path,
                                              l->v[m].in, l->v[m].n_in, buf, sizeof buf) : NULL;
            if (why)  // an input left out by --only/--until and out of date for these params
                return hh_fail(err, HH_EINPUT, "%s: out of date for these params (%s); job %s "
                               "needs it; add stage %s to --only or drop --only/--until",
                               in->path, why, j->name, in->stage->name);
            if (exists(in->path) || (m >= 0 && run[m]) || (o->dry_run && in->stage == t[0]))
                continue;  // (a dry run builds a missing world in memory)
            int si = 0;
            while (t[si] && t[si] != in->stage) si++;
            if (m >= 0)
                return hh_fail(err, HH_EINPUT, "%s: %s; job %s needs it; it is made by job %s of "
                               "stage %s, which this run leaves out (add %s to --only or drop "
                               "--only/--until)", in->path, missing_why(in->path), j->name,
                               l->v[m].name, in->stage->name, in->stage->name);
            return hh_fail(err, HH_EINPUT, "%s: %s; job %s needs it and no job of these params "
                           "makes it (stage %s%s%s)", in->path, missing_why(in->path), j->name,
                           in->stage->name,
                           t[si] && off[si] ? " is off: " : " lists no such job",
                           t[si] && off[si] ? off[si] : "");
        }
    }
    return 0;
}

// Dependencies between the jobs that run and critical-path priorities.
static int run_graph(Ctx *c, const int *run, int nrun, HHErr *err) {
    const JobList *l = c->l;
    int *idx = malloc(sizeof(int) * ((size_t)nrun + 1)), *node = malloc(sizeof(int) * ((size_t)l->n + 1));
    int *nd = calloc((size_t)nrun + 1, sizeof(int));
    int **dp = calloc((size_t)nrun + 1, sizeof(int *));
    double *prio = calloc((size_t)nrun + 1, sizeof(double));
    const char **names = calloc((size_t)nrun + 1, sizeof(char *));
    int rc = idx && node && nd && dp && prio && names ? 0 : hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0, g = 0; !rc && k < l->n; k++) {
        node[k] = -1;
        if (!run[k]) continue;
        node[k] = g;
        idx[g] = k;
        names[g] = l->v[k].name;
        prio[g] = l->v[k].cost;
        dp[g] = malloc(sizeof(int) * ((size_t)l->v[k].n_in + 1));
        if (!dp[g]) { rc = hh_fail(err, HH_EFAIL, "out of memory"); break; }
        for (int q = 0; q < l->v[k].n_in; q++) {
            int m = maker(l, l->v[k].in[q].path);
            if (m >= 0 && run[m]) dp[g][nd[g]++] = node[m];
        }
        g++;
    }
    for (int g = nrun - 1; !rc && g >= 0; g--)  // longest chain of costs from each job on
        for (int q = 0; q < nd[g]; q++) {
            int d = dp[g][q];
            double v = l->v[idx[d]].cost + prio[g];
            if (v > prio[d]) prio[d] = v;
        }
    int stopped = 0;
    if (!rc) {
        c->idx = idx;
        JobGraph jg = {.n = nrun, .max_parallel = c->o->jobs, .ndeps = nd,
                       .deps = (const int *const *)dp, .prio = prio, .names = names,
                       .label = "hhsim run", .say = c->o->quiet ? NULL : c->o->say,
                       .say_ctx = c->o->say_ctx};
        if (clustered(c->o)) jg.runner = c->o->cluster->runner(c->o->cluster, idx, run_job, c);
        rc = jobs_run_graph(&jg, run_job, c, &stopped, err);
    }
    if (!rc && stopped)
        say_line(c->o, 0, "hhsim run: %d job%s stopped as asked (or wait%s for one that did); rerun to "
            "resume", stopped, stopped == 1 ? "" : "s", stopped == 1 ? "s" : "");
    for (int g = 0; dp && g < nrun; g++) free(dp[g]);
    free(idx), free(node), free(nd), free(dp), free(prio), free(names);
    return rc;
}

// ---------------------------------------------------------------------------
// the run

// The world: listed, run when stale and selected, then read.
static int world_first(const Params *p, const char *dir, const StageDef *ws, int sel,
                       const PipelineOpts *o, WorldData *d, HHErr *err) {
    JobList l;
    joblist_init(&l, dir, NULL);
    int rc = ws->list(p, NULL, &l, err), lead = !clustered(o) || o->cluster->rank == 0;
    char buf[1200];
    const char *why = rc || !sel ? NULL : o->force ? "--force"
                                 : stale_why(p, ws, NULL, l.v[0].out, NULL, 0, buf, sizeof buf);
    if (o->dry_run) {  // nothing is written: a stale world is built in memory
        if (sel) printf("%-8s %-40s %s%s\n", ws->name, l.v[0].name, why ? "run: " : "up to date",
                        why ? why : "");
        if (!rc && !sel && !exists(l.v[0].out)) why = "no output yet";
        rc = rc ? rc : why ? worldgen_build(p, d, err) : worldgen_read(l.v[0].out, p, d, err);
        joblist_free(&l);
        return rc ? (err->code ? err->code : HH_EFAIL) : 0;
    }
    if (!lead) {
    } else if (!rc && why) {
        StageOpts so = {o->quiet, 0};
        h5_job_inputs(NULL, 0);
        rc = hh_mkdirs(dir, err) || ws->run(p, NULL, &l.v[0], &so, err);
        if (!rc) say_line(o, 0, "hhsim run: %s: wrote %s", ws->name, l.v[0].out);
    } else if (!rc && sel) {
        say_line(o, 0, "hhsim run: %s: up to date", ws->name);
    } else if (!rc && !exists(l.v[0].out)) {
        rc = hh_fail(err, HH_EINPUT, "%s: %s; every stage needs it; it is made by stage %s, "
                     "which this run leaves out", l.v[0].out, missing_why(l.v[0].out), ws->name);
    }
    if (clustered(o) && o->cluster->share(o->cluster, rc ? rc : 0) && !rc)
        rc = hh_fail(err, HH_EFAIL, "rank %d: the world stage failed on rank 0", o->cluster->rank);
    if (!rc) rc = worldgen_read(l.v[0].out, p, d, err);
    joblist_free(&l);
    return rc ? (err->code ? err->code : HH_EFAIL) : 0;
}

// ---------------------------------------------------------------------------
// the run directory: one run at a time, no stale temporary files

// Take the advisory lock DIR/.hhsim.lock; its descriptor in *lfd (closed by
// the caller when the run ends; the kernel releases it if the process dies).
static int lock_dir(const char *dir, int *lfd, HHErr *err) {
    char path[1100];
    snprintf(path, sizeof path, "%s/.hhsim.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return hh_fail(err, HH_EFAIL, "%s: cannot create the run's lock file", path);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        return hh_fail(err, HH_EINPUT, "%s: another hhsim run%s%s is writing this run directory; "
                       "wait for it to finish or give another -o DIR", dir, *pid ? " (pid " : "",
                       *pid ? pid : "");
    }
    char me[32];
    int n = snprintf(me, sizeof me, "%ld)\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, me, (size_t)n, 0) != n) { /* the pid is a courtesy */ }
    *lfd = fd;
    return 0;
}

// Remove NAME.tmp.PID files of killed jobs under dir (depth <= 2): with the
// lock held no other run is writing them.
static void remove_stale(const char *dir, int depth, const PipelineOpts *o) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode) && depth < 2) remove_stale(path, depth + 1, o);
        else if (S_ISREG(st.st_mode) && strstr(e->d_name, ".h5.tmp.") && unlink(path) == 0)
            say_line(o, 0, "hhsim run: removed %s (a killed job's temporary file)", path);
    }
    closedir(d);
}

static int run_locked(const Params *p, const char *dir, const StageDef *const *t,
                      const PipelineOpts *o, HHErr *err);

// DIR/params.ini: the effective params of the latest run into dir.
static int write_run_params(const Params *p, const char *dir, const char *origin, HHErr *err) {
    char path[1100], tmp[1200];
    snprintf(path, sizeof path, "%s/params.ini", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    char *text = params_to_text(p, NULL);
    FILE *f = text ? fopen(tmp, "w") : NULL;
    int ok = f && fprintf(f, "; params of the latest 'hhsim run' into this directory (hhfit reads "
                             "them: files made with other params are refused)\n%s%s%s%s",
                          origin ? "; from " : "", origin ? origin : "", origin ? "\n" : "", text) > 0;
    if (f && fclose(f) != 0) ok = 0;
    free(text);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return hh_fail(err, HH_EFAIL, "%s: cannot write (disk full?)", path);
    }
    return 0;
}

int pipeline_file_current(const Params *run, const char *path, hid_t f, HHErr *err) {
    char *kind = NULL, *text = NULL;
    HHErr e;
    const StageDef *const *t = stages_default(), *st = NULL;
    if (h5_get_attr_str(f, "/", "hhsim_kind", 63, &kind, &e) == 0)
        for (int i = 0; t[i] && !st; i++)
            if (!strcmp(t[i]->kind, kind)) st = t[i];
    free(kind);
    if (!st) return 0;
    Params old, now = *run;
    int rc = h5_get_attr_str(f, "/", "params", H5_ATTR_STR_MAX, &text, &e) ||
             params_parse_text(&old, text, path, &e);
    free(text);
    if (rc) return hh_fail(err, HH_EINPUT, "%s: unreadable params attribute on /", path);
    const char *sec = section_differs(&now, &old, st);
    if (sec)
        rc = hh_fail(err, HH_EINPUT, "%s: made with other [%s] params than this run's "
                     "(params.ini); rerun 'hhsim run' to bring it up to date, or remove it", path, sec);
    JobKey k;
    char stem[160];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!rc && st->subdir && H5Lexists(f, "job", H5P_DEFAULT) > 0 &&
        (jobkey_read(f, path, &k, err) || jobkey_stem(&k, stem, sizeof stem, err)))
        rc = HH_EINPUT;
    else if (!rc && st->subdir && H5Lexists(f, "job", H5P_DEFAULT) > 0 &&
             (strncmp(base, stem, strlen(stem)) || strcmp(base + strlen(stem), ".h5")))
        rc = hh_fail(err, HH_EINPUT, "%s: holds job %s/%s (its /job attributes), not the job its "
                     "name says (a copy under another name?); remove it", path, st->subdir, stem);
    return rc;
}

int pipeline_run(const Params *p, const char *dir, const StageDef *const *t,
                 const PipelineOpts *o, HHErr *err) {
    if (!t) t = stages_default();
    if ((clustered(o) && o->cluster->rank > 0) || o->dry_run) return run_locked(p, dir, t, o, err);
    int fd = -1;
    if (hh_mkdirs(dir, err) || lock_dir(dir, &fd, err)) {
        if (clustered(o)) o->cluster->share(o->cluster, err->code);  // the workers wait for the world
        return err->code;
    }
    remove_stale(dir, 0, o);
    int rc = run_locked(p, dir, t, o, err);
    close(fd);
    return rc;
}

static int run_locked(const Params *p, const char *dir, const StageDef *const *t,
                      const PipelineOpts *o, HHErr *err) {
    double t0 = progress_now();
    int ns = 0, sel[64];
    const char *off[64];
    while (t[ns]) ns++;
    if (ns > 64) return hh_fail(err, HH_EFAIL, "more than 64 stages");
    if (select_stages(t, o, sel, err)) return err->code;
    for (int i = 0; i < ns; i++) off[i] = t[i]->off ? t[i]->off(p) : NULL;
    WorldData d;
    if (world_first(p, dir, t[0], sel[0], o, &d, err)) return err->code;
    JobList l;
    joblist_init(&l, dir, t[0]);
    int *first = calloc((size_t)ns + 1, sizeof(int)), rc = first ? 0 : hh_fail(err, HH_EFAIL, "out of memory");
    int last = 0;  // stages after the last selected one make nothing it reads: not listed
    for (int i = 0; i < ns; i++)
        if (sel[i]) last = i;
    for (int i = 1; !rc && i <= ns; i++) {
        first[i] = l.n;
        if (i <= last && !off[i]) rc = t[i]->list(p, &d, &l, err);
    }
    int *sel_job = rc ? NULL : calloc((size_t)l.n + 1, sizeof(int));
    int *run = rc ? NULL : calloc((size_t)l.n + 1, sizeof(int));
    if (!rc && (!sel_job || !run)) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int i = 1; !rc && i < ns; i++)
        for (int k = first[i]; k < first[i + 1]; k++) sel_job[k] = sel[i];
    Ctx c = {p, &d, o, &l, NULL};
    if (clustered(o) && o->cluster->rank > 0) {  // a worker: run what rank 0 sends
        if (!rc) rc = o->cluster->serve(o->cluster, run_listed, &c) ? hh_fail(err, HH_EFAIL,
                      "rank %d: lost contact with rank 0", o->cluster->rank) : 0;
        free(first), free(sel_job), free(run);
        joblist_free(&l);
        worldgen_free(&d);
        return rc;
    }
    if (!rc) rc = plan(p, &l, sel_job, o, off, t, run, err);
    if (!rc && !o->dry_run) rc = write_run_params(p, dir, o->origin, err);  // once the run is sure to go
    int nrun = 0;
    for (int i = 1; !rc && i < ns; i++) {
        if (!sel[i]) continue;
        if (off[i]) { say_line(o, 0, "hhsim run: %s: off (%s)", t[i]->name, off[i]); continue; }
        int todo = 0;
        for (int k = first[i]; k < first[i + 1]; k++) todo += run[k];
        nrun += todo;
        say_line(o, 0, "hhsim run: %s: %d job%s to run, %d up to date", t[i]->name, todo,
            todo == 1 ? "" : "s", first[i + 1] - first[i] - todo);
    }
    if (!rc && o->dry_run && o->project_from)
        rc = pipeline_project(&l, run, t, o->project_from, o->ranks, stdout, err);
    if (!rc && nrun && !o->dry_run) rc = run_graph(&c, run, nrun, err);
    if (clustered(o)) o->cluster->stop(o->cluster);
    if (!rc && !o->dry_run) say_line(o, 0, "hhsim run: done in %.0f s -> %s", progress_now() - t0, dir);
    free(first), free(sel_job), free(run);
    joblist_free(&l);
    worldgen_free(&d);
    return rc;
}
