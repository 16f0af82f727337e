"""constraints.txt (the versions `make` installs) and pyproject.toml (what an install allows) must agree:
every pinned dependency satisfies the project's specifiers, lower bounds included, and every direct
dependency is pinned."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not NAME==VERSION"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def _requirements() -> list[tuple[str, Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [("dependencies", Requirement(r)) for r in project["dependencies"]]
    for extra, items in project.get("optional-dependencies", {}).items():
        reqs += [(f"[{extra}]", Requirement(r)) for r in items]
    return reqs


def _disagreements(pins: dict[str, Version], reqs: list[tuple[str, Requirement]]) -> list[str]:
    return [f"{where}: {req} but constraints.txt pins {pins[canonicalize_name(req.name)]}"
            for where, req in reqs
            if canonicalize_name(req.name) in pins
            and not req.specifier.contains(pins[canonicalize_name(req.name)], prereleases=True)]


def test_every_pin_satisfies_pyproject():
    disagree = _disagreements(_pins(), _requirements())
    assert not disagree, "\n".join(disagree)


def test_every_direct_dependency_is_pinned():
    pins = _pins()
    missing = [f"{where}: {req.name}" for where, req in _requirements() if canonicalize_name(req.name) not in pins]
    assert not missing, "not in constraints.txt: " + ", ".join(missing)


def test_jinja2_lower_bound_excludes_releases_without_the_sandbox_fixes():
    (jinja,) = [req for _, req in _requirements() if canonicalize_name(req.name) == "jinja2"]
    assert not jinja.specifier.contains("3.1.5") and jinja.specifier.contains("3.1.6")


def test_a_pin_below_a_lower_bound_is_caught():
    pins = dict(_pins(), jinja2=Version("3.1.4"), **{"python-docx": Version("1.0.0")})
    found = _disagreements(pins, _requirements())
    assert len(found) == 2 and any("jinja2" in f and "3.1.4" in f for f in found)
