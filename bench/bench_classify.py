"""Items per second for classification and city attribution, beside jieba segmentation alone of the same texts.

Run: `.venv/bin/python bench/bench_classify.py [N]`. Texts are the labelled corpus (title + body), repeated to N.
Segmentation alone (the credit tokenizer over title + body) is the floor a jieba-based classifier cannot beat.
The sentence encoder's part of classification (its two vectors per item) is timed on its own beside it; nothing
is cached between runs (the encoder keeps vectors only while a model is being trained).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from nlp.classifier import SentenceVectors, get_classifier, to_matrix
from nlp.evaluation_data import load_labelled
from nlp.places import attribute
from nlp.tokens import get_tokenizer, tokenize


def rate(n: int, fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def main(n: int = 3000) -> None:
    corpus = load_labelled()
    items = [{"id": str(i), "title": it.title, "body": it.body} for i, it in enumerate(corpus)]
    items = (items * (n // len(items) + 1))[:n]
    chars = sum(len(i["title"]) + len(i["body"]) for i in items)
    model = get_classifier()
    get_tokenizer()
    model.predict(items[:10])  # load and warm up outside the timings
    attribute("南京", "")

    seg = rate(n, lambda: [tokenize(i["title"]) + tokenize(i["body"]) for i in items])
    x = to_matrix((i["title"], i["body"]) for i in items)
    sentences = rate(n, lambda: SentenceVectors().transform(x))  # the model's own encoder inputs
    cls = rate(n, lambda: model.predict(items))
    loc = rate(n, lambda: [attribute(i["title"], i["body"]) for i in items])
    both = rate(n, lambda: (model.predict(items), [attribute(i["title"], i["body"]) for i in items]))
    print(f"{n} items, {chars / n:.0f} characters each on average (title + body)")
    print(f"jieba segmentation alone (baseline): {seg:8.0f} items/s")
    print(
        f"sentence encoder alone (2 vectors):  {sentences:8.0f} items/s  ({sentences / seg:.2f}x segmentation)"
    )
    print(f"classification (kind+domain+sub):    {cls:8.0f} items/s  ({cls / seg:.2f}x segmentation)")
    print(f"city attribution:                    {loc:8.0f} items/s  ({loc / seg:.2f}x segmentation)")
    print(f"classify + attribute (the pipeline): {both:8.0f} items/s  ({both / seg:.2f}x segmentation)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
