"""City attribution of portal records: authority or court name, the credit code's division, or the address.

The most specific division named wins (江苏省江阴市人民法院 → 江阴市 320281, not 江苏省); a name shared by several
divisions (鼓楼区) is kept only when the text also names its province or prefecture. Every piece of evidence found is
recorded, so a disagreement (a 无锡 company fined in 苏州) stays visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from crawlers.portals.records import is_valid_uscc
from nlp.gazetteer import Division, Gazetteer, get_gazetteer

_LEVEL_RANK = {"province": 0, "prefecture": 1, "county": 2}
# Two-character full names that are too generic to stand alone inside authority names.
_SKIP_NAMES = {"城区", "郊区", "矿区", "新区"}


@dataclass(frozen=True, slots=True)
class Attribution:
    """A division code with the evidence for it (`region_evidence` in storage)."""

    code: str | None
    evidence: str


class _Matcher:
    """Finds division names in a text by scanning every start position against a dict of names (fast enough for
    tens of thousands of records; no regex of 3,000 alternatives)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer
        self.full: dict[str, list[Division]] = {}
        self.alias: dict[str, list[Division]] = {}
        for d in gazetteer.all():
            # Generic names (城区, 矿区) count only under a place named in full, like short forms.
            (self.alias if d.name in _SKIP_NAMES else self.full).setdefault(d.name, []).append(d)
            for a in d.aliases:
                if len(a) >= 2:
                    self.alias.setdefault(a, []).append(d)
        self.maxlen = max(len(n) for n in self.full)

    def _scan(self, text: str, table: dict[str, list[Division]]) -> list[tuple[int, int, list[Division]]]:
        found: list[tuple[int, int, list[Division]]] = []
        i = 0
        while i < len(text):
            hit = None
            for n in range(min(self.maxlen, len(text) - i), 1, -1):  # longest name first
                ds = table.get(text[i : i + n])
                if ds:
                    hit = (i, n, ds)
                    break
            if hit:
                found.append(hit)
                i += hit[1]
            else:
                i += 1
        return found

    def divisions(self, text: str) -> list[Division]:
        """The divisions named in `text`, ambiguous names resolved by the others named beside them."""
        hits = self._scan(text, self.full)
        if not hits:
            # Short forms only when no full name is present: 江阴法院, 无锡中院.
            hits = self._scan(text, self.alias)
        else:
            # …or when they sit under a place named in full: 无锡市江阴生态环境局, 苏州市吴江区…
            covered = {i for start, n, _ in hits for i in range(start, start + n)}
            full_codes = {d.code for _, _, ds in hits for d in ds}
            for start, n, ds in self._scan(text, self.alias):
                if covered & set(range(start, start + n)):
                    continue
                under = [d for d in ds if any(a.code in full_codes for a in self.g.ancestors(d.code))]
                if under:
                    hits.append((start, n, under))
        named = {d.code for _, _, ds in hits for d in ds}
        out: list[Division] = []
        for _, _, ds in hits:
            if len(ds) == 1:
                out.append(ds[0])
                continue
            # Keep the candidate under the most specific other place named (石家庄市桥西区, not 张家口's).
            depth = {
                d.code: max(
                    (_LEVEL_RANK[a.level] for a in self.g.ancestors(d.code) if a.code in named), default=-1
                )
                for d in ds
            }
            top = max(depth.values())
            ctx = [d for d in ds if depth[d.code] == top]
            if top >= 0 and len(ctx) == 1:
                out.append(ctx[0])
        return out


@lru_cache(maxsize=1)
def _matcher() -> _Matcher:
    return _Matcher(get_gazetteer())


def division_in_text(text: str | None) -> Division | None:
    """The most specific division named in `text`; None when nothing is found or two different places of the
    same level are named."""
    if not text:
        return None
    m = _matcher()
    ds = m.divisions(text)
    if not ds:
        return None
    top = max(_LEVEL_RANK[d.level] for d in ds)
    deepest = {d.code: d for d in ds if _LEVEL_RANK[d.level] == top}
    if len(deepest) > 1:
        return None  # e.g. "江阴市 … 宜兴市": two places at the same level; do not guess
    return next(iter(deepest.values()))


def division_of_credit_code(code: str | None) -> Division | None:
    """The registration authority's division from characters 3–8 of a valid unified social credit code; a code
    the gazetteer lacks (development zones, retired codes) falls back to its prefecture, then its province."""
    if not code or not is_valid_uscc(code):
        return None
    g = get_gazetteer()
    div = code[2:8]
    for candidate in (div, div[:4] + "00", div[:2] + "0000"):
        d = g.get(candidate)
        if d is not None:
            return d
    return None


def attribute(
    *,
    authority: str | None = None,
    court: str | None = None,
    credit_code: str | None = None,
    address: str | None = None,
) -> Attribution:
    """The record's division, first from the authority or court, then the credit code, then the address. A later
    source inside the chosen division refines it (无锡市市场监督管理局 fining a company registered in 江阴 → 江阴);
    one in another branch is only recorded as disagreeing."""
    g = get_gazetteer()
    found: list[tuple[str, Division]] = []
    for label, text in (("authority", authority), ("court", court)):
        d = division_in_text(text)
        if d is not None:
            found.append((f"{label} {text!r} → {d.code} {d.name}", d))
    c = division_of_credit_code(credit_code)
    if c is not None:
        exact = c.code == (credit_code or "")[2:8]
        how = "" if exact else f" (code {credit_code[2:8] if credit_code else ''} not in gazetteer: nearest)"
        found.append((f"credit code {credit_code} chars 3-8 → {c.code} {c.name}{how}", c))
    a = division_in_text(address)
    if a is not None:
        found.append((f"address {address!r} → {a.code} {a.name}", a))
    if not found:
        return Attribution(None, "no division found in authority, court, credit code or address")
    pieces = [text for text, _ in found]
    chosen = found[0][1]
    for _, d in found[1:]:
        if chosen.code in {x.code for x in g.ancestors(d.code)}:
            pieces.append(f"refined to {d.code} {d.name} (inside {chosen.name})")
            chosen = d
    if not _same_branch({d.code for _, d in found}):
        pieces.append(f"sources disagree; kept {chosen.code} {chosen.name}")
    return Attribution(chosen.code, "; ".join(pieces))


def _same_branch(codes: set[str]) -> bool:
    g = get_gazetteer()
    deepest = max(codes, key=lambda c: _LEVEL_RANK[g[c].level])
    chain = {deepest, *(a.code for a in g.ancestors(deepest))}
    return codes <= chain
