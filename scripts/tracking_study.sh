#!/usr/bin/env bash
# scripts/tracking_study.sh: the tracking study here, from nothing to REPORT.md (make reproduce-tracking).
#
# 1. generates the held-out test grids (configs/tracking_study_local_tests.ini: PathTracker
#    distractors x length; ..._tests_featuretracker.ini: FeatureTracker shapes x colours);
# 2. trains the recurrent models (InT, CV-RNN) through a length curriculum: 8 frames
#    (configs/tracking_study_local_short.ini), 16 frames (the same config with the settings
#    chain() is given below, continuing each point with [train] init), then 32 frames
#    (configs/tracking_study_local.ini), where each point
#    scores its best.h5 on every file of the test grid (phasor-analyze evaluate);
# 3. trains and scores the feed-forward baselines (..._baselines.ini: 3D CNN, frame CNN);
# 4. FeatureTracker at 8 frames, where the models learn the 10-distractor task (at 32 they stay
#    at chance): the recurrent models at 1 distractor (..._featuretracker8_d1.ini), then 10
#    (..._featuretracker8.ini), three seeds each; the baselines' config at 8 frames; all scored on
#    the FeatureTracker grid at 8 frames;
# 5. writes the report: phasor-analyze tracking-report over the run folders.
# Steps 2 to 4 run for PathTracker and FeatureTracker (the *_featuretracker configs, then step 4)
# side by side, one core each.  Points already done are kept, so running it again after an
# interruption continues.
#
# usage: scripts/tracking_study.sh [--runs DIR] [--out DIR] [--parts N] [--set S.K=V]... [--set-tests S.K=V]...
#                                  [--evaluate-batch B] [--bootstrap N] [--jobs N]
#   --runs DIR        parent of the run folders (default runs): DIR/tracking_study_local_tests*,
#                     DIR/tracking_study_local_short{8,16}*, DIR/tracking_study_local*, DIR/tracking_study_local_baselines*
#                     (FeatureTracker at 8 frames: the folders ending in featuretracker8*)
#   --out DIR         report folder (default results/tracking)
#   --parts N         1: the two challenges one after the other; 2: side by side (default 2)
#   --set S.K=V       passed to slurm/submit for every training sweep (tests shrink them)
#   --set-tests S.K=V passed to slurm/submit for the three test-grid sweeps
#   --evaluate-batch B  videos per forward pass of phasor-analyze evaluate (default 50)
#   --bootstrap N     bootstrap replicates of the report (default: tracking-report's)
#   --jobs N          points of a 32-frame stage run at once (slurm/submit --local --jobs; default
#                     2: PathTracker's has 6 points and outlasts the FeatureTracker chain beside it)
# Environment: PHASOR_BUILD, the build folder (default build).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
runs=runs out=results/tracking parts=2 ebatch=50
sets=() test_sets=() report_opts=() jobs=(--jobs 2)
die() { echo "tracking_study.sh: $1" >&2; exit "${2:-1}"; }
while [ $# -gt 0 ]; do
    case $1 in
    --runs | --out | --parts | --set | --set-tests | --evaluate-batch | --bootstrap | --jobs)
        [ $# -ge 2 ] || die "option $1 needs a value" 2
        case $1 in
        --runs) runs=$2 ;;
        --out) out=$2 ;;
        --parts) parts=$2 ;;
        --set) sets+=(--set "$2") ;;
        --set-tests) test_sets+=(--set "$2") ;;
        --evaluate-batch) ebatch=$2 ;;
        --bootstrap) report_opts+=(--bootstrap "$2") ;;
        --jobs) jobs=(--jobs "$2") ;;
        esac
        shift
        ;;
    -h | --help) sed -n '2,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 2 ;;
    esac
    shift
