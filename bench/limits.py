#!/usr/bin/env python3
"""Speed-limit accuracy: the limit set against the rate measured, for cloud-torrent,
qBittorrent and Transmission in the same run.

    bench/limits.py [--binary target/release/cloud-torrent] [--seconds 20]
                    [--clients cloud-torrent,qbittorrent,transmission]

Everything runs on loopback (127.0.0.0/8): an opentracker on 127.0.0.1, aria2c seeders
on 127.0.0.2-7, an aria2c leecher on 127.0.0.9 for the upload scenarios, and the client
under test on 127.0.0.1 with DHT, local peer discovery, PEX, UPnP and NAT-PMP off. The
clients are measured one after the other against the same seeders and the same payloads.
Each rate is read from the client's own payload counters over the window (cloud-torrent's
lifetime `downloaded` and `uploaded`, qBittorrent's `downloaded` and `uploaded` from
torrents/info, Transmission's `downloadedEver` and `uploadedEver`), after a warm-up that
lets the limiter's first second of burst pass. The window starts and ends at a change of
the counter, so a client that refreshes its counters only now and then (qBittorrent: every
`refresh_interval`, set to 100 ms here) is not measured over a part of a period. Prints one
Markdown table with a column per client (the one in BENCHMARKS.md); "n/a" where a client
has no such setting, "failed" (with the reason below the table) where a scenario broke.

How each client is told its limits:
  cloud-torrent  PATCH /api/v1/config downloadLimit, uploadLimit, altDownloadLimit, altSpeed
                 (bytes/s); a torrent's downloadLimit and uploadLimit at add (query)
  qBittorrent    Web API app/setPreferences dl_limit, up_limit, alt_dl_limit (bytes/s),
                 transfer/toggleSpeedLimitsMode; dlLimit and upLimit at torrents/add; LAN
                 peers limited too (limit_lan_peers: loopback counts as LAN)
  Transmission   RPC session-set speed-limit-down/-up (+ _enabled), alt-speed-down,
                 alt-speed-enabled; torrent-set downloadLimit/uploadLimit (+ Limited) right
                 after torrent-add (it takes no limit at add). Its RPC speaks kB/s, in units
                 of `units.speed-bytes` from session-get (1000 for transmission-daemon), so a
                 limit in KiB/s is rounded to whole kB/s; its error is computed against the
                 limit it was actually given.

Scenarios (each on a torrent of its own, 96 MiB of random data, 192 MiB at 4 MiB/s):
  global down     the global download limit against a fast seeder
  torrent down    one torrent's download limit while another downloads unlimited beside it
  alternative     the alternative download limit switched on during a download (global 4 MiB/s,
                  alternative 1 MiB/s): the rate it settles at, and how long until it follows
  global up       the global upload limit; the client seeds to one aria2c leecher
  torrent up      one torrent's upload limit, no global limit
Needs aria2c, mktorrent and opentracker, and for the other clients qbittorrent-nox and
transmission-daemon (Debian packages of the same names). Takes about 5 minutes per client.
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

MIB = 1024 * 1024
KIB = 1024
CLIENT_IP = "127.0.0.1"
LEECHER_IP = "127.0.0.9"
# One payload per scenario: a client never adds the same torrent twice, so neither a seeder
# nor the tracker has to forget an earlier connection or a "stopped" announce of it
# (Transmission takes no peer on 127.0.0.0/8 from a tracker and relies on being dialled).
DOWNLOADS = ("down0.bin", "down1.bin", "down2.bin", "down3.bin", "other.bin", "alt.bin")
UPLOADS = ("up0.bin", "up1.bin", "up2.bin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(what, seconds, check):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def http(url, data=None, headers=None, method=None, timeout=30):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as res:
        return res.read()


def multipart(fields, files):
    """A multipart/form-data body: fields {name: str}, files {name: (filename, bytes)}."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: application/x-bittorrent\r\n\r\n'.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """What the scenarios need from a client. Limits are in bytes/s, 0 = unlimited."""

    label = ""
    process = None

    def effective(self, limit):
        """The limit the client really applies when told `limit` bytes/s."""
        return limit

    def stop(self):
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class CloudTorrent(Client):
    """cloud-torrent, driven through its JSON API."""

    label = "cloud-torrent"

    def __init__(self, binary, root, settings=None):
        self.port = free_port()
        self.downloads = os.path.join(root, "downloads")
        os.makedirs(self.downloads)
        config = os.path.join(root, "cloud-torrent.toml")
        with open(config, "w") as f:
            f.write(f'downloadDir = "{self.downloads}"\ndht = false\n')
            for key, value in (settings or {}).items():
                f.write(f"{key} = {json.dumps(value)}\n")
        self.log = open(os.path.join(root, "server.log"), "w")
        self.process = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", str(self.port),
             "--incoming-host", CLIENT_IP, "--incoming-port", str(free_port()),
             "--state-dir", os.path.join(root, "state"), "--config-path", config, "--disable-dht"],
            stdout=self.log, stderr=self.log)
        self.version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
        wait("cloud-torrent to start", 30, self.up)

    def up(self):
        try:
            self.call("GET", "/healthz", raw=True)
            return True
        except OSError:
            return False

    def call(self, method, path, body=None, raw=False, content_type="application/json"):
        data = None
        headers = {}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["content-type"] = content_type
        text = http(f"http://127.0.0.1:{self.port}{path}", data, headers, method)
        return text if raw else (json.loads(text) if text else None)

    def set_global(self, **limits):
        names = {"down": "downloadLimit", "up": "uploadLimit", "alt_down": "altDownloadLimit"}
        self.call("PATCH", "/api/v1/config", {names[k]: v for k, v in limits.items()})

    def alt_mode(self, on):
        self.call("PATCH", "/api/v1/config", {"altSpeed": on})

    def add(self, torrent, data_dir=None, down=0, up=0):
        query = "&".join(f"{k}={v}" for k, v in (("downloadLimit", down), ("uploadLimit", up)) if v)
        self.call("POST", "/api/v1/torrents" + (f"?{query}" if query else ""), torrent.data,
                  content_type="application/x-bittorrent")

    def counters(self, info_hash):
        t = self.call("GET", f"/api/v1/torrents/{info_hash}")
        return {"downloaded": t["downloaded"], "uploaded": t["uploaded"],
                "complete": t["progress"] == 1.0, "seeding": t["state"] == "seeding"}

    def remove(self, info_hash, delete=True):
        self.call("DELETE", f"/api/v1/torrents/{info_hash}?deleteFiles={'true' if delete else 'false'}")


class QBittorrent(Client):
    """qbittorrent-nox, driven through its Web API (v2)."""

    label = "qBittorrent"

    def __init__(self, root):
        self.port = free_port()
        self.downloads = os.path.join(root, "downloads")
        conf_dir = os.path.join(root, "qBittorrent", "config")
        os.makedirs(conf_dir)
        os.makedirs(self.downloads)
        with open(os.path.join(conf_dir, "qBittorrent.conf"), "w") as f:
            f.write(f"""[LegalNotice]
