#!/usr/bin/env bash
# svrt_study.t: the SVRT study: the paper-scale sweeps expand into the
# expected Slurm arrays; a tiny study (2 problems, 2 sizes, 4 models, a few steps) runs end to
# end through scripts/svrt_study.sh (what make reproduce-svrt runs) and gives a complete report;
# phasor-analyze evaluate refuses the files a model trained or was selected on and gives the
# same numbers for any rank count; the report's Ward linkage and adjusted Rand index match
# hand-computed values on made-up accuracies.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$PHASOR_BUILD/bin/phasor-analyze" ] || bail_out "no $PHASOR_BUILD/bin/phasor-analyze (run make build)"
plan 35

# ---- the paper-scale sweeps: one array task per point and stage ------------------------------
dry() { PHASOR_BUILD=$PHASOR_BUILD "$root/slurm/submit" --dry-run "$root/configs/$1.ini" --out "$TMPD/dry/$1" >"$OUT" 2>"$ERR"; }
arrays() { grep -o -- '--array=[^ ]*' "$OUT" | sort -u | tr '\n' ' '; }
dry svrt_study
is "$(arrays)" "--array=0-275%50 " "paper scale: 23 problems x 4 sizes x 3 depths = 276 tasks per stage"
ok "paper scale: training asks for one GPU per task" grep -q -- '--gpus-per-task=1 --array=0-275%50 --dependency=aftercorr' "$OUT"
ok "paper scale: axes problem (23), n (4), depth (3)" grep -q 'axes: problem (23), n (4), depth (3)' "$OUT"
dry svrt_study_attention
is "$(arrays)" "--array=0-183%50 " "paper scale, attention: 23 x 4 sizes x 2 modules = 184 tasks per stage"
dry svrt_study_local
ok "local sweep: 138 points (23 problems x 2 sizes x 3 models)" \
    grep -q '138 point(s) (axes: problem (23), n (2), attention (3))' "$OUT"

# ---- a tiny study end to end: problem 1 in one part, problem 4 in the other ---------------------
tiny=(--set svrt.problem=1,4 --set split.train.n=32,64 --set split.val.n=32 --set split.test.n=40
      --set train.steps=6 --set train.batch=16 --set train.eval_every=3 --set train.warmup=2
      --set train.log_every=3 --set train.checkpoint_every=6)
PHASOR_BUILD=$PHASOR_BUILD "$root/scripts/svrt_study.sh" --runs "$TMPD/runs" --out "$TMPD/report" "${tiny[@]}" \
    >"$OUT" 2>"$ERR"
RC=$?
is "$RC" 0 "scripts/svrt_study.sh runs the tiny study and its report"
R=$TMPD/report/REPORT.md
for h in "## Scale" "## Test accuracy per problem (%)" "### Means per published cluster (%)" "## Taxonomy" \
    "## Attention gains" "## Expected directions, checked" "## Missing points"; do
    ok "REPORT.md has the section '$h'" grep -qxF "$h" "$R"
done
ok "REPORT.md: no point is missing" grep -q '^None: every point of every run has an evaluation' "$R"
ok "REPORT.md states the scale (sizes, models, test size)" \
    bash -c "grep -q 'Training-set sizes .*: 32, 64\\.' '$R' && grep -q 'M3 = ResNet-10 w8 + spatial attention (stage 3)' '$R' && grep -q 'held-out splits of 40 samples' '$R'"
png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
for f in sample_efficiency dendrogram attention_gain; do ok "$f.png is a PNG" png "$TMPD/report/$f.png"; done
is "$(tail -n +2 "$TMPD/report/accuracy.tsv" | wc -l)" 12 "accuracy.tsv: 2 problems x 2 sizes x 3 models"
# The report's number for one point is that point's evaluation of best.h5 on its test split.
ev=$TMPD/runs/svrt_study_local_part1/p0004/analyze/evaluate.tsv
col() { awk -F'\t' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i } NR == 2 { print $k }' "$1"; }
is "$(col "$ev" condition) $(col "$ev" train_n) $(col "$ev" split) $(col "$ev" seed) $(col "$ev" train_seed)" \
    "problem01 64 test 53 51" "evaluate.tsv: problem 1, 64 training samples, scored on the test split (seed 53, not 51)"
