"""Command line of the review workflow (users, letters, audit): scriptable, and the workflow's tests
run through it without a window. Every rule is in core.workflow, driven through core.letter_session; this module only parses and prints."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_app import config
from desktop_app.cli_common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    UsageError,
    _library,
    _load_json,
    _looks_like_word,
    _read_letter,
    _read_word,
    _runner,
    echo,
    echo_text,
)


class CliExit(Exception):
    """Stop with this exit code after printing `message` (one line) to stderr."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


# commands that only read: they never take a backup, and never create a database at a path given to them
_READ_COMMANDS = {"cmd_users_list", "cmd_letters_mine", "cmd_letters_list", "cmd_letters_show",
                  "cmd_audit_verify", "cmd_audit_show"}


def _db_password(args) -> str | None:
    """--db-password-stdin: the first line of standard input, read as bytes before any --password-stdin
    line, decoded strictly; only the final newline is stripped."""
    if not getattr(args, "db_password_stdin", False):
        return None
    stream = getattr(sys.stdin, "buffer", None)
    raw = stream.readline() if stream is not None else sys.stdin.readline().encode("utf-8")
    if not raw:
        raise CliExit(EXIT_USAGE, "--db-password-stdin: no password on standard input / パスワードがありません")
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliExit(EXIT_USAGE, "--db-password-stdin: the password is not UTF-8 / 文字コードが正しくありません") from exc
    return line[:-2] if line.endswith("\r\n") else line[:-1] if line.endswith("\n") else line


def open_db(args, write: bool | None = None):
    """The workflow database for this command. write (default: every command but the reads above): the
    database is opened for writing, so a daily backup may be taken; a read refuses a path with no database."""
    from desktop_app.core.db import DatabaseUnavailable, default_url, open_database, resolve_url

    func = getattr(args, "func", None)
    if write is None:
        write = getattr(func, "__name__", "") not in _READ_COMMANDS
    url = resolve_url(getattr(args, "db", None), config.data_dir(), config.Settings.load().database_url)
    tls_warning(url)
    try:
        return open_database(url, backup=write, must_exist=not write and url != default_url(config.data_dir()),
                             password=_db_password(args))
    except DatabaseUnavailable as exc:
        hint = ""
        if exc.reason == "corrupt":
            hint = " Start the app to restore the newest backup / アプリを起動するとバックアップから復元できます。"
        raise CliExit(EXIT_USAGE, f"database unavailable ({exc.reason}) / {exc}{hint}") from exc


def tls_warning(url: str) -> None:
    """One warning line when a PostgreSQL connection was chosen to go unencrypted (sslmode=disable)."""
    from desktop_app.core.db import sslmode_of

    if url.startswith("postgres"):
        try:
            mode = sslmode_of(url)
        except Exception:  # noqa: BLE001 - a malformed URL is reported by open_database
            return
        if mode in ("disable", "allow", "prefer"):
            echo(f"warning: the database connection may be unencrypted (sslmode={mode}): passwords and letters cross "
                 "the network readable / 警告：データベースとの通信は暗号化されません。施設内の信頼できるネットワーク"
                 "だけで使ってください", file=sys.stderr)


def service(db):
    """The workflow over `db`, checking with the model (submit, approve and export re-check the text)."""
    from desktop_app.core.checks.runner import CheckRunner
    from desktop_app.core.workflow import Services

    runner: CheckRunner = _runner(True)
    return Services.open(db, lambda text, ctx: runner.check(text, ctx))


_stdin_lines: list[str] | None = None


def _stdin_bytes() -> bytes:
    """Standard input as bytes: the terminal is never read (a password is not echoed there)."""
    if sys.stdin is None or sys.stdin.isatty():
        return b""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return buffer.read()
    return sys.stdin.read().encode("utf-8", "surrogateescape")  # a text stream without bytes (tests)


