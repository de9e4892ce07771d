/* checkpoint.c: save and load training state (serial HDF5 from one rank). */
#include "checkpoint.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/version.h"
#include "core/rng.h"
#include "io/h5attr.h"

#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKPOINT_VERSION 1

static void attr_i64(hid_t f, const char *name, int64_t v)
{
    hid_t sc = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, name, H5T_STD_I64LE, sc, H5P_DEFAULT, H5P_DEFAULT);
    PH_CHECK_H5(a, "writing a checkpoint attribute", "check free space");
    PH_CHECK_H5(H5Awrite(a, H5T_NATIVE_INT64, &v), "writing a checkpoint attribute", "check free space");
    H5Aclose(a), H5Sclose(sc);
}

static void attr_str(hid_t f, const char *name, const char *v)
{
    hid_t st = H5Tcopy(H5T_C_S1), sc = H5Screate(H5S_SCALAR);
    H5Tset_size(st, strlen(v) + 1);
    hid_t a = H5Acreate2(f, name, st, sc, H5P_DEFAULT, H5P_DEFAULT);
    PH_CHECK_H5(a, "writing a checkpoint attribute", "check free space");
    PH_CHECK_H5(H5Awrite(a, st, v), "writing a checkpoint attribute", "check free space");
    H5Aclose(a), H5Sclose(sc), H5Tclose(st);
}

static void write_tensor(hid_t f, const char *name, const ph_param *p, const float *dev)
{
    float *host = malloc(p->count * sizeof *host);
    PH_CHECK_ALLOC(host, "saving a checkpoint");
    ph_dev_download(p->be, host, dev, p->count);
    hsize_t dims[1] = {p->count};
    hid_t sp = H5Screate_simple(1, dims, NULL), lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(f, name, H5T_IEEE_F32LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    PH_CHECK_H5(d, "creating a checkpoint tensor", "check free space");
    PH_CHECK_H5(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, host),
                "writing a checkpoint tensor", "check free space");
    H5Dclose(d), H5Pclose(lcpl), H5Sclose(sp);
    free(host);
}

static void attr_f64(hid_t f, const char *name, double v)
{
    hid_t sc = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, name, H5T_IEEE_F64LE, sc, H5P_DEFAULT, H5P_DEFAULT);
    PH_CHECK_H5(a, "writing a checkpoint attribute", "check free space");
    PH_CHECK_H5(H5Awrite(a, H5T_NATIVE_DOUBLE, &v), "writing a checkpoint attribute", "check free space");
    H5Aclose(a), H5Sclose(sc);
}

