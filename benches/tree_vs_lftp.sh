#!/usr/bin/env bash
# tree_vs_lftp.sh -- loopback FTP, many small files: `ferry get -r -j N` vs
# `lftp mirror --parallel=N`, and `ferry put -r -j N` vs
# `lftp mirror -R --parallel=N`, at one or more tree sizes.
#
# Starts a private vsftpd on 127.0.0.1 (never the system service), creates a
# tree of FILES files of FILE_KB KiB each in nested folders in the benchmark
# user's home, and copies it recursively with lftp and with ferry (plain FTP,
# passive): downloads into a fresh folder in /dev/shm, uploads into a fresh
# folder on the server; both are deleted after each run. Every copy is
# checked against the source tree (file names, count, bytes and a sha256
# over all contents). The tools take turns (lftp, ferry, lftp, ferry, ...)
# RUNS times; the report gives each tool's median time, the median of the
# per-pair ratios lftp time / ferry time (> 1: ferry faster), and the user
# CPU per file of each tool (GNU time), beside the targets (issue 17):
#   - get -r and put -r at least as fast as lftp (ratio >= 1.00) at every size;
#   - ferry's user CPU per file flat across sizes (largest / smallest <= 1.5).
#
# Needs root (installs packages, creates the benchmark user, runs vsftpd).
#
# Environment knobs (all optional):
#   FILES=2000          number of files in the tree; several sizes, e.g.
#                       FILES="2000 20000 100000", are run one after another
#   DIRECTIONS="get put"   which copies to measure (get, put or both)
#   FILE_KB=10          size of each file in KiB
#   DIRS=20             top-level folders (each also has sub/ and sub/deep/)
#   PARALLEL=4          lftp --parallel / ferry -j; `default` = neither (each
#                       tool's own: ferry 4 connections, lftp mirror 1 file at a time)
#   RUNS=3              turns per tool (the medians are over these)
#   FERRY_BIN=...       prebuilt ferry binary; unset = `cargo build --release`;
#                       `none` = skip the ferry measurements (lftp only)
#   OUT_DIR=...         where downloads are written (default /dev/shm if it
#                       has room, else a temp dir next to the server files)
#   FTP_PORT=2121       first control port to try (next free one is used)
#   PASV_MIN=50000 PASV_MAX=50999   vsftpd passive port range
#   BENCH_USER=ferrybench BENCH_PASS=benchpw   local account used for login
#   XFER_TIMEOUT=900    seconds before one tree copy is declared hung (lftp
#                       retries a dead server forever, so this is the backstop)
#   KEEP_WORK=1         keep the temp dir (vsftpd.conf, logs, tree) for debugging
#   DELAY_MS=25         put the latency proxy (examples/latency_proxy.rs) between
#                       both tools and vsftpd: DELAY_MS one way on every byte,
#                       data connections included (issue 13: 25, i.e. 50 ms RTT);
#                       the target becomes ferry >= 3x lftp
#   PROXY_BIN=...       prebuilt latency_proxy example; unset = cargo build --release
#   FERRY_BEFORE=...    a second ferry binary (e.g. the build before a change)
#                       that takes its turn too (lftp, ferry, before, ...); its
#                       rows are marked "before"
set -euo pipefail

FILES=${FILES:-2000}
DIRECTIONS=${DIRECTIONS:-get put}
FILE_KB=${FILE_KB:-10}
DIRS=${DIRS:-20}
PARALLEL=${PARALLEL:-4}
RUNS=${RUNS:-3}
FERRY_BIN=${FERRY_BIN:-}
OUT_DIR=${OUT_DIR:-}
FTP_PORT=${FTP_PORT:-2121}
PASV_MIN=${PASV_MIN:-50000}
PASV_MAX=${PASV_MAX:-50999}
BENCH_USER=${BENCH_USER:-ferrybench}
BENCH_PASS=${BENCH_PASS:-benchpw}
XFER_TIMEOUT=${XFER_TIMEOUT:-900}
KEEP_WORK=${KEEP_WORK:-0}
DELAY_MS=${DELAY_MS:-0}
PROXY_BIN=${PROXY_BIN:-}
FERRY_BEFORE=${FERRY_BEFORE:-}
# lftp time / ferry time that counts as on target: at least as fast on
# loopback (issue 17), three times as fast over a 50 ms link (issue 13).
TARGET=1.00
[[ $DELAY_MS != 0 ]] && TARGET=3.00

