"""`creditwatch serve` (scheduler + web console in one service) and `creditwatch users` (console accounts)."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

import typer

log = logging.getLogger(__name__)
users_app = typer.Typer(help="Web console accounts.", no_args_is_help=True)


def _server_class() -> type:
    import uvicorn

    class _Server(uvicorn.Server):
        """uvicorn re-raises the stop signal after shutting down, which would kill the process before the
        scheduler's running jobs finish; this keeps uvicorn's handling but returns normally instead."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return _Server


def serve(
    host: str = typer.Option("127.0.0.1", help="Address of the web console."),
    port: int = typer.Option(8000, help="Port of the web console."),
    web: bool = typer.Option(True, "--web/--no-web", help="Run the web console."),
    scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler", help="Run the scheduled jobs."),
    secure_cookies: bool = typer.Option(False, help="HTTPS-only session cookie (behind a TLS proxy)."),
) -> None:
    """Scheduler and web console in one long-running service; SIGTERM/SIGINT stop it after running jobs end."""
    import uvicorn

    from config.settings import get_settings
    from monitor import scheduler as sched
    from monitor.setup import init_database
    from monitor.web import create_app
    from storage.db import get_engine

    _Server = _server_class()
    if not (web or scheduler):
        raise typer.BadParameter("nothing to run: both --no-web and --no-scheduler")
    logging.getLogger().setLevel(logging.INFO)
    settings = get_settings()
    # Once here, not per crawl: schema at head, gazetteer and site registry loaded.
    log.info("database: %s", init_database(settings.database_url))
    engine = get_engine(settings.database_url)
    running = sched.start(engine) if scheduler else None
    try:
        if web:
            app = create_app(engine, settings, scheduler=running, secure_cookies=secure_cookies)
            # SIGTERM/SIGINT: uvicorn stops accepting, finishes requests, then returns here (see _Server).
            _Server(uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=False)).run()
        else:
            stopping = threading.Event()

            def _stop(signum: int, _frame: FrameType | None) -> None:
                log.info("signal %s: stopping", signal.Signals(signum).name)
                stopping.set()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            stopping.wait()
    finally:
        if running is not None:
            log.info("waiting for running jobs to finish")
            sched.stop(running, wait=True)
            log.info("scheduler stopped")


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option("viewer", "--role", help="viewer, analyst or admin."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Create a console user; the password is prompted (twice) unless given on stdin."""
    from models import Role
    from monitor.web.accounts import AccountError, create_user
    from storage.db import session_scope

    try:
        role_value = Role(role)
    except ValueError as exc:
        raise typer.BadParameter(f"角色应为 {'、'.join(r.value for r in Role)} 之一") from exc
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope() as s:
            create_user(s, name, password, role_value)
    except AccountError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"user {name} created ({role_value.value})")


@users_app.command("list")
def users_list() -> None:
    """The console users and their roles."""
    from sqlalchemy import select

    from models import User
    from storage.db import session_scope

    with session_scope() as s:
        for u in s.scalars(select(User).order_by(User.username)):
            typer.echo(f"{u.username}\t{u.role.value}\t{'active' if u.active else 'disabled'}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
