#!/usr/bin/env bash
# Concurrent adds: 400 magnet adds over the API, 32 at a time, against the binary given as $1
# (default target/debug/cloud-torrent); prints the wall time and how many records were saved.
# Loopback only; DHT off, so the magnets never resolve (this measures adding and saving).
set -euo pipefail
BIN=${1:-target/debug/cloud-torrent}; D=$(mktemp -d); PORT=38222
"$BIN" --host 127.0.0.1 --port $PORT -c $D/c.toml --download-dir $D/dl --state-dir $D/st --disable-dht --incoming-host 127.0.0.1 --incoming-port 0 > $D/log 2>&1 &
PID=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
start=$(date +%s.%N)
seq 1 400 | xargs -P 32 -I{} sh -c 'h=$(printf "%040x" {}); curl -s -o /dev/null -w "%{http_code}\n" -XPOST -H "content-type: application/json" -d "{\"magnet\":\"magnet:?xt=urn:btih:$h&dn=t{}\"}" http://127.0.0.1:'$PORT'/api/v1/torrents' | sort | uniq -c
end=$(date +%s.%N)
echo "400 adds, 32 at a time: $(echo "$end - $start" | bc) s"
kill $PID; wait $PID 2>/dev/null || true
python3 -c "import json,sys; print(len(json.load(open('$D/st/torrents.json'))['torrents']), 'records saved')" 2>/dev/null || ls $D/st
rm -rf $D
