// results.c - see results.h
#include "results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "claimscsv.h"
#include "h5io.h"

// Link access that follows no soft or external link (h5io.h's rule for readers).
static hid_t no_links(void) {
    static hid_t id = H5I_INVALID_HID;
    if (id < 0 || H5Iis_valid(id) <= 0) {
        id = H5Pcreate(H5P_DATASET_ACCESS);
        if (id >= 0) H5Pset_nlinks(id, 0);
    }
    return id;
}

// ---------------------------------------------------------------------------
// provenance

static int has_attr(hid_t f, const char *name) {
    htri_t ex = -1;
    H5E_BEGIN_TRY { ex = H5Aexists_by_name(f, "/", name, H5P_DEFAULT); } H5E_END_TRY;
    return ex > 0;
}

// Root string attribute name into out (n bytes); "" when absent.
static int prov_str(hid_t f, const char *name, char *out, size_t n, HHErr *err) {
    out[0] = '\0';
    if (!has_attr(f, name)) return 0;
    char *s = NULL;
    if (h5_get_attr_str(f, "/", name, n - 1, &s, err)) return err->code;
    snprintf(out, n, "%s", s);
    free(s);
    return 0;
}

static int read_prov(hid_t f, ResProv *p, HHErr *err) {
    struct { const char *name; char *out; size_t n; } S[] = {
        {"hhsim_version", p->version, sizeof p->version}, {"git_commit", p->commit, sizeof p->commit},
        {"seed", p->seed, sizeof p->seed}, {"sim_source_hash", p->source_hash, sizeof p->source_hash},
        {"gsl_version", p->gsl, sizeof p->gsl}, {"hdf5_version", p->hdf5, sizeof p->hdf5},
        {"openblas_config", p->openblas, sizeof p->openblas}, {"host", p->host, sizeof p->host},
        {"created", p->created, sizeof p->created}, {"content_hash", p->content_hash, sizeof p->content_hash}};
    for (size_t k = 0; k < sizeof S / sizeof S[0]; k++)
        if (prov_str(f, S[k].name, S[k].out, S[k].n, err)) return err->code;
    int dirty;
    if (has_attr(f, "git_dirty")) {
        if (h5_read_attr_int(f, "/", "git_dirty", 0, 1, &dirty, err)) return err->code;
        snprintf(p->dirty, sizeof p->dirty, "%s", dirty ? "dirty" : "clean");
    }
    double w;
    if (has_attr(f, "wall_seconds")) {
        if (h5_read_attr_double(f, "/", "wall_seconds", &w, err)) return err->code;
        snprintf(p->wall, sizeof p->wall, "%.1f", w);
    }
    if (has_attr(f, "params")) return h5_get_attr_str(f, "/", "params", H5_ATTR_STR_MAX, &p->params, err);
    p->params = strdup("");
    return p->params ? 0 : hh_fail(err, HH_EFAIL, "out of memory");
}

// ---------------------------------------------------------------------------
// tables

typedef struct {
    char (*names)[RES_STR];
    int n;
    const char *path;
    HHErr *err;
} LinkList;

static herr_t collect(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    LinkList *L = op;
    if (info->type != H5L_TYPE_HARD)
        return hh_fail(L->err, HH_EINPUT, "%s: /%.60s is a soft or external link; expected only tables "
                       "at the root", L->path, name), -1;
    H5O_info_t oi;
    if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, no_links()) < 0)
        return hh_fail(L->err, HH_EINPUT, "%s: /%.60s: unreadable object", L->path, name), -1;
    if (oi.type != H5O_TYPE_DATASET) return 0;  // not a table
    if (strlen(name) >= RES_STR)
        return hh_fail(L->err, HH_EINPUT, "%s: a table name longer than %d bytes", L->path, RES_STR - 1), -1;
    if (L->n == RES_MAX_TABLES)
        return hh_fail(L->err, HH_EINPUT, "%s: more than %d tables", L->path, RES_MAX_TABLES), -1;
    snprintf(L->names[L->n++], RES_STR, "%s", name);
    return 0;
}

// An optional string attribute of table `obj` into *out (malloc'd; NULL when absent).
static int table_attr(hid_t f, const char *obj, const char *name, size_t max, char **out, HHErr *err) {
    *out = NULL;
    htri_t ex = -1;
    H5E_BEGIN_TRY { ex = H5Aexists_by_name(f, obj, name, no_links()); } H5E_END_TRY;
    if (ex <= 0) return 0;
    return h5_get_attr_str(f, obj, name, max, out, err);
}

