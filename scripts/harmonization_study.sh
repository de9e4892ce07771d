#!/usr/bin/env bash
# scripts/harmonization_study.sh: the neural-harmonizer study here, from nothing to REPORT.md
# (make reproduce-harmonization).
#
# 1. slurm/submit --local CONFIG, in parts that run side by side (one per ResNet depth,
#    one core each): every point generates the diagnostic challenge's splits, trains one
#    ResNet (plain or harmonized) and runs phasor-analyze alignment on the decorrelated test
#    split.  Points already done are kept: run again to continue.
# 2. Neural predictivity: synthetic sites on the shared `neural` split (phasor-probe sites),
#    then per point the checkpoint's layer features on that split and the leave-one-image-
#    out regression to the sites (phasor-probe features, neural).
# 3. phasor-analyze harmonization-report RUN --out OUT.
#
# usage: scripts/harmonization_study.sh [--config FILE] [--runs DIR] [--out DIR] [--set S.K=V]...
#   --config FILE   the sweep (default configs/harmonization_study_local.ini)
#   --runs DIR      parent of the run folders (default runs): DIR/NAME_dD, NAME = FILE's name
#   --out DIR       report folder (default results/harmonization)
#   --set S.K=V     passed to slurm/submit (tests shrink the study with it); a resnet.depth
#                   list is split over the parts like the default 10,18
# Environment: PHASOR_BUILD, the build folder (default build).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
config=$root/configs/harmonization_study_local.ini runs=runs out=results/harmonization
depths=10,18
sets=()
die() { echo "harmonization_study.sh: $1" >&2; exit "${2:-1}"; }
while [ $# -gt 0 ]; do
    case $1 in
    --config | --runs | --out | --set)
        [ $# -ge 2 ] || die "option $1 needs a value" 2
        case $1 in
        --config) config=$2 ;;
        --runs) runs=$2 ;;
        --out) out=$2 ;;
        --set)
            case $2 in
            resnet.depth=*) depths=${2#resnet.depth=} ;;
            *) sets+=(--set "$2") ;;
            esac
            ;;
        esac
        shift
        ;;
    -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 2 ;;
    esac
    shift
done
build=${PHASOR_BUILD:-$root/build}
for exe in phasor-analyze phasor-probe; do
    [ -x "$build/bin/$exe" ] || die "no $build/bin/$exe (build phasor first: make)" 2
done
[ -r "$config" ] || die "cannot read $config" 2
name=$(basename "$config" .ini)
mkdir -p "$runs" || die "cannot create $runs" 1
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

folders=() pids=() status=()
IFS=, read -r -a parts <<<"${depths// /}"
for d in "${parts[@]}"; do
    folder=$runs/${name}_d$d
    folders+=("$folder")
    echo "harmonization_study.sh: ResNet-$d points -> $folder (progress: slurm/status $folder)" >&2
    PHASOR_BUILD=$build "$root/slurm/submit" --local "$config" --out "$folder" --set "resnet.depth=$d" \
        "${sets[@]+"${sets[@]}"}" >"$folder.submit.log" 2>&1 &
    pids+=("$!")
done
# Ctrl-C: the submitters stop their stages (training saves a checkpoint); run again to continue.
trap 'for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done' INT TERM
rc=0
for k in "${!pids[@]}"; do
    wait "${pids[$k]}"
    s=$?
    [ $s = 0 ] || { rc=$s; echo "harmonization_study.sh: ${folders[$k]} ended with status $s (see ${folders[$k]}.submit.log)" >&2; }
done
trap - INT TERM

# Neural predictivity on the `neural` split, which every point generated alike (same seeds).
neural=
for f in "${folders[@]}"; do
    for n in "$f"/p*/generate/neural.h5; do [ -r "$n" ] && { neural=$n; break 2; }; done
done
sites=$runs/${name}_sites
if [ -n "$neural" ]; then
    [ -s "$sites/sites.h5" ] || "$build/bin/phasor-probe" sites "$neural" --out "$sites" --grid 8 --quiet --force ||
        die "phasor-probe sites failed on $neural" 1
    for f in "${folders[@]}"; do
        for d in "$f"/p*; do
            [ -s "$d/train/best.h5" ] || continue
            [ -s "$d/probe/neural.tsv" ] && continue
            "$build/bin/phasor-probe" features "$d/train/best.h5" "$neural" --layers stem,stage1,stage2,stage3,stage4 \
                --grid 8 --out "$d/probe" --quiet --force &&
                "$build/bin/phasor-probe" neural "$d/probe/features.h5" "$sites/sites.h5" --out "$d/probe" --quiet \
                    --force || echo "harmonization_study.sh: neural predictivity of $d failed (the report leaves it out)" >&2
        done
    done
else
    echo "harmonization_study.sh: no neural split in the run folders: the report has no neural predictivity" >&2
fi
"$build/bin/phasor-analyze" harmonization-report "${folders[@]}" --out "$out" --force || die "the report failed" 1
exit "$rc"
