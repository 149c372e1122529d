"""Evidence uploads on the event page: checked by content and size, stored by SHA-256 under the data directory,
listed with a download for signed-in staff; the uploader's file name is never trusted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from config.settings import Settings
from models import EventCorrection, EvidenceFile, FeedbackLink, FeedbackStatus
from monitor.evidence_files import MAX_BYTES, clean_filename, file_kind
from tests.web.conftest import csrf_of
from tests.web.evidence_samples import docx_bytes, pdf_bytes, png_bytes
from tests.web.seed import Seeded

HOSTILE_NAME = '../../<img src=x onerror=alert(1)>\x07通报".pdf'


def test_kinds_come_from_the_content() -> None:
    assert file_kind(pdf_bytes()) == "pdf"
    assert file_kind(png_bytes()) == "png"
    assert file_kind(docx_bytes()) == "docx"
    assert file_kind(b"<html><body>not a pdf</body></html>") is None
    assert file_kind(b"PK\x03\x04 truncated zip") is None
    assert clean_filename("C:\\Users\\科员\\反馈.PDF", "pdf") == "反馈.pdf"
    assert clean_filename("photo.pdf", "png") == "photo.png"  # the extension of what it really is
    name = clean_filename(HOSTILE_NAME, "pdf")
    assert "/" not in name and "\x07" not in name and '"' not in name and name.endswith(".pdf")


def test_feedback_with_evidence_is_stored_listed_and_downloadable(
    as_analyst: TestClient, engine: Engine, seeded: Seeded, web_settings: Settings
) -> None:
    data = pdf_bytes()
    page = as_analyst.get(f"/events/{seeded.major_event}").text
    assert 'enctype="multipart/form-data"' in page
    r = as_analyst.post(
        f"/events/{seeded.major_event}/feedback",
        data={
            "csrf_token": csrf_of(page),
            "at": "2026-10-11T10:00",
            "channel": "政府网站",
            "title": "江阴市市场监管局关于食品厂过期原料的处置通报",
        },
        files={"evidence": (HOSTILE_NAME, data, "text/html")},
    )
    assert r.status_code == 303, r.text
    html = as_analyst.get(f"/events/{seeded.major_event}").text
    assert "已记录政府反馈" in html and 'id="evidence-files"' in html
    # the name is shown, reduced to harmless characters; the markup in it never reaches the page
    assert "<img src=x" not in html and "download>_img src=x onerror=alert(1)_" in html
    digest = hashlib.sha256(data).hexdigest()
    blob = Path(web_settings.data_dir) / "evidence" / digest[:2] / digest
    assert blob.read_bytes() == data
    with Session(engine) as s:
        f = s.scalars(select(EvidenceFile)).one()
        link = s.get(FeedbackLink, f.feedback_link_id)
        assert link is not None and link.status == FeedbackStatus.CONFIRMED and link.event_id == f.event_id
        assert (f.sha256, f.size, f.content_type, f.uploaded_by) == (
            digest,
            len(data),
            "application/pdf",  # from the bytes, not the browser's text/html
            "analyst",
        )
        file_id = f.id
        audit = {c.field: c.corrected_by for c in s.scalars(select(EventCorrection))}
        assert audit == {"feedback": "analyst", "evidence": "analyst"}
    got = as_analyst.get(f"/evidence/{file_id}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "application/pdf"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="evidence-{file_id}.pdf"')
    assert "<" not in disposition and "\x07" not in disposition and "/" not in disposition.split("''", 1)[1]


def test_viewers_download_but_do_not_upload(
    as_analyst: TestClient, client: TestClient, seeded: Seeded
) -> None:
    page = as_analyst.get(f"/events/{seeded.trust_event}").text
    r = as_analyst.post(
        f"/events/{seeded.trust_event}/evidence",
        data={"csrf_token": csrf_of(page)},
        files={"evidence": ("照片.png", png_bytes(), "image/png")},
    )
    assert r.status_code == 303
    html = as_analyst.get(f"/events/{seeded.trust_event}").text
    assert "已上传证据「照片.png」" in html
    href = html.split('href="/evidence/', 1)[1].split('"', 1)[0]
    as_analyst.post("/logout", data={"csrf_token": csrf_of(html)})
    anonymous = client.get(f"/evidence/{href}")
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    from tests.web.conftest import login

    viewer = login(client, "viewer")
    assert viewer.get(f"/evidence/{href}").content == png_bytes()
    page = viewer.get(f"/events/{seeded.trust_event}").text
    assert 'id="upload-evidence"' not in page
    refused = viewer.post(
        f"/events/{seeded.trust_event}/evidence",
        data={"csrf_token": csrf_of(page)},
        files={"evidence": ("x.png", png_bytes(), "image/png")},
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "证据文件只接受 PDF、PNG、JPEG 图片或 Word（DOCX）文档"),
        (b"", "上传的证据文件是空的"),
        (b"%PDF-1.4\n" + b"0" * MAX_BYTES, "证据文件不能超过 10 MB"),
    ],
)
def test_uploads_are_refused_by_content_and_size(
    as_analyst: TestClient, engine: Engine, seeded: Seeded, payload: bytes, message: str
) -> None:
    page = as_analyst.get(f"/events/{seeded.trust_event}").text
    r = as_analyst.post(
        f"/events/{seeded.trust_event}/evidence",
        data={"csrf_token": csrf_of(page)},
        files={"evidence": ("通报.pdf", payload, "application/pdf")},
    )
    assert r.status_code == 303
    assert message in as_analyst.get(f"/events/{seeded.trust_event}").text
    with Session(engine) as s:
        assert s.scalars(select(EvidenceFile)).first() is None


def test_a_body_beyond_the_limit_is_refused_before_it_is_read(as_analyst: TestClient, seeded: Seeded) -> None:
    page = as_analyst.get(f"/events/{seeded.trust_event}").text
    r = as_analyst.post(
        f"/events/{seeded.trust_event}/evidence",
        data={"csrf_token": csrf_of(page)},
        files={"evidence": ("big.pdf", b"%PDF-1.4\n" + b"0" * (MAX_BYTES + 512 * 1024), "application/pdf")},
    )
    assert r.status_code == 413 and "上传内容过大" in r.text


def test_a_word_document_keeps_its_type(as_analyst: TestClient, seeded: Seeded) -> None:
    page = as_analyst.get(f"/events/{seeded.major_event}").text
    as_analyst.post(
        f"/events/{seeded.major_event}/evidence",
        data={"csrf_token": csrf_of(page)},
        files={"evidence": ("处置情况.docx", docx_bytes(), "application/octet-stream")},
    )
    html = as_analyst.get(f"/events/{seeded.major_event}").text
    assert "处置情况.docx" in html and "Word 文档" in html
