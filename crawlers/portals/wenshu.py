"""中国裁判文书网 (wenshu.court.gov.cn), metadata only: the rest.q4w envelope `{code, description, secretKey,
result}` whose `result` is 3DES-CBC (key = secretKey, IV = the day as yyyyMMdd), the decrypted list, and the
docInfoSearch record (s1 标题, s2 法院, s7 案号, s31 裁判日期, s17 当事人 ...; PORTALS.md §3)."""

from __future__ import annotations

import base64
import binascii
import json
import random
import string
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from config.settings import TZ
from crawlers.portals.common import Page, as_int, load_json, need
from crawlers.portals.errors import PortalBlocked, PortalError
from crawlers.portals.records import PortalItem, clean, optional_day
from crawlers.waf import check_blocked
from models.portal import ListKind

PORTAL = "wenshu"
API = "https://wenshu.court.gov.cn/website/parse/rest.q4w"
LIST_CFG = "com.lawyee.judge.dc.parse.dto.SearchDataDsoDTO@queryDoc"
# Detail page pattern used by public crawlers (not in PORTALS.md; unverified here).
DETAIL_PAGE = "https://wenshu.court.gov.cn/website/wenshu/181107ANFZ0BXSK4/index.html?docId="
DOC_CFG = "com.lawyee.judge.dc.parse.dto.SearchDataDsoDTO@docInfoSearch"


def _cipher(key: str, day: date) -> Cipher[modes.CBC]:
    raw = key.encode("utf-8")
    if len(raw) != 24:
        raise ValueError(f"3DES key must be 24 bytes, got {len(raw)}")
    return Cipher(TripleDES(raw), modes.CBC(day.strftime("%Y%m%d").encode("ascii")))


def encrypt(plain: str, key: str, day: date) -> str:
    """3DES-CBC + PKCS7, base64: what the portal does to `result` (and clients to the ciphertext timestamp)."""
    padder = padding.PKCS7(64).padder()
    data = padder.update(plain.encode("utf-8")) + padder.finalize()
    enc = _cipher(key, day).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode("ascii")


def decrypt(result: str, key: str, day: date) -> str:
    """Inverse of `encrypt`; ValueError when the key/IV do not fit (a wrong day gives garbage padding)."""
    try:
        raw = base64.b64decode(result, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"result is not base64: {exc}") from None
    dec = _cipher(key, day).decryptor()
    padded = dec.update(raw) + dec.finalize()
    unpad = padding.PKCS7(64).unpadder()
    plain = unpad.update(padded) + unpad.finalize()
    return plain.decode("utf-8")


def make_ciphertext(now: datetime | None = None, rng: random.Random | None = None) -> str:
    """The `ciphertext` form field as public crawlers build it (salt + yyyyMMdd + 3DES(timestamp), each character
    as its binary code, space separated). Not verified against the live site."""
    now = now or datetime.now(TZ)
    rng = rng or random.Random()
    salt = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))
    day = now.date()
    enc = encrypt(str(int(now.timestamp() * 1000)), salt, day)
    text = salt + day.strftime("%Y%m%d") + enc
    return " ".join(format(ord(c), "b") for c in text)


def request_token(rng: random.Random | None = None) -> str:
    """A 24-character `__RequestVerificationToken` as the site's script generates it."""
    rng = rng or random.Random()
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))


def envelope(
    body: bytes,
    day: date,
    url: str | None = None,
    status: int = 200,
    headers: Mapping[str, Any] | None = None,
) -> Any:
    """The decrypted `result` of a rest.q4w answer (JSON). A non-1 code mentioning login/session is a block."""
    check_blocked(PORTAL, status, body, headers, url)
    doc = load_json(PORTAL, body, url)
    if not isinstance(doc, dict):
        raise PortalError(PORTAL, "body", f"expected an object, got {type(doc).__name__}", url)
    code = need(PORTAL, doc, "code", (int, str), url)
    if str(code) != "1":
        desc = str(doc.get("description") or "")
        if any(w in desc for w in ("登录", "login", "会话", "session", "验证", "权限")) or status in (
            401,
            403,
        ):
            raise PortalBlocked(
                PORTAL, f"login session required (code {code}: {desc})", url=url, status=status
            )
        raise PortalError(PORTAL, "code", f"{code!r} ({desc!r}) is not success (1)", url)
    key = need(PORTAL, doc, "secretKey", str, url)
    result = need(PORTAL, doc, "result", str, url)
    try:
        plain = decrypt(result, key, day)
    except ValueError as exc:
        raise PortalError(
            PORTAL, "result", f"cannot decrypt with secretKey and IV {day:%Y%m%d}: {exc}", url
        ) from None
    return load_json(PORTAL, plain, url)


def parse_list(decrypted: Any, url: str | None = None) -> Page[str]:
    """queryDoc: the document ids (rowkey) of one result page; `total` is resultCount (at most 1000 reachable)."""
    qr = need(PORTAL, decrypted, "queryResult", dict, url)
    total = as_int(PORTAL, need(PORTAL, qr, "resultCount", (int, str), url), "queryResult.resultCount", url)
    rows = need(PORTAL, qr, "resultList", list, url)
    ids: list[str] = []
    for i, r in enumerate(rows):
        rk = clean(r.get("rowkey")) if isinstance(r, dict) else None
        if not rk:
            raise PortalError(PORTAL, f"queryResult.resultList[{i}].rowkey", "missing or empty", url)
        ids.append(rk)
    return Page(ids, total=total)


def parse_document(doc: Any, url: str | None = None) -> PortalItem:
    """docInfoSearch (decrypted): title, court, case number, dates, parties and cause; the text itself is not kept."""
    if not isinstance(doc, dict):
        raise PortalError(PORTAL, "body", f"expected an object, got {type(doc).__name__}", url)
    title = clean(need(PORTAL, doc, "s1", str, url))
    court = clean(need(PORTAL, doc, "s2", str, url))
    case = clean(need(PORTAL, doc, "s7", str, url))
    if not title:
        raise PortalError(PORTAL, "s1", "empty title", url)
    parties = doc.get("s17") or []
    if not isinstance(parties, list):
        raise PortalError(PORTAL, "s17", "expected a list of parties", url)
    causes = doc.get("s11") or []
    try:
        judged = optional_day(doc.get("s31"))
        published = optional_day(doc.get("s41"))
    except ValueError as exc:
        raise PortalError(PORTAL, "s31/s41", str(exc), url) from None
    names = [p for p in (clean(x) for x in parties) if p]
    meta = {
        k: doc.get(k) for k in ("s1", "s2", "s5", "s6", "s7", "s8", "s9", "s11", "s17", "s31", "s41", "s45")
    }
    return PortalItem(
        list_kind=ListKind.JUDGMENT,
        entity_name="、".join(names) or title,
        source=PORTAL,
        authority=court,
        case_number=case,
        reason="、".join(str(c) for c in causes)
        if isinstance(causes, list) and causes
        else clean(doc.get("s8")),
        decided_on=judged,
        published_on=published,
        # Detail page pattern used by public crawlers (not in PORTALS.md; unverified here).
        source_ref=f"{DETAIL_PAGE}{doc['s5']}" if doc.get("s5") else url,
        raw=meta,
    )


def parse_document_body(body: bytes | str, url: str | None = None) -> PortalItem:
    """A decrypted docInfoSearch record as text (how crawlers store it)."""
    return parse_document(load_json(PORTAL, body, url), url)


def dumps(obj: Any) -> str:
    """Compact JSON as the portal sends it (used to build constructed fixtures)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
