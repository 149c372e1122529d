"""City attribution: which prefecture- and county-level divisions a text is about, with the evidence kept.

Mentions of division names (full names and short aliases from `nlp.gazetteer`) are found in the dateline, title,
body and source; each mention carries a weight by where it sits. Shared names (鼓楼区 in four cities, 朝阳区 in
北京 and 长春) are resolved by the parent names that occur in the same text; names inside a person's name, a
reporter credit or a street name (南京路) are not mentions, nor are brands, dishes, mountains and institutions
that carry a division's name (`nlp/data/places/not_places.tsv`), nor outlets (扬子晚报, 重庆广电). Former names
(密云县, 襄樊) count for today's division. A dateline or an outlet says where the report was filed, not where
the event happened: a dateline alone gives no city. Items about Hong Kong, Macau, Taiwan or abroad, and items
whose evidence is too thin, get no city; a county named in the text is the answer before its prefecture.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from nlp.gazetteer import Division, Gazetteer, get_gazetteer
from nlp.tokens import get_tokenizer

NOT_PLACES = Path(__file__).resolve().parent / "data" / "places" / "not_places.tsv"

# Weights by where a mention sits. A title names the subject; a dateline only where the report was filed (新华社北京…
# heads national news), so it supports a place the text names but is too light to be the answer alone.
W_DATELINE, W_TITLE, W_LEAD, W_BODY, W_SOURCE = 1.0, 3.0, 1.5, 1.0, 1.0
# Less than this in all is a passing mention (an example in an essay, a company's seat), not the item's place.
MIN_WEIGHT = 1.5
# A county mentioned by its short name, in the body only, with no parent named: often a word, so it counts less.
LONE_COUNTY_ALIAS = 0.5
# A county under the leading prefecture becomes the answer when its own evidence is at least this share of the
# prefecture's own (the text names 龙岗区 as the place, not in passing).
COUNTY_SHARE = 0.35
# Written as an address under its prefecture (广州市增城区市场监管局), a county is the place even when the city's short
# name recurs more often in the text.
ADDRESS_SHARE = 0.2
# A text naming this many prefectures, none with this share of their evidence, is a list, not an item's place.
SCATTERED_PLACES, SCATTERED_SHARE = 4, 0.4
LEAD_CHARS = 150
FULL_NAME_FACTOR = 1.3  # 宿迁市 is surer than 宿迁
PARENT_SHARE = 0.6  # a county mention also speaks for its prefecture
_WINDOW = 4  # characters of context on each side when checking a short name against word boundaries

# "新华社南京11月19日电", "中新网杭州3月2日电", "本报北京10月1日讯", "人民网武汉5月6日电"
_DATELINE = re.compile(
    r"^[\s【\[（(*]*(?:新华社|中新社|中新网|人民网|新华网|央视网|央广网|国际在线|中国日报网|光明网|中国网|中国青年网|"
    r"财联社|澎湃新闻|本报|记者)?"
    r"\s*([\u4e00-\u9fff]{2,8}?)\s*(?:\d{1,2}月\d{1,2}日)?\s*(?:电|讯)"
)
# Outlets named after a place (扬子晚报, 江阴日报, 重庆广电, 西江都市报): where the paper is, not the event.
_OUTLET = re.compile(
    r"[\u4e00-\u9fff]{2,4}(?:日报|晚报|晨报|早报|都市报|商报|时报|快报|青年报|法制报|电视台|卫视|广电)"
)
# Reporter and photographer credits carry person names, which may contain place names (记者 张宿迁).
_CREDIT = re.compile(
    r"[（(]?(?:记者|通讯员|实习生|摄影|编辑|责编|作者)[\s：:]*[\u4e00-\u9fff]{2,3}(?:[\s、，,][\u4e00-\u9fff]{2,3})*[）)]?"
)
# A street, road or building named after a place is not that place: 南京路 (上海), 北京饭店.
# Brands are not the place either (青岛啤酒 as a company), nor a mountain (武功山), nor "北京时间".
_NOT_PLACE_AFTER = re.compile(
    r"^(?:路|街|大街|大道|巷|胡同|饭店|大厦|商场|中路|东路|西路|南路|北路|号|啤酒|烤鸭|银行|证券|集团|股份|"
    r"控股|药业|航空|时间|舰|山(?![洪区体村上里路火林地东西货寨庄]))"
)
# An institution named after a place (南京大学) is only half a mention: an event at the university is in the city,
# a passing mention of it (a professor's affiliation) is not.
# Short forms and kinds of school names count the same (大连理工校友会, 南京工学院, 北京交大). A looser pattern (up
# to four characters of any kind before 大学) took events at a city's colleges for affiliations, and was dropped.
_INSTITUTION_AFTER = re.compile(r"^(?:大学|学院|医院|工学院|理工(?!科)|交大|师大|工大|医大|农大|财大|外国语)")
INSTITUTION_FACTOR = 0.5
# The level after a short name (肃南县, 渭南市): see `_crosses_word`.
_LEVEL_CHARS = "县市区旗盟"
# Not 某: 江阴某企业 is "a certain firm of 江阴", a place.
_PERSON_AFTER = re.compile(
    r"^(?:先生|女士|同志|老师|师傅|说|表示|介绍|称|告诉|指出|强调|要求|认为|透露|坦言|等人)"
)
# After a surname, these make a two-character alias a person (袁汉源被强制执行, 袁汉源家族), not a place.
_SURNAME_PERSON_AFTER = re.compile(r"^(?:被|家族|夫妇|本人)")
# After a person's two-character given name that is also a place's short name (郭广昌, 周新民任, 张文峰辞职) comes
# anything but a level or a smaller unit; 王庄镇 or 林州市 would be places.
_NOT_GIVEN_NAME_AFTER = "县市区旗盟州镇乡村路街省"
# Surnames that are far more often prepositions (于南京工厂, 向上海): never read as opening a person's name.
_FUNCTION_SURNAMES = set("于向")
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


@lru_cache(maxsize=1)
def _not_places() -> tuple[re.Pattern[str] | None, frozenset[str]]:
    """(regex of masked phrases, short names that are ordinary words) from `nlp/data/places/not_places.tsv`."""
    phrases: list[str] = []
    words: set[str] = set(_COMMON_WORDS)
    for line in NOT_PLACES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, text, *_ = line.split("\t")
        if kind == "phrase":
            phrases.append(text.strip())
        elif kind == "word":
            words.add(text.strip())
        else:
            raise ValueError(f"{NOT_PLACES.name}: unknown kind {kind!r} in {line!r}")
    # Longest first, so a longer phrase wins over one it contains.
    pattern = (
        re.compile("|".join(map(re.escape, sorted(phrases, key=len, reverse=True)))) if phrases else None
    )
    return pattern, frozenset(words)


def _common_words() -> frozenset[str]:
    return _not_places()[1]


# Places abroad and in Hong Kong, Macau and Taiwan: the office ranks mainland cities only, so a text about these
# gets no city even when it mentions one in passing.
_ELSEWHERE = re.compile(
    r"香港|澳门|台湾|台北|高雄|台中|台南|新北|桃园市|基隆|新竹|港府|港警|港股|恒指|恒生|特区政府|"
    r"美国|美股|美联储|白宫|华盛顿|纽约|洛杉矶|旧金山|硅谷|好莱坞|加拿大|多伦多|温哥华|墨西哥|巴西|阿根廷|智利|秘鲁|厄瓜多尔|"
    r"英国|伦敦|法国|巴黎|德国|柏林|意大利|罗马|西班牙|荷兰|比利时|瑞士|瑞典|挪威|丹麦|芬兰|波兰|奥地利|希腊|欧盟|欧洲|"
    r"俄罗斯|俄方|俄军|莫斯科|克里姆林宫|乌克兰|乌军|基辅|白俄罗斯|土耳其|伊朗|伊拉克|以色列|巴勒斯坦|加沙|沙特|叙利亚|"
    r"日本|东京|大阪|北海道|韩国|首尔|釜山|仁川|朝鲜|平壤|印度|巴基斯坦|越南|泰国|曼谷|缅甸|柬埔寨|老挝|菲律宾|马尼拉|"
    r"马来西亚|新加坡|印尼|印度尼西亚|澳大利亚|新西兰|南非|埃及|非洲|联合国|北约|外媒|当地时间"
)


def _elsewhere_count(text: str) -> int:
    return sum(1 for _ in _ELSEWHERE.finditer(text))


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
    level: (
        str  # "county" for every county-level unit, 县级市 included (江阴 320281); "prefecture" only for 地级
    )
    weight: float
    evidence: list[Evidence] = field(default_factory=list)
    # The prefecture-level unit a county rolls up to (江阴 → 无锡 320200); a prefecture's own code; None for a county
    # under no prefecture (仙桃, 济源: 省直辖). Rank and report a county under this code, never as a prefecture.
    prefecture_code: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "prefecture_code": self.prefecture_code,
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


@lru_cache(maxsize=1)
def _longest_by_prefix() -> dict[str, int]:
    """Longest name length per two-character opening: most positions of a text open no name and are passed over
    with one dictionary look-up instead of eleven slices."""
    out: dict[str, int] = {}
    for name in _names():
        out[name[:2]] = max(out.get(name[:2], 0), len(name))
    return out


def find_mentions(text: str, fld: str, base_weight: float) -> list[_Mention]:
    """Longest-match scan for division names; skips names in credits, person names and street names."""
    names = _names()
    # The source field is the outlet itself (江阴日报): it may support a place the text names, never decide alone.
    masked = _mask(text, outlets=fld != "source")
    out: list[_Mention] = []
    i, n = 0, len(masked)
    longest = _longest_by_prefix()
    while i < n:
        hit = None
        for size in range(min(longest.get(masked[i : i + 2], 0), n - i), 1, -1):
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
            if before in _SURNAMES and (
                _PERSON_AFTER.match(after)
                or _SURNAME_PERSON_AFTER.match(after)
                or not after
                or after[0] in "，,、。 "
            ):
                skip = True
            if _PERSON_AFTER.match(after):
                skip = True
            if before in _SURNAMES and _is_given_name(masked, i, after, names):
                skip = True
        if not skip:
            w = base_weight if i >= LEAD_CHARS or fld != "body" else max(base_weight, W_LEAD)
            w *= FULL_NAME_FACTOR if full else 1.0
            if _INSTITUTION_AFTER.match(after):
                w *= INSTITUTION_FACTOR
            out.append(_Mention(hit, i, fld, w, full))
        i += len(hit)
    return out


def _mask(text: str, outlets: bool = True) -> str:
    """The text with credits, outlets and not-a-place phrases blanked out (offsets kept)."""

    def blank(m: re.Match[str]) -> str:
        return "□" * len(m.group(0))

    phrases, _ = _not_places()
    if phrases is not None:
        text = phrases.sub(blank, text)
    if outlets:
        text = _OUTLET.sub(blank, text)
    return _CREDIT.sub(blank, text)


def _is_given_name(text: str, start: int, after: str, names: frozenset[str]) -> bool:
    """Whether the two-character short name at text[start:start+2], after a surname character, is a person's given
    name (郭广昌, 段永平, 刘建华): the surname opens a word of its own, neither ends a place name (吉林长春, 浙江温州)
    nor closes a word (位于上海) nor follows one (扬州段高邮), and no level or unit follows the name (林州市, 王庄镇)."""
    if (after[:1] and after[0] in _NOT_GIVEN_NAME_AFTER) or text[start - 1] in _FUNCTION_SURNAMES:
        return False
    if start >= 2 and (text[start - 2].isdigit() or text[start - 2] in "零一二三四五六七八九十百千万亿几"):
        return False  # 80万上海: a number, not a surname
    if text[start - 1] == "许" and start >= 2 and text[start - 2] in "时分点秒日月年":
        return False  # 凌晨时许合肥: 许 is "about" after a time
    if any(text[max(0, start - k) : start] in names for k in (2, 3)):
        return False
    if any(text[max(0, start - 1 - k) : start - 1] in names for k in (2, 3)):
        return False  # 扬州段高邮: the character after a place is a section of it, not a surname
    lo = max(0, start - 1 - _WINDOW)
    pos = lo
    for word in get_tokenizer().lcut(text[lo : start + 2 + _WINDOW], HMM=False):
        if pos == start - 1:
            return len(word) == 1 or word == text[start - 1 : start + 2]  # 郭/广昌 or 郭广昌 as one word
        if pos > start - 1:
            return False
        pos += len(word)
    return False


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
    m = _DATELINE.match(body[:48])
    if not m:
        return []
    place = m.group(1)
    for size in range(len(place), 1, -1):  # "南京" in "南京11月19日电"; trailing characters are not the place
        if place[:size] in _names():
            return [_Mention(place[:size], m.start(1), "dateline", W_DATELINE, _is_full_name(place[:size]))]
    return []


def _resolve(mentions: list[_Mention], g: Gazetteer) -> dict[str, list[tuple[_Mention, Division, str]]]:
    """Pick one division per mention; shared names go to the candidate whose ancestors are also mentioned."""
    common = _common_words()
    cands = {m.name: g.lookup(m.name) for m in mentions}
    mentioned_codes: set[str] = set()
    for m in mentions:
        if len(cands[m.name]) == 1 and m.name not in common:
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
                and m.name in common
                and d.level
                != "province"  # 海南 is the province; only its 乌海 district 海南区 is the doubtful one
                and not ({a.code for a in g.ancestors(d.code)} & context)
            ):
                continue
            former = g.former_name(m.name)
            rule = f"former name ({former.year})" if former else "full-name" if m.full else "alias"
            out[d.code].append((m, d, rule))
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
            if m.name in common and not m.full:
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
    """Prefecture- and county-level divisions the text is about, heaviest first, each with its evidence.

    Empty when the text names no mainland city strongly enough, or is about Hong Kong, Macau, Taiwan or abroad."""
    g = get_gazetteer()
    title = title or ""
    body = body or ""
    mentions = _dateline(body)
    title_mentions = find_mentions(title, "title", W_TITLE)
    mentions += title_mentions
    dateline_end = max((m.start + len(m.name) for m in mentions if m.field == "dateline"), default=-1)
    # The dateline's own place is not counted a second time as a body mention.
    body_mentions = [m for m in find_mentions(body, "body", W_BODY) if m.start >= dateline_end]
    mentions += body_mentions
    if source:
        mentions += find_mentions(source, "source", W_SOURCE)
    resolved = _resolve(mentions, g)
    if _is_elsewhere(title, body, resolved):
        return []
    common = _common_words()
    scores: dict[str, Attribution] = {}

    def add(d: Division, ev: Evidence) -> None:
        a = scores.get(d.code)
        if a is None:
            a = scores[d.code] = Attribution(d.code, d.name, d.level, 0.0, prefecture_code=d.prefecture_code)
        a.weight += ev.weight
        a.evidence.append(ev)

    named = set(resolved)
    for code, hits in resolved.items():
        d = g[code]
        if d.level == "province" and d.code[:2] not in _MUNICIPALITIES:
            continue  # provinces only disambiguate; the office ranks prefectures and counties
        lineage = {a.code for a in g.ancestors(code)}
        for m, _, rule in hits:
            rule_name = "dateline" if m.field == "dateline" else rule
            weight = m.weight
            if (
                d.level == "county"
                and not m.full
                and m.field == "body"
                and not (lineage & named)
                and (m.name in common or len(m.name) <= 2)
            ):
                weight *= LONE_COUNTY_ALIAS
                rule_name += ", no parent named"
            ev = Evidence(m.name, m.start, m.field, rule_name, weight)
            add(d, ev)
            if d.level == "county" and d.parent_code and g.get(d.parent_code):
                parent = g[d.parent_code]
                if parent.level == "prefecture" or parent.code[:2] in _MUNICIPALITIES:
                    add(
                        parent,
                        Evidence(m.name, m.start, m.field, f"parent-of {d.name}", weight * PARENT_SHARE),
                    )
    # A county whose prefecture is also named is the more precise answer: it inherits part of that weight.
    for a in list(scores.values()):
        if a.level == "county":
            d = g[a.code]
            parent_a = scores.get(d.parent_code or "")
            if parent_a is not None and any(not e.rule.startswith("parent-of") for e in parent_a.evidence):
                a.weight += 0.5 * _own_weight(parent_a)
    _cap_lone_aliases(scores)
    ranked = sorted(scores.values(), key=lambda a: (-a.weight, a.code))
    if not ranked or ranked[0].weight < MIN_WEIGHT or _scattered(ranked, g):
        return []
    return _county_first(ranked, g)


def _cap_lone_aliases(scores: dict[str, Attribution]) -> None:
    """When the title names a place, a county known only by its bare short name in the body (no parent named) is not
    made surer by repeats: a person called 高昌健, named ten times, must not outweigh 武汉 in the title."""
    if not any(e.field == "title" for a in scores.values() for e in a.evidence):
        return
    capped: set[str] = set()
    for a in scores.values():
        own = [e for e in a.evidence if not e.rule.startswith("parent-of")]
        if own and all(e.rule.endswith("no parent named") for e in own):
            a.weight = min(a.weight, MIN_WEIGHT)
            capped.add(a.name)
    for a in scores.values():  # nor is the prefecture those mentions speak for (吐鲁番 through 高昌)
        if a.evidence and all(e.rule.removeprefix("parent-of ") in capped for e in a.evidence):
            a.weight = min(a.weight, MIN_WEIGHT * PARENT_SHARE)


def _scattered(ranked: list[Attribution], g: Gazetteer) -> bool:
    """Whether the text only lists places (national figures for 北京, 上海, 广州 and 深圳; provinces and their
    capitals): several prefectures, none holding a clear share of the evidence, none in the title."""
    if ranked[0].level == "county" or any(e.field == "title" for e in ranked[0].evidence):
        return False  # a county named again and again, or a place in the title, is the item's place
    by_prefecture: dict[str, float] = defaultdict(float)
    for a in ranked:
        if a.level == "prefecture" or (a.level == "province" and a.code[:2] in _MUNICIPALITIES):
            by_prefecture[a.code] += _own_weight(a)
    if len(by_prefecture) < SCATTERED_PLACES:
        return False
    return max(by_prefecture.values()) < SCATTERED_SHARE * sum(by_prefecture.values())


def _own_weight(a: Attribution) -> float:
    return sum(e.weight for e in a.evidence if not e.rule.startswith("parent-of"))


def _is_elsewhere(title: str, body: str, resolved: dict[str, list[tuple[_Mention, Division, str]]]) -> bool:
    """Whether the item is about Hong Kong, Macau, Taiwan or abroad: such a place in the title and no mainland city
    there, or (title silent) such places outnumber the mainland mentions of the lead and body."""
    in_title = any(m.field == "title" for hits in resolved.values() for m, d, _ in hits if _is_city(d))
    if in_title:
        return False
    mainland = sum(1 for hits in resolved.values() for m, d, _ in hits if _is_city(d) and m.field == "body")
    abroad = _elsewhere_count(body)
    if _ELSEWHERE.search(title):  # 4名学生偷越国境到缅甸 is still about 合肥 when the body keeps naming it
        return mainland < 4 or abroad > mainland
    return abroad > mainland and mainland < 3


def _is_city(d: Division) -> bool:
    return d.level != "province" or d.code[:2] in _MUNICIPALITIES


def _county_first(ranked: list[Attribution], g: Gazetteer) -> list[Attribution]:
    """Put the heaviest county of the leading prefecture first when the text names it as the place."""
    top = ranked[0]
    if top.level == "county":
        return ranked
    kids = [a for a in ranked if a.level == "county" and g[a.code].parent_code == top.code]
    if not kids:
        return ranked
    best = kids[0]  # ranked is heaviest first
    runner_up = _own_weight(kids[1]) if len(kids) > 1 else 0.0
    share = ADDRESS_SHARE if _addressed(best, top) else COUNTY_SHARE
    if _own_weight(best) >= share * _own_weight(top) and _own_weight(best) > 1.5 * runner_up:
        return [best, *(a for a in ranked if a is not best)]
    return ranked


def _addressed(county: Attribution, prefecture: Attribution) -> bool:
    """Whether the county is written as an address under its prefecture (广州市增城区, 苏州市姑苏区): the prefecture's
    name ends where the county's full name begins."""
    ends = {
        (e.field, e.start + len(e.span)) for e in prefecture.evidence if not e.rule.startswith("parent-of")
    }
    return any(
        (e.field, e.start) in ends and _is_full_name(e.span) and e.span.endswith(tuple(_LEVEL_CHARS))
        for e in county.evidence
    )


def primary_prefecture(attributions: list[Attribution]) -> str | None:
    """The prefecture-level code of the heaviest attribution (a county answers with its prefecture)."""
    if not attributions:
        return None
    top = attributions[0]
    if top.prefecture_code is not None:
        return top.prefecture_code
    d = get_gazetteer().get(top.code)
    return d.prefecture_code if d else None
