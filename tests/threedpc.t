#!/usr/bin/env bash
# threedpc.t: the 3D-PC challenge through phasor-generate: every dataset,
# maps included, the same for 1, 2 and 3 ranks in each task; the datasets'
# shapes and the condition attribute; held-out object instances only in the
# held-out split; a human split with the test seed is the test split's head; bad keys refused with one line naming the key, exit 2, no
# output; --help lists the keys; phasor-analyze summary draws the files.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

CFG=$(cd "$(dirname "$0")/.." && pwd)/configs/threedpc_tiny.ini
[ -x "$PHASOR_BUILD/bin/phasor-generate" ] || bail_out "no $PHASOR_BUILD/bin/phasor-generate (run make build)"
datasets="x y meta/setting meta/frame meta/labels meta/objects meta/camera meta/observer meta/ball meta/prims
          meta/move maps/depth maps/ids"
tasks="depth vpt vpt_strategy"
plan 54

same_all() { # TASK NP
    local ds split
    for split in train test; do
        for ds in $datasets; do
            if ! h5diff -q "$TMPD/$1_np1/$split.h5" "$TMPD/$1_np$2/$split.h5" "/$ds" "/$ds" >"$ERR" 2>&1; then
                diag "/$ds of $split ($1) differs between 1 and $2 ranks"
                return 1
            fi
        done
    done
}

# 16 training and 8 test images in chunks of 4 (configs/threedpc_tiny.ini): uneven shares for 3 ranks.
for task in $tasks; do
    for np in 1 2 3; do
        run_mpi "$np" generate "$CFG" --quiet --set threedpc.task="$task" --out "$TMPD/${task}_np$np"
        is "$RC" 0 "$task: generate with $np rank(s) succeeds"
    done
    for np in 2 3; do ok "$task: every dataset identical for 1 and $np ranks" same_all "$task" "$np"; done
done

# The comparison can fail: another task shows other frames of the same settings.
h5diff -q "$TMPD/depth_np1/train.h5" "$TMPD/vpt_np1/train.h5" /x /x >/dev/null 2>&1
is "$?" 1 "h5diff sees other images for another task"
h5diff -q "$TMPD/depth_np1/train.h5" "$TMPD/vpt_np1/train.h5" /meta/prims /meta/prims >/dev/null 2>&1
is "$?" 0 "depth and vpt files of one seed show the same settings"

attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): *//p' | tr -d '"'; }
is "$(attr "$TMPD/vpt_np1/train.h5" condition)" vpt_size64_fov90_seen "train's condition names task, size, fov, objects"
is "$(attr "$TMPD/vpt_strategy_np1/test.h5" condition)" vpt_strategy_size64_fov90_held_out "test's names held_out"
space() { h5dump -H -d "$2" "$1" | grep -o 'DATASPACE  SIMPLE { ( [0-9, ]* )' | tr -s ' '; }
is "$(space "$TMPD/vpt_np1/train.h5" /x)" "DATASPACE SIMPLE { ( 16, 64, 64, 3 )" "/x is [N, 64, 64, 3]"
is "$(space "$TMPD/vpt_np1/train.h5" /maps/depth)" "DATASPACE SIMPLE { ( 16, 64, 64 )" "/maps/depth is [N, H, W]"
is "$(space "$TMPD/vpt_np1/train.h5" /maps/ids)" "DATASPACE SIMPLE { ( 16, 64, 64 )" "/maps/ids is [N, H, W]"
is "$(space "$TMPD/vpt_np1/train.h5" /meta/prims)" "DATASPACE SIMPLE { ( 16, 68, 9 )" "/meta/prims is [N, 68, 9]"
ok "/maps/ids is little-endian float32 with its doc" \
    grep -q H5T_IEEE_F32LE <<<"$(h5dump -H -d /maps/ids "$TMPD/vpt_np1/train.h5")"
