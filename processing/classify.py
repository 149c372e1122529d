"""The processing stage: classify and locate stored articles that have no current classification.

Idempotent: a Classification row is unique per (article, model_version) and city attributions per
(article, division); re-running with the same model changes nothing, a new model version adds a row and makes it
the current one. Articles of kind `institution` also become Institution rows (信用制度, counted by the index).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Article, CityAttribution, Classification, Event, EventArticle, Institution
from storage.upsert import upsert, upsert_rows

logger = logging.getLogger(__name__)


class Classifier(Protocol):
    meta: dict[str, Any]

    def predict(self, items: Any) -> Sequence[Any]: ...


Attribute = Callable[..., Sequence[Any]]


@dataclass
class StageReport:
    classified: int = 0
    attributions: int = 0
    institutions: int = 0
    model_version: str = ""
    changed: int = 0  # reclassified articles whose kind or domain changed
    events_revoted: int = 0


def model_version(classifier: Classifier) -> str:
    """A short stable name of the model: hash of its training data and its creation time."""
    meta = getattr(classifier, "meta", {}) or {}
    sha = str(meta.get("training_data_sha256", "unknown"))[:12]
    created = str(meta.get("created_at", ""))[:19]
    return f"clf-{sha}-{created}"[:64]


def process_articles(
    session: Session,
    classifier: Classifier | None = None,
    attribute: Attribute | None = None,
    *,
    batch_size: int = 256,
    limit: int | None = None,
    reclassify: bool = False,
) -> StageReport:
    """Classify, locate and (for institutions) register every article without a current classification.

    With `reclassify`, articles whose current classification comes from another model version are read again
    too (after `creditwatch train`), never those a person corrected; the events of articles whose kind or
    domain changed are re-voted, so an event's kind follows its articles."""
    if classifier is None:
        from nlp.classifier import get_classifier

        classifier = get_classifier()
    if attribute is None:
        from nlp.places import attribute as _attribute

        attribute = _attribute
    version = model_version(classifier)
    report = StageReport(model_version=version)
    settled = select(Classification.article_id).where(Classification.is_current)
    if reclassify:
        settled = settled.where(Classification.model_version.in_((version, "manual")))
    pending = list(session.scalars(select(Article.id).where(Article.id.not_in(settled)).order_by(Article.id)))
    if limit is not None:
        pending = pending[:limit]
    changed: list[int] = []
    for i in range(0, len(pending), batch_size):
        ids = pending[i : i + batch_size]
        before = {
            c.article_id: (c.kind, c.domain)
            for c in session.scalars(
                select(Classification).where(Classification.article_id.in_(ids), Classification.is_current)
            )
        }
        arts = list(session.scalars(select(Article).where(Article.id.in_(ids))))
        preds = classifier.predict([{"id": str(a.id), "title": a.title, "body": a.body} for a in arts])
        for art, pred in zip(arts, preds, strict=True):
            _store(session, art, pred, version, attribute, report)
            if art.id in before and before[art.id] != (pred.kind, pred.domain):
                changed.append(art.id)
        session.flush()
    report.changed = len(changed)
    report.events_revoted = revote_events_of(session, changed)
    return report


def revote_events_of(session: Session, article_ids: Sequence[int]) -> int:
    """Re-vote kind, domain and city of the events holding these articles; returns how many were re-voted."""
    if not article_ids:
        return 0
    from processing.incidents import refresh_votes

    event_ids: set[int] = set()
    for i in range(0, len(article_ids), 500):
        event_ids.update(
            session.scalars(
                select(EventArticle.event_id).where(EventArticle.article_id.in_(article_ids[i : i + 500]))
            )
        )
    for ev in session.scalars(select(Event).where(Event.id.in_(event_ids))):
        refresh_votes(session, ev)
    session.flush()
    return len(event_ids)


def _store(
    session: Session, art: Article, pred: Any, version: str, attribute: Attribute, report: StageReport
) -> None:
    # Only articles without a current classification get here, so a staff correction ('manual') is never
    # demoted; older model outputs are.
    session.execute(
        update(Classification)
        .where(
            Classification.article_id == art.id,
            Classification.model_version != version,
            Classification.model_version != "manual",
        )
        .values(is_current=False)
    )
    upsert(
        session,
        Classification,
        {
            "article_id": art.id,
            "model_version": version,
            "kind": pred.kind,
            "domain": pred.domain,
            "subdomain": pred.subdomain,
            "confidence": float(pred.confidence),
            "is_current": True,
        },
        key=["article_id", "model_version"],
    )
    report.classified += 1
    rows = []
    for att in attribute(art.title, art.body, art.source):
        evidence = "; ".join(f"{e.field}:{e.span} ({e.rule})" for e in getattr(att, "evidence", []))[:2000]
        rows.append(
            {
                "article_id": art.id,
                "division_code": att.code,
                "level": att.level,
                "evidence": evidence or att.name,
                "weight": float(att.weight),
                "method": "auto",
            }
        )
    report.attributions += upsert_rows(
        session, CityAttribution, rows, ["article_id", "division_code"], ["level", "evidence", "weight"]
    )
    top_city: str | None = rows[0]["division_code"] if rows else None
    if pred.kind == "institution":
        upsert(
            session,
            Institution,
            {
                "article_id": art.id,
                "title": art.title,
                "division_code": top_city,
                "domain": pred.domain,
                "subdomain": pred.subdomain,
                "published_at": art.published_at or art.created_at,
                "url": art.url,
            },
            key=["article_id"],
            update=[],
        )
        report.institutions += 1
