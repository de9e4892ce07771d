/* h5samples.c: parallel HDF5 sample files (MPI-IO driver, collective transfers). */
#include "h5samples.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "core/version.h"
#include "h5attr.h"

#include <libdeflate.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ph_dtype_names[PH_DTYPE_COUNT] = {
    [PH_U8] = "uint8", [PH_I16] = "int16", [PH_I32] = "int32", [PH_F32] = "float32"};

static const size_t dtype_sizes[PH_DTYPE_COUNT] = {
    [PH_U8] = 1, [PH_I16] = 2, [PH_I32] = 4, [PH_F32] = 4};

size_t ph_dtype_size(ph_dtype t) { return dtype_sizes[t]; }

static hid_t mem_type(ph_dtype t)
{
    switch (t) {
    case PH_U8: return H5T_NATIVE_UINT8;
    case PH_I16: return H5T_NATIVE_INT16;
    case PH_I32: return H5T_NATIVE_INT32;
    case PH_F32: return H5T_NATIVE_FLOAT;
    default: return -1;
    }
}

static hid_t file_type(ph_dtype t)
{
    switch (t) {
    case PH_U8: return H5T_STD_U8LE;
    case PH_I16: return H5T_STD_I16LE;
    case PH_I32: return H5T_STD_I32LE;
    case PH_F32: return H5T_IEEE_F32LE;
    default: return -1;
    }
}

size_t ph_field_sample_bytes(const ph_field *f)
{
    size_t b = ph_dtype_size(f->type);
    for (int i = 0; i < f->ndims; i++) b *= (size_t)f->dims[i];
    return b;
}

void ph_rank_range(int64_t n, int64_t chunk, int rank, int size, int64_t *start, int64_t *count)
{
    int64_t nchunks = (n + chunk - 1) / chunk;
    int64_t c0 = nchunks * rank / size, c1 = nchunks * (rank + 1) / size;
    int64_t s0 = c0 * chunk, s1 = c1 * chunk;
    if (s0 > n) s0 = n;
    if (s1 > n) s1 = n;
    *start = s0;
    *count = s1 - s0;
}

static hid_t dxpl_collective(void)
{
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    PH_CHECK_H5(dxpl, "creating an HDF5 transfer property list", "check the HDF5 installation");
    PH_CHECK_H5(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE),
                "selecting collective MPI-IO transfers", "HDF5 must be built with MPI (libhdf5-openmpi-dev)");
    return dxpl;
}

static hid_t fapl_mpio(MPI_Comm comm)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    PH_CHECK_H5(fapl, "creating an HDF5 file-access property list", "check the HDF5 installation");
    PH_CHECK_H5(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "selecting the MPI-IO file driver",
                "HDF5 must be built with MPI (libhdf5-openmpi-dev)");
    /* Metadata reads by one rank and broadcast; writes collective: scales to many ranks. */
    PH_CHECK_H5(H5Pset_all_coll_metadata_ops(fapl, 1), "enabling collective metadata reads",
                "HDF5 1.10 or newer is required");
    PH_CHECK_H5(H5Pset_coll_metadata_write(fapl, 1), "enabling collective metadata writes",
                "HDF5 1.10 or newer is required");
    return fapl;
}

int64_t ph_samples_field_chunk(const ph_field *f, int64_t chunk)
{
    const size_t b = ph_field_sample_bytes(f);
    int64_t best = 1;
    for (int64_t d = 1; d <= chunk; d++)
        if (chunk % d == 0 && (size_t)d * b <= PH_CHUNK_AUTO_BYTES) best = d;
    return best;
}

