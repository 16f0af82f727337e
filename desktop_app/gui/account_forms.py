"""The first-start and login dialogs (widgets only): prompts shows them; account_dialogs runs the flows."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
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


class SetupDialog(QDialog):
    """施設情報 and the first 管理者. Until both exist no letter can be written."""

    def __init__(self, defaults: dict, need_admin: bool = True, message: str = "", parent: QWidget | None = None):
        from desktop_app.core import accounts  # here, not above: the login is shown before SQLAlchemy loads

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
        form.addRow(f"パスワード（{accounts.MIN_PASSWORD}文字以上） *", self.password)
        form.addRow("パスワード（確認） *", self.password2)
        roles = QWidget()
        h = QHBoxLayout(roles)
        h.setContentsMargins(0, 0, 0, 0)
        self.role_boxes: dict[str, QCheckBox] = {}
        for role in accounts.ROLES:
            box = QCheckBox(accounts.ROLE_LABELS[role])
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
        from desktop_app.core import accounts

        if not self.facility["name"].text().strip():
            return "施設名を入力してください。"
        if self.need_admin:
            if not self.name.text().strip():
                return "管理者のお名前を入力してください。"
            if self.password.text() != self.password2.text():
                return "2回入力したパスワードが一致しません。"
            if len(self.password.text()) < accounts.MIN_PASSWORD:
                return f"パスワードは{accounts.MIN_PASSWORD}文字以上にしてください。"
        return ""

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.message.setText(problem)
            self.message.setVisible(True)
            return
        super().accept()

    def values(self) -> dict:
        return {"facility": {k: e.text().strip() for k, e in self.facility.items()},
                "name": self.name.text().strip(), "password": self.password.text(),
                "password2": self.password2.text(),
                "roles": {r for r, box in self.role_boxes.items() if box.isChecked()}}


class LoginDialog(QDialog):
    def __init__(self, users: list[str], name: str = "", message: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("ログイン")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("お手紙作成・チェック：利用者名とパスワードを入力してください。"))
        self.message = _message_label(message)
        layout.addWidget(self.message)
        form = QFormLayout()
        self.name = QLineEdit(name)
        self.name.setObjectName("login_name")
        if users:
            from PySide6.QtWidgets import QCompleter

            self.name.setCompleter(QCompleter(users, self))
            if not name and len(users) == 1:
                self.name.setText(users[0])
        self.password = QLineEdit()
        self.password.setObjectName("login_password")
        self.password.setEchoMode(QLineEdit.Password)
        form.addRow("利用者名", self.name)
        form.addRow("パスワード", self.password)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "ログイン"))
        (self.password if self.name.text() else self.name).setFocus()

    def credentials(self) -> tuple[str, str]:
        return self.name.text().strip(), self.password.text()
