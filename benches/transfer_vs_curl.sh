#!/usr/bin/env bash
# transfer_vs_curl.sh -- loopback FTP/FTPS throughput: ferry vs curl.
#
# Starts a private vsftpd on 127.0.0.1 (never the system service), creates a
# SIZE_MB MiB random test file and, for each mode (epsv, active, tls),
# downloads and uploads it with curl and with ferry. Every measurement is run
# RUNS times; the table reports the BEST (fastest) wall-clock time of each.
#
# Needs root (installs packages, creates the benchmark user, runs vsftpd).
#
# Environment knobs (all optional):
#   SIZE_MB=1024        size of the test file in MiB
#   RUNS=3              repetitions per measurement (best time is reported)
#   FERRY_BIN=...       prebuilt ferry binary; unset = `cargo build --release`;
#                       `none` = skip the ferry measurements (curl only)
#   OUT_DIR=...         where downloads are written (default /dev/shm if it
#                       has room, else a temp dir next to the server files)
#   MODES="epsv active tls"   subset/order of modes to run
#   FTP_PORT=2121       first control port to try (next free one is used)
#   PASV_MIN=50000 PASV_MAX=50099   vsftpd passive port range
#   BENCH_USER=ferrybench BENCH_PASS=benchpw   local account used for login
#   XFER_TIMEOUT=600    seconds before a single transfer is declared hung
#   KEEP_WORK=1         keep the temp dir (vsftpd.conf, logs) for debugging
set -euo pipefail

SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
FERRY_BIN=${FERRY_BIN:-}
OUT_DIR=${OUT_DIR:-}
MODES=${MODES:-"epsv active tls"}
FTP_PORT=${FTP_PORT:-2121}
PASV_MIN=${PASV_MIN:-50000}
PASV_MAX=${PASV_MAX:-50099}
BENCH_USER=${BENCH_USER:-ferrybench}
BENCH_PASS=${BENCH_PASS:-benchpw}
XFER_TIMEOUT=${XFER_TIMEOUT:-600}
KEEP_WORK=${KEEP_WORK:-0}

HOST=127.0.0.1
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'transfer_vs_curl: error: %s\n' "$*" >&2; exit 1; }

[[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || die "SIZE_MB must be a positive integer"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ $EUID -eq 0 ]] || die "must run as root (apt-get, useradd, vsftpd)"
SIZE_BYTES=$((SIZE_MB * 1024 * 1024))

# --------------------------------------------------------------------------
# 1. Dependencies (Debian packages, installed only when the binary is missing)
# --------------------------------------------------------------------------
export PATH="$PATH:/usr/sbin:/sbin"
missing=()
command -v vsftpd >/dev/null || missing+=(vsftpd)
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
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
# 2. ferry binary
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

# --------------------------------------------------------------------------
# Temp dirs + cleanup
# --------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrybench.XXXXXX")
# The unprivileged FTP session must be able to traverse into $WORK/root.
chmod 755 "$WORK"
VSFTPD_PID=""
OUT=""

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $VSFTPD_PID ]]; then
        # vsftpd forks one child per session; stop those first, then the listener.
        pkill -TERM -P "$VSFTPD_PID" 2>/dev/null || true
        kill -TERM "$VSFTPD_PID" 2>/dev/null || true
        wait "$VSFTPD_PID" 2>/dev/null || true
    fi
    [[ -n $OUT ]] && rm -rf "$OUT"
    if [[ $KEEP_WORK == 1 ]]; then
        rm -f "$WORK"/root/bigfile "$WORK"/root/upload.bin
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

# Server side holds bigfile + upload.bin.
(($(avail_kib "$WORK") > 2 * SIZE_MB * 1024 + 65536)) ||
    die "not enough space in $WORK for 2 x ${SIZE_MB} MiB (set TMPDIR)"

# Downloads go to OUT_DIR (default: /dev/shm when it has room, so the client's
# writes don't hit a disk). We always use a private subdir so cleanup is safe.
if [[ -z $OUT_DIR ]]; then
    if [[ -d /dev/shm && -w /dev/shm ]] &&
        (($(avail_kib /dev/shm) > SIZE_MB * 1024 + 65536)); then
        OUT_DIR=/dev/shm
    else
        OUT_DIR=$WORK
    fi
fi
OUT=$(mktemp -d "$OUT_DIR/ferrybench-out.XXXXXX")
(($(avail_kib "$OUT") > SIZE_MB * 1024 + 16384)) ||
    die "not enough space in OUT_DIR=$OUT_DIR for ${SIZE_MB} MiB"

# --------------------------------------------------------------------------
# 3. Benchmark user, TLS cert, vsftpd
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

CERT=$WORK/cert.pem
KEY=$WORK/key.pem
# SAN=IP:127.0.0.1 so curl can verify with --cacert (no --insecure needed).
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 \
    -keyout "$KEY" -out "$CERT" -subj "/CN=$HOST" \
    -addext "subjectAltName=IP:$HOST" 2>/dev/null
