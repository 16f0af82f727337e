"""GiNZA loading and analysis: loaded once, used from one thread at a time, cached per paragraph."""

from __future__ import annotations

import contextlib
import gc
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path

from desktop_app.core.checks.analysis import Analysis, Entity, Token
from desktop_app.core.textutil import sanitize_for_nlp

MODEL_NAME = "ja_ginza"
# Sudachi refuses inputs over ~49 KB; a letter paragraph is far shorter. Longer runs are split.
MAX_SEGMENT = 1200
# Characters handed to the parser in one batch (memory, not speed, sets this).
BATCH_CHARS = 4000
# Beyond this many characters the check uses patterns only (GiNZA needs 0.2-0.3 s per 1,000 chars on
# the 2-core development machine: 60,000 characters is about 15 s).
MAX_NLP_CHARS = 60_000
# The most one call of the check reads as one document: 200,000 characters (about 150 pages of
# letters). CheckRunner.check() checks a longer text in parts of this size; every part's work is
# linear in its length, so no input makes the check hang.
MAX_CHECK_CHARS = 200_000


class ModelUnavailable(RuntimeError):
    pass


def _segments(text: str) -> list[tuple[int, str]]:
    """Split into paragraphs (lines), and long lines at sentence ends, keeping offsets."""
    out: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            start = 0
            while len(line) - start > MAX_SEGMENT:
                cut = max(line.rfind("。", start, start + MAX_SEGMENT) + 1, 0)
                if cut <= start:
                    cut = start + MAX_SEGMENT
                out.append((pos + start, line[start:cut]))
                start = cut
            out.append((pos + start, line[start:]))
        pos += len(line) + 1
    return out


_SPACE_ONLY = re.compile(r"^\s*$")


@contextlib.contextmanager
def _fast_cpu_ops():
    """Build the model's layers on thinc's numpy backend with numpy's matrix product instead of BLIS.

    The PyPI blis wheels run a generic reference kernel on x86-64 (25 GFLOP/s on the dev machine,
    against 75 for numpy's OpenBLAS on one core): GiNZA's tok2vec, most of a check's time, went from
    4.5 s to 1.3 s for a 10-page letter. Where thinc has a better CPU backend than plain numpy
    (thinc-apple-ops on Apple silicon), that backend is kept. Layers keep the ops they were built
    with, so the choice only has to hold while the model loads.
    """
    from thinc.api import NumpyOps, get_current_ops, get_ops, set_current_ops

    current = get_current_ops()
    if type(get_ops("cpu")) is not NumpyOps or type(current) is not NumpyOps:
        yield
        return
    set_current_ops(NumpyOps(use_blis=False))
    try:
        yield
    finally:
        set_current_ops(current)


_blas_controller = None


def _one_blas_thread():
    """Run the model's matrix products on one BLAS thread, on every platform.

    The model runs on numpy's OpenBLAS (see _fast_cpu_ops), whose own thread pool takes every core.
    With another program busy on a 2-core staff PC its threads fight for the cores: paragraph batches
    took 8.4-10.5 s instead of 2.9 s on one thread (benchmarks/check_speed.py, one core busy). OpenBLAS's
    setting is process-wide, so it is held only for the model's calls and put back after them. The
    controller scans the loaded libraries once (about 1 ms); limiting through it costs a few
    microseconds per call, so the limit is entered per call rather than kept for the process.
    """
    global _blas_controller
    from threadpoolctl import ThreadpoolController

    if _blas_controller is None:
        import numpy  # noqa: F401 - numpy's BLAS must be loaded before the controller looks for it

        _blas_controller = ThreadpoolController()
    return _blas_controller.limit(limits=1, user_api="blas")


def blas_threads_while_pinned() -> list[tuple[str, int]]:
    """(library, threads) of every BLAS pool as the model's calls see it. The self-check runs it in the
    frozen app: were the bundled OpenBLAS not found (a renamed library on one platform), the pin would
    silently do nothing and the check would be slow again on a busy PC."""
    with _one_blas_thread():
        return [(Path(i["filepath"]).name, int(i["num_threads"]))
                for i in _blas_controller.select(user_api="blas").info()]


