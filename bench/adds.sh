#!/usr/bin/env bash
# Adding many torrents, against the binary given as $1 (default target/debug/cloud-torrent):
#  1. 400 magnet adds over the API, 32 at a time (group commit shares the writes);
#  2. SEQUENTIAL (default 1000) more adds one at a time, timing the first and the last 100:
#     when a save rewrites the state of every torrent, the last ones cost far more than the
#     first; when it writes only the torrent's own row, they cost the same.
# Prints the times and how many records were saved (from state.sqlite, or torrents.json for
# versions before the database). Loopback only; DHT off, so the magnets never resolve (this
# measures adding and saving).
set -euo pipefail
BIN=${1:-target/debug/cloud-torrent}; SEQUENTIAL=${SEQUENTIAL:-1000}
D=$(mktemp -d); PORT=${PORT:-38222}
"$BIN" --host 127.0.0.1 --port $PORT -c $D/c.toml --download-dir $D/dl --state-dir $D/st --disable-dht --incoming-host 127.0.0.1 --incoming-port 0 > $D/log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf $D' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
add() {  # add N: one magnet add; prints its HTTP status
  local h; h=$(printf "%040x" "$1")
  curl -s -o /dev/null -w "%{http_code}\n" -XPOST -H "content-type: application/json" \
    -d "{\"magnet\":\"magnet:?xt=urn:btih:$h&dn=t$1\"}" http://127.0.0.1:$PORT/api/v1/torrents
}
export -f add; export PORT
now() { date +%s.%N; }

start=$(now)
seq 1 400 | xargs -P 32 -I{} bash -c 'add {}' | sort | uniq -c
echo "400 adds, 32 at a time: $(echo "$(now) - $start" | bc) s"

if ((SEQUENTIAL > 0)); then
  first=400; last=$((400 + SEQUENTIAL))
  start=$(now); mark_first=""; mark_last=""
  for ((n = first + 1; n <= last; n++)); do
    [[ $n -eq $((first + 101)) ]] && mark_first=$(now)
    [[ $n -eq $((last - 99)) ]] && mark_last=$(now)
    status=$(add $n)
    [[ $status == 201 ]] || { echo "add $n answered $status"; exit 1; }
  done
  end=$(now)
  echo "$SEQUENTIAL adds one at a time (torrents $((first + 1))-$last): $(echo "$end - $start" | bc) s;" \
    "first 100: $(echo "$mark_first - $start" | bc) s, last 100: $(echo "$end - $mark_last" | bc) s"
fi

kill $PID; wait $PID 2>/dev/null || true
python3 - "$D/st" <<'EOF'
import json, os, sqlite3, sys
st = sys.argv[1]
if os.path.exists(os.path.join(st, "state.sqlite")):
    n = sqlite3.connect(os.path.join(st, "state.sqlite")).execute("SELECT count(*) FROM torrents").fetchone()[0]
else:
    n = len(json.load(open(os.path.join(st, "torrents.json")))["torrents"])
print(n, "records saved")
EOF
