"""Peer sets, tie-aware ranks and the reconciliation of a total with its parts.

A leader reads a rank as "among cities like us". A model therefore ranks each city only within its **peer set**:
the cities of the same administrative level (prefecture-level cities, or county-level units) within the model's
scope (the province, or the nation). A county-level city such as 江阴 (320281) is never ranked among prefectures;
it is ranked among the county-level units of its province when the model ranks that level, and not at all otherwise.

Inside a peer set the engine's rule applies (`scoring.engine.rank_results`): two-decimal totals, competition ranking,
ties share the better rank. A tie is shown as a tie (并列第 n), and a rank movement is reported only when both months
were ranked in the same peer set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TypeVar

from nlp.gazetteer import Gazetteer, get_gazetteer
from scoring.datatypes import CityResult
from scoring.engine import rank_results
from scoring.model import IndexModel

LEVEL_LABELS = {"prefecture": "设区市", "county": "县（市、区）"}
T = TypeVar("T")


@dataclass(frozen=True)
class PeerSet:
    """Who a city is ranked with: `key` is stored with the score, `label` is what a reader sees."""

    key: str  # "<scope code>:<level>", e.g. "320000:prefecture" or "nation:county"
    label: str  # e.g. "江苏省设区市"


def peer_set_of(code: str, model: IndexModel, gazetteer: Gazetteer | None = None) -> PeerSet | None:
    """The peer set `model` ranks the division `code` in, or None when the model does not rank its level."""
    g = gazetteer or get_gazetteer()
    d = g.get(code)
    if d is None or d.level not in model.ranking.levels:
        return None
    if model.ranking.scope == "province":
        province = g.get(d.province_code)
        scope_code, scope_label = d.province_code, (province.name if province else d.province_code)
    else:
        scope_code, scope_label = "nation", "全国"
    level_label = LEVEL_LABELS.get(d.level, d.level)
    return PeerSet(f"{scope_code}:{d.level}", f"{scope_label}{level_label}")


def rank_in_peer_sets(
    results: Sequence[CityResult], model: IndexModel, gazetteer: Gazetteer | None = None
) -> list[CityResult]:
    """Rank each result within its peer set; a city whose level the model does not rank keeps rank None.

    The output lists peer sets in order of their first member's division code, each ranked then by code, and the
    unranked cities last."""
    groups: dict[str, list[CityResult]] = defaultdict(list)
    labels: dict[str, str] = {}
    unranked: list[CityResult] = []
    for r in results:
        ps = peer_set_of(r.division_code, model, gazetteer)
        if ps is None:
            unranked.append(replace(r, rank=None, peers=None, peer_set=None, peer_set_label=None))
            continue
        groups[ps.key].append(r)
        labels[ps.key] = ps.label
    out: list[CityResult] = []
    for key in sorted(groups, key=lambda k: min(r.division_code for r in groups[k])):
        for r in rank_results(groups[key]):
            out.append(replace(r, peer_set=key, peer_set_label=labels[key]))
    out.extend(sorted(unranked, key=lambda r: r.division_code))
    return out


def group_by_peer_set(
    items: Sequence[T], peer_set: Callable[[T], str | None], rank: Callable[[T], int | None]
) -> list[tuple[str | None, list[tuple[T, bool]]]]:
    """Stored scores grouped by peer set (in order of first appearance; unranked last), each item with whether its
    rank is shared — so a page never lists cities of different peer sets in one ranking."""
    groups: dict[str | None, list[T]] = defaultdict(list)
    for item in items:
        groups[peer_set(item)].append(item)
    keys = sorted(groups, key=lambda k: k is None)
    out: list[tuple[str | None, list[tuple[T, bool]]]] = []
    for key in keys:
        ranks = [rank(i) for i in groups[key]]
        out.append((key, [(i, tied(rank(i), ranks)) for i in groups[key]]))
    return out


def tied(rank: int | None, ranks: Sequence[int | None]) -> bool:
    """Whether another member of the peer set holds the same rank."""
    return rank is not None and sum(1 for r in ranks if r == rank) > 1


def rank_label(rank: int | None, is_tied: bool) -> str:
    """第 n 位, or 并列第 n 位 for a shared rank; 未排名 when the city is not ranked."""
    if rank is None:
        return "未排名"
    return f"并列第{rank}位" if is_tied else f"第{rank}位"


def rank_movement(
    rank: int | None, previous_rank: int | None, same_peer_set: bool, total_changed: bool, peers_changed: bool
) -> int | None:
    """Places gained since last month (positive = up), or None when the two ranks cannot be compared.

    Ranks are comparable only within the same peer set. When neither this city's total nor any peer's total moved,
    the rank cannot have moved either: a difference then comes from a changed tie-break, not from the city, and is
    reported as 0."""
    if rank is None or previous_rank is None or not same_peer_set:
        return None
    if not total_changed and not peers_changed:
        return 0
    return previous_rank - rank


# ------------------------------------------------------------------------------------------------ reconciliation


@dataclass(frozen=True)
class ReconciliationLine:
    code: str  # aspect code, "BASE", "CLIP" (the model's min/max) or "VETO"
    name: str
    value: float  # two decimals; the lines add up to the total exactly


def _cents(x: float) -> int:
    return int(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


def reconcile(
    base: float, parts: Sequence[tuple[str, str, float]], total: float, vetoed: bool = False
) -> tuple[ReconciliationLine, ...]:
    """Lines (base, each part, and a clip or veto line when the model applied one) in two decimals whose sum is
    exactly `total` (two decimals), so a reader can add them up.

    Each part is rounded to two decimals; the rounding residue of the sum (a cent or two) is given to the parts with
    the largest discarded remainders (largest-remainder method), so no part moves by more than one cent. A clip to
    the model's band or a veto is its own line, never hidden in a part."""
    lines = [ReconciliationLine("BASE", "基础分", _cents(base) / 100)]
    exact = [(code, name, value) for code, name, value in parts]
    raw_sum = base + sum(v for _, _, v in exact)
    total_cents = _cents(total)
    target_cents = _cents(raw_sum)
    # Adjust the parts so that they add up to the unclipped raw sum at two decimals.
    floors = [int(Decimal(repr(v * 100)).to_integral_value(rounding=ROUND_FLOOR)) for _, _, v in exact]
    remainders = [v * 100 - f for (_, _, v), f in zip(exact, floors, strict=True)]
    short = target_cents - _cents(base) - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-remainders[i], i))
    cents = list(floors)
    for i in order[: max(0, min(short, len(exact)))]:
        cents[i] += 1
    for (code, name, _), c in zip(exact, cents, strict=True):
        lines.append(ReconciliationLine(code, name, c / 100))
    residue = total_cents - _cents(base) - sum(cents)
    if residue:
        code, name = ("VETO", "一票否决") if vetoed else ("CLIP", "超出指数区间的部分")
        lines.append(ReconciliationLine(code, name, residue / 100))
    return tuple(lines)


def reconciliation_of(
    base: float | None, aspects: Mapping[str, Mapping[str, object]], total: float, vetoed: bool = False
) -> tuple[ReconciliationLine, ...]:
    """`reconcile` over a stored `IndexScore.aspects` JSON ({code: {name, contribution, ...}})."""
    parts: list[tuple[str, str, float]] = []
    for code, a in aspects.items():
        c = a.get("contribution")
        if isinstance(c, int | float) and not isinstance(c, bool):
            parts.append((str(code), str(a.get("name") or code), float(c)))
    return reconcile(base or 0.0, parts, total, vetoed)
