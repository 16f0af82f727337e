"""The facility's administration of the workflow: its profile, the approval policy, how long letters are
kept, and the purge of letters past that time. Changes need the administrator's role."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, text

from desktop_app.core.accounts import Actor
from desktop_app.core.context import Facility, facility_from_dict, facility_to_dict
from desktop_app.core.db import Database
from desktop_app.core.db.models import (
    Approval,
    Comment,
    Export,
    Letter,
    LetterSource,
    LetterVersion,
    Mark,
    User,
    utcnow,
)
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.workflow.state import DEFAULT_RETENTION_DAYS, POLICIES, Status
from desktop_app.core.workflow.uow import UnitOfWork, unit_of_work


def policy_in(u: UnitOfWork) -> str:
    p = u.setting("policy", "always")
    return p if p in POLICIES else "always"


def setup_needed_in(u: UnitOfWork) -> bool:
    """True until the facility profile and the first administrator exist: no letter before that."""
    users = u.s.scalar(select(func.count()).select_from(User).where(User.active.is_(True))) or 0
    return users == 0 or not facility_from_dict(u.setting("facility", {})).name


def _delete_records(u: UnitOfWork, ids: list[int]) -> None:
    """Approvals and exports are append-only (migration 0006): the purge is the one way past the triggers.
    PostgreSQL: the SECURITY DEFINER function careletter_purge, which the app's role may only execute.
    SQLite: a token row for the length of this transaction."""
    if u.s.get_bind().dialect.name == "postgresql":
        u.s.execute(text("SELECT careletter_purge(CAST(:ids AS integer[]))"), {"ids": list(ids)})
        return
    u.s.execute(text("INSERT INTO purge_token (id) VALUES (1)"))
    for table in (Approval, Export):
        u.s.execute(delete(table).where(table.letter_id.in_(ids)))
    u.s.execute(text("DELETE FROM purge_token"))


class Administration:
    def __init__(self, db: Database):
        self.db = db

    # ---- the facility ------------------------------------------------------------------
    def facility(self) -> Facility:
        with unit_of_work(self.db) as u:
            return facility_from_dict(u.setting("facility", {}))

    def setup_needed(self) -> bool:
        """True until the facility profile and the first administrator exist: no letter before that."""
        with unit_of_work(self.db) as u:
            return setup_needed_in(u)

    def set_facility(self, profile: Facility, by: Actor | None) -> None:
        if not profile.name.strip():
            raise WorkflowRefused(Refusal.BAD_INPUT, "施設名を入力してください。")
        with unit_of_work(self.db) as u:
            has_users = (u.s.scalar(select(func.count()).select_from(User)) or 0) > 0
            if has_users and (by is None or not by.has("admin")):
                raise WorkflowRefused(Refusal.MISSING_ROLE, "施設情報を変更できるのは管理者だけです。")
            u.set_setting("facility", facility_to_dict(profile))
            u.record(by or "setup", "facility_set")

    # ---- the approval policy -------------------------------------------------------------
    def policy(self) -> str:
        with unit_of_work(self.db) as u:
            return policy_in(u)

    def set_policy(self, policy: str, by: Actor) -> None:
        if policy not in POLICIES:
            raise WorkflowRefused(Refusal.BAD_INPUT, f"承認ルールは {' / '.join(POLICIES)} から選んでください。")
        if not by.has("admin"):
            raise WorkflowRefused(Refusal.MISSING_ROLE, "承認ルールを変更できるのは管理者だけです。")
        with unit_of_work(self.db) as u:
            old = u.setting("policy", "always")
            u.set_setting("policy", policy)
            u.record(by, "policy_change", detail=f"{old} -> {policy}")

    # ---- the export folder ----------------------------------------------------------------
    def export_folder(self) -> str:
        """Where every PC's save dialog opens for exports (a shared folder of the facility); "" = Documents."""
        with unit_of_work(self.db) as u:
            v = u.setting("export_folder", "")
        return v if isinstance(v, str) else ""

    def set_export_folder(self, folder: str, by: Actor) -> None:
        if not by.has("admin"):
            raise WorkflowRefused(Refusal.MISSING_ROLE, "書き出し先フォルダーを変更できるのは管理者だけです。")
        folder = folder.strip()
        with unit_of_work(self.db) as u:
            u.set_setting("export_folder", folder)
            u.record(by, "export_folder_change", detail=folder)

    # ---- retention -------------------------------------------------------------------------
    def retention_days(self) -> int:
        with unit_of_work(self.db) as u:
            v = u.setting("retention_days", DEFAULT_RETENTION_DAYS)
        return v if isinstance(v, int) and v > 0 else DEFAULT_RETENTION_DAYS

    def set_retention_days(self, days: int, by: Actor) -> None:
        if not by.has("admin"):
            raise WorkflowRefused(Refusal.MISSING_ROLE, "保存期間を変更できるのは管理者だけです。")
        if not isinstance(days, int) or not 1 <= days <= 3650:
            raise WorkflowRefused(Refusal.BAD_INPUT, "保存期間は1〜3650日で指定してください。")
        with unit_of_work(self.db) as u:
            u.set_setting("retention_days", days)
            u.record(by, "retention_change", detail=str(days))

    def purge_expired(self, now=None) -> int:
        """Delete letters sent (送付済み) or left untouched (abandoned drafts) for longer than the
        retention period, with their versions, marks, comments, approvals and stored Word originals. The audit log keeps only
        their hashes. On SQLite the file is then vacuumed and the letters are removed from every backup
        too (Database.scrub_after_purge; the audit entry says so). Returns how many letters were deleted."""
        cutoff = (now or utcnow()) - dt.timedelta(days=self.retention_days())
        with unit_of_work(self.db) as u:
            rows = u.s.execute(select(Letter.id, Letter.body).where(
                Letter.updated_at < cutoff,
                Letter.status.in_([Status.EXPORTED.value, Status.DRAFT.value, Status.RETURNED.value]))).all()
            ids = [r.id for r in rows]
            if ids:
                _delete_records(u, ids)
                for table in (LetterVersion, Mark, Comment, LetterSource):  # a Word letter's original too
                    u.s.execute(delete(table).where(table.letter_id.in_(ids)))
                u.s.execute(delete(Letter).where(Letter.id.in_(ids)))
            for r in rows:
                u.record("system", "retention_purge", r.id, r.body, detail=self.db.purge_note())
        if ids:
            self.db.scrub_after_purge(ids)
        return len(ids)
