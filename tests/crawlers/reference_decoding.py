"""``decode_html`` as it was before its early exits: every candidate codec decoded in full and scored. Kept here as
the oracle that `test_encoding.py` compares the production decoder against, page by page.
"""

from __future__ import annotations

from crawlers.encoding import _MOJIBAKE, _bom_decoded, _candidates


def reference_decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """``decode_html`` by its plain definition: every candidate decoded in full and scored in one pass.

    The specification the early exits in ``decode_html`` must reproduce exactly.
    """
    decoded = _bom_decoded(body)
    if decoded is not None:
        return decoded
    candidates = _candidates(body, content_type)
    best: tuple[float, str, str] | None = None
    for codec in candidates:
        text = body.decode(codec, errors="replace")
        # counted here by the pattern itself, not through the production counter it checks
        score = len(_MOJIBAKE.findall(text)) / len(text) if text else 0.0
        if best is None or score < best[0]:
            best = (score, text, codec)
        if score == 0.0:
            break
    assert best is not None
    return best[1], best[2]
