#!/usr/bin/env bash
# disk_space.t: phasor-generate measures its file after the first write round and stops with
# one line (exit 1) when the whole file would not fit in the folder's free space, publishing
# nothing and leaving no partial file; a run that fits is unaffected.  Needs root (a small
# tmpfs is mounted), else skipped.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$PHASOR_BUILD/bin/phasor-generate" ] || bail_out "no phasor-generate in $PHASOR_BUILD/bin (run make build)"
cd "$TMPD" || bail_out "cannot enter $TMPD"
mkdir small
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=3m tmpfs small 2>/dev/null; then
    skip "mounting a 3 MB tmpfs needs root and a kernel that allows it" 5
    done_testing
    exit 0
fi
trap 'umount "$TMPD/small" 2>/dev/null; _tap_exit' EXIT

cat >gen.ini <<EOF
[generate]
out_dir = $TMPD/small
write_block = 64
[pathtracker]
length = 8
num_distractors = 1
[split.train]
n = 20000
seed = 1
EOF
run_phasor generate gen.ini --quiet
is "$RC" 1 "20,000 samples into 3 MB: exit 1"
is "$(grep -c '^phasor-generate: ' "$ERR")" 1 "... with one line"
ok "... saying how much the file would take and how much is free" grep -q "20000 samples would take about .* GB (measured on the first .*%), but .* has .* GB free" "$ERR"
ok "... publishing nothing, leaving no partial" bash -c "[ ! -e small/train.h5 ] && [ ! -e small/train.h5.partial ]"
run_phasor generate gen.ini --set split.train.n=200 --quiet
is "$RC" 0 "200 samples fit and are generated"

done_testing
