"""N `serve` replicas on one machine behind HAProxy (Debian's `haproxy`; `make haproxy` installs it).

    .venv/bin/python scripts/cluster.py --replicas 2 --port 8080         # until Ctrl-C
    .venv/bin/python scripts/cluster.py --print-config --server 10.0.0.11:7860 --server 10.0.0.12:7860

The replicas listen on loopback ports after `--port` and share one index folder and one feedback
database; HAProxy listens on `--port`, checks every replica's `/healthz` each second and sends a
request to a replica only while it answers 200. Gradio's queue answers a question over two
requests (joining the queue, then the event stream that brings the result), which must reach
the same replica, and the chat window keeps its conversation in its replica's memory: HAProxy
pins a client to a replica with a cookie (`--sticky cookie`, the default; gradio_client and
browsers send it back). `POST /v1/ask` holds no session and needs no stickiness. `--sticky none`
balances every request on its own (measured in README, "Several machines").
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STICKY = ("cookie", "none")
COOKIE = "chatbot_replica"
RATE_LIMIT = 30.0  # questions a minute a client may ask each replica (serve --rate-limit; 0: none)
RATE_BURST = 10
FENCE = 2  # the balancer refuses a client past twice the replicas' limit (it cannot tell a question from a thumb)
INSTALL_HINT = "HAProxy is not installed; run `make haproxy` (Debian's haproxy package, via apt-get)"


def haproxy_config(
    servers: list[str], *, bind: str, sticky: str = "cookie", rate_limit: float = RATE_LIMIT, rate_burst: int = RATE_BURST
) -> str:
    """HAProxy's configuration for `servers` ("host:port" of each replica), listening on `bind`;
    with a per-client fence at `FENCE` times the replicas' own limit (`rate_limit` 0: none)."""
    cookie = sticky == "cookie"
    lines = [
        "global",
        "    maxconn 4096",
        "",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 2m",
        "    timeout server 2m  # an event stream waits at most this long for its answer",
        "    timeout http-request 10s",
        "    retries 2",
        "    option redispatch  # a replica that refuses the connection: the request goes to another",
        "    retry-on conn-failure empty-response  # and one that dies mid-answer: asked again (a question changes nothing)",
        "",
        "frontend chatbot",
        f"    bind {bind}",
        "    http-request del-header X-Forwarded-For  # only the balancer says who the client is",
        "    option forwardfor  # the replicas trust it from the balancer alone (serve --trusted-proxy)",
        *_fence(rate_limit, rate_burst),
        "    default_backend replicas",
        "",
        "backend replicas",
        "    balance roundrobin",
        "    option httpchk GET /healthz",
        "    http-check expect status 200",
        "    default-server check inter 1s fall 2 rise 2",
    ]
    if cookie:
        lines.append(f"    cookie {COOKIE} insert indirect nocache httponly attr SameSite=Lax  # a client stays on its replica")
    for number, server in enumerate(servers, 1):
        lines.append(f"    server replica{number} {server}" + (f" cookie replica{number}" if cookie else ""))
    return "\n".join(lines) + "\n"


def _fence(rate_limit: float, rate_burst: int) -> list[str]:
    """Per-client limit at the balancer: questions (POST /v1/ask, and every event a chat window or
    gradio_client sends through Gradio's queue, thumbs included) counted by source address in a stick
    table, refused with 429 past `FENCE` x (rate + burst) a minute. The replicas' token bucket is the
    precise limit; this one stops a flood before it reaches them."""
    if not rate_limit:
        return []
    most = int(FENCE * (rate_limit + rate_burst))
    body = '{"error": "too many requests from your address; ask again in a minute"}'.replace('"', '\\"')
    return [
        "    stick-table type ipv6 size 100k expire 10m store http_req_rate(1m)  # per client address",
        "    acl question method POST",
        "    acl question_path path /v1/ask /gradio_api/queue/join",
        "    http-request track-sc0 src if question question_path",
        f"    http-request return status 429 content-type application/json hdr Retry-After 60 "
        f'string "{body}" if question question_path {{ sc_http_req_rate(0) gt {most} }}',
    ]


def find_haproxy() -> str | None:
    """HAProxy's program (Debian puts it in /usr/sbin, often not on a user's PATH), or None."""
    return shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)


def haproxy_binary() -> str:
    found = find_haproxy()
    if found is None:
        raise SystemExit(INSTALL_HINT)
    return found


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Replica:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@dataclass
class Cluster:
    """Replicas and the balancer in front of them."""

    url: str
    replicas: list[Replica]
    haproxy: subprocess.Popen
    folder: Path
    config: str = field(repr=False, default="")

    def kill(self, number: int) -> None:
        """End replica `number` at once (SIGKILL), as a crash would."""
        self.replicas[number].process.kill()

    def pids(self) -> list[int]:
        return [r.process.pid for r in self.replicas]


