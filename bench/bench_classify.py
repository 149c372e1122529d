"""Classification and city attribution on 1,000 full news articles, beside jieba segmentation of the same texts.

Run: `.venv/bin/python bench/bench_classify.py [N]`. Texts: the first N full articles (title + whole body) of
../shared/corpus/qqnews_tencent dated before 2024 (the side of that corpus the classifier may train on; the later
items are the out-of-source yardstick and are not read here). Segmentation of title + body with the credit
tokenizer is the reference measured in the same run: a jieba-based classifier cannot beat it on the same texts.

Three figures per core: in-process rates (model already loaded), and the whole `creditwatch classify` process on
the same items as JSON lines, start-up and model loading included, pinned to one core where the OS allows. The
issue's line is ≥ 100 full articles/s per core for the whole process, and ≥ 1/4 of segmentation.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

from config.paths import REPO_DIR, shared_dir
from nlp.classifier import get_classifier
from nlp.places import attribute
from nlp.tokens import get_tokenizer, tokenize


def rate(n: int, fn: Callable[[], object]) -> float:
    start = time.process_time()  # CPU time of this process: the figure is per core, whatever else runs
    fn()
    return n / (time.process_time() - start)


def articles(n: int) -> list[dict[str, str]]:
    out = []
    with gzip.open(
        shared_dir() / "corpus" / "qqnews_tencent" / "articles.jsonl.gz", "rt", encoding="utf-8"
    ) as fh:
        for line in fh:
            r = json.loads(line)
            if r["date"] < "2024-01-01" and r["body"]:
                out.append({"id": r["id"], "title": r["title"], "body": r["body"]})
                if len(out) == n:
                    break
    return out


def whole_process(items: list[dict[str, str]]) -> float:
    """Articles per CPU-second of one `creditwatch classify` process (start-up included), children included."""
    stdin = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items).encode()
    cmd = [sys.executable, "-c", "from monitor.cli import main; main()", "classify"]
    if hasattr(os, "sched_setaffinity"):
        cmd = ["taskset", "-c", str(min(os.sched_getaffinity(0))), *cmd]
    before = os.times()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_DIR), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(cmd, input=stdin, capture_output=True, check=True, cwd=REPO_DIR, env=env)
    after = os.times()
    assert done.stdout.count(b"\n") == len(items), done.stderr.decode()[-500:]
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return len(items) / cpu


def main(n: int = 1000) -> None:
    items = articles(n)
    chars = sum(len(i["title"]) + len(i["body"]) for i in items)
    process = whole_process(items)  # first, so the OS file cache is the only thing it shares with the rest
    model = get_classifier()
    get_tokenizer()
    model.predict(items[:10])  # load and warm up outside the in-process timings
    attribute("南京", "")

    seg = rate(n, lambda: [tokenize(i["title"]) + tokenize(i["body"]) for i in items])
    cls = rate(n, lambda: model.predict(items))
    loc = rate(n, lambda: [attribute(i["title"], i["body"]) for i in items])
    both = rate(n, lambda: (model.predict(items), [attribute(i["title"], i["body"]) for i in items]))
    print(f"{n} full articles, {chars / n:.0f} characters each on average (title + body)")
    print(f"jieba segmentation of title + body (baseline): {seg:7.0f} articles/s")
    print(
        f"classification (kind+domain+sub):              {cls:7.0f} articles/s  ({cls / seg:.2f}x segmentation)"
    )
    print(
        f"city attribution:                              {loc:7.0f} articles/s  ({loc / seg:.2f}x segmentation)"
    )
    print(
        f"classify + attribute, in process:              {both:7.0f} articles/s  ({both / seg:.2f}x segmentation)"
    )
    print(
        f"`creditwatch classify`, whole process:         {process:7.0f} articles/s  ({process / seg:.2f}x segmentation)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
