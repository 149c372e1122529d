"""Hand-made scenario material: one distrust story told several ways, and unrelated stories in the same city.

Written for these tests (the fixture pages hold no credit story reprinted across sites); the style follows the
reprints gathered from the BDCI corpus: a 原标题 line, a different lead, the same facts.
"""

from __future__ import annotations

BLAST_BODY = (
    "11月20日上午9时许，江阴市临港经济开发区一家化工企业的生产车间发生爆炸，事故造成3人死亡、2人受伤。\n"
    "事故发生后，江阴市应急管理局、消防救援大队等部门第一时间赶赴现场处置，伤者已被送往医院救治。\n"
    "据了解，涉事企业主要生产精细化工中间体，今年以来曾因安全生产隐患两次被责令整改。\n"
    "目前，事故原因正在进一步调查中，当地已对全市危险化学品企业开展安全生产大检查。"
)

STORIES: dict[str, tuple[str, str]] = {
    # the original report
    "blast": ("江阴一化工企业发生爆炸事故致3人死亡", BLAST_BODY),
    # the same story reprinted by another site under another title, with a wrapper line and an extra paragraph
    "blast_reprint": (
        "江苏江阴化工厂爆炸3死2伤 涉事企业年内两次被责令整改",
        "原标题：江阴一化工企业发生爆炸事故致3人死亡\n" + BLAST_BODY + "\n（来源：新华日报 责任编辑：王敏）",
    ),
    # a follow-up the next day: new facts, the same event
    "blast_followup": (
        "江阴化工企业爆炸事故致3人死亡 企业负责人已被控制",
        "记者从江阴市获悉，11月20日发生爆炸事故的化工企业负责人已被公安机关依法控制。\n"
        "11月20日上午，江阴市临港经济开发区一家化工企业的生产车间发生爆炸，事故造成3人死亡、2人受伤。\n"
        "江阴市成立事故调查组，对涉事企业停产整顿，并对全市危险化学品企业逐一排查。",
    ),
    # unrelated stories in the same city
    "mooncake": (
        "江阴一食品公司被曝用过期原料生产月饼",
        "近日，有消费者向江阴市市场监督管理局举报，称某食品公司使用过期面粉和馅料生产月饼并销往周边超市。\n"
        "市场监管部门随即对该公司进行突击检查，现场查扣过期原料400余公斤，责令企业停产并立案调查。",
    ),
    "wages": (
        "江阴建筑工地拖欠农民工工资 劳动监察介入",
        "二十余名农民工反映，江阴某建筑工地项目部拖欠其半年工资共计80余万元。\n"
        "江阴市人社局劳动保障监察大队已介入调查，督促施工企业限期支付拖欠工资。",
    ),
    # a trust story (诚信典型)
    "honest": (
        "江阴个体户十年坚持诚信经营 入选江苏诚信典型",
        "江阴市一名个体经营户十年来坚持明码标价、货真价实，多次拒绝以次充好，被评为江苏省诚信典型。\n"
        "江阴市文明办表示，将进一步推广诚信经营经验，营造守信激励的良好氛围。",
    ),
    # the government's answer to the blast
    "blast_feedback": (
        "江阴通报化工企业爆炸事故处置情况 全市开展危化品安全整治",
        "江阴市政府新闻办通报，针对11月20日临港经济开发区化工企业爆炸事故，已成立事故调查组，涉事企业负责人被控制。\n"
        "全市启动危险化学品安全专项整治，对化工企业逐一排查隐患，发现问题立即整改，并向社会公布处置结果。",
    ),
    # the same template in two other cities (must not merge with each other)
    "fraud_wuxi": (
        "无锡警方破获一起电信诈骗案 抓获嫌疑人12名",
        "无锡市公安局近日破获一起冒充客服实施电信网络诈骗的案件，抓获犯罪嫌疑人12名，涉案金额300余万元。",
    ),
    "fraud_xuzhou": (
        "徐州警方破获一起电信诈骗案 抓获嫌疑人12名",
        "徐州市公安局近日破获一起冒充客服实施电信网络诈骗的案件，抓获犯罪嫌疑人12名，涉案金额300余万元。",
    ),
}
