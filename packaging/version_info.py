"""The Windows version resource (Properties → Details) of both executables, from desktop_app.__version__.

PyInstaller's EXE(version=PATH) reads this text format (VSVersionInfo(...)); write_version_file() writes it.
It is built on Windows only; tests check that the text parses.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATE = """# UTF-8
VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('041104B0', [  # Japanese, Unicode
      StringStruct('CompanyName', 'CareLetter'),
      StringStruct('FileDescription', 'お手紙作成・チェック (Care letter writer)'),
      StringStruct('FileVersion', '{version}'),
      StringStruct('InternalName', 'CareLetter'),
      StringStruct('LegalCopyright', 'CareLetter'),
      StringStruct('OriginalFilename', 'CareLetter.exe'),
      StringStruct('ProductName', 'CareLetter'),
      StringStruct('ProductVersion', '{version}')])]),
    VarFileInfo([VarStruct('Translation', [0x0411, 1200])])
  ]
)
"""


def version_numbers(version: str) -> tuple[int, int, int, int]:
    """'1.2.3rc1' → (1, 2, 3, 0): Windows wants four integers."""
    numbers = []
    for part in version.split(".")[:4]:
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        numbers.append(int(digits or 0))
    numbers += [0] * (4 - len(numbers))
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def version_text(version: str) -> str:
    return TEMPLATE.format(numbers=version_numbers(version), version=version)


def write_version_file(version: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(version_text(version), encoding="utf-8")
    return path