void ph_checkpoint_save(const char *path, ph_param *const *params, int np,
                        const ph_checkpoint_meta *meta)
{
    char partial[4200];
    ph_partial_path(path, partial, sizeof partial);
    ph_partial_register(partial);
    hid_t f = H5Fcreate(partial, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    PH_CHECK_H5(f, "creating a checkpoint", "check that the output folder is writable");
    attr_i64(f, "phasor_checkpoint", CHECKPOINT_VERSION);
    attr_str(f, "model", meta->model);
    attr_i64(f, "step", meta->step);
    attr_i64(f, "seed", meta->seed);
    /* The batch order is Philox (seed, rng_stream) at counter index = step,
     * so the step is the RNG counter; data_cursor counts the samples drawn. */
    attr_i64(f, "rng_stream", PH_STREAM_BATCH);
    attr_i64(f, "rng_counter", meta->step);
    attr_i64(f, "data_cursor", meta->step * meta->batch);
    attr_f64(f, "best_metric", meta->best_metric);
    attr_i64(f, "tensors", np);
    attr_str(f, "config", meta->config);
    attr_str(f, "software_version", PHASOR_VERSION);
    attr_str(f, "git_commit", PHASOR_GIT_COMMIT);
    if (meta->machine) attr_str(f, "machine", meta->machine);
    if (meta->input[3] > 0) {
        hsize_t four = 4;
        hid_t sp = H5Screate_simple(1, &four, NULL), a = H5Acreate2(f, "input_shape", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        PH_CHECK_H5(a, "writing a checkpoint attribute", "check free space");
        PH_CHECK_H5(H5Awrite(a, H5T_NATIVE_INT64, meta->input), "writing a checkpoint attribute", "check free space");
        H5Aclose(a), H5Sclose(sp);
    }
    for (int i = 0; i < np; i++) {
        char name[64];
        snprintf(name, sizeof name, "params/%02d/w", i);
        write_tensor(f, name, params[i], params[i]->w);
        if (!params[i]->trainable) continue; /* a buffer: values only */
        snprintf(name, sizeof name, "params/%02d/m", i);
        write_tensor(f, name, params[i], params[i]->m);
        snprintf(name, sizeof name, "params/%02d/v", i);
        write_tensor(f, name, params[i], params[i]->v);
    }
    PH_CHECK_H5(H5Fclose(f), "closing a checkpoint", "check free space");
    ph_publish(partial, path);
}

static void read_tensor(hid_t f, const char *path, const char *name, const ph_param *p, float *dev)
{
    char what[4400];
    snprintf(what, sizeof what, "loading /%s from checkpoint %s", name, path);
    if (H5Lexists(f, "params", H5P_DEFAULT) <= 0 || H5Lexists(f, name, H5P_DEFAULT) <= 0)
        PH_FAIL(what, "tensor missing", "the checkpoint is damaged or of another model; move it away to start afresh");
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    PH_CHECK_H5(d, what, "the checkpoint is damaged");
    /* float32 as written (float64 converts); HDF5 would size its conversion
     * buffer by whatever element size a damaged type claims */
    hid_t t = H5Dget_type(d);
    PH_CHECK_H5(t, what, "the checkpoint is damaged");
    size_t tsize = H5Tget_size(t);
    int is_float = H5Tget_class(t) == H5T_FLOAT && (tsize == 4 || tsize == 8);
    H5Tclose(t);
    if (!is_float) PH_FAIL(what, "not a float32 tensor", "the checkpoint is damaged; move it away to start afresh");
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    if (n != (hssize_t)p->count) {
        char why[128];
        snprintf(why, sizeof why, "%lld values, the model has %zu", (long long)n, p->count);
        PH_FAIL(what, why, "the checkpoint belongs to another model size; use its config or move it away");
    }
    float *host = malloc(p->count * sizeof *host);
    PH_CHECK_ALLOC(host, "loading a checkpoint");
    PH_CHECK_H5(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, host), what,
                "the checkpoint is damaged or truncated; move it away to start afresh");
    ph_dev_upload(p->be, dev, host, p->count);
    free(host);
    H5Sclose(sp), H5Dclose(d);
}

int64_t ph_checkpoint_load(const char *path, ph_param *const *params, int np, const char *model,
                           double *best_metric)
{
    char what[4200];
    snprintf(what, sizeof what, "opening checkpoint %s", path);
    if (H5Fis_hdf5(path) <= 0)
        PH_FAIL(what, "not an HDF5 file or damaged", "move it away to start afresh");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    PH_CHECK_H5(f, what, "the checkpoint is damaged");
    int64_t version = 0, step = 0;
    if (H5Aexists(f, "phasor_checkpoint") <= 0 || H5Aexists(f, "step") <= 0 || H5Aexists(f, "model") <= 0)
        PH_FAIL(what, "not a phasor checkpoint", "give a checkpoint written by phasor-train");
    /* one value each, checked before reading (h5attr.h): an array would overflow */
    if (ph_h5_attr_i64(f, "phasor_checkpoint", &version))
        PH_FAIL(what, "phasor_checkpoint is not one integer", "the checkpoint is damaged");
    if (version != CHECKPOINT_VERSION)
        PH_FAIL(what, "unknown checkpoint version", "use the phasor that wrote it");
    char *stored = ph_h5_attr_str(f, "model");
    if (!stored) PH_FAIL(what, "its model attribute is not one name", "the checkpoint is damaged");
    if (strcmp(stored, model)) {
        char why[300];
        snprintf(why, sizeof why, "it holds model '%.128s', not '%s'", stored, model);
        free(stored);
        PH_FAIL(what, why, "use a matching config or move the checkpoint away");
    }
    free(stored);
    if (ph_h5_attr_i64(f, "step", &step)) PH_FAIL(what, "step is not one integer", "the checkpoint is damaged");
    int64_t tensors = -1;
    if (H5Aexists(f, "tensors") > 0 && ph_h5_attr_i64(f, "tensors", &tensors))
        PH_FAIL(what, "tensors is not one integer", "the checkpoint is damaged");
    if (tensors != np) {
        char why[300];
        snprintf(why, sizeof why, "it holds %lld tensors, this model has %d", (long long)tensors, np);
        PH_FAIL(what, why, "the model's shape differs: use the config that wrote it or move the checkpoint away");
    }
    if (best_metric) {
        *best_metric = -1;
        if (H5Aexists(f, "best_metric") > 0 && ph_h5_attr_f64(f, "best_metric", best_metric))
            PH_FAIL(what, "best_metric is not one number", "the checkpoint is damaged");
    }
    for (int i = 0; i < np; i++) {
        char name[64];
        snprintf(name, sizeof name, "params/%02d/w", i);
        read_tensor(f, path, name, params[i], params[i]->w);
        if (!params[i]->trainable) continue;
        snprintf(name, sizeof name, "params/%02d/m", i);
        read_tensor(f, path, name, params[i], params[i]->m);
        snprintf(name, sizeof name, "params/%02d/v", i);
        read_tensor(f, path, name, params[i], params[i]->v);
    }
    H5Fclose(f);
    return step;
}

char *ph_checkpoint_config(const char *path)
{
    char what[4200];
    snprintf(what, sizeof what, "reading the config of checkpoint %s", path);
    if (H5Fis_hdf5(path) <= 0) PH_FAIL(what, "not an HDF5 file or damaged", "move it away to start afresh");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    PH_CHECK_H5(f, what, "the checkpoint is damaged");
    /* NULL also when it is not one string (h5attr.h): no config to compare */
    char *text = ph_h5_attr_str(f, "config");
    H5Fclose(f);
    return text;
}

int ph_checkpoint_input_shape(const char *path, int64_t out[4])
{
    char what[4200];
    snprintf(what, sizeof what, "reading the input shape of checkpoint %s", path);
    if (H5Fis_hdf5(path) <= 0) PH_FAIL(what, "not an HDF5 file or damaged", "give a checkpoint written by phasor-train");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    PH_CHECK_H5(f, what, "the checkpoint is damaged");
    int found = 0;
    if (H5Aexists(f, "input_shape") > 0) {
        hid_t a = H5Aopen(f, "input_shape", H5P_DEFAULT), sp = H5Aget_space(a);
        PH_CHECK_H5(sp, what, "the checkpoint is damaged");
        if (H5Sget_simple_extent_npoints(sp) == 4) {
            PH_CHECK_H5(H5Aread(a, H5T_NATIVE_INT64, out), what, "the checkpoint is damaged");
            found = 1;
        }
        H5Sclose(sp), H5Aclose(a);
    }
    H5Fclose(f);
    return found;
}

static hid_t checkpoint_attr_open(const char *path, const char *name, hid_t *file)
{
    char what[4200];
    snprintf(what, sizeof what, "reading the %s attribute of %s", name, path);
    if (!ph_exists(path)) PH_FAIL_ALL(MPI_COMM_WORLD, what, "no such file", "train the model first, or give its best.h5");
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0) PH_FAIL_ALL(MPI_COMM_WORLD, what, "not an HDF5 file, or damaged", "give a phasor-train checkpoint");
    if (H5Aexists(*file, name) <= 0)
        PH_FAIL_ALL(MPI_COMM_WORLD, what, "the attribute is missing: not a phasor-train checkpoint",
                    "give phasor-train's best.h5 or checkpoint.h5");
    hid_t a = H5Aopen(*file, name, H5P_DEFAULT);
    PH_CHECK_H5(a, what, "the file may be damaged");
    return a;
}

