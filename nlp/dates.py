"""Chinese news dates: absolute, month-day (year from the crawl date), relative, ISO, RFC 2822 and epoch.

Every result is timezone-aware in Asia/Shanghai and never in the future of the crawl (``now``) beyond a small
tolerance: a date that would be is rejected (None), except month-day dates, whose inferred year steps back one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from config.timezone import TZ

# Clocks of servers and crawlers drift; a page stamped a few minutes "ahead" is not a future date.
FUTURE_TOLERANCE = timedelta(minutes=10)
# Epoch values outside this range are ids or counters, not timestamps.
_EPOCH_MIN = datetime(1995, 1, 1, tzinfo=TZ)

_FULLWIDTH = str.maketrans("０１２３４５６７８９：－／．", "0123456789:-/.")
_TIME = r"(?:\s*(?:T|\s)?\s*(?P<H>\d{1,2})[:：时](?P<M>\d{1,2})(?:[:：分](?P<S>\d{1,2}))?(?:秒)?)?"
_YMD = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?" + _TIME
)
_MD = re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*(?:-|月)\s*(?P<d>\d{1,2})\s*日?" + _TIME)
_REL = re.compile(r"(?P<n>\d+)\s*(?P<unit>秒|分钟|分|小时|个小时|天|日|周|星期)\s*前")
_DAYWORD = re.compile(r"(?P<word>今天|昨天|前天)" + _TIME)
_EPOCH = re.compile(r"\d{10}(?:\d{3})?")
_UNITS = {
    "秒": timedelta(seconds=1),
    "分钟": timedelta(minutes=1),
    "分": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "个小时": timedelta(hours=1),
    "天": timedelta(days=1),
    "日": timedelta(days=1),
    "周": timedelta(weeks=1),
    "星期": timedelta(weeks=1),
}
_DAYS_BACK = {"今天": 0, "昨天": 1, "前天": 2}


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(TZ)
    return now.replace(tzinfo=TZ) if now.tzinfo is None else now.astimezone(TZ)


def _not_future(value: datetime | None, now: datetime) -> datetime | None:
    if value is None or value > now + FUTURE_TOLERANCE:
        return None
    return value


def _build(y: int, m: int, d: int, hh: str | None, mm: str | None, ss: str | None) -> datetime | None:
    try:
        return datetime(y, m, d, int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=TZ)
    except ValueError:  # 2月30日, 25:61 ...
        return None


def _parse_machine(text: str) -> datetime | None:
    """ISO 8601, RFC 2822 and epoch seconds/milliseconds; naive values are Shanghai local time."""
    if _EPOCH.fullmatch(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        stamp = datetime.fromtimestamp(seconds, TZ)
        return stamp if stamp >= _EPOCH_MIN else None
    iso = text.replace(" ", "T", 1) if re.match(r"\d{4}-\d{2}-\d{2} \d", text) else text
    value: datetime | None
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        value = None
    if value is None and re.match(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}", text):
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            value = None
    if value is None:
        return None
    return value.replace(tzinfo=TZ) if value.tzinfo is None else value.astimezone(TZ)


def parse_date(text: str | int | float | None, now: datetime | None = None) -> datetime | None:
    """Parse one date string (or epoch number) as published by a Chinese news site; None if none or future."""
    if text is None or isinstance(text, bool):
        return None
    current = _now(now)
    if isinstance(text, int | float):
        text = str(int(text))
    cleaned = text.strip().translate(_FULLWIDTH)
    if not cleaned:
        return None
    machine = _parse_machine(cleaned)
    if machine is not None:
        return _not_future(machine, current)
    return find_date(cleaned, current)


def find_date(text: str, now: datetime | None = None) -> datetime | None:
    """Find the first date inside a longer text (a byline, a 来源 line); None if none or future."""
    current = _now(now)
    text = text.translate(_FULLWIDTH)
    found = _YMD.search(text)
    if found:
        value = _build(int(found["y"]), int(found["m"]), int(found["d"]), found["H"], found["M"], found["S"])
        return _not_future(value, current)
    if "刚刚" in text:
        return current
    found = _REL.search(text)
    if found:
        return current - int(found["n"]) * _UNITS[found["unit"]]
    found = _DAYWORD.search(text)
    if found:
        day = current - timedelta(days=_DAYS_BACK[found["word"]])
        if found["H"] is None:
            return day.replace(hour=0, minute=0, second=0, microsecond=0)
        value = _build(day.year, day.month, day.day, found["H"], found["M"], found["S"])
        return _not_future(value, current)
    found = _MD.search(text)
    if found and (found["H"] is not None or "月" in found.group(0)):
        # Month-day without a year (e.g. "11-19 10:23", "4月20日"): the crawl's year, or the previous one
        # when that would put the date in the future (a December page read in January).
        m, d = int(found["m"]), int(found["d"])
        for year in (current.year, current.year - 1):
            value = _build(year, m, d, found["H"], found["M"], found["S"])
            if value is not None and value <= current + FUTURE_TOLERANCE:
                return value
        return None
    return None
