#!/usr/bin/env bash
# tracking_study.t: the tracking study: the paper-scale and local sweeps
# expand into the expected points; a tiny study (every sweep of the local study, a few videos and
# steps, tiny models) runs end to end through scripts/tracking_study.sh (what make
# reproduce-tracking runs) and gives a complete report whose numbers equal a recomputation from
# the evaluation files; the report is a function of its inputs and its bootstrap seed;
# phasor-analyze evaluate scores several files at once, writes every sample's hit, gives the same
# bytes for any rank count and refuses the validation file.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$PHASOR_BUILD/bin/phasor-analyze" ] || bail_out "no $PHASOR_BUILD/bin/phasor-analyze (run make build)"
plan 63

# ---- the sweeps: points per config, GPUs at paper scale ----------------------------------------
dry() { PHASOR_BUILD=$PHASOR_BUILD "$root/slurm/submit" --dry-run "$root/configs/$1.ini" --out "$TMPD/dry/$1" >"$OUT" 2>"$ERR"; }
arrays() { grep -o -- '--array=[^ ]*' "$OUT" | sort -u | tr '\n' ' '; }
dry tracking_study
is "$(arrays)" "--array=0-7 " "paper scale, PathTracker: length {32, 64} x 4 models = 8 tasks per stage"
ok "paper scale: training and evaluation ask for one GPU per task" \
    bash -c "[ \$(grep -c -- '--gpus-per-task=1' '$OUT') = 2 ]"
ok "paper scale: every point is scored on the 24 files of the PathTracker grid" \
    bash -c "grep '^args' '$root/configs/tracking_study.ini' | tr ' ' '\n' | grep -c 'test.h5' | grep -qx 24"
dry tracking_study_featuretracker
is "$(arrays)" "--array=0-3 " "paper scale, FeatureTracker: 4 models"
dry tracking_study_tests_featuretracker
is "$(arrays)" "--array=0-8 " "paper scale, FeatureTracker test grid: 3 shape rules x 3 colour ranges"
for c in tracking_study_local_tests:6 tracking_study_local_tests_featuretracker:9 tracking_study_local_short:2 \
    tracking_study_local_short_featuretracker:2 tracking_study_local:6 tracking_study_local_featuretracker:2 \
    tracking_study_local_baselines:6 tracking_study_local_baselines_featuretracker:6 \
    tracking_study_local_featuretracker8_d1:6 tracking_study_local_featuretracker8:6; do
    dry "${c%%:*}"
    ok "local: ${c%%:*} has ${c#*:} points" grep -q "${c#*:} point(s)" "$OUT"
done

# ---- a tiny study end to end ------------------------------------------------------------------
tiny=(--set split.train.n=16 --set split.val.n=8 --set train.steps=2 --set train.batch=8 --set train.eval_every=2
      --set train.warmup=1 --set train.log_every=1 --set train.checkpoint_every=2 --set int.channels=2
      --set int.kernel=3 --set cvrnn.channels=2 --set cvrnn.kernel=3 --set cnn3d.width=2 --set frame.width=2
      --set-tests split.test.n=8 --evaluate-batch 8 --bootstrap 300)
# from $TMPD, as make reproduce-tracking runs from the repository: the report names its
# run folders relative to the working directory
(cd "$TMPD" && PHASOR_BUILD=$PHASOR_BUILD "$root/scripts/tracking_study.sh" --runs "$TMPD/runs" --out "$TMPD/report" \
    "${tiny[@]}" >"$OUT" 2>"$ERR")
RC=$?
is "$RC" 0 "scripts/tracking_study.sh runs the tiny study and its report"
R=$TMPD/report/REPORT.md
ok "REPORT.md and accuracy.tsv name no absolute folder under the working directory" \
    bash -c "! grep -qF '$TMPD/' '$R' '$TMPD/report/accuracy.tsv'"
