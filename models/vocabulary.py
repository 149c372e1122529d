"""The words staff read, defined once: reports (every format), alerts, the console and the major-incident reason.

The terms are the seeds' own (守信, 失信, 信用制度, 政府反馈; 政务诚信, 商务诚信, 社会诚信, 司法公信 — the four
domains as the provincial documents name them). Identifiers in code and the database stay English; every surface a
staff member reads maps them through this module, so one word never appears in two translations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

KIND_LABELS: dict[str, str] = {
    "trust": "守信",
    "distrust": "失信",
    "institution": "信用制度",
    "feedback": "政府反馈",
    "other": "其他",
}
DOMAIN_LABELS: dict[str, str] = {
    "government": "政务诚信",
    "business": "商务诚信",
    "society": "社会诚信",
    "judiciary": "司法公信",
}
EVENT_STATUS_LABELS: dict[str, str] = {"normal": "一般", "major": "重大失信"}
FEEDBACK_STATUS_LABELS: dict[str, str] = {"proposed": "待审核", "confirmed": "已确认", "rejected": "已驳回"}
ASPECT_ROLE_LABELS: dict[str, str] = {
    "score": "得分",
    "basic": "基础",
    "deduction": "扣分",
    "offset": "抵扣",
    "bonus": "加分",
}
SOURCE_LABELS: dict[str, str] = {"manual": "人工录入", "portal": "门户数据", "crawled": "网络监测"}
USER_ROLE_LABELS: dict[str, str] = {"viewer": "只读", "analyst": "分析员", "admin": "管理员"}
ALERT_STATUS_LABELS: dict[str, str] = {
    "pending": "待发送",
    "sent": "已发送",
    "failed": "发送失败（将重试）",
    "dead": "已放弃",
    "held": "暂缓发送",
}
ALERT_KIND_LABELS: dict[str, str] = {
    "major": "重大失信事件",
    "distrust": "失信事件",
    "test": "测试",
    "digest": "汇总",
}
CHANNEL_KIND_LABELS: dict[str, str] = {
    "email": "电子邮件",
    "dingtalk": "钉钉",
    "wecom": "企业微信",
    "feishu": "飞书",
    "file": "本地文件",
}
SPIDER_LABELS: dict[str, str] = {"homepage": "首页", "ranking": "排行榜", "articles": "文章"}
PORTAL_LABELS: dict[str, str] = {
    "portal_creditchina": "信用中国",
    "portal_zxgk": "中国执行信息公开网",
    "portal_rmfygg": "人民法院公告网",
    "portal_wenshu": "中国裁判文书网",
    "portal_creditsite": "省市信用网站",
}

# Crawl and parser health: a site is 正常 only when its last run returned items; no data at all is 异常.
HEALTH_OK = "正常"
HEALTH_BAD = "异常"
HEALTH_FLAGS: dict[str, str] = {
    "no_data": "无数据",
    "no_response": "无响应",
    "no_items": "无条目",
    "empty_bodies": "正文缺失",
    "missing_dates": "日期缺失",
    "waf": "防火墙拦截",
    "failures": "请求失败",
}

NO_DATA = "暂无数据"
UNCLASSIFIED = "未分类"
UNKNOWN_CITY = "城市未定"
MAJOR_EVENT = "重大失信事件"
DISTRUST_EVENT = "失信事件"


def kind_label(code: str | None) -> str:
    return KIND_LABELS.get(code, code) if code else UNCLASSIFIED


def domain_label(code: str | None) -> str:
    return DOMAIN_LABELS.get(code, code) if code else UNCLASSIFIED


def health_label(flags: Sequence[str]) -> str:
    """正常 when nothing is flagged, else 异常."""
    return HEALTH_BAD if flags else HEALTH_OK


# ----------------------------------------------------------------------------------------- major-incident reasons


def homepage_reason(site_names: Sequence[str], seen: Sequence[datetime]) -> str:
    """Why an event is major by the homepage rule: which sites carried it and when (local times)."""
    names = "、".join(site_names)
    days = {t.date() for t in seen}
    if len(days) == 1:
        stamps = "/".join(t.strftime("%H:%M") for t in seen)
        return f"{seen[0]:%Y-%m-%d} {stamps} 先后登上{names}首页（{len(site_names)} 家网站）"
    stamps = "/".join(t.strftime("%Y-%m-%d %H:%M") for t in seen)
    return f"{stamps} 先后登上{names}首页（{len(site_names)} 家网站）"


def ranking_reason(site_name: str, list_name: str, rank: int, seen: datetime) -> str:
    """Why an event is major by the ranking-list rule."""
    return f"{site_name}「{list_name}」第{rank}名（{seen:%m-%d %H:%M}）"


REASON_SEPARATOR = "；"


# -------------------------------------------------------------------------------------- model parameters (appendix)

PARAMETER_LABELS: dict[str, str] = {
    "missing_score": "缺失数据的得分比例",
    "default_points": "未注明分值的指标分值",
    "total.base": "基础分",
    "total.span": "分值跨度",
    "weight": "权重",
    "points": "分值",
    "lo": "下限",
    "hi": "上限",
    "target": "满分目标值",
    "events.decay.half_life_months": "事件影响半衰期（月）",
    "events.major_deduction.per_event": "每件重大失信事件扣分",
    "events.major_deduction.per_extra_homepage": "超过三家首页后每多一家加扣",
    "events.major_deduction.max_per_event": "单件事件扣分上限",
    "events.major_deduction.max_total": "扣分合计上限",
    "events.feedback_offset.fraction": "政府反馈最高抵扣比例",
    "events.feedback_offset.full_at_links": "全额抵扣所需反馈条数",
    "events.feedback_offset.prompt_hours": "及时反馈时限（小时）",
    "events.feedback_offset.late_factor": "逾期反馈折算系数",
    "events.trust_bonus.per_event": "每件重要守信事件加分",
    "events.trust_bonus.max_total": "守信加分合计上限",
}
SCALE_LABELS: dict[str, str] = {
    "share": "守信报道占比",
    "distrust_volume": "失信事件数量",
    "institutions": "信用制度发布数量",
    "domains": "四大领域覆盖",
    "subdomains": "细分领域覆盖",
    "events_published": "主流媒体公布守信事件数量",
    "institution_events": "主流媒体公布信用制度数量",
    "double_publicity": "双公示数量",
    "blacklist_density": "每万户法人黑名单主体数",
    "gov_dishonest": "政府机构失信被执行人数",
    "percent": "百分比",
    "flag": "是否",
}


def parameter_label(path: str) -> str:
    """A model parameter's path ('aspects[A1].indicators[A1.1].points', 'scales.share.lo') in words a reader knows:
    'A1.1 分值', '标尺「守信报道占比」下限'. Codes (A1, A1.1, M1, T25) stay: the report's tables use them too."""
    if path in PARAMETER_LABELS:
        return PARAMETER_LABELS[path]
    parts = path.split(".")
    if parts[0] == "scales" and len(parts) == 3:
        scale = SCALE_LABELS.get(parts[1], parts[1])
        return f"标尺「{scale}」{PARAMETER_LABELS.get(parts[2], parts[2])}"
    codes = [c[c.index("[") + 1 : -1] for c in path.replace("].", "]|").split("|") if "[" in c]
    last = path.rsplit(".", 1)[-1] if not path.endswith("]") else ""
    if codes:
        return f"{codes[-1]} {PARAMETER_LABELS.get(last, last)}".strip()
    return path


_INDICATOR_CODE = re.compile(r"^[A-Z]\d+(?:\.\d+)*$")


def indicator_code(code: str) -> str:
    """An input's code as a reader sees it: indicator codes (A4.1, T25) are shown, internal field names
    (legal_entities, A5.1.blacklist) are not — they are identifiers, kept in the XLSX import sheet only."""
    return code if _INDICATOR_CODE.match(code) else ""
