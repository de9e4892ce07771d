#!/usr/bin/env bash
# phasor-probe (docs/probe.md): features of a trained model's layers, synthetic and
# imported neural sites, leave-one-image-out predictivity.  Outputs are the same for
# 1 and 2 ranks; a layer's own channels imported as "recordings" are predicted
# perfectly (a positive control that a broken regression fails); bad inputs give one
# line and exit 2.  The linear probe finds the spurious cue of the diagnostic challenge
# where it names the class and fails where it does not.
. "$(dirname "$0")/lib.sh"
plan 41
cd "$TMPD" || bail_out "cannot enter $TMPD"

cat >g.ini <<'INI'
[diagnostic]
size = 16
patch = 6
distractors = 2
[split.train]
n = 32
seed = 1
[split.val]
n = 12
seed = 2
cue_agreement = 0.5
INI
run_phasor generate g.ini --out data --quiet --set generate.challenge=diagnostic
is "$RC" 0 "generate a tiny diagnostic challenge"
cat >t.ini <<'INI'
[train]
model = resnet
train = data/train.h5
val = data/val.h5
steps = 4
batch = 8
log_every = 2
eval_every = 4
checkpoint_every = 100
[resnet]
depth = 10
width = 4
stem = small
norm = batch
INI
run_phasor train t.ini --out run --quiet
is "$RC" 0 "train a small ResNet for 4 steps"

# ---- features ----
run_mpi 1 probe features run/checkpoint.h5 data/val.h5 --layers stem,stage2,stage4 --grid 5 --out f1 --quiet
is "$RC" 0 "features on 1 rank"
run_mpi 2 probe features run/checkpoint.h5 data/val.h5 --layers stem,stage2,stage4 --grid 5 --out f2 --quiet \
    --batch 3 --chunk 4
is "$RC" 0 "features on 2 ranks (other batch and chunk sizes)"
same_features() {
    local l
    for l in stem stage2 stage4; do h5diff -q f1/features.h5 f2/features.h5 "/features/$l" "/features/$l" || return 1; done
}
ok "features are the same bytes for 1 and 2 ranks" same_features
shape_ok() { h5dump -H -d /features/stage2 f1/features.h5 | grep -q 'SIMPLE { ( 12, 5, 5, 8 )'; }
ok "/features/stage2 is [N, G, G, C] = [12, 5, 5, 8]" shape_ok
# per-image min-max: every image of a layer spans exactly [0, 1]
minmax_ok() {
    h5dump -y -w0 -d /features/stage4 f1/features.h5 | perl -ne '
        next unless /^\s*-?[0-9]/; s/\s//g; push @v, grep { length } split /,/; END {
        my $per = 5 * 5 * 32; exit 1 unless @v == 12 * $per;
        for my $i (0 .. 11) { my @s = sort { $a <=> $b } @v[$i * $per .. ($i + 1) * $per - 1];
            exit 1 unless $s[0] == 0 && $s[-1] == 1; } }'
}
ok "each image's features are min-max normalised to [0, 1]" minmax_ok

run_phasor probe features run/checkpoint.h5 data/val.h5 --layers stem,stage9 --grid 5 --out fbad
is "$RC" 2 "an unknown layer name exits 2"
ok "... with one line naming it and the layers there are" \
    bash -c "[ \$(wc -l <'$ERR') = 1 ] && grep -q \"no layer 'stage9' (it has: stem, stage1, stage2, stage3, stage4)\" '$ERR'"
ok "... and leaves no output" test ! -e fbad/features.h5

# A layer wider than 600 channels (ResNet-50 of width 19: stage4 has 608) is reduced
# as in the notes: groups of 4 adjacent channels (608 is not a multiple of 3) averaged.
sed -e 's/steps = 4/steps = 1/' -e 's/depth = 10/depth = 50/' -e 's/width = 4/width = 19/' -e 's/eval_every = 4/eval_every = 1/' t.ini >tw.ini
run_phasor train tw.ini --out wide --quiet
run_phasor probe features wide/checkpoint.h5 data/val.h5 --layers stage3,stage4 --grid 3 --out fw --quiet
wide_ok() {
    h5dump -H fw/features.h5 | grep -q 'SIMPLE { ( 12, 3, 3, 152 )' && h5dump -H fw/features.h5 | grep -q 'SIMPLE { ( 12, 3, 3, 304 )'
}
ok "608 channels become 152 group means; 304 channels stay" wide_ok
is "$(h5dump -a channel_group_stage4 fw/features.h5 | sed -n 's/^ *(0): //p')" 4 "the group size is recorded (channel_group_stage4 = 4)"

