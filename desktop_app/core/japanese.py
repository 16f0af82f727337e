"""Japanese letter conventions as functions: 和暦, 時候の挨拶, 頭語/結語, honorifics, amounts."""

from __future__ import annotations

import datetime as dt
import re

# (era, first day). Dates before Meiji 6 are out of scope for letters about living people.
ERAS = [("令和", dt.date(2019, 5, 1)), ("平成", dt.date(1989, 1, 8)), ("昭和", dt.date(1926, 12, 25)),
        ("大正", dt.date(1912, 7, 30)), ("明治", dt.date(1873, 1, 1))]

# The 時候の挨拶 a template writes, month by month: (first day, word). Where custom changes within a
# month the later word takes over: 立春 (Feb 4) ends the 寒, spring warms by late March, the rainy
# season starts around June 10, 立秋 (Aug 7) turns 盛夏 into 残暑, autumn deepens after 秋分 and
# 霜降, late November looks toward the cold, and late December is the year's end. The check accepts
# more words than these (resources/rules/etiquette.toml).
SEASON_TABLE: dict[int, list[tuple[int, str]]] = {
    1: [(1, "新春"), (11, "厳寒")],
    2: [(1, "厳寒"), (4, "余寒")],
    3: [(1, "早春"), (21, "春暖")],
    4: [(1, "陽春"), (21, "晩春")],
    5: [(1, "新緑"), (16, "薫風")],
    6: [(1, "初夏"), (11, "梅雨")],
    7: [(1, "盛夏"), (23, "大暑")],
    8: [(1, "盛夏"), (7, "残暑")],
    9: [(1, "初秋"), (23, "秋涼")],
    10: [(1, "秋冷"), (21, "錦秋")],
    11: [(1, "晩秋"), (21, "向寒")],
    12: [(1, "初冬"), (11, "師走"), (21, "歳末")],
}

WEEKDAYS = "月火水木金土日"

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


def season_word(value) -> str:
    """The 時候 word for a date: 晩秋 on 11 November, 向寒 on 22 November."""
    d = to_date(value)
    word = SEASON_TABLE[d.month][0][1]
    for first_day, w in SEASON_TABLE[d.month]:
        if d.day >= first_day:
            word = w
    return word


def season_greeting(value) -> str:
    """晩秋の候 for an early-November letter, 向寒の候 for a late-November one."""
    return f"{season_word(value)}の候"


def weekday(value) -> str:
    """The 曜日 as one kanji: 2026-12-20 -> 日."""
    return WEEKDAYS[to_date(value).weekday()]


def youbi(value) -> str:
    """The 曜日 in full-width parentheses, to write after a date: （日）."""
    return f"（{weekday(value)}）"


def wareki_youbi(value) -> str:
    """令和8年12月20日（日）: for every date a family must act on."""
    return wareki(value) + youbi(value)


def month_day_youbi(value) -> str:
    """12月20日（日）: a date in the current year, written without the year."""
    d = to_date(value)
    return f"{d.month}月{d.day}日{youbi(d)}"


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
