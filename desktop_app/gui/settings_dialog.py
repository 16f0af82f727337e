"""Settings: this PC's (template folder, fonts, database URL) and, for administrators, the facility's
(profile and staff list, approval policy, retention). Facility settings live in the workflow database."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
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

KEYCHAIN_NOTE = "パスワードは設定ファイルに書かず、このPCのキーチェーンに保存します。"
DB_NOTE = "SQLiteのファイルをネットワーク上の共有フォルダーに置かないでください（壊れるおそれがあります）。"
NO_KEYCHAIN = ("このPCにはパスワードを安全に保管する仕組み（キーチェーン）がないため、データベースのパスワードは保存せず、"
               "アプリの起動のたびにお尋ねします。")
PLAIN_WARNING = ("⚠ 暗号化しない接続では、パスワードと手紙の内容がネットワーク上でそのまま読めてしまいます。"
                 "サーバーと同じ建物内の信頼できるネットワークで、やむを得ない場合だけ選んでください。")
# 設定's TLS choices: (label, libpq sslmode)
TLS_CHOICES = (("暗号化する（既定）", "require"), ("暗号化し、サーバー証明書も確認する", "verify-full"),
               ("暗号化しない（非推奨）", "disable"))
# wide enough for the two boxes side by side with their notes on few lines (the dialog then fits 768-high
# screens), narrow enough for 1024
MIN_WIDTH = 980
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
        boxes = QHBoxLayout()  # side by side: stacked, the two boxes with the server's fields outgrew 768-high screens
        outer.addLayout(boxes)
        boxes.addWidget(fac_box, 1, Qt.AlignTop)

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
        self.docx_font = QComboBox()
        self.docx_font.addItem("明朝体", "mincho")
        self.docx_font.addItem("ゴシック体", "gothic")
        self.docx_font.setCurrentIndex(0 if settings.docx_font == "mincho" else 1)
        fonts = QWidget()
        h = QHBoxLayout(fonts)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.font_size)
        h.addSpacing(16)
        h.addWidget(QLabel("Wordの書体"))
        h.addWidget(self.docx_font)
        h.addStretch(1)
        form.addRow("編集画面の文字の大きさ", fonts)
        form.addRow(self._database_fields(settings.database_url))
        boxes.addWidget(pc_box, 1, Qt.AlignTop)

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
        self.settings.database_url = self.database_url_value()
        return self.settings

    # ---- the database: fields, never a password in the URL -----------------------------------------------
    def _database_fields(self, url: str) -> QGroupBox:
        """Host, port, database and user as fields, the password masked, and the TLS choice. An URL that is
        not PostgreSQL's (an SQLite file elsewhere) is kept as it is while the server field stays empty."""
        from desktop_app.core import db as dbmod
        from desktop_app.core import secrets

        fields = dbmod.pg_fields(url) if url else None
        self._other_url = url if url and fields is None else ""
        fields = fields or {"host": "", "port": 5432, "database": "", "user": "", "password": "",
                            "sslmode": dbmod.DEFAULT_SSLMODE, "sslrootcert": ""}
        box = QGroupBox("データベース（複数のPCで使う施設のサーバー）")
        box.setObjectName("databaseBox")
        grid = QGridLayout(box)
        self.db_host = QLineEdit(fields["host"])
        self.db_host.setObjectName("dbHost")
        self.db_host.setPlaceholderText("空欄＝このPCのSQLiteファイル（1台で使う場合）")
        self.db_port = QSpinBox()
        self.db_port.setObjectName("dbPort")
        self.db_port.setRange(1, 65535)
        self.db_port.setValue(int(fields["port"]))
        self.db_name = QLineEdit(fields["database"])
        self.db_name.setObjectName("dbName")
        self.db_user = QLineEdit(fields["user"])
        self.db_user.setObjectName("dbUser")
        self.db_password = QLineEdit(fields["password"])  # an older settings.json's URL: moved out on save
        self.db_password.setObjectName("dbPassword")
        self.db_password.setEchoMode(QLineEdit.Password)
        self.keychain = secrets.keychain_available()
        self.db_password.setPlaceholderText("キーチェーンに保存済み（変えるときだけ入力）" if self.keychain
                                            else "起動のたびにお尋ねします")
        self.db_tls = QComboBox()
        self.db_tls.setObjectName("dbTls")
        for label, mode in TLS_CHOICES:
            self.db_tls.addItem(label, mode)
        self.db_tls.setCurrentIndex(max(self.db_tls.findData(fields["sslmode"]), 0))
        self.db_ca = QLineEdit(fields["sslrootcert"])
        self.db_ca.setObjectName("dbCaFile")
        self.db_ca.setPlaceholderText("認証局（CA）の証明書ファイル（.crt / .pem）")
        self.db_ca_browse = QPushButton("参照…")
        self.db_ca_browse.clicked.connect(self._browse_ca)
        grid.addWidget(QLabel("サーバー"), 0, 0)
        grid.addWidget(self.db_host, 0, 1)
        grid.addWidget(QLabel("ポート"), 0, 2)
        grid.addWidget(self.db_port, 0, 3)
        for row, (label, widget) in enumerate((("データベース名", self.db_name), ("利用者", self.db_user),
                                               ("パスワード", self.db_password), ("通信", self.db_tls)), 1):
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(widget, row, 1, 1, 3)
        grid.addWidget(QLabel("証明書"), 5, 0)
        grid.addWidget(self.db_ca, 5, 1, 1, 2)
        grid.addWidget(self.db_ca_browse, 5, 3)
        grid.setColumnStretch(1, 1)
        self.db_note = QLabel()
        self.db_note.setWordWrap(True)
        self.db_note.setObjectName("databaseNote")
        grid.addWidget(self.db_note, 6, 0, 1, 4)
        self.db_tls.currentIndexChanged.connect(self._tls_changed)
        self._tls_changed()
        return box

    def _tls_changed(self, *_args) -> None:
        mode = self.db_tls.currentData()
        self.db_ca.setEnabled(mode == "verify-full")
        self.db_ca_browse.setEnabled(mode == "verify-full")
        note = [KEYCHAIN_NOTE if self.keychain else NO_KEYCHAIN]  # never both: they contradict each other
        note.append(PLAIN_WARNING if mode == "disable" else DB_NOTE)
        self.db_note.setText("\n".join(note))
        self.db_note.setStyleSheet("color: #b00000;" if mode == "disable" else "")

    def _browse_ca(self) -> None:
        path = prompts.open_file(self, "認証局（CA）の証明書ファイルを選択", "証明書 (*.crt *.pem *.cer);;すべてのファイル (*)")
        if path:
            self.db_ca.setText(path)

    def database_url_value(self) -> str:
        """The URL settings.json keeps: host, port, database, user and TLS; never the password."""
        from desktop_app.core.db import pg_url

        host = self.db_host.text().strip()
        if not host:
            return self._other_url
        return pg_url(host, self.db_port.value(), self.db_name.text().strip(), self.db_user.text().strip(),
                      self.db_tls.currentData(), self.db_ca.text().strip())

    def accept(self) -> None:
        """The password goes to the OS credential store (or, without one, into this process's memory only)
        before the dialog closes; a store that refuses keeps the dialog open, saying why."""
        from desktop_app.core import secrets

        url, password = self.database_url_value(), self.db_password.text()
        if self.db_tls.currentData() == "verify-full" and self.db_host.text().strip() and not self.db_ca.text().strip():
            prompts.error(self, "証明書ファイルがありません", "サーバー証明書を確認する接続には、認証局（CA）の証明書ファイルを選んでください。")
            return
        if url.startswith("postgres") and password:
            if self.keychain:
                try:
                    secrets.store_password(url, password)
                except secrets.SecretStoreUnavailable as exc:
                    prompts.error(self, "パスワードを保存できません", str(exc))
                    return
            else:
                secrets.keep_in_memory(url, password)
                prompts.info(self, "パスワードは保存しません", NO_KEYCHAIN + "\nこのパスワードは、アプリを終了するまで使います。")
        super().accept()

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