done
case $parts in 1 | 2) ;; *) die "--parts must be 1 or 2, got '$parts'" 2 ;; esac
build=${PHASOR_BUILD:-$root/build}
[ -x "$build/bin/phasor-analyze" ] || die "no $build/bin/phasor-analyze (build phasor first: make)" 2
mkdir -p "$runs" || die "cannot create $runs" 1
runs=$(cd "$runs" && pwd)

pids=()
# submit CONFIG RUN [options...]: slurm/submit --local of configs/CONFIG.ini into $runs/RUN (in
# the foreground; its log is $runs/RUN.submit.log).
submit() {
    local config=$1 name=$2
    shift 2
    echo "tracking_study.sh: configs/$config.ini -> $runs/$name (progress: slurm/status $runs/$name)" >&2
    PHASOR_BUILD=$build "$root/slurm/submit" --local "$root/configs/$config.ini" --out "$runs/$name" "$@" \
        >"$runs/$name.submit.log" 2>&1 && return 0
    echo "tracking_study.sh: $runs/$name did not finish; the end of $runs/$name.submit.log:" >&2
    tail -n 5 "$runs/$name.submit.log" >&2
    return 1
}
# background COMMAND...: runs COMMAND in the background when parts = 2 (wait_all waits).
background() {
    set -m # its own process group (see the trap below); off again, so no job notices are printed
    "$@" &
    pids+=("$!")
    set +m
    [ "$parts" = 2 ] || wait_all
}
rc=0 stopped=0
# wait returns early when a trap runs: wait again until the job is gone.
wait_all() {
    local p st
    for p in "${pids[@]}"; do
        while :; do
            wait "$p"
            st=$?
            [ "$st" -gt 128 ] && kill -0 "$p" 2>/dev/null || break
        done
        [ "$st" = 0 ] || rc=1
    done
    pids=()
    [ "$stopped" = 0 ] || die "stopped by a signal (the stages saved what they had); run the same command again to continue" 130
}
# Each background job runs in its own process group (job control), so a background job does
# not ignore signals and one kill reaches its whole tree: slurm/task passes TERM on to its
# stage (training saves a checkpoint).  Ctrl-C or TERM: stop everything, then exit.
trap 'stopped=1; for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done' INT TERM

background submit tracking_study_local_tests tracking_study_local_tests "${test_sets[@]+"${test_sets[@]}"}"
background submit tracking_study_local_tests_featuretracker tracking_study_local_tests_featuretracker \
    "${test_sets[@]+"${test_sets[@]}"}"
background submit tracking_study_local_tests_featuretracker tracking_study_local_tests_featuretracker8 \
    --set featuretracker.length=8 "${test_sets[@]+"${test_sets[@]}"}"
wait_all

