#!/usr/bin/env bash
# featuretracker.t: FeatureTracker files have the same dataset bytes for 1, 2
# and 3 MPI ranks, the paper and test configs parse,
# and impossible parameters get one clear error line, exit 2 and no output.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

BIN=$PHASOR_BUILD/bin/phasor-generate
[ -x "$BIN" ] || bail_out "no $BIN (run make build, or set PHASOR_BUILD)"
command -v h5diff >/dev/null || bail_out "h5diff not found (install hdf5-tools)"
CONFIGS=$(cd "$(dirname "$0")/../configs" && pwd)
cd "$TMPD" || bail_out "cannot enter $TMPD"
plan 31

# An out-of-distribution condition with the original's second coords_3 and
# extra distractors, so every dataset and draw path is exercised.
cat >det.ini <<'INI'
[generate]
challenge = featuretracker
chunk = 8
write_block = 16
[featuretracker]
length = 12
num_distractors = 4
extra_distractors = 1
shapes = ood
colors = ood
coords3_twice = true
[split.odd]
n = 37
seed = 7
INI
datasets="x y meta/target meta/start meta/goal meta/coords3 meta/condition meta/distractors
meta/shapes meta/colors meta/hue_speed meta/masks"

for np in 1 2 3; do
    run_mpi "$np" generate det.ini --out "np$np" --quiet
    is "$RC" 0 "generate with $np rank(s) succeeds"
done

# Every dataset, compared as raw little-endian bytes (root attributes record
# the rank count and the date, so whole files cannot be equal).
dump_all() {
    local f=$1 ds
    for ds in $datasets; do h5dump -d "/$ds" -b LE -o "$f.${ds//\//_}.bin" "$f" >/dev/null 2>&1 || return 1; done
}
same_bytes() {
    local np=$1 ds
    for ds in $datasets; do
        if ! cmp -s "np1/odd.h5.${ds//\//_}.bin" "np$np/odd.h5.${ds//\//_}.bin"; then
            diag "/$ds differs between 1 and $np ranks"
            return 1
        fi
    done
}
for np in 1 2 3; do ok "dump the datasets of the $np-rank file" dump_all "np$np/odd.h5"; done
for np in 2 3; do ok "dataset bytes identical for 1 and $np ranks" same_bytes "$np"; done
attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): *//p' | tr -d '"'; }
is "$(attr np1/odd.h5 condition)" "oodshapes_oodcolors_length12_dist4_skip1_coords3twice" "condition attribute"
is "$(attr np3/odd.h5 mpi_ranks)" 3 "the 3-rank file records 3 ranks"

# The comparison can fail: another seed gives other bytes.
run_phasor generate det.ini --out seed --quiet --set split.odd.seed=8
is "$RC" 0 "another seed generates"
dump_all seed/odd.h5
ok "another seed gives other videos" bash -c '! cmp -s np1/odd.h5.x.bin seed/odd.h5.x.bin'

# The shipped configs parse and generate (shrunk to a few samples).
for cfg in featuretracker featuretracker_test; do
    run_phasor generate "$CONFIGS/$cfg.ini" --out "cfg_$cfg" --quiet --set split.train.n=4 \
        --set split.val.n=2 --set split.test.n=2
    is "$RC" 0 "configs/$cfg.ini generates"
done
is "$(attr cfg_featuretracker/train.h5 condition)" "idshapes_idcolors_length32_dist10_skip1" \
    "the paper config is the training condition"

# Impossible parameters: exit 2, one phasor- line naming the cause, no file.
cat >bad.ini <<'INI'
[generate]
challenge = featuretracker
[split.train]
n = 4
seed = 1
INI
bad() {
    local name=$1 needle=$2
    shift 2
    run_phasor generate bad.ini --out "bad_$name" --quiet "$@"
    is "$RC" 2 "$name: exit 2"
    is "$(grep -c '^phasor-generate: ' "$ERR")" 1 "$name: one error line"
    ok "$name: the line names $needle" grep -qF "$needle" "$ERR"
    ok "$name: no train.h5, no train.h5.partial" \
        bash -c "[ ! -e bad_$name/train.h5 ] && [ ! -e bad_$name/train.h5.partial ]"
}
bad no_distractor "num_distractors" --set featuretracker.num_distractors=0
bad too_long "length x skip = 128 x 4 = 512" --set featuretracker.length=128 --set featuretracker.skip=4
bad shape_rule "shapes = 'life'" --set featuretracker.shapes=life
bad too_many "num_distractors + extra_distractors = 200 + 60" \
    --set featuretracker.num_distractors=200 --set featuretracker.extra_distractors=60
