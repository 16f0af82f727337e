"""The render worker: letters are rendered off the GUI thread, within limits, newest request wins."""

import threading
import time

import pytest
from PySide6.QtCore import QTimer

from desktop_app import config
from desktop_app.core.template_sandbox import RenderLimits
from desktop_app.core.templates import TemplateError, TemplateLibrary
from desktop_app.gui import prompts
from desktop_app.gui.render_worker import RenderWorker
from tests.conftest import sample

pytestmark = pytest.mark.gui

SIMPLE = 'title = "テスト"\n[[fields]]\nname = "who"\nlabel = "宛先"\n'
SLOW = "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}\n"


def _write(folder, name, j2):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.toml").write_text(SIMPLE, encoding="utf-8")
    (folder / f"{name}.j2").write_text(j2, encoding="utf-8")


class RecordingLibrary(TemplateLibrary):
    def render(self, *args, **kwargs):
        self.thread = threading.current_thread()
        return super().render(*args, **kwargs)


@pytest.fixture
def worker(qtbot, tmp_path):
    _write(tmp_path, "slow", SLOW)
    _write(tmp_path, "bomb", '拝啓\n{{ "あ" * 10**8 }}\n')
    w = RenderWorker(RecordingLibrary(config.templates_dir(), user=tmp_path), limits=RenderLimits(max_seconds=5))
    yield w
    w.shutdown()


def test_renders_on_another_thread_and_signals_the_text(qtbot, worker):
    with qtbot.waitSignal(worker.rendered, timeout=5000) as sig:
        job = worker.request("thanks", sample("thanks"), {"name": "さくら苑"})
    assert sig.args[0] == job and "敬具" in sig.args[1]
    assert worker.library.thread is not threading.main_thread()


def test_hostile_template_fails_with_file_and_line(qtbot, worker):
    with qtbot.waitSignal(worker.failed, timeout=5000) as sig:
        worker.request("bomb", {"who": "山田"})
    err = sig.args[1]
    assert isinstance(err, TemplateError) and "bomb.j2 2行目" in str(err)


def test_gui_event_loop_runs_while_a_slow_template_renders(qtbot, worker):
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(20)
    QTimer.singleShot(1000, worker.cancel)
    with qtbot.waitSignal(worker.failed, timeout=10000) as sig:
        worker.request("slow", {})
    timer.stop()
    assert "中止" in str(sig.args[1])
    assert len(ticks) > 10  # the GUI thread kept serving events during the whole render


def test_newer_request_cancels_the_running_one_and_only_its_answer_arrives(qtbot, worker):
    answers = []
    worker.rendered.connect(lambda job, text: answers.append(("ok", job)))
    worker.failed.connect(lambda job, err: answers.append(("error", job)))
    t0 = time.perf_counter()
    worker.request("slow", {})
    qtbot.wait(100)
    with qtbot.waitSignal(worker.rendered, timeout=5000):
        latest = worker.request("thanks", sample("thanks"), {"name": "さくら苑"})
    assert time.perf_counter() - t0 < 4  # the slow one was stopped, not waited out (limit 5 s)
    qtbot.wait(50)
    assert answers == [("ok", latest)]


def test_render_and_wait_returns_text_or_raises(qtbot, worker):
    assert "敬具" in worker.render_and_wait("thanks", sample("thanks"), {"name": "さくら苑"})
    with pytest.raises(TemplateError, match="bomb.j2"):
        worker.render_and_wait("bomb", {"who": "山田"})
    with pytest.raises(KeyError):
        worker.render_and_wait("no_such_template", {})


def test_window_generate_with_a_hostile_template_shows_the_error(qtbot, monkeypatch, isolated_data_dir, make_window):
    _write(isolated_data_dir / "templates", "bomb", '拝啓\n{{ "あ" * 10**8 }}\n')
    errors = []
    monkeypatch.setattr(prompts, "error", lambda parent, title, text: errors.append(text))
    monkeypatch.setattr(prompts, "confirm", lambda *a, **k: True)
    w = make_window("writer")
    w.template_combo.setCurrentIndex(w.template_combo.findData("bomb"))
    w.form.set_value("who", "山田")
    assert not w.controller.generate()
    assert errors and "bomb.j2 2行目" in errors[0]
    w.template_combo.setCurrentIndex(w.template_combo.findData("thanks"))
    for k, v in sample("thanks").items():
        if k in w.form.widgets:
            w.form.set_value(k, str(v))
    assert w.controller.generate() and "敬具" in w.editor.toPlainText()
