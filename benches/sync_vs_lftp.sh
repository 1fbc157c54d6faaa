#!/usr/bin/env bash
# sync_vs_lftp.sh -- plan a sync of two trees without changing anything:
# `ferry sync --dry-run URL LOCAL` vs `lftp -e 'mirror --dry-run'`, against
# the same server on loopback (`ferry serve-demo`, libunftp over a folder).
#
# Makes a tree of FILES small files in DIRS folders, copies it to a local
# folder (times kept), then changes CHANGED_PCT % of the server's files (same
# size, new content, an hour newer). Both tools must find exactly those
# files. The tools take turns (lftp, ferry, lftp, ferry, ...) RUNS times; the
# report gives each tool's median wall time, the median of the per-pair
# ratios lftp / ferry (> 1: ferry faster), and ferry's listing round trips,
# beside the target: ferry no slower than lftp (ratio >= 1.00).
#
# Environment knobs: FILES=20000 DIRS=20 CHANGED_PCT=1 RUNS=5
#   FERRY_BIN=target/release/ferry (the binary measured; also runs the server)
#   PORT=2150  KEEP_WORK=1 keeps the temp folder.
set -euo pipefail
FILES=${FILES:-20000}
DIRS=${DIRS:-20}
CHANGED_PCT=${CHANGED_PCT:-1}
RUNS=${RUNS:-5}
PORT=${PORT:-2150}
FERRY=${FERRY_BIN:-target/release/ferry}
[[ -x $FERRY ]] || { echo "sync_vs_lftp: no ferry binary at $FERRY (set FERRY_BIN)" >&2; exit 1; }
command -v lftp >/dev/null || { echo "sync_vs_lftp: lftp is not installed" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferry-syncbench.XXXXXX")
SERVER_PID=""
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> making $FILES files in $DIRS folders" >&2
per=$((FILES / DIRS))
for ((d = 0; d < DIRS; d++)); do
    mkdir -p "$WORK/remote/d$d"
    for ((f = 0; f < per; f++)); do
        printf 'file %06d of folder %03d\n' "$f" "$d" >"$WORK/remote/d$d/f$f.txt"
    done
done
cp -a "$WORK/remote" "$WORK/local"
changed=$((FILES * CHANGED_PCT / 100))
echo "==> changing $changed server files (same size, an hour newer)" >&2
n=0
for ((d = 0; d < DIRS && n < changed; d++)); do
    for ((f = 0; f < per && n < changed; f += 100 / CHANGED_PCT)); do
        file="$WORK/remote/d$d/f$f.txt"
        printf 'FILE %06d OF FOLDER %03d\n' "$f" "$d" >"$file"
        touch -d '+1 hour' "$file"
        n=$((n + 1))
    done
done

"$FERRY" serve-demo --port "$PORT" --dir "$WORK/remote" >"$WORK/server.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do grep -q ftp:// "$WORK/server.out" 2>/dev/null && break; sleep 0.1; done
URL="ftp://demo@127.0.0.1:$PORT/"
export FERRY_PASSWORD=demo

run_ferry() { "$FERRY" sync --dry-run -v "$URL" "$WORK/local" >"$WORK/ferry.plan" 2>"$WORK/ferry.err"; }
run_lftp() {
    lftp -u demo,demo -p "$PORT" -e "set ftp:ssl-allow no; set ftp:use-mode-z off; mirror --dry-run / $WORK/local; quit" \
        127.0.0.1 >"$WORK/lftp.plan" 2>&1
}
now() { date +%s.%N; }
ferry_t=() lftp_t=() ratios=()
for ((r = 1; r <= RUNS; r++)); do
    a=$(now); run_lftp; b=$(now); run_ferry; c=$(now)
    lt=$(echo "$b - $a" | bc -l) ft=$(echo "$c - $b" | bc -l)
    lftp_t+=("$lt") ferry_t+=("$ft") ratios+=("$(echo "$lt / $ft" | bc -l)")
    printf 'run %d: lftp %.3f s, ferry %.3f s\n' "$r" "$lt" "$ft" >&2
done
ferry_found=$(grep -c '^download' "$WORK/ferry.plan" || true)
lftp_found=$(grep -c '^get ' "$WORK/lftp.plan" || true)
[[ $ferry_found == "$changed" ]] || { echo "ferry planned $ferry_found downloads, expected $changed" >&2; exit 1; }
[[ $lftp_found == "$changed" ]] || echo "note: lftp planned $lftp_found downloads, expected $changed" >&2
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
listings=$(grep -c '> MLSD\|> LIST' "$WORK/ferry.err" || true)
printf '\nsync plan of %d files, %d changed (%d folders), %d runs each:\n' "$FILES" "$changed" "$DIRS" "$RUNS"
printf '  lftp mirror --dry-run : median %.3f s (%d files planned)\n' "$(median "${lftp_t[@]}")" "$lftp_found"
printf '  ferry sync --dry-run  : median %.3f s (%d files planned, %d listings)\n' "$(median "${ferry_t[@]}")" "$ferry_found" "$listings"
printf '  lftp / ferry          : median of paired ratios %.2f   (target >= 1.00)\n' "$(median "${ratios[@]}")"
