"""`creditwatch crawl`, `creditwatch record` and `creditwatch sites health`: running crawls and watching parsers."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli.output import lazy_console

console = lazy_console()

SpiderArg = Annotated[str, typer.Argument(help="homepage | ranking | articles")]
SiteOpt = Annotated[
    str | None, typer.Option("--site", help="Registry key(s), comma-separated (default: all 15).")
]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (default: settings).")]


def _print_summary(summary: Any, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(summary.to_dict(), ensure_ascii=False, default=str))
        return
    console.print(
        f"[bold]{summary.spider}[/] {summary.run_id}: {'ok' if summary.ok else f'FAILED (exit {summary.returncode})'}, "
        f"{summary.responses} responses, {summary.items} items, {summary.seconds:.1f} s, "
        f"peak {summary.peak_rss_mb:.0f} MiB"
    )
    from rich.table import Table

    table = Table("site", "responses", "items", "empty bodies", "no date", "failures", "WAF")
    for key, h in sorted(summary.sites.items()):
        table.add_row(key, *(str(h[k]) for k in ("responses", "items", "empty_bodies", "missing_dates", "failures",
                                                 "waf_challenges")))  # fmt: skip
    console.print(table)
    if getattr(summary, "storage_failures", 0):
        console.print(
            f"[bold red]{summary.storage_failures} 次写入数据库失败[/]；未入库的内容已暂存于 {summary.spool_dir}，"
            f"数据库恢复后运行 `creditwatch crawl-reingest {summary.spool_dir}`",
            markup=True,
        )
    if not summary.ok:
        console.print(summary.log_tail[-1500:], markup=False)


def crawl(
    spider: SpiderArg,
    site: SiteOpt = None,
    replay: Annotated[
        list[Path] | None,
        typer.Option("--replay", help="Crawl a WARC recording (repeatable) through the local replay server."),
    ] = None,
    db: DbOpt = None,
    refetch: Annotated[bool, typer.Option("--refetch", help="articles: fetch stored URLs again.")] = False,
    log_file: Annotated[Path | None, typer.Option("--log-file", help="Keep Scrapy's log here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    distributed: Annotated[
        bool,
        typer.Option(
            "--distributed",
            help="Work one crawl with several processes through Redis (CREDITWATCH_REDIS_URL); run the same "
            "command with the same --crawl-id on other machines to add workers there.",
        ),
    ] = False,
    processes: Annotated[int, typer.Option("--processes", "-n", help="--distributed: workers here.")] = 3,
    crawl_id: Annotated[
        str | None, typer.Option("--crawl-id", help="--distributed: join this crawl (default: a new one).")
    ] = None,
) -> None:
    """One crawl, live by default (polite: robots.txt, AutoThrottle), or against a recording (--replay)."""
    from crawlers.run import SPIDERS, run_crawl

    if spider not in SPIDERS:
        raise typer.BadParameter(f"unknown spider {spider!r}; one of {', '.join(SPIDERS)}")
    from monitor.cli.errors import refusals
    from monitor.cli.sniff import require

    for path in replay or []:
        if not path.is_file():
            raise typer.BadParameter(f"recording not found: {path}")
        with refusals():
            require(path, "warc")  # by content: a truncated download or a saved page is refused up front
    args = {"refetch": "1"} if refetch else {}
    if distributed:
        _crawl_distributed(spider, site, replay, db, args, processes, crawl_id, as_json)
        return
    from monitor.cli.progress import spinner

    with spinner(f"正在抓取（{spider}{'，' + site if site else ''}）"):
        summary = run_crawl(
            spider, site=site, replay=replay or None, db_url=db, spider_args=args, log_file=log_file
        )
    _print_summary(summary, as_json)
    if not summary.ok:
        raise typer.Exit(1)


def _crawl_distributed(
    spider: str,
    site: str | None,
    replay: list[Path] | None,
    db: str | None,
    args: dict[str, str],
    processes: int,
    crawl_id: str | None,
    as_json: bool,
) -> None:
    from crawlers.distributed import run_distributed
    from crawlers.replay import ReplayServer

    server = ReplayServer(list(replay)).start() if replay else None
    try:
        summaries = run_distributed(
            spider,
            processes=processes,
            crawl_id=crawl_id,
            db_url=db,
            replay_proxy=server.proxy_url if server else None,
            site=site,
            spider_args=args,
        )
    finally:
        if server is not None:
            server.stop()
    for summary in summaries:
        _print_summary(summary, as_json)
    if not all(s.ok for s in summaries):
        raise typer.Exit(1)


def record(
    out: Annotated[Path, typer.Option("--out", help="The WARC file to write (FILE.warc.gz).")],
    spiders: Annotated[
        list[str] | None,
        typer.Argument(help="Spiders to record, in order (default: homepage ranking articles)."),
    ] = None,
    site: SiteOpt = None,
    db: DbOpt = None,
) -> None:
    """Crawl live and keep every response in a WARC file (replayable with `crawl --replay`)."""
    from crawlers.run import SPIDERS, run_crawl

    names = spiders or list(SPIDERS)
    for name in names:
        if name not in SPIDERS:
            raise typer.BadParameter(f"unknown spider {name!r}; one of {', '.join(SPIDERS)}")
    failed = False
    with tempfile.TemporaryDirectory(prefix="cw-record-") as tmp:
        parts: list[Path] = []
        for name in names:
            part = Path(tmp) / f"{name}.warc.gz"
            summary = run_crawl(name, site=site, db_url=db, record=part)
            _print_summary(summary, as_json=False)
            failed |= not summary.ok
            if part.is_file():
                parts.append(part)
        out.parent.mkdir(parents=True, exist_ok=True)
        # Gzip members concatenate into a valid .warc.gz: one file for the whole recording.
        with out.open("wb") as fh:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, fh)
    console.print(f"recording written to {out}")
    if failed:
        raise typer.Exit(1)


def health(
    spider: Annotated[str | None, typer.Option("--spider", help="Only this spider's crawls.")] = None,
    site: SiteOpt = None,
    runs: Annotated[int, typer.Option("--runs", help="How many recent crawls per site and spider.")] = 1,
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False,
) -> None:
    """Parser health per site: the latest crawls' responses, items, empty bodies, missing dates, failures, WAF."""
    from crawlers.pipelines import health_rows
    from storage.db import make_engine

    engine = make_engine(db) if db else make_engine()
    try:
        keys = {k.strip() for k in site.split(",")} if site else None
        rows = health_rows(engine, spider=spider, sites=keys, runs=runs)
    finally:
        engine.dispose()
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    if not rows:
        console.print("no crawl recorded yet (run `creditwatch crawl homepage`)")
        return
    from rich.table import Table

    table = Table("site", "spider", "finished", "responses", "items", "empty bodies", "no date", "failures", "WAF",
                  "status")  # fmt: skip
    for r in rows:
        table.add_row(
            r["site"], r["spider"], str(r["finished_at"])[:19], str(r["responses"]), str(r["items"]),
            str(r["empty_bodies"]), str(r["missing_dates"]), str(r["failures"]), str(r["waf_challenges"]),
            r["status"],
        )  # fmt: skip
    console.print(table)


def reingest(
    spool: Annotated[Path, typer.Argument(help="The spool folder a failed crawl named (spool_dir).")],
    db: DbOpt = None,
) -> None:
    """Store what a crawl could not store (its spool folder) once the database is writable again."""
    from config.settings import get_settings
    from crawlers.reingest import reingest as run_reingest

    if not spool.is_dir():
        raise typer.BadParameter(f"找不到暂存目录：{spool}")
    try:
        report = run_reingest(spool, db or get_settings().database_url)
    except FileNotFoundError as exc:
        raise typer.BadParameter(f"该目录中没有暂存数据：{spool}") from exc
    console.print(f"已重新入库：{report.items} 条内容，{report.fetches} 个原始响应；失败 {report.failed} 条")
    if report.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)
    app.command("record")(record)
    app.command("crawl-reingest")(reingest)
    sites = next((g.typer_instance for g in app.registered_groups if g.name == "sites"), None)
    if sites is None:  # pragma: no cover - monitor.cli always has the group
        raise RuntimeError("the `sites` command group is missing")
    sites.command("health")(health)
