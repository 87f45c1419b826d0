#!/usr/bin/env python3
"""Figures of the earshot daemon as a process: start-up, memory, alert latency.

    python3 benches/daemon.py [startup|memory|latency|all] [RUNS]
    python3 benches/daemon.py compare BEFORE_BINARY AFTER_BINARY [ROUNDS]

Builds `earshot` with `--profile perf` and runs it against local fakes
(nothing leaves the machine):

- startup: `earshot run` with 1,000 brands (10,000 terms) and 7 sources on
  a fresh SQLite file, from spawn to `READY=1` on `NOTIFY_SOCKET` (sent once
  migrations ran and the HTTP listener is bound); median of RUNS (7).
- memory: RSS (`VmRSS`) of that daemon idle 10 s after READY; then of a
  daemon started on a database holding 1,000,000 stored mentions (written
  with sqlite3 in earshot's schema), after /readyz and /metrics were read.
- compare: start-up and idle RSS (10 s after READY, split into anonymous
  and file-backed) of two builds, alternating, ROUNDS (5) runs each;
  medians. Copy `$CARGO_TARGET_DIR/perf/earshot` of each commit first.
- latency: a fake Hacker News API answers every poll (each second) with
  one new complaint; a fake Slack webhook records when each alert arrives.
  Latency = Slack request received - poll response written; p50/p99 over
  RUNS*10 alerts (the Slack pacing, `min_interval`, is set low so the rate
  limit is never what is measured).
"""

import http.server
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, TARGET, brand_terms, brands_toml  # noqa: E402

BINARY = os.path.join(TARGET, "perf", "earshot")


