/* stage.h: what every stage executable does first: MPI, error reporting,
 * signals, and reading its config once on rank 0. */
#ifndef PHASOR_STAGE_H
#define PHASOR_STAGE_H

#include "config.h"

#include <mpi.h>
#include <stddef.h>
#include <stdio.h>

/* MPI_Init, errors returned (not fatal) so PH_CHECK_MPI reports them, signals. */
void ph_stage_begin(int *argc, char ***argv, const char *stage);
void ph_stage_end(void);
int ph_rank(void);
int ph_size(void);

/* For --help and --version: rank 0 prints, every rank finalizes and exits 0. */
__attribute__((noreturn)) void ph_stage_print_and_exit(void (*print)(FILE *f));
/* "phasor-STAGE VERSION (git COMMIT, schema N)". */
void ph_print_version(FILE *f);
/* The processor this process runs on and its online CPUs, e.g. "AMD EPYC 9B14
 * (2 CPUs)", from /proc/cpuinfo ("unknown processor" where it has none).
 * Results that are bit-identical on one machine may differ in the last bits on
 * another (libm, libmvec and oneDNN choose code by processor), so checkpoints
 * and evaluations record it. */
const char *ph_machine(void);

/* The command line every config-driven stage shares:
 *   CONFIG.ini [--set SECTION.KEY=VALUE]... [--out DIR] [--device D] [--force|--resume] [--quiet]
 *              [--help] [--version]
 * --out DIR is --set OUT_KEY=DIR, --device D is --set DEVICE_KEY=D (only where
 * device_key is not NULL); --force and --resume (keep outputs that a run of the same
 * config completed) only where allow_force, and not both. */
typedef struct {
    const char *config_path;
    const char *sets[64];
    int nsets, force, resume, quiet;
    int check;                 /* --check CONFIG.ini...: validate the configs and exit */
    char *const *configs;      /* with --check: every config named */
    int nconfigs;
} ph_stage_options;
void ph_stage_options_parse(int argc, char **argv, const char *out_key, const char *device_key,
                            int allow_force, void (*usage)(FILE *f), ph_stage_options *o);

/* --check: reads each config of o, applies o's --set options and validates it
 * against the sections (ranges, choices, unknown keys), then `more` (the stage's
 * own checks of one config; may be NULL), and ends the process: exit 0 when
 * every config is valid, else the first error's one line and exit 2.  What a
 * sweep's submitter runs over every point's config before writing anything. */
__attribute__((noreturn)) void ph_stage_check_configs(const ph_stage_options *o, const cfg_section *const *sections,
                                                      int nsections, void (*more)(const cfg *c, const char *path));

/* Rank 0 reads the file and broadcasts it; a read failure is a usage error on all ranks. */
char *ph_config_read_bcast(const char *path);
/* The stage's config: rank 0 reads the file and the files it includes (cfg_read_files), every
 * rank parses the same texts into c (cfg_init'ed); a read failure or a bad include is a usage
 * error on all ranks. */
void ph_config_load(cfg *c, const char *path);
/* Rank 0's message (or "" for none) reaches every rank; if non-empty all exit 2. */
void ph_usage_check_bcast(const char *msg_on_rank0);

/* Collective, after the output folder exists: rank 0 takes an exclusive
 * lock on DIR/.phasor-STAGE.lock for the rest of the run (the kernel drops it
 * when the process ends, killed or not).  A second run of the stage into the
 * same folder is refused with one line (exit 2) before it writes anything;
 * the lock is flock(2), which parallel file systems honour across nodes only
 * where mounted with it (Lustre: -o flock). */
void ph_out_dir_lock(const char *dir);

#endif
