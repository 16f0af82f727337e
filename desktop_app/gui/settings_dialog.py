"""Settings: the facility profile (the check's own-details context), template folder, fonts."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desktop_app.config import Settings
from desktop_app.gui import prompts


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("設定")
        self.settings = settings
        fac = settings.facility
        form = QFormLayout(self)
        self.name = QLineEdit(fac.name)
        self.address = QLineEdit(fac.address)
        self.phone = QLineEdit(fac.phone)
        self.fax = QLineEdit(fac.fax)
        self.email = QLineEdit(fac.email)
        self.staff = QPlainTextEdit("\n".join(fac.staff))
        self.staff.setFixedHeight(70)
        self.staff.setToolTip("職員のお名前を1行に1人ずつ。手紙に出てきても第三者として扱いません。")
        form.addRow("施設名", self.name)
        form.addRow("所在地", self.address)
        form.addRow("電話番号", self.phone)
        form.addRow("FAX", self.fax)
        form.addRow("メールアドレス", self.email)
        form.addRow("職員名簿", self.staff)
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
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("保存")
        buttons.button(QDialogButtonBox.Cancel).setText("キャンセル")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = prompts.choose_folder(self, "テンプレートフォルダーを選択")
        if folder:
            self.folder.setText(folder)

    def apply(self) -> Settings:
        fac = self.settings.facility
        fac.name, fac.address = self.name.text().strip(), self.address.text().strip()
        fac.phone, fac.fax, fac.email = self.phone.text().strip(), self.fax.text().strip(), self.email.text().strip()
        fac.staff = [s.strip() for s in self.staff.toPlainText().splitlines() if s.strip()]
        self.settings.user_templates_dir = self.folder.text().strip()
        self.settings.editor_font_size = self.font_size.value()
        self.settings.docx_font = self.docx_font.currentData()
        return self.settings