static int read_column(hid_t d, const char *path, const char *tname, ResTable *t, int j, hid_t ft,
                       HHErr *err) {
    ResCol *c = &t->col[j];
    hid_t mt = H5Tget_member_type(ft, (unsigned)j);
    H5T_class_t cl = mt >= 0 ? H5Tget_class(mt) : H5T_NO_CLASS;
    size_t sz = mt >= 0 ? H5Tget_size(mt) : 0;
    htri_t var = cl == H5T_STRING ? H5Tis_variable_str(mt) : 0;
    if (mt >= 0) H5Tclose(mt);
    const char *why = NULL;
    if ((cl == H5T_INTEGER || cl == H5T_FLOAT) && sz >= 1 && sz <= 16) c->kind = 'f';
    else if (cl == H5T_STRING && var == 0 && sz >= 1) c->kind = 's';
    else why = cl == H5T_STRING ? "a variable-length string" : "not an integer, float or fixed-length string";
    if (why)
        return hh_fail(err, HH_EINPUT, "%s: table /%s column %s is %s; expected the columns hhfit "
                       "writes", path, tname, c->name, why);
    size_t n = t->nrow, esz = c->kind == 'f' ? sizeof(double) : RES_STR;
    void *buf = calloc(n ? n : 1, esz);
    if (!buf) return hh_fail(err, HH_EFAIL, "out of memory reading %s", tname);
    hid_t et = H5I_INVALID_HID;
    if (c->kind == 'f') et = H5Tcopy(H5T_NATIVE_DOUBLE);
    else if ((et = H5Tcopy(H5T_C_S1)) >= 0) H5Tset_size(et, RES_STR), H5Tset_strpad(et, H5T_STR_NULLTERM);
    hid_t cm = H5Tcreate(H5T_COMPOUND, esz);
    // a conversion buffer of the table's size, not HDF5's default 1 MiB per read
    size_t el = H5Tget_size(ft) > esz ? H5Tget_size(ft) : esz;
    hid_t xp = H5Pcreate(H5P_DATASET_XFER);
    if (xp >= 0) H5Pset_buffer(xp, el * (n < 256 ? (n ? n : 1) : 256), NULL, NULL);
    herr_t st = -1;
    if (et >= 0 && cm >= 0 && xp >= 0 && H5Tinsert(cm, c->name, 0, et) >= 0)
        H5E_BEGIN_TRY { st = n ? H5Dread(d, cm, H5S_ALL, H5S_ALL, xp, buf) : 0; } H5E_END_TRY;
    if (xp >= 0) H5Pclose(xp);
    if (cm >= 0) H5Tclose(cm);
    if (et >= 0) H5Tclose(et);
    if (st < 0) {
        free(buf);
        return hh_fail(err, HH_EINPUT, "%s: table /%s column %s: unreadable (damaged file?)", path, tname, c->name);
    }
    if (c->kind == 'f') c->num = buf;
    else {
        c->str = buf;
        for (size_t i = 0; i < n; i++) c->str[i][RES_STR - 1] = '\0';
    }
    return 0;
}

