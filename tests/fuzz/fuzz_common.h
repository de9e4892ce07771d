/* fuzz_common.h: what every libFuzzer harness of phasor shares (docs/fuzzing.md).
 *
 * phasor ends the process on a refused input (ph_fail_at, ph_usage_error);
 * libFuzzer would count that exit as a finding.  The harnesses install an exit
 * hook that jumps back into LLVMFuzzerTestOneInput instead, so a clean one-line
 * refusal is a normal return and only sanitizer reports, hangs and
 * out-of-memory are findings.  Each harness includes this header once. */
#ifndef PHASOR_FUZZ_COMMON_H
#define PHASOR_FUZZ_COMMON_H

#include "core/error.h"

#include <hdf5.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jmp_buf fuzz_back;
static volatile int fuzz_armed;

/* Armed: back to the setjmp in the harness.  Disarmed, where the harness
 * asserts that no refusal can happen (a valid config's effective text, say),
 * a refusal is a finding: abort, which libFuzzer reports and saves (an _exit
 * would end the run without either). */
static inline void fuzz_exit_hook(int code)
{
    (void)code;
    if (!fuzz_armed) {
        fputs("fuzz: refused where no refusal may happen\n", stderr);
        abort();
    }
    fuzz_armed = 0;
    longjmp(fuzz_back, 1);
}

/* A private folder for the file each input is written to, removed at exit. */
static char fuzz_dir[256], fuzz_path[320];

static inline void fuzz_cleanup(void)
{
    unlink(fuzz_path);
    rmdir(fuzz_dir);
}

/* The stage name in refusal lines, the hook, and the scratch file NAME. */
static inline void fuzz_setup(const char *stage, const char *name)
{
    ph_error_init(stage);
    ph_error_set_exit_hook(fuzz_exit_hook);
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/phasor-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fuzz_dir)) {
        perror("fuzz: mkdtemp");
        exit(1);
    }
    snprintf(fuzz_path, sizeof fuzz_path, "%s/%s", fuzz_dir, name);
    if (atexit(fuzz_cleanup)) {
        fprintf(stderr, "fuzz: atexit failed\n");
        exit(1);
    }
}

/* The input as the scratch file; a harness that cannot write it stops (that is
 * not a finding in phasor, so it exits rather than crash). */
static inline const char *fuzz_write_input(const uint8_t *data, size_t size)
{
    FILE *f = fopen(fuzz_path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
        perror("fuzz: writing the input file");
        exit(1);
    }
    return fuzz_path;
}

/* After a refusal the jump skipped the reader's closes: close the files,
 * datasets, groups and attributes still open, so that files are not held open
 * across inputs.  (Dataspaces and property lists it held stay allocated, a few
 * hundred bytes per refusal; H5close would free them too but costs 10 ms.) */
static inline void fuzz_h5_reset(void)
{
    enum { MAX_OPEN = 256 };
    hid_t ids[MAX_OPEN];
    ssize_t n = H5Fget_obj_ids(H5F_OBJ_ALL, H5F_OBJ_ALL, MAX_OPEN, ids);
    for (ssize_t i = 0; i < n; i++) {
        switch (H5Iget_type(ids[i])) {
        case H5I_FILE: break; /* after everything inside it */
        case H5I_ATTR: H5Aclose(ids[i]); break;
        case H5I_DATATYPE: H5Tclose(ids[i]); break;
        default: H5Oclose(ids[i]); break;
        }
    }
    for (ssize_t i = 0; i < n; i++)
        if (H5Iget_type(ids[i]) == H5I_FILE) H5Fclose(ids[i]);
}

#endif
