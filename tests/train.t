#!/usr/bin/env bash
# phasor-train: rank invariance (batch norm synchronised over ranks),
# bit-identical resume (also after a signal), and bad input that leaves the
# last good checkpoint intact.
. "$(dirname "$0")/lib.sh"
plan 40
cd "$TMPD" || bail_out "cannot enter $TMPD"

cat >g.ini <<'INI'
[pathtracker]
length = 8
num_distractors = 0
[split.train]
n = 96
seed = 1
[split.val]
n = 32
seed = 2
[split.other]
n = 32
seed = 3
INI
run_phasor generate g.ini --out data --quiet
is "$RC" 0 "generate a tiny training set"
run_phasor generate g.ini --out data16 --quiet --set pathtracker.length=16
cat >t.ini <<'INI'
[train]
train = data/train.h5
val = data/val.h5
steps = 20
batch = 8
log_every = 5
eval_every = 10
checkpoint_every = 100
[cnn3d]
width = 4
norm = batch
INI

# Rank invariance: the same global batch split over 1 or 2 ranks; batch norm
# sums its statistics over the ranks, so it sees the global batch either way.
run_phasor train t.ini --out r1 --quiet
is "$RC" 0 "train 20 steps on 1 rank"
run_mpi 2 train t.ini --out r2 --quiet
is "$RC" 0 "train 20 steps on 2 ranks"
close_losses() {
    perl -MJSON::PP -e 'open my $a, "<", $ARGV[0] or die; open my $b, "<", $ARGV[1] or die;
        my ($n, $worst) = (0, 0);
        while (defined(my $la = <$a>)) { my $lb = <$b>; my ($x, $y) = (decode_json($la), decode_json($lb));
            for my $k ("loss", "val_loss") { next unless exists $x->{$k}; $n++;
                my $r = abs($x->{$k} - $y->{$k}) / abs($x->{$k}); $worst = $r if $r > $worst; } }
        print "# $n losses compared, worst relative difference $worst (tolerance 1e-4)\n";
        exit !($n >= 6 && $worst <= 1e-4);' "${1:-r1}/train.jsonl" "${2:-r2}/train.jsonl"
}
ok "losses with 1 and 2 ranks agree within 1e-4 relative" close_losses
ok "a checkpoint and the best model are written" test -s r1/checkpoint.h5 -a -s r1/best.h5
ok "the checkpoint records step 20" bash -c "h5dump -a /step r1/checkpoint.h5 | grep -q '(0): 20'"
ok "... and where it trained (processor, backend, ranks) and the build" \
    bash -c "h5dump -a /machine r1/checkpoint.h5 | grep -q 'CPUs), cpu backend, 1 rank(s)' && h5dump -a /git_commit r1/checkpoint.h5 | grep -q '(0): \"'"

# precision = bf16: the convolutions read bfloat16 copies of their inputs, where the processor
# has bf16 kernels (else one line naming the reason, exit 2).
if grep -qw avx512_bf16 /proc/cpuinfo || grep -qw amx_bf16 /proc/cpuinfo; then
    run_phasor train t.ini --out h1 --quiet --set train.precision=bf16
    is "$RC" 0 "precision = bf16 trains (this processor has AVX512-BF16)"
    ok "... to other parameters than fp32 (the setting takes effect)" bash -c "! h5diff -q r1/checkpoint.h5 h1/checkpoint.h5 /params /params"
    ok "... with losses within 5 % of fp32's (bfloat16 keeps 8 bits of each input)" perl -MJSON::PP -e '
        open my $a, "<", "r1/train.jsonl" or die; open my $b, "<", "h1/train.jsonl" or die; my $worst = 0;
        while (defined(my $la = <$a>)) { my ($x, $y) = (decode_json($la), decode_json(scalar <$b>));
            next unless exists $x->{loss}; my $r = abs($x->{loss} - $y->{loss}) / $x->{loss}; $worst = $r if $r > $worst }
        print "# worst relative loss difference bf16 / fp32: $worst\n"; exit !($worst < 0.05)'
