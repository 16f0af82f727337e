"""Line roles of a letter (宛名, 差出人, 件名, 本文, 記 …): tagged by the template, kept through the user's edits.

A template marks structure with `{{ role("sender") }}` on a line of its own: every following line has that
role until the next marker. Rendering strips the markers (render() stays plain text); render_structured()
returns the roles beside the text, and the Word export lays each paragraph out by its role, never by
guessing from its first character. After the user edits the text, `reanchor_roles` carries the roles
over to the edited lines by their content (difflib).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

MARK = "\ue000"  # a private-use character: never in a letter, stripped from every rendering
LINE_ROLES = (
    "docnum",  # 文書番号 (business: top right)
    "date",  # 日付 (business: top right; letter: 後付け, right)
    "recipient",  # 宛名 (left)
    "sender",  # 差出人 block (right)
    "title",  # 件名 (centre)
    "opening",  # 頭語 and 前文 (left, no 字下げ: the 頭語 starts at the margin)
    "body",  # 主文 and 末文 (字下げ one character)
    "heading",  # 【発生状況】 and the like (left, no 字下げ)
    "closing",  # 結語 (right)
    "ki",  # 記 (centre)
    "items",  # the items under 記 (left, no 字下げ)
    "ijo",  # 以上 (right)
    "contact",  # 担当・連絡先 at the end (right)
)
LAYOUTS = ("business", "letter")
BODYLIKE = ("body", "heading", "items", "opening")


def role_marker(name: str) -> str:
    """The Jinja global `role()`: a marker line that the renderer turns into line roles."""
    if name not in LINE_ROLES:
        raise ValueError(f"role「{name}」は使えません（{', '.join(LINE_ROLES)}）")
    return f"{MARK}{name}{MARK}"


@dataclass
class StructuredText:
    text: str  # exactly what render() returns
    roles: list[str]  # one per line of text.rstrip("\n").split("\n"); "" for blank or unknown lines

    def lines(self) -> list[str]:
        return text_lines(self.text)


def text_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").rstrip("\n").split("\n")


def split_roles(raw: str) -> list[tuple[str, str]]:
    """Rendered template output with markers → [(line, role)], marker-only lines dropped."""
    out: list[tuple[str, str]] = []
    role = ""
    for line in raw.replace("\r\n", "\n").split("\n"):
        if MARK in line:
            parts = line.split(MARK)
            for i in range(1, len(parts), 2):
                if parts[i] in LINE_ROLES:
                    role = parts[i]
            line = "".join(parts[0::2])
            if not line.strip():
                continue  # the marker's own line
        out.append((line, role))
    return out


def tidy_structured(raw: str) -> StructuredText:
    """The marker-free text tidied: no trailing spaces, at most one blank line, none at the start or the end."""
    rows: list[tuple[str, str]] = []
    for line, role in split_roles(raw):
        line = line.rstrip()
        if not line and (not rows or not rows[-1][0]):
            continue
        rows.append((line, role if line else ""))
    while rows and not rows[-1][0]:
        rows.pop()
    return StructuredText("\n".join(r[0] for r in rows) + "\n", [r[1] for r in rows])


def _neighbour_role(roles: list[str | None], i: int) -> str:
    prev = next((roles[j] for j in range(i - 1, -1, -1) if roles[j]), None)
    nxt = next((roles[j] for j in range(i + 1, len(roles)) if roles[j]), None)
    if prev and prev == nxt:
        return prev
    if prev in ("items",):
        return "items"
    if prev in BODYLIKE or nxt in BODYLIKE:
        return "body"
    if prev in ("sender", "contact", "docnum", "date") and nxt in (None, "date", "sender", "contact"):
        return prev  # a line added to the sender block or the 後付け stays in it
    return "body"


def reanchor_roles(old_text: str, old_roles: list[str], new_text: str) -> list[str]:
    """Roles for the edited text: matched lines keep theirs, changed lines take the role of the line they
    replace, added lines take their neighbours' role (or body)."""
    old = text_lines(old_text)
    new = text_lines(new_text)
    if len(old_roles) != len(old):
        old_roles = (list(old_roles) + [""] * len(old))[:len(old)]
    roles: list[str | None] = [None] * len(new)
    sm = difflib.SequenceMatcher(None, [s.strip() for s in old], [s.strip() for s in new], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            for k in range(j2 - j1):
                roles[j1 + k] = old_roles[i1 + k]
        elif op == "replace":
            for k in range(min(i2 - i1, j2 - j1)):
                roles[j1 + k] = old_roles[i1 + k]
    out: list[str] = []
    for i, line in enumerate(new):
        if not line.strip():
            out.append("")
        elif roles[i]:
            out.append(roles[i] or "")
        else:
            out.append(_neighbour_role(roles, i))
    return out
