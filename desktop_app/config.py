"""Settings and the user's data folder (with a test override); the bundled folders are found by core.resources."""

from __future__ import annotations

import json
import os
import typing
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, ClassVar

from platformdirs import user_data_dir

from desktop_app.core.context import Facility

# the bundled folders are found by core (which must not import this module); callers outside core keep
# asking config for them
from desktop_app.core.resources import bundle_root, resources_dir, templates_dir  # noqa: F401

APP_NAME = "CareLetter"
APP_AUTHOR = "CareLetter"
# Tests (and a portable install) point the app at another data folder with this variable.
DATA_DIR_ENV = "DESKTOP_APP_DATA_DIR"


def data_dir() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    path = Path(override) if override else Path(user_data_dir(APP_NAME, APP_AUTHOR))
    if not path.exists():
        # letters hold names and diagnoses: on macOS and Linux only this user may open the folder
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        if os.name != "nt":
            os.chmod(path, 0o700)
    return path


@dataclass
class Settings:
    """settings.json. The file is checked against these fields' types (and metadata choices/min/max) on load:
    a wrong value is reported in `problems` and replaced by the default, never reinterpreted."""

    facility: Facility = field(default_factory=Facility)  # earlier versions kept the profile here
    user_templates_dir: str = ""  # an extra (shared) template folder
    editor_font_size: int = field(default=13, metadata={"min": 6, "max": 72})
    docx_font: str = field(default="mincho", metadata={"choices": ("mincho", "gothic")})
    database_url: str = ""  # empty: the SQLite file in the data folder; a facility's PostgreSQL URL otherwise
    # what was wrong in settings.json when it was loaded (English / Japanese, one line each); not saved
    problems: ClassVar[list[str]] = []

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or settings_path()
        problems: list[str] = []
        raw: Any = {}
        try:
            if path.exists():
                raw = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path.name}: cannot be read ({exc}); using the defaults / 設定を読み込めないため既定値を使います")
        except (ValueError, RecursionError) as exc:
            problems.append(f"{path.name}: not valid JSON ({exc}); using the defaults / 設定ファイルの形式が正しくないため既定値を使います")
        if not isinstance(raw, dict):
            problems.append(f"{path.name}: must be a JSON object; using the defaults / 設定ファイルの形式が正しくないため既定値を使います")
            raw = {}
        s = _from_schema(cls, raw, "", problems)
        s.problems = [f"{path.name}: {p}" if not p.startswith(path.name) else p for p in problems]
        return s

    def save(self, path: Path | None = None) -> None:
        from desktop_app.core.fileio import atomic_write_text

        atomic_write_text(path or settings_path(), json.dumps(asdict(self), ensure_ascii=False, indent=2))


_TYPE_WORDS = {str: ("text", "文字"), int: ("a whole number", "整数"), float: ("a number", "数値"),
               bool: ("true or false", "true か false")}


def _from_schema(cls: type, raw: dict, prefix: str, problems: list[str]) -> Any:
    """Build the dataclass `cls` from `raw`, keeping only values of the declared type; the rest get the
    default and a line in `problems` (e.g. a staff list written as one string is not split into characters)."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key in raw:
        if key not in known:
            problems.append(f"unknown setting \"{prefix}{key}\" ignored / 不明な設定「{prefix}{key}」は無視します")
    for f in fields(cls):
        if f.name not in raw:
            continue
        name, value, hint = prefix + f.name, raw[f.name], hints[f.name]

        def wrong(expected: tuple[str, str], name: str = name, value: Any = value) -> None:
            problems.append(f"\"{name}\" should be {expected[0]}, not {json.dumps(value, ensure_ascii=False)[:60]}; "
                            f"using the default / 設定「{name}」は{expected[1]}で指定してください（既定値を使います）")

        if is_dataclass(hint):
            if isinstance(value, dict):
                values[f.name] = _from_schema(hint, value, name + ".", problems)
            else:
                wrong(("an object", "オブジェクト"))
        elif typing.get_origin(hint) is list:
            item_type = (typing.get_args(hint) or (str,))[0]
            if not isinstance(value, list):
                wrong((f"a list of {_TYPE_WORDS[item_type][0]}", f"{_TYPE_WORDS[item_type][1]}のリスト"))
                continue
            good = [v for v in value if isinstance(v, item_type) and not isinstance(v, bool)]
            if len(good) != len(value):
                problems.append(f"\"{name}\": {len(value) - len(good)} item(s) that are not {_TYPE_WORDS[item_type][0]} "
                                f"ignored / 設定「{name}」の{_TYPE_WORDS[item_type][1]}でない項目を無視します")
            values[f.name] = good
        elif hint in _TYPE_WORDS:
            ok = isinstance(value, hint) and (hint is bool or not isinstance(value, bool))
            if hint is float and isinstance(value, int) and not isinstance(value, bool):
                ok, value = True, float(value)
            if not ok:
                wrong(_TYPE_WORDS[hint])
                continue
            meta = f.metadata
            if "choices" in meta and value not in meta["choices"]:
                wrong((" or ".join(map(str, meta["choices"])), "・".join(map(str, meta["choices"])) + " のどれか"))
            elif ("min" in meta and value < meta["min"]) or ("max" in meta and value > meta["max"]):
                wrong((f"between {meta.get('min')} and {meta.get('max')}", f"{meta.get('min')}〜{meta.get('max')}"))
            else:
                values[f.name] = value
        else:
            values[f.name] = value  # a type this schema does not describe: taken as written
    return cls(**values)


def settings_path() -> Path:
    return data_dir() / "settings.json"


def user_templates_dir() -> Path:
    path = data_dir() / "templates"
    path.mkdir(parents=True, exist_ok=True)
    return path
