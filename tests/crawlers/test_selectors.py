"""The page objects' selectors against their oracle, lxml's CSSSelector on the same CSS.

``common.css`` compiles a cheaper XPath than CSSSelector's and ``common.select_any`` answers several selectors
with one XPath union; both must return exactly the elements (same ones, same order) that CSSSelector returns, on
every fixture page and every page of the demo recording.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cache
from types import ModuleType

import pytest
from lxml import etree
from lxml.cssselect import CSSSelector

from crawlers.demo_recording import DEMO_WARC
from crawlers.encoding import decode_html
from crawlers.pages import SITE_MODULES, article, common, generic, homepage, ranking
from crawlers.pages.common import ParseError, Selector, css, select_any
from crawlers.pages.groundtruth import manifest, read_text
from crawlers.warc import read_warc

MODULES: tuple[ModuleType, ...] = (*SITE_MODULES.values(), article, generic, homepage, ranking)


def _is_selectors(value: object) -> bool:
    return isinstance(value, tuple) and bool(value) and all(isinstance(v, CSSSelector) for v in value)


@cache
def selector_sets() -> dict[str, tuple[CSSSelector, ...]]:
    """Every tuple of selectors a page object or page module holds, by where it is defined."""
    found: dict[str, tuple[CSSSelector, ...]] = {}
    for module in MODULES:
        for name, value in vars(module).items():
            if _is_selectors(value):
                found[f"{module.__name__}.{name}"] = value
            elif isinstance(value, type) and value.__module__ == module.__name__:
                for attr in dir(value):
                    member = getattr(value, attr, None)
                    if isinstance(member, tuple) and _is_selectors(member):
                        found[f"{module.__name__}.{name}.{attr}"] = member
    return found


def all_selectors() -> list[CSSSelector]:
    unique: dict[int, CSSSelector] = {}
    for selectors in selector_sets().values():
        for selector in selectors:
            unique[id(selector)] = selector
    return list(unique.values())


@cache
def oracle(expression: str) -> CSSSelector:
    return CSSSelector(expression)


def _pages() -> Iterator[tuple[str, str]]:
    for row in manifest():
        if not row["local_file"].endswith(".json"):
            yield row["local_file"], read_text(row["local_file"])
    for record in read_warc(DEMO_WARC):
        if record.status == 200 and "html" in (record.header("Content-Type") or "html"):
            yield record.url, decode_html(record.body, record.header("Content-Type"))[0]


@cache
def pages() -> list[tuple[str, etree._Element]]:
    parsed: list[tuple[str, etree._Element]] = []
    for name, text in _pages():
        with contextlib.suppress(ParseError):
            parsed.append((name, common.parse_html(text)))
    return parsed


def test_the_page_objects_use_the_compiled_selectors() -> None:
    selectors = all_selectors()
    assert len(selectors) > 200
    assert all(isinstance(selector, Selector) for selector in selectors)
    # the oracle would be compared with itself if nothing were rewritten
    assert sum(selector.path != oracle(selector.css).path for selector in selectors) > 150


def test_the_pages_to_compare_on_are_there() -> None:
    assert len(pages()) >= 140


def test_every_selector_and_chain_matches_what_cssselector_matches_on_every_page() -> None:
    selectors = all_selectors()
    chains = list(selector_sets().values())
    hits = 0
    for name, root in pages():
        found_by = {selector.css: oracle(selector.css)(root) for selector in selectors}
        for selector in selectors:
            got = selector(root)
            assert got == found_by[selector.css], f"{selector.css!r} on {name}"
            hits += bool(got)
        for chain in chains:
            expected: list[etree._Element] = next((found_by[s.css] for s in chain if found_by[s.css]), [])
            got = common.select(root, chain)
            assert got == expected, f"{[s.css for s in chain]} on {name}"
            # remembered per root, handed out as a new list each time
            got.append(root)
            assert common.select(root, chain) == expected
    assert hits > 1000  # most comparisons are not of two empty lists


def _subtrees(root: etree._Element) -> list[etree._Element]:
    """Where blocks() applies noise selectors: the body containers the page objects find and their <p>s."""
    found: dict[int, etree._Element] = {}
    for key, selectors in selector_sets().items():
        if key.endswith("body_selectors"):
            for selector in selectors:
                for container in selector(root):
                    found.setdefault(id(container), container)
                    for paragraph in list(container.iter("p"))[:3]:
                        found.setdefault(id(paragraph), paragraph)
    return list(found.values())[:8]  # the first containers and paragraphs: enough, and quick


def test_noise_unions_match_the_selectors_one_by_one() -> None:
    noise_sets = {key: value for key, value in selector_sets().items() if "noise" in key.lower()}
    assert len(noise_sets) >= 15
    compared = 0
    for name, root in pages():
        position = {element: index for index, element in enumerate(root.iter())}
        for element in _subtrees(root):
            matched: dict[int, list[etree._Element]] = {}
            for key, selectors in noise_sets.items():
                expected: set[etree._Element] = set()
                for selector in selectors:
                    if id(selector) not in matched:
                        one = matched[id(selector)] = oracle(selector.css)(element)
                        assert selector(element) == one, f"{selector.css!r} under <{element.tag}> on {name}"
                    expected.update(matched[id(selector)])
                got = select_any(element, selectors)
                assert got == sorted(expected, key=position.__getitem__), (
                    f"{key} under <{element.tag}> on {name}"
                )
                compared += bool(got)
    assert compared > 100


CLASS_VALUES = [
    'class="editor"',
    'class=" editor "',
    'class="x\teditor\ny"',
    'class="x\reditor"',
    'class="editor\u00a0x"',  # no-break space is not XPath white space: no match
    'class="editor\u3000"',
    'class="editorx"',
    'class="xeditor"',
    'class="Editor"',
    'class=""',
    "",
    'id="editor"',
    'class="edit editor"',
]


@pytest.mark.parametrize("attributes", CLASS_VALUES)
@pytest.mark.parametrize(
    "expression", [".editor", "div.editor", "span:not(.editor)", "div.editor span", "div:not(.x).editor"]
)
def test_class_tests_agree_on_odd_attribute_values(attributes: str, expression: str) -> None:
    root = common.parse_html(f"<html><body><div {attributes}><span {attributes}>a</span></div></body></html>")
    (selector,) = css(expression)
    assert selector(root) == CSSSelector(expression)(root)
    assert select_any(root, (selector,)) == CSSSelector(expression)(root)


def test_select_any_without_selectors_is_empty() -> None:
    root = common.parse_html("<html><body><p>a</p></body></html>")
    assert select_any(root, ()) == []
