"""自分の手紙: the letters this person wrote, grouped by state (下書き, 確認待ち, 差し戻し, 承認済み, 送付済み) with
the resident, the recipient, the kind and the last change. Double-click (or 開く) asks the window's controller
to open one; the controller asks about unsaved text first, as 手紙を開く does."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.workflow.state import LetterSummary, Status

STATE_ORDER = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED, Status.EXPORTED)
STATE_HINTS = {
    Status.DRAFT: "書きかけ",
    Status.SUBMITTED: "確認者の判断待ち。直すときは開いて「依頼を取り下げる」",
    Status.RETURNED: "確認者のコメントを見て直してください",
    Status.APPROVED: "書き出せます",
    Status.EXPORTED: "変更できません。「この手紙をもとに新しく作成」で次の手紙に使えます",
}
COLUMNS = ("手紙", "利用者（ご本人）", "宛先", "種類", "更新日")


class MyLettersDialog(QDialog):
    open_requested = Signal(int)  # a letter id

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("自分の手紙")
        self.setObjectName("myLetters")
        self.resize(860, 520)  # fits a 1024x768 screen with the taskbar
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        for column, width in enumerate((250, 140, 140, 150, 130)):
            self.tree.setColumnWidth(column, width)
        self.tree.itemDoubleClicked.connect(lambda item, _col: self.open_item(item))
        self.tree.itemSelectionChanged.connect(self._on_selection)
        layout.addWidget(self.tree, 1)
        layout.addWidget(QLabel("ダブルクリック（または「開く」）で手紙を開きます。"))
        self.buttons = QDialogButtonBox()
        self.open_btn = self.buttons.addButton("開く", QDialogButtonBox.AcceptRole)
        self.buttons.addButton("閉じる", QDialogButtonBox.RejectRole)
        self.open_btn.setEnabled(False)
        self.buttons.accepted.connect(lambda: self.open_item(self.tree.currentItem()))
        self.buttons.rejected.connect(self.hide)
        layout.addWidget(self.buttons)

    def set_letters(self, letters: Sequence[LetterSummary], title_of: Callable[[str], str]) -> None:
        """Group the letters by state, newest change first within each (as LetterQueries.mine gives them)."""
        self.tree.clear()
        by_state: dict[Status, list[LetterSummary]] = {}
        for d in letters:
            by_state.setdefault(d.status, []).append(d)
        for state in STATE_ORDER:
            rows = by_state.get(state, [])
            if not rows:
                continue
            top = QTreeWidgetItem([f"{state.label_ja}（{len(rows)}）　{STATE_HINTS[state]}"])
            top.setFlags(top.flags() & ~Qt.ItemIsSelectable)
            self.tree.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)
            for d in rows:
                item = QTreeWidgetItem([f"#{d.id}　{d.first_line[:20]}", d.resident, d.family, title_of(d.template_id),
                                        d.updated_at])
                item.setData(0, Qt.UserRole, d.id)
                item.setToolTip(0, d.first_line)
                top.addChild(item)
            top.setExpanded(True)
        count = len(letters)
        self.summary.setText(f"あなたが作成した手紙 {count}件" if count else "あなたが作成した手紙はまだありません。")
        self.open_btn.setEnabled(False)

    def letter_items(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(i).child(j) for i in range(self.tree.topLevelItemCount())
                for j in range(self.tree.topLevelItem(i).childCount())]

    def item_for(self, letter_id: int) -> QTreeWidgetItem | None:
        return next((it for it in self.letter_items() if it.data(0, Qt.UserRole) == letter_id), None)

    def groups(self) -> list[str]:
        """The state of each group, in order (下書き, 確認待ち, …)."""
        return [self.tree.topLevelItem(i).text(0).split("（", 1)[0] for i in range(self.tree.topLevelItemCount())]

    def open_item(self, item: QTreeWidgetItem | None) -> None:
        letter_id = item.data(0, Qt.UserRole) if item is not None else None
        if letter_id is not None:
            self.open_requested.emit(int(letter_id))

    def _on_selection(self) -> None:
        item = self.tree.currentItem()
        self.open_btn.setEnabled(item is not None and item.data(0, Qt.UserRole) is not None)
