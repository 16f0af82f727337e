"""Renders letters on a worker thread, within the template limits, so the window never renders on its GUI thread."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QEventLoop, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from desktop_app.core.template_sandbox import DEFAULT_LIMITS, RenderBudget, RenderLimits
from desktop_app.core.templates import TemplateError, TemplateLibrary

# Jinja's parser and macro calls recurse; secondary threads get small stacks on macOS (512 KB)
STACK_BYTES = 16 * 1024 * 1024


class _JobSignals(QObject):
    finished = Signal(int, object, object)  # job id, text (or None), error (or None)


class _RenderJob(QRunnable):
    def __init__(self, library: TemplateLibrary, job_id: int, template_id: str, data: dict, facility: dict,
                 budget: RenderBudget):
        super().__init__()
        self.library, self.job_id, self.template_id = library, job_id, template_id
        self.data, self.facility, self.budget = data, facility, budget
        self.signals = _JobSignals()

    def run(self) -> None:
        try:
            text = self.library.render(self.template_id, self.data, self.facility, budget=self.budget)
        except Exception as exc:  # TemplateError, MissingFieldsError, KeyError …: the window decides the words
            self.signals.finished.emit(self.job_id, None, exc)
            return
        self.signals.finished.emit(self.job_id, text, None)


class RenderWorker(QObject):
    """request() renders on the worker thread and answers with `rendered` or `failed` for the newest job only;
    a newer request cancels the running one. render_and_wait() is the same for a caller that wants the text
    back: it keeps the window's event loop running while it waits."""

    rendered = Signal(int, str)  # job id, letter text
    failed = Signal(int, object)  # job id, the exception (TemplateError, MissingFieldsError, KeyError)

    def __init__(self, library: TemplateLibrary, limits: RenderLimits = DEFAULT_LIMITS, parent: QObject | None = None):
        super().__init__(parent)
        self.library = library
        self.limits = limits
        self._ids = itertools.count(1)
        self._latest = 0
        self._running: dict[int, RenderBudget] = {}
        self._waiting = False
        # A pool of its own (one thread): deleting the worker, even without shutdown(), waits for the running
        # render, which the limits keep short, instead of destroying a running thread.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setStackSize(STACK_BYTES)

    @property
    def busy(self) -> bool:
        return bool(self._running) or self._waiting

    def request(self, template_id: str, data: dict, facility: dict | None = None) -> int:
        self.cancel()
        job_id = next(self._ids)
        self._latest = job_id
        budget = RenderBudget(self.limits)
        self._running[job_id] = budget
        job = _RenderJob(self.library, job_id, template_id, dict(data), dict(facility or {}), budget)
        job.signals.finished.connect(self._on_finished)
        self._pool.start(job)
        return job_id

    def cancel(self) -> None:
        """Stop whatever is rendering; its result, if it still comes, is dropped."""
        for budget in self._running.values():
            budget.cancel()

    @Slot(int, object, object)
    def _on_finished(self, job_id: int, text: str | None, error: Exception | None) -> None:
        self._running.pop(job_id, None)
        if job_id != self._latest:
            return
        if error is not None:
            self.failed.emit(job_id, error)
        else:
            self.rendered.emit(job_id, text or "")

    def render_and_wait(self, template_id: str, data: dict, facility: dict | None = None) -> str:
        """Render on the worker and return the text (or raise its error), keeping the GUI responsive meanwhile.
        Raises TemplateError if no answer comes well after the time limit."""
        loop = QEventLoop()
        answer: dict = {}

        def done(job_id: int, result) -> None:
            if job_id == answer.get("job"):
                answer["result"] = result
                loop.quit()

        self.rendered.connect(done)
        self.failed.connect(done)
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(loop.quit)
        self._waiting = True
        try:
            answer["job"] = self.request(template_id, data, facility)
            guard.start(int((self.limits.max_seconds + 5) * 1000))
            if "result" not in answer:
                loop.exec()
        finally:
            self._waiting = False
            guard.stop()
            self.rendered.disconnect(done)
            self.failed.disconnect(done)
        if "result" not in answer:
            self.cancel()
            raise TemplateError(template_id, "テンプレートの処理が終わらないため中止しました")
        if isinstance(answer["result"], Exception):
            raise answer["result"]
        return answer["result"]

    def shutdown(self) -> None:
        self.cancel()
        self._pool.waitForDone(int((self.limits.max_seconds + 3) * 1000))
