"""The evidence bundle of a major event: the archived homepage and ranking snapshots and article pages that
prove it, each checked against its sha256, with the capture time, in a zip with a manifest."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from models import Event, Fetch
from monitor.events_view import event_view
from processing.incidents import event_articles, homepage_sightings, ranking_sightings
from storage.repository import fetch_body


@dataclass(frozen=True)
class EvidenceItem:
    role: str  # homepage | ranking | article
    site: str | None
    url: str
    captured_at: str  # ISO 8601, +08:00
    sha256: str
    size: int
    fetch_id: int
    file: str  # path inside the zip
    detail: str  # position/block, list/rank, or title


def collect_evidence(session: Session, event_id: int) -> list[tuple[EvidenceItem, bytes]]:
    """Every archived fetch behind the event's sightings and articles, verified (ValueError on a mismatch)."""
    ev = session.get(Event, event_id)
    if ev is None:
        raise LookupError(f"no event {event_id}")
    wanted: list[tuple[str, int | None, str | None, str]] = []
    for h in homepage_sightings(session, event_id):
        wanted.append(
            ("homepage", h.fetch_id, h.site_name, f"position {h.position}, block {h.block}: {h.title}")
        )
    for r in ranking_sightings(session, event_id):
        wanted.append(("ranking", r.fetch_id, r.site_name, f"{r.list_name} rank {r.rank}: {r.title}"))
    for a in event_articles(session, event_id):
        wanted.append(("article", a.fetch_id, a.site.name if a.site else None, a.title))
    out: list[tuple[EvidenceItem, bytes]] = []
    seen: set[int] = set()
    for role, fetch_id, site, detail in wanted:
        if fetch_id is None or fetch_id in seen:
            continue
        f = session.get(Fetch, fetch_id)
        if f is None:
            continue
        seen.add(fetch_id)
        body = fetch_body(f)  # raises if the archive does not match its sha256
        name = f"{role}/{f.fetched_at.strftime('%Y%m%dT%H%M%S')}_{fetch_id}_{f.sha256[:12]}.html"
        item = EvidenceItem(
            role,
            site,
            f.url,
            f.fetched_at.isoformat(timespec="seconds"),
            f.sha256,
            len(body),
            fetch_id,
            name,
            detail,
        )
        out.append((item, body))
    return out


def export_evidence(session: Session, event_id: int, out: Path) -> Path:
    """Write the bundle: manifest.json (event, reason, items with sha256) and the archived bytes."""
    items = collect_evidence(session, event_id)
    view = event_view(session, event_id)
    manifest = {
        "event": {
            "id": view.id,
            "title": view.title,
            "kind": view.kind,
            "status": view.status,
            "city": view.division_code,
            "city_name": view.city_name,
            "first_seen": view.first_seen.isoformat(timespec="seconds"),
            "major_since": view.major_since.isoformat(timespec="seconds") if view.major_since else None,
            "major_reason": view.major_reason,
            "sites": view.sites,
        },
        "items": [asdict(i) for i, _ in items],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for item, body in items:
            assert hashlib.sha256(body).hexdigest() == item.sha256
            z.writestr(item.file, body)
        z.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return out
