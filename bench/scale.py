#!/usr/bin/env python3
"""Many torrents: cloud-torrent, qBittorrent and Transmission each holding N small seeding
torrents, measured side by side in one run.

    bench/scale.py [--count 1000] [--idle-seconds 60] [--binary target/debug/cloud-torrent]
                   [--clients cloud-torrent,qbittorrent,transmission] [--keep]

e.g. `bench/scale.py --count 1000 --idle-seconds 30 > /tmp/scale-1000.txt` (progress on
stderr, the results on stdout; exit status 1 if a cell failed).

The script writes N single-file torrents itself (16 KiB of random data each, one 16 KiB
piece, no tracker), puts the data in each client's download folder, adds the torrents and
lets the client check them, so that all N seed. No trackers, no peers: everything is on
loopback (127.0.0.1) with DHT, LSD, PEX, UPnP and NAT-PMP off, and nothing contacts the
internet (the sockets of each client are checked with `ss`). The clients are started with
the configurations of bench/limits.py and measured one after the other (each is stopped
before the next starts). Per client:

  adding N       N torrents added through the API: cloud-torrent POST /api/v1/torrents
                 with the raw .torrent (application/x-bittorrent) from 8 threads;
                 qBittorrent torrents/add, 100 .torrent files per multipart request,
                 savepath = its download folder; Transmission torrent-add (metainfo in
                 base64, download-dir) from 8 threads. The time until every request was
                 answered and the list shows N, then the time (from the first add) until
                 all N seed: cloud-torrent state "seeding"; qBittorrent states uploading,
                 stalledUP, queuedUP, forcedUP; Transmission status 6.
  idle CPU, RSS  after a settle period (--settle-seconds), CPU time of the process (all its
                 threads: utime + stime of /proc/<pid>/stat) over --idle-seconds, in % of
                 one core, nothing asking the API in the window; VmRSS of /proc/<pid>/status
                 at the end of the window.
  full list      the call a web UI makes for its torrent list, median time of 5 and the size
                 of the body (no compression asked): cloud-torrent GET /api/v1/torrents;
                 qBittorrent GET torrents/info; Transmission torrent-get of id, name,
                 status, percentDone, rateDownload, rateUpload, totalSize, uploadRatio, eta,
                 error, errorString, peersConnected, addedDate, queuePosition.
  restart        SIGTERM, wait for the exit, the same command again with the same config
                 and state: the time until the API answers and until all N seed again. The
                 states seen while waiting are listed below the table (a client that checks
                 its data again shows it there, e.g. Transmission check-wait/check; for
                 qBittorrent, see below). Then idle CPU and RSS once more (in the notes).

With --dormant-after S, cloud-torrent runs with dormantAfter = S (see the README's Thousands of
torrents), and its idle window begins once every torrent is dormant.

qBittorrent 4.5.2 keeps about 4 KiB per torrent for good at each torrents/info or
sync/maindata call that lists every torrent (measured here: 50 calls with 300 torrents,
+60 MiB RssAnon; cloud-torrent and Transmission stay flat; qBittorrent issue #18830 reports
it), so polling it for the states would make its RSS depend on how long the benchmark
waited. The waits for qBittorrent therefore ask torrents/info?filter=stalled_uploading
(then "seeding")&sort=hash&limit=1 at offset N-1 and 0 (is there an N-th one? an offset
past the end counts from 0 again) and read the states only when
the filter says all seed but not all are stalledUP; its states are not sampled while
waiting. (For every client the five timed list calls come after the RSS is read.)
qBittorrent's `refresh_interval` (100 ms in bench/limits.py) is set back to its default
1500 ms, since it sets how often qBittorrent gathers the status of every torrent. Its
`max_active_checking_torrents` is left at its default, 1 (--qbt-checking): it then checks
the new torrents one after the other, about one a second here however small they are, so
qBittorrent needs about N seconds until all seed (the default --timeout allows for it).
Prints the versions, N, the date and one Markdown table; "failed: reason" where a client
did not take N torrents or did not seed them all in --timeout seconds. Needs
qbittorrent-nox and transmission-daemon (Debian packages of the same names). For N = 1000
on a 2-core machine: about 1 min + the idle window for cloud-torrent and Transmission each,
17 min + the idle window for qBittorrent (its checking).
"""

