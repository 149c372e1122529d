"""Every console route driven with hostile values (Hypothesis), on SQLite and on PostgreSQL: never a 5xx.

The routes and their parameters are read from the application itself (path, query and form parameters of each
APIRoute), so a route added later is driven too. Values mix the inputs that used to answer 500 (huge numbers,
dates at the ends of the calendar, NUL bytes) with arbitrary text and integers. Requests are sent as a signed-in
admin (every route reachable, POSTs with a valid CSRF token) and, for the log-in form, anonymously."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from config.settings import Settings
from models import Role, User
from monitor.web import create_app
from storage import migrate
from storage.db import make_engine
from tests.conftest import _pg_admin, _pg_available, _pg_url
from tests.web.conftest import CHEAP_HASHER, csrf_of, login
from tests.web.seed import PASSWORD, seed

BASE = "http://127.0.0.1"
NASTY = [
    "",
    "0",
    "-1",
    "1",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1e309",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "0000-01",
    "9999-12",
    "abcd",
    "\x00",
    "a\x00b",
    "%00",
    "\x1b[31m",
    "\u202e",
    "../../etc/passwd",
    "..%2F..%2Fsecret_key",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "长" * 3000,
    "𠀀𪚥",
    "\r\nSet-Cookie: x=1",
]
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=200),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    form_params: tuple[str, ...]


def _params(dependant: Dependant) -> tuple[list[str], list[str], list[str]]:
    """Path, query and form parameter names of a route and of its dependencies (the CSRF check reads a field)."""
    path = [p.name for p in dependant.path_params]
    query = [p.alias for p in dependant.query_params]
    form = [p.alias for p in dependant.body_params]
    for sub in dependant.dependencies:
        p, q, f = _params(sub)
        path, query, form = path + p, query + q, form + f
    return path, query, form


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        # FastAPI keeps an included router as one entry wrapping the router (paths already carry its prefix).
        elif (router := getattr(r, "original_router", None)) is not None:
            yield from _api_routes(router.routes)


def routes_of(app: FastAPI) -> list[Route]:
    found: list[Route] = []
    for r in _api_routes(app.routes):
        path, query, form = (tuple(dict.fromkeys(names)) for names in _params(r.dependant))
        found.extend(Route(method, r.path, path, query, form) for method in sorted(r.methods or ()))
    return found


@dataclass
class Console:
    app: FastAPI
    admin: TestClient
    anonymous: TestClient
    engine: Any

    def ensure_admin(self) -> None:
        """A driven POST may have changed the admin's own password or role: put the account back and sign in."""
        if self.admin.get("/admin").status_code == 200:
            return
        with Session(self.engine) as s:
            s.execute(
                update(User)
                .where(User.username == "admin")
                .values(password_hash=CHEAP_HASHER.hash(PASSWORD), role=Role.ADMIN, active=True)
            )
            s.commit()
        self.admin.cookies.clear()
        self.app.state.throttle._fails.clear()
        login(self.admin, "admin")


