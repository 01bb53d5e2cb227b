"""What follows a review, in the to-do lists (villages.todo): rectification measures to report done
(``MEASURE_REPORTERS``: the village's; overdue ones, by plan, also the township's and county's above it),
measures reported done to verify (``MEASURE_VERIFIERS``: the township's), talks whose demanded correction is due
for follow-up and flagged cadres still to be talked to (``TOWNSHIP_OR_COUNTY``), plans still to draw up for
villages with problems, and last month's record books still to publish (the township's,
``RECORD_BOOK_PUBLISHERS``; the schedule publishes them anyway)."""

import datetime

from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from villages.choices import Role
from villages.scopes import roles_for, scope_q
from villages.todo import TodoItem, role_name

from ..models import Campaign
from .choices import MEASURE_REPORTERS, MEASURE_VERIFIERS, RECORD_BOOK_PUBLISHERS, TOWNSHIP_OR_COUNTY, MeasureStatus
from .models import Evaluation, Measure, ProblemVillage, RecordBookPublication, RecordEntry, RectificationPlan, Talk

VILLAGE_REPORTERS = MEASURE_REPORTERS - TOWNSHIP_OR_COUNTY  # whose own work a measure is
# The township draws up plans, verifies measures and publishes the books; the county may too (standing in), but it
# is the township's work, so it is on the township's list.
TOWNSHIP = {Role.TOWNSHIP_STAFF}
VERIFY_OWNERS = MEASURE_VERIFIERS & TOWNSHIP


def _measures(user, today):
    field = "plan__village__code"
    q = (Q(status=MeasureStatus.IN_PROGRESS) & scope_q(user, field, VILLAGE_REPORTERS)) | (
        Q(status=MeasureStatus.DONE) & scope_q(user, field, VERIFY_OWNERS)
    )
    items = []
    for m in Measure.objects.filter(q).select_related("plan__village").order_by("deadline", "pk")[:200]:
        held = roles_for(user, m.plan.village.code)
        if m.status == MeasureStatus.DONE:
            kind, title, actor, due = "verify", _("Verify and close (销号) the measure: %(m)s"), VERIFY_OWNERS, None
        else:
            kind, title, actor, due = "report", _("Rectification measure due: %(m)s"), VILLAGE_REPORTERS, m.deadline
        items.append(
            TodoItem(
                kind=f"followup.measure.{kind}",
                title=title % {"m": m.content[:60]},
                division=m.plan.village.name,
                url=reverse("followup:measure", kwargs={"pk": m.pk}),
                actor=role_name(min(actor & held or actor)),
                due=due,
                key=f"measure-{m.pk}",
            )
        )
    # Above the village, overdue measures by plan: the township and the county press the village (or report for it).
    overdue = (
        Measure.objects.filter(
            scope_q(user, field, MEASURE_REPORTERS - VILLAGE_REPORTERS),
            status=MeasureStatus.IN_PROGRESS,
            deadline__lt=today,
        )
        .values("plan_id", "plan__village__name", "plan__village__code")
        .annotate(n=Count("pk"), first=Min("deadline"))
        .order_by("first", "plan_id")[:200]
    )
    for row in overdue:
        held = roles_for(user, row["plan__village__code"]) & MEASURE_REPORTERS
        items.append(
            TodoItem(
                kind="followup.plan.overdue",
                title=ngettext(
                    "%(n)d rectification measure of the plan is overdue",
                    "%(n)d rectification measures of the plan are overdue",
                    row["n"],
                )
                % {"n": row["n"]},
                division=row["plan__village__name"],
                url=reverse("followup:plan", kwargs={"pk": row["plan_id"]}),
                actor=role_name(min(held or MEASURE_REPORTERS)),
                due=row["first"],
                key=f"plan-overdue-{row['plan_id']}",
            )
        )
    return items


