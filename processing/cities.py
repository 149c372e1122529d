"""City of each stored article, as the event stages read it from its attributions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from models import CityAttribution


def article_cities(session: Any, article_ids: Iterable[int]) -> dict[int, str]:
    """The strongest city attribution of each article (county before prefecture before province on ties)."""
    level_rank = {"county": 2, "prefecture": 1, "province": 0}
    best: dict[int, tuple[float, int, str]] = {}
    ids = list(article_ids)
    for i in range(0, len(ids), 500):
        for ca in session.scalars(
            select(CityAttribution).where(CityAttribution.article_id.in_(ids[i : i + 500]))
        ):
            key = (ca.weight, level_rank.get(ca.level, 0), ca.division_code)
            if ca.article_id not in best or key > best[ca.article_id]:
                best[ca.article_id] = key
    return {aid: v[2] for aid, v in best.items()}
