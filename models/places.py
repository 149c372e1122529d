"""Administrative divisions (GB/T 2260), loaded from the shipped gazetteer."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Division(Base):
    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # province | prefecture | county
    parent_code: Mapped[str | None] = mapped_column(String(6), ForeignKey("divisions.code"), index=True)
    aliases: Mapped[str] = mapped_column(String(128), default="")  # '|'-separated short forms