void ph_samples_create(ph_samples_writer *w, MPI_Comm comm, const char *path, int64_t n,
                       const ph_field *fields, int nfields, int64_t chunk, int deflate)
{
    memset(w, 0, sizeof *w);
    w->comm = comm;
    MPI_Comm_rank(comm, &w->rank);
    MPI_Comm_size(comm, &w->size);
    w->n = n;
    const int auto_chunk = chunk <= 0;
    w->chunk = auto_chunk ? PH_CHUNK_AUTO_MAX : chunk;
    w->chunk = w->chunk < n ? w->chunk : n;
    if (w->chunk < 1) w->chunk = 1;
    if (nfields > PH_MAX_FIELDS) PH_FAIL("creating a sample file", "too many datasets", "this is a bug");
    w->nfields = nfields;
    memcpy(w->fields, fields, (size_t)nfields * sizeof *fields);
    snprintf(w->final_path, sizeof w->final_path, "%s", path);
    ph_partial_path(path, w->partial_path, sizeof w->partial_path);
    ph_partial_register(w->partial_path);

    hid_t fapl = fapl_mpio(comm);
    w->file = H5Fcreate(w->partial_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    char what[4200];
    snprintf(what, sizeof what, "creating %s", w->partial_path);
    PH_CHECK_H5(w->file, what, "check that the output directory exists, is writable and has space");
    H5Pclose(fapl);
    w->dxpl = dxpl_collective();

    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    PH_CHECK_H5(H5Pset_create_intermediate_group(lcpl, 1), "allowing nested dataset paths",
                "check the HDF5 installation");
    for (int f = 0; f < nfields; f++) {
        const ph_field *fd = &w->fields[f];
        hsize_t dims[PH_FIELD_MAX_DIMS + 1], cdims[PH_FIELD_MAX_DIMS + 1];
        dims[0] = (hsize_t)n;
        cdims[0] = (hsize_t)(auto_chunk ? ph_samples_field_chunk(fd, w->chunk) : w->chunk);
        for (int d = 0; d < fd->ndims; d++) dims[d + 1] = cdims[d + 1] = fd->dims[d];
        hid_t space = H5Screate_simple(fd->ndims + 1, dims, NULL);
        PH_CHECK_H5(space, "creating a dataspace", "check the dataset dimensions");
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        PH_CHECK_H5(H5Pset_chunk(dcpl, fd->ndims + 1, cdims), "setting the chunk shape",
                    "lower generate.chunk");
        PH_CHECK_H5(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "disabling fill values",
                    "check the HDF5 installation");
        if (deflate > 0)
            PH_CHECK_H5(H5Pset_deflate(dcpl, (unsigned)deflate), "enabling deflate compression",
                        "HDF5 must have zlib; or set generate.deflate = 0");
        snprintf(what, sizeof what, "creating dataset /%s in %s", fd->name, w->partial_path);
        w->dsets[f] = H5Dcreate2(w->file, fd->name, file_type(fd->type), space, lcpl, dcpl,
                                 H5P_DEFAULT);
        PH_CHECK_H5(w->dsets[f], what, "check free space and the dataset layout");
        if (fd->doc) {
            hid_t st = H5Tcopy(H5T_C_S1);
            H5Tset_size(st, strlen(fd->doc) + 1);
            hid_t sc = H5Screate(H5S_SCALAR);
            hid_t a = H5Acreate2(w->dsets[f], "doc", st, sc, H5P_DEFAULT, H5P_DEFAULT);
            PH_CHECK_H5(a, "creating a dataset doc attribute", "check free space");
            PH_CHECK_H5(H5Awrite(a, st, fd->doc), "writing a dataset doc attribute", "check free space");
            H5Aclose(a);
            H5Sclose(sc);
            H5Tclose(st);
        }
        H5Pclose(dcpl);
        H5Sclose(space);
    }
    H5Pclose(lcpl);
}

static void attr_write(hid_t obj, const char *name, hid_t type, const void *value)
{
    hid_t sc = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, type, sc, H5P_DEFAULT, H5P_DEFAULT);
    PH_CHECK_H5(a, "creating a file attribute", "check free space; very long config texts need fewer comments");
    PH_CHECK_H5(H5Awrite(a, type, value), "writing a file attribute", "check free space");
    H5Aclose(a);
    H5Sclose(sc);
}

void ph_samples_attr_str(ph_samples_writer *w, const char *name, const char *value)
{
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, strlen(value) + 1);
    H5Tset_strpad(st, H5T_STR_NULLTERM);
    attr_write(w->file, name, st, value);
    H5Tclose(st);
}

