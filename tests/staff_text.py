"""What counts as an English phrase in text a staff member reads (reports, alerts, console pages).

Markup, styles, scripts, URLs and the identifiers staff are shown on purpose (the product name, the index model's
name such as jiangsu2016, division and indicator codes such as 320281, A1.1, T25, a crawl's run id) are removed
first; any run of two or more Latin letters left over is English a reader would meet.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

_BLOCKS = re.compile(r"<(script|style)\b[^>]*>.*?</\1>", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")
_URLS = re.compile(r"(?:https?|mailto):[^\s\"'<>）)]+")
# A crawl's run id (homepage-20261014T100000-3f9a1c) is shown beside the spider's name: an engineer finds its log.
_IDENTIFIERS = re.compile(
    r"\bcreditwatch\b|\b(?:jiangsu2016|monitor2019|demo-city)\b|\bv\d+(?:\.\d+)+\b"
    r"|\b(?:homepage|ranking|articles)-\d{8}T\d{6}-[0-9a-f]{6}\b",
    re.I,
)
# File formats and units as Chinese offices write them (PDF 文件, Word 文档, 10 MB): names, not English prose.
_FORMATS = re.compile(r"\b(?:PDF|PNG|JPEG|DOCX|XLSX|HTML|CSV|Word|MB|KB|SHA-256)\b")
_LATIN = re.compile(r"[A-Za-z]{2,}(?:[ \-'][A-Za-z]{2,})*")


def visible_text(markup: str) -> str:
    """The text a browser shows of an HTML page (attributes and code excluded)."""
    return html.unescape(_TAGS.sub(" ", _BLOCKS.sub(" ", markup)))


def english_phrases(text: str, data: Iterable[str] = ()) -> list[str]:
    """English phrases in `text`, each once, in order of appearance. `data`: values shown as they are (user
    names, crawled titles, configured addresses), removed first: they are the office's or the web's, not ours."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    text = _FORMATS.sub(" ", _IDENTIFIERS.sub(" ", _URLS.sub(" ", text)))
    return list(dict.fromkeys(m.group(0) for m in _LATIN.finditer(text)))
