# tests/lib.sh: small TAP helpers for the shell tests (source it from a .t file).
# shellcheck shell=bash
#
#   plan N | done_testing      the plan, before the first or after the last test
#   ok DESC CMD [ARG...]       passes when CMD exits 0
#   is GOT WANT DESC           passes when the two strings are equal
#   skip REASON [COUNT]        COUNT skipped tests (default 1)
#   diag TEXT... / diag_file F  '# ' lines on stderr
#   run_phasor STAGE ARG...    runs build/bin/phasor-STAGE; sets RC, OUT and ERR (files)
#   run_mpi NP STAGE ARG...    the same under mpirun --oversubscribe -np NP
#
# A failed test prints its description and the stderr of the last run as '# '
# lines.  Every test file gets a fresh $TMPD, removed on exit (kept when a test failed).  PHASOR_BUILD
# is the absolute build folder (default: $(pwd)/build).  The exit status is the
# number of failed tests (at most 254), as with Perl's Test::More.

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
PHASOR_BUILD=${PHASOR_BUILD:-$(pwd)/build}

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/phasor-test.XXXXXX") || { echo "Bail out! mktemp failed"; exit 255; }
OUT=$TMPD/.stdout ERR=$TMPD/.stderr RC=
: >"$OUT"; : >"$ERR"
_tap_n=0 _tap_failed=0 _tap_planned=

_tap_exit() {
    local st=$?
    # A failing file keeps its folder (logs, run folders) for inspection.
    if [ "$_tap_failed" -gt 0 ]; then echo "# kept for inspection: $TMPD" >&2; else rm -rf "$TMPD"; fi
    if [ -z "$_tap_planned" ]; then
        echo "# no plan: the test file ended early after $_tap_n tests" >&2
        exit 255
    fi
    if [ "$_tap_failed" -gt 0 ]; then
        st=$((_tap_failed > 254 ? 254 : _tap_failed))
    elif [ "$st" != 255 ]; then # 255: bailed out
        st=0
    fi
    exit "$st"
}
trap _tap_exit EXIT

plan() { _tap_planned=$1; echo "1..$1"; }
done_testing() { _tap_planned=$_tap_n; echo "1..$_tap_n"; }

diag() { local l; printf '%s\n' "$@" | while IFS= read -r l; do echo "# $l" >&2; done; }
diag_file() { [ -s "$1" ] && sed 's/^/#   /' "$1" >&2; return 0; }

# _tap_result PASSED DESC
_tap_result() {
    _tap_n=$((_tap_n + 1))
    local line="ok $_tap_n - $2"
    [ "$1" = 1 ] || line="not ok $_tap_n - $2"
    echo "$line"
    if [ "$1" != 1 ]; then
        _tap_failed=$((_tap_failed + 1))
        diag "  Failed test '$2'"
        if [ -s "$ERR" ]; then
            diag "  stderr of the last run (exit $RC):"
            diag_file "$ERR"
        fi
    fi
    [ "$1" = 1 ]
}

ok() {
    local desc=$1
    shift
    if "$@"; then _tap_result 1 "$desc"; else _tap_result 0 "$desc"; fi
}

is() {
    if [ "$1" = "$2" ]; then
        _tap_result 1 "$3"
    else
        _tap_result 0 "$3"
        diag "         got: '$1'" "    expected: '$2'"
        return 1
    fi
}

skip() {
    local i
    for ((i = 0; i < ${2:-1}; i++)); do
        _tap_n=$((_tap_n + 1))
        echo "ok $_tap_n # SKIP $1"
    done
}

bail_out() { echo "Bail out! $*"; exit 255; }

run_phasor() {
    local stage=$1
    shift
    "$PHASOR_BUILD/bin/phasor-$stage" "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

run_mpi() {
    local np=$1 stage=$2
    shift 2
    mpirun --oversubscribe -np "$np" "$PHASOR_BUILD/bin/phasor-$stage" "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

# pathtracker_ini OUT_DIR LENGTH TRAIN_N [VAL_N [TEST_N]]: a small PathTracker config on stdout
# (one distractor; seeds 1, 2 and 3 for the training, validation and test splits).
pathtracker_ini() {
    printf '[generate]\nout_dir = %s\n[pathtracker]\nlength = %s\nnum_distractors = 1\n' "$1" "$2"
    printf '[split.train]\nn = %s\nseed = 1\n' "$3"
    [ -z "${4-}" ] || printf '[split.val]\nn = %s\nseed = 2\n' "$4"
    [ -z "${5-}" ] || printf '[split.test]\nn = %s\nseed = 3\n' "$5"
}

# cnn3d_train_ini TRAIN VAL OUT_DIR STEPS [WIDTH]: a small phasor-train config (3D CNN, batch 4)
# on stdout.
cnn3d_train_ini() {
    printf '[train]\nmodel = cnn3d\ntrain = %s\nval = %s\nout_dir = %s\nsteps = %s\nbatch = 4\n' "$1" "$2" "$3" "$4"
    printf '[cnn3d]\nwidth = %s\n' "${5:-2}"
}
