"""The reviewer's view: the queue of letters awaiting review (refreshing by itself), and one letter
read-only with its findings, the writer's proposals, the changes since the last request, comments,
and 承認 / 差し戻し. The rules (who may approve, what must be accepted) are in core.workflow; the letter shown is a
LetterSession, as in the main window."""

from __future__ import annotations

import html
from bisect import bisect_right

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.accounts import Actor
from desktop_app.core.db.models import utcnow
from desktop_app.core.errors import WorkflowRefused
from desktop_app.core.findings import category_label
from desktop_app.core.letter_session import LetterSession
from desktop_app.core.templates import TemplateLibrary
from desktop_app.core.textutil import utf16_offsets
from desktop_app.core.word import letter as word
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import LetterSummary, inline_diff, waiting_ja
from desktop_app.gui import prompts
from desktop_app.gui.comments_panel import (
    COMMENT_MARK,
    COMMENT_TINT,
    comment_label,
    comment_mark,
    comment_tint,
)
from desktop_app.gui.editor import color_for
from desktop_app.gui.findings_panel import EXPECTED_LABEL
from desktop_app.gui.prompts import busy, refusal_text
from desktop_app.gui.screen_fit import fit_to_screen

POLL_MS = 3000  # the queue must show a new request within 5 s
MAX_ROWS = 500  # a table of thousands of rows takes seconds to build, and nobody reviews from its end
INSERTED = QColor("#c8f0c8")
DELETED = QColor("#c00000")
# What the queue tells of each letter. Two facts share a column, one per line, so that all of them show in the
# narrow queue of a 1024-pixel screen (eight columns side by side needed a horizontal scroll even at 1366).
FIELDS = ("番号", "利用者（ご本人）", "ご家族（宛先）", "種類", "作成者", "待ち時間", "重大", "注意")
COLUMNS = (("番号",), ("利用者（ご本人）", "ご家族（宛先）"), ("種類", "作成者"), ("待ち時間",), ("重大", "注意"))
HEADERS = ("番号", "ご本人\nご家族", "種類\n作成者", "待ち", "重大\n注意")
WAITING, COUNTS = 3, 4
COLUMN_CAPS = {1: 110, 2: 110}  # widest a column opens at; the reviewer can drag it wider
HIDE_QUEUE, SHOW_QUEUE = "◀ 一覧を隠す", "一覧を表示 ▶"
PICK_LETTER = "一覧から手紙を選んでください。"


def readable_diff(pieces: list[tuple[str, str]], glue: int = 2) -> list[tuple[str, str]]:
    """Character diffs of Japanese interleave (中屋上の庭園): a change that keeps one or two characters
    in between is shown as one deletion followed by one insertion (中庭 → 屋上の庭園)."""
    out: list[tuple[str, str]] = []
    block: list[tuple[str, str]] = []

    def flush() -> None:
        while block and block[-1][0] == "equal":  # a short equal tail belongs after the change
            tail = block.pop()
            flush()
            out.append(tail)
            return
        old = "".join(t for op, t in block if op != "insert")
        new = "".join(t for op, t in block if op != "delete")
        out.extend(p for p in (("delete", old), ("insert", new)) if p[1])
        block.clear()

    for op, text in pieces:
        if op == "equal" and (len(text) > glue or not block):
            if block:
                flush()
            out.append((op, text))
        else:
            block.append((op, text))
    if block:
        flush()
    return out


