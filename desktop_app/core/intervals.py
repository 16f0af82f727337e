"""Which characters of a text are already taken by a finding (so that findings do not overlap)."""

from __future__ import annotations


class Occupancy:
    """Which characters of a text of known length are taken: O(span) queries and marks, in C.

    Used where findings arrive in any order over a long text (inserting into a sorted list would
    make that quadratic in the number of findings)."""

    def __init__(self, length: int) -> None:
        self._taken = bytearray(max(length, 0) + 1)

    def overlaps(self, start: int, end: int) -> bool:
        return self._taken.find(1, max(start, 0), max(end, start)) != -1

    def add(self, start: int, end: int) -> None:
        start, end = max(start, 0), max(end, start)
        self._taken[start:end] = b"\x01" * (end - start)
