"""Console fixtures: settings in a temporary data folder, a seeded database, a TestClient, signed-in clients."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from config.settings import AlertChannel, Settings, get_settings
from monitor.web import create_app
from storage import migrate
from storage.db import get_engine, make_engine
from tests.conftest import TEST_BACKEND
from tests.web.seed import PASSWORD, Seeded, seed

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2's production cost (~0.3 s per hash here) times every log-in would dominate the suite."""
    from monitor.web import accounts

    monkeypatch.setattr(accounts, "_hasher", CHEAP_HASHER)


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        secret_key="test-only-signing-key-0123456789abcdef",
        home_city="320281",
        watched_cities=["320281", "320200"],
        peer_cities=["320200", "321300"],
        index_model="jiangsu2016",
        alert_channels=[
            AlertChannel(name="值班邮箱", kind="email", recipients=["duty@example.org"]),
            AlertChannel(
                name="钉钉群",
                kind="dingtalk",
                url="https://oapi.dingtalk.com/robot/send?access_token=SECRET123",
            ),
        ],
    )


CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    """One seeded SQLite file per test run, migrated by the real Alembic migrations; tests get copies."""
    path = tmp_path_factory.mktemp("web-template") / "creditwatch.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    eng = make_engine(url)
    try:
        with Session(eng, expire_on_commit=False) as s:
            ids = seed(s, CHEAP_HASHER.hash(PASSWORD))
    finally:
        eng.dispose()  # the last connection checkpoints the WAL into the file
    return path, ids


@pytest.fixture
def db_file(seeded_template: tuple[Path, Seeded], tmp_path: Path) -> Path:
    target = tmp_path / "creditwatch.db"
    shutil.copyfile(seeded_template[0], target)
    return target


@pytest.fixture
def _seeded_db(
    request: pytest.FixtureRequest, seeded_template: tuple[Path, Seeded]
) -> Iterator[tuple[Engine, Seeded]]:
    """This folder's database and its ids: a private copy of the seeded SQLite template, or, with
    `CREDITWATCH_TEST_BACKEND=postgresql`, a fresh PostgreSQL database seeded the same way."""
    if TEST_BACKEND == "postgresql":
        eng = make_engine(request.getfixturevalue("db_url"))
        with Session(eng, expire_on_commit=False) as s:
            ids = seed(s, CHEAP_HASHER.hash(PASSWORD))
        yield eng, ids
    else:
        eng = make_engine(f"sqlite:///{request.getfixturevalue('db_file')}")
        yield eng, seeded_template[1]
    eng.dispose()


@pytest.fixture
def engine(_seeded_db: tuple[Engine, Seeded]) -> Engine:
    """Overrides the empty in-memory database of the other folders."""
    return _seeded_db[0]


@pytest.fixture
def seeded(_seeded_db: tuple[Engine, Seeded]) -> Seeded:
    return _seeded_db[1]


@pytest.fixture
def app(engine: Engine, web_settings: Settings, seeded: Seeded) -> FastAPI:
    return create_app(engine, web_settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "page has no CSRF token"
    return m.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, "next": "/events"}
    )
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
def as_viewer(client: TestClient) -> TestClient:
    return login(client, "viewer")


@pytest.fixture
def as_analyst(client: TestClient) -> TestClient:
    return login(client, "analyst")


@pytest.fixture
def as_admin(client: TestClient) -> TestClient:
    return login(client, "admin")


@pytest.fixture
def configured(db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings (as `creditwatch serve` reads them) point at a copy of the seeded database, with a file channel
    writing into tmp_path/outbox, which is returned."""
    monkeypatch.setenv("CREDITWATCH_DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.setenv("CREDITWATCH_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CREDITWATCH_ALERT_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("CREDITWATCH_ALERT_CHANNELS", json.dumps([{"name": "本地发件箱", "kind": "file"}]))
    monkeypatch.setenv("CREDITWATCH_PEER_CITIES", json.dumps(["320200", "321300"]))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield tmp_path / "outbox"
    get_engine.cache_clear()
    get_settings.cache_clear()
