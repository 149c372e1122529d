"""`creditwatch process`: the processing run the scheduler and the demo call after each crawl.

Classify and locate new articles → cluster them into events → apply the major-incident rule → link government
feedback → queue alerts. Each step commits on its own, so a crash keeps what the earlier steps stored and a re-run
continues (every step is idempotent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session

from models import Article, Classification
from storage.db import session_scope


def has_unclassified(session: Session) -> bool:
    """Whether any stored article lacks a current classification (one indexed EXISTS, no model needed)."""
    current = select(Classification.article_id).where(
        Classification.article_id == Article.id, Classification.is_current
    )
    return bool(session.scalar(select(exists(select(Article.id).where(~exists(current))))))


STEPS = ("分类", "聚类", "重大事件认定", "政府反馈关联", "告警排队")


def run_pipeline(
    engine: Engine | None = None,
    *,
    classifier: Any = None,
    queue: bool = True,
    reclassify: bool = False,
    step: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every processing step once; returns counts per step (`reclassify`: see processing.classify.process_articles).
    `step`, when given, is called with each step's name (STEPS) as it starts: the CLI's progress bar."""
    step = step or (lambda _name: None)
    from monitor.alerts.outbox import queue_alerts
    from processing.classify import process_articles
    from processing.clustering import cluster_articles
    from processing.feedback import link_feedback
    from processing.incidents import detect_major

    out: dict[str, Any] = {}
    step(STEPS[0])
    with session_scope(engine) as s:
        # Loading the classifier takes seconds; a run after a crawl that found nothing new must not pay it.
        # A re-classification needs the model's version to know what is stale, so it always loads it.
        if classifier is None and not reclassify and not has_unclassified(s):
            out.update(classified=0, institutions=0, model_version=None)
        else:
            r = process_articles(s, classifier, reclassify=reclassify)
            out["classified"] = r.classified
            if reclassify:
                out["reclassified_changed"] = r.changed
                out["events_revoted"] = r.events_revoted
            out["institutions"] = r.institutions
            out["model_version"] = r.model_version
    step(STEPS[1])
    with session_scope(engine) as s:
        c = cluster_articles(s)
        out["clustered"] = c.articles
        out["new_events"] = c.new_events
    step(STEPS[2])
    with session_scope(engine) as s:
        out["new_major"] = [ch.event_id for ch in detect_major(s)]
    step(STEPS[3])
    with session_scope(engine) as s:
        out["feedback_links"] = len(link_feedback(s))
    if queue:
        step(STEPS[4])
        with session_scope(engine) as s:
            out["alerts_queued"] = len(queue_alerts(s))
    return out


def summary_text(out: dict[str, Any]) -> str:
    """One line in Chinese of what `run_pipeline` did, step by step (the console's 运行状态 page shows it; the CLI
    prints the counts themselves)."""
    institutions = out.get("institutions") or 0
    parts = [
        f"{STEPS[0]}：{out.get('classified', 0)} 篇"
        + (f"，登记信用制度 {institutions} 项" if institutions else "")
    ]
    if "reclassified_changed" in out:
        parts[0] += (
            f"，类别改变 {out['reclassified_changed']} 篇，重新表决事件 {out.get('events_revoted', 0)} 个"
        )
    parts.append(f"{STEPS[1]}：{out.get('clustered', 0)} 篇，新事件 {out.get('new_events', 0)} 个")
    major = list(out.get("new_major") or [])
    shown = "、".join(f"#{i}" for i in major[:10]) + ("等" if len(major) > 10 else "")
    parts.append(f"{STEPS[2]}：新增 {len(major)} 个" + (f"（{shown}）" if major else ""))
    parts.append(f"{STEPS[3]}：{out.get('feedback_links', 0)} 条")
    if "alerts_queued" in out:
        parts.append(f"{STEPS[4]}：{out['alerts_queued']} 条")
    return "；".join(parts)
