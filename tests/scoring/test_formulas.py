"""Seed 002 (附件1) guided-indicator formulas against hand computations, at and around each cap."""

from __future__ import annotations

import pytest

from scoring import formulas as f

ROWS = [
    # item 11: 领域数/40, max 1
    (f.demo_item11_joint_domains, {"domains": 0}, 0.0),
    (f.demo_item11_joint_domains, {"domains": 20}, 0.5),
    (f.demo_item11_joint_domains, {"domains": 39}, 0.975),
    (f.demo_item11_joint_domains, {"domains": 40}, 1.0),
    (f.demo_item11_joint_domains, {"domains": 41}, 1.0),
    # item 12: linked/total*2, max 2
    (f.demo_item12_penetration, {"linked": 0, "total": 100}, 0.0),
    (f.demo_item12_penetration, {"linked": 45, "total": 100}, 0.9),
    (f.demo_item12_penetration, {"linked": 99, "total": 100}, 1.98),
    (f.demo_item12_penetration, {"linked": 100, "total": 100}, 2.0),
    (f.demo_item12_penetration, {"linked": 5, "total": 0}, 0.0),  # no records: no share to score
    # item 13: 4 − 0.5 per unconnected unit, not below 0
    (f.demo_item13_platform_links, {"unconnected": 0}, 4.0),
    (f.demo_item13_platform_links, {"unconnected": 1}, 3.5),
    (f.demo_item13_platform_links, {"unconnected": 7}, 0.5),
    (f.demo_item13_platform_links, {"unconnected": 8}, 0.0),
    (f.demo_item13_platform_links, {"unconnected": 9}, 0.0),
    # item 14: 0.5·m max 2; 100·n max 2
    (f.demo_item14_disclosure, {"m": 1.0}, 0.5),
    (f.demo_item14_disclosure, {"m": 3.9}, 1.95),
    (f.demo_item14_disclosure, {"m": 4.0}, 2.0),
    (f.demo_item14_disclosure, {"m": 4.1}, 2.0),
    (f.demo_item14_activity, {"n": 0.01}, 1.0),  # 1 % of registered residents click daily
    (f.demo_item14_activity, {"n": 0.0199}, 1.99),
    (f.demo_item14_activity, {"n": 0.02}, 2.0),
    (f.demo_item14_activity, {"n": 0.05}, 2.0),
    # item 15: cases/subjects*5 max 3
    (f.demo_item15_cases, {"cases": 30, "subjects": 100}, 1.5),  # the 30 % target earns 1.5
    (f.demo_item15_cases, {"cases": 59, "subjects": 100}, 2.95),
    (f.demo_item15_cases, {"cases": 60, "subjects": 100}, 3.0),
    (f.demo_item15_cases, {"cases": 61, "subjects": 100}, 3.0),
    (f.demo_item15_cases, {"cases": 3, "subjects": 0}, 0.0),
    # item 16: domains*0.1 max 2
    (f.demo_item16_embedded, {"domains": 10}, 1.0),
    (f.demo_item16_embedded, {"domains": 19}, 1.9),
    (f.demo_item16_embedded, {"domains": 20}, 2.0),
    (f.demo_item16_embedded, {"domains": 25}, 2.0),
    # item 17: 1.5 at 50 %, +0.5 per whole 10 % more, max 4; nothing without the evaluation or below 50 %
    (f.demo_item17_personal_score, {"evaluated": 1, "coverage_pct": 49.9}, 0.0),
    (f.demo_item17_personal_score, {"evaluated": 1, "coverage_pct": 50}, 1.5),
    (f.demo_item17_personal_score, {"evaluated": 1, "coverage_pct": 59.9}, 1.5),
    (f.demo_item17_personal_score, {"evaluated": 1, "coverage_pct": 60}, 2.0),
    (f.demo_item17_personal_score, {"evaluated": 1, "coverage_pct": 70}, 2.5),
    (f.demo_item17_personal_score, {"evaluated": 1, "coverage_pct": 0.7 * 100}, 2.5),  # 70.00000000000001
    (f.demo_item17_personal_score, {"evaluated": 1, "coverage_pct": 99}, 3.5),
    (f.demo_item17_personal_score, {"evaluated": 1, "coverage_pct": 100}, 4.0),
    (f.demo_item17_personal_score, {"evaluated": 0, "coverage_pct": 80}, 0.0),
    # item 18: 0.3 per domain max 6; 信易批 ratio*2 max 2; 信易贷 amount/entities*0.002 % max 2
    (f.demo_item18_innovation_domains, {"domains": 10}, 3.0),
    (f.demo_item18_innovation_domains, {"domains": 19}, 5.7),
    (f.demo_item18_innovation_domains, {"domains": 20}, 6.0),
    (f.demo_item18_innovation_domains, {"domains": 21}, 6.0),
    (f.demo_item18_approval, {"departments": 15, "approval_departments": 30}, 1.0),
    (f.demo_item18_approval, {"departments": 30, "approval_departments": 30}, 2.0),
    (f.demo_item18_approval, {"departments": 1, "approval_departments": 0}, 0.0),
    (f.demo_item18_loans, {"loan_yuan": 5e9, "entities": 100_000}, 1.0),  # 50,000 yuan per entity
    (f.demo_item18_loans, {"loan_yuan": 9.9e9, "entities": 100_000}, 1.98),
    (f.demo_item18_loans, {"loan_yuan": 1e10, "entities": 100_000}, 2.0),
    (f.demo_item18_loans, {"loan_yuan": 2e10, "entities": 100_000}, 2.0),
    # item 19: 2 for the civil-servant archive; 0.1/0.1/0.2/0.2 per domain; judiciary 3 + 1 + 2
    (f.demo_item19_civil_servants, {"archive": 1}, 2.0),
    (f.demo_item19_civil_servants, {"archive": 0}, 0.0),
    (
        f.demo_item19_domains,
        {"records": 20, "published": 18, "lists": 10, "graded": 5},
        2.0 + 1.8 + 2.0 + 1.0,
    ),
    (f.demo_item19_domains, {"records": 1, "published": 0, "lists": 0, "graded": 0}, 0.1),
    (f.demo_item19_judiciary, {"archives_graded": 1, "publicity": 1, "lists": 1}, 6.0),
    (f.demo_item19_judiciary, {"archives_graded": 0, "publicity": 1, "lists": 1}, 3.0),
    # item 20: two assessed parts, max 2 each
    (f.demo_item20_campaign, {"points": 1.5}, 1.5),
    (f.demo_item20_campaign, {"points": 2.5}, 2.0),
    (f.demo_item20_special_governance, {"points": 2.0}, 2.0),
]


@pytest.mark.parametrize(("fn", "args", "expected"), ROWS, ids=[f"{r[0].__name__}-{r[1]}" for r in ROWS])
def test_formula_matches_hand_computation(fn, args, expected):
    assert fn(**args) == pytest.approx(expected, abs=1e-9)


def test_every_seed_formula_is_registered():
    demo = sorted(n for n in f.FORMULAS if n.startswith("demo_item"))
    items = {int(n.split("_")[1].removeprefix("item")) for n in demo}
    assert items == set(range(11, 21))


@pytest.mark.parametrize(
    ("fn", "args", "expected"),
    [
        (f.share, {"part": 3, "other": 1}, 0.75),
        (f.share, {"part": 0, "other": 0}, 0.5),
        (f.per_10k, {"count": 25, "base": 50_000}, 5.0),
        (f.per_10k, {"count": 25, "base": 0}, 0.0),
        (f.coverage, {"done": 1, "needed": 2}, 0.5),
        (f.coverage, {"done": 5, "needed": 2}, 1.0),
        (f.coverage, {"done": 0, "needed": 0}, 1.0),
    ],
)
def test_generic_helpers(fn, args, expected):
    assert fn(**args) == pytest.approx(expected)
