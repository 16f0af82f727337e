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
    """ssl=True: the server also speaks TLS, with a self-signed certificate for 127.0.0.1 (self.cert, which
    verify-full takes as its CA file). Without it the server has no TLS, and new_database's URLs say
    sslmode=disable (the app asks for TLS by default)."""

    def __init__(self, ssl: bool = False) -> None:
        self.ssl = ssl
        self.cert: Path | None = None
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
        if self.ssl:
            opts += self._make_certificate()
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

    def _make_certificate(self) -> str:
        """A self-signed certificate (its own CA) for 127.0.0.1 and localhost; the server options that use it."""
        cert, key = self.root / "server.crt", self.root / "server.key"
        proc = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                               "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                               "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise PostgresUnavailable(f"openssl failed: {proc.stderr.strip()[:300]}")
        key.chmod(0o600)
        if self._as_root:
            for p in (cert, key):
                shutil.chown(p, "postgres")
        self.cert = cert
        return f" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                             autocommit=True, connect_timeout=5, sslmode="prefer") as con:
            con.execute(sql)

    def new_database(self, tls: bool = False) -> str:
        """A new empty database's URL: sslmode=disable (stated, as the app asks for TLS by default) unless tls,
        which leaves the app's default (require) on a server started with ssl=True."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"
        return url if tls else url + "?sslmode=disable"

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
