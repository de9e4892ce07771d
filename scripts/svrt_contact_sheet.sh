#!/usr/bin/env bash
# svrt_contact_sheet.sh: the contact sheet of docs/challenges/svrt.md, made by
# the pipeline: phasor-generate writes a few samples of each of the 23 SVRT
# problems (configs/svrt_tiny.ini), and phasor-analyze summary draws one row
# per problem with its first 2 positives and first 2 negatives.
#   PHASOR_BUILD  absolute build folder (default: build/ here)
#   NP            MPI ranks (default 2)
#   OUT           the PNG (default docs/challenges/svrt_contact_sheet.png)
set -euo pipefail

cd "$(dirname "$0")/.."
PHASOR_BUILD=${PHASOR_BUILD:-$PWD/build}
NP=${NP:-2}
OUT=${OUT:-docs/challenges/svrt_contact_sheet.png}
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
for stage in generate analyze; do
    if [ ! -x "$PHASOR_BUILD/bin/phasor-$stage" ]; then
        echo "svrt_contact_sheet.sh: $PHASOR_BUILD/bin/phasor-$stage is missing (run make build first)" >&2
        exit 1
    fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/svrt-sheet.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
files=()
for p in $(seq 1 23); do
    d=$TMP/p$(printf %02d "$p")
    mpirun --oversubscribe -np "$NP" "$PHASOR_BUILD/bin/phasor-generate" configs/svrt_tiny.ini \
        --quiet --set svrt.problem="$p" --out "$d"
    files+=("$d/train.h5")
done
mpirun --oversubscribe -np "$NP" "$PHASOR_BUILD/bin/phasor-analyze" summary "${files[@]}" \
    --samples 2 --out "$TMP/sheet" --quiet
cp "$TMP/sheet/contact_sheet.png" "$OUT"
echo "svrt_contact_sheet.sh: wrote $OUT (rows: problems 1 to 23; green: class 1, magenta: class 0)"
