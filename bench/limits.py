#!/usr/bin/env python3
"""Speed-limit accuracy of cloud-torrent: the limit set against the rate measured.

    bench/limits.py [--binary target/release/cloud-torrent] [--seconds 20]

Everything runs on loopback: an opentracker on 127.0.0.1, aria2c seeders and a
leecher on 127.0.0.2-4, cloud-torrent on 127.0.0.1 (DHT off). The rate is read from
the torrent's lifetime counters (`downloaded`, `uploaded`) over the window, after a
warm-up that lets the limiter's first second of burst pass. Prints a Markdown table
(the one in BENCHMARKS.md).

Scenarios:
  global down     downloadLimit against a fast seeder
  global up       uploadLimit against a fast leecher (cloud-torrent seeds)
  torrent down    one torrent's downloadLimit while another runs unlimited
  alternative     altSpeed switched on during a download: the limit it sets, and how
                  long until the measured rate follows
Needs aria2c, mktorrent and opentracker (Debian packages of the same names).
"""

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

MIB = 1024 * 1024
KIB = 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """cloud-torrent on 127.0.0.1, driven through its JSON API."""

    def __init__(self, binary, root):
        self.port = free_port()
        self.incoming = free_port()
        downloads = os.path.join(root, "downloads")
        os.makedirs(downloads)
        self.downloads = downloads
        config = os.path.join(root, "cloud-torrent.toml")
        with open(config, "w") as f:
            f.write(f'downloadDir = "{downloads}"\ndht = false\n')
        self.log = open(os.path.join(root, "server.log"), "w")
        self.child = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", str(self.port),
             "--incoming-host", "127.0.0.1", "--incoming-port", str(self.incoming),
             "--state-dir", os.path.join(root, "state"), "--config-path", config],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                self.call("GET", "/healthz", raw=True)
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("cloud-torrent did not start")

    def call(self, method, path, body=None, raw=False, content_type="application/json"):
        data = None
        headers = {}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["content-type"] = content_type
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                     headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=30) as res:
            text = res.read()
        return text if raw else (json.loads(text) if text else None)

    def torrent(self, info_hash):
        return self.call("GET", f"/api/v1/torrents/{info_hash}")

    def config(self, **change):
        self.call("PATCH", "/api/v1/config", change)

    def add(self, torrent_bytes, query=""):
        return self.call("POST", f"/api/v1/torrents{query}", torrent_bytes,
                         content_type="application/x-bittorrent")

    def remove(self, info_hash):
        self.call("DELETE", f"/api/v1/torrents/{info_hash}?deleteFiles=true")

    def stop(self):
        self.child.terminate()
        self.child.wait(timeout=30)


def make_torrent(path, out, announce):
    subprocess.run(["mktorrent", "-l", "18", "-a", announce, "-o", out, path],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out, "rb") as f:
        data = f.read()
    info = data[data.index(b"4:info") + 6:-1]
    return data, hashlib.sha1(info).hexdigest()


