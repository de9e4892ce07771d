#!/usr/bin/env bash
# shortcut.t: phasor-analyze shortcut, the start-goal distance regression on
# PathTracker files: it finds the leak of the original negatives and
# none in matched ones; the same table from 1 and 2 ranks; one-line refusals of
# a file without markers, a second run into the same folder, missing options.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$PHASOR_BUILD/bin/phasor-analyze" ] || bail_out "no phasor-analyze (run make build, or set PHASOR_BUILD)"
cd "$TMPD" || bail_out "cannot enter $TMPD"

for neg in original matched; do
    { pathtracker_ini "$TMPD/$neg" 16 600 '' 600; printf '[pathtracker]\nnegatives = %s\n' "$neg"; } >"$neg.ini"
    run_phasor generate "$neg.ini" --quiet
    [ "$RC" = 0 ] || bail_out "phasor-generate $neg failed: $(cat "$ERR")"
done

run_phasor analyze shortcut --fit original/train.h5 original/test.h5 matched/test.h5 --out one
is "$RC" 0 "shortcut on two files: exit 0"
ok "... prints one result line per file" test "$(grep -c 'balanced accuracy' "$ERR")" = 2
TSV=one/shortcut.tsv
is "$(wc -l <"$TSV")" 3 "shortcut.tsv: a header and one row per file"
col() { awk -F'\t' -v name="$1" -v row="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } NR == row + 1 { print $c[name] }' "$TSV"; }
is "$(col condition 2)" length16_dist1_skip1_matched "the matched file's condition says matched"
ok "original negatives: the distance alone is above chance (lower bound > 0.6)" \
    awk -v lo="$(col lo 1)" 'BEGIN { exit !(lo > 0.6) }'
diag "original: $(col balanced_accuracy 1) [$(col lo 1), $(col hi 1)]; matched, same fit: $(col balanced_accuracy 2)"

run_phasor analyze shortcut --fit matched/train.h5 matched/test.h5 --out matched_fit --quiet
TSV=matched_fit/shortcut.tsv
ok "matched negatives: the interval holds chance" \
    awk -v lo="$(col lo 1)" -v hi="$(col hi 1)" 'BEGIN { exit !(lo <= 0.5 && 0.5 <= hi) }'
diag "matched: $(col balanced_accuracy 1) [$(col lo 1), $(col hi 1)]"

run_mpi 2 analyze shortcut --fit original/train.h5 original/test.h5 matched/test.h5 --out two --quiet
is "$RC" 0 "on 2 ranks: exit 0"
ok "... the same table as on 1 rank" cmp -s one/shortcut.tsv two/shortcut.tsv

# refusals: one line, exit 2
expect() {
    is "$RC" 2 "$1: exit 2"
    is "$(grep -c '^phasor-analyze' "$ERR")" 1 "$1: one line"
    ok "$1: it says what is wrong ($2)" grep -q "$2" "$ERR"
}
cp one/shortcut.tsv before.tsv
run_phasor analyze shortcut --fit original/train.h5 original/test.h5 --out one
expect "a second run into the same folder" "already exists"
ok "... the earlier table is untouched" cmp -s one/shortcut.tsv before.tsv
run_phasor analyze shortcut original/test.h5 --out x
expect "no --fit" "missing --fit"
printf '[generate]\nchallenge = svrt\nout_dir = %s/svrt\n[svrt]\nproblem = 1\n[split.train]\nn = 4\nseed = 1\n' "$TMPD" >svrt.ini
run_phasor generate svrt.ini --quiet
[ "$RC" = 0 ] || bail_out "phasor-generate svrt failed: $(cat "$ERR")"
run_phasor analyze shortcut --fit svrt/train.h5 original/test.h5 --out y
expect "a file without markers" "has no /meta/start"

done_testing
