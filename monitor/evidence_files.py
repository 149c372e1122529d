"""Evidence files staff upload on the event page: checked by content, stored by SHA-256 under the data directory.

Only PDF, PNG, JPEG and Word (DOCX) documents are taken, and what a file is comes from its first bytes, never from
the browser's Content-Type or the file name: a renamed HTML page would otherwise be served back to the office as a
"PDF". The name the uploader's computer gave the file is reduced to a plain display name (no directories, no
control characters, bounded length); the stored file's name is its hash.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import EventCorrection, EvidenceFile

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
    target = blob_path(data_dir, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # write beside the target and rename: a reader never sees half a file, a crash leaves no partial blob
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(upload.data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
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