def password_lines(data: bytes) -> list[str]:
    """The passwords in `data`, one per line. Lines end at b"\n" only: str.splitlines would also end them at
    a form feed, U+2028 and others, so 「abcdefgh\fxyz…」 would log in as 「abcdefgh」. Only each line's own
    "\n" or "\r\n" is removed; every other character is part of the password. Bytes that are not UTF-8 are
    bad input (exit 2), never guessed at."""
    if data.startswith(b"\xef\xbb\xbf"):  # a BOM that Windows tools put before piped text
        data = data[3:]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line
    out = []
    for number, raw in enumerate(lines, 1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            out.append(raw.decode("utf-8", errors="strict"))
        except UnicodeDecodeError as exc:
            raise CliExit(EXIT_USAGE, f"--password-stdin: line {number} of standard input is not UTF-8 text "
                                      f"(byte {exc.start + 1}) / パスワードの文字コードが正しくありません"
                                      "（UTF-8で入力してください）") from None
    return out


def read_password(n: int = 0) -> str:
    """Line n (0-based) of standard input: --password-stdin takes passwords one per line."""
    global _stdin_lines
    if _stdin_lines is None:
        _stdin_lines = password_lines(_stdin_bytes())
    if n >= len(_stdin_lines):
        raise CliExit(EXIT_USAGE, "--password-stdin: missing password line on standard input / パスワードがありません")
    return _stdin_lines[n]


def login(db, name: str | None, line: int = 0):
    from desktop_app.core.accounts import authenticate

    if not name:
        raise CliExit(EXIT_USAGE, "--as USER is required / --as で職員名を指定してください")
    return authenticate(db, name, read_password(line))


def reader_login(db, args, admin: bool = False):
    """The login every command that shows letters, accounts or the log asks for (`--as NAME
    --password-stdin`); `admin` when only an administrator may see it (the accounts, the whole log)."""
    from desktop_app.core.errors import Refusal, WorkflowRefused

    if not getattr(args, "as_user", None) or not getattr(args, "password_stdin", False):
        raise CliExit(EXIT_USAGE, "this command shows letters or accounts: log in with --as USER --password-stdin / "
                                  "表示するには --as 職員名 --password-stdin でログインしてください")
    actor = login(db, args.as_user)
    if admin and not actor.has("admin"):
        raise WorkflowRefused(Refusal.MISSING_ROLE, "これを表示できるのは管理者だけです。")
    return actor


def _read_body(path: str) -> str:

    try:
        return _read_letter(path)
    except UsageError as exc:
        raise CliExit(EXIT_USAGE, str(exc)) from exc


def _context(args, svc):
    """The letter's context from --context CONTEXT.json; the facility is the stored one unless the file
    names its own."""
    from desktop_app.core.context import CheckContext

    raw: dict = {}
    if getattr(args, "context", None):
        try:
            raw = _load_json(args.context, "context")
        except UsageError as exc:
            raise CliExit(EXIT_USAGE, str(exc)) from exc
    ctx = CheckContext.from_dict(raw)
    if "facility" not in raw:
        ctx.facility = svc.admin.facility()
    return ctx


def letter_session(svc, actor):
    """The letter session the window uses too: the same writer choice, export path and refusals."""
    from desktop_app.core.letter_session import LetterSession

    return LetterSession(svc, actor, _library(), svc.admin.facility(), font=config.Settings.load().docx_font)


def stored_letter(args, light: bool = False):
    """(session, actor): the person logged in with --as and the letter `args.id` opened in their session;
    `light` when the act needs no check (return, withdraw, derive: no model to load)."""
    db = open_db(args)
    actor = login(db, args.as_user)
    session = letter_session(service_light(db) if light else service(db), actor)
    session.open(args.id)
    return session, actor


# ---- users -----------------------------------------------------------------------------------
def cmd_users_add(args) -> int:
    """The first account needs no login; later ones are added by an administrator (--as), whose password is
    the first line of standard input and the new person's first password the second. That person sets their
    own password at the first login."""
    from desktop_app.core import accounts

    db = open_db(args)
    _need_password_stdin(args)
    by = None
    line = 0
    if accounts.user_count(db) > 0:
        by = login(db, args.as_user)
        line = 1
    actor = accounts.add_user(db, args.name, args.role, read_password(line), by)
    note = " - must change the password at first login / 最初のログインでパスワードを変更します" if by else ""
    echo(f"added {actor.name} ({' '.join(sorted(actor.roles))}){note}")
    return EXIT_OK


def _need_password_stdin(args) -> None:
    if not args.password_stdin:
        raise CliExit(EXIT_USAGE, "use --password-stdin (passwords are never given as arguments)")


def cmd_users_deactivate(args) -> int:
    from desktop_app.core import accounts

    db = open_db(args)
    accounts.deactivate(db, args.name, login(db, args.as_user))
    echo(f"deactivated {args.name} (letters and the audit log keep the name / 手紙と記録は残ります)")
    return EXIT_OK


def cmd_users_reactivate(args) -> int:
    from desktop_app.core import accounts

    db = open_db(args)
    accounts.reactivate(db, args.name, login(db, args.as_user))
    echo(f"reactivated {args.name}")
    return EXIT_OK


def cmd_users_roles(args) -> int:
    from desktop_app.core import accounts

    db = open_db(args)
    member = accounts.set_roles(db, args.name, args.role, login(db, args.as_user))
    echo(f"{member.name}: {' '.join(r for r in accounts.ROLES if r in member.roles)} ({member.roles_ja})")
    return EXIT_OK


def cmd_users_reset_password(args) -> int:
    """Standard input: the administrator's password, then the new one for NAME (changed at their next login)."""
    from desktop_app.core import accounts

    db = open_db(args)
    _need_password_stdin(args)
    by = login(db, args.as_user)
    accounts.reset_password(db, args.name, read_password(1), by)
    echo(f"password reset for {args.name} - must change it at the next login / 次のログインで変更します")
    return EXIT_OK


def cmd_users_passwd(args) -> int:
    """Standard input: the current password, then the new one."""
    from desktop_app.core import accounts

    db = open_db(args)
    _need_password_stdin(args)
    me = login(db, args.as_user)
    accounts.change_password(db, me, read_password(0), read_password(1))
    echo(f"password changed for {me.name}")
    return EXIT_OK


def cmd_users_list(args) -> int:
    """One line a person: name, roles, roles in Japanese, 有効/無効, last login (local time), and a note when
    the password must be changed."""
    from desktop_app.core import accounts

    db = open_db(args)
    reader_login(db, args, admin=True)
    for m in accounts.list_staff(db):
        last = m.last_login_local()
        cols = [m.name, " ".join(r for r in accounts.ROLES if r in m.roles), m.roles_ja, m.state_ja,
                last.strftime("%Y-%m-%d %H:%M") if last else "-"]
        if m.must_change_password:
            cols.append("要パスワード変更")
        echo(*cols)
    return EXIT_OK


# ---- facility and policy ----------------------------------------------------------------------
def cmd_facility_set(args) -> int:
    from desktop_app.core import accounts
    from desktop_app.core.context import facility_from_dict

    db = open_db(args)
    svc = service_light(db)
    try:
        profile = facility_from_dict(_load_json(args.file, "facility"))
    except UsageError as exc:
        raise CliExit(EXIT_USAGE, str(exc)) from exc
    by = login(db, args.as_user) if accounts.user_count(db) > 0 else None
    svc.admin.set_facility(profile, by)
    echo("facility profile saved / 施設情報を保存しました")
    return EXIT_OK


def cmd_policy(args) -> int:
    db = open_db(args)
    svc = service_light(db)
    if args.value:
        svc.admin.set_policy(args.value, login(db, args.as_user))
    echo(svc.admin.policy())
    return EXIT_OK


def service_light(db):
    """A service for commands that never check text (no model load)."""
    from desktop_app.core.workflow import Services

    def no_check(text, ctx):
        raise RuntimeError("this command does not check letters")

    return Services.open(db, no_check)


# ---- letters -----------------------------------------------------------------------------------
def _template_ok(template_id: str) -> None:

    lib = _library()
    if template_id not in lib.templates:
        raise CliExit(EXIT_USAGE, f"unknown template {template_id!r} / テンプレート「{template_id}」はありません")


def cmd_letters_new(args) -> int:

    db = open_db(args)
    word = Path(args.file).suffix.lower() == ".docx" or _looks_like_word(Path(args.file))
    if word:
        # a letter written in Word: checked with every part of the file, exported into a copy of it
        if args.template:
            raise CliExit(EXIT_USAGE, "a .docx letter keeps its own layout: leave out --template / "
                                      "Wordの手紙はその書式のまま扱うため、--template は指定できません")
        doc = _read_word_letter(args.file)
        for warning in doc.warnings:
            echo(f"warning / 注意: {warning}", file=sys.stderr)
    else:
        if not args.template:
            raise CliExit(EXIT_USAGE, "--template is required for a text letter / テンプレートを --template で指定してください")
        body = _read_body(args.file)
        _template_ok(args.template)
    actor = login(db, args.as_user)
    svc = service_light(db)
    session = letter_session(svc, actor)
    if word:
        session.start_word(args.file, doc)
        if args.context:
            session.context = _context(args, svc)
    else:
        session.start(args.template, body, _context(args, svc))
    echo(session.save().id)
    return EXIT_OK


def _read_word_letter(path: str):

    try:
        doc = _read_word(path)
    except UsageError as exc:
        raise CliExit(EXIT_USAGE, str(exc)) from exc
    if not doc.body_text().strip():  # properties alone (作成者 …) are not a letter
        raise CliExit(EXIT_USAGE, f"{path}: the document has no text / 文書に文字がありません")
    from desktop_app.core.workflow.state import source_too_large

    if why := source_too_large(Path(path).name, len(doc.source)):  # the original is stored with the letter
        raise CliExit(EXIT_USAGE, why)
    return doc


def cmd_letters_edit(args) -> int:
    db = open_db(args)
    body = _read_body(args.file)
    actor = login(db, args.as_user)
    svc = service_light(db)
    session = letter_session(svc, actor)
    session.open(args.id)
    session.set_body(body)
    if args.context:
        session.context = _context(args, svc)
    view = session.save()
    echo(f"letter {view.id}: version saved, status {view.status.value} ({view.status.label_ja})")
    return EXIT_OK


def cmd_letters_submit(args) -> int:
    session, actor = stored_letter(args)
    view = session.submit()
    echo(f"letter {view.id}: {view.status.value} ({view.status.label_ja}); high {view.high_count}, medium {view.medium_count}")
    return EXIT_OK


def cmd_letters_approve(args) -> int:
    """Approve the text version the reviewer read (--version N, as `letters show` prints it): required when
    the letter has more than one; another version stored since is refused (exit 3), never approved unseen."""
    session, actor = stored_letter(args)
    current = session.view.text_version if session.view is not None else 0
    if args.version is None and current > 1:
        raise CliExit(EXIT_USAGE, f"letter {args.id} has {current} versions: say which one you read with --version N "
                      f"(letters show {args.id}) / この手紙には第{current}版まであります。読んだ版を --version で指定してください")
    view = session.approve(accept_reason=args.accept, version=current if args.version is None else args.version)
    echo(f"letter {view.id}: {view.status.value} ({view.status.label_ja}) by {actor.name}")
    return EXIT_OK


def cmd_letters_return(args) -> int:
    session, actor = stored_letter(args, light=True)
    view = session.return_letter(args.comment)
    echo(f"letter {view.id}: {view.status.value} ({view.status.label_ja})")
    return EXIT_OK


def cmd_letters_withdraw(args) -> int:
    """依頼を取り下げる: 確認待ち → 下書き, so the writer can change the letter again."""
    session, actor = stored_letter(args, light=True)
    view = session.withdraw_request()
    echo(f"letter {view.id}: {view.status.value} ({view.status.label_ja})")
    return EXIT_OK


def cmd_letters_derive(args) -> int:
    """この手紙をもとに新しく作成: a new draft from a sent letter; prints the new letter's id."""
    session, actor = stored_letter(args, light=True)
    echo(session.derive_new().id)
    return EXIT_OK


def cmd_letters_mine(args) -> int:
    """自分の手紙: the letters this person wrote, with their state, resident and kind."""
    from desktop_app.core.letter_session import LetterSession

    db = open_db(args)
    actor = reader_login(db, args)
    lib = _library()
    for s in service_light(db).letters.mine(actor):
        echo(s.id, s.status.value, s.status.label_ja, s.resident, LetterSession.title_of(lib, s.template_id),
             s.updated_at)
    return EXIT_OK


def cmd_letters_list(args) -> int:
    from desktop_app.core.workflow.state import Status

    db = open_db(args)
    reader_login(db, args)
    for s in service_light(db).letters.list(Status(args.status) if args.status else None):
        echo(s.id, s.status.value, s.status.label_ja, s.template_id, s.writer, s.updated_at,
             f"high={s.high_count} medium={s.medium_count}")
    return EXIT_OK


def cmd_letters_show(args) -> int:
    db = open_db(args)
    reader_login(db, args)
    v = service_light(db).letters.get(args.id)
    echo(f"letter {v.id}", v.status.value, v.status.label_ja, v.template_id, f"writer {v.writer}", f"version {v.version}",
         f"text version {v.text_version} (第{v.text_version}版)")
    for c in v.comments:
        where = "（全体）" if not c.quote else (f"「{c.quote}」" if not c.anchor_lost else f"「{c.quote}」 該当箇所が変更されました")
        echo(f"comment by {c.author}: {where} {c.text}")
    echo_text(v.body)
    return EXIT_OK


def cmd_letters_export(args) -> int:
    from desktop_app.core.export_docx import PdfUnavailable
    from desktop_app.core.fileio import WriteError
    from desktop_app.core.word.letter import WordExportRefused

    session, actor = stored_letter(args)
    out = Path(args.out)
    try:
        plan = session.prepare_export()  # the gate's check and the writer's preparation: nothing written yet
        if session.is_word and out.suffix.lower() != ".docx":
            raise WriteError("bad_extension", out, f"{out}: a Word letter is written as .docx / "
                             "Wordの手紙は .docx で書き出してください")
        for warning in plan.warnings:
            echo(f"warning / 注意（元のまま残ります）: {warning}", file=sys.stderr)
        result = session.commit_export(plan, out)
    except WriteError as exc:
        raise CliExit(EXIT_USAGE, str(exc)) from exc
    except WordExportRefused as exc:
        raise CliExit(EXIT_USAGE, "\n".join([exc.title, *(f"- {p}" for p in exc.problems)])) from exc
    echo(f"wrote {result.path} (sha256 {result.digest})")
    for line in result.summary:
        echo(line)
    if args.pdf:  # its own export record, through the same gate: LibreOffice's PDF of the letter, head included
        try:
            pdf = session.commit_export(plan, result.path.with_suffix(".pdf"))
        except (PdfUnavailable, WriteError) as exc:
            raise CliExit(EXIT_USAGE, f"{exc}\n(the .docx above was written and recorded / Wordファイルは保存済みです)") from exc
        echo(f"wrote {pdf.path} (sha256 {pdf.digest})")
    return EXIT_OK


# ---- audit --------------------------------------------------------------------------------------
def cmd_audit_verify(args) -> int:
    from desktop_app.core import audit
    from desktop_app.core.audit_head import BadExpect, parse_expect

    try:
        expect = parse_expect(args.expect) if args.expect is not None else None
    except BadExpect as exc:
        raise CliExit(EXIT_USAGE, str(exc)) from exc
    # no login: verify shows a count and where the chain breaks, never a letter or an account, and must work
    # on a database whose accounts are gone (an empty database says so)
    result = audit.verify(open_db(args), expect=expect)
    if result.ok:
        against = f", head {expect} still in the log / 控えの先頭と一致" if expect else ""
        echo(f"audit log intact: {result.checked} entries{against} / 監査ログは改ざんされていません")
        return EXIT_OK
    if result.checked == 0 and result.problem == audit.EMPTY_LOG:
        echo(f"audit log: {result.problem}")
        return EXIT_FINDINGS
    where = f"at entry {result.broken_id}" if result.broken_id is not None else "after the chain"
    echo(f"audit log BROKEN {where}: {result.problem} (checked {result.checked} before it)")
    return EXIT_FINDINGS


def cmd_audit_head(args) -> int:
    from desktop_app.core import audit

    h = audit.head(open_db(args))
    echo(h)
    return EXIT_OK


def cmd_audit_anchor(args) -> int:
    from desktop_app.core.audit_head import anchor
    from desktop_app.core.fileio import WriteError

    try:
        h = anchor(open_db(args), Path(args.out))
    except WriteError as exc:
        raise CliExit(EXIT_USAGE, str(exc)) from exc
    echo(f"wrote {args.out}: {h} / 監査ログの先頭を書き出しました（データベースとは別の場所に保管してください）")
    return EXIT_OK


def cmd_audit_show(args) -> int:
    from desktop_app.core import audit

    db = open_db(args)
    reader_login(db, args, admin=True)
    for e in audit.entries(db, args.letter):
        letter = "" if e.letter_id is None else f"letter {e.letter_id}"
        echo(e.id, f"{e.at[:19].replace('T', ' ')}Z", e.actor, e.action, audit.ACTIONS_JA.get(e.action, e.action),
             letter, e.text_hash[:16], e.detail)
    return EXIT_OK


def letter_id(value: str) -> int:
    """A letter number as the database can hold it (1 … 2**63-1); anything else is a usage error (2)."""
    import argparse

    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a letter number: {value!r} / 手紙の番号ではありません") from None
    if not 1 <= n < 2**63:
        raise argparse.ArgumentTypeError(f"no letter has the number {value} / その番号の手紙はありません")
    return n


def add_parsers(sub) -> None:
    def user_opts(p, password=True):
        p.add_argument("--as", dest="as_user", metavar="USER", help="who is doing this / 操作する職員")
        if password:
            p.add_argument("--password-stdin", action="store_true",
                           help="read the password(s) from standard input, one per line")

    users = sub.add_parser("users", help="staff accounts / 職員の管理").add_subparsers(dest="users_cmd", required=True)
    roles = ("writer", "reviewer", "admin")
    p = users.add_parser("add", help="add a staff member (the first one needs no login and must be admin); "
                                     "stdin: your password, then theirs")
    p.add_argument("name")
    p.add_argument("--role", action="append", required=True, choices=roles)
    user_opts(p)
    p.set_defaults(func=cmd_users_add)
    p = users.add_parser("roles", help="set a person's roles (admin; the last administrator keeps admin)")
    p.add_argument("name")
    p.add_argument("--role", action="append", required=True, choices=roles)
    user_opts(p)
    p.set_defaults(func=cmd_users_roles)
    for cmd in ("deactivate", "remove"):  # remove: the earlier name
        p = users.add_parser(cmd, help="stop an account (admin): no more logins; letters and the log stay")
        p.add_argument("name")
        user_opts(p)
        p.set_defaults(func=cmd_users_deactivate)
    p = users.add_parser("reactivate", help="allow a stopped account to log in again (admin)")
    p.add_argument("name")
    user_opts(p)
    p.set_defaults(func=cmd_users_reactivate)
    p = users.add_parser("reset-password", help="give a person a new password (admin); stdin: your password, "
                                                "then the new one; they change it at the next login")
    p.add_argument("name")
    user_opts(p)
    p.set_defaults(func=cmd_users_reset_password)
    p = users.add_parser("passwd", help="change your own password; stdin: the current one, then the new one")
    user_opts(p)
    p.set_defaults(func=cmd_users_passwd)
    p = users.add_parser("list", help="list staff: roles, 有効/無効, last login (admin)")
    user_opts(p)
    p.set_defaults(func=cmd_users_list)

    fac = sub.add_parser("facility", help="facility profile / 施設情報").add_subparsers(dest="fac_cmd", required=True)
    p = fac.add_parser("set", help="set the facility profile from FACILITY.json (admin, or before the first user)")
    p.add_argument("file", help="JSON: name, address, phone, fax, email, director, staff [names], "
                               "bank_accounts [the facility's own accounts, one per item: not reported by the check]")
    user_opts(p)
    p.set_defaults(func=cmd_facility_set)
    p = sub.add_parser("policy", help="approval policy: always | when_findings (admin to change)")
    p.add_argument("value", nargs="?", choices=("always", "when_findings"))
    user_opts(p)
    p.set_defaults(func=cmd_policy)

    letters = sub.add_parser("letters", help="letters in the review workflow / 手紙の確認と承認").add_subparsers(
        dest="letters_cmd", required=True)
    p = letters.add_parser("new", help="a new letter (下書き) from FILE (text, or a .docx written in Word); prints its id")
    p.add_argument("file")
    p.add_argument("--template", help="template id (text letters; a .docx keeps its own layout)")
    p.add_argument("--context", help="CONTEXT.json")
    user_opts(p)
    p.set_defaults(func=cmd_letters_new)
    p = letters.add_parser("edit", help="save FILE as a new version (voids an approval)")
    p.add_argument("id", type=letter_id)
    p.add_argument("file")
    p.add_argument("--context", help="CONTEXT.json")
    user_opts(p)
    p.set_defaults(func=cmd_letters_edit)
    for name, func, helptext in (("submit", cmd_letters_submit, "ask for review (→ 確認待ち)"),):
        p = letters.add_parser(name, help=helptext)
        p.add_argument("id", type=letter_id)
        user_opts(p)
        p.set_defaults(func=func)
    p = letters.add_parser("approve", help="approve (reviewer; not your own letter)")
    p.add_argument("id", type=letter_id)
    p.add_argument("--accept", metavar="REASON", help="accept the remaining high findings with this reason")
    p.add_argument("--version", type=int, metavar="N",
                   help="the text version you read (第N版, from `letters show`); required after a resubmission")
    user_opts(p)
    p.set_defaults(func=cmd_letters_approve)
    p = letters.add_parser("return", help="return to the writer with a comment (差し戻し)")
    p.add_argument("id", type=letter_id)
    p.add_argument("--comment", required=True)
    user_opts(p)
    p.set_defaults(func=cmd_letters_return)
    p = letters.add_parser("withdraw", help="withdraw a request for review (確認待ち → 下書き)")
    p.add_argument("id", type=letter_id)
    user_opts(p)
    p.set_defaults(func=cmd_letters_withdraw)
    p = letters.add_parser("derive", help="a new draft from a sent letter (この手紙をもとに新しく作成); prints its id")
    p.add_argument("id", type=letter_id)
    user_opts(p)
    p.set_defaults(func=cmd_letters_derive)
    p = letters.add_parser("mine", help="your own letters with their state (自分の手紙)")
    user_opts(p)
    p.set_defaults(func=cmd_letters_mine)
    p = letters.add_parser("list", help="list letters")
    p.add_argument("--status", choices=("draft", "submitted", "approved", "returned", "exported"))
    user_opts(p)
    p.set_defaults(func=cmd_letters_list)
    p = letters.add_parser("show", help="print a letter, its state and comments")
    p.add_argument("id", type=letter_id)
    user_opts(p)
    p.set_defaults(func=cmd_letters_show)
    p = letters.add_parser("export", help="export an approved letter to Word (the file that can be sent)")
    p.add_argument("id", type=letter_id)
    p.add_argument("--out", required=True, help="LETTER.docx")
    p.add_argument("--pdf", action="store_true",
                   help="also export LETTER.pdf (LibreOffice): its own export record, the audit head in its keywords")
    user_opts(p)
    p.set_defaults(func=cmd_letters_export)

    aud = sub.add_parser("audit", help="audit log / 監査ログ").add_subparsers(dest="audit_cmd", required=True)
    p = aud.add_parser("verify", help="check the hash chain and the stored texts: exit 0 intact, 1 broken or empty")
    p.add_argument("--expect", metavar="COUNT:HASH", help="a head kept outside (audit head / an anchor file): "
                   "the log must still hold it at that place")
    p.set_defaults(func=cmd_audit_verify)
    aud.add_parser("head", help="print the chain's head as COUNT:HASH").set_defaults(func=cmd_audit_head)
    p = aud.add_parser("anchor", help="write today's head to a small file to keep outside the database")
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=cmd_audit_anchor)
    p = aud.add_parser("show", help="print the log (admin)")
    p.add_argument("--letter", type=letter_id)
    user_opts(p)
    p.set_defaults(func=cmd_audit_show)
    dbp = sub.add_parser("db", help="database administration / データベースの管理").add_subparsers(
        dest="db_cmd", required=True)
    p = dbp.add_parser("grant-app-role", help="PostgreSQL: give ROLE (made by the owner, with its password) the "
                                              "app's grants; run as the database owner, or --print the SQL")
    p.add_argument("role", metavar="ROLE")
    p.add_argument("--print", dest="print_sql", action="store_true",
                   help="print the statements for psql instead of running them (no database needed)")
    p.set_defaults(func=cmd_db_grant_app_role)


