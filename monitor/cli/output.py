"""Console output of the CLI without importing Rich at start-up.

Importing Rich and building a `Console` costs ~30 ms of CPU, paid by every command before it does anything —
including `creditwatch process`, which the scheduler runs every few minutes with its output going to a log. The
console is created on first use; JSON results go through Rich (indented, highlighted) only on a terminal.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """Stands for a `rich.console.Console` made with the given arguments the first time an attribute is read."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kwargs)
        return getattr(self._console, name)


def lazy_console(**kwargs: Any) -> Console:
    """A Console (``lazy_console(stderr=True)`` for errors) that imports Rich only when first used."""
    return cast("Console", _LazyConsole(**kwargs))


def print_json(data: Any, console: Console | None = None) -> None:
    """`data` as indented JSON on stdout: through Rich on a terminal, plain (the same text, no colour codes) when
    stdout is a file or a pipe."""
    if sys.stdout.isatty():
        (console or lazy_console()).print_json(json.dumps(data, ensure_ascii=False, default=str))
    else:
        print(json.dumps(data, ensure_ascii=False, default=str, indent=2), flush=True)