# ---- synthetic sites ----
run_mpi 1 probe sites data/val.h5 --out s1 --sites 8 --grid 5 --noise 0.05 --quiet
is "$RC" 0 "synthetic sites on 1 rank"
run_mpi 2 probe sites data/val.h5 --out s2 --sites 8 --grid 5 --noise 0.05 --chunk 4 --quiet
is "$RC" 0 "synthetic sites on 2 ranks"
same_sites() {
    local d
    for d in sites repeats ceiling y; do h5diff -q s1/sites.h5 s2/sites.h5 "/$d" "/$d" || return 1; done
    [ "$(h5dump -a ceiling s1/sites.h5 | grep '(0)')" = "$(h5dump -a ceiling s2/sites.h5 | grep '(0)')" ]
}
ok "sites, repeats and ceilings are the same for 1 and 2 ranks" same_sites
attr() { h5dump -a "$2" "$1" | sed -n 's/^ *(0): //p'; }
in_unit() { perl -e 'exit !($ARGV[0] > 0 && $ARGV[0] <= 1)' "$1"; }
ok "the ceiling is in (0, 1]" in_unit "$(attr s1/sites.h5 ceiling)"
ok "the split-half reliability is in (0, 1]" in_unit "$(attr s1/sites.h5 split_half)"
run_phasor probe sites data/val.h5 --out s3 --sites 8 --grid 5 --noise 2 --quiet
lower() { perl -e 'exit !($ARGV[0] < $ARGV[1])' "$1" "$2"; }
ok "more noise lowers the split-half reliability" lower "$(attr s3/sites.h5 split_half)" "$(attr s1/sites.h5 split_half)"

# ---- neural predictivity ----
run_mpi 1 probe neural f1/features.h5 s1/sites.h5 --out n1 --quiet
is "$RC" 0 "PLS predictivity on 1 rank"
run_mpi 2 probe neural f1/features.h5 s1/sites.h5 --out n2 --quiet
ok "PLS: neural.tsv identical for 1 and 2 ranks" cmp n1/neural.tsv n2/neural.tsv
same_neural() {
    local d
    for d in score site_r fit; do h5diff -q "$1/neural.h5" "$2/neural.h5" "/$d" "/$d" || return 1; done
}
ok "PLS: per-fold details identical for 1 and 2 ranks" same_neural n1 n2
run_mpi 1 probe neural f1/features.h5 s1/sites.h5 --out r1 --method ridge --quiet
run_mpi 2 probe neural f1/features.h5 s1/sites.h5 --out r2 --method ridge --quiet
ok "ridge: neural.tsv and details identical for 1 and 2 ranks" bash -c "cmp r1/neural.tsv r2/neural.tsv && $(declare -f same_neural); same_neural r1 r2"
tsv_ok() {
    perl -F'\t' -lane 'if ($. == 1) { exit 1 unless "@F" eq "layer raw ceiling normalised"; next }
        $n++; exit 1 unless abs($F[3] - $F[1] / $F[2]) < 2e-6; END { exit 1 unless $n == 3 }' n1/neural.tsv
}
ok "neural.tsv: a row per layer, normalised = raw / ceiling" tsv_ok

# Positive control: the stem's own 4 channels, imported as 4 recorded sites, are
# predicted exactly by PLS (4 components) and almost exactly by ridge.
h5dump -d /features/stem -b LE -o stem.bin f1/features.h5 >/dev/null
perl -e 'my $d = "{'"'"'descr'"'"': '"'"'<f4'"'"', '"'"'fortran_order'"'"': False, '"'"'shape'"'"': (12, 5, 5, 4), }";
    $d .= " " x (63 - (10 + length($d)) % 64) . "\n"; print "\x93NUMPY\x01\x00", pack("v", length $d), $d;' >stem.npy
cat stem.bin >>stem.npy
run_phasor probe sites --import stem.npy --out imp --quiet
is "$RC" 0 "sites --import of an [N, X, Y, K] .npy array"
h5dump -d /sites -b LE -o imp.bin imp/sites.h5 >/dev/null
ok "imported sites keep the array's values" cmp stem.bin imp.bin
ok "imported data: split-half is NaN (no repeats), the ceiling is defined" \
    bash -c "[ \"$(attr imp/sites.h5 split_half)\" = nan ] && perl -e 'exit !(\$ARGV[0] > 0)' '$(attr imp/sites.h5 ceiling)'"
