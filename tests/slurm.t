#!/usr/bin/env bash
# Sweeps on a real single-node Slurm cluster that this test starts (slurm/cluster: munged,
# slurmctld, slurmd; slurm-wlm and munge are installed first when root and missing) and stops
# by process id:
#   1. a 2 x 2 sweep generate -> train -> analyze as job arrays chained by aftercorr gives the
#      same datasets and parameters as the same sweep run with --local;
#   2. training tasks signalled with USR1 mid-run (to the batch shell, as --signal=B:USR1 does
#      before a time limit, and to the job step) checkpoint, requeue themselves, resume and end
#      bit-identical to an uninterrupted run;
#   1b. arrays split below MaxArraySize run their points; 1,500 points go in as two arrays;
#   1c. with points_per_task = 2 each array task runs two points in turn: every point done, the
#       same outputs as --local; USR1 while a task's second point trains requeues the task,
#       which skips the first point and resumes the second, bit-identical;
#   3. a value out of range is refused at submission (naming the point), nothing written; a
#      point that fails at run time fails alone, status shows its error line, its dependent task
#      is cancelled (not left pending), the other points finish; the fixed config reruns only it;
#   4. nothing is left running afterwards.
# Skipped, with the reason, only where Slurm cannot be installed or started (not root, no apt).
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
submit=$root/slurm/submit status=$root/slurm/status cluster=$root/slurm/cluster
export PHASOR_BUILD
cd "$TMPD" || bail_out "cannot enter $TMPD"
D=$TMPD/cluster

