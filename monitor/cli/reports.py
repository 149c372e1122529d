"""`creditwatch report`: the monthly city-index report in HTML, PDF, XLSX and DOCX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    month: Annotated[str, typer.Option("--month", help="Report month, YYYY-MM.")],
    out: Annotated[
        Path, typer.Option("--out", help="Output directory (created if missing).", file_okay=False)
    ],
    city: Annotated[
        str | None, typer.Option("--city", help="City name or 6-digit code (default: settings home_city).")
    ] = None,
    formats: Annotated[str, typer.Option("--format", help="Comma-separated: html,pdf,xlsx,docx.")] = (
        "html,pdf,xlsx,docx"
    ),
    model: Annotated[
        str | None, typer.Option("--model", help="Index model name (default: settings index_model).")
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: settings).")] = None,
) -> None:
    """Write the monthly report of a city: index, rank, trend, aspects, major events, blacklists, assumptions."""
    from monitor.cli.checks import check_month
    from monitor.cli.errors import refusals
    from monitor.reports import ReportError, write_reports
    from monitor.reports.charts import ChartFontError
    from storage.db import make_engine, session_scope

    with refusals():
        month = check_month(month)
    engine = make_engine(db) if db else None
    try:
        from monitor.cli.progress import spinner

        with spinner(f"正在生成 {month} 报告（{formats}）"), session_scope(engine) as session:
            paths = write_reports(session, month, city, formats, out, model=model)
    except (ReportError, ChartFontError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        if engine is not None:
            engine.dispose()
    for p in paths:
        typer.echo(f"{p}  ({p.stat().st_size:,} bytes)")
