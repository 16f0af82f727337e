"""Paths and settings in one place: bundled resources, the user's data folder, and a test override."""

from __future__ import annotations

import importlib.resources
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "CareLetter"
APP_AUTHOR = "CareLetter"
# Tests (and a portable install) point the app at another data folder with this variable.
DATA_DIR_ENV = "DESKTOP_APP_DATA_DIR"


def bundle_root() -> Path:
    """Folder holding templates/ and resources/.

    - frozen (PyInstaller): the bundle's data folder, ``sys._MEIPASS``;
    - installed from the wheel: the ``desktop_app`` package itself, which carries them (setup.py maps the
      top-level folders into it), found through importlib.resources;
    - the source checkout (and an editable install): the repository root, where they stay at the top level.
    """
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]
    package = importlib.resources.files("desktop_app")
    if isinstance(package, Path) and (package / "templates").is_dir():
        return package
    return Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    return bundle_root() / "templates"


def resources_dir() -> Path:
    return bundle_root() / "resources"


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
class FacilityProfile:
    name: str = ""
    address: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    director: str = ""
    staff: list[str] = field(default_factory=list)  # staff names: never third parties

    def to_context(self) -> dict:
        return {"name": self.name, "address": self.address, "phone": self.phone, "fax": self.fax,
                "email": self.email, "staff": list(self.staff)}


@dataclass
class Settings:
    facility: FacilityProfile = field(default_factory=FacilityProfile)
    user_templates_dir: str = ""  # an extra (shared) template folder
    editor_font_size: int = 13
    docx_font: str = "mincho"  # mincho | gothic
    database_url: str = ""  # empty: the SQLite file in the data folder; a facility's PostgreSQL URL otherwise

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or settings_path()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        fac = raw.get("facility") if isinstance(raw.get("facility"), dict) else {}
        known = FacilityProfile.__dataclass_fields__
        facility = FacilityProfile(**{k: v for k, v in fac.items() if k in known})
        s = cls(facility=facility)
        for key in ("user_templates_dir", "editor_font_size", "docx_font", "database_url"):
            if key in raw:
                setattr(s, key, raw[key])
        return s

    def save(self, path: Path | None = None) -> None:
        from desktop_app.core.fileio import atomic_write_text

        atomic_write_text(path or settings_path(), json.dumps(asdict(self), ensure_ascii=False, indent=2))


def settings_path() -> Path:
    return data_dir() / "settings.json"


def user_templates_dir() -> Path:
    path = data_dir() / "templates"
    path.mkdir(parents=True, exist_ok=True)
    return path
