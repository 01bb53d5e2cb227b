"""The rectification ledgers (.xlsx): problems, plans and measures under a division. The headers are the file
layout agreed with the counties, so they are Chinese data here, not interface text."""

from django.utils import timezone

from .choices import Book, MeasureStatus, ProblemKind  # noqa: F401 - labels of the exported codes
from .models import Problem
from .selectors import measure_list, plan_list, problem_list

PROBLEM_HEADERS = ["编号", "检查项", "类型", "问题", "涉及村数", "发现于"]
PLAN_HEADERS = ["区划代码", "村(社区)", "措施数", "整改中", "已销号", "逾期"]
MEASURE_HEADERS = [
    "区划代码",
    "村(社区)",
    "问题",
    "整改措施",
    "责任人",
    "完成时限",
    "状态",
    "完成日期",
    "销号时间",
    "逾期",
]


def sheets(*, user, division, campaign):
    today = timezone.localdate()
    problems = problem_list(user=user, division=division, campaign=campaign)
    plans = plan_list(user=user, division=division, campaign=campaign)
    measures = measure_list(user=user, division=division, campaign=campaign)

    def problem_rows():
        for p in problems.iterator(chunk_size=500):
            yield [
                p.pk,
                p.check_item.name,
                Problem(kind=p.kind).get_kind_display(),
                p.title,
                p.village_count,
                p.source or (str(p.review) if p.review_id else ""),
            ]

    def plan_rows():
        for p in plans.iterator(chunk_size=500):
            yield [p.village.code, p.village.name, p.total, p.open, p.closed, p.overdue]

    def measure_rows():
        for m in measures.iterator(chunk_size=500):
            yield [
                m.plan.village.code,
                m.plan.village.name,
                m.problem.title if m.problem_id else "",
                m.content,
                m.owner,
                m.deadline,
                m.get_status_display(),
                m.completed_on,
                timezone.localtime(m.closed_at).strftime("%Y-%m-%d %H:%M") if m.closed_at else None,
                "是" if m.status == MeasureStatus.IN_PROGRESS and m.deadline < today else "",
            ]

    return [
        ("问题清单", PROBLEM_HEADERS, problem_rows()),
        ("一村一策", PLAN_HEADERS, plan_rows()),
        ("整改措施", MEASURE_HEADERS, measure_rows()),
    ]
