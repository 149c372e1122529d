"""Index model files: the shipped ones load and match their seeds; broken ones fail with file, path and problem."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from scoring.model import MODELS_DIR, ModelFileError, Source, available_models, load_model, load_model_file


def test_shipped_models_load():
    assert {"jiangsu2016", "monitor2019", "demo-city"} <= set(available_models())
    for name in available_models():
        model = load_model(name)
        assert model.name == name
        for _aspect, leaf in model.leaves():
            assert leaf.source in set(Source)


def test_jiangsu2016_has_the_eight_aspects_of_seed_003():
    model = load_model("jiangsu2016")
    assert [a.name for a in model.aspects] == [
        "信用事件发生情况", "信用制度完善程度", "信用信息公开程度", "信用建设任务落实情况",
        "黑名单记录情况", "重大失信事件", "政府反馈", "重要守信事件",
    ]  # fmt: skip
    paths = {a["path"] for a in model.assumptions()}
    # The parameters no public source gives are all declared assumptions, with notes.
    for needle in ("weight", "per_event", "fraction", "half_life_months", "total.base", "total.span"):
        assert any(needle in p for p in paths), needle
    assert all(a["note"] for a in model.assumptions())


def test_monitor2019_is_the_full_5_21_61_tree_with_departments():
    model = load_model("monitor2019")
    level2 = [i for a in model.aspects for i in a.indicators]
    level3 = [x for i in level2 for x in i.indicators]
    assert len(model.aspects) == 5 and len(level2) == 21 and len(level3) == 61
    assert [x.code for x in level3] == [f"T{n}" for n in range(1, 62)]
    assert all(leaf.departments for _a, leaf in model.leaves())
    crawled = {leaf.code for _a, leaf in model.leaves() if leaf.source is Source.CRAWLED}
    assert {f"T{n}" for n in range(25, 33)} <= crawled  # 严重失信事件测评 comes from monitoring
    assert level3[0].name == "国家黑名单总量" and level3[60].name == "高法涉及合同纠纷案件数量"


def test_demo_city_has_10_basic_and_the_guided_items():
    model = load_model("demo-city")
    basic = next(a for a in model.aspects if a.role == "basic")
    guided = next(a for a in model.aspects if a.role == "score")
    assert [i.code for i in basic.indicators] == [f"B{n}" for n in range(1, 11)]
    assert [i.code for i in guided.indicators] == [f"G{n}" for n in range(11, 21)]
    caps = {leaf.code: leaf.points.value for leaf in guided.leaves() if leaf.points}
    assert (
        caps["G11"] == 1
        and caps["G14.1"] == 2
        and caps["G14.2"] == 2
        and caps["G15"] == 3
        and caps["G17"] == 4
    )


def _write(tmp_path: Path, data: dict, name: str = "jiangsu2016") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def jiangsu_data() -> dict:
    return yaml.safe_load((MODELS_DIR / "jiangsu2016.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        # a weight that is not a number
        (lambda d: d["aspects"][0].__setitem__("weight", "heavy"), "jiangsu2016.yaml: aspects[A1].weight"),
        # weights no longer summing to 1
        (lambda d: d["aspects"][0]["weight"].__setitem__("value", 0.5), "sum to 1.25, not 1"),
        # an assumption without a note
        (lambda d: d["total"]["base"].pop("note"), "total.base: Value error, an assumption needs a `note`"),
        # an unknown metric
        (
            lambda d: d["aspects"][0]["indicators"][1].__setitem__("metric", "articles.gossip"),
            "aspects[A1].indicators[A1.2].inputs.0.metric: Value error, unknown metric 'articles.gossip'",
        ),
        # an unknown formula
        (
            lambda d: d["aspects"][0]["indicators"][0].__setitem__("formula", "magic"),
            "unknown formula 'magic'",
        ),
        # formula arguments that do not match
        (
            lambda d: d["aspects"][0]["indicators"][0]["args"].pop("other"),
            "formula share takes ['part', 'other']",
        ),
        # feedback that could turn a deduction into a gain
        (
            lambda d: d["events"]["feedback_offset"]["fraction"].__setitem__("value", 1.5),
            "fraction must lie in [0, 1]",
        ),
        # a typo in a key
        (
            lambda d: d["aspects"][1].__setitem__("wieght", 0.2),
            "aspects[A2].wieght: Extra inputs are not permitted",
        ),
        # a duplicated code
        (lambda d: d["aspects"][1].__setitem__("code", "A1"), "code 'A1' is used twice"),
        # an unknown named scale
        (
            lambda d: d["aspects"][0]["indicators"][1].__setitem__("normalise", "steep"),
            "unknown scale 'steep'",
        ),
    ],
)
def test_broken_model_names_file_path_and_problem(tmp_path, jiangsu_data, mutate, expected):
    data = copy.deepcopy(jiangsu_data)
    mutate(data)
    with pytest.raises(ModelFileError) as err:
        load_model_file(_write(tmp_path, data))
    assert "jiangsu2016.yaml" in str(err.value)
    assert expected in str(err.value)


def test_bad_yaml_and_wrong_file_name(tmp_path, jiangsu_data):
    bad = tmp_path / "x.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"x\.yaml: not valid YAML"):
        load_model_file(bad)
    with pytest.raises(ModelFileError, match=r"other\.yaml: name: model is called 'jiangsu2016'"):
        load_model_file(_write(tmp_path, jiangsu_data, name="other"))


def test_versions_are_selectable(tmp_path, jiangsu_data):
    _write(tmp_path, jiangsu_data)
    (tmp_path / "versions").mkdir()
    old = copy.deepcopy(jiangsu_data)
    old["version"] = "0.9.0"
    old["events"]["major_deduction"]["per_event"]["value"] = 3.0
    (tmp_path / "versions" / "jiangsu2016@0.9.0.yaml").write_text(
        yaml.safe_dump(old, allow_unicode=True), encoding="utf-8"
    )
    assert load_model("jiangsu2016", directory=tmp_path).version == "1.0.0"
    assert (
        load_model("jiangsu2016", "0.9.0", directory=tmp_path).events.major_deduction.per_event.value == 3.0
    )
    with pytest.raises(ModelFileError, match=r"no version '2\.0'"):
        load_model("jiangsu2016", "2.0", directory=tmp_path)
    with pytest.raises(ModelFileError, match="no index model 'nope'"):
        load_model("nope", directory=tmp_path)
