"""Safe file writing (temporary file in the target folder, then replace) and tolerant text reading."""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path


class WriteError(Exception):
    """A file could not be written; `reason` is a stable code, the message is Japanese."""

    def __init__(self, reason: str, path: Path, message: str):
        super().__init__(message)
        self.reason = reason
        self.path = path


def _explain(exc: OSError, path: Path) -> WriteError:
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return WriteError("permission", path,
                          f"「{path}」に書き込めません。Wordなど別のアプリでファイルを開いていないか、"
                          "保存先フォルダーへの書き込み権限があるかを確認してください。")
    if exc.errno == errno.ENOSPC:
        return WriteError("disk_full", path, f"ディスクの空き容量が足りないため「{path}」を保存できませんでした。")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return WriteError("no_folder", path, f"保存先のフォルダーが見つかりません：{path.parent}")
    if exc.errno == errno.EROFS:
        return WriteError("read_only", path, f"保存先が読み取り専用のため「{path}」を保存できませんでした。")
    return WriteError("os_error", path, f"「{path}」を保存できませんでした（{exc.strerror or exc}）。")


_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask (os.umask can only be read by setting it, hence the lock)."""
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    if sys.platform == "win32":
        return  # directories cannot be opened for fsync on Windows; NTFS journals the rename
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def same_file(a: Path, b: Path) -> bool:
    """b names the file a names: the same path, another spelling of it, or a link to it."""
    try:
        return Path(a).resolve() == Path(b).resolve() or (Path(b).exists() and os.path.samefile(a, b))
    except OSError:
        return False


def refuse_read_only(path: Path) -> None:
    """A target the user (or an administrator) marked read-only is never silently replaced."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if not st.st_mode & stat.S_IWUSR:
        raise WriteError("read_only_file", path,
                         f"「{path.name}」は読み取り専用のファイルなので上書きしません。"
                         "別の名前で保存するか、ファイルの読み取り専用を解除してください。")


def atomic_write(path: Path, write: Callable[[Path], None], *, mode: int | None = None) -> None:
    """Call write(tmp) on a temporary file beside `path`, fsync it, then replace `path` with it.

    The previous file stays intact when anything fails; WriteError explains why in Japanese.
    A read-only target is refused. The new file gets `mode`, or the mode the user's umask gives a
    new file (mkstemp alone would leave 0600, hiding the letter from colleagues on a shared folder).
    """
    path = Path(path)
    refuse_read_only(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise _explain(exc, path) from exc
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:  # the data must be on disk before the rename makes it the file
            os.fsync(f.fileno())
        if sys.platform != "win32":
            os.chmod(tmp, mode if mode is not None else 0o666 & ~current_umask())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        raise _explain(exc, path) from exc
    finally:
        if tmp.exists():
            try:
                tmp.unlink()
            except OSError:
                pass


def atomic_write_text(path: Path, text: str, *, mode: int | None = 0o600) -> None:
    """Text files (settings and the like) stay private (0600) unless `mode` says otherwise."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, write, mode=mode)


class ReadError(Exception):
    pass


# A letter, a JSON form or a JSONL corpus of letters: far below this; a bigger file is refused unread.
MAX_TEXT_FILE = 64 * 1024 * 1024


def read_text_file(path: Path) -> str:
    """Read a letter saved by staff: UTF-8 (with or without BOM), UTF-16 (Notepad's 「Unicode」) or
    Shift_JIS/CP932."""
    path = Path(path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a folder, /dev/zero, a pipe: never read without end
            raise ReadError(f"{path}: not a regular file / 通常のファイルではありません")
        if st.st_size > MAX_TEXT_FILE:
            raise ReadError(f"{path}: file too large ({st.st_size / 1024 / 1024:,.0f} MB, limit "
                            f"{MAX_TEXT_FILE // 1024 // 1024} MB) / ファイルが大きすぎます")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ReadError(f"{path}: file not found / ファイルが見つかりません") from exc
    except OSError as exc:
        raise ReadError(f"{path}: cannot read ({exc.strerror}) / 読み込めません") from exc
    encodings = ["utf-8-sig", "cp932"]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]  # Windows Notepad's 「Unicode」 (UTF-16 with a byte-order mark)
    elif b"\x00" in data and len(data) % 2 == 0:
        # UTF-16 without a mark: text has no NUL bytes otherwise; ASCII puts them on the odd bytes in LE
        odd = data[1::2].count(0)
        encodings = ["utf-16-le", "utf-16-be"] if odd >= data[0::2].count(0) else ["utf-16-be", "utf-16-le"]
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ReadError(f"{path}: not UTF-8, UTF-16 or Shift_JIS text / 文字コードを判別できません")
