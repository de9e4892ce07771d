/* test_h5samples.c: rank ranges and a write/read round trip of a sample file
 * (single rank here; tests/determinism.t covers several ranks). */
#include "core/error.h"
#include "core/fsutil.h"
#include "io/h5samples.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void test_rank_ranges_partition_whole_chunks(void **state)
{
    (void)state;
    for (int64_t n = 1; n <= 300; n += 7)
        for (int64_t chunk = 1; chunk <= 40; chunk += 3)
            for (int size = 1; size <= 9; size++) {
                int64_t next = 0;
                for (int r = 0; r < size; r++) {
                    int64_t s, c;
                    ph_rank_range(n, chunk, r, size, &s, &c);
                    assert_true(c >= 0);
                    if (c == 0) continue;
                    assert_int_equal(s, next);      /* contiguous, in rank order */
                    assert_int_equal(s % chunk, 0); /* starts on a chunk boundary */
                    assert_true(s + c == n || (s + c) % chunk == 0); /* ends on one or at N */
                    next = s + c;
                }
                assert_int_equal(next, n); /* covers every sample once */
            }
}

static void test_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/phasor-h5test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], partial[300];
    snprintf(path, sizeof path, "%s/s.h5", dir);
    ph_partial_path(path, partial, sizeof partial);
    const int64_t n = 37;
    ph_field fields[3] = {
        {"x", PH_U8, 3, {4, 5, 3}, "images"},
        {"y", PH_I32, 0, {0}, "labels"},
        {"meta/w", PH_F32, 1, {2}, "weights"},
    };
    uint8_t *x = malloc(n * 60);
    int32_t y[37];
    float w[37 * 2];
    for (int64_t i = 0; i < n * 60; i++) x[i] = (uint8_t)(i * 31 + 7);
    for (int i = 0; i < n; i++) y[i] = i % 2, w[2 * i] = i * 0.5f, w[2 * i + 1] = -i;

    ph_samples_writer wr;
    ph_samples_create(&wr, MPI_COMM_WORLD, path, n, fields, 3, 8, 1);
    assert_true(ph_exists(partial));
    assert_false(ph_exists(path)); /* not published before close */
    ph_samples_attr_i64(&wr, "phasor_schema", 1);
    ph_samples_attr_str(&wr, "split", "train");
    /* Two rounds of writes, like the stage's blocks; then an empty round. */
    const void *bufs[3] = {x, y, w};
    for (int f = 0; f < 3; f++) {
        size_t b = ph_field_sample_bytes(&fields[f]);
        ph_samples_write(&wr, f, 0, 16, bufs[f]);
        ph_samples_write(&wr, f, 16, n - 16, (const uint8_t *)bufs[f] + 16 * b);
        ph_samples_write(&wr, f, n, 0, NULL);
    }
    ph_samples_close(&wr);
    assert_true(ph_exists(path));
    assert_false(ph_exists(partial));

    ph_samples_reader rd;
    ph_samples_open(&rd, MPI_COMM_WORLD, path);
    assert_int_equal(rd.n, n);
    ph_field f;
    ph_samples_field(&rd, "x", &f);
    assert_int_equal(f.type, PH_U8);
    assert_int_equal(f.ndims, 3);
    assert_int_equal(f.dims[1], 5);
    uint8_t *x2 = malloc(n * 60);
    int32_t y2[37];
    float w2[10 * 2];
    ph_samples_read(&rd, "x", PH_U8, 0, n, x2);
    assert_memory_equal(x, x2, n * 60);
    ph_samples_read(&rd, "y", PH_I32, 0, n, y2);
    assert_memory_equal(y, y2, sizeof y);
    ph_samples_read(&rd, "meta/w", PH_F32, 20, 10, w2);
    assert_memory_equal(w + 40, w2, sizeof w2);
    assert_false(ph_samples_has(&rd, "meta/absent"));
    char *split = ph_samples_attr(&rd, "split");
    assert_string_equal(split, "train");
    free(split);
    ph_samples_reader_close(&rd);
    free(x), free(x2);
    unlink(path);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    ph_error_init("test");
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_ranges_partition_whole_chunks),
        cmocka_unit_test(test_round_trip),
    };
    int rc = cmocka_run_group_tests_name("h5samples", tests, NULL, NULL);
    MPI_Finalize();
    return rc;
}
