"""Settings: this PC's (template folder, fonts, database URL) and, for administrators, the facility's
(profile and staff list, approval policy, retention). Facility settings live in the workflow database."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.config import Settings
from desktop_app.core.context import Facility
from desktop_app.core.workflow.state import DEFAULT_RETENTION_DAYS, POLICIES
from desktop_app.gui import prompts

DB_NOTE = ("空欄：このPCのSQLiteファイルを使います（1台で使う場合）。\n"
           "複数のPCで使う場合：施設のPostgreSQLのURL（postgresql+psycopg://利用者@サーバー/データベース名。パスワードはURLに書かず、キーチェーンに保存します）。\n"
           "SQLiteのファイルをネットワーク上の共有フォルダーに置かないでください（壊れるおそれがあります）。")
# wide enough that the notes wrap to few lines (the dialog then fits 768-high screens), narrow enough for 1024
MIN_WIDTH = 640
STAFF_NOTE = ("手紙に出てくる職員のお名前を1行に1人ずつ。ここにある名前は第三者として扱いません"
              "（ログインできる職員は「ファイル」→「職員の管理…」で管理します）。")


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent=None, facility: Facility | None = None, admin: bool = False,
                 policy: str = "always", retention_days: int = DEFAULT_RETENTION_DAYS, export_folder: str = ""):
        super().__init__(parent)
        self.setWindowTitle("設定")
        self.settings = settings
        self.admin = admin
        self.facility = fac = facility or Facility()
        outer = QVBoxLayout(self)

        fac_box = QGroupBox("施設情報（すべてのPCで共通）" + ("" if admin else "：変更できるのは管理者だけです"))
        form = QFormLayout(fac_box)
        self.name = QLineEdit(fac.name)
        self.address = QLineEdit(fac.address)
        self.phone = QLineEdit(fac.phone)
        self.fax = QLineEdit(fac.fax)
        self.email = QLineEdit(fac.email)
        self.staff = QPlainTextEdit("\n".join(fac.staff))
        self.staff.setFixedHeight(70)
        self.staff.setToolTip("職員のお名前を1行に1人ずつ。手紙に出てきても第三者として扱いません。")
        self.staff.setObjectName("staffList")
        self.bank_accounts = QPlainTextEdit("\n".join(fac.bank_accounts))
        self.bank_accounts.setFixedHeight(44)
        self.bank_accounts.setTabChangesFocus(True)
        self.bank_accounts.setObjectName("facilityBankAccounts")
        self.bank_accounts.setToolTip("利用料のお振込先など、施設の口座を1行に1つ（例：〇〇銀行 〇〇支店 普通 1234567）。"
                                      "手紙に出てきても個人の口座として指摘しません。")
        for label, w in (("施設名", self.name), ("所在地", self.address), ("電話番号", self.phone), ("FAX", self.fax),
                         ("メールアドレス", self.email), ("施設の振込先口座（1行に1つ）", self.bank_accounts),
                         ("職員名簿", self.staff)):
            form.addRow(label, w)
            w.setEnabled(admin)
        # an empty list said nothing about what it is for, or that it is not where accounts are made
        staff_note = QLabel(STAFF_NOTE)
        staff_note.setWordWrap(True)
        staff_note.setObjectName("staffNote")
        form.addRow(staff_note)
        self.policy = QComboBox()
        for key, label in POLICIES.items():
            self.policy.addItem(label, key)
        self.policy.setCurrentIndex(max(self.policy.findData(policy), 0))
        self.policy.setEnabled(admin)
        form.addRow("承認ルール", self.policy)
        self.retention = QSpinBox()
        self.retention.setRange(1, 3650)
        self.retention.setSuffix(" 日")
        self.retention.setValue(int(retention_days))
        self.retention.setEnabled(admin)
        self.retention.setToolTip("送付済みの手紙と、この日数のあいだ手を付けていない下書きは削除されます（監査ログには記録が残ります）。")
        form.addRow("送付済み・放置した下書きを残す期間", self.retention)
        export_row = QWidget()
        h = QHBoxLayout(export_row)
        h.setContentsMargins(0, 0, 0, 0)
        self.export_folder = QLineEdit(export_folder)
        self.export_folder.setObjectName("exportFolder")
        self.export_folder.setPlaceholderText("空欄＝各職員の「ドキュメント」フォルダー")
        self.export_folder.setToolTip("Word・PDFに書き出すとき、保存の画面が最初に開くフォルダーです（施設の共有フォルダーなど）。")
        self.export_folder.setEnabled(admin)
        export_browse = QPushButton("参照…")
        export_browse.setEnabled(admin)
        export_browse.clicked.connect(self._browse_export)
        h.addWidget(self.export_folder, 1)
        h.addWidget(export_browse)
        form.addRow("書き出し先フォルダー", export_row)
        outer.addWidget(fac_box)

        pc_box = QGroupBox("このPCの設定")
        form = QFormLayout(pc_box)
        folder_row = QWidget()
        h = QHBoxLayout(folder_row)
        h.setContentsMargins(0, 0, 0, 0)
        self.folder = QLineEdit(settings.user_templates_dir)
        browse = QPushButton("参照…")
        browse.clicked.connect(self._browse)
        h.addWidget(self.folder, 1)
        h.addWidget(browse)
        form.addRow("共有テンプレートフォルダー", folder_row)
        self.font_size = QSpinBox()
        self.font_size.setRange(9, 28)
        self.font_size.setValue(int(settings.editor_font_size))
        form.addRow("編集画面の文字の大きさ", self.font_size)
        self.docx_font = QComboBox()
        self.docx_font.addItem("明朝体", "mincho")
        self.docx_font.addItem("ゴシック体", "gothic")
        self.docx_font.setCurrentIndex(0 if settings.docx_font == "mincho" else 1)
        form.addRow("Wordの書体", self.docx_font)
        self.database_url = QLineEdit(settings.database_url)
        self.database_url.setPlaceholderText("空欄＝このPCのSQLiteファイル（既定）")
        form.addRow("データベースURL", self.database_url)
        note = QLabel(DB_NOTE)
        note.setWordWrap(True)
        note.setObjectName("databaseNote")
        form.addRow(note)
        outer.addWidget(pc_box)

        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("保存")
        buttons.button(QDialogButtonBox.Cancel).setText("キャンセル")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """The notes wrap, so the boxes' height depends on the dialog's width (height-for-width), and Qt gives a
        window only the minimum height that leaves that out: on 1024x768 and 1280x800 screens the dialog opened
        that short and the 施設情報 rows were squeezed onto each other (承認ルール over the 期間 box). The
        minimum is the height the narrowest width needs, so no row is ever squeezed."""
        layout = self.layout()
        layout.activate()
        width = max(layout.totalMinimumSize().width(), MIN_WIDTH)
        self.setMinimumSize(width, layout.totalHeightForWidth(width))
        if self.height() < self.minimumHeight():
            self.resize(self.width(), self.minimumHeight())
        super().showEvent(event)

    def _browse(self) -> None:
        folder = prompts.choose_folder(self, "テンプレートフォルダーを選択")
        if folder:
            self.folder.setText(folder)

    def _browse_export(self) -> None:
        folder = prompts.choose_folder(self, "書き出し先フォルダーを選択")
        if folder:
            self.export_folder.setText(folder)

    def export_folder_value(self) -> str:
        return self.export_folder.text().strip()

    def apply(self) -> Settings:
        """This PC's settings (the facility's go through the workflow service: see facility_values)."""
        self.settings.user_templates_dir = self.folder.text().strip()
        self.settings.editor_font_size = self.font_size.value()
        self.settings.docx_font = self.docx_font.currentData()
        self.settings.database_url = self.database_url.text().strip()
        return self.settings

    def facility_value(self) -> Facility:
        """The facility as edited here; what this dialog does not show (the director) is kept."""
        return dataclasses.replace(
            self.facility, name=self.name.text().strip(), address=self.address.text().strip(),
            phone=self.phone.text().strip(), fax=self.fax.text().strip(), email=self.email.text().strip(),
            staff=[s.strip() for s in self.staff.toPlainText().splitlines() if s.strip()],
            bank_accounts=[s.strip() for s in self.bank_accounts.toPlainText().splitlines() if s.strip()])

    def policy_value(self) -> str:
        return self.policy.currentData()

    def retention_value(self) -> int:
        return self.retention.value()