ok "... but the run folders relative to it (runs/)" grep -q '^runs/' "$TMPD/report/accuracy.tsv"
for h in "## Scale" "## PathTracker: balanced accuracy (%) [bootstrap 95 % interval]" \
    "## FeatureTracker: balanced accuracy (%) [bootstrap 95 % interval]" "## Expected directions, checked on these numbers" \
    "## CV-RNN phase maps"; do
    ok "REPORT.md has the section '$h'" grep -qxF "$h" "$R"
done
ok "REPORT.md states the scale: curriculum, training videos, steps x batch, widths, test size, wall time" \
    bash -c "grep -q '| InT C2 k3, 2 steps after 2 earlier stages, seed 1 | tracking_study_local/p0000 | length8_dist14_skip1 2x8 + length16_dist14_skip1 2x8 | pathtracker length32_dist14_skip1 | 16 | 2 x 8 |' '$R' &&
             grep -q 'of 8 videos each' '$R' && grep -q 'wall time from the first stage start' '$R'"
ok "REPORT.md gives the human references (PathTracker T32 D0: 91.3)" grep -q '^| humans | 91.3 \[83.0, 97.3\] |' "$R"
ok "REPORT.md checks every expected direction with a verdict (2 x 7 PathTracker, 2 x 3 FeatureTracker comparisons)" \
    bash -c "[ \$(grep -c '^  - T.*\(expected direction\|no difference\|not informative\)' '$R') = 14 ] &&
             [ \$(grep -c '^- [a-z]*_oodcolors: .*\(expected direction\|no difference\|not informative\)' '$R') = 6 ]"
png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
# One phase figure per challenge and training length; FeatureTracker's (32 and 8 frames) name it.
for f in pathtracker_distractors pathtracker_length featuretracker cvrnn_phase_pathtracker \
    cvrnn_phase_featuretracker_32frames cvrnn_phase_featuretracker_8frames; do
    ok "$f.png is a PNG" png "$TMPD/report/$f.png"
done
ok "no phase figure without the length where FeatureTracker has two training lengths" \
    test ! -e "$TMPD/report/cvrnn_phase_featuretracker.png"
sync_re='loss [01]\.[0-9]{3} per frame; coherence R background [01]\.[0-9]{2}, distractors [01]\.[0-9]{2}, target [01]\.[0-9]{2}; angle between mean phases target-distractors [0-9]+\.[0-9] degrees, background-distractors [0-9]+\.[0-9] degrees\.$'
ok "REPORT.md measures each CV-RNN figure's phase maps against the masks (loss, coherence, angles) on the 8 test videos, at its own length" \
    bash -c "[ \$(grep -cE '^Synchrony over 8 videos x 32 frames: $sync_re' '$R') = 2 ] &&
             [ \$(grep -cE '^Synchrony over 8 videos x 8 frames: $sync_re' '$R') = 1 ] &&
             grep -q '^\`cvrnn_phase_featuretracker_8frames.png\`: CV-RNN C2 k3, 2 steps after 1 earlier stage, 8 frames, seed 1, checkpoint .*tracking_study_local_featuretracker8/p0003/' '$R'"
A=$TMPD/report/accuracy.tsv
ok "under each phase figure, the synchrony on every test file its model was scored on (6 PathTracker rows, 9 + 9 FeatureTracker)" \
    bash -c "[ \$(grep -cE '^\| (length[0-9]+_dist[0-9]+_skip1|[a-z]+shapes_[a-z]+colors_length(8|32)_dist10_skip1) \| [0-9]+\.[0-9] \| [01]\.[0-9]{3} \| [01]\.[0-9]{2} \| [01]\.[0-9]{2} \| [01]\.[0-9]{2} \| ([0-9]+\.[0-9]|-) \| [0-9]+\.[0-9] \|\$' '$R') = 24 ]"
