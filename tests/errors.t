#!/usr/bin/env bash
# errors.t: bad input to phasor-generate gets one clear error line, the
# documented exit code (2 usage or config error, 1 runtime failure) and no
# output file under its final name, nor a NAME.partial left behind
# (DESIGN.md: "Errors a person can act on", "Atomic outputs", "Configs").
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

BIN=$PHASOR_BUILD/bin/phasor-generate
[ -x "$BIN" ] || bail_out "no $BIN (run make build, or set PHASOR_BUILD)"
command -v mpirun >/dev/null || bail_out "mpirun not found (install openmpi-bin)"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$TMPD" || bail_out "cannot enter $TMPD"

# ---- helpers ---------------------------------------------------------------

# valid_ini OUT_DIR [N]: a small valid config (8 frames, N samples).
valid_ini() {
    cat <<EOF
[generate]
out_dir = $1
[pathtracker]
length = 8
num_distractors = 2
[split.train]
n = ${2:-16}
seed = 1
EOF
}

# line_has LINE NEEDLE...: LINE starts with "phasor-generate: " and holds every NEEDLE.
line_has() {
    local line=$1 n
    shift
    [[ $line == "phasor-generate: "* ]] || return 1
    for n; do [[ $line == *"$n"* ]] || return 1; done
}

no_output() { [ ! -e "$1/train.h5" ] && [ ! -e "$1/train.h5.partial" ]; }

# expect_error NAME WANT_RC OUT_DIR NEEDLE...: checks the last run; OUT_DIR '-'
# when the caller checks the folder itself.
expect_error() {
    local name=$1 want=$2 dir=$3
    shift 3
    is "$RC" "$want" "$name: exit code $want"
    is "$(grep -c '^phasor-' "$ERR")" 1 "$name: exactly one phasor- line on stderr"
    ok "$name: the line names the cause (${*})" line_has "$(grep -m1 '^phasor-' "$ERR")" "$@"
    [ "$dir" = - ] || ok "$name: no $dir/train.h5, no $dir/train.h5.partial" no_output "$dir"
}

# expect_error_mpi NAME WANT_RC OUT_DIR NEEDLE...: the same after run_mpi; the
# error line itself must appear exactly once (rank 0 speaks, not every rank).
expect_error_mpi() {
    local name=$1 want=$2 dir=$3
    shift 3
    is "$RC" "$want" "$name: mpirun exit code $want"
    local line n=0
    while IFS= read -r line; do line_has "$line" "$@" && n=$((n + 1)); done <"$ERR"
    is "$n" 1 "$name: the error line naming (${*}) is printed once"
    is "$(grep -c '^phasor-' "$ERR")" 1 "$name: no other phasor- line"
    [ "$dir" = - ] || ok "$name: no $dir/train.h5, no $dir/train.h5.partial" no_output "$dir"
}

# ---- config errors (each case: NAME, config text, expected words) ----------

# Each config file is CASE.ini; its out_dir is out-CASE.
cat >unknown-key.ini <<EOF
[generate]
out_dir = out-unknown-key
[pathtracker]
lenght = 8
[split.train]
n = 16
seed = 1
EOF
cat >unknown-section.ini <<EOF
[generate]
out_dir = out-unknown-section
[pathtraker]
length = 8
[split.train]
n = 16
seed = 1
EOF
cat >wrong-type.ini <<EOF
[generate]
out_dir = out-wrong-type
[pathtracker]
length = abc
[split.train]
n = 16
seed = 1
EOF
cat >zero-length.ini <<EOF
[generate]
out_dir = out-zero-length
[pathtracker]
length = 0
[split.train]
n = 16
seed = 1
EOF
cat >negative-n.ini <<EOF
[generate]
out_dir = out-negative-n
[pathtracker]
length = 8
[split.train]
n = -5
seed = 1
EOF
cat >negative-distractors.ini <<EOF
[generate]
out_dir = out-negative-distractors
[pathtracker]
length = 8
num_distractors = -1
[split.train]
n = 16
seed = 1
EOF
cat >too-long.ini <<EOF
[generate]
out_dir = out-too-long
[pathtracker]
length = 128
skip = 4
[split.train]
n = 16
seed = 1
EOF
cat >missing-seed.ini <<EOF
[generate]
out_dir = out-missing-seed
[pathtracker]
length = 8
[split.train]
n = 16
EOF
cat >malformed.ini <<EOF
[generate]
out_dir = out-malformed
[pathtracker]
length 8
[split.train]
n = 16
seed = 1
EOF
valid_ini out-valid >valid.ini