char *ph_checkpoint_attr_str(const char *path, const char *name)
{
    hid_t f, a = checkpoint_attr_open(path, name, &f);
    hid_t t = H5Aget_type(a);
    char what[4200];
    snprintf(what, sizeof what, "reading the %s attribute of %s", name, path);
    PH_CHECK_H5(t, what, "the file may be damaged");
    if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t))
        PH_FAIL_ALL(MPI_COMM_WORLD, what, "not a fixed-length string", "give a phasor-train checkpoint");
    char *s = calloc(H5Tget_size(t) + 1, 1);
    PH_CHECK_ALLOC(s, what);
    PH_CHECK_H5(H5Aread(a, t, s), what, "the file may be damaged");
    H5Tclose(t), H5Aclose(a), H5Fclose(f);
    return s;
}

double ph_checkpoint_attr_num(const char *path, const char *name)
{
    hid_t f, a = checkpoint_attr_open(path, name, &f);
    double v = 0;
    char what[4200];
    snprintf(what, sizeof what, "reading the %s attribute of %s", name, path);
    PH_CHECK_H5(H5Aread(a, H5T_NATIVE_DOUBLE, &v), what, "the attribute is not a number: not a phasor checkpoint");
    H5Aclose(a), H5Fclose(f);
    return v;
}
