#!/usr/bin/env bash
# Sweeps without a cluster: slurm/submit --dry-run of a paper-scale sweep (array sizes,
# dependencies, resource lines), config errors, a 2 x 2 sweep run with --local and its
# status, the rerun of a failed point, and phasor-generate --resume.  tests/slurm.t runs
# the same on a real Slurm cluster.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
submit=$root/slurm/submit status=$root/slurm/status task=$root/slurm/task
export PHASOR_BUILD
cd "$TMPD" || bail_out "cannot enter $TMPD"

# ---- --dry-run of a paper-scale sweep: the tracking grid, 3 x 3 x 3 points -----------------
cat >grid.ini <<'INI'
; PathTracker generalisation grid at paper scale (100k training videos per condition)
[generate]
challenge = pathtracker
[pathtracker]
num_distractors = 0, 14, 25
length = 32, 64, 128
skip = 1, 2, 4
[split.train]
n = 100000
seed = 1
[split.val]
n = 10000
seed = 2
[train]
train = {generate}/train.h5
val = {generate}/val.h5
steps = 20000
batch = 64
[analyze]
args = summary {generate}/val.h5
[slurm]
account = visionlab
partition = cpu
time = 02:00:00
ntasks = 8
max_running = 10
[slurm.train]
partition = gpu
time = 2-00:00:00
nodes = 2
ntasks = 8
cpus_per_task = 4
gpus_per_task = 1
signal_seconds = 900
srun_options = --mpi=pmix
extra = --constraint=h100 --exclusive
INI
"$submit" --dry-run grid.ini --out nowhere/grid_run >"$OUT" 2>"$ERR"
RC=$?
is "$RC" 0 "--dry-run of the 27-point grid exits 0"
ok "--dry-run wrote no run folder (not even its parent)" test ! -e nowhere
ok "the printed commands are a valid shell script" bash -n "$OUT"
is "$(grep -c '^JOB_[a-z]*=$(sbatch ' "$OUT")" 3 "one sbatch command per stage (generate, train, analyze)"
line() { grep "^JOB_$1=" "$OUT"; }
has() { # has STAGE WORD...: every word is an argument of that stage's sbatch command
    local l w
    l=" $(line "$1" | sed 's/^JOB_[a-z]*=$(//; s/)$//') "
    shift
    for w in "$@"; do [[ $l == *" $w "* ]] || { diag "missing '$w' in: $l"; return 1; }; done
}
hasnt() { local l; l=" $(line "$1") "; [[ $l != *" $2"* ]] || { diag "unexpected '$2' in: $l"; return 1; }; }
for s in generate train analyze; do
    ok "$s: one array over the 27 points, at most 10 running" has $s --array=0-26%10
done
ok "generate: no dependency" hasnt generate --dependency
ok "train: task i waits for generate's task i" has train '--dependency=aftercorr:$JOB_generate'
ok "analyze: task i waits for train's task i" has analyze '--dependency=aftercorr:$JOB_train'
ok "generate: [slurm] resources (account, partition, time, 8 tasks)" \
    has generate --account=visionlab --partition=cpu --time=02:00:00 --ntasks=8 --cpus-per-task=1
ok "train: [slurm.train] overrides (gpu partition, 2 days, 2 nodes, 4 cpus and 1 GPU per task)" \
    has train --account=visionlab --partition=gpu --time=2-00:00:00 --nodes=2 --ntasks=8 \
    --cpus-per-task=4 --gpus-per-task=1 --constraint=h100 --exclusive
ok "generate and analyze ask for no GPU" bash -c "! grep -E '^JOB_(generate|analyze)=.*gpus' '$OUT'"
ok "train: USR1 to the batch shell 900 s before the limit, requeueable" \
    has train '--signal=B:USR1@900' --requeue --open-mode=append --kill-on-invalid-dep=yes
ok "generate: the default pre-timeout signal (300 s)" has generate '--signal=B:USR1@300'
ok "each task logs into its point's folder" has train "--output=$TMPD/nowhere/grid_run/p%4a/train.log"
ok "each stage runs its rendered batch script" has analyze "$TMPD/nowhere/grid_run/slurm/analyze.sbatch"
ok "the header names the axes and their sizes" \
    grep -q 'axes: num_distractors (3), length (3), skip (3)' "$OUT"

