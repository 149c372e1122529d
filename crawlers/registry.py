"""The site registry (config/sites.yaml): one entry per monitored site, validated on load."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, Field, ValidationError

from config.paths import config_file


class RankingSource(BaseModel):
    """A ranking list: an HTML rank page or a JSON/JSONP hot-list endpoint."""

    name: str
    url: str
    format: str = "html"  # html | json | jsonp
    parser: str | None = None  # page-object name; default chosen from the URL
    period: str | None = None


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

    def owns(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)


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


def get_site(key: str) -> SiteEntry:
    for s in registry():
        if s.key == key:
            return s
    raise KeyError(f"unknown site {key!r}; known: {', '.join(s.key for s in registry())}")
