"""Reprint clustering throughput and memory on a stream of synthetic articles of realistic length.

    .venv/bin/python bench/bench_clustering.py [--n 100000 1000000] [--per-day 5000]

Articles are generated from the jieba dictionary's words drawn by their corpus frequency: titles of ~20
characters, bodies of ~1,200 (the median length of a news article on the 15 sites). 15 % are reprints of a recent
article (new title words, a wrapper line, 10 % of the body words changed). The stream is time-ordered at
`--per-day` articles a day and the index evicts events that left the 7-day window, so memory is bounded by the
window, not by the stream: the run prints throughput and RSS every 100k articles.

Times are CPU time of this process (`time.process_time`), so a busy shared machine does not inflate them; the
100k figure is the first checkpoint of the 1M stream unless `--n` says otherwise.

Baseline in the same run: the cost of tokenising alone (jieba on the title + normalising the body), which any
clustering of Chinese news pays.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from config.settings import TZ
from nlp.clustering import ClusterIndex, ClusterParams, EventState, normalise
from nlp.tokens import tokenize


def rss_mb() -> float:
    """Current resident set size (Linux /proc), MB."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


class Synth:
    """Synthetic Chinese news: words from jieba's dictionary, Zipf-like by their frequency."""

    def __init__(self, seed: int = 7, vocab: int = 30000) -> None:
        import jieba

        path = Path(jieba.__file__).parent / "dict.txt"
        words, freqs = [], []
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                w, f, *_ = line.split()
                if 2 <= len(w) <= 4:
                    words.append(w)
                    freqs.append(int(f))
        order = np.argsort(freqs)[::-1][:vocab]
        self.words = np.array([words[i] for i in order], dtype=object)
        p = np.array([freqs[i] for i in order], dtype=float)
        self.cdf = np.cumsum(p / p.sum())
        self.rng = np.random.default_rng(seed)
        self.recent: list[tuple[str, str]] = []

    def _text(self, n_words: int) -> list[str]:
        idx = np.searchsorted(self.cdf, self.rng.random(n_words), side="right")
        return list(self.words[np.minimum(idx, len(self.words) - 1)])

    def article(self) -> tuple[str, str]:
        if self.recent and self.rng.random() < 0.15:
            title, body = self.recent[int(self.rng.integers(len(self.recent)))]
            tw = title.split("\u3000")
            tw[int(self.rng.integers(len(tw)))] = self._text(1)[0]
            bw = body.split("，")
            for i in self.rng.integers(0, len(bw), size=max(1, len(bw) // 10)):
                bw[int(i)] = "".join(self._text(3))
            return "\u3000".join(tw), "原标题：" + title + "\n" + "，".join(bw)
        title = "\u3000".join(self._text(7))
        words = self._text(520)  # ~1,200 characters
        body = "，".join("".join(words[i : i + 6]) for i in range(0, len(words), 6))
        self.recent.append((title, body))
        if len(self.recent) > 2000:
            self.recent.pop(0)
        return title, body


def baseline(synth: Synth, n: int) -> float:
    """Seconds per article for tokenising alone."""
    items = [synth.article() for _ in range(n)]
    t = time.process_time()
    for title, body in items:
        tokenize(title)
        normalise(body)
    return (time.process_time() - t) / n


def run(n: int, per_day: int, report_every: int = 100_000) -> float:
    synth = Synth()
    params = ClusterParams()
    index = ClusterIndex(params)
    start = datetime(2026, 1, 1, tzinfo=TZ)
    step = timedelta(days=1) / per_day
    gc.collect()
    rss0 = rss_mb()
    busy = 0.0
    events = 0
    joined = 0
    busy_last = 0.0
    print(f"\n== {n:,} articles, {per_day:,}/day, window {params.window.days} d; RSS at start {rss0:.0f} MB")
    print(
        f"{'articles':>10} {'art/s CPU':>9} {'ms/art':>7} {'events live':>11} {'joined %':>8} {'RSS MB':>7}"
    )
    for i in range(1, n + 1):
        title, body = synth.article()
        when = start + step * i
        t = time.process_time()
        sig = index.signer.sign(title, body)
        hit = index.find(sig, None, when)
        if hit is None:
            events += 1
            index.add_event(EventState(events, [sig], None, when, when))
        else:
            index.attach(hit[0], sig, when, None, hit[1])
            joined += 1
        if i % 5000 == 0:
            index.evict_before(when - params.window)
        busy += time.process_time() - t
        if i % report_every == 0 or i == n:
            span = busy - busy_last
            rate = (report_every if i % report_every == 0 else i % report_every) / span if span else 0.0
            print(
                f"{i:>10,} {rate:>9.0f} {1000 / rate:>7.2f} {len(index):>11,} {100 * joined / i:>8.1f}"
                f" {rss_mb():>7.0f}",
                flush=True,
            )
            busy_last = busy
    print(
        f"total clustering time {busy:.0f} s ({n / busy:.0f} articles/s); comparisons {index.comparisons:,}"
    )
    return n / busy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--per-day", type=int, default=5000)
    ap.add_argument("--baseline", type=int, default=20_000)
    ap.add_argument("--every", type=int, default=100_000, help="Report every this many articles.")
    args = ap.parse_args()
    tokenize("预热")  # load jieba's dictionary outside the timings
    per = baseline(Synth(seed=1), args.baseline)
    print(
        f"baseline: tokenising alone (jieba title + normalise body): {per * 1000:.2f} ms/article, "
        f"{1 / per:.0f} articles/s"
    )
    for n in args.n:
        rate = run(n, args.per_day, args.every)
        # Clustering includes the tokenising; the ratio says what share of the time the rest takes.
        print(
            f"ratio clustering / tokenising alone: {rate * per:.2f} (1.00 = clustering costs nothing beyond it)"
        )


if __name__ == "__main__":
    main()
