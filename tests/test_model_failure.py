"""When the Japanese model cannot load (a broken install or bundle), the app says so loudly, names the
consequence (pattern checks only), and export keeps refusing high findings."""

import pytest

from desktop_app import cli
from desktop_app.core.context import Facility
from desktop_app.gui import prompts

# a マイナンバー-like number: found by the patterns alone, and high
LETTER = "山田 花子 様\n\n先日お預かりした書類の個人番号は 1234 5678 9018 です。\n"


def _model_fails(monkeypatch):
    from desktop_app.core.checks import nlp

    def fail(self):
        raise nlp.ModelUnavailable("日本語解析モデル（ja_ginza）を読み込めませんでした: test: model files missing")

    monkeypatch.setattr(nlp.NlpEngine, "load", fail)


def test_cli_check_warns_and_export_refuses(tmp_path, monkeypatch, capsys):
    _model_fails(monkeypatch)
    letter = tmp_path / "letter.txt"
    letter.write_text(LETTER, encoding="utf-8")
    assert cli.main(["check", str(letter)]) == cli.EXIT_FINDINGS
    err = capsys.readouterr().err
    assert "only pattern checks run" in err and "パターンによる確認のみ" in err and "model files missing" in err
    out = tmp_path / "letter.docx"
    assert cli.main(["export", str(letter), "--out", str(out)]) == cli.EXIT_FINDINGS
    assert not out.exists()
    assert "export refused" in capsys.readouterr().err


@pytest.mark.gui
def test_window_shows_a_banner_and_export_still_refuses(qtbot, tmp_path, monkeypatch):
    from desktop_app.core.checks.nlp import NlpEngine
    from desktop_app.gui.app import create_window
    from desktop_app.gui.check_dispatcher import CheckDispatcher

    _model_fails(monkeypatch)
    errors = []
    monkeypatch.setattr(prompts, "error", lambda parent, title, text: errors.append((title, text)))
    target = tmp_path / "out.docx"
    monkeypatch.setattr(prompts, "save_file", lambda *a, **k: str(target))
    from desktop_app import config
    from desktop_app.core import accounts
    from desktop_app.core.db import open_database, resolve_url
    from desktop_app.core.workflow import Services

    db = open_database(resolve_url(None, config.data_dir(), ""))  # a facility past its first start
    admin = accounts.add_user(db, "管理者", ["admin", "writer"], "password-123-kiku-4827", None)
    Services.open(db, lambda text, ctx: []).admin.set_facility(Facility(name="テスト苑"), admin)
    w = create_window(CheckDispatcher(engine=NlpEngine(), delay_ms=20), db=db, actor=admin)
    w.show()
    with qtbot.waitSignal(w.controller.dispatcher.model_loaded, timeout=10000) as loaded:
        w.controller.dispatcher.load_model()
    assert loaded.args[0] is False
    assert w.model_banner.isVisible()
    banner = w.model_banner.text()
    assert "読み込めませんでした" in banner and "パターン" in banner and "確認のみ" in banner
    assert "書き出せません" in banner and "model files missing" in banner
    assert "読み込めませんでした" in w.status_model.text()

    w.editor.setPlainText(LETTER)
    qtbot.waitUntil(lambda: any(f.category == "pii.id_number" for f in w.controller.session.unresolved_high()), timeout=5000)
    assert w.controller.export_word() is None and not target.exists()
    assert "重大な指摘" in errors[-1][1]
    summary = w.panel.summary.text()
    assert "モデルなし" in summary and "準備中" not in summary  # not "still loading": it will not come
    w._closing_ok = True
    w.close()
