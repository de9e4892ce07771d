#!/usr/bin/env bash
# train_resume.t: resuming continues the run its checkpoint belongs to.  A
# changed key (seed, learning rate, training file, the model's activation) is refused
# with one line naming the key, exit 2, and the checkpoint untouched; the
# keys of how long and how often (steps, log/eval/checkpoint_every) may
# change.  --set overrides a value the file has out of range.  A resume after a
# kill logs no step twice.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$PHASOR_BUILD/bin/phasor-train" ] || bail_out "no phasor-train in $PHASOR_BUILD/bin (run make build)"
cd "$TMPD" || bail_out "cannot enter $TMPD"

pathtracker_ini "$TMPD/data" 8 32 16 >gen.ini
run_phasor generate gen.ini --quiet
[ "$RC" = 0 ] || bail_out "phasor-generate failed: $(cat "$ERR")"
cp data/train.h5 data/other.h5

cnn3d_train_ini data/train.h5 data/val.h5 run 0 >train.ini
run_phasor train train.ini --set train.steps=2 --quiet
is "$RC" 0 "--set train.steps=2 overrides the file's out-of-range steps = 0"
run_phasor train train.ini --quiet
is "$RC" 2 "without --set, steps = 0 is refused (exit 2)"
ok "... naming the file's line" grep -q "train.ini:6: \[train\] steps = 0 is out of range" "$ERR"

# impossible models are refused before anything is built
run_phasor train train.ini --out run_deep --set train.steps=2 --set cnn3d.stages=6 --quiet
is "$RC" 2 "6 strided stages on 32x32 frames: exit 2"
ok "... naming the limit" grep -q "stage 6 would get a 1x1 map from 32x32 frames, which allow at most 5 stages" "$ERR"
run_phasor train train.ini --out run_wide --set train.steps=2 --set cnn3d.width=1024 --set cnn3d.stages=5 --quiet
is "$RC" 2 "width 1024 x 5 stages (4.8e9 weights): exit 2 at once"
ok "... naming the memory it would need" grep -q "GiB with the optimiser's state, more than this machine's" "$ERR"

sum_before=$(md5sum run/checkpoint.h5)
# refused NAME SET NEEDLE: resuming with --set SET is refused naming NEEDLE, the checkpoint untouched
refused() {
    run_phasor train train.ini --set train.steps=4 --set "$2" --quiet
    is "$RC" 2 "resume with a changed $1: exit 2"
    is "$(grep -c '^phasor-train: ' "$ERR")" 1 "resume with a changed $1: one line"
    ok "resume with a changed $1: the line names it ($3)" grep -q "resuming with a changed config: $3" "$ERR"
    is "$(md5sum run/checkpoint.h5)" "$sum_before" "resume with a changed $1: the checkpoint is untouched"
}
refused seed train.seed=7 "\[train\] seed = 7 here (--set), 1 in the checkpoint"
refused "learning rate" train.lr=0.5 "\[train\] lr = 0.5 here"
refused "training file" train.train=data/other.h5 "\[train\] train = data/other.h5 here"
refused "model activation" cnn3d.activation=softplus "\[cnn3d\] activation = softplus here"

run_phasor train train.ini --set train.steps=4 --set train.log_every=1 --quiet
is "$RC" 0 "resume with more steps and another log_every: resumes"
ok "... to step 4" grep -q '"step": *4' run/train.jsonl

# killed between checkpoints: the steps after the checkpoint are logged again by the
# resumed run, and train.jsonl holds every step once
"$PHASOR_BUILD/bin/phasor-train" train.ini --out run2 --set train.steps=60 --set train.log_every=1 \
    --set train.checkpoint_every=10 --quiet 2>/dev/null &
pid=$!
for _ in $(seq 600); do
    grep -q '"step":1[3-9],' run2/train.jsonl 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
ok "a run killed after step 13 (checkpoint at 10) logged past its checkpoint" grep -q '"step":1[3-9],' run2/train.jsonl
run_phasor train train.ini --out run2 --set train.steps=60 --set train.log_every=1 --set train.checkpoint_every=10 --quiet
is "$RC" 0 "... resumes to the end"
steps_once() { [ "$(grep -o '^{"step":[0-9]*,"loss"' run2/train.jsonl | sort | uniq -d | wc -l)" = 0 ] &&
    [ "$(grep -c '"loss"' run2/train.jsonl)" = 60 ]; }
ok "... and train.jsonl has each of the 60 training steps once" steps_once

# under mpirun, SIGUSR1 to mpirun is forwarded: the ranks save a checkpoint and all exit 0
mpirun --oversubscribe -np 2 "$PHASOR_BUILD/bin/phasor-train" train.ini --out run_sig --set train.steps=1000000 \
    --quiet 2>sig.err &
pid=$!
for _ in $(seq 600); do
    grep -q '"step":' run_sig/train.jsonl 2>/dev/null && break
    sleep 0.05
done
kill -USR1 "$pid"
wait "$pid"
is "$?" 0 "SIGUSR1 to mpirun: exit 0"
ok "... after saving a checkpoint" grep -q "stopped by signal 10 after step .*; checkpoint saved in run_sig/checkpoint.h5" sig.err

done_testing
