"""A set of non-overlapping [start, end) intervals with O(log n) overlap queries."""

from __future__ import annotations

from bisect import bisect_right, insort


class DisjointIntervals:
    def __init__(self) -> None:
        self._items: list[tuple[int, int]] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self._items, (start, float("inf")))
        # the interval starting at or before `start`, and the one after it
        if i > 0 and self._items[i - 1][1] > start:
            return True
        return i < len(self._items) and self._items[i][0] < end

    def add(self, start: int, end: int) -> None:
        insort(self._items, (start, end))


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
