#!/usr/bin/env bash
# The benchmark programs refuse a bad argument before they print any table: one line on
# stderr naming the argument, exit status 2, nothing on stdout (make bench pastes stdout into
# docs/performance.md, so half a table there would end up in the doc); --help exits 0.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"
plan 15
cd "$TMPD" || bail_out "cannot enter $TMPD"
B=$PHASOR_BUILD/bench
for p in engine maco h5_vs_fwrite; do
    [ -x "$B/$p" ] || bail_out "no $B/$p (run make build, or set PHASOR_BUILD)"
done
# cuda_u8_affine is built only where nvcc is (Makefile: CUDA=1).
cuda=cuda_u8_affine
[ -x "$B/$cuda" ] || cuda=

# refused PROG NEEDLE ARGS...: exit 2, empty stdout, one stderr line holding NEEDLE.
refused() {
    local prog=$1 needle=$2 rc
    shift 2
    "$B/$prog" "$@" >out 2>err
    rc=$?
    [ "$rc" = 2 ] || { diag "exit status $rc"; diag_file err; return 1; }
    [ ! -s out ] || { diag "stdout:"; diag_file out; return 1; }
    [ "$(wc -l <err)" = 1 ] && grep -q -F -- "$needle" err || { diag "stderr:"; diag_file err; return 1; }
}

ok "bench/engine names an unknown argument" refused engine "'--bogus'" --bogus
ok "bench/maco names an unknown argument" refused maco "'--bogus'" --bogus
ok "bench/maco refuses a ResNet depth it has no layout for, before its tables" refused maco "'20'" --depth 20
ok "bench/maco refuses 0 repetitions" refused maco "reps 1..1000" --reps 0
ok "bench/h5_vs_fwrite names an unknown option" refused h5_vs_fwrite "'--bogus'" --bogus
if [ -n "$cuda" ]; then
    ok "bench/cuda_u8_affine refuses a count that is not a number" refused $cuda "'12x'" 12x
    ok "bench/cuda_u8_affine refuses 0 elements" refused $cuda "'0'" 0
    ok "bench/cuda_u8_affine refuses a second argument" refused $cuda "one argument at most" 1 2
else
    skip "no bench/cuda_u8_affine (built only where nvcc is)" 3
fi
for p in engine maco h5_vs_fwrite cuda_u8_affine; do
    [ -x "$B/$p" ] || { skip "no bench/$p"; continue; }
    "$B/$p" --help >out 2>err
    rc=$?
    ok "bench/$p --help exits 0 with its usage" eval '[ "$rc" = 0 ] && grep -q "usage" out'
done

# bench/peer.sh (the PyTorch side by side): a bad argument is refused the same way, and without
# an importable torch the section is skipped with one line and exit 0 (make bench goes on).
peer() { PHASOR_BUILD=$PHASOR_BUILD PHASOR_TORCH_PYTHON=${PY:-python3} "$ROOT/bench/peer.sh" "$@" >out 2>err; }
peer --bogus; rc=$?
ok "bench/peer.sh names an unknown argument" eval '[ "$rc" = 2 ] && [ ! -s out ] && grep -q -F "'"'"'--bogus'"'"'" err'
peer --rounds 0; rc=$?
ok "bench/peer.sh refuses 0 rounds" eval '[ "$rc" = 2 ] && [ ! -s out ] && grep -q -F -- "--rounds" err'
PY=/bin/false peer --rounds 1; rc=$?
ok "bench/peer.sh without torch: one skipped line, exit 0" eval '[ "$rc" = 0 ] && grep -q "skipped: no torch" out err'
