"""Word vectors trained here (PPMI + truncated SVD): words sharing contexts end up close, and the features are
unit-length means. The texts are hand-made: two topics whose words never meet across topics."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.word_vectors import MeanWordVectors, train

COURT = ["法院判决被告赔偿原告损失", "法院审理被告欠款案件", "原告起诉被告法院受理", "被告不服法院判决上诉"]
SPORT = ["球队比赛进球获胜", "球员比赛受伤离场", "球队主场比赛球员进球", "球员赛季进球创纪录"]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return (COURT + SPORT) * 5


def test_words_of_one_topic_are_closer_than_words_across_topics(texts: list[str]) -> None:
    wv = train(texts, dim=4, window=3, min_count=2)
    assert {"法院", "被告", "球队", "比赛"} <= set(wv.vocab)
    v = {w: wv.matrix[wv.vocab[w]] for w in ("法院", "被告", "球队", "比赛")}
    assert np.allclose([np.linalg.norm(x) for x in v.values()], 1.0, atol=1e-5)
    assert v["法院"] @ v["被告"] > v["法院"] @ v["比赛"] + 0.3
    assert v["球队"] @ v["比赛"] > v["球队"] @ v["被告"] + 0.3


def test_mean_vectors_of_title_and_body(texts: list[str]) -> None:
    wv = train(texts, dim=4, window=3, min_count=2)
    out = MeanWordVectors(wv).fit_transform(
        np.array([["法院判决", "球队比赛"], ["", "无关的词语"]], dtype=object)
    )
    assert out.shape == (2, 8)
    assert np.isclose(np.linalg.norm(out[0, :4]), 1.0) and np.isclose(np.linalg.norm(out[0, 4:]), 1.0)
    assert not out[1].any()  # no known word: zeros, not NaN
    with pytest.raises(ValueError, match="needs trained word vectors"):
        MeanWordVectors().transform(np.array([["a", "b"]], dtype=object))
