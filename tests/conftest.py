"""Shared fixtures: offscreen Qt, an isolated data folder per test, GiNZA loaded once per session."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"
DEV_CORPUS = ROOT.parent / "shared" / "eval" / "letters_dev.jsonl"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    data = tmp_path / "appdata"
    monkeypatch.setenv("DESKTOP_APP_DATA_DIR", str(data))
    return data


@pytest.fixture(autouse=True)
def no_unexpected_dialogs(request, monkeypatch):
    """A modal dialog offscreen would wait forever: any prompt a test did not replace fails it."""
    if "qtbot" not in request.fixturenames and "window" not in request.fixturenames:
        return
    from desktop_app.gui import prompts

    for name in ("info", "error", "confirm", "ask_save_discard_cancel", "ask_text", "save_file", "open_file",
                 "choose_folder", "choose_item"):
        def fail(*args, _name=name, **kwargs):
            raise AssertionError(f"unexpected dialog prompts.{_name}: {args[1:]}")

        monkeypatch.setattr(prompts, name, fail)


@pytest.fixture(scope="session")
def engine():
    from desktop_app.core.checks.nlp import NlpEngine

    eng = NlpEngine()
    eng.load()
    return eng


@pytest.fixture(scope="session")
def runner(engine):
    from desktop_app.core.checks.runner import CheckRunner

    return CheckRunner(engine)


@pytest.fixture(scope="session")
def pattern_runner():
    """The check without the model (what the GUI runs while GiNZA is loading)."""
    from desktop_app.core.checks.runner import CheckRunner

    return CheckRunner(None)


@pytest.fixture(scope="session")
def facility() -> dict:
    return json.loads((SAMPLES / "facility.json").read_text(encoding="utf-8"))


@pytest.fixture
def library():
    from desktop_app import config
    from desktop_app.core.templates import TemplateLibrary

    return TemplateLibrary(config.templates_dir())


def sample(template_id: str) -> dict:
    return json.loads((SAMPLES / f"{template_id}.json").read_text(encoding="utf-8"))
