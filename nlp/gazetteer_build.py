"""Builds `nlp/data/divisions.csv` from the statistics-bureau division tables (modood/Administrative-divisions-of-China,
WTFPL, shipped in ../shared/corpus/admin_divisions_modood). Run: `python -m nlp.gazetteer_build`.

Only province, prefecture and county levels are kept. Municipalities (北京, 天津, 上海, 重庆) act as their own
prefecture: their districts hang directly under the province-level code, as the monitor ranks them as cities.

The tables hold today's divisions only, no history, so former names (密云县 → 密云区, 襄樊 → 襄阳) come from the
hand-kept `nlp/data/places/old_names.tsv`, which `nlp.gazetteer` checks against the table this module writes.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

from config.paths import shared_dir

OUT = Path(__file__).resolve().parent / "data" / "divisions.csv"
MUNICIPALITIES = {"11", "12", "31", "50"}
# 市辖区 / 县 placeholders and 省直辖县级行政区划 are groupings, not places.
PLACEHOLDER_PREFECTURES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def _rows(name: str) -> list[dict[str, str]]:
    path = shared_dir() / "corpus" / "admin_divisions_modood" / "dist" / f"{name}.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(io.StringIO(fh.read())))


def build() -> list[tuple[str, str, str, str]]:
    """(code, name, level, parent_code) for every province, prefecture and county-level unit."""
    out: list[tuple[str, str, str, str]] = []
    for p in _rows("provinces"):
        out.append((p["code"] + "0000", p["name"], "province", ""))
    for c in _rows("cities"):
        if c["name"] in PLACEHOLDER_PREFECTURES or c["provinceCode"] in MUNICIPALITIES:
            continue
        out.append((c["code"] + "00", c["name"], "prefecture", c["provinceCode"] + "0000"))
    prefectures = {code for code, _, level, _ in out if level == "prefecture"}
    for a in _rows("areas"):
        if a["code"] in prefectures:  # 东莞, 中山, 儋州, 嘉峪关: cities without counties list themselves
            continue
        city = a["cityCode"] + "00"
        parent = city if city in prefectures else a["provinceCode"] + "0000"
        out.append((a["code"], a["name"], "county", parent))
    return out


def main() -> None:
    rows = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name", "level", "parent_code"])
        w.writerows(rows)
    print(f"wrote {len(rows)} divisions to {OUT.name}")


if __name__ == "__main__":
    main()
