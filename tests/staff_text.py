"""What counts as an English phrase in text a staff member reads (reports, alerts, console pages).

Markup, styles, scripts, URLs and the identifiers staff are shown on purpose (the product name, the index model's
name such as jiangsu2016, division and indicator codes such as 320281, A1.1, T25) are removed first; any run of two
or more Latin letters left over is English a reader would meet.
"""

from __future__ import annotations

import html
import re

_BLOCKS = re.compile(r"<(script|style)\b[^>]*>.*?</\1>", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")
_URLS = re.compile(r"(?:https?|mailto):[^\s\"'<>）)]+")
_IDENTIFIERS = re.compile(
    r"\bcreditwatch\b|\b(?:jiangsu2016|monitor2019|demo-city)\b|\bv\d+(?:\.\d+)+\b", re.I
)
_LATIN = re.compile(r"[A-Za-z]{2,}(?:[ \-'][A-Za-z]{2,})*")


def visible_text(markup: str) -> str:
    """The text a browser shows of an HTML page (attributes and code excluded)."""
    return html.unescape(_TAGS.sub(" ", _BLOCKS.sub(" ", markup)))


def english_phrases(text: str) -> list[str]:
    """English phrases in `text`, each once, in order of appearance."""
    text = _IDENTIFIERS.sub(" ", _URLS.sub(" ", text))
    return list(dict.fromkeys(m.group(0) for m in _LATIN.finditer(text)))