# case table: NAME|ARGS (word-split)|NEEDLES (separated by ';')
CASES=(
    "unknown key|unknown-key.ini|unknown key 'lenght' in [pathtracker];unknown-key.ini:4"
    "unknown section|unknown-section.ini|unknown section [pathtraker];unknown-section.ini:4"
    "wrong type|wrong-type.ini|[pathtracker] length = 'abc' is not an integer;wrong-type.ini:4"
    "T=0|zero-length.ini|[pathtracker] length = 0 is out of range;zero-length.ini:4"
    "N<0|negative-n.ini|[split.train] n = -5 is out of range;negative-n.ini:6"
    "num_distractors<0|negative-distractors.ini|[pathtracker] num_distractors = -1 is out of range;negative-distractors.ini:5"
    "length x skip too long|too-long.ini|length x skip = 128 x 4 = 512 exceeds;too-long.ini:5"
    "missing required key|missing-seed.ini|[split.train] lacks required key 'seed';missing-seed.ini"
    "malformed INI line|malformed.ini|not an INI line;malformed.ini:4"
    "config file does not exist|does-not-exist.ini|cannot read config does-not-exist.ini;No such file"
    "unknown option|--bogus valid.ini|unknown option '--bogus'"
    "bad --set syntax|--set pathtracker.length valid.ini|bad --set 'pathtracker.length'"
    "bad --set, no section|--set length=8 valid.ini|bad --set 'length=8'"
    "--set out of range|--set pathtracker.length=1000 valid.ini|config error at --set: [pathtracker] length = 1000 is out of range"
    "--set, missing config argument|--set pathtracker.length=8|expected one CONFIG.ini argument, got 0"
)

# out_dir_of ARGS: the out_dir a case would write (out-CASE, or out-valid).
out_dir_of() {
    local a
    for a in $1; do
        [[ $a == *.ini ]] && { echo "out-${a%.ini}"; return; }
    done
    echo out-valid
}

for c in "${CASES[@]}"; do
    IFS='|' read -r name args needles <<<"$c"
    IFS=';' read -r -a words <<<"$needles"
    # shellcheck disable=SC2086  # ARGS is a word list by design
    run_phasor generate --quiet $args
    expect_error "$name" 2 "$(out_dir_of "$args")" "${words[@]}"
done

# ---- output folder and existing outputs -------------------------------------

: >afile
run_phasor generate --quiet --out afile/sub valid.ini
expect_error "unwritable output directory (parent is a file)" 2 afile/sub \
    "cannot create output directory afile/sub" "Not a directory" "--out"
ok "unwritable output directory: the file in the way is untouched" test -f afile -a ! -s afile

run_phasor generate --quiet --out "" valid.ini
expect_error "empty --out" 2 - "cannot create output directory"

mkdir adir
run_phasor generate --quiet adir
expect_error "config path is a directory" 2 - "cannot read config adir"

valid_ini out-existing 8 >existing.ini
run_phasor generate --quiet existing.ini
is "$RC" 0 "existing output: a first run succeeds"
cp out-existing/train.h5 before.h5 2>/dev/null
run_phasor generate --quiet --set split.train.seed=2 existing.ini
is "$RC" 2 "existing output without --force: exit code 2"
is "$(grep -c '^phasor-' "$ERR")" 1 "existing output without --force: exactly one phasor- line"
ok "existing output without --force: the line names the file and --force" \
    line_has "$(grep -m1 '^phasor-' "$ERR")" "output out-existing/train.h5 already exists" "--force"
ok "existing output without --force: the file is byte-identical" cmp -s before.h5 out-existing/train.h5
ok "existing output without --force: no train.h5.partial" test ! -e out-existing/train.h5.partial

run_phasor generate --quiet --force --set split.train.seed=2 existing.ini
is "$RC" 0 "--force: exit code 0"
is "$(grep -c '^phasor-' "$ERR")" 0 "--force --quiet: nothing from phasor on stderr"
ok "--force: the output was replaced (bytes differ)" eval '! cmp -s before.h5 out-existing/train.h5'
if command -v h5dump >/dev/null; then
    ok "--force: the new file is readable HDF5 with seed 2" \
        eval "h5dump -a /seed out-existing/train.h5 2>/dev/null | grep -Eq '\(0\): 2\$'"