def _console(url: str, tmp: Path) -> Iterator[Console]:
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        seed(s, CHEAP_HASHER.hash(PASSWORD))
        s.commit()
    app = create_app(engine, Settings(data_dir=tmp / "var", secret_key="hostile-test-key-0123456789abcdef"))
    with (
        TestClient(app, base_url=BASE, follow_redirects=False, raise_server_exceptions=False) as admin,
        TestClient(app, base_url=BASE, follow_redirects=False, raise_server_exceptions=False) as anonymous,
    ):
        login(admin, "admin")
        yield Console(app, admin, anonymous, engine)
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: Any
) -> Iterator[Console]:
    tmp = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "sqlite":
        yield from _console(f"sqlite:///{tmp / 'creditwatch.db'}", tmp)
        return
    if not _pg_available():
        pytest.fail("PostgreSQL not reachable (make test starts it)")
    name = f"cw_hostile_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield from _console(_pg_url(name), tmp)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    """Cheap argon2 for the module-wide console (the autouse fixture of tests/web is per test)."""
    from monitor.web import accounts

    mp = pytest.MonkeyPatch()
    mp.setattr(accounts, "_hasher", CHEAP_HASHER)
    yield mp
    mp.undo()


def _skip(route: Route) -> bool:
    # Logging out is driven separately below: here it would end the session every other example needs.
    return route.path == "/logout"


ROUTES = [
    r for r in routes_of(create_app(make_engine("sqlite://"), Settings(secret_key="x" * 32))) if not _skip(r)
]


def test_every_route_with_a_parameter_is_driven() -> None:
    paths = {r.path for r in ROUTES}
    assert {"/events", "/events/{event_id}", "/cities/{code}", "/login", "/admin/users/{user_id}"} <= paths
    assert sum(len(r.path_params) + len(r.query_params) + len(r.form_params) for r in ROUTES) >= 30


def _request(console: Console, route: Route, values: dict[str, str]) -> int:
    path = route.path
    for name in route.path_params:
        path = path.replace("{" + name + "}", quote(values.get(name, "1"), safe="") or "x")
    query = {k: v for k, v in values.items() if k in route.query_params}
    client = console.anonymous if route.path == "/login" else console.admin
    if route.method == "GET":
        return client.get(path, params=query).status_code
    form = {k: v for k, v in values.items() if k in route.form_params}
    form["csrf_token"] = csrf_of(client.get("/login" if client is console.anonymous else "/events").text)
    return client.post(path, params=query, data=form).status_code


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_no_route_answers_5xx_to_hostile_values(console: Console, route: Route) -> None:
    names = route.path_params + route.query_params + route.form_params

    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries({}, optional={n: VALUES for n in names}))
    def drive(values: dict[str, str]) -> None:
        console.ensure_admin()
        status = _request(console, route, values)
        assert status < 500, (route.method, route.path, values, status)

    drive()


@pytest.mark.parametrize(
    "path",
    [
        "/events?page=9223372036854775807",
        "/events?date_from=0001-01-01",
        "/events?date_to=9999-12-31",
        "/events/18446744073709551616",
        "/events/9223372036854775808",
        "/events?q=%00",
        "/events?city=32%0081",
        "/cities/320281?month=9999-12",
        "/review?page=9223372036854775807",
    ],
)
def test_the_reported_500s_are_400s(console: Console, path: str) -> None:
    console.ensure_admin()
    assert console.admin.get(path).status_code == 400


def test_nul_in_the_unauthenticated_login_form_is_400(console: Console) -> None:
    token = csrf_of(console.anonymous.get("/login").text)
    for field in ("username", "password"):
        data = {"username": "admin", "password": PASSWORD, "csrf_token": token, field: "ad\x00min"}
        assert console.anonymous.post("/login", data=data).status_code == 400


@given(st.fixed_dictionaries({}, optional={"csrf_token": VALUES, "next": VALUES}))
@settings(
    max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_logout_with_hostile_values(console: Console, values: dict[str, str]) -> None:
    console.ensure_admin()
    assert console.admin.post("/logout", data=values).status_code < 500


def test_sessions_end_on_both_backends(console: Console) -> None:
    """Logout and disabling revoke at once on PostgreSQL as on SQLite (the ORM hook runs inside the flush)."""
    # Its own address: the log-in delays the driven anonymous requests earned are not this user's.
    with TestClient(console.app, base_url=BASE, follow_redirects=False, client=("10.9.8.7", 5000)) as viewer:
        login(viewer, "viewer")
        kept = viewer.cookies["cw_session"]
        token = csrf_of(viewer.get("/events").text)
        assert viewer.post("/logout", data={"csrf_token": token}).status_code == 303
        viewer.cookies.set("cw_session", kept)
        assert viewer.get("/events").status_code == 303
        login(viewer, "viewer")
        with Session(console.engine) as s:
            user = s.query(User).filter_by(username="viewer").one()
            user.active = False
            s.commit()
            assert viewer.get("/events").status_code == 303
            user.active = True
            s.commit()
