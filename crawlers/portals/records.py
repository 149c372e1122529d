"""The typed record every portal parser and every import produces, and the rules that make it storable."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from config.settings import TZ
from models.portal import ListKind, entry_day, party_of

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the last one is a check character.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_SPACES = re.compile(r"\s+")

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def clean(value: Any) -> str | None:
    """Whitespace collapsed; None for empty values and the portals' placeholders (空, -, 无, null)."""
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    if text in {"", "-", "--", "—", "无", "空", "null", "None", "NULL", "暂无"}:
        return None
    return text


def parse_day(value: Any) -> date:
    """A calendar date from the forms the portals and exports use (2024-03-05, 2024/3/5, 2024年3月5日, 20240305,
    Excel dates, epoch milliseconds). Raises ValueError naming the value when it is not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 10**11:
        return datetime.fromtimestamp(value / 1000, TZ).date()  # epoch ms, read as a date in Shanghai
    text = clean(value)
    if text is None:
        raise ValueError("empty date")
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return date(y, mo, d)
            except ValueError:
                break
    raise ValueError(f"not a date: {text!r}")


def optional_day(value: Any) -> date | None:
    """`parse_day`, with None for empty values."""
    return None if clean(value) is None else parse_day(value)


def uscc_check_char(code17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a unified social credit code."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(code17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str | None) -> bool:
    """True for a well-formed 18-character unified social credit code with a correct check character."""
    if not code or not _USCC_RE.match(code):
        return False
    return uscc_check_char(code[:17]) == code[17]


# Government bodies: organs, governments, their committees and bureaus, sub-district offices. Companies whose names
# happen to contain 局 (e.g. a 建设局下属公司) are excluded by the company markers.
_GOV_SUFFIX = re.compile(
    r"(人民政府|政府|机关|委员会|管委会|局|办公室|办事处|人民法院|人民检察院|公安厅|厅|委|署)$"
)
_GOV_INFIX = re.compile(r"(人民政府|管理委员会|街道办事处)")
_NOT_GOV = re.compile(r"(公司|有限|合伙|合作社|厂|店|中心$|银行|集团|事务所|医院|学校|协会)")


def looks_governmental(
    name: str | None, credit_code: str | None = None, entity_type: str | None = None
) -> bool:
    """Whether the entity is a government body (机关/政府/委员会/局 ...), from its type, code or name."""
    if entity_type and ("机关" in entity_type or "政府" in entity_type):
        return True
    if credit_code and len(credit_code) == 18 and credit_code.startswith("11"):
        return True  # registration authority 1 = 机构编制, type 1 = 机关
    if not name:
        return False
    name = name.strip()
    if _NOT_GOV.search(name):
        return False
    return bool(_GOV_SUFFIX.search(name) or _GOV_INFIX.search(name))


@dataclass(slots=True)
class PortalItem:
    """One entry of one list as read from a portal response or an export row (not yet attributed to a city)."""

    list_kind: ListKind
    """Which list (黑名单, 失信被执行人, 行政处罚 ...)."""
    entity_name: str
    """The listed party (企业名称 / 姓名 / 被执行人), whitespace collapsed."""
    source: str
    """creditchina | zxgk | rmfygg | wenshu | creditsite:<key> | import:<file name>."""
    credit_code: str | None = None
    """统一社会信用代码 (18 characters, upper case), or the masked ID number of a natural person; None if absent."""
    entity_type: str | None = None
    """企业法人 / 自然人 / 机关 ... as the source states it; None if unknown."""
    authority: str | None = None
    """列入/处罚/许可机关, or 执行法院 / 法院 for court lists."""
    case_number: str | None = None
    """决定文书号 / 案号."""
    reason: str | None = None
    """事由 / 失信情形 / 案由 / notice type, free text."""
    decided_on: date | None = None
    """决定 / 列入 / 立案 / 裁判 date."""
    published_on: date | None = None
    """发布 / 公示 date."""
    removed_on: date | None = None
    """移出 date (exit from the list); None while listed."""
    address: str | None = None
    """住所 / 地址 of the entity when the source gives it (used for city attribution only)."""
    source_ref: str | None = None
    """URL of the response, or `file#row`."""
    raw: dict[str, Any] = field(default_factory=dict)
    """The source fields as received (JSON-ready)."""

    def __post_init__(self) -> None:
        name = clean(self.entity_name)
        if name is None:
            raise ValueError("entity_name is empty")
        self.entity_name = name
        code = clean(self.credit_code)
        self.credit_code = code.upper() if code else None

    @property
    def dedup_key(self) -> str:
        """list + credit code (or name) + case number + date: the same entry read twice is stored once (a copy
        without the case number is matched on the rest of it, `models.portal.match_key`)."""
        who = party_of(self.entity_name, self.credit_code)
        when = entry_day(self.decided_on, self.published_on)
        return "|".join((self.list_kind.value, who, self.case_number or "", when))[:512]

    @property
    def is_legal_entity(self) -> bool:
        """Not a natural person: an 18-character credit code, or a stated type other than 自然人."""
        if self.entity_type and "自然人" in self.entity_type:
            return False
        if self.credit_code and len(self.credit_code) == 18 and "*" not in self.credit_code:
            return True
        return self.entity_type is not None
