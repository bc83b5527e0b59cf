// h5craft.c - crafts hostile HDF5 files for the reader tests (tests/cli/readers.sh)
// and the fuzz seed corpus: each action edits a copy of a valid hhsim file in
// place with the HDF5 C API, as an attacker could.
//
//   h5craft FILE rank32                  dataset /evil: rank 32, (0,) + (0x414141414141,)*31,
//                                        chunked, unlimited maxshape
//   h5craft FILE rank8                   dataset /evil: rank 8, (0,) + (2^62,)*7, chunked
//   h5craft FILE attr-int-array OBJ NAME N   attribute NAME on OBJ := int32[N] (1, 2, ...)
//   h5craft FILE attr-fixstr OBJ NAME TEXT   attribute NAME := fixed-length string of
//                                        strlen(TEXT) bytes, no NUL terminator
//   h5craft FILE attr-double OBJ NAME X  attribute NAME := one float64 (nan, inf allowed)
//   h5craft FILE attr-int OBJ NAME N     attribute NAME := one int32 (scalar)
//   h5craft FILE fill DATASET X          every element of DATASET := X (converted to its type)
//   h5craft FILE set DATASET I X         element I (flat index) of DATASET := X
//   h5craft FILE resize DATASET N X      DATASET := float64[N], every value X
//   h5craft FILE retype DATASET          DATASET := the same shape as a string dataset
//   h5craft FILE delete PATH             unlink PATH
//   h5craft FILE elink PATH TARGET       PATH := external link to TARGET:/x
//   h5craft FILE softlink PATH TARGET    PATH := soft link to TARGET
//   h5craft FILE offset DATASET          print the file offset of DATASET's data (its
//                                        first chunk, or its contiguous storage)
// Exit 0 on success, 1 with a message otherwise.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <hdf5_hl.h>

static int die(const char *what) {
    fprintf(stderr, "h5craft: %s\n", what);
    return 1;
}

static int evil(hid_t f, int rank, hsize_t big) {
    hsize_t dims[32], maxd[32], chunk[32];
    for (int i = 0; i < rank; i++) {
        dims[i] = i ? big : 0;
        maxd[i] = H5S_UNLIMITED;
        chunk[i] = 1;
    }
    hid_t sp = H5Screate_simple(rank, dims, maxd);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (sp < 0 || dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0) return die("dataspace");
    hid_t d = H5Dcreate2(f, "evil", H5T_NATIVE_INT, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0) return die("cannot create /evil");
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return 0;
}

static int set_attr(hid_t f, const char *obj, const char *name, hid_t type, hid_t space,
                    const void *buf) {
    if (H5Aexists_by_name(f, obj, name, H5P_DEFAULT) > 0) H5Adelete_by_name(f, obj, name, H5P_DEFAULT);
    hid_t a = H5Acreate_by_name(f, obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, type, buf) < 0) return die("cannot write attribute");
    H5Aclose(a);
    return 0;
}

