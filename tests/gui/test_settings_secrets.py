"""設定's database fields (issue 22, Secrets): a masked password that goes to the OS credential store, never
to settings.json; a PC without a keychain asked at start; the TLS choice with its warning."""

from __future__ import annotations

import keyring
import pytest
from PySide6.QtWidgets import QLineEdit

from desktop_app import config
from desktop_app.core import secrets
from desktop_app.gui import prompts
from tests.core.test_db_secrets import fake_keyring  # noqa: F401 (the fixture behind `store`)

SECRET = "momiji-sora-7302-hashi"


@pytest.fixture
def store(fake_keyring):  # noqa: F811
    return fake_keyring


@pytest.fixture
def no_store():
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)
    secrets._session.clear()


def _dialog(qtbot, settings):
    from desktop_app.gui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(settings, None, admin=False)
    qtbot.addWidget(dlg)
    return dlg


def _fill(dlg, password=SECRET):
    dlg.db_host.setText("db.tsubaki.local")
    dlg.db_port.setValue(5433)
    dlg.db_name.setText("careletter")
    dlg.db_user.setText("staff")
    dlg.db_password.setText(password)


def test_fields_and_a_masked_password_saved_to_the_keychain(qtbot, store):
    settings = config.Settings()
    dlg = _dialog(qtbot, settings)
    assert dlg.db_password.echoMode() == QLineEdit.Password
    assert dlg.db_tls.currentData() == "require"
    _fill(dlg)
    dlg.accept()
    dlg.apply()
    settings.save()
    assert settings.database_url == "postgresql+psycopg://staff@db.tsubaki.local:5433/careletter?sslmode=require"
    assert store.items == {("careletter-db", "staff@db.tsubaki.local:5433/careletter"): SECRET}
    assert SECRET not in config.settings_path().read_text(encoding="utf-8")
    # opened again: the fields come back, the password stays in the keychain (the field is empty)
    again = _dialog(qtbot, config.Settings.load())
    assert (again.db_host.text(), again.db_port.value(), again.db_user.text()) == ("db.tsubaki.local", 5433, "staff")
    assert again.db_password.text() == "" and "キーチェーン" in again.db_password.placeholderText()


def test_an_old_url_with_a_password_is_moved_to_the_keychain(qtbot, store):
    settings = config.Settings(database_url=f"postgresql+psycopg://staff:{SECRET}@db.local/care")
    dlg = _dialog(qtbot, settings)
    assert dlg.db_password.text() == SECRET and dlg.db_tls.currentData() == "require"  # no sslmode: require
    dlg.accept()
    dlg.apply()
    assert SECRET not in settings.database_url and "sslmode=require" in settings.database_url
    assert store.items[("careletter-db", "staff@db.local:5432/care")] == SECRET


def test_without_a_keychain_the_password_is_kept_in_memory_only(qtbot, no_store, monkeypatch):
    told = []
    monkeypatch.setattr(prompts, "info", lambda parent, title, text: told.append(text))
    settings = config.Settings()
    dlg = _dialog(qtbot, settings)
    assert "キーチェーン）がない" in dlg.db_note.text()
    _fill(dlg)
    dlg.accept()
    dlg.apply()
    settings.save()
    assert told and "保存せず" in told[0]
    assert secrets.read_password(settings.database_url) == SECRET
    files = [p for p in config.data_dir().rglob("*") if p.is_file()]
    assert files and all(SECRET.encode() not in p.read_bytes() for p in files)


def test_a_plain_connection_is_an_explicit_choice_with_a_warning(qtbot, store):
    settings = config.Settings()
    dlg = _dialog(qtbot, settings)
    _fill(dlg, "")
    assert "暗号化しない" not in dlg.db_note.text()
    dlg.db_tls.setCurrentIndex(dlg.db_tls.findData("disable"))
    assert "⚠" in dlg.db_note.text() and "そのまま読めて" in dlg.db_note.text()
    dlg.accept()
    assert dlg.apply().database_url.endswith("?sslmode=disable")


def test_verify_full_takes_a_ca_file_from_the_file_chooser(qtbot, store, monkeypatch, tmp_path):
    ca = tmp_path / "facility-ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    errors = []
    monkeypatch.setattr(prompts, "error", lambda parent, title, text: errors.append(text))
    monkeypatch.setattr(prompts, "open_file", lambda parent, title, filters: str(ca))
    settings = config.Settings()
    dlg = _dialog(qtbot, settings)
    _fill(dlg, "")
    assert not dlg.db_ca.isEnabled()
    dlg.db_tls.setCurrentIndex(dlg.db_tls.findData("verify-full"))
    assert dlg.db_ca.isEnabled()
    dlg.accept()  # no CA file yet: refused, the dialog stays
    assert errors and dlg.result() == 0
    dlg.db_ca_browse.click()
    dlg.accept()
    assert "sslmode=verify-full" in dlg.apply().database_url and "sslrootcert=" in settings.database_url


def test_the_start_asks_for_the_password_where_no_keychain_exists(no_store, monkeypatch):
    from desktop_app.gui.app import ask_database_password

    asked = []
    monkeypatch.setattr(prompts, "ask_secret", lambda parent, title, label, ok="OK": asked.append(label) or SECRET)
    settings = config.Settings(database_url="postgresql+psycopg://staff@db.local/care?sslmode=require")
    assert ask_database_password(settings) is True
    assert len(asked) == 1 and "staff@db.local:5432/care" in asked[0] and "キーチェーン" in asked[0]
    assert secrets.read_password(settings.database_url) == SECRET
    assert ask_database_password(settings) is True and len(asked) == 1  # asked once per start
    assert ask_database_password(config.Settings()) is True and len(asked) == 1  # SQLite: nothing to ask


def test_the_start_asks_nothing_with_a_keychain(store):
    from desktop_app.gui.app import ask_database_password

    settings = config.Settings(database_url="postgresql+psycopg://staff@db.local/care")
    assert ask_database_password(settings) is True  # a keychain: its entry is used, nothing asked


def test_cancelling_the_start_prompt_ends_the_start(no_store, monkeypatch):
    from desktop_app.gui.app import create_window

    monkeypatch.setattr(prompts, "ask_secret", lambda *a, **k: None)
    settings = config.Settings(database_url="postgresql+psycopg://staff@db.local/care")
    assert create_window(settings=settings, login_first=True) is None


@pytest.mark.parametrize("has_store", [True, False])
def test_the_note_says_one_thing_about_where_the_password_goes(qtbot, request, has_store):
    """With a keychain: 「キーチェーンに保存します」; without one: 「起動のたびにお尋ねします」; never both (the first
    version of the dialog showed both on a PC without a keychain). The font size is one row, not two."""
    from PySide6.QtWidgets import QLabel

    request.getfixturevalue("store" if has_store else "no_store")
    dlg = _dialog(qtbot, config.Settings())
    note = dlg.findChild(QLabel, "databaseNote").text()
    assert ("キーチェーンに保存します" in note) is has_store
    assert ("起動のたびにお尋ねします" in note) is not has_store
    labels = [w.text() for w in dlg.findChildren(QLabel)]
    assert labels.count("編集画面の文字の大きさ") == 1
