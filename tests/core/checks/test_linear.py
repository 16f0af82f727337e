"""Bounded work: one sentence index per document, linear time, an input limit with parts."""

import time

from desktop_app.core.checks.nlp import MAX_CHECK_CHARS
from desktop_app.core.checks.runner import CheckRunner, split_parts
from desktop_app.core.textutil import MAX_SENTENCE, SentenceIndex


def test_sentence_index_bounds():
    text = "あいう。えお\nかき！" + "x" * 1000
    idx = SentenceIndex(text)
    assert idx.bounds(0) == (0, 3)
    assert idx.bounds(4) == (4, 6)
    assert idx.bounds(8) == (7, 9)
    s, e = idx.bounds(900)
    assert s <= 900 < e + 1 and e - s <= MAX_SENTENCE
    assert idx.previous(5) == (0, 3)


def test_a_long_line_without_sentence_ends_is_checked_in_linear_time():
    runner = CheckRunner(None)
    small, big = "認知症" * 2000, "認知症" * 8000
    t0 = time.process_time()
    runner.check(small, {})
    t_small = time.process_time() - t0
    t0 = time.process_time()
    findings = runner.check(big, {})
    t_big = time.process_time() - t0
    assert findings
    # four times the text: well under sixteen times the time (it took 27 s for 20,000 characters)
    assert t_big < max(8 * t_small, 0.5), (t_small, t_big)


def test_longer_input_is_checked_in_parts_with_offsets_kept():
    line = "同室の佐藤様が転倒されました。必ず再発を防ぎます。電話 090-1234-5678\n"
    text = line * (MAX_CHECK_CHARS // len(line) + 50)
    parts = split_parts(text)
    assert len(parts) == 2 and all(len(p) <= MAX_CHECK_CHARS for _, p in parts)
    assert "".join(p for _, p in parts) == text
    findings = CheckRunner(None).check(text, {})
    phones = [f for f in findings if f.category == "pii.phone"]
    assert phones and all(text[f.start:f.end] == f.text for f in findings)
    assert phones[-1].start > MAX_CHECK_CHARS
