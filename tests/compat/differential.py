#!/usr/bin/env python3
"""The same calls against the real servers and against cloud-torrent, compared: Debian's
qbittorrent-nox (4.5.2, WebAPI 2.8) and transmission-daemon (3.00, RPC 16) beside our
binary, all on loopback without a login, no DHT. For each call the status code must be the
same, and for JSON answers the keys the *arr apps and client libraries read must exist in
both with the same JSON type. Where we answer as a newer version on purpose (5.x state
names, versions, a missing `deleteFiles`), the difference is listed and checked as such.

Usage: differential.py BINARY
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HASH = "0123456789abcdef0123456789abcdef0123" + "4567"
# A tracker where nothing answers: both sides list it, and neither reaches it.
MAGNET = (f"magnet:?xt=urn:btih:{HASH}&dn=differential&x.pe=127.0.0.1:9"
          "&tr=udp%3A%2F%2F127.0.0.1%3A9%2Fannounce")
QBT_TRACKER_KEYS = ["url", "status", "tier", "num_peers", "num_seeds", "num_leeches",
                    "num_downloaded", "msg"]
TR_TRACKER_STATS_KEYS = ["announce", "announceState", "downloadCount", "hasAnnounced", "hasScraped",
                         "host", "id", "isBackup", "lastAnnouncePeerCount", "lastAnnounceResult",
                         "lastAnnounceSucceeded", "lastAnnounceTime", "lastScrapeResult",
                         "lastScrapeSucceeded", "lastScrapeTime", "leecherCount", "nextAnnounceTime",
                         "scrape", "scrapeState", "seederCount", "sitename", "tier"]
# Keys Sonarr/Radarr/Prowlarr read (compat brief §1.5, §1.7, §2.5, §2.8).
QBT_INFO_KEYS = ["hash", "name", "size", "progress", "eta", "state", "category", "tags", "save_path",
                 "content_path", "ratio", "ratio_limit", "seeding_time_limit", "seeding_time",
                 "last_activity", "added_on", "dlspeed", "upspeed", "num_seeds", "num_leechs",
                 "priority", "force_start", "magnet_uri", "amount_left", "completed"]
QBT_PREF_KEYS = ["save_path", "max_ratio_enabled", "max_ratio", "max_seeding_time_enabled",
                 "max_seeding_time", "max_ratio_act", "queueing_enabled", "dht", "temp_path_enabled",
                 "temp_path", "max_active_downloads", "listen_port", "dl_limit", "up_limit"]
QBT_PROP_KEYS = ["save_path", "seeding_time", "eta", "total_size", "addition_date", "share_ratio",
                 "dl_limit", "up_limit"]
TR_SESSION_KEYS = ["version", "rpc-version", "rpc-version-minimum", "download-dir", "seedRatioLimit",
                   "seedRatioLimited", "idle-seeding-limit", "idle-seeding-limit-enabled",
                   "speed-limit-down", "speed-limit-down-enabled", "alt-speed-enabled",
                   "download-queue-enabled", "download-queue-size", "units"]
TR_TORRENT_FIELDS = ["id", "hashString", "name", "downloadDir", "totalSize", "leftUntilDone",
                     "isFinished", "eta", "status", "secondsDownloading", "secondsSeeding",
                     "errorString", "uploadedEver", "downloadedEver", "seedRatioLimit",
                     "seedRatioMode", "seedIdleLimit", "seedIdleMode", "fileCount", "addedDate",
                     "percentDone", "rateDownload", "rateUpload", "peersConnected", "queuePosition"]

failures = []


def check(what: str, ok: bool, detail: str = "") -> None:
    if not ok:
        failures.append(f"{what}: {detail}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(what, check_up, timeout=30):
    deadline = time.monotonic() + timeout
    while not check_up():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


def request(url, data=None, headers=None, method=None):
    """(status, headers, body) of a request; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=20) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def json_type(value):
    return {bool: "bool", int: "number", float: "number", str: "string", list: "array",
            dict: "object", type(None): "null"}[type(value)]


