/* fuzz_samples.c: libFuzzer harness of the sample-file reader.
 *
 * The input is written to a file and read as phasor-train and phasor-analyze
 * read a sample file, over MPI_COMM_SELF: ph_samples_open (HDF5 signature,
 * schema attribute, /x and /y of equal N), ph_samples_stimuli_field (/x as
 * videos or images), the first sample of /x, the /y field and its class
 * labels (ph_samples_labels_read with 2 classes), and the string attributes a
 * stage prints.  libhdf5 itself is not instrumented: coverage guides the
 * fuzzer through phasor's checks, sanitizers see phasor's memory accesses. */
#include "fuzz_common.h"

#include "io/h5samples.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

/* Stages read batches sized by their config; the harness reads at most this
 * many labels and one sample of /x up to this size. */
enum { MAX_LABELS = 4096, MAX_SAMPLE_BYTES = 1 << 24 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) abort();
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    fuzz_setup("fuzz-samples", "samples.h5");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size);
    /* volatile: freed after the jump back from a refusal */
    int32_t *volatile labels = NULL;
    uint8_t *volatile sample = NULL;
    char *volatile attr = NULL;
    ph_samples_reader r;
    fuzz_armed = 1;
    if (setjmp(fuzz_back) == 0) {
        ph_samples_open(&r, MPI_COMM_SELF, path);
        ph_field x, y;
        ph_samples_stimuli_field(&r, &x);
        size_t bytes = ph_field_sample_bytes(&x);
        if (bytes <= MAX_SAMPLE_BYTES) {
            sample = malloc(bytes ? bytes : 1);
            if (sample) ph_samples_read(&r, "x", PH_U8, 0, 1, sample);
        }
        ph_samples_field(&r, "y", &y);
        int64_t n = r.n < MAX_LABELS ? r.n : MAX_LABELS;
        labels = malloc((size_t)n * sizeof *labels);
        if (labels) ph_samples_labels_read(&r, 0, n, labels, 2);
        attr = ph_samples_attr(&r, "condition");
        free(attr);
        attr = NULL;
        attr = ph_samples_attr(&r, "config");
        ph_samples_reader_close(&r);
        fuzz_armed = 0;
    } else {
        fuzz_h5_reset();
    }
    fuzz_armed = 0;
    free(attr);
    free(sample);
    free(labels);
    return 0;
}
