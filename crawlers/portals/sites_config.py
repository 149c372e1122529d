"""config/credit_sites.yaml: provincial and city credit sites, their 红黑榜/双公示 columns and selectors."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from config.paths import config_file
from models.portal import ListKind


class CreditColumn(BaseModel):
    """One column (栏目) of a credit site whose announcements carry list records."""

    name: str
    url: str
    list_kind: ListKind
    item: str = "ul li"  # CSS of one list entry on the column page
    link: str = "a"  # CSS of the link inside the entry
    date: str | None = None  # CSS of the date inside the entry (default: any date in the entry's text)
    title_filter: str | None = None  # regex a link title must match to be followed (e.g. 黑名单|失信)
    table: str = "table"  # CSS of the record tables on an announcement page
    authority: str | None = None  # default 认定部门 when the tables do not name one

    @field_validator("title_filter")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            re.compile(v)
        return v


class CreditSite(BaseModel):
    key: str
    name: str
    region_code: str | None = None
    verified: bool = False  # column URLs and selectors checked against the live site
    columns: list[CreditColumn] = Field(default_factory=list)


class CreditSitesFile(BaseModel):
    sites: list[CreditSite]


def load_credit_sites(path: Path | None = None) -> list[CreditSite]:
    """The configured credit sites; a malformed file is a ValueError naming the file and the problem."""
    p = path or config_file("credit_sites.yaml")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        return CreditSitesFile.model_validate(data).sites
    except (OSError, yaml.YAMLError, ValidationError, re.error) as exc:
        raise ValueError(f"{p}: {exc}") from None