want=$(col "$ev" accuracy)
got=$(awk -F'\t' '$1 == 1 && $4 ~ /spatial/ && $5 == 64 { print $7 }' "$TMPD/report/accuracy.tsv")
is "$got" "$want" "accuracy.tsv holds that point's test accuracy"
"$PHASOR_BUILD/bin/phasor-analyze" svrt-report "$TMPD/runs/svrt_study_local_part1" "$TMPD/runs/svrt_study_local_part2" \
    --out "$TMPD/report2" --quiet >"$OUT" 2>"$ERR"
ok "the report is a function of the run folders (a second report is byte-identical)" \
    bash -c "cmp '$R' '$TMPD/report2/REPORT.md' && cmp '$TMPD/report/dendrogram.png' '$TMPD/report2/dendrogram.png'"

# ---- evaluate: held-out only, and the same for any rank count ----------------------------------
p=$TMPD/runs/svrt_study_local_part1/p0000
run_phasor analyze evaluate "$p/train/best.h5" "$p/generate/val.h5" --out "$TMPD/ev_val"
is "$RC" 2 "evaluate refuses the validation file that chose best.h5 (exit 2)"
ok "... with one line naming it" grep -q 'holds the same samples .* as the validation file' "$ERR"
run_phasor analyze evaluate "$p/train/best.h5" "$p/generate/train.h5" --out "$TMPD/ev_train"
ok "evaluate refuses the training file" bash -c "[ $RC = 2 ] && grep -q 'as the training file' '$ERR'"
run_mpi 2 analyze evaluate "$p/train/best.h5" "$p/generate/test.h5" --out "$TMPD/ev2" --batch 3 --quiet
is "$RC" 0 "evaluate with 2 ranks and batch 3 succeeds"
ok "evaluate.tsv is byte-identical for 1 rank (batch 50) and 2 ranks (batch 3)" \
    bash -c "sed 1d '$p/analyze/evaluate.tsv' | cut -f 2- > '$TMPD/a'; sed 1d '$TMPD/ev2/evaluate.tsv' | cut -f 2- > '$TMPD/b'; cmp '$TMPD/a' '$TMPD/b'"

# ---- Ward linkage and the adjusted Rand index on made-up accuracies ------------------------------
# fake RUN "p:acc p:acc ...": one model (ResNet-10 w8), one size (500), a test split of 1000.
fake() {
    local run=$1 i=0 pa
    mkdir -p "$run"
    printf 'point\tproblem\n' >"$run/points.tsv"
    for pa in $2; do
        local d
        d=$(printf '%s/p%04d/analyze' "$run" "$i")
        mkdir -p "$d"
        printf '%04d\t%s\n' "$i" "${pa%%:*}" >>"$run/points.tsv"
        printf 'challenge\tcondition\tn\ttrain_n\tmodel\tmodel_config\tsteps\tbatch\tlr\taccuracy\n' >"$d/evaluate.tsv"
        printf 'svrt\tproblem%02d\t1000\t500\tresnet\tdepth=10;width=8;stem=imagenet;norm=batch;attention=none\t100\t32\t0.003\t%s\n' \
            "${pa%%:*}" "${pa#*:}" >>"$d/evaluate.tsv"
        i=$((i + 1))
    done
}
# Five points on a line at 0.5 + (0, 1, 5, 6, 20)/64 (exact in binary): {1,2} and {3,4} merge at
# 1/64 = 0.015625 (the tie goes to the pair met first); their centroids are 5/64 apart, so they
# merge at sqrt(2*2*2/4) * 5/64 = 0.110485; then {5}, 17/64 from the centroid 3/64, at
# sqrt(2*4*1/5) * 17/64 = 0.335992.  Cluster ids: p1..p5, then c1.. in merge order; lower id first.
fake "$TMPD/ward" "1:0.5 2:0.515625 3:0.578125 4:0.59375 5:0.8125"
"$PHASOR_BUILD/bin/phasor-analyze" svrt-report "$TMPD/ward" --out "$TMPD/ward_out" --quiet >"$OUT" 2>"$ERR"
is "$(tail -n +2 "$TMPD/ward_out/linkage.tsv" | tr '\t' ' ' | tr '\n' '|')" \
    "c1 p1 p2 0.015625 2|c2 p3 p4 0.015625 2|c3 c1 c2 0.110485 4|c4 p5 c3 0.335992 5|" \
    "Ward linkage of five points on a line: merges and heights as computed by hand"

