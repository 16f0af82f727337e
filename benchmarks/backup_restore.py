"""Backup and restore of a database with 10,000 letters: time and file size, per method.

    python benchmarks/backup_restore.py [--letters 10000] [--backend sqlite|postgresql|both]
                                        [--pg-url postgresql+psycopg://user@host/db]

Each letter is created through the workflow (so the audit chain has one signed entry per letter and the
restore's `audit verify --expect` has real work). Without --pg-url, PostgreSQL runs on a throwaway local
server (initdb/pg_ctl, as the tests do); a given database gets letters added: use an empty one, and the
restore goes into a new database `<name>_restored` on the same server.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.review_speed import on_backends  # noqa: E402
from desktop_app.core import accounts  # noqa: E402
from desktop_app.core.context import CheckContext, Facility  # noqa: E402
from desktop_app.core.db import archive, open_database  # noqa: E402
from desktop_app.core.workflow import Services  # noqa: E402

PW = "benchmark-suzuran-4471-kawa"
BODY = "様\n今月は中庭の花壇で朝顔の種をまき、毎朝の水やりを楽しみにされています。\n"


def seed(db, letters: int) -> None:
    svc = Services.open(db, lambda _b, _c: [])
    admin = accounts.add_user(db, "計測 管理者", ["admin", "writer"], PW, None)
    svc.admin.set_facility(Facility(name="ベンチマーク荘"), admin)
    for i in range(letters):
        svc.workflow.create(admin, "monthly_report", f"利用者{i}{BODY}", {}, CheckContext())


def second_url(url: str, folder: Path) -> str:
    if url.startswith("sqlite"):
        return f"sqlite:///{(folder / 'restored.sqlite3').as_posix()}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    name = f"{u.database}_restored"
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        con.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return u.set(database=name).render_as_string(hide_password=False)


def run_on(url: str, letters: int) -> list[tuple[str, float, int, float]]:
    db = open_database(url)
    t0 = time.perf_counter()
    seed(db, letters)
    print(f"  seeded {letters} letters in {time.perf_counter() - t0:.1f} s", flush=True)
    methods = ["sqlite", "logical"] if db.backend == "sqlite" else (["pg_dump"] if archive.shutil.which("pg_dump") else []) + ["logical"]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for method in methods:
            path = Path(tmp) / f"{method}.zip"
            t0 = time.perf_counter()
            archive.backup(db, path, method=method)
            took_backup = time.perf_counter() - t0
            target = second_url(url, Path(tmp))
            t0 = time.perf_counter()
            result = archive.restore(path, target, force=True)
            took_restore = time.perf_counter() - t0
            assert result.verified, result.problem
            out.append((method, took_backup, path.stat().st_size, took_restore))
            if target.startswith("sqlite"):
                Path(target[len("sqlite:///"):]).unlink()
    db.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--letters", type=int, default=10_000)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    ap.add_argument("--pg-url", default="")
    args = ap.parse_args()
    results = on_backends(args.backend, lambda url: run_on(url, args.letters), args.pg_url)
    print(f"\nbackup and restore, {args.letters} letters (restore includes the manifest check and audit verify)")
    print(f"{'engine':<11} {'method':<8} {'backup':>9} {'file':>10} {'restore':>9}")
    for engine, rows in results.items():
        for method, b, size, r in rows:
            print(f"{engine:<11} {method:<8} {b:8.2f}s {size / 1e6:8.2f}MB {r:8.2f}s")


if __name__ == "__main__":
    main()
