#!/usr/bin/env python3
"""How long a dormant torrent takes to answer a new peer (issue 17: "a dormant torrent must answer
a new peer within a few seconds").

    bench/dormant_wake.py [--count 1000] [--rounds 5] [--binary target/release/cloud-torrent]
                          [--rqbit rqbit]

cloud-torrent holds --count single-file seeding torrents of 16 KiB (bench/scale.py's), with
dormantAfter = 5 s. Once all of them are dormant, for each of --rounds torrents picked at random,
stock rqbit (`download --exit-on-finish`, DHT off, the torrent's only peer the dormant port) is
timed from its start to its exit: the torrent is woken by rqbit's handshake and its piece relayed.
The same torrent, awake now, is then fetched again by a fresh rqbit through `incomingPort`, which
reaches librqbit directly: the difference between the two is what waking costs a peer. Prints a
Markdown table (median, min-max). Everything on 127.0.0.1, DHT off, no trackers.
"""

import argparse
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from limits import free_port, wait  # noqa: E402
from scale import Item, ScaleCloudTorrent, place_payloads  # noqa: E402


def fetch(rqbit, torrent_path, peer_port, out):
    """Seconds from rqbit's start to its exit, having downloaded the torrent from the peer."""
    began = time.time()
    done = subprocess.run(
        [rqbit, "--disable-dht", "--disable-dht-persistence", "--disable-lsd",
         "--disable-upnp-port-forward", "--listen-ip", "127.0.0.1", "--ipv4-only",
         "--http-api-listen-addr", f"127.0.0.1:{free_port()}",
         "download", "-o", out, "--exit-on-finish",
         "--initial-peers", f"127.0.0.1:{peer_port}", torrent_path],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    elapsed = time.time() - began
    if done.returncode != 0:
        raise RuntimeError(f"rqbit exited with {done.returncode}")
    return elapsed


def summary(values):
    return f"{1000 * statistics.median(values):.0f} ms ({1000 * min(values):.0f}-{1000 * max(values):.0f})"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--binary", default=os.path.join(here, "..", "target", "release", "cloud-torrent"))
    parser.add_argument("--rqbit", default=os.environ.get("RQBIT", "rqbit"))
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="ct-wake-")
    created = int(time.time())
    items = [Item(i, created) for i in range(args.count)]
    client = ScaleCloudTorrent(args.binary, os.path.join(root, "cloud-torrent"), dormant_after=5)
    try:
        place_payloads(items, client.downloads)
        errors = client.add_all(items)
        if errors:
            raise SystemExit(f"{len(errors)} adds failed, the first: {errors[0]}")
        wait("all torrents dormant", 600, lambda: client.dormant() >= args.count)
        config = open(os.path.join(root, "cloud-torrent", "cloud-torrent.toml")).read()
        dormant_port = int(config.split("dormantPort = ")[1].split()[0])
        incoming_port = int(client.process.args[client.process.args.index("--incoming-port") + 1])
        woken, awake = [], []
        for n, item in enumerate(random.sample(items, args.rounds)):
            path = os.path.join(root, f"{item.name}.torrent")
            with open(path, "wb") as f:
                f.write(item.data)
            woken.append(fetch(args.rqbit, path, dormant_port, os.path.join(root, f"woken-{n}")))
            listed = json.loads(client.call("GET", f"/api/v1/torrents/{item.info_hash}", raw=True))
            if listed.get("dormant"):
                raise SystemExit(f"{item.name} is still dormant after a peer fetched it")
            awake.append(fetch(args.rqbit, path, incoming_port, os.path.join(root, f"awake-{n}")))
            print(f"[wake] {item.name}: through the dormant port {woken[-1]:.3f} s, "
                  f"awake through incomingPort {awake[-1]:.3f} s", file=sys.stderr)
    finally:
        client.stop()
        shutil.rmtree(root, ignore_errors=True)

    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    version = subprocess.run([args.rqbit, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"{date}; {args.count} dormant single-file torrents of 16 KiB; {args.rounds} rounds; "
          f"{version}; cloud-torrent binary {args.binary}\n")
    print("| rqbit fetching a torrent, start to exit | median (min-max) |")
    print("| --- | --- |")
    print(f"| dormant, through the dormant port (woken, relayed) | {summary(woken)} |")
    print(f"| the same torrent awake, through incomingPort | {summary(awake)} |")
    print(f"| difference (what waking costs) | {summary([w - a for w, a in zip(woken, awake)])} |")


if __name__ == "__main__":
    main()
