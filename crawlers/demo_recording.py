"""Builds the demo recording `crawlers/data/demo.warc.gz` from the real pages in ../shared/fixtures/pages.

    python -m crawlers.demo_recording [--fixtures DIR] [--handmade DIR] [--out FILE] [--captured-at ISO]

Each real page is recorded at its URL from the manifest. Where the manifest gives none (or only a guess), a
plausible URL on the site's domain that matches the registry's article patterns is used, and the record is
marked ``WARC-Creditwatch-Url-Inferred: yes``. Response headers are reconstructed (Content-Type with the charset
the page decodes as); the recorded capture times are the demo's (`--captured-at` plus one second per page, so
two homepages of one site never share a snapshot time), not the dates the pages were originally saved.

Hand-made scenario pages come from `crawlers/data/handmade/` (see its index.yaml): each is marked
``WARC-Creditwatch-Source: handmade/<file>`` and keeps its own date. A hand-made page may not take the URL of a
real page. A manifest of what went in is written next to the WARC (`demo.manifest.tsv`).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from config.paths import shared_dir
from config.settings import TZ
from crawlers.encoding import decode_html
from crawlers.warc import INFERRED_HEADER, SOURCE_HEADER, WarcRecorder

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_WARC = DATA_DIR / "demo.warc.gz"
HANDMADE_DIR = DATA_DIR / "handmade"
# The demo's capture day: the newest real articles of the fixtures are from mid-May 2024.
DEFAULT_CAPTURED_AT = datetime(2024, 5, 20, 9, 0, tzinfo=TZ)

# Pages without a usable URL in the manifest: homepage/channel pages whose address is known from the page type.
_KNOWN_PAGE_URLS = {
    "163/gne/listpage_163_1.html.gz": "https://news.163.com/",
    "sina/ranking-api/GetTopDataList_finance_0_suda_20180410.sample.json": (
        "https://top.finance.sina.com.cn/ws/GetTopDataList.php?top_type=day&top_cat=finance_0_suda"
        "&top_time=20180410&top_show_num=50&top_order=DESC&js_var=data"
    ),
}
# Article URL templates for pages saved without their address; `{n}` is a number derived from the file name.
_INFERRED_ARTICLE_URLS = {
    "people": "http://society.people.com.cn/n1/2019/1210/c1008-{n8}.html",
    "xinhua": "http://www.xinhuanet.com/politics/2019-12/10/c_11{n8}.htm",
    "qq": "https://new.qq.com/omn/20190907/20190907A{h7}00.html",
    "163": "https://www.163.com/dy/article/{h16}.html",
    "cyol_youth": "http://news.youth.cn/gn/201607/t20160713_{n8}.htm",
}
# Page types worth recording (the wenshu API sample has no URL and no spider reads it).
_SKIP_SITES = {"wenshu"}


@dataclass
class DemoPage:
    url: str
    body: bytes
    content_type: str
    captured_at: datetime
    source: str
    page_type: str
    inferred: bool
    status: int = 200
    extra_headers: tuple[tuple[str, str], ...] = ()


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _content_type(body: bytes, local_file: str) -> str:
    if ".json" in local_file:
        return "application/json; charset=utf-8"
    _, codec = decode_html(body)
    return f"text/html; charset={codec}"


def _digest(local_file: str) -> str:
    return hashlib.sha256(local_file.encode()).hexdigest()


def inferred_url(site: str, local_file: str) -> str | None:
    """A plausible article URL on the site's domain for a page saved without its address."""
    template = _INFERRED_ARTICLE_URLS.get(site)
    if template is None:
        return None
    digest = _digest(local_file)
    number = int(digest[:12], 16)
    return template.format(n8=f"{number % 10**8:08d}", h7=digest[:7].upper(), h16=digest[:16].upper())


