#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine: installs what the tests need
# (aria2, opentracker, mktorrent, transmission-cli... from Debian), then checks
# formatting and lints and runs every test, the API check against the OpenAPI
# document, the compatible APIs with real clients and the browser tests.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v aria2c >/dev/null || missing+=(aria2)
command -v opentracker >/dev/null || missing+=(opentracker)
command -v mktorrent >/dev/null || missing+=(mktorrent)
command -v unzip >/dev/null || missing+=(unzip)
command -v make >/dev/null || missing+=(make)   # builds jemalloc (tikv-jemalloc-sys)
command -v python3 >/dev/null || missing+=(python3)
# The API check's virtualenv (Debian splits `python3 -m venv` out of python3) and
# the `ip` that brings up loopback in its network namespace.
venv_probe=$(mktemp -d)
python3 -m venv "$venv_probe/venv" >/dev/null 2>&1 || missing+=(python3-venv)
rm -rf "$venv_probe"
command -v ip >/dev/null || missing+=(iproute2)
command -v chromium >/dev/null || missing+=(chromium)   # the web UI's browser tests
command -v npm >/dev/null || missing+=(nodejs npm)
command -v transmission-remote >/dev/null || missing+=(transmission-cli)   # scripts/compat-check.sh
command -v transmission-daemon >/dev/null || missing+=(transmission-daemon)   # ...its reference servers
command -v qbittorrent-nox >/dev/null || missing+=(qbittorrent-nox)
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --all-targets

# The server against its own OpenAPI document: Schemathesis on every operation,
# with and without a login (tests/api/run.py).
scripts/api-check.sh
scripts/compat-check.sh   # real qBittorrent and Transmission clients (tests/compat/)

# Browser tests of the web UI: headless Chromium driven by playwright-core against
# the binary cargo just built (target/debug/cloud-torrent) and a loopback swarm.
(cd e2e && npm ci --no-audit --no-fund --loglevel=error && npm test)
