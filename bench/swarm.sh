#!/usr/bin/env bash
# swarm.sh -- reproducible loopback BitTorrent benchmark harness.
#
# Copied from the team's shared harness (shared/bench/swarm.sh) so that this
# repository can reproduce BENCHMARKS.md on its own; bench/run.sh drives it.
# Local changes: the `idle` sub-command also measures cloud-torrent (client
# name "cloud-torrent", binary $CLOUD_TORRENT); a second candidate, client
# name "candidate-before", runs $CANDIDATE_BEFORE_CMD exactly as "candidate"
# runs $CANDIDATE_CMD (two builds measured side by side in one run).  The
# RESULTS.md mentioned below is the shared harness's notes, not a file of this
# repository.
#
# Everything runs on the loopback interface: a local opentracker on 127.0.0.1,
# one or more seeders and one leecher at a time.  DHT / LSD / PEX / UPnP /
# NAT-PMP / uTP are disabled in every client that has a switch for it, the
# torrent is marked private (a second guard: clients turn DHT/PEX/LSD off per
# torrent for private torrents), and clients are bound to their loopback
# address / lo where they allow it.  Peer traffic uses distinct loopback
# addresses (leecher 127.0.0.2, seeders 127.0.0.11..) because rtorrent keys
# peers by IP only and libtorrent limits connections per IP; the tracker and
# all RPC / web UI ports are on 127.0.0.1.  See RESULTS.md for the rationale.
#
# Sub-commands (first argument, default "bench"):
#   bench    create payload + .torrent, start tracker + seeder(s), then download
#            the payload with every client in $CLIENTS, $RUNS times, and print
#            one result line per download.
#   ceiling  physical reference numbers for this box: page-cache read, local
#            copy, plain TCP copy through socat on loopback, sha256/sha1 speed.
#   idle     idle RSS / CPU of clients with 0 and $IDLE_TORRENTS small torrents.
#   help     this text.
#
# Parameters (environment variables; defaults in brackets):
#   SIZE_MIB [1024]        payload size for LAYOUT=single (and for ceiling)
#   LAYOUT [single]        single | multi
#   MULTI_FILES [200]      number of files for LAYOUT=multi
#   MULTI_FILE_MIB [5]     size of each file for LAYOUT=multi
#   PIECE_EXP [auto]       mktorrent -l exponent; auto = ~1024-2047 pieces,
#                          clamped to 2^18..2^24
#   PRIVATE [1]            set the private flag in the .torrent
#   CLIENTS ["aria2 transmission qbittorrent rqbit rtorrent"]
#                          leechers to test, in order; "candidate" runs
#                          $CANDIDATE_CMD (added automatically when it is set
#                          and CLIENTS is not given)
#   SEEDERS [qbittorrent]  one seeder instance per word, any of qbittorrent
#                          transmission aria2 rtorrent rqbit, e.g.
#                          "qbittorrent qbittorrent qbittorrent"
#   RUNS [1]               repetitions (all clients per round, rounds repeated)
#   ROTATE [1]             1: round r starts with client r of CLIENTS (clients
#                          take turns at each position, so whatever the one
#                          before leaves behind, e.g. a deleted GiB still being
#                          freed, falls on all alike); 0: always in order
#   IP_MODE [distinct]     distinct: leecher on LEECH_IP [127.0.0.2], seeder i
#                          on 127.0.0.(SEED_IP_BASE+i) [11]; single: all on
#                          127.0.0.1 (rtorrent cannot work then)
#   INBOUND_ONLY [transmission]
#                          leechers that never dial loopback peers from a
#                          tracker; qbittorrent seeders are told to dial them
#                          (WebAPI torrents/addPeers, once a second for 6 s)
#   SEED_CONNECT [auto]    auto (only INBOUND_ONLY clients) | all | none
#   SEED_REANNOUNCE [0]    N>0: aria2/rtorrent/rqbit seeders re-announce every
#                          N s (lets them find and dial INBOUND_ONLY leechers)
#   BASE_PORT [27000]      tracker = BASE_PORT, seeder i = BASE_PORT+10+10*i..,
#                          leecher k = BASE_PORT+100+4*k.. (k rotates, 20
#                          slots), ceiling = BASE_PORT+90, idle = BASE_PORT+200..
#   DL_TIMEOUT [900]       seconds before a download is declared failed
#   SEED_TIMEOUT [180]     seconds to wait for the seeders to be announced
#   STOP_TIMEOUT [20]      seconds between SIGTERM and SIGKILL on cleanup
#   POLL [0.1]             completion polling interval (seconds)
#   PIN [0]                1 = taskset seeders to CPU 0 and the leecher to CPU 1
#   NETCHECK [1]           1 = snapshot `ss` for sockets of our processes that
#                          are not on loopback and report them
#   RESULTS_TSV []         append machine-readable result rows to this file
#   KEEP_WORKDIR [0]       1 = keep the temp dir (logs, configs) at exit
#   WORK_PARENT [/tmp]     where the temp dir is created
#   IDLE_CLIENTS ["transmission qbittorrent rqbit aria2 rtorrent"]; may also
#                          name cloud-torrent (binary $CLOUD_TORRENT)
#   IDLE_TORRENTS [100]  IDLE_FILE_KIB [256]  IDLE_SETTLE [15]  IDLE_WINDOW [60]
#   IDLE_DORMANT_AFTER [0] cloud-torrent's `dormantAfter` in the idle step (0 = off);
#                          keep it under IDLE_SETTLE so the window starts dormant
#   Binaries (looked up in PATH unless set): ARIA2C TRANSMISSION_DAEMON
#   TRANSMISSION_REMOTE TRANSMISSION_SHOW QBITTORRENT_NOX RQBIT RTORRENT
#   OPENTRACKER MKTORRENT CURL SOCAT; TIME_BIN [/usr/bin/time] (GNU time).
#
# Candidate hook (the client under development):
#   CANDIDATE_CMD          a shell command line; the harness runs
#                            bash -c 'exec '"$CANDIDATE_CMD"' "$1" "$2"' _ TORRENT OUTDIR
#                          i.e. the torrent path and the output directory are
#                          appended as the last two arguments.  The payload
#                          must end up exactly where other clients put it:
#                          OUTDIR/<torrent name> (a file for a single-file
#                          torrent, a directory for a multi-file torrent).
#                          Environment given to it:
#                            BT_BENCH_BIND             peer address to bind to
#                                                      (127.0.0.2 = LEECH_IP)
#                            BT_BENCH_PEER_PORT        TCP port for peer traffic
#                            BT_BENCH_HTTP_PORT        port for an API/web UI
#                            BT_BENCH_TRACKER          announce URL
#                            BT_BENCH_DONE_FILE        see below
#                          Completion, whichever comes first:
#                            (a) the process exits 0 -> complete (non-zero =
#                                failure);  or
#                            (b) it creates $BT_BENCH_DONE_FILE and keeps
#                                running (server mode); the harness then
#                                samples it and stops it with SIGTERM;  or
#                            (c) CANDIDATE_POLL_OUTPUT=1: the harness polls
#                                OUTDIR every 2 s (sizes, then sha256) -- less
#                                precise, use only as a fallback.
#                          It must talk to loopback only (no DHT/LSD/UPnP),
#                          and must dial the peers the tracker returns (the
#                          seeders do not dial it unless it is listed in
#                          INBOUND_ONLY).
#                          CPU/RSS: in mode (a) GNU time's numbers
#                          for the exec'd process and the children it reaped;
#                          in modes (b)/(c) the sum over the process tree at
#                          completion (peakRSS = sum of VmHWM, an upper bound).
#
# Output: one line per download:
#   client layout MiB seeders run  MiB/s  wall_s  cpu_s  peakRSS_MiB  peakAnon_MiB
#   seedcpu  bg  status
# peakRSS = VmHWM / ru_maxrss (includes file-backed pages: mmap-based clients
# such as libtorrent 2.x count the mapped payload here); peakAnon = the highest
# RssAnon seen while polling (heap, approximate); seedcpu = CPU seconds the
# seeder(s) + tracker used during the download; bg = average number of cores
# busy with anything else on the machine during the download (other jobs, the
# harness's own polling) -- a noise indicator: on a 2-core box, bg > 0.2 means
# the run competed for CPU.
#
# Timing: clients that exit by themselves (aria2c, rqbit --exit-on-finish,
# candidate) are timed from process launch to exit.  Daemons (transmission,
# qbittorrent) are started first, and timed from the moment the torrent is
# added over their RPC to the moment their "torrent finished" hook fires;
# their CPU is the /proc utime+stime delta over that interval.  rtorrent is
# timed from launch (it gets the torrent on its command line) to its
# event.download.finished hook.

