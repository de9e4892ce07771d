/* replay_main.c: a fuzz harness without libFuzzer, for the test suite.
 *
 *   replay_TARGET FILE...   runs the harness once on each file; exit 0 when
 *                           every input returns (refused or read), non-zero
 *                           (abort, sanitizer report) when one crashes.
 * make build links it with each tests/fuzz/fuzz_*.c against the normal library
 * (build/fuzz/replay_*), so tests/fuzz_regress.t replays the crash inputs of
 * tests/fuzz/regress/ without clang; under make sanitize they run with ASan. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole file (NULL and a message if it cannot be read). */
static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger) free(buf);
            buf = bigger;
        }
    }
    int bad = !buf || ferror(f);
    if (fclose(f) || bad) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return NULL;
    }
    *size = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        size_t size = 0;
        uint8_t *data = slurp(argv[i], &size);
        if (!data) {
            rc = 2;
            continue;
        }
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        printf("replayed %s\n", argv[i]);
        fflush(stdout);
    }
    int up = 0, down = 0;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    if (up && !down) MPI_Finalize();
    return rc;
}
