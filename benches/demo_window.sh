#!/usr/bin/env bash
# The demo's 5,000-file "Many files" folder, downloaded in the real window
# (under Xvfb, started the way a user does: right-click the folder,
# "Download") and with `ferry get -r -j 4` from `ferry serve-demo`, taking turns.
# Prints files/s for both, and the window's CPU per thread group, beside the
# targets of issue "Smooth at scale".
#
#   bash benches/demo_window.sh              # builds ferry --release, 3 rounds
#   FERRY_BIN=target/debug/ferry RUNS=1 bash benches/demo_window.sh
#
# Needs xvfb-run, xdotool and software GL (Debian: xvfb xdotool libgl1-mesa-dri).
# The clicks use the window's default layout at 1280x800: "Many files" is the
# third row of the remote pane (below Documents and Empty folder), 218 px
# from the window's top since the connection bar got its own row; "Download"
# is the fifth item of its context menu. Results mean something only on an idle machine.
set -euo pipefail

RUNS=${RUNS:-3}
FILES=5000
TIMEOUT=${TIMEOUT:-300}
if [[ -z ${FERRY_BIN:-} ]]; then
  cargo build --release --bin ferry >&2
  FERRY_BIN=target/release/ferry
fi
FERRY_BIN=$(realpath "$FERRY_BIN")
# count, cpu and start_demo_window, here and in the window's script.
lib=$(realpath "$(dirname "$0")/lib/window.sh")
# shellcheck source=benches/lib/window.sh
. "$lib"
for tool in xvfb-run xdotool; do
  command -v "$tool" >/dev/null || { echo "demo_window.sh: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work/xdg}
mkdir -p -m700 "$XDG_RUNTIME_DIR"

# One window run, inside Xvfb: prints "seconds ui_cpu render_cpu engine_cpu server_cpu".
cat >"$work/window.sh" <<'INNER'
set -euo pipefail
lib=$1 bin=$2 home=$3 files=$4 timeout=$5
. "$lib"
start_demo_window "$bin" "$home"
# Connected; a moment more for the listing to be shown.
sleep 3
before=$(cpu "$pid")
start=$(date +%s.%N)
dest="$home/Many files"
# As a user would: select "Many files" in the remote pane, right-click it,
# "Download". Again if nothing started (the listing was not shown yet).
# The clock starts at the click on "Download", as the command line's starts
# with its process (not during the script's own pauses between clicks).
for _ in 1 2 3; do
  xdotool mousemove --window "$wid" 660 218 click 1 sleep 0.3 click 3 sleep 0.5 \
    mousemove --window "$wid" 698 327
  start=$(date +%s.%N)
  xdotool click 1
  for _ in $(seq 100); do [[ -d $dest ]] && break; sleep 0.1; done
  [[ -d $dest ]] && break
done
while (($(count "$dest") < files)); do
  sleep 0.1
  if (($(echo "$(date +%s.%N) - $start > $timeout" | bc))); then
    echo "window: only $(count "$dest") of $files files after ${timeout}s" >&2
    exit 1
  fi
done
end=$(date +%s.%N)
after=$(cpu "$pid")
# Sum the ticks each thread used during the run, by group.
join -j1 <(sort <<<"$before") <(sort <<<"$after") -o 1.1,1.2,1.3,2.3 2>/dev/null |
  awk -v pid="$pid" -v t="$(echo "$end - $start" | bc)" -v tick="$tick" '
    { d = $4 - $3; task = $1; sub(".*/", "", task)
      if (task == pid) ui += d
      else if ($2 ~ /^ferry-engine/ || $2 ~ /^ferry-outbox/) engine += d
      else if ($2 ~ /^ferry-demo/) server += d
      else render += d }
    END { printf "%.2f %.2f %.2f %.2f %.2f\n", t, ui/tick, render/tick, engine/tick, server/tick }'
INNER

# One command-line run against serve-demo: prints seconds.
cli_run() {
  local out=$work/cli-$1
  local start end
  start=$(date +%s.%N)
  "$FERRY_BIN" get -r -j 4 "${url}Many%20files/" "$out/" >/dev/null
  end=$(date +%s.%N)
  (($(count "$out") == FILES)) || { echo "cli: $(count "$out") of $FILES files" >&2; exit 1; }
  rm -rf "$out"
  echo "$end - $start" | bc
}

served=$work/served
HOME=$work "$FERRY_BIN" serve-demo --dir "$served" >"$work/serve.log" &
server=$!
trap 'kill -INT $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 600); do grep -q 'Ctrl+C' "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o 'ftp://[^ ]*' "$work/serve.log")

printf '%-5s %10s %10s %8s %8s %8s %8s %8s\n' run "cli f/s" "win f/s" "win/cli" "ui s" "render s" "engine s" "server s"
ratios=() uis=() others=()
for run in $(seq "$RUNS"); do
  cli=$(cli_run "$run")
  home=$work/home-$run
  mkdir -p "$home"
  read -r secs ui render engine server_cpu < <(xvfb-run -a -s "-screen 0 1280x800x24" \
    bash "$work/window.sh" "$lib" "$FERRY_BIN" "$home" "$FILES" "$TIMEOUT")
  rm -rf "$home"
  cli_fps=$(echo "$FILES / $cli" | bc -l)
  win_fps=$(echo "$FILES / $secs" | bc -l)
  ratio=$(echo "$win_fps / $cli_fps" | bc -l)
  ratios+=("$ratio") uis+=("$ui") others+=("$(echo "$engine + $server_cpu" | bc -l)")
  printf '%-5s %10.0f %10.0f %8.2f %8.2f %8.2f %8.2f %8.2f\n' "$run" "$cli_fps" "$win_fps" "$ratio" \
    "$ui" "$render" "$engine" "$server_cpu"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "window/cli files/s, median of paired ratios: $(printf '%.2f' "$(median "${ratios[@]}")")   target >= 1.00"
echo "UI thread CPU, median: $(printf '%.2f' "$(median "${uis[@]}")") s; engine + server, median: $(printf '%.2f' "$(median "${others[@]}")") s   target: UI < engine + server"
echo "(the demo server runs inside the window's process; 'render' is every other thread, e.g. the software GL rasterizer)"
