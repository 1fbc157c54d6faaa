# shellcheck shell=bash
# Shared by benches/demo_window.sh and benches/idle_window.sh: sourced by the
# script each runs inside Xvfb, which starts the demo window and reads its
# CPU per thread. Needs xdotool and ss.

# tick: the clock ticks in a second, the unit of cpu's counts.
tick=$(getconf CLK_TCK)

# count DIR: finished files in DIR (no .part left behind).
count() { find "$1" -type f ! -name '*.part' 2>/dev/null | wc -l; }

# cpu PID: "task name ticks" per thread (utime + stime), names as the threads set them.
cpu() {
  for stat in /proc/"$1"/task/*/stat; do
    # The name is in parentheses and may hold spaces; the fields after it are fixed.
    s=$(cat "$stat" 2>/dev/null) || continue
    name=${s#*(}; name=${name%)*}; rest=${s##*) }
    read -r -a f <<<"$rest"
    echo "${stat%/stat} ${name// /_} $((f[11] + f[12]))"
  done
}

# start_demo_window BIN HOME: runs `BIN --demo` in HOME (as its home and
# config), killed when the script exits; sets pid to its process and wid to
# its window, and returns once it is connected: the demo server has an
# established control connection. Exits if no window shows within 30 s.
start_demo_window() {
  cd "$2"
  HOME=$2 FERRY_CONFIG_DIR=$2/.config/ferry "$1" --demo &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  wid=""
  for _ in $(seq 300); do
    wid=$(xdotool search --onlyvisible --pid "$pid" 2>/dev/null | head -1 || true)
    [[ -n $wid ]] && break
    sleep 0.1
  done
  [[ -n $wid ]] || { echo "no window" >&2; exit 1; }
  for _ in $(seq 600); do
    ss -tnp state established 2>/dev/null | grep -q "pid=$pid," && break
    sleep 0.1
  done
}
