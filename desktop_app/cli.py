"""Command line: GUI by default; render / templates / check / export / self-check subcommands."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from desktop_app import __version__, config

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3
DRAFT_HEADER = "下書き（未承認）"


class UsageError(Exception):
    pass


def _stdout_utf8() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")  # Windows consoles default to cp932
        except (AttributeError, ValueError):
            pass


def _load_json(path: str, what: str) -> dict:
    from desktop_app.core.fileio import ReadError, read_text_file

    try:
        data = json.loads(read_text_file(Path(path)))
    except ReadError as exc:
        raise UsageError(str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: {what} is not valid JSON (line {exc.lineno}: {exc.msg}) / JSONの形式が正しくありません") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{path}: {what} must be a JSON object / JSONオブジェクトで指定してください")
    return data


def _read_letter(path: str) -> str:
    from desktop_app.core.fileio import ReadError, read_text_file

    p = Path(path)
    if p.suffix.lower() == ".docx":
        try:
            from docx import Document

            return "\n".join(par.text for par in Document(str(p)).paragraphs)
        except FileNotFoundError as exc:
            raise UsageError(f"{path}: file not found / ファイルが見つかりません") from exc
        except Exception as exc:
            raise UsageError(f"{path}: not a readable .docx file ({exc}) / Wordファイルとして読めません") from exc
    try:
        return read_text_file(p)
    except ReadError as exc:
        raise UsageError(str(exc)) from exc


def _library():
    from desktop_app.core.templates import TemplateLibrary

    settings = config.Settings.load()
    shared = Path(settings.user_templates_dir) if settings.user_templates_dir else None
    return TemplateLibrary(config.templates_dir(), user=config.user_templates_dir(), shared=shared)


def _facility_from_settings() -> dict:
    """The facility profile: the workflow database's (shared by every PC) when there is one, else 設定."""
    from desktop_app.core.db import DB_FILE, DatabaseUnavailable, open_database, resolve_url

    settings = config.Settings.load()
    url = resolve_url(None, config.data_dir(), settings.database_url)
    if url.startswith("sqlite") and not (config.data_dir() / DB_FILE).exists() and DB_FILE in url:
        return settings.facility.to_context()
    try:
        db = open_database(url, backup=False)
    except DatabaseUnavailable:
        return settings.facility.to_context()
    try:
        from desktop_app.cli_workflow import service_light

        fac = service_light(db).facility()
    finally:
        db.dispose()
    return fac if fac.get("name") else settings.facility.to_context()


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
    from desktop_app.core.templates import MissingFieldsError, TemplateError

    lib = _library()
    data = _load_json(args.data, "field data") if args.data else {}
    facility = _load_json(args.facility, "facility") if args.facility else _facility_from_settings()
    try:
        text = lib.render(args.template, data, facility)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from exc
    except (MissingFieldsError, TemplateError) as exc:
        raise UsageError(f"{args.template}: {exc}") from exc
    if args.out:
        try:
            atomic_write_text(Path(args.out), text)
        except WriteError as exc:
            raise UsageError(str(exc)) from exc
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _format_findings(name: str, text: str, findings) -> str:
    from desktop_app.core.letters import category_label

    out = [f"== {name}: {len(findings)} finding(s)"]
    for f in findings:
        line = text.count("\n", 0, f.start) + 1
        sug = f" → {f.suggestions[0]}" if f.suggestions and f.suggestions[0] else ""
        out.append(f"{line:4d}:{f.start}-{f.end} [{f.severity.value}] {f.category} ({category_label(f.category)}) "
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
    letters = [(f, _read_letter(f)) for f in args.files]  # read all first: input errors exit 2 early
    runner = _runner(not args.no_model)
    any_high = False
    results = []
    for name, text in letters:
        findings = runner.check(text, context)
        any_high |= any(f.severity.value == "high" for f in findings)
        results.append((name, text, findings))
    if args.format == "json":
        for name, _, findings in results:
            print(json.dumps({"file": name, "findings": [f.to_dict() for f in findings]}, ensure_ascii=False))
    else:
        for name, text, findings in results:
            print(_format_findings(name, text, findings))
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
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{args.jsonl}:{n}: not JSON ({exc.msg}) / JSONの形式が正しくありません") from exc
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            raise UsageError(f"{args.jsonl}:{n}: each line needs an object with \"text\" / text がありません")
        records.append(rec)
    runner = _runner(not args.no_model)
    # one batched model pass over every paragraph of every letter, then the rules letter by letter
    if runner.engine.loaded:
        runner.engine.warm([r["text"] for r in records])
    any_high = False
    for rec in records:
        findings = runner.check(rec["text"], rec.get("context") or {})
        any_high |= any(f.severity.value == "high" for f in findings)
        print(json.dumps({"id": rec.get("id"), "findings": [f.to_dict() for f in findings]}, ensure_ascii=False))
    return EXIT_FINDINGS if any_high else EXIT_OK


def cmd_export(args) -> int:
    """A draft copy for trying letters out: every page says 下書き（未承認）. Only `letters export`, after an
    approval, writes the file that can be sent. A high finding still refuses the export here."""
    from desktop_app.core.export_docx import PdfUnavailable, convert_to_pdf, export_docx
    from desktop_app.core.fileio import WriteError
    from desktop_app.core.review import unresolved_high

    if args.accept_findings is not None:
        raise UsageError("--accept-findings no longer bypasses the check: a reviewer accepts high findings with "
                         "`letters approve ID --accept REASON` / 重大な指摘は確認者が承認時に了承します")
    text = _read_letter(args.file)
    if not text.strip():
        raise UsageError(f"{args.file}: the letter is empty / 本文が空です")
    context = _load_json(args.context, "context") if args.context else {}
    settings = config.Settings.load()
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
    step("render template", render)
    step("check letter", check)
    step("export Word", export)
    print("self-check: " + ("all steps passed" if ok else "FAILED"))
    return EXIT_OK if ok else EXIT_FINDINGS


def cmd_gui(args) -> int:
    from desktop_app.gui.app import run_gui

    return run_gui()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="desktop-app", description="介護施設のお手紙作成・チェック（Care letter writer）")
    p.add_argument("--version", action="version", version=f"desktop-app {__version__}")
    p.add_argument("--db", metavar="URL", help="workflow database: sqlite:///PATH or postgresql+psycopg://… "
                   "(default: CARELETTER_DB, then 設定, then the SQLite file in the user data folder)")
    sub = p.add_subparsers(dest="command")
    t = sub.add_parser("templates", help="list templates and their fields / テンプレート一覧")
    t.set_defaults(func=cmd_templates)
    r = sub.add_parser("render", help="fill a template / テンプレートから手紙を作成")
    r.add_argument("template")
    r.add_argument("--data", help="FIELDS.json")
    r.add_argument("--facility", help="FACILITY.json (default: the facility profile in settings)")
    r.add_argument("--out", help="write to FILE instead of standard output")
    r.set_defaults(func=cmd_render)
    c = sub.add_parser("check", help="check letters / 手紙のチェック")
    c.add_argument("files", nargs="*")
    c.add_argument("--context", help="CONTEXT.json: facility, recipient, subject, sender")
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
    s = sub.add_parser("self-check", help="load the model, render, check and export once / 動作確認")
    s.set_defaults(func=cmd_self_check)
    from desktop_app import cli_workflow

    cli_workflow.add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    _stdout_utf8()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help/--version
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        return cmd_gui(args)
    try:
        if args.func.__module__ == "desktop_app.cli_workflow":
            from desktop_app import cli_workflow

            return cli_workflow.run(args.func, args)
        return args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
