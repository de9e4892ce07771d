/* sample_stream.c: batches of samples by index, from memory or read in the background. */
#include "sample_stream.h"

#include "core/error.h"
#include "core/progress.h"

#include <stdlib.h>
#include <string.h>

enum { LOAD_BLOCK_BYTES = 32 << 20 };

/* At most one streamed fetch in flight in the process (HDF5 is not thread-safe). */
static const ph_sample_stream *in_flight;

double ph_sample_stream_bytes(const ph_stream_field *f, int nf, int64_t n)
{
    double b = 0;
    for (int i = 0; i < nf; i++) b += (double)f[i].bytes * (double)n;
    return b;
}

static void *alloc_or_fail(size_t bytes, const char *path)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        char what[4200];
        snprintf(what, sizeof what, "allocating memory for the samples of %s", path);
        PH_FAIL(what, "out of memory", "stream the file ([train] reader = stream) or use a smaller batch");
    }
    return p;
}

/* A field's rows [start, start + count) from reader r into out. */
static void field_read(const ph_stream_field *f, ph_samples_rows *rows, ph_samples_reader *r, int64_t start,
                       int64_t count, void *out)
{
    if (f->read)
        f->read(f->ctx, r, start, count, out);
    else if (rows)
        ph_samples_rows_read(rows, start, count, out);
    else
        ph_samples_read(r, f->name, f->type, start, count, out);
}

/* Every field present and of the size the caller expects; collective. */
static void fields_check(ph_samples_reader *r, const ph_stream_field *f, int nf)
{
    static uint8_t none[8];
    for (int i = 0; i < nf; i++) {
        if (f[i].read) {
            f[i].read(f[i].ctx, r, 0, 0, none);
            continue;
        }
        ph_field fd;
        ph_samples_field(r, f[i].name, &fd);
        size_t have = ph_field_sample_bytes(&fd) / ph_dtype_size(fd.type) * ph_dtype_size(f[i].type);
        if (have != f[i].bytes)
            ph_usage_error("%s: /%s holds %zu bytes per sample as %s, but %zu are expected (give a file of the "
                           "same challenge condition)", r->path, f[i].name, have, ph_dtype_names[f[i].type],
                           f[i].bytes);
    }
}

void ph_sample_stream_init(ph_sample_stream *s, MPI_Comm comm, const char *path, const ph_stream_field *f,
                           int nf, int batch, int streamed)
{
    memset(s, 0, sizeof *s);
    if (nf > PH_STREAM_MAX_FIELDS) PH_FAIL("opening a sample stream", "too many fields", "this is a bug in phasor");
    snprintf(s->path, sizeof s->path, "%s", path);
    memcpy(s->fields, f, (size_t)nf * sizeof *f);
    s->nfields = nf, s->batch = batch > 0 ? batch : 1, s->streamed = streamed;
    ph_samples_reader r;
    ph_samples_open(&r, comm, path);
    s->n = r.n;
    fields_check(&r, f, nf);
    if (!streamed)
        for (int i = 0; i < nf; i++) {
            s->all[i] = alloc_or_fail(f[i].bytes * (size_t)s->n, path);
            /* in blocks: HDF5's own buffers stay small beside the samples */
            const int64_t block = (int64_t)(LOAD_BLOCK_BYTES / (f[i].bytes ? f[i].bytes : 1)) + 1;
            for (int64_t at = 0; at < s->n; at += block)
                field_read(&f[i], NULL, &r, at, s->n - at < block ? s->n - at : block,
                           s->all[i] + (size_t)at * f[i].bytes);
        }
    ph_samples_reader_close(&r);
    if (streamed) {
        ph_samples_open_local(&s->r, path);
        for (int i = 0; i < nf; i++) {
            if (!f[i].read) ph_samples_rows_open(&s->rows[i], &s->r, f[i].name, f[i].type, 2);
            s->stage[i] = alloc_or_fail(f[i].bytes * (size_t)s->batch, path);
        }
    }
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < nf; i++) s->buf[k][i] = alloc_or_fail(f[i].bytes * (size_t)s->batch, path);
    s->want = alloc_or_fail((size_t)s->batch * sizeof *s->want, path);
    s->sorted = alloc_or_fail((size_t)s->batch * sizeof *s->sorted, path);
    s->slot = alloc_or_fail((size_t)s->batch * sizeof *s->slot, path);
    s->order = alloc_or_fail((size_t)s->batch * 2 * sizeof(int64_t), path);
}

/* (sample index, position in the batch), ordered by index then position. */
typedef struct {
    int64_t index;
    int64_t at;
} wanted;

static int wanted_cmp(const void *a, const void *b)
{
    const wanted *x = a, *y = b;
    if (x->index != y->index) return (x->index > y->index) - (x->index < y->index);
    return (x->at > y->at) - (x->at < y->at);
}

