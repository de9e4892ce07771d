/* test_model_taps.c: the optional layer-tap hook of ph_model_def (model.h).
 * The ResNet offers "stem" and "stage1".."stage4" with their [N, C, H, W]
 * shapes, and the data pointed to is what the network really computed: the
 * global average of stage4's tap is the pooled feature vector the linear head
 * reads (checked in double against the model's own buffer), and taps of a
 * second forward on other inputs change.  Models without the hook keep NULL. */
#include "models/model.h"
#include "models/resnet.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { N = 2, S = 16 };

static ph_model *build(const char *ini)
{
    ph_model_geometry g = {N, 1, S, S, 3, 3, 7, MPI_COMM_SELF};
    return ph_model_create_text("resnet", ini, &ph_backend_cpu, &g);
}

static void load_pattern(ph_model *m, int salt)
{
    uint8_t *batch = malloc((size_t)N * S * S * 3);
    for (size_t i = 0; i < (size_t)N * S * S * 3; i++) batch[i] = (uint8_t)((i * 37 + (size_t)salt * 101) % 251);
    ph_model_load(m, batch);
    free(batch);
}

static void test_resnet_taps_shapes_and_values(void **state)
{
    (void)state;
    ph_model *m = build("[resnet]\ndepth = 10\nwidth = 4\nstem = small\n");
    assert_non_null(m->def->taps);
    ph_model_tap t[8];
    const int k = m->def->taps(m, t, 8);
    assert_int_equal(k, 5);
    const char *names[5] = {"stem", "stage1", "stage2", "stage3", "stage4"};
    const int c[5] = {4, 4, 8, 16, 32}, hw[5] = {16, 16, 8, 4, 2};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(t[i].name, names[i]);
        assert_int_equal(t[i].n, N);
        assert_int_equal(t[i].c, c[i]);
        assert_int_equal(t[i].h, hw[i]);
        assert_int_equal(t[i].w, hw[i]);
        assert_non_null(t[i].data);
    }
    load_pattern(m, 0);
    m->def->forward(m, 0);
    const ph_resnet *r = (const ph_resnet *)m;
    size_t n4 = (size_t)N * 32 * 2 * 2;
    float *a = malloc(n4 * sizeof *a), *pooled = malloc((size_t)N * 32 * sizeof *pooled);
    ph_dev_download(m->be, a, t[4].data, n4);
    ph_dev_download(m->be, pooled, r->pooled, (size_t)N * 32);
    double worst = 0;
    for (int i = 0; i < N * 32; i++) {
        double s = 0;
        for (int j = 0; j < 4; j++) s += a[i * 4 + j];
        worst = fmax(worst, fabs(s / 4 - pooled[i]));
    }
    print_message("# stage4 tap averaged vs the pooled features: max difference %.3g\n", worst);
    assert_true(worst < 1e-5);
    /* the stem tap after another input differs: it is the live buffer */
    size_t n0 = (size_t)N * 4 * S * S;
    float *s0 = malloc(n0 * sizeof *s0), *s1 = malloc(n0 * sizeof *s1);
    ph_dev_download(m->be, s0, t[0].data, n0);
    load_pattern(m, 1);
    m->def->forward(m, 0);
    ph_dev_download(m->be, s1, t[0].data, n0);
    assert_true(memcmp(s0, s1, n0 * sizeof *s0) != 0);
    /* max smaller than the count: only max are written, the count is still returned */
    ph_model_tap few[2];
    assert_int_equal(m->def->taps(m, few, 2), 5);
    assert_string_equal(few[1].name, "stage1");
    free(a), free(pooled), free(s0), free(s1);
    m->def->destroy(m);
}

/* The ImageNet stem's tap is after its max pool: half the conv's output. */
static void test_resnet_imagenet_stem_tap(void **state)
{
    (void)state;
    ph_model *m = build("[resnet]\ndepth = 10\nwidth = 4\nstem = imagenet\n");
    ph_model_tap t[5];
    assert_int_equal(m->def->taps(m, t, 5), 5);
    assert_int_equal(t[0].h, 4); /* 16 -> conv/2 -> 8 -> pool/2 -> 4 */
    assert_ptr_equal(t[0].data, ((const ph_resnet *)m)->pooled_stem);
    m->def->destroy(m);
}

static void test_models_without_taps(void **state)
{
    (void)state;
    const ph_model_def *d = ph_model_find("cnn3d");
    assert_non_null(d);
    assert_null(d->taps);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resnet_taps_shapes_and_values),
        cmocka_unit_test(test_resnet_imagenet_stem_tap),
        cmocka_unit_test(test_models_without_taps),
    };
    int failed = cmocka_run_group_tests_name("model_taps", tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
