"""Findings grouped by category with counts; actions on the selected finding."""

from __future__ import annotations

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

from desktop_app.core.letters import Finding, category_label
from desktop_app.gui.editor import LEGEND, color_for

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


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
        legend = QLabel("　".join(
            f'<span style="background:{color_for(code).name()};">&nbsp;&nbsp;&nbsp;</span> {label}'
            for code, label in LEGEND) + "<br><small>濃い色・波線＝重大、下線＝注意、薄い色＝確認、点線＝確認済み</small>")
        legend.setWordWrap(True)
        legend.setObjectName("legend")
        layout.addWidget(legend)
        self.findings: list[Finding] = []
        self.reviewed: dict = {}

    def set_findings(self, findings: list[Finding], reviewed: dict, model_ready: bool) -> None:
        self.findings = findings
        self.reviewed = reviewed
        self.tree.clear()
        groups: dict[str, list[Finding]] = {}
        for f in findings:
            groups.setdefault(f.category, []).append(f)
        order = sorted(groups, key=lambda c: (min(SEVERITY_ORDER[f.severity.value] for f in groups[c]), c))
        for cat in order:
            items = sorted(groups[cat], key=lambda f: (SEVERITY_ORDER[f.severity.value], f.start))
            top = QTreeWidgetItem([f"{category_label(cat)}（{len(items)}）"])
            top.setForeground(0, QBrush(color_for(cat).darker(150)))
            top.setFlags(top.flags() & ~Qt.ItemIsSelectable)
            self.tree.addTopLevelItem(top)
            for f in items:
                mark = "✔ " if f.key in reviewed else ""
                child = QTreeWidgetItem([f"{mark}[{f.severity.label_ja}] 「{f.text[:30]}」"])
                child.setData(0, Qt.UserRole, f)
                child.setToolTip(0, f"{f.message}\n{f.explanation}")
                if f.severity.value == "high" and f.key not in reviewed:
                    child.setForeground(0, QBrush(QColor("#b00000")))
                top.addChild(child)
            top.setExpanded(True)
        high = sum(f.severity.value == "high" and f.key not in reviewed for f in findings)
        status = "" if model_ready else "（日本語解析モデルの準備中：パターンによる検出のみ）"
        self.summary.setText(f"指摘 {len(findings)} 件、未解決の重大な指摘 {high} 件{status}")
        self.detail.setText("")
        for b in (self.apply_btn, self.mask_btn, self.review_btn):
            b.setEnabled(False)

    def all_items(self) -> list[QTreeWidgetItem]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            out.extend(top.child(j) for j in range(top.childCount()))
        return out

    def current(self) -> Finding | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.UserRole) if item else None

    def select_finding(self, finding: Finding) -> None:
        for item in self.all_items():
            if item.data(0, Qt.UserRole) == finding:
                self.tree.setCurrentItem(item)
                return

    def _on_selection(self) -> None:
        f = self.current()
        for b in (self.apply_btn, self.mask_btn, self.review_btn):
            b.setEnabled(f is not None)
        if not f:
            return
        self.apply_btn.setEnabled(bool(f.suggestions and f.suggestions[0] not in ("",)) and not f.category.startswith("pii."))
        self.mask_btn.setEnabled(f.category.startswith("pii."))
        self.review_btn.setText("確認済みを取り消す" if f.key in self.reviewed else "確認済みにする…")
        sug = f"<br>提案：{'／'.join(s for s in f.suggestions if s)}" if any(f.suggestions) else ""
        reason = f"<br>確認済み：{self.reviewed[f.key]}" if f.key in self.reviewed else ""
        self.detail.setText(f"<b>{f.message}</b><br><small>{f.explanation}</small>{sug}{reason}")
        self.finding_selected.emit(f)
