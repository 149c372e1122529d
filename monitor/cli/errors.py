"""The one place where a failing command becomes one Chinese line on stderr and a non-zero exit.

`run()` wraps the whole CLI: an exception that reaches it is described in one line (known kinds get a message
that says what to do) and the process exits 1 (2 for bad input, 130 for Ctrl-C). No traceback reaches the
operator unless they ask for it with `creditwatch --debug …` (or `CREDITWATCH_DEBUG=1`); the traceback is also
logged at DEBUG level for `--verbose` runs that capture logs."""

from __future__ import annotations

import errno
import logging
import os
import sys
import traceback
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import typer

# Typer carries its own copy of Click; its usage errors are these classes, not the `click` package's.
from typer._click.exceptions import ClickException, NoArgsIsHelpError

log = logging.getLogger(__name__)
DEBUG = False  # set by the root `--debug` option
HINT = "（加 --debug 查看详细信息）"


class CliError(Exception):
    """A refusal the operator can act on: `message` is the Chinese line shown, `code` the exit status."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def debug_requested() -> bool:
    return DEBUG or os.environ.get("CREDITWATCH_DEBUG", "") not in ("", "0")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it was raised from (or during), innermost last, without loops."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _one_line(text: object) -> str:
    return " ".join(str(text).split())[:500]


def _database_message(exc: BaseException) -> str | None:
    from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

    if not isinstance(exc, (OperationalError, ProgrammingError, DBAPIError)):
        return None
    detail = _one_line(exc.orig if exc.orig is not None else exc).lower()
    if "no such table" in detail or ("relation" in detail and "does not exist" in detail):
        return "数据库尚未初始化：请先运行 creditwatch db upgrade"
    if "readonly" in detail or "read-only" in detail or "read only" in detail:
        return "数据库只读，无法写入，本次结果未保存：请检查数据库文件及其目录的权限"
    if "disk is full" in detail or "no space" in detail:
        return "数据库所在磁盘已满，本次结果未保存"
    if "unable to open database" in detail:
        return "无法打开数据库文件：请检查 database_url 指向的路径及权限"
    if "connection" in detail or "could not connect" in detail or "server closed" in detail:
        return "无法连接数据库，本次结果未保存：请检查数据库服务是否运行"
    return f"数据库错误，本次结果未保存：{_one_line(exc.orig if exc.orig is not None else exc)}"


def _os_message(exc: OSError) -> str:
    name = exc.filename or ""
    if isinstance(exc, FileNotFoundError):
        return f"找不到文件或目录：{name}"
    if isinstance(exc, PermissionError) or exc.errno == errno.EACCES:
        return f"没有权限读写：{name}"
    if exc.errno == errno.EROFS:
        return f"文件系统只读，无法写入：{name}"
    if exc.errno == errno.ENOSPC:
        return f"磁盘已满，无法写入：{name}"
    if isinstance(exc, IsADirectoryError):
        return f"这是一个目录，不是文件：{name}"
    if isinstance(exc, NotADirectoryError):
        return f"路径中有一段不是目录：{name}"
    return f"文件读写失败：{name} {_one_line(exc.strerror or exc)}".strip()


def _project_message(exc: BaseException) -> str | None:
    """The project's own errors carry a message meant for the operator; a Chinese prefix says what failed."""
    try:
        from crawlers.portals.imports import ImportFailed
        from monitor.events_export import ExportError
        from monitor.reports import ReportError
        from monitor.reports.charts import ChartFontError
        from monitor.web.accounts import AccountError
        from scoring.manual import ManualImportError
        from scoring.model import ModelFileError
    except ImportError:  # a broken install: describe the original error, not this one
        return None

    prefixes: list[tuple[type[BaseException], str]] = [
        (ChartFontError, "缺少中文字体，无法绘制报告图表（Debian：apt-get install fonts-noto-cjk）："),
        (ReportError, "报告无法生成："),
        (AccountError, ""),
        (ExportError, ""),
        (ManualImportError, "导入失败，未保存任何数据："),
        (ImportFailed, "导入失败，未保存任何数据："),
        (ModelFileError, "指数模型文件有误："),
    ]
    for kind, prefix in prefixes:
        if isinstance(exc, kind):
            return prefix + _one_line(exc)
    return None


def describe(exc: BaseException) -> tuple[str, int]:
    """One line and an exit status for `exc` (looking through what it was raised from)."""
    chain = list(_chain(exc))
    for item in chain:
        if isinstance(item, CliError):
            return _one_line(item.message), item.code
    for item in chain:
        if isinstance(item, zipfile.BadZipFile):
            return "文件已损坏或不是有效的 XLSX/ZIP 文件", 2
    for item in chain:
        message = _project_message(item)
        if message:
            return message, 1 if not isinstance(item, ValueError) else 2
    for item in chain:
        message = _database_message(item)
        if message:
            return message, 1
    for item in chain:
        if isinstance(item, OSError):
            return _os_message(item), 1
    if isinstance(exc, MemoryError):
        return "内存不足，命令中止", 1
    return f"命令失败：{type(exc).__name__}: {_one_line(exc)}{HINT}", 1


def fail(exc: BaseException) -> NoReturn:
    message, code = describe(exc)
    if debug_requested():
        traceback.print_exception(exc, file=sys.stderr)
    else:
        log.debug("command failed", exc_info=exc)
    print(f"错误：{message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


@contextmanager
def refusals() -> Iterator[None]:
    """Checks of a command's arguments: a CliError inside ends the command with its line at once. Unlike the
    catch-all in `run()`, this also works when the Typer app is invoked directly (tests, other programs)."""
    try:
        yield
    except CliError as exc:
        fail(exc)


# Click's own messages for a mistyped command line, put into Chinese; the option names stay as typed.
_USAGE = [
    ("Missing option", "缺少选项"),
    ("Missing argument", "缺少参数"),
    ("No such option", "没有这个选项"),
    ("No such command", "没有这个命令"),
    ("Invalid value for", "取值无效："),
    ("Invalid value", "取值无效"),
    ("Input should be a valid integer, unable to parse string as an integer", "应为整数"),
    ("Option", "选项"),
    ("Got unexpected extra argument", "多余的参数"),
    ("Got unexpected extra arguments", "多余的参数"),
    ("requires an argument", "需要一个值"),
    ("does not exist", "不存在"),
    ("is a directory", "是一个目录"),
    ("is not a valid integer", "不是整数"),
    ("is not one of", "不是以下之一"),
    ("Did you mean", "是否要找"),
]


def usage_message(exc: ClickException) -> str:
    text = _one_line(exc.format_message())
    for english, chinese in _USAGE:
        text = text.replace(english, chinese)
    ctx = getattr(exc, "ctx", None)
    where = f"（{ctx.command_path} --help 查看用法）" if ctx is not None else ""
    return f"用法错误：{text}{where}"


def run(app: Callable[..., Any], argv: Sequence[str] | None = None) -> NoReturn:
    """Run the Typer app as the `creditwatch` command; every failure ends as one line and an exit status."""
    try:
        result = app(
            args=list(argv) if argv is not None else None, prog_name="creditwatch", standalone_mode=False
        )
    except SystemExit:
        raise
    except NoArgsIsHelpError as exc:
        exc.show()  # a group called without a command: its help, as before
        raise SystemExit(exc.exit_code) from None
    except ClickException as exc:
        print(f"错误：{usage_message(exc)}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None
    except (KeyboardInterrupt, typer.Abort):
        print("已中断", file=sys.stderr, flush=True)
        raise SystemExit(130) from None
    except Exception as exc:
        fail(exc)
    raise SystemExit(result if isinstance(result, int) else 0)
