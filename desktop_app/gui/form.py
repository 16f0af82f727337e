"""The template's form, built from its field schema. It fits a narrow pane: each label stands above
its field, fields take the pane's width, and a date is never cut."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QSize, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QStyle,
    QStyleOptionSpinBox,
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
        # labels above fields: a pane of ~300 px has no room for 「お応えできないことと理由・代わりの案」 beside
        # a field, and a label column that wide pushed the fields out of view (a horizontal scrollbar)
        self.layout_.setRowWrapPolicy(QFormLayout.WrapAllRows)
        self.layout_.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        outer.addLayout(self.layout_)
        outer.addStretch(1)  # keep the rows at the top instead of spreading them over the pane
        self.widgets: dict[str, QWidget] = {}
        self.info: TemplateInfo | None = None
        self._defaults: dict[str, str] = {}  # set_defaults: by field name or person role
        self._unset: set[str] = set()  # fields the shown letter had no value for

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
                # Tab goes on to the next field as everywhere else in the form; a tab character in a letter
                # is never wanted (a pasted one is kept)
                w.setTabChangesFocus(True)
                w.setPlainText(str(value or ""))
                w.textChanged.connect(self.changed)
            elif f.type == "date":
                w = QDateEdit()
                w.setCalendarPopup(True)
                w.setDisplayFormat("yyyy年M月d日")
                w.setMinimumWidth(date_edit_min_width(w))
                try:
                    d = dt.date.today() if value in (None, "", "today") else to_date(value)
                except ValueError:
                    d = dt.date.today()
                w.setDate(QDate(d.year, d.month, d.day))
                w.dateChanged.connect(self.changed)
            elif f.type == "choice":
                w = QComboBox()
                w.setEditable(True)
                w.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
                w.setMinimumContentsLength(8)
                w.addItems(f.choices)
                if value:
                    w.setCurrentText(str(value))
                w.currentTextChanged.connect(self.changed)
            else:
                w = QLineEdit(str(value if value is not None else ""))
                if f.type == "person" and not f.placeholder:
                    w.setPlaceholderText("姓 名（例：山田 花子）")
                w.textChanged.connect(self.changed)
            if f.placeholder:
                # the template's example, greyed in the empty field: staff see the expected form of an
                # answer (「居室で転倒される事故」, not a whole sentence) without opening a tooltip
                editor = w.lineEdit() if isinstance(w, QComboBox) else w
                if isinstance(editor, (QLineEdit, QPlainTextEdit)):
                    editor.setPlaceholderText(f.placeholder)
            w.setSizePolicy(QSizePolicy.Ignored if f.type != "date" else QSizePolicy.Expanding,
                            w.sizePolicy().verticalPolicy())
            w.setObjectName(f"field_{f.name}")
            if f.help or f.placeholder:
                w.setToolTip(f.help or f.placeholder)
            self.widgets[f.name] = w
            label = QLabel(f"{f.label}{' *' if f.required else ''}")
            label.setMinimumWidth(1)  # one line, whole; cut only in a pane narrower than any staff screen gives
            label.setBuddy(w)
            self.layout_.addRow(label, w)
        self._unset = {f.name for f in info.fields if f.name not in values}
        self.blockSignals(True)  # like the values above: what the form opens with is not an edit
        try:
            self._fill_defaults()
        finally:
            self.blockSignals(False)

    def set_defaults(self, defaults: dict[str, str]) -> None:
        """Values for the fields a letter has not set yet, by field name or by person role.

        ``{"sender": "山田 花子"}`` (the logged-in writer's name) fills the template's sender field
        (role = "sender": 差出人のお名前) of a new letter. Kept for every template shown later. Only a field the
        letter has no value for at all is filled and only while it is empty: a saved letter's own fields
        (someone else's letter opened for review, a sender left blank on purpose) are never changed.
        Filling the form shown now counts as an edit (``changed``), so the letter takes the name too."""
        self._defaults = {k: str(v) for k, v in defaults.items() if v}
        if self._fill_defaults():
            self.changed.emit()

    def _fill_defaults(self) -> bool:
        if self.info is None or not self._defaults:
            return False
        current = self.values()
        filled = False
        for f in self.info.fields:
            value = self._defaults.get(f.name) or (self._defaults.get(f.role) if f.role else None)
            if (value and f.name in self._unset and f.type != "date"
                    and not str(current.get(f.name, "")).strip()):
                self.set_value(f.name, value)
                filled = True
        return filled

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


def date_edit_min_width(w: QDateEdit) -> int:
    """Wide enough for the longest date in the display format (2026年12月28日) and the popup button."""
    content = w.fontMetrics().horizontalAdvance("8888年88月88日") + 8
    opt = QStyleOptionSpinBox()
    opt.initFrom(w)
    opt.subControls = QStyle.SC_SpinBoxFrame | QStyle.SC_SpinBoxEditField | QStyle.SC_SpinBoxUp
    size = w.style().sizeFromContents(QStyle.CT_SpinBox, opt, QSize(content, w.sizeHint().height()), w)
    return max(size.width(), content + 24)