# A sweep larger than MaxArraySize (1001, Slurm's default, under --dry-run): arrays whose task i is
# point OFFSET + i, every point once, no index at or above 1001.
printf '[train]\nsteps = 3\nseed = %s\nlr = %s\n' "$(seq -s, 1 50)" "$(seq -s, 1 100 | sed 's/\([0-9]*\)/0.00\1/g')" >big.ini
"$submit" --dry-run big.ini --out nowhere/big >"$OUT" 2>"$ERR"
is "$?" 0 "--dry-run of a 5,000-point sweep"
ok "... says it splits it into 5 arrays" grep -q '^# 5 arrays per stage: array indices stay below MaxArraySize 1001' "$OUT"
covered() { # every point 0..4999 exactly once, as offset + index, indices < 1001
    awk '/^JOB_/ { match($0, /--array=[0-9,-]+/); a = substr($0, RSTART + 8, RLENGTH - 8)
            off = 0; if (match($0, /PHASOR_POINT_OFFSET=[0-9]+/)) off = substr($0, RSTART + 20, RLENGTH - 20)
            n = split(a, parts, ",")
            for (i = 1; i <= n; i++) { split(parts[i], r, "-"); if (r[2] == "") r[2] = r[1]
                for (t = r[1]; t <= r[2]; t++) { if (t >= 1001) bad++; seen[off + t]++ } } }
        END { for (p = 0; p < 5000; p++) if (seen[p] != 1) bad++; exit bad > 0 }' "$OUT"
}
ok "... each point in exactly one task, every index below 1001" covered
# What a batch script hands slurm/task for an array task (its exec replaced by echo).
task_points() { # task_points TASK_ID [VAR=VALUE...]: the points argument of slurm/task
    local id=$1
    shift
    { echo 'task() { echo "$@"; exit 0; }'
        sed -e '/^@SETUP@$/d' -e 's|^\(.*\)exec "@PHASOR@/slurm/task" "@RUN@" @STAGE@ |\1task |' "$root/slurm/train.sbatch"; } |
        env -u PHASOR_POINT_OFFSET -u PHASOR_POINTS_PER_TASK -u PHASOR_POINT_LAST SLURM_ARRAY_TASK_ID="$id" "$@" bash
}
is "$(task_points 4 PHASOR_POINT_OFFSET=1001)" 1005 "... the batch scripts add the offset back: task 4 of the array from 1001 runs point 1005"
"$submit" --dry-run big.ini --out nowhere/big --points 995-1005,4999 >"$OUT" 2>"$ERR"
ok "--points 995-1005,4999: only those, across three arrays" \
    bash -c "grep -q 'points with work left: 995-1005,4999' '$OUT' && grep -q -- '--array=995-1000 ' '$OUT' && grep -q -- 'PHASOR_POINT_OFFSET=1001 .*--array=0-4 ' '$OUT' && grep -q -- 'PHASOR_POINT_OFFSET=4004 .*--array=995 ' '$OUT'"
"$submit" --dry-run big.ini --points 4990-5000 >"$OUT" 2>"$ERR"
is "$? $(grep -c . "$ERR")" "2 1" "--points beyond the sweep: exit 2, one line"
ok "... naming the range and the sweep's points" grep -qF "'4990-5000' is not within the sweep's points 0-4999" "$ERR"

# [slurm] points_per_task = 3: 1,667 tasks of 3 points (the last of 2), in arrays below MaxArraySize.
cp big.ini big3.ini
printf '[slurm]\npoints_per_task = 3\n' >>big3.ini
"$submit" --dry-run big3.ini --out nowhere/big3 >"$OUT" 2>"$ERR"
is "$?" 0 "--dry-run of the 5,000-point sweep with points_per_task = 3"
ok "... says so: 3 points per task, 1667 array tasks, 2 arrays below MaxArraySize 1001" \
    bash -c "grep -q '^# 3 points per task: .* 1667 array tasks in all' '$OUT' && grep -q '^# 2 arrays per stage: array indices stay below MaxArraySize 1001' '$OUT'"
bundles() { # bundles POINTS N: prints the number of tasks if every point of POINTS ("A-B,C") is in
    # exactly one task's points and no other point is, every index is below 1001 and every array has
    # N points per task (a task runs points OFFSET + tN .. OFFSET + tN + N - 1, at most LAST)
    awk -v pts="$1" -v want="$2" '/^JOB_/ { match($0, /--array=[0-9,-]+/); a = substr($0, RSTART + 8, RLENGTH - 8)
            off = 0; if (match($0, /PHASOR_POINT_OFFSET=[0-9]+/)) off = substr($0, RSTART + 20, RLENGTH - 20) + 0
            n = 1; if (match($0, /PHASOR_POINTS_PER_TASK=[0-9]+/)) n = substr($0, RSTART + 23, RLENGTH - 23) + 0
            last = 1e9; if (match($0, /PHASOR_POINT_LAST=[0-9]+/)) last = substr($0, RSTART + 18, RLENGTH - 18) + 0
            if (n != want) bad++
            k = split(a, parts, ",")
            for (i = 1; i <= k; i++) { split(parts[i], r, "-"); if (r[2] == "") r[2] = r[1]
                for (t = r[1]; t <= r[2]; t++) { if (t >= 1001) bad++; tasks++
                    for (p = off + t * n; p < off + t * n + n && p <= last; p++) seen[p]++ } } }
        END { k = split(pts, parts, ",")
              for (i = 1; i <= k; i++) { split(parts[i], r, "-"); if (r[2] == "") r[2] = r[1]
                  for (p = r[1]; p <= r[2]; p++) { if (seen[p] != 1) bad++; delete seen[p] } }
              for (p in seen) bad++
              if (bad) print "wrong: " bad; else print tasks }' "$OUT"
}
is "$(bundles 0-4999 3)" 1667 "... 1667 tasks of 3 points each cover every point exactly once, every index below 1001"
ok "... the second array starts at point 3003 (1001 tasks x 3) and ends at point 4999" \
    grep -q 'PHASOR_POINT_OFFSET=3003.*PHASOR_POINT_LAST=4999 .*--array=0-665 ' "$OUT"
ok "... its tasks log into RUN/slurm (the task writes each point's log)" \
    grep -q -- "--output=$TMPD/nowhere/big3/slurm/train.%A.out " "$OUT"
is "$(task_points 0 PHASOR_POINTS_PER_TASK=3 PHASOR_POINT_LAST=4999) $(task_points 665 PHASOR_POINT_OFFSET=3003 PHASOR_POINTS_PER_TASK=3 PHASOR_POINT_LAST=4999)" \
    "0-2 4998-4999" "... the batch script runs points 0-2 for task 0 and 4998-4999 for the last task"
