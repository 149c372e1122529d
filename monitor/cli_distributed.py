"""`creditwatch workers` and `creditwatch crawl-status`: distributed crawling through Redis (scrapy-redis)."""

from __future__ import annotations

import json

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    app.command("workers")(workers)
    app.command("crawl-status")(crawl_status)


def workers(
    spider: str = typer.Argument(..., help="homepage, ranking or articles."),
    processes: int = typer.Option(3, "--processes", "-n", help="Worker processes to start on this machine."),
    crawl_id: str = typer.Option(None, "--crawl-id", help="Join this crawl (default: a new one)."),
    worker_prefix: str = typer.Option(None, "--worker-prefix", help="Worker names (default: host name)."),
    replay_proxy: str = typer.Option(None, "--replay-proxy", help="Route through a running replay server."),
) -> None:
    """Start worker processes of one distributed crawl. Run the same command with the same --crawl-id on other
    machines (same CREDITWATCH_REDIS_URL and CREDITWATCH_DATABASE_URL) to add workers there."""
    from crawlers.distributed import run_distributed

    results = run_distributed(
        spider, processes=processes, crawl_id=crawl_id, worker_prefix=worker_prefix, replay_proxy=replay_proxy
    )
    console.print_json(json.dumps([r.to_dict() for r in results], ensure_ascii=False, default=str))
    if not all(r.ok for r in results):
        raise typer.Exit(1)


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
