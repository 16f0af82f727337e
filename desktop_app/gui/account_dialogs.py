"""The first start (facility profile, first administrator), the login and the password change, asked through
prompts until right."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from desktop_app.core import accounts
from desktop_app.core.accounts import Actor
from desktop_app.core.context import facility_from_dict
from desktop_app.core.db import Database
from desktop_app.core.errors import WorkflowRefused
from desktop_app.core.workflow import Services
from desktop_app.gui import prompts


def run_setup(parent: QWidget | None, services: Services, defaults: dict | None = None) -> Actor | str | None:
    """Ask until the facility profile and the first administrator exist. Returns the new administrator's
    name (to prefill the login), the logged-in administrator when only the profile was missing, or None
    when cancelled."""
    db = services.db
    need_admin = accounts.user_count(db) == 0
    if not need_admin:
        # accounts exist (added on the command line) but no profile yet: an administrator enters it
        prompts.info(parent, "施設情報が未登録です", "施設情報がまだ登録されていません。管理者がログインして登録してください。")
        actor = run_login(parent, db)
        if actor is None:
            return None
        if not actor.has("admin"):
            prompts.error(parent, "施設情報が未登録です", "施設情報を登録できるのは管理者だけです。管理者に依頼してください。")
            return None
    message = ""
    while True:
        values = prompts.ask_setup(parent, defaults or {}, need_admin, message)
        if values is None:
            return None
        if need_admin and values.get("password") != values.get("password2"):
            message = "2回入力したパスワードが一致しません。"
            continue
        try:
            if need_admin:
                services.admin.set_facility(facility_from_dict(values["facility"]), None)
                admin = accounts.add_user(db, values["name"], set(values.get("roles") or ()) | {"admin"},
                                          values["password"], None)
                return admin.name
            services.admin.set_facility(facility_from_dict(values["facility"]), actor)
            return actor
        except WorkflowRefused as exc:
            message = exc.message


def run_login(parent: QWidget | None, db: Database, name: str = "", message: str = "") -> Actor | None:
    """Ask for 職員名 and password until they are right; wrong passwords and the 30 s lock are explained.
    A password an administrator gave must be changed before the window opens: cancelling that is not
    logging in. message: why the login asked before the database was open (gui/login_worker.py) did not
    get in."""
    users = [u.name for u in accounts.list_users(db)]
    while True:
        creds = prompts.ask_login(parent, users, name, message)
        if creds is None:
            return None
        name, password = creds
        try:
            actor = accounts.authenticate(db, name, password)
        except WorkflowRefused as exc:
            message = exc.message
            continue
        return after_login(parent, db, actor, password)


def after_login(parent: QWidget | None, db: Database, actor: Actor, password: str) -> Actor | None:
    """A password an administrator gave (first or reset) is changed before the window opens; None when the
    person cancels the change, which is not logging in."""
    if not actor.must_change_password:
        return actor
    return run_change_password(parent, db, actor, forced_old=password)


def run_change_password(parent: QWidget | None, db: Database, actor: Actor,
                        forced_old: str | None = None) -> Actor | None:
    """パスワードの変更 until it is done (the new Actor) or cancelled (None). `forced_old` is the password just
    given at the login: then the change is forced and the current password is not asked again."""
    forced = forced_old is not None
    message = ""
    while True:
        values = prompts.ask_change_password(parent, actor.name, forced, message)
        if values is None:
            return None
        old, new, again = values
        if new != again:
            message = "2回入力したパスワードが一致しません。"
            continue
        try:
            return accounts.change_password(db, actor, forced_old if forced else old, new)
        except WorkflowRefused as exc:
            message = exc.message
