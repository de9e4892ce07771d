/* error.c: fatal error reporting, partial-output cleanup and signal handling. */
#include "error.h"

#include <hdf5.h>
#include <mpi.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PH_MAX_PARTIALS 16
#define PH_PATH_MAX 4096

static char stage_name[64] = "phasor";
/* What error lines start with: "phasor-train", or "phasor" in a program that
 * never named its stage (the benchmarks, the unit tests). */
static char program[80] = "phasor";
/* Fixed storage so the signal handler can read it without allocating. */
static char partials[PH_MAX_PARTIALS][PH_PATH_MAX];
static volatile sig_atomic_t partial_used[PH_MAX_PARTIALS];
volatile sig_atomic_t ph_stop_signal;
static int signal_rank; /* only rank 0 reports a signal: one line, not one per rank */
/* Set once a failure has been reported: the SIGTERM that mpirun then sends to
 * the other ranks must not add a misleading "interrupted" line. */
static volatile sig_atomic_t failure_reported;
/* ph_error_set_exit_hook: NULL in every stage. */
static void (*exit_hook)(int code);

void ph_error_set_exit_hook(void (*hook)(int code)) { exit_hook = hook; }

/* Gives a harness's hook the chance not to end the process. */
static void exit_hook_call(int code)
{
    if (exit_hook) exit_hook(code);
}

const char *ph_program_name(void) { return program; }

void ph_error_init(const char *stage)
{
    snprintf(stage_name, sizeof stage_name, "%s", stage);
    snprintf(program, sizeof program, "phasor-%s", stage);
    /* Errors are reported by our macros, not by HDF5's own stack dump. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

const char *ph_stage_name(void) { return stage_name; }

void ph_partial_register(const char *path)
{
    for (int i = 0; i < PH_MAX_PARTIALS; i++)
        if (!partial_used[i]) {
            snprintf(partials[i], PH_PATH_MAX, "%s", path);
            partial_used[i] = 1;
            return;
        }
}

void ph_partial_forget(const char *path)
{
    for (int i = 0; i < PH_MAX_PARTIALS; i++)
        if (partial_used[i] && strcmp(partials[i], path) == 0) partial_used[i] = 0;
}

static void partials_unlink(void)
{
    for (int i = 0; i < PH_MAX_PARTIALS; i++)
        if (partial_used[i]) {
            unlink(partials[i]);
            partial_used[i] = 0;
        }
}

static int mpi_is_up(void)
{
    int up = 0, down = 0;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    return up && !down;
}

static int world_rank(void)
{
    int r = 0;
    if (mpi_is_up()) MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

/* An error is one line: a newline or other control character inside a
 * message (HDF5's descriptions carry some) becomes a space; the final
 * newline is kept. */
static void one_line(char *msg)
{
    size_t n = strlen(msg);
    for (size_t i = 0; i + 1 < n; i++)
        if ((unsigned char)msg[i] < ' ') msg[i] = ' ';
}

void ph_fail_at(const char *file, int line, const char *what, const char *why, const char *hint)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    int rank = world_rank();
    char where[32] = "";
    if (mpi_is_up()) {
        int size = 1;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (size > 1) snprintf(where, sizeof where, " on rank %d", rank);
    }
    char msg[2048];
    snprintf(msg, sizeof msg, "%s: %s failed%s: %s (%s) [%s:%d]\n", program, what,
             where, (why && *why) ? why : "unknown error", hint, base, line);
    one_line(msg);
    failure_reported = 1;
    fputs(msg, stderr);
    fflush(stderr);
    partials_unlink();
    exit_hook_call(PH_EXIT_RUNTIME);
    /* A process started without mpirun has no one to tell: plain exit keeps
     * the error to one line.  Under mpirun, MPI_Abort ends every rank. */
    if (mpi_is_up() && getenv("OMPI_COMM_WORLD_SIZE")) MPI_Abort(MPI_COMM_WORLD, PH_EXIT_RUNTIME);
    fflush(NULL);
    _exit(PH_EXIT_RUNTIME); /* what a failing run still holds is not a leak */
}

void ph_fail_all_at(MPI_Comm comm, const char *file, int line, const char *what, const char *why,
                    const char *hint)
{
    int rank = 0;
    failure_reported = 1;
    if (mpi_is_up() && getenv("OMPI_COMM_WORLD_SIZE")) {
        MPI_Comm_rank(comm, &rank);
        if (rank != 0) {
            /* Let rank 0 print before anyone aborts the job. */
            MPI_Barrier(comm);
            exit_hook_call(PH_EXIT_RUNTIME);
            MPI_Abort(MPI_COMM_WORLD, PH_EXIT_RUNTIME);
        }
        /* Rank 0: print, release the others, abort. */
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        char msg[2048];
        snprintf(msg, sizeof msg, "%s: %s failed: %s (%s) [%s:%d]\n", program, what,
                 (why && *why) ? why : "unknown error", hint, base, line);
        one_line(msg);
        fputs(msg, stderr);
        fflush(stderr);
        partials_unlink();
        MPI_Barrier(comm);
        exit_hook_call(PH_EXIT_RUNTIME);
        MPI_Abort(MPI_COMM_WORLD, PH_EXIT_RUNTIME);
    }
    ph_fail_at(file, line, what, why, hint);
}

void ph_usage_error(const char *fmt, ...)
{
    failure_reported = 1;
    if (world_rank() == 0) {
        /* One write per line, so lines of different processes never interleave. */
        char line[2048];
        int n = snprintf(line, sizeof line, "%s: ", program);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
        va_end(ap);
        for (char *q = line; *q; q++)
            if ((unsigned char)*q < ' ') *q = ' ';
        fprintf(stderr, "%s\n", line);
        fflush(stderr);
    }
    partials_unlink();
    exit_hook_call(PH_EXIT_USAGE);
    if (mpi_is_up()) MPI_Finalize();
    fflush(NULL);
    _exit(PH_EXIT_USAGE); /* what a refused run still holds is not a leak */
}

static void on_signal(int sig)
{
    /* Only async-signal-safe calls here. */
    static const char tail[] = ": interrupted by signal; partial output removed (rerun the command)\n";
    char head[96];
    size_t n = 0;
    for (const char *s = program; *s && n < sizeof head - 1; s++) head[n++] = *s;
    for (int i = 0; i < PH_MAX_PARTIALS; i++)
        if (partial_used[i]) unlink(partials[i]);
    if (!failure_reported && signal_rank == 0 && (sig == SIGTERM || sig == SIGINT || sig == SIGUSR1)) {
        ssize_t w = write(STDERR_FILENO, head, n);
        w = write(STDERR_FILENO, tail, sizeof tail - 1);
        (void)w;
    }
    _exit(PH_EXIT_RUNTIME);
}

/* SIGTERM (scheduler, mpirun), SIGINT (Ctrl-C), SIGUSR1 (Slurm's pre-timeout signal). */
static void handle_stop_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

void ph_signals_install(void)
{
    signal_rank = world_rank();
    handle_stop_signals(on_signal);
}

static void on_stop_signal(int sig) { ph_stop_signal = sig; }

void ph_signals_install_stop(void) { handle_stop_signals(on_stop_signal); }

static herr_t h5_walk_innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    /* Walk is H5E_WALK_UPWARD: entry 0 is the innermost cause. */
    if (n == 0 && e->desc) snprintf((char *)data, 256, "%s", e->desc);
    return 0;
}

const char *ph_h5_why(void)
{
    static char why[256];
    why[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5_walk_innermost, why);
    if (!why[0]) snprintf(why, sizeof why, "HDF5 call failed");
    return why;
}
