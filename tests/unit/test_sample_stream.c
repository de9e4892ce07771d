/* test_sample_stream.c: batches served in memory and streamed from the file
 * are the file's samples, in the order asked (repeats, runs, any order), and
 * a shown batch stays as it was while the next one is read. */
#include "core/error.h"
#include "io/sample_stream.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

enum { N = 37, XB = 60 };

static char dir[] = "/tmp/phasor-streamtest-XXXXXX", path[256];

static uint8_t x_of(int64_t i, int k) { return (uint8_t)(i * 31 + k * 7 + 3); }

/* A model's auxiliary rows: 3 bytes per sample made from its index. */
static int aux_checked;
static void aux_read(const void *ctx, ph_samples_reader *r, int64_t start, int64_t count, void *out)
{
    (void)r;
    assert_string_equal((const char *)ctx, "ctx");
    if (!count) aux_checked++;
    for (int64_t i = 0; i < count; i++)
        for (int k = 0; k < 3; k++) ((uint8_t *)out)[i * 3 + k] = (uint8_t)((start + i) * 5 + k);
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.h5", dir);
    ph_field fields[3] = {
        {"x", PH_U8, 3, {4, 5, 3}, "images"},
        {"y", PH_I32, 0, {0}, "labels"},
        {"meta/w", PH_I16, 1, {2}, "weights"},
    };
    uint8_t x[N * XB];
    int32_t y[N];
    int16_t w[N * 2];
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < XB; k++) x[i * XB + k] = x_of(i, k);
        y[i] = i % 2, w[2 * i] = (int16_t)(i * 3), w[2 * i + 1] = (int16_t)-i;
    }
    ph_samples_writer wr;
    ph_samples_create(&wr, MPI_COMM_WORLD, path, N, fields, 3, 8, 1); /* chunks of 8, deflated */
    ph_samples_attr_i64(&wr, "phasor_schema", 1);
    const void *bufs[3] = {x, y, w};
    for (int f = 0; f < 3; f++) ph_samples_write(&wr, f, 0, N, bufs[f]);
    ph_samples_close(&wr);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static const ph_stream_field fields[3] = {
    {"x", PH_U8, XB, NULL, NULL},
    {"meta/w", PH_F32, 2 * sizeof(float), NULL, NULL}, /* int16 in the file, float here */
    {"aux", PH_U8, 3, aux_read, "ctx"},
};

/* The shown batch holds samples idx[0 .. n) of every field. */
static void assert_rows(const ph_sample_stream *s, const int64_t *idx, int n)
{
    const uint8_t *x = ph_sample_stream_rows(s, 0), *aux = ph_sample_stream_rows(s, 2);
    const float *w = ph_sample_stream_rows(s, 1);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < XB; k++) assert_int_equal(x[i * XB + k], x_of(idx[i], k));
        assert_true(w[2 * i] == (float)(idx[i] * 3) && w[2 * i + 1] == (float)-idx[i]);
        for (int k = 0; k < 3; k++) assert_int_equal(aux[i * 3 + k], (uint8_t)(idx[i] * 5 + k));
    }
}

static void test_batches_are_the_samples_asked(void **state)
{
    (void)state;
    static const int64_t batches[][6] = {
        {5, 6, 7, 8, 9, 10},   /* one run across a chunk boundary, in order: read straight into the batch */
        {36, 0, 12, 11, 10, 3}, /* out of order, a run read backwards */
        {4, 4, 20, 4, 19, 21},  /* repeats */
        {8, 9, 1, 2, 30, 31},   /* two runs, each in order */
    };
    for (int streamed = 0; streamed < 2; streamed++) {
        aux_checked = 0;
        ph_sample_stream s;
        ph_sample_stream_init(&s, MPI_COMM_WORLD, path, fields, 3, 6, streamed);
        assert_int_equal(s.n, N);
        assert_int_equal(aux_checked, 1); /* the model's reader checked the file once */
        ph_sample_stream_fetch(&s, batches[0], 6);
        for (int b = 0; b < 4; b++) {
            assert_int_equal(ph_sample_stream_next(&s), 6);
            if (b + 1 < 4) ph_sample_stream_fetch(&s, batches[b + 1], 6);
            assert_rows(&s, batches[b], 6); /* unchanged while the next batch is read */
            ph_sample_stream_sync(&s);
            assert_rows(&s, batches[b], 6); /* and after */
        }
        ph_sample_stream_fetch(&s, batches[1], 3); /* a short batch */
        assert_int_equal(ph_sample_stream_next(&s), 3);
        assert_rows(&s, batches[1], 3);
        ph_sample_stream_free(&s);
    }
}

