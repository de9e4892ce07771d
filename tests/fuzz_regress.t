#!/usr/bin/env bash
# fuzz_regress.t: the inputs that crashed phasor's readers under make fuzz
# (tests/fuzz/regress/TARGET/, docs/fuzzing.md), each replayed through its
# harness built without libFuzzer (build/fuzz/replay_TARGET, which make build
# links with gcc): it must return, read or refused with at most one line,
# where it once crashed or hung.  A plain build catches aborts, segfaults and
# hangs; under make sanitize the replays carry ASan and UBSan, which catch a
# memory error again.  Leak checks are off here as in make fuzz: a refusal
# jumps back past the frees of what the reader held.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

REGRESS=$(cd "$(dirname "$0")" && pwd)/fuzz/regress
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:allocator_may_return_null=1
export OMP_NUM_THREADS=1 TMPDIR=$TMPD

inputs=()
for f in "$REGRESS"/*/*; do [ -f "$f" ] && inputs+=("$f"); done
[ ${#inputs[@]} -gt 0 ] || bail_out "no inputs under $REGRESS"
plan ${#inputs[@]}

for f in "${inputs[@]}"; do
    t=$(basename "$(dirname "$f")")
    name="$t/$(basename "$f")"
    exe=$PHASOR_BUILD/fuzz/replay_$t
    if [ ! -x "$exe" ]; then
        skip "no $exe (make build links it)"
        continue
    fi
    timeout 60 "$exe" "$f" >"$OUT" 2>"$ERR"
    RC=$?
    lines=$(grep -cv '^$' "$ERR")
    pass=0
    [ "$RC" = 0 ] && [ "$lines" -le 1 ] && pass=1
    ok "$name: replayed (exit $RC), $lines line(s) on stderr" [ "$pass" = 1 ]
done
