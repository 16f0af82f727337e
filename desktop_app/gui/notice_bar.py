"""A strip above the letter that tells a writer which of their letters were returned (with the reviewer's
comments) or approved since they last looked, each with a button to open it. Not a dialog: it waits until
the person closes it, and never interrupts typing."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.core.workflow.state import Notice

MAX_ROWS = 4  # more would push the letter off a 768-pixel screen; the rest are in 自分の手紙
VERBS = {"returned": "差し戻しました", "approved": "承認しました"}


def notice_text(n: Notice, title: str) -> str:
    """「手紙 #12（毎月のご様子・小川 ハル）：森 確認さんが差し戻しました」 and the comments under it."""
    about = "・".join(x for x in (title, n.resident) if x)
    text = f"手紙 #{n.letter_id}（{about}）：{n.by}さんが{VERBS.get(n.kind, n.label_ja)}"
    if n.comments:
        said = " ／ ".join(n.comments)
        text += "\nコメント：" + (said if len(said) <= 160 else said[:160] + "…")
    return text


class NoticeBar(QFrame):
    open_requested = Signal(int)  # a letter id
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setStyleSheet("#noticeBar { background: #fff8dc; border: 1px solid #c8a000; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold;")
        head.addWidget(self.title, 1)
        # after 開く the rows fold away: the letter needs the height, and its comments are under it anyway
        self.fold_btn = QPushButton()
        self.fold_btn.clicked.connect(lambda _=False: self.set_folded(not self.folded))
        head.addWidget(self.fold_btn)
        self.close_btn = QPushButton("確認しました（閉じる）")
        self.close_btn.clicked.connect(lambda _=False: self.dismissed.emit())
        head.addWidget(self.close_btn)
        layout.addLayout(head)
        self.rows_box = QWidget()
        self.rows = QVBoxLayout(self.rows_box)
        self.rows.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.rows_box)
        self.folded = False
        self.set_folded(False)
        self.notices: list[Notice] = []
        self.open_buttons: dict[int, QPushButton] = {}
        self.hide()

    def show_notices(self, notices: Sequence[Notice], title_of: Callable[[str], str]) -> None:
        """Show these notices (hide the bar when there are none)."""
        while self.rows.count():
            item = self.rows.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()
        self.notices, self.open_buttons = list(notices), {}
        if not self.notices:
            self.hide()
            return
        returned = sum(n.kind == "returned" for n in self.notices)
        self.title.setText(f"お知らせ：差し戻し {returned}件、承認 {len(self.notices) - returned}件")
        for n in self.notices[:MAX_ROWS]:
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            label = QLabel(notice_text(n, title_of(n.template_id)))
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            if n.kind == "returned":
                label.setStyleSheet("color: #8b0000;")
            h.addWidget(label, 1)
            button = QPushButton("開く")
            button.setToolTip(f"手紙 #{n.letter_id} を開きます")
            button.clicked.connect(lambda _=False, lid=n.letter_id: self._open(lid))
            h.addWidget(button, 0, Qt.AlignTop)
            self.open_buttons[n.letter_id] = button
            self.rows.addWidget(row)
        self.set_folded(False)  # something new to read
        if len(self.notices) > MAX_ROWS:
            self.rows.addWidget(QLabel(f"ほか {len(self.notices) - MAX_ROWS}件（「自分の手紙…」で見られます）"))
        self.show()

    def set_folded(self, folded: bool) -> None:
        """Only the title line (folded) or every notice with its comments."""
        self.folded = folded
        self.rows_box.setVisible(not folded)
        self.fold_btn.setText("詳しく ▾" if folded else "たたむ ▴")
        self.fold_btn.setToolTip("お知らせの内容を表示します" if folded else "お知らせを一行にたたみます")

    def _open(self, letter_id: int) -> None:
        self.set_folded(True)
        self.open_requested.emit(letter_id)

    def text(self) -> str:
        """Everything the bar says (for the guide's screenshots and tests)."""
        parts = [self.title.text()]
        for i in range(self.rows.count()):
            w = self.rows.itemAt(i).widget()
            parts.extend(label.text() for label in ([w] if isinstance(w, QLabel) else w.findChildren(QLabel)))
        return "\n".join(parts)