# labels 0/1, balanced: depth 4 of each per setting, vpt one positive setting per pair, strategy pairs
ysum() { h5dump -y -w 0 -A 0 -d /y "$1" | sed -n '/DATA {/,/}/p' | grep -o '[0-9-][0-9]*' | awk '{ s += $1 } END { print NR, s }'; }
for task in $tasks; do is "$(ysum "$TMPD/${task}_np1/train.h5")" "16 8" "$task: 16 labels, 8 positive"; done

# Instances (column 2 of /meta/objects, -1 empty): 1..2 in train, 3 in test (held_out = 1 of 3).
instances() { h5dump -y -w 0 -A 0 -d /meta/objects "$1" | sed -n '/DATA {/,/}/p' | grep -o -- '-\?[0-9][0-9]*' |
    awk 'NR % 2 == 0 && $1 >= 0' | sort -u | tr '\n' ' '; }
is "$(instances "$TMPD/vpt_np1/train.h5")" "1 2 " "seen split: instances 1 and 2 only"
is "$(instances "$TMPD/vpt_np1/test.h5")" "3 " "held-out split: instance 3 only"

# The human subset is the head of the test split: the same seed and objects, a smaller n.
run_phasor generate "$CFG" --quiet --set split.human.n=4 --set split.human.seed=13 --set split.human.objects=held_out \
    --out "$TMPD/human"
is "$RC" 0 "generate with a human split succeeds"
data() { h5dump -A 0 -y -w 0 -d /x "$@" | sed -n '/DATA {/,/}/p' | grep -o '[0-9][0-9]*' | md5sum; }
is "$(data "$TMPD/human/human.h5")" "$(data -s 0,0,0,0 -c 4,64,64,3 "$TMPD/human/test.h5")" \
    "the human split's images are the first 4 of the test split"

# Bad keys: one "phasor-generate:" line naming the key, exit 2, no output.
bad() { # DESC NEEDLE1 NEEDLE2 CONFIG ARGS...
    local desc=$1 n1=$2 n2=$3 cfg=$4
    shift 4
    rm -rf "$TMPD/bad"
    run_phasor generate "$cfg" --quiet --out "$TMPD/bad" "$@"
    is "$RC" 2 "$desc: exit 2"
    local line
    line=$(grep '^phasor-' "$ERR")
    ok "$desc: one line naming '$n1' and '$n2'" \
        test "$(grep -c '^phasor-' "$ERR")" = 1 -a -n "$(grep -F -- "$n1" <<<"$line" | grep -F -- "$n2")"
    ok "$desc: no output file" test ! -e "$TMPD/bad/train.h5" -a ! -e "$TMPD/bad/train.h5.partial"
}
bad "task foo" "[threedpc] task" "depth|vpt|vpt_strategy" "$CFG" --set threedpc.task=foo
bad "size 16" "[threedpc] size" "out of range [32, 512]" "$CFG" --set threedpc.size=16
bad "held_out 3 of 3" "[threedpc] held_out" "choose held_out < instances" "$CFG" --set threedpc.held_out=3
bad "per_setting 13 of 50 frames" "[threedpc] per_setting" "lower per_setting or raise frames" "$CFG" \
    --set threedpc.per_setting=13
bad "odd per_setting for pairs" "[threedpc] per_setting" "choose an even per_setting" "$CFG" \
    --set threedpc.task=vpt_strategy --set threedpc.per_setting=3
bad "objects bogus" "[split.test] objects" "seen|held_out|all" "$CFG" --set split.test.objects=bogus
bad "objects under svrt" "[split.train] objects" "belongs to the threedpc challenge" \
    "$(dirname "$CFG")/svrt_tiny.ini" --set split.train.objects=held_out

run_phasor generate --help
ok "--help lists the [threedpc] keys and the split key" \
    test -n "$(grep -F 'vpt_strategy' "$OUT")" -a -n "$(grep -F 'held_out' "$OUT")"

# phasor-analyze summary draws the three tasks' files as rows.
run_phasor analyze summary "$TMPD/depth_np1/train.h5" "$TMPD/vpt_np1/train.h5" "$TMPD/vpt_strategy_np1/train.h5" \
    --samples 2 --out "$TMPD/sheet" --quiet
is "$RC" 0 "analyze summary of the three tasks' files succeeds"
