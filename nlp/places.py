"""City attribution: which prefecture- and county-level divisions a text is about, with the evidence kept.

Mentions of division names (full names and short aliases from `nlp.gazetteer`) are found in the dateline, title,
body and source; each mention carries a weight by where it sits. Shared names (鼓楼区 in four cities, 朝阳区 in
北京 and 长春) are resolved by the parent names that occur in the same text; names inside a person's name, a
reporter credit or a street name (南京路) are not mentions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from nlp.gazetteer import Division, Gazetteer, get_gazetteer
from nlp.tokens import get_tokenizer

# Weights by where a mention sits: a dateline names the place of the event; a title names the subject.
W_DATELINE, W_TITLE, W_LEAD, W_BODY, W_SOURCE = 4.0, 3.0, 1.5, 1.0, 1.0
LEAD_CHARS = 150
FULL_NAME_FACTOR = 1.3  # 宿迁市 is surer than 宿迁
PARENT_SHARE = 0.6  # a county mention also speaks for its prefecture
MAX_NAME = 12
_WINDOW = 4  # characters of context on each side when checking a short name against word boundaries

# "新华社南京11月19日电", "中新网杭州3月2日电", "本报北京10月1日讯", "人民网武汉5月6日电"
_DATELINE = re.compile(
    r"^[\s【\[（(]*(?:新华社|中新社|中新网|人民网|新华网|央视网|央广网|国际在线|中国日报网|光明网|中国网|本报|记者)?"
    r"\s*([\u4e00-\u9fff]{2,8}?)\s*(?:\d{1,2}月\d{1,2}日)?\s*(?:电|讯)"
)
# Reporter and photographer credits carry person names, which may contain place names (记者 张宿迁).
_CREDIT = re.compile(
    r"[（(]?(?:记者|通讯员|实习生|摄影|编辑|责编|作者)[\s：:]*[\u4e00-\u9fff]{2,3}(?:[\s、，,][\u4e00-\u9fff]{2,3})*[）)]?"
)
# A street, road or building named after a place is not that place: 南京路 (上海), 北京饭店.
_NOT_PLACE_AFTER = re.compile(r"^(?:路|街|大街|大道|巷|胡同|饭店|大厦|商场|中路|东路|西路|南路|北路|号)")
# The level after a short name (肃南县, 渭南市): see `_crosses_word`.
_LEVEL_CHARS = "县市区旗盟"
# Not 某: 江阴某企业 is "a certain firm of 江阴", a place.
_PERSON_AFTER = re.compile(r"^(?:先生|女士|同志|老师|师傅|说|表示|介绍|称|告诉)")
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Short aliases that are ordinary words far more often than places; they count only with their suffix or a parent.
_COMMON_WORDS = {
    "和平",
    "新华",
    "长安",
    "太平",
    "永安",
    "新城",
    "城中",
    "中山",
    "文化",
    "开发",
    "东方",
    "白云",
    "青山",
    "西湖",
    "南山",
    "北海",
    "海南",
    "铁山",
    "光明",
    "朝阳",
    "龙华",
    "江南",
    "河东",
    "河西",
    "城东",
    "城西",
    "城南",
    "城北",
    "友好",
    "平安",
    "胜利",
    "建设",
    "前进",
    "先锋",
    "红旗",
    "东风",
    "向阳",
    "团结",
    "解放",
    "复兴",
    "长寿",
    "吉利",
    "安全",
    "公安",
    "通州",
    "宝山",
    "桥东",
    "桥西",
    "合作",
    "新兴",
    "水城",
    "资源",
    "来安",
    "滨湖",
    "南海",
    "凤凰",
    "江口",
    "相山",
    "南部",
    "城区",
    "新建",
    "商城",
    "河口",
    "金沙",
    "普陀",
    "新市",
    "市中",
    "西安区",
}


_MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆 are prefecture-level answers themselves


@dataclass(frozen=True, slots=True)
class Evidence:
    span: str
    start: int  # offset in the field it was found in
    field: str  # dateline, title, body, source
    rule: str  # full-name, alias, dateline, parent-of, ...
    weight: float


@dataclass(slots=True)
class Attribution:
    code: str
    name: str
    level: str
    weight: float
    evidence: list[Evidence] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "weight": round(self.weight, 3),
            "evidence": [
                {
                    "span": e.span,
                    "field": e.field,
                    "start": e.start,
                    "rule": e.rule,
                    "weight": round(e.weight, 3),
                }
                for e in self.evidence
            ],
        }


@dataclass(frozen=True, slots=True)
class _Mention:
    name: str
    start: int
    field: str
    weight: float
    full: bool


@lru_cache(maxsize=1)
def _names() -> frozenset[str]:
    g = get_gazetteer()
    return frozenset(n for n in g.names() if len(n) >= 2)


def find_mentions(text: str, fld: str, base_weight: float) -> list[_Mention]:
    """Longest-match scan for division names; skips names in credits, person names and street names."""
    names = _names()
    masked = _CREDIT.sub(lambda m: "□" * len(m.group(0)), text)
    out: list[_Mention] = []
    i, n = 0, len(masked)
    while i < n:
        hit = None
        for size in range(min(MAX_NAME, n - i), 1, -1):
            cand = masked[i : i + size]
            if cand in names:
                hit = cand
                break
        if hit is None:
            i += 1
            continue
        after = masked[i + len(hit) : i + len(hit) + 3]
        before = masked[i - 1] if i > 0 else ""
        full = _is_full_name(hit)
        skip = bool(_NOT_PLACE_AFTER.match(after))
        if not full and _crosses_word(masked, i, len(hit)):
            # Half of a word: the text goes on from the next character (昨天台州: 天台 is not a place, 台州 is).
            i += 1
            continue
        if not full and len(hit) == 2:
            # 王宿迁说 / 张朝阳先生: a surname before a two-character alias and a person cue after it.
            if before in _SURNAMES and (_PERSON_AFTER.match(after) or not after or after[0] in "，,、。 "):
                skip = True
            if _PERSON_AFTER.match(after):
                skip = True
        if not skip:
            w = base_weight if i >= LEAD_CHARS or fld != "body" else max(base_weight, W_LEAD)
            out.append(_Mention(hit, i, fld, w * (FULL_NAME_FACTOR if full else 1.0), full))
        i += len(hit)
    return out


def _crosses_word(text: str, start: int, size: int) -> bool:
    """Whether a short name at text[start:start+size] straddles a word boundary: 会理 in 保险会理赔 (保险/会/理赔),
    港北 in 香港北角 (香港/北角) are halves of two words, not a place. A word that holds the whole name (太仓港,
    南京站) does not count against it, nor a word that only joins the name's last character to its level after it
    (肃/南县, 连/南县: 肃南县 is a place). Only a window around the name is segmented: cheap, and enough context."""
    lo = max(0, start - _WINDOW)
    end = start + size
    level_after = end < len(text) and text[end] in _LEVEL_CHARS
    pos = lo
    for word in get_tokenizer().lcut(text[lo : end + _WINDOW], HMM=False):
        w_start, pos = pos, pos + len(word)
        if w_start < start < pos < end:  # 保险/会|理赔: begins before the name and ends inside it
            return True
        if start < w_start < end < pos and not (level_after and pos == end + 1):  # 会|理赔 ... ends after it
            return True
    return False


@lru_cache(maxsize=4096)
def _is_full_name(name: str) -> bool:
    return any(d.name == name for d in get_gazetteer().lookup(name))


def _dateline(body: str) -> list[_Mention]:
    m = _DATELINE.match(body[:40])
    if not m:
        return []
    place = m.group(1)
    for size in range(len(place), 1, -1):  # "南京" in "南京11月19日电"; trailing characters are not the place
        if place[:size] in _names():
            return [_Mention(place[:size], m.start(1), "dateline", W_DATELINE, _is_full_name(place[:size]))]
    return []


def _resolve(mentions: list[_Mention], g: Gazetteer) -> dict[str, list[tuple[_Mention, Division, str]]]:
    """Pick one division per mention; shared names go to the candidate whose ancestors are also mentioned."""
    cands = {m.name: g.lookup(m.name) for m in mentions}
    mentioned_codes: set[str] = set()
    for m in mentions:
        if len(cands[m.name]) == 1 and m.name not in _COMMON_WORDS:
            mentioned_codes.add(cands[m.name][0].code)
    # Unambiguous mentions vouch for every ancestor of theirs, and for the prefectures of the counties they name.
    context: set[str] = set(mentioned_codes)
    for code in mentioned_codes:
        context.update(a.code for a in g.ancestors(code))
    out: dict[str, list[tuple[_Mention, Division, str]]] = defaultdict(list)
    for m in mentions:
        provinces = [d for d in cands[m.name] if d.level == "province"]
        # 河北 / 河南 / 海南 are provinces first, not the districts that share the short name.
        options = provinces[:1] if provinces else cands[m.name]
        if not options:
            continue
        if len(options) == 1:
            d = options[0]
            if (
                not m.full
                and m.name in _COMMON_WORDS
                and not ({a.code for a in g.ancestors(d.code)} & context)
            ):
                continue
            out[d.code].append((m, d, "full-name" if m.full else "alias"))
            continue
        scored = []
        for d in options:
            ancestors = {a.code for a in g.ancestors(d.code)}
            kids = {c.code for c in g.children(d.code)}
            score = 2 * len(ancestors & context) + len(kids & context)
            scored.append((score, d))
        scored.sort(key=lambda t: (-t[0], _level_rank(t[1]), t[1].code))
        best_score, best = scored[0]
        if best_score == 0:
            if m.name in _COMMON_WORDS and not m.full:
                continue
            # No parent in the text: a prefecture beats a county of the same name (宿州市 vs 宿州区 does not
            # arise, but 朝阳市 vs 朝阳区/朝阳县 does); among equals keep the lowest code, and say so.
            out[best.code].append((m, best, "shared-name, no context"))
        else:
            out[best.code].append((m, best, "shared-name, parent in text"))
    return out


def _level_rank(d: Division) -> int:
    return {"prefecture": 0, "county": 1, "province": 2}[d.level]


def attribute(title: str, body: str, source: str | None = None) -> list[Attribution]:
    """Prefecture- and county-level divisions the text is about, heaviest first, each with its evidence."""
    g = get_gazetteer()
    body = body or ""
    mentions = _dateline(body)
    mentions += find_mentions(title or "", "title", W_TITLE)
    dateline_end = max((m.start + len(m.name) for m in mentions if m.field == "dateline"), default=-1)
    # The dateline's own place is not counted a second time as a body mention.
    mentions += [m for m in find_mentions(body, "body", W_BODY) if m.start >= dateline_end]
    if source:
        mentions += find_mentions(source, "source", W_SOURCE)
    resolved = _resolve(mentions, g)
    scores: dict[str, Attribution] = {}

    def add(d: Division, ev: Evidence) -> None:
        a = scores.get(d.code)
        if a is None:
            a = scores[d.code] = Attribution(d.code, d.name, d.level, 0.0)
        a.weight += ev.weight
        a.evidence.append(ev)

    for code, hits in resolved.items():
        d = g[code]
        for m, _, rule in hits:
            rule_name = "dateline" if m.field == "dateline" else rule
            ev = Evidence(m.name, m.start, m.field, rule_name, m.weight)
            if d.level == "province" and d.code[:2] not in _MUNICIPALITIES:
                continue  # provinces only disambiguate; the office ranks prefectures and counties
            add(d, ev)
            if d.level == "county" and d.parent_code and g.get(d.parent_code):
                parent = g[d.parent_code]
                if parent.level == "prefecture":
                    add(
                        parent,
                        Evidence(m.name, m.start, m.field, f"parent-of {d.name}", m.weight * PARENT_SHARE),
                    )
    # A county whose prefecture is also named is the more precise answer: it inherits part of that weight.
    for a in list(scores.values()):
        if a.level == "county":
            d = g[a.code]
            named = scores.get(d.parent_code or "")
            if named is not None and any(not e.rule.startswith("parent-of") for e in named.evidence):
                a.weight += 0.5 * sum(e.weight for e in named.evidence if not e.rule.startswith("parent-of"))
    return sorted(scores.values(), key=lambda a: (-a.weight, a.code))


def primary_prefecture(attributions: list[Attribution]) -> str | None:
    """The prefecture-level code of the heaviest attribution (a county answers with its prefecture)."""
    if not attributions:
        return None
    d = get_gazetteer().get(attributions[0].code)
    return d.prefecture_code if d else None
