from __future__ import annotations

from datetime import datetime

import pytest

from config.settings import TZ
from nlp.dates import find_date, parse_date

NOW = datetime(2024, 5, 20, 12, 0, tzinfo=TZ)
JAN = datetime(2024, 1, 5, 9, 0, tzinfo=TZ)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        # absolute Chinese and numeric forms
        ("2020年11月19日 10:23", NOW, at(2020, 11, 19, 10, 23)),
        ("2020年11月19日10:23", NOW, at(2020, 11, 19, 10, 23)),
        ("2020年11月19日", NOW, at(2020, 11, 19)),
        ("2020-11-19 10:23:05", NOW, at(2020, 11, 19, 10, 23, 5)),
        ("2020/11/19", NOW, at(2020, 11, 19)),
        ("2020.11.19 08:05", NOW, at(2020, 11, 19, 8, 5)),
        ("２０２０年１１月１９日 １０：２３", NOW, at(2020, 11, 19, 10, 23)),
        ("2024年05月10日08:51 | 来源：人民网", NOW, at(2024, 5, 10, 8, 51)),
        # month-day: year from the crawl date, previous year when that would be in the future
        ("11-19 10:23", NOW, at(2023, 11, 19, 10, 23)),
        ("05-19 10:23", NOW, at(2024, 5, 19, 10, 23)),
        ("4月20日", NOW, at(2024, 4, 20)),
        ("12月31日 23:59", JAN, at(2023, 12, 31, 23, 59)),
        ("1月5日 08:00", JAN, at(2024, 1, 5, 8, 0)),
        # relative
        ("3分钟前", NOW, at(2024, 5, 20, 11, 57)),
        ("2小时前", NOW, at(2024, 5, 20, 10, 0)),
        ("1天前", NOW, at(2024, 5, 19, 12, 0)),
        ("刚刚", NOW, NOW),
        ("昨天 10:23", NOW, at(2024, 5, 19, 10, 23)),
        ("前天", NOW, at(2024, 5, 18)),
        ("今天", NOW, at(2024, 5, 20)),
        ("今天 08:30", NOW, at(2024, 5, 20, 8, 30)),
        # machine formats
        ("2024-04-24T10:00:00+08:00", NOW, at(2024, 4, 24, 10)),
        ("2024-04-24T02:00:00Z", NOW, at(2024, 4, 24, 10)),
        ("2024-04-24T10:00:00", NOW, at(2024, 4, 24, 10)),
        ("Tue, 10 Apr 2018 04:00:15 +0800", NOW, at(2018, 4, 10, 4, 0, 15)),
        ("10 Apr 2018 04:00:15 GMT", NOW, at(2018, 4, 10, 12, 0, 15)),
        ("1523304015", NOW, at(2018, 4, 10, 4, 0, 15)),
        ("1523304015000", NOW, at(2018, 4, 10, 4, 0, 15)),
        (1523304015, NOW, at(2018, 4, 10, 4, 0, 15)),
        # future beyond tolerance -> rejected; within tolerance -> kept
        ("2024年05月21日 10:00", NOW, None),
        ("2030-01-01", NOW, None),
        ("2024-05-20 12:05", NOW, at(2024, 5, 20, 12, 5)),
        ("今天 23:00", NOW, None),
        # not dates
        ("", NOW, None),
        (None, NOW, None),
        ("责任编辑：张三", NOW, None),
        ("2023年2月30日", NOW, None),
        ("123", NOW, None),
        ("0000000001", NOW, None),
    ],
)
def test_parse_date(text: str | int | None, now: datetime, expected: datetime | None) -> None:
    got = parse_date(text, now)
    assert got == expected
    if got is not None:
        assert got.utcoffset() is not None and got.tzinfo is not None


def test_result_is_shanghai_time() -> None:
    got = parse_date("2024-04-24T02:00:00Z", NOW)
    assert got is not None and got.isoformat() == "2024-04-24T10:00:00+08:00"


def test_find_date_in_byline() -> None:
    assert find_date("来源：新华网 | 2019年09月23日 08:02 | 编辑：王五", NOW) == at(2019, 9, 23, 8, 2)


def test_naive_now_is_shanghai() -> None:
    assert parse_date("3分钟前", datetime(2024, 5, 20, 12, 0)) == at(2024, 5, 20, 11, 57)
