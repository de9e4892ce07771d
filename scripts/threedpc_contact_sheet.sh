#!/usr/bin/env bash
# threedpc_contact_sheet.sh: the contact sheet of docs/challenges/3dpc.md, made by
# the pipeline: phasor-generate writes each task of configs/threedpc_tiny.ini with
# two images per setting, and phasor-analyze summary draws one row per file with
# its first 4 positives and first 4 negatives.  Rows: depth, vpt, vpt_strategy
# (seen objects), vpt on the held-out objects.  With two images per setting,
# column j of a depth or vpt_strategy row shows one setting (one pair) on both sides.
#   PHASOR_BUILD  absolute build folder (default: build/ here)
#   NP            MPI ranks (default 2)
#   OUT           the PNG (default docs/challenges/3dpc_contact_sheet.png)
set -euo pipefail

cd "$(dirname "$0")/.."
PHASOR_BUILD=${PHASOR_BUILD:-$PWD/build}
NP=${NP:-2}
OUT=${OUT:-docs/challenges/3dpc_contact_sheet.png}
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
for stage in generate analyze; do
    if [ ! -x "$PHASOR_BUILD/bin/phasor-$stage" ]; then
        echo "threedpc_contact_sheet.sh: $PHASOR_BUILD/bin/phasor-$stage is missing (run make build first)" >&2
        exit 1
    fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/threedpc-sheet.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
for task in depth vpt vpt_strategy; do
    mpirun --oversubscribe -np "$NP" "$PHASOR_BUILD/bin/phasor-generate" configs/threedpc_tiny.ini --quiet \
        --set threedpc.task="$task" --set threedpc.per_setting=2 --set split.test.n=16 --out "$TMP/$task"
done
mpirun --oversubscribe -np "$NP" "$PHASOR_BUILD/bin/phasor-analyze" summary "$TMP/depth/train.h5" \
    "$TMP/vpt/train.h5" "$TMP/vpt_strategy/train.h5" "$TMP/vpt/test.h5" --samples 4 --out "$TMP/sheet" --quiet
cp "$TMP/sheet/contact_sheet.png" "$OUT"
echo "threedpc_contact_sheet.sh: wrote $OUT (rows: depth, vpt, vpt_strategy, vpt held-out; green: 1, magenta: 0)"
