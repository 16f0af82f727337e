"""Only what pyproject.toml cannot say: the wheel carries the top-level templates/, resources/ and docs/ (the
staff guide the ヘルプ menu opens) folders.

In the checkout they stay at the top level (the layout requires it); in the wheel they become
desktop_app/templates and desktop_app/resources, where `desktop_app.core.resources` finds them through
importlib.resources. Every package under desktop_app/ (with or without __init__.py, e.g. Alembic's
migrations/versions) is found here, so a new sub-package needs no edit. Package data is declared in
pyproject.toml ([tool.setuptools.package-data]).
"""

from setuptools import find_namespace_packages, setup

DATA_DIRS = {"desktop_app.templates": "templates", "desktop_app.resources": "resources", "desktop_app.docs": "docs"}


def _packages() -> list[str]:
    found = find_namespace_packages(include=["desktop_app", "desktop_app.*"], exclude=["*__pycache__*"])
    for package, folder in DATA_DIRS.items():  # their sub-folders too (resources/rules, ...)
        found += [package] + [f"{package}.{sub}" for sub in find_namespace_packages(where=folder)]
    return found


setup(packages=_packages(), package_dir=DATA_DIRS)
