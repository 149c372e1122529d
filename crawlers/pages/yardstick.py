"""The out-of-layout extraction yardstick: real pages of sites the page objects were not written for.

The pages are third-party text and stay out of the repository. ``crawlers/data/extraction_eval/pages.tsv``
names each one (public repository, commit, path, sha256 of the bytes) with its hand-checked gold, kept as digests so
that none of the pages' text is committed: the headline (without whitespace), the publication day, and the body as
two anchors (the first and last characters of the article, at most 20 each) plus the sha256 and length of the body
text between them. A digest is ``<characters>:<first 20 hex digits of the sha256>``. ``python -m crawlers.pages.yardstick fetch`` brings the pages into
``var/extraction_eval/`` (from raw.githubusercontent.com, or from local clones with ``--git-dir REPO=PATH``) and
checks every byte and every gold body against the committed hashes.

The split into development and held-out pages is by site and fixed by the site name's hash, so no held-out site's
page is looked at while the extractor is tuned.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crawlers.encoding import decode_html
from crawlers.pages import common

GOLD_FILE = Path(__file__).resolve().parents[1] / "data" / "extraction_eval" / "pages.tsv"
CACHE_DIR = Path(__file__).resolve().parents[2] / "var" / "extraction_eval"
FIELDS = (
    "id",
    "repo",
    "commit",
    "path",
    "page_sha256",
    "site",
    "family",
    "title",
    "date",
    "body_start",
    "body_end",
    "body_sha256",
    "body_chars",
)
FAMILIES = ("news", "government", "table_layout", "forum", "reprint", "monitored_other_channel")


def split_of(site: str) -> str:
    """``dev`` or ``heldout``: a site's half, from its name's hash (never from results)."""
    return "dev" if hashlib.sha256(site.encode("utf-8")).digest()[0] < 128 else "heldout"


@dataclass(frozen=True)
class GoldPage:
    id: str
    repo: str
    commit: str
    path: str
    page_sha256: str
    site: str
    family: str
    title: str
    day: date | None
    body_start: str
    body_end: str
    body_sha256: str
    body_chars: int

    @property
    def split(self) -> str:
        return split_of(self.site)

    @property
    def cache_file(self) -> Path:
        return CACHE_DIR / f"{self.id}.html"


def gold_pages(path: Path = GOLD_FILE) -> list[GoldPage]:
    """Every page of the yardstick, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        GoldPage(
            id=row["id"],
            repo=row["repo"],
            commit=row["commit"],
            path=row["path"],
            page_sha256=row["page_sha256"],
            site=row["site"],
            family=row["family"],
            title=row["title"],
            day=date.fromisoformat(row["date"]) if row["date"] else None,
            body_start=row["body_start"],
            body_end=row["body_end"],
            body_sha256=row["body_sha256"],
            body_chars=int(row["body_chars"] or 0),
        )
        for row in rows
    ]


def page_text(raw: bytes) -> str:
    """A saved page decoded the way the crawler decodes it."""
    return decode_html(raw)[0]


def linear_lines(html_text: str) -> list[str]:
    """The page's visible text as lines (block elements and <br> break lines), the text gold anchors point into."""
    root = common.parse_html(html_text)
    body = root.find(".//body")
    return common.blocks(body if body is not None else root)


def text_digest(text: str) -> str:
    """``<characters>:<sha256 prefix>``: how the gold names a headline or an anchor without holding its text."""
    return f"{len(text)}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:20]}"


def title_digest(title: str) -> str:
    """The digest a gold headline is compared by: whitespace does not count."""
    return text_digest(re.sub(r"\s+", "", title))


def _find(text: str, digest: str, start: int = 0) -> int:
    """The first position at or after `start` where the text the digest names begins; -1 if nowhere."""
    size = int(digest.split(":", 1)[0])
    for at in range(start, len(text) - size + 1):
        if text_digest(text[at : at + size]) == digest:
            return at
    return -1


def gold_body(html_text: str, start: str, end: str) -> str:
    """The page text from the first ``start`` to the first ``end`` after it (both included); '' if absent. The
    anchors are plain text (the hand-made pages' expectations)."""
    text = "\n".join(linear_lines(html_text))
    return _span(text, text.find, start, end, len(start), len(end))


def gold_body_by_digest(html_text: str, start: str, end: str) -> str:
    """`gold_body` with both anchors named by digest, as the yardstick's gold holds them."""
    text = "\n".join(linear_lines(html_text))
    sizes = [int(d.split(":", 1)[0]) for d in (start, end)]
    return _span(text, lambda digest, at: _find(text, digest, at), start, end, *sizes)


def _span(
    text: str, find: Callable[[str, int], int], start: str, end: str, start_size: int, end_size: int
) -> str:
    first = find(start, 0)
    last = find(end, first + start_size) if first >= 0 else -1
    if last < 0 and first >= 0:
        last = find(end, first)  # a one-line article: the anchors overlap
    return text[first : last + end_size] if first >= 0 and last >= 0 else ""


def body_digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def available(pages: list[GoldPage]) -> list[GoldPage]:
    """The pages whose bytes are in the local cache."""
    return [page for page in pages if page.cache_file.is_file()]


def raw_url(page: GoldPage) -> str:
    """The page's raw download address; paths with Chinese names, spaces or ``%`` are percent-encoded."""
    return f"https://raw.githubusercontent.com/{page.repo}/{page.commit}/{urllib.parse.quote(page.path, safe='/')}"


def _download(page: GoldPage, git_dirs: dict[str, Path]) -> bytes:
    if page.repo in git_dirs:
        return subprocess.run(
            ["git", f"--git-dir={git_dirs[page.repo]}", "show", f"{page.commit}:{page.path}"],
            check=True,
            capture_output=True,
        ).stdout
    with urllib.request.urlopen(raw_url(page), timeout=60) as response:
        data: bytes = response.read()
    return data


def fetch(pages: list[GoldPage], git_dirs: dict[str, Path]) -> list[str]:
    """Bring missing pages into the cache; returns one problem line per page that failed its checks."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for page in pages:
        raw = page.cache_file.read_bytes() if page.cache_file.is_file() else _download(page, git_dirs)
        if hashlib.sha256(raw).hexdigest() != page.page_sha256:
            problems.append(f"{page.id}: page bytes differ from the committed sha256")
            continue
        page.cache_file.write_bytes(raw)
        body = gold_body_by_digest(page_text(raw), page.body_start, page.body_end)
        if body_digest(body) != page.body_sha256 or len(body) != page.body_chars:
            problems.append(f"{page.id}: gold body does not match its sha256/length")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("fetch", help="download the pages into var/extraction_eval and verify them")
    get.add_argument("--git-dir", action="append", default=[], help="OWNER/NAME=PATH of a local clone")
    args = parser.parse_args(argv)
    git_dirs = {k: Path(v) for k, _, v in (item.partition("=") for item in args.git_dir)}
    pages = gold_pages()
    problems = fetch(pages, git_dirs)
    for line in problems:
        print(line, file=sys.stderr)
    print(f"{len(pages) - len(problems)} of {len(pages)} pages ready in {CACHE_DIR}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
