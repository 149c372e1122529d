"""The site registry (config/sites.yaml): one entry per monitored site, validated on load."""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from config.paths import config_file


class RankingSource(BaseModel):
    """A ranking list: an HTML rank page or a JSON/JSONP hot-list endpoint."""

    name: str
    url: str
    format: str = "html"  # html | json | jsonp
    parser: str | None = None  # page-object name; default chosen from the URL
    period: str | None = None

    def url_for(self, day: date) -> str:
        """The URL with `{date}` filled in (YYYYMMDD): hot lists keyed by day are read for the crawl day."""
        return self.url.replace("{date}", day.strftime("%Y%m%d"))


class SiteEntry(BaseModel):
    key: str
    name: str
    kind: str = "news"
    domains: list[str]
    homepages: list[str] = Field(default_factory=list)
    encoding: str | None = None
    ranking: list[RankingSource] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    lists: list[str] = Field(default_factory=list)  # channel/list pages that link to articles
    article_patterns: list[str] = Field(default_factory=list)  # regexes an article URL matches

    @field_validator("article_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"article pattern {pattern!r}: {exc}") from exc
        return value

    @cached_property
    def _article_res(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.article_patterns)

    def owns(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def is_article_url(self, url: str) -> bool:
        """Whether `url` looks like one of this site's article pages (by the registry's URL patterns)."""
        return self.owns(url) and any(p.search(url) for p in self._article_res)

    def discovery_urls(self) -> list[str]:
        """Pages the article spider reads for links: RSS feeds, sitemaps and list pages."""
        return [*self.feeds, *self.sitemaps, *self.lists]


class RegistryError(ValueError):
    pass


def load_registry(path: Path | None = None) -> list[SiteEntry]:
    """Parse and validate the registry; a bad entry names its position and field."""
    path = path or config_file("sites.yaml")
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("sites"), list):
        raise RegistryError(f"{path.name}: expected a mapping with a 'sites' list")
    out: list[SiteEntry] = []
    for i, raw in enumerate(data["sites"]):
        try:
            out.append(SiteEntry.model_validate(raw))
        except ValidationError as exc:
            raise RegistryError(f"{path.name}: site #{i + 1}: {exc}") from exc
    keys = [s.key for s in out]
    if len(set(keys)) != len(keys):
        raise RegistryError(f"{path.name}: duplicate site keys")
    return out


@lru_cache(maxsize=1)
def registry() -> tuple[SiteEntry, ...]:
    return tuple(load_registry())


def site_for_url(url: str) -> SiteEntry | None:
    """The registry entry whose domains contain the URL's host."""
    return next((s for s in registry() if s.owns(url)), None)


def is_article_url(url: str) -> bool:
    """Whether `url` is an article page of a registry site."""
    site = site_for_url(url)
    return site is not None and site.is_article_url(url)


def get_site(key: str) -> SiteEntry:
    for s in registry():
        if s.key == key:
            return s
    raise KeyError(f"unknown site {key!r}; known: {', '.join(s.key for s in registry())}")
