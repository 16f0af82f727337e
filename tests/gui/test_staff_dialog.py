"""職員の管理 and the password change in the window: an administrator adds, changes and stops staff through
the dialog; a new person changes the first password before the window opens; a stopped person cannot log
in; only administrators see 職員の管理; the login asks for 職員名 and offers the active staff only."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QToolButton

from desktop_app.core import accounts, audit
from desktop_app.gui import prompts
from tests.gui.conftest import PASSWORD, answers


@pytest.fixture
def said(monkeypatch):
    out: list[tuple[str, str, str]] = []
    monkeypatch.setattr(prompts, "info", lambda parent, title, text: out.append(("info", title, text)))
    monkeypatch.setattr(prompts, "error", lambda parent, title, text: out.append(("error", title, text)))
    monkeypatch.setattr(prompts, "confirm", lambda parent, title, text, **verbs: out.append(("confirm", title, text)) or True)
    return out


@pytest.fixture
def staff_dialog(qtbot, gui_db, people):
    from desktop_app.gui.staff_dialog import StaffDialog

    dlg = StaffDialog(gui_db, people["admin"])
    qtbot.addWidget(dlg)
    return dlg


def accepted(dlg: QDialog) -> bool:
    return dlg.result() == QDialog.DialogCode.Accepted.value


def names_in(dlg) -> list[str]:
    return [dlg.table.item(i, 0).text() for i in range(dlg.table.rowCount())]


def row_of(dlg, name: str) -> list[str]:
    i = names_in(dlg).index(name)
    return [dlg.table.item(i, j).text() for j in range(dlg.table.columnCount())]


def test_dialog_lists_staff_in_japanese_and_fits_a_small_screen(staff_dialog):
    dlg = staff_dialog
    assert dlg.windowTitle() == "職員の管理"
    assert [dlg.table.horizontalHeaderItem(j).text() for j in range(4)] == ["名前", "役割", "状態", "最終ログイン"]
    assert row_of(dlg, "佐藤 作成") == ["佐藤 作成", "作成者", "有効", "まだありません"]
    assert [b.text() for b in (dlg.add_button, dlg.roles_button, dlg.deactivate_button, dlg.reset_button)] == [
        "職員を追加…", "役割を変更…", "利用停止にする", "パスワードを再設定…"]
    assert dlg.width() <= 1024 and dlg.height() <= 768
    assert dlg.minimumSizeHint().width() <= 1024 and dlg.minimumSizeHint().height() <= 768
    assert not dlg.roles_button.isEnabled()  # nothing chosen yet
    dlg.select("山本 施設長")
    assert dlg.roles_button.isEnabled() and not dlg.deactivate_button.isEnabled()  # not oneself


def test_admin_adds_a_person_who_must_change_the_password_at_first_login(staff_dialog, gui_db, monkeypatch, qtbot):
    from desktop_app.gui.account_dialogs import run_login
    from desktop_app.gui.account_forms import StaffForm

    typed = [("佐藤 作成", {"writer"}, "hajime-123-kiku-4827", "hajime-123-kiku-4827"),  # a name already taken: core refuses
             ("鈴木 新人", {"writer", "reviewer"}, "hajime-123-kiku-4827", "hajime-999-kiku-4827")]  # a typo, fixed in the form
    asked = []

    def fill_the_form(parent, values=None, message=""):
        """The real form, filled as a person would; its own check keeps it open on a mismatch."""
        asked.append((values, message))
        form = StaffForm(values, message, parent)
        qtbot.addWidget(form)
        name, roles, pw, pw2 = typed.pop(0)
        form.name.setText(name)
        for role, box in form.role_boxes.items():
            box.setChecked(role in roles)
        form.password.setText(pw)
        form.password2.setText(pw2)
        form.accept()
        if not accepted(form):
            assert "一致しません" in form.message.text()
            form.password2.setText(pw)
            form.accept()
        assert accepted(form)
        return form.values()

    monkeypatch.setattr(prompts, "ask_new_staff", fill_the_form)
    staff_dialog.add_staff()
    assert "すでに登録されています" in asked[1][1] and asked[1][0]["name"] == "佐藤 作成"  # entries kept
    assert row_of(staff_dialog, "鈴木 新人")[1:3] == ["作成者・確認者", "有効"]
    assert "パスワード変更待ち" in row_of(staff_dialog, "鈴木 新人")[3]
    assert "追加しました" in staff_dialog.status.text()
    assert [(e.actor, e.action) for e in audit.entries(gui_db)][-1] == ("山本 施設長", "user_added")

    # the first login: the password must be changed before the window opens
    answers(monkeypatch, "ask_login", [("鈴木 新人", "hajime-123-kiku-4827")])
    changes = answers(monkeypatch, "ask_change_password", [("", "mijikai", "mijikai"),
                                                           ("", "hajime-123-kiku-4827", "hajime-123-kiku-4827"),
                                                           ("", "jibun-no-pw", "jibun-no-pw")])
    actor = run_login(None, gui_db)
    assert actor is not None and actor.name == "鈴木 新人" and not actor.must_change_password
    assert changes[0] == ("鈴木 新人", True, "")  # forced: the current password is not asked again
    assert "10文字以上" in changes[1][2] and "違うもの" in changes[2][2]
    assert accounts.authenticate(gui_db, "鈴木 新人", "jibun-no-pw").must_change_password is False


def test_cancelling_the_forced_change_is_not_logging_in(gui_db, people, monkeypatch, qtbot):
    from desktop_app.gui.account_dialogs import run_login

    accounts.add_user(gui_db, "鈴木 新人", ["writer"], "hajime-123-kiku-4827", people["admin"])
    answers(monkeypatch, "ask_login", [("鈴木 新人", "hajime-123-kiku-4827")])
    answers(monkeypatch, "ask_change_password", [None])
    assert run_login(None, gui_db) is None
    assert accounts.authenticate(gui_db, "鈴木 新人", "hajime-123-kiku-4827").must_change_password  # still to be changed


def test_deactivated_person_cannot_log_in_and_is_not_offered(staff_dialog, gui_db, said, monkeypatch, qtbot):
    from desktop_app.gui.account_dialogs import run_login

    staff_dialog.select("佐藤 作成")
    staff_dialog.deactivate_button.click()
    confirm = [s for s in said if s[0] == "confirm"][0]
    assert "佐藤 作成" in confirm[2] and "手紙や記録はそのまま残ります" in confirm[2]
    assert row_of(staff_dialog, "佐藤 作成")[2] == "無効"
    assert staff_dialog.reactivate_button.isEnabled() and not staff_dialog.deactivate_button.isEnabled()

    logins = answers(monkeypatch, "ask_login", [("佐藤 作成", PASSWORD)])
    assert run_login(None, gui_db) is None  # refused, then the login was closed
    assert logins[1][2] == "職員名またはパスワードが違います。"
    assert "佐藤 作成" not in logins[0][0] and "田中 確認" in logins[0][0]


def test_roles_change_and_the_last_administrator_is_kept(staff_dialog, gui_db, said, monkeypatch):
    staff_dialog.select("田中 確認")
    answers(monkeypatch, "ask_roles", [{"reviewer", "writer"}])
    staff_dialog.roles_button.click()
    assert row_of(staff_dialog, "田中 確認")[1] == "作成者・確認者"

    staff_dialog.select("山本 施設長")
    asked = answers(monkeypatch, "ask_roles", [{"writer", "reviewer"}])
    staff_dialog.roles_button.click()
    assert asked[0][1] == {"admin", "writer", "reviewer"}  # the form starts from the current roles
    assert said[-1][0] == "error" and "管理者がいなくなる" in said[-1][2]
    assert "管理者" in row_of(staff_dialog, "山本 施設長")[1]


def test_reset_password_then_the_person_must_change_it(staff_dialog, gui_db, monkeypatch):
    staff_dialog.select("田中 確認")
    asked = answers(monkeypatch, "ask_new_password", [("karini", "karini"), ("karini-pass-kiku-4827", "karini-pass-kiku-4827")])
    staff_dialog.reset_button.click()
    assert "10文字以上" in asked[1][1]  # too short: asked again in the form
    assert accounts.authenticate(gui_db, "田中 確認", "karini-pass-kiku-4827").must_change_password
    assert "再設定しました" in staff_dialog.status.text()


def test_only_administrators_see_staff_management(make_window, monkeypatch):
    writer = make_window("writer")
    admin = make_window("admin")
    assert not writer.actions.staff_action.isVisible() and admin.actions.staff_action.isVisible()
    assert writer.actions.staff_action.text() == "職員の管理…"
    file_menu = next(a.menu() for a in admin.menuBar().actions() if a.text() == "ファイル")
    texts = [a.text() for a in file_menu.actions()]
    assert "職員の管理…" in texts and "パスワードを変更…" in texts
    more = admin.findChild(QToolButton, "moreButton")
    assert {"職員の管理…", "パスワードを変更…"} <= {a.text() for a in more.menu().actions()}

    from desktop_app.gui.staff_dialog import StaffDialog

    opened = []
    monkeypatch.setattr(StaffDialog, "exec", lambda dlg: opened.append((dlg.actor, names_in(dlg))) or 0)
    writer.controller.open_staff()
    assert opened == []  # a writer who reached it some other way is not let in
    admin.actions.staff_action.trigger()
    assert opened[0][0] == admin.controller.actor and "佐藤 作成" in opened[0][1]


def test_everyone_changes_their_own_password_from_the_window(make_window, gui_db, monkeypatch):
    w = make_window("writer")
    asked = answers(monkeypatch, "ask_change_password", [("machigai", "atarashii-1-kiku-4827", "atarashii-1-kiku-4827"),
                                                        (PASSWORD, "atarashii-1-kiku-4827", "atarashii-1-kiku-4827")])
    w.actions.password_action.trigger()
    assert asked[0] == ("佐藤 作成", False, "") and "今のパスワードが違います" in asked[1][2]
    assert accounts.authenticate(gui_db, "佐藤 作成", "atarashii-1-kiku-4827").name == "佐藤 作成"
    assert [e.action for e in audit.entries(gui_db)].count("password_changed") == 1


def test_login_asks_for_the_staff_name_and_completes_active_names(qtbot, gui_db, people):
    from desktop_app.gui.account_forms import ChangePasswordDialog, LoginDialog

    accounts.deactivate(gui_db, "田中 確認", people["admin"])
    names = [u.name for u in accounts.list_users(gui_db)]
    dlg = LoginDialog(names)
    qtbot.addWidget(dlg)
    form = dlg.findChild(QFormLayout)
    assert form.labelForField(dlg.name).text() == "職員名"
    assert any("職員名とパスワード" in label.text() for label in dlg.findChildren(QLabel))
    offered = dlg.name.completer().model().stringList()
    assert sorted(offered) == ["佐藤 作成", "山本 施設長"]
    dlg.name.completer().setCompletionPrefix("佐藤")
    assert dlg.name.completer().currentCompletion() == "佐藤 作成"

    forced = ChangePasswordDialog("佐藤 作成", forced=True)
    qtbot.addWidget(forced)
    assert forced.windowTitle() == "パスワードの変更" and forced.findChild(QFormLayout).labelForField(forced.old) is None
    forced.new.setText("atarashii-1-kiku-4827")
    forced.new2.setText("atarashii-2-kiku-4827")
    forced.accept()
    assert not accepted(forced) and "一致しません" in forced.message.text()


def test_the_window_opens_only_after_the_forced_change(qtbot, engine, gui_db, people, monkeypatch):
    from desktop_app.gui.app import create_window
    from desktop_app.gui.check_dispatcher import CheckDispatcher

    accounts.add_user(gui_db, "鈴木 新人", ["writer"], "hajime-123-kiku-4827", people["admin"])
    answers(monkeypatch, "ask_login", [("鈴木 新人", "hajime-123-kiku-4827")])
    answers(monkeypatch, "ask_change_password", [None])  # closed: not logged in, no window
    assert create_window(CheckDispatcher(engine=engine, delay_ms=50), db=gui_db) is None

    answers(monkeypatch, "ask_login", [("鈴木 新人", "hajime-123-kiku-4827")])
    changed = answers(monkeypatch, "ask_change_password", [("", "jibun-no-pw", "jibun-no-pw")])
    w = create_window(CheckDispatcher(engine=engine, delay_ms=50), db=gui_db)
    try:
        assert w is not None and w.controller.actor.name == "鈴木 新人" and len(changed) == 1
        assert not w.controller.actor.must_change_password
        assert not w.actions.staff_action.isVisible() and w.actions.password_action.isEnabled()
    finally:
        w._closing_ok = True
        w.close()
