"""The account rules a form needs before the database is open (the login is shown before SQLAlchemy
loads): the roles with their Japanese names and the shortest password. core.accounts enforces them."""

from __future__ import annotations

ROLES = ("writer", "reviewer", "admin")
ROLE_LABELS = {"writer": "作成者", "reviewer": "確認者", "admin": "管理者"}
MIN_PASSWORD = 8
