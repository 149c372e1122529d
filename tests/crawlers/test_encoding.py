from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from config.paths import shared_dir
from crawlers.encoding import (
    BINARY_SHARE,
    binary_share,
    decode_html,
    header_charset,
    meta_charset,
    mojibake_score,
    normalise_charset,
)
from tests.crawlers.reference_decoding import reference_decode_html


def page(rel: str) -> bytes:
    path = shared_dir() / "fixtures/pages" / rel
    if not path.is_file():
        pytest.fail(f"fixture missing: {rel}")
    return gzip.decompress(Path(path).read_bytes())


QQ_2023 = "qq/qq-homepage/www.qq.com_2023-09.html.gz"  # GBK bytes, meta charset=gb2312
XINHUA_GBK = "xinhua/trafilatura/archive.org.he.xinhuanet.com.25340717.html.gz"
PEOPLE_HOME = "people/iee-homework/httpwww.people.com.cn.html.gz"  # meta GB2312
UTF8_ARTICLE = "people/fundus/People_2024_04_24.html.gz"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("cp936", "gb18030"),
        ("GB18030", "gb18030"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        ("iso-8859-1", "iso8859-1"),
        ("no-such-charset", None),
        (None, None),
    ],
)
def test_normalise_charset(declared: str | None, expected: str | None) -> None:
    assert normalise_charset(declared) == expected


def test_header_and_meta_charsets_are_read() -> None:
    assert header_charset("text/html; charset=GBK") == "gb18030"
    assert header_charset("text/html") is None
    assert meta_charset(page(QQ_2023)) == "gb18030"
    assert meta_charset(page(PEOPLE_HOME)) == "gb18030"
    assert meta_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=utf-8">') == "utf-8"


@pytest.mark.parametrize(
    ("rel", "content_type", "codec", "snippet"),
    [
        # a GBK page whose header lies (says UTF-8): the meta tag decodes without mojibake and wins
        (QQ_2023, "text/html; charset=utf-8", "gb18030", "腾讯网"),
        # no header at all: meta gb2312 -> read as GB18030
        (QQ_2023, None, "gb18030", "腾讯网"),
        (XINHUA_GBK, None, "gb18030", "约定无期限"),
        (XINHUA_GBK, "text/html; charset=iso-8859-1", "gb18030", "约定无期限"),
        (PEOPLE_HOME, "text/html; charset=GB2312", "gb18030", "人民网"),
        # a UTF-8 page served with a wrong GBK header
        (UTF8_ARTICLE, "text/html; charset=gbk", "utf-8", "促进航天技术更好惠及人民"),
        (UTF8_ARTICLE, "text/html; charset=UTF-8", "utf-8", "促进航天技术更好惠及人民"),
    ],
)
def test_real_pages_decode_cleanly(rel: str, content_type: str | None, codec: str, snippet: str) -> None:
    text, used = decode_html(page(rel), content_type)
    assert used == codec
    assert snippet in text
    assert mojibake_score(text) < 0.001


def test_gb2312_declared_page_with_gb18030_only_characters() -> None:
    # 镕 and 𠮷 are outside GB2312; pages that declare GB2312 still use them
    body = '<html><head><meta charset="gb2312"></head><body>朱镕基 𠮷野家</body></html>'.encode("gb18030")
    text, used = decode_html(body, "text/html; charset=GB2312")
    assert used == "gb18030"
    assert "朱镕基 𠮷野家" in text


def test_bom_wins() -> None:
    text, used = decode_html(b"\xef\xbb\xbf<p>\xe4\xb8\xad</p>", "text/html; charset=gbk")
    assert (text, used) == ("<p>中</p>", "utf-8")


def test_mojibake_score_separates_wrong_decodings() -> None:
    raw = page(QQ_2023)
    assert mojibake_score(raw.decode("gb18030")) < 0.001
    assert mojibake_score(raw.decode("utf-8", errors="replace")) > 0.01
    assert mojibake_score(raw.decode("latin-1")) > 0.01
    assert mojibake_score("") == 0.0


