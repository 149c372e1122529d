"""Checks of command-line values before a command touches data: months, and city codes against the gazetteer.

A wrong city code used to be stored as if it were a city; now it is refused with the nearest real divisions
suggested, by code prefix for a mistyped code and by name similarity for a name."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.places import Division
from monitor.cli.errors import CliError

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
FIRST_YEAR, LAST_YEAR = 1990, 2100  # the office's data starts long after 1990; beyond 2100 is a typo
CODE_RE = re.compile(r"^\d{6}$")


def check_month(value: str) -> str:
    m = MONTH_RE.match(value.strip())
    if not m or not FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR:
        raise CliError(f"月份应为 YYYY-MM（年份在 {FIRST_YEAR}–{LAST_YEAR} 之间），收到「{value}」")
    return value.strip()


def _label(d: Division) -> str:
    return f"{d.name}（{d.code}）"


def suggestions(divisions: list[Division], value: str, limit: int = 5) -> list[Division]:
    """The divisions nearest to a wrong `value`: same code prefix for digits, similar names for text."""
    if value.isdigit():
        for width in (4, 2):
            same = [d for d in divisions if d.code.startswith(value[:width])]
            if same:
                # A prefecture's counties before other provinces: closest codes first.
                return sorted(same, key=lambda d: abs(int(d.code) - int(value[:6].ljust(6, "0"))))[:limit]
        close = difflib.get_close_matches(value, [d.code for d in divisions], n=limit, cutoff=0.5)
        by_code = {d.code: d for d in divisions}
        return [by_code[c] for c in close]
    names: dict[str, Division] = {}
    for d in divisions:
        names.setdefault(d.name, d)
        for alias in filter(None, (d.aliases or "").split("|")):
            names.setdefault(alias, d)
    contained = [d for n, d in names.items() if value and (value in n or n in value)]
    similar = [names[n] for n in difflib.get_close_matches(value, list(names), n=limit, cutoff=0.3)]
    return list(dict.fromkeys(contained + similar))[:limit]


def check_cities(session: Session, values: Iterable[str], fallback: Iterable[str] = ()) -> list[str]:
    """Each value as a known division code: a 6-digit code in the gazetteer, or a name or alias naming
    exactly one division. Anything else is refused, naming the nearest divisions (or the `fallback` codes)."""
    divisions = list(session.scalars(select(Division)))
    if not divisions:
        raise CliError("行政区划表为空：请先运行 creditwatch db upgrade", 1)
    by_code = {d.code: d for d in divisions}
    codes: list[str] = []
    for raw in values:
        value = raw.strip()
        if CODE_RE.match(value) and value in by_code:
            codes.append(value)
            continue
        named = {
            d.code for d in divisions if value and (d.name == value or value in (d.aliases or "").split("|"))
        }
        if len(named) == 1:
            codes.append(named.pop())
            continue
        near = suggestions(divisions, value) or [by_code[c] for c in fallback if c in by_code]
        hint = f"；是否要找：{'、'.join(_label(d) for d in near)}" if near else ""
        what = "不是已知的行政区划代码" if value.isdigit() else "不是已知的城市名称或代码"
        if len(named) > 1:
            what = "对应多个行政区划，请用 6 位代码"
            hint = f"：{'、'.join(_label(by_code[c]) for c in sorted(named))}"
        raise CliError(f"城市「{value}」{what}{hint}")
    return list(dict.fromkeys(codes))
