"""`creditwatch users add/list` against a migrated database chosen by CREDITWATCH_DATABASE_URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from config.settings import get_settings
from models import Role, User
from monitor.cli import app
from monitor.web.accounts import authenticate
from storage.db import get_engine, make_engine


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CREDITWATCH_DATABASE_URL", db_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield db_url
    get_engine.cache_clear()
    get_settings.cache_clear()


def test_users_add_with_password_on_stdin(cli_db: str) -> None:
    r = CliRunner().invoke(
        app, ["users", "add", "李分析", "--role", "analyst", "--password-stdin"], input="s3cret-pass\n"
    )
    assert r.exit_code == 0, r.output
    assert "user 李分析 created (analyst)" in r.output
    eng = make_engine(cli_db)
    with Session(eng) as s:
        user = s.scalars(select(User)).one()
        assert user.role == Role.ANALYST and user.password_hash.startswith("$argon2")
        assert authenticate(s, "李分析", "s3cret-pass") is not None
        assert authenticate(s, "李分析", "wrong-pass") is None
    eng.dispose()
    listed = CliRunner().invoke(app, ["users", "list"])
    assert "李分析\tanalyst\tactive" in listed.output


def test_users_add_refuses_bad_role_short_password_and_duplicates(cli_db: str) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(
            app, ["users", "add", "x1", "--role", "root", "--password-stdin"], input="long-enough\n"
        ).exit_code
        != 0
    )
    r = runner.invoke(app, ["users", "add", "x1", "--password-stdin"], input="short\n")
    assert r.exit_code == 1 and "密码至少 8 位" in r.output
    assert (
        runner.invoke(app, ["users", "add", "x1", "--password-stdin"], input="long-enough\n").exit_code == 0
    )
    r = runner.invoke(app, ["users", "add", "x1", "--password-stdin"], input="long-enough\n")
    assert r.exit_code == 1 and "已存在" in r.output
