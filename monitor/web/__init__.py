"""The web console: FastAPI + Jinja2, server-rendered, no JavaScript. `create_app()` builds it."""

from __future__ import annotations

from monitor.web.app import create_app

__all__ = ["create_app"]
