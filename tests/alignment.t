#!/usr/bin/env bash
# phasor-analyze alignment: saliency and adversarial alignment of a trained image model with
# human maps: the same bytes for 1 and 2 ranks, summary numbers recomputed from the per-image
# rows, perturbations within their radius, and bad input refused with one line.
. "$(dirname "$0")/lib.sh"
plan 14
cd "$TMPD" || bail_out "cannot enter $TMPD"

cat >g.ini <<'INI'
[generate]
challenge = diagnostic
[diagnostic]
size = 16
patch = 6
distractors = 2
[split.train]
n = 64
seed = 1
[split.val]
n = 16
seed = 2
[split.test]
n = 20
seed = 3
cue_agreement = 0.5
INI
run_phasor generate g.ini --out data --quiet
is "$RC" 0 "generate a tiny diagnostic challenge"
cat >t.ini <<'INI'
[train]
model = resnet
train = data/train.h5
val = data/val.h5
steps = 30
batch = 16
eval_every = 10
[resnet]
depth = 10
width = 4
stem = small
norm = batch
INI
run_phasor train t.ini --out m --quiet
is "$RC" 0 "train a tiny ResNet"
run_phasor analyze alignment m/best.h5 data/test.h5 --out a1 --batch 8 --panel 4
is "$RC" 0 "alignment on 1 rank"
run_mpi 2 analyze alignment m/best.h5 data/test.h5 --out a2 --batch 8 --panel 4 --quiet
is "$RC" 0 "alignment on 2 ranks"
ok "1 and 2 ranks: identical per-image rows, summary and figure" \
    bash -c 'cmp -s a1/alignment_samples.tsv a2/alignment_samples.tsv && cmp -s a1/alignment_panel.png a2/alignment_panel.png && cut -f3- a1/alignment.tsv | cmp -s - <(cut -f3- a2/alignment.tsv)'
is "$(($(wc -l <a1/alignment_samples.tsv) - 1))" 20 "one row per test image"
# columns: index label pred correct token rho dice iou fooled eps l2 linf attack_rho cue
recompute() {
    awk -F'\t' 'NR == FNR { if (FNR > 1) { n++; right += $4; if ($5 == 1 && $6 != "nan") { s += $6; k++ } } next }
        FNR == 2 { acc = right / n; score = s / k / 0.6575315343478081
            d1 = acc - $5; d2 = score - $7; if (d1 < 0) d1 = -d1; if (d2 < 0) d2 = -d2
            printf "# accuracy %s (recomputed %.6f), alignment score %s (recomputed %.6f)\n", $5, acc, $7, score
            exit !(d1 < 1e-6 && d2 < 1e-5) }' a1/alignment_samples.tsv a1/alignment.tsv
}
ok "accuracy and alignment score equal their recomputation from the per-image rows" recompute
radius() {
    awk -F'\t' 'NR > 1 && $9 == 1 { f++; if ($11 > $10 + 1e-3 || $10 > 10 || $10 < 0.001) bad++ }
        NR > 1 && $4 == 0 && $10 != "nan" { bad++ }
        END { printf "# %d fooled images\n", f; exit !(bad == 0) }' a1/alignment_samples.tsv
}
ok "every flipped image's perturbation lies within its radius eps (0.001..10); misclassified images are not attacked" radius
# the cue column is the file's /meta/cue; accuracy where it agrees / conflicts with the label
cue_split() {
    h5dump -y -w 0 -o cue.txt -d /meta/cue data/test.h5 >/dev/null || return 1
    tr -d ' \n' <cue.txt | tr ',' '\n' >cue.col
    awk -F'\t' 'NR == FNR { cue[FNR + 1] = $1; next }
        FILENAME ~ /samples/ && FNR > 1 { if ($14 != cue[FNR]) bad++; k = ($14 != $2); n[k]++; r[k] += $4; next }
        FILENAME !~ /samples/ && FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        FILENAME !~ /samples/ && FNR == 2 { a = $col["cue_agrees_accuracy"]; c = $col["cue_conflicts_accuracy"]
            ea = r[0] / n[0]; ec = r[1] / n[1]
            printf "# cue agrees %s of %d (recomputed %.6f), conflicts %s of %d (recomputed %.6f)\n", a, n[0], ea, c, n[1], ec
            d = (a - ea) ^ 2 + (c - ec) ^ 2
            exit !(bad == 0 && n[0] > 0 && n[1] > 0 && $col["cue_agrees_n"] == n[0] && d < 1e-10) }' \
        cue.col a1/alignment_samples.tsv a1/alignment.tsv
}
ok "per-image cue is /meta/cue; cue-agree and cue-conflict accuracies equal their recomputation" cue_split
run_phasor analyze alignment m/best.h5 data/test.h5 --out a3 --batch 8 --no-attack --panel 0
ok "--no-attack: the same saliency scores, no attack columns" \
    bash -c 'cut -f1-8 a1/alignment_samples.tsv | cmp -s - <(cut -f1-8 a3/alignment_samples.tsv) && [ "$(awk -F"\t" "NR > 1 && \$10 != \"nan\"" a3/alignment_samples.tsv | wc -l)" = 0 ] && [ ! -e a3/alignment_panel.png ]'
run_phasor analyze alignment m/best.h5 data/test.h5 --out a1 --batch 8
ok "an existing output without --force: exit 2" bash -c "[ $RC = 2 ] && grep -q 'pass --force' '$ERR'"
printf '[generate]\nchallenge = svrt\n[svrt]\nproblem = 1\n[split.test]\nn = 4\nseed = 3\n' >s.ini
run_phasor generate s.ini --out svrt --quiet
run_phasor analyze alignment m/best.h5 svrt/test.h5 --out a4
ok "a sample file without human maps: exit 2 naming the dataset" bash -c "[ $RC = 2 ] && grep -q 'has no /maps/human' '$ERR'"
run_phasor analyze alignment m/best.h5 data/test.h5 --out a5 --batch 0
ok "an impossible --batch: exit 2" bash -c "[ $RC = 2 ] && grep -q -- '--batch must be an integer' '$ERR'"
run_phasor analyze alignment nowhere.h5 data/test.h5 --out a6
ok "a missing checkpoint: exit 1 with one line" bash -c "[ $RC = 1 ] && [ \$(wc -l <'$ERR') = 1 ]"
