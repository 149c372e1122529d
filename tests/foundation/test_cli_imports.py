"""`creditwatch --help` must not import the heavy stack: settings, the database, Scrapy, the NLP model.

The import set is what decides start-up time, so the test guards it (not a wall-clock figure, which depends on
the machine's load): a fresh interpreter runs the CLI's help and reports which top-level packages got imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Packages that each cost tens to hundreds of milliseconds at import; a command imports them when it runs.
HEAVY = {
    # (pydantic itself is imported by Typer to convert command parameters; pydantic_settings is ours)
    "pydantic_settings",
    "sqlalchemy",
    "alembic",
    "scrapy",
    "twisted",
    "jieba",
    "sklearn",
    "numpy",
    "scipy",
    "torch",
    "onnxruntime",
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "lxml",
    "redis",
    "openpyxl",
    "yaml",
    "storage",
    "nlp",
    "crawlers",
    "scoring",
    "reports",
}
HEAVY_MODULES = {"config.settings", "monitor.setup", "monitor.pipeline"}

_PROBE = """
import json, sys
sys.argv = ["creditwatch", *json.loads(sys.argv[1])]
from monitor.cli import main
try:
    main()
except SystemExit:
    pass
print("\\x00" + json.dumps(sorted(sys.modules)))
"""


def _imported_by(argv: list[str]) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=60,
    ).stdout
    return set(json.loads(out.rsplit("\x00", 1)[1]))


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["process", "--help"], ["classify", "--help"], ["crawl", "--help"], ["score", "--help"]],
)
def test_help_imports_no_heavy_module(argv: list[str]) -> None:
    modules = _imported_by(argv)
    assert "typer" in modules  # the probe really ran the CLI
    heavy = {m for m in modules if m.split(".")[0] in HEAVY} | (modules & HEAVY_MODULES)
    assert not heavy, f"`creditwatch {' '.join(argv)}` imports {sorted(heavy)[:20]}"
