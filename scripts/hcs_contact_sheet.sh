#!/usr/bin/env bash
# hcs_contact_sheet.sh: the contact sheet of docs/challenges/hcs.md, made by the
# pipeline: phasor-generate writes every field of the screen of configs/hcs.ini
# (one split of all 3,072 wells), and phasor-analyze hcs-sheet draws DMSO fields,
# then MoAs 0 to 3, one compound each at its four doses.
#   PHASOR_BUILD  absolute build folder (default: build/ here)
#   NP            MPI ranks (default 2)
#   OUT           the PNG (default docs/challenges/hcs_contact_sheet.png)
set -euo pipefail

cd "$(dirname "$0")/.."
PHASOR_BUILD=${PHASOR_BUILD:-$PWD/build}
NP=${NP:-2}
OUT=${OUT:-docs/challenges/hcs_contact_sheet.png}
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
for stage in generate analyze; do
    if [ ! -x "$PHASOR_BUILD/bin/phasor-$stage" ]; then
        echo "hcs_contact_sheet.sh: $PHASOR_BUILD/bin/phasor-$stage is missing (run make build first)" >&2
        exit 1
    fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hcs-sheet.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mpirun --oversubscribe -np "$NP" "$PHASOR_BUILD/bin/phasor-generate" configs/hcs.ini --quiet \
    --set split.train.compounds=all --set split.train.plates=all --set split.train.n=3072 \
    --set split.val.n=1 --set split.test.n=1 --out "$TMP/screen"
mpirun --oversubscribe -np "$NP" "$PHASOR_BUILD/bin/phasor-analyze" hcs-sheet "$TMP/screen/train.h5" --moas 4 \
    --out "$TMP/sheet" --quiet
cp "$TMP/sheet/hcs_sheet.png" "$OUT"
echo "hcs_contact_sheet.sh: wrote $OUT (rows: DMSO, MoAs 0 to 3; columns: doses, lowest left)"
cat "$TMP/sheet/hcs_sheet.tsv"
