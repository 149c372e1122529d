"""Corrections stored by the web console (labels table) become training rows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.content import Article
from models.labels import Label
from nlp.training import corpus_rows, extra_labels


def test_extra_labels_take_the_newest_label_per_article(db_session: Session) -> None:
    a = Article(
        url="https://example.test/a", title="某县政府拖欠工程款", body="被列入失信被执行人", extractor="t"
    )
    b = Article(url="https://example.test/b", title="足球联赛开幕", body="", extractor="t")
    db_session.add_all([a, b])
    db_session.flush()
    db_session.add_all(
        [
            Label(article_id=a.id, kind="distrust", domain="business", labelled_by="u"),
            Label(
                article_id=a.id,
                kind="distrust",
                domain="government",
                subdomain="政府失信被执行人",
                labelled_by="u",
            ),
            Label(article_id=b.id, kind="other", domain="society", labelled_by="u"),
        ]
    )
    db_session.flush()
    rows = {r.title: r for r in extra_labels(db_session)}
    assert rows["某县政府拖欠工程款"].domain == "government"
    assert rows["足球联赛开幕"].kind == "other" and rows["足球联赛开幕"].domain is None


def test_corpus_rows_are_the_train_split_only() -> None:
    rows = corpus_rows()
    assert len(rows) > 3000


def test_the_shipped_model_was_fitted_on_the_train_split_as_it_stands() -> None:
    """`creditwatch train` reproduces the shipped model's training data: labels that change it wait in
    nlp/data/handpicked_pending/ until a model fitted with them clears the floors and is shipped with them."""
    import json
    from pathlib import Path

    from nlp.classifier import data_sha256

    meta = json.loads((Path(__file__).parents[2] / "nlp" / "model" / "credit_classifier.json").read_text())
    rows = corpus_rows()
    assert (len(rows), data_sha256(rows)) == (meta["training_rows"], meta["training_data_sha256"])
