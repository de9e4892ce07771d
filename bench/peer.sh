#!/usr/bin/env bash
# bench/peer.sh: phasor's training steps against the same models in PyTorch, side by side
# (section 3b of docs/performance.md; bench/run.sh runs it after the engine section).
#
# A development check: PyTorch is never a dependency of phasor.  When PHASOR_TORCH_PYTHON (default
# python3) cannot import torch, it prints one "skipped: ..." line and exits 0.
#
# For every case of bench/engine.c (the 3D CNNs, ResNet-18/50, InT, the CV-RNN):
#   - phasor's trainable parameter count, from phasor-train's start-up line for the same config
#     (on a tiny generated file of the same sample shape), which bench/torch_peer.py must match;
#   - ROUNDS rounds; in each, `build/bench/engine --only CASE --reps STEPS` and
#     `torch_peer.py --case CASE --steps STEPS`, the one that goes first alternating by round and
#     case; each gives the median of STEPS whole training steps (forward, BCE, backward, AdamW),
#     every step right after a 2048^3 sgemm;
#   - per round the ratio phasor ms / PyTorch ms (below 1: phasor faster), then its median and
#     min-max over the rounds.
# Prints a markdown section on stdout; --write-doc also replaces the "peer" block of
# docs/performance.md with it (bench/doc_write.sh); --block DIR only writes the block to DIR/peer
# (bench/run.sh does that, and puts it into docs/performance.md with its other blocks).  No block
# is written when the section is skipped.
#
# usage: bench/peer.sh [--write-doc] [--block DIR] [--rounds R] [--steps K] [--cases "CASE ..."]
# Environment: PHASOR_BUILD (build directory; default ROOT/build), PHASOR_TORCH_PYTHON (python3),
# BENCH_PEER_ROUNDS (5), BENCH_PEER_STEPS (3), BENCH_PEER_CASES (all seven),
# BENCH_PEER_THREADS (2: OMP_NUM_THREADS of both sides and torch.set_num_threads),
# BENCH_PEER_VARIANTS ("glibc channels_last", and bf16 where the processor has AVX512-BF16 or AMX;
# set it empty for none: glibc = PyTorch also with glibc's malloc as configured by default,
# channels_last = PyTorch also in channels_last for the 3D CNNs and ResNets, bf16 = phasor with
# `--precision bf16` against PyTorch under torch.autocast(bfloat16); each adds a column of
# per-round ratios and runs to every round),
# BENCH_DIR (parent of the scratch folder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PHASOR_BUILD:-$ROOT/build}
PY=${PHASOR_TORCH_PYTHON:-python3}
ROUNDS=${BENCH_PEER_ROUNDS:-5}
STEPS=${BENCH_PEER_STEPS:-3}
CASES=${BENCH_PEER_CASES:-cnn3d-w16 cnn3d-w32 cnn3d-w16-bn resnet18 resnet50 int cvrnn}
THREADS=${BENCH_PEER_THREADS:-2}
BF16=""
if grep -qw -e avx512_bf16 -e amx_bf16 /proc/cpuinfo; then BF16=" bf16"; fi
VARIANTS=${BENCH_PEER_VARIANTS-glibc channels_last$BF16}
# PyTorch allocates its tensors anew every step; glibc's malloc maps big blocks and hands freed
# memory back to the kernel, so every step faults it in again (on this VM, where freed guest
# memory goes back to the host, slowly).  phasor allocates its buffers once.  So PyTorch runs with
# malloc keeping freed memory for reuse (blocks up to 32 MiB from the heap, no trimming), its
# faster setting; the glibc variant measures the plain settings.
KEEP_MALLOC=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296
WRITE_DOC=0
BLOCK_DIR=""
usage="usage: bench/peer.sh [--write-doc] [--block DIR] [--rounds R] [--steps K] [--cases \"CASE ...\"]"
while (($#)); do
    case $1 in
    --write-doc) WRITE_DOC=1 ;;
    --block) BLOCK_DIR=${2:?$usage}; shift ;;
    --rounds) ROUNDS=${2:?$usage}; shift ;;
    --steps) STEPS=${2:?$usage}; shift ;;
    --cases) CASES=${2:?$usage}; shift ;;
    --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/peer.sh: unknown argument '$1' ($usage)" >&2; exit 2 ;;
    esac
    shift
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $STEPS =~ ^[1-9][0-9]*$ && $STEPS -le 64 ]] ||
    { echo "bench/peer.sh: --rounds must be >= 1 and --steps 1..64 ($usage)" >&2; exit 2; }

