#!/usr/bin/env bash
# train_exchange.t: the gradient exchange of phasor-train, counted from outside.
# A PMPI wrapper (tests/pmpi/count_mpi.c, preloaded) counts each rank's float
# sums (only the gradient exchange makes them) and other reductions; a step's
# share is the difference between runs of 5 and 3 steps, halved.
#   - ResNet-50 on 2 ranks: at most 8 gradient collectives per step (one per
#     25 MB bucket), every gradient summed once (bytes = 4 x parameters);
#   - with one bucket, ResNet-18 (62 tensors) and ResNet-50 (161) both make 1;
#   - batch_norm = local makes no batch-norm reductions, sync does;
#   - the bucketing does not change the sums: tiny buckets and one bucket give
#     the same parameters bit for bit;
#   - overlap: after the first step, buckets start during the backward pass, and
#     the parameters are bit for bit those of overlap = off (ResNet with batch-norm
#     reductions in the passes; InT, whose recurrence adds to each weight once per
#     time step).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$TMPD" || bail_out "cannot enter $TMPD"
WRAP=$PHASOR_BUILD/tests/libcount_mpi.so
[ -f "$WRAP" ] || bail_out "no $WRAP (run make build)"
plan 17
if ldd "$PHASOR_BUILD/bin/phasor-train" | grep -q libasan; then
    skip "a preloaded PMPI wrapper cannot come before AddressSanitizer's runtime" 17
    exit 0
fi

printf '[generate]\nchallenge = diagnostic\n[diagnostic]\nsize = 32\n[split.train]\nn = 64\nseed = 1\n[split.val]\nn = 8\nseed = 2\n' >g.ini
run_phasor generate g.ini --out data --quiet
[ "$RC" = 0 ] || bail_out "phasor-generate failed: $(cat "$ERR")"
cat >t.ini <<'INI'
[train]
model = resnet
train = data/train.h5
val = data/val.h5
batch = 4
log_every = 100
eval_every = 100
checkpoint_every = 100
[resnet]
depth = 50
INI

# counted NAME STEPS SET...: trains on 2 ranks with the wrapper; NAME.count gets a line per rank
counted() {
    local name=$1 steps=$2
    shift 2
    rm -f "$name.count"
    mpirun --oversubscribe -np 2 -x LD_PRELOAD="$WRAP" -x PHASOR_COUNT_MPI="$TMPD/$name.count" \
        "$PHASOR_BUILD/bin/phasor-train" t.ini --out "$name" --set train.steps="$steps" "$@" >"$OUT" 2>"$ERR"
    RC=$?
}
# per_step NAME FIELD: rank 0's FIELD per training step, from runs NAME5 and NAME3
per_step() {
    awk -v f="$2" '$2 == 0 { for (i = 3; i < NF; i += 2) if ($i == f) v[FILENAME] = $(i + 1) }
        END { printf "%.0f", (v[ARGV[1]] - v[ARGV[2]]) / 2 }' "$1"5.count "$1"3.count
}
pair() { # NAME SET...: runs of 5 and 3 steps
    local name=$1
    shift
    counted "${name}5" 5 "$@" && counted "${name}3" 3 "$@"
}

pair r50 --set train.batch_norm=local
is "$RC" 0 "ResNet-50 trains on 2 ranks with the wrapper preloaded"
sums=$(per_step r50 float_sums)
diag "ResNet-50, 25 MB buckets: $sums gradient collectives per step"
ok "at most 8 gradient collectives per ResNet-50 step ($sums)" test "${sums%.*}" -le 8 -a "${sums%.*}" -ge 1
params=$(grep -o '([0-9]* floats with the arena' "$ERR" | tr -dc '0-9')
is "$(per_step r50 float_bytes)" "$((params * 4))" "every gradient is summed once a step (4 bytes x the arena's $params floats)"
is "$(per_step r50 other_reductions)" 2 "batch_norm = local: no batch-norm reductions (only the loss and the stop agreement)"

pair one50 --set train.batch_norm=local --set train.bucket_mb=1000
is "$(per_step one50 float_sums)" 1 "one bucket: ResNet-50's 161 tensors in 1 collective"
pair one18 --set train.batch_norm=local --set train.bucket_mb=1000 --set resnet.depth=18
is "$(per_step one18 float_sums)" 1 "one bucket: ResNet-18's 62 tensors in 1 collective"

pair sync --set resnet.depth=18
is "$RC" 0 "batch_norm = sync trains"
ok "... and sums the batch statistics over ranks (more reductions than the 2 of local)" \
    test "$(per_step sync other_reductions)" -gt 2

counted tiny 5 --set resnet.depth=10 --set resnet.width=8 --set train.bucket_mb=0.001
is "$RC" 0 "ResNet-10 with 1 kB buckets (hundreds of collectives a step)"
counted whole 5 --set resnet.depth=10 --set resnet.width=8 --set train.bucket_mb=1000
ok "... the same parameters, bit for bit, as with one bucket" \
    h5diff -q tiny/checkpoint.h5 whole/checkpoint.h5 /params /params
ok "... made in many more collectives" test "$(awk '$2 == 0 { print $4 }' tiny.count)" -gt 100

# last NAME FIELD: the field's value in the last metrics line of run NAME
last() { grep -o "\"$2\":[0-9.]*" "$1/train.jsonl" | tail -n 1 | cut -d: -f2; }
overlapped=$(last r505 buckets_overlapped)
diag "ResNet-50: $overlapped of its buckets a step started during the backward pass"
ok "ResNet-50: buckets start during the backward pass (after the first step, which counts the additions)" \
    awk -v v="$overlapped" 'BEGIN { exit !(v >= 1) }'
counted off 5 --set resnet.depth=10 --set resnet.width=8 --set train.bucket_mb=0.001 --set train.overlap=off
is "$RC" 0 "overlap = off trains"
is "$(last off buckets_overlapped)" 0.00 "... and starts no bucket during the backward pass"
ok "... the same parameters, bit for bit, as overlap = on (batch-norm reductions in the passes)" \
    h5diff -q tiny/checkpoint.h5 off/checkpoint.h5 /params /params

printf '[generate]\nchallenge = pathtracker\n[pathtracker]\nlength = 8\nnum_distractors = 1\n[split.train]\nn = 16\nseed = 1\n[split.val]\nn = 4\nseed = 2\n' >v.ini
run_phasor generate v.ini --out vid --quiet
vid=(--set train.model=int --set train.train=vid/train.h5 --set train.val=vid/val.h5 --set train.bucket_mb=0.001)
counted int_on 4 "${vid[@]}"
counted int_off 4 "${vid[@]}" --set train.overlap=off
ok "InT, 1 kB buckets: some start during the backward pass" awk -v v="$(last int_on buckets_overlapped)" 'BEGIN { exit !(v > 0) }'
ok "... the same parameters, bit for bit, as overlap = off" h5diff -q int_on/checkpoint.h5 int_off/checkpoint.h5 /params /params
