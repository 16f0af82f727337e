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
    dep: str = ""  # dependency label from GiNZA's parser (nsubj, obl, advmod, aux …)
    head: int = -1  # index in Analysis.tokens of the token this one depends on (itself for a root)

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
    _children: list[list[int]] | None = field(default=None, repr=False, compare=False)

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

    def children(self, i: int) -> list[int]:
        """Indices of the tokens that depend on token i (built once, on first use)."""
        if self._children is None:
            kids: list[list[int]] = [[] for _ in self.tokens]
            for j, t in enumerate(self.tokens):
                if 0 <= t.head < len(kids) and t.head != j:
                    kids[t.head].append(j)
            self._children = kids
        return self._children[i] if 0 <= i < len(self._children) else []

    def subtree(self, i: int) -> tuple[int, int]:
        """Lowest and highest token index of the subtree under token i."""
        lo = hi = i
        stack = [i]
        seen = 0
        while stack and seen < 400:  # a sentence is never this long; guards against a bad parse
            j = stack.pop()
            seen += 1
            lo, hi = min(lo, j), max(hi, j)
            stack.extend(self.children(j))
        return lo, hi

    @property
    def has_parse(self) -> bool:
        return any(t.head >= 0 for t in self.tokens[:50])

    def starts(self) -> set[int]:
        return {t.start for t in self.tokens}

    def ends(self) -> set[int]:
        return {t.end for t in self.tokens}
