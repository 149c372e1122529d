"""The nlp tests read the test split with the shipped model several times (quality gate, bootstrap check, CLI
evaluate against itself): the sentence encoder keeps its vectors for the whole session, so each text is encoded
once. What is encoded, and so every prediction, is the same with or without this; caching itself is tested in
test_encoder.py on its own encoder instances."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nlp.encoder import get_encoder


@pytest.fixture(scope="session", autouse=True)
def encoder_vectors_kept_for_the_session() -> Iterator[None]:
    with get_encoder().caching():
        yield