set -u -o pipefail

# ---------------------------------------------------------------- parameters
SIZE_MIB=${SIZE_MIB:-1024}
LAYOUT=${LAYOUT:-single}
MULTI_FILES=${MULTI_FILES:-200}
MULTI_FILE_MIB=${MULTI_FILE_MIB:-5}
PIECE_EXP=${PIECE_EXP:-auto}
PRIVATE=${PRIVATE:-1}
CANDIDATE_CMD=${CANDIDATE_CMD:-}
CANDIDATE_BEFORE_CMD=${CANDIDATE_BEFORE_CMD:-}
CANDIDATE_POLL_OUTPUT=${CANDIDATE_POLL_OUTPUT:-0}
if [[ -z ${CLIENTS:-} ]]; then
  CLIENTS="aria2 transmission qbittorrent rqbit rtorrent"
  [[ -n $CANDIDATE_CMD ]] && CLIENTS+=" candidate"
fi
SEEDERS=${SEEDERS:-qbittorrent}
RUNS=${RUNS:-1}
ROTATE=${ROTATE:-1}
BASE_PORT=${BASE_PORT:-27000}
DL_TIMEOUT=${DL_TIMEOUT:-900}
SEED_TIMEOUT=${SEED_TIMEOUT:-180}
STOP_TIMEOUT=${STOP_TIMEOUT:-20}
POLL=${POLL:-0.1}
PIN=${PIN:-0}
NETCHECK=${NETCHECK:-1}
RESULTS_TSV=${RESULTS_TSV:-}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
WORK_PARENT=${WORK_PARENT:-/tmp}
IDLE_CLIENTS=${IDLE_CLIENTS:-"transmission qbittorrent rqbit aria2 rtorrent"}
IDLE_TORRENTS=${IDLE_TORRENTS:-100}
IDLE_FILE_KIB=${IDLE_FILE_KIB:-256}
IDLE_SETTLE=${IDLE_SETTLE:-15}
IDLE_WINDOW=${IDLE_WINDOW:-60}
IDLE_DORMANT_AFTER=${IDLE_DORMANT_AFTER:-0}

ARIA2C=${ARIA2C:-aria2c}
TRANSMISSION_DAEMON=${TRANSMISSION_DAEMON:-transmission-daemon}
TRANSMISSION_REMOTE=${TRANSMISSION_REMOTE:-transmission-remote}
TRANSMISSION_SHOW=${TRANSMISSION_SHOW:-transmission-show}
QBITTORRENT_NOX=${QBITTORRENT_NOX:-qbittorrent-nox}
RQBIT=${RQBIT:-rqbit}
RTORRENT=${RTORRENT:-rtorrent}
CLOUD_TORRENT=${CLOUD_TORRENT:-cloud-torrent}
OPENTRACKER=${OPENTRACKER:-opentracker}
MKTORRENT=${MKTORRENT:-mktorrent}
CURL=${CURL:-curl}
SOCAT=${SOCAT:-socat}
TIME_BIN=${TIME_BIN:-/usr/bin/time}

LO=127.0.0.1            # tracker, RPC / web UI / HTTP API ports
IP_MODE=${IP_MODE:-distinct}
if [[ $IP_MODE == distinct ]]; then
  LEECH_IP=${LEECH_IP:-127.0.0.2}       # peer-wire address of the leecher
  SEED_IP_BASE=${SEED_IP_BASE:-11}      # seeder i uses 127.0.0.(SEED_IP_BASE+i)
else
  LEECH_IP=$LO; SEED_IP_BASE=1
fi
seed_ip() { if [[ $IP_MODE == distinct ]]; then echo "127.0.0.$(( SEED_IP_BASE + $1 ))"; else echo "$LO"; fi; }
# clients that never dial loopback peers they learn from a tracker; seeders
# that have an API for it are told to dial them instead (see RESULTS.md)
INBOUND_ONLY=${INBOUND_ONLY:-transmission}
SEED_CONNECT=${SEED_CONNECT:-auto}      # auto | all | none
SEED_REANNOUNCE=${SEED_REANNOUNCE:-0}   # >0: aria2/rtorrent/rqbit seeders re-announce every N s
CLK_TCK=$(getconf CLK_TCK)
TRACKER_PORT=$BASE_PORT
ANNOUNCE="http://$LO:$TRACKER_PORT/announce"

# ---------------------------------------------------------------- utilities
log() { printf '[swarm %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

W=""
PIDS=()          # every process this script started (GNU time wrappers too)
SLEEP_FD=""

nap() { read -r -t "$1" -u "$SLEEP_FD" _ 2>/dev/null || true; }   # sleep without fork
now() { echo "$EPOCHREALTIME"; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a-b}'; }

setup_workdir() {
  W=$(mktemp -d "$WORK_PARENT/swarm.XXXXXX") || die "mktemp failed"
  chmod 755 "$W"
  mkfifo "$W/.nap"
  exec {SLEEP_FD}<>"$W/.nap"
  log "workdir $W"
}

# state of a pid: empty if gone, else the stat state letter
pid_state() {
  local s
  { read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1
  s=${s##*) }
  echo "${s%% *}"
}
pid_alive() { local st; st=$(pid_state "$1") || return 1; [[ $st != Z && $st != X ]]; }

# "ticks vmhwm_kb rssanon_kb vmrss_kb" of one pid (ticks = utime+stime+cutime+cstime)
proc_sample() {
  local pid=$1 s k v hwm=0 anon=0 rss=0
  { read -r s < "/proc/$pid/stat"; } 2>/dev/null || return 1
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  local ticks=$(( ${12} + ${13} + ${14} + ${15} ))
  while read -r k v _; do
    case $k in
      VmHWM:) hwm=$v ;;
      VmRSS:) rss=$v ;;
      RssAnon:) anon=$v ;;
    esac
  done < "/proc/$pid/status" 2>/dev/null
  echo "$ticks $hwm $anon $rss"
}

# like proc_sample, summed over PID and all its live descendants (used for the
# candidate, whose command may be a wrapper that starts the real client)
tree_sample() {
  local root=$1 p x=() t=0 h=0 a=0 r=0
  local pids
  pids=$(ps -e -o pid=,ppid= | awk -v r="$root" '{par[$1]=$2} END{keep[r]=1; do {ch=0; for (p in par) if (!(p in keep) && (par[p] in keep)) {keep[p]=1; ch=1}} while (ch); for (p in keep) print p}')
  for p in $pids; do
    read -r -a x < <(proc_sample "$p") || continue
    t=$(( t + x[0] )); h=$(( h + x[1] )); a=$(( a + x[2] )); r=$(( r + x[3] ))
  done
  echo "$t $h $a $r"
}

# busy jiffies of the whole machine (user+nice+system+irq+softirq+steal)
cpu_busy_ticks() {
  local c u n sy irq sirq st _
  read -r c u n sy _ _ irq sirq st _ < /proc/stat
  echo $(( u + n + sy + irq + sirq + st ))
}
# summed ticks of the seeders and the tracker
seed_ticks() {
  local p t sum=0 x=()
  for p in "${SEED_PIDS[@]}" "${TRACKER_PID:-}"; do
    [[ -n $p ]] || continue
    read -r -a x < <(proc_sample "$p") && sum=$(( sum + x[0] ))
  done
  echo "$sum"
}

