#!/usr/bin/env bash
# What the system-font fallback costs the window: time to the first frame and
# resident memory 3 s later (fallback fonts loaded), for two builds of ferry
# taking turns (A B A B ...), each opened on a home folder holding CJK,
# Hebrew, emoji, Greek and Cyrillic names. Prints the medians and the median
# of the paired B/A ratios beside the targets of issue "File names in every
# script" (memory must not grow by tens of MB; the first frame must not wait).
#
#   bash benches/fonts_window.sh BEFORE_BIN AFTER_BIN     # 5 rounds
#   RUNS=3 bash benches/fonts_window.sh old/ferry target/release/ferry
#
# Needs xvfb-run and software GL (Debian: xvfb libgl1-mesa-dri), and the fonts
# from scripts/test-fonts to mean anything. Results mean something only on an
# idle machine.
set -euo pipefail

RUNS=${RUNS:-5}
A=$(realpath "${1:?usage: fonts_window.sh BEFORE_BIN AFTER_BIN}")
B=$(realpath "${2:?usage: fonts_window.sh BEFORE_BIN AFTER_BIN}")
command -v xvfb-run >/dev/null || { echo "fonts_window.sh: xvfb-run is missing" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work/xdg}
mkdir -p -m700 "$XDG_RUNTIME_DIR"

# One window run inside Xvfb: prints "first_frame_ms rss_kib".
cat >"$work/once.sh" <<'INNER'
set -euo pipefail
bin=$1 home=$2 log=$3
start=$(date +%s%N)
HOME=$home XDG_CONFIG_HOME=$home/.config FERRY_CONFIG_DIR=$home/.config/ferry \
  RUST_LOG=ferry=debug "$bin" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
first=""
for _ in $(seq 3000); do
  if grep -q "first frame drawn" "$log"; then first=$(date +%s%N); break; fi
  sleep 0.005
done
[[ -n $first ]] || { echo "no first frame in 15 s" >&2; exit 1; }
sleep 3
rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)
echo "$(( (first - start) / 1000000 )) $rss"
INNER

home=$work/home
mkdir -p "$home/.config/ferry"
for n in "日本語のファイル.txt" "中文文件夹.md" "한국어.txt" "עברית.txt" \
         "report-עברית-2024.pdf" "שלום עולם.txt" "😀 smile.txt" "Ελληνικά.txt" "Русский.txt"; do
  echo x >"$home/$n"
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$work/a" ; : >"$work/b" ; : >"$work/ratios"
for i in $(seq "$RUNS"); do
  read -r fa ra < <(xvfb-run -a -s "-screen 0 1280x800x24" bash "$work/once.sh" "$A" "$home" "$work/log")
  read -r fb rb < <(xvfb-run -a -s "-screen 0 1280x800x24" bash "$work/once.sh" "$B" "$home" "$work/log")
  echo "$fa $ra" >>"$work/a"
  echo "$fb $rb" >>"$work/b"
  awk -v fa="$fa" -v fb="$fb" -v ra="$ra" -v rb="$rb" 'BEGIN { print fb / fa, rb / ra, (rb - ra) / 1024 }' >>"$work/ratios"
  echo "round $i: A ${fa} ms ${ra} KiB, B ${fb} ms ${rb} KiB" >&2
done
printf 'first frame (ms): A %s, B %s; median B/A %.2f (target: no wait, ratio ~1)\n' \
  "$(cut -d' ' -f1 "$work/a" | median)" "$(cut -d' ' -f1 "$work/b" | median)" \
  "$(cut -d' ' -f1 "$work/ratios" | median)"
printf 'resident memory (MiB): A %.1f, B %.1f; median B/A %.2f, median B-A %+.1f MiB (target: < +10 MiB)\n' \
  "$(cut -d' ' -f2 "$work/a" | median | awk '{ print $1 / 1024 }')" \
  "$(cut -d' ' -f2 "$work/b" | median | awk '{ print $1 / 1024 }')" \
  "$(cut -d' ' -f2 "$work/ratios" | median)" "$(cut -d' ' -f3 "$work/ratios" | median)"
