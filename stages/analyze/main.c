/* phasor-analyze: sample files, checkpoints and run folders -> tables, figures
 * and reports.  One analysis per subcommand, each with its own command line
 * and file (the general ones below, the studies' in common/studies); this file
 * only dispatches. */
#include "core/error.h"
#include "core/stage.h"
#include "core/version.h"
#include "studies/studies.h"
#include "evaluate.h"
#include "scaling.h"
#include "summary.h"

#include <stdio.h>
#include <string.h>

/* The general analyses; each study adds its own (common/studies/studies.c). */
static const ph_analysis general[] = {
    {"summary", "per file: N, T, label balance, size, compression, target motion; a contact sheet",
     ph_analyze_summary_main},
    {"evaluate", "a trained model's accuracy on a held-out sample file", ph_analyze_evaluate_main},
    {"scaling", "saturating power laws of error against data and model size, with projections",
     ph_analyze_scaling_main},
};
static const int ngeneral = (int)(sizeof general / sizeof general[0]);

/* Analysis i of all: the general ones, then the studies'. */
static const ph_analysis *analysis_at(int i)
{
    return i < ngeneral ? &general[i] : &ph_study_analyses[i - ngeneral];
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze ANALYSIS [options] ...\n"
            "       phasor-analyze ANALYSIS --help\n"
            "\n"
            "Runs one analysis and writes its tables, figures and reports into --out DIR, from\n"
            "any number of MPI ranks (mpirun -np P phasor-analyze ...); the results do not\n"
            "depend on P.  Outputs appear as NAME.partial and are renamed to NAME only when\n"
            "complete; --force replaces existing outputs.\n"
            "\n"
            "options (without an analysis):\n"
            "  --help        this text\n"
            "  --version     version and git commit\n"
            "\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure (unreadable input, I/O).\n"
            "\n"
            "analyses:\n");
    for (int i = 0; i < ngeneral + ph_study_analysis_count; i++)
        fprintf(f, "  %-21s %s\n", analysis_at(i)->name, analysis_at(i)->summary);
}

int main(int argc, char **argv)
{
    ph_stage_begin(&argc, &argv, "analyze");
    if (argc < 2)
        ph_usage_error("expected an analysis, e.g. phasor-analyze summary SAMPLES.h5 --out DIR (see phasor-analyze --help)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ph_stage_print_and_exit(usage);
    if (!strcmp(argv[1], "--version")) ph_stage_print_and_exit(ph_print_version);
    for (int i = 0; i < ngeneral + ph_study_analysis_count; i++)
        if (!strcmp(argv[1], analysis_at(i)->name)) {
            int rc = analysis_at(i)->main(argc - 1, argv + 1);
            ph_stage_end();
            return rc;
        }
    char names[512] = "";
    for (int i = 0; i < ngeneral + ph_study_analysis_count; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", analysis_at(i)->name);
    ph_usage_error("unknown analysis '%s' (choose one of: %s)", argv[1], names);
}