static int read_table(hid_t f, const char *path, const char *name, ResTable *t, HHErr *err) {
    snprintf(t->name, sizeof t->name, "%s", name);
    hid_t d = H5Dopen2(f, name, no_links());
    if (d < 0) return hh_fail(err, HH_EINPUT, "%s: table /%s: cannot open", path, name);
    hid_t sp = H5Dget_space(d), ft = H5Dget_type(d), dcpl = H5Dget_create_plist(d);
    hsize_t dims[H5S_MAX_RANK] = {0};
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    int nm = ft >= 0 && H5Tget_class(ft) == H5T_COMPOUND ? H5Tget_nmembers(ft) : -1;
    H5D_layout_t lay = dcpl >= 0 ? H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
    const char *why = NULL;
    if (sp < 0 || rank != 1 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) why = "not one-dimensional";
    else if (dims[0] > RES_MAX_ROWS) why = "more rows than " "1000000";
    else if (nm < 1) why = "not a compound (H5TB) table";
    else if (nm > RES_MAX_COLS) why = "more than 64 columns";
    else if (lay == H5D_VIRTUAL || lay < 0 || H5Pget_external_count(dcpl) != 0)
        why = "stored in other files (virtual or external)";
    int rc = why ? hh_fail(err, HH_EINPUT, "%s: table /%s is %s; expected a table written by hhfit",
                           path, name, why) : 0;
    t->nrow = rc ? 0 : (size_t)dims[0];
    t->ncol = rc ? 0 : nm;
    for (int j = 0; j < t->ncol && !rc; j++) {
        char *mn = H5Tget_member_name(ft, (unsigned)j);
        if (!mn || !*mn || strlen(mn) >= RES_STR)
            rc = hh_fail(err, HH_EINPUT, "%s: table /%s column %d: name empty or longer than %d bytes",
                         path, name, j + 1, RES_STR - 1);
        else snprintf(t->col[j].name, RES_STR, "%s", mn);
        if (mn) H5free_memory(mn);
        if (!rc) rc = read_column(d, path, name, t, j, ft, err);
        char an[32], *u = NULL;
        snprintf(an, sizeof an, "FIELD_%d_UNITS", j);
        if (!rc && !(rc = table_attr(f, name, an, RES_STR - 1, &u, err)) && u)
            snprintf(t->col[j].units, RES_STR, "%s", u);
        free(u);
    }
    if (!rc) rc = table_attr(f, name, "description", 65536, &t->desc, err);
    if (!rc) rc = table_attr(f, name, "missing", 65536, &t->missing, err);
    if (!rc && !t->desc && !(t->desc = strdup(""))) rc = hh_fail(err, HH_EFAIL, "out of memory");
    if (dcpl >= 0) H5Pclose(dcpl);
    if (ft >= 0) H5Tclose(ft);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

static int read_tables(const char *path, Results *r, HHErr *err) {
    hid_t f;
    if (h5in_open(path, "results", &f, err)) return err->code;
    char (*names)[RES_STR] = malloc(sizeof *names * RES_MAX_TABLES);
    LinkList L = {names, 0, path, err};
    int rc = names ? 0 : hh_fail(err, HH_EFAIL, "out of memory");
    if (!rc) rc = read_prov(f, &r->prov, err);
    hsize_t idx = 0;
    if (!rc && H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &L) < 0)
        rc = err->code ? err->code : hh_fail(err, HH_EINPUT, "%s: cannot list the tables", path);
    if (!rc && !(r->tab = calloc((size_t)(L.n ? L.n : 1), sizeof *r->tab)))
        rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0; k < L.n && !rc; k++) {
        rc = read_table(f, path, names[k], &r->tab[k], err);
        r->ntab = k + 1;
    }
    free(names);
    H5Fclose(f);
    return rc;
}

int results_read(const char *dir, int what, Results *r, HHErr *err) {
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    char path[1100];
    int rc = 0;
    if (strlen(dir) > 1000) return hh_fail(err, HH_EINPUT, "results directory name longer than 1000 bytes");
    if (what & RES_CLAIMS) {
        snprintf(path, sizeof path, "%s/claims.csv", dir);
        rc = claims_read_csv(path, &r->rows, &r->res, &r->nclaim, err);
    }
    if (!rc && (what & RES_TABLES)) {
        snprintf(path, sizeof path, "%s/tables.h5", dir);
        rc = read_tables(path, r, err);
    }
    if (rc) results_free(r);
    return rc;
}

void results_free(Results *r) {
    for (int k = 0; k < r->ntab; k++) {
        ResTable *t = &r->tab[k];
        for (int j = 0; j < t->ncol; j++) free(t->col[j].num), free(t->col[j].str);
        free(t->desc), free(t->missing);
    }
    free(r->tab), free(r->prov.params), free(r->rows), free(r->res);
    r->tab = NULL, r->prov.params = NULL, r->rows = NULL, r->res = NULL;
    r->ntab = r->nclaim = 0;
}

const ResTable *results_table(const Results *r, const char *name) {
    if (name[0] == '/') name++;
    for (int k = 0; k < r->ntab; k++)
        if (!strcmp(r->tab[k].name, name)) return &r->tab[k];
    return NULL;
}

const ResCol *results_col(const ResTable *t, const char *name) {
    for (int j = 0; j < t->ncol; j++)
        if (!strcmp(t->col[j].name, name)) return &t->col[j];
    return NULL;
}
