#!/usr/bin/env bash
# bench/scaling.sh SCRATCH_DIR: what a training step exchanges, measured, and what that costs at
# 8 to 1,024 ranks, modelled (docs/scaling.md's tables; part of make bench).
#
# Measured on this machine, per model (ResNet-50, the 3D CNN width 32, InT), with the PMPI wrapper
# tests/pmpi/count_mpi.c preloaded into 2 ranks (oversubscribed is fine for counts): a step's
# gradient collectives and bytes, and its other reductions (batch-norm statistics, the loss, the
# stop agreement), from the difference of runs of 5 and 3 steps; and the compute time of a step on
# 1 rank (median of the log intervals after the first).  Both with batch_norm = sync and local.
# And the overlap: on 2 ranks (one thread each), rounds of runs with overlap = on and off
# interleaved, the step time and the exchange's exposed part (the wait after the backward pass,
# train.jsonl's exchange_ms), medians over the steps after the second; the hidden fraction is
# 1 - exposed(on) / exposed(off).
#
# Modelled: one collective of n bytes over P ranks costs 2 log2(P) alpha + 2 (P-1)/P n / beta
# (Rabenseifner's allreduce: recursive halving and doubling), with alpha and beta stated below.
# A step takes compute + the exchange that is not hidden, and the efficiency printed is
# compute / (compute + exposed exchange).  Rows without overlap charge every collective; the
# overlapped rows hide the measured fraction of the gradient sums, at most the backward pass
# (taken as 2/3 of a step), and charge the batch-norm reductions in full.
#
# Environment: PHASOR_BUILD (required), BENCH_ALPHA_US (5), BENCH_BETA_GBS (25).
set -euo pipefail

BUILD=${PHASOR_BUILD:?set PHASOR_BUILD to the absolute build directory (make bench does)}
DIR=${1:?usage: bench/scaling.sh SCRATCH_DIR}
ALPHA=${BENCH_ALPHA_US:-5}
BETA=${BENCH_BETA_GBS:-25}
WRAP=$BUILD/tests/libcount_mpi.so
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mkdir -p "$DIR"
cd "$DIR"
say() { echo "[scaling] $*" >&2; }

printf '[generate]\nchallenge = diagnostic\n[diagnostic]\nsize = 128\n[split.train]\nn = 64\nseed = 1\n[split.val]\nn = 8\nseed = 2\n' > img.ini
printf '[generate]\nchallenge = pathtracker\n[pathtracker]\nlength = 32\nnum_distractors = 1\n[split.train]\nn = 64\nseed = 1\n[split.val]\nn = 8\nseed = 2\n' > vid.ini
"$BUILD/bin/phasor-generate" img.ini --out img --quiet --force
"$BUILD/bin/phasor-generate" vid.ini --out vid --quiet --force

# name | data | batch | model settings (as in the engine bench)
MODELS=(
    "ResNet-50|img|8|--set train.model=resnet --set resnet.depth=50"
    "3D CNN width 32|vid|16|--set train.model=cnn3d --set cnn3d.width=32 --set cnn3d.norm=batch"
    "InT|vid|4|--set train.model=int --set train.sampler=balanced"
)
printf '[train]\nlog_every = 1\neval_every = 1000000\ncheckpoint_every = 1000000\n' > t.ini

