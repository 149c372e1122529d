"""The credit lexicon: cue words per kind and per sub-domain, and DOMAIN.md's sub-domain names.

Each list is a data file under `nlp/data/lexicon/` with one named loader, read lazily on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEXICON_DIR = Path(__file__).resolve().parent / "data" / "lexicon"

KINDS: tuple[str, ...] = ("trust", "distrust", "institution", "feedback", "other")
DOMAINS: tuple[str, ...] = ("government", "business", "society", "judiciary")


@dataclass(frozen=True, slots=True)
class SubdomainCue:
    domain: str
    subdomain: str
    pattern: re.Pattern[str]


def _rows(name: str) -> list[list[str]]:
    out: list[list[str]] = []
    for line in (LEXICON_DIR / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(line.split("\t"))
    return out


@lru_cache(maxsize=1)
def subdomain_names() -> dict[str, tuple[str, ...]]:
    """domain → the sub-domain names DOMAIN.md lists for it."""
    return {d: tuple(names.split("|")) for d, names in _rows("subdomains.tsv")}


@lru_cache(maxsize=1)
def kind_cues() -> dict[str, re.Pattern[str]]:
    """kind → one compiled alternation of its cue words, in file order (the order is the rules' priority)."""
    return {kind: re.compile(words) for kind, words in _rows("kind_cues.tsv")}


@lru_cache(maxsize=1)
def subdomain_cues() -> tuple[SubdomainCue, ...]:
    """Ordered (domain, sub-domain, cue pattern) rows; every sub-domain is checked against DOMAIN.md's names."""
    names = subdomain_names()
    rows = []
    for domain, sub, words in _rows("subdomain_cues.tsv"):
        if sub not in names.get(domain, ()):
            raise ValueError(f"lexicon: {sub!r} is not a sub-domain of {domain!r} in subdomains.tsv")
        rows.append(SubdomainCue(domain, sub, re.compile(words)))
    return tuple(rows)


@lru_cache(maxsize=1)
def default_subdomains() -> dict[str, str]:
    """domain → sub-domain used when none of the domain's cue words appears."""
    return {d: s for d, s in _rows("domain_default_subdomain.tsv")}


def subdomain_for(domain: str, text: str) -> str:
    """The first sub-domain of `domain` whose cue words occur in `text`, else the domain's default."""
    for cue in subdomain_cues():
        if cue.domain == domain and cue.pattern.search(text):
            return cue.subdomain
    return default_subdomains()[domain]


def domain_by_cues(text: str) -> tuple[str, str] | None:
    """The (domain, sub-domain) of the first cue row matching `text`, or None."""
    for cue in subdomain_cues():
        if cue.pattern.search(text):
            return cue.domain, cue.subdomain
    return None
