#!/usr/bin/env bash
# run.sh -- reproduces BENCHMARKS.md.
#
#   bench/run.sh                 build, then ceiling + single + multi + idle
#   bench/run.sh single idle     only some steps (build is always done first
#                                unless SKIP_BUILD=1)
#
# Steps:
#   ceiling  what this machine can do at all (page cache, loopback TCP, SHA-1)
#   single   1 GiB single file from one qBittorrent seeder on loopback, every
#            client ($CLIENTS) downloads it, $RUNS rounds
#   multi    the same with 200 files of 5 MiB
#   idle     idle RSS / CPU with 0 and 100 seeding torrents (256 KiB each)
#
# Results go to $OUT [bench/results/<date-time>]: one log per step,
# results.tsv (one row per download) and summary.md (medians per client, the
# tables of BENCHMARKS.md).  Everything runs on 127.0.0.0/8 with DHT, LSD,
# PEX and UPnP off (see bench/swarm.sh).
#
# Environment:
#   RUNS [3]             rounds per layout (each round: every client once)
#   CLIENTS ["candidate qbittorrent rqbit aria2 rtorrent transmission"]
#                        leechers; "candidate" is cloud-torrent.  Clients whose
#                        binary is missing are left out (with a warning).
#   IDLE_CLIENTS ["cloud-torrent qbittorrent rqbit transmission aria2 rtorrent"]
#   INSTALL [1 when root] apt-get install the other clients if missing
#   INSTALL_RQBIT [0]    1 = `cargo install rqbit --version 9.1.0` if missing
#                        (a long build on a 2-core machine)
#   CARGO_TARGET_DIR     where the release build goes [cargo's default]
#   SKIP_BUILD [0]       1 = use the existing release binary
#   CLOUD_TORRENT        the binary to measure [<target dir>/release/cloud-torrent]
#   CLOUD_TORRENT_BEFORE a second cloud-torrent binary (e.g. an older commit's
#                        release build), measured as client "candidate-before"
#                        beside "candidate" in the same rounds; name it in
#                        CLIENTS, e.g. CLIENTS="candidate candidate-before qbittorrent"
#   any parameter of bench/swarm.sh (SIZE_MIB, BASE_PORT, PIN, ...)
set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-"candidate qbittorrent rqbit aria2 rtorrent transmission"}
IDLE_CLIENTS=${IDLE_CLIENTS:-"cloud-torrent qbittorrent rqbit transmission aria2 rtorrent"}
INSTALL=${INSTALL:-$([[ $(id -u) == 0 ]] && echo 1 || echo 0)}
INSTALL_RQBIT=${INSTALL_RQBIT:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
OUT=${OUT:-$here/results/$(date +%Y%m%d-%H%M%S)}
steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(ceiling single multi idle)

say() { printf '[run %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "FATAL: $*"; exit 1; }

# ------------------------------------------------------------ dependencies
declare -A pkg_of=([qbittorrent-nox]=qbittorrent-nox [transmission-daemon]=transmission-daemon
  [transmission-remote]=transmission-cli [transmission-show]=transmission-cli [aria2c]=aria2
  [rtorrent]=rtorrent [mktorrent]=mktorrent [opentracker]=opentracker [socat]=socat [curl]=curl)
missing=()
for b in "${!pkg_of[@]}"; do command -v "$b" >/dev/null || missing+=("${pkg_of[$b]}"); done
[[ -x /usr/bin/time ]] || missing+=(time)
if [[ ${#missing[@]} -gt 0 ]]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [[ $INSTALL == 1 ]]; then
    say "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || die "apt-get install failed"
  else
    say "missing packages (not installing, INSTALL=0): ${missing[*]}"
  fi
fi
if ! command -v "${RQBIT:-rqbit}" >/dev/null && [[ $INSTALL_RQBIT == 1 ]]; then
  say "cargo install rqbit 9.1.0 (long)"
  cargo install rqbit --version 9.1.0 --locked || say "rqbit did not build; it is skipped"
fi
have_client() {
  case $1 in
    candidate|cloud-torrent) return 0 ;;
    candidate-before) [[ -n ${CLOUD_TORRENT_BEFORE:-} ]] ;;
    qbittorrent) command -v "${QBITTORRENT_NOX:-qbittorrent-nox}" ;;
    transmission) command -v "${TRANSMISSION_DAEMON:-transmission-daemon}" ;;
    aria2) command -v "${ARIA2C:-aria2c}" ;;
    rtorrent) command -v "${RTORRENT:-rtorrent}" ;;
    rqbit) command -v "${RQBIT:-rqbit}" ;;
    *) return 1 ;;
  esac >/dev/null
}
filter_clients() {
  local c keep=()
  for c in $1; do
    if have_client "$c"; then keep+=("$c"); else say "skipping $c: not installed"; fi
  done
  echo "${keep[*]}"
}
CLIENTS=$(filter_clients "$CLIENTS")
IDLE_CLIENTS=$(filter_clients "$IDLE_CLIENTS")

