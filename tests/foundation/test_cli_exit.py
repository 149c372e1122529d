"""What `creditwatch` does as it exits: its database connections are closed before the heap is frozen for exit.

monitor.cli.main freezes the garbage collector's view of the heap instead of letting the interpreter tear it down
(≈ 0.1 s of CPU); the connections of the SQLAlchemy pool would then never be closed, and SQLite would leave its
-wal and -shm files beside the database, unmerged. The CLI closes them first; this checks it on a real file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_process_exits_with_its_sqlite_connections_closed_and_its_output_written(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    import models

    db = tmp_path / "cw.db"
    engine = create_engine(f"sqlite:///{db}")
    models.Base.metadata.create_all(engine)
    engine.dispose()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CREDITWATCH_DATABASE_URL": f"sqlite:///{db}",
        "CREDITWATCH_DATA_DIR": str(tmp_path / "var"),
    }
    for _ in range(2):  # the second run opens what the first one left
        done = subprocess.run(
            [sys.executable, "-c", "from monitor.cli import main; main()", "process"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["alerts_queued"] == 0  # stdout flushed in full at exit
        # The run opened the database in WAL mode; its last connection closing merged and removed the log.
        assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
