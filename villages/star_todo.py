"""The five-star award flow's part of the to-do lists (villages.todo): each application waits on the role the
flow's table (``stars.AWARD_STEP_ROLES``) names for its status; the village that applied sees it waiting."""

import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Role, StarStatus
from .models import StarAward
from .scopes import roles_for, scope_q
from .stars import AWARD_STEP_ROLES
from .todo import TodoItem, role_name

# Who applies (villages.star_views.APPLICANTS less the township, which reviews): they follow their applications.
FOLLOWERS = {Role.VILLAGE_SECRETARY}

STEP_TITLES = {
    StarStatus.APPLIED: _("First review of the star application: %(star)s"),
    StarStatus.TOWNSHIP_REVIEWED: _("Decide the star application: %(star)s"),
    StarStatus.COUNTY_DECIDED: _("Publish the public notice of the star: %(star)s"),
    StarStatus.NOTICE: _("Award the star after its public notice: %(star)s"),
}


def items(user, *, today: datetime.date) -> list[TodoItem]:
    q = Q(pk__in=[])
    for status, roles in AWARD_STEP_ROLES.items():
        q |= Q(status=status) & (scope_q(user, "division__code", roles) | scope_q(user, "division__code", FOLLOWERS))
    awards = (
        StarAward.objects.filter(q, year__gte=today.year - 1)
        .select_related("division", "star_type")
        .order_by("division__code", "star_type__position")
    )
    result = []
    for award in awards:
        roles = AWARD_STEP_ROLES[award.status]
        held = roles_for(user, award.division.code)
        mine = bool(held & roles)
        if mine and award.status == StarStatus.NOTICE and award.notice_until and today < award.notice_until:
            continue  # the notice still runs: nothing to do yet
        title = str(STEP_TITLES[award.status]) % {"star": award.star_type.name}
        result.append(
            TodoItem(
                kind=f"villages.star.{award.status}",
                title=title,
                division=award.division.name,
                url=reverse("villages:stars", kwargs={"code": award.division.code}) + f"?year={award.year}",
                actor=role_name(min(roles)),
                due=award.notice_until if award.status == StarStatus.NOTICE else None,
                waiting_on="" if mine else role_name(min(roles)),
                key=f"star-{award.pk}",
            )
        )
    return result
