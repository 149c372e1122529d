"""Benchmark: score every county- and prefecture-level unit of China for 12 months, per index model.

For each month: the synthetic inputs are built (not timed), the month is scored and ranked (`score_month`: the
figure the ≤ 10 s target is about), then the rows `creditwatch score` stores are built with their JSON and
serialised as the database driver does (`result_rows` + `json.dumps`, timed apart), and the month is dropped.
Times are CPU seconds of this process (user + sys) and wall seconds; on a shared machine compare the CPU figures
and the ratio to the same-run baseline: one city-month scored N times (N = units × months), i.e. the cost with no
variety in the inputs and no ranking. Peak memory is the process's maximum resident set. Inputs are synthetic but
shaped like real ones (counts of articles by kind and domain, portal figures, manual figures, 0–3 major events with
feedback, trust events), seeded for repeatability.

    .venv/bin/python bench/bench_scoring.py [--months 12] [--models jiangsu2016,monitor2019,demo-city] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from datetime import UTC, datetime
from typing import Any

from nlp.gazetteer import get_gazetteer
from scoring.datatypes import (
    CityMonthInputs,
    FeedbackItem,
    MajorEvent,
    TrustEvent,
    month_index,
    month_of_index,
)
from scoring.engine import score_city, score_month
from scoring.metrics import CRAWLED, DOMAINS, KINDS, PORTAL
from scoring.model import IndexModel, load_model
from scoring.store import BATCH, result_rows


def units() -> list[tuple[str, str]]:
    """(code, name) of every prefecture- and county-level division in the shipped gazetteer."""
    return [(d.code, d.name) for d in get_gazetteer().all() if d.level in ("prefecture", "county")]


def synthetic_inputs(
    model: IndexModel, code: str, name: str, month: str, rng: random.Random
) -> CityMonthInputs:
    metrics = dict.fromkeys(CRAWLED, 0.0)
    for kind in KINDS:
        total = 0.0
        for domain in DOMAINS:
            n = float(rng.randint(0, 25 if kind == "trust" else 8))
            metrics[f"articles.{kind}.{domain}"] = n
            total += n
        metrics[f"articles.{kind}"] = total
        metrics[f"events.{kind}"] = float(int(total * 0.6))
    metrics["institution.domains"] = float(rng.randint(0, 4))
    metrics["institution.subdomains"] = float(rng.randint(0, 15))
    if rng.random() < 0.8:  # a fifth of the units have no portal records at all
        for key in PORTAL:
            metrics[key] = float(rng.randint(0, 300))
    now = month_index(month)
    majors = []
    for i in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
        when = month_of_index(now - rng.randint(0, 13))
        fb = tuple(
            FeedbackItem(f"f{i}{j}", "回应", when, delay_hours=rng.uniform(1, 300))
            for j in range(rng.randint(0, 3))
        )
        majors.append(MajorEvent(f"{code}-{i}", "事件", when, rng.choice(DOMAINS), rng.randint(3, 9), fb))
    trust = tuple(
        TrustEvent(f"t{i}", "典型", month_of_index(now - rng.randint(0, 11)))
        for i in range(rng.randint(0, 4))
    )
    manual = {}
    for _aspect, _leaf, field in model.manual_fields():
        if rng.random() < 0.7:
            lo = field.min if field.min is not None else 0.0
            hi = field.max if field.max is not None else 1000.0
            manual[field.code] = rng.uniform(lo, hi)
    return CityMonthInputs(code, month, name, metrics, manual, {}, tuple(majors), trust)


def _clock() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def bench_model(
    model: IndexModel, cities: list[tuple[str, str]], months: list[str], seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    city_months = len(cities) * len(months)
    inputs_s = score_cpu = score_wall = store_cpu = 0.0
    stored = 0
    one: CityMonthInputs | None = None
    at = datetime.now(UTC)
    for m in months:
        t = time.perf_counter()
        inputs = [synthetic_inputs(model, c, n, m, rng) for c, n in cities]
        inputs_s += time.perf_counter() - t
        one = inputs[0]
        cpu, wall = _clock()
        results = score_month(model, inputs)
        cpu2, wall2 = _clock()
        # What `creditwatch score` stores per row, serialised as the database driver serialises a JSON column.
        for i in range(0, len(results), BATCH):  # as `store_results` does, a batch of rows at a time
            for row in result_rows(results[i : i + BATCH], at):
                stored += 1
                for column in ("aspects", "details", "assumptions"):
                    json.dumps(row[column])
        cpu3, _ = _clock()
        score_cpu += cpu2 - cpu
        score_wall += wall2 - wall
        store_cpu += cpu3 - cpu2
        del inputs, results
    assert one is not None

    # The same-run reference: one city-month, N times, one result alive at a time.
    cpu, wall = _clock()
    for _ in range(city_months):
        score_city(model, one)
    base_cpu = time.process_time() - cpu
    return {
        "model": f"{model.name} {model.version}",
        "units": len(cities),
        "months": len(months),
        "city_months": city_months,
        "stored_rows": stored,
        "synthetic_inputs_s": round(inputs_s, 2),
        "score_cpu_s": round(score_cpu, 2),
        "score_wall_s": round(score_wall, 2),
        "score_ms_per_city_month": round(1000 * score_cpu / city_months, 4),
        "rows_json_cpu_s": round(store_cpu, 2),
        "rows_json_ms_per_city_month": round(1000 * store_cpu / city_months, 4),
        "baseline_cpu_s": round(base_cpu, 2),
        "baseline_ms_per_city_month": round(1000 * base_cpu / city_months, 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bench_database(
    cities: list[tuple[str, str]], months: list[str], articles: int, seed: int
) -> dict[str, Any]:
    """The adapter: a temporary SQLite file with `articles` classified, attributed articles spread over the units and
    months (plus events, feedback, institutions, portal records), then gather + score + store every month."""
    import tempfile
    from datetime import datetime, timedelta
    from pathlib import Path

    from sqlalchemy import insert

    import models
    from config.settings import TZ
    from scoring.inputs import month_bounds
    from scoring.store import compute_month, store_results
    from storage.db import make_engine, session_scope

    rng = random.Random(seed)
    tmp = tempfile.TemporaryDirectory()
    engine = make_engine(f"sqlite:///{Path(tmp.name) / 'bench.db'}")
    models.Base.metadata.create_all(engine)
    start, end = month_bounds(months[-1], len(months))
    span = (end - start).total_seconds()
    codes = [c for c, _ in cities]
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        g = get_gazetteer()
        s.execute(insert(models.Division), [
            {"code": d.code, "name": d.name, "level": d.level, "parent_code": d.parent_code, "aliases": ""}
            for d in sorted(g.all(), key=lambda d: {"province": 0, "prefecture": 1, "county": 2}[d.level])
        ])  # fmt: skip
        created = datetime.now(TZ)
        when = [start + timedelta(seconds=rng.uniform(0, span)) for _ in range(articles)]
        s.execute(insert(models.Article), [
            {"id": i + 1, "url": f"http://x.cn/{i}", "title": f"t{i}", "published_at": when[i], "body": "",
             "extractor": "bench", "created_at": created}
            for i in range(articles)
        ])  # fmt: skip
        s.execute(insert(models.Classification), [
            {"article_id": i + 1, "model_version": "bench", "kind": rng.choice((*KINDS, "other")),
             "domain": rng.choice(DOMAINS), "subdomain": rng.choice(("法院", "公共安全", "金融", "医药卫生")),
             "confidence": 0.9, "is_current": True, "created_at": created}
            for i in range(articles)
        ])  # fmt: skip
        s.execute(insert(models.CityAttribution), [
            {"article_id": i + 1, "division_code": rng.choice(codes), "level": "county", "evidence": "", "weight": 1.0,
             "method": "auto"}
            for i in range(articles)
        ])  # fmt: skip
        n_events = articles // 20
        s.execute(insert(models.Event), [
            {"id": i + 1, "title": f"e{i}", "kind": rng.choice(KINDS), "domain": rng.choice(DOMAINS),
             "division_code": rng.choice(codes), "first_seen": when[i], "last_seen": when[i],
             "status": "major" if i % 10 == 0 else "normal", "major_since": when[i] if i % 10 == 0 else None,
             "signature": {}, "created_at": created}
            for i in range(n_events)
        ])  # fmt: skip
        s.execute(insert(models.FeedbackLink), [
            {"event_id": i + 1, "article_id": i + 1, "delay_hours": rng.uniform(1, 300), "score": 1.0,
             "status": "confirmed", "created_at": created}
            for i in range(0, n_events, 20)
        ])  # fmt: skip
        s.execute(insert(models.PortalRecord), [
            {"dedup_key": f"p{i}", "list_kind": rng.choice(("blacklist", "watchlist", "penalty", "permit")),
             "entity_name": f"e{i}", "decided_on": when[i].date(), "region_code": rng.choice(codes),
             "source": "bench", "raw": {}, "is_government": False, "created_at": created}
            for i in range(articles // 2)
        ])  # fmt: skip
    load_s = time.perf_counter() - t0
    model = load_model("jiangsu2016")
    gathered = scored = stored = 0.0
    t_all = time.perf_counter()
    for month in months:
        with session_scope(engine) as s:
            t = time.perf_counter()
            from scoring.inputs import gather_inputs

            inputs = gather_inputs(s, model, month, codes)
            gathered += time.perf_counter() - t
            t = time.perf_counter()
            results = score_month(model, inputs)
            scored += time.perf_counter() - t
            t = time.perf_counter()
            store_results(s, results)
            stored += time.perf_counter() - t
    total = time.perf_counter() - t_all
    _ = compute_month  # same path as `creditwatch score` (gather → score → store), timed by stage here
    engine.dispose()
    tmp.cleanup()
    return {
        "articles": articles,
        "load_s": round(load_s, 1),
        "total_s": round(total, 1),
        "gather_s": round(gathered, 1),
        "score_s": round(scored, 1),
        "store_s": round(stored, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--models", default="jiangsu2016,monitor2019,demo-city")
    parser.add_argument("--last-month", default="2024-06")
    parser.add_argument("--limit", type=int, default=0, help="Only the first N units (quick check).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--db-articles",
        type=int,
        default=0,
        help="Also time the database path (gather + score + store) on SQLite with this many articles.",
    )
    args = parser.parse_args()
    cities = units()
    if args.limit:
        cities = cities[: args.limit]
    last = month_index(args.last_month)
    months = [month_of_index(last - k) for k in reversed(range(args.months))]
    say = (lambda *a, **k: None) if args.json else print
    say(
        f"{len(cities)} units (prefecture + county level) × {len(months)} months ({months[0]} … {months[-1]})"
    )
    reports = []
    for name in [n for n in args.models.split(",") if n and n != "none"]:  # `--models none`: database only
        r = bench_model(load_model(name), cities, months, args.seed)
        reports.append(r)
        full_size = len(units()) * 12
        scale = full_size / r["city_months"]
        projected = r["score_cpu_s"] * scale
        say(f"\n{r['model']}: {r['city_months']} city-months")
        say(f"  score + rank:                {r['score_cpu_s']:7.2f} s CPU ({r['score_wall_s']:.2f} s wall)"
            f"  {r['score_ms_per_city_month']:7.4f} ms/city-month")  # fmt: skip
        say(f"  baseline (1 city-month × N): {r['baseline_cpu_s']:7.2f} s CPU"
            f"              {r['baseline_ms_per_city_month']:7.4f} ms/city-month"
            f"   ratio score / baseline {r['score_cpu_s'] / max(r['baseline_cpu_s'], 1e-9):.2f}")  # fmt: skip
        say(f"  every unit × 12 months ({full_size} city-months): "
            f"{'measured' if r['city_months'] >= full_size else 'projected'} {projected:.1f} s CPU, "
            f"target ≤ 10 s {'met' if projected <= 10 else 'NOT met'}")  # fmt: skip
        say(f"  rows + JSON for storage:     {r['rows_json_cpu_s']:7.2f} s CPU"
            f"              {r['rows_json_ms_per_city_month']:7.4f} ms/city-month"
            f"   (every unit × 12 months: {r['rows_json_cpu_s'] * scale:.1f} s)")  # fmt: skip
        say(
            f"  peak resident memory of the process so far: {r['peak_rss_mib']:.0f} MiB"
            f"   (synthetic inputs built in {r['synthetic_inputs_s']} s, not counted)",
            flush=True,
        )
    db = bench_database(cities, months, args.db_articles, args.seed) if args.db_articles else None
    if args.json:
        print(json.dumps({"engine": reports, "database": db}, ensure_ascii=False, indent=1))
        return
    if db:
        print(
            f"\ndatabase path, jiangsu2016, SQLite, {db['articles']} articles (+ events, feedback, portal records):"
        )
        print(f"  gather {db['gather_s']} s + score {db['score_s']} s + store {db['store_s']} s = {db['total_s']} s "
              f"for {len(cities)} units × {len(months)} months (loading the data took {db['load_s']} s)")  # fmt: skip


if __name__ == "__main__":
    main()
