/* h5samples.h: one shared sample file written and read collectively by all ranks.
 *
 * Layout (docs/schema.md): every dataset is [N, ...per-sample dims], chunked
 * along N (`chunk` samples per chunk), optionally deflated.  Each rank owns a
 * contiguous, chunk-aligned range of samples (ph_rank_range), so every chunk
 * has exactly one writer; writes are collective hyperslab writes, and a rank
 * with nothing to write takes part with an empty selection.  The file is
 * created as NAME.partial and renamed to NAME after a successful close. */
#ifndef PHASOR_H5SAMPLES_H
#define PHASOR_H5SAMPLES_H

#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PH_U8, PH_I16, PH_I32, PH_F32, PH_DTYPE_COUNT } ph_dtype;
extern const char *const ph_dtype_names[PH_DTYPE_COUNT];
size_t ph_dtype_size(ph_dtype t);

#define PH_FIELD_MAX_DIMS 5
#define PH_MAX_FIELDS 16

/* One dataset of a sample file, described per sample (without the N axis). */
typedef struct {
    char name[64]; /* path inside the file: "x", "y", "meta/target" */
    ph_dtype type;
    int ndims;
    hsize_t dims[PH_FIELD_MAX_DIMS];
    const char *doc; /* stored as the dataset's "doc" attribute */
} ph_field;

size_t ph_field_sample_bytes(const ph_field *f);

/* This rank's contiguous range of samples: whole chunks, spread evenly. */
void ph_rank_range(int64_t n, int64_t chunk, int rank, int size, int64_t *start, int64_t *count);

typedef struct {
    MPI_Comm comm;
    int rank, size;
    hid_t file, dxpl;
    int64_t n, chunk;
    int nfields;
    ph_field fields[PH_MAX_FIELDS];
    hid_t dsets[PH_MAX_FIELDS];
    char final_path[4096], partial_path[4096];
    double write_seconds;   /* time inside H5Dwrite and H5Fclose on this rank */
    double publish_seconds; /* rank 0: fsync of the whole file, rename, fsync of the folder */
} ph_samples_writer;

/* Chunks when none are asked for (chunk 0): ranks own ranges of whole
 * groups of 16 samples (PH_CHUNK_AUTO_MAX), and each dataset's chunk is the
 * largest divisor of that group holding at most 128 KiB of it, so that a
 * training batch streamed from the file (sample_stream.h) decompresses
 * little beyond its own samples while small datasets (labels, coordinates)
 * keep chunks of 16.  Each chunk still has one writer. */
enum { PH_CHUNK_AUTO_BYTES = 128 * 1024, PH_CHUNK_AUTO_MAX = 16 };
int64_t ph_samples_field_chunk(const ph_field *f, int64_t chunk);

/* Collective.  chunk is clipped to n (0: chunks as above); deflate 0
 * disables compression. */
void ph_samples_create(ph_samples_writer *w, MPI_Comm comm, const char *path, int64_t n,
                       const ph_field *fields, int nfields, int64_t chunk, int deflate);
/* Root attributes; collective, same value on every rank. */
void ph_samples_attr_str(ph_samples_writer *w, const char *name, const char *value);
void ph_samples_attr_i64(ph_samples_writer *w, const char *name, int64_t value);
/* Collective: every rank calls it for the same field; count may be 0. */
void ph_samples_write(ph_samples_writer *w, int field, int64_t start, int64_t count,
                      const void *buf);
/* Collective: close, then rank 0 publishes NAME.partial as NAME. */
void ph_samples_close(ph_samples_writer *w);

typedef struct {
    MPI_Comm comm;
    hid_t file, dxpl;
    int64_t n;
    char path[4096];
} ph_samples_reader;

/* Collective.  Fails with one line if the file is missing, not HDF5, not a
 * phasor sample file, of another schema version, or has inconsistent N. */
void ph_samples_open(ph_samples_reader *r, MPI_Comm comm, const char *path);
/* The same checks, for this process alone: the POSIX driver and independent
 * reads, so that one rank, or a thread of it, reads while the others do
 * something else.  HDF5 is not thread-safe: one thread at a time. */
void ph_samples_open_local(ph_samples_reader *r, const char *path);
/* Per-sample shape and type of a dataset; fatal if absent. */
void ph_samples_field(ph_samples_reader *r, const char *name, ph_field *out);
/* 1 if the dataset exists. */
int ph_samples_has(ph_samples_reader *r, const char *name);
/* Collective read of samples [start, start+count) converted to `type`. */
void ph_samples_read(ph_samples_reader *r, const char *name, ph_dtype type, int64_t start,
                     int64_t count, void *buf);
/* A dataset held open for many reads of a few samples each (a training
 * batch); its chunk cache (cache_chunks whole chunks, at least 1 MiB) lives
 * as long as it does, so consecutive reads of one chunk decompress it once. */
typedef struct {
    ph_samples_reader *r;
    hid_t dset;
    ph_field f;
    ph_dtype type;    /* in memory */
    size_t row_bytes; /* one sample, in memory */
    /* Deflated chunks of whole samples stored as they are read (phasor's own
     * files): each chunk is fetched raw (H5Dread_chunk) and inflated by
     * libdeflate, about twice zlib's speed, straight into the caller's rows
     * when it holds only rows asked for.  Anything else goes through H5Dread. */
    int direct;
    int64_t chunk;               /* samples per chunk */
    uint8_t *raw, *chunk_buf;    /* a chunk as stored, and inflated */
    size_t raw_cap;
    struct libdeflate_decompressor *inflater;
} ph_samples_rows;
void ph_samples_rows_open(ph_samples_rows *d, ph_samples_reader *r, const char *name, ph_dtype type,
                          int cache_chunks);
/* Samples [start, start+count) converted to d->type (collective on a
 * collective reader, independent on a local one). */
void ph_samples_rows_read(ph_samples_rows *d, int64_t start, int64_t count, void *buf);
void ph_samples_rows_close(ph_samples_rows *d);
/* Collective read of /y as class labels: /y must be an integer [N] and
 * every label in 0 .. classes - 1 (classes <= 0: any label >= 0); anything
 * else is one line naming the file, the sample and what to do, exit 2 on
 * every rank.  A float /y (regression targets) is refused, not converted. */
void ph_samples_labels_read(ph_samples_reader *r, int64_t start, int64_t count, int32_t *out, int classes);
/* /x as stimuli: uint8 [N, T, H, W, C] videos or [N, H, W, C] images, else
 * one line and exit 2. */
void ph_samples_stimuli_field(ph_samples_reader *r, ph_field *out);
/* Root string attribute (malloc'd; an integer one as its digits), NULL if
 * absent or not one string or integer. */
char *ph_samples_attr(ph_samples_reader *r, const char *name);
void ph_samples_reader_close(ph_samples_reader *r);

#endif
