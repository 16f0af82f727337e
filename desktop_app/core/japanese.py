"""Japanese letter conventions as functions: 和暦, 時候の挨拶, 頭語/結語, honorifics, amounts."""

from __future__ import annotations

import datetime as dt
import re

# (era, first day). Dates before Meiji 6 are out of scope for letters about living people.
ERAS = [("令和", dt.date(2019, 5, 1)), ("平成", dt.date(1989, 1, 8)), ("昭和", dt.date(1926, 12, 25)),
        ("大正", dt.date(1912, 7, 30)), ("明治", dt.date(1873, 1, 1))]

# One standard 時候の挨拶 per month (the template default; the check accepts more).
SEASON_BY_MONTH = {1: "新春", 2: "余寒", 3: "早春", 4: "陽春", 5: "新緑", 6: "梅雨", 7: "盛夏", 8: "残暑",
                   9: "初秋", 10: "秋冷", 11: "晩秋", 12: "師走"}

# 頭語 and 結語 by kind of letter.
SALUTATIONS = {"formal": ("拝啓", "敬具"), "notice": ("拝啓", "敬具"), "reply": ("拝復", "敬具"),
               "respectful": ("謹啓", "謹白"), "urgent": ("急啓", "草々"), "brief": ("前略", "草々"),
               "condolence": ("", ""), "card": ("", "")}


def to_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        s = value.strip().translate(str.maketrans("０１２３４５６７８９／", "0123456789/"))
        m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", s)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(f"日付として読めません: {value!r}")


def wareki(value, with_day: bool = True) -> str:
    """令和8年11月22日. The first year of an era is 元年 (2019-05-01 -> 令和元年5月1日)."""
    d = to_date(value)
    for era, start in ERAS:
        if d >= start:
            year = d.year - start.year + 1
            y = "元" if year == 1 else str(year)
            return f"{era}{y}年{d.month}月{d.day}日" if with_day else f"{era}{y}年{d.month}月"
    return f"{d.year}年{d.month}月{d.day}日"


def season_greeting(value) -> str:
    """晩秋の候 for a November letter."""
    return f"{SEASON_BY_MONTH[to_date(value).month]}の候"


def opening(kind: str) -> str:
    return SALUTATIONS.get(kind, SALUTATIONS["formal"])[0]


def closing(kind: str) -> str:
    return SALUTATIONS.get(kind, SALUTATIONS["formal"])[1]


def sama(name: str) -> str:
    """仲村 昌平 -> 仲村 昌平 様 (an honorific already there is kept)."""
    name = (name or "").strip()
    if not name or name.endswith(("様", "殿", "各位")):
        return name
    return f"{name} 様"


def given_name(name: str) -> str:
    """仲村 ツギ -> ツギ (families and staff call residents by their given name)."""
    parts = re.split(r"[ \u3000]+", (name or "").strip())
    return parts[-1] if parts else ""


def surname(name: str) -> str:
    parts = re.split(r"[ \u3000]+", (name or "").strip())
    return parts[0] if parts else ""


def yen(value) -> str:
    """15400 -> 15,400円."""
    if isinstance(value, str):
        value = value.replace(",", "").replace("円", "").strip()
    n = int(float(value))
    return f"{n:,}円"
