#!/usr/bin/env bash
# make bench's docs/performance.md update (bench/doc_write.sh): a run replaces only the blocks
# between its marker lines and keeps every hand-written line around them; a missing doc or
# block is created; a doc with broken markers is refused with one line and left unchanged; a
# section's block (block_write) is its heading, the date and commit, its text, then the CPU load.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../bench/doc_write.sh"
plan 13
cd "$TMPD" || bail_out "cannot enter $TMPD"
mkdir -p blocks
for n in gen engine; do printf 'figures %s 1\ntable %s 1\n' "$n" "$n" > "blocks/$n"; done

doc_write perf.md blocks gen engine
is "$?" 0 "a missing doc is created"
is "$(grep -c -x 'figures gen 1' perf.md)$(grep -c -x 'table engine 1' perf.md)" 11 "with both blocks"
is "$(head -1 perf.md)" "# Performance" "under the doc's title"

# Hand-written notes before, between and after the blocks; a stale line inside one.
sed -i -e 's/^<!-- bench:engine begin -->$/hand note between\n&/' -e 's/^table engine 1$/&\nstale line/' perf.md
printf 'hand note after\n' >> perf.md
for n in gen engine; do printf 'figures %s 2\n' "$n" > "blocks/$n"; done
doc_write perf.md blocks gen engine
is "$?" 0 "a second run succeeds"
is "$(grep -c -e ' 1$' -e 'stale line' perf.md)" 0 "it replaces everything inside the blocks"
is "$(grep -c -x -e 'figures gen 2' -e 'figures engine 2' perf.md)" 2 "with the new figures"
is "$(grep -c -x -e 'hand note between' -e 'hand note after' perf.md)" 2 "and keeps the hand-written lines"
is "$(awk '/hand note between/ { h = NR } /bench:engine begin/ { b = NR } END { print (h < b) }' perf.md)" 1 \
    "in their places"

# A block whose end marker is gone: refused, doc untouched.
sed -i '/^<!-- bench:engine end -->$/d' perf.md
cp perf.md before.md
doc_write perf.md blocks gen engine 2>err
rc=$?
ok "broken markers: one line naming the block, non-zero exit" \
    test "$rc" -ne 0 -a "$(wc -l < err)" -eq 1 -a "$(grep -c "broken 'engine' block" err)" -eq 1 || diag_file err
cmp -s perf.md before.md
is "$?" 0 "and the doc is unchanged (no half-updated blocks)"

# block_write: heading first, then the date and commit, the text, and the load as its own paragraph
# (a line right after a markdown table would join it).
block_write blocks sec $'\n## 3. A section\n\nintro\n| a | b |' "2 % other" abc123 "2026-01-02 03:04 UTC"
mapfile -t L < blocks/sec
is "${L[0]}|${L[1]}" "## 3. A section|" "a block starts with the section's heading"
is "${L[2]}|${L[3]-x}" "Date: 2026-01-02 03:04 UTC; git abc123; the machine as in section 1.|" \
    "then the date the section ran and the commit"
is "$(printf '%s|' "${L[@]:4}")" "intro|| a | b |||CPU time used outside the bench's processes during this section: 2 % other.|" \
    "then the text, and the CPU load after a blank line"
