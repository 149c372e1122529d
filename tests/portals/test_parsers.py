"""Portal parsers on constructed responses (documented shapes), challenges, malformed JSON and the real
裁判文书网 record."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from crawlers.portals import creditchina, creditsite, rmfygg, wenshu, zxgk
from crawlers.portals.errors import PortalBlocked, PortalError
from crawlers.waf import challenge_reason
from models.portal import ListKind
from tests.portals.conftest import constructed


# --- 信用中国 -------------------------------------------------------------------------------------------------
def test_creditchina_name_list_reads_names_and_total() -> None:
    page = creditchina.parse_name_list(constructed("constructed_creditchina_names_p1.json"))
    assert page.items == ["江阴市澄江建材有限公司", "江阴市某镇人民政府"]
    assert (page.total, page.page) == (3, 1)


def test_creditchina_self_describing_rows_map_to_fields() -> None:
    page = creditchina.parse_type_source(
        constructed("constructed_creditchina_records_jiancai.json"), ListKind.BLACKLIST
    )
    (item,) = page.items
    assert item.entity_name == "江阴市澄江建材有限公司"
    assert item.credit_code == "91320281MA1N2K3L4H"
    assert item.authority == "江阴市市场监督管理局"
    assert item.decided_on == date(2024, 3, 15)
    assert item.case_number == "澄市监黑〔2024〕3号"
    assert item.reason == "拖欠农民工工资"
    assert item.raw["fields"]["列入日期"] == "2024-03-15"
    assert item.dedup_key == "blacklist|91320281MA1N2K3L4H|澄市监黑〔2024〕3号|2024-03-15"


def test_creditchina_session_rejection_is_a_block() -> None:
    with pytest.raises(PortalBlocked, match="40001"):
        creditchina.parse_name_list(constructed("constructed_creditchina_40001.json"), status=500)


def test_creditchina_truncated_json_names_the_position() -> None:
    with pytest.raises(PortalError, match=r"field 'body': malformed JSON: .* at char \d+"):
        creditchina.parse_name_list(constructed("constructed_creditchina_truncated.json"))


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"status": 1, "message": "成功"}, "data"),
        ({"status": 1, "data": {"total": 1}}, "list"),
        ({"status": 1, "data": {"list": [{"count": 1}]}}, "name"),
        ({"status": 0, "message": "失败", "data": None}, "status"),
        ([1, 2], "body"),
        ({"status": 1, "data": {"list": [], "total": "many"}}, "data.total"),
    ],
)
def test_creditchina_wrong_shapes_name_the_field(doc: object, field: str) -> None:
    with pytest.raises(PortalError) as exc:
        creditchina.parse_name_list(json.dumps(doc).encode())
    assert field in exc.value.field


def test_creditchina_details_head() -> None:
    body = json.dumps(
        {
            "status": 1,
            "message": "成功",
            "data": {
                "headEntity": {
                    "jgmc": "江阴市澄江建材有限公司",
                    "tyshxydm": "91320281ma1n2k3l4h",
                    "entity_type": "1",
                },
                "data": {
                    "entity": {"name": "李某", "dom": "江阴市澄江街道", "regorg": "江阴市市场监督管理局"}
                },
                "punishmentStatus": "yes",
                "rewardStatus": "no",
            },
        },
        ensure_ascii=False,
    ).encode()
    d = creditchina.parse_details(body)
    assert (d.credit_code, d.entity_type, d.has_punishment, d.has_reward) == (
        "91320281MA1N2K3L4H",
        "企业法人",
        True,
        False,
    )


# --- challenges ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "name", "expected"),
    [
        (412, "constructed_ruishu_412.html", "$_ts"),
        (200, "constructed_ruishu_412.html", "$_ts"),
        (521, "constructed_jsl_521.html", "__jsl_clearance"),
        (200, "constructed_zxgk_captcha_error.txt", "captcha rejected"),
        (500, "constructed_creditchina_40001.json", "40001"),
    ],
)
def test_challenges_are_recognised(status: int, name: str, expected: str) -> None:
    reason = challenge_reason(status, constructed(name))
    assert reason is not None and expected in reason


def test_plain_412_and_data_are_told_apart() -> None:
    assert "412" in (challenge_reason(412, b"") or "")
    assert challenge_reason(200, constructed("constructed_zxgk_search.json")) is None
    assert challenge_reason(200, constructed("constructed_creditchina_names_p1.json")) is None


# --- 中国执行信息公开网 -------------------------------------------------------------------------------------------
def test_zxgk_search_and_details() -> None:
    page = zxgk.parse_search(constructed("constructed_zxgk_search.json"))
    assert [(h.id, h.case_code) for h in page.items] == [
        ("1001", "（2023）苏0281执1234号"),
        ("1002", "（2024）苏0281执567号"),
    ]
    assert (page.total, page.pages) == (2, 1)
    gov = zxgk.parse_detail(constructed("constructed_zxgk_detail_1001.json"))
    assert gov.list_kind is ListKind.DISHONEST_DEBTOR
    assert (gov.authority, gov.decided_on, gov.published_on) == (
        "江苏省江阴市人民法院",
        date(2023, 6, 12),
        date(2024, 3, 2),
    )
    assert gov.entity_type == "法人或其他组织"
    person = zxgk.parse_detail(constructed("constructed_zxgk_detail_1002.json"))
    assert person.entity_type == "自然人" and person.credit_code == "3202811979****1234"


def test_zxgk_captcha_error_is_a_block_and_missing_fields_are_named() -> None:
    with pytest.raises(PortalBlocked, match="captcha"):
        zxgk.parse_search(constructed("constructed_zxgk_captcha_error.txt"))
    doc = json.loads(constructed("constructed_zxgk_detail_1001.json"))
    del doc["courtName"]
    with pytest.raises(PortalError, match="courtName"):
        zxgk.parse_detail(json.dumps(doc).encode())
    with pytest.raises(PortalError, match=r"\[0\]\.result\[0\]\.caseCode"):
        zxgk.parse_search(b'[{"result":[{"id":"1"}],"totalPage":1}]')


# --- 人民法院公告网 ---------------------------------------------------------------------------------------------
def test_rmfygg_notices() -> None:
    page = rmfygg.parse_notice_list(constructed("constructed_rmfygg_list.json"))
    assert page.total == 2
    first = page.items[0]
    assert (first.entity_name, first.authority, first.published_on) == (
        "江阴市澄江建材有限公司",
        "江苏省江阴市人民法院",
        date(2024, 3, 5),
    )
    assert first.source_ref and first.source_ref.endswith("paramStr=8a8a8a0001")


def test_rmfygg_form_carries_every_datatables_key() -> None:
    form = rmfygg.list_form("江阴", start=20, length=10)
    ao = {d["name"]: d["value"] for d in json.loads(form["_noticelist_WAR_rmfynoticeListportlet_aoData"])}
    assert {"sEcho", "iColumns", "sColumns", "iDisplayStart", "iDisplayLength"} <= set(ao)
    assert [f"mDataProp_{i}" for i in range(6)] == [k for k in ao if k.startswith("mDataProp")]
    assert ao["iDisplayStart"] == 20


def test_rmfygg_empty_data_with_a_total_is_an_error() -> None:
    with pytest.raises(PortalError, match="iTotalRecords is 5"):
        rmfygg.parse_notice_list(b'{"iTotalRecords":5,"data":[]}')


# --- 裁判文书网 -------------------------------------------------------------------------------------------------
def test_wenshu_envelope_decrypts_with_the_day_as_iv() -> None:
    day = date(2024, 5, 6)
    key = "abcdefghijklmnopqrstuvwx"
    plain = constructed("constructed_wenshu_list_decrypted.json").decode()
    body = json.dumps(
        {"code": 1, "description": "", "secretKey": key, "result": wenshu.encrypt(plain, key, day)}
    )
    decrypted = wenshu.envelope(body.encode(), day)
    assert wenshu.parse_list(decrypted).items == ["0f1e2d3c4b5a69788796a5b4c3d2e1f0"]
    # A wrong IV garbles the first block only: the answer must still fail loudly, never parse quietly.
    for wrong in (date(2024, 5, 7), date(2023, 12, 31)):
        with pytest.raises(PortalError):
            wenshu.parse_list(wenshu.envelope(body.encode(), wrong))


def test_wenshu_login_answer_is_a_block() -> None:
    with pytest.raises(PortalBlocked, match="login"):
        wenshu.envelope('{"code":9,"description":"请登录后查看"}'.encode(), date(2024, 5, 6))


def test_wenshu_ciphertext_is_binary_words() -> None:
    words = wenshu.make_ciphertext().split(" ")
    assert all(set(w) <= {"0", "1"} for w in words)
    text = "".join(chr(int(w, 2)) for w in words)
    assert text[24:32].isdigit()  # salt (24) + yyyyMMdd


def _real_wenshu(shared_dir: Path) -> bytes:
    return gzip.decompress(
        (
            shared_dir / "fixtures/pages/wenshu/wz151211-sync/docInfoSearch_decrypted_sample.json.txt.gz"
        ).read_bytes()
    )


def test_real_wenshu_record_as_stored_is_refused_loudly(shared_dir: Path) -> None:
    # The stored sample's first key is mangled upstream ("s1#3!…", manifest note): strict parsing must refuse it.
    with pytest.raises(PortalError, match="malformed JSON"):
        wenshu.parse_document_body(_real_wenshu(shared_dir))


def test_real_wenshu_record_metadata(shared_dir: Path) -> None:
    # Undo only the documented key mangling ("s1#3! → "s1":"); the title text stays as stored.
    body = _real_wenshu(shared_dir).replace(b'"s1#3!', b'"s1":"', 1)
    item = wenshu.parse_document_body(body)
    assert item.list_kind is ListKind.JUDGMENT
    assert item.authority == "吉林省镇赉县人民法院"
    assert item.case_number == "（2015）镇坦民初字第29号"
    assert (item.decided_on, item.published_on) == (date(2015, 1, 30), date(2015, 12, 8))
    assert item.entity_name == "陈丽梅、张满达、王永旭"
    assert item.reason == "民间借贷纠纷"
    assert item.raw["s1"].endswith("民间借贷纠纷民事一审裁定书")
    assert "qwContent" not in item.raw  # metadata only


# --- provincial / city credit sites ------------------------------------------------------------------------------
def test_trs_column_links_and_pages() -> None:
    url = "https://credit.example.gov.cn/col/col1/index.html"
    page = creditsite.parse_column(
        constructed("constructed_creditsite_column.html").decode(), url, item="div.list li", date_sel="span"
    )
    assert [link.title for link in page.links] == ["2024年第一季度失信黑名单", "2024年第一季度守信红名单"]
    assert page.links[0].url == "https://credit.example.gov.cn/col/col1/202404/t20240402_1.html"
    assert page.links[0].published_on == date(2024, 4, 2)
    assert page.page_urls == [
        "https://credit.example.gov.cn/col/col1/index.html",
        "https://credit.example.gov.cn/col/col1/index_1.html",
    ]


def test_credit_site_tables_header_rows_and_label_pairs() -> None:
    rows = creditsite.parse_records(
        constructed("constructed_creditsite_blacklist_2024q1.html").decode(),
        "u",
        ListKind.BLACKLIST,
        source="s",
    )
    assert [(r.entity_name, r.credit_code, r.decided_on) for r in rows] == [
        ("江阴市澄江建材有限公司", "91320281MA1N2K3L4H", date(2024, 3, 15)),
        ("江阴市新桥纺织有限公司", "91320281MA20ABCD1M", date(2024, 3, 28)),
    ]
    (pair,) = creditsite.parse_records(
        constructed("constructed_creditsite_blacklist_2023q4.html").decode(),
        "u",
        ListKind.BLACKLIST,
        source="s",
    )
    assert (pair.entity_name, pair.authority, pair.decided_on, pair.removed_on) == (
        "苏州某某贸易有限公司",
        "苏州市市场监督管理局",
        date(2023, 12, 20),
        None,
    )


def test_credit_site_page_without_records_is_an_error() -> None:
    with pytest.raises(PortalError, match="entity_name"):
        creditsite.parse_records(
            "<html><table><tr><td>a</td><td>b</td></tr></table></html>", "u", ListKind.BLACKLIST, source="s"
        )
    with pytest.raises(PortalError, match="selector matched nothing"):
        creditsite.parse_column("<html><body><p>改版了</p></body></html>", "u", item="div.list li")


def test_creditchina_catalog_search() -> None:
    body = json.dumps(
        {
            "status": 1,
            "message": "成功",
            "data": {
                "page": 1,
                "total": 1,
                "totalSize": 1,
                "list": [
                    {
                        "accurate_entity_name": "江阴市澄江建材有限公司",
                        "accurate_entity_code": "91320281MA1N2K3L4H",
                        "uuid": "u1",
                        "recid": "r1",
                        "entityType": "1",
                    }
                ],
            },
        },
        ensure_ascii=False,
    ).encode()
    (hit,) = creditchina.parse_catalog_search(body).items
    assert (hit.name, hit.credit_code, hit.uuid, hit.entity_type) == (
        "江阴市澄江建材有限公司",
        "91320281MA1N2K3L4H",
        "u1",
        "企业法人",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024年03月05日", date(2024, 3, 5)),
        ("20240305", date(2024, 3, 5)),
        ("2024-03-05 10:23:00", date(2024, 3, 5)),
        (1709568000000, date(2024, 3, 5)),  # epoch ms, 2024-03-05 00:00 in Shanghai
    ],
)
def test_dates(value: object, expected: date) -> None:
    from crawlers.portals.records import parse_day

    assert parse_day(value) == expected


@pytest.mark.parametrize("value", ["2024-13-01", "2024-02-30", "昨天", "3/5"])
def test_bad_dates_are_refused(value: str) -> None:
    from crawlers.portals.records import parse_day

    with pytest.raises(ValueError, match="not a date"):
        parse_day(value)
