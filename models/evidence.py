"""Files staff upload as evidence of an event or of a government response (PDF, image, DOCX).

The bytes live under the data directory, named by their SHA-256 (`evidence/ab/abcdef…`), so a file uploaded twice
is stored once and what is served can be checked against what was recorded. The name the uploader's computer gave
the file is kept only for display and the download's suggested name; it never becomes a path."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created, intpk


class EvidenceFile(Base):
    __tablename__ = "evidence_files"

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # set when the file documents a government response recorded on the event page
    feedback_link_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_links.id", ondelete="SET NULL"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(128))  # from the content, never from the browser
    filename: Mapped[str] = mapped_column(String(200))  # cleaned display name
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[created]
