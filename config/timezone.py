"""The office's time zone, apart from the settings: modules that only need it (date parsing, the page objects in the
crawl's parser processes) do not import pydantic-settings for it (~90 ms of every parser process's start)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
