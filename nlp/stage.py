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

from models import Article, CityAttribution, Classification, Institution
from storage.upsert import upsert

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
) -> StageReport:
    """Classify, locate and (for institutions) register every article without a current classification."""
    if classifier is None:
        from nlp.classifier import get_classifier

        classifier = get_classifier()
    if attribute is None:
        from nlp.places import attribute as _attribute

        attribute = _attribute
    version = model_version(classifier)
    report = StageReport(model_version=version)
    current = select(Classification.article_id).where(Classification.is_current)
    pending = list(session.scalars(select(Article.id).where(Article.id.not_in(current)).order_by(Article.id)))
    if limit is not None:
        pending = pending[:limit]
    for i in range(0, len(pending), batch_size):
        arts = list(session.scalars(select(Article).where(Article.id.in_(pending[i : i + batch_size]))))
        preds = classifier.predict([{"id": str(a.id), "title": a.title, "body": a.body} for a in arts])
        for art, pred in zip(arts, preds, strict=True):
            _store(session, art, pred, version, attribute, report)
        session.flush()
    return report


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
    top_city: str | None = None
    for att in attribute(art.title, art.body, art.source):
        evidence = "; ".join(f"{e.field}:{e.span} ({e.rule})" for e in getattr(att, "evidence", []))[:2000]
        upsert(
            session,
            CityAttribution,
            {
                "article_id": art.id,
                "division_code": att.code,
                "level": att.level,
                "evidence": evidence or att.name,
                "weight": float(att.weight),
                "method": "auto",
            },
            key=["article_id", "division_code"],
            update=["level", "evidence", "weight"],
        )
        report.attributions += 1
        top_city = top_city or att.code
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