register() { PIDS+=("$1"); }
unregister() {
  local p keep=()
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

declare -A CHILD_OF=()   # GNU time wrapper pid -> client pid

ppid_of() { local s; { read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1; s=${s##*) }; set -- $s; echo "$2"; }

# wait (bounded) for a pid to die; 0 if it did
wait_gone() {
  local pid=$1 t=$2 i n
  n=$(awk -v t="$t" 'BEGIN{print int(t*10)}')
  for ((i = 0; i < n; i++)); do
    pid_alive "$pid" || return 0
    nap 0.1
  done
  ! pid_alive "$pid"
}

# stop_pid PID [timeout]: PID is a process this script started (for GNU time
# wrappers: the client it runs is signalled, the wrapper then exits by itself).
# SIGTERM, bounded wait, SIGKILL; then reap.
stop_pid() {
  local pid=$1 t=${2:-$STOP_TIMEOUT} c=${CHILD_OF[$1]:-} target=$1
  # only signal the client if it is still the wrapper's child (no pid reuse)
  if [[ -n $c ]] && pid_alive "$c" && [[ $(ppid_of "$c") == "$pid" ]]; then target=$c; fi
  if pid_alive "$target"; then
    kill -TERM "$target" 2>/dev/null
    if ! wait_gone "$target" "$t"; then
      log "pid $target did not exit within ${t}s after SIGTERM -> SIGKILL"
      kill -KILL "$target" 2>/dev/null
      wait_gone "$target" 5
    fi
  fi
  if [[ $target != "$pid" ]] && ! wait_gone "$pid" 5; then
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  unregister "$pid"
  unset "CHILD_OF[$pid]"
}

cleanup() {
  local i
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${PIDS[i]}" "$STOP_TIMEOUT"
  done
  if [[ -n $W && -d $W ]]; then
    if [[ $KEEP_WORKDIR == 1 ]]; then log "kept $W"; else rm -rf "$W"; fi
  fi
}
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  trap cleanup EXIT
  trap 'log interrupted; exit 130' INT TERM
fi

# first child pid of $1 (GNU time -> the client), waits up to 5 s
child_of() {
  local i c
  for ((i = 0; i < 100; i++)); do
    c=$(ps -o pid= --ppid "$1" 2>/dev/null | head -n1 | tr -d ' ')
    [[ -n $c ]] && { echo "$c"; return 0; }
    pid_alive "$1" || return 1
    nap 0.05
  done
  return 1
}

# spawn_timed TAG CPUSET LOGFILE CMD... : runs CMD under GNU time, sets
# SPAWN_TPID (time) and SPAWN_PID (the client); time output goes to $W/TAG.time
spawn_timed() {
  local tag=$1 cpus=$2 logf=$3; shift 3
  local pre=()
  [[ $PIN == 1 && -n $cpus ]] && pre=(taskset -c "$cpus")
  "${pre[@]}" "$TIME_BIN" -f '%e %U %S %M' -o "$W/$tag.time" "$@" </dev/null >"$logf" 2>&1 &
  SPAWN_TPID=$!
  register "$SPAWN_TPID"
  SPAWN_PID=$(child_of "$SPAWN_TPID") || SPAWN_PID=""
  [[ -n $SPAWN_PID ]] && CHILD_OF[$SPAWN_TPID]=$SPAWN_PID
  return 0
}

stop_timed() { stop_pid "$1" "$STOP_TIMEOUT"; }   # tpid [client pid, unused]

wait_until() {   # wait_until TIMEOUT CMD... : poll CMD every 0.2 s
  local t=$1; shift
  local end=$(( SECONDS + t ))
  until "$@"; do
    (( SECONDS >= end )) && return 1
    nap 0.2
  done
}

port_free() { ! ss -Htanl "sport = :$1" 2>/dev/null | grep -q . ; }

need() { command -v "$1" >/dev/null 2>&1 || die "missing binary: $1"; }

# ---------------------------------------------------------------- payload
piece_exp_for() {   # bytes -> exponent
  local bytes=$1 e=18
  if [[ $PIECE_EXP != auto ]]; then echo "$PIECE_EXP"; return; fi
  while (( e < 24 && bytes / (1 << e) > 2047 )); do ((e++)); done
  echo "$e"
}

make_random_file() {  # path MiB
  head -c "$(( $2 * 1048576 ))" /dev/urandom > "$1"
}

# make_payload: sets PAYLOAD_DIR (parent dir, = seeders' download dir),
# PAYLOAD_NAME, TOTAL_BYTES, TORRENT, INFOHASH, MANIFEST
make_payload() {
  PAYLOAD_DIR="$W/payload"
  mkdir -p "$PAYLOAD_DIR"
  local t0; t0=$(now)
  if [[ $LAYOUT == single ]]; then
    PAYLOAD_NAME="single_${SIZE_MIB}MiB.bin"
    make_random_file "$PAYLOAD_DIR/$PAYLOAD_NAME" "$SIZE_MIB"
    TOTAL_BYTES=$(( SIZE_MIB * 1048576 ))
  elif [[ $LAYOUT == multi ]]; then
    PAYLOAD_NAME="multi_${MULTI_FILES}x${MULTI_FILE_MIB}MiB"
    mkdir -p "$PAYLOAD_DIR/$PAYLOAD_NAME"
    local i
    for ((i = 1; i <= MULTI_FILES; i++)); do
      make_random_file "$PAYLOAD_DIR/$PAYLOAD_NAME/$(printf 'f%04d.bin' "$i")" "$MULTI_FILE_MIB"
    done
    TOTAL_BYTES=$(( MULTI_FILES * MULTI_FILE_MIB * 1048576 ))
  else
    die "LAYOUT must be single or multi"
  fi
  MANIFEST="$W/manifest.sha256"
  ( cd "$PAYLOAD_DIR" && find "$PAYLOAD_NAME" -type f -print0 | sort -z | xargs -0 sha256sum ) > "$MANIFEST"
  local exp; exp=$(piece_exp_for "$TOTAL_BYTES")
  TORRENT="$W/bench.torrent"
  local mk=("$MKTORRENT" -a "$ANNOUNCE" -l "$exp" -n "$PAYLOAD_NAME" -o "$TORRENT" -d)
  [[ $PRIVATE == 1 ]] && mk+=(-p)
  "${mk[@]}" "$PAYLOAD_DIR/$PAYLOAD_NAME" > "$W/mktorrent.log" 2>&1 || die "mktorrent failed: $(tail -3 "$W/mktorrent.log")"
  INFOHASH=$(infohash_of "$TORRENT") || die "cannot read info hash"
  PIECE_LEN=$(( 1 << exp ))
  log "payload $PAYLOAD_NAME $(( TOTAL_BYTES / 1048576 )) MiB, piece $(( PIECE_LEN / 1024 )) KiB, infohash $INFOHASH ($(fsub "$(now)" "$t0") s)"
}

infohash_of() {
  # read all output (no early exit: SIGPIPE + pipefail would fail the pipeline)
  "$TRANSMISSION_SHOW" "$1" 2>/dev/null | awk '/^[[:space:]]*Hash:/ && !h {h=tolower($2)} END{if (h) print h; else exit 1}'
}

# ---------------------------------------------------------------- tracker
start_tracker() {   # whitelist file entries must exist before start
  mkdir -p "$W/tracker"
  chmod 755 "$W/tracker"
  : > "$W/tracker/whitelist.txt"
  local h
  for h in "$@"; do echo "$h" >> "$W/tracker/whitelist.txt"; done
  chmod 644 "$W/tracker/whitelist.txt"
  port_free "$TRACKER_PORT" || die "tracker port $TRACKER_PORT busy"
  # opentracker chroots into -d and drops to user nobody; whitelist path is
  # relative to that directory.  Debian builds it in whitelist mode.
  "$OPENTRACKER" -i "$LO" -p "$TRACKER_PORT" -P "$TRACKER_PORT" -d "$W/tracker" \
    -w whitelist.txt </dev/null >"$W/tracker.log" 2>&1 &
  TRACKER_PID=$!
  register "$TRACKER_PID"
  wait_until 10 tracker_up || die "tracker did not come up"
  log "opentracker pid $TRACKER_PID on $LO:$TRACKER_PORT"
}
tracker_up() { "$CURL" -s -o /dev/null "http://$LO:$TRACKER_PORT/stats?mode=tpbs" ; }

# number of seeders the tracker knows for info hash $1
tracker_complete() {
  local enc; enc=$(printf '%s' "$1" | sed 's/../%&/g')
  "$CURL" -s "http://$LO:$TRACKER_PORT/scrape?info_hash=$enc" | grep -ao '8:completei[0-9]*e' | head -n1 | tr -dc 0-9
}

# ---------------------------------------------------------------- clients
# Every client gets: DIR (private config/state dir), PEER port, CTL port.

# --- transmission-daemon ----------------------------------------------------
tr_settings() {   # dir peer rpc downloaddir donefile(or empty) [peer_ip]
  local dir=$1 peer=$2 rpc=$3 dl=$4 done=$5 ip=${6:-$LO} script=false sfile=""
  mkdir -p "$dir/cfg" "$dl"
  if [[ -n $done ]]; then
    printf '#!/bin/sh\ntouch "%s"\n' "$done" > "$dir/done.sh"
    chmod 755 "$dir/done.sh"
    script=true sfile="$dir/done.sh"
  fi
  cat > "$dir/cfg/settings.json" <<EOF
{
  "alt-speed-enabled": false,
  "bind-address-ipv4": "$ip",
  "bind-address-ipv6": "::1",
  "blocklist-enabled": false,
  "dht-enabled": false,
  "download-dir": "$dl",
  "download-queue-enabled": false,
  "encryption": 0,
  "idle-seeding-limit-enabled": false,
  "incomplete-dir-enabled": false,
  "lpd-enabled": false,
  "message-level": 1,
  "peer-limit-global": 500,
  "peer-limit-per-torrent": 50,
  "peer-port": $peer,
  "peer-port-random-on-start": false,
  "pex-enabled": false,
  "port-forwarding-enabled": false,
  "preallocation": 1,
  "queue-stalled-enabled": false,
  "ratio-limit-enabled": false,
  "rename-partial-files": true,
  "rpc-authentication-required": false,
  "rpc-bind-address": "$LO",
  "rpc-enabled": true,
  "rpc-host-whitelist-enabled": false,
  "rpc-port": $rpc,
  "rpc-whitelist": "127.0.0.1",
  "rpc-whitelist-enabled": true,
  "script-torrent-done-enabled": $script,
  "script-torrent-done-filename": "$sfile",
  "seed-queue-enabled": false,
  "speed-limit-down-enabled": false,
  "speed-limit-up-enabled": false,
  "start-added-torrents": true,
  "trash-original-torrent-files": false,
  "umask": 18,
  "utp-enabled": false,
  "watch-dir-enabled": false
}
EOF
}
tr_rpc_ok() { "$TRANSMISSION_REMOTE" "$LO:$1" -l >/dev/null 2>&1; }
tr_start() {   # dir peer rpc cpus tag
  spawn_timed "$5" "$4" "$1/daemon.log" "$TRANSMISSION_DAEMON" -f -g "$1/cfg" \
    --no-dht --no-lpd --no-portmap --no-utp -P "$2" -p "$3"
  wait_until 30 tr_rpc_ok "$3" || { log "transmission rpc not up"; return 1; }
}
tr_add() { "$TRANSMISSION_REMOTE" "$LO:$1" -a "$2" >/dev/null 2>&1; }

# --- qbittorrent-nox ----------------------------------------------------------
qb_conf() {   # dir peer webui savepath [peer_ip]
  local dir=$1 peer=$2 ui=$3 dl=$4 ip=${5:-$LO}
  mkdir -p "$dir/qBittorrent/config" "$dl"
  cat > "$dir/qBittorrent/config/qBittorrent.conf" <<EOF
[LegalNotice]
Accepted=true

[Application]
FileLogger\\Enabled=false

[BitTorrent]
Session\\AddTrackersEnabled=false
Session\\AnonymousModeEnabled=false
Session\\BTProtocol=TCP
Session\\DefaultSavePath=$dl
Session\\DHTEnabled=false
Session\\Encryption=0
Session\\GlobalMaxRatio=-1
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress=$ip
Session\\LSDEnabled=false
Session\\MultiConnectionsPerIp=true
Session\\PeXEnabled=false
Session\\Port=$peer
Session\\Preallocation=false
Session\\QueueingSystemEnabled=false
Session\\TempPathEnabled=false

[Core]
AutoDeleteAddedTorrentFile=Never

[Network]
PortForwardingEnabled=false

[Preferences]
Connection\\UPnP=false
Connection\\ResolvePeerCountries=false
Connection\\ResolvePeerHostNames=false
General\\PreventFromSuspendWhenDownloading=false
General\\PreventFromSuspendWhenSeeding=false
WebUI\\Enabled=true
WebUI\\Address=$LO
WebUI\\Port=$ui
WebUI\\LocalHostAuth=false
WebUI\\CSRFProtection=false
WebUI\\ClickjackingProtection=false
WebUI\\HostHeaderValidation=false
WebUI\\UseUPnP=false
EOF
}
qb_api() { local port=$1 path=$2; shift 2; "$CURL" -s -f --max-time 10 "$@" "http://$LO:$port/api/v2/$path"; }
qb_api_ok() { qb_api "$1" app/version >/dev/null; }
qb_start() {   # dir peer webui cpus tag donefile(or empty)
  local dir=$1 peer=$2 ui=$3 cpus=$4 tag=$5 done=${6:-}
  spawn_timed "$tag" "$cpus" "$dir/daemon.log" "$QBITTORRENT_NOX" --profile="$dir" --webui-port="$ui"
  wait_until 30 qb_api_ok "$ui" || { log "qbittorrent webui not up"; return 1; }
  # belt and braces: (re)apply the privacy switches over the API, plus the
  # "run program on torrent finished" hook used for completion detection.
  local prefs='{"dht":false,"lsd":false,"pex":false,"upnp":false,"web_ui_upnp":false,"bittorrent_protocol":1,"resolve_peer_countries":false,"queueing_enabled":false,"enable_multi_connections_from_same_ip":true,"max_ratio_enabled":false,"encryption":0,"add_trackers_enabled":false'
  if [[ -n $done ]]; then
    prefs+=',"autorun_enabled":true,"autorun_program":"touch '"$done"'"'
  fi
  prefs+='}'
  qb_api "$ui" app/setPreferences --data-urlencode "json=$prefs" >/dev/null || { log "qbittorrent setPreferences failed"; return 1; }
}
qb_add() {   # webui torrent savepath [skip_checking]
  qb_api "$1" torrents/add -F "torrents=@$2" -F "savepath=$3" -F "skip_checking=${4:-false}" -F "paused=false" >/dev/null
}

# --- aria2c ---------------------------------------------------------------------
aria2_common() {   # peer dht_port [peer_ip]
  ARIA2_ARGS=(--no-conf=true --enable-dht=false --enable-dht6=false --bt-enable-lpd=false
    --enable-peer-exchange=false --listen-port="$1" --dht-listen-port="$2"
    --interface="${3:-$LO}" --disable-ipv6=true --summary-interval=0 --console-log-level=warn
    --bt-save-metadata=false --auto-file-renaming=false --allow-overwrite=true
    --file-allocation=falloc --check-certificate=false)
}

# --- rqbit ------------------------------------------------------------------------
rqbit_common() {   # peer http [peer_ip]
  RQBIT_ARGS=(--disable-dht --disable-dht-persistence --disable-lsd --disable-upnp-port-forward
    --listen-ip "${3:-$LO}" --ipv4-only --http-api-listen-addr "$LO:$2")
  RQBIT_ARGS+=("${RQBIT_EXTRA_GLOBAL[@]}")
}
RQBIT_EXTRA_GLOBAL=()

# --- rtorrent --------------------------------------------------------------------
rt_args() {   # dir peer outdir torrent donefile(or empty) [peer_ip]: writes DIR/rtorrent.rc
  local dir=$1 peer=$2 out=$3 tor=$4 done=$5 ip=${6:-$LO}
  mkdir -p "$dir/session" "$out"
  {
    echo "system.daemon.set = true"
    echo "session.path.set = $dir/session"
    echo "directory.default.set = $out"
    echo "network.port_range.set = $peer-$peer"
    echo "network.port_random.set = no"
    echo "network.bind_address.set = $ip"
    echo "network.local_address.set = $ip"
    echo "dht.mode.set = disable"
    echo "protocol.pex.set = no"
    echo "trackers.use_udp.set = no"
    [[ -n $done ]] && echo "method.set_key = event.download.finished, bench_done, \"execute.nothrow = touch, $done\""
    [[ -n $tor ]] && echo "load.start = $tor"
  } > "$dir/rtorrent.rc"
  RT_ARGS=(-n -o "import=$dir/rtorrent.rc")
}

# ---------------------------------------------------------------- seeders
SEED_TPIDS=()
SEED_PIDS=()
SEED_TYPES=()
SEED_CTLS=()
start_seeders() {
  local i=0 s dir peer ctl ip
  for s in $SEEDERS; do
    dir="$W/seed$i"; mkdir -p "$dir"
    peer=$(( BASE_PORT + 10 + 10 * i )); ctl=$(( peer + 1 )); ip=$(seed_ip "$i")
    port_free "$peer" || die "seeder port $peer busy"
    case $s in
      transmission)
        tr_settings "$dir" "$peer" "$ctl" "$PAYLOAD_DIR" "" "$ip"
        tr_start "$dir" "$peer" "$ctl" 0 "seed$i" || die "seeder $i ($s) failed"
        tr_add "$ctl" "$TORRENT" || die "seeder $i: add failed"
        ;;
      qbittorrent)
        qb_conf "$dir" "$peer" "$ctl" "$PAYLOAD_DIR" "$ip"
        qb_start "$dir" "$peer" "$ctl" 0 "seed$i" "" || die "seeder $i ($s) failed"
        qb_add "$ctl" "$TORRENT" "$PAYLOAD_DIR" false || die "seeder $i: add failed"
        ;;
      aria2)
        aria2_common "$peer" "$ctl" "$ip"
        (( SEED_REANNOUNCE > 0 )) && ARIA2_ARGS+=(--bt-tracker-interval="$SEED_REANNOUNCE")
        spawn_timed "seed$i" 0 "$dir/aria2.log" "$ARIA2C" "${ARIA2_ARGS[@]}" --dir="$PAYLOAD_DIR" \
          --check-integrity=true --seed-ratio=0.0 "$TORRENT"
        ;;
      rqbit)
        rqbit_common "$peer" "$ctl" "$ip"
        (( SEED_REANNOUNCE > 0 )) && RQBIT_ARGS+=(-i "${SEED_REANNOUNCE}s")
        spawn_timed "seed$i" 0 "$dir/rqbit.log" "$RQBIT" "${RQBIT_ARGS[@]}" \
          --listen-port "$peer" download -o "$PAYLOAD_DIR" --overwrite "$TORRENT"
        ;;
      rtorrent)
        rt_args "$dir" "$peer" "$PAYLOAD_DIR" "$TORRENT" "" "$ip"
        (( SEED_REANNOUNCE > 0 )) && echo "schedule2 = bench_reannounce, $SEED_REANNOUNCE, $SEED_REANNOUNCE, \"d.multicall2 = main, d.tracker_announce=\"" >> "$dir/rtorrent.rc"
        spawn_timed "seed$i" 0 "$dir/rtorrent.log" "$RTORRENT" "${RT_ARGS[@]}"
        ;;
      *) die "unknown seeder type $s" ;;
    esac
    SEED_TPIDS+=("$SPAWN_TPID"); SEED_PIDS+=("$SPAWN_PID"); SEED_TYPES+=("$s"); SEED_CTLS+=("$ctl")
    log "seeder $i: $s pid $SPAWN_PID peer $ip:$peer"
    i=$(( i + 1 ))
  done
  NSEEDERS=$i
  local t0; t0=$(now)
  seeders_ready() {
    local c p
    for p in "${SEED_PIDS[@]}"; do [[ -n $p ]] && pid_alive "$p" || die "a seeder died during start-up (see $W/seed*)"; done
    c=$(tracker_complete "$INFOHASH"); [[ -n $c ]] && (( c >= NSEEDERS ))
  }
  wait_until "$SEED_TIMEOUT" seeders_ready || die "seeders not announced as complete within ${SEED_TIMEOUT}s"
  log "$NSEEDERS seeder(s) announced complete after $(fsub "$(now)" "$t0") s"
}