# ------------------------------------------------------------ build
target_dir=${CARGO_TARGET_DIR:-$repo/target}
if [[ $SKIP_BUILD != 1 ]]; then
  say "cargo build --release (target dir $target_dir)"
  (cd "$repo" && cargo build --release) || die "build failed"
fi
CLOUD_TORRENT=${CLOUD_TORRENT:-$target_dir/release/cloud-torrent}
[[ -x $CLOUD_TORRENT ]] || die "no binary at $CLOUD_TORRENT"
# measure a copy, so that a rebuild during the run cannot change the binary
mkdir -p "$OUT"
cp "$CLOUD_TORRENT" "$OUT/cloud-torrent" || die "cannot copy $CLOUD_TORRENT"
export CLOUD_TORRENT="$OUT/cloud-torrent"
export CANDIDATE_CMD="$here/candidate-cloud-torrent.sh"
if [[ -n ${CLOUD_TORRENT_BEFORE:-} ]]; then
  cp "$CLOUD_TORRENT_BEFORE" "$OUT/cloud-torrent-before" || die "cannot copy $CLOUD_TORRENT_BEFORE"
  export CANDIDATE_BEFORE_CMD="env CLOUD_TORRENT=$OUT/cloud-torrent-before $here/candidate-cloud-torrent.sh"
fi

# ------------------------------------------------------------ run
TSV="$OUT/results.tsv"
{
  echo "date: $(date -Is)"
  echo "commit: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null)$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo ' (dirty)')"
  echo "cloud-torrent: $("$CLOUD_TORRENT" --version 2>/dev/null), sha256 $(sha256sum < "$CLOUD_TORRENT" | cut -c1-16)"
  [[ -n ${CLOUD_TORRENT_BEFORE:-} ]] &&
    echo "cloud-torrent (before): $("$OUT/cloud-torrent-before" --version 2>/dev/null), sha256 $(sha256sum < "$OUT/cloud-torrent-before" | cut -c1-16)"
  echo "nproc: $(nproc); cpu: $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo); RAM: $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "qbittorrent-nox: $(qbittorrent-nox --version 2>/dev/null)"
  echo "transmission: $(transmission-daemon -V 2>&1 | head -n1)"
  echo "aria2: $(aria2c --version 2>/dev/null | head -n1)"
  echo "rtorrent: $(rtorrent -h 2>/dev/null | head -n1)"
  echo "rqbit: $("${RQBIT:-rqbit}" --version 2>/dev/null || echo 'not installed')"
  echo "RUNS=$RUNS CLIENTS=\"$CLIENTS\" IDLE_CLIENTS=\"$IDLE_CLIENTS\""
} > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

swarm() { "$here/swarm.sh" "$@"; }
for step in "${steps[@]}"; do
  say "step $step -> $OUT/$step.log"
  case $step in
    ceiling) swarm ceiling ;;
    single) LAYOUT=single RUNS=$RUNS CLIENTS=$CLIENTS RESULTS_TSV=$TSV swarm bench ;;
    multi) LAYOUT=multi RUNS=$RUNS CLIENTS=$CLIENTS RESULTS_TSV=$TSV swarm bench ;;
    idle) IDLE_CLIENTS=$IDLE_CLIENTS swarm idle ;;
    *) die "unknown step $step (ceiling|single|multi|idle)" ;;
  esac 2>&1 | tee "$OUT/$step.log"
done

# ------------------------------------------------------------ summary
"$here/summarize.sh" "$OUT" > "$OUT/summary.md"
say "summary: $OUT/summary.md"
cat "$OUT/summary.md"