chmod 600 "$KEY"
# ferry pins the certificate by the SHA-256 of its DER encoding.
FINGERPRINT=$(openssl x509 -in "$CERT" -outform der | sha256sum | cut -d' ' -f1)

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
PORT=$FTP_PORT
while port_in_use "$PORT"; do
    PORT=$((PORT + 1))
    ((PORT < FTP_PORT + 200)) || die "no free control port near $FTP_PORT"
done

CONF=$WORK/vsftpd.conf
cat >"$CONF" <<EOF
# Generated by benches/transfer_vs_curl.sh -- private benchmark instance.
# Standalone, foreground (the script backgrounds it and kills it on exit).
listen=YES
listen_ipv6=NO
listen_address=$HOST
listen_port=$PORT
background=NO
# Local user login only, writable, session starts in the benchmark dir.
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
# Passive (PASV/EPSV) on loopback, and active (PORT/EPRT) mode.
pasv_enable=YES
pasv_address=$HOST
pasv_min_port=$PASV_MIN
pasv_max_port=$PASV_MAX
port_enable=YES
# Don't bind source port 20 for active data connections.
connect_from_port_20=NO
# Logging (no per-transfer xferlog: keep the server path lean).
xferlog_enable=NO
vsftpd_log_file=$WORK/vsftpd.log
dual_log_enable=NO
idle_session_timeout=600
data_connection_timeout=600
# Explicit FTPS (AUTH TLS), optional for clients. vsftpd 3.0.3 (Debian 12)
# has no ssl_tlsv1_2 option (it's a config error there); ssl_tlsv1=NO only
# turns off TLS 1.0, so TLS 1.2 and 1.3 stay available. ssl_ciphers=HIGH is
# required with OpenSSL 3 (vsftpd's built-in default cipher list fails there).
ssl_enable=YES
allow_anon_ssl=NO
force_local_data_ssl=NO
force_local_logins_ssl=NO
ssl_sslv2=NO
ssl_sslv3=NO
ssl_tlsv1=NO
ssl_ciphers=HIGH
# Default, kept on purpose: data connections must resume the control
# connection's TLS session.
require_ssl_reuse=YES
rsa_cert_file=$CERT
rsa_private_key_file=$KEY
EOF

log "starting vsftpd on $HOST:$PORT (pasv $PASV_MIN-$PASV_MAX)"
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

# --------------------------------------------------------------------------
# 4. Test file
# --------------------------------------------------------------------------
SRC=$ROOT_DIR/bigfile
log "creating ${SIZE_MB} MiB test file"
head -c "$SIZE_BYTES" /dev/urandom >"$SRC"
chown "$BENCH_USER:" "$SRC"
# Also warms the page cache, so neither tool pays for the first disk read.
SRC_SHA=$(sha256sum "$SRC" | cut -d' ' -f1)

# --------------------------------------------------------------------------
# 5. Measurements
# --------------------------------------------------------------------------
BASE_URL="ftp://$HOST:$PORT"
CURL_URL="ftp://$BENCH_USER:$BENCH_PASS@$HOST:$PORT"
FERRY_URL="ftp://$BENCH_USER@$HOST:$PORT"
export FERRY_PASSWORD=$BENCH_PASS

# Per-mode extra arguments. curl uses EPSV by default for passive.
curl_args() {
    case $1 in
    epsv) CARGS=() ;;
    active) CARGS=(--ftp-port "$HOST") ;;
    tls) CARGS=(--ssl-reqd --cacert "$CERT") ;;
    *) die "unknown mode $1" ;;
    esac
}
ferry_args() {
    case $1 in
    epsv) FARGS=() ;;
    active) FARGS=(--active) ;;
    tls) FARGS=(--tls --fingerprint "$FINGERPRINT") ;;
    *) die "unknown mode $1" ;;
    esac
}

# The command for one transfer, in array XFER. $1=tool $2=mode $3=dir
build_cmd() {
    local tool=$1 mode=$2 dir=$3
    if [[ $tool == curl ]]; then
        curl_args "$mode"
        if [[ $dir == get ]]; then
            XFER=(curl -sS "${CARGS[@]}" -o "$OUT/download.bin" "$CURL_URL/bigfile")
        else
            XFER=(curl -sS "${CARGS[@]}" -T "$SRC" "$CURL_URL/upload.bin")
        fi
    else
        ferry_args "$mode"
        if [[ $dir == get ]]; then
            XFER=("$FERRY" get "$FERRY_URL/bigfile" "$OUT/download.bin" "${FARGS[@]}")
        else
            XFER=("$FERRY" put "$SRC" "$FERRY_URL/upload.bin" "${FARGS[@]}")
        fi
    fi
}

