"""`creditwatch extract PAGE.html [--url URL]`: print the article JSON of one saved page (DESIGN.md contract)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer


def extract_file(path: Path, url: str | None = None, fetched_at: datetime | None = None) -> dict[str, object]:
    """Decode and parse one saved page; the URL picks the site parser (else the page's canonical URL)."""
    from config.settings import TZ
    from crawlers.encoding import decode_html
    from crawlers.pages import article_parser_for, common

    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    html_text, _codec = decode_html(raw)
    if not url:
        # A saved page usually names its own address; that picks the right site parser.
        url = common.canonical_url(common.parse_html(html_text), "")
    item = article_parser_for(url).parse(url, html_text, fetched_at or datetime.now(TZ))
    return item.to_dict()


def register(app: typer.Typer) -> None:
    """Add the `extract` command to the creditwatch CLI."""

    @app.command("extract")
    def extract(
        page: Annotated[
            Path, typer.Argument(help="Saved HTML page (.html or .html.gz).", exists=True, dir_okay=False)
        ],
        url: Annotated[
            str | None, typer.Option("--url", help="The page's URL (chooses the site parser).")
        ] = None,
    ) -> None:
        """Print one JSON object: site, url, title, published_at (ISO 8601 +08:00), source, author, body, extractor."""
        from crawlers.pages import ParseError
        from monitor.cli.errors import refusals
        from monitor.cli.sniff import require

        with refusals():
            require(page, "html", "gzip")
        try:
            data = extract_file(page, url)
        except (ParseError, OSError) as exc:
            typer.echo(f"extract: {page}: {exc}", err=True)
            raise typer.Exit(code=1) from exc
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
