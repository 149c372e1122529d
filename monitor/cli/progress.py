"""Progress of long commands (crawl, process, classify, score, report) on stderr, shown only to a person.

A spinner or a bar is drawn when stderr is a terminal and left out otherwise (tests, cron, CI, a pipe into a log
file), so captured output stays exactly what it was. stdout is never touched: several commands write their
results there (`classify` JSON lines, `--json` summaries). `CREDITWATCH_PROGRESS=0` turns it off at a terminal,
`=1` forces it on (a screen recording, a terminal that does not say it is one).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.progress import Progress

T = TypeVar("T")


def enabled() -> bool:
    wanted = os.environ.get("CREDITWATCH_PROGRESS", "").strip()
    if wanted in ("0", "1"):
        return wanted == "1"
    return sys.stderr.isatty()


def _progress(bar: bool, count: bool = False) -> Progress:
    # Rich is imported only when a bar is drawn: off a terminal (the scheduler's runs) it would be ≈ 30 ms of
    # start-up for nothing.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns: list[ProgressColumn] = [SpinnerColumn(), TextColumn("{task.description}")]
    if bar:
        columns += [BarColumn(), MofNCompleteColumn()]
    elif count:
        columns.append(TextColumn("{task.completed:.0f}"))
    columns.append(TimeElapsedColumn())
    # transient: the bar disappears when done and the command's own summary is what stays on screen
    return Progress(*columns, console=Console(stderr=True), transient=True)


@contextmanager
def spinner(description: str) -> Iterator[None]:
    """A spinner with the elapsed time while the block runs (work whose size is unknown, e.g. a crawl)."""
    if not enabled():
        yield
        return
    with _progress(bar=False) as p:
        p.add_task(description, total=None)
        yield


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """`items` unchanged, with a bar advancing per item (a spinner when the total is unknown)."""
    if not enabled():
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with _progress(bar=total is not None, count=True) as p:
        task = p.add_task(description, total=total)
        for item in items:
            yield item
            p.advance(task)


@contextmanager
def steps(description: str, total: int) -> Iterator[Callable[[str], None]]:
    """A bar over `total` named steps; call the yielded function with each step's name as it starts."""
    if not enabled():
        yield lambda _name: None
        return
    with _progress(bar=True) as p:
        task = p.add_task(description, total=total)
        started = False

        def step(name: str) -> None:
            nonlocal started
            if started:
                p.advance(task)
            started = True
            p.update(task, description=f"{description}：{name}")

        yield step
        p.update(task, completed=total)