if ! "$PY" -c 'import torch' > /dev/null 2>&1; then
    echo "skipped: no torch (PHASOR_TORCH_PYTHON or python3 cannot import torch)"
    exit 0
fi
for exe in "$BUILD/bench/engine" "$BUILD/bin/phasor-train" "$BUILD/bin/phasor-generate"; do
    [[ -x $exe ]] || { echo "bench/peer.sh: $exe is missing (run make build)" >&2; exit 2; }
done
export OMP_NUM_THREADS=$THREADS
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

TMP=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/phasor-peer.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
T_START=$(date +%s)
log() { printf '[peer %4ds] %s\n' $(($(date +%s) - T_START)) "$*" >&2; }

# The cases: bench/engine.c's cases[] as phasor-train settings, and the sample file of that shape
# (vid: 32-frame RGB videos; img: one-channel images).  The engine's config column is checked
# against these settings after the first round.
declare -A SETS=(
    [cnn3d-w16]="vid train.model=cnn3d cnn3d.width=16"
    [cnn3d-w32]="vid train.model=cnn3d cnn3d.width=32"
    [cnn3d-w16-bn]="vid train.model=cnn3d cnn3d.width=16 cnn3d.blocks=1 cnn3d.norm=batch"
    [resnet18]="img train.model=resnet resnet.depth=18 resnet.width=64 resnet.stem=imagenet"
    [resnet50]="img train.model=resnet resnet.depth=50 resnet.width=64 resnet.stem=imagenet"
    [int]="vid train.model=int"
    [cvrnn]="vid train.model=cvrnn cvrnn.sync_weight=0"
)
for c in $CASES; do [[ -n ${SETS[$c]:-} ]] || { echo "bench/peer.sh: no case '$c' (${!SETS[*]})" >&2; exit 2; }; done
for v in $VARIANTS; do
    [[ $v == glibc || $v == channels_last || $v == bf16 ]] ||
        { echo "bench/peer.sh: no variant '$v' (glibc, channels_last, bf16)" >&2; exit 2; }
done

# stats, fmt3, cpu_mark, cpu_foreign: bench/lib.sh.
. "$ROOT/bench/lib.sh"
M_ALL=$(cpu_mark)

# ---- phasor's parameter counts ------------------------------------------------------------

log "parameter counts: phasor-train's start-up line for each case's config"
cat > "$TMP/vid.ini" <<EOF
[generate]
challenge = pathtracker
out_dir = $TMP/vid
[pathtracker]
length = 32
num_distractors = 0
[split.train]
n = 4
seed = 1
[split.val]
n = 4
seed = 2
EOF
sed -e 's/^challenge = .*/challenge = svrt/' -e "s|^out_dir = .*|out_dir = $TMP/img|" -e '/^\[pathtracker\]/,/^num_distractors/d' \
    "$TMP/vid.ini" > "$TMP/img.ini"
for f in vid img; do "$BUILD/bin/phasor-generate" --quiet "$TMP/$f.ini" > /dev/null; done
# phasor_params CASE: the count phasor-train prints before its first step; it is stopped there.
phasor_params() {
    local -a set args=()
    read -r -a set <<< "${SETS[$1]}"
    local kv err=$TMP/train.err pid n=0
    for kv in "${set[@]:1}"; do args+=(--set "$kv"); done
    printf '[train]\ntrain = %s/train.h5\nval = %s/val.h5\nsteps = 1\nbatch = 2\n' "$TMP/${set[0]}" "$TMP/${set[0]}" > "$TMP/train.ini"
    "$BUILD/bin/phasor-train" --out "$TMP/train_run" "${args[@]}" "$TMP/train.ini" > /dev/null 2> "$err" &
    pid=$!
    while kill -0 "$pid" 2> /dev/null && ! grep -q 'trainable parameters' "$err" && ((n++ < 1200)); do sleep 0.05; done
    kill "$pid" 2> /dev/null || :
    wait "$pid" 2> /dev/null || :
    rm -rf "$TMP/train_run"
    sed -n 's/^phasor-train: \([0-9][0-9]*\) trainable parameters.*/\1/p' "$err"
}
declare -A PARAMS
for c in $CASES; do
    PARAMS[$c]=$(phasor_params "$c")
    [[ -n ${PARAMS[$c]} ]] || { echo "bench/peer.sh: phasor-train printed no parameter count for $c:" >&2; cat "$TMP/train.err" >&2; exit 1; }
done

