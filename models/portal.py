"""Records from the court and credit portals, crawled or imported from the office's official exports."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, String, Text
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created, division_code, intpk, str_enum


class ListKind(enum.Enum):
    BLACKLIST = "blacklist"  # 黑名单
    REDLIST = "redlist"  # 红名单 / 守信激励
    WATCHLIST = "watchlist"  # 重点关注名单
    PERMIT = "permit"  # 行政许可 (双公示)
    PENALTY = "penalty"  # 行政处罚 (双公示)
    DISHONEST_DEBTOR = "dishonest-debtor"  # 失信被执行人
    COURT_NOTICE = "court-notice"  # 人民法院公告
    JUDGMENT = "judgment"  # 裁判文书 (metadata only)


def party_of(entity_name: str, credit_code: str | None) -> str:
    """Who an entry is about, for matching: the credit code; the name when the code is absent; name/code when the
    code is masked (a masked ID number alone does not identify a person)."""
    if credit_code and "*" in credit_code:
        return f"{entity_name}/{credit_code}"
    return credit_code or entity_name


def entry_day(decided_on: date | None, published_on: date | None) -> str:
    """The date an entry is matched on: 决定/列入 date, else 发布 date, else empty."""
    return str(decided_on or published_on or "")


def match_key(
    list_kind: ListKind | str,
    entity_name: str,
    credit_code: str | None,
    decided_on: date | None,
    published_on: date | None,
) -> str:
    """list + party + date: the dedup_key without the case number, so that a copy read without its 文号/案号 (an
    export) finds the copy read with it (a portal). Computed from the stored columns, by the store and by the
    migration that back-filled it alike."""
    kind = list_kind.value if isinstance(list_kind, ListKind) else list_kind
    return "|".join((kind, party_of(entity_name, credit_code), entry_day(decided_on, published_on)))[:512]


def _match_key_default(context: DefaultExecutionContext) -> str:
    # Rows written without the store (fixtures, benchmarks) still get a consistent match_key.
    p = context.get_current_parameters()
    return match_key(
        p["list_kind"], p["entity_name"], p.get("credit_code"), p.get("decided_on"), p.get("published_on")
    )


class PortalRecord(Base):
    """One entry of one list. `dedup_key` (list + credit code or name + case number + date) makes writes idempotent;
    `match_key` (the same without the case number) lets a copy without its case number join the copy with it
    (see `crawlers.portals.store.store_items` for the rules and the ambiguous case)."""

    __tablename__ = "portal_records"

    id: Mapped[intpk]
    dedup_key: Mapped[str] = mapped_column(String(512), unique=True)
    match_key: Mapped[str] = mapped_column(String(512), index=True, default=_match_key_default)
    list_kind: Mapped[ListKind] = mapped_column(str_enum(ListKind), index=True)
    entity_name: Mapped[str] = mapped_column(String(512))
    credit_code: Mapped[str | None] = mapped_column(String(32), index=True)  # 统一社会信用代码 / masked ID
    entity_type: Mapped[str | None] = mapped_column(String(32))  # 企业法人 / 自然人 / 机关 ...
    is_government: Mapped[bool] = mapped_column(Boolean, default=False)
    authority: Mapped[str | None] = mapped_column(String(256))  # 列入/处罚机关 or 执行法院
    case_number: Mapped[str | None] = mapped_column(String(256))  # 文号 / 案号
    reason: Mapped[str | None] = mapped_column(Text)  # 事由 / 失信情形
    decided_on: Mapped[date | None] = mapped_column(Date, index=True)  # 决定/列入/立案 date
    published_on: Mapped[date | None] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date)  # exit from the list (移出)
    region_code: Mapped[division_code | None]
    region_evidence: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))  # creditchina | zxgk | rmfygg | wenshu | import:<file>
    source_ref: Mapped[str | None] = mapped_column(Text)  # URL, or file + row
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fetched_at: Mapped[datetime | None]
    created_at: Mapped[created]