def _talks(user, today):
    talks = (
        Talk.objects.filter(
            scope_q(user, "village__code", TOWNSHIP_OR_COUNTY), correction_deadline__isnull=False, followed_up_at=None
        )
        .select_related("village", "cadre")
        .order_by("correction_deadline", "pk")[:200]
    )
    items = [
        TodoItem(
            kind="followup.talk.follow_up",
            title=_("Follow up the correction demanded of %(cadre)s") % {"cadre": t.cadre.name},
            division=t.village.name,
            url=reverse("followup:talk", kwargs={"pk": t.pk}),
            actor=role_name(min(roles_for(user, t.village.code) & TOWNSHIP_OR_COUNTY)),
            due=t.correction_deadline,
            key=f"talk-{t.pk}",
        )
        for t in talks
    ]
    flagged = (
        Evaluation.objects.filter(scope_q(user, "meeting__village__code", {Role.COUNTY_OFFICIAL}), flagged=True)
        .filter(~Exists(Talk.objects.filter(evaluation_id=OuterRef("pk"))))
        .select_related("meeting__village", "cadre")
        .order_by("year", "pk")[:200]
    )
    items += [
        TodoItem(
            kind="followup.talk.flagged",
            title=_("Hold a talk with %(cadre)s (failed evaluations in a row)") % {"cadre": e.cadre.name},
            division=e.meeting.village.name,
            url=reverse("followup:talk_create", kwargs={"code": e.meeting.village.code}) + f"?cadre={e.cadre_id}",
            actor=role_name(Role.COUNTY_OFFICIAL),
            key=f"flagged-{e.pk}",
        )
        for e in flagged
    ]
    return items


def _plans(user):
    planned = RectificationPlan.objects.filter(
        campaign_id=OuterRef("problem__campaign_id"), village_id=OuterRef("village_id")
    )
    # A plan is drawn up for the county's latest campaign (the plan form's, selectors.latest_campaign).
    latest = Campaign.objects.filter(division_id=OuterRef("problem__campaign__division_id"))
    latest = latest.order_by("-start_date", "-pk")
    rows = (
        ProblemVillage.objects.filter(scope_q(user, "village__code", TOWNSHIP))
        .filter(problem__campaign_id=Subquery(latest.values("pk")[:1]))
        .filter(~Exists(planned))
        .values("village__code", "village__name", "problem__campaign_id", "problem__campaign__end_date")
        .distinct()
        .order_by("problem__campaign__end_date", "village__code")[:200]
    )
    return [
        TodoItem(
            kind="followup.plan",
            title=_("Draw up the rectification plan (一村一策)"),
            division=row["village__name"],
            url=reverse("followup:plan_create", kwargs={"code": row["village__code"]}),
            actor=role_name(Role.TOWNSHIP_STAFF),
            key=f"plan-{row['village__code']}-{row['problem__campaign_id']}",
        )
        for row in rows
    ]


def _books(user, today):
    end = today.replace(day=1) - datetime.timedelta(days=1)
    period = f"{end:%Y-%m}"
    roles = TOWNSHIP & RECORD_BOOK_PUBLISHERS
    published = RecordBookPublication.objects.filter(village_id=OuterRef("village_id"), period=period)
    rows = (
        RecordEntry.objects.filter(scope_q(user, "village__code", roles), date__gte=end.replace(day=1), date__lte=end)
        .filter(~Exists(published))
        .values("village__code", "village__name")
        .distinct()
        .order_by("village__code")[:200]
    )
    return [
        TodoItem(
            kind="followup.books.publish",
            title=_("Publish the record books of %(month)s") % {"month": period},
            division=row["village__name"],
            url=reverse("followup:books", kwargs={"code": row["village__code"]}),
            actor=role_name(Role.TOWNSHIP_STAFF),
            due=today.replace(day=1) + datetime.timedelta(days=6),
            key=f"books-{row['village__code']}-{period}",
        )
        for row in rows
    ]


def items(user, *, today: datetime.date) -> list[TodoItem]:
    return _measures(user, today) + _talks(user, today) + _plans(user) + _books(user, today)