Accepted=true

[Application]
FileLogger\\Enabled=false

[BitTorrent]
Session\\AddTrackersEnabled=false
Session\\AnonymousModeEnabled=false
Session\\BTProtocol=TCP
Session\\DefaultSavePath={self.downloads}
Session\\DHTEnabled=false
Session\\Encryption=0
Session\\GlobalMaxRatio=-1
Session\\IgnoreLimitsOnLAN=false
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress={CLIENT_IP}
Session\\LSDEnabled=false
Session\\MultiConnectionsPerIp=true
Session\\PeXEnabled=false
Session\\Port={free_port()}
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
WebUI\\Enabled=true
WebUI\\Address=127.0.0.1
WebUI\\Port={self.port}
WebUI\\LocalHostAuth=false
WebUI\\CSRFProtection=false
WebUI\\ClickjackingProtection=false
WebUI\\HostHeaderValidation=false
WebUI\\UseUPnP=false
""")
        self.log = open(os.path.join(root, "qbittorrent.log"), "w")
        self.process = subprocess.Popen(["qbittorrent-nox", f"--profile={root}", f"--webui-port={self.port}"],
                                        stdout=self.log, stderr=self.log)
        wait("qBittorrent's Web API", 30, self.up)
        self.version = "qBittorrent " + self.api("app/version").decode()
        prefs = {"dht": False, "lsd": False, "pex": False, "upnp": False, "web_ui_upnp": False,
                 "bittorrent_protocol": 1, "resolve_peer_countries": False, "queueing_enabled": False,
                 "max_ratio_enabled": False, "encryption": 0, "add_trackers_enabled": False,
                 "enable_multi_connections_from_same_ip": True,
                 "limit_lan_peers": True, "limit_utp_rate": True, "limit_tcp_overhead": False,
                 "scheduler_enabled": False, "refresh_interval": 100}
        self.preferences(prefs)
        got = json.loads(self.api("app/preferences"))
        for key in ("limit_lan_peers", "refresh_interval", "dht", "lsd", "pex", "upnp"):
            if got.get(key) != prefs[key]:
                raise RuntimeError(f"qBittorrent did not take {key}={prefs[key]} (has {got.get(key)})")

    def up(self):
        try:
            self.api("app/version")
            return True
        except OSError:
            return False

    def api(self, path, form=None, body=None, content_type=None):
        data, headers = body, {}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
        if content_type:
            headers["content-type"] = content_type
        return http(f"http://127.0.0.1:{self.port}/api/v2/{path}", data, headers)

    def preferences(self, prefs):
        self.api("app/setPreferences", {"json": json.dumps(prefs)})

    def set_global(self, **limits):
        names = {"down": "dl_limit", "up": "up_limit", "alt_down": "alt_dl_limit"}
        self.preferences({names[k]: v for k, v in limits.items()})

    def alt_mode(self, on):
        if int(self.api("transfer/speedLimitsMode")) != int(on):
            self.api("transfer/toggleSpeedLimitsMode", {})
        if int(self.api("transfer/speedLimitsMode")) != int(on):
            raise RuntimeError("qBittorrent did not switch its alternative speed limits")

    def add(self, torrent, data_dir=None, down=0, up=0):
        fields = {"savepath": data_dir or self.downloads, "paused": "false", "skip_checking": "false"}
        if down:
            fields["dlLimit"] = str(down)
        if up:
            fields["upLimit"] = str(up)
        body, content_type = multipart(fields, {"torrents": (torrent.name + ".torrent", torrent.data)})
        answer = self.api("torrents/add", body=body, content_type=content_type)
        if answer.strip() != b"Ok.":
            raise RuntimeError(f"qBittorrent refused the torrent: {answer!r}")
        wait("qBittorrent to list the torrent", 10, lambda: self.info(torrent.info_hash) is not None)
        info = self.info(torrent.info_hash)
        for key, want in (("dl_limit", down), ("up_limit", up)):
            if want and info[key] != want:
                raise RuntimeError(f"qBittorrent's {key} is {info[key]}, not {want}")

    def info(self, info_hash):
        found = json.loads(self.api(f"torrents/info?hashes={info_hash}"))
        return found[0] if found else None

    def counters(self, info_hash):
        t = self.info(info_hash)
        return {"downloaded": t["downloaded"], "uploaded": t["uploaded"], "complete": t["progress"] == 1.0,
                "seeding": t["state"] in ("uploading", "stalledUP", "forcedUP", "queuedUP")}

    def remove(self, info_hash, delete=True):
        self.api("torrents/delete", {"hashes": info_hash, "deleteFiles": "true" if delete else "false"})
        wait("qBittorrent to remove the torrent", 10, lambda: self.info(info_hash) is None)


class Transmission(Client):
    """transmission-daemon, driven through its RPC."""

    label = "Transmission"

    def __init__(self, root):
        self.port = free_port()
        self.session_id = ""
        self.downloads = os.path.join(root, "downloads")
        conf_dir = os.path.join(root, "config")
        os.makedirs(conf_dir)
        os.makedirs(self.downloads)
        peer_port = free_port()
        settings = {
            "alt-speed-enabled": False, "alt-speed-time-enabled": False,
            "bind-address-ipv4": CLIENT_IP, "bind-address-ipv6": "::1", "blocklist-enabled": False,
            "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
            "port-forwarding-enabled": False, "download-dir": self.downloads,
            "download-queue-enabled": False, "seed-queue-enabled": False, "queue-stalled-enabled": False,
            "encryption": 0, "idle-seeding-limit-enabled": False, "ratio-limit-enabled": False,
            "incomplete-dir-enabled": False, "message-level": 1, "peer-port": peer_port,
            "peer-port-random-on-start": False, "preallocation": 1, "rename-partial-files": True,
            "rpc-authentication-required": False, "rpc-bind-address": "127.0.0.1", "rpc-enabled": True,
            "rpc-host-whitelist-enabled": False, "rpc-port": self.port, "rpc-whitelist": "127.0.0.1",
            "rpc-whitelist-enabled": True, "speed-limit-down-enabled": False, "speed-limit-up-enabled": False,
            "start-added-torrents": True, "watch-dir-enabled": False, "umask": 18}
        with open(os.path.join(conf_dir, "settings.json"), "w") as f:
            json.dump(settings, f, indent=1)
        self.log = open(os.path.join(root, "transmission.log"), "w")
        self.process = subprocess.Popen(
            ["transmission-daemon", "-f", "-g", conf_dir, "--no-dht", "--no-lpd", "--no-portmap", "--no-utp",
             "-P", str(peer_port), "-p", str(self.port)], stdout=self.log, stderr=self.log)
        wait("Transmission's RPC", 30, self.up)
        session = self.rpc("session-get")
        self.version = "Transmission " + session["version"]
        self.speed_bytes = session["units"]["speed-bytes"]

    def up(self):
        try:
            self.rpc("session-get")
            return True
        except OSError:
            return False

    def rpc(self, method, **arguments):
        body = json.dumps({"method": method, "arguments": arguments}).encode()
        url = f"http://127.0.0.1:{self.port}/transmission/rpc"
        for _ in range(2):
            try:
                answer = json.loads(http(url, body, {"X-Transmission-Session-Id": self.session_id,
                                                     "content-type": "application/json"}))
                break
            except urllib.error.HTTPError as e:
                if e.code != 409:
                    raise
                self.session_id = e.headers["X-Transmission-Session-Id"]
        if answer["result"] != "success":
            raise RuntimeError(f"Transmission {method}: {answer['result']}")
        return answer.get("arguments", {})

    def kbps(self, limit):
        return round(limit / self.speed_bytes)

    def effective(self, limit):
        return self.kbps(limit) * self.speed_bytes

    def set_global(self, **limits):
        args = {}
        for key, value in limits.items():
            if key == "alt_down":
                args["alt-speed-down"] = self.kbps(value)
            else:
                args[f"speed-limit-{key}"] = self.kbps(value)
                args[f"speed-limit-{key}-enabled"] = value > 0
        self.rpc("session-set", **args)

    def alt_mode(self, on):
        self.rpc("session-set", **{"alt-speed-enabled": on})

    def add(self, torrent, data_dir=None, down=0, up=0):
        self.rpc("torrent-add", metainfo=base64.b64encode(torrent.data).decode(),
                 **{"download-dir": data_dir or self.downloads})
        limits = {}
        if down:
            limits.update(downloadLimit=self.kbps(down), downloadLimited=True)
        if up:
            limits.update(uploadLimit=self.kbps(up), uploadLimited=True)
        if limits:
            self.rpc("torrent-set", ids=[torrent.info_hash], **limits)
        if data_dir:
            # the payload is already there: have it checked rather than wait for a later look
            self.rpc("torrent-verify", ids=[torrent.info_hash])

    def get(self, info_hash):
        found = self.rpc("torrent-get", ids=[info_hash],
                         fields=["downloadedEver", "uploadedEver", "percentDone", "status"])["torrents"]
        return found[0] if found else None

    def counters(self, info_hash):
        t = self.get(info_hash)
        return {"downloaded": t["downloadedEver"], "uploaded": t["uploadedEver"],
                "complete": t["percentDone"] == 1.0, "seeding": t["status"] == 6}

    def remove(self, info_hash, delete=True):
        self.rpc("torrent-remove", ids=[info_hash], **{"delete-local-data": delete})
        wait("Transmission to remove the torrent", 10, lambda: self.get(info_hash) is None)


class Torrent:
    def __init__(self, payload, out, announce):
        self.name = os.path.basename(payload)
        self.path = out
        self.size = os.path.getsize(payload)
        subprocess.run(["mktorrent", "-l", "18", "-a", announce, "-o", out, payload],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out, "rb") as f:
            self.data = f.read()
        info = self.data[self.data.index(b"4:info") + 6:-1]
        self.info_hash = hashlib.sha1(info).hexdigest()


def aria2c(torrent, data_dir, ip, seed):
    args = ["aria2c", "--no-conf", "--enable-dht=false", "--enable-dht6=false",
            "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
            "--bt-tracker-interval=1", "--console-log-level=warn", "--summary-interval=0",
            f"--listen-port={free_port()}", f"--interface={ip}", f"--dir={data_dir}",
            "--seed-ratio=0.0", "--allow-overwrite=true"]
    if seed:
        args.append("--check-integrity=true")
    return subprocess.Popen(args + [torrent.path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def counter_edge(read):
    """(time, value) just after the counter changes (read every 20 ms, at most 5 s)."""
    first = read()
    deadline = time.time() + 5
    while time.time() < deadline:
        before = time.time()
        value = read()
        if value != first:
            return (before + time.time()) / 2, value
        time.sleep(0.02)
    raise RuntimeError("the counter did not move for 5 s")


def rate(client, info_hash, counter, seconds):
    def read():
        return client.counters(info_hash)[counter]
    t0, v0 = counter_edge(read)
    time.sleep(seconds)
    try:
        t1, v1 = counter_edge(read)
    except RuntimeError:
        if client.counters(info_hash)["complete"] and counter == "downloaded":
            raise RuntimeError("the download completed before the window ended")
        raise
    return (v1 - v0) / (t1 - t0)


def non_loopback_sockets(pids):
    """Sockets of these processes whose local or remote address is not loopback (or a wildcard
    peer of a listening socket), as `ss` shows them. A socket bound to the loopback device
    (`*%lo`) counts as loopback: it can only reach 127.0.0.0/8 and ::1."""
    out = subprocess.run(["ss", "-Htuanp"], capture_output=True, text=True).stdout
    bad = []
    for line in out.splitlines():
        if not any(f"pid={p}," in line for p in pids):
            continue
        fields = line.split()
        local, peer = fields[4], fields[5]
        loop = ("127.", "[::1]", "[::ffff:127.")
        local_ok = local.startswith(loop) or "%lo:" in local
        if not local_ok or not (peer.startswith(loop) or peer in ("*:*", "0.0.0.0:*", "[::]:*")):
            bad.append(" ".join(fields))
    return bad


class Run:
    """The scenarios for one client, its rows and notes."""

    def __init__(self, client, torrents, seeds, root, window, watch):
        self.client, self.torrents, self.seeds, self.root = client, torrents, seeds, root
        self.window, self.watch = window, watch
        self.rows, self.notes = {}, []

    def record(self, key, limit, scenario):
        try:
            self.rows[key] = ("ok", self.client.effective(limit), scenario())
        except NotImplementedError:
            self.rows[key] = ("n/a", limit, None)
        except Exception as e:  # one broken scenario should not hide the others
            self.rows[key] = ("failed", limit, None)
            self.notes.append(f"{key[0]} {limit // KIB} KiB/s failed: {e}")
        self.watch()

    def download(self, name, down=0):
        c, t = self.client, self.torrents[name]
        c.add(t, down=down)
        wait(f"{name} to start", 60, lambda: c.counters(t.info_hash)["downloaded"] > 0)
        time.sleep(3)
        measured = rate(c, t.info_hash, "downloaded", self.window)
        c.remove(t.info_hash)
        return measured

    def all(self):
        c = self.client
        for i, limit in enumerate((256 * KIB, 1 * MIB, 4 * MIB)):
            c.set_global(down=limit)
            self.record(("global download", limit), limit, lambda: self.download(f"down{i}.bin"))
        c.set_global(down=0)
        self.record(("torrent download (another unlimited beside it)", MIB), MIB, self.torrent_download)
        self.record(("alternative download (switched on mid-download)", MIB), MIB, self.alternative)
        c.alt_mode(False)
        c.set_global(down=0)
        for i, limit in enumerate((256 * KIB, 1 * MIB)):
            c.set_global(up=limit)
            self.record(("global upload", limit), limit, lambda: self.upload(f"up{i}.bin"))
        c.set_global(up=0)
        self.record(("torrent upload", MIB), MIB, lambda: self.upload("up2.bin", up=MIB))

    def torrent_download(self):
        c, other = self.client, self.torrents["other.bin"]
        added = time.time()
        c.add(other)
        finished = []

        def watch_other():
            while time.time() - added < 180:
                try:
                    if c.counters(other.info_hash)["complete"]:
                        finished.append(time.time())
                        return
                except Exception:
                    pass
                time.sleep(0.1)
        watcher = threading.Thread(target=watch_other)
        watcher.start()
        measured = self.download("down3.bin", down=MIB)
        watcher.join()
        if finished:
            self.notes.append(f"the unlimited torrent beside the limited one: {other.size / MIB:.0f} MiB in "
                              f"{finished[0] - added:.1f} s from its add ({other.size / MIB / (finished[0] - added):.1f} MiB/s)")
        else:
            self.notes.append("the unlimited torrent beside the limited one did not complete within 180 s")
        c.remove(other.info_hash)
        return measured

    def alternative(self):
        c, t = self.client, self.torrents["alt.bin"]
        c.set_global(down=4 * MIB, alt_down=1 * MIB)
        c.add(t)
        wait("alt.bin to start", 60, lambda: c.counters(t.info_hash)["downloaded"] > 0)
        time.sleep(3)
        switched = time.time()
        c.alt_mode(True)
        samples = []
        while time.time() - switched < 8:
            samples.append((time.time(), c.counters(t.info_hash)["downloaded"]))
            time.sleep(0.1)
        follow = None
        alt = c.effective(MIB)
        for i, (at, done) in enumerate(samples):
            later = [s for s in samples[i:] if s[0] - at >= 1.0]
            if later and (later[0][1] - done) / (later[0][0] - at) <= 1.2 * alt:
                follow = at - switched
                break
        self.notes.append(f"the alternative limit showed in the measured rate {follow:.2f} s after the switch"
                          if follow is not None else "the alternative limit did not show within 8 s")
        measured = rate(c, t.info_hash, "downloaded", self.window)
        c.remove(t.info_hash)
        return measured

    def upload(self, name, up=0):
        c, t = self.client, self.torrents[name]
        seed_dir = os.path.join(self.root, "seed")
        if not os.path.exists(os.path.join(seed_dir, t.name)):
            os.makedirs(seed_dir, exist_ok=True)
            shutil.copy(os.path.join(self.seeds, t.name), seed_dir)
        if isinstance(c, CloudTorrent):
            # cloud-torrent keeps every torrent in its download folder
            shutil.copy(os.path.join(seed_dir, t.name), c.downloads)
            data_dir = None
        else:
            data_dir = seed_dir
        c.add(t, data_dir=data_dir, up=up)
        wait(f"{t.name} to seed", 120, lambda: c.counters(t.info_hash)["seeding"])
        leech_dir = tempfile.mkdtemp(prefix="leech-", dir=self.root)
        leecher = aria2c(t, leech_dir, LEECHER_IP, False)
        try:
            wait("the leecher to start", 60, lambda: c.counters(t.info_hash)["uploaded"] > 0)
            time.sleep(3)
            return rate(c, t.info_hash, "uploaded", self.window)
        finally:
            leecher.terminate()
            leecher.wait()
            shutil.rmtree(leech_dir, ignore_errors=True)
            c.remove(t.info_hash, delete=False)


def start_client(name, binary, root):
    if name == "cloud-torrent":
        return CloudTorrent(binary, root)
    if name == "qbittorrent":
        return QBittorrent(root)
    if name == "transmission":
        return Transmission(root)
    raise SystemExit(f"unknown client {name} (cloud-torrent, qbittorrent, transmission)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.path.join(here, "..", "target", "release", "cloud-torrent"))
    parser.add_argument("--seconds", type=float, default=20.0, help="the measuring window")
    parser.add_argument("--clients", default="cloud-torrent,qbittorrent,transmission",
                        help="comma-separated, measured in this order")
    args = parser.parse_args()
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    tools = {"aria2c", "mktorrent", "opentracker"}
    tools |= {"qbittorrent-nox"} if "qbittorrent" in clients else set()
    tools |= {"transmission-daemon"} if "transmission" in clients else set()
    for tool in sorted(tools):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing (apt-get install {tool})")
    root = tempfile.mkdtemp(prefix="ct-limits-")
    tracker_port = free_port()
    children = []
    runs = []
    flagged = []
    try:
        # Payloads big enough that nothing limited finishes within a window.
        torrents = {}
        seeds = os.path.join(root, "seeds")
        os.makedirs(seeds)
        for i, name in enumerate(DOWNLOADS + UPLOADS):
            size = (192 if name == "down2.bin" else 96) * MIB + 7 + i  # down2: 4 MiB/s
            with open(os.path.join(seeds, name), "wb") as f:
                f.write(os.urandom(size))
            torrents[name] = Torrent(os.path.join(seeds, name), os.path.join(root, name + ".torrent"),
                                     f"http://127.0.0.1:{tracker_port}/announce")
        tracker_dir = os.path.join(root, "tracker")
        os.makedirs(tracker_dir)
        with open(os.path.join(tracker_dir, "whitelist.txt"), "w") as f:
            f.write("".join(t.info_hash + "\n" for t in torrents.values()))
        os.chmod(tracker_dir, 0o755)
        children.append(subprocess.Popen(
            ["opentracker", "-i", "127.0.0.1", "-p", str(tracker_port), "-P", str(tracker_port),
             "-d", tracker_dir, "-w", "whitelist.txt"], cwd=tracker_dir,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # an aria2c seeder for each download; the upload payloads are seeded by the client under test only
        for i, name in enumerate(DOWNLOADS):
            children.append(aria2c(torrents[name], seeds, f"127.0.0.{2 + i}", True))
        time.sleep(5)
        for name in clients:
            client_root = os.path.join(root, name)
            os.makedirs(client_root)
            print(f"[limits] {name}", file=sys.stderr)
            client = start_client(name, args.binary, client_root)

            def watch(client=client):
                bad = non_loopback_sockets([client.process.pid] + [c.pid for c in children])
                flagged.extend(f"{client.label}: {line}" for line in bad if f"{client.label}: {line}" not in flagged)
            run = Run(client, torrents, seeds, client_root, args.seconds, watch)
            try:
                run.all()
            finally:
                client.stop()
            runs.append(run)
            for key, (status, limit, measured) in run.rows.items():
                shown = f"{measured / KIB:.0f} KiB/s" if measured is not None else status
                print(f"[limits] {name}: {key[0]} {key[1] // KIB} KiB/s -> {shown}", file=sys.stderr)
    finally:
        for child in children:
            child.kill()
        shutil.rmtree(root, ignore_errors=True)

    print(f"window {args.seconds:.0f} s after a 3 s warm-up; " +
          "; ".join(r.client.version for r in runs) + "\n")
    print("| scenario | set (KiB/s) | " + " | ".join(f"{r.client.label} (KiB/s) | error" for r in runs) + " |")
    print("| --- | --- |" + " --- | --- |" * len(runs))
    for key in runs[0].rows:
        cells = []
        for r in runs:
            status, limit, measured = r.rows.get(key, ("n/a", key[1], None))
            if status == "ok":
                cells += [f"{measured / KIB:.0f}", f"{100 * (measured - limit) / limit:+.1f} %"]
            else:
                cells += [status, ""]
        print(f"| {key[0]} | {key[1] / KIB:.0f} | " + " | ".join(cells) + " |")
    print()
    for r in runs:
        for note in r.notes:
            print(f"- {r.client.label}: {note}")
        adjusted = {limit for status, limit, _ in r.rows.values() if status == "ok"} - {k[1] for k in r.rows}
        if adjusted:
            print(f"- {r.client.label}: errors against the limits it was given: "
                  + ", ".join(f"{limit} B/s" for limit in sorted(adjusted)))
    print("- sockets off loopback: " + ("none seen" if not flagged else "\n    " + "\n    ".join(flagged)))


if __name__ == "__main__":
    sys.exit(main())
