/* sample_stream.h: a sample file's samples served batch by batch, by index.
 *
 * A stream serves some fields of a sample file (the stimuli, a model's masks,
 * human maps) for the samples a rank asks for, in the order asked.
 *   in memory: the whole file is read once, collectively, and a batch is a
 *              gather: fastest while the file fits;
 *   streamed:  each batch's samples are read from the file by this rank alone
 *              (ascending, so each chunk is decompressed once per batch), in
 *              a background thread while the caller computes.  Memory is two
 *              batches and a chunk cache per field, whatever the file's size.
 * Both give the same bytes, so a run is the same either way.
 *
 * Use: _fetch(indices of batch k+1) starts reading; _next() waits for it and
 * makes it the batch that _rows() shows, which stays valid until the next
 * _next().  HDF5 is not thread-safe: while a streamed fetch is in flight
 * (from _fetch until _sync or _next returns), the process makes no other
 * HDF5 call, and at most one stream has a fetch in flight. */
#ifndef PHASOR_SAMPLE_STREAM_H
#define PHASOR_SAMPLE_STREAM_H

#include "h5samples.h"

#include <pthread.h>

/* Reads samples [start, start + count) of an open file into out (a model's
 * auxiliary rows); collective on a collective reader.  count 0 only checks
 * that the file has what it needs. */
typedef void (*ph_stream_read_fn)(const void *ctx, ph_samples_reader *r, int64_t start, int64_t count,
                                  void *out);

typedef struct {
    const char *name;       /* the dataset ("x", "maps/human"); with read, a name for messages */
    ph_dtype type;          /* in memory */
    size_t bytes;           /* one sample, in memory */
    ph_stream_read_fn read; /* NULL: the dataset converted to type */
    const void *ctx;        /* read's first argument */
} ph_stream_field;

enum { PH_STREAM_MAX_FIELDS = 4 };

typedef struct {
    char path[4096];
    int64_t n;
    int nfields, streamed, batch;
    ph_stream_field fields[PH_STREAM_MAX_FIELDS];
    uint8_t *all[PH_STREAM_MAX_FIELDS]; /* in memory: every sample */
    ph_samples_reader r;                /* streamed: this rank's own handle */
    ph_samples_rows rows[PH_STREAM_MAX_FIELDS];
    uint8_t *stage[PH_STREAM_MAX_FIELDS];   /* streamed: a batch's rows in ascending order */
    uint8_t *buf[2][PH_STREAM_MAX_FIELDS];  /* the shown batch and the one being fetched */
    int64_t *want;                          /* the fetched batch's indices, as asked */
    int64_t *sorted, *slot;                 /* its distinct indices ascending, and where each is first */
    void *order;                            /* (index, position) pairs, sorted */
    int nwant, shown, shown_count, pending, reading;
    pthread_t thread;
    double wait_seconds; /* time the caller spent reading or waiting for reads */
} ph_sample_stream;

/* Bytes of nf fields for n samples (what in-memory mode holds). */
double ph_sample_stream_bytes(const ph_stream_field *f, int nf, int64_t n);
/* Collective over comm (every rank opens the same file, same fields): checks
 * that the file has each field, then reads it whole (streamed 0) or opens it
 * for batches of at most batch samples (streamed 1). */
void ph_sample_stream_init(ph_sample_stream *s, MPI_Comm comm, const char *path, const ph_stream_field *f,
                           int nf, int batch, int streamed);
/* Starts reading samples idx[0 .. count) (count <= batch; repeats allowed). */
void ph_sample_stream_fetch(ph_sample_stream *s, const int64_t *idx, int count);
/* Waits until no read is in flight (before the caller's own HDF5 calls). */
void ph_sample_stream_sync(ph_sample_stream *s);
/* Waits for the fetch and shows it; returns its sample count. */
int ph_sample_stream_next(ph_sample_stream *s);
/* The shown batch's rows of field i: [count, fields[i].bytes]. */
void *ph_sample_stream_rows(const ph_sample_stream *s, int i);
void ph_sample_stream_free(ph_sample_stream *s);

#endif
