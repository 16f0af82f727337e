"""The letter editor: highlights findings on the right characters (UTF-16 aware) with tooltips."""

from __future__ import annotations

from bisect import bisect_right

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QLayout, QLayoutItem, QPlainTextEdit, QSizePolicy, QToolTip, QWidget

from desktop_app.core.findings import Finding, category_label
from desktop_app.core.textutil import utf16_offsets

# Colour by category group; style by severity.
CATEGORY_COLORS = {
    "pii.person": "#f4a259",
    "pii.health": "#e377c2",
    "pii": "#8e7cc3",
    "risk": "#e15759",
    "style": "#59a14f",
    "info": "#9d9d9d",
}
LEGEND = [("pii.person", "人名"), ("pii", "連絡先・番号など"), ("pii.health", "健康情報"),
          ("risk", "危険な表現"), ("style", "手紙の作法")]
LEGEND_STYLES = ["濃い色・波線＝重大", "下線＝注意", "薄い色＝確認", "点線＝確認済み"]


def color_for(category: str) -> QColor:
    if category in CATEGORY_COLORS:
        return QColor(CATEGORY_COLORS[category])
    return QColor(CATEGORY_COLORS.get(category.split(".")[0], "#9d9d9d"))


class FlowLayout(QLayout):
    """Lays its items out left to right and wraps to a new line between items, never inside one."""

    def __init__(self, parent=None, spacing: int = 8):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt override)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt override)
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt override)
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt override)
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _place(self, rect: QRect, move: bool) -> int:
        x, y, line_height = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x > rect.x() and x + hint.width() > rect.right() + 1:
                x, y, line_height = rect.x(), y + line_height + self._spacing // 2, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y()


class LegendWidget(QWidget):
    """What the colours and underlines mean. A narrow panel wraps it between items, never inside one."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("legend")
        flow = FlowLayout(self)
        self.items: list[QLabel] = []
        for code, label in LEGEND:
            item = QLabel(f'<span style="background:{color_for(code).name()};">&nbsp;&nbsp;&nbsp;</span>&nbsp;{label}')
            item.setObjectName(f"legend_{code}")
            self.items.append(item)
            flow.addWidget(item)
        for text in LEGEND_STYLES:
            item = QLabel(f"<small>{text}</small>")
            self.items.append(item)
            flow.addWidget(item)
        policy = QSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)


def place(f: Finding) -> str:
    """The place in a Word letter's file (meta "location"), as a tooltip line."""
    loc = dict(f.meta).get("location")
    return f"<br>場所：{loc}" if loc else ""


