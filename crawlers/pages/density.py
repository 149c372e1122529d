"""Main-text detection for any Chinese article page: text-density / link-density scoring over blocks.

Every block element (``<p>``, ``<div>``, ``<td>``, …) gets its own text: its text nodes plus the text of the inline
elements inside it (``<font>``, ``<span>``, ``<strong>``, links), so paragraphs wrapped in inline tags count as text.
A block's score (non-link characters plus a bonus per Chinese sentence mark) goes to its nearest block ancestor and,
halved, to the one above: the element collecting the most is the article container. Link-heavy containers
(navigation, related lists) are scaled down by their link density; ids and classes of the usual Chinese CMS content
containers (``zoom``, ``TRS_Editor``, ``Custom_UnionStyle``…) are scored up, and footers, copyright blocks, 网站地图,
comment and share bars down. Forum pages (Discuz, phpwind) read the first post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from crawlers.pages import common

BLOCK_TAGS = frozenset(
    "p div td th li dd article section main blockquote pre center body table tbody tr ul ol dl form h2 h3 h4 "
    "h5 h6 figure figcaption".split()
)
# Containers a block's score may be credited to (rows and lists pass it on to their cell/parent).
_CANDIDATE_TAGS = frozenset("div td article section main body center blockquote form".split())
_SKIP_TAGS = frozenset(
    "script style noscript iframe template select textarea button svg head nav footer header aside option".split()
)
# Content containers of the CMSs Chinese government, court and news sites run on (TRS, Hanweb, Dayang, Discuz…).
_CONTENT_HINT = re.compile(
    r"zoom|trs_editor|custom_unionstyle|article|content|cont\b|main_?text|text_?con|detail|zw|zhengwen|body|"
    r"news_?txt|newstext|art_?con|con_?txt|post|entry|story|neirong|wenzhang",
    re.I,
)
# A hint word also inside chrome names ("content-footer", "article-related") does not save a block.
_CHROME_HINT = re.compile(
    r"foot|copyright|banquan|\bnav|menu|sidebar|side_|\bside\b|comment|related|relate|recommend|share|bshare|"
    r"\btail|bottom|header|\btop\b|crumb|position|location|sitemap|links?\b|friend|login|hot|rank|ad_|\bads?\b|"
    r"pager|pagination|toolbar|tool|print|search|weixin|qrcode|tuijian|xiangguan|paihang|reply|pinglun",
    re.I,
)
_BOILERPLATE_TEXT = re.compile(
    r"版权所有|copyright|©|ICP备|网站地图|联系我们|关于我们|主办单位|技术支持|承办|网站标识码|公网安备|设为首页|加入收藏"
)
# Discuz (t_f / postmessage_), phpwind (tpc_content / read_tpc) and common thread templates: first post only.
_FORUM_POST = re.compile(r"^(?:postmessage_\d+|read_tpc|t_f|tpc_content|post_?content|message\d*)$", re.I)
_SENTENCE = re.compile(r"[，。；！？、：,;]")
_MIN_BLOCK_CHARS = 10
_MIN_CONTAINER_SCORE = 60.0
_SIBLING_SHARE = 0.33
# A winner whose own text is this share of all its text holds one paragraph, not several blocks.
_CHAIN_OWN_SHARE = 0.8


@dataclass
class _Tally:
    score: float = 0.0
    chars: int = 0
    link_chars: int = 0


def _name(element: etree._Element) -> str:
    return f"{element.get('id') or ''} {element.get('class') or ''}"


def own_text(element: etree._Element) -> tuple[str, int]:
    """Text of a block without its block children (inline wrappers included) and how much of it is link text."""
    pieces: list[str] = []
    linked = 0

    def walk(node: etree._Element, in_link: bool) -> None:
        nonlocal linked
        for child in node:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag and tag not in _SKIP_TAGS and tag not in BLOCK_TAGS:
                child_link = in_link or (tag == "a" and bool(child.get("href")))
                if child.text:
                    pieces.append(child.text)
                    linked += len(child.text.strip()) if child_link else 0
                walk(child, child_link)
            if child.tail and (tag not in BLOCK_TAGS or not tag):
                pieces.append(child.tail)
                linked += len(child.tail.strip()) if in_link else 0
            elif child.tail:
                pieces.append(child.tail)

    if element.text:
        pieces.append(element.text)
    walk(element, False)
    return common.clean("".join(pieces)), linked


def _block_parent(element: etree._Element) -> etree._Element | None:
    parent = element.getparent()
    while parent is not None and (not isinstance(parent.tag, str) or parent.tag not in _CANDIDATE_TAGS):
        parent = parent.getparent()
    return parent


def forum_first_post(root: etree._Element) -> etree._Element | None:
    """The first post of a forum thread page, when the page is one."""
    for element in root.iter("td", "div"):
        ident = element.get("id") or ""
        classes = (element.get("class") or "").split()
        is_post = _FORUM_POST.match(ident) or any(_FORUM_POST.match(c) for c in classes)
        if is_post and len(common.text_of(element)) >= _MIN_BLOCK_CHARS:
            return element
    return None


def _weight(element: etree._Element) -> float:
    name = _name(element)
    weight = 1.0
    if _CONTENT_HINT.search(name):
        weight *= 1.5
    if _CHROME_HINT.search(name):
        weight *= 0.2
    return weight


def ranked_containers(root: etree._Element) -> list[etree._Element]:
    """Candidate article containers, best first (those scoring like an article at all)."""
    return [node for _value, node in scored_containers(root)]


def scored_containers(root: etree._Element) -> list[tuple[float, etree._Element]]:
    """(score, container) of every candidate scoring like an article at all, best first."""
    body = root.find(".//body")
    scope = body if body is not None else root
    tallies: dict[etree._Element, _Tally] = {}
    walker = etree.iterwalk(scope, events=("start",))
    for _event, element in walker:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP_TAGS:
            walker.skip_subtree()  # scripts, head, nav, footer, aside: nothing under them is article text
            continue
        if tag not in BLOCK_TAGS or tag in ("body", "table", "tbody", "tr", "ul", "ol", "dl"):
            continue
        text, linked = own_text(element)
        if len(text) < _MIN_BLOCK_CHARS:
            continue
        plain = len(text) - linked
        # prose has a sentence mark every 15-30 characters; keyword clouds and menus have none
        marks = len(_SENTENCE.findall(text))
        prose = min(1.0, 15.0 * marks / len(text))
        score = (plain * prose + 5.0 * marks) if plain > linked else 0.0
        if _BOILERPLATE_TEXT.search(text) and len(text) < 200:
            score *= 0.1
        target = element if tag in _CANDIDATE_TAGS else _block_parent(element)
        for share, node in ((1.0, target), (0.5, _block_parent(target) if target is not None else None)):
            if node is None:
                continue
            tally = tallies.setdefault(node, _Tally())
            tally.score += share * score
            tally.chars += len(text)
            tally.link_chars += linked
    ranked = sorted(
        ((_value(tally) * _weight(node), node) for node, tally in tallies.items()),
        key=lambda pair: pair[0],
        reverse=True,
    )
    return [(value, node) for value, node in ranked if value >= _MIN_CONTAINER_SCORE]


def _value(tally: _Tally) -> float:
    link_density = tally.link_chars / tally.chars if tally.chars else 1.0
    return tally.score * (1.0 - link_density)


def main_container(root: etree._Element) -> etree._Element | None:
    """The element holding the article text, or None when no block scores like an article."""
    forum = forum_first_post(root)
    if forum is not None:
        return forum
    ranked = ranked_containers(root)
    return _top_of_chain(ranked[0]) if ranked else None


def _top_of_chain(best: etree._Element) -> etree._Element:
    """The outermost wrapper of an article whose paragraphs sit in a staircase of nested ``<div>``s.

    Editors that never close their ``<div>`` (forum posts, old CMS pages) put each paragraph, or a few, in a
    wrapper that also holds the wrapper of the rest, so the best-scoring container holds one paragraph only.
    From such a one-paragraph winner, climb while what the parent adds besides it is plain text (paragraphs and
    sub-headings of the same text, pictures); stop at the first parent that adds links, chrome or boilerplate,
    and at the CMS's named content box.
    """
    own, _linked = own_text(best)
    if len(own) < _CHAIN_OWN_SHARE * len(common.text_of(best)):
        return best  # a real container of several blocks
    node = best
    parent = _block_parent(node)
    while parent is not None and parent.tag in ("div", "td", "section") and _adds_prose_only(parent, node):
        node, parent = parent, _block_parent(parent)
        if _CONTENT_HINT.search(_name(node)):
            break  # the CMS's own content box (quote-content, TRS_Editor) is the article's outer edge
    return node


def _adds_prose_only(parent: etree._Element, node: etree._Element) -> bool:
    """True when every text block of ``parent`` outside ``node`` reads like prose (no link, a sentence mark)."""
    inside = set(node.iter())
    for element in parent.iter(*BLOCK_TAGS):
        if element is parent or element in inside:
            continue
        text, linked = own_text(element)
        if not text.strip():
            continue
        if linked:
            return False
        if _CHROME_HINT.search(_name(element)) or _BOILERPLATE_TEXT.search(text):
            return False
    own, linked = own_text(parent)
    return not own.strip()


def chrome_inside(container: etree._Element) -> list[etree._Element]:
    """Footers, share bars, related lists and comment blocks nested in the container (dropped from the body)."""
    found: list[etree._Element] = []
    for element in container.iter():
        if element is container or not isinstance(element.tag, str):
            continue
        name = _name(element)
        named_chrome = (
            bool(name.strip()) and bool(_CHROME_HINT.search(name)) and not _CONTENT_HINT.search(name)
        )
        if named_chrome or element.tag in ("nav", "footer", "aside"):
            found.append(element)
    return found


def main_blocks(root: etree._Element) -> list[etree._Element]:
    """The main container and, in document order, those of its siblings that score at least a third as well:
    an article split over sibling blocks (a page break, a picture block between two text blocks) stays whole,
    as readability gathers siblings of its top candidate."""
    forum = forum_first_post(root)
    if forum is not None:
        return [forum]
    scored = scored_containers(root)
    if not scored:
        return []
    best_value, best = scored[0]
    top = _top_of_chain(best)
    if top is not best:
        return [top]
    parent = best.getparent()
    if parent is None:
        return [best]
    values = {node: value for value, node in scored}
    return [
        node
        for node in parent
        if node is best
        or (
            node in values
            and values[node] >= _SIBLING_SHARE * best_value
            and not _CHROME_HINT.search(_name(node))
        )
    ]


def main_text_chars(root: etree._Element) -> int:
    """Length of the page's main text block (how long a plausible article body of this page is)."""
    container = main_container(root)
    if container is None:
        return 0
    return sum(len(line) for line in common.blocks(container, drop_link_lines=True))
