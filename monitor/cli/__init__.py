"""`creditwatch`: the command line. Each area registers its commands from its own module in this package."""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
from pathlib import Path

import typer

from monitor.cli import errors
from monitor.cli.output import lazy_console

app = typer.Typer(
    help="creditwatch: city credit monitoring for a city credit office (信用办).", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)
sites_app = typer.Typer(help="The monitored websites and portals.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sites_app, name="sites")
console = lazy_console()


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at INFO level."),
    debug: bool = typer.Option(False, "--debug", help="On failure, show the full traceback."),
    db: str = typer.Option(
        None,
        "--db",
        help="Database for this command: a URL (postgresql+psycopg://…) or a SQLite file path; "
        "default: the settings (CREDITWATCH_DATABASE_URL).",
    ),
) -> None:
    errors.DEBUG = debug
    if db:
        use_database(db)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def database_url_of(db: str) -> str:
    """A URL as given, or a SQLite file path made into an absolute sqlite:/// URL."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def use_database(db: str) -> None:
    """Point every part of this command at `db`, spawned crawl processes included (they inherit the environment)."""
    os.environ["CREDITWATCH_DATABASE_URL"] = database_url_of(db)
    settings = sys.modules.get("config.settings")
    if settings is not None:  # loaded before the option was read: forget the cached settings
        settings.get_settings.cache_clear()


@db_app.command("upgrade")
def db_upgrade(url: str = typer.Option(None, help="Database URL (default: settings).")) -> None:
    """Apply migrations, then load the division gazetteer and the site registry."""
    from config.settings import get_settings
    from monitor.setup import init_database

    summary = init_database(url or get_settings().database_url)
    console.print(f"database ready: {summary}")


@sites_app.command("list")
def sites_list() -> None:
    """The site registry: key, name, domains, homepages, ranking sources."""
    from rich.table import Table

    from crawlers.registry import registry

    table = Table("key", "name", "domains", "homepages", "ranking lists")
    for s in registry():
        table.add_row(s.key, s.name, ", ".join(s.domains), "\n".join(s.homepages), str(len(s.ranking)))
    console.print(table)


# Commands of the other areas, each in its own module with a `register(app)` function; one line each.
# Those modules import their heavy dependencies inside the commands, so `creditwatch --help` stays fast.
AREA_MODULES: list[str] = [
    "serve",
    "crawl_extract",
    "scoring",
    "portals",
    "crawl",
    "events",
    "reports",
    "demo",
    "distributed",
    "nlp",
]
for _name in AREA_MODULES:
    importlib.import_module(f"monitor.cli.{_name}").register(app)


def main() -> None:
    # Every failure of every command ends here as one Chinese line and a non-zero exit (monitor/cli/errors.py).
    try:
        errors.run(app)
    finally:
        _before_exit()


def _before_exit() -> None:
    """The process ends next. Tearing its heap down object by object (the interpreter's last garbage collections
    over every SQLAlchemy, pydantic and Typer structure) cost ≈ 0.1 s of CPU — a sixth of an idle `process`
    run — and frees nothing the OS would not. So the objects are frozen (skipped by those collections); what
    must still happen at exit happens first: database connections are closed (nothing left uncommitted, SQLite's
    WAL checkpointed), and atexit handlers (logging, temporary directories) run as before."""
    db = sys.modules.get("storage.db")  # imported only by commands that opened a database
    if db is not None:
        db.dispose_engines()
    gc.freeze()


if __name__ == "__main__":
    main()
