"""desktop_app.core must never import Qt: the logic is tested and reused without a window."""

import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "desktop_app" / "core"


def test_importing_every_core_module_leaves_pyside6_out():
    modules = []
    for path in sorted(CORE.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # Alembic scripts: run below by open_database, not imported as modules
        rel = path.relative_to(CORE.parent.parent).with_suffix("")
        modules.append(".".join(rel.parts).removesuffix(".__init__"))
    assert len(modules) > 10
    code = "import sys, tempfile\n" + "".join(f"import {m}\n" for m in modules) + \
        "desktop_app.core.db.open_database(f'sqlite:///{tempfile.mkdtemp()}/x.sqlite3').dispose()\n" + \
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n" \
        "print(bad)\nraise SystemExit(1 if bad else 0)\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