# run RANKS STEPS OUT DATA BATCH BN EXTRA... (the wrapper writes OUT.count)
run() {
    local p=$1 steps=$2 out=$3 data=$4 batch=$5 bn=$6
    shift 6
    rm -rf "$out" "$out.count"
    # shellcheck disable=SC2068
    mpirun --bind-to none --oversubscribe -np "$p" -x LD_PRELOAD="$WRAP" -x PHASOR_COUNT_MPI="$DIR/$out.count" \
        "$BUILD/bin/phasor-train" t.ini --out "$out" --set train.train="$data/train.h5" \
        --set train.val="$data/val.h5" --set train.steps="$steps" --set train.batch="$batch" \
        --set train.batch_norm="$bn" $@ 2> "$out.err"
}
# FIELD per step on rank 0, from A5.count and A3.count
per_step() { awk -v f="$2" '$2 == 0 { for (i = 3; i < NF; i += 2) if ($i == f) v[FILENAME] = $(i + 1) }
    END { printf "%.0f", (v[ARGV[1]] - v[ARGV[2]]) / 2 }' "$1"5.count "$1"3.count; }

# median FILE FIELD SKIP: the median of FIELD over the metrics lines of FILE after the first SKIP
median() { grep -o "\"$2\":[0-9.]*" "$1" | cut -d: -f2 | tail -n +"$(($3 + 1))" | sort -g |
    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ROUNDS=${BENCH_OVERLAP_ROUNDS:-3}

ROWS="" OVERLAP=""
for m in "${MODELS[@]}"; do
    IFS='|' read -r name data batch sets <<< "$m"
    say "$name: counts on 2 ranks, step time on 1"
    # shellcheck disable=SC2086
    run 1 8 t1 "$data" "$batch" sync $sets
    step_ms=$(grep -o '"samples_per_second":[0-9.]*' t1/train.jsonl | cut -d: -f2 | tail -n +3 |
        awk -v b="$batch" '{ print 1000 * b / $1 }' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    tensors=$(grep -o 'parameters in [0-9]* tensors' t1.err | cut -d' ' -f3)
    for bn in sync local; do
        # shellcheck disable=SC2086
        run 2 5 c5 "$data" "$batch" "$bn" $sets && run 2 3 c3 "$data" "$batch" "$bn" $sets
        bytes=$(per_step c float_bytes) other=$(per_step c other_reductions)
        # before the buckets: one blocking allreduce per tensor
        ROWS+="$name|$bn, a collective per tensor|$step_ms|$tensors|$bytes|$other|0"$'\n'
        ROWS+="$name|$bn, buckets|$step_ms|$(per_step c float_sums)|$bytes|$other|0"$'\n'
    done
    say "$name: overlap on and off, 2 ranks, $ROUNDS rounds"
    : > on.all && : > off.all
    for ((r = 0; r < ROUNDS; r++)); do
        for ov in on off; do
            # shellcheck disable=SC2086
            OMP_NUM_THREADS=1 run 2 8 "o$ov" "$data" "$batch" sync $sets --set train.overlap="$ov"
            tail -n +3 "o$ov/train.jsonl" >> "$ov.all"
        done
    done
    row="$name"
    for ov in off on; do
        row+="|$(median "$ov.all" samples_per_second 0 | awk -v b="$batch" '{ printf "%.0f", 1000 * b / $1 }')"
        row+="|$(median "$ov.all" exchange_ms 0)"
    done
    OVERLAP+="$row|$(median on.all buckets_overlapped 0)|$(per_step c float_sums)"$'\n'
    # the overlapped rows of the model: the bucket rows again, with the measured hidden fraction
    hidden=$(awk -F'|' -v n="$name" '$1 == n && $3 > 0 { h = 1 - $5 / $3; print (h > 0 ? h : 0) }' <<< "$OVERLAP")
    ROWS+=$(awk -F'|' -v n="$name" -v h="${hidden:-0}" -v OFS='|' '$1 == n && $2 ~ /buckets$/ { $2 = $2 ", overlapped"; $7 = h; print }' <<< "$ROWS")$'\n'
done

# rows AWK_PROGRAM: the program over ROWS, one line "name|batch_norm, exchange|ms|collectives|bytes|other"
# each; xch(p) is the modelled exchange of a step at p ranks, ms.
rows() {
    awk -F'|' -v a="$ALPHA" -v beta="$BETA" '
        function xch(p,   g, hide) {
            g = $4 * 2 * log(p) / log(2) * a / 1000 + 2 * (p - 1) / p * $5 / (beta * 1e6)
            hide = $7 * g < 2 / 3 * $3 ? $7 * g : 2 / 3 * $3 # at most the backward pass, 2/3 of a step
            return g - hide + $6 * 2 * log(p) / log(2) * a / 1000
        }
        NF == 7 { '"$1"' }' <<< "$ROWS"
}
echo "## Measured: what one training step exchanges (2 ranks)"
echo
echo "The per-tensor rows are the exchange before the buckets: one blocking allreduce per trainable tensor."
echo "Step compute: one rank with all cores, at the engine bench's batch (ResNet-50 8 x 128 x 128, the 3D CNN"
echo "16 x 32 frames of 32 x 32, InT 4 x 32 frames)."
echo
echo "| model | batch_norm, exchange | step compute, 1 rank (ms) | gradient collectives | gradient MB | other reductions |"
echo "|---|---|---:|---:|---:|---:|"
rows 'if ($2 !~ /overlapped/) printf "| %s | %s | %.0f | %d | %.1f | %d |\n", $1, $2, $3, $4, $5 / 1e6, $6'
echo
echo "## Measured: the exchange hidden behind the backward pass (2 ranks)"
echo
echo "Two ranks of one thread each, batch_norm = sync, $ROUNDS rounds of 8 steps with overlap = off and on"
echo "interleaved; medians over the steps after the second. Exposed: the wait for the sums after the"
echo "backward pass (train.jsonl's exchange_ms). Hidden: 1 - exposed(on) / exposed(off)."
echo
echo "| model | step, off (ms) | exposed, off (ms) | step, on (ms) | exposed, on (ms) | hidden | buckets started in the backward pass |"
echo "|---|---:|---:|---:|---:|---:|---:|"
awk -F'|' 'NF == 7 { printf "| %s | %s | %.1f | %s | %.1f | %s | %.0f of %d |\n", $1, $2, $3, $4, $5,
    ($3 > 0 ? sprintf("%.2f", 1 - $5 / $3) : "-"), $6, $7 }' <<< "$OVERLAP"
echo
echo "## Modelled: parallel efficiency at P ranks (alpha $ALPHA us, beta $BETA GB/s)"
echo
echo "Other reductions are 8 to 24 bytes each, so they cost only their latency term. The efficiency"
echo "uses this CPU's step; a GPU's step is 10 to 100 times shorter, so compare the exchange columns"
echo "with your own step time."
echo
echo "| model | batch_norm, exchange | P = 8 | 64 | 256 | 1,024 | exchange at 64 (ms) | at 1,024 (ms) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
rows 'printf "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f |\n", $1, $2, $3 / ($3 + xch(8)), $3 / ($3 + xch(64)),
          $3 / ($3 + xch(256)), $3 / ($3 + xch(1024)), xch(64), xch(1024)'
