"""Run one portal spider in this process (a scheduler starts one process per crawl: the reactor cannot restart).

`python -m crawlers.portals.run SPIDER [-a key=value ...] [-s NAME=VALUE ...] [--db URL]`
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.spiders import Spider

from crawlers.spiders.portal_creditchina import CreditChinaSpider
from crawlers.spiders.portal_creditsite import CreditSiteSpider
from crawlers.spiders.portal_rmfygg import RmfyggSpider
from crawlers.spiders.portal_wenshu import WenshuSpider
from crawlers.spiders.portal_zxgk import ZxgkSpider

SPIDERS: dict[str, type[Spider]] = {
    s.name: s for s in (CreditChinaSpider, ZxgkSpider, RmfyggSpider, WenshuSpider, CreditSiteSpider)
}


def _with_settings(spidercls: type[Spider], settings: dict[str, Any], n: int) -> type[Spider]:
    """A subclass carrying this job's settings over the spider's own (politeness defaults included), so crawls
    with different databases or base URLs can share one process."""
    merged = {**(spidercls.custom_settings or {}), **settings}
    return type(f"{spidercls.__name__}Job{n}", (spidercls,), {"custom_settings": merged})


def run_portal_spiders(jobs: list[tuple[str, dict[str, str], dict[str, Any]]]) -> None:
    """Several crawls side by side in this process, each (spider name, arguments, settings); returns when all end.
    One process start-up (Scrapy, models, gazetteer) is shared by every portal of a scheduled run."""
    for name, _, _ in jobs:
        if name not in SPIDERS:
            raise ValueError(f"unknown portal spider {name!r}; known: {', '.join(sorted(SPIDERS))}")
    first = jobs[0][2] if jobs else {}
    process = CrawlerProcess(
        {"LOG_LEVEL": first.get("LOG_LEVEL", "INFO"), "TELNETCONSOLE_ENABLED": False, "LOG_ENABLED": True}
    )
    for n, (name, args, settings) in enumerate(jobs):
        process.crawl(_with_settings(SPIDERS[name], settings, n), **args)
    process.start()


def run_portal_spider(
    name: str, args: dict[str, str] | None = None, settings: dict[str, Any] | None = None
) -> None:
    """Crawl with spider `name` until it ends; records, archive and health go to the configured database."""
    run_portal_spiders([(name, args or {}, settings or {})])


def _pairs(values: list[str], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in values:
        k, sep, val = v.partition("=")
        if not sep:
            raise SystemExit(f"{what} {v!r}: expected NAME=VALUE")
        try:
            out[k] = json.loads(val) if val[:1] in "{[" else val
        except json.JSONDecodeError:
            out[k] = val
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("spider", nargs="?", choices=sorted(SPIDERS))
    p.add_argument("-a", dest="args", action="append", default=[], help="spider argument NAME=VALUE")
    p.add_argument(
        "-s", dest="settings", action="append", default=[], help="Scrapy setting NAME=VALUE (JSON ok)"
    )
    p.add_argument("--db", help="database URL (default: creditwatch settings)")
    p.add_argument(
        "--jobs", help="JSON file [[spider, {args}, {settings}], …]: run these crawls side by side instead"
    )
    ns = p.parse_args(argv)
    if ns.jobs:
        with open(ns.jobs, encoding="utf-8") as fh:
            run_portal_spiders([(j[0], j[1], j[2]) for j in json.load(fh)])
        return
    if ns.spider is None:
        p.error("a spider name (or --jobs FILE) is required")
    settings = _pairs(ns.settings, "setting")
    if ns.db:
        settings["CREDITWATCH_DATABASE_URL"] = ns.db
    run_portal_spider(ns.spider, _pairs(ns.args, "argument"), settings)


if __name__ == "__main__":
    main()