def build() -> None:
    subprocess.run(["cargo", "build", "--quiet", "--profile", "perf", "--bin", "earshot"], cwd=ROOT, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def brands_toml_n(n: int) -> str:
    return brands_toml(brand_terms(n))


def seven_sources(dead: str, hn: str = None, every: str = "1h") -> str:
    hn_url = hn or dead
    return f"""
[[sources]]
name = "hn"
type = "hackernews"
every = "{'1s' if hn else every}"
base_url = "{hn_url}/api/v1"
queries = ["acme air"]
tags = ["comment"]
overlap = "0s"
[[sources]]
name = "x"
type = "x"
every = "{every}"
base_url = "{dead}/2"
bearer_token = "bench-bearer"
[[sources]]
name = "yt"
type = "youtube"
every = "{every}"
base_url = "{dead}/youtube/v3"
api_key = "bench-key"
[[sources]]
name = "reddit"
type = "reddit"
every = "{every}"
base_url = "{dead}"
auth_url = "{dead}"
client_id = "bench-id"
client_secret = "bench-secret"
username = "earshot_bench"
[[sources]]
name = "bsky"
type = "bluesky"
every = "{every}"
pds_url = "{dead}"
identifier = "earshot.bench"
app_password = "bench-pass"
[[sources]]
name = "masto"
type = "mastodon"
every = "{every}"
base_url = "{dead}"
hashtags = ["acmeair"]
[[sources]]
name = "feed"
type = "feed"
every = "{every}"
urls = ["{dead}/feed.xml"]
"""


def write_config(d: str, port: int, slack: str, sources: str, brands: int = 1000) -> str:
    path = os.path.join(d, "earshot.toml")
    with open(path, "w") as f:
        f.write(
            f"""
[storage]
url = "sqlite://{d}/e.db"
[http]
listen = "127.0.0.1:{port}"
[log]
level = "warn"
[reload]
watch_file = false
[delivery]
interval = "500ms"
[[receivers]]
name = "slack"
type = "slack"
url = "{slack}"
min_interval = "1ms"
[[routes]]
receivers = ["slack"]
min_urgency = "low"
{brands_toml_n(brands)}
{sources}
"""
        )
    return path


class Daemon:
    """`earshot run` with a NOTIFY_SOCKET of our own."""

    def __init__(self, config: str, d: str):
        self.sock_path = os.path.join(d, f"notify-{time.monotonic_ns()}.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.started = time.perf_counter()
        env = dict(os.environ, NOTIFY_SOCKET=self.sock_path)
        env.pop("RUST_LOG", None)
        self.proc = subprocess.Popen(
            [BINARY, "--config", config, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def wait_ready(self, bound: float = 30.0) -> float:
        self.sock.settimeout(bound)
        while True:
            msg = self.sock.recv(4096).decode()
            if "READY=1" in msg:
                return time.perf_counter() - self.started

    def rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        os.unlink(self.sock_path)


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def startup(runs: int) -> dict:
    times, idle = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as d:
            config = write_config(d, free_port(), dead_url() + "/hook", seven_sources(dead_url()))
            daemon = Daemon(config, d)
            try:
                times.append(daemon.wait_ready())
                time.sleep(10 if not idle else 0.2)
                idle.append(daemon.rss_kib())
            finally:
                daemon.stop()
    ms = sorted(t * 1000 for t in times)
    print(f"start-up to READY (fresh SQLite, migrations, 1,000 brands, 7 sources): median {statistics.median(ms):.0f} ms  (runs: {', '.join(f'{t:.0f}' for t in ms)})")
    print(f"idle RSS 10 s after READY: {idle[0] / 1024:.1f} MiB")
    return {"startup_ms": statistics.median(ms), "idle_rss_mib": idle[0] / 1024}


def rss_split_kib(pid: int) -> tuple:
    """(anonymous, file-backed) resident KiB of a process."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f.readlines()[1:]:
            key, value = line.split(":", 1)
            fields[key] = int(value.split()[0])
    return fields["Anonymous"], fields["Rss"] - fields["Anonymous"]


def compare(binaries: dict, rounds: int) -> None:
    global BINARY
    figures = {name: {"ms": [], "rss": [], "anon": [], "file": []} for name in binaries}
    for _ in range(rounds):
        for name, binary in binaries.items():
            BINARY = binary
            with tempfile.TemporaryDirectory() as d:
                config = write_config(d, free_port(), dead_url() + "/hook", seven_sources(dead_url()))
                daemon = Daemon(config, d)
                try:
                    figures[name]["ms"].append(daemon.wait_ready() * 1000)
                    time.sleep(10)
                    anon, file = rss_split_kib(daemon.proc.pid)
                    figures[name]["rss"].append(daemon.rss_kib() / 1024)
                    figures[name]["anon"].append(anon / 1024)
                    figures[name]["file"].append(file / 1024)
                finally:
                    daemon.stop()
    for name, f in figures.items():
        runs = ", ".join(f"{x:.1f}" for x in sorted(f["rss"]))
        print(
            f"{name}: start-up median {statistics.median(f['ms']):.0f} ms; idle RSS median {statistics.median(f['rss']):.1f} MiB"
            f" (runs {runs}; anonymous {statistics.median(f['anon']):.1f}, file-backed {statistics.median(f['file']):.1f})"
        )
    with open("/proc/loadavg") as f:
        print("load average:", " ".join(f.read().split()[:3]))


def memory_loaded(mentions: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        config = write_config(d, port, dead_url() + "/hook", seven_sources(dead_url()))
        daemon = Daemon(config, d)
        daemon.wait_ready()
        daemon.stop()
        db = sqlite3.connect(os.path.join(d, "e.db"))
        now = int(time.time() * 1000)
        rows = (
            (
                "hackernews", str(i), f"brand{i % 1000:04d}", "hn", f"https://news.ycombinator.com/item?id={i}",
                f"user{i % 50000}", None, None, f"post {i}: brand{i % 1000:04d} lost my bag, 3 hours on hold",
                None, i % 40, None, None, now - i * 1000, now, '["acme"]', -0.7, "negative", 0.6, "high",
                '["lost_item"]', '["sentiment: negative (-0.70)"]',
            )
            for i in range(mentions)
        )
        db.executemany(
            "INSERT INTO mentions (platform, external_id, brand, source, url, author_handle, author_name, author_followers,"
            " body, lang, likes, reposts, replies, posted_at, stored_at, terms, compound, label, urgency, level, topics, reasons)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute(
            "INSERT INTO author_posts (platform, author_handle, posted_at, external_id, label)"
            " SELECT platform, author_handle, posted_at, external_id, MIN(label) FROM mentions"
            " GROUP BY platform, author_handle, posted_at, external_id"
        )
        db.commit()
        db.close()
        daemon = Daemon(config, d)
        try:
            daemon.wait_ready()
            for path in ("/readyz", "/metrics", "/readyz"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30).read()
                except Exception:
                    pass
            time.sleep(10)
            print(f"RSS with {mentions:,} stored mentions, after /readyz and /metrics: {daemon.rss_kib() / 1024:.1f} MiB")
        finally:
            daemon.stop()


class Fakes:
    """A fake Algolia HN API (one new complaint per request) and a fake Slack webhook."""

    def __init__(self):
        self.sent = {}  # ref -> time the HN response was written
        self.received = {}  # ref -> time Slack got the alert
        self.next_id = 1
        self.lock = threading.Lock()
        fakes = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with fakes.lock:
                    n = fakes.next_id
                    fakes.next_id += 1
                ref = f"L{n:05d}"
                hit = {
                    "objectID": str(n), "created_at_i": int(time.time()), "author": f"user{n}", "points": 3,
                    "comment_text": f"@acmeair lost my bag AGAIN, 3 hours on hold and still no refund, ref {ref}. Never flying with you again",
                    "_tags": ["comment"],
                }
                body = json.dumps({"hits": [hit], "nbHits": 1, "nbPages": 1}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                with fakes.lock:
                    fakes.sent[ref] = time.perf_counter()

            def do_POST(self):
                got = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode(errors="replace")
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                i = body.find("ref L")
                if i >= 0:
                    with fakes.lock:
                        fakes.received.setdefault(body[i + 4 : i + 10], got)

        self.hn = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.slack = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        for server in (self.hn, self.slack):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def latencies_ms(self) -> list:
        with self.lock:
            return sorted((self.received[r] - self.sent[r]) * 1000 for r in self.received if r in self.sent)


def latency(runs: int) -> None:
    want = runs * 10
    fakes = Fakes()
    with tempfile.TemporaryDirectory() as d:
        hn = f"http://127.0.0.1:{fakes.hn.server_address[1]}"
        slack = f"http://127.0.0.1:{fakes.slack.server_address[1]}/services/T0/B0/x"
        config = write_config(d, free_port(), slack, seven_sources(dead_url(), hn=hn), brands=1000)
        daemon = Daemon(config, d)
        try:
            daemon.wait_ready()
            deadline = time.monotonic() + want * 1.5 + 30
            while len(fakes.latencies_ms()) < want and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            daemon.stop()
    lat = fakes.latencies_ms()
    if not lat:
        print("alert latency: no alert arrived", file=sys.stderr)
        sys.exit(1)
    p = lambda q: lat[min(len(lat) - 1, round((len(lat) - 1) * q))]
    print(f"alert latency, poll response written -> Slack request received, {len(lat)} alerts: p50 {p(0.5):.1f} ms  p99 {p(0.99):.1f} ms  max {lat[-1]:.1f} ms")


def main() -> int:
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what == "compare":
        compare({"before": sys.argv[2], "after": sys.argv[3]}, int(sys.argv[4]) if len(sys.argv) > 4 else 5)
        return 0
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    build()
    if what in ("startup", "all"):
        startup(runs)
    if what in ("memory", "all"):
        memory_loaded()
    if what in ("latency", "all"):
        latency(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
