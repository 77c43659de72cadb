#!/usr/bin/env bash
# Throughput of file serving over loopback: cloud-torrent's GET /download/<1 GiB file>
# and its zip of a 1 GiB folder, next to nginx (Debian package) serving the same
# file in the same run. Reports MiB/s (curl) and the server's CPU seconds per GiB.
#
# Usage: bench/files.sh            (RUNS=5 SIZE_MIB=1024 by default)
# Needs: nginx, curl (installed with apt-get when missing). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-1024}
PORT_CT=${PORT_CT:-28080}
PORT_NGINX=${PORT_NGINX:-28081}
TARGET=${CARGO_TARGET_DIR:-target}

for tool in nginx curl; do
  command -v $tool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light curl >/dev/null; }
done
cargo build --release --quiet
BIN=$TARGET/release/cloud-torrent

WORK=$(mktemp -d /tmp/ct-files-bench.XXXXXX)
trap 'kill $CT_PID $NGINX_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/dl/folder" "$WORK/state" "$WORK/nginx/logs"
chmod 755 "$WORK" "$WORK/dl" "$WORK/dl/folder" # nginx workers run as an unprivileged user
head -c $((SIZE_MIB << 20)) /dev/urandom > "$WORK/dl/big.bin"
for i in 1 2 3 4 5 6 7 8; do
  head -c $((SIZE_MIB << 17)) /dev/urandom > "$WORK/dl/folder/part$i.bin"
done
cat "$WORK/dl/big.bin" "$WORK"/dl/folder/*.bin > /dev/null # warm the page cache

"$BIN" --host 127.0.0.1 --port $PORT_CT --download-dir "$WORK/dl" --state-dir "$WORK/state" \
  --config-path "$WORK/none.toml" --disable-dht --incoming-host 127.0.0.1 --incoming-port 0 \
  >"$WORK/ct.log" 2>&1 &
CT_PID=$!
cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
error_log $WORK/nginx/logs/error.log;
pid $WORK/nginx/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  server { listen 127.0.0.1:$PORT_NGINX; root $WORK/dl; }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT_CT/healthz" >/dev/null && break; sleep 0.2; done
sleep 0.5

cpu_of() { # utime+stime in seconds of a process and its children (nginx workers)
  local total=0 p
  for p in $1 $(pgrep -P "$1" || true); do
    read -r -a f < "/proc/$p/stat"
    total=$((total + f[13] + f[14]))
  done
  echo "$total"
}
measure() { # name pid url
  local name=$1 pid=$2 url=$3 speeds=() bytes cpu0 cpu1 hz
  hz=$(getconf CLK_TCK)
  cpu0=$(cpu_of "$pid")
  for _ in $(seq "$RUNS"); do
    speeds+=("$(curl -sf -o /dev/null -w '%{speed_download} %{size_download}' "$url")")
  done
  cpu1=$(cpu_of "$pid")
  bytes=$(echo "${speeds[0]}" | cut -d' ' -f2)
  local sorted
  sorted=$(printf '%s\n' "${speeds[@]}" | awk '{ printf "%.1f\n", $1 / 1048576 }' | sort -n)
  awk -v name="$name" -v runs="$RUNS" -v ticks=$((cpu1 - cpu0)) -v hz="$hz" -v bytes="$bytes" '
    { s[NR] = $1 } END {
      gib = bytes * runs / 1073741824
      printf "%-42s min %7.0f  median %7.0f  max %7.0f MiB/s   server CPU %.2f s/GiB\n", name, s[1], s[int((NR + 1) / 2)], s[NR], ticks / hz / gib }' <<<"$sorted"
}

echo "payload ${SIZE_MIB} MiB, $RUNS runs each, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
measure "nginx GET file" $NGINX_PID "http://127.0.0.1:$PORT_NGINX/big.bin"
measure "cloud-torrent GET /download/file" $CT_PID "http://127.0.0.1:$PORT_CT/download/big.bin"
measure "cloud-torrent GET /download/folder (zip)" $CT_PID "http://127.0.0.1:$PORT_CT/download/folder"
measure "nginx GET file (again)" $NGINX_PID "http://127.0.0.1:$PORT_NGINX/big.bin"
