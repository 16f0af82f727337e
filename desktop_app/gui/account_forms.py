"""The account dialogs (widgets only): first start, login, password change and the forms of 職員の管理;
prompts shows them, account_dialogs and staff_dialog run the flows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.account_rules import (
    MIN_PASSWORD,
    ROLE_LABELS,
    ROLES,
    name_problem,
    normalize_name,
    password_problem,
)

FACILITY_FIELDS = (("name", "施設名 *"), ("address", "所在地"), ("phone", "電話番号"), ("fax", "FAX"),
                   ("email", "メールアドレス"))


def _message_label(message: str) -> QLabel:
    label = QLabel(message)
    label.setObjectName("message")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00000;")
    label.setVisible(bool(message))
    return label


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.button(QDialogButtonBox.Ok).setText(ok_text)
    buttons.button(QDialogButtonBox.Cancel).setText("キャンセル")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def _password_problem(new: str, again: str, names: tuple[str, ...] = ()) -> str:
    """The core's rule (account_rules.password_problem), said in the form before the database refuses it;
    `names` are the facility's and the person's names when the form knows them."""
    if new != again:
        return "2回入力したパスワードが一致しません。"
    return password_problem(new, names)


class _CheckedDialog(QDialog):
    """A form that says what is wrong in red instead of closing while problem() has something to say."""

    def problem(self) -> str:
        return ""

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.message.setText(problem)
            self.message.setVisible(True)
            return
        super().accept()


class SetupDialog(_CheckedDialog):
    """施設情報 and the first 管理者. Until both exist no letter can be written."""

    def __init__(self, defaults: dict, need_admin: bool = True, message: str = "", parent: QWidget | None = None):

        super().__init__(parent)
        self.setWindowTitle("はじめての設定")
        self.need_admin = need_admin
        layout = QVBoxLayout(self)
        intro = QLabel("お手紙を作成する前に、施設の情報と最初の管理者を登録してください。"
                       if need_admin else "お手紙を作成する前に、施設の情報を登録してください。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.message = _message_label(message)
        layout.addWidget(self.message)

        fac_box = QGroupBox("施設情報")
        fac_form = QFormLayout(fac_box)
        self.facility: dict[str, QLineEdit] = {}
        for key, label in FACILITY_FIELDS:
            edit = QLineEdit(str(defaults.get(key, "") or ""))
            edit.setObjectName(f"facility_{key}")
            self.facility[key] = edit
            fac_form.addRow(label, edit)
        layout.addWidget(fac_box)

        self.admin_box = QGroupBox("最初の管理者")
        form = QFormLayout(self.admin_box)
        self.name = QLineEdit()
        self.name.setPlaceholderText("例：施設長 山本")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.Password)
        self.password2 = QLineEdit()
        self.password2.setEchoMode(QLineEdit.Password)
        form.addRow("お名前 *", self.name)
        form.addRow(f"パスワード（{MIN_PASSWORD}文字以上） *", self.password)
        form.addRow("パスワード（確認） *", self.password2)
        roles = QWidget()
        h = QHBoxLayout(roles)
        h.setContentsMargins(0, 0, 0, 0)
        self.role_boxes: dict[str, QCheckBox] = {}
        for role in ROLES:
            box = QCheckBox(ROLE_LABELS[role])
            box.setChecked(True)
            box.setEnabled(role != "admin")  # the first account must administer
            self.role_boxes[role] = box
            h.addWidget(box)
        form.addRow("役割", roles)
        self.admin_box.setVisible(need_admin)
        layout.addWidget(self.admin_box)
        layout.addWidget(_buttons(self, "登録"))

    def problem(self) -> str:
        """What is still wrong with the entries ("" when they can be sent)."""

        if not self.facility["name"].text().strip():
            return "施設名を入力してください。"
        if self.need_admin:
            if not self.name.text().strip():
                return "管理者のお名前を入力してください。"
            name = normalize_name(self.name.text())
            return name_problem(name) or _password_problem(
                self.password.text(), self.password2.text(), (self.facility["name"].text(), name))
        return ""

    def values(self) -> dict:
        return {"facility": {k: e.text().strip() for k, e in self.facility.items()},
                "name": self.name.text().strip(), "password": self.password.text(),
                "password2": self.password2.text(),
                "roles": {r for r, box in self.role_boxes.items() if box.isChecked()}}


class LoginDialog(QDialog):
    """職員名 (completed from the active staff) and password."""

    def __init__(self, users: list[str], name: str = "", message: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("ログイン")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("お手紙作成・チェック：職員名とパスワードを入力してください。"))
        self.message = _message_label(message)
        layout.addWidget(self.message)
        form = QFormLayout()
        self.name = QLineEdit(name)
        self.name.setObjectName("login_name")
        if users:
            completer = QCompleter(users, self)
            completer.setCaseSensitivity(Qt.CaseInsensitive)
            completer.setFilterMode(Qt.MatchContains)  # 「佐藤」 or 「花子」 both find 佐藤 花子
            self.name.setCompleter(completer)
            if not name and len(users) == 1:
                self.name.setText(users[0])
        self.password = QLineEdit()
        self.password.setObjectName("login_password")
        self.password.setEchoMode(QLineEdit.Password)
        form.addRow("職員名", self.name)
        form.addRow("パスワード", self.password)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "ログイン"))
        (self.password if self.name.text() else self.name).setFocus()

    def credentials(self) -> tuple[str, str]:
        return self.name.text().strip(), self.password.text()


def _password_edit(name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.Password)
    return edit


class ChangePasswordDialog(_CheckedDialog):
    """パスワードの変更: everyone for themselves. Forced after a first or reset password: the password just
    typed at the login is the current one, so only the new one is asked for, and cancelling logs out."""

    def __init__(self, name: str, forced: bool = False, message: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.forced = forced
        self.setWindowTitle("パスワードの変更")
        layout = QVBoxLayout(self)
        intro = QLabel(f"{name} さん：管理者が決めたパスワードでログインしました。ご自分だけが知っているパスワードに"
                       "変更してください（変更するまでお使いいただけません）。" if forced
                       else f"{name} さんのパスワードを変更します。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.message = _message_label(message)
        layout.addWidget(self.message)
        form = QFormLayout()
        self.old = _password_edit("old_password")
        if not forced:
            form.addRow("今のパスワード", self.old)
        self.new = _password_edit("new_password")
        self.new2 = _password_edit("new_password2")
        form.addRow(f"新しいパスワード（{MIN_PASSWORD}文字以上）", self.new)
        form.addRow("新しいパスワード（確認）", self.new2)
        layout.addLayout(form)
        buttons = _buttons(self, "変更する")
        if forced:
            buttons.button(QDialogButtonBox.Cancel).setText("ログインをやめる")
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        (self.new if forced else self.old).setFocus()

    def problem(self) -> str:
        if not self.forced and not self.old.text():
            return "今のパスワードを入力してください。"
        return _password_problem(self.new.text(), self.new2.text())

    def values(self) -> tuple[str, str, str]:
        return self.old.text(), self.new.text(), self.new2.text()


def _role_boxes(checked: set[str]) -> tuple[QWidget, dict[str, QCheckBox]]:
    row = QWidget()
    h = QHBoxLayout(row)
    h.setContentsMargins(0, 0, 0, 0)
    boxes: dict[str, QCheckBox] = {}
    for role in ROLES:
        box = QCheckBox(ROLE_LABELS[role])
        box.setObjectName(f"role_{role}")
        box.setChecked(role in checked)
        boxes[role] = box
        h.addWidget(box)
    return row, boxes


class StaffForm(_CheckedDialog):
    """職員を追加: name, roles and a first password that the person changes at their first login."""

    def __init__(self, values: dict | None = None, message: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        values = values or {}
        self.setWindowTitle("職員を追加")
        layout = QVBoxLayout(self)
        intro = QLabel("最初のパスワードを本人に伝えてください。本人が最初のログインで自分のパスワードに変更します。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.message = _message_label(message)
        layout.addWidget(self.message)
        form = QFormLayout()
        self.name = QLineEdit(values.get("name", ""))
        self.name.setObjectName("staff_name")
        self.name.setPlaceholderText("例：介護職員 佐藤")
        roles, self.role_boxes = _role_boxes(set(values.get("roles") or {"writer"}))
        self.password = _password_edit("staff_password")
        self.password2 = _password_edit("staff_password2")
        form.addRow("職員名 *", self.name)
        form.addRow("役割 *", roles)
        form.addRow(f"最初のパスワード（{MIN_PASSWORD}文字以上） *", self.password)
        form.addRow("最初のパスワード（確認） *", self.password2)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "追加する"))
        self.setMinimumWidth(420)

    def problem(self) -> str:
        if not self.name.text().strip():
            return "職員名を入力してください。"
        if not any(b.isChecked() for b in self.role_boxes.values()):
            return "役割を1つ以上選んでください。"
        name = normalize_name(self.name.text())
        return name_problem(name) or _password_problem(self.password.text(), self.password2.text(), (name,))

    def values(self) -> dict:
        return {"name": self.name.text().strip(), "password": self.password.text(),
                "password2": self.password2.text(),
                "roles": {r for r, box in self.role_boxes.items() if box.isChecked()}}


class RolesForm(_CheckedDialog):
    """役割を変更: the roles of one person."""

    def __init__(self, name: str, roles: set[str], message: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("役割を変更")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{name} さんの役割を選んでください。"))
        self.message = _message_label(message)
        layout.addWidget(self.message)
        row, self.role_boxes = _role_boxes(roles)
        layout.addWidget(row)
        layout.addWidget(_buttons(self, "変更する"))

    def problem(self) -> str:
        return "" if self.roles() else "役割を1つ以上選んでください。"

    def roles(self) -> set[str]:
        return {r for r, box in self.role_boxes.items() if box.isChecked()}


class NewPasswordForm(_CheckedDialog):
    """パスワードを再設定: an administrator gives a forgotten password a new one, changed at the next login."""

    def __init__(self, name: str, message: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("パスワードを再設定")
        layout = QVBoxLayout(self)
        intro = QLabel(f"{name} さんの新しいパスワードを決めて本人に伝えてください。"
                       "本人が次のログインで自分のパスワードに変更します。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.message = _message_label(message)
        layout.addWidget(self.message)
        form = QFormLayout()
        self.password = _password_edit("reset_password")
        self.password2 = _password_edit("reset_password2")
        form.addRow(f"新しいパスワード（{MIN_PASSWORD}文字以上）", self.password)
        form.addRow("新しいパスワード（確認）", self.password2)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "再設定する"))
        self.setMinimumWidth(420)

    def problem(self) -> str:
        return _password_problem(self.password.text(), self.password2.text())

    def values(self) -> tuple[str, str]:
        return self.password.text(), self.password2.text()
