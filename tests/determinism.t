#!/usr/bin/env bash
# Same config, same dataset contents for any number of MPI ranks.
# Compared per dataset with h5diff, since root attributes record the rank count.
. "$(dirname "$0")/lib.sh"

cat >"$TMPD/det.ini" <<'INI'
[generate]
chunk = 8
write_block = 16
[pathtracker]
length = 16
num_distractors = 5
[split.odd]
n = 101
seed = 7
[split.small]
n = 20
seed = 8
INI
datasets="x y meta/target meta/coords3 meta/start meta/goal meta/condition meta/distractors"
ranks="1 2 3 7"
plan 14

for np in $ranks; do
    run_mpi "$np" generate "$TMPD/det.ini" --out "$TMPD/np$np" --quiet
    is "$RC" 0 "generate with $np rank(s) succeeds"
done

# 101 samples in chunks of 8 spread unevenly; 20 samples = 3 chunks, so with 7
# ranks most ranks write nothing and still take part in the collective writes.
same_all() {
    local np=$1 split ds
    for split in odd small; do
        for ds in $datasets; do
            if ! h5diff -q "$TMPD/np1/$split.h5" "$TMPD/np$np/$split.h5" "/$ds" "/$ds" >"$ERR" 2>&1; then
                diag "/$ds of $split.h5 differs between 1 and $np ranks"
                return 1
            fi
        done
    done
}
for np in 2 3 7; do
    ok "datasets identical for 1 and $np ranks" same_all "$np"
done

attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): *//p' | tr -d '"'; }
is "$(attr "$TMPD/np7/odd.h5" mpi_ranks)" 7 "the file records 7 ranks"
is "$(attr "$TMPD/np1/odd.h5" mpi_ranks)" 1 "the file records 1 rank"

# The comparison can fail: another seed gives other videos.
run_phasor generate "$TMPD/det.ini" --out "$TMPD/seed" --quiet --set split.odd.seed=8
ok "another seed generates" test "$RC" = 0
h5diff -q "$TMPD/np1/odd.h5" "$TMPD/seed/odd.h5" /x /x >/dev/null 2>&1
is "$?" 1 "h5diff sees different videos for another seed"

# Chunk size is a layout choice, not a content choice.
run_phasor generate "$TMPD/det.ini" --out "$TMPD/chunk1" --quiet --set generate.chunk=1 --set generate.deflate=0
ok "chunk 1, uncompressed, generates" test "$RC" = 0
h5diff -q "$TMPD/np1/odd.h5" "$TMPD/chunk1/odd.h5" /x /x >"$ERR" 2>&1
is "$?" 0 "videos identical with chunk 1 and no compression"

# Every sample is an independent function of its index: the first 20 of a
# 101-sample split equal a 20-sample split with the same seed.
run_phasor generate "$TMPD/det.ini" --out "$TMPD/prefix" --quiet --set split.odd.n=20
h5dump -d /y -b LE -o "$TMPD/a.bin" "$TMPD/prefix/odd.h5" >/dev/null 2>&1
h5dump -d /y -s 0 -c 20 -b LE -o "$TMPD/b.bin" "$TMPD/np1/odd.h5" >/dev/null 2>&1
ok "a shorter split is a prefix of a longer one" cmp -s "$TMPD/a.bin" "$TMPD/b.bin"