def same_types(what, theirs, ours, keys):
    for key in keys:
        if key not in theirs:
            continue  # not in the older version we compare with
        check(f"{what}: {key} present", key in ours, "missing in ours")
        if key in ours:
            check(f"{what}: {key} type", json_type(theirs[key]) == json_type(ours[key]),
                  f"theirs {json_type(theirs[key])} {theirs[key]!r}, ours {json_type(ours[key])} {ours[key]!r}")


class Qbt:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}/api/v2"

    def call(self, path, form=None, get=False):
        data = None if get else urllib.parse.urlencode(form or {}).encode()
        url = f"{self.base}/{path}"
        if get and form:
            url += "?" + urllib.parse.urlencode(form)
        headers = {} if get else {"Content-Type": "application/x-www-form-urlencoded"}
        status, _, body = request(url, data, headers)
        return status, body

    def json(self, path, form=None):
        status, body = self.call(path, form, get=True)
        return status, (json.loads(body) if status == 200 and body else None)


def qbittorrent_nox(root: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    downloads = root / "downloads"
    conf = root / "qBittorrent" / "config"
    conf.mkdir(parents=True)
    downloads.mkdir()
    (conf / "qBittorrent.conf").write_text(f"""[LegalNotice]
Accepted=true

[BitTorrent]
Session\\DefaultSavePath={downloads}
Session\\DHTEnabled=false
Session\\LSDEnabled=false
Session\\PeXEnabled=false
Session\\Port={free_port()}
Session\\QueueingSystemEnabled=false
Session\\Interface=lo
Session\\InterfaceName=lo

[Preferences]
Connection\\UPnP=false
WebUI\\Enabled=true
WebUI\\Address=127.0.0.1
WebUI\\Port={port}
WebUI\\LocalHostAuth=false
WebUI\\HostHeaderValidation=false
WebUI\\UseUPnP=false
""")
    log = open(root / "qbittorrent.log", "w")
    process = subprocess.Popen(["qbittorrent-nox", f"--profile={root}", f"--webui-port={port}"],
                               stdout=log, stderr=log)
    return process, port


def transmission_daemon(root: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = root / "config"
    conf.mkdir(parents=True)
    downloads = root / "downloads"
    downloads.mkdir(exist_ok=True)
    peer = free_port()
    (conf / "settings.json").write_text(json.dumps({
        "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
        "port-forwarding-enabled": False, "download-dir": str(downloads), "peer-port": peer,
        "rpc-authentication-required": False, "rpc-bind-address": "127.0.0.1", "rpc-enabled": True,
        "rpc-host-whitelist-enabled": False, "rpc-port": port, "rpc-whitelist": "127.0.0.1",
        "rpc-whitelist-enabled": True, "download-queue-enabled": False, "message-level": 1}))
    log = open(root / "transmission.log", "w")
    process = subprocess.Popen(["transmission-daemon", "-f", "-g", str(conf), "--no-dht", "--no-lpd",
                                "--no-portmap", "-P", str(peer), "-p", str(port)], stdout=log, stderr=log)
    return process, port


def ours(binary: Path, root: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    (root / "downloads").mkdir(parents=True)
    log = open(root / "server.log", "w")
    process = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--download-dir", str(root / "downloads"),
         "--state-dir", str(root / "state"), "--disable-dht", "--incoming-host", "127.0.0.1",
         "--incoming-port", str(free_port())], cwd=root, stdout=log, stderr=log,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root)})
    return process, port


def answers(port):
    def up():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False
    return up


