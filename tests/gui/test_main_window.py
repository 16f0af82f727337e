"""The main window offscreen: form → letter → live check → mask → undo; autosave and restore."""

import json

import pytest

from desktop_app.gui import prompts
from tests.conftest import SAMPLES
from tests.gui.conftest import wait_check

pytestmark = [pytest.mark.gui, pytest.mark.nlp]


@pytest.fixture
def window(qtbot, make_window, monkeypatch):
    monkeypatch.setattr(prompts, "confirm", lambda *a, **k: True)
    monkeypatch.setattr(prompts, "info", lambda *a, **k: None)
    errors = []
    monkeypatch.setattr(prompts, "error", lambda parent, title, text: errors.append((title, text)))
    w = make_window("writer")
    w.errors = errors
    w.show()
    return w


def fill(window, template_id):
    window.template_combo.setCurrentIndex(window.template_combo.findData(template_id))
    for k, v in json.loads((SAMPLES / f"{template_id}.json").read_text(encoding="utf-8")).items():
        if k in window.form.widgets:
            window.form.set_value(k, str(v))


def test_window_smoke_offscreen(window, tmp_path):
    assert window.windowTitle()
    assert window.template_combo.count() >= 12
    assert window.grab().save(str(tmp_path / "window.png"))


def test_form_to_letter_to_third_party_leak_mask_and_undo(qtbot, window):
    fill(window, "incident_report")
    assert window.controller.generate()
    text = window.editor.toPlainText()
    assert text.startswith("長谷川 誠一 様")
    wait_check(qtbot, window)
    assert not window.controller.session.unresolved_high()

    # a rare kanji and an emoji earlier in the text must not shift the highlight
    pos = text.index("【今後の取り組み】")
    window.editor.replace_range(pos, pos, "𠮷田屋さんの前で😀、同室の小野寺様が見ておられました。\n")
    wait_check(qtbot, window)
    high = [f for f in window.controller.session.unresolved_high() if f.category == "pii.person"]
    assert [f.text for f in high] == ["小野寺"]
    f = high[0]
    window.panel.select_finding(f)
    cursor = window.editor.textCursor()
    assert cursor.selectedText() == "小野寺"

    window.controller.mask_finding(f)
    # a letter that is sent never says 「同室の〇〇様」: the name is written around by role
    assert "同室の方が見ておられました" in window.editor.toPlainText()
    assert "〇〇" not in window.editor.toPlainText()
    wait_check(qtbot, window)
    assert not [x for x in window.controller.session.unresolved_high() if x.category == "pii.person"]

    window.editor.undo()
    assert "同室の小野寺様" in window.editor.toPlainText()
    wait_check(qtbot, window)
    assert [x.text for x in window.controller.session.unresolved_high() if x.category == "pii.person"] == ["小野寺"]


def test_highlight_format_sits_on_the_name(qtbot, window):
    window.editor.setPlainText("😀𠮷\n同室の小野寺様です。")
    wait_check(qtbot, window)
    block = window.editor.document().findBlockByNumber(1)
    formats = block.layout().formats()
    spans = [(r.start, r.length) for r in formats]
    assert (3, 3) in spans  # 小野寺 starts at UTF-16 column 3 of the second line


def test_regenerate_asks_before_overwriting_edits(qtbot, window, monkeypatch):
    fill(window, "thanks")
    assert window.controller.generate()
    window.editor.appendPlainText("手で書き足した一文。")
    monkeypatch.setattr(prompts, "confirm", lambda *a, **k: False)
    assert not window.controller.generate()
    assert "手で書き足した一文。" in window.editor.toPlainText()


def test_missing_fields_are_named_and_nothing_is_lost(window):
    window.template_combo.setCurrentIndex(window.template_combo.findData("incident_report"))
    window.editor.setPlainText("書きかけの文章")
    assert not window.controller.generate()
    assert window.errors and "ご利用者のお名前" in window.errors[-1][1]
    assert window.editor.toPlainText() == "書きかけの文章"


def test_writer_proposal_keeps_its_reason_but_does_not_unblock_export(qtbot, window, tmp_path, monkeypatch):
    window.editor.setPlainText("山田 太郎 様\n\n同室の小野寺様が転倒されました。\n")
    wait_check(qtbot, window)
    target = tmp_path / "out.docx"
    monkeypatch.setattr(prompts, "save_file", lambda *a, **k: str(target))
    f = window.controller.session.unresolved_high()[0]
    monkeypatch.setattr(prompts, "ask_text", lambda *a, **k: "ご家族の了承済み")
    window.controller.mark_reviewed(f)
    assert window.controller.session.proposals[f.key] == "ご家族の了承済み"
    assert window.controller.session.unresolved_high() == [f]  # only a reviewer's acceptance unblocks a high finding
    assert window.controller.export_word() is None and not target.exists()
    assert "重大な指摘" in window.errors[-1][1]
    # the proposal reached the database with its reason, for the reviewer
    assert window.controller.services.letters.get(window.controller.session.letter_id).proposals == {f.key: "ご家族の了承済み"}


