"""The templates ship with the package: an installed creditwatch must find report.html and report.css."""

from __future__ import annotations

import fnmatch
import tomllib

from config.paths import REPO_DIR
from monitor.reports.html_report import TEMPLATES


def test_templates_are_package_data() -> None:
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "monitor.reports" in project["packages"]
    globs = project["package-data"]["monitor.reports"]
    files = sorted(p.relative_to(TEMPLATES.parent).as_posix() for p in TEMPLATES.iterdir())
    assert files == ["templates/report.css", "templates/report.html"]
    assert all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files)
