"""The reviewer's view: the queue of letters awaiting review (refreshing by itself), and one letter
read-only with its findings, the writer's proposals, the changes since the last request, comments,
and 承認 / 差し戻し. The rules (who may approve, what must be accepted) are in core.workflow; the letter shown is a
LetterSession, as in the main window."""

from __future__ import annotations

import html
from bisect import bisect_right

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QTextCharFormat, QTextCursor
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
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.accounts import Actor
from desktop_app.core.errors import WorkflowRefused
from desktop_app.core.findings import category_label
from desktop_app.core.letter_session import LetterSession
from desktop_app.core.templates import TemplateLibrary
from desktop_app.core.textutil import utf16_offsets
from desktop_app.core.word import letter as word
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import LetterSummary, inline_diff
from desktop_app.gui import prompts
from desktop_app.gui.comments_panel import COMMENT_COLOR, comment_label
from desktop_app.gui.editor import color_for
from desktop_app.gui.prompts import busy, refusal_text
from desktop_app.gui.screen_fit import fit_to_screen

POLL_MS = 3000  # the queue must show a new request within 5 s
MAX_ROWS = 500  # a table of thousands of rows takes seconds to build, and nobody reviews from its end
INSERTED = QColor("#c8f0c8")
DELETED = QColor("#c00000")
COLUMNS = ("番号", "作成者", "テンプレート", "依頼日時", "重大", "注意")


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
    """The letter with the previous submission's deleted text shown inline, and the maps between
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
    def __init__(self, services: Services, actor: Actor, library: TemplateLibrary, parent: QWidget | None = None):
        super().__init__(parent, Qt.Window)
        self.setWindowTitle(f"確認待ちの手紙 — {actor.name}（{actor.roles_ja}）")
        fit_to_screen(self, 1200, 780)  # on a small screen, the screen's size: no button past its edge
        self.services, self.actor, self.library = services, actor, library
        self.queue: list[LetterSummary] = []
        self._signature: tuple = ()
        self.session: LetterSession | None = None  # the letter shown, checked as the export gate would
        self.diff: DiffText | None = None

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
        self.table.itemSelectionChanged.connect(self._on_selected)
        self.queue_label = QLabel()
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.queue_label)
        lv.addWidget(self.table, 1)

        self.header = QLabel("左の一覧から手紙を選んでください。")
        self.header.setWordWrap(True)
        self.text = QTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("reviewText")
        legend = QLabel('<span style="background:#c8f0c8;">追加された文字</span>　'
                        '<span style="color:#c00000;text-decoration:line-through;">削除された文字</span>'
                        '（前回の確認依頼との違い）　<span style="background:#ffe066;">コメント</span>')
        self.findings_list = QListWidget()
        self.findings_list.setWordWrap(True)
        self.findings_list.itemClicked.connect(self._on_finding_clicked)
        self.comments_list = QListWidget()
        self.comments_list.setWordWrap(True)
        self.comments_list.setMaximumHeight(110)
        self.comment_btn = QPushButton("選択箇所にコメント…")
        self.approve_btn = QPushButton("承認…")
        self.return_btn = QPushButton("差し戻し…")
        self.comment_btn.clicked.connect(lambda: self.comment_on_selection())
        self.approve_btn.clicked.connect(lambda: self.approve())
        self.return_btn.clicked.connect(lambda: self.return_letter())
        buttons = QHBoxLayout()
        for b in (self.comment_btn, self.return_btn, self.approve_btn):
            buttons.addWidget(b)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.header)
        rv.addWidget(self.text, 3)
        rv.addWidget(legend)
        rv.addWidget(QLabel("指摘と作成者の「確認済み」の理由"))
        rv.addWidget(self.findings_list, 2)
        rv.addWidget(QLabel("コメント"))
        rv.addWidget(self.comments_list)
        rv.addLayout(buttons)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([470, 730])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._enable(False)

        self.changes = services.db.watcher()  # the timer re-reads the queue only after a write somewhere
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    # ---- the queue ----------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        if not self.changes.changed() and not force:
            return
        try:
            queue = self.services.letters.queue()
        except Exception as exc:  # the server is away for a moment: say so and try again on the next tick
            self.queue_label.setText(f"確認待ちの一覧を読めませんでした：{exc}")
            self.changes.invalidate()
            return
        signature = tuple((q.id, q.submitted, q.high_count, q.medium_count) for q in queue)
        more = f"、古い順に{MAX_ROWS}件を表示" if len(queue) > MAX_ROWS else ""
        self.queue_label.setText(f"確認待ち {len(queue)} 件（自動で更新されます{more}）")
        queue = queue[:MAX_ROWS]
        if signature == self._signature:
            return
        self._signature = signature
        current = self.session.letter_id if self.session else None
        self.queue = queue
        self.table.blockSignals(True)
        self.table.setRowCount(len(queue))
        for row, q in enumerate(queue):
            mine = "（自分）" if q.writer == self.actor.name else ""
            cells = (str(q.id), q.writer + mine, LetterSession.title_of(self.library, q.template_id), q.submitted_at,
                     str(q.high_count), str(q.medium_count))
            for col, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if col == 4 and q.high_count:
                    item.setForeground(QBrush(QColor("#b00000")))
                    item.setFont(QFont(item.font().family(), -1, QFont.Bold))
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        ids = [q.id for q in queue]
        if current in ids:
            self.table.selectRow(ids.index(current))
        else:
            self.table.clearSelection()
        self.table.blockSignals(False)
        if current is not None and current not in ids:
            self.show_letter(None)

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
            self.session, self.diff = None, None
            self.text.clear()
            self.findings_list.clear()
            self.comments_list.clear()
            self.header.setText("左の一覧から手紙を選んでください。")
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
        changed = "（前回の依頼からの変更を表示）" if view.previous_submitted is not None else ""
        self.header.setText(f"<b>手紙 #{view.id}　{html.escape(session.title)}</b>　作成者：{html.escape(view.writer)}"
                            f"　状態：{view.status.label_ja}{changed}{note}"
                            + ("<br><span style='color:#b00000'>自分で作成・編集した手紙は承認・差し戻しできません。</span>"
                               if own else ""))
        self._render()
        self._enable(allowed.review, "自分で作成・編集した手紙は承認できません" if own else "")

    def _render(self) -> None:
        session = self.session
        assert session is not None and session.view is not None
        view, review = session.view, session.review()
        self.diff = diff = DiffText(view.body, view.previous_submitted)
        self.text.setPlainText(diff.text)
        doc = self.text.document()
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
            fmt = QTextCharFormat()
            color = QColor(color_for(f.category))
            color.setAlpha({"high": 150, "medium": 90, "low": 45, "info": 25}[f.severity.value])
            fmt.setBackground(color)
            if f.severity.value == "high":
                fmt.setFontWeight(QFont.Bold)
            where = word.location_of(f)
            fmt.setToolTip(f"[{f.severity.label_ja}] {category_label(f.category)}：{f.message}"
                           + (f"\n場所：{where}" if where else ""))
            _merge(doc, *diff.display_range(f.start, f.end), fmt)
        for c in view.comments:
            if c.start is not None and c.end is not None and c.quote:
                fmt = QTextCharFormat()
                fmt.setUnderlineStyle(QTextCharFormat.DashUnderline)
                fmt.setUnderlineColor(COMMENT_COLOR.darker(160))
                fmt.setBackground(COMMENT_COLOR)
                fmt.setToolTip(f"{c.author}：{c.text}")
                _merge(doc, *diff.display_range(c.start, c.end), fmt)

        self.findings_list.clear()
        order = {"high": 0, "medium": 1, "low": 2, "info": 3}
        for f in sorted(review.findings, key=lambda x: (order[x.severity.value], x.start)):
            where = word.location_of(f)
            lines = [f"[{f.severity.label_ja}] {category_label(f.category)}「{f.text}」"
                     + (f"（{where}）" if where else "") + f" {f.message}"]
            if f.key in review.proposals:
                lines.append(f"　作成者の理由：{review.proposals[f.key]}")
            if f.key in review.accepted:
                lines.append(f"　了承済み：{review.accepted[f.key]}")
            item = QListWidgetItem("\n".join(lines))
            item.setData(Qt.UserRole, f)
            if f in review.blocking:
                item.setForeground(QBrush(QColor("#b00000")))
            self.findings_list.addItem(item)
        self.comments_list.clear()
        for c in view.comments:
            self.comments_list.addItem(comment_label(c))

    def _on_finding_clicked(self, item: QListWidgetItem) -> None:
        f = item.data(Qt.UserRole)
        if f is None or self.diff is None:
            return
        a, b = self.diff.display_range(f.start, f.end)
        cursor = self.text.textCursor()
        cursor.setPosition(a)
        cursor.setPosition(b, QTextCursor.KeepAnchor)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()

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
        text = prompts.ask_long_text(self, "コメント", f"「{quote[:40]}」へのコメント：")
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
        if not prompts.confirm(self, "承認", f"手紙 #{view.id}（作成者：{view.writer}）を承認しますか？\n"
                               "承認すると、作成者がこの文面のまま書き出せるようになります。", yes="承認する", no="やめる"):
            return False
        accept: dict[str, str] = {}
        for f in session.review().blocking:
            proposal = session.proposals.get(f.key)
            reason = prompts.ask_text(
                self, "重大な指摘の了承",
                f"[重大] {category_label(f.category)}「{f.text}」 {f.message}\n"
                f"作成者の理由：{proposal or '（なし）'}\n\nこのまま承認するなら、あなた（確認者）が了承する理由を入力してください：")
            if reason is None:
                return False
            if not reason.strip():
                prompts.error(self, "理由が必要です", "重大な指摘を了承するには、確認者の理由が必要です。承認は行いませんでした。")
                return False
            accept[f.key] = reason.strip()
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
        text = prompts.ask_long_text(self, "差し戻し", "作成者へのコメント（差し戻す理由・直してほしいこと）：")
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
