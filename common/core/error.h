/* error.h: one-line fatal errors that name what failed, why, and what to do.
 *
 * Every call into libc, MPI and HDF5 goes through a PH_CHECK_* macro.  On failure
 * the failing rank prints
 *     phasor-STAGE: WHAT failed: WHY (HINT) [file.c:123]
 * removes any registered partial output, and aborts every rank.
 * Usage and config errors exit 2, runtime failures exit 1. */
#ifndef PHASOR_ERROR_H
#define PHASOR_ERROR_H

#include <errno.h>
#include <mpi.h>
#include <signal.h>
#include <string.h>

enum { PH_EXIT_OK = 0, PH_EXIT_RUNTIME = 1, PH_EXIT_USAGE = 2 };

/* Name printed after "phasor-" in every message; set once by each stage's main. */
void ph_error_init(const char *stage);
/* "phasor-STAGE", what error lines start with. */
const char *ph_program_name(void);
const char *ph_stage_name(void);

/* Registered outputs (NAME.partial) are unlinked on any fatal error or signal. */
void ph_partial_register(const char *path);
void ph_partial_forget(const char *path);

/* Runtime failure on this rank: print, clean up, abort every rank (exit 1). */
__attribute__((noreturn)) void ph_fail_at(const char *file, int line, const char *what,
                                          const char *why, const char *hint);

/* Runtime failure that every rank of comm detects alike (a bad input file):
 * only its rank 0 prints, then every rank aborts (exit 1). */
__attribute__((noreturn)) void ph_fail_all_at(MPI_Comm comm, const char *file, int line,
                                              const char *what, const char *why, const char *hint);

/* Usage/config error known to every rank alike: rank 0 prints, all exit 2.
 * msg is the full text after "phasor-STAGE: ". */
__attribute__((noreturn, format(printf, 1, 2))) void ph_usage_error(const char *fmt, ...);

/* For in-process harnesses (the fuzzers, docs/fuzzing.md): a hook called with the
 * exit status after a fatal error's line is printed and partial outputs are
 * removed, just before MPI is aborted or finalized and the process exits.  A hook
 * that does not return (longjmp) turns a clean refusal into a return, so that only
 * crashes are findings.  NULL (the default) keeps the exit. */
void ph_error_set_exit_hook(void (*hook)(int code));

/* SIGTERM/SIGINT/SIGUSR1: unlink registered partial outputs, print one line, exit 1. */
void ph_signals_install(void);

/* For stages that stop cleanly instead (training): SIGTERM, SIGINT and
 * SIGUSR1 only set ph_stop_signal, which the stage polls between steps. */
extern volatile sig_atomic_t ph_stop_signal;
void ph_signals_install_stop(void);

/* Innermost message of the current HDF5 error stack ("" if none). */
const char *ph_h5_why(void);

#define PH_FAIL(what, why, hint) ph_fail_at(__FILE__, __LINE__, (what), (why), (hint))
#define PH_FAIL_ALL(comm, what, why, hint) \
    ph_fail_all_at((comm), __FILE__, __LINE__, (what), (why), (hint))

/* libc: cond must be true on success; errno explains a failure. */
#define PH_CHECK_LIBC(cond, what, hint)                                     \
    do {                                                                    \
        if (!(cond)) PH_FAIL((what), strerror(errno), (hint));              \
    } while (0)

/* malloc and friends. */
#define PH_CHECK_ALLOC(ptr, what)                                                        \
    do {                                                                                 \
        if (!(ptr)) PH_FAIL((what), "out of memory",                                     \
                            "use fewer samples per block or a node with more memory");   \
    } while (0)

/* MPI calls return MPI_SUCCESS (errors are set to return, see ph_mpi_init). */
#define PH_CHECK_MPI(call, what, hint)                                      \
    do {                                                                    \
        int ph_rc_ = (call);                                                \
        if (ph_rc_ != MPI_SUCCESS) {                                        \
            char ph_s_[MPI_MAX_ERROR_STRING]; int ph_l_ = 0;                \
            MPI_Error_string(ph_rc_, ph_s_, &ph_l_);                        \
            PH_FAIL((what), ph_s_, (hint));                                 \
        }                                                                   \
    } while (0)

/* HDF5 calls return a negative value on failure. */
#define PH_CHECK_H5(call, what, hint)                                       \
    do {                                                                    \
        if ((long long)(call) < 0) PH_FAIL((what), ph_h5_why(), (hint));    \
    } while (0)

#endif
