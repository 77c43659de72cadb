#!/usr/bin/env bash
# candidate-cloud-torrent.sh -- cloud-torrent as the CANDIDATE_CMD of swarm.sh
# (contract mode (b), "server mode": see the header of bench/swarm.sh).
#
#   CANDIDATE_CMD=bench/candidate-cloud-torrent.sh bench/swarm.sh bench
#
# $1 = .torrent path, $2 = output directory; BT_BENCH_* come from the harness.
# CLOUD_TORRENT = the binary [cloud-torrent in PATH].
#
# How it works: a small helper is started *detached* (it is not a descendant
# of this process), then this script execs cloud-torrent.  The process the
# harness samples and stops is therefore cloud-torrent itself and nothing
# else: the CPU seconds and VmHWM it reports are cloud-torrent's alone, not
# those of a wrapper shell.  The helper waits for /healthz, adds the torrent
# with POST /api/v1/torrents and exits.  Completion is pushed, as
# qBittorrent's run-on-finish program does it in the same harness: the server
# runs `touch $BT_BENCH_DONE_FILE` as its `finished` event program (see the
# README's Scripts), which it starts the moment librqbit finishes the torrent.
# Nothing polls the API (CT_POLL=<seconds> polls GET /api/v1/torrents/<hash>
# instead, as earlier runs did: each answer then costs the server CPU).
# Its HTTP requests are made with bash's /dev/tcp (no fork per request).
#
# Everything is on loopback: HTTP on 127.0.0.1, peers on $BT_BENCH_BIND, DHT
# and local peer discovery off (--disable-dht), no UPnP (cloud-torrent never
# enables it).
set -u

torrent=$1 out=$2
bin=${CLOUD_TORRENT:-cloud-torrent}
port=${BT_BENCH_HTTP_PORT:?} peer=${BT_BENCH_PEER_PORT:?} bind=${BT_BENCH_BIND:?}
done_file=${BT_BENCH_DONE_FILE:?}
poll=${CT_POLL:-}

# state and config beside OUTDIR (never inside it); the harness removes them
state=$(mktemp -d "$(dirname "$out")/ct-state.XXXXXX") || exit 1
config="$state/cloud-torrent.toml"   # does not exist: defaults + flags

# read_http METHOD PATH [CONTENT-TYPE FILE] -> sets HTTP_STATUS and HTTP_BODY
read_http() {
  local method=$1 path=$2 ctype=${3:-} file=${4:-} resp="" len=0
  HTTP_STATUS="" HTTP_BODY=""
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  if [[ -n $file ]]; then
    len=$(stat -c %s "$file")
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n' \
      "$method" "$path" "$ctype" "$len" >&3
    cat "$file" >&3
  else
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$method" "$path" >&3
  fi
  IFS= read -r -d '' resp <&3
  exec 3<&-
  HTTP_STATUS=${resp#HTTP/1.1 }; HTTP_STATUS=${HTTP_STATUS%% *}
  HTTP_BODY=${resp#*$'\r\n\r\n'}
  [[ -n $HTTP_STATUS ]]
}

nap() { read -r -t "$1" -u "$nap_fd" _ 2>/dev/null || true; }   # sleep without a fork

helper() {
  local pid=$1 i hash="" body nap_fd
  exec </dev/null >>"$state/helper.log" 2>&1
  mkfifo "$state/.nap" && exec {nap_fd}<>"$state/.nap"
  for ((i = 0; i < 3000; i++)); do   # 30 s for the server to come up
    kill -0 "$pid" 2>/dev/null || exit 1
    read_http GET /healthz 2>/dev/null && [[ $HTTP_STATUS == 200 ]] && break
    nap 0.01
  done
  read_http POST /api/v1/torrents application/x-bittorrent "$torrent" || { echo "add: no answer"; exit 1; }
  [[ $HTTP_STATUS == 200 || $HTTP_STATUS == 201 ]] || { echo "add: HTTP $HTTP_STATUS $HTTP_BODY"; exit 1; }
  body=$HTTP_BODY
  [[ $body =~ \"infoHash\":\"([0-9a-fA-F]{40})\" ]] && hash=${BASH_REMATCH[1]}
  [[ -n $hash ]] || { echo "add: no infoHash in $body"; exit 1; }
  echo "added $hash"
  [[ -n $poll ]] || exit 0   # the finished program says when it is done
  while kill -0 "$pid" 2>/dev/null; do
    if read_http GET "/api/v1/torrents/$hash" 2>/dev/null && [[ $HTTP_STATUS == 200 ]]; then
      if [[ $HTTP_BODY =~ \"state\":\"(seeding|completed)\" ]]; then
        touch "$done_file"
        echo "done: ${BASH_REMATCH[1]}"
        exit 0
      elif [[ $HTTP_BODY =~ \"state\":\"error\" ]]; then
        echo "torrent error: $HTTP_BODY"
        exit 1
      fi
    fi
    nap "$poll"
  done
}

# detach the helper (the subshell exits at once, the helper is re-parented)
( helper $$ & )

programs=()
if [[ -z $poll ]]; then
  touch_bin=$(command -v touch) || exit 1
  programs=(--event-programs "[{\"event\": \"finished\", \"argv\": [\"$touch_bin\", \"$done_file\"]}]")
fi
exec "$bin" --config-path "$config" --state-dir "$state/state" --download-dir "$out" \
  --host 127.0.0.1 --port "$port" --incoming-host "$bind" --incoming-port "$peer" --disable-dht \
  "${programs[@]}"
