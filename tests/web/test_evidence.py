"""Evidence uploads on the event page: checked by content and size, stored by SHA-256 under the data directory,
listed with a download for signed-in staff; the uploader's file name is never trusted."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from models import EventCorrection, EvidenceFile, FeedbackLink, FeedbackStatus
from monitor.evidence_files import (
    MAX_BYTES,
    Upload,
    clean_filename,
    file_kind,
    referenced,
    remove_evidence,
    store_upload,
    sweep_orphans,
)
from tests.web.conftest import csrf_of, login
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


def _upload(client: TestClient, event_id: int, name: str, data: bytes) -> None:
    page = client.get(f"/events/{event_id}").text
    r = client.post(
        f"/events/{event_id}/evidence",
        data={"csrf_token": csrf_of(page)},
        files={"evidence": (name, data, "application/pdf")},
    )
    assert r.status_code == 303


def _remove(client: TestClient, event_id: int, file_id: int) -> int:
    page = client.get(f"/events/{event_id}").text
    r = client.post(f"/events/{event_id}/evidence/{file_id}/remove", data={"csrf_token": csrf_of(page)})
    return r.status_code


def _blob(settings: Settings, digest: str) -> Path:
    return Path(settings.data_dir) / "evidence" / digest[:2] / digest


def test_a_file_shared_by_two_rows_goes_with_the_last_of_them(
    as_analyst: TestClient, engine: Engine, seeded: Seeded, web_settings: Settings
) -> None:
    data = pdf_bytes()
    digest = hashlib.sha256(data).hexdigest()
    _upload(as_analyst, seeded.major_event, "通报.pdf", data)
    _upload(as_analyst, seeded.trust_event, "同一份通报.pdf", data)  # another event, the same content
    with Session(engine) as s:
        rows = {f.event_id: f.id for f in s.scalars(select(EvidenceFile))}
    assert set(rows) == {seeded.major_event, seeded.trust_event}
    page = as_analyst.get(f"/events/{seeded.major_event}").text
    assert f'action="/events/{seeded.major_event}/evidence/{rows[seeded.major_event]}/remove"' in page
    # a row is removed only from its own event
    assert _remove(as_analyst, seeded.trust_event, rows[seeded.major_event]) == 303
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(EvidenceFile)) == 2

    assert _remove(as_analyst, seeded.major_event, rows[seeded.major_event]) == 303
    html = as_analyst.get(f"/events/{seeded.major_event}").text
    assert "已删除证据「通报.pdf」" in html and "尚无证据文件" in html
    assert _blob(web_settings, digest).read_bytes() == data  # the other event's row still needs it
    assert as_analyst.get(f"/evidence/{rows[seeded.trust_event]}").content == data

    assert _remove(as_analyst, seeded.trust_event, rows[seeded.trust_event]) == 303
    assert not _blob(web_settings, digest).exists()
    with Session(engine) as s:
        assert s.scalars(select(EvidenceFile)).first() is None
        removed = [
            (c.event_id, c.before, c.after, c.corrected_by)
            for c in s.scalars(select(EventCorrection).where(EventCorrection.after == "已删除"))
        ]
    assert sorted(removed) == sorted(
        [
            (seeded.major_event, f"通报.pdf（SHA-256 {digest[:12]}…）", "已删除", "analyst"),
            (seeded.trust_event, f"同一份通报.pdf（SHA-256 {digest[:12]}…）", "已删除", "analyst"),
        ]
    )


def test_viewers_cannot_remove_evidence(
    as_analyst: TestClient, client: TestClient, engine: Engine, seeded: Seeded, web_settings: Settings
) -> None:
    _upload(as_analyst, seeded.trust_event, "照片.pdf", pdf_bytes())
    with Session(engine) as s:
        file_id = s.scalars(select(EvidenceFile.id)).one()
    as_analyst.post("/logout", data={"csrf_token": csrf_of(as_analyst.get("/events").text)})
    viewer = login(client, "viewer")
    page = viewer.get(f"/events/{seeded.trust_event}").text
    assert "/remove" not in page
    assert _remove(viewer, seeded.trust_event, file_id) == 403
    assert _blob(web_settings, hashlib.sha256(pdf_bytes()).hexdigest()).exists()


def test_files_follow_the_transaction(engine: Engine, seeded: Seeded, tmp_path: Path) -> None:
    """A removal rolled back keeps the file; an upload whose file went while its row was not yet committed (its
    hash's last other row removed meanwhile) writes it again once committed."""
    data = png_bytes()
    digest = hashlib.sha256(data).hexdigest()
    blob = tmp_path / "evidence" / digest[:2] / digest
    with Session(engine) as s:
        record = store_upload(
            s, tmp_path, Upload("图.png", data), event_id=seeded.major_event, user="analyst"
        )
        s.commit()
        file_id = record.id
    with Session(engine) as s:
        remove_evidence(s, tmp_path, file_id, event_id=seeded.major_event, user="analyst")
        s.rollback()
    assert blob.read_bytes() == data
    with Session(engine) as s:
        assert s.get(EvidenceFile, file_id) is not None
        store_upload(s, tmp_path, Upload("图2.png", data), event_id=seeded.trust_event, user="analyst")
        blob.unlink()  # as the removal of the hash's last committed row would, before this row is committed
        s.commit()
    assert blob.read_bytes() == data
    with Session(engine) as s:
        remove_evidence(s, tmp_path, file_id, event_id=seeded.major_event, user="analyst")
        s.commit()
    assert blob.read_bytes() == data  # the second row holds it
    with Session(engine) as s:
        assert referenced(engine, [digest, "0" * 64]) == {digest}


def _age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_the_sweep_removes_unreferenced_files_an_hour_old(
    engine: Engine, seeded: Seeded, tmp_path: Path
) -> None:
    """Rows removed another way (here by a plain DELETE) leave their files to the sweep; a file without a row
    younger than an hour may be an upload in flight and is kept."""
    kept, orphan, young = pdf_bytes(), png_bytes(), docx_bytes()
    with Session(engine) as s:
        for data, name in ((kept, "在用.pdf"), (orphan, "孤立.png"), (young, "刚上传.docx")):
            store_upload(s, tmp_path, Upload(name, data), event_id=seeded.major_event, user="analyst")
        s.commit()
        s.execute(delete(EvidenceFile).where(EvidenceFile.filename != "在用.pdf"))
        s.commit()
    blobs = {
        k: tmp_path / "evidence" / h[:2] / h
        for k, h in ((d, hashlib.sha256(d).hexdigest()) for d in (kept, orphan, young))
    }
    for data in (kept, orphan):
        _age(blobs[data], 2)
    _age(blobs[young], 0.5)
    stale_tmp = blobs[kept].parent / ".upload-crashed"
    stale_tmp.write_bytes(b"half")
    _age(stale_tmp, 3)
    report = sweep_orphans(engine, tmp_path)
    assert report.removed == [hashlib.sha256(orphan).hexdigest()]
    assert (report.kept, report.young, report.temp_removed, report.freed_bytes) == (1, 1, 1, len(orphan))
    assert blobs[kept].exists() and blobs[young].exists()
    assert not blobs[orphan].exists() and not stale_tmp.exists()
    # an hour later the young one is old enough
    assert sweep_orphans(engine, tmp_path, at=time.time() + 3600).removed == [
        hashlib.sha256(young).hexdigest()
    ]
    assert blobs[kept].read_bytes() == kept


def test_the_sweep_command_and_job(
    engine: Engine, seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from config.settings import get_settings
    from monitor import jobs
    from monitor.cli import app
    from storage.db import get_engine

    orphan = tmp_path / "evidence" / "ab" / ("ab" + "0" * 62)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"%PDF-1.4 left behind")
    _age(orphan, 2)
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("CREDITWATCH_DATABASE_URL", url)
    monkeypatch.setenv("CREDITWATCH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        young = tmp_path / "evidence" / "cd" / ("cd" + "0" * 62)
        young.parent.mkdir()
        young.write_bytes(b"%PDF-1.4 in flight")
        assert (
            jobs.sweep_evidence()
            == "清理无引用的证据文件 1 个（释放 0.0 KB），在用 0 个，未满 1 小时暂留 1 个"
        )
        assert not orphan.exists() and young.exists()
        result = CliRunner().invoke(app, ["--db", url, "events", "evidence-sweep", "--min-age", "1"])
        assert result.exit_code == 0, result.output
        assert "removed 0 unreferenced evidence files" in result.output and young.exists()
        _age(young, 0.1)  # six minutes
        result = CliRunner().invoke(app, ["--db", url, "events", "evidence-sweep", "--min-age", "5"])
        assert "removed 1 unreferenced evidence files" in result.output and not young.exists()
    finally:
        get_engine.cache_clear()
        get_settings.cache_clear()


def test_a_merge_keeps_a_response_s_evidence_on_the_response_that_stays(
    as_analyst: TestClient, engine: Engine, seeded: Seeded, web_settings: Settings
) -> None:
    """Both events link the same response: the merge keeps the target's link, and the evidence documenting the
    source's link moves onto it (and its file stays)."""
    data = pdf_bytes()
    with Session(engine) as s:
        kept = s.scalars(select(FeedbackLink).where(FeedbackLink.event_id == seeded.major_event)).one()
        twin = FeedbackLink(event_id=seeded.trust_event, article_id=kept.article_id, score=0.5)
        s.add(twin)
        s.flush()
        store_upload(
            s, Path(web_settings.data_dir), Upload("答复.pdf", data), event_id=seeded.trust_event, user="analyst",
            feedback_link_id=twin.id,
        )  # fmt: skip
        s.commit()
        kept_id = kept.id
    page = as_analyst.get(f"/events/{seeded.trust_event}").text
    r = as_analyst.post(
        f"/events/{seeded.trust_event}/merge",
        data={"csrf_token": csrf_of(page), "target": str(seeded.major_event)},
    )
    assert r.status_code == 303
    with Session(engine) as s:
        f = s.scalars(select(EvidenceFile)).one()
        assert (f.event_id, f.feedback_link_id) == (seeded.major_event, kept_id)
    assert _blob(web_settings, hashlib.sha256(data).hexdigest()).read_bytes() == data
