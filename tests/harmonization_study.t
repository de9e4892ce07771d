#!/usr/bin/env bash
# The harmonizer study end to end, shrunk to seconds (scripts/harmonization_study.sh with
# --set overrides): two parts side by side, alignment per point, neural predictivity,
# phasor-analyze harmonization-report; the report's numbers are the points' own; a second
# run keeps every finished point and writes the same report.
. "$(dirname "$0")/lib.sh"
plan 12
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$TMPD" || bail_out "cannot enter $TMPD"
shrink=(--set split.train.n=64 --set split.val.n=16 --set split.test.n=24 --set split.neural.n=6
    --set train.steps=4 --set train.eval_every=2 --set train.warmup=0 --set train.batch=8
    --set diagnostic.size=20 --set diagnostic.patch=6 --set resnet.width=4)
"$root/scripts/harmonization_study.sh" --runs runs --out out "${shrink[@]}" >"$OUT" 2>"$ERR"
is "$?" 0 "the shrunk study runs from nothing to its report"
ok "REPORT.md has its sections" bash -c 'for s in "## Scale" "## Models" "## Harmonized against plain" "## Expected directions, checked" "## Neural predictivity" "## Saliency"; do grep -qF "$s" out/REPORT.md || exit 1; done'
is "$(($(wc -l <out/models.tsv) - 1))" 6 "models.tsv: 2 depths x 3 weights (0, 10, 100)"
same_numbers() { # every models.tsv row against its point's alignment.tsv
    local n=0 point acc score
    while IFS=$'\t' read -r point _ _ acc score _; do
        [ "$point" = point ] && continue
        read -r a s < <(awk -F'\t' 'NR == 2 { print $5, $7 }' "$point/analyze/alignment.tsv")
        [ "$(printf %.6f "$a") $(printf %.6f "$s")" = "$(printf %.6f "$acc") $(printf %.6f "$score")" ] || { diag "$point: $a $s vs $acc $score"; return 1; }
        n=$((n + 1))
    done <out/models.tsv
    [ "$n" = 6 ]
}
ok "the report's accuracy and alignment are each point's own alignment.tsv" same_numbers
ok "four harmonized-vs-plain pairs, each with paired intervals (alignment: where both are above chance)" \
    bash -c '[ "$(grep -cE "^\| resnet depth=[0-9]+ .*\| (10|100)( \*selected\*)? \| [0-9.]+ \([0-9.]+\) \| [+-][0-9.]+ \[[+-][0-9.]+, [+-][0-9.]+\] \| ([+-][0-9.]+ \[|not compared: (both|plain|harmonized) at chance)" out/REPORT.md)" = 4 ]'
at_chance_marked() { # a model's alignment cell says "at chance" exactly when models.tsv says it is not above chance
    local n=0 point arch weight above cells
    while IFS=$'\t' read -r point arch weight _ _ _ _ _ _ _ _ _ _ _ above; do
        [ "$point" = point ] && continue
        cells=$(grep -F "| $arch | $weight |" out/REPORT.md | head -1)
        if [ "$above" = 0 ]; then [[ $cells == *"| at chance ("* ]] || { diag "$arch $weight: $cells"; return 1; }
        else [[ $cells != *"at chance"* ]] || { diag "$arch $weight: $cells"; return 1; }; fi
        n=$((n + 1))
    done <out/models.tsv
    [ "$n" = 6 ]
}
ok "alignment is reported only for models above chance" at_chance_marked
ok "one weight selected per architecture, by validation accuracy" \
    bash -c '[ "$(grep -cE "^\| resnet depth=10 .*\*selected\*" out/REPORT.md)" = 1 ] && [ "$(grep -cE "^\| resnet depth=18 .*\*selected\*" out/REPORT.md)" = 1 ]'
ok "neural predictivity of every model, per layer (stem .. stage4)" \
    bash -c '[ "$(grep -cE "^\| resnet .*(\| -?[0-9]\.[0-9]{3} ){6}\|$" out/REPORT.md)" = 6 ]'
ok "figures: the trade-off plot and both saliency panels are PNG files" \
    bash -c 'for f in tradeoff panel_plain panel_harmonized; do head -c 8 out/$f.png | od -An -c | grep -q "P   N   G" || exit 1; done'
cp out/REPORT.md first.md
"$root/scripts/harmonization_study.sh" --runs runs --out out "${shrink[@]}" >"$OUT" 2>"$ERR"
is "$?" 0 "a second run"
ok "... keeps every finished point (no training starts again) and writes the same report" \
    bash -c 'cmp -s first.md out/REPORT.md && [ "$(cat runs/*/p*/train.log | grep -c "train of point .*, start 2")" = 0 ]'
run_phasor analyze harmonization-report "$TMPD" --out bad
ok "a folder that is not a run folder: exit 2 naming it" bash -c "[ $RC = 2 ] && grep -q 'has no points.tsv' '$ERR'"
