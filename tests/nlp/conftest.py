"""The nlp tests read the test split with the shipped model several times (quality gate, bootstrap check, CLI
evaluate against itself). When the opt-in sentence encoder is installed its vectors are kept for the whole
session, so a model trained with it encodes each text once; the default install has no encoder and the shipped
model does not read one, so nothing is kept then. Caching itself is tested in test_encoder.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nlp import encoder


@pytest.fixture(scope="session", autouse=True)
def encoder_vectors_kept_for_the_session() -> Iterator[None]:
    try:
        enc = encoder.get_encoder()
    except encoder.EncoderMissing:
        yield
        return
    with enc.caching():
        yield


@pytest.fixture
def segmented(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text jieba segments from now on in this test, in order (to check that each is segmented once)."""
    from nlp import tokens

    seen: list[str] = []
    real = tokens._segment

    def counted(text: str) -> list[str]:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(tokens, "_segment", counted)
    return seen