def test_binary_share_refuses_binary_and_passes_every_real_page() -> None:
    """Every saved page of the 15 sites decodes to almost nothing but text; binary served as HTML does not."""
    pages = shared_dir() / "fixtures/pages"
    worst = 0.0
    with (pages / "manifest.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            raw = (pages / row["local_file"]).read_bytes()
            if row["local_file"].endswith(".gz"):
                raw = gzip.decompress(raw)
            worst = max(worst, binary_share(raw))
    assert worst < BINARY_SHARE / 100
    assert binary_share(bytes(range(256)) * 8 + b"\x00\xff" * 500) > BINARY_SHARE
    assert binary_share("江阴".encode()[:-1]) == 0.0  # a truncated UTF-8 character is not binary
    assert binary_share(b"") == 0.0


def test_binary_share_counts_the_control_bytes_a_pattern_counts() -> None:
    import random
    import re

    control = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
    rng = random.Random(7)
    bodies = [
        bytes(range(256)) * 300,
        b"\t\n\r\x0c plain",
        *(rng.randbytes(rng.randrange(1, 900)) for _ in range(500)),
    ]
    for body in bodies:
        head = body[:65536]
        assert binary_share(body) == len(control.findall(head)) / len(head)


def test_mojibake_class_is_the_per_character_definition() -> None:
    """The compiled character class counts exactly the characters of the definition it replaced, over every
    code point (surrogates aside: they cannot occur in decoded text)."""
    import unicodedata

    def bad(code: int) -> bool:
        char = chr(code)
        return (
            char == "\ufffd"
            or 0x80 <= code <= 0xFF
            or 0xE000 <= code <= 0xF8FF
            or 0x3400 <= code <= 0x4DBF
            or code >= 0x20000
            or unicodedata.category(char) == "Co"
        )

    codes = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(map(chr, codes))
    assert mojibake_score(text) * len(text) == pytest.approx(sum(map(bad, codes)), abs=0.5)
    for code in (
        0x7F,
        0x80,
        0xFF,
        0x100,
        0x33FF,
        0x3400,
        0x4DBF,
        0x4E00,
        0xE000,
        0xF8FF,
        0xF900,
        0x1FFFF,
        0x20000,
    ):
        assert (mojibake_score(chr(code)) == 1.0) == bad(code), hex(code)


# decode_html's early exits (a later candidate rejected on its first chunk of bytes, or part-way through counting)
# must choose exactly what the plain definition chooses. Crafted bodies around the 16 KiB chunk size.
_ZH = "市场监管总局通报信用修复工作进展，企业失信行为整改后可申请移出名单。"
_MARKS = "·©®°±×é"


def _crafted(seed: int) -> tuple[bytes, str | None]:
    """A body of UTF-8, GBK, Latin-1 and random byte runs in random order and sizes, and a declared charset."""
    import random

    rng = random.Random(seed)
    parts: list[bytes] = []
    size = rng.choice((200, 15_000, 16_384, 17_000, 40_000, 150_000))
    while sum(map(len, parts)) < size:
        kind = rng.random()
        run = "".join(rng.choice((_ZH, _ZH, _MARKS, "<p>abc</p>\n")) for _ in range(rng.randint(1, 40)))
        if kind < 0.45:
            parts.append(run.encode("utf-8"))
        elif kind < 0.8:
            parts.append(run.encode("gb18030"))
        elif kind < 0.9:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 30))))
        else:
            parts.append(b"<div>" + b"x" * rng.randint(1, 20_000) + b"</div>")
    body = b"".join(parts)
    declared = rng.choice(
        (None, "text/html; charset=utf-8", "text/html; charset=gbk", "text/html; charset=big5")
    )
    return body, declared


@pytest.mark.parametrize("seed", range(300))
def test_decode_fast_paths_choose_what_the_definition_chooses(seed: int) -> None:
    body, content_type = _crafted(seed)
    assert decode_html(body, content_type) == reference_decode_html(body, content_type)


@pytest.mark.parametrize(
    ("body", "content_type", "codec"),
    [
        # the right UTF-8 decoding scores above 0 ('·', '©'), so GB18030 is weighed and loses on its first chunk
        (("<p>" + _ZH + "·©</p>\n").encode("utf-8") * 600, None, "utf-8"),
        # GBK declared wrongly as UTF-8: the UTF-8 reading is full of U+FFFD, GB18030 is clean and wins
        (("<p>" + _ZH + "</p>\n").encode("gbk") * 600, "text/html; charset=utf-8", "gb18030"),
        # GBK with '·' under a GBK header: GB18030 first, the UTF-8 reading rejected on its first chunk
        (("<p>" + _ZH + "·</p>\n").encode("gbk") * 600, "text/html; charset=gbk", "gb18030"),
        # ASCII for the first chunk, then UTF-8: the prefix shows nothing, the whole count decides
        (b"<!-- " + b"a" * 20_000 + b" -->" + ("<p>" + _ZH + "·</p>").encode("utf-8") * 300, None, "utf-8"),
        # the same for GBK after ASCII: UTF-8 is decoded in full and loses
        (b"<!-- " + b"a" * 20_000 + b" -->" + ("<p>" + _ZH + "</p>").encode("gbk") * 300, None, "gb18030"),
        # undecodable bytes score 1.0 in both readings: the tie goes to the earlier candidate
        (b"\xff" * 40_000, None, "utf-8"),
        (b"\xff" * 40_000, "text/html; charset=gbk", "gb18030"),
    ],
)
def test_decode_crafted_pages(body: bytes, content_type: str | None, codec: str) -> None:
    text, used = decode_html(body, content_type)
    assert used == codec
    assert (text, used) == reference_decode_html(body, content_type)


@pytest.mark.parametrize("seed", range(40))
def test_incremental_prefix_is_the_start_of_the_whole_decoding(seed: int) -> None:
    """What the prefix check relies on: an incremental decoder's output on the first bytes starts the full text."""
    import codecs

    body, _ = _crafted(seed)
    for codec in ("utf-8", "gb18030"):
        whole = body.decode(codec, errors="replace")
        head = codecs.getincrementaldecoder(codec)(errors="replace").decode(body[:16384], final=False)
        assert whole.startswith(head)
        assert len(whole) <= len(body)


def test_decode_matches_the_definition_on_every_fixture_page() -> None:
    folder = shared_dir() / "fixtures/pages"
    files = [path for path in sorted(folder.rglob("*")) if path.is_file() and path.suffix != ".md"]
    assert len(files) > 100
    for path in files:
        raw = path.read_bytes()
        body = gzip.decompress(raw) if path.suffix == ".gz" else raw
        assert decode_html(body) == reference_decode_html(body), path.name


def test_decode_matches_the_definition_on_every_demo_response() -> None:
    """The demo recording's responses, each with the Content-Type it was served with."""
    from crawlers.demo_recording import DEMO_WARC
    from crawlers.warc import read_warc

    records = list(read_warc(DEMO_WARC))
    assert len(records) > 50
    for rec in records:
        content_type = rec.header("Content-Type")
        assert decode_html(rec.body, content_type) == reference_decode_html(rec.body, content_type), rec.url