"$submit" --dry-run big.ini --out nowhere/big3 --points-per-task 4 --points 10-20,15-30,100 >"$OUT" 2>"$ERR"
is "$(bundles 10-30,100 4),$(grep -c '^JOB_' "$OUT")" "7,2" \
    "--points-per-task 4 --points 10-20,15-30,100: tasks cover points 10-30 and 100 only (7 tasks, 2 arrays)"
ok "... each run of chosen points is an array of its own: 10-30 and 100" \
    bash -c "grep -q 'PHASOR_POINT_OFFSET=10.,PHASOR_POINTS_PER_TASK=4.,PHASOR_POINT_LAST=30 .*--array=0-5 ' '$OUT' && grep -q 'PHASOR_POINT_OFFSET=100.,.*PHASOR_POINT_LAST=100 .*--array=0 ' '$OUT'"

# MaxJobCount (Slurm's 10000 under --dry-run; PHASOR_MAX_JOB_COUNT overrides it).
PHASOR_MAX_JOB_COUNT=10 "$submit" --dry-run "$root/tests/sweep_tiny.ini" --out nowhere/tiny >"$OUT" 2>"$ERR"
is "$? $(grep -c . "$ERR")" "2 1" "4 points x 3 stages (12 tasks) with MaxJobCount 10: exit 2, one line"
ok "... naming the numbers and the fix: points_per_task = 2, or parts of at most 3 points with --points" \
    grep -qF "this run needs 12 array tasks (4 points x 3 stages, 1 point per task) but the cluster's MaxJobCount is 10: set [slurm] points_per_task = 2 (or --points-per-task 2), or submit parts of at most 3 points with --points (e.g. --points 0-2); nothing was written" "$ERR"
PHASOR_MAX_JOB_COUNT=10 "$submit" --dry-run "$root/tests/sweep_tiny.ini" --out nowhere/tiny --points-per-task 2 >"$OUT" 2>"$ERR"
ok "... and points_per_task = 2 fits: 2 tasks per stage" \
    bash -c "[ \$(grep -c -- '--array=0-1 ' '$OUT') = 3 ] && grep -q '6 array tasks in all (MaxJobCount 10)' '$OUT'"
PHASOR_MAX_JOB_COUNT=1000 "$submit" --dry-run big.ini --out nowhere/big >"$OUT" 2>"$ERR"
n=$(sed -n 's/.*points_per_task = \([0-9]*\) .*/\1/p' "$ERR")
is "$n" 5 "5,000 one-stage points with MaxJobCount 1000: points_per_task = 5 suggested"
PHASOR_MAX_JOB_COUNT=1000 "$submit" --dry-run big.ini --out nowhere/big --points-per-task "${n:-0}" >"$OUT" 2>"$ERR"
is "$? $(bundles 0-4999 5)" "0 1000" "... which fits: 1000 tasks of 5 points, every point once"
PHASOR_MAX_JOB_COUNT=1000 "$submit" --dry-run big.ini --out nowhere/big --points 0-999 >"$OUT" 2>"$ERR"
is "$?" 0 "... and so does the part it suggests, --points 0-999"

# Every sweep config in configs/ (one with a comma list, or an include that may give one) expands.
for f in "$root"/configs/*.ini; do
    grep -qE '^[^;#[]*=.*,|^include' "$f" || continue
    "$submit" --dry-run "$f" --out "cfg_$(basename "$f" .ini)" >"$OUT" 2>"$ERR"
    RC=$?
    ok "configs/${f##*/} expands: $(sed -n 's/^# slurm.submit --dry-run: [^,]*, \([0-9]* point(s)\).*/\1/p' "$OUT")" test "$RC" = 0
done

# ---- config errors: one line naming file:line, exit 2, nothing written ----------------------
bad() { # bad DESC TEXT EXPECT...: an experiment that must be refused
    local desc=$1 text=$2 e
    shift 2
    printf '%s\n' "$text" >bad.ini
    "$submit" --dry-run bad.ini >"$OUT" 2>"$ERR"
    RC=$?
    for e in "$@"; do grep -qF -- "$e" "$ERR" || { RC="$RC (no '$e')"; break; }; done
    is "$RC $(grep -c . "$ERR")" "2 1" "$desc: exit 2, one line naming it"
}
bad "a section no stage reads" $'[generate]\n[pathtraker]\nlength = 8' "bad.ini:2" "[pathtraker]"
bad "an unknown [slurm] key" $'[train]\nsteps = 3\n[slurm]\ngpu = 1' "bad.ini:4" "no key 'gpu'"
bad "a [slurm.STAGE] for a stage not in the experiment" $'[train]\nsteps = 3\n[slurm.generate]\ntime = 1' "bad.ini:3" "[slurm.generate]"
bad "an unknown placeholder" $'[train]\ntrain = {generte}/train.h5' "bad.ini:2" "{generte}"
bad "an empty item in a comma list" $'[train]\nlr = 0.1,,0.2' "bad.ini:2" "empty item"
bad "a key given twice" $'[train]\nlr = 0.1\nlr = 0.2' "bad.ini:3" "given twice"
bad "a non-numeric ntasks" $'[train]\nsteps = 3\n[slurm]\nntasks = two' "bad.ini:4" "ntasks"
bad "{config} outside the args of a stage" $'[train]\ntrain = {config}' "bad.ini:2" "{config}"
bad "[sweep] zip of lists of different lengths" $'[train]\nlr = 0.1, 0.2\nsteps = 3, 4, 5\n[sweep]\nzip = train.lr train.steps' \
    "bad.ini:5" "2 items" "3 items"
