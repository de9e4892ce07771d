#!/usr/bin/env bash
# tracking_controls.t: scripts/tracking_controls.sh at toy scale: both challenges
# generated with original and matched negatives, the distance regression and the frame CNN on
# each, a stand-in tracking-study checkpoint scored on both test files, and a report whose
# numbers are those of its tables.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$PHASOR_BUILD/bin/phasor-train" ] || bail_out "no phasor-train (run make build, or set PHASOR_BUILD)"
cd "$ROOT" || bail_out "cannot enter $ROOT"
small=(--set split.train.n=48 --set split.val.n=16 --set split.test.n=32 --set train.steps=4
       --set train.eval_every=2 --set train.log_every=2 --set train.checkpoint_every=2)
controls() { scripts/tracking_controls.sh --runs "$TMPD/runs" --study "$TMPD/study" --out "$TMPD/out" --seeds 1 \
    "${small[@]}" >"$OUT" 2>"$ERR"; RC=$?; }

controls
is "$RC" 0 "the controls run at toy scale" || diag_file "$ERR"
ok "... and say that no tracking-study checkpoint was there" grep -q "No tracking-study checkpoint" "$TMPD/out/REPORT.md"
# 2 challenges x 2 training sets x 2 test files x (distance + 1 seed)
is "$(($(wc -l <"$TMPD/out/controls.tsv") - 1))" 16 "controls.tsv: 16 rows"
ok "the matched files are matched" test -n "$(h5dump -a condition "$TMPD/runs/pathtracker_matched/data/test.h5" 2>/dev/null | grep _matched)"

# A stand-in study: the PathTracker frame CNN as if it were a tracking-study run, and a second
# point whose training is still running (slurm/submit's train.state), which is left out.
mkdir -p "$TMPD/study/tracking_study_local/p0000/train" "$TMPD/study/tracking_study_local/p0001/train"
cp "$TMPD/runs/pathtracker_original/frame_s1/best.h5" "$TMPD/study/tracking_study_local/p0000/train/"
cp "$TMPD/runs/pathtracker_original/frame_s1/best.h5" "$TMPD/study/tracking_study_local/p0001/train/"
echo "running vm 1 local" >"$TMPD/study/tracking_study_local/p0001/train.state"
controls
is "$RC" 0 "again, with a tracking-study checkpoint there"
is "$(($(wc -l <"$TMPD/out/study.tsv") - 1))" 2 "study.tsv: the finished checkpoint on two test files"
ok "... and the report says one unfinished point was left out" grep -q "^1 point(s) whose training had not finished" "$TMPD/out/REPORT.md"
acc=$(awk -F'\t' '$8 == "original" { printf "%.1f", 100 * $9 }' "$TMPD/out/study.tsv")
ok "the report's study row holds study.tsv's accuracy ($acc)" grep -q "| pathtracker | frame | 1 | $acc " "$TMPD/out/REPORT.md"
dist=$(awk -F'\t' '$1 == "pathtracker" && $2 == "original" && $3 == "original" && $4 == "distance" { printf "%.3f", $6 }' \
    "$TMPD/out/controls.tsv")
ok "the report's distance column holds controls.tsv's ($dist)" grep -q "| pathtracker | original | original | $dist " "$TMPD/out/REPORT.md"

scripts/tracking_controls.sh --seeds "1 x" >"$OUT" 2>"$ERR"
is "$?" 2 "a bad --seeds: exit 2"
ok "... with one line saying so" grep -q "seeds must be numbers" "$ERR"

done_testing
