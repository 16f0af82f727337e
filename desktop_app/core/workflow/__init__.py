"""The review workflow, split by responsibility: transitions and the export gate (Workflow), reading
letters (LetterQueries), and the facility's administration (Administration), over one unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.core.db import Database
from desktop_app.core.workflow.admin import Administration
from desktop_app.core.workflow.queries import LetterQueries
from desktop_app.core.workflow.transitions import Checker, ExportTicket, Workflow

__all__ = ["Administration", "Checker", "ExportTicket", "LetterQueries", "Services", "Workflow"]


@dataclass
class Services:
    """The workflow's three parts over one database, as the window and the CLI hold them."""

    db: Database
    workflow: Workflow
    letters: LetterQueries
    admin: Administration

    @classmethod
    def open(cls, db: Database, checker: Checker) -> Services:
        """The workflow over `db`; an export a crash left pending is marked failed first (see
        Workflow.recover_exports): a file on disk is never without its record. A letter approved without a
        signature (before the upgrade to signing keys) goes back to the reviewers' queue
        (Workflow.reopen_unsigned_approvals)."""
        letters = LetterQueries(db)
        services = cls(db, Workflow(db, checker, letters), letters, Administration(db))
        services.workflow.recover_exports()
        services.workflow.reopen_unsigned_approvals()
        return services

    @property
    def checker(self) -> Checker:
        return self.workflow.checker
