"""Evidence files staff upload on the event page: checked by content, stored by SHA-256 under the data directory.

Only PDF, PNG, JPEG and Word (DOCX) documents are taken, and what a file is comes from its first bytes, never from
the browser's Content-Type or the file name: a renamed HTML page would otherwise be served back to the office as a
"PDF". The name the uploader's computer gave the file is reduced to a plain display name (no directories, no
control characters, bounded length); the stored file's name is its hash.

Rows share a file when they share its hash, so a file goes only when no row references its hash any more: right
after the transaction that removed the last such row commits (`remove_evidence`), or, for rows that went another
way (an event deleted in the database), by `sweep_orphans`, which leaves files younger than an hour alone so an
upload whose row is not committed yet keeps its file. Removing and re-checking a hash, and an upload making sure its
file is there once its row is committed, happen under one file lock, so neither can undo the other.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import logging
import os
import re
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from models import EventCorrection, EvidenceFile

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024  # a scanned multi-page reply fits; a video does not
TYPES = {
    "pdf": ("application/pdf", "PDF 文件"),
    "png": ("image/png", "PNG 图片"),
    "jpeg": ("image/jpeg", "JPEG 图片"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档"),
}
EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg", "docx": ".docx"}
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f/\\:*?\"<>|]")
TEMP_PREFIX = ".upload-"
# An upload writes its file before its row is committed: a file without a row younger than this may be one.
ORPHAN_MIN_AGE = timedelta(hours=1)


class EvidenceError(ValueError):
    """An upload refused; the message says why, in Chinese."""


@dataclass(frozen=True)
class Upload:
    """What the browser sent: the raw name (untrusted) and the bytes."""

    filename: str
    data: bytes


def file_kind(data: bytes) -> str | None:
    """pdf, png, jpeg or docx from the content, else None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "docx"
    return None


