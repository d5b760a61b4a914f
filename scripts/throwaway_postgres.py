"""A throwaway PostgreSQL server for tests, benchmarks and trying replicas on one machine: Debian's
`postgresql` binaries (`make postgres` installs them), a cluster made by initdb in a temporary
folder, reachable only through a unix socket in that folder, removed when it stops.

    .venv/bin/python scripts/throwaway_postgres.py     # prints a postgresql:// URL; Ctrl-C stops and removes it

PostgreSQL refuses to run as root; as root the server runs as the `postgres` system user that
Debian's package creates (through `runuser`), and the folder is handed to it.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import psycopg

USER = "chatbot"  # the server's superuser (trust authentication over the private socket)


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl (on PATH, or Debian's /usr/lib/postgresql/N/bin); None when absent."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    return next((Path(f) for f in folders if (Path(f) / "initdb").is_file()), None)


def unavailable() -> str:
    """Why a test server cannot be started here ('' when it can)."""
    if binaries() is None:
        return "PostgreSQL is not installed (`make test` installs Debian's postgresql package)"
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            return "running as root without runuser to start PostgreSQL as another user"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run PostgreSQL as"
    return ""


class PostgresServer:
    """One cluster in a temporary folder; `url()` gives a fresh, empty database on it."""

    def __init__(self, *, durable: bool = False) -> None:
        """`durable`: commits wait for the disk, as PostgreSQL's defaults have it (off: faster tests)."""
        self.bin = binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="chatbot-pg-", dir="/tmp" if Path("/tmp").is_dir() else None))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._as = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = ''\nunix_socket_directories = '{self.folder}'\nport = {self.port}\n"
                + ("" if durable else "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
            )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Stop the server (connections are ended, as when an operator stops it)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self) -> str:
        """A new empty database's `postgresql://` URL."""
        name = f"feedback_{next(self._names)}"
        with psycopg.connect(host=str(self.folder), port=self.port, user=USER, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://{USER}@/{name}?host={self.folder}&port={self.port}"

    def destroy(self) -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        done = subprocess.run([*self._as, str(self.bin / program), *args], capture_output=True, text=True, cwd=self.folder)
        if check and done.returncode:
            log = self.log.read_text(errors="replace") if self.log.is_file() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log[-2000:]}")


def _free_port() -> int:
    """A port number no one listens on (it also names the server's socket file)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    reason = unavailable()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    server = PostgresServer()
    try:
        server.start()
        print(server.url(), flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
