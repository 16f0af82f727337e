"""The database password and TLS (issue 22, Secrets): the OS credential store through keyring, a PC without
one, sslmode=require by default, verify-full with a CA file, and no password in any output or log."""

from __future__ import annotations

import io
import logging
import sys

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from sqlalchemy.engine import make_url

from desktop_app import cli, config
from desktop_app.core import secrets
from desktop_app.core.db import DatabaseUnavailable, open_database, pg_fields, pg_url, postgres_connect_args

SECRET = "hinoki-kawa-5819-tsuru"  # the known password that must never be printed


class FakeKeyring(KeyringBackend):
    """An OS credential store in memory (the tests' Windows Credential Manager)."""

    priority = -1  # never chosen by keyring's own discovery (it looks at every subclass): set_keyring only

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username))


@pytest.fixture
def fake_keyring():
    before = keyring.get_keyring()
    store = FakeKeyring()
    keyring.set_keyring(store)
    yield store
    keyring.set_keyring(before)
    secrets._session.clear()


@pytest.fixture(scope="module")
def tls_server():
    from tests.conftest import start_postgres

    server = start_postgres("PostgreSQL with TLS", ssl=True)
    yield server
    server.stop()


# ---- the credential store -----------------------------------------------------------------------------
def test_this_linux_machine_has_no_keyring_backend_and_it_is_detected():
    assert isinstance(keyring.get_keyring(), fail.Keyring)
    assert secrets.keychain_available() is False
    with pytest.raises(secrets.SecretStoreUnavailable, match="キーチェーン"):
        secrets.store_password("postgresql+psycopg://staff@db.local/care", SECRET)


def test_store_read_delete_through_keyring(fake_keyring):
    url = "postgresql+psycopg://staff@db.local:5433/care?sslmode=require"
    assert secrets.keychain_available()
    secrets.store_password(url, SECRET)
    assert fake_keyring.items == {("careletter-db", "staff@db.local:5433/care"): SECRET}
    assert secrets.read_password(url) == SECRET
    assert secrets.read_password(make_url(url)) == SECRET  # the SQLAlchemy URL names the same account
    secrets.delete_password(url)
    assert secrets.read_password(url) is None and fake_keyring.items == {}
    secrets.delete_password(url)  # nothing stored: not an error


def test_memory_only_password_is_used_and_never_written(tmp_path):
    url = "postgresql+psycopg://staff@db.local/care"
    secrets.keep_in_memory(url, SECRET)
    try:
        assert secrets.read_password(url) == SECRET and secrets.has_session_password(url)
        found = [p for p in config.data_dir().rglob("*") if p.is_file() and SECRET.encode() in _bytes(p)]
        assert found == []
    finally:
        secrets._session.clear()


def _bytes(p):
    try:
        return p.read_bytes()
    except OSError:
        return b""


def test_redact_takes_out_known_and_embedded_passwords():
    secrets.remember(SECRET)
    text = (f"failed: {SECRET}; postgresql+psycopg://staff:other-pass-1234@db/care "
            "host=db password='x y' dbname=care ?password=qq&a=1")
    out = secrets.redact(text)
    assert SECRET not in out and "other-pass-1234" not in out and "'x y'" not in out and "qq" not in out
    assert "staff:***@db" in out


# ---- URLs in 設定 and TLS ------------------------------------------------------------------------------
def test_settings_url_has_no_password_and_tls_choices():
    url = pg_url("db.local", 5432, "care", "staff")
    assert url == "postgresql+psycopg://staff@db.local/care?sslmode=require"
    assert pg_fields(url) == {"host": "db.local", "port": 5432, "database": "care", "user": "staff",
                              "password": "", "sslmode": "require", "sslrootcert": ""}
    full = pg_url("db.local", 6543, "care", "staff", "verify-full", "/etc/ca.crt")
    assert pg_fields(full)["sslrootcert"] == "/etc/ca.crt" and pg_fields(full)["port"] == 6543
    # an existing URL without sslmode gets require
    assert pg_fields("postgresql+psycopg://staff@db.local/care")["sslmode"] == "require"
    assert pg_fields("sqlite:///x.sqlite3") is None


def test_connect_args_carry_sslmode_require_by_default():
    args = postgres_connect_args(make_url("postgresql+psycopg://staff@db.local/care"))
    assert args == {"connect_timeout": 5, "sslmode": "require"}
    # a chosen mode travels in the URL's query (SQLAlchemy hands it to psycopg); no default added over it
    assert "sslmode" not in postgres_connect_args(make_url("postgresql+psycopg://s@h/c?sslmode=disable"))


def test_verify_full_without_its_ca_file_is_refused_in_japanese(tmp_path):
    with pytest.raises(DatabaseUnavailable, match="証明書ファイル") as info:
        open_database("postgresql+psycopg://s@127.0.0.1/c?sslmode=verify-full")
    assert info.value.reason == "bad_url"
    with pytest.raises(DatabaseUnavailable, match="見つかりません"):
        open_database(f"postgresql+psycopg://s@127.0.0.1/c?sslmode=verify-full&sslrootcert={tmp_path}/none.crt")