def clean_filename(raw: str, kind: str) -> str:
    """A display name: the last path component, without control or path characters, at most 120 characters,
    with the extension of what the file really is."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem[:100].strip(" .") or "证据"
    return stem + EXTENSIONS[kind]


def evidence_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "evidence"


def blob_path(data_dir: Path, sha256: str) -> Path:
    # the hash comes from our own table, but it names a file: never trust a path
    if not _HASH_RE.match(sha256):
        raise EvidenceError("证据文件标识无效")
    return evidence_dir(data_dir) / sha256[:2] / sha256


def store_upload(
    db: Session,
    data_dir: Path,
    upload: Upload,
    *,
    event_id: int,
    user: str,
    feedback_link_id: int | None = None,
) -> EvidenceFile:
    """Check the upload, write its bytes by hash (once, atomically) and record it against the event."""
    if not upload.data:
        raise EvidenceError("上传的证据文件是空的")
    if len(upload.data) > MAX_BYTES:
        raise EvidenceError(f"证据文件不能超过 {MAX_BYTES // (1024 * 1024)} MB")
    kind = file_kind(upload.data)
    if kind is None:
        raise EvidenceError("证据文件只接受 PDF、PNG、JPEG 图片或 Word（DOCX）文档（按文件内容判断）")
    digest = hashlib.sha256(upload.data).hexdigest()
    _write_blob(data_dir, digest, upload.data)
    # The file may have gone since (its last other row removed) before this row is committed: put it back then.
    after_commit(db, lambda: _ensure_blob(data_dir, digest, upload.data))
    record = EvidenceFile(
        event_id=event_id,
        feedback_link_id=feedback_link_id,
        sha256=digest,
        size=len(upload.data),
        content_type=TYPES[kind][0],
        filename=clean_filename(upload.filename, kind),
        uploaded_by=user,
    )
    db.add(record)
    # in the event's correction history too, where staff look for who changed what on this event
    db.add(
        EventCorrection(
            event_id=event_id,
            field="evidence",
            before=None,
            after=f"{record.filename}（SHA-256 {digest[:12]}…）",
            corrected_by=user,
        )
    )
    db.flush()
    return record


def _write_blob(data_dir: Path, digest: str, data: bytes) -> None:
    target = blob_path(data_dir, digest)
    if target.exists():
        # a fresh mtime: the sweep counts this file's age from its latest upload, not its first
        os.utime(target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # write beside the target and rename: a reader never sees half a file, a crash leaves no partial blob
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _ensure_blob(data_dir: Path, digest: str, data: bytes) -> None:
    with blob_lock(data_dir):
        if not blob_path(data_dir, digest).exists():
            log.warning("evidence file %s was removed while its upload was in flight; written again", digest)
            _write_blob(data_dir, digest, data)


@contextmanager
def blob_lock(data_dir: Path) -> Iterator[None]:
    """The evidence store's lock (an flock, so across the console's processes and threads alike)."""
    root = evidence_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- after the transaction: files follow the committed rows ----------------------------------------------------

_AFTER_COMMIT = "evidence_after_commit"


def after_commit(db: Session, action: Callable[[], object]) -> None:
    """Run `action` once this session's transaction has committed; drop it if the transaction rolls back. A file
    is never removed for a row that is still there, nor kept waiting on a row that never was."""
    pending: list[Callable[[], object]] | None = db.info.get(_AFTER_COMMIT)
    if pending is None:
        pending = db.info[_AFTER_COMMIT] = []
        event.listen(db, "after_commit", _run_pending)
        event.listen(db, "after_rollback", _drop_pending)
    pending.append(action)


def _run_pending(db: Session) -> None:
    actions = db.info.get(_AFTER_COMMIT) or []
    db.info[_AFTER_COMMIT] = []
    for action in actions:
        try:
            action()
        except (
            Exception
        ):  # the rows are committed; a file left behind is the sweep's to remove, not a failure
            log.exception("evidence file clean-up after commit failed")


def _drop_pending(db: Session) -> None:
    db.info[_AFTER_COMMIT] = []


def referenced(engine: Engine, hashes: Iterable[str]) -> set[str]:
    """Which of `hashes` a committed evidence row references (read on a connection of its own)."""
    wanted = sorted(set(hashes))
    if not wanted:
        return set()
    with engine.connect() as conn:
        return set(
            conn.scalars(select(EvidenceFile.sha256).where(EvidenceFile.sha256.in_(wanted)).distinct())
        )


def prune_blobs(engine: Engine, data_dir: Path, hashes: Iterable[str]) -> list[str]:
    """Remove the files of `hashes` no committed row references any more; returns the hashes removed."""
    removed: list[str] = []
    with blob_lock(data_dir):
        wanted = set(hashes)
        for digest in sorted(wanted - referenced(engine, wanted)):
            path = blob_path(data_dir, digest)
            if path.exists():
                path.unlink()
                removed.append(digest)
                log.info("evidence file %s removed: no evidence row references it", digest)
    return removed


def remove_evidence(db: Session, data_dir: Path, file_id: int, *, event_id: int, user: str) -> EvidenceFile:
    """Remove one evidence row of event `event_id`, audited in the event's correction history; its file goes
    once the removal is committed, unless another row (of this or another event) has the same content."""
    record = db.get(EvidenceFile, file_id)
    if record is None or record.event_id != event_id:
        raise EvidenceError("该证据文件不存在")
    db.add(
        EventCorrection(
            event_id=record.event_id,
            field="evidence",
            before=f"{record.filename}（SHA-256 {record.sha256[:12]}…）",
            after="已删除",
            corrected_by=user,
        )
    )
    db.delete(record)
    db.flush()
    bind, digest = db.get_bind(), record.sha256
    engine = bind if isinstance(bind, Engine) else bind.engine
    after_commit(db, lambda: prune_blobs(engine, data_dir, [digest]))
    return record


@dataclass
class SweepReport:
    removed: list[str]
    freed_bytes: int = 0
    young: int = 0  # unreferenced, but younger than the minimum age: possibly an upload in flight
    kept: int = 0  # referenced
    temp_removed: int = 0  # half-written uploads a crash left behind


def sweep_orphans(
    engine: Engine, data_dir: Path, *, min_age: timedelta = ORPHAN_MIN_AGE, at: float | None = None
) -> SweepReport:
    """Remove every stored file no evidence row references that is older than `min_age` (by its mtime, the time
    of its latest upload), and upload temporaries as old; files of other names are left alone."""
    report = SweepReport(removed=[])
    root = evidence_dir(data_dir)
    if not root.is_dir():
        return report
    cutoff = (time.time() if at is None else at) - min_age.total_seconds()
    with blob_lock(data_dir):
        with engine.connect() as conn:
            known = set(conn.scalars(select(EvidenceFile.sha256).distinct()))
        for path in sorted(root.glob("*/*")):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            name = path.name
            if _HASH_RE.match(name) and path.parent.name == name[:2]:
                if name in known:
                    report.kept += 1
                elif st.st_mtime > cutoff:
                    report.young += 1
                else:
                    path.unlink()
                    report.removed.append(name)
                    report.freed_bytes += st.st_size
                    log.info("evidence file %s removed by the sweep: no evidence row references it", name)
            elif name.startswith(TEMP_PREFIX) and st.st_mtime <= cutoff:
                path.unlink()
                report.temp_removed += 1
    return report


def files_of(db: Session, event_id: int) -> list[EvidenceFile]:
    return list(
        db.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.event_id == event_id)
            .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
        )
    )


def read_blob(data_dir: Path, record: EvidenceFile) -> bytes:
    """The stored bytes, checked against the recorded hash (a file changed on disk is refused, not served)."""
    path = blob_path(data_dir, record.sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise EvidenceError("证据文件在存储中缺失") from exc
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise EvidenceError("证据文件内容与登记的哈希不符")
    return data
