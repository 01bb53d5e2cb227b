"""The look-back review's part of the to-do lists (villages.todo).

A level is its authors' to do (``STAGE_ROLES``) while it is editable and the level below it is submitted
(``below_done``, the rule ``review_level_submit`` applies); the village follows its review up to the township's
diagnosis (waiting on the township), and the township sees how many villages have still to assess themselves
(waiting on them). The county draws each campaign's sample once (``sample_draw``), re-diagnoses the sampled
villages (回诊), and closes (signs off) the reviews whose levels are done (``review_close``); the township
diagnoses still open are shown to it as waiting on the township, one line per campaign.
"""

import datetime

from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from villages.choices import Role
from villages.scopes import roles_for, scope_q, user_scopes
from villages.todo import TodoItem, role_name

from .choices import COUNTY_ROLES, EDITABLE_STATUSES, STAGE_ROLES, LevelStatus, Stage, below_done, stage_below
from .models import Campaign, Review, ReviewLevel
from .selectors import ready_to_close_q

# Who follows a level of their review done by others (shown to them as waiting): the village, its township's.
FOLLOWERS = {Stage.TOWNSHIP: {Role.VILLAGE_SECRETARY}}

TITLES = {
    (Stage.VILLAGE, LevelStatus.DRAFT): gettext_lazy("Fill in the self-diagnosis (自诊): %(campaign)s"),
    (Stage.VILLAGE, LevelStatus.RETURNED): gettext_lazy("Self-diagnosis returned — redo it: %(campaign)s"),
    (Stage.TOWNSHIP, LevelStatus.DRAFT): gettext_lazy("Township diagnosis (问诊) of the submitted self-diagnosis"),
    (Stage.TOWNSHIP, LevelStatus.RETURNED): gettext_lazy("Township diagnosis returned — redo it: %(campaign)s"),
    (Stage.COUNTY, LevelStatus.DRAFT): gettext_lazy("County re-diagnosis (回诊) of a sampled village"),
    (Stage.COUNTY, LevelStatus.RETURNED): gettext_lazy("County re-diagnosis reopened: %(campaign)s"),
}


def _level_items(user, today: datetime.date) -> list[TodoItem]:
    q = Q(pk__in=[])
    for stage, roles in STAGE_ROLES.items():
        q |= Q(level=stage) & scope_q(user, "review__village__code", roles | FOLLOWERS.get(stage, set()))
    below = ReviewLevel.objects.filter(review_id=OuterRef("review_id"))
    levels = (
        ReviewLevel.objects.filter(q, status__in=EDITABLE_STATUSES, review__campaign__start_date__lte=today)
        .annotate(
            village_status=Subquery(below.filter(level=Stage.VILLAGE).values("status")[:1]),
            township_status=Subquery(below.filter(level=Stage.TOWNSHIP).values("status")[:1]),
        )
        .select_related("review__village", "review__campaign")
        .order_by("review__campaign__end_date", "review__village__code", "level")
    )
    below_status = {Stage.TOWNSHIP: "village_status", Stage.COUNTY: "township_status"}
    items = []
    for level in levels:
        review = level.review
        opened_early = level.level == Stage.TOWNSHIP and review.township_opened_early_at is not None
        if not opened_early and not below_done(level.level, getattr(level, below_status.get(level.level, ""), None)):
            continue  # waits on the level below: that level is someone's item
        authors = STAGE_ROLES[level.level]
        mine = bool(roles_for(user, review.village.code) & authors)
        # Those who follow a level they may not read yet are sent to the review's page, which says whose turn it is.
        url = (
            reverse("reviews:level", kwargs={"pk": review.pk, "level": level.level})
            if mine
            else reverse("reviews:review", kwargs={"pk": review.pk})
        )
        items.append(
            TodoItem(
                kind=f"reviews.level.{level.level}",
                title=str(TITLES[level.level, level.status]) % {"campaign": review.campaign.name},
                division=review.village.name,
                url=url,
                actor=role_name(min(authors)),
                due=review.campaign.end_date,
                waiting_on="" if mine else role_name(min(authors)),
                key=f"level-{level.pk}",
            )
        )
    return items


