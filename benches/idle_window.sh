#!/usr/bin/env bash
# "Idle stays at zero CPU": the whole window's CPU while nothing happens.
# Starts `ferry --demo` under Xvfb (the window connected to the demo server
# in the same process), lets it settle, then reads the process's CPU
# (utime + stime of every thread, from /proc/PID/task/*/stat) over IDLE_SECS
# seconds, twice:
#   1. connected and idle (the demo's root listed, nothing queued);
#   2. idle after a transfer finished: the demo's 5,000-file "Many files"
#      folder downloaded (right-click, "Download", as benches/demo_window.sh
#      does), the queue panel showing its Done rows.
# Prints the CPU as a share of one core, per thread group and for the whole
# process, beside the target (< 1 % of a core). Nothing touches the window
# while it is measured: the pointer is moved off it first, no keys.
#
#   bash benches/idle_window.sh                       # builds ferry --release
#   FERRY_BIN=target/debug/ferry IDLE_SECS=10 bash benches/idle_window.sh
#
# Needs xvfb-run and xdotool (Debian: xvfb xdotool libgl1-mesa-dri). The
# clicks use the window's default layout at 1280x800 (see demo_window.sh).
set -euo pipefail

IDLE_SECS=${IDLE_SECS:-10}
SETTLE_SECS=${SETTLE_SECS:-2}
TIMEOUT=${TIMEOUT:-300}
if [[ -z ${FERRY_BIN:-} ]]; then
  cargo build --release --bin ferry >&2
  FERRY_BIN=target/release/ferry
fi
FERRY_BIN=$(realpath "$FERRY_BIN")
# count, cpu and start_demo_window, for the window's script.
lib=$(realpath "$(dirname "$0")/lib/window.sh")
for tool in xvfb-run xdotool; do
  command -v "$tool" >/dev/null || { echo "idle_window.sh: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work/xdg}
mkdir -p -m700 "$XDG_RUNTIME_DIR"

cat >"$work/window.sh" <<'INNER'
set -euo pipefail
lib=$1 bin=$2 home=$3 idle=$4 settle=$5 timeout=$6
. "$lib"
# measure PID LABEL: CPU over $idle seconds of idleness, by thread group.
measure() {
  local before after start end
  before=$(cpu "$1")
  start=$(date +%s.%N)
  sleep "$idle"
  end=$(date +%s.%N)
  after=$(cpu "$1")
  join -j1 <(sort <<<"$before") <(sort <<<"$after") -o 1.1,1.2,1.3,2.3 2>/dev/null |
    awk -v pid="$1" -v t="$(echo "$end - $start" | bc)" -v tick="$tick" -v label="$2" '
      { d = $4 - $3; task = $1; sub(".*/", "", task); all += d
        if (task == pid) ui += d
        else if ($2 ~ /^ferry-engine/ || $2 ~ /^ferry-outbox/) engine += d
        else if ($2 ~ /^ferry-demo/) server += d
        else other += d
        if (d > 0) busy = busy sprintf(" %s:%d", $2, d) }
      END {
        printf "%-44s %6.2f %% of a core over %.1f s (ui %.2f s, engine %.2f s, server %.2f s, other %.2f s)   target: < 1 %%\n",
          label, 100 * all / tick / t, t, ui / tick, engine / tick, server / tick, other / tick
        if (busy != "") printf "    threads that ran (ticks of 1/%d s):%s\n", tick, busy
      }'
}
# settle PID: wait until the process used no CPU for a second (the demo
# seeds its 5,000 files after the connection is accepted, the listing comes
# after that), at most 60 s; then $settle seconds more.
settle() {
  local a b
  for _ in $(seq 60); do
    a=$(cpu "$1" | awk '{ s += $3 } END { print s }')
    sleep 1
    b=$(cpu "$1" | awk '{ s += $3 } END { print s }')
    [[ $a == "$b" ]] && break
  done
  sleep "$settle"
}
start_demo_window "$bin" "$home"
# The pointer off the window, so no hover repaints it.
xdotool mousemove 1279 799
settle "$pid"
measure "$pid" "1. connected, idle:"

dest="$home/Many files"
for _ in 1 2 3; do
  xdotool mousemove --window "$wid" 660 218 click 1 sleep 0.3 click 3 sleep 0.5 \
    mousemove --window "$wid" 698 327 click 1
  for _ in $(seq 100); do [[ -d $dest ]] && break; sleep 0.1; done
  [[ -d $dest ]] && break
done
start=$(date +%s)
while (($(count "$dest") < 5000)); do
  sleep 0.2
  (($(date +%s) - start < timeout)) || { echo "only $(count "$dest") of 5000 files" >&2; exit 1; }
done
xdotool mousemove 1279 799
settle "$pid"
measure "$pid" "2. idle after 5,000 files, Done rows shown:"
INNER

home=$work/home
mkdir -p "$home"
xvfb-run -a -s "-screen 0 1280x800x24" \
  bash "$work/window.sh" "$lib" "$FERRY_BIN" "$home" "$IDLE_SECS" "$SETTLE_SECS" "$TIMEOUT"
echo "(the demo server runs inside the window's process; 'other' is every unnamed thread, e.g. the software GL rasterizer)"
