#!/usr/bin/env bash
# End to end: generate under mpirun, then summarise; the demo pipeline in small.
. "$(dirname "$0")/lib.sh"
plan 9
cat >"$TMPD/d.ini" <<'INI'
[pathtracker]
length = 16
[split.train]
n = 64
seed = 3
[split.test]
n = 32
seed = 4
INI
run_mpi 2 generate "$TMPD/d.ini" --out "$TMPD/data" --quiet
is "$RC" 0 "generate two splits with 2 ranks"
run_mpi 2 analyze summary "$TMPD/data/train.h5" "$TMPD/data/test.h5" --out "$TMPD/report" --quiet
is "$RC" 0 "summarise them with 2 ranks"
for f in summary.md summary.json contact_sheet.png; do
    ok "$f written" test -s "$TMPD/report/$f"
done
ok "the contact sheet is a PNG" bash -c "head -c 8 '$TMPD/report/contact_sheet.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
counts() {
    perl -MJSON::PP -0ne 'my $j = decode_json($_); my @f = @{$j->{files}};
        exit 1 unless @f == 2 && $f[0]{n} == 64 && $f[0]{positives} == 32 && $f[0]{negatives} == 32
        && $f[1]{n} == 32 && $f[1]{positives} == 16;' "$TMPD/report/summary.json"
}
ok "summary.json counts every sample and the 50/50 labels" counts
run_mpi 1 analyze summary "$TMPD/data/train.h5" "$TMPD/data/test.h5" --out "$TMPD/report1" --quiet
ok "the summary is the same with 1 rank" cmp -s "$TMPD/report/summary.json" "$TMPD/report1/summary.json"
ok "the contact sheet is the same with 1 rank" cmp -s "$TMPD/report/contact_sheet.png" "$TMPD/report1/contact_sheet.png"