void ph_samples_attr_i64(ph_samples_writer *w, const char *name, int64_t value)
{
    hid_t sc = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(w->file, name, H5T_STD_I64LE, sc, H5P_DEFAULT, H5P_DEFAULT);
    PH_CHECK_H5(a, "creating a file attribute", "check free space");
    PH_CHECK_H5(H5Awrite(a, H5T_NATIVE_INT64, &value), "writing a file attribute", "check free space");
    H5Aclose(a);
    H5Sclose(sc);
}

/* File and memory selections for samples [start, start+count) of a dataset. */
static void select_range(hid_t dset, int ndims, const hsize_t *dims, int64_t start,
                         int64_t count, hid_t *filespace, hid_t *memspace)
{
    hsize_t off[PH_FIELD_MAX_DIMS + 1] = {0}, cnt[PH_FIELD_MAX_DIMS + 1];
    off[0] = (hsize_t)start;
    cnt[0] = (hsize_t)(count > 0 ? count : 1);
    for (int d = 0; d < ndims; d++) cnt[d + 1] = dims[d];
    *filespace = H5Dget_space(dset);
    PH_CHECK_H5(*filespace, "getting a dataset's dataspace", "the file may be damaged");
    *memspace = H5Screate_simple(ndims + 1, cnt, NULL);
    PH_CHECK_H5(*memspace, "creating a memory dataspace", "check the sample shape");
    if (count > 0) {
        PH_CHECK_H5(H5Sselect_hyperslab(*filespace, H5S_SELECT_SET, off, NULL, cnt, NULL),
                    "selecting a sample range", "the range must lie inside the dataset");
    } else {
        PH_CHECK_H5(H5Sselect_none(*filespace), "selecting nothing", "check the HDF5 installation");
        PH_CHECK_H5(H5Sselect_none(*memspace), "selecting nothing", "check the HDF5 installation");
    }
}

void ph_samples_write(ph_samples_writer *w, int field, int64_t start, int64_t count,
                      const void *buf)
{
    static const uint8_t dummy[8];
    const ph_field *fd = &w->fields[field];
    hid_t fs, ms;
    select_range(w->dsets[field], fd->ndims, fd->dims, start, count, &fs, &ms);
    double t0 = ph_now();
    char what[256];
    snprintf(what, sizeof what, "writing samples %lld..%lld of /%s", (long long)start,
             (long long)(start + count), fd->name);
    PH_CHECK_H5(H5Dwrite(w->dsets[field], mem_type(fd->type), ms, fs, w->dxpl,
                         count > 0 ? buf : dummy),
                what, "check free space and quota on the output file system");
    w->write_seconds += ph_now() - t0;
    H5Sclose(fs);
    H5Sclose(ms);
}

void ph_samples_close(ph_samples_writer *w)
{
    for (int f = 0; f < w->nfields; f++)
        PH_CHECK_H5(H5Dclose(w->dsets[f]), "closing a dataset", "check free space");
    H5Pclose(w->dxpl);
    double t0 = ph_now();
    PH_CHECK_H5(H5Fclose(w->file), "closing the sample file (flushing metadata)",
                "check free space and quota on the output file system");
    w->write_seconds += ph_now() - t0;
    PH_CHECK_MPI(MPI_Barrier(w->comm), "waiting for every rank to close the file",
                 "another rank failed; see its message");
    if (w->rank == 0) {
        t0 = ph_now();
        ph_publish(w->partial_path, w->final_path);
        w->publish_seconds = ph_now() - t0;
    }
    ph_partial_forget(w->partial_path);
    PH_CHECK_MPI(MPI_Barrier(w->comm), "waiting for rank 0 to publish the file",
                 "rank 0 failed; see its message");
}

/* ---- reading ------------------------------------------------------------ */

