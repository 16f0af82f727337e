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


NOTICES_FILE = "THIRD_PARTY_NOTICES.txt"  # written at build time by packaging/third_party_notices.py
LICENSE_FILE = "LICENSE"


def third_party_notices_path() -> Path:
    """The third-party licence notices: inside resources/ in the bundle, the wheel and a checkout where
    `make notices` ran (the file is generated, not kept in git)."""
    return resources_dir() / NOTICES_FILE


def project_licence_text() -> str | None:
    """The app's own licence (MIT): LICENSE beside resources/ in the bundle and the checkout, the wheel's
    dist-info (license-files) when installed."""
    path = bundle_root() / LICENSE_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8")
    from importlib import metadata

    try:
        return metadata.distribution("desktop-app").read_text(f"licenses/{LICENSE_FILE}")
    except metadata.PackageNotFoundError:
        return None