# The published clusters as accuracy levels (SD1 0.50, SD2 0.60, SR1 0.80, SR2 0.95): Ward finds
# them exactly, ARI 1 at 4 clusters and (SD vs SR) at 2.
level() { case $1 in 7 | 21) echo 0.50 ;; 1 | 5 | 6 | 13 | 16 | 17 | 19 | 20 | 22) echo 0.60 ;;
                     9 | 12 | 14 | 15 | 23) echo 0.80 ;; *) echo 0.95 ;; esac; }
pub=""
for q in $(seq 1 23); do pub="$pub $q:$(level "$q")"; done
fake "$TMPD/same" "$pub"
"$PHASOR_BUILD/bin/phasor-analyze" svrt-report "$TMPD/same" --out "$TMPD/same_out" --quiet >"$OUT" 2>"$ERR"
ari() { grep -F "| $2 |" "$1" | awk -F'|' '{ gsub(/ /, "", $4); print $4 }'; }
is "$(ari "$TMPD/same_out/REPORT.md" 'published SD1, SD2, SR1, SR2 | 4')" 1.000 "identical partitions: ARI 1 at 4 clusters"
is "$(ari "$TMPD/same_out/REPORT.md" 'same-different vs spatial relation | 2')" 1.000 "identical partitions: ARI 1 at 2 clusters"
ok "... and no random relabelling of 10000 does as well (p = 1/10001)" \
    grep -qF '| published SD1, SD2, SR1, SR2 | 4 | 1.000 | 0.0001 |' "$TMPD/same_out/REPORT.md"
# Problem 7 (SD1) given SR2's level: the 4 clusters are {21}, SD2, SR1, SR2+{7}.  Contingency
# (published rows SD1 2, SD2 9, SR1 5, SR2 7; found columns 1, 9, 5, 8): sum C(nij,2) = 36+10+21
# = 67, rows 1+36+10+21 = 68, columns 36+10+28 = 74, C(23,2) = 253: expected 68*74/253 =
# 19.8893, ARI = (67-19.8893)/(71-19.8893) = 0.9217.  At 2 clusters {21}+SD2 vs the rest against
# SD (11) / SR (12): 45+66 = 111, rows 55+66 = 121, columns 45+78 = 123, expected 58.8261,
# ARI = (111-58.8261)/(122-58.8261) = 0.8259.
fake "$TMPD/moved" "${pub/ 7:0.50/ 7:0.95}"
"$PHASOR_BUILD/bin/phasor-analyze" svrt-report "$TMPD/moved" --out "$TMPD/moved_out" --quiet >"$OUT" 2>"$ERR"
is "$(ari "$TMPD/moved_out/REPORT.md" 'published SD1, SD2, SR1, SR2 | 4')" 0.922 "one problem moved: ARI 0.922 at 4 clusters (by hand)"
is "$(ari "$TMPD/moved_out/REPORT.md" 'same-different vs spatial relation | 2')" 0.826 "one problem moved: ARI 0.826 at 2 clusters (by hand)"
ok "... the cluster with SR2 holds problem 7" grep -q '| 7 (SD1), .*(SR2)\|(SR2), .*7 (SD1)' "$TMPD/moved_out/REPORT.md"

# A folder that is not a run is a usage error.
run_phasor analyze svrt-report "$TMPD/nothing" --out "$TMPD/x"
ok "svrt-report on a folder without points.tsv exits 2 with one line" \
    bash -c "[ $RC = 2 ] && [ \$(wc -l < '$ERR') = 1 ] && grep -q 'not a run folder' '$ERR'"
