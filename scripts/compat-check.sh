#!/usr/bin/env bash
# Real clients of the compatible APIs against the binary cargo built
# (target/debug/cloud-torrent; nothing is built here): qbittorrent-api and
# transmission-rpc (PyPI, pinned in tests/compat/requirements.txt, installed into
# target/venv-compat), transmission-remote (Debian's transmission-cli), and a replay of
# Sonarr's Transmission requests, and a comparison with Debian's qbittorrent-nox and
# transmission-daemon answering the same calls (tests/compat/*.py). Everything stays on loopback: the
# payloads are seeded by a second instance of the binary, or by aria2c through
# opentracker. Usage: scripts/compat-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

binary=target/debug/cloud-torrent
if [[ ! -x $binary ]]; then
  echo "compat-check: $binary is missing; run cargo build first" >&2
  exit 1
fi
for tool in transmission-remote transmission-daemon qbittorrent-nox aria2c opentracker mktorrent; do
  if ! command -v "$tool" >/dev/null; then
    echo "compat-check: $tool is missing (scripts/test.sh installs it)" >&2
    exit 1
  fi
done

venv=target/venv-compat
requirements=tests/compat/requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

"$venv/bin/python" tests/compat/qbittorrent_clients.py "$binary"
"$venv/bin/python" tests/compat/transmission_clients.py "$binary"
# The same calls against Debian's qbittorrent-nox and transmission-daemon, compared.
"$venv/bin/python" tests/compat/differential.py "$binary"
