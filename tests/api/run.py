#!/usr/bin/env python3
"""Checks the server against its own OpenAPI document with Schemathesis.

Starts the real binary on 127.0.0.1 (a free port, a temporary config file, download
and state folder, DHT off) and runs `st run` on every operation of
`/api/v1/openapi.json`, with every check (no 5xx, only documented status codes,
content types, headers and bodies, invalid input refused, valid input accepted):

1. with a login (`--auth user:pass`), Schemathesis sending HTTP Basic;
2. against the same server without credentials: every protected operation must
   answer its documented 401;
3. against a server with no login at all.

Usage: run.py BINARY ST  (the `st` of a virtualenv with Schemathesis; see
scripts/api-check.sh, which also isolates the network).
"""

import base64
import hashlib
import http.server
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
USER, PASSWORD = "user", "pass"
MAX_EXAMPLES = 50
START_TIMEOUT_SECS = 60

# Test data, so that generated requests also reach torrents that exist: their info hashes
# are the `torrents` and `deletable` dictionaries of schemathesis.toml.
HELLO = b"hello\n"
HELLO_HASH = "1b25c654df6064bca5fb2b5fa1f87dfffea5fa21"  # the .torrent of downloads/hello.txt
PENDING_HASH = "0123456789abcdef0123456789abcdef01234567"  # a magnet that never gets metadata
DELETABLE_HASH = "89abcdef0123456789abcdef0123456789abcdef"  # a magnet for DELETE to remove
STUB_MAGNET = "magnet:?xt=urn:btih:fedcba9876543210fedcba9876543210fedcba98&dn=stub"


class SearchStub(http.server.BaseHTTPRequestHandler):
    """A search provider on loopback: one result for any query, and an item page (with
    a magnet) at any other path, so that generated items reach the provider's answer."""

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        if self.path.startswith("/search"):
            body = {"results": [{"name": "Stub result", "url": "/item/1", "seeds": "5",
                                 "peers": "1", "size": "6 B"}]}
        else:
            body = {"magnet": STUB_MAGNET}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def start_search_stub(workdir: Path) -> tuple[http.server.ThreadingHTTPServer, Path]:
    """Serves [`SearchStub`] and writes the providers file (provider `stub`) that uses it."""
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SearchStub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{stub.server_address[1]}"
    providers = {
        "stub": {"name": "Stub", "url": base + "/search?q={{query}}&page={{page:1}}",
                 "list": "results", "timeout": 5,
                 "result": {"name": "name", "url": "url", "seeds": "seeds", "peers": "peers",
                            "size": "size"}},
        "stub/item": {"name": "Stub item page", "url": base + "{{item}}",
                      "result": {"magnet": "magnet"}},
    }
    path = workdir / "search-providers.json"
    path.write_text(json.dumps(providers))
    return stub, path


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


def hello_torrent() -> bytes:
    """A .torrent of `hello.txt` without trackers: its data is already in the downloads."""
    info = {"length": len(HELLO), "name": "hello.txt", "piece length": 16384,
            "pieces": hashlib.sha1(HELLO).digest()}
    assert hashlib.sha1(bencode(info)).hexdigest() == HELLO_HASH
    return bencode({"info": info})


