"""`desktop-app backup --out FILE` and `desktop-app restore FILE [--force]`: the administrator's backup and
restore. Every rule (the formats, the manifest check, what is refused) is in core.db.archive; this module
parses, asks for the login and prints.

Who may: a backup holds every letter, so it needs an administrator's login (`--as NAME --password-stdin`).
A restore into a database that already holds data needs `--force` and an administrator of *that* database.
A restore into an empty database (a new PC, a new server) needs no login: there is no account to log in
with yet, and nothing there to lose; the accounts come back with the backup."""

from __future__ import annotations

from pathlib import Path

from desktop_app import __version__, config
from desktop_app.cli_common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, echo
from desktop_app.cli_workflow import CliExit, _db_password, reader_login
from desktop_app.core.fileio import WriteError


def _open(args, password: str | None):
    from desktop_app.core.db import DatabaseUnavailable, open_database, resolve_url

    url = resolve_url(getattr(args, "db", None), config.data_dir(), config.Settings.load().database_url)
    try:
        return url, open_database(url, backup=False, password=password)
    except DatabaseUnavailable as exc:
        raise CliExit(EXIT_USAGE, f"database unavailable ({exc.reason}) / {exc}") from exc


def cmd_backup(args) -> int:
    from desktop_app.core.db import archive

    _url, db = _open(args, _db_password(args))
    try:
        reader_login(db, args, admin=True)
        try:
            m = archive.backup(db, Path(args.out), method="logical" if args.logical else None, app_version=__version__)
        except (archive.BackupError, WriteError, OSError) as exc:
            raise CliExit(EXIT_USAGE, f"backup failed / バックアップできません：{exc}") from exc
    finally:
        db.dispose()
    echo(f"wrote {args.out}: {m.method}, {m.counts.get('letters', 0)} letters, audit head {m.head} / "
         "バックアップを書き出しました（このPCとは別の場所に保管してください）")
    return EXIT_OK


def cmd_restore(args) -> int:
    from desktop_app.core.db import archive

    try:
        manifest, _parts = archive.read_manifest(Path(args.file))  # the file is checked before any login
    except archive.BackupError as exc:
        raise CliExit(EXIT_USAGE, f"cannot restore / 復元できません：{exc}") from exc
    password = _db_password(args)
    url, db = _open(args, password)
    try:
        if not archive.is_empty(db):
            if not args.force:
                raise CliExit(EXIT_REFUSED, "the database already holds data: add --force to replace it / "
                                            "復元先にはすでにデータがあります。置き換えるには --force を付けてください")
            reader_login(db, args, admin=True)
    finally:
        db.dispose()
    try:
        result = archive.restore(Path(args.file), url, force=args.force, password=password)
    except archive.BackupError as exc:
        raise CliExit(EXIT_USAGE, f"cannot restore / 復元できません：{exc}") from exc
    except archive.RestoreRefused as exc:
        raise CliExit(EXIT_REFUSED, str(exc)) from exc
    if not result.verified:
        raise CliExit(EXIT_USAGE, f"restored, but the audit log does not match the backup / "
                                  f"復元しましたが監査ログが目録と一致しません：{result.problem}")
    echo(f"restored {args.file}: {manifest.counts.get('letters', 0)} letters, {result.rows} rows, "
         f"audit log intact, head {manifest.head} / 復元しました（監査ログは改ざんされていません）")
    return EXIT_OK


def add_parsers(sub) -> None:
    p = sub.add_parser("backup", help="back up the workflow database to one file (admin) / バックアップ")
    p.add_argument("--out", required=True, metavar="FILE", help="the backup file to write (e.g. on a USB drive)")
    p.add_argument("--logical", action="store_true",
                   help="use the app's own export even where pg_dump is available (restores into either engine)")
    p.add_argument("--as", dest="as_user", metavar="USER", help="an administrator / 管理者の職員名")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup file (into an empty database; --force to replace data, "
                       "with an administrator's login) / 復元")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="replace a database that already holds data")
    p.add_argument("--as", dest="as_user", metavar="USER", help="an administrator of the database replaced")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_restore)
