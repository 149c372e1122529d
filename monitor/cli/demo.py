"""`creditwatch demo`."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Path = typer.Option(  # noqa: B008
        Path("out/demo"), "--out", help="Folder for the database, outbox, logs and reports."
    ),
) -> None:
    """The main job on the embedded default: crawl the bundled recording, classify, cluster, flag incidents,
    alert to a local outbox, score the demo month and write its report (HTML, PDF, XLSX, DOCX)."""
    from rich.console import Console

    from monitor.demo import run_demo
    from monitor.reports.charts import cjk_font

    # The report at the end needs a CJK font: find out now, not after a minute of crawling and scoring.
    # (A ChartFontError ends the command with its one line in monitor/cli/errors.py.)
    cjk_font()
    console = Console()
    summary = run_demo(out, console=console)
    for ev in summary.major_events:
        console.print(f"[red]重大失信事件[/] #{ev['id']} {ev['title']} — {ev['reason']}")
    console.print(f"done in {summary.seconds} s; summary in {summary.out / 'summary.json'}")
