"""Who may read which level of a review: the order of 自诊 → 问诊 → 回诊 kept on every page, endpoint and export.

- The village never sees the township's or the county's scores, notes, grades, drafts or post ratings of its own
  review until the county closes the review (its self-diagnosis must be its own, not a copy of the township's).
- The township sees the village's self-diagnosis only once it is submitted (a draft or a returned one being
  redone is the village's), and the county's re-diagnosis once the county submitted it.
- The county (and an API client, which reads statistics) sees every level.

A user holding several roles sees the union. Status itself (draft, submitted, returned) is not hidden: the
to-do lists and the board say whose turn it is; what a hidden level holds is.
"""

from django.db.models import Q

from villages.choices import Role
from villages.scopes import is_unrestricted, roles_for, user_scopes

from .choices import STAGE_ORDER, LevelStatus, Stage

ALL_STAGES = frozenset(STAGE_ORDER)
SEE_ALL_ROLES = {Role.COUNTY_OFFICIAL, Role.API_CLIENT}
UPPER_STAGES = (Stage.TOWNSHIP, Stage.COUNTY)


def _stages_for_roles(roles, statuses: dict[str, str], closed: bool) -> set[str]:
    if roles & SEE_ALL_ROLES:
        return set(ALL_STAGES)
    stages: set[str] = set()
    if Role.TOWNSHIP_STAFF in roles:
        stages.add(Stage.TOWNSHIP)
        if closed or statuses.get(Stage.VILLAGE) == LevelStatus.SUBMITTED:
            stages.add(Stage.VILLAGE)
        if closed or statuses.get(Stage.COUNTY) == LevelStatus.SUBMITTED:
            stages.add(Stage.COUNTY)
    if Role.VILLAGE_SECRETARY in roles:
        stages.add(Stage.VILLAGE)
        if closed:
            stages |= set(UPPER_STAGES)
    return stages


def readable_stages(user, review, levels) -> set[str]:
    """The stages of ``review`` whose content ``user`` may read; ``levels`` maps stage → level (as loaded)."""
    if is_unrestricted(user):
        return set(ALL_STAGES)
    statuses = {stage: level.status for stage, level in levels.items() if level is not None}
    return _stages_for_roles(roles_for(user, review.village.code), statuses, review.closed_at is not None)


def level_readable(user, level) -> bool:
    """Whether ``user`` may read ``level`` (its review loaded with it)."""
    if is_unrestricted(user):
        return True
    review = level.review
    stages = _stages_for_roles(roles_for(user, review.village.code), {level.level: level.status}, review.is_closed)
    return level.level in stages


def open_upper_levels_hidden_q(user, code: str) -> Q | None:
    """For aggregates over the villages under ``code``: None when the user may count every level, else the levels
    a village-only reader may count (its own self-diagnoses, and closed reviews)."""
    if sees_open_upper_levels_under(user, code):
        return None
    return Q(level=Stage.VILLAGE) | Q(review__closed_at__isnull=False)


def sees_upper_levels(user, review) -> bool:
    """Whether the township's level (and with it the final grade and the post ratings) is the user's to read."""
    return is_unrestricted(user) or bool(roles_for(user, review.village.code) - {Role.VILLAGE_SECRETARY})


def sees_open_upper_levels_under(user, code: str) -> bool:
    """Whether an aggregate over the villages under ``code`` may count open reviews' township and county levels:
    not for a user who holds only a village's role there."""
    return is_unrestricted(user) or bool(roles_for(user, code) - {Role.VILLAGE_SECRETARY})


def readable_levels_q(user, level_path: str = "") -> Q:
    """The levels whose content the user may read, as one Q object over ReviewLevel rows (``level_path`` leads
    from another model's row to its level, e.g. ``"level__"`` for item scores): for querysets and prefetches."""
    if is_unrestricted(user):
        return Q()
    lv = level_path
    closed = Q(**{f"{lv}review__closed_at__isnull": False})
    q = Q(pk__in=[])
    for scope in user_scopes(user):
        here = Q(**{f"{lv}review__village__code__startswith": scope.prefix})
        if scope.role in SEE_ALL_ROLES:
            q |= here
        elif scope.role == Role.TOWNSHIP_STAFF:
            q |= here & (Q(**{f"{lv}level": Stage.TOWNSHIP}) | Q(**{f"{lv}status": LevelStatus.SUBMITTED}) | closed)
        elif scope.role == Role.VILLAGE_SECRETARY:
            q |= here & (Q(**{f"{lv}level": Stage.VILLAGE}) | closed)
        else:
            q |= here  # no reading role at all: refused (403) by the permission check, not hidden here
    return q


def who_may_change(stage: str) -> str:
    """Whom to ask to change a submitted level, as the page tells those who cannot."""
    from django.utils.translation import gettext as _

    return {
        Stage.VILLAGE: _("the township's staff"),
        Stage.TOWNSHIP: _("the county organization department"),
        Stage.COUNTY: _("the county organization department"),
    }[stage]