static int64_t dataset_n(ph_samples_reader *r, const char *name)
{
    hid_t d = H5Dopen2(r->file, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t s = H5Dget_space(d);
    hsize_t dims[PH_FIELD_MAX_DIMS + 1];
    int nd = H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sclose(s);
    H5Dclose(d);
    return nd >= 1 ? (int64_t)dims[0] : -1;
}

/* Opens and checks; fapl and dxpl say how (collective MPI-IO, or this process alone). */
static void samples_open(ph_samples_reader *r, MPI_Comm comm, const char *path, int local)
{
    memset(r, 0, sizeof *r);
    r->comm = comm;
    snprintf(r->path, sizeof r->path, "%s", path);
    char what[4200];
    snprintf(what, sizeof what, "opening sample file %s", path);
    if (!ph_exists(path)) PH_FAIL_ALL(comm, what, "no such file", "check the path; run phasor-generate first");
#if H5_VERSION_GE(1, 12, 0)
    if (H5Fis_accessible(path, H5P_DEFAULT) <= 0)
#else
    if (H5Fis_hdf5(path) <= 0)
#endif
        PH_FAIL_ALL(comm, what, "not an HDF5 file or damaged", "regenerate the file with phasor-generate");
    hid_t fapl = local ? H5Pcreate(H5P_FILE_ACCESS) : fapl_mpio(comm); /* local: the POSIX driver */
    PH_CHECK_H5(fapl, "creating an HDF5 file-access property list", "check the HDF5 installation");
    r->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    /* The open is collective and fails alike on every rank: one line (rank 0's), not one per rank. */
    int bad = r->file < 0, any = 0;
    PH_CHECK_MPI(MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, comm), what, "another rank failed");
    if (any)
        PH_FAIL_ALL(comm, what, "HDF5 cannot open it: truncated, damaged or still being written",
                    "regenerate the file, or wait for the run writing it");
    r->dxpl = local ? H5Pcreate(H5P_DATASET_XFER) : dxpl_collective();
    PH_CHECK_H5(r->dxpl, "creating an HDF5 transfer property list", "check the HDF5 installation");
    if (H5Aexists(r->file, "phasor_schema") <= 0)
        PH_FAIL_ALL(comm, what, "no phasor_schema attribute: not a phasor sample file",
                "give a file written by phasor-generate or phasor-preprocess");
    int64_t schema = 0;
    if (ph_h5_attr_i64(r->file, "phasor_schema", &schema))
        PH_FAIL_ALL(comm, what, "phasor_schema is not one integer", "the file may be damaged; regenerate it");
    if (schema != PHASOR_SCHEMA_VERSION) {
        char why[128];
        snprintf(why, sizeof why, "schema version %lld, this phasor reads version %d",
                 (long long)schema, PHASOR_SCHEMA_VERSION);
        PH_FAIL_ALL(comm, what, why, "regenerate the file with this phasor or use a matching phasor");
    }
    int64_t nx = dataset_n(r, "x"), ny = dataset_n(r, "y");
    if (nx < 0 || ny < 0) PH_FAIL_ALL(comm, what, "missing /x or /y", "the file is incomplete; regenerate it");
    if (nx != ny) {
        char why[128];
        snprintf(why, sizeof why, "/x has %lld samples but /y has %lld", (long long)nx, (long long)ny);
        PH_FAIL_ALL(comm, what, why, "the file is inconsistent; regenerate it");
    }
    if (nx == 0) ph_usage_error("%s: the file has no samples; generate or import at least one", path);
    r->n = nx;
}

void ph_samples_open(ph_samples_reader *r, MPI_Comm comm, const char *path) { samples_open(r, comm, path, 0); }

void ph_samples_open_local(ph_samples_reader *r, const char *path) { samples_open(r, MPI_COMM_SELF, path, 1); }

int ph_samples_has(ph_samples_reader *r, const char *name)
{
    return H5Lexists(r->file, name, H5P_DEFAULT) > 0;
}