run_phasor probe neural f1/features.h5 imp/sites.h5 --out pc --quiet
run_phasor probe neural f1/features.h5 imp/sites.h5 --out pcr --method ridge --quiet
stem_raw() { awk -F'\t' '$1 == "stem" { print $2 }' "$1/neural.tsv"; }
ok "PLS predicts the stem's own channels: raw r > 0.9999" perl -e 'exit !($ARGV[0] > 0.9999)' "$(stem_raw pc)"
ok "ridge predicts them too: raw r > 0.99" perl -e 'exit !($ARGV[0] > 0.99)' "$(stem_raw pcr)"

# Features and sites of different images: one line, exit 2.
cat >g2.ini <<'INI'
[diagnostic]
size = 16
patch = 6
[split.val]
n = 10
seed = 3
INI
run_phasor generate g2.ini --out data2 --quiet --set generate.challenge=diagnostic
run_phasor probe sites data2/val.h5 --out s10 --sites 8 --grid 5 --quiet
run_phasor probe neural f1/features.h5 s10/sites.h5 --out nbad
ok "features of 12 images with sites of 10: exit 2, one line naming both counts" \
    bash -c "[ $RC = 2 ] && [ \$(wc -l <'$ERR') = 1 ] && grep -q 'has 12 images but s10/sites.h5 has 10' '$ERR'"

# ---- linear probe (3D-PC protocol): the background colour names the class on the
# training and validation splits (cue_agreement 1), not on the test split (0.5) ----
cat >c.ini <<'INI'
[diagnostic]
size = 16
patch = 6
distractors = 2
[split.train]
n = 64
seed = 11
cue_agreement = 1
[split.val]
n = 32
seed = 12
cue_agreement = 1
[split.test]
n = 32
seed = 13
cue_agreement = 0.5
INI
run_phasor generate c.ini --out cue --quiet --set generate.challenge=diagnostic
for s in train val test; do
    run_phasor probe features run/checkpoint.h5 "cue/$s.h5" --layers stem --grid 4 --out "cf_$s" --quiet
done
run_mpi 1 probe linear cf_train/features.h5 cf_val/features.h5 cf_test/features.h5 --layer stem --lr 0.01 --out l1 --quiet
is "$RC" 0 "linear probe on the stem's pooled features"
ok "linear.tsv has a row per epoch (30)" bash -c "[ \$(tail -n +2 l1/linear.tsv | wc -l) = 30 ]"
best_col() { awk -F'\t' -v c="$2" 'NR == 2 { print $c }' "$1/linear_best.tsv"; }
ok "the probe reads the colour cue: best validation accuracy >= 0.9" perl -e 'exit !($ARGV[0] >= 0.9)' "$(best_col l1 4)"
ok "... which fails on the decorrelated test split: accuracy < 0.7" perl -e 'exit !($ARGV[0] < 0.7)' "$(best_col l1 5)"
run_mpi 2 probe linear cf_train/features.h5 cf_val/features.h5 cf_test/features.h5 --layer stem --lr 0.01 --out l2 --quiet
ok "linear probe outputs identical on 2 ranks" bash -c "cmp l1/linear.tsv l2/linear.tsv && cmp l1/linear_best.tsv l2/linear_best.tsv"

# ---- the subcommands' shared option table (probe_parse_args): one line and exit 2 per mistake --
usage_line() { # EXPECTED ARGS...: exit 2, one stderr line containing EXPECTED, nothing written
    local want=$1
    shift
    run_phasor probe "$@"
    [ "$RC" = 2 ] && [ "$(wc -l <"$ERR")" = 1 ] && grep -qF -- "$want" "$ERR" && [ ! -e badopt ]
}
ok "a choice outside its list names the choices (features --device)" \
    usage_line "features: --device must be auto, cpu or cuda, got 'gpu'" features a.h5 b.h5 --layers x --grid 2 --out badopt --device gpu
ok "an integer out of range names the range (sites --repeats)" \
    usage_line "sites: --repeats must be an integer in 2..16, got '1'" sites data/val.h5 --out badopt --repeats 1
ok "a number that is not one (linear --lr)" usage_line "linear: --lr must be a number in 0..10, got 'fast'" linear a b --layer x --out badopt --lr fast
ok "an option without its value" usage_line "neural: option '--components' needs a value" neural a b --out badopt --components
ok "an unknown option" usage_line "neural: unknown option '--pca' (see phasor-probe neural --help)" neural a b --out badopt --pca
ok "one positional argument too many" usage_line "linear: unexpected argument 'd' (see phasor-probe linear --help)" linear a b c d --layer x --out badopt
run_phasor probe sites --help
ok "--help prints the usage and exits 0" bash -c "[ $RC = 0 ] && grep -q '^usage: phasor-probe sites' '$OUT'"
