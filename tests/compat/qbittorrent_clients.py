#!/usr/bin/env python3
"""qBittorrent's Web API driven by `qbittorrent-api` (PyPI), the library most scripts use,
against the real binary with a login, on loopback only.

The payload is seeded by aria2c and found through opentracker (both from Debian), as in
tests/it/interop.rs. The script logs in, checks the versions and preferences, makes a
category, adds the .torrent (uploaded) stopped into it with tags, sees it at once,
starts it, waits until it is complete and checks its file's sha256, follows the
transfer with `sync/maindata` (full first, then deltas) and the torrent's peers with
`sync/torrentPeers`, renames it, sets share limits and sees the torrent stop at its
ratio, sets speed limits (its own, then the global ones) and deletes it with its data;
a magnet added by URL is stopped, started and deleted without its data.

Usage: qbittorrent_clients.py BINARY
"""

import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import qbittorrentapi

USER, PASSWORD = "scripts", "a long password"
TIMEOUT = 120


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait(what: str, check, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def main() -> int:
    binary = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory(prefix="ct-qbt-") as tmp:
        root = Path(tmp)
        downloads, data, state = root / "downloads", root / "data", root / "state"
        for d in (downloads, data, state):
            d.mkdir()
        payload = data / "episode.mkv"
        payload.write_bytes(os.urandom(3 * 1024 * 1024 + 123))
        want_sha = hashlib.sha256(payload.read_bytes()).hexdigest()

        tracker_port = free_port()
        announce = f"http://127.0.0.1:{tracker_port}/announce"
        torrent = root / "episode.torrent"
        subprocess.run(["mktorrent", "-l", "18", "-a", announce, "-o", str(torrent), str(payload)],
                       check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root)}
        server = subprocess.Popen(
            [str(binary), "--host", "127.0.0.1", "--port", str(port), "--download-dir", str(downloads),
             "--state-dir", str(state), "--disable-dht", "--incoming-host", "127.0.0.1",
             "--incoming-port", str(free_port()), "--auth", f"{USER}:{PASSWORD}"],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=open(root / "server.log", "w"))
        helpers = []
        try:
            client = qbittorrentapi.Client(host=f"http://127.0.0.1:{port}", username=USER,
                                           password=PASSWORD, REQUESTS_ARGS={"timeout": 20})
            wait("the server", lambda: _answers(port), 30)
            run(client, torrent, payload, downloads, want_sha, helpers, root, tracker_port)
        except Exception:
            for log in ("server.log", "opentracker.log", "aria2.log"):
                if (root / log).exists():
                    sys.stderr.write(f"--- {log}\n" + (root / log).read_text()[-3000:])
            raise
        finally:
            for p in helpers + [server]:
                p.terminate()
                p.wait(10)
    print("qbittorrent-api: all checks passed")
    return 0


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def run(client, torrent, payload, downloads, want_sha, helpers, root, tracker_port):
    # Wrong password: the library raises its login error.
    bad = qbittorrentapi.Client(host=client.host, port=client.port, username=USER, password="wrong")
    try:
        bad.auth_log_in()
        raise AssertionError("a wrong password was accepted")
    except qbittorrentapi.LoginFailed:
        pass
    client.auth_log_in()
    assert client.is_logged_in
    assert client.app.version == "v5.1.4", client.app.version
    assert client.app.web_api_version == "2.11.4", client.app.web_api_version
    prefs = client.app.preferences
    assert prefs["save_path"] == str(downloads.resolve()), prefs["save_path"]
    assert prefs["queueing_enabled"] is False and prefs["dht"] is False

    client.torrents_create_category(name="tv-sonarr")
    assert "tv-sonarr" in client.torrents_categories()

    info_hash = _info_hash(torrent.read_bytes())
    # The seeder and the tracker.
    whitelist = root / "whitelist.txt"
    whitelist.write_text(info_hash + "\n")
    # opentracker chroots into the folder and drops root: it must be able to read it.
    root.chmod(0o755)
    whitelist.chmod(0o644)
    helpers.append(subprocess.Popen(
        ["opentracker", "-i", "127.0.0.1", "-p", str(tracker_port), "-P", str(tracker_port),
         "-d", str(root), "-w", "whitelist.txt"], cwd=root,
        stdout=subprocess.DEVNULL, stderr=open(root / "opentracker.log", "w")))
    helpers.append(subprocess.Popen(
        ["aria2c", "--no-conf", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
         "--enable-peer-exchange=false", "--disable-ipv6=true", "--check-integrity=true",
         "--seed-ratio=0.0", "--bt-tracker-interval=1", "--console-log-level=warn",
         "--summary-interval=0", f"--listen-port={free_port('127.0.0.2')}", "--interface=127.0.0.2",
         f"--dir={payload.parent}", str(torrent)],
        stdout=open(root / "aria2.log", "w"), stderr=subprocess.STDOUT))
    # The tracker tells a peer to come back in half an hour: aria2 must be known to it
    # before we announce.
    scrape = (f"http://127.0.0.1:{tracker_port}/scrape?info_hash="
              + urllib.parse.quote_from_bytes(bytes.fromhex(info_hash)))
    wait("aria2 to announce itself as a seeder", lambda: _seeded(scrape), 30)

    first = client.sync_maindata(rid=0)
    assert first.get("full_update") is True
    answer = client.torrents_add(torrent_files=str(torrent), category="tv-sonarr", is_stopped=True,
                                 tags=["scripts", "tv"])
    assert answer == "Ok.", answer
    listed = client.torrents_info(category="tv-sonarr")
    assert [t.hash for t in listed] == [info_hash], listed
    assert listed[0].state == "stoppedDL", listed[0].state
    assert listed[0].tags == "scripts, tv", listed[0].tags
    assert client.torrents_info(status_filter="stopped")[0].hash == info_hash

    delta = client.sync_maindata(rid=first.rid)
    assert "full_update" not in delta, delta
    assert info_hash in delta["torrents"]

    client.torrents_start(torrent_hashes=info_hash)
    try:
        done = wait("the download", lambda: _complete(client, info_hash))
    except AssertionError:
        t = client.torrents_info(torrent_hashes=info_hash)[0]
        raise AssertionError(f"not complete: state {t.state}, progress {t.progress}, peers {t.num_seeds}")
    content = Path(done.content_path)
    assert content == downloads.resolve() / "tv-sonarr" / "episode.mkv", content
    assert done.save_path != done.content_path
    assert hashlib.sha256(content.read_bytes()).hexdigest() == want_sha
    # The torrent's peers: everything first, then what changed; an unknown torrent is a 404.
    peers = client.sync_torrent_peers(torrent_hash=info_hash, rid=0)
    assert peers.get("full_update") is True, peers
    assert isinstance(peers.get("peers"), dict), peers
    for address, peer in peers["peers"].items():
        assert address == f"{peer['ip']}:{peer['port']}", (address, peer)
        assert peer["connection"] in ("BT", "μTP"), peer
    again = client.sync_torrent_peers(torrent_hash=info_hash, rid=peers.rid)
    assert "full_update" not in again and again.rid > peers.rid, again
    try:
        client.sync_torrent_peers(torrent_hash="ab" * 20)
        raise AssertionError("the peers of an unknown torrent were listed")
    except qbittorrentapi.NotFound404Error:
        pass
    # A delta over the download carries only changed fields.
    later = client.sync_maindata(rid=delta.rid)
    assert "full_update" not in later
    changed = later.get("torrents", {}).get(info_hash, {})
    assert "name" not in changed and "category" not in changed, changed
    # A name of its own: shown everywhere, its file left where it is; an empty one is refused.
    client.torrents_rename(torrent_hash=info_hash, new_torrent_name="Episode 1")
    renamed = client.torrents_info(torrent_hashes=info_hash)[0]
    assert renamed.name == "Episode 1", renamed.name
    assert Path(renamed.content_path) == content, renamed.content_path
    try:
        client.torrents_rename(torrent_hash=info_hash, new_torrent_name=" ")
        raise AssertionError("an empty name was taken")
    except qbittorrentapi.Conflict409Error:
        pass
    assert client.torrents_info(torrent_hashes=info_hash)[0].name == "Episode 1"

    client.torrents_set_share_limits(ratio_limit=0, seeding_time_limit=-2,
                                     inactive_seeding_time_limit=-2, torrent_hashes=info_hash)
    wait("the torrent to stop at its ratio",
         lambda: client.torrents_info(torrent_hashes=info_hash)[0].state == "stoppedUP")
    client.torrents_remove_tags(tags="tv", torrent_hashes=info_hash)
    assert client.torrents_info(torrent_hashes=info_hash)[0].tags == "scripts"
    assert set(client.torrents_tags()) >= {"scripts"}
    files = client.torrents_files(torrent_hash=info_hash)
    assert [f.name for f in files] == ["episode.mkv"], files
    props = client.torrents_properties(torrent_hash=info_hash)
    assert props.save_path == str(downloads.resolve() / "tv-sonarr")
    # Speed limits as phone apps set them: a torrent's own, then the global ones.
    client.torrents_set_upload_limit(limit=512 * 1024, torrent_hashes=info_hash)
    assert client.torrents_upload_limit(torrent_hashes=info_hash) == {info_hash: 512 * 1024}
    client.transfer_set_download_limit(limit=2 * 1024 * 1024)
    assert client.transfer_download_limit() == 2 * 1024 * 1024
    assert client.app.preferences["dl_limit"] == 2 * 1024 * 1024
    client.transfer_set_download_limit(limit=0)
    assert client.transfer_download_limit() == 0
    client.torrents_delete(delete_files=True, torrent_hashes=info_hash)
    wait("the data to go", lambda: not content.exists(), 20)

    # A peer hint where nobody answers: the magnet waits for its metadata.
    magnet = "magnet:?xt=urn:btih:" + "cd" * 20 + "&dn=nobody&x.pe=127.0.0.1:9"
    assert client.torrents_add(urls=magnet, is_stopped=True, rename="Nobody's show") == "Ok."
    assert client.torrents_info()[0].state == "stoppedDL"
    assert client.torrents_info()[0].name == "Nobody's show"
    client.torrents_start(torrent_hashes="cd" * 20)
    state = client.torrents_info()[0].state
    assert state in ("metaDL", "forcedMetaDL"), state
    client.torrents_stop(torrent_hashes="all")
    client.torrents_delete(delete_files=False, torrent_hashes="all")
    assert client.torrents_info() == []
    client.auth_log_out()


def _seeded(scrape: str) -> bool:
    try:
        with urllib.request.urlopen(scrape, timeout=2) as answer:
            body = answer.read()
    except OSError:
        return False
    count = body.split(b"8:completei", 1)[1:]
    return bool(count) and not count[0].startswith(b"0e")


def _complete(client, info_hash):
    t = client.torrents_info(torrent_hashes=info_hash)[0]
    return t if t.progress == 1 else None


def _info_hash(torrent: bytes) -> str:
    """The SHA-1 of the bencoded `info` dictionary (found by walking the bencode)."""
    start = torrent.index(b"4:info") + len(b"4:info")
    end = _skip(torrent, start)
    return hashlib.sha1(torrent[start:end]).hexdigest()


def _skip(data: bytes, i: int) -> int:
    c = data[i:i + 1]
    if c == b"i":
        return data.index(b"e", i) + 1
    if c in (b"l", b"d"):
        i += 1
        while data[i:i + 1] != b"e":
            i = _skip(data, i)
        return i + 1
    colon = data.index(b":", i)
    return colon + 1 + int(data[i:colon])


if __name__ == "__main__":
    sys.exit(main())
