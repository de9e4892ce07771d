/* spectrum_file.c: spectrum files (spectrum.h): written collectively through
 * the sample-file writer (one "sample" per channel plane), read by every rank. */
#include "spectrum.h"

#include "core/error.h"
#include "core/fsutil.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

void ph_spectrum_write(MPI_Comm comm, const char *path, const ph_spectrum *sp,
                       const ph_provenance *prov)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    const int wc = sp->s / 2 + 1;
    ph_field f = {.name = "magnitude", .type = PH_F32, .ndims = 2, .dims = {(hsize_t)sp->s, (hsize_t)wc},
                  .doc = "mean magnitude |rfft2| per channel plane [S, S/2+1], unshifted (DC at [0,0]), "
                         "of the images scaled to [0,1], resized to S x S and decorrelated (basis)"};
    ph_samples_writer w;
    ph_samples_create(&w, comm, path, sp->c, &f, 1, sp->c, 0);
    ph_provenance_write(&w, prov);
    ph_samples_attr_i64(&w, "phasor_spectrum", 1);
    ph_samples_attr_i64(&w, "size", sp->s);
    ph_samples_attr_i64(&w, "images", sp->images);
    ph_samples_attr_str(&w, "basis", sp->basis);
    ph_samples_write(&w, 0, 0, rank == 0 ? sp->c : 0, sp->magnitude);
    ph_samples_close(&w);
}

static int64_t attr_i64(hid_t f, const char *name, const char *what)
{
    long long v = 0;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    PH_CHECK_H5(a, what, "the file is not a complete spectrum file; rerun phasor-preprocess spectrum");
    PH_CHECK_H5(H5Aread(a, H5T_NATIVE_LLONG, &v), what, "the file may be damaged");
    H5Aclose(a);
    return v;
}

void ph_spectrum_read(MPI_Comm comm, const char *path, ph_spectrum *sp)
{
    memset(sp, 0, sizeof *sp);
    char what[4200];
    snprintf(what, sizeof what, "reading spectrum file %s", path);
    if (!ph_exists(path)) PH_FAIL_ALL(comm, what, "no such file", "check the path; run phasor-preprocess spectrum first");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) PH_FAIL_ALL(comm, what, "not an HDF5 file or damaged", "rerun phasor-preprocess spectrum");
    if (H5Aexists(f, "phasor_spectrum") <= 0)
        PH_FAIL_ALL(comm, what, "no phasor_spectrum attribute: not a spectrum file",
                    "give the spectrum.h5 that phasor-preprocess spectrum wrote");
    if (attr_i64(f, "phasor_spectrum", what) != 1)
        PH_FAIL_ALL(comm, what, "unsupported spectrum file version", "rerun phasor-preprocess spectrum");
    sp->s = (int)attr_i64(f, "size", what);
    sp->images = attr_i64(f, "images", what);
    hid_t a = H5Aopen(f, "basis", H5P_DEFAULT);
    PH_CHECK_H5(a, what, "the file is not a complete spectrum file");
    hid_t t = H5Aget_type(a);
    if (H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t) && H5Tget_size(t) <= sizeof sp->basis)
        PH_CHECK_H5(H5Aread(a, t, sp->basis), what, "the file may be damaged");
    H5Tclose(t);
    H5Aclose(a);
    hid_t d = H5Dopen2(f, "magnitude", H5P_DEFAULT);
    if (d < 0) PH_FAIL_ALL(comm, what, "no /magnitude dataset", "rerun phasor-preprocess spectrum");
    hid_t space = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    int nd = H5Sget_simple_extent_ndims(space);
    if (nd == 3) H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    if (nd != 3 || (dims[0] != 1 && dims[0] != 3) || dims[1] != (hsize_t)sp->s ||
        dims[2] != (hsize_t)(sp->s / 2 + 1) || sp->s < 2)
        PH_FAIL_ALL(comm, what, "/magnitude is not [C, S, S/2+1] with C = 1 or 3 and S the size attribute",
                    "rerun phasor-preprocess spectrum");
    sp->c = (int)dims[0];
    size_t count = (size_t)dims[0] * dims[1] * dims[2];
    sp->magnitude = malloc(count * sizeof *sp->magnitude);
    PH_CHECK_ALLOC(sp->magnitude, "reading a spectrum");
    PH_CHECK_H5(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, sp->magnitude), what,
                "the file may be damaged");
    H5Dclose(d);
    PH_CHECK_H5(H5Fclose(f), what, "the file may be damaged");
}

void ph_spectrum_free(ph_spectrum *sp)
{
    free(sp->magnitude);
    sp->magnitude = NULL;
}
