"""The account rules a form needs before the database is open (the login is shown before SQLAlchemy
loads): the roles with their Japanese names, what makes a password strong enough and what makes a staff
name acceptable. core.accounts enforces them; the forms show the same messages by calling these functions."""

from __future__ import annotations

import re
import unicodedata

ROLES = ("writer", "reviewer", "admin")
ROLE_LABELS = {"writer": "作成者", "reviewer": "確認者", "admin": "管理者"}
MIN_PASSWORD = 10
MIN_STRENGTH = 3  # zxcvbn's score (0-4): 3 is "safely unguessable" against an offline attack on a slow hash
MAX_NAME = 100

PASSWORD_ADVICE = ("長く、推測されにくいパスワードにしてください。"
                   "たとえば、関係のない言葉を3つ以上つなげ、数字や記号を混ぜると覚えやすく安全です"
                   "（名前・施設名・誕生日・「password」「12345678」のような並びは使えません）。")


def guessable_words(user_inputs: tuple[str, ...] | list[str]) -> list[str]:
    """Each name whole and word by word (「グループホーム すずらん」 → also 「グループホーム」, 「すずらん」, and the
    words run together): zxcvbn matches a user input as one token, so 「すずらん2024すずらん」 passed for a
    facility whose name holds すずらん between spaces. NFKC, so full-width letters match too."""
    out: list[str] = []
    for text in user_inputs:
        if not text or not text.strip():
            continue
        text = unicodedata.normalize("NFKC", text).strip()
        parts = [p for p in re.split(r"[\s・･/／()（）「」]+", text) if p]
        for word in (text, "".join(parts), *parts):
            if word not in out:
                out.append(word)
    return out


def password_problem(password: str, user_inputs: tuple[str, ...] | list[str] = ()) -> str:
    """"" when `password` may be used, else the Japanese sentence telling staff what to do. `user_inputs`
    are words an attacker would try first (the facility's and the person's names). zxcvbn is imported here
    and not at module level: the login form reads this module before anything heavy loads."""
    if len(password) < MIN_PASSWORD:
        return f"パスワードは{MIN_PASSWORD}文字以上にしてください。" + PASSWORD_ADVICE
    from zxcvbn import zxcvbn

    inputs = guessable_words(user_inputs)
    # zxcvbn's matching is quadratic in the length; a very long password is strong by length anyway
    # judged in NFKC (only here; the password itself is kept as typed): 「ｙａｍａｄａ」 is as guessable as yamada
    judged = unicodedata.normalize("NFKC", password)
    if len(judged) <= 100 and zxcvbn(judged, user_inputs=inputs)["score"] < MIN_STRENGTH:
        return "このパスワードは推測されやすいため使えません。" + PASSWORD_ADVICE
    return ""


_BIDI_CONTROLS = {"\u061c", "\u200e", "\u200f"} | {chr(c) for c in range(0x202A, 0x202F)} | \
    {chr(c) for c in range(0x2066, 0x206A)}


def normalize_name(name: str) -> str:
    """A staff name as it is stored and looked up: NFKC (full-width letters and half-width kana become one
    form) and the surrounding whitespace removed. The login uses the same, so 「ｏｙａｍａ」 finds 「oyama」."""
    return unicodedata.normalize("NFKC", name).strip()


def name_problem(name: str) -> str:
    """"" when the (normalised) name may be a staff name, else the Japanese reason. Control characters
    (C0, DEL, C1) and format characters (zero-width spaces, bidi overrides and isolates) are refused: they
    are invisible or reorder what is shown, so one name could pass for another."""
    if not name.strip() or len(name) > MAX_NAME:
        return f"職員名を正しく入力してください（{MAX_NAME}文字まで）。"
    for c in name:
        category = unicodedata.category(c)
        if category == "Cc":
            return "職員名に制御文字（改行・タブなど）は使えません。"
        if category == "Cf" or c in _BIDI_CONTROLS:
            return "職員名に見えない文字（ゼロ幅スペースや文字の向きを変える記号など）は使えません。"
        if category in ("Zl", "Zp", "Cs", "Co", "Cn"):
            return "職員名に使えない文字が含まれています。"
    return ""


def name_look(name: str) -> str:
    """What a name looks like on screen: NFKC, without invisible characters or any whitespace, case folded.
    Two names with the same look cannot be told apart by a reviewer, so the second one is refused."""
    text = unicodedata.normalize("NFKC", name)
    kept = (c for c in text
            if unicodedata.category(c) not in ("Cc", "Cf", "Zs", "Zl", "Zp") and not c.isspace()
            and c not in _BIDI_CONTROLS)
    return "".join(kept).casefold()