bad "[sweep] zip naming a key the experiment does not have" $'[train]\nlr = 0.1, 0.2\nsteps = 3\n[sweep]\nzip = train.lr train.step' \
    "bad.ini:5" "train.step,"
bad "points_per_task in [slurm.STAGE]" $'[train]\nsteps = 3\n[slurm.train]\npoints_per_task = 2' \
    "bad.ini:4" "points_per_task goes in [slurm], not [slurm.train]"
bad "points_per_task = 0" $'[train]\nsteps = 3\n[slurm]\npoints_per_task = 0' "bad.ini:4" "points_per_task = 0: give 1 or more"
bad "[sweep] with a key other than zip" $'[train]\nlr = 0.1, 0.2\n[sweep]\nzipp = train.lr' "bad.ini:4" "zipp"

# ---- include: a base experiment and a variant that states what differs ------------------------
mkdir -p inc flat fakebin
printf '#!/bin/sh\necho "no Slurm in this test" >&2\nexit 1\n' >fakebin/sbatch
chmod +x fakebin/sbatch
cat >inc/base.ini <<'INI'
; the base: two lengths, two distractor counts
[generate]
challenge = pathtracker
[pathtracker]
length = 8, 16
num_distractors = 1
[split.train]
n = 4
seed = 1
[split.val]
n = 2
seed = 2
[train]
model = cnn3d
train = {generate}/train.h5
val = {generate}/val.h5
steps = 2
[analyze]
args = summary {generate}/train.h5
[slurm]
time = 01:00:00
INI
cat >variant.ini <<'INI'
; the variant: another distractor axis, more steps, a learning rate (an added key), a test split
include = inc/base.ini
[pathtracker]
num_distractors = 0, 2   ; an axis in the base's place
[train]
steps = 3
lr = 0.01
[split.test]
n = 2
seed = 3
INI
"$submit" --dry-run variant.ini --out inc_run >"$OUT" 2>"$ERR"
is "$?" 0 "--dry-run of an experiment that includes a base"
ok "... its axes in the base's order: length (2), then the override num_distractors (2)" \
    grep -q 'axes: length (2), num_distractors (2)' "$OUT"
# Slurm mode writes the run folder, then fails at sbatch (fakebin): the configs stay.
PATH=$TMPD/fakebin:$PATH "$submit" variant.ini --out inc_run >"$OUT" 2>"$ERR"
ok "the run folder of the variant is written (then sbatch fails)" \
    bash -c "grep -q 'sbatch for generate failed' '$ERR' && [ -f inc_run/p0003/train.ini ]"
ok "its experiment.ini is the flattened experiment: no include, the base's keys and the variant's" \
    bash -c "! grep -q '^include' inc_run/experiment.ini && grep -qx 'num_distractors = 0, 2' inc_run/experiment.ini && grep -qx 'challenge = pathtracker' inc_run/experiment.ini && grep -qx 'lr = 0.01' inc_run/experiment.ini"
ok "a point's train.ini: the override in the base's place, the added key after the base's" \
    bash -c "[ \"\$(grep -v '^;' inc_run/p0001/train.ini | tr '\n' ' ')\" = ' [train] model = cnn3d train = $TMPD/inc_run/p0001/generate/train.h5 val = $TMPD/inc_run/p0001/generate/val.h5 steps = 3 lr = 0.01 ' ]"
ok "a point's generate.ini: the base's sections, then the added one" \
    bash -c "[ \"\$(grep '^\[' inc_run/p0001/generate.ini | tr '\n' ' ')\" = '[generate] [pathtracker] [split.train] [split.val] [split.test] ' ]"
# The flattened copy, under the same name and into the same folder, gives the same point configs.
mv inc_run inc_run.include
cp inc_run.include/experiment.ini flat/variant.ini
(cd flat && PATH=$TMPD/fakebin:$PATH "$submit" variant.ini --out "$TMPD/inc_run" >"$OUT" 2>"$ERR")
ok "the flattened copy writes its run folder" test -f inc_run/p0003/train.ini
ok "... with the same points, point configs and commands as the experiment with its include" \
    diff -r -x experiment.ini -x run.conf -x sbatch.err inc_run.include inc_run
ok "... and its experiment.ini is the copy as given (it includes nothing)" cmp -s flat/variant.ini inc_run/experiment.ini
rm -rf inc_run && cp -a inc_run.include inc_run
PATH=$TMPD/fakebin:$PATH "$submit" --rerun inc_run >"$OUT" 2>"$ERR"
ok "--rerun reads the flattened experiment.ini: nothing in the run folder changes" \
    bash -c "grep -q 'sbatch for generate failed' '$ERR' && ! grep -q 'config changed' '$OUT' '$ERR' && diff -r -x sbatch.err inc_run.include inc_run"
printf '[train]\nlr = 0.1\nlr = 0.2\n' >inc/twice.ini
printf 'include = cycle_b.ini\n[train]\nsteps = 1\n' >inc/cycle_a.ini
printf 'include = cycle_a.ini\n' >inc/cycle_b.ini
bad "an include of a missing file" $'; a comment\ninclude = inc/nope.ini\n[train]\nsteps = 1' \
    "bad.ini:2: include = inc/nope.ini: no such file" "relative to bad.ini's folder"
bad "an include cycle" $'include = inc/cycle_a.ini' "inc/cycle_b.ini:1: include = cycle_a.ini: a cycle"
bad "an include after a section" $'[train]\nsteps = 1\ninclude = inc/base.ini' \
    "bad.ini:3: include = inc/base.ini inside [train]" "before the first section"
