"""Corrections made where staff see the mistake: an article in the review queue or a whole event on its page.

Every correction of an article becomes a training label (`labels`, read by `nlp.training.extra_labels` at the next
`creditwatch train`), the article's current classification ('manual') and, for a city, a manual attribution that
replaces the matcher's guesses. An event correction does that for each of its articles, re-votes the event, records
each changed field in `event_corrections` (who, when, before, after) and re-scores the affected months at once, so
offsets, the provisional index and the ranks are right before the nightly run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import (
    CityAttribution,
    Classification,
    Division,
    Event,
    EventArticle,
    EventCorrection,
    EventStatus,
    EventStatusChange,
    Label,
    now,
)
from models import vocabulary as vocab
from nlp.gazetteer import Division as GazDivision
from nlp.gazetteer import get_gazetteer

_CODE = re.compile(r"^\d{6}$")
_LABEL_TAIL = re.compile(r"[（(][^）)]*[）)]\s*$")


class CorrectionError(ValueError):
    """A correction that cannot be applied; the message says why, in Chinese."""


def city_label(d: GazDivision) -> str:
    """江阴市 (无锡): a county-level unit with the prefecture it belongs to, so same-named places are told apart."""
    g = get_gazetteer()
    parent = g.get(d.parent_code) if d.parent_code else None
    if d.level == "county" and parent is not None:
        return f"{d.name} ({parent.short or parent.name})"
    if d.level == "prefecture" and parent is not None:
        return f"{d.name} ({parent.short or parent.name})"
    return d.name


def find_city(text: str) -> GazDivision:
    """The city a person typed: a Chinese name or short name (江阴, 江阴市), a label from the list (江阴市 (无锡)) or a
    6-digit code. Raises CorrectionError naming the candidates when the name is shared."""
    g = get_gazetteer()
    wanted = _LABEL_TAIL.sub("", text.strip()).strip()
    if not wanted:
        raise CorrectionError("请输入城市名称")
    if _CODE.match(wanted):
        d = g.get(wanted)
        if d is None or d.level == "province":
            raise CorrectionError(f"没有代码为 {wanted} 的城市")
        return d
    found = [d for d in g.lookup(wanted) if d.level != "province"]
    if text.strip() != wanted:  # a label: the bracket names the parent, which picks among same-named places
        hint = text.strip()[len(wanted) :].strip(" ()（）")
        narrowed = [d for d in found if d.parent_code and hint in city_label(d)]
        found = narrowed or found
    if not found:
        raise CorrectionError(f"没有名为「{wanted}」的城市")
    if len(found) > 1:
        raise CorrectionError(
            f"「{wanted}」对应多个地区：{'、'.join(city_label(d) for d in found)}，请选择其一"
        )
    return found[0]


def city_choices(codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, label) for the cities offered in a form's list."""
    g = get_gazetteer()
    out = []
    for code in dict.fromkeys(codes):
        d = g.get(code)
        if d is not None:
            out.append((code, city_label(d)))
    return out


def correct_article(
    db: Session,
    article_id: int,
    user: str,
    kind: str,
    domain: str | None,
    subdomain: str | None,
    division: Division | None,
    note: str | None = None,
) -> None:
    """One article's correction: a training label, the current classification ('manual'), a manual city."""
    db.add(
        Label(
            article_id=article_id,
            kind=kind,
            domain=domain,
            subdomain=subdomain,
            division_code=division.code if division else None,
            labelled_by=user,
            note=note,
        )
    )
    db.execute(update(Classification).where(Classification.article_id == article_id).values(is_current=False))
    manual = db.scalars(
        select(Classification).where(
            Classification.article_id == article_id, Classification.model_version == "manual"
        )
    ).first()
    if manual is None:
        manual = Classification(article_id=article_id, model_version="manual")
        db.add(manual)
    manual.kind, manual.domain, manual.subdomain = kind, domain, subdomain
    manual.confidence, manual.is_current, manual.created_at = 1.0, True, now()
    if division is not None:
        # The person's city replaces what the text matcher guessed (the guesses can be recomputed from the text;
        # their codes stay in the evidence so the correction is auditable).
        replaced = db.scalars(
            select(CityAttribution).where(
                CityAttribution.article_id == article_id,
                CityAttribution.division_code != division.code,
                CityAttribution.method != "manual",
            )
        ).all()
        was = "、".join(sorted(a.division_code for a in replaced))
        for guess in replaced:
            db.delete(guess)
        # an earlier manual city of another place is replaced too: the newest correction wins
        for old in db.scalars(
            select(CityAttribution).where(
                CityAttribution.article_id == article_id,
                CityAttribution.division_code != division.code,
                CityAttribution.method == "manual",
            )
        ).all():
            db.delete(old)
        attribution = db.scalars(
            select(CityAttribution).where(
                CityAttribution.article_id == article_id, CityAttribution.division_code == division.code
            )
        ).first()
        if attribution is None:
            attribution = CityAttribution(article_id=article_id, division_code=division.code)
            db.add(attribution)
        attribution.level, attribution.weight, attribution.method = division.level, 1.0, "manual"
        attribution.evidence = f"人工更正（{user}）" + (f"，替换自动归属 {was}" if was else "")


