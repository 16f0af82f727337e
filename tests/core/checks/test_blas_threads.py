"""The model's calls run on one BLAS thread, and the setting is put back after them.

numpy's OpenBLAS otherwise starts a thread per core; on a 2-core staff PC with another program busy
those threads fight for the cores (the check took three times as long). Not a timing test: it reads
threadpoolctl's report of the BLAS pool from inside the model's calls.
"""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from desktop_app.core.checks import nlp as nlp_module
from desktop_app.core.checks.nlp import NlpEngine


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    """Outside the model's calls the pool has 2 threads, so that the limit inside is visible."""
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        assert before, "numpy's BLAS was not found by threadpoolctl"
        yield before


class _RecordingNlp:
    """Delegates to the real pipeline and records the BLAS pool while the model works."""

    def __init__(self, real):
        self.real = real
        self.seen: list[list[int]] = []

    def pipe(self, texts, **kwargs):
        for doc in self.real.pipe(texts, **kwargs):
            self.seen.append(_blas_threads())
            yield doc

    def __call__(self, text):
        self.seen.append(_blas_threads())
        return self.real(text)


def _engine_over(real_nlp) -> tuple[NlpEngine, _RecordingNlp]:
    eng = NlpEngine()
    rec = _RecordingNlp(real_nlp)
    eng._nlp = rec
    return eng, rec


def test_analyze_parses_on_one_blas_thread(engine, two_blas_threads):
    eng, rec = _engine_over(engine._nlp)
    result = eng.analyze("昨日の午後、中庭で皆さんと一緒に紅葉を眺めました。\n夕食は焼き魚を半分ほど召し上がりました。")
    assert result.nlp_used and result.tokens
    assert len(rec.seen) == 2  # one document per paragraph, each parsed inside the limit
    assert all(threads and all(n == 1 for n in threads) for threads in rec.seen)
    assert _blas_threads() == two_blas_threads  # put back after the call


def test_batch_warm_parses_on_one_blas_thread(engine, two_blas_threads):
    eng, rec = _engine_over(engine._nlp)
    eng.warm(["来週の水曜日に理髪の日があります。", "面会の予約は事務室までお電話ください。\n駐車場は正門の左手です。"])
    assert len(rec.seen) == 3
    assert all(threads and all(n == 1 for n in threads) for threads in rec.seen)
    assert _blas_threads() == two_blas_threads


def test_model_loads_on_one_blas_thread(engine, two_blas_threads, monkeypatch):
    import spacy

    seen: list[list[int]] = []

    def fake_load(name, **kwargs):
        seen.append(_blas_threads())
        return engine._nlp  # the session's model: loading it again would take seconds

    monkeypatch.setattr(spacy, "load", fake_load)
    eng = NlpEngine()
    eng.load()
    assert eng.loaded
    assert seen == [[1] * len(two_blas_threads)]
    assert _blas_threads() == two_blas_threads


def test_limit_is_put_back_when_the_model_fails(engine, two_blas_threads):
    class Broken:
        def pipe(self, texts, **kwargs):
            assert all(n == 1 for n in _blas_threads())
            raise RuntimeError("parser failed")
            yield  # pragma: no cover - makes this a generator like spaCy's pipe

    eng = NlpEngine()
    eng._nlp = Broken()
    with pytest.raises(RuntimeError, match="parser failed"):
        eng.analyze("お知らせです。")
    assert _blas_threads() == two_blas_threads
    assert nlp_module._blas_controller is not None  # the libraries were looked up once, then reused
