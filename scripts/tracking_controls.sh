#!/usr/bin/env bash
# scripts/tracking_controls.sh: the shortcut controls of the tracking challenges
# (make reproduce-tracking-controls; docs/challenges/pathtracker.md, "Controls").
#
# For PathTracker at 32 frames (configs/tracking_controls.ini) and FeatureTracker at 8
# frames (configs/tracking_controls_featuretracker.ini), each with negatives = original and
# negatives = matched:
# 1. generates train, val and test files;
# 2. fits the start-goal distance regression on train and scores it on both test files
#    (phasor-analyze shortcut);
# 3. trains the frame CNN (first and last frame only) with each seed and scores it on both
#    test files (phasor-analyze evaluate);
# 4. writes OUT/REPORT.md and OUT/controls.tsv.
# Steps already done are kept, so running it again after an interruption continues.
#
# usage: scripts/tracking_controls.sh [--runs DIR] [--out DIR] [--seeds "1 2 3"] [--set S.K=V]...
#   --runs DIR    run folder (default runs/tracking_controls)
#   --out DIR     report folder (default results/tracking_controls)
#   --seeds LIST  training seeds of the frame CNN (default "1 2 3")
#   --set S.K=V   passed to phasor-train (sections train and frame) or phasor-generate (the
#                 others); tests shrink the runs with it
# Environment: PHASOR_BUILD, the build folder (default build).
set -u
runs=runs/tracking_controls out=results/tracking_controls seeds="1 2 3"
gen_sets=() train_sets=()
die() { echo "tracking_controls.sh: $1" >&2; exit "${2:-1}"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) [ $# -ge 2 ] || die "--runs needs a folder" 2; runs=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a folder" 2; out=$2; shift 2 ;;
    --seeds) [ $# -ge 2 ] || die "--seeds needs a list such as \"1 2 3\"" 2; seeds=$2; shift 2 ;;
    --set)
        [ $# -ge 2 ] || die "--set needs SECTION.KEY=VALUE" 2
        case "$2" in train.* | frame.*) train_sets+=(--set "$2") ;; *) gen_sets+=(--set "$2") ;; esac
        shift 2 ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 2 ;;
    esac
done
case "$seeds" in '' | *[!0-9\ ]*) die "--seeds must be numbers separated by spaces, got '$seeds'" 2 ;; esac
bin=${PHASOR_BUILD:-build}/bin
[ -x "$bin/phasor-train" ] || die "no $bin/phasor-train (run make build, or set PHASOR_BUILD)" 2
mkdir -p "$runs" "$out" || die "cannot create $runs or $out (choose writable folders)"
quiet=(--quiet)

