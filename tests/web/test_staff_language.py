"""Every console page a member of staff reads is Chinese: no English phrase in the visible text (identifiers such as
codes, the product and model names aside, see tests/staff_text.py), including the forms added for manual events,
evidence, cluster membership and the feedback owner."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.staff_text import english_phrases, visible_text
from tests.web.conftest import csrf_of
from tests.web.evidence_samples import pdf_bytes
from tests.web.seed import XSS_TITLE, Seeded

# The status page's run details are the jobs' own summaries and `creditwatch serve` a command to type: both are
# for the engineer who runs the service, and left out here.
ENGINEERS = re.compile(r'<td class="detail">.*?</td>|<code>.*?</code>', re.S)
# What the pages show as it is: account names, a crawled title, the configured alert address and channel names.
DATA = ("admin", "analyst", "viewer", XSS_TITLE, "duty@example.org", "通报.pdf")


def _pages(seeded: Seeded) -> list[str]:
    return [
        "/dashboard",
        "/dashboard?at=2026-10-10",
        "/events",
        f"/events/{seeded.major_event}",
        f"/events/{seeded.trust_event}",
        f"/events/{seeded.suqian_event}",
        "/incidents",
        "/cities",
        "/cities/320281?month=2026-10",
        "/reports",
        "/status",
        "/review",
        "/entry/inputs",
        "/entry/event",
        "/admin",
    ]


@pytest.mark.parametrize("role_client", ["as_admin", "as_viewer"])
def test_console_pages_have_no_english(
    role_client: str, request: pytest.FixtureRequest, seeded: Seeded
) -> None:
    client: TestClient = request.getfixturevalue(role_client)
    found: dict[str, list[str]] = {}
    for path in _pages(seeded):
        r = client.get(path)
        if r.status_code == 403:
            continue  # a viewer's refusal page is checked like any other page below
        assert r.status_code == 200, (path, r.status_code)
        phrases = english_phrases(visible_text(ENGINEERS.sub(" ", r.text)), DATA)
        if phrases:
            found[path] = phrases
    assert found == {}


def test_the_entries_record_chinese_history(as_admin: TestClient, seeded: Seeded) -> None:
    """After a manual event, an evidence file, an owner and a split, the event pages still read in Chinese."""
    page = as_admin.get("/entry/event").text
    r = as_admin.post(
        "/entry/event",
        data={
            "csrf_token": csrf_of(page),
            "title": "江阴一商场消防通道被堵",
            "day": "2026-10-15",
            "city": "江阴",
            "kind": "distrust",
            "domain": "business",
            "major": "1",
        },
        files={"evidence": ("通报.pdf", pdf_bytes(), "application/pdf")},
    )
    manual = r.headers["location"]
    page = as_admin.get(f"/events/{seeded.major_event}").text
    as_admin.post(f"/events/{seeded.major_event}/owner", data={"csrf_token": csrf_of(page), "owner": "admin"})
    article = page.split('name="article_id" value="', 1)[1].split('"', 1)[0]
    as_admin.post(
        f"/events/{seeded.major_event}/detach", data={"csrf_token": csrf_of(page), "article_id": article}
    )
    for path in (manual, f"/events/{seeded.major_event}", "/entry/event", "/dashboard?at=2026-10-10"):
        assert english_phrases(visible_text(as_admin.get(path).text), DATA) == [], path
