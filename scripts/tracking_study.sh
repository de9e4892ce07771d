#!/usr/bin/env bash
# scripts/tracking_study.sh: the tracking study here, from nothing to REPORT.md (make reproduce-tracking).
#
# 1. generates the held-out test grids (configs/tracking_study_local_tests.ini: PathTracker
#    distractors x length; ..._tests_featuretracker.ini: FeatureTracker shapes x colours), the
#    two sweeps side by side with slurm/submit --local;
# 2. runs the two training sweeps side by side, one core each (configs/tracking_study_local.ini:
#    four models on PathTracker; ..._featuretracker.ini: on FeatureTracker); each point trains,
#    then scores best.h5 on every file of its challenge's test grid (phasor-analyze evaluate);
# 3. the same for the feed-forward baselines trained longer (..._baselines{,_featuretracker}.ini);
# 4. writes the report: phasor-analyze tracking-report over the six run folders.
# Points already done are kept, so running it again after an interruption continues.
#
# usage: scripts/tracking_study.sh [--runs DIR] [--out DIR] [--parts N] [--set S.K=V]... [--set-tests S.K=V]...
#                                  [--evaluate-batch B] [--bootstrap N]
#   --runs DIR        parent of the run folders (default runs): DIR/tracking_study_local{,_featuretracker},
#                     DIR/tracking_study_local_baselines{,_featuretracker}, DIR/tracking_study_local_tests{,_featuretracker}
#   --out DIR         report folder (default results/tracking)
#   --parts N         1: the sweeps one after the other; 2: side by side (default 2)
#   --set S.K=V       passed to slurm/submit for the four training sweeps (tests shrink them)
#   --set-tests S.K=V passed to slurm/submit for the two test-grid sweeps
#   --evaluate-batch B  videos per forward pass of phasor-analyze evaluate (default 50)
#   --bootstrap N     bootstrap replicates of the report (default: tracking-report's)
# Environment: PHASOR_BUILD, the build folder (default build).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
runs=runs out=results/tracking parts=2 ebatch=50
sets=() test_sets=() report_opts=()
die() { echo "tracking_study.sh: $1" >&2; exit "${2:-1}"; }
while [ $# -gt 0 ]; do
    case $1 in
    --runs | --out | --parts | --set | --set-tests | --evaluate-batch | --bootstrap)
        [ $# -ge 2 ] || die "option $1 needs a value" 2
        case $1 in
        --runs) runs=$2 ;;
        --out) out=$2 ;;
        --parts) parts=$2 ;;
        --set) sets+=(--set "$2") ;;
        --set-tests) test_sets+=(--set "$2") ;;
        --evaluate-batch) ebatch=$2 ;;
        --bootstrap) report_opts+=(--bootstrap "$2") ;;
        esac
        shift
        ;;
    -h | --help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 2 ;;
    esac
    shift
done
case $parts in 1 | 2) ;; *) die "--parts must be 1 or 2, got '$parts'" 2 ;; esac
build=${PHASOR_BUILD:-$root/build}
[ -x "$build/bin/phasor-analyze" ] || die "no $build/bin/phasor-analyze (build phasor first: make)" 2
mkdir -p "$runs" || die "cannot create $runs" 1
runs=$(cd "$runs" && pwd)

pids=() names=()
# run NAME [options...]: slurm/submit --local of configs/NAME.ini into $runs/NAME, in the
# background when parts = 2 (the caller waits with wait_all).
run() {
    local name=$1
    shift
    echo "tracking_study.sh: configs/$name.ini -> $runs/$name (progress: slurm/status $runs/$name)" >&2
    PHASOR_BUILD=$build "$root/slurm/submit" --local "$root/configs/$name.ini" --out "$runs/$name" "$@" \
        >"$runs/$name.submit.log" 2>&1 &
    pids+=("$!") names+=("$name")
    [ "$parts" = 2 ] || wait_all
}
rc=0
wait_all() {
    local k
    for k in "${!pids[@]}"; do
        if ! wait "${pids[$k]}"; then
            rc=1
            echo "tracking_study.sh: $runs/${names[$k]} did not finish; the end of $runs/${names[$k]}.submit.log:" >&2
            tail -n 5 "$runs/${names[$k]}.submit.log" >&2
        fi
    done
    pids=() names=()
}
# Ctrl-C: the submitters stop their stages (training saves a checkpoint); run again to continue.
trap 'for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done' INT TERM

run tracking_study_local_tests "${test_sets[@]+"${test_sets[@]}"}"
run tracking_study_local_tests_featuretracker "${test_sets[@]+"${test_sets[@]}"}"
wait_all

# Every training point is scored on its challenge's whole test grid (the files of step 1, in
# point order), whatever the configs' default paths say.
grid() {
    local files="" p
    for p in "$runs/$1"/p[0-9][0-9][0-9][0-9]; do files="$files $p/generate/test.h5"; done
    # evaluate's default batch is 50: passed only when it differs, so the commands stay the same.
    [ "$ebatch" = 50 ] || files="$files --batch $ebatch"
    echo "$files"
}
run tracking_study_local --set "analyze.args=evaluate {train}/best.h5$(grid tracking_study_local_tests)" \
    "${sets[@]+"${sets[@]}"}"
run tracking_study_local_featuretracker \
    --set "analyze.args=evaluate {train}/best.h5$(grid tracking_study_local_tests_featuretracker)" \
    "${sets[@]+"${sets[@]}"}"
wait_all
run tracking_study_local_baselines --set "analyze.args=evaluate {train}/best.h5$(grid tracking_study_local_tests)" \
    "${sets[@]+"${sets[@]}"}"
run tracking_study_local_baselines_featuretracker \
    --set "analyze.args=evaluate {train}/best.h5$(grid tracking_study_local_tests_featuretracker)" \
    "${sets[@]+"${sets[@]}"}"
wait_all

echo "tracking_study.sh: writing the report into $out" >&2
# The report lists points without an evaluation as missing, so it is written either way.
"$build/bin/phasor-analyze" tracking-report "$runs/tracking_study_local" "$runs/tracking_study_local_featuretracker" \
    "$runs/tracking_study_local_baselines" "$runs/tracking_study_local_baselines_featuretracker" \
    "$runs/tracking_study_local_tests" "$runs/tracking_study_local_tests_featuretracker" --out "$out" --force \
    "${report_opts[@]+"${report_opts[@]}"}" || rc=1
exit "$rc"