def fixture_pages(fixtures: Path, captured_at: datetime) -> Iterator[DemoPage]:
    """The real pages of the manifest, each with its URL (known or inferred)."""
    with (fixtures / "manifest.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    seen: set[str] = set()
    for i, row in enumerate(rows):
        local, site, page_type = row["local_file"], row["site"], row["page_type"]
        if site in _SKIP_SITES:
            continue
        raw_url = (row.get("url") or "").strip()
        url = raw_url.split(" ")[0] if raw_url.startswith("http") else ""
        inferred = "inferred" in raw_url or "reconstructed" in raw_url
        if url.startswith("https://web.archive.org/web/"):
            # A Wayback capture: record it at the original address it archived.
            url = "http" + url.split("/http", 1)[1]
        if local in _KNOWN_PAGE_URLS:
            url, inferred = _KNOWN_PAGE_URLS[local], True
        if not url and page_type.startswith("article"):
            url, inferred = inferred_url(site, local) or "", True
        if not url or url in seen:
            log.info("skipped %s (%s): no usable URL", local, page_type)
            continue
        seen.add(url)
        body = _read(fixtures / local)
        yield DemoPage(
            url=url,
            body=body,
            content_type=_content_type(body, local),
            captured_at=captured_at + timedelta(seconds=i),
            source=f"fixtures/pages/{local}",
            page_type=page_type,
            inferred=inferred,
        )


def handmade_pages(folder: Path) -> Iterator[DemoPage]:
    """The hand-made scenario pages listed in `folder`/index.yaml."""
    index = folder / "index.yaml"
    if not index.is_file():
        return
    data: Any = yaml.safe_load(index.read_text(encoding="utf-8")) or {}
    for n, entry in enumerate(data.get("pages") or [], start=1):
        try:
            url, name, date = str(entry["url"]), str(entry["file"]), str(entry["date"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{index}: page #{n} needs url, file and date") from exc
        if not name.startswith("handmade_"):
            raise ValueError(f"{index}: page #{n}: hand-made files are named handmade_*, got {name!r}")
        when = datetime.fromisoformat(date)
        if when.tzinfo is None:
            raise ValueError(f"{index}: page #{n}: date {date!r} needs a time zone (+08:00)")
        headers = dict(entry.get("headers") or {})
        content_type = str(headers.pop("Content-Type", "text/html; charset=utf-8"))
        yield DemoPage(
            url=url,
            body=(folder / name).read_bytes(),
            content_type=content_type,
            captured_at=when.astimezone(TZ),
            source=f"handmade/{name}",
            page_type=str(entry.get("kind") or "page"),
            inferred=False,
            status=int(entry.get("status") or 200),
            extra_headers=tuple((str(k), str(v)) for k, v in headers.items()),
        )


def build(
    out: Path = DEMO_WARC,
    fixtures: Path | None = None,
    handmade: Path = HANDMADE_DIR,
    captured_at: datetime = DEFAULT_CAPTURED_AT,
) -> list[DemoPage]:
    """Write the demo WARC and its manifest; returns the pages recorded."""
    fixtures = fixtures or shared_dir() / "fixtures" / "pages"
    pages = list(fixture_pages(fixtures, captured_at))
    real_urls = {p.url for p in pages}
    for page in handmade_pages(handmade):
        if page.url in real_urls:
            raise ValueError(f"hand-made page {page.source} would shadow the real page at {page.url}")
        pages.append(page)
    out.parent.mkdir(parents=True, exist_ok=True)
    with WarcRecorder(out) as warc:
        warc.write_info(
            {
                "software": "creditwatch crawlers.demo_recording",
                "description": "Demo recording: real pages of ../shared/fixtures/pages at their manifest URLs "
                "(inferred where marked) plus hand-made scenario pages (marked handmade/).",
            }
        )
        for p in pages:
            extra = {SOURCE_HEADER: p.source}
            if p.inferred:
                extra[INFERRED_HEADER] = "yes"
            headers = [("Content-Type", p.content_type), *p.extra_headers]
            warc.write_response(p.url, p.status, headers, p.body, p.captured_at, extra)
    manifest = out.with_name(out.name.replace(".warc.gz", "") + ".manifest.tsv")
    with manifest.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(["url", "source", "page_type", "url_inferred", "captured_at", "bytes"])
        for p in pages:
            writer.writerow([p.url, p.source, p.page_type, "yes" if p.inferred else "", p.captured_at.isoformat(),
                             len(p.body)])  # fmt: skip
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--fixtures", type=Path, default=None, help="fixtures/pages folder (default: shared)")
    parser.add_argument("--handmade", type=Path, default=HANDMADE_DIR)
    parser.add_argument("--out", type=Path, default=DEMO_WARC)
    parser.add_argument("--captured-at", default=DEFAULT_CAPTURED_AT.isoformat())
    ns = parser.parse_args()
    pages = build(ns.out, ns.fixtures, ns.handmade, datetime.fromisoformat(ns.captured_at))
    inferred = sum(p.inferred for p in pages)
    handmade = sum(p.source.startswith("handmade/") for p in pages)
    size = ns.out.stat().st_size / 1e6
    print(
        f"{ns.out}: {len(pages)} pages ({inferred} with inferred URLs, {handmade} hand-made), {size:.1f} MB"
    )


if __name__ == "__main__":
    main()
