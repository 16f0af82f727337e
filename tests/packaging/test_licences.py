"""THIRD_PARTY_NOTICES.txt: generated from this environment, it names every distribution the bundle ships with a
licence and its text, and the data sources (MANBYO, the GiNZA model's training data, SudachiDict, Qt, psycopg).

A new runtime dependency without a licence entry fails here (and fails the build: build.spec runs the same
generator)."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _load_generator():
    # packaging/ is not a package (and its name is the PyPI `packaging`'s): load the script by its path
    spec = importlib.util.spec_from_file_location("third_party_notices", ROOT / "packaging" / "third_party_notices.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


tpn = _load_generator()


def _walk(requirements: list[str]) -> dict[str, str]:
    """Written apart from the generator's walk, so that a bug there cannot hide a distribution: desktop-app's
    requirements, recursively, markers evaluated, its own extras skipped, extras named on a requirement followed."""
    found: dict[str, str] = {}
    todo = [(Requirement(r), "") for r in requirements]
    done: set[tuple[str, str]] = set()
    while todo:
        req, extra = todo.pop()
        if req.marker and not req.marker.evaluate({"extra": extra}):
            continue
        dist = metadata.distribution(req.name)
        name = canonicalize_name(dist.metadata["Name"])
        found[name] = dist.version
        for want in ["", *req.extras]:
            if (name, want) not in done:
                done.add((name, want))
                todo += [(Requirement(r), want) for r in dist.requires or []
                         if ("extra ==" in r) == bool(want)]
    return found


def _runtime() -> dict[str, str]:
    installed = [r for r in metadata.requires("desktop-app") or [] if "extra ==" not in r]
    # an editable install's metadata is as old as its last `pip install -e`: pyproject.toml is what a build freezes
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    found = _walk(installed + declared)
    found.pop("desktop-app", None)
    return found


def _sections(text: str) -> dict[str, tuple[str, str]]:
    """'■ NAME VERSION' sections of the distributions part: canonical name -> (licence, text below it)."""
    part = text.split("2. Python パッケージ", 1)[1]
    out = {}
    for block in part.split("\n" + "-" * 100 + "\n")[1:]:
        head = re.match(r"■ (\S+) (\S+)\nLicence: (.*)\n", block)
        assert head, block[:200]
        body = block.split("\n\n", 1)[1] if "\n\n" in block else ""
        out[canonicalize_name(head.group(1))] = (head.group(3).strip(), body.strip())
    return out


@pytest.fixture(scope="module")
def notices(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("notices") / tpn.FILE_NAME
    assert tpn.main(["--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def test_every_bundled_distribution_has_a_licence_and_its_text(notices):
    runtime = _runtime()
    sections = _sections(notices)
    assert {"pyside6-essentials", "psycopg", "psycopg-binary", "spacy", "ja-ginza", "sudachidict-core",
            "cryptography", "numpy"} <= set(runtime)  # the walk reaches deep and follows psycopg[binary]
    missing = []
    for name, version in runtime.items():
        if name in tpn.NOT_BUNDLED:
            assert name not in sections
            continue
        licence, text = sections.get(name, ("", ""))
        if not licence or licence == "UNKNOWN" or len(text) < 200 or text.startswith("UNKNOWN"):
            missing.append(f"{name} {version}: licence {licence!r}, {len(text)} characters of text")
        assert f"■ {metadata.distribution(name).metadata['Name']} {version}\n" in notices
    assert not missing, "no licence entry: " + "; ".join(missing)
    # nothing from the test or build extras: they are not in the bundle
    for tool in ("pytest", "ruff", "pyinstaller", "pillow", "hypothesis", "pip-licenses"):
        assert tool not in sections


def test_the_data_sources_and_lgpl_components_are_named(notices):
    data = notices.split("2. Python パッケージ", 1)[0]
    assert "万病辞書" in data and "MANBYO" in data and "CC BY 4.0" in data
    import ja_ginza

    meta = tpn.ja_ginza_meta()
    assert Path(ja_ginza.__file__).parent.joinpath("meta.json").is_file() and meta["sources"]
    for source in meta["sources"]:  # every training corpus with the licence the model declares for it
        assert f"- {source['name']}: {source['license']}" in data
    assert re.search(r"SudachiDict core \d+", data) and "Apache-2.0" in data
    assert re.search(r"■ Qt 6.*\nLicence: LGPL-3.0-only", data)
    assert re.search(r"■ psycopg 3.*\nLicence: LGPL-3.0-only", data)
    # the LGPL texts themselves: in the PySide6 and psycopg entries, and the GPL-3.0 they build on, at the end
    sections = _sections(notices)
    for name in ("pyside6-essentials", "psycopg"):
        assert "GNU LESSER GENERAL PUBLIC LICENSE" in sections[name][1]
    assert notices.rstrip().endswith("<https://www.gnu.org/licenses/why-not-lgpl.html>.")


def test_overrides_are_still_needed_and_agree_with_the_metadata():
    """An override is for a wheel without a licence file: once one ships its own, the override must go (its text
    would then be ours, not theirs). The licence named must be the one METADATA declares."""
    reported = tpn.pip_licenses(list(tpn.OVERRIDES))
    for name, override in tpn.OVERRIDES.items():
        assert reported[name]["LicenseText"] == "UNKNOWN", f"{name} now ships a licence file: drop its override"
        declared = metadata.distribution(name).metadata["License"]
        assert declared and declared.split(" OR ")[0].replace(" License", "") in override.licence, (name, declared)
        assert len(override.text()) > 1000


def test_not_bundled_distributions_are_excluded_by_the_spec():
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    excludes = spec[spec.index("excludes += [\"spacy.tests\""):spec.index("# Qt: the app uses")]
    for name in tpn.NOT_BUNDLED:
        assert f'"{name}"' in excludes, f"{name} is left out of the notices but build.spec bundles it"


def test_a_distribution_without_a_licence_fails_the_generator(monkeypatch, tmp_path):
    real = tpn.pip_licenses

    def without_click(names):
        out = real(names)
        if "click" in out:
            out["click"] = {**out["click"], "License": "UNKNOWN", "LicenseText": "UNKNOWN"}
        return out

    monkeypatch.setattr(tpn, "pip_licenses", without_click)
    with pytest.raises(SystemExit, match="click"):
        tpn.write(tmp_path / tpn.FILE_NAME)
    assert not (tmp_path / tpn.FILE_NAME).exists()


def test_the_notices_ship_in_the_bundle_the_wheel_and_the_installers():
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    # generated before Analysis, into resources/ (bundled whole) and named in datas, LICENSE beside it
    assert spec.index("write_notices(NOTICES)") < spec.index("a = Analysis(")
    assert '(str(NOTICES), "resources")' in spec and '(str(ROOT / "LICENSE"), ".")' in spec
    assert tpn.DEFAULT_OUT == ROOT / "resources" / tpn.FILE_NAME
    from desktop_app.core import resources

    assert resources.third_party_notices_path().name == tpn.FILE_NAME
    assert resources.third_party_notices_path().parent == resources.resources_dir()
    assert "MIT License" in resources.project_licence_text() and "CareLetter contributors" in resources.project_licence_text()
    # the wheel: resources/ is package data; LICENSE goes into its dist-info
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT" and project["project"]["license-files"] == ["LICENSE"]
    assert project["tool"]["setuptools"]["package-data"]["*"] == ["*"]
    iss = (ROOT / "packaging" / "windows" / "CareLetter.iss").read_text(encoding="utf-8-sig")
    assert '{app}\\THIRD_PARTY_NOTICES.txt' in iss
    release = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert "THIRD_PARTY_NOTICES.txt dist/dmg/" in release
