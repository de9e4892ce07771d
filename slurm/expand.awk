# slurm/expand.awk: expand an experiment config into its sweep points (slurm/submit runs it;
# docs/slurm.md describes the format).
#
# Input: the experiment INI.  Variables (from the environment, X_NAME):
#   src        the file name used in messages
#   sets       "section.key=value" overrides, one per line (--set)
#   stages     the stages that exist, in pipeline order ("generate train analyze")
#   owners     "stage:sec1 sec2 ...;stage2:..." the config sections each stage reads (from its
#              --help; "split.*" matches split.NAME)
#   argstages  stages without a config of their own: [stage] args = ... gives their arguments;
#              the sections of a subcommand with a config (phasor-analyze maco) are in owners,
#              written to pNNNN/STAGE.ini, and {config} in args names that file
#   flags      "stage:opt opt;..." options appended to every command of that stage
#   bindir     folder of the phasor-STAGE executables
#   models     phasor-train's model names, space-separated: a point's train.ini keeps the section
#              of its own [train] model only
#   model_default  the model phasor-train trains when [train] model is not given
#   run        absolute run folder (where the files are written)
#   named      the run folder the files name in their contents (default: run): the submitter
#              expands into a temporary folder that then becomes the run folder
#   write      1: write RUN/points.tsv and RUN/pNNNN/{point.ini,STAGE.ini,STAGE.cmd}; 0: only report;
#              flat: print the experiment with its includes resolved (one INI text without
#              includes, which expands to the same points; nothing when it includes no file)
#
# Includes: a line "include = FILE" before the first section reads FILE there (relative to the
# including file's folder unless absolute), as common/core/config.c does for the stages: the
# included file's sections and keys come first, a later file's key replaces the same key in
# place, new keys and sections follow; a file may include several, in order; a key given twice
# in one file is an error, as are a missing file, a cycle, an include after a section and
# includes more than 8 files deep.
#
# Every key outside [slurm*] and [sweep] whose value holds commas is an axis; the sweep is the
# product of the axes in file order, the last axis varying fastest.  [sweep] zip = S.K S2.K2 ...
# ties those axes together: they must have the same number of items and take their i-th items
# at the same points (one factor of the product, at the place of the earliest of them); a named
# key with one value (a --set may shrink an axis) is the same at every point.  Values may use {point} (the point's
# folder), {name} (its name, pNNNN: the same point of another run) and {STAGE} (that stage's
# output folder, {point}/STAGE).
#
# Stdout, for slurm/submit: "npoints N", "width W", "stage NAME" (present stages, in order),
# "axis NAME COUNT", "slurm SECTION KEY VALUE".  Errors: one line on stderr, exit 2.
function fail(msg) {
    printf "slurm/submit: %s\n", msg > "/dev/stderr"
    failed = 1
    exit 2
}
function trim(s) { sub(/^[ \t\r]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }

# Record section.key = value from `where`; a key repeated in one file is an error, a later file's
# (one that includes the first) or --set replaces it in place.
function put(sec, key, val, where,    id) {
    if (!(sec in sec_seen)) { sec_seen[sec] = 1; sec_order[++nsec] = sec; sec_where[sec] = where }
    id = sec SUBSEP key
    if (id in val_of) {
        if (where != "--set" && unit_of[id] == unit) fail("config error at " where ": [" sec "] " key " is given twice, first at " where_of[id] " (keep one)")
    } else {
        nkey[sec]++
        key_order[sec, nkey[sec]] = key
    }
    val_of[id] = val
    where_of[id] = where
    unit_of[id] = unit
}

# The stage that reads section `sec`, or "" if none.
function owner(sec,    s, i, n, pats, p) {
    for (s = 1; s <= nstages; s++) {
        n = split(sect_of[stage_list[s]], pats, " ")
        for (i = 1; i <= n; i++) {
            p = pats[i]
            if (p == sec) return stage_list[s]
            if (p ~ /\.\*$/ && index(sec, substr(p, 1, length(p) - 1)) == 1 && length(sec) > length(p) - 1)
                return stage_list[s]
        }
        if ((stage_list[s] in is_args) && sec == stage_list[s]) return stage_list[s]
    }
    return ""
}

# {point}, {name} and {STAGE}, and {config} (CONFIG: the file, "" where not allowed); any other
# {word} is an error naming where it came from.
function substitute(v, where, pdir, config,    out, name, ok, s, to) {
    out = ""
    while (match(v, /\{[A-Za-z_][A-Za-z0-9_]*\}/)) {
        name = substr(v, RSTART + 1, RLENGTH - 2)
        ok = (name == "point" || name == "name")
        for (s = 1; s <= nstages && !ok; s++) if (stage_list[s] == name) ok = 1
        if (name == "config" && config != "") ok = 1
        if (!ok) fail("config error at " where ": unknown placeholder {" name "} (use {point}, {name} or a stage name: {" stage_names "}" (name == "config" ? "; {config} only in the args of a stage whose subcommand reads a config" : "") ")")
        if (name == "config") to = config
        else if (name == "name") { to = pdir; sub(/.*\//, "", to) }
        else to = pdir (name == "point" ? "" : "/" name)
        out = out substr(v, 1, RSTART - 1) to
        v = substr(v, RSTART + RLENGTH)
    }
    return out v
}

BEGIN {
    src = ENVIRON["X_SRC"]; sets = ENVIRON["X_SETS"]; stages = ENVIRON["X_STAGES"]
    owners = ENVIRON["X_OWNERS"]; flags = ENVIRON["X_FLAGS"]; bindir = ENVIRON["X_BINDIR"]
    run = ENVIRON["X_RUN"]; write = ENVIRON["X_WRITE"] + 0
    named = ENVIRON["X_NAMED"]; if (named == "") named = run
    nstages = split(stages, stage_list, " ")
    n = split(ENVIRON["X_ARGSTAGES"], parts, " ")
    for (i = 1; i <= n; i++) is_args[parts[i]] = 1
    stage_names = ""
    for (s = 1; s <= nstages; s++) stage_names = stage_names (s > 1 ? "}, {" : "") stage_list[s]
    n = split(owners, parts, ";")
    for (i = 1; i <= n; i++) { j = index(parts[i], ":"); sect_of[substr(parts[i], 1, j - 1)] = substr(parts[i], j + 1) }
    n = split(flags, parts, ";")
    for (i = 1; i <= n; i++) { j = index(parts[i], ":"); flags_of[substr(parts[i], 1, j - 1)] = substr(parts[i], j + 1) }
    sec = ""; unit = 0; nunits = 0; depth = 0; included = ""
}

# ---- the INI text (inih's rules: ; and # comments, inline " ;" comments, = or :) ----
function shq(s) { gsub(/'/, "'\\''", s); return "'" s "'" }

# One line of the file `path` (named `name` in messages), from `where`.
function ini_line(line, where, path, name,    t, e, c, key, val) {
    sub(/\r$/, "", line)
    t = trim(line)
    if (t == "" || t ~ /^[;#]/) return
    if (t ~ /^\[/) {
        if (t !~ /^\[[^]]+\]/) fail("config error at " where ": not an INI line (use [section] or key = value)")
        sec = trim(substr(t, 2, index(t, "]") - 2))
        if (!(sec in sec_seen)) { sec_seen[sec] = 1; sec_order[++nsec] = sec; sec_where[sec] = where }
        last_id = ""
        return
    }
    if (line ~ /^[ \t]/ && last_id != "") fail("config error at " where ": an indented line continues the value above, which phasor does not allow (remove the indentation)")
    e = index(t, "="); c = index(t, ":")
    if (c && (!e || c < e)) e = c
    if (!e) fail("config error at " where ": not an INI line (use [section] or key = value)")
    key = trim(substr(t, 1, e - 1))
    val = substr(t, e + 1)
    if (match(val, /[ \t];/)) val = substr(val, 1, RSTART - 1)
    val = trim(val)
    if (key == "include") {
        if (sec != "") fail("config error at " where ": include = " val " inside [" sec "] (put include lines before the first section)")
        include(val, where, path, name)
        last_id = "include" # an indented line after it would continue it
        return
    }
    if (sec == "") fail("config error at " where ": key '" key "' is outside any [section] (put it under its section)")
    put(sec, key, val, where)
    last_id = sec SUBSEP key
}

# include = V at `where` in the file `from` (named `name`): that file's lines, read here.
function include(v, where, from, name,    path, d, hint, cmd, st, id, i, line, r, n, my_unit) {
    if (v == "") fail("config error at " where ": include needs a file name (include = FILE, relative to " name "'s folder)")
    hint = v ~ /^\// ? "check the path" : "check the path; it is relative to " name "'s folder"
    if (depth >= 8) fail("config error at " where ": include = " v ": includes nest more than 8 files deep (include a base directly)")
    path = v
    if (v !~ /^\//) { d = from; sub(/[^\/]*$/, "", d); path = d v }
    # its identity (device:inode), to see a cycle whatever the path's spelling
    cmd = "stat -L -c '%d:%i %F' -- " shq(path) " 2>/dev/null"
    st = ""
    cmd | getline st
    close(cmd)
    if (st == "") fail("config error at " where ": include = " v ": no such file (" hint ")")
    id = st; sub(/ .*/, "", id)
    for (i = 0; i <= depth; i++)
        if (chain[i] == id) fail("config error at " where ": include = " v ": a cycle, " path " is already being included (remove one of the includes)")
    if (st !~ / regular( empty)? file$/ || (r = (getline line < path)) < 0) fail("config error at " where ": include = " v ": cannot be read (" hint ")")
    included = included (included == "" ? "" : ", ") path
    my_unit = unit
    chain[++depth] = id
    unit = ++nunits
    sec = ""; last_id = ""
    for (n = 1; r > 0; n++) {
        ini_line(line, path ":" n, path, path)
        r = (getline line < path)
    }
    close(path)
    depth--
    unit = my_unit
    sec = ""; last_id = ""
}

FNR == 1 {
    cmd = "stat -L -c %d:%i -- " shq(FILENAME) " 2>/dev/null"
    chain[0] = ""
    cmd | getline chain[0]
    close(cmd)
}
{ ini_line($0, src ":" FNR, FILENAME, src) }

END {
    if (failed) exit 2
    if (ENVIRON["X_WRITE"] == "flat") {
        if (included == "") exit 0
        printf "; %s with its includes resolved by slurm/submit (the same sweep, one file)\n", src
        printf "; included: %s\n", included
        for (k = 1; k <= nsec; k++) {
            sec = sec_order[k]
            printf "\n[%s]\n", sec
            for (j = 1; j <= nkey[sec]; j++) printf "%s = %s\n", key_order[sec, j], val_of[sec, key_order[sec, j]]
        }
        exit 0
    }
    n = split(sets, parts, "\n")
    for (i = 1; i <= n; i++) {
        a = parts[i]
        if (a == "") continue
        e = index(a, "=")
        lhs = substr(a, 1, e - 1)
        d = 0
        for (j = 1; j <= length(lhs); j++) if (substr(lhs, j, 1) == ".") d = j
        if (!e || d <= 1 || d == length(lhs)) fail("bad --set '" a "': expected section.key=value (for example --set train.lr=0.001,0.003)")
        put(substr(lhs, 1, d - 1), substr(lhs, d + 1), trim(substr(a, e + 1)), "--set")
    }

    # Which stages run: those with a section of their own (or one they read) in the file.
    for (k = 1; k <= nsec; k++) {
        sec = sec_order[k]
        if (sec == "slurm" || index(sec, "slurm.") == 1) continue
        if (sec == "sweep") {
            for (j = 1; j <= nkey[sec]; j++)
                if (key_order[sec, j] != "zip") fail("config error at " where_of[sec, key_order[sec, j]] ": [sweep] has no key '" key_order[sec, j] "' (only zip = SECTION.KEY SECTION.KEY ...: axes that vary together)")
            continue
        }
        st = owner(sec)
        if (st == "") fail("config error at " sec_where[sec] ": no stage reads section [" sec "] (stages here: " stages ")")
        present[st] = 1
        if ((st in is_args) && sec == st) {
            for (j = 1; j <= nkey[sec]; j++)
                if (key_order[sec, j] != "args") fail("config error at " where_of[sec, key_order[sec, j]] ": [" sec "] has only the key args (the arguments of phasor-" st " before --out)")
            if (!((sec SUBSEP "args") in val_of)) fail("config error at " sec_where[sec] ": [" sec "] needs args = ... (the arguments of phasor-" st " before --out)")
        }
    }
    np = 0
    for (s = 1; s <= nstages; s++) if (stage_list[s] in present) { run_stage[++np] = stage_list[s]; print "stage " stage_list[s] }
    if (np == 0) fail("config error in " src ": no stage to run (give at least one of the sections that phasor-" stage_names " read)")

    # Slurm settings: not axes (one array shares one resource request).
    for (k = 1; k <= nsec; k++) {
        sec = sec_order[k]
        if (sec != "slurm" && index(sec, "slurm.") != 1) continue
        if (sec != "slurm" && !(substr(sec, 7) in present)) fail("config error at " sec_where[sec] ": [" sec "] names no stage of this experiment (stages: " stages_run() ")")
        for (j = 1; j <= nkey[sec]; j++) {
            key = key_order[sec, j]
            printf "slurm %s %s %s\t%s\n", sec, key, where_of[sec, key], val_of[sec, key]
        }
    }

    # Axes: values with commas, in file order.
    nax = 0
    total = 1
    for (k = 1; k <= nsec; k++) {
        sec = sec_order[k]
        if (sec == "slurm" || index(sec, "slurm.") == 1 || sec == "sweep") continue
        for (j = 1; j <= nkey[sec]; j++) {
            key = key_order[sec, j]
            v = val_of[sec, key]
            if (index(v, ",") == 0) continue
            m = split(v, items, ",")
            nax++
            ax_sec[nax] = sec; ax_key[nax] = key; ax_n[nax] = m
            for (i = 1; i <= m; i++) {
                ax_val[nax, i] = trim(items[i])
                if (ax_val[nax, i] == "") fail("config error at " where_of[sec, key] ": [" sec "] " key " has an empty item in its comma list")
            }
            ax_group[nax] = nax
        }
    }
    # [sweep] zip: the named axes share the group of the first of them.
    if (("sweep" SUBSEP "zip") in val_of) {
        zw = where_of["sweep", "zip"]
        m = split(trim(val_of["sweep", "zip"]), zitems, /[ \t,]+/)
        if (m < 2) fail("config error at " zw ": zip needs at least two SECTION.KEY names (axes that vary together)")
        first = 0
        for (i = 1; i <= m; i++) {
            d = 0
            for (j = 1; j <= length(zitems[i]); j++) if (substr(zitems[i], j, 1) == ".") d = j
            zs = substr(zitems[i], 1, d - 1); zk = substr(zitems[i], d + 1)
            if (d <= 1 || !((zs SUBSEP zk) in val_of)) fail("config error at " zw ": zip names " zitems[i] ", which is not a key of this experiment (give SECTION.KEY of an axis)")
            for (a = 1; a <= nax; a++) if (ax_sec[a] == zs && ax_key[a] == zk) break
            if (a > nax) continue # one value (a --set may shrink an axis): the same at every point
            if (a in zipped) fail("config error at " zw ": zip names " zitems[i] " twice")
            zipped[a] = 1
            zaxis[i] = a
            if (!first || a < first) first = a
        }
        for (i = 1; i <= m; i++) {
            if (!(i in zaxis)) continue
            a = zaxis[i]
            if (ax_n[a] != ax_n[first]) fail("config error at " zw ": zip ties " ax_sec[first] "." ax_key[first] " (" ax_n[first] " items) to " zitems[i] " (" ax_n[a] " items); give them the same number")
            ax_group[a] = first
        }
    }
    for (a = 1; a <= nax; a++) if (ax_group[a] == a) total *= ax_n[a]
    if (total > 1000000) fail("config error in " src ": the sweep has " total " points (at most 1000000)")
    # Short axis names where unique, section.key otherwise.
    for (a = 1; a <= nax; a++) {
        ax_name[a] = ax_key[a]
        for (b = 1; b <= nax; b++) if (b != a && ax_key[b] == ax_key[a]) ax_name[a] = ax_sec[a] "." ax_key[a]
        printf "axis %s %d\n", ax_name[a], ax_n[a]
    }
    # Placeholders are checked here too, so that --dry-run reports them.
    for (k = 1; k <= nsec; k++)
        for (j = 1; j <= nkey[sec_order[k]]; j++)
            substitute(val_of[sec_order[k], key_order[sec_order[k], j]], where_of[sec_order[k], key_order[sec_order[k], j]], "",
                       (sec_order[k] in is_args) && key_order[sec_order[k], j] == "args" ? "-" : "")
    width = length(total - 1 "")
    if (width < 4) width = 4
    print "npoints " total
    print "width " width
    if (!write) exit 0

    tsv = run "/points.tsv"
    printf "point" > tsv
    for (a = 1; a <= nax; a++) printf "\t%s", ax_name[a] > tsv
    printf "\n" > tsv
    dirs = ""
    for (p = 0; p < total; p++) {
        dirs = dirs " '" run "/p" sprintf("%0" width "d", p) "'"
        if (length(dirs) > 20000 || p == total - 1) {
            if (system("mkdir -p" dirs) != 0) fail("cannot create the point folders under " run)
            dirs = ""
        }
    }
    # phasor-train's models (models: the names): each point's train.ini keeps its own model's
    # section only, as phasor-train refuses a section of another model.
    n = split(ENVIRON["X_MODELS"], mlist, " ")
    for (i = 1; i <= n; i++) is_model[mlist[i]] = 1
    for (p = 0; p < total; p++) {
        pdir = run "/p" sprintf("%0" width "d", p)
        npdir = named "/p" sprintf("%0" width "d", p) # the same folder, as its contents name it
        # Axis positions of point p: mixed radix over the groups, last fastest; a zipped axis
        # takes the position of its group's first axis.
        r = p
        for (a = nax; a >= 1; a--) if (ax_group[a] == a) { pos[a] = r % ax_n[a] + 1; r = int(r / ax_n[a]) }
        for (a = 1; a <= nax; a++) pos[a] = pos[ax_group[a]]
        row = sprintf("%0" width "d", p)
        for (a = 1; a <= nax; a++) { row = row "\t" ax_val[a, pos[a]]; pick[ax_sec[a], ax_key[a]] = ax_val[a, pos[a]] }
        print row > tsv

        pini = pdir "/point.ini"
        printf "; point %d of %s (written by slurm/submit)\n", p, src > pini
        for (a = 1; a <= nax; a++) printf "; %s = %s\n", ax_name[a], ax_val[a, pos[a]] > pini
        # the model this point trains: its axis value, else the file's, else phasor-train's default
        point_model = (("train" SUBSEP "model") in pick) ? pick["train", "model"] : val_of["train", "model"]
        if (point_model == "") point_model = ENVIRON["X_MODEL_DEFAULT"]
        for (s = 1; s <= np; s++) {
            st = run_stage[s]
            cmdf = pdir "/" st ".cmd"
            printf "%s/phasor-%s\n", bindir, st > cmdf
            # The stage's config sections (a subcommand's, for an args stage) -> STAGE.ini.
            ini = pdir "/" st ".ini"
            nini = 0
            for (k = 1; k <= nsec; k++) {
                sec = sec_order[k]
                if (owner(sec) != st || ((st in is_args) && sec == st)) continue
                if (st == "train" && (sec in is_model) && sec != point_model) continue
                if (nini++ == 0) printf "; phasor-%s config of point %d of %s (written by slurm/submit)\n", st, p, src > ini
                printf "\n[%s]\n", sec > ini
                printf "\n[%s]\n", sec > pini
                for (j = 1; j <= nkey[sec]; j++) {
                    key = key_order[sec, j]
                    v = ((sec SUBSEP key) in pick) ? pick[sec, key] : val_of[sec, key]
                    v = substitute(v, where_of[sec, key], npdir, "")
                    printf "%s = %s\n", key, v > ini
                    printf "%s = %s\n", key, v > pini
                }
            }
            if (nini) close(ini)
            if (!(st in is_args)) {
                printf "%s\n", npdir "/" st ".ini" > cmdf
            } else {
                v = ((st SUBSEP "args") in pick) ? pick[st, "args"] : val_of[st, "args"]
                if (index(v, "{config}") && !nini) fail("config error at " where_of[st, "args"] ": [" st "] args use {config}, but no section of that subcommand is given")
                v = substitute(v, where_of[st, "args"], npdir, npdir "/" st ".ini")
                printf "\n[%s]\nargs = %s\n", st, v > pini
                m = split(v, items, /[ \t]+/)
                for (i = 1; i <= m; i++) if (items[i] != "") printf "%s\n", items[i] > cmdf
            }
            printf "--out\n%s/%s\n", npdir, st > cmdf
            m = split(flags_of[st], items, " ")
            for (i = 1; i <= m; i++) printf "%s\n", items[i] > cmdf
            close(cmdf)
        }
        close(pini)
    }
    close(tsv)
}

function stages_run(    s, out) {
    out = ""
    for (s = 1; s <= np; s++) out = out (s > 1 ? " " : "") run_stage[s]
    return out
}
