"""`creditwatch serve` as the operator runs it: a child process that serves the console and stops cleanly on
SIGTERM (uvicorn first, then the scheduler), leaving its jobs in the persistent store."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def initialised_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from monitor.setup import init_database

    path = tmp_path_factory.mktemp("serve") / "creditwatch.db"
    init_database(f"sqlite:///{path}")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_and_shuts_down_gracefully(
    initialised_db: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    db = tmp_path / "creditwatch.db"
    shutil.copyfile(initialised_db, db)
    port = _free_port()
    env = {
        **os.environ,
        "CREDITWATCH_DATABASE_URL": f"sqlite:///{db}",
        "CREDITWATCH_DATA_DIR": str(tmp_path / "var"),
        "CREDITWATCH_CONFIG": str(tmp_path / "none.toml"),
    }
    (tmp_path / "none.toml").write_text("[schedule]\nalerts_minutes = 60\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from monitor.cli import main; main()", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    assert r.status == 200 and "登录" in r.read().decode("utf-8")
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        proc.stdout.read() if proc.stdout else "serve did not start"
                    ) from None
                time.sleep(0.2)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "waiting for running jobs to finish" in out and "scheduler stopped" in out
    eng = create_engine(f"sqlite:///{db}")
    with eng.connect() as c:
        ids = set(c.scalars(text("SELECT id FROM apscheduler_jobs")))
    eng.dispose()
    assert {
        "crawl-homepage",
        "crawl-ranking",
        "crawl-article",
        "crawl-portal",
        "process",
        "alerts",
        "scoring",
        "reports",
        "evidence-sweep",
    } == ids