void ph_samples_field(ph_samples_reader *r, const char *name, ph_field *out)
{
    memset(out, 0, sizeof *out);
    char what[4400];
    snprintf(what, sizeof what, "reading /%s of %s", name, r->path);
    if (!ph_samples_has(r, name))
        PH_FAIL_ALL(r->comm, what, "no such dataset", "check the file's challenge with h5dump -H");
    hid_t d = H5Dopen2(r->file, name, H5P_DEFAULT);
    PH_CHECK_H5(d, what, "the file may be damaged");
    hid_t s = H5Dget_space(d), t = H5Dget_type(d);
    hsize_t dims[PH_FIELD_MAX_DIMS + 2];
    int nd = H5Sget_simple_extent_ndims(s);
    if (nd < 1 || nd > PH_FIELD_MAX_DIMS + 1)
        PH_FAIL_ALL(r->comm, what, "unsupported number of dimensions", "the file is not a phasor sample file");
    H5Sget_simple_extent_dims(s, dims, NULL);
    if ((int64_t)dims[0] != r->n)
        PH_FAIL_ALL(r->comm, what, "first dimension differs from the number of samples", "regenerate the file");
    snprintf(out->name, sizeof out->name, "%s", name);
    out->ndims = nd - 1;
    for (int i = 1; i < nd; i++) out->dims[i - 1] = dims[i];
    H5T_class_t cls = H5Tget_class(t);
    size_t sz = H5Tget_size(t);
    /* What phasor writes (uint8, int16, int32, float32) and what converts to it;
     * HDF5 sizes its conversion buffer by whatever element size a damaged type claims. */
    if (!(cls == H5T_INTEGER && (sz == 1 || sz == 2 || sz == 4 || sz == 8)) && !(cls == H5T_FLOAT && (sz == 4 || sz == 8)))
        PH_FAIL_ALL(r->comm, what, "elements are not 1-8 byte integers or float32/float64",
                    "the file is not a phasor sample file");
    if (cls == H5T_FLOAT)
        out->type = PH_F32;
    else if (sz == 1)
        out->type = PH_U8;
    else if (sz == 2)
        out->type = PH_I16;
    else
        out->type = PH_I32;
    H5Tclose(t);
    H5Sclose(s);
    H5Dclose(d);
}

/* "reading samples A..B of /NAME in PATH" into what; fatal when the range is outside the file. */
static void range_check(const ph_samples_reader *r, const char *name, int64_t start, int64_t count, char *what,
                        size_t n)
{
    snprintf(what, n, "reading samples %lld..%lld of /%s in %s", (long long)start, (long long)(start + count),
             name, r->path);
    if (start < 0 || count < 0 || start + count > r->n)
        PH_FAIL(what, "range outside the dataset", "ask for samples that exist");
}

/* Samples [start, start + count) of open dataset d (shape f) through H5Dread, converted to type. */
static void dataset_read(const ph_samples_reader *r, hid_t d, const ph_field *f, ph_dtype type, int64_t start,
                         int64_t count, void *buf, const char *what)
{
    static uint8_t dummy[8];
    hid_t fs, ms;
    select_range(d, f->ndims, f->dims, start, count, &fs, &ms);
    PH_CHECK_H5(H5Dread(d, mem_type(type), ms, fs, r->dxpl, count > 0 ? buf : dummy), what,
                "the file may be damaged or truncated; regenerate it");
    H5Sclose(fs);
    H5Sclose(ms);
}

void ph_samples_read(ph_samples_reader *r, const char *name, ph_dtype type, int64_t start,
                     int64_t count, void *buf)
{
    ph_field f;
    ph_samples_field(r, name, &f);
    char what[4400];
    range_check(r, name, start, count, what, sizeof what);
    hid_t d = H5Dopen2(r->file, name, H5P_DEFAULT);
    PH_CHECK_H5(d, what, "the file may be damaged");
    dataset_read(r, d, &f, type, start, count, buf, what);
    H5Dclose(d);
}

