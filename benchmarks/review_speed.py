"""Speed of the review workflow on SQLite and on PostgreSQL: submit, approve, the reviewer's queue of
10,000 letters, and `audit verify` over 100,000 entries.

    python benchmarks/review_speed.py [--letters 10000] [--audit 100000] [--backend sqlite|postgresql|both]

Submit and approve run the check with the pattern rules only (the model's own time is in check_speed.py);
the figures are the workflow's database work around it. PostgreSQL runs on a throwaway local server
(initdb/pg_ctl, as the tests do).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app.core import accounts, audit  # noqa: E402
from desktop_app.core.checks.runner import CheckRunner  # noqa: E402
from desktop_app.core.context import CheckContext, Facility  # noqa: E402
from desktop_app.core.db import open_database  # noqa: E402
from desktop_app.core.db.models import AuditEntry, AuditHead, Letter, utcnow  # noqa: E402
from desktop_app.core.workflow import Services  # noqa: E402

LETTER = ("山田 一郎 様\n\n拝啓　晩秋の候、ますますご清祥のこととお喜び申し上げます。\n"
          "さて、今月の花子様のご様子をお知らせいたします。食事もよく召し上がり、お元気に過ごされています。\n"
          "敬具\n\n令和8年11月22日\n特別養護老人ホーム テスト苑\n生活相談員　佐藤 恵\n")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def run(url: str, n_letters: int, n_audit: int) -> dict:
    db = open_database(url, backup=False)
    runner = CheckRunner(None)
    svc = Services.open(db, lambda text, ctx: runner.check(text, ctx))
    admin = accounts.add_user(db, "管理者", ["admin"], "bench-password", None)
    svc.admin.set_facility(Facility(name="特別養護老人ホーム テスト苑"), admin)
    writer = accounts.add_user(db, "作成者", ["writer"], "bench-password", admin)
    reviewer = accounts.add_user(db, "確認者", ["reviewer"], "bench-password", admin)
    ctx = {"recipient": {"name": "山田 一郎"}, "subject": {"name": "山田 花子"}, "sender": {"name": "佐藤 恵"}}
    submit_t, approve_t = [], []
    for _ in range(30):
        lid = svc.workflow.create(writer, "monthly_report", LETTER, {}, CheckContext.from_dict(ctx)).id
        t0 = time.perf_counter()
        svc.workflow.submit(writer, lid)
        submit_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        svc.workflow.approve(reviewer, lid)
        approve_t.append(time.perf_counter() - t0)

    # the queue: n_letters awaiting review, inserted in bulk
    now = utcnow()
    with db.session() as s:
        s.execute(Letter.__table__.insert(), [
            {"template_id": "monthly_report", "fields": {}, "context": ctx, "body": LETTER, "status": "submitted",
             "writer_id": writer.id, "last_editor_id": writer.id, "created_at": now, "updated_at": now,
             "submitted_at": now, "high_count": i % 3, "medium_count": i % 2, "version": 1}
            for i in range(n_letters)])
    queue_t = []
    for _ in range(5):
        t0 = time.perf_counter()
        q = svc.letters.queue()
        queue_t.append(time.perf_counter() - t0)
    assert len(q) >= n_letters

    # the audit log: a valid chain of n_audit entries, written in bulk, then verified
    with db.session() as s:
        head = s.get(AuditHead, 1)
        prev, rows = head.last_hash, []
        for i in range(n_audit):
            at = audit.now_text()
            h = audit._entry_hash(prev, at, "作成者", "edit", i, "a" * 64, "")
            rows.append({"at": at, "actor": "作成者", "action": "edit", "letter_id": i, "text_hash": "a" * 64,
                         "detail": "", "prev_hash": prev, "hash": h})
            prev = h
        s.execute(AuditEntry.__table__.insert(), rows)
        last_id = s.scalar(AuditEntry.__table__.select().with_only_columns(AuditEntry.id).order_by(
            AuditEntry.id.desc()).limit(1))
        head.last_id, head.last_hash = last_id, prev
    t0 = time.perf_counter()
    result = audit.verify(db)
    verify_t = time.perf_counter() - t0
    assert result.ok, result
    db.dispose()
    return {"submit": statistics.median(submit_t), "submit_max": max(submit_t),
            "approve": statistics.median(approve_t), "approve_max": max(approve_t),
            "queue": statistics.median(queue_t), "verify": verify_t, "entries": result.checked}


def on_backends(backend: str, run_on, pg_url: str = "") -> dict:
    """run_on(url) on a fresh SQLite file and/or PostgreSQL (pg_url, else a throwaway server of the test
    suite's), with password hashing made cheap since it is not what is measured; results by backend name."""
    from argon2 import PasswordHasher

    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if backend in ("sqlite", "both"):
            results["SQLite"] = run_on(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        if backend in ("postgresql", "both") and pg_url:
            results["PostgreSQL"] = run_on(pg_url)
        elif backend in ("postgresql", "both"):
            from tests.pg_server import PostgresServer, PostgresUnavailable

            try:
                server = PostgresServer().start()
            except PostgresUnavailable as exc:
                print(f"PostgreSQL: not measured ({exc})")
            else:
                try:
                    results["PostgreSQL"] = run_on(server.new_database())
                finally:
                    server.stop()
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--letters", type=int, default=10_000)
    ap.add_argument("--audit", type=int, default=100_000)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = ap.parse_args()
    results = on_backends(args.backend, lambda url: run(url, args.letters, args.audit))
    print(f"{'backend':<11} {'submit (median/max)':>22} {'approve (median/max)':>22} "
          f"{'queue of ' + str(args.letters):>16} {'audit verify':>14}")
    for name, r in results.items():
        print(f"{name:<11} {ms(r['submit'])} /{ms(r['submit_max'])} {ms(r['approve'])} /{ms(r['approve_max'])} "
              f"{ms(r['queue']):>16} {r['verify']:10.2f} s ({r['entries']:,} entries)")
    print("targets: submit and approve <= 50 ms each; queue of 10,000 <= 200 ms; audit verify of 100,000 <= 5 s")


if __name__ == "__main__":
    main()
