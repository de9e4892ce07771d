#!/usr/bin/env bash
# diagnostic.t: the harmonizer's synthetic challenge through phasor-generate:
# the same datasets, /maps/human included, for 1, 2 and 3
# ranks and both parts; /maps/human stored as float32 [N, H, W]; a split's
# cue_agreement changes the images and the cue but not the labels, parts or
# maps; bad keys refused with one line naming the key, exit 2, no output;
# phasor-analyze summary draws the files.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

CFG=$(cd "$(dirname "$0")/.." && pwd)/configs/diagnostic.ini
[ -x "$PHASOR_BUILD/bin/phasor-generate" ] || bail_out "no $PHASOR_BUILD/bin/phasor-generate (run make build)"
datasets="x y meta/patch meta/cue meta/distractors maps/human"
# 37 training samples in chunks of 4: ranks own uneven shares of whole chunks.
small=(--quiet --set generate.chunk=4 --set split.train.n=37 --set split.val.n=5 --set split.test.n=21)
plan 41

same_all() { # PART NP
    local ds split
    for split in train test; do
        for ds in $datasets; do
            if ! h5diff -q "$TMPD/$1_np1/$split.h5" "$TMPD/$1_np$2/$split.h5" "/$ds" "/$ds" >"$ERR" 2>&1; then
                diag "/$ds of $split ($1) differs between 1 and $2 ranks"
                return 1
            fi
        done
    done
}

for part in shape texture; do
    for np in 1 2 3; do
        run_mpi "$np" generate "$CFG" "${small[@]}" --set diagnostic.part="$part" --out "$TMPD/${part}_np$np"
        is "$RC" 0 "$part: generate with $np rank(s) succeeds"
    done
    for np in 2 3; do ok "$part: every dataset identical for 1 and $np ranks" same_all "$part" "$np"; done
done

# The comparison can fail: the texture part gives other images and maps.
h5diff -q "$TMPD/shape_np1/train.h5" "$TMPD/texture_np1/train.h5" /maps/human /maps/human >/dev/null 2>&1
is "$?" 1 "h5diff sees other maps for the other part"

attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): *//p' | tr -d '"'; }
is "$(attr "$TMPD/shape_np1/train.h5" condition)" shape_k2_patch12_agree0.95 "train's condition names its agreement"
is "$(attr "$TMPD/shape_np1/test.h5" condition)" shape_k2_patch12_agree0.5 "test's condition names its agreement"
space() { h5dump -H -d "$2" "$1" | grep -o 'DATASPACE  SIMPLE { ( [0-9, ]* )' | tr -s ' '; }
is "$(space "$TMPD/shape_np1/train.h5" /maps/human)" "DATASPACE SIMPLE { ( 37, 64, 64 )" "/maps/human is [N, H, W]"
ok "/maps/human is little-endian float32" grep -q H5T_IEEE_F32LE <<<"$(h5dump -H -d /maps/human "$TMPD/shape_np1/train.h5")"
ok "/maps/human has its doc attribute" grep -q 'ClickMe' <<<"$(h5dump -a /maps/human/doc "$TMPD/shape_np1/train.h5")"
is "$(space "$TMPD/shape_np1/train.h5" /x)" "DATASPACE SIMPLE { ( 37, 64, 64, 3 )" "/x is [N, 64, 64, 3]"

# The split key: train with the test split's agreement changes images and cues only.
run_phasor generate "$CFG" "${small[@]}" --set split.train.cue_agreement=0.5 --out "$TMPD/decor"
is "$RC" 0 "train with cue_agreement 0.5 succeeds"
unchanged() {
    local ds
    for ds in y meta/patch meta/distractors maps/human; do
        h5diff -q "$TMPD/shape_np1/train.h5" "$TMPD/decor/train.h5" "/$ds" "/$ds" >/dev/null 2>&1 || return 1
    done
}
ok "labels, parts, clutter counts and maps do not depend on the agreement" unchanged
h5diff -q "$TMPD/shape_np1/train.h5" "$TMPD/decor/train.h5" /meta/cue /meta/cue >/dev/null 2>&1
is "$?" 1 "the cues do"

# Bad keys: one "phasor-generate:" line naming the key, exit 2, no output.
bad() { # DESC NEEDLE1 NEEDLE2 CONFIG ARGS...
    local desc=$1 n1=$2 n2=$3 cfg=$4
    shift 4
    rm -rf "$TMPD/bad"
    run_phasor generate "$cfg" --quiet --out "$TMPD/bad" "$@"
    is "$RC" 2 "$desc: exit 2"
    local line
    line=$(grep '^phasor-' "$ERR")
    ok "$desc: one line naming '$n1' and '$n2'" \
        test "$(grep -c '^phasor-' "$ERR")" = 1 -a -n "$(grep -F -- "$n1" <<<"$line" | grep -F -- "$n2")"
    ok "$desc: no output file" test ! -e "$TMPD/bad/train.h5" -a ! -e "$TMPD/bad/train.h5.partial"
}
bad "cue_agreement 1.5" "[split.train] cue_agreement" "out of range [0, 1]" "$CFG" --set split.train.cue_agreement=1.5
bad "cue_agreement -0.1" "[split.test] cue_agreement" "out of range [0, 1]" "$CFG" --set split.test.cue_agreement=-0.1
bad "patch 65 > size 64" "[diagnostic] patch" "larger than the image" "$CFG" --set diagnostic.patch=65
bad "cue patch with a texture part" "[diagnostic] cue" "choose part = shape" "$CFG" \
    --set diagnostic.cue=patch --set diagnostic.part=texture
bad "cue patch without room" "[diagnostic] cue" "size >= 3 patch + 2" "$CFG" \
    --set diagnostic.cue=patch --set diagnostic.patch=30
bad "cue_agreement under svrt" "[split.train] cue_agreement" "belongs to the diagnostic challenge" \
    "$(dirname "$CFG")/svrt_tiny.ini" --set split.train.cue_agreement=0.5

# phasor-analyze summary draws the RGB files, the same for 1 and 2 ranks.
for np in 1 2; do
    run_mpi "$np" analyze summary "$TMPD/shape_np1/train.h5" "$TMPD/shape_np1/test.h5" --samples 2 \
        --out "$TMPD/sheet$np" --quiet
    is "$RC" 0 "analyze summary of two diagnostic files with $np rank(s) succeeds"
done
ok "the sheet is the same for 1 and 2 ranks" cmp -s "$TMPD/sheet1/contact_sheet.png" "$TMPD/sheet2/contact_sheet.png"
