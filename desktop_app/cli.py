"""Command line: GUI by default; render / templates / check / export / self-check subcommands."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from desktop_app import __version__, config
from desktop_app.cli_common import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    _library,
    _load_json,
    _parse_json,
    _read_input,
    _read_word,
    _runner,
    _settings,
)
from desktop_app.core.writers import DRAFT_HEADER  # the window's 下書きとして書き出す uses the same header

EXIT_INTERRUPTED = 130
EXIT_CODES_HELP = """exit codes / 終了コード:
  0  clean: nothing to report / 問題なし
  1  findings: the check found high-severity findings / 重大な指摘あり
  2  bad input or usage: unreadable or invalid file, JSON, template or option / 入力・指定の誤り
  3  refused by the workflow / 手順上お受けできない操作
  4  internal error (one line; the traceback with --debug) / 内部エラー
"""
DEBUG_ENV = "DESKTOP_APP_DEBUG"


def _stdout_utf8() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")  # Windows consoles default to cp932
        except (AttributeError, ValueError):
            pass


def _facility_from_settings() -> dict:
    """The facility profile as a context file holds it: the workflow database's (shared by every PC) when
    there is one, else 設定."""
    from desktop_app.core.context import facility_to_dict
    from desktop_app.core.db import DB_FILE, DatabaseUnavailable, open_database, resolve_url

    settings = _settings()
    url = resolve_url(None, config.data_dir(), settings.database_url)
    if url.startswith("sqlite") and not (config.data_dir() / DB_FILE).exists() and DB_FILE in url:
        return facility_to_dict(settings.facility)
    try:
        db = open_database(url, backup=False)
    except DatabaseUnavailable:
        return facility_to_dict(settings.facility)
    try:
        from desktop_app.cli_workflow import service_light

        fac = service_light(db).admin.facility()
    finally:
        db.dispose()
    return facility_to_dict(fac if fac.name else settings.facility)


# ---- subcommands -----------------------------------------------------------------------------
def cmd_templates(args) -> int:
    lib = _library()
    for err in lib.errors:
        print(f"error: {err}", file=sys.stderr)
    for info in lib.templates.values():
        print(f"{info.id}\t{info.title}\t({info.kind}, {info.source})")
        for f in info.fields:
            req = "必須" if f.required else "任意"
            extra = f" [{'/'.join(f.choices)}]" if f.choices else ""
            print(f"    {f.name}\t{f.label}\t{f.type}\t{req}{extra}")
    return EXIT_OK


def cmd_render(args) -> int:
    from desktop_app.core.fileio import WriteError, atomic_write_text
    from desktop_app.core.templates import FacilityNameMissing, MissingFieldsError, TemplateError

    lib = _library()
    data = _load_json(args.data, "field data") if args.data else {}
    facility = _load_json(args.facility, "facility") if args.facility else _facility_from_settings()
    try:
        text = lib.render(args.template, data, facility)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from exc
    except FacilityNameMissing as exc:
        raise UsageError(f"{args.template}: the facility name is empty: set it in the app's settings or pass "
                         f"--facility FACILITY.json / {exc}") from exc
    except (MissingFieldsError, TemplateError) as exc:  # a template file is input too: exit 2, naming it
        raise UsageError(f"{args.template}: {exc}") from exc
    if args.context_out:
        context = lib.check_context(args.template, data, facility)
        try:
            atomic_write_text(Path(args.context_out), json.dumps(context.to_file(), ensure_ascii=False, indent=2) + "\n")
        except WriteError as exc:
            raise UsageError(str(exc)) from exc
        print(f"wrote {args.context_out}", file=sys.stderr)
    if args.out:
        try:
            atomic_write_text(Path(args.out), text)
        except WriteError as exc:
            raise UsageError(str(exc)) from exc
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _format_findings(name: str, text: str, findings, doc=None) -> str:
    from desktop_app.core.findings import category_label

    out = [f"== {name}: {len(findings)} finding(s)"]
    if doc is not None:
        out += [f"   注意: {w}" for w in doc.warnings]
    for f in findings:
        line = text.count("\n", 0, f.start) + 1
        sug = f" → {f.suggestions[0]}" if f.suggestions and f.suggestions[0] else ""
        where = f" ［{doc.locate(f.start, f.end)}］" if doc is not None else ""
        out.append(f"{line:4d}:{f.start}-{f.end}{where} [{f.severity.value}] {f.category} ({category_label(f.category)}) "
                   f"「{f.text}」 {f.message}{sug}")
        out.append(f"        理由: {f.explanation}")
    return "\n".join(out)


def cmd_check(args) -> int:
    if args.jsonl:
        return _check_jsonl(args)
    if not args.files:
        raise UsageError("check: give FILE... or --jsonl LETTERS.jsonl / ファイルを指定してください")
    context = _load_json(args.context, "context") if args.context else {}
    if "facility" not in context:
        context["facility"] = _facility_from_settings()
    if args.kind:
        context["kind"] = args.kind
    letters = [(f, *_read_input(f)) for f in args.files]  # read all first: input errors exit 2 early
    runner = _runner(not args.no_model)
    any_high = False
    results = []
    for name, text, doc in letters:
        findings = runner.check(text, context)
        any_high |= any(f.severity.value == "high" for f in findings)
        results.append((name, text, doc, findings))
    if args.format == "json":
        for name, _, doc, findings in results:
            rec: dict = {"file": name, "findings": [f.to_dict() for f in findings]}
            if doc is not None:  # a Word file: where each finding is, and what could not be checked
                for d, f in zip(rec["findings"], findings, strict=True):
                    d["location"] = doc.locate(f.start, f.end)
                rec["warnings"] = doc.warnings
            print(json.dumps(rec, ensure_ascii=False))
    else:
        for name, text, doc, findings in results:
            print(_format_findings(name, text, findings, doc))
    return EXIT_FINDINGS if any_high else EXIT_OK


def _check_jsonl(args) -> int:
    from desktop_app.core.fileio import ReadError, read_text_file

    try:
        raw = read_text_file(Path(args.jsonl))
    except ReadError as exc:
        raise UsageError(str(exc)) from exc
    records = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        rec = _parse_json(line, f"{args.jsonl}:{n}", "the line")
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            raise UsageError(f"{args.jsonl}:{n}: each line needs an object with \"text\" / text がありません")
        if rec.get("context") is not None and not isinstance(rec["context"], dict):
            raise UsageError(f"{args.jsonl}:{n}: \"context\" must be a JSON object / context はオブジェクトで指定してください")
        if rec.get("id") is not None and not isinstance(rec["id"], (str, int)):
            raise UsageError(f"{args.jsonl}:{n}: \"id\" must be a string or a number / id は文字列か数値で指定してください")
        records.append(rec)
    runner = _runner(not args.no_model)
    # one batched model pass over every paragraph of every letter, then the rules letter by letter
    if runner.engine.loaded:
        runner.engine.warm([r["text"] for r in records])
    any_high = False
    for rec in records:
        context = dict(rec["context"]) if isinstance(rec.get("context"), dict) else {}
        if isinstance(rec.get("type"), str) and not context.get("kind"):
            context["kind"] = rec["type"]  # the record's type is the letter's kind
        findings = runner.check(rec["text"], context)
        any_high |= any(f.severity.value == "high" for f in findings)
        print(json.dumps({"id": rec.get("id"), "findings": [f.to_dict() for f in findings]}, ensure_ascii=False))
    return EXIT_FINDINGS if any_high else EXIT_OK


def cmd_export(args) -> int:
    """A draft copy for trying letters out: every page says 下書き（未承認）. Only `letters export`, after an
    approval, writes the file that can be sent. A high finding still refuses the export here."""
    from desktop_app.core.export_docx import PdfUnavailable, convert_to_pdf, export_docx
    from desktop_app.core.fileio import WriteError
    from desktop_app.core.workflow.state import unresolved_high

    if args.accept_findings is not None:
        raise UsageError("--accept-findings no longer bypasses the check: a reviewer accepts high findings with "
                         "`letters approve ID --accept REASON` / 重大な指摘は確認者が承認時に了承します")
    text, word_doc = _read_input(args.file)
    if not text.strip():
        raise UsageError(f"{args.file}: the letter is empty; nothing to export / 手紙の本文が空のため書き出しません")
    context = _load_json(args.context, "context") if args.context else {}
    settings = _settings()
    if "facility" not in context:
        context["facility"] = _facility_from_settings()
    findings = _runner(not args.no_model).check(text, context)
    high = unresolved_high(findings, {})
    if high:
        print(f"export refused: {len(high)} high-severity finding(s) / 重大な指摘が{len(high)}件あるため出力しません",
              file=sys.stderr)
        for f in high:
            print(f"  [{f.category}] 「{f.text}」 {f.message}", file=sys.stderr)
        return EXIT_FINDINGS
    author = (context.get("facility") or {}).get("name") or settings.facility.name or "施設"
    if word_doc is not None:  # a Word letter: keep its own layout, tables and headers (see `mask`)
        return _write_word_copy(word_doc, [], Path(args.out), header_text=DRAFT_HEADER)
    try:
        out = export_docx(text, Path(args.out), author=author, font=settings.docx_font, header_text=DRAFT_HEADER)
    except WriteError as exc:
        raise UsageError(str(exc)) from exc
    print(f"wrote {out} (draft copy, not approved / 下書き・未承認)")
    if args.pdf:
        try:
            print(f"wrote {convert_to_pdf(out)}")
        except PdfUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    return EXIT_OK


def _write_word_copy(doc, edits, out: Path, *, header_text: str | None = None) -> int:
    """Name what cannot be reproduced before saving, save atomically, then list what was changed."""
    from desktop_app.core.fileio import WriteError
    from desktop_app.core.word import mask_docx

    for warning in doc.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        report = mask_docx(doc, edits, out, header_text=header_text)
    except WriteError as exc:
        raise UsageError(str(exc)) from exc
    print(f"wrote {out}")
    for line in report.summary():
        print(f"  {line}")
    for e in report.not_applied:
        print(f"  未処理：「{e.original}」（{doc.locate(e.start, e.end)}）は書き換えられませんでした", file=sys.stderr)
    # something the user asked to mask is still in the copy: that is a finding left, not a clean result
    return EXIT_FINDINGS if report.not_applied else EXIT_OK


def cmd_mask(args) -> int:
    """A masked copy of a Word letter that keeps its formatting: personal data → 〇〇 (and suggestions)."""
    from desktop_app.core.word import edits_for_findings

    if Path(args.file).suffix.lower() != ".docx":
        raise UsageError(f"{args.file}: mask works on Word files (.docx) / Wordファイル（.docx）を指定してください")
    from desktop_app.core.fileio import same_file

    if same_file(Path(args.file), Path(args.out)):
        raise UsageError(f"{args.out}: the masked copy must not replace the original / "
                         "元のWordファイルには上書きできません。別の名前で保存してください")
    doc = _read_word(args.file)
    context = _load_json(args.context, "context") if args.context else {}
    if "facility" not in context:
        context["facility"] = _facility_from_settings()
    findings = _runner(not args.no_model).check(doc.text, context)
    edits = edits_for_findings(findings, apply_suggestions=args.apply_suggestions)
    for e in edits:
        print(f"  {doc.locate(e.start, e.end)}: 「{e.original}」 → 「{e.replacement}」", file=sys.stderr)
    return _write_word_copy(doc, edits, Path(args.out), header_text=DRAFT_HEADER)


def cmd_self_check(args) -> int:
    """Load GiNZA, render a bundled template, check it, export it: one line per step with its time."""
    from desktop_app.core.checks.nlp import NlpEngine
    from desktop_app.core.checks.runner import CheckRunner
    from desktop_app.core.export_docx import export_docx

    ok = True
    state: dict = {}

    def step(name, fn):
        nonlocal ok
        t0 = time.perf_counter()
        try:
            detail = fn()
            print(f"[ OK ] {name:<22} {time.perf_counter() - t0:7.2f} s  {detail or ''}")
        except Exception as exc:  # the point is to report every step, whatever broke
            ok = False
            print(f"[FAIL] {name:<22} {time.perf_counter() - t0:7.2f} s  {type(exc).__name__}: {exc}")

    engine = NlpEngine()

    def load():
        engine.load()
        return f"model {engine.model_name} (GiNZA load {engine.load_seconds:.2f} s)"

    def blas():
        from desktop_app.core.checks.nlp import blas_threads_while_pinned

        pools = blas_threads_while_pinned()
        if not pools or any(n != 1 for _, n in pools):
            raise RuntimeError(f"the model's BLAS is not held to one thread: {pools or 'no BLAS library found'}")
        return ", ".join(f"{name}: 1 thread" for name, _ in pools)

    def render():
        lib = _library()
        sample = json.loads((config.resources_dir() / "samples" / "incident_report.json").read_text(encoding="utf-8"))
        facility = json.loads((config.resources_dir() / "samples" / "facility.json").read_text(encoding="utf-8"))
        state["text"] = lib.render("incident_report", sample, facility)
        state["context"] = lib.check_context("incident_report", sample, facility)
        return f"incident_report, {len(state['text'])} chars, {len(lib.templates)} templates"

    def check():
        findings = CheckRunner(engine).check(state["text"], state["context"])
        persons = sum(f.category == "pii.person" for f in findings)
        if persons == 0:
            raise RuntimeError("no names found in the sample letter: the check is not working")
        return f"{len(findings)} findings ({persons} names)"

    def export():
        with tempfile.TemporaryDirectory() as tmp:
            out = export_docx(state["text"], Path(tmp) / "自己診断 テスト.docx", author="self-check")
            return f"{out.stat().st_size} bytes"

    step("load GiNZA", load)
    step("BLAS one thread", blas)
    step("render template", render)
    step("check letter", check)
    step("export Word", export)
    print("self-check: " + ("all steps passed" if ok else "FAILED"))
    return EXIT_OK if ok else EXIT_INTERNAL  # a broken installation, not a finding


def cmd_gui(args) -> int:
    from desktop_app.gui.app import run_gui

    if args.db:
        # the window resolves its database the way the CLI does (core.db.resolve_url): --db is handed on as
        # CARELETTER_DB, which also keeps the window from offering to "correct" the URL in 設定 instead
        from desktop_app.core.db import DB_ENV

        os.environ[DB_ENV] = args.db
    return run_gui()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="desktop-app", description="介護施設のお手紙作成・チェック（Care letter writer）",
                                epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"desktop-app {__version__}")
    p.add_argument("--db", metavar="URL", help="workflow database: sqlite:///PATH or postgresql+psycopg://… "
                   "(default: CARELETTER_DB, then 設定, then the SQLite file in the user data folder). "
                   "Never put a password in it: use the OS keychain, PGPASSFILE or --db-password-stdin")
    p.add_argument("--db-password-stdin", action="store_true",
                   help="read the PostgreSQL password from the first line of standard input "
                   "(before any --password-stdin lines)")
    p.add_argument("--debug", action="store_true",
                   help=f"show the full traceback of an internal error (or set {DEBUG_ENV}=1)")
    sub = p.add_subparsers(dest="command")
    t = sub.add_parser("templates", help="list templates and their fields / テンプレート一覧")
    t.set_defaults(func=cmd_templates)
    r = sub.add_parser("render", help="fill a template / テンプレートから手紙を作成")
    r.add_argument("template")
    r.add_argument("--data", help="FIELDS.json")
    r.add_argument("--facility", help="FACILITY.json (default: the facility profile in settings)")
    r.add_argument("--out", help="write to FILE instead of standard output")
    r.add_argument("--context-out", metavar="FILE",
                   help="also write the check's context (facility, recipient, subject, sender, kind) for check --context")
    r.set_defaults(func=cmd_render)
    c = sub.add_parser("check", help="check letters / 手紙のチェック")
    c.add_argument("files", nargs="*")
    c.add_argument("--context", help="CONTEXT.json: facility, recipient, subject, sender, kind (e.g. from render --context-out)")
    c.add_argument("--kind", help="the letter's kind, e.g. incident_report, complaint_reply (overrides the context's)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--jsonl", help="LETTERS.jsonl: one {id, text, context} per line; prints one JSON line each")
    c.add_argument("--no-model", action="store_true", help="patterns only, without GiNZA (fast, less accurate)")
    c.set_defaults(func=cmd_check)
    e = sub.add_parser("export", help="a draft copy in Word, marked 下書き（未承認） / 下書きのWord出力")
    e.add_argument("file")
    e.add_argument("--out", required=True, help="LETTER.docx")
    e.add_argument("--context", help="CONTEXT.json")
    e.add_argument("--accept-findings", metavar="REASON", help=argparse.SUPPRESS)  # refused: only an approval accepts
    e.add_argument("--pdf", action="store_true", help="also convert to PDF with LibreOffice")
    e.add_argument("--no-model", action="store_true", help=argparse.SUPPRESS)
    e.set_defaults(func=cmd_export)
    m = sub.add_parser("mask", help="masked copy of a Word letter, layout kept / Wordの伏せ字コピー")
    m.add_argument("file", help="IN.docx")
    m.add_argument("--out", required=True, help="OUT.docx")
    m.add_argument("--context", help="CONTEXT.json")
    m.add_argument("--apply-suggestions", action="store_true", help="also replace wording findings with their suggestion")
    m.add_argument("--no-model", action="store_true", help="patterns only, without GiNZA (fast, less accurate)")
    m.set_defaults(func=cmd_mask)
    s = sub.add_parser("self-check", help="load the model, render, check and export once / 動作確認")
    s.set_defaults(func=cmd_self_check)
    from desktop_app import cli_workflow

    cli_workflow.add_parsers(sub)
    from desktop_app import cli_backup

    cli_backup.add_parsers(sub)
    return p


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit] + "…"


def main(argv: list[str] | None = None) -> int:
    """Run one command and map every outcome to the documented exit codes (EXIT_CODES_HELP)."""
    _stdout_utf8()
    from desktop_app.core.secrets import install_log_redaction, redact

    install_log_redaction()  # no log record, of any library, carries a password (core/secrets.py)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help/--version
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    if args.db:
        from desktop_app.core.db import password_in_url

        if password_in_url(args.db):
            print("error: --db must not contain a password: every user of this PC can read the command line. "
                  "Use the OS keychain, PGPASSFILE or --db-password-stdin / パスワードはURLに書かず、"
                  "キーチェーン・PGPASSFILE・--db-password-stdin のいずれかで渡してください", file=sys.stderr)
            return EXIT_USAGE
    try:
        if not getattr(args, "func", None):
            return cmd_gui(args)
        if args.func.__module__ in ("desktop_app.cli_workflow", "desktop_app.cli_backup"):
            from desktop_app import cli_workflow

            return cli_workflow.run(args.func, args)
        return args.func(args)
    except UsageError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `desktop-app check … | head`: the reader left; not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        except OSError:
            pass
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the contract: one line and exit 4, never a traceback with exit 1
        if debug:  # the traceback's texts (a driver's message, a URL) are redacted like every other line
            sys.stderr.write(redact(traceback.format_exc()))
        what = "out of memory" if isinstance(exc, MemoryError) else f"{type(exc).__name__}: {exc}"
        print(f"internal error: {_one_line(redact(what))} (run with --debug for details) / 内部エラーが発生しました",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
