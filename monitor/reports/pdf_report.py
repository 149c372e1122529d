"""The PDF report: WeasyPrint renders the HTML report (A4, page numbers, CJK font embedded by fontconfig)."""

from __future__ import annotations

import logging
import shutil
import subprocess

from monitor.reports.charts import CJK_FAMILIES, ChartFontError


def check_cjk_font() -> None:
    """WeasyPrint finds fonts through fontconfig; without a CJK font every Chinese character prints as a box."""
    if not shutil.which("fc-list"):
        raise ChartFontError("fontconfig (fc-list) is missing: WeasyPrint cannot find a CJK font")
    families = subprocess.run(
        ["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True, check=False
    ).stdout
    if not any(f in families for f in CJK_FAMILIES):
        raise ChartFontError(
            "no CJK font for the PDF report: install Noto Sans CJK (Debian: apt-get install fonts-noto-cjk)"
        )


def render_pdf(html: str) -> bytes:
    """The HTML report as PDF bytes."""
    check_cjk_font()
    from weasyprint import HTML  # heavy import (pango, cairo-free layout): only when a PDF is asked for

    # WeasyPrint logs every unsupported CSS property at WARNING; the report's CSS is ours and tested.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return pdf