def slot_body(window, slot: str) -> str | None:
    from desktop_app.core.db.models import RecoverySlot

    with window.controller.services.db.session() as s:
        row = s.get(RecoverySlot, slot)
        return row.body if row is not None else None


def test_autosave_and_restore_after_a_crash(qtbot, make_window, monkeypatch):
    from desktop_app.core.db.models import RecoverySlot
    from desktop_app.gui.app import offer_restore

    w = make_window("writer")
    w.editor.setPlainText("停電の前に書いていた手紙")
    qtbot.waitUntil(lambda: slot_body(w, w.controller.recovery.slot) is not None, timeout=5000)
    # simulated crash: no closeEvent; the slot's owner (another process) no longer runs
    w.controller.dispatcher.shutdown()
    with w.controller.services.db.session() as s:
        s.get(RecoverySlot, w.controller.recovery.slot).owner = "crashed-pc:1"
    other = make_window("writer")
    other.editor.setPlainText("別の窓で書いている手紙")
    qtbot.waitUntil(lambda: slot_body(w, other.controller.recovery.slot) is not None, timeout=5000)
    w2 = make_window("writer")
    monkeypatch.setattr(prompts, "confirm", lambda *a, **k: True)
    offer_restore(w2)
    assert w2.editor.toPlainText() == "停電の前に書いていた手紙" and w2.controller.session.dirty
    # the running window's copy is not offered, and closing one window clears only its own slot
    w2._closing_ok = True
    w2.close()
    assert slot_body(w, other.controller.recovery.slot) == "別の窓で書いている手紙"


def test_recovered_text_of_a_saved_letter_keeps_its_letter(qtbot, make_window, monkeypatch):
    from desktop_app.core.recovery import Recovered
    from desktop_app.gui.app import offer_restore

    w = make_window("writer")
    w.editor.setPlainText("保存した本文\n")
    assert w.controller.save_draft()
    letter_id = w.controller.session.letter_id
    crashed = Recovered(template_id=w.controller.session.template_id, body="保存した本文\n停電前の追記\n", letter_id=letter_id)
    w.controller.recovery.save(crashed)
    from desktop_app.core.db.models import RecoverySlot

    with w.controller.services.db.session() as s:
        s.get(RecoverySlot, w.controller.recovery.slot).owner = "crashed-pc:1"
    w2 = make_window("writer")
    monkeypatch.setattr(prompts, "confirm", lambda *a, **k: True)
    offer_restore(w2)
    assert w2.controller.session.letter_id == letter_id and w2.controller.session.version == w.controller.session.version
    assert w2.editor.toPlainText().endswith("停電前の追記\n") and w2.controller.session.dirty
    assert w2.controller.save_draft()  # saved on top of the version it was written against: no conflict


def test_close_with_unsaved_text_asks_and_cancel_keeps_window(qtbot, window, monkeypatch):
    window._closing_ok = False
    window.editor.setPlainText("まだ保存していない")
    monkeypatch.setattr(prompts, "ask_save_discard_cancel", lambda *a, **k: "cancel")
    window.close()
    assert window.isVisible()
    monkeypatch.setattr(prompts, "ask_save_discard_cancel", lambda *a, **k: "save")
    window.close()
    assert not window.isVisible()
    assert window.controller.services.letters.list()[0].first_line == "まだ保存していない"


def test_next_finding_navigation(qtbot, window):
    window.editor.setPlainText("必ず再発を防ぎます。同室の小野寺様です。")
    wait_check(qtbot, window)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.Start)
    window.goto_finding(+1)
    first = window.editor.textCursor().selectedText()
    window.goto_finding(+1)
    assert window.editor.textCursor().selectedText() != first


def test_saved_draft_can_be_opened_again(qtbot, window, monkeypatch):
    fill(window, "thanks")
    window.controller.generate()
    assert window.controller.save_draft()
    saved = window.editor.toPlainText()
    window.template_combo.setCurrentIndex(window.template_combo.findData("fee_notice"))
    window.editor.setPlainText("別の手紙")
    monkeypatch.setattr(prompts, "choose_item", lambda *a, **k: 0)
    monkeypatch.setattr(prompts, "ask_save_discard_cancel", lambda *a, **k: "discard")
    assert window.controller.open_draft()
    assert window.editor.toPlainText() == saved
    assert window.current_template_id() == "thanks"
    assert window.form.values()["recipient_name"] == "長谷川 誠一"


