"""A normal (non-editable) install carries its data: build the wheel, check what it holds, install it into a
fresh virtual environment and run `desktop-app self-check` there, away from the source checkout.

The fresh environment borrows this environment's site-packages for the dependencies (spaCy and the model
are 1 GB) through a .pth file; the wheel itself goes in with --no-deps, so the app and its data come only
from the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.nlp]


def _scripts(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def _source_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # build from a clean copy: setuptools' build/ folder in the checkout could hold stale files
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("desktop_app", "templates", "resources", "docs"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (whl,) = out.glob("desktop_app-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    fresh_site = Path(subprocess.run([str(_scripts(venv) / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     capture_output=True, text=True, check=True).stdout.strip())
    # dependencies from this environment; as a plain path entry, so its editable-install hook is not run
    (fresh_site / "_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(_scripts(venv) / "python"), "install",
                           "--quiet", "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return venv


def _run(venv: Path, tmp_path: Path, *args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["DESKTOP_APP_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=tmp_path, env=env,
                          encoding="utf-8")


def test_wheel_holds_templates_resources_and_every_package_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"desktop_app/{p.relative_to(ROOT).as_posix()}" for d in ("templates", "resources")
                for p in _source_files(ROOT / d)}
    expected |= {p.relative_to(ROOT).as_posix() for p in _source_files(ROOT / "desktop_app")}
    assert len(expected) > 60
    assert expected <= names, f"missing from the wheel: {sorted(expected - names)[:20]}"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "desktop-app = desktop_app.cli:main" in text and "[gui_scripts]" in text


def test_installed_app_finds_its_data_in_site_packages_not_the_checkout(venv, tmp_path):
    code = ("import json, desktop_app, desktop_app.config as c; print(json.dumps([desktop_app.__file__, "
            "str(c.templates_dir()), str(c.resources_dir())]))")
    proc = _run(venv, tmp_path, str(_scripts(venv) / "python"), "-c", code)
    assert proc.returncode == 0, proc.stderr
    module, templates, resources = (Path(p) for p in json.loads(proc.stdout))
    for path in (module, templates, resources):
        assert venv.resolve() in path.resolve().parents, path
        assert ROOT not in path.resolve().parents
    assert (templates / "incident_report.toml").is_file() and (resources / "rules" / "health.toml").is_file()


def test_self_check_passes_in_the_fresh_environment(venv, tmp_path):
    proc = _run(venv, tmp_path, str(_scripts(venv) / "desktop-app"), "self-check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-check: all steps passed" in proc.stdout and "12 templates" in proc.stdout


def test_templates_and_check_work_in_the_fresh_environment(venv, tmp_path):
    proc = _run(venv, tmp_path, str(_scripts(venv) / "desktop-app"), "templates")
    assert proc.returncode == 0 and "incident_report" in proc.stdout and not proc.stderr, proc.stderr
    letter = tmp_path / "letter.txt"
    letter.write_text("鈴木 一郎 様\n\n連絡先は 03-1234-5678 です。必ず改善いたします。\n", encoding="utf-8")
    proc = _run(venv, tmp_path, str(_scripts(venv) / "desktop-app"), "check", "--no-model", str(letter))
    assert proc.returncode in (0, 1) and "pii.phone" in proc.stdout, proc.stdout + proc.stderr
