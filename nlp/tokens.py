"""jieba tokenization with the credit-domain user dictionary.

An own `jieba.Tokenizer` (never jieba's global one), built lazily on first use. `tokenize` is a module-level
function so that scikit-learn pipelines that use it pickle.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import jieba

USERDICT = Path(__file__).resolve().parent / "data" / "credit_userdict.txt"

_tokenizer: jieba.Tokenizer | None = None
_lock = threading.Lock()


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


def tokenize(text: str) -> list[str]:
    """Words of `text` (precise mode, HMM on), whitespace dropped."""
    return [w for w in get_tokenizer().lcut(text or "") if w.strip()]
