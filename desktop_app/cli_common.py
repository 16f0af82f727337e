"""What both command-line modules share: exit codes, UsageError, reading inputs, settings, templates, the checker."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from desktop_app import config

# The exit status is a contract scripts rely on (README, "Exit codes"): a crash must never read as a finding.
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_REFUSED, EXIT_INTERNAL = 0, 1, 2, 3, 4


class UsageError(Exception):
    """Bad input or usage: exit 2 with the message."""


MAX_JSON_DEPTH = 64  # context and field data are two or three levels deep


def _parse_json(text: str, where: str, what: str):
    """json.loads with every way it can fail on hostile input turned into a UsageError naming the place."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}: {what} is not valid JSON (line {exc.lineno}: {exc.msg}) / JSONの形式が正しくありません") from exc
    except RecursionError as exc:
        raise UsageError(f"{where}: {what} is nested too deeply / JSONの入れ子が深すぎます") from exc
    except ValueError as exc:  # an integer of more than 4300 digits
        why = "a number with too many digits" if "digits" in str(exc) else str(exc)
        raise UsageError(f"{where}: {what} has a value that cannot be read ({why}) / 読めない値があります") from exc
    _check_json_values(data, where, what)
    return data


def _check_json_values(data, where: str, what: str) -> None:
    """Depth, and no lone surrogates (\\ud800 parses, but cannot be printed, saved or checked)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise UsageError(f"{where}: {what} is nested too deeply (more than {MAX_JSON_DEPTH}) / JSONの入れ子が深すぎます")
        if isinstance(value, dict):
            stack.extend((k, depth + 1) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise UsageError(f"{where}: {what} contains an invalid character (lone surrogate "
                                 f"\\u{ord(value[exc.start]):04x}) / 不正な文字が含まれています") from exc
        elif isinstance(value, float) and not math.isfinite(value):
            raise UsageError(f"{where}: {what} has a number out of range / 数値が範囲外です")


def _load_json(path: str, what: str) -> dict:
    from desktop_app.core.fileio import ReadError, read_text_file

    try:
        data = _parse_json(read_text_file(Path(path)), path, what)
    except ReadError as exc:
        raise UsageError(str(exc)) from exc
    if not isinstance(data, dict):
        raise UsageError(f"{path}: {what} must be a JSON object / JSONオブジェクトで指定してください")
    return data


def _read_letter(path: str) -> str:
    return _read_input(path)[0]


def _read_word(path: str):
    """A .docx read with every part a reader can see (WordDocument), or UsageError with the reason."""
    from desktop_app.core.word import DocxError, read_docx

    try:
        return read_docx(Path(path))
    except DocxError as exc:
        raise UsageError(str(exc)) from exc


def _looks_like_word(p: Path) -> bool:
    """A zip file whose entries include Word's body part (the extension may have been lost in a mail)."""
    import zipfile

    try:
        if not p.is_file():
            return False
        with p.open("rb") as f:
            if f.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(p) as z:
            return "word/document.xml" in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def _read_input(path: str):
    """(text, WordDocument or None): a .docx gives its full checkable text and the map to locations."""
    from desktop_app.core.fileio import ReadError, read_text_file

    p = Path(path)
    if p.suffix.lower() == ".docx" or _looks_like_word(p):  # a .docx that lost its extension is still one
        doc = _read_word(path)
        return doc.text, doc
    try:
        return read_text_file(p), None
    except ReadError as exc:
        raise UsageError(str(exc)) from exc


_warned_settings = False


def _settings() -> config.Settings:
    """Settings, with what was wrong in settings.json said once on standard error."""
    global _warned_settings
    settings = config.Settings.load()
    if not _warned_settings:
        for problem in settings.problems:
            print(f"warning: {problem}", file=sys.stderr)
        _warned_settings = True
    return settings


def _library():
    from desktop_app.core.templates import TemplateLibrary

    settings = _settings()
    shared = Path(settings.user_templates_dir) if settings.user_templates_dir else None
    return TemplateLibrary(config.templates_dir(), user=config.user_templates_dir(), shared=shared)


# cli and cli_workflow each import this by name, so a test replaces it in the module whose commands it runs
def _runner(load_model: bool = True):
    from desktop_app.core.checks.nlp import ModelUnavailable, NlpEngine
    from desktop_app.core.checks.runner import CheckRunner

    engine = NlpEngine()
    if load_model:
        try:
            engine.load()
        except ModelUnavailable as exc:
            print(f"warning: {exc}\n"
                  "warning: the Japanese model did not load: only pattern checks run, and names can be missed. "
                  "Export still refuses high findings. Reinstall the app or run `self-check`.\n"
                  "警告: 日本語解析モデルを読み込めませんでした。パターンによる確認のみで、お名前などの見落としが増えます。"
                  "重大な指摘がある手紙は引き続き書き出せません。", file=sys.stderr)
    return CheckRunner(engine)


# ---- what reaches the terminal ---------------------------------------------------------------------------
# Names, comments and letter text come from other people (and from the database, which another program can
# write): an ESC sequence in them could rewrite the reader's terminal, and a newline in a name could forge a
# line of `audit show`. Every printing path of the workflow commands goes through visible().
_ALWAYS_ESCAPED = frozenset("\u061c\u200e\u200f\u2028\u2029") | frozenset(map(chr, range(0x202A, 0x202F))) \
    | frozenset(map(chr, range(0x2066, 0x206A)))


def _escape(c: str) -> str:
    n = ord(c)
    if c in "\n\t\r":
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}[c]
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def visible(text: str, *, lines: bool = False) -> str:
    """`text` with every control character shown as an escape (ESC as \\x1b, DEL as \\x7f, C1 controls,
    line separators and bidi overrides as \\u….), Japanese left as it is. A single-line field (`lines`
    False: a name, a comment, a detail) also escapes tabs, newlines and invisible format characters such as
    the zero-width space; a letter body (`lines` True) keeps its newlines, tabs and a CR before LF."""
    import unicodedata

    out = []
    for i, c in enumerate(text):
        category = unicodedata.category(c)
        if c in _ALWAYS_ESCAPED:
            out.append(_escape(c))
        elif category == "Cc":
            keep = lines and (c in "\n\t" or (c == "\r" and text[i + 1:i + 2] == "\n"))
            out.append(c if keep else _escape(c))
        elif category == "Cf" and not lines:
            out.append(_escape(c))
        else:
            out.append(c)
    return "".join(out)


def echo(*columns, file=None) -> None:
    """One output line: each column made visible() on its own, joined by tabs (a tab or newline inside a
    column is escaped, so it can neither shift the columns nor start a line of its own)."""
    print("\t".join(visible(str(c)) for c in columns), file=file or sys.stdout)


def echo_text(text: str) -> None:
    """A letter's text: several lines, kept as written, control characters escaped; ends with a newline."""
    shown = visible(text, lines=True)
    sys.stdout.write(shown if shown.endswith("\n") else shown + "\n")