bad "an indented line after an include" $'include = inc/base.ini\n  inc/twice.ini' \
    "bad.ini:2: an indented line continues the value above"
bad "a key given twice in the including file" $'include = inc/base.ini\n[train]\nsteps = 3\nsteps = 4' \
    "bad.ini:4: [train] steps is given twice, first at bad.ini:3"
bad "a key given twice in the included file" $'include = inc/twice.ini' "inc/twice.ini:3: [train] lr is given twice"

# ---- a subcommand with its own config: [analyze] args = maco {config} plus [maco] ------------
cat >maco.ini <<'INI'
[analyze]
args = maco {config}
[maco]
checkpoint = {point}/model.h5
samples = stage1/{name}/images.h5
steps = 4, 8
INI
"$submit" --local maco.ini --out maco >"$OUT" 2>"$ERR"
ok "[maco] goes into the analysis's config, one value of the axis per point" \
    bash -c "grep -qx 'steps = 8' maco/p0001/analyze.ini && grep -qx 'checkpoint = $TMPD/maco/p0001/model.h5' maco/p0001/analyze.ini"
is "$(tr '\n' ' ' <maco/p0000/analyze.cmd)" \
    "$PHASOR_BUILD/bin/phasor-analyze maco $TMPD/maco/p0000/analyze.ini --out $TMPD/maco/p0000/analyze --force " \
    "{config} names that file in the command"
ok "{name} is the point's folder name (the same point of another run)" \
    grep -qx 'samples = stage1/p0001/images.h5' maco/p0001/analyze.ini

# ---- a 2 x 2 sweep, generate -> train -> analyze, run here ------------------------------------
cp "$root/tests/sweep_tiny.ini" tiny.ini
"$submit" --local tiny.ini --out tiny >"$OUT" 2>"$ERR"
RC=$?
is "$RC" 0 "--local runs the 2 x 2 sweep"
is "$(tail -n +2 tiny/points.tsv | cut -f2,3 | tr '\t\n' ', ')" "8,0 8,2 12,0 12,2 " \
    "points.tsv: the product of the axes, the last axis fastest"
ok "point 2 was generated with length 12, 0 distractors" \
    bash -c "grep -qx 'length = 12' tiny/p0002/generate.ini && grep -qx 'num_distractors = 0' tiny/p0002/generate.ini"
ok "{generate} became the point's own data folder" grep -qx "train = $TMPD/tiny/p0003/generate/train.h5" tiny/p0003/train.ini
files_ok() {
    local p f
    for p in 0 1 2 3; do
        for f in generate/train.h5 generate/val.h5 train/checkpoint.h5 analyze/summary.json; do
            [ -s "tiny/p000$p/$f" ] || { diag "missing tiny/p000$p/$f"; return 1; }
        done
    done
}
ok "every point has its data, checkpoint and summary" files_ok
ok "the training ran on 2 ranks ([slurm.train] ntasks)" grep -q '2 rank(s)' tiny/p0001/train.log
"$status" tiny >"$OUT" 2>"$ERR"
RC=$?
is "$RC" 0 "status: exit 0 when every point is done"
is "$(grep -c '  done' "$OUT")" 4 "status: 4 points done"
ok "status: the axis values of each point" grep -Eq '^0003  length=12 num_distractors=2 +done$' "$OUT"
"$submit" --local --rerun tiny >"$OUT" 2>"$ERR"
RC=$?
ok "--rerun of a finished run does nothing" bash -c "[ $RC = 0 ] && ! grep -q 'point.*done' '$OUT'"
"$submit" --local --jobs 2 tiny.ini --out tiny2 >"$OUT" 2>"$ERR"
RC=$?
is "$RC $(grep -c 'analyze done' "$OUT")" "0 4" "--local --jobs 2 runs the 2 x 2 sweep"
# the stage logs' first and last lines carry the times (seconds)
when() { date -d "$(sed -n "$2"'s/^== \([^ ]*\) .*/\1/p' "$1")" +%s; }
ok "--jobs 2: point 1 started before point 0 ended" \
    bash -c "[ $(when tiny2/p0001/generate.log 1) -lt $(when tiny2/p0000/analyze.log '$') ]"
# Every dataset (videos, labels, weights, optimiser state) compared with h5diff: the files'
# attributes name their own paths, which differ between the two run folders.
same_data() { # same_data RUN: RUN's datasets equal those of tiny (one point at a time)
    local p f ds n=0
    for p in 0 1 2 3; do
        for f in generate/train.h5 generate/val.h5 train/checkpoint.h5 train/best.h5; do
            for ds in $(h5ls -r "tiny/p000$p/$f" | awk '$2 == "Dataset" { print $1 }'); do
                h5diff -q "tiny/p000$p/$f" "$1/p000$p/$f" "$ds" "$ds" >/dev/null 2>&1 ||
                    { diag "$1/p000$p/$f $ds differs from one point at a time"; return 1; }
                n=$((n + 1))
            done
        done
    done
    [ "$n" -ge 32 ] || { diag "only $n datasets compared"; return 1; }
}
ok "--jobs 2: the same datasets as one point at a time (videos, labels, weights)" same_data tiny2
"$submit" --local --jobs 0 tiny.ini --out tiny3 >"$OUT" 2>"$ERR"
is "$? $(grep -c . "$ERR")" "2 1" "--jobs 0: exit 2, one line"

