"""Commands of the events area: `process`, `events list|show|evidence|evidence-sweep|feedback`,
`alerts test|queue|dispatch`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.output import lazy_console, print_json

console = lazy_console()
events_app = typer.Typer(
    help="Events: reprint clusters, major distrust incidents, evidence, feedback.", no_args_is_help=True
)
feedback_app = typer.Typer(help="Review proposed government-feedback links.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alert channels and the outbox.", no_args_is_help=True)
events_app.add_typer(feedback_app, name="feedback")


def register(app: typer.Typer) -> None:
    app.command("process")(process)
    app.add_typer(events_app, name="events")
    app.add_typer(alerts_app, name="alerts")


def process(
    dispatch_alerts: bool = typer.Option(False, "--dispatch", help="Also send due alerts."),
    reclassify: bool = typer.Option(
        False,
        "--reclassify",
        help="Also re-read articles classified by an older model (after `creditwatch train`); "
        "staff corrections are kept; events whose articles changed are re-voted.",
    ),
) -> None:
    """Classify and locate new articles, cluster events, flag major incidents, link feedback, queue alerts."""
    from monitor.cli.progress import steps
    from monitor.pipeline import STEPS, run_pipeline

    with steps("处理", len(STEPS)) as step:
        out = run_pipeline(reclassify=reclassify, step=step)
    if dispatch_alerts:
        from monitor.alerts import dispatch

        out["dispatch"] = vars(dispatch())
    print_json(out, console)


@events_app.command("list")
def events_list(
    status: str = typer.Option(None, help="normal | major"),
    kind: str = typer.Option(None, help="trust | distrust"),
    city: str = typer.Option(None, help="Division code (prefix match for prefectures/provinces)."),
    limit: int = typer.Option(50),
) -> None:
    """Events, newest first."""
    from rich.table import Table

    from monitor.events_view import list_events
    from storage.db import session_scope

    table = Table("id", "first seen", "status", "kind", "city", "title")
    with session_scope() as s:
        for ev in list_events(s, status=status, kind=kind, city=city, limit=limit):
            table.add_row(
                str(ev.id),
                ev.first_seen.strftime("%Y-%m-%d %H:%M"),
                ev.status.value,
                ev.kind or "-",
                ev.division_code or "-",
                ev.title,
            )
    console.print(table)


@events_app.command("export")
def events_export(
    out: Annotated[
        Path, typer.Argument(help="File to write: .csv (UTF-8 with BOM, opens in Excel) or .xlsx.")
    ],
    status: str = typer.Option(None, help="normal | major"),
    kind: str = typer.Option(None, help="trust | distrust"),
    city: str = typer.Option(None, help="Division code (prefix match for prefectures/provinces)."),
    limit: int = typer.Option(100_000, min=1, max=1_000_000, help="At most this many events, newest first."),
) -> None:
    """Events as a spreadsheet, with Chinese headings and labels (导出事件)."""
    from monitor.events_export import export_events
    from monitor.events_view import list_events
    from storage.db import session_scope

    with session_scope() as s:
        n = export_events(list_events(s, status=status, kind=kind, city=city, limit=limit), out)
    typer.echo(f"已导出 {n} 个事件：{out}")


@events_app.command("show")
def events_show(event_id: int) -> None:
    """One event as JSON: sites, sightings, ranks, labels, history, feedback."""
    from dataclasses import asdict

    from monitor.events_view import event_view
    from storage.db import session_scope

    with session_scope() as s:
        try:
            view = event_view(s, event_id)
        except LookupError as exc:
            raise typer.BadParameter(str(exc)) from exc
        console.print_json(json.dumps(asdict(view), ensure_ascii=False, default=str))


@events_app.command("evidence")
def events_evidence(event_id: int, out: Path = typer.Option(..., "--out", help="Zip file to write.")) -> None:  # noqa: B008
    """Export the evidence bundle of an event (archived pages verified by sha256, manifest.json)."""
    from monitor.evidence import export_evidence
    from storage.db import session_scope

    with session_scope() as s:
        try:
            path = export_evidence(s, event_id, out)
        except LookupError as exc:
            raise typer.BadParameter(str(exc)) from exc
    console.print(f"evidence written to {path}")


@events_app.command("evidence-sweep")
def events_evidence_sweep(
    min_age: float = typer.Option(
        60, "--min-age", min=1, help="Minutes: younger files may be uploads in flight."
    ),
) -> None:
    """Remove uploaded evidence files no evidence row references any more (the daily evidence-sweep job does too)."""
    from datetime import timedelta

    from config.settings import get_settings
    from monitor.evidence_files import sweep_orphans
    from storage.db import get_engine

    r = sweep_orphans(get_engine(), Path(get_settings().data_dir), min_age=timedelta(minutes=min_age))
    console.print(
        f"removed {len(r.removed)} unreferenced evidence files ({r.freed_bytes} bytes), {r.temp_removed} stale "
        f"temporaries; kept {r.kept} referenced, {r.young} unreferenced younger than {min_age:g} min"
    )
    for digest in r.removed:
        console.print(f"  {digest}")


@feedback_app.command("confirm")
def feedback_confirm(link_id: int, user: str = typer.Option("cli", help="Reviewer name.")) -> None:
    """Confirm a proposed feedback link."""
    _review(link_id, user, confirm=True)


@feedback_app.command("reject")
def feedback_reject(link_id: int, user: str = typer.Option("cli", help="Reviewer name.")) -> None:
    """Reject a proposed feedback link."""
    _review(link_id, user, confirm=False)


def _review(link_id: int, user: str, *, confirm: bool) -> None:
    from processing.feedback import confirm_feedback, reject_feedback
    from storage.db import session_scope

    with session_scope() as s:
        try:
            link = (confirm_feedback if confirm else reject_feedback)(s, link_id, user)
        except LookupError as exc:
            raise typer.BadParameter(str(exc)) from exc
        console.print(f"feedback link {link.id}: {link.status.value}")


@alerts_app.command("test")
def alerts_test() -> None:
    """Send a test message to each configured channel."""
    from monitor.alerts import send_test

    results = send_test()
    if not results:
        console.print("no alert channels configured (settings.alert_channels)")
    for name, res in results.items():
        console.print(f"{name}: {res}")
    if any(r != "ok" for r in results.values()):
        raise typer.Exit(1)


@alerts_app.command("queue")
def alerts_queue() -> None:
    """Create outbox rows for events that need an alert (idempotent)."""
    from monitor.alerts import queue_alerts
    from storage.db import session_scope

    with session_scope() as s:
        rows = queue_alerts(s)
        console.print(f"{len(rows)} alerts in the outbox for current events")


@alerts_app.command("dispatch")
def alerts_dispatch() -> None:
    """Send due alerts (retries with back-off; held alerts after quiet hours / digest time)."""
    from monitor.alerts import dispatch

    r = dispatch()
    console.print(f"sent {r.sent}, failed {r.failed}, dead {r.dead}")
    for e in r.errors:
        console.print(f"  {e}")