# The config's generator sections (to OUT.gen.ini) and training sections (to OUT.train.ini).
config_split() {
    awk -v gen="$2.gen.ini" -v train="$2.train.ini" '
        /^\[/ { to = ($0 ~ /^\[(train|frame)\]/) ? train : gen }
        { print > (to ? to : gen) }' "$1" || die "cannot split $1 into $2.*.ini"
}

# challenge name, config, section of its generator
cases=("pathtracker configs/tracking_controls.ini pathtracker"
       "featuretracker8 configs/tracking_controls_featuretracker.ini featuretracker")
for c in "${cases[@]}"; do
    set -- $c
    name=$1 config=$2 section=$3
    for neg in original matched; do
        d=$runs/${name}_$neg
        mkdir -p "$d" || die "cannot create $d"
        config_split "$config" "$d/config"
        if [ ! -f "$d/data/test.h5" ]; then
            echo "tracking_controls.sh: $name, $neg negatives: generating" >&2
            rm -rf "$d/data"
            "$bin/phasor-generate" "$d/config.gen.ini" "${gen_sets[@]}" --set "$section.negatives=$neg" \
                --set "generate.out_dir=$d/data" "${quiet[@]}" || die "generating $d/data failed"
        fi
    done
    for neg in original matched; do
        d=$runs/${name}_$neg
        other=$runs/${name}_$([ $neg = original ] && echo matched || echo original)
        if [ ! -f "$d/shortcut/shortcut.tsv" ]; then
            "$bin/phasor-analyze" shortcut --quiet --force --fit "$d/data/train.h5" "$d/data/test.h5" \
                "$other/data/test.h5" --out "$d/shortcut" || die "phasor-analyze shortcut on $d failed"
        fi
        for s in $seeds; do
            t=$d/frame_s$s
            if [ ! -f "$t/evaluate/evaluate.tsv" ]; then
                echo "tracking_controls.sh: $name, $neg negatives: frame CNN, seed $s" >&2
                "$bin/phasor-train" "$d/config.train.ini" "${train_sets[@]}" --set "train.train=$d/data/train.h5" --set "train.val=$d/data/val.h5" \
                    --set "train.seed=$s" --out "$t" "${quiet[@]}" || die "training $t failed"
                "$bin/phasor-analyze" evaluate "$t/best.h5" "$d/data/test.h5" "$other/data/test.h5" \
                    --out "$t/evaluate" --force --quiet || die "evaluating $t failed"
            fi
        done
    done
done

# controls.tsv: one row per (challenge, trained on, scored on, predictor, seed).
tsv=$out/controls.tsv
{
    printf 'challenge\ttrained_on\tscored_on\tpredictor\tseed\taccuracy\tlo\thi\n'
    for c in "${cases[@]}"; do
        set -- $c
        name=$1
        for neg in original matched; do
            d=$runs/${name}_$neg
            awk -F'\t' -v c="$name" -v tr="$neg" 'NR > 1 {
                    scored = $3 ~ /_matched/ ? "matched" : "original"
                    printf "%s\t%s\t%s\tdistance\t-\t%.4f\t%.4f\t%.4f\n", c, tr, scored, $13, $14, $15 }' \
                "$d/shortcut/shortcut.tsv"
            for s in $seeds; do
                awk -F'\t' -v c="$name" -v tr="$neg" -v s="$s" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                    { scored = $col["condition"] ~ /_matched/ ? "matched" : "original"
                      printf "%s\t%s\t%s\tframe_cnn\t%s\t%.4f\t-\t-\n", c, tr, scored, s, $col["accuracy"] }' \
                    "$d/frame_s$s/evaluate/evaluate.tsv"
            done
        done
    done
} > "$tsv.partial" && mv "$tsv.partial" "$tsv" || die "writing $tsv failed"

# REPORT.md: the distance regression with its interval; the frame CNN's mean and range over seeds.
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- . ':(exclude)results' 2>/dev/null || commit="$commit-dirty"
{
    echo "# Shortcut controls of the tracking challenges"
    echo
    echo "Made by \`scripts/tracking_controls.sh\` (make reproduce-tracking-controls) at git $commit,"
    echo "from $runs. Each challenge is generated twice: negatives = original (the goal at the end of"
    echo "a path that has nothing to do with the target's) and negatives = matched (the goal where a"
    echo "positive from the same start would end; docs/challenges/pathtracker.md, \"Controls\")."
    echo "**Distance**: a logistic regression on the start-goal distance alone, fitted on the train file"
    echo "of the row's data, balanced accuracy on each test file with its 95 % bootstrap interval."
    echo "**Frame CNN**: the frame model seeing only the first and last frame, accuracy on each test"
    echo "file, mean and range over seeds $seeds. Chance is 0.5 for both."
    echo
    echo "| challenge | trained on | scored on | distance | frame CNN |"
    echo "|---|---|---|---|---|"
    awk -F'\t' 'NR > 1 { k = $1 "|" $2 "|" $3
            if ($4 == "distance") d[k] = sprintf("%.3f [%.3f, %.3f]", $6, $7, $8)
            else { n[k]++; s[k] += $6; if (!(k in lo) || $6 < lo[k]) lo[k] = $6; if (!(k in hi) || $6 > hi[k]) hi[k] = $6 }
            if (!(k in seen)) { seen[k] = 1; order[++m] = k } }
        END { for (i = 1; i <= m; i++) { k = order[i]; split(k, p, "|")
              f = n[k] ? sprintf("%.3f (%.3f-%.3f)", s[k] / n[k], lo[k], hi[k]) : "-"
              printf "| %s | %s | %s | %s | %s |\n", p[1], p[2], p[3], d[k], f } }' "$tsv"
    echo
    echo "Every number comes from controls.tsv in this folder."
} > "$out/REPORT.md.partial" && mv "$out/REPORT.md.partial" "$out/REPORT.md" || die "writing $out/REPORT.md failed"
echo "tracking_controls.sh: wrote $out/REPORT.md and $tsv" >&2
