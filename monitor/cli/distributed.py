"""`creditwatch crawl-status`: the state of a distributed crawl (workers start with `creditwatch crawl --distributed`)."""

from __future__ import annotations

import json

import typer

from monitor.cli.output import lazy_console

console = lazy_console()


def register(app: typer.Typer) -> None:
    app.command("crawl-status")(crawl_status)


def crawl_status(
    crawl_id: str = typer.Argument(...),
    spider: str = typer.Argument(...),
) -> None:
    """Queue length, fingerprints seen, in-flight requests and live workers of a distributed crawl."""
    import redis

    from config.settings import get_settings
    from crawlers.distributed import crawl_status as status

    server = redis.Redis.from_url(get_settings().redis_url)
    console.print_json(json.dumps(status(server, crawl_id, spider)))
