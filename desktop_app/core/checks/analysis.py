"""Plain, thread-safe results of the NLP pass that the rules read (no spaCy objects)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str
    tag: str  # Sudachi part of speech, e.g. 名詞-固有名詞-人名-姓
    pos: str  # Universal POS
    lemma: str
    reading: str = ""

    @property
    def is_person_name(self) -> bool:
        return "人名" in self.tag

    @property
    def is_proper(self) -> bool:
        return "固有名詞" in self.tag


@dataclass(frozen=True, slots=True)
class Entity:
    start: int
    end: int
    label: str


@dataclass
class Analysis:
    """Tokens and entities of a whole text, offsets in code points of that text."""

    tokens: list[Token] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    nlp_used: bool = False
    nlp_limit: int | None = None  # characters beyond this were not analysed (very long texts)
    _token_starts: list[int] | None = field(default=None, repr=False, compare=False)

    def token_at(self, pos: int) -> int | None:
        """Index of the token that contains pos (binary search)."""
        lo, hi = 0, len(self.tokens)
        while lo < hi:
            mid = (lo + hi) // 2
            t = self.tokens[mid]
            if t.end <= pos:
                lo = mid + 1
            elif t.start > pos:
                hi = mid
            else:
                return mid
        return None

    def tokens_in(self, start: int, end: int) -> list[Token]:
        """Tokens lying wholly inside [start, end)."""
        if not self.tokens:
            return []
        if self._token_starts is None:
            self._token_starts = [t.start for t in self.tokens]
        from bisect import bisect_left

        i = bisect_left(self._token_starts, start)
        out = []
        while i < len(self.tokens) and self.tokens[i].start < end:
            if self.tokens[i].end <= end:
                out.append(self.tokens[i])
            i += 1
        return out

    def starts(self) -> set[int]:
        return {t.start for t in self.tokens}

    def ends(self) -> set[int]:
        return {t.end for t in self.tokens}