void ph_samples_rows_open(ph_samples_rows *d, ph_samples_reader *r, const char *name, ph_dtype type,
                          int cache_chunks)
{
    memset(d, 0, sizeof *d);
    d->r = r, d->type = type;
    ph_samples_field(r, name, &d->f);
    d->row_bytes = ph_field_sample_bytes(&d->f) / ph_dtype_size(d->f.type) * ph_dtype_size(type);
    char what[4400];
    snprintf(what, sizeof what, "opening /%s of %s for reading", name, r->path);
    /* The chunk cache holds cache_chunks whole chunks: rows read in ascending
     * order then decompress each chunk once, however many rows they take from it. */
    hid_t d0 = H5Dopen2(r->file, name, H5P_DEFAULT);
    PH_CHECK_H5(d0, what, "the file may be damaged");
    hid_t dcpl = H5Dget_create_plist(d0);
    PH_CHECK_H5(dcpl, what, "the file may be damaged");
    hsize_t cdims[PH_FIELD_MAX_DIMS + 1] = {1};
    size_t chunk_bytes = d->row_bytes;
    int whole_samples = 0;
    if (H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, d->f.ndims + 1, cdims) == d->f.ndims + 1) {
        chunk_bytes = (size_t)cdims[0] * ph_field_sample_bytes(&d->f);
        whole_samples = 1;
        for (int i = 0; i < d->f.ndims; i++) whole_samples &= cdims[i + 1] == d->f.dims[i];
    }
    /* the direct path: this process's own handle, deflate alone, stored as read */
    unsigned flags, cd[8];
    size_t ncd = 8;
    hid_t ftype = H5Dget_type(d0);
    d->direct = r->comm == MPI_COMM_SELF && whole_samples && H5Pget_nfilters(dcpl) == 1 &&
                H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, NULL, NULL) == H5Z_FILTER_DEFLATE &&
                ftype >= 0 && H5Tequal(ftype, mem_type(type)) > 0;
    if (ftype >= 0) H5Tclose(ftype);
    H5Pclose(dcpl);
    H5Dclose(d0);
    if (d->direct) {
        d->chunk = (int64_t)cdims[0];
        d->chunk_buf = malloc(chunk_bytes ? chunk_bytes : 1);
        d->inflater = libdeflate_alloc_decompressor();
        PH_CHECK_ALLOC(d->chunk_buf && d->inflater, "allocating a chunk buffer");
    }
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    PH_CHECK_H5(dapl, what, "check the HDF5 installation");
    const size_t cache = chunk_bytes * (size_t)(cache_chunks > 0 ? cache_chunks : 1);
    PH_CHECK_H5(H5Pset_chunk_cache(dapl, 521, cache > (1u << 20) ? cache : (1u << 20), 1.0), what,
                "check the HDF5 installation");
    d->dset = H5Dopen2(r->file, name, dapl);
    H5Pclose(dapl);
    PH_CHECK_H5(d->dset, what, "the file may be damaged");
}

/* Rows [start, start + count) chunk by chunk: raw bytes, inflated. */
static void rows_read_direct(ph_samples_rows *d, int64_t start, int64_t count, uint8_t *out, const char *what)
{
    const size_t row = d->row_bytes, full = (size_t)d->chunk * row;
    for (int64_t c0 = start / d->chunk * d->chunk; c0 < start + count; c0 += d->chunk) {
        hsize_t off[PH_FIELD_MAX_DIMS + 1] = {(hsize_t)c0}, stored = 0;
        uint32_t skipped = 0;
        PH_CHECK_H5(H5Dget_chunk_storage_size(d->dset, off, &stored), what, "the file may be damaged; regenerate it");
        if (stored > d->raw_cap) {
            free(d->raw);
            d->raw = malloc(stored), d->raw_cap = stored;
            PH_CHECK_ALLOC(d->raw, "reading a chunk");
        }
        PH_CHECK_H5(H5Dread_chunk(d->dset, H5P_DEFAULT, off, &skipped, d->raw), what,
                    "the file may be damaged or truncated; regenerate it");
        const int64_t lo = start > c0 ? start : c0, hi = start + count < c0 + d->chunk ? start + count : c0 + d->chunk;
        const int whole = lo == c0 && hi == c0 + d->chunk; /* every row of the chunk asked for */
        uint8_t *dst = whole ? out + (size_t)(lo - start) * row : d->chunk_buf;
        size_t got = stored;
        if (skipped & 1) /* stored without deflate */
            memcpy(dst, d->raw, stored < full ? stored : full);
        else if (libdeflate_zlib_decompress(d->inflater, d->raw, stored, dst, full, &got) != LIBDEFLATE_SUCCESS)
            got = 0;
        if (got != full) PH_FAIL(what, "a chunk does not inflate to its size", "the file is damaged; regenerate it");
        if (!whole) memcpy(out + (size_t)(lo - start) * row, d->chunk_buf + (size_t)(lo - c0) * row, (size_t)(hi - lo) * row);
    }
}

