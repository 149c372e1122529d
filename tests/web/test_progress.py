"""Progress of long commands: drawn on stderr when it is a terminal (a real pseudo-terminal here), absent when
stderr is a pipe, and never on stdout, which carries the commands' results."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CREDITWATCH_PROGRESS"}
    env.update(PYTHONPATH=str(ROOT), COLUMNS="100", TERM="xterm", **extra)
    return env


def _run_with_tty_stderr(args: list[str], stdin: bytes = b"", **env: str) -> tuple[bytes, bytes]:
    """Run with stderr on a pseudo-terminal; returns (stdout, what the terminal received)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=slave, env=_env(**env), cwd=ROOT
    )
    os.close(slave)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read()
    assert proc.wait(60) == 0, seen.decode("utf-8", "replace")
    os.close(master)
    return out, seen


STEPS_SCRIPT = """
import time
from monitor.cli.progress import steps, track
with steps("处理", 3) as step:
    for name in ("分类", "聚类", "告警排队"):
        step(name)
        time.sleep(0.3)
print(sum(track(range(5), "正在计数")))
"""


def test_a_terminal_sees_the_steps_and_stdout_stays_clean() -> None:
    out, seen = _run_with_tty_stderr([sys.executable, "-c", STEPS_SCRIPT])
    text = seen.decode("utf-8", "replace")
    assert "处理：分类" in text and "处理：聚类" in text and "/3" in text
    assert out == b"10\n"  # the result alone on stdout


def test_a_pipe_gets_nothing_and_the_switch_turns_it_off() -> None:
    piped = subprocess.run(
        [sys.executable, "-c", STEPS_SCRIPT],
        capture_output=True,
        env=_env(),
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    assert piped.stdout == b"10\n" and piped.stderr == b""
    _, seen = _run_with_tty_stderr([sys.executable, "-c", STEPS_SCRIPT], CREDITWATCH_PROGRESS="0")
    assert "处理" not in seen.decode("utf-8", "replace")


def test_classify_shows_a_count_on_the_terminal_only(tmp_path: Path) -> None:
    """`creditwatch classify` on an empty input: the spinner runs, stdout stays empty for the JSON-lines reader."""
    cli = [sys.executable, "-c", "from monitor.cli import main; main()"]
    out, seen = _run_with_tty_stderr([*cli, "classify"], stdin=b"")
    assert out == b""
    piped = subprocess.run(
        [*cli, "classify"], input=b"", capture_output=True, env=_env(), cwd=ROOT, timeout=60
    )
    assert piped.returncode == 0 and piped.stderr == b"" and piped.stdout == b""
    assert "正在分类" in seen.decode("utf-8", "replace")