class DiffText:
    """The letter with the deleted text of the version a reviewer last decided on shown inline, and the maps between
    positions in the letter (code points) and in the shown text."""

    def __init__(self, body: str, previous: str | None):
        pieces = readable_diff(inline_diff(previous, body)) if previous is not None and previous != body else [("equal", body)]
        self.pieces: list[tuple[str, int, int]] = []  # op, display start, display end (code points)
        shown: list[str] = []
        self.body_of: list[int | None] = []  # display code point -> body code point (None: deleted text)
        self.shown_at: list[int] = []  # body code point -> display code point (one past the end included)
        pos = 0
        for op, text in pieces:
            self.pieces.append((op, pos, pos + len(text)))
            for _ in text:
                if op == "delete":
                    self.body_of.append(None)
                else:
                    self.shown_at.append(pos)
                    self.body_of.append(len(self.shown_at) - 1)
                pos += 1
            shown.append(text)
        self.shown_at.append(pos)
        self.text = "".join(shown)
        self.u16 = utf16_offsets(self.text)

    def display_range(self, start: int, end: int) -> tuple[int, int]:
        """A body range [start, end) as UTF-16 positions in the shown text."""
        a = self.shown_at[min(start, len(self.shown_at) - 1)]
        b = self.shown_at[min(end - 1, len(self.shown_at) - 1)] + 1 if end > start else a
        return self.u16[a], self.u16[min(b, len(self.text))]

    def body_range(self, u16_start: int, u16_end: int) -> tuple[int, int] | None:
        """A selection in the shown text (UTF-16) as a body range; deleted text is left out."""
        a = max(0, bisect_right(self.u16, u16_start) - 1)
        b = max(0, bisect_right(self.u16, u16_end) - 1)
        body = [p for p in self.body_of[a:b] if p is not None]
        return (min(body), max(body) + 1) if body else None


def _merge(doc, start16: int, end16: int, fmt: QTextCharFormat) -> None:
    if end16 <= start16:
        return
    cursor = QTextCursor(doc)
    cursor.setPosition(start16)
    cursor.setPosition(end16, QTextCursor.KeepAnchor)
    cursor.mergeCharFormat(fmt)


