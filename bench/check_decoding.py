"""Check that ``decode_html`` chooses the same text and codec as its plain definition on every stored page.

    .venv/bin/python bench/check_decoding.py

Pages: every response of the demo recording (with its Content-Type header) and every fixture page in the shared
data (header-less, as the page objects' tests read them; gzipped files unpacked). Exits 1 on any difference and
prints the page, else the number of pages compared and both functions' CPU time.
"""

from __future__ import annotations

import gzip
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawlers.demo_recording import DEMO_WARC
from crawlers.encoding import decode_html, reference_decode_html
from crawlers.pages.groundtruth import pages_dir
from crawlers.warc import read_warc


def pages() -> list[tuple[str, bytes, str | None]]:
    """``(name, body, content type)`` of every demo response and fixture page."""
    found: list[tuple[str, bytes, str | None]] = [
        (rec.url, rec.body, rec.header("Content-Type")) for rec in read_warc(DEMO_WARC)
    ]
    for path in sorted(pages_dir().rglob("*")):
        if not path.is_file() or path.suffix == ".md":
            continue
        raw = path.read_bytes()
        found.append(
            (str(path.relative_to(pages_dir())), gzip.decompress(raw) if path.suffix == ".gz" else raw, None)
        )
    return found


def main() -> int:
    checked = pages()
    spent = {"decode_html": 0.0, "reference": 0.0}
    for name, body, content_type in checked:
        started = time.process_time()
        fast = decode_html(body, content_type)
        spent["decode_html"] += time.process_time() - started
        started = time.process_time()
        plain = reference_decode_html(body, content_type)
        spent["reference"] += time.process_time() - started
        if fast != plain:
            print(f"DIFFERENT: {name}: {fast[1]} vs {plain[1]}")
            return 1
    print(
        f"{len(checked)} pages: same text and codec; CPU {spent['decode_html']:.3f} s (decode_html) vs "
        f"{spent['reference']:.3f} s (plain definition)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
