"""Word vectors trained here, on the project's own training texts: PPMI of jieba word co-occurrences, reduced by
truncated SVD (numpy / scipy / scikit-learn only, so the default install stays licence-clean).

`train` counts co-occurrences within a window, turns them into positive pointwise mutual information (context
counts smoothed with exponent 0.75, Levy & Goldberg 2015) and keeps U·√Σ of a truncated SVD, rows scaled to unit
length. `MeanWordVectors` turns a (title, body) pair into the unit-length mean vector of each part's words, a
dense feature beside the n-grams that lets words the labelled items never contained count by their neighbours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD

from nlp.tokens import tokenize

RANDOM_STATE = 20191119


@dataclass
class WordVectors:
    vocab: dict[str, int]
    matrix: np.ndarray  # float32, one unit-length row per word

    def mean(self, words: Sequence[str]) -> np.ndarray:
        rows = [self.vocab[w] for w in words if w in self.vocab]
        if not rows:
            return np.zeros(self.matrix.shape[1], dtype=np.float32)
        v = self.matrix[rows].mean(axis=0)
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else v


def train(
    texts: Iterable[str], dim: int = 100, window: int = 5, min_count: int = 5, max_vocab: int = 40000
) -> WordVectors:
    """Word vectors of the texts' words seen at least `min_count` times (the `max_vocab` most frequent)."""
    docs = [[w for w in tokenize(t) if len(w) > 1 or "\u4e00" <= w <= "\u9fff"] for t in texts]
    counts = Counter(w for d in docs for w in d)
    words = [w for w, c in counts.most_common(max_vocab) if c >= min_count]
    vocab = {w: i for i, w in enumerate(words)}
    rows: list[int] = []
    cols: list[int] = []
    for d in docs:
        ids = [vocab[w] for w in d if w in vocab]
        for i, a in enumerate(ids):
            for b in ids[i + 1 : i + 1 + window]:
                rows += (a, b)
                cols += (b, a)
    n = len(words)
    co = sparse.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(n, n))
    co.sum_duplicates()
    total = co.sum()
    word_p = np.asarray(co.sum(axis=1)).ravel() / total
    ctx = np.asarray(co.sum(axis=0)).ravel() ** 0.75
    ctx_p = ctx / ctx.sum()
    coo = co.tocoo()
    pmi = np.log(coo.data / total / (word_p[coo.row] * ctx_p[coo.col]))
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=(n, n))
    svd = TruncatedSVD(n_components=dim, random_state=RANDOM_STATE)
    u = svd.fit_transform(ppmi)  # U·Σ
    vectors = u / np.sqrt(np.maximum(svd.singular_values_, 1e-12))  # U·√Σ
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return WordVectors(vocab, vectors.astype(np.float32))


def unlabelled_texts() -> list[str]:
    """Training-side text without labels: the Tencent news headlines and article leads dated before 2024 (the later
    ones are the out-of-source yardstick and are never read for training)."""
    from config.paths import shared_dir
    from nlp.corpus_build import QQNEWS_HELD_OUT_FROM, qqnews_items

    return [
        f"{title}。{body}"
        for date, title, body, _file in qqnews_items(shared_dir()).values()
        if date < QQNEWS_HELD_OUT_FROM
    ]


class MeanWordVectors(BaseEstimator, TransformerMixin):
    """The unit-length mean word vector of the title and of the body lead (zeros for a part with no known word)."""

    def __init__(self, vectors: WordVectors | None = None) -> None:
        self.vectors = vectors

    def fit(self, x: Any, y: Any = None) -> MeanWordVectors:
        return self

    def transform(self, x: Any) -> np.ndarray:
        if self.vectors is None:
            raise ValueError("MeanWordVectors needs trained word vectors")
        vecs = self.vectors
        return np.vstack(
            [np.concatenate([vecs.mean(tokenize(str(t))), vecs.mean(tokenize(str(b)))]) for t, b in x]
        )
