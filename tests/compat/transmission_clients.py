#!/usr/bin/env python3
"""Real Transmission clients against the real binary: `transmission-rpc` (PyPI) and
`transmission-remote` (Debian's transmission-cli), plus a replay of Sonarr's requests.

Starts two servers on 127.0.0.1, each in its own temporary folder with DHT off: a
seeder (no login) that seeds the payloads, and the server under test with a login
(`--auth`), which downloads from the seeder through magnets that name it (`x.pe=`).
Nothing leaves loopback. Each client runs the smoke sequence of the compatibility brief
(§2.11, §4): connect and read the session, add by magnet and by .torrent into a folder
with a label, see the torrent listed at once, download to completion with the right
sha256, a seed ratio that stops it, stop and start, remove with and without its data.

Usage: transmission_clients.py BINARY  (with transmission-rpc importable and
transmission-remote on PATH; scripts/compat-check.sh sets that up).
"""

import base64
import hashlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import transmission_rpc

USER, PASSWORD = "sonarr", "s3cret pass"
PIECE_LENGTH = 256 * 1024
TIMEOUT_SECS = 90
SONARR_FIELDS = [
    "id", "hashString", "name", "downloadDir", "totalSize", "leftUntilDone", "isFinished", "eta",
    "status", "secondsDownloading", "secondsSeeding", "errorString", "uploadedEver",
    "downloadedEver", "seedRatioLimit", "seedRatioMode", "seedIdleLimit", "seedIdleMode",
    "fileCount", "file-count", "labels",
]