# The table's accuracy column is the drawn seed's own (point p0003 of the 8-frame arm), not the seed mean.
phase_acc() {
    awk -F'\t' '$1 ~ /local_featuretracker8$/ && $2 == "p0003" { printf "%s %.1f\n", $8, 100 * $11 }' "$A" | sort >"$TMPD/want"
    grep -E '^\| [a-z]+shapes_[a-z]+colors_length8_dist10_skip1 \| [0-9.]+ \| [01]\.' "$R" |
        awk -F' [|] ' '{ sub(/^[|] /, "", $1); print $1, $2 }' | sort >"$TMPD/got"
    [ -s "$TMPD/want" ] && cmp "$TMPD/want" "$TMPD/got"
}
is "$(tail -n +2 "$A" | wc -l)" 252 "accuracy.tsv: 12 PathTracker models (4 models x 3 seeds) x 6 conditions + 8 FeatureTracker models (InT, CV-RNN; 2 baselines x 3 seeds) x 9 + 12 at 8 frames (4 models x 3 seeds) x 9"
# Every balanced accuracy recomputed from the point's evaluate_samples.tsv (hits per label).
recompute() {
    tail -n +2 "$A" | while IFS=$'\t' read -r run point _ _ _ _ _ cond _ _ bal _; do
        run=$TMPD/$run # relative to the study's working directory
        f=$(awk -F'\t' -v c="$cond" 'NR > 1 && $4 == c { print NR - 2 }' "$run/$point/analyze/evaluate.tsv")
        want=$(awk -F'\t' -v f="$f" 'NR > 1 && $1 == f { n[$3]++; h[$3] += $5 }
            END { printf "%.6f", (h[0] / n[0] + h[1] / n[1]) / 2 }' "$run/$point/analyze/evaluate_samples.tsv")
        [ "$want" = "$bal" ] || { echo "$run/$point $cond: accuracy.tsv $bal, recomputed $want"; return 1; }
    done
}
ok "accuracy.tsv: all 252 balanced accuracies equal a recomputation from the per-sample hits" recompute
# A model that answers one class on every video scores exactly 0.5 with the interval [0.5, 0.5].
one_class_rows() {
    awk -F'\t' 'NR == 1 { if ($15 != "one_class") exit 1; next }
        $15 == 1 { n++; if ($11 != "0.500000" || $12 != "0.500000" || $13 != "0.500000") exit 1 }
        END { if (n < 1) exit 1 }' "$A"
}
ok "accuracy.tsv: every one_class row is exactly 0.5 [0.5, 0.5] (the 2-step models give some)" one_class_rows
ok "REPORT.md names the one-class models" grep -q '^\*\*One class\.\*\* [0-9]* of the [0-9]* scores come from a model that answered the same class' "$R"
ok "the 8-frame phase table's accuracies are its drawn seed's own (accuracy.tsv, point p0003), file by file" phase_acc
# The report's table cells: a seed mean is the mean of its seeds' balanced accuracies in
# accuracy.tsv, with the lowest and highest seed; a single model its own number.
mean=$(awk -F'\t' '$1 ~ /tracking_study_local$/ && $8 == "length32_dist0_skip1" && $3 == "int" {
    s += $11; n++; lo = n == 1 || $11 < lo ? $11 : lo; hi = n == 1 || $11 > hi ? $11 : hi }
    END { printf "%d %.1f [", n, 100 * s / n; printf "(seeds %.1f-%.1f)", 100 * lo, 100 * hi > "/dev/stderr" }' "$A" 2>"$TMPD/range")
ok "REPORT.md's PathTracker row of InT is the mean of its 3 seeds' T32 D0 accuracies, with their range ($mean ... $(cat "$TMPD/range"))" \
    bash -c "[ '${mean%% *}' = 3 ] && grep -F '| InT C2 k3, 2 steps after 2 earlier stages, mean of 3 seeds (length32_dist14_skip1) | ${mean#* }' '$R' | grep -qF ' $(cat "$TMPD/range") |'"
# The same on a copy of the run where seed 2 of InT is right on every video (100 %), so the
# seeds differ: the row must be their mean, not one seed.
cp -a "$TMPD/runs/tracking_study_local" "$TMPD/seedrun"
awk -F'\t' -v OFS='\t' 'NR > 1 { $5 = 1 } 1' "$TMPD/seedrun/p0001/analyze/evaluate_samples.tsv" >"$TMPD/x.tsv" &&
    mv "$TMPD/x.tsv" "$TMPD/seedrun/p0001/analyze/evaluate_samples.tsv"
awk -F'\t' -v OFS='\t' 'NR > 1 { $23 = $7 } 1' "$TMPD/seedrun/p0001/analyze/evaluate.tsv" >"$TMPD/x.tsv" &&
    mv "$TMPD/x.tsv" "$TMPD/seedrun/p0001/analyze/evaluate.tsv"
"$PHASOR_BUILD/bin/phasor-analyze" tracking-report "$TMPD/seedrun" --out "$TMPD/rs" --bootstrap 300 --no-phase --quiet >"$OUT" 2>"$ERR"
mean=$(awk -F'\t' '$8 == "length64_dist25_skip1" && $3 == "int" {
    s += $11; n++; lo = n == 1 || $11 < lo ? $11 : lo; hi = n == 1 || $11 > hi ? $11 : hi }
    END { printf "%.1f [", 100 * s / n; printf "(seeds %.1f-%.1f)", 100 * lo, 100 * hi > "/dev/stderr" }' "$TMPD/rs/accuracy.tsv" 2>"$TMPD/range")
last=$(grep '^| InT C2 k3, 2 steps after 2 earlier stages, mean of 3 seeds' "$TMPD/rs/REPORT.md" | awk -F'|' '{ print $(NF - 1) }')
range=$(cat "$TMPD/range")
ok "with seed 2 at 100 %, InT's T64 D25 cell is the seeds' mean ($mean ...] $range; the report:$last)" \
    bash -c "[[ '$range' == *-100.0')' && '$last' == ' $mean'*'] $range ' ]]"
cell=$(awk -F'\t' '$1 ~ /tracking_study_local_featuretracker$/ && $2 == "p0000" && $8 ~ /^noshapes_nocolors/ && $3 == "int" && $7 == "featuretracker" { printf "%.1f %% [%.1f, %.1f]", 100 * $11, 100 * $12, 100 * $13 }' "$A")
ok "a model of one seed (FeatureTracker InT) is reported with its own number from accuracy.tsv ($cell)" \
    grep -qF -- "- InT C2 k3, 2 steps after 2 earlier stages, 32 frames on featuretracker: noshapes_nocolors_length32_dist10_skip1 $cell" "$R"
ok "the seeds' points are in the scale table, the mean is not; the PathTracker table has the mean only" \
    bash -c "[ \$(grep -c '^| InT C2 k3, 2 steps after 2 earlier stages, seed [123] | tracking_study_local/p000[012] |' '$R') = 3 ] &&
             ! grep -q 'p0000+p0001' '$R' && ! grep -q '^| InT C2 k3, 2 steps after 2 earlier stages, seed [0-9]* (length' '$R'"
ok "the 32-frame points start from their model's 16-frame model ([sweep] zip: 3 seeds each of InT and the CV-RNN)" \
    bash -c "for i in 0 1 2 3 4 5; do grep -qx \"init = $TMPD/runs/tracking_study_local_short16/p000\$((i / 3))/train/best.h5\" \
             '$TMPD/runs/tracking_study_local/p000'\$i/train.ini || exit 1; done"
ev=$TMPD/runs/tracking_study_local/p0004/analyze/evaluate.tsv
col() { awk -F'\t' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i } NR == 2 { print $k }' "$1"; }
is "$(col "$ev" model) $(col "$ev" split) $(col "$ev" seed) $(col "$ev" train_seed) $(col "$ev" val_seed) $(col "$ev" rng_seed) $(tail -n +2 "$ev" | wc -l)" \
    "cvrnn test 3 1 2 2 6" "a CV-RNN point was scored on 6 test files of seed 3 (training file seed 1, validation seed 2; its training run's seed 2)"
is "$(col "$ev" curriculum)" "length8_dist14_skip1 2x8 + length16_dist14_skip1 2x8" \
    "evaluate.tsv: the CV-RNN's earlier stages, followed back through [train] init (8, then 16 frames)"
is "$(col "$TMPD/runs/tracking_study_local_baselines/p0000/analyze/evaluate.tsv" curriculum)" "-" \
    "evaluate.tsv: a model trained from scratch has no earlier stage"
ok "FeatureTracker at 8 frames: each 10-distractor point starts from the same point of the 1-distractor stage" \
    bash -c "for i in 0 1 2 3 4 5; do grep -qx \"init = $TMPD/runs/tracking_study_local_featuretracker8_d1/p000\$i/train/best.h5\" \
             '$TMPD/runs/tracking_study_local_featuretracker8/p000'\$i/train.ini || exit 1; done"
ok "FeatureTracker at 8 frames: the recurrent models (3 seeds) and the baselines are scored on the 8-frame grid, labelled by length" \
    bash -c "[ \$(awk -F'\t' '\$1 ~ /featuretracker8\$/ && \$8 ~ /_length8_dist10_skip1\$/' '$A' | wc -l) = 108 ] &&
             grep -q '^| condition | InT C2 k3, 2 steps after 2 earlier stages, 32 frames |.* CV-RNN C2 k3, 2 steps after 1 earlier stage, 8 frames, mean of 3 seeds |' '$R'"
ok "the 16-frame stage started from the 8-frame stage's weights (same point, [train] init with {name})" \
    grep -qx "init = $TMPD/runs/tracking_study_local_short8_featuretracker/p0001/train/best.h5" \
    "$TMPD/runs/tracking_study_local_short16_featuretracker/p0001/train.ini"
runs=("$TMPD/runs/tracking_study_local" "$TMPD/runs/tracking_study_local_featuretracker" "$TMPD/runs/tracking_study_local_baselines"
      "$TMPD/runs/tracking_study_local_baselines_featuretracker")
"$PHASOR_BUILD/bin/phasor-analyze" tracking-report "${runs[@]}" --out "$TMPD/r1" --bootstrap 300 --no-phase --quiet >"$OUT" 2>"$ERR"
"$PHASOR_BUILD/bin/phasor-analyze" tracking-report "${runs[@]}" --out "$TMPD/r2" --bootstrap 300 --no-phase --quiet >"$OUT" 2>"$ERR"
touch "$TMPD/r2/cvrnn_phase_featuretracker_99frames.png"
"$PHASOR_BUILD/bin/phasor-analyze" tracking-report "${runs[@]}" --out "$TMPD/r2" --bootstrap 300 --no-phase --force --quiet >"$OUT" 2>"$ERR"
ok "--force removes an earlier report's phase figures (any training length), which this one would not replace" \
    test ! -e "$TMPD/r2/cvrnn_phase_featuretracker_99frames.png"
ok "the report is a function of its inputs (a second report is byte-identical)" \
    bash -c "cmp '$TMPD/r1/REPORT.md' '$TMPD/r2/REPORT.md' && cmp '$TMPD/r1/featuretracker.png' '$TMPD/r2/featuretracker.png'"
"$PHASOR_BUILD/bin/phasor-analyze" tracking-report "${runs[@]}" --out "$TMPD/r3" --bootstrap 300 --seed 2 --no-phase --quiet >"$OUT" 2>"$ERR"
ok "another bootstrap seed: the same balanced accuracies, other intervals" \
    bash -c "cmp <(cut -f 1-11 '$TMPD/r1/accuracy.tsv') <(cut -f 1-11 '$TMPD/r3/accuracy.tsv') &&
             ! cmp -s '$TMPD/r1/accuracy.tsv' '$TMPD/r3/accuracy.tsv'"
(cd "$TMPD/runs" && "$PHASOR_BUILD/bin/phasor-analyze" tracking-report tracking_study_local tracking_study_local_featuretracker/ \
    tracking_study_local_baselines/ "$TMPD/runs/tracking_study_local_baselines_featuretracker" \
    --out "$TMPD/r4" --bootstrap 300 --no-phase --quiet) >"$OUT" 2>"$ERR"
ok "the intervals do not depend on how the run folders' paths are spelled (relative, trailing slash)" \
    cmp <(cut -f 3- "$TMPD/r1/accuracy.tsv") <(cut -f 3- "$TMPD/r4/accuracy.tsv")

# ---- evaluate: several files, per-sample rows, any rank count -----------------------------------
p=$TMPD/runs/tracking_study_local_baselines/p0000
t=$TMPD/runs/tracking_study_local_tests
run_phasor analyze evaluate "$p/train/best.h5" "$t/p0000/generate/test.h5" "$t/p0005/generate/test.h5" --out "$TMPD/e1" --quiet
is "$RC" 0 "evaluate scores two test files (32 and 64 frames) with one rank"
is "$(tail -n +2 "$TMPD/e1/evaluate_samples.tsv" | cut -f 1 | sort | uniq -c | tr -s ' ' | tr '\n' '|')" " 8 0| 8 1|" \
    "evaluate_samples.tsv: one row per sample of each file"
ok "each file's hits add up to its correct count in evaluate.tsv" bash -c "
    for f in 0 1; do
        a=\$(awk -F'\t' -v f=\$f 'NR > 1 && \$1 == f { s += \$5 } END { print s + 0 }' '$TMPD/e1/evaluate_samples.tsv')
        b=\$(awk -F'\t' -v r=\$((f + 2)) 'NR == r { print \$23 }' '$TMPD/e1/evaluate.tsv')
        [ \"\$a\" = \"\$b\" ] || exit 1
    done"
run_mpi 2 analyze evaluate "$p/train/best.h5" "$t/p0000/generate/test.h5" "$t/p0005/generate/test.h5" --out "$TMPD/e2" --quiet
ok "2 ranks: evaluate_samples.tsv and evaluate.tsv are byte-identical to 1 rank" \
    bash -c "[ $RC = 0 ] && cmp '$TMPD/e1/evaluate_samples.tsv' '$TMPD/e2/evaluate_samples.tsv' && cmp '$TMPD/e1/evaluate.tsv' '$TMPD/e2/evaluate.tsv'"
# Another batch size may change a logit's last bits (the convolutions' sums), not a decision.
run_mpi 2 analyze evaluate "$p/train/best.h5" "$t/p0000/generate/test.h5" "$t/p0005/generate/test.h5" --out "$TMPD/e3" --batch 3 --quiet
ok "2 ranks and batch 3: the same labels and hits per sample" \
    bash -c "[ $RC = 0 ] && cmp <(cut -f 1,2,3,5 '$TMPD/e1/evaluate_samples.tsv') <(cut -f 1,2,3,5 '$TMPD/e3/evaluate_samples.tsv')"
run_phasor analyze evaluate "$p/train/best.h5" "$t/p0000/generate/test.h5" "$p/generate/val.h5" --out "$TMPD/e4"
ok "evaluate refuses the validation file among several (exit 2, one line), and writes nothing" \
    bash -c "[ $RC = 2 ] && grep -q 'as the validation file' '$ERR' && [ ! -e '$TMPD/e4/evaluate.tsv' ]"
# The chain of earlier stages with the first stage's checkpoint gone: named, not fatal.
s8=$TMPD/runs/tracking_study_local_short8/p0000/train/best.h5
mv "$s8" "$s8.away"
run_phasor analyze evaluate "$TMPD/runs/tracking_study_local/p0000/train/best.h5" "$t/p0000/generate/test.h5" --out "$TMPD/e5" --quiet
is "$RC $(col "$TMPD/e5/evaluate.tsv" curriculum)" "0 ($s8 is gone) + length16_dist14_skip1 2x8" \
    "evaluate: an earlier stage whose checkpoint is gone is named in the curriculum column"
mv "$s8.away" "$s8"
run_phasor analyze tracking-report "$TMPD/nothing" --out "$TMPD/x"
ok "tracking-report on a folder that is not a run exits 2 with one line" \
    bash -c "[ $RC = 2 ] && [ \$(wc -l < '$ERR') = 1 ] && grep -q 'not a run folder' '$ERR'"
