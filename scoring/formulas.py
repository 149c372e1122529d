"""The scoring formulas of the index models, as named pure functions.

Seed 002 (社会信用体系建设示范城市创建硬指标, 附件1) gives the guided indicators explicit formulas and caps; they are
reproduced here exactly, one function per formula, named after the item. Model files refer to them by name
(`formula: demo_item11_joint_domains`) and map the function's parameters to input fields (`args:`).
A few generic helpers (`share`, `per_10k`, `capped`) serve the other models.

Every function takes floats and returns a float; none of them reads state.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

Formula = Callable[..., float]

FORMULAS: dict[str, Formula] = {}

# Floating-point inputs such as 0.7 * 100 come out as 70.00000000000001; step functions round first so that
# "每多10%" counts the step a person would count.
_EPS = 1e-9


def formula(fn: Formula) -> Formula:
    """Register `fn` under its own name."""
    FORMULAS[fn.__name__] = fn
    return fn


def parameters(name: str) -> list[str]:
    """The parameter names of the formula called `name`."""
    return list(inspect.signature(FORMULAS[name]).parameters)


def _cap(value: float, cap: float) -> float:
    return max(0.0, min(value, cap))


def _ratio(numerator: float, denominator: float) -> float:
    # An empty denominator (no blacklisted subject at all, no department with approval powers) earns nothing:
    # the seed scores a share, and there is no share of nothing.
    return numerator / denominator if denominator > 0 else 0.0


# --- seed 002 附件1, guided indicators (引导性指标) -------------------------------------------------------------


@formula
def demo_item11_joint_domains(domains: float) -> float:
    """Item 11: 城市实施联合奖惩领域数量/40, 最高得1分."""
    return _cap(domains / 40.0, 1.0)


@formula
def demo_item12_penetration(linked: float, total: float) -> float:
    """Item 12: 穿透关联至主要负责人和直接责任人失信记录的数量/单位失信记录总数*2, 最高得2分."""
    return _cap(_ratio(linked, total) * 2.0, 2.0)


@formula
def demo_item13_platform_links(unconnected: float) -> float:
    """Item 13: 100%联通计4分, 每增加1个未联通并归集共享信息的单位减0.5分 (not below 0)."""
    return _cap(4.0 - 0.5 * unconnected, 4.0)


@formula
def demo_item14_disclosure(m: float) -> float:
    """Item 14 (公示信息量): 法人和非法人组织户均信息条数 m, 0.5m, 最高得2分."""
    return _cap(0.5 * m, 2.0)


@formula
def demo_item14_activity(n: float) -> float:
    """Item 14 (活跃度): 城市户籍人口日人均点击量 n, 100n, 最高得2分."""
    return _cap(100.0 * n, 2.0)


@formula
def demo_item15_cases(cases: float, subjects: float) -> float:
    """Item 15: 有效的联合奖惩案例数量/在运营红黑名单主体总量*5, 最高为3分."""
    return _cap(_ratio(cases, subjects) * 5.0, 3.0)


@formula
def demo_item16_embedded(domains: float) -> float:
    """Item 16: 将联合奖惩嵌入信息系统和工作流程的领域数量*0.1, 最高得2分."""
    return _cap(domains * 0.1, 2.0)


@formula
def demo_item17_personal_score(evaluated: float, coverage_pct: float) -> float:
    """Item 17: 开展市民信用分评价且超过50%户籍人口拥有个人诚信分得1.5分, 每多10%加0.5分, 最高得4分.

    `evaluated` is 1 when the city runs a citizen credit score at all; `coverage_pct` is 0–100. Only whole
    10-point steps above 50 % count ("每多10%"), and 50 % itself already earns the 1.5 points.
    """
    if evaluated < 0.5 or coverage_pct + _EPS < 50.0:
        return 0.0
    steps = math.floor((coverage_pct - 50.0) / 10.0 + _EPS)
    return _cap(1.5 + 0.5 * steps, 4.0)


@formula
def demo_item18_innovation_domains(domains: float) -> float:
    """Item 18 (信易+): 每一个领域实质性开展工作并形成案例得0.3分, 最高得6分."""
    return _cap(0.3 * domains, 6.0)


@formula
def demo_item18_approval(departments: float, approval_departments: float) -> float:
    """Item 18 (信易批): 已经实施容缺受理的部门数量/具有行政审批权力的部门总量*2, 最高得2分."""
    return _cap(_ratio(departments, approval_departments) * 2.0, 2.0)


@formula
def demo_item18_loans(loan_yuan: float, entities: float) -> float:
    """Item 18 (信易贷): "信易贷"放款金额/在运营市场主体数*0.002%, 最高得2分 (amount in yuan)."""
    return _cap(_ratio(loan_yuan, entities) * 0.00002, 2.0)


@formula
def demo_item19_civil_servants(archive: float) -> float:
    """Item 19 (政务): 建立公务员诚信档案并作为考核、任用和奖惩依据的, 得2分."""
    return 2.0 if archive >= 0.5 else 0.0


@formula
def demo_item19_domains(records: float, published: float, lists: float, graded: float) -> float:
    """Item 19 (商务/社会诚信): 每领域建立信用记录0.1, 公示0.1, 认定红黑名单并归集0.2, 分级分类监管0.2.

    The seed states no cap for this part; the points are bounded only by the number of domains.
    """
    return max(0.0, 0.1 * records + 0.1 * published + 0.2 * lists + 0.2 * graded)


@formula
def demo_item19_judiciary(archives_graded: float, publicity: float, lists: float) -> float:
    """Item 19 (司法公信): 诚信档案并分级分类监管3分, 审判/执行/检务/司法行政信息公开1分, 司法红黑名单2分."""
    return (
        (3.0 if archives_graded >= 0.5 else 0.0)
        + (1.0 if publicity >= 0.5 else 0.0)
        + (2.0 if lists >= 0.5 else 0.0)
    )


@formula
def demo_item20_campaign(points: float) -> float:
    """Item 20 (诚信建设万里行): assessed on the activities held, 最高得2分."""
    return _cap(points, 2.0)


@formula
def demo_item20_special_governance(points: float) -> float:
    """Item 20 (20个重点领域失信问题专项治理): assessed on rectification and lasting mechanisms, 最高得2分."""
    return _cap(points, 2.0)


# --- generic helpers for the other models ----------------------------------------------------------------------


@formula
def share(part: float, other: float) -> float:
    """part / (part + other); 0.5 when both are zero (no evidence either way)."""
    total = part + other
    return part / total if total > 0 else 0.5


@formula
def per_10k(count: float, base: float) -> float:
    """count per 10,000 of base (e.g. blacklisted subjects per 10,000 legal entities); 0 when base is 0."""
    return _ratio(count, base) * 10_000.0


@formula
def coverage(done: float, needed: float) -> float:
    """done / needed capped at 1; 1 when nothing was needed (no major event: nothing left unanswered)."""
    return min(1.0, done / needed) if needed > 0 else 1.0


@formula
def identity(value: float) -> float:
    """The input itself."""
    return value
