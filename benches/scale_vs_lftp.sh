#!/usr/bin/env bash
# scale_vs_lftp.sh -- the "queues of 100,000 files" figures of one build,
# each printed beside its target:
#
#   1. `ferry get -r -j 4` and `ferry put -r -j 4` against lftp mirror
#      (--parallel=4, -R for uploads) at FILES sizes, taking turns, on a
#      private vsftpd on loopback (benches/tree_vs_lftp.sh does the work):
#      the median of the paired ratios lftp time / ferry time (target >= 1.00
#      at every size) and ferry's user CPU per file, largest / smallest over
#      the sizes (target <= 1.50).
#   2. The queue's own figures (cargo bench --bench queue_scale, parts 3 and
#      4): the journal's share of the queue task's busy time during a
#      download of QUEUE_FILES files from the in-process server (target
#      < 5 %), and a tree of DRAG_FILES files dropped on the queue: when the
#      first transfer starts (target < 2 s) and when the whole tree is listed.
#
#     bash benches/scale_vs_lftp.sh                          # builds ferry --release
#     FERRY_BIN=target/release/ferry RUNS=2 bash benches/scale_vs_lftp.sh
#     FERRY_BIN=target/release/ferry FILES="1000 20000" PARTS=lftp bash benches/scale_vs_lftp.sh
#
# Knobs: FILES ("1000 20000 100000"), DIRECTIONS ("get put"), RUNS (2),
# FERRY_BEFORE (another build taking its turn in part 1, for before/after),
# FERRY_BIN (unset: cargo build --release), PARTS ("lftp queue"),
# QUEUE_FILES (100000), DRAG_FILES (100000), BENCH_PROFILE (unset: cargo
# bench's release profile; e.g. "dev" to skip a release build of the
# benchmark). Part 1 needs root (see tree_vs_lftp.sh); everything else of
# tree_vs_lftp.sh's knobs passes through.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
FILES=${FILES:-1000 20000 100000}
DIRECTIONS=${DIRECTIONS:-get put}
RUNS=${RUNS:-2}
PARTS=${PARTS:-lftp queue}
QUEUE_FILES=${QUEUE_FILES:-100000}
DRAG_FILES=${DRAG_FILES:-100000}
BENCH_PROFILE=${BENCH_PROFILE:-}

log() { printf '==> %s\n' "$*" >&2; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ferry-scale.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
status=0

echo "machine: nproc=$(nproc), load $(cut -d' ' -f1-3 /proc/loadavg) at the start"

if [[ " $PARTS " == *" lftp "* ]]; then
    log "1. get -r / put -r against lftp mirror at FILES='$FILES' ($RUNS runs each, taking turns)"
    FILES=$FILES DIRECTIONS=$DIRECTIONS RUNS=$RUNS bash "$SCRIPT_DIR/tree_vs_lftp.sh" |
        tee "$OUT/lftp.txt" || status=1
fi

if [[ " $PARTS " == *" queue "* ]]; then
    log "2. the queue's journal share ($QUEUE_FILES files) and a dropped tree of $DRAG_FILES files"
    profile=()
    [[ -n $BENCH_PROFILE ]] && profile=(--profile "$BENCH_PROFILE")
    (cd "$REPO_ROOT" && PARTS="3 4" FILES=$QUEUE_FILES DRAG_FILES=$DRAG_FILES \
        cargo bench --bench queue_scale "${profile[@]}") | tee "$OUT/queue.txt" || status=1
fi

echo
echo "== summary: measured beside target (load now $(cut -d' ' -f1-3 /proc/loadavg)) =="
if [[ -s $OUT/lftp.txt ]]; then
    echo "get -r / put -r vs lftp, median of paired ratios lftp/ferry (target >= 1.00 at each size):"
    awk '($2 == "get" || $2 == "put") && $1 ~ /^[0-9]+$/ {
        if ($NF == "(before)") printf "  %7d files %s: ratio %s, user CPU %s us/file (the build before)\n", $1, $2, $7, $8
        else printf "  %7d files %s: ratio %s%s, ferry user CPU %s us/file\n", $1, $2, $7, ($8 == "BELOW" ? " BELOW" : ""), $NF
    }' "$OUT/lftp.txt"
    grep -E 'user CPU per file, largest / smallest' "$OUT/lftp.txt" | sed 's/^/  /' || true
fi
if [[ -s $OUT/queue.txt ]]; then
    grep -E 'target|queued after|files queued' "$OUT/queue.txt" | sed 's/^ */  /' || true
fi
exit "$status"
