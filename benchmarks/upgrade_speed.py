"""The upgrade from the oldest schema (0001: the drafts database before the review workflow) to head, with
10,000 letters: the time the app's own start takes to migrate (open_database), and the database's size
before and after.

    python benchmarks/upgrade_speed.py [--letters 10000] [--backend sqlite|postgresql|both]
                                       [--pg-url postgresql+psycopg://user@host/db]

SQLite by default; PostgreSQL with --pg-url (an empty database: it is filled), or --backend postgresql on a
throwaway local server (initdb/pg_ctl, as the tests do). The SQLite time includes the backup the app takes
before it migrates (a copy of the file), as a facility's first start after updating does.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.review_speed import on_backends  # noqa: E402
from desktop_app.core.db import open_database  # noqa: E402
from tests.core import old_schemas  # noqa: E402


def size_mb(url: str) -> float:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        path = Path(u.database)
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists()) / 1e6
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar() / 1e6
    finally:
        engine.dispose()


def measure(letters: int):
    def run_on(url: str) -> dict:
        old_schemas.build(url, "0001", drafts=letters)
        before = size_mb(url)
        start = time.perf_counter()
        db = open_database(url)
        seconds = time.perf_counter() - start
        with db.session(write=False) as s:
            count = s.execute(text("SELECT count(*) FROM letters")).scalar()
        db.dispose()
        if count != letters:
            raise SystemExit(f"the upgrade kept {count} of {letters} letters")
        return {"seconds": seconds, "before_mb": before, "after_mb": size_mb(url), "letters": count}
    return run_on


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--letters", type=int, default=10_000)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default=None)
    ap.add_argument("--pg-url", default="")
    args = ap.parse_args(argv)
    backend = args.backend or ("both" if args.pg_url else "sqlite")
    results = on_backends(backend, measure(args.letters), args.pg_url)
    for name, r in results.items():
        print(f"{name}: upgrade 0001 -> head of {r['letters']:,} letters: {r['seconds']:.2f} s; "
              f"size {r['before_mb']:.1f} MB before, {r['after_mb']:.1f} MB after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
