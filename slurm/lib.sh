# slurm/lib.sh: what slurm/submit, slurm/task and slurm/status share (sourced, bash).
# shellcheck shell=bash
#
# A run folder RUN holds:
#   run.conf            shell assignments written by slurm/submit (stages, points, per-stage settings)
#   experiment.ini      the experiment as given (its includes resolved into one file);
#                       sets: its --set overrides, one per line
#   points.tsv          point index and its axis values
#   jobs                "STAGE JOBID ARRAY OFFSET N LAST" per array submitted: task t runs the
#                       points OFFSET + tN to OFFSET + tN + N - 1, at most LAST (N: points_per_task)
#   slurm/STAGE.sbatch  the rendered batch scripts
#   pNNNN/              one folder per point: point.ini, STAGE.ini, STAGE.cmd (the command),
#                       STAGE.log (everything the stage printed), STAGE.state, STAGE/ (outputs)
# STAGE.state is one line: "running HOST PID JOB", "done", "failed RC LINE", "requeued JOB",
# "stopped SIGNAL"; no file: not started.

# The pipeline's stages in order; those whose executable exists take part.
# shellcheck disable=SC2034 # used by slurm/submit
PHASOR_PIPELINE=(generate preprocess train probe analyze)

slurm_die() { echo "${SLURM_ME:-slurm}: $1" >&2; exit "${2:-1}"; }

# point_dir RUN INDEX WIDTH
point_dir() { printf '%s/p%0*d' "$1" "$3" "$2"; }

# state_read FILE: prints the state line ("" if none)
state_read() { [ -f "$1" ] && head -n1 "$1" || true; }

# state_write FILE LINE...: atomically
state_write() {
    local f=$1
    shift
    printf '%s\n' "$*" >"$f.tmp.$$" && mv -f "$f.tmp.$$" "$f"
}

# run_conf_load RUN: sources RUN/run.conf
run_conf_load() {
    [ -f "$1/run.conf" ] || slurm_die "$1 is not a run folder (no run.conf; slurm/submit writes it)" 2
    # shellcheck disable=SC1091
    . "$1/run.conf"
}

# stage_setting STAGE KEY: the per-stage value run.conf recorded (KEY_STAGE)
stage_setting() { local v="${2}_${1}"; printf '%s' "${!v-}"; }

# The last line beginning with "phasor-" (a stage's error), else the last non-empty line.
error_line() {
    local l
    l=$(grep -a '^phasor-' "$1" 2>/dev/null | tail -n1)
    [ -n "$l" ] || l=$(grep -a -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n1)
    printf '%s' "$l" | cut -c1-400
}
