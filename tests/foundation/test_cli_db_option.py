"""The global `--db` option: one way to choose the database, the same for every command."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from monitor.cli import database_url_of

CLI = [sys.executable, "-c", "from monitor.cli import main; main()"]


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=300)


def test_db_option_takes_a_sqlite_path_or_a_url(tmp_path: Path) -> None:
    assert database_url_of("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url_of(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    rel = database_url_of("out/x.db")
    assert rel.startswith("sqlite:////") and rel.endswith("/out/x.db")


def test_db_option_overrides_the_settings_for_every_command(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.db"
    other = tmp_path / "settings.db"
    env = {**os.environ, "CREDITWATCH_DATABASE_URL": f"sqlite:///{other}"}
    up = _run("--db", str(chosen), "db", "upgrade", env=env)
    assert up.returncode == 0, up.stderr
    added = subprocess.run(
        [*CLI, "--db", str(chosen), "users", "add", "wang", "--role", "analyst", "--password-stdin"],
        input="a-long-enough-password\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert added.returncode == 0, added.stderr
    listed = _run("--db", str(chosen), "users", "list", env=env)
    assert listed.returncode == 0 and "wang" in listed.stdout
    assert not other.exists()  # the settings' database was never touched
    with sqlite3.connect(chosen) as c:
        assert c.execute("select count(*) from users where username = 'wang'").fetchone() == (1,)