class ReviewView(QWidget):
    """Three panes side by side: the queue (collapsible: 一覧を隠す), the letter with the whole height, and the
    findings and comments in tabs beside it, so that nothing below the letter takes its lines."""

    def __init__(self, services: Services, actor: Actor, library: TemplateLibrary, parent: QWidget | None = None):
        super().__init__(parent, Qt.Window)
        self.setWindowTitle(f"確認待ちの手紙 — {actor.name}（{actor.roles_ja}）")
        fit_to_screen(self, 1200, 780)  # on a small screen, the screen's size: no button past its edge
        self.services, self.actor, self.library = services, actor, library
        self.queue: list[LetterSummary] = []
        self._signature: tuple | None = None  # None: the first refresh lays out the table, even empty
        self.session: LetterSession | None = None  # the letter shown, checked as the export gate would
        self.diff: DiffText | None = None
        self._shown_id: int | None = None  # the letter in the text pane (its scroll is kept when re-shown)
        self._queue_width = 0  # the queue's width before it was hidden, to show it again as it was
        self._user_sized = False  # until the reviewer drags a divider, the panes keep their proportions

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        for col, names in enumerate(COLUMNS):
            self.table.horizontalHeaderItem(col).setToolTip("／".join(names))
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.ElideRight)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.itemSelectionChanged.connect(self._on_selected)
        self.queue_label = QLabel()
        self.toggle_queue_btn = QPushButton(HIDE_QUEUE)
        self.toggle_queue_btn.setToolTip("確認待ちの一覧を隠して、手紙を広く表示します")
        self.toggle_queue_btn.clicked.connect(lambda: self.set_queue_shown(not self.queue_shown()))
        # a window of its own over the main window: it says how to leave it (閉じる, Esc)
        self.close_btn = QPushButton("閉じる")
        self.close_btn.setToolTip("確認待ちの画面を閉じます（Esc）。手紙の画面はそのまま使えます")
        self.close_btn.clicked.connect(lambda _=False: self.close())
        QShortcut(QKeySequence(Qt.Key_Escape), self, activated=self.close)
        top = QHBoxLayout()
        top.addWidget(self.toggle_queue_btn)
        top.addWidget(self.queue_label, 1)
        top.addWidget(self.close_btn)

        self.header = QLabel(PICK_LETTER)
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.RichText)
        self.text = QTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("reviewText")
        self.comment_btn = QPushButton("選択箇所にコメント…")
        self.approve_btn = QPushButton("承認…")
        self.return_btn = QPushButton("差し戻し…")
        self.comment_btn.clicked.connect(lambda: self.comment_on_selection())
        self.approve_btn.clicked.connect(lambda: self.approve())
        self.return_btn.clicked.connect(lambda: self.return_letter())
        buttons = QHBoxLayout()
        buttons.addWidget(self.comment_btn)
        buttons.addStretch(1)
        for b in (self.return_btn, self.approve_btn):
            buttons.addWidget(b)
        letter = QWidget()
        lv = QVBoxLayout(letter)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.header)
        lv.addWidget(self.text, 1)
        lv.addLayout(buttons)

        legend = QLabel('<span style="background:#c8f0c8;text-decoration:underline;">追加</span>・'
                        '<span style="color:#c00000;text-decoration:line-through;">削除</span>：前回の確認依頼との違い　'
                        f'<span style="background:{COMMENT_TINT.name()};text-decoration:underline;'
                        f'text-decoration-color:{COMMENT_MARK.name()};">〰 波線</span>：コメント')
        legend.setWordWrap(True)
        self.findings_list = QListWidget()
        self.findings_list.setWordWrap(True)
        self.findings_list.itemClicked.connect(self._on_finding_clicked)
        self.comments_list = QListWidget()
        self.comments_list.setWordWrap(True)
        self.comments_list.itemClicked.connect(self._on_comment_clicked)
        self.blocking_label = QLabel()
        self.blocking_label.setWordWrap(True)
        self.blocking_label.setStyleSheet("color: #b00000;")
        self.blocking_label.setVisible(False)
        findings = QWidget()
        fv = QVBoxLayout(findings)
        fv.setContentsMargins(0, 0, 0, 0)
        fv.addWidget(self.blocking_label)
        fv.addWidget(self.findings_list, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(findings, "指摘")
        self.tabs.addTab(self.comments_list, "コメント")
        side = QWidget()
        sv = QVBoxLayout(side)
        sv.setContentsMargins(0, 0, 0, 0)
        sv.addWidget(self.tabs, 1)
        sv.addWidget(legend)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        for w in (self.table, letter, side):
            self.splitter.addWidget(w)
        self.splitter.setCollapsible(0, True)  # dragged to the edge, the queue goes away like 一覧を隠す
        for i, stretch in enumerate((1, 3, 1)):
            self.splitter.setStretchFactor(i, stretch)
        self.splitter.setSizes(self._proportions(1200))
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        self.table.setMinimumWidth(120)
        letter.setMinimumWidth(300)
        side.setMinimumWidth(200)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self._enable(False)

        self.changes = services.db.watcher()  # the timer re-reads the queue only after a write somewhere
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    # ---- the queue ----------------------------------------------------------------------------
    def queue_shown(self) -> bool:
        return not self.table.isHidden() and self.splitter.sizes()[0] > 0

    def set_queue_shown(self, shown: bool) -> None:
        """一覧を隠す / 一覧を表示: the letter takes the queue's width, and gets it back as it was."""
        sizes = self.splitter.sizes()
        if not shown:
            if sizes[0] > 0:
                self._queue_width = sizes[0]
            self.table.hide()
        else:
            self.table.show()
            if not self._user_sized:
                self.splitter.setSizes(self._proportions(self.splitter.width()))
            elif self.splitter.sizes()[0] < (self._queue_width or 200):
                sizes = self.splitter.sizes()
                width = self._queue_width or 200
                sizes[1] = max(sizes[1] - (width - sizes[0]), 300)
                sizes[0] = width
                self.splitter.setSizes(sizes)
        self._sync_toggle()

    @staticmethod
    def _proportions(width: int) -> list[int]:
        """Queue, letter, findings: the letter gets half or more of the width (at 1024 about 280, 490, 220)."""
        queue = max(200, min(560, int(width * 0.28)))
        side = max(220, min(380, int(width * 0.22)))
        return [queue, max(300, width - queue - side), side]

    def resizeEvent(self, event):  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if not self._user_sized and self.queue_shown():
            self.splitter.setSizes(self._proportions(self.splitter.width()))

    def _on_splitter_moved(self, *_) -> None:
        self._user_sized = True
        self._sync_toggle()

    def _sync_toggle(self) -> None:
        shown = self.queue_shown()
        self.toggle_queue_btn.setText(HIDE_QUEUE if shown else SHOW_QUEUE)
        self.toggle_queue_btn.setToolTip("確認待ちの一覧を隠して、手紙を広く表示します" if shown
                                         else "確認待ちの一覧をもう一度表示します")

    def refresh(self, force: bool = False) -> None:
        self._update_waiting()  # the waiting time moves on without any write
        if not self.changes.changed() and not force:
            return
        try:
            queue = self.services.letters.queue()
        except Exception as exc:  # the server is away for a moment: say so and try again on the next tick
            self.queue_label.setText(f"確認待ちの一覧を読めませんでした：{exc}")
            self.changes.invalidate()
            return
        signature = tuple((q.id, q.submitted, q.high_count, q.medium_count, q.resident, q.family) for q in queue)
        more = f"、古い順に{MAX_ROWS}件を表示" if len(queue) > MAX_ROWS else ""
        self.queue_label.setText(f"確認待ち {len(queue)} 件（自動で更新されます{more}）")
        queue = queue[:MAX_ROWS]
        if signature == self._signature:
            return
        self._signature = signature
        current = self.session.letter_id if self.session else None
        self.queue = queue
        now = utcnow()
        self.table.blockSignals(True)
        self.table.setRowCount(len(queue))
        for row, q in enumerate(queue):
            mine = "（自分）" if q.writer == self.actor.name else ""
            values = dict(zip(FIELDS, (str(q.id), q.resident or "—", q.family or "—",
                                       LetterSession.title_of(self.library, q.template_id), q.writer + mine,
                                       waiting_ja(q.submitted, now), str(q.high_count), str(q.medium_count)), strict=True))
            for col, names in enumerate(COLUMNS):
                item = QTableWidgetItem("\n".join(values[n] for n in names))
                item.setToolTip("\n".join(f"{n}：{values[n]}" for n in names) if col != WAITING
                                else f"確認を依頼されてから{values['待ち時間']}")
                if col in (0, WAITING, COUNTS):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if col == COUNTS and q.high_count:
                    item.setForeground(QBrush(QColor("#b00000")))
                    item.setFont(QFont(item.font().family(), -1, QFont.Bold))
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        for col, cap in COLUMN_CAPS.items():  # long names and titles are cut (the tooltip has all of it)
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), cap))
        ids = [q.id for q in queue]
        if current in ids:
            self.table.selectRow(ids.index(current))
        else:
            self.table.clearSelection()
        self.table.blockSignals(False)
        if current is not None and current not in ids:
            self.show_letter(None)

    def _update_waiting(self) -> None:
        now = utcnow()
        for row, q in enumerate(self.queue[:self.table.rowCount()]):
            item = self.table.item(row, WAITING)
            text = waiting_ja(q.submitted, now)
            if item is not None and item.text() != text:
                item.setText(text)
                item.setToolTip(f"確認を依頼されてから{text}")

    def queue_value(self, row: int, field: str) -> str:
        """One fact of a queue row by its name in FIELDS (作成者, 待ち時間 …), as shown."""
        for col, names in enumerate(COLUMNS):
            if field in names:
                item = self.table.item(row, col)
                return item.text().split("\n")[names.index(field)] if item else ""
        raise KeyError(field)

    def _on_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.show_letter(self.queue[rows[0].row()].id if rows else None)

    # ---- one letter ----------------------------------------------------------------------------
    def _enable(self, on: bool, reason: str = "") -> None:
        for b in (self.approve_btn, self.return_btn):
            b.setEnabled(on)
            b.setToolTip(reason)
        self.comment_btn.setEnabled(self.session is not None)

    def show_letter(self, letter_id: int | None) -> None:
        if letter_id is None:
            self.session, self.diff, self._shown_id = None, None, None
            self.text.setExtraSelections([])
            self.text.setTextCursor(QTextCursor(self.text.document()))
            self.text.document().clear()
            self.findings_list.clear()
            self.comments_list.clear()
            self.blocking_label.setVisible(False)
            self.tabs.setTabText(0, "指摘")
            self.tabs.setTabText(1, "コメント")
            self.header.setText(PICK_LETTER)
            self._enable(False)
            return
        session = LetterSession(self.services, self.actor, self.library, self.services.admin.facility())
        try:
            with busy():
                session.open(letter_id)
                session.check_now()
        except WorkflowRefused as exc:
            prompts.error(self, "手紙を開けません", exc.message)
            return
        except Exception as exc:  # the database went away
            prompts.error(self, "手紙を開けません", f"手紙を読めませんでした：{exc}")
            return
        self.session = session
        view = session.view
        note = ""
        if session.is_word and session.word_document() is None:  # each finding's place in the .docx
            note = ("<br><span style='color:#8a5a00'>元のWordファイル（"
                    f"{html.escape(word.file_name(view.fields))}）がこのパソコンから見つからないか、"
                    "取り込んだ後に変更されているため、指摘の場所（表・ヘッダーなど）は表示できません。</span>")
        allowed = session.allowed()
        own = self.actor.id in (view.writer_id, view.last_editor_id)
        changed = ""
        if view.previous_submitted is not None:  # the text a reviewer last decided on (core chooses it)
            which = f"前回確認した版（第{view.previous_version}版）"
            changed = (f"（{which}から変更はありません）" if view.previous_submitted == view.body
                       else f"（{which}との違いを表示）")
        self.header.setText(f"<b>手紙 #{view.id}　{html.escape(session.title)}</b>　作成者：{html.escape(view.writer)}"
                            f"　状態：{view.status.label_ja}{changed}{note}"
                            + ("<br><span style='color:#b00000'>自分で作成・編集した手紙は承認・差し戻しできません。</span>"
                               if own else ""))
        self._render()
        self._enable(allowed.review, "自分で作成・編集した手紙は承認できません" if own else "")

    def _render(self) -> None:
        """Show the letter with its marks. The text is replaced through the document, not QTextEdit.setPlainText:
        that applies the text cursor's current character format to the whole new text, and after a finding was
        clicked or a range commented the cursor stands in a highlighted finding, so the whole letter came out
        bold and coloured. The document's character formats are the diff and the findings, nothing else;
        comments are extra selections on top."""
        session = self.session
        assert session is not None and session.view is not None
        view, review = session.view, session.review()
        same = self.diff is not None and self._shown_id == view.id
        scroll = self.text.verticalScrollBar().value() if same else 0
        self.diff = diff = DiffText(view.body, view.previous_submitted)
        self._shown_id = view.id
        doc = self.text.document()
        self.text.setTextCursor(QTextCursor(doc))  # no selection, no format carried into the new text
        doc.setPlainText(diff.text)
        for op, a, b in diff.pieces:
            fmt = QTextCharFormat()
            if op == "insert":
                fmt.setBackground(INSERTED)
                fmt.setFontUnderline(True)
            elif op == "delete":
                fmt.setForeground(DELETED)
                fmt.setFontStrikeOut(True)
            else:
                continue
            _merge(doc, diff.u16[a], diff.u16[b], fmt)
        for f in review.findings:
            _merge(doc, *diff.display_range(f.start, f.end), self._finding_format(f))
        self.text.setExtraSelections(self._comment_marks())
        self.text.verticalScrollBar().setValue(scroll)

        self.findings_list.clear()
        order = {"high": 0, "medium": 1, "low": 2, "info": 3}
        expected = [f for f in review.findings if review.expected(f) and f not in review.blocking]
        for f in sorted(review.findings, key=lambda x: (order[x.severity.value], x.start)):
            if f in expected:
                continue
            where = self.place(f)
            lines = [f"[{f.severity.label_ja}] {category_label(f.category)}「{f.text}」"
                     + (f"（{where}）" if where else "") + f" {f.message}"]
            if f.key in review.proposals:
                lines.append(f"　作成者の理由：{review.proposals[f.key]}")
            if f.key in review.accepted:
                lines.append(f"　了承済み：{review.accepted[f.key]}")
            item = QListWidgetItem("\n".join(lines))
            item.setData(Qt.UserRole, f)
            if where:
                item.setToolTip(f"Wordファイルの中の場所：{where}")
            if f in review.blocking:
                item.setForeground(QBrush(QColor("#b00000")))
            self.findings_list.addItem(item)
        if expected:  # the letter's own people, as in the writer's panel: one line, after what needs a look
            names = "、".join(dict.fromkeys(f.text for f in expected))
            item = QListWidgetItem(f"{EXPECTED_LABEL}（{len(expected)}件）：{names}")
            item.setForeground(QBrush(QColor("#606060")))
            item.setToolTip("宛名・ご本人・差出人・職員のお名前は、この手紙に書いてよいお名前です。")
            self.findings_list.addItem(item)
        self.comments_list.clear()
        for c in view.comments:
            item = QListWidgetItem(comment_label(c))
            item.setData(Qt.UserRole, c)
            self.comments_list.addItem(item)
        blocking = len(review.blocking)
        self.tabs.setTabText(0, f"指摘（{len(review.findings)}）")
        self.blocking_label.setText(f"承認には確認者の了承が必要な重大な指摘：{blocking}件" if blocking else "")
        self.blocking_label.setVisible(bool(blocking))
        self.tabs.setTabText(1, f"コメント（{len(view.comments)}）")

    def place(self, f) -> str:
        """Where a Word letter's finding is in its file (表1の3行2列, ヘッダー …); empty for other letters."""
        if self.session is None or not self.session.is_word:
            return ""
        return word.location_of(f) or self.session.place_of(f.start, f.end) or ""

    def _finding_format(self, f) -> QTextCharFormat:
        fmt = QTextCharFormat()
        color = QColor(color_for(f.category))
        color.setAlpha({"high": 150, "medium": 90, "low": 45, "info": 25}[f.severity.value])
        fmt.setBackground(color)
        if f.severity.value == "high":
            fmt.setFontWeight(QFont.Bold)
        where = self.place(f)
        fmt.setToolTip(f"[{f.severity.label_ja}] {category_label(f.category)}：{f.message}"
                       + (f"\n場所：{where}" if where else ""))
        return fmt

    def _comment_marks(self) -> list[QTextEdit.ExtraSelection]:
        """Over each anchored comment: a wavy underline, and a pale tint on the parts that are no finding (a
        tint over a finding would hide its colour). Drawn over the text, never merged into it."""
        out: list[QTextEdit.ExtraSelection] = []
        session, diff = self.session, self.diff
        if session is None or session.view is None or diff is None:
            return out
        findings = sorted(diff.display_range(f.start, f.end) for f in session.findings)

        def select(a: int, b: int, fmt: QTextCharFormat) -> None:
            sel = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.text.document())
            cursor.setPosition(a)
            cursor.setPosition(b, QTextCursor.KeepAnchor)
            sel.cursor, sel.format = cursor, fmt
            out.append(sel)

        for c in session.view.comments:
            if c.start is None or c.end is None or not c.quote:
                continue
            a, b = diff.display_range(c.start, c.end)
            if b <= a:
                continue
            pos = a
            for fa, fb in findings:  # the tint goes in the gaps between findings
                if fb <= pos or fa >= b:
                    continue
                if fa > pos:
                    select(pos, fa, comment_tint())
                pos = max(pos, fb)
            if pos < b:
                select(pos, b, comment_tint())
            select(a, b, comment_mark(c))
        return out

    def _select(self, start: int, end: int) -> None:
        if self.diff is None:
            return
        a, b = self.diff.display_range(start, end)
        cursor = self.text.textCursor()
        cursor.setPosition(a)
        cursor.setPosition(b, QTextCursor.KeepAnchor)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()

    def _on_finding_clicked(self, item: QListWidgetItem) -> None:
        f = item.data(Qt.UserRole)
        if f is not None:
            self._select(f.start, f.end)

    def _on_comment_clicked(self, item: QListWidgetItem) -> None:
        c = item.data(Qt.UserRole)
        if c is not None and c.start is not None and c.end is not None:
            self._select(c.start, c.end)

    # ---- decisions --------------------------------------------------------------------------------
    def comment_on_selection(self) -> bool:
        if self.session is None or self.diff is None:
            return False
        cursor = self.text.textCursor()
        rng = self.diff.body_range(cursor.selectionStart(), cursor.selectionEnd())
        if rng is None:
            prompts.error(self, "コメント", "コメントする箇所を本文で選んでください（削除された文字には付けられません）。")
            return False
        quote = self.session.body[rng[0]:rng[1]]
        text = prompts.ask_long_text(self, "コメント", f"「{quote[:40]}」へのコメント：", ok="コメントする")
        if not text or not text.strip():
            return False
        try:
            self.session.comment(rng[0], rng[1], text)
        except WorkflowRefused as exc:
            prompts.error(self, "コメントできません", refusal_text(exc))
            return False
        self.show_letter(self.session.letter_id)
        return True

    def approve(self) -> bool:
        """承認: each high finding not yet accepted needs this reviewer's own reason."""
        session = self.session
        if session is None or session.view is None:
            return False
        view = session.view
        shown = f"（画面の第{view.text_version}版）" if view.text_version else ""  # the version approved is the one read
        if not prompts.confirm(self, "承認", f"手紙 #{view.id}{shown}（作成者：{view.writer}）を承認しますか？\n"
                               "承認すると、作成者がこの文面のまま書き出せるようになります。", yes="承認する", no="やめる"):
            return False
        accept: dict[str, str] = {}
        for f in session.review().blocking:
            proposal = session.proposals.get(f.key)
            reason = prompts.ask_required(
                prompts.ask_text, self, "重大な指摘の了承",
                f"[重大] {category_label(f.category)}「{f.text}」 {f.message}\n"
                f"作成者の理由：{proposal or '（なし）'}\n\nこのまま承認するなら、あなた（確認者）が了承する理由を入力してください：",
                ok="了承する", missing="重大な指摘を了承するには、確認者の理由が必要です。")
            if reason is None:
                return False
            accept[f.key] = reason
        try:
            with busy():
                session.approve(accept=accept)
        except WorkflowRefused as exc:
            prompts.error(self, "承認できません", refusal_text(exc))
            self.show_letter(view.id)
            return False
        except Exception as exc:  # the database went away
            prompts.error(self, "承認できません", f"データベースに書き込めませんでした：{exc}")
            return False
        prompts.info(self, "承認しました", f"手紙 #{view.id} を承認しました。作成者が書き出せるようになりました。")
        self.refresh(force=True)
        return True

    def return_letter(self) -> bool:
        """差し戻し with a comment for the writer (comments on ranges are added before, on the text)."""
        if self.session is None:
            return False
        letter_id = self.session.letter_id
        text = prompts.ask_required(prompts.ask_long_text, self, "差し戻し",
                                    "作成者へのコメント（差し戻す理由・直してほしいこと）：", ok="差し戻す",
                                    missing="差し戻すには、作成者へのコメントが必要です。")
        if text is None:
            return False
        try:
            self.session.return_letter(text)
        except WorkflowRefused as exc:
            prompts.error(self, "差し戻せません", refusal_text(exc))
            return False
        except Exception as exc:
            prompts.error(self, "差し戻せません", f"データベースに書き込めませんでした：{exc}")
            return False
        prompts.info(self, "差し戻しました", f"手紙 #{letter_id} を作成者に差し戻しました。")
        self.refresh(force=True)
        return True

    def closeEvent(self, event):  # noqa: N802 (Qt override)
        self.timer.stop()
        super().closeEvent(event)

    def showEvent(self, event):  # noqa: N802 (Qt override)
        self.timer.start()
        super().showEvent(event)
