"""Keyword-rule baseline: kind, domain and sub-domain from the credit lexicon alone (no learning).

The classifier is measured against this on the same test split; it also serves when no model can be loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nlp import lexicon
from nlp.classifier import Prediction

# Priority when several kinds' cues occur: a response or a rule names the event it answers, so it wins.
_ORDER = ("feedback", "institution", "trust", "distrust")


def classify_one(title: str, body: str) -> tuple[str, str | None, str | None]:
    """(kind, domain, subdomain) by cue words: title first, then the body."""
    cues = lexicon.kind_cues()
    kind = "other"
    for text in (title or "", (body or "")[:300]):
        hit = next((k for k in _ORDER if cues[k].search(text)), None)
        if hit:
            kind = hit
            break
    if kind == "other":
        return "other", None, None
    found = lexicon.domain_by_cues(f"{title} {body}")
    domain, sub = (
        found if found else ("government" if kind in ("institution", "feedback") else "society", None)
    )
    return kind, domain, sub or lexicon.default_subdomains()[domain]


def predict(items: Iterable[dict[str, Any]]) -> list[Prediction]:
    """Classify items given as mappings with `title`, `body` and optional `id` (confidence is 0.5: a rule)."""
    out = []
    for n, it in enumerate(items):
        kind, domain, sub = classify_one(str(it.get("title") or ""), str(it.get("body") or ""))
        out.append(Prediction(str(it.get("id", n)), kind, domain, sub, 0.5))
    return out