@dataclass(frozen=True)
class EventChange:
    field: str
    before: str | None
    after: str | None


def _snapshot(ev: Event) -> dict[str, str | None]:
    return {
        "kind": ev.kind,
        "domain": ev.domain,
        "subdomain": ev.subdomain,
        "city": ev.division_code,
        "major": "是" if ev.status == EventStatus.MAJOR else "否",
    }


def correct_event(
    db: Session,
    event_id: int,
    user: str,
    *,
    kind: str,
    domain: str | None,
    subdomain: str | None,
    city: str | None,
    major: bool,
    cities: Sequence[str],
    model_name: str,
) -> list[EventChange]:
    """Apply a person's correction to every article of the event, re-vote it, set the major flag, audit each
    changed field and re-score the months it touches. Raises CorrectionError (nothing written) on bad input."""
    from processing.classify import revote_events_of

    ev = db.get(Event, event_id)
    if ev is None:
        raise CorrectionError("事件不存在")
    if kind not in vocab.KIND_LABELS:
        raise CorrectionError("类别无效")
    dom = None if kind == "other" else domain
    if kind != "other" and dom not in vocab.DOMAIN_LABELS:
        raise CorrectionError("请选择领域")
    division = None
    if city and city.strip():
        found = find_city(city)
        division = db.get(Division, found.code)
        if division is None:
            raise CorrectionError(f"城市 {found.name} 不在行政区划表中")
    before = _snapshot(ev)
    old_city = ev.division_code
    article_ids = list(db.scalars(select(EventArticle.article_id).where(EventArticle.event_id == ev.id)))
    sub = (subdomain or "").strip()[:32] or None
    for aid in article_ids:
        correct_article(db, aid, user, kind, dom, sub, division, note=f"事件 #{ev.id} 页面更正")
    db.flush()
    revote_events_of(db, article_ids)
    db.flush()
    db.refresh(ev)
    at = now()
    wanted = EventStatus.MAJOR if major else EventStatus.NORMAL
    if ev.status != wanted:
        db.add(
            EventStatusChange(
                event_id=ev.id,
                at=at,
                old_status=ev.status.value,
                new_status=wanted.value,
                reason=f"人工更正（{user}）",
            )
        )
        ev.status = wanted
        # a major event counts in the month it happened (scoring.inputs windows on major_since), not the month
        # someone flagged it: a manual flag dates from the first sighting
        ev.major_since = ev.first_seen if major else None
        ev.major_reason = f"人工认定（{user}）" if major else None
    after = _snapshot(ev)
    changes = [EventChange(f, before[f], after[f]) for f in before if before[f] != after[f]]
    for c in changes:
        db.add(
            EventCorrection(
                event_id=ev.id,
                field=c.field,
                before=c.before,
                after=c.after,
                corrected_by=user,
                corrected_at=at,
            )
        )
    db.flush()
    if changes:
        months = {ev.first_seen.strftime("%Y-%m"), now().strftime("%Y-%m")}
        rescore_now(db, months, [*cities, old_city, ev.division_code], model_name)
    return changes


def rescore_now(db: Session, months: Iterable[str], cities: Sequence[str | None], model_name: str) -> int:
    """Score `cities` (the configured ones and any city a correction moved an event from or to) for `months` and
    store the results: the provisional index, offsets and ranks follow a correction at once. Returns rows stored."""
    from scoring.model import load_model
    from scoring.store import compute_month, store_results

    model = load_model(model_name)
    wanted = list(dict.fromkeys(c for c in cities if c))
    stored = 0
    for month in sorted(set(months)):
        stored += store_results(db, compute_month(db, model, month, wanted))
    return stored


def corrections_of(db: Session, event_id: int) -> list[EventCorrection]:
    return list(
        db.scalars(
            select(EventCorrection)
            .where(EventCorrection.event_id == event_id)
            .order_by(EventCorrection.corrected_at.desc(), EventCorrection.id.desc())
        )
    )
