#!/usr/bin/env bash
# limit_rate.sh -- does `ferry get --limit-rate 2M` keep to 2 MiB/s?
#
# Issue 13's target: a 20 MiB download at `--limit-rate 2M` takes 10 s ± 10 %.
# Serves a random SIZE_MB MiB file with `ferry serve-demo` on 127.0.0.1 and
# downloads it RUNS times, each copy checked byte for byte, printing every
# time and the median beside the target. Then the same bytes as FILES files
# with `get -r -j FILES` (the transfer queue the window uses: one limit shared
# by all its connections), which must take the same time, not 1/FILES of it.
#
# Environment knobs (all optional):
#   SIZE_MB=20        size of the download in MiB
#   RATE=2M           the limit, as curl writes it (K, M, G: powers of 1024)
#   RUNS=3            runs of each measure
#   FILES=4           files (and connections) of the queue measure; 0 skips it
#   FERRY_BIN=...     prebuilt ferry binary; unset = `cargo build --release`
#   KEEP_WORK=1       keep the work folder (server log) for debugging
#
# The limit is not CPU-bound: a debug build measures the same as a release one.
set -euo pipefail

SIZE_MB=${SIZE_MB:-20}
RATE=${RATE:-2M}
RUNS=${RUNS:-3}
FILES=${FILES:-4}
FERRY_BIN=${FERRY_BIN:-}
KEEP_WORK=${KEEP_WORK:-0}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

if [[ -z $FERRY_BIN ]]; then
  (cd "$REPO_ROOT" && cargo build --release --bin ferry)
  FERRY_BIN=$REPO_ROOT/target/release/ferry
fi
[[ -x $FERRY_BIN ]] || { echo "limit_rate.sh: no ferry binary at $FERRY_BIN" >&2; exit 2; }

rate_bytes=$(awk -v r="$RATE" 'BEGIN {
  u = toupper(substr(r, length(r))); n = r + 0
  if (u == "K") n *= 1024; else if (u == "M") n *= 1048576; else if (u == "G") n *= 1073741824
  printf "%d", n }')
((rate_bytes > 0)) || { echo "limit_rate.sh: RATE=$RATE is not a rate (500K, 2M)" >&2; exit 2; }
size_bytes=$((SIZE_MB << 20))
target=$(awk -v s="$size_bytes" -v r="$rate_bytes" 'BEGIN { printf "%.2f", s / r }')

work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [[ $KEEP_WORK == 1 ]]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

mkdir -p "$work/srv/tree" "$work/out"
head -c "$size_bytes" /dev/urandom >"$work/srv/big.bin"
if ((FILES > 0)); then
  split -n "$FILES" -d "$work/srv/big.bin" "$work/srv/tree/part"
fi

"$FERRY_BIN" serve-demo --dir "$work/srv" >"$work/server.log" 2>&1 &
server_pid=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^Ferry demo server on \(ftp:[^ ]*\)$/\1/p' "$work/server.log")
  [[ -n $url ]] && break
  sleep 0.2
done
[[ -n $url ]] || { echo "limit_rate.sh: the demo server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
verdict() {
  awk -v m="$1" -v t="$target" 'BEGIN { d = (m - t) / t * 100; printf "%+.1f %% from the target: %s", d, (d >= -10 && d <= 10) ? "within 10 %" : "OUTSIDE 10 %" }'
}

echo "ferry: $FERRY_BIN ($("$FERRY_BIN" --version 2>/dev/null || echo unknown version))"
echo "machine: $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "download: $SIZE_MB MiB at --limit-rate $RATE ($rate_bytes B/s); target $target s ± 10 %"
echo

single=()
for run in $(seq "$RUNS"); do
  rm -f "$work/out/big.bin"
  start=$(now)
  "$FERRY_BIN" get --limit-rate "$RATE" "${url}big.bin" "$work/out/big.bin" >/dev/null
  end=$(now)
  cmp -s "$work/srv/big.bin" "$work/out/big.bin" || { echo "run $run: the copy differs" >&2; exit 1; }
  t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  single+=("$t")
  echo "ferry get --limit-rate $RATE, run $run: $t s (target $target s)"
done
m1=$(median "${single[@]}")
echo "median: $m1 s, target $target s: $(verdict "$m1")"

if ((FILES > 0)); then
  echo
  queue=()
  for run in $(seq "$RUNS"); do
    rm -rf "$work/out/tree"
    start=$(now)
    "$FERRY_BIN" get -r -j "$FILES" --limit-rate "$RATE" "${url}tree/" "$work/out/tree" >/dev/null
    end=$(now)
    diff -r -q "$work/srv/tree" "$work/out/tree" >/dev/null || { echo "run $run: the copies differ" >&2; exit 1; }
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
    queue+=("$t")
    echo "ferry get -r -j $FILES --limit-rate $RATE ($FILES files, one limit), run $run: $t s (target $target s)"
  done
  m2=$(median "${queue[@]}")
  echo "median: $m2 s, target $target s: $(verdict "$m2")"
fi
