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
# 4. when the tracking study's runs are there (make reproduce-tracking), scores its models
#    trained on these conditions (PathTracker 32 frames: DIR/tracking_study_local and
#    ..._baselines; FeatureTracker 8 frames: ..._featuretracker8 and ..._baselines_featuretracker8)
#    on both test files;
# 5. writes OUT/REPORT.md, OUT/controls.tsv and OUT/study.tsv.
# Steps already done are kept, so running it again after an interruption continues.
#
# usage: scripts/tracking_controls.sh [--runs DIR] [--study DIR] [--out DIR] [--seeds "1 2 3"] [--set S.K=V]...
#   --runs DIR    run folder (default runs/tracking_controls)
#   --study DIR   parent of the tracking study's run folders (default runs)
#   --out DIR     report folder (default results/tracking_controls)
#   --seeds LIST  training seeds of the frame CNN (default "1 2 3")
#   --set S.K=V   passed to phasor-train (sections train and frame) or phasor-generate (the
#                 others); tests shrink the runs with it
# Environment: PHASOR_BUILD, the build folder (default build).
set -u
runs=runs/tracking_controls study=runs out=results/tracking_controls seeds="1 2 3"
gen_sets=() train_sets=()
die() { echo "tracking_controls.sh: $1" >&2; exit "${2:-1}"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) [ $# -ge 2 ] || die "--runs needs a folder" 2; runs=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a folder" 2; out=$2; shift 2 ;;
    --study) [ $# -ge 2 ] || die "--study needs a folder" 2; study=$2; shift 2 ;;
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

# challenge name, config, section of its generator, the study's run folders trained on its condition
cases=("pathtracker configs/tracking_controls.ini pathtracker tracking_study_local tracking_study_local_baselines"
       "featuretracker8 configs/tracking_controls_featuretracker.ini featuretracker tracking_study_local_featuretracker8 tracking_study_local_baselines_featuretracker8")
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

# The tracking study's models on both test files (their evaluate.tsv in $runs/study/RUN/POINT).
study_found=0 study_unfinished=0
for c in "${cases[@]}"; do
    set -- $c
    name=$1
    shift 3
    for run in "$@"; do
        for ck in "$study/$run"/p[0-9][0-9][0-9][0-9]/train/best.h5; do
            [ -f "$ck" ] || continue
            point=$(basename "$(dirname "$(dirname "$ck")")")
            # a point whose training has not finished (slurm/submit's train.state) is left out
            st=done
            [ -f "$study/$run/$point/train.state" ] && read -r st _ <"$study/$run/$point/train.state"
            if [ "$st" != done ]; then
                study_unfinished=$((study_unfinished + 1))
                continue
            fi
            study_found=1
            e=$runs/study/$run/$point
            [ -f "$e/evaluate.tsv" ] && continue
            echo "tracking_controls.sh: the study's $run/$point on $name, original and matched" >&2
            "$bin/phasor-analyze" evaluate "$ck" "$runs/${name}_original/data/test.h5" \
                "$runs/${name}_matched/data/test.h5" --out "$e" --force --quiet || die "evaluating $ck failed"
        done
    done
done

# eval_rows DIR PREFIX: one line per test file of DIR/evaluate.tsv: PREFIX, then the model, its
# config, rng seed, training condition, the file's negatives (original or matched), accuracy and
# one_class (1: every video of the file got the same answer, the label if hit, else the other).
eval_rows() {
    awk -F'\t' -v prefix="$2" '
        FNR == 1 { file++; if (file == 2) for (i = 1; i <= NF; i++) col[$i] = i; next }
        file == 1 { a = $5 ? $3 : 1 - $3; answers[$1, a] = 1; next }
        { f = FNR - 2; scored = $col["condition"] ~ /_matched/ ? "matched" : "original"
          one = ((f, 0) in answers) + ((f, 1) in answers) == 1
          printf "%s\t%s\t%s\t%s\t%s\t%s\t%.4f\t%d\n", prefix, $col["model"], $col["model_config"], $col["rng_seed"],
                 $col["train_condition"], scored, $col["accuracy"], one }' "$1/evaluate_samples.tsv" "$1/evaluate.tsv"
}

# study.tsv: one row per study model and test file.
stsv=$out/study.tsv
{
    printf 'challenge\trun\tpoint\tmodel\tmodel_config\trng_seed\ttrain_condition\tscored_on\taccuracy\tone_class\n'
    for c in "${cases[@]}"; do
        set -- $c
        name=$1
        shift 3
        for run in "$@"; do
            for t in "$runs/study/$run"/p[0-9][0-9][0-9][0-9]/evaluate.tsv; do
                [ -f "$t" ] || continue
                eval_rows "$(dirname "$t")" "$name"$'\t'"$run"$'\t'"$(basename "$(dirname "$t")")"
            done
        done
    done
} > "$stsv.partial" && mv "$stsv.partial" "$stsv" || die "writing $stsv failed"

# controls.tsv: one row per (challenge, trained on, scored on, predictor, seed).
tsv=$out/controls.tsv
{
    printf 'challenge\ttrained_on\tscored_on\tpredictor\tseed\taccuracy\tlo\thi\tone_class\n'
    for c in "${cases[@]}"; do
        set -- $c
        name=$1
        for neg in original matched; do
            d=$runs/${name}_$neg
            awk -F'\t' -v c="$name" -v tr="$neg" 'NR > 1 {
                    scored = $3 ~ /_matched/ ? "matched" : "original"
                    printf "%s\t%s\t%s\tdistance\t-\t%.4f\t%.4f\t%.4f\t0\n", c, tr, scored, $13, $14, $15 }' \
                "$d/shortcut/shortcut.tsv"
            for s in $seeds; do
                eval_rows "$d/frame_s$s/evaluate" "$name"$'\t'"$neg"$'\t'frame_cnn | awk -F'\t' -v OFS='\t' \
                    '{ print $1, $2, $8, $3, $6, $9, "-", "-", $10 }'
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
            else { n[k]++; s[k] += $6; one[k] += $9
                   if (!(k in lo) || $6 < lo[k]) lo[k] = $6; if (!(k in hi) || $6 > hi[k]) hi[k] = $6 }
            if (!(k in seen)) { seen[k] = 1; order[++m] = k } }
        END { for (i = 1; i <= m; i++) { k = order[i]; split(k, p, "|")
              f = n[k] ? sprintf("%.3f (%.3f-%.3f)%s", s[k] / n[k], lo[k], hi[k],
                                 one[k] ? sprintf("; %d of %d answering one class", one[k], n[k]) : "") : "-"
              printf "| %s | %s | %s | %s | %s |\n", p[1], p[2], p[3], d[k], f } }' "$tsv"
    echo
    echo "## The tracking study's models on matched negatives"
    echo
    if [ "$study_found" = 0 ]; then
        echo "No tracking-study checkpoint was found under $study (make reproduce-tracking makes them), so"
        echo "its models are not scored here."
    else
        echo "The tracking study's checkpoints (best.h5 of $study/tracking_study_local*, trained on the original"
        echo "data of the same condition; results/tracking/REPORT.md describes them) scored on this folder's two"
        echo "test files. Accuracy in %, mean and range over the runs of a model (seeds). A model that"
        echo "tracks keeps its accuracy on matched negatives; one that reads the start-goal distance falls"
        echo "towards chance. The frame CNN row of the table above is the floor a two-frame model reaches."
        echo "A run that gives every video of a test file the same answer is a constant predictor, counted"
        echo "as \"answering one class\" (its accuracy is 50 % on these balanced files whatever it learned)."
        [ "$study_unfinished" = 0 ] ||
            echo "$study_unfinished point(s) whose training had not finished were left out."
        echo
        echo "| challenge | model | runs | original negatives | matched negatives | change |"
        echo "|---|---|---|---|---|---|"
        awk -F'\t' 'NR > 1 { k = $1 "|" $4; if (!(k in seen)) { seen[k] = 1; order[++m] = k }
                pk = k "|" $2 "/" $3; if (!(pk in pseen)) { pseen[pk] = 1; runs[k]++ }
                v = 100 * $9; s = $8
                n[k, s]++; sum[k, s] += v; one[k, s] += $10
                if (!((k, s) in lo) || v < lo[k, s]) lo[k, s] = v
                if (!((k, s) in hi) || v > hi[k, s]) hi[k, s] = v }
            END { for (i = 1; i <= m; i++) { k = order[i]; split(k, p, "|")
                  o = sum[k, "original"] / n[k, "original"]; a = sum[k, "matched"] / n[k, "matched"]
                  printf "| %s | %s | %d | %.1f (%.1f-%.1f)%s | %.1f (%.1f-%.1f)%s | %+.1f |\n", p[1], p[2], runs[k],
                         o, lo[k, "original"], hi[k, "original"], note(one[k, "original"]),
                         a, lo[k, "matched"], hi[k, "matched"], note(one[k, "matched"]), a - o } }
            function note(c) { return c ? sprintf("; %d answering one class", c) : "" }' "$stsv"
    fi
    echo
    echo "Every number comes from controls.tsv and study.tsv in this folder."
} > "$out/REPORT.md.partial" && mv "$out/REPORT.md.partial" "$out/REPORT.md" || die "writing $out/REPORT.md failed"
echo "tracking_controls.sh: wrote $out/REPORT.md, $tsv and $stsv" >&2