def aria2c(torrent, data_dir, ip, seed):
    args = ["aria2c", "--no-conf", "--enable-dht=false", "--enable-dht6=false",
            "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
            "--bt-tracker-interval=1", "--console-log-level=warn", "--summary-interval=0",
            f"--listen-port={free_port()}", f"--interface={ip}", f"--dir={data_dir}",
            "--seed-ratio=0.0", "--allow-overwrite=true"]
    if seed:
        args.append("--check-integrity=true")
    return subprocess.Popen(args + [torrent], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def wait(what, seconds, check):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def rate(server, info_hash, counter, seconds):
    start = server.torrent(info_hash)[counter]
    began = time.time()
    time.sleep(seconds)
    end = server.torrent(info_hash)[counter]
    return (end - start) / (time.time() - began)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.path.join(here, "..", "target", "release", "cloud-torrent"))
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    for tool in ("aria2c", "mktorrent", "opentracker"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing (apt-get install {tool})")
    root = tempfile.mkdtemp(prefix="ct-limits-")
    tracker_port = free_port()
    children = []
    rows = []
    try:
        # Payloads big enough that nothing finishes within a window at the limits used.
        torrents = {}
        seeds = os.path.join(root, "seeds")
        os.makedirs(seeds)
        for name, size in (("a.bin", 96 * MIB + 7), ("b.bin", 96 * MIB + 11), ("c.bin", 96 * MIB + 13)):
            with open(os.path.join(seeds, name), "wb") as f:
                f.write(os.urandom(size))
            torrents[name] = make_torrent(os.path.join(seeds, name), os.path.join(root, name + ".torrent"),
                                          f"http://127.0.0.1:{tracker_port}/announce")
        tracker_dir = os.path.join(root, "tracker")
        os.makedirs(tracker_dir)
        with open(os.path.join(tracker_dir, "whitelist.txt"), "w") as f:
            f.write("".join(h + "\n" for _, h in torrents.values()))
        os.chmod(tracker_dir, 0o755)
        children.append(subprocess.Popen(
            ["opentracker", "-i", "127.0.0.1", "-p", str(tracker_port), "-P", str(tracker_port),
             "-d", tracker_dir, "-w", "whitelist.txt"], cwd=tracker_dir,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for i, name in enumerate(torrents):
            children.append(aria2c(os.path.join(root, name + ".torrent"), seeds, f"127.0.0.{2 + i}", True))
        time.sleep(3)
        server = Server(args.binary, os.path.join(root, "server"))
        window = args.seconds

        def download(name, query=""):
            data, info_hash = torrents[name]
            server.add(data, query)
            wait(f"{name} to start", 60, lambda: server.torrent(info_hash)["downloaded"] > 0)
            time.sleep(3)
            return info_hash, rate(server, info_hash, "downloaded", window)

        # Global download limit.
        for limit in (256 * KIB, 1 * MIB, 4 * MIB):
            server.config(downloadLimit=limit)
            info_hash, measured = download("a.bin")
            rows.append(("global download", limit, measured))
            server.remove(info_hash)
        server.config(downloadLimit=0)

        # One torrent limited, another unlimited at the same time.
        data_b, hash_b = torrents["b.bin"]
        added = time.time()
        server.add(data_b)
        info_hash, measured = download("a.bin", f"?downloadLimit={MIB}")
        done = server.torrent(hash_b)
        wait("b.bin to complete", 120, lambda: server.torrent(hash_b)["progress"] == 1.0)
        unlimited_other = done["size"] / (time.time() - added) if done["progress"] < 1.0 else None
        if unlimited_other is None:
            # It completed while the limited one was measured: its time to complete is
            # its active time before it started seeding (whole seconds).
            unlimited_other = done["size"] / max(done["activeTime"] - done["seedingTime"], 1)
        rows.append(("torrent download (another unlimited)", 1 * MIB, measured))
        server.remove(info_hash)
        server.remove(hash_b)

        # The alternative mode switched on during a download.
        server.config(downloadLimit=4 * MIB, altDownloadLimit=1 * MIB)
        data_c, hash_c = torrents["c.bin"]
        server.add(data_c)
        wait("c.bin to start", 60, lambda: server.torrent(hash_c)["downloaded"] > 0)
        time.sleep(3)
        switched = time.time()
        server.config(altSpeed=True)
        samples = []
        while time.time() - switched < 8:
            samples.append((time.time(), server.torrent(hash_c)["downloaded"]))
            time.sleep(0.25)
        follow = None
        for i, (t, d) in enumerate(samples):
            later = [s for s in samples[i:] if s[0] - t >= 1.0]
            if later and (later[0][1] - d) / (later[0][0] - t) <= 1.2 * MIB:
                follow = t - switched
                break
        measured = rate(server, hash_c, "downloaded", window)
        rows.append(("alternative download", 1 * MIB, measured))
        server.remove(hash_c)
        server.config(altSpeed=False, downloadLimit=0)

        # Upload: cloud-torrent seeds a.bin to an aria2c leecher.
        shutil.copy(os.path.join(seeds, "a.bin"), os.path.join(server.downloads, "a.bin"))
        for limit in (256 * KIB, 1 * MIB):
            server.config(uploadLimit=limit)
            data_a, hash_a = torrents["a.bin"]
            server.add(data_a)
            wait("a.bin to seed", 120, lambda: server.torrent(hash_a)["state"] == "seeding")
            for child in children[1:]:
                child.terminate()
            leech_dir = os.path.join(root, f"leech-{limit}")
            os.makedirs(leech_dir)
            leecher = aria2c(os.path.join(root, "a.bin.torrent"), leech_dir, "127.0.0.9", False)
            children.append(leecher)
            wait("the leecher to start", 60, lambda: server.torrent(hash_a)["uploaded"] > 0)
            time.sleep(3)
            rows.append(("global upload", limit, rate(server, hash_a, "uploaded", window)))
            leecher.terminate()
            server.call("DELETE", f"/api/v1/torrents/{hash_a}?deleteFiles=false")
        server.stop()
    finally:
        for child in children:
            child.kill()
        shutil.rmtree(root, ignore_errors=True)

    print(f"window {window:.0f} s after a 3 s warm-up; {os.path.basename(args.binary)} at {args.binary}\n")
    print("| scenario | set (KiB/s) | measured (KiB/s) | error |")
    print("| --- | --- | --- | --- |")
    for scenario, limit, measured in rows:
        print(f"| {scenario} | {limit / KIB:.0f} | {measured / KIB:.0f} | {100 * (measured - limit) / limit:+.1f} % |")
    print()
    print(f"the alternative limit showed in the measured rate {follow:.2f} s after the switch"
          if follow is not None else "the alternative limit did not show within 8 s")
    print(f"the unlimited torrent beside the limited one averaged {unlimited_other / MIB:.0f} MiB/s")


if __name__ == "__main__":
    sys.exit(main())