def _self_diagnoses_pending(user, today: datetime.date) -> list[TodoItem]:
    """Per campaign and township, how many villages have not submitted their self-diagnosis (the township waits
    on them before its diagnosis): one line, not one per village."""
    followers = STAGE_ROLES[Stage.TOWNSHIP]
    rows = (
        ReviewLevel.objects.filter(
            scope_q(user, "review__village__code", followers),
            level=stage_below(Stage.TOWNSHIP),
            status__in=EDITABLE_STATUSES,
            review__campaign__start_date__lte=today,
        )
        .values("review__campaign_id", "review__campaign__name", "review__campaign__end_date")
        .annotate(n=Count("pk"))
        .order_by("review__campaign__end_date", "review__campaign_id")
    )
    township = next((s for s in _scopes_of(user, followers)), None)
    return [
        TodoItem(
            kind="reviews.level.village.pending",
            title=_("%(n)d villages have not submitted their self-diagnosis: %(campaign)s")
            % {"n": row["n"], "campaign": row["review__campaign__name"]},
            division=township.name if township else "",
            url=reverse("reviews:board", kwargs={"code": township.code}) if township else reverse("home"),
            actor=role_name(Role.VILLAGE_SECRETARY),
            due=row["review__campaign__end_date"],
            waiting_on=role_name(Role.VILLAGE_SECRETARY),
            key=f"pending-{row['review__campaign_id']}",
        )
        for row in rows
    ]


def _scopes_of(user, roles):
    return [s for s in user_scopes(user) if s.role in roles]


def _samples_to_draw(user, today: datetime.date) -> list[TodoItem]:
    if not _scopes_of(user, COUNTY_ROLES):
        return []
    campaigns = (
        Campaign.objects.visible_to(user, COUNTY_ROLES)
        .filter(sample_draw__isnull=True, start_date__lte=today)
        .select_related("division")
        .order_by("end_date", "pk")
    )
    return [
        TodoItem(
            kind="reviews.sample",
            title=_("Draw the county's sample for re-diagnosis (回诊): %(campaign)s") % {"campaign": c.name},
            division=c.division.name,
            url=reverse("reviews:campaign", kwargs={"pk": c.pk}),
            actor=role_name(Role.COUNTY_OFFICIAL),
            due=c.end_date,
            key=f"sample-{c.pk}",
        )
        for c in campaigns
        if COUNTY_ROLES & roles_for(user, c.division.code)
    ]


def _county_campaigns(user, today: datetime.date):
    if not _scopes_of(user, COUNTY_ROLES):
        return []
    campaigns = (
        Campaign.objects.visible_to(user, COUNTY_ROLES)
        .filter(start_date__lte=today)
        .select_related("division")
        .order_by("end_date", "pk")
    )
    return [c for c in campaigns if COUNTY_ROLES & roles_for(user, c.division.code)]


def _reviews_to_close(user, campaigns) -> list[TodoItem]:
    """Per campaign, the reviews the county can close now (signs off), and the township diagnoses it waits on."""
    if not campaigns:
        return []
    ready = ready_to_close_q()
    rows = {
        row["campaign_id"]: row
        for row in Review.objects.filter(campaign__in=campaigns, closed_at__isnull=True)
        .values("campaign_id")
        .annotate(
            ready=Count("pk", filter=ready, distinct=True),
            township_open=Count(
                "pk",
                filter=Q(levels__level=Stage.TOWNSHIP) & ~Q(levels__status=LevelStatus.SUBMITTED),
                distinct=True,
            ),
        )
        .order_by()
    }
    result = []
    for c in campaigns:
        row = rows.get(c.pk)
        if row is None:
            continue
        url = reverse("reviews:campaign", kwargs={"pk": c.pk})
        if row["ready"]:
            result.append(
                TodoItem(
                    kind="reviews.close",
                    title=_("%(n)d reviews ready to sign off and close: %(campaign)s")
                    % {"n": row["ready"], "campaign": c.name},
                    division=c.division.name,
                    url=url,
                    actor=role_name(Role.COUNTY_OFFICIAL),
                    due=c.end_date,
                    key=f"close-{c.pk}",
                )
            )
        if row["township_open"]:
            result.append(
                TodoItem(
                    kind="reviews.level.township.pending",
                    title=_("%(n)d township diagnoses not yet submitted: %(campaign)s")
                    % {"n": row["township_open"], "campaign": c.name},
                    division=c.division.name,
                    url=reverse("reviews:board", kwargs={"code": c.division.code}) + f"?campaign={c.pk}",
                    actor=role_name(Role.TOWNSHIP_STAFF),
                    due=c.end_date,
                    waiting_on=role_name(Role.TOWNSHIP_STAFF),
                    key=f"township-open-{c.pk}",
                )
            )
    return result


def items(user, *, today: datetime.date) -> list[TodoItem]:
    campaigns = _county_campaigns(user, today)
    return (
        _samples_to_draw(user, today)
        + _level_items(user, today)
        + _reviews_to_close(user, campaigns)
        + _self_diagnoses_pending(user, today)
    )
