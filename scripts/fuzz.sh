#!/usr/bin/env bash
# scripts/fuzz.sh: the `make fuzz` driver (docs/fuzzing.md).
#
# Writes the seed corpora (make_seeds, and configs/*.ini for the config
# parser), then runs each libFuzzer harness in turn for FUZZ_SECONDS with its
# seeds, the inputs of tests/fuzz/regress/TARGET/ (crashes found and fixed)
# and the corpus that earlier runs grew (build-fuzz/fuzz/corpus/TARGET/).
# Prints one line per target: executions, seconds, result.
#
# A finding (sanitizer report, hang over FUZZ_TIMEOUT seconds, one malloc
# over 1 GB or RSS over 3 GB: no input of a few KB needs that) ends the
# target and makes the exit status 1, with its input in
# build-fuzz/fuzz/artifacts/TARGET/ and the report in build-fuzz/fuzz/logs/.
# One exception, because phasor cannot fix it: a memory error of a system
# library on memory that library allocated itself (libhdf5 1.10 reading a
# malformed file, docs/fuzzing.md).  Such an input is listed in
# build-fuzz/fuzz/third_party/TARGET.txt, dropped from the corpus, and the
# target goes on for the rest of its time.
#
# Environment: PHASOR_FUZZ_BUILD (absolute build-fuzz folder, set by make),
# FUZZ_SECONDS (60 per target), FUZZ_TARGETS (all: "config samples
# checkpoint image"), FUZZ_TIMEOUT (10), FUZZ_ARGS (more libFuzzer flags).
set -uo pipefail

BUILD=${PHASOR_FUZZ_BUILD:?set PHASOR_FUZZ_BUILD to the absolute fuzz build folder (make fuzz does)}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-config samples checkpoint image}
DIR=$BUILD/fuzz
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
# Leak checks off: an input refused with one line jumps back past the frees
# of what the reader held (phasor's own runs end there, so that is not a
# leak).  A malloc too large for any machine returns NULL, as glibc's does.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Each input is written to a file: in memory (tmpfs) that is 20x faster than on disk.
SCRATCH=${TMPDIR:-/tmp}
if [[ -d /dev/shm && -w /dev/shm ]]; then SCRATCH=/dev/shm; fi
# One thread: the readers do not need more, and the machine may be shared.
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive

rm -rf "$DIR/seeds"
"$DIR/make_seeds" "$DIR/seeds" || { echo "fuzz.sh: make_seeds failed" >&2; exit 2; }
mkdir -p "$DIR/seeds/config"
cp "$ROOT"/configs/*.ini "$DIR/seeds/config/" || exit 2

# The first frame of a stack (a report on stdin) that is phasor's (a source
# path in this tree) or a shared library's other than the C runtime; the
# sanitizer and libFuzzer frames (the harness binary, no source path) and
# libc's (signal delivery) are skipped.
first_frame() {
    awk -v src=" $ROOT/" '/^    #[0-9]+ / && (index($0, src) || (/ \(\/(usr\/)?lib\// && !/\/lib(c|m|stdc\+\+|pthread)[.-]/)) { print; exit }'
}

# third_party LOG: the library's name when the finding is inside a shared
# library and on memory that library allocated itself (or a hang or a huge
# malloc there), else nothing: a finding in phasor (or one to triage).
third_party() {
    local log=$1 report top alloc lib
    report=$(sed -n '/ERROR: \(AddressSanitizer\|libFuzzer\)/,$p' "$log")
    [[ -n $report ]] || return 0 # UBSan reports phasor's own code only
    if grep -q 'out-of-memory (malloc' <<<"$report"; then
        # the stack starts inside the sanitizer's malloc: its caller counts
        top=$(sed -n '/ in \(malloc\|calloc\|realloc\) /,$p' <<<"$report" | sed 1d | first_frame)
    elif grep -q 'out-of-memory (used' <<<"$report"; then
        # too much memory in use: the site of most of it (libFuzzer's heap
        # profile, largest first) counts, if it holds at least half
        local site
        site=$(grep -m1 -E 'byte\(s\) \([0-9]+%\) in' <<<"$report")
        [[ $(sed -E 's/.*\(([0-9]+)%\).*/\1/' <<<"$site") -ge 50 ]] 2>/dev/null || return 0
        top=$(sed -n "/$(sed 's/[][\/.*^$]/\\&/g' <<<"$site")/,\$p" <<<"$report" | first_frame)
    else
        top=$(first_frame <<<"$report")
    fi
    lib=$(grep -oE '/lib[a-z0-9_]+\.so' <<<"$top" | head -1 | sed 's|^/||; s|\.so$||')
    [[ -n $lib ]] || return 0
    # memory on phasor's stack, in its globals or allocated by phasor: phasor's
    grep -A1 'is located in stack of' <<<"$report" | grep -qF " $ROOT/" && return 0
    grep 'global variable' <<<"$report" | grep -qF "$ROOT/" && return 0
    alloc=$(sed -n '/allocated by thread/,$p' <<<"$report" | sed 1d | first_frame)
    [[ $alloc == *" $ROOT/"* ]] && return 0
    echo "$lib"
}