def test_apply_suggestion_then_undo(qtbot, window):
    window.editor.setPlainText("今後、二度とこのようなことは起こしません。")
    wait_check(qtbot, window)
    f = [x for x in window.controller.session.findings if x.category == "risk.commitment"][0]
    window.controller.apply_suggestion(f)
    assert window.editor.toPlainText() == "今後、再発防止に努めてまいります。"
    wait_check(qtbot, window)
    assert not [x for x in window.controller.session.findings if x.category.startswith("risk.")]
    window.editor.undo()
    assert window.editor.toPlainText() == "今後、二度とこのようなことは起こしません。"


def test_reviewed_mark_can_be_taken_back(qtbot, window, monkeypatch):
    window.editor.setPlainText("同室の小野寺様です。")
    wait_check(qtbot, window)
    f = window.controller.session.unresolved_high()[0]
    monkeypatch.setattr(prompts, "ask_text", lambda *a, **k: "承認者に確認済み")
    window.controller.mark_reviewed(f)
    assert window.controller.session.proposals == {f.key: "承認者に確認済み"}
    # the writer's 確認済み is a proposal: marked ✎, still open and still counted until a reviewer accepts
    assert window.panel.all_items()[0].text(0).startswith("✎")
    assert "未解決の重大な指摘 1 件" in window.panel.summary.text()
    window.controller.mark_reviewed(f)
    assert window.controller.session.proposals == {}
    assert [x.text for x in window.controller.session.unresolved_high()] == ["小野寺"]


def test_pattern_findings_show_before_the_model_is_loaded(qtbot, gui_db, people):
    from desktop_app.core.checks.nlp import NlpEngine
    from desktop_app.gui.app import create_window
    from desktop_app.gui.check_dispatcher import CheckDispatcher

    w = create_window(CheckDispatcher(engine=NlpEngine(), delay_ms=20), db=gui_db, actor=people["writer"])  # never loaded
    w.show()
    with qtbot.waitSignal(w.controller.dispatcher.check_finished, timeout=5000) as blocker:
        w.editor.setPlainText("携帯 090-1234-5678。必ず再発を防ぎます。")
    _revision, findings, nlp_used = blocker.args
    assert not nlp_used and not w.controller.model_ready
    assert {f.category for f in findings} >= {"pii.phone", "risk.commitment"}
    assert "準備中" in w.panel.summary.text()
    w._closing_ok = True
    w.close()


def test_settings_dialog_updates_profile_policy_and_database_url(qtbot, make_window, monkeypatch):
    from desktop_app import config
    from desktop_app.gui.settings_dialog import SettingsDialog

    infos = []
    monkeypatch.setattr(prompts, "info", lambda parent, title, text: infos.append(text))
    w = make_window("admin")
    dlg = SettingsDialog(w.controller.settings, w, facility=w.controller.session.facility, admin=True, policy=w.controller.services.admin.policy(),
                         retention_days=w.controller.services.admin.retention_days())
    dlg.name.setText("グループホーム ひだまり")
    dlg.phone.setText("049-222-1010")
    dlg.staff.setPlainText("大野 健\n森田 里美\n")
    dlg.font_size.setValue(16)
    dlg.policy.setCurrentIndex(dlg.policy.findData("when_findings"))
    dlg.retention.setValue(30)
    dlg.db_host.setText("db-server")
    dlg.db_name.setText("careletter")
    dlg.db_user.setText("letters")
    w.controller.apply_settings(dlg)
    fac = w.controller.services.admin.facility()
    assert fac.name == "グループホーム ひだまり" and fac.staff == ["大野 健", "森田 里美"]
    assert fac.address == "埼玉県川越市新宿町1-2-3"  # fields left alone are kept
    assert w.controller.services.admin.policy() == "when_findings" and w.controller.services.admin.retention_days() == 30
    loaded = config.Settings.load()
    assert loaded.editor_font_size == 16 and loaded.database_url.startswith("postgresql+psycopg://")
    assert any("次にアプリを起動" in t for t in infos)
    # the staff list is context for the check: a staff member named with さん is not a third party
    w.editor.setPlainText("森田さんが付き添いました。")
    wait_check(qtbot, w)
    assert [f.severity.value for f in w.controller.session.findings if f.category == "pii.person"] == ["low"]


def test_settings_facility_and_policy_are_read_only_for_a_writer(qtbot, window):
    from PySide6.QtWidgets import QLabel

    from desktop_app.gui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(window.controller.settings, window, facility=window.controller.session.facility, admin=False)
    assert not dlg.name.isEnabled() and not dlg.policy.isEnabled() and not dlg.retention.isEnabled()
    assert dlg.db_host.isEnabled() and "ネットワーク上の共有フォルダー" in dlg.findChild(QLabel, "databaseNote").text()