else
    run_phasor train t.ini --out h1 --quiet --set train.precision=bf16
    is "$RC" 2 "precision = bf16 is refused without bf16 instructions"
    is "$(wc -l <"$ERR")" 1 "... with one line"
    ok "... naming the reason" grep -q "precision = bf16: this processor has no bf16" "$ERR"
fi

# The balanced sampler: every global batch holds each class equally often; the same
# batches for any rank count, other batches than the uniform sampler's.
run_phasor train t.ini --out b1 --quiet --set train.sampler=balanced
run_mpi 2 train t.ini --out b2 --quiet --set train.sampler=balanced
ok "balanced sampler: losses with 1 and 2 ranks agree within 1e-4 relative" close_losses b1 b2
ok "balanced sampler: the losses differ from the uniform sampler's (other batches)" \
    bash -c '! cmp -s <(grep "\"loss\"" r1/train.jsonl) <(grep "\"loss\"" b1/train.jsonl)'
printf '[pathtracker]\nlength = 8\nnum_distractors = 0\n[split.one]\nn = 1\nseed = 1\n' >g1.ini
run_phasor generate g1.ini --out one --quiet
run_phasor train t.ini --out bad_one --quiet --set train.sampler=balanced --set train.train=one/one.h5
is "$RC" 2 "balanced sampler on a training file without one of the classes: exit 2"
ok "... with one line naming the missing class" bash -c "grep -q 'has no sample of class' '$ERR' && [ \$(grep -c '^phasor-' '$ERR') = 1 ]"

# init: a new run starts from another run's weights (lr 0: they stay), its step count afresh.
run_phasor train t.ini --out from_r1 --quiet --set train.init=r1/checkpoint.h5 --set train.lr=0 --set train.steps=1
is "$RC" 0 "init from another run's checkpoint"
ok "... its weights are that checkpoint's (lr 0), its step count starts afresh" \
    bash -c "h5diff -q r1/checkpoint.h5 from_r1/checkpoint.h5 /params/00/w /params/00/w && h5dump -a /step from_r1/checkpoint.h5 | grep -q '(0): 1\$'"
run_phasor train t.ini --out from_none --quiet --set train.init=nowhere.h5
is "$RC" 2 "init from a missing file: exit 2"
ok "... with one line naming it" bash -c "grep -q 'init = nowhere.h5 does not exist' '$ERR' && [ \$(grep -c '^phasor-' '$ERR') = 1 ]"

# Resume: 10 steps, then the same command with 20 steps, equals 20 straight.
run_phasor train t.ini --out half --quiet --set train.steps=10
run_phasor train t.ini --out half --quiet
is "$RC" 0 "resume from step 10 to 20"
resumed_log() { [ "$(grep -c '"loss"' half/train.jsonl)" = 4 ] && [ "$(grep -c '"step":5,"loss"' half/train.jsonl)" = 1 ]; }
ok "the resumed run continues the log (steps 5..20 once each), it does not restart" resumed_log
same_params() { # same_params A B: every tensor (values, moments, running statistics) identical
    [ "$(h5ls -r "$1/params" 2>/dev/null | grep -c Dataset)" -gt 20 ] || { diag "too few tensors in $1"; return 1; }
    h5diff -q "$1" "$2" /params /params >/dev/null 2>&1 || { diag "/params differ"; return 1; }
}
ok "10 + 10 resumed steps give bit-identical parameters and moments to 20 straight" same_params r1/checkpoint.h5 half/checkpoint.h5
run_phasor train t.ini --out other_seed --quiet --set train.seed=2
ok "the comparison can fail: another seed differs" bash -c "! h5diff -q r1/checkpoint.h5 other_seed/checkpoint.h5 /params/00/w /params/00/w >/dev/null 2>&1"

