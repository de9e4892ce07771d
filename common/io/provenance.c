/* provenance.c: root attributes of outputs. */
#include "provenance.h"

#include "core/error.h"
#include "core/version.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void ph_created_now(MPI_Comm comm, char *buf, size_t n)
{
    char t[32] = "";
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    PH_CHECK_MPI(MPI_Bcast(t, sizeof t, MPI_CHAR, 0, comm), "sharing the creation time",
                 "check the MPI installation");
    snprintf(buf, n, "%s", t);
}

void ph_provenance_write(ph_samples_writer *w, const ph_provenance *p)
{
    ph_samples_attr_i64(w, "phasor_schema", PHASOR_SCHEMA_VERSION);
    ph_samples_attr_str(w, "stage", p->stage);
    ph_samples_attr_str(w, "challenge", p->challenge);
    ph_samples_attr_str(w, "split", p->split);
    ph_samples_attr_str(w, "condition", p->condition);
    ph_samples_attr_i64(w, "seed", p->seed);
    ph_samples_attr_str(w, "config", p->config_text);
    ph_samples_attr_str(w, "software_version", PHASOR_VERSION);
    ph_samples_attr_str(w, "git_commit", PHASOR_GIT_COMMIT);
    ph_samples_attr_i64(w, "mpi_ranks", w->size);
    ph_samples_attr_str(w, "created", p->created);
    /* Slurm ids when present; every rank of one job sees the same values. */
    static const char *const slurm[][2] = {{"SLURM_JOB_ID", "slurm_job_id"},
                                           {"SLURM_ARRAY_JOB_ID", "slurm_array_job_id"},
                                           {"SLURM_ARRAY_TASK_ID", "slurm_array_task_id"}};
    for (size_t i = 0; i < sizeof slurm / sizeof slurm[0]; i++) {
        const char *v = getenv(slurm[i][0]);
        if (v && *v) ph_samples_attr_str(w, slurm[i][1], v);
    }
}
