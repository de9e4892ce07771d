#!/usr/bin/env bash
# Command line: --help and --version, make install, progress lines and the metrics log.
. "$(dirname "$0")/lib.sh"
plan 14

run_phasor generate --help
is "$RC" 0 "--help exits 0"
help_lists_keys() {
    local k
    for k in challenge out_dir chunk deflate write_block length num_distractors extra_distractors skip n seed; do
        grep -q "^  $k " "$OUT" || { diag "--help does not list '$k'"; return 1; }
    done
}
ok "--help lists every config key" help_lists_keys
ok "--help lists the challenges" grep -q "pathtracker" "$OUT"
ok "--help documents the exit status" grep -q "exit status" "$OUT"

run_phasor generate --version
ok "--version names the version and commit" grep -Eq '^phasor-generate [0-9]+\.[0-9]+\.[0-9]+ \(git [^ ]+, schema 1\)$' "$OUT"
run_phasor analyze --version
ok "phasor-analyze --version works" grep -q '^phasor-analyze ' "$OUT"

# make install puts the stage executables under PREFIX/bin.
top=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$top" install BUILD="$PHASOR_BUILD" PREFIX="$TMPD/prefix" >"$OUT" 2>"$ERR"
is "$?" 0 "make install PREFIX=... succeeds"
ok "the installed phasor-generate runs" "$TMPD/prefix/bin/phasor-generate" --version
ok "phasor-analyze is installed" test -x "$TMPD/prefix/bin/phasor-analyze"

# Progress: plain periodic lines with rate and ETA when stderr is not a terminal.
cat >"$TMPD/p.ini" <<'INI'
[generate]
write_block = 16
[pathtracker]
length = 8
[split.train]
n = 400
seed = 1
INI
PHASOR_PROGRESS_SECONDS=0 run_phasor generate "$TMPD/p.ini" --out "$TMPD/p"
is "$RC" 0 "generate with progress lines"
ok "progress lines show counts, rate and ETA" grep -Eq '^generate train: [0-9]+/400 samples \([0-9]+%\) [0-9.]+ samples/s ETA ' "$ERR"
ok "a closing line says what was written" grep -q "wrote $TMPD/p/train.h5: 400 samples" "$ERR"
run_phasor generate "$TMPD/p.ini" --out "$TMPD/q" --quiet
is "$(wc -c <"$ERR")" 0 "--quiet prints nothing"

# Metrics: one JSON line per split beside the outputs.
json_ok() {
    perl -MJSON::PP -ne 'my $j = decode_json($_); exit 1 unless $j->{split} eq "train" && $j->{n} == 400
        && $j->{ranks} == 1 && $j->{seconds} > 0 && $j->{write_seconds} >= 0 && $j->{file_bytes} > 0;' "$1"
}
ok "generate.jsonl holds a valid record of the split" json_ok "$TMPD/p/generate.jsonl"