import argparse
import base64
import collections
import concurrent.futures
import datetime
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from limits import CloudTorrent, QBittorrent, Transmission, free_port, http, non_loopback_sockets, wait  # noqa: E402

KIB = 1024
PIECE = 16 * KIB
THREADS = 8
QBT_BATCH = 100
POLL = 0.5
TICKS = os.sysconf("SC_CLK_TCK")
TRANSMISSION_LIST_FIELDS = ["id", "name", "status", "percentDone", "rateDownload", "rateUpload",
                            "totalSize", "uploadRatio", "eta", "error", "errorString", "peersConnected",
                            "addedDate", "queuePosition"]


# ------------------------------------------------------------------ torrents

def bencode(value):
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


class Item:
    """One torrent: a single file of 16 KiB of random data in one piece."""

    def __init__(self, index, created):
        self.name = f"scale-{index:05d}.bin"
        self.payload = os.urandom(PIECE)
        info = {"length": len(self.payload), "name": self.name, "piece length": PIECE,
                "pieces": hashlib.sha1(self.payload).digest()}
        self.data = bencode({"created by": "bench/scale.py", "creation date": created, "info": info})
        self.info_hash = hashlib.sha1(bencode(info)).hexdigest()


def place_payloads(items, folder):
    for item in items:
        with open(os.path.join(folder, item.name), "wb") as f:
            f.write(item.payload)


def in_pool(function, items):
    """function(item) for every item from THREADS threads; the errors, as strings."""
    errors = []
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        for item, future in zip(items, [pool.submit(function, i) for i in items]):
            try:
                future.result()
            except Exception as e:  # report, don't stop: the row says how many failed
                errors.append(f"{item.name}: {describe(e)}")
    return errors


def describe(e):
    if isinstance(e, urllib.error.HTTPError):
        try:
            body = e.read()[:200].decode(errors="replace")
        except Exception:
            body = ""
        return f"HTTP {e.code} {body}".strip()
    return f"{type(e).__name__}: {e}"


# ------------------------------------------------------------------ clients

class Scale:
    """What this benchmark adds to a client of bench/limits.py."""

    seeding_states = ()

    def add_all(self, items):
        """Adds every item; returns the errors (strings)."""
        raise NotImplementedError

    def states(self):
        """Counter of the states of the torrents listed."""
        raise NotImplementedError

    def full_list(self):
        """The body of the list call of a web UI."""
        raise NotImplementedError

    def seeding(self, counter):
        return sum(n for state, n in counter.items() if state in self.seeding_states)

    def poll(self, count):
        """(whether `count` torrents seed, a Counter of the states or None if not sampled)."""
        counter = self.states()
        return self.seeding(counter) >= count, counter

    def listed(self, count):
        return sum(self.states().values()) >= count

    def restart(self, timeout):
        """SIGTERM, wait for the exit, start the same command again. Returns (seconds the
        shutdown took, whether it had to be killed, the time of the new start)."""
        args = self.process.args
        began = time.time()
        self.process.terminate()
        killed = False
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            killed = True
        stopped = time.time() - began
        self.log.write("\n----- restarted by bench/scale.py -----\n")
        self.log.flush()
        started = time.time()
        self.process = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        return stopped, killed, started


class ScaleCloudTorrent(Scale, CloudTorrent):
    seeding_states = ("seeding",)

    def __init__(self, binary, root, dormant_after=0):
        settings = {}
        if dormant_after > 0:
            settings = {"dormantAfter": dormant_after, "dormantPort": free_port()}
        super().__init__(binary, root, settings)
        self.dormant_after = dormant_after

    def dormant(self):
        """How many torrents are dormant (see the README's Thousands of torrents)."""
        return sum(1 for t in json.loads(self.full_list()) if t.get("dormant"))

    def add_all(self, items):
        def add(item):
            self.call("POST", "/api/v1/torrents", item.data, raw=True, content_type="application/x-bittorrent")
        return in_pool(add, items)

    def states(self):
        return collections.Counter(t["state"] for t in json.loads(self.full_list()))

    def full_list(self):
        return self.call("GET", "/api/v1/torrents", raw=True)


