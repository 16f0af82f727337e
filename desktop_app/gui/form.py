"""The template's form, built from its field schema."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.japanese import to_date
from desktop_app.core.templates import TemplateInfo


class TemplateForm(QWidget):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("templateForm")
        outer = QVBoxLayout(self)
        self.layout_ = QFormLayout()
        outer.addLayout(self.layout_)
        outer.addStretch(1)  # keep the rows at the top instead of spreading them over the pane
        self.widgets: dict[str, QWidget] = {}
        self.info: TemplateInfo | None = None

    def set_template(self, info: TemplateInfo, values: dict | None = None) -> None:
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.widgets.clear()
        self.info = info
        title = QLabel(f"<b>{info.title}</b><br><small>{info.description}</small>")
        title.setWordWrap(True)
        self.layout_.addRow(title)
        values = values or {}
        for f in info.fields:
            value = values.get(f.name, f.default)
            if f.type == "multiline":
                w = QPlainTextEdit()
                w.setFixedHeight(80)
                w.setPlainText(str(value or ""))
                w.textChanged.connect(self.changed)
            elif f.type == "date":
                w = QDateEdit()
                w.setCalendarPopup(True)
                w.setDisplayFormat("yyyy年M月d日")
                try:
                    d = dt.date.today() if value in (None, "", "today") else to_date(value)
                except ValueError:
                    d = dt.date.today()
                w.setDate(QDate(d.year, d.month, d.day))
                w.dateChanged.connect(self.changed)
            elif f.type == "choice":
                w = QComboBox()
                w.setEditable(True)
                w.addItems(f.choices)
                if value:
                    w.setCurrentText(str(value))
                w.currentTextChanged.connect(self.changed)
            else:
                w = QLineEdit(str(value if value is not None else ""))
                if f.type == "person":
                    w.setPlaceholderText("姓 名（例：山田 花子）")
                w.textChanged.connect(self.changed)
            w.setObjectName(f"field_{f.name}")
            if f.help:
                w.setToolTip(f.help)
            self.widgets[f.name] = w
            self.layout_.addRow(f"{f.label}{' *' if f.required else ''}", w)

    def values(self) -> dict:
        out = {}
        for name, w in self.widgets.items():
            if isinstance(w, QPlainTextEdit):
                out[name] = w.toPlainText()
            elif isinstance(w, QDateEdit):
                out[name] = w.date().toPython().isoformat()
            elif isinstance(w, QComboBox):
                out[name] = w.currentText()
            else:
                out[name] = w.text()
        return out

    def set_value(self, name: str, value: str) -> None:
        w = self.widgets[name]
        if isinstance(w, QPlainTextEdit):
            w.setPlainText(value)
        elif isinstance(w, QComboBox):
            w.setCurrentText(value)
        elif isinstance(w, QDateEdit):
            d = to_date(value)
            w.setDate(QDate(d.year, d.month, d.day))
        else:
            w.setText(value)
