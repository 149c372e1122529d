"""Monthly city-index reports (HTML, PDF, DOCX, XLSX) from one `MonthlyReport` (monitor.reports.data).

`write_reports` is the one entry point: the `creditwatch report` command and `creditwatch demo` both call it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from config.settings import TZ
from monitor.reports.data import MonthlyReport, ReportError, build_report

FORMATS = ("html", "pdf", "xlsx", "docx")
log = logging.getLogger(__name__)

__all__ = ["FORMATS", "MonthlyReport", "ReportError", "build_report", "parse_formats", "write_reports"]


def parse_formats(formats: str | Iterable[str]) -> list[str]:
    """'html,pdf' or ['html', 'pdf'] → checked, de-duplicated, in the order given."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out: list[str] = []
    for f in (x.strip().lower() for x in items):
        if not f:
            continue
        if f not in FORMATS:
            raise ReportError(f"不支持的报告格式「{f}」（可选：{'、'.join(FORMATS)}）")
        if f not in out:
            out.append(f)
    if not out:
        raise ReportError("没有指定报告格式")
    return out


def report_stem(report: MonthlyReport) -> str:
    return f"creditwatch-report-{report.city_code}-{report.month}"


def keep_previous(path: Path) -> Path | None:
    """A report regenerated after corrections must not erase the one already handed out: the existing file stays
    beside the new one as `<stem>.<its time, YYYYMMDD-HHMMSS>.<format>` (a hard link, so it is never missing)."""
    if not path.is_file():
        return None
    stamp = datetime.fromtimestamp(path.stat().st_mtime, TZ).strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.stem}.{stamp}{path.suffix}")
    if kept.exists():
        return kept
    try:
        os.link(path, kept)
    except OSError:  # a file system without hard links: a copy
        shutil.copy2(path, kept)
    return kept


def write_reports(
    session: Session,
    month: str,
    city_code: str | None,
    formats: str | Iterable[str],
    out_dir: Path | str,
    model: str | None = None,
) -> list[Path]:
    """Write the month's report of `city_code` (code or name; None: the home city) in each format to `out_dir`;
    return the files written, in the order of `formats`."""
    wanted = parse_formats(formats)
    report = build_report(session, month, city_code, model)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = report_stem(report)
    written: list[Path] = []

    from monitor.reports.charts import render_charts

    charts = render_charts(report)
    html: str | None = None
    for fmt in wanted:
        started = time.perf_counter()
        path = out / f"{stem}.{fmt}"
        if fmt in ("html", "pdf") and html is None:
            from monitor.reports.html_report import render_html

            html = render_html(report, charts)
        if fmt == "html":
            assert html is not None
            data = html.encode("utf-8")
        elif fmt == "pdf":
            from monitor.reports.pdf_report import render_pdf

            assert html is not None
            data = render_pdf(html)
        elif fmt == "xlsx":
            from monitor.reports.xlsx_report import render_xlsx

            data = render_xlsx(report)
        else:
            from monitor.reports.docx_report import render_docx

            data = render_docx(report, charts)
        # Write beside, then rename: a reader never sees half a report. The temporary name is this writer's own, so
        # two writers of one report (the monthly job and a console request) each rename a whole file; the last wins.
        fd, tmp_name = tempfile.mkstemp(dir=out, prefix=f".{path.name}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            os.fchmod(fd, 0o644)  # mkstemp makes it private; a report is as readable as any file written here
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            keep_previous(path)
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        written.append(path)
        log.info("report %s: %d bytes in %.2f s", path.name, len(data), time.perf_counter() - started)
    return written
