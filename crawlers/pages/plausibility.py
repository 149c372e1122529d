"""Is a site page object's article plausible for this page? A thin or boilerplate-only body means the layout
changed (another channel, an older or newer template): the generic extractor then reads the page instead.

The item records the hand-over in its ``extractor`` (``generic<-sina``), which parser health counts per site and
template, so a redesign shows up as an alarm rather than as empty articles.
"""

from __future__ import annotations

from lxml import etree

from crawlers.pages import density
from crawlers.pages.article import BOILERPLATE

FALLBACK_PREFIX = "generic<-"
# Below this much main text the page has no article worth comparing with (video pages, short notices).
_MIN_MAIN_TEXT = 300
# A page object's body this much shorter than the page's main text block missed most of the article. The main
# block can be a long related-news list on a video or photo page, so only a body that is also short in absolute
# terms counts as thin.
_MIN_SHARE = 0.15
_THIN_BODY = 200


def implausible(body: str, root: etree._Element) -> str:
    """Why a page object's body does not look like this page's article ('' when it does)."""
    lines = [line for line in body.split("\n") if line.strip()]
    if not lines:
        return "empty body" if density.main_text_chars(root) >= _MIN_MAIN_TEXT else ""
    if all(any(p.search(line) for p in BOILERPLATE) for line in lines):
        return "boilerplate only"
    if len(body) >= _THIN_BODY:
        # Only a short body can be thin: scoring the page's blocks costs more than the page object itself, so
        # it is done for the few pages that need the comparison.
        return ""
    main = density.main_text_chars(root)
    if main >= _MIN_MAIN_TEXT and len(body) < _MIN_SHARE * main:
        return f"body of {len(body)} characters where the main text has {main}"
    return ""


def fallback_extractor(template: str) -> str:
    """The ``extractor`` value of an item the generic extractor made after ``template`` was implausible."""
    return f"{FALLBACK_PREFIX}{template}"


def fallback_template(extractor: str) -> str:
    """The page-object template an item's generic extraction stood in for ('' for any other item)."""
    return extractor[len(FALLBACK_PREFIX) :] if extractor.startswith(FALLBACK_PREFIX) else ""
