"""Writing and reading `IndexScore` rows; one month's run (gather → score → rank → store) and the what-if diff."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import get_settings
from models import IndexScore
from models.base import now
from scoring.datatypes import CityResult
from scoring.engine import gc_paused, score_city
from scoring.inputs import gather_inputs
from scoring.model import IndexModel
from scoring.ranking import rank_in_peer_sets
from storage.upsert import upsert_rows


def configured_cities() -> list[str]:
    """The cities `creditwatch score` ranks: the home city, the watched cities and the peers (settings)."""
    return get_settings().scored_cities


def compute_month(session: Session, model: IndexModel, month: str, cities: Sequence[str]) -> list[CityResult]:
    """Gather inputs from the database, score `cities` for `month` and rank each within its peer set (nothing is
    written)."""
    inputs = gather_inputs(session, model, month, cities)
    with gc_paused():
        return rank_in_peer_sets([score_city(model, i) for i in inputs], model)


KEY = ("model_name", "model_version", "division_code", "month")
UPDATED = ("total", "rank", "aspects", "details", "assumptions", "computed_at")
BATCH = 500  # rows per INSERT … ON CONFLICT statement (11 columns: well under SQLite's variable limit)


def store_results(
    session: Session, results: Sequence[CityResult], computed_at: datetime | None = None
) -> int:
    """Upsert one row per (model, version, city, month): re-scoring replaces, never duplicates.

    Batched multi-row INSERT … ON CONFLICT DO UPDATE (SQLite and PostgreSQL): a national run stores ~40,000 rows.
    """
    at = computed_at or now()
    # Rows are built a batch at a time: the JSON of a month of every county under a large model is hundreds of MB.
    for i in range(0, len(results), BATCH):
        upsert_rows(session, IndexScore, result_rows(results[i : i + BATCH], at), KEY, UPDATED, batch=BATCH)
    return len(results)


def result_rows(results: Sequence[CityResult], at: datetime) -> list[dict[str, Any]]:
    """The `IndexScore` rows of `results`: this is where the JSON of each result is built, and only here."""
    with gc_paused():  # tens of thousands of small dicts, none in a cycle (see `gc_paused`)
        return [
            {
                "model_name": r.model,
                "model_version": r.version,
                "division_code": r.division_code,
                "month": r.month,
                "total": r.total,
                "rank": r.rank,
                "aspects": r.aspects_json(),
                "details": r.details_json(),
                "assumptions": r.assumptions_json(),
                "computed_at": at,
                "created_at": at,
            }
            for r in results
        ]


def stored_scores(
    session: Session, model_name: str, month: str, version: str | None = None
) -> list[IndexScore]:
    """Stored rows for a model and month (one version, or every version), best rank first."""
    q = select(IndexScore).where(IndexScore.model_name == model_name, IndexScore.month == month)
    if version is not None:
        q = q.where(IndexScore.model_version == version)
    return list(
        session.scalars(q.order_by(IndexScore.model_version, IndexScore.rank, IndexScore.division_code))
    )


@dataclass(frozen=True)
class Change:
    division_code: str
    name: str
    old_total: float | None
    new_total: float
    old_rank: int | None
    new_rank: int | None

    @property
    def delta(self) -> float | None:
        return None if self.old_total is None else round(self.new_total - self.old_total, 2)


def compare(stored: Sequence[IndexScore], results: Sequence[CityResult]) -> list[Change]:
    """What-if: each city's stored total and rank next to the recomputed ones."""
    old = {row.division_code: row for row in stored}
    out = []
    for r in results:
        row = old.get(r.division_code)
        out.append(
            Change(
                r.division_code,
                r.name,
                row.total if row else None,
                r.total,
                row.rank if row else None,
                r.rank,
            )
        )
    return out
