"""`creditwatch extract PAGE.html [--url URL]`: print the article JSON of one saved page (DESIGN.md contract)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

log = logging.getLogger(__name__)


def extract_file(path: Path, url: str | None = None, fetched_at: datetime | None = None) -> dict[str, object]:
    """Decode and parse one saved page; the URL picks the site parser (else the page's canonical URL).

    Raises ``BadPage`` for files that are not a readable page and ``ParseError`` when no article is found.
    """
    from config.settings import TZ
    from crawlers.pages import article_parser_for, common
    from crawlers.pages.page_input import decode_page

    html_text = decode_page(path.read_bytes())
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
        from crawlers.pages.page_input import BadPage

        try:
            data = extract_file(page, url)
        except BadPage as exc:
            typer.echo(f"extract: {page}: {exc.zh}", err=True)
            raise typer.Exit(code=1) from exc
        except ParseError as exc:
            log.info("extract %s: %s", page, exc)
            typer.echo(f"extract: {page}: 页面里没有找到文章正文", err=True)
            raise typer.Exit(code=1) from exc
        except OSError as exc:
            typer.echo(f"extract: {page}: 无法读取文件（{exc.strerror or exc}）", err=True)
            raise typer.Exit(code=1) from exc
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
