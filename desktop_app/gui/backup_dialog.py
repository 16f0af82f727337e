"""管理 → バックアップ／復元… (administrators): make a backup file, or restore one over this database. Every
rule (the formats, the manifest check, the audit verification after a restore) is in core.db.archive; this
dialog asks for the file and the confirmation (through prompts) and shows the outcome."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app import __version__
from desktop_app.core.accounts import Actor
from desktop_app.core.db import Database, archive
from desktop_app.core.fileio import WriteError
from desktop_app.gui import prompts

FILTER = "バックアップ (*.zip)"
TITLE = "バックアップ／復元"


class BackupDialog(QDialog):
    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.restored = False  # the window must be restarted: what it holds is from before the restore
        self.setWindowTitle(TITLE)
        layout = QVBoxLayout(self)
        intro = QLabel("すべての手紙・職員・監査ログを1つのファイルに保存します。毎日の終わりと、アプリを更新する前に"
                       "作成し、このPCとは別の場所（鍵のかかる場所に保管するUSBメモリなど）に保管してください。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.backup_button = QPushButton("バックアップを作成…")
        self.backup_button.clicked.connect(self.make_backup)
        layout.addWidget(self.backup_button)
        self.restore_button = QPushButton("バックアップから復元…")
        self.restore_button.clicked.connect(self.restore)
        layout.addWidget(self.restore_button)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox()
        buttons.addButton(prompts.CLOSE, QDialogButtonBox.RejectRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)  # wrapped labels need a width to compute their height from

    def make_backup(self) -> None:
        if not self.actor.has("admin"):
            return
        suggested = f"careletter-backup-{dt.datetime.now():%Y%m%d-%H%M}.zip"
        path = prompts.save_file(self, "バックアップの保存先", suggested, FILTER)
        if not path:
            return
        try:
            with prompts.busy():
                m = archive.backup(self.db, Path(path), app_version=__version__)
        except (archive.BackupError, WriteError, OSError) as exc:
            prompts.error(self, TITLE, f"バックアップを作成できませんでした。\n{exc}")
            return
        self.status.setText(f"バックアップを作成しました：{path}（手紙 {m.counts.get('letters', 0)} 通）")
        self.adjustSize()  # the new line grows the dialog instead of cutting the explanation above it
        prompts.info(self, TITLE, f"バックアップを作成しました。\n{path}\n\nこのPCとは別の場所に保管してください。")

    def restore(self) -> None:
        if not self.actor.has("admin"):
            return
        path = prompts.open_file(self, "復元するバックアップ", FILTER)
        if not path:
            return
        try:
            m, _parts = archive.read_manifest(Path(path))
        except archive.BackupError as exc:
            prompts.error(self, TITLE, f"このファイルからは復元できません。\n{exc}")
            return
        when = m.created_at[:16].replace("T", " ")
        if not prompts.confirm(self, TITLE, f"{when}（UTC）のバックアップ（手紙 {m.counts.get('letters', 0)} 通）で、"
                               "今のデータをすべて置き換えます。\nバックアップの後に書いた手紙や記録は失われます。"
                               "\n\n復元しますか？", yes="置き換えて復元する", no="やめる"):
            return
        url = self.db.engine.url.render_as_string(hide_password=False)
        try:
            with prompts.busy():
                result = archive.restore(Path(path), url, force=True)
        except (archive.BackupError, archive.RestoreRefused, WriteError, OSError) as exc:
            prompts.error(self, TITLE, f"復元できませんでした。データは変わっていません。\n{exc}")
            return
        self.restored = True
        if not result.verified:
            prompts.error(self, TITLE, f"復元しましたが、監査ログがバックアップと一致しません。\n{result.problem}")
        else:
            prompts.info(self, TITLE, "復元しました（監査ログは改ざんされていません）。\n"
                         "アプリを終了して、起動し直してください。")
        self.accept()