failed=0
printf '%-11s %12s %8s  %s\n' target executions seconds result
for t in $TARGETS; do
    exe=$DIR/fuzz_$t
    [[ -x $exe ]] || { echo "fuzz.sh: $exe is missing (make fuzz builds it)" >&2; exit 2; }
    mkdir -p "$DIR/corpus/$t" "$DIR/artifacts/$t" "$DIR/logs" "$DIR/third_party"
    : >"$DIR/third_party/$t.txt"
    rm -f "$DIR/logs/$t".*.log
    dirs=("$DIR/corpus/$t" "$DIR/seeds/$t")
    [[ -d $ROOT/tests/fuzz/regress/$t ]] && dirs+=("$ROOT/tests/fuzz/regress/$t")
    runs=0 spent=0 segment=0 others=0 result=
    while ((spent < SECONDS_PER)); do
        segment=$((segment + 1))
        log=$DIR/logs/$t.$segment.log
        t0=$(date +%s)
        # A crashed harness leaves its scratch folder (removed at exit) and
        # clang's OpenMP runtime its /dev/shm registration: both go afterwards.
        tmp=$(mktemp -d "$SCRATCH/phasor-fuzz-run.XXXXXX") || exit 2
        # close_fd_mask=2: the harness's stderr (one refusal line per input) is
        # closed; libFuzzer and the sanitizers still report on a copy of it.
        # shellcheck disable=SC2086
        TMPDIR=$tmp "$exe" -max_total_time=$((SECONDS_PER - spent)) -timeout="${FUZZ_TIMEOUT:-10}" \
            -rss_limit_mb=3072 -malloc_limit_mb=1024 -detect_leaks=0 -close_fd_mask=2 -print_final_stats=1 \
            -artifact_prefix="$DIR/artifacts/$t/" ${FUZZ_ARGS:-} "${dirs[@]}" >"$log" 2>&1 &
        pid=$!
        wait "$pid"
        rc=$?
        rm -rf "$tmp" /dev/shm/__KMP_REGISTERED_LIB_"${pid}"_*
        spent=$((spent + $(date +%s) - t0))
        # libFuzzer's last line, "Done N runs in S second(s)"; after a finding
        # only the final stats count the executions.
        n=$(sed -nE 's/^Done ([0-9]+) runs in [0-9]+ second.*/\1/p' "$log" | tail -1)
        [[ -z $n ]] && n=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
        runs=$((runs + ${n:-0}))
        ((rc == 0)) && break
        art=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | tail -1)
        lib=$(third_party "$log")
        if [[ -n $lib && -n $art ]]; then
            others=$((others + 1))
            kind=$(grep -m1 -oE 'ERROR: [A-Za-z]+: [A-Za-z-]+' "$log")
            echo "$art: $kind in $lib ($log)" >>"$DIR/third_party/$t.txt"
            rm -f "$DIR/corpus/$t/$(basename "$art" | sed 's/^[a-z-]*-//')"
            continue
        fi
        failed=1
        kind=$(grep -m1 -oE 'ERROR: [A-Za-z]+: [A-Za-z-]+|runtime error: .*' "$log")
        result="FINDING (exit $rc${kind:+: $kind}${art:+; input $art}; log $log)"
        break
    done
    if [[ -z $result ]]; then
        result=ok
        ((others)) && result="ok; $others input(s) crash inside a system library, not phasor: $DIR/third_party/$t.txt"
    fi
    printf '%-11s %12s %8s  %s\n' "$t" "$runs" "$spent" "$result"
done
exit $failed
