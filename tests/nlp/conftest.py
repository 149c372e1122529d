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