def no_proxy_env() -> dict[str, str]:
    """This environment without proxy settings: every request stays on loopback."""
    return {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bencode(value) -> bytes:
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, dict):
        items = sorted((k.encode(), v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(type(value))


class Payload:
    """A single file of known bytes and its .torrent (no trackers)."""

    def __init__(self, name: str, size: int, seed: int):
        self.name = name
        self.data = random.Random(seed).randbytes(size)
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        pieces = b"".join(
            hashlib.sha1(self.data[i:i + PIECE_LENGTH]).digest()
            for i in range(0, len(self.data), PIECE_LENGTH)
        )
        info = {"length": size, "name": name, "piece length": PIECE_LENGTH, "pieces": pieces}
        self.info_hash = hashlib.sha1(bencode(info)).hexdigest()
        self.torrent = bencode({"info": info})

    def write_to(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.name
        path.write_bytes(self.data)
        return path

    def magnet(self, peer_port: int) -> str:
        return f"magnet:?xt=urn:btih:{self.info_hash}&dn={self.name}&x.pe=127.0.0.1:{peer_port}"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_until(what: str, check, timeout: float = TIMEOUT_SECS):
    """Polls `check` until it returns something true; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


class Server:
    """The binary on 127.0.0.1 in a folder of its own."""

    def __init__(self, binary: str, workdir: Path, auth: bool):
        self.port = free_port()
        self.incoming_port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.downloads = workdir / "downloads"
        self.downloads.mkdir(parents=True, exist_ok=True)
        self.auth = auth
        args = [
            binary,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--config-path", str(workdir / "cloud-torrent.toml"),
            "--download-dir", str(self.downloads),
            "--state-dir", str(workdir / "state"),
            "--incoming-host", "127.0.0.1",
            "--incoming-port", str(self.incoming_port),
            "--disable-dht",
        ]
        args += ["--auth", f"{USER}:{PASSWORD}"] if auth else ["--no-auth"]
        self.log_path = workdir / "server.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=no_proxy_env(),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not answer /healthz within 60 s")

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def seed(self, payload: Payload) -> None:
        """Adds a payload whose data is in its download folder and waits until it seeds."""
        payload.write_to(self.downloads)
        request = urllib.request.Request(
            f"{self.base}/api/v1/torrents", data=payload.torrent, method="POST",
            headers={"Content-Type": "application/x-bittorrent"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

        def seeding():
            with urllib.request.urlopen(f"{self.base}/api/v1/torrents/{payload.info_hash}", timeout=10) as r:
                return json.load(r)["state"] == "seeding"

        wait_until(f"the seeder to seed {payload.name}", seeding)


def check_transmission_rpc(server: Server, seeder: Server, episode: Payload, film: Payload) -> None:
    """transmission-rpc's sequence (brief §4)."""
    try:
        transmission_rpc.Client(host="127.0.0.1", port=server.port, username=USER, password="wrong")
        raise AssertionError("a wrong password was accepted")
    except transmission_rpc.TransmissionAuthError:
        pass
    client = transmission_rpc.Client(host="127.0.0.1", port=server.port, username=USER, password=PASSWORD)
    session = client.get_session()
    expect(session.version.startswith("4.0.6 ("), f"version {session.version}")
    expect(session.rpc_version == 17, f"rpc-version {session.rpc_version}")
    expect(Path(session.download_dir).resolve() == server.downloads.resolve(), session.download_dir)

    # A magnet, stopped, into a label's folder: listed at once.
    folder = server.downloads / "tv-sonarr"
    added = client.add_torrent(
        episode.magnet(seeder.incoming_port), paused=True, labels=["tv-sonarr"], download_dir=str(folder),
    )
    expect(added.hash_string == episode.info_hash, f"added {added.fields}")
    listed = {t.hash_string: t for t in client.get_torrents()}
    expect(episode.info_hash in listed, f"not listed: {list(listed)}")
    t = client.get_torrent(episode.info_hash)
    expect(t.status.stopped, f"status {t.status}")
    expect(t.labels == ["tv-sonarr"], f"labels {t.labels}")

    # Started: downloaded from the seeder, to downloadDir/name.
    client.start_torrent(added.id)
    t = wait_until(
        "the magnet to download",
        lambda: (lambda t: t if t.total_size > 0 and t.left_until_done == 0 and t.percent_done == 1.0 else None)(
            client.get_torrent(added.id)
        ),
    )
    expect(Path(t.download_dir).resolve() == folder.resolve(), t.download_dir)
    expect(sha256_of(Path(t.download_dir) / t.name) == episode.sha256, "sha256 of the download")

    # A seed ratio of its own: it stops there, finished.
    client.change_torrent(added.id, seed_ratio_limit=0.0, seed_ratio_mode=1)
    wait_until("the ratio to stop it", lambda: (lambda t: t.status.stopped and t.is_finished)(client.get_torrent(added.id)))
    # Unlimited: it seeds once started; stop and start.
    client.change_torrent(added.id, seed_ratio_mode=2)
    client.start_torrent(added.id)
    wait_until("seeding", lambda: client.get_torrent(added.id).status.seeding)
    client.stop_torrent(added.id)
    wait_until("stopped", lambda: client.get_torrent(added.id).status.stopped)
    client.start_torrent(added.id)
    wait_until("seeding again", lambda: client.get_torrent(added.id).status.seeding)
    client.change_torrent(added.id, labels=["tv-sonarr", "imported"])
    expect(sorted(client.get_torrent(added.id).labels) == ["imported", "tv-sonarr"], "labels changed")

    # A .torrent file whose data is already in place: it seeds, then goes with its data.
    movies = server.downloads / "movies"
    on_disk = film.write_to(movies)
    added_film = client.add_torrent(film.torrent, download_dir=str(movies), labels=["radarr"])
    expect(added_film.hash_string == film.info_hash, f"added {added_film.fields}")
    wait_until("the film to seed", lambda: client.get_torrent(added_film.id).status.seeding)
    duplicate = client.add_torrent(film.torrent)
    expect(duplicate.id == added_film.id, "a duplicate has the same id")
    client.remove_torrent(added_film.id, delete_data=True)
    wait_until("the film's data to go", lambda: not on_disk.exists())

    stats = client.session_stats()
    expect(stats.torrent_count == 1, f"torrentCount {stats.torrent_count}")
    free = client.free_space(str(server.downloads))
    expect(free is not None and free > 0, f"free-space {free}")
    client.port_test()

    # Removed, keeping the data.
    client.remove_torrent(added.id, delete_data=False)
    expect(client.get_torrents() == [], "nothing left")
    expect(sha256_of(folder / episode.name) == episode.sha256, "the data stays")
    print("transmission-rpc: ok")


def remote(server: Server, *args: str, credentials: str = f"{USER}:{PASSWORD}") -> subprocess.CompletedProcess:
    return subprocess.run(
        # host:port as users give it; transmission-remote 3.00 then posts to /transmission/rpc/.
        ["transmission-remote", f"127.0.0.1:{server.port}", "-n", credentials, *args],
        capture_output=True, text=True, timeout=60, env=no_proxy_env(),
    )


def remote_ok(server: Server, *args: str) -> str:
    done = remote(server, *args)
    expect(done.returncode == 0, f"transmission-remote {' '.join(args)}: {done.returncode}\n{done.stdout}{done.stderr}")
    return done.stdout


def listed_row(server: Server, name: str) -> list[str] | None:
    """The row of `-l` for the torrent `name`, split in columns (ID first), if listed."""
    for line in remote_ok(server, "-l").splitlines():
        if line.rstrip().endswith(name):
            return line.split()
    return None


def check_transmission_remote(server: Server, seeder: Server, show: Payload, album: Payload) -> None:
    """transmission-remote's sequence (brief §4): -si, -a, -l, -S, -s, -i, -r."""
    expect(remote(server, "-si", credentials=f"{USER}:wrong").returncode != 0, "a wrong password was accepted")
    info = remote_ok(server, "-si")
    expect("RPC version: 17" in info, info)
    expect("4.0.6" in info, info)

    # A magnet into a folder: listed, downloaded with the right bytes.
    folder = server.downloads / "remote"
    out = remote_ok(server, "-a", show.magnet(seeder.incoming_port), "-w", str(folder))
    expect("success" in out, out)
    expect(listed_row(server, show.name) is not None, "the magnet is listed at once")
    row = wait_until("the magnet to download", lambda: (lambda r: r if r and r[1] == "100%" else None)(listed_row(server, show.name)))
    show_id = row[0].rstrip("*")
    expect(sha256_of(folder / show.name) == show.sha256, "sha256 of the download")

    # A .torrent file whose data is in place.
    album_folder = server.downloads / "music"
    on_disk = album.write_to(album_folder)
    with tempfile.NamedTemporaryFile(suffix=".torrent") as torrent_file:
        torrent_file.write(album.torrent)
        torrent_file.flush()
        out = remote_ok(server, "-a", torrent_file.name, "-w", str(album_folder))
    expect("success" in out, out)
    row = wait_until("the album to be verified", lambda: (lambda r: r if r and r[1] == "100%" else None)(listed_row(server, album.name)))
    album_id = row[0].rstrip("*")

    # Stop and start.
    remote_ok(server, "-t", show_id, "-S")
    wait_until("stopped", lambda: "Stopped" in (listed_row(server, show.name) or []))
    remote_ok(server, "-t", show_id, "-s")
    wait_until("running", lambda: "Stopped" not in (listed_row(server, show.name) or ["Stopped"]))
    details = remote_ok(server, "-t", show_id, "-i")
    expect(f"Hash: {show.info_hash}" in details, details)
    expect("Location: " + str(folder) in details, details)
    stats = remote_ok(server, "-st")
    expect("TOTAL" in stats or "CURRENT SESSION" in stats, stats)
    remote_ok(server, "-pt")

    # Removed with and without the data.
    remote_ok(server, "-t", show_id, "-r")
    wait_until("the show to go", lambda: listed_row(server, show.name) is None)
    expect(sha256_of(folder / show.name) == show.sha256, "the data stays")
    remote_ok(server, "-t", album_id, "--remove-and-delete")
    wait_until("the album and its data to go", lambda: listed_row(server, album.name) is None and not on_disk.exists())
    print("transmission-remote: ok")


class Sonarr:
    """Sonarr's Transmission client as it talks: a GET handshake with preemptive Basic
    auth, then POSTs of JSON with the cached session id (brief §2.1, §2.11)."""

    def __init__(self, server: Server):
        self.url = f"{server.base}/transmission/rpc"
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.auth = f"Basic {token}"
        self.session_id = None
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def handshake(self) -> None:
        request = urllib.request.Request(self.url, headers={"Authorization": self.auth})
        try:
            self.opener.open(request, timeout=10)
            raise AssertionError("the handshake GET must be a 409")
        except urllib.error.HTTPError as e:
            expect(e.code == 409, f"handshake: {e.code}")
            self.session_id = e.headers["X-Transmission-Session-Id"]
            expect(bool(self.session_id), "the 409 carries the session id")

    def call(self, method: str, arguments: dict | None = None) -> dict:
        body = {"method": method}
        if arguments is not None:
            body["arguments"] = arguments
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": self.auth, "Content-Type": "application/json",
                     "X-Transmission-Session-Id": self.session_id},
        )
        with self.opener.open(request, timeout=10) as response:
            answer = json.load(response)
        expect(answer.get("result") == "success", f"{method}: {answer}")
        expect(isinstance(answer.get("arguments"), dict), f"{method}: {answer}")
        return answer["arguments"]


def check_sonarr_replay(server: Server, seeder: Server, payload: Payload) -> None:
    """Test, grab, poll, import and remove, as Sonarr sends them."""
    sonarr = Sonarr(server)
    sonarr.handshake()
    session = sonarr.call("session-get")
    version = re.search(r"(?<!\()\b(\d+\.\d+)", session["version"]).group(1)
    expect(tuple(map(int, version.split("."))) >= (4, 0), f"version {session['version']}")
    sonarr.call("torrent-get", {"fields": SONARR_FIELDS})
    download_dir = session["download-dir"].rstrip("/") + "/tv-sonarr"
    added = sonarr.call("torrent-add", {
        "filename": payload.magnet(seeder.incoming_port), "paused": False,
        "download-dir": download_dir, "labels": ["tv-sonarr"],
    })["torrent-added"]
    ids = [added["hashString"]]
    sonarr.call("torrent-set", {"ids": ids, "seedRatioLimit": 1.0, "seedRatioMode": 1,
                                "seedIdleLimit": 60, "seedIdleMode": 1})
    sonarr.call("queue-move-top", {"ids": ids})

    def completed():
        (t,) = sonarr.call("torrent-get", {"fields": SONARR_FIELDS})["torrents"]
        return t if t["totalSize"] > 0 and t["leftUntilDone"] == 0 and t["status"] in (0, 5, 6) else None

    t = wait_until("Sonarr's download to complete", completed)
    expect(t["errorString"] == "", f"{t}")
    expect(t["labels"] == ["tv-sonarr"], f"{t}")
    expect((t["seedRatioMode"], t["seedRatioLimit"]) == (1, 1.0), f"{t}")
    output = Path(t["downloadDir"]) / t["name"].replace(":", "_")
    expect(sha256_of(output) == payload.sha256, "Sonarr's output path holds the download")
    sonarr.call("torrent-get", {"ids": ids, "fields": SONARR_FIELDS})
    sonarr.call("torrent-set", {"ids": ids, "labels": ["tv-sonarr", "imported"]})
    sonarr.call("torrent-remove", {"ids": ids, "delete-local-data": True})
    wait_until("the data to go", lambda: not output.exists())
    print("Sonarr replay: ok")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    if shutil.which("transmission-remote") is None:
        print("transmission-remote is missing (apt-get install transmission-cli)", file=sys.stderr)
        return 2
    payloads = {
        "episode": Payload("episode.mkv", 3 * 1024 * 1024 + 17, 1),
        "film": Payload("film.mkv", 1024 * 1024 + 5, 2),
        "show": Payload("show.mkv", 2 * 1024 * 1024 + 3, 3),
        "album": Payload("album.flac", 700 * 1024 + 1, 4),
        "sonarr": Payload("Series.S01E01.Pilot.mkv", 1024 * 1024 + 9, 5),
    }
    with tempfile.TemporaryDirectory(prefix="transmission-clients-") as tmp:
        work = Path(tmp)
        seeder = Server(binary, work / "seeder", auth=False)
        server = None
        try:
            for name in ("episode", "show", "sonarr"):
                seeder.seed(payloads[name])
            server = Server(binary, work / "server", auth=True)
            check_transmission_rpc(server, seeder, payloads["episode"], payloads["film"])
            check_transmission_remote(server, seeder, payloads["show"], payloads["album"])
            check_sonarr_replay(server, seeder, payloads["sonarr"])
        except BaseException:
            for which in (seeder, server):
                if which is not None:
                    print(f"--- log of the server on port {which.port}:\n{which.log_text()[-20000:]}", file=sys.stderr)
            raise
        finally:
            seeder.stop()
            if server is not None:
                server.stop()
    print("transmission clients: all ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
