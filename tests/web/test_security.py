"""Console security: server-side sessions and their revocation, timeouts and rotation; log-in delays per name
and address; allowed hosts and the base URL; security headers; the hostile inputs that used to answer 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from config.settings import Settings
from models import Role, User, WebSession, now
from monitor.web import create_app
from monitor.web.accounts import set_password
from monitor.web.security import LoginThrottle
from tests.web.conftest import csrf_of, login
from tests.web.seed import PASSWORD

BASE = "http://127.0.0.1"


def _sessions_of(engine: Engine, username: str) -> int:
    with Session(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(WebSession).join(User).where(User.username == username))
            or 0
        )


def _uid(engine: Engine, username: str) -> int:
    with Session(engine) as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


@pytest.fixture
def analyst(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        login(c, "analyst")
        yield c


def _replay(app: FastAPI, cookie: str, path: str = "/events") -> int:
    """The status a stolen or kept copy of a session cookie gets, from a fresh client."""
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        c.cookies.set("cw_session", cookie)
        return c.get(path).status_code


# --- revocation --------------------------------------------------------------------------------------------------


def test_a_copied_cookie_is_dead_after_logout(as_viewer: TestClient, app: FastAPI, engine: Engine) -> None:
    cookie = as_viewer.cookies["cw_session"]
    assert _replay(app, cookie) == 200 and _sessions_of(engine, "viewer") == 1
    token = csrf_of(as_viewer.get("/events").text)
    assert as_viewer.post("/logout", data={"csrf_token": token}).status_code == 303
    assert _sessions_of(engine, "viewer") == 0
    assert _replay(app, cookie) == 303


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("deactivate", {}),
        ("role", {"role": "viewer"}),
        ("password", {"password": "a-new-password-42"}),
    ],
)
def test_admin_changes_revoke_every_session_of_that_user_at_once(
    as_admin: TestClient,
    analyst: TestClient,
    app: FastAPI,
    engine: Engine,
    action: str,
    fields: dict[str, str],
) -> None:
    cookie = analyst.cookies["cw_session"]
    with TestClient(app, base_url=BASE, follow_redirects=False) as second:  # a second device
        login(second, "analyst")
    assert _sessions_of(engine, "analyst") == 2
    token = csrf_of(as_admin.get("/admin").text)
    r = as_admin.post(
        f"/admin/users/{_uid(engine, 'analyst')}", data={"csrf_token": token, "action": action, **fields}
    )
    assert r.status_code == 303
    # Gone in the same transaction as the change, before the user's next request.
    assert _sessions_of(engine, "analyst") == 0
    assert _replay(app, cookie) == 303
    assert _sessions_of(engine, "admin") == 1  # the admin's own session is untouched


def test_password_change_outside_the_console_revokes_too(
    analyst: TestClient, app: FastAPI, engine: Engine
) -> None:
    # As `creditwatch users passwd` or a maintenance script would: through the ORM, no console code involved.
    with Session(engine) as s:
        user = s.scalars(select(User).where(User.username == "analyst")).one()
        set_password(user, "changed-elsewhere-1")
        s.commit()
    assert _sessions_of(engine, "analyst") == 0
    assert analyst.get("/events").status_code == 303


def test_a_change_bypassing_the_orm_still_ends_the_session(analyst: TestClient, engine: Engine) -> None:
    # A bulk UPDATE fires no ORM event: the account fingerprint stored with the session catches it.
    with Session(engine) as s:
        s.execute(update(User).where(User.username == "analyst").values(role=Role.VIEWER))
        s.commit()
    assert _sessions_of(engine, "analyst") == 1
    assert analyst.get("/events").status_code == 303
    assert _sessions_of(engine, "analyst") == 0


# --- timeouts and rotation -----------------------------------------------------------------------------------------


def test_idle_session_ends(analyst: TestClient, engine: Engine) -> None:
    assert analyst.get("/events").status_code == 200
    with Session(engine) as s:
        s.execute(update(WebSession).values(last_seen=now() - timedelta(hours=2, minutes=1)))
        s.commit()
    assert analyst.get("/events").status_code == 303
    assert _sessions_of(engine, "analyst") == 0


def test_active_session_still_ends_at_the_absolute_limit(analyst: TestClient, engine: Engine) -> None:
    with Session(engine) as s:
        s.execute(
            update(WebSession).values(created_at=now() - timedelta(hours=12, minutes=1), last_seen=now())
        )
        s.commit()
    assert analyst.get("/events").status_code == 303


def test_use_keeps_a_session_alive(analyst: TestClient, engine: Engine) -> None:
    with Session(engine) as s:
        s.execute(update(WebSession).values(last_seen=now() - timedelta(minutes=90)))
        s.commit()
    assert analyst.get("/events").status_code == 200
    with Session(engine) as s:
        last_seen = s.scalars(select(WebSession.last_seen)).one()
    assert now() - last_seen < timedelta(minutes=1)


def test_timeouts_come_from_settings(engine: Engine, web_settings: Settings) -> None:
    app = create_app(engine, web_settings.model_copy(update={"session_idle_minutes": 5}))
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        login(c, "viewer")
        with Session(engine) as s:
            s.execute(update(WebSession).values(last_seen=now() - timedelta(minutes=6)))
            s.commit()
        assert c.get("/events").status_code == 303


def test_session_id_rotates_at_login(client: TestClient, app: FastAPI, engine: Engine) -> None:
    client.get("/login")
    anonymous = client.cookies["cw_session"]
    login(client, "viewer")
    first = client.cookies["cw_session"]
    assert first != anonymous
    # Signing in again in the same browser (the form of a stale tab): a new id, and the old one is gone.
    token = csrf_of(client.get("/events").text)
    r = client.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303
    second = client.cookies["cw_session"]
    assert second != first
    assert _sessions_of(engine, "viewer") == 1
    assert _replay(app, first) == 303 and _replay(app, second) == 200
    assert _replay(app, anonymous) == 303  # a planted pre-login cookie gains nothing


def test_session_table_holds_only_hashes(as_viewer: TestClient, engine: Engine) -> None:
    with Session(engine) as s:
        row = s.scalars(select(WebSession)).one()
    assert len(row.id) == 64 and row.id not in as_viewer.cookies["cw_session"]


# --- log-in delays -------------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_delays_grow_per_name_and_address_and_are_capped() -> None:
    throttle = LoginThrottle(free=3, max_delay_s=60)
    clock = throttle.clock = FakeClock()
    waits = []
    for _ in range(10):
        throttle.failed("wang", "10.0.0.9")
        waits.append(throttle.wait_s("wang", "10.0.0.9"))
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    clock.t += 61
    assert throttle.wait_s("wang", "10.0.0.9") == 0  # the delay passes; it never becomes a lock
    # The same name from the official's own address, and another name from the guesser's, are not delayed.
    assert throttle.wait_s("wang", "10.1.2.3") == 0
    assert throttle.wait_s("li", "10.0.0.9") == 0


def test_guessing_many_names_from_one_address_is_slowed_too() -> None:
    throttle = LoginThrottle(free=3)
    throttle.clock = FakeClock()
    for i in range(31):
        throttle.failed(f"user{i}", "10.0.0.9")
    assert throttle.wait_s("someone-new", "10.0.0.9") > 0
    assert throttle.wait_s("someone-new", "10.1.2.3") == 0


def test_throttle_table_is_bounded() -> None:
    throttle = LoginThrottle(max_keys=100)
    for i in range(1000):
        throttle.failed(f"n{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(throttle._fails) <= 100


def test_a_stranger_cannot_lock_an_official_out(app: FastAPI) -> None:
    with TestClient(app, base_url=BASE, follow_redirects=False, client=("203.0.113.7", 4000)) as stranger:
        token = csrf_of(stranger.get("/login").text)
        codes = [
            stranger.post(
                "/login", data={"username": "analyst", "password": "guess-guess", "csrf_token": token}
            ).status_code
            for _ in range(6)
        ]
        assert codes[:3] == [401, 401, 401] and 429 in codes
        r = stranger.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 429 and "秒后再试" in r.text
    with TestClient(app, base_url=BASE, follow_redirects=False, client=("10.20.0.5", 5000)) as official:
        login(official, "analyst")
        assert official.get("/review").status_code == 200


# --- hosts, base URL, headers --------------------------------------------------------------------------------------


def test_unknown_host_is_refused(client: TestClient) -> None:
    r = client.get("/login", headers={"host": "evil.example"})
    assert r.status_code == 400
    assert r.headers["x-content-type-options"] == "nosniff"  # refusals carry the headers too
    assert client.get("/login", headers={"host": "localhost:8000"}).status_code == 200


def test_absolute_redirects_use_the_base_url_not_the_host_header(
    engine: Engine, web_settings: Settings
) -> None:
    settings = web_settings.model_copy(
        update={"allowed_hosts": ["127.0.0.1", "console.internal"], "base_url": "https://xyb.example.gov.cn/"}
    )
    with TestClient(create_app(engine, settings), base_url=BASE, follow_redirects=False) as c:
        login(c, "viewer")
        r = c.get("/events/", headers={"host": "console.internal"})  # trailing slash: an absolute redirect
        assert r.status_code in (307, 308)
        assert r.headers["location"] == "https://xyb.example.gov.cn/events"


@pytest.mark.parametrize("path", ["/login", "/events?page=0", "/no-such-page", "/static/style.css"])
def test_security_headers_on_every_kind_of_answer(as_viewer: TestClient, path: str) -> None:
    r = as_viewer.get(path)
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


# --- the hostile inputs of the report ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/events?page=9223372036854775807", "页码超出范围"),
        ("/events?page=-1", "页码超出范围"),
        ("/events?page=abc", "页码应为整数"),
        ("/events?date_from=0001-01-01", "起始日期应在 1990-01-01 至 2100-12-31 之间"),
        ("/events?date_to=9999-12-31", "截止日期应在"),
        ("/events/18446744073709551616", "超出范围"),
        ("/events/9223372036854775808", "超出范围"),
        ("/events?q=%00", "控制字符"),
        ("/events?q=a%00b", "控制字符"),
        ("/events?q=" + "长" * 300, "搜索词过长"),
        ("/cities?month=0000-01", "月份应为“年-月”格式"),
        ("/cities/32%0028", "控制字符"),
        ("/reports/file/2026-10/a%00.html", "控制字符"),
    ],
)
def test_hostile_values_get_400_with_a_chinese_message(
    as_viewer: TestClient, path: str, message: str
) -> None:
    r = as_viewer.get(path)
    assert r.status_code == 400, (path, r.status_code)
    assert message in r.text


def test_nul_in_the_login_form_is_400_not_500(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    for fields in ({"username": "adm\x00in"}, {"password": "x\x00y"}, {"next": "/events\x00"}):
        data = {"username": "admin", "password": PASSWORD, "csrf_token": token, **fields}
        r = client.post("/login", data=data)
        assert r.status_code == 400 and "控制字符" in r.text
    assert client.get("/events").status_code == 303  # and nobody got signed in


def test_valid_values_still_work(as_viewer: TestClient) -> None:
    assert as_viewer.get("/events?page=1&date_from=2026-10-01&date_to=2026-10-31&q=失信").status_code == 200
    assert as_viewer.get("/events?date_from=&date_to=&q=&city=").status_code == 200
    assert as_viewer.get("/cities?month=2026-10").status_code == 200


def test_non_ascii_csrf_token_is_403_not_500(as_viewer: TestClient) -> None:
    # Found by the property-based route tests: hmac.compare_digest raised TypeError on a non-ASCII str.
    r = as_viewer.post("/logout", data={"csrf_token": "\x80令牌"})
    assert r.status_code == 403
    assert as_viewer.get("/events").status_code == 200  # still signed in: the POST did nothing


def test_timed_out_sessions_are_purged_at_the_next_login(
    analyst: TestClient, app: FastAPI, engine: Engine
) -> None:
    with Session(engine) as s:
        s.execute(update(WebSession).values(last_seen=now() - timedelta(hours=3)))
        s.commit()
    assert _sessions_of(engine, "analyst") == 1  # abandoned: its browser never comes back
    with TestClient(app, base_url=BASE, follow_redirects=False) as other:
        login(other, "viewer")
    assert _sessions_of(engine, "analyst") == 0 and _sessions_of(engine, "viewer") == 1
