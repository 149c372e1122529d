"""The hand-labelled link texts of the fixture pages resolve to the very texts stored in the corpus."""

from __future__ import annotations

import json
from pathlib import Path

from nlp.corpus_build import HANDPICKED_DIR, page_headlines
from nlp.evaluation_data import labelled_path


def test_every_labelled_headline_is_a_link_text_of_its_page(shared_dir: Path) -> None:
    heads = page_headlines(shared_dir)
    rows = [
        ln.split("\t")
        for ln in (HANDPICKED_DIR / "headlines_lead.tsv").read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert len(rows) > 5000
    stored = {}
    for line in labelled_path().read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["id"].startswith("head:"):
            stored[item["id"]] = item
    for ref, kind, domain, _sub in rows:
        text, local = heads[ref]
        assert ref.startswith(f"head:{local}:")
        assert stored[ref]["title"] == text and stored[ref]["split"] == "train"
        assert stored[ref]["kind"] == kind and (stored[ref]["domain"] or "") == domain
    # The credit items among them are the scarce material: every kind is represented.
    assert {r[1] for r in rows} == {"trust", "distrust", "institution", "feedback", "other"}