def char_format(finding: Finding, reviewed: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    color = color_for(finding.category)
    sev = finding.severity.value
    if reviewed:
        fmt.setUnderlineStyle(QTextCharFormat.DotLine)
        fmt.setUnderlineColor(color)
        return fmt
    bg = QColor(color)
    bg.setAlpha({"high": 150, "medium": 90, "low": 45, "info": 25}[sev])
    fmt.setBackground(bg)
    if sev == "high":
        fmt.setUnderlineStyle(QTextCharFormat.WaveUnderline)
        fmt.setUnderlineColor(QColor("#c00000"))
        fmt.setFontWeight(QFont.Bold)
    elif sev == "medium":
        fmt.setUnderlineStyle(QTextCharFormat.SingleUnderline)
        fmt.setUnderlineColor(color.darker(130))
    return fmt


class FindingHighlighter(QSyntaxHighlighter):
    def __init__(self, document):
        super().__init__(document)
        self._ranges: list[tuple[int, int, QTextCharFormat]] = []  # UTF-16 start, end, format
        self._starts: list[int] = []

    def set_findings(self, text: str, findings: list[Finding], reviewed_keys: set) -> None:
        u16 = utf16_offsets(text)
        ranges = []
        for f in findings:
            if f.end > len(text):
                continue
            ranges.append((u16[f.start], u16[f.end], char_format(f, f.key in reviewed_keys)))
        ranges.sort(key=lambda r: (r[0], -(r[1] - r[0])))
        self._ranges = ranges
        self._starts = [r[0] for r in ranges]
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        if not self._ranges:
            return
        block = self.currentBlock()
        pos = block.position()
        end = pos + block.length()
        hi = bisect_right(self._starts, end)
        for s, e, fmt in self._ranges[:hi]:
            if e <= pos or s >= end:
                continue
            a, b = max(s, pos), min(e, end)
            self.setFormat(a - pos, b - a, fmt)


class DraftEditor(QPlainTextEdit):
    """Plain-text letter editor. Positions from Qt are UTF-16; findings are in code points."""


    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("draftEditor")
        self.setLineWrapMode(QPlainTextEdit.WidgetWidth)
        self.setTabChangesFocus(False)
        self.highlighter = FindingHighlighter(self.document())
        self.findings: list[Finding] = []
        self.reviewed_keys: set = set()
        self.setMouseTracking(True)

    def set_findings(self, findings: list[Finding], reviewed_keys: set) -> None:
        self.findings = findings
        self.reviewed_keys = reviewed_keys
        self.highlighter.set_findings(self.toPlainText(), findings, reviewed_keys)

    def codepoint_at(self, pos16: int) -> int:
        text = self.toPlainText()
        u16 = utf16_offsets(text)
        return max(0, bisect_right(u16, pos16) - 1)

    def finding_at(self, pos16: int) -> Finding | None:
        cp = self.codepoint_at(pos16)
        hits = [f for f in self.findings if f.start <= cp < f.end]
        return max(hits, key=lambda f: f.severity.rank) if hits else None

    def select_range(self, start: int, end: int) -> None:
        """Select code points [start, end)."""
        u16 = utf16_offsets(self.toPlainText())
        start, end = min(start, len(u16) - 1), min(end, len(u16) - 1)
        cursor = self.textCursor()
        cursor.setPosition(u16[start])
        cursor.setPosition(u16[end], QTextCursor.KeepAnchor)
        self.setTextCursor(cursor)
        self.centerCursor()

    def replace_range(self, start: int, end: int, replacement: str, select: bool = False) -> None:
        """One undoable edit replacing code points [start, end). With select (a fix from the findings panel),
        the editor takes the focus back and selects the new text, the caret at its end, so that the next key
        goes to the letter (not to the button the person clicked, or the next field in the tab order)."""
        u16 = utf16_offsets(self.toPlainText())
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.setPosition(u16[start])
        cursor.setPosition(u16[end], QTextCursor.KeepAnchor)
        cursor.insertText(replacement)
        cursor.endEditBlock()
        if select:
            new_end = u16[start] + len(replacement.encode("utf-16-le")) // 2
            selection = self.textCursor()
            selection.setPosition(u16[start])
            selection.setPosition(new_end, QTextCursor.KeepAnchor)
            self.setTextCursor(selection)
            self.ensureCursorVisible()
            self.setFocus(Qt.OtherFocusReason)

    def event(self, e):  # tooltips with the finding's message and explanation
        if e.type() == QEvent.ToolTip:
            cursor = self.cursorForPosition(e.pos())
            f = self.finding_at(cursor.position())
            if f:
                sug = f"<br>提案：{f.suggestions[0]}" if f.suggestions and f.suggestions[0] else ""
                QToolTip.showText(e.globalPos(),
                                  f"<b>[{f.severity.label_ja}] {category_label(f.category)}</b><br>{f.message}"
                                  f"<br><small>{f.explanation}</small>{sug}{place(f)}", self)
            else:
                QToolTip.hideText()
            return True
        return super().event(e)

    def keyPressEvent(self, e):  # noqa: N802 (Qt override)
        # Keep the letter plain text: paste/keys are fine; nothing special yet beyond default.
        if e.key() in (Qt.Key_Tab,) and e.modifiers() == Qt.NoModifier:
            self.insertPlainText("\u3000")  # a tab in a letter is a full-width space
            return
        super().keyPressEvent(e)
