#!/usr/bin/env bash
# scaling.t: phasor-analyze scaling on synthetic runs: a routine whose error
# follows a saturating power law (its exponent recovered, the fall detected, the
# projection finite) and one whose error rises (the fit refused with a reason,
# the rise detected); the same table from 1 and 2 ranks; the joint law in data
# and parameters; an unreachable target; one-line refusals (exit 2) of a missing
# column, a non-positive size, too few sizes, a second run into the same folder.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$PHASOR_BUILD/bin/phasor-analyze" ] || bail_out "no phasor-analyze (run make build, or set PHASOR_BUILD)"
cd "$TMPD" || bail_out "cannot enter $TMPD"

# points ROUTINE...: runs at 6 data sizes x 3 seeds, n_params 1e6.  ibp: error =
# 2 N^-0.35 + 0.05 plus a fixed +-0.002 pattern; supervised: error rising with log N.
points() {
    printf '# synthetic runs\nroutine\ttask\tn_data\tn_params\tseed\terror\n'
    awk 'BEGIN {
        split("1000 3000 10000 30000 100000 300000", n, " ")
        for (s = 1; s <= 6; s++) for (seed = 1; seed <= 3; seed++) {
            i++; d = 0.002 * sin(7 * i)
            printf "ibp\tmoa\t%s\t1e6\t%d\t%.6f\n", n[s], seed, 2 * n[s] ^ -0.35 + 0.05 + d
            printf "supervised\tmoa\t%s\t1e6\t%d\t%.6f\n", n[s], seed, 0.3 + 0.01 * log(n[s]) + d
        } }'
}
points >points.tsv

run_phasor analyze scaling --help
is "$RC" 0 "--help: exit 0"
ok "... documents the input columns and the outputs" grep -q 'n_params   model size' "$OUT"

run_phasor analyze scaling points.tsv --out one --target-gain 0.01 --boot 300 --seed 5
is "$RC" 0 "two routines: exit 0"
TSV=one/scaling.tsv
is "$(wc -l <"$TSV")" 3 "scaling.tsv: a header and one row per group"
for c in routine task x status a_data a_data_lo a_data_hi b_data b_data_lo b_data_hi c c_lo c_hi spearman_data \
    spearman_data_lo spearman_data_hi p_decrease_data decreasing target_error needed needed_lo needed_hi fold \
    p_reachable figure git_commit; do
    head -1 "$TSV" | tr '\t' '\n' | grep -qx "$c" || { is "$c" "a column" "scaling.tsv has column $c"; continue; }
done
ok "scaling.tsv: the header names every documented column" test "$(head -1 "$TSV" | tr '\t' '\n' | wc -l)" = 51
col() { awk -F'\t' -v name="$1" -v row="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } NR == row + 1 { print $c[name] }' "$TSV"; }
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }'; }
is "$(col status 1)" ok "ibp: the fit converged"
ok "ibp: b = 0.35 within its bootstrap interval [$(col b_data_lo 1), $(col b_data_hi 1)]" between 0.35 "$(col b_data_lo 1)" "$(col b_data_hi 1)"
ok "ibp: b within 0.03 of 0.35 ($(col b_data 1))" between "$(col b_data 1)" 0.32 0.38
ok "ibp: c = 0.05 within its interval [$(col c_lo 1), $(col c_hi 1)]" between 0.05 "$(col c_lo 1)" "$(col c_hi 1)"
is "$(col decreasing 1)" yes "ibp: the error falls with size"
is "$(col resample 1)" seeds "ibp: seeds are resampled within sizes"
ok "ibp: the projection is finite and beyond the largest size ($(col needed 1))" between "$(col fold 1)" 1 1000
diag "ibp: b = $(col b_data 1) [$(col b_data_lo 1), $(col b_data_hi 1)], c = $(col c 1); error $(col target_error 1) at n_data $(col needed 1) [$(col needed_lo 1), $(col needed_hi 1)]"
case "$(col status 2)" in "failed: "*"does not fall with size"*) r=1 ;; *) r=0 ;; esac
ok "supervised: no decreasing law, and the reason says so" test "$r" = 1
is "$(col decreasing 2)" no "supervised: the error rises (Spearman interval above 0)"
is "$(col needed 2)" - "supervised: no projection"
ok "... a warning line for it" grep -q 'warning: supervised / moa (n_params 1e+06): the power-law fit failed' "$ERR"
for f in "$(col figure 1)" "$(col figure 2)"; do
    ok "figure $f is a PNG" sh -c "head -c 4 'one/$f' | od -c | grep -q 'P   N   G'"