else
    skip "h5dump not installed (hdf5-tools)"
fi
ok "--force: no train.h5.partial" test ! -e out-existing/train.h5.partial
cp out-existing/train.h5 after-force.h5 2>/dev/null

# ---- runtime failures (exit 1) ---------------------------------------------

mkdir -p out-blocked/train.h5.partial
run_phasor generate --quiet --out out-blocked valid.ini
expect_error "a directory in the way of train.h5.partial" 1 - \
    "creating out-blocked/train.h5.partial failed"
ok "a directory in the way of train.h5.partial: no train.h5" test ! -e out-blocked/train.h5
ok "a directory in the way of train.h5.partial: the directory is untouched" \
    test -d out-blocked/train.h5.partial

mkdir -p out-isdir/train.h5/keep
run_phasor generate --quiet --force --out out-isdir valid.ini
expect_error "--force onto a directory named train.h5" 1 - \
    "renaming the finished output into place failed" "Is a directory"
ok "--force onto a directory named train.h5: no train.h5.partial left" \
    test ! -e out-isdir/train.h5.partial
ok "--force onto a directory named train.h5: the directory is untouched" test -d out-isdir/train.h5/keep

# ---- the same errors under mpirun -np 2: rank 0 speaks once ----------------

for c in "${CASES[@]:0:10}" "${CASES[13]}"; do
    IFS='|' read -r name args needles <<<"$c"
    IFS=';' read -r -a words <<<"$needles"
    # shellcheck disable=SC2086
    run_mpi 2 generate --quiet $args
    expect_error_mpi "np=2 $name" 2 "$(out_dir_of "$args")" "${words[@]}"
done
run_mpi 2 generate --quiet --out afile/sub valid.ini
expect_error_mpi "np=2 unwritable output directory" 2 afile/sub "cannot create output directory afile/sub"
run_mpi 2 generate --quiet existing.ini
expect_error_mpi "np=2 existing output without --force" 2 - \
    "output out-existing/train.h5 already exists"
ok "np=2 existing output without --force: the file is unchanged" \
    eval 'cmp -s out-existing/train.h5 after-force.h5'
rm -rf out-isdir && mkdir -p out-isdir/train.h5/keep
run_mpi 2 generate --quiet --force --out out-isdir valid.ini
expect_error_mpi "np=2 --force onto a directory named train.h5" 1 - \
    "renaming the finished output into place failed"
ok "np=2 --force onto a directory named train.h5: no train.h5.partial left" \
    test ! -e out-isdir/train.h5.partial

# ---- includes: a base config, the including file's keys over it -----------

# inc/base.ini is a whole config; variant.ini includes it and states what differs.  The
# generated samples and the effective config equal those of the flattened text that
# slurm/submit makes of variant.ini (slurm/expand.awk, the other reader of includes).
mkdir -p inc
valid_ini out-inc 12 >inc/base.ini
printf '; what differs\ninclude = inc/base.ini\n[pathtracker]\nlength = 10 ; longer\n[split.val]\nn = 4\nseed = 2\n' >variant.ini
X_SRC=variant.ini X_WRITE=flat awk -f "$root/slurm/expand.awk" variant.ini >flat.ini
ok "slurm/expand.awk flattens variant.ini (one file, no include line)" \
    bash -c "grep -qx 'length = 10' flat.ini && ! grep -q '^include' flat.ini && grep -qx 'seed = 1' flat.ini"
# samples: every dataset as bytes; config: the effective text, less its "from FILE" line
config_of() { h5dump -a /config "$1" | sed '1d; /STRSIZE/d; s/ from .*$//'; }
same_samples() {
    local ds
    for ds in x y; do
        h5dump -d "/$ds" -b LE -o "$1.$ds.bin" "$1" >/dev/null 2>&1 || return 1
        h5dump -d "/$ds" -b LE -o "$2.$ds.bin" "$2" >/dev/null 2>&1 || return 1
        cmp -s "$1.$ds.bin" "$2.$ds.bin" || { diag "/$ds differs"; return 1; }
    done
    [ "$(config_of "$1")" = "$(config_of "$2")" ] || { diag "the effective configs differ"; return 1; }
}
for np in 1 2; do
    rm -rf out-inc
    run_mpi "$np" generate --quiet variant.ini
    is "$RC" 0 "np=$np: a config that includes a base generates"
    mv out-inc "inc-$np"
    run_mpi "$np" generate --quiet flat.ini
    is "$RC" 0 "np=$np: its flattened text generates"
    ok "np=$np: the same samples and effective config (length 10 over the base's 8, split val added)" \
        same_samples "inc-$np/val.h5" out-inc/val.h5
    ok "np=$np: ... the base's split too" same_samples "inc-$np/train.h5" out-inc/train.h5
