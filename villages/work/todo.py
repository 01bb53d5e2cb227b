"""The village work records' part of the to-do lists (villages.todo): a village secretary files at least one
meeting with villagers (屋场会, 有事好商量 …) a month; until this month's is recorded, it waits on them."""

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from ..choices import Level, Role
from ..scopes import user_scopes
from ..todo import TodoItem, month_end, role_name
from .choices import WORK_EDITOR_ROLES
from .models import VillagerMeeting

# Who files the village's meeting records (of the roles that may: WORK_EDITOR_ROLES).
MEETING_FILERS = {Role.VILLAGE_SECRETARY} & WORK_EDITOR_ROLES


def items(user, *, today: datetime.date) -> list[TodoItem]:
    villages = {s.division_id: s for s in user_scopes(user) if s.role in MEETING_FILERS and s.level == Level.VILLAGE}
    if not villages:
        return []
    start = today.replace(day=1)
    filed = set(
        VillagerMeeting.objects.filter(division_id__in=villages, date__gte=start, date__lte=today)
        .values_list("division_id", flat=True)
        .distinct()
    )
    return [
        TodoItem(
            kind="villages.work.meeting",
            title=_("File this month's meeting with villagers (%(month)s)") % {"month": f"{start:%Y-%m}"},
            division=scope.name,
            url=reverse("villages:work_meeting_create", kwargs={"code": scope.code}),
            actor=role_name(Role.VILLAGE_SECRETARY),
            due=month_end(today),
            key=f"meeting-{pk}",
        )
        for pk, scope in sorted(villages.items(), key=lambda kv: kv[1].code)
        if pk not in filed
    ]
