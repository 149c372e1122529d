"""WARC writing/reading, the replay proxy server (HTTP and HTTPS via CONNECT), and the demo recording builder."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from config.settings import TZ
from crawlers.demo_recording import build, handmade_pages, inferred_url
from crawlers.registry import is_article_url
from crawlers.replay import ReplayIndex, ReplayServer
from crawlers.warc import INFERRED_HEADER, WarcRecorder, read_warc

T0 = datetime(2024, 5, 20, 9, 0, tzinfo=TZ)
T1 = datetime(2024, 5, 20, 11, 0, tzinfo=TZ)


@pytest.fixture
def warc(tmp_path: Path) -> Path:
    path = tmp_path / "rec.warc.gz"
    with WarcRecorder(path) as w:
        w.write_info({"software": "test"})
        w.write_response(
            "http://www.people.com.cn/",
            200,
            [
                ("Content-Type", "text/html; charset=GB2312"),
                ("Content-Encoding", "gzip"),
                ("Content-Length", "9"),
            ],
            "<title>人民网</title>".encode("gb18030"),
            T0,
        )
        w.write_response("https://www.cctv.com/", 200, [("Content-Type", "text/html")], b"old", T0)
        w.write_response("https://www.cctv.com/", 200, [("Content-Type", "text/html")], b"new", T1)
        w.write_response("http://www.gmw.cn/robots.txt", 200, [("Content-Type", "text/plain")], b"User-agent: *\nDisallow: /x/\n", T0)  # fmt: skip
        w.write_response("http://news.163.com/gone", 404, [("Content-Type", "text/plain")], b"gone", T0)
        w.write_response(
            "https://top.news.sina.com.cn/ws/GetTopDataList.php?top_type=day&top_cat=a&top_time=20180410&js_var=d",
            200, [("Content-Type", "application/json")], b'{"data": []}', T0,
        )  # fmt: skip
    return path


def test_warc_round_trip_keeps_bytes_and_drops_transfer_headers(warc: Path):
    records = list(read_warc(warc))
    assert len(records) == 6
    people = records[0]
    assert people.url == "http://www.people.com.cn/" and people.status == 200
    assert people.body.decode("gb18030") == "<title>人民网</title>"
    assert people.header("Content-Encoding") is None
    assert people.header("Content-Length") == str(len(people.body))
    assert people.date == T0


def test_index_lookup_exact_scheme_and_volatile_params(warc: Path):
    index = ReplayIndex.from_files([warc])
    assert index.lookup("https://www.cctv.com/").body == b"new"  # latest capture wins
    assert index.lookup("http://www.cctv.com/").body == b"new"  # other scheme
    other_day = (
        "https://top.news.sina.com.cn/ws/GetTopDataList.php?top_type=day&top_cat=a&top_time=20261123&js_var=x"
    )
    assert index.lookup(other_day) is not None
    assert index.lookup("https://top.news.sina.com.cn/ws/GetTopDataList.php?top_type=day&top_cat=b") is None
    assert index.lookup("http://www.people.com.cn/other") is None


def test_server_replays_http_and_https_through_the_proxy(warc: Path):
    with (
        ReplayServer([warc]) as server,
        httpx.Client(proxy=server.proxy_url, verify=False, timeout=5) as client,
    ):
        r = client.get("http://www.people.com.cn/")
        assert r.status_code == 200 and r.content.decode("gb18030") == "<title>人民网</title>"
        assert r.headers["content-type"] == "text/html; charset=GB2312"
        assert r.headers["memento-datetime"] == "Mon, 20 May 2024 01:00:00 GMT"
        tls = client.get("https://www.cctv.com/")  # CONNECT tunnel, TLS answered by the server
        assert tls.status_code == 200 and tls.content == b"new"
        gone = client.get("http://news.163.com/gone")
        assert gone.status_code == 404 and gone.headers["x-replay"] == "hit"  # a recorded 404 stays a 404
        miss = client.get("https://www.sohu.com/a/1_2")
        assert miss.status_code == 404 and miss.headers["x-replay"] == "miss"
        robots = client.get("http://www.gmw.cn/robots.txt")
        assert b"Disallow: /x/" in robots.content
        default = client.get("https://www.qq.com/robots.txt")
        assert default.status_code == 200 and default.headers["x-replay"] == "default-robots"
        assert server.hits == 4 and "https://www.sohu.com/a/1_2" in server.misses


def test_server_index_lists_recorded_urls(warc: Path):
    with ReplayServer([warc]) as server:
        r = httpx.get(f"{server.proxy_url}/__replay__/index.json", timeout=5)
        urls = json.loads(r.content)
    assert "http://www.people.com.cn/" in urls and len(urls) == 5  # cctv was captured twice


def test_demo_builder_marks_inferred_and_handmade_pages(tmp_path: Path, shared_dir: Path):
    out = tmp_path / "demo.warc.gz"
    pages = build(out, shared_dir / "fixtures" / "pages")
    by_url = {p.url: p for p in pages}
    # known URLs from the manifest, homepage fixtures at their addresses
    assert "http://www.gmw.cn/" in by_url and not by_url["http://www.gmw.cn/"].inferred
    assert "https://www.sohu.com/a/780060546_458722" in by_url
    # pages saved without their address get a plausible, pattern-matching URL, marked as inferred
    inferred = [p for p in pages if p.inferred and p.page_type.startswith("article")]
    assert len(inferred) >= 10 and all(is_article_url(p.url) for p in inferred)
    records = {r.url: r for r in read_warc(out)}
    assert records[inferred[0].url].warc_headers.get(INFERRED_HEADER) == "yes"
    hand = records["https://news.sina.com.cn/s/2024-05-20/doc-ihandmade0001.shtml"]
    assert hand.warc_headers["WARC-Creditwatch-Source"].startswith("handmade/handmade_")
    assert b"HAND-MADE" in hand.body
    manifest = out.with_name("demo.manifest.tsv").read_text(encoding="utf-8")
    assert "handmade/handmade_sina_homepage.html" in manifest


def test_inferred_urls_are_stable():
    assert inferred_url("163", "163/gne/163_1.html.gz") == inferred_url("163", "163/gne/163_1.html.gz")
    assert inferred_url("unknown-site", "x") is None


def test_handmade_pages_must_be_named_and_dated(tmp_path: Path):
    (tmp_path / "page.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "index.yaml").write_text(
        'pages:\n  - {url: "https://www.sohu.com/", file: page.html, date: "2024-05-20T10:00:00+08:00"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="handmade_"):
        list(handmade_pages(tmp_path))
    (tmp_path / "handmade_x.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "index.yaml").write_text(
        'pages:\n  - {url: "https://www.sohu.com/", file: handmade_x.html, date: "2024-05-20T10:00:00"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="time zone"):
        list(handmade_pages(tmp_path))


def test_handmade_page_may_not_shadow_a_real_page(tmp_path: Path):
    fixtures = tmp_path / "fixtures"
    (fixtures / "gmw").mkdir(parents=True)
    (fixtures / "gmw" / "home.html").write_text("<html><body>光明网</body></html>", encoding="utf-8")
    (fixtures / "manifest.tsv").write_text(
        "local_file\tsite\trepo\tpath\tcommit\tpage_type\turl\tground_truth\tgt_kind\tnotes\n"
        "gmw/home.html\tgmw\tr\tp\tc\thomepage\thttp://www.gmw.cn/\t\t\t\n",
        encoding="utf-8",
    )
    hand = tmp_path / "hand"
    hand.mkdir()
    (hand / "handmade_gmw.html").write_text("<html></html>", encoding="utf-8")
    (hand / "index.yaml").write_text(
        'pages:\n  - {url: "http://www.gmw.cn/", file: handmade_gmw.html, date: "2024-05-20T10:00:00+08:00"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="shadow"):
        build(tmp_path / "x.warc.gz", fixtures, handmade=hand)
    (hand / "index.yaml").write_text(
        'pages:\n  - {url: "https://www.sohu.com/", file: handmade_gmw.html, date: "2024-05-20T10:00:00+08:00"}\n',
        encoding="utf-8",
    )
    pages = build(tmp_path / "x.warc.gz", fixtures, handmade=hand)
    assert [p.url for p in pages] == ["http://www.gmw.cn/", "https://www.sohu.com/"]
