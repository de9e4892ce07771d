/* phasor-analyze: sample files, checkpoints and run folders -> tables, figures
 * and reports.  One analysis per subcommand, each with its own command line
 * and file (table `commands`); this file only dispatches. */
#include "../../common/core/error.h"
#include "../../common/core/stage.h"
#include "../../common/core/version.h"
#include "alignment.h"
#include "evaluate.h"
#include "harmonization_report.h"
#include "maco.h"
#include "shortcut.h"
#include "summary.h"
#include "svrt_report.h"
#include "tracking_report.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name, *summary;
    int (*main)(int argc, char **argv);
} commands[] = {
    {"summary", "per file: N, T, label balance, size, compression, target motion; a contact sheet",
     ph_analyze_summary_main},
    {"maco", "feature visualisations of a trained model (MACO, Fourier, pixels) with attribution maps; config-driven",
     ph_analyze_maco_main},
    {"evaluate", "a trained model's accuracy on a held-out sample file", ph_analyze_evaluate_main},
    {"shortcut", "a tracking file's shortcut floor: accuracy from the start-goal distance alone", ph_analyze_shortcut_main},
    {"alignment", "a trained image model against human importance maps (saliency and adversarial alignment)",
     ph_analyze_alignment_main},
    {"svrt-report", "the SVRT study's report from its sweeps", ph_analyze_svrt_report_main},
    {"tracking-report", "the tracking study's report from its sweeps", ph_analyze_tracking_report_main},
    {"harmonization-report", "the neural-harmonizer study's report from its sweeps",
     ph_analyze_harmonization_report_main},
};
static const int ncommands = (int)(sizeof commands / sizeof commands[0]);

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
    for (int i = 0; i < ncommands; i++) fprintf(f, "  %-21s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    ph_stage_begin(&argc, &argv, "analyze");
    if (argc < 2)
        ph_usage_error("expected an analysis, e.g. phasor-analyze summary SAMPLES.h5 --out DIR (see phasor-analyze --help)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ph_stage_print_and_exit(usage);
    if (!strcmp(argv[1], "--version")) ph_stage_print_and_exit(ph_print_version);
    for (int i = 0; i < ncommands; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            int rc = commands[i].main(argc - 1, argv + 1);
            ph_stage_end();
            return rc;
        }
    char names[512] = "";
    for (int i = 0; i < ncommands; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", commands[i].name);
    ph_usage_error("unknown analysis '%s' (choose one of: %s)", argv[1], names);
}
