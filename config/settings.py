"""One settings object: environment variables `CREDITWATCH_*` over a TOML file over these defaults.

The file is `CREDITWATCH_CONFIG` if set, else `creditwatch.toml` in the working directory if present.
Secrets (SMTP password, webhook secrets, portal cookies) come from the environment or that file, never the repo.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from config.timezone import TZ as TZ  # re-exported: most modules take the time zone from here


class AlertChannel(BaseModel):
    """One alert destination: `kind` is email, dingtalk, wecom or feishu."""

    name: str
    kind: str
    url: str | None = None  # webhook URL
    secret: str | None = None  # DingTalk/Feishu signing secret
    recipients: list[str] = Field(default_factory=list)  # e-mail addresses
    enabled: bool = True


class SmtpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "creditwatch@localhost"
    timeout: float = 10.0


class Settings(BaseSettings):
    """All runtime configuration. Nested values use `__` in env names, e.g. `CREDITWATCH_SMTP__HOST`."""

    model_config = SettingsConfigDict(env_prefix="CREDITWATCH_", env_nested_delimiter="__", extra="ignore")

    database_url: str = "sqlite:///var/creditwatch.db"
    redis_url: str = "redis://127.0.0.1:6379/0"
    timezone: str = "Asia/Shanghai"
    data_dir: Path = Path("var")
    # The office's own city and the cities scored with it (GB/T 2260 codes). Default: 江阴, the 13 prefecture
    # cities of Jiangsu and the other county-level cities of Jiangsu. Each city is ranked only among the cities
    # of its own level that the model ranks (scoring.ranking): 江阴 among county-level units, never prefectures.
    home_city: str = "320281"
    watched_cities: list[str] = Field(default_factory=lambda: ["320281", "320200"])
    peer_cities: list[str] = Field(
        default_factory=lambda: [
            "320100",
            "320200",
            "320300",
            "320400",
            "320500",
            "320600",
            "320700",
            "320800",
            "320900",
            "321000",
            "321100",
            "321200",
            "321300",
            "320282",
            "320381",
            "320382",
            "320481",
            "320581",
            "320582",
            "320583",
            "320585",
            "320681",
            "320682",
            "320685",
            "320981",
            "321081",
            "321084",
            "321181",
            "321182",
            "321183",
            "321281",
            "321282",
            "321283",
        ]
    )
    index_model: str = "jiangsu2016"
    alert_channels: list[AlertChannel] = Field(default_factory=list)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    alert_outbox_dir: Path = Path("var/outbox")
    # Channels (by name) that receive operational alerts such as a failed scheduled run; empty: every enabled one.
    ops_alert_channels: list[str] = Field(default_factory=list)
    # Where staff open the console (e.g. https://credit.example.gov.cn): alerts link to the event's page under it.
    console_base_url: str | None = None
    portal_cookies: dict[str, str] = Field(
        default_factory=dict
    )  # portal key -> Cookie header from a browser session
    user_agent: str = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 "
        "creditwatch/0.1 (+city credit office monitor)"
    )
    secret_key: str | None = None  # web console session signing; generated per data_dir when unset
    # The console answers only for these Host names, and builds every absolute link from base_url, never from
    # the request's Host header. Behind a reverse proxy: the proxy's public name in both.
    allowed_hosts: list[str] = Field(default_factory=lambda: ["127.0.0.1", "localhost", "::1"])
    base_url: str = "http://127.0.0.1:8000"
    session_idle_minutes: int = Field(default=120, ge=1)  # a session unused this long ends
    session_max_hours: int = Field(default=12, ge=1)  # and every session ends this long after log-in

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def scored_cities(self) -> list[str]:
        """The cities scored and ranked: the home city, the watched cities and the peers, each once."""
        return list(dict.fromkeys([self.home_city, *self.watched_cities, *self.peer_cities]))


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the optional TOML config file."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("CREDITWATCH_CONFIG")
        candidate = Path(path) if path else Path("creditwatch.toml")
        if not candidate.is_file():
            if path:
                raise FileNotFoundError(f"CREDITWATCH_CONFIG points to a missing file: {path}")
            return {}
        with candidate.open("rb") as fh:
            return tomllib.load(fh)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()` after changing env)."""
    return Settings()
