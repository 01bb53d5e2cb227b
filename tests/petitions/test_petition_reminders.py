"""Reminders of the petitions' legal clocks (villages.notifications over petitions.todo): the petition office is
told once when a registered case's acceptance falls due within 3 days, and once more when it is overdue; nobody
else is told, in the county or out of it."""

import datetime

from villages.models import Notification
from villages.notifications.services import reminders_run


def test_the_acceptance_clock_is_told_to_the_petition_office_once_per_state(tree, people, make_case):
    case = make_case("registered")
    soon = case.acceptance_due - datetime.timedelta(days=3)
    for day in (soon - datetime.timedelta(days=1), soon, soon, soon + datetime.timedelta(days=1)):
        reminders_run(county_code="340827000000", today=day, send=False)
        reminders_run(county_code="411103000000", today=day, send=False)
    notes = Notification.objects.filter(kind="petitions.accept")
    assert [(n.user, n.urgency, n.due) for n in notes] == [(people.wj_officer, "soon", case.acceptance_due)]
    assert notes.get().url == f"/petitions/cases/{case.pk}/" or notes.get().url.endswith(f"/{case.pk}/")
    late = case.acceptance_due + datetime.timedelta(days=1)
    reminders_run(county_code="340827000000", today=late, send=False)
    reminders_run(county_code="340827000000", today=late, send=False)
    assert sorted(Notification.objects.filter(kind="petitions.accept").values_list("urgency", flat=True)) == [
        "overdue",
        "soon",
    ]
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told <= {people.wj_officer.username}  # not 华阳镇's step, nor 郾城区's people
