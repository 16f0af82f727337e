"""Findings grouped by category, and within a category repeated mentions of one person or phrase
grouped into one row with a count (each occurrence still listed under it); actions on the selection."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.findings import Finding, category_label, suggestion_edit
from desktop_app.core.workflow.state import FindingsReview, FindingStatus
from desktop_app.gui.editor import LegendWidget, color_for

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
ROLE_LABELS = {"recipient": "宛先", "subject": "ご本人", "sender": "差出人"}
EXPECTED_LABEL = "この手紙の宛先・ご本人・差出人"
ROW_ID = Qt.UserRole + 1  # what a category or group row stands for, to keep it open across re-checks


def group_key(f: Finding) -> tuple:
    """Mentions that are one row: the same person of the letter (宛先・ご本人・差出人, however written),
    or the same text with the same severity."""
    role = dict(f.meta).get("role")
    if f.category == "pii.person" and role in ROLE_LABELS:
        return (f.severity.value, "role", role)
    return (f.severity.value, "text", "".join(f.text.split()))


def where(f: Finding) -> str:
    """「（表1の2行3列）」 for a finding in a Word letter (meta "location"), else ""."""
    loc = dict(f.meta).get("location")
    return f"（{loc}）" if loc else ""


def group_findings(findings: list[Finding]) -> list[list[Finding]]:
    """Findings of one category grouped by group_key, most severe first, then in the order of the text."""
    groups: dict[tuple, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity.value], f.start)):
        groups.setdefault(group_key(f), []).append(f)
    return list(groups.values())


class FindingsPanel(QWidget):
    finding_selected = Signal(object)
    apply_requested = Signal(object)
    mask_requested = Signal(object)
    review_requested = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("findingsPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.summary = QLabel("チェック結果")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(1)
        self.tree.setWordWrap(True)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        layout.addWidget(self.tree, 1)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.apply_btn = QPushButton("提案を適用")
        self.mask_btn = QPushButton("伏せ字にする")
        self.review_btn = QPushButton("確認済みにする…")
        for b, sig in ((self.apply_btn, self.apply_requested), (self.mask_btn, self.mask_requested),
                       (self.review_btn, self.review_requested)):
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, s=sig: self.current() and s.emit(self.current()))
            buttons.addWidget(b)
        layout.addLayout(buttons)
        legend = LegendWidget()
        layout.addWidget(legend)
        self.review = FindingsReview()
        self._order: list[str] = []  # the categories in the order first shown (kept across re-checks)
        self._quiet = False  # a selection restored after a re-check: the editor's caret stays where it is
        self.expected_row: QTreeWidgetItem | None = None
        self.editable = True

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.review.findings

    def set_findings(self, review: FindingsReview, model_ready: bool, text: str | None = None,
                     model_failed: bool = False) -> None:
        """Show the findings with their status (core decides it: a proposal stays open until a reviewer
        accepts it). With the letter's text, occurrences are labelled by line and context.

        A re-check (after every edit) must not move the list under the person's mouse: the categories keep
        the order they had, opened and closed rows stay so, the scroll position stays, and the selected
        finding stays selected (the same one by key, else the nearest in the text) without moving the
        editor's caret. The names this letter is meant to carry (宛先・ご本人・差出人, staff) sit together in
        one closed row at the end, with no 伏せ字."""
        previous = self.current()
        keep_open = {self._row_id(item): item.isExpanded() for item in self._rows()}
        scroll = self.tree.verticalScrollBar().value()
        findings = review.findings
        self.review = review
        self.tree.blockSignals(True)
        self.tree.clear()
        expected = [f for f in findings if review.expected(f)]
        groups: dict[str, list[Finding]] = {}
        for f in findings:
            if not review.expected(f):
                groups.setdefault(f.category, []).append(f)
        fresh = sorted(groups, key=lambda c: (min(SEVERITY_ORDER[f.severity.value] for f in groups[c]), c))
        order = [c for c in self._order if c in groups] + [c for c in fresh if c not in self._order]
        self._order = order + [c for c in self._order if c not in groups]
        for cat in order:
            top = QTreeWidgetItem([f"{category_label(cat)}（{len(groups[cat])}）"])
            top.setData(0, ROW_ID, ("category", cat))
            top.setForeground(0, QBrush(color_for(cat).darker(150)))
            top.setFlags(top.flags() & ~Qt.ItemIsSelectable)
            self.tree.addTopLevelItem(top)
            for group in group_findings(groups[cat]):
                if len(group) == 1:
                    top.addChild(self._finding_item(group[0], self._label(group[0])))
                    continue
                first = group[0]
                row = QTreeWidgetItem([self._group_label(group)])
                row.setData(0, Qt.UserRole, first)
                row.setData(0, ROW_ID, ("group", group_key(first)))
                row.setToolTip(0, f"{first.message}\n{first.explanation}\n（{len(group)}か所。開くと一つずつ確認できます）")
                self._color(row, group)
                top.addChild(row)
                for i, f in enumerate(group, 1):
                    row.addChild(self._finding_item(f, self._occurrence_label(f, i, text)))
                row.setExpanded(keep_open.get(("group", group_key(first)), False))
            top.setExpanded(keep_open.get(("category", cat), True))
        self.expected_row = None
        if expected:
            row = QTreeWidgetItem([f"{EXPECTED_LABEL}（{len(expected)}件）"])
            row.setData(0, ROW_ID, ("expected", ""))
            row.setFlags(row.flags() & ~Qt.ItemIsSelectable)
            row.setToolTip(0, "宛名・ご本人・差出人・職員のお名前は、この手紙に書いてよいお名前です。伏せ字にはしません。")
            self.tree.addTopLevelItem(row)
            for i, f in enumerate(expected, 1):
                who = ROLE_LABELS.get(dict(f.meta).get("role"), "職員")
                row.addChild(self._finding_item(f, f"{who}：{self._occurrence_label(f, i, text)}"))
            row.setExpanded(keep_open.get(("expected", ""), False))
            self.expected_row = row
        high = len(review.blocking)
        status = ("" if model_ready else "（日本語解析モデルなし：パターンによる検出のみ）" if model_failed
                  else "（日本語解析モデルの準備中：パターンによる検出のみ）")
        self.summary.setText(f"指摘 {len(findings) - len(expected)} 件、未解決の重大な指摘 {high} 件{status}"
                             + (f"（ほかに宛先・ご本人・差出人のお名前 {len(expected)} 件）" if expected else ""))
        self.detail.setText("")
        for b in (self.apply_btn, self.mask_btn, self.review_btn):
            b.setEnabled(False)
        self.review_btn.setText("確認済みにする…")  # until a finding is selected again
        self.tree.blockSignals(False)
        if previous is not None:
            self._reselect(previous)
        self.tree.verticalScrollBar().setValue(scroll)

    def _rows(self) -> list[QTreeWidgetItem]:
        """Every category row and group row (the ones that can be opened and closed)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            out.append(top)
            out.extend(top.child(j) for j in range(top.childCount()) if top.child(j).childCount())
        return out

    @staticmethod
    def _row_id(item: QTreeWidgetItem):
        return item.data(0, ROW_ID)

    def _reselect(self, previous: Finding) -> None:
        """The same finding again (by key, the nearest occurrence), else the finding nearest in the text;
        shown in the panel without moving the editor's selection."""
        items = [i for i in self.all_items() if i.data(0, Qt.UserRole) is not None]
        if not items:
            return
        same = [i for i in items if i.data(0, Qt.UserRole).key == previous.key]
        pool = same or items
        best = min(pool, key=lambda i: abs(i.data(0, Qt.UserRole).start - previous.start))
        target = best
        parent = best.parent()
        if parent is not None and not parent.isExpanded():
            if not parent.flags() & Qt.ItemIsSelectable:
                return  # inside a closed category: opening it would move the list
            target = parent  # an occurrence under a closed group row: the row, left closed
        self._quiet = True
        try:
            self.tree.setCurrentItem(target)
        finally:
            self._quiet = False

    def _mark(self, group: list[Finding]) -> str:
        states = {self.review.status(f) for f in group}
        return {FindingStatus.ACCEPTED: "✔ ", FindingStatus.PROPOSED: "✎ "}.get(states.pop(), "") if len(states) == 1 else ""

    def _label(self, f: Finding) -> str:
        mark = self._mark([f])
        return f"{mark}[{f.severity.label_ja}] 「{f.text[:30]}」{where(f)}"

    def _group_label(self, group: list[Finding]) -> str:
        first = group[0]
        texts = list(dict.fromkeys(f.text[:20] for f in group))
        shown = "・".join(f"「{t}」" for t in texts[:3]) + ("…" if len(texts) > 3 else "")
        role = dict(first.meta).get("role") if first.category == "pii.person" else None
        who = f"{ROLE_LABELS[role]}：" if role in ROLE_LABELS else ""
        mark = self._mark(group)
        return f"{mark}[{first.severity.label_ja}] ×{len(group)} {who}{shown}"

    def _occurrence_label(self, f: Finding, index: int, text: str | None) -> str:
        mark = self._mark([f])
        if text is None or f.end > len(text):
            return f"{mark}{index}か所目「{f.text[:30]}」{where(f)}"
        line = text.count("\n", 0, f.start) + 1
        line_start = text.rfind("\n", 0, f.start) + 1
        line_end = text.find("\n", f.end)
        line_end = len(text) if line_end < 0 else line_end
        before = text[max(line_start, f.start - 8):f.start]
        after = text[f.end:min(line_end, f.end + 8)]
        return f"{mark}{line}行目{where(f)}：…{before}【{f.text[:30]}】{after}…"

    def _finding_item(self, f: Finding, label: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([label])
        item.setData(0, Qt.UserRole, f)
        item.setToolTip(0, f"{f.message}\n{f.explanation}" + (f"\n場所：{where(f)[1:-1]}" if where(f) else ""))
        self._color(item, [f])
        return item

    def _color(self, item: QTreeWidgetItem, group: list[Finding]) -> None:
        if any(f.severity.value == "high" and not self.review.status(f).resolved for f in group):
            item.setForeground(0, QBrush(QColor("#b00000")))

    def all_items(self) -> list[QTreeWidgetItem]:
        """One item per finding (an occurrence under a group row, or a row of its own)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                row = top.child(j)
                if row.childCount():
                    out.extend(row.child(k) for k in range(row.childCount()))
                else:
                    out.append(row)
        return out

    def group_rows(self) -> list[QTreeWidgetItem]:
        """The rows that stand for several mentions."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            out.extend(top.child(j) for j in range(top.childCount()) if top.child(j).childCount())
        return out

    def current(self) -> Finding | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.UserRole) if item else None

    def select_finding(self, finding: Finding) -> None:
        for item in self.all_items():
            if item.data(0, Qt.UserRole) == finding:
                if item.parent() and item.parent().parent():
                    item.parent().setExpanded(True)
                self.tree.setCurrentItem(item)
                return

    def set_editable(self, editable: bool) -> None:
        """A letter that cannot be changed now (確認待ち, 送付済み, or no writer's role): 提案を適用, 伏せ字にする
        and 確認済みにする are off instead of doing nothing; findings can still be selected and read."""
        if editable != self.editable:
            self.editable = editable
            self._show_buttons(self.current())

    def _show_buttons(self, f: Finding | None) -> None:
        for b in (self.apply_btn, self.mask_btn, self.review_btn):
            b.setEnabled(f is not None and self.editable)
            b.setToolTip("" if self.editable else "この手紙は今は変更できません（本文の上の案内をご覧ください）")
        if f is None or not self.editable:
            return
        expected = self.review.expected(f)
        self.apply_btn.setEnabled(not expected and suggestion_edit(f) is not None and (
            not f.category.startswith("pii.") or bool(dict(f.meta).get("third_party"))))
        self.mask_btn.setEnabled(f.category.startswith("pii.") and not expected)
        self.mask_btn.setToolTip("この手紙に書いてよいお名前です（伏せ字にしません）" if expected else "")
        self.review_btn.setEnabled(not self.review.status(f).resolved)

    def _on_selection(self) -> None:
        f = self.current()
        self._show_buttons(f)
        if not f:
            self.review_btn.setText("確認済みにする…")  # not the last selection's 取り消す
            return
        expected = self.review.expected(f)
        status = self.review.status(f)
        self.review_btn.setText("確認済みを取り消す" if status is FindingStatus.PROPOSED else "確認済みにする…")
        sug = f"<br>提案：{'／'.join(s for s in f.suggestions if s)}" if any(f.suggestions) and not expected else ""
        reason = f"<br>{status.label_ja}：{html.escape(self.review.reason(f))}" if status.resolved or \
            status is FindingStatus.PROPOSED else ""
        self.detail.setText(f"<b>{f.message}</b>{where(f)}<br><small>{f.explanation}</small>{sug}{reason}")
        if not self._quiet:
            self.finding_selected.emit(f)