void ph_samples_rows_read(ph_samples_rows *d, int64_t start, int64_t count, void *buf)
{
    char what[4400];
    range_check(d->r, d->f.name, start, count, what, sizeof what);
    if (d->direct)
        rows_read_direct(d, start, count, buf, what);
    else
        dataset_read(d->r, d->dset, &d->f, d->type, start, count, buf, what);
}

void ph_samples_rows_close(ph_samples_rows *d)
{
    if (d->dset > 0) H5Dclose(d->dset);
    if (d->inflater) libdeflate_free_decompressor(d->inflater);
    free(d->raw), free(d->chunk_buf);
    memset(d, 0, sizeof *d);
}

void ph_samples_labels_read(ph_samples_reader *r, int64_t start, int64_t count, int32_t *out, int classes)
{
    ph_field f;
    ph_samples_field(r, "y", &f);
    if (f.ndims != 0 || f.type == PH_F32)
        ph_usage_error("%s: /y is %s with %d value(s) per sample, but class labels are one integer per sample "
                       "(int32 [N]); give a classification sample file (docs/schema.md)",
                       r->path, ph_dtype_names[f.type], f.ndims ? (int)ph_field_sample_bytes(&f) / (int)ph_dtype_size(f.type) : 1);
    ph_samples_read(r, "y", PH_I32, start, count, out);
    /* the first label that is not a class, over all ranks (each may read a
     * different range): its sample index, then its value */
    long long bad[2] = {LLONG_MAX, 0};
    for (int64_t i = 0; i < count; i++)
        if (out[i] < 0 || (classes > 0 && out[i] >= classes)) {
            bad[0] = start + i;
            break;
        }
    MPI_Allreduce(MPI_IN_PLACE, &bad[0], 1, MPI_LONG_LONG, MPI_MIN, r->comm);
    if (bad[0] == LLONG_MAX) return;
    bad[1] = bad[0] >= start && bad[0] < start + count ? out[bad[0] - start] : LLONG_MIN;
    MPI_Allreduce(MPI_IN_PLACE, &bad[1], 1, MPI_LONG_LONG, MPI_MAX, r->comm);
    if (classes > 0)
        ph_usage_error("%s: label %lld of sample %lld is not a class of this run (0 to %d); give a file whose "
                       "labels are the classes the model was trained on", r->path, bad[1], bad[0], classes - 1);
    ph_usage_error("%s: label %lld of sample %lld is negative; class labels are 0, 1, 2, ... (fix /y)", r->path,
                   bad[1], bad[0]);
}

void ph_samples_stimuli_field(ph_samples_reader *r, ph_field *out)
{
    ph_samples_field(r, "x", out);
    if ((out->ndims != 4 && out->ndims != 3) || out->type != PH_U8 || !out->dims[out->ndims - 1])
        ph_usage_error("%s: /x is %s with %d dimensions per sample, but stimuli are uint8 [N,T,H,W,C] videos or "
                       "[N,H,W,C] images; give a file written by phasor-generate or phasor-preprocess",
                       r->path, ph_dtype_names[out->type], out->ndims);
}

char *ph_samples_attr(ph_samples_reader *r, const char *name)
{
    char *out = ph_h5_attr_str(r->file, name);
    int64_t v;
    if (!out && !ph_h5_attr_i64(r->file, name, &v)) {
        out = malloc(32);
        PH_CHECK_ALLOC(out, "reading a file attribute");
        snprintf(out, 32, "%lld", (long long)v);
    }
    return out;
}

void ph_samples_reader_close(ph_samples_reader *r)
{
    H5Pclose(r->dxpl);
    PH_CHECK_H5(H5Fclose(r->file), "closing a sample file", "the file may be damaged");
}
