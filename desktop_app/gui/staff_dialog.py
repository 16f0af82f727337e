"""職員の管理 (administrators): the staff with their roles, state and last login, and the buttons to add a
person, change roles, stop an account and reset a password. Every rule (who may, the last administrator,
the audit entry) is in core.accounts; this dialog shows the list and forwards the intentions."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import accounts
from desktop_app.core.accounts import Actor, StaffMember
from desktop_app.core.db import Database
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.gui import prompts

COLUMNS = ("名前", "役割", "状態", "最終ログイン")


def last_login_text(m: StaffMember) -> str:
    when = m.last_login_local()
    text = when.strftime("%Y/%m/%d %H:%M") if when else "まだありません"
    return text + ("（パスワード変更待ち）" if m.must_change_password and m.active else "")


class StaffDialog(QDialog):
    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.staff: list[StaffMember] = []
        self.setWindowTitle("職員の管理")
        self.resize(760, 480)  # within a 1024x768 screen; the table scrolls when there are many
        layout = QVBoxLayout(self)
        intro = QLabel("職員の追加、役割の変更、利用停止、パスワードの再設定ができます。"
                       "利用停止にした職員の手紙と記録はそのまま残ります。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("staffTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)

        row = QHBoxLayout()
        self.add_button = self._button("職員を追加…", self.add_staff)
        self.roles_button = self._button("役割を変更…", self.change_roles)
        self.deactivate_button = self._button("利用停止にする", self.deactivate)
        self.reactivate_button = self._button("利用を再開する", self.reactivate)
        self.reset_button = self._button("パスワードを再設定…", self.reset_password)
        for b in (self.add_button, self.roles_button, self.deactivate_button, self.reactivate_button,
                  self.reset_button):
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = QLabel()
        self.status.setObjectName("staffStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.button(QDialogButtonBox.Close).setText("閉じる")
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.refresh()

    def _button(self, text: str, slot) -> QPushButton:
        b = QPushButton(text)
        b.setAutoDefault(False)
        b.clicked.connect(lambda _=False: slot())
        return b

    # ---- showing -----------------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """Read the staff again (another PC may have changed them) and keep `select` (or the selection)."""
        current = select or (self.selected().name if self.selected() else None)
        self.staff = accounts.list_staff(self.db)
        self.table.setRowCount(len(self.staff))
        for i, m in enumerate(self.staff):
            for j, text in enumerate((m.name, m.roles_ja, m.state_ja, last_login_text(m))):
                item = QTableWidgetItem(text)
                if not m.active:
                    item.setForeground(self.palette().placeholderText())
                self.table.setItem(i, j, item)
        names = [m.name for m in self.staff]
        if current in names:
            self.table.selectRow(names.index(current))
        self._update_buttons()

    def selected(self) -> StaffMember | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.staff[rows[0].row()] if rows and rows[0].row() < len(self.staff) else None

    def select(self, name: str) -> None:
        self.table.selectRow([m.name for m in self.staff].index(name))

    def _update_buttons(self) -> None:
        m = self.selected()
        self.roles_button.setEnabled(m is not None)
        self.reset_button.setEnabled(m is not None and m.active)
        self.deactivate_button.setEnabled(m is not None and m.active and m.id != self.actor.id)
        self.reactivate_button.setEnabled(m is not None and not m.active)

    def _done(self, text: str, name: str | None = None) -> None:
        self.refresh(name)
        self.status.setText(text)

    def _refused(self, title: str, exc: WorkflowRefused) -> None:
        prompts.error(self, title, exc.message)
        self.refresh()

    # ---- acts ----------------------------------------------------------------------------------------
    def add_staff(self) -> None:
        values: dict | None = None
        message = ""
        while True:
            values = prompts.ask_new_staff(self, values, message)
            if values is None:
                return
            if values.get("password") != values.get("password2"):
                message = "2回入力したパスワードが一致しません。"
                continue
            try:
                added = accounts.add_user(self.db, values["name"], values["roles"], values["password"], self.actor)
            except WorkflowRefused as exc:
                message = exc.message  # said in the form, with the entries kept
                continue
            self._done(f"職員「{added.name}」を追加しました。最初のログインでパスワードを変更していただきます。", added.name)
            return

    def change_roles(self) -> None:
        m = self.selected()
        if m is None:
            return
        chosen = prompts.ask_roles(self, m.name, set(m.roles))
        if chosen is None:
            return
        try:
            changed = accounts.set_roles(self.db, m.name, chosen, self.actor)
        except WorkflowRefused as exc:
            self._refused("役割を変更できません", exc)
            return
        self._done(f"{changed.name} さんの役割を「{changed.roles_ja}」にしました。", changed.name)

    def deactivate(self) -> None:
        m = self.selected()
        if m is None:
            return
        if not prompts.confirm(self, "利用停止にする",
                               f"{m.name} さんを利用停止にしますか？\n\n"
                               "この職員はログインできなくなります。書いた手紙や記録はそのまま残ります。"
                               "あとで「利用を再開する」で戻せます。", yes="利用停止にする", no="やめる"):
            return
        try:
            accounts.deactivate(self.db, m.name, self.actor)
        except WorkflowRefused as exc:
            self._refused("利用停止にできません", exc)
            return
        self._done(f"{m.name} さんを利用停止にしました。", m.name)

    def reactivate(self) -> None:
        m = self.selected()
        if m is None:
            return
        try:
            accounts.reactivate(self.db, m.name, self.actor)
        except WorkflowRefused as exc:
            self._refused("利用を再開できません", exc)
            return
        self._done(f"{m.name} さんの利用を再開しました。", m.name)

    def reset_password(self) -> None:
        m = self.selected()
        if m is None:
            return
        message = ""
        while True:
            values = prompts.ask_new_password(self, m.name, message)
            if values is None:
                return
            new, again = values
            if new != again:
                message = "2回入力したパスワードが一致しません。"
                continue
            try:
                accounts.reset_password(self.db, m.name, new, self.actor)
            except WorkflowRefused as exc:
                if exc.reason == Refusal.BAD_INPUT:  # a password too short: said in the form
                    message = exc.message
                    continue
                self._refused("パスワードを再設定できません", exc)
                return
            self._done(f"{m.name} さんのパスワードを再設定しました。次のログインで本人が変更します。", m.name)
            return
