"""The administrative-division gazetteer (GB/T 2260 codes): every province, prefecture and county-level unit.

Loaded lazily from `nlp/data/divisions.csv` (built by `nlp.gazetteer_build` from the statistics-bureau tables).
Aliases are the short forms people write: 江阴 for 江阴市, 广西 for 广西壮族自治区, 延边 for 延边朝鲜族自治州.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

DATA = Path(__file__).resolve().parent / "data" / "divisions.csv"
OLD_NAMES = Path(__file__).resolve().parent / "data" / "places" / "old_names.tsv"

Level = Literal["province", "prefecture", "county"]

# Ethnic names that open the suffix of autonomous units (…族自治州/县/旗): the short name is what precedes them.
_ETHNIC = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 "
    "京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各族"
).split()
_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "新区",
    "省",
    "市",
    "县",
    "区",
    "盟",
    "旗",
)
# Short forms too generic to stand for one place (城区 is in a dozen cities; 市中 in several).
_GENERIC = {
    "城区",
    "郊区",
    "矿区",
    "市中",
    "新区",
    "开发",
    "高新",
    "经济",
    "中区",
    "东区",
    "西区",
    "南区",
    "北区",
}


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    level: Level
    parent_code: str | None
    province_code: str
    short: str
    aliases: tuple[str, ...]

    @property
    def prefecture_code(self) -> str | None:
        """The prefecture-level unit this belongs to (itself for a prefecture; the municipality for its districts)."""
        if self.level == "prefecture":
            return self.code
        if self.level == "county":
            return self.parent_code
        return self.code if self.code[:2] in {"11", "12", "31", "50"} else None


def short_name(name: str) -> str:
    """江阴市 → 江阴, 延边朝鲜族自治州 → 延边, 广西壮族自治区 → 广西; names of two characters stay whole."""
    if "自治" in name:
        cut = min((i for i in (name.find(e) for e in _ETHNIC) if i >= 2), default=-1)
        if cut >= 2:
            return name[:cut]
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True, slots=True)
class FormerName:
    name: str
    code: str  # today's division that covers the place
    year: int  # year of the change
    today: str  # today's name, checked against the division table


class GazetteerError(ValueError):
    """A data file of the gazetteer that contradicts the division table."""


def load_former_names(path: Path = OLD_NAMES) -> list[FormerName]:
    """Former names (密云县, 富阳市, 襄樊) with today's code, from the hand-kept table of changes since 2000."""
    out: list[FormerName] = []
    if not path.exists():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 4 or not parts[2].isdigit():
            raise GazetteerError(f"{path.name}:{n}: expected old, code, year, today; got {line!r}")
        out.append(FormerName(parts[0], parts[1], int(parts[2]), parts[3]))
    return out


class Gazetteer:
    """Lookups by code and by name or alias (former names included: 襄樊 finds 襄阳市)."""

    def __init__(self, divisions: list[Division], former: list[FormerName] | None = None) -> None:
        self._by_code = {d.code: d for d in divisions}
        self._former = {f.name: f for f in former or ()}
        self._children: dict[str, list[Division]] = defaultdict(list)
        self._by_name: dict[str, list[Division]] = defaultdict(list)
        for d in divisions:
            if d.parent_code:
                self._children[d.parent_code].append(d)
            for n in {d.name, *d.aliases}:
                self._by_name[n].append(d)
        for f in self._former.values():
            today = self._by_code.get(f.code)
            if today is None or today.name != f.today:
                raise GazetteerError(f"former name {f.name}: {f.code} is not {f.today}")
            self._by_name[f.name] = [today]  # a former name means today's place only

    @classmethod
    def from_csv(cls, path: Path = DATA) -> Gazetteer:
        rows: list[Division] = []
        with path.open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                short = short_name(r["name"])
                aliases = (short,) if short != r["name"] and short not in _GENERIC else ()
                rows.append(
                    Division(
                        code=r["code"],
                        name=r["name"],
                        level=r["level"],  # type: ignore[arg-type]
                        parent_code=r["parent_code"] or None,
                        province_code=r["code"][:2] + "0000",
                        short=short,
                        aliases=aliases,
                    )
                )
        return cls(rows, load_former_names())

    def former_name(self, name: str) -> FormerName | None:
        """The change record when `name` is a former name (密云县 → 110118, 2015), else None."""
        return self._former.get(name)

    def get(self, code: str) -> Division | None:
        return self._by_code.get(code)

    def __getitem__(self, code: str) -> Division:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"unknown division code {code!r}") from None

    def children(self, code: str) -> list[Division]:
        return list(self._children.get(code, ()))

    def lookup(self, name: str) -> list[Division]:
        """Every division whose full name or alias is exactly `name` (several when the name is shared)."""
        return list(self._by_name.get(name, ()))

    def names(self) -> list[str]:
        """All full names and aliases, for building matchers."""
        return list(self._by_name)

    def all(self) -> list[Division]:
        return list(self._by_code.values())

    def ancestors(self, code: str) -> list[Division]:
        """Parent chain upwards, nearest first."""
        out: list[Division] = []
        d = self._by_code.get(code)
        while d is not None and d.parent_code:
            d = self._by_code.get(d.parent_code)
            if d is not None:
                out.append(d)
        return out

    def __len__(self) -> int:
        return len(self._by_code)


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once per process."""
    return Gazetteer.from_csv()
