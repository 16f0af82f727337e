"""Runs the check off the GUI thread: debounced, one worker thread, stale results dropped."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from desktop_app.core.checks.nlp import NlpEngine
from desktop_app.core.checks.runner import CheckRunner


class _CheckWorker(QObject):
    finished = Signal(int, int, object, bool)  # job id, revision, findings, nlp_used

    def __init__(self, runner: CheckRunner):
        super().__init__()
        self.runner = runner

    @Slot(int, int, str, object)
    def run(self, job_id: int, revision: int, text: str, context: dict) -> None:
        analysis = self.runner.analyze(text)
        findings = self.runner.check(text, context, analysis=analysis)
        self.finished.emit(job_id, revision, findings, analysis.nlp_used)


class _ModelLoader(QObject):
    loaded = Signal(bool, str, float)

    def __init__(self, runner: CheckRunner):
        super().__init__()
        self.runner = runner

    @Slot()
    def load(self) -> None:
        self.runner.rules  # noqa: B018 - built here, off the GUI thread, before the first check needs them
        try:
            seconds = self.runner.engine.load()
            self.loaded.emit(True, "", seconds)
        except Exception as exc:  # shown in the status bar; the check goes on with patterns only
            self.loaded.emit(False, str(exc), 0.0)


class CheckDispatcher(QObject):
    """request_check(text, context, revision) restarts a short timer; when it fires, the newest text
    goes to the worker. While a job runs, newer requests wait (only the latest is kept)."""

    check_finished = Signal(int, object, bool)  # revision, findings, nlp_used
    model_loaded = Signal(bool, str, float)
    _run = Signal(int, int, str, object)
    _load = Signal()

    def __init__(self, engine: NlpEngine | None = None, delay_ms: int = 350, parent: QObject | None = None):
        super().__init__(parent)
        self.engine = engine or NlpEngine()
        self.runner = CheckRunner(self.engine)
        self._ids = itertools.count(1)
        self._busy = False
        self._pending: tuple[int, str, dict] | None = None
        self._latest_revision = -1
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._dispatch)

        self._thread, self._worker = self._start_in_thread(_CheckWorker(self.runner), "check-worker")
        self._run.connect(self._worker.run)
        self._worker.finished.connect(self._on_finished)
        self._load_thread, self._loader = self._start_in_thread(_ModelLoader(self.runner), "model-loader")
        self._load.connect(self._loader.load)
        self._loader.loaded.connect(self._on_loaded)

    def _start_in_thread(self, obj: QObject, name: str) -> tuple[QThread, QObject]:
        thread = QThread(self)
        thread.setObjectName(name)
        obj.moveToThread(thread)
        thread.start()
        return thread, obj

    @property
    def busy(self) -> bool:
        return self._busy

    def load_model(self) -> None:
        self._load.emit()

    def request_check(self, text: str, context: dict, revision: int, immediate: bool = False) -> None:
        self._latest_revision = revision
        self._pending = (revision, text, context)
        if immediate:
            self._timer.stop()
            self._dispatch()
        else:
            self._timer.start()

    def _dispatch(self) -> None:
        if self._busy or self._pending is None:
            return
        revision, text, context = self._pending
        self._pending = None
        self._busy = True
        self._run.emit(next(self._ids), revision, text, context)

    @Slot(int, int, object, bool)
    def _on_finished(self, job_id: int, revision: int, findings, nlp_used: bool) -> None:
        self._busy = False
        if revision == self._latest_revision:
            self.check_finished.emit(revision, findings, nlp_used)
        if self._pending is not None and not self._timer.isActive():
            self._dispatch()

    @Slot(bool, str, float)
    def _on_loaded(self, ok: bool, message: str, seconds: float) -> None:
        self.model_loaded.emit(ok, message, seconds)

    def shutdown(self) -> None:
        self._timer.stop()
        for thread in (self._thread, self._load_thread):
            thread.quit()
        # the loader may be inside spacy.load(); it finishes on its own, so wait a bounded time
        self._thread.wait(5000)
        self._load_thread.wait(15000)
