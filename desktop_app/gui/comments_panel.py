"""The reviewer's comments for the writer: listed under the letter and highlighted on its text."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.textutil import utf16_offsets
from desktop_app.core.workflow.state import CHANGED_ANCHOR, CommentView, anchor

COMMENT_COLOR = QColor("#ffe066")
COMMENT_MARK = QColor("#5b2bd6")  # the reviewer's view: a violet wavy underline, a colour no finding uses
COMMENT_TINT = QColor("#ece4ff")  # and a pale violet behind the commented text that is not a finding


def comment_label(c: CommentView) -> str:
    if not c.quote:
        return f"{c.author}（全体）：{c.text}"
    if c.anchor_lost:
        return f"{c.author}：「{c.quote}」 {CHANGED_ANCHOR} — {c.text}"
    return f"{c.author}：「{c.quote}」 {c.text}"


def reanchor(body: str, comments: list[CommentView]) -> list[CommentView]:
    """Follow the writer's edits: each quoted range is found again in the current text, or marked lost."""
    out = []
    for c in comments:
        if not c.quote:
            out.append(c)
            continue
        pos = anchor(body, c.start if c.start is not None else 0, c.end if c.end is not None else 0, c.quote)
        out.append(CommentView(c.id, pos[0] if pos else None, pos[1] if pos else None, c.quote, c.text, c.author,
                               c.created_at))
    return out


def comment_selections(editor: QPlainTextEdit | QTextEdit, comments: list[CommentView],
                       offsets: list[int] | None = None) -> list[QTextEdit.ExtraSelection]:
    """Extra selections (they leave the finding highlighter's formats alone) over each anchored comment."""
    text = editor.toPlainText()
    u16 = offsets or utf16_offsets(text)
    out = []
    for c in comments:
        if c.start is None or c.end is None or not c.quote or c.end >= len(u16):
            continue
        sel = QTextEdit.ExtraSelection()
        cursor = QTextCursor(editor.document())
        cursor.setPosition(u16[c.start])
        cursor.setPosition(u16[c.end], QTextCursor.KeepAnchor)
        sel.cursor = cursor
        fmt = QTextCharFormat()
        fmt.setBackground(COMMENT_COLOR)
        fmt.setToolTip(f"{c.author}：{c.text}")
        sel.format = fmt
        out.append(sel)
    return out


def comment_mark(c: CommentView) -> QTextCharFormat:
    """How the reviewer's view marks a commented range: a wavy underline only, no background and no weight, so
    the finding highlights under it stay readable. Used as an extra selection, never merged into the text."""
    fmt = QTextCharFormat()
    fmt.setUnderlineStyle(QTextCharFormat.WaveUnderline)
    fmt.setUnderlineColor(COMMENT_MARK)
    fmt.setToolTip(f"コメント（{c.author}）：{c.text}")
    return fmt


def comment_tint() -> QTextCharFormat:
    """The pale background of a commented range, laid only where no finding's highlight is."""
    fmt = QTextCharFormat()
    fmt.setBackground(COMMENT_TINT)
    return fmt


class CommentsPanel(QWidget):
    """Hidden while a letter has no comments."""

    comment_selected = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("commentsPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.title = QLabel("確認者からのコメント")
        layout.addWidget(self.title)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setMaximumHeight(120)
        self.list.itemClicked.connect(lambda item: self.comment_selected.emit(item.data(Qt.UserRole)))
        layout.addWidget(self.list)
        self.comments: list[CommentView] = []
        self.setVisible(False)

    def set_comments(self, comments: list[CommentView]) -> None:
        self.comments = list(comments)
        self.list.clear()
        for c in comments:
            item = QListWidgetItem(comment_label(c))
            item.setData(Qt.UserRole, c)
            if c.quote and not c.anchor_lost:
                item.setBackground(COMMENT_COLOR.lighter(115))
            self.list.addItem(item)
        self.title.setText(f"確認者からのコメント（{len(comments)}件）")
        self.setVisible(bool(comments))

    def labels(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]