/* The fetched batch from the file.  The distinct indices ascending, each run
 * of consecutive ones in one read: straight into the batch where the run's
 * first positions are consecutive too (a validation batch, most random
 * draws), else through the staging rows; then repeated draws copied. */
static void *stream_read(void *arg)
{
    ph_sample_stream *s = arg;
    const int back = !s->shown, n = s->nwant;
    wanted *w = s->order;
    for (int i = 0; i < n; i++) w[i] = (wanted){s->want[i], i};
    qsort(w, (size_t)n, sizeof *w, wanted_cmp);
    int u = 0; /* distinct indices; sorted[k] first asked at slot[k] */
    for (int i = 0; i < n; i++)
        if (!u || w[i].index != s->sorted[u - 1]) s->sorted[u] = w[i].index, s->slot[u++] = w[i].at;
    for (int f = 0; f < s->nfields; f++) {
        const size_t b = s->fields[f].bytes;
        uint8_t *out = s->buf[back][f];
        ph_samples_rows *rows = s->fields[f].read ? NULL : &s->rows[f];
        for (int i = 0; i < u;) {
            int j = i + 1, direct = 1;
            for (; j < u && s->sorted[j] == s->sorted[j - 1] + 1; j++) direct &= s->slot[j] == s->slot[j - 1] + 1;
            if (direct) {
                field_read(&s->fields[f], rows, &s->r, s->sorted[i], j - i, out + (size_t)s->slot[i] * b);
            } else {
                field_read(&s->fields[f], rows, &s->r, s->sorted[i], j - i, s->stage[f]);
                for (int k = i; k < j; k++) memcpy(out + (size_t)s->slot[k] * b, s->stage[f] + (size_t)(k - i) * b, b);
            }
            i = j;
        }
        for (int i = 1; i < n; i++) /* a repeated draw: a copy of its first */
            if (w[i].index == w[i - 1].index) memcpy(out + (size_t)w[i].at * b, out + (size_t)w[i - 1].at * b, b);
    }
    return NULL;
}

void ph_sample_stream_fetch(ph_sample_stream *s, const int64_t *idx, int count)
{
    char what[4200];
    snprintf(what, sizeof what, "fetching samples of %s", s->path);
    if (s->pending || count < 0 || count > s->batch)
        PH_FAIL(what, "a fetch while one is pending, or more samples than the batch", "this is a bug in phasor");
    for (int i = 0; i < count; i++)
        if (idx[i] < 0 || idx[i] >= s->n) PH_FAIL(what, "sample index outside the file", "this is a bug in phasor");
    double t0 = ph_now();
    memcpy(s->want, idx, (size_t)count * sizeof *idx);
    s->nwant = count, s->pending = 1;
    if (!s->streamed) {
        const int back = !s->shown;
        for (int f = 0; f < s->nfields; f++) {
            const size_t b = s->fields[f].bytes;
            for (int i = 0; i < count; i++) memcpy(s->buf[back][f] + (size_t)i * b, s->all[f] + (size_t)idx[i] * b, b);
        }
    } else {
        if (in_flight) PH_FAIL(what, "another stream is still reading", "this is a bug in phasor");
        int e = pthread_create(&s->thread, NULL, stream_read, s);
        if (e) PH_FAIL(what, strerror(e), "raise the process's thread limit (ulimit -u)");
        s->reading = 1, in_flight = s;
    }
    s->wait_seconds += ph_now() - t0;
}

void ph_sample_stream_sync(ph_sample_stream *s)
{
    if (!s->reading) return;
    double t0 = ph_now();
    int e = pthread_join(s->thread, NULL);
    if (e) PH_FAIL("waiting for a sample read", strerror(e), "this is a bug in phasor");
    s->reading = 0, in_flight = NULL;
    s->wait_seconds += ph_now() - t0;
}

int ph_sample_stream_next(ph_sample_stream *s)
{
    if (!s->pending) PH_FAIL("showing the next batch", "nothing was fetched", "this is a bug in phasor");
    ph_sample_stream_sync(s);
    s->shown = !s->shown, s->shown_count = s->nwant, s->pending = 0;
    return s->shown_count;
}

void *ph_sample_stream_rows(const ph_sample_stream *s, int i) { return s->buf[s->shown][i]; }

void ph_sample_stream_free(ph_sample_stream *s)
{
    ph_sample_stream_sync(s);
    for (int i = 0; i < s->nfields; i++) {
        free(s->all[i]), free(s->stage[i]), free(s->buf[0][i]), free(s->buf[1][i]);
        if (s->streamed && !s->fields[i].read) ph_samples_rows_close(&s->rows[i]);
    }
    if (s->streamed) ph_samples_reader_close(&s->r);
    free(s->want), free(s->sorted), free(s->slot), free(s->order);
    memset(s, 0, sizeof *s);
}
