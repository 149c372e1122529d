"""The labelled corpus is built from references into ../shared, cached outside git and rebuilt when a
reference or label file changes; the repository itself holds no corpus text."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from config.paths import REPO_DIR
from nlp import evaluation_data


def test_the_built_corpus_is_cached_and_keyed_by_the_reference_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = evaluation_data.labelled_path()
    monkeypatch.setenv("CREDITWATCH_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "data"
    shutil.copytree(evaluation_data.DATA_DIR, data, ignore=shutil.ignore_patterns("labelled.jsonl"))
    monkeypatch.setattr(evaluation_data, "DATA_DIR", data)
    key = evaluation_data.build_inputs_sha256()
    path = tmp_path / "cache" / f"labelled-{key[:16]}.jsonl"
    path.parent.mkdir()
    shutil.copy(shipped, path)  # a cached build under this key is read as it is, never rebuilt
    assert evaluation_data.labelled_path() == path
    # one more label row changes the key: the corpus built before is not read for it
    with (data / "handpicked" / "mined_lead.tsv").open("a", encoding="utf-8") as fh:
        fh.write("bdci:ffffffffffffffffffffffffffffffff\tother\t\t\n")
    assert evaluation_data.build_inputs_sha256() != key


def test_the_corpus_rows_are_the_texts_of_their_references(shared_dir: Path) -> None:
    items = {i.id: i for i in evaluation_data.load_labelled()}
    assert len(items) > 15000
    with gzip.open(shared_dir / "corpus" / "thucnews" / "titles_dev.txt.gz", "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    thuc = [i for i in items if i.startswith("thuc:dev:")]
    assert thuc
    for ref in thuc[:50]:
        assert items[ref].title == lines[int(ref.split(":")[2]) - 1].rpartition("\t")[0].strip()


def test_the_repository_tracks_no_corpus_text() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "nlp/data/labelled.jsonl" not in tracked
    assert not [f for f in tracked if f.endswith(".jsonl") and f.startswith(("nlp/", "tests/nlp/"))]
    # a long body of the corpus is in no tracked file
    body = next(i.body for i in evaluation_data.load_labelled() if len(i.body) > 200)[40:90]
    found = subprocess.run(["git", "grep", "-F", "-l", body], cwd=REPO_DIR, capture_output=True, text=True)
    assert found.stdout == ""


def test_tencent_news_from_2024_on_is_refused_as_a_training_item(
    shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nlp import corpus_build

    held_out = next(
        i for i, (date, *_rest) in corpus_build.qqnews_items(shared_dir).items() if date >= "2024-01-01"
    )
    (tmp_path / "late.tsv").write_text(f"qq:{held_out}\tother\t\t\n", encoding="utf-8")
    monkeypatch.setattr(corpus_build, "HANDPICKED_DIR", tmp_path)
    monkeypatch.setattr(corpus_build, "DATA_DIR", tmp_path)  # no handpicked.tsv there: only the late row
    with pytest.raises(ValueError, match="never trained on"):
        corpus_build.from_handpicked(shared_dir)
    # the labelled Tencent items of the corpus all predate the yardstick
    qq = [i for i in evaluation_data.load_labelled() if i.id.startswith("qq:")]
    dates = corpus_build.qqnews_items(shared_dir)
    assert qq and all(dates[i.id[3:]][0] < "2024-01-01" and i.split == "train" for i in qq)
