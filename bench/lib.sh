# bench/lib.sh: what bench/run.sh and bench/peer.sh share: medians and ranges, and how much of
# the machine other programs used while a section ran.

# "med min max" of the numbers on stdin (one per line).
stats() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan nan nan"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        print m, v[1], v[NR] }'
}
# "med min max" on stdin -> "M (A-B)", each printed with FORMAT.
fmt3() { awk -v f="$1" '{ printf f " (" f "-" f ")\n", $1, $2, $3 }'; }

# cpu_mark: /proc/stat busy, steal and total ticks, and the ticks of this script's finished
# children (mpirun and its ranks).
cpu_mark() {
    local c s
    read -r -a c < /proc/stat
    read -r -a s < /proc/$$/stat
    echo "$((c[1] + c[2] + c[3] + c[6] + c[7])) ${c[8]} $((c[1] + c[2] + c[3] + c[4] + c[5] + c[6] + c[7] + c[8])) $((s[13] + s[14] + s[15] + s[16]))"
}
# Share of the machine's CPU time (all cores) not used by this bench, and steal.
cpu_foreign() { # MARK_BEFORE MARK_AFTER
    local -a x y
    read -r -a x <<< "$1"
    read -r -a y <<< "$2"
    awk -v db=$((y[0] - x[0])) -v ds=$((y[1] - x[1])) -v dt=$((y[2] - x[2])) -v own=$((y[3] - x[3])) \
        'BEGIN { if (dt <= 0) dt = 1; f = 100 * (db - own) / dt; if (f < 0) f = 0
                 printf "%.0f %% other, %.0f %% steal", f, 100 * ds / dt }'
}