class ScaleQBittorrent(Scale, QBittorrent):
    seeding_states = ("uploading", "stalledUP", "queuedUP", "forcedUP")

    def __init__(self, root, checking=1):
        super().__init__(root)
        # bench/limits.py asks for 100 ms; put the default back (see the docstring)
        prefs = {"refresh_interval": 1500, "max_active_checking_torrents": checking}
        self.preferences(prefs)
        got = json.loads(self.api("app/preferences"))
        for key, value in prefs.items():
            if got.get(key) != value:
                raise RuntimeError(f"qBittorrent did not take {key}={value} (has {got.get(key)})")

    def add_all(self, items):
        errors = []
        for start in range(0, len(items), QBT_BATCH):
            batch = items[start:start + QBT_BATCH]
            body, content_type = multipart_many(
                {"savepath": self.downloads, "paused": "false", "skip_checking": "false"},
                [(i.name + ".torrent", i.data) for i in batch])
            try:
                answer = self.api("torrents/add", body=body, content_type=content_type)
                if answer.strip() != b"Ok.":
                    errors.append(f"batch from {batch[0].name}: {answer.strip()[:100]!r}")
            except Exception as e:
                errors.append(f"batch from {batch[0].name}: {describe(e)}")
        return errors

    def states(self):
        return collections.Counter(t["state"] for t in json.loads(self.full_list()))

    def full_list(self):
        return self.api("torrents/info")

    def at_least(self, count, torrent_filter):
        """Whether `count` torrents pass the filter, from answers of one torrent each. An
        offset past the end counts from 0 again, so the count-th (by hash) is told from the
        first."""
        def one(offset):
            found = json.loads(self.api(f"torrents/info?filter={torrent_filter}&sort=hash"
                                        f"&offset={offset}&limit=1"))
            return found[0]["hash"] if found else None
        last = one(count - 1)
        return last is not None and (count == 1 or last != one(0))

    def poll(self, count):
        # Each torrents/info (or sync/maindata) listing all torrents grows qBittorrent 4.5.2 by
        # about 4 KiB per torrent for good (see the docstring), so the waits ask only whether
        # the count-th torrent of a filter exists. With no peers, a torrent that seeds is
        # stalledUP; the filter "seeding" also takes checkingUP, so the states are read once
        # to tell.
        if self.at_least(count, "stalled_uploading"):
            return True, None
        if self.at_least(count, "seeding"):
            counter = self.states()
            return self.seeding(counter) >= count, counter
        return False, None

    def listed(self, count):
        return self.at_least(count, "all")


TRANSMISSION_STATUS = {0: "stopped", 1: "check-wait", 2: "check", 3: "download-wait", 4: "download",
                       5: "seed-wait", 6: "seed"}


class ScaleTransmission(Scale, Transmission):
    seeding_states = ("seed",)

    def add_all(self, items):
        def add(item):
            answer = self.rpc("torrent-add", metainfo=base64.b64encode(item.data).decode(),
                              paused=False, **{"download-dir": self.downloads})
            if "torrent-added" not in answer:
                raise RuntimeError(f"answer {sorted(answer)}")
        return in_pool(add, items)

    def states(self):
        return collections.Counter(TRANSMISSION_STATUS.get(t["status"], t["status"])
                                   for t in self.rpc("torrent-get", fields=["status"])["torrents"])

    def raw_rpc(self, method, **arguments):
        body = json.dumps({"method": method, "arguments": arguments}).encode()
        url = f"http://127.0.0.1:{self.port}/transmission/rpc"
        for _ in range(2):
            try:
                return http(url, body, {"X-Transmission-Session-Id": self.session_id,
                                        "content-type": "application/json"})
            except urllib.error.HTTPError as e:
                if e.code != 409:
                    raise
                self.session_id = e.headers["X-Transmission-Session-Id"]
        raise RuntimeError("Transmission kept asking for a new session id")

    def full_list(self):
        body = self.raw_rpc("torrent-get", fields=TRANSMISSION_LIST_FIELDS)
        answer = json.loads(body)
        if answer["result"] != "success":
            raise RuntimeError(f"Transmission torrent-get: {answer['result']}")
        return body