HOST=127.0.0.1
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'tree_vs_lftp: error: %s\n' "$*" >&2; exit 1; }

# PARALLEL=default: each tool's own default (ferry without -j: 4 connections;
# lftp mirror without --parallel: one file at a time).
LFTP_PAR="--parallel=$PARALLEL"
FERRY_J=(-j "$PARALLEL")
if [[ $PARALLEL == default ]]; then
    LFTP_PAR=""
    FERRY_J=()
    PARALLEL=4
fi
for knob in FILE_KB DIRS PARALLEL RUNS; do
    [[ ${!knob} =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer"
done
read -r -a SIZES <<<"$FILES"
((${#SIZES[@]})) || die "FILES must name at least one tree size"
for n in "${SIZES[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "FILES must be positive integers, not '$n'"
done
read -r -a DIRS_TO_RUN <<<"$DIRECTIONS"
for d in "${DIRS_TO_RUN[@]}"; do
    [[ $d == get || $d == put ]] || die "DIRECTIONS may hold get and put, not '$d'"
done
MAX_FILES=$(printf '%s\n' "${SIZES[@]}" | sort -n | tail -n 1)
((PASV_MIN <= PASV_MAX)) || die "PASV_MIN must not be above PASV_MAX"
[[ $EUID -eq 0 ]] || die "must run as root (apt-get, useradd, vsftpd)"

# --------------------------------------------------------------------------
# 1. Dependencies (Debian packages, installed only when the binary is missing)
# --------------------------------------------------------------------------
export PATH="$PATH:/usr/sbin:/sbin"
missing=()
command -v vsftpd >/dev/null || missing+=(vsftpd)
command -v lftp >/dev/null || missing+=(lftp)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Only refresh the package lists when there are none, or the install fails.
    if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
        apt-get update -qq
    fi
    apt-get install -y --no-install-recommends "${missing[@]}" ||
        { apt-get update -qq && apt-get install -y --no-install-recommends "${missing[@]}"; }
fi

# --------------------------------------------------------------------------
# 2. ferry binary (must know `get -r` and `-j`, from issue 4)
# --------------------------------------------------------------------------
if [[ $FERRY_BIN == none ]]; then
    FERRY=""
    log "FERRY_BIN=none: skipping ferry measurements"
elif [[ -n $FERRY_BIN ]]; then
    [[ -x $FERRY_BIN ]] || die "FERRY_BIN=$FERRY_BIN is not executable"
    FERRY=$FERRY_BIN
else
    log "building ferry (cargo build --release --bin ferry) in $REPO_ROOT"
    (cd "$REPO_ROOT" && cargo build --release --bin ferry)
    FERRY="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/ferry"
    [[ $FERRY == /* ]] || FERRY="$REPO_ROOT/$FERRY"
    [[ -x $FERRY ]] || die "build finished but $FERRY not found"
fi
if [[ -n $FERRY_BEFORE ]]; then
    [[ -x $FERRY_BEFORE ]] || die "FERRY_BEFORE=$FERRY_BEFORE is not executable"
    [[ -n $FERRY ]] || die "FERRY_BEFORE needs a ferry to compare with (not FERRY_BIN=none)"
fi
if [[ -n $FERRY ]]; then
    # Fail before any setup if this build can't do a recursive parallel get.
    # clap lists short options as "  -r, --recursive ..." in `get --help`.
    help=$("$FERRY" get --help 2>&1) || die "'$FERRY get --help' failed: $help"
    for flag in -r -j; do
        grep -Eq -- "^[[:space:]]*${flag}[,[:space:]]" <<<"$help" ||
            die "$FERRY does not support 'get $flag' (recursive, parallel download from issue 4):
    its 'get --help' lists no $flag option. Point FERRY_BIN at a build that has
    'ferry get -r -j N', or set FERRY_BIN=none to measure lftp only."
    done
fi

# --------------------------------------------------------------------------
# Temp dirs + cleanup
# --------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrybench.XXXXXX")
# The unprivileged FTP session must be able to traverse into $WORK/root.
chmod 755 "$WORK"
VSFTPD_PID=""
PROXY_PID=""
OUT=""

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -n $PROXY_PID ]] && kill -TERM "$PROXY_PID" 2>/dev/null
    if [[ -n $VSFTPD_PID ]]; then
        # vsftpd forks one child per session; stop those first, then the listener.
        pkill -TERM -P "$VSFTPD_PID" 2>/dev/null || true
        kill -TERM "$VSFTPD_PID" 2>/dev/null || true
        wait "$VSFTPD_PID" 2>/dev/null || true
    fi
    [[ -n $OUT ]] && rm -rf "$OUT"
    if [[ $KEEP_WORK == 1 ]]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

avail_kib() { df -Pk "$1" | awk 'NR == 2 { print $4 }'; }

# Small files take a whole block (4 KiB) each at least, plus one inode. The
# server side holds the tree and one upload of it.
NEED_KB=$((MAX_FILES * ((FILE_KB + 3) / 4 * 4) + 65536))
(($(avail_kib "$WORK") > 2 * NEED_KB)) ||
    die "not enough space in $WORK for 2 x $MAX_FILES x ${FILE_KB} KiB (set TMPDIR)"

# Downloads go to OUT_DIR (default: /dev/shm when it has room, so the client's
# writes don't hit a disk). Each run uses a fresh folder inside a private dir.
if [[ -z $OUT_DIR ]]; then
    if [[ -d /dev/shm && -w /dev/shm ]] && (($(avail_kib /dev/shm) > NEED_KB)); then
        OUT_DIR=/dev/shm
    else
        OUT_DIR=$WORK
    fi
fi
OUT=$(mktemp -d "$OUT_DIR/ferrybench-tree.XXXXXX")
(($(avail_kib "$OUT") > NEED_KB)) ||
    die "not enough space in OUT_DIR=$OUT_DIR for $MAX_FILES x ${FILE_KB} KiB"

# --------------------------------------------------------------------------
# 3. Benchmark user, vsftpd (plain FTP only)
# --------------------------------------------------------------------------
ROOT_DIR=$WORK/root       # FTP login dir: user's home and vsftpd local_root
EMPTY_DIR=$WORK/empty     # secure_chroot_dir: must exist, be empty, root-owned
mkdir -p "$ROOT_DIR" "$EMPTY_DIR"
chmod 755 "$EMPTY_DIR"

if ! id "$BENCH_USER" >/dev/null 2>&1; then
    log "creating user $BENCH_USER"
    useradd --no-create-home --home-dir "$ROOT_DIR" --shell /bin/bash "$BENCH_USER"
fi
# vsftpd chdir()s to the user's home at login and fails ("500 OOPS: cannot
# change directory") if it is missing, so point the home at this run's FTP
# root every time. Debian's /etc/pam.d/vsftpd has pam_shells: the login shell
# must be listed in /etc/shells. Reset password too, so a stale account works.
usermod --home "$ROOT_DIR" --shell /bin/bash "$BENCH_USER"
echo "$BENCH_USER:$BENCH_PASS" | chpasswd
grep -qx "$BENCH_USER" /etc/ftpusers 2>/dev/null &&
    die "$BENCH_USER is listed in /etc/ftpusers (PAM would deny the login)"
chown "$BENCH_USER:" "$ROOT_DIR"

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
PORT=$FTP_PORT
while port_in_use "$PORT"; do
    PORT=$((PORT + 1))
    ((PORT < FTP_PORT + 200)) || die "no free control port near $FTP_PORT"
done

# Sessions: lftp mirror --parallel=N uses at most N sessions (the listing one
# is reused for transfers); ferry -j N may keep two more for listing, and old
# sessions can overlap new ones while they close. vsftpd's built-in default
# is unlimited, but distro configs often set max_per_ip, and when it is below
# N lftp does NOT fail: it quietly works with fewer connections (measured:
# max_per_ip=3 halves its files/s, =1 quarters it). So set it explicitly,
# with headroom.
MAX_PER_IP=$((PARALLEL * 2 + 16))
CONF=$WORK/vsftpd.conf
cat >"$CONF" <<EOF
# Generated by benches/tree_vs_lftp.sh -- private benchmark instance.
# Standalone, foreground (the script backgrounds it and kills it on exit).
listen=YES
listen_ipv6=NO
listen_address=$HOST
listen_port=$PORT
background=NO
max_clients=$((MAX_PER_IP * 2))
max_per_ip=$MAX_PER_IP
# Local user login only, writable (uploads), session starts in the bench dir.
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
local_root=$ROOT_DIR
chroot_local_user=NO
pam_service_name=vsftpd
userlist_enable=NO
secure_chroot_dir=$EMPTY_DIR
# Containers: seccomp filter and namespace isolation tend to fail there.
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
# Passive (PASV/EPSV) on loopback. Every file (and every LIST) is its own
# data connection, and vsftpd closes it first after sending, so each one
# leaves a TIME_WAIT socket (60 s) on the server side of a passive port:
# about RUNS x 2 tools x FILES of them within minutes. vsftpd binds with
# SO_REUSEADDR, so TIME_WAIT doesn't block re-listening on a port (10 ports
# measured as fast as 1000); fewer ports than PARALLEL serialize the data
# connections. The default range is wide to stay clear of either limit.
pasv_enable=YES
pasv_address=$HOST
pasv_min_port=$PASV_MIN
pasv_max_port=$PASV_MAX
port_enable=NO
connect_from_port_20=NO
# Logging (no per-transfer xferlog: keep the server path lean).
xferlog_enable=NO
vsftpd_log_file=$WORK/vsftpd.log
dual_log_enable=NO
idle_session_timeout=600
data_connection_timeout=600
ssl_enable=NO
EOF

log "starting vsftpd on $HOST:$PORT (pasv $PASV_MIN-$PASV_MAX, max_per_ip $MAX_PER_IP)"
# vsftpd writes startup errors ("500 OOPS: ...") to fd 0 -- in inetd mode
# that's the client socket -- so stdin must be a writable file to see them.
vsftpd "$CONF" 0<>"$WORK/vsftpd.out" 1>&0 2>&0 &
VSFTPD_PID=$!
for _ in $(seq 50); do
    port_in_use "$PORT" && break
    kill -0 "$VSFTPD_PID" 2>/dev/null ||
        die "vsftpd exited: $(cat "$WORK/vsftpd.out")"
    sleep 0.1
done
port_in_use "$PORT" || die "vsftpd not listening on $PORT: $(cat "$WORK/vsftpd.out")"

# The slow link: both tools talk to the latency proxy, which talks to vsftpd.
if [[ $DELAY_MS != 0 ]]; then
    if [[ -z $PROXY_BIN ]]; then
        log "building the latency proxy (cargo build --release --example latency_proxy)"
        (cd "$REPO_ROOT" && cargo build --release --example latency_proxy)
        PROXY_BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/examples/latency_proxy"
    fi
    [[ -x $PROXY_BIN ]] || die "latency proxy $PROXY_BIN is not executable"
    "$PROXY_BIN" "$HOST:$PORT" "$DELAY_MS" >"$WORK/proxy.out" 2>&1 &
    PROXY_PID=$!
    for _ in $(seq 50); do
        grep -q '^listening on ' "$WORK/proxy.out" && break
        sleep 0.1
    done
    PROXY_ADDR=$(sed -n 's/^listening on //p' "$WORK/proxy.out")
    [[ -n $PROXY_ADDR ]] || die "latency proxy did not start: $(cat "$WORK/proxy.out")"
    log "latency proxy on $PROXY_ADDR: ${DELAY_MS} ms each way in front of vsftpd on $HOST:$PORT"
    PORT=${PROXY_ADDR##*:}
fi


# --------------------------------------------------------------------------
# 4. The tree: DIRS folders dNN, each with files in dNN/, dNN/sub/ and
#    dNN/sub/deep/ (about 60/30/10 %), random contents, FILE_KB KiB each.
# --------------------------------------------------------------------------
TREE=$ROOT_DIR/tree
UP_DIR=$ROOT_DIR/up       # where uploads land, fresh for each run

# "count bytes" of the files under $1.
tree_stats() { find "$1" -type f -printf '%s\n' | awk '{ n++; b += $1 } END { printf "%d %d\n", n, b }'; }
# Sorted relative paths of the files under $1.
tree_names() { (cd "$1" && find . -type f | LC_ALL=C sort); }
# "sha256  ./path" of every file under $1, sorted by path.
tree_sums() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); }

# make_tree N: a fresh tree of N files (python3 when there, else one `head` per file).
make_tree() {
    local n=$1 d i j sub
    rm -rf "$TREE"
    log "creating $n files of $FILE_KB KiB in $TREE"
    for ((d = 0; d < DIRS; d++)); do
        mkdir -p "$(printf '%s/d%02d/sub/deep' "$TREE" "$d")"
    done
    if command -v python3 >/dev/null; then
        python3 - "$TREE" "$n" "$FILE_KB" "$DIRS" <<'PY'
import os, sys
root, n, kb, dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(n):
    d, j = "d%02d" % (i % dirs), i // dirs
    sub = d if j % 10 <= 5 else (d + "/sub" if j % 10 <= 8 else d + "/sub/deep")
    with open("%s/%s/f%05d.bin" % (root, sub, i), "wb") as f:
        f.write(os.urandom(kb * 1024))
PY
    else
        for ((i = 0; i < n; i++)); do
            d=$(printf 'd%02d' $((i % DIRS)))
            j=$((i / DIRS))
            case $((j % 10)) in
            [0-5]) sub=$d ;;
            [6-8]) sub=$d/sub ;;
            *) sub=$d/sub/deep ;;
            esac
            head -c "$((FILE_KB * 1024))" /dev/urandom >"$(printf '%s/%s/f%05d.bin' "$TREE" "$sub" "$i")"
        done
    fi
    chown -R "$BENCH_USER:" "$TREE"
    # Also warms the page cache, so no run pays for the first disk read.
    SRC_STATS=$(tree_stats "$TREE")
    SRC_SUMS=$WORK/source.sha256
    tree_sums "$TREE" >"$SRC_SUMS"
    [[ $SRC_STATS == "$n $((n * FILE_KB * 1024))" ]] || die "tree has $SRC_STATS, want $n files"
}

# --------------------------------------------------------------------------
# 5. Measurements
# --------------------------------------------------------------------------
URL_BASE="ftp://$BENCH_USER:$BENCH_PASS@$HOST:$PORT"
LFTP_SET="set ftp:use-mode-z off; set ftp:ssl-allow no"

# The command for one copy ($1=tool, $2=get|put, $3=download folder), in array XFER.
build_cmd() {
    local tool=$1 dir=$2 dest=$3
    case $tool/$dir in
    lftp/get) XFER=(lftp -e "$LFTP_SET; mirror $LFTP_PAR tree $dest; quit"
        -u "$BENCH_USER,$BENCH_PASS" "ftp://$HOST:$PORT") ;;
    lftp/put) XFER=(lftp -e "$LFTP_SET; mirror -R $LFTP_PAR $TREE up; quit"
        -u "$BENCH_USER,$BENCH_PASS" "ftp://$HOST:$PORT") ;;
    ferry/get) XFER=("$FERRY" get -r "${FERRY_J[@]}" "$URL_BASE/tree/" "$dest") ;;
    ferry/put) XFER=("$FERRY" put -r "${FERRY_J[@]}" "$TREE" "$URL_BASE/up/") ;;
    before/get) XFER=("$FERRY_BEFORE" get -r "${FERRY_J[@]}" "$URL_BASE/tree/" "$dest") ;;
    before/put) XFER=("$FERRY_BEFORE" put -r "${FERRY_J[@]}" "$TREE" "$URL_BASE/up/") ;;
    esac
}

# Checks the copy in $2 against the source tree; messages on stderr.
verify() {
    local tool=$1 dest=$2 got_stats
    # Accept a copy written either into DEST/d00... or into DEST/tree/d00...
    local entries=("$dest"/*)
    if ((${#entries[@]} == 1)) && [[ ${entries[0]} == "$dest/tree" && -d $dest/tree ]]; then
        dest=$dest/tree
    fi
    got_stats=$(tree_stats "$dest")
    if [[ $got_stats != "$SRC_STATS" ]]; then
        printf '%s: INCOMPLETE copy: %s files / %s bytes, want %s files / %s bytes\n' \
            "$tool" "${got_stats% *}" "${got_stats#* }" "${SRC_STATS% *}" "${SRC_STATS#* }" >&2
        diff <(tree_names "$TREE") <(tree_names "$dest") | grep '^[<>]' | head -n 10 |
            sed 's/^</    missing:/; s/^>/    extra:  /' >&2 || true
        return 1
    fi
    tree_sums "$dest" >"$WORK/copy.sha256"
    if ! cmp -s "$SRC_SUMS" "$WORK/copy.sha256"; then
        printf '%s: WRONG copy: right count and bytes, but names or contents differ:\n' "$tool" >&2
        diff "$SRC_SUMS" "$WORK/copy.sha256" | sed -n 's/^> [0-9a-f]*  /    /p' | head -n 10 >&2 || true
        return 1
    fi
}

# Runs one copy ($1=tool, $2=get|put), checks it, prints "wall user sys" seconds.
run_once() {
    local tool=$1 dir=$2 dest rc=0
    if [[ $dir == get ]]; then
        dest=$OUT/run
        rm -rf "$dest"
        mkdir "$dest"
    else
        dest=$UP_DIR
        rm -rf "$dest"
        mkdir "$dest"
        chown "$BENCH_USER:" "$dest"
    fi
    build_cmd "$tool" "$dir" "$dest"
    timeout "$XFER_TIMEOUT" /usr/bin/time -f '%e %U %S' -o "$WORK/time.out" \
        "${XFER[@]}" >"$WORK/xfer.out" 2>"$WORK/xfer.err" </dev/null || rc=$?
    if ((rc != 0)); then
        ((rc == 124)) && printf '%s: timed out after %s s\n' "$tool" "$XFER_TIMEOUT" >&2
        printf '%s FAILED (exit %s): %s\n' "$tool" "$rc" "${XFER[*]}" >&2
        sed 's/^/    /' "$WORK/xfer.err" "$WORK/xfer.out" | head -n 20 >&2
        return 1
    fi
    if ! verify "$tool" "$dest"; then
        printf '    command: %s\n' "${XFER[*]}" >&2
        sed 's/^/    /' "$WORK/xfer.err" | head -n 10 >&2
        return 1
    fi
    rm -rf "$dest"
    tail -n 1 "$WORK/time.out"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

tools=(lftp)
[[ -n $FERRY ]] && tools+=(ferry)
[[ -n $FERRY_BEFORE ]] && tools+=(before)
failed=0
RESULTS=$WORK/results   # lines: files dir run tool wall user sys
: >"$RESULTS"

for n in "${SIZES[@]}"; do
    make_tree "$n"
    for dir in "${DIRS_TO_RUN[@]}"; do
        # Tools take turns run by run, so slow drift (thermal, page cache,
        # TIME_WAIT build-up, other work on the box) hits both alike.
        for ((r = 1; r <= RUNS; r++)); do
            for tool in "${tools[@]}"; do
                if m=$(run_once "$tool" "$dir"); then
                    read -r wall user sys <<<"$m"
                    echo "$n $dir $r $tool $wall $user $sys" >>"$RESULTS"
                    log "$(printf '%6d files %s %-5s run %d/%d: %8.3fs  %8.1f files/s  user %6.2fs' \
                        "$n" "$dir" "$tool" "$r" "$RUNS" "$wall" \
                        "$(awk -v n="$n" -v t="$wall" 'BEGIN { print n / t }')" "$user")"
                else
                    failed=1
                fi
            done
        done
    done
done
rm -rf "$TREE"

# --------------------------------------------------------------------------
# 6. Report
# --------------------------------------------------------------------------
# field N of tool $3's runs at size $1, direction $2 (5 wall, 6 user)
runs_of() { awk -v n="$1" -v d="$2" -v t="$3" -v f="$4" '$1 == n && $2 == d && $4 == t { print $f }' "$RESULTS"; }
# lftp wall / $3's wall (ferry by default) for each run both completed
pair_ratios() {
    awk -v n="$1" -v d="$2" -v t="${3:-ferry}" '$1 == n && $2 == d { w[$3 " " $4] = $5; runs[$3] = 1 }
        END { for (r in runs) if ((r " lftp") in w && (r " " t) in w && w[r " " t] > 0)
            print w[r " lftp"] / w[r " " t] }' "$RESULTS"
}

echo
echo "machine: nproc=$(nproc) kernel=$(uname -srm)"
echo "load:    $(cut -d" " -f1-3 /proc/loadavg) (1/5/15 min; other work on the box skews results)"
echo "params:  FILES='$FILES' DIRECTIONS='$DIRECTIONS' FILE_KB=$FILE_KB DIRS=$DIRS PARALLEL=$PARALLEL RUNS=$RUNS OUT_DIR=$OUT_DIR"
[[ $DELAY_MS != 0 ]] && echo "link:    latency proxy, $DELAY_MS ms one way ($((2 * DELAY_MS)) ms round trip), on port $PORT"
echo "server:  vsftpd $(dpkg-query -W -f='${Version}' vsftpd 2>/dev/null || echo '?') on ftp://$HOST:$PORT, passive ports $PASV_MIN-$PASV_MAX"
echo "lftp:    $(lftp --version | head -n1)"
echo "         get: lftp -e '$LFTP_SET; mirror $LFTP_PAR tree OUT; quit' -u USER,PASS ftp://$HOST:$PORT"
echo "         put: lftp -e '$LFTP_SET; mirror -R $LFTP_PAR TREE up; quit' -u USER,PASS ftp://$HOST:$PORT"
if [[ -n $FERRY ]]; then
    echo "ferry:   $FERRY get -r ${FERRY_J[*]} ftp://USER:PASS@$HOST:$PORT/tree/ OUT"
    echo "         $FERRY put -r ${FERRY_J[*]} TREE ftp://USER:PASS@$HOST:$PORT/up/"
    [[ -n $FERRY_BEFORE ]] && echo "before:  $FERRY_BEFORE, the same commands"
else
    echo "ferry:   skipped (FERRY_BIN=none)"
fi
echo
printf '%7s %-4s %9s %9s %9s %9s %12s %12s\n' files dir "lftp s" "ferry s" "lftp f/s" "ferry f/s" "ratio*" "ferry us/f**"
printf '%7s %-4s %9s %9s %9s %9s %12s %12s\n' ----- --- ------ ------- -------- --------- ------ ----------
declare -A CPU=()
below=0
ferries=(ferry)
[[ -n $FERRY_BEFORE ]] && ferries+=(before)
for dir in "${DIRS_TO_RUN[@]}"; do
    for n in "${SIZES[@]}"; do
      for ft in "${ferries[@]}"; do
        lw=$(runs_of "$n" "$dir" lftp 5 | median)
        fw=$(runs_of "$n" "$dir" "$ft" 5 | median)
        fu=$(runs_of "$n" "$dir" "$ft" 6 | median)
        ratio=$(pair_ratios "$n" "$dir" "$ft" | median)
        fps() { [[ $1 == - ]] && echo - || awk -v n="$n" -v t="$1" 'BEGIN { printf "%.0f", n / t }'; }
        cpu=-
        [[ $fu != - ]] && cpu=$(awk -v u="$fu" -v n="$n" 'BEGIN { printf "%.1f", u * 1e6 / n }')
        mark=""
        if [[ $ft == before ]]; then
            # The build before: shown for comparison, not held to the target.
            [[ $ratio != - ]] && ratio=$(printf '%.2f' "$ratio")
            printf '%7d %-4s %9s %9s %9s %9s %12s %12s  (before)\n' "$n" "$dir" "$lw" "$fw" "$(fps "$lw")" "$(fps "$fw")" \
                "$ratio" "$cpu"
            continue
        fi
        CPU[$dir/$n]=$cpu
        if [[ $ratio != - ]]; then
            ratio=$(printf '%.2f' "$ratio")
            awk -v r="$ratio" -v t="$TARGET" 'BEGIN { exit !(r < t) }' && { mark=" BELOW"; below=1; }
        fi
        printf '%7d %-4s %9s %9s %9s %9s %12s %12s\n' "$n" "$dir" "$lw" "$fw" "$(fps "$lw")" "$(fps "$fw")" \
            "$ratio$mark" "$cpu"
      done
    done
done
echo
echo "*  median over the runs of (lftp time / ferry time); target >= $TARGET at every size"
echo "** median user CPU of ferry per file, in microseconds"
for dir in "${DIRS_TO_RUN[@]}"; do
    ((${#SIZES[@]} > 1)) || break
    vals=()
    for n in "${SIZES[@]}"; do [[ ${CPU[$dir/$n]} != - ]] && vals+=("${CPU[$dir/$n]}"); done
    ((${#vals[@]} > 1)) || continue
    spread=$(printf '%s\n' "${vals[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f", (lo > 0 ? hi / lo : 0) }')
    verdict="meets target"
    awk -v s="$spread" 'BEGIN { exit !(s > 1.5) }' && verdict="ABOVE target"
    echo "$dir: ferry user CPU per file, largest / smallest over FILES='$FILES': ${spread}x  (target <= 1.50: $verdict)"
done
((below == 0)) || echo "ferry is below its target ($TARGET x lftp) in the rows marked BELOW"

((failed == 0)) || { echo; echo "some copies FAILED (see messages above)"; exit 1; }
exit 0