# A signal checkpoints and stops between steps; resuming matches a straight run.
"$PHASOR_BUILD/bin/phasor-train" t.ini --out sig --quiet --set train.steps=1000000 --set train.log_every=1 2>"$ERR" &
pid=$!
for _ in $(seq 100); do [ -s sig/train.jsonl ] && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
RC=$?
is "$RC" 0 "SIGTERM: exit 0 after saving"
ok "SIGTERM: says where the checkpoint is" grep -q "stopped by signal 15 after step .*run the same command to resume" "$ERR"
k=$(h5dump -a /step sig/checkpoint.h5 2>/dev/null | sed -n 's/^ *(0): *//p')
ok "SIGTERM: the checkpoint holds the step it stopped at ($k)" test -n "$k" -a "${k:-0}" -gt 0
run_phasor train t.ini --out sig --quiet --set train.steps=$((k + 3)) --set train.log_every=1
is "$RC" 0 "resume after the signal"
run_phasor train t.ini --out straight --quiet --set train.steps=$((k + 3)) --set train.log_every=1
ok "signal + resume equals a straight run of the same length" same_params sig/checkpoint.h5 straight/checkpoint.h5

# Bad input: one line, the exit code, the checkpoint untouched.
cp half/checkpoint.h5 keep.h5
run_phasor train t.ini --out half --quiet --set train.val=data16/val.h5 --set train.steps=30
ok "validation file of another shape: exit 2 and one line" bash -c "[ $RC = 2 ] && [ \$(grep -c '^phasor-train:' '$ERR') = 1 ] && grep -q 'validation samples are 16x32x32x3 but training samples are 8x32x32x3' '$ERR'"
ok "the last good checkpoint is intact" cmp -s keep.h5 half/checkpoint.h5
run_phasor train t.ini --out half --quiet --set train.model=nosuch
ok "unknown model: exit 2 naming it" bash -c "[ $RC = 2 ] && grep -q \"model = 'nosuch' is not one of\" '$ERR'"
run_phasor train t.ini --out half --quiet --set train.optimizer=lbfgs
ok "unknown optimiser: exit 2 naming it" bash -c "[ $RC = 2 ] && grep -q \"optimizer = 'lbfgs' is not one of\" '$ERR'"
run_phasor train t.ini --out half --quiet --set train.model=resnet
ok "an image model on videos: exit 2 saying so" bash -c "[ $RC = 2 ] && grep -q 'model resnet takes images, but data/train.h5 holds videos' '$ERR'"
run_phasor train t.ini --out half --quiet --set cnn3d.width=8 --set train.steps=30
ok "a checkpoint of another model shape: exit 1 naming the tensor" bash -c "[ $RC = 1 ] && [ \$(grep -c '^phasor-train:' '$ERR') = 1 ] && grep -q 'values, the model has' '$ERR'"
ok "... and the checkpoint is still intact" cmp -s keep.h5 half/checkpoint.h5
run_mpi 3 train t.ini --out r3 --quiet
ok "batch not divisible by the ranks: exit 2" bash -c "[ $RC = 2 ] && grep -q 'must be a multiple of the 3 ranks' '$ERR'"
mkdir -p foreign && cp data/val.h5 foreign/checkpoint.h5
run_phasor train t.ini --out foreign --quiet
ok "a foreign checkpoint: exit 1, not a phasor checkpoint" bash -c "[ $RC = 1 ] && grep -q 'not a phasor checkpoint' '$ERR'"
mkdir -p trunc && head -c 3000 half/checkpoint.h5 >trunc/checkpoint.h5
run_phasor train t.ini --out trunc --quiet
ok "a truncated checkpoint: exit 1 and one line" bash -c "[ $RC = 1 ] && [ \$(grep -c '^phasor-train:' '$ERR') = 1 ]"
echo garbage >notphasor.h5
run_phasor train t.ini --out bad --quiet --set train.train=notphasor.h5
ok "a training file that is not HDF5: exit 1 naming it" bash -c "[ $RC = 1 ] && grep -q 'notphasor.h5 failed: not an HDF5 file' '$ERR'"

# --device: cuda runs where a GPU is present, and is refused with the reason elsewhere.
run_phasor train t.ini --out dev --quiet --device cuda --set train.steps=2
if grep -q "device = cuda, but" "$ERR"; then
    ok "--device cuda without a GPU: exit 2 with the reason" test "$RC" = 2
else
    ok "--device cuda with a GPU: trains" test "$RC" = 0
fi
run_phasor train t.ini --out dev_cpu --quiet --device cpu --set train.steps=2
ok "--device cpu trains" test "$RC" = 0
