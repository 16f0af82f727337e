"""Why the workflow refused an act: one reason code for the CLI's exit status and tests, and a message in
Japanese that the window shows as it is."""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    """Why the workflow refused something. The CLI exits 3 and the window shows `message`."""

    WRONG_PASSWORD = "wrong_password"
    LOCKED = "locked"
    UNKNOWN_USER = "unknown_user"
    MISSING_ROLE = "missing_role"
    SELF_APPROVAL = "self_approval"
    WRONG_STATE = "wrong_state"
    STALE_APPROVAL = "stale_approval"
    NOT_APPROVED = "not_approved"
    HIGH_NOT_ACCEPTED = "high_not_accepted"
    CONFLICT = "conflict"
    NOT_FOUND = "not_found"
    SETUP_REQUIRED = "setup_required"
    BAD_INPUT = "bad_input"
    LAST_ADMIN = "last_admin"
    ACCOUNT_CHANGED = "account_changed"  # stopped, or a role taken away, since this person logged in
    BAD_SIGNATURE = "bad_signature"  # an approval without its approver's valid signature (core/signatures.py)


class WorkflowRefused(Exception):
    def __init__(self, reason: Refusal, message: str, **details):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.details = details