# ---------------------------------------------------------------- leecher run
LEECH_K=0
# ask seeders that have an API for it (qbittorrent: WebAPI torrents/addPeers)
# to dial the leecher.  Needed for clients in $INBOUND_ONLY (transmission 3.00
# drops tracker-supplied 127.0.0.0/8 peers as "martian").
dial_wanted() {
  case $SEED_CONNECT in
    all) return 0 ;;
    none) return 1 ;;
    *) [[ " $INBOUND_ONLY " == *" $1 "* ]] ;;
  esac
}
DIAL_WARNED=0
seeders_dial() {   # client peer_port
  local i
  for ((i = 0; i < ${#SEED_TYPES[@]}; i++)); do
    case ${SEED_TYPES[i]} in
      qbittorrent)
        qb_api "${SEED_CTLS[i]}" torrents/addPeers -d "hashes=$INFOHASH" -d "peers=$LEECH_IP:$2" >/dev/null \
          || log "seeder $i: addPeers failed"
        ;;
      *) (( DIAL_WARNED++ )) || log "seeder $i (${SEED_TYPES[i]}) cannot be told to dial $1 (needs SEED_REANNOUNCE>0)" ;;
    esac
  done
}
verify_output() {   # outdir -> 0 if all files match
  ( cd "$1" && sha256sum --quiet --status -c "$MANIFEST" ) 2>/dev/null
}
output_sizes_complete() {   # outdir
  local f size want
  while read -r _ f; do
    want=$(stat -c %s "$PAYLOAD_DIR/$f" 2>/dev/null) || return 1
    size=$(stat -c %s "$1/$f" 2>/dev/null) || return 1
    [[ $size == "$want" ]] || return 1
  done < "$MANIFEST"
}

netcheck() {   # label pid...
  [[ $NETCHECK == 1 ]] || return 0
  local label=$1; shift
  local p pat="" bad
  for p in "$@"; do [[ -n $p ]] && pat+="pid=$p,|"; done
  [[ -n $pat ]] || return 0
  pat=${pat%|}
  bad=$(ss -Htuanp 2>/dev/null | grep -E "$pat" | awk '{l=$5; r=$6; if ((l !~ /^(127\.|\[::1\]|\[::ffff:127\.)/) || (r !~ /^(127\.|\[::1\]|\[::ffff:127\.|\*:\*|0\.0\.0\.0:\*|\[::\]:\*)/)) print}')
  if [[ -n $bad ]]; then
    log "NETCHECK $label: sockets not on loopback:"
    printf '%s\n' "$bad" | sed 's/^/    /' >&2
    echo "$label" >> "$W/netcheck.flags"
  fi
}

run_leecher() {   # client run
  local client=$1 run=$2
  local k=$(( LEECH_K % 20 ))
  local peer=$(( BASE_PORT + 100 + 4 * k )) ctl=$(( BASE_PORT + 101 + 4 * k )) aux=$(( BASE_PORT + 102 + 4 * k ))
  local tag="leech.$LEECH_K.$client.$run" mode=launch status=ok
  local dir="$W/$tag" out="$W/$tag/out" done="$W/$tag/DONE"
  LEECH_K=$(( LEECH_K + 1 ))
  mkdir -p "$dir" "$out"
  local p; for p in "$peer" "$ctl" "$aux"; do port_free "$p" || log "warning: port $p busy"; done
  local cpus=""; [[ $PIN == 1 ]] && cpus=1
  local t0 s0=(0 0 0 0) B0=0 S0=0
  SPAWN_TPID="" SPAWN_PID=""
  case $client in
    transmission)
      mode=daemon
      tr_settings "$dir" "$peer" "$ctl" "$out" "$done" "$LEECH_IP"
      tr_start "$dir" "$peer" "$ctl" "$cpus" "$tag" || status=fail
      ;;
    qbittorrent)
      mode=daemon
      qb_conf "$dir" "$peer" "$ctl" "$out" "$LEECH_IP"
      qb_start "$dir" "$peer" "$ctl" "$cpus" "$tag" "$done" || status=fail
      ;;
  esac
  if [[ $mode == daemon && $status == ok ]]; then
    nap 1   # let the daemon settle before the clock starts
    read -r -a s0 < <(proc_sample "$SPAWN_PID") || s0=(0 0 0 0)
    B0=$(cpu_busy_ticks); S0=$(seed_ticks)
    t0=$(now)
    case $client in
      transmission) tr_add "$ctl" "$TORRENT" || status=fail ;;
      qbittorrent) qb_add "$ctl" "$TORRENT" "$out" false || status=fail ;;
    esac
  elif [[ $mode == launch ]]; then
    B0=$(cpu_busy_ticks); S0=$(seed_ticks)
    t0=$(now)
    case $client in
      aria2)
        aria2_common "$peer" "$aux" "$LEECH_IP"
        spawn_timed "$tag" "$cpus" "$dir/client.log" "$ARIA2C" "${ARIA2_ARGS[@]}" --dir="$out" \
          --seed-time=0 "$TORRENT"
        ;;
      rqbit)
        rqbit_common "$peer" "$ctl" "$LEECH_IP"
        spawn_timed "$tag" "$cpus" "$dir/client.log" "$RQBIT" "${RQBIT_ARGS[@]}" \
          --listen-port "$peer" download -o "$out" --exit-on-finish "$TORRENT"
        ;;
      rtorrent)
        rt_args "$dir" "$peer" "$out" "$TORRENT" "$done" "$LEECH_IP"
        spawn_timed "$tag" "$cpus" "$dir/client.log" "$RTORRENT" "${RT_ARGS[@]}"
        ;;
      candidate|candidate-before)
        local cand_cmd=$CANDIDATE_CMD
        [[ $client == candidate-before ]] && cand_cmd=$CANDIDATE_BEFORE_CMD
        [[ -n $cand_cmd ]] || { log "$client: its command (CANDIDATE_CMD / CANDIDATE_BEFORE_CMD) is not set"; status=fail; }
        if [[ $status == ok ]]; then
          spawn_timed "$tag" "$cpus" "$dir/client.log" env BT_BENCH_BIND="$LEECH_IP" \
            BT_BENCH_PEER_PORT="$peer" BT_BENCH_HTTP_PORT="$ctl" BT_BENCH_TRACKER="$ANNOUNCE" \
            BT_BENCH_DONE_FILE="$done" \
            bash -c 'exec '"$cand_cmd"' "$1" "$2"' candidate "$TORRENT" "$out"
        fi
        ;;
      *) log "unknown client $client"; status=fail ;;
    esac
  fi
  [[ -z $SPAWN_PID ]] && status=fail
  local dials=0
  DIAL_WARNED=0
  [[ $status == ok ]] && dial_wanted "$client" && dials=6

  local done_by="" peak_anon=0 smp=() i=0 last_poll=0
  local deadline; deadline=$(awk -v t="$t0" -v d="$DL_TIMEOUT" 'BEGIN{printf "%d", t+d}')
  if [[ $status == ok ]]; then
    while :; do
      if [[ -e $done ]]; then done_by="file"; break; fi
      if ! pid_alive "$SPAWN_PID"; then done_by="exit"; break; fi
      # repeated a few times (once a second): the leecher may still be
      # checking its (empty) files when the first dial arrives
      if (( dials > 0 )) && (( i % 10 == 0 )); then seeders_dial "$client" "$peer"; dials=$(( dials - 1 )); fi
      if [[ $client == candidate* ]]; then
        # tree sampling forks; do it once a second only
        if (( i % 10 == 5 )) && read -r -a smp < <(tree_sample "$SPAWN_PID"); then
          (( smp[2] > peak_anon )) && peak_anon=${smp[2]}
        fi
      elif read -r -a smp < <(proc_sample "$SPAWN_PID"); then
        (( smp[2] > peak_anon )) && peak_anon=${smp[2]}
      fi
      if [[ $client == candidate* && $CANDIDATE_POLL_OUTPUT == 1 ]] && (( ${EPOCHSECONDS} - last_poll >= 2 )); then
        last_poll=$EPOCHSECONDS
        if output_sizes_complete "$out" && verify_output "$out"; then done_by=poll; break; fi
      fi
      (( ${EPOCHSECONDS} >= deadline )) && { done_by=timeout; break; }
      (( ++i == 20 )) && netcheck "$tag" "$SPAWN_PID" "${SEED_PIDS[@]}"
      nap "$POLL"
    done
  fi
  local t1; t1=$(now)
  local B1 S1; B1=$(cpu_busy_ticks); S1=$(seed_ticks)
  local wall cpu hwm_kb rc=0
  if [[ $done_by == file || $done_by == poll ]]; then
    local s1=() sampler="proc_sample"
    [[ $client == candidate* ]] && sampler="tree_sample"
    read -r -a s1 < <($sampler "$SPAWN_PID") || s1=("${s0[@]}")
    (( s1[2] > peak_anon )) && peak_anon=${s1[2]}
    wall=$(fsub "$t1" "$t0")
    cpu=$(awk -v a="${s1[0]}" -v b="${s0[0]}" -v h="$CLK_TCK" 'BEGIN{printf "%.2f", (a-b)/h}')
    hwm_kb=${s1[1]}
    stop_timed "$SPAWN_TPID" "$SPAWN_PID"
  elif [[ $done_by == exit ]]; then
    wait "$SPAWN_TPID"; rc=$?
    unregister "$SPAWN_TPID"; unset "CHILD_OF[$SPAWN_TPID]"
    local tf=() ; read -r -a tf < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$W/$tag.time" | tail -n1)
    if [[ ${#tf[@]} -eq 4 ]]; then
      if [[ $mode == daemon ]]; then wall=$(fsub "$t1" "$t0"); else wall=${tf[0]}; fi
      cpu=$(awk -v u="${tf[1]}" -v s="${tf[2]}" 'BEGIN{printf "%.2f", u+s}')
      hwm_kb=${tf[3]}
    else
      wall=$(fsub "$t1" "$t0"); cpu=NA; hwm_kb=0
    fi
    (( rc != 0 )) && { status=fail; log "$client exited with status $rc"; }
    [[ $mode == daemon || $client == rtorrent ]] && { status=fail; log "$client exited before completing"; }
  else
    wall=$(fsub "$t1" "$t0"); cpu=NA; hwm_kb=0
    [[ $done_by == timeout ]] && log "$client: timeout after ${DL_TIMEOUT}s"
    status=fail
    [[ -n $SPAWN_TPID ]] && stop_timed "$SPAWN_TPID" "$SPAWN_PID"
  fi
  if [[ $status == ok ]]; then
    verify_output "$out" || { status=fail; log "$client: sha256 mismatch / missing files"; }
  fi
  local mibs rss anon seedcpu bg
  seedcpu=$(awk -v a="$S1" -v b="$S0" -v h="$CLK_TCK" 'BEGIN{printf "%.2f", (a-b)/h}')
  # CPU used by everything else on the machine during the download, in
  # average busy cores (other processes, harness polling, kernel threads)
  bg=$(awk -v a="$B1" -v b="$B0" -v s="$S1" -v s0="$S0" -v c="$cpu" -v h="$CLK_TCK" -v w="$wall" \
    'BEGIN{ if (c=="NA") c=0; x=((a-b)-(s-s0))/h - c; if (x<0) x=0; if (w>0) printf "%.2f", x/w; else print "NA"}')
  mibs=$(awk -v b="$TOTAL_BYTES" -v w="$wall" 'BEGIN{ if (w>0) printf "%.1f", b/1048576/w; else print "NA"}')
  rss=$(awk -v k="$hwm_kb" 'BEGIN{printf "%.1f", k/1024}')
  anon=$(awk -v k="$peak_anon" 'BEGIN{printf "%.1f", k/1024}')
  [[ $status == ok ]] || mibs="-"
  local nseed_desc; nseed_desc=$(echo "$SEEDERS" | tr ' ' '+')
  printf '%-12s %-6s %6d %-26s run%-2s %8s MiB/s %8s s %7s cpu-s %8s MiB %8s MiB %6s %5s  %s\n' \
    "$client" "$LAYOUT" "$(( TOTAL_BYTES / 1048576 ))" "$nseed_desc" "$run" "$mibs" "$wall" "$cpu" "$rss" "$anon" "$seedcpu" "$bg" "$status"
  if [[ -n $RESULTS_TSV ]]; then
    printf '%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -Is)" "$client" "$LAYOUT" \
      "$(( TOTAL_BYTES / 1048576 ))" "$nseed_desc" "$run" "$mibs" "$wall" "$cpu" "$rss" "$anon" "$seedcpu" "$bg" "$status" "$PIN" >> "$RESULTS_TSV"
  fi
  if [[ $status != ok && $KEEP_WORKDIR == 1 ]]; then
    log "kept failing run dir $dir"
  else
    rm -rf "$out"
  fi
}

cmd_bench() {
  need "$OPENTRACKER"; need "$MKTORRENT"; need "$CURL"; need "$TRANSMISSION_SHOW"; need "$TIME_BIN"
  local c
  for c in $CLIENTS $SEEDERS; do
    case $c in
      aria2) need "$ARIA2C" ;; transmission) need "$TRANSMISSION_DAEMON"; need "$TRANSMISSION_REMOTE" ;;
      qbittorrent) need "$QBITTORRENT_NOX" ;; rqbit) need "$RQBIT" ;; rtorrent) need "$RTORRENT" ;;
    esac
  done
  setup_workdir
  make_payload
  start_tracker "$INFOHASH"
  start_seeders
  netcheck seeders "${SEED_PIDS[@]}" "$TRACKER_PID"
  printf '# %-10s %-6s %6s %-26s %-5s %14s %10s %13s %12s %12s %6s %5s  %s\n' client layout MiB seeders run speed wall cpu peakRSS peakAnon seedcpu bg status
  local r k order=($CLIENTS)
  for ((r = 1; r <= RUNS; r++)); do
    for ((k = 0; k < ${#order[@]}; k++)); do
      c=${order[k]}
      [[ $ROTATE == 1 ]] && c=${order[(k + r - 1) % ${#order[@]}]}
      run_leecher "$c" "$r"
    done
  done
  if [[ -s $W/netcheck.flags ]]; then log "NETCHECK flagged: $(sort -u "$W/netcheck.flags" | tr '\n' ' ')"; else log "NETCHECK: only loopback sockets seen"; fi
  local i
  for ((i = ${#SEED_TPIDS[@]} - 1; i >= 0; i--)); do stop_timed "${SEED_TPIDS[i]}" "${SEED_PIDS[i]}"; done
}

# ---------------------------------------------------------------- ceiling
cmd_ceiling() {
  need "$SOCAT"; need "$TIME_BIN"
  setup_workdir
  local mib=$SIZE_MIB f="$W/ceil.bin" port=$(( BASE_PORT + 90 ))
  make_random_file "$f" "$mib"
  cat "$f" > /dev/null
  local t0 t1 r
  report() { awk -v n="$1" -v m="$mib" -v w="$2" -v tf="$3" 'BEGIN{ split("",x); getline l < tf; split(l,x," "); printf "%-34s %8.1f MiB/s  %6.3f s  cpu %5.2f s\n", n, m/w, w, x[2]+x[3]}'; }
  for r in 1 2 3; do
    t0=$(now); "$TIME_BIN" -f '%e %U %S %M' -o "$W/c.time" cat "$f" > /dev/null; t1=$(now)
    report "cat (page cache -> /dev/null) #$r" "$(fsub "$t1" "$t0")" "$W/c.time"
    t0=$(now); "$TIME_BIN" -f '%e %U %S %M' -o "$W/c.time" cp "$f" "$W/copy.bin"; t1=$(now)
    report "cp (page cache -> new file) #$r" "$(fsub "$t1" "$t0")" "$W/c.time"
    rm -f "$W/copy.bin"
    # plain TCP copy through loopback: receiver writes a file
    "$SOCAT" -u "TCP-LISTEN:$port,bind=$LO,reuseaddr" "OPEN:$W/sock.bin,creat,trunc" &
    local rp=$!; register "$rp"; nap 0.3
    t0=$(now); "$TIME_BIN" -f '%e %U %S %M' -o "$W/c.time" "$SOCAT" -u "OPEN:$f" "TCP:$LO:$port"; wait "$rp"; t1=$(now)
    unregister "$rp"
    report "socat TCP loopback -> file #$r" "$(fsub "$t1" "$t0")" "$W/c.time"
    rm -f "$W/sock.bin"
    "$SOCAT" -u "TCP-LISTEN:$port,bind=$LO,reuseaddr" OPEN:/dev/null &
    rp=$!; register "$rp"; nap 0.3
    t0=$(now); "$TIME_BIN" -f '%e %U %S %M' -o "$W/c.time" "$SOCAT" -u "OPEN:$f" "TCP:$LO:$port"; wait "$rp"; t1=$(now)
    unregister "$rp"
    report "socat TCP loopback -> /dev/null #$r" "$(fsub "$t1" "$t0")" "$W/c.time"
    t0=$(now); "$TIME_BIN" -f '%e %U %S %M' -o "$W/c.time" sha256sum "$f" > /dev/null; t1=$(now)
    report "sha256sum (verification cost) #$r" "$(fsub "$t1" "$t0")" "$W/c.time"
    t0=$(now); "$TIME_BIN" -f '%e %U %S %M' -o "$W/c.time" sha1sum "$f" > /dev/null; t1=$(now)
    report "sha1sum (BT v1 piece hashing) #$r" "$(fsub "$t1" "$t0")" "$W/c.time"
  done
}

# ---------------------------------------------------------------- idle
cmd_idle() {
  need "$OPENTRACKER"; need "$MKTORRENT"; need "$CURL"
  setup_workdir
  local n=$IDLE_TORRENTS i hashes=()
  mkdir -p "$W/idle/data" "$W/idle/torrents"
  for ((i = 1; i <= n; i++)); do
    local name; name=$(printf 'small%03d.bin' "$i")
    head -c "$(( IDLE_FILE_KIB * 1024 ))" /dev/urandom > "$W/idle/data/$name"
    local mk=("$MKTORRENT" -a "$ANNOUNCE" -l 16 -n "$name" -o "$W/idle/torrents/$name.torrent" -d)
    [[ $PRIVATE == 1 ]] && mk+=(-p)
    "${mk[@]}" "$W/idle/data/$name" >/dev/null 2>&1 || die "mktorrent failed"
    hashes+=("$(infohash_of "$W/idle/torrents/$name.torrent")")
  done
  start_tracker "${hashes[@]}"
  printf '# %-12s %9s %10s %10s %10s %12s %8s\n' client torrents RSS_MiB Anon_MiB HWM_MiB "cpu_s/${IDLE_WINDOW}s" "cpu_%"
  local c cnt k=0
  for c in $IDLE_CLIENTS; do
    for cnt in 0 "$n"; do
      idle_one "$c" "$cnt" "$k"; k=$(( k + 1 ))
    done
  done
}

idle_one() {   # client count k
  local c=$1 cnt=$2 k=$3
  local dir="$W/idle.$c.$cnt" peer=$(( BASE_PORT + 200 + 4 * k )) ctl=$(( BASE_PORT + 201 + 4 * k ))
  local data="$W/idle/data" tdir="$W/idle/torrents" tag="idle.$c.$cnt" ok=1
  mkdir -p "$dir"
  local tors=()
  if (( cnt > 0 )); then mapfile -t tors < <(ls "$tdir"/*.torrent | head -n "$cnt"); fi
  SPAWN_TPID="" SPAWN_PID=""
  case $c in
    transmission)
      tr_settings "$dir" "$peer" "$ctl" "$data" ""
      tr_start "$dir" "$peer" "$ctl" "" "$tag" || ok=0
      if (( cnt > 0 && ok )); then
        local t; for t in "${tors[@]}"; do tr_add "$ctl" "$t" || ok=0; done
      fi
      ;;
    qbittorrent)
      qb_conf "$dir" "$peer" "$ctl" "$data"
      qb_start "$dir" "$peer" "$ctl" "" "$tag" "" || ok=0
      if (( cnt > 0 && ok )); then
        local args=() t; for t in "${tors[@]}"; do args+=(-F "torrents=@$t"); done
        qb_api "$ctl" torrents/add "${args[@]}" -F "savepath=$data" >/dev/null || ok=0
      fi
      ;;
    rqbit)
      rqbit_common "$peer" "$ctl"
      spawn_timed "$tag" "" "$dir/client.log" "$RQBIT" "${RQBIT_ARGS[@]}" --listen-port "$peer" server start --disable-persistence "$data"
      wait_until 30 "$CURL" -s -f -o /dev/null "http://$LO:$ctl/" || ok=0
      if (( cnt > 0 && ok )); then
        local t; for t in "${tors[@]}"; do
          "$CURL" -s -f -o /dev/null --data-binary "@$t" "http://$LO:$ctl/torrents?overwrite=true&output_folder=$data" || ok=0
        done
      fi
      ;;
    cloud-torrent)
      # server with a fresh state folder; the torrents' data is already in
      # the download folder, so each is checked and then seeds
      # with IDLE_DORMANT_AFTER, a config file sets dormantAfter (dormant port: peer + 2)
      local config="$dir/none.toml"
      if (( IDLE_DORMANT_AFTER > 0 )); then
        config="$dir/config.toml"
        printf 'dormantAfter = %s\ndormantPort = %s\n' "$IDLE_DORMANT_AFTER" $(( peer + 2 )) > "$config"
      fi
      spawn_timed "$tag" "" "$dir/client.log" "$CLOUD_TORRENT" --config-path "$config" \
        --state-dir "$dir/state" --download-dir "$data" --host "$LO" --port "$ctl" \
        --incoming-host "$LO" --incoming-port "$peer" --disable-dht
      wait_until 30 "$CURL" -s -f -o /dev/null "http://$LO:$ctl/healthz" || ok=0
      if (( cnt > 0 && ok )); then
        local t; for t in "${tors[@]}"; do
          "$CURL" -s -f -o /dev/null -X POST -H 'content-type: application/x-bittorrent' \
            --data-binary "@$t" "http://$LO:$ctl/api/v1/torrents" || ok=0
        done
      fi
      ;;
    aria2)
      aria2_common "$peer" "$ctl"
      if (( cnt > 0 )); then
        printf '%s\n' "${tors[@]}" > "$dir/input.txt"
        spawn_timed "$tag" "" "$dir/client.log" "$ARIA2C" "${ARIA2_ARGS[@]}" --dir="$data" --seed-ratio=0.0 \
          --check-integrity=true --max-concurrent-downloads="$cnt" --bt-max-open-files=200 --input-file="$dir/input.txt"
      else
        # with nothing to do aria2c exits; RPC mode keeps an empty session alive
        spawn_timed "$tag" "" "$dir/client.log" "$ARIA2C" "${ARIA2_ARGS[@]}" --dir="$data" --enable-rpc=true \
          --rpc-listen-port="$ctl" --rpc-listen-all=false
      fi
      ;;
    rtorrent)
      if (( cnt > 0 )); then rt_args "$dir" "$peer" "$data" "$tdir/*.torrent" ""; else rt_args "$dir" "$peer" "$data" "" ""; fi
      spawn_timed "$tag" "" "$dir/client.log" "$RTORRENT" "${RT_ARGS[@]}"
      ;;
    *) log "idle: unknown client $c"; ok=0 ;;
  esac
  if [[ -z $SPAWN_PID ]] || (( ! ok )); then
    printf '%-14s %9s %s\n' "$c" "$cnt" "FAILED to start (see $dir)"
    [[ -n $SPAWN_TPID ]] && stop_timed "$SPAWN_TPID" "$SPAWN_PID"
    return
  fi
  local end=$(( SECONDS + IDLE_SETTLE ))
  while (( SECONDS < end )); do nap 0.5; done
  local a=() b=()
  read -r -a a < <(proc_sample "$SPAWN_PID") || a=(0 0 0 0)
  end=$(( SECONDS + IDLE_WINDOW ))
  while (( SECONDS < end )) && pid_alive "$SPAWN_PID"; do nap 0.5; done
  read -r -a b < <(proc_sample "$SPAWN_PID") || b=(0 0 0 0)
  netcheck "$tag" "$SPAWN_PID"
  local seeded=""
  if (( cnt > 0 )) && [[ $NETCHECK == 1 ]]; then
    # how many of the torrents the tracker sees as complete (announced by this client)
    local h nseed=0; for t in "${tors[@]}"; do h=$(infohash_of "$t"); [[ $(tracker_complete "$h") -ge 1 ]] 2>/dev/null && nseed=$((nseed+1)); done
    seeded=" (tracker sees $nseed/$cnt seeding)"
  fi
  awk -v c="$c" -v n="$cnt" -v rss="${b[3]}" -v an="${b[2]}" -v h="${b[1]}" -v d=$(( b[0] - a[0] )) -v hz="$CLK_TCK" -v w="$IDLE_WINDOW" -v s="$seeded" \
    'BEGIN{printf "%-14s %9d %10.1f %10.1f %10.1f %12.2f %8.2f%s\n", c, n, rss/1024, an/1024, h/1024, d/hz, 100*d/hz/w, s}'
  stop_timed "$SPAWN_TPID" "$SPAWN_PID"
  # reset the tracker's view between clients: nothing to do, each client
  # announces "stopped" on exit (or the entry simply ages out).
}

# ---------------------------------------------------------------- main
main() {
  case ${1:-bench} in
    bench) cmd_bench ;;
    ceiling) cmd_ceiling ;;
    idle) cmd_idle ;;
    help|-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
    *) die "unknown sub-command $1 (bench|ceiling|idle|help)" ;;
  esac
}
# when sourced (for debugging) only define the functions
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
