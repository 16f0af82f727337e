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

from desktop_app.core.findings import Finding, category_label
from desktop_app.core.workflow.state import FindingsReview, FindingStatus
from desktop_app.gui.editor import LegendWidget, color_for

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
ROLE_LABELS = {"recipient": "宛先", "subject": "ご本人", "sender": "差出人"}


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
        self.editable = True

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.review.findings

    def set_findings(self, review: FindingsReview, model_ready: bool, text: str | None = None,
                     model_failed: bool = False) -> None:
        """Show the findings with their status (core decides it: a proposal stays open until a reviewer
        accepts it). With the letter's text, occurrences are labelled by line and context."""
        findings = review.findings
        self.review = review
        self.tree.clear()
        groups: dict[str, list[Finding]] = {}
        for f in findings:
            groups.setdefault(f.category, []).append(f)
        order = sorted(groups, key=lambda c: (min(SEVERITY_ORDER[f.severity.value] for f in groups[c]), c))
        for cat in order:
            top = QTreeWidgetItem([f"{category_label(cat)}（{len(groups[cat])}）"])
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
                row.setToolTip(0, f"{first.message}\n{first.explanation}\n（{len(group)}か所。開くと一つずつ確認できます）")
                self._color(row, group)
                top.addChild(row)
                for i, f in enumerate(group, 1):
                    row.addChild(self._finding_item(f, self._occurrence_label(f, i, text)))
            top.setExpanded(True)
        high = len(review.blocking)
        status = ("" if model_ready else "（日本語解析モデルなし：パターンによる検出のみ）" if model_failed
                  else "（日本語解析モデルの準備中：パターンによる検出のみ）")
        self.summary.setText(f"指摘 {len(findings)} 件、未解決の重大な指摘 {high} 件{status}")
        self.detail.setText("")
        for b in (self.apply_btn, self.mask_btn, self.review_btn):
            b.setEnabled(False)

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
        self.apply_btn.setEnabled(bool(f.suggestions and f.suggestions[0] not in ("",)) and not f.category.startswith("pii."))
        self.mask_btn.setEnabled(f.category.startswith("pii."))
        self.review_btn.setEnabled(not self.review.status(f).resolved)

    def _on_selection(self) -> None:
        f = self.current()
        self._show_buttons(f)
        if not f:
            return
        status = self.review.status(f)
        self.review_btn.setText("確認済みを取り消す" if status is FindingStatus.PROPOSED else "確認済みにする…")
        sug = f"<br>提案：{'／'.join(s for s in f.suggestions if s)}" if any(f.suggestions) else ""
        reason = f"<br>{status.label_ja}：{html.escape(self.review.reason(f))}" if status.resolved or \
            status is FindingStatus.PROPOSED else ""
        self.detail.setText(f"<b>{f.message}</b>{where(f)}<br><small>{f.explanation}</small>{sug}{reason}")
        self.finding_selected.emit(f)
