# bench/doc_write.sh: docs/performance.md's blocks (sourced by bench/run.sh and tests/bench_doc.t).
#
# Each section the bench measures is a block between a "<!-- bench:NAME begin -->" line and a
# "<!-- bench:NAME end -->" line, which a run replaces; every line outside the blocks (notes
# written by hand, e.g. a profile of one model) is kept.  A block the doc lacks is appended, and
# a missing doc starts with DOC_HEAD.  The new doc is written beside the old one and renamed over
# it, so a failed run leaves the old one whole.
DOC_HEAD='# Performance

The sections between `<!-- bench:NAME begin -->` and `<!-- bench:NAME end -->` lines are written by
`make bench` (bench/run.sh, bench/h5_vs_fwrite.c, bench/engine.c, bench/maco.c); rerun it to refresh
them.  Text outside those lines is written by hand and kept by the bench.'

# doc_write DOC DIR NAME...: replace block NAME of DOC with the lines of DIR/NAME, for each NAME.
doc_write() {
    local doc=$1 dir=$2 name b e nb ne
    shift 2
    local new=$dir/.doc_write.$$
    if [[ -f $doc ]]; then cp "$doc" "$new" || return 1; else printf '%s\n' "$DOC_HEAD" > "$new"; fi
    for name in "$@"; do
        b="<!-- bench:$name begin -->" e="<!-- bench:$name end -->"
        [[ -f $dir/$name ]] || { echo "doc_write: no block file $dir/$name" >&2; rm -f "$new"; return 1; }
        nb=$(grep -c -x -F -e "$b" "$new" || :) ne=$(grep -c -x -F -e "$e" "$new" || :)
        if ((nb == 0 && ne == 0)); then
            printf '\n%s\n%s\n' "$b" "$e" >> "$new"
        elif ((nb != 1 || ne != 1)) ||
            (($(grep -n -x -F -e "$b" "$new" | cut -d: -f1) > $(grep -n -x -F -e "$e" "$new" | cut -d: -f1))); then
            echo "bench: $doc has a broken '$name' block (want one '$b' line before one '$e' line); fix the marker lines, or move the file away to start a new one. The doc was not changed; this run's tables are on stdout." >&2
            rm -f "$new"
            return 1
        fi
        awk -v b="$b" -v e="$e" -v f="$dir/$name" '
            $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
            $0 == e { skip = 0 }
            !skip' "$new" > "$new.tmp" && mv "$new.tmp" "$new" || return 1
    done
    mkdir -p "$(dirname "$doc")" && cp "$new" "$doc.tmp.$$" && mv "$doc.tmp.$$" "$doc" && rm -f "$new"
}

# block_write DIR NAME TEXT LOAD COMMIT DATE [MACHINE]: DIR/NAME, the block of one measured section:
# TEXT's first line (its heading), the date the section ran (DATE), the commit and where it ran
# (MACHINE, default "the machine as in section 1"), the rest of TEXT, and the share of the CPU that
# other programs used while the section ran (LOAD).
block_write() {
    local text=${3#$'\n'} # the engine's output starts with a blank line
    {
        printf '%s\n\n' "${text%%$'\n'*}"
        printf 'Date: %s; git %s; %s.\n' "$6" "$5" "${7:-the machine as in section 1}"
        printf '%s\n\n' "${text#*$'\n'}"
        printf 'CPU time used outside the bench'"'"'s processes during this section: %s.\n' "$4"
    } > "$1/$2"
}
