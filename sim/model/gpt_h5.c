// gpt_h5.c - the model's HDF5 group (gpt_write_h5, gpt_read_h5) and
// gpt_hash; see gpt.h
#include "gpt.h"

#include <hdf5_hl.h>

static const char *CFG_ATTR[5] = {"n_layer", "d_model", "n_head", "ctx", "vocab"};

static int *cfg_field(GPTConfig *c, int i) {
    int *f[5] = {&c->n_layer, &c->d_model, &c->n_head, &c->ctx, &c->vocab};
    return f[i];
}

int gpt_write_h5(const GPT *m, hid_t group, HHErr *err) {
    GPTConfig cfg = m->cfg;
    for (int i = 0; i < 5; i++) {
        herr_t st = -1;
        H5E_BEGIN_TRY {
            st = H5LTset_attribute_int(group, ".", CFG_ATTR[i], cfg_field(&cfg, i), 1);
        } H5E_END_TRY;
        if (st < 0)
            return hh_fail(err, HH_EFAIL, "gpt_write_h5: cannot write attribute %s",
                           CFG_ATTR[i]);
    }
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = &m->tensors[i];
        int nl = t->per_layer ? m->cfg.n_layer : 1;
        hsize_t dims[2] = {(hsize_t)t->dims[0], (hsize_t)t->dims[1]};
        for (int l = 0; l < nl; l++) {
            char name[80];
            snprintf(name, sizeof name, t->name, l);
            const float *src = m->params + t->offset + (size_t)l * t->numel;
            herr_t st = -1;
            H5E_BEGIN_TRY {
                st = H5LTmake_dataset_float(group, name, t->rank, dims, src);
            } H5E_END_TRY;
            if (st < 0)
                return hh_fail(err, HH_EFAIL, "gpt_write_h5: cannot write "
                               "dataset %s", name);
        }
    }
    return 0;
}

static int read_tensor(hid_t group, const char *name, const GPTTensor *t,
                       float *dst, HHErr *err) {
    int rank = 0;
    hsize_t dims[2] = {0, 0};
    H5T_class_t cls;
    size_t sz;
    herr_t st = -1;
    if (H5LTfind_dataset(group, name) <= 0)
        return hh_fail(err, HH_EINPUT, "gpt_read_h5: dataset %s is missing", name);
    H5E_BEGIN_TRY {
        st = H5LTget_dataset_ndims(group, name, &rank);
        if (st >= 0 && rank == t->rank)
            st = H5LTget_dataset_info(group, name, dims, &cls, &sz);
    } H5E_END_TRY;
    if (st < 0)
        return hh_fail(err, HH_EFAIL, "gpt_read_h5: cannot query dataset %s", name);
    if (rank != t->rank)
        return hh_fail(err, HH_EINPUT, "gpt_read_h5: dataset %s has rank %d, "
                       "expected %d", name, rank, t->rank);
    if (cls != H5T_FLOAT)
        return hh_fail(err, HH_EINPUT, "gpt_read_h5: dataset %s is not a "
                       "float dataset", name);
    for (int k = 0; k < rank; k++)
        if (dims[k] != (hsize_t)t->dims[k])
            return hh_fail(err, HH_EINPUT, "gpt_read_h5: dataset %s has shape "
                           "(%llu%s%llu), expected (%d%s%d)", name,
                           (unsigned long long)dims[0], rank > 1 ? ", " : "",
                           (unsigned long long)(rank > 1 ? dims[1] : 0),
                           t->dims[0], rank > 1 ? ", " : "",
                           rank > 1 ? t->dims[1] : 0);
    H5E_BEGIN_TRY { st = H5LTread_dataset_float(group, name, dst); } H5E_END_TRY;
    if (st < 0)
        return hh_fail(err, HH_EFAIL, "gpt_read_h5: cannot read dataset %s", name);
    return 0;
}

int gpt_read_h5(hid_t group, GPT **out, int max_B, HHErr *err) {
    GPTConfig cfg;
    *out = NULL;
    for (int i = 0; i < 5; i++) {
        htri_t ex = -1;
        herr_t st = -1;
        H5E_BEGIN_TRY {
            ex = H5Aexists_by_name(group, ".", CFG_ATTR[i], H5P_DEFAULT);
            if (ex > 0) st = H5LTget_attribute_int(group, ".", CFG_ATTR[i],
                                                   cfg_field(&cfg, i));
        } H5E_END_TRY;
        if (ex <= 0 || st < 0)
            return hh_fail(err, HH_EINPUT, "gpt_read_h5: integer attribute %s "
                           "missing or unreadable on the model group",
                           CFG_ATTR[i]);
    }
    GPT *m = gpt_alloc(&cfg, max_B, err);
    if (!m) return err ? err->code : HH_EFAIL;
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = &m->tensors[i];
        int nl = t->per_layer ? cfg.n_layer : 1;
        for (int l = 0; l < nl; l++) {
            char name[80];
            snprintf(name, sizeof name, t->name, l);
            int rc = read_tensor(group, name, t, m->params + t->offset +
                                 (size_t)l * t->numel, err);
            if (rc) {
                gpt_free(m);
                return rc;
            }
        }
    }
    *out = m;
    return 0;
}

uint64_t gpt_hash(const float *params, size_t n) {
    const unsigned char *p = (const unsigned char *)params;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n * sizeof(float); i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}
