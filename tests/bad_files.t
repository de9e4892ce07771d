#!/usr/bin/env bash
# bad_files.t: malformed sample files given to the readers (phasor-train,
# phasor-analyze evaluate) get one line naming the problem and exit 2, and
# nothing is published (an output set whole or not at all): /y with two values per sample (was a heap overflow),
# negative labels, a validation label that is not a training class, float
# /y, float /x, zero samples.  The files are made with h5py (Debian's
# python3-h5py) from a valid one.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

GEN=$PHASOR_BUILD/bin/phasor-generate
[ -x "$GEN" ] || bail_out "no $GEN (run make build, or set PHASOR_BUILD)"
/usr/bin/python3 -c 'import h5py' 2>/dev/null || bail_out "no h5py for /usr/bin/python3 (apt-get install python3-h5py)"
cd "$TMPD" || bail_out "cannot enter $TMPD"

pathtracker_ini "$TMPD/data" 8 16 8 8 >gen.ini
run_phasor generate gen.ini --quiet
[ "$RC" = 0 ] || bail_out "phasor-generate failed: $(cat "$ERR")"

# bad NAME PYTHON [SPLIT]: data/NAME.h5, a copy of SPLIT.h5 (train) changed by PYTHON (f is the open file).
bad() {
    /usr/bin/python3 - "$TMPD/data/${3:-train}.h5" "$TMPD/data/$1.h5" "$2" <<'EOF'
import shutil, sys
import h5py, numpy as np
src, dst, code = sys.argv[1:4]
shutil.copy(src, dst)
with h5py.File(dst, "r+") as f:
    exec(code)
EOF
}
Y2D='y = f["y"][:]; del f["y"]; f["y"] = np.stack([y, y], axis=1).astype(np.int32)'
YNEG='y = f["y"][:]; y[5] = -1; f["y"][:] = y'
YFLOAT='y = f["y"][:]; del f["y"]; f["y"] = y.astype(np.float32)'
XFLOAT='x = f["x"][:]; del f["x"]; f["x"] = x.astype(np.float32)'
EMPTY='x = f["x"][:0]; y = f["y"][:0]; del f["x"]; del f["y"]; f["x"] = x; f["y"] = y
for k in list(f.get("meta", {}).keys()):
    v = f["meta"][k][:0]; del f["meta"][k]; f["meta"][k] = v'
bad y2d "$Y2D"
bad yneg "$YNEG"
bad y7 'y = f["y"][:]; y[3] = 7; f["y"][:] = y' val
bad yfloat "$YFLOAT"
bad xfloat "$XFLOAT"
bad empty "$EMPTY"
# held-out ones for evaluate, which refuses the files a model was trained or selected on
bad test_y2d "$Y2D" test
bad test_yneg "$YNEG" test
bad test_yfloat "$YFLOAT" test
bad test_xfloat "$XFLOAT" test
bad test_empty "$EMPTY" test

# train_on NAME TRAIN VAL: phasor-train for 2 steps into run_NAME.
train_on() {
    cnn3d_train_ini "$2" "$3" "$TMPD/run_$1" 2 >"train_$1.ini"
    run_phasor train "train_$1.ini"
}

# expect NAME NEEDLE...: exit 2, one phasor- line on stderr holding every NEEDLE.
expect() {
    local name=$1 line
    shift
    is "$RC" 2 "$name: exit code 2"
    is "$(grep -c '^phasor-' "$ERR")" 1 "$name: exactly one phasor- line on stderr"
    line=$(grep -m1 '^phasor-' "$ERR")
    local n all=0
    for n; do [[ $line == *"$n"* ]] || all=1; done
    is "$all" 0 "$name: the line names the problem (${*})"
}