# ---- [sweep] zip: two axes that vary together (a step budget per model, say) -----------------
sed 's/^num_distractors = 0, 2$/num_distractors = 0, 2\n[sweep]\nzip = pathtracker.num_distractors pathtracker.length/' \
    tiny.ini >zip.ini
"$submit" --local zip.ini --out zip >"$OUT" 2>"$ERR"
is "$? $(tail -n +2 zip/points.tsv | cut -f2,3 | tr '\t\n' ', ')" "0 8,0 12,2 " \
    "[sweep] zip: 2 points, the lists' i-th items together (not the 4 of the product)"
ok "[sweep] zip: point 1 generated with length 12 and 2 distractors, and [sweep] reaches no stage" \
    bash -c "grep -qx 'length = 12' zip/p0001/generate.ini && grep -qx 'num_distractors = 2' zip/p0001/generate.ini &&
             ! grep -q 'sweep' zip/p0001/generate.ini zip/p0001/train.ini"
"$submit" --dry-run zip.ini --out zip1 --set pathtracker.length=8 >"$OUT" 2>"$ERR"
is "$? $(grep -o '[0-9]* point(s)' "$OUT")" "0 2 point(s)" \
    "[sweep] zip: a --set that makes one of the tied keys a single value keeps the other axis"

# ---- one bad point: fails alone, status shows its error, a fixed config reruns only it ----
cat >lrs.ini <<'INI'
[pathtracker]
length = 8
num_distractors = 0
[split.train]
n = 48
seed = 1
[split.val]
n = 16
seed = 2
[train]
train = {generate}/train.h5
val = {generate}/val.h5
lr = 0.003, 50
steps = 4
batch = 8
[cnn3d]
width = 4
[analyze]
args = summary {generate}/val.h5 --frames 2
INI
"$submit" --local lrs.ini --out lrs >"$OUT" 2>"$ERR"
is "$? $(grep -c . "$ERR")" "2 1" "lr = 50 at point 1: refused before anything runs, exit 2, one line"
ok "... naming the point's config, the key and the value" grep -q "config error at p0001/train.ini:[0-9]*: .*lr.*50" "$ERR"
ok "... nothing written" test ! -e lrs
# A value inside the ranges that the model refuses at run time: 6 strided stages on 32x32 frames.
sed -i 's/^lr = 0.003, 50$/lr = 0.003/; s/^width = 4$/width = 4\nstages = 3, 6/' lrs.ini
"$submit" --local lrs.ini --out lrs >"$OUT" 2>"$ERR"
is "$?" 1 "--local with a point that fails at run time: exit 1"
"$status" lrs >"$OUT" 2>"$ERR"
ok "status: point 0 done" grep -Eq '^0000  stages=3 +done$' "$OUT"
ok "status: point 1 failed in train with the stage's error line" \
    grep -Eq "^0001  stages=6 +failed +train: phasor-train: .*which allow at most 5 stages" "$OUT"
ok "status: the analysis of point 1 was cancelled" grep -q '^0001 .*\[analyze cancelled\]' "$OUT"
ok "point 1 has no analysis" test ! -e lrs/p0001/analyze
cp lrs/p0000/train/checkpoint.h5 keep.h5
sed -i 's/^stages = 3, 6$/stages = 3, 2/' lrs.ini
"$submit" --local lrs.ini --out lrs >"$OUT" 2>"$ERR"
RC=$?
is "$RC" 0 "after fixing the config the same command finishes the run"
ok "only the changed point ran again" bash -c "! grep -q '^point 0' '$OUT' && grep -q '^point 1: analyze done' '$OUT'"
ok "the finished point's checkpoint is untouched" cmp -s keep.h5 lrs/p0000/train/checkpoint.h5
sed -i 's/^stages = 3, 2$/stages = 2, 1/' lrs.ini
"$submit" --local lrs.ini --out lrs >"$OUT" 2>"$ERR"
RC=$?
ok "a changed config for a finished point is refused (exit 2)" \
    bash -c "[ $RC = 2 ] && grep -q 'point 0 of .* is done but its train config changed' '$ERR'"

# ---- phasor-generate --resume: what slurm/task gives generate so that a restart continues ---
g=tiny/p0000/generate.ini
run_phasor generate "$g" --out gen --quiet
cp gen/train.h5 train.before
rm gen/val.h5
run_phasor generate "$g" --out gen --resume
is "$RC" 0 "generate --resume after a lost split: exit 0"
ok "--resume keeps the finished split file as it is" cmp -s train.before gen/train.h5
ok "--resume says which file it kept" grep -q 'kept gen/train.h5 (complete, same config)' "$ERR"
ok "--resume wrote the missing split, the same data as before" \
    h5diff -q --exclude-attribute / gen/val.h5 tiny/p0000/generate/val.h5
run_phasor generate "$g" --out gen --resume --set split.train.seed=9
ok "--resume refuses a file written from another config (exit 2)" \
    bash -c "[ $RC = 2 ] && grep -q 'gen/train.h5 exists but was written from another config' '$ERR'"
ok "... and leaves it untouched" cmp -s train.before gen/train.h5
run_phasor generate "$g" --out gen --resume --force
is "$RC" 2 "--resume with --force: exit 2"

