/* phasor-probe: checkpoints + sample files -> layer features, synthetic or
 * imported neural sites, and neural predictivity (docs/probe.md).  One
 * subcommand per task, each with its own options:
 *   features  a trained model's layer activations on the predictivity grid
 *   sites     synthetic spatially resolved sites (or imported recordings)
 *   neural    leave-one-image-out regression from features to sites
 *   linear    the 3D-PC linear probe on stored features
 * Every output is the same for any number of MPI ranks. */
#include "core/error.h"
#include "core/stage.h"
#include "probe.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-probe COMMAND [options]   (mpirun -np P phasor-probe ... for P ranks)\n"
            "\n"
            "commands (each has --help):\n"
            "  features CHECKPOINT.h5 SAMPLES.h5 --layers a,b --grid G --out DIR\n"
            "             a trained model's layer activations on a G x G grid -> DIR/features.h5\n"
            "  sites SAMPLES.h5 --out DIR [--sites K --grid G --noise s --seed n]\n"
            "  sites --import ARRAY.npy --out DIR\n"
            "             synthetic neural sites driven by /maps/human, or real recordings\n"
            "             [N, X, Y, K] -> DIR/sites.h5 with the reliability ceilings\n"
            "  neural FEATURES.h5 SITES.h5 --out DIR [--method pls|ridge --components 25]\n"
            "             leave-one-image-out predictivity per layer -> DIR/neural.tsv, neural.h5\n"
            "  linear TRAIN.h5 VAL.h5 [TEST.h5] --layer L --out DIR\n"
            "             the 3D-PC linear probe on stored features -> DIR/linear.tsv, linear_best.tsv\n"
            "\n"
            "options: --help (this text), --version\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n");
}

int main(int argc, char **argv)
{
    ph_stage_begin(&argc, &argv, "probe");
    if (argc < 2) ph_usage_error("expected a command: features, sites, neural or linear (see phasor-probe --help)");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) ph_stage_print_and_exit(usage);
    if (!strcmp(cmd, "--version")) ph_stage_print_and_exit(ph_print_version);
    int rc;
    if (!strcmp(cmd, "features")) rc = probe_features_main(argc - 1, argv + 1);
    else if (!strcmp(cmd, "sites")) rc = probe_sites_main(argc - 1, argv + 1);
    else if (!strcmp(cmd, "neural")) rc = probe_neural_main(argc - 1, argv + 1);
    else if (!strcmp(cmd, "linear")) rc = probe_linear_main(argc - 1, argv + 1);
    else ph_usage_error("unknown command '%s': expected features, sites, neural or linear (see phasor-probe --help)", cmd);
    ph_stage_end();
    return rc;
}