# Every scored point is scored on its challenge's whole test grid (the files of step 1, in
# point order), whatever the configs' default paths say.
grid() {
    local files="" p
    for p in "$runs/$1"/p[0-9][0-9][0-9][0-9]; do files="$files $p/generate/test.h5"; done
    # evaluate's default batch is 50: passed only when it differs, so the commands stay the same.
    [ "$ebatch" = 50 ] || files="$files --batch $ebatch"
    echo "$files"
}
# inits RUN: the best.h5 of every point of RUN, as one comma list (point order).
inits() {
    local list="" p
    for p in "$runs/$1"/p[0-9][0-9][0-9][0-9]; do list="$list${list:+, }$p/train/best.h5"; done
    echo "$list"
}
# chain SUFFIX LENGTH_KEY SETTINGS16 INIT: one challenge's training, stage after stage (a failed
# stage stops the ones that build on it; the baselines do not depend on it).  SUFFIX is ""
# (PathTracker) or _featuretracker; LENGTH_KEY the challenge's length key; SETTINGS16 the 16-frame
# stage's training settings over its short config's (space-separated S.K=V); INIT how a 32-frame
# point finds its 16-frame model: "name" (the point of the same name) or "zip" (the list of the
# 16-frame points' models, which the 32-frame config zips with its model axis: it has more points
# than the 16-frame stage, e.g. several seeds per model).
chain() {
    local x=$1 len=$2 ok=0 args s16=() kv init
    for kv in $3; do s16+=(--set "$kv"); done
    args=(--set "analyze.args=evaluate {train}/best.h5$(grid "tracking_study_local_tests$x")")
    submit "tracking_study_local_short$x" "tracking_study_local_short8$x" "${sets[@]+"${sets[@]}"}" &&
        submit "tracking_study_local_short$x" "tracking_study_local_short16$x" --set "$len=16" "${s16[@]}" \
            --set "train.init=$runs/tracking_study_local_short8$x/{name}/train/best.h5" "${sets[@]+"${sets[@]}"}" &&
        { init="$runs/tracking_study_local_short16$x/{name}/train/best.h5"
          [ "$4" = zip ] && init=$(inits "tracking_study_local_short16$x")
          submit "tracking_study_local$x" "tracking_study_local$x" "${args[@]}" --set "train.init=$init" \
            "${jobs[@]+"${jobs[@]}"}" "${sets[@]+"${sets[@]}"}"; } || ok=1
    submit "tracking_study_local_baselines$x" "tracking_study_local_baselines$x" "${args[@]}" \
        "${sets[@]+"${sets[@]}"}" || ok=1
    return $ok
}
# FeatureTracker at 8 frames: the recurrent models' two stages (1, then 10 distractors; {name}
# pairs the points), and the baselines' config at 8 frames, all scored on the 8-frame grid.
featuretracker8() {
    local ok=0 args
    args=(--set "analyze.args=evaluate {train}/best.h5$(grid tracking_study_local_tests_featuretracker8)")
    submit tracking_study_local_featuretracker8_d1 tracking_study_local_featuretracker8_d1 "${sets[@]+"${sets[@]}"}" &&
        submit tracking_study_local_featuretracker8 tracking_study_local_featuretracker8 "${args[@]}" \
            --set "train.init=$runs/tracking_study_local_featuretracker8_d1/{name}/train/best.h5" \
            "${sets[@]+"${sets[@]}"}" || ok=1
    submit tracking_study_local_baselines_featuretracker tracking_study_local_baselines_featuretracker8 "${args[@]}" \
        --set featuretracker.length=8 "${sets[@]+"${sets[@]}"}" || ok=1
    return $ok
}
# The FeatureTracker chain finishes well before PathTracker's, so its core then runs the 8-frame
# FeatureTracker models.
featuretracker_all() {
    local ok=0
    chain _featuretracker featuretracker.length "train.lr=0.001" name || ok=1
    featuretracker8 || ok=1
    return $ok
}
# The 16-frame stages: PathTracker 150 steps at a constant 3e-3 (its short config has 300 cosine
# steps); FeatureTracker its short config's 300 constant steps at 1e-3.
background chain "" pathtracker.length "train.steps=150 train.schedule=constant train.warmup=0 train.lr=0.003" zip
background featuretracker_all
wait_all

echo "tracking_study.sh: writing the report into $out" >&2
# The report lists points without an evaluation as missing, so it is written either way.
"$build/bin/phasor-analyze" tracking-report "$runs/tracking_study_local" "$runs/tracking_study_local_featuretracker" \
    "$runs/tracking_study_local_baselines" "$runs/tracking_study_local_baselines_featuretracker" \
    "$runs/tracking_study_local_tests" "$runs/tracking_study_local_tests_featuretracker" \
    "$runs/tracking_study_local_short8" "$runs/tracking_study_local_short16" \
    "$runs/tracking_study_local_short8_featuretracker" "$runs/tracking_study_local_short16_featuretracker" \
    "$runs/tracking_study_local_featuretracker8" "$runs/tracking_study_local_baselines_featuretracker8" \
    "$runs/tracking_study_local_tests_featuretracker8" "$runs/tracking_study_local_featuretracker8_d1" --out "$out" --force \
    "${report_opts[@]+"${report_opts[@]}"}" || rc=1
exit "$rc"