def multipart_many(fields, files):
    """multipart/form-data with many files in one field, "torrents" (qBittorrent's add)."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    for filename, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="torrents"; filename="{filename}"\r\n'
                     f'Content-Type: application/x-bittorrent\r\n\r\n'.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def start_client(name, args, root):
    if name == "cloud-torrent":
        return ScaleCloudTorrent(args.binary, root, args.dormant_after)
    if name == "qbittorrent":
        return ScaleQBittorrent(root, args.qbt_checking)
    if name == "transmission":
        return ScaleTransmission(root)
    raise SystemExit(f"unknown client {name} (cloud-torrent, qbittorrent, transmission)")


LABELS = {"cloud-torrent": "cloud-torrent", "qbittorrent": "qBittorrent", "transmission": "Transmission"}


# ------------------------------------------------------------------ measures

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: all threads of the process


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def stop_children():
    """SIGTERM, then SIGKILL, to the processes this script started that still run."""
    me = str(os.getpid())
    children = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[1] == me:
                    children.append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    for pid in children:
        os.kill(pid, signal.SIGTERM)
    time.sleep(5)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def answers(client):
    try:
        return client.up()
    except Exception:
        return False


def until_seeding(client, count, since, timeout, seen=None):
    """Polls the client's states until `count` seed; returns the seconds from `since`.
    `seen` (a dict) keeps the highest number of torrents seen in each state."""
    deadline = time.time() + timeout
    while True:
        try:
            done, counter = client.poll(count)
        except Exception as e:  # busy or restarting: try again
            done, counter = False, collections.Counter({f"list failed ({describe(e)[:60]})": 1})
        now = time.time()
        if seen is not None and counter is not None:
            for state, n in counter.items():
                seen[state] = max(seen.get(state, 0), n)
            seen["(listed)"] = max(seen.get("(listed)", 0), sum(counter.values()))
        if done:
            return now - since
        if client.process.poll() is not None:
            raise RuntimeError(f"the client exited (code {client.process.returncode})")
        if now > deadline:
            last = client.states()
            raise RuntimeError(f"{client.seeding(last)} of {count} seeding after {timeout:.0f} s "
                               f"(states {dict(last)})")
        time.sleep(POLL)


def shown_states(seen, count):
    if not seen:
        return "not sampled (see the docstring)"
    listed = seen.pop("(listed)", 0)
    parts = [f"{state} (up to {n})" for state, n in sorted(seen.items(), key=lambda kv: str(kv[0]))]
    if listed < count:
        parts.append(f"at most {listed} of {count} listed")
    return ", ".join(parts)


class Measure:
    """The row of one client: its cells, filled in order; the first failure ends it."""

    COLUMNS = ("idle", "rss", "list", "add", "restart")
    PHASES = ("add", "idle", "rss", "list", "restart")

    def __init__(self, name):
        self.name, self.label = name, LABELS.get(name, name)
        self.cells = {}
        self.notes = []
        self.version = None
        self.off_loopback = []

    def fail(self, column, reason):
        self.cells[column] = f"failed: {reason}"
        for c in self.COLUMNS:
            self.cells.setdefault(c, "not measured")

    def run(self, args, root, items):
        count = len(items)
        os.makedirs(root)
        print(f"[scale] {self.name}: starting (load average {os.getloadavg()[0]:.2f})", file=sys.stderr)
        try:
            client = start_client(self.name, args, root)
        except Exception as e:
            self.fail("add", f"did not start: {describe(e)}")
            stop_children()  # a client that hangs at its start must not disturb the next one
            return
        self.version = client.version
        pid = client.process.pid
        try:
            self.phases(client, args, items, count)
        except Exception as e:  # an unforeseen error: say so in the row rather than stop the run
            first = next((c for c in self.PHASES if c not in self.cells), "restart")
            self.fail(first, describe(e))
        finally:
            self.look_at_sockets(client)
            if self.off_loopback:
                self.notes.append("sockets off loopback: " + "; ".join(self.off_loopback))
            client.stop()
            if client.process.returncode not in (0, -15):
                self.notes.append(f"exit code {client.process.returncode} at the final stop")

    def look_at_sockets(self, client):
        for line in non_loopback_sockets([client.process.pid]):
            if line not in self.off_loopback:
                self.off_loopback.append(line)

    def phases(self, client, args, items, count):
        place_payloads(items, client.downloads)
        # adding N, then until all seed
        print(f"[scale] {self.name}: adding {count}", file=sys.stderr)
        began = time.time()
        errors = client.add_all(items)
        answered = time.time() - began
        if errors:
            self.notes.append(f"{len(errors)} add errors, the first: {errors[0]}")
            listed = sum(client.states().values())
            self.fail("add", f"{len(errors)} of {count} adds refused ({listed} listed); {errors[0][:120]}")
            return
        try:
            wait("all torrents listed", args.timeout, lambda: client.listed(count))
        except RuntimeError:
            self.fail("add", f"only {sum(client.states().values())} of {count} listed after {args.timeout:.0f} s")
            return
        added = time.time() - began
        seen = {}
        try:
            seeding = until_seeding(client, count, began, args.timeout, seen)
        except RuntimeError as e:
            self.fail("add", f"added in {added:.1f} s, but {e}")
            return
        self.look_at_sockets(client)
        self.cells["add"] = f"{added:.1f} (all seed {seeding:.1f})"
        self.notes.append(f"adding: requests answered in {answered:.1f} s; states seen before all seeded: "
                          + shown_states(seen, count))
        print(f"[scale] {self.name}: added {added:.1f} s, all seed {seeding:.1f} s", file=sys.stderr)

        # dormant torrents (cloud-torrent with --dormant-after): all of them, before the idle window
        if getattr(client, "dormant_after", 0) > 0:
            try:
                wait("all torrents dormant", args.timeout, lambda: client.dormant() >= count)
            except RuntimeError:
                self.fail("idle", f"only {client.dormant()} of {count} dormant after {args.timeout:.0f} s")
                return
            self.notes.append(f"dormant (dormantAfter = {client.dormant_after} s): all {count} "
                              f"{time.time() - began:.1f} s after the first add")
            print(f"[scale] {self.name}: all dormant {time.time() - began:.1f} s after the first add",
                  file=sys.stderr)

        # idle CPU and RSS
        pid = client.process.pid
        time.sleep(args.settle_seconds)
        load = os.getloadavg()[0]
        t0, c0 = time.time(), cpu_seconds(pid)
        time.sleep(args.idle_seconds)
        t1, c1 = time.time(), cpu_seconds(pid)
        rss, anon, hwm = status_kib(pid, "VmRSS"), status_kib(pid, "RssAnon"), status_kib(pid, "VmHWM")
        self.cells["idle"] = f"{100 * (c1 - c0) / (t1 - t0):.2f}"
        self.cells["rss"] = f"{rss / KIB:.1f}"
        self.notes.append(f"idle: {c1 - c0:.2f} CPU s in {t1 - t0:.0f} s (load average {load:.2f} at the start); "
                          f"RssAnon {anon / KIB:.1f} MiB, peak RSS (VmHWM) {hwm / KIB:.1f} MiB")
        print(f"[scale] {self.name}: idle {self.cells['idle']} %, RSS {self.cells['rss']} MiB", file=sys.stderr)

        # the full list
        times, sizes = [], set()
        for _ in range(5):
            t = time.perf_counter()
            body = client.full_list()
            times.append(time.perf_counter() - t)
            sizes.add(len(body))
        size = max(sizes)
        self.cells["list"] = f"{1000 * statistics.median(times):.1f} ms, {size / KIB:.0f} KiB"
        self.notes.append(f"full list: {size} bytes ({size / count:.0f} per torrent), "
                          f"{', '.join(f'{1000 * t:.1f}' for t in times)} ms")

        # restart
        print(f"[scale] {self.name}: restarting", file=sys.stderr)
        stopped, killed, started = client.restart(args.timeout)
        if killed:
            self.notes.append(f"did not exit within {args.timeout:.0f} s of SIGTERM: killed")
        else:
            self.notes.append(f"shutdown after SIGTERM took {stopped:.1f} s")
        deadline = time.time() + args.timeout
        while not answers(client):
            if client.process.poll() is not None:
                self.fail("restart", f"exited with code {client.process.returncode} after the restart")
                return
            if time.time() > deadline:
                self.fail("restart", f"the API did not answer in {args.timeout:.0f} s")
                return
            time.sleep(0.05)
        api = time.time() - started
        seen = {}
        try:
            seeding = until_seeding(client, count, started, args.timeout, seen)
        except RuntimeError as e:
            self.fail("restart", f"API after {api:.1f} s, but {e}")
            return
        self.cells["restart"] = f"{seeding:.1f} (API {api:.1f})"
        self.notes.append("restart: states seen before all seeded again: " + shown_states(seen, count))
        print(f"[scale] {self.name}: restart: API {api:.1f} s, all seed {seeding:.1f} s", file=sys.stderr)

        # idle CPU and RSS again, after the restart (what a server that was restarted holds)
        pid = client.process.pid
        time.sleep(args.settle_seconds)
        t0, c0 = time.time(), cpu_seconds(pid)
        time.sleep(args.idle_seconds)
        t1, c1 = time.time(), cpu_seconds(pid)
        rss = status_kib(pid, "VmRSS")
        self.notes.append(f"after the restart: idle {100 * (c1 - c0) / (t1 - t0):.2f} % of a core, "
                          f"RSS {rss / KIB:.1f} MiB (same windows as above)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="torrents per client")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="the idle CPU window")
    parser.add_argument("--settle-seconds", type=float, default=10.0,
                        help="wait after all seed before the idle window")
    parser.add_argument("--timeout", type=float,
                        help="seconds for adding and seeding, for a shutdown, for a restart, each "
                             "[600 or 1.5 s per torrent, whichever is more]")
    parser.add_argument("--qbt-checking", type=int, default=1,
                        help="qBittorrent's max_active_checking_torrents [1, its default]")
    parser.add_argument("--dormant-after", type=int, default=0,
                        help="cloud-torrent's dormantAfter setting in seconds (0: off, its default); "
                             "the idle window then begins once every torrent is dormant")
    parser.add_argument("--binary", default=os.path.join(here, "..", "target", "debug", "cloud-torrent"))
    parser.add_argument("--clients", default="cloud-torrent,qbittorrent,transmission",
                        help="comma-separated, measured in this order")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, state)")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    if args.timeout is None:
        args.timeout = max(600.0, 1.5 * args.count)
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    for name in clients:
        if name not in LABELS:
            raise SystemExit(f"unknown client {name} (cloud-torrent, qbittorrent, transmission)")
    tools = {"qbittorrent": "qbittorrent-nox", "transmission": "transmission-daemon"}
    for name in clients:
        if name in tools and not shutil.which(tools[name]):
            raise SystemExit(f"{tools[name]} is missing (apt-get install {tools[name]})")
    if "cloud-torrent" in clients and not os.access(args.binary, os.X_OK):
        raise SystemExit(f"no cloud-torrent binary at {args.binary} (--binary)")

    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    created = int(time.time())
    items = [Item(i, created) for i in range(args.count)]
    root = tempfile.mkdtemp(prefix="ct-scale-")
    measures = []
    try:
        for name in clients:
            m = Measure(name)
            m.run(args, os.path.join(root, name), items)
            measures.append(m)
    finally:
        if args.keep:
            print(f"[scale] kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)

    build = ("debug build" if f"{os.sep}debug{os.sep}" in args.binary
             else "release build" if f"{os.sep}release{os.sep}" in args.binary else "build unknown")
    print(f"{date}; N = {args.count} single-file torrents of 16 KiB (one 16 KiB piece), seeding, no peers; "
          f"{os.cpu_count()} cores, {platform.machine()}")
    print("versions: " + "; ".join(m.version or f"{m.label} (did not start)" for m in measures))
    if "cloud-torrent" in clients:
        print(f"cloud-torrent binary: {args.binary} ({build})"
              + (f"; dormantAfter = {args.dormant_after} s" if args.dormant_after else ""))
    if "qbittorrent" in clients:
        print(f"qBittorrent max_active_checking_torrents = {args.qbt_checking}"
              + (" (its default)" if args.qbt_checking == 1 else ""))
    print(f"idle window {args.idle_seconds:.0f} s, {args.settle_seconds:.0f} s after all seed; "
          f"list time median of 5; times in s from the first add or from the restart\n")
    print(f"| client | idle CPU (% of a core) | RSS (MiB) | full list (time, size) | adding {args.count} (s) "
          f"| restart until all seed (s) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for m in measures:
        print(f"| {m.label} | " + " | ".join(m.cells.get(c, "not measured") for c in Measure.COLUMNS) + " |")
    print()
    for m in measures:
        for note in m.notes:
            print(f"- {m.label}: {note}")
    if not any(m.off_loopback for m in measures):
        print("- sockets off loopback (`ss`, when all seed and at the end of each client's run): none seen")
    return 1 if any(v.startswith("failed") for m in measures for v in m.cells.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
