"""jieba tokenization with the credit-domain user dictionary.

An own `jieba.Tokenizer` (never jieba's global one), built lazily on first use. `tokenize` is a module-level
function so that scikit-learn pipelines that use it pickle. Inside a `tokens_shared()` block each distinct text
is segmented once: the kind and the domain pipelines read the same title and body lead, and jieba is most of
what classification costs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jieba

USERDICT = Path(__file__).resolve().parent / "data" / "credit_userdict.txt"

_tokenizer: jieba.Tokenizer | None = None
_lock = threading.Lock()
_shared = threading.local()


def get_tokenizer() -> jieba.Tokenizer:
    """The module's jieba.Tokenizer with the credit user dictionary loaded (built once per process)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                tk.load_userdict(str(USERDICT))
                _tokenizer = tk
    return _tokenizer


@contextmanager
def tokens_shared() -> Iterator[None]:
    """Remember the words of every text tokenized in this thread inside the block; freed when it ends (so a
    long-running process does not grow). Nested blocks share the outer one's memory."""
    outer = getattr(_shared, "memo", None)
    if outer is None:
        _shared.memo = {}
    try:
        yield
    finally:
        if outer is None:
            _shared.memo = None


def tokenize(text: str) -> list[str]:
    """Words of `text` (precise mode, HMM on), whitespace dropped."""
    memo: dict[str, list[str]] | None = getattr(_shared, "memo", None)
    if memo is not None:
        words = memo.get(text)
        if words is None:
            words = memo[text] = _segment(text)
        return list(words)  # a caller may change its list; the remembered one stays as segmented
    return _segment(text)


def _segment(text: str) -> list[str]:
    return [w for w in get_tokenizer().lcut(text or "") if w.strip()]