done

run_mpi 2 analyze scaling points.tsv --out two --target-gain 0.01 --boot 300 --seed 5 --quiet
is "$RC" 0 "on 2 ranks: exit 0"
ok "... the same table as on 1 rank" cmp -s one/scaling.tsv two/scaling.tsv
run_phasor analyze scaling points.tsv --out seed6 --target-gain 0.01 --boot 300 --seed 6 --quiet
ok "another seed, other intervals" sh -c "! cmp -s one/scaling.tsv seed6/scaling.tsv"

# The joint law on a 4 x 3 grid of (N, P), one run per cell: points are resampled.
awk 'BEGIN {
    printf "routine\ttask\tn_data\tn_params\tseed\terror\tweight\n"
    split("1000 10000 100000 1000000", n, " "); split("100000 1000000 10000000", p, " ")
    for (i = 1; i <= 4; i++) for (j = 1; j <= 3; j++)
        printf "ibp\tmoa\t%s\t%s\t1\t%.8f\t1\n", n[i], p[j], 3 * n[i] ^ -0.35 + 30 * p[j] ^ -0.6 + 0.04
}' >grid.tsv
run_phasor analyze scaling grid.tsv --out both --x both --target-error 0.03 --boot 50 --quiet
is "$RC" 0 "--x both: exit 0"
TSV=both/scaling.tsv
is "$(col status 1)" ok "--x both: the joint fit converged"
ok "--x both: b_data = 0.35 ($(col b_data 1))" between "$(col b_data 1)" 0.3499 0.3501
ok "--x both: b_params = 0.6 ($(col b_params 1))" between "$(col b_params 1)" 0.5999 0.6001
is "$(col resample 1)" points "--x both, one run per cell: points are resampled"
is "$(col needed 1)" inf "a target under the floor: needed is inf"
is "$(col p_reachable 1)" 0 "... in every replicate"

# refusals: one line, exit 2
expect() {
    is "$RC" 2 "$1: exit 2"
    is "$(grep -c '^phasor-analyze' "$ERR")" 1 "$1: one line"
    ok "$1: it says what is wrong ($2)" grep -q -e "$2" "$ERR"
}
cp one/scaling.tsv before.tsv
run_phasor analyze scaling points.tsv --out one
expect "a second run into the same folder" "already exists"
ok "... the earlier table is untouched" cmp -s one/scaling.tsv before.tsv
sed 's/\terror$/\terr/' points.tsv >nocol.tsv
run_phasor analyze scaling nocol.tsv --out x
expect "no error column" "no column 'error'"
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 5 { $3 = 0 } { print }' points.tsv >zero.tsv
run_phasor analyze scaling zero.tsv --out x
expect "a zero size" "zero.tsv:5: n_data '0' is not a positive number"
awk -F'\t' '$3 !~ /^[0-9]/ || $3 <= 3000' points.tsv >few.tsv
run_phasor analyze scaling few.tsv --out x
expect "two sizes" "2 distinct n_data"
run_phasor analyze scaling missing.tsv --out x
expect "a missing file" "cannot read missing.tsv"
run_phasor analyze scaling points.tsv --out x --x time
expect "a bad --x" "--x must be data, params or both"
ok "... and no output folder was made for it" test ! -e x

done_testing
