#!/usr/bin/env bash
# hcs.t: the synthetic screen through phasor-generate: every dataset the same
# for 1, 2 and 3 ranks; shapes, types, label and condition; splits by
# compound and by plate hold what their keys say; bad keys refused with one
# line naming the key, exit 2, no output; phasor-analyze hcs-sheet draws a
# file, the same for 1 and 2 ranks.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$PHASOR_BUILD/bin/phasor-generate" ] || bail_out "no $PHASOR_BUILD/bin/phasor-generate (run make build)"
datasets="x y meta/compound meta/moa meta/target meta/scaffold meta/active meta/potency meta/dose meta/plate
meta/replicate meta/batch meta/well meta/fingerprint meta/phenotype meta/cells"
plan 52

# A small screen: 32 compounds (4 MoAs x 2 targets) at 3 doses on 96-well plates with 8
# DMSO wells: 2 plate maps x 2 replicates = 4 plates in 2 batches.  Chunks of 4 give the
# ranks uneven shares of whole chunks.
CFG=$TMPD/hcs.ini
cat >"$CFG" <<'EOF'
[generate]
challenge = hcs
chunk = 4
[hcs]
moas = 4
targets = 2
scaffolds = 2
compounds = 32
doses = 3
wells = 96
controls = 8
plates_per_batch = 2
[split.train]
n = 61
seed = 5
compounds = seen
plates = seen
[split.test]
n = 29
seed = 6
compounds = held_out
[split.all]
n = 384
seed = 7
EOF

same_all() { # NP
    local ds split
    for split in train test all; do
        for ds in $datasets; do
            if ! h5diff -q "$TMPD/np1/$split.h5" "$TMPD/np$1/$split.h5" "/$ds" "/$ds" >"$ERR" 2>&1; then
                diag "/$ds of $split differs between 1 and $1 ranks"
                return 1
            fi
        done
    done
}
for np in 1 2 3; do
    run_mpi "$np" generate "$CFG" --quiet --out "$TMPD/np$np"
    is "$RC" 0 "generate with $np rank(s) succeeds"
done
for np in 2 3; do ok "every dataset of every split identical for 1 and $np ranks" same_all "$np"; done
# The comparison can fail: another split seed draws other cells of the same wells.
run_phasor generate "$CFG" --quiet --set split.all.seed=8 --out "$TMPD/reseed"
h5diff -q "$TMPD/np1/all.h5" "$TMPD/reseed/all.h5" /x /x >/dev/null 2>&1
is "$?" 1 "h5diff sees other images with another split seed"
ok "the same wells, the same phenotypes: [hcs] seed fixes the screen" \
    h5diff -q "$TMPD/np1/all.h5" "$TMPD/reseed/all.h5" /meta/phenotype /meta/phenotype

# the values of a dataset, one a line (its first DATA block: not the doc attribute's)
values() { h5dump -d "$2" -y -w 0 "$1" | awk '/DATA \{/ { on = 1; next } on && /\}/ { exit } on' | tr -c '0-9.\n-' ' ' |
    tr -s ' ' '\n' | grep -v '^$'; }
space() { h5dump -H -d "$2" "$1" | grep -o 'DATASPACE  SIMPLE { ( [0-9, ]* )' | tr -s ' '; }
attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): *//p' | tr -d '"'; }
F=$TMPD/np1/all.h5
is "$(space "$F" /x)" "DATASPACE SIMPLE { ( 384, 64, 64, 5 )" "/x is [N, 64, 64, 5]"
is "$(space "$F" /meta/fingerprint)" "DATASPACE SIMPLE { ( 384, 256 )" "/meta/fingerprint is [N, bits]"
is "$(space "$F" /meta/phenotype)" "DATASPACE SIMPLE { ( 384, 16 )" "/meta/phenotype is [N, 16]"
is "$(space "$F" /meta/well)" "DATASPACE SIMPLE { ( 384, 3 )" "/meta/well is [N, 3]"
ok "/meta/phenotype is little-endian float32" grep -q H5T_IEEE_F32LE <<<"$(h5dump -H -d /meta/phenotype "$F")"
ok "/meta/phenotype has its doc attribute" grep -q 'latent phenotype' <<<"$(h5dump -a /meta/phenotype/doc "$F")"
is "$(values "$F" /y | md5sum)" "$(values "$F" /meta/moa | md5sum)" "/y is the MoA (label = moa)"
ok "... and holds more than one class" test "$(values "$F" /y | sort -u | wc -l)" -gt 1
is "$(attr "$F" condition)" "moa_c32_m4_d3_r2_compounds-all_plates-all" "the condition names label, screen and selection"
is "$(attr "$TMPD/np1/train.h5" condition)" "moa_c32_m4_d3_r2_compounds-seen_plates-seen" "train's condition names its selection"

