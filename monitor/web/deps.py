"""Request dependencies: a database session per request, the signed-in user, role checks, CSRF on POST.

Handlers that touch the database are plain `def` functions: FastAPI runs those in its threadpool, whereas the body
of an `async def` handler runs on the event loop, where a query (or an argon2 hash) stalls every other request.
The form fields arrive as `Form()` parameters either way, and the CSRF check is a dependency, so no handler needs
to be async."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from models import Role, User
from monitor.web.security import CurrentUser, Forbidden, LoginRequired, allowed, session_user, verify_csrf
from monitor.web.templating import ROLE_LABELS
from storage.db import transaction

_Row = TypeVar("_Row")


def row_or_404(db: Session, model: type[_Row], row_id: int) -> _Row:
    """The row a route's path names, or the console's 404 page."""
    row = db.get(model, row_id)
    if row is None:
        raise HTTPException(404)
    return row


def get_db(request: Request) -> Iterator[Session]:
    with transaction(request.app.state.sessions) as session:
        yield session


def _require(role: Role) -> Callable[[Request, Session], User]:
    def dependency(request: Request, db: Annotated[Session, Depends(get_db)]) -> User:
        user = session_user(request, db)
        if user is None:
            raise LoginRequired()
        # Error pages render after this request's session is closed: they get a detached copy, not the row.
        request.state.user = CurrentUser(user.id, user.username, user.role)
        if not allowed(user, role):
            raise Forbidden(f"此操作需要「{ROLE_LABELS[role.value]}」权限")
        return user

    return dependency


def _require_post(role: Role) -> Callable[..., object]:
    """Role check, then the CSRF token: a signed-in POST without the right token is a 403."""
    check = _require(role)

    async def dependency(request: Request, db: Annotated[Session, Depends(get_db)]) -> User:
        # Async only to await the form for the token; the role check reads the database, which would block the
        # event loop (every other request) here, so it runs in the threadpool like the sync dependencies.
        user = await run_in_threadpool(check, request, db)
        await verify_csrf(request)
        return user

    return dependency


viewer = _require(Role.VIEWER)
analyst = _require(Role.ANALYST)
admin = _require(Role.ADMIN)
post_analyst = _require_post(Role.ANALYST)
post_admin = _require_post(Role.ADMIN)
post_viewer = _require_post(Role.VIEWER)


# Annotated parameter types for the routes (FastAPI resolves the dependency from the annotation).
Csrf = Annotated[None, Depends(verify_csrf)]  # for the one POST without a user: the log-in form
Db = Annotated[Session, Depends(get_db)]
Viewer = Annotated[User, Depends(viewer)]
Analyst = Annotated[User, Depends(analyst)]
Admin = Annotated[User, Depends(admin)]
PostViewer = Annotated[User, Depends(post_viewer)]
PostAnalyst = Annotated[User, Depends(post_analyst)]
PostAdmin = Annotated[User, Depends(post_admin)]
