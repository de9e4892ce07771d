#!/usr/bin/env bash
# h5dump shows the documented schema and attributes, and reads every dataset
# without phasor (docs/schema.md).
. "$(dirname "$0")/lib.sh"

cat >"$TMPD/s.ini" <<'INI'
[pathtracker]
length = 12
num_distractors = 3
skip = 2
[split.train]
n = 40
seed = 5
INI
plan 27
run_mpi 2 generate "$TMPD/s.ini" --out "$TMPD/o" --quiet
is "$RC" 0 "generate with 2 ranks"
f=$TMPD/o/train.h5
h5dump -H -p "$f" >"$TMPD/h" 2>&1
is "$?" 0 "h5dump -H reads the file"

# dataset NAME TYPE DIMS: its header shows that type and shape.
dataset() {
    h5dump -H -p -d "/$1" "$f" >"$TMPD/d" 2>&1 || return 1
    grep -q "DATATYPE  $2" "$TMPD/d" || { diag "type of /$1:"; diag_file "$TMPD/d"; return 1; }
    grep -q "DATASPACE  SIMPLE { ( $3 ) / ( $3 ) }" "$TMPD/d" || { diag "shape of /$1:"; diag_file "$TMPD/d"; return 1; }
}
ok "/x is uint8 [N,T,H,W,C]" dataset x H5T_STD_U8LE "40, 12, 32, 32, 3"
ok "/y is int32 [N]" dataset y H5T_STD_I32LE "40"
ok "/meta/target is int16 [N,T,2]" dataset meta/target H5T_STD_I16LE "40, 12, 2"
ok "/meta/coords3 is int16 [N,T,2]" dataset meta/coords3 H5T_STD_I16LE "40, 12, 2"
ok "/meta/start is int16 [N,2]" dataset meta/start H5T_STD_I16LE "40, 2"
ok "/meta/goal is int16 [N,2]" dataset meta/goal H5T_STD_I16LE "40, 2"
ok "/meta/condition is int32 [N,3]" dataset meta/condition H5T_STD_I32LE "40, 3"
ok "/meta/distractors is int16 [N,D,T,2]" dataset meta/distractors H5T_STD_I16LE "40, 3, 12, 2"

h5dump -H -p -d /x "$f" >"$TMPD/d" 2>&1
ok "/x is chunked along N by 2 samples (the largest divisor of 16 whose 36 KiB videos fit in 128 KiB)" grep -q "CHUNKED ( 2, 12, 32, 32, 3 )" "$TMPD/d"
h5dump -H -p -d /y "$f" >"$TMPD/dy" 2>&1
ok "/y keeps chunks of 16 labels" grep -q "CHUNKED ( 16 )" "$TMPD/dy"
ok "/x is deflated at level 1" grep -q "LEVEL 1" "$TMPD/d"

for a in phasor_schema stage challenge split condition seed config software_version git_commit mpi_ranks created; do
    grep -q "ATTRIBUTE \"$a\"" "$TMPD/h" || { missing="$missing $a"; }
done
is "${missing:-}" "" "every provenance attribute is present"

attr() { h5dump -a "/$1" "$f" | sed -n 's/^ *(0): *//p' | tr -d '"'; }
is "$(attr phasor_schema)" 1 "phasor_schema is 1"
is "$(attr stage)" generate "stage is generate"
is "$(attr challenge)" pathtracker "challenge is pathtracker"
is "$(attr split)" train "split is train"
is "$(attr condition)" length12_dist3_skip2 "condition names length, distractors and skip"
is "$(attr seed)" 5 "seed is recorded"
is "$(attr mpi_ranks)" 2 "mpi_ranks is recorded"
ok "created is an ISO 8601 UTC time" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' <(attr created)
h5dump -a /config "$f" >"$TMPD/c" 2>&1
ok "config holds the effective text with defaults filled in" grep -q 'extra_distractors = 0' "$TMPD/c"

readall() {
    local ds
    for ds in x y meta/target meta/coords3 meta/start meta/goal meta/condition meta/distractors; do
        h5dump -d "/$ds" -b LE -o "$TMPD/raw" "$f" >/dev/null 2>&1 || { diag "h5dump cannot read /$ds"; return 1; }
    done
}
ok "h5dump reads every dataset" readall
h5dump -d /x -b LE -o "$TMPD/x.bin" "$f" >/dev/null 2>&1
is "$(stat -c %s "$TMPD/x.bin")" $((40 * 12 * 32 * 32 * 3)) "the raw /x has N*T*32*32*3 bytes"
h5dump -d /y -b LE -o "$TMPD/y.bin" "$f" >/dev/null 2>&1
is "$(od -An -v -t d4 "$TMPD/y.bin" | tr -s ' ' '\n' | grep -c '^1$')" 20 "half of the 40 labels are 1"
h5dump -d /meta/condition -s "39,0" -c "1,3" "$f" >"$TMPD/cond" 2>&1
ok "/meta/condition of the last sample is (12, 3, 2)" grep -q '12, 3, 2' "$TMPD/cond"
