"""Reprint clustering: hand-made scenarios in the database, and precision/recall on real reprint pairs."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Event, EventArticle
from nlp.clustering import (
    ClusterIndex,
    ClusterParams,
    EventState,
    Signer,
    cities_compatible,
    compare,
    normalise,
)
from processing.clustering import cluster_articles
from tests.events.factories import article, at
from tests.events.stories import STORIES

PAIRS = Path(__file__).parent / "data" / "bdci_reprint_pairs.tsv"


def _event_of(s: Session, article_id: int) -> int:
    return s.scalars(select(EventArticle.event_id).where(EventArticle.article_id == article_id)).one()


def test_same_story_under_two_titles_is_one_event(db_session: Session) -> None:
    a = article(db_session, "people", "a", *STORIES["blast"], at(20, 10))
    b = article(db_session, "sina", "b", *STORIES["blast_reprint"], at(20, 11))
    report = cluster_articles(db_session, ClusterParams())
    assert report.new_events == 1 and report.joined == 1
    assert _event_of(db_session, a.id) == _event_of(db_session, b.id)


def test_follow_up_next_day_joins_and_unrelated_same_city_stories_do_not(db_session: Session) -> None:
    a = article(db_session, "people", "a", *STORIES["blast"], at(20, 10))
    f = article(db_session, "qq", "f", *STORIES["blast_followup"], at(21, 9))
    m = article(db_session, "163", "m", *STORIES["mooncake"], at(20, 12), domain="business", subdomain="生产")
    w = article(
        db_session, "sohu", "w", *STORIES["wages"], at(20, 13), domain="society", subdomain="劳动用工"
    )
    cluster_articles(db_session, ClusterParams())
    ev = _event_of(db_session, a.id)
    assert _event_of(db_session, f.id) == ev
    assert len({ev, _event_of(db_session, m.id), _event_of(db_session, w.id)}) == 3


def test_incremental_across_runs_and_state_persisted(db_session: Session) -> None:
    a = article(db_session, "people", "a", *STORIES["blast"], at(20, 10))
    cluster_articles(db_session, ClusterParams())
    ev = db_session.get(Event, _event_of(db_session, a.id))
    assert ev is not None and ev.signature["v"] == 1 and len(ev.signature["reps"][0]["mh"]) == 128
    # a later run (a new process: the index is rebuilt from Event.signature) still finds the event
    b = article(db_session, "sina", "b", *STORIES["blast_reprint"], at(22, 8))
    report = cluster_articles(db_session, ClusterParams())
    assert report.articles == 1 and report.joined == 1
    assert _event_of(db_session, b.id) == ev.id
    assert ev.last_seen == at(22, 8) and ev.first_seen == at(20, 10)
    # nothing left to do: idempotent
    assert cluster_articles(db_session, ClusterParams()).articles == 0


def test_time_window_and_city_block_merges(db_session: Session) -> None:
    a = article(db_session, "people", "a", *STORIES["blast"], at(1, 10))
    late = article(db_session, "sina", "late", *STORIES["blast_reprint"], at(1, 10) + timedelta(days=20))
    x = article(db_session, "qq", "x", *STORIES["fraud_wuxi"], at(5, 10), city="320200")
    y = article(db_session, "163", "y", *STORIES["fraud_xuzhou"], at(5, 11), city="320300")
    cluster_articles(db_session, ClusterParams(window=timedelta(days=7)))
    assert _event_of(db_session, a.id) != _event_of(db_session, late.id)
    assert _event_of(db_session, x.id) != _event_of(db_session, y.id)


def test_other_kinds_are_not_clustered(db_session: Session) -> None:
    article(db_session, "people", "o", *STORIES["blast"], at(20, 10), kind="other")
    article(db_session, "people", "u", *STORIES["wages"], at(20, 10), kind=None)
    assert cluster_articles(db_session, ClusterParams()).articles == 0


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [
        ("320281", "320200", True),  # 江阴 inside 无锡
        ("320281", "320000", True),  # inside 江苏
        ("320281", None, True),  # unknown never blocks
        ("320281", "320282", False),  # 宜兴: a sibling county
        ("320200", "320300", False),  # 无锡 vs 徐州
    ],
)
def test_cities_compatible(a: str, b: str | None, ok: bool) -> None:
    assert cities_compatible(a, b) is ok


def test_normalise_drops_punctuation_and_wrappers() -> None:
    assert normalise("原标题：江阴　化工厂，爆炸！") == "江阴化工厂爆炸"


def test_pairwise_decision_on_story_variants() -> None:
    p = ClusterParams()
    s = Signer(p)
    blast, reprint, mooncake = (s.sign(*STORIES[k]) for k in ("blast", "blast_reprint", "mooncake"))
    m = compare(blast, reprint, p, same_city_known=True)
    assert m is not None and m.rule in {"reprint", "containment"}
    assert compare(blast, mooncake, p, same_city_known=True) is None


def _bdci(shared_dir: Path) -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    base = shared_dir / "corpus" / "bdci2019_news_sentiment"
    for name in ("train.csv.gz", "dev.csv.gz", "test.csv.gz"):
        with gzip.open(base / name) as fh:
            for r in csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8")):
                rows.setdefault(r["id"], (r["title"], r["content"]))
    return rows


@pytest.mark.slow
def test_precision_recall_on_real_reprint_pairs(shared_dir: Path) -> None:
    """Cluster the labelled items among 5,000 other BDCI items (one time, no cities: the hardest setting: every
    template and spam page can chain) and score the labelled pairs. The full-corpus run is in docs/events.md."""
    everything = _bdci(shared_dir)
    pairs = [
        line.rstrip("\n").split("\t")
        for line in PAIRS.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith(("#", "id_a"))
    ]
    wanted = {k for a, b, _ in pairs for k in (a, b)}
    rows = {k: v for n, (k, v) in enumerate(everything.items()) if k in wanted or n < 5000}
    index = ClusterIndex(ClusterParams())
    when = at(1, 0)
    assign: dict[str, int] = {}
    for n, (key, (title, body)) in enumerate(rows.items()):
        sig = index.signer.sign(title, body)
        hit = index.find(sig, None, when)
        if hit is None:
            index.add_event(EventState(n, [sig], None, when, when))
            assign[key] = n
        else:
            index.attach(hit[0], sig, when, None, hit[1])
            assign[key] = hit[0]
    tp = fp = fn = 0
    for a, b, label in pairs:
        same = assign[a] == assign[b]
        tp += same and label == "1"
        fp += same and label == "0"
        fn += (not same) and label == "1"
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    # Floors pinned from the tuning run (P 0.72, R 0.79 on 78 pairs); they only move up.
    assert precision >= 0.68, (precision, recall)
    assert recall >= 0.75, (precision, recall)
