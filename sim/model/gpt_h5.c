// gpt_h5.c - the model's HDF5 group (gpt_write_h5, gpt_read_h5) and
// gpt_hash; see gpt.h
#include "gpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5_hl.h>

#include "h5io.h"

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
                st = h5_write_raw(group, name, H5T_NATIVE_FLOAT, t->rank, dims, src);
            } H5E_END_TRY;
            if (st < 0)
                return hh_fail(err, HH_EFAIL, "gpt_write_h5: cannot write "
                               "dataset %s", name);
        }
    }
    return 0;
}

static int read_tensor(hid_t group, const char *file, const char *name, const GPTTensor *t,
                       float *dst, HHErr *err) {
    hsize_t dims[2] = {(hsize_t)t->dims[0], (hsize_t)t->dims[1]};
    float *v = NULL;
    int rc = h5_read(group, file, name, H5T_NATIVE_FLOAT, t->rank, dims, (void **)&v, err);
    if (rc) return rc;
    for (size_t i = 0; i < t->numel; i++)
        if (!isfinite(v[i])) {
            hh_fail(err, HH_EINPUT, "gpt_read_h5: %s: dataset %s[%zu] is %g; allowed: finite "
                    "weights", file, name, i, (double)v[i]);
            free(v);
            return HH_EINPUT;
        }
    memcpy(dst, v, sizeof(float) * t->numel);
    free(v);
    return 0;
}

int gpt_read_h5_want(hid_t group, const GPTConfig *want, GPT **out, int max_B, HHErr *err) {
    GPTConfig cfg;
    *out = NULL;
    char file[1024];
    if (H5Fget_name(group, file, sizeof file) <= 0) snprintf(file, sizeof file, "(HDF5 file)");
    static const long HI[5] = {64, 4096, 64, 4096, 65536};
    for (int i = 0; i < 5; i++)
        if (h5_read_attr_int(group, ".", CFG_ATTR[i], 1, HI[i], cfg_field(&cfg, i), err))
            return hh_fail(err, HH_EINPUT, "gpt_read_h5: %s: integer attribute %s missing or "
                           "unreadable on the model group, or outside 1 to %ld", file,
                           CFG_ATTR[i], HI[i]);
    if (want && memcmp(&cfg, want, sizeof cfg) != 0)
        return hh_fail(err, HH_EINPUT, "gpt_read_h5: %s: model config n_layer=%d d_model=%d "
                       "n_head=%d ctx=%d vocab=%d; expected %d %d %d %d %d", file, cfg.n_layer,
                       cfg.d_model, cfg.n_head, cfg.ctx, cfg.vocab, want->n_layer, want->d_model,
                       want->n_head, want->ctx, want->vocab);
    if ((double)cfg.n_layer * 12.0 * cfg.d_model * cfg.d_model +
        ((double)cfg.vocab + cfg.ctx) * cfg.d_model > (double)(1 << 30))
        return hh_fail(err, HH_EINPUT, "gpt_read_h5: %s: model config n_layer=%d d_model=%d "
                       "vocab=%d ctx=%d has more than 2^30 parameters", file, cfg.n_layer,
                       cfg.d_model, cfg.vocab, cfg.ctx);
    GPT *m = gpt_alloc(&cfg, max_B, err);
    if (!m) return err ? err->code : HH_EFAIL;
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = &m->tensors[i];
        int nl = t->per_layer ? cfg.n_layer : 1;
        for (int l = 0; l < nl; l++) {
            char name[80];
            snprintf(name, sizeof name, t->name, l);
            int rc = read_tensor(group, file, name, t, m->params + t->offset +
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

int gpt_read_h5(hid_t group, GPT **out, int max_B, HHErr *err) {
    return gpt_read_h5_want(group, NULL, out, max_B, err);
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
