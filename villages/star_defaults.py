"""The default five-star rules a new county starts from (the county edits them as data in the admin).

Indicative rules from domain.md §5. Metric keys name figures that the apps' tallies.py compute.
"""

# (code, name, star set, position, capstone, department, [(metric, measure, comparison, threshold, label, unit,
#  passes without data)])
RATE, COUNT = "rate", "numerator"

SAFETY = [
    ("petitions.level_skipping", COUNT, "lte", 0, "越级访", "件", True),
    ("petitions.group_visits", COUNT, "lte", 0, "集体访", "件", True),
    ("petitions.dispute_resolution", RATE, "gte", "0.90", "矛盾纠纷化解率", "%", True),
    ("petitions.on_time_completion", RATE, "gte", "0.95", "按期办结率", "%", True),
    ("petitions.overdue", COUNT, "lte", 0, "超期未办结信访件", "件", True),
]
STRONG = [
    ("reviews.team_good_or_fair", RATE, "gte", 1, "班子整体评价好或较好", "%", False),
    ("reviews.poor_post_ratings", COUNT, "lte", 0, "岗位履职评价为差", "人", True),
    ("reviews.rectification_on_time", RATE, "gte", "0.90", "整改按期完成率", "%", True),
]
CIVILITY = [
    ("villages.volunteer_activities", COUNT, "gte", 12, "志愿服务活动", "次", False),
    ("villages.meetings_held", COUNT, "gte", 4, "屋场会等议事活动", "次", False),
    ("villages.meeting_satisfaction", RATE, "gte", "0.90", "群众满意率", "%", True),
]
ECOLOGY = [("villages.inspections_passed", RATE, "gte", 1, "人居环境整治检查通过率", "%", False)]

DEFAULT_STARS = [
    ("strong_branch", "支部过硬星", "village", 1, False, "区委组织部", STRONG),
    ("thriving_industry", "产业兴旺星", "village", 2, False, "区农业农村局", [
        ("villages.collective_income", COUNT, "gte", 100000, "村集体经济收入", "元", False),
        ("villages.collective_income_growth", RATE, "gte", 1, "集体收入较上年", "%", False),
    ]),
    ("livable_ecology", "生态宜居星", "village", 3, False, "区生态环境分局", ECOLOGY),
    ("safety_rule_of_law", "平安法治星", "village", 4, False, "区委政法委", SAFETY),
    ("civility_happiness", "文明幸福星", "village", 5, False, "区委宣传部", CIVILITY),
    ("community_strong_branch", "支部过硬星", "community", 1, False, "区委组织部", STRONG),
    ("community_co_building", "共建共享星", "community", 2, False, "区委社会工作部", [
        ("grids.requests_on_time", RATE, "gte", "0.90", "网格服务按时办结率", "%", True),
        ("grids.visit_coverage", RATE, "gte", "0.80", "网格走访覆盖率", "%", False),
    ]),
    ("community_livable_ecology", "生态宜居星", "community", 3, False, "区生态环境分局", ECOLOGY),
    ("community_safety_rule_of_law", "平安法治星", "community", 4, False, "区委政法委", SAFETY),
    ("community_civility_happiness", "文明幸福星", "community", 5, False, "区委宣传部", CIVILITY),
]  # fmt: skip


def install(star_type_model, condition_model) -> int:
    """Create the default stars and their conditions where none exist yet (idempotent)."""
    created = 0
    for code, name, star_set, position, capstone, department, conditions in DEFAULT_STARS:
        star, new = star_type_model.objects.get_or_create(
            code=code,
            defaults={"name": name, "star_set": star_set, "position": position, "capstone": capstone,
                      "department": department},
        )  # fmt: skip
        if not new:
            continue
        created += 1
        condition_model.objects.bulk_create(
            condition_model(star_type=star, metric=metric, measure=measure, comparison=comparison,
                            threshold=threshold, label=label, unit=unit, no_data_passes=passes, position=i)
            for i, (metric, measure, comparison, threshold, label, unit, passes) in enumerate(conditions)
        )  # fmt: skip
    return created