class NlpEngine:
    """Owns the spaCy pipeline. Thread-safe through a lock; the GUI uses it from one worker thread."""

    def __init__(self, model: str = MODEL_NAME, cache_size: int = 4000):
        self.model_name = model
        self._nlp = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[tuple[Token, ...], tuple[Entity, ...]]] = OrderedDict()
        self._cache_size = cache_size
        self.load_seconds: float | None = None
        self.parsed_chars = 0  # characters actually parsed (not from cache), for benchmarks

    @property
    def loaded(self) -> bool:
        return self._nlp is not None

    def load(self) -> float:
        """Load the model from the installed ja-ginza package (never from the network)."""
        with self._lock:
            if self._nlp is not None:
                return self.load_seconds or 0.0
            t0 = time.perf_counter()
            try:
                import spacy

                with _fast_cpu_ops(), _one_blas_thread():
                    # compound_splitter and bunsetu_recognizer are not used by any rule.
                    nlp = spacy.load(self.model_name, exclude=["compound_splitter", "bunsetu_recognizer"])
            except Exception as exc:  # ImportError, OSError (model missing), version mismatch
                raise ModelUnavailable(
                    f"日本語解析モデル（{self.model_name}）を読み込めませんでした: {exc}"
                ) from exc
            self._nlp = nlp
            # The model is a few million Python objects that live as long as the process. Left to the
            # cyclic garbage collector, every full collection walks them all while holding the GIL: a
            # 125-185 ms freeze of the window in the middle of typing (benchmarks/gui_latency.py).
            # Moved to the permanent generation, they are never walked again (34 ms worst case).
            gc.collect()
            gc.freeze()
            self.load_seconds = time.perf_counter() - t0
            return self.load_seconds

    def _parse_segment(self, doc) -> tuple[tuple[Token, ...], tuple[Entity, ...]]:
        kept = [t for t in doc if not t.is_space]
        index = {t.i: n for n, t in enumerate(kept)}
        # head: index within this segment's kept tokens (a space token's dependents point at itself)
        tokens = tuple(
            Token(t.idx, t.idx + len(t.text), t.text, t.tag_, t.pos_, t.lemma_,
                  (t.morph.get("Reading") or [""])[0], t.dep_.removesuffix("_bunsetu"), index.get(t.head.i, n))
            for n, t in enumerate(kept)
        )
        ents = tuple(Entity(e.start_char, e.end_char, e.label_) for e in doc.ents)
        return tokens, ents

    @staticmethod
    def _text_segments(text: str) -> list[tuple[int, str]]:
        """The paragraphs the model parses (offset, text), up to MAX_NLP_CHARS of the text."""
        clean = sanitize_for_nlp(text[:MAX_NLP_CHARS])
        return [(off, seg) for off, seg in _segments(clean) if not _SPACE_ONLY.match(seg)]

    def _parse_missing(self, segments: list[str]) -> None:
        """Parse, in one batch, the segments not cached yet. Call with the lock held."""
        todo = list(dict.fromkeys(seg for seg in segments if seg not in self._cache))
        if not todo:
            return
        # The parser's memory grows with the characters in one batch (32 long segments took 800 MB
        # more than 4 did, at the same speed): batch about BATCH_CHARS characters at a time.
        avg = sum(map(len, todo)) / len(todo)
        batch = max(1, min(32, int(BATCH_CHARS // max(avg, 1.0))))
        with _one_blas_thread():
            for seg, doc in zip(todo, self._nlp.pipe(todo, batch_size=batch), strict=True):
                self._cache[seg] = self._parse_segment(doc)
                self.parsed_chars += len(seg)

    def warm(self, texts: list[str]) -> None:
        """Parse the paragraphs of many letters in one batch (the CLI's --jsonl), so that analyze()
        finds them cached. The next analyze() trims the cache to its size (4,000 paragraphs by
        default); paragraphs beyond that are parsed again when their letter is checked."""
        if self._nlp is None:
            raise ModelUnavailable("model not loaded")
        with self._lock:
            self._parse_missing([seg for text in texts for _, seg in self._text_segments(text)])

    def analyze(self, text: str) -> Analysis:
        if self._nlp is None:
            raise ModelUnavailable("model not loaded")
        limit = MAX_NLP_CHARS if len(text) > MAX_NLP_CHARS else None
        segments = self._text_segments(text)
        with self._lock:
            self._parse_missing([seg for _, seg in segments])
            tokens: list[Token] = []
            ents: list[Entity] = []
            for off, seg in segments:
                seg_tokens, seg_ents = self._cache[seg]
                self._cache.move_to_end(seg)
                base = len(tokens)
                tokens.extend(Token(t.start + off, t.end + off, t.text, t.tag, t.pos, t.lemma, t.reading,
                                    t.dep, t.head + base)
                              for t in seg_tokens)
                ents.extend(Entity(e.start + off, e.end + off, e.label) for e in seg_ents)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return Analysis(tokens=tokens, entities=ents, nlp_used=True, nlp_limit=limit)

    def readings(self, text: str) -> list[str]:
        """Katakana readings of the tokens of a short text (e.g. a name from the form).

        Only Sudachi's tokenizer is needed for this, not the whole pipeline (0.1 ms instead of 15 ms).
        """
        if self._nlp is None or not text.strip():
            return []
        with self._lock:
            doc = self._nlp.tokenizer(sanitize_for_nlp(text))
        return [(t.morph.get("Reading") or [""])[0] for t in doc if not t.is_space]
