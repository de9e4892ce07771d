/* fuzz_checkpoint.c: libFuzzer harness of the checkpoint reader.
 *
 * The input is written to a file and read as phasor-train resumes and
 * phasor-analyze evaluates: ph_checkpoint_config (the stored config text, whose
 * model section rebuilds the model: cfg_section_text), ph_checkpoint_input_shape
 * (the sample shape evaluate checks), then ph_checkpoint_load
 * into a small 3D CNN's parameters (trainable tensors and batch-norm buffers),
 * built once.  libhdf5 itself is not instrumented (fuzz_samples.c). */
#include "fuzz_common.h"

#include "core/config.h"
#include "models/model.h"
#include "nn/checkpoint.h"

#include <mpi.h>
#include <stdlib.h>

#define MAX_PARAMS 64
/* The model the seed checkpoint (make_seeds.c) was written from. */
#define FUZZ_MODEL_INI "[cnn3d]\nwidth = 1\nstages = 1\nnorm = batch\n"

static ph_param *params[MAX_PARAMS];
static int np;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) abort();
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    fuzz_setup("fuzz-checkpoint", "checkpoint.h5");
    ph_model_geometry g = {1, 2, 4, 4, 1, 1, 7, MPI_COMM_SELF};
    ph_model *m = ph_model_create_text("cnn3d", FUZZ_MODEL_INI, &ph_backend_cpu, &g);
    np = m->def->params(m, params, MAX_PARAMS);
    return 0; /* the model lives as long as the process */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size);
    char *volatile text = NULL, *volatile section = NULL;
    fuzz_armed = 1;
    if (setjmp(fuzz_back) == 0) {
        text = ph_checkpoint_config(path);
        if (text) section = cfg_section_text(text, "cnn3d");
        int64_t shape[4];
        (void)ph_checkpoint_input_shape(path, shape);
        double best;
        ph_checkpoint_load(path, params, np, "cnn3d", &best);
        fuzz_armed = 0;
    } else {
        fuzz_h5_reset();
    }
    fuzz_armed = 0;
    free(section);
    free(text);
    return 0;
}
