#!/usr/bin/env bash
# train_stream.t: phasor-train streams a sample file it could not hold.
#   - the streamed and the whole-file reader train the same model (identical
#     parameters) on 1 and on 2 ranks, and a streamed run resumes exactly;
#   - with its address space limited to what the streamed run used plus an
#     eighth of the file's samples, the whole-file reader stops with one line
#     and exit 1, and the streamed reader trains, to the same parameters;
#   - reader = auto keeps a file within memory_mb in memory and streams one
#     beyond it, and says which.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
plan 18
cd "$TMPD" || bail_out "cannot enter $TMPD"

# 4096 videos of 32 frames of 32x32x3: 384 MiB of samples, about 6 MB deflated.
pathtracker_ini data 32 4096 64 >g.ini
run_mpi 2 generate g.ini --quiet
[ "$RC" = 0 ] || bail_out "phasor-generate failed: $(cat "$ERR")"
samples_mib=384

cat >t.ini <<'INI'
[train]
model = cnn3d
train = data/train.h5
val = data/val.h5
steps = 12
batch = 8
log_every = 4
eval_every = 6
checkpoint_every = 6
[cnn3d]
width = 4
norm = batch
INI
# same_params A B: the two checkpoints hold the same parameters and moments, bit for bit
same_params() { h5diff -q "$1/checkpoint.h5" "$2/checkpoint.h5" /params /params >/dev/null 2>&1; }
# last VALUE of KEY in a run's train.jsonl
last() { grep -o "\"$2\":[0-9.]*" "$1/train.jsonl" | tail -1 | cut -d: -f2; }

run_phasor train t.ini --out mem1 --set train.reader=memory --quiet
is "$RC" 0 "whole-file reader, 1 rank"
run_phasor train t.ini --out str1 --set train.reader=stream --quiet
is "$RC" 0 "streamed reader, 1 rank"
ok "... the same parameters and optimiser moments" same_params mem1 str1
run_mpi 2 train t.ini --out mem2 --set train.reader=memory --quiet
run_mpi 2 train t.ini --out str2 --set train.reader=stream --quiet
is "$RC" 0 "streamed reader, 2 ranks (each reads its own half of each batch)"
ok "... the same parameters as the whole-file reader on 2 ranks" same_params mem2 str2

run_phasor train t.ini --out res --set train.reader=stream --set train.steps=6 --quiet
run_phasor train t.ini --out res --set train.reader=stream --quiet
is "$RC" 0 "a streamed run stopped at step 6 resumes"
ok "... to the parameters of the run that did not stop" same_params str1 res

# Memory: the whole-file reader holds the samples, the streamed one a few batches.
rss_mem=$(last mem1 peak_rss_mib) rss_str=$(last str1 peak_rss_mib) vm_str=$(last str1 peak_vm_mib)
diag "peak resident memory: whole-file $rss_mem MiB, streamed $rss_str MiB ($samples_mib MiB of samples)"
ok "the whole-file reader's peak memory is at least the samples' size above the streamed one" \
    test "$((${rss_mem%.*} - ${rss_str%.*}))" -ge "$((samples_mib * 9 / 10))"

# An address-space limit of the streamed run's peak plus an eighth of the samples.
if ldd "$PHASOR_BUILD/bin/phasor-train" | grep -q libasan; then
    skip "address-space limits do not apply under AddressSanitizer (its shadow memory is reserved up front)" 5
else
    limit_kib=$(((${vm_str%.*} + samples_mib / 8) * 1024))
    diag "ulimit -v $limit_kib KiB (streamed peak $vm_str MiB + $((samples_mib / 8)) MiB)"
    limited() { (ulimit -v "$limit_kib" && exec "$PHASOR_BUILD/bin/phasor-train" "$@") >"$OUT" 2>"$ERR"; RC=$?; }
    limited t.ini --out lim_mem --set train.reader=memory --quiet
    is "$RC" 1 "under the limit the whole-file reader fails (exit 1)"
    is "$(grep -c . "$ERR")" 1 "... with one line"
    ok "... saying that memory ran out and that streaming helps" grep -q "out of memory (stream the file" "$ERR"
    limited t.ini --out lim_str --set train.reader=stream --quiet
    is "$RC" 0 "under the same limit the streamed reader trains"
    ok "... to the same parameters" same_params mem1 lim_str
fi

# reader = auto: in memory within memory_mb, streamed beyond it.
run_phasor train t.ini --out auto_mem --set train.steps=2
is "$RC" 0 "reader = auto with the default memory_mb"
ok "... keeps the 384 MiB file in memory and says so" grep -q "data/train.h5: 4096 samples, 384 MiB, in memory" "$ERR"
run_phasor train t.ini --out auto_str --set train.steps=2 --set train.memory_mb=200
is "$RC" 0 "reader = auto with memory_mb = 200"
ok "... streams the training file and says so" grep -q "data/train.h5: 4096 samples, 384 MiB, streamed from the file" "$ERR"
ok "... and keeps the small validation file in memory" grep -q "data/val.h5: 64 samples, 6 MiB, in memory" "$ERR"