def cmd_db_grant_app_role(args) -> int:
    """The owner gives the app's connection role INSERT/SELECT only on the record tables (core/db/app_role.py)."""
    from desktop_app.core.db.app_role import BadRoleName, grant_app_role, grant_statements

    try:
        if args.print_sql:
            echo_text("".join(f"{s};\n" for s in grant_statements(args.role)))
            return EXIT_OK
        db = open_db(args, write=True)
        try:
            done = grant_app_role(db, args.role)
        finally:
            db.dispose()
    except BadRoleName as exc:
        raise CliExit(EXIT_USAGE, str(exc)) from exc
    echo(f"granted: {len(done)} statements for role {args.role} / アプリ用ロールの権限を設定しました")
    return EXIT_OK


def run(func, args) -> int:
    """Map workflow refusals to exit codes: 3 refused, 1 when high findings block."""
    from desktop_app.core.errors import Refusal, WorkflowRefused

    try:
        return func(args)
    except CliExit as exc:
        for i, line in enumerate(str(exc).split("\n")):  # a message of several lines (WordExportRefused)
            echo(f"error: {line}" if i == 0 else line, file=sys.stderr)
        return exc.code
    except WorkflowRefused as exc:
        echo(f"refused ({exc.reason.value}): {exc.message}", file=sys.stderr)  # the message may hold a typed name
        for f in exc.details.get("findings", [])[:20]:
            echo(f"  [{f.severity.value}] {f.category} 「{f.text}」 {f.message}", file=sys.stderr)
        if exc.reason == Refusal.BAD_INPUT:
            return EXIT_USAGE
        return EXIT_FINDINGS if exc.reason == Refusal.HIGH_NOT_ACCEPTED else EXIT_REFUSED
    except Exception as exc:
        from desktop_app.core.races import is_race, race_message

        if not is_race(exc):
            raise
        # a race outside any workflow act (a login's bookkeeping while another PC writes): a refusal too
        print(f"refused (conflict): {race_message(exc)}", file=sys.stderr)
        return EXIT_REFUSED