# Splits: train holds batch 0 only; test only held-out compounds or DMSO (compound 32);
# every well of the screen is in `all` once.
is "$(values "$TMPD/np1/train.h5" /meta/batch | sort -u | tr '\n' ' ')" "0 " "train: batch 0 only (plates = seen)"
is "$(values "$F" /meta/batch | sort -u | tr '\n' ' ')" "0 1 " "all: both batches"
is "$(values "$F" /meta/well | paste - - - | paste - <(values "$F" /meta/plate) | sort -u | wc -l)" 384 \
    "all: every (plate, row, column) once"
# (comm wants the lines in the locale's order, not numeric order)
held=$(values "$TMPD/np1/test.h5" /meta/compound | grep -vx 32 | LC_ALL=C sort -u)
seen=$(values "$TMPD/np1/train.h5" /meta/compound | grep -vx 32 | LC_ALL=C sort -u)
ok "test holds compounds, train holds compounds" test -n "$held" -a -n "$seen"
is "$(LC_ALL=C comm -12 <(echo "$held") <(echo "$seen") | wc -l)" 0 "train and test share no compound"

# Bad values: one "phasor-generate:" line naming the key and the problem, exit 2, no output.
bad() { # DESC NEEDLE ARGS...
    local desc=$1 needle=$2
    shift 2
    run_phasor generate "$CFG" --quiet --out "$TMPD/bad" "$@"
    is "$RC" 2 "$desc: exit 2"
    ok "$desc: one line naming '$needle'" \
        test "$(grep -c '^phasor-' "$ERR")" = 1 -a -n "$(grep '^phasor-generate: ' "$ERR" | grep -F -- "$needle")"
    ok "$desc: no output file" test ! -e "$TMPD/bad/train.h5" -a ! -e "$TMPD/bad/train.h5.partial"
}
bad "too few compounds" "[hcs] compounds = 7 is fewer than moas x targets" --set hcs.compounds=7
bad "too many controls" "[hcs] controls = 60 is more than half" --set hcs.controls=60
bad "n beyond the split" "[split.train] n = 5000 exceeds the" --set split.train.n=5000
bad "an empty split" "[split.test] selects no wells" --set hcs.held_out=0
bad "an unknown label" "[hcs] label" --set hcs.label=potency
bad "a field too small" "[hcs] size = 16 is out of range [32, 512]" --set hcs.size=16
bad "cells too large" "[hcs] cell_radius = 20 is more than size / 4" --set hcs.cell_radius=20
bad "a split key of hcs under svrt" "[split.train] compounds belongs to the hcs challenge, not svrt" \
    --set generate.challenge=svrt

# The contact sheet: DMSO and 2 MoA rows of 3 doses, 64-pixel fields at 2x, two composites each:
# width 4 + 8 + 4 + 3 * (258 + 4), height 4 + 8 + 4 + 3 * (128 + 4).
png_size() { od -An -t u1 -j 16 -N 8 "$1" | awk '{ print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8 }'; }
for np in 1 2; do
    run_mpi "$np" analyze hcs-sheet "$F" --moas 2 --out "$TMPD/sheet$np" --quiet
    is "$RC" 0 "hcs-sheet with $np rank(s) succeeds"
done
is "$(png_size "$TMPD/sheet1/hcs_sheet.png")" 802x412 "the sheet has DMSO and 2 MoA rows of 3 doses"
ok "the sheet is the same for 1 and 2 ranks" cmp -s "$TMPD/sheet1/hcs_sheet.png" "$TMPD/sheet2/hcs_sheet.png"
is "$(awk -F'\t' 'NR > 1 && $2 == 2 { print $5 }' "$TMPD/sheet1/hcs_sheet.tsv" | tr '\n' ' ')" "4 0 1 " \
    "the last column holds DMSO, then MoAs 0 and 1"
run_phasor analyze hcs-sheet "$TMPD/np1/train.h5" --out "$TMPD/sheet1" --quiet
is "$RC" 2 "hcs-sheet refuses to replace its outputs without --force"
