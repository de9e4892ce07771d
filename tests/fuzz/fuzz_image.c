/* fuzz_image.c: libFuzzer harness of the importer's file readers.
 *
 * The input is written to a file and read as phasor-preprocess import reads
 * images and maps, whatever its first bytes say: ph_image_read as gray and as
 * RGB (PNG through libpng, JPEG through libjpeg), and ph_npy_read_nd and
 * ph_npy_read_2d (.npy); a 2-D array is then prepared as an 8x8 importance map
 * in both forms, as the importer prepares maps.  These readers return their
 * failures, so no refusal jumps back; the exit hook is installed anyway. */
#include "fuzz_common.h"

#include "io/image_read.h"
#include "io/importance_map.h"
#include "io/npy_nd.h"

#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup("fuzz-image", "input.bin");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size);
    char why[512];
    /* No refusal may end these readers: disarmed, one is a finding. */
    fuzz_armed = 0;
    for (int c = 1; c <= 3; c += 2) {
        ph_image img;
        if (!ph_image_read(path, c, &img, why, sizeof why)) {
            if (img.w < 1 || img.h < 1 || img.c != c || !img.px) abort();
            ph_image_free(&img);
        }
    }
    float *a = NULL;
    int nd = 0;
    int64_t dims[PH_NPY_MAX_DIMS];
    if (!ph_npy_read_nd(path, &a, &nd, dims, why, sizeof why)) free(a);
    int h = 0, w = 0;
    if (!ph_npy_read_2d(path, &a, &h, &w, why, sizeof why)) {
        float map[8 * 8];
        for (int form = 0; form < PH_MAP_FORM_COUNT; form++)
            (void)ph_importance_map_prepare(a, h, w, 8, 8, (ph_map_form)form, map, why, sizeof why);
        free(a);
    }
    return 0;
}
