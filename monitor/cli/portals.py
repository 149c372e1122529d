"""`creditwatch import portal …` (official exports), `creditwatch portal crawl|counts` (portal spiders, figures)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.output import lazy_console

import_app = typer.Typer(help="Import the office's official exports.", no_args_is_help=True)
portal_app = typer.Typer(help="Court and credit portals: crawl, monthly figures.", no_args_is_help=True)
console = lazy_console()
KINDS = "blacklist|redlist|watchlist|permit|penalty|dishonest-debtor"


@import_app.command("portal")
def import_portal(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The export, .xlsx or .csv.")],
    kind: Annotated[str, typer.Option("--kind", help=KINDS)],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", exists=True, dir_okay=False, help="YAML column mapping.")
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: settings).")] = None,
) -> None:
    """Validate FILE completely, then store its records in one transaction (idempotent)."""
    from crawlers.portals.imports import IMPORT_KINDS, ImportFailed, import_portal_file, load_mapping
    from models.portal import ListKind
    from monitor.cli.errors import refusals
    from monitor.cli.sniff import require
    from storage.db import make_engine, session_scope

    with refusals():
        # By content, before openpyxl or the csv reader: a corrupt or renamed file is one clear line.
        found = require(file, "xlsx", "csv")
        if found != file.suffix.lower().lstrip("."):
            from monitor.cli.errors import CliError

            raise CliError(f"{file.name} 的内容是 {found.upper()}，与扩展名不符：请改正扩展名后再导入")

    try:
        list_kind = ListKind(kind)
    except ValueError:
        list_kind = None
    if list_kind not in IMPORT_KINDS:
        console.print(f"[red]--kind {kind!r}: expected one of {KINDS}[/red]")
        raise typer.Exit(2)
    assert list_kind is not None
    try:
        columns = load_mapping(mapping) if mapping else None
        engine = make_engine(db) if db else None
        with session_scope(engine) as s:
            result = import_portal_file(s, file, list_kind, columns)
    except ImportFailed as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{result.file}: {result.rows} rows of {result.kind.value}: {result.new} new, "
        f"{result.already_stored} already stored, {result.duplicates_in_file} repeated in the file"
    )


@portal_app.command("crawl")
def portal_crawl(
    spider: Annotated[
        str,
        typer.Argument(
            help="portal_creditchina | portal_zxgk | portal_rmfygg | portal_wenshu | portal_creditsite"
        ),
    ],
    arg: Annotated[
        list[str] | None,
        typer.Option("-a", help="Spider argument NAME=VALUE (e.g. kind=blacklist, keyword=江阴)."),
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: settings).")] = None,
) -> None:
    """One portal crawl in this process; a portal that needs a session says so and is skipped."""
    from crawlers.portals.run import _pairs, run_portal_spider

    settings = {"CREDITWATCH_DATABASE_URL": db} if db else {}
    run_portal_spider(spider, _pairs(arg or [], "argument"), settings)


@portal_app.command("counts")
def portal_counts(
    city: Annotated[
        str, typer.Option("--city", help="Division code, e.g. 320281 (江阴) or 320200 (无锡, with counties).")
    ],
    month: Annotated[str, typer.Option("--month", help="YYYY-MM.")],
    registered: Annotated[
        int | None, typer.Option("--registered", help="Registered legal entities of the city.")
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: settings).")] = None,
) -> None:
    """Blacklist and 失信被执行人 figures of a city for a month."""
    from models.portal import ListKind
    from monitor.cli.checks import check_cities, check_month
    from monitor.cli.errors import refusals
    from storage.db import make_engine, session_scope
    from storage.portal_queries import government_dishonest_debtors, list_month

    with refusals():
        month = check_month(month)
    with session_scope(make_engine(db) if db else None) as s:
        with refusals():
            (city,) = check_cities(s, [city])
        black = list_month(s, city, month, (ListKind.BLACKLIST,), registered)
        debt = list_month(s, city, month, (ListKind.DISHONEST_DEBTOR,))
        gov = government_dishonest_debtors(s, city, month)
    share = f"{black.share_of_legal_entities:.4%}" if black.share_of_legal_entities is not None else "n/a"
    typer.echo(
        f"{city} {month}: blacklist active {black.active} ({black.active_entities} parties, share {share}), "
        f"new {black.new_entries}, exits {black.exits}, undated {black.undated}; "
        f"失信被执行人 active {debt.active}, new {debt.new_entries}; government bodies {gov.active_entities}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(portal_app, name="portal")