# ---- rounds --------------------------------------------------------------------------------

# run_phasor CASE ROUND [bf16]: the engine's row, "round med_ms adamw_ms" into
# $TMP/phasor.CASE[.bf16], its config and geometry columns into $TMP/phasor.CASE.cfg (fp32).
run_phasor() {
    local row
    row=$("$BUILD/bench/engine" --only "$1" --reps "$STEPS" ${3:+--precision "$3"} | awk -F'|' -v c=" $1 " '$2 == c')
    [[ -n $row ]] || { echo "bench/peer.sh: bench/engine printed no row for $1" >&2; exit 1; }
    awk -F'|' -v r="$2" '{ split($5, s, " "); print r, s[1], $6 + 0 }' <<< "$row" >> "$TMP/phasor.$1${3:+.$3}"
    [[ -n ${3:-} ]] || awk -F'|' '{ gsub(/^ +| +$/, "", $3); gsub(/^ +| +$/, "", $4); print $3 "|" $4 }' <<< "$row" > "$TMP/phasor.$1.cfg"
}
# run_torch CASE ROUND [VARIANT]: torch_peer.py's line, "round med_ms adamw_ms" into
# $TMP/torch.CASE[.VARIANT].
run_torch() {
    local line out=$TMP/torch.$1${3:+.$3} malloc=$KEEP_MALLOC
    local -a extra=()
    [[ ${3:-} == glibc ]] && malloc=${GLIBC_TUNABLES:-}
    [[ ${3:-} == channels_last ]] && extra=(--channels-last)
    [[ ${3:-} == bf16 ]] && extra=(--bf16)
    line=$(GLIBC_TUNABLES=$malloc "$PY" "$ROOT/bench/torch_peer.py" --case "$1" --steps "$STEPS" \
        --threads "$THREADS" --expect-params "${PARAMS[$1]}" "${extra[@]}" | grep '^#peer ')
    awk -v r="$2" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                     print r, f["step_ms_med"], f["adamw_ms_med"] }' <<< "$line" >> "$out"
    if [[ -z ${3:-} ]]; then
        printf '%s\n' "$line" > "$TMP/torch.line"
        sed -n 's/.* shape=\([^ ]*\).*/\1/p' <<< "$line" > "$TMP/torch.$1.shape"
    fi
}
# has_variant VARIANT CASE: whether VARIANT is run for CASE.
has_variant() { [[ " $VARIANTS " == *" $1 "* ]] && { [[ $1 != channels_last || $2 == cnn3d* || $2 == resnet* ]]; }; }
ROUND_LOAD=()
k=0
for ((r = 1; r <= ROUNDS; r++)); do
    log "round $r of $ROUNDS: $CASES"
    m0=$(cpu_mark)
    for c in $CASES; do
        if (((r + k++) % 2)); then order="torch phasor"; else order="phasor torch"; fi
        for side in $order; do
            "run_$side" "$c" "$r"
            if [[ $side == torch ]]; then
                for v in $VARIANTS; do if has_variant "$v" "$c"; then run_torch "$c" "$r" "$v"; fi; done
            elif has_variant bf16 "$c"; then
                run_phasor "$c" "$r" bf16
            fi
        done
    done
    ROUND_LOAD+=("$(cpu_foreign "$m0" "$(cpu_mark)")")
done
LOAD=$(cpu_foreign "$M_ALL" "$(cpu_mark)")
ADAMW=$(sed -n 's/.* adamw=\([^ ]*\).*/\1/p' "$TMP/torch.line" | tr _ ' ')
TORCHV=$(sed -n 's/.* torch=\([^ ]*\).*/\1/p' "$TMP/torch.line")

