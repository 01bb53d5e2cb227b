"""The campaign ledger (.xlsx): one row per village, each level's total, grade, status and per-check points.

The headers and the words in the cells are the ledger format agreed with the counties, so they are Chinese
data here (as in villages.ledgers), not translatable interface text.
"""

from .choices import STAGE_ORDER, Grade, LevelStatus, Stage
from .selectors import check_subtotals, template_checks

STAGE_NAMES = {Stage.VILLAGE: "自诊", Stage.TOWNSHIP: "问诊", Stage.COUNTY: "回诊"}
GRADE_NAMES = {Grade.GOOD: "好", Grade.FAIRLY_GOOD: "较好", Grade.AVERAGE: "一般", Grade.POOR: "差"}
STATUS_NAMES = {LevelStatus.DRAFT: "填报中", LevelStatus.SUBMITTED: "已提交", LevelStatus.RETURNED: "已退回"}


def campaign_ledger(*, campaign, division, reviews, readable=None) -> tuple[list[str], list[list]]:
    """Headers and rows; ``reviews`` come with their village, its township and their levels prefetched.
    ``readable(review, levels)`` gives the stages the reader may read (reviews.visibility): the others show their
    status only, and the final grade waits for the township's level to be readable."""
    checks = template_checks(campaign.template_id)
    subtotals = check_subtotals(campaign=campaign, division=division)
    headers = ["乡镇（街道）", "村（社区）", "区划代码", "是否抽查"]
    for stage in STAGE_ORDER:
        name = STAGE_NAMES[stage]
        headers += [f"{name}状态", f"{name}总分", f"{name}等次", f"{name}否决情形"]
        headers += [f"{name}-{check.name}" for check in checks]
    headers += ["最终等次", "定等层级", "初步评价意见"]
    rows = []
    for review in reviews:
        levels = {lv.level: lv for lv in review.levels.all()}
        stages = readable(review, levels) if readable else set(STAGE_ORDER)
        township = review.village.parent
        row = [
            township.name if township else "",
            review.village.name,
            review.village.code,
            "是" if review.sampled else "否",
        ]
        for stage in STAGE_ORDER:
            level = levels.get(stage)
            if level is None:
                row += ["未开展", None, None, None] + [None] * len(checks)
                continue
            if stage not in stages:
                row += [STATUS_NAMES[level.status], None, None, None] + [None] * len(checks)
                continue
            submitted = level.status == LevelStatus.SUBMITTED
            row += [
                STATUS_NAMES[level.status],
                float(level.total_score),
                GRADE_NAMES.get(level.grade, "") if submitted else "",
                level.veto_reasons,
            ]
            points = subtotals.get((review.pk, stage), {})
            row += [float(points[c.number]) if c.number in points else None for c in checks]
        township_level = levels.get(Stage.TOWNSHIP) if Stage.TOWNSHIP in stages else None
        if Stage.TOWNSHIP not in stages:
            row += ["待定", "", ""]
            rows.append(row)
            continue
        row += [
            GRADE_NAMES.get(review.final_grade, "待定"),
            STAGE_NAMES.get(review.final_stage, ""),
            township_level.first_evaluation if township_level else "",
        ]
        rows.append(row)
    return headers, rows
