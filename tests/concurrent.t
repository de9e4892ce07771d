#!/usr/bin/env bash
# concurrent.t: a second phasor-generate or phasor-train into a folder that a
# running one writes is refused with one line and exit 2 before it writes
# anything, and the first run completes with an intact output
# (common/core/stage.h: ph_out_dir_lock).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

GEN=$PHASOR_BUILD/bin/phasor-generate TRAIN=$PHASOR_BUILD/bin/phasor-train
[ -x "$GEN" ] && [ -x "$TRAIN" ] || bail_out "no phasor-generate or phasor-train in $PHASOR_BUILD/bin (run make build)"
cd "$TMPD" || bail_out "cannot enter $TMPD"

# gen_ini N: PathTracker, 16 frames, N training samples into data/.
gen_ini() {
    cat <<EOF
[generate]
out_dir = $TMPD/data
[pathtracker]
length = 16
num_distractors = 2
[split.train]
n = $1
seed = 1
EOF
}
gen_ini 3000 >big.ini

# wait_lock FILE PID: until FILE names PID (the first run holds the lock), at most 60 s.
wait_lock() {
    local i
    for i in $(seq 3000); do
        grep -qx "pid $2" "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.02
    done
    return 1
}

# second_refused STAGE INI DIR: a first run of STAGE INI into DIR is stopped (SIGSTOP) once it
# holds the lock, so the second surely meets it running, however fast this machine is; the
# second is refused with one line; the first then completes.
second_refused() {
    local stage=$1 ini=$2 dir=$3 first
    "$PHASOR_BUILD/bin/phasor-$stage" "$ini" --quiet >first.out 2>first.err &
    first=$!
    ok "$stage: the first run takes the folder's lock" wait_lock "$dir/.phasor-$stage.lock" "$first"
    kill -STOP "$first"
    run_phasor "$stage" "$ini" --quiet
    kill -CONT "$first"
    is "$RC" 2 "$stage: a second run into the same folder exits 2"
    is "$(grep -c "^phasor-$stage: " "$ERR")" 1 "$stage: with one line"
    ok "$stage: the line says another run writes there" \
        grep -q "another phasor-$stage is writing into $TMPD/$dir (pid $first holds" "$ERR"
    wait "$first"
    is "$?" 0 "$stage: the first run completes"
}

second_refused generate big.ini data
# every chunk of /x and /y reads back, and /x holds 3000 samples
whole() { /usr/bin/python3 -c 'import h5py; f = h5py.File("data/train.h5"); assert f["x"][:].shape[0] == 3000; f["y"][:]'; }
ok "generate: its file is published and whole" whole
ok "generate: no partial left" test ! -e data/train.h5.partial
ok "generate: a clean end removes its lock file" test ! -e data/.phasor-generate.lock

# the lock ends with the process: a later run proceeds (and is refused only for the existing file)
run_phasor generate big.ini --quiet
is "$RC" 2 "generate: after the first run, a plain rerun is refused for the existing file"
ok "generate: ... not for the lock" grep -q "exists" "$ERR"

gen_ini 64 >small.ini
run_phasor generate small.ini --out data2 --set split.val.n=16 --set split.val.seed=2 --quiet
[ "$RC" = 0 ] || bail_out "phasor-generate failed: $(cat "$ERR")"
# 2,000 steps: seconds, so the lock is seen however fast the machine (20 steps ended
# between two looks on an idle one)
cnn3d_train_ini data2/train.h5 data2/val.h5 "$TMPD/run" 2000 4 >train.ini
second_refused train train.ini run
ok "train: its best.h5 is published" test -s run/best.h5
ok "train: a clean end removes its lock file" test ! -e run/.phasor-train.lock

done_testing
