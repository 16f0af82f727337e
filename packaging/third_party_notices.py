"""Write THIRD_PARTY_NOTICES.txt: the licences of everything the frozen app ships, from the installed metadata.

    python packaging/third_party_notices.py [--out resources/THIRD_PARTY_NOTICES.txt]

Run at build time (build.spec runs it before PyInstaller collects resources/; `make notices` runs it alone), in
the environment that is being frozen, so the versions and texts are those of what ends up in the bundle:

- every runtime distribution: desktop-app's own requirements walked recursively (extras named on a requirement,
  e.g. ``psycopg[binary]``, are followed; desktop-app's own extras ``test`` and ``build`` are not), each with
  its name, version, licence and licence text from ``pip-licenses`` (``--with-license-file --no-license-path``);
- the data the check uses: the ja_ginza model and the training data its meta.json declares, SudachiDict, the
  MANBYO vocabulary (CC BY 4.0, resources/vocab/), and the components that are not a distribution of their own
  (Python, PyInstaller's bootloader, the Qt libraries inside PySide6).

A distribution whose wheel carries no licence file is listed in OVERRIDES with the licence verified from its
files; the generator fails (exit 1) when a runtime distribution has neither, so a new dependency cannot ship
without its notice. The output is plain UTF-8 text, readable in Notepad, and shown in ヘルプ → このアプリについて.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LICENSES = Path(__file__).resolve().parent / "licenses"  # verbatim texts the overrides refer to
DEFAULT_OUT = ROOT / "resources" / "THIRD_PARTY_NOTICES.txt"
FILE_NAME = "THIRD_PARTY_NOTICES.txt"
PROJECT = "desktop-app"


@dataclass(frozen=True)
class Override:
    """A licence verified by hand for a distribution whose metadata has no licence file (or no licence)."""

    licence: str
    text_file: Path | None = None  # a verbatim text in packaging/licenses/
    text_from: str | None = None  # or the licence file of another installed distribution
    why: str = ""

    def text(self) -> str:
        if self.text_file is not None:
            return self.text_file.read_text(encoding="utf-8")
        assert self.text_from is not None
        return licence_file_text(self.text_from)


# Checked against the installed wheels' files (METADATA, RECORD, the package folders): none of these ships a
# licence file, so pip-licenses reports "UNKNOWN" as their text.
_QT = ("LGPL-3.0-only (the wheel offers LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only; this app uses it "
       "under the LGPL-3.0)")
OVERRIDES: dict[str, Override] = {
    "pyside6-essentials": Override(
        _QT, LICENSES / "LGPL-3.0.txt",
        why="METADATA: License: LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only; the wheel has no licence file. "
            "The LGPL-3.0 adds to the GPL-3.0, whose text follows the Qt entry at the end of this file."),
    "shiboken6": Override(
        _QT, LICENSES / "LGPL-3.0.txt",
        why="METADATA: License: LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only; the wheel has no licence file."),
    "ja-ginza": Override(
        "MIT License", text_from="ginza",
        why="METADATA and ja_ginza/meta.json: MIT License; the wheel has no licence file. The text is that of "
            "GiNZA (same authors, Megagon Labs, and the same repository)."),
    "sudachipy": Override(
        "Apache-2.0", text_from="SudachiDict-core",
        why="METADATA: License: Apache-2.0; the wheel has no licence file. The text is the verbatim Apache License "
            "2.0 that SudachiDict-core (same authors, Works Applications) ships."),
}

# Required by a runtime distribution but left out of the bundle (build.spec's `excludes`): no notice is owed.
NOT_BUNDLED: dict[str, str] = {
    "setuptools": "spaCy and thinc declare it; the app never imports it and build.spec excludes setuptools and "
                  "pkg_resources",
}


# ---- which distributions the app ships ------------------------------------------------------------------------
def project_requirements() -> list[str]:
    """The app's own runtime requirements: pyproject.toml's in a checkout (what a build freezes; an editable
    install's metadata may be older), else the installed desktop-app distribution's."""
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        with pyproject.open("rb") as f:
            return list(tomllib.load(f)["project"]["dependencies"])
    return [r for r in metadata.requires(PROJECT) or [] if "extra ==" not in r]


def runtime_distributions(roots: list[str] | None = None) -> dict[str, metadata.Distribution]:
    """Every distribution the requirements pull in, recursively, keyed by canonical name. A requirement's
    markers are evaluated for this machine; its named extras (``psycopg[binary]``) are followed."""
    found: dict[str, metadata.Distribution] = {}
    todo = [(Requirement(r), "") for r in (roots if roots is not None else project_requirements())]
    seen_extras: set[tuple[str, str]] = set()
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        try:
            dist = found.get(name) or metadata.distribution(req.name)
        except metadata.PackageNotFoundError as exc:
            raise SystemExit(f"{req.name} is required but not installed: install the app first") from exc
        found[name] = dist
        for want in [""] + sorted(req.extras):
            if (name, want) in seen_extras:
                continue
            seen_extras.add((name, want))
            for text in dist.requires or []:
                sub = Requirement(text)
                is_extra = sub.marker is not None and "extra" in str(sub.marker)
                if is_extra != bool(want):
                    continue  # the plain requirements once; an extra's only when it is asked for
                todo.append((sub, want))
    found.pop(canonicalize_name(PROJECT), None)
    for name in NOT_BUNDLED:
        found.pop(name, None)
    return dict(sorted(found.items()))


# ---- what pip-licenses says about them ---------------------------------------------------------------------
def pip_licenses(names: list[str]) -> dict[str, dict[str, str]]:
    """pip-licenses' JSON for the given distributions, keyed by canonical name."""
    cmd = [sys.executable, "-m", "piplicenses", "--from=mixed", "--format=json", "--with-license-file",
           "--no-license-path", "--with-notice-file", "--packages", *names]
    out = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", check=True).stdout
    return {canonicalize_name(entry["Name"]): entry for entry in json.loads(out)}


def _known(value: str | None) -> bool:
    return bool(value and value.strip() and value.strip() != "UNKNOWN")


def licence_file_text(dist_name: str) -> str:
    """The licence file(s) of an installed distribution, through pip-licenses as for every other entry."""
    entry = pip_licenses([dist_name]).get(canonicalize_name(dist_name), {})
    if not _known(entry.get("LicenseText")):
        raise SystemExit(f"{dist_name} has no licence file to borrow")
    return entry["LicenseText"]


def other_licence_files(dist: metadata.Distribution, text: str) -> str:
    """pip-licenses keeps the first licence file only. cryptography and packaging ship three: a LICENSE that
    just says "either LICENSE.APACHE or LICENSE.BSD", and those two, which are the licences themselves."""
    extra = []
    for name in dist.metadata.get_all("License-File") or []:
        body = dist.read_text(f"licenses/{name}") or dist.read_text(name) or ""
        if body.strip() and body.strip() not in text:
            extra.append(f"--- {name} ---\n{body.strip()}")
    return "\n\n".join(extra)


@dataclass(frozen=True)
class Entry:
    name: str
    version: str
    licence: str
    text: str
    notice: str = ""
    note: str = ""


def entries(dists: dict[str, metadata.Distribution] | None = None) -> tuple[list[Entry], list[str]]:
    """One entry per runtime distribution, and the names that have no licence or no text (and no override)."""
    dists = runtime_distributions() if dists is None else dists
    reported = pip_licenses([d.metadata["Name"] for d in dists.values()])
    out, missing = [], []
    for name, dist in dists.items():
        info = reported.get(name, {})
        licence, text = info.get("License", ""), info.get("LicenseText", "")
        notice = info.get("NoticeText", "") if _known(info.get("NoticeText")) else ""
        note = ""
        if name in OVERRIDES:
            override = OVERRIDES[name]
            licence, text, note = override.licence, override.text(), override.why
        elif _known(text):
            more = other_licence_files(dist, text)
            text = f"{text.strip()}\n\n{more}" if more else text
        if not _known(licence) or not _known(text):
            missing.append(dist.metadata["Name"])
            continue
        out.append(Entry(dist.metadata["Name"], dist.version, licence.strip(), text.strip(), notice.strip(), note))
    return out, missing


# ---- the data and the components that are not distributions ------------------------------------------------------
def ja_ginza_meta() -> dict:
    import ja_ginza

    return json.loads((Path(ja_ginza.__file__).parent / "meta.json").read_text(encoding="utf-8"))


def data_sections() -> list[tuple[str, str]]:
    meta = ja_ginza_meta()
    sources = "\n".join(f"  - {s.get('name')}: {s.get('license')}\n    {s.get('author', '')}\n    {s.get('url', '')}"
                        for s in meta.get("sources", []))
    sudachi = metadata.distribution("SudachiDict-core")
    return [
        ("万病辞書 MANBYO (医学用語の辞書 / the health vocabulary, resources/vocab/health_terms.tsv)",
         "Licence: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)\n"
         "万病辞書 (MANBYO / J-MeDic), Social Computing Lab, Nara Institute of Science and Technology (NAIST).\n"
         "健康情報の確認には「万病辞書（MANBYO）」（奈良先端科学技術大学院大学 ソーシャル・コンピューティング研究室）を"
         "加工して使用しています。\n"
         "Changes: the term list was filtered (ICD-10 chapters A-T, 2-24 characters, a stop list of ordinary words) "
         "by tools/build_health_vocab.py; only the term and its ICD-10 code are kept."),
        (f"GiNZA model ja_ginza {meta.get('version')} (日本語解析モデル)",
         f"Licence of the model package: {meta.get('license')}\n"
         f"{meta.get('author', '')} {meta.get('url', '')}\n"
         f"{meta.get('description', '')}\n"
         "Training data and resources, as declared by the model's meta.json (licences of the sources the "
         "weights were trained on):\n" + sources),
        (f"SudachiDict core {sudachi.version} (形態素解析の辞書, the sudachidict_core package)",
         f"Licence: {sudachi.metadata.get('License') or 'Apache-2.0'}\n"
         "Works Applications Co., Ltd., https://github.com/WorksApplications/SudachiDict\n"
         "The full Apache License 2.0 text is in the SudachiDict-core entry below."),
        ("Qt 6 (the libraries inside PySide6: Qt6Core, Qt6Gui, Qt6Widgets, their plugins)",
         "Licence: LGPL-3.0-only (The Qt Company Ltd. and other contributors), https://www.qt.io/\n"
         "The bundle ships Qt as separate shared libraries that the user may replace with a compatible build of "
         "the same version: see README.md, \"Replacing the LGPL libraries\". Source: https://code.qt.io/ and "
         "https://download.qt.io/official_releases/qt/ ; PySide6/Shiboken6: https://code.qt.io/cgit/pyside/"
         "pyside-setup.git/\nThe LGPL-3.0 text is in the PySide6 entry below; the GPL-3.0 it refers to is at the end."),
        ("psycopg 3 and psycopg-binary (PostgreSQL driver)",
         "Licence: LGPL-3.0-only (Daniele Varrazzo and contributors), https://www.psycopg.org/\n"
         "Its Python modules and its compiled part (psycopg_binary, with the libpq it bundles) are separate files "
         "in the bundle that the user may replace: see README.md, \"Replacing the LGPL libraries\". Source: "
         "https://github.com/psycopg/psycopg"),
        ("Python",
         f"Python {sys.version.split()[0]}, Python Software Foundation License Version 2 (PSF-2.0), "
         "https://docs.python.org/3/license.html . The bundle carries the Python interpreter and its standard "
         "library, with the software that page acknowledges (OpenSSL, SQLite, libffi, zlib, expat, ...)."),
        ("PyInstaller bootloader",
         "The programs CareLetter and careletter-cli start through PyInstaller's bootloader: GPL-2.0-or-later "
         "with the PyInstaller bootloader exception, which allows it in programs under any licence. "
         "https://github.com/pyinstaller/pyinstaller/blob/develop/COPYING.txt"),
    ]


# ---- the file -----------------------------------------------------------------------------------------------------
RULE = "=" * 100


def render(items: list[Entry], data: list[tuple[str, str]], tool_version: str) -> str:
    parts = [
        "お手紙作成・チェック (CareLetter) — 第三者のソフトウェアとデータのライセンス表示",
        "THIRD-PARTY SOFTWARE AND DATA NOTICES",
        "",
        "このアプリは以下のソフトウェアとデータを含んでいます。それぞれのライセンスに従って配布しています。",
        "This application includes the software and data listed below, distributed under their licences.",
        "The application itself is MIT-licensed (LICENSE). This file was generated at build time from the "
        f"installed distributions' metadata by packaging/third_party_notices.py with pip-licenses {tool_version}.",
        "",
        RULE, "1. データ・その他の構成要素 / DATA AND OTHER COMPONENTS", RULE,
    ]
    for title, body in data:
        parts += ["", f"■ {title}", body.rstrip()]
    parts += ["", RULE, f"2. Python パッケージ / PYTHON DISTRIBUTIONS ({len(items)})", RULE, ""]
    parts += [f"  {e.name} {e.version} — {e.licence}" for e in items]
    for e in items:
        parts += ["", "-" * 100, f"■ {e.name} {e.version}", f"Licence: {e.licence}"]
        if e.note:
            parts.append(f"Note: {e.note}")
        parts += ["", e.text]
        if e.notice:
            parts += ["", "NOTICE:", e.notice]
    parts += ["", RULE, "GNU GENERAL PUBLIC LICENSE Version 3 (referred to by the LGPL-3.0 above)", RULE, "",
              (LICENSES / "GPL-3.0.txt").read_text(encoding="utf-8").rstrip(), ""]
    return re.sub(r"[ \t]+\n", "\n", "\n".join(parts))


def write(out: Path) -> list[Entry]:
    """Generate the file; SystemExit when a runtime distribution has no licence entry."""
    items, missing = entries()
    if missing:
        raise SystemExit("no licence (or no licence text) for: " + ", ".join(missing)
                         + " — verify it from the package's files and add it to OVERRIDES in " + __file__)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(items, data_sections(), metadata.version("pip-licenses")), encoding="utf-8")
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    items = write(args.out)
    print(f"{args.out}: {len(items)} distributions, {args.out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