// Read DATASET as doubles, let edit() change them, write back in its own type.
static int rewrite(hid_t f, const char *name, long idx, double x) {
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return die("no such dataset");
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    double *v = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!v || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        return die("cannot read dataset");
    if (idx < 0) for (hssize_t i = 0; i < n; i++) v[i] = x;
    else if (idx < n) v[idx] = x;
    else return die("index out of range");
    // write without HDF5's clipping of out-of-range integers being silent: the
    // values given in tests fit the dataset's type
    if (H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        return die("cannot write dataset");
    free(v);
    H5Sclose(sp);
    H5Dclose(d);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) return die("usage: h5craft FILE ACTION ARGS (see tests/h5craft.c)");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(argv[1], H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return die("cannot open the file read-write");
    const char *act = argv[2];
    int rc;
    if (!strcmp(act, "rank32")) rc = evil(f, 32, 0x414141414141ULL);
    else if (!strcmp(act, "rank8")) rc = evil(f, 8, (hsize_t)1 << 62);
    else if (!strcmp(act, "attr-int-array") && argc == 6) {
        hsize_t n = strtoull(argv[5], NULL, 10);
        int *v = malloc(sizeof(int) * n);
        for (hsize_t i = 0; i < n; i++) v[i] = (int)i + 1;
        hid_t sp = H5Screate_simple(1, &n, NULL);
        rc = set_attr(f, argv[3], argv[4], H5T_NATIVE_INT, sp, v);
        H5Sclose(sp);
        free(v);
    } else if (!strcmp(act, "attr-fixstr") && argc == 6) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, strlen(argv[5]));
        H5Tset_strpad(t, H5T_STR_NULLPAD);  // exactly the bytes given, no terminator
        hid_t sp = H5Screate(H5S_SCALAR);
        rc = set_attr(f, argv[3], argv[4], t, sp, argv[5]);
        H5Sclose(sp);
        H5Tclose(t);
    } else if (!strcmp(act, "attr-double") && argc == 6) {
        double x = strtod(argv[5], NULL);
        hid_t sp = H5Screate(H5S_SCALAR);
        rc = set_attr(f, argv[3], argv[4], H5T_NATIVE_DOUBLE, sp, &x);
        H5Sclose(sp);
    } else if (!strcmp(act, "attr-int") && argc == 6) {
        int x = (int)strtol(argv[5], NULL, 10);
        hid_t sp = H5Screate(H5S_SCALAR);
        rc = set_attr(f, argv[3], argv[4], H5T_NATIVE_INT32, sp, &x);
        H5Sclose(sp);
    } else if (!strcmp(act, "fill") && argc == 5) {
        rc = rewrite(f, argv[3], -1, strtod(argv[4], NULL));
    } else if (!strcmp(act, "set") && argc == 6) {
        rc = rewrite(f, argv[3], strtol(argv[4], NULL, 10), strtod(argv[5], NULL));
    } else if (!strcmp(act, "resize") && argc == 6) {
        hsize_t n = strtoull(argv[4], NULL, 10);
        double *v = malloc(sizeof(double) * (n ? n : 1)), x = strtod(argv[5], NULL);
        for (hsize_t i = 0; i < n; i++) v[i] = x;
        H5Ldelete(f, argv[3], H5P_DEFAULT);
        rc = H5LTmake_dataset_double(f, argv[3], 1, &n, v) < 0 ? die("cannot write dataset") : 0;
        free(v);
    } else if (!strcmp(act, "retype") && argc == 4) {
        hid_t d = H5Dopen2(f, argv[3], H5P_DEFAULT);
        hid_t sp = d < 0 ? -1 : H5Dget_space(d);
        if (sp < 0) return die("no such dataset");
        H5Dclose(d);
        H5Ldelete(f, argv[3], H5P_DEFAULT);
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 3);
        d = H5Dcreate2(f, argv[3], t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        rc = d < 0 ? die("cannot create dataset") : 0;
        if (d >= 0) H5Dclose(d);
        H5Tclose(t);
        H5Sclose(sp);
    } else if (!strcmp(act, "delete") && argc == 4) {
        rc = H5Ldelete(f, argv[3], H5P_DEFAULT) < 0 ? die("cannot delete") : 0;
    } else if (!strcmp(act, "elink") && argc == 5) {
        H5Ldelete(f, argv[3], H5P_DEFAULT);
        rc = H5Lcreate_external(argv[4], "/x", f, argv[3], H5P_DEFAULT, H5P_DEFAULT) < 0
             ? die("cannot link") : 0;
    } else if (!strcmp(act, "offset") && argc == 4) {
        hid_t d = H5Dopen2(f, argv[3], H5P_DEFAULT);
        haddr_t a = HADDR_UNDEF;
        hsize_t off[32] = {0}, size = 0;
        unsigned mask = 0;
        hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
        if (d >= 0 && H5Dget_chunk_info(d, sp, 0, off, &mask, &a, &size) < 0) a = H5Dget_offset(d);
        if (sp >= 0) H5Sclose(sp);
        if (d >= 0) H5Dclose(d);
        rc = a == HADDR_UNDEF ? die("no data offset") : (printf("%llu\n", (unsigned long long)a), 0);
    } else if (!strcmp(act, "softlink") && argc == 5) {
        H5Ldelete(f, argv[3], H5P_DEFAULT);
        rc = H5Lcreate_soft(argv[4], f, argv[3], H5P_DEFAULT, H5P_DEFAULT) < 0 ? die("cannot link") : 0;
    } else {
        rc = die("unknown action or wrong number of arguments (see tests/h5craft.c)");
    }
    if (H5Fclose(f) < 0) return die("cannot close the file");
    return rc;
}
