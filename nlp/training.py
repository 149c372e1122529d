"""Training data for the classifier: the labelled corpus's train split plus corrections from the web console."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp.classifier import TrainingRow
from nlp.evaluation_data import load_labelled


def corpus_rows() -> list[TrainingRow]:
    """The train split of the labelled corpus (the test split is never trained on)."""
    return [TrainingRow(i.title, i.body, i.kind, i.domain) for i in load_labelled() if i.split == "train"]


def extra_labels(session: Session) -> list[TrainingRow]:
    """Labels people set in the web console (`labels` table), joined to their article's title and body."""
    from models.content import Article
    from models.labels import Label

    rows = session.execute(
        select(Label, Article.title, Article.body)
        .join(Article, Article.id == Label.article_id)
        .where(Label.kind.is_not(None))
        .order_by(Label.id)
    ).all()
    latest: dict[int, TrainingRow] = {}
    for label, title, body in rows:
        # The newest label of an article wins; `other` carries no domain.
        domain = None if label.kind == "other" else label.domain
        latest[label.article_id] = TrainingRow(title or "", body or "", label.kind or "other", domain)
    return list(latest.values())
