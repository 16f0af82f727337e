"""Text helpers that keep offsets: width folding for patterns, sanitising for the NLP, UTF-16 maps."""

from __future__ import annotations

import re

_DASHES = "‐‑‒–—―−－﹣ｰ"
_FOLD = {0x3000: " "}
for _cp in range(0xFF01, 0xFF5F):
    _FOLD[_cp] = chr(_cp - 0xFEE0)
for _d in _DASHES:
    _FOLD[ord(_d)] = "-"
_FOLD[ord("（")] = "("
_FOLD[ord("）")] = ")"


def fold_width(text: str) -> str:
    """Full-width ASCII and dashes to ASCII, one character for one, so offsets stay valid.

    The katakana long mark ー becomes '-' only between digits (０８０ー１２３４).
    """
    out = text.translate(_FOLD)
    if "ー" in out:
        chars = list(out)
        for i, c in enumerate(chars):
            if c == "ー" and 0 < i < len(chars) - 1 and chars[i - 1].isdigit() and chars[i + 1].isdigit():
                chars[i] = "-"
        out = "".join(chars)
    return out


_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")


def sanitize_for_nlp(text: str) -> str:
    """Replace characters the tokenizer cannot take (controls, lone surrogates) with spaces, 1:1."""
    return _UNSAFE.sub(" ", text)


def utf16_offsets(text: str) -> list[int]:
    """Map code-point index -> UTF-16 index (len(text)+1 entries). Qt counts UTF-16 units."""
    out = [0] * (len(text) + 1)
    pos = 0
    for i, ch in enumerate(text):
        out[i] = pos
        pos += 2 if ord(ch) > 0xFFFF else 1
    out[len(text)] = pos
    return out


KATAKANA = r"\u30a1-\u30fa\u30fc\u30fb"
KANJI = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヶ"


def sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    """Start and end of the sentence (split on 。！？ and newlines) around pos."""
    start = pos
    while start > 0 and text[start - 1] not in "。！？!?\n":
        start -= 1
    end = pos
    while end < len(text) and text[end] not in "。！？!?\n":
        end += 1
    return start, end