def no_proxy_env() -> dict[str, str]:
    """This environment without proxy settings: every request stays on loopback."""
    return {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The binary on 127.0.0.1 in its own temporary folder."""

    def __init__(self, binary: str, workdir: Path, auth: bool, search_config: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        downloads = workdir / "downloads"
        downloads.mkdir(parents=True)
        # Something to list and download (a file and a folder, sent as a zip).
        (downloads / "hello.txt").write_bytes(HELLO)
        (downloads / "folder").mkdir()
        (downloads / "folder" / "inner.txt").write_text("inner\n")
        args = [
            binary,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--config-path", str(workdir / "cloud-torrent.toml"),
            "--download-dir", str(downloads),
            "--state-dir", str(workdir / "state"),
            "--incoming-host", "127.0.0.1",
            "--incoming-port", "0",
            "--disable-dht",
            "--search-config", str(search_config),
        ]
        self.auth = auth
        args += ["--auth", f"{USER}:{PASSWORD}"] if auth else ["--no-auth"]
        self.log_path = workdir / "server.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=no_proxy_env()
        )
        try:
            self.wait_ready()
            self.add_test_data()
        except BaseException:
            self.stop()
            raise

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECS
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
        raise SystemExit(f"the server did not answer /healthz within {START_TIMEOUT_SECS} s")

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        """`method path` with the login; returns (status, body)."""
        request = urllib.request.Request(f"{self.base}{path}", data=body, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        if self.auth:
            token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()

    def add_test_data(self) -> None:
        """Adds the torrents of the dictionaries and waits until hello.txt is verified."""
        self.request("POST", "/api/v1/torrents", hello_torrent(), "application/x-bittorrent")
        for info_hash in (PENDING_HASH, DELETABLE_HASH):
            magnet = json.dumps({"magnet": f"magnet:?xt=urn:btih:{info_hash}"}).encode()
            self.request("POST", "/api/v1/torrents", magnet, "application/json")
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while time.monotonic() < deadline:
            _, body = self.request("GET", f"/api/v1/torrents/{HELLO_HASH}")
            if json.loads(body)["state"] in ("seeding", "completed"):
                return
            time.sleep(0.2)
        raise SystemExit(f"hello.txt was not verified within {START_TIMEOUT_SECS} s")

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """Stops the server (SIGTERM, as a service manager would) and returns its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode


def save_document(server: Server, path: Path) -> None:
    """Saves the server's OpenAPI document, fetched with the login."""
    path.write_bytes(server.request("GET", "/api/v1/openapi.json")[1])


def schemathesis(st: str, document: Path, server: Server, name: str, extra: list[str]) -> bool:
    """One `st run` over the whole document; True when it found nothing."""
    command = [
        st,
        "--config-file", str(HERE / "schemathesis.toml"),
        "run", str(document), "--url", server.base,
        "--checks", "all",
        "--max-examples", str(MAX_EXAMPLES),
        # Same cases every run: a failure is reproducible and the run time stable.
        "--generation-deterministic",
        *extra,
    ]
    print(f"\n=== {name}\n$ {shlex.join(command)}", flush=True)
    env = dict(no_proxy_env(), SCHEMATHESIS_HOOKS=str(HERE / "hooks.py"))
    started = time.monotonic()
    result = subprocess.run(command, env=env, cwd=document.parent)
    print(f"=== {name}: exit {result.returncode} in {time.monotonic() - started:.0f} s", flush=True)
    return result.returncode == 0


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, st = (str(Path(arg).resolve()) for arg in sys.argv[1:])
    started = time.monotonic()
    results = {}
    with tempfile.TemporaryDirectory(prefix="cloud-torrent-api-") as tmp:
        tmp = Path(tmp)
        stub, providers = start_search_stub(tmp)
        server = Server(binary, tmp / "with-login", auth=True, search_config=providers)
        document = tmp / "openapi.json"
        try:
            # Read once with the login: without one the document is a 401 too.
            save_document(server, document)
            # Failed logins would rate-limit this address, and then every request with
            # credentials (429): the login operation, and ignored_auth, which retries
            # each operation with wrong credentials, are left to the next run.
            results["with login, HTTP Basic"] = schemathesis(st, document, server, "with login, HTTP Basic", [
                "--auth", f"{USER}:{PASSWORD}",
                "--exclude-path", "/api/v1/login",
                "--exclude-checks", "ignored_auth",
                "--generation-with-security-parameters", "false",
            ])
            # No Authorization header at all (none generated either): every protected
            # operation must answer its documented 401, and ignored_auth reports any
            # that succeeds. Wrong logins here get the documented 401, then 429.
            results["with login, no credentials"] = schemathesis(st, document, server, "with login, no credentials", [
                "--generation-with-security-parameters", "false",
            ])
        finally:
            code = server.stop()
        results["with login: clean exit"] = code == 0 and "panicked" not in server.log_text()

        server = Server(binary, tmp / "no-login", auth=False, search_config=providers)
        try:
            # Without a login every operation is open although the document declares
            # its security: ignored_auth would report each one.
            results["no login"] = schemathesis(st, document, server, "no login", [
                "--exclude-checks", "ignored_auth",
            ])
        finally:
            code = server.stop()
        results["no login: clean exit"] = code == 0 and "panicked" not in server.log_text()

        stub.shutdown()

    print(f"\nAPI check in {time.monotonic() - started:.0f} s:")
    for name, ok in results.items():
        print(f"  {'ok    ' if ok else 'FAILED'} {name}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
