"""The reviewer's queue tick at 10,000 letters: a full re-read against the change watcher's look when nothing changed.

    python benchmarks/queue_refresh.py [--letters 10000] [--repeat 7] [--backend sqlite|postgresql|both]
                                       [--pg-url postgresql+psycopg://user@host/db]

Without --pg-url, PostgreSQL runs on a throwaway local server (initdb/pg_ctl, as the tests do). A given
database gets letters added to it: use an empty one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.review_speed import LETTER, ms, on_backends  # noqa: E402
from desktop_app.core import accounts  # noqa: E402
from desktop_app.core.context import CheckContext, Facility  # noqa: E402
from desktop_app.core.db import open_database  # noqa: E402
from desktop_app.core.db.models import Letter, utcnow  # noqa: E402
from desktop_app.core.workflow import Services  # noqa: E402


def fine(seconds: float) -> str:
    return f"{seconds * 1000:7.3f} ms"  # a watcher look is tens of microseconds: ms() would print 0.0


CHECKS = 200  # watcher looks per figure: each is well under a millisecond, one alone says little


def timed(fn, times: int) -> float:
    """Median seconds of fn() over `times` runs."""
    out = []
    for _ in range(times):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def run(url: str, n_letters: int, repeat: int) -> dict:
    db = open_database(url, backup=False)
    svc = Services.open(db, lambda text, ctx: [])
    admin = accounts.add_user(db, "管理者", ["admin"], "bench-password", None)
    svc.admin.set_facility(Facility(name="特別養護老人ホーム テスト苑"), admin)
    writer = accounts.add_user(db, "作成者", ["writer"], "bench-password", admin)
    ctx = {"recipient": {"name": "山田 一郎"}, "subject": {"name": "山田 花子"}, "sender": {"name": "佐藤 恵"}}
    now = utcnow()
    with db.session() as s:  # in bulk, as review_speed.py fills its queue
        s.execute(Letter.__table__.insert(), [
            {"template_id": "monthly_report", "fields": {}, "context": ctx, "body": LETTER, "status": "submitted",
             "writer_id": writer.id, "last_editor_id": writer.id, "created_at": now, "updated_at": now,
             "submitted_at": now, "high_count": i % 3, "medium_count": i % 2, "version": 1}
            for i in range(n_letters)])
    rows = len(svc.letters.queue())
    watcher = db.watcher()
    watcher.changed()  # the first look always says "changed"
    full = timed(svc.letters.queue, repeat)
    quiet = timed(watcher.changed, CHECKS)
    unchanged = not any(watcher.changed() for _ in range(CHECKS))

    # a second PC writes: the next look must say so, and a tick then costs the look plus one re-read
    other = open_database(url, backup=False)
    Services.open(other, lambda text, ctx: []).workflow.create(writer, "monthly_report", LETTER, {},
                                                               CheckContext.from_dict(ctx))
    other.dispose()
    t0 = time.perf_counter()
    seen = watcher.changed()
    if seen:
        svc.letters.queue()
    after_write = time.perf_counter() - t0
    db.dispose()
    return {"rows": rows, "full": full, "quiet": quiet, "unchanged": unchanged, "seen": seen, "after_write": after_write}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--letters", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--pg-url", default="")
    args = ap.parse_args()
    results = on_backends(args.backend, lambda url: run(url, args.letters, args.repeat), args.pg_url)
    print(f"{'backend':<11} {'queue rows':>10} {'full queue() re-read':>21} {'tick, nothing changed':>22} "
          f"{'quiet looks':>12} {'write seen':>11} {'tick after a write':>19}")
    for name, r in results.items():
        print(f"{name:<11} {r['rows']:>10,} {ms(r['full']):>21} {fine(r['quiet']):>22} "
              f"{'all False' if r['unchanged'] else 'NOT quiet':>12} {'yes' if r['seen'] else 'NO':>11} "
              f"{ms(r['after_write']):>19}")
    print(f"{args.letters:,} letters added to the queue; full re-read: median of {args.repeat}, "
          f"nothing changed: median of {CHECKS} watcher looks. Target: a tick when nothing changed <= 50 ms.")


if __name__ == "__main__":
    main()
