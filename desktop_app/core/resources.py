"""Where the bundled templates/ and resources/ folders are: frozen app, installed wheel or source checkout."""

from __future__ import annotations

import importlib.resources
import sys
from pathlib import Path


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
    # this file is desktop_app/core/resources.py: three levels up is the repository root
    return Path(__file__).resolve().parent.parent.parent


def templates_dir() -> Path:
    return bundle_root() / "templates"


def resources_dir() -> Path:
    return bundle_root() / "resources"