static void test_memory_and_streamed_bytes_agree(void **state)
{
    (void)state;
    ph_sample_stream a, b;
    ph_sample_stream_init(&a, MPI_COMM_WORLD, path, fields, 3, 16, 0);
    ph_sample_stream_init(&b, MPI_COMM_WORLD, path, fields, 3, 16, 1);
    uint64_t st = 12345;
    for (int round = 0; round < 20; round++) {
        int64_t idx[16];
        for (int i = 0; i < 16; i++) st = st * 6364136223846793005ULL + 1442695040888963407ULL, idx[i] = (int64_t)(st >> 33) % N;
        ph_sample_stream_fetch(&a, idx, 16), ph_sample_stream_next(&a);
        ph_sample_stream_fetch(&b, idx, 16), ph_sample_stream_next(&b);
        for (int f = 0; f < 3; f++)
            assert_memory_equal(ph_sample_stream_rows(&a, f), ph_sample_stream_rows(&b, f), 16 * fields[f].bytes);
    }
    /* two whole chunks (8-15, 16-23) and part of the last (32-36, a short chunk) */
    int64_t runs[16];
    for (int i = 0; i < 16; i++) runs[i] = i < 11 ? 8 + i + (i >= 8 ? 16 : 0) : 32 + (i - 11);
    ph_sample_stream_fetch(&a, runs, 16), ph_sample_stream_next(&a);
    ph_sample_stream_fetch(&b, runs, 16), ph_sample_stream_next(&b);
    assert_rows(&b, runs, 16);
    for (int f = 0; f < 3; f++)
        assert_memory_equal(ph_sample_stream_rows(&a, f), ph_sample_stream_rows(&b, f), 16 * fields[f].bytes);
    /* /x (uint8, deflated) was read raw and inflated; /meta/w (int16 -> float) through H5Dread */
    assert_int_equal(b.rows[0].direct, 1);
    assert_int_equal(b.rows[1].direct, 0);
    assert_true(ph_sample_stream_bytes(fields, 3, N) == (double)N * (XB + 8 + 3));
    ph_sample_stream_free(&a), ph_sample_stream_free(&b);
}

static void test_chunk_auto(void **state)
{
    (void)state;
    ph_field video = {"x", PH_U8, 4, {32, 32, 32, 3}, ""}, big = {"x", PH_U8, 4, {64, 32, 32, 3}, ""},
             image = {"x", PH_U8, 3, {64, 64, 1}, ""}, label = {"y", PH_I32, 0, {0}, ""},
             svrt = {"x", PH_U8, 3, {128, 128, 1}, ""}, short_video = {"x", PH_U8, 4, {12, 32, 32, 3}, ""};
    assert_int_equal(ph_samples_field_chunk(&video, 16), 1);       /* 96 KiB: 1 in 128 KiB */
    assert_int_equal(ph_samples_field_chunk(&big, 16), 1);         /* 192 KiB: still 1 */
    assert_int_equal(ph_samples_field_chunk(&image, 16), 16);      /* 4 KiB: the whole group */
    assert_int_equal(ph_samples_field_chunk(&svrt, 16), 8);        /* 16 KiB: 8 */
    assert_int_equal(ph_samples_field_chunk(&short_video, 16), 2); /* 36 KiB: 3 would fit, but 3 does not divide 16 */
    assert_int_equal(ph_samples_field_chunk(&label, 16), 16);
    assert_int_equal(ph_samples_field_chunk(&label, 5), 5); /* a group clipped to N = 5 */
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    ph_error_init("test");
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_are_the_samples_asked),
        cmocka_unit_test(test_memory_and_streamed_bytes_agree),
        cmocka_unit_test(test_chunk_auto),
    };
    int rc = cmocka_run_group_tests_name("sample_stream", tests, setup, teardown);
    MPI_Finalize();
    return rc;
}
