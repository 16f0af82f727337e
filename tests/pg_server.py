"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl in a temporary folder, on a free local
port. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (runuser)."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    candidates += sorted(glob.glob("/usr/local/opt/postgresql*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        if self.bin is None:
            raise PostgresUnavailable("PostgreSQL server programs (initdb, pg_ctl) are not installed")
        self.root = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "postgres"
        self._as_root = os.geteuid() == 0 if hasattr(os, "geteuid") else False
        self._names = itertools.count(1)

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        argv = list(cmd)
        if self._as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresServer:
        if self._as_root:
            shutil.chown(self.root, "postgres")
        proc = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust",
                         "-E", "UTF8", "--locale=C")
        if proc.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {proc.stderr.strip()[:500]}")
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        proc = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l",
                         str(self.root / "log.txt"), "-w", "-t", "60", "start")
        if proc.returncode != 0:
            log = (self.root / "log.txt").read_text(errors="replace") if (self.root / "log.txt").exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {proc.stderr.strip()[:300]} {log[-500:]}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self._admin("SELECT 1")
                return self
            except Exception:
                time.sleep(0.2)
        raise PostgresUnavailable("PostgreSQL did not accept connections")

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                             autocommit=True, connect_timeout=5) as con:
            con.execute(sql)

    def new_database(self) -> str:
        name = f"t{os.getpid()}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
