#!/usr/bin/env bash
# scripts/svrt_study.sh: the SVRT study here, from nothing to REPORT.md (make reproduce-svrt).
#
# Runs the local sweep (configs/svrt_study_local.ini: every point generates its problem's
# splits, trains, and scores best.h5 on the held-out test split) with slurm/submit --local,
# split into parts by problem (odd and even problems by default) that run side by side, one
# core each, then phasor-analyze svrt-report over the parts' run folders.  Points already done
# are kept, so running it again after an interruption continues where it stopped.
#
# usage: scripts/svrt_study.sh [--config FILE] [--runs DIR] [--out DIR] [--parts N] [--set S.K=V]...
#   --config FILE   the sweep (default configs/svrt_study_local.ini)
#   --runs DIR      parent of the run folders (default runs): DIR/NAME_partK, NAME = FILE's name
#   --out DIR       report folder (default results/svrt)
#   --parts N       1 or 2 parts side by side (default 2)
#   --set S.K=V     passed to slurm/submit (tests shrink the study with it); a svrt.problem
#                   list is split over the parts like the default 1..23
# Environment: PHASOR_BUILD, the build folder (default build).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
config=$root/configs/svrt_study_local.ini runs=runs out=results/svrt parts=2
problems=$(seq -s, 1 23)
sets=()
die() { echo "svrt_study.sh: $1" >&2; exit "${2:-1}"; }
while [ $# -gt 0 ]; do
    case $1 in
    --config | --runs | --out | --parts | --set)
        [ $# -ge 2 ] || die "option $1 needs a value" 2
        case $1 in
        --config) config=$2 ;;
        --runs) runs=$2 ;;
        --out) out=$2 ;;
        --parts) parts=$2 ;;
        --set)
            case $2 in
            svrt.problem=*) problems=${2#svrt.problem=} ;;
            *) sets+=(--set "$2") ;;
            esac
            ;;
        esac
        shift
        ;;
    -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 2 ;;
    esac
    shift
done
case $parts in 1 | 2) ;; *) die "--parts must be 1 or 2, got '$parts'" 2 ;; esac
build=${PHASOR_BUILD:-$root/build}
[ -x "$build/bin/phasor-analyze" ] || die "no $build/bin/phasor-analyze (build phasor first: make)" 2
[ -r "$config" ] || die "cannot read $config" 2
name=$(basename "$config" .ini)
mkdir -p "$runs" || die "cannot create $runs" 1

# The problems dealt out to the parts in turn: 1,3,5,... and 2,4,6,...
IFS=, read -r -a list <<<"${problems// /}"
lists=()
for ((k = 0; k < parts; k++)); do
    l=
    for ((i = k; i < ${#list[@]}; i += parts)); do l=$l${l:+,}${list[$i]}; done
    [ -n "$l" ] && lists+=("$l")
done

folders=() pids=() logs=() status=()
for k in "${!lists[@]}"; do
    folder=$runs/${name}_part$((k + 1))
    folders+=("$folder") logs+=("$folder.submit.log")
    echo "svrt_study.sh: problems ${lists[$k]} -> $folder (progress: slurm/status $folder)" >&2
    PHASOR_BUILD=$build "$root/slurm/submit" --local "$config" --out "$folder" --set "svrt.problem=${lists[$k]}" \
        "${sets[@]+"${sets[@]}"}" >"$folder.submit.log" 2>&1 &
    pids+=("$!")
done
# Ctrl-C: the submitters stop their stages (training saves a checkpoint); run again to continue.
trap 'for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done' INT TERM
for p in "${pids[@]}"; do
    wait "$p"
    status+=("$?")
done
rc=0
for k in "${!status[@]}"; do
    if [ "${status[$k]}" != 0 ]; then
        rc=1
        echo "svrt_study.sh: ${folders[$k]} ended with status ${status[$k]}; the end of ${logs[$k]}:" >&2
        tail -n 5 "${logs[$k]}" >&2
    fi
done
echo "svrt_study.sh: writing the report into $out" >&2
# The report lists points without an evaluation as missing, so it is written either way.
"$build/bin/phasor-analyze" svrt-report "${folders[@]}" --out "$out" --force || rc=1
exit "$rc"
