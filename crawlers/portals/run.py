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


def run_portal_spider(
    name: str, args: dict[str, str] | None = None, settings: dict[str, Any] | None = None
) -> None:
    """Crawl with spider `name` until it ends; records, archive and health go to the configured database."""
    if name not in SPIDERS:
        raise ValueError(f"unknown portal spider {name!r}; known: {', '.join(sorted(SPIDERS))}")
    base = {"LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": False}
    process = CrawlerProcess({**base, **(settings or {})})
    process.crawl(SPIDERS[name], **(args or {}))
    process.start()


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
    p.add_argument("spider", choices=sorted(SPIDERS))
    p.add_argument("-a", dest="args", action="append", default=[], help="spider argument NAME=VALUE")
    p.add_argument(
        "-s", dest="settings", action="append", default=[], help="Scrapy setting NAME=VALUE (JSON ok)"
    )
    p.add_argument("--db", help="database URL (default: creditwatch settings)")
    ns = p.parse_args(argv)
    settings = _pairs(ns.settings, "setting")
    if ns.db:
        settings["CREDITWATCH_DATABASE_URL"] = ns.db
    run_portal_spider(ns.spider, _pairs(ns.args, "argument"), settings)


if __name__ == "__main__":
    main()
