/* provenance.h: the root attributes every phasor output carries (docs/schema.md). */
#ifndef PHASOR_PROVENANCE_H
#define PHASOR_PROVENANCE_H

#include "h5samples.h"

typedef struct {
    const char *stage;     /* "generate" */
    const char *challenge; /* or model name */
    const char *split;
    const char *condition;
    int64_t seed;
    const char *config_text; /* effective config */
    const char *created;     /* ISO 8601 UTC, the same string on every rank */
} ph_provenance;

/* ISO 8601 UTC time of rank 0, broadcast so every rank writes the same text. */
void ph_created_now(MPI_Comm comm, char *buf, size_t n);
/* Collective: writes phasor_schema, stage, challenge, split, condition, seed,
 * config, software_version, git_commit, mpi_ranks, created and Slurm ids. */
void ph_provenance_write(ph_samples_writer *w, const ph_provenance *p);

#endif