def test_require_to_a_server_without_tls_fails_with_a_japanese_message(postgres_server, capsys):
    plain = postgres_server.new_database()  # the shared test server has no TLS (its URL says disable)
    assert plain.endswith("?sslmode=disable")
    default = plain.removesuffix("?sslmode=disable")
    with pytest.raises(DatabaseUnavailable) as info:
        open_database(default, backup=False)
    assert info.value.reason == "tls" and "暗号化（TLS）に対応していない" in str(info.value)
    code = cli.main(["--db", default, "users", "list"])
    err = capsys.readouterr().err
    assert code == 2 and "暗号化（TLS）に対応していない" in err and "Traceback" not in err


def test_a_plain_connection_is_warned_about_on_the_command_line(postgres_server, capsys):
    url = postgres_server.new_database()
    assert cli.main(["--db", url, "audit", "verify"]) in (0, 1)  # connected: the verification ran
    err = capsys.readouterr().err
    assert "sslmode=disable" in err and "警告" in err


def test_require_and_verify_full_against_a_tls_server(tls_server, tmp_path):
    url = tls_server.new_database(tls=True)
    for target in (url, f"{url}?sslmode=verify-full&sslrootcert={tls_server.cert}"):
        db = open_database(target, backup=False)
        try:
            with db.engine.connect() as c:
                assert c.exec_driver_sql("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar() is True
        finally:
            db.dispose()
    # verify-full with another CA: the server's certificate is not trusted, said in Japanese
    other = tmp_path / "other.crt"
    import subprocess

    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=other", "-keyout", str(tmp_path / "o.key"), "-out", str(other)],
                   check=True, capture_output=True)
    with pytest.raises(DatabaseUnavailable, match="証明書を確認できない") as info:
        open_database(f"{url}?sslmode=verify-full&sslrootcert={other}", backup=False)
    assert info.value.reason == "tls"


# ---- no password in any output, log or traceback -----------------------------------------------------
@pytest.fixture
def password_server(postgres_server):
    """A database whose role needs a password (md5/scram over TCP): the test server trusts everyone, so
    a role with a password is checked through a pg_hba line of its own."""
    url = postgres_server.new_database()
    db = open_database(url, backup=False)
    try:
        with db.engine.begin() as c:
            c.exec_driver_sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='pw_staff') "
                              "THEN CREATE ROLE pw_staff LOGIN PASSWORD 'the-right-one-8812-yama'; END IF; END $$")
    finally:
        db.dispose()
    hba = postgres_server.data / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text("host all pw_staff 127.0.0.1/32 scram-sha-256\n" + original)
    postgres_server._admin("SELECT pg_reload_conf()")
    yield make_url(url).set(username="pw_staff").render_as_string(hide_password=False)
    hba.write_text(original)
    postgres_server._admin("SELECT pg_reload_conf()")


def _run_logged(argv, stdin: str, log_file, monkeypatch, capsys) -> tuple[int, str]:
    root = logging.getLogger()
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level for name in ("", "sqlalchemy", "psycopg")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    try:
        code = cli.main(argv)
        logging.getLogger("desktop_app").error("connection failed", exc_info=sys.exc_info())
    finally:
        root.removeHandler(handler)
        handler.close()
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_no_password_in_output_or_log_given_on_stdin(password_server, tmp_path, monkeypatch, capsys):
    log = tmp_path / "app.log"
    code, output = _run_logged(["--debug", "--db", password_server, "--db-password-stdin", "users", "list"],
                               SECRET + "\n", log, monkeypatch, capsys)
    assert code == 2 and "パスワード" in output
    assert log.stat().st_size > 0  # the connection attempt was logged (SQLAlchemy at DEBUG)
    assert SECRET not in output and SECRET not in log.read_text(encoding="utf-8")


def test_no_password_in_output_or_log_from_the_keychain(password_server, fake_keyring, tmp_path, monkeypatch, capsys):
    secrets.store_password(password_server, SECRET)
    log = tmp_path / "app.log"
    code, output = _run_logged(["--debug", "--db", password_server, "users", "list"], "", log, monkeypatch, capsys)
    assert code == 2 and "パスワード" in output
    assert SECRET not in output and SECRET not in log.read_text(encoding="utf-8")


def test_an_internal_error_carrying_the_password_is_redacted_even_with_debug(fake_keyring, monkeypatch, capsys,
                                                                             tmp_path):
    """A driver error quoting the connection string (libpq does, for a malformed one): --debug's traceback,
    the one-line message and a log record with the traceback all carry *** instead."""
    import desktop_app.cli_workflow as cw

    secrets.store_password("postgresql+psycopg://staff@db.local/care", SECRET)

    def leaky(args, write=None):
        raise RuntimeError(f"invalid connection option in \"host=db.local password={SECRET} dbname=care\"")

    monkeypatch.setattr(cw, "open_db", leaky)
    log = tmp_path / "app.log"
    code, output = _run_logged(["--debug", "--db", "postgresql+psycopg://staff@db.local/care", "users", "list"], "",
                               log, monkeypatch, capsys)
    assert code == 4 and "Traceback" in output and "RuntimeError" in output
    assert SECRET not in output and SECRET not in log.read_text(encoding="utf-8")


def test_a_legacy_settings_url_with_a_password_is_never_printed(tmp_path, capsys, monkeypatch):
    s = config.Settings()
    s.database_url = f"postgresql+psycopg://staff:{SECRET}@db.local:99999/care"
    s.save()
    code = cli.main(["users", "list"])
    err = capsys.readouterr().err
    assert code == 2 and "ポート" in err and SECRET not in err