done
ok "the effective config has the override and the base's keys" \
    bash -c "h5dump -a /config inc-1/train.h5 | grep -q 'length = 10' && h5dump -a /config inc-1/train.h5 | grep -q 'num_distractors = 2'"
run_phasor generate --check variant.ini
is "$RC" 0 "--check reads the include too"

printf 'include = inc/base.ini\n[pathtracker]\nlength = 10\nlength = 12\n' >inc-twice.ini
printf '; a comment\ninclude = inc/nope.ini\n' >inc-missing.ini
printf 'include = inc/cycle.ini\n' >inc-cycle.ini
printf 'include = ../inc-cycle.ini\n' >inc/cycle.ini
printf '[generate]\ninclude = inc/base.ini\n' >inc-late.ini
printf 'include = inc/base.ini\n[pathtracker]\nlength = 1000\n' >inc-range.ini
INC_CASES=(
    "include: a key given twice in one file|inc-twice.ini|inc-twice.ini:4: [pathtracker] length is given twice, first at inc-twice.ini:3"
    "include: no such file|inc-missing.ini|inc-missing.ini:2: include = inc/nope.ini: no such file;relative to inc-missing.ini's folder"
    "include: a cycle|inc-cycle.ini|inc/cycle.ini:1: include = ../inc-cycle.ini: a cycle"
    "include after a section|inc-late.ini|inc-late.ini:2: include = inc/base.ini inside [generate];before the first section"
    "include: a bad value over the base|inc-range.ini|inc-range.ini:3: [pathtracker] length = 1000 is out of range"
)
for c in "${INC_CASES[@]}"; do
    IFS='|' read -r name args needles <<<"$c"
    IFS=';' read -r -a words <<<"$needles"
    run_phasor generate --quiet --out out-incbad "$args"
    expect_error "$name" 2 out-incbad "${words[@]}"
    run_mpi 2 generate --quiet --out out-incbad "$args"
    expect_error_mpi "np=2 $name" 2 out-incbad "${words[@]}"
done

# ---- killed runs: SIGTERM leaves neither NAME nor NAME.partial -------------

# wait_for COND_CMD... : polls for up to 30 s; 0 once COND holds.
wait_for() {
    local i
    for ((i = 0; i < 300; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

# kill_test NAME LAUNCHER...: starts a long run of big.ini, SIGTERMs it once
# out-big/train.h5.partial exists, then checks the exit code and the folder.
valid_ini out-big 200000 | sed 's/^length = 8/length = 64/' >big.ini
kill_test() {
    local name=$1 pid
    shift
    rm -rf out-big
    "$@" "$BIN" --quiet big.ini >"$OUT" 2>"$ERR" &
    pid=$!
    if ! wait_for test -e out-big/train.h5.partial; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        ok "$name: out-big/train.h5.partial appeared within 30 s" false
        return
    fi
    sleep 0.3 # let it write a little
    kill -TERM "$pid"
    wait "$pid"
    RC=$?
    ok "$name: non-zero exit after SIGTERM (got $RC)" test "$RC" -ne 0
    ok "$name: no out-big/train.h5.partial left" wait_for test ! -e out-big/train.h5.partial
    ok "$name: no out-big/train.h5" test ! -e out-big/train.h5
    ok "$name: stderr says it was interrupted" grep -q '^phasor-generate: interrupted by signal' "$ERR"
}

kill_test "SIGTERM to mpirun -np 2" mpirun --oversubscribe -np 2
kill_test "SIGTERM to a single process"
is "$RC" 1 "SIGTERM to a single process: exit code 1 (runtime)"
is "$(grep -c '^phasor-' "$ERR")" 1 "SIGTERM to a single process: exactly one phasor- line"

done_testing
