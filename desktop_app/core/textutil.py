"""Text helpers that keep offsets: width folding for patterns, sanitising for the NLP, UTF-16 maps."""

from __future__ import annotations

import re
from bisect import bisect_right

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


# Old and variant kanji of names (髙橋, 齋藤, 﨑山) read as their common forms, one for one, so the
# tokenizer knows the name; offsets and the text the findings show are unchanged.
_VARIANT_KANJI = str.maketrans({
    "髙": "高", "﨑": "崎", "嵜": "崎", "齋": "斎", "齊": "斉", "邉": "辺", "邊": "辺", "德": "徳", "濵": "浜",
    "濱": "浜", "塚": "塚", "瀨": "瀬", "廣": "広", "澤": "沢", "櫻": "桜", "國": "国", "實": "実", "惠": "恵",
    "榮": "栄", "龍": "竜", "彌": "弥", "兒": "児", "淺": "浅", "會": "会", "眞": "真", "壽": "寿", "禮": "礼",
    "藏": "蔵", "冨": "富", "槇": "槙", "桒": "桑", "舘": "館", "籠": "篭", "栁": "柳", "𠮷": "吉",
})


# Characters XML 1.0, and so a .docx, cannot hold: C0 controls other than tab, newline and carriage
# return, lone surrogates, U+FFFE and U+FFFF. Nothing a reader sees is lost by dropping them.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """The text without the characters a Word file cannot store (python-docx refuses them)."""
    return _NOT_XML.sub("", text)


def sanitize_for_nlp(text: str) -> str:
    """Replace characters the tokenizer cannot take (controls, lone surrogates) with spaces, and
    variant kanji with their common forms, one character for one (offsets stay valid)."""
    out = _UNSAFE.sub(" ", text).translate(_VARIANT_KANJI)
    return out if len(out) == len(text) else _UNSAFE.sub(" ", text)


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


SENTENCE_ENDS = "。！？!?\n"
# A letter's sentence is rarely over 200 characters. A run without any end mark (a pasted table, a
# hostile one-line text) is cut into pieces of this size, so that every rule's work per match stays
# bounded and the whole check stays linear in the text's length.
MAX_SENTENCE = 400


class SentenceIndex:
    """The sentences of one text, found in one pass: built once per check, queried by bisection.

    The one sentence-boundary scanner of the check: every rule that needs "the sentence around
    this position" asks this index instead of walking the text again.
    """

    __slots__ = ("text", "starts")

    def __init__(self, text: str, ends: str = SENTENCE_ENDS, max_len: int = MAX_SENTENCE):
        self.text = text
        starts = [0]
        last = 0
        for m in re.finditer(f"[{re.escape(ends)}]", text):
            nxt = m.end()
            while nxt - last > max_len:
                last += max_len
                starts.append(last)
            if nxt > last:
                starts.append(nxt)
                last = nxt
        while len(text) - last > max_len:
            last += max_len
            starts.append(last)
        self.starts = starts

    def bounds(self, pos: int) -> tuple[int, int]:
        """[start, end) of the sentence holding pos; end excludes the end mark."""
        i = bisect_right(self.starts, pos) - 1
        start = self.starts[max(i, 0)]
        end = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)
        if end > start and self.text[end - 1] in SENTENCE_ENDS:
            end -= 1
        return start, end

    def previous(self, pos: int) -> tuple[int, int]:
        """The sentence before the one holding pos (the same one at the start of the text)."""
        start, _ = self.bounds(pos)
        return self.bounds(start - 1) if start > 0 else self.bounds(pos)