def wait_listed(api: Qbt, info_hash: str, timeout: float = 15.0) -> None:
    """Waits until `torrents/info` lists the torrent (the comparison then notes any absence)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, listed = api.json("torrents/info", {"hashes": info_hash})
        if listed:
            return
        time.sleep(0.2)


def compare_qbittorrent(theirs: Qbt, ours_: Qbt) -> None:
    both = {"theirs": theirs, "ours": ours_}
    # Plain calls: same status (and the same body where it is not a version).
    for path, form, get in [
        ("app/webapiVersion", None, True),
        ("auth/login", {"username": "x", "password": "y"}, False),
        ("torrents/categories", None, True),
        ("torrents/createCategory", {"category": "tv-sonarr"}, False),
        ("torrents/createCategory", {"category": "tv-sonarr"}, False),
        ("torrents/createCategory", {"category": ""}, False),
        ("torrents/add", {"urls": MAGNET, "category": "tv-sonarr", "paused": "true"}, False),
        ("torrents/properties", {"hash": "f" * 40}, True),
        ("torrents/setCategory", {"hashes": HASH, "category": "nope"}, False),
        ("torrents/topPrio", {"hashes": HASH}, False),
        ("torrents/setShareLimits", {"hashes": HASH, "ratioLimit": "1", "seedingTimeLimit": "-2",
                                     "inactiveSeedingTimeLimit": "-2"}, False),
        ("torrents/addTags", {"hashes": HASH, "tags": "sonarr"}, False),
        ("torrents/pause", {"hashes": HASH}, False),
        ("torrents/resume", {"hashes": "all"}, False),
        ("torrents/nothing", None, True),
        ("sync/torrentPeers", {"hash": "f" * 40}, True),
        ("torrents/export", {"hash": "f" * 40}, True),
        ("torrents/export", {"hash": HASH}, True),
        ("torrents/rename", {"hash": "f" * 40, "name": "x"}, False),
        ("torrents/rename", {"hash": HASH, "name": " "}, False),
        ("torrents/rename", {"hash": HASH, "name": "Renamed"}, False),
        ("sync/torrentPeers", None, True),
    ]:
        got = {name: api.call(path, form, get) for name, api in both.items()}
        if path == "torrents/add":
            # qbittorrent-nox lists a magnet a moment after its Ok.: the calls on it
            # that follow would otherwise find nothing (and skip it) on one side only.
            for api in both.values():
                wait_listed(api, HASH)
        what = f"qBittorrent {path} {form or ''}"
        check(what, got["theirs"][0] == got["ours"][0],
              f"status theirs {got['theirs'][0]} {got['theirs'][1][:80]!r}, ours {got['ours'][0]} {got['ours'][1][:80]!r}")
        if path in ("auth/login", "torrents/add", "torrents/setCategory"):
            check(what + " body", got["theirs"][1] == got["ours"][1],
                  f"theirs {got['theirs'][1]!r}, ours {got['ours'][1]!r}")
    # JSON shapes.
    for path, form, keys in [("app/preferences", None, QBT_PREF_KEYS),
                             ("torrents/properties", {"hash": HASH}, QBT_PROP_KEYS)]:
        (s1, theirs_json), (s2, ours_json) = theirs.json(path, form), ours_.json(path, form)
        check(f"qBittorrent {path} status", s1 == s2 == 200, f"{s1} vs {s2}")
        if theirs_json and ours_json:
            same_types(f"qBittorrent {path}", theirs_json, ours_json, keys)
    _, theirs_info = theirs.json("torrents/info", {"category": "tv-sonarr"})
    _, ours_info = ours_.json("torrents/info", {"category": "tv-sonarr"})
    check("qBittorrent torrents/info length", len(theirs_info) == len(ours_info) == 1,
          f"{len(theirs_info)} vs {len(ours_info)}")
    if theirs_info and ours_info:
        same_types("qBittorrent torrents/info", theirs_info[0], ours_info[0], QBT_INFO_KEYS)
        check("qBittorrent name after rename", theirs_info[0]["name"] == ours_info[0]["name"] == "Renamed",
              f"{theirs_info[0]['name']!r} vs {ours_info[0]['name']!r}")
        check("qBittorrent tags", theirs_info[0]["tags"] == ours_info[0]["tags"],
              f"{theirs_info[0]['tags']!r} vs {ours_info[0]['tags']!r}")
        check("qBittorrent ratio_limit", theirs_info[0]["ratio_limit"] == ours_info[0]["ratio_limit"],
              f"{theirs_info[0]['ratio_limit']} vs {ours_info[0]['ratio_limit']}")
    # Trackers: three pseudo-rows, then the magnet's tracker, with the same keys and types.
    (_, theirs_tr), (_, ours_tr) = (api.json("torrents/trackers", {"hash": HASH}) for api in both.values())
    check("qBittorrent torrents/trackers rows", len(theirs_tr or []) == len(ours_tr or []) == 4,
          f"{theirs_tr} vs {ours_tr}")
    if theirs_tr and ours_tr:
        check("qBittorrent torrents/trackers url", theirs_tr[-1]["url"] == ours_tr[-1]["url"],
              f"{theirs_tr[-1]['url']} vs {ours_tr[-1]['url']}")
        same_types("qBittorrent torrents/trackers", theirs_tr[-1], ours_tr[-1], QBT_TRACKER_KEYS)
    # sync/maindata: a full answer with torrents of the same shape; then ours (which keeps a
    # client's answers without a cookie too; 4.5.2 without a session cookie answers in full
    # every time) a delta.
    firsts = {name: api.json("sync/maindata", {"rid": 0})[1] for name, api in both.items()}
    for name, first in firsts.items():
        check(f"qBittorrent maindata full ({name})", first.get("full_update") is True, str(first)[:200])
    torrents = [next(iter(firsts[name].get("torrents", {}).values()), None) for name in both]
    check("qBittorrent maindata torrents", all(torrents), str(torrents)[:200])
    if all(torrents):
        same_types("qBittorrent maindata torrent", torrents[0], torrents[1], QBT_INFO_KEYS[1:])
    same_types("qBittorrent maindata server_state", firsts["theirs"].get("server_state", {}),
               firsts["ours"].get("server_state", {}),
               ["dl_info_speed", "dl_info_data", "up_info_speed", "global_ratio", "queueing",
                "use_alt_speed_limits", "free_space_on_disk", "connection_status"])
    second = ours_.json("sync/maindata", {"rid": firsts["ours"]["rid"]})[1]
    check("qBittorrent maindata delta (ours)", "full_update" not in second, str(second)[:200])
    # Speed limits: the global ones and a torrent's own, set and read back.
    for path, form, get in [
        ("torrents/downloadLimit", {"hashes": HASH}, False),
        ("torrents/setDownloadLimit", {"hashes": HASH, "limit": "65536"}, False),
        ("torrents/downloadLimit", {"hashes": HASH}, False),
        ("torrents/uploadLimit", {"hashes": HASH}, False),
        ("transfer/downloadLimit", None, True),
        ("transfer/setDownloadLimit", {"limit": "1048576"}, False),
        ("transfer/downloadLimit", None, True),
        ("transfer/setUploadLimit", {"limit": "-1"}, False),
        ("transfer/uploadLimit", None, True),
    ]:
        got = {name: api.call(path, form, get) for name, api in both.items()}
        check(f"qBittorrent {path} {form or ''}", got["theirs"] == got["ours"],
              f"theirs {got['theirs']!r}, ours {got['ours']!r}")
    # sync/torrentPeers of the magnet (no peer): a full answer of the same shape.
    peers = {name: api.json("sync/torrentPeers", {"hash": HASH, "rid": 0}) for name, api in both.items()}
    check("qBittorrent torrentPeers status", peers["theirs"][0] == peers["ours"][0] == 200,
          f"{peers['theirs'][0]} vs {peers['ours'][0]}")
    if peers["theirs"][1] and peers["ours"][1]:
        same_types("qBittorrent torrentPeers", peers["theirs"][1], peers["ours"][1],
                   ["full_update", "peers", "rid", "show_flags"])
    # Deliberate differences: 5.x answers a delete without deleteFiles (4.5.2: 400).
    s_theirs, _ = theirs.call("torrents/delete", {"hashes": HASH})
    s_ours, _ = ours_.call("torrents/delete", {"hashes": HASH})
    check("qBittorrent delete without deleteFiles (4.5.2 refuses it, we take it as false)",
          (s_theirs, s_ours) == (400, 200), f"{s_theirs} vs {s_ours}")


class Transmission:
    def __init__(self, port):
        self.url = f"http://127.0.0.1:{port}/transmission/rpc"
        self.session = ""

    def handshake(self):
        status, headers, _ = request(self.url)
        self.session = headers.get("X-Transmission-Session-Id", "")
        return status, bool(self.session)

    def call(self, method, **arguments):
        body = json.dumps({"method": method, "arguments": arguments, "tag": 7}).encode()
        status, _, answer = request(self.url, body, {"X-Transmission-Session-Id": self.session,
                                                     "Content-Type": "application/json"})
        return status, json.loads(answer) if status == 200 else None


def compare_transmission(theirs: Transmission, ours_: Transmission) -> None:
    check("Transmission GET handshake", theirs.handshake() == ours_.handshake() == (409, True),
          "Sonarr's first request must get 409 with the session id")
    for method, args in [("session-get", {}), ("torrent-add", {"filename": MAGNET, "paused": True}),
                         ("torrent-add", {"filename": MAGNET}),
                         ("torrent-get", {"fields": TR_TORRENT_FIELDS}),
                         ("torrent-set", {"ids": [HASH], "seedRatioLimit": 1.5, "seedRatioMode": 1}),
                         ("torrent-get", {"ids": [HASH], "fields": ["seedRatioLimit", "seedRatioMode"]}),
                         ("torrent-get", {"ids": [HASH], "fields": ["trackerStats", "peers"]}),
                         ("no-such-method", {}),
                         ("torrent-remove", {"ids": [HASH]}),
                         ("torrent-get", {"fields": ["id"]})]:
        (s1, a1), (s2, a2) = theirs.call(method, **args), ours_.call(method, **args)
        what = f"Transmission {method} {args}"
        check(what + " status", s1 == s2 == 200, f"{s1} vs {s2}")
        if not (a1 and a2):
            continue
        check(what + " result", a1["result"] == a2["result"], f"{a1['result']!r} vs {a2['result']!r}")
        check(what + " tag", a1.get("tag") == a2.get("tag") == 7, f"{a1.get('tag')} vs {a2.get('tag')}")
        args1, args2 = a1.get("arguments", {}), a2.get("arguments", {})
        # We answer as 4.0.6, which has keys 3.00 has not: every one of theirs must be ours.
        missing = set(args1) - set(args2)
        check(what + " argument keys", not missing, f"missing in ours: {sorted(missing)}")
        if method == "session-get":
            same_types(what, args1, args2, TR_SESSION_KEYS)
        if method == "torrent-add":
            key = next(iter(args1), None)
            if key and key in args2:
                same_types(what, args1[key], args2[key], ["id", "name", "hashString"])
        if method == "torrent-get" and args1.get("torrents") and args2.get("torrents"):
            t1, t2 = args1["torrents"][0], args2["torrents"][0]
            same_types(what, t1, t2, TR_TORRENT_FIELDS)
            if "trackerStats" in args.get("fields", []):
                stats1, stats2 = t1.get("trackerStats", []), t2.get("trackerStats", [])
                check(what + " trackers", len(stats1) == len(stats2) == 1, f"{stats1} vs {stats2}")
                if stats1 and stats2:
                    same_types(what + " trackerStats", stats1[0], stats2[0], TR_TRACKER_STATS_KEYS)
                same_types(what, t1, t2, ["peers"])
            for field in ("seedRatioLimit", "seedRatioMode", "hashString"):
                if field in args.get("fields", []) or field == "hashString" and "hashString" in t1:
                    check(f"{what} {field}", t1.get(field) == t2.get(field), f"{t1.get(field)} vs {t2.get(field)}")


def main() -> int:
    binary = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory(prefix="ct-diff-") as tmp:
        tmp = Path(tmp)
        processes = []
        try:
            for make, name in [(qbittorrent_nox, "qbt"), (transmission_daemon, "tr")]:
                processes.append(make(tmp / name))
            processes.append(ours(binary, tmp / "ours"))
            ports = [port for _, port in processes]
            for port in ports:
                wait(f"port {port}", answers(port))
            qbt_port, tr_port, our_port = ports
            wait("qBittorrent's Web API", lambda: request(f"http://127.0.0.1:{qbt_port}/api/v2/app/version")[0] == 200)
            compare_qbittorrent(Qbt(qbt_port), Qbt(our_port))
            compare_transmission(Transmission(tr_port), Transmission(our_port))
        finally:
            for process, _ in processes:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
    if failures:
        print("differences from the real servers:")
        for failure in failures:
            print("  " + failure)
        return 1
    print("differential: qbittorrent-nox and transmission-daemon answer as we do")
    return 0


if __name__ == "__main__":
    sys.exit(main())
