"""Shared fixtures: offscreen Qt, an isolated data folder per test, GiNZA loaded once per session."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"
DEV_CORPUS = ROOT.parent / "shared" / "eval" / "letters_dev.jsonl"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    data = tmp_path / "appdata"
    monkeypatch.setenv("DESKTOP_APP_DATA_DIR", str(data))
    return data


@pytest.fixture(autouse=True)
def no_unexpected_dialogs(request, monkeypatch):
    """A modal dialog offscreen would wait forever: any prompt a test did not replace fails it."""
    if "qtbot" not in request.fixturenames and "window" not in request.fixturenames:
        return
    from desktop_app.gui import prompts

    for name in ("info", "error", "confirm", "ask_save_discard_cancel", "ask_text", "save_file", "open_file",
                 "choose_folder", "choose_item"):
        def fail(*args, _name=name, **kwargs):
            raise AssertionError(f"unexpected dialog prompts.{_name}: {args[1:]}")

        monkeypatch.setattr(prompts, name, fail)


@pytest.fixture(scope="session")
def engine():
    from desktop_app.core.checks.nlp import NlpEngine

    eng = NlpEngine()
    eng.load()
    return eng


@pytest.fixture(scope="session")
def runner(engine):
    from desktop_app.core.checks.runner import CheckRunner

    return CheckRunner(engine)


@pytest.fixture(scope="session")
def pattern_runner():
    """The check without the model (what the GUI runs while GiNZA is loading)."""
    from desktop_app.core.checks.runner import CheckRunner

    return CheckRunner(None)


@pytest.fixture(scope="session")
def facility() -> dict:
    return json.loads((SAMPLES / "facility.json").read_text(encoding="utf-8"))


@pytest.fixture
def library():
    from desktop_app import config
    from desktop_app.core.templates import TemplateLibrary

    return TemplateLibrary(config.templates_dir())


def sample(template_id: str) -> dict:
    return json.loads((SAMPLES / f"{template_id}.json").read_text(encoding="utf-8"))


# ---- the workflow database, on both backends -------------------------------------------------
def start_postgres(what: str = "PostgreSQL", **options):
    """A real PostgreSQL server (tests/pg_server.py, `options` such as ssl=True). In CI a server that cannot
    start fails the test: a skipped PostgreSQL test must never pass as a green run."""
    from tests.pg_server import PostgresServer, PostgresUnavailable

    try:
        return PostgresServer(**options).start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is required in CI: {exc}")
        pytest.skip(f"{what} not available here: {exc}")


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for this session."""
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'workflow.sqlite3').as_posix()}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def db(db_url):
    from desktop_app.core.db import open_database

    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """argon2id with minimal cost in tests (the app uses the library's recommended parameters)."""
    from argon2 import PasswordHasher

    from desktop_app.core import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    # the same for the key that seals each account's signing key (core/signing.py; stored with each blob)
    from desktop_app.core import signing

    monkeypatch.setattr(signing, "KDF", signing.KdfParams(time_cost=1, memory_cost=1024, parallelism=1))


def unguard(db) -> None:
    """What the database's owner can do (on SQLite, anyone with the file): switch off the append-only
    triggers of migrations 0006/0007, so that a test can tamper the way an attacker with the file would."""
    from sqlalchemy import text

    with db.engine.begin() as con:
        if db.backend == "postgresql":
            for table in ("audit_log", "approvals", "exports"):
                con.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for (name,) in con.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'")).all():
                con.execute(text(f"DROP TRIGGER {name}"))


def run_cli(monkeypatch, capsys, argv, stdin: str | bytes = b"") -> tuple[int, str, str]:
    """One `desktop-app ARGV` in this process, as a person would run it: standard input holds `stdin` as bytes
    (read through `.buffer`, as --password-stdin reads it), and the stdin lines the CLI cached for an earlier
    call are forgotten. Returns (exit code, stdout, stderr)."""
    import io

    import desktop_app.cli_workflow as wf
    from desktop_app.cli import main

    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    monkeypatch.setattr(wf, "_stdin_lines", None)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
