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


# What `creditwatch process` may not import when nothing is pending: the classifier's stack, NumPy (clustering's
# signatures, built only for articles to cluster or link), the HTTP client of the alert channels (queueing sends
# nothing), the crawler, the web console, and Rich (its output goes to a pipe here: plain JSON). SQLAlchemy and
# the models it needs to find out.
PROCESS_IDLE_FORBIDDEN = {
    "numpy", "scipy", "sklearn", "jieba", "torch", "onnxruntime", "httpx", "scrapy", "twisted", "fastapi",
    "starlette", "uvicorn", "jinja2", "lxml", "openpyxl", "redis", "crawlers", "nlp.classifier",
    "processing.classify_model", "rich",
}  # fmt: skip


def test_process_with_nothing_pending_imports_no_model_numpy_or_http(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    import models

    url = f"sqlite:///{tmp_path / 'cw.db'}"
    engine = create_engine(url)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CREDITWATCH_DATABASE_URL": url,
        "CREDITWATCH_DATA_DIR": str(tmp_path / "var"),
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(["process"])],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    head, _, tail = done.stdout.rpartition("\x00")
    modules = set(json.loads(tail))
    # The run really happened and found nothing to do.
    assert "monitor.pipeline" in modules and '"classified": 0' in head, done.stdout + done.stderr
    imported = {
        m for m in modules if m in PROCESS_IDLE_FORBIDDEN or m.split(".")[0] in PROCESS_IDLE_FORBIDDEN
    }
    assert not imported, f"`creditwatch process` with nothing pending imports {sorted(imported)[:20]}"
