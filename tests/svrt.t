#!/usr/bin/env bash
# svrt.t: the SVRT challenge through phasor-generate:
# the same datasets for 1, 2 and 3 ranks on problems of each kind, and bad
# problem numbers refused with one clear line and exit 2; phasor-analyze
# summary draws image files as one row of samples per file.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

CFG=$(cd "$(dirname "$0")/.." && pwd)/configs/svrt_tiny.ini
[ -x "$PHASOR_BUILD/bin/phasor-generate" ] || bail_out "no $PHASOR_BUILD/bin/phasor-generate (run make build)"
datasets="x y meta/problem meta/count meta/centre meta/radius meta/scale meta/rotation meta/mirror meta/curve"
# Identity (1), nesting with big shapes (8), touching (11), rotation and scale (21).
problems="1 8 11 21"
plan 37

same_all() { # PROBLEM NP
    local ds
    for ds in $datasets; do
        if ! h5diff -q "$TMPD/p$1_np1/train.h5" "$TMPD/p$1_np$2/train.h5" "/$ds" "/$ds" >"$ERR" 2>&1; then
            diag "/$ds of problem $1 differs between 1 and $2 ranks"
            return 1
        fi
    done
}

# 37 samples in chunks of 4: ranks own uneven shares of whole chunks.
for p in $problems; do
    for np in 1 2 3; do
        run_mpi "$np" generate "$CFG" --quiet --set svrt.problem="$p" --out "$TMPD/p${p}_np$np"
        is "$RC" 0 "problem $p: generate with $np rank(s) succeeds"
    done
    for np in 2 3; do ok "problem $p: datasets identical for 1 and $np ranks" same_all "$p" "$np"; done
done

# The comparison can fail: another problem gives other images from the same seed.
h5diff -q "$TMPD/p1_np1/train.h5" "$TMPD/p21_np1/train.h5" /x /x >/dev/null 2>&1
is "$?" 1 "h5diff sees different images for another problem"
attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): *//p' | tr -d '"'; }
is "$(attr "$TMPD/p8_np1/train.h5" condition)" problem08 "the condition attribute names the problem"
is "$(h5dump -H -d /x "$TMPD/p8_np1/train.h5" | grep -o 'DATASPACE  SIMPLE { ( [0-9, ]* )' | tr -s ' ')" \
   "DATASPACE SIMPLE { ( 37, 128, 128, 1 )" "/x is [N, 128, 128, 1]"

# Bad problem numbers: one "phasor-generate:" line naming the key, exit 2, no output.
bad() { # VALUE NEEDLE
    run_phasor generate "$CFG" --quiet --set svrt.problem="$1" --out "$TMPD/bad"
    is "$RC" 2 "problem '$1': exit 2"
    local line
    line=$(grep '^phasor-' "$ERR")
    ok "problem '$1': one line naming [svrt] problem and '$2'" \
        test "$(grep -c '^phasor-' "$ERR")" = 1 -a -n "$(grep -F '[svrt] problem' <<<"$line" | grep -F -- "$2")"
    ok "problem '$1': no output file" test ! -e "$TMPD/bad/train.h5" -a ! -e "$TMPD/bad/train.h5.partial"
}
bad 0 "out of range [1, 23]"
bad 24 "out of range [1, 23]"
bad x "not an integer"

# phasor-analyze summary on image files: one row per file, K samples per class,
# the same bytes for 1 and 2 ranks.
png_size() { od -An -t u1 -j 16 -N 8 "$1" | awk '{ print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8 }'; }
for np in 1 2; do
    run_mpi "$np" analyze summary "$TMPD/p1_np1/train.h5" "$TMPD/p8_np1/train.h5" --samples 2 \
        --out "$TMPD/sheet$np" --quiet
    is "$RC" 0 "analyze summary of two SVRT files with $np rank(s) succeeds"
done
# 2 rows of 128-pixel images at 1:1: width 2 + 2 * (6 + 2 + 2 * 130) + 2, height 2 + 2 * 130.
is "$(png_size "$TMPD/sheet1/contact_sheet.png")" 540x262 "the sheet has one row per file, 2 + 2 images each"
ok "the sheet is the same for 1 and 2 ranks" cmp -s "$TMPD/sheet1/contact_sheet.png" "$TMPD/sheet2/contact_sheet.png"
ok "summary.md lists each row's sample indices" \
    grep -q "^2\. \`$TMPD/p8_np1/train.h5\`: positives [0-9]*, [0-9]*; negatives [0-9]*, [0-9]*$" "$TMPD/sheet1/summary.md"
