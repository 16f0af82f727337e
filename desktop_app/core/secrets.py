"""The facility's database password: kept in the OS credential store (Windows Credential Manager, macOS
Keychain, Secret Service on Linux) through `keyring`, never in settings.json; on a PC without such a store
only in this process's memory. Also the one place that takes secrets out of text: every password the app
handles is remembered here (in memory) and `redact` removes it, and any URL or conninfo password, from
messages, tracebacks and log records, so that even `--debug` never prints one.

Qt-free, and without SQLAlchemy: the window asks before SQLAlchemy is loaded (gui/app.py)."""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import unquote, urlsplit

SERVICE = "careletter-db"  # the keychain entry's service; the account is account_for(url)
MASK = "***"

_lock = threading.Lock()
_known: set[str] = set()  # every secret seen in this process, to take out of any text
_session: dict[str, str] = {}  # account → password typed at start where no keychain exists (memory only)


class SecretStoreUnavailable(Exception):
    """The credential store could not keep or give the password; the message is Japanese, without it."""


# ---- the account name --------------------------------------------------------------------------------
def account_for(url) -> str:
    """The keychain account for a PostgreSQL URL (a string or SQLAlchemy URL): user@host:port/database."""
    if not isinstance(url, str):  # an SQLAlchemy URL: its fields, never its text (that holds the password)
        user, host, port, database = url.username, url.host, url.port, url.database
    else:
        parts = urlsplit(url)
        user = unquote(parts.username) if parts.username else ""
        host = parts.hostname
        try:
            port = parts.port
        except ValueError:
            port = None
        database = unquote(parts.path.lstrip("/"))
    return f"{user or ''}@{host or 'localhost'}:{port or 5432}/{database or ''}"


def is_postgresql(url: str) -> bool:
    return url.strip().lower().startswith(("postgresql", "postgres:"))


# ---- the OS credential store ----------------------------------------------------------------------------
def _keyring():
    try:
        import keyring
    except ImportError:  # pragma: no cover - a dependency; an install without it still starts
        return None
    return keyring


def keychain_available() -> bool:
    """False where keyring has no usable backend (keyring.backends.fail.Keyring: a Linux PC without a
    Secret Service, a locked-down PC) or is missing: the password is then asked for at every start."""
    kr = _keyring()
    if kr is None:
        return False
    try:
        backend = kr.get_keyring()
    except Exception:  # noqa: BLE001 - a broken backend is no backend
        return False
    from keyring.backends import fail, null

    return not isinstance(backend, (fail.Keyring, null.Keyring))


def remember(secret: str | None) -> None:
    """Take note of a secret, so that redact() removes it from any text from now on."""
    if secret:
        with _lock:
            _known.add(secret)


def store_password(url, password: str) -> None:
    """Keep the password in the OS credential store. Raises SecretStoreUnavailable (never with the secret)."""
    remember(password)
    kr = _keyring()
    if kr is None or not keychain_available():
        raise SecretStoreUnavailable("このPCにはパスワードを保管する仕組み（キーチェーン）がありません。")
    try:
        kr.set_password(SERVICE, account_for(url), password)
    except Exception as exc:  # noqa: BLE001 - the backend's text may quote what it was given
        raise SecretStoreUnavailable(f"キーチェーンにパスワードを保存できませんでした（{type(exc).__name__}）。") from None


def read_password(url) -> str | None:
    """The password typed at this start (no keychain), else the keychain's, else None."""
    account = account_for(url)
    with _lock:
        typed = _session.get(account)
    if typed:
        return typed
    kr = _keyring()
    if kr is None:
        return None
    try:
        found = kr.get_password(SERVICE, account) or None
    except Exception:  # noqa: BLE001 - a locked or absent keychain is the same as no entry
        return None
    remember(found)
    return found


def delete_password(url) -> None:
    """Forget the password (keychain and memory); nothing stored is not an error."""
    account = account_for(url)
    with _lock:
        _session.pop(account, None)
    kr = _keyring()
    if kr is None:
        return
    try:
        kr.delete_password(SERVICE, account)
    except Exception:  # noqa: BLE001 - PasswordDeleteError (none stored) or no backend
        pass


def keep_in_memory(url, password: str) -> None:
    """Where no keychain exists: the password typed at start, for this process only; never written."""
    remember(password)
    with _lock:
        _session[account_for(url)] = password


def has_session_password(url) -> bool:
    with _lock:
        return account_for(url) in _session


# ---- taking secrets out of text -----------------------------------------------------------------------
_URL_PASSWORD = re.compile(r"(://[^/?#@\s:]*:)[^/?#@\s]*(@)")
_CONNINFO_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'\"&,)]+)", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&\s#]*", re.IGNORECASE)


def redact(text: str) -> str:
    """text without any password: those the app has handled, and whatever stands in a URL's user:password@,
    a conninfo's password=… or a URL query's password=."""
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(rf"\g<1>{MASK}\g<2>", text)
    text = _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", text)
    return _CONNINFO_PASSWORD.sub(rf"\g<1>{MASK}", text)


_installed = False


def install_log_redaction() -> None:
    """Every log record of every logger (ours, SQLAlchemy's, psycopg's), its message and its traceback, is
    redacted when it is made, whatever handler later writes it (a file, the console). Idempotent."""
    global _installed
    if _installed:
        return
    _installed = True
    make = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's to report
            return record
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
