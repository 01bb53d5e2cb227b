"""Reads for petitions and disputes: scoped querysets with the joins their pages need, and the lookups that
find a petitioner's earlier cases. The rates live in tallies.py."""

import datetime
import re
from difflib import SequenceMatcher

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from villages.choices import Level, Role
from villages.models import Division
from villages.scopes import is_unrestricted, user_scopes

from .choices import OPEN_STATUSES, Status
from .models import Dispute, Mediation, Petition, PetitionStep

# Two subjects name the same matter when, stripped of spaces and punctuation, one contains the other or they
# share this much of their characters (difflib's ratio; Chinese subjects compare character by character).
SAME_MATTER_RATIO = 0.6
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
HANDLER_PENDING = Q(status__in=[Status.HANDLING, Status.CONCLUDED]) | Q(
    status=Status.DELIVERED, return_visited_on__isnull=True
)


def _normalize(subject: str) -> str:
    return _NOT_WORD.sub("", subject or "").lower()


def same_matter(a: str, b: str) -> bool:
    a, b = _normalize(a), _normalize(b)
    if not a or not b:
        return False
    shorter = min(len(a), len(b))
    if a == b or (shorter >= 4 and (a in b or b in a)):
        return True
    return SequenceMatcher(None, a, b).ratio() >= SAME_MATTER_RATIO


def terminated_same_matter(*, id_numbers: list[str], subject: str) -> Petition | None:
    """A case of the same petitioner (by ID number) on the same matter that was terminated after 复核.

    Deliberately not scoped: the rule binds the whole county, whoever registers the new petition.
    """
    ended = (
        Petition.objects.filter(status=Status.TERMINATED, petitioners__id_number__in=id_numbers)
        .distinct()
        .order_by("-rereview_answered_on")[:50]
    )
    return next((p for p in ended if same_matter(p.subject, subject)), None)


def repeat_candidates(*, user, petitioners: list[dict], subject: str, exclude_pk=None, limit=10) -> list[Petition]:
    """Earlier cases the officer can see, of the same petitioner (ID number, else name), on a similar subject."""
    ids = {p["id_number"].strip().upper() for p in petitioners if (p.get("id_number") or "").strip()}
    names = {p["name"].strip() for p in petitioners if (p.get("name") or "").strip()}
    if not ids and not names:
        return []
    if ids:
        # With ID numbers given, a name alone still matches earlier petitioners registered without one.
        match = Q(petitioners__id_number__in=ids) | Q(petitioners__name__in=names, petitioners__id_number="")
    else:
        match = Q(petitioners__name__in=names)
    qs = (
        Petition.objects.visible_to(user)
        .filter(match)
        .exclude(pk=exclude_pk)
        .select_related("division")
        .distinct()
        .order_by("-received_on", "-pk")[:200]
    )
    return [p for p in qs if same_matter(p.subject, subject)][:limit]


def petition_list(*, user, division: Division | None = None):
    qs = Petition.objects.visible_to(user).with_list_data()
    if division is not None:
        qs = qs.filter(division__code__startswith=division.prefix)
    return qs


def awaiting_q(user, today: datetime.date) -> Q:
    """The cases whose next step is the user's to take, from the roles they hold."""
    if is_unrestricted(user):
        return Q(status__in=OPEN_STATUSES)
    q = Q(pk__in=[])
    for s in user_scopes(user):
        here = Q(division__code__startswith=s.prefix)
        own_unit = Q(responsible_unit__code__startswith=s.prefix)
        if s.role == Role.PETITION_OFFICER:
            q |= here & Q(status=Status.REGISTERED)
            q |= Q(responsible_unit_id=s.division_id) & HANDLER_PENDING
            if s.level != Level.TOWNSHIP:
                q |= here & Q(status__in=[Status.REVIEW, Status.REREVIEW])
        elif s.role == Role.TOWNSHIP_STAFF:
            q |= own_unit & HANDLER_PENDING
        elif s.role == Role.COUNTY_OFFICIAL:
            q |= here & Q(due_on__lt=today)
    return q


def petition_counts(*, user, division: Division, today: datetime.date | None = None, soon_days: int = 7) -> dict:
    """The board's figures for the cases at or under the division, in one query."""
    today = today or timezone.localdate()
    qs = Petition.objects.visible_to(user).filter(division__code__startswith=division.prefix).order_by()
    return qs.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        due_soon=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + datetime.timedelta(days=soon_days))),
        awaiting=Count("pk", filter=awaiting_q(user, today)),
        registered=Count("pk", filter=Q(status=Status.REGISTERED)),
        this_year=Count("pk", filter=Q(received_on__year=today.year)),
    )


def petition_detail_queryset():
    return Petition.objects.select_related(
        "division", "registry_unit", "responsible_unit", "first_unit", "previous", "created_by"
    ).prefetch_related(
        "petitioners",
        "attachments",
        Prefetch(
            "steps",
            queryset=PetitionStep.objects.select_related("actor", "from_unit", "to_unit").order_by("on", "at", "pk"),
        ),
        Prefetch("repeats", queryset=Petition.objects.only("pk", "number", "subject", "previous_id", "received_on")),
        Prefetch("disputes", queryset=Dispute.objects.only("pk", "number", "petition_id", "category")),
    )


def unit_choices(*, user, petition: Petition):
    """The units a case about this place can go to: the county or township above it, within the user's scope."""
    codes = [*petition.division.ancestor_codes(), petition.division.code]
    return (
        Division.objects.visible_to(user)
        .filter(code__in=codes, level__in=[Level.COUNTY, Level.TOWNSHIP])
        .order_by("code")
    )


def dispute_list(*, user, division: Division | None = None):
    # An aggregate drops the model's default ordering, so the list's order is given again.
    qs = (
        Dispute.objects.visible_to(user)
        .with_list_data()
        .annotate(mediation_count=Count("mediations"))
        .order_by("-screened_on", "-pk")
    )
    if division is not None:
        qs = qs.filter(division__code__startswith=division.prefix)
    return qs


def dispute_detail_queryset():
    return Dispute.objects.select_related("division", "petition", "created_by").prefetch_related(
        "parties", Prefetch("mediations", queryset=Mediation.objects.order_by("started_on", "pk"))
    )


def divisions_under(*, user, division: Division, levels):
    """Divisions at or under ``division`` that the user sees, for the place pickers of the forms."""
    return (
        Division.objects.visible_to(user)
        .filter(code__startswith=division.prefix, level__in=levels)
        .select_related("parent")
        .order_by("code")
    )