# Processes of our cluster: they all inherited SLURM_CONF=$D/slurm.conf from slurm/cluster.
ours() {
    (
        unset SLURM_CONF
        for p in /proc/[0-9]*; do
            { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qx "SLURM_CONF=$D/slurm.conf" && echo "${p#/proc/}"
        done
    )
}
cleanup() {
    if [ -f "$D/slurmctld.pid.bg" ]; then
        timeout 10 scancel --user="$(id -un)" 2>/dev/null
        for _ in $(seq 100); do [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break; sleep 0.1; done
        "$cluster" stop "$D"
    fi
}
trap 'st=$?; cleanup; (exit $st); _tap_exit' EXIT

"$cluster" start "$D" >"$OUT" 2>"$ERR"
RC=$?
if [ "$RC" = 3 ]; then
    skip "Slurm cannot run here: $(head -n1 "$ERR")"
    done_testing
    exit 0
fi
is "$RC" 0 "slurm/cluster start: a single-node cluster is up" || bail_out "cannot start Slurm: $(cat "$ERR")"
export SLURM_CONF=$D/slurm.conf
ok "sinfo shows the node idle" bash -c "timeout 10 sinfo -h -o %t | grep -qx idle"
ports_below_ephemeral() { # a port in ip_local_port_range could be taken by any connection
    local lo p
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range || return 1
    p=$(sed -n 's/^SlurmdPort=//p' "$D/slurm.conf")
    diag "slurmd port $p, outgoing connections from $lo"
    [ -n "$p" ] && [ "$p" -lt "$lo" ]
}
ok "the cluster's ports lie below the kernel's range for outgoing connections" ports_below_ephemeral

# wait_run RUN [SECONDS]: until no job of the run is queued (default 240 s)
wait_run() {
    local ids i
    ids=$(awk '{ printf "%s%s", (n++ ? "," : ""), $2 }' "$1/jobs")
    for i in $(seq $((${2:-240} * 5))); do
        [ -z "$(timeout 10 squeue -h -j "$ids" 2>/dev/null)" ] && return 0
        sleep 0.2
    done
    diag "jobs $ids of $1 still queued after ${2:-240} s:" "$(squeue -r -j "$ids" 2>&1)"
    return 1
}
job_of() { awk -v s="$2" '$1 == s { j = $2 } END { print j }' "$1/jobs"; }
jstate() { timeout 10 scontrol show job "$1" 2>/dev/null | grep -oE "$2=[^ ]*" | head -n1 | cut -d= -f2; }
same_data() { # same_data RUN_A RUN_B POINTS...: datasets and parameters identical
    local p f bad=0
    for p in "${@:3}"; do
        for f in generate/train.h5 generate/val.h5 train/checkpoint.h5 train/best.h5; do
            h5diff -q --exclude-attribute / "$1/$p/$f" "$2/$p/$f" >/dev/null 2>&1 ||
                { diag "$p/$f differs between $1 and $2"; bad=1; }
        done
    done
    return $bad
}

# ---- 1. the 2 x 2 sweep on Slurm equals --local ----------------------------------------------
cp "$root/tests/sweep_tiny.ini" tiny.ini
printf '[slurm]\ntime = 00:10:00\n' >>tiny.ini
t0=$(date +%s)
"$submit" tiny.ini --out tiny_slurm >"$OUT" 2>"$ERR"
is "$?" 0 "submit the 2 x 2 sweep to Slurm"
ok "it prints a job id per stage and the status command" \
    bash -c "[ \$(grep -cE '^  (generate|train|analyze) +job [0-9]+ +--array=0-3' '$OUT') = 3 ] && grep -q '^status: .*slurm/status .*tiny_slurm' '$OUT'"
ok "the sweep's 12 array tasks finish" wait_run tiny_slurm
diag "Slurm sweep: $(($(date +%s) - t0)) s"
states=$(for s in generate train analyze; do for i in 0 1 2 3; do jstate "$(job_of tiny_slurm $s)_$i" JobState; done; done | sort | uniq -c | tr -s ' ')
is "$states" " 12 COMPLETED" "Slurm: all 12 tasks COMPLETED"
"$status" tiny_slurm >"$OUT" 2>"$ERR"
RC=$?
ok "status: 4 points done (exit 0)" bash -c "[ $RC = 0 ] && [ \$(grep -c '  done' '$OUT') = 4 ]"
ok "the train step ran 2 ranks under srun" bash -c "grep -q '^== srun ' tiny_slurm/p0002/train.log && grep -q '2 rank(s)' tiny_slurm/p0002/train.log"
t0=$(date +%s)
"$submit" --local tiny.ini --out tiny_local >"$OUT" 2>"$ERR"
is "$?" 0 "the same sweep with --local"
diag "--local sweep: $(($(date +%s) - t0)) s"
ok "Slurm and --local: identical datasets and parameters at all 4 points" \
    same_data tiny_slurm tiny_local p0000 p0001 p0002 p0003
ok "Slurm and --local: identical contact sheets" \
    bash -c 'for p in 0 1 2 3; do cmp -s tiny_slurm/p000$p/analyze/contact_sheet.png tiny_local/p000$p/analyze/contact_sheet.png || exit 1; done'
aid=$(h5dump -a /slurm_array_task_id tiny_slurm/p0003/generate/train.h5 2>/dev/null | grep -o '"[0-9]*"')
is "$aid" '"3"' "provenance: the Slurm output records its array task id"

# ---- 1b. arrays split below MaxArraySize: task i of an array with offset K is point K + i ------
PHASOR_MAX_ARRAY_SIZE=3 "$submit" tiny.ini --out tiny_split >"$OUT" 2>"$ERR"
is "$?" 0 "submit the 2 x 2 sweep in arrays of at most 3 tasks"
ok "two arrays per stage: points 0-2, and point 3 as task 0 of an array from 3" \
    bash -c "[ \$(grep -cE -- '--array=0-2( |\$)' '$OUT') = 3 ] && [ \$(grep -cF -- '--array=0 (points from 3)' '$OUT') = 3 ]"
ok "the 6 arrays finish" wait_run tiny_split
"$status" tiny_split >"$OUT" 2>"$ERR"
RC=$?
ok "status: 4 points done (exit 0)" bash -c "[ $RC = 0 ] && [ \$(grep -c '  done' '$OUT') = 4 ]"
ok "point 3 ran as point 3 (its log says so)" grep -q 'train of point 3, start 1' tiny_split/p0003/train.log
ok "... its data and parameters equal those of the single-array run" same_data tiny_slurm tiny_split p0003

# ---- 1c. points_per_task = 2: each array task runs two points in turn; the same outputs ---------
t0=$(date +%s)
"$submit" tiny.ini --out tiny_bundled --points-per-task 2 >"$OUT" 2>"$ERR"
is "$?" 0 "submit the 2 x 2 sweep with 2 points per task"
ok "one array of 2 tasks per stage, each of 2 points" \
    bash -c "[ \$(grep -cF -- '--array=0-1 (points 0-3, 2 per task)' '$OUT') = 3 ]"
ok "the 6 array tasks finish" wait_run tiny_bundled
diag "Slurm sweep with 2 points per task: $(($(date +%s) - t0)) s"
states=$(for s in generate train analyze; do for i in 0 1; do jstate "$(job_of tiny_bundled $s)_$i" JobState; done; done | sort | uniq -c | tr -s ' ')
is "$states" " 6 COMPLETED" "Slurm: all 6 tasks COMPLETED"
"$status" tiny_bundled >"$OUT" 2>"$ERR"
RC=$?
ok "status: 4 points done (exit 0)" bash -c "[ $RC = 0 ] && [ \$(grep -c '  done' '$OUT') = 4 ]"
tj=$(job_of tiny_bundled train)
ok "train task 1 ran points 2 and 3, each under srun with 2 ranks" \
    bash -c "for p in 2 3; do grep -q \"^== .* train of point \$p (one of points 2-3), start 1, .*(array ${tj}_1)\" tiny_bundled/p000\$p/train.log && grep -q '^== srun ' tiny_bundled/p000\$p/train.log && grep -q '2 rank(s)' tiny_bundled/p000\$p/train.log || exit 1; done"
ok "2 points per task and --local: identical datasets and parameters at all 4 points" \
    same_data tiny_bundled tiny_local p0000 p0001 p0002 p0003
ok "2 points per task and --local: identical contact sheets" \
    bash -c 'for p in 0 1 2 3; do cmp -s tiny_bundled/p000$p/analyze/contact_sheet.png tiny_local/p000$p/analyze/contact_sheet.png || exit 1; done'

# A sweep beyond the cluster's MaxArraySize (1001 here): 1,500 points submitted on hold, then cancelled.
printf '[train]\ntrain = x.h5\nval = x.h5\nseed = %s\nlr = %s\n[slurm]\nextra = --hold\n' \
    "$(seq -s, 1 15)" "$(seq -s, 1 100 | sed 's/\([0-9]*\)/0.00\1/g')" >big.ini
t0=$(date +%s)
"$submit" big.ini --out big >"$OUT" 2>"$ERR"
is "$?" 0 "submit 1,500 points to a cluster whose MaxArraySize is 1001"
diag "1,500 points: run folder written and submitted in $(($(date +%s) - t0)) s"
ok "... as two arrays: tasks 0-1000 and 0-498 (points from 1001)" \
    bash -c "grep -qE -- '--array=0-1000( |\$)' '$OUT' && grep -qF -- '--array=0-498 (points from 1001)' '$OUT'"
is "$(timeout 20 squeue -h -r -j "$(awk '{ printf "%s%s", (n++ ? "," : ""), $2 }' big/jobs)" | wc -l)" 1500 \
    "Slurm holds 1,500 tasks"
scancel "$(awk '{ printf "%s%s", (n++ ? "," : ""), $2 }' big/jobs)"

# ---- 2. USR1 mid-run: checkpoint, requeue, resume, bit-identical -------------------------------
cat >sig.ini <<'INI'
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
seed = 1, 2
steps = 2000
batch = 8
log_every = 20
eval_every = 2000
checkpoint_every = 2000
[cnn3d]
width = 4
[slurm]
max_requeue = 3
INI
"$submit" sig.ini --out sig_slurm >"$OUT" 2>"$ERR"
is "$?" 0 "submit 2 long trainings"
tj=$(job_of sig_slurm train)
# Each one as soon as it has logged its first steps; the last array task first, since it
# carries the array's own job id: its requeue must leave its sibling running.
for _ in $(seq 1200); do [ -s sig_slurm/p0001/train/train.jsonl ] && break; sleep 0.05; done
scancel --signal=USR1 "${tj}_1" # to the job step only
for _ in $(seq 600); do grep -q 'requeueing job' sig_slurm/p0001/train.log && break; sleep 0.05; done
is "$(jstate "${tj}_0" Restarts)" 0 "requeueing the array task that carries the array's id leaves the other task running"
for _ in $(seq 1200); do [ -s sig_slurm/p0000/train/train.jsonl ] && break; sleep 0.05; done
scancel --batch --signal=USR1 "${tj}_0" # what --signal=B:USR1@SECONDS delivers
ok "both trainings finish after the signals" wait_run sig_slurm 300
for p in 0 1; do
    how=$([ $p = 0 ] && echo "USR1 to the batch shell" || echo "USR1 to the step")
    log=sig_slurm/p000$p/train.log
    k=$(sed -n 's/^phasor-train: stopped by signal 10 after step \([0-9]*\);.*/\1/p' "$log" | head -n1)
    ok "$how: train stopped at step ${k:-?} of 2000 with a checkpoint" test -n "$k" -a "${k:-2000}" -lt 2000
    ok "$how: the job requeued itself and the next start resumed after step $k" \
        bash -c "grep -q 'requeueing job' '$log' && grep -q 'resuming after step $k of 2000' '$log'"
    is "$(jstate "${tj}_$p" Restarts) $(jstate "${tj}_$p" JobState)" "1 COMPLETED" "$how: Slurm counts 1 restart, then COMPLETED"
done
"$submit" --local sig.ini --out sig_local >"$OUT" 2>"$ERR"
is "$?" 0 "the same trainings uninterrupted with --local"
ok "signalled, requeued and resumed trainings end bit-identical to uninterrupted ones" \
    same_data sig_slurm sig_local p0000 p0001

# Both trainings in one task (points_per_task = 2): USR1 while the second point trains.
"$submit" sig.ini --out sig_bundled --points-per-task 2 >"$OUT" 2>"$ERR"
is "$?" 0 "submit the 2 trainings as one task of 2 points"
tj=$(job_of sig_bundled train)
for _ in $(seq 1200); do [ -s sig_bundled/p0001/train/train.jsonl ] && break; sleep 0.05; done
scancel --batch --signal=USR1 "${tj}_0"
ok "the task finishes after the signal" wait_run sig_bundled 300
log=sig_bundled/p0001/train.log
k=$(sed -n 's/^phasor-train: stopped by signal 10 after step \([0-9]*\);.*/\1/p' "$log" | head -n1)
ok "USR1 reached point 1's training: stopped at step ${k:-?} of 2000 with a checkpoint; the task requeued itself" \
    bash -c "[ -n '$k' ] && [ '${k:-2000}' -lt 2000 ] && grep -q 'requeueing job ${tj}_0' '$log'"
ok "the next start skipped point 0 (done) and resumed point 1 after step $k" \
    bash -c "grep -q 'train of point 0 is already done' sig_bundled/p0000/train.log && grep -q 'resuming after step $k of 2000' '$log'"
is "$(jstate "${tj}_0" Restarts) $(jstate "${tj}_0" JobState)" "1 COMPLETED" "Slurm counts 1 restart of the task, then COMPLETED"
ok "both points end bit-identical to uninterrupted trainings" same_data sig_bundled sig_local p0000 p0001

# ---- 3. a bad value is refused at submission; a point that fails at run time fails alone -------
sed 's/^length = 8, 12$/length = 8/; s/^num_distractors = 0, 2$/num_distractors = 0/; s/^steps = 6$/lr = 0.003, 50\nsteps = 4/' tiny.ini >bad_lr.ini
"$submit" bad_lr.ini --out bad_lr >"$OUT" 2>"$ERR"
is "$? $(grep -c . "$ERR")" "2 1" "lr = 50 at point 1 (out of range): refused at submission, exit 2, one line"
ok "... naming the point, the key and its range" grep -q "config error at p0001/train.ini:[0-9]*: .*lr.*50" "$ERR"
ok "... with nothing written (no run folder, no job)" test ! -e bad_lr
# 6 strided stages pass the config's ranges but not 32x32 frames: the model says so at run time.
sed 's/^length = 8, 12$/length = 8/; s/^num_distractors = 0, 2$/num_distractors = 0/; s/^steps = 6$/steps = 4/; s/^width = 4$/width = 4\nstages = 3, 6/' tiny.ini >lrs.ini
"$submit" lrs.ini --out lrs >"$OUT" 2>"$ERR"
is "$?" 0 "submit 2 points, the second with 6 strided stages on 32x32 frames"
ok "the sweep ends" wait_run lrs
"$status" lrs >"$OUT" 2>"$ERR"
RC=$?
is "$RC" 1 "status: exit 1 (not every point is done)"
ok "status: the bad point failed in train with phasor-train's error line; its analysis cancelled" \
    grep -Eq "^0001  stages=6 +failed +train: phasor-train: .*which allow at most 5 stages.*\\[analyze cancelled\\]" "$OUT"
ok "status: the other point is done" grep -Eq '^0000  stages=3 +done$' "$OUT"
is "$(jstate "$(job_of lrs train)_1" JobState)" FAILED "Slurm: the bad point's training FAILED"
is "$(jstate "$(job_of lrs analyze)_1" JobState) $(jstate "$(job_of lrs analyze)_1" Reason)" \
    "CANCELLED DependencyNeverSatisfied" "Slurm: its analysis CANCELLED, not left pending"
is "$(jstate "$(job_of lrs analyze)_0" JobState)" COMPLETED "Slurm: the other point's analysis COMPLETED"
cp lrs/p0000/train/checkpoint.h5 keep.h5
sed -i 's/^stages = 3, 6$/stages = 3, 2/' lrs.ini
"$submit" lrs.ini --out lrs >"$OUT" 2>"$ERR"
ok "the fixed config resubmits only the failed point's stages not done: train and analyze (--array=1)" \
    bash -c "[ \$(grep -cE -- '--array=1( |\$)' '$OUT') = 2 ] && ! grep -q '^  generate ' '$OUT' && grep -q 'stages already done get no job' '$OUT'"
wait_run lrs
"$status" lrs >"$OUT" 2>"$ERR"
ok "then every point is done, the finished ones untouched" \
    bash -c "[ \$(grep -c '  done' '$OUT') = 2 ] && cmp -s keep.h5 lrs/p0000/train/checkpoint.h5"

# ---- 4. stop by process id; nothing left ----------------------------------------------------------
pids=$(cat "$D"/*.pid.bg 2>/dev/null | paste -sd' ')
cleanup
ok "slurm/cluster stop: the daemons it started ($pids) are gone" bash -c "for p in $pids; do kill -0 \$p 2>/dev/null && exit 1; done; exit 0"
left=$(ours)
is "$left" "" "no process of the test cluster is left (slurmctld, slurmd, munged, slurmstepd, jobs)"
done_testing