# ---- a checkpoint signal that leaves no time to work: refused before anything is written ----
printf '[generate]\nchallenge = pathtracker\n[pathtracker]\nlength = 8\n[split.train]\nn = 8\nseed = 1\n' >sig.ini
printf '[slurm]\ntime = 3\nsignal_seconds = 150\n' >>sig.ini
"$submit" --dry-run sig.ini --out sig_run >"$OUT" 2>"$ERR"
RC=$?
is "$RC" 2 "signal_seconds 150 s before a 3-minute limit: exit 2"
ok "... one line naming the limit, signal_seconds and the fix" \
    bash -c "[ \$(wc -l <'$ERR') = 1 ] && grep -q 'time limit 3 leaves less than a minute .* signal_seconds = 150' '$ERR'"
"$submit" --dry-run sig.ini --out sig_run --time 1-00 >"$OUT" 2>"$ERR"
is "$?" 0 "... accepted with --time 1-00 (one day)"

# ---- a rerun submits no job for a stage already done ----------------------------------------
# A fake sbatch records each call; points start at different stages, so each gets its own chain.
mkdir -p recbin
cat >recbin/sbatch <<'SH'
#!/bin/sh
echo "$*" >>"$SBATCH_LOG"
echo $((1000 + $(wc -l <"$SBATCH_LOG")))
SH
printf '#!/bin/sh\nexit 0\n' >recbin/squeue
printf '#!/bin/sh\nexit 0\n' >recbin/scancel
chmod +x recbin/*
export SBATCH_LOG=$TMPD/sbatch.log
: >sbatch.log
PATH=$TMPD/recbin:$PATH "$submit" tiny.ini --out rr >"$OUT" 2>"$ERR"
ok "a fresh submission: one array per stage, every point" \
    bash -c "[ \$(wc -l <sbatch.log) = 3 ] && [ \$(grep -c -- '--array=0-3 ' sbatch.log) = 3 ]"
printf 'done\n' >rr/p0000/generate.state
printf 'done\n' >rr/p0000/train.state
printf 'done\n' >rr/p0001/generate.state
for st in generate train analyze; do printf 'done\n' >rr/p0003/$st.state; done
: >sbatch.log
PATH=$TMPD/recbin:$PATH "$submit" --rerun rr >"$OUT" 2>"$ERR"
is "$?" 0 "the rerun submits"
is "$(wc -l <sbatch.log)" 6 "... 6 arrays: analyze for p0, train and analyze for p1, all three for p2"
ok "... generate only for the point that has not generated" \
    bash -c "[ \$(grep -c 'slurm/generate.sbatch' sbatch.log) = 1 ] && grep 'slurm/generate.sbatch' sbatch.log | grep -q -- '--array=2 '"
ok "... train for p1 without a dependency, for p2 after its generate" \
    bash -c "grep 'slurm/train.sbatch' sbatch.log | grep -- '--array=1 ' | grep -vq dependency && grep 'slurm/train.sbatch' sbatch.log | grep -- '--array=2 ' | grep -q 'dependency=aftercorr:'"
ok "... analyze for p0 alone, without a dependency" \
    bash -c "grep 'slurm/analyze.sbatch' sbatch.log | grep -- '--array=0 ' | grep -vq dependency"
ok "... and it says so" grep -q "stages already done get no job" "$OUT"

# ---- points_per_task on Slurm (recorded sbatch): MaxJobCount, a rerun, status per point -------
# The fake scontrol answers show config with FAKE_MAX_JOBS; the fake squeue prints SQUEUE_OUT.
cat >recbin/scontrol <<'SH'
#!/bin/sh
[ "$1 $2" = "show config" ] && printf 'MaxArraySize            = 1001\nMaxJobCount             = %s\n' "${FAKE_MAX_JOBS:-10000}"
exit 0
SH
printf '#!/bin/sh\n[ -n "${SQUEUE_OUT:-}" ] && cat "$SQUEUE_OUT"\nexit 0\n' >recbin/squeue
chmod +x recbin/*
: >sbatch.log
FAKE_MAX_JOBS=8 PATH=$TMPD/recbin:$PATH "$submit" tiny.ini --out bun >"$OUT" 2>"$ERR"
is "$? $(grep -c . "$ERR")" "2 1" "MaxJobCount 8 (scontrol show config), 4 points x 3 stages: exit 2, one line"
ok "... naming the 12 tasks, MaxJobCount 8 and points_per_task = 2" \
    grep -qF "this run needs 12 array tasks (4 points x 3 stages, 1 point per task) but the cluster's MaxJobCount is 8: set [slurm] points_per_task = 2 (or --points-per-task 2)" "$ERR"
ok "... nothing written, nothing submitted" bash -c "[ ! -e bun ] && [ ! -s sbatch.log ]"
FAKE_MAX_JOBS=8 PATH=$TMPD/recbin:$PATH "$submit" tiny.ini --out bun --points-per-task 2 >"$OUT" 2>"$ERR"
is "$?" 0 "with --points-per-task 2 it submits"
ok "... one array of 2 tasks per stage, each task points 2i and 2i + 1, chained task by task" \
    bash -c "[ \$(grep -c -- '--export=ALL,PHASOR_POINTS_PER_TASK=2,PHASOR_POINT_LAST=3 .*--array=0-1 ' sbatch.log) = 3 ] && [ \$(grep -c 'dependency=aftercorr:' sbatch.log) = 2 ]"
ok "... and says so" grep -q '^  train .*--array=0-1 (points 0-3, 2 per task)' "$OUT"
ok "... the run keeps points_per_task for --rerun" grep -qx 'slurm.points_per_task=2' bun/sets
for st in generate train analyze; do printf 'done\n' >bun/p0000/$st.state; printf 'done\n' >bun/p0001/$st.state; done
printf 'done\n' >bun/p0002/generate.state
printf 'done\n' >bun/p0002/train.state
printf 'done\n' >bun/p0003/generate.state
: >sbatch.log
PATH=$TMPD/recbin:$PATH "$submit" --rerun bun >"$OUT" 2>"$ERR"
is "$?" 0 "a rerun of the bundled run submits"
ok "... train and analyze for the task of points 2-3 (--array=1), nothing for points 0-1 (done)" \
    bash -c "[ \$(wc -l <sbatch.log) = 2 ] && [ \$(grep -c -- 'PHASOR_POINTS_PER_TASK=2,PHASOR_POINT_LAST=3 .*--array=1 ' sbatch.log) = 2 ]"
ok "... train without a dependency, analyze after it" \
    bash -c "grep 'slurm/train.sbatch' sbatch.log | grep -vq dependency && grep 'slurm/analyze.sbatch' sbatch.log | grep -q 'dependency=aftercorr:'"
# slurm/status per point while the train task of points 2-3 runs point 2.
tj=$(awk '$1 == "train" { j = $2 } END { print j }' bun/jobs)
aj=$(awk '$1 == "analyze" { j = $2 } END { print j }' bun/jobs)
printf '%s_1|RUNNING|None\n%s_1|PENDING|Dependency\n' "$tj" "$aj" >squeue.out
printf 'running %s 1 %s\n' "$(hostname -s)" "$tj" >bun/p0002/train.state
SQUEUE_OUT=$TMPD/squeue.out PATH=$TMPD/recbin:$PATH "$status" bun >"$OUT" 2>"$ERR"
ok "status: points 0 and 1 done" bash -c "grep -Eq '^0000 .* done$' '$OUT' && grep -Eq '^0001 .* done$' '$OUT'"
ok "status: point 2 running in its task" grep -Eq "^0002 .* running +train \(job ${tj}_1\)$" "$OUT"
ok "status: point 3 pending, next in the same task" \
    grep -Eq "^0003 .* pending +train: next in its task ${tj}_1 \(points 2-3, run in turn\)$" "$OUT"

# ---- a task of several points (slurm/task RUN STAGE FIRST-LAST), here -------------------------
# Point 1 trains long enough to be signalled; point 2's model does not fit its frames.
cat >bund.ini <<'INI'
[pathtracker]
length = 8
num_distractors = 0
[split.train]
n = 48
seed = 1
[split.val]
n = 16
seed = 2
[train]
train = {generate}/train.h5
val = {generate}/val.h5
steps = 20, 3000, 20
batch = 8
log_every = 20
[cnn3d]
width = 4
stages = 3, 3, 6
[analyze]
args = summary {generate}/val.h5 --frames 2
[sweep]
zip = train.steps cnn3d.stages
INI
PATH=$TMPD/recbin:$PATH "$submit" bund.ini --out bund --points-per-task 3 >"$OUT" 2>"$ERR"
ok "3 points in one task per stage (--array=0)" bash -c "[ \$(grep -c -- '--array=0 (points 0-2, 3 per task)' '$OUT') = 3 ]"
states() { local p; for p in 0 1 2; do printf '%s,' "$(state_of "bund/p000$p/$1.state")"; done; }
state_of() { if [ -f "$1" ]; then head -n1 "$1"; else echo -; fi; }
"$task" --local bund generate 0-2 >"$OUT" 2>"$ERR"
is "$? $(states generate)" "0 done,done,done," "slurm/task bund generate 0-2: the three points in turn"
"$task" --local bund train 0-2 >"$OUT" 2>"$ERR" &
tp=$!
for _ in $(seq 1200); do [ -s bund/p0001/train/train.jsonl ] && break; sleep 0.05; done
kill -USR1 "$tp"
wait "$tp"
is "$? $(states train)" "1 done,stopped USR1,-," "USR1 while point 1 trains: exit 1, point 0 done, point 1 stopped, point 2 not started"
k=$(sed -n 's/^phasor-train: stopped by signal 10 after step \([0-9]*\);.*/\1/p' bund/p0001/train.log)
ok "... point 1 saved its checkpoint after step ${k:-?}" test -n "$k"
"$task" --local bund train 0-2 >"$OUT" 2>"$ERR"
is "$? $(states train | cut -c1-16)" "0 done,done,failed" \
    "the task again: exit 0 with point 2 failed (its points fail alone)"
ok "... point 0 skipped as done, point 1 resumed after step $k, point 2 ran" \
    bash -c "grep -q 'train of point 0 is already done' bund/p0000/train.log && grep -q 'resuming after step $k of 3000' bund/p0001/train.log && grep -q 'which allow at most 5 stages' bund/p0002/train.log"
ok "... and it says so" grep -q 'train of points 0-2: 2 done, 1 failed (2), 0 skipped' "$OUT"
"$task" --local bund analyze 0-2 >"$OUT" 2>"$ERR"
is "$? $(states analyze)" "0 done,done,-," "analyze 0-2: points 0 and 1, not point 2 (its training failed)"
ok "... point 2's log says why" grep -q 'analyze of point 2 skipped: its train is not done (failed ' bund/p0002/analyze.log
PATH=$TMPD/recbin:$PATH "$status" bund >"$OUT" 2>"$ERR"
ok "status: 0 and 1 done, 2 failed in train with its error, its analysis skipped" \
    bash -c "grep -Eq '^0000 .* done$' '$OUT' && grep -Eq '^0001 .* done$' '$OUT' && grep -Eq '^0002 .* failed +train: phasor-train: .*at most 5 stages.*\[analyze skipped\]$' '$OUT'"

done_testing