# Runs one transfer, checks the result, prints elapsed seconds on stdout.
# $4 = 1 to also verify the sha256 (done on each tool's first run per cell).
run_once() {
    local tool=$1 mode=$2 dir=$3 check_sha=$4 result t0 t1 size
    build_cmd "$tool" "$mode" "$dir"
    if [[ $dir == get ]]; then result=$OUT/download.bin; else result=$ROOT_DIR/upload.bin; fi
    rm -f "$result"
    t0=$(date +%s.%N)
    if ! timeout "$XFER_TIMEOUT" "${XFER[@]}" >"$WORK/xfer.out" 2>"$WORK/xfer.err" </dev/null; then
        printf '%s %s %s FAILED: %s\n' "$tool" "$mode" "$dir" "${XFER[*]}" >&2
        sed 's/^/    /' "$WORK/xfer.err" >&2
        return 1
    fi
    t1=$(date +%s.%N)
    size=$(stat -c %s "$result" 2>/dev/null || echo missing)
    if [[ $size != "$SIZE_BYTES" ]]; then
        printf '%s %s %s: wrong size %s (want %s)\n' "$tool" "$mode" "$dir" "$size" "$SIZE_BYTES" >&2
        return 1
    fi
    if [[ $check_sha == 1 ]] && [[ $(sha256sum "$result" | cut -d' ' -f1) != "$SRC_SHA" ]]; then
        printf '%s %s %s: sha256 mismatch\n' "$tool" "$mode" "$dir" >&2
        return 1
    fi
    rm -f "$result"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

rate() { # seconds|FAIL|"" -> MiB/s
    case $1 in
    FAIL) echo FAIL ;;
    "") echo - ;;
    *) awk -v s="$SIZE_MB" -v t="$1" 'BEGIN { printf "%.1f", s / t }' ;;
    esac
}

tools=(curl)
[[ -n $FERRY ]] && tools+=(ferry)
declare -A BEST=()   # key "tool mode dir" -> best seconds, or FAIL
failed=0

for mode in $MODES; do
    for dir in get put; do
        # Interleave the tools run by run so slow drift (thermal, page cache)
        # doesn't systematically favour one of them.
        for ((r = 1; r <= RUNS; r++)); do
            for tool in "${tools[@]}"; do
                key="$tool $mode $dir"
                [[ ${BEST[$key]:-} == FAIL ]] && continue
                if t=$(run_once "$tool" "$mode" "$dir" $((r == 1))); then
                    log "$(printf '%-5s %-6s %-3s run %d/%d: %8.3fs  %9s MiB/s' \
                        "$tool" "$mode" "$dir" "$r" "$RUNS" "$t" "$(rate "$t")")"
                    if [[ -z ${BEST[$key]:-} ]] ||
                        awk -v a="$t" -v b="${BEST[$key]}" 'BEGIN { exit !(a < b) }'; then
                        BEST[$key]=$t
                    fi
                else
                    BEST[$key]=FAIL
                    failed=1
                fi
            done
        done
    done
done

# --------------------------------------------------------------------------
# 6. Report
# --------------------------------------------------------------------------
echo
echo "machine: nproc=$(nproc) kernel=$(uname -srm)"
echo "load:    $(cut -d" " -f1-3 /proc/loadavg) (1/5/15 min; other work on the box skews results)"
echo "params:  SIZE_MB=$SIZE_MB RUNS=$RUNS (best of RUNS, wall clock) OUT_DIR=$OUT_DIR"
echo "curl:    $(curl --version | head -n1)"
echo "server:  vsftpd $(dpkg-query -W -f='${Version}' vsftpd 2>/dev/null || echo '?') on $BASE_URL"
echo "ferry:   ${FERRY:-skipped (FERRY_BIN=none)}"
echo
printf '%-7s %-9s %12s %12s %12s\n' mode direction "curl MiB/s" "ferry MiB/s" "ferry/curl"
printf '%-7s %-9s %12s %12s %12s\n' ------- --------- ---------- ----------- ----------
for mode in $MODES; do
    for dir in get put; do
        c=$(rate "${BEST[curl $mode $dir]:-}")
        f=$(rate "${BEST[ferry $mode $dir]:-}")
        ratio=-
        if [[ $c =~ ^[0-9.]+$ && $f =~ ^[0-9.]+$ ]]; then
            ratio=$(awk -v c="${BEST[curl $mode $dir]}" -v f="${BEST[ferry $mode $dir]}" \
                'BEGIN { printf "%.2f", c / f }') # ratio of rates = inverse ratio of times
        fi
        [[ $dir == get ]] && d=download || d=upload
        printf '%-7s %-9s %12s %12s %12s\n' "$mode" "$d" "$c" "$f" "$ratio"
    done
done

((failed == 0)) || { echo; echo "some transfers FAILED (see messages above)"; exit 1; }
exit 0