# The engine's config column against this script's settings: the same keys and values (the
# parameter counts above are for these settings).
for c in $CASES; do
    IFS='|' read -r cfg geo < "$TMP/phasor.$c.cfg"
    want=$(tr ' ' '\n' <<< "${SETS[$c]}" | sed -n '/^train\./d; s/^[a-z0-9]*\.\([a-z_]*\)=\(.*\)/\1 = \2/p' | sort | paste -sd';')
    have=$(tr ';' '\n' <<< "$cfg" | grep -v -x '(defaults)' | sort | paste -sd';' || :)
    if [[ $want != "$have" ]]; then
        echo "bench/peer.sh: $c: bench/engine runs '$cfg', this script counts parameters for '${SETS[$c]}' (see bench/engine.c cases[])" >&2
        exit 1
    fi
    if [[ ${geo// /} != "$(cat "$TMP/torch.$c.shape")" ]]; then
        echo "bench/peer.sh: $c: bench/engine's batch is $geo, torch_peer.py's $(cat "$TMP/torch.$c.shape")" >&2
        exit 1
    fi
done

# ---- the section ---------------------------------------------------------------------------

MODEL=$(awk -F: '/^model name/ { sub(/^ +/, "", $2); print $2; exit }' /proc/cpuinfo)
FAMILY=$(awk -F: '/^cpu family/ { gsub(/ /, "", $2); f = $2 } /^model[ \t]*:/ { gsub(/ /, "", $2); m = $2 } END { print "family " f ", model " m }' /proc/cpuinfo)
ISA=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -x -e avx512f -e avx512bw -e avx512vl -e avx512_vnni \
    -e avx512_bf16 -e amx_tile -e amx_bf16 -e avx2 -e fma | paste -sd' ')
NCPU=$(nproc)
MACHINE="$MODEL ($FAMILY), $NCPU cores; ISA: ${ISA:-no AVX2/AVX-512 flags}"
DNNL=$(awk '/define DNNL_VERSION_(MAJOR|MINOR|PATCH)/ { v = v (v ? "." : "") $3 } END { print v }' \
    /usr/include/oneapi/dnnl/dnnl_version.h 2> /dev/null)
TORCH_LIBS=$("$PY" -c 'import torch, re
c = torch.__config__.show()
m = re.search(r"MKL-DNN v([0-9.]+)", c); k = re.search(r"Math Kernel Library Version ([0-9.]+)", c)
print("oneDNN " + (m.group(1) if m else "?") + ", MKL " + (k.group(1) if k else "none"))' 2> /dev/null || echo "libraries unknown")
COMMIT=$(cd "$ROOT" && git rev-parse --short=12 HEAD 2> /dev/null || echo unknown)
(cd "$ROOT" && git diff --quiet HEAD 2> /dev/null) || COMMIT+=" with uncommitted changes"

# per-round ratios of a case (phasor / PyTorch), paired by round number
# (the bf16 variant pairs phasor's bf16 runs with PyTorch's)
ratios() {
    local p=$TMP/phasor.$1
    [[ ${2:-} == .bf16 ]] && p+=.bf16
    join <(sort -k1,1 "$p") <(sort -k1,1 "$TMP/torch.$1${2:-}") | awk '{ print $1, $2 / $4 }' | sort -n
}
HEAD='| case | config | batch x T x H x W x C | trainable params, phasor = PyTorch | phasor step ms | PyTorch step ms | of which AdamW ms, phasor / PyTorch | **phasor / PyTorch**, per round | ahead |'
SEP='|---|---|---|--:|---|---|---|---|---|'
for v in $VARIANTS; do
    [[ $v == glibc ]] && HEAD+=' phasor / PyTorch with plain glibc malloc, per round |'
    [[ $v == channels_last ]] && HEAD+=' phasor / PyTorch channels_last, per round |'
    [[ $v == bf16 ]] && HEAD+=' bf16: phasor / PyTorch autocast, per round |'
    SEP+='---|'
done
ROWS=""
AHEAD="" BEHIND="" MIXED=""
for c in $CASES; do
    IFS='|' read -r cfg geo < "$TMP/phasor.$c.cfg"
    pm=$(awk '{ print $2 }' "$TMP/phasor.$c" | stats) tm=$(awk '{ print $2 }' "$TMP/torch.$c" | stats)
    pa=$(awk '{ print $3 }' "$TMP/phasor.$c" | stats) ta=$(awk '{ print $3 }' "$TMP/torch.$c" | stats)
    rs=$(ratios "$c" | awk '{ print $2 }' | stats)
    read -r _ rmin rmax <<< "$rs"
    if awk -v x="$rmax" 'BEGIN { exit !(x < 1) }'; then ah="phasor, every round"; AHEAD+=" $c"
    elif awk -v x="$rmin" 'BEGIN { exit !(x > 1) }'; then ah="PyTorch, every round"; BEHIND+=" $c"
    else ah="neither (rounds on both sides of 1)"; MIXED+=" $c"; fi
    row="| $c | $cfg | $geo | ${PARAMS[$c]} | $(fmt3 %.1f <<< "$pm") | $(fmt3 %.1f <<< "$tm") | $(awk '{ printf "%.1f", $1 }' <<< "$pa") / $(awk '{ printf "%.1f", $1 }' <<< "$ta") | **$(fmt3 %.3f <<< "$rs")** | $ah |"
    for v in $VARIANTS; do
        if has_variant "$v" "$c"; then row+=" $(ratios "$c" ".$v" | awk '{ print $2 }' | stats | fmt3 %.3f) |"; else row+=" - |"; fi
    done
    ROWS+=$'\n'"$row"
done
RHEAD="| round | $(tr ' ' '\n' <<< "$CASES" | paste -sd'|' | sed 's/|/ | /g') | CPU used by others during the round |"
RSEP="|---|$(for c in $CASES; do printf -- '--:|'; done)---|"
RROWS=""
for ((r = 1; r <= ROUNDS; r++)); do
    line="| $r |"
    for c in $CASES; do line+=" $(ratios "$c" | awk -v r="$r" '$1 == r { printf "%.3f", $2 }') |"; done
    RROWS+=$'\n'"$line ${ROUND_LOAD[r - 1]} |"
done
list() { local l=${1# }; echo "${l// /, }"; }

VNOTE=""
if has_variant glibc x; then VNOTE+=" *plain glibc malloc*: PyTorch without GLIBC_TUNABLES, in the same rounds."; fi
if has_variant channels_last cnn3d; then VNOTE+=" *channels_last*: PyTorch with the model and batch in torch.channels_last(_3d), in the same rounds."; fi
if has_variant bf16 x; then VNOTE+=" *bf16*: phasor with \`--precision bf16\` (convolutions on bfloat16 inputs, fp32 sums) against PyTorch's forward and loss under torch.autocast('cpu', dtype=torch.bfloat16), both with fp32 weights, in the same rounds; its rows are the ratio of those two medians."; fi
TEXT=$(cat <<EOF
## 3b. phasor against PyTorch: the same training steps, side by side

Threads: $THREADS on each side (OMP_NUM_THREADS=$THREADS; PyTorch also torch.set_num_threads($THREADS)).
phasor: bench/engine (oneDNN ${DNNL:-?}).  PyTorch $TORCHV ($TORCH_LIBS): bench/torch_peer.py, float32,
eager mode, NCHW/NCDHW tensors, glibc malloc keeping freed memory for the next step
(GLIBC_TUNABLES=$KEEP_MALLOC; phasor allocates its buffers once); AdamW is torch.optim.AdamW
with foreach and fused left to PyTorch, which runs its $ADAMW implementation on CPU tensors.
Command: \`bench/peer.sh\`: $ROUNDS rounds; in each, every case runs \`build/bench/engine --only CASE --reps $STEPS\`
and \`torch_peer.py --case CASE --steps $STEPS\`, which goes first alternating from case to case and round to round.
Each side times $STEPS whole training steps (forward, BCE-with-logits, backward, AdamW lr 1e-3, weight decay 0)
after warm-up steps (phasor 1, PyTorch 2), each step right after a 2048^3 sgemm, and reports their median.
*phasor / PyTorch* divides the two medians of one round (below 1: phasor faster); the table gives the median
and min-max of that ratio over the $ROUNDS rounds, and of each side's ms.  Trainable parameters: phasor's count
from phasor-train's start-up line for the case's config, PyTorch's from the model's parameters;
torch_peer.py refuses to time a model whose count differs.${VNOTE}

$HEAD
$SEP$ROWS

phasor ahead in every round: $(list "${AHEAD:- none}"); PyTorch ahead in every round: $(list "${BEHIND:- none}"); rounds on both sides of 1: $(list "${MIXED:- none}").

Per round (phasor / PyTorch), with the share of the machine's CPU time that other programs used during the round:

$RHEAD
$RSEP$RROWS
EOF
)
printf '%s\n' "$TEXT"
printf '\nMachine: %s.\nCPU used by others during the peer bench: %s\n' "$MACHINE" "$LOAD"
log "done in $(($(date +%s) - T_START))s"

. "$ROOT/bench/doc_write.sh"
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
if [[ -n $BLOCK_DIR ]]; then
    mkdir -p "$BLOCK_DIR"
    block_write "$BLOCK_DIR" peer "$TEXT" "$LOAD" "$COMMIT" "$DATE" "$MACHINE"
fi
if ((WRITE_DOC)); then
    mkdir -p "$TMP/blocks"
    block_write "$TMP/blocks" peer "$TEXT" "$LOAD" "$COMMIT" "$DATE" "$MACHINE"
    doc_write "$ROOT/docs/performance.md" "$TMP/blocks" peer
    log "wrote docs/performance.md (block peer)"
fi
