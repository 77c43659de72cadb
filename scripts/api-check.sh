#!/usr/bin/env bash
# Checks the server against its OpenAPI document with Schemathesis (tests/api/run.py):
# every operation, with and without a login, must answer only documented status codes,
# content types, headers and bodies, and never 5xx. Installs the pinned Schemathesis
# into target/venv, builds target/debug/cloud-torrent, and runs the check in a network
# namespace of its own that has only loopback, so that nothing a generated request
# names can be reached (tests/api/hooks.py also keeps generated URLs and magnets
# inert). Usage: scripts/api-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/venv
requirements=tests/api/requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

cargo build --quiet --bin cloud-torrent

check=("$venv/bin/python" tests/api/run.py target/debug/cloud-torrent "$venv/bin/st")
# Root makes the namespace directly; another user needs a user namespace for it.
namespace=()
if ! command -v ip >/dev/null; then
  echo "api-check: no ip command (iproute2) to bring up loopback in a network namespace" >&2
elif unshare --net true 2>/dev/null; then
  namespace=(unshare --net)
elif unshare --net --map-root-user true 2>/dev/null; then
  namespace=(unshare --net --map-root-user)
else
  echo "api-check: cannot make a network namespace here" >&2
fi
if ((${#namespace[@]})); then
  exec "${namespace[@]}" sh -c 'ip link set lo up && exec "$@"' sh "${check[@]}"
fi
echo "api-check: running on this machine's network; hooks.py still keeps every generated URL and magnet on loopback" >&2
exec "${check[@]}"