def start_replica(port: int, folder: Path, *, serve_args: list[str], env: dict | None = None) -> Replica:
    """`python -m chatbot serve` on a loopback port (not waited for); its output goes to a log file in `folder`."""
    log = folder / f"replica-{port}.log"
    command = [sys.executable, "-m", "chatbot", "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Replica(port, process, log)


def wait_healthy(url: str, *, timeout: float, process: subprocess.Popen | None = None, log: Path | None = None) -> None:
    """Until `url`/healthz answers 200; SystemExit (with the log's end) when it does not in time."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            if httpx.get(url.rstrip("/") + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    tail = "".join(log.read_text().splitlines(keepends=True)[-20:]) if log is not None and log.exists() else ""
    raise SystemExit(f"{url} did not become healthy within {timeout:g} s\n{tail}")


@contextmanager
def running_cluster(
    replicas: int,
    *,
    port: int | None = None,
    sticky: str = "cookie",
    serve_args: list[str] = (),
    feedback_db: Path | None = None,
    env: dict | None = None,
    start_timeout: float = 300,
    rate_limit: float = RATE_LIMIT,
    rate_burst: int = RATE_BURST,
):
    """Start `replicas` serve processes (sharing `feedback_db`; None: serve's default) and HAProxy;
    yield the Cluster; stop everything. Each replica limits a client to `rate_limit` questions a
    minute (`rate_burst` at once) and trusts the forwarded address from the balancer alone."""
    binary = haproxy_binary()
    with tempfile.TemporaryDirectory(prefix="cluster-") as temporary:
        folder = Path(temporary)
        limits = ["--rate-limit", f"{rate_limit:g}", "--rate-burst", str(rate_burst), "--trusted-proxy", "127.0.0.1"]
        serve_args = [*limits, *serve_args]  # serve_args may override them
        if feedback_db is not None:
            serve_args = [*serve_args, "--feedback-db", str(feedback_db)]
        started: list[Replica] = []
        haproxy = None
        try:
            for _ in range(replicas):
                started.append(start_replica(free_port(), folder, serve_args=list(serve_args), env=env))
            for replica in started:
                wait_healthy(replica.url, timeout=start_timeout, process=replica.process, log=replica.log)
            port = port or free_port()
            servers = [f"127.0.0.1:{r.port}" for r in started]
            config = haproxy_config(
                servers, bind=f"127.0.0.1:{port}", sticky=sticky, rate_limit=rate_limit, rate_burst=rate_burst
            )
            (folder / "haproxy.cfg").write_text(config)
            check = subprocess.run([binary, "-c", "-q", "-f", str(folder / "haproxy.cfg")], capture_output=True, text=True)
            if check.returncode != 0:
                raise SystemExit(f"HAProxy refused the generated configuration: {check.stderr.strip()}")
            haproxy_log = folder / "haproxy.log"
            with haproxy_log.open("w") as out:
                haproxy = subprocess.Popen(
                    [binary, "-db", "-f", str(folder / "haproxy.cfg")], stdout=out, stderr=subprocess.STDOUT
                )
            url = f"http://127.0.0.1:{port}/"
            wait_healthy(url, timeout=30, process=haproxy, log=haproxy_log)
            yield Cluster(url, started, haproxy, folder, config)
        finally:
            if haproxy is not None:
                haproxy.terminate()
            for replica in started:
                if replica.process.poll() is None:
                    replica.process.send_signal(signal.SIGTERM)
            for process in [r.process for r in started] + ([haproxy] if haproxy else []):
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="serve processes to start (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="the balancer's port (default 8080)")
    parser.add_argument("--sticky", choices=STICKY, default="cookie", help="pin a client to a replica (default cookie)")
    parser.add_argument(
        "--feedback-db", help="the shared feedback database (default as serve: CHATBOT_FEEDBACK_DB or ./feedback.sqlite3)"
    )
    parser.add_argument("--index", help="the shared index folder (default ./index)")
    parser.add_argument("--corpus", help="the corpus folder (default ./corpus)")
    parser.add_argument("--model", help="the model (default as serve)")
    parser.add_argument("--print-config", action="store_true", help="print HAProxy's configuration for --server and stop")
    parser.add_argument("--server", action="append", default=[], metavar="HOST:PORT", help="a replica (with --print-config)")
    parser.add_argument("--bind", default="*:80", help="where HAProxy listens (with --print-config; default *:80)")
    parser.add_argument(
        "--rate-limit", type=float, default=RATE_LIMIT, help=f"questions a minute per client (default {RATE_LIMIT:g}; 0: none)"
    )
    parser.add_argument("--rate-burst", type=int, default=RATE_BURST, help=f"questions at once per client (default {RATE_BURST})")
    args = parser.parse_args(argv)
    if args.print_config:
        if not args.server:
            parser.error("--print-config needs at least one --server HOST:PORT")
        print(
            haproxy_config(
                args.server, bind=args.bind, sticky=args.sticky, rate_limit=args.rate_limit, rate_burst=args.rate_burst
            ),
            end="",
        )
        return 0
    serve_args = [
        item for flag in ("index", "corpus", "model") if getattr(args, flag) for item in (f"--{flag}", getattr(args, flag))
    ]
    feedback_db = Path(args.feedback_db) if args.feedback_db else None
    try:
        with running_cluster(
            args.replicas,
            port=args.port,
            sticky=args.sticky,
            serve_args=serve_args,
            feedback_db=feedback_db,
            rate_limit=args.rate_limit,
            rate_burst=args.rate_burst,
        ) as c:
            for replica in c.replicas:
                print(f"replica pid {replica.process.pid} at {replica.url} (log {replica.log})")
            print(f"HAProxy at {c.url} (config {c.folder / 'haproxy.cfg'}); Ctrl-C to stop", flush=True)
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            stop.wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
