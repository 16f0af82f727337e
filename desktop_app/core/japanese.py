"""Japanese letter conventions as template functions: 和暦, 時候の挨拶, 頭語/結語, honorifics, amounts."""

from __future__ import annotations

import datetime as dt
import re

from desktop_app.core.conventions import eras, honorifics, salutations, seasons

WEEKDAYS = "月火水木金土日"


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
    for era in eras():
        if d >= era.first_day:
            # counted from first_day's year, as this always has: for 明治 (first_day 明治6年) that is not the 明治 year
            year = d.year - era.first_day.year + 1
            y = "元" if year == 1 else str(year)
            return f"{era.name}{y}年{d.month}月{d.day}日" if with_day else f"{era.name}{y}年{d.month}月"
    return f"{d.year}年{d.month}月{d.day}日"


def season_word(value) -> str:
    """The 時候 word for a date: 晩秋 on 11 November, 向寒 on 22 November."""
    d = to_date(value)
    table = seasons().written[d.month]
    word = table[0][1]
    for first_day, w in table:
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
    return salutations().for_kind(kind)[0]


def closing(kind: str) -> str:
    return salutations().for_kind(kind)[1]


def sama(name: str) -> str:
    """仲村 昌平 -> 仲村 昌平 様 (an honorific already there is kept)."""
    name = (name or "").strip()
    if not name or name.endswith(honorifics().addressee):
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


# Endings that close a clause: polite (ました・です・ます…), plain past (た・だ) and the common plain
# forms staff type (している・される・なる…). A noun phrase (「居室で転倒される事故」「けが」「〜のこと」)
# ends in none of them, so it still needs the template's own predicate after it.
_SENTENCE_END = re.compile(
    r"(?:ます|です|ました|でした|ません|ませんでした|ございます|でしょう|ください|"
    r"た|だ|ている|ておる|てる|いる|ある|なる|する|れる|られる|ない)$")
_FINAL_STOPS = "。．.！!？? \u3000\t\r\n"


def is_sentence(text: str) -> bool:
    """Whether what staff typed already ends as a clause (「転倒されました」「転倒された」), not as a noun
    phrase (「転倒される事故」): then a template must not add its own 「がございました」 after it."""
    return bool(_SENTENCE_END.search((text or "").rstrip(_FINAL_STOPS)))


def ending(text: str, phrase: str = "", sentence: str = "") -> str:
    """What staff typed, joined to the template's next words whether they wrote a phrase or a sentence.

    A template pastes a field into its own sentence; staff write either a noun phrase or a whole sentence,
    so the template says what follows each. ``phrase`` goes after a phrase, ``sentence`` after a sentence,
    and a final 。 goes in both cases (the template writes its own punctuation):

    - ``{{ s|ending(phrase="がございました") }}``: 「居室で転倒される事故」 -> 「…事故がございました」, but
      「居室で転倒されました。」 -> 「居室で転倒されました」 (never 「転倒されましたがございました」);
    - ``{{ s|ending(sentence="件") }}について``: 「返却が遅れていました」 -> 「返却が遅れていました件について」.
    """
    text = (text or "").strip().rstrip(_FINAL_STOPS)
    return text + (sentence if is_sentence(text) else phrase)
