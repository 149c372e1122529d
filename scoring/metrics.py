"""The vocabulary of measured inputs: what a model file may ask for, and what the database adapter provides.

Crawled metrics are counts over the scoring window (the model's `window_months`, ending with the scored month)
of classified articles attributed to the city; portal metrics are figures from the credit and court portals.
The database adapter (`scoring.inputs`) fills every crawled metric (zero when nothing was found); a portal metric
is absent when no portal record exists for the city, and the engine then reports it as missing.
"""

from __future__ import annotations

KINDS = ("trust", "distrust", "institution", "feedback")
DOMAINS = ("government", "business", "society", "judiciary")


def _crawled() -> dict[str, str]:
    out: dict[str, str] = {}
    for kind in KINDS:
        out[f"articles.{kind}"] = f"articles classified `{kind}` about the city in the window"
        for domain in DOMAINS:
            out[f"articles.{kind}.{domain}"] = (
                f"articles classified `{kind}` in domain `{domain}` in the window"
            )
        out[f"events.{kind}"] = f"distinct events (reprints clustered) of kind `{kind}` in the window"
    out["events.major"] = "major distrust events (status major) in the window"
    for domain in DOMAINS:
        out[f"events.major.{domain}"] = f"major distrust events in domain `{domain}` in the window"
    out["articles.distrust.courts"] = "distrust articles in sub-domains 法院/检察院 in the window"
    out["articles.distrust.public_security"] = "distrust articles in sub-domain 公共安全 in the window"
    out["institution.domains"] = "distinct domains (of 4) with a published credit rule in the window"
    out["institution.subdomains"] = "distinct sub-domains with a published credit rule in the window"
    out["feedback.confirmed"] = "confirmed feedback links to the city's major events in the window"
    return out


CRAWLED: dict[str, str] = _crawled()

PORTAL: dict[str, str] = {
    "portal.blacklist": "subjects of the city on a blacklist (黑名单) at the end of the month",
    "portal.blacklist_new": "blacklist entries added in the month",
    "portal.blacklist_exit": "blacklist entries removed in the month",
    "portal.redlist": "subjects of the city on a red list (红名单) at the end of the month",
    "portal.watchlist": "subjects on a watch list (重点关注名单) at the end of the month",
    "portal.watchlist_new": "watch-list entries added in the month",
    "portal.watchlist_exit": "watch-list entries removed in the month",
    "portal.dishonest_debtor": "dishonest judgment debtors (失信被执行人) of the city at the end of the month",
    "portal.gov_dishonest": "government bodies of the city on the court blacklist (政府失信被执行人)",
    "portal.double_publicity": "行政许可/行政处罚 (双公示) records published in the window",
    "portal.contract_judgments": "contract-dispute judgments (合同纠纷) on 中国裁判文书网 in the window",
    "portal.records": "all portal records of the city in the window",
}

METRICS: dict[str, str] = {**CRAWLED, **PORTAL}
