# Replaces pyinstaller-hooks-contrib's hook-spacy (build.spec passes this folder as hookspath, which wins):
# the same collection without spaCy's test suite, the Cython sources, and the 60-odd languages the app never
# loads (spaCy's registry imports ja, ko, th, vi, zh and xx when it starts, so those stay).
import importlib.util
from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

KEEP_LANGS = {"ja", "ko", "th", "vi", "zh", "xx"}
_lang_dir = Path(importlib.util.find_spec("spacy").origin).parent / "lang"
_other_langs = {p.name for p in _lang_dir.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - KEEP_LANGS


def _wanted(name: str) -> bool:
    parts = name.split(".")
    if "tests" in parts:
        return False
    return not (len(parts) >= 3 and parts[1] == "lang" and parts[2] in _other_langs)


hiddenimports = collect_submodules("spacy", filter=_wanted)
datas = collect_data_files("spacy", excludes=["tests/**", "**/*.pyx", "**/*.pxd", "**/*.pyi", "**/*.c", "**/*.cpp",
                                              "**/*.h", "**/*.hh"]
                           + [f"lang/{lang}/**" for lang in sorted(_other_langs)])