no_run_outputs() { ! ls "$TMPD/run_$1"/*.h5 >/dev/null 2>&1; }

train_on y2d data/y2d.h5 data/val.h5
expect "train, /y [N,2]" y2d.h5 "/y is int32 with 2 value(s) per sample"
ok "train, /y [N,2]: no checkpoint published" no_run_outputs y2d
train_on yneg data/yneg.h5 data/val.h5
expect "train, a negative label" yneg.h5 "label -1 of sample 5 is negative"
ok "train, a negative label: no checkpoint published" no_run_outputs yneg
train_on y7 data/train.h5 data/y7.h5
expect "train, validation label 7 of a 2-class training set" y7.h5 "label 7 of sample 3 is not a class" "0 to 1"
ok "train, validation label 7: no checkpoint published" no_run_outputs y7
train_on yfloat data/yfloat.h5 data/val.h5
expect "train, float /y" yfloat.h5 "/y is float32"
train_on xfloat data/xfloat.h5 data/val.h5
expect "train, float /x" xfloat.h5 "/x is float32" "uint8"
train_on empty data/empty.h5 data/val.h5
expect "train, zero samples" empty.h5 "no samples"
ok "train, zero samples: no checkpoint published" no_run_outputs empty

# a truncated file on 2 ranks: one line, not one per rank
head -c "$(($(stat -c %s data/train.h5) / 2))" data/train.h5 >data/trunc.h5
cnn3d_train_ini data/trunc.h5 data/val.h5 "$TMPD/run_trunc" 2 >train_trunc.ini
run_mpi 2 train train_trunc.ini --quiet
is "$RC" 1 "train on 2 ranks, a truncated file: exit 1"
is "$(grep -c '^phasor-train: ' "$ERR")" 1 "train on 2 ranks, a truncated file: one line, not one per rank"
ok "... saying it is truncated or damaged" grep -q "trunc.h5 failed: HDF5 cannot open it: truncated, damaged" "$ERR"

# evaluate: a real checkpoint, then the same bad files
train_on good data/train.h5 data/val.h5
is "$RC" 0 "a 2-step run on the valid files trains"
for name in y2d yneg yfloat xfloat empty; do
    run_phasor analyze evaluate "$TMPD/run_good/best.h5" "data/test_$name.h5" --out "ev_$name" --quiet
    case $name in
    y2d) want="/y is int32 with 2" ;;
    yneg) want="is negative" ;;
    yfloat) want="/y is float32" ;;
    xfloat) want="/x" ;;
    empty) want="no samples" ;;
    esac
    expect "evaluate, $name" "test_$name.h5" "$want"
    ok "evaluate, $name: no output published" test ! -e "ev_$name/evaluate.tsv" -a ! -e "ev_$name/evaluate_samples.tsv"
done

# a file of other channels than the model's training samples is named as such, not as a
# checkpoint of another size
bad test_gray 'x = f["x"][:]; del f["x"]; f["x"] = x[..., :1]' test
run_phasor analyze evaluate "$TMPD/run_good/best.h5" data/test_gray.h5 --out ev_gray --quiet
expect "evaluate, 1 channel for a 3-channel model" test_gray.h5 "has 1 channel(s) per pixel" "trained on samples of 3"

# an output set is published whole or not at all: evaluate.tsv cannot be written
# (its partial name is taken by a folder), so evaluate_samples.tsv is not published either
mkdir -p ev_half/evaluate.tsv.partial
run_phasor analyze evaluate "$TMPD/run_good/best.h5" data/test.h5 --out ev_half --quiet
is "$RC" 1 "evaluate, evaluate.tsv unwritable: exit 1"
ok "evaluate, evaluate.tsv unwritable: evaluate_samples.tsv is not published alone" test ! -e ev_half/evaluate_samples.tsv

# and a good one records where the model trained and where it was scored
run_phasor analyze evaluate "$TMPD/run_good/best.h5" data/test.h5 --out ev_good --quiet
is "$RC" 0 "evaluate on the valid test file: exit 0"
col() { awk -F'\t' -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } NR == 2 { print $c[name] }' ev_good/evaluate.tsv; }
ok "... evaluate.tsv names the training machine (from the checkpoint) and its own" \
    bash -c '[[ "$1" == *"CPUs), cpu backend, 1 rank(s)" && "$2" == *"CPUs), cpu backend" ]]' _ "$(col train_machine)" "$(col machine)"

done_testing
